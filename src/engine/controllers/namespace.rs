//! The namespace controller (pkg/controller/namespace): a namespace being
//! deleted (phase Terminating) has its content deleted, pods first
//! (OrderedNamespaceDeletion), its status conditions report what remains,
//! and once nothing is left its `kubernetes` finalizer is removed, which
//! lets the API server remove it.

use super::controller_utils::{Backoff, Wakeups};
use super::{Controller, Ctl, Cx, WorkQueue};
use crate::engine::api::*;
use crate::engine::apiserver::{Api, DeleteOptions, Propagation};
use crate::engine::store::Change;
use crate::engine::time::{Millis, SECOND, Time};
use std::collections::BTreeMap;

/// `namespaceDeletionGracePeriod`: how long after an update the namespace is looked at.
const DELETION_GRACE: Millis = 5 * SECOND;
/// `finalizerEstimateSeconds`.
const FINALIZER_ESTIMATE_SECONDS: i64 = 15;
/// The finalizer token of kube-controller-manager's namespace controller.
pub const FINALIZER: &str = "kubernetes";

#[derive(Clone)]
pub struct NamespaceController {
    /// When each terminating namespace is next due (the queue's AddAfter).
    due: BTreeMap<String, Time>,
    wakeups: Wakeups,
    backoff: Backoff,
}

impl Default for NamespaceController {
    fn default() -> Self {
        // nsControllerRateLimiter: 5ms doubling up to 60s
        NamespaceController { due: BTreeMap::new(), wakeups: Wakeups::default(), backoff: Backoff::with(5, 60 * SECOND) }
    }
}

impl Controller for NamespaceController {
    fn id(&self) -> Ctl {
        Ctl::Namespace
    }

    fn watch(&mut self, ch: &Change, api: &Api, q: &mut WorkQueue) {
        if ch.kind != Kind::Namespace {
            return;
        }
        let Some(ns) = ch.typed::<Namespace>().1 else {
            self.due.remove(&ch.key.name);
            return;
        };
        if !ns.metadata.is_deleting() {
            return;
        }
        let at = api.now.plus(DELETION_GRACE);
        let e = self.due.entry(ch.key.name.clone()).or_insert(at);
        if at < *e {
            *e = at;
        }
        q.add(ch.obj_ref());
    }

    fn sync(&mut self, key: &ObjRef, cx: &mut Cx) {
        let name = key.key.name.clone();
        let Some(ns) = cx.api.get_t::<Namespace>("", &name).cloned() else {
            self.due.remove(&name);
            self.backoff.forget(key);
            return;
        };
        if !ns.metadata.is_deleting() {
            return;
        }
        if let Some(at) = self.due.get(&name).copied() {
            if at > cx.api.now {
                self.wakeups.wake(cx.api, Ctl::Namespace, key.clone(), at);
                return;
            }
            self.due.remove(&name);
        }
        match delete(cx.api, ns) {
            Ok(()) => self.backoff.forget(key),
            Err(Remaining::Estimate(secs)) => {
                self.backoff.forget(key);
                let wait = (secs / 2 + 1) * SECOND;
                let at = cx.api.now.plus(wait);
                self.wakeups.wake(cx.api, Ctl::Namespace, key.clone(), at);
            }
            Err(Remaining::Failed) => {
                self.backoff.retry(cx.api, Ctl::Namespace, key.clone());
            }
        }
    }
}

enum Remaining {
    /// `ResourcesRemainingError`: look again after about half of this.
    Estimate(i64),
    Failed,
}

/// The group/version/resource of a kind, as discovery names it.
fn gvr(kind: Kind) -> (String, String) {
    let i = kind.info();
    (i.plural.to_string(), i.group.to_string())
}

/// `%v` of a GroupVersionResource: `apps/v1, Resource=statefulsets`.
fn gvr_string(kind: Kind) -> String {
    let i = kind.info();
    format!("{}/{}, Resource={}", i.group, i.version, i.plural)
}

#[derive(Default)]
struct Totals {
    /// A `VecMap`: a `BTreeMap` of this key and value was the wasm's only one.
    remaining: crate::engine::sort::VecMap<(String, String), usize>,
    finalizers: BTreeMap<String, usize>,
    errors: Vec<String>,
}

