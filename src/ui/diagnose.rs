//! Editor diagnostics: where in the YAML buffer a problem is.
//!
//! [`lint`] runs the engine's own parser and strict decoder over the buffer
//! (the same code `kubectl apply` reaches), so syntax errors, missing or
//! unknown kinds and type errors land on the line and column the engine
//! reports, and unknown fields (which the API server rejects under strict
//! field validation) are marked as warnings while typing.
//! [`after_apply`] reads what a failed `kubectl apply` printed and places
//! the server's errors too: `The StatefulSet "web" is invalid:
//! spec.replicas: ...` goes on the `replicas:` key of the document named
//! `web`.

use crate::engine::api::{Kind, Object};
use crate::engine::yaml::{self, Doc, Node, Pos, Val};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One marker: 1-based line and column.
#[derive(Clone, Debug, PartialEq)]
pub struct Diag {
    pub line: u32,
    pub col: u32,
    pub severity: Severity,
    pub message: String,
}

fn diag(pos: Pos, severity: Severity, message: impl Into<String>) -> Diag {
    Diag { line: pos.line.max(1), col: pos.col.max(1), severity, message: message.into() }
}

/// The first line of a document that has content (for whole-document errors).
fn doc_pos(d: &Doc) -> Pos {
    if d.node.pos.line > 0 { d.node.pos } else { Pos { line: d.first_line.max(1), col: 1 } }
}

/// Position of a map key (the key itself, which is where people look).
fn key_pos(node: &Node, key: &str) -> Option<Pos> {
    match &node.v {
        Val::Map(m) => m.iter().find(|(k, _, _)| k == key).map(|(_, p, _)| *p),
        _ => None,
    }
}

/// Diagnostics for the buffer as it is.
/// Above this size the editor's text is checked when it is applied, not at
/// every keystroke (a pasted 2 MB manifest must not slow down typing).
pub const LINT_MAX: usize = 256 * 1024;

pub fn lint(text: &str) -> Vec<Diag> {
    if text.len() > LINT_MAX {
        return vec![Diag {
            line: 1,
            col: 1,
            severity: Severity::Warning,
            message: format!("this text is large ({} KB): it is checked when you apply it, not while you type", text.len() / 1024),
        }];
    }
    let docs = match yaml::parse_stream(text) {
        Ok(d) => d,
        Err(e) => return vec![diag(e.pos, Severity::Error, e.go_text())],
    };
    let mut out = vec![];
    for d in &docs {
        lint_doc(d, &mut out);
    }
    out
}

fn lint_doc(d: &Doc, out: &mut Vec<Diag>) {
    let n = &d.node;
    if !matches!(n.v, Val::Map(_)) {
        out.push(diag(doc_pos(d), Severity::Error, "a manifest is a mapping with apiVersion, kind and metadata"));
        return;
    }
    let api_version = n.get("apiVersion").and_then(Node::as_str);
    let kind = n.get("kind").and_then(Node::as_str);
    let mut missing = vec![];
    if api_version.is_none() {
        missing.push("apiVersion not set");
    }
    if kind.is_none() {
        missing.push("kind not set");
    }
    if !missing.is_empty() {
        out.push(diag(doc_pos(d), Severity::Error, format!("error validating data: {}", missing.join(", "))));
        return;
    }
    let (api_version, kind) = (api_version.unwrap_or_default(), kind.unwrap_or_default());
    if kind == "List" {
        if let Some(Val::Seq(items)) = n.get("items").map(|i| &i.v) {
            for item in items {
                lint_doc(&Doc { node: item.clone(), first_line: item.pos.line, index: d.index }, out);
            }
        }
        return;
    }
    let Some(k) = Kind::from_type_meta(api_version, kind) else {
        let pos = n.get("kind").map(|k| k.pos).unwrap_or(doc_pos(d));
        out.push(diag(pos, Severity::Error, format!("no matches for kind {kind:?} in version {api_version:?}")));
        return;
    };
    match Object::decode(k, n) {
        Err(e) => {
            let pos = if e.pos.line > 0 { e.pos } else { doc_pos(d) };
            out.push(diag(pos, Severity::Error, e.message));
        }
        Ok((_, unknown)) => {
            for u in unknown {
                let pos = if u.pos.line > 0 { u.pos } else { doc_pos(d) };
                out.push(diag(pos, Severity::Warning, format!("unknown field {:?} (the API server rejects it: strict field validation)", u.path)));
            }
        }
    }
}

