//! The DaemonSet controller (pkg/controller/daemon, daemon_controller.go):
//! one pod on every node that should run it (its nodeSelector, node
//! affinity and the taints its pods do not tolerate decide,
//! `NodeShouldRunDaemonPod`), created pinned to that node by node
//! affinity and placed by the scheduler; pods removed from nodes that
//! should no longer run them (a NoExecute taint; a NoSchedule taint only
//! keeps new pods away), failed pods replaced after a back-off, updates
//! rolled out node by node (update.rs: RollingUpdate with maxUnavailable
//! or maxSurge, OnDelete), ControllerRevisions, and the status counts.

mod update;
pub mod util;

use super::controller_utils::*;
use super::{Controller, Ctl, Cx, WorkQueue};
use crate::engine::api::*;
use crate::engine::apiserver::{Api, DeleteOptions};
use crate::engine::store::{Change, Op};
use crate::engine::time::{Millis, SECOND, Time};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use util::*;

const COMPONENT: &str = "daemonset-controller";

#[derive(Clone)]
pub struct DaemonSetController {
    /// `failedPodsBackoff` (1s doubling to 15 minutes), by DaemonSet and
    /// node: (delay, last update).
    // Boxed values: BTreeMap's code is compiled per value size.
    failed_backoff: BTreeMap<String, Box<(Millis, Time)>>,
    wakeups: Wakeups,
    retry: Backoff,
}

impl Default for DaemonSetController {
    fn default() -> Self {
        DaemonSetController { failed_backoff: BTreeMap::new(), wakeups: Wakeups::default(), retry: Backoff::controller() }
    }
}

/// A DaemonSet as the controller reads it.
pub(crate) struct Ds<'a> {
    pub obj: &'a Object,
    pub g: &'a Generic,
    pub template: PodTemplateSpec,
    pub min_ready: i32,
    pub generation: Option<i64>,
}

impl<'a> Ds<'a> {
    fn of(obj: &'a Object) -> Option<Ds<'a>> {
        let Object::Generic(g) = obj else { return None };
        let spec = g.field("spec");
        Some(Ds {
            obj,
            g,
            template: crate::engine::decode::from_json(&spec["template"])?,
            min_ready: spec["minReadySeconds"].as_i64().unwrap_or(0) as i32,
            generation: g.metadata.annotations.get(TEMPLATE_GENERATION_ANNOTATION).and_then(|v| v.parse().ok()),
        })
    }

    fn spec(&self) -> &Value {
        self.g.field("spec")
    }

    fn key(&self, node: &str) -> String {
        format!("{}/{}/{node}", self.g.metadata.namespace, self.g.metadata.name)
    }
}

/// The DaemonSet's pods by the node they are on or pinned to
/// (`getNodesToDaemonPods`), each list in `podByCreationTimestampAndPhase` order.
fn nodes_to_daemon_pods(api: &Api, ds: &Ds, include_deleted: bool) -> BTreeMap<String, Vec<Pod>> {
    let uid = &ds.g.metadata.uid;
    let mut out: BTreeMap<String, Vec<Pod>> = BTreeMap::new();
    for p in api.store.dependents_of_kind(uid, Kind::Pod).filter_map(|r| api.store.get_ref(r).and_then(|o| Pod::from_object(o))) {
        // a terminal pod being deleted is the kubelet's or the pod GC's business
        if p.metadata.controller_ref().is_none_or(|r| &r.uid != uid) || (!include_deleted && is_pod_terminal(p) && p.metadata.is_deleting()) {
            continue;
        }
        if let Some(n) = target_node(p) {
            out.entry(n).or_default().push(p.clone());
        }
    }
    for pods in out.values_mut() {
        go_sort(pods, by_creation_and_phase);
    }
    out
}

/// `podByCreationTimestampAndPhase`: scheduled first, then oldest, then by name.
fn by_creation_and_phase(a: &Pod, b: &Pod) -> bool {
    if a.spec.node_name.is_empty() != b.spec.node_name.is_empty() {
        return !a.spec.node_name.is_empty();
    }
    let (ta, tb) = (a.metadata.creation_timestamp.map(|t| t.0 / 1000), b.metadata.creation_timestamp.map(|t| t.0 / 1000));
    if ta == tb { a.metadata.name < b.metadata.name } else { ta < tb }
}

fn nodes(api: &Api) -> Vec<Node> {
    api.store.list_ns_t::<Node>("").cloned().collect()
}

impl DaemonSetController {
    /// `syncDaemonSet`. Returns when to look again, if ever.
    fn sync_daemon_set(&mut self, api: &mut Api, key: &ObjRef) -> Result<Option<Time>, String> {
        let Some(obj) = api.store.get(Kind::DaemonSet, &key.key).cloned() else { return Ok(None) };
        let Some(ds) = Ds::of(&obj) else { return Ok(None) };
        let nodes = nodes(api);
        if ds.spec()["selector"]
            .as_object()
            .is_some_and(|s| s.values().all(|v| v.as_object().is_some_and(|m| m.is_empty()) || v.as_array().is_some_and(|a| a.is_empty())))
        {
            api.event(&obj, "Warning", "SelectingAll", "This daemon set is selecting all pods. A non-empty selector is required.", COMPONENT);
            return Ok(None);
        }
        if ds.g.metadata.is_deleting() {
            return Ok(None);
        }
        let (hash, old) = update::construct_history(api, &ds)?;
        let mut wake = None;
        let r = self.manage(api, &ds, &nodes, &hash, &mut wake).and_then(|_| {
            if ds.spec()["updateStrategy"]["type"] != "OnDelete" {
                update::rolling_update(api, &ds, &nodes, &hash)?;
            }
            update::cleanup_history(api, &ds, old)
        });
        let status_wake = update_status(api, &ds, &nodes, &hash)?;
        r?;
        Ok([wake, status_wake].into_iter().flatten().min())
    }

