//! Expected texts are real `kubectl describe` output: the transcripts in
//! /work/shared/transcripts where they have one, otherwise kubectl 1.36's
//! layout as describe.go writes it.

use super::*;
use crate::engine::apiserver::{Api, has_status_subresource};
use crate::engine::time::{EPOCH, MINUTE, SECOND};
use crate::kubectl::testutil::{assert_matches, obj};
use serde_json::json;
use std::rc::Rc;

/// An API server whose clock starts at the epoch, with the default namespace.
fn api() -> Api {
    let mut api = Api::new(7, Time(EPOCH), Default::default());
    for ns in ["default", "kube-node-lease"] {
        api.create(Object::Namespace(Namespace { metadata: ObjectMeta::named("", ns), ..Default::default() })).unwrap();
    }
    api
}

/// Creates an object through the API server (admission and all), then
/// writes the status it was given.
fn add(api: &mut Api, o: Rc<Object>) -> Rc<Object> {
    let kind = o.kind();
    let status = o.to_value().get("status").cloned().filter(|s| s.as_object().is_some_and(|m| !m.is_empty()));
    let created = api.create((*o).clone()).unwrap().object;
    if let (Some(st), true) = (status, has_status_subresource(kind)) {
        let mut v = created.to_value();
        v["status"] = st;
        let (o2, _) = Object::from_value(kind, &v).unwrap();
        return api.update_status(o2).unwrap().object;
    }
    created
}

fn at(ms: i64) -> Time {
    Time(EPOCH + ms)
}

fn claim(name: &str, class: Option<&str>, labels: serde_json::Value, annotations: serde_json::Value) -> Rc<Object> {
    let mut spec = json!({"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}, "volumeMode": "Filesystem"});
    if let Some(c) = class {
        spec["storageClassName"] = json!(c);
    }
    obj(json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": "default", "labels": labels, "annotations": annotations}, "spec": spec}))
}

#[test]
fn pvc_pending_seed003() {
    let mut api = api();
    let c = add(&mut api, claim("claim-http", Some(""), json!({}), json!({})));
    api.now = at(2 * SECOND);
    api.event(&c, "Normal", "FailedBinding", "no persistent volumes available for this claim and no storage class is set", "persistentvolume-controller");
    api.now = at(17 * SECOND);
    api.event(&c, "Normal", "FailedBinding", "no persistent volumes available for this claim and no storage class is set", "persistentvolume-controller");
    let out = describe(&api, &c, at(20 * SECOND));
    assert_matches(
        &out,
        "Name:          claim-http
Namespace:     default
StorageClass:  
Status:        Pending
Volume:        
Labels:        <none>
Annotations:   <none>
Finalizers:    [kubernetes.io/pvc-protection]
Capacity:      
Access Modes:  
VolumeMode:    Filesystem
Used By:       <none>
Events:
  Type    Reason         Age[..]From                         Message
  ----    ------         ----[..]----                         -------
  Normal  FailedBinding  [..]persistentvolume-controller  no persistent volumes available for this claim and no storage class is set",
    );
    assert!(out.contains("  Normal  FailedBinding  3s (x2 over 18s)  persistentvolume-controller  no persistent"), "{out}");
}

#[test]
fn pvc_bound_seed000_with_used_by() {
    let mut api = api();
    let annotations = json!({
        "pv.kubernetes.io/bind-completed": "yes",
        "pv.kubernetes.io/bound-by-controller": "yes",
        "volume.beta.kubernetes.io/storage-provisioner": "rancher.io/local-path",
        "volume.kubernetes.io/selected-node": "node-b",
        "volume.kubernetes.io/storage-provisioner": "rancher.io/local-path"
    });
    let mut c = (*claim("pvc-pg-0", Some("local-path"), json!({"app": "pg"}), annotations)).clone();
    if let Object::PersistentVolumeClaim(pc) = &mut c {
        pc.spec.volume_name = "pvc-0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0".into();
        pc.status.phase = PersistentVolumeClaimPhase::Bound;
        pc.status.access_modes = vec![PersistentVolumeAccessMode::ReadWriteOnce];
        pc.status.capacity.insert("storage".into(), crate::engine::quantity::Quantity::parse("1Gi").unwrap());
    }
    let c = add(&mut api, Rc::new(c));
    add(
        &mut api,
        obj(json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "pg-0", "namespace": "default"},
            "spec": {"containers": [{"name": "postgresql", "image": "postgres:14"}], "volumes": [{"name": "pvc", "persistentVolumeClaim": {"claimName": "pvc-pg-0"}}]}})),
    );
    add(
        &mut api,
        obj(json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "other", "namespace": "default"},
            "spec": {"containers": [{"name": "c", "image": "busybox"}]}})),
    );
    let out = describe(&api, &c, at(MINUTE));
    assert_matches(
        &out,
        "Name:          pvc-pg-0
Namespace:     default
StorageClass:  local-path
Status:        Bound
Volume:        pvc-[..]
Labels:        app=pg
Annotations:   pv.kubernetes.io/bind-completed: yes
               pv.kubernetes.io/bound-by-controller: yes
               volume.beta.kubernetes.io/storage-provisioner: rancher.io/local-path
               volume.kubernetes.io/selected-node: node-[..]
               volume.kubernetes.io/storage-provisioner: rancher.io/local-path
Finalizers:    [kubernetes.io/pvc-protection]
Capacity:      1Gi
Access Modes:  RWO
VolumeMode:    Filesystem
Used By:       pg-0
Events:        <none>",
    );
}

