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
use crate::engine::sort::Tally;
use crate::engine::store::{Change, Op};
use std::collections::BTreeMap;
use std::rc::Rc;
use utils::*;

pub use utils::{POD_INDEX_LABEL, POD_NAME_LABEL, REVISION_LABEL};

#[derive(Clone)]
pub struct StatefulSetController {
    orphan_pods: OrphanIndex,
    orphan_revisions: OrphanIndex,
    /// What each StatefulSet's pods look like, kept from the watch. A set
    /// whose pods all exist, carry their identity and are at the update
    /// revision is synced from these totals in O(1) (its status is all
    /// that can change); anything else takes the full algorithm.
    // Boxed values: BTreeMap's code is compiled per value size, and maps of
    // pointer-sized values share one copy in the wasm.
    // Boxed values, as above.
    track: BTreeMap<String, Box<SetPods>>,
    /// Each set's template as revision data (`getPatch`), by generation.
    // Boxed values, as above.
    patches: BTreeMap<String, Box<(i64, serde_json::Value)>>,
    wakeups: Wakeups,
    backoff: Backoff,
}

impl Default for StatefulSetController {
    fn default() -> Self {
        StatefulSetController {
            orphan_pods: OrphanIndex::default(),
            orphan_revisions: OrphanIndex::default(),
            track: BTreeMap::new(),
            patches: BTreeMap::new(),
            wakeups: Wakeups::default(),
            backoff: Backoff::controller(),
        }
    }
}

/// The facts about one pod that its StatefulSet's decisions depend on.
#[derive(Clone, Debug, PartialEq)]
struct PodFacts {
    ordinal: i64,
    /// Selected, a member, with the identity and the claims of its ordinal.
    ok: bool,
    created: bool,
    terminal: bool,
    terminating: bool,
    pending: bool,
    running_ready: bool,
    ready_since: Option<i64>,
    revision: String,
}

fn facts(p: &Pod, set: &StatefulSet) -> PodFacts {
    let running_ready = is_running_and_ready(p);
    PodFacts {
        ordinal: ordinal(p),
        ok: selector_matches(set.spec.selector.as_ref(), &p.metadata.labels) && is_member_of(set, p) && identity_matches(set, p) && storage_matches(set, p),
        created: is_created(p),
        terminal: is_failed(p) || is_succeeded(p),
        terminating: is_terminating(p),
        pending: is_pending(p),
        running_ready,
        ready_since: if running_ready { pod_ready_condition(p).and_then(|c| c.last_transition_time).map(|t| t.0) } else { None },
        revision: pod_revision(p).to_string(),
    }
}

/// The pods one StatefulSet controls, with running totals.
#[derive(Clone, Debug, Default)]
struct SetPods {
    // Boxed values, as above.
    pods: BTreeMap<String, Box<PodFacts>>,
    ordinals: Tally,
    not_ok: i32,
    created: i32,
    terminal: i32,
    terminating: i32,
    pending: i32,
    running_ready: i32,
    ready_since: Tally,
    /// created, not terminating, by revision
    by_revision: BTreeMap<String, i32>,
    /// A claim of the set changed its owners: look at everything once.
    dirty: bool,
}

fn bump<K: Ord + Clone>(m: &mut BTreeMap<K, i32>, k: &K, sign: i32) {
    let e = m.entry(k.clone()).or_default();
    *e += sign;
    if *e == 0 {
        m.remove(k);
    }
}

impl SetPods {
    fn apply(&mut self, f: &PodFacts, sign: i32) {
        self.ordinals.bump(f.ordinal, sign);
        self.not_ok += sign * (!f.ok) as i32;
        self.created += sign * f.created as i32;
        self.terminal += sign * f.terminal as i32;
        self.terminating += sign * f.terminating as i32;
        self.pending += sign * f.pending as i32;
        self.running_ready += sign * f.running_ready as i32;
        if let Some(t) = f.ready_since {
            self.ready_since.bump(t, sign);
        }
        if f.created && !f.terminating {
            bump(&mut self.by_revision, &f.revision, sign);
        }
    }

    fn insert(&mut self, name: &str, f: PodFacts) {
        self.apply(&f, 1);
        if let Some(old) = self.pods.insert(name.to_string(), Box::new(f)) {
            self.apply(&old, -1);
        }
    }

    fn remove(&mut self, name: &str) {
        if let Some(old) = self.pods.remove(name) {
            self.apply(&old, -1);
        }
    }

