//! Admission plugins the default kube-apiserver runs, and the allocators of
//! the service registry: ServiceAccount (token volume), DefaultTolerationSeconds,
//! Priority, DefaultStorageClass, StorageObjectInUseProtection,
//! PersistentVolumeClaimResize, ResourceQuota (storage), PodTopologyLabels,
//! ClusterIP and NodePort allocation, and API warnings (deprecated Recycle).
//! ARCHITECTURE.md lists every plugin 1.36 runs by default and which of
//! them the engine applies.

use super::{Api, ApiError, Reason};
use crate::engine::api::*;
use crate::engine::quantity::Quantity;
use serde_json::json;
use std::collections::BTreeSet;

/// Service IP and node port allocation (10.96.0.0/12, 30000-32767).
#[derive(Clone, Debug, Default)]
pub struct Allocators {
    pub cluster_ips: BTreeSet<u32>,
    pub node_ports: BTreeSet<i32>,
}

const SERVICE_CIDR_BASE: u32 = (10 << 24) | (96 << 16);
const SERVICE_CIDR_SIZE: u32 = 1 << 20;

pub fn ip_string(ip: u32) -> String {
    format!("{}.{}.{}.{}", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255)
}

fn parse_ip(s: &str) -> Option<u32> {
    let parts: Vec<u32> = s.split('.').map(|p| p.parse().ok()).collect::<Option<Vec<_>>>()?;
    (parts.len() == 4 && parts.iter().all(|p| *p < 256)).then(|| (parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3])
}

/// The pod's QoS class (v1qos.GetPodQOS, simplified to requests/limits of cpu and memory).
pub fn qos_class(spec: &PodSpec) -> String {
    let mut any = false;
    let mut guaranteed = true;
    for c in &spec.containers {
        for r in ["cpu", "memory"] {
            let req = c.resources.requests.get(r);
            let lim = c.resources.limits.get(r);
            if req.is_some() || lim.is_some() {
                any = true;
            }
            match (req, lim) {
                (Some(a), Some(b)) if a == b => {}
                (None, Some(_)) => {}
                _ => guaranteed = false,
            }
        }
    }
    if !any {
        "BestEffort".into()
    } else if guaranteed {
        "Guaranteed".into()
    } else {
        "Burstable".into()
    }
}

/// `admission.NewForbidden`'s name for an object being created: mutating
/// admission runs before the name is generated, so a `generateName` object
/// is named by its prefix.
fn admission_name(m: &ObjectMeta, generated: bool) -> &str {
    if generated { &m.generate_name } else { &m.name }
}

/// `generated`: the object's name came from its generateName.
pub fn mutate_create(api: &mut Api, obj: &mut Object, generated: bool, warnings: &mut Vec<String>) -> Result<(), ApiError> {
    match obj {
        Object::Pod(p) => {
            // Priority
            p.spec.priority.get_or_insert(0);
            p.spec.preemption_policy.get_or_insert_with(|| "PreemptLowerPriority".into());
            // ServiceAccount (plugin/pkg/admission/serviceaccount, Admit): the
            // account must exist. `default` is made by the serviceaccount
            // controller as soon as the namespace exists and the plugin
            // retries the lookup of that one, so it always counts as there.
            if p.spec.service_account_name.is_empty() {
                p.spec.service_account_name = "default".into();
            }
            p.spec.service_account = p.spec.service_account_name.clone();
            let ns = &p.metadata.namespace;
            let sa = api.store.get_t::<ServiceAccount>(ns, &p.spec.service_account_name);
            if sa.is_none() && p.spec.service_account_name != "default" {
                return Err(ApiError::new(
                    Reason::Forbidden,
                    format!(
                        "pods \"{}\" is forbidden: error looking up service account {ns}/{}: serviceaccount \"{}\" not found",
                        admission_name(&p.metadata, generated),
                        p.spec.service_account_name,
                        p.spec.service_account_name
                    ),
                ));
            }
            // shouldAutomount: the pod's field, else the account's, else true.
            let automount = p.spec.automount_service_account_token.or(sa.and_then(|s| s.automount_service_account_token)).unwrap_or(true);
            if p.spec.image_pull_secrets.is_empty() {
                p.spec.image_pull_secrets = sa.map(|s| s.image_pull_secrets.clone()).unwrap_or_default();
            }
            if automount {
                mount_service_account_token(api, p);
            }
            // PodTopologyLabels: a pod created already bound gets its node's
            // topology labels, without overwriting its own (admitPod).
            if !p.spec.node_name.is_empty() {
                for (k, v) in topology_labels(api, &p.spec.node_name) {
                    p.metadata.labels.entry(k).or_insert(v);
                }
            }
            // DefaultTolerationSeconds
            for key in ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"] {
                let has = p
                    .spec
                    .tolerations
                    .iter()
                    .any(|t| (t.key == key || (t.key.is_empty() && t.operator == "Exists")) && (t.effect.is_empty() || t.effect == "NoExecute"));
                if !has {
                    p.spec.tolerations.push(Toleration {
                        key: key.into(),
                        operator: "Exists".into(),
                        effect: "NoExecute".into(),
                        toleration_seconds: Some(300),
                        ..Default::default()
                    });
                }
            }
        }
        Object::PersistentVolumeClaim(c) => {
            // DefaultStorageClass: only when the field is absent (nil), not "".
            if c.spec.storage_class_name.is_none() {
                if let Some(sc) = default_storage_class(api) {
                    c.spec.storage_class_name = Some(sc);
                }
            }
            // StorageObjectInUseProtection
            c.metadata.add_finalizer("kubernetes.io/pvc-protection");
        }
        Object::PersistentVolume(v) => {
            v.metadata.add_finalizer("kubernetes.io/pv-protection");
            if v.spec.persistent_volume_reclaim_policy == "Recycle" {
                warnings.push("spec.persistentVolumeReclaimPolicy: The Recycle reclaim policy is deprecated. Instead, the recommended approach is to use dynamic provisioning.".into());
            }
        }
        Object::Service(s) => allocate_service(api, s)?,
        Object::Secret(s) => {
            for (k, v) in std::mem::take(&mut s.string_data) {
                s.data.insert(k, crate::engine::base64::encode(v.as_bytes()));
            }
        }
        Object::Namespace(n) => {
            n.spec.finalizers = vec!["kubernetes".into()];
        }
        _ => {}
    }
    Ok(())
}

