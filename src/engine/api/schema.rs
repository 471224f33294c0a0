//! The schema table (explain_data.json, generated from the Kubernetes 1.36
//! API types by scripts/gen_api.py): for every served apiVersion/kind its
//! root type, and for every struct its fields with their OpenAPI types,
//! descriptions, enum values and Go types.
//!
//! It checks the kinds the engine stores as [`super::Generic`] (the strict
//! decoder's unknown fields and encoding/json's type errors) and feeds
//! `kubectl explain`. Natively it is compiled in; in the page it is a
//! separate file fetched after the first frame (it is ~150 KB gzip that the
//! first frame does not need), handed over with [`provide`].
//!
//! Architecture Invariant: this table and kinds.rs are the only description
//! of the API surface; both are generated, never edited.

use crate::engine::decode::{DecodeError, UnknownField};
use crate::engine::yaml::{Node, Val};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::OnceLock;

#[cfg(not(target_arch = "wasm32"))]
pub fn data() -> Option<&'static str> {
    Some(include_str!("explain_data.json"))
}

#[cfg(target_arch = "wasm32")]
static LOADED: OnceLock<String> = OnceLock::new();

#[cfg(target_arch = "wasm32")]
pub fn data() -> Option<&'static str> {
    LOADED.get().map(|s| s.as_str())
}

/// Hands the fetched schema table over (the page calls it once).
#[cfg(target_arch = "wasm32")]
pub fn provide(json: String) {
    let _ = LOADED.set(json);
}

pub struct TypeEntry {
    /// The type's description.
    pub d: String,
    /// Fields, by JSON name.
    pub f: Vec<Field>,
}

/// A field as the table stores it: `[json name, OpenAPI type, description,
/// required (0/1), enum values or null, Go type]`.
#[derive(Clone)]
pub struct Field(pub String, pub String, pub String, pub u8, pub Option<Vec<String>>, pub String);

pub struct Schema {
    /// `apps/v1/DaemonSet` -> the key of its root type in `types`.
    pub kinds: BTreeMap<String, String>,
    /// Boxed: a map value of `TypeEntry`'s layout was the wasm's only one.
    pub types: BTreeMap<String, Box<TypeEntry>>,
}

/// The parsed table, or None while it is still downloading (the page).
pub fn get() -> Option<&'static Schema> {
    static S: OnceLock<Option<Schema>> = OnceLock::new();
    let text = data()?;
    S.get_or_init(|| parse(text)).as_ref()
}

/// Reads the table through serde_json's Value (its code is in the wasm
/// already) rather than a derived Deserialize of its own.
fn parse(text: &str) -> Option<Schema> {
    let v: Value = serde_json::from_str(text).ok()?;
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let kinds = crate::engine::sort::map_from(v.get("kinds")?.as_object()?.iter().map(|(k, t)| (k.clone(), s(t))));
    let types = crate::engine::sort::map_from(v.get("types")?.as_object()?.iter().map(|(name, t)| {
        let fields = t.get("f").and_then(|f| f.as_array()).map(|a| a.as_slice()).unwrap_or_default();
        let f = fields
            .iter()
            .map(|f| {
                let at = |i: usize| f.get(i).unwrap_or(&Value::Null);
                let enums = at(4).as_array().map(|a| a.iter().map(s).collect());
                Field(s(at(0)), s(at(1)), s(at(2)), at(3).as_u64().unwrap_or(0) as u8, enums, s(at(5)))
            })
            .collect();
        (name.clone(), Box::new(TypeEntry { d: s(t.get("d").unwrap_or(&Value::Null)), f }))
    }));
    Some(Schema { kinds, types })
}

/// Whether a text (manifests, a transcript) writes a kind that is checked
/// against the table or runs `kubectl explain`: an embed waits for the
/// table before it applies such a text.
pub fn needed_by(text: &str) -> bool {
    if text.contains("kubectl explain") {
        return true;
    }
    // Every `kind: X` and `"kind": "X"`, wherever it stands on its line.
    let mut rest = text;
    while let Some(i) = rest.find("kind") {
        let before = rest[..i].chars().next_back();
        let after = rest[i + 4..].trim_start_matches('"').trim_start();
        rest = &rest[i + 4..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.' || c == '-') {
            continue;
        }
        let Some(value) = after.strip_prefix(':') else { continue };
        let value = value.trim_start().trim_start_matches(['"', '\'']);
        let end = value.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(value.len());
        let k = &value[..end];
        if super::Kind::ALL.iter().any(|kind| kind.is_generic() && kind.info().kind == k) {
            return true;
        }
    }
    false
}

