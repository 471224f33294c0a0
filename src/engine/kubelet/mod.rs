//! The simulated kubelet: one per machine. It registers its Node, renews
//! its Lease, runs the pods bound to it (image pulls, container starts,
//! probes, restarts, graceful termination) and answers `exec`.
//!
//! All machines' kubelets live in one controller ([`Kubelet`]); the runtime
//! state of a pod (its containers, back-offs, probe counters) is kept here,
//! keyed by pod uid, and written to the API as pod status. A machine that is
//! powered off runs nothing: its kubelet neither heartbeats nor syncs, and
//! after the next boot the state of the old boot is thrown away (containers
//! restarted with a fresh sandbox, deleted pods cleaned up).

pub mod env;
pub mod images;
mod pod;
pub mod probe;
pub mod volumes;

use crate::engine::api::*;
use crate::engine::apiserver::Api;
use crate::engine::apiserver::ApiError;
use crate::engine::control::{Controller, Ctl, Cx, WorkQueue};
use crate::engine::quantity::Quantity;
use crate::engine::store::Change;
use crate::engine::time::{MINUTE, MicroTime, Millis, SECOND, Time};
use std::collections::BTreeMap;

pub use crate::engine::cri::ExecResult;
pub use pod::PodRt;

/// The version every simulated kubelet reports (nodeInfo, and the
/// `kube-probe/<minor>` User-Agent of its HTTP probes).
pub const KUBELET_VERSION: &str = "v1.36.0";

/// The capacity every simulated node reports.
pub fn node_capacity() -> BTreeMap<String, Quantity> {
    let q = |s: &str| Quantity::parse(s).expect("valid quantity");
    crate::engine::sort::map_from(
        [("cpu", "4"), ("ephemeral-storage", "100Gi"), ("hugepages-1Gi", "0"), ("hugepages-2Mi", "0"), ("memory", "16Gi"), ("pods", "110")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), q(v))),
    )
}

/// The component name kubelet events carry.
pub const COMPONENT: &str = "kubelet";
/// nodeLeaseRenewInterval: a quarter of the 40 s lease duration.
const LEASE_RENEW: Millis = 10 * SECOND;
const LEASE_DURATION_SECONDS: i32 = 40;
/// nodeStatusReportFrequency.
const STATUS_REPORT: Millis = 5 * MINUTE;
/// From power-on to a running kubelet (firmware, OS, containerd, kubelet).
pub const BOOT_DELAY: Millis = 15 * SECOND;

fn node_condition(type_: ConditionType, status: ConditionStatus, reason: &str, message: &str, now: Time) -> NodeCondition {
    NodeCondition { type_, status, last_heartbeat_time: Some(now), last_transition_time: Some(now), reason: reason.into(), message: message.into() }
}

/// The conditions a healthy kubelet reports, with the event each one's
/// transition records (nodestatus setters).
const HEALTHY: &[(ConditionType, ConditionStatus, &str, &str, &str)] = &[
    (ConditionType::MemoryPressure, ConditionStatus::False, "KubeletHasSufficientMemory", "kubelet has sufficient memory available", "NodeHasSufficientMemory"),
    (ConditionType::DiskPressure, ConditionStatus::False, "KubeletHasNoDiskPressure", "kubelet has no disk pressure", "NodeHasNoDiskPressure"),
    (ConditionType::PIDPressure, ConditionStatus::False, "KubeletHasSufficientPID", "kubelet has sufficient PID available", "NodeHasSufficientPID"),
    (ConditionType::Ready, ConditionStatus::True, "KubeletReady", "kubelet is posting ready status", "NodeReady"),
];

