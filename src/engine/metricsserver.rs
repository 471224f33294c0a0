//! The metrics-server add-on (kubernetes-sigs/metrics-server), installed
//! with `cluster addon install metrics-server`: its Deployment, Service and
//! ServiceAccount in kube-system, as its release manifest has them (with
//! `--kubelet-insecure-tls`, which a kind cluster needs), and the loop its
//! pod runs: every `--metric-resolution` (15 s) from its start, it scrapes
//! each running kubelet's resource metrics (the container runtime's stats,
//! [`crate::engine::cri::ContainerRuntime::stats`]) and keeps the latest
//! PodMetrics and NodeMetrics for the resource metrics API
//! ([`crate::engine::apiserver::metrics`]).
//!
//! CPU usage is a rate between two scrapes, so a pod has metrics from the
//! second scrape that saw all its containers; a node's usage is its pods'
//! plus what the node's own daemons (kubelet, containerd) use.
//!
//! Invariant: the metrics API holds data only while a metrics-server pod
//! runs; its state starts over when that pod is replaced.

use crate::engine::api::*;
use crate::engine::apiserver::metrics::{MetricsApi, NodeMetrics, PodMetrics, SERVER_LABEL};
use crate::engine::apiserver::{Api, Ctl};
use crate::engine::control::{Controller, Cx, WorkQueue};
use crate::engine::store::Change;
use crate::engine::time::{Millis, SECOND, Time};

/// `--metric-resolution`.
pub const RESOLUTION: Millis = 15 * SECOND;
/// A node's own daemons: (millicores, bytes).
const NODE_BASE: (u64, u64) = (38, 412 << 20);

#[derive(Clone, Default)]
pub struct MetricsServer {
    /// The pod whose process scrapes (its uid), and when it scrapes next.
    pod: String,
    next: Option<Time>,
    /// The containers the previous scrape saw: (pod uid, container).
    seen: Vec<(String, String)>,
}

fn is_server(p: &Pod) -> bool {
    p.metadata.namespace == "kube-system" && p.metadata.labels.get(SERVER_LABEL.0).is_some_and(|v| v == SERVER_LABEL.1)
}

/// The serving metrics-server pod: running, its container started.
fn running_server(api: &Api) -> Option<&Pod> {
    api.store
        .list_ns_t::<Pod>("kube-system")
        .find(|p| is_server(p) && p.metadata.deletion_timestamp.is_none() && p.status.container_statuses.iter().any(|c| c.state.running.is_some()))
}

impl Controller for MetricsServer {
    fn id(&self) -> Ctl {
        Ctl::MetricsServer
    }

    fn watch(&mut self, ch: &Change, _api: &Api, q: &mut WorkQueue) {
        if ch.kind == Kind::Pod && [ch.old.as_deref(), ch.new.as_deref()].into_iter().flatten().any(|o| o.as_::<Pod>().is_some_and(is_server)) {
            q.add(ObjRef::new(Kind::Pod, "kube-system", "metrics-server"));
        }
    }

    fn sync(&mut self, key: &ObjRef, cx: &mut Cx) {
        let now = cx.api.now;
        let Some(uid) = running_server(cx.api).map(|p| p.metadata.uid.clone()) else {
            // no process: nothing scrapes, nothing is served
            *self = MetricsServer::default();
            cx.api.metrics = MetricsApi::default();
            return;
        };
        if uid != self.pod {
            *self = MetricsServer { pod: uid, ..Default::default() };
            cx.api.metrics = MetricsApi::default();
        }
        if self.next.is_some_and(|t| t > now) {
            return;
        }
        self.scrape(cx);
        let at = now.plus(RESOLUTION);
        self.next = Some(at);
        cx.api.wake_idle_at(at, Ctl::MetricsServer, key.clone());
    }
}

