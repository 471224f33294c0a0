//! Volume expansion: the in-tree expand controller (pkg/controller/volume/
//! expand), the CSI external-resizer of each expandable driver, and the
//! kubelet's file system resize on the node that mounts the volume.
//!
//! A bigger `spec.resources.requests.storage` (allowed by the class's
//! `allowVolumeExpansion`, checked at admission) goes:
//!
//! 1. `volume_expand`: no in-tree plugin expands CSI volumes, so it says
//!    `ExternalExpanding` "waiting for an external controller to expand this PVC";
//! 2. external-resizer: `Resizing`, condition Resizing, allocatedResources;
//!    after the cloud's resize the PV has the new capacity; block disks then
//!    need a file system resize on the node (`FileSystemResizeRequired`,
//!    condition FileSystemResizePending), shared file systems are done
//!    (`VolumeResizeSuccessful`);
//! 3. kubelet (a running pod mounts the claim): `FileSystemResizeSuccessful`,
//!    the claim's status.capacity becomes the new size.

use super::pvbinder::{update_status_t, update_t};
use super::{Controller, Ctl, Cx, WorkQueue};
use crate::engine::api::*;
use crate::engine::apiserver::Api;
use crate::engine::quantity::Quantity;
use crate::engine::storage::*;
use crate::engine::store::Change;
use crate::engine::time::{Millis, Time};
use std::collections::BTreeMap;

const EXPAND_COMPONENT: &str = "volume_expand";
/// How long the kubelet's NodeExpandVolume takes.
const NODE_EXPAND_MS: Millis = 1_500;
const FS_RESIZE_PENDING_MESSAGE: &str = "Waiting for user to (re-)start a pod to finish file system resize of volume on node.";

#[derive(Clone, Default)]
pub struct Expander {
    /// claim uid -> when the controller-side resize completes.
    resizing: BTreeMap<String, Millis>,
    /// claim uid -> when the node-side resize completes (and on which node;
    /// boxed: the map shares the `String => Box<_>` BTreeMap code).
    node_resizing: BTreeMap<String, Box<(Millis, String)>>,
    /// claim uid -> the request size already announced as ExternalExpanding
    /// (boxed: the map shares the `String => Box<_>` BTreeMap code).
    announced: BTreeMap<String, Box<Quantity>>,
}

fn resizer_component(driver: &str) -> String {
    format!("external-resizer {driver}")
}

fn condition(type_: ConditionType, now: crate::engine::time::Time, message: &str) -> PvcCondition {
    PvcCondition {
        type_,
        status: ConditionStatus::True,
        last_probe_time: None,
        last_transition_time: Some(now),
        reason: String::new(),
        message: message.into(),
    }
}

/// Whether the claim has a resize to do or finish.
fn needs_work(c: &PersistentVolumeClaim) -> bool {
    let req = requested_storage(c);
    let cap = c.status.capacity.get("storage").cloned().unwrap_or_default();
    c.status.phase == PersistentVolumeClaimPhase::Bound && (req > cap || !c.status.allocated_resource_statuses.is_empty())
}

