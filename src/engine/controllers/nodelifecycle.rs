//! The node lifecycle controller (pkg/controller/nodelifecycle): watches node
//! Leases and status; when a kubelet has not renewed its lease for
//! `--node-monitor-grace-period`, the node's conditions become Unknown, its
//! pods NotReady, and it gets the `node.kubernetes.io/unreachable` taints
//! (NoSchedule from the condition, NoExecute for taint-based eviction).
//! `node.kubernetes.io/not-ready` when the kubelet reports Ready=False, and
//! `node.kubernetes.io/unschedulable` for cordoned nodes. Deadlines are
//! one-shot timers at the exact expiry, not a 5 s polling loop.

use crate::engine::api::*;
use crate::engine::apiserver::Api;
use crate::engine::controllers::{Controller, Ctl, Cx, WorkQueue};
use crate::engine::store::Change;
use crate::engine::time::{Millis, SECOND, Time};
use std::collections::BTreeMap;

pub const COMPONENT: &str = "node-controller";
pub const TAINT_UNREACHABLE: &str = "node.kubernetes.io/unreachable";
pub const TAINT_NOT_READY: &str = "node.kubernetes.io/not-ready";
pub const TAINT_UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";
/// --node-startup-grace-period: a node that never reported is given longer.
const STARTUP_GRACE: Millis = 60 * SECOND;
/// --node-eviction-rate 0.1: one node tainted for eviction per 10 s per zone.
const EVICTION_INTERVAL: Millis = 10 * SECOND;

const MONITORED: &[ConditionType] = &[ConditionType::Ready, ConditionType::MemoryPressure, ConditionType::DiskPressure, ConditionType::PIDPressure];

#[derive(Clone, Debug, Default)]
struct Health {
    /// When the controller last saw the kubelet alive (lease renewal or status heartbeat).
    probe: Time,
    lease_renew: Option<Time>,
    heartbeat: Option<Time>,
    pending: Option<(Time, bool)>,
    registered: bool,
}

#[derive(Clone, Default)]
pub struct NodeLifecycle {
    // Boxed values: BTreeMap's code is compiled per value size, and maps of
    // pointer-sized values share one copy in the wasm.
    health: BTreeMap<String, Box<Health>>,
    /// Per zone: when the next NoExecute taint may be added.
    zone_next: BTreeMap<String, Time>,
}

impl NodeLifecycle {
    pub fn new() -> NodeLifecycle {
        NodeLifecycle::default()
    }
}

fn ready_status(n: &Node) -> Option<&ConditionStatus> {
    get_condition(&n.status.conditions, &ConditionType::Ready).map(|c| &c.status)
}

fn zone(n: &Node) -> String {
    let region = n.metadata.labels.get("topology.kubernetes.io/region").cloned().unwrap_or_default();
    let z = n.metadata.labels.get("topology.kubernetes.io/zone").cloned().unwrap_or_default();
    format!("{region}:\x00:{z}")
}

fn same_taint(a: &Taint, key: &str, effect: &str) -> bool {
    a.key == key && a.effect == effect
}

impl Controller for NodeLifecycle {
    fn id(&self) -> Ctl {
        Ctl::NodeLifecycle
    }

    fn watch(&mut self, change: &Change, _api: &Api, queue: &mut WorkQueue) {
        match change.kind {
            Kind::Lease if change.key.namespace == "kube-node-lease" => queue.add(ObjRef::new(Kind::Node, "", &change.key.name)),
            Kind::Node => {
                if change.new.is_none() {
                    self.health.remove(&change.key.name);
                } else {
                    queue.add(change.obj_ref());
                }
            }
            _ => {}
        }
    }

