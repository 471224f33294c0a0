//! Defaulting, as the API server's generated SetDefaults_* functions do it
//! (pkg/apis/{core,apps,storage,policy}/v1/defaults.go in Kubernetes 1.36).

use crate::engine::api::*;
use serde_json::{Value, json};

pub fn apply(obj: &mut Object) {
    match obj {
        Object::Pod(p) => default_pod(p),
        Object::Deployment(d) => default_deployment(d),
        Object::ReplicaSet(r) => {
            r.spec.replicas.get_or_insert(1);
            default_template(&mut r.spec.template);
        }
        Object::StatefulSet(s) => default_statefulset(s),
        Object::Service(s) => default_service(s),
        Object::PersistentVolume(v) => {
            if v.spec.persistent_volume_reclaim_policy.is_empty() {
                v.spec.persistent_volume_reclaim_policy = PersistentVolumeReclaimPolicy::Retain;
            }
            v.spec.volume_mode.get_or_insert_with(|| "Filesystem".into());
            if let Some(hp) = &mut v.spec.host_path {
                hp.type_.get_or_insert_with(String::new);
            }
            if v.status.phase.is_empty() {
                v.status.phase = PersistentVolumePhase::Pending;
            }
        }
        Object::PersistentVolumeClaim(c) => default_pvc(c),
        Object::StorageClass(sc) => {
            sc.reclaim_policy.get_or_insert(PersistentVolumeReclaimPolicy::Delete);
            sc.volume_binding_mode.get_or_insert(VolumeBindingMode::Immediate);
        }
        Object::CsiDriver(d) => {
            let s = &mut d.spec;
            s.attach_required.get_or_insert(true);
            s.pod_info_on_mount.get_or_insert(false);
            s.storage_capacity.get_or_insert(false);
            s.fs_group_policy.get_or_insert_with(|| "ReadWriteOnceWithFSType".into());
            if s.volume_lifecycle_modes.is_empty() {
                s.volume_lifecycle_modes.push("Persistent".into());
            }
            s.requires_republish.get_or_insert(false);
            s.se_linux_mount.get_or_insert(false);
        }
        Object::Namespace(n) => {
            if !n.metadata.name.is_empty() {
                n.metadata.labels.insert("kubernetes.io/metadata.name".into(), n.metadata.name.clone());
            }
            if n.spec.finalizers.is_empty() && n.metadata.deletion_timestamp.is_none() && n.metadata.uid.is_empty() {
                n.spec.finalizers.push("kubernetes".into());
            }
        }
        Object::Secret(s) if s.type_.is_empty() => {
            s.type_ = "Opaque".into();
        }
        Object::Endpoints(e) => {
            for ss in &mut e.subsets {
                for p in &mut ss.ports {
                    if p.protocol.is_empty() {
                        p.protocol = "TCP".into();
                    }
                }
            }
        }
        Object::PodDisruptionBudget(p) if p.spec.min_available.is_none() && p.spec.max_unavailable.is_none() => {
            p.spec.min_available = Some(IntOrString::Int(1));
        }
        Object::Generic(g) => default_generic(g),
        _ => {}
    }
}

/// Sets `v[k]` when it is absent (a defaulted pointer field).
fn or(v: &mut Value, k: &str, d: Value) {
    if v[k].is_null() {
        v[k] = d;
    }
}

/// Adds what `defaults` has and `v` lacks, keeping everything `v` has
/// (fields the typed defaulter does not model included).
fn fill_missing(v: &mut Value, defaults: Value) {
    match (v, defaults) {
        (Value::Object(m), Value::Object(d)) => {
            for (k, dv) in d {
                match m.get_mut(&k) {
                    Some(mv) => fill_missing(mv, dv),
                    None => {
                        m.insert(k, dv);
                    }
                }
            }
        }
        (Value::Array(a), Value::Array(d)) if a.len() == d.len() => {
            for (x, dx) in a.iter_mut().zip(d) {
                fill_missing(x, dx);
            }
        }
        _ => {}
    }
}

