//! Storage scenarios driven through `Cluster`: binding, provisioning per
//! driver, topology, attach/detach (multi-attach, force detach), reclaim,
//! quota and expansion. Where a scenario needs a pod scheduled or running
//! and no scheduler or kubelet does it, the test plays their part through
//! the API: it calls the scheduler's volume plugins itself
//! (`storage::scheduling`) and sets spec.nodeName and the pod's status.

use kubarium::engine::Cluster;
use kubarium::engine::api::*;
use kubarium::engine::apiserver::DeleteOptions;
use kubarium::engine::cluster::ClusterVerb;
use kubarium::engine::cluster::Config;
use kubarium::engine::controllers::Ctl;
use kubarium::engine::controllers::Cx;
use kubarium::engine::storage::scheduling::{self, PreBind};
use kubarium::engine::storage::{self, invariants};
use kubarium::engine::time::{MINUTE, SECOND};
use kubarium::engine::world::VolumeId;
use kubarium::engine::yaml;

/// A cluster without scheduler, kubelets and node lifecycle: these tests
/// play those parts by hand to look at the storage controllers alone (the
/// full loop is covered by tests/nodes.rs, tests/workloads.rs and the
/// transcripts).
fn cluster(seed: u64) -> Cluster {
    Cluster::with_config(seed, Config { disabled: vec![Ctl::Scheduler, Ctl::Kubelet, Ctl::NodeLifecycle, Ctl::TaintEviction, Ctl::PodGc], ..Config::default() })
}

fn objects(src: &str) -> Vec<Object> {
    yaml::parse_stream(src)
        .expect("valid yaml")
        .into_iter()
        .map(|d| {
            let v = d.node.to_json();
            let kind = Kind::from_type_meta(v["apiVersion"].as_str().unwrap(), v["kind"].as_str().unwrap()).expect("known kind");
            Object::decode(kind, &d.node).expect("decodes").0
        })
        .collect()
}

fn create(c: &mut Cluster, src: &str) {
    for o in objects(src) {
        let name = o.meta().name.clone();
        c.create(o).unwrap_or_else(|e| panic!("create {name}: {}", e.message));
    }
}

fn pvc<'a>(c: &'a Cluster, name: &str) -> &'a PersistentVolumeClaim {
    c.get::<PersistentVolumeClaim>("default", name).unwrap_or_else(|| panic!("pvc {name}"))
}

fn pv<'a>(c: &'a Cluster, name: &str) -> &'a PersistentVolume {
    c.get::<PersistentVolume>("", name).unwrap_or_else(|| panic!("pv {name}"))
}

fn events(c: &Cluster, kind: Kind, ns: &str, name: &str) -> Vec<(String, String, String, i32)> {
    c.api.events_for(kind, ns, name, "").into_iter().map(|e| (e.reason.clone(), e.message.clone(), e.source.component.clone(), e.count)).collect()
}

fn reasons(c: &Cluster, kind: Kind, ns: &str, name: &str) -> Vec<String> {
    events(c, kind, ns, name).into_iter().map(|e| e.0).collect()
}

fn check_invariants(c: &Cluster) {
    invariants::check_all(&c.api).expect("storage invariants");
}

/// Advances time until `cond` holds (at most `max` ms); panics otherwise.
fn wait_for(c: &mut Cluster, max: i64, what: &str, cond: impl Fn(&Cluster) -> bool) {
    let start = c.now().0;
    while !cond(c) {
        assert!(c.now().0 - start < max, "timed out waiting for {what}");
        c.step(SECOND);
    }
}

fn pod_yaml(name: &str, claim: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  labels:\n    app: {name}\nspec:\n  containers:\n  - name: main\n    image: nginx\n    volumeMounts:\n    - name: data\n      mountPath: /data\n  volumes:\n  - name: data\n    persistentVolumeClaim:\n      claimName: {claim}\n"
    )
}

/// Plays the scheduler for one pod: PreFilter, Filter over the nodes (in
/// name order, or only `only`), PreBind until Ready, then binds the pod.
/// Returns the node, or the FailedScheduling-style message.
fn schedule(c: &mut Cluster, pod: &str, only: Option<&str>) -> Result<String, String> {
    let p = c.get::<Pod>("default", pod).unwrap().clone();
    scheduling::pre_filter(&c.api, &p)?;
    let nodes: Vec<Node> = c.api.store.list_t::<Node>().filter(|n| only.is_none_or(|o| n.metadata.name == o)).cloned().collect();
    let mut reasons = vec![];
    let mut chosen = None;
    // The pods this helper schedules are bound at once: none is ever assumed.
    let rwop = scheduling::read_write_once_pod_conflict(&c.api, &p, &|_| false);
    for n in &nodes {
        match scheduling::filter(&c.api, &p, n, rwop) {
            Ok(()) => {
                chosen = Some(n.metadata.name.clone());
                break;
            }
            Err(r) => reasons.push(r),
        }
    }
    let Some(node) = chosen else { return Err(reasons.join("; ")) };
    let start = c.now().0;
    // The volume binder's cache, the scheduler's (this helper's) own.
    let mut prebinds = scheduling::PreBinds::new();
    loop {
        let r = {
            let mut cx = Cx { api: &mut c.api, world: &mut c.world, rt: &mut c.runtime };
            scheduling::pre_bind(&mut cx, &mut prebinds, &p, &node)
        };
        c.run_instant();
        match r {
            PreBind::Ready => break,
            PreBind::Failed(m) => return Err(m),
            PreBind::Waiting => {
                assert!(c.now().0 - start < 2 * MINUTE, "pre-bind of {pod} never finished");
                c.step(SECOND);
            }
        }
    }
    bind_pod(c, pod, &node);
    Ok(node)
}

/// Binds a pod to a node and marks it Running (the kubelet's part).
fn bind_pod(c: &mut Cluster, pod: &str, node: &str) {
    let mut p = c.get::<Pod>("default", pod).unwrap().clone();
    p.spec.node_name = node.into();
    c.api.update(Object::Pod(p)).expect("bind pod");
    let mut p = c.get::<Pod>("default", pod).unwrap().clone();
    p.status.phase = PodPhase::Running;
    p.status.container_statuses = vec![ContainerStatus {
        name: "main".into(),
        ready: true,
        state: ContainerState { running: Some(ContainerStateRunning { started_at: Some(c.now()) }), ..Default::default() },
        ..Default::default()
    }];
    c.api.update_status(Object::Pod(p)).expect("pod status");
    c.run_instant();
}

/// The kubelet's node status report of the volumes its pods mount.
fn report_in_use(c: &mut Cluster, node: &str) {
    let mut n = c.get::<Node>("", node).unwrap().clone();
    n.status.volumes_in_use = storage::volumes_in_use(&c.api, node);
    c.api.update_status(Object::Node(n)).unwrap();
    c.run_instant();
}

fn set_node_ready(c: &mut Cluster, node: &str, status: &str) {
    let mut n = c.get::<Node>("", node).unwrap().clone();
    for cond in n.status.conditions.iter_mut().filter(|x| x.type_ == ConditionType::Ready) {
        cond.status = status.into();
        cond.last_transition_time = Some(c.now());
    }
    c.api.update_status(Object::Node(n)).unwrap();
    c.run_instant();
}

fn delete(c: &mut Cluster, kind: Kind, name: &str, grace: Option<i64>) {
    let ns = if kind.namespaced() { "default" } else { "" };
    c.delete(kind, ns, name, &DeleteOptions { grace_period: grace, ..Default::default() }).expect("delete");
}

fn write_file(c: &mut Cluster, id: &VolumeId, path: &str, body: &str) {
    c.world.volumes.entry(Box::new(id.clone())).or_default().files.insert(path.into(), body.into());
}

const NFS_PVS: &str = "
apiVersion: v1
kind: PersistentVolume
metadata:
  name: nfs-0001
spec:
  capacity:
    storage: 2Gi
  accessModes: [ReadWriteOnce, ReadWriteMany]
  persistentVolumeReclaimPolicy: Recycle
  nfs:
    server: nfs.example.com
    path: /exports/data-0001
---
apiVersion: v1
kind: PersistentVolume
metadata:
  name: nfs-0002
