//! What `kubectl get` prints: tables (the server's column layouts, decorated
//! by kubectl's table printer), `-o name`, `-o yaml`/`-o json`,
//! `-o custom-columns=...` and `-o jsonpath=...`, and `--sort-by`.
//!
//! Sources: staging/src/k8s.io/cli-runtime/pkg/printers (tableprinter.go,
//! name.go, json.go, yaml.go, jsonpath.go), staging/src/k8s.io/kubectl/pkg/cmd/get
//! (get.go, customcolumn.go, sorter.go), pkg/printers/internalversion/printers.go
//! (see [`rows`]).

pub mod generic;
pub mod rows;

pub use rows::*;

use super::jsonpath::{self, JsonPath};
use super::tabwriter::TabWriter;
use super::{OutputFormat, PrintOptions};
use crate::engine::api::{Kind, Object};
use crate::engine::apiserver::Api;
use crate::engine::quantity::Quantity;
use crate::engine::yaml::{to_json_pretty, to_yaml};
use serde_json::{Value, json};
use std::rc::Rc;

/// Prints objects as `kubectl get` does with the given options. `objs` are
/// in the order kubectl received them (several kinds may follow each other,
/// as in `kubectl get sts,pvc`). An empty result prints nothing (the caller
/// prints `No resources found ...` on stderr for the table formats).
pub fn print(api: &Api, objs: &[Rc<Object>], opts: &PrintOptions) -> Result<String, String> {
    match &opts.format {
        OutputFormat::Table | OutputFormat::Wide => {
            // a custom resource's columns are its CRD's; every other kind's
            // rows need nothing beyond the objects
            let mut opts = opts.clone();
            for o in objs {
                if let Object::Generic(g) = &**o
                    && matches!(g.kind, Kind::Custom(_))
                    && !opts.crd_columns.iter().any(|(c, _)| *c == g.kind)
                {
                    let version = g.kind.info().version_of(&g.api_version);
                    opts.crd_columns.push((g.kind, crate::engine::apiserver::crd::columns(&api.store, g.kind, version)));
                }
            }
            Ok(print_table(objs, &opts))
        }
        OutputFormat::Name => Ok(print_names(objs)),
        OutputFormat::Yaml => Ok(to_yaml(&generic_value(objs, opts.single_item))),
        OutputFormat::Json => Ok(format!("{}\n", to_json_pretty(&generic_value(objs, opts.single_item)))),
        OutputFormat::CustomColumns(spec) => print_custom_columns(objs, spec, opts.no_headers),
        OutputFormat::JsonPath(template) => print_jsonpath(&generic_value(objs, opts.single_item), template),
    }
}

/// The object as kubectl receives it: the stored JSON with apiVersion and kind.
pub fn object_value(obj: &Object) -> Value {
    let mut v = obj.to_value();
    // A generic object is shown in the version its fields are in (an
    // autoscaling/v1 HPA is not converted to the preferred v2).
    if let Some(m) = v.as_object_mut().filter(|_| !matches!(obj, Object::Generic(_))) {
        let info = obj.kind().info();
        m.insert("apiVersion".into(), Value::String(info.api_version()));
        m.insert("kind".into(), Value::String(info.kind.into()));
    }
    v
}

/// What the generic printers (yaml, json, jsonpath) get: the object itself
/// when one object was named, otherwise a `v1` `List` (get.go's printGeneric).
pub fn generic_value(objs: &[Rc<Object>], single_item: bool) -> Value {
    if single_item && objs.len() == 1 {
        return object_value(&objs[0]);
    }
    list_value(objs)
}

/// The `List` kubectl wraps several objects in.
pub fn list_value(objs: &[Rc<Object>]) -> Value {
    json!({
        "apiVersion": "v1",
        "items": objs.iter().map(|o| object_value(o)).collect::<Vec<_>>(),
        "kind": "List",
        "metadata": {"resourceVersion": ""},
    })
}

