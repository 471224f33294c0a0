//! replica_calculator.go and metrics/utilization.go: the replica count a
//! resource metric asks for, from the pods' usage over their requests,
//! with the tolerance, and the readiness and missing-metrics rules
//! (unready pods and pods without metrics count as using nothing when
//! scaling up, pods without metrics as using their request when scaling
//! down, so neither makes the HPA overshoot).

use crate::engine::api::*;
use crate::engine::apiserver::Api;
use crate::engine::apiserver::metrics::{self, PodMetrics};
use crate::engine::time::{MINUTE, Millis, SECOND, Time};

/// `--horizontal-pod-autoscaler-tolerance`.
pub const TOLERANCE: f64 = 0.1;
/// `--horizontal-pod-autoscaler-cpu-initialization-period`.
const CPU_INITIALIZATION_PERIOD: Millis = 5 * MINUTE;
/// `--horizontal-pod-autoscaler-initial-readiness-delay`.
const DELAY_OF_INITIAL_READINESS_STATUS: Millis = 30 * SECOND;

/// One pod's value of the metric (millicores, or bytes × 1000) and when
/// and over what window it was measured.
struct Sample {
    pod: String,
    value: i64,
    timestamp: Time,
    window: Millis,
}

/// What `GetResourceReplicas` / `GetRawResourceReplicas` give: the count,
/// the utilization (percent of requests; None for a value target) and the
/// average raw value.
pub struct Proposal {
    pub replicas: i32,
    pub utilization: Option<i32>,
    pub raw: i64,
}

fn within(ratio: f64) -> bool {
    ((1.0 - TOLERANCE)..=(1.0 + TOLERANCE)).contains(&ratio)
}

/// `GetResourceMetric` of the resource metrics client.
fn resource_metric(api: &Api, ns: &str, pods: &[&Pod], resource: &str, container: &str) -> Result<Vec<Sample>, String> {
    if !metrics::available(api) {
        return Err(format!("unable to fetch metrics from resource metrics API: {}", metrics::not_found("pods")));
    }
    let items: Vec<&PodMetrics> = api.metrics.pods.iter().filter(|m| m.namespace == ns && pods.iter().any(|p| p.metadata.name == m.name)).collect();
    if items.is_empty() {
        return Err("no metrics returned from resource metrics API".into());
    }
    let value = |c: &(String, u64, u64)| if resource == "cpu" { c.1 as i64 } else { c.2 as i64 * 1000 };
    Ok(items
        .iter()
        .filter_map(|m| {
            let v = if container.is_empty() { m.containers.iter().map(value).sum() } else { value(m.containers.iter().find(|c| c.0 == container)?) };
            Some(Sample { pod: m.name.clone(), value: v, timestamp: m.timestamp, window: m.window })
        })
        .collect())
}

/// `calculatePodRequestsFromContainers` (in milli-units).
fn request_of(p: &Pod, container: &str, resource: &str) -> Result<i64, String> {
    let mut total = 0;
    for c in &p.spec.containers {
        if !container.is_empty() && c.name != container {
            continue;
        }
        match c.resources.requests.get(resource) {
            Some(q) => total += q.milli_value(),
            None => return Err(format!("missing request for {resource} in container {} of Pod {}", c.name, p.metadata.name)),
        }
        if c.name == container {
            return Ok(total);
        }
    }
    if !container.is_empty() {
        return Err(format!("container {container} not found in Pod {}", p.metadata.name));
    }
    Ok(total)
}

/// `groupPods`: (ready count, unready, missing); ignored pods (deleted,
/// failed) are left out of all three.
fn group_pods<'a>(pods: &[&'a Pod], samples: &[Sample], resource: &str, now: Time) -> (usize, Vec<&'a str>, Vec<&'a str>, Vec<&'a str>) {
    let (mut ready, mut unready, mut missing, mut ignored) = (0, vec![], vec![], vec![]);
    for p in pods {
        let name = p.metadata.name.as_str();
        if p.metadata.deletion_timestamp.is_some() || p.status.phase == PodPhase::Failed {
            ignored.push(name);
            continue;
        }
        if p.status.phase == PodPhase::Pending {
            unready.push(name);
            continue;
        }
        let Some(m) = samples.iter().find(|s| s.pod == name) else {
            missing.push(name);
            continue;
        };
        if resource == "cpu" {
            let cond = super::super::controller_utils::pod_ready_condition(p);
            let start = p.status.start_time;
            let is_unready = match (cond, start) {
                (Some(c), Some(start)) => {
                    let changed = c.last_transition_time.unwrap_or(start);
                    let false_ = c.status == ConditionStatus::False;
                    if start.0 + CPU_INITIALIZATION_PERIOD > now.0 {
                        false_ || m.timestamp.0 < changed.0 + m.window
                    } else {
                        false_ && start.0 + DELAY_OF_INITIAL_READINESS_STATUS > changed.0
                    }
                }
                _ => true,
            };
            if is_unready {
                unready.push(name);
                continue;
            }
        }
        ready += 1;
    }
    (ready, unready, missing, ignored)
}

