//! Identity, storage and revision helpers (stateful_set_utils.go).

use crate::engine::api::*;
use crate::engine::controllers::controller_utils::{is_pod_available, is_pod_ready, new_controller_ref, pod_from_template};
use crate::engine::controllers::history;
use crate::engine::time::Time;

/// `apps.StatefulSetPodNameLabel`.
pub const POD_NAME_LABEL: &str = "statefulset.kubernetes.io/pod-name";
/// `apps.PodIndexLabel`.
pub const POD_INDEX_LABEL: &str = "apps.kubernetes.io/pod-index";
/// `apps.StatefulSetRevisionLabel`.
pub const REVISION_LABEL: &str = "controller-revision-hash";

/// `getParentNameAndOrdinal`: `(.*)-([0-9]+)$`; the ordinal is -1 when the
/// name has no numeric suffix (or it does not fit an int32).
pub fn parent_and_ordinal(name: &str) -> (String, i64) {
    let (p, o) = parent_and_ordinal_ref(name);
    (p.to_string(), o)
}

/// `getParentNameAndOrdinal` without allocating.
pub fn parent_and_ordinal_ref(name: &str) -> (&str, i64) {
    let Some(i) = name.rfind('-') else { return ("", -1) };
    let digits = &name[i + 1..];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return ("", -1);
    }
    let ord = digits.parse::<i32>().map(|v| v as i64).unwrap_or(-1);
    (&name[..i], ord)
}

/// Digits as `%d` prints them (no leading zeros).
fn canonical_digits(d: &str, ord: i64) -> bool {
    (d == "0" || !d.starts_with('0')) && d.parse::<i64>() == Ok(ord)
}

/// `claim == <template>-<set>-<ordinal>`, without building the name.
pub fn claim_name_is(claim: &str, template: &str, set: &str, ord: i64) -> bool {
    claim
        .strip_prefix(template)
        .and_then(|r| r.strip_prefix('-'))
        .and_then(|r| r.strip_prefix(set))
        .and_then(|r| r.strip_prefix('-'))
        .is_some_and(|d| canonical_digits(d, ord))
}

pub fn ordinal(pod: &Pod) -> i64 {
    parent_and_ordinal_ref(&pod.metadata.name).1
}

pub fn start_ordinal(set: &StatefulSet) -> i64 {
    set.spec.ordinals.as_ref().map(|o| o.start as i64).unwrap_or(0)
}

pub fn replicas(set: &StatefulSet) -> i64 {
    set.spec.replicas.unwrap_or(1) as i64
}

pub fn end_ordinal(set: &StatefulSet) -> i64 {
    start_ordinal(set) + replicas(set) - 1
}

pub fn in_ordinal_range(pod: &Pod, set: &StatefulSet) -> bool {
    let o = ordinal(pod);
    o >= start_ordinal(set) && o <= end_ordinal(set)
}

pub fn pod_name(set: &StatefulSet, ordinal: i64) -> String {
    format!("{}-{}", set.metadata.name, ordinal)
}

pub fn claim_name(set: &StatefulSet, template: &PersistentVolumeClaim, ordinal: i64) -> String {
    format!("{}-{}-{}", template.metadata.name, set.metadata.name, ordinal)
}

/// `isMemberOf`.
pub fn is_member_of(set: &StatefulSet, pod: &Pod) -> bool {
    parent_and_ordinal_ref(&pod.metadata.name).0 == set.metadata.name
}

/// `identityMatches`.
pub fn identity_matches(set: &StatefulSet, pod: &Pod) -> bool {
    let name = &pod.metadata.name;
    let (parent, ord) = parent_and_ordinal_ref(name);
    ord >= 0
        && set.metadata.name == parent
        && canonical_digits(&name[parent.len() + 1..], ord)
        && pod.metadata.namespace == set.metadata.namespace
        && pod.metadata.label(POD_NAME_LABEL) == Some(name.as_str())
}

/// `storageMatches`.
pub fn storage_matches(set: &StatefulSet, pod: &Pod) -> bool {
    let ord = ordinal(pod);
    if ord < 0 {
        return false;
    }
    set.spec.volume_claim_templates.iter().all(|t| {
        pod.spec
            .volumes
            .iter()
            .find(|v| v.name == t.metadata.name)
            .and_then(|v| v.persistent_volume_claim.as_ref())
            .is_some_and(|c| claim_name_is(&c.claim_name, &t.metadata.name, &set.metadata.name, ord))
    })
}

