//! `kubectl apply` (client-side apply: the last-applied-configuration
//! annotation and the three-way strategic merge patch) and `kubectl create`
//! (from files, and the `create namespace|deployment|configmap|secret`
//! generators). See pkg/cmd/apply/apply.go and pkg/cmd/create.

use super::merge::{apply_strategic, go_json, go_sprint, three_way_patch};
use super::resources::{Manifest, gvr_string, read_manifests};
use super::{Command, Ctx};
use crate::engine::api::*;
use crate::engine::apiserver::{Api, ApiError, FieldError, Reason, Written};
use crate::kubectl::args::{Flag, FlagKind, boolf, flag, strf};
use crate::kubectl::errors::{CmdError, with_source};
use crate::kubectl::session::{Rejected, Why};
use serde_json::{Map, Value};

pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

fn common_write_flags() -> Vec<Flag> {
    const {
        &[
            flag("filename", Some('f'), FlagKind::StrSlice),
            boolf("recursive").with_short('R'),
            flag("output", Some('o'), FlagKind::Str),
            strf("dry-run").with_no_opt("unchanged"),
            strf("validate").with_no_opt("strict"),
            strf("field-manager"),
            flag("selector", Some('l'), FlagKind::Str),
            flag("kustomize", Some('k'), FlagKind::Str),
            boolf("record"),
            boolf("show-managed-fields"),
        ]
    }
    .to_vec()
}

pub fn apply_flags() -> Vec<Flag> {
    let mut v = common_write_flags();
    v.extend_from_slice(
        const {
            &[
                boolf("server-side"),
                boolf("force-conflicts"),
                boolf("force"),
                boolf("prune"),
                boolf("overwrite"),
                boolf("all"),
                boolf("wait"),
                flag("timeout", None, FlagKind::Duration),
                strf("cascade").with_no_opt("background"),
                flag("grace-period", None, FlagKind::Int),
            ]
        },
    );
    v
}

pub fn create_flags() -> Vec<Flag> {
    let mut v = common_write_flags();
    v.extend_from_slice(const { &[boolf("save-config"), boolf("edit"), strf("raw"), boolf("windows-line-endings")] });
    v
}

/// `--dry-run`: "" (none), "client" or "server".
fn dry_run(ctx: &Ctx) -> Result<&'static str, CmdError> {
    match ctx.f.str("dry-run") {
        None | Some("none") => Ok(""),
        Some("client") | Some("unchanged") => Ok("client"),
        Some("server") => Ok("server"),
        Some(other) => Err(CmdError::msg(format!("Invalid dry-run value ({other}). Must be \"none\", \"server\", or \"client\"."))),
    }
}

fn op_suffix(op: &str, dry: &str) -> String {
    match dry {
        "client" => format!("{op} (dry run)"),
        "server" => format!("{op} (server dry run)"),
        _ => op.to_string(),
    }
}

/// The name printer: `statefulset.apps/web created` (`-o name`: no operation).
pub fn print_name(ctx: &mut Ctx, kind: Kind, name: &str, op: &str) {
    let i = kind.info();
    let k = i.kind.to_ascii_lowercase();
    let prefix = if i.group.is_empty() { k } else { format!("{k}.{}", i.group) };
    if ctx.f.str("output") == Some("name") {
        ctx.println(&format!("{prefix}/{name}"));
    } else {
        ctx.println(&format!("{prefix}/{name} {op}"));
    }
}

/// Prints a written object: `-o yaml|json` print the object itself (a
/// printer per object, as apply and create make them), otherwise the name
/// printer's line.
fn print_written(ctx: &mut Ctx, kind: Kind, name: &str, op: &str, obj: Option<&Object>) -> Result<(), CmdError> {
    let format = match ctx.f.str("output") {
        Some("yaml") => crate::kubectl::OutputFormat::Yaml,
        Some("json") => crate::kubectl::OutputFormat::Json,
        _ => {
            print_name(ctx, kind, name, op);
            return Ok(());
        }
    };
    let Some(obj) = obj else {
        print_name(ctx, kind, name, op);
        return Ok(());
    };
    let opts = crate::kubectl::PrintOptions { format, now: ctx.api().now, single_item: true, ..Default::default() };
    let text = super::out::print_objects(ctx.api(), &[std::rc::Rc::new(obj.clone())], &opts).map_err(CmdError::Msg)?;
    ctx.print(&text);
    Ok(())
}

fn check_output(ctx: &Ctx) -> Result<(), CmdError> {
    match ctx.f.str("output") {
        None | Some("") | Some("name") | Some("yaml") | Some("json") => Ok(()),
        Some(o) => Err(CmdError::msg(format!("unable to match a printer suitable for the output format {o:?}, allowed formats are: json,name,yaml"))),
    }
}

fn filenames(ctx: &Ctx) -> Result<Vec<String>, CmdError> {
    if ctx.f.changed("kustomize") {
        return Err(CmdError::msg("kustomize directories are not supported by Kubarium; use -f"));
    }
    let f = ctx.f.all("filename");
    if f.is_empty() {
        return Err(CmdError::msg("must specify one of -f and -k"));
    }
    Ok(f)
}

