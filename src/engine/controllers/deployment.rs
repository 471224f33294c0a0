//! The Deployment controller (pkg/controller/deployment): one ReplicaSet per
//! pod template, named `<deployment>-<pod-template-hash>`; revisions in the
//! `deployment.kubernetes.io/revision` annotations; RollingUpdate within
//! maxSurge/maxUnavailable and Recreate (old pods gone before new ones
//! start); proportional scaling; pause/resume; rollback to an old template
//! by reusing its ReplicaSet; the Progressing and Available conditions with
//! progressDeadlineSeconds; revisionHistoryLimit clean-up.

use super::controller_utils::*;
use super::history::{POD_TEMPLATE_HASH_LABEL, compute_hash, equal_ignore_hash};
use super::{Controller, Ctl, Cx, WorkQueue};
use crate::engine::api::*;
use crate::engine::apiserver::{Api, DeleteOptions, Reason};
use crate::engine::store::{Change, Op};
use crate::engine::time::{SECOND, Time};
use std::collections::BTreeMap;

const COMPONENT: &str = "deployment-controller";

pub const REVISION_ANNOTATION: &str = "deployment.kubernetes.io/revision";
pub const REVISION_HISTORY_ANNOTATION: &str = "deployment.kubernetes.io/revision-history";
pub const DESIRED_REPLICAS_ANNOTATION: &str = "deployment.kubernetes.io/desired-replicas";
pub const MAX_REPLICAS_ANNOTATION: &str = "deployment.kubernetes.io/max-replicas";
/// `apps.DeprecatedRollbackTo`: extensions/v1beta1's rollbackTo, round-tripped.
pub const DEPRECATED_ROLLBACK_TO: &str = "deprecated.deployment.rollback.to";
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

// Condition reasons (deploymentutil).
pub const REPLICA_SET_UPDATED: &str = "ReplicaSetUpdated";
pub const FAILED_RS_CREATE: &str = "ReplicaSetCreateError";
pub const NEW_REPLICA_SET: &str = "NewReplicaSetCreated";
pub const FOUND_NEW_RS: &str = "FoundNewReplicaSet";
pub const NEW_RS_AVAILABLE: &str = "NewReplicaSetAvailable";
pub const TIMED_OUT: &str = "ProgressDeadlineExceeded";
pub const PAUSED: &str = "DeploymentPaused";
pub const RESUMED: &str = "DeploymentResumed";
pub const MIN_AVAILABLE: &str = "MinimumReplicasAvailable";
pub const MIN_UNAVAILABLE: &str = "MinimumReplicasUnavailable";

/// `maxRevHistoryLengthInChars`.
const MAX_REV_HISTORY_CHARS: usize = 2000;

