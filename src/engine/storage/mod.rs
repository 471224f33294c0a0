//! Storage drivers: what `cluster driver install|uninstall` changes, and
//! the facts about each provisioner the controllers consult.
//!
//! The default cluster runs the drivers TRANSCRIPTS.md lists:
//!
//! | driver | kind | access modes | attach | topology |
//! | --- | --- | --- | --- | --- |
//! | `rancher.io/local-path` | external provisioner, hostPath PVs | RWO, RWOP | no | the selected node (`kubernetes.io/hostname`) |
//! | `kubernetes.io/no-provisioner` | nothing is provisioned (static PVs) | any | no | whatever the PV says |
//! | `ebs.csi.aws.com`, `pd.csi.storage.gke.io`, `disk.csi.azure.com` | CSI block disks | RWO, RWOP | yes | the selected node's zone |
//! | `efs.csi.aws.com`, `nfs.csi.k8s.io` | CSI shared file storage | any | no | none |
//!
//! A CSI driver's install creates its CSIDriver object and registers its
//! node plugin on every node (the CSINode entry with its topology keys and
//! the topology label on the Node, as the kubelet's CSI node registration
//! does). Uninstalling removes both and stops provisioning, attaching and
//! mounting for it.
//!
//! What other parts of the engine call:
//!
//! - the scheduler: [`scheduling::pre_filter`], [`scheduling::filter`],
//!   [`scheduling::pre_bind`] (see that module);
//! - the kubelet: [`volume_id_for_pv`] (where a PV's bytes are),
//!   [`can_mount`] (driver registered, attachable volume attached: the
//!   error is its retry reason), [`attachment_ready`], and
//!   [`volumes_in_use`] for node.status.volumesInUse, which the
//!   attach/detach controller reads to know a volume was unmounted (a node
//!   status write must keep node.status.volumesAttached, which that
//!   controller owns);
//! - property tests: [`invariants`].

pub mod invariants;
pub mod scheduling;

use crate::engine::api::*;
use crate::engine::apiserver::Api;
use crate::engine::control::Cx;
use crate::engine::quantity::Quantity;
use crate::engine::world::{FileTree, Provisioner, VolumeId, World};
use std::collections::BTreeSet;

/// `ref.GetReference` for a claim (the PV's claimRef).
pub fn claim_reference(c: &PersistentVolumeClaim) -> ObjectReference {
    ObjectReference {
        kind: "PersistentVolumeClaim".into(),
        namespace: c.metadata.namespace.clone(),
        name: c.metadata.name.clone(),
        uid: c.metadata.uid.clone(),
        api_version: "v1".into(),
        resource_version: c.metadata.resource_version.clone(),
        field_path: String::new(),
    }
}

// ---------------------------------------------------------------- annotations

pub const ANN_BIND_COMPLETED: &str = "pv.kubernetes.io/bind-completed";
pub const ANN_BOUND_BY_CONTROLLER: &str = "pv.kubernetes.io/bound-by-controller";
pub const ANN_SELECTED_NODE: &str = "volume.kubernetes.io/selected-node";
pub const ANN_STORAGE_PROVISIONER: &str = "volume.kubernetes.io/storage-provisioner";
pub const ANN_BETA_STORAGE_PROVISIONER: &str = "volume.beta.kubernetes.io/storage-provisioner";
pub const ANN_DYNAMICALLY_PROVISIONED: &str = "pv.kubernetes.io/provisioned-by";
pub const ANN_MIGRATED_TO: &str = "pv.kubernetes.io/migrated-to";
pub const ANN_RESIZER: &str = "volume.kubernetes.io/storage-resizer";
pub const NOT_SUPPORTED_PROVISIONER: &str = "kubernetes.io/no-provisioner";
/// The finalizer external-provisioner puts on the PVs it provisions.
pub const FINALIZER_EXTERNAL_PROVISIONER: &str = "external-provisioner.volume.kubernetes.io/finalizer";
pub const FINALIZER_PV_PROTECTION: &str = "kubernetes.io/pv-protection";
pub const FINALIZER_PVC_PROTECTION: &str = "kubernetes.io/pvc-protection";
/// The taint that lets the attach/detach controller detach at once.
pub const TAINT_OUT_OF_SERVICE: &str = "node.kubernetes.io/out-of-service";
/// Where kind's local-path provisioner keeps its volumes on each node.
pub const LOCAL_PATH_BASE: &str = "/var/local-path-provisioner";

