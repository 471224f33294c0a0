//! kube-scheduler: the scheduling queue and one scheduling profile
//! (`default-scheduler`) with the default plugins that matter here.
//!
//! Filters run in the order of the default profile (pkg/scheduler/apis/config/v1/
//! default_plugins.go): NodeUnschedulable, NodeName, TaintToleration,
//! NodeAffinity, NodePorts, NodeResourcesFit, the volume plugins (through the
//! storage seam), PodTopologySpread and InterPodAffinity. A node's status is
//! the first failing plugin's, as the framework's RunFilterPlugins stops
//! there. Scores: NodeResourcesFit (LeastAllocated), BalancedAllocation,
//! TaintToleration, NodeAffinity, PodTopologySpread (with the system default
//! constraints that spread the pods of one owner over nodes and zones) and
//! InterPodAffinity, with the default weights; ties are broken with the one
//! seeded generator, as selectHost samples among equal scores.
//!
//! The queue follows scheduling_queue.go: a failed pod waits in the
//! unschedulable pool until an event that may help (a node added or changed,
//! a pod deleted, a claim or volume changed) moves it back, and not before
//! its back-off (1 s doubling to 10 s) has passed; pods left unschedulable
//! for 5 minutes are retried anyway.

use crate::engine::api::*;
use crate::engine::apiserver::Api;
use crate::engine::controllers::{Controller, Ctl, Cx, WorkQueue};
use crate::engine::storage::scheduling::{self as volumes, PreBind};
use crate::engine::store::{Change, Op};
use crate::engine::time::{MINUTE, Millis, SECOND, Time};
use std::collections::{BTreeMap, BTreeSet};

pub const SCHEDULER_NAME: &str = "default-scheduler";

const INITIAL_BACKOFF: Millis = SECOND;
const MAX_BACKOFF: Millis = 10 * SECOND;
/// podMaxInUnschedulablePodsDuration.
const MAX_UNSCHEDULABLE: Millis = 5 * MINUTE;

/// The framework's status codes that matter for messages and preemption.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    /// Unschedulable: removing pods might help (preemption considers the node).
    Unschedulable,
    /// UnschedulableAndUnresolvable: preemption cannot help.
    Unresolvable,
}

/// Why one node was filtered out: a code and the reasons counted in the message.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeStatus {
    pub code: Code,
    pub reasons: Vec<String>,
}

impl NodeStatus {
    fn new(code: Code, reason: impl Into<String>) -> NodeStatus {
        NodeStatus { code, reasons: vec![reason.into()] }
    }
}

#[derive(Clone, Debug)]
struct Queued {
    uid: String,
    attempts: u32,
    backoff_until: Time,
    /// In the unschedulable pool (waiting for an event), since when.
    parked_at: Option<Time>,
}

#[derive(Clone, Debug)]
struct Assumed {
    uid: String,
    node: String,
}

#[derive(Default)]
pub struct Scheduler {
    queued: BTreeMap<ObjKey, Queued>,
    /// Pods whose volumes are being bound (PreBind said Waiting): they hold
    /// their place on the node.
    assumed: BTreeMap<ObjKey, Assumed>,
    /// Every bound pod's requests (plain and non-zero), by uid: a pod's
    /// container resources never change, and every decision sums them for
    /// all the pods of every node. A cache only: never iterated.
    requests: RequestCache,
}

type RequestCache = std::collections::HashMap<String, (Resources, Resources)>;

/// Is this pod the default scheduler's to place?
pub fn responsible_for(p: &Pod) -> bool {
    p.spec.node_name.is_empty()
        && (p.spec.scheduler_name.is_empty() || p.spec.scheduler_name == SCHEDULER_NAME)
        && p.metadata.deletion_timestamp.is_none()
        && p.status.phase != "Succeeded"
        && p.status.phase != "Failed"
}

/// Does this pod hold resources on its node (bound and not terminal)?
fn occupies(p: &Pod) -> bool {
    !p.spec.node_name.is_empty() && p.status.phase != "Succeeded" && p.status.phase != "Failed"
}

impl Scheduler {
    pub fn new() -> Scheduler {
        Scheduler::default()
    }

    /// Moves every pod of the unschedulable pool back to the queue.
    fn activate_all(&mut self, queue: &mut WorkQueue) {
        for (k, q) in self.queued.iter_mut() {
            if q.parked_at.take().is_some() {
                queue.add(ObjRef { kind: Kind::Pod, key: k.clone() });
            }
        }
    }

    fn requeue_assumed(&self, queue: &mut WorkQueue) {
        for k in self.assumed.keys() {
            queue.add(ObjRef { kind: Kind::Pod, key: k.clone() });
        }
    }

    fn forget(&mut self, key: &ObjKey) {
        self.queued.remove(key);
        self.assumed.remove(key);
    }

