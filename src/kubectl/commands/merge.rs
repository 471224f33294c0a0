//! Patches, as apimachinery computes and applies them:
//!
//! * strategic merge patch (k8s.io/apimachinery/pkg/util/strategicpatch):
//!   lists merged by their merge key (containers by name, ports by
//!   containerPort, volumeMounts by mountPath, ...), `$patch`,
//!   `$setElementOrder`, `$deleteFromPrimitiveList` and `$retainKeys`
//!   directives; the three-way patch `kubectl apply` sends
//!   (CreateThreeWayMergePatch) and its application on the server
//!   (StrategicMergeMapPatch);
//! * JSON merge patch (RFC 7386) and JSON patch (RFC 6902) for
//!   `kubectl patch --type merge|json`.
//!
//! The patch metadata (which lists merge, by which key) comes from the
//! `patchStrategy`/`patchMergeKey` tags of k8s.io/api, for the kinds served.

use crate::engine::api::Kind;
use serde_json::{Map, Value};

const DIRECTIVE: &str = "$patch";
const RETAIN_KEYS: &str = "$retainKeys";
const SET_ORDER: &str = "$setElementOrder";
const DELETE_PRIMITIVE: &str = "$deleteFromPrimitiveList";

/// How a field merges (from the Go struct tags).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FieldMeta {
    /// `patchStrategy:"merge"` on a list.
    pub merge: bool,
    /// `patchMergeKey` (None for lists of scalars).
    pub key: Option<&'static str>,
    /// `patchStrategy:"replace"` on a struct.
    pub replace: bool,
    /// `patchStrategy:"retainKeys"` (on a struct, or on the items of a list).
    pub retain_keys: bool,
}

const ATOMIC: FieldMeta = FieldMeta { merge: false, key: None, replace: false, retain_keys: false };

const fn merge_by(key: &'static str) -> FieldMeta {
    FieldMeta { merge: true, key: Some(key), replace: false, retain_keys: false }
}

/// The patch metadata of the field at `path` (field names from the object
/// root, list indices left out) in an object of `kind`.
pub fn field_meta(kind: Kind, path: &[String]) -> FieldMeta {
    let Some(last) = path.last() else { return ATOMIC };
    let parent = if path.len() >= 2 { path[path.len() - 2].as_str() } else { "" };
    let in_container = matches!(parent, "containers" | "initContainers" | "ephemeralContainers");
    let top = |p: &[&str]| path.len() == p.len() && path.iter().zip(p).all(|(a, b)| a == b);
    match last.as_str() {
        "containers" | "initContainers" | "ephemeralContainers" | "imagePullSecrets" | "schedulingGates" if parent == "spec" => merge_by("name"),
        "volumes" | "resourceClaims" if parent == "spec" => FieldMeta { retain_keys: true, ..merge_by("name") },
        "hostAliases" if parent == "spec" => merge_by("ip"),
        "topologySpreadConstraints" if parent == "spec" => merge_by("topologyKey"),
        "env" if in_container => merge_by("name"),
        "ports" if in_container => merge_by("containerPort"),
        "volumeMounts" if in_container || parent == "containerStatuses" || parent == "initContainerStatuses" => merge_by("mountPath"),
        "volumeDevices" if in_container => merge_by("devicePath"),
        "ports" if kind == Kind::Service && top(&["spec", "ports"]) => merge_by("port"),
        "ownerReferences" if parent == "metadata" => merge_by("uid"),
        "finalizers" if parent == "metadata" => FieldMeta { merge: true, key: None, replace: false, retain_keys: false },
        "conditions" if parent == "status" => merge_by("type"),
        "addresses" if kind == Kind::Node && parent == "status" => merge_by("type"),
        "hostIPs" | "podIPs" if kind == Kind::Pod && parent == "status" => merge_by("ip"),
        "podCIDRs" if kind == Kind::Node && parent == "spec" => FieldMeta { merge: true, key: None, replace: false, retain_keys: false },
        "secrets" if kind == Kind::ServiceAccount && path.len() == 1 => merge_by("name"),
        "drivers" if kind == Kind::CsiNode && parent == "spec" => merge_by("name"),
        "strategy" if kind == Kind::Deployment && top(&["spec", "strategy"]) => FieldMeta { retain_keys: true, ..ATOMIC },
        "selector" if kind == Kind::PodDisruptionBudget && top(&["spec", "selector"]) => FieldMeta { replace: true, ..ATOMIC },
        _ => ATOMIC,
    }
}

/// Go's reflect.DeepEqual over JSON values decoded by encoding/json
/// (every number is a float64).
pub fn deep_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| deep_eq(p, q)),
        (Value::Object(x), Value::Object(y)) => x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| deep_eq(v, w))),
        _ => a == b,
    }
}

