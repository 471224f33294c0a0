//! The horizontal pod autoscaler (pkg/controller/podautoscaler,
//! horizontal.go): every `--horizontal-pod-autoscaler-sync-period` (15 s,
//! the first time 15 s after the HPA appears) it reads the target's scale
//! subresource, computes the replicas each metric asks for
//! ([`replica_calculator`]: Resource and ContainerResource metrics from
//! the resource metrics API), takes the largest, normalizes it (the
//! min/max bounds, the scale-up limit of max(2x, 4) without `behavior`, the
//! behavior's policies and stabilization windows with it; without
//! `behavior`, a 5 minute downscale stabilization), writes the new scale
//! with a `SuccessfulRescale` event, and keeps the status: current and
//! desired replicas, current metrics, lastScaleTime and the AbleToScale,
//! ScalingActive and ScalingLimited conditions with upstream's reasons and
//! messages. Pods, Object and External metrics need a custom or external
//! metrics API, which this cluster has not: they fail as they do on a
//! cluster without one.
//!
//! The recommendations and scale events the stabilization and policies
//! look back on are the controller's memory, as upstream's are.

pub mod replica_calculator;

use super::controller_utils::Wakeups;
use super::{Controller, Ctl, Cx, WorkQueue};
use crate::engine::api::scale::{replicas_of, selector_of, with_replicas};
use crate::engine::api::*;
use crate::engine::apiserver::Api;
use crate::engine::quantity::{Format, Quantity};
use crate::engine::sort::VecMap;
use crate::engine::store::Change;
use crate::engine::time::{Millis, SECOND, Time};
use serde_json::{Map, Value};

const COMPONENT: &str = "horizontal-pod-autoscaler";
/// `--horizontal-pod-autoscaler-sync-period`.
pub const SYNC_PERIOD: Millis = 15 * SECOND;
/// `--horizontal-pod-autoscaler-downscale-stabilization`.
const DOWNSCALE_STABILIZATION: i64 = 300;

/// What the controller remembers of one HPA.
#[derive(Clone, Debug, Default)]
struct Memory {
    next: Option<Time>,
    /// (recommendation, when)
    recommendations: Vec<(i32, Time)>,
    /// (replica change, when, outdated)
    ups: Vec<(i32, Time, bool)>,
    downs: Vec<(i32, Time, bool)>,
}

#[derive(Clone, Default)]
pub struct HorizontalController {
    memory: VecMap<ObjRef, Memory>,
    wakeups: Wakeups,
}

impl Controller for HorizontalController {
    fn id(&self) -> Ctl {
        Ctl::HorizontalPodAutoscaler
    }

    fn watch(&mut self, ch: &Change, _api: &Api, q: &mut WorkQueue) {
        if ch.kind == Kind::HorizontalPodAutoscaler {
            q.add(ch.obj_ref());
        }
    }

    fn sync(&mut self, key: &ObjRef, cx: &mut Cx) {
        let Ok(obj) = cx.api.get(Kind::HorizontalPodAutoscaler, &key.key.namespace, &key.key.name) else {
            self.memory.remove(key);
            self.wakeups.forget(key);
            return;
        };
        let Object::Generic(hpa) = &*obj else { return };
        let now = cx.api.now;
        let mem = self.memory.entry_or_default(key.clone());
        // the queue's fixed-interval rate limiter: one sync per period
        match mem.next {
            Some(t) if t > now => return,
            None => {
                mem.next = Some(now.plus(SYNC_PERIOD));
                self.wakeups.wake_idle(cx.api, Ctl::HorizontalPodAutoscaler, key.clone(), now.plus(SYNC_PERIOD));
                return;
            }
            _ => {}
        }
        mem.next = Some(now.plus(SYNC_PERIOD));
        self.wakeups.wake_idle(cx.api, Ctl::HorizontalPodAutoscaler, key.clone(), now.plus(SYNC_PERIOD));
        let mut r = Reconcile { api: cx.api, hpa, mem, status: hpa.field("status").as_object().cloned().unwrap_or_default(), now };
        r.reconcile();
    }
}

