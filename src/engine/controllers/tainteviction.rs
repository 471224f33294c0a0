//! The taint eviction controller (pkg/controller/tainteviction): pods on a
//! node with NoExecute taints they do not tolerate are deleted at once;
//! tolerated for `tolerationSeconds` (300 s by default admission), they are
//! deleted when that runs out, unless the taint goes away first.

use crate::engine::api::*;
use crate::engine::apiserver::{Api, DeleteOptions};
use crate::engine::controllers::{Controller, Ctl, Cx, WorkQueue};
use crate::engine::store::Change;
use crate::engine::time::Time;
use std::collections::BTreeMap;

pub const COMPONENT: &str = "taint-eviction-controller";

#[derive(Clone, Debug)]
struct Scheduled {
    created: Time,
    fire_at: Time,
}

#[derive(Clone, Default)]
pub struct TaintEviction {
    /// NoExecute taints per node.
    tainted: BTreeMap<String, Vec<Taint>>,
    /// Pending deletions by pod.
    // Boxed values: BTreeMap's code is compiled per value size, and maps of
    // pointer-sized values share one copy in the wasm.
    scheduled: BTreeMap<ObjKey, Box<Scheduled>>,
}

impl TaintEviction {
    pub fn new() -> TaintEviction {
        TaintEviction::default()
    }
}

fn no_execute(taints: &[Taint]) -> Vec<Taint> {
    taints.iter().filter(|t| t.effect == "NoExecute").cloned().collect()
}

/// getMinTolerationTime: None for "forever", else milliseconds.
fn min_toleration(used: &[&Toleration]) -> Option<i64> {
    let mut min: Option<i64> = None;
    for t in used {
        if let Some(s) = t.toleration_seconds {
            if s <= 0 {
                return Some(0);
            }
            min = Some(min.map_or(s, |m| m.min(s)));
        }
    }
    min.map(crate::engine::time::seconds)
}

fn pod_ref(k: &ObjKey) -> ObjectReference {
    ObjectReference { kind: "Pod".into(), namespace: k.namespace.clone(), name: k.name.clone(), api_version: "v1".into(), ..Default::default() }
}

impl TaintEviction {
    fn cancel(&mut self, cx: &mut Cx, k: &ObjKey) {
        if self.scheduled.remove(k).is_some() {
            cx.api.event_ref(pod_ref(k), "Normal", "TaintManagerEviction", &format!("Cancelling deletion of Pod {}/{}", k.namespace, k.name), COMPONENT, "");
        }
    }

    fn process(&mut self, cx: &mut Cx, pod: &Pod) {
        let now = cx.api.now;
        let k = pod.key();
        let taints = self.tainted.get(&pod.spec.node_name).cloned().unwrap_or_default();
        if taints.is_empty() {
            self.cancel(cx, &k);
            return;
        }
        let mut used: Vec<&Toleration> = vec![];
        let mut all = true;
        for t in &taints {
            let matching: Vec<&Toleration> = pod.spec.tolerations.iter().filter(|tol| tol.tolerates(t)).collect();
            if matching.is_empty() {
                all = false;
            }
            used.extend(matching);
        }
        if !all {
            self.scheduled.remove(&k);
            self.evict(cx, pod);
            return;
        }
        let Some(min) = min_toleration(&used) else {
            self.cancel(cx, &k);
            return;
        };
        let trigger = now.plus(min);
        let created = match self.scheduled.get(&k) {
            Some(s) if s.created.plus(min) <= trigger => s.created,
            _ => now,
        };
        let fire_at = created.plus(min);
        if fire_at <= now {
            self.scheduled.remove(&k);
            self.evict(cx, pod);
            return;
        }
        let changed = self.scheduled.get(&k).is_none_or(|s| s.fire_at != fire_at);
        self.scheduled.insert(k.clone(), Box::new(Scheduled { created, fire_at }));
        if changed {
            cx.api.wake_at(fire_at, Ctl::TaintEviction, ObjRef { kind: Kind::Pod, key: k });
        }
    }