/// How kubectl names a kind in `kind/name` output: `pod`, `statefulset.apps`.
pub fn kind_prefix(kind: Kind) -> String {
    let info = kind.info();
    let k = info.kind.to_lowercase();
    if info.group.is_empty() { k } else { format!("{k}.{}", info.group) }
}

/// `-o name`: `pod/web-0`, `statefulset.apps/web`, one per line.
pub fn print_names(objs: &[Rc<Object>]) -> String {
    objs.iter().map(|o| format!("{}\n", name_of(o))).collect()
}

/// `pod/web-0`: the NamePrinter's text for one object (`<unknown>` without a name).
pub fn name_of(obj: &Object) -> String {
    let name = if obj.meta().name.is_empty() { "<unknown>" } else { obj.meta().name.as_str() };
    format!("{}/{name}", kind_prefix(obj.kind()))
}

/// Cells as printTable writes them: cut at the first line break (with
/// `...`) and with terminal escapes neutralised.
fn cell_text(s: &str) -> String {
    let (text, cut) = match s.find(['\x0c', '\n', '\r']) {
        Some(i) => (&s[..i], true),
        None => (s, false),
    };
    let mut out = text.replace('\x1b', "^[").replace('\r', "\\r");
    if cut {
        out.push_str("...");
    }
    out
}

/// The header of a `-L` column: the last path segment of the key, upper-cased.
fn label_header(key: &str) -> String {
    key.rsplit('/').next().unwrap_or(key).to_uppercase()
}

/// One kind's table (header and rows) as tab-separated lines, before alignment.
pub fn table_lines(kind: Kind, objs: &[&Object], opts: &PrintOptions, with_kind: bool) -> String {
    let wide = opts.format == OutputFormat::Wide;
    let crd = opts.crd_columns.iter().find(|(k, _)| *k == kind).map(|(_, d)| d.as_slice());
    let cols: Vec<Col> = match crd {
        Some(defs) => std::iter::once(Col { name: "Name".into(), priority: 0 })
            .chain(defs.iter().map(|d| Col { name: d["name"].as_str().unwrap_or_default().into(), priority: d["priority"].as_i64().unwrap_or(0).min(1) as u8 }))
            .collect(),
        None => columns(kind).iter().map(|c| Col { name: c.name.into(), priority: c.priority }).collect(),
    };
    let with_ns = opts.with_namespace && kind.namespaced();
    // The first column whose format is "name" gets `kind/` with several kinds.
    let name_col = cols.iter().position(|c| c.name == "Name");
    let mut out = String::new();
    if !opts.no_headers {
        if objs.is_empty() {
            return out;
        }
        let mut headers: Vec<String> = vec![];
        if with_ns {
            headers.push("NAMESPACE".into());
        }
        headers.extend(cols.iter().filter(|c| wide || c.priority == 0).map(|c| c.name.to_uppercase()));
        headers.extend(opts.label_columns.iter().map(|k| label_header(k)));
        if opts.show_labels {
            headers.push("LABELS".into());
        }
        out.push_str(&headers.join("\t"));
        out.push('\n');
    }
    for obj in objs {
        let mut cells = match crd {
            Some(defs) => crd_row(obj, defs, opts.now),
            None => row(obj, opts.now),
        };
        if with_kind && let Some(i) = name_col {
            cells[i] = format!("{}/{}", kind_prefix(kind), cells[i]);
        }
        let mut shown: Vec<String> = vec![];
        if with_ns {
            shown.push(obj.meta().namespace.clone());
        }
        for (i, c) in cells.iter().enumerate() {
            if i >= cols.len() {
                break;
            }
            if wide || cols[i].priority == 0 {
                shown.push(c.clone());
            }
        }
        let labels = &obj.meta().labels;
        for k in &opts.label_columns {
            shown.push(labels.get(k).cloned().unwrap_or_default());
        }
        if opts.show_labels {
            shown.push(format_labels(labels));
        }
        let line: Vec<String> = shown.iter().map(|c| cell_text(c)).collect();
        out.push_str(&line.join("\t"));
        out.push('\n');
    }
    out
}