/// NamespaceLifecycle's immortal namespaces (Register in
/// staging/src/k8s.io/apiserver/pkg/admission/plugin/namespace/lifecycle).
pub fn validate_delete(kind: Kind, name: &str) -> Result<(), ApiError> {
    if kind == Kind::Namespace && matches!(name, "default" | "kube-system" | "kube-public") {
        return Err(ApiError::new(Reason::Forbidden, format!("namespaces \"{name}\" is forbidden: this namespace may not be deleted")));
    }
    Ok(())
}

/// PodTopologyLabels (plugin/pkg/admission/podtopologylabels, on by default
/// since 1.35 with the PodTopologyLabelsAdmission gate): the labels of `node`
/// that a pod bound to it receives, `topology.kubernetes.io/zone` and
/// `topology.kubernetes.io/region`. A node that does not exist gives none.
pub fn topology_labels(api: &Api, node: &str) -> Vec<(String, String)> {
    const LABELS: [&str; 2] = ["topology.kubernetes.io/region", "topology.kubernetes.io/zone"];
    let Some(n) = api.store.get_t::<Node>("", node) else { return vec![] };
    LABELS.iter().filter_map(|k| n.metadata.labels.get(*k).map(|v| (k.to_string(), v.clone()))).collect()
}

/// The newest default StorageClass (by creation time, then name), as 1.36's
/// admission plugin picks when several are marked default.
pub fn default_storage_class(api: &Api) -> Option<String> {
    api.store
        .list_t::<StorageClass>()
        .filter(|s| s.is_default())
        .max_by(|a, b| a.metadata.creation_timestamp.cmp(&b.metadata.creation_timestamp).then_with(|| b.metadata.name.cmp(&a.metadata.name)))
        .map(|s| s.metadata.name.clone())
}

