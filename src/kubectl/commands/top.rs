//! `kubectl top pod|node` (pkg/cmd/top, metricsutil's printer): the
//! resource metrics API's latest PodMetrics and NodeMetrics, CPU in
//! millicores and memory in MiB, with the node's share of its allocatable;
//! "Metrics API not available" without a ready metrics-server, "metrics
//! not available yet" before its first rates.

use super::selector::parse_label_selector;
use super::{Command, Ctx};
use crate::engine::api::*;
use crate::engine::apiserver::metrics;
use crate::kubectl::args::{Flag, FlagKind, boolf, flag, strf};
use crate::kubectl::errors::CmdError;
use crate::kubectl::tabwriter::TabWriter;

/// `metricsCreationDelay`: a pod older than this without metrics is an error.
const CREATION_DELAY: i64 = 2 * 60_000;

pub fn subcommands() -> Vec<Command> {
    vec![
        Command::new("pod", "Display resource (CPU/memory) usage of pods", "pod [NAME | -l label]", pod_flags, run_pod).with_aliases(&["pods", "po"]),
        Command::new("node", "Display resource (CPU/memory) usage of nodes", "node [NAME | -l label]", node_flags, run_node).with_aliases(&["nodes", "no"]),
    ]
}

fn pod_flags() -> Vec<Flag> {
    const {
        &[
            flag("selector", Some('l'), FlagKind::Str),
            boolf("all-namespaces").with_short('A'),
            strf("sort-by"),
            boolf("containers"),
            boolf("no-headers"),
            boolf("sum"),
            strf("field-selector"),
        ]
    }
    .to_vec()
}

fn node_flags() -> Vec<Flag> {
    const { &[flag("selector", Some('l'), FlagKind::Str), strf("sort-by"), boolf("no-headers"), boolf("show-capacity")] }.to_vec()
}

fn common(ctx: &Ctx) -> Result<(), CmdError> {
    if ctx.f.args.len() > 1 {
        return Err(CmdError::msg(format!("Usage: kubectl top {} [NAME | -l label]", ctx.path.rsplit(' ').next().unwrap_or("pod"))));
    }
    if ctx.f.str("sort-by").is_some_and(|s| s != "cpu" && s != "memory") {
        return Err(CmdError::msg("--sort-by accepts only cpu or memory"));
    }
    if !ctx.f.args.is_empty() && ctx.f.str("selector").is_some() {
        return Err(CmdError::msg("only one of NAME or selector can be provided"));
    }
    if !metrics::available(&ctx.session.cluster.api) {
        return Err(CmdError::msg("Metrics API not available"));
    }
    Ok(())
}

fn cpu(m: u64) -> String {
    format!("{m}m")
}

fn mem(b: u64) -> String {
    format!("{}Mi", b / (1024 * 1024))
}

fn run_pod(ctx: &mut Ctx) -> Result<(), CmdError> {
    common(ctx)?;
    let sel = match ctx.f.str("selector") {
        Some(s) => Some(parse_label_selector(s).map_err(CmdError::msg)?),
        None => None,
    };
    let all = ctx.f.bool("all-namespaces");
    let name = ctx.f.args.first().cloned();
    let api = &ctx.session.cluster.api;
    let now = api.now;
    let pod_of = |ns: &str, n: &str| api.get_t::<Pod>(ns, n);
    let mut items: Vec<_> = api
        .metrics
        .pods
        .iter()
        .filter(|m| all || m.namespace == ctx.ns)
        .filter(|m| name.as_ref().is_none_or(|n| &m.name == n))
        .filter(|m| sel.as_ref().is_none_or(|s| pod_of(&m.namespace, &m.name).is_some_and(|p| s.matches(&p.metadata.labels))))
        .cloned()
        .collect();
    if items.is_empty() {
        // verifyEmptyMetrics: pods too young for metrics are no error
        let pods: Vec<&Pod> = match &name {
            Some(n) => vec![pod_of(&ctx.ns, n).ok_or_else(|| CmdError::msg(format!("pods \"{n}\" not found")))?],
            None => api.store.list_ns_t::<Pod>(&ctx.ns).filter(|p| sel.as_ref().is_none_or(|s| s.matches(&p.metadata.labels))).collect(),
        };
        if !pods.is_empty() {
            for p in pods {
                let age = now.0 - p.metadata.creation_timestamp.map_or(now.0, |t| t.0);
                if age > CREATION_DELAY {
                    let age = crate::engine::time::go_duration(age);
                    return Err(CmdError::msg(format!("Metrics not available for pod {}/{}, age: {age}", p.metadata.namespace, p.metadata.name)));
                }
            }
            return Err(CmdError::msg("metrics not available yet"));
        }
        ctx.print(&if all { "No resources found\n".to_string() } else { format!("No resources found in {} namespace.\n", ctx.ns) });
        return Ok(());
    }
    let key = |m: &metrics::PodMetrics| match ctx.f.str("sort-by") {
        Some("cpu") => std::cmp::Reverse(m.total("cpu")),
        Some("memory") => std::cmp::Reverse(m.total("memory")),
        _ => std::cmp::Reverse(0),
    };
    crate::engine::sort::sort_by(&mut items, |a, b| {
        key(a).cmp(&key(b)).then_with(|| if all { a.namespace.cmp(&b.namespace) } else { std::cmp::Ordering::Equal }).then(a.name.cmp(&b.name))
    });
    let containers = ctx.f.bool("containers");
    let mut w = TabWriter::kubectl();
    let mut text = String::new();
    if !ctx.f.bool("no-headers") {
        if all {
            text.push_str("NAMESPACE\t");
        }
        if containers {
            text.push_str("POD\t");
        }
        text.push_str("NAME\tCPU(cores)\tMEMORY(bytes)\t\n");
    }
    let (mut tc, mut tm) = (0, 0);
    for m in &items {
        let ns = if all { format!("{}\t", m.namespace) } else { String::new() };
        if containers {
            for c in &m.containers {
                text.push_str(&format!("{ns}{}\t{}\t{}\t{}\t\n", m.name, c.0, cpu(c.1), mem(c.2)));
            }
        } else {
            text.push_str(&format!("{ns}{}\t{}\t{}\t\n", m.name, cpu(m.total("cpu")), mem(m.total("memory"))));
        }
        tc += m.total("cpu");
        tm += m.total("memory");
    }
    if ctx.f.bool("sum") {
        let pad = "\t".repeat(all as usize + containers as usize);
        text.push_str(&format!("{pad}\t________\t________\t\n{pad}\t{}\t{}\t\n", cpu(tc), mem(tm)));
    }
    w.write(&text);
    ctx.print(&w.finish());
    Ok(())
}

