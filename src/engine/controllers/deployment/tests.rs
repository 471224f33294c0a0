use super::*;
use crate::engine::controllers::replicaset::ReplicaSetController;
use crate::engine::controllers::testkit::*;

fn harness() -> Harness {
    Harness::new(vec![Box::new(DeploymentController::default()), Box::new(ReplicaSetController::default())])
}

fn deployment(name: &str, replicas: i32, image: &str) -> Deployment {
    Deployment {
        metadata: ObjectMeta::named("default", name),
        spec: DeploymentSpec { replicas: Some(replicas), selector: selector(name), template: template(name, image), ..Default::default() },
        ..Default::default()
    }
}

fn get(h: &Harness, name: &str) -> Deployment {
    h.api.get_t::<Deployment>("default", name).unwrap().clone()
}

fn rss(h: &Harness) -> Vec<ReplicaSet> {
    let mut v: Vec<ReplicaSet> = h.api.store.list_ns_t::<ReplicaSet>("default").cloned().collect();
    crate::engine::sort::sort_by(&mut v, by_creation);
    v
}

/// Marks every live pod ready until nothing new appears.
fn all_ready(h: &mut Harness) {
    loop {
        let todo: Vec<String> = h.pods("default").into_iter().filter(|p| !p.metadata.is_deleting() && !is_pod_ready(p)).map(|p| p.metadata.name).collect();
        if todo.is_empty() {
            return;
        }
        for n in todo {
            h.ready("default", &n);
            check_invariants(&h.api).unwrap();
        }
    }
}

fn scaling_events(h: &Harness, name: &str) -> Vec<String> {
    h.events(Kind::Deployment, "default", name).into_iter().filter(|(r, _)| r == "ScalingReplicaSet").map(|(_, m)| m).collect()
}

fn set_image(h: &mut Harness, name: &str, image: &str) {
    let mut d = get(h, name);
    d.spec.template.spec.containers[0].image = image.into();
    h.update(Object::Deployment(d));
}

#[test]
fn creates_a_hashed_replica_set_and_reports_progress() {
    let mut h = harness();
    h.create(Object::Deployment(deployment("web", 3, "nginx:1.25")));
    let rs = rss(&h);
    assert_eq!(rs.len(), 1);
    let rs = &rs[0];
    let hash = rs.metadata.labels[POD_TEMPLATE_HASH_LABEL].clone();
    assert_eq!(rs.metadata.name, format!("web-{hash}"));
    assert_eq!(rs.spec.selector.as_ref().unwrap().match_labels[POD_TEMPLATE_HASH_LABEL], hash);
    assert_eq!(rs.spec.template.metadata.labels[POD_TEMPLATE_HASH_LABEL], hash);
    assert_eq!(rs.metadata.annotations[REVISION_ANNOTATION], "1");
    assert_eq!(rs.metadata.annotations[DESIRED_REPLICAS_ANNOTATION], "3");
    assert_eq!(rs.metadata.annotations[MAX_REPLICAS_ANNOTATION], "4");
    assert_eq!(rs.metadata.controller_ref().unwrap().kind, "Deployment");
    let pods = h.pods("default");
    assert_eq!(pods.len(), 3);
    assert!(pods.iter().all(|p| p.metadata.name.starts_with(&format!("web-{hash}-")) && p.metadata.labels[POD_TEMPLATE_HASH_LABEL] == hash));
    assert_eq!(scaling_events(&h, "web"), [format!("Scaled up replica set web-{hash} from 0 to 3")]);
    let d = get(&h, "web");
    assert_eq!(d.metadata.annotations[REVISION_ANNOTATION], "1");
    let p = get_deployment_condition(&d.status, &ConditionType::Progressing).unwrap();
    assert_eq!((&p.status, p.reason.as_str()), (&ConditionStatus::True, REPLICA_SET_UPDATED));
    assert_eq!(p.message, format!("ReplicaSet \"web-{hash}\" is progressing."));
    let a = get_deployment_condition(&d.status, &ConditionType::Available).unwrap();
    assert_eq!(
        (&a.status, a.reason.as_str(), a.message.as_str()),
        (&ConditionStatus::False, MIN_UNAVAILABLE, "Deployment does not have minimum availability.")
    );
    all_ready(&mut h);
    let d = get(&h, "web");
    assert_eq!(
        (d.status.replicas, d.status.updated_replicas, d.status.ready_replicas, d.status.available_replicas, d.status.unavailable_replicas),
        (3, 3, 3, 3, 0)
    );
    assert_eq!(d.status.terminating_replicas, Some(0));
    let p = get_deployment_condition(&d.status, &ConditionType::Progressing).unwrap();
    assert_eq!((p.reason.as_str(), p.message.clone()), (NEW_RS_AVAILABLE, format!("ReplicaSet \"web-{hash}\" has successfully progressed.")));
    assert_eq!(get_deployment_condition(&d.status, &ConditionType::Available).unwrap().reason, MIN_AVAILABLE);
    assert_eq!(d.status.observed_generation, d.metadata.generation);
}

