//! Benchmark scenarios shared by the native benchmark (`benches/engine.rs`)
//! and the wasm one run under Node, so both measure the same code. Nothing
//! here reads a clock: callers time these functions themselves.

use crate::engine::Cluster;
use crate::engine::api::*;
use crate::engine::cluster::ClusterVerb;

pub struct Stats {
    pub pods: usize,
    pub changes: u64,
    pub simulated_ms: i64,
}

/// The default cluster grown to `n` nodes, spread over the three zones.
pub fn cluster_with_nodes(n: usize) -> Cluster {
    let mut c = Cluster::new(7);
    let zones = ["zone-a", "zone-b", "zone-c"];
    for i in 3..n {
        let verb = ClusterVerb::NodeAdd { node: format!("node-{i:03}"), zone: zones[i % 3].to_string() };
        c.cluster_verb(verb).expect("node add");
    }
    c.settle();
    c
}

fn manifest(src: &str) -> Object {
    let doc = crate::engine::yaml::parse_stream(src).expect("yaml").remove(0);
    let kind =
        Kind::from_type_meta(doc.node.get("apiVersion").and_then(|n| n.as_str()).unwrap_or(""), doc.node.get("kind").and_then(|n| n.as_str()).unwrap_or(""))
            .expect("kind");
    Object::decode(kind, &doc.node).expect("decode").0
}

pub fn statefulset(name: &str, replicas: usize) -> Object {
    manifest(&format!(
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: {name}\nspec:\n  replicas: {replicas}\n  podManagementPolicy: Parallel\n  serviceName: {name}\n  selector:\n    matchLabels:\n      app: {name}\n  template:\n    metadata:\n      labels:\n        app: {name}\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.25\n        resources:\n          requests:\n            cpu: 10m\n            memory: 16Mi\n"
    ))
}

pub fn deployment(name: &str, replicas: usize) -> Object {
    manifest(&format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  replicas: {replicas}\n  selector:\n    matchLabels:\n      app: {name}\n  template:\n    metadata:\n      labels:\n        app: {name}\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.25\n        resources:\n          requests:\n            cpu: 10m\n            memory: 16Mi\n"
    ))
}

fn running_pods(c: &Cluster) -> usize {
    c.api.store.list_t::<Pod>().filter(|p| p.status.phase == PodPhase::Running).count()
}

/// Applies the two workloads and settles.
pub fn apply_and_settle(c: &mut Cluster, sts: usize, deploy: usize) -> Stats {
    let rv = c.api.store.resource_version();
    let start = c.now();
    c.create(statefulset("web", sts)).expect("statefulset");
    c.create(deployment("api", deploy)).expect("deployment");
    c.settle();
    Stats { pods: running_pods(c), changes: c.api.store.resource_version() - rv, simulated_ms: c.now().0 - start.0 }
}

/// A settled cluster on 100 nodes running `pods` Deployment pods.
pub fn cluster_with_pods(pods: usize) -> Cluster {
    let mut c = cluster_with_nodes(100);
    c.create(deployment("api", pods)).expect("deployment");
    c.settle();
    c
}

/// Deletes `samples` pods one after another, letting the cluster replace
/// each; returns the number of store changes that caused.
pub fn churn(c: &mut Cluster, samples: usize) -> u64 {
    let rv = c.api.store.resource_version();
    for _ in 0..samples {
        let victim = c.api.store.list_t::<Pod>().find(|p| p.metadata.deletion_timestamp.is_none()).map(|p| p.metadata.name.clone());
        let Some(victim) = victim else { break };
        let _ = c.delete(Kind::Pod, "default", &victim, &Default::default());
        c.settle();
    }
    c.api.store.resource_version() - rv
}

// ------------------------------------------------------------ a busy session

/// The workloads of the busy session: a 3-replica StatefulSet with a volume
/// per pod and a 4-replica Deployment.
pub const BUSY_MANIFESTS: &str = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: web\nspec:\n  replicas: 3\n  serviceName: web\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      terminationGracePeriodSeconds: 5\n      containers:\n      - name: web\n        image: nginx:1.25\n        volumeMounts:\n        - name: data\n          mountPath: /usr/share/nginx/html\n  volumeClaimTemplates:\n  - metadata:\n      name: data\n    spec:\n      accessModes: [ReadWriteOnce]\n      resources:\n        requests:\n          storage: 1Gi\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 4\n  selector:\n    matchLabels:\n      app: api\n  template:\n    metadata:\n      labels:\n        app: api\n    spec:\n      terminationGracePeriodSeconds: 5\n      containers:\n      - name: api\n        image: nginx:1.25\n";

/// What a class does to the cluster in minute `m` of the busy session: four
/// command lines, run 15 s apart (the first minute starts by applying
/// [`BUSY_MANIFESTS`] with `kubectl apply -f -`). The StatefulSet and the
/// Deployment are scaled and rolled out in turn, data is written to a
/// volume, pods are deleted, and node-c is stopped and started every six
/// minutes.
pub fn busy_commands(m: u32) -> [String; 4] {
    let first = if m == 0 {
        "kubectl apply -f -".to_string()
    } else if m.is_multiple_of(2) {
        format!("kubectl scale statefulset web --replicas={}", 2 + (m / 2) % 4)
    } else {
        format!("kubectl scale deployment api --replicas={}", 3 + (m / 2) % 5)
    };
    let second = match m % 3 {
        0 => format!("kubectl set image deployment/api api=nginx:1.{}", 25 + (m / 3) % 2),
        1 => format!("kubectl set image statefulset/web web=nginx:1.{}", 25 + (m / 3) % 2),
        _ => "kubectl rollout restart deployment api".to_string(),
    };
    let third = format!("kubectl exec web-0 -- sh -c 'echo minute {m} >> /usr/share/nginx/html/index.html'");
    let fourth = match m % 6 {
        2 => "cluster node stop node-c".to_string(),
        5 => "cluster node start node-c".to_string(),
        0 | 3 => "kubectl delete pod web-1 --wait=false".to_string(),
        _ => format!("kubectl annotate deployment api minute={m} --overwrite"),
    };
    [first, second, third, fourth]
}
