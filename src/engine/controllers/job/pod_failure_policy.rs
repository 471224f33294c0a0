//! pod_failure_policy.go: which rule of a Job's `podFailurePolicy` a failed
//! pod matches (exit codes of its terminated containers, or its
//! conditions), and what that does: fail the Job, ignore the failure,
//! count it.

use crate::engine::api::Pod;
use serde_json::Value;

pub enum Action {
    FailJob(String),
    Ignore,
    Count,
    FailIndex,
}

/// `matchPodFailurePolicy`: the matched action, if a rule matches.
pub fn match_policy(policy: &Value, p: &Pod) -> Option<Action> {
    for (index, rule) in policy["rules"].as_array().into_iter().flatten().enumerate() {
        let action = rule["action"].as_str().unwrap_or_default();
        let matched = if rule["onExitCodes"].is_object() {
            on_exit_codes(&rule["onExitCodes"], p).map(|(name, code)| {
                format!(
                    "Container {name} for pod {}/{} failed with exit code {code} matching {action} rule at index {index}",
                    p.metadata.namespace, p.metadata.name
                )
            })
        } else if let Some(patterns) = rule["onPodConditions"].as_array() {
            p.status
                .conditions
                .iter()
                .find(|c| patterns.iter().any(|pat| pat["type"] == c.type_.as_str() && pat["status"].as_str().unwrap_or("True") == c.status.as_str()))
                .map(|c| format!("Pod {}/{} has condition {} matching {action} rule at index {index}", p.metadata.namespace, p.metadata.name, c.type_))
        } else {
            None
        };
        let Some(msg) = matched else { continue };
        return Some(match action {
            "FailJob" => Action::FailJob(msg),
            "Ignore" => Action::Ignore,
            "FailIndex" => Action::FailIndex,
            _ => Action::Count,
        });
    }
    None
}

/// Whether a failure counts towards the backoff limit (an `Ignore` rule
/// makes it not).
pub fn counts(policy: &Value, p: &Pod) -> bool {
    policy.is_null() || !matches!(match_policy(policy, p), Some(Action::Ignore))
}

/// `matchOnExitCodes`: the first terminated container (then init
/// container) with a non-zero exit code the requirement matches.
fn on_exit_codes(req: &Value, p: &Pod) -> Option<(String, i32)> {
    let values: Vec<i64> = req["values"].as_array().into_iter().flatten().filter_map(Value::as_i64).collect();
    let container = req["containerName"].as_str();
    let op_in = req["operator"] == "In";
    let op_not_in = req["operator"] == "NotIn";
    p.status.container_statuses.iter().chain(&p.status.init_container_statuses).find_map(|c| {
        let t = c.state.terminated.as_ref()?;
        let code = t.exit_code;
        let name_ok = container.is_none_or(|n| n == c.name);
        let hit = values.contains(&(code as i64));
        (name_ok && code != 0 && ((op_in && hit) || (op_not_in && !hit))).then(|| (c.name.clone(), code))
    })
}
