//! The default cluster every session starts from (TRANSCRIPTS.md), and what
//! the `cluster` verbs do to the world under it (machines added, drivers
//! installed). The verbs themselves are `Cluster::cluster_verb`'s.

use crate::engine::api::*;
use crate::engine::control::Cx;
use crate::engine::world::Machine;

pub const DEFAULT_NODES: &[(&str, &str)] = &[("node-a", "zone-a"), ("node-b", "zone-b"), ("node-c", "zone-c")];

/// Storage drivers installed on the default cluster.
pub const DEFAULT_DRIVERS: &[&str] = &[
    "rancher.io/local-path",
    "kubernetes.io/no-provisioner",
    "ebs.csi.aws.com",
    "pd.csi.storage.gke.io",
    "disk.csi.azure.com",
    "efs.csi.aws.com",
    "nfs.csi.k8s.io",
];

/// The API server's advertised address (the control plane is not a node:
/// it sits before the nodes' addresses on their network).
pub const APISERVER_ADDRESS: &str = "172.18.0.1";

fn labels(pairs: &[(&str, &str)]) -> Labels {
    crate::engine::sort::map_from(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
}

pub fn default_cluster(cx: &mut Cx) {
    for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        let n = Namespace { metadata: ObjectMeta::named("", ns), ..Default::default() };
        cx.api.create(Object::Namespace(n)).expect("bootstrap namespace");
    }
    crate::engine::apiserver::rbac::bootstrap(cx.api);
    crate::engine::apiserver::admission::bootstrap_priority_classes(cx.api);
    // The `kubernetes` service of the API server.
    let svc = Service {
        metadata: ObjectMeta {
            name: "kubernetes".into(),
            namespace: "default".into(),
            labels: labels(&[("component", "apiserver"), ("provider", "kubernetes")]),
            ..Default::default()
        },
        spec: ServiceSpec {
            cluster_ip: "10.96.0.1".into(),
            ports: vec![ServicePort { name: "https".into(), port: 443, target_port: Some(IntOrString::Int(6443)), ..Default::default() }],
            ..Default::default()
        },
        ..Default::default()
    };
    cx.api.create(Object::Service(svc)).expect("bootstrap kubernetes service");
    // Its EndpointSlice, from the API server's endpoint reconciler, with a
    // uid from a generator seeded by its name: no session's random choices move.
    let slice = crate::engine::controllers::endpointslice::kubernetes_slice(APISERVER_ADDRESS);
    let session = std::mem::replace(&mut cx.api.rng, crate::engine::rng::Rng::new(crate::engine::rng::fnv32a(b"EndpointSlice/default/kubernetes") as u64));
    let r = cx.api.create(Object::Generic(slice));
    cx.api.rng = session;
    r.expect("bootstrap kubernetes endpointslice");
    for (name, zone) in DEFAULT_NODES {
        add_node(cx, name, zone).expect("bootstrap node");
    }
    for (name, default) in [("local-path", false), ("standard", true)] {
        let mut meta = ObjectMeta::named("", name);
        if default {
            meta.annotations.insert("storageclass.kubernetes.io/is-default-class".into(), "true".into());
        }
        let sc = StorageClass {
            metadata: meta,
            provisioner: "rancher.io/local-path".into(),
            reclaim_policy: Some(PersistentVolumeReclaimPolicy::Delete),
            volume_binding_mode: Some(VolumeBindingMode::WaitForFirstConsumer),
            ..Default::default()
        };
        cx.api.create(Object::StorageClass(sc)).expect("bootstrap storage class");
    }
    for d in DEFAULT_DRIVERS {
        install_driver(cx, d);
    }
}

/// A node's machine comes up and its kubelet registers the Node object.
pub fn add_node(cx: &mut Cx, name: &str, zone: &str) -> Result<(), String> {
    if cx.world.machines.contains_key(name) {
        return Err(format!("node {name} already exists"));
    }
    let index = cx.world.machines.len() as u32 + 1;
    let machine = Machine {
        zone: zone.into(),
        powered: true,
        boot_id: cx.api.rng.uuid(),
        internal_ip: format!("172.18.0.{}", index + 1),
        images: Default::default(),
        pod_cidr_index: index,
        next_pod_ip: 2,
    };
    cx.world.machines.insert(name.into(), Box::new(machine));
    if let Err(e) = crate::engine::kubelet::register_node(cx, name) {
        cx.world.machines.remove(name);
        return Err(format!("the kubelet could not register this node: {}", e.message));
    }
    Ok(())
}

/// A storage driver is installed: its provisioner, CSIDriver and node
/// plugins (`storage::install_driver`), then the provisioner's first list
/// of the claims waiting for it.
pub fn install_driver(cx: &mut Cx, name: &str) {
    crate::engine::storage::install_driver(cx, name);
    crate::engine::controllers::provisioner::wake_waiting_claims(cx.api, name);
}
