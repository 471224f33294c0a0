//! The StatefulSet update algorithm (stateful_set_control.go): revisions,
//! then replicas in ordinal order (OrderedReady waits for each to be
//! Running and Ready, and available), condemned pods from the highest
//! ordinal down, then the rolling update from the highest ordinal down to
//! the partition; status and history truncation.

use super::pod_control::*;
use super::utils::*;
use crate::engine::api::*;
use crate::engine::apiserver::{Api, Reason};
use crate::engine::controllers::controller_utils::{adopt, aggregate, slow_start_batch};
use crate::engine::controllers::history::{equal_revision, sort_revisions};
use crate::engine::time::Time;

use std::rc::Rc;

/// The pod inside a store object (every object handled here is a pod).
pub fn pod(o: &Rc<Object>) -> &Pod {
    match &**o {
        Object::Pod(p) => p,
        _ => unreachable!("only pods are gathered"),
    }
}

/// `MaxBatchSize` of the StatefulSet's slow start.
const MAX_BATCH_SIZE: usize = 500;

/// `UpdateStatefulSet`: returns the status it computed.
pub fn update_stateful_set(
    api: &mut Api,
    set: &StatefulSet,
    pods: &[Rc<Object>],
    mut revisions: Vec<ControllerRevision>,
    now: Time,
) -> Result<StatefulSetStatus, String> {
    sort_revisions(&mut revisions);
    let (current, update, r) = perform_update(api, set, pods, &revisions, now);
    let trunc = truncate_history(api, set, pods.iter().map(|p| pod_revision(pod(p))), &revisions, current.as_ref(), update.as_ref());
    match r {
        Ok(st) => trunc.map(|_| st),
        Err(e) => Err(match trunc {
            Ok(()) => e,
            Err(t) => aggregate(vec![e, t]),
        }),
    }
}

/// `performUpdate`: the current and update revisions (when they could be
/// computed) come back whether or not the update failed, as upstream's do.
fn perform_update(
    api: &mut Api,
    set: &StatefulSet,
    pods: &[Rc<Object>],
    revisions: &[ControllerRevision],
    now: Time,
) -> (Option<ControllerRevision>, Option<ControllerRevision>, Result<StatefulSetStatus, String>) {
    let (current, update, collision) = match stateful_set_revisions(api, set, revisions) {
        Ok(r) => r,
        Err(e) => return (None, None, Err(e)),
    };
    let (status, err) = update_pods(api, set, &current, &update, collision, pods, now);
    let status_err = status.as_ref().map(|st| update_status(api, set, st.clone())).transpose().err();
    let r = match err.or(status_err) {
        Some(e) => Err(e),
        None => Ok(status.unwrap_or_default()),
    };
    (Some(current), Some(update), r)
}

/// `updateStatefulSetStatus`.
pub(super) fn update_status(api: &mut Api, set: &StatefulSet, mut st: StatefulSetStatus) -> Result<(), String> {
    complete_rolling_update(set, &mut st);
    if !inconsistent_status(set, &st) {
        return Ok(());
    }
    let mut s = set.clone();
    s.status = st;
    api.update_status(Object::StatefulSet(s)).map(|_| ()).map_err(|e| e.message)
}

/// `getStatefulSetRevisions`: the current and update revisions, creating
/// the update revision (or renumbering an equal older one: a rollback).
pub(super) fn stateful_set_revisions(
    api: &mut Api,
    set: &StatefulSet,
    revisions: &[ControllerRevision],
) -> Result<(ControllerRevision, ControllerRevision, i32), String> {
    let mut collision = set.status.collision_count.unwrap_or(0);
    let proposed = new_revision(set, next_revision(revisions), Some(collision));
    let equal: Vec<&ControllerRevision> = revisions.iter().filter(|r| equal_revision(r, &proposed)).collect();
    let update = if let (Some(last_eq), Some(last)) = (equal.last(), revisions.last()) {
        if equal_revision(last, last_eq) {
            // the newest revision already records this template
            last.clone()
        } else {
            // an older revision does: it becomes the newest
            let mut r = (*last_eq).clone();
            if r.revision != proposed.revision {
                r.revision = proposed.revision;
                let w = api.update(Object::ControllerRevision(r)).map_err(|e| e.message)?;
                ControllerRevision::from_object(&w.object).cloned().ok_or("not a ControllerRevision")?
            } else {
                r
            }
        }
    } else {
        create_revision(api, set, proposed, &mut collision)?
    };
    let current = revisions.iter().find(|r| r.metadata.name == set.status.current_revision).cloned().unwrap_or_else(|| update.clone());
    Ok((current, update, collision))
}