    fn record_failure(&mut self, cx: &mut Cx, pod: &Pod, message: &str) {
        let now = cx.api.now;
        let key = pod.key();
        let q = self.queued.entry(key.clone()).or_insert_with(|| Queued { uid: pod.metadata.uid.clone(), attempts: 0, backoff_until: now, parked_at: None });
        q.attempts += 1;
        let backoff = (INITIAL_BACKOFF << (q.attempts - 1).min(10)).min(MAX_BACKOFF);
        q.backoff_until = now.plus(backoff);
        q.parked_at = Some(now);
        // flushUnschedulablePodsLeftover: housekeeping, not a reason to keep settling.
        cx.api.wake_idle_at(now.plus(MAX_UNSCHEDULABLE), Ctl::Scheduler, ObjRef { kind: Kind::Pod, key: key.clone() });
        cx.api.event(&Object::Pod(pod.clone()), "Warning", "FailedScheduling", message, SCHEDULER_NAME);
        // PodScheduled=False, reason Unschedulable (updatePod in schedule_one.go).
        let mut np = pod.clone();
        let generation = np.metadata.generation;
        let changed = match np.status.conditions.iter_mut().find(|c| c.type_ == "PodScheduled") {
            Some(c) => {
                let changed = c.status != "False" || c.reason != "Unschedulable" || c.message != message;
                if c.status != "False" {
                    c.last_transition_time = Some(now);
                }
                c.status = "False".into();
                c.reason = "Unschedulable".into();
                c.message = message.into();
                c.observed_generation = generation;
                changed
            }
            None => {
                np.status.conditions.push(PodCondition {
                    type_: "PodScheduled".into(),
                    status: "False".into(),
                    observed_generation: generation,
                    last_probe_time: None,
                    last_transition_time: Some(now),
                    reason: "Unschedulable".into(),
                    message: message.into(),
                });
                true
            }
        };
        if changed {
            let _ = cx.api.update_status(Object::Pod(np));
        }
    }

    fn bind(&mut self, cx: &mut Cx, pod: &Pod, node: &str) {
        let key = pod.key();
        match cx.api.bind(&pod.metadata.namespace, &pod.metadata.name, &pod.metadata.uid, node) {
            Ok(bound) => {
                self.forget(&key);
                cx.api.event(
                    &bound,
                    "Normal",
                    "Scheduled",
                    &format!("Successfully assigned {}/{} to {node}", pod.metadata.namespace, pod.metadata.name),
                    SCHEDULER_NAME,
                );
            }
            Err(e) => {
                self.assumed.remove(&key);
                let msg = format!("binding rejected: running Bind plugin \"DefaultBinder\": {}", e.message);
                self.record_failure(cx, pod, &msg);
            }
        }
    }

    fn schedule_one(&mut self, cx: &mut Cx, pod: &Pod) {
        match find_node(cx, pod, &self.assumed, &mut self.requests) {
            Ok(node) => {
                self.assumed.insert(pod.key(), Assumed { uid: pod.metadata.uid.clone(), node: node.clone() });
                self.pre_bind(cx, pod, &node);
            }
            Err(msg) => self.record_failure(cx, pod, &msg),
        }
    }

    fn pre_bind(&mut self, cx: &mut Cx, pod: &Pod, node: &str) {
        match volumes::pre_bind(cx, pod, node) {
            PreBind::Ready => self.bind(cx, pod, node),
            PreBind::Waiting => {}
            PreBind::Failed(msg) => {
                self.assumed.remove(&pod.key());
                self.record_failure(cx, pod, &msg);
            }
        }
    }
}

impl Controller for Scheduler {
    fn id(&self) -> Ctl {
        Ctl::Scheduler
    }

    fn watch(&mut self, change: &Change, _api: &Api, queue: &mut WorkQueue) {
        match change.kind {
            Kind::Pod => {
                let (old, new) = change.typed::<Pod>();
                if let (Some(o), None) = (old, new) {
                    self.requests.remove(&o.metadata.uid);
                }
                let key = change.key.clone();
                let r = ObjRef { kind: Kind::Pod, key: key.clone() };
                match new {
                    Some(p) if responsible_for(p) => {
                        let relevant = match old {
                            None => true,
                            // status-only updates (our own condition writes) do not requeue (isPodUpdated)
                            Some(o) => {
                                o.spec != p.spec
                                    || o.metadata.labels != p.metadata.labels
                                    || o.metadata.annotations != p.metadata.annotations
                                    || o.metadata.uid != p.metadata.uid
                            }
                        };
                        if relevant {
                            if let Some(q) = self.queued.get_mut(&key) {
                                q.parked_at = None;
                            }
                            queue.add(r);
                        }
                    }
                    _ => {
                        if self.queued.contains_key(&key) || self.assumed.contains_key(&key) {
                            queue.add(r);
                        }
                    }
                }
                // A pod leaving a node (deleted, finished) frees room: AssignedPodDelete.
                let freed = match (old, new) {
                    (Some(o), None) => occupies(o),
                    (Some(o), Some(n)) => occupies(o) && (!occupies(n) || o.spec.node_name != n.spec.node_name),
                    _ => false,
                };
                if freed {
                    self.activate_all(queue);
                }
            }
            Kind::Node => {
                let (old, new) = change.typed::<Node>();
                let relevant = match (old, new) {
                    (None, Some(_)) => true,
                    (Some(o), Some(n)) => {
                        o.metadata.labels != n.metadata.labels
                            || o.spec.taints != n.spec.taints
                            || o.spec.unschedulable != n.spec.unschedulable
                            || o.status.allocatable != n.status.allocatable
                    }
                    _ => false,
                };
                if relevant {
                    self.activate_all(queue);
                }
            }
            Kind::PersistentVolumeClaim | Kind::PersistentVolume | Kind::StorageClass | Kind::CsiNode | Kind::CsiDriver | Kind::VolumeAttachment => {
                if change.op != Op::Deleted || matches!(change.kind, Kind::PersistentVolumeClaim | Kind::VolumeAttachment) {
                    self.activate_all(queue);
                }
                if matches!(change.kind, Kind::PersistentVolumeClaim | Kind::PersistentVolume) {
                    self.requeue_assumed(queue);
                }
            }
            _ => {}
        }
    }

