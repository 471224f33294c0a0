//! The controller itself (deployment_controller.go): its state, what it
//! watches, and `syncDeployment` with the lookups it makes first.

use super::*;

#[derive(Clone)]
pub struct DeploymentController {
    pub(super) orphans: OrphanIndex,
    pub(super) wakeups: Wakeups,
    pub(super) backoff: Backoff,
}

impl Default for DeploymentController {
    fn default() -> Self {
        DeploymentController { orphans: OrphanIndex::default(), wakeups: Wakeups::default(), backoff: Backoff::controller() }
    }
}

impl Controller for DeploymentController {
    fn id(&self) -> Ctl {
        Ctl::Deployment
    }

    fn watch(&mut self, ch: &Change, api: &Api, q: &mut WorkQueue) {
        match ch.kind {
            Kind::Deployment => q.add(ch.obj_ref()),
            Kind::ReplicaSet => {
                self.orphans.observe(ch);
                OWNER.enqueue_for_child(ch, api, q);
            }
            Kind::Pod if ch.op == Op::Deleted => pod_deleted(ch, api, q),
            _ => {}
        }
    }

    fn sync(&mut self, key: &ObjRef, cx: &mut Cx) {
        let Some(d) = cx.api.get_t::<Deployment>(&key.key.namespace, &key.key.name).cloned() else {
            self.backoff.forget(key);
            self.wakeups.forget(key);
            return;
        };
        let mut wake = None;
        let r = sync_deployment(cx.api, &self.orphans, d, &mut wake);
        if let Some(at) = wake {
            self.wakeups.wake(cx.api, Ctl::Deployment, key.clone(), at);
        }
        match r {
            Ok(()) => self.backoff.forget(key),
            Err(_) => {
                self.backoff.retry(cx.api, Ctl::Deployment, key.clone());
            }
        }
    }
}

// ---------------------------------------------------------------- watch

/// The Deployments, as the owners of ReplicaSets: addReplicaSet /
/// updateReplicaSet / deleteReplicaSet.
const OWNER: OwnerKind = OwnerKind { kind: Kind::Deployment, selector: |o| Deployment::from_object(o).and_then(|d| d.spec.selector.as_ref()) };

/// deletePod: a Recreate Deployment waits for the last old pod to go.
pub(super) fn pod_deleted(ch: &Change, api: &Api, q: &mut WorkQueue) {
    let (Some(pod), _) = ch.typed::<Pod>() else { return };
    let Some(r) = pod.metadata.controller_ref() else { return };
    let Some(rs) = resolve_controller::<ReplicaSet>(api, &pod.metadata.namespace, r) else { return };
    let Some(dr) = rs.metadata.controller_ref() else { return };
    let Some(d) = resolve_controller::<Deployment>(api, &rs.metadata.namespace, dr) else { return };
    if d.spec.strategy.type_ != DeploymentStrategyType::Recreate {
        return;
    }
    let remaining = api
        .store
        .dependents_of_kind(&d.metadata.uid, Kind::ReplicaSet)
        .filter_map(|r| api.store.get_ref(r).and_then(|o| ReplicaSet::from_object(o)))
        .map(|rs| api.store.dependents_of_kind(&rs.metadata.uid, Kind::Pod).count())
        .sum::<usize>();
    if remaining == 0 {
        q.add(d.obj_ref());
    }
}

// ---------------------------------------------------------------- syncDeployment

pub(super) struct Ctx<'a> {
    pub(super) api: &'a mut Api,
    pub(super) d: Deployment,
    /// When the progress deadline wants this Deployment looked at again.
    pub(super) wake: &'a mut Option<Time>,
}

impl Ctx<'_> {
    pub(super) fn obj(&self) -> Object {
        Object::Deployment(self.d.clone())
    }

    pub(super) fn event(&mut self, type_: &str, reason: &str, msg: &str) {
        let o = self.obj();
        self.api.event(&o, type_, reason, msg, COMPONENT);
    }

    /// UpdateStatus with the Deployment as it is now (annotations included,
    /// as deploymentStatusStrategy lets a status write change them).
    pub(super) fn write_status(&mut self) -> Result<(), String> {
        let w = self.api.update_status(self.obj()).map_err(|e| e.message)?;
        if let Some(d) = Deployment::from_object(&w.object) {
            self.d = d.clone();
        }
        Ok(())
    }
}

/// `syncDeployment`.
pub(super) fn sync_deployment(api: &mut Api, orphans: &OrphanIndex, d: Deployment, wake: &mut Option<Time>) -> Result<(), String> {
    let mut cx = Ctx { api, d, wake };
    if cx.d.spec.selector.as_ref().is_some_and(|s| s.is_empty()) {
        cx.event("Warning", "SelectingAll", "This deployment is selecting all pods. A non-empty selector is required.");
        if cx.d.status.observed_generation < cx.d.metadata.generation {
            cx.d.status.observed_generation = cx.d.metadata.generation;
            let _ = cx.write_status();
        }
        return Ok(());
    }
    let rs_list = replica_sets_for(&mut cx, orphans)?;
    if cx.d.metadata.is_deleting() {
        return sync_status_only(&mut cx, rs_list);
    }
    check_paused_conditions(&mut cx)?;
    if cx.d.spec.paused {
        return sync(&mut cx, rs_list);
    }
    if rollback_to(&cx.d).is_some() {
        return rollback(&mut cx, rs_list);
    }
    if is_scaling_event(&mut cx, &rs_list)? {
        return sync(&mut cx, rs_list);
    }
    match &cx.d.spec.strategy.type_ {
        DeploymentStrategyType::Recreate => rollout_recreate(&mut cx, rs_list),
        DeploymentStrategyType::RollingUpdate => rollout_rolling(&mut cx, rs_list),
        t => Err(format!("unexpected deployment strategy type: {t}")),
    }
}

/// `getReplicaSetsForDeployment`: owned ReplicaSets and matching orphans, claimed.
pub(super) fn replica_sets_for(cx: &mut Ctx, orphans: &OrphanIndex) -> Result<Vec<ReplicaSet>, String> {
    let candidates = owned_and_orphans::<ReplicaSet>(cx.api, &cx.d.metadata, Kind::Deployment, orphans);
    let sel = cx.d.spec.selector.clone();
    let meta = cx.d.metadata.clone();
    claim_objects(cx.api, &meta, Kind::Deployment, candidates, |rs: &ReplicaSet| selector_matches(sel.as_ref(), &rs.metadata.labels))
}

/// `getPodMapForDeployment`, reduced to what Recreate asks: are old pods left?
pub(super) fn old_pods_running(api: &Api, new_rs: Option<&ReplicaSet>, old: &[ReplicaSet]) -> bool {
    if old.iter().map(|r| r.status.replicas).sum::<i32>() > 0 {
        return true;
    }
    for rs in old {
        if new_rs.is_some_and(|n| n.metadata.uid == rs.metadata.uid) {
            continue;
        }
        for r in api.store.dependents_of_kind(&rs.metadata.uid, Kind::Pod) {
            let Some(p) = api.store.get_ref(r).and_then(|o| Pod::from_object(o)) else { continue };
            if p.metadata.controller_ref().is_none_or(|c| c.uid != rs.metadata.uid) {
                continue;
            }
            if !p.status.phase.is_terminal() {
                return true;
            }
        }
    }
    false
}
