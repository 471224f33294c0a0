//! describe.go's describers of the workload kinds stored as JSON: Job,
//! CronJob, DaemonSet, ReplicationController and HorizontalPodAutoscaler
//! (read in its v2 shape, as the describer fetches it; an autoscaling/v1
//! object is converted as the API server converts it).

use super::pods::describe_pod_template;
use super::*;
use crate::engine::api::Generic;
use crate::kubectl::printers::selector_string;

fn num(v: &Value) -> Option<String> {
    v.as_i64().map(|n| n.to_string())
}

fn or_unset(v: Option<String>) -> String {
    v.unwrap_or_else(|| "<unset>".into())
}

fn time(v: &Value) -> Option<String> {
    v.as_str().and_then(Time::parse_rfc3339).map(|t| t.rfc1123z())
}

/// A pod template held as JSON, described as a typed one is.
fn template(w: &mut PrefixWriter, t: &Value) {
    let t: PodTemplateSpec = crate::engine::decode::from_json(t).unwrap_or_default();
    describe_pod_template(w, &t);
}

/// LabelSelectorAsSelector(...).String() of a selector held as JSON.
fn selector(v: &Value) -> String {
    crate::engine::decode::from_json::<LabelSelector>(v).map(|s| selector_string(&s)).unwrap_or_default()
}

fn head(w: &mut PrefixWriter, m: &ObjectMeta) {
    put(w, LEVEL_0, &["Name:\t", &m.name, "\n"]);
    put(w, LEVEL_0, &["Namespace:\t", &m.namespace, "\n"]);
}

fn pod_counts(w: &mut PrefixWriter, cx: &Cx, m: &ObjectMeta, sel: Option<&LabelSelector>) {
    let (running, waiting, succeeded, failed) = super::workloads::pod_phases(cx, m, sel);
    let c = [running, waiting, succeeded, failed].map(|n| n.to_string());
    put(w, LEVEL_0, &["Pods Status:\t", &c[0], " Running / ", &c[1], " Waiting / ", &c[2], " Succeeded / ", &c[3], " Failed\n"]);
}

/// describeJob.
pub(crate) fn describe_job(w: &mut PrefixWriter, cx: &Cx, obj: &Object, g: &Generic) {
    let (m, spec, status) = (&g.metadata, g.field("spec"), g.field("status"));
    head(w, m);
    put(w, LEVEL_0, &["Selector:\t", &selector(&spec["selector"]), "\n"]);
    print_labels(w, "Labels", &m.labels);
    print_annotations(w, "Annotations", &m.annotations);
    if let Some(c) = controlled_by(m) {
        put(w, LEVEL_0, &["Controlled By:\t", &c, "\n"]);
    }
    for (label, key) in [("Parallelism", "parallelism")] {
        if let Some(n) = num(&spec[key]) {
            put(w, LEVEL_0, &[label, ":\t", &n, "\n"]);
        }
    }
    put(w, LEVEL_0, &["Completions:\t", &or_unset(num(&spec["completions"])), "\n"]);
    if let Some(mode) = spec["completionMode"].as_str() {
        put(w, LEVEL_0, &["Completion Mode:\t", mode, "\n"]);
    }
    if let Some(b) = spec["suspend"].as_bool() {
        put(w, LEVEL_0, &["Suspend:\t", &b.to_string(), "\n"]);
    }
    for (label, key) in [("Backoff Limit", "backoffLimit"), ("TTL Seconds After Finished", "ttlSecondsAfterFinished")] {
        if let Some(n) = num(&spec[key]) {
            put(w, LEVEL_0, &[label, ":\t", &n, "\n"]);
        }
    }
    let (start, done) = (&status["startTime"], &status["completionTime"]);
    if let Some(t) = time(start) {
        put(w, LEVEL_0, &["Start Time:\t", &t, "\n"]);
    }
    if let Some(t) = time(done) {
        put(w, LEVEL_0, &["Completed At:\t", &t, "\n"]);
    }
    if let (Some(s), Some(d)) = (start.as_str().and_then(Time::parse_rfc3339), done.as_str().and_then(Time::parse_rfc3339)) {
        put(w, LEVEL_0, &["Duration:\t", &crate::engine::time::human_duration(d.0 - s.0), "\n"]);
    }
    if let Some(n) = num(&spec["activeDeadlineSeconds"]) {
        put(w, LEVEL_0, &["Active Deadline Seconds:\t", &n, "s\n"]);
    }
    let count = |k: &str| num(&status[k]).unwrap_or_else(|| "0".into());
    let ready = match num(&status["ready"]) {
        Some(r) => [" (", &r, " Ready)"].concat(),
        None => String::new(),
    };
    put(w, LEVEL_0, &["Pods Statuses:\t", &count("active"), " Active", &ready, " / ", &count("succeeded"), " Succeeded / ", &count("failed"), " Failed\n"]);
    if spec["completionMode"] == "Indexed" {
        let ix = status["completedIndexes"].as_str().unwrap_or_default();
        let shown = match ix.char_indices().skip(50).find(|(_, c)| *c == ',') {
            _ if ix.is_empty() => "<none>".to_string(),
            Some((i, _)) => [&ix[..=i], "..."].concat(),
            None => ix.to_string(),
        };
        put(w, LEVEL_0, &["Completed Indexes:\t", &shown, "\n"]);
    }
    template(w, &spec["template"]);
    describe_events(w, cx, cx.events(obj));
}

