//! Validation with the API server's field error texts
//! (k8s.io/apimachinery/pkg/util/validation/field, pkg/apis/*/validation).

use crate::engine::api::*;
use crate::engine::store::Store;
use std::collections::BTreeMap;
use std::fmt;

#[derive(Clone, Debug, PartialEq)]
pub enum ErrorType {
    Required,
    Invalid,
    Forbidden,
    NotSupported,
    Duplicate,
    NotFound,
    TooLong,
}

/// One field error: `spec.replicas: Invalid value: -1: must be greater than or equal to 0`.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldError {
    pub field: String,
    pub type_: ErrorType,
    /// The offending value as Go's %#v-ish rendering prints it (already quoted).
    pub value: String,
    pub detail: String,
}

impl FieldError {
    pub fn required(field: &str, detail: &str) -> FieldError {
        FieldError { field: field.into(), type_: ErrorType::Required, value: String::new(), detail: detail.into() }
    }
    pub fn invalid(field: &str, value: impl Into<String>, detail: &str) -> FieldError {
        FieldError { field: field.into(), type_: ErrorType::Invalid, value: value.into(), detail: detail.into() }
    }
    pub fn forbidden(field: &str, detail: &str) -> FieldError {
        FieldError { field: field.into(), type_: ErrorType::Forbidden, value: String::new(), detail: detail.into() }
    }
    pub fn not_supported(field: &str, value: &str, supported: &[&str]) -> FieldError {
        let list = supported.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", ");
        FieldError { field: field.into(), type_: ErrorType::NotSupported, value: format!("{value:?}"), detail: format!("supported values: {list}") }
    }
    pub fn duplicate(field: &str, value: impl Into<String>) -> FieldError {
        FieldError { field: field.into(), type_: ErrorType::Duplicate, value: value.into(), detail: String::new() }
    }
    pub fn not_found(field: &str, value: impl Into<String>) -> FieldError {
        FieldError { field: field.into(), type_: ErrorType::NotFound, value: value.into(), detail: String::new() }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // field.Error.Error(): "<field>: <ErrorBody>"
        let body = match self.type_ {
            ErrorType::Required => "Required value".to_string(),
            ErrorType::Forbidden => "Forbidden".to_string(),
            ErrorType::TooLong => "Too long".to_string(),
            ErrorType::Invalid => format!("Invalid value: {}", self.value),
            ErrorType::NotSupported => format!("Unsupported value: {}", self.value),
            ErrorType::Duplicate => format!("Duplicate value: {}", self.value),
            ErrorType::NotFound => format!("Not found: {}", self.value),
        };
        if self.detail.is_empty() { write!(f, "{}: {}", self.field, body) } else { write!(f, "{}: {}: {}", self.field, body, self.detail) }
    }
}

/// Go's %q of a string.
pub fn q(s: &str) -> String {
    format!("{s:?}")
}

const DNS1123_SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const DNS1123_LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1035_LABEL_MSG: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

/// validation.MaxLenError.
pub fn max_len_error(n: usize) -> String {
    format!("must be no more than {n} characters")
}

fn label_like(b: &[u8]) -> bool {
    !b.is_empty() && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-') && b[0] != b'-' && b[b.len() - 1] != b'-'
}

pub fn is_dns1123_label(s: &str) -> bool {
    s.len() <= 63 && label_like(s.as_bytes())
}

/// IsDNS1123Subdomain: the regex applies to the whole name (at most 253
/// characters); its dot-separated parts have no length limit of their own.
pub fn is_dns1123_subdomain(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && s.split('.').all(|p| label_like(p.as_bytes()))
}

/// IsDNS1123Label's messages.
pub fn dns1123_label_errors(s: &str) -> Vec<String> {
    let mut errs = vec![];
    if s.len() > 63 {
        errs.push(max_len_error(63));
    }
    if !label_like(s.as_bytes()) {
        if is_dns1123_subdomain(s) || (s.split('.').all(|p| label_like(p.as_bytes())) && !s.is_empty()) {
            errs.push("must not contain dots".into());
        } else {
            errs.push(DNS1123_LABEL_MSG.into());
        }
    }
    errs
}

/// IsDNS1123Subdomain's messages.
pub fn dns1123_subdomain_errors(s: &str) -> Vec<String> {
    let mut errs = vec![];
    if s.len() > 253 {
        errs.push(max_len_error(253));
    }
    if s.is_empty() || !s.split('.').all(|p| label_like(p.as_bytes())) {
        errs.push(DNS1123_SUBDOMAIN_MSG.into());
    }
    errs
}

/// IsDNS1035Label's messages.
fn dns1035_label_errors(s: &str) -> Vec<String> {
    let mut errs = vec![];
    if s.len() > 63 {
        errs.push(max_len_error(63));
    }
    if !(label_like(s.as_bytes()) && s.as_bytes()[0].is_ascii_lowercase()) {
        errs.push(DNS1035_LABEL_MSG.into());
    }
    errs
}

/// path.IsValidPathSegmentName: any name that is safe in a URL path.
fn path_segment_errors(name: &str) -> Vec<String> {
    if name == "." || name == ".." {
        return vec![format!("may not be '{name}'")];
    }
    ["/", "%"].iter().filter(|c| name.contains(*c)).map(|c| format!("may not contain '{c}'")).collect()
}