// ---------------------------------------------------------------- drivers

/// What kind of storage a driver provides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// rancher.io/local-path: a directory on the selected node.
    LocalPath,
    /// kubernetes.io/no-provisioner: static PVs only.
    NoProvisioner,
    /// A zonal network block disk (CSI, attachable, RWO/RWOP).
    ZonalDisk,
    /// Shared file storage (CSI, not attachable, any access mode).
    SharedFile,
}

/// Static facts about a storage driver.
#[derive(Clone, Debug)]
pub struct DriverInfo {
    pub name: String,
    pub family: Family,
    /// Whether it registers as a CSI driver (CSIDriver object, CSINode entry).
    pub csi: bool,
    pub attach_required: bool,
    /// The node label (and CSINode topology key) its volumes are pinned to.
    pub topology_key: Option<&'static str>,
    /// Volumes one node can have attached (CSINode allocatable count).
    pub max_volumes_per_node: Option<i32>,
    /// How long creating a volume takes (ms).
    pub provision_ms: i64,
    /// How long deleting a volume takes (ms).
    pub delete_ms: i64,
    /// How long ControllerPublish / ControllerUnpublish take (ms).
    pub attach_ms: i64,
    pub detach_ms: i64,
    /// How long the controller-side expansion takes (ms).
    pub expand_ms: i64,
    /// The name of the controller pod whose identity appears in events.
    pub controller_pod: &'static str,
}

impl DriverInfo {
    pub fn supports_expansion(&self) -> bool {
        matches!(self.family, Family::ZonalDisk | Family::SharedFile)
    }
    /// The access modes the driver can provision.
    pub fn supports_access_mode(&self, mode: &PersistentVolumeAccessMode) -> bool {
        match self.family {
            Family::LocalPath | Family::ZonalDisk => matches!(mode, PersistentVolumeAccessMode::ReadWriteOnce | PersistentVolumeAccessMode::ReadWriteOncePod),
            _ => true,
        }
    }
}

/// The facts about a driver by name. Unknown names are generic CSI drivers
/// (shared, not attachable), which is what installing one means here.
pub fn driver_info(name: &str) -> DriverInfo {
    let base = DriverInfo {
        name: name.to_string(),
        family: Family::SharedFile,
        csi: true,
        attach_required: false,
        topology_key: None,
        max_volumes_per_node: None,
        provision_ms: 3_000,
        delete_ms: 2_000,
        attach_ms: 0,
        detach_ms: 0,
        expand_ms: 3_000,
        controller_pod: "csi-controller",
    };
    match name {
        "rancher.io/local-path" => {
            DriverInfo { family: Family::LocalPath, csi: false, provision_ms: 1_500, delete_ms: 1_500, controller_pod: "local-path-provisioner", ..base }
        }
        NOT_SUPPORTED_PROVISIONER => DriverInfo { family: Family::NoProvisioner, csi: false, controller_pod: "", ..base },
        "ebs.csi.aws.com" => DriverInfo {
            family: Family::ZonalDisk,
            attach_required: true,
            topology_key: Some("topology.ebs.csi.aws.com/zone"),
            max_volumes_per_node: Some(25),
            provision_ms: 6_000,
            delete_ms: 4_000,
            attach_ms: 5_000,
            detach_ms: 4_000,
            expand_ms: 6_000,
            controller_pod: "ebs-csi-controller",
            ..base
        },
        "pd.csi.storage.gke.io" => DriverInfo {
            family: Family::ZonalDisk,
            attach_required: true,
            topology_key: Some("topology.gke.io/zone"),
            max_volumes_per_node: Some(127),
            provision_ms: 5_000,
            delete_ms: 4_000,
            attach_ms: 4_000,
            detach_ms: 4_000,
            expand_ms: 5_000,
            controller_pod: "csi-gce-pd-controller",
            ..base
        },
        "disk.csi.azure.com" => DriverInfo {
            family: Family::ZonalDisk,
            attach_required: true,
            topology_key: Some("topology.disk.csi.azure.com/zone"),
            max_volumes_per_node: Some(8),
            provision_ms: 8_000,
            delete_ms: 6_000,
            attach_ms: 10_000,
            detach_ms: 8_000,
            expand_ms: 8_000,
            controller_pod: "csi-azuredisk-controller",
            ..base
        },
        "efs.csi.aws.com" => DriverInfo { provision_ms: 3_000, controller_pod: "efs-csi-controller", ..base },
        "nfs.csi.k8s.io" => DriverInfo { provision_ms: 2_000, delete_ms: 1_500, controller_pod: "csi-nfs-controller", ..base },
        _ => base,
    }
}