    fn available(&self, min_ready: i32, now: crate::engine::time::Time) -> i32 {
        if min_ready <= 0 {
            return self.running_ready;
        }
        let cutoff = now.0 - min_ready as i64 * 1000;
        self.ready_since.sum_to(cutoff)
    }

    fn next_available(&self, min_ready: i32, now: crate::engine::time::Time) -> Option<crate::engine::time::Time> {
        if min_ready <= 0 {
            return None;
        }
        let cutoff = now.0 - min_ready as i64 * 1000;
        self.ready_since.first_after(cutoff).map(|t| crate::engine::time::Time(t + min_ready as i64 * 1000))
    }
}

impl Controller for StatefulSetController {
    fn id(&self) -> Ctl {
        Ctl::StatefulSet
    }

    fn watch(&mut self, ch: &Change, api: &Api, q: &mut WorkQueue) {
        match ch.kind {
            Kind::StatefulSet => {
                if ch.op == Op::Deleted
                    && let Some(o) = ch.old.as_deref()
                {
                    self.track.remove(&o.meta().uid);
                    self.patches.remove(&o.meta().uid);
                }
                q.add(ch.obj_ref());
            }
            Kind::Pod => {
                self.orphan_pods.observe(ch);
                self.observe_pod(ch, api);
                OWNER.enqueue_for_child(ch, api, q);
            }
            Kind::ControllerRevision => self.orphan_revisions.observe(ch),
            Kind::PersistentVolumeClaim => self.claim_changed(ch, api, q),
            _ => {}
        }
    }

