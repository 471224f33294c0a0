use super::*;
use crate::engine::apiserver::DeleteOptions;
use crate::engine::controllers::controller_utils::is_pod_ready;
use crate::engine::controllers::history::CONTROLLER_REVISION_HASH_LABEL;
use crate::engine::controllers::testkit::*;
use crate::engine::quantity::Quantity;
use crate::engine::time::SECOND;

fn harness() -> Harness {
    Harness::new(vec![Box::new(StatefulSetController::default())])
}

fn claim_template(name: &str) -> PersistentVolumeClaim {
    let mut c = PersistentVolumeClaim::default();
    c.metadata.name = name.into();
    c.spec.access_modes = vec![PersistentVolumeAccessMode::ReadWriteOnce];
    c.spec.resources.requests.insert("storage".into(), Quantity::parse("1Gi").unwrap());
    c
}

fn sts(name: &str, replicas: i32) -> StatefulSet {
    let mut t = template(name, "nginx:1.25");
    t.spec.containers[0].volume_mounts.push(VolumeMount { name: "data".into(), mount_path: "/data".into(), ..Default::default() });
    StatefulSet {
        metadata: ObjectMeta::named("default", name),
        spec: StatefulSetSpec {
            replicas: Some(replicas),
            selector: selector(name),
            template: t,
            service_name: name.into(),
            volume_claim_templates: vec![claim_template("data")],
            ..Default::default()
        },
        ..Default::default()
    }
}

fn get(h: &Harness, name: &str) -> StatefulSet {
    h.api.get_t::<StatefulSet>("default", name).unwrap().clone()
}

fn update_set(h: &mut Harness, name: &str, f: impl FnOnce(&mut StatefulSet)) {
    let mut s = get(h, name);
    f(&mut s);
    h.update(Object::StatefulSet(s));
}

fn live_names(h: &Harness) -> Vec<String> {
    h.pods("default").into_iter().filter(|p| !p.metadata.is_deleting()).map(|p| p.metadata.name).collect()
}

/// Readies (and binds) pods in ordinal order until the set stops growing.
fn bring_up(h: &mut Harness) {
    loop {
        let todo: Vec<String> = h.pods("default").into_iter().filter(|p| !p.metadata.is_deleting() && !is_pod_ready(p)).map(|p| p.metadata.name).collect();
        if todo.is_empty() {
            return;
        }
        for n in todo {
            if h.pod("default", &n).is_some_and(|p| p.spec.node_name.is_empty()) {
                h.bind("default", &n, "node-a");
            }
            h.ready("default", &n);
            check_invariants(&h.api).unwrap();
        }
    }
}

fn events(h: &Harness, name: &str) -> Vec<(String, String)> {
    h.events(Kind::StatefulSet, "default", name)
}