/// In-tree provisioner names the PV controller hands to a CSI driver (CSI migration).
pub fn migrated_csi_name(provisioner: &str) -> Option<&'static str> {
    match provisioner {
        "kubernetes.io/aws-ebs" => Some("ebs.csi.aws.com"),
        "kubernetes.io/gce-pd" => Some("pd.csi.storage.gke.io"),
        "kubernetes.io/azure-disk" => Some("disk.csi.azure.com"),
        _ => None,
    }
}

/// A random-looking but deterministic suffix like a ReplicaSet pod's.
fn pod_suffix(api: &mut Api) -> String {
    format!("{}-{}", api.rng.string(10), api.rng.string(5))
}

/// Installs a driver cluster-wide (its provisioner and, for CSI drivers,
/// the CSIDriver object and the node plugin on every node). The
/// provisioner's first list of waiting claims is the controller's
/// (`bootstrap::install_driver` does both).
pub fn install_driver(cx: &mut Cx, name: &str) {
    cx.world.drivers.insert(name.to_string());
    let info = driver_info(name);
    if !info.controller_pod.is_empty() {
        let identity = format!("{}_{}-{}_{}", name, info.controller_pod, pod_suffix(cx.api), cx.api.rng.uuid());
        let stamp = format!("{}-{}-{}", cx.api.now.0, cx.api.rng.below(10_000), name);
        cx.world.provisioners.insert(name.to_string(), Box::new(Provisioner { identity, stamp }));
    }
    if info.csi {
        let d = CsiDriver {
            metadata: ObjectMeta::named("", name),
            spec: CsiDriverSpec { attach_required: Some(info.attach_required), ..Default::default() },
            ..Default::default()
        };
        if cx.api.get_t::<CsiDriver>("", name).is_none() {
            let _ = cx.api.create(Object::CsiDriver(d));
        }
    }
    let nodes: Vec<String> = cx.api.store.list_t::<Node>().map(|n| n.metadata.name.clone()).collect();
    for n in nodes {
        register_node_plugins(cx, &n);
    }
}

/// Removes a driver: provisioning, attaching and mounting with it stop.
pub fn uninstall_driver(cx: &mut Cx, name: &str) {
    cx.world.drivers.remove(name);
    cx.world.provisioners.remove(name);
    if cx.api.get_t::<CsiDriver>("", name).is_some() {
        let _ = cx.api.delete(Kind::CsiDriver, "", name, &Default::default());
    }
    let nodes: Vec<CsiNode> = cx.api.store.list_t::<CsiNode>().filter(|c| c.spec.drivers.iter().any(|d| d.name == name)).cloned().collect();
    for mut c in nodes {
        c.spec.drivers.retain(|d| d.name != name);
        let _ = cx.api.update(Object::CsiNode(c));
    }
}