#[test]
fn pv_nfs_seed003_exact() {
    let mut api = api();
    let v = obj(json!({"apiVersion": "v1", "kind": "PersistentVolume",
        "metadata": {"name": "nfs-0001", "annotations": {"pv.kubernetes.io/bound-by-controller": "yes"}},
        "spec": {"capacity": {"storage": "2Gi"}, "accessModes": ["ReadWriteOnce", "ReadWriteMany"], "persistentVolumeReclaimPolicy": "Recycle",
                 "nfs": {"server": "nfs.example.com", "path": "/exports/data-0001"}, "volumeMode": "Filesystem",
                 "claimRef": {"kind": "PersistentVolumeClaim", "namespace": "default", "name": "claim-http", "apiVersion": "v1"}},
        "status": {"phase": "Bound"}}));
    let v = add(&mut api, v);
    let out = describe(&api, &v, at(MINUTE));
    assert_eq!(
        out,
        "Name:            nfs-0001
Labels:          <none>
Annotations:     pv.kubernetes.io/bound-by-controller: yes
Finalizers:      [kubernetes.io/pv-protection]
StorageClass:    
Status:          Bound
Claim:           default/claim-http
Reclaim Policy:  Recycle
Access Modes:    RWO,RWX
VolumeMode:      Filesystem
Capacity:        2Gi
Node Affinity:   <none>
Message:         
Source:
    Type:      NFS (an NFS mount that lasts the lifetime of a pod)
    Server:    nfs.example.com
    Path:      /exports/data-0001
    ReadOnly:  false
Events:        <none>
"
    );
}

#[test]
fn pv_host_path_with_node_affinity_and_csi() {
    let mut api = api();
    let v = obj(json!({"apiVersion": "v1", "kind": "PersistentVolume",
        "metadata": {"name": "my-pv"},
        "spec": {"storageClassName": "my-sc", "capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"], "persistentVolumeReclaimPolicy": "Retain",
                 "hostPath": {"path": "/data/volumes/my-pv", "type": ""}, "volumeMode": "Filesystem",
                 "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "In", "values": ["node-a"]}]}]}}},
        "status": {"phase": "Available"}}));
    let v = add(&mut api, v);
    assert_eq!(
        describe(&api, &v, at(MINUTE)),
        "Name:              my-pv
Labels:            <none>
Annotations:       <none>
Finalizers:        [kubernetes.io/pv-protection]
StorageClass:      my-sc
Status:            Available
Claim:             
Reclaim Policy:    Retain
Access Modes:      RWO
VolumeMode:        Filesystem
Capacity:          1Gi
Node Affinity:     
  Required Terms:  
    Term 0:        kubernetes.io/hostname in [node-a]
Message:           
Source:
    Type:          HostPath (bare host directory volume)
    Path:          /data/volumes/my-pv
    HostPathType:  
Events:            <none>
"
    );
    let csi = obj(json!({"apiVersion": "v1", "kind": "PersistentVolume",
        "metadata": {"name": "pvc-1"},
        "spec": {"storageClassName": "fast-ssd", "capacity": {"storage": "200Gi"}, "accessModes": ["ReadWriteOnce"], "persistentVolumeReclaimPolicy": "Delete",
                 "csi": {"driver": "ebs.csi.aws.com", "volumeHandle": "vol-0a1b", "fsType": "ext4",
                         "volumeAttributes": {"storage.kubernetes.io/csiProvisionerIdentity": "1767603600000-8081-ebs.csi.aws.com", "type": "gp3"}},
                 "volumeMode": "Filesystem"},
        "status": {"phase": "Bound"}}));
    let csi = add(&mut api, csi);
    // kubectl indents the attributes twice (every write is at level 2).
    assert_matches(
        &describe(&api, &csi, at(MINUTE)),
        "...
Source:
    Type:              CSI (a Container Storage Interface (CSI) volume source)
    Driver:            ebs.csi.aws.com
    FSType:            ext4
    VolumeHandle:      vol-0a1b
    ReadOnly:          false
    VolumeAttributes:      storage.kubernetes.io/csiProvisionerIdentity=1767603600000-8081-ebs.csi.aws.com
                           type=gp3
Events:                <none>",
    );
}