/// The error a strict decode of a request body gives (the create path):
/// `StatefulSet in version "v1" cannot be handled as a StatefulSet: ...`.
pub fn decode_strict(kind: Kind, v: &Value) -> Result<Object, ApiError> {
    decode_strict_fields(kind, v, &mut vec![])
}

/// [`decode_strict`], noting the unknown fields' paths it refused in `refused`.
fn decode_strict_fields(kind: Kind, v: &Value, refused: &mut Vec<String>) -> Result<Object, ApiError> {
    schema_ready(kind)?;
    let i = kind.info();
    let detail = match Object::from_value(kind, v) {
        Err(e) => e.message,
        Ok((o, unknown)) if unknown.is_empty() => return Ok(o),
        Ok((_, unknown)) => strict_error(unknown, refused),
    };
    Err(ApiError::new(Reason::BadRequest, format!("{} in version {:?} cannot be handled as a {}: {detail}", i.kind, i.version, i.kind)))
}

/// A kind stored as a generic object is checked against the schema table,
/// which the page downloads after its first frame: until it is there,
/// writing one is refused rather than accepted unchecked.
pub fn schema_ready(kind: Kind) -> Result<(), ApiError> {
    if crate::engine::api::Generic::checkable(kind) {
        return Ok(());
    }
    Err(ApiError::new(
        Reason::ServiceUnavailable,
        format!("the API schema for {} is still downloading (explain_data.json); try again in a moment", kind.info().qualified_plural()),
    ))
}

/// `strict decoding error: unknown field "a", unknown field "b"`; the paths go to `refused`.
fn strict_error(unknown: Vec<crate::engine::decode::UnknownField>, refused: &mut Vec<String>) -> String {
    let list = unknown.iter().map(|u| format!("unknown field {:?}", u.path)).collect::<Vec<_>>().join(", ");
    refused.extend(unknown.into_iter().map(|u| u.path));
    format!("strict decoding error: {list}")
}

/// The error the server gives when a patched object does not decode
/// (handlers/patch.go applyPatchToObject): an Invalid with no kind. The
/// unknown fields' paths go to `refused`.
fn patch_decode_error(kind: Kind, patched: &Value, patch: &Value, refused: &mut Vec<String>) -> Result<Object, ApiError> {
    schema_ready(kind)?;
    match Object::from_value(kind, patched) {
        Ok((o, unknown)) if unknown.is_empty() => Ok(o),
        Ok((_, unknown)) => Err(patch_invalid(patch, &strict_error(unknown, refused))),
        Err(e) => Err(patch_invalid(patch, &e.message)),
    }
}

fn patch_invalid(patch: &Value, detail: &str) -> ApiError {
    let cause = FieldError::invalid("patch", format!("{:?}", go_sprint(patch)), detail);
    ApiError { reason: Reason::Invalid, message: format!(" \"\" is invalid: {cause}"), kind: String::new(), name: String::new(), causes: vec![cause] }
}

fn remove_nulls(v: &mut Value) {
    if let Value::Object(m) = v {
        m.retain(|_, x| !x.is_null());
        for x in m.values_mut() {
            remove_nulls(x);
        }
    }
}

/// The manifest as kubectl holds it after the builder: the namespace
/// filled in for namespaced kinds.
fn manifest_object(m: &Manifest) -> Value {
    let mut v = m.value.clone();
    if m.kind.namespaced()
        && let Some(obj) = v.as_object_mut()
    {
        let meta = obj.entry("metadata").or_insert_with(|| Value::Object(Map::new()));
        if !meta.is_object() {
            *meta = Value::Object(Map::new());
        }
        if let Some(mm) = meta.as_object_mut() {
            mm.insert("namespace".into(), Value::String(m.namespace.clone()));
        }
    }
    v
}

fn annotations_mut(v: &mut Value) -> Option<&mut Map<String, Value>> {
    let obj = v.as_object_mut()?;
    let meta = obj.entry("metadata").or_insert_with(|| Value::Object(Map::new()));
    if !meta.is_object() {
        *meta = Value::Object(Map::new());
    }
    let ann = meta.as_object_mut()?.entry("annotations").or_insert_with(|| Value::Object(Map::new()));
    if !ann.is_object() {
        *ann = Value::Object(Map::new());
    }
    ann.as_object_mut()
}

/// util.GetModifiedConfiguration: the last-applied value (the object
/// without the annotation, with `annotations: {}` left behind) and the
/// modified object carrying it.
pub fn modified_configuration(obj: &Value) -> (String, Value) {
    let mut without = obj.clone();
    if let Some(a) = annotations_mut(&mut without) {
        a.remove(LAST_APPLIED);
    }
    let last = go_json(&without) + "\n";
    let mut modified = without;
    if let Some(a) = annotations_mut(&mut modified) {
        a.insert(LAST_APPLIED.into(), Value::String(last.clone()));
    }
    (last, modified)
}

/// What applying one manifest does.
enum Planned {
    Create(Object),
    Update { obj: Object, warn_missing_annotation: bool, patch: Value },
    Unchanged { warn_missing_annotation: bool },
}