/// The node plugins of installed CSI drivers register on a node: the
/// kubelet records them in the node's CSINode object and labels the Node
/// with each driver's topology key. Idempotent.
pub fn register_node_plugins(cx: &mut Cx, node: &str) {
    let Some(n) = cx.api.get_t::<Node>("", node).cloned() else { return };
    let zone = n.metadata.labels.get("topology.kubernetes.io/zone").cloned().unwrap_or_default();
    let csi: Vec<DriverInfo> = cx.world.drivers.iter().map(|d| driver_info(d)).filter(|d| d.csi).collect();
    // Topology labels on the Node.
    let mut labelled = n.clone();
    for d in &csi {
        if let Some(key) = d.topology_key
            && !zone.is_empty()
            && labelled.metadata.labels.get(key) != Some(&zone)
        {
            labelled.metadata.labels.insert(key.to_string(), zone.clone());
        }
    }
    if labelled != n {
        let _ = cx.api.update(Object::Node(labelled));
    }
    // The CSINode object (the kubelet creates it, owned by the Node).
    let drivers: Vec<CsiNodeDriver> = csi
        .iter()
        .map(|d| CsiNodeDriver {
            name: d.name.clone(),
            node_id: csi_node_id(&d.name, node, &zone),
            topology_keys: d.topology_key.map(|k| vec![k.to_string()]).unwrap_or_default(),
            allocatable: d.max_volumes_per_node.map(|c| VolumeNodeResources { count: Some(c) }),
        })
        .collect();
    match cx.api.get_t::<CsiNode>("", node).cloned() {
        Some(mut c) => {
            let mut changed = false;
            for d in drivers {
                if !c.spec.drivers.iter().any(|x| x.name == d.name) {
                    c.spec.drivers.push(d);
                    changed = true;
                }
            }
            if changed {
                let _ = cx.api.update(Object::CsiNode(c));
            }
        }
        None => {
            let mut meta = ObjectMeta::named("", node);
            meta.annotations.insert("storage.alpha.kubernetes.io/migrated-plugins".into(), "kubernetes.io/aws-ebs,kubernetes.io/azure-disk,kubernetes.io/azure-file,kubernetes.io/cinder,kubernetes.io/gce-pd,kubernetes.io/portworx-volume,kubernetes.io/vsphere-volume".into());
            meta.owner_references.push(OwnerReference {
                api_version: "v1".into(),
                kind: "Node".into(),
                name: node.into(),
                uid: n.metadata.uid.clone(),
                controller: None,
                block_owner_deletion: None,
            });
            let c = CsiNode { metadata: meta, spec: CsiNodeSpec { drivers }, ..Default::default() };
            let _ = cx.api.create(Object::CsiNode(c));
        }
    }
}

/// The node ID a CSI node plugin reports (an instance ID, a GCE instance path, ...).
pub fn csi_node_id(driver: &str, node: &str, zone: &str) -> String {
    match driver {
        "ebs.csi.aws.com" | "efs.csi.aws.com" => format!("i-0{}", &sha256_hex(node.as_bytes())[..16]),
        "pd.csi.storage.gke.io" => format!("projects/kubarium/zones/{zone}/instances/{node}"),
        _ => node.to_string(),
    }
}

/// The identity an external provisioner reports as the source of its events.
pub fn provisioner_identity(world: &World, driver: &str) -> String {
    world.provisioners.get(driver).map_or_else(|| driver.to_string(), |p| p.identity.clone())
}

/// Whether the driver's node and controller plugins are running.
pub fn driver_installed(world: &World, driver: &str) -> bool {
    world.drivers.contains(driver)
}

// ---------------------------------------------------------------- claims and volumes

/// `GetPersistentVolumeClaimClass`: the claim's class ("" for none).
pub fn claim_class(c: &PersistentVolumeClaim) -> &str {
    if let Some(v) = c.metadata.annotations.get("volume.beta.kubernetes.io/storage-class") {
        return v;
    }
    c.spec.storage_class_name.as_deref().unwrap_or("")
}

/// `GetPersistentVolumeClass`.
pub fn pv_class(v: &PersistentVolume) -> &str {
    if let Some(c) = v.metadata.annotations.get("volume.beta.kubernetes.io/storage-class") {
        return c;
    }
    &v.spec.storage_class_name
}

/// `IsDelayBindingMode`: the claim's class exists and binds WaitForFirstConsumer.
pub fn is_delay_binding(api: &Api, c: &PersistentVolumeClaim) -> bool {
    let class = claim_class(c);
    if class.is_empty() {
        return false;
    }
    api.get_t::<StorageClass>("", class).is_some_and(|sc| sc.waits_for_first_consumer())
}

pub fn requested_storage(c: &PersistentVolumeClaim) -> Quantity {
    c.spec.resources.requests.get("storage").cloned().unwrap_or_default()
}

pub fn pv_capacity(v: &PersistentVolume) -> Quantity {
    v.spec.capacity.get("storage").cloned().unwrap_or_default()
}

/// `CheckAccessModes`: the volume offers every mode the claim asks for.
pub fn check_access_modes(c: &PersistentVolumeClaim, v: &PersistentVolume) -> bool {
    c.spec.access_modes.iter().all(|m| v.spec.access_modes.contains(m))
}

