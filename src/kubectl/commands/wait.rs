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
use crate::engine::time::{HOUR, Millis};
use crate::kubectl::args::{Flag, FlagKind, boolf, flag, strf};
use crate::kubectl::errors::CmdError;
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
}

/// Lets simulated time pass until `cond` holds or `deadline` (absolute,
/// in simulated ms) passes. `cond` is checked before any time passes and
/// after every step. Errors from `cond` end the wait.
pub fn wait_until(cluster: &mut Cluster, deadline: Millis, mut cond: impl FnMut(&Cluster) -> Result<bool, CmdError>) -> Result<Waited, CmdError> {
    let unbounded = deadline - cluster.now().0 >= FOREVER;
    let mut idle_since: Option<Millis> = None;
    loop {
        if cond(cluster)? {
            return Ok(Waited::Met);
        }
        let now = cluster.now().0;
        if now >= deadline {
            return Ok(Waited::TimedOut);
        }
        if unbounded {
            if cluster.busy() {
                idle_since = None;
            } else {
                let since = *idle_since.get_or_insert(now);
                if now - since >= SETTLE_LIMIT {
                    return Ok(Waited::Idle);
                }
            }
        }
        cluster.step(deadline - now);
    }
}

/// The text for a wait kubectl would never finish.
pub fn idle_error(what: &str) -> CmdError {
    CmdError::msg(format!(
        "the cluster has been idle for {} and {what} still does not hold; kubectl would wait indefinitely here (pass --timeout to bound the wait)",
        crate::engine::time::go_duration(SETTLE_LIMIT)
    ))
}

pub fn flags() -> Vec<Flag> {
    vec![
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
    let deadline = start + timeout;
    let mut opts = BuildOpts::from_ctx(ctx);
    opts.allow_empty_selector = false;
    if opts.args.is_empty() && opts.filenames.is_empty() {
        return Err(CmdError::msg(super::resources::MISSING_RESOURCE));
    }
    // --for=create is always waited for first: poll until the objects exist.
    if conds.iter().any(|c| matches!(c, Cond::Create)) {
        let mut found = |c: &Ctx| -> Result<bool, CmdError> {
            let sel = select(c, &opts)?;
            if let Some(e) = sel.errors.into_iter().find(|e| !e.is_not_found()) {
                return Err(e);
            }
            Ok(!sel.items.is_empty() && sel.items.len() >= sel.targets.len())
        };
        let r = loop_with_ctx(ctx, deadline, &mut found)?;
        match r {
            Waited::Met => {}
            Waited::TimedOut => return Err(CmdError::msg("timed out waiting for the condition")),
            Waited::Idle => return Err(idle_error("the objects do not exist and")),
        }
    }
    let is_delete = conds.iter().any(|c| matches!(c, Cond::Delete));
    let sel = select(ctx, &opts)?;
    let mut errors: Vec<CmdError> = sel.errors.into_iter().filter(|e| !(is_delete && e.is_not_found())).collect();
    if !errors.is_empty() {
        return Err(CmdError::Many(std::mem::take(&mut errors)));
    }
    if sel.items.is_empty() && !is_delete {
        return Err(CmdError::msg("no matching resources found"));
    }
    for item in &sel.items {
        let (kind, ns, name, uid) = (item.kind, item.namespace.clone(), item.name.clone(), item.obj.meta().uid.clone());
        for c in &conds {
            let holds = |cl: &Cluster| -> Result<bool, CmdError> {
                match c {
                    Cond::Create => Ok(true),
                    Cond::Delete => Ok(match cl.api.get(kind, &ns, &name) {
                        Err(_) => true,
                        Ok(o) => o.meta().uid != uid,
                    }),
                    Cond::Condition { name: cn, status } => match cl.api.get(kind, &ns, &name) {
                        Err(e) => Err(CmdError::Api(e)),
                        Ok(o) => Ok(condition_holds(&o.to_value(), cn, status)),
                    },
                    Cond::JsonPath { expr, value } => match cl.api.get(kind, &ns, &name) {
                        Err(e) => Err(CmdError::Api(e)),
                        Ok(o) => jsonpath_holds(&o.to_value(), expr, value),
                    },
                }
            };
            if timeout == 0 {
                if !holds(ctx.cluster())? {
                    return Err(CmdError::msg(format!("condition not met for {}", resource_name(kind, &name))));
                }
            } else {
                match wait_until(ctx.cluster(), deadline, holds)? {
                    Waited::Met => {}
                    Waited::TimedOut => return Err(CmdError::msg(format!("timed out waiting for the condition on {}", resource_name(kind, &name)))),
                    Waited::Idle => return Err(idle_error(&format!("the condition on {}", resource_name(kind, &name)))),
                }
            }
            super::apply::print_name(ctx, kind, &name, "condition met");
        }
    }
    Ok(())
}

/// Like [`wait_until`], for conditions that need the whole command context
/// (they run the resource builder).
fn loop_with_ctx(ctx: &mut Ctx, deadline: Millis, cond: &mut dyn FnMut(&Ctx) -> Result<bool, CmdError>) -> Result<Waited, CmdError> {
    let unbounded = deadline - ctx.cluster().now().0 >= FOREVER;
    let mut idle_since: Option<Millis> = None;
    loop {
        if cond(ctx)? {
            return Ok(Waited::Met);
        }
        let now = ctx.cluster().now().0;
        if now >= deadline {
            return Ok(Waited::TimedOut);
        }
        if unbounded {
            if ctx.cluster().busy() {
                idle_since = None;
            } else {
                let since = *idle_since.get_or_insert(now);
                if now - since >= SETTLE_LIMIT {
                    return Ok(Waited::Idle);
                }
            }
        }
        ctx.cluster().step(deadline - now);
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
