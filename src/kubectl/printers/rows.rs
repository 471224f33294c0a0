//! The table columns and rows of every kind, as the API server's table
//! convertor builds them (pkg/printers/internalversion/printers.go). The
//! server always generates the wide cells; kubectl drops columns with a
//! priority unless `-o wide` (tableprinter.go's printTable).

use crate::engine::api::*;
use crate::engine::time::{Time, human_duration};
use std::collections::BTreeMap;

/// A column definition: its name as the server sends it (kubectl prints it
/// upper-cased) and its priority (0: always shown, 1: only with `-o wide`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub priority: u8,
}

pub(crate) const fn col(name: &'static str) -> Column {
    Column { name, priority: 0 }
}
pub(crate) const fn wide(name: &'static str) -> Column {
    Column { name, priority: 1 }
}

/// The column definitions of a kind's table.
pub fn columns(kind: Kind) -> &'static [Column] {
    match kind {
        Kind::Pod => {
            const {
                &[
                    col("Name"),
                    col("Ready"),
                    col("Status"),
                    col("Restarts"),
                    col("Age"),
                    wide("IP"),
                    wide("Node"),
                    wide("Nominated Node"),
                    wide("Readiness Gates"),
                ]
            }
        }
        Kind::PodDisruptionBudget => const { &[col("Name"), col("Min Available"), col("Max Unavailable"), col("Allowed Disruptions"), col("Age")] },
        Kind::ReplicaSet => {
            const { &[col("Name"), col("Desired"), col("Current"), col("Ready"), col("Age"), wide("Containers"), wide("Images"), wide("Selector")] }
        }
        Kind::Service => const { &[col("Name"), col("Type"), col("Cluster-IP"), col("External-IP"), col("Port(s)"), col("Age"), wide("Selector")] },
        Kind::StatefulSet => const { &[col("Name"), col("Ready"), col("Age"), wide("Containers"), wide("Images")] },
        Kind::Endpoints => const { &[col("Name"), col("Endpoints"), col("Age")] },
        Kind::Node => {
            const {
                &[
                    col("Name"),
                    col("Status"),
                    col("Roles"),
                    col("Age"),
                    col("Version"),
                    wide("Internal-IP"),
                    wide("External-IP"),
                    wide("OS-Image"),
                    wide("Kernel-Version"),
                    wide("Container-Runtime"),
                ]
            }
        }
        Kind::Event => {
            const {
                &[
                    col("Last Seen"),
                    col("Type"),
                    col("Reason"),
                    col("Object"),
                    wide("Subobject"),
                    wide("Source"),
                    col("Message"),
                    wide("First Seen"),
                    wide("Count"),
                    wide("Name"),
                ]
            }
        }
        Kind::Namespace => const { &[col("Name"), col("Status"), col("Age")] },
        Kind::Secret => const { &[col("Name"), col("Type"), col("Data"), col("Age")] },
        Kind::ServiceAccount => const { &[col("Name"), col("Age")] },
        Kind::PersistentVolume => {
            const {
                &[
                    col("Name"),
                    col("Capacity"),
                    col("Access Modes"),
                    col("Reclaim Policy"),
                    col("Status"),
                    col("Claim"),
                    col("StorageClass"),
                    col("VolumeAttributesClass"),
                    col("Reason"),
                    col("Age"),
                    wide("VolumeMode"),
                ]
            }
        }
        Kind::PersistentVolumeClaim => {
            const {
                &[
                    col("Name"),
                    col("Status"),
                    col("Volume"),
                    col("Capacity"),
                    col("Access Modes"),
                    col("StorageClass"),
                    col("VolumeAttributesClass"),
                    col("Age"),
                    wide("VolumeMode"),
                ]
            }
        }
        Kind::Deployment => {
            const { &[col("Name"), col("Ready"), col("Up-to-date"), col("Available"), col("Age"), wide("Containers"), wide("Images"), wide("Selector")] }
        }
        Kind::ConfigMap => const { &[col("Name"), col("Data"), col("Age")] },
        Kind::Lease => const { &[col("Name"), col("Holder"), col("Age")] },
        Kind::StorageClass => {
            const { &[col("Name"), col("Provisioner"), col("ReclaimPolicy"), col("VolumeBindingMode"), col("AllowVolumeExpansion"), col("Age")] }
        }
        Kind::ControllerRevision => const { &[col("Name"), col("Controller"), col("Revision"), col("Age")] },
        Kind::ResourceQuota => const { &[col("Name"), col("Request"), col("Limit"), col("Age")] },
        Kind::VolumeAttachment => const { &[col("Name"), col("Attacher"), col("PV"), col("Node"), col("Attached"), col("Age")] },
        Kind::CsiNode => const { &[col("Name"), col("Drivers"), col("Age")] },
        Kind::CsiDriver => {
            const {
                &[
                    col("Name"),
                    col("AttachRequired"),
                    col("PodInfoOnMount"),
                    col("StorageCapacity"),
                    col("TokenRequests"),
                    col("RequiresRepublish"),
                    col("Modes"),
                    col("Age"),
                ]
            }
        }
        k => super::generic::columns(k),
    }
}

