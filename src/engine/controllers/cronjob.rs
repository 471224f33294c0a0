//! The CronJob controller (pkg/controller/cronjob, cronjob_controllerv2.go
//! and utils.go): creates a Job named `<cronjob>-<minutes since epoch>` at
//! each scheduled time of the simulated clock (in the CronJob's
//! `timeZone`), honouring `suspend`, `startingDeadlineSeconds` (a start
//! missed by more is skipped, with `MissSchedule`), `concurrencyPolicy`
//! (Allow, Forbid, Replace), the history limits for finished Jobs, and
//! keeps `status.active`, `lastScheduleTime` and `lastSuccessfulTime`.
//! When the clock jumps past several schedules only the most recent one
//! runs, as upstream's `mostRecentScheduleTime` decides.

use super::controller_utils::*;
use super::job::is_finished;
use super::{Controller, Ctl, Cx, WorkQueue};
use crate::engine::api::cron::{self, Schedule, Zone};
use crate::engine::api::*;
use crate::engine::apiserver::{Api, DeleteOptions, Propagation};
use crate::engine::store::Change;
use crate::engine::time::{Millis, SECOND, Time};
use serde_json::{Value, json};

const COMPONENT: &str = "cronjob-controller";
/// `nextScheduleDelta`: wake a little after the scheduled instant.
const NEXT_SCHEDULE_DELTA: Millis = 100;
/// `batchv1.CronJobScheduledTimestampAnnotation`.
pub const SCHEDULED_TIMESTAMP: &str = "batch.kubernetes.io/cronjob-scheduled-timestamp";

#[derive(Clone)]
pub struct CronJobController {
    wakeups: Wakeups,
    retry: Backoff,
}

impl Default for CronJobController {
    fn default() -> Self {
        CronJobController { wakeups: Wakeups::default(), retry: Backoff::controller() }
    }
}

fn generic(o: &Object) -> Option<&Generic> {
    match o {
        Object::Generic(g) => Some(g),
        _ => None,
    }
}

fn time_at(v: &Value) -> Option<Time> {
    v.as_str().and_then(Time::parse_rfc3339)
}

/// The Jobs the CronJob controls (`getJobsToBeReconciled`).
fn jobs_of(api: &Api, cj: &Generic) -> Vec<Generic> {
    let uid = &cj.metadata.uid;
    api.store
        .dependents_of_kind(uid, Kind::Job)
        .filter_map(|r| api.store.get_ref(r))
        .filter_map(|o| generic(o))
        .filter(|j| j.metadata.controller_ref().is_some_and(|r| &r.uid == uid))
        .cloned()
        .collect()
}

/// The outcome of `mostRecentScheduleTime`.
struct Recent {
    earliest: Time,
    most_recent: Option<Time>,
    /// How many schedules were missed (0, a few, more than 100).
    missed: i64,
}

/// `mostRecentScheduleTime`: the latest scheduled time not after `now`
/// since the last one that ran (or the CronJob's creation).
fn most_recent_schedule_time(cj: &Generic, status: &Value, now: Time, sched: &Schedule, zone: Zone, with_deadline: bool) -> Result<Recent, String> {
    let mut earliest = time_at(&status["lastScheduleTime"]).or(cj.metadata.creation_timestamp).unwrap_or(now);
    if with_deadline && let Some(d) = cj.field("spec")["startingDeadlineSeconds"].as_i64() {
        let deadline = Time(now.0 - d.saturating_mul(SECOND));
        if deadline > earliest {
            earliest = deadline;
        }
    }
    let none = |missed| Ok(Recent { earliest, most_recent: None, missed });
    let Some(t1) = sched.next(earliest, zone) else { return none(0) };
    if now < t1 {
        return none(0);
    }
    let Some(t2) = sched.next(t1, zone) else { return Ok(Recent { earliest, most_recent: Some(t1), missed: 0 }) };
    if now < t2 {
        return Ok(Recent { earliest, most_recent: Some(t1), missed: 0 });
    }
    let between = (t2.0 - t1.0 + 500).div_euclid(SECOND);
    if between < 1 {
        return Err("time difference between two schedules is less than 1 second".into());
    }
    let missed = (now.0 - t1.0).div_euclid(SECOND) / between + 1;
    let mut most_recent = None;
    let mut t = sched.next(t1.plus((missed - 2) * between * SECOND), zone);
    while let Some(x) = t.filter(|x| *x <= now) {
        most_recent = Some(x);
        t = sched.next(x, zone);
    }
    Ok(Recent { earliest, most_recent, missed })
}