/// Diagnostics after `kubectl apply` failed with `output`: the buffer's own
/// problems as errors (unknown fields included, since the server rejected
/// them), and the server's field errors placed on their fields.
pub fn after_apply(text: &str, output: &str) -> Vec<Diag> {
    let mut out: Vec<Diag> = lint(text)
        .into_iter()
        .map(|mut d| {
            if d.severity == Severity::Warning && output.contains("strict decoding error") {
                d.severity = Severity::Error;
            }
            d
        })
        .collect();
    let Ok(docs) = yaml::parse_stream(text) else { return out };
    for (kind, name, errors) in invalid_reports(output) {
        let Some(doc) = docs.iter().find(|d| {
            d.node.get("kind").and_then(Node::as_str) == Some(kind.as_str())
                && d.node.get("metadata").and_then(|m| m.get("name")).and_then(Node::as_str) == Some(name.as_str())
        }) else {
            continue;
        };
        for (path, message) in errors {
            let pos = field_pos(&doc.node, &path).unwrap_or(doc_pos(doc));
            let d = diag(pos, Severity::Error, format!("{path}: {message}"));
            if !out.contains(&d) {
                out.push(d);
            }
        }
    }
    // Errors that name no field still deserve a marker: put them on the
    // first document so the editor shows that the apply failed.
    if out.is_empty() && !output.trim().is_empty() {
        let pos = docs.first().map(doc_pos).unwrap_or(Pos { line: 1, col: 1 });
        out.push(diag(pos, Severity::Error, output.trim().to_string()));
    }
    out
}

/// One `is invalid` report: (kind, name, [(field path, message)]).
type InvalidReport = (String, String, Vec<(String, String)>);

/// `The StatefulSet "web" is invalid: a: b` and the `* a: b` list form.
fn invalid_reports(output: &str) -> Vec<InvalidReport> {
    let mut out = vec![];
    let mut rest = output;
    while let Some(i) = rest.find("\" is invalid: ") {
        let head = &rest[..i];
        let after = &rest[i + "\" is invalid: ".len()..];
        let Some(q) = head.rfind('"') else { break };
        let name = head[q + 1..].to_string();
        // the word before the quote: `The StatefulSet` or `StatefulSet.apps`
        let kind_word = head[..q].trim_end().rsplit([' ', ':']).next().unwrap_or("");
        let kind = kind_word.split('.').next().unwrap_or("").to_string();
        let mut errors = vec![];
        let body_end = after.find("\nError from server").or_else(|| after.find("\nThe ")).unwrap_or(after.len());
        let body = &after[..body_end];
        let items: Vec<&str> = if body.starts_with('\n') || body.starts_with("[") {
            body.lines().filter_map(|l| l.trim().strip_prefix("* ")).collect()
        } else {
            vec![body.lines().next().unwrap_or("")]
        };
        for item in items {
            if let Some((path, msg)) = item.split_once(": ") {
                errors.push((path.trim().to_string(), msg.trim().to_string()));
            }
        }
        out.push((kind, name, errors));
        rest = &after[body_end..];
    }
    out
}

/// Finds the source position of a field path (`spec.template.spec.containers[0].image`,
/// `metadata.labels[app]`): the key when the field is present, else the
/// deepest ancestor that is.
pub fn field_pos(root: &Node, path: &str) -> Option<Pos> {
    let mut node = root;
    let mut best = None;
    for seg in path_segments(path) {
        match seg {
            Seg::Key(k) => {
                let Some(p) = key_pos(node, &k) else { return best };
                best = Some(p);
                match node.get(&k) {
                    Some(n) => node = n,
                    None => return best,
                }
            }
            Seg::Index(i) => match &node.v {
                Val::Seq(items) => match items.get(i) {
                    Some(n) => {
                        best = Some(n.pos);
                        node = n;
                    }
                    None => return best,
                },
                _ => return best,
            },
        }
    }
    best
}

enum Seg {
    Key(String),
    Index(usize),
}