/// `namespacedResourcesDeleter.Delete`.
fn delete(api: &mut Api, ns: Namespace) -> Result<(), Remaining> {
    if ns.spec.finalizers.is_empty() {
        return Ok(());
    }
    let estimate = delete_all_content(api, &ns)?;
    if estimate > 0 {
        return Err(Remaining::Estimate(estimate));
    }
    // finalizeNamespace: the finalize subresource, without our token
    let Some(cur) = api.get_t::<Namespace>("", &ns.metadata.name).cloned() else { return Ok(()) };
    let mut n = cur;
    let mut rest: Vec<String> = n.spec.finalizers.iter().filter(|f| f.as_str() != FINALIZER).cloned().collect();
    crate::engine::sort::sort(&mut rest);
    rest.dedup();
    n.spec.finalizers = rest;
    match api.update(Object::Namespace(n)) {
        Ok(_) => Ok(()),
        Err(e) if e.is_not_found() => Ok(()),
        Err(_) => Err(Remaining::Failed),
    }
}

/// `deleteAllContent`: returns the estimate of seconds until the content is gone.
fn delete_all_content(api: &mut Api, ns: &Namespace) -> Result<i64, Remaining> {
    let name = ns.metadata.name.clone();
    let deleted_at = ns.metadata.deletion_timestamp.unwrap_or(api.now);
    let mut totals = Totals::default();
    let mut estimate = 0;
    // pods first
    let (e, err) = delete_kind(api, Kind::Pod, &name, deleted_at, &mut totals);
    estimate = estimate.max(e);
    if let Some(err) = err {
        totals.errors.push(format!("failed to delete pods for namespace: {name}, err: {err}"));
    }
    if totals.remaining.is_empty() {
        let custom: Vec<Kind> = crate::engine::apiserver::crd::kinds(&api.store).into_iter().map(|(k, _)| k).collect();
        for kind in Kind::ALL.iter().copied().chain(custom).filter(|k| k.namespaced() && *k != Kind::Pod) {
            let (e, err) = delete_kind(api, kind, &name, deleted_at, &mut totals);
            estimate = estimate.max(e);
            if let Some(err) = err {
                totals.errors.push(err);
            }
        }
        update_conditions(api, &name, &totals, true);
    } else {
        update_conditions(api, &name, &totals, false);
    }
    if !totals.errors.is_empty() {
        return Err(Remaining::Failed);
    }
    Ok(estimate)
}

/// `deleteAllContentForGroupVersionResource`: deletes every object of the
/// kind (background propagation) and reports what is left.
fn delete_kind(api: &mut Api, kind: Kind, ns: &str, deleted_at: Time, totals: &mut Totals) -> (i64, Option<String>) {
    let estimate = if kind == Kind::Pod { estimate_pods(api, ns, deleted_at) } else { 0 };
    let names: Vec<String> = api.store.list_ns(kind, ns).map(|o| o.meta().name.clone()).collect();
    for n in names {
        let opts = DeleteOptions { propagation: Some(Propagation::Background), ..Default::default() };
        let _ = api.delete(kind, ns, &n, &opts);
    }
    let left: Vec<&Object> = api.store.list_ns(kind, ns).map(|o| &**o).collect();
    if left.is_empty() {
        return (0, None);
    }
    let mut finalizers: BTreeMap<String, usize> = BTreeMap::new();
    for o in &left {
        for f in &o.meta().finalizers {
            *finalizers.entry(f.clone()).or_default() += 1;
        }
    }
    let count = left.len();
    totals.remaining.insert(gvr(kind), count);
    for (f, n) in &finalizers {
        *totals.finalizers.entry(f.clone()).or_default() += n;
    }
    if estimate != 0 {
        return (estimate, None);
    }
    if !finalizers.is_empty() {
        return (FINALIZER_ESTIMATE_SECONDS, None);
    }
    (0, Some(format!("unexpected items still remain in namespace: {ns} for gvr: {}", gvr_string(kind))))
}

