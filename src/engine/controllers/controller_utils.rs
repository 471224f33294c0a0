//! Machinery the workload controllers share, after kube-controller-manager's
//! pkg/controller/controller_utils.go and controller_ref_manager.go: owner
//! references, pod readiness and availability, adoption and release
//! (ControllerRefManager), pods created from templates, the index of
//! orphans each controller keeps from its watch, the watch that wakes a
//! controller for what it owns, and the rate-limited requeue of keys whose
//! sync failed.

use crate::engine::api::*;
use crate::engine::apiserver::{Api, ApiError, Reason};
use crate::engine::controllers::{Ctl, WorkQueue};
use crate::engine::store::{Change, Op};
use crate::engine::time::{Millis, SECOND, Time};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

/// The most pods a ReplicaSet creates or deletes in one sync (--replicaset-burst... `BurstReplicas`).
pub const BURST_REPLICAS: usize = 500;
/// `controller.SlowStartInitialBatchSize`.
pub const SLOW_START_INITIAL_BATCH_SIZE: usize = 1;

/// `metav1.NewControllerRef`: controller and blockOwnerDeletion set.
pub fn new_controller_ref(owner: &ObjectMeta, kind: Kind) -> OwnerReference {
    OwnerReference {
        api_version: kind.info().api_version(),
        kind: kind.info().kind.to_string(),
        name: owner.name.clone(),
        uid: owner.uid.clone(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

/// `metav1.LabelSelectorAsSelector(sel).Matches(labels)`: a nil selector
/// selects nothing, an empty one everything.
pub fn selector_matches(sel: Option<&LabelSelector>, labels: &Labels) -> bool {
    sel.is_some_and(|s| s.matches(labels))
}

/// How listers look controllers up for a pod: "a nil or empty selector
/// should match nothing, not everything".
pub fn selector_selects(sel: Option<&LabelSelector>, labels: &Labels) -> bool {
    sel.is_some_and(|s| !s.is_empty() && s.matches(labels))
}

/// The controller of kind `kind` a controllerRef points to, if it exists with that uid.
pub fn resolve_controller<'a, T: Resource>(api: &'a Api, namespace: &str, r: &OwnerReference) -> Option<&'a T> {
    if r.kind != T::KIND.info().kind {
        return None;
    }
    let obj = api.store.get_t::<T>(namespace, &r.name)?;
    (obj.meta().uid == r.uid).then_some(obj)
}

// ---------------------------------------------------------------- owner watch

/// `resolveControllerRef` on an untyped object: the controller of kind
/// `kind` a controllerRef points to, if it exists with that uid.
pub fn resolve_controller_ref<'a>(api: &'a Api, kind: Kind, namespace: &str, r: &OwnerReference) -> Option<&'a Rc<Object>> {
    if r.kind != kind.info().kind {
        return None;
    }
    api.store.get(kind, &ObjKey::new(namespace, &r.name)).filter(|o| o.meta().uid == r.uid)
}

/// What a controller's watch of its children needs to know about the
/// controllers: their kind and where their selector is.
pub struct OwnerKind {
    pub kind: Kind,
    pub selector: fn(&Object) -> Option<&LabelSelector>,
}

impl OwnerKind {
    /// Wakes the controller the child's controllerRef resolves to, if any.
    pub fn enqueue_controller_of(&self, child: &ObjectMeta, api: &Api, q: &mut WorkQueue) {
        if let Some(r) = child.controller_ref()
            && let Some(o) = resolve_controller_ref(api, self.kind, &child.namespace, r)
        {
            q.add(o.obj_ref());
        }
    }

    /// The listers' `GetPodReplicaSets`, `GetPodStatefulSets`,
    /// `GetDeploymentsForReplicaSet`: the controllers of the child's
    /// namespace, by name, whose selector selects it. A child without
    /// labels matches none, nor does a nil or empty selector.
    fn enqueue_selecting(&self, child: &ObjectMeta, api: &Api, q: &mut WorkQueue) {
        if child.labels.is_empty() {
            return;
        }
        for o in api.store.list_ns(self.kind, &child.namespace) {
            if selector_selects((self.selector)(o), &child.labels) {
                q.add(o.obj_ref());
            }
        }
    }