spec:
  capacity:
    storage: 5Gi
  accessModes: [ReadWriteOnce, ReadWriteMany]
  persistentVolumeReclaimPolicy: Recycle
  nfs:
    server: nfs.example.com
    path: /exports/data-0002
";

const STATIC_CLAIMS: &str = "
kind: PersistentVolumeClaim
apiVersion: v1
metadata:
  name: claim-mysql
spec:
  storageClassName: \"\"
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 3Gi
---
kind: PersistentVolumeClaim
apiVersion: v1
metadata:
  name: claim-http
spec:
  storageClassName: \"\"
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 1Gi
";

#[test]
fn static_claims_wait_then_bind_by_size_at_the_resync() {
    let mut c = cluster(1);
    create(&mut c, STATIC_CLAIMS);
    assert_eq!(pvc(&c, "claim-http").status.phase, PersistentVolumeClaimPhase::Pending);
    let ev = events(&c, Kind::PersistentVolumeClaim, "default", "claim-http");
    assert_eq!(ev[0].0, "FailedBinding");
    assert_eq!(ev[0].1, "no persistent volumes available for this claim and no storage class is set");
    assert_eq!(ev[0].2, "persistentvolume-controller");

    // A pod using the claim cannot be scheduled: the claim is unbound and immediate.
    create(&mut c, &pod_yaml("www", "claim-http"));
    assert_eq!(schedule(&mut c, "www", None), Err("pod has unbound immediate PersistentVolumeClaims".into()));
    // A missing claim is reported by name.
    create(&mut c, &pod_yaml("lost", "nope"));
    assert_eq!(schedule(&mut c, "lost", None), Err("persistentvolumeclaim \"nope\" not found".into()));

    c.advance(20 * SECOND);
    // The resync retried the claims: same event, counted.
    assert!(events(&c, Kind::PersistentVolumeClaim, "default", "claim-http")[0].3 >= 2);

    create(&mut c, NFS_PVS);
    assert_eq!(pv(&c, "nfs-0001").status.phase, PersistentVolumePhase::Available);
    // Bound at the next resync, not at once.
    assert_eq!(pvc(&c, "claim-http").status.phase, PersistentVolumeClaimPhase::Pending);
    let (waited, settled) = c.settle();
    assert!(settled);
    assert!(waited <= 15 * SECOND, "bound within one resync period, took {waited}");
    let http = pvc(&c, "claim-http");
    assert_eq!(http.status.phase, PersistentVolumeClaimPhase::Bound);
    assert_eq!(http.spec.volume_name, "nfs-0001");
    assert_eq!(http.status.capacity["storage"].to_string(), "2Gi");
    assert_eq!(http.status.access_modes, vec![PersistentVolumeAccessMode::ReadWriteOnce, PersistentVolumeAccessMode::ReadWriteMany]);
    assert_eq!(http.metadata.annotations.get("pv.kubernetes.io/bind-completed").map(|s| s.as_str()), Some("yes"));
    assert_eq!(http.metadata.annotations.get("pv.kubernetes.io/bound-by-controller").map(|s| s.as_str()), Some("yes"));
    assert_eq!(pvc(&c, "claim-mysql").spec.volume_name, "nfs-0002");
    let v = pv(&c, "nfs-0001");
    assert_eq!(v.status.phase, PersistentVolumePhase::Bound);
    assert_eq!(v.spec.claim_ref.as_ref().unwrap().name, "claim-http");
    assert_eq!(v.metadata.annotations.get("pv.kubernetes.io/bound-by-controller").map(|s| s.as_str()), Some("yes"));
    assert!(v.status.last_phase_transition_time.is_some());
    assert_eq!(schedule(&mut c, "www", None), Ok("node-a".into()));
    check_invariants(&c);
    // Nothing keeps the cluster busy once everything is bound.
    let (_, settled) = c.settle();
    assert!(settled);
}

#[test]
fn selector_class_and_access_modes_pick_the_volume() {
    let mut c = cluster(2);
    create(
        &mut c,
        "
apiVersion: v1
kind: PersistentVolume
metadata:
  name: small-rwx
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce, ReadWriteMany]
  nfs: {server: nfs.example.com, path: /a}
---
apiVersion: v1
kind: PersistentVolume
metadata:
  name: big-rwo
spec:
  capacity: {storage: 10Gi}
  accessModes: [ReadWriteOnce]
  nfs: {server: nfs.example.com, path: /b}
---
apiVersion: v1
kind: PersistentVolume
metadata:
  name: gold
  labels: {tier: gold}
spec:
  capacity: {storage: 20Gi}
  accessModes: [ReadWriteOnce]
  nfs: {server: nfs.example.com, path: /c}
---
apiVersion: v1
kind: PersistentVolume
metadata:
  name: classy
spec:
  storageClassName: manual
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  nfs: {server: nfs.example.com, path: /d}
",
    );
    create(
        &mut c,
        "
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: want-gold}
spec:
  storageClassName: ''
  accessModes: [ReadWriteOnce]
  selector: {matchLabels: {tier: gold}}
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: want-rwo}
spec:
  storageClassName: ''
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: want-manual}
spec:
  storageClassName: manual
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: want-rwx}
spec:
  storageClassName: ''
  accessModes: [ReadWriteMany]
  resources: {requests: {storage: 2Gi}}
",
    );
    assert_eq!(pvc(&c, "want-gold").spec.volume_name, "gold");
    // RWO-only volumes are tried before RWO+RWX ones, even when bigger.
    assert_eq!(pvc(&c, "want-rwo").spec.volume_name, "big-rwo");
    // The class must match; "manual" is not the default class.
    assert_eq!(pvc(&c, "want-manual").spec.volume_name, "classy");
    // Nothing RWX is big enough; the claim waits.
    assert_eq!(pvc(&c, "want-rwx").status.phase, PersistentVolumeClaimPhase::Pending);
    check_invariants(&c);
}

#[test]
fn volume_name_and_claim_ref_prebinding() {
    let mut c = cluster(3);
    create(
        &mut c,
        "
kind: StorageClass
apiVersion: storage.k8s.io/v1
metadata: {name: my-sc}
provisioner: kubernetes.io/no-provisioner
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: my-pv}
spec:
  storageClassName: my-sc
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  hostPath: {path: /data/volumes/my-pv}
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions:
        - {key: kubernetes.io/hostname, operator: In, values: [node-a]}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: reserved}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  claimRef: {namespace: default, name: mine}
  nfs: {server: nfs.example.com, path: /r}
",
    );
    assert_eq!(pv(&c, "my-pv").spec.persistent_volume_reclaim_policy, PersistentVolumeReclaimPolicy::Retain);
    assert_eq!(pv(&c, "reserved").status.phase, PersistentVolumePhase::Available);
    create(
        &mut c,
        "
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: my-pvc}
spec:
  storageClassName: my-sc
  volumeName: my-pv
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: other}
spec:
  storageClassName: ''
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: mine}
spec:
  storageClassName: ''
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
",
    );
    let claim = pvc(&c, "my-pvc");
    assert_eq!(claim.status.phase, PersistentVolumeClaimPhase::Bound);
    // The user named the volume: only bind-completed is added to the claim.
    assert!(claim.metadata.annotations.contains_key("pv.kubernetes.io/bind-completed"));
    assert!(!claim.metadata.annotations.contains_key("pv.kubernetes.io/bound-by-controller"));
    assert!(pv(&c, "my-pv").metadata.annotations.contains_key("pv.kubernetes.io/bound-by-controller"));
    // The reserved PV went to the claim it names, not to the first comer.
    assert_eq!(pvc(&c, "other").status.phase, PersistentVolumeClaimPhase::Pending);
    assert_eq!(pvc(&c, "mine").spec.volume_name, "reserved");
    assert!(!pv(&c, "reserved").metadata.annotations.contains_key("pv.kubernetes.io/bound-by-controller"));
    // The scheduler honours the PV's node affinity.
    create(&mut c, &pod_yaml("pg", "my-pvc"));
    let p = c.get::<Pod>("default", "pg").unwrap().clone();
    let b = c.get::<Node>("", "node-b").unwrap().clone();
    assert_eq!(scheduling::filter(&c.api, &p, &b, false), Err("node(s) didn't match PersistentVolume's node affinity".into()));
    assert_eq!(schedule(&mut c, "pg", None), Ok("node-a".into()));
    // A claim naming a volume that does not fit gets VolumeMismatch.
    create(
        &mut c,
        "
apiVersion: v1
kind: PersistentVolume
metadata: {name: tiny}
spec:
  capacity: {storage: 1Mi}
  accessModes: [ReadWriteOnce]
  nfs: {server: nfs.example.com, path: /t}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: greedy}