/// The Node object a kubelet registers for its machine (the API server's
/// error when it refuses it: `cluster node add` checks names first).
pub fn register_node(cx: &mut Cx, name: &str) -> Result<(), ApiError> {
    let Some(m) = cx.world.machines.get(name).cloned() else { return Err(ApiError::not_found(Kind::Node, name)) };
    let now = cx.api.now;
    let mut meta = ObjectMeta::named("", name);
    for (k, v) in [
        ("beta.kubernetes.io/arch", "amd64"),
        ("beta.kubernetes.io/os", "linux"),
        ("kubernetes.io/arch", "amd64"),
        ("kubernetes.io/hostname", name),
        ("kubernetes.io/os", "linux"),
        ("topology.kubernetes.io/zone", m.zone.as_str()),
    ] {
        meta.labels.insert(k.into(), v.into());
    }
    meta.annotations.insert("node.alpha.kubernetes.io/ttl".into(), "0".into());
    meta.annotations.insert("volumes.kubernetes.io/controller-managed-attach-detach".into(), "true".into());
    let cidr = format!("10.244.{}.0/24", m.pod_cidr_index);
    let node = Node {
        metadata: meta,
        spec: NodeSpec { pod_cidr: cidr.clone(), pod_cidrs: vec![cidr], provider_id: format!("kind://docker/kubarium/{name}"), ..Default::default() },
        status: NodeStatus {
            capacity: node_capacity(),
            allocatable: node_capacity(),
            conditions: HEALTHY.iter().map(|(t, s, r, msg, _)| node_condition(t.clone(), s.clone(), r, msg, now)).collect(),
            addresses: vec![
                NodeAddress { type_: "InternalIP".into(), address: m.internal_ip.clone() },
                NodeAddress { type_: "Hostname".into(), address: name.into() },
            ],
            daemon_endpoints: serde_json::json!({"kubeletEndpoint": {"Port": 10250}}),
            node_info: NodeSystemInfo {
                machine_id: m.boot_id.replace('-', ""),
                system_uuid: m.boot_id.clone(),
                boot_id: m.boot_id.clone(),
                kernel_version: "6.8.0-kubarium".into(),
                os_image: "Debian GNU/Linux 12 (bookworm)".into(),
                container_runtime_version: "containerd://2.1.1".into(),
                kubelet_version: KUBELET_VERSION.into(),
                kube_proxy_version: String::new(),
                operating_system: "linux".into(),
                architecture: "amd64".into(),
            },
            ..Default::default()
        },
        ..Default::default()
    };
    cx.api.create(Object::Node(node)).map(|_| ())
}

fn node_ref(node: &str) -> ObjRef {
    ObjRef::new(Kind::Node, "", node)
}

/// `cluster node stop`: the machine powers off; its kubelet stops and every
/// process on it dies at once.
pub fn power_off(cx: &mut Cx, node: &str) -> Result<(), String> {
    let m = cx.world.machines.get_mut(node).ok_or_else(|| format!("node {node:?} not found"))?;
    if !m.powered {
        return Err(format!("node {node} is already stopped"));
    }
    m.powered = false;
    let pods: Vec<Pod> = cx.api.store.pods_on_node(node).cloned().collect();
    for p in &pods {
        for cs in p.status.init_container_statuses.iter().chain(p.status.container_statuses.iter()) {
            if cs.state.running.is_some()
                && let Some(proc) = proc_for(cx.api, p, &cs.name)
            {
                cx.rt.stop(cx.api, cx.world, &proc, false);
            }
        }
    }
    // The node lifecycle controller will find the lease going stale; let it
    // know there is a deadline worth waiting for.
    let now = cx.api.now;
    cx.api.wake_at(now, Ctl::NodeLifecycle, node_ref(node));
    Ok(())
}

/// `cluster node start`: the machine boots (a new boot id); its kubelet
/// comes back after [`BOOT_DELAY`].
pub fn power_on(cx: &mut Cx, node: &str) -> Result<(), String> {
    let uuid = cx.api.rng.uuid();
    let m = cx.world.machines.get_mut(node).ok_or_else(|| format!("node {node:?} not found"))?;
    if m.powered {
        return Err(format!("node {node} is already running"));
    }
    m.powered = true;
    m.boot_id = uuid;
    let now = cx.api.now;
    cx.api.wake_at(now, Ctl::Kubelet, node_ref(node));
    Ok(())
}

