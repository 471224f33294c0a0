//! CustomResourceDefinitions, as the apiextensions-apiserver serves them:
//! a CRD's validation and defaults, the names it is accepted and
//! established under (its naming and establishing controllers act in the
//! instant it is written here), and its custom resources: served under
//! their group, versions and names while the CRD is stored, checked
//! against the version's `openAPIV3Schema` (unknown fields as the strict
//! decoder refuses them, then kube-openapi's type, required and enum
//! errors), deleted with the CRD.

use super::validation::{FieldError, dns1123_subdomain_errors, q};
use super::{ApiError, Reason};
use crate::engine::api::custom::{CustomKind, Names};
use crate::engine::api::{Generic, Kind, Object};
use crate::engine::store::Store;
use crate::engine::time::Time;
use serde_json::{Value, json};

/// What keeps a deleted CRD until its custom resources are gone.
pub const CLEANUP_FINALIZER: &str = "customresourcecleanup.apiextensions.k8s.io";

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_default()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_string).collect()
}

/// Kube-aware version order (apimachinery's CompareKubeAwareVersionStrings):
/// GA before beta before alpha, higher numbers first, then any other
/// string alphabetically.
fn priority(v: &str) -> (u8, i64, i64, String) {
    let parse = |r: &str| -> Option<(i64, u8, i64)> {
        let digits = r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len());
        let major: i64 = r[..digits].parse().ok()?;
        let rest = &r[digits..];
        let (level, minor) = match rest {
            "" => (0, 0),
            _ if rest.starts_with("beta") => (1, rest[4..].parse().ok()?),
            _ if rest.starts_with("alpha") => (2, rest[5..].parse().ok()?),
            _ => return None,
        };
        Some((major, level, minor))
    };
    match v.strip_prefix('v').and_then(parse) {
        Some((major, level, minor)) => (level, -major, -minor, String::new()),
        None => (3, 0, 0, v.to_string()),
    }
}

/// The names and versions a CRD serves its kind under.
pub fn names(crd: &Generic) -> Names {
    let spec = crd.field("spec");
    let n = &spec["names"];
    let mut versions: Vec<String> =
        spec["versions"].as_array().into_iter().flatten().filter(|v| v["served"] != Value::Bool(false)).map(|v| s(v, "name").to_string()).collect();
    crate::engine::sort::sort_by_key(&mut versions, |v| priority(v));
    let kind = s(n, "kind");
    let singular = match s(n, "singular") {
        "" => kind.to_ascii_lowercase(),
        x => x.to_string(),
    };
    Names {
        kind: kind.into(),
        group: s(spec, "group").into(),
        versions,
        plural: s(n, "plural").into(),
        singular,
        short_names: strings(&n["shortNames"]),
        namespaced: s(spec, "scope") != "Cluster",
        categories: strings(&n["categories"]),
    }
}

fn established(crd: &Generic) -> bool {
    crd.field("status")["conditions"].as_array().into_iter().flatten().any(|c| s(c, "type") == "Established" && s(c, "status") == "True")
}

/// Every custom kind the store's established CRDs serve, with its CRD.
pub fn kinds(store: &Store) -> Vec<(Kind, &Generic)> {
    store
        .list(Kind::CustomResourceDefinition)
        .filter_map(|o| match &**o {
            Object::Generic(g) if established(g) && g.metadata.deletion_timestamp.is_none() => Some((Kind::Custom(CustomKind::intern(&names(g))), g)),
            _ => None,
        })
        .collect()
}

/// The kind a manifest's apiVersion and kind name in this cluster: a
/// built-in one, or a custom one its stored CRDs serve.
pub fn kind_of(store: &Store, api_version: &str, kind: &str) -> Option<Kind> {
    Kind::from_type_meta(api_version, kind).or_else(|| kinds(store).into_iter().map(|(k, _)| k).find(|k| k.info().kind == kind && k.info().serves(api_version)))
}

/// The kind kubectl's name for it names in this cluster (`pods`,
/// `crontabs`, `ct`, `crontab.stable.example.com`...): built-in kinds
/// first, then the custom ones its stored CRDs serve.
pub fn kind_named(store: &Store, name: &str) -> Option<Kind> {
    Kind::lookup(name).or_else(|| kinds(store).into_iter().map(|(k, _)| k).find(|k| Kind::names_it(*k, name)))
}

/// The stored CRD that defines a custom kind.
pub fn crd_of(store: &Store, kind: Kind) -> Option<&Generic> {
    let i = kind.info();
    match &**store.get(Kind::CustomResourceDefinition, &crate::engine::api::ObjKey::cluster(&format!("{}.{}", i.plural, i.group)))? {
        Object::Generic(g) => Some(g),
        _ => None,
    }
}

