//! `kubectl wait` (pkg/cmd/wait): --for=create|delete|condition=...|jsonpath=...,
//! and the simulated-time loop every waiting command shares: let the
//! cluster run, timer by timer, until a condition holds or the deadline
//! passes.

use super::Ctx;
use super::get::relaxed_jsonpath;
use super::merge::go_sprint;
use super::out;
use super::resources::{BuildOpts, select};
use crate::engine::api::*;
use crate::engine::cluster::{Cluster, SETTLE_LIMIT};
use crate::engine::time::{HOUR, MAX_ADVANCE, Millis};
use crate::kubectl::args::{Flag, FlagKind, boolf, flag, strf};
use crate::kubectl::errors::CmdError;
use crate::kubectl::session::{Check, Session, Waiter};
use serde_json::Value;

/// kubectl's "forever": a week.
pub const FOREVER: Millis = 168 * HOUR;

/// How a wait ended.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Waited {
    Met,
    TimedOut,
    /// Nothing was going to change: the cluster had been idle for a long
    /// stretch of a wait without a bound (kubectl would wait indefinitely).
    Idle,
    /// A week passed ([`MAX_ADVANCE`], kubectl's own forever) and the
    /// timeout asked for is longer: the simulator stops there.
    Capped,
}

/// The loop every waiting command shares, one look at a time: after the
/// condition was found not to hold, whether the wait is over (timed out,
/// idle, capped) or how far the cluster may step before the next look.
#[derive(Clone, Debug)]
pub struct WaitLoop {
    deadline: Millis,
    unbounded: bool,
    /// No wait goes on for more than a week of simulated time.
    cap: Millis,
    idle_since: Option<Millis>,
}

impl WaitLoop {
    pub fn new(cluster: &Cluster, deadline: Millis) -> WaitLoop {
        let now = cluster.now().0;
        WaitLoop { deadline, unbounded: deadline.saturating_sub(now) >= FOREVER, cap: now.saturating_add(MAX_ADVANCE), idle_since: None }
    }

    /// The condition does not hold (yet): Err(how the wait ended), or
    /// Ok(how far the cluster may step).
    pub fn tick(&mut self, cluster: &Cluster) -> Result<Millis, Waited> {
        let now = cluster.now().0;
        if now >= self.deadline {
            return Err(Waited::TimedOut);
        }
        if now >= self.cap {
            return Err(Waited::Capped);
        }
        if self.unbounded {
            if cluster.busy() {
                self.idle_since = None;
            } else {
                let since = *self.idle_since.get_or_insert(now);
                if now - since >= SETTLE_LIMIT {
                    return Err(Waited::Idle);
                }
            }
        }
        Ok(self.deadline.min(self.cap) - now)
    }
}

/// Lets simulated time pass until `cond` holds or `deadline` (absolute,
/// in simulated ms) passes, in one go (a command that cannot hand its wait
/// to [`crate::kubectl::session::Running`]: `exec` and `logs` looking for
/// a pod). `cond` is checked before any time passes and after every step.
pub fn wait_until(cluster: &mut Cluster, deadline: Millis, mut cond: impl FnMut(&Cluster) -> Result<bool, CmdError>) -> Result<Waited, CmdError> {
    let mut w = WaitLoop::new(cluster, deadline);
    loop {
        if cond(cluster)? {
            return Ok(Waited::Met);
        }
        match w.tick(cluster) {
            Err(end) => return Ok(end),
            Ok(max) => {
                cluster.step(max);
            }
        }
    }
}

/// The text for a wait kubectl would never finish.
pub fn idle_error(what: &str) -> CmdError {
    CmdError::msg(format!(
        "the cluster has been idle for {} and {what} still does not hold; kubectl would wait indefinitely here (pass --timeout to bound the wait)",
        crate::engine::time::go_duration(SETTLE_LIMIT)
    ))
}

/// The text for a wait that reached the simulator's week.
pub fn capped_error(what: &str) -> CmdError {
    CmdError::msg(format!(
        "{what} still does not hold after {}, the longest the simulator waits for one command; kubectl would go on waiting until its --timeout",
        crate::engine::time::go_duration(MAX_ADVANCE)
    ))
}

/// The end of a wait that did not succeed, as the command words it.
pub fn wait_failed(end: Waited, timed_out: CmdError, what: &str) -> CmdError {
    match end {
        Waited::Idle => idle_error(what),
        Waited::Capped => capped_error(what),
        _ => timed_out,
    }
}