/// The cells of an object's row, wide cells included.
pub fn row(obj: &Object, now: Time) -> Vec<String> {
    let age = age(obj.meta().creation_timestamp, now);
    let name = obj.meta().name.clone();
    match obj {
        Object::Pod(p) => pod_row(p, now),
        Object::Generic(g) => super::generic::row(g, now),
        Object::PodDisruptionBudget(p) => vec![
            name,
            p.spec.min_available.as_ref().map(|v| v.to_string()).unwrap_or_else(|| "N/A".into()),
            p.spec.max_unavailable.as_ref().map(|v| v.to_string()).unwrap_or_else(|| "N/A".into()),
            p.status.disruptions_allowed.to_string(),
            age,
        ],
        Object::ReplicaSet(r) => {
            let (names, images) = container_cells(&r.spec.template.spec.containers);
            vec![
                name,
                r.spec.replicas.unwrap_or(0).to_string(),
                r.status.replicas.to_string(),
                r.status.ready_replicas.to_string(),
                age,
                names,
                images,
                format_label_selector(r.spec.selector.as_ref()),
            ]
        }
        Object::Service(s) => {
            let cluster_ip = s.spec.cluster_ips.first().cloned().unwrap_or_else(|| "<none>".into());
            let mut ports = port_string(&s.spec.ports);
            if ports.is_empty() {
                ports = "<none>".into();
            }
            vec![name, s.spec.type_.clone(), cluster_ip, service_external_ip(s, true), ports, age, format_labels(&s.spec.selector)]
        }
        Object::StatefulSet(s) => {
            let (names, images) = container_cells(&s.spec.template.spec.containers);
            vec![name, format!("{}/{}", s.status.ready_replicas, s.spec.replicas.unwrap_or(0)), age, names, images]
        }
        Object::Endpoints(e) => vec![name, format_endpoints(e), age],
        Object::Node(n) => node_row(n, age),
        Object::Event(e) => event_row(e, now),
        Object::Namespace(n) => vec![name, n.status.phase.to_string(), age],
        Object::Secret(s) => vec![name, s.type_.clone(), s.data.len().to_string(), age],
        Object::ServiceAccount(_) => vec![name, age],
        Object::PersistentVolume(v) => {
            let claim = v.spec.claim_ref.as_ref().map(|c| format!("{}/{}", c.namespace, c.name)).unwrap_or_default();
            let phase = if v.metadata.is_deleting() { "Terminating".to_string() } else { v.status.phase.to_string() };
            vec![
                name,
                quantity_string(v.spec.capacity.get("storage")),
                access_modes_string(&v.spec.access_modes),
                v.spec.persistent_volume_reclaim_policy.to_string(),
                phase,
                claim,
                pv_class(v).to_string(),
                v.spec.volume_attributes_class_name.clone().unwrap_or_else(|| "<unset>".into()),
                v.status.reason.clone(),
                age,
                v.spec.volume_mode.clone().unwrap_or_else(|| "<unset>".into()),
            ]
        }
        Object::PersistentVolumeClaim(c) => {
            let phase = if c.metadata.is_deleting() { "Terminating".to_string() } else { c.status.phase.to_string() };
            let (capacity, modes) = if c.spec.volume_name.is_empty() {
                (String::new(), String::new())
            } else {
                (quantity_string(c.status.capacity.get("storage")), access_modes_string(&c.status.access_modes))
            };
            vec![
                name,
                phase,
                c.spec.volume_name.clone(),
                capacity,
                modes,
                pvc_class(c).to_string(),
                c.spec.volume_attributes_class_name.clone().unwrap_or_else(|| "<unset>".into()),
                age,
                c.spec.volume_mode.clone().unwrap_or_else(|| "<unset>".into()),
            ]
        }
        Object::Deployment(d) => {
            let (names, images) = container_cells(&d.spec.template.spec.containers);
            vec![
                name,
                format!("{}/{}", d.status.ready_replicas, d.spec.replicas.unwrap_or(0)),
                d.status.updated_replicas.to_string(),
                d.status.available_replicas.to_string(),
                age,
                names,
                images,
                d.spec.selector.as_ref().map(selector_string).unwrap_or_default(),
            ]
        }
        Object::ConfigMap(c) => vec![name, (c.data.len() + c.binary_data.len()).to_string(), age],
        Object::Lease(l) => vec![name, l.spec.holder_identity.clone().unwrap_or_default(), age],
        Object::StorageClass(s) => {
            let shown = if s.is_default() { format!("{name} (default)") } else { name };
            vec![
                shown,
                s.provisioner.clone(),
                s.reclaim().to_string(),
                s.binding_mode().to_string(),
                s.allow_volume_expansion.unwrap_or(false).to_string(),
                age,
            ]
        }
        Object::ControllerRevision(r) => {
            let controller = match r.metadata.controller_ref() {
                Some(c) => {
                    let group = c.api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
                    if c.kind.is_empty() {
                        c.name.clone()
                    } else if group.is_empty() {
                        format!("{}/{}", c.kind.to_lowercase(), c.name)
                    } else {
                        format!("{}.{}/{}", c.kind.to_lowercase(), group, c.name)
                    }
                }
                None => "<none>".into(),
            };
            vec![name, controller, r.revision.to_string(), age]
        }
        Object::ResourceQuota(q) => {
            let mut request = vec![];
            let mut limit = vec![];
            for (res, hard) in &q.status.hard {
                let used = quantity_string(q.status.used.get(res));
                let text = format!("{res}: {used}/{hard}");
                let pieces: Vec<&str> = res.split('.').collect();
                if pieces.len() > 1 && pieces[0] == "limits" {
                    limit.push(text);
                } else {
                    request.push(text);
                }
            }
            vec![name, request.join(", "), limit.join(", "), age]
        }
        Object::VolumeAttachment(v) => vec![
            name,
            v.spec.attacher.clone(),
            v.spec.source.persistent_volume_name.clone().unwrap_or_default(),
            v.spec.node_name.clone(),
            v.status.attached.to_string(),
            age,
        ],
        Object::CsiNode(n) => vec![name, n.spec.drivers.len().to_string(), age],
        Object::CsiDriver(d) => {
            let modes = if d.spec.volume_lifecycle_modes.is_empty() { "<none>".to_string() } else { d.spec.volume_lifecycle_modes.join(",") };
            // A nil tokenRequests prints <unset>; our type cannot tell nil
            // from empty, and an empty list is what nobody writes.
            let tokens = if d.spec.token_requests.is_empty() {
                "<unset>".to_string()
            } else {
                d.spec.token_requests.iter().map(|t| t.get("audience").and_then(|a| a.as_str()).unwrap_or("").to_string()).collect::<Vec<_>>().join(",")
            };
            vec![
                name,
                d.spec.attach_required.unwrap_or(true).to_string(),
                d.spec.pod_info_on_mount.unwrap_or(false).to_string(),
                d.spec.storage_capacity.unwrap_or(false).to_string(),
                tokens,
                d.spec.requires_republish.unwrap_or(false).to_string(),
                modes,
                age,
            ]
        }
    }
}