/// One field of a JSON object (out of line: one copy, not one per field).
fn put(m: &mut Map<String, Value>, k: &str, v: Value) {
    m.insert(k.into(), v);
}

/// A JSON object of one string field.
fn object1(k: &str, v: &str) -> Map<String, Value> {
    let mut m = Map::new();
    put(&mut m, k, Value::String(v.into()));
    m
}

fn condition_list(status: &mut Map<String, Value>) -> &mut Vec<Value> {
    let v = status.entry("conditions").or_insert(Value::Null);
    if !v.is_array() {
        *v = Value::Array(vec![]);
    }
    v.as_array_mut().expect("array")
}

/// `setConditionInList`: the transition time moves only when the status does.
fn set_condition(status: &mut Map<String, Value>, type_: &str, st: bool, reason: &str, message: &str, now: Time) {
    let conds = condition_list(status);
    let st = if st { "True" } else { "False" };
    let i = match conds.iter().position(|c| c["type"] == type_) {
        Some(i) => i,
        None => {
            conds.push(Value::Object(object1("type", type_)));
            conds.len() - 1
        }
    };
    if !conds[i].is_object() {
        conds[i] = Value::Object(object1("type", type_));
    }
    let Value::Object(c) = &mut conds[i] else { return };
    if c.get("status").and_then(Value::as_str) != Some(st) {
        put(c, "lastTransitionTime", Value::String(now.rfc3339()));
    }
    put(c, "status", Value::String(st.into()));
    put(c, "reason", Value::String(reason.into()));
    put(c, "message", Value::String(message.into()));
}

struct Reconcile<'a> {
    api: &'a mut Api,
    hpa: &'a Generic,
    mem: &'a mut Memory,
    status: Map<String, Value>,
    now: Time,
}

/// A metric's failure: the condition's reason and the error.
struct MetricError {
    reason: &'static str,
    err: String,
}

fn int(v: &Value) -> Option<i32> {
    v.as_i64().map(|n| n as i32)
}

