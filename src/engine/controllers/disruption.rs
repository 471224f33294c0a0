//! The disruption controller (PodDisruptionBudget status,
//! pkg/controller/disruption) and the eviction subresource that `kubectl
//! drain` calls (pkg/registry/core/pod/storage/eviction.go).

use crate::engine::api::*;
use crate::engine::apiserver::{Api, ApiError, DeleteOptions, Reason};
use crate::engine::controllers::tainteviction::add_condition;
use crate::engine::controllers::{Controller, Ctl, Cx, WorkQueue};
use crate::engine::store::Change;
use crate::engine::time::{MINUTE, Millis, Time};
use std::collections::BTreeMap;
use std::rc::Rc;

pub const COMPONENT: &str = "controllermanager";
/// How long an eviction may take before the budget stops counting the pod
/// as disrupted (DeletionTimeout).
const DELETION_TIMEOUT: Millis = 2 * MINUTE;
/// MaxDisruptedPodSize.
const MAX_DISRUPTED_PODS: usize = 2000;

const TOO_MANY: &str = "Cannot evict pod as it would violate the pod's disruption budget.";

fn pdb_selects(pdb: &PodDisruptionBudget, p: &Pod) -> bool {
    // policy/v1: a nil selector selects nothing, an empty one everything
    match &pdb.spec.selector {
        None => false,
        Some(s) => s.matches(&p.metadata.labels),
    }
}

/// The PodDisruptionBudgets covering a pod.
pub fn budgets_for<'a>(api: &'a Api, p: &Pod) -> Vec<&'a PodDisruptionBudget> {
    api.store.list_ns_t::<PodDisruptionBudget>(&p.metadata.namespace).filter(|b| pdb_selects(b, p)).collect()
}

/// The pods/eviction subresource: deletes the pod (with the eviction's
/// grace period, else the pod's) unless a budget forbids it.
pub fn evict(api: &mut Api, namespace: &str, name: &str, grace: Option<i64>) -> Result<Rc<Object>, ApiError> {
    let Some(pod) = api.get_t::<Pod>(namespace, name).cloned() else {
        return Err(ApiError::not_found(Kind::Pod, name));
    };
    let now = api.now;
    // canIgnorePDB: terminal, pending or already terminating pods go at once
    let ignore = pod.status.phase.is_terminal() || pod.status.phase == PodPhase::Pending || pod.metadata.deletion_timestamp.is_some();
    if !ignore {
        let pdbs: Vec<PodDisruptionBudget> = budgets_for(api, &pod).into_iter().cloned().collect();
        if pdbs.len() > 1 {
            return Err(ApiError::new(
                Reason::InternalError,
                "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
            ));
        }
        if let Some(pdb) = pdbs.into_iter().next() {
            let mut decrement = true;
            if !pod_is_ready(&pod) {
                let always = pdb.spec.unhealthy_pod_eviction_policy.as_deref() == Some("AlwaysAllow");
                if always || (pdb.status.current_healthy >= pdb.status.desired_healthy && pdb.status.desired_healthy > 0) {
                    decrement = false;
                }
            }
            if decrement {
                check_and_decrement(api, &pod, pdb, now)?;
            }
        }
    }
    // addConditionAndDeletePod
    if !(pod.status.phase.is_terminal()) && pod.metadata.deletion_timestamp.is_none() {
        let mut p = pod.clone();
        add_condition(&mut p, ConditionType::DisruptionTarget, "EvictionByEvictionAPI", "Eviction API: evicting", now);
        let _ = api.update_status(Object::Pod(p));
    }
    api.delete(Kind::Pod, namespace, name, &DeleteOptions { grace_period: grace, ..Default::default() })
}

fn check_and_decrement(api: &mut Api, pod: &Pod, mut pdb: PodDisruptionBudget, now: Time) -> Result<(), ApiError> {
    if pdb.status.observed_generation < pdb.metadata.generation {
        return Err(ApiError::new(Reason::TooManyRequests, TOO_MANY));
    }
    if pdb.status.disruptions_allowed < 0 {
        return Err(ApiError::new(
            Reason::Forbidden,
            format!("poddisruptionbudgets.policy \"{}\" is forbidden: pdb disruptions allowed is negative", pdb.metadata.name),
        ));
    }
    if pdb.status.disrupted_pods.len() > MAX_DISRUPTED_PODS {
        return Err(ApiError::new(
            Reason::Forbidden,
            format!(
                "poddisruptionbudgets.policy \"{}\" is forbidden: DisruptedPods map too big - too many evictions not confirmed by PDB controller",
                pdb.metadata.name
            ),
        ));
    }
    if pdb.status.disruptions_allowed == 0 {
        return Err(ApiError::new(Reason::TooManyRequests, TOO_MANY));
    }
    pdb.status.disruptions_allowed -= 1;
    if pdb.status.disruptions_allowed == 0 {
        update_allowed_condition(&mut pdb, now);
    }
    pdb.status.disrupted_pods.insert(pod.metadata.name.clone(), now);
    api.update_status(Object::PodDisruptionBudget(pdb)).map(|_| ())
}

