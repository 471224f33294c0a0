//! `kubectl create serviceaccount|role|clusterrole|rolebinding|clusterrolebinding`
//! (pkg/cmd/create: create_serviceaccount.go, create_role.go,
//! create_clusterrole.go, create_rolebinding.go, create_clusterrolebinding.go):
//! the generators that write one object from flags.

use super::apply::{create_generated, generator_flags, one_name};
use super::{Command, Ctx};
use crate::engine::api::{Generic, Kind, Object, ObjectMeta, ServiceAccount};
use crate::engine::store::Store;
use crate::kubectl::args::{Flag, FlagKind, flag, strf};
use crate::kubectl::errors::CmdError;
use serde_json::{Map, Value, json};

pub fn subcommands() -> [Command; 5] {
    [
        Command::new(
            "serviceaccount",
            "Create a service account with the specified name",
            "create serviceaccount NAME [--dry-run=server|client|none]",
            generator_flags,
            run_serviceaccount,
        )
        .with_aliases(&["sa"]),
        Command::new(
            "role",
            "Create a role with single rule",
            "create role NAME --verb=verb --resource=resource.group/subresource [--resource-name=resourcename] [--dry-run=server|client|none]",
            role_flags,
            run_role,
        ),
        Command::new(
            "clusterrole",
            "Create a cluster role",
            "create clusterrole NAME --verb=verb --resource=resource.group [--resource-name=resourcename] [--dry-run=server|client|none]",
            clusterrole_flags,
            run_clusterrole,
        ),
        Command::new(
            "rolebinding",
            "Create a role binding for a particular role or cluster role",
            "create rolebinding NAME --clusterrole=NAME|--role=NAME [--user=username] [--group=groupname] [--serviceaccount=namespace:serviceaccountname] [--dry-run=server|client|none]",
            rolebinding_flags,
            run_rolebinding,
        ),
        Command::new(
            "clusterrolebinding",
            "Create a cluster role binding for a particular cluster role",
            "create clusterrolebinding NAME --clusterrole=NAME [--user=username] [--group=groupname] [--serviceaccount=namespace:serviceaccountname] [--dry-run=server|client|none]",
            binding_flags,
            run_clusterrolebinding,
        ),
    ]
}

fn role_flags() -> Vec<Flag> {
    let mut v = generator_flags();
    v.extend_from_slice(&[flag("verb", None, FlagKind::StrSlice), flag("resource", None, FlagKind::StrSlice), flag("resource-name", None, FlagKind::StrArray)]);
    v
}

fn clusterrole_flags() -> Vec<Flag> {
    let mut v = role_flags();
    v.extend_from_slice(&[flag("non-resource-url", None, FlagKind::StrSlice), flag("aggregation-rule", None, FlagKind::StrSlice)]);
    v
}

fn binding_flags() -> Vec<Flag> {
    let mut v = generator_flags();
    v.extend_from_slice(&[
        strf("clusterrole"),
        flag("user", None, FlagKind::StrArray),
        flag("group", None, FlagKind::StrArray),
        flag("serviceaccount", None, FlagKind::StrArray),
    ]);
    v
}

fn rolebinding_flags() -> Vec<Flag> {
    let mut v = binding_flags();
    v.push(strf("role"));
    v
}

/// The namespace a generated object names: `-n`'s, else none (the server
/// puts it in the context's).
fn meta(ctx: &Ctx, name: &str) -> ObjectMeta {
    ObjectMeta::named(if ctx.ns_explicit { &ctx.ns } else { "" }, name)
}

fn generic(kind: Kind, metadata: ObjectMeta, body: Value) -> Object {
    let Value::Object(body) = body else { unreachable!("a JSON object") };
    Object::Generic(Generic { kind, api_version: kind.info().api_version(), metadata, body })
}

