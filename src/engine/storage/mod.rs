//! Storage drivers: what `cluster driver install|uninstall` changes, and
//! the facts about each provisioner the controllers consult.

pub mod scheduling;

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

use crate::engine::api::*;
use crate::engine::world::VolumeId;

/// Where the bytes of a PersistentVolume live, seen from `node`. Node-local
/// sources (hostPath, local, the local-path provisioner's directories) are a
/// different directory on every node: that is why their PVs carry node
/// affinity, and why a pod landing elsewhere finds them empty.
pub fn volume_id_for_pv(pv: &PersistentVolume, node: &str) -> VolumeId {
    if let Some(hp) = &pv.spec.host_path {
        return VolumeId::HostDir { node: node.into(), path: hp.path.clone() };
    }
    if let Some(l) = &pv.spec.local {
        return VolumeId::HostDir { node: node.into(), path: l.path.clone() };
    }
    if let Some(n) = &pv.spec.nfs {
        return VolumeId::Nfs { server: n.server.clone(), path: n.path.clone() };
    }
    if let Some(c) = &pv.spec.csi {
        return VolumeId::Disk { handle: c.volume_handle.clone() };
    }
    VolumeId::Disk { handle: pv.metadata.name.clone() }
}
