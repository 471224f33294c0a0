//! The resource quota controller (pkg/controller/resourcequota): keeps each
//! ResourceQuota's status.hard (a copy of spec.hard) and status.used (what
//! the namespace's objects use of every resource the quota limits). The
//! quota admission plugin refuses what would exceed it.

use super::{Controller, Ctl, Cx, WorkQueue};
use crate::engine::api::*;
use crate::engine::apiserver::Api;
pub use crate::engine::apiserver::admission::{claim_storage, counts_kind, pod_counts, pod_resource};
use crate::engine::apiserver::crd;
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
        "pods" => count(pods().count()),
        "requests.cpu" | "cpu" => sum(&mut pods().map(|p| pod_resource(p, "requests", "cpu"))),
        "requests.memory" | "memory" => sum(&mut pods().map(|p| pod_resource(p, "requests", "memory"))),
        "limits.cpu" => sum(&mut pods().map(|p| pod_resource(p, "limits", "cpu"))),
        "limits.memory" => sum(&mut pods().map(|p| pod_resource(p, "limits", "memory"))),
        "persistentvolumeclaims" => count(claims().count()),
        "requests.storage" => sum(&mut claims().map(claim_storage)),
        "services" => count(api.store.list_ns(Kind::Service, ns).count()),
        "services.nodeports" => {
            count(api.store.list_ns_t::<Service>(ns).filter(|s| s.spec.type_ == "NodePort" || s.spec.type_ == "LoadBalancer").map(|s| s.spec.ports.len()).sum())
        }
        "services.loadbalancers" => count(api.store.list_ns_t::<Service>(ns).filter(|s| s.spec.type_ == "LoadBalancer").count()),
        "configmaps" => count(api.store.list_ns(Kind::ConfigMap, ns).count()),
        "secrets" => count(api.store.list_ns(Kind::Secret, ns).count()),
        "resourcequotas" => count(api.store.list_ns(Kind::ResourceQuota, ns).count()),
        "replicationcontrollers" => count(api.store.list_ns(Kind::ReplicationController, ns).count()),
        r => {
            if let Some(class) = r.strip_suffix(".storageclass.storage.k8s.io/requests.storage") {
                sum(&mut claims().filter(|c| claim_class(c) == class).map(claim_storage))
            } else if let Some(class) = r.strip_suffix(".storageclass.storage.k8s.io/persistentvolumeclaims") {
                count(claims().filter(|c| claim_class(c) == class).count())
            } else {
                // object counts of every kind served, custom resources too
                let custom = crd::kinds(&api.store).into_iter().map(|(k, _)| k);
                let kind = Kind::ALL.iter().copied().chain(custom).find(|k| counts_kind(r, *k))?;
                count(api.store.list_ns(kind, ns).count())
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
        for (k, v) in [
            ("pods", "10"),
            ("count/pods", "10"),
            ("count/configmaps", "5"),
            ("services.nodeports", "2"),
            ("requests.cpu", "2"),
            ("count/jobs.batch", "1"),
            ("count/jobs", "1"),
        ] {
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
        assert_eq!(used["count/jobs.batch"].to_string(), "0");
        assert!(!used.contains_key("count/jobs"), "not the name of a resource: nothing counts it");
        // A finished pod no longer counts.
        let mut p = c.get::<Pod>("default", "p").unwrap().clone();
        p.status.phase = PodPhase::Succeeded;
        c.api.update_status(Object::Pod(p)).unwrap();
        c.run_instant();
        let used = &c.get::<ResourceQuota>("default", "q").unwrap().status.used;
        assert_eq!(used["pods"].to_string(), "0");
        assert_eq!(used["count/pods"].to_string(), "1", "object counts count finished pods too");
    }

    #[test]
    fn object_count_names() {
        assert!(counts_kind("count/jobs.batch", Kind::Job));
        assert!(counts_kind("count/deployments.apps", Kind::Deployment));
        assert!(counts_kind("count/pods", Kind::Pod));
        assert!(counts_kind("count/endpointslices.discovery.k8s.io", Kind::EndpointSlice));
        for (r, k) in [
            ("count/jobs", Kind::Job),
            ("count/job.batch", Kind::Job),
            ("count/deploy.apps", Kind::Deployment),
            ("count/pods.v1", Kind::Pod),
            ("count/events", Kind::Event),
            ("count/nodes", Kind::Node),
            ("jobs.batch", Kind::Job),
        ] {
            assert!(!counts_kind(r, k), "{r}");
        }
    }
}