fn running_pod(api: &mut Api) -> Rc<Object> {
    let p = obj(json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web-0", "namespace": "default",
            "labels": {"app": "web", "apps.kubernetes.io/pod-index": "0", "controller-revision-hash": "web-5b6d7f8c9", "statefulset.kubernetes.io/pod-name": "web-0"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "uid": "sts-uid", "controller": true, "blockOwnerDeletion": true}]},
        "spec": {"nodeName": "node-a", "hostname": "web-0", "subdomain": "web",
            "containers": [{"name": "nginx", "image": "nginx:1.25", "ports": [{"containerPort": 80, "name": "web", "protocol": "TCP"}],
                            "volumeMounts": [{"name": "data", "mountPath": "/usr/share/nginx/html"}]}],
            "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data-web-0"}}]},
        "status": {"phase": "Running", "hostIP": "172.18.0.2", "hostIPs": [{"ip": "172.18.0.2"}], "podIP": "10.244.1.2", "podIPs": [{"ip": "10.244.1.2"}],
            "startTime": at(MINUTE).rfc3339(), "qosClass": "BestEffort",
            "conditions": [
                {"type": "PodReadyToStartContainers", "status": "True"}, {"type": "Initialized", "status": "True"},
                {"type": "Ready", "status": "True"}, {"type": "ContainersReady", "status": "True"}, {"type": "PodScheduled", "status": "True"}],
            "containerStatuses": [{"name": "nginx", "ready": true, "restartCount": 0, "started": true,
                "image": "docker.io/library/nginx:1.25", "imageID": "docker.io/library/nginx@sha256:0c86dddac19f2ce4fd716ac58c0fd87bf69bfd4edabfd6971fb885bafd12a00b",
                "containerID": "containerd://4c8e1f0d2b3a", "state": {"running": {"startedAt": at(MINUTE + 5 * SECOND).rfc3339()}}, "lastState": {}}]}}));
    add(api, p)
}

#[test]
fn pod_running_full_layout() {
    let mut api = api();
    let p = running_pod(&mut api);
    api.now = at(MINUTE);
    api.event(&p, "Normal", "Scheduled", "Successfully assigned default/web-0 to node-a", "default-scheduler");
    api.now = at(MINUTE + SECOND);
    api.event_from(&p, "Normal", "Pulled", "Container image \"nginx:1.25\" already present on machine", "kubelet", "node-a");
    let vol = p.as_::<Pod>().unwrap().spec.volumes[1].name.clone();
    let out = describe(&api, &p, at(3 * MINUTE));
    let expected = "Name:             web-0
Namespace:        default
Priority:         0
Service Account:  default
Node:             node-a/172.18.0.2
Start Time:       Mon, 05 Jan 2026 09:01:00 +0000
Labels:           app=web
                  apps.kubernetes.io/pod-index=0
                  controller-revision-hash=web-5b6d7f8c9
                  statefulset.kubernetes.io/pod-name=web-0
Annotations:      <none>
Status:           Running
IP:               10.244.1.2
IPs:
  IP:           10.244.1.2
Controlled By:  StatefulSet/web
Containers:
  nginx:
    Container ID:   containerd://4c8e1f0d2b3a
    Image:          nginx:1.25
    Image ID:       docker.io/library/nginx@sha256:0c86dddac19f2ce4fd716ac58c0fd87bf69bfd4edabfd6971fb885bafd12a00b
    Port:           80/TCP (web)
    Host Port:      0/TCP (web)
    State:          Running
      Started:      Mon, 05 Jan 2026 09:01:05 +0000
    Ready:          True
    Restart Count:  0
    Environment:    <none>
    Mounts:
      /usr/share/nginx/html from data (rw)
      /var/run/secrets/kubernetes.io/serviceaccount from VOL (ro)
Conditions:
  Type                        Status
  PodReadyToStartContainers   True 
  Initialized                 True 
  Ready                       True 
  ContainersReady             True 
  PodScheduled                True 
Volumes:
  data:
    Type:       PersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)
    ClaimName:  data-web-0
    ReadOnly:   false
  VOL:
    Type:                    Projected (a volume that contains injected data from multiple sources)
    TokenExpirationSeconds:  3607
    ConfigMapName:           kube-root-ca.crt
    Optional:                false
    DownwardAPI:             true
QoS Class:                   BestEffort
Node-Selectors:              <none>
Tolerations:                 node.kubernetes.io/not-ready:NoExecute op=Exists for 300s
                             node.kubernetes.io/unreachable:NoExecute op=Exists for 300s
Events:
  Type    Reason     Age   From               Message
  ----    ------     ----  ----               -------
  Normal  Scheduled  2m    default-scheduler  Successfully assigned default/web-0 to node-a
  Normal  Pulled     119s  kubelet            Container image \"nginx:1.25\" already present on machine
"
    .replace("VOL", &vol);
    assert_eq!(out, expected);
}