/// What applying `m` would do, or kubectl's error (the unknown fields, if
/// strict decoding refused them, go to `refused`).
fn plan_apply(api: &Api, m: &Manifest, refused: &mut Vec<String>) -> Result<Planned, CmdError> {
    let src = m.source.as_str();
    let obj = manifest_object(m);
    if m.name.is_empty() {
        let generate = obj.get("metadata").and_then(|x| x.get("generateName")).and_then(|x| x.as_str()).unwrap_or("");
        if !generate.is_empty() {
            return Err(CmdError::msg(format!("from {generate}: cannot use generate name with apply")));
        }
        let i = m.kind.info();
        return Err(CmdError::msg(format!(
            "error when retrieving current configuration of:\nResource: {:?}, GroupVersionKind: \"{}, Kind={}\"\nName: \"\", Namespace: {:?}\nfrom server for: {src:?}: resource name may not be empty",
            gvr_string(m.kind),
            i.api_version(),
            i.kind,
            m.namespace
        )));
    }
    let (_, modified) = modified_configuration(&obj);
    match api.get(m.kind, &m.namespace, &m.name) {
        Err(e) if e.is_not_found() => {
            let mut body = modified;
            remove_nulls(&mut body);
            let o = decode_strict_fields(m.kind, &body, refused).map_err(|e| with_source("creating", src, CmdError::Api(e)))?;
            Ok(Planned::Create(o))
        }
        Err(e) => Err(CmdError::Api(e)),
        Ok(live) => {
            let current = live.to_value();
            let annotation = live.meta().annotation(LAST_APPLIED).map(|s| s.to_string());
            let warn = annotation.is_none();
            let original: Option<Value> = annotation.and_then(|a| serde_json::from_str(&a).ok());
            let patch = three_way_patch(m.kind, original.as_ref(), &modified, &current);
            if patch.as_object().is_some_and(|p| p.is_empty()) {
                return Ok(Planned::Unchanged { warn_missing_annotation: warn });
            }
            let wrap = |e: ApiError| patch_error(m, &patch, e);
            let patched = apply_strategic(m.kind, &current, &patch).map_err(|e| wrap(ApiError::new(Reason::BadRequest, e)))?;
            let o = patch_decode_error(m.kind, &patched, &patch, refused).map_err(wrap)?;
            Ok(Planned::Update { obj: o, warn_missing_annotation: warn, patch })
        }
    }
}

/// `error when applying patch: ... for: "STDIN": error when patching "STDIN": ...`
fn patch_error(m: &Manifest, patch: &Value, e: ApiError) -> CmdError {
    let i = m.kind.info();
    let info = format!(
        "Resource: {:?}, GroupVersionKind: \"{}, Kind={}\"\nName: {:?}, Namespace: {:?}",
        gvr_string(m.kind),
        i.api_version(),
        i.kind,
        m.name,
        m.namespace
    );
    let inner = with_source("patching", &m.source, CmdError::Api(e));
    with_source(&format!("applying patch:\n{}\nto:\n{info}\nfor:", go_json(patch)), &m.source, inner)
}

fn write(api: &mut Api, p: &Planned) -> Result<Option<Written>, ApiError> {
    // The rehearsal meets the API server's request limit as the real write would.
    if let Planned::Create(o) | Planned::Update { obj: o, .. } = p {
        crate::engine::cluster::request_body_fits(&o.to_value())?;
    }
    match p {
        Planned::Create(o) => api.create(o.clone()).map(Some),
        Planned::Update { obj, .. } => api.update(obj.clone()).map(Some),
        Planned::Unchanged { .. } => Ok(None),
    }
}