/// `CreateControllerRevision`: on a name taken by different data, bump the
/// collision count and rehash.
fn create_revision(api: &mut Api, set: &StatefulSet, rev: ControllerRevision, collision: &mut i32) -> Result<ControllerRevision, String> {
    loop {
        let mut r = rev.clone();
        let hash = crate::engine::controllers::history::hash_revision(&r.data, Some(*collision));
        r.metadata.name = crate::engine::controllers::history::revision_name(&set.metadata.name, &hash);
        r.metadata.labels.insert(crate::engine::controllers::history::CONTROLLER_REVISION_HASH_LABEL.into(), hash);
        match api.create(Object::ControllerRevision(r.clone())) {
            Ok(w) => return ControllerRevision::from_object(&w.object).cloned().ok_or_else(|| "not a ControllerRevision".to_string()),
            Err(e) if e.reason == Reason::AlreadyExists => {
                let existing = api.get_t::<ControllerRevision>(&set.metadata.namespace, &r.metadata.name).cloned().ok_or(e.message)?;
                if existing.data == r.data {
                    return Ok(existing);
                }
                *collision += 1;
            }
            Err(e) => return Err(e.message),
        }
    }
}

/// `computeReplicaStatus` over several lists.
fn compute_status(st: &mut StatefulSetStatus, min_ready: i32, current: &str, update: &str, now: Time, lists: &[&[Rc<Object>]]) {
    st.replicas = 0;
    st.ready_replicas = 0;
    st.available_replicas = 0;
    st.current_replicas = 0;
    st.updated_replicas = 0;
    for list in lists {
        for p in list.iter().map(pod) {
            if is_created(p) {
                st.replicas += 1;
            }
            if is_running_and_ready(p) {
                st.ready_replicas += 1;
                if is_running_and_available(p, min_ready, now) {
                    st.available_replicas += 1;
                }
            }
            if is_created(p) && !is_terminating(p) {
                let rev = pod_revision(p);
                if rev == current {
                    st.current_replicas += 1;
                }
                if rev == update {
                    st.updated_replicas += 1;
                }
            }
        }
    }
}

/// `processReplica`: returns whether to stop (OrderedReady waits).
fn process_replica(api: &mut Api, set: &StatefulSet, update_set: &StatefulSet, monotonic: bool, replica: &Rc<Object>, now: Time) -> Result<bool, String> {
    let pod = pod(replica);
    if is_failed(pod) || is_succeeded(pod) {
        // a pod that stopped for good is deleted; it is recreated on a later pass
        if !is_terminating(pod) {
            delete_stateful_pod(api, set, pod)?;
        }
        return Ok(true);
    }
    if !is_created(pod) {
        if pod_claim_is_stale(api, set, pod) {
            return Ok(true);
        }
        create_stateful_pod(api, set, pod)?;
        if monotonic {
            return Ok(true);
        }
    }
    if is_pending(pod) {
        create_claims(api, set, pod)?;
        if let Err(e) = update_claims_for_retention(api, set, pod) {
            record_pod_event(api, "update", set, pod, Some(&e));
            return Err(e);
        }
    }
    if monotonic && (is_terminating(pod) || !is_running_and_ready(pod) || !is_running_and_available(pod, set.spec.min_ready_seconds, now)) {
        return Ok(true);
    }
    let retention_match = claims_match_retention(api, update_set, pod);
    if identity_matches(set, pod) && storage_matches(set, pod) && retention_match {
        return Ok(false);
    }
    update_stateful_pod(api, update_set, pod)?;
    Ok(false)
}

/// `processCondemned`.
fn process_condemned(
    api: &mut Api,
    set: &StatefulSet,
    first_unhealthy: Option<&str>,
    monotonic: bool,
    condemned: &[Rc<Object>],
    i: usize,
    now: Time,
) -> Result<bool, String> {
    let pod = pod(&condemned[i]);
    if is_terminating(pod) {
        return Ok(monotonic);
    }
    let is_first = first_unhealthy == Some(pod.metadata.name.as_str());
    if monotonic && !is_first && (!is_running_and_ready(pod) || !is_running_and_available(pod, set.spec.min_ready_seconds, now)) {
        return Ok(true);
    }
    delete_stateful_pod(api, set, pod)?;
    Ok(true)
}