#[test]
fn pod_pending_seed003() {
    let mut api = api();
    let p = add(
        &mut api,
        obj(json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "www", "namespace": "default", "labels": {"name": "www"}},
            "spec": {"containers": [{"name": "www", "image": "nginx:1.27", "ports": [{"containerPort": 80, "name": "www", "protocol": "TCP"}],
                "volumeMounts": [{"name": "www-persistent-storage", "mountPath": "/usr/share/nginx/html"}]}],
                "volumes": [{"name": "www-persistent-storage", "persistentVolumeClaim": {"claimName": "claim-http"}}]},
            "status": {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                "message": "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. not found"}]}})),
    );
    api.event(&p, "Warning", "FailedScheduling", "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. not found", "default-scheduler");
    let out = describe(&api, &p, at(10 * SECOND));
    assert_matches(
        &out,
        "Name:             www
Namespace:        default
Priority:         0
Service Account:  default
Node:             <none>
Labels:           name=www
Annotations:      <none>
Status:           Pending
...
Events:
  Type     Reason            Age[..]From               Message
  ----     ------            ----[..]----               -------
  Warning  FailedScheduling  [..]default-scheduler  0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. not found
...",
    );
    assert_matches(
        &out,
        "...
IP:               
IPs:              <none>
Containers:
  www:
    Image:        nginx:1.27
    Port:         80/TCP (www)
    Host Port:    0/TCP (www)
    Environment:  <none>
    Mounts:
...
Conditions:
  Type           Status
  PodScheduled   False 
Volumes:
...",
    );
}

#[test]
fn pod_container_states_env_probes() {
    let mut api = api();
    let p = add(
        &mut api,
        obj(json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bad", "namespace": "default",
                "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}},
            "spec": {"nodeName": "node-b",
                "containers": [{"name": "app", "image": "busybox", "command": ["false"],
                    "env": [{"name": "A", "value": "1"}, {"name": "POD", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}},
                            {"name": "PW", "valueFrom": {"secretKeyRef": {"name": "s", "key": "password"}}},
                            {"name": "CPU", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu"}}}],
                    "envFrom": [{"configMapRef": {"name": "postgres-config"}}],
                    "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}, "requests": {"cpu": "250m", "memory": "64Mi"}},
                    "livenessProbe": {"exec": {"command": ["cat", "/tmp/healthy"]}, "initialDelaySeconds": 5, "timeoutSeconds": 1, "periodSeconds": 5, "successThreshold": 1, "failureThreshold": 3},
                    "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"}, "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3}}]},
            "status": {"phase": "Running", "hostIP": "172.18.0.3",
                "containerStatuses": [{"name": "app", "ready": false, "restartCount": 4, "image": "busybox", "imageID": "", "containerID": "containerd://x",
                    "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                    "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "startedAt": at(MINUTE).rfc3339(), "finishedAt": at(MINUTE + SECOND).rfc3339()}}}]}})),
    );
    let out = describe(&api, &p, at(3 * MINUTE));
    assert_matches(
        &out,
        "...
Annotations:      <none>
Status:           Running
...
Containers:
  app:
    Container ID:  containerd://x
    Image:         busybox
    Image ID:      
    Port:          <none>
    Host Port:     <none>
    Command:
      false
    State:          Waiting
      Reason:       CrashLoopBackOff
    Last State:     Terminated
      Reason:       Error
      Exit Code:    1
      Started:      Mon, 05 Jan 2026 09:01:00 +0000
      Finished:     Mon, 05 Jan 2026 09:01:01 +0000
    Ready:          False
    Restart Count:  4
    Limits:
      cpu:     500m
      memory:  128Mi
    Requests:
      cpu:      250m
      memory:   64Mi
    Liveness:   exec [cat /tmp/healthy] delay=5s timeout=1s period=5s #success=1 #failure=3
    Readiness:  http-get http://:8080/healthz delay=0s timeout=1s period=10s #success=1 #failure=3
    Environment Variables from:
      postgres-config  ConfigMap  Optional: false
    Environment:
      A:    1
      POD:  bad (v1:metadata.name)
      PW:   <set to the key 'password' in secret 's'>  Optional: false
      CPU:  1 (limits.cpu)
    Mounts:
...
QoS Class:                   Burstable
...",
    );
}