#[derive(Clone)]
pub struct DeploymentController {
    orphans: OrphanIndex,
    wakeups: Wakeups,
    backoff: Backoff,
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
                rs_changed(ch, api, q);
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

fn enqueue_controller_of(rs: &ReplicaSet, api: &Api, q: &mut WorkQueue) {
    if let Some(r) = rs.metadata.controller_ref()
        && let Some(d) = resolve_controller::<Deployment>(api, &rs.metadata.namespace, r)
    {
        q.add(d.obj_ref());
    }
}

/// `getDeploymentsForReplicaSet`.
fn enqueue_selecting(rs: &ReplicaSet, api: &Api, q: &mut WorkQueue) {
    if rs.metadata.labels.is_empty() {
        return;
    }
    for d in api.store.list_ns_t::<Deployment>(&rs.metadata.namespace) {
        if selector_selects(d.spec.selector.as_ref(), &rs.metadata.labels) {
            q.add(d.obj_ref());
        }
    }
}

/// addReplicaSet / updateReplicaSet / deleteReplicaSet.
fn rs_changed(ch: &Change, api: &Api, q: &mut WorkQueue) {
    let (old, new) = ch.typed::<ReplicaSet>();
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

/// deletePod: a Recreate Deployment waits for the last old pod to go.
fn pod_deleted(ch: &Change, api: &Api, q: &mut WorkQueue) {
    let (Some(pod), _) = ch.typed::<Pod>() else { return };
    let Some(r) = pod.metadata.controller_ref() else { return };
    let Some(rs) = resolve_controller::<ReplicaSet>(api, &pod.metadata.namespace, r) else { return };
    let Some(dr) = rs.metadata.controller_ref() else { return };
    let Some(d) = resolve_controller::<Deployment>(api, &rs.metadata.namespace, dr) else { return };
    if d.spec.strategy.type_ != "Recreate" {
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

// ---------------------------------------------------------------- helpers (deploymentutil)

fn d_replicas(d: &Deployment) -> i32 {
    d.spec.replicas.unwrap_or(1)
}

fn rs_replicas(rs: &ReplicaSet) -> i32 {
    rs.spec.replicas.unwrap_or(1)
}

fn is_rolling(d: &Deployment) -> bool {
    d.spec.strategy.type_ == "RollingUpdate"
}

/// `ResolveFenceposts`: surge rounds up, unavailability down; never both zero.
pub fn resolve_fenceposts(surge: Option<&IntOrString>, unavailable: Option<&IntOrString>, desired: i32) -> Result<(i32, i32), String> {
    let zero = IntOrString::Int(0);
    let s = surge.unwrap_or(&zero).scaled_value(desired, true)?;
    let mut u = unavailable.unwrap_or(&zero).scaled_value(desired, false)?;
    if s == 0 && u == 0 {
        u = 1;
    }
    Ok((s, u))
}

pub fn max_surge(d: &Deployment) -> i32 {
    if !is_rolling(d) {
        return 0;
    }
    let ru = d.spec.strategy.rolling_update.clone().unwrap_or_default();
    resolve_fenceposts(ru.max_surge.as_ref(), ru.max_unavailable.as_ref(), d_replicas(d)).map(|x| x.0).unwrap_or(0)
}

pub fn max_unavailable(d: &Deployment) -> i32 {
    if !is_rolling(d) || d_replicas(d) == 0 {
        return 0;
    }
    let ru = d.spec.strategy.rolling_update.clone().unwrap_or_default();
    let u = resolve_fenceposts(ru.max_surge.as_ref(), ru.max_unavailable.as_ref(), d_replicas(d)).map(|x| x.1).unwrap_or(0);
    u.min(d_replicas(d))
}

fn has_progress_deadline(d: &Deployment) -> bool {
    d.spec.progress_deadline_seconds.is_some_and(|s| s != i32::MAX)
}

fn has_revision_history_limit(d: &Deployment) -> bool {
    d.spec.revision_history_limit.is_some_and(|s| s != i32::MAX)
}

/// `deploymentutil.Revision`: 0 when unset.
pub fn revision(meta: &ObjectMeta) -> Result<i64, String> {
    match meta.annotation(REVISION_ANNOTATION) {
        None => Ok(0),
        Some(v) => v.parse::<i64>().map_err(|e| format!("strconv.ParseInt: parsing {v:?}: {e}")),
    }
}

fn max_revision(rss: &[ReplicaSet]) -> i64 {
    rss.iter().filter_map(|r| revision(&r.metadata).ok()).max().unwrap_or(0).max(0)
}

/// `LastRevision`: the second highest revision.
fn last_revision(rss: &[ReplicaSet]) -> i64 {
    let (mut max, mut sec) = (0i64, 0i64);
    for r in rss {
        if let Ok(v) = revision(&r.metadata) {
            if v >= max {
                sec = max;
                max = v;
            } else if v > sec {
                sec = v;
            }
        }
    }
    sec
}

fn secs(t: Option<Time>) -> i64 {
    t.map(|t| t.0.div_euclid(1000)).unwrap_or(i64::MIN)
}

/// `ReplicaSetsByCreationTimestamp`.
fn by_creation(a: &ReplicaSet, b: &ReplicaSet) -> std::cmp::Ordering {
    secs(a.metadata.creation_timestamp).cmp(&secs(b.metadata.creation_timestamp)).then_with(|| a.metadata.name.cmp(&b.metadata.name))
}

pub fn new_condition(type_: &str, status: &str, reason: &str, message: &str, now: Time) -> DeploymentCondition {
    DeploymentCondition {
        type_: type_.into(),
        status: status.into(),
        last_update_time: Some(now),
        last_transition_time: Some(now),
        reason: reason.into(),
        message: message.into(),
    }
}

/// `SetDeploymentCondition`: same status and reason is no change; same
/// status keeps the transition time.
pub fn set_condition(st: &mut DeploymentStatus, mut c: DeploymentCondition) {
    if let Some(cur) = st.conditions.iter().find(|x| x.type_ == c.type_) {
        if cur.status == c.status && cur.reason == c.reason {
            return;
        }
        if cur.status == c.status {
            c.last_transition_time = cur.last_transition_time;
        }
    }
    st.conditions.retain(|x| x.type_ != c.type_);
    st.conditions.push(c);
}

fn remove_condition(st: &mut DeploymentStatus, type_: &str) {
    st.conditions.retain(|x| x.type_ != type_);
}

fn get_condition<'a>(st: &'a DeploymentStatus, type_: &str) -> Option<&'a DeploymentCondition> {
    st.conditions.iter().find(|x| x.type_ == type_)
}

fn set_deployment_revision(d: &mut Deployment, rev: &str) -> bool {
    if d.metadata.annotation(REVISION_ANNOTATION) != Some(rev) {
        d.metadata.annotations.insert(REVISION_ANNOTATION.into(), rev.into());
        return true;
    }
    false
}

fn skip_copy_annotation(k: &str) -> bool {
    matches!(
        k,
        LAST_APPLIED | REVISION_ANNOTATION | REVISION_HISTORY_ANNOTATION | DESIRED_REPLICAS_ANNOTATION | MAX_REPLICAS_ANNOTATION | DEPRECATED_ROLLBACK_TO
    )
}

fn copy_deployment_annotations(d: &Deployment, rs: &mut ReplicaSet) -> bool {
    let mut changed = false;
    for (k, v) in &d.metadata.annotations {
        if skip_copy_annotation(k) || rs.metadata.annotations.get(k) == Some(v) {
            continue;
        }
        rs.metadata.annotations.insert(k.clone(), v.clone());
        changed = true;
    }
    changed
}

fn set_replicas_annotations(rs: &mut ReplicaSet, desired: i32, max: i32) -> bool {
    let mut updated = false;
    for (k, v) in [(DESIRED_REPLICAS_ANNOTATION, desired), (MAX_REPLICAS_ANNOTATION, max)] {
        let s = v.to_string();
        if rs.metadata.annotations.get(k) != Some(&s) {
            rs.metadata.annotations.insert(k.into(), s);
            updated = true;
        }
    }
    updated
}

fn replicas_annotations_need_update(rs: &ReplicaSet, desired: i32, max: i32) -> bool {
    rs.metadata.annotations.get(DESIRED_REPLICAS_ANNOTATION) != Some(&desired.to_string())
        || rs.metadata.annotations.get(MAX_REPLICAS_ANNOTATION) != Some(&max.to_string())
}

fn annotation_i32(rs: &ReplicaSet, key: &str) -> Option<i32> {
    rs.metadata.annotation(key).and_then(|v| v.parse::<u32>().ok()).filter(|v| *v <= i32::MAX as u32).map(|v| v as i32)
}

/// `SetNewReplicaSetAnnotations`.
fn set_new_rs_annotations(d: &Deployment, rs: &mut ReplicaSet, new_revision: &str, exists: bool) -> bool {
    let mut changed = copy_deployment_annotations(d, rs);
    let old = rs.metadata.annotations.get(REVISION_ANNOTATION).cloned();
    let old_int = match old.as_deref() {
        None | Some("") => 0,
        Some(v) => match v.parse::<i64>() {
            Ok(x) => x,
            Err(_) => return false,
        },
    };
    let Ok(new_int) = new_revision.parse::<i64>() else { return false };
    if old_int < new_int {
        rs.metadata.annotations.insert(REVISION_ANNOTATION.into(), new_revision.into());
        changed = true;
    }
    if let Some(old_rev) = old.filter(|_| old_int < new_int) {
        let hist = rs.metadata.annotations.get(REVISION_HISTORY_ANNOTATION).cloned().unwrap_or_default();
        if hist.is_empty() {
            rs.metadata.annotations.insert(REVISION_HISTORY_ANNOTATION.into(), old_rev);
        } else {
            let mut revs: Vec<&str> = hist.split(',').collect();
            let mut total = hist.len() + old_rev.len() + 1;
            let mut start = 0;
            while total > MAX_REV_HISTORY_CHARS && start < revs.len() {
                total -= revs[start].len() + 1;
                start += 1;
            }
            if total <= MAX_REV_HISTORY_CHARS {
                revs = revs.split_off(start);
                revs.push(&old_rev);
                let joined = revs.join(",");
                rs.metadata.annotations.insert(REVISION_HISTORY_ANNOTATION.into(), joined);
            }
        }
    }
    if !exists && set_replicas_annotations(rs, d_replicas(d), d_replicas(d).wrapping_add(max_surge(d))) {
        changed = true;
    }
    changed
}

/// Sums of replica counts are int32 upstream (GetReplicaCountForReplicaSets
/// and friends), and so wrap as Go's do: a Deployment of 2,000,000,000
/// replicas with 25% surge overflows `replicas + maxSurge` and its new
/// ReplicaSet stays at 0, exactly as on a real cluster.
fn sum<F: Fn(&ReplicaSet) -> i32>(rss: &[&ReplicaSet], f: F) -> i32 {
    rss.iter().fold(0i32, |a, r| a.wrapping_add(f(r)))
}

fn active(rss: &[ReplicaSet]) -> Vec<ReplicaSet> {
    rss.iter().filter(|r| rs_replicas(r) > 0).cloned().collect()
}

/// `DeploymentComplete`.
fn deployment_complete(d: &Deployment, st: &DeploymentStatus) -> bool {
    let r = d_replicas(d);
    st.updated_replicas == r && st.replicas == r && st.available_replicas == r && st.observed_generation >= d.metadata.generation
}

/// `DeploymentProgressing`.
fn deployment_progressing(d: &Deployment, st: &DeploymentStatus) -> bool {
    let old = &d.status;
    st.updated_replicas > old.updated_replicas
        || st.replicas.wrapping_sub(st.updated_replicas) < old.replicas.wrapping_sub(old.updated_replicas)
        || st.ready_replicas > old.ready_replicas
        || st.available_replicas > old.available_replicas
}

/// `DeploymentTimedOut`.
fn deployment_timed_out(d: &Deployment, st: &DeploymentStatus, now: Time) -> bool {
    if !has_progress_deadline(d) {
        return false;
    }
    let Some(c) = get_condition(st, "Progressing") else { return false };
    if c.reason == NEW_RS_AVAILABLE {
        return false;
    }
    if c.reason == TIMED_OUT {
        return true;
    }
    let from = c.last_update_time.unwrap_or_default();
    from.0 + d.spec.progress_deadline_seconds.unwrap_or(0) as i64 * SECOND < now.0
}

/// `NewRSNewReplicas`.
fn new_rs_new_replicas(d: &Deployment, all: &[&ReplicaSet], new_rs: &ReplicaSet) -> Result<i32, String> {
    match d.spec.strategy.type_.as_str() {
        "RollingUpdate" => {
            let ru = d.spec.strategy.rolling_update.clone().unwrap_or_default();
            let surge = ru.max_surge.unwrap_or(IntOrString::Int(0)).scaled_value(d_replicas(d), true)?;
            let current = sum(all, rs_replicas);
            let max_total = d_replicas(d).wrapping_add(surge);
            if current >= max_total {
                return Ok(rs_replicas(new_rs));
            }
            let up = max_total.wrapping_sub(current).min(d_replicas(d).wrapping_sub(rs_replicas(new_rs)));
            Ok(rs_replicas(new_rs).wrapping_add(up))
        }
        "Recreate" => Ok(d_replicas(d)),
        t => Err(format!("deployment type {t} isn't supported")),
    }
}

/// `IsSaturated`.
fn is_saturated(d: &Deployment, rs: Option<&ReplicaSet>) -> bool {
    let Some(rs) = rs else { return false };
    let Some(desired) = rs.metadata.annotation(DESIRED_REPLICAS_ANNOTATION).and_then(|v| v.parse::<i32>().ok()) else { return false };
    rs_replicas(rs) == d_replicas(d) && desired == d_replicas(d) && rs.status.available_replicas == d_replicas(d)
}

/// `GetReplicaSetProportion`.
fn rs_proportion(rs: &ReplicaSet, d: &Deployment, to_add: i32, added: i32) -> i32 {
    if rs_replicas(rs) == 0 || to_add == 0 || to_add == added {
        return 0;
    }
    let fraction = rs_fraction(rs, d);
    let allowed = to_add.wrapping_sub(added);
    if to_add > 0 { fraction.min(allowed) } else { fraction.max(allowed) }
}

fn rs_fraction(rs: &ReplicaSet, d: &Deployment) -> i32 {
    if d_replicas(d) == 0 {
        return -rs_replicas(rs);
    }
    let max_now = d_replicas(d).wrapping_add(max_surge(d));
    let mut before = annotation_i32(rs, MAX_REPLICAS_ANNOTATION).unwrap_or(0);
    if before == 0 {
        before = d.status.replicas;
        if before == 0 {
            return 0;
        }
    }
    // float64(rs.replicas * d.replicas): an int32 product, wrapped, as upstream.
    let size = rs_replicas(rs).wrapping_mul(max_now) as f64 / before as f64;
    (size.round() as i32).wrapping_sub(rs_replicas(rs))
}

// ---------------------------------------------------------------- sync

struct Ctx<'a> {
    api: &'a mut Api,
    d: Deployment,
    /// When the progress deadline wants this Deployment looked at again.
    wake: &'a mut Option<Time>,
}

impl Ctx<'_> {
    fn obj(&self) -> Object {
        Object::Deployment(self.d.clone())
    }

