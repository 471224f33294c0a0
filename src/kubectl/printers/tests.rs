//! Expected texts are the transcripts' real kubectl output where one applies
//! (/work/shared/transcripts), otherwise the layouts of printers.go.

use super::*;
use crate::engine::time::{MINUTE, SECOND};
use crate::kubectl::testutil::{NOW, ago, assert_matches, obj};
use crate::kubectl::{OutputFormat, PrintOptions};
use serde_json::json;

fn opts() -> PrintOptions {
    PrintOptions { now: NOW, ..Default::default() }
}

fn wide() -> PrintOptions {
    PrintOptions { now: NOW, format: OutputFormat::Wide, ..Default::default() }
}

fn table(objs: &[Rc<Object>]) -> String {
    print_table(objs, &opts())
}

fn pvc(name: &str, class: Option<&str>, phase: &str, volume: &str, cap: &str, modes: &[&str]) -> Rc<Object> {
    let mut spec = json!({"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}, "volumeMode": "Filesystem"});
    if let Some(c) = class {
        spec["storageClassName"] = json!(c);
    }
    if !volume.is_empty() {
        spec["volumeName"] = json!(volume);
    }
    let mut status = json!({"phase": phase});
    if !cap.is_empty() {
        status["capacity"] = json!({"storage": cap});
        status["accessModes"] = json!(modes);
    }
    obj(json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": "default", "creationTimestamp": ago(5 * SECOND)},
        "spec": spec, "status": status}))
}

#[test]
fn pvc_pending_without_class_seed003() {
    let out = table(&[pvc("claim-http", Some(""), "Pending", "", "", &[]), pvc("claim-mysql", Some(""), "Pending", "", "", &[])]);
    assert_matches(
        &out,
        "NAME          STATUS    VOLUME   CAPACITY   ACCESS MODES   STORAGECLASS   VOLUMEATTRIBUTESCLASS   AGE
claim-http    Pending                                                     <unset>                 [..]
claim-mysql   Pending                                                     <unset>                 [..]",
    );
    assert!(out.ends_with("<unset>                 5s\n"));
}

#[test]
fn pvc_pending_with_default_class_transcripts_md() {
    let out = table(&[pvc("my-pvc", Some("standard"), "Pending", "", "", &[])]);
    assert_matches(
        &out,
        "NAME     STATUS    VOLUME   CAPACITY   ACCESS MODES   STORAGECLASS   [..]
my-pvc   Pending                                      standard       [..]",
    );
}

#[test]
fn pvc_bound_seed003_and_seed000() {
    let out = table(&[
        pvc("claim-http", Some(""), "Bound", "nfs-0001", "2Gi", &["ReadWriteOnce", "ReadWriteMany"]),
        pvc("claim-mysql", Some(""), "Bound", "nfs-0002", "5Gi", &["ReadWriteMany", "ReadWriteOnce"]),
    ]);
    assert_matches(
        &out,
        "NAME          STATUS   VOLUME     CAPACITY   ACCESS MODES   STORAGECLASS   VOLUMEATTRIBUTESCLASS   AGE
claim-http    Bound    nfs-0001   2Gi        RWO,RWX                       <unset>                 [..]
claim-mysql   Bound    nfs-0002   5Gi        RWO,RWX                       <unset>                 [..]",
    );
    let out = table(&[pvc("my-pvc", Some("my-sc"), "Bound", "my-pv", "1Gi", &["ReadWriteOnce"])]);
    assert_matches(
        &out,
        "NAME     STATUS   VOLUME   CAPACITY   ACCESS MODES   STORAGECLASS   VOLUMEATTRIBUTESCLASS   AGE
my-pvc   Bound    my-pv    1Gi        RWO            my-sc          <unset>                 [..]",
    );
    let long = "pvc-3f0c6a52-1b7e-4f5d-9c55-0d8f3e6c2a11";
    let mut terminating = (*pvc("data-my-db-0", Some("standard"), "Bound", long, "10Gi", &["ReadWriteOnce"])).clone();
    terminating.meta_mut().deletion_timestamp = Some(NOW);
    let out = table(&[Rc::new(terminating)]);
    assert_matches(
        &out,
        "NAME           STATUS        VOLUME                                     CAPACITY   ACCESS MODES   STORAGECLASS   VOLUMEATTRIBUTESCLASS   AGE
data-my-db-0   Terminating   pvc-[..]   10Gi       RWO            standard       <unset>                 [..]",
    );
    // -o wide adds VOLUMEMODE.
    let out = print_table(&[pvc("my-pvc", Some("my-sc"), "Bound", "my-pv", "1Gi", &["ReadWriteOnce"])], &wide());
    assert_matches(&out, "NAME[..]AGE   VOLUMEMODE\nmy-pvc[..]5s    Filesystem");
}

fn pv(name: &str, class: &str, reclaim: &str, phase: &str, claim: Option<&str>, modes: &[&str], cap: &str) -> Rc<Object> {
    let mut spec = json!({"capacity": {"storage": cap}, "accessModes": modes, "persistentVolumeReclaimPolicy": reclaim,
        "nfs": {"server": "nfs.example.com", "path": "/exports"}, "volumeMode": "Filesystem"});
    if !class.is_empty() {
        spec["storageClassName"] = json!(class);
    }
    if let Some(c) = claim {
        spec["claimRef"] = json!({"kind": "PersistentVolumeClaim", "namespace": "default", "name": c});
    }
    obj(json!({"apiVersion": "v1", "kind": "PersistentVolume",
        "metadata": {"name": name, "creationTimestamp": ago(MINUTE)}, "spec": spec, "status": {"phase": phase}}))
}