impl Reconcile<'_> {
    fn spec(&self) -> &Value {
        self.hpa.field("spec")
    }

    fn event(&mut self, type_: &str, reason: &str, message: &str) {
        let o = Object::Generic(self.hpa.clone());
        self.api.event(&o, type_, reason, message, COMPONENT);
    }

    fn condition(&mut self, type_: &str, st: bool, reason: &str, message: &str) {
        set_condition(&mut self.status, type_, st, reason, message, self.now);
    }

    /// `updateStatusIfNeeded`.
    fn write_status(&mut self) {
        let status = Value::Object(std::mem::take(&mut self.status));
        if &status != self.hpa.field("status") {
            let mut g = self.hpa.clone();
            g.body.insert("status".into(), status);
            let _ = self.api.update_status(Object::Generic(g));
        }
    }

    /// `setStatus`.
    fn set_status(&mut self, current: i32, desired: i32, metrics: Vec<Value>, rescale: bool) {
        put(&mut self.status, "currentReplicas", current.into());
        put(&mut self.status, "desiredReplicas", desired.into());
        if metrics.is_empty() {
            self.status.remove("currentMetrics");
        } else {
            put(&mut self.status, "currentMetrics", Value::Array(metrics));
        }
        if rescale {
            put(&mut self.status, "lastScaleTime", Value::String(self.now.rfc3339()));
        }
    }

    /// `reconcileAutoscaler`.
    fn reconcile(&mut self) {
        let spec = self.spec().clone();
        let ns = self.hpa.metadata.namespace.clone();
        let target_ref = &spec["scaleTargetRef"];
        let (tkind, tname) = (target_ref["kind"].as_str().unwrap_or(""), target_ref["name"].as_str().unwrap_or(""));
        let group = target_ref["apiVersion"].as_str().unwrap_or("").rsplit_once('/').map_or("", |g| g.0);
        let scalable = [Kind::Deployment, Kind::ReplicaSet, Kind::StatefulSet, Kind::ReplicationController];
        let kind = Kind::lookup(&tkind.to_lowercase()).filter(|k| k.info().group == group && scalable.contains(k));
        let target = match kind {
            None => Err(format!("no matches for kind \"{tkind}\" in group \"{group}\"")),
            Some(k) => self.api.get(k, &ns, tname).map_err(|e| e.message),
        };
        let target = match target {
            Ok(t) => t,
            Err(e) => {
                self.event("Warning", "FailedGetScale", &e);
                self.condition("AbleToScale", false, "FailedGetScale", &format!("the HPA controller was unable to get the target's current scale: {e}"));
                self.write_status();
                return;
            }
        };
        self.condition("AbleToScale", true, "SucceededGetScale", "the HPA controller was able to get the target's current scale");
        let (current, _) = replicas_of(&target).expect("scalable");
        if self.mem.recommendations.is_empty() {
            self.mem.recommendations.push((current, self.now));
        }
        let min = int(&spec["minReplicas"]).unwrap_or(1);
        let max = int(&spec["maxReplicas"]).unwrap_or(0);
        let mut desired = 0;
        let mut reason = String::new();
        let mut statuses = vec![];
        let mut rescale = true;
        if current == 0 && min != 0 {
            rescale = false;
            self.condition("ScalingActive", false, "ScalingDisabled", "scaling is disabled since the replica count of the target is zero");
        } else if current > max {
            reason = "Current number of replicas above Spec.MaxReplicas".into();
            desired = max;
        } else if current < min {
            reason = "Current number of replicas below Spec.MinReplicas".into();
            desired = min;
        } else {
            let selector = selector_of(&target).unwrap_or_default();
            let (proposal, metric, st, err) = self.replicas_for_metrics(&spec, current, &selector);
            statuses = st;
            let Some(proposal) = proposal else {
                self.set_status(current, self.status.get("desiredReplicas").and_then(int).unwrap_or(0), statuses, false);
                self.write_status();
                self.event("Warning", "FailedComputeMetricsReplicas", &err.unwrap_or_default());
                return;
            };
            let mut metric_name = String::new();
            if proposal > desired {
                desired = proposal;
                metric_name = metric;
            }
            if desired > current {
                reason = format!("{metric_name} above target");
            }
            if desired < current {
                reason = "All metrics below target".into();
            }
            desired = if spec["behavior"].is_object() {
                self.normalize_with_behaviors(&spec, current, desired, min, max)
            } else {
                self.normalize(current, desired, min, max)
            };
            rescale = desired != current;
        }
        if rescale {
            if let Some(o) = with_replicas(&target, desired)
                && let Err(e) = self.api.update(o)
            {
                self.event("Warning", "FailedRescale", &format!("New size: {desired}; reason: {reason}; error: {}", e.message));
                self.condition("AbleToScale", false, "FailedUpdateScale", &format!("the HPA controller was unable to update the target scale: {}", e.message));
                self.set_status(current, self.status.get("desiredReplicas").and_then(int).unwrap_or(0), statuses, false);
                self.write_status();
                return;
            }
            self.condition("AbleToScale", true, "SucceededRescale", &format!("the HPA controller was able to update the target scale to {desired}"));
            self.event("Normal", "SuccessfulRescale", &format!("New size: {desired}; reason: {reason}"));
            if spec["behavior"].is_object() {
                self.store_scale_event(&spec, current, desired);
            }
        } else {
            desired = current;
        }
        self.set_status(current, desired, statuses, rescale);
        self.write_status();
    }

    /// `computeReplicasForMetrics`: (largest proposal, its metric's name,
    /// the metric statuses, the error). No proposal: nothing to act on.
    fn replicas_for_metrics(&mut self, spec: &Value, current: i32, selector: &LabelSelector) -> (Option<i32>, String, Vec<Value>, Option<String>) {
        if selector.is_empty() {
            self.condition("ScalingActive", false, "InvalidSelector", "the HPA target's scale is missing a selector");
            return (None, String::new(), vec![], Some("selector is required".into()));
        }
        let specs = spec["metrics"].as_array().cloned().unwrap_or_default();
        let (mut replicas, mut metric, mut statuses) = (0, String::new(), vec![]);
        let (mut invalid, mut first): (usize, Option<MetricError>) = (0, None);
        for m in &specs {
            match self.replicas_for_metric(m, current, selector) {
                Ok((n, name, st)) => {
                    statuses.push(st);
                    if replicas == 0 || n > replicas {
                        replicas = n;
                        metric = name;
                    }
                }
                Err(e) => {
                    statuses.push(Value::Object(object1("type", "")));
                    invalid += 1;
                    first.get_or_insert(e);
                }
            }
        }
        let err = first.as_ref().map(|e| format!("invalid metrics ({invalid} invalid out of {}), first error is: {}", specs.len(), e.err));
        if let Some(e) = &first
            && (invalid >= specs.len() || replicas < current)
        {
            let msg = format!("the HPA was unable to compute the replica count: {}", e.err.split_once(": ").map_or(e.err.as_str(), |x| x.1));
            self.condition("ScalingActive", false, e.reason, &msg);
            return (None, String::new(), statuses, err);
        }
        self.condition("ScalingActive", true, "ValidMetricFound", &format!("the HPA was able to successfully calculate a replica count from {metric}"));
        (Some(replicas), metric, statuses, err)
    }

    /// `computeReplicasForMetric` for one metric spec: (replicas, the
    /// metric's name, its status).
    fn replicas_for_metric(&mut self, m: &Value, current: i32, selector: &LabelSelector) -> Result<(i32, String, Value), MetricError> {
        let type_ = m["type"].as_str().unwrap_or("");
        let (source, field, reason) = match type_ {
            "Resource" => (&m["resource"], "resource", "FailedGetResourceMetric"),
            "ContainerResource" => (&m["containerResource"], "containerResource", "FailedGetContainerResourceMetric"),
            other => {
                let (what, reason) = match other {
                    "Pods" => ("pods", "FailedGetPodsMetric"),
                    "Object" => ("object", "FailedGetObjectMetric"),
                    _ => ("external", "FailedGetExternalMetric"),
                };
                let name = m[what.to_lowercase()]["metric"]["name"].as_str().unwrap_or("").to_string();
                let api = if what == "external" { "external metrics API (external.metrics.k8s.io)" } else { "custom metrics API (custom.metrics.k8s.io)" };
                let e = format!("failed to get {what} metric value: unable to get metric {name}: no {api} registered");
                self.event("Warning", reason, &e);
                return Err(MetricError { reason, err: e });
            }
        };
        let resource = source["name"].as_str().unwrap_or("cpu").to_string();
        let container = source["container"].as_str().unwrap_or("").to_string();
        let target = &source["target"];
        let utilization = int(&target["averageUtilization"]);
        let value = target["averageValue"].as_str().and_then(|q| Quantity::parse(q).ok()).map(|q| q.milli_value());
        let wrap = |e: String| {
            if type_ == "Resource" {
                format!("failed to get {resource} resource metric value: {e}")
            } else {
                format!("failed to get {container} container metric value: {e}")
            }
        };
        let result = match (value, utilization) {
            (Some(v), _) => replica_calculator::resource_replicas(self.api, &self.hpa.metadata.namespace, selector, current, &resource, &container, None, v)
                .map_err(|e| format!("failed to get {resource} usage: {e}")),
            (None, Some(u)) => {
                replica_calculator::resource_replicas(self.api, &self.hpa.metadata.namespace, selector, current, &resource, &container, Some(u), 0)
                    .map_err(|e| format!("failed to get {resource} utilization: {e}"))
            }
            (None, None) => Err("invalid resource metric source: neither an average utilization target nor an average value (usage) target was set".into()),
        };
        let p = match result {
            Ok(p) => p,
            Err(e) => {
                self.event("Warning", reason, &e);
                return Err(MetricError { reason, err: wrap(e) });
            }
        };
        let format = if resource == "memory" { Format::BinarySI } else { Format::DecimalSI };
        let mut current_v = object1("averageValue", &Quantity::from_milli(p.raw, format).canonical());
        let name = match p.utilization {
            Some(u) => {
                put(&mut current_v, "averageUtilization", u.into());
                if type_ == "Resource" {
                    format!("{resource} resource utilization (percentage of request)")
                } else {
                    format!("{resource} container resource utilization (percentage of request)")
                }
            }
            None => format!("{resource} resource"),
        };
        let mut source = object1("name", &resource);
        put(&mut source, "current", Value::Object(current_v));
        if !container.is_empty() {
            put(&mut source, "container", Value::String(container));
        }
        let mut st = object1("type", type_);
        put(&mut st, field, Value::Object(source));
        Ok((p.replicas, name, Value::Object(st)))
    }

    /// `normalizeDesiredReplicas` (no `behavior`): the downscale
    /// stabilization, then the bounds and the scale-up limit.
    fn normalize(&mut self, current: i32, desired: i32, min: i32, max: i32) -> i32 {
        let cutoff = self.now.0 - DOWNSCALE_STABILIZATION * SECOND;
        let mut stabilized = desired;
        let mut old = None;
        for (i, (rec, t)) in self.mem.recommendations.iter().enumerate() {
            if t.0 < cutoff {
                old = Some(i);
            } else if *rec > stabilized {
                stabilized = *rec;
            }
        }
        self.recommend(old, desired, stabilized, false);
        let up_limit = (2 * current).max(4);
        let (max_allowed, limit_reason, limit_msg) = if max > up_limit {
            (up_limit, "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate")
        } else {
            (max, "TooManyReplicas", "the desired replica count is more than the maximum replica count")
        };
        let (out, reason, msg) = if stabilized < min {
            (min, "TooFewReplicas", "the desired replica count is less than the minimum replica count")
        } else if stabilized > max_allowed {
            (max_allowed, limit_reason, limit_msg)
        } else {
            (stabilized, "DesiredWithinRange", "the desired count is within the acceptable range")
        };
        self.condition("ScalingLimited", out != stabilized, reason, msg);
        out
    }

    /// Both stabilizations' end: the new recommendation takes the oldest
    /// expired slot (or is added), and AbleToScale says whether an older
    /// one won (up: a lower one held a scale-up back).
    fn recommend(&mut self, old: Option<usize>, desired: i32, stabilized: i32, up: bool) {
        match old {
            Some(i) => self.mem.recommendations[i] = (desired, self.now),
            None => self.mem.recommendations.push((desired, self.now)),
        }
        let (reason, msg) = match (stabilized != desired, up) {
            (false, _) => ("ReadyForNewScale", "recommended size matches current size"),
            (true, true) => ("ScaleUpStabilized", "recent recommendations were lower than current one, applying the lowest recent recommendation"),
            (true, false) => ("ScaleDownStabilized", "recent recommendations were higher than current one, applying the highest recent recommendation"),
        };
        self.condition("AbleToScale", true, reason, msg);
    }

    /// `normalizeDesiredReplicasWithBehaviors`.
    fn normalize_with_behaviors(&mut self, spec: &Value, current: i32, desired: i32, min: i32, max: i32) -> i32 {
        let (up, down) = (rules(spec, true), rules(spec, false));
        // stabilizeRecommendationWithBehaviors
        let up_cutoff = self.now.0 - up.window * SECOND;
        let down_cutoff = self.now.0 - down.window * SECOND;
        let (mut up_rec, mut down_rec) = (desired, desired);
        let mut old = None;
        for (i, (rec, t)) in self.mem.recommendations.iter().enumerate() {
            if t.0 > up_cutoff {
                up_rec = up_rec.min(*rec);
            }
            if t.0 > down_cutoff {
                down_rec = down_rec.max(*rec);
            }
            if t.0 < up_cutoff && t.0 < down_cutoff {
                old = Some(i);
            }
        }
        let stabilized = current.max(up_rec).min(down_rec);
        self.recommend(old, desired, stabilized, desired >= current);
        // convertDesiredReplicasWithBehaviorRate
        let (mut out, mut reason, mut msg) = (stabilized, "DesiredWithinRange", "the desired count is within the acceptable range");
        if stabilized > current {
            let limit = self.limit(&up, current, true).max(current);
            let (allowed, r, m) = if max > limit {
                (limit, "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate")
            } else {
                (max, "TooManyReplicas", "the desired replica count is more than the maximum replica count")
            };
            if stabilized > allowed {
                (out, reason, msg) = (allowed, r, m);
            }
        } else if stabilized < current {
            let limit = self.limit(&down, current, false).min(current);
            let (allowed, r, m) = if min < limit {
                (limit, "ScaleDownLimit", "the desired replica count is decreasing faster than the maximum scale rate")
            } else {
                (min, "TooFewReplicas", "the desired replica count is less than the minimum replica count")
            };
            if stabilized < allowed {
                (out, reason, msg) = (allowed, r, m);
            }
        }
        self.condition("ScalingLimited", out != stabilized, reason, msg);
        out
    }

    /// `calculateScaleUpLimitWithScalingRules` / `calculateScaleDownLimitWithBehaviors`.
    fn limit(&self, r: &Rules, current: i32, up: bool) -> i32 {
        if r.select == "Disabled" {
            return current;
        }
        let changed = |period: i64, events: &[(i32, Time, bool)]| -> i32 { events.iter().filter(|e| e.1.0 > self.now.0 - period * SECOND).map(|e| e.0).sum() };
        // Min picks the smallest change: the lowest limit up, the highest down
        let smallest = (r.select == "Min") == up;
        let mut result: Option<i32> = None;
        for (type_, value, period) in &r.policies {
            let start = current - changed(*period, &self.mem.ups) + changed(*period, &self.mem.downs);
            let proposed = match (*type_ == "Pods", up) {
                (true, true) => start + value,
                (true, false) => start - value,
                (false, true) => (start as f64 * (1.0 + *value as f64 / 100.0)).ceil() as i32,
                (false, false) => (start as f64 * (1.0 - *value as f64 / 100.0)) as i32,
            };
            result = Some(match result {
                None => proposed,
                Some(x) if smallest => x.min(proposed),
                Some(x) => x.max(proposed),
            });
        }
        result.unwrap_or(if smallest { i32::MAX } else { i32::MIN })
    }

    /// `storeScaleEvent`.
    fn store_scale_event(&mut self, spec: &Value, prev: i32, new: i32) {
        let up = new > prev;
        let longest = rules(spec, up).policies.iter().map(|p| p.2).max().unwrap_or(0);
        let now = self.now;
        let events = if up { &mut self.mem.ups } else { &mut self.mem.downs };
        for e in events.iter_mut() {
            if e.1.0 < now.0 - longest * SECOND {
                e.2 = true;
            }
        }
        let ev = ((new - prev).abs(), now, false);
        match events.iter().rposition(|e| e.2) {
            Some(i) => events[i] = ev,
            None => events.push(ev),
        }
    }
}