#[test]
fn ordered_creation_with_identity_and_claims() {
    let mut h = harness();
    let s = h.create(Object::StatefulSet(sts("web", 3)));
    assert_eq!(live_names(&h), ["web-0"]);
    let p = h.pod("default", "web-0").unwrap();
    assert_eq!(p.metadata.generate_name, "web-");
    assert_eq!(p.metadata.labels[POD_NAME_LABEL], "web-0");
    assert_eq!(p.metadata.labels[POD_INDEX_LABEL], "0");
    assert_eq!(p.metadata.labels["app"], "web");
    assert_eq!((p.spec.hostname.as_str(), p.spec.subdomain.as_str()), ("web-0", "web"));
    assert_eq!(p.spec.volumes[0].persistent_volume_claim.as_ref().unwrap().claim_name, "data-web-0");
    let r = p.metadata.controller_ref().unwrap();
    assert_eq!((r.kind.as_str(), r.uid.as_str(), r.block_owner_deletion), ("StatefulSet", s.meta().uid.as_str(), Some(true)));
    let claim = h.api.get_t::<PersistentVolumeClaim>("default", "data-web-0").unwrap();
    assert_eq!(claim.metadata.labels, labels(&[("app", "web")]));
    assert!(claim.metadata.owner_references.is_empty(), "Retain: claims have no owners");
    assert_eq!(
        events(&h, "web"),
        [
            ("SuccessfulCreate".to_string(), "Create Claim data-web-0 Pod web-0 in StatefulSet web success".to_string()),
            ("SuccessfulCreate".into(), "Create Pod web-0 in StatefulSet web successful".into())
        ]
    );
    // web-1 waits for web-0 to be Running and Ready
    h.set_phase("default", "web-0", PodPhase::Running);
    assert_eq!(live_names(&h), ["web-0"]);
    h.ready("default", "web-0");
    assert_eq!(live_names(&h), ["web-0", "web-1"]);
    bring_up(&mut h);
    assert_eq!(live_names(&h), ["web-0", "web-1", "web-2"]);
    let st = get(&h, "web").status;
    assert_eq!((st.replicas, st.ready_replicas, st.available_replicas, st.current_replicas, st.updated_replicas), (3, 3, 3, 3, 3));
    assert_eq!(st.current_revision, st.update_revision);
    assert_eq!(st.collision_count, Some(0));
    assert_eq!(st.observed_generation, 1);
    let rev = h.api.get_t::<ControllerRevision>("default", &st.update_revision).unwrap();
    assert_eq!(rev.revision, 1);
    assert!(rev.metadata.name.starts_with("web-"));
    assert_eq!(rev.metadata.labels[CONTROLLER_REVISION_HASH_LABEL], rev.metadata.name["web-".len()..]);
    assert!(h.pods("default").iter().all(|p| p.metadata.labels[REVISION_LABEL] == st.update_revision));
}

#[test]
fn scale_down_goes_from_the_highest_ordinal_one_at_a_time() {
    let mut h = harness();
    h.create(Object::StatefulSet(sts("web", 3)));
    bring_up(&mut h);
    update_set(&mut h, "web", |s| s.spec.replicas = Some(1));
    // bound pods terminate gracefully: web-1 is not touched while web-2 terminates
    assert!(h.pod("default", "web-2").unwrap().metadata.is_deleting());
    assert!(!h.pod("default", "web-1").unwrap().metadata.is_deleting());
    h.finish_deletion("default", "web-2");
    assert!(h.pod("default", "web-1").unwrap().metadata.is_deleting());
    h.finish_deletion("default", "web-1");
    assert_eq!(h.pod_names("default"), ["web-0"]);
    let deletes: Vec<String> = events(&h, "web").into_iter().filter(|(r, _)| r == "SuccessfulDelete").map(|(_, m)| m).collect();
    assert_eq!(deletes, ["Delete Pod web-2 in StatefulSet web successful", "Delete Pod web-1 in StatefulSet web successful"]);
    // claims stay (whenScaled: Retain)
    assert!(h.api.get_t::<PersistentVolumeClaim>("default", "data-web-2").is_some());
    // scaling up again reuses them
    update_set(&mut h, "web", |s| s.spec.replicas = Some(2));
    assert_eq!(h.pod("default", "web-1").unwrap().spec.volumes[0].persistent_volume_claim.as_ref().unwrap().claim_name, "data-web-1");
    assert_eq!(events(&h, "web").iter().filter(|(_, m)| m.starts_with("Create Claim data-web-1")).count(), 1);
}

#[test]
fn an_unhealthy_pod_halts_scaling_but_a_deleted_predecessor_is_recreated() {
    let mut h = harness();
    h.create(Object::StatefulSet(sts("web", 2)));
    h.ready("default", "web-0");
    h.set_phase("default", "web-1", PodPhase::Running);
    // scale up: web-1 is not ready, so web-2 does not come
    update_set(&mut h, "web", |s| s.spec.replicas = Some(3));
    assert_eq!(live_names(&h), ["web-0", "web-1"]);
    // "should not deadlock when a pod's predecessor fails"
    h.delete(Kind::Pod, "default", "web-0", DeleteOptions::default());
    assert_eq!(live_names(&h), ["web-0", "web-1"], "web-0 is recreated at once");
    assert_eq!(h.pod("default", "web-0").unwrap().status.phase, PodPhase::Pending);
    h.ready("default", "web-0");
    h.ready("default", "web-1");
    bring_up(&mut h);
    assert_eq!(live_names(&h), ["web-0", "web-1", "web-2"]);
}

