//! Editor diagnostics: where in the YAML buffer a problem is.
//!
//! [`lint`] runs the engine's own parser and strict decoder over the buffer
//! (the same code `kubectl apply` reaches), so syntax errors, missing or
//! unknown kinds and type errors land on the line and column the engine
//! reports, and unknown fields (which the API server rejects under strict
//! field validation) are marked as warnings while typing.
//! [`after_apply`] places the server's errors of a failed `kubectl apply`
//! too, from the refusals the command reports as data (never from its
//! printed text): `The StatefulSet "web" is invalid: spec.replicas: ...`
//! goes on the `replicas:` key of the document the apply read it from.

use crate::engine::api::Object;
use crate::engine::store::Store;
use crate::engine::yaml::{self, Doc, Node, Pos, Val};
use crate::kubectl::session::{CmdOutput, Why};

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

/// Custom resources are known by the CRDs the cluster stores.
pub fn lint(text: &str, store: &Store) -> Vec<Diag> {
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
        lint_doc(d, store, &mut out);
    }
    out
}

fn lint_doc(d: &Doc, store: &Store, out: &mut Vec<Diag>) {
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
                lint_doc(&Doc { node: item.clone(), first_line: item.pos.line, index: d.index }, store, out);
            }
        }
        return;
    }
    let Some(k) = crate::engine::apiserver::crd::kind_of(store, api_version, kind) else {
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

/// Diagnostics after `kubectl apply -f -` of `text` failed with `out`: the
/// buffer's own problems as errors (unknown fields included, when the
/// server refused them), and the server's field errors placed on their
/// fields, from the documents the apply reports it refused.
pub fn after_apply(text: &str, store: &Store, out: &CmdOutput) -> Vec<Diag> {
    let strict = out.rejected.iter().any(|r| matches!(r.why, Why::UnknownFields(_)));
    let mut diags: Vec<Diag> = lint(text, store)
        .into_iter()
        .map(|mut d| {
            if strict && d.severity == Severity::Warning {
                d.severity = Severity::Error;
            }
            d
        })
        .collect();
    let Ok(docs) = yaml::parse_stream(text) else { return diags };
    for r in out.rejected.iter().filter(|r| r.source == "STDIN") {
        let Why::Invalid(causes) = &r.why else { continue };
        let Some(doc) = docs.get(r.doc) else { continue };
        let node = match (r.item, doc.node.get("items").map(|i| &i.v)) {
            (Some(i), Some(Val::Seq(items))) => items.get(i),
            (None, _) => Some(&doc.node),
            _ => None,
        };
        let Some(node) = node else { continue };
        let at = if r.item.is_some() { node.pos } else { doc_pos(doc) };
        for c in causes {
            let d = diag(field_pos(node, &c.field).unwrap_or(at), Severity::Error, c.to_string());
            if !diags.contains(&d) {
                diags.push(d);
            }
        }
    }
    // Errors that name no field still deserve a marker: put them on the
    // first document so the editor shows that the apply failed.
    if diags.is_empty() && !out.output.trim().is_empty() {
        let pos = docs.first().map(doc_pos).unwrap_or(Pos { line: 1, col: 1 });
        diags.push(diag(pos, Severity::Error, out.output.trim().to_string()));
    }
    diags
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
        let d = lint(&big, &Store::new());
        assert_eq!(d.len(), 1);
        assert!(d[0].message.contains("checked when you apply"), "{}", d[0].message);
    }

    #[test]
    fn a_clean_manifest_has_no_diagnostics() {
        assert_eq!(lint(STS, &Store::new()), vec![]);
        assert_eq!(lint(&format!("{STS}---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  clusterIP: None\n"), &Store::new()), vec![]);
    }

    #[test]
    fn syntax_errors_land_where_the_parser_stopped() {
        let d = lint("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n data: 1\n", &Store::new());
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].severity, Severity::Error);
        assert_eq!(d[0].line, 5, "{d:?}");
        assert!(d[0].message.starts_with("yaml: line "), "{}", d[0].message);
    }

    #[test]
    fn unknown_fields_are_warnings_at_the_key() {
        let text = STS.replace("  replicas: 3", "  replica: 3").replace("        image: nginx:1.25", "        imagee: nginx:1.25");
        let d = lint(&text, &Store::new());
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
        let d = lint(&text, &Store::new());
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].line, 20);
        assert!(d[0].message.contains("no matches for kind \"Widget\""));
        let d = lint(&STS.replace("replicas: 3", "replicas: three"), &Store::new());
        assert_eq!(d.len(), 1);
        assert_eq!((d[0].line, d[0].severity), (6, Severity::Error));
        assert!(d[0].message.contains("cannot unmarshal string"), "{}", d[0].message);
        let d = lint("metadata:\n  name: x\n", &Store::new());
        assert_eq!(d[0].message, "error validating data: apiVersion not set, kind not set");
    }

    /// The server's validation errors, as the Session reports them, are put
    /// on their fields; the apply changed nothing.
    #[test]
    fn server_errors_after_a_failed_apply() {
        let mut s = Session::new(1);
        let text = format!("{}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n", STS.replace("replicas: 3", "replicas: -1"));
        let out = s.run("kubectl apply -f -", &text);
        assert_ne!(out.exit_code, 0);
        let d = after_apply(&text, &Store::new(), &out);
        assert_eq!(
            d,
            vec![Diag { line: 6, col: 3, severity: Severity::Error, message: "spec.replicas: Invalid value: -1: must be greater than or equal to 0".into() }],
            "{}",
            out.output
        );
        assert_eq!(s.run("kubectl get cm ok", "").exit_code, 1, "a failed apply changes nothing");

        // strict decoding: the unknown field becomes an error
        let text = STS.replace("  replicas: 3", "  replica: 3");
        let out = s.run("kubectl apply -f -", &text);
        assert_eq!(out.rejected.len(), 1);
        assert_eq!(out.rejected[0].why, Why::UnknownFields(vec!["spec.replica".into()]));
        let d = after_apply(&text, &Store::new(), &out);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!((d[0].line, d[0].col, d[0].severity), (6, 3, Severity::Error));
        // an apply that failed for another reason leaves them warnings
        let text = format!("{text}---\napiVersion: v1\nkind: Widget\nmetadata:\n  name: w\n");
        let out = s.run("kubectl apply -f -", &text);
        assert!(out.rejected.is_empty(), "{:?}", out.rejected);
        assert!(after_apply(&text, &Store::new(), &out).iter().any(|d| d.line == 6 && d.severity == Severity::Warning));
    }

    /// Each refused document's errors land in that document, by its place
    /// in the stream (not by its name: here two documents share one), the
    /// several causes of one Invalid each on its own field, and a List's
    /// items on the item.
    #[test]
    fn several_field_errors_land_in_their_documents() {
        let mut s = Session::new(1);
        let bad = STS.replace("  selector:\n    matchLabels:\n      app: web\n", "").replace("        image: nginx:1.25\n", "");
        let text = format!("{STS}---\n{bad}");
        let out = s.run("kubectl apply -f -", &text);
        assert_ne!(out.exit_code, 0);
        assert_eq!(out.rejected.len(), 1, "{:?}", out.rejected);
        assert_eq!((out.rejected[0].doc, out.rejected[0].item), (1, None));
        let d = after_apply(&text, &Store::new(), &out);
        let at = |path: &str| d.iter().filter(|d| d.message.starts_with(path)).map(|d| (d.line, d.col)).collect::<Vec<_>>();
        // the second document starts at line 19: `spec:` is on its 5th line,
        // the container (no image: its `- name:` item) on its 13th
        assert_eq!(at("spec.selector: Required value"), vec![(23, 1)], "{d:?}\n{}", out.output);
        assert_eq!(at("spec.template.spec.containers[0].image: Required value"), vec![(31, 9)], "{d:?}");
        assert!(d.iter().all(|d| d.line > 18 && d.severity == Severity::Error), "{d:?}");

        let list = format!(
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: {}\n",
            "x".repeat(300)
        );
        let out = s.run("kubectl apply -f -", &list);
        assert_eq!((out.rejected.len(), out.rejected[0].doc, out.rejected[0].item), (1, 0, Some(1)), "{}", out.output);
        let d = after_apply(&list, &Store::new(), &out);
        assert_eq!(d.iter().map(|d| (d.line, d.col)).collect::<Vec<_>>(), vec![(11, 5)], "{d:?}");
        assert!(d[0].message.starts_with("metadata.name: Invalid value: "), "{d:?}");
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
