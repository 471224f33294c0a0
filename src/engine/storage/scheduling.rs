//! The scheduler's volume plugins (VolumeBinding, VolumeRestrictions,
//! VolumeZone, NodeVolumeLimits), called by `scheduler.rs`:
//!
//! 1. [`pre_filter`] once per scheduling attempt: can the pod's volumes be
//!    satisfied at all (claims exist, immediate claims are bound, ...)?
//! 2. [`filter`] per node: do the pod's volumes allow this node?
//! 3. [`pre_bind`] once a node is chosen: bind or provision what
//!    WaitForFirstConsumer claims need; the scheduler binds the pod only when
//!    this says `Ready`, and tries again when claims change while `Waiting`.

use crate::engine::api::*;
use crate::engine::apiserver::Api;
use crate::engine::controllers::Cx;

/// Why a pod cannot be scheduled at all, as the status message the
/// scheduler puts into its FailedScheduling event.
pub fn pre_filter(api: &Api, pod: &Pod) -> Result<(), String> {
    let _ = (api, pod);
    Ok(())
}

/// Why `node` does not fit the pod's volumes: the reason text counted in
/// `0/3 nodes are available: 2 node(s) had volume node affinity conflict.`
pub fn filter(api: &Api, pod: &Pod, node: &Node) -> Result<(), String> {
    let _ = (api, pod, node);
    Ok(())
}

/// The outcome of binding a pod's volumes on the chosen node.
#[derive(Clone, Debug, PartialEq)]
pub enum PreBind {
    /// Every claim is bound: bind the pod.
    Ready,
    /// Binding or provisioning is under way: keep the pod assumed on the node.
    Waiting,
    /// It failed: the pod goes back to the queue with this message.
    Failed(String),
}

pub fn pre_bind(cx: &mut Cx, pod: &Pod, node: &str) -> PreBind {
    let _ = (cx, pod, node);
    PreBind::Ready
}
