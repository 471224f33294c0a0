//! Controllers, one module each, as kube-controller-manager splits them.
//! Each implements [`Controller`] (see `engine::control` for the contract);
//! the cluster assembles them with the scheduler and the kubelets.

pub use crate::engine::control::{Controller, ControllerClone, Ctl, Cx, WorkQueue};

pub mod attachdetach;
pub mod clusterroleaggregation;
pub mod controller_utils;
pub mod cronjob;
pub mod daemon;
pub mod deployment;
pub mod disruption;
pub mod endpoints;
pub mod endpointslice;
pub mod expand;
pub mod garbagecollector;
pub mod history;
pub mod job;
pub mod namespace;
pub mod nodelifecycle;
pub mod podautoscaler;
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
pub mod ttlafterfinished;