/// describeCronJob (with describeJobTemplate).
pub(crate) fn describe_cron_job(w: &mut PrefixWriter, cx: &Cx, obj: &Object, g: &Generic) {
    let (m, spec, status) = (&g.metadata, g.field("spec"), g.field("status"));
    head(w, m);
    print_labels(w, "Labels", &m.labels);
    print_annotations(w, "Annotations", &m.annotations);
    let s = |k: &str| spec[k].as_str().unwrap_or_default().to_string();
    put(w, LEVEL_0, &["Schedule:\t", &s("schedule"), "\n"]);
    put(w, LEVEL_0, &["Concurrency Policy:\t", &s("concurrencyPolicy"), "\n"]);
    let suspend = spec["suspend"].as_bool().map(|b| if b { "True" } else { "False" }.to_string());
    put(w, LEVEL_0, &["Suspend:\t", &or_unset(suspend), "\n"]);
    put(w, LEVEL_0, &["Time Zone:\t", &or_unset(spec["timeZone"].as_str().map(str::to_string)), "\n"]);
    put(w, LEVEL_0, &["Successful Job History Limit:\t", &or_unset(num(&spec["successfulJobsHistoryLimit"])), "\n"]);
    put(w, LEVEL_0, &["Failed Job History Limit:\t", &or_unset(num(&spec["failedJobsHistoryLimit"])), "\n"]);
    let deadline = num(&spec["startingDeadlineSeconds"]).map(|n| n + "s");
    put(w, LEVEL_0, &["Starting Deadline Seconds:\t", &or_unset(deadline), "\n"]);
    let job = &spec["jobTemplate"]["spec"];
    let sel = if job["selector"].is_null() { None } else { Some(selector(&job["selector"])) };
    put(w, LEVEL_0, &["Selector:\t", &or_unset(sel), "\n"]);
    put(w, LEVEL_0, &["Parallelism:\t", &or_unset(num(&job["parallelism"])), "\n"]);
    put(w, LEVEL_0, &["Completions:\t", &or_unset(num(&job["completions"])), "\n"]);
    if let Some(n) = num(&job["activeDeadlineSeconds"]) {
        put(w, LEVEL_0, &["Active Deadline Seconds:\t", &n, "s\n"]);
    }
    template(w, &job["template"]);
    put(w, LEVEL_0, &["Last Schedule Time:\t", &or_unset(time(&status["lastScheduleTime"])), "\n"]);
    let active: Vec<&str> = status["active"].as_array().into_iter().flatten().filter_map(|j| j["name"].as_str()).collect();
    let active = if active.is_empty() { "<none>".to_string() } else { active.join(", ") };
    put(w, LEVEL_0, &["Active Jobs:\t", &active, "\n"]);
    describe_events(w, cx, cx.events(obj));
}

/// describeDaemonSet.
pub(crate) fn describe_daemon_set(w: &mut PrefixWriter, cx: &Cx, obj: &Object, g: &Generic) {
    let (m, spec, status) = (&g.metadata, g.field("spec"), g.field("status"));
    head(w, m);
    let sel: Option<LabelSelector> = crate::engine::decode::from_json(&spec["selector"]);
    put(w, LEVEL_0, &["Selector:\t", &sel.as_ref().map(selector_string).unwrap_or_default(), "\n"]);
    let ns: Labels = crate::engine::decode::from_json(&spec["template"]["spec"]["nodeSelector"]).unwrap_or_default();
    let ns = if ns.is_empty() { "<none>".to_string() } else { crate::kubectl::printers::format_labels(&ns) };
    put(w, LEVEL_0, &["Node-Selector:\t", &ns, "\n"]);
    print_labels(w, "Labels", &m.labels);
    print_annotations(w, "Annotations", &m.annotations);
    let n = |k: &str| num(&status[k]).unwrap_or_else(|| "0".into());
    for (label, key) in [
        ("Desired Number of Nodes Scheduled", "desiredNumberScheduled"),
        ("Current Number of Nodes Scheduled", "currentNumberScheduled"),
        ("Number of Nodes Scheduled with Up-to-date Pods", "updatedNumberScheduled"),
        ("Number of Nodes Scheduled with Available Pods", "numberAvailable"),
        ("Number of Nodes Misscheduled", "numberMisscheduled"),
    ] {
        put(w, LEVEL_0, &[label, ": ", &n(key), "\n"]);
    }
    pod_counts(w, cx, m, sel.as_ref());
    template(w, &spec["template"]);
    describe_events(w, cx, cx.events(obj));
}

