//! The external provisioners of the installed drivers (sig-storage-lib-
//! external-provisioner, as rancher's local-path-provisioner and every CSI
//! driver's csi-provisioner sidecar run it): they provision claims the PV
//! controller annotated with their name (for WaitForFirstConsumer classes
//! only once the scheduler set selected-node), create the PV bound to the
//! claim, and delete released volumes whose reclaim policy is Delete.
//!
//! Each operation takes the driver's time (a second or two for local-path,
//! several seconds for cloud disks). Failures are retried with exponential
//! backoff on timers that do not keep `settle` busy.

use super::pvbinder::{claim_reference, update_t};
use super::{Controller, Ctl, Cx, WorkQueue};
use crate::engine::api::*;
use crate::engine::apiserver::Api;
use crate::engine::quantity::Quantity;
use crate::engine::storage::{self, *};
use crate::engine::store::Change;
use crate::engine::time::{Millis, Time};
use crate::engine::world::VolumeId;
use std::collections::BTreeMap;

const RETRY_START: Millis = 1_000;
const RETRY_MAX: Millis = 300_000;

#[derive(Clone, Debug)]
struct Backoff {
    failures: u32,
    next_at: Millis,
}

#[derive(Clone, Default)]
pub struct Provisioner {
    /// claim uid -> when its volume is ready.
    provisioning: BTreeMap<String, Millis>,
    /// claim uid -> retry state after failures.
    // Boxed values: BTreeMap's code is compiled per value size, and maps of
    // pointer-sized values share one copy in the wasm.
    backoff: BTreeMap<String, Box<Backoff>>,
    /// PV name -> when its volume is gone.
    deleting: BTreeMap<String, Millis>,
}

/// The provisioner name a claim asks for.
fn claim_provisioner(c: &PersistentVolumeClaim) -> Option<&str> {
    c.metadata.annotations.get(ANN_STORAGE_PROVISIONER).or_else(|| c.metadata.annotations.get(ANN_BETA_STORAGE_PROVISIONER)).map(|s| s.as_str())
}

/// Whether a running external provisioner serves this name.
fn serves(world: &crate::engine::world::World, name: &str) -> bool {
    name != NOT_SUPPORTED_PROVISIONER && !driver_info(name).controller_pod.is_empty() && driver_installed(world, name)
}

/// Rounds a size up to whole GiB (cloud disks are allocated in GiB).
fn round_up_gib(q: &Quantity) -> Quantity {
    const GIB: i64 = 1 << 30;
    let v = q.value().max(1);
    let gib = (v + GIB - 1) / GIB;
    Quantity::parse(&format!("{gib}Gi")).unwrap_or(*q)
}

fn hex(api: &mut Api, n: usize) -> String {
    (0..n).map(|_| std::char::from_digit(api.rng.below(16) as u32, 16).unwrap_or('0')).collect()
}

impl Provisioner {
    /// `shouldProvision`.
    fn should_provision(cx: &Cx, c: &PersistentVolumeClaim) -> bool {
        if !c.spec.volume_name.is_empty() || c.metadata.is_deleting() {
            return false;
        }
        let Some(p) = claim_provisioner(c) else { return false };
        if !serves(cx.world, p) {
            return false;
        }
        let Some(sc) = cx.api.get_t::<StorageClass>("", claim_class(c)) else { return false };
        if sc.waits_for_first_consumer() {
            return c.metadata.annotations.get(ANN_SELECTED_NODE).is_some_and(|n| !n.is_empty());
        }
        true
    }

