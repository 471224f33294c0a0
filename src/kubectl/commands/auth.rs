//! `kubectl auth can-i` and `kubectl auth whoami` (kubectl's cmd/auth): a
//! SelfSubjectAccessReview, SelfSubjectRulesReview or SelfSubjectReview
//! answered by the simulated API server's authorizer
//! (`engine::apiserver::rbac`), as the user of kind's admin kubeconfig or
//! the one `--as`/`--as-group` impersonate.

use super::{Command, Ctx};
use crate::engine::apiserver::rbac::{self, Attributes, User};
use crate::kubectl::args::{Flag, FlagKind, boolf, flag, strf};
use crate::kubectl::describe::go_list;
use crate::kubectl::describe::rbac::{compact, resource_group};
use crate::kubectl::errors::CmdError;
use crate::kubectl::tabwriter::format_table;
use serde_json::Value;

pub fn subcommands() -> Vec<Command> {
    vec![
        Command::new("can-i", "Check whether an action is allowed", "can-i VERB [TYPE | TYPE/NAME | NONRESOURCEURL]", can_i_flags, run_can_i),
        Command::new("whoami", "Experimental: Check self subject attributes", "whoami", impersonation_flags, run_whoami),
    ]
}

const IMPERSONATION: [Flag; 2] = [strf("as"), flag("as-group", None, FlagKind::StrArray)];

fn impersonation_flags() -> Vec<Flag> {
    IMPERSONATION.to_vec()
}

fn can_i_flags() -> Vec<Flag> {
    let mut f = impersonation_flags();
    f.extend_from_slice(&[boolf("all-namespaces").with_short('A'), boolf("quiet").with_short('q'), strf("subresource"), boolf("list"), boolf("no-headers")]);
    f
}

/// The user the request acts as: the kubeconfig's, or the impersonated one.
fn user(ctx: &Ctx) -> Result<User, CmdError> {
    let groups = ctx.f.all("as-group");
    match ctx.f.str("as").filter(|s| !s.is_empty()) {
        Some(name) => Ok(User::impersonated(name, &groups)),
        None if !groups.is_empty() => {
            Err(CmdError::msg("invalid configuration: requesting uid, groups or user-extra for kind-kind without impersonating a user"))
        }
        None => Ok(User::admin()),
    }
}

const RESOURCE_VERBS: &[&str] = &[
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
    "use",
    "bind",
    "impersonate",
    "*",
    "approve",
    "sign",
    "escalate",
    "attest",
];
const NON_RESOURCE_VERBS: &[&str] = &["get", "put", "post", "head", "options", "delete", "patch", "*"];

fn run_can_i(ctx: &mut Ctx) -> Result<(), CmdError> {
    let user = user(ctx)?;
    let all = ctx.f.bool("all-namespaces");
    let namespace = if all { String::new() } else { ctx.ns.clone() };
    if ctx.f.bool("list") {
        if !ctx.f.args.is_empty() {
            return Err(CmdError::msg("list option must be specified with no arguments"));
        }
        if ctx.f.bool("quiet") || all || ctx.f.changed("subresource") {
            return Err(CmdError::msg("list option can't be specified with neither quiet, all-namespaces nor subresource options"));
        }
        let rules = Value::Array(rbac::rules_for(&ctx.api().store, &user, &namespace));
        let mut table = String::new();
        if !ctx.f.bool("no-headers") {
            table.push_str("Resources\tNon-Resource URLs\tResource Names\tVerbs\n");
        }
        for r in compact(&rules) {
            for cell in [&resource_group(&r), "\t", &go_list(&r.urls), "\t", &go_list(&r.names), "\t", &go_list(&r.verbs), "\n"] {
                table.push_str(cell);
            }
        }
        ctx.print(&format_table(&table));
        return Ok(());
    }
    let args = ctx.f.args.clone();
    let [verb, target] = args.as_slice() else {
        return Err(CmdError::msg(
            "you must specify two arguments: verb resource or verb resource/resourceName.\nSee 'kubectl auth can-i -h' for help and examples.",
        ));
    };
    let mut a = Attributes { verb: verb.clone(), namespace, ..Default::default() };
    let subresource = ctx.f.str("subresource").unwrap_or_default().to_string();
    let mut namespaced = true;
    if target.starts_with('/') {
        if !subresource.is_empty() {
            return Err(CmdError::msg("--subresource can not be used with NonResourceURL"));
        }
        a.path = target.clone();
        if !NON_RESOURCE_VERBS.contains(&verb.as_str()) {
            ctx.warning(&format!("verb '{verb}' is not a known verb\n"));
        }
    } else {
        let (resource, name) = target.split_once('/').unwrap_or((target, ""));
        a.name = name.into();
        a.subresource = subresource;
        // resourceFor: the mapper's resource, or the argument as typed
        a.resource = resource.into();
        if resource != "*" {
            match super::resources::resource_info(&ctx.api().store, resource) {
                Some(i) => (a.group, a.resource, namespaced) = (i.group.into(), i.plural.into(), i.namespaced),
                None => {
                    if !["users", "groups"].contains(&resource.to_ascii_lowercase().as_str()) {
                        let lower = resource.to_ascii_lowercase();
                        let msg = match lower.split_once('.') {
                            Some((r, g)) => format!("the server doesn't have a resource type '{r}' in group '{g}'\n"),
                            None => format!("the server doesn't have a resource type '{lower}'\n"),
                        };
                        ctx.warning(&msg);
                    }
                }
            }
        }
        if !all {
            if !namespaced {
                let msg = match a.group.as_str() {
                    "" => format!("resource '{}' is not namespace scoped\n", a.resource),
                    g => format!("resource '{}' is not namespace scoped in group '{g}'\n", a.resource),
                };
                ctx.warning(&msg);
            }
            if !RESOURCE_VERBS.contains(&verb.as_str()) {
                ctx.warning(&format!("verb '{verb}' is not a known verb\n"));
            }
        }
    }
    if ctx.f.bool("no-headers") {
        return Err(CmdError::msg("--no-headers cannot be set without --list specified"));
    }
    let (allowed, reason) = rbac::authorize(&ctx.api().store, &user, &a);
    if !ctx.f.bool("quiet") {
        let answer = if allowed { "yes" } else { "no" };
        let reason = if reason.is_empty() { String::new() } else { format!(" - {reason}") };
        ctx.println(&format!("{answer}{reason}"));
    }
    if allowed { Ok(()) } else { Err(CmdError::Exit(1)) }
}

