//! Table columns and rows of the kinds stored as [`Generic`] objects, from
//! printers.go's handlers (printJob, printCronJob, printDaemonSet,
//! printIngress, printRoleBinding, ...). A kind with no handler there gets
//! the API server's default table (apiserver/pkg/registry/rest/table.go):
//! NAME and CREATED AT.
//!
//! Cells read the stored JSON; where printers.go reads a field the API
//! server defaults (a Job's parallelism, an HPA's minReplicas and metrics),
//! the default is applied here as the printed object would have it.

use super::rows::{Column, age, col, format_label_selector, format_labels, wide};
use crate::engine::api::{Generic, Kind, LabelSelector};
use crate::engine::time::{Time, human_duration};
use serde_json::Value;

/// The column definitions of a generic kind's table.
pub fn columns(kind: Kind) -> &'static [Column] {
    match kind {
        Kind::ReplicationController => {
            const { &[col("Name"), col("Desired"), col("Current"), col("Ready"), col("Age"), wide("Containers"), wide("Images"), wide("Selector")] }
        }
        Kind::DaemonSet => {
            const {
                &[
                    col("Name"),
                    col("Desired"),
                    col("Current"),
                    col("Ready"),
                    col("Up-to-date"),
                    col("Available"),
                    col("Node Selector"),
                    col("Age"),
                    wide("Containers"),
                    wide("Images"),
                    wide("Selector"),
                ]
            }
        }
        Kind::Job => {
            const { &[col("Name"), col("Status"), col("Completions"), col("Duration"), col("Age"), wide("Containers"), wide("Images"), wide("Selector")] }
        }
        Kind::CronJob => {
            const {
                &[
                    col("Name"),
                    col("Schedule"),
                    col("Timezone"),
                    col("Suspend"),
                    col("Active"),
                    col("Last Schedule"),
                    col("Age"),
                    wide("Containers"),
                    wide("Images"),
                    wide("Selector"),
                ]
            }
        }
        Kind::PodTemplate => const { &[col("Name"), col("Containers"), col("Images"), col("Pod Labels")] },
        Kind::Ingress => const { &[col("Name"), col("Class"), col("Hosts"), col("Address"), col("Ports"), col("Age")] },
        Kind::IngressClass => const { &[col("Name"), col("Controller"), col("Parameters"), col("Age")] },
        Kind::NetworkPolicy => const { &[col("Name"), col("Pod-Selector"), col("Age")] },
        Kind::HorizontalPodAutoscaler => {
            const { &[col("Name"), col("Reference"), col("Targets"), col("MinPods"), col("MaxPods"), col("Replicas"), col("Age")] }
        }
        Kind::RoleBinding | Kind::ClusterRoleBinding => {
            const { &[col("Name"), col("Role"), col("Age"), wide("Users"), wide("Groups"), wide("ServiceAccounts")] }
        }
        Kind::PriorityClass => const { &[col("Name"), col("Value"), col("Global-Default"), col("Age"), wide("PreemptionPolicy")] },
        Kind::RuntimeClass => const { &[col("Name"), col("Handler"), col("Age")] },
        Kind::EndpointSlice => const { &[col("Name"), col("AddressType"), col("Ports"), col("Endpoints"), col("Age")] },
        _ => const { &[col("Name"), col("Created At")] },
    }
}

/// `v.a.b.c`, or Null.
fn at<'a>(v: &'a Value, path: &[&str]) -> &'a Value {
    path.iter().fold(v, |v, k| v.get(k).unwrap_or(&Value::Null))
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        v => v.to_string(),
    }
}

fn items(v: &Value) -> &[Value] {
    v.as_array().map(|a| a.as_slice()).unwrap_or(&[])
}

fn time(v: &Value) -> Option<Time> {
    v.as_str().and_then(Time::parse_rfc3339)
}

/// layoutContainerCells: names and images, comma-separated.
fn containers(pod_spec: &Value) -> (String, String) {
    let cs = items(at(pod_spec, &["containers"]));
    let names = cs.iter().map(|c| text(at(c, &["name"]))).collect::<Vec<_>>().join(",");
    let images = cs.iter().map(|c| text(at(c, &["image"]))).collect::<Vec<_>>().join(",");
    (names, images)
}

