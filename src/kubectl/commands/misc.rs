//! `kubectl version`, `kubectl config ...` (the one simulated context) and
//! `kubectl api-resources`.

use super::{Command, Ctx};
use crate::engine::api::Kind;
use crate::kubectl::args::{boolf, flag, strf, Flag, FlagKind};
use crate::kubectl::errors::CmdError;
use super::out;

/// The kubeconfig context (and cluster and user) of the simulated cluster.
pub const CONTEXT: &str = "kubarium";
pub const VERSION: &str = "v1.36.0";
/// The kustomize kubectl 1.36 embeds.
const KUSTOMIZE_VERSION: &str = "v5.7.1";

pub fn version_flags() -> Vec<Flag> {
    vec![boolf("client"), flag("output", Some('o'), FlagKind::Str)]
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
        Command::new("set-context", "Set a context entry in kubeconfig", "config set-context [NAME | --current] [--cluster=cluster_nickname] [--user=user_nickname] [--namespace=namespace]", set_context_flags, run_set_context),
    ]
}

fn no_flags() -> Vec<Flag> {
    vec![]
}

fn get_contexts_flags() -> Vec<Flag> {
    vec![flag("output", Some('o'), FlagKind::Str), boolf("no-headers")]
}

fn set_context_flags() -> Vec<Flag> {
    vec![boolf("current")]
}

fn run_current_context(ctx: &mut Ctx) -> Result<(), CmdError> {
    ctx.println(CONTEXT);
    Ok(())
}

fn run_get_contexts(ctx: &mut Ctx) -> Result<(), CmdError> {
    if let Some(name) = ctx.f.args.first() {
        if name != CONTEXT {
            return Err(CmdError::msg(format!("context {name} not found")));
        }
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
    vec![flag("output", Some('o'), FlagKind::Str), boolf("namespaced").with_no_opt("true"), boolf("no-headers"), strf("api-group"), strf("sort-by"), flag("verbs", None, FlagKind::StrSlice), boolf("cached")]
}

pub fn run_api_resources(ctx: &mut Ctx) -> Result<(), CmdError> {
    let mut kinds: Vec<Kind> = Kind::ALL.to_vec();
    if let Some(g) = ctx.f.str("api-group") {
        kinds.retain(|k| k.info().group == g);
    }
    if ctx.f.changed("namespaced") {
        let want = ctx.f.bool("namespaced");
        kinds.retain(|k| k.namespaced() == want);
    }
    // kubectl sorts by group, then by resource name
    kinds.sort_by_key(|k| (k.info().group, k.info().plural));
    if ctx.f.str("output") == Some("name") {
        for k in kinds {
            let i = k.info();
            ctx.println(&if i.group.is_empty() { i.plural.to_string() } else { format!("{}.{}", i.plural, i.group) });
        }
        return Ok(());
    }
    let mut rows = vec![];
    if !ctx.f.bool("no-headers") {
        rows.push(["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"].iter().map(|s| s.to_string()).collect());
    }
    for k in kinds {
        let i = k.info();
        rows.push(vec![i.plural.to_string(), i.short_names.join(","), i.api_version(), k.namespaced().to_string(), i.kind.to_string()]);
    }
    let text = out::table(&rows);
    ctx.print(&text);
    Ok(())
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
}
