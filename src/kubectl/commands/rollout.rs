//! `kubectl rollout status|history|undo|pause|resume|restart`
//! (pkg/cmd/rollout with polymorphichelpers' status viewers, history
//! viewers, rollbackers, pausers, resumers and restarters).

use super::merge::{apply_json_patch, apply_strategic, deep_eq};
use super::resources::{BuildOpts, Item, select};
use super::wait::{FOREVER, WaitLoop, wait_failed};
use super::{Command, Ctx};
use crate::engine::api::*;
use crate::kubectl::session::{Check, Session, Waiter};

use crate::engine::time::Millis;
use crate::kubectl::args::{Flag, FlagKind, boolf, flag, strf};
use crate::kubectl::errors::CmdError;
use serde_json::Value;

const REVISION: &str = "deployment.kubernetes.io/revision";
const CHANGE_CAUSE: &str = "kubernetes.io/change-cause";
const HASH_LABEL: &str = "pod-template-hash";

pub fn subcommands() -> Vec<Command> {
    vec![
        Command::new("history", "View rollout history", "rollout history (TYPE NAME | TYPE/NAME) [flags]", history_flags, run_history),
        Command::new("pause", "Mark the provided resource as paused", "rollout pause RESOURCE", simple_flags, run_pause),
        Command::new("restart", "Restart a resource", "rollout restart RESOURCE", simple_flags, run_restart),
        Command::new("resume", "Resume a paused resource", "rollout resume RESOURCE", simple_flags, run_resume),
        Command::new("status", "Show the status of the rollout", "rollout status (TYPE NAME | TYPE/NAME) [flags]", status_flags, run_status),
        Command::new("undo", "Undo a previous rollout", "rollout undo (TYPE NAME | TYPE/NAME) [flags]", undo_flags, run_undo),
    ]
}

fn base_flags() -> Vec<Flag> {
    const {
        &[
            flag("filename", Some('f'), FlagKind::StrSlice),
            boolf("recursive").with_short('R'),
            flag("selector", Some('l'), FlagKind::Str),
            flag("kustomize", Some('k'), FlagKind::Str),
            flag("output", Some('o'), FlagKind::Str),
        ]
    }
    .to_vec()
}

fn simple_flags() -> Vec<Flag> {
    let mut v = base_flags();
    v.extend_from_slice(const { &[strf("field-manager"), strf("dry-run").with_no_opt("unchanged")] });
    v
}

fn status_flags() -> Vec<Flag> {
    let mut v = base_flags();
    v.extend_from_slice(const { &[boolf("watch").with_short('w'), flag("revision", None, FlagKind::Int), flag("timeout", None, FlagKind::Duration)] });
    v
}

fn history_flags() -> Vec<Flag> {
    let mut v = base_flags();
    v.push(flag("revision", None, FlagKind::Int));
    v
}

fn undo_flags() -> Vec<Flag> {
    let mut v = base_flags();
    v.extend_from_slice(const { &[flag("to-revision", None, FlagKind::Int), strf("dry-run").with_no_opt("unchanged")] });
    v
}

fn targets(ctx: &Ctx) -> Result<(Vec<Item>, Vec<CmdError>), CmdError> {
    if ctx.f.args.is_empty() && ctx.f.all("filename").is_empty() {
        return Err(CmdError::msg("required resource not specified"));
    }
    let mut opts = BuildOpts::from_ctx(ctx);
    opts.allow_empty_selector = true;
    let sel = select(ctx, &opts)?;
    Ok((sel.items, sel.errors))
}

/// `statefulsets.apps` / `pods`: how rollout errors name a resource.
fn resource_string(kind: Kind) -> String {
    kind.info().qualified_plural()
}

fn group_kind(kind: Kind) -> String {
    let i = kind.info();
    if i.group.is_empty() { i.kind.to_string() } else { format!("{}.{}", i.kind, i.group) }
}

// ---------------------------------------------------------------- status