fn validate_name(kind: Kind, name: &str, errs: &mut Vec<FieldError>) {
    if name.is_empty() {
        errs.push(FieldError::required("metadata.name", "name or generateName is required"));
        return;
    }
    let msgs = match kind {
        Kind::Namespace => dns1123_label_errors(name),
        Kind::Service => dns1035_label_errors(name),
        // The StatefulSet name becomes a pod name prefix and a label value.
        Kind::StatefulSet => dns1123_label_errors(name),
        Kind::Event | Kind::EventsEvent => vec![],
        // ValidateRBACName, ValidateFlowSchemaName...: path.IsValidPathSegmentName.
        Kind::Role | Kind::ClusterRole | Kind::RoleBinding | Kind::ClusterRoleBinding | Kind::FlowSchema | Kind::PriorityLevelConfiguration => {
            path_segment_errors(name)
        }
        _ => dns1123_subdomain_errors(name),
    };
    for m in msgs {
        errs.push(FieldError::invalid("metadata.name", q(name), &m));
    }
}

/// The regex of label keys' name part and of label values (without the
/// empty alternative): `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`.
fn label_key_like(b: &[u8]) -> bool {
    !b.is_empty() && b.iter().all(|c| c.is_ascii_alphanumeric() || b"-_.".contains(c)) && b[0].is_ascii_alphanumeric() && b[b.len() - 1].is_ascii_alphanumeric()
}

const LABEL_KEY_MSG: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

/// content.IsLabelKey (IsQualifiedName): label keys and annotation keys.
pub fn qualified_name_errors(s: &str) -> Vec<String> {
    let mut errs = vec![];
    let parts: Vec<&str> = s.split('/').collect();
    let name = match parts.as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                errs.push("prefix part must be non-empty".to_string());
            } else {
                errs.extend(dns1123_subdomain_errors(prefix).into_iter().map(|m| format!("prefix part {m}")));
            }
            *name
        }
        _ => {
            errs.push(format!("a valid label key {LABEL_KEY_MSG} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"));
            return errs;
        }
    };
    if name.is_empty() {
        errs.push("name part must be non-empty".into());
    } else if name.len() > 63 {
        errs.push(format!("name part {}", max_len_error(63)));
    }
    if !label_key_like(name.as_bytes()) {
        errs.push(format!("name part {LABEL_KEY_MSG}"));
    }
    errs
}

#[cfg(test)]
fn is_qualified_name(s: &str) -> bool {
    qualified_name_errors(s).is_empty()
}

/// content.IsLabelValue.
pub fn label_value_errors(s: &str) -> Vec<String> {
    let mut errs = vec![];
    if s.len() > 63 {
        errs.push(max_len_error(63));
    }
    if !s.is_empty() && !label_key_like(s.as_bytes()) {
        errs.push(LABEL_VALUE_MSG.into());
    }
    errs
}

/// metav1validation.ValidateLabels.
pub fn validate_labels(labels: &Labels, field: &str, errs: &mut Vec<FieldError>) {
    for (k, v) in labels {
        for m in qualified_name_errors(k) {
            errs.push(FieldError::invalid(field, q(k), &m));
        }
        for m in label_value_errors(v) {
            errs.push(FieldError::invalid(field, q(v), &m));
        }
    }
}

/// apimachinery's TotalAnnotationSizeLimitB: 256 KiB of keys and values.
pub const TOTAL_ANNOTATION_SIZE_LIMIT: usize = 256 << 10;
/// core.MaxSecretSize: the data of a ConfigMap or Secret, 1 MiB.
pub const MAX_SECRET_SIZE: usize = 1 << 20;

/// field.TooLong (1.36: the value is omitted, the limit is in bytes).
pub fn too_long(field: &str, max: usize) -> FieldError {
    FieldError { field: field.into(), type_: ErrorType::TooLong, value: String::new(), detail: format!("may not be more than {max} bytes") }
}

/// apimachinery's ValidateAnnotations: qualified keys (case-insensitive),
/// and 256 KiB in all.
pub fn validate_annotations(annotations: &BTreeMap<String, String>, field: &str, errs: &mut Vec<FieldError>) {
    let mut total = 0usize;
    for (k, v) in annotations {
        for m in qualified_name_errors(&k.to_lowercase()) {
            errs.push(FieldError::invalid(field, q(k), &m));
        }
        total += k.len() + v.len();
    }
    if total > TOTAL_ANNOTATION_SIZE_LIMIT {
        errs.push(too_long(field, TOTAL_ANNOTATION_SIZE_LIMIT));
    }
}

fn validate_meta(obj: &Object, errs: &mut Vec<FieldError>) {
    let m = obj.meta();
    validate_name(obj.kind(), &m.name, errs);
    validate_labels(&m.labels, "metadata.labels", errs);
    validate_annotations(&m.annotations, "metadata.annotations", errs);
}

