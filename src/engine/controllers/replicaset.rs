//! The ReplicaSet controller (pkg/controller/replicaset): keeps
//! `spec.replicas` active pods made from the template, adopting matching
//! orphans and releasing pods that stopped matching, creating in slow-start
//! batches and deleting the pods the real controller ranks first
//! (`ActivePodsWithRanks`), and reports replicas, fullyLabeledReplicas,
//! readyReplicas, availableReplicas (minReadySeconds) and terminatingReplicas.

use super::controller_utils::*;
use super::{Controller, Ctl, Cx, WorkQueue};
use crate::engine::api::*;
use crate::engine::apiserver::{Api, DeleteOptions};
use crate::engine::sort::Tally;
use crate::engine::store::{Change, Op};
use crate::engine::time::Time;
use std::collections::BTreeMap;

/// The events' source: this controller, or the replication manager.
fn component(kind: Kind) -> &'static str {
    if kind == Kind::ReplicationController { "replication-controller" } else { "replicaset-controller" }
}

/// The annotation that lowers a pod's deletion cost (PodDeletionCost).
pub const POD_DELETION_COST: &str = "controller.kubernetes.io/pod-deletion-cost";

#[derive(Clone)]
pub struct ReplicaSetController {
    /// ReplicaSet, or ReplicationController for the replication manager
    /// (pkg/controller/replication: this controller behind an adapter that
    /// sees each ReplicationController as a ReplicaSet).
    kind: Kind,
    orphans: OrphanIndex,
    /// What each ReplicaSet's pods look like, kept from the watch so a sync
    /// costs O(change), not O(replicas) (the real controller lists its pods
    /// from an informer cache at every sync; here that would make a pod
    /// event cost as much as the ReplicaSet is large).
    // Boxed values: BTreeMap's code is compiled per value size, and maps of
    // pointer-sized values share one copy in the wasm.
    // Boxed values, as above.
    track: BTreeMap<String, Box<RsPods>>,
    wakeups: Wakeups,
    backoff: Backoff,
}

impl Default for ReplicaSetController {
    fn default() -> Self {
        ReplicaSetController {
            kind: Kind::ReplicaSet,
            orphans: OrphanIndex::default(),
            track: BTreeMap::new(),
            wakeups: Wakeups::default(),
            backoff: Backoff::controller(),
        }
    }
}

impl ReplicaSetController {
    /// The replication manager (pkg/controller/replication).
    pub fn replication_manager() -> Self {
        ReplicaSetController { kind: Kind::ReplicationController, ..Default::default() }
    }
}

/// The object as a ReplicaSet: itself, or a ReplicationController converted
/// (its selector map as matchLabels), as the replication manager's adapter does.
pub fn as_rs(o: &Object) -> Option<ReplicaSet> {
    match o {
        Object::ReplicaSet(r) => Some(r.clone()),
        Object::Generic(g) if g.kind == Kind::ReplicationController => {
            let spec = g.field("spec");
            let match_labels: Labels = crate::engine::decode::from_json(&spec["selector"]).unwrap_or_default();
            Some(ReplicaSet {
                metadata: g.metadata.clone(),
                spec: ReplicaSetSpec {
                    replicas: spec["replicas"].as_i64().map(|r| r as i32),
                    min_ready_seconds: spec["minReadySeconds"].as_i64().unwrap_or(0) as i32,
                    selector: Some(LabelSelector { match_labels, ..Default::default() }),
                    template: crate::engine::decode::from_json(&spec["template"]).unwrap_or_default(),
                },
                status: crate::engine::decode::from_json(g.field("status")).unwrap_or_default(),
                ..Default::default()
            })
        }
        _ => None,
    }
}

/// The facts about one pod its ReplicaSet's status and sizing depend on.
#[derive(Clone, Debug, PartialEq)]
struct PodFacts {
    active: bool,
    terminating: bool,
    /// Matches the ReplicaSet's selector (else it is to be released).
    selected: bool,
    ready: bool,
    /// When the pod became ready (ms), if it is.
    ready_since: Option<i64>,
    /// Carries every label of the ReplicaSet's template.
    fully_labeled: bool,
}

fn facts(p: &Pod, rs: &ReplicaSet) -> PodFacts {
    let ready = is_pod_ready(p);
    PodFacts {
        active: is_pod_active(p),
        terminating: is_pod_terminating(p),
        selected: selector_matches(rs.spec.selector.as_ref(), &p.metadata.labels),
        ready,
        ready_since: if ready { pod_ready_condition(p).and_then(|c| c.last_transition_time).map(|t| t.0) } else { None },
        fully_labeled: rs.spec.template.metadata.labels.iter().all(|(k, v)| p.metadata.labels.get(k) == Some(v)),
    }
}

