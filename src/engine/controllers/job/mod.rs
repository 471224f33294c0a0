//! The Job controller (pkg/controller/job, job_controller.go): runs pods
//! from a Job's template until `completions` of them succeed (or, without
//! completions, until one does and the rest end), `parallelism` at a time;
//! Indexed Jobs give each pod a completion index (its name, hostname,
//! annotation, label and `JOB_COMPLETION_INDEX`). Failed pods are replaced
//! after an exponential back-off until `backoffLimit` is passed;
//! `activeDeadlineSeconds`, `podFailurePolicy`, `successPolicy`, `suspend`
//! and `podReplacementPolicy` work as upstream's. Pods carry the
//! `batch.kubernetes.io/job-tracking` finalizer until the controller has
//! counted them, so a pod deleted early is still counted. The terminal
//! condition comes in two steps, as in 1.36: `FailureTarget` or
//! `SuccessCriteriaMet` first, then `Failed` or `Complete` once no pod of
//! the Job is still terminating.
//!
//! Not simulated: `backoffLimitPerIndex` (its per-index failure counts),
//! adopting orphan pods that match a manual selector, gang scheduling.

mod backoff_utils;
pub mod indexed_job_utils;
mod pod_failure_policy;
mod success_policy;

use super::controller_utils::*;
use super::{Controller, Ctl, Cx, WorkQueue};
use crate::engine::api::*;
use crate::engine::apiserver::{Api, DeleteOptions};
use crate::engine::store::{Change, Op};
use crate::engine::time::{Millis, SECOND, Time};
use backoff_utils::BackoffRecord;
use indexed_job_utils::*;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

const COMPONENT: &str = "job-controller";
/// `batch.JobTrackingFinalizer`.
pub const TRACKING_FINALIZER: &str = "batch.kubernetes.io/job-tracking";
/// `SyncJobBatchPeriod`: pod events wake their Job this much later.
const SYNC_BATCH_PERIOD: Millis = SECOND;
/// `MaxPodCreateDeletePerSync`.
const MAX_PER_SYNC: usize = 500;

#[derive(Clone)]
pub struct JobController {
    /// `podBackoffStore`, by Job.
    // Boxed values: BTreeMap's code is compiled per value size, and maps of
    // pointer-sized values share one copy in the wasm.
    backoff: BTreeMap<ObjRef, Box<BackoffRecord>>,
    /// Jobs a pod event asked to sync after the batch period.
    batched: BTreeSet<ObjRef>,
    wakeups: Wakeups,
    retry: Backoff,
}

impl Default for JobController {
    fn default() -> Self {
        // DefaultJobApiBackOff (1s) to MaxJobApiBackOff (1m)
        JobController { backoff: BTreeMap::new(), batched: BTreeSet::new(), wakeups: Wakeups::default(), retry: Backoff::with(SECOND, 60 * SECOND) }
    }
}

/// The parts of a Job's spec the controller acts on (defaulted by the API server).
struct Spec<'a> {
    parallelism: i32,
    completions: Option<i32>,
    backoff_limit: i32,
    deadline: Option<i64>,
    suspend: bool,
    indexed: bool,
    /// `onlyReplaceFailedPods`: podReplacementPolicy Failed, or a pod failure policy.
    only_replace_failed: bool,
    failure_policy: &'a Value,
    success_policy: &'a Value,
    on_failure: bool,
}

impl<'a> Spec<'a> {
    fn of(s: &'a Value) -> Spec<'a> {
        let int = |k: &str| s[k].as_i64().map(|v| v.clamp(i32::MIN as i64, i32::MAX as i64) as i32);
        Spec {
            parallelism: int("parallelism").unwrap_or(1),
            completions: int("completions"),
            backoff_limit: int("backoffLimit").unwrap_or(6),
            deadline: s["activeDeadlineSeconds"].as_i64(),
            suspend: s["suspend"] == true,
            indexed: s["completionMode"] == "Indexed",
            only_replace_failed: s["podReplacementPolicy"] == "Failed" || s["podFailurePolicy"].is_object(),
            failure_policy: &s["podFailurePolicy"],
            success_policy: &s["successPolicy"],
            on_failure: s["template"]["spec"]["restartPolicy"] == "OnFailure",
        }
    }
}

/// A Job condition about to be written.
#[derive(Clone, Debug, PartialEq)]
struct Cond {
    type_: &'static str,
    reason: String,
    message: String,
}

impl Cond {
    fn new(type_: &'static str, reason: &str, message: &str) -> Cond {
        Cond { type_, reason: reason.into(), message: message.into() }
    }
}

/// `newCondition`: reason and message are left out when empty.
fn condition(type_: &str, status: &str, reason: &str, message: &str, now: Time) -> Value {
    let mut c = json!({"type": type_, "status": status, "lastProbeTime": now, "lastTransitionTime": now});
    if !reason.is_empty() {
        c["reason"] = json!(reason);
    }
    if !message.is_empty() {
        c["message"] = json!(message);
    }
    c
}

fn find<'a>(conds: &'a [Value], type_: &str) -> Option<&'a Value> {
    conds.iter().find(|c| c["type"] == type_)
}

