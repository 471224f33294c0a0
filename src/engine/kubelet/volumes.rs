//! The kubelet's volume manager, reduced to what decides whether a pod can
//! start: claims bound to volumes, attachable CSI volumes reported in the
//! node's volumesInUse and attached to it (the storage module's
//! attachment_ready / can_mount rules), node plugins installed;
//! and the contents of configMap / secret / projected / downwardAPI volumes,
//! written as read-only trees.

use super::env::{Placement, field_value};
use crate::engine::api::*;
use crate::engine::apiserver::Api;
use crate::engine::base64::decode_text as base64_decode;
use crate::engine::fs::Mount;
use crate::engine::storage;
use crate::engine::world::{FileTree, VolumeId, World};
use serde_json::Value;

/// Where a pod's volumes stand.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VolCheck {
    /// Pod volume names not mounted yet.
    pub unmounted: Vec<String>,
    /// ... of which these wait for an attach.
    pub unattached: Vec<String>,
    /// ... and these could not even be processed (claim missing or unbound).
    pub unprocessed: Vec<String>,
    /// The first processing error (for the timeout message).
    pub process_error: Option<String>,
    /// Mount operation errors, as FailedMount event messages.
    pub mount_errors: Vec<String>,
}

impl VolCheck {
    pub fn ready(&self) -> bool {
        self.unmounted.is_empty()
    }
}

/// Checks every volume of the pod on `node`.
pub fn check(api: &Api, world: &World, pod: &Pod, node: &str) -> VolCheck {
    let mut out = VolCheck::default();
    let ns = &pod.metadata.namespace;
    for v in &pod.spec.volumes {
        let claim_name = match (&v.persistent_volume_claim, &v.ephemeral) {
            (Some(c), _) => Some(c.claim_name.clone()),
            (None, Some(_)) => Some(format!("{}-{}", pod.metadata.name, v.name)),
            _ => None,
        };
        if let Some(claim_name) = claim_name {
            let claim = api.get_t::<PersistentVolumeClaim>(ns, &claim_name);
            let pv = claim.filter(|c| !c.spec.volume_name.is_empty()).and_then(|c| api.get_t::<PersistentVolume>("", &c.spec.volume_name));
            let Some(pv) = pv else {
                let err = match claim {
                    None => format!(
                        "error processing PVC {ns}/{claim_name}: failed to fetch PVC from API server: persistentvolumeclaims \"{claim_name}\" not found"
                    ),
                    Some(c) if c.spec.volume_name.is_empty() => format!("error processing PVC {ns}/{claim_name}: PVC is not bound"),
                    Some(c) => format!(
                        "error processing PVC {ns}/{claim_name}: failed to fetch PV {} from API server: persistentvolumes \"{}\" not found",
                        c.spec.volume_name, c.spec.volume_name
                    ),
                };
                out.unmounted.push(v.name.clone());
                out.unprocessed.push(v.name.clone());
                out.process_error.get_or_insert(err);
                continue;
            };
            if storage::is_attachable(api, pv) {
                // VerifyControllerAttachedVolume: the volume must be in the
                // node's status.volumesInUse (reported at the kubelet's next
                // status sync) and attached by the attach/detach controller.
                let reported = api.get_t::<Node>("", node).is_some_and(|n| n.status.volumes_in_use.contains(&storage::unique_volume_name(pv)));
                if !reported || !storage::attachment_ready(api, pv, node) {
                    out.unmounted.push(v.name.clone());
                    out.unattached.push(v.name.clone());
                    continue;
                }
            }
            if let Err(msg) = storage::can_mount(api, world, pv, node) {
                out.unmounted.push(v.name.clone());
                out.mount_errors.push(msg);
            }
            continue;
        }
        if let Some(csi) = &v.csi {
            let driver = csi.get("driver").and_then(|d| d.as_str()).unwrap_or("");
            if !world.drivers.contains(driver) {
                out.unmounted.push(v.name.clone());
                out.mount_errors.push(format!("MountVolume.SetUp failed for volume \"{}\" : kubernetes.io/csi: mounter.SetUpAt failed to get CSI client: driver name {driver} not found in the list of registered CSI drivers", v.name));
            }
            continue;
        }
        if let Some(cm) = &v.config_map {
            if cm.optional != Some(true) && api.get_t::<ConfigMap>(ns, &cm.name).is_none() {
                out.unmounted.push(v.name.clone());
                out.mount_errors.push(format!("MountVolume.SetUp failed for volume \"{}\" : configmap \"{}\" not found", v.name, cm.name));
            }
            continue;
        }
        if let Some(s) = &v.secret {
            if s.optional != Some(true) && api.get_t::<Secret>(ns, &s.secret_name).is_none() {
                out.unmounted.push(v.name.clone());
                out.mount_errors.push(format!("MountVolume.SetUp failed for volume \"{}\" : secret \"{}\" not found", v.name, s.secret_name));
            }
            continue;
        }
    }
    crate::engine::sort::sort(&mut out.unattached);
    out
}

