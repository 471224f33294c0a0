//! The Deployment controller (pkg/controller/deployment): one ReplicaSet per
//! pod template, named `<deployment>-<pod-template-hash>`; revisions in the
//! `deployment.kubernetes.io/revision` annotations; RollingUpdate within
//! maxSurge/maxUnavailable and Recreate (old pods gone before new ones
//! start); proportional scaling; pause/resume; rollback to an old template
//! by reusing its ReplicaSet; the Progressing and Available conditions with
//! progressDeadlineSeconds; revisionHistoryLimit clean-up.

use super::controller_utils::*;
use super::history::{POD_TEMPLATE_HASH_LABEL, compute_hash, equal_ignore_hash};
use super::{Controller, Ctl, Cx, WorkQueue};
use crate::engine::api::*;
use crate::engine::apiserver::{Api, DeleteOptions, Reason};
use crate::engine::store::{Change, Op};
use crate::engine::time::{SECOND, Time};
use std::collections::BTreeMap;

const COMPONENT: &str = "deployment-controller";

pub const REVISION_ANNOTATION: &str = "deployment.kubernetes.io/revision";
pub const REVISION_HISTORY_ANNOTATION: &str = "deployment.kubernetes.io/revision-history";
pub const DESIRED_REPLICAS_ANNOTATION: &str = "deployment.kubernetes.io/desired-replicas";
pub const MAX_REPLICAS_ANNOTATION: &str = "deployment.kubernetes.io/max-replicas";
/// `apps.DeprecatedRollbackTo`: extensions/v1beta1's rollbackTo, round-tripped.
pub const DEPRECATED_ROLLBACK_TO: &str = "deprecated.deployment.rollback.to";
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

// Condition reasons (deploymentutil).
pub const REPLICA_SET_UPDATED: &str = "ReplicaSetUpdated";
pub const FAILED_RS_CREATE: &str = "ReplicaSetCreateError";
pub const NEW_REPLICA_SET: &str = "NewReplicaSetCreated";
pub const FOUND_NEW_RS: &str = "FoundNewReplicaSet";
pub const NEW_RS_AVAILABLE: &str = "NewReplicaSetAvailable";
pub const TIMED_OUT: &str = "ProgressDeadlineExceeded";
pub const PAUSED: &str = "DeploymentPaused";
pub const RESUMED: &str = "DeploymentResumed";
pub const MIN_AVAILABLE: &str = "MinimumReplicasAvailable";
pub const MIN_UNAVAILABLE: &str = "MinimumReplicasUnavailable";

/// `maxRevHistoryLengthInChars`.
const MAX_REV_HISTORY_CHARS: usize = 2000;

mod deployment_controller;
mod progress;
mod recreate;
mod rollback;
mod rolling;
mod sync;
mod util;

pub use deployment_controller::DeploymentController;
use deployment_controller::*;
use progress::*;
use recreate::*;
use rollback::*;
use rolling::*;
use sync::*;
use util::*;
pub use util::{max_surge, max_unavailable, new_condition, resolve_fenceposts, revision, set_deployment_condition};

// ---------------------------------------------------------------- invariants

/// Invariants that hold whenever the controllers have caught up: each
/// ReplicaSet a Deployment controls carries the pod-template-hash of its
/// name; a RollingUpdate never sizes its ReplicaSets beyond
/// replicas + maxSurge (or the maximum they were sized for before a
/// change of either); a Recreate Deployment never starts pods of its new
/// template while pods of an old one still exist, terminating or not.
pub fn check_invariants(api: &Api) -> Result<(), String> {
    for d in api.store.list_t::<Deployment>() {
        let rss: Vec<&ReplicaSet> = api
            .store
            .dependents(&d.metadata.uid)
            .filter(|r| r.kind == Kind::ReplicaSet)
            .filter_map(|r| api.store.get_ref(r).and_then(|o| ReplicaSet::from_object(o)))
            .filter(|rs| rs.metadata.controller_ref().is_some_and(|c| c.uid == d.metadata.uid))
            .collect();
        for rs in &rss {
            if let Some(h) = rs.metadata.label(POD_TEMPLATE_HASH_LABEL) {
                if !rs.metadata.name.ends_with(&format!("-{h}")) {
                    return Err(format!("ReplicaSet {} has pod-template-hash {h} that its name does not end with", rs.key()));
                }
                if rs.spec.selector.as_ref().and_then(|s| s.match_labels.get(POD_TEMPLATE_HASH_LABEL)).map(|s| s.as_str()) != Some(h) {
                    return Err(format!("ReplicaSet {} does not select its pod-template-hash", rs.key()));
                }
            }
        }
        if d.metadata.is_deleting() || d.spec.paused {
            continue;
        }
        if is_rolling(d) {
            let total: i32 = rss.iter().fold(0i32, |a, r| a.wrapping_add(rs_replicas(r)));
            let max = d_replicas(d).wrapping_add(max_surge(d));
            // a scale-down mid-rollout is proportional: allow the pre-scale maximum too
            let pre = rss.iter().filter_map(|r| annotation_i32(r, MAX_REPLICAS_ANNOTATION)).max().unwrap_or(max);
            if total > max.max(pre) {
                return Err(format!("Deployment {} sizes its ReplicaSets to {total}, more than {max}", d.key()));
            }
        } else if d.spec.strategy.type_ == DeploymentStrategyType::Recreate {
            let pods_of = |rs: &ReplicaSet| -> Vec<&Pod> {
                api.store
                    .dependents_of_kind(&rs.metadata.uid, Kind::Pod)
                    .filter_map(|r| api.store.get_ref(r).and_then(|o| Pod::from_object(o)))
                    .filter(|p| p.metadata.controller_ref().is_some_and(|c| c.uid == rs.metadata.uid))
                    .filter(|p| !is_pod_terminal(p))
                    .collect()
            };
            let new_pods: Vec<&Pod> = rss.iter().filter(|r| equal_ignore_hash(&r.spec.template, &d.spec.template)).flat_map(|r| pods_of(r)).collect();
            let old_pods: Vec<&Pod> = rss.iter().filter(|r| !equal_ignore_hash(&r.spec.template, &d.spec.template)).flat_map(|r| pods_of(r)).collect();
            // New pods only start once the old ones are gone. (Pods that
            // were started before an old pod began terminating, as when a
            // RollingUpdate is switched to Recreate mid-rollout, are not a
            // violation.)
            for o in &old_pods {
                let began = o
                    .metadata
                    .deletion_timestamp
                    .map(|t| t.0.saturating_sub(crate::engine::time::seconds(o.metadata.deletion_grace_period_seconds.unwrap_or(0))));
                for n in &new_pods {
                    let created = n.metadata.creation_timestamp.map(|t| t.0).unwrap_or(0);
                    if began.is_none_or(|b| created >= b) {
                        return Err(format!(
                            "Recreate Deployment {} runs new pod {} while old pod {} is still there",
                            d.key(),
                            n.metadata.name,
                            o.metadata.name
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