// ---------------------------------------------------------------- helpers shared with describe

/// translateTimestampSince: the AGE column.
pub fn age(t: Option<Time>, now: Time) -> String {
    match t {
        None => "<unknown>".into(),
        Some(t) => human_duration(now.0 - t.0),
    }
}

/// A quantity's String(), with Go's zero Quantity printing `0`.
pub fn quantity_string(q: Option<&crate::engine::quantity::Quantity>) -> String {
    q.map(|q| q.to_string()).unwrap_or_else(|| "0".into())
}

/// helper.GetAccessModesAsString: RWO, ROX, RWX, RWOP, in that order, deduplicated.
pub use crate::engine::api::access_modes_string;

const BETA_STORAGE_CLASS_ANNOTATION: &str = "volume.beta.kubernetes.io/storage-class";

/// helper.GetPersistentVolumeClass.
pub fn pv_class(v: &PersistentVolume) -> &str {
    v.metadata.annotation(BETA_STORAGE_CLASS_ANNOTATION).unwrap_or(&v.spec.storage_class_name)
}

/// helper.GetPersistentVolumeClaimClass.
pub fn pvc_class(c: &PersistentVolumeClaim) -> &str {
    if let Some(a) = c.metadata.annotation(BETA_STORAGE_CLASS_ANNOTATION) {
        return a;
    }
    c.spec.storage_class_name.as_deref().unwrap_or("")
}