pub fn volume_mode_mismatch(c: &PersistentVolumeClaim, v: &PersistentVolume) -> bool {
    c.spec.volume_mode.as_deref().unwrap_or("Filesystem") != v.spec.volume_mode.as_deref().unwrap_or("Filesystem")
}

/// `IsVolumeBoundToClaim`.
pub fn is_volume_bound_to_claim(v: &PersistentVolume, c: &PersistentVolumeClaim) -> bool {
    match &v.spec.claim_ref {
        None => false,
        Some(r) => r.name == c.metadata.name && r.namespace == c.metadata.namespace && (r.uid.is_empty() || r.uid == c.metadata.uid),
    }
}

/// `CheckNodeAffinity`: a PV without node affinity fits every node.
pub fn check_node_affinity(v: &PersistentVolume, node: &Node) -> bool {
    match v.spec.node_affinity.as_ref().and_then(|a| a.required.as_ref()) {
        None => true,
        Some(sel) => sel.matches(node),
    }
}

/// `FindMatchingVolume`: the smallest volume that satisfies the claim, or
/// the volume already pre-bound to it. `node` is set when the scheduler
/// asks for one node (topology and access modes are then checked too).
pub fn find_matching_volume<'a>(
    c: &PersistentVolumeClaim,
    volumes: &[&'a PersistentVolume],
    node: Option<&Node>,
    excluded: &BTreeSet<String>,
    delay_binding: bool,
) -> Option<&'a PersistentVolume> {
    let requested = requested_storage(c);
    let class = claim_class(c);
    let mut smallest: Option<&'a PersistentVolume> = None;
    for &v in volumes {
        if excluded.contains(&v.metadata.name) {
            continue;
        }
        if v.spec.claim_ref.is_some() && !is_volume_bound_to_claim(v, c) {
            continue;
        }
        let cap = pv_capacity(v);
        if cap < requested {
            continue;
        }
        if volume_mode_mismatch(c, v) {
            continue;
        }
        if c.spec.volume_attributes_class_name.as_deref().unwrap_or("") != v.spec.volume_attributes_class_name.as_deref().unwrap_or("") {
            continue;
        }
        if v.metadata.is_deleting() {
            continue;
        }
        let affinity_ok = node.is_none_or(|n| check_node_affinity(v, n));
        if is_volume_bound_to_claim(v, c) {
            return if affinity_ok { Some(v) } else { None };
        }
        if node.is_none() && delay_binding {
            continue;
        }
        if v.status.phase != PersistentVolumePhase::Available {
            continue;
        }
        if let Some(sel) = &c.spec.selector
            && !sel.matches(&v.metadata.labels)
        {
            continue;
        }
        if pv_class(v) != class {
            continue;
        }
        if !affinity_ok {
            continue;
        }
        if node.is_some() && !check_access_modes(c, v) {
            continue;
        }
        if smallest.is_none_or(|s| pv_capacity(s) > cap) {
            smallest = Some(v);
        }
    }
    smallest
}

/// The PV controller's `findBestMatchForClaim`: volumes are grouped by their
/// access-mode set; groups that contain every requested mode are tried from
/// the fewest modes up, and the smallest fitting volume of the first group
/// with one wins.
pub fn find_best_match_for_claim<'a>(c: &PersistentVolumeClaim, volumes: &[&'a PersistentVolume], delay_binding: bool) -> Option<&'a PersistentVolume> {
    // (mode count, modes) -> volumes, in a Vec sorted below: a BTreeMap of
    // this key layout was the wasm's only one
    let mut groups: Vec<((usize, String), Vec<&'a PersistentVolume>)> = vec![];
    for &v in volumes {
        let mut modes = v.spec.access_modes.clone();
        crate::engine::sort::sort_by(&mut modes, |a, b| a.as_str().cmp(b.as_str()));
        modes.dedup();
        if !c.spec.access_modes.iter().all(|m| modes.contains(m)) {
            continue;
        }
        let key = (modes.len(), access_modes_string(&modes));
        match groups.iter_mut().find(|g| g.0 == key) {
            Some(g) => g.1.push(v),
            None => groups.push((key, vec![v])),
        }
    }
    crate::engine::sort::sort_by(&mut groups, |a, b| a.0.cmp(&b.0));
    let none = BTreeSet::new();
    groups.iter().find_map(|g| find_matching_volume(c, &g.1, None, &none, delay_binding))
}