    fn event(&mut self, type_: &str, reason: &str, msg: &str) {
        let o = self.obj();
        self.api.event(&o, type_, reason, msg, COMPONENT);
    }

    /// UpdateStatus with the Deployment as it is now (annotations included,
    /// as deploymentStatusStrategy lets a status write change them).
    fn write_status(&mut self) -> Result<(), String> {
        let w = self.api.update_status(self.obj()).map_err(|e| e.message)?;
        if let Some(d) = Deployment::from_object(&w.object) {
            self.d = d.clone();
        }
        Ok(())
    }
}

/// `syncDeployment`.
fn sync_deployment(api: &mut Api, orphans: &OrphanIndex, d: Deployment, wake: &mut Option<Time>) -> Result<(), String> {
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
    match cx.d.spec.strategy.type_.as_str() {
        "Recreate" => rollout_recreate(&mut cx, rs_list),
        "RollingUpdate" => rollout_rolling(&mut cx, rs_list),
        t => Err(format!("unexpected deployment strategy type: {t}")),
    }
}

/// `getReplicaSetsForDeployment`: owned ReplicaSets and matching orphans, claimed.
fn replica_sets_for(cx: &mut Ctx, orphans: &OrphanIndex) -> Result<Vec<ReplicaSet>, String> {
    let candidates = owned_and_orphans::<ReplicaSet>(cx.api, &cx.d.metadata, Kind::Deployment, orphans);
    let sel = cx.d.spec.selector.clone();
    let meta = cx.d.metadata.clone();
    claim_objects(cx.api, &meta, Kind::Deployment, candidates, |rs: &ReplicaSet| selector_matches(sel.as_ref(), &rs.metadata.labels))
}

/// `getPodMapForDeployment`, reduced to what Recreate asks: are old pods left?
fn old_pods_running(api: &Api, new_rs: Option<&ReplicaSet>, old: &[ReplicaSet]) -> bool {
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
            if !matches!(p.status.phase.as_str(), "Failed" | "Succeeded") {
                return true;
            }
        }
    }
    false
}

/// `FindNewReplicaSet` and `FindOldReplicaSets` (all old ones).
fn split(d: &Deployment, mut rs_list: Vec<ReplicaSet>) -> (Option<ReplicaSet>, Vec<ReplicaSet>) {
    crate::engine::sort::sort_by(&mut rs_list, by_creation);
    let new_idx = rs_list.iter().position(|r| equal_ignore_hash(&r.spec.template, &d.spec.template));
    let new_rs = new_idx.map(|i| rs_list.remove(i));
    (new_rs, rs_list)
}

/// `getAllReplicaSetsAndSyncRevision`.
fn all_and_sync_revision(cx: &mut Ctx, rs_list: &[ReplicaSet], create: bool) -> Result<(Option<ReplicaSet>, Vec<ReplicaSet>), String> {
    let (existing, old) = split(&cx.d, rs_list.to_vec());
    let new_rs = new_replica_set(cx, existing, &old, create)?;
    Ok((new_rs, old))
}

/// `getNewReplicaSet`.
fn new_replica_set(cx: &mut Ctx, existing: Option<ReplicaSet>, old: &[ReplicaSet], create: bool) -> Result<Option<ReplicaSet>, String> {
    let new_revision = (max_revision(old) + 1).to_string();
    let now = cx.api.now;
    if let Some(existing) = existing {
        let mut rs = existing.clone();
        let annotations_updated = set_new_rs_annotations(&cx.d, &mut rs, &new_revision, true);
        let min_ready_update = rs.spec.min_ready_seconds != cx.d.spec.min_ready_seconds;
        if annotations_updated || min_ready_update {
            rs.spec.min_ready_seconds = cx.d.spec.min_ready_seconds;
            let w = cx.api.update(Object::ReplicaSet(rs)).map_err(|e| e.message)?;
            return Ok(ReplicaSet::from_object(&w.object).cloned());
        }
        let rev = rs.metadata.annotations.get(REVISION_ANNOTATION).cloned().unwrap_or_default();
        let mut needs_update = set_deployment_revision(&mut cx.d, &rev);
        if has_progress_deadline(&cx.d) && get_condition(&cx.d.status, "Progressing").is_none() {
            let msg = format!("Found new replica set {:?}", rs.metadata.name);
            set_condition(&mut cx.d.status, new_condition("Progressing", "True", FOUND_NEW_RS, &msg, now));
            needs_update = true;
        }
        if needs_update {
            cx.write_status()?;
        }
        return Ok(Some(rs));
    }
    if !create {
        return Ok(None);
    }
    let d = cx.d.clone();
    let hash = compute_hash(&d.spec.template, d.status.collision_count);
    let mut template = d.spec.template.clone();
    template.metadata.labels.insert(POD_TEMPLATE_HASH_LABEL.into(), hash.clone());
    let mut selector = d.spec.selector.clone().unwrap_or_default();
    selector.match_labels.insert(POD_TEMPLATE_HASH_LABEL.into(), hash.clone());
    let mut new_rs = ReplicaSet {
        metadata: ObjectMeta {
            name: replica_set_name(&d.metadata.name, &hash),
            namespace: d.metadata.namespace.clone(),
            owner_references: vec![new_controller_ref(&d.metadata, Kind::Deployment)],
            labels: template.metadata.labels.clone(),
            ..Default::default()
        },
        spec: ReplicaSetSpec { replicas: Some(0), min_ready_seconds: d.spec.min_ready_seconds, selector: Some(selector), template },
        ..Default::default()
    };
    let mut all: Vec<&ReplicaSet> = old.iter().collect();
    all.push(&new_rs);
    let count = new_rs_new_replicas(&d, &all, &new_rs)?;
    new_rs.spec.replicas = Some(count);
    set_new_rs_annotations(&d, &mut new_rs, &new_revision, false);
    let mut already_exists = false;
    let created = match cx.api.create(Object::ReplicaSet(new_rs.clone())) {
        Ok(w) => ReplicaSet::from_object(&w.object).cloned().ok_or("not a ReplicaSet")?,
        Err(e) if e.reason == Reason::AlreadyExists => {
            already_exists = true;
            let rs = cx.api.get_t::<ReplicaSet>(&d.metadata.namespace, &new_rs.metadata.name).cloned().ok_or(e.message.clone())?;
            let ours = rs.metadata.controller_ref().is_some_and(|c| c.uid == d.metadata.uid);
            if ours && equal_ignore_hash(&d.spec.template, &rs.spec.template) {
                rs
            } else {
                // a hash collision: bump collisionCount and try again next sync
                *cx.d.status.collision_count.get_or_insert(0) += 1;
                let _ = cx.write_status();
                return Err(e.message);
            }
        }
        Err(e) if is_namespace_terminating(&e) => return Err(e.message),
        Err(e) => {
            let msg = format!("Failed to create new replica set {:?}: {}", new_rs.metadata.name, e.message);
            if has_progress_deadline(&cx.d) {
                set_condition(&mut cx.d.status, new_condition("Progressing", "False", FAILED_RS_CREATE, &msg, now));
                let _ = cx.write_status();
            }
            cx.event("Warning", FAILED_RS_CREATE, &msg);
            return Err(e.message);
        }
    };
    if !already_exists && count > 0 {
        cx.event("Normal", "ScalingReplicaSet", &format!("Scaled up replica set {} from 0 to {}", created.metadata.name, count));
    }
    let mut needs_update = set_deployment_revision(&mut cx.d, &new_revision);
    if !already_exists && has_progress_deadline(&cx.d) {
        let msg = format!("Created new replica set {:?}", created.metadata.name);
        set_condition(&mut cx.d.status, new_condition("Progressing", "True", NEW_REPLICA_SET, &msg, now));
        needs_update = true;
    }
    if needs_update {
        cx.write_status()?;
    }
    Ok(Some(created))
}

/// `generateReplicaSetName`.
fn replica_set_name(deployment: &str, hash: &str) -> String {
    let max = 253 - 1 - hash.len();
    if deployment.len() > max { format!("{}-{hash}", &deployment[..max]) } else { format!("{deployment}-{hash}") }
}