/// Runs a program inside a container of a running pod, as `kubectl exec`
/// does. Errors of the API server or the kubelet come back as the text
/// kubectl prints (`Error from server (NotFound): ...`, `error: ...`) with
/// exit code 1. A program that exits non-zero gets kubectl's trailer
/// `command terminated with exit code N`, so the output is exactly what the
/// terminal shows.
pub fn exec(cx: &mut Cx, namespace: &str, pod: &str, container: &str, argv: &[String], stdin: &str) -> ExecResult {
    let fail = |msg: String| ExecResult { output: msg, exit_code: 1 };
    let Some(p) = cx.api.get_t::<Pod>(namespace, pod).cloned() else {
        return fail(format!("Error from server (NotFound): pods \"{pod}\" not found\n"));
    };
    let name = if container.is_empty() { p.spec.containers.first().map(|c| c.name.clone()).unwrap_or_default() } else { container.to_string() };
    if !p.spec.containers.iter().chain(p.spec.init_containers.iter()).any(|c| c.name == name) {
        return fail(format!("Error from server (BadRequest): container {name} is not valid for pod {pod}\n"));
    }
    if p.status.phase.is_terminal() {
        return fail(format!("error: cannot exec into a container in a completed pod; current phase is {}\n", p.status.phase));
    }
    if p.spec.node_name.is_empty() {
        return fail(format!("Error from server (BadRequest): pod {pod} does not have a host assigned\n"));
    }
    let Some(m) = cx.world.machines.get(&p.spec.node_name) else {
        return fail(format!("Error from server: error dialing backend: dial tcp: lookup {}: no such host\n", p.spec.node_name));
    };
    if !m.powered {
        return fail(format!("Error from server: error dialing backend: dial tcp {}:10250: connect: no route to host\n", m.internal_ip));
    }
    let running = p.status.init_container_statuses.iter().chain(p.status.container_statuses.iter()).any(|s| s.name == name && s.state.running.is_some());
    if !running {
        return fail(format!("error: unable to upgrade connection: container not found (\"{name}\")\n"));
    }
    let Some(proc) = proc_for(cx.api, &p, &name) else {
        return fail(format!("error: unable to upgrade connection: container not found (\"{name}\")\n"));
    };
    let mut r = cx.rt.exec(cx.api, cx.world, &proc, argv, stdin);
    if r.exit_code != 0 {
        let trailer = format!("command terminated with exit code {}\n", r.exit_code);
        if !r.output.ends_with(&trailer) {
            if !r.output.is_empty() && !r.output.ends_with('\n') {
                r.output.push('\n');
            }
            r.output.push_str(&trailer);
        }
    }
    r
}

/// The process view of a pod's container as it runs now: image, command,
/// environment, writable layer (the instance is the restart count) and
/// mounts resolved to volumes. `None` if the container does not exist.
pub fn proc_for(api: &Api, pod: &Pod, container: &str) -> Option<crate::engine::cri::Proc> {
    let restarts = pod
        .status
        .container_statuses
        .iter()
        .chain(pod.status.init_container_statuses.iter())
        .find(|s| s.name == container)
        .map(|s| s.restart_count)
        .unwrap_or(0);
    let host_ip = pod.status.host_ip.clone();
    build_proc(api, pod, container, restarts.max(0) as u32, &pod.status.pod_ip, &host_ip).ok()
}

/// Builds the process of a container instance; `Err` carries a
/// CreateContainerConfigError message (a missing ConfigMap or Secret).
pub fn build_proc(api: &Api, pod: &Pod, container: &str, instance: u32, pod_ip: &str, host_ip: &str) -> Result<crate::engine::cri::Proc, String> {
    use crate::engine::world::VolumeId;
    let c = pod
        .spec
        .containers
        .iter()
        .chain(pod.spec.init_containers.iter())
        .find(|c| c.name == container)
        .ok_or_else(|| format!("container {container} not found"))?;
    let uid = pod.metadata.uid.clone();
    let at = env::Placement { pod_ip, host_ip };
    let mut environment = env::container_env(api, pod, c, &at)?;
    environment.entry("HOSTNAME".into()).or_insert_with(|| if pod.spec.hostname.is_empty() { pod.metadata.name.clone() } else { pod.spec.hostname.clone() });
    let lookup = |n: &str| environment.get(n).cloned();
    let command = c.command.iter().map(|a| env::expand(a, &lookup)).collect();
    let args = c.args.iter().map(|a| env::expand(a, &lookup)).collect();
    Ok(crate::engine::cri::Proc {
        pod: pod.key(),
        pod_uid: uid.clone(),
        node: pod.spec.node_name.clone(),
        container: container.into(),
        image: c.image.clone(),
        command,
        args,
        env: environment,
        working_dir: c.working_dir.clone(),
        layer: VolumeId::Container { pod_uid: uid, container: container.into(), instance },
        mounts: volumes::mounts(api, pod, c),
    })
}

/// One machine's kubelet.
#[derive(Clone, Debug)]
pub(crate) struct NodeRt {
    /// The boot this state belongs to.
    pub boot: String,
    /// When the kubelet of this boot runs.
    pub up_at: Time,
    pub started: bool,
    /// This boot followed a power cycle the kubelet saw.
    pub rebooted: bool,
    pub next_lease: Time,
    pub next_status: Time,
    /// Image pulls are serialized per machine (serializeImagePulls).
    pub pull_free_at: Time,
    pub pending_idle: Option<Time>,
    pub pending_sig: Option<Time>,
    /// What the node status last reported (images, volumes in use).
    pub reported: (Vec<String>, Vec<String>),
}

