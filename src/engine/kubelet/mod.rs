//! The simulated kubelet: one per machine. It registers its Node, renews
//! its Lease, runs the pods bound to it (image pulls, container starts,
//! probes, restarts, graceful termination) and answers `exec`.

use crate::engine::api::*;
use crate::engine::bootstrap::{node_capacity, KUBELET_VERSION};
use crate::engine::controllers::Cx;

pub use crate::engine::programs::ExecResult;

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

/// The process view of a pod's container: image, command, environment,
/// writable layer (one per restart) and mounts resolved to volumes.
pub fn proc_for(api: &crate::engine::apiserver::Api, pod: &Pod, container: &str) -> Option<crate::engine::programs::Proc> {
    use crate::engine::fs::Mount;
    use crate::engine::world::VolumeId;
    let c = pod.spec.containers.iter().chain(pod.spec.init_containers.iter()).find(|c| c.name == container)?;
    let node = pod.spec.node_name.clone();
    let uid = pod.metadata.uid.clone();
    let restarts = pod.status.container_statuses.iter().find(|s| s.name == container).map(|s| s.restart_count).unwrap_or(0);
    let mut mounts = vec![];
    for vm in &c.volume_mounts {
        let Some(v) = pod.spec.volumes.iter().find(|v| v.name == vm.name) else { continue };
        let id = if let Some(pvc) = &v.persistent_volume_claim {
            let claim = api.get_t::<PersistentVolumeClaim>(&pod.metadata.namespace, &pvc.claim_name);
            let pv = claim.and_then(|c| api.get_t::<PersistentVolume>("", &c.spec.volume_name));
            match pv {
                Some(pv) => crate::engine::storage::volume_id_for_pv(pv, &node),
                None => continue,
            }
        } else if let Some(hp) = &v.host_path {
            VolumeId::HostDir { node: node.clone(), path: hp.path.clone() }
        } else if let Some(n) = &v.nfs {
            VolumeId::Nfs { server: n.server.clone(), path: n.path.clone() }
        } else {
            VolumeId::EmptyDir { pod_uid: uid.clone(), volume: v.name.clone() }
        };
        let path = crate::engine::fs::clean(&vm.mount_path, "/");
        mounts.push(Mount { path, volume: id, sub_path: vm.sub_path.clone(), read_only: vm.read_only, name: vm.name.clone() });
    }
    let mut env = std::collections::BTreeMap::new();
    for e in &c.env {
        if let Some(v) = &e.value {
            env.insert(e.name.clone(), v.clone());
        }
    }
    Some(crate::engine::programs::Proc {
        pod: pod.key(),
        pod_uid: uid.clone(),
        node,
        container: container.into(),
        image: c.image.clone(),
        command: c.command.clone(),
        args: c.args.clone(),
        env,
        working_dir: c.working_dir.clone(),
        layer: VolumeId::Container { pod_uid: uid, container: container.into(), instance: restarts as u32 },
        mounts,
    })
}
