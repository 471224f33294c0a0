//! `kubectl version`, `kubectl config ...` (the one simulated context) and
//! `kubectl api-resources`.

use super::out;
use super::{Command, Ctx};
use crate::engine::api::{Kind, UNLISTED};
use crate::kubectl::args::{Flag, FlagKind, boolf, flag, strf};
use crate::kubectl::errors::CmdError;

/// The kubeconfig context (and cluster and user) of the simulated cluster.
pub const CONTEXT: &str = "kubarium";
pub const VERSION: &str = "v1.36.0";
/// The kustomize kubectl 1.36 embeds.
const KUSTOMIZE_VERSION: &str = "v5.7.1";

pub fn version_flags() -> Vec<Flag> {
    const { &[boolf("client"), flag("output", Some('o'), FlagKind::Str)] }.to_vec()
}

fn version_info(major_minor: bool) -> serde_json::Value {
    let _ = major_minor;
    serde_json::json!({
        "major": "1", "minor": "36", "gitVersion": VERSION, "gitCommit": "kubarium", "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.25.5", "compiler": "gc", "platform": "linux/amd64"
    })
}

pub fn run_version(ctx: &mut Ctx) -> Result<(), CmdError> {
    if !ctx.f.args.is_empty() {
        return Err(CmdError::msg(format!("extra arguments: [{}]", ctx.f.args.join(" "))));
    }
    let client_only = ctx.f.bool("client");
    match ctx.f.str("output") {
        None | Some("") => {
            ctx.println(&format!("Client Version: {VERSION}"));
            ctx.println(&format!("Kustomize Version: {KUSTOMIZE_VERSION}"));
            if !client_only {
                ctx.println(&format!("Server Version: {VERSION}"));
            }
            Ok(())
        }
        Some(o @ ("yaml" | "json")) => {
            let mut v = serde_json::json!({"clientVersion": version_info(true), "kustomizeVersion": KUSTOMIZE_VERSION});
            if !client_only {
                v["serverVersion"] = version_info(true);
            }
            let text = if o == "json" { json_indent2(&v) } else { crate::engine::yaml::to_yaml(&v) };
            ctx.println(&text);
            Ok(())
        }
        Some(_) => Err(CmdError::msg("--output must be 'yaml' or 'json'")),
    }
}