/// `nextScheduleTimeDuration`, as the instant to wake at.
fn next_wake(cj: &Generic, status: &Value, now: Time, sched: &Schedule, zone: Zone) -> Option<Time> {
    let base = match most_recent_schedule_time(cj, status, now, sched, zone, false) {
        Err(_) => now,
        Ok(Recent { most_recent: Some(t), .. }) => t,
        Ok(Recent { earliest, missed: 0, .. }) => earliest,
        Ok(_) => now,
    };
    sched.next(base, zone).map(|t| t.plus(NEXT_SCHEDULE_DELTA))
}

/// `byJobStartTime`: started before not started, then by start time, then name.
fn by_start_time(a: &Generic, b: &Generic) -> std::cmp::Ordering {
    let start = |j: &Generic| time_at(&j.field("status")["startTime"]);
    match (start(a), start(b)) {
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (Some(_), None) => std::cmp::Ordering::Less,
        (x, y) if x == y => a.metadata.name.cmp(&b.metadata.name),
        (x, y) => x.cmp(&y),
    }
}

fn job_ref(j: &Generic) -> Value {
    json!({"apiVersion": "batch/v1", "kind": "Job", "name": j.metadata.name, "namespace": j.metadata.namespace, "resourceVersion": j.metadata.resource_version, "uid": j.metadata.uid})
}

fn active_uids(status: &Value) -> Vec<String> {
    status["active"].as_array().into_iter().flatten().filter_map(|r| r["uid"].as_str().map(String::from)).collect()
}

fn remove_active(status: &mut Value, uid: &str) {
    if let Some(a) = status["active"].as_array_mut() {
        a.retain(|r| r["uid"] != uid);
        if a.is_empty() {
            status.as_object_mut().map(|m| m.remove("active"));
        }
    }
}

/// `deleteJob`: background deletion, out of the active list, an event.
fn delete_job(api: &mut Api, cj_obj: &Object, status: &mut Value, job: &Generic) -> bool {
    let opts = DeleteOptions { propagation: Some(Propagation::Background), ..Default::default() };
    if let Err(e) = api.delete(Kind::Job, &job.metadata.namespace, &job.metadata.name, &opts) {
        api.event(cj_obj, "Warning", "FailedDelete", &format!("Deleted job: {}", e.message), COMPONENT);
        return false;
    }
    remove_active(status, &job.metadata.uid);
    api.event(cj_obj, "Normal", "SuccessfulDelete", &format!("Deleted job {}", job.metadata.name), COMPONENT);
    true
}

impl CronJobController {
    /// `sync`: returns when to look again.
    fn sync_cron_job(&mut self, api: &mut Api, key: &ObjRef) -> Result<Option<Time>, String> {
        let Some(obj) = api.store.get(Kind::CronJob, &key.key).cloned() else { return Ok(None) };
        let Some(cj) = generic(&obj) else { return Ok(None) };
        let now = api.now;
        let spec = cj.field("spec");
        let jobs = jobs_of(api, cj);
        let old_status = cj.field("status").clone();
        let mut status = if old_status.is_object() { old_status.clone() } else { json!({}) };

        // cleanupFinishedJobs
        let (mut ok, mut failed): (Vec<&Generic>, Vec<&Generic>) = (vec![], vec![]);
        for j in &jobs {
            let conds = j.field("status")["conditions"].as_array().cloned().unwrap_or_default();
            let done = |t: &str| conds.iter().any(|c| c["type"] == t && c["status"] == "True");
            if done("Complete") {
                ok.push(j);
            } else if done("Failed") {
                failed.push(j);
            }
        }
        for (list, limit) in [(&mut ok, "successfulJobsHistoryLimit"), (&mut failed, "failedJobsHistoryLimit")] {
            let Some(limit) = spec[limit].as_i64() else { continue };
            let extra = list.len() as i64 - limit;
            if extra > 0 {
                crate::engine::sort::sort_by(list, |a, b| by_start_time(a, b));
                for j in list.iter().take(extra as usize) {
                    delete_job(api, &obj, &mut status, j);
                }
            }
        }

        // syncCronJob: the Jobs it sees
        let active = active_uids(&status);
        for j in &jobs {
            let found = active.contains(&j.metadata.uid);
            let finished = is_finished(j.field("status"));
            if !found && !finished {
                if api.store.get(Kind::Job, &ObjKey::new(&j.metadata.namespace, &j.metadata.name)).is_some() {
                    api.event(
                        &obj,
                        "Warning",
                        "UnexpectedJob",
                        &format!("Saw a job that the controller did not create or forgot: {}", j.metadata.name),
                        COMPONENT,
                    );
                }
            } else if finished {
                if found {
                    let cond = j.field("status")["conditions"]
                        .as_array()
                        .and_then(|c| c.iter().find(|c| (c["type"] == "Complete" || c["type"] == "Failed") && c["status"] == "True"))
                        .and_then(|c| c["type"].as_str())
                        .unwrap_or("")
                        .to_string();
                    remove_active(&mut status, &j.metadata.uid);
                    api.event(&obj, "Normal", "SawCompletedJob", &format!("Saw completed job: {}, condition: {cond}", j.metadata.name), COMPONENT);
                }
                let succeeded = j.field("status")["conditions"].as_array().is_some_and(|c| c.iter().any(|c| c["type"] == "Complete" && c["status"] == "True"));
                if succeeded
                    && let Some(done) = time_at(&j.field("status")["completionTime"])
                    && time_at(&status["lastSuccessfulTime"]).is_none_or(|t| done > t)
                {
                    status["lastSuccessfulTime"] = json!(done);
                }
            }
        }
        for uid in active_uids(&status) {
            if !jobs.iter().any(|j| j.metadata.uid == uid) {
                let name = status["active"]
                    .as_array()
                    .and_then(|a| a.iter().find(|r| r["uid"] == uid.as_str()))
                    .and_then(|r| r["name"].as_str())
                    .unwrap_or("")
                    .to_string();
                if api.store.get(Kind::Job, &ObjKey::new(&cj.metadata.namespace, &name)).is_none() {
                    api.event(&obj, "Normal", "MissingJob", &format!("Active job went missing: {name}"), COMPONENT);
                    remove_active(&mut status, &uid);
                }
            }
        }
        let wake = self.schedule(api, &obj, cj, &mut status, now);
        if status != old_status && !(status == json!({}) && old_status.is_null()) {
            let mut g = cj.clone();
            g.body.insert("status".into(), status);
            api.update_status(Object::Generic(g)).map_err(|e| e.message)?;
        }
        wake
    }

