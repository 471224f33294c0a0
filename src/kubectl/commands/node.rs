//! Node maintenance: `kubectl taint`, `cordon`, `uncordon` and `drain`
//! (pkg/cmd/taint, pkg/cmd/drain and the drain helper in pkg/drain).

use super::Ctx;
use super::resources::{BuildOpts, select};
use super::wait::FOREVER;
use crate::engine::api::*;
use crate::engine::apiserver::{DeleteOptions, Reason};
use crate::engine::cluster::SETTLE_LIMIT;
use crate::engine::time::{Millis, go_duration};
use crate::kubectl::args::{Flag, FlagKind, boolf, flag, strf};
use crate::kubectl::errors::CmdError;
use crate::kubectl::session::{Check, Session, Waiter};
use std::collections::BTreeMap;

// ---------------------------------------------------------------- taint

pub fn taint_flags() -> Vec<Flag> {
    const {
        &[
            boolf("overwrite"),
            boolf("all"),
            flag("selector", Some('l'), FlagKind::Str),
            flag("output", Some('o'), FlagKind::Str),
            strf("dry-run").with_no_opt("unchanged"),
            boolf("validate"),
            strf("field-manager"),
        ]
    }
    .to_vec()
}

/// parseTaint: `key=value:Effect`, `key:Effect` or `key`.
fn parse_taint(st: &str) -> Result<Taint, String> {
    let parts: Vec<&str> = st.split(':').collect();
    let (key, value, effect) = match parts.len() {
        1 => (parts[0].to_string(), String::new(), String::new()),
        2 => {
            let effect = parts[1];
            if !matches!(effect, "NoSchedule" | "PreferNoSchedule" | "NoExecute") {
                return Err(format!("invalid taint effect: {effect}, unsupported taint effect"));
            }
            let kv: Vec<&str> = parts[0].split('=').collect();
            if kv.len() > 2 {
                return Err(format!("invalid taint spec: {st}"));
            }
            let value = kv.get(1).map(|v| v.to_string()).unwrap_or_default();
            let errs = super::label::label_value_errors(&value);
            if !errs.is_empty() {
                return Err(format!("invalid taint spec: {st}, {}", errs.join("; ")));
            }
            (kv[0].to_string(), value, effect.to_string())
        }
        _ => return Err(format!("invalid taint spec: {st}")),
    };
    if let Some(m) = crate::engine::apiserver::validation::qualified_name_errors(&key).first() {
        return Err(format!("invalid taint spec: {st}, {m}"));
    }
    Ok(Taint { key, value, effect, time_added: None })
}

fn parse_taints(spec: &[String]) -> Result<(Vec<Taint>, Vec<Taint>), String> {
    let mut add: Vec<Taint> = vec![];
    let mut remove = vec![];
    for s in spec {
        if let Some(r) = s.strip_suffix('-') {
            let t = parse_taint(r)?;
            remove.push(Taint { key: t.key, effect: t.effect, ..Default::default() });
        } else {
            let t = parse_taint(s)?;
            if t.effect.is_empty() {
                return Err(format!("invalid taint spec: {s}"));
            }
            if add.iter().any(|a| a.key == t.key && a.effect == t.effect) {
                return Err(format!("duplicated taints with the same key and effect: {{{} {} {} <nil>}}", t.key, t.value, t.effect));
            }
            add.push(t);
        }
    }
    Ok((add, remove))
}

fn taint_string(t: &Taint) -> String {
    // v1.Taint.ToString
    if t.value.is_empty() {
        if t.effect.is_empty() { t.key.clone() } else { format!("{}:{}", t.key, t.effect) }
    } else {
        format!("{}={}:{}", t.key, t.value, t.effect)
    }
}

