//! Nodes end to end, with pods created directly (no workload controllers):
//! scheduling, kubelet start-up, probes, crash loops, termination, node
//! failure and recovery, endpoints and DNS, disruption budgets.

use kubarium::engine::Cluster;
use kubarium::engine::api::*;
use kubarium::engine::apiserver::{DeleteOptions, Propagation, Reason};
use kubarium::engine::cluster::ClusterVerb;
use kubarium::engine::dns::{self, Resolved};
use kubarium::engine::time::{MINUTE, Millis, SECOND, Time};
use serde_json::json;

fn obj(v: serde_json::Value) -> Object {
    let kind = Kind::from_type_meta(v["apiVersion"].as_str().unwrap(), v["kind"].as_str().unwrap()).unwrap();
    Object::from_value(kind, &v).unwrap().0
}

fn mkpod(name: &str, spec: serde_json::Value) -> Object {
    obj(json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": name.split('-').next().unwrap()}}, "spec": spec}))
}

fn nginx(name: &str) -> Object {
    mkpod(name, json!({"containers": [{"name": "nginx", "image": "nginx:1.25", "ports": [{"containerPort": 80, "name": "web"}]}]}))
}

fn get(c: &Cluster, name: &str) -> Option<Pod> {
    c.get::<Pod>("default", name).cloned()
}

fn p(c: &Cluster, name: &str) -> Pod {
    get(c, name).unwrap_or_else(|| panic!("pod {name} exists"))
}

fn node(c: &Cluster, name: &str) -> Node {
    c.get::<Node>("", name).cloned().unwrap()
}

fn cond(p: &Pod, t: &str) -> Option<PodCondition> {
    p.status.conditions.iter().find(|c| c.type_.as_str() == t).cloned()
}

fn ready(p: &Pod) -> bool {
    cond(p, "Ready").is_some_and(|c| c.status == ConditionStatus::True)
}

/// Events about a pod: (type, reason, message, count).
fn events(c: &Cluster, kind: Kind, ns: &str, name: &str) -> Vec<(String, String, String, i32)> {
    c.api.events_for(kind, ns, name, "").into_iter().map(|e| (e.type_.clone(), e.reason.clone(), e.message.clone(), e.count)).collect()
}

fn pod_events(c: &Cluster, name: &str) -> Vec<(String, String, String, i32)> {
    events(c, Kind::Pod, "default", name)
}

fn reasons(c: &Cluster, name: &str) -> Vec<String> {
    pod_events(c, name).into_iter().map(|e| e.1).collect()
}

/// Lets time pass until `f` holds; returns how long it took.
fn wait_until(c: &mut Cluster, max: Millis, f: impl Fn(&Cluster) -> bool) -> Millis {
    let start = c.now().0;
    while !f(c) {
        let elapsed = c.now().0 - start;
        assert!(elapsed < max, "condition not met within {max} ms");
        c.step((max - elapsed).min(10 * SECOND));
    }
    c.now().0 - start
}

fn ctr_status(p: &Pod, name: &str) -> ContainerStatus {
    p.status.container_statuses.iter().find(|s| s.name == name).cloned().expect("container status")
}

fn waiting_reason(p: &Pod, name: &str) -> Option<String> {
    ctr_status(p, name).state.waiting.map(|w| w.reason)
}

#[test]
fn a_pod_is_scheduled_pulled_created_started_and_ready_within_seconds() {
    let mut c = Cluster::new(7);
    let t0 = c.now();
    c.create(nginx("web-0")).unwrap();
    let took = wait_until(&mut c, MINUTE, |c| ready(&p(c, "web-0")));
    assert!((1_500..8_000).contains(&took), "ready after {took} ms");
    let pod = p(&c, "web-0");
    assert_eq!(pod.status.phase, PodPhase::Running);
    let node = pod.spec.node_name.clone();
    let ev = pod_events(&c, "web-0");
    let rs: Vec<&str> = ev.iter().map(|e| e.1.as_str()).collect();
    assert_eq!(rs, ["Scheduled", "Pulling", "Pulled", "Created", "Started"]);
    assert_eq!(ev[0].2, format!("Successfully assigned default/web-0 to {node}"));
    assert_eq!(ev[1].2, "Pulling image \"nginx:1.25\"");
    assert!(ev[2].2.starts_with("Successfully pulled image \"nginx:1.25\" in "), "{}", ev[2].2);
    assert!(ev[2].2.contains(" including waiting). Image size: ") && ev[2].2.ends_with(" bytes."), "{}", ev[2].2);
    assert_eq!(ev[3].2, "Container created");
    assert_eq!(ev[4].2, "Container started");
    // status as the kubelet reports it
    let types: Vec<&str> = pod.status.conditions.iter().map(|c| c.type_.as_str()).collect();
    assert_eq!(types, ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"]);
    assert_eq!(cond(&pod, "PodScheduled").unwrap().last_transition_time, Some(t0));
    let cs = ctr_status(&pod, "nginx");
    assert!(cs.container_id.starts_with("containerd://") && cs.container_id.len() == "containerd://".len() + 64);
    assert_eq!(cs.image, "docker.io/library/nginx:1.25");
    assert!(cs.image_id.starts_with("docker.io/library/nginx@sha256:"));
    assert_eq!(cs.started, Some(true));
    assert_eq!(cs.restart_count, 0);
    let idx = c.world.machines[&node].pod_cidr_index;
    assert!(pod.status.pod_ip.starts_with(&format!("10.244.{idx}.")), "{}", pod.status.pod_ip);
    assert_eq!(pod.status.host_ip, c.world.machines[&node].internal_ip);
    assert_eq!(pod.status.start_time, Some(t0));
    // the image is now on that machine: a second pod there does not pull
    c.create(mkpod("web-1", json!({"nodeName": node, "containers": [{"name": "nginx", "image": "nginx:1.25"}]}))).unwrap();
    wait_until(&mut c, MINUTE, |c| ready(&p(c, "web-1")));
    let ev = pod_events(&c, "web-1");
    assert_eq!(ev[0].1, "Pulled");
    assert_eq!(ev[0].2, "Container image \"nginx:1.25\" already present on machine and can be accessed by the pod");
    assert!(c.settle().1, "a quiet cluster settles");
}

#[test]
fn replicas_behind_a_service_spread_over_the_nodes() {
    let mut c = Cluster::new(3);
    c.create(obj(json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": {"clusterIP": "None", "selector": {"app": "web"}, "ports": [{"port": 80, "name": "web"}]}}))).unwrap();
    let mut nodes = vec![];
    for i in 0..3 {
        let name = format!("web-{i}");
        c.create(obj(json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": "web"}}, "spec": {"hostname": name, "subdomain": "web", "containers": [{"name": "nginx", "image": "nginx:1.25", "ports": [{"containerPort": 80, "name": "web"}]}]}}))).unwrap();
        wait_until(&mut c, MINUTE, |c| ready(&p(c, &name)));
        nodes.push(p(&c, &name).spec.node_name);
    }
    let mut sorted = nodes.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 3, "one replica per node: {nodes:?}");
    // the headless Service's endpoints and DNS names
    let ep = c.get::<Endpoints>("default", "web").cloned().unwrap();
    assert_eq!(ep.subsets.len(), 1);
    assert_eq!(ep.subsets[0].addresses.len(), 3);
    assert_eq!(ep.metadata.labels.get("service.kubernetes.io/headless").map(|s| s.as_str()), Some(""));
    assert_eq!(ep.metadata.labels.get("endpoints.kubernetes.io/managed-by").map(|s| s.as_str()), Some("endpoint-controller"));
    let host: Vec<&str> = ep.subsets[0].addresses.iter().map(|a| a.hostname.as_str()).collect();
    assert!(host.contains(&"web-1"));
    let ip1 = p(&c, "web-1").status.pod_ip;
    assert_eq!(dns::resolve(&c.api, "default", "web-1.web"), Resolved::Pod { key: ObjKey::new("default", "web-1"), ip: ip1.clone() });
    assert_eq!(dns::resolve(&c.api, "default", "web-1.web.default.svc.cluster.local"), Resolved::Pod { key: ObjKey::new("default", "web-1"), ip: ip1 });
}

#[test]
fn same_seed_same_placement_and_events() {
    let run = || {
        let mut c = Cluster::new(11);
        for i in 0..4 {
            c.create(nginx(&format!("web-{i}"))).unwrap();
        }
        c.advance(30 * SECOND);
        let placement: Vec<(String, String, String)> =
            (0..4).map(|i| p(&c, &format!("web-{i}"))).map(|p| (p.metadata.name, p.spec.node_name, p.status.pod_ip)).collect();
        let ev: Vec<_> = (0..4).flat_map(|i| pod_events(&c, &format!("web-{i}"))).collect();
        (placement, ev)
    };
    assert_eq!(run(), run());
}

#[test]
fn failed_scheduling_reports_every_node_and_retries_when_a_node_changes() {
    let mut c = Cluster::new(5);
    // node-a gets a NoSchedule taint; the pod selects zone-a only
    let mut a = node(&c, "node-a");
    a.spec.taints.push(Taint { key: "dedicated".into(), value: "db".into(), effect: "NoSchedule".into(), time_added: None });
    c.update(Object::Node(a)).unwrap();
    c.create(mkpod("db-0", json!({"nodeSelector": {"topology.kubernetes.io/zone": "zone-a"}, "containers": [{"name": "db", "image": "postgres:16"}]})))
        .unwrap();
    c.advance(10 * SECOND);
    let pod = p(&c, "db-0");
    assert_eq!(pod.spec.node_name, "");
    assert_eq!(pod.status.phase, PodPhase::Pending);
    let msg = "0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 node(s) didn't match Pod's node affinity/selector. no new claims to deallocate, preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.";
    let sc = cond(&pod, "PodScheduled").unwrap();
    assert_eq!((sc.status.as_str(), sc.reason.as_str(), sc.message.as_str()), ("False", "Unschedulable", msg));
    let ev = pod_events(&c, "db-0");
    assert_eq!(ev.len(), 1);
    assert_eq!((ev[0].0.as_str(), ev[0].1.as_str(), ev[0].2.as_str()), ("Warning", "FailedScheduling", msg));
    // Nothing changes, nothing is retried (until the 5 minute flush).
    c.advance(2 * MINUTE);
    assert_eq!(pod_events(&c, "db-0")[0].3, 1);
    // A toleration is not possible on a running pod; removing the taint is.
    let mut a = node(&c, "node-a");
    a.spec.taints.clear();
    c.update(Object::Node(a)).unwrap();
    wait_until(&mut c, 30 * SECOND, |c| !p(c, "db-0").spec.node_name.is_empty());
    assert_eq!(p(&c, "db-0").spec.node_name, "node-a");
    assert_eq!(reasons(&c, "db-0")[..2], ["FailedScheduling".to_string(), "Scheduled".to_string()]);
}

#[test]
fn a_pod_too_big_for_any_node_finds_no_preemption_victims() {
    let mut c = Cluster::new(5);
    c.create(mkpod("big-0", json!({"containers": [{"name": "app", "image": "busybox:1.36", "command": ["sleep", "3600"], "resources": {"requests": {"cpu": "3", "memory": "1Gi"}}}]}))).unwrap();
    c.create(mkpod(
        "big-1",
        json!({"containers": [{"name": "app", "image": "busybox:1.36", "command": ["sleep", "3600"], "resources": {"requests": {"cpu": "3"}}}]}),
    ))
    .unwrap();
    c.create(mkpod(
        "big-2",
        json!({"containers": [{"name": "app", "image": "busybox:1.36", "command": ["sleep", "3600"], "resources": {"requests": {"cpu": "3"}}}]}),
    ))
    .unwrap();
    c.create(mkpod(
        "big-3",
        json!({"containers": [{"name": "app", "image": "busybox:1.36", "command": ["sleep", "3600"], "resources": {"requests": {"cpu": "2"}}}]}),
    ))
    .unwrap();
    c.advance(5 * SECOND);
    let placed: Vec<String> = (0..3).map(|i| p(&c, &format!("big-{i}")).spec.node_name).collect();
    assert!(placed.iter().all(|n| !n.is_empty()));
    assert_eq!(p(&c, "big-3").spec.node_name, "");
    assert_eq!(
        cond(&p(&c, "big-3"), "PodScheduled").unwrap().message,
        "0/3 nodes are available: 3 Insufficient cpu. no new claims to deallocate, preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."
    );
    // deleting a pod frees room: the pending one is retried and placed there
    let freed = p(&c, "big-1").spec.node_name;
    c.delete(Kind::Pod, "default", "big-1", &DeleteOptions::default()).unwrap();
    wait_until(&mut c, 2 * MINUTE, |c| !p(c, "big-3").spec.node_name.is_empty());
    assert_eq!(p(&c, "big-3").spec.node_name, freed);
}

#[test]
fn a_missing_image_tag_fails_to_pull_and_backs_off() {
    let mut c = Cluster::new(2);
    c.create(mkpod("bad-0", json!({"containers": [{"name": "nginx", "image": "nginx:does-not-exist"}]}))).unwrap();
    wait_until(&mut c, MINUTE, |c| waiting_reason(&p(c, "bad-0"), "nginx").as_deref() == Some("ErrImagePull"));
    let err = "failed to pull and unpack image \"docker.io/library/nginx:does-not-exist\": failed to resolve reference \"docker.io/library/nginx:does-not-exist\": docker.io/library/nginx:does-not-exist: not found";
    assert_eq!(ctr_status(&p(&c, "bad-0"), "nginx").state.waiting.unwrap().message, err);
    wait_until(&mut c, MINUTE, |c| waiting_reason(&p(c, "bad-0"), "nginx").as_deref() == Some("ImagePullBackOff"));
    assert_eq!(
        ctr_status(&p(&c, "bad-0"), "nginx").state.waiting.unwrap().message,
        format!("Back-off pulling image \"nginx:does-not-exist\": ErrImagePull: {err}")
    );
    c.advance(2 * MINUTE);
    let ev = pod_events(&c, "bad-0");
    let find = |reason: &str, msg: &str| ev.iter().find(|e| e.1 == reason && e.2 == msg).map(|e| e.3).unwrap_or(0);
    assert!(find("Pulling", "Pulling image \"nginx:does-not-exist\"") >= 3, "{ev:?}");
    assert!(find("Failed", &format!("Failed to pull image \"nginx:does-not-exist\": {err}")) >= 3);
    assert!(find("Failed", "Error: ErrImagePull") >= 3);
    assert!(find("BackOff", "Back-off pulling image \"nginx:does-not-exist\"") >= 2);
    assert!(find("Failed", "Error: ImagePullBackOff") >= 2);
    let pod = p(&c, "bad-0");
    assert_eq!(pod.status.phase, PodPhase::Pending);
    assert_eq!(ctr_status(&pod, "nginx").image, "nginx:does-not-exist");
    assert_eq!(ctr_status(&pod, "nginx").image_id, "");
}

#[test]
fn a_crashing_container_restarts_with_growing_back_off() {
    let mut c = Cluster::new(4);
    c.create(mkpod("db-0", json!({"containers": [{"name": "db", "image": "busybox:1.36", "command": ["false"]}]}))).unwrap();
    wait_until(&mut c, MINUTE, |c| ctr_status(&p(c, "db-0"), "db").restart_count >= 1);
    let first = c.now();
    wait_until(&mut c, 2 * MINUTE, |c| waiting_reason(&p(c, "db-0"), "db").as_deref() == Some("CrashLoopBackOff"));
    let pod = p(&c, "db-0");
    let cs = ctr_status(&pod, "db");
    let w = cs.state.waiting.clone().unwrap();
    assert_eq!(w.message, format!("back-off 10s restarting failed container=db pod=db-0_default({})", pod.metadata.uid));
    let last = cs.last_state.terminated.unwrap();
    assert_eq!((last.exit_code, last.reason.as_str()), (1, "Error"));
    assert_eq!(pod.status.phase, PodPhase::Running);
    assert!(!ready(&pod));
    // restarts: ~1s, then +10s, +20s, +40s
    wait_until(&mut c, 2 * MINUTE, |c| ctr_status(&p(c, "db-0"), "db").restart_count >= 2);
    let second = c.now();
    wait_until(&mut c, 2 * MINUTE, |c| ctr_status(&p(c, "db-0"), "db").restart_count >= 3);
    let third = c.now();
    assert!((9_000..=12_000).contains(&(second.0 - first.0)), "{}", second.0 - first.0);
    assert!((19_000..=22_000).contains(&(third.0 - second.0)), "{}", third.0 - second.0);
    let backoff = pod_events(&c, "db-0").into_iter().find(|e| e.1 == "BackOff").unwrap();
    assert_eq!(backoff.0, "Warning");
    assert_eq!(backoff.2, format!("Back-off restarting failed container db in pod db-0_default({})", p(&c, "db-0").metadata.uid));
    assert!(backoff.3 >= 2);
    // the back-off caps at five minutes, after which the cluster counts as settled
    let (_, settled) = c.settle();
    assert!(settled);
    let cs = ctr_status(&p(&c, "db-0"), "db");
    assert!(cs.restart_count >= 6, "{}", cs.restart_count);
}

#[test]
fn restart_policy_never_and_on_failure() {
    let mut c = Cluster::new(4);
    c.create(mkpod("once-0", json!({"restartPolicy": "Never", "containers": [{"name": "job", "image": "busybox:1.36", "command": ["false"]}]}))).unwrap();
    c.create(mkpod("ok-0", json!({"restartPolicy": "OnFailure", "containers": [{"name": "job", "image": "busybox:1.36", "command": ["true"]}]}))).unwrap();
    wait_until(&mut c, MINUTE, |c| p(c, "once-0").status.phase == PodPhase::Failed);
    let pod = p(&c, "once-0");
    assert_eq!(ctr_status(&pod, "job").restart_count, 0);
    assert_eq!(cond(&pod, "Ready").unwrap().reason, "PodFailed");
    c.advance(MINUTE);
    assert_eq!(ctr_status(&p(&c, "once-0"), "job").restart_count, 0);
    // a failed pod is deleted at once, without a grace period
    c.delete(Kind::Pod, "default", "once-0", &DeleteOptions::default()).unwrap();
    assert!(get(&c, "once-0").is_none());
}

#[test]
fn probes_gate_readiness_and_restart_unhealthy_containers() {
    let mut c = Cluster::new(9);
    // readiness over HTTP on the port nginx serves: ready at the first probe after the delay
    c.create(mkpod("ok-0", json!({"containers": [{"name": "nginx", "image": "nginx:1.25", "readinessProbe": {"httpGet": {"path": "/", "port": 80}, "initialDelaySeconds": 5, "periodSeconds": 5}}]}))).unwrap();
    // readiness running `false`: never ready
    c.create(mkpod(
        "never-0",
        json!({"containers": [{"name": "nginx", "image": "nginx:1.25", "readinessProbe": {"exec": {"command": ["false"]}, "periodSeconds": 5}}]}),
    ))
    .unwrap();
    // liveness on a port nothing listens on: restarted
    c.create(mkpod("sick-0", json!({"containers": [{"name": "nginx", "image": "nginx:1.25", "livenessProbe": {"tcpSocket": {"port": 8080}, "periodSeconds": 5, "failureThreshold": 3}}]}))).unwrap();
    wait_until(&mut c, MINUTE, |c| ctr_status(&p(c, "ok-0"), "nginx").state.running.is_some());
    let started = ctr_status(&p(&c, "ok-0"), "nginx").state.running.unwrap().started_at.unwrap();
    assert!(!ready(&p(&c, "ok-0")), "not ready before the first probe");
    wait_until(&mut c, MINUTE, |c| ready(&p(c, "ok-0")));
    let took = c.now().0 - started.0;
    assert!((5_000..=10_000).contains(&took), "ready {took} ms after start");
    assert!(ready(&p(&c, "ok-0")));
    c.advance(40 * SECOND);
    let never = p(&c, "never-0");
    assert!(!ready(&never));
    let r = cond(&never, "Ready").unwrap();
    assert_eq!((r.reason.as_str(), r.message.as_str()), ("ContainersNotReady", "containers with unready status: [nginx]"));
    let unhealthy = pod_events(&c, "never-0").into_iter().find(|e| e.1 == "Unhealthy").unwrap();
    assert_eq!(unhealthy.0, "Warning");
    assert!(unhealthy.2.starts_with("Readiness probe failed: "), "{}", unhealthy.2);
    assert!(unhealthy.3 >= 5);
    let sick = p(&c, "sick-0");
    assert!(ctr_status(&sick, "nginx").restart_count >= 1);
    let ev = pod_events(&c, "sick-0");
    let ip = sick.status.pod_ip.clone();
    assert!(ev.iter().any(|e| e.1 == "Unhealthy" && e.2 == format!("Liveness probe failed: dial tcp {ip}:8080: connect: connection refused")), "{ev:?}");
    assert!(ev.iter().any(|e| e.1 == "Killing" && e.2 == "Container nginx failed liveness probe, will be restarted"), "{ev:?}");
    let last = ctr_status(&sick, "nginx").last_state.terminated.unwrap();
    assert_eq!(last.exit_code, 0, "nginx stops cleanly on its stop signal");
}

#[test]
fn a_restarted_container_gets_a_fresh_writable_layer() {
    use kubarium::engine::world::VolumeId;
    let mut c = Cluster::new(9);
    c.create(mkpod(
        "sick-0",
        json!({"containers": [{"name": "nginx", "image": "nginx:1.25", "livenessProbe": {"tcpSocket": {"port": 8080}, "periodSeconds": 5}}]}),
    ))
    .unwrap();
    wait_until(&mut c, MINUTE, |c| ctr_status(&p(c, "sick-0"), "nginx").state.running.is_some());
    let uid = p(&c, "sick-0").metadata.uid;
    let proc0 = kubarium::engine::kubelet::proc_for(&c.api, &p(&c, "sick-0"), "nginx").unwrap();
    assert_eq!(proc0.layer, VolumeId::Container { pod_uid: uid.clone(), container: "nginx".into(), instance: 0 });
    wait_until(&mut c, 2 * MINUTE, |c| ctr_status(&p(c, "sick-0"), "nginx").restart_count == 1 && ctr_status(&p(c, "sick-0"), "nginx").state.running.is_some());
    let proc1 = kubarium::engine::kubelet::proc_for(&c.api, &p(&c, "sick-0"), "nginx").unwrap();
    assert_eq!(proc1.layer, VolumeId::Container { pod_uid: uid, container: "nginx".into(), instance: 1 });
}

#[test]
fn deleting_a_pod_stops_its_containers_gracefully() {
    let mut c = Cluster::new(6);
    c.create(nginx("web-0")).unwrap();
    c.create(mkpod(
        "sleeper-0",
        json!({"terminationGracePeriodSeconds": 10, "containers": [{"name": "sleep", "image": "busybox:1.36", "command": ["sleep", "3600"]}]}),
    ))
    .unwrap();
    wait_until(&mut c, MINUTE, |c| ready(&p(c, "web-0")) && ready(&p(c, "sleeper-0")));
    let uid = p(&c, "web-0").metadata.uid;
    c.delete(Kind::Pod, "default", "web-0", &DeleteOptions::default()).unwrap();
    c.delete(Kind::Pod, "default", "sleeper-0", &DeleteOptions::default()).unwrap();
    assert!(p(&c, "web-0").metadata.deletion_timestamp.is_some());
    let killing = c.api.events_for(Kind::Pod, "default", "web-0", &uid).into_iter().find(|e| e.reason == "Killing").cloned().unwrap();
    assert_eq!(killing.message, "Stopping container nginx");
    assert_eq!(killing.involved_object.field_path, "spec.containers{nginx}");
    // nginx quits on its stop signal at once; `sleep` as PID 1 ignores SIGTERM
    let t = wait_until(&mut c, MINUTE, |c| get(c, "web-0").is_none());
    assert!(t < 2 * SECOND, "{t}");
    assert!(get(&c, "sleeper-0").is_some());
    let t = wait_until(&mut c, MINUTE, |c| get(c, "sleeper-0").is_none());
    assert!((8 * SECOND..=10 * SECOND).contains(&t), "{t}");
    // the pod's emptyDirs and container layers went with it
    assert!(!c.world.volumes.keys().any(|k| format!("{k:?}").contains(&uid)));
}

#[test]
fn exec_errors_are_worded_as_kubectl_prints_them() {
    let mut c = Cluster::new(6);
    let r = c.exec("default", "nope", "", &["ls".into()], "");
    assert_eq!((r.output.as_str(), r.exit_code), ("Error from server (NotFound): pods \"nope\" not found\n", 1));
    c.create(mkpod("db-0", json!({"containers": [{"name": "db", "image": "postgres:16"}]}))).unwrap();
    let r = c.exec("default", "db-0", "db", &["ls".into()], "");
    assert!(
        r.output == "Error from server (BadRequest): pod db-0 does not have a host assigned\n"
            || r.output == "error: unable to upgrade connection: container not found (\"db\")\n",
        "{}",
        r.output
    );
    c.advance(SECOND);
    let r = c.exec("default", "db-0", "db", &["ls".into()], "");
    assert_eq!(r.output, "error: unable to upgrade connection: container not found (\"db\")\n");
    let r = c.exec("default", "db-0", "other", &["ls".into()], "");
    assert_eq!(r.output, "Error from server (BadRequest): container other is not valid for pod db-0\n");
}

#[test]
fn a_stopped_node_goes_not_ready_its_pods_are_evicted_and_stay_terminating() {
    let mut c = Cluster::new(8);
    c.create(mkpod("web-0", json!({"nodeName": "node-b", "containers": [{"name": "nginx", "image": "nginx:1.25"}]}))).unwrap();
    wait_until(&mut c, MINUTE, |c| ready(&p(c, "web-0")));
    let stopped_at = c.now();
    c.cluster_verb(ClusterVerb::NodeStop { node: "node-b".into() }).unwrap();
    // an exec into a pod on a dead machine cannot reach its kubelet
    let r = c.exec("default", "web-0", "nginx", &["ls".into()], "");
    assert!(r.output.starts_with("Error from server: error dialing backend: dial tcp 172.18.0.3:10250"), "{}", r.output);
    c.advance(30 * SECOND);
    assert_eq!(get_condition(&node(&c, "node-b").status.conditions, &ConditionType::Ready).unwrap().status, ConditionStatus::True);
    // the lease was last renewed before the stop; 50 s after that the node is Unknown
    wait_until(&mut c, MINUTE, |c| node(c, "node-b").status.conditions.iter().any(|c| c.type_ == ConditionType::Ready && c.status == ConditionStatus::Unknown));
    let tainted = c.now();
    let after = c.now().0 - stopped_at.0;
    assert!((40 * SECOND..=50 * SECOND).contains(&after), "NotReady {after} ms after the stop");
    let n = node(&c, "node-b");
    for cnd in &n.status.conditions {
        assert_eq!(
            (cnd.status.as_str(), cnd.reason.as_str(), cnd.message.as_str()),
            ("Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status."),
            "{}",
            cnd.type_
        );
    }
    let taints: Vec<String> = n.spec.taints.iter().map(|t| t.to_display()).collect();
    assert_eq!(taints, ["node.kubernetes.io/unreachable:NoSchedule", "node.kubernetes.io/unreachable:NoExecute"]);
    assert!(n.spec.taints.iter().all(|t| t.time_added == Some(c.now())));
    let ev = events(&c, Kind::Node, "", "node-b");
    assert!(ev.iter().any(|e| e.1 == "NodeNotReady" && e.2 == "Node node-b status is now: NodeNotReady"), "{ev:?}");
    let pod = p(&c, "web-0");
    assert!(!ready(&pod));
    assert!(pod_events(&c, "web-0").iter().any(|e| e.0 == "Warning" && e.1 == "NodeNotReady" && e.2 == "Node is not ready"));
    // the scheduler keeps new pods away
    c.create(mkpod("new-0", json!({"nodeSelector": {"kubernetes.io/hostname": "node-b"}, "containers": [{"name": "nginx", "image": "nginx:1.25"}]}))).unwrap();
    c.advance(SECOND);
    assert!(
        cond(&p(&c, "new-0"), "PodScheduled")
            .unwrap()
            .message
            .starts_with("0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 node(s) didn't match Pod's node affinity/selector.")
    );
    // five minutes of tolerated unreachability (DefaultTolerationSeconds), then eviction
    wait_until(&mut c, 6 * MINUTE, |c| p(c, "web-0").metadata.deletion_timestamp.is_some());
    assert_eq!(c.now().0 - tainted.0, 300 * SECOND);
    let ev = pod_events(&c, "web-0");
    assert!(ev.iter().any(|e| e.1 == "TaintManagerEviction" && e.2 == "Marking for deletion Pod default/web-0"), "{ev:?}");
    let dt = cond(&p(&c, "web-0"), "DisruptionTarget").unwrap();
    assert_eq!((dt.reason.as_str(), dt.message.as_str()), ("DeletionByTaintManager", "Taint manager: deleting due to NoExecute taint"));
    // with its kubelet gone nobody confirms the deletion: Terminating for good
    let (_, settled) = c.settle();
    assert!(settled);
    c.advance(30 * MINUTE);
    assert!(get(&c, "web-0").is_some());
    // the machine comes back: the kubelet finishes the deletion, the node is Ready and untainted
    c.cluster_verb(ClusterVerb::NodeStart { node: "node-b".into() }).unwrap();
    wait_until(&mut c, MINUTE, |c| get(c, "web-0").is_none());
    let n = node(&c, "node-b");
    assert!(n.status.conditions.iter().all(|c| c.status == ConditionStatus::of(c.type_ == ConditionType::Ready)));
    assert!(n.spec.taints.is_empty(), "{:?}", n.spec.taints);
    let ev = events(&c, Kind::Node, "", "node-b");
    assert!(ev.iter().any(|e| e.1 == "Rebooted" && e.0 == "Warning"), "{ev:?}");
    assert_eq!(ev.iter().filter(|e| e.1 == "Starting").map(|e| e.3).sum::<i32>(), 2);
    // and the pending pod can now be scheduled there
    wait_until(&mut c, MINUTE, |c| p(c, "new-0").spec.node_name == "node-b");
}

#[test]
fn a_quick_power_cycle_restarts_containers_with_a_new_sandbox() {
    let mut c = Cluster::new(8);
    c.create(mkpod("web-0", json!({"nodeName": "node-c", "volumes": [{"name": "scratch", "emptyDir": {}}], "containers": [{"name": "nginx", "image": "nginx:1.25", "volumeMounts": [{"name": "scratch", "mountPath": "/scratch"}]}]}))).unwrap();
    wait_until(&mut c, MINUTE, |c| ready(&p(c, "web-0")));
    let before = p(&c, "web-0");
    c.cluster_verb(ClusterVerb::NodeStop { node: "node-c".into() }).unwrap();
    c.advance(5 * SECOND);
    c.cluster_verb(ClusterVerb::NodeStart { node: "node-c".into() }).unwrap();
    wait_until(&mut c, MINUTE, |c| ready(&p(c, "web-0")) && ctr_status(&p(c, "web-0"), "nginx").restart_count == 1);
    let after = p(&c, "web-0");
    assert_eq!(after.metadata.uid, before.metadata.uid);
    assert_ne!(after.status.pod_ip, before.status.pod_ip, "a new sandbox gets a new IP");
    let last = ctr_status(&after, "nginx").last_state.terminated.unwrap();
    assert_eq!((last.exit_code, last.reason.as_str()), (255, "Unknown"));
    assert!(reasons(&c, "web-0").contains(&"SandboxChanged".to_string()));
    assert_ne!(node(&c, "node-c").status.node_info.boot_id, before.metadata.uid);
}

#[test]
fn endpoints_track_readiness_and_services_resolve() {
    let mut c = Cluster::new(12);
    c.create(obj(json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "www", "labels": {"tier": "front"}}, "spec": {"selector": {"app": "www"}, "ports": [{"port": 80, "targetPort": "web"}]}}))).unwrap();
    c.create(mkpod("www-0", json!({"containers": [{"name": "nginx", "image": "nginx:1.25", "ports": [{"containerPort": 80, "name": "web"}]}]}))).unwrap();
    c.create(mkpod("www-1", json!({"containers": [{"name": "nginx", "image": "nginx:1.25", "ports": [{"containerPort": 80, "name": "web"}], "readinessProbe": {"exec": {"command": ["false"]}}}]}))).unwrap();
    let ep = c.get::<Endpoints>("default", "www").cloned().unwrap();
    assert!(ep.subsets.is_empty(), "no pod has an IP yet");
    wait_until(&mut c, MINUTE, |c| ready(&p(c, "www-0")) && !p(c, "www-1").status.pod_ip.is_empty());
    c.advance(SECOND);
    let ep = c.get::<Endpoints>("default", "www").cloned().unwrap();
    assert_eq!(ep.metadata.labels.get("tier").map(|s| s.as_str()), Some("front"));
    assert!(!ep.metadata.labels.contains_key("service.kubernetes.io/headless"));
    assert!(ep.metadata.annotations.contains_key("endpoints.kubernetes.io/last-change-trigger-time"));
    let s = &ep.subsets[0];
    let (w0, w1) = (p(&c, "www-0"), p(&c, "www-1"));
    assert_eq!(s.addresses.len(), 1);
    assert_eq!(s.addresses[0].ip, w0.status.pod_ip);
    assert_eq!(s.addresses[0].node_name.as_deref(), Some(w0.spec.node_name.as_str()));
    assert_eq!(s.addresses[0].target_ref.as_ref().unwrap().uid, w0.metadata.uid);
    assert_eq!(s.not_ready_addresses[0].ip, w1.status.pod_ip);
    assert_eq!(s.ports, vec![EndpointPort { name: String::new(), port: 80, protocol: "TCP".into(), app_protocol: None }]);
    let svc_ip = c.get::<Service>("default", "www").unwrap().spec.cluster_ip.clone();
    for name in ["www", "www.default", "www.default.svc.cluster.local"] {
        assert_eq!(
            dns::resolve(&c.api, "default", name),
            Resolved::Service { namespace: "default".into(), name: "www".into(), ip: svc_ip.clone(), backends: vec![ObjKey::new("default", "www-0")] },
            "{name}"
        );
    }
    // a terminating pod leaves the endpoints at once
    c.delete(Kind::Pod, "default", "www-0", &DeleteOptions::default()).unwrap();
    let ep = c.get::<Endpoints>("default", "www").cloned().unwrap();
    assert!(ep.subsets.iter().all(|s| s.addresses.is_empty()));
    // deleting the Service removes its Endpoints
    c.delete(Kind::Service, "default", "www", &DeleteOptions::default()).unwrap();
    assert!(c.get::<Endpoints>("default", "www").is_none());
}

#[test]
fn disruption_budgets_guard_evictions() {
    let mut c = Cluster::new(13);
    for i in 0..3 {
        c.create(nginx(&format!("web-{i}"))).unwrap();
    }
    c.create(obj(json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "web"}, "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "web"}}}}))).unwrap();
    wait_until(&mut c, MINUTE, |c| (0..3).all(|i| ready(&p(c, &format!("web-{i}")))));
    let pdb = c.get::<PodDisruptionBudget>("default", "web").cloned().unwrap();
    assert_eq!((pdb.status.expected_pods, pdb.status.current_healthy, pdb.status.desired_healthy, pdb.status.disruptions_allowed), (3, 3, 2, 1));
    assert_eq!(pdb.status.observed_generation, 1);
    let cnd = &pdb.status.conditions[0];
    assert_eq!((cnd.type_.as_str(), cnd.status.as_str(), cnd.reason.as_str()), ("DisruptionAllowed", "True", "SufficientPods"));
    c.evict("default", "web-0").unwrap();
    assert!(p(&c, "web-0").metadata.deletion_timestamp.is_some());
    assert_eq!(cond(&p(&c, "web-0"), "DisruptionTarget").unwrap().reason, "EvictionByEvictionAPI");
    let err = c.evict("default", "web-1").unwrap_err();
    assert_eq!(err.reason, Reason::TooManyRequests);
    assert_eq!(err.message, "Cannot evict pod as it would violate the pod's disruption budget.");
    let pdb = c.get::<PodDisruptionBudget>("default", "web").cloned().unwrap();
    assert_eq!((pdb.status.current_healthy, pdb.status.disruptions_allowed), (2, 0));
    assert_eq!(pdb.status.conditions[0].reason, "InsufficientPods");
    assert_eq!(c.evict("default", "nope").unwrap_err().message, "pods \"nope\" not found");
}

#[test]
fn out_of_service_taint_lets_pod_gc_force_delete_terminating_pods() {
    let mut c = Cluster::new(14);
    c.create(mkpod("web-0", json!({"nodeName": "node-a", "containers": [{"name": "nginx", "image": "nginx:1.25"}]}))).unwrap();
    wait_until(&mut c, MINUTE, |c| ready(&p(c, "web-0")));
    c.cluster_verb(ClusterVerb::NodeStop { node: "node-a".into() }).unwrap();
    c.advance(2 * MINUTE);
    c.delete(Kind::Pod, "default", "web-0", &DeleteOptions::default()).unwrap();
    c.advance(MINUTE);
    assert!(p(&c, "web-0").metadata.deletion_timestamp.is_some());
    let mut n = node(&c, "node-a");
    n.spec.taints.push(Taint { key: "node.kubernetes.io/out-of-service".into(), value: "nodeshutdown".into(), effect: "NoExecute".into(), time_added: None });
    c.update(Object::Node(n)).unwrap();
    let t = wait_until(&mut c, MINUTE, |c| get(c, "web-0").is_none());
    assert!(t <= 20 * SECOND, "{t}");
}

#[test]
fn config_errors_hold_the_container_until_the_configmap_exists() {
    let mut c = Cluster::new(15);
    c.create(mkpod(
        "app-0",
        json!({
            "volumes": [{"name": "conf", "configMap": {"name": "settings", "optional": true}}],
            "containers": [{"name": "app", "image": "nginx:1.25",
                "env": [{"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "mode"}}},
                        {"name": "GREETING", "value": "hello $(MODE)"},
                        {"name": "MY_NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}],
                "volumeMounts": [{"name": "conf", "mountPath": "/etc/app"}]}]
        }),
    ))
    .unwrap();
    wait_until(&mut c, MINUTE, |c| waiting_reason(&p(c, "app-0"), "app").as_deref() == Some("CreateContainerConfigError"));
    assert_eq!(ctr_status(&p(&c, "app-0"), "app").state.waiting.unwrap().message, "configmap \"settings\" not found");
    assert!(pod_events(&c, "app-0").iter().any(|e| e.0 == "Warning" && e.1 == "Failed" && e.2 == "Error: configmap \"settings\" not found"));
    c.create(obj(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {"mode": "fast", "app.conf": "x=1\n"}}))).unwrap();
    wait_until(&mut c, MINUTE, |c| ready(&p(c, "app-0")));
    let pod = p(&c, "app-0");
    let proc = kubarium::engine::kubelet::proc_for(&c.api, &pod, "app").unwrap();
    assert_eq!(proc.env["MODE"], "fast");
    assert_eq!(proc.env["GREETING"], "hello fast");
    assert_eq!(proc.env["MY_NODE"], pod.spec.node_name);
    assert_eq!(proc.env["KUBERNETES_SERVICE_HOST"], "10.96.0.1");
    let conf = proc.mounts.iter().find(|m| m.path == "/etc/app").unwrap();
    assert!(conf.read_only);
    assert_eq!(c.world.volumes[&conf.volume].files["/app.conf"], "x=1\n");
    let token = proc.mounts.iter().find(|m| m.path == "/var/run/secrets/kubernetes.io/serviceaccount").unwrap();
    assert_eq!(c.world.volumes[&token.volume].files["/namespace"], "default");
    let _ = Time(0);
}

/// A PersistentVolume of `driver` bound to claim `data` by hand.
fn bound_csi_volume(c: &mut Cluster, driver: &str, handle: &str) {
    c.create(obj(json!({"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": format!("pv-{handle}")}, "spec": {
        "capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"], "persistentVolumeReclaimPolicy": "Retain",
        "claimRef": {"namespace": "default", "name": "data"},
        "csi": {"driver": driver, "volumeHandle": handle}}})))
        .unwrap();
    c.create(obj(json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"}, "spec": {
        "accessModes": ["ReadWriteOnce"], "storageClassName": "", "volumeName": format!("pv-{handle}"), "resources": {"requests": {"storage": "1Gi"}}}})))
        .unwrap();
}

