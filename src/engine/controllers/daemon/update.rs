//! update.go: the DaemonSet's ControllerRevisions (one per template, the
//! current one found by its data), and the rolling update that replaces
//! old pods node by node within maxUnavailable (or, with maxSurge, starts
//! the new pod before the old one goes).

use super::util::*;
use super::{Ds, nodes_to_daemon_pods, sync_nodes};
use crate::engine::api::*;
use crate::engine::apiserver::{Api, DeleteOptions};
use crate::engine::controllers::controller_utils::{is_pod_available, new_controller_ref};
use crate::engine::controllers::history::{compute_hash, go_json};
use serde_json::{Value, json};

/// `getPatch`: the template as a replace-patch, what a revision records.
fn patch(ds: &Ds) -> Value {
    let mut t = ds.spec()["template"].clone();
    if let Some(m) = t.as_object_mut() {
        if let Some(meta) = m.get_mut("metadata").and_then(|x| x.as_object_mut()) {
            meta.entry("creationTimestamp").or_insert(Value::Null);
        }
        m.insert("$patch".into(), json!("replace"));
    }
    json!({"spec": {"template": t}})
}

fn revisions(api: &Api, ds: &Ds) -> Vec<ControllerRevision> {
    let uid = &ds.g.metadata.uid;
    let mut v: Vec<ControllerRevision> = api
        .store
        .dependents_of_kind(uid, Kind::ControllerRevision)
        .filter_map(|r| api.store.get_ref(r).and_then(|o| ControllerRevision::from_object(o)))
        .filter(|r| r.metadata.controller_ref().is_some_and(|c| &c.uid == uid))
        .cloned()
        .collect();
    crate::engine::sort::sort_by(&mut v, |a, b| a.revision.cmp(&b.revision).then_with(|| a.metadata.name.cmp(&b.metadata.name)));
    v
}

/// `constructHistory`: the current revision's hash (made now if the
/// template is new) and the old revisions.
pub fn construct_history(api: &mut Api, ds: &Ds) -> Result<(String, Vec<ControllerRevision>), String> {
    let data = patch(ds);
    let want = go_json(&data);
    let (cur, old): (Vec<ControllerRevision>, Vec<ControllerRevision>) = revisions(api, ds).into_iter().partition(|r| go_json(&r.data) == want);
    let next = old.iter().map(|r| r.revision).max().unwrap_or(0) + 1;
    let cur = match cur.into_iter().max_by_key(|r| r.revision) {
        Some(mut c) => {
            if c.revision < next {
                c.revision = next;
                c = match api.update(Object::ControllerRevision(c)).map_err(|e| e.message)?.object.as_ref() {
                    Object::ControllerRevision(r) => r.clone(),
                    _ => unreachable!("a ControllerRevision"),
                };
            }
            c
        }
        None => {
            // snapshot
            let collision = ds.g.field("status")["collisionCount"].as_i64().map(|c| c as i32);
            let hash = compute_hash(&ds.template, collision);
            let mut labels = ds.template.metadata.labels.clone();
            labels.insert(REVISION_HASH_LABEL.into(), hash.clone());
            let cr = ControllerRevision {
                metadata: ObjectMeta {
                    name: format!("{}-{hash}", ds.g.metadata.name),
                    namespace: ds.g.metadata.namespace.clone(),
                    labels,
                    annotations: ds.g.metadata.annotations.clone(),
                    owner_references: vec![new_controller_ref(&ds.g.metadata, Kind::DaemonSet)],
                    ..Default::default()
                },
                data: Shared::new(data),
                revision: next,
                ..Default::default()
            };
            match api.create(Object::ControllerRevision(cr)) {
                Ok(w) => match w.object.as_ref() {
                    Object::ControllerRevision(r) => r.clone(),
                    _ => unreachable!("a ControllerRevision"),
                },
                Err(e) => return Err(e.message),
            }
        }
    };
    let hash = cur.metadata.labels.get(REVISION_HASH_LABEL).cloned().unwrap_or_else(|| cur.metadata.name.clone());
    Ok((hash, old))
}

/// `cleanupHistory`: old revisions past revisionHistoryLimit that no pod uses.
pub fn cleanup_history(api: &mut Api, ds: &Ds, old: Vec<ControllerRevision>) -> Result<(), String> {
    let keep = ds.spec()["revisionHistoryLimit"].as_i64().unwrap_or(10).max(0) as usize;
    if old.len() <= keep {
        return Ok(());
    }
    let mut to_kill = old.len() - keep;
    let live: Vec<String> =
        nodes_to_daemon_pods(api, ds, true).values().flatten().filter_map(|p| p.metadata.labels.get(REVISION_HASH_LABEL).cloned()).collect();
    for r in old {
        if to_kill == 0 {
            break;
        }
        if r.metadata.labels.get(REVISION_HASH_LABEL).is_some_and(|h| live.contains(h)) {
            continue;
        }
        match api.delete(Kind::ControllerRevision, &r.metadata.namespace, &r.metadata.name, &DeleteOptions::default()) {
            Ok(_) => {}
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e.message),
        }
        to_kill -= 1;
    }
    Ok(())
}

