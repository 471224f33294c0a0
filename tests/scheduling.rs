//! Property tests of the scheduler: random workloads with inter-pod
//! affinity and anti-affinity (required and preferred), topology spread
//! constraints (hard and soft), host ports, large requests and volumes that
//! bind when the pod is scheduled, while pods are deleted, nodes stop,
//! start and are cordoned. After every step the placements must respect
//! what the scheduler guarantees (no host port twice on a node, required
//! anti-affinity, requests within allocatable); debug builds also check the
//! scheduler's cache against the store at every decision.
//!
//! `KUBARIUM_SCHED_DUMP=<file>` writes every placement and FailedScheduling
//! message, to compare the decisions of two builds.

use kubarium::engine::api::*;
use kubarium::kubectl::session::Session;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use std::fmt::Write;

#[derive(Clone, Debug)]
enum Op {
    /// Creates or updates Deployment `d{idx}` with the features in `bits`.
    Apply {
        idx: u8,
        replicas: u8,
        bits: u8,
    },
    /// A StatefulSet whose claims wait for the first consumer (the
    /// scheduler assumes its pods while the volumes bind).
    ApplySts {
        replicas: u8,
        anti: bool,
    },
    Scale {
        idx: u8,
        replicas: u8,
    },
    DeletePod {
        pick: u8,
    },
    Service {
        idx: u8,
    },
    NodeStop {
        node: u8,
    },
    NodeStart {
        node: u8,
    },
    Cordon {
        node: u8,
        on: bool,
    },
    Advance {
        secs: u16,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..4u8, 0..6u8, any::<u8>()).prop_map(|(idx, replicas, bits)| Op::Apply { idx, replicas, bits }),
        1 => (0..4u8, any::<bool>()).prop_map(|(replicas, anti)| Op::ApplySts { replicas, anti }),
        2 => (0..4u8, 0..7u8).prop_map(|(idx, replicas)| Op::Scale { idx, replicas }),
        2 => any::<u8>().prop_map(|pick| Op::DeletePod { pick }),
        1 => (0..4u8).prop_map(|idx| Op::Service { idx }),
        1 => (0..6u8).prop_map(|node| Op::NodeStop { node }),
        1 => (0..6u8).prop_map(|node| Op::NodeStart { node }),
        1 => (0..6u8, any::<bool>()).prop_map(|(node, on)| Op::Cordon { node, on }),
        3 => (1..400u16).prop_map(|secs| Op::Advance { secs }),
    ]
}

const NODES: [&str; 6] = ["node-a", "node-b", "node-c", "node-d", "node-e", "node-f"];

