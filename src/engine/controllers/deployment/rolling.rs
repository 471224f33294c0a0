//! rolling.go: the RollingUpdate strategy.

use super::*;

/// `rolloutRolling`.
pub(super) fn rollout_rolling(cx: &mut Ctx, rs_list: Vec<ReplicaSet>) -> Result<(), String> {
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
pub(super) fn reconcile_new_rs(cx: &mut Ctx, old: &[ReplicaSet], new_rs: &ReplicaSet) -> Result<bool, String> {
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
pub(super) fn reconcile_old_rss(cx: &mut Ctx, all_old: &[ReplicaSet], old: &[ReplicaSet], new_rs: &ReplicaSet) -> Result<bool, String> {
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
pub(super) fn cleanup_unhealthy(cx: &mut Ctx, mut old: Vec<ReplicaSet>, max_cleanup: i32) -> Result<(Vec<ReplicaSet>, i32), String> {
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
pub(super) fn scale_down_old_for_rolling(cx: &mut Ctx, old: &[ReplicaSet], new_rs: &ReplicaSet) -> Result<i32, String> {
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
