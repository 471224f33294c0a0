//! `kubectl label` and `kubectl annotate` (pkg/cmd/label, pkg/cmd/annotate).

use super::Ctx;
use super::resources::{BuildOpts, select};
use crate::kubectl::args::{Flag, FlagKind, boolf, flag, strf};
use crate::kubectl::errors::CmdError;
use std::collections::BTreeMap;

fn common_flags() -> Vec<Flag> {
    const {
        &[
            boolf("overwrite"),
            boolf("list"),
            boolf("local"),
            boolf("all"),
            boolf("all-namespaces").with_short('A'),
            flag("selector", Some('l'), FlagKind::Str),
            strf("field-selector"),
            strf("resource-version"),
            flag("filename", Some('f'), FlagKind::StrSlice),
            boolf("recursive").with_short('R'),
            flag("output", Some('o'), FlagKind::Str),
            strf("dry-run").with_no_opt("unchanged"),
            strf("field-manager"),
            flag("kustomize", Some('k'), FlagKind::Str),
        ]
    }
    .to_vec()
}

pub fn label_flags() -> Vec<Flag> {
    common_flags()
}

pub fn annotate_flags() -> Vec<Flag> {
    common_flags()
}

/// cmdutil.GetResourcesAndPairs.
fn resources_and_pairs(args: &[String], pair_type: &str) -> Result<(Vec<String>, Vec<String>), CmdError> {
    let mut resources = vec![];
    let mut pairs = vec![];
    let mut found = false;
    for s in args {
        let non_resource = (s.contains('=') && !s.starts_with('=')) || (s.ends_with('-') && s != "-");
        match (found, non_resource) {
            (_, true) => {
                found = true;
                pairs.push(s.clone());
            }
            (false, false) => resources.push(s.clone()),
            (true, false) => return Err(CmdError::msg(format!("all resources must be specified before {pair_type} changes: {s}"))),
        }
    }
    Ok((resources, pairs))
}

/// validation.IsValidLabelValue.
pub fn label_value_errors(v: &str) -> Vec<String> {
    crate::engine::apiserver::validation::label_value_errors(v)
}

fn parse_labels(spec: &[String]) -> Result<(BTreeMap<String, String>, Vec<String>), CmdError> {
    let mut labels = BTreeMap::new();
    let mut remove = vec![];
    for s in spec {
        if s.contains('=') {
            let parts: Vec<&str> = s.split('=').collect();
            if parts.len() != 2 {
                return Err(CmdError::msg(format!("invalid label spec: {s}")));
            }
            let errs = label_value_errors(parts[1]);
            if !errs.is_empty() {
                return Err(CmdError::msg(format!("invalid label value: {s:?}: {}", errs.join(";"))));
            }
            labels.insert(parts[0].to_string(), parts[1].to_string());
        } else if let Some(k) = s.strip_suffix('-') {
            remove.push(k.to_string());
        } else {
            return Err(CmdError::msg(format!("unknown label spec: {s}")));
        }
    }
    if remove.iter().any(|r| labels.contains_key(r)) {
        return Err(CmdError::msg("can not both modify and remove a label in the same command"));
    }
    Ok((labels, remove))
}

/// cmdutil.ParsePairs.
fn parse_pairs(args: &[String], pair_type: &str) -> Result<(BTreeMap<String, String>, Vec<String>), CmdError> {
    let mut new = BTreeMap::new();
    let mut remove = vec![];
    let mut invalid = vec![];
    for a in args {
        if a.contains('=') && !a.starts_with('=') {
            let (k, v) = a.split_once('=').unwrap_or((a, ""));
            new.insert(k.to_string(), v.to_string());
        } else if a.ends_with('-') && a != "-" {
            remove.push(a[..a.len() - 1].to_string());
        } else {
            invalid.push(a.clone());
        }
    }
    if !invalid.is_empty() {
        return Err(CmdError::msg(format!("invalid {pair_type} format: {}", invalid.join(", "))));
    }
    Ok((new, remove))
}

#[derive(Clone, Copy, PartialEq)]
enum Which {
    Labels,
    Annotations,
}

