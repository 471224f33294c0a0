//! Authorization as kube-apiserver runs it with `--authorization-mode=Node,RBAC`
//! (the mode kind configures): the privileged-group authorizer
//! (`system:masters` may do anything), then the RBAC authorizer
//! (plugin/pkg/auth/authorizer/rbac over pkg/registry/rbac/validation's rule
//! resolver), reading the stored Roles, ClusterRoles and their bindings. The
//! Node authorizer's own rules (a kubelet's access to its pods' objects) are
//! not simulated: nothing here acts as a node.
//!
//! And the RBAC bootstrap policy the API server writes when it starts (its
//! `rbac/bootstrap-roles` post-start hook): bootstrappolicy.json, generated
//! by scripts/gen_bootstrap_policy.py from the 1.36 tree, plus the binding
//! kubeadm adds for its admin kubeconfig's group.
//!
//! Invariant: the policy's objects take their uids from a generator of their
//! own (seeded by their names), so writing them draws nothing from the
//! session's seeded generator; everything after them is named and timed as
//! before the policy existed.

use super::Api;
use crate::engine::api::{Generic, Kind, Object, ObjectMeta};
use crate::engine::rng::{Rng, fnv32a};
use crate::engine::store::Store;
use serde_json::Value;

/// Who is asking (apiserver's user.Info, without extra).
#[derive(Clone, Debug, PartialEq)]
pub struct User {
    pub name: String,
    pub groups: Vec<String>,
}

impl User {
    /// The user of kind's admin kubeconfig (kubeadm's `admin.conf`: a client
    /// certificate for `kubernetes-admin` in `kubeadm:cluster-admins`).
    pub fn admin() -> User {
        User { name: "kubernetes-admin".into(), groups: vec!["kubeadm:cluster-admins".into(), "system:authenticated".into()] }
    }

    /// The user an impersonating request acts as (`--as`, `--as-group`), as
    /// the impersonation filter builds it: a service account's username
    /// brings its groups when none are given, and every user but
    /// `system:anonymous` is in `system:authenticated` unless a group says
    /// otherwise.
    pub fn impersonated(name: &str, groups: &[String]) -> User {
        let mut groups = groups.to_vec();
        if groups.is_empty()
            && let Some(ns) = name.strip_prefix("system:serviceaccount:").and_then(|r| r.split_once(':')).map(|(ns, _)| ns)
        {
            groups = vec!["system:serviceaccounts".into(), format!("system:serviceaccounts:{ns}")];
        }
        let (all, none) = if name == "system:anonymous" { ("system:unauthenticated", "") } else { ("system:authenticated", "system:unauthenticated") };
        if !groups.iter().any(|g| g == all || g == none) {
            groups.push(all.into());
        }
        User { name: name.into(), groups }
    }
}

/// A request's attributes (authorizer.Attributes): a resource request when
/// `resource` is set, else a non-resource one for `path`.
#[derive(Clone, Debug, Default)]
pub struct Attributes {
    pub verb: String,
    pub namespace: String,
    pub group: String,
    pub resource: String,
    pub subresource: String,
    pub name: String,
    pub path: String,
}

fn strs(v: &Value) -> impl Iterator<Item = &str> {
    v.as_array().into_iter().flatten().filter_map(Value::as_str)
}

fn has(v: &Value, s: &str) -> bool {
    strs(v).any(|x| x == s)
}

/// rbac's RuleAllows, with rbacv1helpers' VerbMatches, APIGroupMatches,
/// ResourceMatches (`*/scale` matches any resource's scale), ResourceNameMatches
/// and NonResourceURLMatches (a trailing `*` is a prefix).
pub fn rule_allows(a: &Attributes, rule: &Value) -> bool {
    let verbs = &rule["verbs"];
    if !has(verbs, "*") && !has(verbs, &a.verb) {
        return false;
    }
    if a.resource.is_empty() {
        return strs(&rule["nonResourceURLs"]).any(|u| u == "*" || u == a.path || u.strip_suffix('*').is_some_and(|p| a.path.starts_with(p)));
    }
    let combined = if a.subresource.is_empty() { a.resource.clone() } else { format!("{}/{}", a.resource, a.subresource) };
    let names = &rule["resourceNames"];
    (has(&rule["apiGroups"], "*") || has(&rule["apiGroups"], &a.group))
        && strs(&rule["resources"]).any(|r| r == "*" || r == combined || (!a.subresource.is_empty() && r.strip_prefix("*/") == Some(a.subresource.as_str())))
        && (strs(names).next().is_none() || has(names, &a.name))
}