spec:
  storageClassName: ''
  volumeName: tiny
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
",
    );
    let ev = events(&c, Kind::PersistentVolumeClaim, "default", "greedy");
    assert_eq!(ev[0].0, "VolumeMismatch");
    assert_eq!(ev[0].1, "Cannot bind to requested volume \"tiny\": requested PV is too small");
    check_invariants(&c);
}

#[test]
fn default_class_is_assigned_retroactively() {
    let mut c = cluster(4);
    // No default class for a while.
    let mut std = c.get::<StorageClass>("", "standard").unwrap().clone();
    std.metadata.annotations.remove("storageclass.kubernetes.io/is-default-class");
    c.update(Object::StorageClass(std)).unwrap();
    create(
        &mut c,
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: early}\nspec:\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 1Gi}}\n",
    );
    assert!(pvc(&c, "early").spec.storage_class_name.is_none());
    assert_eq!(reasons(&c, Kind::PersistentVolumeClaim, "default", "early"), ["FailedBinding"]);
    // A claim that asks for no class ("") keeps it.
    create(
        &mut c,
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: none}\nspec:\n  storageClassName: ''\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 1Gi}}\n",
    );
    let mut std = c.get::<StorageClass>("", "standard").unwrap().clone();
    std.metadata.annotations.insert("storageclass.kubernetes.io/is-default-class".into(), "true".into());
    c.update(Object::StorageClass(std)).unwrap();
    let (_, settled) = c.settle();
    assert!(settled);
    assert_eq!(pvc(&c, "early").spec.storage_class_name.as_deref(), Some("standard"));
    assert_eq!(pvc(&c, "none").spec.storage_class_name.as_deref(), Some(""));
    // standard binds WaitForFirstConsumer: now it waits for a consumer.
    assert_eq!(reasons(&c, Kind::PersistentVolumeClaim, "default", "early").last().unwrap(), "WaitForFirstConsumer");
}

#[test]
fn local_path_provisions_on_the_selected_node() {
    let mut c = cluster(5);
    create(
        &mut c,
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data-web-0\n  labels: {app: web}\nspec:\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 1Gi}}\n",
    );
    let ev = events(&c, Kind::PersistentVolumeClaim, "default", "data-web-0");
    assert_eq!((ev[0].0.as_str(), ev[0].1.as_str()), ("WaitForFirstConsumer", "waiting for first consumer to be created before binding"));
    create(&mut c, &pod_yaml("web-0", "data-web-0"));
    c.advance(16 * SECOND);
    let ev = events(&c, Kind::PersistentVolumeClaim, "default", "data-web-0");
    assert!(ev.iter().any(|e| e.0 == "WaitForPodScheduled" && e.1 == "waiting for pod web-0 to be scheduled"));
    let node = schedule(&mut c, "web-0", Some("node-b")).unwrap();
    assert_eq!(node, "node-b");
    let claim = pvc(&c, "data-web-0").clone();
    assert_eq!(claim.status.phase, PersistentVolumeClaimPhase::Bound);
    let ann = &claim.metadata.annotations;
    assert_eq!(ann["volume.kubernetes.io/selected-node"], "node-b");
    assert_eq!(ann["volume.kubernetes.io/storage-provisioner"], "rancher.io/local-path");
    assert_eq!(ann["volume.beta.kubernetes.io/storage-provisioner"], "rancher.io/local-path");
    assert_eq!(ann["pv.kubernetes.io/bind-completed"], "yes");
    assert_eq!(ann["pv.kubernetes.io/bound-by-controller"], "yes");
    assert_eq!(claim.spec.volume_name, format!("pvc-{}", claim.metadata.uid));
    let v = pv(&c, &claim.spec.volume_name).clone();
    assert_eq!(v.spec.persistent_volume_reclaim_policy, PersistentVolumeReclaimPolicy::Delete);
    assert_eq!(v.spec.storage_class_name, "standard");
    let hp = v.spec.host_path.as_ref().unwrap();
    assert_eq!(hp.path, format!("/var/local-path-provisioner/{}_default_data-web-0", v.metadata.name));
    let b = c.get::<Node>("", "node-b").unwrap();
    let a = c.get::<Node>("", "node-a").unwrap();
    assert!(storage::check_node_affinity(&v, b) && !storage::check_node_affinity(&v, a));
    assert!(c.world.volumes.contains_key(&VolumeId::HostDir { node: "node-b".into(), path: hp.path.clone() }));
    let ev = events(&c, Kind::PersistentVolumeClaim, "default", "data-web-0");
    let from_provisioner: Vec<&(String, String, String, i32)> =
        ev.iter().filter(|e| e.2.starts_with("rancher.io/local-path_local-path-provisioner-")).collect();
    assert_eq!(from_provisioner[0].0, "Provisioning");
    assert_eq!(from_provisioner[0].1, "External provisioner is provisioning volume for claim \"default/data-web-0\"");
    assert_eq!(from_provisioner[1].0, "ProvisioningSucceeded");
    assert_eq!(from_provisioner[1].1, format!("Successfully provisioned volume {}", v.metadata.name));
    assert!(ev.iter().any(|e| e.0 == "ExternalProvisioning"
        && e.1 == "Waiting for a volume to be created either by the external provisioner 'rancher.io/local-path' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered."));
    // The pod that comes back later finds its volume on node-b only.
    delete(&mut c, Kind::Pod, "web-0", Some(0));
    create(&mut c, &pod_yaml("web-0", "data-web-0"));
    let p = c.get::<Pod>("default", "web-0").unwrap().clone();
    let a = c.get::<Node>("", "node-a").unwrap().clone();
    assert!(scheduling::filter(&c.api, &p, &a, false).is_err());
    assert_eq!(schedule(&mut c, "web-0", None), Ok("node-b".into()));
    check_invariants(&c);
}

#[test]
fn read_write_many_on_local_path_fails_with_the_provisioners_error() {
    let mut c = cluster(6);
    create(
        &mut c,
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: shared}\nspec:\n  accessModes: [ReadWriteMany]\n  resources: {requests: {storage: 1Gi}}\n",
    );
    create(&mut c, &pod_yaml("use-rwx", "shared"));
    // The scheduler hands the claim to the provisioner; it refuses.
    let mut cx_pod = c.get::<Pod>("default", "use-rwx").unwrap().clone();
    cx_pod.metadata.uid = c.get::<Pod>("default", "use-rwx").unwrap().metadata.uid.clone();
    let r = {
        let mut cx = Cx { api: &mut c.api, world: &mut c.world, rt: &mut c.runtime };
        scheduling::pre_bind(&mut cx, &mut scheduling::PreBinds::new(), &cx_pod, "node-a")
    };
    assert_eq!(r, PreBind::Waiting);
    c.run_instant();
    c.advance(10 * SECOND);
    let ev = events(&c, Kind::PersistentVolumeClaim, "default", "shared");
    let failed = ev.iter().find(|e| e.0 == "ProvisioningFailed").expect("ProvisioningFailed");
    assert_eq!(
        failed.1,
        "failed to provision volume with StorageClass \"standard\": NodePath only supports ReadWriteOnce and ReadWriteOncePod (1.22+) access modes"
    );
    assert_eq!(pvc(&c, "shared").status.phase, PersistentVolumeClaimPhase::Pending);
    // Retries do not keep the cluster busy forever.
    let (_, settled) = c.settle();
    assert!(settled);
}

const FAST_SSD: &str = "
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: fast-ssd}
provisioner: ebs.csi.aws.com
parameters: {type: gp3}
volumeBindingMode: WaitForFirstConsumer
allowVolumeExpansion: true
";