/// metav1.FormatLabelSelector of a selector as stored JSON (`<none>` when absent or empty).
pub(crate) fn selector(v: &Value) -> String {
    let s: Option<LabelSelector> = if v.is_null() { None } else { crate::engine::decode::from_json(v) };
    format_label_selector(s.as_ref())
}

fn labels(v: &Value) -> String {
    let m = crate::engine::sort::map_from(v.as_object().into_iter().flat_map(|m| m.iter().map(|(k, v)| (k.clone(), text(v)))));
    format_labels(&m)
}

fn has_condition(status: &Value, kind: &str) -> bool {
    items(at(status, &["conditions"])).iter().any(|c| at(c, &["type"]) == kind && at(c, &["status"]) == "True")
}

/// listWithMoreString over the first three of a list.
fn with_more(list: Vec<String>) -> String {
    let count = list.len();
    if count > 3 {
        return format!("{} + {} more...", list[..3].join(","), count - 3);
    }
    if list.is_empty() { "<unset>".into() } else { list.join(",") }
}

/// The cells of a generic object's row, wide cells included.
pub fn row(g: &Generic, now: Time) -> Vec<String> {
    let name = g.metadata.name.clone();
    let age = age(g.metadata.creation_timestamp, now);
    let spec = g.field("spec");
    let status = g.field("status");
    let workload = |mut cells: Vec<String>, pod_spec: &Value, sel: &Value| {
        let (n, i) = containers(pod_spec);
        cells.extend([n, i, selector(sel)]);
        cells
    };
    match g.kind {
        Kind::ReplicationController => {
            let sel = at(spec, &["selector"]);
            let sel_text = if sel.as_object().is_some_and(|m| !m.is_empty()) { labels(sel) } else { "<none>".into() };
            let (n, i) = containers(at(spec, &["template", "spec"]));
            let desired = at(spec, &["replicas"]).as_i64().unwrap_or(1);
            vec![name, desired.to_string(), int(at(status, &["replicas"])).to_string(), int(at(status, &["readyReplicas"])).to_string(), age, n, i, sel_text]
        }
        Kind::DaemonSet => workload(
            vec![
                name,
                int(at(status, &["desiredNumberScheduled"])).to_string(),
                int(at(status, &["currentNumberScheduled"])).to_string(),
                int(at(status, &["numberReady"])).to_string(),
                int(at(status, &["updatedNumberScheduled"])).to_string(),
                int(at(status, &["numberAvailable"])).to_string(),
                labels(at(spec, &["template", "spec", "nodeSelector"])),
                age,
            ],
            at(spec, &["template", "spec"]),
            at(spec, &["selector"]),
        ),
        Kind::Job => {
            let succeeded = int(at(status, &["succeeded"]));
            let completions = match at(spec, &["completions"]).as_i64() {
                Some(c) => format!("{succeeded}/{c}"),
                None => match at(spec, &["parallelism"]).as_i64().unwrap_or(1) {
                    p if p > 1 => format!("{succeeded}/1 of {p}"),
                    _ => format!("{succeeded}/1"),
                },
            };
            let duration = match (time(at(status, &["startTime"])), time(at(status, &["completionTime"]))) {
                (None, _) => String::new(),
                (Some(s), None) => human_duration(now.0 - s.0),
                (Some(s), Some(c)) => human_duration(c.0 - s.0),
            };
            let state = if has_condition(status, "Complete") {
                "Complete"
            } else if has_condition(status, "Failed") {
                "Failed"
            } else if g.metadata.deletion_timestamp.is_some() {
                "Terminating"
            } else if has_condition(status, "Suspended") {
                "Suspended"
            } else if has_condition(status, "FailureTarget") {
                "FailureTarget"
            } else if has_condition(status, "SuccessCriteriaMet") {
                "SuccessCriteriaMet"
            } else {
                "Running"
            };
            workload(vec![name, state.into(), completions, duration, age], at(spec, &["template", "spec"]), at(spec, &["selector"]))
        }
        Kind::CronJob => {
            let last = time(at(status, &["lastScheduleTime"])).map(|t| human_duration(now.0 - t.0)).unwrap_or_else(|| "<none>".into());
            let tz = at(spec, &["timeZone"]).as_str().unwrap_or("<none>").to_string();
            let suspend = at(spec, &["suspend"]).as_bool().unwrap_or(false);
            let job = at(spec, &["jobTemplate", "spec"]);
            workload(
                vec![name, text(at(spec, &["schedule"])), tz, suspend.to_string(), items(at(status, &["active"])).len().to_string(), last, age],
                at(job, &["template", "spec"]),
                at(job, &["selector"]),
            )
        }
        Kind::PodTemplate => {
            let (n, i) = containers(at(g.field("template"), &["spec"]));
            vec![name, n, i, labels(at(g.field("template"), &["metadata", "labels"]))]
        }
        Kind::Ingress => {
            let class = at(spec, &["ingressClassName"]).as_str().unwrap_or("<none>").to_string();
            let rules = items(at(spec, &["rules"]));
            let mut hosts: Vec<String> = vec![];
            for r in rules {
                if hosts.len() == 3 {
                    break;
                }
                if let Some(h) = at(r, &["host"]).as_str().filter(|h| !h.is_empty()) {
                    hosts.push(h.into());
                }
            }
            let hosts = if hosts.is_empty() {
                "*".to_string()
            } else if rules.len() > 3 && hosts.len() == 3 {
                format!("{} + {} more...", hosts.join(","), rules.len() - 3)
            } else {
                hosts.join(",")
            };
            let mut addrs: Vec<String> = items(at(status, &["loadBalancer", "ingress"]))
                .iter()
                .filter_map(|i| at(i, &["ip"]).as_str().filter(|s| !s.is_empty()).or_else(|| at(i, &["hostname"]).as_str()).map(String::from))
                .collect();
            crate::engine::sort::sort(&mut addrs);
            addrs.dedup();
            let mut address = addrs.join(",");
            if address.len() > 16 {
                address = format!("{}...", &address[..13]);
            }
            let ports = if items(at(spec, &["tls"])).is_empty() { "80" } else { "80, 443" };
            vec![name, class, hosts, address, ports.into(), age]
        }
        Kind::IngressClass => {
            let default = g.metadata.annotation("ingressclass.kubernetes.io/is-default-class") == Some("true");
            let p = at(spec, &["parameters"]);
            let params = if p.is_null() {
                "<none>".to_string()
            } else {
                let group = at(p, &["apiGroup"]).as_str().map(|g| format!(".{g}")).unwrap_or_default();
                format!("{}{group}/{}", text(at(p, &["kind"])), text(at(p, &["name"])))
            };
            vec![if default { format!("{name} (default)") } else { name }, text(at(spec, &["controller"])), params, age]
        }
        Kind::NetworkPolicy => vec![name, selector(&at(spec, &["podSelector"]).clone()), age],
        Kind::HorizontalPodAutoscaler => {
            let r = at(spec, &["scaleTargetRef"]);
            let min = at(spec, &["minReplicas"]).as_i64().unwrap_or(1);
            vec![
                name,
                format!("{}/{}", text(at(r, &["kind"])), text(at(r, &["name"]))),
                hpa_targets(g),
                min.to_string(),
                int(at(spec, &["maxReplicas"])).to_string(),
                int(at(status, &["currentReplicas"])).to_string(),
                age,
            ]
        }
        Kind::RoleBinding | Kind::ClusterRoleBinding => {
            let r = g.field("roleRef");
            let (mut users, mut groups, mut sas) = (vec![], vec![], vec![]);
            for s in items(g.field("subjects")) {
                let n = text(at(s, &["name"]));
                match at(s, &["kind"]).as_str().unwrap_or("") {
                    "User" => users.push(n),
                    "Group" => groups.push(n),
                    "ServiceAccount" => sas.push(format!("{}/{n}", text(at(s, &["namespace"])))),
                    _ => {}
                }
            }
            vec![name, format!("{}/{}", text(at(r, &["kind"])), text(at(r, &["name"]))), age, users.join(", "), groups.join(", "), sas.join(", ")]
        }
        Kind::PriorityClass => vec![
            name,
            int(g.field("value")).to_string(),
            g.field("globalDefault").as_bool().unwrap_or(false).to_string(),
            age,
            g.field("preemptionPolicy").as_str().unwrap_or("PreemptLowerPriority").to_string(),
        ],
        Kind::RuntimeClass => vec![name, text(g.field("handler")), age],
        Kind::EndpointSlice => {
            let ports = items(g.field("ports"))
                .iter()
                .map(|p| match (at(p, &["port"]).as_i64(), at(p, &["name"]).as_str()) {
                    (Some(n), _) => n.to_string(),
                    (None, Some(n)) => n.to_string(),
                    _ => "*".into(),
                })
                .collect();
            let addrs = items(g.field("endpoints")).iter().flat_map(|e| items(at(e, &["addresses"])).iter().map(text)).collect();
            vec![name, text(g.field("addressType")), with_more(ports), with_more(addrs), age]
        }
        _ => vec![name, g.metadata.creation_timestamp.map(|t| t.rfc3339()).unwrap_or_default()],
    }
}