fn pod_with_claim(name: &str, node: &str) -> Object {
    mkpod(
        name,
        json!({"nodeName": node, "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}],
        "containers": [{"name": "db", "image": "postgres:16", "env": [{"name": "POSTGRES_PASSWORD", "value": "secret"}], "volumeMounts": [{"name": "data", "mountPath": "/var/lib/postgresql/data"}]}]}),
    )
}

#[test]
fn an_attachable_volume_holds_the_pod_until_it_is_attached_to_the_node() {
    let mut c = Cluster::new(16);
    // Without its driver the external-attacher never marks the attachment done.
    c.cluster_verb(ClusterVerb::DriverUninstall { driver: "ebs.csi.aws.com".into() }).unwrap();
    bound_csi_volume(&mut c, "ebs.csi.aws.com", "vol-0a1b2c");
    c.create(pod_with_claim("db-0", "node-a")).unwrap();
    c.advance(2 * MINUTE);
    let pod = p(&c, "db-0");
    assert_eq!(waiting_reason(&pod, "db").as_deref(), Some("ContainerCreating"));
    assert_eq!(cond(&pod, "PodReadyToStartContainers").unwrap().status, ConditionStatus::False);
    let vas: Vec<VolumeAttachment> = c.api.store.list_t::<VolumeAttachment>().cloned().collect();
    assert_eq!(vas.len(), 1, "the attach/detach controller asked for the attachment");
    assert_eq!((vas[0].spec.node_name.as_str(), vas[0].status.attached), ("node-a", false));
    // After csiTimeout (2 minutes) the controller's attach operation gives up
    // with an event, and is retried. The kubelet's own wait times out
    // (2m3s) without one.
    c.advance(15 * SECOND);
    let ev = pod_events(&c, "db-0");
    assert_eq!(
        ev.iter().filter(|e| e.0 == "Warning").map(|e| (e.1.as_str(), e.2.as_str())).collect::<Vec<_>>(),
        [(
            "FailedAttachVolume",
            "AttachVolume.Attach failed for volume \"pv-vol-0a1b2c\" : timed out waiting for external-attacher of ebs.csi.aws.com CSI driver to attach volume vol-0a1b2c"
        )],
        "{ev:?}"
    );
    // The driver comes back: its attacher attaches, the kubelet mounts and starts postgres.
    c.cluster_verb(ClusterVerb::DriverInstall { driver: "ebs.csi.aws.com".into() }).unwrap();
    wait_until(&mut c, 3 * MINUTE, |c| ready(&p(c, "db-0")));
    assert!(c.api.store.list_t::<VolumeAttachment>().all(|va| va.status.attached));
    c.advance(10 * SECOND); // the next node status sync reports it
    let n = node(&c, "node-a");
    assert_eq!(n.status.volumes_in_use, ["kubernetes.io/csi/ebs.csi.aws.com^vol-0a1b2c"]);
}

