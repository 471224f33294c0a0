//! `kubectl patch` (strategic, merge and JSON patches) and `kubectl set
//! image` (pkg/cmd/patch, pkg/cmd/set).

use super::apply::decode_strict;
use super::merge::{apply_json_patch, apply_merge_patch, apply_strategic, deep_eq, go_sprint};
use super::resources::{BuildOpts, select};
use super::{Command, Ctx};
use crate::engine::api::*;
use crate::engine::apiserver::{ApiError, FieldError, Reason};
use crate::kubectl::args::{Flag, FlagKind, boolf, flag, strf};
use crate::kubectl::errors::CmdError;
use serde_json::Value;

pub fn flags() -> Vec<Flag> {
    const {
        &[
            flag("patch", Some('p'), FlagKind::Str),
            strf("patch-file"),
            strf("type"),
            flag("filename", Some('f'), FlagKind::StrSlice),
            boolf("recursive").with_short('R'),
            boolf("local"),
            flag("output", Some('o'), FlagKind::Str),
            strf("dry-run").with_no_opt("unchanged"),
            strf("subresource"),
            strf("field-manager"),
            flag("kustomize", Some('k'), FlagKind::Str),
        ]
    }
    .to_vec()
}

/// The object without its resourceVersion (to tell whether a write changed anything).
fn comparable(o: &Object) -> Value {
    let mut v = o.to_value();
    if let Some(m) = v.get_mut("metadata").and_then(|m| m.as_object_mut()) {
        m.remove("resourceVersion");
    }
    v
}

/// The strict decode of a patched object, as the API server's patch handler
/// reports it.
fn decode_patched(kind: Kind, patched: &Value, patch: &Value) -> Result<Object, ApiError> {
    super::apply::schema_ready(kind)?;
    match Object::from_value(kind, patched) {
        Ok((o, unknown)) if unknown.is_empty() => Ok(o),
        Ok((_, unknown)) => {
            let list = unknown.iter().map(|u| format!("unknown field {:?}", u.path)).collect::<Vec<_>>().join(", ");
            let cause = FieldError::invalid("patch", format!("{:?}", go_sprint(patch)), &format!("strict decoding error: {list}"));
            Err(ApiError {
                reason: Reason::Invalid,
                message: format!(" \"\" is invalid: {cause}"),
                kind: String::new(),
                name: String::new(),
                causes: vec![cause],
            })
        }
        Err(e) => {
            let cause = FieldError::invalid("patch", format!("{:?}", go_sprint(patch)), &e.message);
            Err(ApiError {
                reason: Reason::Invalid,
                message: format!(" \"\" is invalid: {cause}"),
                kind: String::new(),
                name: String::new(),
                causes: vec![cause],
            })
        }
    }
}

