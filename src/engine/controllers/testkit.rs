//! A small harness for the workload controllers' unit tests: an API server
//! with the default namespaces and only the controllers under test, run
//! with the same dispatch rules as `Cluster` (one key per controller per
//! turn, timers fire as time advances). No scheduler or kubelet: tests move
//! pods along themselves.

use crate::engine::api::*;
use crate::engine::apiserver::{Api, DeleteOptions};
use crate::engine::controllers::{Controller, Cx, WorkQueue};
use crate::engine::time::{EPOCH, Millis, Time};
use crate::engine::world::World;
use std::rc::Rc;

pub struct Harness {
    pub api: Api,
    pub world: World,
    /// Nothing runs in containers here (no kubelet), but `Cx` lends one.
    runtime: crate::engine::programs::Runtime,
    ctls: Vec<Box<dyn Controller>>,
    queues: Vec<WorkQueue>,
    pub syncs: usize,
    /// Time spent inside controllers' sync and watch (perf tests).
    pub busy: std::time::Duration,
}

impl Harness {
    pub fn new(mut ctls: Vec<Box<dyn Controller>>) -> Harness {
        crate::engine::sort::sort_by_key(&mut ctls, |c| c.id());
        let mut h = Harness {
            api: Api::new(7, Time(EPOCH), Default::default()),
            world: World::default(),
            runtime: Default::default(),
            queues: vec![WorkQueue::default(); ctls.len()],
            ctls,
            syncs: 0,
            busy: Default::default(),
        };
        for ns in ["default", "kube-system"] {
            let n = Namespace { metadata: ObjectMeta::named("", ns), ..Default::default() };
            h.api.create(Object::Namespace(n)).unwrap();
        }
        h.run();
        h
    }

    /// Runs controllers until no queue has work at this instant.
    pub fn run(&mut self) {
        self.dispatch();
        loop {
            let mut progressed = false;
            for i in 0..self.ctls.len() {
                let Some(key) = self.queues[i].pop() else { continue };
                progressed = true;
                self.syncs += 1;
                assert!(self.syncs < 1_000_000, "controllers do not converge");
                let mut cx = Cx { api: &mut self.api, world: &mut self.world, rt: &mut self.runtime };
                let t = std::time::Instant::now();
                self.ctls[i].sync(&key, &mut cx);
                self.busy += t.elapsed();
                self.dispatch();
            }
            if !progressed {
                break;
            }
        }
    }

    fn dispatch(&mut self) {
        let t = std::time::Instant::now();
        for ch in self.api.store.drain_changes() {
            for (i, c) in self.ctls.iter_mut().enumerate() {
                c.watch(&ch, &self.api, &mut self.queues[i]);
            }
        }
        self.busy += t.elapsed();
    }

    /// Lets time pass, firing due timers.
    pub fn advance(&mut self, ms: Millis) {
        let target = self.api.now.0 + ms;
        while let Some(at) = self.api.timers.next_at() {
            if at > target {
                break;
            }
            self.api.now = Time(at.max(self.api.now.0));
            for (ctl, key, _) in self.api.timers.pop_due(self.api.now.0) {
                if let Some(i) = self.ctls.iter().position(|c| c.id() == ctl) {
                    self.queues[i].add(key);
                }
            }
            self.run();
        }
        self.api.now = Time(target);
    }

    pub fn create(&mut self, obj: Object) -> Rc<Object> {
        let o = self.api.create(obj).unwrap_or_else(|e| panic!("create: {e}")).object;
        self.run();
        o
    }

    pub fn update(&mut self, obj: Object) -> Rc<Object> {
        let o = self.api.update(obj).unwrap_or_else(|e| panic!("update: {e}")).object;
        self.run();
        o
    }

    pub fn delete(&mut self, kind: Kind, ns: &str, name: &str, opts: DeleteOptions) {
        self.api.delete(kind, ns, name, &opts).unwrap_or_else(|e| panic!("delete: {e}"));
        self.run();
    }

    pub fn pod(&self, ns: &str, name: &str) -> Option<Pod> {
        self.api.get_t::<Pod>(ns, name).cloned()
    }

    pub fn pods(&self, ns: &str) -> Vec<Pod> {
        self.api.store.list_ns_t::<Pod>(ns).cloned().collect()
    }

    pub fn pod_names(&self, ns: &str) -> Vec<String> {
        self.api.store.list_ns_t::<Pod>(ns).map(|p| p.metadata.name.clone()).collect()
    }

    /// Binds a pod to a node (so its deletion is graceful, as on a real node).
    pub fn bind(&mut self, ns: &str, name: &str, node: &str) {
        let mut p = self.pod(ns, name).expect("pod exists");
        p.spec.node_name = node.into();
        self.update(Object::Pod(p));
    }