#[test]
fn ebs_disk_in_the_zone_of_the_selected_node_is_attached_there() {
    let mut c = cluster(7);
    // The driver registered on every node.
    assert_eq!(c.get::<CsiDriver>("", "ebs.csi.aws.com").unwrap().spec.attach_required, Some(true));
    assert_eq!(c.get::<CsiDriver>("", "efs.csi.aws.com").unwrap().spec.attach_required, Some(false));
    let cn = c.get::<CsiNode>("", "node-b").unwrap();
    let ebs = cn.spec.drivers.iter().find(|d| d.name == "ebs.csi.aws.com").unwrap();
    assert_eq!(ebs.topology_keys, ["topology.ebs.csi.aws.com/zone"]);
    assert_eq!(c.get::<Node>("", "node-b").unwrap().metadata.labels["topology.ebs.csi.aws.com/zone"], "zone-b");
    create(&mut c, FAST_SSD);
    create(
        &mut c,
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data-postgres-0}\nspec:\n  storageClassName: fast-ssd\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 200Gi}}\n",
    );
    create(&mut c, &pod_yaml("postgres-0", "data-postgres-0"));
    let start = c.now().0;
    assert_eq!(schedule(&mut c, "postgres-0", Some("node-b")), Ok("node-b".into()));
    assert!(c.now().0 - start >= 6 * SECOND, "cloud disks take several seconds");
    let claim = pvc(&c, "data-postgres-0").clone();
    let v = pv(&c, &claim.spec.volume_name).clone();
    let csi = v.spec.csi.clone().unwrap();
    assert_eq!(csi.driver, "ebs.csi.aws.com");
    assert!(csi.volume_handle.starts_with("vol-0"));
    assert_eq!(csi.fs_type, "ext4");
    assert_eq!(v.spec.capacity["storage"].to_string(), "200Gi");
    let term = &v.spec.node_affinity.as_ref().unwrap().required.as_ref().unwrap().node_selector_terms[0].match_expressions[0];
    assert_eq!((term.key.as_str(), term.values[0].as_str()), ("topology.ebs.csi.aws.com/zone", "zone-b"));
    assert!(v.metadata.finalizers.contains(&"external-provisioner.volume.kubernetes.io/finalizer".to_string()));
    assert_eq!(v.metadata.annotations["pv.kubernetes.io/provisioned-by"], "ebs.csi.aws.com");
    // Attach: a VolumeAttachment named after handle, driver and node.
    let va_name = storage::volume_attachment_name(&csi.volume_handle, "ebs.csi.aws.com", "node-b");
    let va = c.get::<VolumeAttachment>("", &va_name).expect("VolumeAttachment").clone();
    assert!(!va.status.attached);
    assert_eq!(va.spec.source.persistent_volume_name.as_deref(), Some(v.metadata.name.as_str()));
    assert!(!storage::attachment_ready(&c.api, &v, "node-b"));
    c.advance(6 * SECOND);
    let va = c.get::<VolumeAttachment>("", &va_name).unwrap();
    assert!(va.status.attached);
    assert_eq!(va.metadata.finalizers, ["external-attacher/ebs-csi-aws-com"]);
    assert!(pv(&c, &v.metadata.name).metadata.has_finalizer("external-attacher/ebs-csi-aws-com"));
    assert!(storage::attachment_ready(&c.api, &v, "node-b"));
    let n = c.get::<Node>("", "node-b").unwrap();
    assert_eq!(n.status.volumes_attached[0].name, format!("kubernetes.io/csi/ebs.csi.aws.com^{}", csi.volume_handle));
    let ev = events(&c, Kind::Pod, "default", "postgres-0");
    assert!(ev.iter().any(|e| e.0 == "SuccessfulAttachVolume"
        && e.2 == "attachdetach-controller"
        && e.1.starts_with(&format!("AttachVolume.Attach succeeded for volume \"{}\"", v.metadata.name))));
    // A recreated pod only fits zone-b.
    delete(&mut c, Kind::Pod, "postgres-0", Some(0));
    create(&mut c, &pod_yaml("postgres-0", "data-postgres-0"));
    let p = c.get::<Pod>("default", "postgres-0").unwrap().clone();
    for (node, ok) in [("node-a", false), ("node-b", true), ("node-c", false)] {
        let n = c.get::<Node>("", node).unwrap().clone();
        assert_eq!(scheduling::filter(&c.api, &p, &n, false).is_ok(), ok, "{node}");
    }
    check_invariants(&c);
    // Pod and claim gone: detached, then the disk and its PV are deleted.
    delete(&mut c, Kind::Pod, "postgres-0", Some(0));
    report_in_use(&mut c, "node-b");
    delete(&mut c, Kind::PersistentVolumeClaim, "data-postgres-0", None);
    let (_, settled) = c.settle();
    assert!(settled);
    assert!(c.get::<VolumeAttachment>("", &va_name).is_none());
    assert!(c.get::<PersistentVolume>("", &v.metadata.name).is_none());
    assert!(!c.world.volumes.contains_key(&VolumeId::Disk { handle: csi.volume_handle.clone() }));
    assert!(c.get::<Node>("", "node-b").unwrap().status.volumes_attached.is_empty());
}

#[test]
fn no_provisioner_and_unknown_provisioners_wait() {
    let mut c = cluster(8);
    create(
        &mut c,
        "
kind: StorageClass
apiVersion: storage.k8s.io/v1
metadata: {name: static-now}
provisioner: kubernetes.io/no-provisioner
---
kind: StorageClass
apiVersion: storage.k8s.io/v1
metadata: {name: static-later}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
---
kind: StorageClass
apiVersion: storage.k8s.io/v1
metadata: {name: nobody}
provisioner: example.com/nobody
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: a}
spec:
  storageClassName: static-now
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: b}
spec:
  storageClassName: static-later
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: c}
spec:
  storageClassName: nobody
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
",
    );
    let ev = events(&c, Kind::PersistentVolumeClaim, "default", "a");
    assert_eq!(ev[0].0, "ProvisioningFailed");
    assert_eq!(ev[0].1, "no volume plugin matched name: kubernetes.io/no-provisioner");
    assert_eq!(reasons(&c, Kind::PersistentVolumeClaim, "default", "b"), ["WaitForFirstConsumer"]);
    // The scheduler finds no node for a WaitForFirstConsumer claim of no-provisioner.
    create(&mut c, &pod_yaml("p", "b"));
    let err = schedule(&mut c, "p", None).unwrap_err();
    assert!(err.starts_with("node(s) didn't find available persistent volumes to bind"), "{err}");
    let ev = events(&c, Kind::PersistentVolumeClaim, "default", "c");
    assert_eq!(ev[0].0, "ExternalProvisioning");
    assert!(ev[0].1.starts_with("Waiting for a volume to be created either by the external provisioner 'example.com/nobody'"));
    let (_, settled) = c.settle();
    assert!(settled, "waiting claims do not keep the cluster busy");
    c.advance(MINUTE);
    assert_eq!(pvc(&c, "c").status.phase, PersistentVolumeClaimPhase::Pending);
    assert!(events(&c, Kind::PersistentVolumeClaim, "default", "c").iter().find(|e| e.0 == "ExternalProvisioning").unwrap().3 >= 4);
}

#[test]
fn uninstalled_driver_stops_provisioning_until_it_is_back() {
    let mut c = cluster(9);
    c.cluster_verb(ClusterVerb::DriverUninstall { driver: "ebs.csi.aws.com".into() }).unwrap();
    assert!(c.get::<CsiDriver>("", "ebs.csi.aws.com").is_none());
    assert!(c.get::<CsiNode>("", "node-a").unwrap().spec.drivers.iter().all(|d| d.name != "ebs.csi.aws.com"));
    create(&mut c, "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: gp3}\nprovisioner: ebs.csi.aws.com\n");
    create(
        &mut c,
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: d}\nspec:\n  storageClassName: gp3\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 1Gi}}\n",
    );
    c.advance(MINUTE);
    assert_eq!(pvc(&c, "d").status.phase, PersistentVolumeClaimPhase::Pending);
    assert!(reasons(&c, Kind::PersistentVolumeClaim, "default", "d").iter().all(|r| r == "ExternalProvisioning"));
    c.cluster_verb(ClusterVerb::DriverInstall { driver: "ebs.csi.aws.com".into() }).unwrap();
    let (_, settled) = c.settle();
    assert!(settled);
    let claim = pvc(&c, "d").clone();
    assert_eq!(claim.status.phase, PersistentVolumeClaimPhase::Bound);
    // Immediate binding: the disk went to a zone some node is in.
    let v = pv(&c, &claim.spec.volume_name).clone();
    assert!(c.api.store.list_t::<Node>().any(|n| storage::check_node_affinity(&v, n)));
    // Uninstalled again: the kubelet cannot mount it.
    c.cluster_verb(ClusterVerb::DriverUninstall { driver: "ebs.csi.aws.com".into() }).unwrap();
    let err = storage::can_mount(&c.api, &c.world, &v, "node-a").unwrap_err();
    assert!(err.contains("driver name ebs.csi.aws.com not found in the list of registered CSI drivers"), "{err}");
}

