//! The pod garbage collector (pkg/controller/podgc): force-deletes pods
//! bound to nodes that no longer exist (after a 40 s quarantine),
//! terminating pods on nodes that are NotReady and tainted
//! `node.kubernetes.io/out-of-service`, terminating pods that were never
//! scheduled, and terminated pods beyond --terminated-pod-gc-threshold.
//! The real controller looks every 20 s; here the same checks are triggered
//! by changes and land on the next 20 s tick.

use crate::engine::api::*;
use crate::engine::apiserver::{Api, DeleteOptions};
use crate::engine::controllers::tainteviction::add_condition;
use crate::engine::controllers::{Controller, Ctl, Cx, WorkQueue};
use crate::engine::store::Change;
use crate::engine::time::{Millis, SECOND, Time};
use std::collections::{BTreeMap, BTreeSet};

pub const COMPONENT: &str = "pod-garbage-collector";
const GC_PERIOD: Millis = 20 * SECOND;
const QUARANTINE: Millis = 40 * SECOND;
/// --terminated-pod-gc-threshold
pub const TERMINATED_THRESHOLD: usize = 12_500;
pub const TAINT_OUT_OF_SERVICE: &str = "node.kubernetes.io/out-of-service";

#[derive(Clone, Default)]
pub struct PodGc {
    /// Terminated pods, oldest first (creation time, key; boxed: sets of
    /// pointer-sized elements share one copy of BTreeSet's code in the wasm).
    terminated: BTreeSet<Box<(Time, ObjKey)>>,
    /// When a missing node was first noticed.
    missing_since: BTreeMap<String, Time>,
}

impl PodGc {
    pub fn new() -> PodGc {
        PodGc::default()
    }
}

fn terminal(p: &Pod) -> bool {
    p.status.phase.is_terminal()
}

fn next_tick(now: Time) -> Time {
    Time((now.0 / GC_PERIOD + 1) * GC_PERIOD)
}

fn node_ready(n: &Node) -> bool {
    is_condition_true(&n.status.conditions, &ConditionType::Ready)
}

/// markFailedAndDeletePodWithCondition.
fn force_delete(cx: &mut Cx, pod: &Pod, condition: Option<(&str, &str)>) {
    if !terminal(pod) {
        let mut p = pod.clone();
        p.status.phase = PodPhase::Failed;
        p.status.observed_generation = p.metadata.generation;
        if let Some((reason, message)) = condition {
            add_condition(&mut p, ConditionType::DisruptionTarget, reason, message, cx.api.now);
        }
        let _ = cx.api.update_status(Object::Pod(p));
    }
    let _ = cx.api.delete(Kind::Pod, &pod.metadata.namespace, &pod.metadata.name, &DeleteOptions { grace_period: Some(0), ..Default::default() });
}

impl Controller for PodGc {
    fn id(&self) -> Ctl {
        Ctl::PodGc
    }

    fn watch(&mut self, change: &Change, api: &Api, queue: &mut WorkQueue) {
        match change.kind {
            Kind::Pod => {
                let (old, new) = change.typed::<Pod>();
                if let Some(o) = old
                    && terminal(o)
                {
                    self.terminated.remove(&(o.metadata.creation_timestamp.unwrap_or_default(), o.key()));
                }
                if let Some(n) = new {
                    if terminal(n) {
                        self.terminated.insert(Box::new((n.metadata.creation_timestamp.unwrap_or_default(), n.key())));
                        if self.terminated.len() > TERMINATED_THRESHOLD {
                            queue.add(ObjRef::new(Kind::Pod, "", ""));
                        }
                    }
                    let orphan = !n.spec.node_name.is_empty() && api.get_t::<Node>("", &n.spec.node_name).is_none();
                    let deleting = n.metadata.deletion_timestamp.is_some();
                    if orphan || (deleting && (n.spec.node_name.is_empty() || old.is_none_or(|o| o.metadata.deletion_timestamp.is_none()))) {
                        queue.add(change.obj_ref());
                    }
                }
            }
            Kind::Node => {
                let (old, new) = change.typed::<Node>();
                match new {
                    None => queue.add(change.obj_ref()),
                    Some(n) => {
                        let oos = |n: &Node| n.spec.taints.iter().any(|t| t.key == TAINT_OUT_OF_SERVICE);
                        let before = old.map(|o| oos(o) && !node_ready(o)).unwrap_or(false);
                        if oos(n) && !node_ready(n) && !before {
                            queue.add(change.obj_ref());
                        }
                        self.missing_since.remove(&n.metadata.name);
                    }
                }
            }
            _ => {}
        }
    }

    fn sync(&mut self, key: &ObjRef, cx: &mut Cx) {
        let now = cx.api.now;
        match key.kind {
            Kind::Pod if key.key.name.is_empty() => {
                // gcTerminated: the oldest terminated pods beyond the threshold
                let excess = self.terminated.len().saturating_sub(TERMINATED_THRESHOLD);
                let victims: Vec<ObjKey> = self.terminated.iter().take(excess).map(|t| t.1.clone()).collect();
                for k in victims {
                    if let Some(p) = cx.api.get_t::<Pod>(&k.namespace, &k.name).cloned() {
                        force_delete(cx, &p, None);
                    }
                }
            }
            Kind::Pod => {
                let Some(pod) = cx.api.get_t::<Pod>(&key.key.namespace, &key.key.name).cloned() else { return };
                let tick = next_tick(now);
                if pod.spec.node_name.is_empty() {
                    // gcUnscheduledTerminating
                    if pod.metadata.deletion_timestamp.is_some() {
                        force_delete(cx, &pod, None);
                    }
                    return;
                }
                match cx.api.get_t::<Node>("", &pod.spec.node_name).cloned() {
                    None => {
                        // gcOrphaned, after the quarantine
                        let since = *self.missing_since.entry(pod.spec.node_name.clone()).or_insert(now);
                        if now >= since.plus(QUARANTINE) {
                            force_delete(cx, &pod, Some(("DeletionByPodGC", "PodGC: node no longer exists")));
                        } else {
                            let at = next_tick(Time(since.0 + QUARANTINE - 1));
                            cx.api.wake_at(at.max(tick), Ctl::PodGc, key.clone());
                        }
                    }
                    Some(node) => {
                        // gcTerminating: out-of-service nodes
                        let oos = node.spec.taints.iter().any(|t| t.key == TAINT_OUT_OF_SERVICE);
                        if pod.metadata.deletion_timestamp.is_some() && oos && !node_ready(&node) {
                            if now.0 % GC_PERIOD == 0 {
                                force_delete(cx, &pod, None);
                            } else {
                                cx.api.wake_at(tick, Ctl::PodGc, key.clone());
                            }
                        }
                    }
                }
            }
            Kind::Node => {
                let name = key.key.name.clone();
                let pods: Vec<ObjKey> = cx.api.store.pods_on_node(&name).map(|p| p.key()).collect();
                for k in pods {
                    cx.api.wake_at(next_tick(now), Ctl::PodGc, ObjRef { kind: Kind::Pod, key: k });
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_every_twenty_seconds() {
        assert_eq!(next_tick(Time(0)), Time(20_000));
        assert_eq!(next_tick(Time(19_999)), Time(20_000));
        assert_eq!(next_tick(Time(20_000)), Time(40_000));
    }
}
