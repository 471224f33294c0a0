//! The RBAC describers (describe.go's RoleDescriber, ClusterRoleDescriber,
//! RoleBindingDescriber, ClusterRoleBindingDescriber), over the stored
//! objects' JSON. Roles print their rules broken down to one resource and
//! verb each and compacted again (kubectl's util/rbac BreakdownRule and
//! CompactRules), sorted by the rule's Go String(). And
//! describePriorityClass, which sits with them here as the other
//! cluster-policy describer.

use super::*;
use crate::engine::api::Generic;

fn strings(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().map(|s| s.as_str().unwrap_or_default().to_string()).collect()).unwrap_or_default()
}

/// A PolicyRule: apiGroups, resources, resourceNames, nonResourceURLs, verbs.
#[derive(Clone)]
pub(crate) struct Rule {
    groups: Vec<String>,
    resources: Vec<String>,
    pub(crate) names: Vec<String>,
    pub(crate) urls: Vec<String>,
    pub(crate) verbs: Vec<String>,
}

impl Rule {
    /// The generated PolicyRule.String() the describer sorts by.
    fn go_string(&self) -> String {
        format!(
            "&PolicyRule{{Verbs:{},APIGroups:{},Resources:{},ResourceNames:{},NonResourceURLs:{},}}",
            go_list(&self.verbs),
            go_list(&self.groups),
            go_list(&self.resources),
            go_list(&self.names),
            go_list(&self.urls)
        )
    }
}

/// BreakdownRule then CompactRules: one rule per group, resource and
/// resource name with all its verbs; non-resource URLs one per URL and verb.
pub(crate) fn compact(rules: &Value) -> Vec<Rule> {
    let one = |s: &String| vec![s.clone()];
    let mut simple: Vec<Rule> = vec![];
    let mut other: Vec<Rule> = vec![];
    for r in rules.as_array().map(|a| a.as_slice()).unwrap_or_default() {
        let (groups, resources, names, verbs) = (strings(&r["apiGroups"]), strings(&r["resources"]), strings(&r["resourceNames"]), strings(&r["verbs"]));
        for g in &groups {
            for res in &resources {
                for v in &verbs {
                    let ns: Vec<Vec<String>> = if names.is_empty() { vec![vec![]] } else { names.iter().map(one).collect() };
                    for n in ns {
                        match simple.iter_mut().find(|s| s.groups[0] == *g && s.resources[0] == *res && s.names == n) {
                            Some(s) if !s.verbs.contains(v) => s.verbs.push(v.clone()),
                            Some(_) => {}
                            None => simple.push(Rule { groups: one(g), resources: one(res), names: n, urls: vec![], verbs: one(v) }),
                        }
                    }
                }
            }
        }
        for u in strings(&r["nonResourceURLs"]) {
            for v in &verbs {
                other.push(Rule { groups: vec![], resources: vec![], names: vec![], urls: one(&u), verbs: one(v) });
            }
        }
    }
    other.extend(simple);
    crate::engine::sort::sort_by_key(&mut other, |r| r.go_string());
    other
}

/// CombineResourceGroup: `deployments.apps/scale`.
pub(crate) fn resource_group(r: &Rule) -> String {
    let Some(first) = r.resources.first() else { return String::new() };
    let (res, sub) = first.split_once('/').map(|(a, b)| (a, Some(b))).unwrap_or((first, None));
    let mut out = res.to_string();
    if let Some(g) = r.groups.first().filter(|g| !g.is_empty()) {
        out = format!("{out}.{g}");
    }
    if let Some(s) = sub {
        out = format!("{out}/{s}");
    }
    out
}

pub(crate) fn describe_role(w: &mut PrefixWriter, g: &Generic) {
    put(w, LEVEL_0, &["Name:\t", &g.metadata.name, "\n"]);
    print_labels(w, "Labels", &g.metadata.labels);
    print_annotations(w, "Annotations", &g.metadata.annotations);
    w.write(LEVEL_0, "PolicyRule:\n");
    w.write(LEVEL_1, "Resources\tNon-Resource URLs\tResource Names\tVerbs\n");
    w.write(LEVEL_1, "---------\t-----------------\t--------------\t-----\n");
    for r in compact(g.field("rules")) {
        put(w, LEVEL_1, &[&resource_group(&r), "\t", &go_list(&r.urls), "\t", &go_list(&r.names), "\t", &go_list(&r.verbs), "\n"]);
    }
}

pub(crate) fn describe_binding(w: &mut PrefixWriter, g: &Generic) {
    put(w, LEVEL_0, &["Name:\t", &g.metadata.name, "\n"]);
    print_labels(w, "Labels", &g.metadata.labels);
    print_annotations(w, "Annotations", &g.metadata.annotations);
    let r = g.field("roleRef");
    w.write(LEVEL_0, "Role:\n");
    put(w, LEVEL_1, &["Kind:\t", r["kind"].as_str().unwrap_or_default(), "\n"]);
    put(w, LEVEL_1, &["Name:\t", r["name"].as_str().unwrap_or_default(), "\n"]);
    w.write(LEVEL_0, "Subjects:\n");
    w.write(LEVEL_1, "Kind\tName\tNamespace\n");
    w.write(LEVEL_1, "----\t----\t---------\n");
    for s in g.field("subjects").as_array().map(|a| a.as_slice()).unwrap_or_default() {
        let f = |k: &str| s[k].as_str().unwrap_or_default().to_string();
        put(w, LEVEL_1, &[&f("kind"), "\t", &f("name"), "\t", &f("namespace"), "\n"]);
    }
}

/// describePriorityClass (with the object's events).
pub(crate) fn describe_priority_class(w: &mut PrefixWriter, cx: &Cx, o: &Object, g: &Generic) {
    put(w, LEVEL_0, &["Name:\t", &g.metadata.name, "\n"]);
    put(w, LEVEL_0, &["Value:\t", &g.field("value").as_i64().unwrap_or(0).to_string(), "\n"]);
    put(w, LEVEL_0, &["GlobalDefault:\t", if g.field("globalDefault").as_bool().unwrap_or(false) { "true" } else { "false" }, "\n"]);
    put(w, LEVEL_0, &["PreemptionPolicy:\t", g.field("preemptionPolicy").as_str().unwrap_or("PreemptLowerPriority"), "\n"]);
    put(w, LEVEL_0, &["Description:\t", g.field("description").as_str().unwrap_or_default(), "\n"]);
    put(w, LEVEL_0, &["Annotations:\t", &format_labels(&g.metadata.annotations), "\n"]);
    describe_events(w, cx, cx.events(o));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_broken_down_compacted_and_sorted_as_kubectl_does() {
        let rules = serde_json::json!([
            {"apiGroups": ["apps"], "resources": ["deployments", "deployments/scale"], "verbs": ["get", "update"]},
            {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "patch"]},
            {"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["a", "b"], "verbs": ["get"]},
            {"nonResourceURLs": ["/healthz"], "verbs": ["get", "head"]},
        ]);
        let rows: Vec<String> =
            compact(&rules).iter().map(|r| format!("{} {} {} {}", resource_group(r), go_list(&r.urls), go_list(&r.names), go_list(&r.verbs))).collect();
        assert_eq!(
            rows,
            // by String(): verbs first, and ' ' sorts before ']'
            [
                "deployments.apps [] [] [get update patch]",
                "deployments.apps/scale [] [] [get update]",
                " [/healthz] [] [get]",
                "secrets [] [a] [get]",
                "secrets [] [b] [get]",
                " [/healthz] [] [head]",
            ]
        );
    }
}
