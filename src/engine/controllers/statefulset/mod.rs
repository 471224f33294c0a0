//! The StatefulSet controller (pkg/controller/statefulset): stable pod
//! identities `<name>-<ordinal>` with their own claims from
//! volumeClaimTemplates, ordered (OrderedReady) or parallel creation and
//! deletion, rolling updates from the highest ordinal down to the partition
//! (maxUnavailable with the MaxUnavailableStatefulSet gate), OnDelete,
//! ControllerRevisions, the claim retention policy, and status.
//!
//! A pod that is Terminating still holds its identity: the controller
//! creates `web-0` again only once the old `web-0` is gone from the API,
//! which is the at-most-one guarantee StatefulSets give.

mod control;
pub mod pod_control;
pub mod utils;

use super::controller_utils::*;
use super::{Controller, Ctl, Cx, WorkQueue};
use crate::engine::api::*;
use crate::engine::apiserver::Api;
use crate::engine::store::{Change, Op};
use std::collections::BTreeMap;
use utils::*;

pub use utils::{POD_INDEX_LABEL, POD_NAME_LABEL, REVISION_LABEL};

pub struct StatefulSetController {
    orphan_pods: OrphanIndex,
    orphan_revisions: OrphanIndex,
    backoff: Backoff,
}

impl Default for StatefulSetController {
    fn default() -> Self {
        StatefulSetController { orphan_pods: OrphanIndex::default(), orphan_revisions: OrphanIndex::default(), backoff: Backoff::controller() }
    }
}

impl Controller for StatefulSetController {
    fn id(&self) -> Ctl {
        Ctl::StatefulSet
    }

    fn watch(&mut self, ch: &Change, api: &Api, q: &mut WorkQueue) {
        match ch.kind {
            Kind::StatefulSet => q.add(ch.obj_ref()),
            Kind::Pod => {
                self.orphan_pods.observe(ch);
                pod_changed(ch, api, q);
            }
            Kind::ControllerRevision => self.orphan_revisions.observe(ch),
            Kind::PersistentVolumeClaim if ch.op == Op::Deleted => claim_deleted(ch, api, q),
            _ => {}
        }
    }

    fn sync(&mut self, key: &ObjRef, cx: &mut Cx) {
        let Some(set) = cx.api.get_t::<StatefulSet>(&key.key.namespace, &key.key.name).cloned() else {
            self.backoff.forget(key);
            return;
        };
        match self.sync_set(cx.api, set) {
            Ok(()) => self.backoff.forget(key),
            Err(_) => {
                self.backoff.retry(cx.api, Ctl::StatefulSet, key.clone());
            }
        }
    }
}

fn enqueue_controller_of(pod: &Pod, api: &Api, q: &mut WorkQueue) {
    if let Some(r) = pod.metadata.controller_ref() {
        if let Some(s) = resolve_controller::<StatefulSet>(api, &pod.metadata.namespace, r) {
            q.add(s.obj_ref());
        }
    }
}

/// `GetPodStatefulSets`.
fn enqueue_selecting(pod: &Pod, api: &Api, q: &mut WorkQueue) {
    for s in api.store.list_ns_t::<StatefulSet>(&pod.metadata.namespace) {
        if selector_selects(s.spec.selector.as_ref(), &pod.metadata.labels) {
            q.add(s.obj_ref());
        }
    }
}

/// A claim that named a pod as its owner (whenScaled: Delete) is gone: a
/// StatefulSet waiting to recreate that pod (`PodClaimIsStale`) can go on.
/// The real controller has no claim handler and picks this up at its next
/// resync; waking it here only makes the wait as short as it can be.
fn claim_deleted(ch: &Change, api: &Api, q: &mut WorkQueue) {
    let (Some(c), _) = ch.typed::<PersistentVolumeClaim>() else { return };
    if !c.metadata.owner_references.iter().any(|r| r.kind == "Pod") {
        return;
    }
    for s in api.store.list_ns_t::<StatefulSet>(&c.metadata.namespace) {
        if selector_selects(s.spec.selector.as_ref(), &c.metadata.labels) {
            q.add(s.obj_ref());
        }
    }
}

/// addPod / updatePod / deletePod.
fn pod_changed(ch: &Change, api: &Api, q: &mut WorkQueue) {
    let (old, new) = ch.typed::<Pod>();
    match (ch.op, old, new) {
        (Op::Added, _, Some(cur)) => {
            if cur.metadata.is_deleting() || cur.metadata.controller_ref().is_some() {
                enqueue_controller_of(cur, api, q);
            } else {
                enqueue_selecting(cur, api, q);
            }
        }
        (Op::Modified, Some(old), Some(cur)) => {
            let cur_ref = cur.metadata.controller_ref();
            let old_ref = old.metadata.controller_ref();
            let ref_changed = cur_ref != old_ref;
            if ref_changed && old_ref.is_some() {
                enqueue_controller_of(old, api, q);
            }
            if cur_ref.is_some() {
                enqueue_controller_of(cur, api, q);
                return;
            }
            if old.metadata.labels != cur.metadata.labels || ref_changed {
                enqueue_selecting(cur, api, q);
            }
        }
        (Op::Deleted, Some(old), _) => enqueue_controller_of(old, api, q),
        _ => {}
    }
}