#[test]
fn pv_tables_seed003_and_seed000() {
    let out = table(&[
        pv("nfs-0001", "", "Recycle", "Bound", Some("claim-http"), &["ReadWriteOnce", "ReadWriteMany"], "2Gi"),
        pv("nfs-0002", "", "Recycle", "Bound", Some("claim-mysql"), &["ReadWriteOnce", "ReadWriteMany"], "5Gi"),
    ]);
    assert_matches(
        &out,
        "NAME       CAPACITY   ACCESS MODES   RECLAIM POLICY   STATUS   CLAIM                 STORAGECLASS   VOLUMEATTRIBUTESCLASS   REASON   AGE
nfs-0001   2Gi        RWO,RWX        Recycle          Bound    default/claim-http                   <unset>                          [..]
nfs-0002   5Gi        RWO,RWX        Recycle          Bound    default/claim-mysql                  <unset>                          [..]",
    );
    assert!(out.ends_with("<unset>                          60s\n"), "{out}");
    let out = table(&[pv("my-pv", "my-sc", "Retain", "Available", None, &["ReadWriteOnce"], "1Gi")]);
    assert_matches(
        &out,
        "NAME    CAPACITY   ACCESS MODES   RECLAIM POLICY   STATUS      CLAIM   STORAGECLASS   VOLUMEATTRIBUTESCLASS   REASON   AGE
my-pv   1Gi        RWO            Retain           Available           my-sc          <unset>                          [..]",
    );
    let mut deleting = (*pv("my-pv", "my-sc", "Retain", "Released", Some("my-pvc"), &["ReadWriteOnce"], "1Gi")).clone();
    deleting.meta_mut().deletion_timestamp = Some(NOW);
    assert!(table(&[Rc::new(deleting)]).contains(" Terminating "));
}

fn sc(name: &str, provisioner: &str, default: bool, binding: Option<&str>, expand: Option<bool>) -> Rc<Object> {
    let mut v = json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
        "metadata": {"name": name, "creationTimestamp": ago(3 * MINUTE)}, "provisioner": provisioner, "reclaimPolicy": "Delete"});
    if default {
        v["metadata"]["annotations"] = json!({"storageclass.kubernetes.io/is-default-class": "true"});
    }
    if let Some(b) = binding {
        v["volumeBindingMode"] = json!(b);
    }
    if let Some(e) = expand {
        v["allowVolumeExpansion"] = json!(e);
    }
    obj(v)
}

#[test]
fn storage_classes_seed000_seed004() {
    let out = table(&[
        sc("local-path", "rancher.io/local-path", false, Some("WaitForFirstConsumer"), None),
        sc("my-sc", "kubernetes.io/no-provisioner", false, Some("Immediate"), None),
        sc("standard", "rancher.io/local-path", true, Some("WaitForFirstConsumer"), None),
    ]);
    assert_matches(
        &out,
        "NAME                 PROVISIONER                    RECLAIMPOLICY   VOLUMEBINDINGMODE      ALLOWVOLUMEEXPANSION   AGE
local-path           rancher.io/local-path          Delete          WaitForFirstConsumer   false                  [..]
my-sc                kubernetes.io/no-provisioner   Delete          Immediate              false                  [..]
standard (default)   rancher.io/local-path          Delete          WaitForFirstConsumer   false                  [..]",
    );
    let out = table(&[sc("fast-ssd", "ebs.csi.aws.com", false, Some("WaitForFirstConsumer"), Some(true))]);
    assert_matches(
        &out,
        "NAME       PROVISIONER       RECLAIMPOLICY   VOLUMEBINDINGMODE      ALLOWVOLUMEEXPANSION   AGE
fast-ssd   ebs.csi.aws.com   Delete          WaitForFirstConsumer   true                   3m",
    );
    // A class without binding mode shows the default, Immediate.
    assert!(table(&[sc("x", "p", false, None, None)]).contains("Immediate"));
}

fn running_pod(name: &str, node: &str, ip: &str, image: &str) -> Rc<Object> {
    obj(json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "creationTimestamp": ago(2 * MINUTE), "labels": {"app": "web"}},
        "spec": {"nodeName": node, "containers": [{"name": "nginx", "image": image}]},
        "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
            "conditions": [{"type": "Ready", "status": "True"}, {"type": "Initialized", "status": "True"}],
            "containerStatuses": [{"name": "nginx", "ready": true, "restartCount": 0, "image": image, "imageID": "",
                "state": {"running": {"startedAt": ago(MINUTE)}}, "lastState": {}}]}}))
}