pub fn run_apply(ctx: &mut Ctx) -> Result<(), CmdError> {
    if ctx.f.bool("server-side") {
        return Err(CmdError::msg("server-side apply is not simulated by Kubarium; use client-side apply (without --server-side)"));
    }
    check_output(ctx)?;
    let dry = dry_run(ctx)?;
    let files = filenames(ctx)?;
    let mut manifests = read_manifests(ctx, &files)?;
    if let Some(sel) = ctx.f.str("selector") {
        // -l: only the documents whose labels match are applied
        let sel = super::selector::parse_label_selector(sel).map_err(|e| CmdError::msg(format!("the provided selector {sel:?} is not valid: {e}")))?;
        manifests.retain(|m| {
            let labels: Labels = m.value.get("metadata").and_then(|x| x.get("labels")).and_then(crate::engine::decode::from_json).unwrap_or_default();
            sel.matches(&labels)
        });
    }
    if manifests.is_empty() {
        return Err(CmdError::msg("no objects passed to apply"));
    }
    // All or nothing: rehearse every write on a copy of the API server
    // first; if any fails, report the failures and write nothing.
    let mut rehearsal = ctx.api().clone();
    let mut errs = vec![];
    for m in &manifests {
        let mut unknown = vec![];
        match plan_apply(&rehearsal, m, &mut unknown) {
            Ok(p) => {
                if let Err(e) = write(&mut rehearsal, &p) {
                    errs.push(refused(ctx, m, write_error(m, &p, e), unknown));
                }
            }
            Err(e) => errs.push(refused(ctx, m, e, unknown)),
        }
    }
    if !errs.is_empty() {
        return Err(CmdError::Many(errs));
    }
    let mut errs = vec![];
    for m in &manifests {
        let mut unknown = vec![];
        let p = match plan_apply(ctx.api(), m, &mut unknown) {
            Ok(p) => p,
            Err(e) => {
                errs.push(refused(ctx, m, e, unknown));
                continue;
            }
        };
        let warn_missing = match &p {
            Planned::Update { warn_missing_annotation, .. } | Planned::Unchanged { warn_missing_annotation } => *warn_missing_annotation,
            _ => false,
        };
        if warn_missing {
            ctx.print(&format!(
                "Warning: resource {}/{} is missing the {LAST_APPLIED} annotation which is required by kubectl apply. kubectl apply should only be used on resources created declaratively by either kubectl create --save-config or kubectl apply. The missing annotation will be patched automatically.\n",
                m.kind.info().plural,
                m.name
            ));
        }
        let op = match &p {
            Planned::Create(_) => "created",
            Planned::Update { .. } => "configured",
            Planned::Unchanged { .. } => "unchanged",
        };
        let written = if dry.is_empty() {
            let r = match &p {
                Planned::Create(o) => ctx.cluster().create(o.clone()).map(Some),
                Planned::Update { obj, .. } => ctx.cluster().update(obj.clone()).map(Some),
                Planned::Unchanged { .. } => Ok(None),
            };
            match r {
                Ok(w) => w,
                Err(e) => {
                    errs.push(refused(ctx, m, write_error(m, &p, e), vec![]));
                    continue;
                }
            }
        } else {
            None
        };
        if let Some(w) = &written {
            for warning in &w.warnings {
                ctx.warning(warning);
            }
        }
        let deleting = match &written {
            Some(w) => w.object.meta().is_deleting(),
            None => ctx.api().get(m.kind, &m.namespace, &m.name).is_ok_and(|o| o.meta().is_deleting()),
        };
        if deleting && !matches!(p, Planned::Create(_)) {
            ctx.print(&format!("Warning: Detected changes to resource {} which is currently being deleted.\n", m.name));
        }
        let shown: Option<Object> = match (&written, &p) {
            (Some(w), _) => Some((*w.object).clone()),
            (None, Planned::Create(o)) | (None, Planned::Update { obj: o, .. }) => Some(o.clone()),
            (None, Planned::Unchanged { .. }) => ctx.api().get(m.kind, &m.namespace, &m.name).ok().map(|o| (*o).clone()),
        };
        print_written(ctx, m.kind, &m.name, &op_suffix(op, dry), shown.as_ref())?;
    }
    if errs.is_empty() { Ok(()) } else { Err(CmdError::Many(errs)) }
}

/// Notes what the error refusing `m` says about its fields (the unknown
/// fields strict decoding refused, the causes of an Invalid naming the
/// object) in the command's [`Rejected`] list; returns the error.
fn refused(ctx: &mut Ctx, m: &Manifest, e: CmdError, unknown: Vec<String>) -> CmdError {
    let why = match &e {
        _ if !unknown.is_empty() => Why::UnknownFields(unknown),
        CmdError::Api(a) if a.reason == Reason::Invalid && !a.kind.is_empty() => Why::Invalid(a.causes.clone()),
        _ => return e,
    };
    ctx.session.rejected.push(Rejected { source: m.source.clone(), doc: m.doc, item: m.item, why });
    e
}

fn write_error(m: &Manifest, p: &Planned, e: ApiError) -> CmdError {
    match p {
        Planned::Create(_) => with_source("creating", &m.source, CmdError::Api(e)),
        Planned::Update { patch, .. } => patch_error(m, patch, e),
        Planned::Unchanged { .. } => CmdError::Api(e),
    }
}

// ---------------------------------------------------------------- create

pub fn run_create(ctx: &mut Ctx) -> Result<(), CmdError> {
    if let Some(a) = ctx.f.args.first() {
        return Err(CmdError::msg(format!("unknown command {a:?} for \"kubectl create\"")));
    }
    check_output(ctx)?;
    let dry = dry_run(ctx)?;
    let files = ctx.f.all("filename");
    if files.is_empty() {
        return Err(CmdError::msg("must specify one of -f and -k"));
    }
    let save_config = ctx.f.bool("save-config");
    let mut errs = vec![];
    let mut count = 0;
    for file in &files {
        let manifests = match read_manifests(ctx, std::slice::from_ref(file)) {
            Ok(m) => m,
            Err(e) => {
                errs.push(e);
                continue;
            }
        };
        // Within one stream, kubectl stops at the first failure.
        for m in manifests {
            let mut body = manifest_object(&m);
            if save_config {
                let (last, _) = modified_configuration(&body);
                if let Some(a) = annotations_mut(&mut body) {
                    a.insert(LAST_APPLIED.into(), Value::String(last));
                }
            }
            remove_nulls(&mut body);
            let r = decode_strict(m.kind, &body).and_then(|o| match dry {
                "client" => Ok((None, o)),
                "server" => ctx.session.cluster.api.create_dry_run(o.clone()).map(|w| (Some(w), o)),
                _ => ctx.cluster().create(o.clone()).map(|w| (Some(w), o)),
            });
            match r {
                Ok((w, o)) => {
                    if let Some(w) = &w {
                        for warning in &w.warnings {
                            ctx.warning(warning);
                        }
                    }
                    count += 1;
                    let name = w.as_ref().map(|w| w.object.meta().name.clone()).unwrap_or(m.name.clone());
                    let shown = w.as_ref().map(|w| (*w.object).clone()).unwrap_or(o);
                    print_written(ctx, m.kind, &name, &op_suffix("created", dry), Some(&shown))?;
                }
                Err(e) => {
                    errs.push(with_source("creating", &m.source, CmdError::Api(e)));
                    break;
                }
            }
        }
    }
    if !errs.is_empty() {
        return Err(CmdError::Many(errs));
    }
    if count == 0 {
        return Err(CmdError::msg("no objects passed to create"));
    }
    Ok(())
}