/// `scaleReplicaSet`: returns whether the size changed, and the RS as written.
fn scale_replica_set(cx: &mut Ctx, rs: &ReplicaSet, new_scale: i32, force: bool) -> Result<(bool, ReplicaSet), String> {
    if !force && rs_replicas(rs) == new_scale {
        return Ok((false, rs.clone()));
    }
    let desired = d_replicas(&cx.d);
    let max = desired.wrapping_add(max_surge(&cx.d));
    let size_changed = rs_replicas(rs) != new_scale;
    if !size_changed && !replicas_annotations_need_update(rs, desired, max) {
        return Ok((false, rs.clone()));
    }
    let old_scale = rs_replicas(rs);
    let mut copy = rs.clone();
    copy.spec.replicas = Some(new_scale);
    set_replicas_annotations(&mut copy, desired, max);
    let w = cx.api.update(Object::ReplicaSet(copy)).map_err(|e| e.message)?;
    let updated = ReplicaSet::from_object(&w.object).cloned().unwrap_or_else(|| rs.clone());
    if size_changed {
        let dir = if old_scale < new_scale { "up" } else { "down" };
        cx.event("Normal", "ScalingReplicaSet", &format!("Scaled {dir} replica set {} from {old_scale} to {new_scale}", updated.metadata.name));
    }
    Ok((size_changed, updated))
}

/// `FindActiveOrLatest`.
fn active_or_latest(new_rs: Option<&ReplicaSet>, old: &[ReplicaSet]) -> Option<ReplicaSet> {
    if new_rs.is_none() && old.is_empty() {
        return None;
    }
    let mut olds = old.to_vec();
    crate::engine::sort::sort_by(&mut olds, |a, b| by_creation(b, a));
    let mut all: Vec<ReplicaSet> = olds.iter().filter(|r| rs_replicas(r) > 0).cloned().collect();
    if let Some(n) = new_rs.filter(|n| rs_replicas(n) > 0) {
        all.push(n.clone());
    }
    match all.len() {
        0 => new_rs.cloned().or_else(|| olds.first().cloned()),
        1 => all.pop(),
        _ => None,
    }
}

/// `scale`: proportional scaling on scaling events and while paused.
fn scale(cx: &mut Ctx, new_rs: Option<&ReplicaSet>, old: &[ReplicaSet]) -> Result<(), String> {
    if let Some(rs) = active_or_latest(new_rs, old) {
        if rs_replicas(&rs) == d_replicas(&cx.d) {
            return Ok(());
        }
        let want = d_replicas(&cx.d);
        scale_replica_set(cx, &rs, want, false)?;
        return Ok(());
    }
    if is_saturated(&cx.d, new_rs) {
        for o in active(old) {
            scale_replica_set(cx, &o, 0, false)?;
        }
        return Ok(());
    }
    if is_rolling(&cx.d) {
        let mut all: Vec<ReplicaSet> = old.to_vec();
        if let Some(n) = new_rs {
            all.push(n.clone());
        }
        let mut all = active(&all);
        let total: i32 = all.iter().map(rs_replicas).sum();
        let allowed = if d_replicas(&cx.d) > 0 { d_replicas(&cx.d).wrapping_add(max_surge(&cx.d)) } else { 0 };
        let to_add = allowed.wrapping_sub(total);
        if to_add > 0 {
            // ReplicaSetsBySizeNewer
            crate::engine::sort::sort_by(&mut all, |a, b| rs_replicas(b).cmp(&rs_replicas(a)).then_with(|| by_creation(b, a)));
        } else if to_add < 0 {
            // ReplicaSetsBySizeOlder
            crate::engine::sort::sort_by(&mut all, |a, b| rs_replicas(b).cmp(&rs_replicas(a)).then_with(|| by_creation(a, b)));
        }
        let mut added = 0;
        let mut sizes: BTreeMap<String, i32> = BTreeMap::new();
        for rs in &all {
            if to_add != 0 {
                let p = rs_proportion(rs, &cx.d, to_add, added);
                sizes.insert(rs.metadata.name.clone(), rs_replicas(rs).wrapping_add(p));
                added = added.wrapping_add(p);
            } else {
                sizes.insert(rs.metadata.name.clone(), rs_replicas(rs));
            }
        }
        for (i, rs) in all.iter().enumerate() {
            if i == 0 && to_add != 0 {
                let left = to_add.wrapping_sub(added);
                let e = sizes.entry(rs.metadata.name.clone()).or_default();
                *e = e.wrapping_add(left).max(0);
            }
            let size = sizes[&rs.metadata.name];
            scale_replica_set(cx, rs, size, true)?;
        }
    }
    Ok(())
}

/// `cleanupDeployment`: keeps the newest revisionHistoryLimit old ReplicaSets.
fn cleanup(cx: &mut Ctx, old: &[ReplicaSet]) -> Result<(), String> {
    if !has_revision_history_limit(&cx.d) {
        return Ok(());
    }
    let mut cleanable: Vec<ReplicaSet> = old.iter().filter(|r| !r.metadata.is_deleting()).cloned().collect();
    let limit = cx.d.spec.revision_history_limit.unwrap_or(10);
    let diff = cleanable.len() as i64 - limit as i64;
    if diff <= 0 {
        return Ok(());
    }
    // ReplicaSetsByRevision
    crate::engine::sort::sort_by(&mut cleanable, |a, b| match (revision(&a.metadata), revision(&b.metadata)) {
        (Ok(x), Ok(y)) if x != y => x.cmp(&y),
        _ => by_creation(a, b),
    });
    for rs in cleanable.iter().take(diff as usize) {
        if rs.status.replicas != 0 || rs_replicas(rs) != 0 || rs.metadata.generation > rs.status.observed_generation || rs.metadata.is_deleting() {
            continue;
        }
        match cx.api.delete(Kind::ReplicaSet, &rs.metadata.namespace, &rs.metadata.name, &DeleteOptions::default()) {
            Ok(_) => {}
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e.message),
        }
    }
    Ok(())
}

/// `calculateStatus`.
fn calculate_status(all: &[&ReplicaSet], new_rs: Option<&ReplicaSet>, d: &Deployment, now: Time) -> DeploymentStatus {
    let available: i32 = all.iter().map(|r| r.status.available_replicas).sum();
    let total: i32 = all.iter().map(|r| rs_replicas(r)).sum();
    let mut st = DeploymentStatus {
        observed_generation: d.metadata.generation,
        replicas: all.iter().map(|r| r.status.replicas).sum(),
        updated_replicas: new_rs.map(|r| r.status.replicas).unwrap_or(0),
        ready_replicas: all.iter().map(|r| r.status.ready_replicas).sum(),
        available_replicas: available,
        unavailable_replicas: total.wrapping_sub(available).max(0),
        collision_count: d.status.collision_count,
        terminating_replicas: terminating_replicas(all),
        conditions: d.status.conditions.clone(),
    };
    if available >= d_replicas(d).wrapping_sub(max_unavailable(d)) {
        set_condition(&mut st, new_condition("Available", "True", MIN_AVAILABLE, "Deployment has minimum availability.", now));
    } else {
        set_condition(&mut st, new_condition("Available", "False", MIN_UNAVAILABLE, "Deployment does not have minimum availability.", now));
    }
    st
}

/// `GetTerminatingReplicaCountForReplicaSets`.
fn terminating_replicas(all: &[&ReplicaSet]) -> Option<i32> {
    let mut n = 0;
    for rs in all {
        match rs.status.terminating_replicas {
            None if rs.status.observed_generation == 0 => {}
            None => return None,
            Some(t) => n += t,
        }
    }
    Some(n)
}

fn all_of<'a>(old: &'a [ReplicaSet], new_rs: Option<&'a ReplicaSet>) -> Vec<&'a ReplicaSet> {
    let mut v: Vec<&ReplicaSet> = old.iter().collect();
    if let Some(n) = new_rs {
        v.push(n);
    }
    v
}

/// `syncDeploymentStatus`.
fn sync_deployment_status(cx: &mut Ctx, old: &[ReplicaSet], new_rs: Option<&ReplicaSet>) -> Result<(), String> {
    let st = calculate_status(&all_of(old, new_rs), new_rs, &cx.d, cx.api.now);
    if st == cx.d.status {
        return Ok(());
    }
    cx.d.status = st;
    cx.write_status()
}

fn sync_status_only(cx: &mut Ctx, rs_list: Vec<ReplicaSet>) -> Result<(), String> {
    let (new_rs, old) = all_and_sync_revision(cx, &rs_list, false)?;
    sync_deployment_status(cx, &old, new_rs.as_ref())
}

/// `sync`: scaling events and paused Deployments.
fn sync(cx: &mut Ctx, rs_list: Vec<ReplicaSet>) -> Result<(), String> {
    let (new_rs, old) = all_and_sync_revision(cx, &rs_list, false)?;
    scale(cx, new_rs.as_ref(), &old)?;
    if cx.d.spec.paused && rollback_to(&cx.d).is_none() {
        cleanup(cx, &old)?;
    }
    let fresh = refresh(cx.api, &old, new_rs.as_ref());
    sync_deployment_status(cx, &fresh.1, fresh.0.as_ref())
}