#[test]
fn a_volume_of_an_uninstalled_driver_fails_to_mount_until_the_driver_is_back() {
    let mut c = Cluster::new(17);
    c.cluster_verb(ClusterVerb::DriverUninstall { driver: "efs.csi.aws.com".into() }).unwrap();
    bound_csi_volume(&mut c, "efs.csi.aws.com", "fs-1234");
    c.create(pod_with_claim("app-0", "node-b")).unwrap();
    // Without its CSIDriver object (attachRequired: false) the CSI plugin
    // must assume an attach step, and no external-attacher is there to do it.
    c.advance(2 * MINUTE + 5 * SECOND);
    let vas: Vec<VolumeAttachment> = c.api.store.list_t::<VolumeAttachment>().cloned().collect();
    assert_eq!(vas.len(), 1);
    assert_eq!((vas[0].spec.attacher.as_str(), vas[0].status.attached), ("efs.csi.aws.com", false));
    let ev = pod_events(&c, "app-0");
    assert!(
        ev.iter().any(|e| e.1 == "FailedAttachVolume"
            && e.2 == "AttachVolume.Attach failed for volume \"pv-fs-1234\" : timed out waiting for external-attacher of efs.csi.aws.com CSI driver to attach volume fs-1234"),
        "{ev:?}"
    );
    assert!(!ev.iter().any(|e| e.1 == "FailedMount"), "{ev:?}");
    c.cluster_verb(ClusterVerb::DriverInstall { driver: "efs.csi.aws.com".into() }).unwrap();
    wait_until(&mut c, 3 * MINUTE, |c| ready(&p(c, "app-0")));
}