impl NodeRt {
    fn new(boot: &str, up_at: Time) -> NodeRt {
        NodeRt {
            boot: boot.into(),
            up_at,
            started: false,
            rebooted: false,
            next_lease: up_at,
            next_status: up_at,
            pull_free_at: up_at,
            pending_idle: None,
            pending_sig: None,
            reported: Default::default(),
        }
    }
}

/// All kubelets.
#[derive(Clone, Default)]
pub struct Kubelet {
    // Boxed values: BTreeMap's code is compiled per value size, and maps of
    // pointer-sized values share one copy in the wasm.
    pub(crate) pods: BTreeMap<String, Box<PodRt>>,
    pub(crate) by_key: BTreeMap<ObjKey, crate::engine::sort::BoxedSet<String>>,
    // Boxed values, as above.
    pub(crate) nodes: BTreeMap<String, Box<NodeRt>>,
    /// Pods waiting on something outside themselves (volumes, config): synced
    /// again when claims, volumes, attachments, ConfigMaps or Secrets change.
    // A sorted Vec: BTreeSet<ObjKey> brought its own copy of BTreeMap's code.
    pub(crate) waiting: crate::engine::sort::VecSet<ObjKey>,
}

impl Kubelet {
    pub fn new() -> Kubelet {
        Kubelet::default()
    }

    /// Is this machine's kubelet running (powered, booted, started)?
    pub(crate) fn kubelet_up(&self, world: &crate::engine::world::World, node: &str) -> bool {
        match (world.machines.get(node), self.nodes.get(node)) {
            (Some(m), Some(n)) => m.powered && n.boot == m.boot_id && n.started,
            _ => false,
        }
    }

    fn wake_node(&mut self, cx: &mut Cx, node: &str, at: Time, significant: bool) {
        let Some(n) = self.nodes.get_mut(node) else { return };
        let slot = if significant { &mut n.pending_sig } else { &mut n.pending_idle };
        if slot.is_some_and(|t| t <= at && t >= cx.api.now) {
            return;
        }
        *slot = Some(at);
        if significant {
            cx.api.wake_at(at, Ctl::Kubelet, node_ref(node));
        } else {
            cx.api.wake_idle_at(at, Ctl::Kubelet, node_ref(node));
        }
    }

    fn sync_node(&mut self, name: &str, cx: &mut Cx) {
        let Some(m) = cx.world.machines.get(name).cloned() else { return };
        if !m.powered {
            return;
        }
        let now = cx.api.now;
        if let Some(n) = self.nodes.get_mut(name) {
            if n.pending_sig.is_some_and(|t| t <= now) {
                n.pending_sig = None;
            }
            if n.pending_idle.is_some_and(|t| t <= now) {
                n.pending_idle = None;
            }
        }
        let known = self.nodes.get(name).map(|n| n.boot.clone());
        match known {
            None => {
                self.nodes.insert(name.into(), Box::new(NodeRt::new(&m.boot_id, now)));
            }
            Some(b) if b != m.boot_id => {
                let mut n = NodeRt::new(&m.boot_id, now.plus(BOOT_DELAY));
                n.rebooted = true;
                self.nodes.insert(name.into(), Box::new(n));
                for rt in self.pods.values_mut().filter(|rt| rt.node == name) {
                    let policy = cx
                        .api
                        .get_t::<Pod>(&rt.key.namespace, &rt.key.name)
                        .filter(|p| p.metadata.uid == rt.uid)
                        .map(|p| p.spec.restart_policy.clone())
                        .unwrap_or_default();
                    rt.machine_restarted(&policy);
                }
            }
            _ => {}
        }
        let up_at = self.nodes[name].up_at;
        if now < up_at {
            self.wake_node(cx, name, up_at, true);
            return;
        }
        if !self.nodes[name].started {
            self.start(name, cx);
        }
        let n = &self.nodes[name];
        let (lease_due, status_due) = (now >= n.next_lease, now >= n.next_status);
        if lease_due {
            renew_lease(cx, name);
            self.nodes.get_mut(name).expect("node").next_lease = now.plus(LEASE_RENEW);
        }
        self.report_status(cx, name, status_due);
        if status_due {
            self.nodes.get_mut(name).expect("node").next_status = now.plus(STATUS_REPORT);
        }
        let n = &self.nodes[name];
        let next = n.next_lease.min(n.next_status);
        self.wake_node(cx, name, next, false);
    }

