//! `kubectl describe`, as kubectl 1.36 writes it
//! (staging/src/k8s.io/kubectl/pkg/describe/describe.go): a prefix writer
//! that indents by two spaces per level, over Go's text/tabwriter with
//! minwidth 0, tabwidth 8, padding 2. The describers below follow the Go
//! ones statement by statement where the layout depends on it (including
//! its quirks, such as the extra indentation of CSI volume attributes).
//!
//! Several objects described by one command are joined by the caller with
//! a blank line between them (`"\n\n"` before every one but the first), as
//! cmd/describe does.

mod batch;
mod core;
mod networking;
mod pods;
pub(crate) mod rbac;
mod storage;
mod workloads;

use super::printers::{age, format_labels};
use super::tabwriter::TabWriter;
use crate::engine::api::*;
use crate::engine::apiserver::Api;
use crate::engine::time::Time;
use serde_json::Value;
use std::collections::BTreeMap;

/// Describes one object as `kubectl describe` prints it; `now` is the
/// simulated clock (ages in the Events section).
pub fn describe(api: &Api, obj: &Object, now: Time) -> String {
    let mut w = PrefixWriter::new();
    let cx = Cx { api, now };
    match obj {
        Object::Pod(p) => pods::describe_pod(&mut w, &cx, p),
        Object::PersistentVolumeClaim(c) => storage::describe_pvc(&mut w, &cx, c),
        Object::PersistentVolume(v) => storage::describe_pv(&mut w, &cx, v),
        Object::StorageClass(s) => storage::describe_storage_class(&mut w, &cx, s),
        Object::CsiNode(n) => storage::describe_csi_node(&mut w, &cx, n),
        Object::Node(n) => core::describe_node(&mut w, &cx, n),
        Object::Service(s) => core::describe_service(&mut w, &cx, s),
        Object::Endpoints(e) => core::describe_endpoints(&mut w, &cx, e),
        Object::Namespace(n) => core::describe_namespace(&mut w, &cx, n),
        Object::ConfigMap(c) => core::describe_config_map(&mut w, &cx, c),
        Object::Secret(s) => core::describe_secret(&mut w, s),
        Object::ServiceAccount(s) => core::describe_service_account(&mut w, &cx, s),
        Object::ResourceQuota(q) => core::describe_quota(&mut w, q),
        Object::PodDisruptionBudget(p) => core::describe_pdb(&mut w, &cx, p),
        Object::Deployment(d) => workloads::describe_deployment(&mut w, &cx, d),
        Object::ReplicaSet(r) => workloads::describe_replica_set(&mut w, &cx, r),
        Object::StatefulSet(s) => workloads::describe_stateful_set(&mut w, &cx, s),
        Object::Generic(g) if matches!(g.kind, Kind::Role | Kind::ClusterRole) => rbac::describe_role(&mut w, g),
        Object::Generic(g) if matches!(g.kind, Kind::RoleBinding | Kind::ClusterRoleBinding) => rbac::describe_binding(&mut w, g),
        Object::Generic(g) if g.kind == Kind::NetworkPolicy => networking::describe_network_policy(&mut w, g),
        Object::Generic(g) if g.kind == Kind::Ingress => networking::describe_ingress(&mut w, &cx, obj, g),
        Object::Generic(g) if g.kind == Kind::EndpointSlice => networking::describe_endpoint_slice(&mut w, &cx, obj, g),
        Object::Generic(g) if g.kind == Kind::IngressClass => networking::describe_ingress_class(&mut w, &cx, obj, g),
        Object::Generic(g) if g.kind == Kind::LimitRange => core::describe_limit_range(&mut w, g),
        Object::Generic(g) if g.kind == Kind::Job => batch::describe_job(&mut w, &cx, obj, g),
        Object::Generic(g) if g.kind == Kind::CronJob => batch::describe_cron_job(&mut w, &cx, obj, g),
        Object::Generic(g) if g.kind == Kind::DaemonSet => batch::describe_daemon_set(&mut w, &cx, obj, g),
        Object::Generic(g) if g.kind == Kind::ReplicationController => batch::describe_replication_controller(&mut w, &cx, obj, g),
        Object::Generic(g) if g.kind == Kind::HorizontalPodAutoscaler => batch::describe_hpa(&mut w, &cx, obj, g),
        Object::Generic(g) if g.kind == Kind::PriorityClass => rbac::describe_priority_class(&mut w, &cx, obj, g),
        // No dedicated describer in kubectl: the generic one.
        Object::VolumeAttachment(_) | Object::CsiDriver(_) | Object::Lease(_) | Object::ControllerRevision(_) | Object::Event(_) | Object::Generic(_) => {
            describe_generic(&mut w, &cx, obj)
        }
    }
    w.finish()
}