/// `[a b]`, as Go prints a []string.
pub fn go_list(v: &[String]) -> String {
    format!("[{}]", v.join(" "))
}

/// The FailedMount message of a pod whose volumes could not be processed
/// (a claim missing or unbound): verifyVolumesMountedFunc ends the wait at
/// once with that error and SyncPod records it. A wait that merely times
/// out records nothing (its error is wait.Interrupted).
pub fn wait_error_message(c: &VolCheck, err: &str) -> String {
    let mut unmounted = c.unmounted.clone();
    crate::engine::sort::sort(&mut unmounted);
    let mut unprocessed = c.unprocessed.clone();
    crate::engine::sort::sort(&mut unprocessed);
    format!(
        "Unable to attach or mount volumes: unmounted volumes={}, unattached volumes={}, failed to process volumes={}: {err}",
        go_list(&unmounted),
        go_list(&c.unattached),
        go_list(&unprocessed)
    )
}

/// The files of a configMap/secret-style source: `items` select and rename keys.
fn project_keys(data: &[(String, String)], items: &[Value], dir: &str, tree: &mut FileTree) {
    if items.is_empty() {
        for (k, v) in data {
            tree.files.insert(format!("{dir}/{k}"), v.clone());
        }
        return;
    }
    for it in items {
        let key = it.get("key").and_then(|k| k.as_str()).unwrap_or("");
        let path = it.get("path").and_then(|k| k.as_str()).unwrap_or(key);
        if let Some((_, v)) = data.iter().find(|(k, _)| k == key) {
            tree.files.insert(crate::engine::fs::clean(&format!("{dir}/{path}"), "/"), v.clone());
        }
    }
}

fn configmap_data(api: &Api, ns: &str, name: &str) -> Option<Vec<(String, String)>> {
    api.get_t::<ConfigMap>(ns, name)
        .map(|cm| cm.data.iter().map(|(k, v)| (k.clone(), v.clone())).chain(cm.binary_data.iter().map(|(k, v)| (k.clone(), base64_decode(v)))).collect())
}

fn secret_data(api: &Api, ns: &str, name: &str) -> Option<Vec<(String, String)>> {
    api.get_t::<Secret>(ns, name).map(|s| s.data.iter().map(|(k, v)| (k.clone(), base64_decode(v))).collect())
}

fn downward_items(pod: &Pod, items: &[Value], dir: &str, at: &Placement, tree: &mut FileTree) {
    for it in items {
        let path = it.get("path").and_then(|k| k.as_str()).unwrap_or("");
        let value = if let Some(fr) = it.get("fieldRef") {
            field_value(pod, fr.get("fieldPath").and_then(|p| p.as_str()).unwrap_or(""), at).unwrap_or_default()
        } else {
            String::new()
        };
        tree.files.insert(crate::engine::fs::clean(&format!("{dir}/{path}"), "/"), value);
    }
}