/// A pod template held as JSON (a Job's, a DaemonSet's...) gets the pod
/// defaults a typed template gets (SetDefaults_PodSpec and the rest).
fn default_template_json(v: &mut Value) {
    if !v.is_object() {
        return;
    }
    let Some(mut t) = crate::engine::decode::from_json::<PodTemplateSpec>(v) else { return };
    default_template(&mut t);
    fill_missing(v, to_json(&t));
}

/// The kinds stored as JSON: batch/v1, apps/v1 DaemonSet, core/v1
/// ReplicationController, autoscaling/v2, networking/v1 defaults.go.
fn default_generic(g: &mut Generic) {
    use Kind::*;
    if g.kind == LimitRange {
        if let Some(spec) = g.body.get_mut("spec") {
            super::limitranger::default_items(spec);
        }
        return;
    }
    // SetDefaults_PriorityClass
    if g.kind == PriorityClass {
        g.body.entry("preemptionPolicy").or_insert_with(|| json!("PreemptLowerPriority"));
        return;
    }
    if !matches!(g.kind, Job | CronJob | DaemonSet | ReplicationController | HorizontalPodAutoscaler | NetworkPolicy | IngressClass) {
        return;
    }
    let v2 = g.api_version == "autoscaling/v2";
    // a struct, not a pointer, in Go: always there
    let spec = g.body.entry("spec").or_insert_with(|| json!({}));
    match g.kind {
        Job => {
            if spec["completions"].is_null() && spec["parallelism"].is_null() {
                spec["completions"] = json!(1);
            }
            or(spec, "parallelism", json!(1));
            let backoff = if spec["backoffLimitPerIndex"].is_null() { 6 } else { i32::MAX };
            or(spec, "backoffLimit", json!(backoff));
            or(spec, "completionMode", json!("NonIndexed"));
            or(spec, "suspend", json!(false));
            let replacement = if spec["podFailurePolicy"].is_null() { "TerminatingOrFailed" } else { "Failed" };
            or(spec, "podReplacementPolicy", json!(replacement));
            or(spec, "manualSelector", json!(false));
            default_template_json(&mut spec["template"]);
        }
        CronJob => {
            or(spec, "concurrencyPolicy", json!("Allow"));
            or(spec, "suspend", json!(false));
            or(spec, "successfulJobsHistoryLimit", json!(3));
            or(spec, "failedJobsHistoryLimit", json!(1));
            default_template_json(&mut spec["jobTemplate"]["spec"]["template"]);
        }
        DaemonSet => {
            let u = &mut spec["updateStrategy"];
            or(u, "type", json!("RollingUpdate"));
            if u["type"] == "RollingUpdate" {
                let r = &mut u["rollingUpdate"];
                or(r, "maxUnavailable", json!(1));
                or(r, "maxSurge", json!(0));
            }
            or(spec, "revisionHistoryLimit", json!(10));
            default_template_json(&mut spec["template"]);
        }
        ReplicationController => {
            or(spec, "replicas", json!(1));
            let labels = spec["template"]["metadata"]["labels"].clone();
            if labels.is_object() {
                if spec["selector"].as_object().is_none_or(|m| m.is_empty()) {
                    spec["selector"] = labels.clone();
                }
                if g.metadata.labels.is_empty() {
                    g.metadata.labels = crate::engine::decode::from_json(&labels).unwrap_or_default();
                }
            }
            let spec = g.body.get_mut("spec").expect("set above");
            default_template_json(&mut spec["template"]);
        }
        HorizontalPodAutoscaler => {
            or(spec, "minReplicas", json!(1));
            if v2 && spec["metrics"].as_array().is_none_or(|m| m.is_empty()) {
                spec["metrics"] = json!([{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]);
            }
        }
        NetworkPolicy => {
            for dir in ["ingress", "egress"] {
                for rule in spec[dir].as_array_mut().into_iter().flatten() {
                    for port in rule["ports"].as_array_mut().into_iter().flatten() {
                        or(port, "protocol", json!("TCP"));
                    }
                }
            }
            if spec["policyTypes"].as_array().is_none_or(|t| t.is_empty()) {
                let egress = spec["egress"].as_array().is_some_and(|e| !e.is_empty());
                spec["policyTypes"] = if egress { json!(["Ingress", "Egress"]) } else { json!(["Ingress"]) };
            }
        }
        IngressClass if spec["parameters"].is_object() => or(&mut spec["parameters"], "scope", json!("Cluster")),
        _ => {}
    }
}

/// The Job strategy's generateSelector (unless `manualSelector`): the pod
/// template gets `job-name` and `controller-uid` labels (legacy and
/// `batch.kubernetes.io/` ones), the selector matches the uid; reading
/// the Job back defaults its labels to its template's when it has none.
pub fn job_selector(g: &mut Generic) {
    let uid = g.metadata.uid.clone();
    let name = g.metadata.name.clone();
    let spec = g.body.entry("spec").or_insert_with(|| json!({}));
    if spec["manualSelector"] != Value::Bool(true) {
        let labels = &mut spec["template"]["metadata"]["labels"];
        for (k, val) in [("job-name", &name), ("batch.kubernetes.io/job-name", &name), ("controller-uid", &uid), ("batch.kubernetes.io/controller-uid", &uid)] {
            or(labels, k, json!(val));
        }
        or(&mut spec["selector"]["matchLabels"], "batch.kubernetes.io/controller-uid", json!(uid));
    }
    let labels = &spec["template"]["metadata"]["labels"];
    if g.metadata.labels.is_empty() && labels.is_object() {
        g.metadata.labels = crate::engine::decode::from_json(labels).unwrap_or_default();
    }
}

fn default_pod(p: &mut Pod) {
    for c in p.spec.containers.iter_mut().chain(p.spec.init_containers.iter_mut()) {
        // requests default to limits on pods (not on templates)
        let limits = c.resources.limits.clone();
        for (k, v) in limits {
            c.resources.requests.entry(k).or_insert(v);
        }
    }
    default_pod_spec(&mut p.spec);
    p.spec.enable_service_links.get_or_insert(true);
}

pub fn default_template(t: &mut PodTemplateSpec) {
    default_pod_spec(&mut t.spec);
}

pub fn default_pod_spec(s: &mut PodSpec) {
    if s.dns_policy.is_empty() {
        s.dns_policy = "ClusterFirst".into();
    }
    if s.restart_policy.is_empty() {
        s.restart_policy = "Always".into();
    }
    if s.security_context.is_none() {
        s.security_context = Some(json!({}));
    }
    s.termination_grace_period_seconds.get_or_insert(30);
    if s.scheduler_name.is_empty() {
        s.scheduler_name = "default-scheduler".into();
    }
    for c in s.containers.iter_mut().chain(s.init_containers.iter_mut()) {
        default_container(c);
    }
    for v in &mut s.volumes {
        default_volume(v);
    }
}

fn default_container(c: &mut Container) {
    if c.image_pull_policy.is_empty() {
        c.image_pull_policy = if image_tag(&c.image) == "latest" { "Always" } else { "IfNotPresent" }.into();
    }
    if c.termination_message_path.is_empty() {
        c.termination_message_path = "/dev/termination-log".into();
    }
    if c.termination_message_policy.is_empty() {
        c.termination_message_policy = "File".into();
    }
    for p in &mut c.ports {
        if p.protocol.is_empty() {
            p.protocol = "TCP".into();
        }
    }
    for env in &mut c.env {
        if let Some(vf) = &mut env.value_from
            && let Some(serde_json::Value::Object(fr)) = &mut vf.field_ref
        {
            fr.entry("apiVersion").or_insert(json!("v1"));
        }
    }
    for probe in [&mut c.liveness_probe, &mut c.readiness_probe, &mut c.startup_probe].into_iter().flatten() {
        default_probe(probe);
    }
}

fn default_probe(p: &mut Probe) {
    if p.timeout_seconds == 0 {
        p.timeout_seconds = 1;
    }
    if p.period_seconds == 0 {
        p.period_seconds = 10;
    }
    if p.success_threshold == 0 {
        p.success_threshold = 1;
    }
    if p.failure_threshold == 0 {
        p.failure_threshold = 3;
    }
    if let Some(h) = &mut p.http_get {
        if h.path.is_empty() {
            h.path = "/".into();
        }
        if h.scheme.is_empty() {
            h.scheme = "HTTP".into();
        }
    }
}

fn default_volume(v: &mut Volume) {
    let has_source = v.persistent_volume_claim.is_some()
        || v.empty_dir.is_some()
        || v.host_path.is_some()
        || v.nfs.is_some()
        || v.config_map.is_some()
        || v.secret.is_some()
        || v.projected.is_some()
        || v.downward_api.is_some()
        || v.csi.is_some()
        || v.ephemeral.is_some();
    if !has_source {
        v.empty_dir = Some(EmptyDirVolumeSource::default());
    }
    if let Some(hp) = &mut v.host_path {
        hp.type_.get_or_insert_with(String::new);
    }
    if let Some(cm) = &mut v.config_map {
        cm.default_mode.get_or_insert(420);
    }
    if let Some(s) = &mut v.secret {
        s.default_mode.get_or_insert(420);
    }
    if let Some(serde_json::Value::Object(p)) = v.projected.as_mut().map(|p| p.make_mut()) {
        p.entry("defaultMode").or_insert(json!(420));
    }
    if let Some(serde_json::Value::Object(p)) = &mut v.downward_api {
        p.entry("defaultMode").or_insert(json!(420));
    }
}

/// The image's tag, or `latest` when it has none (digests count as a tag).
pub fn image_tag(image: &str) -> &str {
    if image.contains('@') {
        return "digest";
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        Some((_, tag)) => tag,
        None => "latest",
    }
}

fn default_deployment(d: &mut Deployment) {
    d.spec.replicas.get_or_insert(1);
    let st = &mut d.spec.strategy;
    if st.type_.is_empty() {
        st.type_ = DeploymentStrategyType::RollingUpdate;
    }
    if st.type_ == DeploymentStrategyType::RollingUpdate {
        let ru = st.rolling_update.get_or_insert_with(Default::default);
        ru.max_unavailable.get_or_insert_with(|| IntOrString::Str("25%".into()));
        ru.max_surge.get_or_insert_with(|| IntOrString::Str("25%".into()));
    }
    d.spec.revision_history_limit.get_or_insert(10);
    d.spec.progress_deadline_seconds.get_or_insert(600);
    default_template(&mut d.spec.template);
}

fn default_statefulset(s: &mut StatefulSet) {
    let spec = &mut s.spec;
    if spec.pod_management_policy.is_empty() {
        spec.pod_management_policy = PodManagementPolicyType::OrderedReady;
    }
    if spec.update_strategy.type_.is_empty() {
        spec.update_strategy.type_ = StatefulSetUpdateStrategyType::RollingUpdate;
        spec.update_strategy.rolling_update.get_or_insert_with(Default::default);
    }
    if spec.update_strategy.type_ == StatefulSetUpdateStrategyType::RollingUpdate
        && let Some(ru) = &mut spec.update_strategy.rolling_update
    {
        ru.partition.get_or_insert(0);
    }
    let policy = spec.persistent_volume_claim_retention_policy.get_or_insert_with(Default::default);
    if policy.when_deleted.is_empty() {
        policy.when_deleted = PersistentVolumeClaimRetentionPolicyType::Retain;
    }
    if policy.when_scaled.is_empty() {
        policy.when_scaled = PersistentVolumeClaimRetentionPolicyType::Retain;
    }
    spec.replicas.get_or_insert(1);
    spec.revision_history_limit.get_or_insert(10);
    default_template(&mut spec.template);
    for t in &mut spec.volume_claim_templates {
        // Templates are defaulted as claims, status phase included.
        default_pvc(t);
        if t.api_version.is_empty() {
            t.api_version = "v1".into();
        }
        if t.kind.is_empty() {
            t.kind = "PersistentVolumeClaim".into();
        }
    }
}

fn default_pvc(c: &mut PersistentVolumeClaim) {
    c.spec.volume_mode.get_or_insert_with(|| "Filesystem".into());
    if c.status.phase.is_empty() {
        c.status.phase = PersistentVolumeClaimPhase::Pending;
    }
}

fn default_service(s: &mut Service) {
    let spec = &mut s.spec;
    if spec.session_affinity.is_empty() {
        spec.session_affinity = "None".into();
    }
    if spec.type_.is_empty() {
        spec.type_ = "ClusterIP".into();
    }
    for p in &mut spec.ports {
        if p.protocol.is_empty() {
            p.protocol = "TCP".into();
        }
        let unset = match &p.target_port {
            None => true,
            Some(IntOrString::Int(0)) => true,
            Some(IntOrString::Str(s)) if s.is_empty() => true,
            _ => false,
        };
        if unset {
            p.target_port = Some(IntOrString::Int(p.port));
        }
    }
    if matches!(spec.type_.as_str(), "NodePort" | "LoadBalancer") && spec.external_traffic_policy.is_empty() {
        spec.external_traffic_policy = "Cluster".into();
    }
    if matches!(spec.type_.as_str(), "NodePort" | "LoadBalancer" | "ClusterIP") {
        spec.internal_traffic_policy.get_or_insert_with(|| "Cluster".into());
    }
    if spec.type_ == "LoadBalancer" {
        spec.allocate_load_balancer_node_ports.get_or_insert(true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statefulset_defaults() {
        let mut o = Object::StatefulSet(StatefulSet::default());
        apply(&mut o);
        let Object::StatefulSet(s) = o else { unreachable!() };
        assert_eq!(s.spec.pod_management_policy, PodManagementPolicyType::OrderedReady);
        assert_eq!(s.spec.update_strategy.type_, StatefulSetUpdateStrategyType::RollingUpdate);
        assert_eq!(s.spec.update_strategy.rolling_update.as_ref().unwrap().partition, Some(0));
        assert_eq!(s.spec.replicas, Some(1));
        assert_eq!(s.spec.revision_history_limit, Some(10));
        assert_eq!(s.spec.template.spec.termination_grace_period_seconds, Some(30));
        let p = s.spec.persistent_volume_claim_retention_policy.unwrap();
        assert_eq!((&p.when_deleted, &p.when_scaled), (&PersistentVolumeClaimRetentionPolicyType::Retain, &PersistentVolumeClaimRetentionPolicyType::Retain));
    }

    #[test]
    fn image_pull_policy_follows_the_tag() {
        assert_eq!(image_tag("nginx"), "latest");
        assert_eq!(image_tag("nginx:1.25"), "1.25");
        assert_eq!(image_tag("registry:5000/app"), "latest");
        assert_eq!(image_tag("registry:5000/app:v2"), "v2");
        let mut c = Container { image: "postgres".into(), ..Default::default() };
        default_container(&mut c);
        assert_eq!(c.image_pull_policy, "Always");
    }

    #[test]
    fn service_target_port_defaults_to_port() {
        let mut s = Service::default();
        s.spec.ports.push(ServicePort { port: 80, ..Default::default() });
        default_service(&mut s);
        assert_eq!(s.spec.ports[0].target_port, Some(IntOrString::Int(80)));
        assert_eq!(s.spec.ports[0].protocol, "TCP");
        assert_eq!(s.spec.type_, "ClusterIP");
    }
}