fn run_whoami(ctx: &mut Ctx) -> Result<(), CmdError> {
    let user = user(ctx)?;
    let mut table = format!("ATTRIBUTE\tVALUE\nUsername\t{}\nGroups\t{}\n", user.name, go_list(&user.groups));
    if !ctx.f.changed("as") {
        // the x509 authenticator's credential id: the admin certificate's SHA-256
        let mut rng = crate::engine::rng::Rng::new(crate::engine::rng::fnv32a(user.name.as_bytes()) as u64);
        let hex: String = (0..4).map(|_| format!("{:016x}", rng.next_u64())).collect();
        table.push_str(&format!("Extra: authentication.kubernetes.io/credential-id\t[X509SHA256={hex}]\n"));
    }
    ctx.print(&format_table(&table));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{run, run_in};
    use crate::kubectl::session::Session;

    fn session() -> Session {
        Session::new(1)
    }
    fn apply_yaml(s: &mut Session, yaml: &str) {
        assert_eq!(run_in(s, "kubectl apply -f -", yaml).1, 0);
    }

    #[test]
    fn can_i_answers_from_the_bootstrap_policy() {
        let mut s = session();
        assert_eq!(run(&mut s, "kubectl auth can-i create pods"), ("yes\n".into(), 0));
        assert_eq!(run(&mut s, "kubectl auth can-i list pods --as=system:serviceaccount:default:default"), ("no\n".into(), 1));
        assert_eq!(run(&mut s, "kubectl auth can-i get /healthz --as=jane"), ("yes\n".into(), 0));
        assert_eq!(run(&mut s, "kubectl auth can-i create selfsubjectaccessreviews.authorization.k8s.io --as=jane -A"), ("yes\n".into(), 0));
        assert_eq!(
            run(&mut s, "kubectl auth can-i delete nodes --as=jane --as-group=system:masters"),
            ("Warning: resource 'nodes' is not namespace scoped\n\nyes\n".into(), 0)
        );
        assert_eq!(run(&mut s, "kubectl auth can-i -q get pods --as=jane"), (String::new(), 1));
        let (out, code) = run(&mut s, "kubectl auth can-i get pods extra");
        assert_eq!(code, 1);
        assert!(out.starts_with("error: you must specify two arguments"), "{out}");
    }

    #[test]
    fn a_binding_grants_and_a_missing_role_is_the_reason() {
        let mut s = session();
        let rb = "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: ci-view\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: view\nsubjects:\n- kind: ServiceAccount\n  name: ci\n";
        apply_yaml(&mut s, rb);
        let sa = "--as=system:serviceaccount:default:ci";
        assert_eq!(run(&mut s, &format!("kubectl auth can-i list pods {sa}")).0, "yes\n");
        assert_eq!(run(&mut s, &format!("kubectl auth can-i list pods -n kube-system {sa}")).0, "no\n");
        assert_eq!(run(&mut s, &format!("kubectl auth can-i get secrets {sa}")).0, "no\n", "view does not read secrets");
        let missing = rb.replace("name: ci-view", "name: ci-gone").replace("kind: ClusterRole\n  name: view", "kind: Role\n  name: gone");
        apply_yaml(&mut s, &missing);
        assert_eq!(run(&mut s, &format!("kubectl auth can-i get secrets {sa}")).0, "no - RBAC: role.rbac.authorization.k8s.io \"gone\" not found\n");
    }
}
