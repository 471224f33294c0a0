//! The pvc-protection controller (pkg/controller/volume/pvcprotection): a
//! claim marked for deletion keeps its `kubernetes.io/pvc-protection`
//! finalizer while a pod that is scheduled to a node uses it. Such a claim
//! shows as Terminating until its last pod is gone.

use super::{Controller, Ctl, Cx, WorkQueue};
use crate::engine::api::*;
use crate::engine::apiserver::Api;
use crate::engine::storage::{FINALIZER_PVC_PROTECTION, pod_claims};
use crate::engine::store::Change;

#[derive(Clone, Default)]
pub struct PvcProtection;

/// `podUsesPVCForDeletion`: only scheduled pods hold a claim (the kubelet
/// refuses to start a pod whose claim is being deleted).
pub fn claim_in_use(api: &Api, namespace: &str, claim: &str) -> bool {
    api.store.pods_using_claim(namespace, claim).any(|p| !p.spec.node_name.is_empty())
}

impl Controller for PvcProtection {
    fn id(&self) -> Ctl {
        Ctl::PvcProtection
    }

    fn watch(&mut self, ch: &Change, api: &Api, q: &mut WorkQueue) {
        match ch.kind {
            Kind::PersistentVolumeClaim => {
                if let (_, Some(c)) = ch.typed::<PersistentVolumeClaim>()
                    && c.metadata.is_deleting()
                    && c.metadata.has_finalizer(FINALIZER_PVC_PROTECTION)
                {
                    q.add(ch.obj_ref());
                }
            }
            Kind::Pod => {
                // A pod that goes away (or was never scheduled) may release its claims.
                let (old, new) = ch.typed::<Pod>();
                let released = match (old, new) {
                    (Some(_), None) => true,
                    (_, Some(n)) => n.spec.node_name.is_empty() || n.metadata.is_deleting(),
                    _ => false,
                };
                if !released {
                    return;
                }
                let p = old.or(new).expect("a change has an object");
                for claim in pod_claims(p) {
                    let deleting = api.get_t::<PersistentVolumeClaim>(&p.metadata.namespace, claim).is_some_and(|c| c.metadata.is_deleting());
                    if deleting {
                        q.add(ObjRef::new(Kind::PersistentVolumeClaim, &p.metadata.namespace, claim));
                    }
                }
            }
            _ => {}
        }
    }

    fn sync(&mut self, key: &ObjRef, cx: &mut Cx) {
        let Some(c) = cx.api.get_t::<PersistentVolumeClaim>(&key.key.namespace, &key.key.name) else { return };
        if !c.metadata.is_deleting() || !c.metadata.has_finalizer(FINALIZER_PVC_PROTECTION) {
            return;
        }
        if claim_in_use(cx.api, &key.key.namespace, &key.key.name) {
            return;
        }
        let _ = cx.api.remove_finalizer(Kind::PersistentVolumeClaim, &key.key, FINALIZER_PVC_PROTECTION);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Cluster;
    use crate::engine::quantity::Quantity;

    #[test]
    fn only_scheduled_pods_hold_a_claim() {
        let mut c = Cluster::new(1);
        let mut cl = PersistentVolumeClaim { metadata: ObjectMeta::named("default", "c"), ..Default::default() };
        cl.spec.access_modes = vec![PersistentVolumeAccessMode::ReadWriteOnce];
        cl.spec.resources.requests.insert("storage".into(), Quantity::parse("1Gi").unwrap());
        c.create(Object::PersistentVolumeClaim(cl)).unwrap();
        let mut p = Pod { metadata: ObjectMeta::named("default", "p"), ..Default::default() };
        p.spec.containers.push(Container { name: "c".into(), image: "busybox".into(), ..Default::default() });
        p.spec.volumes.push(Volume {
            name: "v".into(),
            persistent_volume_claim: Some(PvcVolumeSource { claim_name: "c".into(), read_only: false }),
            ..Default::default()
        });
        c.create(Object::Pod(p)).unwrap();
        assert!(!claim_in_use(&c.api, "default", "c"));
        let mut p = c.get::<Pod>("default", "p").unwrap().clone();
        p.spec.node_name = "node-a".into();
        c.update(Object::Pod(p)).unwrap();
        assert!(claim_in_use(&c.api, "default", "c"));
        c.delete(Kind::PersistentVolumeClaim, "default", "c", &Default::default()).unwrap();
        assert!(c.get::<PersistentVolumeClaim>("default", "c").unwrap().metadata.is_deleting());
        c.delete(Kind::Pod, "default", "p", &crate::engine::apiserver::DeleteOptions { grace_period: Some(0), ..Default::default() }).unwrap();
        assert!(c.get::<PersistentVolumeClaim>("default", "c").is_none());
    }
}