/// What the describers read besides the object.
pub(crate) struct Cx<'a> {
    pub api: &'a Api,
    pub now: Time,
}

impl Cx<'_> {
    /// searchEvents: the events whose involvedObject is this object.
    fn events(&self, obj: &Object) -> Vec<Event> {
        let m = obj.meta();
        self.api.events_for(obj.kind(), &m.namespace, &m.name, &m.uid).into_iter().cloned().collect()
    }
}

// ---------------------------------------------------------------- prefix writer

pub(crate) const LEVEL_0: usize = 0;
pub(crate) const LEVEL_1: usize = 1;
pub(crate) const LEVEL_2: usize = 2;
pub(crate) const LEVEL_3: usize = 3;
pub(crate) const LEVEL_4: usize = 4;

/// describe's PrefixWriter over the describe tabwriter. `nested` adds levels
/// to every write (NewNestedPrefixWriter).
pub(crate) struct PrefixWriter {
    tw: TabWriter,
    out: String,
    pub nested: usize,
}

impl PrefixWriter {
    fn new() -> PrefixWriter {
        PrefixWriter { tw: TabWriter::describe(), out: String::new(), nested: 0 }
    }

    /// `Write(level, format, ...)` with the text already formatted.
    pub fn write(&mut self, level: usize, text: &str) {
        let prefix = "  ".repeat(level + self.nested);
        self.tw.write(&escape(&format!("{prefix}{text}")));
    }

    /// `WriteLine(a...)`: the text and a newline, no indentation.
    pub fn write_line(&mut self, text: &str) {
        self.tw.write(&escape(&format!("{text}\n")));
    }

    /// Flushes the tabwriter: what follows aligns on its own.
    pub fn flush(&mut self) {
        let out = self.tw.take_output();
        self.out.push_str(&out);
    }

    fn finish(mut self) -> String {
        self.flush();
        self.out
    }
}

/// printers.WriteEscaped: terminal escapes made visible.
fn escape(s: &str) -> String {
    if s.contains(['\x1b', '\r']) { s.replace('\x1b', "^[").replace('\r', "\\r") } else { s.to_string() }
}

// ---------------------------------------------------------------- shared helpers

/// `t.Format(time.RFC1123Z)`, with Go's zero time for an unset one.
pub(crate) fn time_fmt(t: Option<Time>) -> String {
    match t {
        Some(t) => t.rfc1123z(),
        None => "Mon, 01 Jan 0001 00:00:00 +0000".into(),
    }
}

/// Writes the concatenation of `parts` at `level`: one call instead of a
/// `format!` per line (each `format!` is code of its own in the wasm).
pub(crate) fn put(w: &mut PrefixWriter, level: usize, parts: &[&str]) {
    w.write(level, &parts.concat());
}

/// Go's `%v` of a []string: `[a b]`.
pub(crate) fn go_list(v: &[String]) -> String {
    format!("[{}]", v.join(" "))
}

/// printController: `StatefulSet/web`.
pub(crate) fn controlled_by(m: &ObjectMeta) -> Option<String> {
    m.controller_ref().map(|r| format!("{}/{}", r.kind, r.name))
}

fn or_none(s: &str) -> String {
    if s.is_empty() { "<none>".into() } else { s.to_string() }
}

/// printLabelsMultilineWithIndent.
pub(crate) fn print_labels_indent(w: &mut PrefixWriter, initial_indent: &str, title: &str, inner_indent: &str, labels: &BTreeMap<String, String>) {
    w.write(LEVEL_0, &format!("{initial_indent}{title}:{inner_indent}"));
    if labels.is_empty() {
        w.write_line("<none>");
        return;
    }
    for (i, (k, v)) in labels.iter().enumerate() {
        if i != 0 {
            w.write(LEVEL_0, initial_indent);
            w.write(LEVEL_0, inner_indent);
        }
        w.write(LEVEL_0, &format!("{k}={v}\n"));
    }
}

pub(crate) fn print_labels(w: &mut PrefixWriter, title: &str, labels: &BTreeMap<String, String>) {
    print_labels_indent(w, "", title, "\t", labels);
}

const MAX_ANNOTATION_LEN: usize = 140;
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// `shorten`: cut at maxLength bytes (on a character boundary) and add `...`.
fn shorten(s: &str, max: usize) -> String {
    if s.len() > max {
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{}...", &s[..cut])
    } else {
        s.to_string()
    }
}

