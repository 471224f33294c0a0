//! Finding the objects a command works on, as cli-runtime's resource
//! Builder does: `TYPE`, `TYPE NAME...`, `TYPE/NAME...`, `TYPE1,TYPE2`,
//! `-l`, `--field-selector`, `--all`, `-A`, and `-f FILE` manifests.

use super::Ctx;
use super::selector::{parse_field_selector, parse_label_selector};
use crate::engine::api::*;
use crate::engine::apiserver::{ApiError, Reason};
use crate::engine::store::Store;
use crate::engine::yaml;
use crate::kubectl::errors::CmdError;
use serde_json::Value;
use std::rc::Rc;

/// `kubectl get all`: the kinds in discovery's "all" category, in the order
/// kubectl expands it (the core group first, then by group; by resource
/// within a group).
fn all_category(store: &Store) -> Vec<Kind> {
    let custom = crate::engine::apiserver::crd::kinds(store).into_iter().map(|(k, _)| k);
    let mut kinds: Vec<Kind> = Kind::ALL.iter().copied().chain(custom).filter(|k| k.info().categories.contains(&"all")).collect();
    crate::engine::sort::sort_by_key(&mut kinds, |k| (!k.info().group.is_empty(), k.info().group, k.info().plural));
    kinds
}

/// Maps a resource name as typed (`po`, `statefulsets.apps`, `Pod`) to a kind.
/// Custom resources' names come from the CRDs the cluster stores.
pub fn resolve_type(store: &Store, name: &str) -> Result<Kind, CmdError> {
    crate::engine::apiserver::crd::kind_named(store, name).ok_or_else(|| CmdError::msg(format!("the server doesn't have a resource type {name:?}")))
}

/// The RESTMapper's ResourceFor (`auth can-i`, `create role`): any resource
/// discovery lists, the ones served without create and list included.
pub fn resource_info(store: &Store, name: &str) -> Option<&'static crate::engine::api::KindInfo> {
    crate::engine::apiserver::crd::kind_named(store, name).map(Kind::info).or_else(|| crate::engine::api::unlisted(name))
}

/// `pods,svc` / `all` -> kinds, in order, without repeats.
pub fn resolve_types(store: &Store, spec: &str) -> Result<Vec<Kind>, CmdError> {
    let mut out: Vec<Kind> = vec![];
    for part in spec.split(',') {
        let kinds = if part.eq_ignore_ascii_case("all") { all_category(store) } else { vec![resolve_type(store, part)?] };
        for k in kinds {
            if !out.contains(&k) {
                out.push(k);
            }
        }
    }
    Ok(out)
}

/// `statefulset.apps/web`: how kubectl names an object in its messages.
pub fn obj_name(kind: Kind, name: &str) -> String {
    format!("{}/{}", kind.info().qualified_singular(), name)
}

/// The GroupVersionResource string error messages use (`apps/v1, Resource=statefulsets`).
pub fn gvr_string(kind: Kind) -> String {
    let i = kind.info();
    format!("{}/{}, Resource={}", i.group, i.version, i.plural)
}

/// One document of a manifest.
#[derive(Clone, Debug)]
pub struct Manifest {
    pub kind: Kind,
    /// The document as JSON (nulls kept, as read).
    pub value: Value,
    pub source: String,
    pub name: String,
    /// The namespace the object goes to (from the document, else the
    /// command's), empty for cluster-scoped kinds.
    pub namespace: String,
    /// Where in `source` it is: the document's index, and the item's for
    /// the items of a `List` document.
    pub doc: usize,
    pub item: Option<usize>,
}