#[test]
fn pods_running_statefulset_basics() {
    let out = table(&[running_pod("web-0", "node-a", "10.244.1.2", "nginx:1.25"), running_pod("web-1", "node-b", "10.244.2.2", "nginx:1.25")]);
    assert_matches(
        &out,
        "NAME    READY   STATUS    RESTARTS   AGE
web-0   1/1     Running   0          [..]
web-1   1/1     Running   0          [..]",
    );
    assert!(out.contains("0          2m\n"));
    // -o wide (seed000 part 2)
    let out = print_table(&[running_pod("pg-7d9b6c5f4-x2x7k", "node-a", "10.244.1.5", "postgres:14")], &wide());
    assert_matches(
        &out,
        "NAME[..]READY   STATUS    RESTARTS   AGE[..]NODE     NOMINATED NODE   READINESS GATES
pg-[..]1/1     Running   0          [..]node-a   <none>           <none>",
    );
    assert_matches(
        &out,
        "NAME                 READY   STATUS    RESTARTS   AGE   IP           NODE     NOMINATED NODE   READINESS GATES\n[..]2m    10.244.1.5   node-a   <none>           <none>",
    );
}

fn pod_with(status: serde_json::Value, spec_extra: serde_json::Value) -> PodSummary {
    let mut spec = json!({"containers": [{"name": "app", "image": "img"}]});
    if let Some(m) = spec_extra.as_object() {
        for (k, v) in m {
            spec[k] = v.clone();
        }
    }
    let o = obj(json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"}, "spec": spec, "status": status}));
    pod_summary(o.as_::<crate::engine::api::Pod>().unwrap())
}

#[test]
fn pod_status_column_logic() {
    // No statuses yet: the phase.
    assert_eq!(pod_with(json!({"phase": "Pending"}), json!({})).reason, "Pending");
    // Waiting reasons are shown as they are.
    for r in ["ContainerCreating", "ErrImagePull", "ImagePullBackOff", "CrashLoopBackOff"] {
        let s = pod_with(json!({"phase": "Pending", "containerStatuses": [{"name": "app", "state": {"waiting": {"reason": r}}}]}), json!({}));
        assert_eq!(s.reason, r);
        assert_eq!((s.ready, s.total), (0, 1));
    }
    // Terminated: its reason, or ExitCode:N / Signal:N.
    let s = pod_with(
        json!({"phase": "Succeeded", "containerStatuses": [{"name": "app", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]}),
        json!({}),
    );
    assert_eq!(s.reason, "Completed");
    let s =
        pod_with(json!({"phase": "Failed", "containerStatuses": [{"name": "app", "state": {"terminated": {"exitCode": 1, "reason": "Error"}}}]}), json!({}));
    assert_eq!(s.reason, "Error");
    let s = pod_with(json!({"phase": "Failed", "containerStatuses": [{"name": "app", "state": {"terminated": {"exitCode": 2}}}]}), json!({}));
    assert_eq!(s.reason, "ExitCode:2");
    // Init containers.
    let init = json!({"initContainers": [{"name": "init", "image": "busybox"}]});
    let s = pod_with(json!({"phase": "Pending", "initContainerStatuses": [{"name": "init", "state": {"running": {}}}]}), init.clone());
    assert_eq!(s.reason, "Init:0/1");
    let s =
        pod_with(json!({"phase": "Pending", "initContainerStatuses": [{"name": "init", "state": {"waiting": {"reason": "PodInitializing"}}}]}), init.clone());
    assert_eq!(s.reason, "Init:0/1");
    let s =
        pod_with(json!({"phase": "Pending", "initContainerStatuses": [{"name": "init", "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}), init.clone());
    assert_eq!(s.reason, "Init:CrashLoopBackOff");
    let s = pod_with(
        json!({"phase": "Pending", "initContainerStatuses": [{"name": "init", "state": {"terminated": {"exitCode": 1, "reason": "Error"}}}]}),
        init.clone(),
    );
    assert_eq!(s.reason, "Init:Error");
    let s = pod_with(
        json!({"phase": "Pending", "initContainerStatuses": [{"name": "init", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}],
               "containerStatuses": [{"name": "app", "state": {"waiting": {"reason": "PodInitializing"}}}]}),
        init,
    );
    assert_eq!(s.reason, "PodInitializing");
    // A sidecar (restartable init container) counts in READY.
    let sidecar = json!({"initContainers": [{"name": "side", "image": "x", "restartPolicy": "Always"}]});
    let s = pod_with(
        json!({"phase": "Running", "conditions": [{"type": "Initialized", "status": "True"}, {"type": "Ready", "status": "True"}],
               "initContainerStatuses": [{"name": "side", "started": true, "ready": true, "state": {"running": {}}}],
               "containerStatuses": [{"name": "app", "ready": true, "state": {"running": {}}}]}),
        sidecar,
    );
    assert_eq!((s.ready, s.total, s.reason.as_str()), (2, 2, "Running"));
}

/// The printer's typed state says what its STATUS word says (the word is
/// for people; the page's map reads the state), for every way printPod
/// picks the word.
#[test]
fn pod_state_says_what_the_word_says() {
    fn meaning(word: &str) -> PodState {
        match word {
            "Running" => PodState::Running,
            "Pending" | "ContainerCreating" | "PodInitializing" => PodState::Starting,
            w if w.starts_with("Init:") => PodState::Starting,
            "Completed" | "Succeeded" => PodState::Done,
            "Terminating" => PodState::Terminating,
            _ => PodState::Failing,
        }
    }
    let term = |code: i32, reason: &str, signal: i32| json!({"terminated": {"exitCode": code, "reason": reason, "signal": signal}});
    let init = json!({"initContainers": [{"name": "init", "image": "busybox"}]});
    let two = json!({"containers": [{"name": "app", "image": "img"}, {"name": "b", "image": "img"}]});
    let mut cases = vec![
        (json!({"phase": "Pending"}), json!({})),
        (json!({"phase": "Succeeded"}), json!({})),
        (json!({"phase": "Failed", "reason": "Evicted"}), json!({})),
        (json!({"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]}), json!({})),
        (
            json!({"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
                "containerStatuses": [{"name": "app", "ready": true, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
                                      {"name": "b", "ready": true, "state": {"running": {}}}]}),
            two.clone(),
        ),
        (
            json!({"phase": "Running",
                "containerStatuses": [{"name": "app", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
                                      {"name": "b", "ready": true, "state": {"running": {}}}]}),
            two.clone(),
        ),
        (
            json!({"phase": "Running",
                "containerStatuses": [{"name": "app", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
                                      {"name": "b", "state": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}}}]}),
            two,
        ),
        (json!({"phase": "Running", "containerStatuses": [{"name": "app", "ready": true, "state": {"running": {}}}]}), json!({})),
    ];
    for w in ["ContainerCreating", "PodInitializing", "ErrImagePull", "CrashLoopBackOff", "CreateContainerConfigError"] {
        cases.push((json!({"phase": "Pending", "containerStatuses": [{"name": "app", "state": {"waiting": {"reason": w}}}]}), json!({})));
        cases.push((json!({"phase": "Pending", "initContainerStatuses": [{"name": "init", "state": {"waiting": {"reason": w}}}]}), init.clone()));
    }
    for t in [term(0, "Completed", 0), term(1, "Error", 0), term(2, "", 0), term(137, "", 9), term(0, "", 0)] {
        cases.push((json!({"phase": "Failed", "containerStatuses": [{"name": "app", "state": t.clone()}]}), json!({})));
        cases.push((json!({"phase": "Pending", "initContainerStatuses": [{"name": "init", "state": t}]}), init.clone()));
    }
    let mut words = std::collections::BTreeSet::new();
    for (status, spec) in cases {
        let s = pod_with(status.clone(), spec);
        assert_eq!(s.state, meaning(&s.reason), "{} from {status}", s.reason);
        words.insert(s.reason);
    }
    assert!(words.len() >= 20, "{words:?}");
    let mut p = (*running_pod("web-0", "node-a", "10.244.1.2", "nginx")).clone();
    p.meta_mut().deletion_timestamp = Some(NOW);
    let Object::Pod(pod) = &mut p else { unreachable!() };
    assert_eq!((pod_summary(pod).reason.as_str(), pod_summary(pod).state), ("Terminating", PodState::Terminating));
    pod.status.reason = "NodeLost".into();
    assert_eq!((pod_summary(pod).reason.as_str(), pod_summary(pod).state), ("Unknown", PodState::Failing));
}

#[test]
fn pod_terminating_unknown_and_restarts() {
    let mut p = (*running_pod("web-0", "node-a", "10.244.1.2", "nginx")).clone();
    p.meta_mut().deletion_timestamp = Some(NOW);
    assert!(table(&[Rc::new(p.clone())]).contains("1/1     Terminating   0"));
    if let Object::Pod(pp) = &mut p {
        pp.status.reason = "NodeLost".into();
    }
    assert!(table(&[Rc::new(p)]).contains("Unknown"));
    // CrashLoopBackOff with restarts: "5 (2m ago)".
    let crash = obj(json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "bad", "namespace": "default", "creationTimestamp": ago(8 * MINUTE)},
        "spec": {"containers": [{"name": "app", "image": "busybox", "command": ["false"]}]},
        "status": {"phase": "Running", "containerStatuses": [{"name": "app", "ready": false, "restartCount": 5,
            "state": {"waiting": {"reason": "CrashLoopBackOff"}},
            "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": ago(2 * MINUTE)}}}]}}));
    assert_eq!(table(&[crash]), "NAME   READY   STATUS             RESTARTS     AGE\nbad    0/1     CrashLoopBackOff   5 (2m ago)   8m\n");
}

#[test]
fn workloads_seed_outputs() {
    let sts = obj(json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": "pg", "namespace": "default", "creationTimestamp": ago(4 * MINUTE)},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "pg"}}, "serviceName": "pg",
                 "template": {"metadata": {"labels": {"app": "pg"}}, "spec": {"containers": [{"name": "postgresql", "image": "postgres:14"}]}}},
        "status": {"replicas": 3, "readyReplicas": 3, "availableReplicas": 3}}));
    assert_eq!(table(std::slice::from_ref(&sts)), "NAME   READY   AGE\npg     3/3     4m\n");
    assert_eq!(print_table(&[sts], &wide()), "NAME   READY   AGE   CONTAINERS   IMAGES\npg     3/3     4m    postgresql   postgres:14\n");
    let scaled = obj(json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": "postgres", "namespace": "codewizard", "creationTimestamp": ago(4 * MINUTE)},
        "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "postgres"}}, "template": {"spec": {"containers": []}}},
        "status": {"replicas": 0, "availableReplicas": 0}}));
    assert_matches(&table(&[scaled]), "NAME       READY   AGE\npostgres   0/0     [..]");
    let deploy = obj(json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "pg", "namespace": "default", "creationTimestamp": ago(90 * SECOND)},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "pg"}}, "template": {"spec": {"containers": [{"name": "postgresql", "image": "postgres:14"}]}}},
        "status": {"replicas": 1, "updatedReplicas": 1, "readyReplicas": 1, "availableReplicas": 1}}));
    assert_matches(&table(std::slice::from_ref(&deploy)), "NAME   READY   UP-TO-DATE   AVAILABLE   AGE\npg     1/1     1            1           [..]");
    assert_eq!(
        print_table(&[deploy], &wide()),
        "NAME   READY   UP-TO-DATE   AVAILABLE   AGE   CONTAINERS   IMAGES        SELECTOR\npg     1/1     1            1           90s   postgresql   postgres:14   app=pg\n"
    );
    let rs = obj(json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": "pg-7d9b6c5f4", "namespace": "default", "creationTimestamp": ago(90 * SECOND)},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "pg", "pod-template-hash": "7d9b6c5f4"}}, "template": {"spec": {"containers": [{"name": "postgresql", "image": "postgres:14"}]}}},
        "status": {"replicas": 1, "readyReplicas": 1, "availableReplicas": 1}}));
    assert_eq!(table(std::slice::from_ref(&rs)), "NAME           DESIRED   CURRENT   READY   AGE\npg-7d9b6c5f4   1         1         1       90s\n");
    assert!(print_table(&[rs], &wide()).contains("app=pg,pod-template-hash=7d9b6c5f4"));
}