/// printAnnotationsMultiline (the last-applied-configuration annotation is skipped).
pub(crate) fn print_annotations(w: &mut PrefixWriter, title: &str, annotations: &BTreeMap<String, String>) {
    w.write(LEVEL_0, &format!("{title}:\t"));
    let keys: Vec<&String> = annotations.keys().filter(|k| k.as_str() != LAST_APPLIED).collect();
    if keys.is_empty() {
        w.write_line("<none>");
        return;
    }
    let indent = "\t";
    for (i, key) in keys.iter().enumerate() {
        if i != 0 {
            w.write(LEVEL_0, indent);
        }
        let value = annotations[*key].strip_suffix('\n').unwrap_or(&annotations[*key]);
        if value.len() + key.len() + 2 > MAX_ANNOTATION_LEN || value.contains('\n') {
            w.write(LEVEL_0, &format!("{key}:\n"));
            for s in value.split('\n') {
                w.write(LEVEL_0, &format!("{indent}  {}\n", shorten(s, MAX_ANNOTATION_LEN - 2)));
            }
        } else {
            w.write(LEVEL_0, &format!("{key}: {value}\n"));
        }
    }
}

/// printNodeTaintsMultiline: sorted by effect, then key.
pub(crate) fn print_taints(w: &mut PrefixWriter, title: &str, taints: &[Taint]) {
    w.write(LEVEL_0, &format!("{title}:\t"));
    if taints.is_empty() {
        w.write_line("<none>");
        return;
    }
    let mut sorted: Vec<&Taint> = taints.iter().collect();
    crate::engine::sort::sort_by_key(&mut sorted, |t| format!("{},{}", t.effect, t.key));
    for (i, t) in sorted.iter().enumerate() {
        if i != 0 {
            w.write(LEVEL_0, "\t");
        }
        w.write(LEVEL_0, &format!("{}\n", t.to_display()));
    }
}

/// printPodTolerationsMultiline: `key=value:effect op=Exists for 300s`, sorted by key.
pub(crate) fn print_tolerations(w: &mut PrefixWriter, initial_indent: &str, title: &str, tolerations: &[Toleration]) {
    w.write(LEVEL_0, &format!("{initial_indent}{title}:\t"));
    if tolerations.is_empty() {
        w.write_line("<none>");
        return;
    }
    let mut sorted: Vec<&Toleration> = tolerations.iter().collect();
    crate::engine::sort::sort_by(&mut sorted, |a, b| a.key.cmp(&b.key));
    for (i, t) in sorted.iter().enumerate() {
        if i != 0 {
            w.write(LEVEL_0, initial_indent);
            w.write(LEVEL_0, "\t");
        }
        let mut s = t.key.clone();
        if !t.value.is_empty() {
            s.push_str(&format!("={}", t.value));
        }
        if !t.effect.is_empty() {
            s.push_str(&format!(":{}", t.effect));
        }
        if t.operator == "Exists" && t.value.is_empty() {
            if !t.key.is_empty() || !t.effect.is_empty() {
                s.push_str(" op=Exists");
            } else {
                s.push_str("op=Exists");
            }
        }
        if let Some(secs) = t.toleration_seconds {
            s.push_str(&format!(" for {secs}s"));
        }
        w.write(LEVEL_0, &format!("{s}\n"));
    }
}

/// printPodsMultiline: names sorted.
pub(crate) fn print_pods(w: &mut PrefixWriter, title: &str, names: &[String]) {
    w.write(LEVEL_0, &format!("{title}:\t"));
    if names.is_empty() {
        w.write_line("<none>");
        return;
    }
    let mut sorted: Vec<&String> = names.iter().collect();
    crate::engine::sort::sort(&mut sorted);
    for (i, n) in sorted.iter().enumerate() {
        if i != 0 {
            w.write(LEVEL_0, "\t");
        }
        w.write(LEVEL_0, &format!("{n}\n"));
    }
}