    fn sync_claim(&mut self, cx: &mut Cx, key: &ObjKey) {
        let Some(c) = cx.api.get_t::<PersistentVolumeClaim>(&key.namespace, &key.name).cloned() else { return };
        let uid = c.metadata.uid.clone();
        if !Self::should_provision(cx, &c) {
            self.provisioning.remove(&uid);
            if !c.spec.volume_name.is_empty() {
                self.backoff.remove(&uid);
            }
            return;
        }
        let now = cx.api.now.0;
        if let Some(due) = self.provisioning.get(&uid).copied() {
            if due <= now {
                self.provisioning.remove(&uid);
                self.finish(cx, c);
            }
            return;
        }
        if self.backoff.get(&uid).is_some_and(|b| b.next_at > now) {
            return;
        }
        // The PV (named after the claim) may exist already.
        if cx.api.get_t::<PersistentVolume>("", &format!("pvc-{uid}")).is_some() {
            return;
        }
        let p = claim_provisioner(&c).unwrap_or_default().to_string();
        let info = driver_info(&p);
        if c.spec.volume_mode.as_deref() == Some("Block") && matches!(info.family, Family::LocalPath | Family::SharedFile) {
            // canProvision: no retry.
            let msg = format!("{p} does not support block volume provisioning");
            let from = provisioner_identity(cx.world, &p);
            cx.api.event(&Object::PersistentVolumeClaim(c), "Warning", "ProvisioningFailed", &msg, &from);
            return;
        }
        let from = provisioner_identity(cx.world, &p);
        let msg = format!("External provisioner is provisioning volume for claim \"{}/{}\"", c.metadata.namespace, c.metadata.name);
        cx.api.event(&Object::PersistentVolumeClaim(c.clone()), "Normal", "Provisioning", &msg, &from);
        let due = now + info.provision_ms;
        self.provisioning.insert(uid, due);
        cx.api.wake_at(Time(due), Ctl::Provisioner, c.obj_ref());
    }

    fn fail(&mut self, cx: &mut Cx, c: &PersistentVolumeClaim, msg: &str) {
        let p = claim_provisioner(c).unwrap_or_default().to_string();
        let from = provisioner_identity(cx.world, &p);
        cx.api.event(&Object::PersistentVolumeClaim(c.clone()), "Warning", "ProvisioningFailed", msg, &from);
        let now = cx.api.now.0;
        let b = self.backoff.entry(c.metadata.uid.clone()).or_insert_with(|| Box::new(Backoff { failures: 0, next_at: now }));
        b.failures += 1;
        let delay = (RETRY_START << (b.failures - 1).min(20)).min(RETRY_MAX);
        b.next_at = now + delay;
        cx.api.wake_idle_at(Time(b.next_at), Ctl::Provisioner, c.obj_ref());
    }

    /// `provisionClaimOperation` once the driver has done its work.
    fn finish(&mut self, cx: &mut Cx, c: PersistentVolumeClaim) {
        let pv_name = format!("pvc-{}", c.metadata.uid);
        if cx.api.get_t::<PersistentVolume>("", &pv_name).is_some() {
            return;
        }
        let p = claim_provisioner(&c).unwrap_or_default().to_string();
        let info = driver_info(&p);
        let class_name = claim_class(&c).to_string();
        let Some(sc) = cx.api.get_t::<StorageClass>("", &class_name).cloned() else {
            // retried when the class comes back
            self.fail_quiet(cx, &c);
            return;
        };
        let node = match c.metadata.annotations.get(ANN_SELECTED_NODE).filter(|n| !n.is_empty()) {
            None => None,
            Some(n) => match cx.api.get_t::<Node>("", n).cloned() {
                Some(node) => Some(node),
                None => {
                    // ProvisioningReschedule: the scheduler picks another node.
                    let msg = format!("nodes {n:?} not found");
                    let from = provisioner_identity(cx.world, &p);
                    cx.api.event(&Object::PersistentVolumeClaim(c.clone()), "Warning", "ProvisioningFailed", &msg, &from);
                    let mut u = c.clone();
                    u.metadata.annotations.remove(ANN_SELECTED_NODE);
                    update_t(cx.api, u);
                    return;
                }
            },
        };
        let result = match info.family {
            Family::LocalPath => self.local_path(cx, &c, &sc, node.as_ref(), &pv_name),
            Family::ZonalDisk => self.zonal_disk(cx, &c, &sc, node.as_ref(), &pv_name, &info),
            _ => Ok(self.shared_file(cx, &c, &sc, &pv_name, &info)),
        };
        match result {
            Err(e) => {
                let msg = format!("failed to provision volume with StorageClass {class_name:?}: {e}");
                self.fail(cx, &c, &msg);
            }
            Ok((mut pv, data)) => {
                pv.metadata.name = pv_name.clone();
                pv.spec.claim_ref = Some(claim_reference(&c));
                pv.spec.storage_class_name = class_name.clone();
                pv.spec.persistent_volume_reclaim_policy = sc.reclaim();
                pv.spec.mount_options = sc.mount_options.clone();
                pv.spec.access_modes = c.spec.access_modes.clone();
                pv.spec.volume_mode = Some("Filesystem".into());
                pv.metadata.annotations.insert(ANN_DYNAMICALLY_PROVISIONED.into(), sc.provisioner.clone());
                if migrated_csi_name(&sc.provisioner).is_some() {
                    // A CSI-migrated in-tree class: the CSI driver owns the volume.
                    pv.metadata.annotations.insert(ANN_MIGRATED_TO.into(), p.clone());
                }
                if cx.api.create(Object::PersistentVolume(pv)).is_ok() {
                    cx.world.volumes.entry(Box::new(data)).or_default();
                    self.backoff.remove(&c.metadata.uid);
                    let from = provisioner_identity(cx.world, &p);
                    let msg = format!("Successfully provisioned volume {pv_name}");
                    cx.api.event(&Object::PersistentVolumeClaim(c), "Normal", "ProvisioningSucceeded", &msg, &from);
                }
            }
        }
    }

