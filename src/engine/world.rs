//! The physical world under the API: machines (powered or not, their zone,
//! their image cache), installed storage drivers, and the bytes on every
//! volume. The API store describes what should be; the world is what is.
//! Controllers and kubelets read and change it; kubectl only sees it
//! through `exec`.

use std::collections::{BTreeMap, BTreeSet};

/// A small file tree: absolute path -> contents. Directories are implied by
/// paths and recorded explicitly when created empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileTree {
    pub files: BTreeMap<String, String>,
    pub dirs: BTreeSet<String>,
}

impl FileTree {
    pub fn is_empty(&self) -> bool {
        self.files.is_empty() && self.dirs.is_empty()
    }
    pub fn file_count(&self) -> usize {
        self.files.len()
    }
}

/// Where a volume's bytes live.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum VolumeId {
    /// A directory on one machine (hostPath, local-path provisioner, local PVs).
    HostDir { node: String, path: String },
    /// An export on an NFS server outside the cluster.
    Nfs { server: String, path: String },
    /// A network block disk made by a CSI driver (by volume handle).
    Disk { handle: String },
    /// A pod's emptyDir, on the node the pod runs on.
    EmptyDir { pod_uid: String, volume: String },
    /// A container's writable layer.
    Container { pod_uid: String, container: String, instance: u32 },
}

#[derive(Clone, Debug)]
pub struct Machine {
    pub zone: String,
    pub powered: bool,
    /// Changes at every boot (node status reports it).
    pub boot_id: String,
    pub internal_ip: String,
    /// Images already pulled onto this machine.
    pub images: BTreeSet<String>,
    /// Index of the machine's pod CIDR (10.244.<index>.0/24).
    pub pod_cidr_index: u32,
    pub next_pod_ip: u32,
}

/// A running external provisioner (a driver's controller pod) as it names
/// itself. Made when the driver is installed, gone when it is uninstalled.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Provisioner {
    /// `<driver>_<controller pod>_<uuid>`: the `From` of its events.
    pub identity: String,
    /// csi-provisioner's identity stamp (`<start ms>-<rand>-<driver>`),
    /// recorded in the volumeAttributes of the PVs it provisions.
    pub stamp: String,
}

#[derive(Clone, Debug, Default)]
pub struct World {
    // Boxed values: BTreeMap's code is compiled per value size, and maps of
    // pointer-sized values share one copy in the wasm.
    pub machines: BTreeMap<String, Box<Machine>>,
    /// Storage drivers installed cluster-wide (provisioner + node plugin).
    pub drivers: BTreeSet<String>,
    /// Volume contents.
    // Boxed values, as above, and a boxed key: with both pointer-sized the
    // map shares the store tables' copy of BTreeMap's code.
    pub volumes: BTreeMap<Box<VolumeId>, Box<FileTree>>,
    /// Files deleted from an image's lower layer, per writable layer (a
    /// `VolumeId::Container`): the overlay's whiteouts, read by `fs`.
    // Boxed key and value, as `volumes`.
    pub whiteouts: BTreeMap<Box<VolumeId>, crate::engine::sort::BoxedSet<String>>,
    /// Container logs: (pod uid, container, restart instance) -> text.
    // A sorted Vec: the only map of its layout but `Runtime::later_logs`.
    pub logs: crate::engine::sort::VecMap<(String, String, u32), String>,
    /// The external provisioners of installed drivers, by driver: who they
    /// say they are (see [`Provisioner`]).
    // Boxed values, as above.
    pub provisioners: BTreeMap<String, Box<Provisioner>>,
}

impl World {
    pub fn volume(&self, id: &VolumeId) -> Option<&FileTree> {
        self.volumes.get(id).map(|t| &**t)
    }
    pub fn volume_mut(&mut self, id: &VolumeId) -> &mut FileTree {
        self.volumes.entry(Box::new(id.clone())).or_default()
    }
    pub fn is_powered(&self, node: &str) -> bool {
        self.machines.get(node).is_some_and(|m| m.powered)
    }
}