fn same_type(a: &Value, b: &Value) -> bool {
    matches!(
        (a, b),
        (Value::Null, Value::Null)
            | (Value::Bool(_), Value::Bool(_))
            | (Value::Number(_), Value::Number(_))
            | (Value::String(_), Value::String(_))
            | (Value::Array(_), Value::Array(_))
            | (Value::Object(_), Value::Object(_))
    )
}

/// `fmt.Sprintf("%v", v)` of a JSON-decoded value (for merge key comparisons
/// and `%+v` renderings of patches in error messages).
pub fn go_sprint(v: &Value) -> String {
    match v {
        Value::Null => "<nil>".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => go_float(n.as_f64().unwrap_or(0.0)),
        Value::String(s) => s.clone(),
        Value::Array(a) => format!("[{}]", a.iter().map(go_sprint).collect::<Vec<_>>().join(" ")),
        Value::Object(m) => format!("map[{}]", m.iter().map(|(k, v)| format!("{k}:{}", go_sprint(v))).collect::<Vec<_>>().join(" ")),
    }
}

/// `%v` of a float64: strconv's shortest 'g' form, which switches to an
/// exponent when the decimal exponent is < -4 or >= 6 (`1e+06`).
fn go_float(f: f64) -> String {
    if f == 0.0 {
        return "0".into();
    }
    let s = format!("{f:e}");
    let (mant, e) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = e.parse().unwrap_or(0);
    if (-4..6).contains(&exp) { format!("{f}") } else { format!("{mant}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs()) }
}

fn key_string(item: &Value, key: &str) -> Option<String> {
    item.get(key).map(go_sprint)
}

// ---------------------------------------------------------------- diff

#[derive(Clone, Copy, Default)]
struct DiffOptions {
    ignore_deletions: bool,
    ignore_changes_and_additions: bool,
    set_element_order: bool,
    build_retain_keys: bool,
}

fn child(path: &[String], k: &str) -> Vec<String> {
    let mut p = path.to_vec();
    p.push(k.to_string());
    p
}

fn diff_maps(kind: Kind, path: &[String], original: &Map<String, Value>, modified: &Map<String, Value>, o: DiffOptions) -> Map<String, Value> {
    let mut patch = Map::new();
    let mut retain: Vec<String> = vec![];
    for (k, mv) in modified {
        if o.build_retain_keys && !mv.is_null() {
            retain.push(k.clone());
        }
        let Some(ov) = original.get(k) else {
            if !o.ignore_changes_and_additions {
                patch.insert(k.clone(), mv.clone());
            }
            continue;
        };
        if !same_type(ov, mv) {
            if !o.ignore_changes_and_additions {
                patch.insert(k.clone(), mv.clone());
            }
            continue;
        }
        let p = child(path, k);
        match (ov, mv) {
            (Value::Object(om), Value::Object(mm)) => {
                let meta = field_meta(kind, &p);
                if meta.replace {
                    if !o.ignore_changes_and_additions && !deep_eq(ov, mv) {
                        patch.insert(k.clone(), mv.clone());
                    }
                } else {
                    let sub = diff_maps(kind, &p, om, mm, DiffOptions { build_retain_keys: meta.retain_keys, ..o });
                    if !sub.is_empty() {
                        patch.insert(k.clone(), Value::Object(sub));
                    }
                }
            }
            (Value::Array(ol), Value::Array(ml)) => {
                let meta = field_meta(kind, &p);
                if meta.merge {
                    let (add, del, order) = diff_lists(kind, &p, ol, ml, meta, DiffOptions { build_retain_keys: meta.retain_keys, ..o });
                    if !add.is_empty() {
                        patch.insert(k.clone(), Value::Array(add));
                    }
                    if !del.is_empty() {
                        patch.insert(format!("{DELETE_PRIMITIVE}/{k}"), Value::Array(del));
                    }
                    if !order.is_empty() {
                        patch.insert(format!("{SET_ORDER}/{k}"), Value::Array(order));
                    }
                } else if !o.ignore_changes_and_additions && !deep_eq(ov, mv) {
                    patch.insert(k.clone(), mv.clone());
                }
            }
            _ => {
                if !o.ignore_changes_and_additions && !deep_eq(ov, mv) {
                    patch.insert(k.clone(), mv.clone());
                }
            }
        }
    }
    if !o.ignore_deletions {
        for k in original.keys() {
            if !modified.contains_key(k) {
                patch.insert(k.clone(), Value::Null);
            }
        }
    }
    let additional_new = modified.keys().any(|k| !original.contains_key(k));
    if !retain.is_empty() && (!patch.is_empty() || additional_new) {
        crate::engine::sort::sort(&mut retain);
        patch.insert(RETAIN_KEYS.into(), Value::Array(retain.into_iter().map(Value::String).collect()));
    }
    patch
}

/// Returns (patch list, primitive deletion list, set-order list).
fn diff_lists(kind: Kind, path: &[String], original: &[Value], modified: &[Value], meta: FieldMeta, o: DiffOptions) -> (Vec<Value>, Vec<Value>, Vec<Value>) {
    if original.is_empty() {
        if modified.is_empty() || o.ignore_changes_and_additions {
            return (vec![], vec![], vec![]);
        }
        return (modified.to_vec(), vec![], vec![]);
    }
    let maps = original.iter().chain(modified).any(|v| v.is_object());
    match (maps, meta.key) {
        (true, Some(key)) => {
            let (patch, deletions) = diff_lists_of_maps(kind, path, original, modified, key, o);
            let mut patch = normalize_order(patch, modified, Some(key));
            let order_same = original.len() == modified.len() && original.iter().zip(modified).all(|(a, b)| key_string(a, key) == key_string(b, key));
            patch.extend(deletions);
            let mut set_order = vec![];
            if o.set_element_order && ((!o.ignore_changes_and_additions && (!patch.is_empty() || !order_same)) || (!o.ignore_deletions && !patch.is_empty())) {
                set_order = modified
                    .iter()
                    .map(|v| {
                        let mut m = Map::new();
                        m.insert(key.to_string(), v.get(key).cloned().unwrap_or(Value::Null));
                        Value::Object(m)
                    })
                    .collect();
            }
            (patch, vec![], set_order)
        }
        _ => {
            let (add, del) = diff_lists_of_scalars(original, modified, o);
            let add = normalize_order(add, modified, None);
            let mut set_order = vec![];
            if o.set_element_order
                && ((!o.ignore_deletions && !del.is_empty())
                    || (!o.ignore_changes_and_additions && !deep_eq(&Value::Array(original.to_vec()), &Value::Array(modified.to_vec()))))
            {
                set_order = modified.to_vec();
            }
            (add, del, set_order)
        }
    }
}

fn diff_lists_of_maps(kind: Kind, path: &[String], original: &[Value], modified: &[Value], key: &str, o: DiffOptions) -> (Vec<Value>, Vec<Value>) {
    let sort = |l: &[Value]| {
        let mut v = l.to_vec();
        crate::engine::sort::sort_by_key(&mut v, |x| key_string(x, key).unwrap_or_default());
        v
    };
    let os = sort(original);
    let ms = sort(modified);
    let (mut i, mut j) = (0, 0);
    let mut patch = vec![];
    let mut deletions = vec![];
    loop {
        let oin = i < os.len();
        let min = j < ms.len();
        if !oin && !min {
            break;
        }
        let ok = if oin { key_string(&os[i], key).unwrap_or_default() } else { String::new() };
        let mk = if min { key_string(&ms[j], key).unwrap_or_default() } else { String::new() };
        if oin && min && ok == mk {
            let empty = Map::new();
            let om = os[i].as_object().unwrap_or(&empty);
            let mm = ms[j].as_object().unwrap_or(&empty);
            let mut p = diff_maps(kind, path, om, mm, o);
            if !p.is_empty() {
                p.insert(key.to_string(), ms[j].get(key).cloned().unwrap_or(Value::Null));
                patch.push(Value::Object(p));
            }
            i += 1;
            j += 1;
        } else if !oin || (min && ok > mk) {
            if !o.ignore_changes_and_additions {
                patch.push(ms[j].clone());
            }
            j += 1;
        } else {
            if !o.ignore_deletions {
                let mut d = Map::new();
                d.insert(DIRECTIVE.into(), Value::String("delete".into()));
                d.insert(key.to_string(), os[i].get(key).cloned().unwrap_or(Value::Null));
                deletions.push(Value::Object(d));
            }
            i += 1;
        }
    }
    (patch, deletions)
}

fn scalar_key(v: &Value) -> String {
    go_sprint(v)
}

fn diff_lists_of_scalars(original: &[Value], modified: &[Value], o: DiffOptions) -> (Vec<Value>, Vec<Value>) {
    let mut os = original.to_vec();
    crate::engine::sort::sort_by_key(&mut os, scalar_key);
    let mut ms = modified.to_vec();
    crate::engine::sort::sort_by_key(&mut ms, scalar_key);
    let (mut i, mut j) = (0, 0);
    let mut add = vec![];
    let mut del: Vec<Value> = vec![];
    loop {
        let oin = i < os.len();
        let min = j < ms.len();
        if !oin && !min {
            break;
        }
        let ok = if oin { scalar_key(&os[i]) } else { String::new() };
        let mk = if min { scalar_key(&ms[j]) } else { String::new() };
        if oin && min && ok == mk {
            i += 1;
            j += 1;
        } else if !oin || (min && mk < ok) {
            if !o.ignore_changes_and_additions {
                add.push(ms[j].clone());
            }
            j += 1;
        } else {
            if !o.ignore_deletions && !del.iter().any(|d| scalar_key(d) == ok) {
                del.push(os[i].clone());
            }
            i += 1;
        }
    }
    (add, del)
}

/// Sorts `items` by their position in `order` (items not found keep their
/// relative order after the found ones; delete directives go last).
fn normalize_order(items: Vec<Value>, order: &[Value], key: Option<&str>) -> Vec<Value> {
    let (mut keep, deletes): (Vec<Value>, Vec<Value>) = items.into_iter().partition(|v| v.get(DIRECTIVE).is_none());
    let index = |v: &Value| -> usize {
        match key {
            Some(k) => {
                let kv = key_string(v, k);
                order.iter().position(|o| key_string(o, k) == kv).unwrap_or(usize::MAX)
            }
            None => order.iter().position(|o| deep_eq(o, v)).unwrap_or(usize::MAX),
        }
    };
    crate::engine::sort::sort_by_key(&mut keep, |v| index(v));
    keep.extend(deletes);
    keep
}

/// Merges two patches (CreateThreeWayMergePatch's mergeMap of the deletions
/// patch and the delta patch).
fn merge_patches(a: Map<String, Value>, b: Map<String, Value>) -> Map<String, Value> {
    let mut out = a;
    for (k, bv) in b {
        match (out.remove(&k), bv) {
            (Some(Value::Object(am)), Value::Object(bm)) => {
                out.insert(k, Value::Object(merge_patches(am, bm)));
            }
            (Some(Value::Array(mut al)), Value::Array(bl)) if !k.starts_with(SET_ORDER) && !k.starts_with(RETAIN_KEYS) => {
                // deletion directives first, then the delta's items (by key)
                for item in bl {
                    if !al.iter().any(|x| deep_eq(x, &item)) {
                        al.push(item);
                    }
                }
                out.insert(k, Value::Array(al));
            }
            (_, bv) => {
                out.insert(k, bv);
            }
        }
    }
    out
}

/// The patch `kubectl apply` sends for an existing object
/// (strategicpatch.CreateThreeWayMergePatch with overwrite=true):
/// what changed from the live object to the new manifest, plus what the
/// manifest no longer has compared to the last applied one.
pub fn three_way_patch(kind: Kind, original: Option<&Value>, modified: &Value, current: &Value) -> Value {
    let empty = Map::new();
    let om = original.and_then(|v| v.as_object()).unwrap_or(&empty);
    let mm = modified.as_object().unwrap_or(&empty);
    let cm = current.as_object().unwrap_or(&empty);
    let delta = diff_maps(kind, &[], cm, mm, DiffOptions { ignore_deletions: true, set_element_order: true, ..Default::default() });
    let deletions = diff_maps(kind, &[], om, mm, DiffOptions { ignore_changes_and_additions: true, set_element_order: true, ..Default::default() });
    Value::Object(merge_patches(deletions, delta))
}

// ---------------------------------------------------------------- apply

/// Applies a strategic merge patch to an object (the API server's
/// StrategicMergeMapPatch with MergeParallelList and IgnoreUnmatchedNulls).
pub fn apply_strategic(kind: Kind, original: &Value, patch: &Value) -> Result<Value, String> {
    let Value::Object(pm) = patch else {
        return Err("unable to find api field in struct Unstructured for the json field \"\"".into());
    };
    let om = original.as_object().cloned().unwrap_or_default();
    merge_map(kind, &[], om, pm.clone()).map(Value::Object)
}

fn strip_nulls(v: &mut Value) {
    if let Value::Object(m) = v {
        m.retain(|_, x| !x.is_null());
        for x in m.values_mut() {
            strip_nulls(x);
        }
    }
}

/// A patch value taken as is: directives removed, nulls dropped.
fn clean(mut v: Value) -> Value {
    strip_nulls(&mut v);
    strip_directives(&mut v);
    v
}

fn strip_directives(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|k, _| !k.starts_with('$'));
            for x in m.values_mut() {
                strip_directives(x);
            }
        }
        Value::Array(a) => {
            a.retain(|x| x.get(DIRECTIVE).is_none());
            for x in a.iter_mut() {
                strip_directives(x);
            }
        }
        _ => {}
    }
}