#[test]
fn a_running_volume_whose_node_plugin_goes_away_cannot_be_mounted_again() {
    let mut c = Cluster::new(17);
    bound_csi_volume(&mut c, "efs.csi.aws.com", "fs-1234");
    c.create(pod_with_claim("app-0", "node-b")).unwrap();
    wait_until(&mut c, 3 * MINUTE, |c| ready(&p(c, "app-0")));
    c.cluster_verb(ClusterVerb::DriverUninstall { driver: "efs.csi.aws.com".into() }).unwrap();
    // Recreate the CSIDriver object alone: the node plugin stays unregistered.
    c.create(obj(json!({"apiVersion": "storage.k8s.io/v1", "kind": "CSIDriver", "metadata": {"name": "efs.csi.aws.com"}, "spec": {"attachRequired": false}})))
        .unwrap();
    assert!(ready(&p(&c, "app-0")), "a mounted volume stays mounted");
    c.create(pod_with_claim("app-1", "node-a")).unwrap();
    c.advance(10 * SECOND);
    let ev = pod_events(&c, "app-1");
    let m = "MountVolume.SetUp failed for volume \"pv-fs-1234\" : kubernetes.io/csi: mounter.SetUpAt failed to get CSI client: driver name efs.csi.aws.com not found in the list of registered CSI drivers";
    let failed = ev.iter().find(|e| e.1 == "FailedMount" && e.2 == m).unwrap_or_else(|| panic!("{ev:?}"));
    assert!(failed.3 >= 4, "retried with a growing back-off: {failed:?}");
}