/// `IsPodTerminated`: the pod's containers are done (or it is deleted and
/// nothing runs any more).
pub fn is_pod_terminated(p: &Pod) -> bool {
    if p.status.phase.is_terminal() {
        return true;
    }
    let not_running = |s: &[ContainerStatus]| s.iter().all(|c| c.state.running.is_none() && c.state.waiting.is_none());
    p.metadata.is_deleting() && not_running(&p.status.init_container_statuses) && not_running(&p.status.container_statuses)
}

/// The claim names a pod's volumes use.
pub fn pod_claims(p: &Pod) -> impl Iterator<Item = &str> {
    p.spec.volumes.iter().filter_map(|v| v.persistent_volume_claim.as_ref().map(|c| c.claim_name.as_str()))
}

/// The PV behind a bound claim.
pub fn claim_volume<'a>(api: &'a Api, c: &PersistentVolumeClaim) -> Option<&'a PersistentVolume> {
    if c.spec.volume_name.is_empty() {
        return None;
    }
    api.get_t::<PersistentVolume>("", &c.spec.volume_name)
}

// ---------------------------------------------------------------- attach and mount

/// The unique volume name the attach/detach controller and the kubelet use
/// (node.status.volumesAttached / volumesInUse).
pub fn unique_volume_name(v: &PersistentVolume) -> String {
    if let Some(c) = &v.spec.csi {
        return format!("kubernetes.io/csi/{}^{}", c.driver, c.volume_handle);
    }
    if let Some(h) = &v.spec.host_path {
        return format!("kubernetes.io/host-path/{}", h.path);
    }
    if let Some(n) = &v.spec.nfs {
        return format!("kubernetes.io/nfs/{}/{}", n.server, n.path);
    }
    format!("kubernetes.io/local-volume/{}", v.metadata.name)
}

/// Whether the volume must be attached to a node before it is mounted: a
/// CSI volume whose CSIDriver says attachRequired (the CSI attacher's
/// rule; a CSI volume without a CSIDriver object is attachable too).
pub fn is_attachable(api: &Api, v: &PersistentVolume) -> bool {
    match &v.spec.csi {
        None => false,
        Some(c) => api.get_t::<CsiDriver>("", &c.driver).is_none_or(|d| d.spec.attach_required != Some(false)),
    }
}

/// `IsMultiAttachAllowed`: ReadWriteMany / ReadOnlyMany volumes may be
/// attached to several nodes.
pub fn multi_attach_allowed(v: &PersistentVolume) -> bool {
    v.spec.access_modes.iter().any(|m| matches!(m, PersistentVolumeAccessMode::ReadWriteMany | PersistentVolumeAccessMode::ReadOnlyMany))
}

/// The VolumeAttachment name the CSI attacher uses:
/// `csi-<sha256(volumeHandle + driver + node)>`.
pub fn volume_attachment_name(handle: &str, driver: &str, node: &str) -> String {
    format!("csi-{}", sha256_hex(format!("{handle}{driver}{node}").as_bytes()))
}

/// For the kubelet: is the PV's volume attached to `node` (or does it need
/// no attaching)? Attachable volumes are ready once their VolumeAttachment
/// reports `attached: true`.
pub fn attachment_ready(api: &Api, v: &PersistentVolume, node: &str) -> bool {
    let Some(c) = &v.spec.csi else { return true };
    if !is_attachable(api, v) {
        return true;
    }
    let name = volume_attachment_name(&c.volume_handle, &c.driver, node);
    api.get_t::<VolumeAttachment>("", &name).is_some_and(|va| va.status.attached && !va.metadata.is_deleting())
}

/// For the kubelet: can it mount this PV's volume on `node` now? The error
/// is the text of its `FailedMount` event.
pub fn can_mount(api: &Api, world: &World, v: &PersistentVolume, node: &str) -> Result<(), String> {
    if let Some(c) = &v.spec.csi {
        if !driver_installed(world, &c.driver) {
            let op = if is_attachable(api, v) { "MountVolume.MountDevice" } else { "MountVolume.SetUp" };
            let inner = if is_attachable(api, v) {
                "kubernetes.io/csi: attacher.MountDevice failed to create newCsiDriverClient"
            } else {
                "kubernetes.io/csi: mounter.SetUpAt failed to get CSI client"
            };
            return Err(format!(
                "{op} failed for volume \"{}\" : {inner}: driver name {} not found in the list of registered CSI drivers",
                v.metadata.name, c.driver
            ));
        }
        if !attachment_ready(api, v, node) {
            // VerifyControllerAttachedVolume's error (the kubelet retries).
            return Err(format!("Volume not attached according to node status for volume \"{}\"", v.metadata.name));
        }
    }
    Ok(())
}

