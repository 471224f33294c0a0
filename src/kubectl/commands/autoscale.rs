//! `kubectl autoscale` (pkg/cmd/autoscale): an autoscaling/v2
//! HorizontalPodAutoscaler for a Deployment, ReplicaSet, StatefulSet or
//! ReplicationController, with `--min`, `--max` and the CPU and memory
//! targets (`--cpu=70%` a utilization, `--cpu=500m` an average value,
//! the deprecated `--cpu-percent`).

use super::apply::{create_generated_as, generator_flags};
use super::resources::{BuildOpts, select};
use super::{Command, Ctx};
use crate::engine::api::*;
use crate::kubectl::args::{Flag, FlagKind, flag, strf};
use crate::kubectl::errors::CmdError;
use serde_json::{Value, json};

pub fn command() -> Command {
    Command::new(
        "autoscale",
        "Auto-scale a deployment, replica set, stateful set, or replication controller",
        "autoscale (-f FILENAME | TYPE NAME | TYPE/NAME) [--min=MINPODS] --max=MAXPODS [--cpu=CPU] [--memory=MEMORY]",
        flags,
        run,
    )
}

fn flags() -> Vec<Flag> {
    let mut v = generator_flags();
    v.extend_from_slice(
        const {
            &[
                flag("min", None, FlagKind::Int),
                flag("max", None, FlagKind::Int),
                flag("cpu-percent", None, FlagKind::Int),
                strf("cpu"),
                strf("memory"),
                strf("name"),
                flag("filename", Some('f'), FlagKind::StrSlice),
            ]
        },
    );
    v
}

/// `parseResourceInput`: a target as a metric's `target`.
fn target(input: &str, resource: &str) -> Result<Value, CmdError> {
    let input = input.trim();
    if let Some(p) = input.strip_suffix('%') {
        let n: i32 = p.parse().map_err(|_| CmdError::msg(format!("invalid percentage value: {input}")))?;
        if n <= 0 {
            return Err(CmdError::msg(format!("percentage must be greater than 0, got {n}")));
        }
        return Ok(json!({"type": "Utilization", "averageUtilization": n}));
    }
    let with_unit = match input.parse::<f64>() {
        Ok(_) => format!("{input}{}", if resource == "cpu" { "m" } else { "Mi" }),
        Err(_) => input.to_string(),
    };
    let q = crate::engine::quantity::Quantity::parse(&with_unit).map_err(|_| CmdError::msg(format!("invalid resource {resource} value: {input}")))?;
    Ok(json!({"type": "AverageValue", "averageValue": q.canonical()}))
}

fn run(ctx: &mut Ctx) -> Result<(), CmdError> {
    let min = ctx.f.int("min").unwrap_or(-1);
    let max = ctx.f.int("max").unwrap_or(-1);
    let percent = ctx.f.int("cpu-percent").unwrap_or(-1);
    if ctx.f.changed("cpu-percent") {
        ctx.print("Flag --cpu-percent has been deprecated, Use --cpu with percentage or resource quantity format (e.g., '70%' for utilization or '500m' for milliCPU).\n");
    }
    if max < 1 {
        return Err(CmdError::msg(format!("--max=MAXPODS is required and must be at least 1, max: {max}")));
    }
    if max < min {
        return Err(CmdError::msg(format!("--max=MAXPODS must be larger or equal to --min=MINPODS, max: {max}, min: {min}")));
    }
    let cpu = ctx.f.str("cpu").filter(|s| !s.is_empty()).map(String::from);
    let memory = ctx.f.str("memory").filter(|s| !s.is_empty()).map(String::from);
    if percent > 0 && cpu.is_some() {
        return Err(CmdError::msg("--cpu-percent and --cpu are mutually exclusive"));
    }
    let mut metrics = vec![];
    if percent > 0 {
        metrics.push(json!({"type": "Utilization", "averageUtilization": percent}));
    }
    if let Some(c) = &cpu {
        metrics.push(target(c, "cpu")?);
    }
    let cpu_count = metrics.len();
    if let Some(m) = &memory {
        metrics.push(target(m, "memory")?);
    }
    let metrics: Vec<Value> = metrics
        .into_iter()
        .enumerate()
        .map(|(i, t)| json!({"type": "Resource", "resource": {"name": if i < cpu_count { "cpu" } else { "memory" }, "target": t}}))
        .collect();
    let mut opts = BuildOpts::from_ctx(ctx);
    opts.args = ctx.f.args.clone();
    let sel = select(ctx, &opts)?;
    if let Some(e) = sel.errors.into_iter().next() {
        return Err(e);
    }
    if sel.items.is_empty() {
        return Err(CmdError::msg("no objects passed to autoscale"));
    }
    for it in sel.items {
        let info = it.kind.info();
        if crate::engine::api::scale::replicas_of(&it.obj).is_none() {
            return Err(CmdError::msg(format!("cannot autoscale a {}: no scale subresource for {}", info.kind, info.qualified_plural())));
        }
        let name = ctx.f.str("name").filter(|n| !n.is_empty()).unwrap_or(&it.name).to_string();
        let mut spec = json!({"scaleTargetRef": {"apiVersion": info.api_version(), "kind": info.kind, "name": it.name}, "maxReplicas": max});
        if min > 0 {
            spec["minReplicas"] = json!(min);
        }
        if !metrics.is_empty() {
            spec["metrics"] = json!(metrics);
        }
        let v = json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": name, "namespace": if ctx.ns_explicit { ctx.ns.as_str() } else { "" }}, "spec": spec});
        let (obj, _) = Object::from_value(Kind::HorizontalPodAutoscaler, &v).map_err(|e| CmdError::msg(e.to_string()))?;
        create_generated_as(ctx, obj, None, "autoscaled")?;
    }
    Ok(())
}