    fn fail_quiet(&mut self, cx: &mut Cx, c: &PersistentVolumeClaim) {
        let now = cx.api.now.0;
        let b = self.backoff.entry(c.metadata.uid.clone()).or_insert_with(|| Box::new(Backoff { failures: 0, next_at: now }));
        b.failures += 1;
        b.next_at = now + (RETRY_START << (b.failures - 1).min(20)).min(RETRY_MAX);
        cx.api.wake_idle_at(Time(b.next_at), Ctl::Provisioner, c.obj_ref());
    }

    /// rancher.io/local-path: a directory on the selected node.
    fn local_path(
        &mut self,
        _cx: &mut Cx,
        c: &PersistentVolumeClaim,
        _sc: &StorageClass,
        node: Option<&Node>,
        pv_name: &str,
    ) -> Result<(PersistentVolume, VolumeId), String> {
        if c.spec.selector.is_some() {
            return Err("claim.Spec.Selector is not supported".into());
        }
        if c.spec.access_modes.iter().any(|m| !matches!(m, PersistentVolumeAccessMode::ReadWriteOnce | PersistentVolumeAccessMode::ReadWriteOncePod)) {
            return Err("NodePath only supports ReadWriteOnce and ReadWriteOncePod (1.22+) access modes".into());
        }
        let Some(node) = node else { return Err("configuration error, no node was specified".into()) };
        let path = format!("{LOCAL_PATH_BASE}/{pv_name}_{}_{}", c.metadata.namespace, c.metadata.name);
        let host = node.metadata.labels.get("kubernetes.io/hostname").cloned().unwrap_or_else(|| node.metadata.name.clone());
        let mut pv = PersistentVolume::default();
        pv.metadata.annotations.insert("local.path.provisioner/selected-node".into(), node.metadata.name.clone());
        pv.spec.capacity.insert("storage".into(), requested_storage(c));
        pv.spec.host_path = Some(HostPathVolumeSource { path: path.clone(), type_: Some("DirectoryOrCreate".into()) });
        pv.spec.node_affinity =
            Some(VolumeNodeAffinity { required: Some(NodeSelector { node_selector_terms: vec![topology_term("kubernetes.io/hostname", &host)] }) });
        Ok((pv, VolumeId::HostDir { node: node.metadata.name.clone(), path }))
    }

    /// A zonal CSI block disk, created in the selected node's zone (or, for
    /// Immediate binding, in a zone the class allows).
    fn zonal_disk(
        &mut self,
        cx: &mut Cx,
        c: &PersistentVolumeClaim,
        sc: &StorageClass,
        node: Option<&Node>,
        pv_name: &str,
        info: &DriverInfo,
    ) -> Result<(PersistentVolume, VolumeId), String> {
        if c.spec.access_modes.iter().any(|m| !info.supports_access_mode(m)) {
            return Err("rpc error: code = InvalidArgument desc = Volume capabilities not supported".into());
        }
        let key = info.topology_key.unwrap_or("topology.kubernetes.io/zone");
        let zone = match node {
            Some(n) => n.metadata.labels.get(key).or_else(|| n.metadata.labels.get("topology.kubernetes.io/zone")).cloned().unwrap_or_default(),
            None => {
                let allowed: Vec<String> = sc
                    .allowed_topologies
                    .iter()
                    .flat_map(|t| t.match_label_expressions.iter())
                    .filter(|e| e.key == key || e.key == "topology.kubernetes.io/zone")
                    .flat_map(|e| e.values.clone())
                    .collect();
                let mut zones: Vec<String> = cx
                    .api
                    .store
                    .list_t::<CsiNode>()
                    .filter(|cn| cn.spec.drivers.iter().any(|d| d.name == info.name))
                    .filter_map(|cn| cx.api.get_t::<Node>("", &cn.metadata.name).and_then(|n| n.metadata.labels.get(key).cloned()))
                    .filter(|z| allowed.is_empty() || allowed.contains(z))
                    .collect();
                crate::engine::sort::sort(&mut zones);
                zones.dedup();
                if zones.is_empty() {
                    return Err("rpc error: code = ResourceExhausted desc = no topology segments available".into());
                }
                zones[cx.api.rng.below(zones.len() as u64) as usize].clone()
            }
        };
        let handle = match info.name.as_str() {
            "ebs.csi.aws.com" => format!("vol-0{}", hex(cx.api, 16)),
            "pd.csi.storage.gke.io" => format!("projects/kubarium/zones/{zone}/disks/{pv_name}"),
            "disk.csi.azure.com" => format!("/subscriptions/{}/resourceGroups/mc_kubarium/providers/Microsoft.Compute/disks/{pv_name}", cx.api.rng.uuid()),
            _ => pv_name.to_string(),
        };
        let mut pv = csi_pv(cx, &info.name, &handle, Some("ext4"));
        pv.spec.capacity.insert("storage".into(), round_up_gib(&requested_storage(c)));
        pv.spec.node_affinity = Some(VolumeNodeAffinity { required: Some(NodeSelector { node_selector_terms: vec![topology_term(key, &zone)] }) });
        Ok((pv, VolumeId::Disk { handle }))
    }