#[test]
fn init_containers_run_first_and_hold_the_pod_when_they_fail() {
    let mut c = Cluster::new(18);
    c.create(mkpod(
        "app-0",
        json!({"initContainers": [{"name": "wait-db", "image": "busybox:1.36", "command": ["false"]}],
        "containers": [{"name": "app", "image": "nginx:1.25"}]}),
    ))
    .unwrap();
    wait_until(&mut c, MINUTE, |c| p(c, "app-0").status.init_container_statuses.first().is_some_and(|s| s.restart_count >= 2));
    let pod = p(&c, "app-0");
    assert_eq!(pod.status.phase, PodPhase::Pending);
    let init = cond(&pod, "Initialized").unwrap();
    assert_eq!(
        (init.status.as_str(), init.reason.as_str(), init.message.as_str()),
        ("False", "ContainersNotInitialized", "containers with incomplete status: [wait-db]")
    );
    assert_eq!(waiting_reason(&pod, "app").as_deref(), Some("PodInitializing"));
    assert_eq!(ctr_status(&pod, "app").restart_count, 0);
    // the events name the init container's field
    let e = c.api.events_for(Kind::Pod, "default", "app-0", "").into_iter().find(|e| e.reason == "Started").cloned().unwrap();
    assert_eq!(e.involved_object.field_path, "spec.initContainers{wait-db}");
    // the app container was never touched: no pull, no create
    assert!(c.api.events_for(Kind::Pod, "default", "app-0", "").iter().all(|e| e.involved_object.field_path != "spec.containers{app}"));
}