/// describeReplicationController.
pub(crate) fn describe_replication_controller(w: &mut PrefixWriter, cx: &Cx, obj: &Object, g: &Generic) {
    let (m, spec, status) = (&g.metadata, g.field("spec"), g.field("status"));
    head(w, m);
    let labels: Labels = crate::engine::decode::from_json(&spec["selector"]).unwrap_or_default();
    let shown = if labels.is_empty() { "<none>".to_string() } else { crate::kubectl::printers::format_labels(&labels) };
    put(w, LEVEL_0, &["Selector:\t", &shown, "\n"]);
    print_labels(w, "Labels", &m.labels);
    print_annotations(w, "Annotations", &m.annotations);
    let (cur, want) = (num(&status["replicas"]).unwrap_or_else(|| "0".into()), num(&spec["replicas"]).unwrap_or_else(|| "0".into()));
    put(w, LEVEL_0, &["Replicas:\t", &cur, " current / ", &want, " desired\n"]);
    let sel = LabelSelector { match_labels: labels, match_expressions: vec![] };
    pod_counts(w, cx, m, Some(&sel));
    template(w, &spec["template"]);
    let conds = status["conditions"].as_array().map(Vec::as_slice).unwrap_or_default();
    if !conds.is_empty() {
        w.write(LEVEL_0, "Conditions:\n  Type\tStatus\tReason\n");
        w.write(LEVEL_1, "----\t------\t------\n");
        for c in conds {
            let f = |k: &str| c[k].as_str().unwrap_or_default().to_string();
            put(w, LEVEL_1, &[&f("type"), " \t", &f("status"), "\t", &f("reason"), "\n"]);
        }
    }
    describe_events(w, cx, cx.events(obj));
}

