//! The garbage collector (pkg/controller/garbagecollector): deletes
//! objects whose owners are all gone (background cascading deletion),
//! deletes the blocking dependents of an owner being deleted in the
//! foreground before removing its `foregroundDeletion` finalizer, and
//! strips an owner's references from its dependents before removing its
//! `orphan` finalizer.
//!
//! The real collector keeps a graph of every object's owners and
//! dependents; here the store's owner index (`dependents(uid)`) is that
//! graph. Work comes from the watch: an object deleted (its dependents are
//! checked), an object that starts deleting in the foreground or orphaning,
//! an object whose owner reference points at nothing, a dependent that goes
//! away while its owner waits for it. Nothing is ever scanned.

use super::controller_utils::Backoff;
use super::{Controller, Ctl, Cx, WorkQueue};
use crate::engine::api::*;
use crate::engine::apiserver::{Api, DeleteOptions, Propagation};
use crate::engine::store::{Change, Op};
use std::rc::Rc;

pub const FOREGROUND: &str = "foregroundDeletion";
pub const ORPHAN: &str = "orphan";

#[derive(Clone)]
pub struct GarbageCollector {
    backoff: Backoff,
}

impl Default for GarbageCollector {
    fn default() -> Self {
        GarbageCollector { backoff: Backoff::controller() }
    }
}

fn deleting_dependents(m: &ObjectMeta) -> bool {
    m.is_deleting() && m.has_finalizer(FOREGROUND)
}

fn orphaning(m: &ObjectMeta) -> bool {
    m.is_deleting() && m.has_finalizer(ORPHAN)
}

/// Enqueues the owner `uid` if it is waiting for its dependents to go.
fn enqueue_if_waiting(api: &Api, uid: &str, q: &mut WorkQueue) {
    if let Some(o) = api.store.by_uid(uid)
        && deleting_dependents(o.meta())
    {
        q.add(o.obj_ref());
    }
}

impl Controller for GarbageCollector {
    fn id(&self) -> Ctl {
        Ctl::GarbageCollector
    }

    fn watch(&mut self, ch: &Change, api: &Api, q: &mut WorkQueue) {
        if ch.kind == Kind::Event {
            return;
        }
        match ch.op {
            Op::Deleted => {
                let Some(old) = ch.old.as_deref() else { return };
                let m = old.meta();
                // its dependents may have lost their last owner
                for dep in api.store.dependents(&m.uid) {
                    q.add(dep.clone());
                }
                // an owner waiting on this dependent can move on
                for r in &m.owner_references {
                    enqueue_if_waiting(api, &r.uid, q);
                }
            }
            Op::Added | Op::Modified => {
                let Some(new) = ch.new.as_deref() else { return };
                let m = new.meta();
                let old = ch.old.as_deref().map(|o| o.meta());
                // processTransitions: starts orphaning, or starts deleting dependents
                if orphaning(m) && !old.is_some_and(orphaning) {
                    q.add(ch.obj_ref());
                }
                if deleting_dependents(m) && !old.is_some_and(deleting_dependents) {
                    q.add(ch.obj_ref());
                    for dep in api.store.dependents(&m.uid) {
                        q.add(dep.clone());
                    }
                }
                // new owner references: an owner that does not exist is a
                // virtual node the collector confirms absent, then the
                // dependent is collected
                for r in &m.owner_references {
                    let known = old.is_some_and(|o| o.owner_references.iter().any(|x| x.uid == r.uid));
                    if !known && api.store.by_uid(&r.uid).is_none() {
                        q.add(ch.obj_ref());
                    }
                }
                // addUnblockedOwnersToDeleteQueue: references removed or no
                // longer blocking release owners waiting in the foreground
                if let Some(o) = old {
                    for r in &o.owner_references {
                        let now_blocking = m.owner_references.iter().any(|x| x.uid == r.uid && x.block_owner_deletion == Some(true));
                        if r.block_owner_deletion == Some(true) && !now_blocking {
                            enqueue_if_waiting(api, &r.uid, q);
                        }
                    }
                }
            }
        }
    }

    fn sync(&mut self, key: &ObjRef, cx: &mut Cx) {
        let Some(obj) = cx.api.store.get_ref(key).cloned() else {
            self.backoff.forget(key);
            return;
        };
        let r = if orphaning(obj.meta()) {
            orphan_dependents(cx.api, &obj)
        } else if deleting_dependents(obj.meta()) {
            process_deleting_dependents(cx.api, &obj)
        } else {
            attempt_to_delete(cx.api, &obj)
        };
        match r {
            Ok(()) => self.backoff.forget(key),
            Err(_) => {
                self.backoff.retry(cx.api, Ctl::GarbageCollector, key.clone());
            }
        }
    }
}