/// The status viewers: (message, done).
pub fn status_of(o: &Object, revision: i64) -> Result<(String, bool), CmdError> {
    match o {
        Object::Deployment(d) => {
            let name = &d.metadata.name;
            if revision > 0 {
                let rev: i64 = d.metadata.annotation(REVISION).and_then(|r| r.parse().ok()).unwrap_or(0);
                if rev != revision {
                    return Err(CmdError::msg(format!("desired revision ({revision}) is different from the running revision ({rev})")));
                }
            }
            if d.metadata.generation <= d.status.observed_generation {
                if d.status.conditions.iter().any(|c| c.type_ == ConditionType::Progressing && c.reason == "ProgressDeadlineExceeded") {
                    return Err(CmdError::msg(format!("deployment {name:?} exceeded its progress deadline")));
                }
                let s = &d.status;
                if let Some(r) = d.spec.replicas
                    && s.updated_replicas < r
                {
                    return Ok((
                        format!("Waiting for deployment {name:?} rollout to finish: {} out of {r} new replicas have been updated...\n", s.updated_replicas),
                        false,
                    ));
                }
                if s.replicas > s.updated_replicas {
                    return Ok((
                        format!(
                            "Waiting for deployment {name:?} rollout to finish: {} old replicas are pending termination...\n",
                            s.replicas - s.updated_replicas
                        ),
                        false,
                    ));
                }
                if s.available_replicas < s.updated_replicas {
                    return Ok((
                        format!(
                            "Waiting for deployment {name:?} rollout to finish: {} of {} updated replicas are available...\n",
                            s.available_replicas, s.updated_replicas
                        ),
                        false,
                    ));
                }
                return Ok((format!("deployment {name:?} successfully rolled out\n"), true));
            }
            Ok(("Waiting for deployment spec update to be observed...\n".into(), false))
        }
        Object::StatefulSet(s) => {
            let strategy = &s.spec.update_strategy;
            if strategy.type_ != StatefulSetUpdateStrategyType::RollingUpdate {
                return Err(CmdError::msg("rollout status is only available for RollingUpdate strategy type"));
            }
            if s.status.observed_generation == 0 || s.metadata.generation > s.status.observed_generation {
                return Ok(("Waiting for statefulset spec update to be observed...\n".into(), false));
            }
            if let Some(r) = s.spec.replicas
                && s.status.ready_replicas < r
            {
                return Ok((format!("Waiting for {} pods to be ready...\n", r - s.status.ready_replicas), false));
            }
            if let Some(ru) = &strategy.rolling_update {
                if let (Some(r), Some(p)) = (s.spec.replicas, ru.partition)
                    && s.status.updated_replicas < r - p
                {
                    return Ok((
                        format!("Waiting for partitioned roll out to finish: {} out of {} new pods have been updated...\n", s.status.updated_replicas, r - p),
                        false,
                    ));
                }
                return Ok((format!("partitioned roll out complete: {} new pods have been updated...\n", s.status.updated_replicas), true));
            }
            if s.status.update_revision != s.status.current_revision {
                return Ok((
                    format!(
                        "waiting for statefulset rolling update to complete {} pods at revision {}...\n",
                        s.status.updated_replicas, s.status.update_revision
                    ),
                    false,
                ));
            }
            Ok((format!("statefulset rolling update complete {} pods at revision {}...\n", s.status.current_replicas, s.status.current_revision), true))
        }
        // DaemonSetStatusViewer
        Object::Generic(g) if g.kind == Kind::DaemonSet => {
            let (spec, st, name) = (g.field("spec"), g.field("status"), &g.metadata.name);
            if spec["updateStrategy"]["type"] != "RollingUpdate" {
                return Err(CmdError::msg("rollout status is only available for RollingUpdate strategy type"));
            }
            if g.metadata.generation > st["observedGeneration"].as_i64().unwrap_or(0) {
                return Ok(("Waiting for daemon set spec update to be observed...\n".into(), false));
            }
            let n = |k: &str| st[k].as_i64().unwrap_or(0);
            let desired = n("desiredNumberScheduled");
            if n("updatedNumberScheduled") < desired {
                let msg = format!(
                    "Waiting for daemon set {name:?} rollout to finish: {} out of {desired} new pods have been updated...\n",
                    n("updatedNumberScheduled")
                );
                return Ok((msg, false));
            }
            if n("numberAvailable") < desired {
                return Ok((
                    format!("Waiting for daemon set {name:?} rollout to finish: {} of {desired} updated pods are available...\n", n("numberAvailable")),
                    false,
                ));
            }
            Ok((format!("daemon set {name:?} successfully rolled out\n"), true))
        }
        other => Err(CmdError::msg(format!("no status viewer has been implemented for {}", group_kind(other.kind())))),
    }
}