/// labels.FormatLabels: `k=v,k2=v2` sorted by key, `<none>` when empty.
pub fn format_labels(labels: &BTreeMap<String, String>) -> String {
    if labels.is_empty() {
        return "<none>".into();
    }
    labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
}

/// The internal labels.Selector's String() for a LabelSelector
/// (metav1.LabelSelectorAsSelector): requirements sorted by key.
pub fn selector_string(s: &LabelSelector) -> String {
    let mut reqs: Vec<(String, String)> = vec![];
    for (k, v) in &s.match_labels {
        reqs.push((k.clone(), format!("{k}={v}")));
    }
    for r in &s.match_expressions {
        let mut vals = r.values.clone();
        crate::engine::sort::sort(&mut vals);
        vals.dedup();
        let text = match r.operator.as_str() {
            "In" => format!("{} in ({})", r.key, vals.join(",")),
            "NotIn" => format!("{} notin ({})", r.key, vals.join(",")),
            "Exists" => r.key.clone(),
            "DoesNotExist" => format!("!{}", r.key),
            _ => return "<error>".into(),
        };
        reqs.push((r.key.clone(), text));
    }
    crate::engine::sort::sort_by(&mut reqs, |a, b| a.0.cmp(&b.0));
    reqs.into_iter().map(|(_, t)| t).collect::<Vec<_>>().join(",")
}

/// metav1.FormatLabelSelector: `<none>` for an empty (or missing) selector.
pub fn format_label_selector(s: Option<&LabelSelector>) -> String {
    let text = s.map(selector_string).unwrap_or_default();
    if text.is_empty() { "<none>".into() } else { text }
}

fn container_cells(containers: &[Container]) -> (String, String) {
    (containers.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(","), containers.iter().map(|c| c.image.as_str()).collect::<Vec<_>>().join(","))
}

/// makePortString: `80/TCP`, `5432:31234/TCP`.
pub fn port_string(ports: &[ServicePort]) -> String {
    ports
        .iter()
        .map(|p| if p.node_port > 0 { format!("{}:{}/{}", p.port, p.node_port, p.protocol) } else { format!("{}/{}", p.port, p.protocol) })
        .collect::<Vec<_>>()
        .join(",")
}

fn load_balancer_ips(s: &Service) -> Vec<String> {
    let mut set = std::collections::BTreeSet::new();
    if let Some(ingress) = s.status.load_balancer.get("ingress").and_then(|i| i.as_array()) {
        for i in ingress {
            let ip = i.get("ip").and_then(|v| v.as_str()).unwrap_or("");
            let host = i.get("hostname").and_then(|v| v.as_str()).unwrap_or("");
            if !ip.is_empty() {
                set.insert(ip.to_string());
            } else if !host.is_empty() {
                set.insert(host.to_string());
            }
        }
    }
    set.into_iter().collect()
}

