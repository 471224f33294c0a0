//! The default cluster every session starts from (TRANSCRIPTS.md), and the
//! `cluster` verbs that change the world under it.

use crate::engine::api::*;
use crate::engine::cluster::{Cluster, ClusterVerb};
use crate::engine::controllers::Cx;
use crate::engine::quantity::Quantity;
use crate::engine::world::Machine;
use std::collections::BTreeMap;

pub const DEFAULT_NODES: &[(&str, &str)] = &[("node-a", "zone-a"), ("node-b", "zone-b"), ("node-c", "zone-c")];

pub const KUBELET_VERSION: &str = "v1.36.0";

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

fn labels(pairs: &[(&str, &str)]) -> Labels {
    crate::engine::sort::map_from(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
}

pub fn default_cluster(c: &mut Cluster) {
    for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        let n = Namespace { metadata: ObjectMeta::named("", ns), ..Default::default() };
        c.api.create(Object::Namespace(n)).expect("bootstrap namespace");
    }
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
    c.api.create(Object::Service(svc)).expect("bootstrap kubernetes service");
    for (name, zone) in DEFAULT_NODES {
        add_node(&mut Cx { api: &mut c.api, world: &mut c.world }, name, zone).expect("bootstrap node");
    }
    for (name, default) in [("local-path", false), ("standard", true)] {
        let mut meta = ObjectMeta::named("", name);
        if default {
            meta.annotations.insert("storageclass.kubernetes.io/is-default-class".into(), "true".into());
        }
        let sc = StorageClass {
            metadata: meta,
            provisioner: "rancher.io/local-path".into(),
            reclaim_policy: Some("Delete".into()),
            volume_binding_mode: Some("WaitForFirstConsumer".into()),
            ..Default::default()
        };
        c.api.create(Object::StorageClass(sc)).expect("bootstrap storage class");
    }
    for d in DEFAULT_DRIVERS {
        crate::engine::storage::install_driver(&mut Cx { api: &mut c.api, world: &mut c.world }, d);
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
    cx.world.machines.insert(name.into(), machine);
    if let Err(e) = crate::engine::kubelet::register_node(cx, name) {
        cx.world.machines.remove(name);
        return Err(format!("the kubelet could not register this node: {}", e.message));
    }
    Ok(())
}

/// The capacity every simulated node reports.
pub fn node_capacity() -> BTreeMap<String, Quantity> {
    let q = |s: &str| Quantity::parse(s).expect("valid quantity");
    crate::engine::sort::map_from(
        [("cpu", "4"), ("ephemeral-storage", "100Gi"), ("hugepages-1Gi", "0"), ("hugepages-2Mi", "0"), ("memory", "16Gi"), ("pods", "110")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), q(v))),
    )
}

pub fn cluster_verb(cx: &mut Cx, verb: &ClusterVerb) -> Result<(), String> {
    match verb {
        ClusterVerb::NodeStop { node } => crate::engine::kubelet::power_off(cx, node),
        ClusterVerb::NodeStart { node } => crate::engine::kubelet::power_on(cx, node),
        ClusterVerb::NodeAdd { node, zone } => {
            verb.check()?;
            add_node(cx, node, zone)
        }
        ClusterVerb::DriverInstall { driver } => {
            if cx.world.drivers.contains(driver) {
                return Err(format!("driver {driver} is already installed"));
            }
            crate::engine::storage::install_driver(cx, driver);
            Ok(())
        }
        ClusterVerb::DriverUninstall { driver } => {
            if !cx.world.drivers.contains(driver) {
                return Err(format!("driver {driver} is not installed"));
            }
            crate::engine::storage::uninstall_driver(cx, driver);
            Ok(())
        }
        ClusterVerb::FeatureGate { gate, enabled } => match gate.as_str() {
            "MaxUnavailableStatefulSet" => {
                cx.api.config.max_unavailable_statefulset = *enabled;
                Ok(())
            }
            _ => Err(format!("unknown feature gate {gate:?} (supported: MaxUnavailableStatefulSet)")),
        },
    }
}
