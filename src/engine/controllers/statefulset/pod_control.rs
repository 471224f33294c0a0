//! Pod and claim operations with their events (stateful_pod_control.go):
//! "Create Pod web-0 in StatefulSet web successful",
//! "Create Claim data-web-0 Pod web-0 in StatefulSet web success", ...

use super::utils::*;
use crate::engine::api::*;
use crate::engine::apiserver::{Api, DeleteOptions, Reason};
use crate::engine::controllers::controller_utils::aggregate;

pub const COMPONENT: &str = "statefulset-controller";

fn title(verb: &str) -> String {
    let mut c = verb.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn set_obj(set: &StatefulSet) -> Object {
    Object::StatefulSet(set.clone())
}

/// `recordPodEvent`.
pub fn record_pod_event(api: &mut Api, verb: &str, set: &StatefulSet, pod: &Pod, err: Option<&str>) {
    let v = title(verb);
    match err {
        None => api.event(
            &set_obj(set),
            "Normal",
            &format!("Successful{v}"),
            &format!("{v} Pod {} in StatefulSet {} successful", pod.metadata.name, set.metadata.name),
            COMPONENT,
        ),
        Some(e) => api.event(
            &set_obj(set),
            "Warning",
            &format!("Failed{v}"),
            &format!("{v} Pod {} in StatefulSet {} failed error: {e}", pod.metadata.name, set.metadata.name),
            COMPONENT,
        ),
    }
}

/// `recordClaimEvent`.
fn record_claim_event(api: &mut Api, verb: &str, set: &StatefulSet, pod: &Pod, claim: &str, err: Option<&str>) {
    let v = title(verb);
    match err {
        None => api.event(
            &set_obj(set),
            "Normal",
            &format!("Successful{v}"),
            &format!("{v} Claim {claim} Pod {} in StatefulSet {} success", pod.metadata.name, set.metadata.name),
            COMPONENT,
        ),
        Some(e) => api.event(
            &set_obj(set),
            "Warning",
            &format!("Failed{v}"),
            &format!("{v} Claim {claim} for Pod {} in StatefulSet {} failed error: {e}", pod.metadata.name, set.metadata.name),
            COMPONENT,
        ),
    }
}

/// `createPersistentVolumeClaims`: the pod's missing claims; a claim being
/// deleted is an error (the pod must wait for it to go and be remade).
pub fn create_claims(api: &mut Api, set: &StatefulSet, pod: &Pod) -> Result<(), String> {
    let mut errs = vec![];
    for (_, claim) in claims_for(set, pod) {
        let name = claim.metadata.name.clone();
        match api.get_t::<PersistentVolumeClaim>(&claim.metadata.namespace, &name) {
            None => match api.create(Object::PersistentVolumeClaim(claim)) {
                Ok(_) => record_claim_event(api, "create", set, pod, &name, None),
                Err(e) => {
                    // The claim event carries the API error itself; the
                    // returned error (and so the pod event) wraps it.
                    if e.reason != Reason::AlreadyExists {
                        record_claim_event(api, "create", set, pod, &name, Some(&e.message));
                    }
                    errs.push(format!("failed to create PVC {name}: {}", e.message));
                }
            },
            Some(existing) => {
                if existing.metadata.is_deleting() {
                    errs.push(format!("pvc {name} is being deleted"));
                }
            }
        }
    }
    if errs.is_empty() { Ok(()) } else { Err(aggregate(errs)) }
}

/// `CreateStatefulPod`: claims first, then the pod, then the claims' owner
/// references for the retention policy.
pub fn create_stateful_pod(api: &mut Api, set: &StatefulSet, pod: &Pod) -> Result<(), String> {
    if let Err(e) = create_claims(api, set, pod) {
        record_pod_event(api, "create", set, pod, Some(&e));
        return Err(e);
    }
    let r = api.create(Object::Pod(pod.clone()));
    if let Err(e) = &r
        && e.reason == Reason::AlreadyExists
    {
        return Err(e.message.clone());
    }
    if let Err(e) = update_claims_for_retention(api, set, pod) {
        record_pod_event(api, "update", set, pod, Some(&e));
        return Err(e);
    }
    let err = r.err().map(|e| e.message);
    record_pod_event(api, "create", set, pod, err.as_deref());
    match err {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// `UpdateStatefulPod`: repairs identity, storage and claim references.
pub fn update_stateful_pod(api: &mut Api, set: &StatefulSet, pod: &Pod) -> Result<(), String> {
    let mut pod = pod.clone();
    let mut consistent = true;
    if !identity_matches(set, &pod) {
        update_identity(set, &mut pod);
        consistent = false;
    }
    if !storage_matches(set, &pod) {
        update_storage(set, &mut pod);
        consistent = false;
        if let Err(e) = create_claims(api, set, &pod) {
            record_pod_event(api, "update", set, &pod, Some(&e));
            return Err(e);
        }
    }
    if !claims_match_retention(api, set, &pod) {
        if let Err(e) = update_claims_for_retention(api, set, &pod) {
            record_pod_event(api, "update", set, &pod, Some(&e));
            return Err(e);
        }
        consistent = false;
    }
    if consistent {
        return Ok(());
    }
    let r = api.update(Object::Pod(pod.clone())).map(|_| ()).map_err(|e| e.message);
    record_pod_event(api, "update", set, &pod, r.as_ref().err().map(|s| s.as_str()));
    r
}

/// `DeleteStatefulPod`.
pub fn delete_stateful_pod(api: &mut Api, set: &StatefulSet, pod: &Pod) -> Result<(), String> {
    match api.delete(Kind::Pod, &pod.metadata.namespace, &pod.metadata.name, &DeleteOptions::default()) {
        Ok(_) => {}
        Err(e) if e.is_not_found() => {}
        Err(e) => {
            record_pod_event(api, "delete", set, pod, Some(&e.message));
            return Err(e.message);
        }
    }
    record_pod_event(api, "delete", set, pod, None);
    Ok(())
}

/// `ClaimsMatchRetentionPolicy`.
pub fn claims_match_retention(api: &Api, set: &StatefulSet, pod: &Pod) -> bool {
    let ord = ordinal(pod);
    set.spec.volume_claim_templates.iter().all(|t| match api.get_t::<PersistentVolumeClaim>(&set.metadata.namespace, &claim_name(set, t, ord)) {
        None => true,
        Some(c) => is_claim_owner_up_to_date(c, set, pod),
    })
}

/// `UpdatePodClaimForRetentionPolicy`.
pub fn update_claims_for_retention(api: &mut Api, set: &StatefulSet, pod: &Pod) -> Result<(), String> {
    let ord = ordinal(pod);
    for t in &set.spec.volume_claim_templates {
        let name = claim_name(set, t, ord);
        let Some(claim) = api.get_t::<PersistentVolumeClaim>(&set.metadata.namespace, &name).cloned() else { continue };
        if has_unexpected_controller(&claim, set, pod) {
            let msg = format!(
                "PersistentVolumeClaim {name} has a conflicting OwnerReference that acts as a manging controller, the retention policy is ignored for this claim"
            );
            api.event(&set_obj(set), "Warning", "ConflictingController", &msg, COMPONENT);
        }
        if !is_claim_owner_up_to_date(&claim, set, pod) {
            let mut c = claim;
            update_claim_owner_refs(&mut c, set, pod);
            api.update(Object::PersistentVolumeClaim(c)).map_err(|e| format!("could not update claim {name} for delete policy ownerRefs: {}", e.message))?;
        }
    }
    Ok(())
}

/// `PodClaimIsStale`: a claim still points at an earlier pod of this name
/// (it is about to be garbage collected): wait.
pub fn pod_claim_is_stale(api: &Api, set: &StatefulSet, pod: &Pod) -> bool {
    let (_, when_scaled) = retention_policy(set);
    if !when_scaled {
        return false;
    }
    claims_for(set, pod)
        .iter()
        .any(|(_, c)| api.get_t::<PersistentVolumeClaim>(&c.metadata.namespace, &c.metadata.name).is_some_and(|pvc| has_stale_pod_ref(pvc, pod)))
}