pub fn create_subcommands() -> Vec<Command> {
    let mut v = vec![
        Command::new(
            "namespace",
            "Create a namespace with the specified name",
            "create namespace NAME [--dry-run=server|client|none]",
            generator_flags,
            run_create_namespace,
        )
        .with_aliases(&["ns"]),
        Command::new(
            "deployment",
            "Create a deployment with the specified name",
            "create deployment NAME --image=image -- [COMMAND] [args...]",
            deployment_flags,
            run_create_deployment,
        )
        .with_aliases(&["deploy"]),
        Command::new(
            "configmap",
            "Create a config map from a local file, directory or literal value",
            "create configmap NAME [--from-file=[key=]source] [--from-literal=key1=value1] [--dry-run=server|client|none]",
            configmap_flags,
            run_create_configmap,
        )
        .with_aliases(&["cm"]),
        Command::group("secret", "Create a secret using a specified subcommand", "create secret (docker-registry | generic | tls)", secret_subcommands),
    ];
    v.extend(super::create_rbac::subcommands());
    v.extend(super::create_batch::subcommands());
    v
}

pub(super) fn generator_flags() -> Vec<Flag> {
    const {
        &[
            flag("output", Some('o'), FlagKind::Str),
            strf("dry-run").with_no_opt("unchanged"),
            boolf("save-config"),
            strf("validate").with_no_opt("strict"),
            strf("field-manager"),
        ]
    }
    .to_vec()
}

fn deployment_flags() -> Vec<Flag> {
    let mut v = generator_flags();
    v.extend_from_slice(const { &[flag("image", None, FlagKind::StrSlice), flag("replicas", Some('r'), FlagKind::Int), flag("port", None, FlagKind::Int)] });
    v
}

fn configmap_flags() -> Vec<Flag> {
    let mut v = generator_flags();
    v.extend_from_slice(const { &[flag("from-literal", None, FlagKind::StrArray), flag("from-file", None, FlagKind::StrSlice), boolf("append-hash")] });
    v
}

fn secret_subcommands() -> Vec<Command> {
    vec![Command::new(
        "generic",
        "Create a secret from a local file, directory, or literal value",
        "create secret generic NAME [--type=string] [--from-file=[key=]source] [--from-literal=key1=value1] [--dry-run=server|client|none]",
        secret_flags,
        run_create_secret,
    )]
}

fn secret_flags() -> Vec<Flag> {
    let mut v = configmap_flags();
    v.push(strf("type"));
    v
}

pub(super) fn one_name(ctx: &Ctx) -> Result<String, CmdError> {
    match ctx.f.args.as_slice() {
        [] => Err(CmdError::msg("exactly one NAME is required, got 0\nSee '".to_string() + &ctx.path + " -h' for help and examples")),
        [n] => Ok(n.clone()),
        more => Err(CmdError::msg(format!("exactly one NAME is required, got {}\nSee '{} -h' for help and examples", more.len(), ctx.path))),
    }
}

/// Creates a generated object and prints it, as the create generators do.
pub(super) fn create_generated(ctx: &mut Ctx, obj: Object, wrap_err: Option<&str>) -> Result<(), CmdError> {
    create_generated_as(ctx, obj, wrap_err, "created")
}

/// As [`create_generated`], printing `op` (`exposed`) for the write.
pub(super) fn create_generated_as(ctx: &mut Ctx, obj: Object, wrap_err: Option<&str>, op: &str) -> Result<(), CmdError> {
    check_output(ctx)?;
    let dry = dry_run(ctx)?;
    let kind = obj.kind();
    let mut obj = obj;
    if ctx.f.bool("save-config") {
        let (last, _) = modified_configuration(&obj.to_value());
        obj.meta_mut().annotations.insert(LAST_APPLIED.into(), last);
    }
    let name = obj.meta().name.clone();
    let r = match dry {
        "client" => Ok(None),
        "server" => ctx.session.cluster.api.create_dry_run(obj.clone()).map(Some),
        _ => ctx.cluster().create(obj.clone()).map(Some),
    };
    match r {
        Ok(w) => {
            if let Some(w) = &w {
                for warning in &w.warnings {
                    ctx.warning(warning);
                }
            }
            let shown = w.as_ref().map(|w| (*w.object).clone()).unwrap_or(obj);
            print_written(ctx, kind, &name, &op_suffix(op, dry), Some(&shown))
        }
        Err(e) => match wrap_err {
            Some(prefix) => Err(CmdError::msg(format!("{prefix}: {}", e.message))),
            None => Err(CmdError::Api(e)),
        },
    }
}