fn rolling(ds: &Ds, key: &str) -> Option<IntOrString> {
    crate::engine::decode::from_json(&ds.spec()["updateStrategy"]["rollingUpdate"][key])
}

/// `AllowsSurge`: a RollingUpdate with a non-zero maxSurge.
pub fn allows_surge(ds: &Ds) -> bool {
    ds.spec()["updateStrategy"]["type"] == "RollingUpdate" && rolling(ds, "maxSurge").and_then(|s| s.scaled_value(100, true).ok()).is_some_and(|s| s != 0)
}

/// `findUpdatedPodsOnNode`: the node's new and old pod, if it has at most one of each.
fn updated_and_old<'p>(pods: &'p [Pod], hash: &str, generation: Option<i64>) -> Option<(Option<&'p Pod>, Option<&'p Pod>)> {
    let (mut new, mut old) = (None, None);
    for p in pods.iter().filter(|p| !p.metadata.is_deleting()) {
        let slot = if is_pod_updated(p, hash, generation) { &mut new } else { &mut old };
        if slot.is_some() {
            return None;
        }
        *slot = Some(p);
    }
    Some((new, old))
}

/// `rollingUpdate`.
pub fn rolling_update(api: &mut Api, ds: &Ds, nodes: &[Node], hash: &str) -> Result<(), String> {
    let mut by_node = nodes_to_daemon_pods(api, ds, false);
    let now = api.now;
    // updatedDesiredNodeCounts
    let mut desired = 0;
    for n in nodes {
        if node_should_run(n, &ds.template).0 {
            desired += 1;
            by_node.entry(n.metadata.name.clone()).or_default();
        }
    }
    let count = |k: &str| rolling(ds, k).map_or(Ok(0), |v| v.scaled_value(desired, true));
    let max_unavailable = count("maxUnavailable")?;
    let max_surge = if allows_surge(ds) { count("maxSurge")? } else { 0 };
    let max_unavailable = if desired > 0 && max_unavailable == 0 && max_surge == 0 { 1 } else { max_unavailable };
    let available = |p: &Pod| is_pod_available(p, ds.min_ready, now);
    if max_surge == 0 {
        let mut unavailable = 0;
        let (mut allowed, mut candidates): (Vec<String>, Vec<String>) = (vec![], vec![]);
        for pods in by_node.values() {
            let Some((new, old)) = updated_and_old(pods, hash, ds.generation) else {
                unavailable += 1;
                continue;
            };
            match (new, old) {
                (None, None) | (Some(_), Some(_)) => unavailable += 1,
                (Some(n), None) => unavailable += !available(n) as i32,
                (None, Some(o)) if !available(o) => {
                    allowed.push(o.metadata.name.clone());
                    unavailable += 1;
                }
                (None, Some(_)) if unavailable >= max_unavailable => {}
                (None, Some(o)) => candidates.push(o.metadata.name.clone()),
            }
        }
        let remaining = (max_unavailable - unavailable).max(0).min(candidates.len() as i32) as usize;
        allowed.extend(candidates.into_iter().take(remaining));
        return sync_nodes(api, ds, &allowed, &[], hash);
    }
    let (mut delete, mut should_not_run, mut candidate_nodes, mut allowed_nodes) = (vec![], vec![], vec![], vec![]);
    let (mut surge, mut n_available) = (0, 0);
    for (node_name, pods) in &by_node {
        let Some((new, old)) = updated_and_old(pods, hash, ds.generation) else {
            surge += 1;
            continue;
        };
        if let Some(p) = old.or(new)
            && available(p)
        {
            n_available += 1;
        }
        let should_run = || nodes.iter().find(|n| &n.metadata.name == node_name).is_some_and(|n| node_should_run(n, &ds.template).0);
        match (new, old) {
            (_, None) => {}
            (None, Some(o)) if !available(o) => {
                if should_run() {
                    allowed_nodes.push(node_name.clone());
                } else {
                    delete.push(o.metadata.name.clone());
                }
            }
            (None, Some(o)) => {
                if !should_run() {
                    should_not_run.push(o.metadata.name.clone());
                } else if surge < max_surge {
                    candidate_nodes.push(node_name.clone());
                }
            }
            (Some(n), Some(o)) => {
                if !available(n) {
                    surge += 1;
                    continue;
                }
                delete.push(o.metadata.name.clone());
            }
        }
    }
    let deletable = (n_available - desired).max(0).min(should_not_run.len() as i32) as usize;
    delete.extend(should_not_run.into_iter().take(deletable));
    let remaining = (max_surge - surge).max(0).min(candidate_nodes.len() as i32) as usize;
    allowed_nodes.extend(candidate_nodes.into_iter().take(remaining));
    sync_nodes(api, ds, &delete, &allowed_nodes, hash)
}