/// What holds after every step (the property tests check it): an HPA
/// whose metrics gave a count (ScalingActive) wants one within its bounds.
/// (When they fail, desiredReplicas keeps its last value, 0 at first, as
/// upstream's setCurrentReplicasAndMetricsInStatus leaves it.)
pub fn check_invariants(api: &Api) -> Result<(), String> {
    for o in api.store.list(Kind::HorizontalPodAutoscaler) {
        let Object::Generic(g) = &**o else { continue };
        let (spec, st) = (g.field("spec"), g.field("status"));
        let (Some(current), Some(desired)) = (int(&st["currentReplicas"]), int(&st["desiredReplicas"])) else { continue };
        let active = st["conditions"].as_array().is_some_and(|cs| cs.iter().any(|c| c["type"] == "ScalingActive" && c["status"] == "True"));
        let (min, max) = (int(&spec["minReplicas"]).unwrap_or(1), int(&spec["maxReplicas"]).unwrap_or(0));
        if active && current > 0 && !(min..=max).contains(&desired) {
            return Err(format!("HPA {} wants {desired} replicas outside [{min}, {max}]", o.key()));
        }
    }
    Ok(())
}

/// One direction's scaling rules with the API's defaults filled in.
struct Rules {
    window: i64,
    select: String,
    /// (type, value, periodSeconds)
    policies: Vec<(String, i32, i64)>,
}