#[test]
fn services_statefulset_basics_and_seed002() {
    let headless = obj(json!({"apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "web", "namespace": "default", "creationTimestamp": ago(MINUTE)},
        "spec": {"clusterIP": "None", "clusterIPs": ["None"], "type": "ClusterIP", "selector": {"app": "web"},
                 "ports": [{"name": "web", "port": 80, "protocol": "TCP", "targetPort": 80}]}}));
    assert_matches(
        &table(std::slice::from_ref(&headless)),
        "NAME   TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)   AGE
web    ClusterIP   None         <none>        80/TCP    [..]",
    );
    assert!(print_table(&[headless], &wide()).contains("80/TCP    60s   app=web\n"));
    let nodeport = obj(json!({"apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "postgres", "namespace": "codewizard", "creationTimestamp": ago(MINUTE)},
        "spec": {"clusterIP": "10.96.120.14", "clusterIPs": ["10.96.120.14"], "type": "NodePort", "selector": {"app": "postgres"},
                 "ports": [{"port": 5432, "protocol": "TCP", "targetPort": 5432, "nodePort": 31234}]}}));
    assert_matches(
        &table(&[nodeport]),
        "NAME       TYPE       CLUSTER-IP[..]EXTERNAL-IP   PORT(S)          AGE
postgres   NodePort   [..]<none>        5432:[..]/TCP   [..]",
    );
    let lb = obj(json!({"apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "lb", "namespace": "default", "creationTimestamp": ago(MINUTE)},
        "spec": {"clusterIP": "10.96.0.20", "clusterIPs": ["10.96.0.20"], "type": "LoadBalancer", "ports": [{"port": 80, "protocol": "TCP", "nodePort": 30080}]},
        "status": {"loadBalancer": {}}}));
    assert!(table(&[lb]).contains("<pending>"));
}