    /// Shared file storage (EFS access points, NFS sub-directories): any
    /// access mode, reachable from every node.
    fn shared_file(&mut self, cx: &mut Cx, c: &PersistentVolumeClaim, _sc: &StorageClass, pv_name: &str, info: &DriverInfo) -> (PersistentVolume, VolumeId) {
        let handle = match info.name.as_str() {
            "efs.csi.aws.com" => format!("fs-{}::fsap-0{}", hex(cx.api, 8), hex(cx.api, 16)),
            "nfs.csi.k8s.io" => format!("nfs-server.kube-system.svc.cluster.local#/#{pv_name}##"),
            _ => pv_name.to_string(),
        };
        let mut pv = csi_pv(cx, &info.name, &handle, None);
        pv.spec.capacity.insert("storage".into(), requested_storage(c));
        (pv, VolumeId::Disk { handle })
    }

    // ------------------------------------------------------------ deletion

    fn sync_volume(&mut self, cx: &mut Cx, name: &str) {
        let Some(v) = cx.api.get_t::<PersistentVolume>("", name).cloned() else {
            self.deleting.remove(name);
            return;
        };
        let Some(p) = v.metadata.annotations.get(ANN_DYNAMICALLY_PROVISIONED).cloned().or_else(|| v.spec.csi.as_ref().map(|c| c.driver.clone())) else {
            return;
        };
        let p = migrated_csi_name(&p).map(|s| s.to_string()).unwrap_or(p);
        if !serves(cx.world, &p) {
            self.deleting.remove(name);
            return;
        }
        let info = driver_info(&p);
        let v = if info.csi { Self::protection_finalizer(cx, v) } else { v };
        // shouldDelete
        let should = if info.csi { !v.metadata.is_deleting() || v.metadata.has_finalizer(FINALIZER_EXTERNAL_PROVISIONER) } else { !v.metadata.is_deleting() }
            && v.status.phase == PersistentVolumePhase::Released
            && v.spec.persistent_volume_reclaim_policy == PersistentVolumeReclaimPolicy::Delete;
        if !should {
            self.deleting.remove(name);
            return;
        }
        // A disk still attached somewhere cannot be deleted yet.
        if info.attach_required && cx.api.store.list_t::<VolumeAttachment>().any(|va| va.spec.source.persistent_volume_name.as_deref() == Some(name)) {
            return;
        }
        let now = cx.api.now.0;
        match self.deleting.get(name).copied() {
            None => {
                let due = now + info.delete_ms;
                self.deleting.insert(name.to_string(), due);
                cx.api.wake_at(Time(due), Ctl::Provisioner, ObjRef::new(Kind::PersistentVolume, "", name));
            }
            Some(due) if due <= now => {
                self.deleting.remove(name);
                for id in storage::volume_ids(cx.api, &v) {
                    cx.world.volumes.remove(&id);
                }
                let _ = cx.api.delete(Kind::PersistentVolume, "", name, &Default::default());
                if info.csi {
                    let _ = cx.api.remove_finalizer(Kind::PersistentVolume, &ObjKey::cluster(name), FINALIZER_EXTERNAL_PROVISIONER);
                }
            }
            Some(_) => {}
        }
    }