#[test]
fn a_terminating_pod_keeps_its_identity_until_it_is_gone() {
    let mut h = harness();
    h.create(Object::StatefulSet(sts("web", 2)));
    bring_up(&mut h);
    let old_uid = h.pod("default", "web-1").unwrap().metadata.uid;
    // web-1's node is dead: the delete leaves it Terminating
    h.delete(Kind::Pod, "default", "web-1", DeleteOptions::default());
    h.advance(600 * SECOND);
    let p = h.pod("default", "web-1").unwrap();
    assert_eq!(p.metadata.uid, old_uid);
    assert!(p.metadata.is_deleting());
    check_invariants(&h.api).unwrap();
    h.finish_deletion("default", "web-1");
    let p = h.pod("default", "web-1").unwrap();
    assert_ne!(p.metadata.uid, old_uid);
    assert_eq!(p.spec.volumes[0].persistent_volume_claim.as_ref().unwrap().claim_name, "data-web-1");
}

#[test]
fn failed_pods_are_deleted_and_recreated() {
    let mut h = harness();
    h.create(Object::StatefulSet(sts("web", 1)));
    h.ready("default", "web-0");
    let uid = h.pod("default", "web-0").unwrap().metadata.uid;
    h.set_phase("default", "web-0", PodPhase::Failed);
    let p = h.pod("default", "web-0").unwrap();
    assert_ne!(p.metadata.uid, uid);
    let ev = events(&h, "web");
    assert!(ev.contains(&("SuccessfulDelete".into(), "Delete Pod web-0 in StatefulSet web successful".into())));
    assert_eq!(ev.iter().filter(|(_, m)| m == "Create Pod web-0 in StatefulSet web successful").count(), 1, "repeated events are counted, not duplicated");
    let e =
        h.api.events_for(Kind::StatefulSet, "default", "web", "").into_iter().find(|e| e.message == "Create Pod web-0 in StatefulSet web successful").unwrap();
    assert_eq!(e.count, 2);
}

#[test]
fn parallel_creates_and_deletes_at_once() {
    let mut h = harness();
    let mut s = sts("web", 3);
    s.spec.pod_management_policy = PodManagementPolicyType::Parallel;
    h.create(Object::StatefulSet(s));
    assert_eq!(live_names(&h), ["web-0", "web-1", "web-2"]);
    bring_up(&mut h);
    update_set(&mut h, "web", |s| s.spec.replicas = Some(0));
    assert!(h.pods("default").iter().all(|p| p.metadata.is_deleting()));
}

#[test]
fn start_ordinal_names_pods() {
    let mut h = harness();
    let mut s = sts("web", 2);
    s.spec.ordinals = Some(StatefulSetOrdinals { start: 5 });
    h.create(Object::StatefulSet(s));
    bring_up(&mut h);
    assert_eq!(live_names(&h), ["web-5", "web-6"]);
    assert_eq!(h.pod("default", "web-6").unwrap().metadata.labels[POD_INDEX_LABEL], "6");
    assert!(h.api.get_t::<PersistentVolumeClaim>("default", "data-web-6").is_some());
    // moving the start replaces the pods outside the new range
    update_set(&mut h, "web", |s| s.spec.ordinals = Some(StatefulSetOrdinals { start: 6 }));
    bring_up(&mut h);
    for p in h.pods("default").into_iter().filter(|p| p.metadata.is_deleting()) {
        h.finish_deletion("default", &p.metadata.name);
    }
    bring_up(&mut h);
    assert_eq!(live_names(&h), ["web-6", "web-7"]);
}