/// getServiceExternalIP.
pub fn service_external_ip(s: &Service, wide: bool) -> String {
    match s.spec.type_.as_str() {
        "ClusterIP" | "NodePort" => {
            if s.spec.external_ips.is_empty() {
                "<none>".into()
            } else {
                s.spec.external_ips.join(",")
            }
        }
        "LoadBalancer" => {
            let mut lb = load_balancer_ips(s).join(",");
            if !wide && lb.len() > 16 {
                lb = format!("{}...", &lb[..13]);
            }
            if !s.spec.external_ips.is_empty() {
                let mut all: Vec<String> = if lb.is_empty() { vec![] } else { lb.split(',').map(String::from).collect() };
                all.extend(s.spec.external_ips.iter().cloned());
                return all.join(",");
            }
            if lb.is_empty() { "<pending>".into() } else { lb }
        }
        "ExternalName" => s.spec.external_name.clone(),
        _ => "<unknown>".into(),
    }
}

fn join_host_port(ip: &str, port: i32) -> String {
    if ip.contains(':') { format!("[{ip}]:{port}") } else { format!("{ip}:{port}") }
}

/// formatEndpoints (all ports): at most three `ip:port`, then `+ N more...`.
pub fn format_endpoints(e: &Endpoints) -> String {
    if e.subsets.is_empty() {
        return "<none>".into();
    }
    let max = 3;
    let mut list: Vec<String> = vec![];
    let mut more = false;
    let mut count = 0;
    for ss in &e.subsets {
        if ss.ports.is_empty() {
            count += ss.addresses.len();
            for a in &ss.addresses {
                if list.len() == max {
                    more = true;
                    break;
                }
                list.push(a.ip.clone());
            }
            continue;
        }
        for p in &ss.ports {
            count += ss.addresses.len();
            for a in &ss.addresses {
                if list.len() == max {
                    more = true;
                    break;
                }
                list.push(join_host_port(&a.ip, p.port));
            }
        }
    }
    let ret = list.join(",");
    if more { format!("{ret} + {} more...", count - max) } else { ret }
}

fn node_row(n: &Node, age: String) -> Vec<String> {
    let mut status = vec![];
    if let Some(c) = n.status.conditions.iter().rev().find(|c| c.type_ == ConditionType::Ready) {
        status.push(if c.status == ConditionStatus::True { "Ready".to_string() } else { "NotReady".to_string() });
    }
    if status.is_empty() {
        status.push("Unknown".into());
    }
    if n.spec.unschedulable {
        status.push("SchedulingDisabled".into());
    }
    let roles = node_roles(n);
    let roles = if roles.is_empty() { "<none>".to_string() } else { roles.join(",") };
    let info = &n.status.node_info;
    let or_unknown = |s: &str| {
        if s.is_empty() { "<unknown>".to_string() } else { s.to_string() }
    };
    let mut kernel = or_unknown(&info.kernel_version);
    if !info.architecture.is_empty() {
        kernel = format!("{kernel} ({})", info.architecture);
    }
    let addr = |t: &str| n.status.addresses.iter().find(|a| a.type_ == t).map(|a| a.address.clone()).unwrap_or_else(|| "<none>".into());
    vec![
        n.metadata.name.clone(),
        status.join(","),
        roles,
        age,
        info.kubelet_version.clone(),
        addr("InternalIP"),
        addr("ExternalIP"),
        or_unknown(&info.os_image),
        kernel,
        or_unknown(&info.container_runtime_version),
    ]
}

/// findNodeRoles: `node-role.kubernetes.io/<role>` labels and `kubernetes.io/role=<role>`.
pub fn node_roles(n: &Node) -> Vec<String> {
    let mut roles = std::collections::BTreeSet::new();
    for (k, v) in &n.metadata.labels {
        if let Some(r) = k.strip_prefix("node-role.kubernetes.io/") {
            if !r.is_empty() {
                roles.insert(r.to_string());
            }
        } else if k == "kubernetes.io/role" && !v.is_empty() {
            roles.insert(v.clone());
        }
    }
    roles.into_iter().collect()
}