/// `getPersistentVolumeClaimRetentionPolicy`: (whenDeleted, whenScaled).
pub fn retention_policy(set: &StatefulSet) -> (bool, bool) {
    let p = set.spec.persistent_volume_claim_retention_policy.clone().unwrap_or_default();
    (p.when_deleted == PersistentVolumeClaimRetentionPolicyType::Delete, p.when_scaled == PersistentVolumeClaimRetentionPolicyType::Delete)
}

/// `getPersistentVolumeClaims`: the claims a pod of this ordinal uses, by
/// template name, labelled with the selector's matchLabels.
pub fn claims_for(set: &StatefulSet, pod: &Pod) -> Vec<(String, PersistentVolumeClaim)> {
    let ord = ordinal(pod);
    let match_labels = set.spec.selector.as_ref().map(|s| s.match_labels.clone()).unwrap_or_default();
    set.spec
        .volume_claim_templates
        .iter()
        .map(|t| {
            let mut c = t.clone();
            c.metadata.name = claim_name(set, t, ord);
            c.metadata.namespace = set.metadata.namespace.clone();
            for (k, v) in &match_labels {
                c.metadata.labels.insert(k.clone(), v.clone());
            }
            (t.metadata.name.clone(), c)
        })
        .collect()
}

/// `updateStorage`: the claim volumes first (template order), then the
/// pod's other volumes.
pub fn update_storage(set: &StatefulSet, pod: &mut Pod) {
    let claims = claims_for(set, pod);
    let mut volumes: Vec<Volume> = claims
        .iter()
        .map(|(name, c)| Volume {
            name: name.clone(),
            persistent_volume_claim: Some(PvcVolumeSource { claim_name: c.metadata.name.clone(), read_only: false }),
            ..Default::default()
        })
        .collect();
    for v in &pod.spec.volumes {
        if !claims.iter().any(|(n, _)| n == &v.name) {
            volumes.push(v.clone());
        }
    }
    pod.spec.volumes = volumes;
}

/// `updateIdentity`.
pub fn update_identity(set: &StatefulSet, pod: &mut Pod) {
    let ord = ordinal(pod);
    pod.metadata.name = pod_name(set, ord);
    pod.metadata.namespace = set.metadata.namespace.clone();
    pod.metadata.labels.insert(POD_NAME_LABEL.into(), pod.metadata.name.clone());
    pod.metadata.labels.insert(POD_INDEX_LABEL.into(), ord.to_string());
}

/// `initIdentity`: also the hostname and the headless-service subdomain.
pub fn init_identity(set: &StatefulSet, pod: &mut Pod) {
    update_identity(set, pod);
    pod.spec.hostname = pod.metadata.name.clone();
    pod.spec.subdomain = set.spec.service_name.clone();
}

pub fn is_running_and_ready(p: &Pod) -> bool {
    p.status.phase == PodPhase::Running && is_pod_ready(p)
}

pub fn is_running_and_available(p: &Pod, min_ready: i32, now: Time) -> bool {
    is_pod_available(p, min_ready, now)
}

/// A pod object that exists (the API server gave it a phase).
pub fn is_created(p: &Pod) -> bool {
    !p.status.phase.is_empty()
}

pub fn is_pending(p: &Pod) -> bool {
    p.status.phase == PodPhase::Pending
}

pub fn is_failed(p: &Pod) -> bool {
    p.status.phase == PodPhase::Failed
}

pub fn is_succeeded(p: &Pod) -> bool {
    p.status.phase == PodPhase::Succeeded
}

pub fn is_terminating(p: &Pod) -> bool {
    p.metadata.is_deleting()
}

pub fn is_unavailable(p: &Pod, min_ready: i32, now: Time) -> bool {
    !is_pod_available(p, min_ready, now) || is_terminating(p)
}

pub fn allows_burst(set: &StatefulSet) -> bool {
    set.spec.pod_management_policy == PodManagementPolicyType::Parallel
}

pub fn pod_revision(p: &Pod) -> &str {
    p.metadata.label(REVISION_LABEL).unwrap_or("")
}

/// `newStatefulSetPod`.
pub fn new_stateful_pod(set: &StatefulSet, ordinal: i64) -> Pod {
    let mut pod = pod_from_template(&set.spec.template, &set.metadata.name, new_controller_ref(&set.metadata, Kind::StatefulSet));
    pod.metadata.name = pod_name(set, ordinal);
    init_identity(set, &mut pod);
    update_storage(set, &mut pod);
    pod
}