fn is_true(conds: &[Value], type_: &str) -> bool {
    find(conds, type_).is_some_and(|c| c["status"] == "True")
}

/// `ensureJobConditionStatus`: whether the list changed.
fn ensure(conds: &mut Vec<Value>, type_: &str, status: &str, reason: &str, message: &str, now: Time) -> bool {
    if let Some(c) = conds.iter_mut().find(|c| c["type"] == type_) {
        if c["status"] != status || c["reason"].as_str().unwrap_or("") != reason || c["message"].as_str().unwrap_or("") != message {
            *c = condition(type_, status, reason, message, now);
            return true;
        }
        return false;
    }
    if status != "False" {
        conds.push(condition(type_, status, reason, message, now));
        return true;
    }
    false
}

/// `util.IsJobFinished`: Complete or Failed is True.
pub fn is_finished(status: &Value) -> bool {
    status["conditions"].as_array().is_some_and(|c| is_true(c, "Complete") || is_true(c, "Failed"))
}

fn has_tracking_finalizer(p: &Pod) -> bool {
    p.metadata.finalizers.iter().any(|f| f == TRACKING_FINALIZER)
}

/// `isPodFailed`.
fn is_pod_failed(p: &Pod, spec: &Spec) -> bool {
    if p.status.phase == PodPhase::Failed {
        return true;
    }
    if spec.only_replace_failed {
        return false;
    }
    // a deleted pod counts as failed: it may never reach the Failed phase
    p.metadata.is_deleting() && p.status.phase != PodPhase::Succeeded
}

/// The pods whose controllerRef is the Job.
fn pods_of(api: &Api, job: &Generic) -> Vec<Pod> {
    let uid = &job.metadata.uid;
    api.store
        .dependents_of_kind(uid, Kind::Pod)
        .filter_map(|r| api.store.get_ref(r).and_then(|o| Pod::from_object(o)))
        .filter(|p| p.metadata.controller_ref().is_some_and(|r| &r.uid == uid))
        .cloned()
        .collect()
}

fn uid_list(v: &Value) -> Vec<String> {
    v.as_array().into_iter().flatten().filter_map(|u| u.as_str().map(String::from)).collect()
}

fn int(m: &Map<String, Value>, k: &str) -> i32 {
    m.get(k).and_then(Value::as_i64).unwrap_or(0) as i32
}

/// An `omitempty` int32 field.
fn set_int(m: &mut Map<String, Value>, k: &str, v: i32) {
    if v == 0 {
        m.remove(k);
    } else {
        m.insert(k.into(), json!(v));
    }
}

/// `controller.ActivePods`' order: the pods to delete first.
fn active_pods_less(a: &Pod, b: &Pod) -> bool {
    if a.spec.node_name.is_empty() != b.spec.node_name.is_empty() {
        return a.spec.node_name.is_empty();
    }
    let phase = |p: &Pod| match p.status.phase {
        PodPhase::Unknown => 1,
        PodPhase::Running => 2,
        _ => 0,
    };
    if phase(a) != phase(b) {
        return phase(a) < phase(b);
    }
    if is_pod_ready(a) != is_pod_ready(b) {
        return !is_pod_ready(a);
    }
    let ready_at = |p: &Pod| pod_ready_condition(p).and_then(|c| c.last_transition_time);
    if is_pod_ready(a) && is_pod_ready(b) && ready_at(a) != ready_at(b) {
        return ready_at(a) > ready_at(b);
    }
    let restarts = |p: &Pod| p.status.container_statuses.iter().map(|c| c.restart_count).max().unwrap_or(0);
    if restarts(a) != restarts(b) {
        return restarts(a) > restarts(b);
    }
    a.metadata.creation_timestamp > b.metadata.creation_timestamp
}

