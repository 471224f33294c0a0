//! success_policy.go: an Indexed Job's `successPolicy`, met when the
//! succeeded indexes cover a rule's `succeededIndexes` (or at least its
//! `succeededCount` of them), or reach its `succeededCount` alone.

use super::indexed_job_utils::Intervals;
use serde_json::Value;

/// `matchSuccessPolicy`: the message of the first rule met.
pub fn match_success_policy(policy: &Value, completions: i32, succeeded: &Intervals) -> Option<String> {
    if succeeded.0.is_empty() {
        return None;
    }
    for (index, rule) in policy["rules"].as_array().into_iter().flatten().enumerate() {
        let count = rule["succeededCount"].as_i64().map(|c| c as i32);
        let met = match rule["succeededIndexes"].as_str() {
            Some(s) => {
                let required = Intervals::parse(s, completions);
                if required.0.is_empty() {
                    continue;
                }
                let covered: i32 = required.0.iter().flat_map(|r| succeeded.0.iter().map(move |s| (r.1.min(s.1) - r.0.max(s.0) + 1).max(0))).sum();
                covered == required.total() || count.is_some_and(|c| covered >= c)
            }
            None => count.is_some_and(|c| succeeded.total() >= c),
        };
        if met {
            return Some(format!("Matched rules at index {index}"));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rules_match_by_indexes_or_count() {
        let ok = Intervals::default().with(&[0, 1, 3]);
        let p = json!({"rules": [{"succeededIndexes": "0-2"}, {"succeededCount": 3}]});
        assert_eq!(match_success_policy(&p, 5, &ok).as_deref(), Some("Matched rules at index 1"));
        let p = json!({"rules": [{"succeededIndexes": "0,1,3-4", "succeededCount": 3}]});
        assert_eq!(match_success_policy(&p, 5, &ok).as_deref(), Some("Matched rules at index 0"));
        let p = json!({"rules": [{"succeededIndexes": "2"}]});
        assert_eq!(match_success_policy(&p, 5, &ok), None);
    }
}