    /// The add / update / delete handlers a workload controller registers
    /// for its children (the ReplicaSet and StatefulSet controllers'
    /// addPod, updatePod, deletePod; the Deployment controller's
    /// addReplicaSet, updateReplicaSet, deleteReplicaSet): a child with a
    /// controllerRef wakes that controller (and the old one when the ref
    /// changed); an orphan wakes the controllers selecting it when it
    /// appears or its labels or controllerRef changed; a deleted child
    /// wakes its controller. A child created already being deleted only
    /// wakes its controller.
    pub fn enqueue_for_child(&self, ch: &Change, api: &Api, q: &mut WorkQueue) {
        let old = ch.old.as_deref().map(Object::meta);
        let new = ch.new.as_deref().map(Object::meta);
        match (ch.op, old, new) {
            (Op::Added, _, Some(cur)) => {
                if cur.is_deleting() || cur.controller_ref().is_some() {
                    self.enqueue_controller_of(cur, api, q);
                } else {
                    self.enqueue_selecting(cur, api, q);
                }
            }
            (Op::Modified, Some(old), Some(cur)) => {
                let cur_ref = cur.controller_ref();
                let old_ref = old.controller_ref();
                let ref_changed = cur_ref != old_ref;
                if ref_changed && old_ref.is_some() {
                    self.enqueue_controller_of(old, api, q);
                }
                if cur_ref.is_some() {
                    self.enqueue_controller_of(cur, api, q);
                    return;
                }
                if old.labels != cur.labels || ref_changed {
                    self.enqueue_selecting(cur, api, q);
                }
            }
            (Op::Deleted, Some(old), _) => self.enqueue_controller_of(old, api, q),
            _ => {}
        }
    }
}

// ---------------------------------------------------------------- pods

/// `podutil.GetPodReadyCondition`.
pub fn pod_ready_condition(p: &Pod) -> Option<&PodCondition> {
    get_condition(&p.status.conditions, &ConditionType::Ready)
}

/// `podutil.IsPodReady`.
pub fn is_pod_ready(p: &Pod) -> bool {
    pod_is_ready(p)
}

/// `podutil.IsPodAvailable`: ready for at least minReadySeconds.
pub fn is_pod_available(p: &Pod, min_ready_seconds: i32, now: Time) -> bool {
    if !is_pod_ready(p) {
        return false;
    }
    if min_ready_seconds == 0 {
        return true;
    }
    match pod_ready_condition(p).and_then(|c| c.last_transition_time) {
        Some(t) => t.0 + min_ready_seconds as Millis * SECOND <= now.0,
        None => false,
    }
}

pub fn is_pod_terminal(p: &Pod) -> bool {
    p.status.phase.is_terminal()
}

/// `controller.IsPodActive`: not terminal and not being deleted.
pub fn is_pod_active(p: &Pod) -> bool {
    !is_pod_terminal(p) && !p.metadata.is_deleting()
}

/// `controller.IsPodTerminating`.
pub fn is_pod_terminating(p: &Pod) -> bool {
    !is_pod_terminal(p) && p.metadata.is_deleting()
}

/// `controller.FindMinNextPodAvailabilityCheck`, as an instant: the earliest
/// time one of these ready pods becomes available.
pub fn next_availability_check<'a>(pods: impl IntoIterator<Item = &'a Pod>, min_ready_seconds: i32, now: Time) -> Option<Time> {
    if min_ready_seconds <= 0 {
        return None;
    }
    pods.into_iter()
        .filter(|p| is_pod_ready(p))
        .filter_map(|p| pod_ready_condition(p).and_then(|c| c.last_transition_time))
        .map(|t| Time(t.0 + min_ready_seconds as Millis * SECOND))
        .filter(|t| *t > now)
        .min()
}

/// `controller.GetPodFromTemplate`: labels, annotations and finalizers of
/// the template, `generateName: <parent>-`, the controller reference, the spec.
pub fn pod_from_template(template: &PodTemplateSpec, parent_name: &str, controller_ref: OwnerReference) -> Pod {
    let mut pod = Pod::default();
    pod.metadata.labels = template.metadata.labels.clone();
    pod.metadata.annotations = template.metadata.annotations.clone();
    pod.metadata.finalizers = template.metadata.finalizers.clone();
    pod.metadata.generate_name = pods_prefix(parent_name);
    pod.metadata.owner_references.push(controller_ref);
    pod.spec = template.spec.clone();
    pod
}

