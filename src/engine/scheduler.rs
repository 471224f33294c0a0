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
//! seeded generator, as selectHost samples among equal scores. When no node
//! fits, the PostFilter plugins run: DynamicResources (no claims to
//! deallocate) and DefaultPreemption (`preemption.rs`).
//!
//! The queue follows scheduling_queue.go: a failed pod waits in the
//! unschedulable pool until an event that may help (a node added or changed,
//! a pod deleted, a claim or volume changed) moves it back, and not before
//! its back-off (1 s doubling to 10 s) has passed; pods left unschedulable
//! for 5 minutes are retried anyway.

use crate::engine::api::*;
use crate::engine::apiserver::Api;
use crate::engine::control::{Controller, Ctl, Cx, WorkQueue};
use crate::engine::storage::scheduling::{self as volumes, PreBind, PreBinds};
use crate::engine::store::{Change, Op};
use crate::engine::time::{MINUTE, Millis, SECOND, Time};
use std::borrow::Cow;
use std::collections::BTreeMap;

mod cache;
mod preemption;
use cache::{Cache, Matcher, NodeInfo, Topology};
use std::rc::Rc;

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

/// Each filtered-out node's status, by node name. Boxed: the value's
/// layout was the wasm's only one (a copy of BTreeMap's code).
pub type Statuses = BTreeMap<String, Box<NodeStatus>>;

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

#[derive(Clone, Default)]
pub struct Scheduler {
    // Boxed values: BTreeMap's code is compiled per value size, and maps of
    // pointer-sized values share one copy in the wasm.
    queued: BTreeMap<ObjKey, Box<Queued>>,
    /// Pods whose volumes are being bound (PreBind said Waiting): they hold
    /// their place on the node.
    assumed: BTreeMap<ObjKey, Box<Assumed>>,
    /// The nominator (the queue's nominatedPodMap): pending pods with a
    /// `status.nominatedNodeName`, by the node they wait for. Filters count
    /// them on that node for pods of no higher priority.
    nominated: BTreeMap<ObjKey, Box<Assumed>>,
    /// What every node holds, from the watch.
    cache: Cache,
    /// The volume binder's cache: what PreBind started for each pod (by
    /// uid), dropped when PreBind ends or the pod is deleted.
    prebinds: PreBinds,
}

/// Is this pod the default scheduler's to place?
pub fn responsible_for(p: &Pod) -> bool {
    p.spec.node_name.is_empty()
        && (p.spec.scheduler_name.is_empty() || p.spec.scheduler_name == SCHEDULER_NAME)
        && p.metadata.deletion_timestamp.is_none()
        && p.status.phase != PodPhase::Succeeded
        && p.status.phase != PodPhase::Failed
}

/// corev1helpers.PodPriority: the admission-resolved priority, 0 when unset.
pub fn priority(p: &Pod) -> i32 {
    p.spec.priority.unwrap_or(0)
}

