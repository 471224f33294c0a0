//! Engine scenarios for the workload controllers and the garbage collector,
//! on the default cluster. Pods are moved along by the test itself
//! (`make_running_and_ready`), so the scenarios do not depend on the
//! scheduler or the kubelets; where a kubelet would confirm a graceful
//! deletion, the test does (`finish_terminating`).

use kubarium::engine::Cluster;
use kubarium::engine::api::*;
use kubarium::engine::apiserver::{DeleteOptions, Propagation};
use kubarium::engine::cluster::ClusterVerb;
use kubarium::engine::cluster::Config;
use kubarium::engine::controllers::Ctl;
use kubarium::engine::controllers::{deployment, garbagecollector, replicaset, statefulset};
use kubarium::engine::quantity::Quantity;
use kubarium::engine::time::{MINUTE, SECOND};

/// The default cluster without scheduler, kubelets and node lifecycle,
/// whose part these tests play by hand.
fn cluster(seed: u64) -> Cluster {
    Cluster::with_config(seed, Config { disabled: vec![Ctl::Scheduler, Ctl::Kubelet, Ctl::NodeLifecycle, Ctl::TaintEviction, Ctl::PodGc], ..Config::default() })
}
use std::collections::BTreeMap;

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn template(app: &str, image: &str) -> PodTemplateSpec {
    PodTemplateSpec {
        metadata: ObjectMeta { labels: labels(&[("app", app)]), ..Default::default() },
        spec: PodSpec { containers: vec![Container { name: "main".into(), image: image.into(), ..Default::default() }], ..Default::default() },
    }
}

fn selector(app: &str) -> Option<LabelSelector> {
    Some(LabelSelector { match_labels: labels(&[("app", app)]), ..Default::default() })
}

fn statefulset(ns: &str, name: &str, replicas: i32) -> StatefulSet {
    let mut t = template(name, "nginx:1.25");
    t.spec.containers[0].volume_mounts.push(VolumeMount { name: "data".into(), mount_path: "/usr/share/nginx/html".into(), ..Default::default() });
    let mut claim = PersistentVolumeClaim::default();
    claim.metadata.name = "data".into();
    claim.spec.access_modes = vec![PersistentVolumeAccessMode::ReadWriteOnce];
    claim.spec.resources.requests.insert("storage".into(), Quantity::parse("1Gi").unwrap());
    StatefulSet {
        metadata: ObjectMeta::named(ns, name),
        spec: StatefulSetSpec {
            replicas: Some(replicas),
            selector: selector(name),
            template: t,
            service_name: name.into(),
            volume_claim_templates: vec![claim],
            ..Default::default()
        },
        ..Default::default()
    }
}

fn deployment(ns: &str, name: &str, replicas: i32, image: &str) -> Deployment {
    Deployment {
        metadata: ObjectMeta::named(ns, name),
        spec: DeploymentSpec { replicas: Some(replicas), selector: selector(name), template: template(name, image), ..Default::default() },
        ..Default::default()
    }
}

/// What a kubelet reports once a pod's containers run and pass readiness.
fn make_running_and_ready(c: &mut Cluster, ns: &str, name: &str) {
    let mut p = c.get::<Pod>(ns, name).expect("pod exists").clone();
    let now = c.now();
    p.status.phase = PodPhase::Running;
    match p.status.conditions.iter_mut().find(|x| x.type_ == ConditionType::Ready) {
        Some(x) => {
            if x.status != ConditionStatus::True {
                x.status = ConditionStatus::True;
                x.last_transition_time = Some(now);
            }
        }
        None => p.status.conditions.push(PodCondition {
            type_: ConditionType::Ready,
            status: ConditionStatus::True,
            last_transition_time: Some(now),
            ..Default::default()
        }),
    }
    c.api.update_status(Object::Pod(p)).expect("status update");
    c.run_instant();
}

fn is_ready(p: &Pod) -> bool {
    is_condition_true(&p.status.conditions, &ConditionType::Ready)
}

