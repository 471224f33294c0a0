//! Template identity, shared by the StatefulSet and Deployment controllers
//! and by `kubectl rollout history|undo`:
//!
//! - ControllerRevisions (pkg/controller/history): a StatefulSet's template
//!   is stored as the strategic-merge patch `getPatch` makes,
//!   `{"spec":{"template":{"$patch":"replace",...}}}`, in Go's JSON encoding
//!   (keys sorted, as json.Marshal sorts a map), named
//!   `<parent>-<hash>` where the hash is FNV-1 32 over those bytes plus the
//!   collision count, encoded with `rand.SafeEncodeString`.
//! - The Deployment's `pod-template-hash` (`controller.ComputeHash`):
//!   FNV-1a 32 over a stable rendering of the template (Go hashes a spew
//!   dump of the struct, which cannot be reproduced byte for byte; we hash
//!   the canonical JSON) plus the collision count as 8 little-endian bytes.

use crate::engine::api::*;
use crate::engine::rng::{fnv32a, safe_encode};
use serde_json::{Value, json};

/// The label a ControllerRevision carries its hash in.
pub const CONTROLLER_REVISION_HASH_LABEL: &str = "controller.kubernetes.io/hash";
/// `apps.DefaultDeploymentUniqueLabelKey`.
pub const POD_TEMPLATE_HASH_LABEL: &str = "pod-template-hash";

/// FNV-1 32-bit (Go's `fnv.New32`, which HashControllerRevision uses).
pub fn fnv32(bytes: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in bytes {
        h = h.wrapping_mul(0x0100_0193);
        h ^= *b as u32;
    }
    h
}

