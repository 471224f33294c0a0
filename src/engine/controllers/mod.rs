//! Controllers, one module each, as kube-controller-manager splits them.
//!
//! A controller is an informer handler plus a reconcile function:
//! [`Controller::watch`] maps each store change to keys on the controller's
//! work queue (cheaply: it must not scan the cluster), and
//! [`Controller::sync`] reconciles one key against the store, writing through
//! the API server. Controllers wake themselves at known deadlines with
//! `Api::wake_at`; there is no periodic full resync.

use crate::engine::api::ObjRef;
use crate::engine::apiserver::Api;
use crate::engine::store::Change;
use crate::engine::world::World;
use std::collections::{BTreeSet, VecDeque};

pub mod attachdetach;
pub mod controller_utils;
pub mod deployment;
pub mod disruption;
pub mod endpoints;
pub mod expand;
pub mod garbagecollector;
pub mod history;
pub mod namespace;
pub mod nodelifecycle;
pub mod podgc;
pub mod provisioner;
pub mod pvbinder;
pub mod pvcprotection;
pub mod pvprotection;
pub mod replicaset;
pub mod resourcequota;
pub mod serviceaccount;
pub mod statefulset;
pub mod tainteviction;
#[cfg(test)]
mod testkit;

/// Every controller of the simulated control plane, plus the kubelets.
pub fn all() -> Vec<Box<dyn Controller>> {
    vec![
        Box::new(namespace::NamespaceController::default()),
        Box::new(serviceaccount::ServiceAccountController::default()),
        Box::new(deployment::DeploymentController::default()),
        Box::new(replicaset::ReplicaSetController::default()),
        Box::new(statefulset::StatefulSetController::default()),
        Box::new(garbagecollector::GarbageCollector::default()),
        Box::new(pvbinder::PvBinder::default()),
        Box::new(provisioner::Provisioner::default()),
        Box::new(pvprotection::PvProtection),
        Box::new(pvcprotection::PvcProtection),
        Box::new(attachdetach::AttachDetach::default()),
        Box::new(expand::Expander::default()),
        Box::new(resourcequota::ResourceQuotaController),
        Box::new(crate::engine::scheduler::Scheduler::new()),
        Box::new(endpoints::EndpointsController::new()),
        Box::new(disruption::Disruption::new()),
        Box::new(nodelifecycle::NodeLifecycle::new()),
        Box::new(tainteviction::TaintEviction::new()),
        Box::new(podgc::PodGc::new()),
        Box::new(crate::engine::kubelet::Kubelet::new()),
    ]
}

/// Every control loop in the simulation, in the order the cluster gives
/// them turns within one instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Ctl {
    Namespace,
    ServiceAccount,
    Deployment,
    ReplicaSet,
    StatefulSet,
    GarbageCollector,
    Scheduler,
    PvBinder,
    Provisioner,
    PvProtection,
    PvcProtection,
    AttachDetach,
    Expander,
    ResourceQuota,
    Endpoints,
    Disruption,
    NodeLifecycle,
    TaintEviction,
    PodGc,
    Kubelet,
}

/// What a controller may touch while it reconciles: the API (store, clock,
/// random generator, events, timers) and the physical world (machines,
/// disks, files).
pub struct Cx<'a> {
    pub api: &'a mut Api,
    pub world: &'a mut World,
}

pub trait Controller: ControllerClone {
    fn id(&self) -> Ctl;
    /// Maps one change to queue keys. Must do work proportional to the change.
    fn watch(&mut self, change: &Change, api: &Api, queue: &mut WorkQueue);
    /// Reconciles one key.
    fn sync(&mut self, key: &ObjRef, cx: &mut Cx);
}

/// Controllers are cloned with the cluster (the page's checkpoints of a
/// session): any `Clone` controller is.
pub trait ControllerClone {
    fn clone_box(&self) -> Box<dyn Controller>;
}

impl<T: Controller + Clone + 'static> ControllerClone for T {
    fn clone_box(&self) -> Box<dyn Controller> {
        Box::new(self.clone())
    }
}

impl Clone for Box<dyn Controller> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

/// A deduplicating FIFO of keys, like client-go's workqueue.
#[derive(Clone, Debug, Default)]
pub struct WorkQueue {
    order: VecDeque<ObjRef>,
    queued: BTreeSet<ObjRef>,
}

impl WorkQueue {
    pub fn add(&mut self, key: ObjRef) {
        if self.queued.insert(key.clone()) {
            self.order.push_back(key);
        }
    }
    pub fn pop(&mut self) -> Option<ObjRef> {
        let k = self.order.pop_front()?;
        self.queued.remove(&k);
        Some(k)
    }
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
    pub fn len(&self) -> usize {
        self.order.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::api::Kind;

    #[test]
    fn queue_dedupes_and_keeps_order() {
        let mut q = WorkQueue::default();
        let a = ObjRef::new(Kind::Pod, "default", "a");
        let b = ObjRef::new(Kind::Pod, "default", "b");
        q.add(a.clone());
        q.add(b.clone());
        q.add(a.clone());
        assert_eq!(q.len(), 2);
        assert_eq!(q.pop(), Some(a.clone()));
        q.add(a.clone());
        assert_eq!(q.pop(), Some(b));
        assert_eq!(q.pop(), Some(a));
        assert!(q.is_empty());
    }
}