/// Binds pods the scheduler has not placed (there may be no scheduler), so
/// that deleting them is graceful, as on a node.
fn bind_all(c: &mut Cluster, ns: &str) {
    let unbound: Vec<Pod> = c.api.store.list_ns_t::<Pod>(ns).filter(|p| p.spec.node_name.is_empty()).cloned().collect();
    for mut p in unbound {
        p.spec.node_name = "node-a".into();
        c.update(Object::Pod(p)).unwrap();
    }
}

/// The kubelet's last word on every pod being deleted gracefully.
fn finish_terminating(c: &mut Cluster, ns: &str) {
    let dying: Vec<String> = c.api.store.list_ns_t::<Pod>(ns).filter(|p| p.metadata.is_deleting()).map(|p| p.metadata.name.clone()).collect();
    for n in dying {
        c.api.finish_pod_deletion(&ObjKey::new(ns, &n));
    }
    c.run_instant();
}

/// Readies pods until the workloads stop changing.
fn bring_up(c: &mut Cluster, ns: &str) {
    for _ in 0..1000 {
        finish_terminating(c, ns);
        let todo: Vec<String> =
            c.api.store.list_ns_t::<Pod>(ns).filter(|p| !p.metadata.is_deleting() && !is_ready(p)).map(|p| p.metadata.name.clone()).collect();
        if todo.is_empty() {
            return;
        }
        for n in todo {
            make_running_and_ready(c, ns, &n);
            invariants(c);
        }
    }
    panic!("workloads in {ns} never settle");
}

fn invariants(c: &Cluster) {
    statefulset::check_invariants(&c.api).unwrap();
    replicaset::check_invariants(&c.api).unwrap();
    deployment::check_invariants(&c.api).unwrap();
    garbagecollector::check_invariants(&c.api).unwrap();
}

fn live_pods(c: &Cluster, ns: &str) -> Vec<String> {
    c.api.store.list_ns_t::<Pod>(ns).filter(|p| !p.metadata.is_deleting()).map(|p| p.metadata.name.clone()).collect()
}

fn events(c: &Cluster, kind: Kind, ns: &str, name: &str) -> Vec<(String, String)> {
    c.api.events_for(kind, ns, name, "").into_iter().map(|e| (e.reason.clone(), e.message.clone())).collect()
}

#[test]
fn every_namespace_has_a_default_service_account_and_the_root_ca() {
    let mut c = cluster(1);
    for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        assert!(c.get::<ServiceAccount>(ns, "default").is_some(), "{ns}");
        assert!(c.get::<ConfigMap>(ns, "kube-root-ca.crt").unwrap().data["ca.crt"].starts_with("-----BEGIN CERTIFICATE-----"));
    }
    c.create(Object::Namespace(Namespace { metadata: ObjectMeta::named("", "team"), ..Default::default() })).unwrap();
    assert!(c.get::<ServiceAccount>("team", "default").is_some());
    assert!(c.get::<ConfigMap>("team", "kube-root-ca.crt").is_some());
}

#[test]
fn statefulset_creates_in_order_with_stable_identity_and_storage() {
    let mut c = cluster(1);
    c.create(Object::StatefulSet(statefulset("default", "web", 3))).unwrap();
    // OrderedReady: only web-0, with its claim
    assert_eq!(live_pods(&c, "default"), ["web-0"]);
    let claim = c.get::<PersistentVolumeClaim>("default", "data-web-0").unwrap();
    assert_eq!(claim.metadata.labels, labels(&[("app", "web")]));
    assert_eq!(claim.spec.storage_class_name.as_deref(), Some("standard"));
    assert!(c.get::<PersistentVolumeClaim>("default", "data-web-1").is_none());
    make_running_and_ready(&mut c, "default", "web-0");
    assert_eq!(live_pods(&c, "default"), ["web-0", "web-1"]);
    bring_up(&mut c, "default");
    assert_eq!(live_pods(&c, "default"), ["web-0", "web-1", "web-2"]);
    let s = c.get::<StatefulSet>("default", "web").unwrap();
    assert_eq!((s.status.replicas, s.status.ready_replicas, s.status.current_replicas, s.status.updated_replicas), (3, 3, 3, 3));
    let ev = events(&c, Kind::StatefulSet, "default", "web");
    let creates: Vec<&str> = ev.iter().filter(|(r, _)| r == "SuccessfulCreate").map(|(_, m)| m.as_str()).collect();
    assert_eq!(
        creates,
        [
            "Create Claim data-web-0 Pod web-0 in StatefulSet web success",
            "Create Pod web-0 in StatefulSet web successful",
            "Create Claim data-web-1 Pod web-1 in StatefulSet web success",
            "Create Pod web-1 in StatefulSet web successful",
            "Create Claim data-web-2 Pod web-2 in StatefulSet web success",
            "Create Pod web-2 in StatefulSet web successful",
        ]
    );
    // a deleted pod comes back under the same name, with the same claim
    let uid = c.get::<Pod>("default", "web-1").unwrap().metadata.uid.clone();
    c.delete(Kind::Pod, "default", "web-1", &DeleteOptions { grace_period: Some(0), ..Default::default() }).unwrap();
    let p = c.get::<Pod>("default", "web-1").unwrap();
    assert_ne!(p.metadata.uid, uid);
    assert_eq!(p.spec.volumes[0].persistent_volume_claim.as_ref().unwrap().claim_name, "data-web-1");
    invariants(&c);
}