#[test]
fn rolling_update_respects_surge_and_unavailability() {
    let mut h = harness();
    h.create(Object::Deployment(deployment("web", 4, "nginx:1.25")));
    all_ready(&mut h);
    let old = rss(&h)[0].metadata.name.clone();
    set_image(&mut h, "web", "nginx:1.26");
    let rs = rss(&h);
    assert_eq!(rs.len(), 2);
    let new = rs.iter().find(|r| r.metadata.name != old).unwrap().metadata.name.clone();
    // 25% of 4: one extra pod, one unavailable
    assert_eq!(scaling_events(&h, "web")[1..3], [format!("Scaled up replica set {new} from 0 to 1"), format!("Scaled down replica set {old} from 4 to 3")]);
    assert_eq!(rs_replicas(h.api.get_t::<ReplicaSet>("default", &new).unwrap()), 2);
    loop {
        let live = h.pods("default").into_iter().filter(|p| !p.metadata.is_deleting()).count();
        assert!(live <= 5, "never more than replicas + maxSurge pods");
        let todo: Vec<String> = h.pods("default").into_iter().filter(|p| !p.metadata.is_deleting() && !is_pod_ready(p)).map(|p| p.metadata.name).collect();
        if todo.is_empty() {
            break;
        }
        h.ready("default", &todo[0]);
        let available: i32 = rss(&h).iter().map(|r| r.status.available_replicas).sum();
        assert!(available >= 3, "never fewer than replicas - maxUnavailable available");
    }
    let d = get(&h, "web");
    assert_eq!((d.status.replicas, d.status.updated_replicas, d.status.available_replicas), (4, 4, 4));
    assert_eq!(d.metadata.annotations[REVISION_ANNOTATION], "2");
    assert_eq!(rs_replicas(h.api.get_t::<ReplicaSet>("default", &old).unwrap()), 0);
    assert_eq!(get_deployment_condition(&d.status, &ConditionType::Progressing).unwrap().reason, NEW_RS_AVAILABLE);
}

#[test]
fn recreate_waits_for_old_pods_to_be_gone() {
    let mut h = harness();
    let mut d = deployment("db", 1, "postgres:14");
    d.spec.strategy.type_ = DeploymentStrategyType::Recreate;
    h.create(Object::Deployment(d));
    let old_pod = h.pod_names("default")[0].clone();
    h.bind("default", &old_pod, "node-a");
    all_ready(&mut h);
    set_image(&mut h, "db", "postgres:15");
    // the old ReplicaSet is scaled to zero; its pod terminates, no new one yet
    assert!(h.pod("default", &old_pod).unwrap().metadata.is_deleting());
    assert_eq!(rss(&h).len(), 1, "the new ReplicaSet is only created once the old pods are gone");
    check_invariants(&h.api).unwrap();
    h.finish_deletion("default", &old_pod);
    let rs = rss(&h);
    assert_eq!(rs.len(), 2);
    let pods = h.pod_names("default");
    assert_eq!(pods.len(), 1);
    assert_ne!(pods[0], old_pod);
    let ev = scaling_events(&h, "db");
    assert!(ev[1].starts_with("Scaled down replica set db-") && ev[1].ends_with("from 1 to 0"), "{ev:?}");
    assert!(ev[2].starts_with("Scaled up replica set db-") && ev[2].ends_with("from 0 to 1"), "{ev:?}");
    check_invariants(&h.api).unwrap();
}