#[test]
fn kubelets_renew_their_leases_and_idle_clusters_settle() {
    let mut c = Cluster::new(19);
    let lease = |c: &Cluster| c.get::<Lease>("kube-node-lease", "node-a").cloned().unwrap();
    let l = lease(&c);
    assert_eq!(l.spec.holder_identity.as_deref(), Some("node-a"));
    assert_eq!(l.spec.lease_duration_seconds, Some(40));
    assert_eq!(l.metadata.owner_references[0].kind, "Node");
    let before = l.spec.renew_time.unwrap().0;
    c.advance(25 * SECOND);
    let after = lease(&c).spec.renew_time.unwrap().0;
    assert_eq!(after.0 - before.0, 20 * SECOND);
    assert_eq!(c.settle(), (0, true));
    // the nodes stay Ready however long nothing happens
    c.advance(20 * MINUTE);
    for n in ["node-a", "node-b", "node-c"] {
        assert!(is_condition_true(&node(&c, n).status.conditions, &ConditionType::Ready));
        assert!(node(&c, n).spec.taints.is_empty());
    }
    let hb = node(&c, "node-a").status.conditions[3].last_heartbeat_time.unwrap();
    assert!(c.now().0 - hb.0 <= 5 * MINUTE);
}

// ---------------------------------------------------------------- detach paths
//
// Every way a pod stops using an attachable disk ends in a detach once no
// pod on the node needs it (ARCHITECTURE.md lists them). The attach/detach
// controller waits for the kubelet to drop the volume from the node's
// volumesInUse (its next status update) unless the node is unhealthy, where
// it force-detaches after maxWaitForUnmountDuration (6 minutes), or carries
// the out-of-service taint. `settle` must carry each of them to the end.

