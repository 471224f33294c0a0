//! The contract every control loop of the simulation keeps (the
//! controllers, the scheduler, the kubelets), as client-go's informers and
//! workqueue give it to kube-controller-manager's loops.
//!
//! A controller is an informer handler plus a reconcile function:
//! [`Controller::watch`] maps each store change to keys on the controller's
//! work queue (cheaply: it must not scan the cluster), and
//! [`Controller::sync`] reconciles one key against the store, writing through
//! the API server. Controllers wake themselves at known deadlines with
//! `Api::wake_at`; there is no periodic full resync.

use crate::engine::api::ObjRef;
use crate::engine::apiserver::Api;
pub use crate::engine::apiserver::Ctl;
use crate::engine::cri::ContainerRuntime;
use crate::engine::store::Change;
use crate::engine::world::World;
use std::collections::{BTreeSet, VecDeque};

/// What a controller may touch while it reconciles: the API (store, clock,
/// random generator, events, timers), the physical world (machines, disks,
/// files) and the container runtime that runs what is on the machines (the
/// kubelet's: the other loops leave it alone). The cluster owns all three.
pub struct Cx<'a> {
    pub api: &'a mut Api,
    pub world: &'a mut World,
    pub rt: &'a mut dyn ContainerRuntime,
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
