//! Storage invariants the property tests check after every step:
//!
//! - [`check_binding`]: a PV is bound to at most one claim and a claim to
//!   at most one PV, and the two sides agree;
//! - [`check_single_attach`]: a volume that does not allow multi-attach
//!   (ReadWriteOnce / ReadWriteOncePod disks) is attached to one node at most;
//! - [`check_no_unauthorized_data_loss`]: between two states, no volume's
//!   data disappeared unless its reclaim policy (Delete, Recycle) and a
//!   released claim, or the user deleting the PV, say so.

use super::*;
use crate::engine::api::*;
use crate::engine::apiserver::Api;
use crate::engine::world::World;
use std::collections::BTreeMap;

/// One PV per claim, one claim per PV, and consistent pairs.
pub fn check_binding(api: &Api) -> Result<(), String> {
    let mut claimed: BTreeMap<String, ObjKey> = BTreeMap::new();
    for c in api.store.list_t::<PersistentVolumeClaim>() {
        if c.spec.volume_name.is_empty() || !c.metadata.annotations.contains_key(ANN_BIND_COMPLETED) {
            continue;
        }
        if let Some(other) = claimed.insert(c.spec.volume_name.clone(), c.key()) {
            return Err(format!("PV {} is bound by two claims: {} and {}", c.spec.volume_name, other, c.key()));
        }
        if c.status.phase == PersistentVolumeClaimPhase::Bound {
            match api.get_t::<PersistentVolume>("", &c.spec.volume_name) {
                None => return Err(format!("claim {} is Bound to missing PV {}", c.key(), c.spec.volume_name)),
                Some(v) => {
                    let ok =
                        v.spec.claim_ref.as_ref().is_some_and(|r| r.uid == c.metadata.uid && r.name == c.metadata.name && r.namespace == c.metadata.namespace);
                    if !ok {
                        return Err(format!("claim {} is Bound to PV {} whose claimRef points elsewhere", c.key(), v.metadata.name));
                    }
                }
            }
        }
    }
    let mut by_claim: BTreeMap<String, String> = BTreeMap::new();
    for v in api.store.list_t::<PersistentVolume>() {
        let Some(r) = &v.spec.claim_ref else { continue };
        if r.uid.is_empty() {
            continue;
        }
        if let Some(other) = by_claim.insert(r.uid.clone(), v.metadata.name.clone())
            && v.status.phase == PersistentVolumePhase::Bound
            && api.get_t::<PersistentVolume>("", &other).is_some_and(|o| o.status.phase == PersistentVolumePhase::Bound)
        {
            return Err(format!("claim {}/{} has two Bound PVs: {} and {}", r.namespace, r.name, other, v.metadata.name));
        }
    }
    Ok(())
}

/// No RWO disk attached to two nodes at once.
pub fn check_single_attach(api: &Api) -> Result<(), String> {
    let mut nodes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for va in api.store.list_t::<VolumeAttachment>() {
        if !va.status.attached {
            continue;
        }
        if let Some(pv) = &va.spec.source.persistent_volume_name {
            nodes.entry(pv.clone()).or_default().push(va.spec.node_name.clone());
        }
    }
    for (pv, ns) in nodes {
        if ns.len() < 2 {
            continue;
        }
        let allowed = api.get_t::<PersistentVolume>("", &pv).is_some_and(multi_attach_allowed);
        if !allowed {
            return Err(format!("volume {pv} is attached to several nodes: {}", ns.join(", ")));
        }
    }
    Ok(())
}

/// Between `before` and `after`, every PV volume that had data still has
/// it, unless the loss was asked for: the PV's policy is Delete or Recycle
/// and its claim is gone (or bound elsewhere), or the PV itself was deleted.
pub fn check_no_unauthorized_data_loss(before_api: &Api, before_world: &World, after_api: &Api, after_world: &World) -> Result<(), String> {
    for v in before_api.store.list_t::<PersistentVolume>() {
        for id in volume_ids(before_api, v) {
            let Some(had) = before_world.volumes.get(&id) else { continue };
            if had.is_empty() {
                continue;
            }
            let kept = after_world.volumes.get(&id).is_some_and(|t| !t.is_empty());
            if kept {
                continue;
            }
            let after_pv = after_api.get_t::<PersistentVolume>("", &v.metadata.name);
            let pv_deleted = after_pv.is_none_or(|p| p.metadata.is_deleting() || p.metadata.uid != v.metadata.uid);
            let claim_gone = |api: &Api| {
                v.spec.claim_ref.as_ref().is_some_and(|r| match api.get_t::<PersistentVolumeClaim>(&r.namespace, &r.name) {
                    None => true,
                    Some(c) => c.metadata.uid != r.uid || c.metadata.is_deleting(),
                })
            };
            let policy = &v.spec.persistent_volume_reclaim_policy;
            let released =
                claim_gone(before_api) || claim_gone(after_api) || matches!(v.status.phase, PersistentVolumePhase::Released | PersistentVolumePhase::Failed);
            let authorized = (matches!(policy, PersistentVolumeReclaimPolicy::Delete | PersistentVolumeReclaimPolicy::Recycle) && released)
                || (*policy == PersistentVolumeReclaimPolicy::Delete && pv_deleted);
            if !authorized {
                return Err(format!("the data of PV {} ({:?}, reclaim policy {policy}) was lost", v.metadata.name, id));
            }
        }
    }
    Ok(())
}

/// What [`check_no_unauthorized_data_loss`] needs of the earlier state,
/// without copying the whole API server and world at every step: the PVs
/// that hold data, the ids of their data, and whether their claim was gone.
pub struct DataSnapshot {
    volumes: Vec<(PersistentVolume, Vec<VolumeId>, bool)>,
}