#[test]
fn volume_attachments_seed004() {
    let va = |n: &str, pv: &str, node: &str| {
        obj(json!({"apiVersion": "storage.k8s.io/v1", "kind": "VolumeAttachment",
            "metadata": {"name": n, "creationTimestamp": ago(MINUTE)},
            "spec": {"attacher": "ebs.csi.aws.com", "nodeName": node, "source": {"persistentVolumeName": pv}},
            "status": {"attached": true}}))
    };
    let out = table(&[
        va("csi-1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b", "pvc-3f0c6a52-1b7e-4f5d-9c55-0d8f3e6c2a11", "node-a"),
        va("csi-2a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b", "pvc-4f0c6a52-1b7e-4f5d-9c55-0d8f3e6c2a11", "node-b"),
    ]);
    assert_matches(
        &out,
        "NAME[..]ATTACHER          PV                                         NODE     ATTACHED   AGE
csi-[..]ebs.csi.aws.com   pvc-[..]   node-[..]   true       [..]
csi-[..]ebs.csi.aws.com   pvc-[..]   node-[..]   true       [..]",
    );
}

fn node(name: &str, ready: &str, unschedulable: bool) -> Rc<Object> {
    obj(json!({"apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "creationTimestamp": ago(5 * MINUTE), "labels": {"kubernetes.io/hostname": name}},
        "spec": {"unschedulable": unschedulable},
        "status": {"conditions": [{"type": "Ready", "status": ready}],
                   "addresses": [{"type": "InternalIP", "address": "172.18.0.2"}, {"type": "Hostname", "address": name}],
                   "nodeInfo": {"kubeletVersion": "v1.36.0", "osImage": "Debian GNU/Linux 12 (bookworm)", "kernelVersion": "6.1.0",
                                "architecture": "amd64", "containerRuntimeVersion": "containerd://2.1.0", "operatingSystem": "linux"}}}))
}