    /// The kubelet of a boot starts: events, node status, and every pod bound here.
    fn start(&mut self, name: &str, cx: &mut Cx) {
        let now = cx.api.now;
        let Some(m) = cx.world.machines.get(name).cloned() else { return };
        let rebooted = self.nodes[name].rebooted;
        self.nodes.get_mut(name).expect("node").started = true;
        let Some(node) = cx.api.get_t::<Node>("", name).cloned() else { return };
        let obj = Object::Node(node.clone());
        cx.api.event_from(&obj, "Normal", "Starting", "Starting kubelet.", COMPONENT, name);
        if rebooted && node.status.node_info.boot_id != m.boot_id {
            cx.api.event_from(&obj, "Warning", "Rebooted", &format!("Node {name} has been rebooted, boot id: {}", m.boot_id), COMPONENT, name);
        }
        let mut nn = node.clone();
        nn.status.node_info.boot_id = m.boot_id.clone();
        for (t, s, r, msg, event) in HEALTHY {
            let before = node.status.conditions.iter().find(|c| &c.type_ == t);
            // A freshly registered node records each condition's first report;
            // after a reboot only the conditions that change do.
            if !rebooted || before.is_none_or(|c| &c.status != s) {
                cx.api.event_from(&obj, "Normal", event, &format!("Node {name} status is now: {event}"), COMPONENT, name);
            }
            set_condition(&mut nn.status.conditions, node_condition(t.clone(), s.clone(), r, msg, now));
        }
        cx.api.event_from(&obj, "Normal", "NodeAllocatableEnforced", "Updated Node Allocatable limit across pods", COMPONENT, name);
        let _ = cx.api.update_status(Object::Node(nn));
        renew_lease(cx, name);
        {
            let n = self.nodes.get_mut(name).expect("node");
            n.next_lease = now.plus(LEASE_RENEW);
            n.next_status = now.plus(STATUS_REPORT);
        }
        // every pod bound here, and whatever this kubelet still remembers
        let mut keys: crate::engine::sort::VecSet<ObjKey> = Default::default();
        keys.extend(cx.api.store.pods_on_node(name).map(|p| p.key()));
        keys.extend(self.pods.values().filter(|rt| rt.node == name).map(|rt| rt.key.clone()));
        for k in keys {
            self.sync_pod(&k, cx);
        }
    }

    /// Posts node status when it changed (images, volumes in use) or when the
    /// report is due (heartbeat).
    fn report_status(&mut self, cx: &mut Cx, name: &str, heartbeat: bool) {
        let now = cx.api.now;
        if cx.api.get_t::<Node>("", name).is_none() {
            return;
        }
        let images = node_images(cx, name);
        // GetVolumesInUse: the attachable volumes of every pod the kubelet
        // should run here, reported before they are mounted.
        let in_use = crate::engine::storage::volumes_in_use(cx.api, name);
        let names: Vec<String> = images.iter().flat_map(|i| i.names.clone()).collect();
        let reported = &self.nodes[name].reported;
        let changed = reported.0 != names || reported.1 != in_use;
        if !changed && !heartbeat {
            return;
        }
        self.nodes.get_mut(name).expect("node").reported = (names, in_use.clone());
        // the stored node, shared: copied once for the update
        let stored = cx.api.store.get(Kind::Node, &ObjKey::cluster(name)).cloned();
        let Some(node) = stored.as_deref().and_then(Node::from_object) else { return };
        let mut nn = node.clone();
        nn.status.images = images;
        nn.status.volumes_in_use = in_use;
        if heartbeat {
            for (t, s, r, msg, event) in HEALTHY {
                let Some(c) = get_condition(&nn.status.conditions, t) else { continue };
                if &c.status != s {
                    cx.api.event_from(&Object::Node(node.clone()), "Normal", event, &format!("Node {name} status is now: {event}"), COMPONENT, name);
                }
                set_condition(&mut nn.status.conditions, node_condition(t.clone(), s.clone(), r, msg, now));
            }
        }
        let _ = cx.api.update_status(Object::Node(nn));
    }
}