/// `activePodsForRemoval`: for an Indexed Job, pods past the completions
/// and all but one pod of a repeated index first; then in ActivePods order.
fn active_pods_for_removal<'p>(spec: &Spec, pods: &[&'p Pod], rm_at_least: usize) -> Vec<&'p Pod> {
    let mut rm: Vec<&Pod> = vec![];
    let mut left: Vec<&Pod> = vec![];
    if spec.indexed {
        let completions = spec.completions.unwrap_or(0);
        let mut seen = BTreeSet::new();
        let mut sorted = pods.to_vec();
        go_sort(&mut sorted, |a, b| completion_index(a).map_or(i64::MAX, i64::from) < completion_index(b).map_or(i64::MAX, i64::from));
        for p in sorted {
            match completion_index(p) {
                Some(ix) if ix < completions && seen.insert(ix) => left.push(p),
                _ => rm.push(p),
            }
        }
    } else {
        left = pods.to_vec();
    }
    if rm.len() < rm_at_least {
        go_sort(&mut left, |a, b| active_pods_less(a, b));
        let n = rm_at_least - rm.len();
        rm.extend(left.into_iter().take(n));
    }
    rm
}

/// What one sync decided about the Job's status.
struct Sync<'a> {
    job: &'a Generic,
    obj: &'a Object,
    spec: Spec<'a>,
    pods: &'a [Pod],
    status: Map<String, Value>,
    conds: Vec<Value>,
    active: i32,
    ready: i32,
    terminating: i32,
    succeeded_indexes: Intervals,
    prev_succeeded_indexes: Intervals,
    finished: Option<Cond>,
    wake: Option<Time>,
}