/// appliesTo: whether one of a binding's subjects is the user (a
/// ServiceAccount subject without a namespace is one of the binding's).
fn applies_to(user: &User, subjects: &Value, namespace: &str) -> bool {
    subjects.as_array().into_iter().flatten().any(|s| {
        let name = s["name"].as_str().unwrap_or_default();
        match s["kind"].as_str().unwrap_or_default() {
            "User" => user.name == name,
            "Group" => user.groups.iter().any(|g| g == name),
            "ServiceAccount" => {
                let ns = s["namespace"].as_str().filter(|n| !n.is_empty()).unwrap_or(namespace);
                !ns.is_empty() && user.name == format!("system:serviceaccount:{ns}:{name}")
            }
            _ => false,
        }
    })
}

/// A stored Role's or ClusterRole's rules.
fn rules_of<'a>(store: &'a Store, kind: Kind, namespace: &str, name: &str) -> Option<&'a Value> {
    match &**store.get(kind, &crate::engine::api::ObjKey::new(namespace, name))? {
        Object::Generic(g) => Some(g.field("rules")),
        _ => None,
    }
}

/// The rule resolver's VisitRulesFor: the rules of every ClusterRoleBinding,
/// then (for a namespace) every RoleBinding there, that names the user, in
/// the listers' order (here: by name); a binding whose role is missing adds
/// the lister's not-found text to the errors. `visit` returns false to stop.
pub fn visit_rules_for(store: &Store, user: &User, namespace: &str, errors: &mut Vec<String>, visit: &mut dyn FnMut(&Value) -> bool) {
    let mut bindings: Vec<(Kind, &str)> = vec![(Kind::ClusterRoleBinding, "")];
    if !namespace.is_empty() {
        bindings.push((Kind::RoleBinding, namespace));
    }
    for (kind, ns) in bindings {
        for o in store.list_ns(kind, ns) {
            let Object::Generic(b) = &**o else { continue };
            if !applies_to(user, b.field("subjects"), ns) {
                continue;
            }
            let r = b.field("roleRef");
            let (role_kind, name) = (r["kind"].as_str().unwrap_or_default(), r["name"].as_str().unwrap_or_default());
            let rules = match role_kind {
                "Role" => rules_of(store, Kind::Role, ns, name),
                "ClusterRole" => rules_of(store, Kind::ClusterRole, "", name),
                _ => {
                    errors.push(format!("unsupported role reference kind: {role_kind:?}"));
                    continue;
                }
            };
            let Some(rules) = rules else {
                errors.push(format!("{}.rbac.authorization.k8s.io {name:?} not found", role_kind.to_ascii_lowercase()));
                continue;
            };
            for rule in rules.as_array().into_iter().flatten() {
                if !visit(rule) {
                    return;
                }
            }
        }
    }
}

/// The union authorizer's decision for a SubjectAccessReview: allowed, and
/// the reason a denial gives (RBAC says why only when a binding's role could
/// not be read: `RBAC: <errors>`).
pub fn authorize(store: &Store, user: &User, a: &Attributes) -> (bool, String) {
    if user.groups.iter().any(|g| g == "system:masters") {
        return (true, String::new());
    }
    let mut errors = vec![];
    let mut allowed = false;
    visit_rules_for(store, user, &a.namespace, &mut errors, &mut |rule| {
        allowed = rule_allows(a, rule);
        !allowed
    });
    if allowed {
        return (true, String::new());
    }
    let reason = match errors.len() {
        0 => String::new(),
        1 => format!("RBAC: {}", errors[0]),
        _ => format!("RBAC: [{}]", errors.join(", ")),
    };
    (false, reason)
}