pub fn run_taint(ctx: &mut Ctx) -> Result<(), CmdError> {
    let mut resources = vec![];
    let mut taint_args = vec![];
    let mut met = false;
    for s in &ctx.f.args {
        let is_taint = s.contains('=') || s.contains(':') || s.ends_with('-');
        match (met, is_taint) {
            (_, true) => {
                met = true;
                taint_args.push(s.clone());
            }
            (false, false) => resources.push(s.clone()),
            (true, false) => return Err(CmdError::msg(format!("all resources must be specified before taint changes: {s}"))),
        }
    }
    if resources.is_empty() {
        return Err(CmdError::msg("one or more resources must be specified as <resource> <name>"));
    }
    if taint_args.is_empty() {
        return Err(CmdError::msg("at least one taint update is required"));
    }
    let (add, remove) = parse_taints(&taint_args).map_err(|e| ctx.usage_error(&e))?;
    let rtype = resources[0].to_lowercase();
    let kind = super::resources::resolve_type(&ctx.api().store, &rtype)?;
    if kind != Kind::Node {
        return Err(CmdError::msg(format!("invalid resource type {rtype}, only node types are supported")));
    }
    let conflicts: Vec<String> = add
        .iter()
        .flat_map(|a| remove.iter().filter(move |r| r.key == a.key && (r.effect.is_empty() || r.effect == a.effect)).map(|r| format!("{}={}", r.key, r.effect)))
        .collect();
    if !conflicts.is_empty() {
        return Err(CmdError::msg(format!("can not both modify and remove the following taint(s) in the same command: {}", conflicts.join(", "))));
    }
    let all = ctx.f.bool("all");
    let selector = ctx.f.str("selector").map(|s| s.to_string());
    if all && selector.is_some() {
        return Err(CmdError::msg("setting 'all' parameter with a non empty selector is prohibited"));
    }
    if !all && selector.is_none() && resources.len() < 2 {
        return Err(CmdError::msg("at least one resource name must be specified since 'all' parameter is not set"));
    }
    let overwrite = ctx.f.bool("overwrite");
    let mut opts = BuildOpts { selector, all, allow_empty_selector: all, ..Default::default() };
    opts.args = if all || opts.selector.is_some() {
        vec!["nodes".into()]
    } else {
        std::iter::once("nodes".to_string()).chain(resources[1..].iter().cloned()).collect()
    };
    let sel = select(ctx, &opts)?;
    let mut errs = sel.errors;
    for it in &sel.items {
        let Object::Node(node) = &*it.obj else { continue };
        let mut node = node.clone();
        if !overwrite {
            let exists: Vec<&str> =
                add.iter().filter(|t| node.spec.taints.iter().any(|o| o.key == t.key && o.effect == t.effect)).map(|t| t.key.as_str()).collect();
            if !exists.is_empty() {
                errs.push(CmdError::msg(format!(
                    "node {} already has {} taint(s) with same effect(s) and --overwrite is false",
                    node.metadata.name,
                    exists.join(",")
                )));
                continue;
            }
        }
        // reorganizeTaints
        let mut new_taints = add.clone();
        let old = node.spec.taints.clone();
        for o in &old {
            if !new_taints.iter().any(|t| t.key == o.key && t.effect == o.effect) {
                new_taints.push(o.clone());
            }
        }
        let added = old.len() != new_taints.len();
        let mut deleted = false;
        let mut not_found = vec![];
        for r in &remove {
            let before = new_taints.len();
            if r.effect.is_empty() {
                new_taints.retain(|t| t.key != r.key);
            } else {
                new_taints.retain(|t| !(t.key == r.key && t.effect == r.effect));
            }
            deleted = new_taints.len() != before;
            if !deleted {
                not_found.push(CmdError::msg(format!("taint {:?} not found", taint_string(r))));
            }
        }
        if !not_found.is_empty() {
            errs.extend(not_found);
            continue;
        }
        let op = if (added && deleted) || overwrite {
            "modified"
        } else if added {
            "tainted"
        } else {
            "untainted"
        };
        // NoExecute taints get the time they were added (the API server's node strategy)
        let now = ctx.api().now;
        for t in &mut new_taints {
            if t.effect == "NoExecute" && t.time_added.is_none() {
                t.time_added = old.iter().find(|o| o.key == t.key && o.effect == t.effect && o.value == t.value).and_then(|o| o.time_added).or(Some(now));
            }
        }
        node.spec.taints = new_taints;
        if let Err(e) = ctx.cluster().update(Object::Node(node)) {
            errs.push(CmdError::Api(e));
            continue;
        }
        super::apply::print_name(ctx, Kind::Node, &it.name, op);
    }
    if errs.is_empty() { Ok(()) } else { Err(CmdError::Many(errs)) }
}