pub fn flags() -> Vec<Flag> {
    const {
        &[
            flag("for", None, FlagKind::StrArray),
            flag("timeout", None, FlagKind::Duration),
            flag("selector", Some('l'), FlagKind::Str),
            strf("field-selector"),
            boolf("all"),
            boolf("all-namespaces").with_short('A'),
            flag("filename", Some('f'), FlagKind::StrSlice),
            boolf("recursive").with_short('R'),
            flag("output", Some('o'), FlagKind::Str),
            boolf("local"),
        ]
    }
    .to_vec()
}

#[derive(Clone, Debug)]
enum Cond {
    Create,
    Delete,
    Condition { name: String, status: String },
    JsonPath { expr: String, value: Option<String> },
}

/// splitJSONPathInput: split on single '=', keeping '=='.
fn split_jsonpath_input(input: &str) -> Vec<String> {
    let b: Vec<char> = input.chars().collect();
    let mut out = vec![];
    let mut cur = String::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == '=' {
            if i + 1 < b.len() && b[i + 1] == '=' {
                cur.push_str("==");
                i += 2;
                continue;
            }
            out.push(std::mem::take(&mut cur));
            i += 1;
            continue;
        }
        cur.push(b[i]);
        i += 1;
    }
    out.push(cur);
    out
}

fn parse_conditions(fors: &[String]) -> Result<Vec<Cond>, CmdError> {
    let mut out = vec![];
    for c in fors {
        let lower = c.to_lowercase();
        if lower == "delete" {
            out.push(Cond::Delete);
        } else if lower == "create" {
            out.push(Cond::Create);
        } else if let Some(rest) = c.strip_prefix("condition=") {
            let (name, status) = match rest.split_once('=') {
                Some((n, v)) => (n.to_string(), v.to_string()),
                None => (rest.to_string(), "true".to_string()),
            };
            out.push(Cond::Condition { name, status });
        } else if let Some(rest) = c.strip_prefix("jsonpath=") {
            let parts = split_jsonpath_input(rest);
            if parts.is_empty() || parts.len() > 2 {
                return Err(CmdError::msg(
                    "jsonpath wait format must be --for=jsonpath='{.status.readyReplicas}'=3 or --for=jsonpath='{.status.readyReplicas}'",
                ));
            }
            let expr = relaxed_jsonpath(&parts[0])?;
            if expr.is_empty() {
                return Err(CmdError::msg("jsonpath expression cannot be empty"));
            }
            let value = match parts.get(1) {
                None => None,
                Some(v) => {
                    let v = v.trim_matches(|c| c == '\'' || c == '"').to_string();
                    if v.is_empty() {
                        return Err(CmdError::msg("jsonpath wait has to have a value after equal sign, like --for=jsonpath='{.status.readyReplicas}'=3"));
                    }
                    Some(v)
                }
            };
            out.push(Cond::JsonPath { expr, value });
        } else {
            return Err(CmdError::msg(format!("unrecognized condition: {c:?}")));
        }
    }
    if out.is_empty() {
        return Err(CmdError::msg(format!("unrecognized condition: [{}]", fors.join(" "))));
    }
    Ok(out)
}

/// ConditionalWait.checkCondition.
pub fn condition_holds(obj: &Value, name: &str, status: &str) -> bool {
    let Some(conds) = obj.get("status").and_then(|s| s.get("conditions")).and_then(|c| c.as_array()) else { return false };
    for c in conds {
        let Some(t) = c.get("type").and_then(|t| t.as_str()) else { continue };
        if !t.eq_ignore_ascii_case(name) {
            continue;
        }
        let Some(s) = c.get("status").and_then(|s| s.as_str()) else { continue };
        if let Some(generation) = obj.get("metadata").and_then(|m| m.get("generation")).and_then(|g| g.as_i64()) {
            let observed = c
                .get("observedGeneration")
                .and_then(|g| g.as_i64())
                .or_else(|| obj.get("status").and_then(|s| s.get("observedGeneration")).and_then(|g| g.as_i64()));
            if observed.is_some_and(|o| o < generation) {
                return false;
            }
        }
        return s.eq_ignore_ascii_case(status);
    }
    false
}