/// `newVersionedStatefulSetPod`: ordinals below the partition (or below
/// currentReplicas without a rollingUpdate block) get the current revision.
pub fn new_versioned_pod(current_set: &StatefulSet, update_set: &StatefulSet, current_rev: &str, update_rev: &str, ordinal: i64) -> Pod {
    let ru = current_set.spec.update_strategy.rolling_update.as_ref();
    let rolling = current_set.spec.update_strategy.type_ == StatefulSetUpdateStrategyType::RollingUpdate;
    let use_current = (rolling && ru.is_none() && ordinal < start_ordinal(current_set) + current_set.status.current_replicas as i64)
        || ru.is_some_and(|r| ordinal < start_ordinal(current_set) + r.partition.unwrap_or(0) as i64);
    let (set, rev) = if use_current { (current_set, current_rev) } else { (update_set, update_rev) };
    let mut pod = new_stateful_pod(set, ordinal);
    pod.metadata.labels.insert(REVISION_LABEL.into(), rev.to_string());
    pod
}

/// `newRevision`: the set's template as a ControllerRevision, carrying the
/// set's annotations.
pub fn new_revision(set: &StatefulSet, revision: i64, collision_count: Option<i32>) -> ControllerRevision {
    let mut cr = history::new_controller_revision(
        &set.metadata,
        Kind::StatefulSet,
        &set.spec.template.metadata.labels,
        history::statefulset_patch(set),
        revision,
        collision_count,
    );
    for (k, v) in &set.metadata.annotations {
        cr.metadata.annotations.insert(k.clone(), v.clone());
    }
    cr
}

/// `nextRevision`.
pub fn next_revision(revisions: &[ControllerRevision]) -> i64 {
    revisions.last().map(|r| r.revision + 1).unwrap_or(1)
}

/// `inconsistentStatus`.
pub fn inconsistent_status(set: &StatefulSet, st: &StatefulSetStatus) -> bool {
    let cur = &set.status;
    st.observed_generation > cur.observed_generation
        || st.replicas != cur.replicas
        || st.current_replicas != cur.current_replicas
        || st.ready_replicas != cur.ready_replicas
        || st.updated_replicas != cur.updated_replicas
        || st.current_revision != cur.current_revision
        || st.available_replicas != cur.available_replicas
        || st.update_revision != cur.update_revision
}

/// `completeRollingUpdate`.
pub fn complete_rolling_update(set: &StatefulSet, st: &mut StatefulSetStatus) {
    let r = replicas(set) as i32;
    if set.spec.update_strategy.type_ == StatefulSetUpdateStrategyType::RollingUpdate && st.updated_replicas == r && st.ready_replicas == r && st.replicas == r
    {
        st.current_replicas = st.updated_replicas;
        st.current_revision = st.update_revision.clone();
    }
}

/// `getStatefulSetMaxUnavailable`: at least one.
pub fn max_unavailable(mu: Option<&IntOrString>, replicas: i32) -> Result<i32, String> {
    let v = mu.cloned().unwrap_or(IntOrString::Int(1)).scaled_value(replicas, false)?;
    Ok(v.max(1))
}

// ---------------------------------------------------------------- claim retention

const POD_API_VERSION: &str = "v1";

fn matches_ref(r: &OwnerReference, api_version: &str, kind: &str, name: &str) -> bool {
    r.api_version == api_version && r.kind == kind && r.name == name
}

fn matches_set(r: &OwnerReference, set: &StatefulSet) -> bool {
    matches_ref(r, "apps/v1", "StatefulSet", &set.metadata.name)
}

fn matches_pod(r: &OwnerReference, pod: &Pod) -> bool {
    matches_ref(r, POD_API_VERSION, "Pod", &pod.metadata.name)
}

/// `hasUnexpectedController`.
pub fn has_unexpected_controller(claim: &PersistentVolumeClaim, set: &StatefulSet, pod: &Pod) -> bool {
    let (wd, ws) = retention_policy(set);
    if !wd && !ws {
        return false;
    }
    for r in &claim.metadata.owner_references {
        if matches_set(r, set) {
            if r.uid != set.metadata.uid {
                return true;
            }
            continue;
        }
        if matches_pod(r, pod) {
            if r.uid != pod.metadata.uid {
                return true;
            }
            continue;
        }
        if r.controller == Some(true) {
            return true;
        }
    }
    false
}