fn path_segments(path: &str) -> Vec<Seg> {
    let mut out = vec![];
    let mut cur = String::new();
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                if !cur.is_empty() {
                    out.push(Seg::Key(std::mem::take(&mut cur)));
                }
            }
            '[' => {
                if !cur.is_empty() {
                    out.push(Seg::Key(std::mem::take(&mut cur)));
                }
                let mut inner = String::new();
                for c in chars.by_ref() {
                    if c == ']' {
                        break;
                    }
                    inner.push(c);
                }
                match inner.parse::<usize>() {
                    Ok(i) => out.push(Seg::Index(i)),
                    Err(_) => out.push(Seg::Key(inner)),
                }
            }
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(Seg::Key(cur));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubectl::session::Session;

    const STS: &str = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: web\nspec:\n  replicas: 3\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: nginx\n        image: nginx:1.25\n";

    #[test]
    fn a_huge_buffer_is_not_parsed_at_every_keystroke() {
        let big = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n".to_string() + &"  k: v\n".repeat(60_000);
        let d = lint(&big);
        assert_eq!(d.len(), 1);
        assert!(d[0].message.contains("checked when you apply"), "{}", d[0].message);
    }

    #[test]
    fn a_clean_manifest_has_no_diagnostics() {
        assert_eq!(lint(STS), vec![]);
        assert_eq!(lint(&format!("{STS}---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  clusterIP: None\n")), vec![]);
    }

    #[test]
    fn syntax_errors_land_where_the_parser_stopped() {
        let d = lint("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n data: 1\n");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].severity, Severity::Error);
        assert_eq!(d[0].line, 5, "{d:?}");
        assert!(d[0].message.starts_with("yaml: line "), "{}", d[0].message);
    }

    #[test]
    fn unknown_fields_are_warnings_at_the_key() {
        let text = STS.replace("  replicas: 3", "  replica: 3").replace("        image: nginx:1.25", "        imagee: nginx:1.25");
        let d = lint(&text);
        assert_eq!(d.len(), 2, "{d:?}");
        assert!(d.iter().all(|d| d.severity == Severity::Warning));
        assert_eq!((d[0].line, d[0].col), (6, 3));
        assert!(d[0].message.contains("\"spec.replica\""));
        assert_eq!((d[1].line, d[1].col), (17, 9));
        assert!(d[1].message.contains("spec.template.spec.containers[0].imagee"));
    }

    #[test]
    fn type_errors_and_unknown_kinds_in_the_second_document() {
        let text = format!("{STS}---\napiVersion: v1\nkind: Widget\nmetadata:\n  name: w\n");
        let d = lint(&text);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].line, 20);
        assert!(d[0].message.contains("no matches for kind \"Widget\""));
        let d = lint(&STS.replace("replicas: 3", "replicas: three"));
        assert_eq!(d.len(), 1);
        assert_eq!((d[0].line, d[0].severity), (6, Severity::Error));
        assert!(d[0].message.contains("cannot unmarshal string"), "{}", d[0].message);
        let d = lint("metadata:\n  name: x\n");
        assert_eq!(d[0].message, "error validating data: apiVersion not set, kind not set");
    }

    /// The server's validation errors, as the Session prints them, are put
    /// on their fields; the apply changed nothing.
    #[test]
    fn server_errors_after_a_failed_apply() {
        let mut s = Session::new(1);
        let text = format!("{}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n", STS.replace("replicas: 3", "replicas: -1"));
        let out = s.run("kubectl apply -f -", &text);
        assert_ne!(out.exit_code, 0);
        let d = after_apply(&text, &out.output);
        assert!(d.iter().any(|d| d.line == 6 && d.col == 3 && d.message.contains("spec.replicas")), "{d:?}\n{}", out.output);
        assert_eq!(s.run("kubectl get cm ok", "").exit_code, 1, "a failed apply changes nothing");

        // strict decoding: the unknown field becomes an error
        let text = STS.replace("  replicas: 3", "  replica: 3");
        let out = s.run("kubectl apply -f -", &text);
        let d = after_apply(&text, &out.output);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!((d[0].line, d[0].severity), (6, Severity::Error));
    }

    #[test]
    fn several_field_errors_in_list_form() {
        let output = "The StatefulSet \"web\" is invalid: \n* spec.selector: Required value\n* spec.template.spec.containers[0].image: Required value\n";
        let r = invalid_reports(output);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].0, "StatefulSet");
        assert_eq!(r[0].1, "web");
        assert_eq!(r[0].2.len(), 2);
        let d = after_apply(STS, output);
        assert!(d.iter().any(|d| d.line == 7 && d.message.starts_with("spec.selector")), "{d:?}");
        assert!(d.iter().any(|d| d.line == 17 && d.message.starts_with("spec.template.spec.containers[0].image")), "{d:?}");
    }

    #[test]
    fn field_paths() {
        let docs = yaml::parse_stream(STS).unwrap();
        let n = &docs[0].node;
        assert_eq!(field_pos(n, "metadata.name"), Some(Pos { line: 4, col: 3 }));
        assert_eq!(field_pos(n, "spec.template.metadata.labels[app]"), Some(Pos { line: 13, col: 9 }));
        assert_eq!(field_pos(n, "spec.template.spec.containers[0]").map(|p| p.line), Some(16));
        // a missing leaf points at its parent
        assert_eq!(field_pos(n, "spec.serviceName"), Some(Pos { line: 5, col: 1 }));
    }
}