#[test]
fn nodes() {
    let out = table(&[node("node-a", "True", false), node("node-b", "Unknown", false), node("node-c", "True", true)]);
    assert_eq!(
        out,
        "NAME     STATUS                     ROLES    AGE   VERSION
node-a   Ready                      <none>   5m    v1.36.0
node-b   NotReady                   <none>   5m    v1.36.0
node-c   Ready,SchedulingDisabled   <none>   5m    v1.36.0
"
    );
    let out = print_table(&[node("node-a", "True", false)], &wide());
    assert_eq!(
        out,
        "NAME     STATUS   ROLES    AGE   VERSION   INTERNAL-IP   EXTERNAL-IP   OS-IMAGE                         KERNEL-VERSION   CONTAINER-RUNTIME
node-a   Ready    <none>   5m    v1.36.0   172.18.0.2    <none>        Debian GNU/Linux 12 (bookworm)   6.1.0 (amd64)    containerd://2.1.0
"
    );
    let mut n = (*node("cp", "True", false)).clone();
    n.meta_mut().labels.insert("node-role.kubernetes.io/control-plane".into(), "".into());
    if let Object::Node(nn) = &mut n {
        nn.status.conditions.clear();
    }
    assert!(table(&[Rc::new(n)]).contains("cp     Unknown   control-plane"));
}

fn event(name: &str, kind: &str, obj_name: &str, type_: &str, reason: &str, msg: &str, first: i64, last: i64, count: i32) -> Rc<Object> {
    obj(json!({"apiVersion": "v1", "kind": "Event",
        "metadata": {"name": name, "namespace": "default", "creationTimestamp": ago(first)},
        "involvedObject": {"kind": kind, "name": obj_name, "namespace": "default", "apiVersion": "v1"},
        "reason": reason, "message": msg, "type": type_, "count": count,
        "source": {"component": "default-scheduler"},
        "firstTimestamp": ago(first), "lastTimestamp": ago(last)}))
}

#[test]
fn events_table() {
    let out = table(&[
        event(
            "www.1",
            "Pod",
            "www",
            "Warning",
            "FailedScheduling",
            "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. not found",
            3 * MINUTE,
            MINUTE,
            3,
        ),
        event("www.2", "Pod", "www", "Normal", "Scheduled", "Successfully assigned default/www to node-a", 30 * SECOND, 30 * SECOND, 1),
    ]);
    assert_eq!(
        out,
        "LAST SEEN   TYPE      REASON             OBJECT    MESSAGE
60s         Warning   FailedScheduling   pod/www   0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. not found
30s         Normal    Scheduled          pod/www   Successfully assigned default/www to node-a
"
    );
    let out = print_table(&[event("www.2", "Pod", "www", "Normal", "Scheduled", "ok", 3 * MINUTE, 30 * SECOND, 4)], &wide());
    assert_eq!(
        out,
        "LAST SEEN   TYPE     REASON      OBJECT    SUBOBJECT   SOURCE              MESSAGE   FIRST SEEN   COUNT   NAME
30s         Normal   Scheduled   pod/www               default-scheduler   ok        3m           4       www.2
"
    );
}

#[test]
fn small_kinds() {
    let cm = obj(
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "postgres-config", "namespace": "codewizard", "creationTimestamp": ago(MINUTE)},
        "data": {"POSTGRES_DB": "codewizard", "POSTGRES_USER": "codewizard", "POSTGRES_PASSWORD": "admin123"}}),
    );
    assert_eq!(table(&[cm]), "NAME              DATA   AGE\npostgres-config   3      60s\n");
    let secret = obj(json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "default", "creationTimestamp": ago(MINUTE)},
        "type": "Opaque", "data": {"a": "eA=="}}));
    assert_eq!(table(&[secret]), "NAME   TYPE     DATA   AGE\ns      Opaque   1      60s\n");
    let sa =
        obj(json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": "default", "creationTimestamp": ago(MINUTE)}}));
    assert_eq!(table(&[sa]), "NAME      AGE\ndefault   60s\n");
    let ns = obj(
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "codewizard", "creationTimestamp": ago(MINUTE)}, "status": {"phase": "Active"}}),
    );
    assert_eq!(table(&[ns]), "NAME         STATUS   AGE\ncodewizard   Active   60s\n");
    let ep = obj(json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "web", "namespace": "default", "creationTimestamp": ago(MINUTE)},
        "subsets": [{"addresses": [{"ip": "10.244.1.2"}, {"ip": "10.244.2.2"}, {"ip": "10.244.3.2"}, {"ip": "10.244.1.3"}], "ports": [{"name": "web", "port": 80, "protocol": "TCP"}]}]}));
    assert_eq!(
        table(&[ep]),
        "NAME   ENDPOINTS                                               AGE\nweb    10.244.1.2:80,10.244.2.2:80,10.244.3.2:80 + 1 more...   60s\n"
    );
    let pdb = obj(
        json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "web", "namespace": "default", "creationTimestamp": ago(MINUTE)},
        "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "web"}}}, "status": {"disruptionsAllowed": 1, "currentHealthy": 3, "desiredHealthy": 2, "expectedPods": 3}}),
    );
    assert_eq!(
        table(&[pdb]),
        "NAME   MIN AVAILABLE   MAX UNAVAILABLE   ALLOWED DISRUPTIONS   AGE\nweb    2               N/A               1                     60s\n"
    );
    let cr = obj(
        json!({"apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": {"name": "web-5b6d7f8c9", "namespace": "default", "creationTimestamp": ago(MINUTE),
        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "uid": "u1", "controller": true}]}, "revision": 1}),
    );
    assert_eq!(table(&[cr]), "NAME            CONTROLLER             REVISION   AGE\nweb-5b6d7f8c9   statefulset.apps/web   1          60s\n");
    let quota = obj(
        json!({"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "storage", "namespace": "default", "creationTimestamp": ago(MINUTE)},
        "spec": {"hard": {"requests.storage": "10Gi", "persistentvolumeclaims": "5", "limits.cpu": "2"}},
        "status": {"hard": {"requests.storage": "10Gi", "persistentvolumeclaims": "5", "limits.cpu": "2"}, "used": {"requests.storage": "3Gi", "persistentvolumeclaims": "2"}}}),
    );
    assert_eq!(
        table(&[quota]),
        "NAME      REQUEST                                                   LIMIT             AGE\nstorage   persistentvolumeclaims: 2/5, requests.storage: 3Gi/10Gi   limits.cpu: 0/2   60s\n"
    );
    let lease = obj(
        json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "node-a", "namespace": "kube-node-lease", "creationTimestamp": ago(MINUTE)},
        "spec": {"holderIdentity": "node-a", "leaseDurationSeconds": 40}}),
    );
    assert_eq!(table(&[lease]), "NAME     HOLDER   AGE\nnode-a   node-a   60s\n");
    let csinode = obj(json!({"apiVersion": "storage.k8s.io/v1", "kind": "CSINode", "metadata": {"name": "node-a", "creationTimestamp": ago(MINUTE)},
        "spec": {"drivers": [{"name": "ebs.csi.aws.com", "nodeID": "node-a"}]}}));
    assert_eq!(table(&[csinode]), "NAME     DRIVERS   AGE\nnode-a   1         60s\n");
    let driver = obj(json!({"apiVersion": "storage.k8s.io/v1", "kind": "CSIDriver", "metadata": {"name": "ebs.csi.aws.com", "creationTimestamp": ago(MINUTE)},
        "spec": {"attachRequired": true, "podInfoOnMount": false, "volumeLifecycleModes": ["Persistent"]}}));
    assert_eq!(
        table(&[driver]),
        "NAME              ATTACHREQUIRED   PODINFOONMOUNT   STORAGECAPACITY   TOKENREQUESTS   REQUIRESREPUBLISH   MODES        AGE\nebs.csi.aws.com   true             false            false             <unset>         false               Persistent   60s\n"
    );
}