/// For the kubelet's node status: the unique names of the attachable
/// volumes mounted by the pods it runs (node.status.volumesInUse).
pub fn volumes_in_use(api: &Api, node: &str) -> Vec<String> {
    let mut out = BTreeSet::new();
    for p in api.store.pods_on_node(node) {
        if is_pod_terminated(p) {
            continue;
        }
        for claim in pod_claims(p) {
            let Some(c) = api.get_t::<PersistentVolumeClaim>(&p.metadata.namespace, claim) else { continue };
            if let Some(v) = claim_volume(api, c)
                && is_attachable(api, v)
            {
                out.insert(unique_volume_name(v));
            }
        }
    }
    out.into_iter().collect()
}

// ---------------------------------------------------------------- data

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

/// The nodes whose copy of a node-local volume counts: those the PV's node
/// affinity selects (all nodes when it has none).
pub fn pv_home_nodes(api: &Api, pv: &PersistentVolume) -> Vec<String> {
    api.store.list_t::<Node>().filter(|n| check_node_affinity(pv, n)).map(|n| n.metadata.name.clone()).collect()
}

/// Every place the PV's bytes live (one per home node for node-local sources).
pub fn volume_ids(api: &Api, pv: &PersistentVolume) -> Vec<VolumeId> {
    if pv.spec.host_path.is_some() || pv.spec.local.is_some() {
        pv_home_nodes(api, pv).iter().map(|n| volume_id_for_pv(pv, n)).collect()
    } else {
        vec![volume_id_for_pv(pv, "")]
    }
}

/// Empties a volume (what the recycler pod's `find /scrub -mindepth 1 -delete` does).
pub fn scrub(world: &mut World, id: &VolumeId) {
    if let Some(t) = world.volumes.get_mut(id) {
        **t = FileTree::default();
    }
}

// ---------------------------------------------------------------- sha256