fn run_status(ctx: &mut Ctx) -> Result<(), CmdError> {
    let revision = ctx.f.int("revision").unwrap_or(0);
    if revision < 0 {
        return Err(CmdError::msg(format!("revision must be a positive integer: {revision}")));
    }
    let (items, errs) = targets(ctx)?;
    if let Some(e) = errs.into_iter().next() {
        return Err(e);
    }
    if items.is_empty() {
        let msg = format!("No resources found in {} namespace.\n", ctx.ns);
        ctx.print(&msg);
        return Ok(());
    }
    let watch = ctx.f.bool_or("watch", true);
    let timeout = ctx.f.duration("timeout").unwrap_or(0);
    let items = items.iter().map(|it| (it.kind, it.namespace.clone(), it.name.clone())).collect();
    ctx.session.wait_with(Box::new(StatusWait { items, at: 0, revision, watch, timeout, lp: None, last: None }));
    Ok(())
}

/// `kubectl rollout status`, one look at a time: a status line whenever it
/// changes, until each object's rollout is done.
struct StatusWait {
    items: Vec<(Kind, String, String)>,
    at: usize,
    revision: i64,
    watch: bool,
    timeout: Millis,
    lp: Option<WaitLoop>,
    last: Option<String>,
}

impl Waiter for StatusWait {
    fn check(&mut self, s: &mut Session, out: &mut String) -> Check {
        while let Some((kind, ns, name)) = self.items.get(self.at).cloned() {
            if self.lp.is_none() {
                let now = s.cluster.now().0;
                let deadline = now.saturating_add(if self.timeout > 0 { self.timeout } else { FOREVER });
                self.lp = Some(WaitLoop::new(&s.cluster, deadline));
                self.last = None;
            }
            let o = match s.cluster.api.get(kind, &ns, &name) {
                Ok(o) => o,
                Err(_) => return Check::Done(Err(CmdError::msg("object has been deleted"))),
            };
            let (msg, done) = match status_of(&o, self.revision) {
                Ok(x) => x,
                Err(e) => return Check::Done(Err(e)),
            };
            if self.last.as_deref() != Some(msg.as_str()) {
                out.push_str(&msg);
                self.last = Some(msg);
            }
            if done || !self.watch {
                self.at += 1;
                self.lp = None;
                continue;
            }
            let lp = self.lp.as_mut().expect("a wait loop");
            return match lp.tick(&s.cluster) {
                Ok(max) => Check::Wait(max),
                Err(end) => Check::Done(Err(wait_failed(
                    end,
                    CmdError::msg("timed out waiting for the condition"),
                    &format!("the rollout of {}/{name}", kind.info().plural),
                ))),
            };
        }
        Check::Done(Ok(()))
    }
}

// ---------------------------------------------------------------- history

/// Go's tabwriter as tabbedString configures it (minwidth 0, tabwidth 8,
/// padding 2).
fn tabbed(rows: &[(String, String)]) -> String {
    let mut w = crate::kubectl::tabwriter::TabWriter::new(0, 8, 2, ' ', false);
    let text: String = rows.iter().map(|(a, b)| format!("{a}\t{b}\n")).collect();
    w.write(&text);
    w.finish()
}