/// `getPodsPrefix`: `<name>-` unless that is not a valid name prefix.
fn pods_prefix(name: &str) -> String {
    // ValidatePodName(prefix, true): a DNS-1123 subdomain of at most 253 characters.
    if name.len() < 253 { format!("{name}-") } else { name.to_string() }
}

// ---------------------------------------------------------------- errors

/// The API server refused a create because the namespace is being deleted
/// (`NamespaceTerminatingCause`): controllers stay quiet about it.
pub fn is_namespace_terminating(e: &ApiError) -> bool {
    e.reason == Reason::Forbidden && e.message.contains("because it is being terminated")
}

// ---------------------------------------------------------------- orphans

/// The objects of one kind that have no controller, by namespace: what
/// the pod indexer's "orphan" key gives a real controller
/// (`FilterPodsByOwner(..., includeOrphanedPods)`). Kept from the watch,
/// so a sync never scans a table to find adoption candidates.
#[derive(Clone, Debug, Default)]
pub struct OrphanIndex {
    by_ns: BTreeMap<String, crate::engine::sort::BoxedSet<String>>,
}

impl OrphanIndex {
    pub fn observe(&mut self, ch: &Change) {
        let ns = &ch.key.namespace;
        match ch.new.as_deref() {
            Some(o) if o.meta().controller_ref().is_none() => {
                self.by_ns.entry(ns.clone()).or_default().insert(ch.key.name.clone());
            }
            _ => {
                if let Some(set) = self.by_ns.get_mut(ns) {
                    set.remove(&ch.key.name);
                    if set.is_empty() {
                        self.by_ns.remove(ns);
                    }
                }
            }
        }
    }

    pub fn names<'a>(&'a self, namespace: &str) -> impl Iterator<Item = &'a String> + 'a {
        self.by_ns.get(namespace).map(|s| &**s).into_iter().flatten()
    }
}

/// The objects of kind `T` whose controllerRef points at `owner` (by uid and
/// kind), plus the orphans of its namespace: a controller's candidates.
pub fn owned_and_orphans<T: Resource>(api: &Api, owner: &ObjectMeta, owner_kind: Kind, orphans: &OrphanIndex) -> Vec<T> {
    let mut seen = BTreeSet::new();
    let mut out = vec![];
    for r in api.store.dependents_of_kind(&owner.uid, T::KIND) {
        let Some(o) = api.store.get_ref(r) else { continue };
        let Some(t) = T::from_object(o) else { continue };
        if t.meta().controller_ref().is_some_and(|c| c.uid == owner.uid && c.kind == owner_kind.info().kind) && seen.insert(r.key.name.clone()) {
            out.push(t.clone());
        }
    }
    for name in orphans.names(&owner.namespace) {
        if let Some(t) = api.store.get_t::<T>(&owner.namespace, name)
            && t.meta().controller_ref().is_none()
            && seen.insert(name.clone())
        {
            out.push(t.clone());
        }
    }
    crate::engine::sort::sort_by(&mut out, |a, b| a.meta().name.cmp(&b.meta().name));
    out
}

// ---------------------------------------------------------------- ControllerRefManager

/// What `BaseControllerRefManager.ClaimObject` decides for one object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    /// Ours already, and it still matches.
    Owned,
    /// An orphan that matches: take it.
    Adopt,
    /// Ours, but it no longer matches: let it go.
    Release,
    /// Someone else's, or not for us.
    Ignore,
}

pub fn classify(controller: &ObjectMeta, obj: &ObjectMeta, matches: bool) -> Claim {
    if let Some(r) = obj.controller_ref() {
        if r.uid != controller.uid {
            return Claim::Ignore;
        }
        if matches {
            return Claim::Owned;
        }
        if controller.is_deleting() {
            return Claim::Ignore;
        }
        return Claim::Release;
    }
    if controller.is_deleting() || !matches || obj.is_deleting() {
        return Claim::Ignore;
    }
    if !controller.namespace.is_empty() && controller.namespace != obj.namespace {
        return Claim::Ignore;
    }
    Claim::Adopt
}

