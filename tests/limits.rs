//! The API server's limits and what the simulator does with sizes at the
//! edge of them: int32 replicas as upstream (a Deployment of 1,000,000 is
//! valid; its pods beyond the cluster's capacity are refused cheaply), the
//! int32 surge arithmetic that wraps as Go's does, StatefulSets whose
//! missing replicas cost nothing, request, data and annotation sizes, and
//! YAML values JSON cannot hold. All in debug builds, where an overflow
//! would panic.

use kubarium::engine::api::*;
use kubarium::engine::cluster::Config;
use kubarium::kubectl::session::Session;

fn session(max_pods: usize) -> Session {
    Session::with_config(1, Config { max_pods, ..Config::default() })
}

fn deployment(name: &str, replicas: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  replicas: {replicas}\n  selector:\n    matchLabels: {{app: {name}}}\n  template:\n    metadata:\n      labels: {{app: {name}}}\n    spec:\n      containers:\n      - name: c\n        image: nginx\n"
    )
}

fn statefulset(name: &str, replicas: &str, policy: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: {name}\nspec:\n  replicas: {replicas}\n  podManagementPolicy: {policy}\n  serviceName: {name}\n  selector:\n    matchLabels: {{app: {name}}}\n  template:\n    metadata:\n      labels: {{app: {name}}}\n    spec:\n      containers:\n      - name: c\n        image: nginx\n"
    )
}

#[test]
fn a_million_replicas_fill_the_cluster_to_its_pod_limit_and_no_further() {
    let mut s = session(40);
    assert_eq!(s.run("kubectl create deployment big --image=nginx --replicas=1000000", "").output, "deployment.apps/big created\n");
    s.cluster.advance(60_000);
    assert_eq!(s.cluster.api.store.count(Kind::Pod), 40);
    let rs = s.cluster.api.store.list_t::<ReplicaSet>().next().unwrap().clone();
    assert_eq!(rs.spec.replicas, Some(1_000_000));
    let events = s.run("kubectl get events --field-selector reason=FailedCreate -o custom-columns=MSG:.message", "").output;
    assert!(
        events.contains("Error creating: pods \"big-")
            && events.contains("is forbidden: the simulated cluster holds at most 40 pods (it runs in a browser tab); delete or scale down some first"),
        "{events}"
    );
    // Scaling down frees room, and the work stays small.
    let work = s.cluster.work();
    s.run("kubectl scale deployment big --replicas=3", "");
    s.cluster.advance(60_000);
    assert!(s.cluster.work() - work < 20_000, "{}", s.cluster.work() - work);
}

/// `replicas + maxSurge` is int32 arithmetic upstream (NewRSNewReplicas):
/// from 1,717,986,918 replicas on, 25% surge wraps it negative and the new
/// ReplicaSet stays at 0, with no event, exactly as on a real cluster.
#[test]
fn surge_arithmetic_wraps_as_upstream_int32() {
    for (replicas, want) in [(1_717_986_917i64, 40usize), (1_717_986_918, 0), (2_000_000_000, 0), (2_147_483_647, 0)] {
        let mut s = session(40);
        let out = s.run("kubectl apply -f -", &deployment("web", &replicas.to_string()));
        assert_eq!(out.output, "deployment.apps/web created\n");
        s.cluster.advance(10_000);
        assert_eq!(s.cluster.api.store.count(Kind::Pod), want, "replicas {replicas}");
    }
    let mut s = session(40);
    assert!(
        s.run("kubectl apply -f -", &deployment("web", "2147483648"))
            .output
            .contains("cannot unmarshal number 2147483648 into Go struct field DeploymentSpec.spec.replicas of type int32")
    );
}