fn owned_by<'a, T: Resource>(api: &'a crate::engine::apiserver::Api, owner: &Object) -> Vec<&'a T> {
    let uid = owner.meta().uid.clone();
    let mut v: Vec<&T> = api
        .store
        .dependents(&uid)
        .filter(|r| r.kind == T::KIND)
        .filter_map(|r| api.store.get_ref(r))
        .filter_map(|o| T::from_object(o))
        .filter(|x| x.meta().controller_ref().is_some_and(|c| c.uid == uid))
        .collect();
    crate::engine::sort::sort_by(&mut v, |a, b| a.meta().name.cmp(&b.meta().name));
    v
}

fn rs_revision(rs: &ReplicaSet) -> Option<i64> {
    rs.metadata.annotation(REVISION).and_then(|v| v.parse().ok())
}

/// revision -> change cause, for a Deployment's ReplicaSets or a
/// StatefulSet's ControllerRevisions.
fn history(ctx: &Ctx, o: &Object) -> Result<Vec<(i64, String)>, CmdError> {
    let api = ctx.api();
    let mut h: Vec<(i64, String)> = match o {
        Object::Deployment(_) => owned_by::<ReplicaSet>(api, o)
            .into_iter()
            .filter_map(|rs| rs_revision(rs).map(|r| (r, rs.metadata.annotation(CHANGE_CAUSE).unwrap_or("").to_string())))
            .collect(),
        Object::StatefulSet(_) => {
            owned_by::<ControllerRevision>(api, o).into_iter().map(|cr| (cr.revision, cr.metadata.annotation(CHANGE_CAUSE).unwrap_or("").to_string())).collect()
        }
        Object::Generic(g) if g.kind == Kind::DaemonSet => {
            owned_by::<ControllerRevision>(api, o).into_iter().map(|cr| (cr.revision, cr.metadata.annotation(CHANGE_CAUSE).unwrap_or("").to_string())).collect()
        }
        other => return Err(CmdError::msg(format!("no history viewer has been implemented for {:?}", group_kind(other.kind())))),
    };
    crate::engine::sort::sort_by_key(&mut h, |(r, _)| *r);
    h.dedup_by_key(|(r, _)| *r);
    Ok(h)
}

fn run_history(ctx: &mut Ctx) -> Result<(), CmdError> {
    let revision = ctx.f.int("revision").unwrap_or(0);
    if revision < 0 {
        return Err(CmdError::msg(format!("revision must be a positive integer: {revision}")));
    }
    let (items, errs) = targets(ctx)?;
    if let Some(e) = errs.into_iter().next() {
        return Err(e);
    }
    for it in &items {
        let h = history(ctx, &it.obj)?;
        let text = if h.is_empty() {
            "No rollout history found.".to_string()
        } else if revision > 0 {
            if !h.iter().any(|(r, _)| *r == revision) {
                return Err(CmdError::msg("unable to find the specified revision"));
            }
            return Err(CmdError::msg(
                "showing the pod template of one revision (--revision) is not simulated by Kubarium yet; `kubectl rollout history` without --revision lists the revisions",
            ));
        } else {
            let mut rows = vec![("REVISION".to_string(), "CHANGE-CAUSE".to_string())];
            rows.extend(h.into_iter().map(|(r, c)| (r.to_string(), if c.is_empty() { "<none>".into() } else { c })));
            tabbed(&rows)
        };
        super::apply::print_name(ctx, it.kind, &it.name, &format!("\n{text}"));
    }
    Ok(())
}

// ---------------------------------------------------------------- undo

fn template_without_hash(t: &PodTemplateSpec) -> PodTemplateSpec {
    let mut t = t.clone();
    t.metadata.labels.remove(HASH_LABEL);
    t
}