/// `RecheckDeletionTimestamp`: adoption only by a controller that still
/// exists with the same uid and is not being deleted.
pub fn can_adopt(api: &Api, kind: Kind, controller: &ObjectMeta) -> Result<(), String> {
    let fresh = api.get(kind, &controller.namespace, &controller.name).map_err(|e| e.message)?;
    let m = fresh.meta();
    if m.uid != controller.uid {
        return Err(format!(
            "original {} {}/{} is gone: got uid {}, wanted {}",
            kind.info().kind,
            controller.namespace,
            controller.name,
            m.uid,
            controller.uid
        ));
    }
    if let Some(t) = m.deletion_timestamp {
        return Err(format!("{}/{} has just been deleted at {}", m.namespace, m.name, t));
    }
    Ok(())
}

/// Adopts an object: adds the controller reference (the strategic-merge
/// patch `ownerRefControllerPatch`, with the object's uid as precondition).
pub fn adopt(api: &mut Api, kind: Kind, namespace: &str, name: &str, uid: &str, controller_ref: OwnerReference) -> Result<Rc<Object>, ApiError> {
    let cur = api.get(kind, namespace, name)?;
    if cur.meta().uid != uid {
        return Err(ApiError::new(
            Reason::Invalid,
            format!("{} \"{}\" is invalid: metadata.uid: Invalid value: \"{}\": field is immutable", kind.info().kind, name, uid),
        ));
    }
    if let Some(other) = cur.meta().controller_ref()
        && other.uid != controller_ref.uid
    {
        return Err(ApiError::new(
            Reason::Invalid,
            format!(
                "{} \"{}\" is invalid: metadata.ownerReferences: Invalid value: []v1.OwnerReference: Only one reference can have Controller set to true",
                kind.info().kind,
                name
            ),
        ));
    }
    let mut obj = (*cur).clone();
    let refs = &mut obj.meta_mut().owner_references;
    match refs.iter_mut().find(|r| r.uid == controller_ref.uid) {
        Some(r) => *r = controller_ref,
        None => refs.push(controller_ref),
    }
    Ok(api.update(obj)?.object)
}

/// Releases an object: removes the owner references to `owner_uid`
/// (`GenerateDeleteOwnerRefStrategicMergeBytes`). A vanished object is fine.
pub fn release(api: &mut Api, kind: Kind, namespace: &str, name: &str, uid: &str, owner_uid: &str) -> Result<(), ApiError> {
    let cur = match api.get(kind, namespace, name) {
        Ok(o) => o,
        Err(e) if e.is_not_found() => return Ok(()),
        Err(e) => return Err(e),
    };
    if cur.meta().uid != uid {
        // recreated under the same name: nothing of ours to release
        return Ok(());
    }
    let mut obj = (*cur).clone();
    obj.meta_mut().owner_references.retain(|r| r.uid != owner_uid);
    match api.update(obj) {
        Ok(_) => Ok(()),
        Err(e) if e.is_not_found() || e.reason == Reason::Invalid => Ok(()),
        Err(e) => Err(e),
    }
}

/// `ClaimPods`-style reconciliation of a candidate list: adopts matching
/// orphans, releases owned objects that stopped matching, and returns the
/// objects now owned (adopted ones in their updated form).
pub fn claim_objects<T: Resource>(
    api: &mut Api,
    controller: &ObjectMeta,
    controller_kind: Kind,
    candidates: Vec<T>,
    matches: impl Fn(&T) -> bool,
) -> Result<Vec<T>, String> {
    let mut claimed = vec![];
    let mut errs = vec![];
    let mut adopt_ok: Option<Result<(), String>> = None;
    for obj in candidates {
        match classify(controller, obj.meta(), matches(&obj)) {
            Claim::Owned => claimed.push(obj),
            Claim::Ignore => {}
            Claim::Release => {
                if let Err(e) = release(api, T::KIND, &obj.meta().namespace, &obj.meta().name, &obj.meta().uid, &controller.uid) {
                    errs.push(e.message);
                }
            }
            Claim::Adopt => {
                let can = adopt_ok.get_or_insert_with(|| can_adopt(api, controller_kind, controller)).clone();
                if let Err(e) = can {
                    errs.push(format!("can't adopt {} {}/{} ({}): {}", T::KIND.info().kind, obj.meta().namespace, obj.meta().name, obj.meta().uid, e));
                    continue;
                }
                let r = new_controller_ref(controller, controller_kind);
                match adopt(api, T::KIND, &obj.meta().namespace, &obj.meta().name, &obj.meta().uid, r) {
                    Ok(o) => {
                        if let Some(t) = T::from_object(&o) {
                            claimed.push(t.clone());
                        }
                    }
                    Err(e) if e.is_not_found() => {}
                    Err(e) => errs.push(e.message),
                }
            }
        }
    }
    if errs.is_empty() { Ok(claimed) } else { Err(aggregate(errs)) }
}