/// Reads `-f` arguments (`-` is standard input) into manifests, with
/// kubectl's errors for unreadable files, bad YAML, missing kinds and
/// unknown kinds. The namespace rules of FilenameParam apply.
pub fn read_manifests(ctx: &Ctx, filenames: &[String]) -> Result<Vec<Manifest>, CmdError> {
    let mut out = vec![];
    let mut errs = vec![];
    for f in filenames {
        let (text, source) = if f == "-" { (ctx.stdin.to_string(), "STDIN".to_string()) } else { (ctx.read_file(f).map_err(CmdError::Msg)?, f.clone()) };
        let docs = yaml::parse_stream(&text).map_err(|e| CmdError::msg(format!("error parsing {source}: error converting YAML to JSON: {}", e.go_text())))?;
        let mut values = vec![];
        for (doc, d) in docs.into_iter().enumerate() {
            if let Some(bad) = d.node.unsupported_value() {
                return Err(CmdError::msg(format!("error parsing {source}: error converting YAML to JSON: json: unsupported value: {bad}")));
            }
            let v = d.node.to_json();
            // a List is flattened into its items
            match v.get("items").and_then(|i| i.as_array()) {
                Some(items) if v.get("kind").and_then(|k| k.as_str()) == Some("List") => {
                    values.extend(items.iter().enumerate().map(|(i, item)| (item.clone(), doc, Some(i))));
                }
                _ => values.push((v, doc, None)),
            }
        }
        for (v, doc, item) in values {
            match manifest_from_value(ctx, v, &source) {
                Ok(m) => out.push(Manifest { doc, item, ..m }),
                Err(e @ CmdError::Msg(_)) if is_validation_error(&e) => return Err(e),
                Err(e) => errs.push(e),
            }
        }
    }
    if !errs.is_empty() {
        return Err(CmdError::Many(errs));
    }
    Ok(out)
}

fn is_validation_error(e: &CmdError) -> bool {
    matches!(e, CmdError::Msg(m) if m.starts_with("error validating"))
}

fn manifest_from_value(ctx: &Ctx, v: Value, source: &str) -> Result<Manifest, CmdError> {
    let Value::Object(m) = &v else {
        return Err(CmdError::msg(format!(
            "error validating {source:?}: error validating data: invalid object to validate; if you choose to ignore these errors, turn validation off with --validate=false"
        )));
    };
    let mut problems = vec![];
    match m.get("apiVersion") {
        None | Some(Value::Null) => problems.push("apiVersion not set".to_string()),
        Some(Value::String(_)) => {}
        Some(_) => problems.push("apiVersion isn't string type".to_string()),
    }
    match m.get("kind") {
        None | Some(Value::Null) => problems.push("kind not set".to_string()),
        Some(Value::String(_)) => {}
        Some(_) => problems.push("kind isn't string type".to_string()),
    }
    if !problems.is_empty() {
        let list = if problems.len() == 1 { problems[0].clone() } else { format!("[{}]", problems.join(", ")) };
        return Err(CmdError::msg(format!(
            "error validating {source:?}: error validating data: {list}; if you choose to ignore these errors, turn validation off with --validate=false"
        )));
    }
    let api_version = m["apiVersion"].as_str().unwrap_or_default();
    let kind_name = m["kind"].as_str().unwrap_or_default();
    let meta = m.get("metadata");
    let name = meta.and_then(|x| x.get("name")).and_then(|x| x.as_str()).unwrap_or("").to_string();
    let doc_ns = meta.and_then(|x| x.get("namespace")).and_then(|x| x.as_str()).unwrap_or("").to_string();
    let Some(kind) = crate::engine::apiserver::crd::kind_of(&ctx.api().store, api_version, kind_name) else {
        return Err(CmdError::msg(format!(
            "resource mapping not found for name: {name:?} namespace: {doc_ns:?} from {source:?}: no matches for kind {kind_name:?} in version {api_version:?}\nensure CRDs are installed first"
        )));
    };
    let namespace = if !kind.namespaced() {
        String::new()
    } else if doc_ns.is_empty() {
        ctx.ns.clone()
    } else {
        if ctx.ns_explicit && doc_ns != ctx.ns {
            return Err(CmdError::msg(format!(
                "the namespace from the provided object {doc_ns:?} does not match the namespace {:?}. You must pass '--namespace={doc_ns}' to perform this operation.",
                ctx.ns
            )));
        }
        doc_ns
    };
    Ok(Manifest { kind, value: v, source: source.to_string(), name, namespace, doc: 0, item: None })
}