#[test]
fn rollback_by_template_reuses_the_old_replica_set() {
    let mut h = harness();
    h.create(Object::Deployment(deployment("web", 2, "nginx:1.25")));
    all_ready(&mut h);
    let first = rss(&h)[0].metadata.name.clone();
    set_image(&mut h, "web", "nginx:1.26");
    all_ready(&mut h);
    // kubectl rollout undo: the old ReplicaSet's template, without the hash label
    let mut d = get(&h, "web");
    let mut t = h.api.get_t::<ReplicaSet>("default", &first).unwrap().spec.template.clone();
    t.metadata.labels.remove(POD_TEMPLATE_HASH_LABEL);
    d.spec.template = t;
    h.update(Object::Deployment(d));
    all_ready(&mut h);
    let rs = rss(&h);
    assert_eq!(rs.len(), 2, "no third ReplicaSet");
    let back = h.api.get_t::<ReplicaSet>("default", &first).unwrap();
    assert_eq!(rs_replicas(back), 2);
    assert_eq!(back.metadata.annotations[REVISION_ANNOTATION], "3");
    assert_eq!(back.metadata.annotations[REVISION_HISTORY_ANNOTATION], "1");
    assert_eq!(get(&h, "web").metadata.annotations[REVISION_ANNOTATION], "3");
}

#[test]
fn paused_deployments_do_not_roll_out() {
    let mut h = harness();
    h.create(Object::Deployment(deployment("web", 2, "nginx:1.25")));
    all_ready(&mut h);
    let mut d = get(&h, "web");
    d.spec.paused = true;
    h.update(Object::Deployment(d));
    let c = get_deployment_condition(&get(&h, "web").status, &ConditionType::Progressing).unwrap().clone();
    assert_eq!((&c.status, c.reason.as_str(), c.message.as_str()), (&ConditionStatus::Unknown, PAUSED, "Deployment is paused"));
    set_image(&mut h, "web", "nginx:1.26");
    assert_eq!(rss(&h).len(), 1);
    // scaling still works while paused
    let mut d = get(&h, "web");
    d.spec.replicas = Some(3);
    h.update(Object::Deployment(d));
    assert_eq!(rs_replicas(&rss(&h)[0]), 3);
    let mut d = get(&h, "web");
    d.spec.paused = false;
    h.update(Object::Deployment(d));
    assert_eq!(rss(&h).len(), 2);
    assert!(h.events(Kind::Deployment, "default", "web").iter().any(|(_, m)| m.contains("from 0 to 1")));
}

#[test]
fn progress_deadline_is_reported() {
    let mut h = harness();
    let mut d = deployment("web", 1, "nginx:does-not-exist");
    d.spec.progress_deadline_seconds = Some(30);
    h.create(Object::Deployment(d));
    let rs = rss(&h)[0].metadata.name.clone();
    h.advance(29 * SECOND);
    assert_eq!(get_deployment_condition(&get(&h, "web").status, &ConditionType::Progressing).unwrap().status, ConditionStatus::True);
    h.advance(3 * SECOND);
    let d = get(&h, "web");
    let c = get_deployment_condition(&d.status, &ConditionType::Progressing).unwrap();
    assert_eq!((&c.status, c.reason.as_str()), (&ConditionStatus::False, TIMED_OUT));
    assert_eq!(c.message, format!("ReplicaSet \"{rs}\" has timed out progressing."));
}