#[test]
fn statefulset_and_pod_template() {
    let mut api = api();
    // Described as given (the API server's validation of templates is not
    // what this test is about).
    let s = obj(json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": "web", "namespace": "default", "uid": "sts-uid", "creationTimestamp": at(0).rfc3339()},
            "spec": {"replicas": 3, "serviceName": "web", "selector": {"matchLabels": {"app": "web"}},
                "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
                "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"terminationGracePeriodSeconds": 10,
                    "containers": [{"name": "nginx", "image": "nginx:1.25", "ports": [{"containerPort": 80, "name": "web", "protocol": "TCP"}],
                                    "volumeMounts": [{"name": "data", "mountPath": "/usr/share/nginx/html"}]}]}},
                "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "standard",
                    "resources": {"requests": {"storage": "1Gi"}}}}]},
            "status": {"replicas": 3, "readyReplicas": 3, "availableReplicas": 3}}));
    let pod = running_pod(&mut api);
    assert_eq!(pod.meta().controller_ref().unwrap().uid, "sts-uid");
    let out = describe(&api, &s, at(MINUTE));
    assert_eq!(
        out,
        "Name:               web
Namespace:          default
CreationTimestamp:  Mon, 05 Jan 2026 09:00:00 +0000
Selector:           app=web
Labels:             <none>
Annotations:        <none>
Replicas:           3 desired | 3 total
Update Strategy:    RollingUpdate
  Partition:        0
Pods Status:        1 Running / 0 Waiting / 0 Succeeded / 0 Failed
Pod Template:
  Labels:  app=web
  Containers:
   nginx:
    Image:        nginx:1.25
    Port:         80/TCP (web)
    Host Port:    0/TCP (web)
    Environment:  <none>
    Mounts:
      /usr/share/nginx/html from data (rw)
  Volumes:         <none>
  Node-Selectors:  <none>
  Tolerations:     <none>
Volume Claims:
  Name:          data
  StorageClass:  standard
  Labels:        <none>
  Annotations:   <none>
  Capacity:      1Gi
  Access Modes:  [ReadWriteOnce]
Events:          <none>
"
    );
}

#[test]
fn deployment_with_replica_sets() {
    let mut api = api();
    let template = json!({"metadata": {"labels": {"app": "pg"}}, "spec": {"containers": [{"name": "postgresql", "image": "postgres:14",
        "env": [{"name": "POSTGRES_PASSWORD", "value": "postgres"}]}]}});
    let d = add(
        &mut api,
        obj(json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "pg", "namespace": "default"},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "pg"}}, "template": template},
            "status": {"replicas": 1, "updatedReplicas": 1, "readyReplicas": 1, "availableReplicas": 1,
                "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
                               {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}]}})),
    );
    let uid = d.meta().uid.clone();
    let mut rs_template = template.clone();
    rs_template["metadata"]["labels"]["pod-template-hash"] = json!("7d9b6c5f4");
    api.now = at(SECOND);
    add(
        &mut api,
        obj(json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "pg-7d9b6c5f4", "namespace": "default",
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "pg", "uid": uid, "controller": true}]},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "pg", "pod-template-hash": "7d9b6c5f4"}}, "template": rs_template},
            "status": {"replicas": 1}})),
    );
    api.event(&d, "Normal", "ScalingReplicaSet", "Scaled up replica set pg-7d9b6c5f4 from 0 to 1", "deployment-controller");
    let out = describe(&api, &d, at(MINUTE));
    assert_eq!(
        out,
        "Name:                   pg
Namespace:              default
CreationTimestamp:      Mon, 05 Jan 2026 09:00:00 +0000
Labels:                 <none>
Annotations:            <none>
Selector:               app=pg
Replicas:               1 desired | 1 updated | 1 total | 1 available | 0 unavailable
StrategyType:           RollingUpdate
MinReadySeconds:        0
RollingUpdateStrategy:  25% max unavailable, 25% max surge
Pod Template:
  Labels:  app=pg
  Containers:
   postgresql:
    Image:      postgres:14
    Port:       <none>
    Host Port:  <none>
    Environment:
      POSTGRES_PASSWORD:  postgres
    Mounts:               <none>
  Volumes:                <none>
  Node-Selectors:         <none>
  Tolerations:            <none>
Conditions:
  Type           Status  Reason
  ----           ------  ------
  Available      True    MinimumReplicasAvailable
  Progressing    True    NewReplicaSetAvailable
OldReplicaSets:  <none>
NewReplicaSet:   pg-7d9b6c5f4 (1/1 replicas created)
Events:
  Type    Reason             Age   From                   Message
  ----    ------             ----  ----                   -------
  Normal  ScalingReplicaSet  59s   deployment-controller  Scaled up replica set pg-7d9b6c5f4 from 0 to 1
"
    );
}