/// pdbhelper.UpdateDisruptionAllowedCondition (apimeta.SetStatusCondition).
fn update_allowed_condition(pdb: &mut PodDisruptionBudget, now: Time) {
    let (status, reason) =
        if pdb.status.disruptions_allowed > 0 { (ConditionStatus::True, "SufficientPods") } else { (ConditionStatus::False, "InsufficientPods") };
    let generation = pdb.status.observed_generation;
    set_condition(
        &mut pdb.status.conditions,
        Condition {
            type_: ConditionType::DisruptionAllowed,
            status,
            observed_generation: generation,
            last_transition_time: Some(now),
            reason: reason.into(),
            message: String::new(),
        },
    );
}

#[derive(Clone, Default)]
pub struct Disruption {}

impl Disruption {
    pub fn new() -> Disruption {
        Disruption::default()
    }
}

/// The scale of a pod's controller (the finders: ReplicaSet, Deployment via
/// its ReplicaSet, StatefulSet).
fn controller_scale(api: &Api, pod: &Pod) -> Result<Option<(String, i32)>, String> {
    let Some(cr) = pod.metadata.controller_ref() else { return Ok(None) };
    let ns = &pod.metadata.namespace;
    match cr.kind.as_str() {
        "ReplicaSet" => {
            let Some(rs) = api.get_t::<ReplicaSet>(ns, &cr.name).filter(|r| r.metadata.uid == cr.uid) else {
                return Err(format!("found no controllers for pod {:?}", pod.metadata.name));
            };
            if let Some(d) = rs.metadata.controller_ref().filter(|o| o.kind == "Deployment")
                && let Some(dep) = api.get_t::<Deployment>(ns, &d.name).filter(|x| x.metadata.uid == d.uid)
            {
                return Ok(Some((dep.metadata.uid.clone(), dep.spec.replicas.unwrap_or(1))));
            }
            Ok(Some((rs.metadata.uid.clone(), rs.spec.replicas.unwrap_or(1))))
        }
        "StatefulSet" => match api.get_t::<StatefulSet>(ns, &cr.name).filter(|s| s.metadata.uid == cr.uid) {
            Some(s) => Ok(Some((s.metadata.uid.clone(), s.spec.replicas.unwrap_or(1)))),
            None => Err(format!("found no controllers for pod {:?}", pod.metadata.name)),
        },
        _ => Err(format!("found no controllers for pod {:?}", pod.metadata.name)),
    }
}

/// getExpectedScale: the sum of the scales of the pods' controllers.
fn expected_scale(api: &Api, pods: &[Pod]) -> Result<(i32, Vec<String>), String> {
    let mut scales: BTreeMap<String, i32> = BTreeMap::new();
    let mut unmanaged = vec![];
    for p in pods {
        match controller_scale(api, p)? {
            Some((uid, n)) => {
                scales.insert(uid, n);
            }
            None => unmanaged.push(p.metadata.name.clone()),
        }
    }
    Ok((scales.values().sum(), unmanaged))
}

impl Controller for Disruption {
    fn id(&self) -> Ctl {
        Ctl::Disruption
    }

    fn watch(&mut self, change: &Change, api: &Api, queue: &mut WorkQueue) {
        match change.kind {
            Kind::PodDisruptionBudget if change.new.is_some() => {
                queue.add(change.obj_ref());
            }
            Kind::Pod => {
                let (old, new) = change.typed::<Pod>();
                for p in [old, new].into_iter().flatten() {
                    for b in budgets_for(api, p) {
                        queue.add(ObjRef::new(Kind::PodDisruptionBudget, &b.metadata.namespace, &b.metadata.name));
                    }
                }
            }
            Kind::ReplicaSet | Kind::Deployment | Kind::StatefulSet => {
                let (old, new) = (change.old.as_deref(), change.new.as_deref());
                let scale = |o: Option<&Object>| match o {
                    Some(Object::ReplicaSet(r)) => r.spec.replicas,
                    Some(Object::Deployment(d)) => d.spec.replicas,
                    Some(Object::StatefulSet(s)) => s.spec.replicas,
                    _ => None,
                };
                if scale(old) != scale(new) {
                    for b in api.store.list_ns_t::<PodDisruptionBudget>(&change.key.namespace) {
                        queue.add(ObjRef::new(Kind::PodDisruptionBudget, &b.metadata.namespace, &b.metadata.name));
                    }
                }
            }
            _ => {}
        }
    }