/// describeHorizontalPodAutoscalerV2 (a v1 object as the server serves it
/// in v2: its CPU target, or the default 80%, as a Resource metric).
pub(crate) fn describe_hpa(w: &mut PrefixWriter, cx: &Cx, obj: &Object, g: &Generic) {
    let (m, spec, status) = (&g.metadata, g.field("spec"), g.field("status"));
    head(w, m);
    print_labels(w, "Labels", &m.labels);
    print_annotations(w, "Annotations", &m.annotations);
    put(w, LEVEL_0, &["CreationTimestamp:\t", &m.creation_timestamp.map(|t| t.rfc1123z()).unwrap_or_default(), "\n"]);
    let target = &spec["scaleTargetRef"];
    let kind = target["kind"].as_str().unwrap_or_default();
    put(w, LEVEL_0, &["Reference:\t", kind, "/", target["name"].as_str().unwrap_or_default(), "\n"]);
    w.write(LEVEL_0, "Metrics:\t( current / target )\n");
    let v1_cpu = spec["targetCPUUtilizationPercentage"].as_i64().unwrap_or(80);
    let metrics = match spec["metrics"].as_array() {
        Some(ms) if g.api_version != "autoscaling/v1" => ms.clone(),
        _ => vec![serde_json::json!({"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": v1_cpu}}})],
    };
    let q = |v: &Value| v.as_str().map(str::to_string).or_else(|| num(v)).unwrap_or_default();
    for (i, mt) in metrics.iter().enumerate() {
        let t = mt["type"].as_str().unwrap_or_default();
        let src = match t {
            "Resource" => &mt["resource"],
            "ContainerResource" => &mt["containerResource"],
            "Pods" => &mt["pods"],
            "Object" => &mt["object"],
            "External" => &mt["external"],
            _ => &Value::Null,
        };
        let tgt = &src["target"];
        let name = src["metric"]["name"].as_str().unwrap_or_default();
        match t {
            "External" if !tgt["averageValue"].is_null() => {
                put(w, LEVEL_1, &[&format!("{name:?}"), " (target average value):\t<unknown> / ", &q(&tgt["averageValue"]), "\n"])
            }
            "External" => put(w, LEVEL_1, &[&format!("{name:?}"), " (target value):\t<unknown> / ", &q(&tgt["value"]), "\n"]),
            "Pods" => put(w, LEVEL_1, &[&format!("{name:?}"), " on pods:\t<unknown> / ", &q(&tgt["averageValue"]), "\n"]),
            "Object" => {
                let d = &src["describedObject"];
                put(w, LEVEL_1, &["\"", name, "\" on ", d["kind"].as_str().unwrap_or_default(), "/", d["name"].as_str().unwrap_or_default(), " "]);
                match tgt["type"].as_str() {
                    Some("AverageValue") => put(w, LEVEL_0, &["(target average value):\t<unknown> / ", &q(&tgt["averageValue"]), "\n"]),
                    _ => put(w, LEVEL_0, &["(target value):\t<unknown> / ", &q(&tgt["value"]), "\n"]),
                }
            }
            "Resource" | "ContainerResource" => {
                let res = src["name"].as_str().unwrap_or_default();
                if t == "Resource" {
                    put(w, LEVEL_1, &["resource ", res, " on pods"]);
                } else {
                    put(w, LEVEL_1, &["resource ", res, " of container \"", src["container"].as_str().unwrap_or_default(), "\" on pods"]);
                }
                let cur = &status["currentMetrics"][i][if t == "Resource" { "resource" } else { "containerResource" }]["current"];
                let value = cur["averageValue"].as_str();
                if tgt["averageValue"].is_null() {
                    let want = num(&tgt["averageUtilization"]).map(|n| n + "%").unwrap_or_else(|| "<auto>".into());
                    let now = match (num(&cur["averageUtilization"]), value) {
                        (Some(u), Some(v)) => format!("{u}% ({v})"),
                        _ => "<unknown>".into(),
                    };
                    put(w, LEVEL_1, &["(as a percentage of request):\t", &now, " / ", &want, "\n"]);
                } else {
                    put(w, LEVEL_0, &[":\t", value.unwrap_or("<unknown>"), " / ", &q(&tgt["averageValue"]), "\n"]);
                }
            }
            _ => put(w, LEVEL_1, &["<unknown metric type ", &format!("{t:?}"), ">\n"]),
        }
    }
    put(w, LEVEL_0, &["Min replicas:\t", &or_unset(num(&spec["minReplicas"])), "\n"]);
    put(w, LEVEL_0, &["Max replicas:\t", &num(&spec["maxReplicas"]).unwrap_or_else(|| "0".into()), "\n"]);
    let b = &spec["behavior"];
    if b.is_object() && g.api_version != "autoscaling/v1" {
        w.write(LEVEL_0, "Behavior:\n");
        for (title, key) in [("Scale Up", "scaleUp"), ("Scale Down", "scaleDown")] {
            let r = &b[key];
            if !r.is_object() {
                continue;
            }
            put(w, LEVEL_1, &[title, ":\n"]);
            if let Some(s) = num(&r["stabilizationWindowSeconds"]) {
                put(w, LEVEL_2, &["Stabilization Window: ", &s, " seconds\n"]);
            }
            let policies = r["policies"].as_array().map(Vec::as_slice).unwrap_or_default();
            if !policies.is_empty() {
                put(w, LEVEL_2, &["Select Policy: ", r["selectPolicy"].as_str().unwrap_or("Max"), "\n"]);
                w.write(LEVEL_2, "Policies:\n");
                for p in policies {
                    let f = |k: &str| q(&p[k]);
                    put(w, 3, &["- Type: ", &f("type"), "\tValue: ", &f("value"), "\tPeriod: ", &f("periodSeconds"), " seconds\n"]);
                }
            }
        }
    }
    let n = |k: &str| num(&status[k]).unwrap_or_else(|| "0".into());
    put(w, LEVEL_0, &[kind, " pods:\t", &n("currentReplicas"), " current / ", &n("desiredReplicas"), " desired\n"]);
    let conds = status["conditions"].as_array().map(Vec::as_slice).unwrap_or_default();
    if !conds.is_empty() {
        w.write(LEVEL_0, "Conditions:\n");
        w.write(LEVEL_1, "Type\tStatus\tReason\tMessage\n");
        w.write(LEVEL_1, "----\t------\t------\t-------\n");
        for c in conds {
            let f = |k: &str| c[k].as_str().unwrap_or_default().to_string();
            put(w, LEVEL_1, &[&f("type"), "\t", &f("status"), "\t", &f("reason"), "\t", &f("message"), "\n"]);
        }
    }
    describe_events(w, cx, cx.events(obj));
}