/// What the API server says about the Node a kubelet would register for a
/// machine named `name` in `zone` (its name, and the hostname and zone
/// labels the kubelet sets): `cluster node add` refuses a machine whose
/// kubelet could never register.
pub fn node_registration_errors(name: &str, zone: &str) -> Vec<FieldError> {
    let mut errs = vec![];
    validate_name(Kind::Node, name, &mut errs);
    let labels: Labels = crate::engine::sort::map_from([
        ("kubernetes.io/hostname".to_string(), name.to_string()),
        ("topology.kubernetes.io/zone".to_string(), zone.to_string()),
    ]);
    validate_labels(&labels, "metadata.labels", &mut errs);
    errs
}

/// Go's %#v of a map[string]string, as selector mismatch errors print labels.
pub fn go_map(m: &Labels) -> String {
    let inner = m.iter().map(|(k, v)| format!("{k:?}:{v:?}")).collect::<Vec<_>>().join(", ");
    format!("map[string]string{{{inner}}}")
}

pub fn validate_create(obj: &Object, store: &Store) -> Vec<FieldError> {
    let mut errs = vec![];
    validate_meta(obj, &mut errs);
    match obj {
        Object::Pod(p) => validate_pod_spec(&p.spec, "spec", &mut errs),
        Object::Deployment(d) => {
            validate_replicas(d.spec.replicas, &mut errs);
            validate_workload("deployment", d.spec.selector.as_ref(), &d.spec.template, &[], &mut errs);
        }
        Object::ReplicaSet(r) => {
            validate_replicas(r.spec.replicas, &mut errs);
            validate_workload("deployment", r.spec.selector.as_ref(), &r.spec.template, &[], &mut errs);
        }
        Object::StatefulSet(s) => {
            validate_replicas(s.spec.replicas, &mut errs);
            // Containers may mount the claims made from volumeClaimTemplates
            // (ValidatePodTemplateSpecForStatefulSet).
            let claims: Vec<&str> = s.spec.volume_claim_templates.iter().map(|t| t.metadata.name.as_str()).collect();
            validate_workload("statefulset", s.spec.selector.as_ref(), &s.spec.template, &claims, &mut errs);
            validate_statefulset(s, &mut errs);
        }
        Object::PersistentVolumeClaim(c) => validate_pvc_spec(&c.spec, "spec", &mut errs),
        Object::PersistentVolume(v) => validate_pv(v, &mut errs),
        Object::StorageClass(sc) => {
            if sc.provisioner.is_empty() {
                errs.push(FieldError::required("provisioner", ""));
            }
            if let Some(p) = &sc.reclaim_policy
                && !matches!(p, PersistentVolumeReclaimPolicy::Delete | PersistentVolumeReclaimPolicy::Retain)
            {
                errs.push(FieldError::not_supported("reclaimPolicy", p.as_str(), &["Delete", "Retain"]));
            }
            if let Some(m) = &sc.volume_binding_mode
                && !m.is_known()
            {
                errs.push(FieldError::not_supported("volumeBindingMode", m.as_str(), VolumeBindingMode::KNOWN));
            }
        }
        Object::Service(s) => validate_service(s, &mut errs),
        Object::ConfigMap(c) => {
            // ValidateConfigMap: the sizes of data and binaryData together.
            let mut total = 0usize;
            for (k, v) in &c.data {
                for m in config_map_key_errors(k) {
                    errs.push(FieldError::invalid(&format!("data[{k}]"), q(k), &m));
                }
                if c.binary_data.contains_key(k) {
                    errs.push(FieldError::invalid(&format!("data[{k}]"), q(k), "duplicate of key present in binaryData"));
                }
                total += v.len();
            }
            for (k, v) in &c.binary_data {
                for m in config_map_key_errors(k) {
                    errs.push(FieldError::invalid(&format!("binaryData[{k}]"), q(k), &m));
                }
                total += base64_decoded_len(v);
            }
            if total > MAX_SECRET_SIZE {
                errs.push(too_long("[]", MAX_SECRET_SIZE));
            }
        }
        Object::Secret(sec) => {
            let mut total = 0usize;
            for (k, v) in &sec.data {
                for m in config_map_key_errors(k) {
                    errs.push(FieldError::invalid(&format!("data[{k}]"), q(k), &m));
                }
                total += base64_decoded_len(v);
            }
            if total > MAX_SECRET_SIZE {
                errs.push(too_long("data", MAX_SECRET_SIZE));
            }
        }
        Object::Generic(g) => validate_generic(g, &mut errs),
        _ => {}
    }
    let _ = store;
    errs
}

/// A pod template held as JSON, typed for validation (None when it does
/// not decode: the schema check has said why).
fn template_of(v: &serde_json::Value) -> Option<PodTemplateSpec> {
    crate::engine::decode::from_json(v)
}

/// validateJobSpec's restart policy rule: a Job's pods end.
fn validate_job_template(t: &PodTemplateSpec, path: &str, errs: &mut Vec<FieldError>) {
    validate_labels(&t.metadata.labels, &format!("{path}.metadata.labels"), errs);
    validate_pod_spec(&t.spec, &format!("{path}.spec"), errs);
    let rp = t.spec.restart_policy.as_str();
    let field = format!("{path}.spec.restartPolicy");
    if rp == "Always" || rp.is_empty() {
        errs.push(FieldError::required(&field, "valid values: \"OnFailure\", \"Never\""));
    } else if rp != "OnFailure" && rp != "Never" {
        errs.push(FieldError::not_supported(&field, rp, &["OnFailure", "Never"]));
    }
}