/// The ReplicaSets as they are in the store now (after scaling them).
fn refresh(api: &Api, old: &[ReplicaSet], new_rs: Option<&ReplicaSet>) -> (Option<ReplicaSet>, Vec<ReplicaSet>) {
    let get = |r: &ReplicaSet| {
        api.get_t::<ReplicaSet>(&r.metadata.namespace, &r.metadata.name).filter(|x| x.metadata.uid == r.metadata.uid).cloned().unwrap_or_else(|| r.clone())
    };
    (new_rs.map(get), old.iter().map(get).collect())
}

/// `checkPausedConditions`.
fn check_paused_conditions(cx: &mut Ctx) -> Result<(), String> {
    if !has_progress_deadline(&cx.d) {
        return Ok(());
    }
    let cond = get_condition(&cx.d.status, "Progressing").cloned();
    if cond.as_ref().is_some_and(|c| c.reason == TIMED_OUT) {
        return Ok(());
    }
    let paused_cond = cond.as_ref().is_some_and(|c| c.reason == PAUSED);
    let now = cx.api.now;
    if cx.d.spec.paused && !paused_cond {
        set_condition(&mut cx.d.status, new_condition("Progressing", "Unknown", PAUSED, "Deployment is paused", now));
    } else if !cx.d.spec.paused && paused_cond {
        set_condition(&mut cx.d.status, new_condition("Progressing", "Unknown", RESUMED, "Deployment is resumed", now));
    } else {
        return Ok(());
    }
    cx.write_status()
}

/// `isScalingEvent`: an active ReplicaSet was sized for a different replica count.
fn is_scaling_event(cx: &mut Ctx, rs_list: &[ReplicaSet]) -> Result<bool, String> {
    let (new_rs, old) = all_and_sync_revision(cx, rs_list, false)?;
    let want = d_replicas(&cx.d);
    for rs in all_of(&old, new_rs.as_ref()) {
        if rs_replicas(rs) == 0 {
            continue;
        }
        if let Some(desired) = annotation_i32(rs, DESIRED_REPLICAS_ANNOTATION)
            && desired != want
        {
            return Ok(true);
        }
    }
    Ok(false)
}

fn rollback_to(d: &Deployment) -> Option<i64> {
    d.metadata.annotation(DEPRECATED_ROLLBACK_TO).filter(|v| !v.is_empty()).and_then(|v| v.parse::<i64>().ok())
}

/// `rollback`: the deprecated rollbackTo (an annotation in apps/v1).
fn rollback(cx: &mut Ctx, rs_list: Vec<ReplicaSet>) -> Result<(), String> {
    let (new_rs, old) = all_and_sync_revision(cx, &rs_list, true)?;
    let all: Vec<ReplicaSet> = all_of(&old, new_rs.as_ref()).into_iter().cloned().collect();
    let mut to = rollback_to(&cx.d).unwrap_or(0);
    if to == 0 {
        to = last_revision(&all);
        if to == 0 {
            cx.event("Warning", "DeploymentRollbackRevisionNotFound", "Unable to find last revision.");
            return clear_rollback_to(cx);
        }
    }
    for rs in &all {
        if revision(&rs.metadata) == Ok(to) {
            let mut performed = false;
            if !equal_ignore_hash(&cx.d.spec.template, &rs.spec.template) {
                cx.d.spec.template = rs.spec.template.clone();
                cx.d.spec.template.metadata.labels.remove(POD_TEMPLATE_HASH_LABEL);
                // SetDeploymentAnnotationsTo
                cx.d.metadata.annotations.retain(|k, _| skip_copy_annotation(k));
                for (k, v) in &rs.metadata.annotations {
                    if !skip_copy_annotation(k) {
                        cx.d.metadata.annotations.insert(k.clone(), v.clone());
                    }
                }
                performed = true;
            } else {
                let msg = format!("The rollback revision contains the same template as current deployment {:?}", cx.d.metadata.name);
                cx.event("Warning", "DeploymentRollbackTemplateUnchanged", &msg);
            }
            let r = clear_rollback_to(cx);
            if performed && r.is_ok() {
                let msg = format!("Rolled back deployment {:?} to revision {to}", cx.d.metadata.name);
                cx.event("Normal", "DeploymentRollback", &msg);
            }
            return r;
        }
    }
    cx.event("Warning", "DeploymentRollbackRevisionNotFound", "Unable to find the revision to rollback to.");
    clear_rollback_to(cx)
}

fn clear_rollback_to(cx: &mut Ctx) -> Result<(), String> {
    cx.d.metadata.annotations.remove(DEPRECATED_ROLLBACK_TO);
    let w = cx.api.update(cx.obj()).map_err(|e| e.message)?;
    if let Some(d) = Deployment::from_object(&w.object) {
        cx.d = d.clone();
    }
    Ok(())
}

// ---------------------------------------------------------------- rolling

/// `rolloutRolling`.
fn rollout_rolling(cx: &mut Ctx, rs_list: Vec<ReplicaSet>) -> Result<(), String> {
    let (new_rs, old) = all_and_sync_revision(cx, &rs_list, true)?;
    let Some(new_rs) = new_rs else { return Err("no new replica set".into()) };
    if reconcile_new_rs(cx, &old, &new_rs)? {
        let (n, o) = refresh(cx.api, &old, Some(&new_rs));
        return sync_rollout_status(cx, &o, n.as_ref());
    }
    let old_active = active(&old);
    if reconcile_old_rss(cx, &old, &old_active, &new_rs)? {
        let (n, o) = refresh(cx.api, &old, Some(&new_rs));
        return sync_rollout_status(cx, &o, n.as_ref());
    }
    if deployment_complete(&cx.d, &cx.d.status.clone()) {
        cleanup(cx, &old)?;
    }
    sync_rollout_status(cx, &old, Some(&new_rs))
}

/// `reconcileNewReplicaSet`.
fn reconcile_new_rs(cx: &mut Ctx, old: &[ReplicaSet], new_rs: &ReplicaSet) -> Result<bool, String> {
    let want = d_replicas(&cx.d);
    if rs_replicas(new_rs) == want {
        return Ok(false);
    }
    if rs_replicas(new_rs) > want {
        return Ok(scale_replica_set(cx, new_rs, want, false)?.0);
    }
    let all = all_of(old, Some(new_rs));
    let count = new_rs_new_replicas(&cx.d, &all, new_rs)?;
    Ok(scale_replica_set(cx, new_rs, count, false)?.0)
}

/// `reconcileOldReplicaSets`.
fn reconcile_old_rss(cx: &mut Ctx, all_old: &[ReplicaSet], old: &[ReplicaSet], new_rs: &ReplicaSet) -> Result<bool, String> {
    let old_count: i32 = old.iter().map(rs_replicas).sum();
    if old_count == 0 {
        return Ok(false);
    }
    let _ = all_old;
    let all_count: i32 = old_count.wrapping_add(rs_replicas(new_rs));
    let min_available = d_replicas(&cx.d).wrapping_sub(max_unavailable(&cx.d));
    let new_unavailable = rs_replicas(new_rs).wrapping_sub(new_rs.status.available_replicas);
    let max_scaled_down = all_count.wrapping_sub(min_available).wrapping_sub(new_unavailable);
    if max_scaled_down <= 0 {
        return Ok(false);
    }
    let Ok((old, cleaned)) = cleanup_unhealthy(cx, old.to_vec(), max_scaled_down) else { return Ok(false) };
    let Ok(scaled) = scale_down_old_for_rolling(cx, &old, new_rs) else { return Ok(false) };
    Ok(cleaned + scaled > 0)
}

/// `cleanupUnhealthyReplicas`.
fn cleanup_unhealthy(cx: &mut Ctx, mut old: Vec<ReplicaSet>, max_cleanup: i32) -> Result<(Vec<ReplicaSet>, i32), String> {
    crate::engine::sort::sort_by(&mut old, by_creation);
    let mut total = 0;
    for slot in old.iter_mut() {
        if total >= max_cleanup {
            break;
        }
        let rs = slot.clone();
        if rs_replicas(&rs) == 0 || rs_replicas(&rs) == rs.status.available_replicas {
            continue;
        }
        let n = max_cleanup.wrapping_sub(total).min(rs_replicas(&rs).wrapping_sub(rs.status.available_replicas));
        let new_count = rs_replicas(&rs).wrapping_sub(n);
        if new_count > rs_replicas(&rs) {
            return Err(format!(
                "when cleaning up unhealthy replicas, got invalid request to scale down {}/{} {} -> {}",
                rs.metadata.namespace,
                rs.metadata.name,
                rs_replicas(&rs),
                new_count
            ));
        }
        let (_, updated) = scale_replica_set(cx, &rs, new_count, false)?;
        total = total.wrapping_add(n);
        *slot = updated;
    }
    Ok((old, total))
}