impl Expander {
    fn sync_claim(&mut self, cx: &mut Cx, key: &ObjKey) {
        let Some(c) = cx.api.get_t::<PersistentVolumeClaim>(&key.namespace, &key.name).cloned() else { return };
        let uid = c.metadata.uid.clone();
        if !needs_work(&c) {
            self.resizing.remove(&uid);
            self.node_resizing.remove(&uid);
            self.announced.remove(&uid);
            return;
        }
        let Some(pv) = claim_volume(cx.api, &c).cloned() else { return };
        if pv.spec.claim_ref.as_ref().is_none_or(|r| r.uid != uid) {
            return;
        }
        let req = requested_storage(&c);
        let status = c.status.allocated_resource_statuses.get("storage").cloned().unwrap_or_default();
        let now = cx.api.now.0;

        // The in-tree controller hands CSI (and every other) volume to an external resizer.
        if status.is_empty() && self.announced.get(&uid).map(|q| &**q) != Some(&req) {
            self.announced.insert(uid.clone(), Box::new(req));
            cx.api.event(
                &Object::PersistentVolumeClaim(c.clone()),
                "Normal",
                "ExternalExpanding",
                "waiting for an external controller to expand this PVC",
                EXPAND_COMPONENT,
            );
        }
        let Some(csi) = pv.spec.csi.clone() else { return };
        let info = driver_info(&csi.driver);
        if !driver_installed(cx.world, &csi.driver) || !info.supports_expansion() {
            return;
        }
        let component = resizer_component(&csi.driver);
        match status.as_str() {
            "" | "ControllerResizeInProgress" => match self.resizing.get(&uid).copied() {
                None => {
                    cx.api.event(
                        &Object::PersistentVolumeClaim(c.clone()),
                        "Normal",
                        "Resizing",
                        &format!("External resizer is resizing volume {}", pv.metadata.name),
                        &component,
                    );
                    let mut n = c.clone();
                    remove_condition(&mut n.status.conditions, &ConditionType::Resizing);
                    remove_condition(&mut n.status.conditions, &ConditionType::FileSystemResizePending);
                    n.status.conditions.push(condition(ConditionType::Resizing, cx.api.now, ""));
                    n.status.allocated_resources.insert("storage".into(), req);
                    n.status.allocated_resource_statuses.insert("storage".into(), "ControllerResizeInProgress".into());
                    update_status_t(cx.api, n);
                    let due = now + info.expand_ms;
                    self.resizing.insert(uid, due);
                    cx.api.wake_at(Time(due), Ctl::Expander, c.obj_ref());
                }
                Some(due) if due <= now => {
                    self.resizing.remove(&uid);
                    let size = c.status.allocated_resources.get("storage").cloned().unwrap_or(req);
                    let mut p = pv.clone();
                    p.spec.capacity.insert("storage".into(), size);
                    update_t(cx.api, p);
                    let Some(c) = cx.api.get_t::<PersistentVolumeClaim>(&key.namespace, &key.name).cloned() else { return };
                    let mut n = c.clone();
                    remove_condition(&mut n.status.conditions, &ConditionType::Resizing);
                    if info.family == Family::ZonalDisk {
                        n.status.conditions.push(condition(ConditionType::FileSystemResizePending, cx.api.now, FS_RESIZE_PENDING_MESSAGE));
                        n.status.allocated_resource_statuses.insert("storage".into(), "NodeResizePending".into());
                        update_status_t(cx.api, n);
                        cx.api.event(
                            &Object::PersistentVolumeClaim(c),
                            "Normal",
                            "FileSystemResizeRequired",
                            "Require file system resize of volume on node",
                            &component,
                        );
                        // The kubelet may be able to finish at once.
                        self.try_node_expand(cx, key);
                    } else {
                        n.status.capacity.insert("storage".into(), size);
                        n.status.allocated_resource_statuses.remove("storage");
                        update_status_t(cx.api, n);
                        cx.api.event(&Object::PersistentVolumeClaim(c), "Normal", "VolumeResizeSuccessful", "Resize volume succeeded", &component);
                    }
                }
                Some(_) => {}
            },
            "NodeResizePending" | "NodeResizeInProgress" => self.try_node_expand(cx, key),
            _ => {}
        }
    }

