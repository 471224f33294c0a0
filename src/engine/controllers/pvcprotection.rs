//! The pvc-protection controller (pkg/controller/volume/pvcprotection): a
//! claim marked for deletion keeps its `kubernetes.io/pvc-protection`
//! finalizer while a pod that is scheduled to a node uses it. Such a claim
//! shows as Terminating until its last pod is gone.

use super::{Controller, Ctl, Cx, WorkQueue};
use crate::engine::api::*;
use crate::engine::apiserver::Api;
use crate::engine::storage::{pod_claims, FINALIZER_PVC_PROTECTION};
use crate::engine::store::Change;

#[derive(Default)]
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
                if let (_, Some(c)) = ch.typed::<PersistentVolumeClaim>() {
                    if c.metadata.is_deleting() && c.metadata.has_finalizer(FINALIZER_PVC_PROTECTION) {
                        q.add(ch.obj_ref());
                    }
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
