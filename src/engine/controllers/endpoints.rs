//! The endpoints controller (pkg/controller/endpoint): an Endpoints object
//! per Service with a selector, listing the selected pods' IPs as ready
//! addresses or notReadyAddresses (publishNotReadyAddresses puts them all
//! in `addresses`), with hostname for pods whose hostname/subdomain name a
//! headless Service, the pod as targetRef, its node, and the Service's
//! ports resolved against the containers' ports.

use crate::engine::api::*;
use crate::engine::apiserver::{Api, DeleteOptions};
use crate::engine::controllers::{Controller, Ctl, Cx, WorkQueue};
use crate::engine::store::Change;
use crate::engine::time::Time;
use std::collections::BTreeSet;

pub const CONTROLLER_NAME: &str = "endpoint-controller";
pub const LABEL_MANAGED_BY: &str = "endpoints.kubernetes.io/managed-by";
pub const LABEL_HEADLESS: &str = "service.kubernetes.io/headless";
pub const ANNOTATION_TRIGGER_TIME: &str = "endpoints.kubernetes.io/last-change-trigger-time";

#[derive(Clone, Default)]
pub struct EndpointsController {}

impl EndpointsController {
    pub fn new() -> EndpointsController {
        EndpointsController::default()
    }
}

pub(crate) fn selects(svc: &Service, labels: &Labels) -> bool {
    !svc.spec.selector.is_empty() && svc.spec.selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// endpointsliceutil.ShouldPodBeInEndpoints.
pub fn should_be_in_endpoints(p: &Pod, include_terminating: bool) -> bool {
    if p.status.phase.is_terminal() {
        return false;
    }
    if p.status.pod_ip.is_empty() && p.status.pod_ips.is_empty() {
        return false;
    }
    include_terminating || p.metadata.deletion_timestamp.is_none()
}

/// podutil.FindPort for a Service port.
pub(crate) fn find_port(p: &Pod, sp: &ServicePort) -> Option<i32> {
    let proto = if sp.protocol.is_empty() { "TCP" } else { sp.protocol.as_str() };
    match sp.target_port.clone().unwrap_or(IntOrString::Int(sp.port)) {
        IntOrString::Int(0) => Some(sp.port),
        IntOrString::Int(n) => Some(n),
        IntOrString::Str(name) => p
            .spec
            .containers
            .iter()
            .chain(p.spec.init_containers.iter().filter(|c| c.restart_policy.as_deref() == Some("Always")))
            .flat_map(|c| c.ports.iter())
            .find(|cp| cp.name == name && (if cp.protocol.is_empty() { "TCP" } else { cp.protocol.as_str() }) == proto)
            .map(|cp| cp.container_port)
            .or_else(|| name.parse().ok()),
    }
}

/// RFC 3339 with fractional seconds trimmed (time.RFC3339Nano).
pub(crate) fn rfc3339_nano(t: Time) -> String {
    let base = t.rfc3339();
    let ms = t.0.rem_euclid(1000);
    if ms == 0 {
        return base;
    }
    let frac = format!("{ms:03}");
    format!("{}.{}Z", base.trim_end_matches('Z'), frac.trim_end_matches('0'))
}

/// An endpoint port: (name, port, protocol).
type PortKey = (String, i32, String);

/// The subsets of a Service (syncService + RepackSubsets): one subset per
/// distinct set of ports, addresses sorted by IP then uid.
pub fn compute_subsets(svc: &Service, pods: &[&Pod]) -> Vec<EndpointSubset> {
    let publish = svc.spec.publish_not_ready_addresses;
    // (address, its ports in order, ready): the pods come from the store,
    // so each (ip, uid) once (RepackSubsets' key). Vecs, not maps: the maps'
    // key and value layouts were the wasm's only ones (each a copy of
    // BTreeMap's code).
    let mut addrs: Vec<(EndpointAddress, Vec<PortKey>, bool)> = vec![];
    let headless = svc.spec.cluster_ip == "None";
    for p in pods {
        if !should_be_in_endpoints(p, publish) {
            continue;
        }
        let ip = p.status.pod_ips.first().map(|i| i.ip.clone()).unwrap_or_else(|| p.status.pod_ip.clone());
        let mut a = EndpointAddress {
            ip,
            hostname: String::new(),
            node_name: Some(p.spec.node_name.clone()),
            target_ref: Some(ObjectReference {
                kind: "Pod".into(),
                namespace: p.metadata.namespace.clone(),
                name: p.metadata.name.clone(),
                uid: p.metadata.uid.clone(),
                ..Default::default()
            }),
        };
        if !p.spec.hostname.is_empty() && p.spec.subdomain == svc.metadata.name && p.metadata.namespace == svc.metadata.namespace {
            a.hostname = p.spec.hostname.clone();
        }
        let ready = publish || pod_is_ready(p);
        let mut ports: Vec<PortKey> = vec![];
        if svc.spec.ports.is_empty() {
            if !headless {
                continue;
            }
            ports.push((String::new(), -1, String::new()));
        } else {
            for sp in &svc.spec.ports {
                if let Some(n) = find_port(p, sp) {
                    let proto = if sp.protocol.is_empty() { "TCP".to_string() } else { sp.protocol.clone() };
                    ports.push((sp.name.clone(), n, proto));
                }
            }
        }
        if ports.is_empty() {
            continue;
        }
        crate::engine::sort::sort(&mut ports);
        ports.dedup();
        addrs.push((a, ports, ready));
    }
    // group addresses by their port set; every port set becomes a subset:
    // (port set, ready addresses, not ready addresses), in port set order
    let mut groups: Vec<(Vec<PortKey>, Vec<EndpointAddress>, Vec<EndpointAddress>)> = vec![];
    for (a, ports, ready) in addrs {
        let i = match groups.iter().position(|g| g.0 == ports) {
            Some(i) => i,
            None => {
                groups.push((ports, vec![], vec![]));
                groups.len() - 1
            }
        };
        let g = &mut groups[i];
        if ready {
            g.1.push(a);
        } else {
            g.2.push(a);
        }
    }
    crate::engine::sort::sort_by(&mut groups, |a, b| a.0.cmp(&b.0));
    let mut subsets: Vec<EndpointSubset> = groups
        .into_iter()
        .map(|(ports, mut ready, mut not_ready)| {
            let sort = |v: &mut Vec<EndpointAddress>| {
                crate::engine::sort::sort_by(v, |a, b| {
                    a.ip.as_bytes().cmp(b.ip.as_bytes()).then_with(|| a.target_ref.as_ref().map(|t| &t.uid).cmp(&b.target_ref.as_ref().map(|t| &t.uid)))
                })
            };
            sort(&mut ready);
            sort(&mut not_ready);
            let ports = ports
                .into_iter()
                .filter(|(_, n, _)| *n > 0)
                .map(|(name, port, protocol)| {
                    let app_protocol = svc.spec.ports.iter().find(|sp| sp.name == name).and_then(|sp| sp.app_protocol.clone());
                    EndpointPort { name, port, protocol, app_protocol }
                })
                .collect();
            EndpointSubset { addresses: ready, not_ready_addresses: not_ready, ports }
        })
        .collect();
    crate::engine::sort::sort_by(&mut subsets, |a, b| {
        let first = |s: &EndpointSubset| s.addresses.first().or(s.not_ready_addresses.first()).map(|x| x.ip.clone()).unwrap_or_default();
        first(a).cmp(&first(b))
    });
    subsets
}

/// The Services in the pod's namespace selecting it before or after a
/// change that can move an address (its labels, IP, readiness, phase,
/// deletion, node, hostname or subdomain): the keys both endpoints
/// controllers sync for a pod change.
pub(crate) fn services_of_pod_change(change: &Change, api: &Api) -> BTreeSet<String> {
    let (old, new) = change.typed::<Pod>();
    let fingerprint = |p: &Pod| {
        (
            p.metadata.labels.clone(),
            p.status.pod_ip.clone(),
            pod_is_ready(p),
            p.status.phase.clone(),
            p.metadata.deletion_timestamp.is_some(),
            p.spec.node_name.clone(),
            p.spec.hostname.clone(),
            p.spec.subdomain.clone(),
        )
    };
    let mut svcs = BTreeSet::new();
    if let (Some(o), Some(n)) = (old, new)
        && fingerprint(o) == fingerprint(n)
    {
        return svcs;
    }
    for s in api.store.list_ns_t::<Service>(&change.key.namespace) {
        if old.is_some_and(|p| selects(s, &p.metadata.labels)) || new.is_some_and(|p| selects(s, &p.metadata.labels)) {
            svcs.insert(s.metadata.name.clone());
        }
    }
    svcs
}

/// The last change that could have moved an address of the Service (the
/// `last-change-trigger-time` annotation both controllers write).
pub(crate) fn trigger_time(svc: &Service, pods: &[Pod], now: Time) -> Time {
    pods.iter()
        .flat_map(|p| {
            p.status.conditions.iter().filter(|c| c.type_ == ConditionType::Ready).filter_map(|c| c.last_transition_time).chain(p.metadata.creation_timestamp)
        })
        .chain(svc.metadata.creation_timestamp)
        .max()
        .unwrap_or(now)
}

impl Controller for EndpointsController {
    fn id(&self) -> Ctl {
        Ctl::Endpoints
    }

    fn watch(&mut self, change: &Change, api: &Api, queue: &mut WorkQueue) {
        match change.kind {
            Kind::Service => queue.add(change.obj_ref()),
            Kind::Endpoints if change.new.is_none() => {
                queue.add(ObjRef::new(Kind::Service, &change.key.namespace, &change.key.name));
            }
            Kind::Pod => {
                for s in services_of_pod_change(change, api) {
                    queue.add(ObjRef::new(Kind::Service, &change.key.namespace, &s));
                }
            }
            _ => {}
        }
    }

    fn sync(&mut self, key: &ObjRef, cx: &mut Cx) {
        if key.kind != Kind::Service {
            return;
        }
        let (ns, name) = (&key.key.namespace, &key.key.name);
        let Some(svc) = cx.api.get_t::<Service>(ns, name).cloned() else {
            let managed =
                cx.api.get_t::<Endpoints>(ns, name).is_some_and(|e| e.metadata.labels.get(LABEL_MANAGED_BY).map(|s| s.as_str()) == Some(CONTROLLER_NAME));
            if managed {
                let _ = cx.api.delete(Kind::Endpoints, ns, name, &DeleteOptions::default());
            }
            return;
        };
        if svc.spec.type_ == "ExternalName" || svc.spec.selector.is_empty() {
            return;
        }
        let pods: Vec<Pod> = cx.api.store.list_ns_t::<Pod>(ns).filter(|p| selects(&svc, &p.metadata.labels)).cloned().collect();
        let refs: Vec<&Pod> = pods.iter().collect();
        let subsets = compute_subsets(&svc, &refs);
        let mut labels = svc.metadata.labels.clone();
        if svc.spec.cluster_ip.is_empty() || svc.spec.cluster_ip == "None" {
            labels.insert(LABEL_HEADLESS.into(), String::new());
        }
        labels.insert(LABEL_MANAGED_BY.into(), CONTROLLER_NAME.into());
        let existing = cx.api.get_t::<Endpoints>(ns, name).cloned();
        if let Some(e) = &existing
            && e.subsets == subsets
            && e.metadata.labels == labels
        {
            return;
        }
        let trigger = trigger_time(&svc, &pods, cx.api.now);
        match existing {
            Some(mut e) => {
                e.subsets = subsets;
                e.metadata.labels = labels;
                e.metadata.annotations.insert(ANNOTATION_TRIGGER_TIME.into(), rfc3339_nano(trigger));
                let _ = cx.api.update(Object::Endpoints(e));
            }
            None => {
                let mut meta = ObjectMeta::named(ns, name);
                meta.labels = labels;
                meta.annotations.insert(ANNOTATION_TRIGGER_TIME.into(), rfc3339_nano(trigger));
                let e = Endpoints { metadata: meta, subsets, ..Default::default() };
                if let Err(err) = cx.api.create(Object::Endpoints(e.clone())) {
                    cx.api.event(
                        &Object::Endpoints(e),
                        "Warning",
                        "FailedToCreateEndpoint",
                        &format!("Failed to create endpoint for service {ns}/{name}: {}", err.message),
                        CONTROLLER_NAME,
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(name: &str, ip: &str, ready: bool, port_name: &str) -> Pod {
        let mut p = Pod { metadata: ObjectMeta::named("default", name), ..Default::default() };
        p.metadata.uid = format!("uid-{name}");
        p.metadata.labels.insert("app".into(), "web".into());
        p.spec.node_name = "node-a".into();
        p.spec.containers.push(Container {
            name: "c".into(),
            ports: vec![ContainerPort { name: port_name.into(), container_port: 8080, protocol: "TCP".into(), ..Default::default() }],
            ..Default::default()
        });
        p.status.phase = PodPhase::Running;
        p.status.pod_ip = ip.into();
        p.status.pod_ips = vec![IpEntry { ip: ip.into() }];
        p.status.conditions.push(PodCondition { type_: ConditionType::Ready, status: if ready { "True" } else { "False" }.into(), ..Default::default() });
        p
    }

    fn svc() -> Service {
        let mut s = Service { metadata: ObjectMeta::named("default", "web"), ..Default::default() };
        s.spec.selector.insert("app".into(), "web".into());
        s.spec.cluster_ip = "10.96.0.10".into();
        s.spec.ports.push(ServicePort {
            name: "http".into(),
            port: 80,
            protocol: "TCP".into(),
            target_port: Some(IntOrString::Str("http".into())),
            ..Default::default()
        });
        s
    }

    #[test]
    fn ready_and_not_ready_addresses() {
        let a = pod("a", "10.244.1.5", true, "http");
        let b = pod("b", "10.244.2.5", false, "http");
        let c = pod("c", "10.244.1.10", true, "http");
        let subsets = compute_subsets(&svc(), &[&a, &b, &c]);
        assert_eq!(subsets.len(), 1);
        let ips: Vec<&str> = subsets[0].addresses.iter().map(|a| a.ip.as_str()).collect();
        assert_eq!(ips, ["10.244.1.10", "10.244.1.5"], "sorted as strings, like LessEndpointAddress");
        assert_eq!(subsets[0].not_ready_addresses[0].ip, "10.244.2.5");
        assert_eq!(subsets[0].ports, vec![EndpointPort { name: "http".into(), port: 8080, protocol: "TCP".into(), app_protocol: None }]);
        let mut publish = svc();
        publish.spec.publish_not_ready_addresses = true;
        assert_eq!(compute_subsets(&publish, &[&a, &b])[0].addresses.len(), 2);
    }

    #[test]
    fn pods_without_the_named_port_are_left_out_and_hostnames_set() {
        let mut a = pod("web-0", "10.244.1.5", true, "other");
        a.spec.hostname = "web-0".into();
        a.spec.subdomain = "web".into();
        assert!(compute_subsets(&svc(), &[&a]).is_empty());
        let mut headless = svc();
        headless.spec.cluster_ip = "None".into();
        headless.spec.ports.clear();
        let s = compute_subsets(&headless, &[&a]);
        assert_eq!(s[0].addresses[0].hostname, "web-0");
        assert!(s[0].ports.is_empty());
    }

    #[test]
    fn trigger_time_format() {
        assert_eq!(rfc3339_nano(Time(1_767_603_600_000)), "2026-01-05T09:00:00Z");
        assert_eq!(rfc3339_nano(Time(1_767_603_600_250)), "2026-01-05T09:00:00.25Z");
    }
}