fn deployment(idx: u8, replicas: u8, bits: u8) -> String {
    let app = format!("d{idx}");
    let mut pod_affinity = String::new();
    let mut anti_affinity = String::new();
    if bits & 1 != 0 {
        anti_affinity.push_str(&format!(
            "          requiredDuringSchedulingIgnoredDuringExecution:\n          - labelSelector:\n              matchLabels:\n                app: {app}\n            topologyKey: kubernetes.io/hostname\n"
        ));
    }
    if bits & 4 != 0 {
        anti_affinity.push_str(&format!(
            "          preferredDuringSchedulingIgnoredDuringExecution:\n          - weight: 50\n            podAffinityTerm:\n              labelSelector:\n                matchLabels:\n                  app: {app}\n              topologyKey: topology.kubernetes.io/zone\n"
        ));
    }
    if bits & 2 != 0 {
        pod_affinity.push_str(&format!(
            "          requiredDuringSchedulingIgnoredDuringExecution:\n          - labelSelector:\n              matchExpressions:\n              - key: app\n                operator: In\n                values: [d{}]\n            topologyKey: topology.kubernetes.io/zone\n",
            (idx + 1) % 4
        ));
    }
    if bits & 8 != 0 {
        pod_affinity.push_str(&format!(
            "          preferredDuringSchedulingIgnoredDuringExecution:\n          - weight: 30\n            podAffinityTerm:\n              labelSelector:\n                matchLabels:\n                  app: d{}\n              topologyKey: kubernetes.io/hostname\n",
            (idx + 2) % 4
        ));
    }
    let mut affinity = String::new();
    if !pod_affinity.is_empty() || !anti_affinity.is_empty() {
        affinity.push_str("      affinity:\n");
        if !pod_affinity.is_empty() {
            affinity.push_str("        podAffinity:\n");
            affinity.push_str(&pod_affinity);
        }
        if !anti_affinity.is_empty() {
            affinity.push_str("        podAntiAffinity:\n");
            affinity.push_str(&anti_affinity);
        }
    }
    let mut spread = String::new();
    if bits & 48 != 0 {
        spread.push_str("      topologySpreadConstraints:\n");
        if bits & 16 != 0 {
            spread.push_str(&format!(
                "      - maxSkew: 1\n        topologyKey: topology.kubernetes.io/zone\n        whenUnsatisfiable: DoNotSchedule\n        labelSelector:\n          matchLabels:\n            app: {app}\n"
            ));
        }
        if bits & 32 != 0 {
            spread.push_str(&format!(
                "      - maxSkew: 1\n        topologyKey: kubernetes.io/hostname\n        whenUnsatisfiable: ScheduleAnyway\n        labelSelector:\n          matchLabels:\n            app: {app}\n"
            ));
        }
    }
    let ports = if bits & 64 != 0 { "        ports:\n        - containerPort: 80\n          hostPort: 8080\n" } else { "" };
    let cpu = if bits & 128 != 0 { "1500m" } else { "100m" };
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {app}\nspec:\n  replicas: {replicas}\n  selector:\n    matchLabels:\n      app: {app}\n  template:\n    metadata:\n      labels:\n        app: {app}\n    spec:\n      terminationGracePeriodSeconds: 5\n{affinity}{spread}      containers:\n      - name: web\n        image: nginx:1.25\n{ports}        resources:\n          requests:\n            cpu: {cpu}\n"
    )
}

fn statefulset(replicas: u8, anti: bool) -> String {
    let affinity = if anti {
        "      affinity:\n        podAntiAffinity:\n          requiredDuringSchedulingIgnoredDuringExecution:\n          - labelSelector:\n              matchLabels:\n                app: db\n            topologyKey: kubernetes.io/hostname\n"
    } else {
        ""
    };
    format!(
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\nspec:\n  replicas: {replicas}\n  podManagementPolicy: Parallel\n  serviceName: db\n  selector:\n    matchLabels:\n      app: db\n  template:\n    metadata:\n      labels:\n        app: db\n    spec:\n      terminationGracePeriodSeconds: 5\n{affinity}      containers:\n      - name: db\n        image: nginx:1.25\n        volumeMounts:\n        - name: data\n          mountPath: /data\n  volumeClaimTemplates:\n  - metadata:\n      name: data\n    spec:\n      accessModes: [ReadWriteOnce]\n      storageClassName: local-path\n      resources:\n        requests:\n          storage: 1Gi\n"
    )
}

fn step(s: &mut Session, op: &Op) {
    match *op {
        Op::Apply { idx, replicas, bits } => {
            s.run("kubectl apply -f -", &deployment(idx, replicas, bits));
        }
        Op::ApplySts { replicas, anti } => {
            s.run("kubectl apply -f -", &statefulset(replicas, anti));
        }
        Op::Scale { idx, replicas } => {
            s.run(&format!("kubectl scale deployment d{idx} --replicas={replicas}"), "");
        }
        Op::DeletePod { pick } => {
            let pods: Vec<String> = s.cluster.api.store.list_ns_t::<Pod>("default").map(|p| p.metadata.name.clone()).collect();
            if !pods.is_empty() {
                s.run(&format!("kubectl delete pod {} --wait=false", pods[pick as usize % pods.len()]), "");
            }
        }
        Op::Service { idx } => {
            s.run(&format!("kubectl create service clusterip d{idx} --tcp=80:80"), "");
        }
        Op::NodeStop { node } => {
            s.run(&format!("cluster node stop {}", NODES[node as usize]), "");
        }
        Op::NodeStart { node } => {
            s.run(&format!("cluster node start {}", NODES[node as usize]), "");
        }
        Op::Cordon { node, on } => {
            let verb = if on { "cordon" } else { "uncordon" };
            s.run(&format!("kubectl {verb} {}", NODES[node as usize]), "");
        }
        Op::Advance { secs } => {
            s.run(&format!("cluster advance {secs}s"), "");
        }
    }
}