pub fn run(ctx: &mut Ctx) -> Result<(), CmdError> {
    let p = ctx.f.str("patch").map(|s| s.to_string());
    let pf = ctx.f.str("patch-file").map(|s| s.to_string());
    let text = match (p, pf) {
        (Some(_), Some(_)) => return Err(CmdError::msg("cannot specify --patch and --patch-file together")),
        (None, None) => return Err(CmdError::msg("must specify --patch or --patch-file containing the contents of the patch")),
        (Some(p), None) => p,
        (None, Some(f)) => ctx.read_file(&f).map_err(|e| CmdError::msg(format!("unable to read patch file: {e}")))?,
    };
    let ptype = ctx.f.str("type").unwrap_or("strategic").to_string();
    if !matches!(ptype.as_str(), "json" | "merge" | "strategic") {
        return Err(CmdError::msg(format!("--type must be one of [json merge strategic], not {ptype:?}")));
    }
    if ctx.f.bool("local") {
        return Err(CmdError::msg("--local is not supported by Kubarium"));
    }
    let docs = crate::engine::yaml::parse_stream(&text).map_err(|e| CmdError::msg(format!("unable to parse {text:?}: {}", e.go_text())))?;
    if let Some(bad) = docs.first().and_then(|d| d.node.unsupported_value()) {
        return Err(CmdError::msg(format!("unable to parse {text:?}: json: unsupported value: {bad}")));
    }
    let patch = docs.first().map(|d| d.node.to_json()).unwrap_or(Value::Null);
    let dry = ctx.f.str("dry-run").is_some_and(|d| d != "none");
    let mut opts = BuildOpts::from_ctx(ctx);
    opts.allow_empty_selector = false;
    let sel = select(ctx, &opts)?;
    for w in super::resources::server_warnings(&sel.kinds) {
        ctx.warning(w);
    }
    let mut errs = sel.errors;
    let mut count = 0;
    for it in &sel.items {
        count += 1;
        let live = ctx.api().get(it.kind, &it.namespace, &it.name).map_err(CmdError::Api)?;
        let current = live.to_value();
        let patched = match ptype.as_str() {
            "strategic" => {
                if !patch.is_object() {
                    return Err(CmdError::Api(ApiError::new(
                        Reason::BadRequest,
                        "error decoding patch: json: cannot unmarshal array into Go value of type map[string]interface {}",
                    )));
                }
                apply_strategic(it.kind, &current, &patch).map_err(|e| CmdError::Api(ApiError::new(Reason::BadRequest, e)))?
            }
            "merge" => apply_merge_patch(&current, &patch),
            _ => apply_json_patch(&current, &patch).map_err(|e| CmdError::Api(ApiError::new(Reason::BadRequest, e)))?,
        };
        let obj = match decode_patched(it.kind, &patched, &patch) {
            Ok(o) => o,
            Err(e) => {
                errs.push(CmdError::Api(e));
                continue;
            }
        };
        let changed = !deep_eq(&comparable(&obj), &comparable(&live));
        if changed
            && !dry
            && let Err(e) = ctx.cluster().update(obj)
        {
            errs.push(CmdError::Api(e));
            continue;
        }
        let op = if changed { "patched" } else { "patched (no change)" };
        let op = if dry { format!("{op} (dry run)") } else { op.to_string() };
        super::apply::print_name(ctx, it.kind, &it.name, &op);
    }
    if !errs.is_empty() {
        return Err(CmdError::Many(errs));
    }
    if count == 0 {
        return Err(CmdError::msg("no objects passed to patch"));
    }
    Ok(())
}

// ---------------------------------------------------------------- set

pub fn set_subcommands() -> Vec<Command> {
    vec![Command::new(
        "image",
        "Update the image of a pod template",
        "set image (-f FILENAME | TYPE NAME) CONTAINER_NAME_1=CONTAINER_IMAGE_1 ... CONTAINER_NAME_N=CONTAINER_IMAGE_N",
        set_image_flags,
        run_set_image,
    )]
}

fn set_image_flags() -> Vec<Flag> {
    const {
        &[
            boolf("all"),
            flag("selector", Some('l'), FlagKind::Str),
            flag("filename", Some('f'), FlagKind::StrSlice),
            boolf("recursive").with_short('R'),
            boolf("local"),
            flag("output", Some('o'), FlagKind::Str),
            strf("dry-run").with_no_opt("unchanged"),
            strf("field-manager"),
            flag("kustomize", Some('k'), FlagKind::Str),
        ]
    }
    .to_vec()
}

/// The pod spec of an object that has one (polymorphichelpers.UpdatePodSpecForObject).
pub fn pod_spec_mut(o: &mut Object) -> Option<&mut PodSpec> {
    match o {
        Object::Pod(p) => Some(&mut p.spec),
        Object::Deployment(d) => Some(&mut d.spec.template.spec),
        Object::ReplicaSet(r) => Some(&mut r.spec.template.spec),
        Object::StatefulSet(s) => Some(&mut s.spec.template.spec),
        _ => None,
    }
}