fn run_undo(ctx: &mut Ctx) -> Result<(), CmdError> {
    let to = ctx.f.int("to-revision").unwrap_or(0);
    let dry = ctx.f.str("dry-run").is_some_and(|d| d != "none");
    let (items, errs) = targets(ctx)?;
    if let Some(e) = errs.into_iter().next() {
        return Err(e);
    }
    for it in &items {
        let live = ctx.api().get(it.kind, &it.namespace, &it.name).map_err(CmdError::Api)?;
        if live.meta().annotations.contains_key(super::apply::LAST_APPLIED) {
            ctx.print(&format!(
                "Warning: resource {}/{} was previously managed with 'kubectl apply'. Rolling back will not update the {} annotation, which may cause unexpected behavior on future 'kubectl apply' operations. Consider using 'kubectl apply' with your previous configuration file instead.\n",
                it.kind.info().plural,
                it.name,
                super::apply::LAST_APPLIED
            ));
        }
        if to < 0 {
            return Err(CmdError::msg(format!("unable to find specified revision {to} in history")));
        }
        let result = match &*live {
            Object::Deployment(d) => undo_deployment(ctx, d, &live, to, dry)?,
            Object::StatefulSet(_) => undo_statefulset(ctx, &live, to, dry)?,
            Object::Generic(g) if g.kind == Kind::DaemonSet => undo_statefulset(ctx, &live, to, dry)?,
            other => return Err(CmdError::msg(format!("no rollbacker has been implemented for {:?}", group_kind(other.kind())))),
        };
        super::apply::print_name(ctx, it.kind, &it.name, &result);
    }
    Ok(())
}

fn undo_deployment(ctx: &mut Ctx, d: &Deployment, live: &Object, to: i64, dry: bool) -> Result<String, CmdError> {
    let rss: Vec<ReplicaSet> = owned_by::<ReplicaSet>(ctx.api(), live).into_iter().cloned().collect();
    let target = if to > 0 {
        rss.iter().find(|rs| rs_revision(rs) == Some(to)).cloned().ok_or_else(|| CmdError::msg(format!("unable to find specified revision {to} in history")))?
    } else {
        let mut revs: Vec<(i64, &ReplicaSet)> = rss.iter().filter_map(|rs| rs_revision(rs).map(|r| (r, rs))).collect();
        crate::engine::sort::sort_by_key(&mut revs, |(r, _)| *r);
        if revs.len() < 2 {
            return Err(CmdError::msg(format!("no rollout history found for deployment {:?}", d.metadata.name)));
        }
        revs[revs.len() - 2].1.clone()
    };
    let target_rev = rs_revision(&target).unwrap_or(to);
    if dry {
        return Err(CmdError::msg("--dry-run=client for rollout undo prints the pod template, which Kubarium does not simulate yet"));
    }
    if d.spec.paused {
        return Err(CmdError::msg("you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again"));
    }
    if template_without_hash(&target.spec.template) == template_without_hash(&d.spec.template) {
        return Ok(format!("skipped rollback (current template already matches revision {target_rev})"));
    }
    let skip = [
        super::apply::LAST_APPLIED,
        REVISION,
        "deployment.kubernetes.io/revision-history",
        "deployment.kubernetes.io/desired-replicas",
        "deployment.kubernetes.io/max-replicas",
        "deprecated.deployment.rollback.to",
    ];
    let mut annotations = serde_json::Map::new();
    for k in skip {
        if let Some(v) = d.metadata.annotation(k) {
            annotations.insert(k.into(), Value::String(v.into()));
        }
    }
    for (k, v) in &target.metadata.annotations {
        if !skip.contains(&k.as_str()) {
            annotations.insert(k.clone(), Value::String(v.clone()));
        }
    }
    let template = crate::engine::api::to_json(&template_without_hash(&target.spec.template));
    let patch = serde_json::json!([
        {"op": "replace", "path": "/spec/template", "value": template},
        {"op": "replace", "path": "/metadata/annotations", "value": annotations},
    ]);
    let patched = apply_json_patch(&live.to_value(), &patch).map_err(|e| CmdError::msg(format!("failed restoring revision {to}: {e}")))?;
    let obj = super::apply::decode_strict(Kind::Deployment, &patched).map_err(|e| CmdError::msg(format!("failed restoring revision {to}: {}", e.message)))?;
    ctx.cluster().update(obj).map_err(|e| CmdError::msg(format!("failed restoring revision {to}: {}", e.message)))?;
    Ok("rolled back".into())
}