/// Bound pods that hold their place on the node.
fn placed(s: &Session) -> Vec<&Pod> {
    s.cluster
        .api
        .store
        .list_t::<Pod>()
        .filter(|p| !p.spec.node_name.is_empty() && p.status.phase != PodPhase::Succeeded && p.status.phase != PodPhase::Failed)
        .collect()
}

fn check(s: &Session) -> Result<(), String> {
    let pods = placed(s);
    for (i, a) in pods.iter().enumerate() {
        for b in &pods[i + 1..] {
            let same_node = a.spec.node_name == b.spec.node_name;
            let uses_port = |p: &Pod| p.spec.containers.iter().flat_map(|c| c.ports.iter()).any(|port| port.host_port == 8080);
            if same_node && uses_port(a) && uses_port(b) {
                return Err(format!("pods {} and {} both use host port 8080 on {}", a.metadata.name, b.metadata.name, a.spec.node_name));
            }
            // required anti-affinity on the hostname, both ways
            for (x, y) in [(a, b), (b, a)] {
                let anti = x.spec.affinity.as_ref().and_then(|af| af.pod_anti_affinity.as_ref());
                let Some(anti) = anti else { continue };
                for t in &anti.required_during_scheduling_ignored_during_execution {
                    let want = t.label_selector.as_ref().and_then(|s| s.match_labels.get("app")).map(|s| s.as_str());
                    if same_node && want.is_some() && y.metadata.labels.get("app").map(|s| s.as_str()) == want {
                        return Err(format!("pod {} is on {} with {}, against its anti-affinity", x.metadata.name, x.spec.node_name, y.metadata.name));
                    }
                }
            }
        }
    }
    for n in s.cluster.api.store.list_t::<Node>() {
        let cpu: i64 = pods
            .iter()
            .filter(|p| p.spec.node_name == n.metadata.name)
            .flat_map(|p| p.spec.containers.iter())
            .filter_map(|c| c.resources.requests.get("cpu").map(|q| q.milli_value()))
            .sum();
        let have = n.status.allocatable.get("cpu").map(|q| q.milli_value()).unwrap_or(0);
        if cpu > have {
            return Err(format!("node {} has {cpu}m cpu requested, {have}m allocatable", n.metadata.name));
        }
    }
    Ok(())
}

fn dump(s: &Session, out: &mut String) {
    for p in s.cluster.api.store.list_t::<Pod>() {
        let _ = write!(out, "{}={} ", p.metadata.name, p.spec.node_name);
    }
    out.push('\n');
    for e in s.cluster.api.store.list_t::<Event>() {
        if e.reason == "FailedScheduling" {
            let _ = writeln!(out, "  {} x{} {}", e.involved_object.name, e.count, e.message);
        }
    }
}

fn run(ops: &[Op]) -> Result<(), TestCaseError> {
    let mut s = Session::new(5);
    for (node, zone) in [("node-d", "zone-a"), ("node-e", "zone-b"), ("node-f", "zone-c")] {
        s.run(&format!("cluster node add {node} --zone {zone}"), "");
    }
    let mut trace = String::new();
    for (i, op) in ops.iter().enumerate() {
        step(&mut s, op);
        if let Err(e) = check(&s) {
            return Err(TestCaseError::fail(format!("after step {i} ({op:?}): {e}\nops: {ops:?}")));
        }
        let _ = writeln!(trace, "{op:?}");
        dump(&s, &mut trace);
    }
    if let Ok(path) = std::env::var("KUBARIUM_SCHED_DUMP") {
        use std::io::Write as _;
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path).expect("dump file");
        let _ = f.write_all(trace.as_bytes());
    }
    Ok(())
}

fn config() -> Config {
    let seed = std::env::var("PROPTEST_RNG_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(20261207);
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(16);
    Config { cases, rng_seed: RngSeed::Fixed(seed), failure_persistence: None, ..Config::default() }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn placements_respect_affinity_ports_and_resources(ops in proptest::collection::vec(op(), 1..30)) {
        run(&ops)?;
    }
}
