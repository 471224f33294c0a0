//! sync.go: finding and creating the new ReplicaSet, proportional scaling,
//! clean-up, status, pause and scaling events.

use super::*;

/// `FindNewReplicaSet` and `FindOldReplicaSets` (all old ones).
pub(super) fn split(d: &Deployment, mut rs_list: Vec<ReplicaSet>) -> (Option<ReplicaSet>, Vec<ReplicaSet>) {
    crate::engine::sort::sort_by(&mut rs_list, by_creation);
    let new_idx = rs_list.iter().position(|r| equal_ignore_hash(&r.spec.template, &d.spec.template));
    let new_rs = new_idx.map(|i| rs_list.remove(i));
    (new_rs, rs_list)
}

/// `getAllReplicaSetsAndSyncRevision`.
pub(super) fn all_and_sync_revision(cx: &mut Ctx, rs_list: &[ReplicaSet], create: bool) -> Result<(Option<ReplicaSet>, Vec<ReplicaSet>), String> {
    let (existing, old) = split(&cx.d, rs_list.to_vec());
    let new_rs = new_replica_set(cx, existing, &old, create)?;
    Ok((new_rs, old))
}

/// `getNewReplicaSet`.
pub(super) fn new_replica_set(cx: &mut Ctx, existing: Option<ReplicaSet>, old: &[ReplicaSet], create: bool) -> Result<Option<ReplicaSet>, String> {
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
        if has_progress_deadline(&cx.d) && get_deployment_condition(&cx.d.status, &ConditionType::Progressing).is_none() {
            let msg = format!("Found new replica set {:?}", rs.metadata.name);
            set_deployment_condition(&mut cx.d.status, new_condition(ConditionType::Progressing, ConditionStatus::True, FOUND_NEW_RS, &msg, now));
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
                set_deployment_condition(&mut cx.d.status, new_condition(ConditionType::Progressing, ConditionStatus::False, FAILED_RS_CREATE, &msg, now));
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
        set_deployment_condition(&mut cx.d.status, new_condition(ConditionType::Progressing, ConditionStatus::True, NEW_REPLICA_SET, &msg, now));
        needs_update = true;
    }
    if needs_update {
        cx.write_status()?;
    }
    Ok(Some(created))
}

/// `generateReplicaSetName`.
pub(super) fn replica_set_name(deployment: &str, hash: &str) -> String {
    let max = 253 - 1 - hash.len();
    if deployment.len() > max { format!("{}-{hash}", &deployment[..max]) } else { format!("{deployment}-{hash}") }
}

/// `scaleReplicaSet`: returns whether the size changed, and the RS as written.
pub(super) fn scale_replica_set(cx: &mut Ctx, rs: &ReplicaSet, new_scale: i32, force: bool) -> Result<(bool, ReplicaSet), String> {
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
pub(super) fn active_or_latest(new_rs: Option<&ReplicaSet>, old: &[ReplicaSet]) -> Option<ReplicaSet> {
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
pub(super) fn scale(cx: &mut Ctx, new_rs: Option<&ReplicaSet>, old: &[ReplicaSet]) -> Result<(), String> {
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
pub(super) fn cleanup(cx: &mut Ctx, old: &[ReplicaSet]) -> Result<(), String> {
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
pub(super) fn calculate_status(all: &[&ReplicaSet], new_rs: Option<&ReplicaSet>, d: &Deployment, now: Time) -> DeploymentStatus {
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
        set_deployment_condition(
            &mut st,
            new_condition(ConditionType::Available, ConditionStatus::True, MIN_AVAILABLE, "Deployment has minimum availability.", now),
        );
    } else {
        set_deployment_condition(
            &mut st,
            new_condition(ConditionType::Available, ConditionStatus::False, MIN_UNAVAILABLE, "Deployment does not have minimum availability.", now),
        );
    }
    st
}

/// `GetTerminatingReplicaCountForReplicaSets`.
pub(super) fn terminating_replicas(all: &[&ReplicaSet]) -> Option<i32> {
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

pub(super) fn all_of<'a>(old: &'a [ReplicaSet], new_rs: Option<&'a ReplicaSet>) -> Vec<&'a ReplicaSet> {
    let mut v: Vec<&ReplicaSet> = old.iter().collect();
    if let Some(n) = new_rs {
        v.push(n);
    }
    v
}

/// `syncDeploymentStatus`.
pub(super) fn sync_deployment_status(cx: &mut Ctx, old: &[ReplicaSet], new_rs: Option<&ReplicaSet>) -> Result<(), String> {
    let st = calculate_status(&all_of(old, new_rs), new_rs, &cx.d, cx.api.now);
    if st == cx.d.status {
        return Ok(());
    }
    cx.d.status = st;
    cx.write_status()
}

pub(super) fn sync_status_only(cx: &mut Ctx, rs_list: Vec<ReplicaSet>) -> Result<(), String> {
    let (new_rs, old) = all_and_sync_revision(cx, &rs_list, false)?;
    sync_deployment_status(cx, &old, new_rs.as_ref())
}

/// `sync`: scaling events and paused Deployments.
pub(super) fn sync(cx: &mut Ctx, rs_list: Vec<ReplicaSet>) -> Result<(), String> {
    let (new_rs, old) = all_and_sync_revision(cx, &rs_list, false)?;
    scale(cx, new_rs.as_ref(), &old)?;
    if cx.d.spec.paused && rollback_to(&cx.d).is_none() {
        cleanup(cx, &old)?;
    }
    let fresh = refresh(cx.api, &old, new_rs.as_ref());
    sync_deployment_status(cx, &fresh.1, fresh.0.as_ref())
}

/// The ReplicaSets as they are in the store now (after scaling them).
pub(super) fn refresh(api: &Api, old: &[ReplicaSet], new_rs: Option<&ReplicaSet>) -> (Option<ReplicaSet>, Vec<ReplicaSet>) {
    let get = |r: &ReplicaSet| {
        api.get_t::<ReplicaSet>(&r.metadata.namespace, &r.metadata.name).filter(|x| x.metadata.uid == r.metadata.uid).cloned().unwrap_or_else(|| r.clone())
    };
    (new_rs.map(get), old.iter().map(get).collect())
}

/// `checkPausedConditions`.
pub(super) fn check_paused_conditions(cx: &mut Ctx) -> Result<(), String> {
    if !has_progress_deadline(&cx.d) {
        return Ok(());
    }
    let cond = get_deployment_condition(&cx.d.status, &ConditionType::Progressing).cloned();
    if cond.as_ref().is_some_and(|c| c.reason == TIMED_OUT) {
        return Ok(());
    }
    let paused_cond = cond.as_ref().is_some_and(|c| c.reason == PAUSED);
    let now = cx.api.now;
    if cx.d.spec.paused && !paused_cond {
        set_deployment_condition(&mut cx.d.status, new_condition(ConditionType::Progressing, ConditionStatus::Unknown, PAUSED, "Deployment is paused", now));
    } else if !cx.d.spec.paused && paused_cond {
        set_deployment_condition(&mut cx.d.status, new_condition(ConditionType::Progressing, ConditionStatus::Unknown, RESUMED, "Deployment is resumed", now));
    } else {
        return Ok(());
    }
    cx.write_status()
}

/// `isScalingEvent`: an active ReplicaSet was sized for a different replica count.
pub(super) fn is_scaling_event(cx: &mut Ctx, rs_list: &[ReplicaSet]) -> Result<bool, String> {
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