/// node.status.images: what the machine has pulled, largest first.
fn node_images(cx: &Cx, node: &str) -> Vec<ContainerImage> {
    let Some(m) = cx.world.machines.get(node) else { return vec![] };
    let mut v: Vec<ContainerImage> = m
        .images
        .iter()
        .map(|i| {
            let full = images::full_name(i);
            let mut names = vec![images::image_id(i), full];
            names.dedup();
            ContainerImage { names, size_bytes: images::size_bytes(i) }
        })
        .collect();
    crate::engine::sort::sort_by(&mut v, |a, b| b.size_bytes.cmp(&a.size_bytes).then_with(|| a.names.cmp(&b.names)));
    v.truncate(50);
    v
}

/// Creates or renews the node's Lease in kube-node-lease.
fn renew_lease(cx: &mut Cx, node: &str) {
    let now = cx.api.now;
    match cx.api.get_t::<Lease>("kube-node-lease", node).cloned() {
        Some(mut l) => {
            l.spec.renew_time = Some(MicroTime(now));
            l.spec.holder_identity = Some(node.into());
            let _ = cx.api.update(Object::Lease(l));
        }
        None => {
            let Some(n) = cx.api.get_t::<Node>("", node) else { return };
            let mut meta = ObjectMeta::named("kube-node-lease", node);
            meta.owner_references.push(OwnerReference {
                api_version: "v1".into(),
                kind: "Node".into(),
                name: node.into(),
                uid: n.metadata.uid.clone(),
                controller: None,
                block_owner_deletion: None,
            });
            let l = Lease {
                metadata: meta,
                spec: LeaseSpec {
                    holder_identity: Some(node.into()),
                    lease_duration_seconds: Some(LEASE_DURATION_SECONDS),
                    renew_time: Some(MicroTime(now)),
                    ..Default::default()
                },
                ..Default::default()
            };
            let _ = cx.api.create(Object::Lease(l));
        }
    }
}

impl Controller for Kubelet {
    fn id(&self) -> Ctl {
        Ctl::Kubelet
    }

    fn watch(&mut self, change: &Change, api: &Api, queue: &mut WorkQueue) {
        match change.kind {
            Kind::Pod => {
                let (old, new) = change.typed::<Pod>();
                let bound = new.is_some_and(|p| !p.spec.node_name.is_empty()) || old.is_some_and(|p| !p.spec.node_name.is_empty());
                if bound || self.by_key.contains_key(&change.key) {
                    queue.add(change.obj_ref());
                }
            }
            Kind::Node => {
                let (old, new) = change.typed::<Node>();
                match (old, new) {
                    (None, Some(_)) => queue.add(change.obj_ref()),
                    (Some(o), Some(n)) if o.status.volumes_in_use != n.status.volumes_in_use || o.status.volumes_attached != n.status.volumes_attached => {
                        // The volume manager's reconciler sees at once that a
                        // volume was reported in use (MarkVolumesAsReportedInUse)
                        // or attached (VerifyControllerAttachedVolume reads
                        // node.status.volumesAttached): the pods waiting for
                        // their volumes on this node go on.
                        let node = &change.key.name;
                        for k in &self.waiting {
                            let here = self.by_key.get(k).is_some_and(|uids| uids.iter().any(|u| self.pods.get(u).is_some_and(|rt| &rt.node == node)));
                            if here {
                                queue.add(ObjRef { kind: Kind::Pod, key: k.clone() });
                            }
                        }
                    }
                    _ => {}
                }
            }
            Kind::VolumeAttachment | Kind::PersistentVolumeClaim | Kind::PersistentVolume | Kind::CsiDriver | Kind::ConfigMap | Kind::Secret => {
                for k in &self.waiting {
                    queue.add(ObjRef { kind: Kind::Pod, key: k.clone() });
                }
                // configMap/secret volumes are refreshed in running pods too
                if matches!(change.kind, Kind::ConfigMap | Kind::Secret) {
                    let ns = &change.key.namespace;
                    for k in self.by_key.keys().filter(|k| &k.namespace == ns) {
                        queue.add(ObjRef { kind: Kind::Pod, key: k.clone() });
                    }
                }
                let _ = api;
            }
            _ => {}
        }
    }

    fn sync(&mut self, key: &ObjRef, cx: &mut Cx) {
        match key.kind {
            Kind::Node => self.sync_node(&key.key.name, cx),
            Kind::Pod => self.sync_pod(&key.key, cx),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn healthy_conditions_are_in_kubelet_order() {
        let types: Vec<&str> = HEALTHY.iter().map(|h| h.0.as_str()).collect();
        assert_eq!(types, ["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"]);
    }
}