#[test]
fn decorations_namespace_labels_kinds() {
    let mut o = opts();
    o.with_namespace = true;
    o.show_labels = true;
    let out = print_table(&[running_pod("web-0", "node-a", "10.244.1.2", "nginx")], &o);
    assert_eq!(out, "NAMESPACE   NAME    READY   STATUS    RESTARTS   AGE   LABELS\ndefault     web-0   1/1     Running   0          2m    app=web\n");
    // -A does not add NAMESPACE to cluster-scoped kinds.
    assert!(print_table(&[node("node-a", "True", false)], &o).starts_with("NAME     STATUS   ROLES    AGE   VERSION   LABELS\n"));
    let mut o = opts();
    o.label_columns = vec!["app".into(), "topology.kubernetes.io/zone".into()];
    let out = print_table(&[running_pod("web-0", "node-a", "10.244.1.2", "nginx")], &o);
    assert_eq!(out, "NAME    READY   STATUS    RESTARTS   AGE   APP   ZONE\nweb-0   1/1     Running   0          2m    web   \n");
    // Several kinds: kind/name everywhere and a blank line between tables.
    let sts =
        obj(json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "web", "namespace": "default", "creationTimestamp": ago(MINUTE)},
        "spec": {"replicas": 1, "template": {"spec": {"containers": []}}}, "status": {"replicas": 1, "readyReplicas": 1}}));
    let out = table(&[sts, running_pod("web-0", "node-a", "10.244.1.2", "nginx")]);
    assert_eq!(
        out,
        "NAME                   READY   AGE\nstatefulset.apps/web   1/1     60s\n\nNAME        READY   STATUS    RESTARTS   AGE\npod/web-0   1/1     Running   0          2m\n"
    );
    let mut o = opts();
    o.no_headers = true;
    assert_eq!(print_table(&[running_pod("web-0", "node-a", "10.244.1.2", "nginx")], &o), "web-0   1/1   Running   0     2m\n");
    assert_eq!(print_table(&[], &opts()), "");
}

#[test]
fn names_yaml_json() {
    let pods = [running_pod("web-0", "node-a", "10.244.1.2", "nginx"), running_pod("web-1", "node-b", "10.244.2.2", "nginx")];
    assert_eq!(print_names(&pods), "pod/web-0\npod/web-1\n");
    assert_eq!(print_names(&[sc("standard", "p", true, None, None)]), "storageclass.storage.k8s.io/standard\n");
    let api = crate::engine::apiserver::Api::new(1, NOW, Default::default());
    let mut o = opts();
    o.format = OutputFormat::Yaml;
    o.single_item = true;
    let y = print(&api, &pods[..1], &o).unwrap();
    assert!(y.starts_with("apiVersion: v1\nkind: Pod\nmetadata:\n"), "{y}");
    assert!(y.contains("\nstatus:\n"));
    o.single_item = false;
    let y = print(&api, &pods[..1], &o).unwrap();
    assert!(y.starts_with("apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Pod\n"), "{y}");
    assert!(y.ends_with("kind: List\nmetadata:\n  resourceVersion: \"\"\n"), "{y}");
    assert_eq!(print(&api, &[], &o).unwrap(), "apiVersion: v1\nitems: []\nkind: List\nmetadata:\n  resourceVersion: \"\"\n");
    o.format = OutputFormat::Json;
    assert_eq!(
        print(&api, &[], &o).unwrap(),
        "{\n    \"apiVersion\": \"v1\",\n    \"items\": [],\n    \"kind\": \"List\",\n    \"metadata\": {\n        \"resourceVersion\": \"\"\n    }\n}\n"
    );
    o.single_item = true;
    let j = print(&api, &pods[..1], &o).unwrap();
    assert!(j.starts_with("{\n    \"apiVersion\": \"v1\",\n    \"kind\": \"Pod\",\n"), "{j}");
    assert!(j.ends_with("}\n"));
}