/// The StatefulSet and DaemonSet rollbackers: the revision's template
/// patched onto the object.
fn undo_statefulset(ctx: &mut Ctx, live: &Object, to: i64, dry: bool) -> Result<String, CmdError> {
    let mut hist: Vec<ControllerRevision> = owned_by::<ControllerRevision>(ctx.api(), live).into_iter().cloned().collect();
    crate::engine::sort::sort_by_key(&mut hist, |h| h.revision);
    if to == 0 && hist.len() <= 1 {
        return Err(CmdError::msg("no last revision to roll back to"));
    }
    let target = if to == 0 {
        hist[hist.len() - 2].clone()
    } else {
        hist.iter().find(|h| h.revision == to).cloned().ok_or_else(|| CmdError::msg(format!("unable to find specified revision {to} in history")))?
    };
    if dry {
        return Err(CmdError::msg("--dry-run=client for rollout undo prints the pod template, which Kubarium does not simulate yet"));
    }
    let current = live.to_value();
    let mut template = current.get("spec").and_then(|s| s.get("template")).cloned().unwrap_or(Value::Null);
    if let Some(t) = template.as_object_mut() {
        t.insert("$patch".into(), Value::String("replace".into()));
    }
    let own_patch = serde_json::json!({"spec": {"template": template}});
    // Go encodes the template's zero creationTimestamp as null: compare without nulls
    if deep_eq(&without_nulls(&own_patch), &without_nulls(&target.data)) {
        return Ok(format!("skipped rollback (current template already matches revision {})", target.revision));
    }
    let kind = live.kind();
    let patched = apply_strategic(kind, &current, &target.data).map_err(|e| CmdError::msg(format!("failed restoring revision {to}: {e}")))?;
    let obj = super::apply::decode_strict(kind, &patched).map_err(|e| CmdError::msg(format!("failed restoring revision {to}: {}", e.message)))?;
    ctx.cluster().update(obj).map_err(|e| CmdError::msg(format!("failed restoring revision {to}: {}", e.message)))?;
    Ok("rolled back".into())
}