/// What a command's arguments select.
#[derive(Clone, Debug, Default)]
pub struct BuildOpts {
    pub args: Vec<String>,
    pub selector: Option<String>,
    pub field_selector: Option<String>,
    pub all: bool,
    pub all_namespaces: bool,
    pub filenames: Vec<String>,
    /// `kubectl get pods`: a bare type lists everything (delete needs --all).
    pub allow_empty_selector: bool,
}

impl BuildOpts {
    /// The common flags: -l, --field-selector, --all, -A, -f.
    pub fn from_ctx(ctx: &Ctx) -> BuildOpts {
        BuildOpts {
            args: ctx.f.args.clone(),
            selector: ctx.f.str("selector").map(|s| s.to_string()),
            field_selector: ctx.f.str("field-selector").map(|s| s.to_string()),
            all: ctx.f.bool("all"),
            all_namespaces: ctx.f.bool("all-namespaces"),
            filenames: ctx.f.all("filename"),
            allow_empty_selector: false,
        }
    }
}

/// One selected object.
#[derive(Clone, Debug)]
pub struct Item {
    pub kind: Kind,
    pub namespace: String,
    pub name: String,
    /// The live object (None when it was not found and errors are collected).
    pub obj: Rc<Object>,
    pub source: String,
}

impl Item {
    pub fn obj_name(&self) -> String {
        obj_name(self.kind, &self.name)
    }
}

/// The result of a selection: objects found, per-object errors (NotFound),
/// and whether a single item was implied (`TYPE NAME` with one name).
#[derive(Clone, Debug, Default)]
pub struct Selection {
    pub items: Vec<Item>,
    pub errors: Vec<CmdError>,
    pub single_item_implied: bool,
    /// What was looked up, in order (kind, namespace, name) — for commands
    /// that act on names whether or not they exist (wait --for=delete).
    pub targets: Vec<(Kind, String, String)>,
    /// The kinds asked for, in order (server-side printing makes one table
    /// per kind, even an empty one).
    pub kinds: Vec<Kind>,
}

enum Plan {
    Tuples(Vec<(String, String)>),
    Names(Vec<Kind>, Vec<String>),
    Types(Vec<Kind>),
}

fn plan(store: &Store, args: &[String]) -> Result<Plan, CmdError> {
    let slashes = args.iter().filter(|a| a.contains('/')).count();
    let mut args: Vec<String> = args.to_vec();
    // normalizeMultipleResourcesArgs: `a,b x y` -> a/x a/y b/x b/y
    if args.len() >= 2 && slashes == 0 {
        let types: Vec<&str> = args[0].split(',').filter(|s| !s.is_empty()).collect();
        if types.len() > 1 {
            let mut v = vec![];
            for t in &types {
                for n in &args[1..] {
                    v.push(format!("{t}/{n}"));
                }
            }
            args = v;
        }
    }
    let slashes = args.iter().filter(|a| a.contains('/')).count();
    if slashes > 0 {
        if slashes != args.len() {
            return Err(CmdError::msg(
                "there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' instead of 'kubectl get resource resource/<resource_name>'",
            ));
        }
        let mut tuples = vec![];
        for a in &args {
            let seg: Vec<&str> = a.split('/').collect();
            if seg.len() != 2 {
                return Err(CmdError::msg("arguments in resource/name form may not have more than one slash"));
            }
            if seg[0].is_empty() || seg[1].is_empty() || seg[0].split(',').count() != 1 {
                return Err(CmdError::msg("arguments in resource/name form must have a single resource and name"));
            }
            tuples.push((seg[0].to_string(), seg[1].to_string()));
        }
        return Ok(Plan::Tuples(tuples));
    }
    match args.len() {
        0 => Ok(Plan::Types(vec![])),
        1 => Ok(Plan::Types(resolve_types(store, &args[0])?)),
        _ => Ok(Plan::Names(resolve_types(store, &args[0])?, args[1..].to_vec())),
    }
}

