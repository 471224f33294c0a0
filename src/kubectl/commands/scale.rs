//! `kubectl scale` (pkg/cmd/scale): writes spec.replicas through the scale
//! subresource of Deployments, ReplicaSets and StatefulSets.

use super::Ctx;
use super::resources::{BuildOpts, select};
use super::wait::{WaitLoop, wait_failed};
use crate::engine::api::*;
use crate::engine::apiserver::{ApiError, Reason};
use crate::engine::time::Millis;
use crate::kubectl::args::{Flag, FlagKind, boolf, flag, strf};
use crate::kubectl::errors::CmdError;
use crate::kubectl::session::{Check, Session, Waiter};

pub fn flags() -> Vec<Flag> {
    const {
        &[
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
    .to_vec()
}

pub use crate::engine::api::scale::{replicas_of, with_replicas};

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
    let w = ScaleWait {
        spec: super::wait::CtxSpec::of(ctx),
        items: sel.items.iter().map(|it| (it.kind, it.namespace.clone(), it.name.clone())).collect(),
        errors: sel.errors,
        at: 0,
        replicas,
        current,
        dry,
        timeout,
        lp: None,
    };
    if timeout > 0 && !dry {
        // Waits for each object's status: goes on in Running::poll.
        ctx.session.wait_with(Box::new(w));
        return Ok(());
    }
    let mut w = w;
    match w.check(ctx.session, ctx.out) {
        Check::Done(r) => r,
        Check::Wait(_) => unreachable!("scale without --timeout does not wait"),
    }
}

/// `kubectl scale`: each object in turn is scaled, then (with --timeout)
/// waited for until its status has the new replicas.
struct ScaleWait {
    spec: super::wait::CtxSpec,
    items: Vec<(Kind, String, String)>,
    errors: Vec<CmdError>,
    at: usize,
    replicas: i64,
    current: i64,
    dry: bool,
    timeout: Millis,
    /// Waiting for the current object's status.
    lp: Option<WaitLoop>,
}

impl Waiter for ScaleWait {
    fn check(&mut self, s: &mut Session, out: &mut String) -> Check {
        match self.step(s, out) {
            Ok(Some(max)) => Check::Wait(max),
            Ok(None) => Check::Done(if self.errors.is_empty() { Ok(()) } else { Err(CmdError::Many(std::mem::take(&mut self.errors))) }),
            Err(e) => Check::Done(Err(e)),
        }
    }
}

impl ScaleWait {
    fn step(&mut self, s: &mut Session, out: &mut String) -> Result<Option<Millis>, CmdError> {
        let mut ctx = self.spec.ctx(s, out);
        while let Some((kind, ns, name)) = self.items.get(self.at).cloned() {
            if let Some(lp) = self.lp.as_mut() {
                let o = ctx.api().get(kind, &ns, &name).map_err(CmdError::Api)?;
                if replicas_of(&o).is_none_or(|(_, status)| status as i64 != self.replicas) {
                    return match lp.tick(ctx.cluster()) {
                        Ok(max) => Ok(Some(max)),
                        Err(end) => {
                            Err(wait_failed(end, CmdError::msg(format!("timed out waiting for {name:?} to be synced")), &format!("the scale of {name:?}")))
                        }
                    };
                }
                self.lp = None;
            } else {
                let live = ctx.api().get(kind, &ns, &name).map_err(CmdError::Api)?;
                let Some((spec, _)) = replicas_of(&live) else {
                    return Err(CmdError::Api(ApiError::new(Reason::NotFound, "the server could not find the requested resource")));
                };
                if self.current >= 0 && spec as i64 != self.current {
                    return Err(CmdError::msg(format!("Expected replicas to be {}, was {spec}", self.current)));
                }
                if let Some(rv) = ctx.f.str("resource-version")
                    && rv != live.meta().resource_version
                {
                    return Err(CmdError::msg(format!("Expected resource version to be {rv}, was {}", live.meta().resource_version)));
                }
                if !self.dry {
                    let obj = with_replicas(&live, self.replicas as i32).expect("scalable kind");
                    ctx.cluster().update(obj).map_err(CmdError::Api)?;
                    if self.timeout > 0 {
                        let deadline = ctx.cluster().now().0.saturating_add(self.timeout);
                        self.lp = Some(WaitLoop::new(ctx.cluster(), deadline));
                        continue;
                    }
                }
            }
            let op = if self.dry { "scaled (dry run)" } else { "scaled" };
            super::apply::print_name(&mut ctx, kind, &name, op);
            self.at += 1;
        }
        Ok(None)
    }
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