/// The validation that matters of the kinds stored as JSON (the schema
/// table has checked their shape): the workload kinds' templates (batch
/// and apps validation), CronJob schedules and names, Ingress path types.
fn validate_generic(g: &crate::engine::api::Generic, errs: &mut Vec<FieldError>) {
    let spec = g.field("spec");
    match g.kind {
        Kind::Job => {
            if let Some(t) = template_of(&spec["template"]) {
                validate_job_template(&t, "spec.template", errs);
            }
        }
        Kind::CronJob => {
            let name = &g.metadata.name;
            if name.len() > 52 {
                errs.push(FieldError::invalid("metadata.name", q(name), "must be no more than 52 characters"));
            }
            match spec["schedule"].as_str().unwrap_or_default() {
                "" => errs.push(FieldError::required("spec.schedule", "")),
                sched => {
                    if let Err(e) = crate::engine::api::cron::parse(sched) {
                        errs.push(FieldError::invalid("spec.schedule", q(sched), &e));
                    } else if sched.contains("TZ") {
                        errs.push(FieldError::invalid("spec.schedule", q(sched), "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"));
                    }
                }
            }
            if let Some(t) = template_of(&spec["jobTemplate"]["spec"]["template"]) {
                validate_job_template(&t, "spec.jobTemplate.spec.template", errs);
            }
        }
        Kind::DaemonSet | Kind::ReplicationController => {
            let Some(t) = template_of(&spec["template"]) else { return };
            let selector = if g.kind == Kind::DaemonSet {
                crate::engine::decode::from_json::<LabelSelector>(&spec["selector"])
            } else {
                let labels: Option<Labels> = crate::engine::decode::from_json(&spec["selector"]);
                labels.map(|match_labels| LabelSelector { match_labels, match_expressions: vec![] })
            };
            validate_workload(if g.kind == Kind::DaemonSet { "daemonset" } else { "replicationcontroller" }, selector.as_ref(), &t, &[], errs);
        }
        Kind::PriorityClass => {
            // ValidatePriorityClass: names with the system- prefix are the
            // system classes exactly; others stay at or below 1000000000.
            let (name, value) = (&g.metadata.name, g.field("value").as_i64().unwrap_or(0));
            if name.starts_with("system-") {
                let err = match crate::engine::apiserver::admission::SYSTEM_PRIORITY_CLASSES.iter().find(|c| c.0 == name) {
                    None => Some(format!("{name} is not a known system priority class")),
                    Some(c) if i64::from(c.1) != value => Some(format!("value of {name} PriorityClass must be {}", c.1)),
                    Some(_) if g.field("globalDefault").as_bool() == Some(true) => Some(format!("globalDefault of {name} PriorityClass must be false")),
                    Some(_) => None,
                };
                if let Some(e) = err {
                    errs.push(FieldError::forbidden(
                        "metadata.name",
                        &format!("priority class names with 'system-' prefix are reserved for system use only. error: {e}"),
                    ));
                }
            } else if value > 1_000_000_000 {
                errs.push(FieldError::forbidden("value", "maximum allowed value of a user defined priority is 1000000000"));
            }
            if let Some(p) = g.field("preemptionPolicy").as_str().filter(|p| !matches!(*p, "PreemptLowerPriority" | "Never")) {
                errs.push(FieldError::not_supported("preemptionPolicy", p, &["PreemptLowerPriority", "Never"]));
            }
        }
        Kind::Ingress => {
            for (i, r) in spec["rules"].as_array().into_iter().flatten().enumerate() {
                for (j, p) in r["http"]["paths"].as_array().into_iter().flatten().enumerate() {
                    if p["pathType"].is_null() {
                        errs.push(FieldError::required(&format!("spec.rules[{i}].http.paths[{j}].pathType"), "pathType must be specified"));
                    }
                }
            }
        }
        _ => {}
    }
}

/// The length of what a base64 string (as stored in Secret data and
/// ConfigMap binaryData) decodes to.
fn base64_decoded_len(v: &str) -> usize {
    let pad = v.bytes().rev().take_while(|b| *b == b'=').count();
    (v.len() / 4 * 3 + (v.len() % 4).saturating_sub(1)).saturating_sub(pad)
}

/// IsConfigMapKey.
pub fn config_map_key_errors(k: &str) -> Vec<String> {
    let mut errs = vec![];
    if k.len() > 253 {
        errs.push(max_len_error(253));
    }
    if k.is_empty() || !k.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b)) {
        errs.push(
            "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
                .into(),
        );
    }
    match k {
        "." => errs.push("must not be '.'".into()),
        ".." => errs.push("must not be '..'".into()),
        _ if k.starts_with("..") => errs.push("must not start with '..'".into()),
        _ => {}
    }
    errs
}