/// `GetResourceUtilizationRatio`: (ratio, utilization %, raw average).
fn utilization_ratio(samples: &[(String, i64)], requests: &[(String, i64)], target: i32) -> Result<(f64, i32, i64), String> {
    let (mut total, mut req, mut n) = (0i64, 0i64, 0i64);
    for (pod, v) in samples {
        if let Some((_, r)) = requests.iter().find(|(p, _)| p == pod) {
            total += v;
            req += r;
            n += 1;
        }
    }
    if req == 0 {
        return Err("no metrics returned matched known pods".into());
    }
    let util = (total * 100 / req) as i32;
    Ok((util as f64 / target as f64, util, total / n))
}

/// `GetMetricUsageRatio`: (ratio, average usage).
fn usage_ratio(samples: &[(String, i64)], target: i64) -> (f64, i64) {
    let usage = samples.iter().map(|s| s.1).sum::<i64>() / samples.len() as i64;
    (usage as f64 / target as f64, usage)
}

/// `GetResourceReplicas` (target: Some(utilization %)) and
/// `GetRawResourceReplicas` (target average value in milli-units).
pub fn resource_replicas(
    api: &Api,
    ns: &str,
    selector: &LabelSelector,
    current: i32,
    resource: &str,
    container: &str,
    target_utilization: Option<i32>,
    target_value: i64,
) -> Result<Proposal, String> {
    let pods: Vec<&Pod> = api.store.list_ns_t::<Pod>(ns).filter(|p| selector.matches(&p.metadata.labels)).collect();
    let samples = resource_metric(api, ns, &pods, resource, container).map_err(|e| format!("unable to get metrics for resource {resource}: {e}"))?;
    if pods.is_empty() {
        return Err("no pods returned by selector while calculating replica count".into());
    }
    let (ready, unready, missing, ignored) = group_pods(&pods, &samples, resource, api.now);
    let mut m: Vec<(String, i64)> =
        samples.iter().filter(|s| !unready.contains(&s.pod.as_str()) && !ignored.contains(&s.pod.as_str())).map(|s| (s.pod.clone(), s.value)).collect();
    if m.is_empty() {
        return Err("did not receive metrics for targeted pods (pods might be unready)".into());
    }
    let requests: Vec<(String, i64)> = match target_utilization {
        Some(_) => pods.iter().map(|p| Ok((p.metadata.name.clone(), request_of(p, container, resource)?))).collect::<Result<_, String>>()?,
        None => vec![],
    };
    let ratio = |m: &[(String, i64)]| -> Result<(f64, Option<i32>, i64), String> {
        match target_utilization {
            Some(t) => utilization_ratio(m, &requests, t).map(|(r, u, raw)| (r, Some(u), raw)),
            None => {
                let (r, u) = usage_ratio(m, target_value);
                Ok((r, None, u))
            }
        }
    };
    let (usage_ratio, utilization, raw) = ratio(&m)?;
    let done = |replicas| Ok(Proposal { replicas, utilization, raw });
    let with_unready = !unready.is_empty() && usage_ratio > 1.0;
    if !with_unready && missing.is_empty() {
        if within(usage_ratio) {
            return done(current);
        }
        return done((usage_ratio * ready as f64).ceil() as i32);
    }
    if usage_ratio < 1.0 {
        for p in &missing {
            // a pod without metrics is taken to use its request (or the target)
            let v = match target_utilization {
                Some(t) => requests.iter().find(|(n, _)| n == p).map_or(0, |r| r.1) * (t.max(100) as i64) / 100,
                None => target_value,
            };
            m.push((p.to_string(), v));
        }
    } else if usage_ratio > 1.0 {
        m.extend(missing.iter().map(|p| (p.to_string(), 0)));
    }
    if with_unready {
        m.extend(unready.iter().map(|p| (p.to_string(), 0)));
    }
    let (new_ratio, _, _) = ratio(&m)?;
    if within(new_ratio) || (usage_ratio < 1.0 && new_ratio > 1.0) || (usage_ratio > 1.0 && new_ratio < 1.0) {
        return done(current);
    }
    let replicas = (new_ratio * m.len() as f64).ceil() as i32;
    if (new_ratio < 1.0 && replicas > current) || (new_ratio > 1.0 && replicas < current) {
        return done(current);
    }
    done(replicas)
}