#[test]
fn storage_class_service_node_and_generic() {
    let mut api = api();
    let sc = add(
        &mut api,
        obj(json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
            "metadata": {"name": "standard", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
            "provisioner": "rancher.io/local-path", "reclaimPolicy": "Delete", "volumeBindingMode": "WaitForFirstConsumer"})),
    );
    assert_eq!(
        describe(&api, &sc, at(MINUTE)),
        "Name:                  standard
IsDefaultClass:        Yes
Annotations:           storageclass.kubernetes.io/is-default-class=true
Provisioner:           rancher.io/local-path
Parameters:            <none>
AllowVolumeExpansion:  <unset>
MountOptions:          <none>
ReclaimPolicy:         Delete
VolumeBindingMode:     WaitForFirstConsumer
Events:                <none>
"
    );

    let svc = add(
        &mut api,
        obj(json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "default"},
            "spec": {"clusterIP": "None", "type": "ClusterIP", "sessionAffinity": "None", "selector": {"app": "web"},
                "ports": [{"name": "web", "port": 80, "protocol": "TCP", "targetPort": 80}]}})),
    );
    api.create(Object::Endpoints(Endpoints {
        metadata: ObjectMeta::named("default", "web"),
        subsets: vec![EndpointSubset {
            addresses: vec![
                EndpointAddress { ip: "10.244.1.2".into(), ..Default::default() },
                EndpointAddress { ip: "10.244.2.2".into(), ..Default::default() },
            ],
            ports: vec![EndpointPort { name: "web".into(), port: 80, protocol: "TCP".into(), ..Default::default() }],
            ..Default::default()
        }],
        ..Default::default()
    }))
    .unwrap();
    assert_eq!(
        describe(&api, &svc, at(MINUTE)),
        "Name:                     web
Namespace:                default
Labels:                   <none>
Annotations:              <none>
Selector:                 app=web
Type:                     ClusterIP
IP Family Policy:         SingleStack
IP Families:              IPv4
IP:                       None
IPs:                      None
Port:                     web  80/TCP
TargetPort:               80/TCP
Endpoints:                10.244.1.2:80,10.244.2.2:80
Session Affinity:         None
Internal Traffic Policy:  Cluster
Events:                   <none>
"
    );

    let node = add(
        &mut api,
        obj(json!({"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": "node-a", "labels": {"kubernetes.io/hostname": "node-a", "topology.kubernetes.io/zone": "zone-a"}},
            "spec": {"podCIDR": "10.244.1.0/24", "podCIDRs": ["10.244.1.0/24"], "taints": [{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}], "unschedulable": true},
            "status": {"capacity": {"cpu": "4", "memory": "16Gi", "pods": "110", "ephemeral-storage": "100Gi"},
                "allocatable": {"cpu": "4", "memory": "16Gi", "pods": "110", "ephemeral-storage": "100Gi"},
                "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status",
                    "lastHeartbeatTime": at(MINUTE).rfc3339(), "lastTransitionTime": at(0).rfc3339()}],
                "addresses": [{"type": "InternalIP", "address": "172.18.0.2"}, {"type": "Hostname", "address": "node-a"}],
                "nodeInfo": {"machineID": "m", "systemUUID": "s", "bootID": "b", "kernelVersion": "6.1.0", "osImage": "Debian GNU/Linux 12 (bookworm)",
                    "containerRuntimeVersion": "containerd://2.1.0", "kubeletVersion": "v1.36.0", "kubeProxyVersion": "", "operatingSystem": "linux", "architecture": "amd64"}}})),
    );
    let mut p = (*running_pod(&mut api)).clone();
    if let Object::Pod(pp) = &mut p {
        pp.metadata.name = "busy".into();
        pp.spec.containers[0].resources.requests.insert("cpu".into(), crate::engine::quantity::Quantity::parse("500m").unwrap());
    }
    api.create(p).unwrap();
    let out = describe(&api, &node, at(MINUTE));
    assert_matches(
        &out,
        "Name:               node-a
Roles:              <none>
Labels:             kubernetes.io/hostname=node-a
                    topology.kubernetes.io/zone=zone-a
Annotations:        <none>
CreationTimestamp:  Mon, 05 Jan 2026 09:00:00 +0000
Taints:             node.kubernetes.io/unschedulable:NoSchedule
Unschedulable:      true
Lease:              Failed to get lease: leases.coordination.k8s.io \"node-a\" not found
Conditions:
  Type    Status  LastHeartbeatTime                 LastTransitionTime                Reason         Message
  ----    ------  -----------------                 ------------------                ------         -------
  Ready   True    Mon, 05 Jan 2026 09:01:00 +0000   Mon, 05 Jan 2026 09:00:00 +0000   KubeletReady   kubelet is posting ready status
Addresses:
  InternalIP:  172.18.0.2
  Hostname:    node-a
Capacity:
  cpu:                4
  ephemeral-storage:  100Gi
  memory:             16Gi
  pods:               110
Allocatable:
  cpu:                4
  ephemeral-storage:  100Gi
  memory:             16Gi
  pods:               110
System Info:
  Machine ID:                 m
  System UUID:                s
  Boot ID:                    b
  Kernel Version:             6.1.0
  OS Image:                   Debian GNU/Linux 12 (bookworm)
  Operating System:           linux
  Architecture:               amd64
  Container Runtime Version:  containerd://2.1.0
  Kubelet Version:            v1.36.0
PodCIDR:                      10.244.1.0/24
PodCIDRs:                     10.244.1.0/24
Non-terminated Pods:          (2 in total)
  Namespace                   Name     CPU Requests  CPU Limits  Memory Requests  Memory Limits  Age
  ---------                   ----     ------------  ----------  ---------------  -------------  ---
  default                     busy     500m (12%)    0 (0%)      0 (0%)           0 (0%)         60s
  default                     web-0    0 (0%)        0 (0%)      0 (0%)           0 (0%)         60s
Allocated resources:
  (Total limits may be over 100 percent, i.e., overcommitted.)
  Resource           Requests    Limits
  --------           --------    ------
  cpu                500m (12%)  0 (0%)
  memory             0 (0%)      0 (0%)
  ephemeral-storage  0 (0%)      0 (0%)
Events:              <none>",
    );

    // The generic describer (no dedicated one in kubectl): a VolumeAttachment.
    let va = add(
        &mut api,
        obj(json!({"apiVersion": "storage.k8s.io/v1", "kind": "VolumeAttachment", "metadata": {"name": "csi-abc"},
            "spec": {"attacher": "ebs.csi.aws.com", "nodeName": "node-a", "source": {"persistentVolumeName": "pvc-1"}},
            "status": {"attached": true}})),
    );
    let out = describe(&api, &va, at(MINUTE));
    assert_matches(
        &out,
        "Name:         csi-abc
Namespace:    
Labels:       <none>
Annotations:  <none>
API Version:  storage.k8s.io/v1
Kind:         VolumeAttachment
Metadata:
  Creation Timestamp:  2026-01-05T09:00:00Z
  Resource Version:    [..]
  UID:                 [..]
Spec:
  Attacher:   ebs.csi.aws.com
  Node Name:  node-a
  Source:
    Persistent Volume Name:  pvc-1
Status:
  Attached:  true
Events:      <none>",
    );
}