pub fn validate_update(old: &Object, new: &Object, store: &Store) -> Vec<FieldError> {
    let mut errs = validate_create(new, store);
    match (old, new) {
        // ValidatePriorityClassUpdate: value and preemptionPolicy are immutable.
        (Object::Generic(o), Object::Generic(n)) if n.kind == Kind::PriorityClass => {
            if o.field("value") != n.field("value") {
                errs.push(FieldError::forbidden("value", "may not be changed in an update."));
            }
            let policy = n.field("preemptionPolicy");
            if o.field("preemptionPolicy") != policy {
                errs.push(FieldError::invalid("preemptionPolicy", format!("{:?}", policy.as_str().unwrap_or_default()), "field is immutable"));
            }
        }
        (Object::StatefulSet(o), Object::StatefulSet(n)) => {
            // Only these spec fields may change (ValidateStatefulSetUpdate).
            let mut a = o.spec.clone();
            let mut b = n.spec.clone();
            for s in [&mut a, &mut b] {
                s.replicas = None;
                s.ordinals = None;
                s.template = Default::default();
                s.update_strategy = Default::default();
                s.revision_history_limit = None;
                s.persistent_volume_claim_retention_policy = None;
                s.min_ready_seconds = 0;
            }
            if a != b {
                errs.push(FieldError::forbidden(
                    "spec",
                    "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
                ));
            }
        }
        (Object::Deployment(o), Object::Deployment(n)) if o.spec.selector != n.spec.selector => {
            errs.push(FieldError::invalid("spec.selector", selector_go(n.spec.selector.as_ref()), "field is immutable"));
        }
        (Object::ReplicaSet(o), Object::ReplicaSet(n)) if o.spec.selector != n.spec.selector => {
            errs.push(FieldError::invalid("spec.selector", selector_go(n.spec.selector.as_ref()), "field is immutable"));
        }
        (Object::StorageClass(o), Object::StorageClass(n)) => {
            if o.parameters != n.parameters {
                errs.push(FieldError::forbidden("parameters", "updates to parameters are forbidden."));
            }
            if o.provisioner != n.provisioner {
                errs.push(FieldError::forbidden("provisioner", "updates to provisioner are forbidden."));
            }
            if o.reclaim_policy != n.reclaim_policy {
                errs.push(FieldError::forbidden("reclaimPolicy", "updates to reclaimPolicy are forbidden."));
            }
            if o.volume_binding_mode != n.volume_binding_mode {
                errs.push(FieldError::forbidden("volumeBindingMode", "field is immutable"));
            }
        }
        (Object::PersistentVolumeClaim(o), Object::PersistentVolumeClaim(n)) => {
            // ValidatePersistentVolumeClaimUpdate (RecoverVolumeExpansionFailure is GA).
            // The spec is immutable but for: volumeName set once (binding), a
            // class given to a claim without one, volumeAttributesClassName,
            // and the storage request of a bound claim. (The real message goes
            // on with a go-cmp diff of the two specs; only its first line is here.)
            let bound = o.status.phase == PersistentVolumeClaimPhase::Bound;
            let mut a = o.spec.clone();
            let mut b = n.spec.clone();
            if a.volume_name.is_empty() {
                a.volume_name = b.volume_name.clone();
            }
            if a.storage_class_name.is_none() {
                a.storage_class_name = b.storage_class_name.clone();
            }
            a.volume_attributes_class_name = None;
            b.volume_attributes_class_name = None;
            if bound {
                // the same storage request on both sides compares like none
                // on either (and, unlike a remove, costs no BTreeMap removal
                // code for this map's layout)
                for s in [&mut a, &mut b] {
                    s.resources.requests.insert("storage".into(), Default::default());
                }
            }
            if a != b {
                errs.push(FieldError::forbidden(
                    "spec",
                    "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims",
                ));
            } else if let (true, Some(req), Some(cap)) = (bound, n.spec.resources.requests.get("storage"), o.status.capacity.get("storage"))
                && n.spec.resources.requests.get("storage") != o.spec.resources.requests.get("storage")
                && req < cap
            {
                errs.push(FieldError::forbidden("spec.resources.requests.storage", "field can not be less than status.capacity"));
            }
        }
        (Object::Service(o), Object::Service(n))
            if !o.spec.cluster_ip.is_empty() && !n.spec.cluster_ip.is_empty() && o.spec.cluster_ip != n.spec.cluster_ip =>
        {
            errs.push(FieldError::invalid("spec.clusterIPs[0]", format!("[]string{{{:?}}}", n.spec.cluster_ip), "may not change once set"));
        }
        _ => {}
    }
    errs
}

fn selector_go(s: Option<&LabelSelector>) -> String {
    match s {
        None => "null".into(),
        Some(s) => format!("v1.LabelSelector{{MatchLabels:{}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}}", go_map(&s.match_labels)),
    }
}

fn validate_replicas(r: Option<i32>, errs: &mut Vec<FieldError>) {
    if let Some(r) = r
        && r < 0
    {
        errs.push(FieldError::invalid("spec.replicas", r.to_string(), "must be greater than or equal to 0"));
    }
}