/// `scaleDownOldReplicaSetsForRollingUpdate`.
fn scale_down_old_for_rolling(cx: &mut Ctx, old: &[ReplicaSet], new_rs: &ReplicaSet) -> Result<i32, String> {
    let min_available = d_replicas(&cx.d).wrapping_sub(max_unavailable(&cx.d));
    let available: i32 = old.iter().fold(new_rs.status.available_replicas, |a, r| a.wrapping_add(r.status.available_replicas));
    if available <= min_available {
        return Ok(0);
    }
    let mut olds = old.to_vec();
    crate::engine::sort::sort_by(&mut olds, by_creation);
    let mut total = 0;
    let target = available.wrapping_sub(min_available);
    for rs in olds {
        if total >= target {
            break;
        }
        if rs_replicas(&rs) == 0 {
            continue;
        }
        let n = rs_replicas(&rs).min(target.wrapping_sub(total));
        let new_count = rs_replicas(&rs).wrapping_sub(n);
        scale_replica_set(cx, &rs, new_count, false)?;
        total = total.wrapping_add(n);
    }
    Ok(total)
}

// ---------------------------------------------------------------- recreate

/// `rolloutRecreate`.
fn rollout_recreate(cx: &mut Ctx, rs_list: Vec<ReplicaSet>) -> Result<(), String> {
    let (mut new_rs, mut old) = all_and_sync_revision(cx, &rs_list, false)?;
    let mut scaled = false;
    for rs in active(&old) {
        if scale_replica_set(cx, &rs, 0, false)?.0 {
            scaled = true;
        }
    }
    if scaled {
        let (n, o) = refresh(cx.api, &old, new_rs.as_ref());
        return sync_rollout_status(cx, &o, n.as_ref());
    }
    if old_pods_running(cx.api, new_rs.as_ref(), &old) {
        return sync_rollout_status(cx, &old, new_rs.as_ref());
    }
    if new_rs.is_none() {
        let (n, o) = all_and_sync_revision(cx, &rs_list, true)?;
        new_rs = n;
        old = o;
    }
    if let Some(n) = &new_rs {
        let want = d_replicas(&cx.d);
        scale_replica_set(cx, n, want, false)?;
    }
    if deployment_complete(&cx.d, &cx.d.status.clone()) {
        cleanup(cx, &old)?;
    }
    let (n, o) = refresh(cx.api, &old, new_rs.as_ref());
    sync_rollout_status(cx, &o, n.as_ref())
}

// ---------------------------------------------------------------- progress

/// `syncRolloutStatus`: status, the Progressing condition, and a wake-up at
/// the progress deadline.
fn sync_rollout_status(cx: &mut Ctx, old: &[ReplicaSet], new_rs: Option<&ReplicaSet>) -> Result<(), String> {
    let now = cx.api.now;
    let all = all_of(old, new_rs);
    let mut st = calculate_status(&all, new_rs, &cx.d, now);
    if !has_progress_deadline(&cx.d) {
        remove_condition(&mut st, "Progressing");
    }
    let current = get_condition(&cx.d.status, "Progressing").cloned();
    let complete_already = st.replicas == st.updated_replicas && current.as_ref().is_some_and(|c| c.reason == NEW_RS_AVAILABLE);
    if has_progress_deadline(&cx.d) && !complete_already {
        let name = &cx.d.metadata.name;
        if deployment_complete(&cx.d, &st) {
            let msg = match new_rs {
                Some(n) => format!("ReplicaSet {:?} has successfully progressed.", n.metadata.name),
                None => format!("Deployment {name:?} has successfully progressed."),
            };
            set_condition(&mut st, new_condition("Progressing", "True", NEW_RS_AVAILABLE, &msg, now));
        } else if deployment_progressing(&cx.d, &st) {
            let msg = match new_rs {
                Some(n) => format!("ReplicaSet {:?} is progressing.", n.metadata.name),
                None => format!("Deployment {name:?} is progressing."),
            };
            let mut c = new_condition("Progressing", "True", REPLICA_SET_UPDATED, &msg, now);
            if let Some(cur) = &current {
                if cur.status == "True" {
                    c.last_transition_time = cur.last_transition_time;
                }
                remove_condition(&mut st, "Progressing");
            }
            set_condition(&mut st, c);
        } else if deployment_timed_out(&cx.d, &st, now) {
            let msg = match new_rs {
                Some(n) => format!("ReplicaSet {:?} has timed out progressing.", n.metadata.name),
                None => format!("Deployment {name:?} has timed out progressing."),
            };
            set_condition(&mut st, new_condition("Progressing", "False", TIMED_OUT, &msg, now));
        }
    }
    // getReplicaFailures: the new ReplicaSet's first, else any
    let failures: Vec<DeploymentCondition> = {
        let from = |rs: &ReplicaSet| {
            rs.status
                .conditions
                .iter()
                .filter(|c| c.type_ == "ReplicaFailure")
                .map(|c| DeploymentCondition {
                    type_: c.type_.clone(),
                    status: c.status.clone(),
                    last_update_time: c.last_transition_time,
                    last_transition_time: c.last_transition_time,
                    reason: c.reason.clone(),
                    message: c.message.clone(),
                })
                .collect::<Vec<_>>()
        };
        let mut f = new_rs.map(from).unwrap_or_default();
        if f.is_empty() {
            f = all.iter().flat_map(|r| from(r)).collect();
        }
        f
    };
    match failures.into_iter().next() {
        Some(c) => set_condition(&mut st, c),
        None => remove_condition(&mut st, "ReplicaFailure"),
    }
    if st == cx.d.status {
        requeue_stuck(cx, &st);
        return Ok(());
    }
    cx.d.status = st;
    cx.write_status()
}

/// `requeueStuckDeployment`: wake up when the progress deadline passes.
fn requeue_stuck(cx: &mut Ctx, st: &DeploymentStatus) {
    let Some(cur) = get_condition(&cx.d.status, "Progressing") else { return };
    if !has_progress_deadline(&cx.d) || deployment_complete(&cx.d, st) || cur.reason == TIMED_OUT {
        return;
    }
    let deadline = cur.last_update_time.unwrap_or_default().0 + cx.d.spec.progress_deadline_seconds.unwrap_or(0) as i64 * SECOND;
    let after = deadline - cx.api.now.0;
    *cx.wake = Some(if after < SECOND {
        // enqueueRateLimited
        cx.api.now.plus(SECOND)
    } else {
        Time(deadline + SECOND)
    });
}

// ---------------------------------------------------------------- invariants