/// A table column: a kind's (static) or a CRD's printer column.
struct Col {
    name: String,
    priority: u8,
}

/// A custom resource's row: its name, then each printer column's JSONPath
/// value as the CRD table convertor renders its type (`date` as an age,
/// `integer`, `number`, `boolean`, `string`), `<none>` when absent.
fn crd_row(obj: &Object, defs: &[Value], now: crate::engine::time::Time) -> Vec<String> {
    let v = obj.to_value();
    let mut cells = vec![obj.meta().name.clone()];
    for d in defs {
        let path = d["jsonPath"].as_str().unwrap_or_default();
        let found = JsonPath::parse(&format!("{{{path}}}")).and_then(|p| p.allow_missing_keys(true).find_results(&v)).unwrap_or_default();
        let value = found.first().and_then(|r| r.first());
        let cell = match (d["type"].as_str().unwrap_or_default(), value) {
            (_, None) => None,
            ("date", Some(Value::String(s))) => crate::engine::time::Time::parse_rfc3339(s).map(|t| rows::age(Some(t), now)),
            ("date", _) => None,
            ("integer", Some(Value::Number(n))) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)).map(|i| i.to_string()),
            ("number" | "boolean", Some(x @ (Value::Number(_) | Value::Bool(_)))) => Some(jsonpath::go_print(x)),
            ("string", Some(x)) => Some(jsonpath::print_results(std::slice::from_ref(x))),
            _ => None,
        };
        cells.push(cell.unwrap_or_else(|| "<none>".into()));
    }
    cells
}

/// The human-readable printer of `kubectl get` (default and `-o wide`): one
/// table per run of same-kind objects, separated by blank lines, each
/// aligned on its own; `kind/name` names when several kinds were listed.
pub fn print_table(objs: &[Rc<Object>], opts: &PrintOptions) -> String {
    let with_kind = opts.with_kind || objs.windows(2).any(|w| w[0].kind() != w[1].kind());
    let mut w = TabWriter::kubectl();
    let mut out = String::new();
    let mut i = 0;
    while i < objs.len() {
        let kind = objs[i].kind();
        let mut j = i;
        while j < objs.len() && objs[j].kind() == kind {
            j += 1;
        }
        let group: Vec<&Object> = objs[i..j].iter().map(|o| &**o).collect();
        let text = table_lines(kind, &group, opts, with_kind);
        w.write(&text);
        let chunk = w.take_output();
        w.reset_remembered_widths();
        if !chunk.is_empty() {
            if !out.is_empty() && !opts.no_headers {
                out.push('\n');
            }
            out.push_str(&chunk);
        }
        i = j;
    }
    out
}

/// `-o custom-columns=HEADER:.path,...`.
pub fn print_custom_columns(objs: &[Rc<Object>], spec: &str, no_headers: bool) -> Result<String, String> {
    if spec.is_empty() {
        return Err("custom-columns format specified but no custom columns given".into());
    }
    let mut columns = vec![];
    for part in spec.split(',') {
        let Some((header, expr)) = part.split_once(':') else {
            return Err(format!("unexpected custom-columns spec: {part}, expected <header>:<json-path-expr>"));
        };
        let field = jsonpath::relaxed_expression(expr)?;
        columns.push((header.to_string(), field));
    }
    let mut parsers = vec![];
    for (_, field) in &columns {
        parsers.push(JsonPath::parse(field)?.allow_missing_keys(true));
    }
    let mut text = String::new();
    if !no_headers {
        text.push_str(&columns.iter().map(|(h, _)| h.as_str()).collect::<Vec<_>>().join("\t"));
        text.push('\n');
    }
    for obj in objs {
        let v = object_value(obj);
        let mut cells = vec![];
        for p in &parsers {
            let values = p.find_results(&v)?;
            let mut strs: Vec<String> = vec![];
            if values.is_empty() || values[0].is_empty() {
                strs.push("<none>".into());
            }
            for group in &values {
                for x in group {
                    strs.push(jsonpath::go_print(x).replace('\x1b', "^[").replace('\r', "\\r"));
                }
            }
            cells.push(strs.join(","));
        }
        text.push_str(&cells.join("\t"));
        text.push('\n');
    }
    let mut w = TabWriter::kubectl();
    w.write(&text);
    Ok(w.finish())
}