#[test]
fn small_describers() {
    let mut api = api();
    let cm = add(
        &mut api,
        obj(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "postgres-config", "namespace": "default", "labels": {"app": "postgres"}},
            "data": {"POSTGRES_DB": "codewizard", "POSTGRES_USER": "codewizard"}})),
    );
    assert_eq!(
        describe(&api, &cm, at(MINUTE)),
        "Name:         postgres-config
Namespace:    default
Labels:       app=postgres
Annotations:  <none>

Data
====
POSTGRES_DB:
----
codewizard

POSTGRES_USER:
----
codewizard


BinaryData
====

Events:  <none>
"
    );
    let secret = add(
        &mut api,
        obj(json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "default"}, "type": "Opaque",
            "stringData": {"password": "admin123"}})),
    );
    assert_eq!(
        describe(&api, &secret, at(MINUTE)),
        "Name:         db
Namespace:    default
Labels:       <none>
Annotations:  <none>

Type:  Opaque

Data
====
password:  8 bytes
"
    );
    let ns = api.get(Kind::Namespace, "", "default").unwrap();
    assert_eq!(
        describe(&api, &ns, at(MINUTE)),
        "Name:         default
Labels:       kubernetes.io/metadata.name=default
Annotations:  <none>
Status:       Active

No resource quota.

No LimitRange resource.
"
    );
    let pdb = add(
        &mut api,
        obj(json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "web", "namespace": "default"},
            "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "web"}}},
            "status": {"disruptionsAllowed": 1, "currentHealthy": 3, "desiredHealthy": 2, "expectedPods": 3}})),
    );
    assert_eq!(
        describe(&api, &pdb, at(MINUTE)),
        "Name:           web
Namespace:      default
Min available:  2
Selector:       app=web
Status:
    Allowed disruptions:  1
    Current:              3
    Desired:              2
    Total:                3
Events:                   <none>
"
    );
    let quota = add(
        &mut api,
        obj(json!({"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "storage", "namespace": "default"},
            "spec": {"hard": {"requests.storage": "10Gi", "persistentvolumeclaims": "5"}},
            "status": {"hard": {"requests.storage": "10Gi", "persistentvolumeclaims": "5"}, "used": {"requests.storage": "3Gi", "persistentvolumeclaims": "2"}}})),
    );
    assert_eq!(
        describe(&api, &quota, at(MINUTE)),
        "Name:                   storage
Namespace:              default
Resource                Used  Hard
--------                ----  ----
persistentvolumeclaims  2     5
requests.storage        3Gi   10Gi
"
    );
}

#[test]
fn smart_labels() {
    assert_eq!(smart_label("apiVersion"), "API Version");
    assert_eq!(smart_label("persistentVolumeName"), "Persistent Volume Name");
    assert_eq!(smart_label("uid"), "UID");
    assert_eq!(smart_label("nodeID"), "Node ID");
    assert_eq!(smart_label("holderIdentity"), "Holder Identity");
    assert_eq!(smart_label("kind"), "Kind");
    assert_eq!(smart_label("ca.crt"), "ca.crt");
}