/// A pod on node-a with an EBS disk in zone-a, attached; node-d joins zone-a.
fn disk_on_node_a(seed: u64) -> (Cluster, PersistentVolume) {
    let mut c = cluster(seed);
    c.cluster_verb(ClusterVerb::NodeAdd { node: "node-d".into(), zone: "zone-a".into() }).unwrap();
    // The new node registered the CSI plugins too.
    assert_eq!(c.get::<Node>("", "node-d").unwrap().metadata.labels["topology.ebs.csi.aws.com/zone"], "zone-a");
    assert!(c.get::<CsiNode>("", "node-d").unwrap().spec.drivers.iter().any(|d| d.name == "ebs.csi.aws.com"));
    create(&mut c, FAST_SSD);
    create(
        &mut c,
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data-web-0}\nspec:\n  storageClassName: fast-ssd\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 10Gi}}\n",
    );
    create(&mut c, &pod_yaml("web-0", "data-web-0"));
    assert_eq!(schedule(&mut c, "web-0", Some("node-a")), Ok("node-a".into()));
    c.advance(10 * SECOND);
    report_in_use(&mut c, "node-a");
    let v = pv(&c, &pvc(&c, "data-web-0").spec.volume_name).clone();
    assert!(storage::attachment_ready(&c.api, &v, "node-a"));
    (c, v)
}

#[test]
fn a_second_node_gets_multi_attach_errors_while_the_first_uses_the_disk() {
    let (mut c, v) = disk_on_node_a(10);
    // Another pod of the claim lands on node-d while web-0 still runs.
    create(&mut c, &pod_yaml("web-x", "data-web-0"));
    bind_pod(&mut c, "web-x", "node-d");
    let ev = events(&c, Kind::Pod, "default", "web-x");
    let e = ev.iter().find(|e| e.0 == "FailedAttachVolume").expect("FailedAttachVolume");
    assert_eq!(e.1, format!("Multi-Attach error for volume \"{}\" Volume is already used by pod(s) web-0", v.metadata.name));
    assert!(!storage::attachment_ready(&c.api, &v, "node-d"));
    check_invariants(&c);
    // web-0 goes away normally: unmounted, detached, attached to node-d.
    delete(&mut c, Kind::Pod, "web-0", Some(0));
    report_in_use(&mut c, "node-a");
    wait_for(&mut c, MINUTE, "attach on node-d", |c| storage::attachment_ready(&c.api, &v, "node-d"));
    assert!(!storage::attachment_ready(&c.api, &v, "node-a"));
    check_invariants(&c);
}

#[test]
fn a_dead_nodes_disk_is_force_detached_after_six_minutes() {
    let (mut c, v) = disk_on_node_a(11);
    c.cluster_verb(ClusterVerb::NodeStop { node: "node-a".into() }).unwrap();
    set_node_ready(&mut c, "node-a", "Unknown");
    // The pod is force-deleted (it could never confirm its end) and replaced on node-d.
    delete(&mut c, Kind::Pod, "web-0", Some(0));
    create(&mut c, &pod_yaml("web-0", "data-web-0"));
    bind_pod(&mut c, "web-0", "node-d");
    let ev = events(&c, Kind::Pod, "default", "web-0");
    let e = ev.iter().find(|e| e.0 == "FailedAttachVolume").expect("FailedAttachVolume");
    assert_eq!(
        e.1,
        format!("Multi-Attach error for volume \"{}\" Volume is already exclusively attached to one node and can't be attached to another", v.metadata.name)
    );
    c.advance(5 * MINUTE + 50 * SECOND);
    assert!(storage::attachment_ready(&c.api, &v, "node-a"), "still attached to the dead node before 6 minutes");
    assert!(!storage::attachment_ready(&c.api, &v, "node-d"));
    wait_for(&mut c, MINUTE, "attach on node-d", |c| storage::attachment_ready(&c.api, &v, "node-d"));
    let waited = c.now().0;
    assert!(waited > 0);
    check_invariants(&c);
}

#[test]
fn the_out_of_service_taint_detaches_at_once() {
    let (mut c, v) = disk_on_node_a(12);
    c.cluster_verb(ClusterVerb::NodeStop { node: "node-a".into() }).unwrap();
    set_node_ready(&mut c, "node-a", "Unknown");
    delete(&mut c, Kind::Pod, "web-0", Some(0));
    let mut n = c.get::<Node>("", "node-a").unwrap().clone();
    n.spec.taints.push(Taint { key: "node.kubernetes.io/out-of-service".into(), value: "nodeshutdown".into(), effect: "NoExecute".into(), time_added: None });
    c.update(Object::Node(n)).unwrap();
    create(&mut c, &pod_yaml("web-0", "data-web-0"));
    bind_pod(&mut c, "web-0", "node-d");
    wait_for(&mut c, 30 * SECOND, "attach on node-d", |c| storage::attachment_ready(&c.api, &v, "node-d"));
    check_invariants(&c);
}

#[test]
fn recycle_scrubs_the_nfs_export_and_makes_the_volume_available() {
    let mut c = cluster(13);
    create(&mut c, NFS_PVS);
    create(&mut c, STATIC_CLAIMS);
    assert_eq!(pvc(&c, "claim-http").spec.volume_name, "nfs-0001");
    let id = VolumeId::Nfs { server: "nfs.example.com".into(), path: "/exports/data-0001".into() };
    write_file(&mut c, &id, "/index.html", "Hello NFS World\n");
    let before = (c.api.clone(), c.world.clone());
    delete(&mut c, Kind::PersistentVolumeClaim, "claim-http", None);
    assert_eq!(pv(&c, "nfs-0001").status.phase, PersistentVolumePhase::Released);
    let (_, settled) = c.settle();
    assert!(settled);
    let v = pv(&c, "nfs-0001");
    assert_eq!(v.status.phase, PersistentVolumePhase::Available);
    assert!(v.spec.claim_ref.is_none());
    assert!(c.world.volumes[&id].is_empty());
    let r = reasons(&c, Kind::PersistentVolume, "", "nfs-0001");
    assert_eq!(r.first().map(|s| s.as_str()), Some("RecyclerPod"));
    assert_eq!(r.last().map(|s| s.as_str()), Some("VolumeRecycled"));
    invariants::check_no_unauthorized_data_loss(&before.0, &before.1, &c.api, &c.world).expect("recycling is authorized");
    check_invariants(&c);
}