fn merge_map(kind: Kind, path: &[String], mut original: Map<String, Value>, mut patch: Map<String, Value>) -> Result<Map<String, Value>, String> {
    if let Some(d) = patch.remove(DIRECTIVE) {
        match d.as_str() {
            Some("replace") => return Ok(clean(Value::Object(patch)).as_object().cloned().unwrap_or_default()),
            Some("delete") => return Ok(Map::new()),
            Some("merge") => {}
            _ => return Err(format!("Unknown patch type: {}, {}", go_sprint(&d), "map")),
        }
    }
    if let Some(r) = patch.remove(RETAIN_KEYS) {
        let keep: Vec<String> = r.as_array().map(|a| a.iter().filter_map(|x| x.as_str().map(|s| s.to_string())).collect()).unwrap_or_default();
        original.retain(|k, _| keep.contains(k));
    }
    // $setElementOrder directives with their lists
    let order_keys: Vec<String> = patch.keys().filter(|k| k.starts_with(&format!("{SET_ORDER}/"))).cloned().collect();
    for ok in order_keys {
        let field = ok[SET_ORDER.len() + 1..].to_string();
        let order = patch.remove(&ok).and_then(|v| v.as_array().cloned()).unwrap_or_default();
        let plist = patch.remove(&field);
        let dlist = patch.remove(&format!("{DELETE_PRIMITIVE}/{field}"));
        let p = child(path, &field);
        let meta = field_meta(kind, &p);
        let orig_list = original.get(&field).and_then(|v| v.as_array().cloned()).unwrap_or_default();
        let mut merged = match &plist {
            Some(Value::Array(pl)) => merge_slice(kind, &p, orig_list.clone(), pl.clone(), meta, false)?,
            Some(Value::Null) => vec![],
            _ => orig_list.clone(),
        };
        if let Some(Value::Array(dl)) = &dlist {
            merged = merge_slice(kind, &p, merged, dl.clone(), meta, true)?;
        }
        let key = meta.key;
        let in_order = |v: &Value| -> bool {
            match key {
                Some(k) => order.iter().any(|o| key_string(o, k) == key_string(v, k)),
                None => order.iter().any(|o| deep_eq(o, v)),
            }
        };
        let (patch_items, server_only): (Vec<Value>, Vec<Value>) = merged.into_iter().partition(|v| in_order(v));
        let patch_items = normalize_order(patch_items, &order, key);
        let server_only = normalize_order(server_only, &orig_list, key);
        let all = merge_sorted(server_only, patch_items, &orig_list, key);
        original.insert(field, Value::Array(all));
    }
    for (k, pv) in patch {
        let (k, is_delete_list) = match k.strip_prefix(&format!("{DELETE_PRIMITIVE}/")) {
            Some(f) => (f.to_string(), true),
            None => (k, false),
        };
        if pv.is_null() {
            original.remove(&k);
            continue;
        }
        let Some(ov) = original.get(&k).cloned() else {
            if !is_delete_list {
                original.insert(k, clean(pv));
            }
            continue;
        };
        if !same_type(&ov, &pv) {
            if !is_delete_list {
                original.insert(k, clean(pv));
            }
            continue;
        }
        let p = child(path, &k);
        let meta = field_meta(kind, &p);
        let nv = match (ov, pv) {
            (Value::Object(om), Value::Object(pm)) => {
                if meta.replace {
                    clean(Value::Object(pm))
                } else {
                    Value::Object(merge_map(kind, &p, om, pm)?)
                }
            }
            (Value::Array(ol), Value::Array(pl)) => {
                if meta.merge {
                    Value::Array(merge_slice(kind, &p, ol, pl, meta, is_delete_list)?)
                } else {
                    clean(Value::Array(pl))
                }
            }
            (_, pv) => pv,
        };
        original.insert(k, nv);
    }
    Ok(original)
}