/// `runForAll`: in order and stopping early (OrderedReady), or all in
/// slow-start batches (Parallel).
fn run_for_all(n: usize, monotonic: bool, mut f: impl FnMut(usize) -> Result<bool, String>) -> Result<bool, String> {
    if monotonic {
        for i in 0..n {
            if f(i)? {
                return Ok(true);
            }
        }
        Ok(false)
    } else {
        let (_, err) = slow_start_batch(n, 1, MAX_BATCH_SIZE, |i| f(i).map(|_| ()));
        match err {
            Some(e) => Err(e),
            None => Ok(false),
        }
    }
}

/// `updateStatefulSet`: returns the status and the first error.
fn update_pods(
    api: &mut Api,
    set: &StatefulSet,
    current: &ControllerRevision,
    update: &ControllerRevision,
    collision: i32,
    pods: &[Rc<Object>],
    now: Time,
) -> (Option<StatefulSetStatus>, Option<String>) {
    let current_set = match crate::engine::controllers::history::apply_revision(set, current) {
        Ok(s) => s,
        Err(e) => return (None, Some(e)),
    };
    let update_set = match crate::engine::controllers::history::apply_revision(set, update) {
        Ok(s) => s,
        Err(e) => return (None, Some(e)),
    };
    let min_ready = set.spec.min_ready_seconds;
    let (cur_name, upd_name) = (current.metadata.name.clone(), update.metadata.name.clone());
    let mut st = StatefulSetStatus {
        observed_generation: set.metadata.generation,
        current_revision: cur_name.clone(),
        update_revision: upd_name.clone(),
        collision_count: Some(collision),
        ..Default::default()
    };
    compute_status(&mut st, min_ready, &cur_name, &upd_name, now, &[pods]);

    let start = start_ordinal(set);
    let count = replicas(set).max(0) as usize;
    // The replicas by position. Upstream fills a slice of `replicas` pods,
    // making an in-memory pod for every missing ordinal on every sync; here
    // the missing ones are made when a step looks at them, so a StatefulSet
    // of 100,000 (or 2^31-1) replicas costs what its existing pods cost,
    // with the same decisions in the same order.
    // (position, pod) sorted by position, the last of a position kept (as
    // a map's insert): a BTreeMap<usize, Rc<Object>> was the wasm's only
    // map of that layout
    let mut existing: Vec<(usize, Rc<Object>)> = vec![];
    let mut condemned: Vec<Rc<Object>> = vec![];
    for o in pods {
        let p = pod(o);
        if in_ordinal_range(p, set) {
            existing.push(((ordinal(p) - start) as usize, o.clone()));
        } else if ordinal(p) >= 0 {
            condemned.push(o.clone());
        }
    }
    crate::engine::sort::sort_by_key(&mut existing, |e| e.0);
    existing.dedup_by(|later, kept| {
        let same = later.0 == kept.0;
        if same {
            std::mem::swap(later, kept);
        }
        same
    });
    let at = |i: usize| existing.binary_search_by_key(&i, |e| e.0).ok().map(|j| &existing[j].1);
    let replica = |i: usize| -> Rc<Object> {
        at(i).cloned().unwrap_or_else(|| Rc::new(Object::Pod(new_versioned_pod(&current_set, &update_set, &cur_name, &upd_name, start + i as i64))))
    };
    let existing_list: Vec<Rc<Object>> = existing.iter().map(|e| e.1.clone()).collect();
    crate::engine::sort::sort_by_key(&mut condemned, |p| std::cmp::Reverse(ordinal(pod(p))));

    let mut first_unavailable: Option<String> = None;
    for i in 0..count {
        match at(i) {
            Some(o) if !is_unavailable(pod(o), min_ready, now) => continue,
            // a missing replica is unavailable
            _ => {
                first_unavailable = Some(pod(&replica(i)).metadata.name.clone());
                break;
            }
        }
    }
    if first_unavailable.is_none() {
        first_unavailable = condemned.iter().rev().map(pod).find(|p| is_unavailable(p, min_ready, now)).map(|p| p.metadata.name.clone());
    }
    if set.metadata.is_deleting() {
        return (Some(st), None);
    }
    let monotonic = !allows_burst(set);

    let finish = |st: &mut StatefulSetStatus| {
        // Replicas made in memory are not created: only existing pods count.
        compute_status(st, min_ready, &cur_name, &upd_name, now, &[&existing_list, &condemned]);
    };

    match run_for_all(count, monotonic, |i| process_replica(api, set, &update_set, monotonic, &replica(i), now)) {
        Ok(false) => {}
        Ok(true) => {
            finish(&mut st);
            return (Some(st), None);
        }
        Err(e) => {
            finish(&mut st);
            return (Some(st), Some(e));
        }
    }
    // claims of condemned pods get their owner references before the pods go
    let fix = run_for_all(condemned.len(), monotonic, |i| {
        if !claims_match_retention(api, &update_set, pod(&condemned[i])) {
            update_claims_for_retention(api, &update_set, pod(&condemned[i]))?;
        }
        Ok(false)
    });
    match fix {
        Ok(false) => {}
        Ok(true) => {
            finish(&mut st);
            return (Some(st), None);
        }
        Err(e) => {
            finish(&mut st);
            return (Some(st), Some(e));
        }
    }
    match run_for_all(condemned.len(), monotonic, |i| process_condemned(api, set, first_unavailable.as_deref(), monotonic, &condemned, i, now)) {
        Ok(false) => {}
        Ok(true) => {
            finish(&mut st);
            return (Some(st), None);
        }
        Err(e) => {
            finish(&mut st);
            return (Some(st), Some(e));
        }
    }
    finish(&mut st);
    if set.spec.update_strategy.type_ == StatefulSetUpdateStrategyType::OnDelete {
        return (Some(st), None);
    }
    let ru = set.spec.update_strategy.rolling_update.clone();
    let update_min = ru.as_ref().and_then(|r| r.partition).unwrap_or(0).max(0) as usize;
    if api.config.max_unavailable_statefulset {
        // updateStatefulSetAfterInvariantEstablished
        let max_unavail = match ru.as_ref().map(|r| max_unavailable(r.max_unavailable.as_ref(), count.min(i32::MAX as usize) as i32)) {
            Some(Ok(v)) => v as usize,
            Some(Err(e)) => return (Some(st), Some(e)),
            None => 1,
        };
        // Missing replicas are unavailable: with that many, nothing more goes.
        let missing = count - existing.len();
        let unavailable = missing + existing.iter().filter(|e| is_unavailable(pod(&e.1), min_ready, now)).count();
        if unavailable >= max_unavail {
            return (Some(st), None);
        }
        let mut to_delete = max_unavail - unavailable;
        for target in (update_min..count).rev() {
            if to_delete == 0 {
                break;
            }
            let r = replica(target);
            let p = pod(&r);
            if pod_revision(p) != upd_name && !is_terminating(p) {
                if let Err(e) = delete_stateful_pod(api, set, p) {
                    return (Some(st), Some(e));
                }
                to_delete -= 1;
                st.current_replicas -= 1;
            }
        }
        return (Some(st), None);
    }
    for target in (update_min..count).rev() {
        let r = replica(target);
        let p = pod(&r);
        if pod_revision(p) != upd_name && !is_terminating(p) {
            let r = delete_stateful_pod(api, set, p);
            st.current_replicas -= 1;
            return (Some(st), r.err());
        }
        if is_unavailable(p, min_ready, now) {
            return (Some(st), None);
        }
    }
    (Some(st), None)
}

