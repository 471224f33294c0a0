//! Helpers on Deployments and their ReplicaSets
//! (pkg/controller/deployment/util/deployment_util.go).

use super::*;

pub(super) fn d_replicas(d: &Deployment) -> i32 {
    d.spec.replicas.unwrap_or(1)
}

pub(super) fn rs_replicas(rs: &ReplicaSet) -> i32 {
    rs.spec.replicas.unwrap_or(1)
}

pub(super) fn is_rolling(d: &Deployment) -> bool {
    d.spec.strategy.type_ == DeploymentStrategyType::RollingUpdate
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

pub(super) fn has_progress_deadline(d: &Deployment) -> bool {
    d.spec.progress_deadline_seconds.is_some_and(|s| s != i32::MAX)
}

pub(super) fn has_revision_history_limit(d: &Deployment) -> bool {
    d.spec.revision_history_limit.is_some_and(|s| s != i32::MAX)
}

/// `deploymentutil.Revision`: 0 when unset.
pub fn revision(meta: &ObjectMeta) -> Result<i64, String> {
    match meta.annotation(REVISION_ANNOTATION) {
        None => Ok(0),
        Some(v) => v.parse::<i64>().map_err(|e| format!("strconv.ParseInt: parsing {v:?}: {e}")),
    }
}

pub(super) fn max_revision(rss: &[ReplicaSet]) -> i64 {
    rss.iter().filter_map(|r| revision(&r.metadata).ok()).max().unwrap_or(0).max(0)
}

/// `LastRevision`: the second highest revision.
pub(super) fn last_revision(rss: &[ReplicaSet]) -> i64 {
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

pub(super) fn secs(t: Option<Time>) -> i64 {
    t.map(|t| t.0.div_euclid(1000)).unwrap_or(i64::MIN)
}

/// `ReplicaSetsByCreationTimestamp`.
pub(super) fn by_creation(a: &ReplicaSet, b: &ReplicaSet) -> std::cmp::Ordering {
    secs(a.metadata.creation_timestamp).cmp(&secs(b.metadata.creation_timestamp)).then_with(|| a.metadata.name.cmp(&b.metadata.name))
}

/// `NewDeploymentCondition`.
pub fn new_condition(type_: ConditionType, status: ConditionStatus, reason: &str, message: &str, now: Time) -> DeploymentCondition {
    DeploymentCondition { type_, status, last_update_time: Some(now), last_transition_time: Some(now), reason: reason.into(), message: message.into() }
}

/// `SetDeploymentCondition`: same status and reason is no change; same
/// status keeps the transition time (the shared helper's rule).
pub fn set_deployment_condition(st: &mut DeploymentStatus, c: DeploymentCondition) {
    set_condition_last(&mut st.conditions, c);
}

/// `RemoveDeploymentCondition`.
pub(super) fn remove_deployment_condition(st: &mut DeploymentStatus, type_: &ConditionType) {
    crate::engine::api::remove_condition(&mut st.conditions, type_);
}

/// `GetDeploymentCondition`.
pub(super) fn get_deployment_condition<'a>(st: &'a DeploymentStatus, type_: &ConditionType) -> Option<&'a DeploymentCondition> {
    crate::engine::api::get_condition(&st.conditions, type_)
}

pub(super) fn set_deployment_revision(d: &mut Deployment, rev: &str) -> bool {
    if d.metadata.annotation(REVISION_ANNOTATION) != Some(rev) {
        d.metadata.annotations.insert(REVISION_ANNOTATION.into(), rev.into());
        return true;
    }
    false
}

pub(super) fn skip_copy_annotation(k: &str) -> bool {
    matches!(
        k,
        LAST_APPLIED | REVISION_ANNOTATION | REVISION_HISTORY_ANNOTATION | DESIRED_REPLICAS_ANNOTATION | MAX_REPLICAS_ANNOTATION | DEPRECATED_ROLLBACK_TO
    )
}

