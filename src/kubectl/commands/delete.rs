//! `kubectl delete` (pkg/cmd/delete): cascading strategies, grace periods
//! and --force, and waiting (by default) until the objects are gone.

use super::Ctx;
use super::resources::{BuildOpts, select};
use super::wait::{FOREVER, WaitLoop, wait_failed};
use crate::engine::api::Kind;
use crate::engine::apiserver::{DeleteOptions, Propagation};
use crate::engine::time::Millis;
use crate::kubectl::args::{Flag, FlagKind, boolf, flag, strf};
use crate::kubectl::errors::{CmdError, with_source};
use crate::kubectl::session::{Check, Session, Waiter};

pub fn flags() -> Vec<Flag> {
    const {
        &[
            flag("filename", Some('f'), FlagKind::StrSlice),
            boolf("recursive").with_short('R'),
            flag("selector", Some('l'), FlagKind::Str),
            strf("field-selector"),
            boolf("all"),
            boolf("all-namespaces").with_short('A'),
            strf("cascade").with_no_opt("background"),
            boolf("force"),
            flag("grace-period", None, FlagKind::Int),
            boolf("now"),
            boolf("wait"),
            flag("timeout", None, FlagKind::Duration),
            boolf("ignore-not-found"),
            flag("output", Some('o'), FlagKind::Str),
            strf("dry-run").with_no_opt("unchanged"),
            boolf("interactive").with_short('i'),
            strf("raw"),
            flag("kustomize", Some('k'), FlagKind::Str),
        ]
    }
    .to_vec()
}

/// parseCascadingFlag.
pub fn parse_cascade(ctx: &mut Ctx) -> Result<Propagation, CmdError> {
    match ctx.f.str("cascade").unwrap_or("background") {
        "true" => {
            ctx.print("warning: --cascade=true is deprecated (boolean value) and can be replaced with --cascade=background.\n");
            Ok(Propagation::Background)
        }
        "false" => {
            ctx.print("warning: --cascade=false is deprecated (boolean value) and can be replaced with --cascade=orphan.\n");
            Ok(Propagation::Orphan)
        }
        "background" => Ok(Propagation::Background),
        "foreground" => Ok(Propagation::Foreground),
        "orphan" => Ok(Propagation::Orphan),
        other => Err(CmdError::msg(format!("invalid cascade value ({other}). Must be \"background\", \"foreground\", or \"orphan\"."))),
    }
}

pub fn run(ctx: &mut Ctx) -> Result<(), CmdError> {
    let propagation = parse_cascade(ctx)?;
    let force = ctx.f.bool("force");
    let mut grace = ctx.f.int("grace-period").unwrap_or(-1);
    if ctx.f.bool("now") {
        if grace != -1 {
            return Err(CmdError::msg("--now and --grace-period cannot be specified together"));
        }
        grace = 1;
    }
    if grace == 0 && !force {
        // kubectl turns --grace-period=0 into 1 unless --force is given
        grace = 1;
    }
    if force && grace < 0 {
        grace = 0;
    }
    let output = ctx.f.str("output").unwrap_or("").to_string();
    if !output.is_empty() && output != "name" {
        return Err(CmdError::msg(format!("unexpected -o output mode: {output}. We only support '-o name'")));
    }
    let all = ctx.f.bool("all");
    if all && ctx.f.changed("selector") {
        return Err(CmdError::msg("cannot set --all and --selector at the same time"));
    }
    if all && ctx.f.changed("field-selector") {
        return Err(CmdError::msg("cannot set --all and --field-selector at the same time"));
    }
    if grace == 0 && force {
        ctx.warning("Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.");
    } else if grace > 0 && force {
        return Err(CmdError::msg("--force and --grace-period greater than 0 cannot be specified together"));
    }
    let dry = match ctx.f.str("dry-run") {
        None | Some("none") => "",
        Some("client") | Some("unchanged") => "client",
        Some("server") => "server",
        Some(o) => return Err(CmdError::msg(format!("Invalid dry-run value ({o}). Must be \"none\", \"server\", or \"client\"."))),
    };
    let ignore_nf =
        if ctx.f.changed("ignore-not-found") { ctx.f.bool("ignore-not-found") } else { all || ctx.f.changed("selector") || ctx.f.changed("field-selector") };
    let all_ns = ctx.f.bool("all-namespaces");
    let warn_cluster_scope = ctx.ns_explicit && !all_ns;
    let opts = BuildOpts::from_ctx(ctx);
    let sel = select(ctx, &opts)?;
    for w in super::resources::server_warnings(&sel.kinds) {
        ctx.warning(w);
    }
    let mut errors: Vec<CmdError> = sel.errors.into_iter().filter(|e| !(ignore_nf && e.is_not_found())).collect();
    let mut deleted = vec![];
    let mut warned = false;
    for it in &sel.items {
        let i = it.kind.info();
        let k = i.kind.to_ascii_lowercase();
        let kind_string = if i.group.is_empty() { k } else { format!("{k}.{}", i.group) };
        if warn_cluster_scope && !it.kind.namespaced() && !warned {
            ctx.warning("deleting cluster-scoped resources, not scoped to the provided namespace");
            warned = true;
        }
        let mut op = if grace == 0 { "force deleted".to_string() } else { "deleted".to_string() };
        if it.kind.namespaced() {
            op = format!("{op} from {} namespace", it.namespace);
        }
        match dry {
            "client" => op = format!("{op} (dry run)"),
            "server" => op = format!("{op} (server dry run)"),
            _ => {}
        }
        if dry == "server"
            && let Err(e) = crate::engine::apiserver::admission::validate_delete(it.kind, &it.name)
        {
            errors.push(with_source("deleting", &it.source, CmdError::Api(e)));
            continue;
        }
        if dry.is_empty() {
            let o = DeleteOptions { grace_period: if grace >= 0 { Some(grace) } else { None }, propagation: Some(propagation.clone()), uid: None };
            match ctx.cluster().delete(it.kind, &it.namespace, &it.name, &o) {
                Ok(_) => deleted.push((it.kind, it.namespace.clone(), it.name.clone(), it.obj.meta().uid.clone())),
                Err(e) => {
                    if !(ignore_nf && e.is_not_found()) {
                        errors.push(with_source("deleting", &it.source, CmdError::Api(e)));
                    }
                    continue;
                }
            }
        }
        if output == "name" {
            ctx.println(&format!("{kind_string}/{}", it.name));
        } else {
            ctx.println(&format!("{kind_string} \"{}\" {op}", it.name));
        }
    }
    if !errors.is_empty() {
        return Err(CmdError::Many(errors));
    }
    if sel.items.is_empty() {
        ctx.println("No resources found");
        return Ok(());
    }
    if !ctx.f.bool_or("wait", true) || !dry.is_empty() {
        return Ok(());
    }
    let timeout = ctx.f.duration("timeout").unwrap_or(0);
    let timeout = if timeout <= 0 { FOREVER } else { timeout };
    let deadline = ctx.cluster().now().0.saturating_add(timeout);
    ctx.session.wait_with(Box::new(DeleteWait { deleted, at: 0, deadline, lp: None }));
    Ok(())
}