    fn sync(&mut self, key: &ObjRef, cx: &mut Cx) {
        if key.kind != Kind::Pod {
            return;
        }
        let now = cx.api.now;
        let Some(pod) = cx.api.get_t::<Pod>(&key.key.namespace, &key.key.name).cloned() else {
            self.forget(&key.key);
            return;
        };
        if !responsible_for(&pod) {
            self.forget(&key.key);
            return;
        }
        if let Some(a) = self.assumed.get(&key.key).cloned() {
            if a.uid == pod.metadata.uid {
                self.pre_bind(cx, &pod, &a.node);
                return;
            }
            self.assumed.remove(&key.key);
        }
        let q =
            self.queued.entry(key.key.clone()).or_insert_with(|| Queued { uid: pod.metadata.uid.clone(), attempts: 0, backoff_until: now, parked_at: None });
        if q.uid != pod.metadata.uid {
            *q = Queued { uid: pod.metadata.uid.clone(), attempts: 0, backoff_until: now, parked_at: None };
        }
        if let Some(since) = q.parked_at {
            if now < since.plus(MAX_UNSCHEDULABLE) {
                return;
            }
            q.parked_at = None;
        }
        if now < q.backoff_until {
            let at = q.backoff_until;
            cx.api.wake_at(at, Ctl::Scheduler, key.clone());
            return;
        }
        self.schedule_one(cx, &pod);
    }
}

// ---------------------------------------------------------------- the algorithm

/// What is already on a node: requests of the pods bound (or assumed) there.
#[derive(Clone, Debug, Default)]
pub struct NodeUsage<'a> {
    /// Borrowed from the store: scheduling a pod must not copy every pod.
    pub pods: Vec<&'a Pod>,
    pub requested: Resources,
    pub non_zero: Resources,
}

/// Requests in integer units: cpu in millicores, the rest in base units.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Resources {
    pub milli_cpu: i64,
    pub memory: i64,
    pub ephemeral_storage: i64,
    pub scalar: BTreeMap<String, i64>,
}

impl Resources {
    fn add(&mut self, o: &Resources) {
        self.milli_cpu += o.milli_cpu;
        self.memory += o.memory;
        self.ephemeral_storage += o.ephemeral_storage;
        for (k, v) in &o.scalar {
            *self.scalar.entry(k.clone()).or_default() += v;
        }
    }
    fn max(&mut self, o: &Resources) {
        self.milli_cpu = self.milli_cpu.max(o.milli_cpu);
        self.memory = self.memory.max(o.memory);
        self.ephemeral_storage = self.ephemeral_storage.max(o.ephemeral_storage);
        for (k, v) in &o.scalar {
            let e = self.scalar.entry(k.clone()).or_default();
            *e = (*e).max(*v);
        }
    }
    fn from_list(l: &ResourceList) -> Resources {
        let mut r = Resources::default();
        for (k, q) in l {
            match k.as_str() {
                "cpu" => r.milli_cpu = q.milli_value(),
                "memory" => r.memory = q.value(),
                "ephemeral-storage" => r.ephemeral_storage = q.value(),
                "pods" => {}
                _ if k.starts_with("hugepages-") || k.contains('/') => {
                    r.scalar.insert(k.clone(), q.value());
                }
                _ => {}
            }
        }
        r
    }
}

/// The default requests the scoring uses for containers that set none
/// (schedutil.DefaultMilliCPURequest / DefaultMemoryRequest).
const DEFAULT_MILLI_CPU: i64 = 100;
const DEFAULT_MEMORY: i64 = 200 * 1024 * 1024;

/// A pod's effective requests (resourcehelper.PodRequests): the sum over
/// containers, at least the largest init container; `non_zero` fills in the
/// scoring defaults.
pub fn pod_requests(p: &Pod, non_zero: bool) -> Resources {
    let one = |c: &Container| {
        let mut r = Resources::from_list(&c.resources.requests);
        if non_zero {
            if !c.resources.requests.contains_key("cpu") {
                r.milli_cpu = DEFAULT_MILLI_CPU;
            }
            if !c.resources.requests.contains_key("memory") {
                r.memory = DEFAULT_MEMORY;
            }
        }
        r
    };
    let mut sum = Resources::default();
    for c in &p.spec.containers {
        sum.add(&one(c));
    }
    let mut sidecars = Resources::default();
    for c in &p.spec.init_containers {
        if c.restart_policy.as_deref() == Some("Always") {
            sidecars.add(&one(c));
            sum.add(&one(c));
        } else {
            let mut r = one(c);
            r.add(&sidecars);
            sum.max(&r);
        }
    }
    sum
}

fn node_usage<'a>(api: &'a Api, node: &str, assumed: &BTreeMap<ObjKey, Assumed>, exclude: &ObjKey, cache: &mut RequestCache) -> NodeUsage<'a> {
    let mut u = NodeUsage::default();
    let mut add = |p: &'a Pod| {
        let (plain, non_zero) = cache.entry(p.metadata.uid.clone()).or_insert_with(|| (pod_requests(p, false), pod_requests(p, true)));
        u.requested.add(plain);
        u.non_zero.add(non_zero);
        u.pods.push(p);
    };
    for p in api.store.pods_on_node(node) {
        if occupies(p) && &p.key() != exclude {
            add(p);
        }
    }
    for (k, a) in assumed {
        if a.node == node && k != exclude {
            if let Some(p) = api.get_t::<Pod>(&k.namespace, &k.name) {
                if p.spec.node_name.is_empty() {
                    add(p);
                }
            }
        }
    }
    u
}

fn allocatable(n: &Node) -> (Resources, i64) {
    let r = Resources::from_list(&n.status.allocatable);
    let pods = n.status.allocatable.get("pods").map(|q| q.value()).unwrap_or(0);
    (r, pods)
}

