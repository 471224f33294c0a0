//! The EndpointSlice controller (pkg/controller/endpointslice, with the
//! reconciler of staging/src/k8s.io/endpointslice): for every Service with
//! a selector, discovery.k8s.io/v1 EndpointSlices of address type IPv4
//! named `<service>-<5 random characters>`, owned by the Service and
//! labelled with its labels plus `kubernetes.io/service-name` and
//! `endpointslice.kubernetes.io/managed-by`. Each selected pod with an IP
//! is an endpoint (terminating ones too) with its ready/serving/terminating
//! conditions, node, zone, hostname (when its subdomain names the Service)
//! and targetRef; pods are grouped by the ports the Service's
//! ports resolve to on them, at most 100 endpoints a slice. A Service
//! without endpoints keeps one placeholder slice (no ports, no endpoints).
//!
//! Endpoints are added in the order of their addresses (upstream pops them
//! from a set in any order). The slices take their generated names and
//! uids from a generator seeded by the Service's uid and the number of
//! slices created so far, not from the session's: the slices move no other
//! object's name or uid. The EndpointSlice mirroring controller (slices for
//! selector-less Services' Endpoints) is not simulated.

use super::endpoints::{
    ANNOTATION_TRIGGER_TIME, LABEL_HEADLESS, find_port, rfc3339_nano, selects, services_of_pod_change, should_be_in_endpoints, trigger_time,
};
use super::{Controller, Ctl, Cx, WorkQueue};
use crate::engine::api::*;
use crate::engine::apiserver::{Api, DeleteOptions};
use crate::engine::rng::{Rng, fnv32a};
use crate::engine::store::Change;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

pub const CONTROLLER_NAME: &str = "endpointslice-controller.k8s.io";
pub const LABEL_SERVICE_NAME: &str = "kubernetes.io/service-name";
pub const LABEL_MANAGED_BY: &str = "endpointslice.kubernetes.io/managed-by";
/// `--max-endpoints-per-slice`'s default.
pub const MAX_ENDPOINTS_PER_SLICE: usize = 100;
const ZONE_LABEL: &str = "topology.kubernetes.io/zone";

#[derive(Clone, Default)]
pub struct EndpointSliceController {
    /// Slices created so far: with the Service's uid, the seed of a new
    /// slice's name and uid.
    created: u64,
}

fn obj(pairs: Vec<(&str, Value)>) -> Value {
    let mut m = Map::new();
    for (k, v) in pairs {
        m.insert(k.into(), v);
    }
    Value::Object(m)
}

fn string(s: &str) -> Value {
    Value::String(s.into())
}

/// The list as the API server stores it: an empty one reads back as null.
fn list(v: Vec<Value>) -> Value {
    if v.is_empty() { Value::Null } else { Value::Array(v) }
}

/// `setEndpointSliceLabels`: the Service's labels (less the reserved
/// ones), the headless label when it has no cluster IP, the service name
/// and the manager.
pub fn slice_labels(svc: &Service) -> Labels {
    // a copy less the reserved keys (collecting would compile a sort)
    let mut l = svc.metadata.labels.clone();
    for k in [LABEL_SERVICE_NAME, LABEL_MANAGED_BY, LABEL_HEADLESS] {
        l.remove(k);
    }
    if svc.spec.cluster_ip.is_empty() || svc.spec.cluster_ip == "None" {
        l.insert(LABEL_HEADLESS.into(), String::new());
    }
    l.insert(LABEL_SERVICE_NAME.into(), svc.metadata.name.clone());
    l.insert(LABEL_MANAGED_BY.into(), CONTROLLER_NAME.into());
    l
}

