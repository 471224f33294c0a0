//! Storage drivers: what `cluster driver install|uninstall` changes, and
//! the facts about each provisioner the controllers consult.

use crate::engine::controllers::Cx;

/// Installs a driver cluster-wide (its provisioner and, for CSI drivers,
/// the CSIDriver object and the node plugin on every node).
pub fn install_driver(cx: &mut Cx, name: &str) {
    cx.world.drivers.insert(name.to_string());
}

/// Removes a driver: provisioning, attaching and mounting with it stop.
pub fn uninstall_driver(cx: &mut Cx, name: &str) {
    cx.world.drivers.remove(name);
}