/// The pod spec in a workload kept as JSON (DaemonSet, ReplicationController,
/// Job: `spec.template.spec`; CronJob: in its job template).
pub fn generic_pod_spec(g: &mut Generic) -> Option<&mut Value> {
    let spec = g.body.get_mut("spec")?;
    let spec = match g.kind {
        Kind::DaemonSet | Kind::ReplicationController | Kind::Job => spec,
        Kind::CronJob => spec.get_mut("jobTemplate")?.get_mut("spec")?,
        _ => return None,
    };
    spec.get_mut("template")?.get_mut("spec").filter(|s| s.is_object())
}

fn run_set_image(ctx: &mut Ctx) -> Result<(), CmdError> {
    let mut resources = vec![];
    let mut images: Vec<(String, String)> = vec![];
    for a in &ctx.f.args {
        match a.split_once('=') {
            Some((c, i)) if !c.is_empty() => images.push((c.to_string(), i.to_string())),
            _ => resources.push(a.clone()),
        }
    }
    let mut errs = vec![];
    if ctx.f.bool("all") && ctx.f.changed("selector") {
        errs.push(CmdError::msg("cannot set --all and --selector at the same time"));
    }
    if resources.is_empty() && ctx.f.all("filename").is_empty() {
        errs.push(CmdError::msg("one or more resources must be specified as <resource> <name> or <resource>/<name>"));
    }
    if images.is_empty() {
        errs.push(CmdError::msg("at least one image update is required"));
    }
    if images.len() > 1 && images.iter().any(|(c, _)| c == "*") {
        errs.push(CmdError::msg("all containers are already specified by *, but saw more than one container_name=container_image pairs"));
    }
    if !errs.is_empty() {
        return Err(CmdError::Many(errs));
    }
    let dry = ctx.f.str("dry-run").is_some_and(|d| d != "none");
    let mut opts = BuildOpts::from_ctx(ctx);
    opts.args = resources;
    opts.allow_empty_selector = opts.all;
    let sel = select(ctx, &opts)?;
    let mut errs = sel.errors;
    for it in &sel.items {
        let live = ctx.api().get(it.kind, &it.namespace, &it.name).map_err(CmdError::Api)?;
        let mut obj = (*live).clone();
        if let Object::Generic(g) = &mut obj
            && let Some(spec) = generic_pod_spec(g)
        {
            for (name, image) in &images {
                let mut found = false;
                for key in ["initContainers", "containers"] {
                    for c in spec[key].as_array_mut().into_iter().flatten() {
                        if name == "*" || c["name"] == name.as_str() {
                            c["image"] = Value::String(image.clone());
                            found = true;
                        }
                    }
                }
                if !found {
                    errs.push(CmdError::msg(format!("error: unable to find container named {name:?}")));
                }
            }
        } else if let Some(spec) = pod_spec_mut(&mut obj) {
            for (name, image) in &images {
                let mut found = false;
                for c in spec.init_containers.iter_mut().chain(spec.containers.iter_mut()) {
                    if name == "*" || &c.name == name {
                        c.image = image.clone();
                        found = true;
                    }
                }
                if !found {
                    errs.push(CmdError::msg(format!("error: unable to find container named {name:?}")));
                }
            }
        } else {
            errs.push(CmdError::msg(format!(
                "error: {}/{} the object is not a pod or does not have a pod template: *v1.{}",
                it.kind.info().plural,
                it.name,
                it.kind.info().kind
            )));
            continue;
        }
        if comparable(&obj) == comparable(&live) {
            continue;
        }
        if !dry {
            // the server decodes the patched object strictly, as for any patch
            if let Err(e) = decode_strict(it.kind, &obj.to_value()) {
                errs.push(CmdError::msg(format!("failed to patch image update to pod template: {}", e.message)));
                continue;
            }
            if let Err(e) = ctx.cluster().update(obj) {
                errs.push(CmdError::msg(format!(
                    "failed to patch image update to pod template: {}",
                    crate::kubectl::errors::render(&CmdError::Api(e)).0.trim_end()
                )));
                continue;
            }
        }
        super::apply::print_name(ctx, it.kind, &it.name, if dry { "image updated (dry run)" } else { "image updated" });
    }
    if errs.is_empty() { Ok(()) } else { Err(CmdError::Many(errs)) }
}