fn event_row(e: &Event, now: Time) -> Vec<String> {
    let first = match e.first_timestamp {
        Some(t) => age(Some(t), now),
        None => age(e.event_time.map(|m| m.0), now),
    };
    let last = match e.last_timestamp {
        Some(t) => age(Some(t), now),
        None => first.clone(),
    };
    let count = if e.count == 0 { 1 } else { e.count };
    let kind = e.involved_object.kind.to_lowercase();
    let target = if e.involved_object.name.is_empty() { kind } else { format!("{kind}/{}", e.involved_object.name) };
    let component = if e.source.component.is_empty() { e.reporting_component.clone() } else { e.source.component.clone() };
    let host = if e.source.host.is_empty() { e.reporting_instance.clone() } else { e.source.host.clone() };
    let source = if host.is_empty() { component } else { format!("{component}, {host}") };
    vec![
        last,
        e.type_.clone(),
        e.reason.clone(),
        target,
        e.involved_object.field_path.clone(),
        source,
        e.message.trim().to_string(),
        first,
        count.to_string(),
        e.metadata.name.clone(),
    ]
}

// ---------------------------------------------------------------- pods

fn is_restartable_init(c: Option<&Container>) -> bool {
    c.is_some_and(|c| c.restart_policy.as_deref() == Some("Always"))
}

fn condition_true(p: &Pod, type_: &ConditionType) -> bool {
    is_condition_true(&p.status.conditions, type_)
}

fn finished_at(s: &ContainerStatus) -> Option<Time> {
    s.last_state.terminated.as_ref().and_then(|t| t.finished_at)
}

/// What printPod computes: READY, STATUS, RESTARTS (with its "ago").
#[derive(Clone, Debug, PartialEq)]
pub struct PodSummary {
    pub ready: usize,
    pub total: usize,
    /// The STATUS word.
    pub reason: String,
    /// What that word says, decided where the word is (for readers that
    /// need the meaning: the page's map colours pods by it).
    pub state: PodState,
    pub restarts: i64,
    pub last_restart: Option<Time>,
}

/// What a pod's STATUS word says about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodState {
    /// `Pending`, `ContainerCreating`, `PodInitializing`, `Init:...`.
    Starting,
    /// `Running` (its containers may not all be ready).
    Running,
    /// `Completed`, `Succeeded`.
    Done,
    /// Anything else: `CrashLoopBackOff`, `Error`, `NotReady`, `Unknown`, ...
    Failing,
    /// `Terminating`.
    Terminating,
}

impl PodState {
    /// The state a word of the API (a phase, a pod's or a container's
    /// reason) means when STATUS shows it as is.
    fn of_api_word(w: &str) -> PodState {
        match w {
            "Running" => PodState::Running,
            "Pending" | "ContainerCreating" | "PodInitializing" => PodState::Starting,
            "Completed" | "Succeeded" => PodState::Done,
            _ => PodState::Failing,
        }
    }
}