/// `truncateHistory`: old revisions no pod, current or update revision uses,
/// beyond revisionHistoryLimit, oldest first.
pub(super) fn truncate_history<'a>(
    api: &mut Api,
    set: &StatefulSet,
    pod_revisions: impl Iterator<Item = &'a str>,
    revisions: &[ControllerRevision],
    current: Option<&ControllerRevision>,
    update: Option<&ControllerRevision>,
) -> Result<(), String> {
    // a Vec (only searched): a BTreeSet<&str> was the wasm's only one
    let mut live: Vec<&str> = pod_revisions.collect();
    live.extend(current.iter().chain(update.iter()).map(|r| r.metadata.name.as_str()));
    let history: Vec<&ControllerRevision> = revisions.iter().filter(|r| !live.contains(&r.metadata.name.as_str())).collect();
    let limit = set.spec.revision_history_limit.unwrap_or(10);
    if limit < 0 || history.len() <= limit as usize {
        return Ok(());
    }
    for r in &history[..history.len() - limit as usize] {
        match api.delete(Kind::ControllerRevision, &r.metadata.namespace, &r.metadata.name, &Default::default()) {
            Ok(_) => {}
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e.message),
        }
    }
    Ok(())
}

/// `AdoptOrphanRevisions`.
pub fn adopt_orphan_revisions(api: &mut Api, set: &StatefulSet, orphans: &[ControllerRevision]) -> Result<(), String> {
    for r in orphans {
        let cref = crate::engine::controllers::controller_utils::new_controller_ref(&set.metadata, Kind::StatefulSet);
        adopt(api, Kind::ControllerRevision, &r.metadata.namespace, &r.metadata.name, &r.metadata.uid, cref).map_err(|e| e.message)?;
    }
    Ok(())
}