#[test]
fn rolling_update_from_the_highest_ordinal_and_partition() {
    let mut h = harness();
    h.create(Object::StatefulSet(sts("web", 3)));
    bring_up(&mut h);
    let rev1 = get(&h, "web").status.current_revision;
    update_set(&mut h, "web", |s| s.spec.template.spec.containers[0].image = "nginx:1.26".into());
    let st = get(&h, "web").status;
    assert_ne!(st.update_revision, rev1);
    assert_eq!(st.current_revision, rev1);
    assert!(h.pod("default", "web-2").unwrap().metadata.is_deleting());
    assert!(!h.pod("default", "web-1").unwrap().metadata.is_deleting());
    h.finish_deletion("default", "web-2");
    let p2 = h.pod("default", "web-2").unwrap();
    assert_eq!(p2.spec.containers[0].image, "nginx:1.26");
    assert_eq!(p2.metadata.labels[REVISION_LABEL], st.update_revision);
    // web-1 waits for the new web-2 to be ready
    assert!(!h.pod("default", "web-1").unwrap().metadata.is_deleting());
    loop {
        bring_up(&mut h);
        let dying: Vec<String> = h.pods("default").into_iter().filter(|p| p.metadata.is_deleting()).map(|p| p.metadata.name).collect();
        if dying.is_empty() {
            break;
        }
        for d in dying {
            h.finish_deletion("default", &d);
        }
    }
    let st = get(&h, "web").status;
    assert_eq!(st.current_revision, st.update_revision);
    assert_eq!((st.current_replicas, st.updated_replicas), (3, 3));
    assert!(h.pods("default").iter().all(|p| p.spec.containers[0].image == "nginx:1.26"));
    // partition 2: only web-2 moves to the next template
    update_set(&mut h, "web", |s| {
        s.spec.update_strategy.rolling_update = Some(RollingUpdateStatefulSetStrategy { partition: Some(2), max_unavailable: None });
        s.spec.template.spec.containers[0].image = "nginx:1.27".into();
    });
    h.finish_deletion("default", "web-2");
    bring_up(&mut h);
    let images: Vec<String> = h.pods("default").iter().map(|p| p.spec.containers[0].image.clone()).collect();
    assert_eq!(images, ["nginx:1.26", "nginx:1.26", "nginx:1.27"]);
    let st = get(&h, "web").status;
    assert_eq!((st.current_replicas, st.updated_replicas), (2, 1));
    assert_ne!(st.current_revision, st.update_revision);
}

#[test]
fn rollback_reuses_the_equal_revision() {
    let mut h = harness();
    let mut s = sts("web", 1);
    s.spec.volume_claim_templates.clear();
    s.spec.template.spec.containers[0].volume_mounts.clear();
    h.create(Object::StatefulSet(s));
    bring_up(&mut h);
    let rev1 = get(&h, "web").status.update_revision;
    update_set(&mut h, "web", |s| s.spec.template.spec.containers[0].image = "nginx:1.26".into());
    h.finish_deletion("default", "web-0");
    bring_up(&mut h);
    update_set(&mut h, "web", |s| s.spec.template.spec.containers[0].image = "nginx:1.25".into());
    h.finish_deletion("default", "web-0");
    bring_up(&mut h);
    let st = get(&h, "web").status;
    assert_eq!(st.update_revision, rev1);
    assert_eq!(h.api.get_t::<ControllerRevision>("default", &rev1).unwrap().revision, 3);
    assert_eq!(h.api.store.list_ns_t::<ControllerRevision>("default").count(), 2);
}

#[test]
fn revision_history_is_truncated() {
    let mut h = harness();
    let mut s = sts("web", 1);
    s.spec.revision_history_limit = Some(1);
    s.spec.update_strategy.type_ = StatefulSetUpdateStrategyType::OnDelete;
    s.spec.update_strategy.rolling_update = None;
    h.create(Object::StatefulSet(s));
    for v in 2..=5 {
        update_set(&mut h, "web", |s| s.spec.template.spec.containers[0].image = format!("nginx:{v}"));
    }
    // live: the pod's revision (= current) and the update revision; plus one of history
    let revs: Vec<i64> = h.api.store.list_ns_t::<ControllerRevision>("default").map(|r| r.revision).collect();
    assert_eq!(revs.len(), 3, "{revs:?}");
}