    /// The scheduling half of `syncCronJob`: starts the Job due now, if any.
    fn schedule(&mut self, api: &mut Api, obj: &Object, cj: &Generic, status: &mut Value, now: Time) -> Result<Option<Time>, String> {
        let spec = cj.field("spec");
        if cj.metadata.is_deleting() {
            return Ok(None);
        }
        let zone = match spec["timeZone"].as_str() {
            None => Zone::UTC,
            Some(name) => match cron::zone(name) {
                Some(z) => z,
                None => {
                    api.event(obj, "Warning", "UnknownTimeZone", &format!("invalid timeZone: {name:?}: unknown time zone {name}"), COMPONENT);
                    return Ok(None);
                }
            },
        };
        if spec["suspend"] == true {
            return Ok(None);
        }
        let text = spec["schedule"].as_str().unwrap_or("");
        if text.contains("TZ") {
            let msg = format!(
                "CRON_TZ or TZ used in schedule {text:?} is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details"
            );
            api.event(obj, "Warning", "UnsupportedSchedule", &msg, COMPONENT);
        }
        let sched = match cron::parse(text) {
            Ok(s) => s,
            Err(e) => {
                api.event(obj, "Warning", "UnparseableSchedule", &format!("unparseable schedule: {text:?} : {e}"), COMPONENT);
                return Ok(None);
            }
        };
        // nextScheduleTime
        let recent = match most_recent_schedule_time(cj, status, now, &sched, zone, true) {
            Ok(r) => r,
            Err(e) => {
                api.event(obj, "Warning", "InvalidSchedule", &format!("invalid schedule: {text} : {e}"), COMPONENT);
                return Ok(None);
            }
        };
        let Some(scheduled) = recent.most_recent.filter(|t| *t <= now) else {
            return Ok(next_wake(cj, status, now, &sched, zone));
        };
        if recent.missed > 100 {
            api.event(
                obj,
                "Warning",
                "TooManyMissedTimes",
                "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew",
                COMPONENT,
            );
        }
        if let Some(d) = spec["startingDeadlineSeconds"].as_i64()
            && scheduled.plus(d.saturating_mul(SECOND)) < now
        {
            api.event(obj, "Warning", "MissSchedule", &format!("Missed scheduled time to start a job: {}", scheduled.rfc1123z()), COMPONENT);
            return Ok(next_wake(cj, status, now, &sched, zone));
        }
        let name = format!("{}-{}", cj.metadata.name, scheduled.0.div_euclid(60 * SECOND));
        let in_active = status["active"].as_array().is_some_and(|a| a.iter().any(|r| r["name"] == name.as_str()));
        if in_active || time_at(&status["lastScheduleTime"]) == Some(scheduled) {
            return Ok(next_wake(cj, status, now, &sched, zone));
        }
        let policy = spec["concurrencyPolicy"].as_str().unwrap_or("Allow");
        let has_active = status["active"].as_array().is_some_and(|a| !a.is_empty());
        if policy == "Forbid" && has_active {
            api.event(obj, "Normal", "JobAlreadyActive", "Not starting job because prior execution is running and concurrency policy is Forbid", COMPONENT);
            return Ok(next_wake(cj, status, now, &sched, zone));
        }
        if policy == "Replace" {
            let refs: Vec<Value> = status["active"].as_array().cloned().unwrap_or_default();
            for r in refs {
                let (ns, n) = (r["namespace"].as_str().unwrap_or(""), r["name"].as_str().unwrap_or(""));
                let Some(job) = api.store.get(Kind::Job, &ObjKey::new(ns, n)).and_then(|o| generic(o)).cloned() else {
                    let e = crate::engine::apiserver::ApiError::not_found(Kind::Job, n);
                    api.event(obj, "Warning", "FailedGet", &format!("Get job: {}", e.message), COMPONENT);
                    return Err(e.message);
                };
                if !delete_job(api, obj, status, &job) {
                    return Err(format!("could not replace job {ns}/{n}"));
                }
            }
        }
        // getJobFromTemplate2
        let tmpl = &spec["jobTemplate"];
        let mut meta = ObjectMeta::named(&cj.metadata.namespace, &name);
        meta.labels = crate::engine::decode::from_json(&tmpl["metadata"]["labels"]).unwrap_or_default();
        meta.annotations = crate::engine::decode::from_json(&tmpl["metadata"]["annotations"]).unwrap_or_default();
        let secs = scheduled.0.div_euclid(1000);
        let local = Time((secs + zone.offset(secs)) * 1000);
        let stamp = match zone.offset(secs) {
            0 => local.rfc3339(),
            off => format!("{}{}{:02}:{:02}", &local.rfc3339()[..19], if off < 0 { '-' } else { '+' }, off.abs() / 3600, off.abs() % 3600 / 60),
        };
        meta.annotations.insert(SCHEDULED_TIMESTAMP.into(), stamp);
        meta.owner_references.push(new_controller_ref(&cj.metadata, Kind::CronJob));
        let mut body = serde_json::Map::new();
        body.insert("spec".into(), tmpl["spec"].clone());
        let job = Generic { kind: Kind::Job, api_version: "batch/v1".into(), metadata: meta, body };
        let created = match api.create(Object::Generic(job)) {
            Ok(w) => {
                api.event(obj, "Normal", "SuccessfulCreate", &format!("Created job {name}"), COMPONENT);
                w.object
            }
            Err(e) if is_namespace_terminating(&e) => return Err(e.message),
            Err(e) if e.reason == crate::engine::apiserver::Reason::AlreadyExists => {
                let Some(existing) = api.store.get(Kind::Job, &ObjKey::new(&cj.metadata.namespace, &name)).cloned() else { return Err(e.message) };
                if existing.meta().controller_ref().is_none_or(|r| r.uid != cj.metadata.uid) || active_uids(status).contains(&existing.meta().uid) {
                    return Ok(None);
                }
                existing
            }
            Err(e) => {
                api.event(obj, "Warning", "FailedCreate", &format!("Error creating job: {}", e.message), COMPONENT);
                return Err(e.message);
            }
        };
        let Some(j) = generic(&created) else { return Ok(None) };
        match status["active"].as_array_mut() {
            Some(a) => a.push(job_ref(j)),
            None => status["active"] = json!([job_ref(j)]),
        }
        status["lastScheduleTime"] = json!(scheduled);
        Ok(next_wake(cj, status, now, &sched, zone))
    }
}