fn run_create_namespace(ctx: &mut Ctx) -> Result<(), CmdError> {
    let name = one_name(ctx)?;
    let ns = Namespace { metadata: ObjectMeta::named("", &name), ..Default::default() };
    create_generated(ctx, Object::Namespace(ns), None)
}

fn run_create_deployment(ctx: &mut Ctx) -> Result<(), CmdError> {
    let name = one_name(ctx)?;
    let images = ctx.f.all("image");
    if images.is_empty() {
        return Err(CmdError::msg("required flag(s) \"image\" not set"));
    }
    let command: Vec<String> = match ctx.f.dash_at {
        Some(i) => ctx.f.args[i..].to_vec(),
        None => vec![],
    };
    if images.len() > 1 && !command.is_empty() {
        return Err(CmdError::msg("cannot specify multiple --image options and command"));
    }
    let labels: Labels = crate::engine::sort::map_from([("app".to_string(), name.clone())]);
    let mut containers = vec![];
    for image in &images {
        let base = image.rsplit('/').next().unwrap_or(image);
        let base = base.split(':').next().unwrap_or(base);
        let base = base.split('@').next().unwrap_or(base);
        let mut cname = base.to_string();
        if cname.contains(['_', '.']) {
            let suffix = ctx.session.cluster.api.rng.string(5);
            cname = format!("{}-{suffix}", cname.replace(['_', '.'], "-"));
        }
        containers.push(Container { name: cname, image: image.clone(), command: command.clone(), ..Default::default() });
    }
    if let Some(port) = ctx.f.int("port")
        && port >= 0
        && let Some(c) = containers.first_mut()
    {
        c.ports = vec![ContainerPort { container_port: port as i32, ..Default::default() }];
    }
    let mut meta = ObjectMeta::named(if ctx.ns_explicit { &ctx.ns } else { "" }, &name);
    meta.labels = labels.clone();
    if meta.namespace.is_empty() {
        meta.namespace = ctx.ns.clone();
    }
    let d = Deployment {
        metadata: meta,
        spec: DeploymentSpec {
            replicas: Some(ctx.f.int("replicas").unwrap_or(1) as i32),
            selector: Some(LabelSelector { match_labels: labels.clone(), match_expressions: vec![] }),
            template: PodTemplateSpec { metadata: ObjectMeta { labels, ..Default::default() }, spec: PodSpec { containers, ..Default::default() } },
            ..Default::default()
        },
        ..Default::default()
    };
    create_generated(ctx, Object::Deployment(d), Some("failed to create deployment"))
}

fn literals(ctx: &Ctx) -> Result<std::collections::BTreeMap<String, String>, CmdError> {
    let mut out = std::collections::BTreeMap::new();
    for l in ctx.f.all("from-literal") {
        let Some((k, v)) = l.split_once('=') else {
            return Err(CmdError::msg(format!("invalid literal source {l}, expected key=value")));
        };
        if out.contains_key(k) {
            return Err(CmdError::msg(format!("cannot add key {k}, another key by that name already exists in Data for ConfigMap")));
        }
        out.insert(k.to_string(), v.to_string());
    }
    if ctx.f.changed("from-file") {
        return Err(CmdError::msg("--from-file is not supported by Kubarium (there is no local file system); use --from-literal"));
    }
    Ok(out)
}

fn run_create_configmap(ctx: &mut Ctx) -> Result<(), CmdError> {
    let name = one_name(ctx)?;
    let data = literals(ctx)?;
    let cm = ConfigMap { metadata: ObjectMeta::named(&ctx.ns, &name), data, ..Default::default() };
    create_generated(ctx, Object::ConfigMap(cm), None)
}