impl StatefulSetController {
    /// `sync` + `syncStatefulSet`.
    fn sync_set(&self, api: &mut Api, set: StatefulSet) -> Result<(), String> {
        let selector = set.spec.selector.clone();
        // ListRevisions: owned and orphaned revisions the selector matches
        let revisions: Vec<ControllerRevision> = owned_and_orphans::<ControllerRevision>(api, &set.metadata, Kind::StatefulSet, &self.orphan_revisions)
            .into_iter()
            .filter(|r| selector_matches(selector.as_ref(), &r.metadata.labels))
            .collect();
        let orphans: Vec<ControllerRevision> = revisions.iter().filter(|r| r.metadata.controller_ref().is_none()).cloned().collect();
        if !orphans.is_empty() {
            can_adopt(api, Kind::StatefulSet, &set.metadata).map_err(|e| format!("can't adopt ControllerRevisions: {e}"))?;
            control::adopt_orphan_revisions(api, &set, &orphans)?;
        }
        let revisions: Vec<ControllerRevision> = revisions
            .into_iter()
            .map(|r| api.get_t::<ControllerRevision>(&r.metadata.namespace, &r.metadata.name).cloned().unwrap_or(r))
            .collect();
        // getPodsForStatefulSet: owned pods and orphans that are members
        let candidates = owned_and_orphans::<Pod>(api, &set.metadata, Kind::StatefulSet, &self.orphan_pods);
        let pods = claim_objects(api, &set.metadata, Kind::StatefulSet, candidates, |p: &Pod| selector_matches(selector.as_ref(), &p.metadata.labels) && is_member_of(&set, p))?;
        let now = api.now;
        let status = control::update_stateful_set(api, &set, &pods, revisions, now)?;
        let min_ready = set.spec.min_ready_seconds;
        if min_ready > 0 && status.ready_replicas != status.available_replicas {
            let at = next_availability_check(pods.iter(), min_ready, now).unwrap_or(now.plus(min_ready as i64 * 1000));
            api.wake_at(at, Ctl::StatefulSet, set.obj_ref());
        }
        Ok(())
    }
}

/// Invariants that hold at every instant: a StatefulSet identity (its
/// `statefulset.kubernetes.io/pod-name` label) is carried by at most one
/// pod that has not stopped for good, and every pod a StatefulSet controls
/// has the name, index label, hostname and claims of its ordinal. The
/// status never counts more ready than existing replicas.
pub fn check_invariants(api: &Api) -> Result<(), String> {
    for set in api.store.list_t::<StatefulSet>() {
        let mut identities: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for r in api.store.dependents(&set.metadata.uid) {
            if r.kind != Kind::Pod {
                continue;
            }
            let Some(p) = api.store.get_ref(r).and_then(|o| Pod::from_object(o)) else { continue };
            if !p.metadata.controller_ref().is_some_and(|c| c.uid == set.metadata.uid) {
                continue;
            }
            let (parent, ord) = parent_and_ordinal(&p.metadata.name);
            if parent != set.metadata.name || ord < 0 {
                return Err(format!("pod {} of StatefulSet {} has no ordinal name", p.key(), set.key()));
            }
            if p.metadata.label(POD_NAME_LABEL) != Some(p.metadata.name.as_str()) || p.metadata.label(POD_INDEX_LABEL) != Some(ord.to_string().as_str()) {
                return Err(format!("pod {} has identity labels {:?}/{:?}", p.key(), p.metadata.label(POD_NAME_LABEL), p.metadata.label(POD_INDEX_LABEL)));
            }
            if p.spec.hostname != p.metadata.name {
                return Err(format!("pod {} has hostname {:?}", p.key(), p.spec.hostname));
            }
            for t in &set.spec.volume_claim_templates {
                let want = claim_name(set, t, ord);
                let got = p.spec.volumes.iter().find(|v| v.name == t.metadata.name).and_then(|v| v.persistent_volume_claim.as_ref()).map(|c| c.claim_name.as_str());
                if got != Some(want.as_str()) {
                    return Err(format!("pod {} mounts {:?} as {}, not claim {want}", p.key(), got, t.metadata.name));
                }
            }
        }
        for p in api.store.list_ns_t::<Pod>(&set.metadata.namespace) {
            if is_pod_terminal(p) {
                continue;
            }
            if let Some(id) = p.metadata.label(POD_NAME_LABEL) {
                if parent_and_ordinal(id).0 == set.metadata.name && p.metadata.controller_ref().is_some_and(|c| c.uid == set.metadata.uid) {
                    identities.entry(id.to_string()).or_default().push(p.metadata.name.clone());
                }
            }
        }
        for (id, pods) in identities {
            if pods.len() > 1 {
                return Err(format!("StatefulSet {} identity {id} is held by {} live pods: {pods:?}", set.key(), pods.len()));
            }
        }
        let st = &set.status;
        if st.ready_replicas > st.replicas || st.available_replicas > st.ready_replicas {
            return Err(format!("StatefulSet {} has an inconsistent status {st:?}", set.key()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