#[test]
fn retain_keeps_the_data_and_delete_removes_it() {
    let mut c = cluster(14);
    create(
        &mut c,
        "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: keep}\nprovisioner: rancher.io/local-path\nreclaimPolicy: Retain\nvolumeBindingMode: WaitForFirstConsumer\n",
    );
    for (claim, class) in [("kept", "keep"), ("gone", "standard")] {
        create(
            &mut c,
            &format!(
                "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {{name: {claim}}}\nspec:\n  storageClassName: {class}\n  accessModes: [ReadWriteOnce]\n  resources: {{requests: {{storage: 1Gi}}}}\n"
            ),
        );
        create(&mut c, &pod_yaml(&format!("pod-{claim}"), claim));
        schedule(&mut c, &format!("pod-{claim}"), Some("node-c")).unwrap();
    }
    let kept_pv = pvc(&c, "kept").spec.volume_name.clone();
    let gone_pv = pvc(&c, "gone").spec.volume_name.clone();
    let ids: Vec<VolumeId> = [&kept_pv, &gone_pv].iter().map(|n| storage::volume_id_for_pv(pv(&c, n), "node-c")).collect();
    for id in &ids {
        write_file(&mut c, id, "/PG_VERSION", "16\n");
    }
    // Claims in use stay Terminating until their pods are gone.
    delete(&mut c, Kind::PersistentVolumeClaim, "kept", None);
    delete(&mut c, Kind::PersistentVolumeClaim, "gone", None);
    c.settle();
    assert!(pvc(&c, "gone").metadata.is_deleting());
    assert_eq!(pv(&c, &gone_pv).status.phase, PersistentVolumePhase::Bound);
    let before = (c.api.clone(), c.world.clone());
    delete(&mut c, Kind::Pod, "pod-kept", Some(0));
    delete(&mut c, Kind::Pod, "pod-gone", Some(0));
    let (_, settled) = c.settle();
    assert!(settled);
    assert!(c.get::<PersistentVolumeClaim>("default", "gone").is_none());
    assert!(c.get::<PersistentVolumeClaim>("default", "kept").is_none());
    // Retain: Released, data kept.
    assert_eq!(pv(&c, &kept_pv).status.phase, PersistentVolumePhase::Released);
    assert!(!c.world.volumes[&ids[0]].is_empty());
    // Delete: the provisioner removed the directory, then the PV went.
    assert!(c.get::<PersistentVolume>("", &gone_pv).is_none());
    assert!(!c.world.volumes.contains_key(&ids[1]));
    invariants::check_no_unauthorized_data_loss(&before.0, &before.1, &c.api, &c.world).expect("only the Delete volume lost its data");
    check_invariants(&c);
}

#[test]
fn the_data_loss_invariant_catches_a_retained_volume_wiped() {
    let mut c = cluster(15);
    create(&mut c, NFS_PVS);
    let id = VolumeId::Nfs { server: "nfs.example.com".into(), path: "/exports/data-0002".into() };
    write_file(&mut c, &id, "/x", "1");
    let mut v = pv(&c, "nfs-0002").clone();
    v.spec.persistent_volume_reclaim_policy = PersistentVolumeReclaimPolicy::Retain;
    c.update(Object::PersistentVolume(v)).unwrap();
    let before = (c.api.clone(), c.world.clone());
    c.world.volumes.remove(&id);
    assert!(invariants::check_no_unauthorized_data_loss(&before.0, &before.1, &c.api, &c.world).is_err());
}

#[test]
fn quota_counts_claims_and_refuses_the_one_too_many() {
    let mut c = cluster(16);
    create(
        &mut c,
        "
apiVersion: v1
kind: ResourceQuota
metadata: {name: storage}
spec:
  hard:
    requests.storage: 3Gi
    persistentvolumeclaims: '5'
    standard.storageclass.storage.k8s.io/requests.storage: 2Gi
",
    );
    let claim = |name: &str, class: &str, size: &str| {
        format!(
            "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {{name: {name}}}\nspec:\n  storageClassName: {class}\n  accessModes: [ReadWriteOnce]\n  resources: {{requests: {{storage: {size}}}}}\n"
        )
    };
    create(&mut c, &claim("one", "standard", "1Gi"));
    create(&mut c, &claim("two", "local-path", "1Gi"));
    let rq = c.get::<ResourceQuota>("default", "storage").unwrap();
    assert_eq!(rq.status.used["requests.storage"].to_string(), "2Gi");
    assert_eq!(rq.status.used["persistentvolumeclaims"].to_string(), "2");
    assert_eq!(rq.status.used["standard.storageclass.storage.k8s.io/requests.storage"].to_string(), "1Gi");
    assert_eq!(rq.status.hard, rq.spec.hard);
    let err = c.create(objects(&claim("three", "standard", "2Gi")).remove(0)).unwrap_err();
    assert_eq!(
        err.message,
        "persistentvolumeclaims \"three\" is forbidden: exceeded quota: storage, requested: requests.storage=2Gi,standard.storageclass.storage.k8s.io/requests.storage=2Gi, used: requests.storage=2Gi,standard.storageclass.storage.k8s.io/requests.storage=1Gi, limited: requests.storage=3Gi,standard.storageclass.storage.k8s.io/requests.storage=2Gi"
    );
    // Two claims created back to back are both charged before the controller runs.
    let mut api = c.api.clone();
    api.create(objects(&claim("a", "local-path", "512Mi")).remove(0)).unwrap();
    let err = api.create(objects(&claim("b", "local-path", "1Gi")).remove(0)).unwrap_err();
    assert!(err.message.contains("exceeded quota: storage"), "{}", err.message);
    delete(&mut c, Kind::PersistentVolumeClaim, "one", None);
    let rq = c.get::<ResourceQuota>("default", "storage").unwrap();
    assert_eq!(rq.status.used["requests.storage"].to_string(), "1Gi");
}

#[test]
fn expanding_an_ebs_claim_grows_the_disk_then_the_file_system() {
    let mut c = cluster(17);
    create(&mut c, FAST_SSD);
    create(
        &mut c,
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data}\nspec:\n  storageClassName: fast-ssd\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 10Gi}}\n",
    );
    create(&mut c, &pod_yaml("db", "data"));
    schedule(&mut c, "db", Some("node-a")).unwrap();
    // Shrinking below the current size is refused.
    let mut small = pvc(&c, "data").clone();
    small.spec.resources.requests.insert("storage".into(), kubarium::engine::quantity::Quantity::parse("5Gi").unwrap());
    let err = c.update(Object::PersistentVolumeClaim(small)).unwrap_err();
    assert_eq!(
        err.message,
        "PersistentVolumeClaim \"data\" is invalid: spec.resources.requests.storage: Forbidden: field can not be less than status.capacity"
    );
    let mut other = pvc(&c, "data").clone();
    other.spec.access_modes = vec![PersistentVolumeAccessMode::ReadWriteMany];
    let err = c.update(Object::PersistentVolumeClaim(other)).unwrap_err();
    assert_eq!(
        err.message,
        "PersistentVolumeClaim \"data\" is invalid: spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims"
    );
    let mut big = pvc(&c, "data").clone();
    big.spec.resources.requests.insert("storage".into(), kubarium::engine::quantity::Quantity::parse("20Gi").unwrap());
    c.update(Object::PersistentVolumeClaim(big)).unwrap();
    assert!(pvc(&c, "data").status.conditions.iter().any(|x| x.type_ == ConditionType::Resizing));
    let (_, settled) = c.settle();
    assert!(settled);
    let claim = pvc(&c, "data");
    assert_eq!(claim.status.capacity["storage"].to_string(), "20Gi");
    assert!(claim.status.conditions.is_empty());
    assert!(claim.status.allocated_resource_statuses.is_empty());
    assert_eq!(pv(&c, &claim.spec.volume_name).spec.capacity["storage"].to_string(), "20Gi");
    let ev = events(&c, Kind::PersistentVolumeClaim, "default", "data");
    let got: Vec<(&str, &str)> = ev
        .iter()
        .filter(|e| ["ExternalExpanding", "Resizing", "FileSystemResizeRequired", "FileSystemResizeSuccessful"].contains(&e.0.as_str()))
        .map(|e| (e.0.as_str(), e.2.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("ExternalExpanding", "volume_expand"),
            ("Resizing", "external-resizer ebs.csi.aws.com"),
            ("FileSystemResizeRequired", "external-resizer ebs.csi.aws.com"),
            ("FileSystemResizeSuccessful", "kubelet")
        ]
    );
    let fs = ev.iter().find(|e| e.0 == "FileSystemResizeSuccessful").unwrap();
    assert_eq!(fs.1, format!("MountVolume.NodeExpandVolume succeeded for volume \"{}\" node-a", claim.spec.volume_name));
    // A class without allowVolumeExpansion refuses.
    create(
        &mut c,
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: lp}\nspec:\n  storageClassName: standard\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 1Gi}}\n",
    );
    let mut lp = pvc(&c, "lp").clone();
    lp.spec.resources.requests.insert("storage".into(), kubarium::engine::quantity::Quantity::parse("2Gi").unwrap());
    let err = c.update(Object::PersistentVolumeClaim(lp)).unwrap_err();
    assert!(err.message.contains("spec is immutable after creation") || err.message.contains("must support resize"), "{}", err.message);
}