/// SHA-256 of `data` as lower-case hex (the CSI attacher names
/// VolumeAttachments with it).
pub fn sha256_hex(data: &[u8]) -> String {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
        0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
        0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
        0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ];
    let mut h: [u32; 8] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
    let mut msg = data.to_vec();
    let bit_len = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bit_len.to_be_bytes());
    for chunk in msg.chunks(64) {
        let mut w = [0u32; 64];
        for i in 0..16 {
            w[i] = u32::from_be_bytes([chunk[4 * i], chunk[4 * i + 1], chunk[4 * i + 2], chunk[4 * i + 3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16].wrapping_add(s0).wrapping_add(w[i - 7]).wrapping_add(s1);
        }
        let mut s = h;
        for i in 0..64 {
            let s1 = s[4].rotate_right(6) ^ s[4].rotate_right(11) ^ s[4].rotate_right(25);
            let ch = (s[4] & s[5]) ^ (!s[4] & s[6]);
            let t1 = s[7].wrapping_add(s1).wrapping_add(ch).wrapping_add(K[i]).wrapping_add(w[i]);
            let s0 = s[0].rotate_right(2) ^ s[0].rotate_right(13) ^ s[0].rotate_right(22);
            let maj = (s[0] & s[1]) ^ (s[0] & s[2]) ^ (s[1] & s[2]);
            let t2 = s0.wrapping_add(maj);
            s = [t1.wrapping_add(t2), s[0], s[1], s[2], s[3].wrapping_add(t1), s[4], s[5], s[6]];
        }
        for i in 0..8 {
            h[i] = h[i].wrapping_add(s[i]);
        }
    }
    h.iter().map(|x| format!("{x:08x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_known_vectors() {
        assert_eq!(sha256_hex(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        let long = vec![b'a'; 1000];
        assert_eq!(sha256_hex(&long), "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
    }

    #[test]
    fn attachment_names_follow_the_csi_attacher() {
        let n = volume_attachment_name("vol-1", "ebs.csi.aws.com", "node-a");
        assert_eq!(n, format!("csi-{}", sha256_hex(b"vol-1ebs.csi.aws.comnode-a")));
        assert_eq!(n.len(), 68);
    }

    fn pv(name: &str, size: &str, modes: &[&str], class: &str) -> PersistentVolume {
        let mut v = PersistentVolume::default();
        v.metadata.name = name.into();
        v.spec.capacity.insert("storage".into(), Quantity::parse(size).unwrap());
        v.spec.access_modes = modes.iter().map(|s| PersistentVolumeAccessMode::parse(s)).collect();
        v.spec.storage_class_name = class.into();
        v.status.phase = PersistentVolumePhase::Available;
        v
    }

    fn claim(size: &str, modes: &[&str], class: Option<&str>) -> PersistentVolumeClaim {
        let mut c = PersistentVolumeClaim { metadata: ObjectMeta::named("default", "c"), ..Default::default() };
        c.metadata.uid = "uid-c".into();
        c.spec.resources.requests.insert("storage".into(), Quantity::parse(size).unwrap());
        c.spec.access_modes = modes.iter().map(|s| PersistentVolumeAccessMode::parse(s)).collect();
        c.spec.storage_class_name = class.map(|s| s.to_string());
        c
    }

    #[test]
    fn best_match_prefers_fewest_modes_then_smallest() {
        let a = pv("a", "2Gi", &["ReadWriteOnce", "ReadWriteMany"], "");
        let b = pv("b", "5Gi", &["ReadWriteOnce", "ReadWriteMany"], "");
        let c = pv("c", "10Gi", &["ReadWriteOnce"], "");
        let vols = [&a, &b, &c];
        assert_eq!(find_best_match_for_claim(&claim("1Gi", &["ReadWriteOnce"], Some("")), &vols, false).unwrap().metadata.name, "c");
        assert_eq!(find_best_match_for_claim(&claim("3Gi", &["ReadWriteMany"], Some("")), &vols, false).unwrap().metadata.name, "b");
        assert!(find_best_match_for_claim(&claim("20Gi", &["ReadWriteOnce"], Some("")), &vols, false).is_none());
        // class must match: "" vs "fast"
        assert!(find_best_match_for_claim(&claim("1Gi", &["ReadWriteOnce"], Some("fast")), &vols, false).is_none());
        // delayed binding never picks a free volume without a node
        assert!(find_best_match_for_claim(&claim("1Gi", &["ReadWriteOnce"], Some("")), &vols, true).is_none());
    }

    #[test]
    fn selector_and_prebound_volumes() {
        let mut a = pv("a", "2Gi", &["ReadWriteOnce"], "");
        a.metadata.labels.insert("tier".into(), "gold".into());
        let b = pv("b", "1Gi", &["ReadWriteOnce"], "");
        let mut c = claim("1Gi", &["ReadWriteOnce"], Some(""));
        c.spec.selector = Some(LabelSelector { match_labels: [("tier".to_string(), "gold".to_string())].into(), ..Default::default() });
        assert_eq!(find_best_match_for_claim(&c, &[&a, &b], false).unwrap().metadata.name, "a");
        // a volume pre-bound to another claim is skipped; one pre-bound to this claim wins
        let mut d = pv("d", "100Gi", &["ReadWriteOnce"], "other");
        d.spec.claim_ref = Some(ObjectReference { name: "c".into(), namespace: "default".into(), ..Default::default() });
        let c2 = claim("1Gi", &["ReadWriteOnce"], Some(""));
        assert_eq!(find_best_match_for_claim(&c2, &[&b, &d], true).unwrap().metadata.name, "d");
        d.spec.claim_ref.as_mut().unwrap().name = "x".into();
        assert_eq!(find_best_match_for_claim(&c2, &[&b, &d], false).unwrap().metadata.name, "b");
    }

    #[test]
    fn access_mode_strings() {
        assert_eq!(access_modes_string(&[PersistentVolumeAccessMode::ReadWriteMany, PersistentVolumeAccessMode::ReadWriteOnce]), "RWO,RWX");
        assert_eq!(access_modes_string(&[PersistentVolumeAccessMode::ReadWriteOncePod]), "RWOP");
    }
}