/// `estimateGracefulTermination` for pods: the longest grace period of a
/// pod still running, unless that much time has passed since the namespace
/// was deleted.
fn estimate_pods(api: &Api, ns: &str, deleted_at: Time) -> i64 {
    let mut est = 0;
    for p in api.store.list_ns_t::<Pod>(ns) {
        if p.status.phase.is_terminal() {
            continue;
        }
        if let Some(g) = p.spec.termination_grace_period_seconds {
            est = est.max(g);
        }
    }
    if api.now.0 - deleted_at.0 >= est * SECOND { 0 } else { est }
}

const CONDITION_TYPES: [(ConditionType, &str, &str); 5] = [
    (ConditionType::NamespaceDeletionDiscoveryFailure, "ResourcesDiscovered", "All resources successfully discovered"),
    (ConditionType::NamespaceDeletionGroupVersionParsingFailure, "ParsedGroupVersions", "All legacy kube types successfully parsed"),
    (ConditionType::NamespaceDeletionContentFailure, "ContentDeleted", "All content successfully deleted, may be waiting on finalization"),
    (ConditionType::NamespaceContentRemaining, "ContentRemoved", "All content successfully removed"),
    (ConditionType::NamespaceFinalizersRemaining, "ContentHasNoFinalizers", "All content-preserving finalizers finished"),
];