/// A service account token, as a JWT-shaped string (never validated here).
fn token(pod: &Pod) -> String {
    let body = crate::engine::base64::encode(
        format!("{{\"aud\":[\"https://kubernetes.default.svc.cluster.local\"],\"iss\":\"https://kubernetes.default.svc.cluster.local\",\"kubernetes.io\":{{\"namespace\":\"{}\",\"pod\":{{\"name\":\"{}\",\"uid\":\"{}\"}},\"serviceaccount\":{{\"name\":\"{}\"}}}},\"sub\":\"system:serviceaccount:{}:{}\"}}", pod.metadata.namespace, pod.metadata.name, pod.metadata.uid, pod.spec.service_account_name, pod.metadata.namespace, pod.spec.service_account_name).as_bytes(),
    );
    format!("eyJhbGciOiJSUzI1NiIsImtpZCI6Imt1YmFyaXVtIn0.{}.{}", body.trim_end_matches('='), super::images::hex64(&pod.metadata.uid))
}

const CA_CRT: &str = "-----BEGIN CERTIFICATE-----\nMIIBdzCCAR2gAwIBAgIBADAKBggqhkjOPQQDAjAjMSEwHwYDVQQDDBhrdWJhcml1\nbS1zZXJ2ZXItY2FAMTc2NzYwMzYwMDAeFw0yNjAxMDUwOTAwMDBaFw0zNjAxMDMw\nOTAwMDBaMCMxITAfBgNVBAMMGGt1YmFyaXVtLXNlcnZlci1jYUAxNzY3NjAzNjAw\n-----END CERTIFICATE-----\n";

/// Writes the trees of the pod's projected-style volumes (they live as
/// `EmptyDir` trees of the pod and are mounted read-only).
pub fn materialize(api: &Api, world: &mut World, pod: &Pod, at: &Placement) {
    let ns = &pod.metadata.namespace;
    for v in &pod.spec.volumes {
        let mut tree = FileTree::default();
        if let Some(cm) = &v.config_map {
            if let Some(d) = configmap_data(api, ns, &cm.name) {
                project_keys(&d, &cm.items, "", &mut tree);
            }
        } else if let Some(s) = &v.secret {
            if let Some(d) = secret_data(api, ns, &s.secret_name) {
                project_keys(&d, &s.items, "", &mut tree);
            }
        } else if let Some(da) = &v.downward_api {
            let items = da.get("items").and_then(|i| i.as_array()).cloned().unwrap_or_default();
            downward_items(pod, &items, "", at, &mut tree);
        } else if let Some(p) = &v.projected {
            for src in p.get("sources").and_then(|s| s.as_array()).cloned().unwrap_or_default() {
                let items = |x: &Value| x.get("items").and_then(|i| i.as_array()).cloned().unwrap_or_default();
                if let Some(t) = src.get("serviceAccountToken") {
                    let path = t.get("path").and_then(|p| p.as_str()).unwrap_or("token");
                    tree.files.insert(format!("/{path}"), token(pod));
                }
                if let Some(c) = src.get("configMap") {
                    let name = c.get("name").and_then(|n| n.as_str()).unwrap_or("");
                    let data = if name == "kube-root-ca.crt" && api.get_t::<ConfigMap>(ns, name).is_none() {
                        Some(vec![("ca.crt".to_string(), CA_CRT.to_string())])
                    } else {
                        configmap_data(api, ns, name)
                    };
                    if let Some(d) = data {
                        project_keys(&d, &items(c), "", &mut tree);
                    }
                }
                if let Some(s) = src.get("secret") {
                    let name = s.get("name").and_then(|n| n.as_str()).unwrap_or("");
                    if let Some(d) = secret_data(api, ns, name) {
                        project_keys(&d, &items(s), "", &mut tree);
                    }
                }
                if let Some(d) = src.get("downwardAPI") {
                    downward_items(pod, &items(d), "", at, &mut tree);
                }
            }
        } else {
            continue;
        }
        world.volumes.insert(Box::new(VolumeId::EmptyDir { pod_uid: pod.metadata.uid.clone(), volume: v.name.clone() }), Box::new(tree));
    }
}