    /// `handleProtectionFinalizer` (csi-provisioner runs with the finalizer on).
    fn protection_finalizer(cx: &mut Cx, v: PersistentVolume) -> PersistentVolume {
        let policy = &v.spec.persistent_volume_reclaim_policy;
        let has = v.metadata.has_finalizer(FINALIZER_EXTERNAL_PROVISIONER);
        let mut n = v.clone();
        if *policy == PersistentVolumeReclaimPolicy::Delete && !v.metadata.is_deleting() && v.status.phase == PersistentVolumePhase::Bound && !has {
            n.metadata.finalizers.push(FINALIZER_EXTERNAL_PROVISIONER.into());
        } else if matches!(policy, PersistentVolumeReclaimPolicy::Retain | PersistentVolumeReclaimPolicy::Recycle) && has {
            n.metadata.remove_finalizer(FINALIZER_EXTERNAL_PROVISIONER);
        } else {
            return v;
        }
        update_t(cx.api, n).unwrap_or(v)
    }
}

/// A PV with a CSI source, as csi-provisioner makes it.
fn csi_pv(cx: &mut Cx, driver: &str, handle: &str, fs_type: Option<&str>) -> PersistentVolume {
    let mut pv = PersistentVolume::default();
    pv.metadata.annotations.insert("volume.kubernetes.io/provisioner-deletion-secret-name".into(), String::new());
    pv.metadata.annotations.insert("volume.kubernetes.io/provisioner-deletion-secret-namespace".into(), String::new());
    pv.metadata.finalizers.push(FINALIZER_EXTERNAL_PROVISIONER.into());
    let stamp = cx.world.provisioners.get(driver).map(|p| p.stamp.clone()).unwrap_or_default();
    let mut attrs = std::collections::BTreeMap::new();
    attrs.insert("storage.kubernetes.io/csiProvisionerIdentity".to_string(), stamp);
    pv.spec.csi = Some(CsiPersistentVolumeSource {
        driver: driver.into(),
        volume_handle: handle.into(),
        read_only: false,
        fs_type: fs_type.unwrap_or_default().into(),
        volume_attributes: attrs,
    });
    pv
}

impl Controller for Provisioner {
    fn id(&self) -> Ctl {
        Ctl::Provisioner
    }

    fn watch(&mut self, ch: &Change, _api: &Api, q: &mut WorkQueue) {
        match ch.kind {
            Kind::PersistentVolumeClaim => {
                if let (_, Some(c)) = ch.typed::<PersistentVolumeClaim>() {
                    if c.spec.volume_name.is_empty() && claim_provisioner(c).is_some() || self.provisioning.contains_key(&c.metadata.uid) {
                        q.add(ch.obj_ref());
                    }
                } else if let (Some(c), None) = ch.typed::<PersistentVolumeClaim>() {
                    self.provisioning.remove(&c.metadata.uid);
                    self.backoff.remove(&c.metadata.uid);
                }
            }
            Kind::PersistentVolume => {
                if let (_, Some(v)) = ch.typed::<PersistentVolume>() {
                    if v.metadata.annotations.contains_key(ANN_DYNAMICALLY_PROVISIONED) || v.spec.csi.is_some() {
                        q.add(ch.obj_ref());
                    }
                } else {
                    self.deleting.remove(&ch.key.name);
                }
            }
            Kind::VolumeAttachment => {
                // A detached disk may now be deleted.
                if let (Some(va), None) = ch.typed::<VolumeAttachment>()
                    && let Some(pv) = &va.spec.source.persistent_volume_name
                {
                    q.add(ObjRef::new(Kind::PersistentVolume, "", pv));
                }
            }
            _ => {}
        }
    }

    fn sync(&mut self, key: &ObjRef, cx: &mut Cx) {
        match key.kind {
            Kind::PersistentVolumeClaim => self.sync_claim(cx, &key.key),
            Kind::PersistentVolume => self.sync_volume(cx, &key.key.name),
            _ => {}
        }
    }
}