#[test]
fn old_replica_sets_beyond_the_history_limit_are_deleted() {
    let mut h = harness();
    let mut d = deployment("web", 1, "nginx:1");
    d.spec.revision_history_limit = Some(1);
    h.create(Object::Deployment(d));
    all_ready(&mut h);
    for v in 2..=4 {
        set_image(&mut h, "web", &format!("nginx:{v}"));
        all_ready(&mut h);
    }
    let rs = rss(&h);
    assert_eq!(rs.len(), 2, "{:?}", rs.iter().map(|r| &r.metadata.name).collect::<Vec<_>>());
    let mut revs: Vec<_> = rs.iter().map(|r| r.metadata.annotations[REVISION_ANNOTATION].clone()).collect();
    crate::engine::sort::sort(&mut revs);
    assert_eq!(revs, ["3", "4"]);
}

#[test]
fn scaling_mid_rollout_is_proportional() {
    let mut h = harness();
    let mut d = deployment("web", 10, "nginx:1");
    d.spec.strategy.rolling_update = Some(RollingUpdateDeployment { max_surge: Some(IntOrString::Int(3)), max_unavailable: Some(IntOrString::Int(2)) });
    h.create(Object::Deployment(d));
    all_ready(&mut h);
    set_image(&mut h, "web", "nginx:2");
    // new RS at 3 (surge), old at 8 (two unavailable)
    let sizes: Vec<i32> = rss(&h).iter().map(rs_replicas).collect();
    assert_eq!(sizes, [8, 5]);
    let mut d = get(&h, "web");
    d.spec.replicas = Some(20);
    h.update(Object::Deployment(d));
    let sizes: Vec<i32> = rss(&h).iter().map(rs_replicas).collect();
    // 23 allowed, 13 present: +10 split by size (8 of 13, 5 of 13)
    assert_eq!(sizes.iter().sum::<i32>(), 23);
    assert_eq!(sizes, [14, 9]);
}

#[test]
fn fenceposts_round_as_kubernetes_does() {
    let p = |s: &str| Some(IntOrString::Str(s.into()));
    assert_eq!(resolve_fenceposts(p("25%").as_ref(), p("25%").as_ref(), 1).unwrap(), (1, 0));
    assert_eq!(resolve_fenceposts(p("25%").as_ref(), p("25%").as_ref(), 10).unwrap(), (3, 2));
    assert_eq!(resolve_fenceposts(Some(&IntOrString::Int(0)), Some(&IntOrString::Int(0)), 5).unwrap(), (0, 1));
}

#[test]
fn invariants_catch_recreate_overlap_and_oversized_rollouts() {
    let mut h = harness();
    let mut d = deployment("db", 1, "postgres:14");
    d.spec.strategy.type_ = DeploymentStrategyType::Recreate;
    h.create(Object::Deployment(d));
    all_ready(&mut h);
    check_invariants(&h.api).unwrap();
    // an old ReplicaSet that still has a running pod, next to new pods
    let old = rss(&h)[0].clone();
    let mut d = get(&h, "db");
    d.spec.template.spec.containers[0].image = "postgres:15".into();
    h.api.update(Object::Deployment(d)).unwrap();
    let mut t = get(&h, "db").spec.template.clone();
    t.metadata.labels.insert(POD_TEMPLATE_HASH_LABEL.into(), "abc".into());
    let mut sel = get(&h, "db").spec.selector.clone().unwrap();
    sel.match_labels.insert(POD_TEMPLATE_HASH_LABEL.into(), "abc".into());
    let d_meta = get(&h, "db").metadata;
    let rs = ReplicaSet {
        metadata: ObjectMeta {
            name: "db-abc".into(),
            namespace: "default".into(),
            labels: t.metadata.labels.clone(),
            owner_references: vec![new_controller_ref(&d_meta, Kind::Deployment)],
            ..Default::default()
        },
        spec: ReplicaSetSpec { replicas: Some(1), selector: Some(sel), template: t.clone(), ..Default::default() },
        ..Default::default()
    };
    let rs = h.api.create(Object::ReplicaSet(rs)).unwrap().object;
    let mut p = pod_from_template(&t, "db-abc", new_controller_ref(rs.meta(), Kind::ReplicaSet));
    p.metadata.namespace = "default".into();
    h.api.create(Object::Pod(p)).unwrap();
    assert!(!old.metadata.name.is_empty());
    let e = check_invariants(&h.api).unwrap_err();
    assert!(e.contains("runs new pod"), "{e}");
}