    fn sync(&mut self, key: &ObjRef, cx: &mut Cx) {
        if key.kind != Kind::PodDisruptionBudget {
            return;
        }
        let now = cx.api.now;
        let Some(pdb) = cx.api.get_t::<PodDisruptionBudget>(&key.key.namespace, &key.key.name).cloned() else { return };
        let pods: Vec<Pod> = cx.api.store.list_ns_t::<Pod>(&pdb.metadata.namespace).filter(|p| pdb_selects(&pdb, p)).cloned().collect();
        let obj = Object::PodDisruptionBudget(pdb.clone());
        if pods.is_empty() {
            cx.api.event(&obj, "Normal", "NoPods", "No matching pods found", COMPONENT);
        }
        // getExpectedPodCount
        let counted: Result<(i32, i32, Vec<String>), String> = if let Some(mu) = &pdb.spec.max_unavailable {
            expected_scale(cx.api, &pods).and_then(|(expected, unmanaged)| {
                let max = mu.scaled_value(expected, true)?;
                Ok((expected, (expected - max).max(0), unmanaged))
            })
        } else if let Some(ma) = &pdb.spec.min_available {
            match ma {
                IntOrString::Int(n) => Ok((pods.len() as i32, *n, vec![])),
                IntOrString::Str(_) => {
                    expected_scale(cx.api, &pods).and_then(|(expected, unmanaged)| Ok((expected, ma.scaled_value(expected, true)?, unmanaged)))
                }
            }
        } else {
            Ok((0, 0, vec![]))
        };
        let (expected, desired, unmanaged) = match counted {
            Ok(c) => c,
            Err(e) => {
                cx.api.event(&obj, "Warning", "CalculateExpectedPodCountFailed", &format!("Failed to calculate the number of expected pods: {e}"), COMPONENT);
                // failSafe
                let mut np = pdb.clone();
                np.status.disruptions_allowed = 0;
                let generation = np.status.observed_generation;
                // an existing condition keeps its observedGeneration
                let observed_generation = get_condition(&np.status.conditions, &ConditionType::DisruptionAllowed).map_or(generation, |c| c.observed_generation);
                set_condition(
                    &mut np.status.conditions,
                    Condition {
                        type_: ConditionType::DisruptionAllowed,
                        status: ConditionStatus::False,
                        observed_generation,
                        last_transition_time: Some(now),
                        reason: "SyncFailed".into(),
                        message: e,
                    },
                );
                if np != pdb {
                    let _ = cx.api.update_status(Object::PodDisruptionBudget(np));
                }
                return;
            }
        };
        if !unmanaged.is_empty() {
            let sel = pdb
                .spec
                .selector
                .as_ref()
                .map(|s| {
                    format!(
                        "&LabelSelector{{MatchLabels:map[string]string{{{}}},MatchExpressions:[]LabelSelectorRequirement{{}},}}",
                        s.match_labels.iter().map(|(k, v)| format!("{k}: {v},")).collect::<Vec<_>>().join("")
                    )
                })
                .unwrap_or_else(|| "nil".into());
            cx.api.event(&obj, "Warning", "UnmanagedPods", &format!("Pods selected by this PodDisruptionBudget (selector: {sel}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set \".spec.minAvailable\" field of the PDB to an integer value."), COMPONENT);
        }
        // buildDisruptedPodMap
        let mut disrupted: BTreeMap<String, Time> = BTreeMap::new();
        let mut recheck: Option<Time> = None;
        for p in &pods {
            if p.metadata.deletion_timestamp.is_some() {
                continue;
            }
            let Some(t) = pdb.status.disrupted_pods.get(&p.metadata.name) else { continue };
            let expires = t.plus(DELETION_TIMEOUT);
            if expires < now {
                cx.api.event(
                    &Object::Pod(p.clone()),
                    "Warning",
                    "NotDeleted",
                    &format!("Pod was expected by PDB {}/{} to be deleted but it wasn't", pdb.metadata.namespace, pdb.metadata.namespace),
                    COMPONENT,
                );
            } else {
                recheck = Some(recheck.map_or(expires, |r| r.min(expires)));
                disrupted.insert(p.metadata.name.clone(), *t);
            }
        }
        // countHealthyPods
        let healthy = pods
            .iter()
            .filter(|p| p.metadata.deletion_timestamp.is_none())
            .filter(|p| disrupted.get(&p.metadata.name).is_none_or(|t| t.plus(DELETION_TIMEOUT) <= now))
            .filter(|p| pod_is_ready(p))
            .count() as i32;
        let mut allowed = healthy - desired;
        if expected <= 0 || allowed <= 0 {
            allowed = 0;
        }
        let mut np = pdb.clone();
        np.status.current_healthy = healthy;
        np.status.desired_healthy = desired;
        np.status.expected_pods = expected;
        np.status.disruptions_allowed = allowed;
        np.status.disrupted_pods = disrupted;
        np.status.observed_generation = pdb.metadata.generation;
        update_allowed_condition(&mut np, now);
        if np != pdb {
            let _ = cx.api.update_status(Object::PodDisruptionBudget(np));
        }
        if let Some(t) = recheck {
            cx.api.wake_at(Time(t.0 + 1), Ctl::Disruption, key.clone());
        }
    }
}
