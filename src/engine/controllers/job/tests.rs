use super::*;
use crate::engine::controllers::testkit::*;
use crate::engine::time::SECOND;

fn harness() -> Harness {
    Harness::new(vec![Box::new(JobController::default())])
}

fn job(name: &str, spec: Value) -> Object {
    let mut s = json!({"template": {"spec": {"containers": [{"name": "c", "image": "busybox"}], "restartPolicy": "Never"}}});
    for (k, v) in spec.as_object().unwrap() {
        s[k] = v.clone();
    }
    let v = json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name, "namespace": "default"}, "spec": s});
    Object::from_value(Kind::Job, &v).unwrap().0
}

fn status(h: &Harness, name: &str) -> Value {
    match &**h.api.store.get(Kind::Job, &ObjKey::new("default", name)).unwrap() {
        Object::Generic(g) => g.field("status").clone(),
        _ => unreachable!(),
    }
}

fn conditions(h: &Harness, name: &str) -> Vec<String> {
    let s = status(h, name);
    s["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| format!("{}={}:{}", c["type"].as_str().unwrap(), c["status"].as_str().unwrap(), c["reason"].as_str().unwrap_or("")))
        .collect()
}

fn live(h: &Harness) -> Vec<Pod> {
    h.pods("default").into_iter().filter(is_pod_active).collect()
}

/// Finishes a pod as the kubelet reports it: phase and a terminated container.
fn finish(h: &mut Harness, name: &str, code: i32) {
    let mut p = h.pod("default", name).unwrap();
    p.status.phase = if code == 0 { PodPhase::Succeeded } else { PodPhase::Failed };
    p.status.container_statuses = vec![ContainerStatus {
        name: "c".into(),
        state: ContainerState {
            terminated: Some(ContainerStateTerminated { exit_code: code, finished_at: Some(h.api.now), ..Default::default() }),
            ..Default::default()
        },
        ..Default::default()
    }];
    h.api.update_status(Object::Pod(p)).unwrap();
    h.run();
}

#[test]
fn runs_parallelism_pods_until_completions_succeed() {
    let mut h = harness();
    h.create(job("pi", json!({"completions": 3, "parallelism": 2})));
    let pods = live(&h);
    assert_eq!(pods.len(), 2);
    for p in &pods {
        assert_eq!(p.metadata.finalizers, vec![TRACKING_FINALIZER.to_string()]);
        assert_eq!(p.metadata.labels["batch.kubernetes.io/job-name"], "pi");
        assert_eq!(p.metadata.controller_ref().unwrap().kind, "Job");
        assert!(p.metadata.name.starts_with("pi-"));
    }
    assert_eq!(status(&h, "pi")["active"], 2);
    assert_eq!(status(&h, "pi")["uncountedTerminatedPods"], json!({}));
    finish(&mut h, &pods[0].metadata.name, 0);
    // pod events reach the Job after the batch period
    assert_eq!(live(&h).len(), 1);
    h.advance(SECOND);
    assert_eq!(status(&h, "pi")["succeeded"], 1);
    assert!(h.pod("default", &pods[0].metadata.name).unwrap().metadata.finalizers.is_empty(), "counted pods are let go");
    assert_eq!(live(&h).len(), 2, "a replacement for the completion still needed");
    for p in live(&h) {
        finish(&mut h, &p.metadata.name, 0);
    }
    h.advance(SECOND);
    let s = status(&h, "pi");
    assert_eq!(s["succeeded"], 3);
    assert!(s.get("active").is_none());
    assert_eq!(conditions(&h, "pi"), ["SuccessCriteriaMet=True:CompletionsReached", "Complete=True:CompletionsReached"]);
    assert_eq!(s["completionTime"], json!(h.api.now));
    let events = h.events(Kind::Job, "default", "pi");
    assert_eq!(events.iter().filter(|e| e.0 == "SuccessfulCreate").count(), 3);
    assert_eq!(events.last().unwrap(), &("Completed".to_string(), "Job completed".to_string()));
}

#[test]
fn failed_pods_are_replaced_after_a_doubling_back_off_until_the_limit() {
    let mut h = harness();
    h.create(job("flaky", json!({"backoffLimit": 1})));
    let first = live(&h)[0].metadata.name.clone();
    finish(&mut h, &first, 1);
    h.advance(SECOND);
    assert_eq!(status(&h, "flaky")["failed"], 1);
    assert!(live(&h).is_empty(), "no new pod during the back-off");
    h.advance(8 * SECOND);
    assert!(live(&h).is_empty());
    h.advance(SECOND);
    let second = live(&h);
    assert_eq!(second.len(), 1, "10s after the failure");
    finish(&mut h, &second[0].metadata.name, 2);
    h.advance(SECOND);
    assert_eq!(status(&h, "flaky")["failed"], 2);
    assert_eq!(conditions(&h, "flaky"), ["FailureTarget=True:BackoffLimitExceeded", "Failed=True:BackoffLimitExceeded"]);
    assert!(status(&h, "flaky").get("completionTime").is_none());
    assert_eq!(h.events(Kind::Job, "default", "flaky").last().unwrap().0, "BackoffLimitExceeded");
    h.advance(60 * SECOND);
    assert!(live(&h).is_empty(), "a failed Job starts nothing");
}

#[test]
fn indexed_jobs_give_each_pod_its_index() {
    let mut h = harness();
    h.create(job("idx", json!({"completions": 4, "parallelism": 2, "completionMode": "Indexed"})));
    let mut pods = live(&h);
    crate::engine::sort::sort_by_key(&mut pods, |p| p.metadata.name.clone());
    let ixs: Vec<&str> = pods.iter().map(|p| p.metadata.annotations[indexed_job_utils::COMPLETION_INDEX].as_str()).collect();
    assert_eq!(ixs, ["0", "1"]);
    let p1 = &pods[1];
    assert!(p1.metadata.name.starts_with("idx-1-"));
    assert_eq!(p1.spec.hostname, "idx-1");
    assert_eq!(p1.metadata.labels[indexed_job_utils::COMPLETION_INDEX], "1");
    let env = &p1.spec.containers[0].env[0];
    assert_eq!(env.name, "JOB_COMPLETION_INDEX");
    assert_eq!(env.value_from.as_ref().unwrap().field_ref.as_ref().unwrap()["fieldPath"], "metadata.annotations['batch.kubernetes.io/job-completion-index']");
    finish(&mut h, &p1.metadata.name, 0);
    h.advance(SECOND);
    assert_eq!(status(&h, "idx")["completedIndexes"], "1");
    let mut next: Vec<String> = live(&h).iter().map(|p| p.metadata.annotations[indexed_job_utils::COMPLETION_INDEX].clone()).collect();
    crate::engine::sort::sort(&mut next);
    assert_eq!(next, ["0", "2"], "the lowest pending index");
}

#[test]
fn suspending_deletes_the_pods_and_resuming_starts_them_again() {
    let mut h = harness();
    h.create(job("s", json!({"parallelism": 2, "completions": 2})));
    assert_eq!(live(&h).len(), 2);
    let mut g = match &*h.api.store.get(Kind::Job, &ObjKey::new("default", "s")).unwrap().clone() {
        Object::Generic(g) => g.clone(),
        _ => unreachable!(),
    };
    g.body.get_mut("spec").unwrap()["suspend"] = json!(true);
    h.update(Object::Generic(g.clone()));
    assert!(live(&h).is_empty());
    assert_eq!(conditions(&h, "s"), ["Suspended=True:JobSuspended"]);
    assert!(status(&h, "s").get("startTime").is_none());
    g.body.get_mut("spec").unwrap()["suspend"] = json!(false);
    h.update(Object::Generic(g));
    assert_eq!(live(&h).len(), 2);
    assert_eq!(conditions(&h, "s"), ["Suspended=False:JobResumed"]);
    let reasons: Vec<String> = h.events(Kind::Job, "default", "s").into_iter().map(|e| e.0).collect();
    assert!(reasons.contains(&"Suspended".to_string()) && reasons.contains(&"Resumed".to_string()));
}

#[test]
fn the_active_deadline_fails_the_job_and_counts_its_pods_as_failed() {
    let mut h = harness();
    h.create(job("slow", json!({"activeDeadlineSeconds": 30})));
    let pod = live(&h)[0].metadata.name.clone();
    h.bind("default", &pod, "node-a");
    h.advance(30 * SECOND);
    assert_eq!(conditions(&h, "slow"), ["FailureTarget=True:DeadlineExceeded"], "Failed waits for the pod to terminate");
    assert_eq!(status(&h, "slow")["terminating"], 1);
    assert_eq!(status(&h, "slow")["failed"], 1);
    h.finish_deletion("default", &pod);
    h.advance(SECOND);
    assert_eq!(conditions(&h, "slow"), ["FailureTarget=True:DeadlineExceeded", "Failed=True:DeadlineExceeded"]);
    assert!(h.pod("default", &pod).is_none(), "its finalizer was removed, so it is gone");
}

#[test]
fn a_pod_failure_policy_can_fail_the_job_or_ignore_a_failure() {
    let mut h = harness();
    let policy = json!({"rules": [
        {"action": "FailJob", "onExitCodes": {"operator": "In", "values": [42]}},
        {"action": "Ignore", "onExitCodes": {"operator": "In", "values": [3]}}]});
    h.create(job("p", json!({"podFailurePolicy": policy, "backoffLimit": 0})));
    let first = live(&h)[0].metadata.name.clone();
    finish(&mut h, &first, 3);
    h.advance(SECOND);
    assert!(status(&h, "p").get("failed").is_none(), "an ignored failure is not counted");
    assert!(live(&h).is_empty(), "but it still backs off");
    h.advance(9 * SECOND);
    assert_eq!(live(&h).len(), 1);
    let second = live(&h)[0].metadata.name.clone();
    finish(&mut h, &second, 42);
    h.advance(SECOND);
    assert_eq!(conditions(&h, "p"), ["FailureTarget=True:PodFailurePolicy", "Failed=True:PodFailurePolicy"]);
    let msg = status(&h, "p")["conditions"][1]["message"].as_str().unwrap().to_string();
    assert_eq!(msg, format!("Container c for pod default/{second} failed with exit code 42 matching FailJob rule at index 0"));
}

#[test]
fn pods_of_a_deleted_job_lose_the_tracking_finalizer() {
    let mut h = harness();
    h.create(job("gone", json!({})));
    let pod = live(&h)[0].metadata.name.clone();
    h.delete(Kind::Job, "default", "gone", DeleteOptions::default());
    assert!(h.pod("default", &pod).unwrap().metadata.finalizers.is_empty());
}