    fn sync(&mut self, key: &ObjRef, cx: &mut Cx) {
        if key.kind != Kind::Node {
            return;
        }
        let name = key.key.name.clone();
        let now = cx.api.now;
        // A shared handle, not a copy: this runs on every lease renewal.
        let Some(obj) = cx.api.store.get(Kind::Node, &key.key).cloned() else {
            self.health.remove(&name);
            return;
        };
        let Object::Node(node) = &*obj else { return };
        let h = self
            .health
            .entry(name.clone())
            .or_insert_with(|| Box::new(Health { probe: node.metadata.creation_timestamp.unwrap_or(now), ..Default::default() }));
        if h.pending.is_some_and(|(t, _)| t <= now) {
            h.pending = None;
        }
        if !h.registered {
            h.registered = true;
            let r = ObjectReference { kind: "Node".into(), name: name.clone(), uid: node.metadata.uid.clone(), api_version: "v1".into(), ..Default::default() };
            cx.api.event_ref(r, "Normal", "RegisteredNode", &format!("Node {name} event: Registered Node {name} in Controller"), COMPONENT, "");
        }
        // the kubelet's signs of life: lease renewals and status heartbeats
        let renew = cx.api.get_t::<Lease>("kube-node-lease", &name).and_then(|l| l.spec.renew_time).map(|m| m.0);
        if renew.is_some() && renew != h.lease_renew {
            h.lease_renew = renew;
            h.probe = h.probe.max(renew.unwrap_or(now));
        }
        let hb = get_condition(&node.status.conditions, &ConditionType::Ready).and_then(|c| c.last_heartbeat_time);
        if hb.is_some() && hb != h.heartbeat {
            h.heartbeat = hb;
            h.probe = h.probe.max(hb.unwrap_or(now));
        }
        let grace = if h.lease_renew.is_none() && h.heartbeat.is_none() { STARTUP_GRACE } else { cx.api.config.node_monitor_grace_period };
        let expiry = h.probe.plus(grace);
        if now >= expiry {
            let mut node = node.clone();
            self.mark_unknown(cx, &mut node);
            self.sync_taints(cx, &node);
            return;
        } else {
            // A silent kubelet on a machine that is off is a deadline worth
            // settling for; a healthy one only needs a housekeeping check.
            let significant = !cx.world.is_powered(&name);
            let h = self.health.get_mut(&name).expect("health");
            if h.pending.is_none_or(|(t, s)| t != expiry || (significant && !s)) {
                h.pending = Some((expiry, significant));
                if significant {
                    cx.api.wake_at(expiry, Ctl::NodeLifecycle, key.clone());
                } else {
                    cx.api.wake_idle_at(expiry, Ctl::NodeLifecycle, key.clone());
                }
            }
        }
        self.sync_taints(cx, node);
    }
}

impl NodeLifecycle {
    /// tryUpdateNodeHealth past the grace period: conditions go Unknown.
    fn mark_unknown(&mut self, cx: &mut Cx, node: &mut Node) {
        let now = cx.api.now;
        let was_ready = ready_status(node).is_some_and(ConditionStatus::is_true);
        let mut changed = false;
        for t in MONITORED {
            // A condition already Unknown is left as it is; one the kubelet
            // posted keeps its last heartbeat, one it never posted gets the
            // node's creation time.
            let cur = get_condition(&node.status.conditions, t);
            if cur.is_some_and(|c| c.status == ConditionStatus::Unknown) {
                continue;
            }
            let (heartbeat, reason, message) = match cur {
                Some(c) => (c.last_heartbeat_time, "NodeStatusUnknown", "Kubelet stopped posting node status."),
                None => (node.metadata.creation_timestamp, "NodeStatusNeverUpdated", "Kubelet never posted node status."),
            };
            let c = NodeCondition {
                type_: t.clone(),
                status: ConditionStatus::Unknown,
                last_heartbeat_time: heartbeat,
                last_transition_time: Some(now),
                reason: reason.into(),
                message: message.into(),
            };
            set_condition(&mut node.status.conditions, c);
            changed = true;
        }
        if !changed {
            return;
        }
        if let Ok(w) = cx.api.update_status(Object::Node(node.clone()))
            && let Object::Node(n) = &*w.object
        {
            *node = n.clone();
        }
        if was_ready {
            let name = node.metadata.name.clone();
            let r = ObjectReference { kind: "Node".into(), name: name.clone(), uid: node.metadata.uid.clone(), api_version: "v1".into(), ..Default::default() };
            cx.api.event_ref(r, "Normal", "NodeNotReady", &format!("Node {name} status is now: NodeNotReady"), COMPONENT, "");
            mark_pods_not_ready(cx, &name);
        }
    }