#[test]
fn statefulset_scales_down_from_the_top_and_keeps_claims() {
    let mut c = cluster(2);
    c.create(Object::StatefulSet(statefulset("default", "web", 3))).unwrap();
    bring_up(&mut c, "default");
    bind_all(&mut c, "default");
    let mut s = c.get::<StatefulSet>("default", "web").unwrap().clone();
    s.spec.replicas = Some(1);
    c.update(Object::StatefulSet(s)).unwrap();
    // web-2 goes first; web-1 stays until web-2 is gone
    assert!(c.get::<Pod>("default", "web-2").unwrap().metadata.is_deleting());
    assert!(!c.get::<Pod>("default", "web-1").unwrap().metadata.is_deleting());
    c.api.finish_pod_deletion(&ObjKey::new("default", "web-2"));
    c.run_instant();
    assert!(c.get::<Pod>("default", "web-1").unwrap().metadata.is_deleting());
    finish_terminating(&mut c, "default");
    assert_eq!(live_pods(&c, "default"), ["web-0"]);
    let claims: Vec<String> = c.api.store.list_ns_t::<PersistentVolumeClaim>("default").map(|p| p.metadata.name.clone()).collect();
    assert_eq!(claims, ["data-web-0", "data-web-1", "data-web-2"]);
    invariants(&c);
}

#[test]
fn a_statefulset_pod_on_a_dead_node_is_not_replaced_until_it_is_gone() {
    let mut c = cluster(3);
    c.create(Object::StatefulSet(statefulset("default", "web", 2))).unwrap();
    bring_up(&mut c, "default");
    let mut p = c.get::<Pod>("default", "web-1").unwrap().clone();
    if p.spec.node_name.is_empty() {
        p.spec.node_name = "node-b".into();
        c.update(Object::Pod(p.clone())).unwrap();
    }
    let node = c.get::<Pod>("default", "web-1").unwrap().spec.node_name.clone();
    let uid = p.metadata.uid.clone();
    c.cluster_verb(ClusterVerb::NodeStop { node: node.clone() }).unwrap();
    c.delete(Kind::Pod, "default", "web-1", &DeleteOptions::default()).unwrap();
    c.advance(10 * MINUTE);
    let p = c.get::<Pod>("default", "web-1").unwrap();
    assert_eq!(p.metadata.uid, uid, "the identity stays with the terminating pod");
    assert!(p.metadata.is_deleting());
    invariants(&c);
    // a force delete frees the identity
    c.delete(Kind::Pod, "default", "web-1", &DeleteOptions { grace_period: Some(0), ..Default::default() }).unwrap();
    let p = c.get::<Pod>("default", "web-1").unwrap();
    assert_ne!(p.metadata.uid, uid);
    assert!(!p.metadata.is_deleting());
}

