//! The fields of a typed kind that Kubernetes 1.36 has and the kind's Rust
//! type does not model (a pod's `schedulingGates` or `resources`, an
//! `image` or `cephfs` volume, a container's `restartPolicyRules`...). The
//! typed decoder reports them as unknown; those the schema table knows are
//! accepted and kept beside the object (`ObjectMeta::extra`), as written,
//! and merged back whenever the object is shown as JSON, so a manifest
//! round-trips and is refused only for fields the real API server refuses.
//! The engine does not interpret them. Without the table (the page before
//! it has downloaded it) the strict decoder's answer stands.

use super::{Kind, ObjectMeta, schema};
use crate::engine::decode::UnknownField;
use crate::engine::yaml::Node;
use serde_json::Value;

/// One step of a kubectl path: a field or a list index.
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// `spec.containers[0].restartPolicyRules` -> spec, containers, 0, restartPolicyRules.
fn steps(path: &str) -> Option<Vec<Step<'_>>> {
    let mut out = vec![];
    for part in path.split('.') {
        let (key, mut rest) = part.split_once('[').map(|(k, r)| (k, Some(r))).unwrap_or((part, None));
        if !key.is_empty() {
            out.push(Step::Key(key));
        }
        while let Some(r) = rest {
            let (i, after) = r.split_once(']')?;
            out.push(Step::Index(i.parse().ok()?));
            rest = after.strip_prefix('[');
        }
    }
    Some(out)
}

fn get<'a>(v: &'a Value, path: &[Step]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, s| match s {
        Step::Key(k) => v.get(*k),
        Step::Index(i) => v.get(*i),
    })
}

/// Sets `path` in `v`, making objects and (null-padded) lists on the way.
fn set(v: &mut Value, path: &[Step], x: Value) {
    let Some((first, rest)) = path.split_first() else {
        *v = x;
        return;
    };
    let slot = match first {
        Step::Key(k) => {
            if !v.is_object() {
                *v = Value::Object(Default::default());
            }
            let Value::Object(m) = v else { return };
            m.entry(k.to_string()).or_insert(Value::Null)
        }
        Step::Index(i) => {
            if !v.is_array() {
                *v = Value::Array(vec![]);
            }
            let Value::Array(a) = v else { return };
            if a.len() <= *i {
                a.resize(i + 1, Value::Null);
            }
            &mut a[*i]
        }
    };
    set(slot, rest, x);
}

/// Splits the typed decoder's unknown fields into those the API has (kept
/// in `meta.extra`) and those it does not (returned: still refused).
#[inline(never)]
pub fn keep(kind: Kind, node: &Node, meta: &mut ObjectMeta, unknown: Vec<UnknownField>) -> Vec<UnknownField> {
    if unknown.is_empty() {
        return unknown;
    }
    let Some(s) = schema::get() else { return unknown };
    let info = kind.info();
    let Some(root) = s.root(&info.api_version(), info.kind) else { return unknown };
    let mut not_in_api = vec![];
    if s.check(root, node, &mut not_in_api).is_err() {
        return unknown;
    }
    let json = node.to_json();
    let mut extra = Value::Null;
    let mut refused = vec![];
    for u in unknown {
        let kept =
            !not_in_api.iter().any(|n| n.path == u.path) && steps(&u.path).and_then(|p| get(&json, &p).map(|x| set(&mut extra, &p, x.clone()))).is_some();
        if !kept {
            refused.push(u);
        }
    }
    if !extra.is_null() {
        meta.extra = Some(Box::new(extra));
    }
    refused
}

/// The object's JSON with its kept fields merged back.
#[inline(never)]
pub fn with(mut v: Value, meta: &ObjectMeta) -> Value {
    if let Some(e) = &meta.extra {
        merge(&mut v, e);
    }
    v
}

/// Merges kept fields back into the object's JSON: objects field by field,
/// lists element by element (a null element holds nothing).
#[inline(never)]
pub fn merge(v: &mut Value, extra: &Value) {
    match (v, extra) {
        (Value::Object(m), Value::Object(e)) => {
            for (k, x) in e {
                match m.get_mut(k) {
                    Some(slot) if x.is_object() || x.is_array() => merge(slot, x),
                    Some(slot) => *slot = x.clone(),
                    None => {
                        m.insert(k.clone(), x.clone());
                    }
                }
            }
        }
        (Value::Array(a), Value::Array(e)) => {
            for (slot, x) in a.iter_mut().zip(e) {
                if !x.is_null() {
                    merge(slot, x);
                }
            }
        }
        (slot, x) => *slot = x.clone(),
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::api::{Kind, Object};

    #[test]
    fn fields_the_api_has_are_kept_and_shown_and_others_refused() {
        let v = serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {
            "schedulingGates": [{"name": "example.com/wait"}],
            "hostUsers": false,
            "containers": [{"name": "a", "image": "busybox", "restartPolicyRules": [{"action": "Restart", "exitCodes": {"operator": "In", "values": [42]}}]},
                           {"name": "b", "image": "busybox", "imagee": "typo"}],
            "volumes": [{"name": "v", "image": {"reference": "quay.io/x:1", "pullPolicy": "IfNotPresent"}}]}});
        let (o, unknown) = Object::from_value(Kind::Pod, &v).unwrap();
        assert_eq!(unknown.iter().map(|u| u.path.as_str()).collect::<Vec<_>>(), ["spec.containers[1].imagee"]);
        let out = o.to_value();
        assert_eq!(out["spec"]["schedulingGates"], v["spec"]["schedulingGates"]);
        assert_eq!(out["spec"]["hostUsers"], false);
        assert_eq!(out["spec"]["containers"][0]["restartPolicyRules"], v["spec"]["containers"][0]["restartPolicyRules"]);
        assert_eq!(out["spec"]["containers"][0]["image"], "busybox");
        assert_eq!(out["spec"]["volumes"][0]["image"]["reference"], "quay.io/x:1");
        assert_eq!(out["spec"]["containers"][1].get("imagee"), None);
        // and back again: the same object
        let (again, unknown) = Object::from_value(Kind::Pod, &out).unwrap();
        assert_eq!(unknown.len(), 0);
        assert_eq!(again.to_value(), out);
    }
}