/// v1helper.FindMatchingUntoleratedTaint over the taints that keep pods off
/// (NoSchedule, NoExecute).
pub fn untolerated_taint<'a>(taints: &'a [Taint], tolerations: &[Toleration], effects: &[&str]) -> Option<&'a Taint> {
    taints.iter().filter(|t| effects.contains(&t.effect.as_str())).find(|t| !tolerations.iter().any(|tol| tol.tolerates(t)))
}

/// NodeAffinity's filter: spec.nodeSelector and required node affinity.
pub fn matches_node_selector(pod: &Pod, node: &Node) -> bool {
    if !pod.spec.node_selector.iter().all(|(k, v)| node.metadata.labels.get(k) == Some(v)) {
        return false;
    }
    match pod.spec.affinity.as_ref().and_then(|a| a.node_affinity.as_ref()).and_then(|na| na.required_during_scheduling_ignored_during_execution.as_ref()) {
        Some(sel) => sel.matches(node),
        None => true,
    }
}

fn host_ports(p: &Pod) -> Vec<(String, String, i32)> {
    p.spec
        .containers
        .iter()
        .chain(p.spec.init_containers.iter())
        .flat_map(|c| c.ports.iter())
        .filter(|port| port.host_port > 0)
        .map(|port| {
            (
                if port.host_ip.is_empty() { "0.0.0.0".to_string() } else { port.host_ip.clone() },
                if port.protocol.is_empty() { "TCP".to_string() } else { port.protocol.clone() },
                port.host_port,
            )
        })
        .collect()
}

fn ports_conflict(want: &[(String, String, i32)], used: &[(String, String, i32)]) -> bool {
    want.iter()
        .any(|(ip, proto, port)| used.iter().any(|(uip, uproto, uport)| uport == port && uproto == proto && (ip == uip || ip == "0.0.0.0" || uip == "0.0.0.0")))
}

/// A pod affinity term from the opaque affinity JSON.
#[derive(Clone, Debug, Default)]
struct AffinityTerm {
    selector: LabelSelector,
    namespaces: Vec<String>,
    topology_key: String,
}

fn parse_terms(v: Option<&serde_json::Value>, key: &str) -> Vec<AffinityTerm> {
    let Some(arr) = v.and_then(|v| v.get(key)).and_then(|x| x.as_array()) else { return vec![] };
    arr.iter().map(parse_term).collect()
}

fn parse_term(t: &serde_json::Value) -> AffinityTerm {
    AffinityTerm {
        selector: t.get("labelSelector").and_then(|s| serde_json::from_value(s.clone()).ok()).unwrap_or_default(),
        namespaces: t.get("namespaces").and_then(|n| serde_json::from_value(n.clone()).ok()).unwrap_or_default(),
        topology_key: t.get("topologyKey").and_then(|k| k.as_str()).unwrap_or("").to_string(),
    }
}

fn parse_weighted(v: Option<&serde_json::Value>) -> Vec<(i64, AffinityTerm)> {
    let Some(arr) = v.and_then(|v| v.get("preferredDuringSchedulingIgnoredDuringExecution")).and_then(|x| x.as_array()) else { return vec![] };
    arr.iter().map(|w| (w.get("weight").and_then(|x| x.as_i64()).unwrap_or(0), w.get("podAffinityTerm").map(parse_term).unwrap_or_default())).collect()
}

impl AffinityTerm {
    fn matches_pod(&self, owner_ns: &str, p: &Pod) -> bool {
        let ns_ok = if self.namespaces.is_empty() { p.metadata.namespace == owner_ns } else { self.namespaces.contains(&p.metadata.namespace) };
        ns_ok && self.selector.matches(&p.metadata.labels)
    }
}

/// Explicit topologySpreadConstraints from the opaque JSON.
#[derive(Clone, Debug)]
struct SpreadConstraint {
    max_skew: i64,
    topology_key: String,
    hard: bool,
    selector: LabelSelector,
}

fn spread_constraints(pod: &Pod) -> Vec<SpreadConstraint> {
    pod.spec
        .topology_spread_constraints
        .iter()
        .map(|c| SpreadConstraint {
            max_skew: c.get("maxSkew").and_then(|x| x.as_i64()).unwrap_or(1).max(1),
            topology_key: c.get("topologyKey").and_then(|x| x.as_str()).unwrap_or("").to_string(),
            hard: c.get("whenUnsatisfiable").and_then(|x| x.as_str()).unwrap_or("DoNotSchedule") == "DoNotSchedule",
            selector: c.get("labelSelector").and_then(|s| serde_json::from_value(s.clone()).ok()).unwrap_or_default(),
        })
        .collect()
}

/// The selector the system default spreading uses (DefaultSelector): the
/// labels required by the Services selecting the pod and by its controller.
fn default_spread_selector(api: &Api, pod: &Pod) -> Option<LabelSelector> {
    let mut sel = LabelSelector::default();
    for s in api.store.list_ns_t::<Service>(&pod.metadata.namespace) {
        if !s.spec.selector.is_empty() && s.spec.selector.iter().all(|(k, v)| pod.metadata.labels.get(k) == Some(v)) {
            sel.match_labels.extend(s.spec.selector.clone());
        }
    }
    if let Some(cr) = pod.metadata.controller_ref() {
        let owner_sel = match cr.kind.as_str() {
            "ReplicaSet" => api.get_t::<ReplicaSet>(&pod.metadata.namespace, &cr.name).and_then(|r| r.spec.selector.clone()),
            "StatefulSet" => api.get_t::<StatefulSet>(&pod.metadata.namespace, &cr.name).and_then(|r| r.spec.selector.clone()),
            _ => None,
        };
        if let Some(os) = owner_sel {
            sel.match_labels.extend(os.match_labels);
            sel.match_expressions.extend(os.match_expressions);
        }
    }
    (!sel.is_empty()).then_some(sel)
}