/// (node, attached) of every VolumeAttachment.
fn attachments(c: &Cluster) -> Vec<(String, bool)> {
    c.api.store.list_t::<VolumeAttachment>().map(|va| (va.spec.node_name.clone(), va.status.attached)).collect()
}

/// A static EBS disk bound to claim `data`, used by `pods` on node-a, all running.
fn disk_in_use(seed: u64, pods: &[&str]) -> Cluster {
    let mut c = Cluster::new(seed);
    bound_csi_volume(&mut c, "ebs.csi.aws.com", "vol-0d15c");
    for name in pods {
        c.create(mkpod(
            name,
            json!({"nodeName": "node-a", "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}],
            "containers": [{"name": "nginx", "image": "nginx:1.25", "volumeMounts": [{"name": "data", "mountPath": "/usr/share/nginx/html"}]}]}),
        ))
        .unwrap();
    }
    wait_until(&mut c, MINUTE, |c| pods.iter().all(|n| ready(&p(c, n))));
    assert_eq!(attachments(&c), [("node-a".to_string(), true)]);
    c
}

fn settled_without_attachments(c: &mut Cluster) {
    assert!(c.settle().1, "settles");
    assert_eq!(attachments(c), [], "detached");
    assert!(node(c, "node-a").status.volumes_attached.is_empty());
}

#[test]
fn a_disk_stays_attached_while_one_pod_on_the_node_uses_it_and_is_detached_after_the_last() {
    let mut c = disk_in_use(40, &["db-0", "db-1"]);
    c.delete(Kind::Pod, "default", "db-0", &DeleteOptions::default()).unwrap();
    assert!(c.settle().1);
    assert_eq!(attachments(&c), [("node-a".to_string(), true)]);
    c.delete(Kind::Pod, "default", "db-1", &DeleteOptions::default()).unwrap();
    settled_without_attachments(&mut c);
}

#[test]
fn a_force_deleted_pod_on_a_running_node_lets_its_disk_go() {
    let mut c = disk_in_use(41, &["db-0"]);
    c.delete(Kind::Pod, "default", "db-0", &DeleteOptions { grace_period: Some(0), ..Default::default() }).unwrap();
    assert!(get(&c, "db-0").is_none());
    settled_without_attachments(&mut c);
}

#[test]
fn an_evicted_pod_lets_its_disk_go() {
    let mut c = disk_in_use(42, &["db-0"]);
    c.evict("default", "db-0").unwrap();
    settled_without_attachments(&mut c);
}

#[test]
fn a_pod_that_completed_lets_its_disk_go() {
    let mut c = Cluster::new(43);
    bound_csi_volume(&mut c, "ebs.csi.aws.com", "vol-0d15c");
    c.create(mkpod(
        "job-0",
        json!({"nodeName": "node-a", "restartPolicy": "Never", "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}],
        "containers": [{"name": "main", "image": "busybox:1.36", "command": ["sh", "-c", "echo done > /data/out"], "volumeMounts": [{"name": "data", "mountPath": "/data"}]}]}),
    ))
    .unwrap();
    wait_until(&mut c, MINUTE, |c| p(c, "job-0").status.phase == PodPhase::Succeeded);
    // The pod object stays, Completed; its volume is unmounted and detached.
    settled_without_attachments(&mut c);
    assert_eq!(p(&c, "job-0").status.phase, PodPhase::Succeeded);
}

/// A Deployment of `replicas` pods on node-a sharing the claim `data`.
fn deployment_on_the_disk(seed: u64, replicas: i32) -> Cluster {
    let mut c = Cluster::new(seed);
    bound_csi_volume(&mut c, "ebs.csi.aws.com", "vol-0d15c");
    c.create(obj(json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "app"}, "spec": {
        "replicas": replicas, "selector": {"matchLabels": {"app": "app"}},
        "template": {"metadata": {"labels": {"app": "app"}}, "spec": {
            "nodeSelector": {"kubernetes.io/hostname": "node-a"},
            "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}],
            "containers": [{"name": "nginx", "image": "nginx:1.25", "volumeMounts": [{"name": "data", "mountPath": "/data"}]}]}}}})))
        .unwrap();
    wait_until(&mut c, 2 * MINUTE, |c| c.api.store.pods_on_node("node-a").filter(|p| ready(p)).count() == replicas as usize);
    // Past every deadline the rollout left behind: what settles next is the deletion's doing.
    assert!(c.settle().1);
    assert_eq!(attachments(&c), [("node-a".to_string(), true)]);
    c
}