/// JSONPathWait.checkCondition.
fn jsonpath_holds(obj: &Value, expr: &str, value: &Option<String>) -> Result<bool, CmdError> {
    let results = out::jsonpath_find(expr, obj).map_err(CmdError::Msg)?;
    if results.is_empty() || results[0].is_empty() {
        return Ok(false);
    }
    if results.len() > 1 {
        return Err(CmdError::msg("given jsonpath expression matches more than one list"));
    }
    if results[0].len() > 1 {
        return Err(CmdError::msg("given jsonpath expression matches more than one value"));
    }
    let Some(want) = value else { return Ok(true) };
    let got = &results[0][0];
    if got.is_object() || got.is_array() {
        return Err(CmdError::msg("jsonpath leads to a nested object or list which is not supported"));
    }
    Ok(go_sprint(got).trim() == want.trim())
}

fn resource_name(kind: Kind, name: &str) -> String {
    format!("{}/{}", kind.info().plural, name)
}

pub fn run(ctx: &mut Ctx) -> Result<(), CmdError> {
    let conds = parse_conditions(&ctx.f.all("for"))?;
    let timeout = ctx.f.duration("timeout").unwrap_or(30_000);
    let timeout = if timeout < 0 { FOREVER } else { timeout };
    let start = ctx.cluster().now().0;
    let deadline = start.saturating_add(timeout);
    let mut opts = BuildOpts::from_ctx(ctx);
    opts.allow_empty_selector = false;
    if opts.args.is_empty() && opts.filenames.is_empty() {
        return Err(CmdError::msg(super::resources::MISSING_RESOURCE));
    }
    let w = WaitCmd {
        spec: CtxSpec::of(ctx),
        opts,
        conds,
        timeout,
        deadline,
        phase: if conds_have_create(&ctx.f.all("for")) { Phase::Create } else { Phase::Select },
        lp: None,
        items: vec![],
        at: 0,
    };
    ctx.session.wait_with(Box::new(w));
    Ok(())
}

fn conds_have_create(fors: &[String]) -> bool {
    fors.iter().any(|c| c.eq_ignore_ascii_case("create"))
}

/// What a waiter needs to rebuild a command's context at each look.
#[derive(Clone)]
pub struct CtxSpec {
    pub ns: String,
    pub ns_explicit: bool,
    pub path: String,
    pub f: crate::kubectl::args::Parsed,
}

impl CtxSpec {
    pub fn of(ctx: &Ctx) -> CtxSpec {
        CtxSpec { ns: ctx.ns.clone(), ns_explicit: ctx.ns_explicit, path: ctx.path.clone(), f: ctx.f.clone() }
    }
    pub fn ctx<'a>(&self, s: &'a mut Session, out: &'a mut String) -> Ctx<'a> {
        Ctx { session: s, out, stdin: "", ns: self.ns.clone(), ns_explicit: self.ns_explicit, path: self.path.clone(), f: self.f.clone() }
    }
}

enum Phase {
    /// --for=create is waited for first: until the objects exist.
    Create,
    /// Select the objects, then wait on each condition of each in turn.
    Select,
    Conditions,
}

/// `kubectl wait`, one look at a time.
struct WaitCmd {
    spec: CtxSpec,
    opts: BuildOpts,
    conds: Vec<Cond>,
    timeout: Millis,
    deadline: Millis,
    phase: Phase,
    lp: Option<WaitLoop>,
    /// (kind, namespace, name, uid) of the selected objects.
    items: Vec<(Kind, String, String, String)>,
    /// Which (item, condition) is being waited for: item * conds + cond.
    at: usize,
}

impl Waiter for WaitCmd {
    fn check(&mut self, s: &mut Session, out: &mut String) -> Check {
        match self.step(s, out) {
            Ok(None) => {
                let lp = self.lp.as_mut().expect("a wait loop");
                match lp.tick(&s.cluster) {
                    Ok(max) => Check::Wait(max),
                    Err(end) => Check::Done(Err(self.failed(end))),
                }
            }
            Ok(Some(())) => Check::Done(Ok(())),
            Err(e) => Check::Done(Err(e)),
        }
    }
}

impl WaitCmd {
    fn failed(&self, end: Waited) -> CmdError {
        match self.phase {
            Phase::Create => wait_failed(end, CmdError::msg("timed out waiting for the condition"), "the objects do not exist and"),
            _ => {
                let (kind, _, name, _) = &self.items[self.at / self.conds.len()];
                wait_failed(
                    end,
                    CmdError::msg(format!("timed out waiting for the condition on {}", resource_name(*kind, name))),
                    &format!("the condition on {}", resource_name(*kind, name)),
                )
            }
        }
    }