/// `-o jsonpath=TEMPLATE` over the object (or the List).
pub fn print_jsonpath(data: &Value, template: &str) -> Result<String, String> {
    let j = JsonPath::parse(template).map_err(|e| format!("error parsing jsonpath {template}, {e}"))?.allow_missing_keys(true);
    j.execute(data).map_err(|e| jsonpath::execution_error(template, &e, data))
}

// ---------------------------------------------------------------- --sort-by

/// `--sort-by=FIELD`: a stable sort of the objects by a JSONPath field
/// (sorter.go's RuntimeSort: numbers, strings, quantities compared as
/// quantities when both parse, objects without the field first).
pub fn sort_objects(objs: &[Rc<Object>], field: &str) -> Result<Vec<Rc<Object>>, String> {
    if objs.len() < 2 {
        return Ok(objs.to_vec());
    }
    let field = jsonpath::relaxed_expression(field)?;
    let parser = JsonPath::parse(&field)?.allow_missing_keys(true);
    let mut keyed: Vec<(Option<Value>, Rc<Object>)> = vec![];
    for o in objs {
        let results = parser.find_results(&object_value(o))?;
        let first = results.first().and_then(|g| g.first()).cloned();
        keyed.push((first, o.clone()));
    }
    if keyed.iter().all(|(k, _)| k.is_none()) {
        return Err(format!("couldn't find any field with path {} in the list of objects", jsonpath::go_quote(&field)));
    }
    // Check sortability first so the comparator cannot fail halfway.
    let present: Vec<&Value> = keyed.iter().filter_map(|(k, _)| k.as_ref()).collect();
    for pair in present.windows(2) {
        sort_less(pair[0], pair[1]).map_err(|e| format!("Field {field} is an unsortable type: {e}"))?;
    }
    crate::engine::sort::sort_by(&mut keyed, |a, b| {
        use std::cmp::Ordering::*;
        let less = |x: &Option<Value>, y: &Option<Value>| match (x, y) {
            (None, _) => true,
            (_, None) => false,
            (Some(x), Some(y)) => sort_less(x, y).unwrap_or(false),
        };
        if less(&a.0, &b.0) && !less(&b.0, &a.0) {
            Less
        } else if less(&b.0, &a.0) && !less(&a.0, &b.0) {
            Greater
        } else {
            Equal
        }
    });
    Ok(keyed.into_iter().map(|(_, o)| o).collect())
}

/// sorter.go's isLess for unstructured values.
fn sort_less(i: &Value, j: &Value) -> Result<bool, String> {
    match (i, j) {
        (Value::Null, Value::Null) => Ok(false),
        (Value::Null, _) => Ok(true),
        (_, Value::Null) => Ok(false),
        (Value::Number(a), Value::Number(b)) => match (a.as_i64(), b.as_i64()) {
            (Some(x), Some(y)) if !a.is_f64() && !b.is_f64() => Ok(x < y),
            _ if a.is_f64() && b.is_f64() => Ok(a.as_f64() < b.as_f64()),
            _ => Err("unsortable interface: interface".into()),
        },
        (Value::String(a), Value::String(b)) => match (Quantity::parse(a), Quantity::parse(b)) {
            (Ok(x), Ok(y)) => Ok(x < y),
            _ => Ok(a < b),
        },
        (Value::Bool(_), _) => Err("unsortable type: bool".into()),
        (Value::Array(_), _) => Err("unsortable type: []interface {}".into()),
        (Value::Object(_), _) => Err("unsortable type: map[string]interface {}".into()),
        _ => Err("unsortable interface: interface".into()),
    }
}

#[cfg(test)]
mod tests;