#[test]
fn on_delete_updates_only_deleted_pods() {
    let mut h = harness();
    let mut s = sts("web", 2);
    s.spec.update_strategy.type_ = StatefulSetUpdateStrategyType::OnDelete;
    s.spec.update_strategy.rolling_update = None;
    h.create(Object::StatefulSet(s));
    bring_up(&mut h);
    update_set(&mut h, "web", |s| s.spec.template.spec.containers[0].image = "nginx:1.26".into());
    assert!(h.pods("default").iter().all(|p| !p.metadata.is_deleting() && p.spec.containers[0].image == "nginx:1.25"));
    h.delete(Kind::Pod, "default", "web-0", DeleteOptions { grace_period: Some(0), ..Default::default() });
    assert_eq!(h.pod("default", "web-0").unwrap().spec.containers[0].image, "nginx:1.26");
    assert_eq!(h.pod("default", "web-1").unwrap().spec.containers[0].image, "nginx:1.25");
}

#[test]
fn max_unavailable_needs_the_feature_gate() {
    for gate in [false, true] {
        let mut h = harness();
        h.api.config.max_unavailable_statefulset = gate;
        let mut s = sts("web", 4);
        s.spec.pod_management_policy = PodManagementPolicyType::Parallel;
        s.spec.update_strategy.rolling_update = Some(RollingUpdateStatefulSetStrategy { partition: Some(0), max_unavailable: Some(IntOrString::Int(2)) });
        h.create(Object::StatefulSet(s));
        bring_up(&mut h);
        update_set(&mut h, "web", |s| s.spec.template.spec.containers[0].image = "nginx:1.26".into());
        let dying: Vec<String> = h.pods("default").into_iter().filter(|p| p.metadata.is_deleting()).map(|p| p.metadata.name).collect();
        if gate {
            assert_eq!(dying, ["web-2", "web-3"]);
        } else {
            assert_eq!(dying, ["web-3"]);
        }
    }
}

#[test]
fn retention_policy_sets_claim_owners() {
    let mut h = harness();
    let mut s = sts("web", 2);
    s.spec.persistent_volume_claim_retention_policy = Some(PvcRetentionPolicy {
        when_deleted: PersistentVolumeClaimRetentionPolicyType::Delete,
        when_scaled: PersistentVolumeClaimRetentionPolicyType::Delete,
    });
    let set = h.create(Object::StatefulSet(s));
    bring_up(&mut h);
    let c = h.api.get_t::<PersistentVolumeClaim>("default", "data-web-1").unwrap();
    assert_eq!(c.metadata.owner_references.len(), 1);
    assert_eq!(c.metadata.owner_references[0].uid, set.meta().uid);
    assert_eq!(c.metadata.owner_references[0].controller, Some(true));
    let pod_uid = h.pod("default", "web-1").unwrap().metadata.uid;
    update_set(&mut h, "web", |s| s.spec.replicas = Some(1));
    // before web-1 goes, its claim is handed to the pod (and GC removes it with the pod)
    let c = h.api.get_t::<PersistentVolumeClaim>("default", "data-web-1").unwrap();
    assert_eq!(c.metadata.owner_references.len(), 1);
    assert_eq!((c.metadata.owner_references[0].kind.as_str(), c.metadata.owner_references[0].uid.as_str()), ("Pod", pod_uid.as_str()));
    assert!(h.pod("default", "web-1").unwrap().metadata.is_deleting());
    // whenDeleted=Retain, whenScaled=Delete: the set is no owner
    let mut h = harness();
    let mut s = sts("db", 1);
    s.spec.persistent_volume_claim_retention_policy = Some(PvcRetentionPolicy {
        when_deleted: PersistentVolumeClaimRetentionPolicyType::Retain,
        when_scaled: PersistentVolumeClaimRetentionPolicyType::Delete,
    });
    h.create(Object::StatefulSet(s));
    bring_up(&mut h);
    assert!(h.api.get_t::<PersistentVolumeClaim>("default", "data-db-0").unwrap().metadata.owner_references.is_empty());
}