fn unique(v: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = vec![];
    for s in v {
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

fn run_serviceaccount(ctx: &mut Ctx) -> Result<(), CmdError> {
    let name = one_name(ctx)?;
    let sa = ServiceAccount { metadata: meta(ctx, &name), ..Default::default() };
    create_generated(ctx, Object::ServiceAccount(sa), Some("failed to create serviceaccount"))
}

const RESOURCE_VERBS: &[&str] =
    &["*", "get", "delete", "list", "create", "update", "patch", "watch", "proxy", "deletecollection", "use", "bind", "escalate", "impersonate"];
const NON_RESOURCE_VERBS: &[&str] = &["*", "get", "post", "put", "delete", "patch", "head", "options"];

/// The verbs that only some resources take (create_role.go's specialVerbs).
fn special(verb: &str) -> Option<&'static [(&'static str, &'static str)]> {
    Some(match verb {
        "use" => &[("policy", "podsecuritypolicies"), ("extensions", "podsecuritypolicies")],
        "bind" | "escalate" => &[("rbac.authorization.k8s.io", "roles"), ("rbac.authorization.k8s.io", "clusterroles")],
        "impersonate" => &[("", "users"), ("", "serviceaccounts"), ("", "groups"), ("authentication.k8s.io", "userextras")],
        _ => return None,
    })
}

/// The mapper's (group, plural) for `resource.group`, or the error it gives.
fn map_resource(store: &Store, resource: &str, group: &str) -> Result<(String, String), String> {
    let q = if group.is_empty() { resource.to_string() } else { format!("{resource}.{group}") };
    super::resources::resource_info(store, &q)
        .map(|i| (i.group.to_string(), i.plural.to_string()))
        .ok_or_else(|| format!("no matches for {group}/, Resource={resource}"))
}

/// Complete, Validate and generateResourcePolicyRules of create role (and
/// clusterrole, with its non-resource URLs): one rule per API group.
fn rules(ctx: &mut Ctx, urls: &[String], cluster: bool) -> Result<Vec<Value>, CmdError> {
    let mut verbs = unique(ctx.f.all("verb"));
    if verbs.iter().any(|v| v == "*") {
        verbs = vec!["*".into()];
    }
    // (resource, group, subresource)
    let mut resources: Vec<(String, String, String)> = vec![];
    for r in ctx.f.all("resource") {
        let (main, sub) = r.split_once('/').unwrap_or((&r, ""));
        let (res, group) = main.split_once('.').unwrap_or((main, ""));
        if res == "*" && group.is_empty() && sub.is_empty() && !r.contains('.') && !r.contains('/') {
            resources = vec![("*".into(), String::new(), String::new())];
            break;
        }
        resources.push((res.into(), group.into(), sub.into()));
    }
    let names = unique(ctx.f.all("resource-name"));
    if verbs.is_empty() {
        return Err(CmdError::msg("at least one verb must be specified"));
    }
    if cluster && resources.is_empty() && urls.is_empty() {
        return Err(CmdError::msg("one of resource or nonResourceURL must be specified"));
    }
    if !resources.is_empty() || !cluster {
        for v in &verbs {
            if !RESOURCE_VERBS.contains(&v.as_str()) {
                ctx.print(&format!("Warning: '{v}' is not a standard resource verb\n"));
            }
        }
        if resources.is_empty() {
            return Err(CmdError::msg("at least one resource must be specified"));
        }
        // validateResource
        for (res, group, _) in &resources {
            if res.is_empty() {
                return Err(CmdError::msg("resource must be specified if apiGroup/subresource specified"));
            }
            if res == "*" {
                break;
            }
            let mapped = map_resource(&ctx.api().store, res, group);
            let (g, r) = mapped.clone().unwrap_or((group.clone(), res.clone()));
            let mut special_ok = false;
            for v in &verbs {
                if let Some(allowed) = special(v) {
                    if !allowed.iter().any(|(ag, ar)| *ag == g && *ar == r) {
                        return Err(CmdError::msg(format!("can not perform '{v}' on '{r}' in group '{g}'")));
                    }
                    special_ok = true;
                }
            }
            if let Err(e) = mapped
                && !special_ok
            {
                return Err(CmdError::msg(e));
            }
        }
    }
    for v in if urls.is_empty() { &[][..] } else { &verbs[..] } {
        if !NON_RESOURCE_VERBS.contains(&v.as_str()) {
            return Err(CmdError::msg(format!("invalid verb: '{v}' for nonResourceURL")));
        }
    }
    for u in urls.iter().filter(|u| *u != "*") {
        if !u.starts_with('/') {
            return Err(CmdError::msg("nonResourceURL should start with /"));
        }
        if u[..u.len() - 1].contains('*') {
            return Err(CmdError::msg("nonResourceURL only supports wildcard matches when '*' is at the end"));
        }
    }
    // group -> resources, groups sorted
    let mut by_group: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (res, group, sub) in &resources {
        let (g, mut r) = map_resource(&ctx.api().store, res, group).unwrap_or((group.clone(), res.clone()));
        if !sub.is_empty() {
            r = format!("{r}/{sub}");
        }
        let list = by_group.entry(g).or_default();
        if !list.contains(&r) {
            list.push(r);
        }
    }
    let mut out: Vec<Value> = by_group
        .into_iter()
        .map(|(g, rs)| {
            let mut rule = json!({"verbs": verbs, "apiGroups": [g], "resources": rs});
            if !names.is_empty() {
                rule["resourceNames"] = json!(names);
            }
            rule
        })
        .collect();
    if !urls.is_empty() {
        out.push(json!({"verbs": verbs, "nonResourceURLs": urls}));
    }
    Ok(out)
}

fn run_role(ctx: &mut Ctx) -> Result<(), CmdError> {
    let name = one_name(ctx)?;
    let rules = rules(ctx, &[], false)?;
    let role = generic(Kind::Role, meta(ctx, &name), json!({ "rules": rules }));
    create_generated(ctx, role, None)
}

fn run_clusterrole(ctx: &mut Ctx) -> Result<(), CmdError> {
    let name = one_name(ctx)?;
    let aggregation = ctx.f.all("aggregation-rule");
    let body = if aggregation.is_empty() {
        let urls = unique(ctx.f.all("non-resource-url"));
        json!({ "rules": rules(ctx, &urls, true)? })
    } else {
        if ["non-resource-url", "verb", "resource", "resource-name"].iter().any(|f| ctx.f.changed(f)) {
            return Err(CmdError::msg("aggregation rule must be specified without nonResourceURLs, verbs, resources or resourceNames"));
        }
        let mut labels = Map::new();
        for pair in aggregation {
            let Some((k, v)) = pair.split_once('=') else {
                return Err(CmdError::msg(format!("invalid argument \"{pair}\" for \"--aggregation-rule\" flag: malformed pair, expect string=string")));
            };
            labels.insert(k.into(), v.into());
        }
        json!({"aggregationRule": {"clusterRoleSelectors": [{"matchLabels": labels}]}})
    };
    create_generated(ctx, generic(Kind::ClusterRole, meta(ctx, &name), body), None)
}

/// The subjects of a binding: users, groups, then service accounts.
fn subjects(ctx: &Ctx) -> Result<Vec<Value>, CmdError> {
    let group = "rbac.authorization.k8s.io";
    let mut out: Vec<Value> = ctx.f.all("user").iter().map(|u| json!({"kind": "User", "apiGroup": group, "name": u})).collect();
    out.extend(ctx.f.all("group").iter().map(|g| json!({"kind": "Group", "apiGroup": group, "name": g})));
    for sa in ctx.f.all("serviceaccount") {
        match sa.split(':').collect::<Vec<_>>()[..] {
            [ns, name] if !ns.is_empty() && !name.is_empty() => out.push(json!({"kind": "ServiceAccount", "namespace": ns, "name": name})),
            _ => return Err(CmdError::msg("serviceaccount must be <namespace>:<name>")),
        }
    }
    Ok(out)
}

fn binding(role_kind: &str, role: &str, subjects: Vec<Value>) -> Value {
    let mut b = json!({"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role}});
    if !subjects.is_empty() {
        b["subjects"] = Value::Array(subjects);
    }
    b
}

fn run_rolebinding(ctx: &mut Ctx) -> Result<(), CmdError> {
    let name = one_name(ctx)?;
    let (cr, r) = (ctx.f.str("clusterrole").unwrap_or_default().to_string(), ctx.f.str("role").unwrap_or_default().to_string());
    if cr.is_empty() == r.is_empty() {
        return Err(CmdError::msg("exactly one of clusterrole or role must be specified"));
    }
    let body = if r.is_empty() { binding("ClusterRole", &cr, subjects(ctx)?) } else { binding("Role", &r, subjects(ctx)?) };
    create_generated(ctx, generic(Kind::RoleBinding, meta(ctx, &name), body), Some("failed to create rolebinding"))
}

fn run_clusterrolebinding(ctx: &mut Ctx) -> Result<(), CmdError> {
    let name = one_name(ctx)?;
    let Some(cr) = ctx.f.str("clusterrole").map(str::to_string) else {
        return Err(CmdError::msg("required flag(s) \"clusterrole\" not set"));
    };
    let body = binding("ClusterRole", &cr, subjects(ctx)?);
    create_generated(ctx, generic(Kind::ClusterRoleBinding, ObjectMeta::named("", &name), body), Some("failed to create clusterrolebinding"))
}

#[cfg(test)]
mod tests {
    use super::super::testutil::run;
    use crate::kubectl::session::Session;

    #[test]
    fn create_role_writes_one_rule_per_group_as_kubectl_does() {
        let mut s = Session::new(1);
        let (out, code) = run(&mut s, "kubectl create role r --verb=get,list --verb=get --resource=pods,rs.apps,deploy/scale,pods/status --resource-name=a");
        assert_eq!((out.as_str(), code), ("role.rbac.authorization.k8s.io/r created\n", 0));
        let (json, _) = run(&mut s, "kubectl get role r -o jsonpath={.rules}");
        assert_eq!(
            json,
            r#"[{"apiGroups":[""],"resourceNames":["a"],"resources":["pods","pods/status"],"verbs":["get","list"]},{"apiGroups":["apps"],"resourceNames":["a"],"resources":["replicasets","deployments/scale"],"verbs":["get","list"]}]"#
        );
        assert_eq!(run(&mut s, "kubectl create role x --verb=get --resource=foos").0, "error: no matches for /, Resource=foos\n");
        assert_eq!(run(&mut s, "kubectl create role x --verb=bind --resource=pods").0, "error: can not perform 'bind' on 'pods' in group ''\n");
        assert_eq!(run(&mut s, "kubectl create role x --resource=pods").0, "error: at least one verb must be specified\n");
        assert_eq!(run(&mut s, "kubectl create role x --verb=get").0, "error: at least one resource must be specified\n");
        assert_eq!(
            run(&mut s, "kubectl create role x --verb=frob --resource=pods").0,
            "Warning: 'frob' is not a standard resource verb\nrole.rbac.authorization.k8s.io/x created\n"
        );
    }

    #[test]
    fn bindings_and_service_accounts_give_can_i_its_answers() {
        let mut s = Session::new(1);
        assert_eq!(run(&mut s, "kubectl create sa ci").0, "serviceaccount/ci created\n");
        assert_eq!(
            run(&mut s, "kubectl create rolebinding ci-edit --clusterrole=edit --serviceaccount=default:ci --user=jane").0,
            "rolebinding.rbac.authorization.k8s.io/ci-edit created\n"
        );
        assert_eq!(run(&mut s, "kubectl auth can-i create deployments --as=system:serviceaccount:default:ci").0, "yes\n");
        assert_eq!(run(&mut s, "kubectl auth can-i create deployments --as=jane").0, "yes\n");
        assert_eq!(run(&mut s, "kubectl create rolebinding x --role=a --clusterrole=b").0, "error: exactly one of clusterrole or role must be specified\n");
        assert_eq!(run(&mut s, "kubectl create clusterrolebinding x --serviceaccount=ci").0, "error: required flag(s) \"clusterrole\" not set\n");
        assert_eq!(
            run(&mut s, "kubectl create clusterrolebinding x --clusterrole=view --serviceaccount=ci").0,
            "error: serviceaccount must be <namespace>:<name>\n"
        );
        assert_eq!(run(&mut s, "kubectl create clusterrole agg --aggregation-rule=team=a,tier=b").0, "clusterrole.rbac.authorization.k8s.io/agg created\n");
        assert_eq!(
            run(&mut s, "kubectl create clusterrole health --verb=get --non-resource-url=/healthz,/logs/*").0,
            "clusterrole.rbac.authorization.k8s.io/health created\n"
        );
        assert_eq!(run(&mut s, "kubectl create clusterrole bad --verb=list --non-resource-url=/healthz").0, "error: invalid verb: 'list' for nonResourceURL\n");
    }
}
