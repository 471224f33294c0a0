use super::*;
use crate::engine::controllers::testkit::*;

fn harness(nodes: &[&str]) -> Harness {
    let mut h = Harness::new(vec![Box::new(DaemonSetController::default())]);
    for n in nodes {
        let mut node = Node { metadata: ObjectMeta::named("", n), ..Default::default() };
        node.metadata.labels.insert("kubernetes.io/hostname".into(), n.to_string());
        h.create(Object::Node(node));
    }
    h
}

fn daemon_set(name: &str, strategy: Value) -> Object {
    let v = json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": name, "namespace": "default"},
        "spec": {"selector": {"matchLabels": {"app": name}}, "updateStrategy": strategy,
            "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": "c", "image": "nginx:1.25"}]}}}});
    Object::from_value(Kind::DaemonSet, &v).unwrap().0
}

fn live(h: &Harness) -> Vec<Pod> {
    h.pods("default").into_iter().filter(is_pod_active).collect()
}

/// Binds every daemon pod to the node it is pinned to and makes it ready.
fn run_pods(h: &mut Harness) {
    for p in live(h) {
        if p.spec.node_name.is_empty() {
            h.bind("default", &p.metadata.name, &target_node(&p).unwrap());
        }
        if !is_pod_ready(&h.pod("default", &p.metadata.name).unwrap()) {
            h.ready("default", &p.metadata.name);
        }
    }
}

fn status(h: &Harness, name: &str) -> Value {
    match &**h.api.store.get(Kind::DaemonSet, &ObjKey::new("default", name)).unwrap() {
        Object::Generic(g) => g.field("status").clone(),
        _ => unreachable!(),
    }
}

#[test]
fn one_pod_per_node_pinned_by_affinity() {
    let mut h = harness(&["a", "b", "c"]);
    h.create(daemon_set("ds", json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}})));
    let mut nodes: Vec<String> = live(&h).iter().map(|p| target_node(p).unwrap()).collect();
    crate::engine::sort::sort(&mut nodes);
    assert_eq!(nodes, ["a", "b", "c"]);
    let p = &live(&h)[0];
    assert_eq!(p.metadata.labels[TEMPLATE_GENERATION_LABEL], "1");
    assert!(p.metadata.labels.contains_key(REVISION_HASH_LABEL));
    assert_eq!(p.spec.tolerations.len(), 6);
    run_pods(&mut h);
    let s = status(&h, "ds");
    assert_eq!((s["desiredNumberScheduled"].as_i64(), s["numberReady"].as_i64(), s["numberAvailable"].as_i64()), (Some(3), Some(3), Some(3)));
    // a NoExecute taint the pods do not tolerate takes the node's pod away
    let mut n = h.api.get_t::<Node>("", "c").unwrap().clone();
    n.spec.taints.push(Taint { key: "dedicated".into(), value: "x".into(), effect: "NoExecute".into(), ..Default::default() });
    h.update(Object::Node(n));
    assert_eq!(live(&h).len(), 2);
    assert_eq!(status(&h, "ds")["desiredNumberScheduled"], 2);
}

#[test]
fn rolling_update_replaces_one_node_at_a_time() {
    let mut h = harness(&["a", "b", "c"]);
    h.create(daemon_set("ds", json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}})));
    run_pods(&mut h);
    let Object::Generic(mut g) = (**h.api.store.get(Kind::DaemonSet, &ObjKey::new("default", "ds")).unwrap()).clone() else { unreachable!() };
    g.body.get_mut("spec").unwrap()["template"]["spec"]["containers"][0]["image"] = json!("nginx:1.26");
    h.update(Object::Generic(g));
    assert_eq!(h.pods("default").iter().filter(|p| p.metadata.is_deleting()).count(), 1, "one old pod goes at a time");
    let revisions = h.api.store.list_ns_t::<ControllerRevision>("default").count();
    assert_eq!(revisions, 2);
    for _ in 0..6 {
        for p in h.pods("default").into_iter().filter(|p| p.metadata.is_deleting()) {
            h.finish_deletion("default", &p.metadata.name);
        }
        run_pods(&mut h);
    }
    let images: Vec<String> = live(&h).iter().map(|p| p.spec.containers[0].image.clone()).collect();
    assert_eq!(images, ["nginx:1.26"; 3]);
    assert_eq!(status(&h, "ds")["updatedNumberScheduled"], 3);
}

#[test]
fn on_delete_waits_for_the_pods_to_be_deleted() {
    let mut h = harness(&["a", "b"]);
    h.create(daemon_set("ds", json!({"type": "OnDelete"})));
    run_pods(&mut h);
    let Object::Generic(mut g) = (**h.api.store.get(Kind::DaemonSet, &ObjKey::new("default", "ds")).unwrap()).clone() else { unreachable!() };
    g.body.get_mut("spec").unwrap()["template"]["spec"]["containers"][0]["image"] = json!("nginx:1.26");
    h.update(Object::Generic(g));
    assert!(h.pods("default").iter().all(|p| !p.metadata.is_deleting()));
    assert_eq!(status(&h, "ds").get("updatedNumberScheduled"), None);
}