/// The version's printer columns (`additionalPrinterColumns`), or AGE.
pub fn columns(store: &Store, kind: Kind, version: &str) -> Vec<Value> {
    let v = crd_of(store, kind).and_then(|c| c.field("spec")["versions"].as_array()?.iter().find(|v| s(v, "name") == version).cloned());
    match v.as_ref().and_then(|v| v["additionalPrinterColumns"].as_array()) {
        Some(cols) if !cols.is_empty() => cols.clone(),
        _ => vec![json!({"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"})],
    }
}

/// ValidateCustomResourceDefinition's checks of the names (the schema
/// table has checked the shape).
pub fn validate(crd: &Generic) -> Vec<FieldError> {
    let mut errs = vec![];
    let spec = crd.field("spec");
    let n = names(crd);
    let name = &crd.metadata.name;
    let mut msgs = dns1123_subdomain_errors(name);
    if *name != format!("{}.{}", n.plural, n.group) {
        msgs.push("must be spec.names.plural+\".\"+spec.group".into());
    }
    for m in msgs {
        errs.push(FieldError::invalid("metadata.name", q(name), &m));
    }
    for (f, v) in [("group", &n.group), ("names.plural", &n.plural), ("names.kind", &n.kind)] {
        if v.is_empty() {
            errs.push(FieldError::required(&format!("spec.{f}"), ""));
        }
    }
    let scope = s(spec, "scope");
    if scope != "Cluster" && scope != "Namespaced" {
        errs.push(if scope.is_empty() {
            FieldError::required("spec.scope", "")
        } else {
            FieldError::not_supported("spec.scope", scope, &["Cluster", "Namespaced"])
        });
    }
    let versions = spec["versions"].as_array().map(Vec::as_slice).unwrap_or_default();
    if versions.is_empty() {
        errs.push(FieldError::invalid("spec.versions", "null", "must have exactly one version marked as storage version"));
    }
    for (i, v) in versions.iter().enumerate() {
        if v["schema"]["openAPIV3Schema"].is_null() {
            errs.push(FieldError::required(&format!("spec.versions[{i}].schema.openAPIV3Schema"), "schemas are required"));
        }
    }
    errs
}

/// What the API server defaults on a CRD (singular, listKind, conversion)
/// and the status its naming and establishing controllers give it.
pub fn on_create(crd: &mut Generic, now: Time) {
    crd.metadata.add_finalizer(CLEANUP_FINALIZER);
    let n = names(crd);
    let spec = crd.body.entry("spec").or_insert_with(|| json!({}));
    let names = &mut spec["names"];
    names["singular"] = json!(n.singular);
    if names["listKind"].is_null() {
        names["listKind"] = json!(format!("{}List", n.kind));
    }
    if spec["conversion"].is_null() {
        spec["conversion"] = json!({"strategy": "None"});
    }
    let accepted = spec["names"].clone();
    let storage: Vec<Value> =
        spec["versions"].as_array().into_iter().flatten().filter(|v| v["storage"] == Value::Bool(true)).map(|v| v["name"].clone()).collect();
    let t = now.rfc3339();
    crd.body.insert(
        "status".into(),
        json!({
            "acceptedNames": accepted,
            "conditions": [
                {"lastTransitionTime": t, "message": "no conflicts found", "reason": "NoConflicts", "status": "True", "type": "NamesAccepted"},
                {"lastTransitionTime": t, "message": "the initial names have been accepted", "reason": "InitialNamesAccepted", "status": "True", "type": "Established"}
            ],
            "storedVersions": storage,
        }),
    );
}

/// The JSON type kube-openapi names in its errors.
fn type_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A number as the error prints it (an integer as one, else as JSON).
fn jsonish(v: &Value) -> String {
    v.as_i64().map(|i| i.to_string()).unwrap_or_else(|| v.to_string())
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }
}