fn run(ctx: &mut Ctx, which: Which) -> Result<(), CmdError> {
    let noun = if which == Which::Labels { "label" } else { "annotation" };
    let (resources, pairs) = resources_and_pairs(&ctx.f.args, noun)?;
    let list = ctx.f.bool("list");
    if list && ctx.f.changed("output") {
        return Err(CmdError::msg("--list and --output may not be specified together"));
    }
    if ctx.f.bool("all") && ctx.f.changed("selector") {
        return Err(CmdError::msg("cannot set --all and --selector at the same time"));
    }
    if ctx.f.bool("all") && ctx.f.changed("field-selector") {
        return Err(CmdError::msg("cannot set --all and --field-selector at the same time"));
    }
    if resources.is_empty() && ctx.f.all("filename").is_empty() {
        return Err(CmdError::msg("one or more resources must be specified as <resource> <name> or <resource>/<name>"));
    }
    if pairs.is_empty() && !list {
        return Err(CmdError::msg(format!("at least one {noun} update is required")));
    }
    let (new, remove) = match which {
        Which::Labels => parse_labels(&pairs)?,
        Which::Annotations => {
            let (n, r) = parse_pairs(&pairs, "annotation")?;
            let both: Vec<&String> = r.iter().filter(|k| n.contains_key(*k)).collect();
            if !both.is_empty() {
                return Err(CmdError::msg(format!(
                    "can not both modify and remove the following annotation(s) in the same command: {}",
                    both.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                )));
            }
            (n, r)
        }
    };
    let overwrite = ctx.f.bool("overwrite");
    let dry = ctx.f.str("dry-run").is_some_and(|d| d != "none");
    let mut opts = BuildOpts::from_ctx(ctx);
    opts.args = resources;
    opts.allow_empty_selector = opts.all;
    let sel = select(ctx, &opts)?;
    for w in super::resources::server_warnings(&sel.kinds) {
        ctx.warning(w);
    }
    if ctx.f.changed("resource-version") && sel.items.len() > 1 {
        return Err(CmdError::msg("--resource-version may only be used with a single resource"));
    }
    let mut errs = sel.errors;
    for it in &sel.items {
        let live = match ctx.api().get(it.kind, &it.namespace, &it.name) {
            Ok(o) => o,
            Err(e) => {
                errs.push(CmdError::Api(e));
                continue;
            }
        };
        let mut obj = (*live).clone();
        let current: BTreeMap<String, String> = match which {
            Which::Labels => obj.meta().labels.clone(),
            Which::Annotations => obj.meta().annotations.clone(),
        };
        if list {
            if !sel.single_item_implied {
                let i = it.kind.info();
                ctx.println(&format!("Listing {noun}s for {}.{}/{}:", i.kind, i.group, it.name));
            }
            let indent = if sel.single_item_implied { "" } else { " " };
            for (k, v) in &current {
                ctx.println(&format!("{indent}{k}={v}"));
            }
            continue;
        }
        if which == Which::Labels && !dry {
            for r in &remove {
                if !current.contains_key(r) {
                    ctx.println(&format!("label {r:?} not found."));
                }
            }
        }
        if !overwrite {
            let conflicts: Vec<(String, String)> = new
                .iter()
                .filter(|(k, _)| which == Which::Labels || k.as_str() != "kubernetes.io/change-cause")
                .filter_map(|(k, v)| current.get(k).filter(|c| *c != v).map(|c| (k.clone(), c.clone())))
                .collect();
            if !conflicts.is_empty() {
                let e = match which {
                    Which::Labels => CmdError::Many(
                        conflicts.iter().map(|(k, c)| CmdError::msg(format!("'{k}' already has a value ({c}), and --overwrite is false"))).collect(),
                    ),
                    Which::Annotations => CmdError::msg(format!(
                        "--overwrite is false but found the following declared annotation(s): {}",
                        conflicts.iter().map(|(k, c)| format!("'{k}' already has a value ({c})")).collect::<Vec<_>>().join("; ")
                    )),
                };
                return Err(e);
            }
        }
        let mut updated = current.clone();
        let mut added = 0;
        let mut removed = 0;
        for (k, v) in &new {
            if updated.get(k) != Some(v) {
                updated.insert(k.clone(), v.clone());
                added += 1;
            }
        }
        for r in &remove {
            if updated.remove(r).is_some() {
                removed += 1;
            }
        }
        if let Some(rv) = ctx.f.str("resource-version")
            && rv != live.meta().resource_version
        {
            return Err(CmdError::Api(crate::engine::apiserver::ApiError::new(
                crate::engine::apiserver::Reason::Conflict,
                format!(
                    "Operation cannot be fulfilled on {} {:?}: the object has been modified; please apply your changes to the latest version and try again",
                    it.kind.info().qualified_plural(),
                    it.name
                ),
            )));
        }
        if (added > 0 || removed > 0) && !dry {
            match which {
                Which::Labels => obj.meta_mut().labels = updated,
                Which::Annotations => obj.meta_mut().annotations = updated,
            }
            if let Err(e) = ctx.cluster().update(obj) {
                errs.push(CmdError::Api(e));
                continue;
            }
        }
        let msg = match which {
            Which::Annotations => "annotated",
            Which::Labels => match (added > 0, removed > 0) {
                (true, true) => "modified",
                (true, false) => "labeled",
                (false, true) => "unlabeled",
                (false, false) => "not labeled",
            },
        };
        let msg = if dry { format!("{msg} (dry run)") } else { msg.to_string() };
        super::apply::print_name(ctx, it.kind, &it.name, &msg);
    }
    if errs.is_empty() { Ok(()) } else { Err(CmdError::Many(errs)) }
}