pub(super) fn copy_deployment_annotations(d: &Deployment, rs: &mut ReplicaSet) -> bool {
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

pub(super) fn set_replicas_annotations(rs: &mut ReplicaSet, desired: i32, max: i32) -> bool {
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

pub(super) fn replicas_annotations_need_update(rs: &ReplicaSet, desired: i32, max: i32) -> bool {
    rs.metadata.annotations.get(DESIRED_REPLICAS_ANNOTATION) != Some(&desired.to_string())
        || rs.metadata.annotations.get(MAX_REPLICAS_ANNOTATION) != Some(&max.to_string())
}

pub(super) fn annotation_i32(rs: &ReplicaSet, key: &str) -> Option<i32> {
    rs.metadata.annotation(key).and_then(|v| v.parse::<u32>().ok()).filter(|v| *v <= i32::MAX as u32).map(|v| v as i32)
}

/// `SetNewReplicaSetAnnotations`.
pub(super) fn set_new_rs_annotations(d: &Deployment, rs: &mut ReplicaSet, new_revision: &str, exists: bool) -> bool {
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
pub(super) fn sum<F: Fn(&ReplicaSet) -> i32>(rss: &[&ReplicaSet], f: F) -> i32 {
    rss.iter().fold(0i32, |a, r| a.wrapping_add(f(r)))
}

pub(super) fn active(rss: &[ReplicaSet]) -> Vec<ReplicaSet> {
    rss.iter().filter(|r| rs_replicas(r) > 0).cloned().collect()
}

/// `DeploymentComplete`.
pub(super) fn deployment_complete(d: &Deployment, st: &DeploymentStatus) -> bool {
    let r = d_replicas(d);
    st.updated_replicas == r && st.replicas == r && st.available_replicas == r && st.observed_generation >= d.metadata.generation
}

/// `DeploymentProgressing`.
pub(super) fn deployment_progressing(d: &Deployment, st: &DeploymentStatus) -> bool {
    let old = &d.status;
    st.updated_replicas > old.updated_replicas
        || st.replicas.wrapping_sub(st.updated_replicas) < old.replicas.wrapping_sub(old.updated_replicas)
        || st.ready_replicas > old.ready_replicas
        || st.available_replicas > old.available_replicas
}

/// `DeploymentTimedOut`.
pub(super) fn deployment_timed_out(d: &Deployment, st: &DeploymentStatus, now: Time) -> bool {
    if !has_progress_deadline(d) {
        return false;
    }
    let Some(c) = get_deployment_condition(st, &ConditionType::Progressing) else { return false };
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
pub(super) fn new_rs_new_replicas(d: &Deployment, all: &[&ReplicaSet], new_rs: &ReplicaSet) -> Result<i32, String> {
    match &d.spec.strategy.type_ {
        DeploymentStrategyType::RollingUpdate => {
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
        DeploymentStrategyType::Recreate => Ok(d_replicas(d)),
        t => Err(format!("deployment type {t} isn't supported")),
    }
}

/// `IsSaturated`.
pub(super) fn is_saturated(d: &Deployment, rs: Option<&ReplicaSet>) -> bool {
    let Some(rs) = rs else { return false };
    let Some(desired) = rs.metadata.annotation(DESIRED_REPLICAS_ANNOTATION).and_then(|v| v.parse::<i32>().ok()) else { return false };
    rs_replicas(rs) == d_replicas(d) && desired == d_replicas(d) && rs.status.available_replicas == d_replicas(d)
}

/// `GetReplicaSetProportion`.
pub(super) fn rs_proportion(rs: &ReplicaSet, d: &Deployment, to_add: i32, added: i32) -> i32 {
    if rs_replicas(rs) == 0 || to_add == 0 || to_add == added {
        return 0;
    }
    let fraction = rs_fraction(rs, d);
    let allowed = to_add.wrapping_sub(added);
    if to_add > 0 { fraction.min(allowed) } else { fraction.max(allowed) }
}

pub(super) fn rs_fraction(rs: &ReplicaSet, d: &Deployment) -> i32 {
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