/// `GenerateHPAScaleUpRules` / `GenerateHPAScaleDownRules` and the
/// controller's default downscale window.
fn rules(spec: &Value, up: bool) -> Rules {
    let b = &spec["behavior"][if up { "scaleUp" } else { "scaleDown" }];
    let mut policies: Vec<(String, i32, i64)> = b["policies"]
        .as_array()
        .map(|ps| {
            ps.iter().map(|p| (p["type"].as_str().unwrap_or("").to_string(), int(&p["value"]).unwrap_or(0), p["periodSeconds"].as_i64().unwrap_or(0))).collect()
        })
        .unwrap_or_default();
    if policies.is_empty() {
        policies = if up { vec![("Pods".into(), 4, 15), ("Percent".into(), 100, 15)] } else { vec![("Percent".into(), 100, 15)] };
    }
    Rules {
        window: b["stabilizationWindowSeconds"].as_i64().unwrap_or(if up { 0 } else { DOWNSCALE_STABILIZATION }),
        select: b["selectPolicy"].as_str().unwrap_or("Max").to_string(),
        policies,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubectl::session::Session;
    use serde_json::json;

    #[test]
    fn behavior_defaults_fill_the_rules_and_the_down_window() {
        let spec = json!({"behavior": {"scaleDown": {"policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]}}});
        let up = rules(&spec, true);
        assert_eq!((up.window, up.select.as_str(), up.policies.len()), (0, "Max", 2));
        let down = rules(&spec, false);
        assert_eq!((down.window, down.policies.clone()), (300, vec![("Pods".to_string(), 1, 60)]));
    }

    #[test]
    fn conditions_keep_their_transition_time_while_the_status_holds() {
        let mut st = Map::new();
        set_condition(&mut st, "AbleToScale", true, "SucceededGetScale", "m", Time(1_000));
        set_condition(&mut st, "AbleToScale", true, "ReadyForNewScale", "n", Time(9_000));
        assert_eq!(st["conditions"][0]["reason"], "ReadyForNewScale");
        assert_eq!(st["conditions"][0]["lastTransitionTime"], json!(Time(1_000)));
        set_condition(&mut st, "AbleToScale", false, "FailedGetScale", "x", Time(12_000));
        assert_eq!(st["conditions"][0]["lastTransitionTime"], json!(Time(12_000)));
    }

    /// A scale-down policy of one pod a minute, under no load: from 4
    /// replicas the HPA removes one pod per minute once the window passes.
    #[test]
    fn a_scale_down_policy_paces_the_scale_down() {
        let mut s = Session::new(1);
        s.run("cluster addon install metrics-server", "");
        s.run(
            "kubectl apply -f -",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 4\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n        resources: {requests: {cpu: 100m}}\n",
        );
        s.run(
            "kubectl apply -f -",
            "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  minReplicas: 1\n  maxReplicas: 5\n  metrics:\n  - type: Resource\n    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}\n  behavior:\n    scaleDown:\n      stabilizationWindowSeconds: 30\n      policies: [{type: Pods, value: 1, periodSeconds: 60}]\n",
        );
        let replicas = |s: &Session| s.cluster.get::<Deployment>("default", "web").and_then(|d| d.spec.replicas).unwrap_or(0);
        s.cluster.advance(2 * 60_000);
        let after_two = replicas(&s);
        s.cluster.advance(60_000);
        let after_three = replicas(&s);
        assert!(after_two < 4 && after_three == after_two - 1, "{after_two} then {after_three}");
        // CPU is near 0%: the metric asks for 0, held at minReplicas
        let (out, _) = crate::kubectl::commands::testutil::run(&mut s, "kubectl get hpa web -o jsonpath={.status.conditions[2].reason}");
        assert_eq!(out, "TooFewReplicas");
    }
}
