//! The resource quota controller (pkg/controller/resourcequota): keeps each
//! ResourceQuota's status.hard (a copy of spec.hard) and status.used (what
//! the namespace's objects use of every resource the quota limits). The
//! quota admission plugin refuses what would exceed it.

use super::{Controller, Ctl, Cx, WorkQueue};
use crate::engine::api::*;
use crate::engine::apiserver::Api;
pub use crate::engine::apiserver::admission::{claim_storage, pod_counts, pod_resource};
use crate::engine::quantity::Quantity;
use crate::engine::storage::claim_class;
use crate::engine::store::Change;
use std::collections::BTreeMap;

#[derive(Clone, Default)]
pub struct ResourceQuotaController;

fn count(n: usize) -> Quantity {
    Quantity::from_units(n as i64, Default::default())
}

/// The usage of one resource name in a namespace.
pub fn usage(api: &Api, ns: &str, resource: &str) -> Option<Quantity> {
    let pods = || api.store.list_ns_t::<Pod>(ns).filter(|p| pod_counts(p));
    let claims = || api.store.list_ns_t::<PersistentVolumeClaim>(ns);
    let sum = |it: &mut dyn Iterator<Item = Quantity>| it.fold(Quantity::default(), |a, b| a.add(&b));
    Some(match resource {
        "pods" | "count/pods" => count(pods().count()),
        "requests.cpu" | "cpu" => sum(&mut pods().map(|p| pod_resource(p, "requests", "cpu"))),
        "requests.memory" | "memory" => sum(&mut pods().map(|p| pod_resource(p, "requests", "memory"))),
        "limits.cpu" => sum(&mut pods().map(|p| pod_resource(p, "limits", "cpu"))),
        "limits.memory" => sum(&mut pods().map(|p| pod_resource(p, "limits", "memory"))),
        "persistentvolumeclaims" | "count/persistentvolumeclaims" => count(claims().count()),
        "requests.storage" => sum(&mut claims().map(claim_storage)),
        "services" | "count/services" => count(api.store.list_ns(Kind::Service, ns).count()),
        "services.nodeports" => {
            count(api.store.list_ns_t::<Service>(ns).filter(|s| s.spec.type_ == "NodePort" || s.spec.type_ == "LoadBalancer").map(|s| s.spec.ports.len()).sum())
        }
        "services.loadbalancers" => count(api.store.list_ns_t::<Service>(ns).filter(|s| s.spec.type_ == "LoadBalancer").count()),
        "configmaps" | "count/configmaps" => count(api.store.list_ns(Kind::ConfigMap, ns).count()),
        "secrets" | "count/secrets" => count(api.store.list_ns(Kind::Secret, ns).count()),
        "resourcequotas" | "count/resourcequotas" => count(api.store.list_ns(Kind::ResourceQuota, ns).count()),
        r => {
            if let Some(class) = r.strip_suffix(".storageclass.storage.k8s.io/requests.storage") {
                sum(&mut claims().filter(|c| claim_class(c) == class).map(claim_storage))
            } else if let Some(class) = r.strip_suffix(".storageclass.storage.k8s.io/persistentvolumeclaims") {
                count(claims().filter(|c| claim_class(c) == class).count())
            } else if let Some(res) = r.strip_prefix("count/") {
                let kind = Kind::lookup(res)?;
                if !kind.namespaced() {
                    return None;
                }
                count(api.store.list_ns(kind, ns).count())
            } else {
                return None;
            }
        }
    })
}

impl Controller for ResourceQuotaController {
    fn id(&self) -> Ctl {
        Ctl::ResourceQuota
    }

    fn watch(&mut self, ch: &Change, api: &Api, q: &mut WorkQueue) {
        if ch.kind == Kind::ResourceQuota {
            if ch.new.is_some() {
                q.add(ch.obj_ref());
            }
            return;
        }
        if ch.kind == Kind::Event || !ch.kind.namespaced() {
            return;
        }
        // Only changes that can move a usage count: creations, deletions,
        // and updates of pods (phase) and claims (requests, class).
        if ch.old.is_some() && ch.new.is_some() && !matches!(ch.kind, Kind::Pod | Kind::PersistentVolumeClaim | Kind::Service) {
            return;
        }
        for rq in api.store.list_ns(Kind::ResourceQuota, &ch.key.namespace) {
            q.add(rq.obj_ref());
        }
    }

    fn sync(&mut self, key: &ObjRef, cx: &mut Cx) {
        let Some(rq) = cx.api.get_t::<ResourceQuota>(&key.key.namespace, &key.key.name).cloned() else { return };
        let mut used: BTreeMap<String, Quantity> = BTreeMap::new();
        for res in rq.spec.hard.keys() {
            if let Some(u) = usage(cx.api, &key.key.namespace, res) {
                used.insert(res.clone(), u);
            }
        }
        if rq.status.hard != rq.spec.hard || rq.status.used != used {
            let mut n = rq.clone();
            n.status.hard = rq.spec.hard.clone();
            n.status.used = used;
            let _ = cx.api.update_status(Object::ResourceQuota(n));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Cluster;

    #[test]
    fn used_follows_the_namespace() {
        let mut c = Cluster::new(1);
        let mut rq = ResourceQuota { metadata: ObjectMeta::named("default", "q"), ..Default::default() };
        for (k, v) in [("pods", "10"), ("count/configmaps", "5"), ("services.nodeports", "2"), ("requests.cpu", "2")] {
            rq.spec.hard.insert(k.into(), Quantity::parse(v).unwrap());
        }
        c.create(Object::ResourceQuota(rq)).unwrap();
        let mut p = Pod { metadata: ObjectMeta::named("default", "p"), ..Default::default() };
        let mut ctr = Container { name: "c".into(), image: "busybox".into(), ..Default::default() };
        ctr.resources.requests.insert("cpu".into(), Quantity::parse("250m").unwrap());
        p.spec.containers.push(ctr);
        c.create(Object::Pod(p)).unwrap();
        c.create(Object::ConfigMap(ConfigMap { metadata: ObjectMeta::named("default", "cm"), ..Default::default() })).unwrap();
        let used = &c.get::<ResourceQuota>("default", "q").unwrap().status.used;
        assert_eq!(used["pods"].to_string(), "1");
        assert_eq!(used["requests.cpu"].to_string(), "250m");
        assert_eq!(used["services.nodeports"].to_string(), "0");
        // "cm" and the root CA publisher's kube-root-ca.crt
        assert_eq!(used["count/configmaps"].to_string(), "2");
        // A finished pod no longer counts.
        let mut p = c.get::<Pod>("default", "p").unwrap().clone();
        p.status.phase = PodPhase::Succeeded;
        c.api.update_status(Object::Pod(p)).unwrap();
        c.run_instant();
        assert_eq!(c.get::<ResourceQuota>("default", "q").unwrap().status.used["pods"].to_string(), "0");
    }
}