impl Controller for CronJobController {
    fn id(&self) -> Ctl {
        Ctl::CronJob
    }

    fn watch(&mut self, ch: &Change, api: &Api, q: &mut WorkQueue) {
        match ch.kind {
            Kind::CronJob => q.add(ch.obj_ref()),
            // addJob / updateJob / deleteJob: the controlling CronJob
            Kind::Job => {
                for o in [ch.old.as_deref(), ch.new.as_deref()].into_iter().flatten() {
                    let m = o.meta();
                    if let Some(r) = m.controller_ref()
                        && let Some(cj) = resolve_controller_ref(api, Kind::CronJob, &m.namespace, r)
                    {
                        q.add(cj.obj_ref());
                    }
                }
            }
            _ => {}
        }
    }

    fn sync(&mut self, key: &ObjRef, cx: &mut Cx) {
        match self.sync_cron_job(cx.api, key) {
            Ok(wake) => {
                self.retry.forget(key);
                if let Some(at) = wake {
                    // the next schedule is not work `settle` waits for: a
                    // CronJob always has one
                    self.wakeups.wake_idle(cx.api, Ctl::CronJob, key.clone(), at);
                }
            }
            Err(_) => {
                self.retry.retry(cx.api, Ctl::CronJob, key.clone());
            }
        }
    }
}
