//! `kubectl scale` (pkg/cmd/scale): writes spec.replicas through the scale
//! subresource of Deployments, ReplicaSets and StatefulSets.

use super::Ctx;
use super::resources::{BuildOpts, select};
use super::wait::{Waited, wait_until};
use crate::engine::api::*;
use crate::engine::apiserver::{ApiError, Reason};
use crate::kubectl::args::{Flag, FlagKind, boolf, flag, strf};
use crate::kubectl::errors::CmdError;

pub fn flags() -> Vec<Flag> {
    vec![
        flag("replicas", None, FlagKind::Int),
        flag("current-replicas", None, FlagKind::Int),
        strf("resource-version"),
        flag("selector", Some('l'), FlagKind::Str),
        boolf("all"),
        flag("filename", Some('f'), FlagKind::StrSlice),
        boolf("recursive").with_short('R'),
        flag("timeout", None, FlagKind::Duration),
        flag("output", Some('o'), FlagKind::Str),
        strf("dry-run").with_no_opt("unchanged"),
        flag("kustomize", Some('k'), FlagKind::Str),
    ]
}

/// The scale subresource: (spec replicas, status replicas) of a scalable object.
pub fn replicas_of(o: &Object) -> Option<(i32, i32)> {
    match o {
        Object::Deployment(d) => Some((d.spec.replicas.unwrap_or(1), d.status.replicas)),
        Object::ReplicaSet(r) => Some((r.spec.replicas.unwrap_or(1), r.status.replicas)),
        Object::StatefulSet(s) => Some((s.spec.replicas.unwrap_or(1), s.status.replicas)),
        _ => None,
    }
}

pub fn with_replicas(o: &Object, n: i32) -> Option<Object> {
    let mut o = o.clone();
    match &mut o {
        Object::Deployment(d) => d.spec.replicas = Some(n),
        Object::ReplicaSet(r) => r.spec.replicas = Some(n),
        Object::StatefulSet(s) => s.spec.replicas = Some(n),
        _ => return None,
    }
    Some(o)
}

pub fn run(ctx: &mut Ctx) -> Result<(), CmdError> {
    if !ctx.f.changed("replicas") {
        return Err(CmdError::msg("required flag(s) \"replicas\" not set"));
    }
    let replicas = ctx.f.int("replicas").unwrap_or(-1);
    if replicas < 0 {
        return Err(CmdError::msg("The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0"));
    }
    let current = ctx.f.int("current-replicas").unwrap_or(-1);
    if current < -1 {
        return Err(CmdError::msg("The --current-replicas must specify an integer of -1 or greater"));
    }
    let mut opts = BuildOpts::from_ctx(ctx);
    opts.allow_empty_selector = opts.all;
    let sel = select(ctx, &opts)?;
    if ctx.f.changed("resource-version") && sel.items.len() > 1 {
        return Err(CmdError::msg("cannot use --resource-version with multiple resources"));
    }
    if sel.items.is_empty() {
        if !sel.errors.is_empty() {
            return Err(CmdError::Many(sel.errors));
        }
        return Err(CmdError::msg("no objects passed to scale"));
    }
    let dry = ctx.f.str("dry-run").is_some_and(|d| d != "none");
    let timeout = ctx.f.duration("timeout").unwrap_or(0);
    for it in &sel.items {
        let live = ctx.api().get(it.kind, &it.namespace, &it.name).map_err(CmdError::Api)?;
        let Some((spec, _)) = replicas_of(&live) else {
            return Err(CmdError::Api(ApiError::new(Reason::NotFound, "the server could not find the requested resource")));
        };
        if current >= 0 && spec as i64 != current {
            return Err(CmdError::msg(format!("Expected replicas to be {current}, was {spec}")));
        }
        if let Some(rv) = ctx.f.str("resource-version") {
            if rv != live.meta().resource_version {
                return Err(CmdError::msg(format!("Expected resource version to be {rv}, was {}", live.meta().resource_version)));
            }
        }
        if !dry {
            let obj = with_replicas(&live, replicas as i32).expect("scalable kind");
            ctx.cluster().update(obj).map_err(CmdError::Api)?;
            if timeout > 0 {
                let (kind, ns, name) = (it.kind, it.namespace.clone(), it.name.clone());
                let deadline = ctx.cluster().now().0 + timeout;
                let synced = |c: &crate::engine::cluster::Cluster| -> Result<bool, CmdError> {
                    let o = c.api.get(kind, &ns, &name).map_err(CmdError::Api)?;
                    Ok(replicas_of(&o).is_some_and(|(_, status)| status as i64 == replicas))
                };
                if wait_until(ctx.cluster(), deadline, synced)? != Waited::Met {
                    return Err(CmdError::msg(format!("timed out waiting for {:?} to be synced", it.name)));
                }
            }
        }
        let op = if dry { "scaled (dry run)" } else { "scaled" };
        super::apply::print_name(ctx, it.kind, &it.name, op);
    }
    if sel.errors.is_empty() { Ok(()) } else { Err(CmdError::Many(sel.errors)) }
}

#[cfg(test)]
mod tests {
    use crate::engine::api::StatefulSet;
    use crate::kubectl::commands::testutil::{run, run_in};
    use crate::kubectl::session::Session;

    #[test]
    fn scales() {
        let mut s = Session::new(1);
        run_in(
            &mut s,
            "kubectl apply -f -",
            "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: web\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: c\n        image: nginx\n",
        );
        assert_eq!(run(&mut s, "kubectl scale statefulset web --replicas=5"), ("statefulset.apps/web scaled\n".into(), 0));
        assert_eq!(s.cluster.get::<StatefulSet>("default", "web").unwrap().spec.replicas, Some(5));
        assert_eq!(run(&mut s, "kubectl scale sts/web --replicas=2 --current-replicas=3").0, "error: Expected replicas to be 3, was 5\n");
        assert_eq!(run(&mut s, "kubectl scale sts web").0, "error: required flag(s) \"replicas\" not set\n");
        assert_eq!(run(&mut s, "kubectl scale sts nope --replicas=1").0, "Error from server (NotFound): statefulsets.apps \"nope\" not found\n");
    }
}