    /// The kubelet of a node running a pod that mounts the claim grows the
    /// file system (online expansion).
    fn try_node_expand(&mut self, cx: &mut Cx, key: &ObjKey) {
        let Some(c) = cx.api.get_t::<PersistentVolumeClaim>(&key.namespace, &key.name).cloned() else { return };
        let uid = c.metadata.uid.clone();
        let now = cx.api.now.0;
        if let Some((due, node)) = self.node_resizing.get(&uid).map(|r| (**r).clone()) {
            if due > now {
                return;
            }
            self.node_resizing.remove(&uid);
            if !cx.world.is_powered(&node) {
                return;
            }
            let Some(pv) = claim_volume(cx.api, &c).cloned() else { return };
            let size = pv_capacity(&pv);
            let mut n = c.clone();
            n.status.capacity.insert("storage".into(), size);
            remove_condition(&mut n.status.conditions, &ConditionType::FileSystemResizePending);
            remove_condition(&mut n.status.conditions, &ConditionType::Resizing);
            n.status.allocated_resource_statuses.remove("storage");
            update_status_t(cx.api, n);
            let msg = format!("MountVolume.NodeExpandVolume succeeded for volume {:?} {node}", pv.metadata.name);
            let pod =
                cx.api.store.pods_using_claim(&key.namespace, &key.name).find(|p| p.spec.node_name == node && p.status.phase == PodPhase::Running).cloned();
            if let Some(p) = pod {
                cx.api.event_from(&Object::Pod(p), "Normal", "FileSystemResizeSuccessful", &msg, "kubelet", &node);
            }
            cx.api.event_from(&Object::PersistentVolumeClaim(c), "Normal", "FileSystemResizeSuccessful", &msg, "kubelet", &node);
            return;
        }
        let runner = cx
            .api
            .store
            .pods_using_claim(&key.namespace, &key.name)
            .find(|p| !p.spec.node_name.is_empty() && p.status.phase == PodPhase::Running && !p.metadata.is_deleting())
            .map(|p| p.spec.node_name.clone());
        let Some(node) = runner.filter(|n| cx.world.is_powered(n)) else { return };
        let due = now + NODE_EXPAND_MS;
        self.node_resizing.insert(uid, Box::new((due, node)));
        cx.api.wake_at(Time(due), Ctl::Expander, ObjRef::new(Kind::PersistentVolumeClaim, &key.namespace, &key.name));
    }
}

impl Controller for Expander {
    fn id(&self) -> Ctl {
        Ctl::Expander
    }

    fn watch(&mut self, ch: &Change, api: &Api, q: &mut WorkQueue) {
        match ch.kind {
            Kind::PersistentVolumeClaim => {
                if let (_, Some(c)) = ch.typed::<PersistentVolumeClaim>()
                    && (needs_work(c) || self.resizing.contains_key(&c.metadata.uid))
                {
                    q.add(ch.obj_ref());
                }
            }
            Kind::Pod => {
                // A pod starting on a node lets its kubelet finish pending file system resizes.
                if let (_, Some(p)) = ch.typed::<Pod>()
                    && p.status.phase == PodPhase::Running
                {
                    for claim in pod_claims(p) {
                        if api.get_t::<PersistentVolumeClaim>(&p.metadata.namespace, claim).is_some_and(needs_work) {
                            q.add(ObjRef::new(Kind::PersistentVolumeClaim, &p.metadata.namespace, claim));
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn sync(&mut self, key: &ObjRef, cx: &mut Cx) {
        if key.kind == Kind::PersistentVolumeClaim {
            self.sync_claim(cx, &key.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_is_a_bigger_request_or_an_unfinished_resize() {
        let mut c = PersistentVolumeClaim::default();
        c.status.phase = PersistentVolumeClaimPhase::Bound;
        c.spec.resources.requests.insert("storage".into(), Quantity::parse("2Gi").unwrap());
        c.status.capacity.insert("storage".into(), Quantity::parse("2Gi").unwrap());
        assert!(!needs_work(&c));
        c.spec.resources.requests.insert("storage".into(), Quantity::parse("3Gi").unwrap());
        assert!(needs_work(&c));
        c.spec.resources.requests.insert("storage".into(), Quantity::parse("2Gi").unwrap());
        c.status.allocated_resource_statuses.insert("storage".into(), "NodeResizePending".into());
        assert!(needs_work(&c));
        c.status.phase = PersistentVolumeClaimPhase::Pending;
        assert!(!needs_work(&c));
    }
}