/// Runs the filters for one node; `None` when the pod fits.
#[allow(clippy::too_many_arguments)]
fn filter_node(
    api: &Api,
    pod: &Pod,
    node: &Node,
    usage: &NodeUsage<'_>,
    all: &[(&Node, NodeUsage<'_>)],
    existing_anti: &[ExistingAnti<'_>],
    requests: &Resources,
    rwop_conflict: bool,
) -> Option<NodeStatus> {
    // NodeUnschedulable
    if node.spec.unschedulable {
        let t = Taint { key: "node.kubernetes.io/unschedulable".into(), effect: "NoSchedule".into(), ..Default::default() };
        if !pod.spec.tolerations.iter().any(|tol| tol.tolerates(&t)) {
            return Some(NodeStatus::new(Code::Unresolvable, "node(s) were unschedulable"));
        }
    }
    // NodeName
    if !pod.spec.node_name.is_empty() && pod.spec.node_name != node.metadata.name {
        return Some(NodeStatus::new(Code::Unresolvable, "node(s) didn't match the requested node name"));
    }
    // TaintToleration
    if untolerated_taint(&node.spec.taints, &pod.spec.tolerations, &["NoSchedule", "NoExecute"]).is_some() {
        return Some(NodeStatus::new(Code::Unresolvable, "node(s) had untolerated taint(s)"));
    }
    // NodeAffinity
    if !matches_node_selector(pod, node) {
        return Some(NodeStatus::new(Code::Unresolvable, "node(s) didn't match Pod's node affinity/selector"));
    }
    // NodePorts
    let want = host_ports(pod);
    if !want.is_empty() {
        let used: Vec<_> = usage.pods.iter().flat_map(|p| host_ports(p)).collect();
        if ports_conflict(&want, &used) {
            return Some(NodeStatus::new(Code::Unschedulable, "node(s) didn't have free ports for the requested pod ports"));
        }
    }
    // NodeResourcesFit
    let (alloc, max_pods) = allocatable(node);
    let mut reasons = vec![];
    let mut code = Code::Unschedulable;
    if usage.pods.len() as i64 + 1 > max_pods {
        reasons.push("Too many pods".to_string());
    }
    let mut check = |name: &str, want: i64, have: i64, used: i64| {
        if want > 0 && want > have - used {
            reasons.push(format!("Insufficient {name}"));
            if want > have {
                code = Code::Unresolvable;
            }
        }
    };
    check("cpu", requests.milli_cpu, alloc.milli_cpu, usage.requested.milli_cpu);
    check("memory", requests.memory, alloc.memory, usage.requested.memory);
    check("ephemeral-storage", requests.ephemeral_storage, alloc.ephemeral_storage, usage.requested.ephemeral_storage);
    for (k, v) in &requests.scalar {
        check(k, *v, alloc.scalar.get(k).copied().unwrap_or(0), usage.requested.scalar.get(k).copied().unwrap_or(0));
    }
    if !reasons.is_empty() {
        return Some(NodeStatus { code, reasons });
    }
    // VolumeRestrictions, NodeVolumeLimits, VolumeBinding, VolumeZone
    if let Err(reason) = volumes::filter(api, pod, node, rwop_conflict) {
        let code = if reason.contains("exceed max volume count") || reason.contains("no available disk") || reason.contains("ReadWriteOncePod") {
            Code::Unschedulable
        } else {
            Code::Unresolvable
        };
        return Some(NodeStatus::new(code, reason));
    }
    // PodTopologySpread (hard constraints)
    for c in spread_constraints(pod).iter().filter(|c| c.hard) {
        let Some(value) = node.metadata.labels.get(&c.topology_key) else {
            return Some(NodeStatus::new(Code::Unresolvable, "node(s) didn't match pod topology spread constraints (missing required label)"));
        };
        // counts per domain over nodes that pass the pod's node affinity and have the key
        let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
        for (n, u) in all {
            if !matches_node_selector(pod, n) {
                continue;
            }
            let Some(v) = n.metadata.labels.get(&c.topology_key) else { continue };
            let cnt = u
                .pods
                .iter()
                .filter(|p| p.metadata.namespace == pod.metadata.namespace && p.metadata.deletion_timestamp.is_none() && c.selector.matches(&p.metadata.labels))
                .count() as i64;
            *counts.entry(v.as_str()).or_default() += cnt;
        }
        let min = counts.values().copied().min().unwrap_or(0);
        let self_match = i64::from(c.selector.matches(&pod.metadata.labels));
        let here = counts.get(value.as_str()).copied().unwrap_or(0);
        if here + self_match - min > c.max_skew {
            return Some(NodeStatus::new(Code::Unschedulable, "node(s) didn't match pod topology spread constraints"));
        }
    }
    // InterPodAffinity
    if let Some(st) = inter_pod_affinity_filter(pod, node, all, existing_anti) {
        return Some(st);
    }
    None
}

fn same_domain(a: &Node, b: &Node, key: &str) -> bool {
    match (a.metadata.labels.get(key), b.metadata.labels.get(key)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// An existing pod with required anti-affinity terms, and its node (found
/// once per scheduling attempt, like the scheduler's NodeInfo
/// PodsWithRequiredAntiAffinity list, not once per node filtered).
pub struct ExistingAnti<'a> {
    node: &'a Node,
    namespace: &'a str,
    terms: Vec<AffinityTerm>,
}

fn existing_anti_affinity<'a>(all: &[(&'a Node, NodeUsage<'a>)]) -> Vec<ExistingAnti<'a>> {
    let mut out = vec![];
    for (n, u) in all {
        for p in &u.pods {
            if p.spec.affinity.as_ref().is_some_and(|a| a.pod_anti_affinity.is_some()) {
                let terms = parse_terms(p.spec.affinity.as_ref().and_then(|a| a.pod_anti_affinity.as_ref()), "requiredDuringSchedulingIgnoredDuringExecution");
                if !terms.is_empty() {
                    out.push(ExistingAnti { node: n, namespace: &p.metadata.namespace, terms });
                }
            }
        }
    }
    out
}

fn inter_pod_affinity_filter(pod: &Pod, node: &Node, all: &[(&Node, NodeUsage<'_>)], existing_anti: &[ExistingAnti<'_>]) -> Option<NodeStatus> {
    let aff = pod.spec.affinity.as_ref();
    // existing pods' anti-affinity against this pod
    for e in existing_anti {
        if e.terms.iter().any(|t| t.matches_pod(e.namespace, pod) && same_domain(e.node, node, &t.topology_key)) {
            return Some(NodeStatus::new(Code::Unschedulable, "node(s) didn't satisfy existing pods anti-affinity rules"));
        }
    }
    if aff.is_none_or(|a| a.pod_affinity.is_none() && a.pod_anti_affinity.is_none()) {
        return None;
    }
    let affinity = parse_terms(aff.and_then(|a| a.pod_affinity.as_ref()), "requiredDuringSchedulingIgnoredDuringExecution");
    let anti = parse_terms(aff.and_then(|a| a.pod_anti_affinity.as_ref()), "requiredDuringSchedulingIgnoredDuringExecution");
    for t in &affinity {
        let mut any_match = false;
        let mut here = false;
        for (n, u) in all {
            for p in &u.pods {
                if t.matches_pod(&pod.metadata.namespace, p) {
                    any_match = true;
                    if same_domain(n, node, &t.topology_key) {
                        here = true;
                    }
                }
            }
        }
        // a pod may satisfy its own affinity when nothing matches yet (the first replica)
        let self_ok = !any_match && t.matches_pod(&pod.metadata.namespace, pod) && node.metadata.labels.contains_key(&t.topology_key);
        if !here && !self_ok {
            return Some(NodeStatus::new(Code::Unresolvable, "node(s) didn't match pod affinity rules"));
        }
    }
    for t in &anti {
        for (n, u) in all {
            if u.pods.iter().any(|p| t.matches_pod(&pod.metadata.namespace, p)) && same_domain(n, node, &t.topology_key) {
                return Some(NodeStatus::new(Code::Unschedulable, "node(s) didn't match pod anti-affinity rules"));
            }
        }
    }
    None
}

/// FitError.Error(): `0/3 nodes are available: <histogram>.`
pub fn fit_error_message(total: usize, statuses: &BTreeMap<String, NodeStatus>, absent: Option<&str>) -> String {
    let mut hist: BTreeMap<&str, usize> = BTreeMap::new();
    for st in statuses.values() {
        for r in &st.reasons {
            *hist.entry(r.as_str()).or_default() += 1;
        }
    }
    if let Some(a) = absent {
        if statuses.len() < total {
            *hist.entry(a).or_default() += total - statuses.len();
        }
    }
    let mut parts: Vec<String> = hist.iter().map(|(r, n)| format!("{n} {r}")).collect();
    crate::engine::sort::sort(&mut parts);
    let mut msg = format!("0/{total} nodes are available:");
    if !parts.is_empty() {
        msg.push_str(&format!(" {}.", parts.join(", ")));
    }
    msg
}

/// The PostFilter plugins' message: DynamicResources (no claims) then
/// DefaultPreemption. Pods here all have the default priority, so there are
/// never lower-priority victims: nodes that failed on resources or ports
/// report "No preemption victims found for incoming pod".
fn post_filter_message(pod: &Pod, total: usize, statuses: &BTreeMap<String, NodeStatus>) -> String {
    let preemption = if pod.spec.preemption_policy.as_deref() == Some("Never") {
        "not eligible due to preemptionPolicy=Never.".to_string()
    } else {
        let potential: BTreeMap<String, NodeStatus> = statuses
            .iter()
            .filter(|(_, s)| s.code == Code::Unschedulable)
            .map(|(n, _)| (n.clone(), NodeStatus::new(Code::Unresolvable, "No preemption victims found for incoming pod")))
            .collect();
        fit_error_message(total, &potential, Some("Preemption is not helpful for scheduling"))
    };
    format!("no new claims to deallocate, preemption: {preemption}")
}

/// One scheduling attempt: the chosen node, or the FailedScheduling message.
fn find_node(cx: &mut Cx, pod: &Pod, assumed: &BTreeMap<ObjKey, Assumed>, cache: &mut RequestCache) -> Result<String, String> {
    let api = &*cx.api;
    let nodes: Vec<&Node> = api.store.list_t::<Node>().collect();
    if nodes.is_empty() {
        return Err("no nodes available to schedule pods".into());
    }
    let total = nodes.len();
    if let Err(msg) = volumes::pre_filter(api, pod) {
        // PreFilter rejected: DynamicResources' PostFilter finds no state of its
        // own (its PreFilter never ran) and reports the cycle state's "not found".
        return Err(format!("0/{total} nodes are available: {msg}. not found"));
    }
    let key = pod.key();
    let usages: Vec<(&Node, NodeUsage<'_>)> = nodes.iter().map(|n| (*n, node_usage(api, &n.metadata.name, assumed, &key, cache))).collect();
    let requests = pod_requests(pod, false);
    let existing_anti = existing_anti_affinity(&usages);
    let rwop_conflict = volumes::read_write_once_pod_conflict(api, pod, &|k| assumed.contains_key(k));
    let mut statuses: BTreeMap<String, NodeStatus> = BTreeMap::new();
    let mut feasible: Vec<usize> = vec![];
    for (i, (n, u)) in usages.iter().enumerate() {
        match filter_node(api, pod, n, u, &usages, &existing_anti, &requests, rwop_conflict) {
            Some(st) => {
                statuses.insert(n.metadata.name.clone(), st);
            }
            None => feasible.push(i),
        }
    }
    if feasible.is_empty() {
        let msg = fit_error_message(total, &statuses, None);
        return Err(format!("{msg} {}", post_filter_message(pod, total, &statuses)));
    }
    if feasible.len() == 1 {
        return Ok(usages[feasible[0]].0.metadata.name.clone());
    }
    drop(existing_anti);
    let scores = score_nodes(api, pod, &usages, &feasible);
    let best = scores.iter().copied().max().unwrap_or(0);
    let ties: Vec<String> = feasible.iter().zip(scores.iter()).filter(|(_, s)| **s == best).map(|(i, _)| usages[*i].0.metadata.name.clone()).collect();
    drop(usages);
    let pick = if ties.len() == 1 { 0 } else { cx.api.rng.below(ties.len() as u64) as usize };
    Ok(ties[pick].clone())
}

const MAX_NODE_SCORE: i64 = 100;

/// Weighted sum of the default score plugins for each feasible node.
fn score_nodes(api: &Api, pod: &Pod, usages: &[(&Node, NodeUsage<'_>)], feasible: &[usize]) -> Vec<i64> {
    let req = pod_requests(pod, true);
    let mut total = vec![0i64; feasible.len()];
    // NodeResourcesFit (LeastAllocated, cpu and memory weighted 1) and BalancedAllocation.
    for (j, &i) in feasible.iter().enumerate() {
        let (n, u) = &usages[i];
        let (alloc, _) = allocatable(n);
        let frac = |used: i64, want: i64, cap: i64| -> (i64, f64) {
            if cap <= 0 {
                return (0, 1.0);
            }
            let r = used + want;
            let least = if r > cap { 0 } else { (cap - r) * MAX_NODE_SCORE / cap };
            (least, (r as f64 / cap as f64).min(1.0))
        };
        let (lc, fc) = frac(u.non_zero.milli_cpu, req.milli_cpu, alloc.milli_cpu);
        let (lm, fm) = frac(u.non_zero.memory, req.memory, alloc.memory);
        let least = (lc + lm) / 2;
        let mean = (fc + fm) / 2.0;
        let std = (((fc - mean).powi(2) + (fm - mean).powi(2)) / 2.0).sqrt();
        let balanced = ((1.0 - std) * MAX_NODE_SCORE as f64) as i64;
        total[j] += least + balanced;
    }
    // TaintToleration (weight 3): fewer untolerated PreferNoSchedule taints is better.
    let counts: Vec<i64> = feasible
        .iter()
        .map(|&i| {
            usages[i].0.spec.taints.iter().filter(|t| t.effect == "PreferNoSchedule" && !pod.spec.tolerations.iter().any(|tol| tol.tolerates(t))).count() as i64
        })
        .collect();
    let max = counts.iter().copied().max().unwrap_or(0);
    for (j, c) in counts.iter().enumerate() {
        total[j] += 3 * if max == 0 { MAX_NODE_SCORE } else { MAX_NODE_SCORE - c * MAX_NODE_SCORE / max };
    }
    // NodeAffinity (weight 2): preferred terms.
    let preferred = pod
        .spec
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .map(|na| na.preferred_during_scheduling_ignored_during_execution.clone())
        .unwrap_or_default();
    if !preferred.is_empty() {
        let raw: Vec<i64> = feasible.iter().map(|&i| preferred.iter().filter(|t| t.preference.matches(usages[i].0)).map(|t| t.weight as i64).sum()).collect();
        let max = raw.iter().copied().max().unwrap_or(0);
        for (j, r) in raw.iter().enumerate() {
            total[j] += 2 * if max == 0 { 0 } else { r * MAX_NODE_SCORE / max };
        }
    }
    // PodTopologySpread (weight 2): explicit soft constraints, or the system defaults.
    let explicit: Vec<SpreadConstraint> = spread_constraints(pod).into_iter().filter(|c| !c.hard).collect();
    let constraints = if !pod.spec.topology_spread_constraints.is_empty() {
        explicit
    } else if let Some(sel) = default_spread_selector(api, pod) {
        vec![
            SpreadConstraint { max_skew: 3, topology_key: "kubernetes.io/hostname".into(), hard: false, selector: sel.clone() },
            SpreadConstraint { max_skew: 5, topology_key: "topology.kubernetes.io/zone".into(), hard: false, selector: sel },
        ]
    } else {
        vec![]
    };
    if !constraints.is_empty() {
        let mut raw = vec![0f64; feasible.len()];
        let mut applicable = vec![true; feasible.len()];
        for c in &constraints {
            // domains among the feasible nodes that carry the key
            let domains: BTreeSet<&str> = feasible.iter().filter_map(|&i| usages[i].0.metadata.labels.get(&c.topology_key).map(|s| s.as_str())).collect();
            let weight = ((domains.len() + 2) as f64).ln();
            let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
            for (n, u) in usages {
                let Some(v) = n.metadata.labels.get(&c.topology_key) else { continue };
                if !matches_node_selector(pod, n) {
                    continue;
                }
                let cnt = u
                    .pods
                    .iter()
                    .filter(|p| {
                        p.metadata.namespace == pod.metadata.namespace && p.metadata.deletion_timestamp.is_none() && c.selector.matches(&p.metadata.labels)
                    })
                    .count() as i64;
                *counts.entry(v.as_str()).or_default() += cnt;
            }
            for (j, &i) in feasible.iter().enumerate() {
                match usages[i].0.metadata.labels.get(&c.topology_key) {
                    Some(v) => raw[j] += (counts.get(v.as_str()).copied().unwrap_or(0) as f64) * weight + (c.max_skew - 1) as f64 * weight,
                    None => applicable[j] = false,
                }
            }
        }
        let vals: Vec<i64> = raw.iter().map(|r| r.round() as i64).collect();
        let present: Vec<i64> = vals.iter().zip(&applicable).filter(|(_, a)| **a).map(|(v, _)| *v).collect();
        let (min, max) = (present.iter().copied().min().unwrap_or(0), present.iter().copied().max().unwrap_or(0));
        for (j, v) in vals.iter().enumerate() {
            let s = if !applicable[j] {
                0
            } else if max == 0 {
                MAX_NODE_SCORE
            } else {
                MAX_NODE_SCORE * (max + min - v) / max
            };
            total[j] += 2 * s;
        }
    }
    // InterPodAffinity (weight 2): preferred terms of the pod.
    let aff = pod.spec.affinity.as_ref();
    let pref_aff = parse_weighted(aff.and_then(|a| a.pod_affinity.as_ref()));
    let pref_anti = parse_weighted(aff.and_then(|a| a.pod_anti_affinity.as_ref()));
    if !pref_aff.is_empty() || !pref_anti.is_empty() {
        let raw: Vec<i64> = feasible
            .iter()
            .map(|&i| {
                let node = usages[i].0;
                let mut s = 0;
                for (n, u) in usages {
                    for p in &u.pods {
                        for (w, t) in &pref_aff {
                            if t.matches_pod(&pod.metadata.namespace, p) && same_domain(n, node, &t.topology_key) {
                                s += w;
                            }
                        }
                        for (w, t) in &pref_anti {
                            if t.matches_pod(&pod.metadata.namespace, p) && same_domain(n, node, &t.topology_key) {
                                s -= w;
                            }
                        }
                    }
                }
                s
            })
            .collect();
        let (min, max) = (raw.iter().copied().min().unwrap_or(0), raw.iter().copied().max().unwrap_or(0));
        for (j, r) in raw.iter().enumerate() {
            total[j] += 2 * if max > min { (r - min) * MAX_NODE_SCORE / (max - min) } else { 0 };
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::quantity::Quantity;

    fn status(code: Code, r: &[&str]) -> NodeStatus {
        NodeStatus { code, reasons: r.iter().map(|s| s.to_string()).collect() }
    }

    #[test]
    fn fit_error_histogram_is_sorted_as_strings() {
        let mut st = BTreeMap::new();
        st.insert("node-a".to_string(), status(Code::Unresolvable, &["node(s) had untolerated taint(s)"]));
        st.insert("node-b".to_string(), status(Code::Unresolvable, &["node(s) didn't match Pod's node affinity/selector"]));
        st.insert("node-c".to_string(), status(Code::Unresolvable, &["node(s) didn't match Pod's node affinity/selector"]));
        assert_eq!(
            fit_error_message(3, &st, None),
            "0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 node(s) didn't match Pod's node affinity/selector."
        );
        let pod = Pod::default();
        assert_eq!(
            post_filter_message(&pod, 3, &st),
            "no new claims to deallocate, preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
        );
    }

    #[test]
    fn preemption_message_counts_resolvable_nodes() {
        let mut st = BTreeMap::new();
        st.insert("node-a".to_string(), status(Code::Unschedulable, &["Insufficient cpu"]));
        st.insert("node-b".to_string(), status(Code::Unschedulable, &["Insufficient cpu", "Insufficient memory"]));
        st.insert("node-c".to_string(), status(Code::Unresolvable, &["node(s) had untolerated taint(s)"]));
        assert_eq!(fit_error_message(3, &st, None), "0/3 nodes are available: 1 Insufficient memory, 1 node(s) had untolerated taint(s), 2 Insufficient cpu.");
        let pod = Pod::default();
        assert_eq!(
            post_filter_message(&pod, 3, &st),
            "no new claims to deallocate, preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod."
        );
        let mut never = Pod::default();
        never.spec.preemption_policy = Some("Never".into());
        assert_eq!(post_filter_message(&never, 3, &st), "no new claims to deallocate, preemption: not eligible due to preemptionPolicy=Never.");
    }

    #[test]
    fn requests_take_the_largest_init_container() {
        let mut p = Pod::default();
        let mut c = Container::default();
        c.resources.requests.insert("cpu".into(), Quantity::parse("250m").unwrap());
        p.spec.containers.push(c.clone());
        p.spec.containers.push(c);
        let mut init = Container::default();
        init.resources.requests.insert("cpu".into(), Quantity::parse("1").unwrap());
        init.resources.requests.insert("memory".into(), Quantity::parse("64Mi").unwrap());
        p.spec.init_containers.push(init);
        let r = pod_requests(&p, false);
        assert_eq!(r.milli_cpu, 1000);
        assert_eq!(r.memory, 64 * 1024 * 1024);
        let nz = pod_requests(&Pod { spec: PodSpec { containers: vec![Container::default()], ..Default::default() }, ..Default::default() }, true);
        assert_eq!((nz.milli_cpu, nz.memory), (100, 200 * 1024 * 1024));
    }

    #[test]
    fn host_port_conflicts() {
        let a = vec![("0.0.0.0".to_string(), "TCP".to_string(), 80)];
        let b = vec![("10.0.0.1".to_string(), "TCP".to_string(), 80)];
        let c = vec![("0.0.0.0".to_string(), "UDP".to_string(), 80)];
        assert!(ports_conflict(&a, &b));
        assert!(!ports_conflict(&a, &c));
    }
}