/// `getEndpointPorts`: each Service port the pod resolves, sorted by name
/// (the order the port map key is computed in).
fn endpoint_ports(svc: &Service, p: &Pod) -> Vec<Value> {
    let mut out = vec![];
    for sp in &svc.spec.ports {
        let Some(port) = find_port(p, sp) else { continue };
        let proto = if sp.protocol.is_empty() { "TCP" } else { sp.protocol.as_str() };
        let mut fields = vec![("name", string(&sp.name)), ("port", Value::from(port)), ("protocol", string(proto))];
        if let Some(a) = &sp.app_protocol {
            fields.push(("appProtocol", string(a)));
        }
        out.push(obj(fields));
    }
    crate::engine::sort::sort_by(&mut out, |a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    out
}

/// `podToEndpoint` for the IPv4 address type.
fn pod_to_endpoint(p: &Pod, node: Option<&Node>, svc: &Service) -> Value {
    let serving = pod_is_ready(p);
    let terminating = p.metadata.deletion_timestamp.is_some();
    let ready = svc.spec.publish_not_ready_addresses || (serving && !terminating);
    let ips: Vec<&str> = if p.status.pod_ips.is_empty() { vec![p.status.pod_ip.as_str()] } else { p.status.pod_ips.iter().map(|i| i.ip.as_str()).collect() };
    let addresses = ips.into_iter().filter(|ip| !ip.is_empty() && !ip.contains(':')).map(string).collect();
    let conditions = obj(vec![("ready", Value::Bool(ready)), ("serving", Value::Bool(serving)), ("terminating", Value::Bool(terminating))]);
    let mut fields = vec![("addresses", Value::Array(addresses)), ("conditions", conditions)];
    if !p.spec.hostname.is_empty() && p.spec.subdomain == svc.metadata.name && p.metadata.namespace == svc.metadata.namespace {
        fields.push(("hostname", string(&p.spec.hostname)));
    }
    if !p.spec.node_name.is_empty() {
        fields.push(("nodeName", string(&p.spec.node_name)));
    }
    let m = &p.metadata;
    fields.push(("targetRef", obj(vec![("kind", string("Pod")), ("name", string(&m.name)), ("namespace", string(&m.namespace)), ("uid", string(&m.uid))])));
    if let Some(zone) = node.and_then(|n| n.metadata.labels.get(ZONE_LABEL)).filter(|z| !z.is_empty()) {
        fields.push(("zone", string(zone)));
    }
    obj(fields)
}

/// What identifies an endpoint in a set (`hashEndpoint`): its addresses,
/// hostname and target; the rest are fields it can change.
fn endpoint_key(e: &Value) -> String {
    [e["addresses"].to_string(), e["hostname"].to_string(), e["targetRef"]["namespace"].to_string(), e["targetRef"]["name"].to_string()].join("|")
}

fn endpoints_of(g: &Generic) -> Vec<Value> {
    g.field("endpoints").as_array().cloned().unwrap_or_default()
}

/// One set of ports' wanted endpoints: the ports and the endpoints by key.
type Wanted = (Value, BTreeMap<String, Value>);

/// A slice being reconciled: an existing one (named) or one to create.
struct Slice {
    name: String,
    ports: Value,
    endpoints: Vec<Value>,
}

/// The writes one sync makes (`finalize`'s input).
#[derive(Default)]
struct Plan {
    create: Vec<Slice>,
    update: Vec<Slice>,
    delete: Vec<String>,
}

/// `reconcileByPortMapping`: the existing slices of one set of ports keep
/// the endpoints still wanted (updated in place), lose the others (a slice
/// left empty goes), then the new endpoints fill the changed slices, then
/// the unchanged slice they fit best, then new slices.
fn reconcile_ports(plan: &mut Plan, existing: &[&Generic], ports: &Value, mut desired: BTreeMap<String, Value>, labels_changed: &dyn Fn(&Generic) -> bool) {
    let mut updated: Vec<Slice> = vec![];
    let mut unchanged: Vec<Slice> = vec![];
    for g in existing {
        let old = endpoints_of(g);
        let mut kept = vec![];
        let mut changed = false;
        for e in &old {
            if let Some(want) = desired.remove(&endpoint_key(e)) {
                changed |= want != *e;
                kept.push(want);
            }
        }
        let s = Slice { name: g.metadata.name.clone(), ports: g.field("ports").clone(), endpoints: kept };
        if changed || old.len() != s.endpoints.len() {
            if s.endpoints.is_empty() {
                plan.delete.push(s.name);
            } else {
                updated.push(s);
            }
        } else if labels_changed(g) {
            updated.push(s);
        } else {
            unchanged.push(s);
        }
    }
    let mut pending = desired.into_values();
    let mut next = pending.next();
    if next.is_some() && !updated.is_empty() {
        crate::engine::sort::sort_by(&mut updated, |a, b| b.endpoints.len().cmp(&a.endpoints.len()));
        for s in &mut updated {
            while s.endpoints.len() < MAX_ENDPOINTS_PER_SLICE
                && let Some(e) = next.take()
            {
                s.endpoints.push(e);
                next = pending.next();
            }
        }
    }
    let mut left: Vec<Value> = next.into_iter().chain(pending).collect();
    while !left.is_empty() {
        // getSliceToFill: the unchanged slice the rest fills most closely
        let mut fill = None;
        if left.len() < MAX_ENDPOINTS_PER_SLICE {
            let mut closest = MAX_ENDPOINTS_PER_SLICE;
            for (i, s) in unchanged.iter().enumerate() {
                if let Some(diff) = MAX_ENDPOINTS_PER_SLICE.checked_sub(left.len() + s.endpoints.len())
                    && diff < closest
                {
                    closest = diff;
                    fill = Some(i);
                }
            }
        }
        let mut s = match fill {
            Some(i) => unchanged.remove(i),
            None => Slice { name: String::new(), ports: ports.clone(), endpoints: vec![] },
        };
        let room = (MAX_ENDPOINTS_PER_SLICE - s.endpoints.len()).min(left.len());
        s.endpoints.extend(left.drain(..room));
        if s.name.is_empty() {
            plan.create.push(s);
        } else {
            updated.push(s);
        }
    }
    plan.update.extend(updated);
}

impl EndpointSliceController {
    /// Creates a slice, its name and uid drawn from its own generator.
    fn create(&mut self, api: &mut Api, svc: &Service, g: Generic) -> Result<(), crate::engine::apiserver::ApiError> {
        let seed = ((fnv32a(svc.metadata.uid.as_bytes()) as u64) << 32) | self.created;
        self.created += 1;
        let session = std::mem::replace(&mut api.rng, Rng::new(seed));
        let r = api.create(Object::Generic(g));
        api.rng = session;
        r.map(|_| ())
    }

    /// `Reconcile` for the IPv4 address type, then `finalize`.
    fn reconcile(&mut self, api: &mut Api, svc: &Service, pods: &[Pod]) -> Result<(), String> {
        let (ns, name) = (&svc.metadata.namespace, &svc.metadata.name);
        let labels = slice_labels(svc);
        let mut plan = Plan::default();
        // existing slices by their ports; others' and other address types' go
        let mut existing: BTreeMap<String, Vec<&Generic>> = BTreeMap::new();
        let mine: Vec<Generic> = api
            .store
            .list_ns(Kind::EndpointSlice, ns)
            .filter_map(|o| match &**o {
                Object::Generic(g)
                    if g.metadata.labels.get(LABEL_SERVICE_NAME) == Some(name)
                        && g.metadata.labels.get(LABEL_MANAGED_BY).map(String::as_str) == Some(CONTROLLER_NAME) =>
                {
                    Some(g.clone())
                }
                _ => None,
            })
            .collect();
        // ownedBy, and of the one address type
        let reusable = |g: &Generic| {
            g.field("addressType").as_str() == Some("IPv4")
                && g.metadata.owner_references.iter().any(|o| o.uid == svc.metadata.uid && o.kind == "Service" && o.api_version == "v1")
        };
        for g in &mine {
            if reusable(g) {
                existing.entry(g.field("ports").to_string()).or_default().push(g);
            } else {
                plan.delete.push(g.metadata.name.clone());
            }
        }
        let owned_count = mine.len() - plan.delete.len();
        let deleted_before = plan.delete.len();
        // the wanted endpoints by their ports
        // boxed: a map value of a layout of its own would compile its own tree code
        let mut desired: BTreeMap<String, Box<Wanted>> = BTreeMap::new();
        for p in pods {
            if !should_be_in_endpoints(p, true) {
                continue;
            }
            let node = api.get_t::<Node>("", &p.spec.node_name);
            if node.is_none() && !svc.spec.publish_not_ready_addresses {
                continue;
            }
            let e = pod_to_endpoint(p, node, svc);
            if e["addresses"].as_array().is_none_or(|a| a.is_empty()) {
                continue;
            }
            let ports = list(endpoint_ports(svc, p));
            desired.entry(ports.to_string()).or_insert_with(|| Box::new((ports, BTreeMap::new()))).1.insert(endpoint_key(&e), e);
        }
        let labels_changed = |g: &Generic| g.metadata.labels != labels;
        for (key, b) in desired.iter_mut() {
            let (ports, eps) = &mut **b;
            let ex = existing.remove(key).unwrap_or_default();
            reconcile_ports(&mut plan, &ex, ports, std::mem::take(eps), &labels_changed);
        }
        for gs in existing.values() {
            plan.delete.extend(gs.iter().map(|g| g.metadata.name.clone()));
        }
        // a Service without endpoints keeps one placeholder slice
        if owned_count + deleted_before == plan.delete.len() && plan.create.is_empty() {
            let placeholder = |g: &Generic| g.metadata.labels == labels && g.field("ports").is_null() && g.field("endpoints").is_null();
            let only = match plan.delete.as_slice() {
                [one] => mine.iter().find(|g| &g.metadata.name == one),
                _ => None,
            };
            if only.is_some_and(placeholder) {
                plan.delete.clear();
            } else {
                plan.create.push(Slice { name: String::new(), ports: Value::Null, endpoints: vec![] });
            }
        }
        // finalize: a slice to create takes the place of one to delete
        while !plan.create.is_empty()
            && let Some(i) = plan.delete.iter().position(|d| mine.iter().any(|g| &g.metadata.name == d && reusable(g)))
        {
            let mut s = plan.create.pop().expect("not empty");
            s.name = plan.delete.remove(i);
            plan.update.push(s);
        }
        let trigger = rfc3339_nano(trigger_time(svc, pods, api.now));
        let body = |s: &Slice| {
            let mut b = Map::new();
            b.insert("addressType".into(), string("IPv4"));
            b.insert("endpoints".into(), list(s.endpoints.clone()));
            b.insert("ports".into(), s.ports.clone());
            b
        };
        if svc.metadata.deletion_timestamp.is_none() {
            for s in &plan.create {
                let mut meta = ObjectMeta { namespace: ns.clone(), generate_name: format!("{name}-"), labels: labels.clone(), ..Default::default() };
                meta.owner_references.push(super::controller_utils::new_controller_ref(&svc.metadata, Kind::Service));
                meta.annotations.insert(ANNOTATION_TRIGGER_TIME.into(), trigger.clone());
                let g = Generic { kind: Kind::EndpointSlice, api_version: "discovery.k8s.io/v1".into(), metadata: meta, body: body(s) };
                if let Err(e) = self.create(api, svc, g) {
                    if e.message.contains("because it is being terminated") {
                        return Ok(());
                    }
                    return Err(format!("failed to create EndpointSlice for Service {ns}/{name}: {}", e.message));
                }
            }
        }
        for s in &plan.update {
            let Some(Object::Generic(old)) = api.store.get(Kind::EndpointSlice, &ObjKey::new(ns, &s.name)).map(|o| &**o) else { continue };
            let mut g = old.clone();
            g.metadata.labels = labels.clone();
            g.metadata.annotations.insert(ANNOTATION_TRIGGER_TIME.into(), trigger.clone());
            g.body = body(s);
            if let Err(e) = api.update(Object::Generic(g)) {
                return Err(format!("failed to update {} EndpointSlice for Service {ns}/{name}: {}", s.name, e.message));
            }
        }
        for d in &plan.delete {
            if let Err(e) = api.delete(Kind::EndpointSlice, ns, d, &DeleteOptions::default()) {
                return Err(format!("failed to delete {d} EndpointSlice for Service {ns}/{name}: {}", e.message));
            }
        }
        Ok(())
    }
}

impl Controller for EndpointSliceController {
    fn id(&self) -> Ctl {
        Ctl::EndpointSlice
    }

    fn watch(&mut self, change: &Change, api: &Api, queue: &mut WorkQueue) {
        match change.kind {
            Kind::Service => queue.add(change.obj_ref()),
            Kind::Pod => {
                for s in services_of_pod_change(change, api) {
                    queue.add(ObjRef::new(Kind::Service, &change.key.namespace, &s));
                }
            }
            // a managed slice deleted by someone else is made again
            Kind::EndpointSlice if change.new.is_none() => {
                if let Some(svc) = change
                    .old
                    .as_deref()
                    .map(Object::meta)
                    .filter(|m| m.labels.get(LABEL_MANAGED_BY).map(String::as_str) == Some(CONTROLLER_NAME))
                    .and_then(|m| m.labels.get(LABEL_SERVICE_NAME))
                {
                    queue.add(ObjRef::new(Kind::Service, &change.key.namespace, svc));
                }
            }
            _ => {}
        }
    }

    /// `syncService`: the Service's owned slices go with it (the garbage
    /// collector deletes them).
    fn sync(&mut self, key: &ObjRef, cx: &mut Cx) {
        if key.kind != Kind::Service {
            return;
        }
        let Some(svc) = cx.api.get_t::<Service>(&key.key.namespace, &key.key.name).cloned() else { return };
        if svc.spec.type_ == "ExternalName" || svc.spec.selector.is_empty() {
            return;
        }
        let pods: Vec<Pod> = cx.api.store.list_ns_t::<Pod>(&key.key.namespace).filter(|p| selects(&svc, &p.metadata.labels)).cloned().collect();
        if let Err(msg) = self.reconcile(cx.api, &svc, &pods) {
            let (ns, name) = (&svc.metadata.namespace, &svc.metadata.name);
            cx.api.event(
                &Object::Service(svc.clone()),
                "Warning",
                "FailedToUpdateEndpointSlices",
                &format!("Error updating Endpoint Slices for Service {ns}/{name}: {msg}"),
                "endpoint-slice-controller",
            );
        }
    }
}

/// The `kubernetes` Service's slice, as the API server's endpoint
/// reconciler writes it (endpointsadapter.go): named after the Service,
/// labelled with its name only, the API server's address ready on 6443.
pub fn kubernetes_slice(address: &str) -> Generic {
    let mut meta = ObjectMeta::named("default", "kubernetes");
    meta.labels.insert(LABEL_SERVICE_NAME.into(), "kubernetes".into());
    let mut body = Map::new();
    body.insert("addressType".into(), string("IPv4"));
    let e = obj(vec![("addresses", Value::Array(vec![string(address)])), ("conditions", obj(vec![("ready", Value::Bool(true))]))]);
    body.insert("endpoints".into(), Value::Array(vec![e]));
    body.insert("ports".into(), Value::Array(vec![obj(vec![("name", string("https")), ("port", Value::from(6443)), ("protocol", string("TCP"))])]));
    Generic { kind: Kind::EndpointSlice, api_version: "discovery.k8s.io/v1".into(), metadata: meta, body }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::controllers::testkit::{Harness, labels, set_running_ready};

    fn slices(h: &Harness, svc: &str) -> Vec<Generic> {
        h.api
            .store
            .list_ns(Kind::EndpointSlice, "default")
            .filter_map(|o| match &**o {
                Object::Generic(g) if g.metadata.labels.get(LABEL_SERVICE_NAME).map(String::as_str) == Some(svc) => Some(g.clone()),
                _ => None,
            })
            .collect()
    }

    fn harness(ctls: Vec<Box<dyn Controller>>, headless: bool) -> Harness {
        let mut h = Harness::new(ctls);
        let mut n = Node { metadata: ObjectMeta::named("", "node-a"), ..Default::default() };
        n.metadata.labels.insert(ZONE_LABEL.into(), "zone-a".into());
        h.create(Object::Node(n));
        let mut s = Service { metadata: ObjectMeta::named("default", "web"), ..Default::default() };
        s.metadata.labels = labels(&[("tier", "front")]);
        s.spec.selector = labels(&[("app", "web")]);
        if headless {
            s.spec.cluster_ip = "None".into();
        }
        s.spec.ports.push(ServicePort { name: "http".into(), port: 80, target_port: Some(IntOrString::Str("http".into())), ..Default::default() });
        h.create(Object::Service(s));
        h
    }

    fn add_pod(h: &mut Harness, name: &str, ip: &str, port: i32) {
        let mut p = Pod { metadata: ObjectMeta::named("default", name), ..Default::default() };
        p.metadata.labels = labels(&[("app", "web")]);
        p.spec.node_name = "node-a".into();
        p.spec.hostname = name.into();
        p.spec.subdomain = "web".into();
        let port = ContainerPort { name: "http".into(), container_port: port, protocol: "TCP".into(), ..Default::default() };
        p.spec.containers.push(Container { name: "c".into(), image: "nginx".into(), ports: vec![port], ..Default::default() });
        h.create(Object::Pod(p));
        let mut p = h.pod("default", name).unwrap();
        p.status.pod_ip = ip.into();
        p.status.pod_ips = vec![IpEntry { ip: ip.into() }];
        set_running_ready(&mut p, h.api.now, true);
        h.api.update_status(Object::Pod(p)).unwrap();
        h.run();
    }

    fn controller() -> Vec<Box<dyn Controller>> {
        vec![Box::new(EndpointSliceController::default())]
    }

    #[test]
    fn placeholder_filled_in_place_then_emptied() {
        let mut h = harness(controller(), false);
        let s = slices(&h, "web");
        assert_eq!(s.len(), 1);
        let name = s[0].metadata.name.clone();
        assert!(name.starts_with("web-") && name.len() == 9, "{name}");
        assert!(s[0].field("endpoints").is_null() && s[0].field("ports").is_null());
        assert_eq!(s[0].metadata.labels, labels(&[("tier", "front"), (LABEL_SERVICE_NAME, "web"), (LABEL_MANAGED_BY, CONTROLLER_NAME)]));
        assert_eq!(s[0].metadata.owner_references[0].kind, "Service");

        add_pod(&mut h, "web-0", "10.244.1.5", 8080);
        let s = slices(&h, "web");
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].metadata.name, name, "a slice to create takes the place of the one to delete");
        let e = &s[0].field("endpoints")[0];
        assert_eq!(e["addresses"][0], "10.244.1.5");
        assert_eq!(e["conditions"], obj(vec![("ready", Value::Bool(true)), ("serving", Value::Bool(true)), ("terminating", Value::Bool(false))]));
        assert_eq!((e["nodeName"].as_str(), e["zone"].as_str(), e["targetRef"]["name"].as_str()), (Some("node-a"), Some("zone-a"), Some("web-0")));
        assert_eq!(e["hostname"], "web-0", "ShouldSetHostname: the pod's subdomain names the Service");
        assert_eq!(s[0].field("ports")[0], obj(vec![("name", string("http")), ("port", Value::from(8080)), ("protocol", string("TCP"))]));

        // a terminating pod stays, serving but not ready
        h.delete(Kind::Pod, "default", "web-0", DeleteOptions::default());
        let e = slices(&h, "web")[0].field("endpoints")[0].clone();
        assert_eq!(e["conditions"], obj(vec![("ready", Value::Bool(false)), ("serving", Value::Bool(true)), ("terminating", Value::Bool(true))]));
        h.finish_deletion("default", "web-0");
        let s = slices(&h, "web");
        assert_eq!((s.len(), s[0].metadata.name.as_str()), (1, name.as_str()));
        assert!(s[0].field("endpoints").is_null() && s[0].field("ports").is_null(), "back to the placeholder");

        // a deleted slice is made again, under a new name
        h.delete(Kind::EndpointSlice, "default", &name, DeleteOptions::default());
        let s = slices(&h, "web");
        assert_eq!(s.len(), 1);
        assert_ne!(s[0].metadata.name, name);
    }

    #[test]
    fn headless_hostnames_and_a_slice_per_port_mapping() {
        let mut h = harness(controller(), true);
        add_pod(&mut h, "web-0", "10.244.1.5", 8080);
        add_pod(&mut h, "web-1", "10.244.1.6", 9090);
        add_pod(&mut h, "web-2", "10.244.1.7", 8080);
        let s = slices(&h, "web");
        assert_eq!(s.len(), 2);
        let mut by_port: Vec<(i64, Vec<String>)> = s
            .iter()
            .map(|g| {
                (
                    g.field("ports")[0]["port"].as_i64().unwrap(),
                    g.field("endpoints").as_array().unwrap().iter().map(|e| e["hostname"].as_str().unwrap().to_string()).collect(),
                )
            })
            .collect();
        crate::engine::sort::sort(&mut by_port);
        assert_eq!(by_port, vec![(8080, vec!["web-0".to_string(), "web-2".to_string()]), (9090, vec!["web-1".to_string()])]);
        assert!(s.iter().all(|g| g.metadata.labels.contains_key(LABEL_HEADLESS)));
    }

    #[test]
    fn slices_move_no_name_of_the_session() {
        let mut with = harness(controller(), false);
        let mut without = harness(vec![], false);
        for h in [&mut with, &mut without] {
            add_pod(h, "web-0", "10.244.1.5", 8080);
        }
        assert_eq!(slices(&without, "web").len(), 0);
        assert_eq!(slices(&with, "web").len(), 1);
        assert_eq!(with.api.rng.next_u64(), without.api.rng.next_u64());
    }

    fn endpoint(i: usize) -> (String, Value) {
        let e = obj(vec![("addresses", Value::Array(vec![string(&format!("10.0.{}.{}", i / 250, i % 250))]))]);
        (endpoint_key(&e), e)
    }

    fn existing(name: &str, n: usize, from: usize) -> Generic {
        let mut body = Map::new();
        body.insert("endpoints".into(), Value::Array((from..from + n).map(|i| endpoint(i).1).collect()));
        Generic { kind: Kind::EndpointSlice, api_version: "discovery.k8s.io/v1".into(), metadata: ObjectMeta::named("default", name), body }
    }

    #[test]
    fn at_most_100_endpoints_a_slice_and_the_closest_fit_filled() {
        let same = |_: &Generic| false;
        let mut plan = Plan::default();
        reconcile_ports(&mut plan, &[], &Value::Null, crate::engine::sort::map_from((0..250).map(endpoint)), &same);
        let sizes: Vec<usize> = plan.create.iter().map(|s| s.endpoints.len()).collect();
        assert_eq!(sizes, [100, 100, 50]);

        // 30 new endpoints: a full slice stays, the 60 one takes them
        let (full, part) = (existing("a", 100, 0), existing("b", 60, 100));
        let mut plan = Plan::default();
        reconcile_ports(&mut plan, &[&full, &part], &Value::Null, crate::engine::sort::map_from((0..190).map(endpoint)), &same);
        assert!(plan.create.is_empty() && plan.delete.is_empty());
        assert_eq!(plan.update.iter().map(|s| (s.name.as_str(), s.endpoints.len())).collect::<Vec<_>>(), [("b", 90)]);

        // endpoints gone: a slice left empty goes, one that shrank is updated
        let mut plan = Plan::default();
        reconcile_ports(&mut plan, &[&full, &part], &Value::Null, crate::engine::sort::map_from((0..50).map(endpoint)), &same);
        assert_eq!(plan.delete, ["b"]);
        assert_eq!(plan.update.iter().map(|s| (s.name.as_str(), s.endpoints.len())).collect::<Vec<_>>(), [("a", 50)]);
    }
}