/// The pods one ReplicaSet controls, with running totals.
#[derive(Clone, Debug, Default)]
struct RsPods {
    // Boxed values, as above.
    pods: BTreeMap<String, Box<PodFacts>>,
    /// active and selected: the replicas it has
    active: i32,
    /// active but no longer selected: to be released
    unselected: i32,
    terminating: i32,
    ready: i32,
    fully_labeled: i32,
    /// ready-since instants of the active, selected, ready pods
    ready_since: Tally,
}

impl RsPods {
    fn apply(&mut self, f: &PodFacts, sign: i32) {
        if f.active && !f.selected {
            self.unselected += sign;
        }
        if f.terminating && f.selected {
            self.terminating += sign;
        }
        if !(f.active && f.selected) {
            return;
        }
        self.active += sign;
        if f.fully_labeled {
            self.fully_labeled += sign;
        }
        if f.ready {
            self.ready += sign;
            if let Some(t) = f.ready_since {
                self.ready_since.bump(t, sign);
            }
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

    /// Ready pods that have been ready for minReadySeconds.
    fn available(&self, min_ready: i32, now: Time) -> i32 {
        if min_ready <= 0 {
            return self.ready;
        }
        let cutoff = now.0 - min_ready as i64 * 1000;
        self.ready_since.sum_to(cutoff)
    }

    /// When the next of these ready pods becomes available.
    fn next_available(&self, min_ready: i32, now: Time) -> Option<Time> {
        if min_ready <= 0 {
            return None;
        }
        let cutoff = now.0 - min_ready as i64 * 1000;
        self.ready_since.first_after(cutoff).map(|t| Time(t + min_ready as i64 * 1000))
    }
}

impl ReplicaSetController {
    /// Keeps `track` in step with one pod change.
    fn observe_pod(&mut self, ch: &Change, api: &Api) {
        let (old, new) = ch.typed::<Pod>();
        if let Some(r) = old.and_then(|p| p.metadata.controller_ref()).filter(|r| r.kind == self.kind.info().kind)
            && let Some(t) = self.track.get_mut(&r.uid)
        {
            t.remove(&ch.key.name);
        }
        if let Some(p) = new
            && let Some(r) = p.metadata.controller_ref()
            && let Some(rs) = resolve_controller_ref(api, self.kind, &p.metadata.namespace, r).and_then(|o| as_rs(o))
        {
            self.track.entry(rs.metadata.uid.clone()).or_default().insert(&ch.key.name, facts(p, &rs));
        }
    }

    /// A ReplicaSet changed: its pods' facts are recomputed when what they
    /// are measured against (selector, template labels) changed.
    fn observe_rs(&mut self, ch: &Change, api: &Api) {
        let (old, new) = (ch.old.as_deref().and_then(as_rs), ch.new.as_deref().and_then(as_rs));
        match (old.as_ref(), new.as_ref()) {
            (_, None) => {
                if let Some(o) = old {
                    self.track.remove(&o.metadata.uid);
                }
            }
            (Some(o), Some(n)) if o.spec.selector == n.spec.selector && o.spec.template.metadata.labels == n.spec.template.metadata.labels => {}
            (_, Some(n)) => {
                let Some(rs) = api.store.get(self.kind, &ch.key).and_then(|o| as_rs(o)).filter(|r| r.metadata.uid == n.metadata.uid) else { return };
                let t = self.track.entry(rs.metadata.uid.clone()).or_default();
                let names: Vec<String> = t.pods.keys().cloned().collect();
                for name in names {
                    match api.get_t::<Pod>(&rs.metadata.namespace, &name) {
                        Some(p) if p.metadata.controller_ref().is_some_and(|c| c.uid == rs.metadata.uid) => t.insert(&name, facts(p, &rs)),
                        _ => t.remove(&name),
                    }
                }
            }
        }
    }
}

impl Controller for ReplicaSetController {
    fn id(&self) -> Ctl {
        if self.kind == Kind::ReplicationController { Ctl::Replication } else { Ctl::ReplicaSet }
    }

    fn watch(&mut self, ch: &Change, api: &Api, q: &mut WorkQueue) {
        match ch.kind {
            k if k == self.kind => {
                self.observe_rs(ch, api);
                q.add(ch.obj_ref());
            }
            Kind::Pod => {
                self.orphans.observe(ch);
                self.observe_pod(ch, api);
                if self.kind == Kind::ReplicaSet {
                    pod_changed(ch, api, q);
                } else {
                    rc_pod_changed(ch, api, q);
                }
            }
            _ => {}
        }
    }

    fn sync(&mut self, key: &ObjRef, cx: &mut Cx) {
        let obj = cx.api.store.get(self.kind, &key.key).cloned();
        let Some((rs, obj)) = obj.and_then(|o| as_rs(&o).map(|rs| (rs, o))) else {
            self.backoff.forget(key);
            self.wakeups.forget(key);
            return;
        };
        let empty = RsPods::default();
        let pods = self.track.get(&rs.metadata.uid).map_or(&empty, |b| b);
        match sync_replica_set(cx.api, &obj, &self.orphans, pods, rs) {
            Ok(Some(at)) => {
                self.backoff.forget(key);
                self.wakeups.wake(cx.api, self.id(), key.clone(), at);
            }
            Ok(None) => self.backoff.forget(key),
            Err(_) => {
                self.backoff.retry(cx.api, self.id(), key.clone());
            }
        }
    }
}

/// The ReplicaSets, as the owners of pods.
const OWNER: OwnerKind = OwnerKind { kind: Kind::ReplicaSet, selector: |o| ReplicaSet::from_object(o).and_then(|rs| rs.spec.selector.as_ref()) };

/// addPod / updatePod / deletePod. updatePod starts with its own case: a
/// pod being deleted counts as deleted (the expectations observe it), and
/// wakes its old controller too when its labels changed.
fn pod_changed(ch: &Change, api: &Api, q: &mut WorkQueue) {
    if let (Op::Modified, (Some(old), Some(cur))) = (ch.op, ch.typed::<Pod>())
        && cur.metadata.is_deleting()
    {
        OWNER.enqueue_controller_of(&cur.metadata, api, q);
        if old.metadata.labels != cur.metadata.labels {
            OWNER.enqueue_controller_of(&old.metadata, api, q);
        }
        return;
    }
    OWNER.enqueue_for_child(ch, api, q);
}

/// The replication manager's pod handlers: the controller a pod names,
/// else the ReplicationControllers of its namespace whose selector matches.
fn rc_pod_changed(ch: &Change, api: &Api, q: &mut WorkQueue) {
    let kind = Kind::ReplicationController;
    for m in [ch.old.as_deref(), ch.new.as_deref()].into_iter().flatten().map(Object::meta) {
        match m.controller_ref() {
            Some(r) => {
                if let Some(o) = resolve_controller_ref(api, kind, &m.namespace, r) {
                    q.add(o.obj_ref());
                }
            }
            None if !m.labels.is_empty() && ch.op != Op::Deleted => {
                for o in api.store.list_ns(kind, &m.namespace) {
                    if as_rs(o).is_some_and(|rs| selector_selects(rs.spec.selector.as_ref(), &m.labels)) {
                        q.add(o.obj_ref());
                    }
                }
            }
            None => {}
        }
    }
}

/// Counts of the pods a sync works with (`activePods` and the terminating ones).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Counts {
    replicas: i32,
    fully_labeled: i32,
    ready: i32,
    available: i32,
    terminating: i32,
}

/// `syncReplicaSet`.
/// Returns when to look again (minReadySeconds), if ever.
fn sync_replica_set(api: &mut Api, obj: &Object, orphans: &OrphanIndex, pods: &RsPods, rs: ReplicaSet) -> Result<Option<Time>, String> {
    let kind = obj.kind();
    let ns = rs.metadata.namespace.clone();
    let now = api.now;
    let min_ready = rs.spec.min_ready_seconds;
    // claimPods: adopt matching orphans, release owned pods that stopped matching
    let mut adopted: Vec<Pod> = vec![];
    let mut errs = vec![];
    if !rs.metadata.is_deleting() {
        let candidates: Vec<Pod> = orphans
            .names(&ns)
            .filter_map(|n| api.get_t::<Pod>(&ns, n))
            .filter(|p| is_pod_active(p) && p.metadata.controller_ref().is_none() && selector_matches(rs.spec.selector.as_ref(), &p.metadata.labels))
            .cloned()
            .collect();
        if !candidates.is_empty() {
            adopted = claim_objects(api, &rs.metadata, kind, candidates, |_| true).unwrap_or_else(|e| {
                errs.push(e);
                vec![]
            });
        }
        if pods.unselected > 0 {
            for (name, f) in &pods.pods {
                if f.active
                    && !f.selected
                    && let Some(p) = api.get_t::<Pod>(&ns, name).cloned()
                    && let Err(e) = release(api, Kind::Pod, &ns, name, &p.metadata.uid, &rs.metadata.uid)
                {
                    errs.push(e.message);
                }
            }
        }
    }
    if !errs.is_empty() {
        return Err(aggregate(errs));
    }
    let mut counts = Counts {
        replicas: pods.active,
        fully_labeled: pods.fully_labeled,
        ready: pods.ready,
        available: pods.available(min_ready, now),
        terminating: pods.terminating,
    };
    for p in &adopted {
        let f = facts(p, &rs);
        counts.replicas += 1;
        counts.fully_labeled += f.fully_labeled as i32;
        counts.ready += f.ready as i32;
        counts.available += is_pod_available(p, min_ready, now) as i32;
    }
    let mut manage_err = None;
    if !rs.metadata.is_deleting() {
        manage_err = manage_replicas(api, &rs, obj, pods, &adopted, counts.replicas).err();
    }
    let status = calculate_status(&rs, counts, manage_err.as_deref(), now);
    let updated = update_status(api, obj, &rs, status)?;
    if let Some(e) = manage_err {
        return Err(e);
    }
    if min_ready > 0 && updated.status.ready_replicas != updated.status.available_replicas {
        let next = [pods.next_available(min_ready, now), next_availability_check(adopted.iter(), min_ready, now)].into_iter().flatten().min();
        return Ok(Some(next.unwrap_or(now.plus(min_ready as i64 * 1000))));
    }
    Ok(None)
}

/// `manageReplicas`: create or delete the difference.
fn manage_replicas(api: &mut Api, rs: &ReplicaSet, rs_obj: &Object, pods: &RsPods, adopted: &[Pod], active: i32) -> Result<(), String> {
    let want = rs.spec.replicas.unwrap_or(1) as i64;
    let diff = active as i64 - want;
    let component = component(rs_obj.kind());
    if diff < 0 {
        let n = ((-diff) as usize).min(BURST_REPLICAS);
        let (_, err) = slow_start_batch(n, SLOW_START_INITIAL_BATCH_SIZE, usize::MAX, |_| create_pod(api, rs, rs_obj));
        return match err {
            Some(e) => Err(e),
            None => Ok(()),
        };
    }
    if diff > 0 {
        let n = (diff as usize).min(BURST_REPLICAS);
        let ns = &rs.metadata.namespace;
        let mut active_pods: Vec<Pod> =
            pods.pods.iter().filter(|(_, f)| f.active && f.selected).filter_map(|(name, _)| api.get_t::<Pod>(ns, name).cloned()).collect();
        active_pods.extend(adopted.iter().cloned());
        let related = related_pods(api, rs);
        let victims = pods_to_delete(&active_pods, &related, n, api.now);
        let mut first_err = None;
        for p in victims {
            match api.delete(Kind::Pod, ns, &p.metadata.name, &DeleteOptions::default()) {
                Ok(_) => api.event(rs_obj, "Normal", "SuccessfulDelete", &format!("Deleted pod: {}", p.metadata.name), component),
                Err(e) if e.is_not_found() => {}
                Err(e) => {
                    api.event(rs_obj, "Warning", "FailedDelete", &format!("Error deleting: {}", e.message), component);
                    first_err.get_or_insert(format!("unable to delete pods: {}", e.message));
                }
            }
        }
        if let Some(e) = first_err {
            return Err(e);
        }
    }
    Ok(())
}

/// `RealPodControl.CreatePods` for one pod.
fn create_pod(api: &mut Api, rs: &ReplicaSet, rs_obj: &Object) -> Result<(), String> {
    let pod = pod_from_template(&rs.spec.template, &rs.metadata.name, new_controller_ref(&rs.metadata, rs_obj.kind()));
    if pod.metadata.labels.is_empty() {
        return Err("unable to create pods, no labels".into());
    }
    let mut pod = pod;
    pod.metadata.namespace = rs.metadata.namespace.clone();
    match api.create(Object::Pod(pod)) {
        Ok(w) => {
            api.event(rs_obj, "Normal", "SuccessfulCreate", &format!("Created pod: {}", w.object.meta().name), component(rs_obj.kind()));
            Ok(())
        }
        Err(e) if is_namespace_terminating(&e) => Ok(()),
        Err(e) => {
            api.event(rs_obj, "Warning", "FailedCreate", &format!("Error creating: {}", e.message), component(rs_obj.kind()));
            Err(e.message)
        }
    }
}

/// `getIndirectlyRelatedPods`: the pods of every ReplicaSet sharing this
/// one's controller (a Deployment's old and new ReplicaSets).
fn related_pods(api: &Api, rs: &ReplicaSet) -> Vec<Pod> {
    let Some(cref) = rs.metadata.controller_ref() else { return vec![] };
    // references sorted by uid, each pod once (a map of `Pod` values was
    // the wasm's only one of that layout)
    let mut out: Vec<&Pod> = vec![];
    let siblings: Vec<ReplicaSet> = api
        .store
        .dependents_of_kind(&cref.uid, Kind::ReplicaSet)
        .filter_map(|r| api.store.get_ref(r).and_then(|o| ReplicaSet::from_object(o)).cloned())
        .filter(|s| s.metadata.controller_ref().is_some_and(|c| c.uid == cref.uid))
        .collect();
    for s in siblings {
        for r in api.store.dependents_of_kind(&s.metadata.uid, Kind::Pod) {
            if let Some(p) = api.store.get_ref(r).and_then(|o| Pod::from_object(o))
                && selector_matches(s.spec.selector.as_ref(), &p.metadata.labels)
            {
                out.push(p);
            }
        }
    }
    crate::engine::sort::sort_by(&mut out, |a, b| a.metadata.uid.cmp(&b.metadata.uid));
    out.dedup_by(|a, b| a.metadata.uid == b.metadata.uid);
    out.into_iter().cloned().collect()
}

/// `getPodsToDelete`: the first `diff` pods in deletion-preference order.
pub fn pods_to_delete(active: &[Pod], related: &[Pod], diff: usize, now: Time) -> Vec<Pod> {
    let mut pods: Vec<Pod> = active.to_vec();
    if diff < pods.len() {
        let mut on_node: BTreeMap<&str, i32> = BTreeMap::new();
        for p in related {
            if is_pod_active(p) {
                *on_node.entry(p.spec.node_name.as_str()).or_default() += 1;
            }
        }
        let mut ranked: Vec<(Pod, i32)> = pods
            .into_iter()
            .map(|p| {
                let r = on_node.get(p.spec.node_name.as_str()).copied().unwrap_or(0);
                (p, r)
            })
            .collect();
        // Upstream's Less is not a total order; sort as Go does (never panics).
        super::controller_utils::go_sort(&mut ranked, |a, b| less(&a.0, a.1, &b.0, b.1, now));
        pods = ranked.into_iter().map(|(p, _)| p).collect();
    }
    pods.truncate(diff);
    pods
}

fn phase_ordinal(phase: &PodPhase) -> i32 {
    match phase {
        PodPhase::Unknown => 1,
        PodPhase::Running => 2,
        _ => 0, // Pending, and phases the map does not list
    }
}

fn deletion_cost(p: &Pod) -> i32 {
    p.metadata.annotation(POD_DELETION_COST).and_then(|v| v.parse::<i32>().ok()).unwrap_or(0)
}

/// Seconds: the precision metav1.Time keeps.
fn secs(t: Option<Time>) -> Option<i64> {
    t.map(|t| t.0.div_euclid(1000))
}

fn ready_time(p: &Pod) -> Option<i64> {
    if !is_pod_ready(p) {
        return None;
    }
    p.status.conditions.iter().find(|c| c.type_ == ConditionType::Ready && c.status == ConditionStatus::True).and_then(|c| secs(c.last_transition_time))
}

/// `afterOrZero`: a zero time counts as after any other.
fn after_or_zero(a: Option<i64>, b: Option<i64>) -> bool {
    match (a, b) {
        (None, _) | (_, None) => a.is_none(),
        (Some(a), Some(b)) => a > b,
    }
}

/// `logarithmicRankDiff`: base-2 logarithmic age ranks (in nanoseconds) of two instants.
fn log_rank_diff(a: i64, b: i64, now_s: i64) -> i64 {
    let rank = |t: i64| {
        let d_ns = (now_s - t) as f64 * 1e9;
        if d_ns > 0.0 { d_ns.log2() as i64 } else { -1 }
    };
    rank(a) - rank(b)
}

fn max_restarts(p: &Pod) -> (i32, i32) {
    let regular = p.status.container_statuses.iter().map(|c| c.restart_count).max().unwrap_or(0).max(0);
    let sidecars: Vec<&str> = p.spec.init_containers.iter().filter(|c| c.restart_policy.as_deref() == Some("Always")).map(|c| c.name.as_str()).collect();
    let side = p.status.init_container_statuses.iter().filter(|c| sidecars.contains(&c.name.as_str())).map(|c| c.restart_count).max().unwrap_or(0).max(0);
    (regular, side)
}

/// `ActivePodsWithRanks.Less`: is pod `a` (rank `ra`) preferred for deletion over `b`?
fn less(a: &Pod, ra: i32, b: &Pod, rb: i32, now: Time) -> bool {
    // 1. unassigned < assigned
    if a.spec.node_name != b.spec.node_name && (a.spec.node_name.is_empty() || b.spec.node_name.is_empty()) {
        return a.spec.node_name.is_empty();
    }
    // 2. Pending < Unknown < Running
    let (pa, pb) = (phase_ordinal(&a.status.phase), phase_ordinal(&b.status.phase));
    if pa != pb {
        return pa < pb;
    }
    // 3. not ready < ready
    if is_pod_ready(a) != is_pod_ready(b) {
        return !is_pod_ready(a);
    }
    // 4. lower pod-deletion-cost first
    let (ca, cb) = (deletion_cost(a), deletion_cost(b));
    if ca != cb {
        return ca < cb;
    }
    // 5. doubled up on a node < not doubled up
    if ra != rb {
        return ra > rb;
    }
    let now_s = now.0.div_euclid(1000);
    // 6. ready for less time < more time (logarithmic buckets, then uid)
    if is_pod_ready(a) && is_pod_ready(b) {
        let (ta, tb) = (ready_time(a), ready_time(b));
        if ta != tb {
            match (ta, tb) {
                (Some(x), Some(y)) => {
                    let d = log_rank_diff(x, y, now_s);
                    if d == 0 {
                        return a.metadata.uid < b.metadata.uid;
                    }
                    return d < 0;
                }
                _ => return after_or_zero(ta, tb),
            }
        }
    }
    // 7. more container restarts first
    let (ma, mb) = (max_restarts(a), max_restarts(b));
    if ma.0 != mb.0 {
        return ma.0 > mb.0;
    }
    if ma.1 != mb.1 {
        return ma.1 > mb.1;
    }
    // 8. newer < older (logarithmic buckets, then uid)
    let (ta, tb) = (secs(a.metadata.creation_timestamp), secs(b.metadata.creation_timestamp));
    if ta != tb {
        return match (ta, tb) {
            (Some(x), Some(y)) => {
                let d = log_rank_diff(x, y, now_s);
                if d == 0 { a.metadata.uid < b.metadata.uid } else { d < 0 }
            }
            _ => after_or_zero(ta, tb),
        };
    }
    false
}

/// `calculateStatus`.
fn calculate_status(rs: &ReplicaSet, c: Counts, manage_err: Option<&str>, now: Time) -> ReplicaSetStatus {
    let mut st = rs.status.clone();
    let has_failure = get_condition(&st.conditions, &ConditionType::ReplicaFailure).is_some();
    match manage_err {
        Some(e) if !has_failure => {
            let diff = c.replicas as i64 - rs.spec.replicas.unwrap_or(1) as i64;
            let reason = if diff < 0 {
                "FailedCreate"
            } else if diff > 0 {
                "FailedDelete"
            } else {
                ""
            };
            set_condition_last(
                &mut st.conditions,
                DeploymentCondition {
                    type_: ConditionType::ReplicaFailure,
                    status: ConditionStatus::True,
                    last_update_time: None,
                    last_transition_time: Some(now),
                    reason: reason.into(),
                    message: e.into(),
                },
            );
        }
        None if has_failure => {
            remove_condition(&mut st.conditions, &ConditionType::ReplicaFailure);
        }
        _ => {}
    }
    st.replicas = c.replicas;
    st.fully_labeled_replicas = c.fully_labeled;
    st.ready_replicas = c.ready;
    st.available_replicas = c.available;
    st.terminating_replicas = Some(c.terminating);
    st
}

/// `updateReplicaSetStatus`: writes only when something changed.
fn update_status(api: &mut Api, obj: &Object, rs: &ReplicaSet, mut st: ReplicaSetStatus) -> Result<ReplicaSet, String> {
    let cur = &rs.status;
    if cur.replicas == st.replicas
        && cur.fully_labeled_replicas == st.fully_labeled_replicas
        && cur.ready_replicas == st.ready_replicas
        && cur.available_replicas == st.available_replicas
        && cur.terminating_replicas == st.terminating_replicas
        && rs.metadata.generation == cur.observed_generation
        && cur.conditions == st.conditions
    {
        return Ok(rs.clone());
    }
    st.observed_generation = rs.metadata.generation;
    if let Object::Generic(g) = obj {
        // the ReplicationController's status: no terminatingReplicas
        st.terminating_replicas = None;
        let mut g = g.clone();
        g.body.insert("status".into(), crate::engine::api::to_json(&st));
        let w = api.update_status(Object::Generic(g)).map_err(|e| e.message)?;
        return Ok(as_rs(&w.object).unwrap_or_else(|| rs.clone()));
    }
    let mut next = rs.clone();
    next.status = st;
    let w = api.update_status(Object::ReplicaSet(next)).map_err(|e| e.message)?;
    Ok(ReplicaSet::from_object(&w.object).cloned().unwrap_or_else(|| rs.clone()))
}

/// Invariants that hold whenever the controllers have caught up (after any
/// `Cluster` call): no ReplicaSet controls more active pods than it wants,
/// every pod it controls is one its selector matches or one it is about to
/// let go, and no pod has two controllers.
pub fn check_invariants(api: &Api) -> Result<(), String> {
    for rs in api.store.list_t::<ReplicaSet>() {
        let want = rs.spec.replicas.unwrap_or(1) as usize;
        let mut active = 0;
        for r in api.store.dependents_of_kind(&rs.metadata.uid, Kind::Pod) {
            let Some(p) = api.store.get_ref(r).and_then(|o| Pod::from_object(o)) else { continue };
            if p.metadata.owner_references.iter().filter(|o| o.controller == Some(true)).count() > 1 {
                return Err(format!("pod {} has more than one controller", p.key()));
            }
            if p.metadata.controller_ref().is_some_and(|c| c.uid == rs.metadata.uid) && is_pod_active(p) {
                active += 1;
            }
        }
        if !rs.metadata.is_deleting() && active > want {
            return Err(format!("ReplicaSet {} controls {active} active pods but wants {want}", rs.key()));
        }
        let st = &rs.status;
        if st.ready_replicas > st.replicas || st.available_replicas > st.ready_replicas || st.fully_labeled_replicas > st.replicas {
            return Err(format!("ReplicaSet {} has an inconsistent status {:?}", rs.key(), st));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::controllers::testkit::*;
    use crate::engine::time::SECOND;

    fn rs(name: &str, replicas: i32) -> Object {
        Object::ReplicaSet(ReplicaSet {
            metadata: ObjectMeta::named("default", name),
            spec: ReplicaSetSpec { replicas: Some(replicas), selector: selector("web"), template: template("web", "nginx:1.25"), ..Default::default() },
            ..Default::default()
        })
    }

    fn harness() -> Harness {
        Harness::new(vec![Box::new(ReplicaSetController::default())])
    }

    #[test]
    fn creates_pods_with_generated_names_and_controller_refs() {
        let mut h = harness();
        let o = h.create(rs("web", 3));
        let pods = h.pods("default");
        assert_eq!(pods.len(), 3);
        for p in &pods {
            assert!(p.metadata.name.starts_with("web-") && p.metadata.name.len() == "web-".len() + 5, "{}", p.metadata.name);
            assert_eq!(p.metadata.generate_name, "web-");
            let r = p.metadata.controller_ref().unwrap();
            assert_eq!((r.kind.as_str(), r.name.as_str(), r.uid.as_str(), r.api_version.as_str()), ("ReplicaSet", "web", o.meta().uid.as_str(), "apps/v1"));
            assert_eq!(r.block_owner_deletion, Some(true));
            assert_eq!(p.metadata.labels["app"], "web");
        }
        let ev = h.events(Kind::ReplicaSet, "default", "web");
        assert_eq!(ev.len(), 3);
        assert!(ev.iter().all(|(r, m)| r == "SuccessfulCreate" && m.starts_with("Created pod: web-")));
        let st = &h.api.get_t::<ReplicaSet>("default", "web").unwrap().status;
        assert_eq!((st.replicas, st.fully_labeled_replicas, st.ready_replicas, st.observed_generation, st.terminating_replicas), (3, 3, 0, 1, Some(0)));
    }

    #[test]
    fn status_counts_ready_and_available_with_min_ready_seconds() {
        let mut h = harness();
        let mut o = rs("web", 2);
        if let Object::ReplicaSet(r) = &mut o {
            r.spec.min_ready_seconds = 10;
        }
        h.create(o);
        let names = h.pod_names("default");
        h.ready("default", &names[0]);
        let st = h.api.get_t::<ReplicaSet>("default", "web").unwrap().status.clone();
        assert_eq!((st.ready_replicas, st.available_replicas), (1, 0));
        // the controller wakes itself when the pod has been ready for 10s
        h.advance(10 * SECOND);
        let st = h.api.get_t::<ReplicaSet>("default", "web").unwrap().status.clone();
        assert_eq!((st.ready_replicas, st.available_replicas), (1, 1));
    }

    #[test]
    fn scale_down_deletes_not_ready_before_ready_and_newest_first() {
        let mut h = harness();
        h.create(rs("web", 3));
        let names = h.pod_names("default");
        for n in &names {
            h.bind("default", n, "node-a");
        }
        h.ready("default", &names[0]);
        h.advance(120 * SECOND);
        h.ready("default", &names[2]);
        // names[1] stays not ready: it goes first; then the most recently ready one
        let mut o = h.api.get_t::<ReplicaSet>("default", "web").unwrap().clone();
        o.spec.replicas = Some(1);
        h.update(Object::ReplicaSet(o));
        let ev = h.events(Kind::ReplicaSet, "default", "web");
        let deleted: Vec<_> = ev.iter().filter(|(r, _)| r == "SuccessfulDelete").map(|(_, m)| m.clone()).collect();
        assert_eq!(deleted, [format!("Deleted pod: {}", names[1]), format!("Deleted pod: {}", names[2])]);
        // bound pods terminate gracefully: they count as terminating, not as replicas
        let st = h.api.get_t::<ReplicaSet>("default", "web").unwrap().status.clone();
        assert_eq!((st.replicas, st.terminating_replicas), (1, Some(2)));
        assert!(h.pod("default", &names[1]).unwrap().metadata.is_deleting());
    }

    #[test]
    fn unassigned_pods_go_first_and_deletion_cost_counts() {
        let mk = |name: &str, node: &str, ready: bool, cost: Option<&str>, created: i64| {
            let mut p = Pod { metadata: ObjectMeta::named("default", name), ..Default::default() };
            p.metadata.uid = name.into();
            p.metadata.creation_timestamp = Some(Time(created * 1000));
            p.spec.node_name = node.into();
            if let Some(c) = cost {
                p.metadata.annotations.insert(POD_DELETION_COST.into(), c.into());
            }
            if ready {
                set_running_ready(&mut p, Time(created * 1000), true);
            } else {
                p.status.phase = PodPhase::Running;
            }
            p
        };
        let now = Time(10_000 * 1000);
        let pods = vec![mk("a", "n1", true, None, 100), mk("b", "", false, None, 100), mk("c", "n1", true, Some("-5"), 100), mk("d", "n1", false, None, 100)];
        let order: Vec<_> = pods_to_delete(&pods, &[], 3, now).into_iter().map(|p| p.metadata.name).collect();
        assert_eq!(order, ["b", "d", "c"]);
    }

    #[test]
    fn adopts_orphans_and_releases_pods_that_stop_matching() {
        let mut h = harness();
        let mut orphan = Pod {
            metadata: ObjectMeta { name: "stray".into(), namespace: "default".into(), labels: labels(&[("app", "web")]), ..Default::default() },
            ..Default::default()
        };
        orphan.spec.containers.push(Container { name: "c".into(), image: "nginx".into(), ..Default::default() });
        h.create(Object::Pod(orphan));
        let o = h.create(rs("web", 2));
        // the orphan is adopted and only one more pod is made
        assert_eq!(h.pods("default").len(), 2);
        let stray = h.pod("default", "stray").unwrap();
        assert_eq!(stray.metadata.controller_ref().unwrap().uid, o.meta().uid);
        // relabel it: released, and replaced
        let mut p = stray.clone();
        p.metadata.labels.insert("app".into(), "other".into());
        h.update(Object::Pod(p));
        assert!(h.pod("default", "stray").unwrap().metadata.owner_references.is_empty());
        let owned = h.pods("default").into_iter().filter(|p| p.metadata.controller_ref().is_some()).count();
        assert_eq!(owned, 2);
        check_invariants(&h.api).unwrap();
    }

    #[test]
    fn deleted_pods_are_replaced() {
        let mut h = harness();
        h.create(rs("web", 2));
        let names = h.pod_names("default");
        h.delete(Kind::Pod, "default", &names[0], DeleteOptions::default());
        let now = h.pod_names("default");
        assert_eq!(now.len(), 2);
        assert!(!now.contains(&names[0]));
        check_invariants(&h.api).unwrap();
    }

    #[test]
    fn failures_set_and_clear_the_replica_failure_condition() {
        let Object::ReplicaSet(r) = rs("web", 2) else { unreachable!() };
        let st = calculate_status(&r, Counts::default(), Some("pods \"x\" is forbidden"), Time(5_000));
        assert_eq!(st.conditions.len(), 1);
        let c = &st.conditions[0];
        assert_eq!(
            (c.type_.as_str(), &c.status, c.reason.as_str(), c.message.as_str()),
            ("ReplicaFailure", &ConditionStatus::True, "FailedCreate", "pods \"x\" is forbidden")
        );
        let mut r2 = r.clone();
        r2.status = st;
        assert!(calculate_status(&r2, Counts::default(), None, Time(6_000)).conditions.is_empty());
    }

    #[test]
    fn a_terminating_namespace_gets_no_pods_and_no_warnings() {
        let mut h = harness();
        let n = Namespace { metadata: ObjectMeta::named("", "gone"), ..Default::default() };
        h.create(Object::Namespace(n));
        let mut o = rs("web", 2);
        o.meta_mut().namespace = "gone".into();
        h.create(o.clone());
        let rs_now = h.api.get_t::<ReplicaSet>("gone", "web").unwrap().clone();
        h.delete(Kind::Namespace, "", "gone", DeleteOptions::default());
        for p in h.pods("gone") {
            h.delete(Kind::Pod, "gone", &p.metadata.name, DeleteOptions::default());
        }
        assert!(h.pods("gone").is_empty());
        assert!(h.events(Kind::ReplicaSet, "gone", "web").iter().all(|(r, _)| r != "FailedCreate"));
        assert_eq!(h.api.get_t::<ReplicaSet>("gone", "web").unwrap().metadata.uid, rs_now.metadata.uid);
    }
}