#[test]
fn custom_columns_statefulset_basics() {
    let pods =
        [running_pod("web-0", "node-a", "", "nginx:1.25"), running_pod("web-1", "node-b", "", "nginx:1.25"), running_pod("web-2", "node-c", "", "nginx:1.26")];
    let spec = "NAME:.metadata.name,IMAGE:.spec.containers[0].image";
    assert_eq!(print_custom_columns(&pods, spec, false).unwrap(), "NAME    IMAGE\nweb-0   nginx:1.25\nweb-1   nginx:1.25\nweb-2   nginx:1.26\n");
    assert_eq!(print_custom_columns(&pods[..1], "N:metadata.name,NODE:{.spec.nodeName},X:.spec.missing", true).unwrap(), "web-0   node-a   <none>\n");
    assert_eq!(print_custom_columns(&pods[..1], "L:.metadata.labels,C:.spec.containers[*].name", false).unwrap(), "L              C\nmap[app:web]   nginx\n");
    assert_eq!(print_custom_columns(&[], spec, false).unwrap(), "NAME   IMAGE\n");
    assert_eq!(print_custom_columns(&pods, "NAME", false).unwrap_err(), "unexpected custom-columns spec: NAME, expected <header>:<json-path-expr>");
}

#[test]
fn jsonpath_output() {
    let pods = [running_pod("web-0", "node-a", "10.244.1.2", "nginx:1.25"), running_pod("web-1", "node-b", "10.244.2.2", "nginx:1.26")];
    let api = crate::engine::apiserver::Api::new(1, NOW, Default::default());
    let mut o = opts();
    o.format = OutputFormat::JsonPath("{.items[*].metadata.name}".into());
    assert_eq!(print(&api, &pods, &o).unwrap(), "web-0 web-1");
    o.format = OutputFormat::JsonPath("{range .items[*]}{.metadata.name}{\"\\t\"}{.status.podIP}{\"\\n\"}{end}".into());
    assert_eq!(print(&api, &pods, &o).unwrap(), "web-0\t10.244.1.2\nweb-1\t10.244.2.2\n");
    o.single_item = true;
    o.format = OutputFormat::JsonPath("{.status.phase}".into());
    assert_eq!(print(&api, &pods[..1], &o).unwrap(), "Running");
    o.format = OutputFormat::JsonPath("{.status.conditions[?(@.type==\"Ready\")].status}".into());
    assert_eq!(print(&api, &pods[..1], &o).unwrap(), "True");
    o.format = OutputFormat::JsonPath("{.metadata.name".into());
    assert_eq!(print(&api, &pods[..1], &o).unwrap_err(), "error parsing jsonpath {.metadata.name, unclosed action");
    o.format = OutputFormat::JsonPath("{.spec.containers[3]}".into());
    let e = print(&api, &pods[..1], &o).unwrap_err();
    assert!(e.starts_with("error executing jsonpath \"{.spec.containers[3]}\": Error executing template: array index out of bounds: index 3, length 1. Printing more information for debugging the template:\n\ttemplate was:\n\t\t{.spec.containers[3]}\n\tobject given to jsonpath engine was:\n\t\tmap[string]interface {}{\"apiVersion\":\"v1\", "), "{e}");
}

#[test]
fn sort_by() {
    let mk = |name: &str, age_s: i64, cap: &str| {
        obj(json!({"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": name, "creationTimestamp": ago(age_s * SECOND)},
            "spec": {"capacity": {"storage": cap}, "accessModes": ["ReadWriteOnce"], "persistentVolumeReclaimPolicy": "Delete", "hostPath": {"path": "/x"}}, "status": {"phase": "Available"}}))
    };
    let pvs = [mk("a", 10, "10Gi"), mk("b", 30, "2Gi"), mk("c", 20, "500Mi")];
    let names = |v: Vec<Rc<Object>>| v.iter().map(|o| o.meta().name.clone()).collect::<Vec<_>>();
    assert_eq!(names(sort_objects(&pvs, ".spec.capacity.storage").unwrap()), ["c", "b", "a"]);
    assert_eq!(names(sort_objects(&pvs, "{.metadata.creationTimestamp}").unwrap()), ["b", "c", "a"]);
    assert_eq!(names(sort_objects(&pvs, ".metadata.name").unwrap()), ["a", "b", "c"]);
    assert_eq!(sort_objects(&pvs, ".spec.nothing").unwrap_err(), "couldn't find any field with path \"{.spec.nothing}\" in the list of objects");
}