/// A newly installed driver's provisioner lists the claims waiting for it
/// (what its informer's initial list does). Called by `bootstrap::install_driver`.
pub fn wake_waiting_claims(api: &mut Api, driver: &str) {
    let keys: Vec<ObjRef> = api
        .store
        .list_t::<PersistentVolumeClaim>()
        .filter(|c| c.spec.volume_name.is_empty() && claim_provisioner(c) == Some(driver))
        .map(|c| c.obj_ref())
        .collect();
    let now = api.now;
    for k in keys {
        api.wake_at(now, Ctl::Provisioner, k);
    }
    let pvs: Vec<ObjRef> = api
        .store
        .list_t::<PersistentVolume>()
        .filter(|v| {
            v.metadata.annotations.get(ANN_DYNAMICALLY_PROVISIONED).map(|s| s.as_str()) == Some(driver) && v.status.phase == PersistentVolumePhase::Released
        })
        .map(|v| v.obj_ref())
        .collect();
    for k in pvs {
        api.wake_at(now, Ctl::Provisioner, k);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Cluster;

    #[test]
    fn cloud_disks_are_whole_gib() {
        assert_eq!(round_up_gib(&Quantity::parse("200Gi").unwrap()).to_string(), "200Gi");
        assert_eq!(round_up_gib(&Quantity::parse("1500Mi").unwrap()).to_string(), "2Gi");
        assert_eq!(round_up_gib(&Quantity::parse("1").unwrap()).to_string(), "1Gi");
    }

    fn claim(c: &mut Cluster, name: &str, class: &str, modes: &[&str], node: Option<&str>) {
        let mut cl = PersistentVolumeClaim { metadata: ObjectMeta::named("default", name), ..Default::default() };
        cl.spec.storage_class_name = Some(class.into());
        cl.spec.access_modes = modes.iter().map(|s| PersistentVolumeAccessMode::parse(s)).collect();
        cl.spec.resources.requests.insert("storage".into(), Quantity::parse("1Gi").unwrap());
        if let Some(n) = node {
            cl.metadata.annotations.insert(ANN_SELECTED_NODE.into(), n.into());
        }
        c.create(Object::PersistentVolumeClaim(cl)).unwrap();
    }

    #[test]
    fn shared_file_storage_serves_read_write_many_everywhere() {
        let mut c = Cluster::new(1);
        let sc = StorageClass { metadata: ObjectMeta::named("", "efs"), provisioner: "efs.csi.aws.com".into(), ..Default::default() };
        c.create(Object::StorageClass(sc)).unwrap();
        claim(&mut c, "shared", "efs", &["ReadWriteMany"], None);
        c.settle();
        let cl = c.get::<PersistentVolumeClaim>("default", "shared").unwrap().clone();
        assert_eq!(cl.status.phase, PersistentVolumeClaimPhase::Bound);
        let v = c.get::<PersistentVolume>("", &cl.spec.volume_name).unwrap();
        assert!(v.spec.node_affinity.is_none());
        assert!(v.spec.csi.as_ref().unwrap().volume_handle.starts_with("fs-"));
        assert!(!crate::engine::storage::is_attachable(&c.api, v));
    }

    #[test]
    fn zonal_disks_refuse_read_write_many() {
        let mut c = Cluster::new(2);
        let sc = StorageClass { metadata: ObjectMeta::named("", "pd"), provisioner: "pd.csi.storage.gke.io".into(), ..Default::default() };
        c.create(Object::StorageClass(sc)).unwrap();
        claim(&mut c, "rwx", "pd", &["ReadWriteMany"], None);
        c.advance(10_000);
        let ev = c.api.events_for(Kind::PersistentVolumeClaim, "default", "rwx", "");
        let failed = ev.iter().find(|e| e.reason == "ProvisioningFailed").unwrap();
        assert_eq!(
            failed.message,
            "failed to provision volume with StorageClass \"pd\": rpc error: code = InvalidArgument desc = Volume capabilities not supported"
        );
        assert!(failed.source.component.starts_with("pd.csi.storage.gke.io_csi-gce-pd-controller-"));
    }

    #[test]
    fn a_missing_selected_node_asks_the_scheduler_again() {
        let mut c = Cluster::new(3);
        claim(&mut c, "ghost", "standard", &["ReadWriteOnce"], Some("node-z"));
        c.advance(5_000);
        let cl = c.get::<PersistentVolumeClaim>("default", "ghost").unwrap();
        assert!(!cl.metadata.annotations.contains_key(ANN_SELECTED_NODE));
        let ev = c.api.events_for(Kind::PersistentVolumeClaim, "default", "ghost", "");
        assert!(ev.iter().any(|e| e.reason == "ProvisioningFailed" && e.message == "nodes \"node-z\" not found"));
    }
}