// ---------------------------------------------------------------- cordon, drain

pub fn cordon_flags() -> Vec<Flag> {
    const { &[flag("selector", Some('l'), FlagKind::Str), strf("dry-run").with_no_opt("unchanged")] }.to_vec()
}

pub fn drain_flags() -> Vec<Flag> {
    const {
        &[
            flag("selector", Some('l'), FlagKind::Str),
            strf("pod-selector"),
            boolf("force"),
            boolf("ignore-daemonsets"),
            boolf("delete-emptydir-data"),
            boolf("delete-local-data"),
            boolf("disable-eviction"),
            flag("grace-period", None, FlagKind::Int),
            flag("timeout", None, FlagKind::Duration),
            flag("skip-wait-for-delete-timeout", None, FlagKind::Int),
            flag("chunk-size", None, FlagKind::Int),
            strf("dry-run").with_no_opt("unchanged"),
        ]
    }
    .to_vec()
}

fn nodes(ctx: &Ctx, usage: &str) -> Result<Vec<Node>, CmdError> {
    let selector = ctx.f.str("selector").map(|s| s.to_string());
    if ctx.f.args.is_empty() && selector.is_none() {
        return Err(ctx.usage_error(&format!("USAGE: {usage} [flags]")));
    }
    if !ctx.f.args.is_empty() && selector.is_some() {
        return Err(ctx.usage_error("error: cannot specify both a node name and a --selector option"));
    }
    let args = if selector.is_some() { vec!["nodes".to_string()] } else { std::iter::once("nodes".to_string()).chain(ctx.f.args.iter().cloned()).collect() };
    let opts = BuildOpts { args, selector, ..Default::default() };
    let sel = select(ctx, &opts)?;
    if let Some(e) = sel.errors.into_iter().next() {
        return Err(e);
    }
    Ok(sel.items.iter().filter_map(|i| i.obj.as_::<Node>().cloned()).collect())
}

/// Cordons (or uncordons) nodes, printing kubectl's lines.
fn cordon_nodes(ctx: &mut Ctx, nodes: &[Node], desired: bool, dry: bool) {
    let verb = if desired { "cordon" } else { "uncordon" };
    for n in nodes {
        let live = ctx.api().get_t::<Node>("", &n.metadata.name).cloned();
        let Some(mut node) = live else { continue };
        if node.spec.unschedulable == desired {
            super::apply::print_name(ctx, Kind::Node, &node.metadata.name, if desired { "already cordoned" } else { "already uncordoned" });
            continue;
        }
        if !dry {
            node.spec.unschedulable = desired;
            let name = node.metadata.name.clone();
            if let Err(e) = ctx.cluster().update(Object::Node(node)) {
                ctx.print(&format!("error: unable to {verb} node {name:?}: {}\n", e.message));
                continue;
            }
        }
        let op = if desired { "cordoned" } else { "uncordoned" };
        let op = if dry { format!("{op} (dry run)") } else { op.to_string() };
        super::apply::print_name(ctx, Kind::Node, &n.metadata.name, &op);
    }
}

pub fn run_cordon(ctx: &mut Ctx) -> Result<(), CmdError> {
    let ns = nodes(ctx, "cordon NODE")?;
    let dry = ctx.f.str("dry-run").is_some_and(|d| d != "none");
    cordon_nodes(ctx, &ns, true, dry);
    Ok(())
}

pub fn run_uncordon(ctx: &mut Ctx) -> Result<(), CmdError> {
    let ns = nodes(ctx, "uncordon NODE")?;
    let dry = ctx.f.str("dry-run").is_some_and(|d| d != "none");
    cordon_nodes(ctx, &ns, false, dry);
    Ok(())
}

const EVICT_RETRY: Millis = 5_000;