fn run_node(ctx: &mut Ctx) -> Result<(), CmdError> {
    common(ctx)?;
    let sel = match ctx.f.str("selector") {
        Some(s) => Some(parse_label_selector(s).map_err(CmdError::msg)?),
        None => None,
    };
    let name = ctx.f.args.first().cloned();
    let api = &ctx.session.cluster.api;
    let nodes: Vec<&Node> = api
        .store
        .list_t::<Node>()
        .filter(|n| name.as_ref().is_none_or(|x| &n.metadata.name == x))
        .filter(|n| sel.as_ref().is_none_or(|s| s.matches(&n.metadata.labels)))
        .collect();
    if let Some(n) = &name
        && nodes.is_empty()
    {
        return Err(CmdError::msg(format!("nodes \"{n}\" not found")));
    }
    let mut items: Vec<_> = api.metrics.nodes.iter().filter(|m| nodes.iter().any(|n| n.metadata.name == m.name)).collect();
    if items.is_empty() {
        return Err(CmdError::msg("metrics not available yet"));
    }
    match ctx.f.str("sort-by") {
        Some("cpu") => crate::engine::sort::sort_by_key(&mut items, |m| std::cmp::Reverse(m.cpu_milli)),
        Some("memory") => crate::engine::sort::sort_by_key(&mut items, |m| std::cmp::Reverse(m.memory)),
        _ => {}
    }
    let field = if ctx.f.bool("show-capacity") { "capacity" } else { "allocatable" };
    let avail = |n: &str, r: &str| {
        nodes
            .iter()
            .find(|x| x.metadata.name == n)
            .and_then(|x| if field == "capacity" { x.status.capacity.get(r) } else { x.status.allocatable.get(r) })
            .map_or(0, |q| q.milli_value())
    };
    let pct = |used: i64, of: i64| if of == 0 { 0 } else { (used as f64 / of as f64 * 100.0) as i64 };
    let mut text = String::new();
    if !ctx.f.bool("no-headers") {
        text.push_str("NAME\tCPU(cores)\tCPU(%)\tMEMORY(bytes)\tMEMORY(%)\t\n");
    }
    for m in &items {
        let (c, b) = (m.cpu_milli as i64, m.memory as i64 * 1000);
        text.push_str(&format!(
            "{}\t{}\t{}%\t{}\t{}%\t\n",
            m.name,
            cpu(m.cpu_milli),
            pct(c, avail(&m.name, "cpu")),
            mem(m.memory),
            pct(b, avail(&m.name, "memory"))
        ));
    }
    // nodes the metrics-server has no metrics for
    for n in nodes.iter().filter(|n| !items.iter().any(|m| m.name == n.metadata.name)) {
        text.push_str(&format!("{}\t<unknown>\t<unknown>\t<unknown>\t<unknown>\t\n", n.metadata.name));
    }
    let mut w = TabWriter::kubectl();
    w.write(&text);
    ctx.print(&w.finish());
    Ok(())
}