    /// doNoScheduleTaintingPass and the NoExecute tainter: the taints that
    /// follow the Ready condition and spec.unschedulable.
    fn sync_taints(&mut self, cx: &mut Cx, node: &Node) {
        let now = cx.api.now;
        let ready = ready_status(node).cloned().unwrap_or(ConditionStatus::Unknown);
        let mut want_noschedule: Vec<&str> = vec![];
        match ready {
            ConditionStatus::False => want_noschedule.push(TAINT_NOT_READY),
            ConditionStatus::Unknown => want_noschedule.push(TAINT_UNREACHABLE),
            _ => {}
        }
        for (cond, key) in [
            (ConditionType::MemoryPressure, "node.kubernetes.io/memory-pressure"),
            (ConditionType::DiskPressure, "node.kubernetes.io/disk-pressure"),
            (ConditionType::PIDPressure, "node.kubernetes.io/pid-pressure"),
            (ConditionType::NetworkUnavailable, "node.kubernetes.io/network-unavailable"),
        ] {
            if is_condition_true(&node.status.conditions, &cond) {
                want_noschedule.push(key);
            }
        }
        if node.spec.unschedulable {
            want_noschedule.push(TAINT_UNSCHEDULABLE);
        }
        let managed_noschedule = |k: &str| {
            matches!(
                k,
                TAINT_NOT_READY
                    | TAINT_UNREACHABLE
                    | TAINT_UNSCHEDULABLE
                    | "node.kubernetes.io/memory-pressure"
                    | "node.kubernetes.io/disk-pressure"
                    | "node.kubernetes.io/pid-pressure"
                    | "node.kubernetes.io/network-unavailable"
            )
        };
        let mut taints: Vec<Taint> = node
            .spec
            .taints
            .iter()
            .filter(|t| !(t.effect == "NoSchedule" && managed_noschedule(&t.key) && !want_noschedule.contains(&t.key.as_str())))
            .cloned()
            .collect();
        for k in &want_noschedule {
            if !taints.iter().any(|t| same_taint(t, k, "NoSchedule")) {
                taints.push(Taint { key: k.to_string(), value: String::new(), effect: "NoSchedule".into(), time_added: Some(now) });
            }
        }
        // NoExecute: unreachable for Unknown, not-ready for False, none when Ready;
        // none at all when every node is down (the control plane assumes it is the one cut off).
        let want_noexecute = match ready {
            ConditionStatus::False => Some(TAINT_NOT_READY),
            ConditionStatus::Unknown => Some(TAINT_UNREACHABLE),
            _ => None,
        };
        let all_down = want_noexecute.is_some() && cx.api.store.list_t::<Node>().all(|n| !ready_status(n).is_some_and(ConditionStatus::is_true));
        let has = |t: &[Taint], k: &str| t.iter().any(|x| same_taint(x, k, "NoExecute"));
        match want_noexecute {
            Some(k) if !all_down => {
                let other = if k == TAINT_NOT_READY { TAINT_UNREACHABLE } else { TAINT_NOT_READY };
                if has(&taints, other) {
                    // swap straight away
                    taints.retain(|t| !same_taint(t, other, "NoExecute"));
                    taints.push(Taint { key: k.into(), value: String::new(), effect: "NoExecute".into(), time_added: Some(now) });
                } else if !has(&taints, k) {
                    let z = zone(node);
                    let next = self.zone_next.get(&z).copied().unwrap_or(Time(0));
                    if now >= next {
                        taints.push(Taint { key: k.into(), value: String::new(), effect: "NoExecute".into(), time_added: Some(now) });
                        self.zone_next.insert(z, now.plus(EVICTION_INTERVAL));
                    } else {
                        cx.api.wake_at(next, Ctl::NodeLifecycle, ObjRef::new(Kind::Node, "", &node.metadata.name));
                    }
                }
            }
            _ => taints.retain(|t| !(t.effect == "NoExecute" && (t.key == TAINT_NOT_READY || t.key == TAINT_UNREACHABLE))),
        }
        if taints != node.spec.taints {
            let mut n = node.clone();
            n.spec.taints = taints;
            let _ = cx.api.update(Object::Node(n));
        }
    }
}

/// MarkPodsNotReady: the pods of an unreachable node are not Ready any more.
fn mark_pods_not_ready(cx: &mut Cx, node: &str) {
    let now = cx.api.now;
    let pods: Vec<Pod> = cx.api.store.pods_on_node(node).cloned().collect();
    for mut p in pods {
        let Some(c) = get_condition(&p.status.conditions, &ConditionType::Ready) else { continue };
        if c.status == ConditionStatus::False {
            continue;
        }
        let not_ready = PodCondition { status: ConditionStatus::False, last_transition_time: Some(now), ..c.clone() };
        set_condition(&mut p.status.conditions, not_ready);
        if cx.api.update_status(Object::Pod(p.clone())).is_ok() {
            cx.api.event(&Object::Pod(p), "Warning", "NodeNotReady", "Node is not ready", COMPONENT);
        }
    }
}