#[derive(Clone, PartialEq)]
enum Verdict {
    Okay,
    Skip,
    Warning(&'static str),
    /// Not deleted, with a warning.
    Ignore(&'static str),
    Error(String),
}

/// The drain filters, in kubectl's order; the last filter that ran decides.
fn filter_pod(ctx: &Ctx, p: &Pod) -> Verdict {
    let finished = p.status.phase.is_terminal();
    let force = ctx.f.bool("force");
    let mut v = Verdict::Okay;
    // daemonSetFilter
    if let Some(cr) = p.metadata.controller_ref()
        && cr.kind == "DaemonSet"
        && !finished
    {
        let exists = ctx.api().store.get(Kind::DaemonSet, &ObjKey::new(&p.metadata.namespace, &cr.name)).is_some();
        v = match (exists, force) {
            (false, true) => Verdict::Warning("orphaned DaemonSet pod"),
            (false, false) => return Verdict::Error(format!("daemonsets.apps {:?} not found", cr.name)),
            (true, _) if !ctx.f.bool("ignore-daemonsets") => return Verdict::Error("DaemonSet-managed Pods (use --ignore-daemonsets to ignore)".into()),
            (true, _) => Verdict::Ignore("ignoring DaemonSet-managed Pods"),
        };
    }
    if p.metadata.annotations.contains_key("kubernetes.io/config.mirror") {
        return Verdict::Skip;
    }
    let local = p.spec.volumes.iter().any(|vol| vol.empty_dir.is_some());
    if local && !finished {
        if !(ctx.f.bool("delete-emptydir-data") || ctx.f.bool("delete-local-data")) {
            return Verdict::Error("Pods with local storage (use --delete-emptydir-data to override)".into());
        }
        v = Verdict::Warning("deleting Pods with local storage");
    }
    // unreplicatedFilter (runs last and decides, but keeps an ignored pod's verdict)
    if finished || p.metadata.controller_ref().is_some() {
        return if let Verdict::Ignore(_) = v { v } else { Verdict::Okay };
    }
    if force {
        return Verdict::Warning("deleting Pods that declare no controller");
    }
    Verdict::Error("Pods that declare no controller (use --force to override)".into())
}

fn pods_for_deletion(ctx: &Ctx, node: &str) -> Result<(Vec<Pod>, Vec<String>), Vec<String>> {
    let pod_sel = match ctx.f.str("pod-selector") {
        Some(s) => super::selector::parse_label_selector(s).unwrap_or_default(),
        None => Default::default(),
    };
    let pods: Vec<Pod> = ctx.api().store.pods_on_node(node).filter(|p| pod_sel.matches(&p.metadata.labels)).cloned().collect();
    let mut ok = vec![];
    let mut warnings: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    let mut errors: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for p in pods {
        let id = format!("{}/{}", p.metadata.namespace, p.metadata.name);
        match filter_pod(ctx, &p) {
            Verdict::Okay => ok.push(p),
            Verdict::Skip => {}
            Verdict::Warning(w) => {
                warnings.entry(w).or_default().push(id);
                ok.push(p);
            }
            Verdict::Ignore(w) => warnings.entry(w).or_default().push(id),
            Verdict::Error(e) => errors.entry(e).or_default().push(id),
        }
    }
    if !errors.is_empty() {
        return Err(errors.into_iter().map(|(m, ps)| format!("cannot delete {m}: {}", ps.join(", "))).collect());
    }
    Ok((ok, warnings.into_iter().map(|(m, ps)| format!("{m}: {}", ps.join(", "))).collect()))
}

pub fn run_drain(ctx: &mut Ctx) -> Result<(), CmdError> {
    if let Some(s) = ctx.f.str("pod-selector")
        && super::selector::parse_label_selector(s).is_err()
    {
        return Err(CmdError::msg("--pod-selector=<pod_selector> must be a valid label selector"));
    }
    let list = nodes(ctx, "drain NODE")?;
    let dry = ctx.f.str("dry-run").is_some_and(|d| d != "none");
    cordon_nodes(ctx, &list, true, dry);
    let names = list.iter().map(|n| n.metadata.name.clone()).collect();
    let spec = super::wait::CtxSpec::of(ctx);
    ctx.session.wait_with(Box::new(DrainWait { spec, nodes: names, at: 0, dry, current: None, fatal: vec![], remaining: vec![] }));
    Ok(())
}

/// `kubectl drain`, one look at a time: node after node, every pod evicted
/// in turn (evictions a disruption budget refuses are retried every 5s) and
/// waited for until it is gone.
struct DrainWait {
    spec: super::wait::CtxSpec,
    nodes: Vec<String>,
    at: usize,
    dry: bool,
    current: Option<NodeDrain>,
    fatal: Vec<CmdError>,
    remaining: Vec<String>,
}

impl Waiter for DrainWait {
    fn check(&mut self, s: &mut Session, out: &mut String) -> Check {
        let mut ctx = self.spec.ctx(s, out);
        while let Some(node) = self.nodes.get(self.at).cloned() {
            let r = match self.current.as_mut() {
                None => match start_node(&mut ctx, &node, self.dry) {
                    Ok(Some(d)) => {
                        self.current = Some(d);
                        continue;
                    }
                    Ok(None) => Ok(None),
                    Err(e) => Err(e),
                },
                Some(d) => d.look(&mut ctx),
            };
            match r {
                Ok(Some(max)) => return Check::Wait(max),
                Ok(None) => super::apply::print_name(&mut ctx, Kind::Node, &node, if self.dry { "drained (dry run)" } else { "drained" }),
                Err(e) => {
                    ctx.print(&format!("error: unable to drain node {node:?} due to error: {e}, continuing command...\n"));
                    self.fatal.push(CmdError::msg(e));
                    self.remaining.push(node.clone());
                }
            }
            self.current = None;
            self.at += 1;
        }
        if !self.remaining.is_empty() {
            ctx.print("There are pending nodes to be drained:\n");
            for r in &self.remaining {
                ctx.print(&format!(" {r}\n"));
            }
        }
        Check::Done(if self.fatal.is_empty() { Ok(()) } else { Err(CmdError::Many(std::mem::take(&mut self.fatal))) })
    }
}

/// Per pod: (pod, retry at, waiting for deletion since eviction succeeded).
struct Job {
    pod: Pod,
    retry_at: Option<Millis>,
    deleting: bool,
    done: bool,
}

/// The drain of one node under way.
struct NodeDrain {
    use_eviction: bool,
    grace: Option<i64>,
    global: Millis,
    start: Millis,
    deadline: Millis,
    jobs: Vec<Job>,
    errors: Vec<String>,
    idle_since: Option<Millis>,
}

/// Starts draining a node: its pods, or Ok(None) when there is nothing to wait for.
fn start_node(ctx: &mut Ctx, node: &str, dry: bool) -> Result<Option<NodeDrain>, String> {
    let (pods, warnings) = pods_for_deletion(ctx, node).map_err(|errs| errs.join(", "))?;
    if !warnings.is_empty() {
        ctx.warning(&warnings.join("; "));
    }
    if dry {
        for p in &pods {
            ctx.print(&format!("evicting pod {}/{} (dry run)\n", p.metadata.namespace, p.metadata.name));
        }
        return Ok(None);
    }
    let use_eviction = !ctx.f.bool("disable-eviction");
    let grace = ctx.f.int("grace-period").filter(|g| *g >= 0);
    let timeout = ctx.f.duration("timeout").unwrap_or(0);
    let global = if timeout <= 0 { FOREVER } else { timeout };
    let start = ctx.cluster().now().0;
    let deadline = start.saturating_add(global);
    let jobs: Vec<Job> = pods.into_iter().map(|p| Job { pod: p, retry_at: Some(start), deleting: false, done: false }).collect();
    Ok(Some(NodeDrain { use_eviction, grace, global, start, deadline, jobs, errors: vec![], idle_since: None }))
}

impl NodeDrain {
    /// One look: Ok(Some(max)) to step the cluster (at most `max` ahead),
    /// Ok(None) when the node is drained, Err when it cannot be.
    fn look(&mut self, ctx: &mut Ctx) -> Result<Option<Millis>, String> {
        let (use_eviction, grace, global, start, deadline) = (self.use_eviction, self.grace, self.global, self.start, self.deadline);
        let jobs = &mut self.jobs;
        let errors = &mut self.errors;
        let now = ctx.cluster().now().0;
        for j in jobs.iter_mut().filter(|j| !j.done) {
            if j.retry_at.is_some_and(|t| t <= now) {
                let (ns, name) = (j.pod.metadata.namespace.clone(), j.pod.metadata.name.clone());
                if use_eviction {
                    ctx.print(&format!("evicting pod {ns}/{name}\n"));
                    if now >= deadline && now > start {
                        // the loop notices the global timeout right after announcing the attempt
                        errors.push(format!("error when evicting pods/{name:?} -n {ns:?}: global timeout reached: {}", go_duration(global)));
                        j.retry_at = None;
                        j.done = true;
                        continue;
                    }
                    match ctx.cluster().evict_with(&ns, &name, grace) {
                        Ok(_) => {
                            j.retry_at = None;
                            j.deleting = true;
                        }
                        Err(e) if e.reason == Reason::NotFound => {
                            j.retry_at = None;
                            j.done = true;
                        }
                        Err(e) if e.reason == Reason::TooManyRequests => {
                            ctx.print(&format!("error when evicting pods/{name:?} -n {ns:?} (will retry after {}): {}\n", go_duration(EVICT_RETRY), e.message));
                            j.retry_at = Some(now + EVICT_RETRY);
                        }
                        Err(e) => {
                            errors.push(format!("error when evicting pods/{name:?} -n {ns:?}: {}", e.message));
                            j.retry_at = None;
                            j.done = true;
                        }
                    }
                } else {
                    match ctx.cluster().delete(Kind::Pod, &ns, &name, &DeleteOptions { grace_period: grace, ..Default::default() }) {
                        Ok(_) => {
                            j.retry_at = None;
                            j.deleting = true;
                        }
                        Err(e) if e.reason == Reason::NotFound => {
                            j.retry_at = None;
                            j.done = true;
                        }
                        Err(e) => {
                            errors.push(e.message.clone());
                            j.retry_at = None;
                            j.done = true;
                        }
                    }
                }
            }
        }
        // pods that are gone (or replaced by a new pod with the same name)
        for j in jobs.iter_mut().filter(|j| j.deleting && !j.done) {
            let gone = match ctx.api().get_t::<Pod>(&j.pod.metadata.namespace, &j.pod.metadata.name) {
                None => true,
                Some(p) => p.metadata.uid != j.pod.metadata.uid,
            };
            if gone {
                j.done = true;
                let op = if use_eviction { "evicted" } else { "deleted" };
                super::apply::print_name(ctx, Kind::Pod, &j.pod.metadata.name, op);
            }
        }
        if jobs.iter().all(|j| j.done) {
            return if errors.is_empty() { Ok(None) } else { Err(errors.join(", ")) };
        }
        let now = ctx.cluster().now().0;
        if now >= deadline {
            for j in jobs.iter().filter(|j| !j.done) {
                let (name, ns) = (&j.pod.metadata.name, &j.pod.metadata.namespace);
                if j.deleting {
                    errors.push(format!("error when waiting for pod {name:?} in namespace {ns:?} to terminate: context deadline exceeded"));
                } else {
                    errors.push(format!("error when evicting pods/{name:?} -n {ns:?}: global timeout reached: {}", go_duration(global)));
                }
            }
            return Err(errors.join(", "));
        }
        if global == FOREVER {
            if ctx.cluster().busy() {
                self.idle_since = None;
            } else if now - *self.idle_since.get_or_insert(now) >= SETTLE_LIMIT {
                let left: Vec<String> = jobs.iter().filter(|j| !j.done).map(|j| format!("{}/{}", j.pod.metadata.namespace, j.pod.metadata.name)).collect();
                return Err(format!(
                    "the cluster has been idle for {} and these pods still cannot be evicted: {}; kubectl would retry forever here (pass --timeout to bound the drain)",
                    go_duration(SETTLE_LIMIT),
                    left.join(", ")
                ));
            }
        }
        let next_retry = jobs.iter().filter(|j| !j.done).filter_map(|j| j.retry_at).min().unwrap_or(deadline);
        let target = next_retry.min(deadline);
        // The simulator waits a week at most, as for every command.
        if now.saturating_sub(start) >= crate::engine::time::MAX_ADVANCE {
            return Err(format!(
                "the drain still waits after {}, the longest the simulator waits for one command",
                go_duration(crate::engine::time::MAX_ADVANCE)
            ));
        }
        Ok(Some((target - now).max(1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubectl::commands::testutil::run;
    use crate::kubectl::session::Session;

    /// kubectl sends `--grace-period` with each eviction: a shell that
    /// ignores SIGTERM goes after 1 s, not after its pod's 30.
    #[test]
    fn drain_evicts_with_its_grace_period() {
        let mut s = Session::new(1);
        run(&mut s, "kubectl run sleeper --image=busybox:1.36 -- sleep 3600");
        s.cluster.advance(5_000);
        let node = s.cluster.get::<crate::engine::api::Pod>("default", "sleeper").unwrap().spec.node_name.clone();
        let start = s.cluster.now().0;
        let (out, code) = run(&mut s, &format!("kubectl drain {node} --force --grace-period=1"));
        assert_eq!(code, 0, "{out}");
        assert!(s.cluster.now().0 - start < 10_000, "the drain took {} ms", s.cluster.now().0 - start);
    }

    #[test]
    fn taints() {
        let mut s = Session::new(1);
        assert_eq!(run(&mut s, "kubectl taint nodes node-b dedicated=db:NoSchedule"), ("node/node-b tainted\n".into(), 0));
        assert_eq!(
            run(&mut s, "kubectl taint nodes node-b dedicated=web:NoSchedule").0,
            "error: node node-b already has dedicated taint(s) with same effect(s) and --overwrite is false\n"
        );
        assert_eq!(run(&mut s, "kubectl taint nodes node-b dedicated=web:NoSchedule --overwrite"), ("node/node-b modified\n".into(), 0));
        assert_eq!(s.cluster.get::<Node>("", "node-b").unwrap().spec.taints[0].value, "web");
        assert_eq!(run(&mut s, "kubectl taint nodes node-b dedicated:NoSchedule-"), ("node/node-b untainted\n".into(), 0));
        assert_eq!(run(&mut s, "kubectl taint nodes node-b dedicated-").0, "error: taint \"dedicated\" not found\n");
        assert_eq!(
            run(&mut s, "kubectl taint nodes node-b x=y:Sometimes").0,
            "error: invalid taint effect: Sometimes, unsupported taint effect\nSee 'kubectl taint -h' for help and examples\n"
        );
        assert_eq!(run(&mut s, "kubectl taint pods x a=b:NoSchedule").0, "error: invalid resource type pods, only node types are supported\n");
        assert!(s.cluster.get::<Node>("", "node-b").unwrap().spec.taints.is_empty());
    }

    #[test]
    fn cordon_and_uncordon() {
        let mut s = Session::new(1);
        assert_eq!(run(&mut s, "kubectl cordon node-a"), ("node/node-a cordoned\n".into(), 0));
        assert_eq!(run(&mut s, "kubectl cordon node-a"), ("node/node-a already cordoned\n".into(), 0));
        assert!(s.cluster.get::<Node>("", "node-a").unwrap().spec.unschedulable);
        assert_eq!(run(&mut s, "kubectl uncordon node-a"), ("node/node-a uncordoned\n".into(), 0));
        assert_eq!(run(&mut s, "kubectl cordon node-z"), ("Error from server (NotFound): nodes \"node-z\" not found\n".into(), 1));
        assert_eq!(run(&mut s, "kubectl cordon").0, "error: USAGE: cordon NODE [flags]\nSee 'kubectl cordon -h' for help and examples\n");
        // an empty node drains at once
        assert_eq!(run(&mut s, "kubectl drain node-c"), ("node/node-c cordoned\nnode/node-c drained\n".into(), 0));
    }
}