/// How an owner reference resolves.
#[derive(Debug, PartialEq, Eq)]
enum OwnerState {
    /// The owner exists and is not waiting for its dependents.
    Solid,
    /// No such owner (or another object under its name).
    Dangling,
    /// The owner is being deleted in the foreground.
    Waiting,
    /// A kind this API server does not serve: the real collector cannot map
    /// it and keeps retrying; it never deletes the dependent for it.
    Unresolvable,
}

/// `classifyReferences` for one reference of a dependent.
fn owner_state(api: &Api, dependent: &ObjectMeta, r: &OwnerReference) -> OwnerState {
    let Some(kind) = Kind::from_type_meta(&r.api_version, &r.kind).or_else(|| Kind::ALL.iter().copied().find(|k| k.info().kind == r.kind)) else {
        return OwnerState::Unresolvable;
    };
    let ns = if kind.namespaced() { dependent.namespace.as_str() } else { "" };
    match api.store.get(kind, &ObjKey::new(ns, &r.name)) {
        Some(o) if o.meta().uid == r.uid => {
            if deleting_dependents(o.meta()) {
                OwnerState::Waiting
            } else {
                OwnerState::Solid
            }
        }
        _ => OwnerState::Dangling,
    }
}

fn delete_object(api: &mut Api, obj: &Object, propagation: Propagation) -> Result<(), String> {
    let m = obj.meta();
    let opts = DeleteOptions { grace_period: None, propagation: Some(propagation), uid: Some(m.uid.clone()) };
    match api.delete(obj.kind(), &m.namespace, &m.name, &opts) {
        Ok(_) => Ok(()),
        Err(e) if e.is_not_found() => Ok(()),
        Err(e) => Err(e.message),
    }
}

/// Rewrites a dependent's owner references (the collector's patches).
fn patch_refs(api: &mut Api, obj: &Object, f: impl FnOnce(&mut Vec<OwnerReference>)) -> Result<(), String> {
    let Some(cur) = api.store.get_ref(&obj.obj_ref()).cloned() else { return Ok(()) };
    if cur.meta().uid != obj.meta().uid {
        return Ok(());
    }
    let mut o = (*cur).clone();
    f(&mut o.meta_mut().owner_references);
    match api.update(o) {
        Ok(_) => Ok(()),
        Err(e) if e.is_not_found() => Ok(()),
        Err(e) => Err(e.message),
    }
}

/// `attemptToDeleteItem`.
fn attempt_to_delete(api: &mut Api, obj: &Rc<Object>) -> Result<(), String> {
    let m = obj.meta();
    if m.is_deleting() && !deleting_dependents(m) {
        return Ok(());
    }
    if m.owner_references.is_empty() {
        return Ok(());
    }
    let mut solid = vec![];
    let mut dangling = vec![];
    let mut waiting = vec![];
    for r in &m.owner_references {
        match owner_state(api, m, r) {
            OwnerState::Solid | OwnerState::Unresolvable => solid.push(r.uid.clone()),
            OwnerState::Dangling => dangling.push(r.uid.clone()),
            OwnerState::Waiting => waiting.push(r.uid.clone()),
        }
    }
    if !solid.is_empty() {
        if dangling.is_empty() && waiting.is_empty() {
            return Ok(());
        }
        // an owner is still here: only drop the references to the others
        return patch_refs(api, obj, |refs| refs.retain(|r| !dangling.contains(&r.uid) && !waiting.contains(&r.uid)));
    }
    let has_dependents = api.store.dependents(&m.uid).next().is_some();
    if !waiting.is_empty() && has_dependents {
        // an owner waits for us, and we have dependents of our own: delete
        // in the foreground too (unblocking our references first if one of
        // our dependents is itself waiting, to break a cycle)
        let cycle = api.store.dependents(&m.uid).any(|d| api.store.get_ref(d).is_some_and(|o| deleting_dependents(o.meta())));
        if cycle {
            patch_refs(api, obj, |refs| {
                for r in refs.iter_mut() {
                    if r.block_owner_deletion == Some(true) {
                        r.block_owner_deletion = Some(false);
                    }
                }
            })?;
        }
        return delete_object(api, obj, Propagation::Foreground);
    }
    let policy = if m.has_finalizer(ORPHAN) {
        Propagation::Orphan
    } else if m.has_finalizer(FOREGROUND) {
        Propagation::Foreground
    } else {
        Propagation::Background
    };
    delete_object(api, obj, policy)
}