#[test]
fn stale_claims_hold_back_the_pod() {
    let mut h = harness();
    let mut s = sts("web", 2);
    s.spec.persistent_volume_claim_retention_policy = Some(PvcRetentionPolicy {
        when_deleted: PersistentVolumeClaimRetentionPolicyType::Retain,
        when_scaled: PersistentVolumeClaimRetentionPolicyType::Delete,
    });
    h.create(Object::StatefulSet(s));
    bring_up(&mut h);
    update_set(&mut h, "web", |s| s.spec.replicas = Some(1));
    h.finish_deletion("default", "web-1");
    // no garbage collector here: the claim still names the old pod
    update_set(&mut h, "web", |s| s.spec.replicas = Some(2));
    assert!(h.pod("default", "web-1").is_none(), "web-1 waits for its stale claim to be collected");
    h.delete(Kind::PersistentVolumeClaim, "default", "data-web-1", DeleteOptions::default());
    // the claim's pvc-protection finalizer has no controller here: finish it by hand
    h.api.remove_finalizer(Kind::PersistentVolumeClaim, &ObjKey::new("default", "data-web-1"), "kubernetes.io/pvc-protection").unwrap();
    h.run();
    assert!(h.pod("default", "web-1").is_some());
    assert!(h.api.get_t::<PersistentVolumeClaim>("default", "data-web-1").unwrap().metadata.owner_references.is_empty());
}

#[test]
fn orphans_are_adopted_and_released() {
    let mut h = harness();
    let mut s = sts("web", 1);
    s.spec.volume_claim_templates.clear();
    s.spec.template.spec.containers[0].volume_mounts.clear();
    let set = h.create(Object::StatefulSet(s));
    h.ready("default", "web-0");
    let mut p = h.pod("default", "web-0").unwrap();
    p.metadata.owner_references.clear();
    h.update(Object::Pod(p));
    let p = h.pod("default", "web-0").unwrap();
    assert_eq!(p.metadata.controller_ref().unwrap().uid, set.meta().uid, "readopted");
    let mut p = p;
    p.metadata.labels.remove("app");
    h.update(Object::Pod(p));
    assert!(h.pod("default", "web-0").unwrap().metadata.owner_references.is_empty(), "released");
}

#[test]
fn min_ready_seconds_gates_the_next_ordinal() {
    let mut h = harness();
    let mut s = sts("web", 2);
    s.spec.min_ready_seconds = 10;
    h.create(Object::StatefulSet(s));
    h.ready("default", "web-0");
    assert_eq!(live_names(&h), ["web-0"]);
    assert_eq!(get(&h, "web").status.available_replicas, 0);
    h.advance(10 * SECOND);
    assert_eq!(live_names(&h), ["web-0", "web-1"]);
    assert_eq!(get(&h, "web").status.available_replicas, 1);
}

#[test]
fn invariants_catch_a_broken_identity() {
    let mut h = harness();
    h.create(Object::StatefulSet(sts("web", 2)));
    bring_up(&mut h);
    check_invariants(&h.api).unwrap();
    // a write the controller has not reacted to yet
    let mut p = h.pod("default", "web-1").unwrap();
    p.metadata.labels.insert(POD_NAME_LABEL.into(), "web-0".into());
    h.api.update(Object::Pod(p)).unwrap();
    assert!(check_invariants(&h.api).is_err());
    // the controller repairs it
    h.run();
    check_invariants(&h.api).unwrap();
    assert_eq!(h.pod("default", "web-1").unwrap().metadata.labels[POD_NAME_LABEL], "web-1");
}
