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
use serde_json::Value;

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

/// `parseResourceInput`: a Resource metric with its target, as JSON.
fn metric(input: &str, resource: &str) -> Result<String, CmdError> {
    let input = input.trim();
    let target = if let Some(p) = input.strip_suffix('%') {
        let n: i32 = p.parse().map_err(|_| CmdError::msg(format!("invalid percentage value: {input}")))?;
        if n <= 0 {
            return Err(CmdError::msg(format!("percentage must be greater than 0, got {n}")));
        }
        format!(r#""type":"Utilization","averageUtilization":{n}"#)
    } else {
        let with_unit = match input.parse::<f64>() {
            Ok(_) => format!("{input}{}", if resource == "cpu" { "m" } else { "Mi" }),
            Err(_) => input.to_string(),
        };
        let q = crate::engine::quantity::Quantity::parse(&with_unit).map_err(|_| CmdError::msg(format!("invalid resource {resource} value: {input}")))?;
        format!(r#""type":"AverageValue","averageValue":"{}""#, q.canonical())
    };
    Ok(format!(r#"{{"type":"Resource","resource":{{"name":"{resource}","target":{{{target}}}}}}}"#))
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
        metrics.push(metric(&format!("{percent}%"), "cpu")?);
    }
    if let Some(c) = &cpu {
        metrics.push(metric(c, "cpu")?);
    }
    if let Some(m) = &memory {
        metrics.push(metric(m, "memory")?);
    }
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
            let gvr = format!("{}/{}, Resource={}", info.group, info.version, info.plural);
            return Err(CmdError::msg(format!("cannot autoscale a {}: could not find scale subresource for {gvr} in discovery information", info.kind)));
        }
        let name = ctx.f.str("name").filter(|n| !n.is_empty()).unwrap_or(&it.name).to_string();
        let ns = if ctx.ns_explicit { ctx.ns.as_str() } else { "" };
        let min = if min > 0 { format!(r#","minReplicas":{min}"#) } else { String::new() };
        let metrics = if metrics.is_empty() { String::new() } else { format!(r#","metrics":[{}]"#, metrics.join(",")) };
        let text = format!(
            r#"{{"metadata":{{"name":{:?},"namespace":{ns:?}}},"spec":{{"scaleTargetRef":{{"apiVersion":"{}","kind":"{}","name":{:?}}},"maxReplicas":{max}{min}{metrics}}}}}"#,
            name,
            info.api_version(),
            info.kind,
            it.name
        );
        let v: Value = serde_json::from_str(&text).map_err(|e| CmdError::msg(e.to_string()))?;
        let (obj, _) = Object::from_value(Kind::HorizontalPodAutoscaler, &v).map_err(|e| CmdError::msg(e.to_string()))?;
        create_generated_as(ctx, obj, None, "autoscaled")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::kubectl::commands::testutil::run;
    use crate::kubectl::session::Session;

    #[test]
    fn autoscale_writes_a_v2_hpa_with_the_targets_given() {
        let mut s = Session::new(1);
        run(&mut s, "kubectl create deployment web --image=nginx:1.27");
        assert_eq!(run(&mut s, "kubectl autoscale deployment web --max=5 --cpu=500 --memory=70%").0, "horizontalpodautoscaler.autoscaling/web autoscaled\n");
        let (out, _) = run(&mut s, "kubectl get hpa web -o jsonpath={.spec.metrics[*].resource.target}");
        assert_eq!(out, r#"{"averageValue":"500m","type":"AverageValue"} {"averageUtilization":70,"type":"Utilization"}"#);
        assert_eq!(run(&mut s, "kubectl autoscale deployment web --min=2").0, "error: --max=MAXPODS is required and must be at least 1, max: -1\n");
        let (out, code) = run(&mut s, "kubectl autoscale service kubernetes --max=3");
        assert_eq!(
            (out.as_str(), code),
            ("error: cannot autoscale a Service: could not find scale subresource for /v1, Resource=services in discovery information\n", 1)
        );
    }
}