fn run_create_secret(ctx: &mut Ctx) -> Result<(), CmdError> {
    let name = one_name(ctx)?;
    let data = crate::engine::sort::map_from(literals(ctx)?.into_iter().map(|(k, v)| (k, crate::engine::base64::encode(v.as_bytes()))));
    let s = Secret { metadata: ObjectMeta::named(&ctx.ns, &name), data, type_: ctx.f.str("type").unwrap_or("Opaque").to_string(), ..Default::default() };
    create_generated(ctx, Object::Secret(s), None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubectl::commands::testutil::{run, run_in};
    use crate::kubectl::session::Session;

    const STS: &str = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: web\nspec:\n  serviceName: web\n  replicas: 1\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: nginx\n        image: nginx:1.25\n";

    #[test]
    fn apply_created_unchanged_configured() {
        let mut s = Session::new(1);
        assert_eq!(run_in(&mut s, "kubectl apply -f -", STS), ("statefulset.apps/web created\n".into(), 0));
        assert_eq!(run_in(&mut s, "kubectl apply -f -", STS), ("statefulset.apps/web unchanged\n".into(), 0));
        let changed = STS.replace("replicas: 1", "replicas: 2");
        assert_eq!(run_in(&mut s, "kubectl apply -f -", &changed), ("statefulset.apps/web configured\n".into(), 0));
        let sts = s.cluster.get::<StatefulSet>("default", "web").unwrap();
        assert_eq!(sts.spec.replicas, Some(2));
        let last = sts.metadata.annotations[LAST_APPLIED].clone();
        assert!(last.starts_with("{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"metadata\":{\"annotations\":{},\"name\":\"web\",\"namespace\":\"default\"},\"spec\":{\"replicas\":2,"), "{last}");
        assert!(last.ends_with("}\n"));
    }

    /// Pod affinity is typed (core/v1's Affinity): a misspelled field is
    /// refused as the API server's strict decoder refuses it, a wrong shape
    /// with Go's words, and what was accepted prints as it did while the
    /// terms were kept as JSON (keys sorted, flow lists as blocks; a term
    /// written without weight or topologyKey prints without them).
    #[test]
    fn pod_affinity_is_decoded_strictly_and_prints_as_written() {
        let mut s = Session::new(1);
        let pod = |name: &str, affinity: &str| {
            format!(
                "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  labels:\n    app: web\nspec:\n  affinity:\n{affinity}  containers:\n  - name: web\n    image: nginx:1.25\n"
            )
        };
        let misspelled = "    podAntiAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n      - labelSelector:\n          matchLabels:\n            app: web\n        topologyKeys: kubernetes.io/hostname\n";
        let (out, code) = run_in(&mut s, "kubectl apply -f -", &pod("p", misspelled));
        assert_eq!(
            out,
            "Error from server (BadRequest): error when creating \"STDIN\": Pod in version \"v1\" cannot be handled as a Pod: strict decoding error: unknown field \"spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKeys\"\n"
        );
        assert_eq!(code, 1);
        let not_a_list = "    podAffinity:\n      preferredDuringSchedulingIgnoredDuringExecution:\n        weight: 5\n";
        let (out, code) = run_in(&mut s, "kubectl apply -f -", &pod("p", not_a_list));
        assert!(
            out.ends_with("json: cannot unmarshal object into Go struct field PodAffinity.spec.affinity.podAffinity.preferredDuringSchedulingIgnoredDuringExecution of type []v1.WeightedPodAffinityTerm\n"),
            "{out}"
        );
        assert_eq!(code, 1);
        assert!(s.cluster.get::<Pod>("default", "p").is_none());

        let written = "    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms:\n        - matchExpressions:\n          - key: kubernetes.io/hostname\n            operator: In\n            values: [node-a, node-b]\n          matchFields:\n          - key: metadata.name\n            operator: NotIn\n            values: [node-c]\n      preferredDuringSchedulingIgnoredDuringExecution:\n      - weight: 10\n        preference:\n          matchExpressions:\n          - key: topology.kubernetes.io/zone\n            operator: In\n            values: [zone-b]\n    podAffinity:\n      preferredDuringSchedulingIgnoredDuringExecution:\n      - weight: 20\n        podAffinityTerm:\n          labelSelector:\n            matchExpressions:\n            - key: app\n              operator: In\n              values: [db]\n          namespaces: [default, other]\n          namespaceSelector: {}\n          topologyKey: topology.kubernetes.io/zone\n          matchLabelKeys: [pod-template-hash]\n          mismatchLabelKeys: [tenant]\n    podAntiAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n      - labelSelector:\n          matchLabels:\n            app: web\n        topologyKey: kubernetes.io/hostname\n";
        let printed = "    nodeAffinity:\n      preferredDuringSchedulingIgnoredDuringExecution:\n      - preference:\n          matchExpressions:\n          - key: topology.kubernetes.io/zone\n            operator: In\n            values:\n            - zone-b\n        weight: 10\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms:\n        - matchExpressions:\n          - key: kubernetes.io/hostname\n            operator: In\n            values:\n            - node-a\n            - node-b\n          matchFields:\n          - key: metadata.name\n            operator: NotIn\n            values:\n            - node-c\n    podAffinity:\n      preferredDuringSchedulingIgnoredDuringExecution:\n      - podAffinityTerm:\n          labelSelector:\n            matchExpressions:\n            - key: app\n              operator: In\n              values:\n              - db\n          matchLabelKeys:\n          - pod-template-hash\n          mismatchLabelKeys:\n          - tenant\n          namespaceSelector: {}\n          namespaces:\n          - default\n          - other\n          topologyKey: topology.kubernetes.io/zone\n        weight: 20\n    podAntiAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n      - labelSelector:\n          matchLabels:\n            app: web\n        topologyKey: kubernetes.io/hostname\n";
        let (out, code) = run_in(&mut s, "kubectl apply -f -", &pod("p", written));
        assert_eq!((out.as_str(), code), ("pod/p created\n", 0));
        let (out, _) = run(&mut s, "kubectl get pod p -o yaml");
        assert!(out.contains(&format!("spec:\n  affinity:\n{printed}  containers:\n")), "{out}");
        let loose = "    podAntiAffinity:\n      preferredDuringSchedulingIgnoredDuringExecution:\n      - podAffinityTerm:\n          labelSelector: {}\n      requiredDuringSchedulingIgnoredDuringExecution:\n      - labelSelector:\n          matchLabels:\n            app: db\n";
        let (out, code) = run_in(&mut s, "kubectl apply -f -", &pod("q", loose));
        assert_eq!((out.as_str(), code), ("pod/q created\n", 0));
        let (out, _) = run(&mut s, "kubectl get pod q -o yaml");
        assert!(out.contains(&format!("spec:\n  affinity:\n{loose}  containers:\n")), "{out}");
    }

    #[test]
    fn apply_rejects_unknown_fields_and_writes_nothing() {
        let mut s = Session::new(1);
        let bad = format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n---\n{}", STS.replace("replicas: 1", "replica: 1"));
        let (out, code) = run_in(&mut s, "kubectl apply -f -", &bad);
        assert_eq!(
            out,
            "Error from server (BadRequest): error when creating \"STDIN\": StatefulSet in version \"v1\" cannot be handled as a StatefulSet: strict decoding error: unknown field \"spec.replica\"\n"
        );
        assert_eq!(code, 1);
        assert!(s.cluster.get::<ConfigMap>("default", "ok").is_none(), "all or nothing");
    }

    #[test]
    fn apply_yaml_and_kind_errors() {
        let mut s = Session::new(1);
        let (out, _) = run_in(&mut s, "kubectl apply -f -", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n data: 1\n");
        assert!(out.starts_with("error: error parsing STDIN: error converting YAML to JSON: yaml: line "), "{out}");
        let (out, _) = run_in(&mut s, "kubectl apply -f -", "metadata:\n  name: x\n");
        assert_eq!(
            out,
            "error: error validating \"STDIN\": error validating data: [apiVersion not set, kind not set]; if you choose to ignore these errors, turn validation off with --validate=false\n"
        );
        let (out, _) = run_in(&mut s, "kubectl apply -f -", "apiVersion: v1\nkind: Widget\nmetadata:\n  name: x\n");
        assert_eq!(
            out,
            "error: resource mapping not found for name: \"x\" namespace: \"\" from \"STDIN\": no matches for kind \"Widget\" in version \"v1\"\nensure CRDs are installed first\n"
        );
        assert_eq!(run(&mut s, "kubectl apply"), ("error: must specify one of -f and -k\n".into(), 1));
    }

    #[test]
    fn apply_update_with_unknown_field_is_invalid_patch() {
        let mut s = Session::new(1);
        run_in(&mut s, "kubectl apply -f -", STS);
        let (out, code) = run_in(&mut s, "kubectl apply -f -", &STS.replace("replicas: 1", "replica: 1"));
        assert_eq!(code, 1);
        assert!(
            out.starts_with(
                "The request is invalid: patch: Invalid value: \"map[metadata:map[annotations:map[kubectl.kubernetes.io/last-applied-configuration:{"
            ),
            "{out}"
        );
        assert!(out.ends_with("spec:map[replica:1 replicas:<nil>]]\": strict decoding error: unknown field \"spec.replica\"\n"), "{out}");
    }

    #[test]
    fn create_and_already_exists() {
        let mut s = Session::new(1);
        assert_eq!(run(&mut s, "kubectl create namespace codewizard"), ("namespace/codewizard created\n".into(), 0));
        assert_eq!(run(&mut s, "kubectl create ns codewizard"), ("Error from server (AlreadyExists): namespaces \"codewizard\" already exists\n".into(), 1));
        assert_eq!(run_in(&mut s, "kubectl create -f -", STS), ("statefulset.apps/web created\n".into(), 0));
        assert_eq!(
            run_in(&mut s, "kubectl create -f -", STS),
            ("Error from server (AlreadyExists): error when creating \"STDIN\": statefulsets.apps \"web\" already exists\n".into(), 1)
        );
        // applying over an object made by create warns about the annotation
        let (out, _) = run_in(&mut s, "kubectl apply -f -", STS);
        assert!(out.starts_with("Warning: resource statefulsets/web is missing the kubectl.kubernetes.io/last-applied-configuration annotation"), "{out}");
        assert!(out.ends_with("statefulset.apps/web configured\n"), "{out}");
        assert_eq!(run(&mut s, "kubectl create deployment nginx --image=nginx:1.25 -n codewizard"), ("deployment.apps/nginx created\n".into(), 0));
        let d = s.cluster.get::<Deployment>("codewizard", "nginx").unwrap();
        assert_eq!(d.spec.template.spec.containers[0].name, "nginx");
        assert_eq!(run(&mut s, "kubectl create configmap cfg --from-literal=a=b"), ("configmap/cfg created\n".into(), 0));
    }

    #[test]
    fn namespace_mismatch() {
        let mut s = Session::new(1);
        let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: a\n";
        assert_eq!(
            run_in(&mut s, "kubectl apply -n b -f -", cm).0,
            "error: the namespace from the provided object \"a\" does not match the namespace \"b\". You must pass '--namespace=a' to perform this operation.\n"
        );
    }
}