/// A SelfSubjectRulesReview's rules: every rule that applies to the user in
/// the namespace (the privileged group's first), as PolicyRule JSON.
pub fn rules_for(store: &Store, user: &User, namespace: &str) -> Vec<Value> {
    let mut rules = vec![];
    if user.groups.iter().any(|g| g == "system:masters") {
        let all = r#"[{"verbs":["*"],"apiGroups":["*"],"resources":["*"]},{"verbs":["*"],"nonResourceURLs":["*"]}]"#;
        rules = serde_json::from_str(all).unwrap_or_default();
    }
    visit_rules_for(store, user, namespace, &mut vec![], &mut |rule| {
        rules.push(rule.clone());
        true
    });
    rules
}

/// The objects of the bootstrap policy, as the API server's post-start hook
/// writes them when it starts, and (last in the file) kubeadm's
/// `kubeadm:cluster-admins` binding: what gives kind's admin its rights.
pub fn bootstrap(api: &mut Api) {
    let Ok(Value::Array(items)) = serde_json::from_str::<Value>(include_str!("bootstrappolicy.json")) else {
        unreachable!("bootstrappolicy.json is generated JSON")
    };
    for item in items {
        let Value::Object(mut body) = item else { continue };
        let kind = match body.remove("kind").as_ref().and_then(Value::as_str) {
            Some("ClusterRole") => Kind::ClusterRole,
            Some("ClusterRoleBinding") => Kind::ClusterRoleBinding,
            Some("Role") => Kind::Role,
            _ => Kind::RoleBinding,
        };
        let metadata: ObjectMeta = body.remove("metadata").and_then(|m| crate::engine::decode::from_json(&m)).unwrap_or_default();
        let seed = fnv32a(format!("{}/{}/{}", kind.info().kind, metadata.namespace, metadata.name).as_bytes()) as u64;
        let session = std::mem::replace(&mut api.rng, Rng::new(seed));
        let api_version = kind.info().api_version();
        let r = api.create(Object::Generic(Generic { kind, api_version, metadata, body }));
        api.rng = session;
        r.expect("the bootstrap policy is valid");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn res(verb: &str, group: &str, resource: &str) -> Attributes {
        Attributes { verb: verb.into(), group: group.into(), resource: resource.into(), namespace: "default".into(), ..Default::default() }
    }

    #[test]
    fn rules_match_as_rbac_does() {
        let r = json!({"apiGroups": [""], "resources": ["pods", "*/scale"], "verbs": ["get", "list"]});
        assert!(rule_allows(&res("get", "", "pods"), &r));
        assert!(!rule_allows(&res("delete", "", "pods"), &r));
        assert!(!rule_allows(&res("get", "apps", "pods"), &r));
        let scale = Attributes { subresource: "scale".into(), ..res("get", "", "deployments") };
        assert!(rule_allows(&scale, &r), "*/scale matches any resource's scale");
        let log = Attributes { subresource: "log".into(), ..res("get", "", "pods") };
        assert!(!rule_allows(&log, &r), "pods does not give pods/log");
        let named = json!({"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["a"], "verbs": ["*"]});
        assert!(rule_allows(&Attributes { name: "a".into(), ..res("update", "", "configmaps") }, &named));
        assert!(!rule_allows(&Attributes { name: "b".into(), ..res("update", "", "configmaps") }, &named));
        assert!(!rule_allows(&res("list", "", "configmaps"), &named), "a list names no object");
        let urls = json!({"nonResourceURLs": ["/healthz", "/apis/*"], "verbs": ["get"]});
        let path = |p: &str| Attributes { verb: "get".into(), path: p.into(), ..Default::default() };
        assert!(rule_allows(&path("/healthz"), &urls));
        assert!(rule_allows(&path("/apis/apps"), &urls));
        assert!(!rule_allows(&path("/api"), &urls));
    }

    #[test]
    fn impersonated_users_get_the_filters_groups() {
        let sa = User::impersonated("system:serviceaccount:dev:ci", &[]);
        assert_eq!(sa.groups, ["system:serviceaccounts", "system:serviceaccounts:dev", "system:authenticated"]);
        assert_eq!(User::impersonated("jane", &[]).groups, ["system:authenticated"]);
        assert_eq!(User::impersonated("jane", &["ops".into()]).groups, ["ops", "system:authenticated"]);
        assert_eq!(User::impersonated("system:anonymous", &[]).groups, ["system:unauthenticated"]);
    }
}