/// `what` names the kind in the empty-selector text (`deployment`, which
/// ReplicaSets say too, `statefulset`, `daemonset`).
fn validate_workload(what: &str, selector: Option<&LabelSelector>, template: &PodTemplateSpec, extra_volumes: &[&str], errs: &mut Vec<FieldError>) {
    match selector {
        None => errs.push(FieldError::required("spec.selector", "")),
        Some(s) if s.is_empty() => errs.push(FieldError::invalid(
            "spec.selector",
            "v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}",
            &format!("empty selector is invalid for {what}"),
        )),
        Some(s) => {
            if !s.matches(&template.metadata.labels) {
                errs.push(FieldError::invalid(
                    "spec.template.metadata.labels",
                    go_map(&template.metadata.labels),
                    "`selector` does not match template `labels`",
                ));
            }
        }
    }
    validate_labels(&template.metadata.labels, "spec.template.metadata.labels", errs);
    validate_pod_spec_with(&template.spec, "spec.template.spec", extra_volumes, errs);
    if template.spec.restart_policy != "Always" {
        errs.push(FieldError::not_supported("spec.template.spec.restartPolicy", &template.spec.restart_policy, &["Always"]));
    }
}

fn validate_statefulset(s: &StatefulSet, errs: &mut Vec<FieldError>) {
    let p = &s.spec.pod_management_policy;
    if !p.is_known() {
        errs.push(FieldError::not_supported("spec.podManagementPolicy", p.as_str(), PodManagementPolicyType::KNOWN));
    }
    let t = &s.spec.update_strategy.type_;
    if !t.is_known() {
        errs.push(FieldError::not_supported("spec.updateStrategy.type", t.as_str(), &["OnDelete", "RollingUpdate"]));
    }
    if *t == StatefulSetUpdateStrategyType::OnDelete && s.spec.update_strategy.rolling_update.is_some() {
        errs.push(FieldError::invalid("spec.updateStrategy.rollingUpdate", "", "only allowed for updateStrategy 'RollingUpdate'"));
    }
    if let Some(ru) = &s.spec.update_strategy.rolling_update
        && let Some(p) = ru.partition
        && p < 0
    {
        errs.push(FieldError::invalid("spec.updateStrategy.rollingUpdate.partition", p.to_string(), "must be greater than or equal to 0"));
    }
    if let Some(o) = &s.spec.ordinals
        && o.start < 0
    {
        errs.push(FieldError::invalid("spec.ordinals.start", o.start.to_string(), "must be greater than or equal to 0"));
    }
    if let Some(pol) = &s.spec.persistent_volume_claim_retention_policy {
        for (f, v) in [("whenDeleted", &pol.when_deleted), ("whenScaled", &pol.when_scaled)] {
            if !v.is_known() {
                errs.push(FieldError::not_supported(
                    &format!("spec.persistentVolumeClaimRetentionPolicy.{f}"),
                    v.as_str(),
                    PersistentVolumeClaimRetentionPolicyType::KNOWN,
                ));
            }
        }
    }
    for (i, t) in s.spec.volume_claim_templates.iter().enumerate() {
        validate_pvc_spec(&t.spec, &format!("spec.volumeClaimTemplates[{i}].spec"), errs);
    }
}

fn validate_pod_spec(spec: &PodSpec, path: &str, errs: &mut Vec<FieldError>) {
    validate_pod_spec_with(spec, path, &[], errs)
}

fn validate_pod_spec_with(spec: &PodSpec, path: &str, extra_volumes: &[&str], errs: &mut Vec<FieldError>) {
    if spec.containers.is_empty() {
        errs.push(FieldError::required(&format!("{path}.containers"), ""));
    }
    let mut vol_names: Vec<&str> = extra_volumes.to_vec();
    for (i, v) in spec.volumes.iter().enumerate() {
        if v.name.is_empty() {
            errs.push(FieldError::required(&format!("{path}.volumes[{i}].name"), ""));
        } else if vol_names.contains(&v.name.as_str()) && !extra_volumes.contains(&v.name.as_str()) {
            errs.push(FieldError::duplicate(&format!("{path}.volumes[{i}].name"), q(&v.name)));
        }
        vol_names.push(v.name.as_str());
        if let Some(c) = &v.persistent_volume_claim
            && c.claim_name.is_empty()
        {
            errs.push(FieldError::required(&format!("{path}.volumes[{i}].persistentVolumeClaim.claimName"), ""));
        }
    }
    let mut names: Vec<&str> = vec![];
    for (group, list) in [("initContainers", &spec.init_containers), ("containers", &spec.containers)] {
        for (i, c) in list.iter().enumerate() {
            let cp = format!("{path}.{group}[{i}]");
            if c.name.is_empty() {
                errs.push(FieldError::required(&format!("{cp}.name"), ""));
            } else if !is_dns1123_label(&c.name) {
                errs.push(FieldError::invalid(&format!("{cp}.name"), q(&c.name), DNS1123_LABEL_MSG));
            } else if names.contains(&c.name.as_str()) {
                errs.push(FieldError::duplicate(&format!("{cp}.name"), q(&c.name)));
            }
            names.push(&c.name);
            if c.image.trim().is_empty() {
                errs.push(FieldError::required(&format!("{cp}.image"), ""));
            }
            for (j, m) in c.volume_mounts.iter().enumerate() {
                if !vol_names.contains(&m.name.as_str()) {
                    errs.push(FieldError::not_found(&format!("{cp}.volumeMounts[{j}].name"), q(&m.name)));
                }
                if m.mount_path.is_empty() {
                    errs.push(FieldError::required(&format!("{cp}.volumeMounts[{j}].mountPath"), ""));
                }
            }
            for (j, p) in c.ports.iter().enumerate() {
                if !(1..=65535).contains(&p.container_port) {
                    errs.push(FieldError::invalid(
                        &format!("{cp}.ports[{j}].containerPort"),
                        p.container_port.to_string(),
                        "must be between 1 and 65535, inclusive",
                    ));
                }
            }
        }
    }
    let rp = spec.restart_policy.as_str();
    if !["Always", "OnFailure", "Never"].contains(&rp) {
        errs.push(FieldError::not_supported(&format!("{path}.restartPolicy"), rp, &["Always", "OnFailure", "Never"]));
    }
    if let Some(g) = spec.termination_grace_period_seconds
        && g < 0
    {
        errs.push(FieldError::invalid(&format!("{path}.terminationGracePeriodSeconds"), g.to_string(), "must be greater than or equal to 0"));
    }
}