/// json.MarshalIndent(v, "", "  ") with Go's key order (struct order is
/// approximated by sorted keys here).
fn json_indent2(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

pub fn config_subcommands() -> Vec<Command> {
    vec![
        Command::new("current-context", "Display the current-context", "config current-context", no_flags, run_current_context),
        Command::new("get-contexts", "Describe one or many contexts", "config get-contexts [(-o|--output=)name)]", get_contexts_flags, run_get_contexts),
        Command::new("use-context", "Set the current-context in a kubeconfig file", "config use-context CONTEXT_NAME", no_flags, run_use_context),
        Command::new(
            "set-context",
            "Set a context entry in kubeconfig",
            "config set-context [NAME | --current] [--cluster=cluster_nickname] [--user=user_nickname] [--namespace=namespace]",
            set_context_flags,
            run_set_context,
        ),
    ]
}

fn no_flags() -> Vec<Flag> {
    const { &[] }.to_vec()
}

fn get_contexts_flags() -> Vec<Flag> {
    const { &[flag("output", Some('o'), FlagKind::Str), boolf("no-headers")] }.to_vec()
}

fn set_context_flags() -> Vec<Flag> {
    const { &[boolf("current")] }.to_vec()
}

fn run_current_context(ctx: &mut Ctx) -> Result<(), CmdError> {
    ctx.println(CONTEXT);
    Ok(())
}

fn run_get_contexts(ctx: &mut Ctx) -> Result<(), CmdError> {
    if let Some(name) = ctx.f.args.first()
        && name != CONTEXT
    {
        return Err(CmdError::msg(format!("context {name} not found")));
    }
    if ctx.f.str("output") == Some("name") {
        ctx.println(CONTEXT);
        return Ok(());
    }
    let ns = if ctx.session.namespace == "default" { String::new() } else { ctx.session.namespace.clone() };
    let mut rows = vec![];
    if !ctx.f.bool("no-headers") {
        rows.push(vec!["CURRENT".to_string(), "NAME".into(), "CLUSTER".into(), "AUTHINFO".into(), "NAMESPACE".into()]);
    }
    rows.push(vec!["*".to_string(), CONTEXT.into(), CONTEXT.into(), CONTEXT.into(), ns]);
    let text = out::table(&rows);
    ctx.print(&text);
    Ok(())
}

fn run_use_context(ctx: &mut Ctx) -> Result<(), CmdError> {
    match ctx.f.args.as_slice() {
        [n] if n == CONTEXT => {
            ctx.println(&format!("Switched to context \"{CONTEXT}\"."));
            Ok(())
        }
        [n] => Err(CmdError::msg(format!("no context exists with the name: {n:?}"))),
        _ => Err(CmdError::msg("Unexpected args: []\nSee 'kubectl config use-context -h' for help and examples")),
    }
}

fn run_set_context(ctx: &mut Ctx) -> Result<(), CmdError> {
    let current = ctx.f.bool("current");
    let name = match (ctx.f.args.first(), current) {
        (Some(_), true) => return Err(CmdError::msg("you cannot specify both a context name and --current")),
        (None, false) => return Err(CmdError::msg("you must specify a non-empty context name or --current")),
        (Some(n), false) => n.clone(),
        (None, true) => CONTEXT.to_string(),
    };
    if name != CONTEXT {
        return Err(CmdError::msg(format!("Kubarium has a single context, {CONTEXT:?}")));
    }
    if let Some(ns) = ctx.f.str("namespace") {
        ctx.session.namespace = if ns.is_empty() { "default".into() } else { ns.to_string() };
    }
    ctx.println(&format!("Context \"{CONTEXT}\" modified."));
    Ok(())
}

pub fn api_resources_flags() -> Vec<Flag> {
    const {
        &[
            flag("output", Some('o'), FlagKind::Str),
            boolf("namespaced").with_no_opt("true"),
            boolf("no-headers"),
            strf("api-group"),
            strf("sort-by"),
            flag("verbs", None, FlagKind::StrSlice),
            boolf("cached"),
        ]
    }
    .to_vec()
}

pub fn run_api_resources(ctx: &mut Ctx) -> Result<(), CmdError> {
    // (group, plural, short names, apiVersion, namespaced, kind): the stored
    // kinds (custom ones included) and the ones served without a list
    let custom = crate::engine::apiserver::crd::kinds(&ctx.api().store).into_iter().map(|(k, _)| k.info());
    let mut rows: Vec<(&str, &str, String, String, bool, &str)> = Kind::ALL
        .iter()
        .map(|k| k.info())
        .chain(custom)
        .chain(UNLISTED)
        .map(|i| (i.group, i.plural, i.short_names.join(","), i.api_version(), i.namespaced, i.kind))
        .collect();
    if let Some(g) = ctx.f.str("api-group") {
        rows.retain(|r| r.0 == g);
    }
    if ctx.f.changed("namespaced") {
        let want = ctx.f.bool("namespaced");
        rows.retain(|r| r.4 == want);
    }
    // kubectl sorts by group, then by resource name
    crate::engine::sort::sort_by_key(&mut rows, |r| (r.0, r.1));
    if ctx.f.str("output") == Some("name") {
        for (group, plural, ..) in rows {
            ctx.println(&if group.is_empty() { plural.to_string() } else { format!("{plural}.{group}") });
        }
        return Ok(());
    }
    let mut table = vec![];
    if !ctx.f.bool("no-headers") {
        table.push(["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"].iter().map(|s| s.to_string()).collect());
    }
    for (_, plural, short, api_version, namespaced, kind) in rows {
        table.push(vec![plural.to_string(), short, api_version, namespaced.to_string(), kind.to_string()]);
    }
    let text = out::table(&table);
    ctx.print(&text);
    Ok(())
}

/// `kubectl api-versions`: every group/version a kind is served in, sorted
/// as strings (so `v1` comes last).
pub fn run_api_versions(ctx: &mut Ctx) -> Result<(), CmdError> {
    let mut versions: Vec<String> = vec![];
    let custom = crate::engine::apiserver::crd::kinds(&ctx.api().store).into_iter().map(|(k, _)| k);
    for k in Kind::ALL.iter().copied().chain(custom) {
        let i = k.info();
        for v in std::iter::once(&i.version).chain(i.also) {
            versions.push(if i.group.is_empty() { v.to_string() } else { format!("{}/{v}", i.group) });
        }
    }
    versions.extend(UNLISTED.iter().map(|u| u.api_version()));
    crate::engine::sort::sort(&mut versions);
    versions.dedup();
    for v in versions {
        ctx.println(&v);
    }
    Ok(())
}

// ---------------------------------------------------------------- run, replace, cluster-info

pub fn run_flags() -> Vec<Flag> {
    const {
        &[
            strf("image"),
            flag("labels", Some('l'), FlagKind::Str),
            flag("env", None, FlagKind::StrArray),
            flag("annotations", None, FlagKind::StrArray),
            strf("port"),
            strf("restart"),
            strf("image-pull-policy"),
            strf("serviceaccount"),
            boolf("command"),
            boolf("stdin").with_short('i'),
            boolf("tty").with_short('t'),
            boolf("attach"),
            boolf("rm"),
            boolf("expose"),
            boolf("privileged"),
            flag("output", Some('o'), FlagKind::Str),
            strf("dry-run").with_no_opt("unchanged"),
            strf("override-type"),
            strf("overrides"),
            flag("pod-running-timeout", None, FlagKind::Duration),
        ]
    }
    .to_vec()
}

/// `kubectl run NAME --image=IMAGE [--env ...] [--port P] [-- ARGS]`:
/// creates a pod as the BasicPod generator does (label run=NAME).
pub fn run_run(ctx: &mut Ctx) -> Result<(), CmdError> {
    let Some(name) = ctx.f.args.first().cloned() else {
        return Err(ctx.usage_error("NAME is required for run"));
    };
    let image = ctx.f.str("image").unwrap_or("").to_string();
    if image.is_empty() {
        return Err(CmdError::msg("--image is required"));
    }
    if ctx.f.bool("tty") && !ctx.f.bool("stdin") {
        return Err(ctx.usage_error("-i/--stdin is required for containers with -t/--tty=true"));
    }
    if ctx.f.bool("stdin") || ctx.f.bool("tty") || ctx.f.bool("attach") || ctx.f.bool("rm") {
        return Err(CmdError::msg(
            "attaching to a container (-i, -t, --attach, --rm) is not simulated by Kubarium: run the pod, then use `kubectl logs` or `kubectl exec`",
        ));
    }
    if ctx.f.bool("expose") {
        return Err(CmdError::msg("--expose is not simulated by Kubarium: create the Service with a manifest"));
    }
    let restart = ctx.f.str("restart").unwrap_or("Always").to_string();
    if !matches!(restart.as_str(), "Always" | "OnFailure" | "Never") {
        return Err(ctx.usage_error(&format!("invalid restart policy: {restart}")));
    }
    let pull = ctx.f.str("image-pull-policy").unwrap_or("").to_string();
    if !matches!(pull.as_str(), "" | "Always" | "IfNotPresent" | "Never") {
        return Err(ctx.usage_error(&format!("invalid image pull policy: {pull}")));
    }
    let mut labels = crate::engine::api::Labels::new();
    match ctx.f.str("labels") {
        Some(l) if !l.is_empty() => {
            for pair in l.split(',') {
                let Some((k, v)) = pair.split_once('=') else {
                    return Err(CmdError::msg(format!("invalid label spec: {pair}")));
                };
                labels.insert(k.to_string(), v.to_string());
            }
        }
        _ => {
            labels.insert("run".into(), name.clone());
        }
    }
    let mut env = vec![];
    for e in ctx.f.all("env") {
        match e.split_once('=') {
            Some((k, v)) if !k.is_empty() => env.push(crate::engine::api::EnvVar { name: k.into(), value: Some(v.into()), value_from: None }),
            _ => return Err(CmdError::msg(format!("invalid env: {e}"))),
        }
    }
    let mut annotations = std::collections::BTreeMap::new();
    for a in ctx.f.all("annotations") {
        match a.split_once('=') {
            Some((k, v)) => {
                annotations.insert(k.to_string(), v.to_string());
            }
            None => return Err(CmdError::msg(format!("invalid annotation spec: {a}"))),
        }
    }
    let rest: Vec<String> = ctx.f.args[1..].to_vec();
    let mut c = crate::engine::api::Container { name: name.clone(), image, env, image_pull_policy: pull, ..Default::default() };
    if ctx.f.bool("command") {
        c.command = rest;
    } else {
        c.args = rest;
    }
    if let Some(p) = ctx.f.str("port") {
        let port: i32 = p.parse().map_err(|_| CmdError::msg(format!("invalid port {p:?}")))?;
        c.ports = vec![crate::engine::api::ContainerPort { container_port: port, ..Default::default() }];
    }
    let pod = crate::engine::api::Pod {
        metadata: crate::engine::api::ObjectMeta { name: name.clone(), namespace: ctx.ns.clone(), labels, annotations, ..Default::default() },
        spec: crate::engine::api::PodSpec {
            containers: vec![c],
            restart_policy: restart,
            dns_policy: "ClusterFirst".into(),
            service_account_name: ctx.f.str("serviceaccount").unwrap_or("").to_string(),
            ..Default::default()
        },
        ..Default::default()
    };
    let pod = match ctx.f.str("overrides").filter(|o| !o.is_empty()) {
        None => crate::engine::api::Object::Pod(pod),
        Some(o) => run_overrides(ctx.f.str("override-type").unwrap_or("merge"), crate::engine::api::Object::Pod(pod), o)?,
    };
    let dry = ctx.f.str("dry-run").is_some_and(|d| d != "none");
    if !dry {
        let w = ctx.cluster().create(pod).map_err(CmdError::Api)?;
        for warning in &w.warnings {
            ctx.warning(warning);
        }
    }
    super::apply::print_name(ctx, Kind::Pod, &name, if dry { "created (dry run)" } else { "created" });
    Ok(())
}

/// `--overrides`: an inline JSON patch of the generated pod, by
/// `--override-type` (merge by default, json or strategic).
fn run_overrides(ptype: &str, pod: crate::engine::api::Object, overrides: &str) -> Result<crate::engine::api::Object, CmdError> {
    use super::merge::{apply_json_patch, apply_merge_patch, apply_strategic};
    let patch: serde_json::Value =
        serde_json::from_str(overrides).map_err(|e| CmdError::msg(format!("unable to parse the overrides {overrides:?} as JSON: {e}")))?;
    let current = pod.with_type_meta().to_value();
    let patched = match ptype {
        "merge" => apply_merge_patch(&current, &patch),
        "strategic" => apply_strategic(Kind::Pod, &current, &patch).map_err(CmdError::msg)?,
        "json" => apply_json_patch(&current, &patch).map_err(CmdError::msg)?,
        other => return Err(CmdError::msg(format!("--override-type must be one of [json merge strategic], not {other:?}"))),
    };
    crate::engine::api::Object::from_value(Kind::Pod, &patched).map(|(o, _)| o).map_err(|e| CmdError::msg(e.to_string()))
}

pub fn replace_flags() -> Vec<Flag> {
    const {
        &[
            flag("filename", Some('f'), FlagKind::StrSlice),
            boolf("recursive").with_short('R'),
            boolf("force"),
            flag("output", Some('o'), FlagKind::Str),
            strf("validate").with_no_opt("strict"),
            boolf("save-config"),
            strf("dry-run").with_no_opt("unchanged"),
        ]
    }
    .to_vec()
}

/// `kubectl replace -f`: a full update of each object in the manifests.
pub fn run_replace(ctx: &mut Ctx) -> Result<(), CmdError> {
    if ctx.f.bool("force") {
        return Err(CmdError::msg("replace --force (delete and re-create) is not simulated by Kubarium; delete, then create"));
    }
    let files = ctx.f.all("filename");
    if files.is_empty() {
        return Err(CmdError::msg("must specify --filename to replace"));
    }
    let manifests = super::resources::read_manifests(ctx, &files)?;
    let mut errs = vec![];
    for m in manifests {
        let mut v = m.value.clone();
        if m.kind.namespaced()
            && let Some(meta) = v.get_mut("metadata").and_then(|x| x.as_object_mut())
        {
            meta.insert("namespace".into(), serde_json::Value::String(m.namespace.clone()));
        }
        let r = super::apply::decode_strict(m.kind, &v).and_then(|o| ctx.cluster().update(o));
        match r {
            Ok(w) => {
                for warning in &w.warnings {
                    ctx.warning(warning);
                }
                super::apply::print_name(ctx, m.kind, &m.name, "replaced");
            }
            Err(e) => errs.push(crate::kubectl::errors::with_source("replacing", &m.source, CmdError::Api(e))),
        }
    }
    if errs.is_empty() { Ok(()) } else { Err(CmdError::Many(errs)) }
}

pub fn run_cluster_info(ctx: &mut Ctx) -> Result<(), CmdError> {
    if let Some(a) = ctx.f.args.first() {
        if a == "dump" {
            return Err(CmdError::msg("cluster-info dump is not simulated by Kubarium"));
        }
        return Err(CmdError::msg(format!("unknown command {a:?}\nSee 'kubectl cluster-info -h' for help and examples")));
    }
    ctx.println("Kubernetes control plane is running at https://127.0.0.1:6443");
    let dns: Vec<String> = ctx
        .api()
        .store
        .list_ns_t::<crate::engine::api::Service>("kube-system")
        .filter(|s| s.metadata.label("kubernetes.io/cluster-service") == Some("true"))
        .map(|s| {
            let name = s.metadata.label("kubernetes.io/name").unwrap_or(&s.metadata.name).to_string();
            let port = s.spec.ports.first().map(|p| if p.name.is_empty() { String::new() } else { format!(":{}", p.name) }).unwrap_or_default();
            format!("{name} is running at https://127.0.0.1:6443/api/v1/namespaces/kube-system/services/{}{port}/proxy", s.metadata.name)
        })
        .collect();
    for d in dns {
        ctx.println(&d);
    }
    ctx.println("\nTo further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.");
    Ok(())
}

/// kubectl commands the simulator does not offer, with an honest message.
pub fn run_unsupported(ctx: &mut Ctx) -> Result<(), CmdError> {
    Err(CmdError::msg(format!("`{}` is not simulated by Kubarium (interactive and host-side commands are not available)", ctx.path)))
}

pub fn any_flags() -> Vec<Flag> {
    const { &[] }.to_vec()
}

#[cfg(test)]
mod tests {
    use crate::kubectl::commands::testutil::run;
    use crate::kubectl::session::Session;

    #[test]
    fn version_and_config() {
        let mut s = Session::new(1);
        assert_eq!(run(&mut s, "kubectl version"), ("Client Version: v1.36.0\nKustomize Version: v5.7.1\nServer Version: v1.36.0\n".into(), 0));
        assert_eq!(run(&mut s, "kubectl config current-context"), ("kubarium\n".into(), 0));
        assert_eq!(run(&mut s, "kubectl config set-context --current --namespace=kube-system"), ("Context \"kubarium\" modified.\n".into(), 0));
        assert_eq!(s.namespace, "kube-system");
    }

    #[test]
    fn run_replace_and_the_rest() {
        use crate::kubectl::commands::testutil::run_in;
        let mut s = Session::new(1);
        assert_eq!(run(&mut s, "kubectl run nginx --image=nginx:1.25 --port=80 --env=A=1"), ("pod/nginx created\n".into(), 0));
        let p = s.cluster.get::<crate::engine::api::Pod>("default", "nginx").unwrap();
        assert_eq!(p.metadata.labels["run"], "nginx");
        assert_eq!(p.spec.containers[0].ports[0].container_port, 80);
        assert_eq!(run(&mut s, "kubectl run x").0, "error: --image is required\n");
        assert_eq!(run(&mut s, "kubectl run").0, "error: NAME is required for run\nSee 'kubectl run -h' for help and examples\n");
        let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: \"1\"\n";
        assert_eq!(
            run_in(&mut s, "kubectl replace -f -", cm),
            ("Error from server (NotFound): error when replacing \"STDIN\": configmaps \"c\" not found\n".into(), 1)
        );
        run_in(&mut s, "kubectl create -f -", cm);
        assert_eq!(run_in(&mut s, "kubectl replace -f -", &cm.replace("\"1\"", "\"2\"")), ("configmap/c replaced\n".into(), 0));
        assert_eq!(run(&mut s, "kubectl top pods"), ("error: Metrics API not available\n".into(), 1));
        assert_eq!(
            run(&mut s, "kubectl edit pod nginx -o yaml").0,
            "error: `kubectl edit` is not simulated by Kubarium (interactive and host-side commands are not available)\n"
        );
        assert!(run(&mut s, "kubectl cluster-info").0.starts_with("Kubernetes control plane is running at https://127.0.0.1:6443\n"));
    }
}