/// Go's `json.Marshal` of a decoded JSON value: compact, map keys sorted,
/// `<`, `>`, `&`, U+2028 and U+2029 escaped.
pub fn go_json(v: &Value) -> String {
    let s = serde_json::to_string(v).unwrap_or_default();
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// `HashControllerRevision`.
pub fn hash_revision(data: &Value, probe: Option<i32>) -> String {
    let mut bytes = go_json(data).into_bytes();
    if let Some(p) = probe {
        bytes.extend_from_slice(p.to_string().as_bytes());
    }
    safe_encode(&fnv32(&bytes).to_string())
}

/// `ControllerRevisionName`: the prefix is cut to 223 characters.
pub fn revision_name(prefix: &str, hash: &str) -> String {
    let p: String = prefix.chars().take(223).collect();
    format!("{p}-{hash}")
}

/// `NewControllerRevision`: owned by `parent`, labelled with the template's
/// labels and the hash, named after the parent and the hash.
pub fn new_controller_revision(
    parent: &ObjectMeta,
    parent_kind: Kind,
    template_labels: &Labels,
    data: Value,
    revision: i64,
    collision_count: Option<i32>,
) -> ControllerRevision {
    let hash = hash_revision(&data, collision_count);
    let mut labels = template_labels.clone();
    labels.insert(CONTROLLER_REVISION_HASH_LABEL.into(), hash.clone());
    ControllerRevision {
        metadata: ObjectMeta {
            name: revision_name(&parent.name, &hash),
            namespace: parent.namespace.clone(),
            labels,
            owner_references: vec![super::controller_utils::new_controller_ref(parent, parent_kind)],
            ..Default::default()
        },
        data: data.into(),
        revision,
        ..Default::default()
    }
}

/// `EqualRevision`: same data.
pub fn equal_revision(a: &ControllerRevision, b: &ControllerRevision) -> bool {
    a.data == b.data
}

/// `SortControllerRevisions`: by revision number, then creation time, then name.
pub fn sort_revisions(revs: &mut [ControllerRevision]) {
    crate::engine::sort::sort_by(revs, |a, b| {
        a.revision
            .cmp(&b.revision)
            .then_with(|| a.metadata.creation_timestamp.map(|t| t.0 / 1000).cmp(&b.metadata.creation_timestamp.map(|t| t.0 / 1000)))
            .then_with(|| a.metadata.name.cmp(&b.metadata.name))
    });
}

/// `getPatch`: the part of a StatefulSet a revision records (its template),
/// as a replace-patch in Go's JSON shape.
pub fn statefulset_patch(set: &StatefulSet) -> Value {
    let mut t = crate::engine::api::to_json(&set.spec.template);
    if let Some(m) = t.as_object_mut() {
        // metav1.Time is a struct: json.Marshal writes the zero time as null.
        if let Some(meta) = m.get_mut("metadata").and_then(|x| x.as_object_mut()) {
            meta.entry("creationTimestamp").or_insert(Value::Null);
        }
        m.insert("$patch".into(), json!("replace"));
    }
    json!({ "spec": { "template": t } })
}

/// The pod template a revision recorded.
pub fn revision_template(cr: &ControllerRevision) -> Option<PodTemplateSpec> {
    let mut t = cr.data.get("spec")?.get("template")?.clone();
    if let Some(m) = t.as_object_mut() {
        m.remove("$patch");
    }
    crate::engine::decode::from_json(&t)
}

/// `ApplyRevision`: the StatefulSet with the revision's template.
pub fn apply_revision(set: &StatefulSet, cr: &ControllerRevision) -> Result<StatefulSet, String> {
    let t = revision_template(cr).ok_or_else(|| format!("controller revision {} holds no pod template", cr.metadata.name))?;
    let mut s = set.clone();
    s.spec.template = t;
    Ok(s)
}

/// `controller.ComputeHash`: the Deployment's pod-template-hash.
pub fn compute_hash(template: &PodTemplateSpec, collision_count: Option<i32>) -> String {
    let mut bytes = serde_json::to_string(template).unwrap_or_default().into_bytes();
    if let Some(c) = collision_count {
        let mut b = [0u8; 8];
        b[..4].copy_from_slice(&(c as u32).to_le_bytes());
        bytes.extend_from_slice(&b);
    }
    safe_encode(&fnv32a(&bytes).to_string())
}

/// `EqualIgnoreHash`: templates equal once the pod-template-hash label is
/// dropped from both.
pub fn equal_ignore_hash(a: &PodTemplateSpec, b: &PodTemplateSpec) -> bool {
    let mut a = a.clone();
    let mut b = b.clone();
    a.metadata.labels.remove(POD_TEMPLATE_HASH_LABEL);
    b.metadata.labels.remove(POD_TEMPLATE_HASH_LABEL);
    a == b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sts(image: &str) -> StatefulSet {
        let mut s = StatefulSet { metadata: ObjectMeta::named("default", "web"), ..Default::default() };
        s.metadata.uid = "uid-web".into();
        s.spec.template.metadata.labels.insert("app".into(), "web".into());
        s.spec.template.spec.containers.push(Container { name: "nginx".into(), image: image.into(), ..Default::default() });
        s
    }

    #[test]
    fn fnv1_known_values() {
        // Go: fnv.New32() of "" and "a"
        assert_eq!(fnv32(b""), 0x811c9dc5);
        assert_eq!(fnv32(b"a"), 0x050c5d7e);
        assert_eq!(fnv32a(b"a"), 0xe40c292c);
    }

    #[test]
    fn patch_has_gos_shape() {
        let p = statefulset_patch(&sts("nginx:1.25"));
        let s = go_json(&p);
        assert!(s.starts_with(r#"{"spec":{"template":{"$patch":"replace","metadata":{"creationTimestamp":null,"labels":{"app":"web"}},"spec":{"containers":[{"image":"nginx:1.25","name":"nginx","resources":{}}]"#), "{s}");
        assert_eq!(go_json(&json!({"a": "<&>"})), r#"{"a":"\u003c\u0026\u003e"}"#);
    }

    #[test]
    fn revisions_hash_by_template_and_round_trip() {
        let a = sts("nginx:1.25");
        let b = sts("nginx:1.26");
        let ra = new_controller_revision(&a.metadata, Kind::StatefulSet, &a.spec.template.metadata.labels, statefulset_patch(&a), 1, Some(0));
        let ra2 = new_controller_revision(&a.metadata, Kind::StatefulSet, &a.spec.template.metadata.labels, statefulset_patch(&a), 2, Some(0));
        let rb = new_controller_revision(&b.metadata, Kind::StatefulSet, &b.spec.template.metadata.labels, statefulset_patch(&b), 2, Some(0));
        assert_eq!(ra.metadata.name, ra2.metadata.name);
        assert_ne!(ra.metadata.name, rb.metadata.name);
        assert!(ra.metadata.name.starts_with("web-"));
        assert_eq!(ra.metadata.labels[CONTROLLER_REVISION_HASH_LABEL], &ra.metadata.name[4..]);
        assert!(equal_revision(&ra, &ra2) && !equal_revision(&ra, &rb));
        // a different collision count gives a different name for the same data
        let rc = new_controller_revision(&a.metadata, Kind::StatefulSet, &a.spec.template.metadata.labels, statefulset_patch(&a), 1, Some(1));
        assert_ne!(ra.metadata.name, rc.metadata.name);
        let back = apply_revision(&b, &ra).unwrap();
        assert_eq!(back.spec.template, a.spec.template);
    }

    #[test]
    fn pod_template_hash_is_stable_and_ignores_nothing_but_the_label() {
        let a = sts("nginx:1.25").spec.template;
        let mut b = a.clone();
        assert_eq!(compute_hash(&a, None), compute_hash(&b, None));
        assert_ne!(compute_hash(&a, None), compute_hash(&a, Some(1)));
        b.metadata.labels.insert(POD_TEMPLATE_HASH_LABEL.into(), "x".into());
        assert!(equal_ignore_hash(&a, &b));
        b.spec.containers[0].image = "nginx:1.26".into();
        assert!(!equal_ignore_hash(&a, &b));
        assert_ne!(compute_hash(&a, None), compute_hash(&b, None));
    }
}