#[test]
fn deployment_rolls_out_and_back() {
    let mut c = cluster(4);
    c.create(Object::Deployment(deployment("default", "api", 3, "nginx:1.25"))).unwrap();
    bring_up(&mut c, "default");
    let d = c.get::<Deployment>("default", "api").unwrap();
    assert_eq!((d.status.replicas, d.status.updated_replicas, d.status.available_replicas), (3, 3, 3));
    assert_eq!(d.metadata.annotations["deployment.kubernetes.io/revision"], "1");
    let first_rs: Vec<String> = c.api.store.list_ns_t::<ReplicaSet>("default").map(|r| r.metadata.name.clone()).collect();
    assert_eq!(first_rs.len(), 1);
    assert!(live_pods(&c, "default").iter().all(|p| p.starts_with(&format!("{}-", first_rs[0]))));
    // new image: a second ReplicaSet takes over
    let mut d = c.get::<Deployment>("default", "api").unwrap().clone();
    let original = d.spec.template.clone();
    d.spec.template.spec.containers[0].image = "nginx:1.26".into();
    c.update(Object::Deployment(d)).unwrap();
    bring_up(&mut c, "default");
    finish_terminating(&mut c, "default");
    let rss: Vec<ReplicaSet> = c.api.store.list_ns_t::<ReplicaSet>("default").cloned().collect();
    assert_eq!(rss.len(), 2);
    let old = rss.iter().find(|r| r.metadata.name == first_rs[0]).unwrap();
    assert_eq!(old.spec.replicas, Some(0));
    let ev = events(&c, Kind::Deployment, "default", "api");
    assert!(ev.iter().any(|(r, m)| r == "ScalingReplicaSet" && m == &format!("Scaled down replica set {} from 3 to 2", first_rs[0])), "{ev:?}");
    // kubectl rollout undo copies the old template back: the old ReplicaSet returns
    let mut d = c.get::<Deployment>("default", "api").unwrap().clone();
    d.spec.template = original;
    c.update(Object::Deployment(d)).unwrap();
    bring_up(&mut c, "default");
    finish_terminating(&mut c, "default");
    assert_eq!(c.api.store.list_ns_t::<ReplicaSet>("default").count(), 2);
    let back = c.get::<ReplicaSet>("default", &first_rs[0]).unwrap();
    assert_eq!(back.spec.replicas, Some(3));
    assert_eq!(back.metadata.annotations["deployment.kubernetes.io/revision"], "3");
    let d = c.get::<Deployment>("default", "api").unwrap();
    let progressing = get_condition(&d.status.conditions, &ConditionType::Progressing).unwrap();
    assert_eq!(progressing.reason, "NewReplicaSetAvailable");
    assert_eq!(progressing.message, format!("ReplicaSet \"{}\" has successfully progressed.", first_rs[0]));
    invariants(&c);
}

#[test]
fn deleting_a_deployment_cascades_and_orphaning_a_statefulset_keeps_its_pods() {
    let mut c = cluster(5);
    c.create(Object::Deployment(deployment("default", "api", 2, "nginx"))).unwrap();
    c.create(Object::StatefulSet(statefulset("default", "db", 2))).unwrap();
    bring_up(&mut c, "default");
    c.delete(Kind::Deployment, "default", "api", &DeleteOptions::default()).unwrap();
    finish_terminating(&mut c, "default");
    assert_eq!(c.api.store.list_ns_t::<ReplicaSet>("default").count(), 0);
    assert_eq!(live_pods(&c, "default"), ["db-0", "db-1"]);
    c.delete(Kind::StatefulSet, "default", "db", &DeleteOptions { propagation: Some(Propagation::Orphan), ..Default::default() }).unwrap();
    assert!(c.get::<StatefulSet>("default", "db").is_none());
    let pods: Vec<Pod> = c.api.store.list_ns_t::<Pod>("default").cloned().collect();
    assert_eq!(pods.len(), 2);
    assert!(pods.iter().all(|p| p.metadata.owner_references.is_empty()));
    assert_eq!(c.api.store.list_ns_t::<PersistentVolumeClaim>("default").count(), 2);
    assert_eq!(c.api.store.list_ns_t::<ControllerRevision>("default").count(), 1, "revisions are orphaned too");
    invariants(&c);
}