impl MetricsServer {
    fn scrape(&mut self, cx: &mut Cx) {
        let now = cx.api.now;
        let stats = cx.rt.stats(cx.api, cx.world);
        let mut pods: Vec<PodMetrics> = vec![];
        let mut nodes: Vec<NodeMetrics> = vec![];
        let seen: Vec<(String, String)> = stats.iter().map(|s| (s.pod_uid.clone(), s.container.clone())).collect();
        for s in &stats {
            let Some(Object::Pod(pod)) = cx.api.store.by_uid(&s.pod_uid).map(|o| &**o) else { continue };
            if !cx.world.is_powered(&pod.spec.node_name) {
                continue;
            }
            let node = match nodes.iter_mut().find(|n| n.name == pod.spec.node_name) {
                Some(n) => n,
                None => {
                    nodes.push(NodeMetrics {
                        name: pod.spec.node_name.clone(),
                        timestamp: now,
                        window: RESOLUTION,
                        cpu_milli: NODE_BASE.0,
                        memory: NODE_BASE.1,
                    });
                    nodes.last_mut().expect("pushed")
                }
            };
            node.cpu_milli += s.cpu_milli;
            node.memory += s.memory;
            // a rate needs the previous scrape's counter too
            if self.seen.binary_search(&(s.pod_uid.clone(), s.container.clone())).is_err() {
                continue;
            }
            let c = (s.container.clone(), s.cpu_milli, s.memory);
            match pods.last_mut() {
                Some(m) if m.name == pod.metadata.name && m.namespace == pod.metadata.namespace => m.containers.push(c),
                _ => pods.push(PodMetrics {
                    namespace: pod.metadata.namespace.clone(),
                    name: pod.metadata.name.clone(),
                    timestamp: now,
                    window: RESOLUTION,
                    containers: vec![c],
                }),
            }
        }
        // a pod whose containers are not all measured yet is left out
        pods.retain(|m| {
            cx.api.get_t::<Pod>(&m.namespace, &m.name).is_some_and(|p| p.spec.containers.iter().all(|c| m.containers.iter().any(|x| x.0 == c.name)))
        });
        // nodes whose kubelet answers, with no pods, still report their daemons
        for (name, m) in &cx.world.machines {
            if m.powered && !nodes.iter().any(|n| &n.name == name) {
                nodes.push(NodeMetrics { name: name.clone(), timestamp: now, window: RESOLUTION, cpu_milli: NODE_BASE.0, memory: NODE_BASE.1 });
            }
        }
        crate::engine::sort::sort_by(&mut pods, |a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        crate::engine::sort::sort_by(&mut nodes, |a, b| a.name.cmp(&b.name));
        self.seen = seen;
        crate::engine::sort::sort(&mut self.seen);
        cx.api.metrics = MetricsApi { pods, nodes };
    }
}

/// The add-on's objects, as its release manifest (v0.8.0) has them
/// (installed by [`crate::engine::addons`]).
pub const MANIFEST: &str = r#"[
{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"labels":{"k8s-app":"metrics-server"},"name":"metrics-server","namespace":"kube-system"}},
{"apiVersion":"v1","kind":"Service","metadata":{"labels":{"k8s-app":"metrics-server"},"name":"metrics-server","namespace":"kube-system"},
 "spec":{"ports":[{"name":"https","port":443,"protocol":"TCP","targetPort":"https"}],"selector":{"k8s-app":"metrics-server"}}},
{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"labels":{"k8s-app":"metrics-server"},"name":"metrics-server","namespace":"kube-system"},
 "spec":{"selector":{"matchLabels":{"k8s-app":"metrics-server"}},"strategy":{"rollingUpdate":{"maxUnavailable":0}},
  "template":{"metadata":{"labels":{"k8s-app":"metrics-server"}},"spec":{
   "containers":[{"args":["--cert-dir=/tmp","--secure-port=10250","--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname","--kubelet-use-node-status-port","--metric-resolution=15s","--kubelet-insecure-tls"],
    "image":"registry.k8s.io/metrics-server/metrics-server:v0.8.0","imagePullPolicy":"IfNotPresent","name":"metrics-server",
    "ports":[{"containerPort":10250,"name":"https","protocol":"TCP"}],
    "livenessProbe":{"failureThreshold":3,"httpGet":{"path":"/livez","port":"https","scheme":"HTTPS"},"periodSeconds":10},
    "readinessProbe":{"failureThreshold":3,"httpGet":{"path":"/readyz","port":"https","scheme":"HTTPS"},"initialDelaySeconds":20,"periodSeconds":10},
    "resources":{"requests":{"cpu":"100m","memory":"200Mi"}},
    "securityContext":{"allowPrivilegeEscalation":false,"readOnlyRootFilesystem":true,"runAsNonRoot":true,"runAsUser":1000}}],
   "nodeSelector":{"kubernetes.io/os":"linux"},"priorityClassName":"system-cluster-critical","serviceAccountName":"metrics-server"}}}}
]"#;