    /// `manage`: pods for the nodes that need one, deletions for the rest.
    fn manage(&mut self, api: &mut Api, ds: &Ds, nodes: &[Node], hash: &str, wake: &mut Option<Time>) -> Result<(), String> {
        let by_node = nodes_to_daemon_pods(api, ds, false);
        let now = api.now;
        let (mut create, mut delete): (Vec<String>, Vec<String>) = (vec![], vec![]);
        for node in nodes {
            let name = &node.metadata.name;
            let (should_run, should_continue) = node_should_run(node, &ds.template);
            let pods = by_node.get(name);
            match pods {
                None if should_run => create.push(name.clone()),
                Some(pods) if should_continue => {
                    let mut running: Vec<&Pod> = vec![];
                    for p in pods {
                        if p.status.phase == PodPhase::Failed {
                            let k = ds.key(name);
                            if let Some(b) = self.failed_backoff.get(&k)
                                && now.0 - b.1.0 < b.0
                            {
                                let at = b.1.plus(b.0);
                                *wake = Some(wake.map_or(at, |w| w.min(at)));
                                continue;
                            }
                            let delay = match self.failed_backoff.get(&k) {
                                Some(b) if now.0 - b.1.0 <= 2 * 900 * SECOND => (b.0 * 2).min(900 * SECOND),
                                _ => SECOND,
                            };
                            self.failed_backoff.insert(k, Box::new((delay, now)));
                            let msg = format!("Found failed daemon pod {}/{} on node {name}, will try to kill it", p.metadata.namespace, p.metadata.name);
                            api.event(ds.obj, "Warning", "FailedDaemonPod", &msg, COMPONENT);
                            delete.push(p.metadata.name.clone());
                        } else if p.status.phase == PodPhase::Succeeded {
                            let msg = format!("Found succeeded daemon pod {}/{} on node {name}, will try to delete it", p.metadata.namespace, p.metadata.name);
                            api.event(ds.obj, "Normal", "SucceededDaemonPod", &msg, COMPONENT);
                            delete.push(p.metadata.name.clone());
                        } else {
                            running.push(p);
                        }
                    }
                    if !update::allows_surge(ds) {
                        // one pod per node: the oldest stays
                        delete.extend(running.iter().skip(1).map(|p| p.metadata.name.clone()));
                        continue;
                    }
                    if running.len() <= 1 {
                        if running.is_empty() && should_run {
                            create.push(name.clone());
                        }
                        continue;
                    }
                    // surge: keep the oldest new and the oldest old pod
                    let (mut oldest_new, mut oldest_old): (Option<&Pod>, Option<&Pod>) = (None, None);
                    for p in running {
                        let slot = if p.metadata.labels.get(REVISION_HASH_LABEL).is_some_and(|h| h == hash) { &mut oldest_new } else { &mut oldest_old };
                        if slot.is_none() {
                            *slot = Some(p);
                        } else {
                            delete.push(p.metadata.name.clone());
                        }
                    }
                    if let (Some(n), Some(o)) = (oldest_new, oldest_old)
                        && (!is_pod_ready(o) || is_pod_available(n, ds.min_ready, now))
                    {
                        delete.push(o.metadata.name.clone());
                    }
                }
                Some(pods) if !should_continue => delete.extend(pods.iter().map(|p| p.metadata.name.clone())),
                _ => {}
            }
        }
        // getUnscheduledPodsWithoutNode: pinned to nodes that are gone
        for (n, pods) in &by_node {
            if !nodes.iter().any(|x| &x.metadata.name == n) {
                delete.extend(pods.iter().filter(|p| p.spec.node_name.is_empty()).map(|p| p.metadata.name.clone()));
            }
        }
        sync_nodes(api, ds, &delete, &create, hash)
    }
}

/// `syncNodes`: creates the pods (slow start) and deletes the others.
pub(crate) fn sync_nodes(api: &mut Api, ds: &Ds, delete: &[String], create: &[String], hash: &str) -> Result<(), String> {
    let create = &create[..create.len().min(BURST_REPLICAS)];
    let delete = &delete[..delete.len().min(BURST_REPLICAS)];
    let template = create_pod_template(&ds.template, ds.generation, hash);
    let ns = ds.g.metadata.namespace.clone();
    let (_, mut err) = slow_start_batch(create.len(), SLOW_START_INITIAL_BATCH_SIZE, usize::MAX, |i| {
        let mut pod = pod_from_template(&template, &ds.g.metadata.name, new_controller_ref(&ds.g.metadata, Kind::DaemonSet));
        pod.metadata.namespace = ns.clone();
        pin_to_node(&mut pod.spec, &create[i]);
        match api.create(Object::Pod(pod)) {
            Ok(w) => {
                api.event(ds.obj, "Normal", "SuccessfulCreate", &format!("Created pod: {}", w.object.meta().name), COMPONENT);
                Ok(())
            }
            Err(e) if is_namespace_terminating(&e) => Ok(()),
            Err(e) => {
                api.event(ds.obj, "Warning", "FailedCreate", &format!("Error creating: {}", e.message), COMPONENT);
                Err(e.message)
            }
        }
    });
    for name in delete {
        match api.delete(Kind::Pod, &ns, name, &DeleteOptions::default()) {
            Ok(_) => api.event(ds.obj, "Normal", "SuccessfulDelete", &format!("Deleted pod: {name}"), COMPONENT),
            Err(e) if e.is_not_found() => {}
            Err(e) => {
                api.event(ds.obj, "Warning", "FailedDelete", &format!("Error deleting: {}", e.message), COMPONENT);
                err.get_or_insert(e.message);
            }
        }
    }
    match err {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// `updateDaemonSetStatus`: the counts `kubectl get ds` prints. Returns
/// when a ready pod becomes available (minReadySeconds).
fn update_status(api: &mut Api, ds: &Ds, nodes: &[Node], hash: &str) -> Result<Option<Time>, String> {
    let by_node = nodes_to_daemon_pods(api, ds, false);
    let now = api.now;
    let (mut desired, mut current, mut misscheduled, mut ready, mut updated, mut available) = (0, 0, 0, 0, 0, 0);
    for node in nodes {
        let (should_run, _) = node_should_run(node, &ds.template);
        let pods = by_node.get(&node.metadata.name).filter(|p| !p.is_empty());
        if !should_run {
            misscheduled += pods.is_some() as i32;
            continue;
        }
        desired += 1;
        let Some(pods) = pods else { continue };
        current += 1;
        let p = &pods[0];
        if is_pod_ready(p) {
            ready += 1;
            available += is_pod_available(p, ds.min_ready, now) as i32;
        }
        updated += is_pod_updated(p, hash, ds.generation) as i32;
    }
    let old = ds.g.field("status");
    let mut status = json!({
        "currentNumberScheduled": current,
        "desiredNumberScheduled": desired,
        "numberMisscheduled": misscheduled,
        "numberReady": ready,
        "observedGeneration": ds.g.metadata.generation,
    });
    for (k, v) in [("updatedNumberScheduled", updated), ("numberAvailable", available), ("numberUnavailable", desired - available)] {
        if v != 0 {
            status[k] = json!(v);
        }
    }
    for k in ["collisionCount", "conditions"] {
        if !old[k].is_null() {
            status[k] = old[k].clone();
        }
    }
    if &status != old {
        let mut g = ds.g.clone();
        g.body.insert("status".into(), status);
        api.update_status(Object::Generic(g)).map_err(|e| e.message)?;
    }
    Ok((ds.min_ready > 0 && ready != available).then(|| now.plus(ds.min_ready as i64 * SECOND)))
}

impl Controller for DaemonSetController {
    fn id(&self) -> Ctl {
        Ctl::DaemonSet
    }

    fn watch(&mut self, ch: &Change, api: &Api, q: &mut WorkQueue) {
        match ch.kind {
            Kind::DaemonSet => q.add(ch.obj_ref()),
            Kind::Pod => {
                for o in [ch.old.as_deref(), ch.new.as_deref()].into_iter().flatten() {
                    let m = o.meta();
                    if let Some(r) = m.controller_ref()
                        && let Some(ds) = resolve_controller_ref(api, Kind::DaemonSet, &m.namespace, r)
                    {
                        q.add(ds.obj_ref());
                    }
                }
            }
            Kind::Node => {
                // addNode / updateNode (shouldIgnoreNodeUpdate: heartbeats are not news)
                if let (Op::Modified, Some(Object::Node(o)), Some(Object::Node(n))) = (ch.op, ch.old.as_deref(), ch.new.as_deref()) {
                    let conds = |x: &Node| x.status.conditions.iter().map(|c| (c.type_.clone(), c.status.clone())).collect::<Vec<_>>();
                    if o.metadata.labels == n.metadata.labels && o.spec == n.spec && conds(o) == conds(n) {
                        return;
                    }
                }
                if ch.op == Op::Deleted {
                    return;
                }
                for ds in api.store.list(Kind::DaemonSet) {
                    q.add(ds.obj_ref());
                }
            }
            _ => {}
        }
    }

    fn sync(&mut self, key: &ObjRef, cx: &mut Cx) {
        match self.sync_daemon_set(cx.api, key) {
            Ok(wake) => {
                self.retry.forget(key);
                if let Some(at) = wake {
                    self.wakeups.wake(cx.api, Ctl::DaemonSet, key.clone(), at);
                }
            }
            Err(_) => {
                self.retry.retry(cx.api, Ctl::DaemonSet, key.clone());
            }
        }
    }
}

/// Invariants that hold whenever the controllers have caught up: a node
/// holds at most one pod of a DaemonSet that is not terminal (terminating
/// ones included), two while a maxSurge rollout replaces it.
pub fn check_invariants(api: &Api) -> Result<(), String> {
    for o in api.store.list(Kind::DaemonSet) {
        let Some(ds) = Ds::of(o) else { continue };
        let most = if update::allows_surge(&ds) { 2 } else { 1 };
        for (node, pods) in nodes_to_daemon_pods(api, &ds, true) {
            let live = pods.iter().filter(|p| !is_pod_terminal(p)).count();
            if live > most {
                return Err(format!("DaemonSet {} has {live} pods on node {node}", o.key()));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