    /// One look: Ok(Some) when the command is done, Ok(None) to wait.
    fn step(&mut self, s: &mut Session, out: &mut String) -> Result<Option<()>, CmdError> {
        loop {
            match self.phase {
                Phase::Create => {
                    let found = {
                        let ctx = self.spec.ctx(s, out);
                        let sel = select(&ctx, &self.opts)?;
                        if let Some(e) = sel.errors.into_iter().find(|e| !e.is_not_found()) {
                            return Err(e);
                        }
                        !sel.items.is_empty() && sel.items.len() >= sel.targets.len()
                    };
                    if !found {
                        self.lp.get_or_insert_with(|| WaitLoop::new(&s.cluster, self.deadline));
                        return Ok(None);
                    }
                    self.lp = None;
                    self.phase = Phase::Select;
                }
                Phase::Select => {
                    let is_delete = self.conds.iter().any(|c| matches!(c, Cond::Delete));
                    let ctx = self.spec.ctx(s, out);
                    let sel = select(&ctx, &self.opts)?;
                    let errors: Vec<CmdError> = sel.errors.into_iter().filter(|e| !(is_delete && e.is_not_found())).collect();
                    if !errors.is_empty() {
                        return Err(CmdError::Many(errors));
                    }
                    if sel.items.is_empty() && !is_delete {
                        return Err(CmdError::msg("no matching resources found"));
                    }
                    self.items = sel.items.iter().map(|i| (i.kind, i.namespace.clone(), i.name.clone(), i.obj.meta().uid.clone())).collect();
                    self.phase = Phase::Conditions;
                    self.at = 0;
                }
                Phase::Conditions => {
                    let Some((kind, ns, name, uid)) = self.items.get(self.at / self.conds.len()).cloned() else { return Ok(Some(())) };
                    let c = &self.conds[self.at % self.conds.len()];
                    let cl = &s.cluster;
                    let holds = match c {
                        Cond::Create => true,
                        Cond::Delete => match cl.api.get(kind, &ns, &name) {
                            Err(_) => true,
                            Ok(o) => o.meta().uid != uid,
                        },
                        Cond::Condition { name: cn, status } => match cl.api.get(kind, &ns, &name) {
                            Err(e) => return Err(CmdError::Api(e)),
                            Ok(o) => condition_holds(&o.to_value(), cn, status),
                        },
                        Cond::JsonPath { expr, value } => match cl.api.get(kind, &ns, &name) {
                            Err(e) => return Err(CmdError::Api(e)),
                            Ok(o) => jsonpath_holds(&o.to_value(), expr, value)?,
                        },
                    };
                    if !holds {
                        if self.timeout == 0 {
                            return Err(CmdError::msg(format!("condition not met for {}", resource_name(kind, &name))));
                        }
                        self.lp.get_or_insert_with(|| WaitLoop::new(&s.cluster, self.deadline));
                        return Ok(None);
                    }
                    self.lp = None;
                    let mut ctx = self.spec.ctx(s, out);
                    super::apply::print_name(&mut ctx, kind, &name, "condition met");
                    self.at += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_conditions() {
        assert!(matches!(&parse_conditions(&["condition=Ready".into()]).unwrap()[0], Cond::Condition { name, status } if name == "Ready" && status == "true"));
        assert!(
            matches!(&parse_conditions(&["jsonpath={.status.phase}=Bound".into()]).unwrap()[0], Cond::JsonPath { expr, value: Some(v) } if expr == "{.status.phase}" && v == "Bound")
        );
        assert!(matches!(&parse_conditions(&["jsonpath=.status.phase".into()]).unwrap()[0], Cond::JsonPath { value: None, .. }));
        assert_eq!(split_jsonpath_input("a==b=c"), ["a==b", "c"]);
        assert!(parse_conditions(&["ready".into()]).is_err());
        assert!(parse_conditions(&[]).is_err());
    }

    #[test]
    fn conditions_respect_generation() {
        let o = json!({"metadata":{"generation":2},"status":{"observedGeneration":1,"conditions":[{"type":"Ready","status":"True"}]}});
        assert!(!condition_holds(&o, "ready", "true"));
        let o = json!({"metadata":{"generation":1},"status":{"conditions":[{"type":"Ready","status":"True"}]}});
        assert!(condition_holds(&o, "Ready", "True"));
        assert!(!condition_holds(&o, "Ready", "false"));
    }
}