/// How kubectl shows a type name: the table's key without the `@package`
/// that tells apart Go types of one name (`[]Subject@rbac` -> `[]Subject`).
pub fn display(t: &str) -> String {
    let mut out = String::with_capacity(t.len());
    let mut skip = false;
    for c in t.chars() {
        match c {
            '@' => skip = true,
            c if skip && (c.is_ascii_alphanumeric()) => {}
            c => {
                skip = false;
                out.push(c);
            }
        }
    }
    out
}

impl Schema {
    /// The root type of `api_version`/`kind`.
    pub fn root(&self, api_version: &str, kind: &str) -> Option<&str> {
        self.kinds.get(&format!("{api_version}/{kind}")).map(|s| s.as_str())
    }

    /// Checks a manifest tree against type `ty` as the API server's strict
    /// decoder would: unknown fields are collected (kubectl's paths, source
    /// positions), a value of the wrong JSON type is encoding/json's error.
    pub fn check(&self, ty: &str, node: &Node, unknown: &mut Vec<UnknownField>) -> Result<(), DecodeError> {
        let mut c = Check { s: self, unknown, path: String::new() };
        c.node(ty, node, "", "")
    }
}

struct Check<'a> {
    s: &'a Schema,
    unknown: &'a mut Vec<UnknownField>,
    /// kubectl-style path of the node being checked.
    path: String,
}

impl Check<'_> {
    /// `strukt`: the Go struct the node is a field of; `go`: the field's Go type.
    fn node(&mut self, ty: &str, node: &Node, strukt: &str, go: &str) -> Result<(), DecodeError> {
        let ok = match (&node.v, ty) {
            (Val::Null, _) => true,
            (Val::Seq(items), t) if t.starts_with("[]") => {
                let inner = &t[2..];
                let go_inner = go.strip_prefix("[]").unwrap_or("");
                for (i, item) in items.iter().enumerate() {
                    let len = self.path.len();
                    self.path.push_str(&format!("[{i}]"));
                    self.node(inner, item, strukt, go_inner)?;
                    self.path.truncate(len);
                }
                true
            }
            (_, t) if t.starts_with("[]") => false,
            (Val::Map(entries), t) if t.starts_with("map[string]") => {
                let inner = &t["map[string]".len()..];
                let go_inner = go.split_once(']').map(|(_, v)| v).unwrap_or("");
                for (k, _, v) in entries {
                    let len = self.path.len();
                    self.push_key(k);
                    self.node(inner, v, strukt, go_inner)?;
                    self.path.truncate(len);
                }
                true
            }
            (_, t) if t.starts_with("map[") => false,
            (Val::Str(_), "string") => true,
            (Val::Int(_), "integer") => int_fits(node, go),
            (Val::Float(f), "integer") => f.fract() == 0.0 && int_fits(node, go),
            (Val::Int(_) | Val::Float(_), "number") => true,
            (Val::Bool(_), "boolean") => true,
            (_, "string" | "integer" | "number" | "boolean") => false,
            (Val::Str(_) | Val::Int(_), "IntOrString") => true,
            (_, "IntOrString") => false,
            (Val::Str(_) | Val::Int(_) | Val::Float(_), "Quantity") => true,
            (_, "Quantity") => false,
            (Val::Map(entries), t) => match self.s.types.get(t) {
                None => true,
                Some(te) => {
                    let name = display(t);
                    for (k, kpos, v) in entries {
                        let len = self.path.len();
                        self.push_key(k);
                        match te.f.binary_search_by(|f| f.0.as_str().cmp(k)) {
                            Ok(i) => {
                                let f = &te.f[i];
                                self.node(&f.1, v, &name, &f.5)?;
                            }
                            Err(_) => self.unknown.push(UnknownField { path: self.path.clone(), pos: *kpos }),
                        }
                        self.path.truncate(len);
                    }
                    true
                }
            },
            (_, t) => !self.s.types.contains_key(t),
        };
        if ok { Ok(()) } else { Err(crate::engine::decode::type_error(node, strukt, &self.path, go)) }
    }

    fn push_key(&mut self, k: &str) {
        if !self.path.is_empty() {
            self.path.push('.');
        }
        self.path.push_str(k);
    }
}