/// DescribeEvents: `Events:  <none>`, or a table sorted by last timestamp
/// with `Age` as `2m (x3 over 5m)` for repeated events.
pub(crate) fn describe_events(w: &mut PrefixWriter, cx: &Cx, mut events: Vec<Event>) {
    if events.is_empty() {
        w.write(LEVEL_0, "Events:\t<none>\n");
        return;
    }
    w.flush();
    crate::engine::sort::sort_by_key(&mut events, |e| e.last_timestamp.map(|t| t.0).unwrap_or(i64::MIN));
    w.write(LEVEL_0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n");
    w.write(LEVEL_1, "----\t------\t----\t----\t-------\n");
    for e in &events {
        let first = match e.event_time {
            Some(t) => age(Some(t.0), cx.now),
            None => age(e.first_timestamp, cx.now),
        };
        let interval = if e.count > 1 { format!("{} (x{} over {first})", age(e.last_timestamp, cx.now), e.count) } else { first };
        let source = if e.source.component.is_empty() { e.reporting_component.clone() } else { e.source.component.clone() };
        let mut message = e.message.trim().to_string();
        if !e.involved_object.field_path.is_empty() {
            message = format!("{}: {message}", e.involved_object.field_path);
        }
        w.write(LEVEL_1, &format!("{}\t{}\t{interval}\t{source}\t{message}\n", e.type_, e.reason));
    }
}

// ---------------------------------------------------------------- generic describer

/// smartLabelFor: `apiVersion` -> `API Version`, `nodeName` -> `Node Name`.
pub(crate) fn smart_label(field: &str) -> String {
    if field.chars().any(|c| !c.is_alphabetic() && c != '-') {
        return field.to_string();
    }
    let parts = camelcase_split(field);
    let mut merged: Vec<String> = vec![];
    let mut i = 0;
    while i < parts.len() {
        let part = &parts[i];
        if i + 1 < parts.len() {
            let next = &parts[i + 1];
            let all_upper = part.chars().all(|c| !c.is_alphabetic() || c.is_uppercase());
            if part.chars().count() >= 2 && all_upper && next.chars().next().is_some_and(|c| c.is_uppercase()) {
                merged.push(format!("{part}{next}"));
                i += 2;
                continue;
            }
        }
        merged.push(part.clone());
        i += 1;
    }
    let mut result = vec![];
    for part in merged {
        if part == "_" {
            continue;
        }
        let upper = part.to_uppercase();
        if ["API", "URL", "UID", "GUID"].contains(&upper.as_str()) {
            result.push(upper);
        } else if part.to_lowercase() == part {
            let mut c = part.chars();
            result.push(match c.next() {
                Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
                None => String::new(),
            });
        } else {
            result.push(part);
        }
    }
    result.join(" ")
}

/// github.com/fatih/camelcase.Split.
fn camelcase_split(src: &str) -> Vec<String> {
    let class = |c: char| {
        if c.is_lowercase() {
            1
        } else if c.is_uppercase() {
            2
        } else if c.is_numeric() {
            3
        } else {
            4
        }
    };
    let mut runs: Vec<Vec<char>> = vec![];
    let mut last = 0;
    for c in src.chars() {
        let k = class(c);
        if k == last && !runs.is_empty() {
            runs.last_mut().expect("non-empty").push(c);
        } else {
            runs.push(vec![c]);
        }
        last = k;
    }
    for i in 0..runs.len().saturating_sub(1) {
        if runs[i][0].is_uppercase() && runs[i + 1][0].is_lowercase() {
            let moved = runs[i].pop().expect("non-empty run");
            runs[i + 1].insert(0, moved);
        }
    }
    runs.into_iter().filter(|r| !r.is_empty()).map(|r| r.into_iter().collect()).collect()
}

fn go_scalar(v: &Value) -> String {
    crate::kubectl::jsonpath::go_print(v)
}

/// printUnstructuredContent.
fn print_unstructured(w: &mut PrefixWriter, level: usize, content: &serde_json::Map<String, Value>, skip_prefix: &str, skip: &[&str]) {
    for (field, value) in content {
        let skip_expr = format!("{skip_prefix}.{field}");
        if skip.contains(&skip_expr.as_str()) {
            continue;
        }
        match value {
            Value::Object(m) => {
                w.write(level, &format!("{}:\n", smart_label(field)));
                print_unstructured(w, level + 1, m, &skip_expr, skip);
            }
            Value::Array(items) => {
                w.write(level, &format!("{}:\n", smart_label(field)));
                for child in items {
                    match child {
                        Value::Object(m) => print_unstructured(w, level + 1, m, &skip_expr, skip),
                        other => w.write(level + 1, &format!("{}\n", go_scalar(other))),
                    }
                }
            }
            other => w.write(level, &format!("{}:\t{}\n", smart_label(field), go_scalar(other))),
        }
    }
}

/// The generic describer (kinds without their own: VolumeAttachment,
/// CSIDriver, Lease, ControllerRevision, Event).
fn describe_generic(w: &mut PrefixWriter, cx: &Cx, obj: &Object) {
    let m = obj.meta();
    w.write(LEVEL_0, &format!("Name:\t{}\n", m.name));
    w.write(LEVEL_0, &format!("Namespace:\t{}\n", m.namespace));
    print_labels(w, "Labels", &m.labels);
    print_annotations(w, "Annotations", &m.annotations);
    let v = crate::kubectl::printers::object_value(obj);
    if let Value::Object(content) = &v {
        print_unstructured(
            w,
            LEVEL_0,
            content,
            "",
            &[".metadata.managedFields", ".metadata.name", ".metadata.namespace", ".metadata.labels", ".metadata.annotations"],
        );
    }
    describe_events(w, cx, cx.events(obj));
}

#[cfg(test)]
mod tests;