#[test]
fn huge_statefulsets_cost_what_their_pods_cost() {
    for policy in ["OrderedReady", "Parallel"] {
        let mut s = session(30);
        assert_eq!(s.run("kubectl apply -f -", &statefulset("big", "2147483647", policy)).exit_code, 0);
        let t = std::time::Instant::now();
        s.cluster.advance(120_000);
        assert!(t.elapsed().as_secs() < 60, "{policy}: {:?}", t.elapsed());
        let pods = s.cluster.api.store.count(Kind::Pod);
        assert!((1..=30).contains(&pods), "{policy}: {pods}");
        let status = s.run("kubectl get sts big -o jsonpath={.status.replicas}", "").output;
        assert_eq!(status, pods.to_string());
    }
}

#[test]
fn values_json_cannot_hold_are_refused_as_kubectl_does() {
    let mut s = session(40);
    for (v, want) in [(".inf", "+Inf"), ("-.inf", "-Inf"), (".nan", "NaN")] {
        let out = s.run("kubectl apply -f -", &deployment("web", v)).output;
        assert_eq!(out, format!("error: error parsing STDIN: error converting YAML to JSON: json: unsupported value: {want}\n"), "{v}");
    }
    // A float that overflows is a string to go-yaml.
    let out = s.run("kubectl apply -f -", &deployment("web", "1e400")).output;
    assert!(out.contains("json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32"), "{out}");
    assert!(s.cluster.api.store.list_t::<Deployment>().next().is_none());
    let out = s.run("kubectl patch deployment web -p '{\"spec\":{\"replicas\":.inf}}'", "").output;
    assert!(out.contains("json: unsupported value: +Inf"), "{out}");
}

#[test]
fn sizes_get_the_api_servers_answers() {
    let mut s = session(40);
    let cm = |name: &str, bytes: usize| format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  a: {}\n", "x".repeat(bytes));
    assert_eq!(s.run("kubectl create -f -", &cm("ok", 1 << 20)).output, "configmap/ok created\n");
    assert_eq!(
        s.run("kubectl create -f -", &cm("big", (1 << 20) + 1)).output,
        "The ConfigMap \"big\" is invalid: []: Too long: may not be more than 1048576 bytes\n"
    );
    assert_eq!(
        s.run("kubectl create -f -", &cm("huge", 4 << 20)).output,
        "Error from server (RequestEntityTooLarge): error when creating \"STDIN\": Request entity too large: limit is 3145728\n"
    );
    // Client-side apply keeps a copy in an annotation, capped at 256 KiB.
    assert!(s.run("kubectl apply -f -", &cm("applied", 300 << 10)).output.contains("metadata.annotations: Too long: may not be more than 262144 bytes"));
    let long = "n".repeat(254);
    assert!(s.run(&format!("kubectl create configmap {long}"), "").output.contains("metadata.name: Invalid value: \"nnnn"));
    assert!(s.run(&format!("kubectl create namespace {}", "n".repeat(64)), "").output.contains("must be no more than 63 characters"));
    assert!(s.run("kubectl label ns default a=b/c", "").output.contains("a valid label must be an empty string"));
    let svc = "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  ports:\n  - port: 70000\n";
    assert!(s.run("kubectl apply -f -", svc).output.contains("spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive"));
}

/// int64 seconds from the API (grace periods, toleration seconds) become
/// far deadlines, never an overflow (debug builds would panic).
#[test]
fn huge_seconds_are_far_deadlines() {
    let mut s = session(40);
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  terminationGracePeriodSeconds: 9223372036854775807\n  tolerations:\n  - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 9223372036854775807}\n  containers:\n  - name: c\n    image: nginx\n";
    assert_eq!(s.run("kubectl apply -f -", pod).output, "pod/p created\n");
    s.run("kubectl wait --for=condition=Ready pod/p --timeout=2m", "");
    let node = s.run("kubectl get pod p -o jsonpath={.spec.nodeName}", "").output;
    s.run(&format!("cluster node stop {node}"), "");
    s.run("cluster advance 10m", "");
    let out = s.run("kubectl delete pod p --grace-period=9223372036854775807 --timeout=1m", "");
    assert!(out.output.starts_with("pod \"p\" deleted"), "{}", out.output);
    s.run("cluster advance 1h", "");
    assert!(s.cluster.api.store.count(Kind::Pod) <= 1);
}