    /// Marks a pod Running and Ready now, as a kubelet would report it.
    pub fn ready(&mut self, ns: &str, name: &str) {
        let mut p = self.pod(ns, name).expect("pod exists");
        set_running_ready(&mut p, self.api.now, true);
        self.api.update_status(Object::Pod(p)).unwrap();
        self.run();
    }

    pub fn set_phase(&mut self, ns: &str, name: &str, phase: PodPhase) {
        let mut p = self.pod(ns, name).expect("pod exists");
        if phase != PodPhase::Running {
            p.status.conditions.retain(|c| c.type_ != ConditionType::Ready);
        }
        p.status.phase = phase;
        self.api.update_status(Object::Pod(p)).unwrap();
        self.run();
    }

    /// The kubelet's confirmation that a gracefully deleted pod stopped.
    pub fn finish_deletion(&mut self, ns: &str, name: &str) {
        self.api.finish_pod_deletion(&ObjKey::new(ns, name));
        self.run();
    }

    /// (reason, message) of events about one object, oldest first.
    pub fn events(&self, kind: Kind, ns: &str, name: &str) -> Vec<(String, String)> {
        self.api.events_for(kind, ns, name, "").into_iter().map(|e| (e.reason.clone(), e.message.clone())).collect()
    }
}

pub fn set_running_ready(p: &mut Pod, now: Time, ready: bool) {
    p.status.phase = PodPhase::Running;
    let status = ConditionStatus::of(ready);
    let cur = get_condition(&p.status.conditions, &ConditionType::Ready)
        .cloned()
        .unwrap_or_else(|| PodCondition { type_: ConditionType::Ready, ..Default::default() });
    set_condition(&mut p.status.conditions, PodCondition { status, last_transition_time: Some(now), ..cur });
}

pub fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

pub fn template(app: &str, image: &str) -> PodTemplateSpec {
    PodTemplateSpec {
        metadata: ObjectMeta { labels: labels(&[("app", app)]), ..Default::default() },
        spec: PodSpec { containers: vec![Container { name: "main".into(), image: image.into(), ..Default::default() }], ..Default::default() },
    }
}

pub fn selector(app: &str) -> Option<LabelSelector> {
    Some(LabelSelector { match_labels: labels(&[("app", app)]), ..Default::default() })
}

/// Rough timings of the workload controllers under pod churn (run with
/// `cargo test --release --lib perf_ -- --ignored --nocapture`).
#[cfg(test)]
mod perf {
    use super::*;
    use crate::engine::controllers::{deployment::DeploymentController, replicaset::ReplicaSetController, statefulset::StatefulSetController};
    use std::time::Instant;

    const PERF_N: i32 = 1000;

    fn churn(h: &mut Harness, ns: &str) {
        let names = h.pod_names(ns);
        for (i, n) in names.iter().enumerate() {
            h.bind(ns, n, &format!("node-{}", i % 100));
        }
        for n in &names {
            h.set_phase(ns, n, PodPhase::Running);
        }
        for n in &names {
            h.ready(ns, n);
        }
    }

    #[test]
    #[ignore]
    fn perf_statefulset_and_deployment_1000() {
        let mut h = Harness::new(vec![
            Box::new(StatefulSetController::default()),
            Box::new(DeploymentController::default()),
            Box::new(ReplicaSetController::default()),
        ]);
        let mut s = StatefulSet { metadata: ObjectMeta::named("default", "web"), ..Default::default() };
        s.spec.replicas = Some(PERF_N);
        s.spec.pod_management_policy = PodManagementPolicyType::Parallel;
        s.spec.selector = selector("web");
        s.spec.template = template("web", "nginx");
        let t = Instant::now();
        h.create(Object::StatefulSet(s));
        churn(&mut h, "default");
        println!("statefulset {PERF_N}: {:?}, {} syncs, {:?} in controllers", t.elapsed(), h.syncs, h.busy);
        h.create(Object::Namespace(Namespace { metadata: ObjectMeta::named("", "d"), ..Default::default() }));
        let mut d = Deployment { metadata: ObjectMeta::named("d", "api"), ..Default::default() };
        d.spec.replicas = Some(PERF_N);
        d.spec.selector = selector("api");
        d.spec.template = template("api", "nginx");
        let t = Instant::now();
        let before = h.syncs;
        let busy = h.busy;
        h.create(Object::Deployment(d));
        churn(&mut h, "d");
        println!("deployment {PERF_N}: {:?}, {} syncs, {:?} in controllers", t.elapsed(), h.syncs - before, h.busy - busy);
        let t = Instant::now();
        let before = h.syncs;
        let busy = h.busy;
        for _ in 0..20 {
            let victim = h.pod_names("d")[0].clone();
            h.delete(Kind::Pod, "d", &victim, crate::engine::apiserver::DeleteOptions { grace_period: Some(0), ..Default::default() });
        }
        println!("20 replacements among {PERF_N}: {:?}, {} syncs, {:?} in controllers", t.elapsed(), h.syncs - before, h.busy - busy);
    }
}