/// Does this pod hold resources on its node (bound and not terminal)?
fn occupies(p: &Pod) -> bool {
    !p.spec.node_name.is_empty() && !p.status.phase.is_terminal()
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

    /// handleSchedulingFailure: back-off, the FailedScheduling event and the
    /// PodScheduled condition, with the nomination (`nominate`: None leaves
    /// status.nominatedNodeName as it is, Some("") clears it) in one patch.
    fn record_failure(&mut self, cx: &mut Cx, pod: &Pod, message: &str, nominate: Option<&str>) {
        let now = cx.api.now;
        let key = pod.key();
        let q = self
            .queued
            .entry(key.clone())
            .or_insert_with(|| Box::new(Queued { uid: pod.metadata.uid.clone(), attempts: 0, backoff_until: now, parked_at: None }));
        q.attempts += 1;
        let backoff = (INITIAL_BACKOFF << (q.attempts - 1).min(10)).min(MAX_BACKOFF);
        q.backoff_until = now.plus(backoff);
        q.parked_at = Some(now);
        // flushUnschedulablePodsLeftover: housekeeping, not a reason to keep settling.
        cx.api.wake_idle_at(now.plus(MAX_UNSCHEDULABLE), Ctl::Scheduler, ObjRef { kind: Kind::Pod, key: key.clone() });
        cx.api.event(&Object::Pod(pod.clone()), "Warning", "FailedScheduling", message, SCHEDULER_NAME);
        // PodScheduled=False, reason Unschedulable (updatePod in schedule_one.go:
        // podutil.UpdatePodCondition).
        let mut np = pod.clone();
        let generation = np.metadata.generation;
        let changed = set_condition(
            &mut np.status.conditions,
            PodCondition {
                type_: ConditionType::PodScheduled,
                status: ConditionStatus::False,
                observed_generation: generation,
                last_probe_time: None,
                last_transition_time: Some(now),
                reason: "Unschedulable".into(),
                message: message.into(),
            },
        );
        let renominated = nominate.is_some_and(|n| n != np.status.nominated_node_name);
        if let Some(n) = nominate.filter(|_| renominated) {
            np.status.nominated_node_name = n.into();
        }
        if changed || renominated {
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
                self.record_failure(cx, pod, &msg, None);
            }
        }
    }

    fn schedule_one(&mut self, cx: &mut Cx, pod: &Pod) {
        match find_node(cx, pod, &self.assumed, &self.nominated, &mut self.cache) {
            Ok(node) => {
                self.assumed.insert(pod.key(), Box::new(Assumed { uid: pod.metadata.uid.clone(), node: node.clone() }));
                self.pre_bind(cx, pod, &node);
            }
            Err(u) => {
                self.record_failure(cx, pod, &u.message, u.nominate.as_deref());
                if let Some(c) = u.preempt {
                    preemption::actuate(cx, &self.nominated, pod, &c);
                }
            }
        }
    }

    fn pre_bind(&mut self, cx: &mut Cx, pod: &Pod, node: &str) {
        match volumes::pre_bind(cx, &mut self.prebinds, pod, node) {
            PreBind::Ready => self.bind(cx, pod, node),
            PreBind::Waiting => {}
            PreBind::Failed(msg) => {
                self.assumed.remove(&pod.key());
                self.record_failure(cx, pod, &msg, None);
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
                self.cache.pod_changed(&change.key, change.new.as_ref());
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
                match new.filter(|p| !p.status.nominated_node_name.is_empty() && responsible_for(p)) {
                    Some(p) => {
                        self.nominated.insert(key.clone(), Box::new(Assumed { uid: p.metadata.uid.clone(), node: p.status.nominated_node_name.clone() }));
                    }
                    None => {
                        self.nominated.remove(&key);
                    }
                }
                // A deleted pod's volume binding is over (a new pod gets a new uid).
                if let (Some(o), None) = (old, new) {
                    self.prebinds.remove(&o.metadata.uid);
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
                self.cache.node_changed(&change.key.name, old, new);
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
        // the stored object, shared (not copied) for this attempt
        let stored = cx.api.store.get(Kind::Pod, &key.key).cloned();
        let Some(pod) = stored.as_deref().and_then(Pod::from_object) else {
            self.forget(&key.key);
            return;
        };
        if !responsible_for(pod) {
            self.forget(&key.key);
            return;
        }
        if let Some(a) = self.assumed.get(&key.key).cloned() {
            if a.uid == pod.metadata.uid {
                self.pre_bind(cx, pod, &a.node);
                return;
            }
            self.assumed.remove(&key.key);
        }
        let q = self
            .queued
            .entry(key.key.clone())
            .or_insert_with(|| Box::new(Queued { uid: pod.metadata.uid.clone(), attempts: 0, backoff_until: now, parked_at: None }));
        if q.uid != pod.metadata.uid {
            **q = Queued { uid: pod.metadata.uid.clone(), attempts: 0, backoff_until: now, parked_at: None };
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
        self.schedule_one(cx, pod);
    }
}

/// The scheduler's invariants over the stored state (for the property
/// tests): a pod preempted by the scheduler (DisruptionTarget, reason
/// PreemptionByScheduler) has a lower priority than the pod its Preempted
/// event names, when that pod still exists; a nominated pod is unbound.
pub fn check_invariants(api: &Api) -> Result<(), String> {
    for p in api.store.list_t::<Pod>() {
        if !p.status.nominated_node_name.is_empty() && !p.spec.node_name.is_empty() {
            return Err(format!("pod {} is bound to {} and still nominated to {}", p.metadata.name, p.spec.node_name, p.status.nominated_node_name));
        }
        if get_condition(&p.status.conditions, &ConditionType::DisruptionTarget).is_none_or(|c| c.reason != "PreemptionByScheduler") {
            continue;
        }
        let m = &p.metadata;
        for e in api.events_for(Kind::Pod, &m.namespace, &m.name, &m.uid).into_iter().filter(|e| e.reason == "Preempted") {
            let uid = e.message.strip_prefix("Preempted by pod ").and_then(|r| r.split(' ').next()).unwrap_or_default();
            if let Some(by) = api.store.by_uid(uid).and_then(|o| Pod::from_object(o))
                && priority(by) <= priority(p)
            {
                return Err(format!("pod {} (priority {}) was preempted by {} (priority {})", m.name, priority(p), by.metadata.name, priority(by)));
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- the algorithm

/// Requests in integer units: cpu in millicores, the rest in base units.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Resources {
    pub milli_cpu: i64,
    pub memory: i64,
    pub ephemeral_storage: i64,
    pub scalar: BTreeMap<String, i64>,
}

impl Resources {
    const ZERO: Resources = Resources { milli_cpu: 0, memory: 0, ephemeral_storage: 0, scalar: BTreeMap::new() };

    fn add(&mut self, o: &Resources) {
        self.milli_cpu += o.milli_cpu;
        self.memory += o.memory;
        self.ephemeral_storage += o.ephemeral_storage;
        for (k, v) in &o.scalar {
            *self.scalar.entry(k.clone()).or_default() += v;
        }
    }
    /// Takes away what `add` added (a pod leaving its node).
    fn sub(&mut self, o: &Resources) {
        self.milli_cpu -= o.milli_cpu;
        self.memory -= o.memory;
        self.ephemeral_storage -= o.ephemeral_storage;
        for (k, v) in &o.scalar {
            let e = self.scalar.entry(k.clone()).or_default();
            *e -= v;
            if *e == 0 {
                self.scalar.remove(k);
            }
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

fn host_ports(p: &Pod) -> Vec<HostPort> {
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

fn ports_conflict(want: &[HostPort], used: &[HostPort]) -> bool {
    want.iter()
        .any(|(ip, proto, port)| used.iter().any(|(uip, uproto, uport)| uport == port && uproto == proto && (ip == uip || ip == "0.0.0.0" || uip == "0.0.0.0")))
}

/// A pod affinity term as InterPodAffinity uses it (the framework's
/// AffinityTerm): the selector, the namespaces it looks in (none: the
/// pod's own) and the topology key. A term without a labelSelector
/// selects as an empty one. namespaceSelector, matchLabelKeys and
/// mismatchLabelKeys are not applied.
type AffinityTerm = PodAffinityTerm;

fn affinity_terms(terms: &[PodAffinityTerm]) -> Vec<AffinityTerm> {
    terms.to_vec()
}

fn weighted_terms(terms: &[WeightedPodAffinityTerm]) -> Vec<(i64, AffinityTerm)> {
    terms.iter().map(|w| (i64::from(w.weight), w.pod_affinity_term.clone())).collect()
}

/// The pod's required anti-affinity terms (what NodeInfo keeps of the pods
/// with required anti-affinity).
fn required_anti_terms(p: &Pod) -> Vec<AffinityTerm> {
    p.spec
        .affinity
        .as_ref()
        .and_then(|a| a.pod_anti_affinity.as_ref())
        .map_or_else(Vec::new, |a| affinity_terms(&a.required_during_scheduling_ignored_during_execution))
}

impl AffinityTerm {
    fn matches_pod(&self, owner_ns: &str, p: &Pod) -> bool {
        let ns_ok = if self.namespaces.is_empty() { p.metadata.namespace == owner_ns } else { self.namespaces.contains(&p.metadata.namespace) };
        ns_ok && self.label_selector.as_ref().is_none_or(|s| s.matches(&p.metadata.labels))
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
            selector: c.get("labelSelector").and_then(crate::engine::decode::from_json).unwrap_or_default(),
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

/// A host port in use or wanted: (IP, protocol, port).
type HostPort = (String, String, i32);

/// Which pods a selector counts: the spreading's (the pod's namespace, pods
/// being deleted left out) or an affinity term's.
fn spread_matcher(pod: &Pod, selector: &LabelSelector) -> Matcher {
    Matcher { namespaces: vec![pod.metadata.namespace.clone()], selector: selector.clone(), live_only: true }
}

fn term_matcher(pod: &Pod, t: &AffinityTerm) -> Matcher {
    let namespaces = if t.namespaces.is_empty() { vec![pod.metadata.namespace.clone()] } else { t.namespaces.clone() };
    Matcher { namespaces, selector: t.label_selector.clone().unwrap_or_default(), live_only: false }
}

/// One node in a scheduling cycle's snapshot: the node, what the cache
/// holds for it, and the pods assumed onto it (not yet bound) on top.
struct NodeView<'a> {
    node: &'a Node,
    info: &'a NodeInfo,
    /// Allocatable resources and pods (parsed when the node changed).
    alloc: Cow<'a, (Resources, i64)>,
    assumed: Vec<&'a Pod>,
    /// Requests with the assumed pods' added and the removed ones' taken
    /// away (when there are any).
    with_assumed: Option<(Resources, Resources)>,
    /// Bound pods taken away (preemption's dry run).
    removed: Vec<&'a Pod>,
}

impl<'a> NodeView<'a> {
    fn label(&self, key: &str) -> Option<&str> {
        self.node.metadata.labels.get(key).map(|s| s.as_str())
    }
    fn requested(&self) -> &Resources {
        self.with_assumed.as_ref().map_or(&self.info.requested, |(r, _)| r)
    }
    fn non_zero(&self) -> &Resources {
        self.with_assumed.as_ref().map_or(&self.info.non_zero, |(_, r)| r)
    }
    fn pods(&self) -> i64 {
        self.info.pods + self.assumed.len() as i64 - self.removed.len() as i64
    }
    /// This node without `removed` (NodeInfo.RemovePod for each).
    fn without(&self, removed: Vec<&'a Pod>) -> NodeView<'a> {
        let (mut r, mut nz) = (self.requested().clone(), self.non_zero().clone());
        for p in &removed {
            r.sub(&pod_requests(p, false));
            nz.sub(&pod_requests(p, true));
        }
        NodeView { node: self.node, info: self.info, alloc: self.alloc.clone(), assumed: self.assumed.clone(), with_assumed: Some((r, nz)), removed }
    }
}

/// The snapshot for one cycle (the framework's Snapshot of NodeInfos):
/// every node, in name order, with the cache's aggregates plus the pods
/// assumed there and, as RunFilterPluginsWithNominatedPods adds them, the
/// pods nominated there with at least `pod`'s priority.
fn snapshot<'a>(
    api: &'a Api,
    nodes: &[&'a Node],
    assumed: &BTreeMap<ObjKey, Box<Assumed>>,
    nominated: &BTreeMap<ObjKey, Box<Assumed>>,
    pod: &Pod,
    cache: &'a Cache,
) -> Vec<NodeView<'a>> {
    let exclude = &pod.key();
    let mut views: Vec<NodeView<'a>> = nodes
        .iter()
        .map(|n| {
            let alloc = cache.allocatable(&n.metadata.name).map_or_else(|| Cow::Owned(allocatable(n)), Cow::Borrowed);
            NodeView { node: n, info: cache.node(&n.metadata.name), alloc, assumed: vec![], with_assumed: None, removed: vec![] }
        })
        .collect();
    let nominated = nominated.iter().filter(|(k, _)| !assumed.contains_key(*k));
    for (k, a) in assumed.iter().chain(nominated) {
        if k == exclude {
            continue;
        }
        let Ok(i) = views.binary_search_by(|v| v.node.metadata.name.as_str().cmp(a.node.as_str())) else { continue };
        if let Some(p) = api.get_t::<Pod>(&k.namespace, &k.name)
            && p.spec.node_name.is_empty()
            && (assumed.contains_key(k) || priority(p) >= priority(pod))
        {
            let v = &mut views[i];
            let (r, nz) = v.with_assumed.get_or_insert_with(|| (v.info.requested.clone(), v.info.non_zero.clone()));
            r.add(&pod_requests(p, false));
            nz.add(&pod_requests(p, true));
            v.assumed.push(p);
        }
    }
    views
}

/// A registered selector's matching pods on each node of the snapshot (in
/// the snapshot's order): the cache's counts, walked alongside the nodes
/// (both are in name order), plus the assumed pods that match.
fn counts_per_node(cache: &Cache, key: &str, m: &Matcher, views: &[NodeView<'_>]) -> Vec<i64> {
    let mut counts = cache.counts_of(key).iter().peekable();
    views
        .iter()
        .map(|v| {
            let name = v.node.metadata.name.as_str();
            while counts.next_if(|(n, _)| n.as_str() < name).is_some() {}
            let bound = counts.next_if(|(n, _)| n.as_str() == name).map_or(0, |(_, c)| *c);
            bound + v.assumed.iter().filter(|p| m.matches(p)).count() as i64
        })
        .collect()
}

/// A selector's matching pods per domain of a topology (by domain number),
/// over the nodes that carry the key and, with `admits`, that the pod's node
/// affinity admits; and which domains those nodes make up.
fn domain_counts(per_node: &[i64], topo: &Topology, admits: Option<&[bool]>) -> (Vec<i64>, Vec<bool>) {
    let mut counts = vec![0; topo.domains];
    let mut present = vec![false; topo.domains];
    for (i, n) in per_node.iter().enumerate() {
        if admits.is_some_and(|a| !a[i]) {
            continue;
        }
        let Some(d) = topo.domain_of[i] else { continue };
        counts[d] += n;
        present[d] = true;
    }
    (counts, present)
}

/// A constraint or term with its selector registered in the cache and its
/// topology key's domains.
struct Counted<T> {
    what: T,
    matcher: Matcher,
    key: String,
    topology: Rc<Topology>,
}

fn counted<T>(cache: &mut Cache, nodes: &[&Node], what: T, matcher: Matcher, topology_key: &str) -> Counted<T> {
    let key = cache.register(&matcher);
    let topology = cache.topology(topology_key, nodes);
    Counted { what, matcher, key, topology }
}

/// What the PreFilter and PreScore plugins compute once per pod: its
/// requests and ports, its spreading constraints and affinity terms with
/// their selectors registered in the cache.
struct PodState {
    requests: Resources,
    /// Whether it mounts PersistentVolumeClaims (the volume plugins skip it otherwise).
    claims: bool,
    /// VolumeRestrictions' PreFilter: another pod uses one of its
    /// ReadWriteOncePod claims.
    rwop_conflict: bool,
    ports: Vec<HostPort>,
    /// PodTopologySpread's DoNotSchedule constraints.
    hard: Vec<Counted<SpreadConstraint>>,
    /// Whether the pod has pod affinity or anti-affinity at all.
    has_affinity: bool,
    affinity: Vec<Counted<AffinityTerm>>,
    anti: Vec<Counted<AffinityTerm>>,
    /// The scoring constraints: explicit ScheduleAnyway ones or the system defaults.
    soft: Vec<Counted<SpreadConstraint>>,
    preferred: Vec<Counted<(i64, AffinityTerm)>>,
    preferred_anti: Vec<Counted<(i64, AffinityTerm)>>,
}

impl PodState {
    fn new(api: &Api, pod: &Pod, nodes: &[&Node], cache: &mut Cache) -> PodState {
        let all = spread_constraints(pod);
        let hard = all.iter().filter(|c| c.hard).map(|c| counted(cache, nodes, c.clone(), spread_matcher(pod, &c.selector), &c.topology_key)).collect();
        let soft: Vec<SpreadConstraint> = if !pod.spec.topology_spread_constraints.is_empty() {
            all.into_iter().filter(|c| !c.hard).collect()
        } else if let Some(sel) = default_spread_selector(api, pod) {
            vec![
                SpreadConstraint { max_skew: 3, topology_key: "kubernetes.io/hostname".into(), hard: false, selector: sel.clone() },
                SpreadConstraint { max_skew: 5, topology_key: "topology.kubernetes.io/zone".into(), hard: false, selector: sel },
            ]
        } else {
            vec![]
        };
        let soft = soft.into_iter().map(|c| counted(cache, nodes, c.clone(), spread_matcher(pod, &c.selector), &c.topology_key)).collect();
        let aff = pod.spec.affinity.as_ref();
        let has_affinity = aff.is_some_and(|a| a.pod_affinity.is_some() || a.pod_anti_affinity.is_some());
        let pod_aff = aff.and_then(|a| a.pod_affinity.as_ref());
        let pod_anti = aff.and_then(|a| a.pod_anti_affinity.as_ref());
        let required = |terms: &[PodAffinityTerm], cache: &mut Cache| -> Vec<Counted<AffinityTerm>> {
            affinity_terms(terms).into_iter().map(|t| counted(cache, nodes, t.clone(), term_matcher(pod, &t), &t.topology_key)).collect()
        };
        let preferred = |terms: &[WeightedPodAffinityTerm], cache: &mut Cache| -> Vec<Counted<(i64, AffinityTerm)>> {
            weighted_terms(terms).into_iter().map(|(w, t)| counted(cache, nodes, (w, t.clone()), term_matcher(pod, &t), &t.topology_key)).collect()
        };
        let (affinity, anti) = if has_affinity {
            (
                required(pod_aff.map_or(&[], |a| &a.required_during_scheduling_ignored_during_execution), cache),
                required(pod_anti.map_or(&[], |a| &a.required_during_scheduling_ignored_during_execution), cache),
            )
        } else {
            (vec![], vec![])
        };
        PodState {
            requests: pod_requests(pod, false),
            claims: crate::engine::storage::pod_claims(pod).next().is_some(),
            rwop_conflict: false,
            ports: host_ports(pod),
            hard,
            has_affinity,
            affinity,
            anti,
            soft,
            preferred: preferred(pod_aff.map_or(&[], |a| &a.preferred_during_scheduling_ignored_during_execution), cache),
            preferred_anti: preferred(pod_anti.map_or(&[], |a| &a.preferred_during_scheduling_ignored_during_execution), cache),
        }
    }
}

/// The filters' per-cycle state, computed from the snapshot once.
struct FilterState<'a> {
    /// PodTopologySpread: matching pods per domain, and the smallest count,
    /// for each hard constraint.
    spread: Vec<(Vec<i64>, i64)>,
    /// InterPodAffinity: (topology key, value) pairs where an existing pod's
    /// required anti-affinity term matches the incoming pod.
    /// A `Vec` (only searched): a `BTreeSet` of `&str` pairs was the wasm's only one.
    existing_anti: Vec<(&'a str, &'a str)>,
    /// For each required affinity term: whether any pod matches, and the
    /// domains holding one.
    affinity: Vec<(bool, Vec<bool>)>,
    /// For each required anti-affinity term: the domains holding a match.
    anti: Vec<Vec<bool>>,
}

impl<'a> FilterState<'a> {
    fn new(pod: &Pod, st: &'a PodState, views: &'a [NodeView<'a>], admits: &[bool], cache: &'a Cache) -> FilterState<'a> {
        let spread = st
            .hard
            .iter()
            .map(|c| {
                let per_node = counts_per_node(cache, &c.key, &c.matcher, views);
                let (counts, present) = domain_counts(&per_node, &c.topology, Some(admits));
                let min = counts.iter().zip(&present).filter(|(_, p)| **p).map(|(n, _)| *n).min().unwrap_or(0);
                (counts, min)
            })
            .collect();
        let mut existing_anti = vec![];
        for v in views {
            let mut note = |owner: &Pod, terms: &[AffinityTerm]| {
                for t in terms {
                    if t.matches_pod(&owner.metadata.namespace, pod)
                        && let Some((k, value)) = v.node.metadata.labels.get_key_value(&t.topology_key)
                    {
                        let pair = (k.as_str(), value.as_str());
                        if !existing_anti.contains(&pair) {
                            existing_anti.push(pair);
                        }
                    }
                }
            };
            for k in &v.info.anti {
                if let Some((_, p, terms)) = cache.pod(k) {
                    note(p, terms);
                }
            }
            for p in &v.assumed {
                if p.spec.affinity.as_ref().is_some_and(|a| a.pod_anti_affinity.is_some()) {
                    note(p, &required_anti_terms(p));
                }
            }
        }
        let domains = |c: &Counted<AffinityTerm>| -> (bool, Vec<bool>) {
            let mut any = false;
            let mut set = vec![false; c.topology.domains];
            for (i, n) in counts_per_node(cache, &c.key, &c.matcher, views).into_iter().enumerate() {
                if n > 0 {
                    any = true;
                    if let Some(d) = c.topology.domain_of[i] {
                        set[d] = true;
                    }
                }
            }
            (any, set)
        };
        let affinity = st.affinity.iter().map(domains).collect();
        let anti = st.anti.iter().map(|c| domains(c).1).collect();
        FilterState { spread, existing_anti, affinity, anti }
    }
}

/// Runs the filters for one node; `None` when the pod fits.
fn filter_node(api: &Api, pod: &Pod, i: usize, v: &NodeView<'_>, st: &PodState, fs: &FilterState<'_>) -> Option<NodeStatus> {
    let node = v.node;
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
    if !st.ports.is_empty() {
        let mut used = v.info.ports.clone();
        for p in &v.assumed {
            used.extend(host_ports(p));
        }
        for port in v.removed.iter().flat_map(|p| host_ports(p)) {
            if let Some(i) = used.iter().position(|x| *x == port) {
                used.swap_remove(i);
            }
        }
        if ports_conflict(&st.ports, &used) {
            return Some(NodeStatus::new(Code::Unschedulable, "node(s) didn't have free ports for the requested pod ports"));
        }
    }
    // NodeResourcesFit
    let requests = &st.requests;
    let (alloc, max_pods) = &*v.alloc;
    let mut reasons = vec![];
    let mut code = Code::Unschedulable;
    if v.pods() + 1 > *max_pods {
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
    let used = v.requested();
    check("cpu", requests.milli_cpu, alloc.milli_cpu, used.milli_cpu);
    check("memory", requests.memory, alloc.memory, used.memory);
    check("ephemeral-storage", requests.ephemeral_storage, alloc.ephemeral_storage, used.ephemeral_storage);
    for (k, want) in &requests.scalar {
        check(k, *want, alloc.scalar.get(k).copied().unwrap_or(0), used.scalar.get(k).copied().unwrap_or(0));
    }
    if !reasons.is_empty() {
        return Some(NodeStatus { code, reasons });
    }
    // VolumeRestrictions, NodeVolumeLimits, VolumeBinding, VolumeZone (their
    // PreFilters skip pods without claims)
    if let Some(Err(reason)) = st.claims.then(|| volumes::filter(api, pod, node, st.rwop_conflict)) {
        let code = if reason.contains("exceed max volume count") || reason.contains("no available disk") || reason.contains("ReadWriteOncePod") {
            Code::Unschedulable
        } else {
            Code::Unresolvable
        };
        return Some(NodeStatus::new(code, reason));
    }
    // PodTopologySpread (hard constraints)
    for (c, (counts, min)) in st.hard.iter().zip(&fs.spread) {
        let Some(d) = c.topology.domain_of[i] else {
            return Some(NodeStatus::new(Code::Unresolvable, "node(s) didn't match pod topology spread constraints (missing required label)"));
        };
        let self_match = i64::from(c.what.selector.matches(&pod.metadata.labels));
        let here = counts[d];
        if here + self_match - min > c.what.max_skew {
            return Some(NodeStatus::new(Code::Unschedulable, "node(s) didn't match pod topology spread constraints"));
        }
    }
    // InterPodAffinity
    if let Some(st) = inter_pod_affinity_filter(pod, i, v, st, fs) {
        return Some(st);
    }
    None
}

fn inter_pod_affinity_filter(pod: &Pod, i: usize, v: &NodeView<'_>, st: &PodState, fs: &FilterState<'_>) -> Option<NodeStatus> {
    // existing pods' anti-affinity against this pod
    if fs.existing_anti.iter().any(|(k, value)| v.label(k) == Some(*value)) {
        return Some(NodeStatus::new(Code::Unschedulable, "node(s) didn't satisfy existing pods anti-affinity rules"));
    }
    if !st.has_affinity {
        return None;
    }
    for (t, (any_match, domains)) in st.affinity.iter().zip(&fs.affinity) {
        let d = t.topology.domain_of[i];
        let here = d.is_some_and(|d| domains[d]);
        // a pod may satisfy its own affinity when nothing matches yet (the first replica)
        let self_ok = !any_match && t.what.matches_pod(&pod.metadata.namespace, pod) && d.is_some();
        if !here && !self_ok {
            return Some(NodeStatus::new(Code::Unresolvable, "node(s) didn't match pod affinity rules"));
        }
    }
    for (t, domains) in st.anti.iter().zip(&fs.anti) {
        if t.topology.domain_of[i].is_some_and(|d| domains[d]) {
            return Some(NodeStatus::new(Code::Unschedulable, "node(s) didn't match pod anti-affinity rules"));
        }
    }
    None
}

/// FitError.Error(): `0/3 nodes are available: <histogram>.`
pub fn fit_error_message(total: usize, statuses: &Statuses, absent: Option<&str>) -> String {
    let mut hist: BTreeMap<&str, usize> = BTreeMap::new();
    for st in statuses.values() {
        for r in &st.reasons {
            *hist.entry(r.as_str()).or_default() += 1;
        }
    }
    if let Some(a) = absent
        && statuses.len() < total
    {
        *hist.entry(a).or_default() += total - statuses.len();
    }
    let mut parts: Vec<String> = hist.iter().map(|(r, n)| format!("{n} {r}")).collect();
    crate::engine::sort::sort(&mut parts);
    let mut msg = format!("0/{total} nodes are available:");
    if !parts.is_empty() {
        msg.push_str(&format!(" {}.", parts.join(", ")));
    }
    msg
}

/// A failed scheduling attempt: the FailedScheduling message, the
/// nomination to write (None: leave status.nominatedNodeName; Some(""):
/// clear it) and the preemption to carry out.
struct Unschedulable {
    message: String,
    nominate: Option<String>,
    preempt: Option<preemption::Candidate>,
}

impl From<String> for Unschedulable {
    fn from(message: String) -> Unschedulable {
        Unschedulable { message, nominate: None, preempt: None }
    }
}

/// One scheduling attempt: the chosen node, or why not (with the PostFilter
/// plugins' outcome: DynamicResources, which has no claims to deallocate,
/// then DefaultPreemption).
fn find_node(
    cx: &mut Cx,
    pod: &Pod,
    assumed: &BTreeMap<ObjKey, Box<Assumed>>,
    nominated: &BTreeMap<ObjKey, Box<Assumed>>,
    cache: &mut Cache,
) -> Result<String, Unschedulable> {
    let api = &*cx.api;
    let nodes: Vec<&Node> = api.store.list_t::<Node>().collect();
    if nodes.is_empty() {
        return Err(String::from("no nodes available to schedule pods").into());
    }
    let total = nodes.len();
    if let Err(msg) = volumes::pre_filter(api, pod) {
        // PreFilter rejected: DynamicResources' PostFilter finds no state of its
        // own (its PreFilter never ran) and reports the cycle state's "not found".
        return Err(format!("0/{total} nodes are available: {msg}. not found").into());
    }
    #[cfg(debug_assertions)]
    cache.verify(&api.store);
    cache.next_cycle();
    let mut st = PodState::new(api, pod, &nodes, cache);
    st.rwop_conflict = st.claims && volumes::read_write_once_pod_conflict(api, pod, &|k| assumed.contains_key(k));
    let cache = &*cache;
    let views = snapshot(api, &nodes, assumed, nominated, pod, cache);
    // NodeAffinity, for the spreading's domains
    let admits: Vec<bool> = if st.hard.is_empty() && st.soft.is_empty() { vec![] } else { nodes.iter().map(|n| matches_node_selector(pod, n)).collect() };
    let fs = FilterState::new(pod, &st, &views, &admits, cache);
    // evaluateNominatedNode: a node nominated by an earlier preemption is
    // taken when it passes the filters.
    let nnn = pod.status.nominated_node_name.as_str();
    if let Ok(i) = views.binary_search_by(|v| v.node.metadata.name.as_str().cmp(nnn))
        && filter_node(api, pod, i, &views[i], &st, &fs).is_none()
    {
        return Ok(nnn.to_string());
    }
    let mut statuses = Statuses::new();
    let mut feasible: Vec<usize> = vec![];
    for (i, v) in views.iter().enumerate() {
        match filter_node(api, pod, i, v, &st, &fs) {
            Some(s) => {
                statuses.insert(v.node.metadata.name.clone(), Box::new(s));
            }
            None => feasible.push(i),
        }
    }
    if feasible.is_empty() {
        let fit = fit_error_message(total, &statuses, None);
        let outcome = preemption::preempt(api, pod, &views, &st, &fs, &statuses);
        drop(fs);
        drop(views);
        return Err(match outcome {
            Ok(mut candidates) => {
                let pick = if candidates.len() == 1 { 0 } else { cx.api.rng.below(candidates.len() as u64) as usize };
                let c = candidates.swap_remove(pick);
                Unschedulable { message: fit, nominate: Some(c.node.clone()), preempt: Some(c) }
            }
            Err((msg, nominate)) => Unschedulable { message: format!("{fit} no new claims to deallocate, preemption: {msg}"), nominate, preempt: None },
        });
    }
    if feasible.len() == 1 {
        return Ok(views[feasible[0]].node.metadata.name.clone());
    }
    let scores = score_nodes(pod, &views, &feasible, &st, &admits, cache);
    let best = scores.iter().copied().max().unwrap_or(0);
    let ties: Vec<String> = feasible.iter().zip(scores.iter()).filter(|(_, s)| **s == best).map(|(i, _)| views[*i].node.metadata.name.clone()).collect();
    drop(fs);
    drop(views);
    let pick = if ties.len() == 1 { 0 } else { cx.api.rng.below(ties.len() as u64) as usize };
    Ok(ties[pick].clone())
}

const MAX_NODE_SCORE: i64 = 100;

/// Weighted sum of the default score plugins for each feasible node.
fn score_nodes(pod: &Pod, views: &[NodeView<'_>], feasible: &[usize], st: &PodState, admits: &[bool], cache: &Cache) -> Vec<i64> {
    let req = pod_requests(pod, true);
    let mut total = vec![0i64; feasible.len()];
    // NodeResourcesFit (LeastAllocated, cpu and memory weighted 1) and BalancedAllocation.
    for (j, &i) in feasible.iter().enumerate() {
        let v = &views[i];
        let (alloc, _) = &*v.alloc;
        let frac = |used: i64, want: i64, cap: i64| -> (i64, f64) {
            if cap <= 0 {
                return (0, 1.0);
            }
            let r = used + want;
            let least = if r > cap { 0 } else { (cap - r) * MAX_NODE_SCORE / cap };
            (least, (r as f64 / cap as f64).min(1.0))
        };
        let (lc, fc) = frac(v.non_zero().milli_cpu, req.milli_cpu, alloc.milli_cpu);
        let (lm, fm) = frac(v.non_zero().memory, req.memory, alloc.memory);
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
            views[i].node.spec.taints.iter().filter(|t| t.effect == "PreferNoSchedule" && !pod.spec.tolerations.iter().any(|tol| tol.tolerates(t))).count()
                as i64
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
        let raw: Vec<i64> = feasible.iter().map(|&i| preferred.iter().filter(|t| t.preference.matches(views[i].node)).map(|t| t.weight as i64).sum()).collect();
        let max = raw.iter().copied().max().unwrap_or(0);
        for (j, r) in raw.iter().enumerate() {
            total[j] += 2 * if max == 0 { 0 } else { r * MAX_NODE_SCORE / max };
        }
    }
    // PodTopologySpread (weight 2): explicit soft constraints, or the system defaults.
    if !st.soft.is_empty() {
        let mut raw = vec![0f64; feasible.len()];
        let mut applicable = vec![true; feasible.len()];
        for c in &st.soft {
            let topo = &c.topology;
            // domains among the feasible nodes that carry the key
            let mut seen = vec![false; topo.domains];
            for &i in feasible {
                if let Some(d) = topo.domain_of[i] {
                    seen[d] = true;
                }
            }
            let domains = seen.iter().filter(|s| **s).count();
            let weight = ((domains + 2) as f64).ln();
            let per_node = counts_per_node(cache, &c.key, &c.matcher, views);
            let (counts, _) = domain_counts(&per_node, topo, Some(admits));
            for (j, &i) in feasible.iter().enumerate() {
                match topo.domain_of[i] {
                    Some(d) => raw[j] += (counts[d] as f64) * weight + (c.what.max_skew - 1) as f64 * weight,
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
    // InterPodAffinity (weight 2): preferred terms of the pod, weighed by
    // the matching pods in each node's domain.
    if !st.preferred.is_empty() || !st.preferred_anti.is_empty() {
        let per_domain = |c: &Counted<(i64, AffinityTerm)>| domain_counts(&counts_per_node(cache, &c.key, &c.matcher, views), &c.topology, None).0;
        let aff: Vec<_> = st.preferred.iter().map(|c| (c.what.0, &c.topology, per_domain(c))).collect();
        let anti: Vec<_> = st.preferred_anti.iter().map(|c| (c.what.0, &c.topology, per_domain(c))).collect();
        let raw: Vec<i64> = feasible
            .iter()
            .map(|&i| {
                let mut s = 0;
                for (w, topo, counts) in &aff {
                    if let Some(d) = topo.domain_of[i] {
                        s += w * counts[d];
                    }
                }
                for (w, topo, counts) in &anti {
                    if let Some(d) = topo.domain_of[i] {
                        s -= w * counts[d];
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

    /// Required node affinity and required pod anti-affinity, read from
    /// the typed affinity: pods go only where the node terms allow, and
    /// replicas that must not share a node spread one per node, the one
    /// left over waiting: the placed replicas' terms keep it off every node.
    #[test]
    fn required_node_affinity_and_pod_anti_affinity_place_pods() {
        use crate::kubectl::session::Session;
        let mut s = Session::new(1);
        let deployment = |name: &str, replicas: u32, affinity: &str| {
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  replicas: {replicas}\n  selector:\n    matchLabels:\n      app: {name}\n  template:\n    metadata:\n      labels:\n        app: {name}\n    spec:\n      affinity:\n{affinity}      containers:\n      - name: web\n        image: nginx:1.25\n"
            )
        };
        let not_zone_a = "        nodeAffinity:\n          requiredDuringSchedulingIgnoredDuringExecution:\n            nodeSelectorTerms:\n            - matchExpressions:\n              - key: topology.kubernetes.io/zone\n                operator: NotIn\n                values: [zone-a]\n";
        let one_per_node = "        podAntiAffinity:\n          requiredDuringSchedulingIgnoredDuringExecution:\n          - labelSelector:\n              matchLabels:\n                app: spread\n            topologyKey: kubernetes.io/hostname\n";
        for (name, replicas, affinity) in [("pinned", 4, not_zone_a), ("spread", 4, one_per_node)] {
            let out = s.run("kubectl apply -f -", &deployment(name, replicas, affinity));
            assert_eq!(out.exit_code, 0, "{}", out.output);
        }
        s.run("cluster advance 30s", "");
        let nodes = |app: &str| -> Vec<String> {
            let mut v: Vec<String> =
                s.cluster.api.store.list_t::<Pod>().filter(|p| p.metadata.label("app") == Some(app)).map(|p| p.spec.node_name.clone()).collect();
            crate::engine::sort::sort(&mut v);
            v
        };
        let pinned = nodes("pinned");
        assert_eq!(pinned.len(), 4);
        assert!(pinned.iter().all(|n| n == "node-b" || n == "node-c"), "{pinned:?}");
        assert_eq!(nodes("spread"), ["", "node-a", "node-b", "node-c"]);
        let events = s.run("kubectl get events --field-selector reason=FailedScheduling -o custom-columns=MESSAGE:.message", "").output;
        assert!(events.contains("0/3 nodes are available: 3 node(s) didn't satisfy existing pods anti-affinity rules."), "{events}");
    }

    #[test]
    fn fit_error_histogram_is_sorted_as_strings() {
        let mut st = BTreeMap::new();
        st.insert("node-a".to_string(), Box::new(status(Code::Unresolvable, &["node(s) had untolerated taint(s)"])));
        st.insert("node-b".to_string(), Box::new(status(Code::Unresolvable, &["node(s) didn't match Pod's node affinity/selector"])));
        st.insert("node-c".to_string(), Box::new(status(Code::Unresolvable, &["node(s) didn't match Pod's node affinity/selector"])));
        assert_eq!(
            fit_error_message(3, &st, None),
            "0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 node(s) didn't match Pod's node affinity/selector."
        );
    }

    #[test]
    fn fit_error_counts_absent_nodes() {
        let mut st = BTreeMap::new();
        st.insert("node-a".to_string(), Box::new(status(Code::Unresolvable, &["No preemption victims found for incoming pod"])));
        assert_eq!(
            fit_error_message(3, &st, Some("Preemption is not helpful for scheduling")),
            "0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling."
        );
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