impl JobController {
    /// `syncJob`. Returns when to look again, if ever.
    fn sync_job(&mut self, api: &mut Api, key: &ObjRef) -> Result<Option<Time>, String> {
        let Some(obj) = api.store.get(Kind::Job, &key.key).cloned() else {
            self.backoff.remove(key);
            return Ok(None);
        };
        let Object::Generic(job) = &*obj else { return Ok(None) };
        let spec_v = job.field("spec");
        if spec_v["managedBy"].as_str().is_some_and(|m| m != "kubernetes.io/job-controller") {
            return Ok(None);
        }
        let status = job.field("status").as_object().cloned().unwrap_or_default();
        if is_finished(job.field("status")) {
            self.backoff.remove(key);
            return Ok(None);
        }
        if !matches!(spec_v["completionMode"].as_str(), None | Some("NonIndexed" | "Indexed")) {
            api.event(&obj, "Warning", "UnknownCompletionMode", "Skipped Job sync because completion mode is unknown", COMPONENT);
            return Ok(None);
        }
        let now = api.now;
        let pods = pods_of(api, job);
        let spec = Spec::of(spec_v);
        let unc = &status.get("uncountedTerminatedPods").cloned().unwrap_or(json!({}));
        let (unc_succeeded, unc_failed) = (uid_list(&unc["succeeded"]), uid_list(&unc["failed"]));
        let active_pods: Vec<&Pod> = pods.iter().filter(|p| is_pod_active(p)).collect();
        let completions = spec.completions.unwrap_or(0);
        // getNewFinishedPods: pods not counted yet
        let valid = |p: &&Pod| {
            has_tracking_finalizer(p)
                && !unc_succeeded.contains(&p.metadata.uid)
                && !unc_failed.contains(&p.metadata.uid)
                && (!spec.indexed || completion_index(p).is_some_and(|i| i < completions))
        };
        let new_succeeded: Vec<&Pod> = pods.iter().filter(valid).filter(|p| p.status.phase == PodPhase::Succeeded).collect();
        let new_failed: Vec<&Pod> = pods.iter().filter(valid).filter(|p| is_pod_failed(p, &spec)).collect();
        let mut succeeded = int(&status, "succeeded") + (new_succeeded.len() + unc_succeeded.len()) as i32;
        let counted_failures = new_failed.iter().filter(|p| pod_failure_policy::counts(spec.failure_policy, p)).count();
        let failed = int(&status, "failed") + (counted_failures + unc_failed.len()) as i32;
        let mut s = Sync {
            job,
            obj: &obj,
            conds: status.get("conditions").and_then(Value::as_array).cloned().unwrap_or_default(),
            status,
            active: active_pods.len() as i32,
            ready: active_pods.iter().filter(|p| is_pod_ready(p)).count() as i32,
            terminating: pods.iter().filter(|p| is_pod_terminating(p)).count() as i32,
            spec,
            pods: &pods,
            succeeded_indexes: Intervals::default(),
            prev_succeeded_indexes: Intervals::default(),
            finished: None,
            wake: None,
        };
        if !s.status.contains_key("startTime") && !s.spec.suspend {
            s.status.insert("startTime".into(), json!(now));
        }
        let start = s.status.get("startTime").and_then(Value::as_str).and_then(Time::parse_rfc3339);
        let record = self.backoff.get(key).map(|b| **b).unwrap_or_default().next(&new_succeeded, &new_failed, now);

        // 1. the terminal condition an earlier sync decided on
        if is_true(&s.conds, "SuccessCriteriaMet")
            && let Some(c) = find(&s.conds, "SuccessCriteriaMet")
        {
            s.finished = Some(Cond::new("SuccessCriteriaMet", c["reason"].as_str().unwrap_or(""), c["message"].as_str().unwrap_or("")));
        }
        if s.finished.is_none() {
            if is_true(&s.conds, "FailureTarget")
                && let Some(c) = find(&s.conds, "FailureTarget")
            {
                s.finished = Some(Cond::new("Failed", c["reason"].as_str().unwrap_or(""), c["message"].as_str().unwrap_or("")));
            } else if s.spec.failure_policy.is_object() {
                // getFailJobMessage
                for p in s.pods.iter().filter(|p| is_pod_failed(p, &s.spec)) {
                    if let Some(pod_failure_policy::Action::FailJob(msg)) = pod_failure_policy::match_policy(s.spec.failure_policy, p) {
                        s.finished = Some(Cond::new("FailureTarget", "PodFailurePolicy", &msg));
                        break;
                    }
                }
            }
        }
        // 2. failure: back-off limit, deadline
        if s.finished.is_none() {
            if failed > s.spec.backoff_limit || past_backoff_limit_on_failure(&s.spec, s.pods) {
                s.finished = Some(Cond::new("FailureTarget", "BackoffLimitExceeded", "Job has reached the specified backoff limit"));
            } else if let (Some(d), Some(t), false) = (s.spec.deadline, start, s.spec.suspend) {
                let at = t.plus(d.saturating_mul(SECOND));
                if now >= at {
                    s.finished = Some(Cond::new("FailureTarget", "DeadlineExceeded", "Job was active longer than specified deadline"));
                } else {
                    s.wake = Some(at);
                }
            }
        }
        // 3. success of an Indexed Job by its success policy
        if s.spec.indexed {
            s.prev_succeeded_indexes = Intervals::parse(s.status.get("completedIndexes").and_then(Value::as_str).unwrap_or(""), completions);
            let mut new: Vec<i32> = s
                .pods
                .iter()
                .filter(|p| p.status.phase == PodPhase::Succeeded && has_tracking_finalizer(p))
                .filter_map(completion_index)
                .filter(|i| *i < completions)
                .collect();
            crate::engine::sort::sort(&mut new);
            new.dedup();
            s.succeeded_indexes = s.prev_succeeded_indexes.with(&new);
            succeeded = s.succeeded_indexes.total();
            if s.finished.is_none()
                && s.spec.success_policy.is_object()
                && let Some(msg) = success_policy::match_success_policy(s.spec.success_policy, completions, &s.succeeded_indexes)
            {
                s.finished = Some(Cond::new("SuccessCriteriaMet", "SuccessPolicy", &msg));
            }
        }
        let mut manage_err = None;
        if s.finished.is_some() {
            // remove the active pods of a finished Job, keeping their finalizers
            let (deleted_ready, deleted) = delete_pods(api, &obj, &active_pods, false);
            if deleted != s.active {
                s.finished = None;
            }
            s.active -= deleted;
            s.terminating += deleted;
            s.ready -= deleted_ready;
        } else {
            let mut manage_called = false;
            if !job.metadata.is_deleting() {
                let r = self.manage_job(api, &mut s, &active_pods, succeeded, &record);
                manage_err = r.err();
                manage_called = true;
            }
            let complete = match s.spec.completions {
                None => succeeded > 0 && s.active == 0,
                Some(c) => succeeded >= c && s.active == 0,
            };
            if complete {
                s.finished = Some(Cond::new("SuccessCriteriaMet", "CompletionsReached", "Reached expected number of succeeded pods"));
            } else if manage_called {
                if s.spec.suspend {
                    if ensure(&mut s.conds, "Suspended", "True", "JobSuspended", "Job suspended", now) {
                        api.event(&obj, "Normal", "Suspended", "Job suspended", COMPONENT);
                        // MutableSchedulingDirectivesForSuspendedJobs (beta in 1.36)
                        s.status.remove("startTime");
                    }
                } else if ensure(&mut s.conds, "Suspended", "False", "JobResumed", "Job resumed", now) {
                    api.event(&obj, "Normal", "Resumed", "Job resumed", COMPONENT);
                    // activeDeadlineSeconds counts from the resumption
                    s.status.insert("startTime".into(), json!(now));
                    if let Some(d) = s.spec.deadline {
                        s.wake = Some(now.plus(d.saturating_mul(SECOND)));
                    }
                }
            }
        }
        if !new_succeeded.is_empty() || !new_failed.is_empty() {
            self.backoff.insert(key.clone(), Box::new(record));
        }
        let wake = s.wake;
        self.track_status_and_remove_finalizers(api, s, unc_succeeded, unc_failed)?;
        match manage_err {
            Some(e) => Err(e),
            None => Ok(wake),
        }
    }