fn without_nulls(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(crate::engine::sort::json_from(m.iter().filter(|(_, x)| !x.is_null()).map(|(k, x)| (k.clone(), without_nulls(x))))),
        Value::Array(a) => Value::Array(a.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

// ---------------------------------------------------------------- pause, resume, restart

/// Runs a change on each target as the `set.CalculatePatches` commands do.
fn each(
    ctx: &mut Ctx,
    change: fn(&mut Object, now: crate::engine::time::Time) -> Result<bool, String>,
    done: &str,
    unchanged: Option<&str>,
) -> Result<(), CmdError> {
    let (items, mut errs) = targets(ctx)?;
    if items.is_empty() && errs.is_empty() {
        let msg = format!("No resources found in {} namespace.\n", ctx.ns);
        ctx.print(&msg);
        return Ok(());
    }
    let dry = ctx.f.str("dry-run").is_some_and(|d| d != "none");
    for it in &items {
        let mut obj = (*it.obj).clone();
        let now = ctx.api().now;
        match change(&mut obj, now) {
            Err(e) => errs.push(CmdError::msg(format!("error: {} {:?} {e}", resource_string(it.kind), it.name))),
            Ok(false) => match unchanged {
                Some(op) => super::apply::print_name(ctx, it.kind, &it.name, op),
                None => errs.push(CmdError::msg(format!("failed to create patch for {}: if restart has already been triggered within the past second, please wait before attempting to trigger another", it.name))),
            },
            Ok(true) => {
                if !dry
                    && let Err(e) = ctx.cluster().update(obj) {
                        errs.push(CmdError::msg(format!("failed to patch: {}", e.message)));
                        continue;
                    }
                let op = if dry { format!("{done} (dry run)") } else { done.to_string() };
                super::apply::print_name(ctx, it.kind, &it.name, &op);
            }
        }
    }
    if errs.is_empty() { Ok(()) } else { Err(CmdError::Many(errs)) }
}

fn pause(o: &mut Object, _: crate::engine::time::Time) -> Result<bool, String> {
    match o {
        Object::Deployment(d) => {
            if d.spec.paused {
                return Err("is already paused".into());
            }
            d.spec.paused = true;
            Ok(true)
        }
        _ => Err("pausing is not supported".into()),
    }
}

fn resume(o: &mut Object, _: crate::engine::time::Time) -> Result<bool, String> {
    match o {
        Object::Deployment(d) => {
            if !d.spec.paused {
                return Err("is not paused".into());
            }
            d.spec.paused = false;
            Ok(true)
        }
        _ => Err("resuming is not supported".into()),
    }
}

fn restart(o: &mut Object, now: crate::engine::time::Time) -> Result<bool, String> {
    let template = match o {
        Object::Deployment(d) => {
            if d.spec.paused {
                return Err("can't restart paused deployment (run rollout resume first)".into());
            }
            &mut d.spec.template
        }
        Object::StatefulSet(s) => &mut s.spec.template,
        Object::Generic(g) if g.kind == Kind::DaemonSet => {
            let stamp = serde_json::json!(now.rfc3339());
            let Some(t) = g.body.get_mut("spec").and_then(|s| s.get_mut("template")).filter(|t| t.is_object()) else {
                return Err("restarting is not supported".into());
            };
            let ann = &mut t["metadata"]["annotations"];
            if ann.is_null() {
                *ann = serde_json::json!({});
            }
            let prev = ann.as_object_mut().and_then(|m| m.insert("kubectl.kubernetes.io/restartedAt".into(), stamp.clone()));
            return Ok(prev.as_ref() != Some(&stamp));
        }
        _ => return Err("restarting is not supported".into()),
    };
    let stamp = now.rfc3339();
    let prev = template.metadata.annotations.insert("kubectl.kubernetes.io/restartedAt".into(), stamp.clone());
    Ok(prev.as_deref() != Some(stamp.as_str()))
}

fn run_pause(ctx: &mut Ctx) -> Result<(), CmdError> {
    each(ctx, pause, "paused", Some("already paused"))
}

fn run_resume(ctx: &mut Ctx) -> Result<(), CmdError> {
    each(ctx, resume, "resumed", Some("already resumed"))
}

fn run_restart(ctx: &mut Ctx) -> Result<(), CmdError> {
    each(ctx, restart, "restarted", None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubectl::commands::testutil::{run, run_in};
    use crate::kubectl::session::Session;

    #[test]
    fn statefulset_status_texts() {
        let mut s = StatefulSet::default();
        s.metadata.name = "web".into();
        s.metadata.generation = 1;
        s.spec.replicas = Some(3);
        s.spec.update_strategy = StatefulSetUpdateStrategy {
            type_: "RollingUpdate".into(),
            rolling_update: Some(RollingUpdateStatefulSetStrategy { partition: Some(0), max_unavailable: None }),
        };
        assert_eq!(status_of(&Object::StatefulSet(s.clone()), 0).unwrap(), ("Waiting for statefulset spec update to be observed...\n".into(), false));
        s.status.observed_generation = 1;
        s.status.ready_replicas = 1;
        assert_eq!(status_of(&Object::StatefulSet(s.clone()), 0).unwrap(), ("Waiting for 2 pods to be ready...\n".into(), false));
        s.status.ready_replicas = 3;
        s.status.updated_replicas = 2;
        assert_eq!(
            status_of(&Object::StatefulSet(s.clone()), 0).unwrap(),
            ("Waiting for partitioned roll out to finish: 2 out of 3 new pods have been updated...\n".into(), false)
        );
        s.status.updated_replicas = 3;
        assert_eq!(status_of(&Object::StatefulSet(s.clone()), 0).unwrap(), ("partitioned roll out complete: 3 new pods have been updated...\n".into(), true));
        s.spec.update_strategy.type_ = StatefulSetUpdateStrategyType::OnDelete;
        assert!(status_of(&Object::StatefulSet(s), 0).is_err());
    }

    #[test]
    fn deployment_status_texts() {
        let mut d = Deployment::default();
        d.metadata.name = "pg".into();
        d.metadata.generation = 2;
        d.spec.replicas = Some(1);
        d.status.observed_generation = 1;
        assert_eq!(status_of(&Object::Deployment(d.clone()), 0).unwrap().0, "Waiting for deployment spec update to be observed...\n");
        d.status.observed_generation = 2;
        assert_eq!(
            status_of(&Object::Deployment(d.clone()), 0).unwrap().0,
            "Waiting for deployment \"pg\" rollout to finish: 0 out of 1 new replicas have been updated...\n"
        );
        d.status.updated_replicas = 1;
        d.status.replicas = 2;
        assert_eq!(
            status_of(&Object::Deployment(d.clone()), 0).unwrap().0,
            "Waiting for deployment \"pg\" rollout to finish: 1 old replicas are pending termination...\n"
        );
        d.status.replicas = 1;
        assert_eq!(
            status_of(&Object::Deployment(d.clone()), 0).unwrap().0,
            "Waiting for deployment \"pg\" rollout to finish: 0 of 1 updated replicas are available...\n"
        );
        d.status.available_replicas = 1;
        assert_eq!(status_of(&Object::Deployment(d.clone()), 0).unwrap(), ("deployment \"pg\" successfully rolled out\n".into(), true));
    }

    #[test]
    fn history_table() {
        assert_eq!(tabbed(&[("REVISION".into(), "CHANGE-CAUSE".into()), ("1".into(), "<none>".into())]), "REVISION  CHANGE-CAUSE\n1         <none>\n");
    }

    #[test]
    fn pause_resume_restart() {
        let mut s = Session::new(1);
        run_in(
            &mut s,
            "kubectl apply -f -",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: pg\nspec:\n  selector:\n    matchLabels:\n      app: pg\n  template:\n    metadata:\n      labels:\n        app: pg\n    spec:\n      containers:\n      - name: c\n        image: postgres:14\n",
        );
        assert_eq!(run(&mut s, "kubectl rollout pause deployment/pg"), ("deployment.apps/pg paused\n".into(), 0));
        assert_eq!(run(&mut s, "kubectl rollout pause deployment/pg").0, "error: deployments.apps \"pg\" is already paused\n");
        assert_eq!(
            run(&mut s, "kubectl rollout restart deployment/pg").0,
            "error: deployments.apps \"pg\" can't restart paused deployment (run rollout resume first)\n"
        );
        assert_eq!(run(&mut s, "kubectl rollout resume deployment/pg"), ("deployment.apps/pg resumed\n".into(), 0));
        assert_eq!(run(&mut s, "kubectl rollout restart deployment/pg"), ("deployment.apps/pg restarted\n".into(), 0));
        assert_eq!(
            run(&mut s, "kubectl rollout restart deployment/pg").0,
            "error: failed to create patch for pg: if restart has already been triggered within the past second, please wait before attempting to trigger another\n"
        );
        let d = s.cluster.get::<Deployment>("default", "pg").unwrap();
        assert_eq!(d.spec.template.metadata.annotations["kubectl.kubernetes.io/restartedAt"], s.cluster.now().rfc3339());
        assert_eq!(run(&mut s, "kubectl rollout status").0, "error: required resource not specified\n");
    }
}