/// `kubectl delete` waiting for what it deleted to be gone, one look at a time.
struct DeleteWait {
    deleted: Vec<(Kind, String, String, String)>,
    at: usize,
    deadline: Millis,
    lp: Option<WaitLoop>,
}

impl Waiter for DeleteWait {
    fn check(&mut self, s: &mut Session, _out: &mut String) -> Check {
        while let Some((kind, ns, name, uid)) = self.deleted.get(self.at) {
            let gone = match s.cluster.api.get(*kind, ns, name) {
                Err(_) => true,
                Ok(o) => o.meta().uid != *uid,
            };
            if gone {
                self.at += 1;
                self.lp = None;
                continue;
            }
            let deadline = self.deadline;
            return match self.lp.get_or_insert_with(|| WaitLoop::new(&s.cluster, deadline)).tick(&s.cluster) {
                Ok(max) => Check::Wait(max),
                Err(end) => Check::Done(Err(wait_failed(
                    end,
                    CmdError::msg(format!("timed out waiting for the condition on {}/{name}", kind.info().plural)),
                    &format!("the deletion of {}/{name}", kind.info().plural),
                ))),
            };
        }
        Check::Done(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use crate::kubectl::commands::testutil::{run, run_in};
    use crate::kubectl::session::Session;

    #[test]
    fn delete_texts() {
        let mut s = Session::new(1);
        run_in(&mut s, "kubectl apply -f -", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n");
        assert_eq!(run(&mut s, "kubectl delete configmap a"), ("configmap \"a\" deleted from default namespace\n".into(), 0));
        assert_eq!(run(&mut s, "kubectl delete configmap a"), ("Error from server (NotFound): configmaps \"a\" not found\n".into(), 1));
        assert_eq!(run(&mut s, "kubectl delete configmap a --ignore-not-found"), ("No resources found\n".into(), 0));
        assert_eq!(run(&mut s, "kubectl delete configmap -l app=x"), ("No resources found\n".into(), 0));
        assert_eq!(run(&mut s, "kubectl delete configmaps"), ("error: resource(s) were provided, but no name was specified\n".into(), 1));
        assert_eq!(
            run(&mut s, "kubectl delete configmap a --cascade=sideways").0,
            "error: invalid cascade value (sideways). Must be \"background\", \"foreground\", or \"orphan\".\n"
        );
        assert_eq!(
            run(&mut s, "kubectl delete configmap a --force --grace-period=5").0,
            "error: --force and --grace-period greater than 0 cannot be specified together\n"
        );
        run_in(&mut s, "kubectl apply -f -", "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: x\nprovisioner: example.com/x\n");
        assert_eq!(run(&mut s, "kubectl delete sc x"), ("storageclass.storage.k8s.io \"x\" deleted\n".into(), 0));
        run_in(&mut s, "kubectl apply -f -", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n");
        assert_eq!(
            run(&mut s, "kubectl delete cm b --force --grace-period=0"),
            ("Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.\nconfigmap \"b\" force deleted from default namespace\n".into(), 0)
        );
    }
}
