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
use std::collections::{BTreeMap, BTreeSet};

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
            // LimitRanger (first of the mutating plugins): default requests and limits
            super::limitranger::mutate_pod(api, p);
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
            // Priority (plugin/pkg/admission/priority, admitPod): the value
            // and preemption policy come from the PriorityClass named, else
            // from the global default class, else 0 and PreemptLowerPriority.
            let (class, value, class_policy) = match establish_priority(api, &p.spec.priority_class_name) {
                Some(x) => x,
                None => {
                    let msg = format!("no PriorityClass with name {} was found", p.spec.priority_class_name);
                    return Err(ApiError::new(Reason::Forbidden, format!("pods \"{}\" is forbidden: {msg}", admission_name(&p.metadata, generated))));
                }
            };
            p.spec.priority_class_name = class;
            if let Some(given) = p.spec.priority.filter(|v| *v != value) {
                return Err(ApiError::new(
                    Reason::Forbidden,
                    format!(
                        "pods \"{}\" is forbidden: the integer value of priority ({given}) must not be provided in pod spec; priority admission controller computed {value} from the given PriorityClass name",
                        admission_name(&p.metadata, generated)
                    ),
                ));
            }
            p.spec.priority = Some(value);
            if let Some(policy) = class_policy.as_deref()
                && let Some(given) = p.spec.preemption_policy.as_deref().filter(|g| *g != policy)
            {
                return Err(ApiError::new(
                    Reason::Forbidden,
                    format!(
                        "pods \"{}\" is forbidden: the string value of PreemptionPolicy ({given}) must not be provided in pod spec; priority admission controller computed {policy} from the given PriorityClass name",
                        admission_name(&p.metadata, generated)
                    ),
                ));
            }
            if class_policy.is_some() {
                p.spec.preemption_policy = class_policy;
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
            if c.spec.storage_class_name.is_none()
                && let Some(sc) = default_storage_class(api)
            {
                c.spec.storage_class_name = Some(sc);
            }
            // StorageObjectInUseProtection
            c.metadata.add_finalizer("kubernetes.io/pvc-protection");
        }
        Object::PersistentVolume(v) => {
            v.metadata.add_finalizer("kubernetes.io/pv-protection");
            if v.spec.persistent_volume_reclaim_policy == PersistentVolumeReclaimPolicy::Recycle {
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
/// The system priority classes (pkg/apis/scheduling/v1/helpers.go):
/// name, value, description.
pub const SYSTEM_PRIORITY_CLASSES: [(&str, i32, &str); 2] = [
    ("system-node-critical", 2_000_001_000, "Used for system critical pods that must not be moved from their current node."),
    ("system-cluster-critical", 2_000_000_000, "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary."),
];

/// The scheduling API's post-start hook (pkg/registry/scheduling/rest,
/// AddSystemPriorityClasses): the system classes are created when the API
/// server starts. Their uids come from a generator seeded by their names,
/// as the bootstrap policy's do, so they move nothing of a session's.
pub fn bootstrap_priority_classes(api: &mut Api) {
    for (name, value, description) in SYSTEM_PRIORITY_CLASSES {
        let seed = crate::engine::rng::fnv32a(format!("PriorityClass//{name}").as_bytes()) as u64;
        let session = std::mem::replace(&mut api.rng, crate::engine::rng::Rng::new(seed));
        let mut body = serde_json::Map::new();
        body.insert("value".into(), value.into());
        body.insert("description".into(), description.into());
        let api_version = Kind::PriorityClass.info().api_version();
        let r = api.create(Object::Generic(Generic { kind: Kind::PriorityClass, api_version, metadata: ObjectMeta::named("", name), body }));
        api.rng = session;
        r.expect("the system priority classes are valid");
    }
}

/// getDefaultPriorityClass: the global default class with the lowest value.
fn default_priority_class(api: &Api) -> Option<&Generic> {
    api.store
        .list(Kind::PriorityClass)
        .filter_map(|o| match o.as_ref() {
            Object::Generic(g) if g.field("globalDefault").as_bool() == Some(true) => Some(g),
            _ => None,
        })
        .min_by_key(|g| g.field("value").as_i64().unwrap_or(0))
}

/// establishPriority: the class's name, value and preemption policy (a
/// stored PriorityClass; with no name, the global default, else 0 and
/// PreemptLowerPriority). None: the class named does not exist.
fn establish_priority(api: &Api, name: &str) -> Option<(String, i32, Option<String>)> {
    let class = if name.is_empty() {
        default_priority_class(api)
    } else {
        match api.store.get(Kind::PriorityClass, &ObjKey::new("", name)).map(|o| o.as_ref()) {
            Some(Object::Generic(g)) => Some(g),
            _ => None,
        }
    };
    let Some(g) = class else {
        return name.is_empty().then(|| (String::new(), 0, Some("PreemptLowerPriority".to_string())));
    };
    let value = g.field("value").as_i64().unwrap_or(0) as i32;
    Some((g.metadata.name.clone(), value, Some(g.field("preemptionPolicy").as_str().unwrap_or("PreemptLowerPriority").to_string())))
}

/// The Priority plugin's validation of a PriorityClass (validatePriorityClass):
/// only one class may be the global default.
fn validate_priority_class(api: &Api, g: &Generic) -> Result<(), ApiError> {
    if g.field("globalDefault").as_bool() != Some(true) {
        return Ok(());
    }
    match default_priority_class(api).filter(|d| d.metadata.name != g.metadata.name) {
        Some(d) => Err(ApiError::new(
            Reason::Forbidden,
            format!(
                "priorityclasses.scheduling.k8s.io \"{}\" is forbidden: PriorityClass {} is already marked as default. Only one default can exist",
                g.metadata.name, d.metadata.name
            ),
        )),
        None => Ok(()),
    }
}

pub fn validate_delete(kind: Kind, name: &str) -> Result<(), ApiError> {
    // the PriorityClass storage's Delete
    if kind == Kind::PriorityClass && SYSTEM_PRIORITY_CLASSES.iter().any(|c| c.0 == name) {
        return Err(ApiError::new(
            Reason::Forbidden,
            format!("priorityclasses.scheduling.k8s.io \"{name}\" is forbidden: this is a system priority class and cannot be deleted"),
        ));
    }
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
            projected: Some(
                json!({
                    "defaultMode": 420,
                    "sources": [
                        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                        {"configMap": {"items": [{"key": "ca.crt", "path": "ca.crt"}], "name": "kube-root-ca.crt"}},
                        {"downwardAPI": {"items": [{"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}, "path": "namespace"}]}}
                    ]
                })
                .into(),
            ),
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

/// The most Pod objects the simulated cluster holds. A real cluster's
/// documented limits are 110 pods a node and 150,000 a cluster; this one
/// lives in a browser tab, so it holds what its engine is measured at
/// (BENCHMARKS.md: 10,000 pods), some 30 times what the default three nodes
/// can run. Replicas are int32 as upstream (a Deployment of 1,000,000 is
/// valid): its controller's creates beyond this get this error, recorded
/// as FailedCreate events, and the extra replicas are simply never there.
pub const MAX_PODS: usize = 10_000;

pub fn validate_create(api: &Api, obj: &Object) -> Result<(), ApiError> {
    if let Object::Pod(p) = obj {
        let max = api.config.max_pods;
        if api.store.count(Kind::Pod) >= max {
            return Err(ApiError::new(
                crate::engine::apiserver::Reason::Forbidden,
                format!(
                    "pods {:?} is forbidden: the simulated cluster holds at most {max} pods (it runs in a browser tab); delete or scale down some first",
                    if p.metadata.name.is_empty() { &p.metadata.generate_name } else { &p.metadata.name }
                ),
            ));
        }
    }
    // LimitRanger's validation, Priority's, then ResourceQuota (the last plugin)
    match obj {
        Object::Generic(g) if g.kind == Kind::PriorityClass => validate_priority_class(api, g)?,
        Object::Pod(p) => super::limitranger::validate_pod(api, p)?,
        Object::PersistentVolumeClaim(c) => super::limitranger::validate_claim(api, c)?,
        _ => {}
    }
    check_quota(api, obj, |res| object_usage(obj, res))
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
            if p.node_port == 0
                && let Some(op) = o.spec.ports.iter().find(|op| op.port == p.port && op.protocol == p.protocol)
            {
                p.node_port = op.node_port;
            }
        }
    }
    if let (Object::PersistentVolumeClaim(o), Object::PersistentVolumeClaim(n)) = (old, &mut *obj)
        && n.spec.storage_class_name.is_none()
    {
        n.spec.storage_class_name = o.spec.storage_class_name.clone();
    }
    Ok(())
}

pub fn validate_update(api: &Api, old: &Object, obj: &Object) -> Result<(), ApiError> {
    if let Object::Generic(g) = obj
        && g.kind == Kind::PriorityClass
    {
        validate_priority_class(api, g)?;
    }
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
            // Only the growth of the request is charged.
            let delta = new_req.zip(old_req).map(|(a, b)| a.sub(b));
            check_quota(api, obj, |res| object_usage(obj, res).and(delta).filter(|_| res.ends_with("requests.storage")))?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- ResourceQuota

fn one() -> Quantity {
    Quantity::from_units(1, Default::default())
}

/// A pod counts against quota until it reaches a terminal phase (QuotaV1Pod).
pub fn pod_counts(p: &Pod) -> bool {
    !p.status.phase.is_terminal()
}

/// A pod's `requests` or `limits` of one resource: its containers' sum, or
/// the largest init container's if that is more.
pub fn pod_resource(p: &Pod, kind: &str, res: &str) -> Quantity {
    let get = |c: &Container| if kind == "limits" { c.resources.limits.get(res) } else { c.resources.requests.get(res) }.cloned();
    let sum = p.spec.containers.iter().filter_map(get).fold(Quantity::default(), |a, b| a.add(&b));
    let init_max = p.spec.init_containers.iter().filter_map(get).fold(Quantity::default(), |a, b| if b > a { b } else { a });
    if init_max > sum { init_max } else { sum }
}

/// The storage a claim is charged for: its request, or what expansion
/// already allocated if that is larger.
pub fn claim_storage(c: &PersistentVolumeClaim) -> Quantity {
    let req = c.spec.resources.requests.get("storage").cloned().unwrap_or_default();
    match c.status.allocated_resources.get("storage") {
        Some(a) if *a > req => *a,
        _ => req,
    }
}

/// Whether `resource` is the object count quota resource of `kind`
/// (generic.ObjectCountQuotaResourceNameFor: `count/<plural>` for the core
/// group, `count/<plural>.<group>` for the others); events are not counted.
pub fn counts_kind(resource: &str, kind: Kind) -> bool {
    let i = kind.info();
    let Some(r) = resource.strip_prefix("count/") else { return false };
    let plural = if i.group.is_empty() { Some(r) } else { r.strip_suffix(i.group).and_then(|p| p.strip_suffix('.')) };
    i.namespaced && kind != Kind::Event && plural == Some(i.plural)
}

/// What one object uses of a quota resource (the evaluators of
/// pkg/quota/v1/evaluator/core, and object counts `count/<resource>`, which
/// count every object, finished pods too).
pub fn object_usage(obj: &Object, resource: &str) -> Option<Quantity> {
    let kind = obj.kind();
    if counts_kind(resource, kind) {
        return Some(one());
    }
    match obj {
        Object::Pod(p) if pod_counts(p) => match resource {
            "pods" => Some(one()),
            "requests.cpu" | "cpu" => Some(pod_resource(p, "requests", "cpu")),
            "requests.memory" | "memory" => Some(pod_resource(p, "requests", "memory")),
            "limits.cpu" => Some(pod_resource(p, "limits", "cpu")),
            "limits.memory" => Some(pod_resource(p, "limits", "memory")),
            _ => None,
        },
        Object::PersistentVolumeClaim(c) => {
            let class = c
                .metadata
                .annotations
                .get("volume.beta.kubernetes.io/storage-class")
                .map(String::as_str)
                .or(c.spec.storage_class_name.as_deref())
                .unwrap_or("");
            match resource {
                "persistentvolumeclaims" => Some(one()),
                "requests.storage" => Some(claim_storage(c)),
                r => match r.split_once(".storageclass.storage.k8s.io/") {
                    Some((cl, "requests.storage")) if cl == class => Some(claim_storage(c)),
                    Some((cl, "persistentvolumeclaims")) if cl == class => Some(one()),
                    _ => None,
                },
            }
        }
        Object::Service(s) => {
            let lb = s.spec.type_ == "LoadBalancer";
            match resource {
                "services" => Some(one()),
                "services.nodeports" if lb || s.spec.type_ == "NodePort" => Some(Quantity::from_units(s.spec.ports.len() as i64, Default::default())),
                "services.loadbalancers" if lb => Some(one()),
                _ => None,
            }
        }
        Object::ConfigMap(_) if resource == "configmaps" => Some(one()),
        Object::Secret(_) if resource == "secrets" => Some(one()),
        Object::ResourceQuota(_) if resource == "resourcequotas" => Some(one()),
        Object::Generic(g) if g.kind == Kind::ReplicationController && resource == "replicationcontrollers" => Some(one()),
        _ => None,
    }
}

/// The resources whose quota makes every container of a pod state them
/// (the pod evaluator's Constraints: a compatibility requirement).
const MUST_SPECIFY: [&str; 6] = ["cpu", "limits.cpu", "limits.memory", "memory", "requests.cpu", "requests.memory"];

/// ResourceQuota admission (plugin/pkg/admission/resourcequota): refuses
/// what would take a namespace's usage (the quotas' status.used) over a
/// quota's hard limit; with a quota on cpu or memory, also a pod whose
/// containers do not all state them. `delta` is what the request adds.
fn check_quota(api: &Api, obj: &Object, delta: impl Fn(&str) -> Option<Quantity>) -> Result<(), ApiError> {
    let m = obj.meta();
    if !obj.kind().namespaced() {
        return Ok(());
    }
    let forbidden = |msg: String| ApiError::new(Reason::Forbidden, format!("{} \"{}\" is forbidden: {msg}", obj.kind().info().qualified_plural(), m.name));
    for rq in api.store.list_ns_t::<ResourceQuota>(&m.namespace) {
        if let Object::Pod(p) = obj {
            let mut missing: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
            for res in MUST_SPECIFY.iter().filter(|r| rq.spec.hard.contains_key(**r)) {
                let (list, name) = match res.split_once('.') {
                    Some(("limits", n)) => ("limits", n),
                    Some((_, n)) => ("requests", n),
                    None => ("requests", *res),
                };
                for c in p.spec.init_containers.iter().chain(&p.spec.containers) {
                    let set = if list == "limits" { &c.resources.limits } else { &c.resources.requests };
                    if !set.contains_key(name) {
                        missing.entry(res).or_default().push(&c.name);
                    }
                }
            }
            if !missing.is_empty() {
                let parts: Vec<String> = missing
                    .iter_mut()
                    .map(|(r, names)| {
                        crate::engine::sort::sort(names);
                        names.dedup();
                        format!("{r} for: {}", names.join(","))
                    })
                    .collect();
                return Err(forbidden(format!("failed quota: {}: must specify {}", rq.metadata.name, parts.join("; "))));
            }
        }
        let (mut requested, mut used, mut limited) = (vec![], vec![], vec![]);
        for (res, hard) in &rq.spec.hard {
            let Some(add) = delta(res).filter(|q| !q.is_zero()) else { continue };
            let cur = rq.status.used.get(res).cloned().unwrap_or_default();
            if cur.add(&add) > *hard {
                requested.push(format!("{res}={add}"));
                used.push(format!("{res}={cur}"));
                limited.push(format!("{res}={hard}"));
            }
        }
        if !requested.is_empty() {
            return Err(forbidden(format!(
                "exceeded quota: {}, requested: {}, used: {}, limited: {}",
                rq.metadata.name,
                requested.join(","),
                used.join(","),
                limited.join(",")
            )));
        }
    }
    Ok(())
}

/// Bookkeeping right before a new object is stored: the quota admission
/// charges it to the namespace's quotas at once, so objects created in a
/// burst (a StatefulSet's claims, a ReplicaSet's pods) are counted before
/// the quota controller recalculates.
pub fn after_create(api: &mut Api, obj: &mut Object) {
    if !obj.kind().namespaced() {
        return;
    }
    let quotas: Vec<ResourceQuota> = api.store.list_ns_t::<ResourceQuota>(&obj.meta().namespace).cloned().collect();
    for mut rq in quotas {
        let mut changed = false;
        for res in rq.spec.hard.keys() {
            let Some(add) = object_usage(obj, res) else { continue };
            let cur = rq.status.used.get(res).cloned().unwrap_or_default();
            rq.status.used.insert(res.clone(), cur.add(&add));
            changed = true;
        }
        if changed {
            api.store.put(Object::ResourceQuota(rq));
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