/// The missing-resource error of the builder.
pub const MISSING_RESOURCE: &str = "You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'";

/// Selects objects. Errors that stop the whole command are returned as
/// `Err`; per-object NotFound errors are collected in `Selection::errors`.
/// The warnings the API server attaches to requests for these kinds
/// (kubectl prints each once): v1 Endpoints is deprecated since 1.33.
pub fn server_warnings(kinds: &[Kind]) -> Vec<&'static str> {
    let mut out = vec![];
    if kinds.contains(&Kind::Endpoints) {
        out.push("v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice");
    }
    out
}

pub fn select(ctx: &Ctx, o: &BuildOpts) -> Result<Selection, CmdError> {
    let api = ctx.api();
    let mut sel = Selection::default();
    if !o.filenames.is_empty() {
        if !o.args.is_empty() {
            let has_slash = o.args.iter().any(|a| a.contains('/'));
            return Err(CmdError::msg(if has_slash {
                "resource/name arguments cannot be provided when a path is specified"
            } else {
                "when paths, URLs, or stdin is provided as input, you may not specify resource arguments as well"
            }));
        }
        let manifests = read_manifests(ctx, &o.filenames)?;
        sel.single_item_implied = o.filenames.len() == 1 && o.filenames[0] != "-" && manifests.len() == 1;
        let label = match &o.selector {
            Some(s) => Some(parse_label_selector(s).map_err(|e| CmdError::msg(format!("the provided selector {s:?} is not valid: {e}")))?),
            None => None,
        };
        for m in manifests {
            if !sel.kinds.contains(&m.kind) {
                sel.kinds.push(m.kind);
            }
            sel.targets.push((m.kind, m.namespace.clone(), m.name.clone()));
            match api.get(m.kind, &m.namespace, &m.name) {
                Ok(obj) => {
                    if label.as_ref().is_some_and(|l| !l.matches(&obj.meta().labels)) {
                        continue;
                    }
                    sel.items.push(Item { kind: m.kind, namespace: m.namespace.clone(), name: m.name.clone(), obj, source: m.source.clone() })
                }
                Err(e) => sel.errors.push(CmdError::Api(e)),
            }
        }
        return Ok(sel);
    }
    let p = plan(&api.store, &o.args)?;
    let selecting = o.selector.is_some() || o.field_selector.is_some() || o.all;
    match p {
        Plan::Tuples(tuples) => {
            if selecting {
                return Err(CmdError::msg("selectors and the all flag cannot be used when passing resource/name arguments"));
            }
            sel.single_item_implied = tuples.len() == 1;
            let mut kinds = vec![];
            for (t, _) in &tuples {
                kinds.push(resolve_type(&api.store, t)?);
            }
            for k in &kinds {
                if !sel.kinds.contains(k) {
                    sel.kinds.push(*k);
                }
            }
            for ((_, name), kind) in tuples.iter().zip(kinds) {
                fetch_one(ctx, o, kind, name, &mut sel)?;
            }
        }
        Plan::Names(kinds, names) => {
            if selecting && (o.selector.is_some() || o.field_selector.is_some()) {
                return Err(CmdError::msg("name cannot be provided when a selector is specified"));
            }
            if kinds.len() > 1 {
                return Err(CmdError::msg("you must specify only one resource"));
            }
            sel.single_item_implied = names.len() == 1;
            sel.kinds = kinds.clone();
            for n in &names {
                fetch_one(ctx, o, kinds[0], n, &mut sel)?;
            }
        }
        Plan::Types(kinds) => {
            if kinds.is_empty() {
                return Err(CmdError::msg(MISSING_RESOURCE));
            }
            if !selecting && !o.allow_empty_selector {
                return Err(CmdError::msg("resource(s) were provided, but no name was specified"));
            }
            sel.kinds = kinds.clone();
            let label = match &o.selector {
                Some(s) => parse_label_selector(s).map_err(|e| {
                    CmdError::Api(ApiError::new(
                        Reason::BadRequest,
                        format!(
                            "Unable to find {:?} that match label selector {s:?}, field selector {:?}: {e}",
                            gvr_string(kinds[0]),
                            o.field_selector.clone().unwrap_or_default()
                        ),
                    ))
                })?,
                None => Default::default(),
            };
            let fields = match &o.field_selector {
                Some(s) => parse_field_selector(s).map_err(|e| {
                    CmdError::Api(ApiError::new(
                        Reason::BadRequest,
                        format!(
                            "Unable to find {:?} that match label selector {:?}, field selector {s:?}: {e}",
                            gvr_string(kinds[0]),
                            o.selector.clone().unwrap_or_default()
                        ),
                    ))
                })?,
                None => Default::default(),
            };
            for kind in kinds {
                if let Some(sample) = api.store.list(kind).next().map(|o| (**o).clone()).or_else(|| sample_object(kind))
                    && let Err(e) = fields.check(&sample)
                {
                    return Err(CmdError::Api(ApiError::new(
                        Reason::BadRequest,
                        format!(
                            "Unable to find {:?} that match label selector {:?}, field selector {:?}: {e}",
                            gvr_string(kind),
                            o.selector.clone().unwrap_or_default(),
                            o.field_selector.clone().unwrap_or_default()
                        ),
                    )));
                }
                let list: Vec<Rc<Object>> = if !kind.namespaced() || o.all_namespaces {
                    api.store.list(kind).cloned().collect()
                } else {
                    api.store.list_ns(kind, &ctx.ns).cloned().collect()
                };
                for obj in list {
                    if !label.matches(&obj.meta().labels) || !fields.matches(&obj) {
                        continue;
                    }
                    let m = obj.meta();
                    sel.items.push(Item { kind, namespace: m.namespace.clone(), name: m.name.clone(), obj: obj.clone(), source: String::new() });
                }
            }
        }
    }
    Ok(sel)
}