/// `namespaceConditionUpdater`: the five deletion conditions.
fn update_conditions(api: &mut Api, name: &str, totals: &Totals, content_totals: bool) {
    let Some(mut ns) = api.get_t::<Namespace>("", name).cloned() else { return };
    let now = api.now;
    let mut fresh: Vec<(ConditionType, (ConditionStatus, String, String))> = vec![];
    if content_totals && !totals.remaining.is_empty() {
        let mut parts: Vec<String> = totals.remaining.iter().map(|((res, group), n)| format!("{res}.{group} has {n} resource instances")).collect();
        crate::engine::sort::sort(&mut parts);
        fresh.push((
            ConditionType::NamespaceContentRemaining,
            (ConditionStatus::True, "SomeResourcesRemain".into(), format!("Some resources are remaining: {}", parts.join(", "))),
        ));
    }
    if content_totals && !totals.finalizers.is_empty() {
        let mut parts: Vec<String> = totals.finalizers.iter().map(|(f, n)| format!("{f} in {n} resource instances")).collect();
        crate::engine::sort::sort(&mut parts);
        fresh.push((
            ConditionType::NamespaceFinalizersRemaining,
            (ConditionStatus::True, "SomeFinalizersRemain".into(), format!("Some content in the namespace has finalizers remaining: {}", parts.join(", "))),
        ));
    }
    if !totals.errors.is_empty() {
        let mut msgs = totals.errors.clone();
        crate::engine::sort::sort(&mut msgs);
        fresh.push((
            ConditionType::NamespaceDeletionContentFailure,
            (
                ConditionStatus::True,
                "ContentDeletionFailed".into(),
                format!("Failed to delete all resource types, {} remaining: {}", msgs.len(), msgs.join(", ")),
            ),
        ));
    }
    let mut changed = false;
    for (t, ok_reason, ok_msg) in CONDITION_TYPES {
        let (status, reason, message) =
            fresh.iter().find(|f| f.0 == t).map(|f| f.1.clone()).unwrap_or((ConditionStatus::False, ok_reason.into(), ok_msg.into()));
        changed |= set_condition(&mut ns.status.conditions, NamespaceCondition { type_: t, status, last_transition_time: Some(now), reason, message });
    }
    if changed {
        let _ = api.update_status(Object::Namespace(ns));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::controllers::garbagecollector::GarbageCollector;
    use crate::engine::controllers::replicaset::ReplicaSetController;
    use crate::engine::controllers::testkit::*;

    fn harness() -> Harness {
        Harness::new(vec![Box::new(NamespaceController::default()), Box::new(ReplicaSetController::default()), Box::new(GarbageCollector::default())])
    }

    fn setup(h: &mut Harness) {
        h.create(Object::Namespace(Namespace { metadata: ObjectMeta::named("", "shop"), ..Default::default() }));
        let rs = ReplicaSet {
            metadata: ObjectMeta::named("shop", "web"),
            spec: ReplicaSetSpec { replicas: Some(2), selector: selector("web"), template: template("web", "nginx"), ..Default::default() },
            ..Default::default()
        };
        h.create(Object::ReplicaSet(rs));
        h.create(Object::ConfigMap(ConfigMap { metadata: ObjectMeta::named("shop", "settings"), ..Default::default() }));
    }

    #[test]
    fn deletes_content_then_finalizes() {
        let mut h = harness();
        setup(&mut h);
        h.delete(Kind::Namespace, "", "shop", DeleteOptions::default());
        let ns = h.api.get_t::<Namespace>("", "shop").unwrap();
        assert_eq!(ns.status.phase, NamespacePhase::Terminating);
        assert_eq!(h.pods("shop").len(), 2, "nothing happens before the 5s grace");
        h.advance(5 * SECOND);
        assert!(h.api.get_t::<Namespace>("", "shop").is_none(), "content deleted and namespace finalized");
        assert!(h.pods("shop").is_empty());
        assert!(h.api.store.list_ns(Kind::ConfigMap, "shop").next().is_none());
    }

    #[test]
    fn waits_for_terminating_pods_and_reports_conditions() {
        let mut h = harness();
        setup(&mut h);
        let names = h.pod_names("shop");
        for n in &names {
            h.bind("shop", n, "node-a");
        }
        h.delete(Kind::Namespace, "", "shop", DeleteOptions::default());
        h.advance(5 * SECOND);
        // pods are terminating: the rest waits (pods first)
        assert!(h.api.get_t::<ConfigMap>("shop", "settings").is_some());
        let ns = h.api.get_t::<Namespace>("", "shop").unwrap().clone();
        assert_eq!(ns.status.conditions.len(), 5);
        assert!(ns.status.conditions.iter().all(|c| c.status == ConditionStatus::False), "{:?}", ns.status.conditions);
        for n in &names {
            h.finish_deletion("shop", n);
        }
        // the controller looks again after estimate/2+1 seconds (30s grace → 16s)
        h.advance(16 * SECOND);
        assert!(h.api.get_t::<Namespace>("", "shop").is_none());
    }

    #[test]
    fn finalizers_hold_content_and_are_reported() {
        let mut h = harness();
        setup(&mut h);
        let mut cm = h.api.get_t::<ConfigMap>("shop", "settings").unwrap().clone();
        cm.metadata.finalizers.push("example.com/keep".into());
        h.update(Object::ConfigMap(cm));
        h.delete(Kind::Namespace, "", "shop", DeleteOptions::default());
        h.advance(5 * SECOND);
        let ns = h.api.get_t::<Namespace>("", "shop").unwrap().clone();
        let c = get_condition(&ns.status.conditions, &ConditionType::NamespaceContentRemaining).unwrap();
        assert_eq!((&c.status, c.reason.as_str()), (&ConditionStatus::True, "SomeResourcesRemain"));
        assert_eq!(c.message, "Some resources are remaining: configmaps. has 1 resource instances");
        let f = get_condition(&ns.status.conditions, &ConditionType::NamespaceFinalizersRemaining).unwrap();
        assert_eq!(f.message, "Some content in the namespace has finalizers remaining: example.com/keep in 1 resource instances");
        h.api.remove_finalizer(Kind::ConfigMap, &ObjKey::new("shop", "settings"), "example.com/keep").unwrap();
        h.run();
        h.advance(8 * SECOND);
        assert!(h.api.get_t::<Namespace>("", "shop").is_none());
    }

    #[test]
    fn no_new_content_in_a_terminating_namespace() {
        let mut h = harness();
        setup(&mut h);
        h.delete(Kind::Namespace, "", "shop", DeleteOptions::default());
        let err = h.api.create(Object::ConfigMap(ConfigMap { metadata: ObjectMeta::named("shop", "late"), ..Default::default() })).unwrap_err();
        assert_eq!(err.message, "configmaps \"late\" is forbidden: unable to create new content in namespace shop because it is being terminated");
    }
}
