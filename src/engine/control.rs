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

use crate::engine::api::{ObjKey, ObjRef};
use crate::engine::apiserver::Api;
pub use crate::engine::apiserver::Ctl;
use crate::engine::cri::ContainerRuntime;
use crate::engine::store::Change;
use crate::engine::world::World;
use std::collections::BTreeSet;

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
///
/// The FIFO is a `Vec` read from `next` on (emptied when all of it is
/// read: every instant drains the queues), not a `VecDeque`, which the wasm
/// had for this queue only.
#[derive(Clone, Debug, Default)]
pub struct WorkQueue {
    order: Vec<ObjRef>,
    next: usize,
    queued: BTreeSet<ObjRef>,
}

impl WorkQueue {
    pub fn add(&mut self, key: ObjRef) {
        if self.queued.insert(key.clone()) {
            self.order.push(key);
        }
    }
    pub fn pop(&mut self) -> Option<ObjRef> {
        let slot = self.order.get_mut(self.next)?;
        let k = std::mem::replace(slot, ObjRef { kind: slot.kind, key: ObjKey::default() });
        self.next += 1;
        if self.next == self.order.len() {
            self.order.clear();
            self.next = 0;
        }
        self.queued.remove(&k);
        Some(k)
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn len(&self) -> usize {
        self.order.len() - self.next
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
        assert_eq!(q.len(), 2);
        assert_eq!(q.pop(), Some(b.clone()));
        assert_eq!(q.pop(), Some(a.clone()));
        assert!(q.is_empty());
        assert_eq!(q.pop(), None);
        // Emptied, it starts over.
        q.add(b.clone());
        q.add(b.clone());
        assert_eq!((q.len(), q.pop(), q.pop()), (1, Some(b), None));
    }
}