/// `processDeletingDependentsItem`: once no dependent blocks, the owner's
/// foregroundDeletion finalizer goes (and with it, the owner).
fn process_deleting_dependents(api: &mut Api, owner: &Rc<Object>) -> Result<(), String> {
    let uid = owner.meta().uid.clone();
    let blocking: Vec<Rc<Object>> = api
        .store
        .dependents(&uid)
        .filter_map(|r| api.store.get_ref(r).cloned())
        .filter(|d| d.meta().owner_references.iter().any(|r| r.uid == uid && r.block_owner_deletion == Some(true)))
        .collect();
    if blocking.is_empty() {
        return api.remove_finalizer(owner.kind(), &owner.key(), FOREGROUND).map_err(|e| e.message);
    }
    let mut errs = vec![];
    for d in blocking {
        if !deleting_dependents(d.meta())
            && let Err(e) = attempt_to_delete(api, &d)
        {
            errs.push(e);
        }
    }
    if errs.is_empty() { Ok(()) } else { Err(errs.join(", ")) }
}

/// `attemptToOrphanWorker`: dependents lose their references to the owner,
/// then the orphan finalizer goes.
fn orphan_dependents(api: &mut Api, owner: &Rc<Object>) -> Result<(), String> {
    let uid = owner.meta().uid.clone();
    let deps: Vec<Rc<Object>> = api.store.dependents(&uid).filter_map(|r| api.store.get_ref(r).cloned()).collect();
    let mut errs = vec![];
    for d in deps {
        if let Err(e) = patch_refs(api, &d, |refs| refs.retain(|r| r.uid != uid)) {
            errs.push(format!("orphaning {} failed, {e}", d.obj_ref()));
        }
    }
    if !errs.is_empty() {
        return Err(format!("failed to orphan dependents of owner {}, got errors: {}", owner.obj_ref(), errs.join(", ")));
    }
    api.remove_finalizer(owner.kind(), &owner.key(), ORPHAN).map_err(|e| e.message)
}