#[test]
fn read_write_once_pod_claims_admit_one_pod() {
    let mut c = cluster(18);
    create(&mut c, NFS_PVS);
    create(
        &mut c,
        "apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: solo}\nspec:\n  capacity: {storage: 1Gi}\n  accessModes: [ReadWriteOncePod]\n  nfs: {server: nfs.example.com, path: /solo}\n",
    );
    create(
        &mut c,
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: solo}\nspec:\n  storageClassName: ''\n  accessModes: [ReadWriteOncePod]\n  resources: {requests: {storage: 1Gi}}\n",
    );
    create(&mut c, &pod_yaml("first", "solo"));
    schedule(&mut c, "first", None).unwrap();
    create(&mut c, &pod_yaml("second", "solo"));
    let err = schedule(&mut c, "second", None).unwrap_err();
    assert!(err.starts_with("node(s) unavailable due to PersistentVolumeClaim with ReadWriteOncePod access mode already in-use by another pod"), "{err}");
}

/// Three replicas of a Deployment created together on one new
/// ReadWriteOncePod claim of the WaitForFirstConsumer class: the first pod
/// is assumed on its node while its claim is provisioned, and the others
/// must see it (VolumeRestrictions counts assumed pods, as the scheduler
/// cache's IsPVCUsedByPods does), so only one ever runs.
#[test]
fn read_write_once_pod_claim_of_a_new_deployment_runs_one_replica() {
    let mut c = Cluster::new(18);
    for o in objects(
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: solo}\nspec:\n  storageClassName: standard\n  accessModes: [ReadWriteOncePod]\n  resources: {requests: {storage: 1Gi}}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 3\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n      - {name: web, image: nginx, volumeMounts: [{name: data, mountPath: /data}]}\n      volumes:\n      - {name: data, persistentVolumeClaim: {claimName: solo}}\n",
    ) {
        c.create(o).unwrap();
    }
    let start = c.now().0;
    while c.now().0 - start < 3 * MINUTE {
        c.step(SECOND);
        let bound: Vec<&Pod> = c.api.store.list_ns_t::<Pod>("default").filter(|p| !p.spec.node_name.is_empty()).collect();
        assert!(bound.len() <= 1, "{} pods bound on one ReadWriteOncePod claim: {:?}", bound.len(), bound.iter().map(|p| &p.metadata.name).collect::<Vec<_>>());
    }
    let pods: Vec<&Pod> = c.api.store.list_ns_t::<Pod>("default").collect();
    assert_eq!(pods.len(), 3);
    assert_eq!(pods.iter().filter(|p| p.status.phase == PodPhase::Running).count(), 1);
    assert_eq!(pvc(&c, "solo").status.phase, PersistentVolumeClaimPhase::Bound);
    for p in pods.iter().filter(|p| p.status.phase == PodPhase::Pending) {
        let msgs: Vec<String> = events(&c, Kind::Pod, "default", &p.metadata.name).into_iter().filter(|e| e.0 == "FailedScheduling").map(|e| e.1).collect();
        assert!(
            msgs.iter().any(|m| m.starts_with(
                "0/3 nodes are available: 3 node(s) unavailable due to PersistentVolumeClaim with ReadWriteOncePod access mode already in-use by another pod."
            )),
            "{msgs:?}"
        );
    }
}

#[test]
fn same_seed_same_storage_story() {
    let run = || {
        let (mut c, v) = disk_on_node_a(19);
        delete(&mut c, Kind::Pod, "web-0", Some(0));
        report_in_use(&mut c, "node-a");
        c.settle();
        (v.spec.csi.unwrap().volume_handle, c.api.store.resource_version(), c.now())
    };
    assert_eq!(run(), run());
}

#[test]
fn wait_for_first_consumer_binds_a_local_pv_on_the_chosen_node() {
    let mut c = cluster(20);
    create(
        &mut c,
        "
kind: StorageClass
apiVersion: storage.k8s.io/v1
metadata: {name: local-storage}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: local-c}
spec:
  storageClassName: local-storage
  capacity: {storage: 5Gi}
  accessModes: [ReadWriteOnce]
  local: {path: /mnt/disks/ssd1}
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions:
        - {key: kubernetes.io/hostname, operator: In, values: [node-c]}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: fast}
spec:
  storageClassName: local-storage
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
",
    );
    // The PV controller never binds it without a consumer.
    c.advance(30 * SECOND);
    assert_eq!(pvc(&c, "fast").status.phase, PersistentVolumeClaimPhase::Pending);
    create(&mut c, &pod_yaml("p", "fast"));
    let p = c.get::<Pod>("default", "p").unwrap().clone();
    let a = c.get::<Node>("", "node-a").unwrap().clone();
    assert_eq!(scheduling::filter(&c.api, &p, &a, false), Err("node(s) didn't find available persistent volumes to bind".into()));
    assert_eq!(schedule(&mut c, "p", None), Ok("node-c".into()));
    let claim = pvc(&c, "fast");
    assert_eq!(claim.spec.volume_name, "local-c");
    assert!(!claim.metadata.annotations.contains_key("volume.kubernetes.io/selected-node"));
    assert_eq!(pv(&c, "local-c").status.phase, PersistentVolumePhase::Bound);
    check_invariants(&c);
}

#[test]
fn csi_migrated_in_tree_class_is_provisioned_by_the_csi_driver() {
    let mut c = cluster(21);
    create(&mut c, "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: gp2}\nprovisioner: kubernetes.io/aws-ebs\n");
    create(
        &mut c,
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: old}\nspec:\n  storageClassName: gp2\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 1Gi}}\n",
    );
    c.settle();
    let claim = pvc(&c, "old").clone();
    assert_eq!(claim.status.phase, PersistentVolumeClaimPhase::Bound);
    assert_eq!(claim.metadata.annotations["volume.kubernetes.io/storage-provisioner"], "ebs.csi.aws.com");
    let v = pv(&c, &claim.spec.volume_name).clone();
    assert_eq!(v.metadata.annotations["pv.kubernetes.io/migrated-to"], "ebs.csi.aws.com");
    delete(&mut c, Kind::PersistentVolumeClaim, "old", None);
    let (_, settled) = c.settle();
    assert!(settled);
    assert!(c.get::<PersistentVolume>("", &v.metadata.name).is_none(), "deleted by the CSI driver");
}

#[test]
fn azure_disks_respect_the_per_node_attach_limit() {
    let mut c = cluster(22);
    create(
        &mut c,
        "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: managed}\nprovisioner: disk.csi.azure.com\nvolumeBindingMode: WaitForFirstConsumer\n",
    );
    let mut vols = vec![];
    for i in 0..9 {
        let claim = format!("d{i}");
        create(
            &mut c,
            &format!(
                "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {{name: {claim}}}\nspec:\n  storageClassName: managed\n  accessModes: [ReadWriteOnce]\n  resources: {{requests: {{storage: 1Gi}}}}\n"
            ),
        );
        vols.push(format!("  - name: v{i}\n    persistentVolumeClaim: {{claimName: {claim}}}\n"));
    }
    let pod = |name: &str, from: usize, to: usize| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n  containers:\n  - {{name: main, image: busybox}}\n  volumes:\n{}",
            vols[from..to].concat()
        )
    };
    create(&mut c, &pod("eight", 0, 8));
    assert_eq!(schedule(&mut c, "eight", Some("node-a")), Ok("node-a".into()));
    create(&mut c, &pod("ninth", 8, 9));
    let p = c.get::<Pod>("default", "ninth").unwrap().clone();
    let a = c.get::<Node>("", "node-a").unwrap().clone();
    assert_eq!(scheduling::filter(&c.api, &p, &a, false), Err("node(s) exceed max volume count".into()));
    let b = c.get::<Node>("", "node-b").unwrap().clone();
    assert_eq!(scheduling::filter(&c.api, &p, &b, false), Ok(()));
}