fn merge_slice(kind: Kind, path: &[String], original: Vec<Value>, patch: Vec<Value>, meta: FieldMeta, is_delete_list: bool) -> Result<Vec<Value>, String> {
    if original.is_empty() && patch.is_empty() {
        return Ok(original);
    }
    let maps = patch.iter().any(|v| v.is_object()) || original.iter().any(|v| v.is_object());
    if !maps || meta.key.is_none() {
        if is_delete_list {
            return Ok(original.into_iter().filter(|v| !patch.iter().any(|p| deep_eq(p, v))).collect());
        }
        let mut out = original;
        for p in patch {
            if !out.iter().any(|o| deep_eq(o, &p)) {
                out.push(p);
            }
        }
        return Ok(out);
    }
    let key = meta.key.unwrap_or("name");
    let mut out = original;
    let mut rest = vec![];
    for p in patch {
        match p.get(DIRECTIVE).and_then(|d| d.as_str()) {
            Some("replace") => {
                // the whole list is replaced by the other patch items
                return Ok(clean(Value::Array(rest_items(&rest)))).map(|v| v.as_array().cloned().unwrap_or_default());
            }
            Some("delete") => {
                let kv = key_string(&p, key);
                out.retain(|o| key_string(o, key) != kv);
            }
            Some(other) => return Err(format!("Unknown patch type: {other}, map")),
            None => rest.push(p),
        }
    }
    for p in rest {
        let kv = key_string(&p, key);
        if kv.is_none() {
            return Err(format!("map: {} does not contain declared merge key: {key}", go_sprint(&p)));
        }
        match out.iter().position(|o| key_string(o, key) == kv) {
            Some(i) => {
                let om = out[i].as_object().cloned().unwrap_or_default();
                let pm = p.as_object().cloned().unwrap_or_default();
                out[i] = Value::Object(merge_map(kind, path, om, pm)?);
            }
            None => out.push(clean(p)),
        }
    }
    Ok(out)
}