/// printPod's status logic.
pub fn pod_summary(pod: &Pod) -> PodSummary {
    let mut restarts: i64 = 0;
    let mut restartable_init_restarts: i64 = 0;
    let mut total = pod.spec.containers.len();
    let mut ready = 0;
    let mut last_restart: Option<Time> = None;
    let mut last_restartable_init_restart: Option<Time> = None;
    let later = |cur: Option<Time>, t: Option<Time>| match (cur, t) {
        (Some(c), Some(t)) if t > c => Some(t),
        (None, Some(t)) => Some(t),
        (c, _) => c,
    };

    let mut reason = if pod.status.reason.is_empty() { pod.status.phase.to_string() } else { pod.status.reason.clone() };
    let mut state = PodState::of_api_word(&reason);
    for c in &pod.status.conditions {
        if c.type_ == ConditionType::PodScheduled && c.reason == "SchedulingGated" {
            reason = "SchedulingGated".into();
            state = PodState::Failing;
        }
    }

    let init_spec = |name: &str| pod.spec.init_containers.iter().find(|c| c.name == name);
    for c in &pod.spec.init_containers {
        if is_restartable_init(Some(c)) {
            total += 1;
        }
    }

    let mut initializing = false;
    let n_init = pod.spec.init_containers.len();
    for (i, cs) in pod.status.init_container_statuses.iter().enumerate() {
        restarts += cs.restart_count as i64;
        last_restart = later(last_restart, finished_at(cs));
        let restartable = is_restartable_init(init_spec(&cs.name));
        if restartable {
            restartable_init_restarts += cs.restart_count as i64;
            last_restartable_init_restart = later(last_restartable_init_restart, finished_at(cs));
        }
        let term = cs.state.terminated.as_ref();
        if term.is_some_and(|t| t.exit_code == 0) {
            continue;
        }
        if restartable && cs.started == Some(true) {
            if cs.ready {
                ready += 1;
            }
            continue;
        }
        if let Some(t) = term {
            reason = if t.reason.is_empty() {
                if t.signal != 0 { format!("Init:Signal:{}", t.signal) } else { format!("Init:ExitCode:{}", t.exit_code) }
            } else {
                format!("Init:{}", t.reason)
            };
        } else if let Some(w) = cs.state.waiting.as_ref().filter(|w| !w.reason.is_empty() && w.reason != "PodInitializing") {
            reason = format!("Init:{}", w.reason);
        } else {
            reason = format!("Init:{i}/{n_init}");
        }
        state = PodState::Starting;
        initializing = true;
        break;
    }

    if !initializing || condition_true(pod, &ConditionType::Initialized) {
        restarts = restartable_init_restarts;
        last_restart = last_restartable_init_restart;
        let mut has_running = false;
        let mut error_reason = None;
        for cs in pod.status.container_statuses.iter().rev() {
            restarts += cs.restart_count as i64;
            last_restart = later(last_restart, finished_at(cs));
            if let Some(w) = cs.state.waiting.as_ref().filter(|w| !w.reason.is_empty()) {
                reason = w.reason.clone();
                state = PodState::of_api_word(&reason);
            } else if let Some(t) = &cs.state.terminated {
                (reason, state) = if !t.reason.is_empty() {
                    (t.reason.clone(), PodState::of_api_word(&t.reason))
                } else if t.signal != 0 {
                    (format!("Signal:{}", t.signal), PodState::Failing)
                } else {
                    (format!("ExitCode:{}", t.exit_code), PodState::Failing)
                };
                if t.exit_code != 0 {
                    error_reason = Some((reason.clone(), state));
                }
            } else if cs.ready && cs.state.running.is_some() {
                has_running = true;
                ready += 1;
            }
        }
        if reason == "Completed" {
            if has_running && condition_true(pod, &ConditionType::Ready) {
                (reason, state) = ("Running".into(), PodState::Running);
            } else if let Some(e) = error_reason {
                (reason, state) = e;
            } else if has_running {
                (reason, state) = ("NotReady".into(), PodState::Failing);
            }
        }
    }

    if pod.metadata.deletion_timestamp.is_some() && pod.status.reason == "NodeLost" {
        (reason, state) = ("Unknown".into(), PodState::Failing);
    } else if pod.metadata.deletion_timestamp.is_some() && !pod.status.phase.is_terminal() {
        (reason, state) = ("Terminating".into(), PodState::Terminating);
    }
    PodSummary { ready, total, reason, state, restarts, last_restart }
}

fn pod_row(pod: &Pod, now: Time) -> Vec<String> {
    let s = pod_summary(pod);
    let restarts = match s.last_restart {
        Some(t) if s.restarts != 0 => format!("{} ({} ago)", s.restarts, age(Some(t), now)),
        _ => s.restarts.to_string(),
    };
    let or_none = |v: &str| {
        if v.is_empty() { "<none>".to_string() } else { v.to_string() }
    };
    let ip = pod.status.pod_ips.first().map(|i| i.ip.as_str()).unwrap_or("");
    let gates = if pod.spec.readiness_gates.is_empty() {
        "<none>".to_string()
    } else {
        let mut true_conditions = 0;
        for g in &pod.spec.readiness_gates {
            let ct = g.get("conditionType").and_then(|v| v.as_str()).unwrap_or("");
            if let Some(c) = pod.status.conditions.iter().find(|c| c.type_.as_str() == ct)
                && c.status == ConditionStatus::True
            {
                true_conditions += 1;
            }
        }
        format!("{true_conditions}/{}", pod.spec.readiness_gates.len())
    };
    vec![
        pod.metadata.name.clone(),
        format!("{}/{}", s.ready, s.total),
        s.reason,
        restarts,
        age(pod.metadata.creation_timestamp, now),
        or_none(ip),
        or_none(&pod.spec.node_name),
        or_none(&pod.status.nominated_node_name),
        gates,
    ]
}