#[test]
fn more_describers() {
    let mut api = api();
    let sa = add(&mut api, obj(json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": "default"}})));
    assert_eq!(
        describe(&api, &sa, at(MINUTE)),
        "Name:                default
Namespace:           default
Labels:              <none>
Annotations:         <none>
Image pull secrets:  <none>
Events:              <none>
"
    );
    let ep = add(
        &mut api,
        obj(json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "web", "namespace": "default"},
            "subsets": [{"addresses": [{"ip": "10.244.1.2"}], "notReadyAddresses": [{"ip": "10.244.2.2"}], "ports": [{"name": "web", "port": 80, "protocol": "TCP"}]}]})),
    );
    assert_eq!(
        describe(&api, &ep, at(MINUTE)),
        "Name:         web
Namespace:    default
Labels:       <none>
Annotations:  <none>
Subsets:
  Addresses:          10.244.1.2
  NotReadyAddresses:  10.244.2.2
  Ports:
    Name  Port  Protocol
    ----  ----  --------
    web   80    TCP

Events:  <none>
"
    );
    let csinode = add(
        &mut api,
        obj(json!({"apiVersion": "storage.k8s.io/v1", "kind": "CSINode", "metadata": {"name": "node-a"},
            "spec": {"drivers": [{"name": "ebs.csi.aws.com", "nodeID": "node-a", "topologyKeys": ["topology.kubernetes.io/zone"], "allocatable": {"count": 25}}]}})),
    );
    assert_eq!(
        describe(&api, &csinode, at(MINUTE)),
        "Name:               node-a
Labels:             <none>
Annotations:        <none>
CreationTimestamp:  Mon, 05 Jan 2026 09:00:00 +0000
Spec:
  Drivers:
    ebs.csi.aws.com:
      Node ID:  node-a
      Allocatables:
        Count:        25
      Topology Keys:  [topology.kubernetes.io/zone]
Events:               <none>
"
    );
    let lease = add(
        &mut api,
        obj(json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "node-a", "namespace": "kube-node-lease"},
            "spec": {"holderIdentity": "node-a", "leaseDurationSeconds": 40, "renewTime": "2026-01-05T09:00:30.000000Z"}})),
    );
    assert_matches(
        &describe(&api, &lease, at(MINUTE)),
        "Name:         node-a
Namespace:    kube-node-lease
Labels:       <none>
Annotations:  <none>
API Version:  coordination.k8s.io/v1
Kind:         Lease
Metadata:
  Creation Timestamp:  2026-01-05T09:00:00Z
  Resource Version:    [..]
  UID:                 [..]
Spec:
  Holder Identity:         node-a
  Lease Duration Seconds:  40
  Renew Time:              2026-01-05T09:00:30.000000Z
Events:                    <none>",
    );
    // A node with its lease now shows it.
    let node = add(&mut api, obj(json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-a"}})));
    assert_matches(
        &describe(&api, &node, at(MINUTE)),
        "...
Lease:
  HolderIdentity:  node-a
  AcquireTime:     <unset>
  RenewTime:       Mon, 05 Jan 2026 09:00:30 +0000
...",
    );
}

#[test]
fn terminating_pod_and_ephemeral_volume() {
    let mut api = api();
    let p = add(
        &mut api,
        obj(json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "eph", "namespace": "default"},
            "spec": {"automountServiceAccountToken": false, "containers": [{"name": "c", "image": "busybox"}],
                "volumes": [{"name": "scratch", "ephemeral": {"volumeClaimTemplate": {"metadata": {"labels": {"type": "scratch"}},
                    "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "standard", "resources": {"requests": {"storage": "1Gi"}}}}}},
                    {"name": "cache", "emptyDir": {"sizeLimit": "500Mi"}}, {"name": "host", "hostPath": {"path": "/var/log", "type": "Directory"}}]}})),
    );
    let mut terminating = (*p).clone();
    terminating.meta_mut().deletion_timestamp = Some(at(MINUTE + 30 * SECOND));
    terminating.meta_mut().deletion_grace_period_seconds = Some(30);
    let out = describe(&api, &terminating, at(MINUTE));
    // The claim template goes through a nested writer, which indents what is
    // written but not WriteLine's text: the label is indented, `<none>` is not.
    assert_matches(
        &out,
        "...
Status:                    Terminating (lasts <invalid>)
Termination Grace Period:  30s
...
Volumes:
  scratch:
    Type:          EphemeralVolume (an inline specification for a volume that gets created and deleted with the pod)
    StorageClass:  standard
    Volume:        
    Labels:            type=scratch
    Annotations:   <none>
    Capacity:      
    Access Modes:  
  cache:
    Type:       EmptyDir (a temporary directory that shares a pod's lifetime)
    Medium:     
    SizeLimit:  500Mi
  host:
    Type:          HostPath (bare host directory volume)
    Path:          /var/log
    HostPathType:  Directory
QoS Class:         BestEffort
...",
    );
}