/// Invariants that hold whenever the controllers have caught up: each
/// ReplicaSet a Deployment controls carries the pod-template-hash of its
/// name; a RollingUpdate never sizes its ReplicaSets beyond
/// replicas + maxSurge (or the maximum they were sized for before a
/// change of either); a Recreate Deployment never starts pods of its new
/// template while pods of an old one still exist, terminating or not.
pub fn check_invariants(api: &Api) -> Result<(), String> {
    for d in api.store.list_t::<Deployment>() {
        let rss: Vec<&ReplicaSet> = api
            .store
            .dependents(&d.metadata.uid)
            .filter(|r| r.kind == Kind::ReplicaSet)
            .filter_map(|r| api.store.get_ref(r).and_then(|o| ReplicaSet::from_object(o)))
            .filter(|rs| rs.metadata.controller_ref().is_some_and(|c| c.uid == d.metadata.uid))
            .collect();
        for rs in &rss {
            if let Some(h) = rs.metadata.label(POD_TEMPLATE_HASH_LABEL) {
                if !rs.metadata.name.ends_with(&format!("-{h}")) {
                    return Err(format!("ReplicaSet {} has pod-template-hash {h} that its name does not end with", rs.key()));
                }
                if rs.spec.selector.as_ref().and_then(|s| s.match_labels.get(POD_TEMPLATE_HASH_LABEL)).map(|s| s.as_str()) != Some(h) {
                    return Err(format!("ReplicaSet {} does not select its pod-template-hash", rs.key()));
                }
            }
        }
        if d.metadata.is_deleting() || d.spec.paused {
            continue;
        }
        if is_rolling(d) {
            let total: i32 = rss.iter().fold(0i32, |a, r| a.wrapping_add(rs_replicas(r)));
            let max = d_replicas(d).wrapping_add(max_surge(d));
            // a scale-down mid-rollout is proportional: allow the pre-scale maximum too
            let pre = rss.iter().filter_map(|r| annotation_i32(r, MAX_REPLICAS_ANNOTATION)).max().unwrap_or(max);
            if total > max.max(pre) {
                return Err(format!("Deployment {} sizes its ReplicaSets to {total}, more than {max}", d.key()));
            }
        } else if d.spec.strategy.type_ == "Recreate" {
            let pods_of = |rs: &ReplicaSet| -> Vec<&Pod> {
                api.store
                    .dependents_of_kind(&rs.metadata.uid, Kind::Pod)
                    .filter_map(|r| api.store.get_ref(r).and_then(|o| Pod::from_object(o)))
                    .filter(|p| p.metadata.controller_ref().is_some_and(|c| c.uid == rs.metadata.uid))
                    .filter(|p| !is_pod_terminal(p))
                    .collect()
            };
            let new_pods: Vec<&Pod> = rss.iter().filter(|r| equal_ignore_hash(&r.spec.template, &d.spec.template)).flat_map(|r| pods_of(r)).collect();
            let old_pods: Vec<&Pod> = rss.iter().filter(|r| !equal_ignore_hash(&r.spec.template, &d.spec.template)).flat_map(|r| pods_of(r)).collect();
            // New pods only start once the old ones are gone. (Pods that
            // were started before an old pod began terminating, as when a
            // RollingUpdate is switched to Recreate mid-rollout, are not a
            // violation.)
            for o in &old_pods {
                let began = o
                    .metadata
                    .deletion_timestamp
                    .map(|t| t.0.saturating_sub(crate::engine::time::seconds(o.metadata.deletion_grace_period_seconds.unwrap_or(0))));
                for n in &new_pods {
                    let created = n.metadata.creation_timestamp.map(|t| t.0).unwrap_or(0);
                    if began.is_none_or(|b| created >= b) {
                        return Err(format!(
                            "Recreate Deployment {} runs new pod {} while old pod {} is still there",
                            d.key(),
                            n.metadata.name,
                            o.metadata.name
                        ));
                    }
                }
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
        Harness::new(vec![Box::new(DeploymentController::default()), Box::new(ReplicaSetController::default())])
    }

    fn deployment(name: &str, replicas: i32, image: &str) -> Deployment {
        Deployment {
            metadata: ObjectMeta::named("default", name),
            spec: DeploymentSpec { replicas: Some(replicas), selector: selector(name), template: template(name, image), ..Default::default() },
            ..Default::default()
        }
    }

    fn get(h: &Harness, name: &str) -> Deployment {
        h.api.get_t::<Deployment>("default", name).unwrap().clone()
    }

    fn rss(h: &Harness) -> Vec<ReplicaSet> {
        let mut v: Vec<ReplicaSet> = h.api.store.list_ns_t::<ReplicaSet>("default").cloned().collect();
        crate::engine::sort::sort_by(&mut v, by_creation);
        v
    }

    /// Marks every live pod ready until nothing new appears.
    fn all_ready(h: &mut Harness) {
        loop {
            let todo: Vec<String> = h.pods("default").into_iter().filter(|p| !p.metadata.is_deleting() && !is_pod_ready(p)).map(|p| p.metadata.name).collect();
            if todo.is_empty() {
                return;
            }
            for n in todo {
                h.ready("default", &n);
                check_invariants(&h.api).unwrap();
            }
        }
    }

    fn scaling_events(h: &Harness, name: &str) -> Vec<String> {
        h.events(Kind::Deployment, "default", name).into_iter().filter(|(r, _)| r == "ScalingReplicaSet").map(|(_, m)| m).collect()
    }

    fn set_image(h: &mut Harness, name: &str, image: &str) {
        let mut d = get(h, name);
        d.spec.template.spec.containers[0].image = image.into();
        h.update(Object::Deployment(d));
    }

    #[test]
    fn creates_a_hashed_replica_set_and_reports_progress() {
        let mut h = harness();
        h.create(Object::Deployment(deployment("web", 3, "nginx:1.25")));
        let rs = rss(&h);
        assert_eq!(rs.len(), 1);
        let rs = &rs[0];
        let hash = rs.metadata.labels[POD_TEMPLATE_HASH_LABEL].clone();
        assert_eq!(rs.metadata.name, format!("web-{hash}"));
        assert_eq!(rs.spec.selector.as_ref().unwrap().match_labels[POD_TEMPLATE_HASH_LABEL], hash);
        assert_eq!(rs.spec.template.metadata.labels[POD_TEMPLATE_HASH_LABEL], hash);
        assert_eq!(rs.metadata.annotations[REVISION_ANNOTATION], "1");
        assert_eq!(rs.metadata.annotations[DESIRED_REPLICAS_ANNOTATION], "3");
        assert_eq!(rs.metadata.annotations[MAX_REPLICAS_ANNOTATION], "4");
        assert_eq!(rs.metadata.controller_ref().unwrap().kind, "Deployment");
        let pods = h.pods("default");
        assert_eq!(pods.len(), 3);
        assert!(pods.iter().all(|p| p.metadata.name.starts_with(&format!("web-{hash}-")) && p.metadata.labels[POD_TEMPLATE_HASH_LABEL] == hash));
        assert_eq!(scaling_events(&h, "web"), [format!("Scaled up replica set web-{hash} from 0 to 3")]);
        let d = get(&h, "web");
        assert_eq!(d.metadata.annotations[REVISION_ANNOTATION], "1");
        let p = get_condition(&d.status, "Progressing").unwrap();
        assert_eq!((p.status.as_str(), p.reason.as_str()), ("True", REPLICA_SET_UPDATED));
        assert_eq!(p.message, format!("ReplicaSet \"web-{hash}\" is progressing."));
        let a = get_condition(&d.status, "Available").unwrap();
        assert_eq!((a.status.as_str(), a.reason.as_str(), a.message.as_str()), ("False", MIN_UNAVAILABLE, "Deployment does not have minimum availability."));
        all_ready(&mut h);
        let d = get(&h, "web");
        assert_eq!(
            (d.status.replicas, d.status.updated_replicas, d.status.ready_replicas, d.status.available_replicas, d.status.unavailable_replicas),
            (3, 3, 3, 3, 0)
        );
        assert_eq!(d.status.terminating_replicas, Some(0));
        let p = get_condition(&d.status, "Progressing").unwrap();
        assert_eq!((p.reason.as_str(), p.message.clone()), (NEW_RS_AVAILABLE, format!("ReplicaSet \"web-{hash}\" has successfully progressed.")));
        assert_eq!(get_condition(&d.status, "Available").unwrap().reason, MIN_AVAILABLE);
        assert_eq!(d.status.observed_generation, d.metadata.generation);
    }

    #[test]
    fn rolling_update_respects_surge_and_unavailability() {
        let mut h = harness();
        h.create(Object::Deployment(deployment("web", 4, "nginx:1.25")));
        all_ready(&mut h);
        let old = rss(&h)[0].metadata.name.clone();
        set_image(&mut h, "web", "nginx:1.26");
        let rs = rss(&h);
        assert_eq!(rs.len(), 2);
        let new = rs.iter().find(|r| r.metadata.name != old).unwrap().metadata.name.clone();
        // 25% of 4: one extra pod, one unavailable
        assert_eq!(scaling_events(&h, "web")[1..3], [format!("Scaled up replica set {new} from 0 to 1"), format!("Scaled down replica set {old} from 4 to 3")]);
        assert_eq!(rs_replicas(h.api.get_t::<ReplicaSet>("default", &new).unwrap()), 2);
        loop {
            let live = h.pods("default").into_iter().filter(|p| !p.metadata.is_deleting()).count();
            assert!(live <= 5, "never more than replicas + maxSurge pods");
            let todo: Vec<String> = h.pods("default").into_iter().filter(|p| !p.metadata.is_deleting() && !is_pod_ready(p)).map(|p| p.metadata.name).collect();
            if todo.is_empty() {
                break;
            }
            h.ready("default", &todo[0]);
            let available: i32 = rss(&h).iter().map(|r| r.status.available_replicas).sum();
            assert!(available >= 3, "never fewer than replicas - maxUnavailable available");
        }
        let d = get(&h, "web");
        assert_eq!((d.status.replicas, d.status.updated_replicas, d.status.available_replicas), (4, 4, 4));
        assert_eq!(d.metadata.annotations[REVISION_ANNOTATION], "2");
        assert_eq!(rs_replicas(h.api.get_t::<ReplicaSet>("default", &old).unwrap()), 0);
        assert_eq!(get_condition(&d.status, "Progressing").unwrap().reason, NEW_RS_AVAILABLE);
    }

    #[test]
    fn recreate_waits_for_old_pods_to_be_gone() {
        let mut h = harness();
        let mut d = deployment("db", 1, "postgres:14");
        d.spec.strategy.type_ = "Recreate".into();
        h.create(Object::Deployment(d));
        let old_pod = h.pod_names("default")[0].clone();
        h.bind("default", &old_pod, "node-a");
        all_ready(&mut h);
        set_image(&mut h, "db", "postgres:15");
        // the old ReplicaSet is scaled to zero; its pod terminates, no new one yet
        assert!(h.pod("default", &old_pod).unwrap().metadata.is_deleting());
        assert_eq!(rss(&h).len(), 1, "the new ReplicaSet is only created once the old pods are gone");
        check_invariants(&h.api).unwrap();
        h.finish_deletion("default", &old_pod);
        let rs = rss(&h);
        assert_eq!(rs.len(), 2);
        let pods = h.pod_names("default");
        assert_eq!(pods.len(), 1);
        assert_ne!(pods[0], old_pod);
        let ev = scaling_events(&h, "db");
        assert!(ev[1].starts_with("Scaled down replica set db-") && ev[1].ends_with("from 1 to 0"), "{ev:?}");
        assert!(ev[2].starts_with("Scaled up replica set db-") && ev[2].ends_with("from 0 to 1"), "{ev:?}");
        check_invariants(&h.api).unwrap();
    }

    #[test]
    fn rollback_by_template_reuses_the_old_replica_set() {
        let mut h = harness();
        h.create(Object::Deployment(deployment("web", 2, "nginx:1.25")));
        all_ready(&mut h);
        let first = rss(&h)[0].metadata.name.clone();
        set_image(&mut h, "web", "nginx:1.26");
        all_ready(&mut h);
        // kubectl rollout undo: the old ReplicaSet's template, without the hash label
        let mut d = get(&h, "web");
        let mut t = h.api.get_t::<ReplicaSet>("default", &first).unwrap().spec.template.clone();
        t.metadata.labels.remove(POD_TEMPLATE_HASH_LABEL);
        d.spec.template = t;
        h.update(Object::Deployment(d));
        all_ready(&mut h);
        let rs = rss(&h);
        assert_eq!(rs.len(), 2, "no third ReplicaSet");
        let back = h.api.get_t::<ReplicaSet>("default", &first).unwrap();
        assert_eq!(rs_replicas(back), 2);
        assert_eq!(back.metadata.annotations[REVISION_ANNOTATION], "3");
        assert_eq!(back.metadata.annotations[REVISION_HISTORY_ANNOTATION], "1");
        assert_eq!(get(&h, "web").metadata.annotations[REVISION_ANNOTATION], "3");
    }

    #[test]
    fn paused_deployments_do_not_roll_out() {
        let mut h = harness();
        h.create(Object::Deployment(deployment("web", 2, "nginx:1.25")));
        all_ready(&mut h);
        let mut d = get(&h, "web");
        d.spec.paused = true;
        h.update(Object::Deployment(d));
        let c = get_condition(&get(&h, "web").status, "Progressing").unwrap().clone();
        assert_eq!((c.status.as_str(), c.reason.as_str(), c.message.as_str()), ("Unknown", PAUSED, "Deployment is paused"));
        set_image(&mut h, "web", "nginx:1.26");
        assert_eq!(rss(&h).len(), 1);
        // scaling still works while paused
        let mut d = get(&h, "web");
        d.spec.replicas = Some(3);
        h.update(Object::Deployment(d));
        assert_eq!(rs_replicas(&rss(&h)[0]), 3);
        let mut d = get(&h, "web");
        d.spec.paused = false;
        h.update(Object::Deployment(d));
        assert_eq!(rss(&h).len(), 2);
        assert!(h.events(Kind::Deployment, "default", "web").iter().any(|(_, m)| m.contains("from 0 to 1")));
    }

    #[test]
    fn progress_deadline_is_reported() {
        let mut h = harness();
        let mut d = deployment("web", 1, "nginx:does-not-exist");
        d.spec.progress_deadline_seconds = Some(30);
        h.create(Object::Deployment(d));
        let rs = rss(&h)[0].metadata.name.clone();
        h.advance(29 * SECOND);
        assert_eq!(get_condition(&get(&h, "web").status, "Progressing").unwrap().status, "True");
        h.advance(3 * SECOND);
        let d = get(&h, "web");
        let c = get_condition(&d.status, "Progressing").unwrap();
        assert_eq!((c.status.as_str(), c.reason.as_str()), ("False", TIMED_OUT));
        assert_eq!(c.message, format!("ReplicaSet \"{rs}\" has timed out progressing."));
    }

    #[test]
    fn old_replica_sets_beyond_the_history_limit_are_deleted() {
        let mut h = harness();
        let mut d = deployment("web", 1, "nginx:1");
        d.spec.revision_history_limit = Some(1);
        h.create(Object::Deployment(d));
        all_ready(&mut h);
        for v in 2..=4 {
            set_image(&mut h, "web", &format!("nginx:{v}"));
            all_ready(&mut h);
        }
        let rs = rss(&h);
        assert_eq!(rs.len(), 2, "{:?}", rs.iter().map(|r| &r.metadata.name).collect::<Vec<_>>());
        let mut revs: Vec<_> = rs.iter().map(|r| r.metadata.annotations[REVISION_ANNOTATION].clone()).collect();
        crate::engine::sort::sort(&mut revs);
        assert_eq!(revs, ["3", "4"]);
    }

    #[test]
    fn scaling_mid_rollout_is_proportional() {
        let mut h = harness();
        let mut d = deployment("web", 10, "nginx:1");
        d.spec.strategy.rolling_update = Some(RollingUpdateDeployment { max_surge: Some(IntOrString::Int(3)), max_unavailable: Some(IntOrString::Int(2)) });
        h.create(Object::Deployment(d));
        all_ready(&mut h);
        set_image(&mut h, "web", "nginx:2");
        // new RS at 3 (surge), old at 8 (two unavailable)
        let sizes: Vec<i32> = rss(&h).iter().map(rs_replicas).collect();
        assert_eq!(sizes, [8, 5]);
        let mut d = get(&h, "web");
        d.spec.replicas = Some(20);
        h.update(Object::Deployment(d));
        let sizes: Vec<i32> = rss(&h).iter().map(rs_replicas).collect();
        // 23 allowed, 13 present: +10 split by size (8 of 13, 5 of 13)
        assert_eq!(sizes.iter().sum::<i32>(), 23);
        assert_eq!(sizes, [14, 9]);
    }

    #[test]
    fn fenceposts_round_as_kubernetes_does() {
        let p = |s: &str| Some(IntOrString::Str(s.into()));
        assert_eq!(resolve_fenceposts(p("25%").as_ref(), p("25%").as_ref(), 1).unwrap(), (1, 0));
        assert_eq!(resolve_fenceposts(p("25%").as_ref(), p("25%").as_ref(), 10).unwrap(), (3, 2));
        assert_eq!(resolve_fenceposts(Some(&IntOrString::Int(0)), Some(&IntOrString::Int(0)), 5).unwrap(), (0, 1));
    }

    #[test]
    fn invariants_catch_recreate_overlap_and_oversized_rollouts() {
        let mut h = harness();
        let mut d = deployment("db", 1, "postgres:14");
        d.spec.strategy.type_ = "Recreate".into();
        h.create(Object::Deployment(d));
        all_ready(&mut h);
        check_invariants(&h.api).unwrap();
        // an old ReplicaSet that still has a running pod, next to new pods
        let old = rss(&h)[0].clone();
        let mut d = get(&h, "db");
        d.spec.template.spec.containers[0].image = "postgres:15".into();
        h.api.update(Object::Deployment(d)).unwrap();
        let mut t = get(&h, "db").spec.template.clone();
        t.metadata.labels.insert(POD_TEMPLATE_HASH_LABEL.into(), "abc".into());
        let mut sel = get(&h, "db").spec.selector.clone().unwrap();
        sel.match_labels.insert(POD_TEMPLATE_HASH_LABEL.into(), "abc".into());
        let d_meta = get(&h, "db").metadata;
        let rs = ReplicaSet {
            metadata: ObjectMeta {
                name: "db-abc".into(),
                namespace: "default".into(),
                labels: t.metadata.labels.clone(),
                owner_references: vec![new_controller_ref(&d_meta, Kind::Deployment)],
                ..Default::default()
            },
            spec: ReplicaSetSpec { replicas: Some(1), selector: Some(sel), template: t.clone(), ..Default::default() },
            ..Default::default()
        };
        let rs = h.api.create(Object::ReplicaSet(rs)).unwrap().object;
        let mut p = pod_from_template(&t, "db-abc", new_controller_ref(rs.meta(), Kind::ReplicaSet));
        p.metadata.namespace = "default".into();
        h.api.create(Object::Pod(p)).unwrap();
        assert!(!old.metadata.name.is_empty());
        let e = check_invariants(&h.api).unwrap_err();
        assert!(e.contains("runs new pod"), "{e}");
    }
}