/// Walks a value against a structural schema: unknown fields (not declared,
/// not under `x-kubernetes-preserve-unknown-fields`) go to `unknown`, type,
/// required and enum failures to `errs`.
fn walk(v: &Value, schema: &Value, path: &str, unknown: &mut Vec<String>, errs: &mut Vec<FieldError>) {
    let t = s(schema, "type");
    let int_or_string = schema["x-kubernetes-int-or-string"] == Value::Bool(true);
    let actual = type_of(v);
    let type_ok = match t {
        _ if int_or_string => matches!(actual, "integer" | "string"),
        "" => true,
        "number" => matches!(actual, "integer" | "number"),
        _ if v.is_null() => schema["nullable"] == Value::Bool(true),
        t => t == actual,
    };
    if !type_ok {
        let detail = format!("{path} in body must be of type {t}: {actual:?}");
        errs.push(FieldError::invalid(path, format!("{actual:?}"), &detail));
        return;
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(v)
    {
        let shown: Vec<String> = allowed.iter().map(|a| a.as_str().map(str::to_string).unwrap_or_else(|| a.to_string())).collect();
        let value = v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
        errs.push(FieldError::not_supported(path, &value, &shown.iter().map(String::as_str).collect::<Vec<_>>()));
    }
    if let Some(n) = v.as_f64() {
        let shown = jsonish(v);
        if schema["minimum"].as_f64().is_some_and(|m| n < m) {
            errs.push(FieldError::invalid(path, shown.clone(), &format!("{path} in body should be greater than or equal to {}", jsonish(&schema["minimum"]))));
        }
        if schema["maximum"].as_f64().is_some_and(|m| n > m) {
            errs.push(FieldError::invalid(path, shown, &format!("{path} in body should be less than or equal to {}", jsonish(&schema["maximum"]))));
        }
    }
    match v {
        Value::Object(m) => {
            let props = schema["properties"].as_object();
            let preserve = schema["x-kubernetes-preserve-unknown-fields"] == Value::Bool(true);
            let extra = &schema["additionalProperties"];
            for key in strings(&schema["required"]) {
                if !m.contains_key(&key) {
                    errs.push(FieldError::required(&join(path, &key), ""));
                }
            }
            for (k, val) in m {
                if path.is_empty() && matches!(k.as_str(), "apiVersion" | "kind" | "metadata") {
                    continue;
                }
                match props.and_then(|p| p.get(k)) {
                    Some(sub) => walk(val, sub, &join(path, k), unknown, errs),
                    None if extra.is_object() => walk(val, extra, &join(path, k), unknown, errs),
                    None if preserve || extra == &Value::Bool(true) => {}
                    None => unknown.push(join(path, k)),
                }
            }
        }
        Value::Array(items) if schema["items"].is_object() => {
            for (i, item) in items.iter().enumerate() {
                walk(item, &schema["items"], &format!("{path}[{i}]"), unknown, errs);
            }
        }
        _ => {}
    }
}

/// The checks a custom resource passes to be written: its CRD stored and
/// established (else the resource is not served), no unknown field (the
/// strict decoder's BadRequest), and the schema's validation (Invalid).
pub fn check(store: &Store, obj: &Generic) -> Result<(), ApiError> {
    let kind = obj.kind;
    let i = kind.info();
    let schema = crd_of(store, kind)
        .filter(|c| established(c))
        .and_then(|c| c.field("spec")["versions"].as_array()?.iter().find(|v| s(v, "name") == i.version_of(&obj.api_version)).cloned())
        .map(|v| v["schema"]["openAPIV3Schema"].clone())
        .ok_or_else(|| ApiError::new(Reason::NotFound, "the server could not find the requested resource"))?;
    let (mut unknown, mut errs) = (vec![], vec![]);
    walk(&Value::Object(obj.body.clone()), &schema, "", &mut unknown, &mut errs);
    if !unknown.is_empty() {
        let list = unknown.iter().map(|u| format!("unknown field {u:?}")).collect::<Vec<_>>().join(", ");
        let v = i.version_of(&obj.api_version);
        return Err(ApiError::new(Reason::BadRequest, format!("{} in version {v:?} cannot be handled as a {}: strict decoding error: {list}", i.kind, i.kind)));
    }
    if errs.is_empty() { Ok(()) } else { Err(ApiError::invalid(kind, &obj.metadata.name, errs)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_preferred_as_kube_aware_sorting_orders_them() {
        let mut v: Vec<String> = ["v1alpha1", "v1", "foo", "v2beta1", "v2", "v1beta2", "v1beta1", "v10"].iter().map(|s| s.to_string()).collect();
        crate::engine::sort::sort_by_key(&mut v, |x| priority(x));
        assert_eq!(v, ["v10", "v2", "v1", "v2beta1", "v1beta2", "v1beta1", "v1alpha1", "foo"]);
    }

    #[test]
    fn a_value_is_walked_as_kube_openapi_validates_it() {
        let schema = json!({"type": "object", "properties": {"spec": {"type": "object", "required": ["cronSpec"], "properties": {
            "cronSpec": {"type": "string"}, "replicas": {"type": "integer"}, "mode": {"type": "string", "enum": ["a", "b"]},
            "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}}}}}});
        let v = json!({"apiVersion": "x/v1", "spec": {"replicas": "3", "mode": "c", "extra": {"any": 1}, "labels": {"a": 1}, "typo": true}});
        let (mut unknown, mut errs) = (vec![], vec![]);
        walk(&v, &schema, "", &mut unknown, &mut errs);
        assert_eq!(unknown, ["spec.typo"]);
        let errs: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            errs,
            [
                "spec.cronSpec: Required value",
                "spec.labels.a: Invalid value: \"integer\": spec.labels.a in body must be of type string: \"integer\"",
                "spec.mode: Unsupported value: \"c\": supported values: \"a\", \"b\"",
                "spec.replicas: Invalid value: \"string\": spec.replicas in body must be of type integer: \"string\"",
            ]
        );
    }
}