#[test]
fn claims_follow_the_retention_policy_through_the_garbage_collector() {
    let mut c = cluster(6);
    let mut s = statefulset("default", "web", 2);
    s.spec.persistent_volume_claim_retention_policy = Some(PvcRetentionPolicy {
        when_deleted: PersistentVolumeClaimRetentionPolicyType::Delete,
        when_scaled: PersistentVolumeClaimRetentionPolicyType::Retain,
    });
    c.create(Object::StatefulSet(s)).unwrap();
    bring_up(&mut c, "default");
    c.delete(Kind::StatefulSet, "default", "web", &DeleteOptions::default()).unwrap();
    finish_terminating(&mut c, "default");
    // the claims are Terminating (pvc-protection) or gone; either way they are being deleted
    assert!(c.api.store.list_ns_t::<PersistentVolumeClaim>("default").all(|p| p.metadata.is_deleting()));
    assert!(c.api.store.list_ns_t::<Pod>("default").next().is_none());
}

#[test]
fn claims_of_scaled_down_pods_go_with_them_when_when_scaled_is_delete() {
    let mut c = cluster(8);
    let mut s = statefulset("default", "web", 2);
    s.spec.persistent_volume_claim_retention_policy = Some(PvcRetentionPolicy {
        when_deleted: PersistentVolumeClaimRetentionPolicyType::Retain,
        when_scaled: PersistentVolumeClaimRetentionPolicyType::Delete,
    });
    c.create(Object::StatefulSet(s)).unwrap();
    bring_up(&mut c, "default");
    bind_all(&mut c, "default");
    let pod_uid = c.get::<Pod>("default", "web-1").unwrap().metadata.uid.clone();
    let mut s = c.get::<StatefulSet>("default", "web").unwrap().clone();
    s.spec.replicas = Some(1);
    c.update(Object::StatefulSet(s)).unwrap();
    // the claim now belongs to the pod being removed
    let claim = c.get::<PersistentVolumeClaim>("default", "data-web-1").unwrap();
    assert_eq!(claim.metadata.owner_references.iter().map(|r| (r.kind.as_str(), r.uid.as_str())).collect::<Vec<_>>(), [("Pod", pod_uid.as_str())]);
    finish_terminating(&mut c, "default");
    assert!(c.get::<PersistentVolumeClaim>("default", "data-web-1").is_none_or(|p| p.metadata.is_deleting()), "collected with its pod");
    assert!(c.get::<PersistentVolumeClaim>("default", "data-web-0").is_some_and(|p| !p.metadata.is_deleting()));
    invariants(&c);
}

#[test]
fn deleting_a_namespace_removes_its_content_then_the_namespace() {
    let mut c = cluster(7);
    c.create(Object::Namespace(Namespace { metadata: ObjectMeta::named("", "shop"), ..Default::default() })).unwrap();
    c.create(Object::Deployment(deployment("shop", "api", 2, "nginx"))).unwrap();
    bring_up(&mut c, "shop");
    c.delete(Kind::Namespace, "", "shop", &DeleteOptions::default()).unwrap();
    assert_eq!(c.get::<Namespace>("", "shop").unwrap().status.phase, NamespacePhase::Terminating);
    for _ in 0..20 {
        c.advance(5 * SECOND);
        finish_terminating(&mut c, "shop");
        if c.get::<Namespace>("", "shop").is_none() {
            break;
        }
    }
    assert!(c.get::<Namespace>("", "shop").is_none(), "namespace finalized");
    for kind in [Kind::Pod, Kind::ReplicaSet, Kind::Deployment, Kind::ServiceAccount, Kind::ConfigMap] {
        assert_eq!(c.api.store.list_ns(kind, "shop").count(), 0, "{kind:?} left");
    }
}

#[test]
fn same_seed_same_workloads() {
    let run = || {
        let mut c = cluster(9);
        c.create(Object::Deployment(deployment("default", "api", 3, "nginx"))).unwrap();
        c.create(Object::StatefulSet(statefulset("default", "db", 2))).unwrap();
        bring_up(&mut c, "default");
        c.api.store.list_ns_t::<Pod>("default").map(|p| (p.metadata.name.clone(), p.metadata.uid.clone())).collect::<Vec<_>>()
    };
    assert_eq!(run(), run());
}