    /// deletePodHandler: event, DisruptionTarget condition, delete.
    fn evict(&mut self, cx: &mut Cx, pod: &Pod) {
        if pod.metadata.deletion_timestamp.is_some() {
            return;
        }
        let k = pod.key();
        cx.api.event_ref(pod_ref(&k), "Normal", "TaintManagerEviction", &format!("Marking for deletion Pod {}/{}", k.namespace, k.name), COMPONENT, "");
        let mut p = pod.clone();
        add_condition(&mut p, ConditionType::DisruptionTarget, "DeletionByTaintManager", "Taint manager: deleting due to NoExecute taint", cx.api.now);
        let _ = cx.api.update_status(Object::Pod(p));
        let _ = cx.api.delete(Kind::Pod, &k.namespace, &k.name, &DeleteOptions::default());
    }
}

/// apipod.UpdatePodCondition for a True condition.
pub fn add_condition(p: &mut Pod, type_: ConditionType, reason: &str, message: &str, now: Time) {
    let generation = p.metadata.generation;
    set_condition(
        &mut p.status.conditions,
        PodCondition {
            type_,
            status: ConditionStatus::True,
            observed_generation: generation,
            last_probe_time: None,
            last_transition_time: Some(now),
            reason: reason.into(),
            message: message.into(),
        },
    );
}

impl Controller for TaintEviction {
    fn id(&self) -> Ctl {
        Ctl::TaintEviction
    }

    fn watch(&mut self, change: &Change, _api: &Api, queue: &mut WorkQueue) {
        match change.kind {
            Kind::Node => {
                let (old, new) = change.typed::<Node>();
                let before = old.map(|n| no_execute(&n.spec.taints)).unwrap_or_default();
                let after = new.map(|n| no_execute(&n.spec.taints)).unwrap_or_default();
                if before != after {
                    queue.add(change.obj_ref());
                }
            }
            Kind::Pod => {
                let (old, new) = change.typed::<Pod>();
                let node = new.map(|p| p.spec.node_name.as_str()).or(old.map(|p| p.spec.node_name.as_str())).unwrap_or("");
                let relevant = self.scheduled.contains_key(&change.key)
                    || (!node.is_empty()
                        && self.tainted.contains_key(node)
                        && (old.is_none()
                            || new.is_none()
                            || old.map(|p| &p.spec.tolerations) != new.map(|p| &p.spec.tolerations)
                            || old.map(|p| &p.spec.node_name) != new.map(|p| &p.spec.node_name)));
                if relevant {
                    queue.add(change.obj_ref());
                }
            }
            _ => {}
        }
    }

    fn sync(&mut self, key: &ObjRef, cx: &mut Cx) {
        match key.kind {
            Kind::Node => {
                let name = &key.key.name;
                let taints = cx.api.get_t::<Node>("", name).map(|n| no_execute(&n.spec.taints)).unwrap_or_default();
                if taints.is_empty() {
                    self.tainted.remove(name);
                } else {
                    self.tainted.insert(name.clone(), taints);
                }
                let pods: Vec<Pod> = cx.api.store.pods_on_node(name).cloned().collect();
                for p in &pods {
                    self.process(cx, p);
                }
            }
            Kind::Pod => {
                let Some(pod) = cx.api.get_t::<Pod>(&key.key.namespace, &key.key.name).cloned() else {
                    self.cancel(cx, &key.key);
                    return;
                };
                if pod.spec.node_name.is_empty() {
                    return;
                }
                self.process(cx, &pod);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toleration_seconds() {
        let a = Toleration { key: "k".into(), operator: "Exists".into(), effect: "NoExecute".into(), toleration_seconds: Some(300), ..Default::default() };
        let b = Toleration { toleration_seconds: Some(60), ..a.clone() };
        let forever = Toleration { toleration_seconds: None, ..a.clone() };
        assert_eq!(min_toleration(&[&a, &b]), Some(60_000));
        assert_eq!(min_toleration(&[&forever]), None);
        assert_eq!(min_toleration(&[&a, &forever]), Some(300_000));
        let zero = Toleration { toleration_seconds: Some(-1), ..a };
        assert_eq!(min_toleration(&[&zero]), Some(0));
    }
}