/// Whether an integer node fits the Go integer type `go` (`int32`, `*int64`...).
fn int_fits(node: &Node, go: &str) -> bool {
    let v = match node.v {
        Val::Int(i) => i as f64,
        Val::Float(f) => f,
        _ => return false,
    };
    let (lo, hi) = match go {
        "int32" => (i32::MIN as f64, i32::MAX as f64),
        "uint32" => (0.0, u32::MAX as f64),
        "uint64" | "uint8" | "uint16" => (0.0, f64::MAX),
        _ => (i64::MIN as f64, i64::MAX as f64),
    };
    v >= lo && v <= hi
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::yaml;

    fn check(api_version: &str, kind: &str, text: &str) -> Result<Vec<String>, String> {
        let s = get().expect("schema");
        let node = yaml::parse_stream(text).expect("yaml").remove(0).node;
        let mut unknown = vec![];
        s.check(s.root(api_version, kind).expect("kind"), &node, &mut unknown).map_err(|e| e.message)?;
        Ok(unknown.into_iter().map(|u| u.path).collect())
    }

    #[test]
    fn every_served_kind_has_a_root_type_and_every_field_type_resolves() {
        let s = get().expect("schema");
        for k in crate::engine::api::Kind::ALL {
            let i = k.info();
            for v in std::iter::once(&i.version).chain(i.also.iter()) {
                let av = if i.group.is_empty() { v.to_string() } else { format!("{}/{v}", i.group) };
                let root = s.root(&av, i.kind).unwrap_or_else(|| panic!("{av}/{} has no root type", i.kind));
                assert!(s.types.contains_key(root), "{root}");
            }
        }
        for (name, t) in &s.types {
            assert!(t.f.windows(2).all(|w| w[0].0 < w[1].0), "{name}: fields must be sorted for the binary search");
        }
    }

    #[test]
    fn unknown_fields_and_type_errors_as_the_api_server_words_them() {
        let ds = "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: x\nspec:\n  selector:\n    matchLabels: {app: x}\n  template:\n    metadata:\n      labels: {app: x}\n    spec:\n      containers:\n      - name: c\n        image: busybox\n        imagee: typo\n      tolerations:\n      - key: node-role.kubernetes.io/control-plane\n        effect: NoSchedule\n";
        assert_eq!(check("apps/v1", "DaemonSet", ds).unwrap(), vec!["spec.template.spec.containers[0].imagee"]);
        let job = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: x\nspec:\n  parallelism: two\n";
        assert_eq!(check("batch/v1", "Job", job).unwrap_err(), "json: cannot unmarshal string into Go struct field JobSpec.spec.parallelism of type int32");
        let rb = "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: x\nsubjects:\n- kind: User\n  name: jane\n  apiGroup: rbac.authorization.k8s.io\nroleRef:\n  kind: Role\n  name: pod-reader\n  apiGroup: rbac.authorization.k8s.io\n";
        assert_eq!(check("rbac.authorization.k8s.io/v1", "RoleBinding", rb).unwrap(), Vec::<String>::new());
        let hpa = "apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: x\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: x}\n  minReplicas: 1\n  maxReplicas: 10\n  targetCPUUtilizationPercentage: 50\n";
        assert_eq!(check("autoscaling/v1", "HorizontalPodAutoscaler", hpa).unwrap(), Vec::<String>::new());
        assert_eq!(check("autoscaling/v2", "HorizontalPodAutoscaler", hpa).unwrap(), vec!["spec.targetCPUUtilizationPercentage"]);
        let crd = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: crontabs.stable.example.com\nspec:\n  group: stable.example.com\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema:\n        type: object\n        properties:\n          spec:\n            type: object\n            x-kubernetes-preserve-unknown-fields: true\n            properties:\n              replicas: {type: integer, default: 1}\n              tags: {type: array, items: {type: string}}\n  scope: Namespaced\n  names: {plural: crontabs, singular: crontab, kind: CronTab, shortNames: [ct]}\n";
        assert_eq!(check("apiextensions.k8s.io/v1", "CustomResourceDefinition", crd).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn a_text_needs_the_table_when_it_writes_a_generic_kind_or_explains() {
        assert!(needed_by("apiVersion: batch/v1\nkind: Job\n"));
        assert!(needed_by("{\"apiVersion\": \"v1\", \"kind\": \"LimitRange\"}"));
        assert!(needed_by("$ kubectl explain pods\n"));
        assert!(!needed_by("apiVersion: apps/v1\nkind: StatefulSet\n---\nkind: Service\n"));
    }

    #[test]
    fn display_drops_the_package_suffix() {
        assert_eq!(display("[]Subject@rbac"), "[]Subject");
        assert_eq!(display("map[string]Foo@bar"), "map[string]Foo");
        assert_eq!(display("PodSpec"), "PodSpec");
    }
}
