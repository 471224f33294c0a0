//! recreate.go: the Recreate strategy.

use super::*;

/// `rolloutRecreate`.
pub(super) fn rollout_recreate(cx: &mut Ctx, rs_list: Vec<ReplicaSet>) -> Result<(), String> {
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