/// Is this pod volume one the kubelet writes (and mounts read-only)?
pub fn is_projected(v: &Volume) -> bool {
    v.config_map.is_some() || v.secret.is_some() || v.downward_api.is_some() || v.projected.is_some()
}

/// The mounts of one container, resolved to where the bytes live.
pub fn mounts(api: &Api, pod: &Pod, c: &Container) -> Vec<Mount> {
    let node = &pod.spec.node_name;
    let uid = &pod.metadata.uid;
    let mut out = vec![];
    for vm in &c.volume_mounts {
        let Some(v) = pod.spec.volumes.iter().find(|v| v.name == vm.name) else { continue };
        let mut read_only = vm.read_only;
        let claim = v
            .persistent_volume_claim
            .as_ref()
            .map(|c| (c.claim_name.clone(), c.read_only))
            .or_else(|| v.ephemeral.as_ref().map(|_| (format!("{}-{}", pod.metadata.name, v.name), false)));
        let id = if let Some((claim_name, ro)) = claim {
            read_only |= ro;
            let claim = api.get_t::<PersistentVolumeClaim>(&pod.metadata.namespace, &claim_name);
            match claim.and_then(|c| api.get_t::<PersistentVolume>("", &c.spec.volume_name)) {
                Some(pv) => crate::engine::storage::volume_id_for_pv(pv, node),
                None => continue,
            }
        } else if let Some(hp) = &v.host_path {
            VolumeId::HostDir { node: node.clone(), path: hp.path.clone() }
        } else if let Some(n) = &v.nfs {
            read_only |= n.read_only;
            VolumeId::Nfs { server: n.server.clone(), path: n.path.clone() }
        } else {
            if is_projected(v) {
                read_only = true;
            }
            VolumeId::EmptyDir { pod_uid: uid.clone(), volume: v.name.clone() }
        };
        let path = crate::engine::fs::clean(&vm.mount_path, "/");
        out.push(Mount { path, volume: id, sub_path: vm.sub_path.clone(), read_only, name: vm.name.clone() });
    }
    out
}

/// Removes what died with the pod: its emptyDirs, projected trees,
/// container layers and logs.
pub fn cleanup(world: &mut World, uid: &str) {
    world.volumes.retain(|k, _| match &**k {
        VolumeId::EmptyDir { pod_uid, .. } | VolumeId::Container { pod_uid, .. } => pod_uid != uid,
        _ => true,
    });
    world.logs.retain(|(u, _, _), _| u != uid);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_error_message_uses_go_list_formatting() {
        let c = VolCheck { unmounted: vec!["logs".into(), "data".into()], unprocessed: vec!["data".into()], ..Default::default() };
        assert_eq!(
            wait_error_message(&c, "error processing PVC default/data: PVC is not bound"),
            "Unable to attach or mount volumes: unmounted volumes=[data logs], unattached volumes=[], failed to process volumes=[data]: error processing PVC default/data: PVC is not bound"
        );
    }

    #[test]
    fn configmap_items_select_keys() {
        let mut t = FileTree::default();
        let data = vec![("a".to_string(), "1".to_string()), ("b".to_string(), "2".to_string())];
        project_keys(&data, &[serde_json::json!({"key": "b", "path": "conf/b.txt"})], "", &mut t);
        assert_eq!(t.files.len(), 1);
        assert_eq!(t.files["/conf/b.txt"], "2");
        let mut all = FileTree::default();
        project_keys(&data, &[], "", &mut all);
        assert_eq!(all.files["/a"], "1");
    }
}