/// An empty object of a kind (to check field selectors when none exists).
fn sample_object(kind: Kind) -> Option<Object> {
    let v = serde_json::json!({});
    Object::from_value(kind, &v).ok().map(|(o, _)| o)
}

fn fetch_one(ctx: &Ctx, o: &BuildOpts, kind: Kind, name: &str, sel: &mut Selection) -> Result<(), CmdError> {
    if kind.namespaced() && o.all_namespaces {
        return Err(CmdError::msg("a resource cannot be retrieved by name across all namespaces"));
    }
    let ns = if kind.namespaced() { ctx.ns.clone() } else { String::new() };
    sel.targets.push((kind, ns.clone(), name.to_string()));
    match ctx.api().get(kind, &ns, name) {
        Ok(obj) => sel.items.push(Item { kind, namespace: ns, name: name.to_string(), obj, source: String::new() }),
        Err(e) => sel.errors.push(CmdError::Api(e)),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gvr_strings() {
        assert_eq!(gvr_string(Kind::Pod), "/v1, Resource=pods");
        assert_eq!(gvr_string(Kind::StatefulSet), "apps/v1, Resource=statefulsets");
    }

    #[test]
    fn types() {
        assert_eq!(resolve_types(&Store::new(), "po,svc").unwrap(), [Kind::Pod, Kind::Service]);
        assert_eq!(
            resolve_types(&Store::new(), "all").unwrap(),
            [
                Kind::Pod,
                Kind::ReplicationController,
                Kind::Service,
                Kind::DaemonSet,
                Kind::Deployment,
                Kind::ReplicaSet,
                Kind::StatefulSet,
                Kind::HorizontalPodAutoscaler,
                Kind::CronJob,
                Kind::Job
            ]
        );
        assert_eq!(
            crate::kubectl::errors::render(&resolve_types(&Store::new(), "widgets").unwrap_err()).0,
            "error: the server doesn't have a resource type \"widgets\"\n"
        );
    }
}
