//! progress.go: the Progressing condition and the progress deadline.

use super::*;

/// `syncRolloutStatus`: status, the Progressing condition, and a wake-up at
/// the progress deadline.
pub(super) fn sync_rollout_status(cx: &mut Ctx, old: &[ReplicaSet], new_rs: Option<&ReplicaSet>) -> Result<(), String> {
    let now = cx.api.now;
    let all = all_of(old, new_rs);
    let mut st = calculate_status(&all, new_rs, &cx.d, now);
    if !has_progress_deadline(&cx.d) {
        remove_deployment_condition(&mut st, &ConditionType::Progressing);
    }
    let current = get_deployment_condition(&cx.d.status, &ConditionType::Progressing).cloned();
    let complete_already = st.replicas == st.updated_replicas && current.as_ref().is_some_and(|c| c.reason == NEW_RS_AVAILABLE);
    if has_progress_deadline(&cx.d) && !complete_already {
        let name = &cx.d.metadata.name;
        if deployment_complete(&cx.d, &st) {
            let msg = match new_rs {
                Some(n) => format!("ReplicaSet {:?} has successfully progressed.", n.metadata.name),
                None => format!("Deployment {name:?} has successfully progressed."),
            };
            set_deployment_condition(&mut st, new_condition(ConditionType::Progressing, ConditionStatus::True, NEW_RS_AVAILABLE, &msg, now));
        } else if deployment_progressing(&cx.d, &st) {
            let msg = match new_rs {
                Some(n) => format!("ReplicaSet {:?} is progressing.", n.metadata.name),
                None => format!("Deployment {name:?} is progressing."),
            };
            let mut c = new_condition(ConditionType::Progressing, ConditionStatus::True, REPLICA_SET_UPDATED, &msg, now);
            if let Some(cur) = &current {
                if cur.status == ConditionStatus::True {
                    c.last_transition_time = cur.last_transition_time;
                }
                remove_deployment_condition(&mut st, &ConditionType::Progressing);
            }
            set_deployment_condition(&mut st, c);
        } else if deployment_timed_out(&cx.d, &st, now) {
            let msg = match new_rs {
                Some(n) => format!("ReplicaSet {:?} has timed out progressing.", n.metadata.name),
                None => format!("Deployment {name:?} has timed out progressing."),
            };
            set_deployment_condition(&mut st, new_condition(ConditionType::Progressing, ConditionStatus::False, TIMED_OUT, &msg, now));
        }
    }
    // getReplicaFailures: the new ReplicaSet's first, else any
    let failures: Vec<DeploymentCondition> = {
        let from = |rs: &ReplicaSet| {
            rs.status
                .conditions
                .iter()
                .filter(|c| c.type_ == ConditionType::ReplicaFailure)
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
        Some(c) => set_deployment_condition(&mut st, c),
        None => remove_deployment_condition(&mut st, &ConditionType::ReplicaFailure),
    }
    if st == cx.d.status {
        requeue_stuck(cx, &st);
        return Ok(());
    }
    cx.d.status = st;
    cx.write_status()
}

/// `requeueStuckDeployment`: wake up when the progress deadline passes.
pub(super) fn requeue_stuck(cx: &mut Ctx, st: &DeploymentStatus) {
    let Some(cur) = get_deployment_condition(&cx.d.status, &ConditionType::Progressing) else { return };
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