fn rest_items(v: &[Value]) -> Vec<Value> {
    v.to_vec()
}

/// Merges two sorted, disjoint lists keeping the relative order of items in
/// `server_order` (strategicpatch.mergeSortedSlice).
fn merge_sorted(left: Vec<Value>, right: Vec<Value>, server_order: &[Value], key: Option<&str>) -> Vec<Value> {
    let index = |v: &Value| -> Option<usize> {
        match key {
            Some(k) => server_order.iter().position(|o| key_string(o, k) == key_string(v, k)),
            None => server_order.iter().position(|o| deep_eq(o, v)),
        }
    };
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(left.len() + right.len());
    while i < left.len() || j < right.len() {
        if i >= left.len() {
            out.push(right[j].clone());
            j += 1;
        } else if j >= right.len() {
            out.push(left[i].clone());
            i += 1;
        } else {
            match (index(&left[i]), index(&right[j])) {
                (Some(li), Some(ri)) if li < ri => {
                    out.push(left[i].clone());
                    i += 1;
                }
                _ => {
                    out.push(right[j].clone());
                    j += 1;
                }
            }
        }
    }
    out
}

/// RFC 7386 JSON merge patch.
pub fn apply_merge_patch(original: &Value, patch: &Value) -> Value {
    match patch {
        Value::Object(pm) => {
            let mut out = match original {
                Value::Object(m) => m.clone(),
                _ => Map::new(),
            };
            for (k, v) in pm {
                if v.is_null() {
                    out.remove(k);
                } else {
                    let cur = out.get(k).cloned().unwrap_or(Value::Null);
                    out.insert(k.clone(), apply_merge_patch(&cur, v));
                }
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

fn pointer_tokens(path: &str) -> Result<Vec<String>, String> {
    if path.is_empty() {
        return Ok(vec![]);
    }
    let Some(rest) = path.strip_prefix('/') else {
        return Err("JSON pointer must be empty or start with a \"/".into());
    };
    Ok(rest.split('/').map(|t| t.replace("~1", "/").replace("~0", "~")).collect())
}

fn get_ptr<'a>(doc: &'a Value, toks: &[String]) -> Option<&'a Value> {
    let mut cur = doc;
    for t in toks {
        cur = match cur {
            Value::Object(m) => m.get(t)?,
            Value::Array(a) => a.get(t.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn parent_mut<'a>(doc: &'a mut Value, toks: &[String]) -> Option<&'a mut Value> {
    let mut cur = doc;
    for t in &toks[..toks.len().saturating_sub(1)] {
        cur = match cur {
            Value::Object(m) => m.get_mut(t)?,
            Value::Array(a) => a.get_mut(t.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn remove_at(doc: &mut Value, path: &str) -> Result<Value, String> {
    let toks = pointer_tokens(path)?;
    let last = toks.last().cloned().ok_or("unable to remove the root")?;
    let missing = || format!("Unable to remove nonexistent key: {last}: missing value");
    match parent_mut(doc, &toks).ok_or_else(missing)? {
        Value::Object(m) => m.remove(&last).ok_or_else(missing),
        Value::Array(a) => {
            let i: usize = last.parse().map_err(|_| missing())?;
            if i < a.len() { Ok(a.remove(i)) } else { Err(missing()) }
        }
        _ => Err(missing()),
    }
}

fn add_at(doc: &mut Value, path: &str, v: Value, replace: bool) -> Result<(), String> {
    let toks = pointer_tokens(path)?;
    let Some(last) = toks.last().cloned() else {
        *doc = v;
        return Ok(());
    };
    let missing = || format!("{} operation does not apply: doc is missing path: {:?}: missing value", if replace { "replace" } else { "add" }, path);
    match parent_mut(doc, &toks).ok_or_else(missing)? {
        Value::Object(m) => {
            if replace && !m.contains_key(&last) {
                return Err(missing());
            }
            m.insert(last, v);
        }
        Value::Array(a) => {
            if last == "-" && !replace {
                a.push(v);
            } else {
                let i: usize = last.parse().map_err(|_| missing())?;
                if replace {
                    *a.get_mut(i).ok_or_else(missing)? = v;
                } else if i <= a.len() {
                    a.insert(i, v);
                } else {
                    return Err(missing());
                }
            }
        }
        _ => return Err(missing()),
    }
    Ok(())
}

/// RFC 6902 JSON patch.
pub fn apply_json_patch(original: &Value, ops: &Value) -> Result<Value, String> {
    let Value::Array(ops) = ops else {
        return Err("json: cannot unmarshal object into Go value of type jsonpatch.Patch".into());
    };
    let mut doc = original.clone();
    for op in ops {
        let kind = op.get("op").and_then(|v| v.as_str()).unwrap_or("");
        let path = op.get("path").and_then(|v| v.as_str()).unwrap_or("");
        match kind {
            "add" | "replace" => {
                let v = op.get("value").cloned().unwrap_or(Value::Null);
                add_at(&mut doc, path, v, kind == "replace")?;
            }
            "remove" => {
                remove_at(&mut doc, path)?;
            }
            "move" | "copy" => {
                let from = op.get("from").and_then(|v| v.as_str()).unwrap_or("");
                let v = if kind == "move" {
                    remove_at(&mut doc, from)?
                } else {
                    get_ptr(&doc, &pointer_tokens(from)?)
                        .cloned()
                        .ok_or_else(|| format!("copy operation does not apply: doc is missing from path: {from:?}: missing value"))?
                };
                add_at(&mut doc, path, v, false)?;
            }
            "test" => {
                let want = op.get("value").cloned().unwrap_or(Value::Null);
                let got = get_ptr(&doc, &pointer_tokens(path)?).cloned();
                if !got.is_some_and(|g| deep_eq(&g, &want)) {
                    return Err(format!("testing value {path:?} failed: test failed"));
                }
            }
            other => return Err(format!("Unexpected kind: {other}")),
        }
    }
    Ok(doc)
}

/// Go's json.Marshal of a JSON value (sorted keys, compact, HTML-safe
/// escaping, integral floats without a fraction).
pub fn go_json(v: &Value) -> String {
    let mut s = String::new();
    write_go_json(v, &mut s);
    s
}

fn write_go_json(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if n.is_f64() {
                let f = n.as_f64().unwrap_or(0.0);
                if f.fract() == 0.0 && f.abs() < 1e21 {
                    out.push_str(&format!("{}", f as i128));
                } else {
                    out.push_str(&format!("{f}"));
                }
            } else {
                out.push_str(&n.to_string());
            }
        }
        Value::String(s) => {
            let j = serde_json::to_string(s).unwrap_or_default();
            out.push_str(
                &j.replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026").replace('\u{2028}', "\\u2028").replace('\u{2029}', "\\u2029"),
            );
        }
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_go_json(x, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_go_json(&Value::String(k.clone()), out);
                out.push(':');
                write_go_json(x, out);
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn three_way_patch_of_unchanged_manifest_is_empty() {
        let m = json!({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"pg","annotations":{"a":"1"}},"spec":{"replicas":1,"template":{"spec":{"containers":[{"name":"c","image":"x"}]}}}});
        let current = json!({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"pg","uid":"u","annotations":{"a":"1"}},"spec":{"replicas":1,"strategy":{"type":"RollingUpdate"},"template":{"spec":{"containers":[{"name":"c","image":"x","imagePullPolicy":"IfNotPresent"}]}}},"status":{"replicas":1}});
        assert_eq!(three_way_patch(Kind::Deployment, Some(&m), &m, &current), json!({}));
    }

    #[test]
    fn three_way_patch_changes_and_deletions() {
        let original = json!({"metadata":{"labels":{"a":"1","b":"2"}},"spec":{"replicas":1,"template":{"spec":{"containers":[{"name":"c","image":"x"},{"name":"d","image":"y"}]}}}});
        let modified = json!({"metadata":{"labels":{"a":"1"}},"spec":{"replicas":3,"template":{"spec":{"containers":[{"name":"c","image":"z"}]}}}});
        let current = json!({"metadata":{"labels":{"a":"1","b":"2"}},"spec":{"replicas":1,"template":{"spec":{"containers":[{"name":"c","image":"x","imagePullPolicy":"Always"},{"name":"d","image":"y"}]}}}});
        let p = three_way_patch(Kind::Deployment, Some(&original), &modified, &current);
        assert_eq!(
            p,
            json!({
                "metadata":{"labels":{"b":null}},
                "spec":{"replicas":3,"template":{"spec":{
                    "$setElementOrder/containers":[{"name":"c"}],
                    "containers":[{"$patch":"delete","name":"d"},{"image":"z","name":"c"}]
                }}}
            })
        );
        let applied = apply_strategic(Kind::Deployment, &current, &p).unwrap();
        assert_eq!(
            applied,
            json!({"metadata":{"labels":{"a":"1"}},"spec":{"replicas":3,"template":{"spec":{"containers":[{"name":"c","image":"z","imagePullPolicy":"Always"}]}}}})
        );
    }

    #[test]
    fn retain_keys_clears_rolling_update_when_switching_to_recreate() {
        let original = json!({"spec":{}});
        let modified = json!({"spec":{"strategy":{"type":"Recreate"}}});
        let current = json!({"spec":{"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"}}}});
        let p = three_way_patch(Kind::Deployment, Some(&original), &modified, &current);
        assert_eq!(p, json!({"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}}));
        let applied = apply_strategic(Kind::Deployment, &current, &p).unwrap();
        assert_eq!(applied, json!({"spec":{"strategy":{"type":"Recreate"}}}));
    }

    #[test]
    fn strategic_patch_merges_by_key_and_keeps_server_items() {
        let current = json!({"spec":{"containers":[{"name":"a","image":"1","env":[{"name":"X","value":"1"}]},{"name":"b","image":"2"}],"volumes":[{"name":"kube-api-access","projected":{}}]}});
        let patch = json!({"spec":{"containers":[{"name":"a","env":[{"name":"Y","value":"2"}]}]}});
        let r = apply_strategic(Kind::Pod, &current, &patch).unwrap();
        assert_eq!(r["spec"]["containers"][0]["env"], json!([{"name":"X","value":"1"},{"name":"Y","value":"2"}]));
        assert_eq!(r["spec"]["containers"][1]["name"], "b");
        // $setElementOrder with a server-only item in the middle
        let patch = json!({"spec":{"$setElementOrder/containers":[{"name":"b"},{"name":"a"}]}});
        let r = apply_strategic(Kind::Pod, &current, &patch).unwrap();
        assert_eq!(r["spec"]["containers"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect::<Vec<_>>(), ["b", "a"]);
        // primitive merge list
        let cur = json!({"metadata":{"finalizers":["a","b"]}});
        let r = apply_strategic(Kind::Pod, &cur, &json!({"metadata":{"$deleteFromPrimitiveList/finalizers":["a"],"finalizers":["c"]}})).unwrap();
        assert_eq!(r["metadata"]["finalizers"], json!(["b", "c"]));
        // atomic lists are replaced
        let cur = json!({"spec":{"tolerations":[{"key":"a"}]}});
        let r = apply_strategic(Kind::Pod, &cur, &json!({"spec":{"tolerations":[{"key":"b"}]}})).unwrap();
        assert_eq!(r["spec"]["tolerations"], json!([{"key":"b"}]));
    }

    #[test]
    fn ports_merge_by_their_key() {
        assert_eq!(field_meta(Kind::Service, &["spec".into(), "ports".into()]).key, Some("port"));
        let p: Vec<String> = ["spec", "template", "spec", "containers", "ports"].iter().map(|s| s.to_string()).collect();
        assert_eq!(field_meta(Kind::StatefulSet, &p).key, Some("containerPort"));
        let p: Vec<String> = ["spec", "template", "spec", "containers", "volumeMounts"].iter().map(|s| s.to_string()).collect();
        assert_eq!(field_meta(Kind::StatefulSet, &p).key, Some("mountPath"));
        assert!(!field_meta(Kind::StatefulSet, &["spec".into(), "volumeClaimTemplates".into()]).merge);
    }

    #[test]
    fn merge_and_json_patches() {
        let cur = json!({"a":{"b":1,"c":2},"l":[1,2]});
        assert_eq!(apply_merge_patch(&cur, &json!({"a":{"b":null,"d":3},"l":[3]})), json!({"a":{"c":2,"d":3},"l":[3]}));
        let ops = json!([{"op":"replace","path":"/a/b","value":5},{"op":"add","path":"/l/-","value":9},{"op":"remove","path":"/a/c"}]);
        assert_eq!(apply_json_patch(&cur, &ops).unwrap(), json!({"a":{"b":5},"l":[1,2,9]}));
        assert!(apply_json_patch(&cur, &json!([{"op":"remove","path":"/zz"}])).is_err());
    }

    #[test]
    fn go_renderings() {
        assert_eq!(go_json(&json!({"b":"<x>","a":[1.0,2.5]})), r#"{"a":[1,2.5],"b":"\u003cx\u003e"}"#);
        assert_eq!(go_sprint(&json!({"spec":{"replica":3,"x":null,"l":["a","b"]}})), "map[spec:map[l:[a b] replica:3 x:<nil>]]");
        assert_eq!(go_sprint(&json!(1000000)), "1e+06");
        assert_eq!(go_sprint(&json!(100000)), "100000");
    }
}