/// Invariants that hold whenever the controllers have caught up: no object
/// whose owners are all gone is left without being deleted, and no object
/// whose deletion is waiting on the orphan finalizer still has dependents
/// pointing at it.
pub fn check_invariants(api: &Api) -> Result<(), String> {
    for kind in Kind::ALL.iter().copied().filter(|k| *k != Kind::Event) {
        for o in api.store.list(kind) {
            let m = o.meta();
            if m.owner_references.is_empty() || m.is_deleting() {
                continue;
            }
            let states: Vec<OwnerState> = m.owner_references.iter().map(|r| owner_state(api, m, r)).collect();
            if states.iter().all(|s| *s == OwnerState::Dangling) {
                return Err(format!("{} outlived all its owners", o.obj_ref()));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::controllers::replicaset::ReplicaSetController;
    use crate::engine::controllers::testkit::*;

    fn harness() -> Harness {
        Harness::new(vec![Box::new(GarbageCollector::default()), Box::new(ReplicaSetController::default())])
    }

    fn rs(name: &str, replicas: i32) -> Object {
        Object::ReplicaSet(ReplicaSet {
            metadata: ObjectMeta::named("default", name),
            spec: ReplicaSetSpec { replicas: Some(replicas), selector: selector(name), template: template(name, "nginx"), ..Default::default() },
            ..Default::default()
        })
    }

    fn cm(name: &str, owners: Vec<OwnerReference>) -> Object {
        Object::ConfigMap(ConfigMap {
            metadata: ObjectMeta { name: name.into(), namespace: "default".into(), owner_references: owners, ..Default::default() },
            ..Default::default()
        })
    }

    fn owner_ref(o: &Object, block: bool) -> OwnerReference {
        OwnerReference {
            api_version: o.kind().info().api_version(),
            kind: o.kind().info().kind.into(),
            name: o.meta().name.clone(),
            uid: o.meta().uid.clone(),
            controller: None,
            block_owner_deletion: Some(block),
        }
    }

    #[test]
    fn background_deletion_removes_dependents() {
        let mut h = harness();
        h.create(rs("web", 2));
        assert_eq!(h.pods("default").len(), 2);
        h.delete(Kind::ReplicaSet, "default", "web", DeleteOptions::default());
        assert!(h.pods("default").is_empty());
        check_invariants(&h.api).unwrap();
    }

    #[test]
    fn bound_pods_are_deleted_gracefully() {
        let mut h = harness();
        h.create(rs("web", 1));
        let p = h.pod_names("default")[0].clone();
        h.bind("default", &p, "node-a");
        h.delete(Kind::ReplicaSet, "default", "web", DeleteOptions::default());
        assert!(h.pod("default", &p).unwrap().metadata.is_deleting());
        check_invariants(&h.api).unwrap();
        h.finish_deletion("default", &p);
        assert!(h.pods("default").is_empty());
    }

    #[test]
    fn orphan_deletion_keeps_dependents_without_the_reference() {
        let mut h = harness();
        h.create(rs("web", 2));
        h.delete(Kind::ReplicaSet, "default", "web", DeleteOptions { propagation: Some(Propagation::Orphan), ..Default::default() });
        assert!(h.api.get_t::<ReplicaSet>("default", "web").is_none());
        let pods = h.pods("default");
        assert_eq!(pods.len(), 2);
        assert!(pods.iter().all(|p| p.metadata.owner_references.is_empty()));
    }

    #[test]
    fn foreground_deletion_waits_for_blocking_dependents() {
        let mut h = harness();
        h.create(rs("web", 2));
        let names = h.pod_names("default");
        for n in &names {
            h.bind("default", n, "node-a");
        }
        h.delete(Kind::ReplicaSet, "default", "web", DeleteOptions { propagation: Some(Propagation::Foreground), ..Default::default() });
        let r = h.api.get_t::<ReplicaSet>("default", "web").unwrap();
        assert!(r.metadata.is_deleting() && r.metadata.has_finalizer(FOREGROUND));
        assert!(h.pods("default").iter().all(|p| p.metadata.is_deleting()), "dependents are deleted first");
        h.finish_deletion("default", &names[0]);
        assert!(h.api.get_t::<ReplicaSet>("default", "web").is_some(), "still waiting for the other pod");
        h.finish_deletion("default", &names[1]);
        assert!(h.api.get_t::<ReplicaSet>("default", "web").is_none());
    }

    #[test]
    fn an_owner_that_never_existed_gets_its_dependent_collected() {
        let mut h = harness();
        let ghost =
            OwnerReference { api_version: "v1".into(), kind: "ConfigMap".into(), name: "ghost".into(), uid: "no-such-uid".into(), ..Default::default() };
        h.create(cm("child", vec![ghost]));
        assert!(h.api.get_t::<ConfigMap>("default", "child").is_none());
    }

    #[test]
    fn one_remaining_owner_keeps_the_dependent_and_dangling_references_are_dropped() {
        let mut h = harness();
        let a = h.create(cm("a", vec![]));
        let b = h.create(cm("b", vec![]));
        h.create(cm("child", vec![owner_ref(&a, false), owner_ref(&b, false)]));
        h.delete(Kind::ConfigMap, "default", "a", DeleteOptions::default());
        let child = h.api.get_t::<ConfigMap>("default", "child").unwrap();
        assert_eq!(child.metadata.owner_references.len(), 1);
        assert_eq!(child.metadata.owner_references[0].name, "b");
        h.delete(Kind::ConfigMap, "default", "b", DeleteOptions::default());
        assert!(h.api.get_t::<ConfigMap>("default", "child").is_none());
    }

    #[test]
    fn unknown_owner_kinds_are_left_alone() {
        let mut h = harness();
        let foreign =
            OwnerReference { api_version: "example.com/v1".into(), kind: "Widget".into(), name: "w".into(), uid: "w-uid".into(), ..Default::default() };
        h.create(cm("child", vec![foreign]));
        assert!(h.api.get_t::<ConfigMap>("default", "child").is_some());
    }

    #[test]
    fn foreground_cascades_through_levels() {
        let mut h = harness();
        let top = h.create(cm("top", vec![]));
        let mid = h.create(cm("mid", vec![owner_ref(&top, true)]));
        h.create(cm("leaf", vec![owner_ref(&mid, true)]));
        h.delete(Kind::ConfigMap, "default", "top", DeleteOptions { propagation: Some(Propagation::Foreground), ..Default::default() });
        for n in ["top", "mid", "leaf"] {
            assert!(h.api.get_t::<ConfigMap>("default", n).is_none(), "{n} remains");
        }
    }
}

#[cfg(test)]
mod invariant_tests {
    use super::*;
    use crate::engine::controllers::testkit::*;

    #[test]
    fn invariants_catch_an_orphan_left_behind() {
        let mut h = Harness::new(vec![Box::new(GarbageCollector::default())]);
        let owner = h.create(Object::ConfigMap(ConfigMap { metadata: ObjectMeta::named("default", "owner"), ..Default::default() }));
        let r =
            OwnerReference { api_version: "v1".into(), kind: "ConfigMap".into(), name: "owner".into(), uid: owner.meta().uid.clone(), ..Default::default() };
        h.create(Object::ConfigMap(ConfigMap {
            metadata: ObjectMeta { name: "child".into(), namespace: "default".into(), owner_references: vec![r], ..Default::default() },
            ..Default::default()
        }));
        check_invariants(&h.api).unwrap();
        h.api.delete(Kind::ConfigMap, "default", "owner", &DeleteOptions::default()).unwrap();
        assert!(check_invariants(&h.api).is_err(), "before the collector ran");
        h.run();
        check_invariants(&h.api).unwrap();
        assert!(h.api.get_t::<ConfigMap>("default", "child").is_none());
    }
}