fn has_non_controller_owner(claim: &PersistentVolumeClaim, set: &StatefulSet, pod: &Pod) -> bool {
    claim.metadata.owner_references.iter().any(|r| (r.uid == set.metadata.uid || r.uid == pod.metadata.uid) && r.controller != Some(true))
}

fn has_owner_ref(claim: &PersistentVolumeClaim, uid: &str) -> bool {
    claim.metadata.owner_references.iter().any(|r| r.uid == uid)
}

/// `hasStaleOwnerRef`: a reference by name to an object with another uid.
pub fn has_stale_pod_ref(claim: &PersistentVolumeClaim, pod: &Pod) -> bool {
    claim.metadata.owner_references.iter().find(|r| matches_pod(r, pod)).is_some_and(|r| r.uid != pod.metadata.uid)
}

fn has_stale_set_ref(claim: &PersistentVolumeClaim, set: &StatefulSet) -> bool {
    claim.metadata.owner_references.iter().find(|r| matches_set(r, set)).is_some_and(|r| r.uid != set.metadata.uid)
}

/// `isClaimOwnerUpToDate`.
pub fn is_claim_owner_up_to_date(claim: &PersistentVolumeClaim, set: &StatefulSet, pod: &Pod) -> bool {
    if has_stale_set_ref(claim, set) || has_stale_pod_ref(claim, pod) {
        return true;
    }
    if has_unexpected_controller(claim, set, pod) {
        return !(has_owner_ref(claim, &set.metadata.uid) || has_owner_ref(claim, &pod.metadata.uid));
    }
    if has_non_controller_owner(claim, set, pod) {
        return false;
    }
    let set_ref = has_owner_ref(claim, &set.metadata.uid);
    let pod_ref = has_owner_ref(claim, &pod.metadata.uid);
    let scaled_down = !in_ordinal_range(pod, set);
    match retention_policy(set) {
        (false, false) => !(set_ref || pod_ref),
        (true, false) => set_ref && !pod_ref,
        (false, true) => !set_ref && scaled_down == pod_ref,
        (true, true) => scaled_down != set_ref && scaled_down == pod_ref,
    }
}

/// `updateClaimOwnerRefForSetAndPod`.
pub fn update_claim_owner_refs(claim: &mut PersistentVolumeClaim, set: &StatefulSet, pod: &Pod) {
    let unexpected = has_unexpected_controller(claim, set, pod);
    claim.metadata.owner_references.retain(|r| !(matches_set(r, set) || matches_pod(r, pod)));
    if unexpected {
        return;
    }
    let scaled_down = !in_ordinal_range(pod, set);
    let add = |refs: &mut Vec<OwnerReference>, r: OwnerReference| {
        if !refs.iter().any(|x| x.uid == r.uid) {
            refs.push(r);
        }
    };
    let set_ref = new_controller_ref(&set.metadata, Kind::StatefulSet);
    let pod_ref = new_controller_ref(&pod.metadata, Kind::Pod);
    let refs = &mut claim.metadata.owner_references;
    match retention_policy(set) {
        (false, false) => {}
        (true, false) => add(refs, set_ref),
        (false, true) => {
            if scaled_down {
                add(refs, pod_ref);
            }
        }
        (true, true) => {
            if scaled_down {
                add(refs, pod_ref);
            } else {
                add(refs, set_ref);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claim_names_compare_without_allocating() {
        assert!(claim_name_is("data-web-3", "data", "web", 3));
        assert!(!claim_name_is("data-web-03", "data", "web", 3));
        assert!(!claim_name_is("data-web-3", "data", "we", 3));
        assert!(claim_name_is("data-my-db-0", "data", "my-db", 0));
    }

    #[test]
    fn ordinals_parse_like_the_regex() {
        assert_eq!(parent_and_ordinal("web-0"), ("web".into(), 0));
        assert_eq!(parent_and_ordinal("my-db-12"), ("my-db".into(), 12));
        assert_eq!(parent_and_ordinal("web"), ("".into(), -1));
        assert_eq!(parent_and_ordinal("web-x1"), ("".into(), -1));
        assert_eq!(parent_and_ordinal("web-99999999999"), ("web".into(), -1));
    }
}