/// `utilerrors.NewAggregate(...).Error()`: one message, or `[a, b]`.
pub fn aggregate(errs: Vec<String>) -> String {
    if errs.len() == 1 { errs.into_iter().next().unwrap_or_default() } else { format!("[{}]", errs.join(", ")) }
}

/// `slowStartBatch`: calls `f` `count` times in batches of 1, 2, 4, ...
/// (capped at `max_batch`); within a batch every call is made, and a batch
/// with a failure ends the run. Returns the successes and the first error.
pub fn slow_start_batch(count: usize, initial: usize, max_batch: usize, mut f: impl FnMut(usize) -> Result<(), String>) -> (usize, Option<String>) {
    let mut remaining = count;
    let mut successes = 0;
    let mut index = 0;
    let mut batch = remaining.min(initial);
    while batch > 0 {
        let mut errs = vec![];
        for _ in 0..batch {
            match f(index) {
                Ok(()) => successes += 1,
                Err(e) => errs.push(e),
            }
            index += 1;
        }
        if !errs.is_empty() {
            return (successes, Some(aggregate(errs)));
        }
        remaining -= batch;
        batch = (2 * batch).min(remaining).min(max_batch);
    }
    (successes, None)
}

// ---------------------------------------------------------------- requeue

/// client-go's per-item exponential failure rate limiter: a key that failed
/// n times in a row waits `base * 2^n` (capped) before its next try.
#[derive(Clone, Debug)]
pub struct Backoff {
    base: Millis,
    cap: Millis,
    /// Failures in a row (at most 62), held as u64: a map with `Wakeups`'
    /// layout (`ObjRef => Time`) shares its BTreeMap code.
    failures: BTreeMap<ObjRef, u64>,
}

impl Backoff {
    /// `DefaultControllerRateLimiter`: 5ms doubling up to 1000s.
    pub fn controller() -> Backoff {
        Backoff { base: 5, cap: 1_000 * SECOND, failures: BTreeMap::new() }
    }

    pub fn with(base: Millis, cap: Millis) -> Backoff {
        Backoff { base, cap, failures: BTreeMap::new() }
    }

    /// The key synced cleanly: its failures are forgotten.
    pub fn forget(&mut self, key: &ObjRef) {
        self.failures.remove(key);
    }

    /// The key failed: wakes `ctl` for it after the next delay. Early retries
    /// keep `settle` waiting; once the delay passes a minute the key is
    /// retried as housekeeping (a permanent failure must not look like work).
    pub fn retry(&mut self, api: &mut Api, ctl: Ctl, key: ObjRef) -> Millis {
        let n = self.failures.entry(key.clone()).or_insert(0);
        let delay = self.base.saturating_mul(1i64.checked_shl(*n as u32).unwrap_or(i64::MAX)).min(self.cap).max(1);
        *n = n.saturating_add(1).min(62);
        let at = api.now.plus(delay);
        if delay < 60 * SECOND {
            api.wake_at(at, ctl, key);
        } else {
            api.wake_idle_at(at, ctl, key);
        }
        delay
    }

    pub fn failures(&self, key: &ObjRef) -> u32 {
        self.failures.get(key).copied().unwrap_or(0) as u32
    }
}

/// Deadlines a controller has asked to be woken at (`queue.AddAfter`),
/// so that syncing a key again does not pile up timers for the same instant.
#[derive(Clone, Debug, Default)]
pub struct Wakeups {
    at: BTreeMap<ObjRef, Time>,
}

impl Wakeups {
    /// Wakes `ctl` for `key` at `at`, unless a wake-up at or before `at` is
    /// already pending.
    pub fn wake(&mut self, api: &mut Api, ctl: Ctl, key: ObjRef, at: Time) {
        if let Some(t) = self.at.get(&key)
            && *t > api.now
            && *t <= at
        {
            return;
        }
        self.at.insert(key.clone(), at);
        api.wake_at(at, ctl, key);
    }