/// formatHPAMetrics for the metrics as the internal object has them: a
/// v1 object's targetCPUUtilizationPercentage is one cpu Resource metric,
/// and none at all defaults to cpu at 80%.
fn hpa_targets(g: &Generic) -> String {
    let spec = g.field("spec");
    let status = g.field("status");
    if g.api_version == "autoscaling/v1" {
        let current = at(status, &["currentCPUUtilizationPercentage"]).as_i64().map(|c| format!("{c}%")).unwrap_or_else(|| "<unknown>".into());
        let target = at(spec, &["targetCPUUtilizationPercentage"]).as_i64().unwrap_or(80);
        return format!("cpu: {current}/{target}%");
    }
    let specs = items(at(spec, &["metrics"]));
    if specs.is_empty() {
        return "cpu: <unknown>/80%".into();
    }
    let statuses = items(at(status, &["currentMetrics"]));
    let mut list = vec![];
    for (i, m) in specs.iter().enumerate() {
        let st = statuses.get(i).unwrap_or(&Value::Null);
        let q = |v: &Value| text(v);
        let item = match at(m, &["type"]).as_str().unwrap_or("") {
            t @ ("External" | "Object") => {
                let key = if t == "External" { "external" } else { "object" };
                let target = at(m, &[key, "target"]);
                let cur = at(st, &[key, "current"]);
                if !at(target, &["averageValue"]).is_null() {
                    let c = if cur.is_null() || at(cur, &["averageValue"]).is_null() { "<unknown>".into() } else { q(at(cur, &["averageValue"])) };
                    format!("{c}/{} (avg)", q(at(target, &["averageValue"])))
                } else {
                    let c = if cur.is_null() { "<unknown>".into() } else { q(at(cur, &["value"])) };
                    format!("{c}/{}", q(at(target, &["value"])))
                }
            }
            "Pods" => {
                let cur = at(st, &["pods", "current", "averageValue"]);
                let c = if cur.is_null() { "<unknown>".into() } else { q(cur) };
                format!("{c}/{}", q(at(m, &["pods", "target", "averageValue"])))
            }
            t @ ("Resource" | "ContainerResource") => {
                let key = if t == "Resource" { "resource" } else { "containerResource" };
                let src = at(m, &[key]);
                let target = at(src, &["target"]);
                let cur = at(st, &[key, "current"]);
                let rname = text(at(src, &["name"]));
                if !at(target, &["averageValue"]).is_null() {
                    let c = if at(st, &[key]).is_null() { "<unknown>".into() } else { q(at(cur, &["averageValue"])) };
                    format!("{rname}: {c}/{}", q(at(target, &["averageValue"])))
                } else {
                    let c = at(cur, &["averageUtilization"]).as_i64().map(|u| format!("{u}%")).unwrap_or_else(|| "<unknown>".into());
                    let t = at(target, &["averageUtilization"]).as_i64().map(|u| format!("{u}%")).unwrap_or_else(|| "<auto>".into());
                    format!("{rname}: {c}/{t}")
                }
            }
            _ => "<unknown type>".into(),
        };
        list.push(item);
    }
    if list.len() > 2 {
        let more = list.len() - 2;
        list.truncate(2);
        return format!("{} + {more} more...", list.join(", "));
    }
    list.join(", ")
}