    fn sync(&mut self, key: &ObjRef, cx: &mut Cx) {
        let Some(set) = cx.api.get_t::<StatefulSet>(&key.key.namespace, &key.key.name).cloned() else {
            self.backoff.forget(key);
            self.wakeups.forget(key);
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

impl StatefulSetController {
    fn observe_pod(&mut self, ch: &Change, api: &Api) {
        let (old, new) = ch.typed::<Pod>();
        if let Some(r) = old.and_then(|p| p.metadata.controller_ref()).filter(|r| r.kind == "StatefulSet")
            && let Some(t) = self.track.get_mut(&r.uid)
        {
            t.remove(&ch.key.name);
        }
        if let Some(p) = new
            && let Some(r) = p.metadata.controller_ref()
            && let Some(set) = resolve_controller::<StatefulSet>(api, &p.metadata.namespace, r)
        {
            self.track.entry(set.metadata.uid.clone()).or_default().insert(&ch.key.name, facts(p, set));
        }
    }

    /// Claims: one whose owner references changed makes its set look at
    /// everything once; one that named a pod as owner going away lets a
    /// set waiting to recreate that pod (`PodClaimIsStale`) go on. (The
    /// real controller has no claim handler and notices at its next
    /// resync; here the wait is as short as it can be.)
    fn claim_changed(&mut self, ch: &Change, api: &Api, q: &mut WorkQueue) {
        let (old, new) = ch.typed::<PersistentVolumeClaim>();
        let refs_changed = match (old, new) {
            (Some(o), Some(n)) => o.metadata.owner_references != n.metadata.owner_references,
            (Some(o), None) => o.metadata.owner_references.iter().any(|r| r.kind == "Pod"),
            _ => false,
        };
        if !refs_changed {
            return;
        }
        let Some(c) = new.or(old) else { return };
        for s in api.store.list_ns_t::<StatefulSet>(&c.metadata.namespace) {
            if selector_selects(s.spec.selector.as_ref(), &c.metadata.labels) {
                self.track.entry(s.metadata.uid.clone()).or_default().dirty = true;
                q.add(s.obj_ref());
            }
        }
    }

    /// `sync` + `syncStatefulSet`.
    fn sync_set(&mut self, api: &mut Api, set: StatefulSet) -> Result<(), String> {
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
        let revisions: Vec<ControllerRevision> =
            revisions.into_iter().map(|r| api.get_t::<ControllerRevision>(&r.metadata.namespace, &r.metadata.name).cloned().unwrap_or(r)).collect();
        let now = api.now;
        let uid = set.metadata.uid.clone();
        let generation = set.metadata.generation;
        let patch = match self.patches.get(&uid).map(|b| &**b) {
            Some((g, p)) if *g == generation => p.clone(),
            _ => {
                let p = crate::engine::controllers::history::statefulset_patch(&set);
                self.patches.insert(uid.clone(), Box::new((generation, p.clone())));
                p
            }
        };
        let status = match self.steady_sync(api, &set, &revisions, &patch)? {
            Some(st) => st,
            None => {
                let pods = self.claim_pods(api, &set)?;
                let st = control::update_stateful_set(api, &set, &pods, revisions, now)?;
                if let Some(t) = self.track.get_mut(&uid) {
                    t.dirty = false;
                }
                st
            }
        };
        let min_ready = set.spec.min_ready_seconds;
        if min_ready > 0 && status.ready_replicas != status.available_replicas {
            let next = self.track.get(&uid).and_then(|t| t.next_available(min_ready, now));
            let at = next.unwrap_or(now.plus(min_ready as i64 * 1000));
            self.wakeups.wake(api, Ctl::StatefulSet, set.obj_ref(), at);
        }
        Ok(())
    }

    /// `getPodsForStatefulSet`: owned pods and adoptable orphans, claimed.
    fn claim_pods(&self, api: &mut Api, set: &StatefulSet) -> Result<Vec<Rc<Object>>, String> {
        let ns = set.metadata.namespace.clone();
        let mut candidates: Vec<Rc<Object>> = vec![];
        if let Some(t) = self.track.get(&set.metadata.uid) {
            candidates.extend(t.pods.keys().filter_map(|n| api.store.get(Kind::Pod, &ObjKey::new(&ns, n)).cloned()));
        }
        candidates.extend(self.orphan_pods.names(&ns).filter_map(|n| api.store.get(Kind::Pod, &ObjKey::new(&ns, n)).cloned()));
        let mut claimed = vec![];
        let mut errs = vec![];
        let mut can: Option<Result<(), String>> = None;
        for o in candidates {
            let p = control::pod(&o);
            let matches = selector_matches(set.spec.selector.as_ref(), &p.metadata.labels) && is_member_of(set, p);
            match classify(&set.metadata, &p.metadata, matches) {
                Claim::Owned => claimed.push(o.clone()),
                Claim::Ignore => {}
                Claim::Release => {
                    if let Err(e) = release(api, Kind::Pod, &ns, &p.metadata.name, &p.metadata.uid, &set.metadata.uid) {
                        errs.push(e.message);
                    }
                }
                Claim::Adopt => {
                    if let Err(e) = can.get_or_insert_with(|| can_adopt(api, Kind::StatefulSet, &set.metadata)).clone() {
                        errs.push(format!("can't adopt Pod {}/{} ({}): {e}", ns, p.metadata.name, p.metadata.uid));
                        continue;
                    }
                    let r = new_controller_ref(&set.metadata, Kind::StatefulSet);
                    match adopt(api, Kind::Pod, &ns, &p.metadata.name, &p.metadata.uid, r) {
                        Ok(o) => claimed.push(o),
                        Err(e) if e.is_not_found() => {}
                        Err(e) => errs.push(e.message),
                    }
                }
            }
        }
        if !errs.is_empty() {
            return Err(aggregate(errs));
        }
        crate::engine::sort::sort_by(&mut claimed, |a, b| a.meta().name.cmp(&b.meta().name));
        Ok(claimed)
    }

    /// The O(1) sync of a set at rest: every pod of its ordinal range
    /// exists, none is stopping, each has its identity and claims, all are
    /// at the update revision, nobody is to be adopted, and no claim needs
    /// its owners fixed. Then the full algorithm would change nothing but
    /// the status, which the totals give. Returns None when the set is not
    /// at rest.
    fn steady_sync(
        &self,
        api: &mut Api,
        set: &StatefulSet,
        revisions: &[ControllerRevision],
        patch: &serde_json::Value,
    ) -> Result<Option<StatefulSetStatus>, String> {
        let empty = SetPods::default();
        let t = self.track.get(&set.metadata.uid).map_or(&empty, |b| b);
        if set.metadata.is_deleting() || t.dirty || t.not_ok > 0 || t.terminal > 0 || t.terminating > 0 {
            return Ok(None);
        }
        let n = replicas(set);
        if t.pods.len() as i64 != n || t.ordinals.len() as i64 != n {
            return Ok(None);
        }
        if n > 0 && (t.ordinals.first() != Some(start_ordinal(set)) || t.ordinals.last() != Some(end_ordinal(set))) {
            return Ok(None);
        }
        if !set.spec.volume_claim_templates.is_empty() && (t.pending > 0 || retention_policy(set) != (false, false)) {
            return Ok(None);
        }
        let ns = &set.metadata.namespace;
        let adoptable = self
            .orphan_pods
            .names(ns)
            .filter_map(|name| api.get_t::<Pod>(ns, name))
            .any(|p| !p.metadata.is_deleting() && selector_matches(set.spec.selector.as_ref(), &p.metadata.labels) && is_member_of(set, p));
        if adoptable {
            return Ok(None);
        }
        // the update revision must already be the newest one
        let collision = set.status.collision_count.unwrap_or(0);
        let Some(update) = revisions.last().filter(|r| &r.data == patch).cloned() else {
            return Ok(None);
        };
        let updated = t.by_revision.get(&update.metadata.name).copied().unwrap_or(0);
        if set.spec.update_strategy.type_ != StatefulSetUpdateStrategyType::OnDelete && updated as i64 != n {
            return Ok(None);
        }
        let current = revisions.iter().find(|r| r.metadata.name == set.status.current_revision).cloned().unwrap_or_else(|| update.clone());
        let st = StatefulSetStatus {
            observed_generation: set.metadata.generation,
            replicas: t.created,
            ready_replicas: t.running_ready,
            available_replicas: t.available(set.spec.min_ready_seconds, api.now),
            current_replicas: t.by_revision.get(&current.metadata.name).copied().unwrap_or(0),
            updated_replicas: updated,
            current_revision: current.metadata.name.clone(),
            update_revision: update.metadata.name.clone(),
            collision_count: Some(collision),
            conditions: vec![],
        };
        control::update_status(api, set, st.clone())?;
        control::truncate_history(api, set, t.by_revision.keys().map(|s| s.as_str()), revisions, Some(&current), Some(&update))?;
        Ok(Some(st))
    }
}

/// The StatefulSets, as the owners of pods: addPod / updatePod / deletePod.
const OWNER: OwnerKind = OwnerKind { kind: Kind::StatefulSet, selector: |o| StatefulSet::from_object(o).and_then(|s| s.spec.selector.as_ref()) };

/// Invariants that hold whenever the controllers have caught up (after any
/// `Cluster` call): a StatefulSet identity (its
/// `statefulset.kubernetes.io/pod-name` label) is carried by at most one
/// pod that has not stopped for good, and every pod a StatefulSet controls
/// has the name, identity labels and claims of its ordinal. The status
/// never counts more ready than existing replicas.
pub fn check_invariants(api: &Api) -> Result<(), String> {
    for set in api.store.list_t::<StatefulSet>() {
        let mut identities: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for r in api.store.dependents_of_kind(&set.metadata.uid, Kind::Pod) {
            let Some(p) = api.store.get_ref(r).and_then(|o| Pod::from_object(o)) else { continue };
            if p.metadata.controller_ref().is_none_or(|c| c.uid != set.metadata.uid) {
                continue;
            }
            let (parent, ord) = parent_and_ordinal(&p.metadata.name);
            if parent != set.metadata.name || ord < 0 {
                return Err(format!("pod {} of StatefulSet {} has no ordinal name", p.key(), set.key()));
            }
            if p.metadata.label(POD_NAME_LABEL) != Some(p.metadata.name.as_str()) || p.metadata.label(POD_INDEX_LABEL) != Some(ord.to_string().as_str()) {
                return Err(format!("pod {} has identity labels {:?}/{:?}", p.key(), p.metadata.label(POD_NAME_LABEL), p.metadata.label(POD_INDEX_LABEL)));
            }
            for t in &set.spec.volume_claim_templates {
                let want = claim_name(set, t, ord);
                let got =
                    p.spec.volumes.iter().find(|v| v.name == t.metadata.name).and_then(|v| v.persistent_volume_claim.as_ref()).map(|c| c.claim_name.as_str());
                if got != Some(want.as_str()) {
                    return Err(format!("pod {} mounts {:?} as {}, not claim {want}", p.key(), got, t.metadata.name));
                }
            }
        }
        for p in api.store.list_ns_t::<Pod>(&set.metadata.namespace) {
            if is_pod_terminal(p) {
                continue;
            }
            if let Some(id) = p.metadata.label(POD_NAME_LABEL)
                && parent_and_ordinal(id).0 == set.metadata.name
                && p.metadata.controller_ref().is_some_and(|c| c.uid == set.metadata.uid)
            {
                identities.entry(id.to_string()).or_default().push(p.metadata.name.clone());
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