#[test]
fn deleting_the_owner_detaches_with_background_and_foreground_propagation_but_not_orphan() {
    for (seed, propagation) in [(44, Propagation::Background), (45, Propagation::Foreground)] {
        let mut c = deployment_on_the_disk(seed, 2);
        c.delete(Kind::Deployment, "default", "app", &DeleteOptions { propagation: Some(propagation.clone()), ..Default::default() }).unwrap();
        settled_without_attachments(&mut c);
        assert_eq!(c.api.store.pods_on_node("node-a").count(), 0, "{propagation:?}");
    }
    let mut c = deployment_on_the_disk(46, 2);
    c.delete(Kind::Deployment, "default", "app", &DeleteOptions { propagation: Some(Propagation::Orphan), ..Default::default() }).unwrap();
    assert!(c.settle().1);
    // The ReplicaSet and its pods live on, orphaned, and keep the disk.
    assert_eq!(c.api.store.pods_on_node("node-a").count(), 2);
    assert_eq!(attachments(&c), [("node-a".to_string(), true)]);
}

#[test]
fn a_deleted_nodes_disk_is_force_detached_six_minutes_after_its_pods_are_gone() {
    let mut c = disk_in_use(47, &["db-0"]);
    // A while later: the kubelet's status heartbeats have updated the node
    // since the controller last looked at its volumes.
    c.advance(6 * MINUTE);
    let t0 = c.now().0;
    c.delete(Kind::Node, "", "node-a", &DeleteOptions::default()).unwrap();
    // Pod GC deletes the pods of a node that no longer exists (after 40 s of
    // quarantine, at its next 20 s pass).
    let gone = wait_until(&mut c, 2 * MINUTE, |c| get(c, "db-0").is_none());
    assert!((40 * SECOND..=60 * SECOND).contains(&gone), "{gone}");
    // The deleted node's last volumesInUse still says mounted, and a node
    // that is not there is not healthy: force detach after maxWaitForUnmountDuration.
    c.advance(5 * MINUTE + 50 * SECOND);
    assert_eq!(attachments(&c).len(), 1, "still attached {} ms after the node was deleted", c.now().0 - t0);
    assert!(c.settle().1);
    assert_eq!(attachments(&c), []);
    let took = c.now().0 - t0 - gone;
    assert!((6 * MINUTE..6 * MINUTE + 20 * SECOND).contains(&took), "detached {took} ms after the pod was gone");
}

#[test]
fn a_powered_off_nodes_disk_is_force_detached_six_minutes_after_its_pod_is_force_deleted() {
    let mut c = disk_in_use(48, &["db-0"]);
    c.cluster_verb(ClusterVerb::NodeStop { node: "node-a".into() }).unwrap();
    // NotReady, then evicted by the NoExecute taint after 300 s: Terminating for ever.
    c.advance(7 * MINUTE);
    assert!(p(&c, "db-0").metadata.deletion_timestamp.is_some());
    assert_eq!(attachments(&c), [("node-a".to_string(), true)]);
    c.delete(Kind::Pod, "default", "db-0", &DeleteOptions { grace_period: Some(0), ..Default::default() }).unwrap();
    let t = c.now().0;
    c.advance(5 * MINUTE + 50 * SECOND);
    assert_eq!(attachments(&c).len(), 1);
    assert!(c.settle().1);
    assert_eq!(attachments(&c), []);
    assert!((6 * MINUTE..6 * MINUTE + 20 * SECOND).contains(&(c.now().0 - t)), "{}", c.now().0 - t);
}

// ---------------------------------------------------------------- volume waits

#[test]
fn a_failed_mount_is_retried_after_its_back_off_even_once_the_configmap_exists() {
    let mut c = Cluster::new(50);
    c.create(mkpod(
        "app-0",
        json!({"nodeName": "node-a", "volumes": [{"name": "conf", "configMap": {"name": "settings"}}],
            "containers": [{"name": "app", "image": "nginx:1.25", "volumeMounts": [{"name": "conf", "mountPath": "/etc/app"}]}]}),
    ))
    .unwrap();
    let t0 = c.now().0;
    c.advance(20 * SECOND);
    // Attempts at 0, 0.5, 1.5, 3.5, 7.5 and 15.5 s: the back-off doubles from 500 ms.
    let failed = pod_events(&c, "app-0").into_iter().find(|e| e.1 == "FailedMount").expect("FailedMount");
    assert_eq!(failed.2, "MountVolume.SetUp failed for volume \"conf\" : configmap \"settings\" not found");
    assert_eq!(failed.3, 6);
    c.create(obj(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {"a": "1"}}))).unwrap();
    c.advance(10 * SECOND);
    assert!(!ready(&p(&c, "app-0")), "the next attempt is at 31.5 s");
    wait_until(&mut c, MINUTE, |c| ready(&p(c, "app-0")));
    let started = c
        .api
        .events_for(Kind::Pod, "default", "app-0", "")
        .into_iter()
        .find(|e| e.reason == "Pulling" || e.reason == "Pulled")
        .unwrap()
        .first_timestamp
        .unwrap();
    assert_eq!(started.0 - t0, 31_500 + 800, "mounted at the retry, then the sandbox");
    assert!(c.settle().1);
}

#[test]
fn a_pod_whose_claim_is_missing_fails_its_sync_at_once_and_retries_after_the_pod_worker_back_off() {
    let mut c = Cluster::new(51);
    c.create(pod_with_claim("db-0", "node-b")).unwrap();
    let t0 = c.now().0;
    c.advance(SECOND);
    let ev = pod_events(&c, "db-0");
    assert_eq!(
        ev.iter().filter(|e| e.1 == "FailedMount").map(|e| e.2.as_str()).collect::<Vec<_>>(),
        [
            "Unable to attach or mount volumes: unmounted volumes=[data], unattached volumes=[], failed to process volumes=[data]: error processing PVC default/data: failed to fetch PVC from API server: persistentvolumeclaims \"data\" not found"
        ]
    );
    // The claim appears, bound to a volume that needs no attaching: the pod
    // worker syncs again 10 s after the failed sync, not at once.
    bound_csi_volume(&mut c, "efs.csi.aws.com", "fs-0c1a1m");
    c.advance(5 * SECOND);
    assert_eq!(waiting_reason(&p(&c, "db-0"), "db").as_deref(), Some("ContainerCreating"));
    assert!(c.settle().1);
    assert!(ready(&p(&c, "db-0")));
    let pulled = c.api.events_for(Kind::Pod, "default", "db-0", "").into_iter().find(|e| e.reason == "Pulling").unwrap().first_timestamp.unwrap();
    assert_eq!(pulled.0 - t0, 10_000 + 800);
}

#[test]
fn a_pod_whose_missing_claim_appears_bound_to_a_disk_settles_running() {
    let mut c = Cluster::new(52);
    c.create(pod_with_claim("db-0", "node-a")).unwrap();
    c.advance(SECOND);
    // Past every deadline the pod's failed sync left behind.
    c.advance(3 * MINUTE);
    bound_csi_volume(&mut c, "ebs.csi.aws.com", "vol-0a77");
    // The disk must be reported in use, attached, then mounted: `settle`
    // sees it through.
    assert!(c.settle().1);
    assert!(ready(&p(&c, "db-0")), "{:?}", pod_events(&c, "db-0"));
}