    /// As [`Wakeups::wake`], with a timer `settle` does not wait for.
    pub fn wake_idle(&mut self, api: &mut Api, ctl: Ctl, key: ObjRef, at: Time) {
        if self.at.get(&key).is_some_and(|t| *t > api.now && *t <= at) {
            return;
        }
        self.at.insert(key.clone(), at);
        api.wake_idle_at(at, ctl, key);
    }

    pub fn forget(&mut self, key: &ObjRef) {
        self.at.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_start_batches_double_and_stop_after_a_failing_batch() {
        let mut calls = vec![];
        let (ok, err) = slow_start_batch(10, 1, 500, |i| {
            calls.push(i);
            if i == 4 { Err("boom".into()) } else { Ok(()) }
        });
        // batches 1, 2, 4: the failing call is in the third batch, which still runs to its end
        assert_eq!(calls, [0, 1, 2, 3, 4, 5, 6]);
        assert_eq!(ok, 6);
        assert_eq!(err.as_deref(), Some("boom"));
        let (ok, err) = slow_start_batch(7, 1, 2, |_| Ok(()));
        assert_eq!((ok, err), (7, None));
    }

    #[test]
    fn classify_follows_claim_object() {
        let mut ctl = ObjectMeta::named("ns", "rs");
        ctl.uid = "u1".into();
        let mut obj = ObjectMeta::named("ns", "p");
        assert_eq!(classify(&ctl, &obj, true), Claim::Adopt);
        assert_eq!(classify(&ctl, &obj, false), Claim::Ignore);
        obj.owner_references.push(new_controller_ref(&ctl, Kind::ReplicaSet));
        assert_eq!(classify(&ctl, &obj, true), Claim::Owned);
        assert_eq!(classify(&ctl, &obj, false), Claim::Release);
        ctl.deletion_timestamp = Some(Time(1));
        assert_eq!(classify(&ctl, &obj, false), Claim::Ignore);
        obj.owner_references[0].uid = "other".into();
        assert_eq!(classify(&ctl, &obj, true), Claim::Ignore);
    }

    #[test]
    fn availability_needs_min_ready_seconds_of_readiness() {
        let mut p = Pod::default();
        assert!(!is_pod_available(&p, 0, Time(0)));
        p.status.conditions.push(PodCondition {
            type_: ConditionType::Ready,
            status: ConditionStatus::True,
            last_transition_time: Some(Time(10_000)),
            ..Default::default()
        });
        assert!(is_pod_available(&p, 0, Time(10_000)));
        assert!(!is_pod_available(&p, 5, Time(14_999)));
        assert!(is_pod_available(&p, 5, Time(15_000)));
        assert_eq!(next_availability_check([&p], 5, Time(12_000)), Some(Time(15_000)));
        assert_eq!(next_availability_check([&p], 5, Time(15_000)), None);
    }

    /// The owner watch: owned children wake their controller (its uid
    /// checked), orphans the controllers selecting them, and a child
    /// without labels none, even one a selector of only `DoesNotExist`
    /// would match (the listers refuse unlabeled children).
    #[test]
    fn children_wake_their_controller_or_the_ones_selecting_them() {
        use crate::engine::controllers::testkit::{Harness, labels, selector, template};
        let mut h = Harness::new(vec![]);
        let mut uids = BTreeMap::new();
        let no_tier = LabelSelector {
            match_expressions: vec![LabelSelectorRequirement { key: "tier".into(), operator: "DoesNotExist".into(), values: vec![] }],
            ..Default::default()
        };
        for (name, sel, app) in [("a", selector("web"), "web"), ("b", Some(no_tier), "web"), ("c", selector("db"), "db")] {
            let mut rs = ReplicaSet { metadata: ObjectMeta::named("default", name), ..Default::default() };
            rs.spec.selector = sel;
            rs.spec.template = template(app, "nginx");
            let o = h.create(Object::ReplicaSet(rs));
            uids.insert(name, o.meta().uid.clone());
        }
        let owner = OwnerKind { kind: Kind::ReplicaSet, selector: |o| ReplicaSet::from_object(o).and_then(|rs| rs.spec.selector.as_ref()) };
        let pod = |l: &[(&str, &str)], owner: Option<(&str, &str)>| {
            let mut p = Pod { metadata: ObjectMeta::named("default", "p"), ..Default::default() };
            p.metadata.labels = labels(l);
            if let Some((name, uid)) = owner {
                let mut m = ObjectMeta::named("default", name);
                m.uid = uid.to_string();
                p.metadata.owner_references.push(new_controller_ref(&m, Kind::ReplicaSet));
            }
            Some(Rc::new(Object::Pod(p)))
        };
        let woken = |op: Op, old: Option<Rc<Object>>, new: Option<Rc<Object>>| {
            let ch = Change { op, kind: Kind::Pod, key: ObjKey::new("default", "p"), rv: 1, old, new };
            let mut q = WorkQueue::default();
            owner.enqueue_for_child(&ch, &h.api, &mut q);
            std::iter::from_fn(|| q.pop()).map(|r| r.key.name).collect::<Vec<_>>()
        };
        let web = [("app", "web")];
        assert_eq!(woken(Op::Added, None, pod(&web, None)), ["a", "b"]);
        assert_eq!(woken(Op::Added, None, pod(&[], None)), Vec::<String>::new());
        assert_eq!(woken(Op::Added, None, pod(&web, Some(("c", &uids["c"])))), ["c"]);
        assert_eq!(woken(Op::Added, None, pod(&web, Some(("c", "stale")))), Vec::<String>::new());
        // adopted: the new controller only; released: the old one, then the selecting ones
        assert_eq!(woken(Op::Modified, pod(&web, None), pod(&web, Some(("c", &uids["c"])))), ["c"]);
        assert_eq!(woken(Op::Modified, pod(&web, Some(("c", &uids["c"]))), pod(&web, None)), ["c", "a", "b"]);
        // an orphan wakes the selecting controllers only when its labels changed
        assert_eq!(woken(Op::Modified, pod(&web, None), pod(&web, None)), Vec::<String>::new());
        assert_eq!(woken(Op::Modified, pod(&[("app", "db")], None), pod(&web, None)), ["a", "b"]);
        assert_eq!(woken(Op::Deleted, pod(&web, Some(("a", &uids["a"]))), None), ["a"]);
        assert_eq!(woken(Op::Deleted, pod(&web, None), None), Vec::<String>::new());
    }

    #[test]
    fn backoff_doubles() {
        let mut api = Api::new(1, Time(0), Default::default());
        let mut b = Backoff::controller();
        let k = ObjRef::new(Kind::Pod, "a", "b");
        assert_eq!(b.retry(&mut api, Ctl::ReplicaSet, k.clone()), 5);
        assert_eq!(b.retry(&mut api, Ctl::ReplicaSet, k.clone()), 10);
        assert_eq!(b.retry(&mut api, Ctl::ReplicaSet, k.clone()), 20);
        b.forget(&k);
        assert_eq!(b.retry(&mut api, Ctl::ReplicaSet, k), 5);
    }
}

/// Sorts as Go's `sort.Sort` does with a `Less` that may not be a strict
/// weak order (upstream's `ActivePodsWithRanks.Less` is not transitive:
/// its logarithmic age buckets fall back to uids only within a bucket).
/// Rust's std sorts may panic on such a comparator; the crate's sort
/// (engine/sort.rs) never does and is deterministic. For up to 12 elements
/// it is Go's insertion sort exactly (pdqsort's small-slice path); above
/// that a stable merge sort, which agrees with Go whenever `less` is a
/// strict weak order.
pub fn go_sort<T>(v: &mut [T], less: impl Fn(&T, &T) -> bool) {
    crate::engine::sort::sort_less(v, less)
}

#[cfg(test)]
mod go_sort_tests {
    use super::go_sort;

    #[test]
    fn sorts_like_go_and_survives_a_comparator_that_is_not_an_order() {
        let mut v = vec![5, 3, 9, 1, 7];
        go_sort(&mut v, |a, b| a < b);
        assert_eq!(v, [1, 3, 5, 7, 9]);
        let mut big: Vec<u32> = (0..500).map(|i| (i * 7919) % 503).collect();
        go_sort(&mut big, |a, b| a < b);
        assert!(big.windows(2).all(|w| w[0] <= w[1]));
        // Rock, paper, scissors: no order exists; Rust's sort may panic on it.
        let beats = |a: &u32, b: &u32| (a + 1) % 3 == *b % 3;
        let mut rps: Vec<u32> = (0..300).collect();
        go_sort(&mut rps, beats);
        let mut again: Vec<u32> = (0..300).collect();
        go_sort(&mut again, beats);
        assert_eq!(rps, again, "deterministic");
        assert_eq!(rps.len(), 300);
    }
}