#[cfg(test)]
mod tests {
    use crate::engine::api::*;
    use crate::kubectl::commands::testutil::{run, run_in};
    use crate::kubectl::session::Session;

    const STS: &str = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: web\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: nginx\n        image: nginx:1.25\n";

    #[test]
    fn patches() {
        let mut s = Session::new(1);
        run_in(&mut s, "kubectl apply -f -", STS);
        assert_eq!(run(&mut s, r#"kubectl patch sts web -p '{"spec":{"replicas":3}}'"#), ("statefulset.apps/web patched\n".into(), 0));
        assert_eq!(s.cluster.get::<StatefulSet>("default", "web").unwrap().spec.replicas, Some(3));
        assert_eq!(run(&mut s, r#"kubectl patch sts web -p '{"spec":{"replicas":3}}'"#), ("statefulset.apps/web patched (no change)\n".into(), 0));
        assert_eq!(run(&mut s, r#"kubectl patch sts web --type merge -p '{"metadata":{"labels":{"a":"b"}}}'"#), ("statefulset.apps/web patched\n".into(), 0));
        assert_eq!(
            run(&mut s, r#"kubectl patch sts web --type json -p '[{"op":"replace","path":"/spec/replicas","value":2}]'"#),
            ("statefulset.apps/web patched\n".into(), 0)
        );
        assert_eq!(s.cluster.get::<StatefulSet>("default", "web").unwrap().spec.replicas, Some(2));
        let (out, code) = run(&mut s, r#"kubectl patch sts web -p '{"spec":{"replica":3}}'"#);
        assert_eq!(
            (out.as_str(), code),
            ("The request is invalid: patch: Invalid value: \"map[spec:map[replica:3]]\": strict decoding error: unknown field \"spec.replica\"\n", 1)
        );
        assert_eq!(run(&mut s, "kubectl patch sts web").0, "error: must specify --patch or --patch-file containing the contents of the patch\n");
        assert_eq!(run(&mut s, "kubectl patch sts web -p '{}' --type=xml").0, "error: --type must be one of [json merge strategic], not \"xml\"\n");
        // strategic: containers merge by name
        assert_eq!(
            run(&mut s, r#"kubectl patch sts web -p '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.26"}]}}}}'"#),
            ("statefulset.apps/web patched\n".into(), 0)
        );
        let sts = s.cluster.get::<StatefulSet>("default", "web").unwrap();
        assert_eq!(sts.spec.template.spec.containers.len(), 1);
        assert_eq!(sts.spec.template.spec.containers[0].image, "nginx:1.26");
    }

    #[test]
    fn set_image() {
        let mut s = Session::new(1);
        run_in(&mut s, "kubectl apply -f -", STS);
        assert_eq!(run(&mut s, "kubectl set image statefulset/web nginx=nginx:1.26"), ("statefulset.apps/web image updated\n".into(), 0));
        assert_eq!(s.cluster.get::<StatefulSet>("default", "web").unwrap().spec.template.spec.containers[0].image, "nginx:1.26");
        assert_eq!(run(&mut s, "kubectl set image statefulset/web nginx=nginx:1.26"), (String::new(), 0));
        assert_eq!(run(&mut s, "kubectl set image sts web app=x"), ("error: unable to find container named \"app\"\n".into(), 1));
        assert_eq!(run(&mut s, "kubectl set image sts/web '*=nginx:1.27'"), ("statefulset.apps/web image updated\n".into(), 0));
    }
}