    /// `manageJob`: creates or deletes pods to run `parallelism` of them,
    /// no more than the completions still needed. Sets `s.active`.
    fn manage_job(&mut self, api: &mut Api, s: &mut Sync, active_pods: &[&Pod], succeeded: i32, record: &BackoffRecord) -> Result<(), String> {
        let now = api.now;
        let active = s.active;
        if s.spec.suspend {
            let rm = active_pods_for_removal(&s.spec, active_pods, active_pods.len());
            let (removed_ready, removed) = delete_pods(api, s.obj, &rm, true);
            s.active -= removed;
            s.terminating += removed;
            s.ready -= removed_ready;
            return Ok(());
        }
        let want = match s.spec.completions {
            None if succeeded > 0 => active,
            None => s.spec.parallelism,
            Some(c) => (c - succeeded).min(s.spec.parallelism).max(0),
        };
        let rm_at_least = (active - want).max(0) as usize;
        let mut rm = active_pods_for_removal(&s.spec, active_pods, rm_at_least);
        rm.truncate(MAX_PER_SYNC);
        if !rm.is_empty() {
            let (removed_ready, removed) = delete_pods(api, s.obj, &rm, true);
            s.active -= removed;
            s.terminating += removed;
            s.ready -= removed_ready;
            return Ok(());
        }
        let terminating = if s.spec.only_replace_failed { s.terminating } else { 0 };
        let diff = want - terminating - active;
        if diff <= 0 {
            return Ok(());
        }
        let remaining = record.remaining(now);
        if remaining > 0 {
            let at = now.plus(remaining.max(SYNC_BATCH_PERIOD));
            s.wake = Some(s.wake.map_or(at, |w| w.min(at)));
            // as upstream: the sync reports no active pods while it waits
            s.active = 0;
            return Ok(());
        }
        let mut diff = (diff as usize).min(MAX_PER_SYNC);
        let mut indexes: Vec<i32> = vec![];
        if s.spec.indexed {
            let completions = s.spec.completions.unwrap_or(0);
            let mut busy: Vec<i32> = active_pods.iter().filter_map(|p| completion_index(p)).collect();
            if s.spec.only_replace_failed {
                busy.extend(s.pods.iter().filter(|p| is_pod_terminating(p)).filter_map(completion_index));
            }
            crate::engine::sort::sort(&mut busy);
            busy.dedup();
            indexes = first_pending(&s.succeeded_indexes.with(&busy), diff, completions);
            diff = indexes.len();
        }
        let Some(mut template) = crate::engine::decode::from_json::<PodTemplateSpec>(&s.job.field("spec")["template"]) else {
            return Err("the Job's pod template cannot be read".into());
        };
        if s.spec.indexed {
            for c in template.spec.init_containers.iter_mut().chain(template.spec.containers.iter_mut()) {
                if !c.env.iter().any(|e| e.name == COMPLETION_INDEX_ENV) {
                    let field_ref = json!({"apiVersion": "v1", "fieldPath": format!("metadata.annotations['{COMPLETION_INDEX}']")});
                    c.env.push(EnvVar {
                        name: COMPLETION_INDEX_ENV.into(),
                        value: None,
                        value_from: Some(EnvVarSource { field_ref: Some(field_ref), ..Default::default() }),
                    });
                }
            }
        }
        if !template.metadata.finalizers.iter().any(|f| f == TRACKING_FINALIZER) {
            template.metadata.finalizers.push(TRACKING_FINALIZER.into());
        }
        s.active += diff as i32;
        let job = s.job;
        let obj = s.obj;
        let (created, err) = slow_start_batch(diff, SLOW_START_INITIAL_BATCH_SIZE, usize::MAX, |i| {
            let mut pod = pod_from_template(&template, &job.metadata.name, new_controller_ref(&job.metadata, Kind::Job));
            pod.metadata.namespace = job.metadata.namespace.clone();
            if let Some(&ix) = indexes.get(i) {
                pod.metadata.annotations.insert(COMPLETION_INDEX.into(), ix.to_string());
                pod.metadata.labels.insert(COMPLETION_INDEX.into(), ix.to_string());
                pod.spec.hostname = format!("{}-{ix}", job.metadata.name);
                pod.metadata.generate_name = generate_name_with_index(&job.metadata.name, ix);
            }
            match api.create(Object::Pod(pod)) {
                Ok(w) => {
                    api.event(obj, "Normal", "SuccessfulCreate", &format!("Created pod: {}", w.object.meta().name), COMPONENT);
                    Ok(())
                }
                Err(e) if is_namespace_terminating(&e) => Ok(()),
                Err(e) => {
                    api.event(obj, "Warning", "FailedCreate", &format!("Error creating: {}", e.message), COMPONENT);
                    Err(e.message)
                }
            }
        });
        s.active -= (diff - created) as i32;
        match err {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// `trackJobStatusAndRemoveFinalizers`: counts the finished pods, lets
    /// them go (removes their finalizer), and writes the terminal
    /// condition once nothing is left uncounted or terminating.
    fn track_status_and_remove_finalizers(
        &mut self,
        api: &mut Api,
        mut s: Sync,
        mut unc_succeeded: Vec<String>,
        mut unc_failed: Vec<String>,
    ) -> Result<(), String> {
        let now = api.now;
        let completions = s.spec.completions.unwrap_or(0);
        let job_deleting = s.job.metadata.is_deleting();
        let success = s.finished.as_ref().is_some_and(|c| c.type_ == "SuccessCriteriaMet");
        let mut release: Vec<&Pod> = vec![];
        let mut new_indexes: Vec<i32> = vec![];
        for p in s.pods.iter().filter(|p| has_tracking_finalizer(p)) {
            let failed = is_pod_failed(p, &s.spec);
            // canRemoveFinalizer
            if !(job_deleting || s.finished.is_some() || p.status.phase == PodPhase::Succeeded || failed) {
                continue;
            }
            release.push(p);
            let uid = &p.metadata.uid;
            let ix = completion_index(p).filter(|i| *i < completions);
            if p.status.phase == PodPhase::Succeeded && !unc_failed.contains(uid) {
                if s.spec.indexed {
                    if let Some(i) = ix.filter(|i| !s.prev_succeeded_indexes.has(*i)) {
                        new_indexes.push(i);
                    }
                } else if !unc_succeeded.contains(uid) {
                    unc_succeeded.push(uid.clone());
                }
            } else if (failed || (s.finished.is_some() && !success))
                && !unc_failed.contains(uid)
                && (!s.spec.indexed || ix.is_some())
                && pod_failure_policy::counts(s.spec.failure_policy, p)
            {
                unc_failed.push(uid.clone());
            }
        }
        if s.spec.indexed {
            crate::engine::sort::sort(&mut new_indexes);
            new_indexes.dedup();
            s.succeeded_indexes = s.succeeded_indexes.with(&new_indexes);
            set_int(&mut s.status, "succeeded", s.succeeded_indexes.total());
            let text = s.succeeded_indexes.to_string();
            if text.is_empty() {
                s.status.remove("completedIndexes");
            } else {
                s.status.insert("completedIndexes".into(), json!(text));
            }
        }
        // the interim condition is written before the finalizers go
        if let Some(f) = s.finished.clone() {
            if f.type_ == "FailureTarget" {
                s.conds.push(condition("FailureTarget", "True", &f.reason, &f.message, now));
                s.finished = Some(Cond { type_: "Failed", ..f });
            } else if f.type_ == "SuccessCriteriaMet" {
                if !is_true(&s.conds, "SuccessCriteriaMet") {
                    s.conds.push(condition("SuccessCriteriaMet", "True", &f.reason, &f.message, now));
                }
                s.finished = Some(Cond { type_: "Complete", ..f });
            }
        }
        // removeTrackingFinalizerFromPods, then cleanUncountedPodsWithoutFinalizers
        let mut rm_err = None;
        let mut kept = crate::engine::sort::set_from(s.pods.iter().filter(|p| has_tracking_finalizer(p)).map(|p| p.metadata.uid.as_str()));
        for p in &release {
            match api.remove_finalizer(Kind::Pod, &ObjKey::new(&p.metadata.namespace, &p.metadata.name), TRACKING_FINALIZER) {
                Ok(()) => {
                    kept.remove(p.metadata.uid.as_str());
                }
                Err(e) if e.is_not_found() => {
                    kept.remove(p.metadata.uid.as_str());
                }
                Err(e) => {
                    rm_err.get_or_insert(e.message);
                }
            }
        }
        let before = (unc_succeeded.len(), unc_failed.len());
        unc_succeeded.retain(|u| kept.contains(u.as_str()));
        unc_failed.retain(|u| kept.contains(u.as_str()));
        if !s.spec.indexed {
            let n = int(&s.status, "succeeded") + (before.0 - unc_succeeded.len()) as i32;
            set_int(&mut s.status, "succeeded", n);
        }
        let n = int(&s.status, "failed") + (before.1 - unc_failed.len()) as i32;
        set_int(&mut s.status, "failed", n);
        let mut unc = Map::new();
        if !unc_succeeded.is_empty() {
            unc.insert("succeeded".into(), json!(unc_succeeded));
        }
        if !unc_failed.is_empty() {
            unc.insert("failed".into(), json!(unc_failed));
        }
        let nothing_uncounted = unc.is_empty();
        s.status.insert("uncountedTerminatedPods".into(), Value::Object(unc));
        set_int(&mut s.status, "active", s.active);
        s.status.insert("ready".into(), json!(s.ready));
        s.status.insert("terminating".into(), json!(s.terminating));
        // enactJobFinished
        let mut finished = None;
        if let Some(f) = s.finished.take()
            && nothing_uncounted
            && s.terminating == 0
        {
            ensure(&mut s.conds, f.type_, "True", &f.reason, &f.message, now);
            if f.type_ == "Complete" {
                s.status.insert("completionTime".into(), json!(now));
            }
            finished = Some(f);
        }
        if s.conds.is_empty() {
            s.status.remove("conditions");
        } else {
            s.status.insert("conditions".into(), Value::Array(s.conds));
        }
        let total_succeeded = int(&s.status, "succeeded");
        let status = Value::Object(s.status);
        if &status != s.job.field("status") {
            let mut g = s.job.clone();
            g.body.insert("status".into(), status);
            let written = api.update_status(Object::Generic(g)).map_err(|e| e.message)?;
            if let Some(f) = finished {
                let obj = &written.object;
                if f.type_ == "Complete" {
                    if s.spec.completions.is_some_and(|c| total_succeeded > c) {
                        api.event(obj, "Warning", "TooManySucceededPods", "Too many succeeded pods running after completion count reached", COMPONENT);
                    }
                    api.event(obj, "Normal", "Completed", "Job completed", COMPONENT);
                } else {
                    api.event(obj, "Warning", &f.reason, &f.message, COMPONENT);
                }
            }
        }
        match rm_err {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// `handleSingleOrphanPod`: a Job pod whose Job is gone or finished no
    /// longer needs the tracking finalizer.
    fn sync_orphan_pod(&self, api: &mut Api, key: &ObjRef) -> Result<(), String> {
        let Some(p) = api.store.get_t::<Pod>(&key.key.namespace, &key.key.name) else { return Ok(()) };
        if !has_tracking_finalizer(p) {
            return Ok(());
        }
        if let Some(r) = p.metadata.controller_ref() {
            if r.kind != "Job" || r.api_version != "batch/v1" {
                return Ok(());
            }
            if let Some(job) = resolve_controller_ref(api, Kind::Job, &key.key.namespace, r)
                && !generic(job).is_some_and(|g| is_finished(g.field("status")))
            {
                return Ok(());
            }
        }
        match api.remove_finalizer(Kind::Pod, &key.key, TRACKING_FINALIZER) {
            Err(e) if !e.is_not_found() => Err(e.message),
            _ => Ok(()),
        }
    }
}

/// `pastBackoffLimitOnFailure`: for restartPolicy OnFailure, the restarts
/// of the running and pending pods' containers reach the limit.
fn past_backoff_limit_on_failure(spec: &Spec, pods: &[Pod]) -> bool {
    if !spec.on_failure {
        return false;
    }
    let restarts: i32 = pods
        .iter()
        .filter(|p| matches!(p.status.phase, PodPhase::Running | PodPhase::Pending))
        .flat_map(|p| p.status.init_container_statuses.iter().chain(&p.status.container_statuses))
        .map(|c| c.restart_count)
        .sum();
    if spec.backoff_limit == 0 { restarts > 0 } else { restarts >= spec.backoff_limit }
}

/// `deleteActivePods` (finalizers kept: the pods are counted as failed
/// when the Job finishes) and `deleteJobPods` (finalizer removed first).
/// Returns how many ready pods and how many pods were deleted.
fn delete_pods(api: &mut Api, job: &Object, pods: &[&Pod], release: bool) -> (i32, i32) {
    let (mut ready, mut deleted) = (0, 0);
    for p in pods {
        let key = ObjKey::new(&p.metadata.namespace, &p.metadata.name);
        if release && api.remove_finalizer(Kind::Pod, &key, TRACKING_FINALIZER).is_err() {
            continue;
        }
        match api.delete(Kind::Pod, &key.namespace, &key.name, &DeleteOptions::default()) {
            Ok(_) => api.event(job, "Normal", "SuccessfulDelete", &format!("Deleted pod: {}", p.metadata.name), COMPONENT),
            Err(e) if e.is_not_found() => {}
            Err(e) => {
                api.event(job, "Warning", "FailedDelete", &format!("Error deleting: {}", e.message), COMPONENT);
                continue;
            }
        }
        deleted += 1;
        ready += is_pod_ready(p) as i32;
    }
    (ready, deleted)
}

impl Controller for JobController {
    fn id(&self) -> Ctl {
        Ctl::Job
    }

    fn watch(&mut self, ch: &Change, api: &Api, q: &mut WorkQueue) {
        match ch.kind {
            // addJob / updateJob / deleteJob: at once
            Kind::Job => {
                q.add(ch.obj_ref());
                // deleteJob's enqueueLabelSelector: its pods still holding
                // the finalizer are orphans now
                if let (Op::Deleted, Some(old)) = (ch.op, &ch.old) {
                    for r in api.store.dependents_of_kind(&old.meta().uid, Kind::Pod) {
                        q.add(r.clone());
                    }
                }
            }
            Kind::Pod => {
                let (old, new) = ch.typed::<Pod>();
                let mut jobs: Vec<ObjRef> = vec![];
                for p in [old, new].into_iter().flatten() {
                    if let Some(r) = p.metadata.controller_ref()
                        && let Some(j) = resolve_controller_ref(api, Kind::Job, &p.metadata.namespace, r)
                    {
                        if generic(j).is_some_and(|g| is_finished(g.field("status"))) {
                            if has_tracking_finalizer(p) && ch.op != Op::Deleted {
                                q.add(ch.obj_ref());
                            }
                            continue;
                        }
                        jobs.push(j.obj_ref());
                    } else if has_tracking_finalizer(p) && ch.op != Op::Deleted {
                        // an orphan still holding the finalizer
                        q.add(ch.obj_ref());
                    }
                }
                for j in jobs {
                    // enqueueSyncJobBatched
                    self.batched.insert(j.clone());
                    q.add(j);
                }
            }
            _ => {}
        }
    }

    fn sync(&mut self, key: &ObjRef, cx: &mut Cx) {
        if key.kind == Kind::Pod {
            if self.sync_orphan_pod(cx.api, key).is_err() {
                self.retry.retry(cx.api, Ctl::Job, key.clone());
            }
            return;
        }
        if self.batched.remove(key) {
            let at = cx.api.now.plus(SYNC_BATCH_PERIOD);
            self.wakeups.wake(cx.api, Ctl::Job, key.clone(), at);
            return;
        }
        match self.sync_job(cx.api, key) {
            Ok(wake) => {
                self.retry.forget(key);
                if let Some(at) = wake {
                    self.wakeups.wake(cx.api, Ctl::Job, key.clone(), at);
                }
            }
            Err(_) => {
                self.retry.retry(cx.api, Ctl::Job, key.clone());
            }
        }
    }
}

/// A finished Job's pods, for the TTL-after-finished controller and the
/// CronJob controller: when the Job finished, if it did.
pub fn finish_time(job: &Generic) -> Option<Time> {
    let conds = job.field("status")["conditions"].as_array()?;
    conds
        .iter()
        .filter(|c| (c["type"] == "Complete" || c["type"] == "Failed") && c["status"] == "True")
        .filter_map(|c| c["lastTransitionTime"].as_str().and_then(Time::parse_rfc3339))
        .max()
}

fn generic(o: &Object) -> Option<&Generic> {
    match o {
        Object::Generic(g) => Some(g),
        _ => None,
    }
}

#[cfg(test)]
mod tests;

/// Invariants that hold whenever the controllers have caught up: a Job
/// never counts more successes than its completions, and never runs more
/// pods (active: not terminal, not being deleted) than its parallelism.
pub fn check_invariants(api: &Api) -> Result<(), String> {
    for o in api.store.list(Kind::Job) {
        let Object::Generic(g) = &**o else { continue };
        let spec = Spec::of(g.field("spec"));
        let succeeded = g.field("status")["succeeded"].as_i64().unwrap_or(0);
        if let Some(c) = spec.completions
            && succeeded > c as i64
        {
            return Err(format!("Job {} counts {succeeded} successes for {c} completions", o.key()));
        }
        let active = pods_of(api, g).iter().filter(|p| is_pod_active(p)).count();
        if active > spec.parallelism.max(0) as usize {
            return Err(format!("Job {} runs {active} pods with parallelism {}", o.key(), spec.parallelism));
        }
    }
    Ok(())
}