pub const ACCESS_MODES: &[&str] = &["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"];

fn validate_access_modes(modes: &[PersistentVolumeAccessMode], path: &str, errs: &mut Vec<FieldError>) {
    if modes.is_empty() {
        errs.push(FieldError::required(path, "at least 1 access mode is required"));
    }
    for m in modes {
        if !m.is_known() {
            errs.push(FieldError::not_supported(path, m.as_str(), ACCESS_MODES));
        }
    }
    if modes.contains(&PersistentVolumeAccessMode::ReadWriteOncePod) && modes.len() > 1 {
        errs.push(FieldError::forbidden(path, "may not use ReadWriteOncePod with other access modes"));
    }
}

pub fn validate_pvc_spec(spec: &PersistentVolumeClaimSpec, path: &str, errs: &mut Vec<FieldError>) {
    validate_access_modes(&spec.access_modes, &format!("{path}.accessModes"), errs);
    match spec.resources.requests.get("storage") {
        None => errs.push(FieldError::required(&format!("{path}.resources[storage]"), "")),
        Some(q) if q.is_zero() || q.value() <= 0 => {
            errs.push(FieldError::invalid(&format!("{path}.resources[storage]"), self::q(&q.to_string()), "must be greater than zero"))
        }
        _ => {}
    }
}

fn validate_pv(v: &PersistentVolume, errs: &mut Vec<FieldError>) {
    validate_access_modes(&v.spec.access_modes, "spec.accessModes", errs);
    if !v.spec.capacity.contains_key("storage") {
        errs.push(FieldError::required("spec.capacity", ""));
    }
    let sources = [v.spec.host_path.is_some(), v.spec.nfs.is_some(), v.spec.csi.is_some(), v.spec.local.is_some()].iter().filter(|x| **x).count();
    if sources == 0 {
        errs.push(FieldError::required("spec", "must specify a volume type"));
    } else if sources > 1 {
        errs.push(FieldError::forbidden("spec", "may not specify more than 1 volume type"));
    }
    let rp = &v.spec.persistent_volume_reclaim_policy;
    if !rp.is_known() {
        errs.push(FieldError::not_supported("spec.persistentVolumeReclaimPolicy", rp.as_str(), &["Delete", "Recycle", "Retain"]));
    }
    let recycle = *rp == PersistentVolumeReclaimPolicy::Recycle;
    if recycle && v.spec.host_path.is_none() && v.spec.nfs.is_none() {
        errs.push(FieldError::not_supported("spec.persistentVolumeReclaimPolicy", rp.as_str(), &["Delete", "Retain"]));
    }
    if let Some(hp) = &v.spec.host_path
        && recycle
        && (hp.path == "/" || hp.path.is_empty())
    {
        errs.push(FieldError::forbidden("spec.persistentVolumeReclaimPolicy", "may not be 'recycle' for a hostPath mount of '/'"));
    }
    if v.spec.local.is_some() && v.spec.node_affinity.is_none() {
        errs.push(FieldError::required("spec.nodeAffinity", "Local volume requires node affinity"));
    }
}