#[test]
fn every_default_driver_provisions_for_a_first_consumer() {
    let mut c = cluster(23);
    let cases = [
        ("rancher.io/local-path", "ReadWriteOnce", Some(("kubernetes.io/hostname", "node-c")), "", false),
        ("ebs.csi.aws.com", "ReadWriteOnce", Some(("topology.ebs.csi.aws.com/zone", "zone-c")), "vol-0", true),
        ("pd.csi.storage.gke.io", "ReadWriteOncePod", Some(("topology.gke.io/zone", "zone-c")), "projects/kubarium/zones/zone-c/disks/pvc-", true),
        ("disk.csi.azure.com", "ReadWriteOnce", Some(("topology.disk.csi.azure.com/zone", "zone-c")), "/subscriptions/", true),
        ("efs.csi.aws.com", "ReadWriteMany", None, "fs-", false),
        ("nfs.csi.k8s.io", "ReadWriteMany", None, "nfs-server.kube-system.svc.cluster.local#/#pvc-", false),
    ];
    for (i, (driver, mode, topology, handle, attach)) in cases.into_iter().enumerate() {
        create(
            &mut c,
            &format!(
                "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {{name: class-{i}}}\nprovisioner: {driver}\nvolumeBindingMode: WaitForFirstConsumer\n"
            ),
        );
        create(
            &mut c,
            &format!(
                "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {{name: claim-{i}}}\nspec:\n  storageClassName: class-{i}\n  accessModes: [{mode}]\n  resources: {{requests: {{storage: 1Gi}}}}\n"
            ),
        );
        create(&mut c, &pod_yaml(&format!("pod-{i}"), &format!("claim-{i}")));
        assert_eq!(schedule(&mut c, &format!("pod-{i}"), Some("node-c")), Ok("node-c".into()), "{driver}");
        let claim = pvc(&c, &format!("claim-{i}")).clone();
        assert_eq!(claim.metadata.annotations["volume.kubernetes.io/selected-node"], "node-c", "{driver}");
        let v = pv(&c, &claim.spec.volume_name).clone();
        assert_eq!(v.metadata.annotations["pv.kubernetes.io/provisioned-by"], driver);
        assert_eq!(v.spec.access_modes, [PersistentVolumeAccessMode::parse(mode)]);
        match topology {
            Some((key, value)) => {
                let e = &v.spec.node_affinity.as_ref().unwrap().required.as_ref().unwrap().node_selector_terms[0].match_expressions[0];
                assert_eq!((e.key.as_str(), e.values[0].as_str()), (key, value), "{driver}");
            }
            None => assert!(v.spec.node_affinity.is_none(), "{driver}"),
        }
        if let Some(csi) = &v.spec.csi {
            assert!(csi.volume_handle.starts_with(handle), "{driver}: {}", csi.volume_handle);
        }
        assert_eq!(storage::is_attachable(&c.api, &v), attach, "{driver}");
        let from: Vec<String> = events(&c, Kind::PersistentVolumeClaim, "default", &format!("claim-{i}"))
            .into_iter()
            .filter(|e| e.0 == "ProvisioningSucceeded")
            .map(|e| e.2)
            .collect();
        assert!(from[0].starts_with(&format!("{driver}_")), "{driver}: {from:?}");
    }
    check_invariants(&c);
}

/// Random storage stories (claims of every kind, pods scheduled, deleted and
/// moved, nodes dying, time passing) keep the invariants after every step.
#[test]
fn random_storage_stories_keep_the_invariants() {
    use kubarium::engine::rng::Rng;
    for seed in 0..6u64 {
        let mut c = cluster(100 + seed);
        let mut rng = Rng::new(seed);
        create(&mut c, FAST_SSD);
        create(&mut c, "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: shared}\nprovisioner: efs.csi.aws.com\n");
        create(&mut c, NFS_PVS);
        let classes = ["standard", "fast-ssd", "shared", "", "local-path"];
        let mut next = 0;
        for step in 0..60 {
            let before = (c.api.clone(), c.world.clone());
            match rng.below(8) {
                0 | 1 => {
                    let class = classes[rng.below(classes.len() as u64) as usize];
                    let mode = if class == "shared" { "ReadWriteMany" } else { "ReadWriteOnce" };
                    let size = ["1Gi", "2Gi", "4Gi"][rng.below(3) as usize];
                    create(
                        &mut c,
                        &format!(
                            "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {{name: c{next}}}\nspec:\n  storageClassName: '{class}'\n  accessModes: [{mode}]\n  resources: {{requests: {{storage: {size}}}}}\n"
                        ),
                    );
                    next += 1;
                }
                2 | 3 => {
                    // A pod for a random claim, scheduled if it can be.
                    let claims: Vec<String> = c
                        .api
                        .store
                        .list_ns_t::<PersistentVolumeClaim>("default")
                        .filter(|x| !x.metadata.is_deleting())
                        .map(|x| x.metadata.name.clone())
                        .collect();
                    if claims.is_empty() {
                        continue;
                    }
                    let claim = claims[rng.below(claims.len() as u64) as usize].clone();
                    let pod = format!("p{next}");
                    next += 1;
                    create(&mut c, &pod_yaml(&pod, &claim));
                    let _ = schedule(&mut c, &pod, None);
                    let nodes: Vec<String> = c.api.store.list_t::<Node>().map(|n| n.metadata.name.clone()).collect();
                    for n in nodes {
                        if c.world.is_powered(&n) {
                            report_in_use(&mut c, &n);
                        }
                    }
                    // Something lives on the volume now.
                    if let Some(p) = c.get::<Pod>("default", &pod).filter(|p| !p.spec.node_name.is_empty()).cloned()
                        && let Some(v) =
                            c.get::<PersistentVolumeClaim>("default", &claim).and_then(|cl| c.get::<PersistentVolume>("", &cl.spec.volume_name)).cloned()
                    {
                        let id = storage::volume_id_for_pv(&v, &p.spec.node_name);
                        write_file(&mut c, &id, &format!("/{pod}"), "data");
                    }
                }
                4 => {
                    let pods: Vec<String> = c.api.store.list_ns_t::<Pod>("default").map(|p| p.metadata.name.clone()).collect();
                    if let Some(p) = pods.get(rng.below(pods.len().max(1) as u64) as usize) {
                        delete(&mut c, Kind::Pod, p, Some(0));
                        let nodes: Vec<String> = c.api.store.list_t::<Node>().map(|n| n.metadata.name.clone()).collect();
                        for n in nodes {
                            if c.world.is_powered(&n) {
                                report_in_use(&mut c, &n);
                            }
                        }
                    }
                }
                5 => {
                    let claims: Vec<String> = c.api.store.list_ns_t::<PersistentVolumeClaim>("default").map(|x| x.metadata.name.clone()).collect();
                    if let Some(cl) = claims.get(rng.below(claims.len().max(1) as u64) as usize) {
                        let _ = c.delete(Kind::PersistentVolumeClaim, "default", cl, &Default::default());
                    }
                }
                6 => {
                    let node = ["node-a", "node-b", "node-c"][rng.below(3) as usize];
                    if c.world.is_powered(node) {
                        c.cluster_verb(ClusterVerb::NodeStop { node: node.into() }).unwrap();
                        set_node_ready(&mut c, node, "Unknown");
                    } else {
                        c.cluster_verb(ClusterVerb::NodeStart { node: node.into() }).unwrap();
                        set_node_ready(&mut c, node, "True");
                    }
                }
                _ => c.advance(rng.below(8 * MINUTE as u64) as i64),
            }
            invariants::check_all(&c.api).unwrap_or_else(|e| panic!("seed {seed} step {step}: {e}"));
            invariants::check_no_unauthorized_data_loss(&before.0, &before.1, &c.api, &c.world).unwrap_or_else(|e| panic!("seed {seed} step {step}: {e}"));
        }
        assert!(c.livelock.is_none());
        eprintln!(
            "seed {seed}: {} claims ({} bound), {} PVs, {} attachments, {} pods running",
            c.api.store.count(Kind::PersistentVolumeClaim),
            c.api.store.list_t::<PersistentVolumeClaim>().filter(|x| x.status.phase == PersistentVolumeClaimPhase::Bound).count(),
            c.api.store.count(Kind::PersistentVolume),
            c.api.store.count(Kind::VolumeAttachment),
            c.api.store.list_t::<Pod>().filter(|p| !p.spec.node_name.is_empty()).count()
        );
    }
}