fn mount_service_account_token(api: &mut Api, p: &mut Pod) {
    const PATH: &str = "/var/run/secrets/kubernetes.io/serviceaccount";
    let existing = p.spec.volumes.iter().find(|v| v.name.starts_with("kube-api-access-")).map(|v| v.name.clone());
    let name = existing.clone().unwrap_or_else(|| format!("kube-api-access-{}", api.rng.string(5)));
    let mut needs = false;
    for c in p.spec.init_containers.iter_mut().chain(p.spec.containers.iter_mut()) {
        if !c.volume_mounts.iter().any(|m| m.mount_path == PATH) {
            c.volume_mounts.push(VolumeMount { name: name.clone(), read_only: true, mount_path: PATH.into(), ..Default::default() });
            needs = true;
        }
    }
    if existing.is_none() && needs {
        p.spec.volumes.push(Volume {
            name,
            projected: Some(json!({
                "defaultMode": 420,
                "sources": [
                    {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                    {"configMap": {"items": [{"key": "ca.crt", "path": "ca.crt"}], "name": "kube-root-ca.crt"}},
                    {"downwardAPI": {"items": [{"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}, "path": "namespace"}]}}
                ]
            })),
            ..Default::default()
        });
    }
}

fn allocate_service(api: &mut Api, s: &mut Service) -> Result<(), ApiError> {
    if s.spec.type_ == "ExternalName" {
        return Ok(());
    }
    if s.spec.cluster_ip.is_empty() {
        // random within the range, as the bitmap allocator does
        let ip = loop {
            let off = 10 + api.rng.below((SERVICE_CIDR_SIZE - 20) as u64) as u32;
            let ip = SERVICE_CIDR_BASE + off;
            if !api.alloc.cluster_ips.contains(&ip) {
                break ip;
            }
        };
        api.alloc.cluster_ips.insert(ip);
        s.spec.cluster_ip = ip_string(ip);
    } else if s.spec.cluster_ip != "None" {
        let Some(ip) = parse_ip(&s.spec.cluster_ip) else {
            return Err(ApiError::new(
                Reason::Invalid,
                format!("Service \"{}\" is invalid: spec.clusterIPs[0]: Invalid value: \"{}\": must be a valid IP address", s.metadata.name, s.spec.cluster_ip),
            ));
        };
        if !api.alloc.cluster_ips.insert(ip) {
            return Err(ApiError::new(
                Reason::Invalid,
                format!(
                    "Service \"{}\" is invalid: spec.clusterIPs: Invalid value: []string{{\"{}\"}}: failed to allocate IP {}: provided IP is already allocated",
                    s.metadata.name, s.spec.cluster_ip, s.spec.cluster_ip
                ),
            ));
        }
    }
    s.spec.cluster_ips = vec![s.spec.cluster_ip.clone()];
    if s.spec.ip_families.is_empty() {
        s.spec.ip_families = vec!["IPv4".into()];
    }
    s.spec.ip_family_policy.get_or_insert_with(|| "SingleStack".into());
    if matches!(s.spec.type_.as_str(), "NodePort" | "LoadBalancer") {
        for i in 0..s.spec.ports.len() {
            if s.spec.ports[i].node_port == 0 {
                let port = loop {
                    let p = api.rng.range(30000, 32767) as i32;
                    if !api.alloc.node_ports.contains(&p) {
                        break p;
                    }
                };
                api.alloc.node_ports.insert(port);
                s.spec.ports[i].node_port = port;
            } else if !api.alloc.node_ports.insert(s.spec.ports[i].node_port) {
                return Err(ApiError::new(
                    Reason::Invalid,
                    format!(
                        "Service \"{}\" is invalid: spec.ports[{i}].nodePort: Invalid value: {}: provided port is already allocated",
                        s.metadata.name, s.spec.ports[i].node_port
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Releases what a deleted object held (service IPs and ports).
pub fn release(api: &mut Api, obj: &Object) {
    if let Object::Service(s) = obj {
        if let Some(ip) = parse_ip(&s.spec.cluster_ip) {
            api.alloc.cluster_ips.remove(&ip);
        }
        for p in &s.spec.ports {
            if p.node_port != 0 {
                api.alloc.node_ports.remove(&p.node_port);
            }
        }
    }
}

pub fn validate_create(api: &Api, obj: &Object) -> Result<(), ApiError> {
    if let Object::PersistentVolumeClaim(c) = obj {
        check_storage_quota(
            api,
            &c.metadata.namespace,
            &c.metadata.name,
            c.spec.resources.requests.get("storage"),
            true,
            c.spec.storage_class_name.as_deref(),
        )?;
    }
    Ok(())
}

pub fn mutate_update(_api: &mut Api, old: &Object, obj: &mut Object, _warnings: &mut Vec<String>) -> Result<(), ApiError> {
    if let (Object::Pod(o), Object::Pod(n)) = (old, &mut *obj) {
        // fields set by admission at create time are kept
        if n.spec.service_account_name.is_empty() {
            n.spec.service_account_name = o.spec.service_account_name.clone();
            n.spec.service_account = o.spec.service_account.clone();
        }
    }
    if let (Object::Service(o), Object::Service(n)) = (old, &mut *obj) {
        if n.spec.cluster_ip.is_empty() {
            n.spec.cluster_ip = o.spec.cluster_ip.clone();
            n.spec.cluster_ips = o.spec.cluster_ips.clone();
        }
        if n.spec.ip_families.is_empty() {
            n.spec.ip_families = o.spec.ip_families.clone();
        }
        if n.spec.ip_family_policy.is_none() {
            n.spec.ip_family_policy = o.spec.ip_family_policy.clone();
        }
        for p in n.spec.ports.iter_mut() {
            if p.node_port == 0 {
                if let Some(op) = o.spec.ports.iter().find(|op| op.port == p.port && op.protocol == p.protocol) {
                    p.node_port = op.node_port;
                }
            }
        }
    }
    if let (Object::PersistentVolumeClaim(o), Object::PersistentVolumeClaim(n)) = (old, &mut *obj) {
        if n.spec.storage_class_name.is_none() {
            n.spec.storage_class_name = o.spec.storage_class_name.clone();
        }
    }
    Ok(())
}

pub fn validate_update(api: &Api, old: &Object, obj: &Object) -> Result<(), ApiError> {
    if let (Object::PersistentVolumeClaim(o), Object::PersistentVolumeClaim(n)) = (old, obj) {
        let old_req = o.spec.resources.requests.get("storage");
        let new_req = n.spec.resources.requests.get("storage");
        if old_req != new_req && new_req > old_req {
            // PersistentVolumeClaimResize admission
            let allowed = o
                .spec
                .storage_class_name
                .as_deref()
                .and_then(|sc| api.store.get_t::<StorageClass>("", sc))
                .is_some_and(|sc| sc.allow_volume_expansion == Some(true));
            if !allowed {
                return Err(ApiError::new(
                    Reason::Forbidden,
                    format!(
                        "persistentvolumeclaims \"{}\" is forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize",
                        n.metadata.name
                    ),
                ));
            }
            let delta = new_req.zip(old_req).map(|(a, b)| a.sub(b));
            check_storage_quota(api, &n.metadata.namespace, &n.metadata.name, delta.as_ref(), false, n.spec.storage_class_name.as_deref())?;
        }
    }
    Ok(())
}

/// ResourceQuota admission for claims: `requests.storage` and
/// `persistentvolumeclaims`, also per storage class.
fn check_storage_quota(api: &Api, ns: &str, name: &str, storage: Option<&Quantity>, new_claim: bool, class: Option<&str>) -> Result<(), ApiError> {
    for rq in api.store.list_ns_t::<ResourceQuota>(ns) {
        let mut exceeded = vec![];
        let mut requested = vec![];
        let mut used = vec![];
        let mut limited = vec![];
        let class_key = class.map(|c| format!("{c}.storageclass.storage.k8s.io/requests.storage"));
        let class_count_key = class.map(|c| format!("{c}.storageclass.storage.k8s.io/persistentvolumeclaims"));
        for (res, hard) in &rq.spec.hard {
            let add = if res == "requests.storage" || Some(res) == class_key.as_ref() {
                storage.cloned()
            } else if (res == "persistentvolumeclaims" || res == "count/persistentvolumeclaims" || Some(res) == class_count_key.as_ref()) && new_claim {
                Some(Quantity::from_units(1, Default::default()))
            } else {
                None
            };
            let Some(add) = add else { continue };
            let cur = rq.status.used.get(res).cloned().unwrap_or_default();
            if cur.add(&add) > *hard {
                exceeded.push(res.clone());
                requested.push(format!("{res}={add}"));
                used.push(format!("{res}={cur}"));
                limited.push(format!("{res}={hard}"));
            }
        }
        if !exceeded.is_empty() {
            return Err(ApiError::new(
                Reason::Forbidden,
                format!(
                    "persistentvolumeclaims \"{name}\" is forbidden: exceeded quota: {}, requested: {}, used: {}, limited: {}",
                    rq.metadata.name,
                    requested.join(","),
                    used.join(","),
                    limited.join(",")
                ),
            ));
        }
    }
    Ok(())
}

/// Bookkeeping right before a new object is stored: the quota admission
/// charges a new claim to the namespace's quotas at once, so claims created
/// in a burst (a StatefulSet's) are counted before the quota controller
/// recalculates.
pub fn after_create(api: &mut Api, obj: &mut Object) {
    if let Object::PersistentVolumeClaim(c) = obj {
        let storage = c.spec.resources.requests.get("storage").cloned().unwrap_or_default();
        let class = c.spec.storage_class_name.clone();
        let quotas: Vec<ResourceQuota> = api.store.list_ns_t::<ResourceQuota>(&c.metadata.namespace).cloned().collect();
        for mut rq in quotas {
            let mut changed = false;
            for res in rq.spec.hard.keys() {
                let class_res = |suffix: &str| class.as_ref().is_some_and(|cl| *res == format!("{cl}.storageclass.storage.k8s.io/{suffix}"));
                let add = if res == "requests.storage" || class_res("requests.storage") {
                    storage.clone()
                } else if res == "persistentvolumeclaims" || res == "count/persistentvolumeclaims" || class_res("persistentvolumeclaims") {
                    Quantity::from_units(1, Default::default())
                } else {
                    continue;
                };
                let cur = rq.status.used.get(res).cloned().unwrap_or_default();
                rq.status.used.insert(res.clone(), cur.add(&add));
                changed = true;
            }
            if changed {
                api.store.put(Object::ResourceQuota(rq));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qos() {
        let mut s = PodSpec::default();
        s.containers.push(Container::default());
        assert_eq!(qos_class(&s), "BestEffort");
        s.containers[0].resources.requests.insert("cpu".into(), Quantity::parse("100m").unwrap());
        assert_eq!(qos_class(&s), "Burstable");
    }
}