fn validate_service(s: &Service, errs: &mut Vec<FieldError>) {
    let t = s.spec.type_.as_str();
    if !["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"].contains(&t) {
        errs.push(FieldError::not_supported("spec.type", t, &["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]));
    }
    let headless = s.spec.cluster_ip == "None";
    if s.spec.ports.is_empty() && !headless && t != "ExternalName" {
        errs.push(FieldError::required("spec.ports", ""));
    }
    if headless && t == "NodePort" {
        errs.push(FieldError::invalid("spec.clusterIPs[0]", q("None"), "may not be set to 'None' for NodePort services"));
    }
    let multi = s.spec.ports.len() > 1;
    let mut names = vec![];
    for (i, p) in s.spec.ports.iter().enumerate() {
        if multi && p.name.is_empty() {
            errs.push(FieldError::required(&format!("spec.ports[{i}].name"), ""));
        }
        if !p.name.is_empty() {
            if names.contains(&p.name) {
                errs.push(FieldError::duplicate(&format!("spec.ports[{i}].name"), q(&p.name)));
            }
            names.push(p.name.clone());
        }
        if !(1..=65535).contains(&p.port) {
            errs.push(FieldError::invalid(&format!("spec.ports[{i}].port"), p.port.to_string(), "must be between 1 and 65535, inclusive"));
        }
        if p.node_port != 0 && !(30000..=32767).contains(&p.node_port) {
            errs.push(FieldError::invalid(
                &format!("spec.ports[{i}].nodePort"),
                p.node_port.to_string(),
                "provided port is not in the valid range. The range of valid ports is 30000-32767",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_error_texts() {
        assert_eq!(FieldError::required("spec.containers", "").to_string(), "spec.containers: Required value");
        assert_eq!(
            FieldError::not_supported("spec.template.spec.restartPolicy", "Never", &["Always"]).to_string(),
            "spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\""
        );
        assert_eq!(
            FieldError::invalid("spec.replicas", "-1", "must be greater than or equal to 0").to_string(),
            "spec.replicas: Invalid value: -1: must be greater than or equal to 0"
        );
    }

    #[test]
    fn names() {
        assert!(is_dns1123_subdomain("web-0.web"));
        assert!(!is_dns1123_subdomain("Web"));
        assert!(is_dns1123_label("web-0"));
        assert!(!is_dns1123_label("-web"));
        assert!(is_qualified_name("app.kubernetes.io/name"));
        assert!(!is_qualified_name("-x"));
        assert_eq!(dns1123_label_errors("a.b"), ["must not contain dots"]);
        assert_eq!(dns1123_subdomain_errors(&"a".repeat(254)), ["must be no more than 253 characters"]);
        assert_eq!(label_value_errors(&"v".repeat(64)), ["must be no more than 63 characters"]);
        assert_eq!(qualified_name_errors("a/b/c").len(), 1);
        assert_eq!(qualified_name_errors("/x"), ["prefix part must be non-empty"]);
        assert_eq!(qualified_name_errors(&"k".repeat(64)), ["name part must be no more than 63 characters"]);
    }

    #[test]
    fn node_registration() {
        assert!(node_registration_errors("node-d", "zone-a").is_empty());
        let long = "n".repeat(64);
        let errs: Vec<String> = node_registration_errors(&long, "zone-a").iter().map(|e| e.to_string()).collect();
        assert_eq!(errs, [format!("metadata.labels: Invalid value: \"{long}\": must be no more than 63 characters")]);
        let errs: Vec<String> = node_registration_errors("node-d", "not a zone!").iter().map(|e| e.to_string()).collect();
        assert_eq!(errs.len(), 1);
        assert!(errs[0].starts_with("metadata.labels: Invalid value: \"not a zone!\": a valid label must be an empty string"), "{errs:?}");
    }

    #[test]
    fn annotation_and_data_sizes() {
        let mut errs = vec![];
        let big = crate::engine::sort::map_from([("a".to_string(), "x".repeat(TOTAL_ANNOTATION_SIZE_LIMIT))]);
        validate_annotations(&big, "metadata.annotations", &mut errs);
        assert_eq!(errs.iter().map(|e| e.to_string()).collect::<Vec<_>>(), ["metadata.annotations: Too long: may not be more than 262144 bytes"]);
        let mut cm = ConfigMap::default();
        cm.metadata.name = "big".into();
        cm.data.insert("a".into(), "x".repeat(MAX_SECRET_SIZE));
        assert!(validate_create(&Object::ConfigMap(cm.clone()), &Store::new()).is_empty(), "exactly 1 MiB is allowed");
        cm.data.insert("b".into(), "y".into());
        let errs: Vec<String> = validate_create(&Object::ConfigMap(cm), &Store::new()).iter().map(|e| e.to_string()).collect();
        assert_eq!(errs, ["[]: Too long: may not be more than 1048576 bytes"]);
        assert_eq!(base64_decoded_len("YWJj"), 3);
        assert_eq!(base64_decoded_len("YWI="), 2);
        assert_eq!(base64_decoded_len("YQ=="), 1);
        assert_eq!(config_map_key_errors("..x"), ["must not start with '..'"]);
    }

    #[test]
    fn statefulset_update_is_restricted() {
        let mut a = StatefulSet::default();
        a.metadata.name = "web".into();
        a.spec.selector = Some(LabelSelector { match_labels: [("app".to_string(), "web".to_string())].into(), ..Default::default() });
        a.spec.template.metadata.labels = [("app".to_string(), "web".to_string())].into();
        a.spec.template.spec.containers.push(Container { name: "c".into(), image: "nginx".into(), ..Default::default() });
        a.spec.template.spec.restart_policy = "Always".into();
        a.spec.pod_management_policy = PodManagementPolicyType::OrderedReady;
        a.spec.update_strategy.type_ = StatefulSetUpdateStrategyType::RollingUpdate;
        let mut b = a.clone();
        b.spec.replicas = Some(5);
        let store = Store::new();
        assert!(validate_update(&Object::StatefulSet(a.clone()), &Object::StatefulSet(b.clone()), &store).is_empty());
        b.spec.service_name = "other".into();
        let errs = validate_update(&Object::StatefulSet(a), &Object::StatefulSet(b), &store);
        assert_eq!(errs.len(), 1);
        assert!(errs[0].to_string().starts_with("spec: Forbidden: updates to statefulset spec for fields other than"));
    }
}