pub fn run_label(ctx: &mut Ctx) -> Result<(), CmdError> {
    run(ctx, Which::Labels)
}

pub fn run_annotate(ctx: &mut Ctx) -> Result<(), CmdError> {
    run(ctx, Which::Annotations)
}

#[cfg(test)]
mod tests {
    use crate::engine::api::ConfigMap;
    use crate::kubectl::commands::testutil::{run, run_in};
    use crate::kubectl::session::Session;

    #[test]
    fn labels_and_annotations() {
        let mut s = Session::new(1);
        run_in(&mut s, "kubectl apply -f -", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels:\n    app: web\n");
        assert_eq!(run(&mut s, "kubectl label cm c tier=front"), ("configmap/c labeled\n".into(), 0));
        assert_eq!(run(&mut s, "kubectl label cm c tier=back").0, "error: 'tier' already has a value (front), and --overwrite is false\n");
        assert_eq!(run(&mut s, "kubectl label cm c tier=back --overwrite"), ("configmap/c labeled\n".into(), 0));
        assert_eq!(run(&mut s, "kubectl label cm/c tier-"), ("configmap/c unlabeled\n".into(), 0));
        assert_eq!(run(&mut s, "kubectl label cm c nope-"), ("label \"nope\" not found.\nconfigmap/c not labeled\n".into(), 0));
        assert_eq!(run(&mut s, "kubectl label cm c app=web"), ("configmap/c not labeled\n".into(), 0));
        assert_eq!(run(&mut s, "kubectl label cm c a=b c").0, "error: all resources must be specified before label changes: c\n");
        assert_eq!(run(&mut s, "kubectl label cm c").0, "error: at least one label update is required\n");
        assert_eq!(
            run(&mut s, "kubectl label cm c 'x=a b'").0,
            "error: invalid label value: \"x=a b\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')\n"
        );
        assert_eq!(run(&mut s, "kubectl annotate cm c note='hello world'"), ("configmap/c annotated\n".into(), 0));
        assert_eq!(
            run(&mut s, "kubectl annotate cm c note=bye").0,
            "error: --overwrite is false but found the following declared annotation(s): 'note' already has a value (hello world)\n"
        );
        assert_eq!(run(&mut s, "kubectl annotate cm c note-"), ("configmap/c annotated\n".into(), 0));
        assert_eq!(run(&mut s, "kubectl label cm c --list"), ("app=web\n".into(), 0));
        let cm = s.cluster.get::<ConfigMap>("default", "c").unwrap();
        assert!(!cm.metadata.annotations.contains_key("note"));
        assert_eq!(run(&mut s, "kubectl label cm nope a=b").0, "Error from server (NotFound): configmaps \"nope\" not found\n");
    }
}