impl DataSnapshot {
    pub fn take(api: &Api, world: &World) -> DataSnapshot {
        let mut volumes = vec![];
        for v in api.store.list_t::<PersistentVolume>() {
            let ids: Vec<VolumeId> = volume_ids(api, v).into_iter().filter(|id| world.volumes.get(id).is_some_and(|t| !t.is_empty())).collect();
            if ids.is_empty() {
                continue;
            }
            let claim_gone = v.spec.claim_ref.as_ref().is_some_and(|r| match api.get_t::<PersistentVolumeClaim>(&r.namespace, &r.name) {
                None => true,
                Some(c) => c.metadata.uid != r.uid || c.metadata.is_deleting(),
            });
            volumes.push((v.clone(), ids, claim_gone));
        }
        DataSnapshot { volumes }
    }

    /// [`check_no_unauthorized_data_loss`] from this snapshot to now.
    pub fn check_since(&self, after_api: &Api, after_world: &World) -> Result<(), String> {
        for (v, ids, claim_gone_before) in &self.volumes {
            for id in ids {
                if after_world.volumes.get(id).is_some_and(|t| !t.is_empty()) {
                    continue;
                }
                let after_pv = after_api.get_t::<PersistentVolume>("", &v.metadata.name);
                let pv_deleted = after_pv.is_none_or(|p| p.metadata.is_deleting() || p.metadata.uid != v.metadata.uid);
                let claim_gone_after = v.spec.claim_ref.as_ref().is_some_and(|r| match after_api.get_t::<PersistentVolumeClaim>(&r.namespace, &r.name) {
                    None => true,
                    Some(c) => c.metadata.uid != r.uid || c.metadata.is_deleting(),
                });
                let policy = &v.spec.persistent_volume_reclaim_policy;
                let released =
                    *claim_gone_before || claim_gone_after || matches!(v.status.phase, PersistentVolumePhase::Released | PersistentVolumePhase::Failed);
                let authorized = (matches!(policy, PersistentVolumeReclaimPolicy::Delete | PersistentVolumeReclaimPolicy::Recycle) && released)
                    || (*policy == PersistentVolumeReclaimPolicy::Delete && pv_deleted);
                if !authorized {
                    return Err(format!("the data of PV {} ({:?}, reclaim policy {policy}) was lost", v.metadata.name, id));
                }
            }
        }
        Ok(())
    }
}

/// At most one pod uses a ReadWriteOncePod claim: bound to a node and not
/// terminated (the scheduler's VolumeRestrictions and the kubelet keep it so).
pub fn check_read_write_once_pod(api: &Api) -> Result<(), String> {
    for c in api.store.list_t::<PersistentVolumeClaim>() {
        if !c.spec.access_modes.contains(&PersistentVolumeAccessMode::ReadWriteOncePod) {
            continue;
        }
        let users: Vec<&str> = api
            .store
            .pods_using_claim(&c.metadata.namespace, &c.metadata.name)
            .filter(|p| !p.spec.node_name.is_empty() && !is_pod_terminated(p))
            .map(|p| p.metadata.name.as_str())
            .collect();
        if users.len() > 1 {
            return Err(format!("ReadWriteOncePod claim {} is used by {} pods: {users:?}", c.key(), users.len()));
        }
    }
    Ok(())
}

/// All of the above that need one state only.
pub fn check_all(api: &Api) -> Result<(), String> {
    check_binding(api)?;
    check_single_attach(api)?;
    check_read_write_once_pod(api)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Cluster;

    #[test]
    fn two_claims_on_one_volume_are_caught() {
        let mut c = Cluster::new(1);
        for name in ["a", "b"] {
            let mut cl = PersistentVolumeClaim { metadata: ObjectMeta::named("default", name), ..Default::default() };
            cl.metadata.annotations.insert(ANN_BIND_COMPLETED.into(), "yes".into());
            cl.spec.storage_class_name = Some("none".into());
            cl.spec.volume_name = "shared".into();
            cl.spec.access_modes = vec![PersistentVolumeAccessMode::ReadWriteOnce];
            cl.spec.resources.requests.insert("storage".into(), crate::engine::quantity::Quantity::parse("1Gi").unwrap());
            c.api.create(Object::PersistentVolumeClaim(cl)).unwrap();
        }
        assert!(check_binding(&c.api).unwrap_err().contains("bound by two claims"));
    }

    #[test]
    fn a_disk_attached_twice_is_caught() {
        let mut c = Cluster::new(2);
        let mut v = PersistentVolume::default();
        v.metadata.name = "disk".into();
        v.spec.capacity.insert("storage".into(), crate::engine::quantity::Quantity::parse("1Gi").unwrap());
        v.spec.access_modes = vec![PersistentVolumeAccessMode::ReadWriteOnce];
        v.spec.csi = Some(CsiPersistentVolumeSource { driver: "x.csi".into(), volume_handle: "h".into(), ..Default::default() });
        c.api.create(Object::PersistentVolume(v)).unwrap();
        for node in ["node-a", "node-b"] {
            let va = VolumeAttachment {
                metadata: ObjectMeta::named("", &format!("va-{node}")),
                spec: VolumeAttachmentSpec {
                    attacher: "x.csi".into(),
                    node_name: node.into(),
                    source: VolumeAttachmentSource { persistent_volume_name: Some("disk".into()), inline_volume_spec: None },
                },
                ..Default::default()
            };
            c.api.create(Object::VolumeAttachment(va)).unwrap();
            let mut va = c.api.get_t::<VolumeAttachment>("", &format!("va-{node}")).unwrap().clone();
            va.status.attached = true;
            c.api.update_status(Object::VolumeAttachment(va)).unwrap();
        }
        assert!(check_single_attach(&c.api).unwrap_err().contains("attached to several nodes"));
    }
}
