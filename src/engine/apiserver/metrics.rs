//! The resource metrics API (`metrics.k8s.io/v1beta1`: PodMetrics and
//! NodeMetrics), which the aggregation layer serves from the
//! metrics-server's memory. It is available while a metrics-server pod is
//! ready (the APIService's endpoints); what it holds is what the
//! metrics-server's last scrape wrote ([`crate::engine::metricsserver`]).
//! Its readers: the HPA controller and `kubectl top`.

use super::Api;
use crate::engine::api::Pod;
use crate::engine::time::{Millis, Time};

/// The label the metrics-server's pods carry (its manifests' selector).
pub const SERVER_LABEL: (&str, &str) = ("k8s-app", "metrics-server");

/// What the metrics-server holds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MetricsApi {
    pub pods: Vec<PodMetrics>,
    pub nodes: Vec<NodeMetrics>,
}

/// One pod's usage at a scrape: containers' (name, millicores, bytes).
#[derive(Clone, Debug, PartialEq)]
pub struct PodMetrics {
    pub namespace: String,
    pub name: String,
    pub timestamp: Time,
    pub window: Millis,
    pub containers: Vec<(String, u64, u64)>,
}

impl PodMetrics {
    /// The pod's total of one resource (`cpu` in millicores, else bytes).
    pub fn total(&self, resource: &str) -> u64 {
        self.containers.iter().map(|c| if resource == "cpu" { c.1 } else { c.2 }).sum()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct NodeMetrics {
    pub name: String,
    pub timestamp: Time,
    pub window: Millis,
    pub cpu_milli: u64,
    pub memory: u64,
}

/// Whether the aggregated API answers: a metrics-server pod is ready.
pub fn available(api: &Api) -> bool {
    api.store.list_ns_t::<Pod>("kube-system").any(|p| {
        p.metadata.labels.get(SERVER_LABEL.0).is_some_and(|v| v == SERVER_LABEL.1)
            && p.metadata.deletion_timestamp.is_none()
            && crate::engine::api::pod_is_ready(p)
    })
}

/// The error a client gets when the API is not there (discovery finds no
/// `metrics.k8s.io` group, the HPA's client a 404).
pub fn not_found(resource: &str) -> String {
    format!("the server could not find the requested resource (get {resource}.metrics.k8s.io)")
}
