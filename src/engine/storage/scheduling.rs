//! The scheduler's volume plugins (VolumeBinding, VolumeRestrictions,
//! VolumeZone, NodeVolumeLimits), called by `scheduler.rs`:
//!
//! 1. [`pre_filter`] once per scheduling attempt: can the pod's volumes be
//!    satisfied at all (claims exist, immediate claims are bound, ...)?
//! 2. [`filter`] per node: do the pod's volumes allow this node?
//! 3. [`pre_bind`] once a node is chosen: bind or provision what
//!    WaitForFirstConsumer claims need; the scheduler binds the pod only when
//!    this says `Ready`, and tries again when claims change while `Waiting`.
//!
//! Texts are the 1.36 plugins' own: PreFilter statuses become the whole
//! reason (`0/3 nodes are available: pod has unbound immediate
//! PersistentVolumeClaims.`), Filter reasons are counted per node
//! (`3 node(s) didn't match PersistentVolume's node affinity`).

use super::*;
use crate::engine::api::*;
use crate::engine::apiserver::Api;
use crate::engine::control::{Ctl, Cx};
use crate::engine::time::{Millis, Time};
use std::collections::{BTreeMap, BTreeSet};

pub const ERR_REASON_BIND_CONFLICT: &str = "node(s) didn't find available persistent volumes to bind";
pub const ERR_REASON_NODE_CONFLICT: &str = "node(s) didn't match PersistentVolume's node affinity";
pub const ERR_REASON_PV_NOT_EXIST: &str = "node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)";
pub const ERR_REASON_RWOP_CONFLICT: &str = "node(s) unavailable due to PersistentVolumeClaim with ReadWriteOncePod access mode already in-use by another pod";
pub const ERR_REASON_ZONE_CONFLICT: &str = "node(s) had no available volume zone";
pub const ERR_REASON_MAX_VOLUME_COUNT: &str = "node(s) exceed max volume count";
pub const ERR_UNBOUND_IMMEDIATE: &str = "pod has unbound immediate PersistentVolumeClaims";
/// VolumeBindingArgs.bindTimeoutSeconds (600).
pub const BIND_TIMEOUT: Millis = 600_000;

/// A claim is fully bound: it names its volume and the PV controller has
/// completed the binding.
pub fn is_claim_fully_bound(c: &PersistentVolumeClaim) -> bool {
    !c.spec.volume_name.is_empty() && c.metadata.annotations.contains_key(ANN_BIND_COMPLETED)
}

/// The pod's claims, split the way `GetPodVolumeClaims` splits them.
#[derive(Default)]
struct PodClaims {
    bound: Vec<PersistentVolumeClaim>,
    delayed: Vec<PersistentVolumeClaim>,
    immediate: Vec<PersistentVolumeClaim>,
}

/// `podHasPVCs` + `GetPodVolumeClaims`.
fn pod_volume_claims(api: &Api, pod: &Pod) -> Result<Option<PodClaims>, String> {
    let mut any = false;
    let mut out = PodClaims::default();
    for name in pod_claims(pod) {
        any = true;
        let Some(c) = api.get_t::<PersistentVolumeClaim>(&pod.metadata.namespace, name) else {
            return Err(format!("persistentvolumeclaim {name:?} not found"));
        };
        if c.status.phase == PersistentVolumeClaimPhase::Lost {
            return Err(format!("persistentvolumeclaim {name:?} bound to non-existent persistentvolume {:?}", c.spec.volume_name));
        }
        if c.metadata.is_deleting() {
            return Err(format!("persistentvolumeclaim {name:?} is being deleted"));
        }
    }
    if !any {
        return Ok(None);
    }
    for name in pod_claims(pod) {
        let c = api.get_t::<PersistentVolumeClaim>(&pod.metadata.namespace, name).cloned().expect("checked above");
        if is_claim_fully_bound(&c) {
            out.bound.push(c);
        } else if is_delay_binding(api, &c) && c.spec.volume_name.is_empty() {
            out.delayed.push(c);
        } else {
            out.immediate.push(c);
        }
    }
    Ok(Some(out))
}

/// Why a pod cannot be scheduled at all, as the status message the
/// scheduler puts into its FailedScheduling event.
pub fn pre_filter(api: &Api, pod: &Pod) -> Result<(), String> {
    match pod_volume_claims(api, pod)? {
        None => Ok(()),
        Some(pc) if !pc.immediate.is_empty() => Err(ERR_UNBOUND_IMMEDIATE.into()),
        Some(_) => Ok(()),
    }
}

/// Why `node` does not fit the pod's volumes: the reason text counted in
/// `0/3 nodes are available: 2 node(s) didn't match PersistentVolume's node
/// affinity.` Plugins run in the scheduler's order and the first failing
/// one gives the reason (VolumeBinding can find two at once; then the first
/// of them, in its own order, is returned). `rwop_conflict` is
/// VolumeRestrictions' PreFilter state ([`read_write_once_pod_conflict`]),
/// computed once per scheduling attempt.
pub fn filter(api: &Api, pod: &Pod, node: &Node, rwop_conflict: bool) -> Result<(), String> {
    if rwop_conflict {
        return Err(ERR_REASON_RWOP_CONFLICT.into());
    }
    node_volume_limits(api, pod, node)?;
    match find_pod_volumes(api, pod, node) {
        Ok(_) => {}
        Err(reasons) => return Err(reasons.into_iter().next().unwrap_or_default()),
    }
    volume_zone(api, pod, node)
}

/// VolumeRestrictions' PreFilter for ReadWriteOncePod: does another pod
/// already use one of the pod's RWOP claims? "Using" is what the
/// scheduler's cache counts (`IsPVCUsedByPods`): pods bound to a node and
/// not terminated, and pods *assumed* on a node (`assumed`): those whose
/// volumes PreBind is still binding. Counting the assumed ones is what keeps
/// replicas created together from all passing while a WaitForFirstConsumer
/// claim is still being provisioned for the first of them.
pub fn read_write_once_pod_conflict(api: &Api, pod: &Pod, assumed: &dyn Fn(&ObjKey) -> bool) -> bool {
    for name in pod_claims(pod) {
        let Some(c) = api.get_t::<PersistentVolumeClaim>(&pod.metadata.namespace, name) else { continue };
        if !c.spec.access_modes.contains(&PersistentVolumeAccessMode::ReadWriteOncePod) {
            continue;
        }
        let used = api
            .store
            .pods_using_claim(&pod.metadata.namespace, name)
            .any(|p| p.metadata.uid != pod.metadata.uid && !is_pod_terminated(p) && (!p.spec.node_name.is_empty() || assumed(&p.key())));
        if used {
            return true;
        }
    }
    false
}

/// The CSI driver and a volume identity for one of the pod's claims (the
/// class's provisioner for claims not bound yet).
fn csi_volume_of(api: &Api, ns: &str, claim: &str) -> Option<(String, String)> {
    let c = api.get_t::<PersistentVolumeClaim>(ns, claim)?;
    if let Some(v) = claim_volume(api, c) {
        let csi = v.spec.csi.as_ref()?;
        return Some((csi.driver.clone(), csi.volume_handle.clone()));
    }
    let sc = api.get_t::<StorageClass>("", claim_class(c))?;
    let driver = migrated_csi_name(&sc.provisioner).map(|s| s.to_string()).unwrap_or_else(|| sc.provisioner.clone());
    Some((driver, format!("{ns}/{claim}")))
}

/// NodeVolumeLimits (CSI): the node's CSINode allocatable count per driver.
fn node_volume_limits(api: &Api, pod: &Pod, node: &Node) -> Result<(), String> {
    let Some(csinode) = api.get_t::<CsiNode>("", &node.metadata.name) else { return Ok(()) };
    let limits: BTreeMap<&str, i32> =
        crate::engine::sort::map_from(csinode.spec.drivers.iter().filter_map(|d| d.allocatable.as_ref().and_then(|a| a.count).map(|c| (d.name.as_str(), c))));
    if limits.is_empty() {
        return Ok(());
    }
    let mut new: BTreeMap<String, crate::engine::sort::BoxedSet<String>> = BTreeMap::new();
    for claim in pod_claims(pod) {
        if let Some((d, h)) = csi_volume_of(api, &pod.metadata.namespace, claim)
            && limits.contains_key(d.as_str())
        {
            new.entry(d).or_default().insert(h);
        }
    }
    if new.is_empty() {
        return Ok(());
    }
    let mut existing: BTreeMap<String, crate::engine::sort::BoxedSet<String>> = BTreeMap::new();
    for p in api.store.pods_on_node(&node.metadata.name) {
        if p.metadata.uid == pod.metadata.uid || is_pod_terminated(p) {
            continue;
        }
        for claim in pod_claims(p) {
            if let Some((d, h)) = csi_volume_of(api, &p.metadata.namespace, claim) {
                existing.entry(d).or_default().insert(h);
            }
        }
    }
    for (d, handles) in &new {
        let have = existing.get(d);
        let added = handles.iter().filter(|h| have.is_none_or(|s| !s.contains(*h))).count();
        let used = have.map(|s| s.len()).unwrap_or(0);
        if used + added > limits[d.as_str()] as usize {
            return Err(ERR_REASON_MAX_VOLUME_COUNT.into());
        }
    }
    Ok(())
}

/// VolumeZone: bound PVs labelled with a zone only fit nodes of that zone.
fn volume_zone(api: &Api, pod: &Pod, node: &Node) -> Result<(), String> {
    const KEYS: [&str; 4] =
        ["topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone", "topology.kubernetes.io/region", "failure-domain.beta.kubernetes.io/region"];
    for claim in pod_claims(pod) {
        let Some(c) = api.get_t::<PersistentVolumeClaim>(&pod.metadata.namespace, claim) else { continue };
        let Some(v) = claim_volume(api, c) else { continue };
        for k in KEYS {
            let Some(want) = v.metadata.labels.get(k) else { continue };
            let ok = node.metadata.labels.get(k).is_some_and(|have| want.split("__").any(|z| z == have));
            if !ok {
                return Err(ERR_REASON_ZONE_CONFLICT.into());
            }
        }
    }
    Ok(())
}

/// What binding the pod's volumes on a node takes.
#[derive(Default, Debug)]
struct PodVolumes {
    /// (PV, claim) pairs to bind.
    bindings: Vec<(PersistentVolume, PersistentVolumeClaim)>,
    /// Claims to hand to their provisioner.
    provisions: Vec<PersistentVolumeClaim>,
}

/// The volumes of a class (the scheduler's PV cache by class).
fn volumes_of_class<'a>(api: &'a Api, class: &str) -> Vec<&'a PersistentVolume> {
    api.store.pvs_of_class(class).filter(|v| pv_class(v) == class).collect()
}

/// `FindPodVolumes`: the bindings and provisions the pod needs on `node`,
/// or the conflict reasons.
fn find_pod_volumes(api: &Api, pod: &Pod, node: &Node) -> Result<PodVolumes, Vec<String>> {
    let mut out = PodVolumes::default();
    let Ok(Some(pc)) = pod_volume_claims(api, pod) else { return Ok(out) };
    let mut bound_ok = true;
    let mut bound_found = true;
    let mut unbound_ok = true;
    for c in &pc.bound {
        match api.get_t::<PersistentVolume>("", &c.spec.volume_name) {
            None => {
                bound_found = false;
                break;
            }
            Some(v) => {
                if !check_node_affinity(v, node) {
                    bound_ok = false;
                    break;
                }
            }
        }
    }
    if bound_ok && bound_found && !pc.delayed.is_empty() {
        let mut to_find = vec![];
        let mut to_provision = vec![];
        let mut fast_fail = false;
        for c in &pc.delayed {
            match c.metadata.annotations.get(ANN_SELECTED_NODE) {
                Some(sel) if *sel != node.metadata.name => {
                    fast_fail = true;
                    break;
                }
                Some(_) => to_provision.push(c.clone()),
                None => to_find.push(c.clone()),
            }
        }
        if fast_fail {
            unbound_ok = false;
        } else {
            // findMatchingVolumes: smallest claims first.
            crate::engine::sort::sort_by(&mut to_find, |a, b| requested_storage(a).cmp(&requested_storage(b)));
            let mut chosen: BTreeSet<String> = BTreeSet::new();
            for c in to_find {
                let vols = volumes_of_class(api, claim_class(&c));
                match find_matching_volume(&c, &vols, Some(node), &chosen, true) {
                    Some(v) => {
                        chosen.insert(v.metadata.name.clone());
                        out.bindings.push((v.clone(), c));
                    }
                    None => {
                        unbound_ok = false;
                        to_provision.push(c);
                    }
                }
            }
            if !to_provision.is_empty() {
                // checkVolumeProvisions decides for the claims left.
                unbound_ok = true;
                for c in &to_provision {
                    let Some(sc) = api.get_t::<StorageClass>("", claim_class(c)) else {
                        unbound_ok = false;
                        break;
                    };
                    if sc.provisioner.is_empty() || sc.provisioner == NOT_SUPPORTED_PROVISIONER {
                        unbound_ok = false;
                        break;
                    }
                    if !sc.allowed_topologies.is_empty()
                        && !sc
                            .allowed_topologies
                            .iter()
                            .any(|t| t.match_label_expressions.iter().all(|e| node.metadata.labels.get(&e.key).is_some_and(|v| e.values.contains(v))))
                    {
                        unbound_ok = false;
                        break;
                    }
                }
                out.provisions = to_provision;
            }
        }
    }
    let mut reasons = vec![];
    if !bound_ok {
        reasons.push(ERR_REASON_NODE_CONFLICT.to_string());
    }
    if !unbound_ok {
        reasons.push(ERR_REASON_BIND_CONFLICT.to_string());
    }
    if !bound_found {
        reasons.push(ERR_REASON_PV_NOT_EXIST.to_string());
    }
    if reasons.is_empty() { Ok(out) } else { Err(reasons) }
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

/// What PreBind did for a pod, so later calls check the same bindings.
#[derive(Clone, Debug, PartialEq)]
pub struct PreBindState {
    pub node: String,
    /// (PV name, claim key) pairs bound statically.
    pub bindings: Vec<(String, ObjKey)>,
    /// Claims handed to a provisioner (selected-node set).
    pub provisions: Vec<ObjKey>,
    pub started: Time,
}

/// The volume binder's cache (upstream's assume cache and the bindings
/// `BindPodVolumes` waits on): pod uid -> what PreBind started for it. The
/// scheduler owns it and forgets a pod's entry when the pod is gone.
// Boxed values: BTreeMap's code is compiled per value size, and maps of
// pointer-sized values share one copy in the wasm.
pub type PreBinds = BTreeMap<String, Box<PreBindState>>;

/// VolumeBinding's PreBind: the first call for a pod and node makes the API
/// updates (claimRef on matching static PVs, selected-node on claims to
/// provision) and remembers them in `prebinds`; every call then checks them
/// the way `checkBindings` does. `Failed` messages read `binding volumes:
/// ...`. After the bind timeout (10 minutes) the binding fails; the
/// scheduler is woken for the pod then.
pub fn pre_bind(cx: &mut Cx, prebinds: &mut PreBinds, pod: &Pod, node: &str) -> PreBind {
    let uid = pod.metadata.uid.clone();
    let existing = prebinds.get(&uid).filter(|s| s.node == node).map(|s| PreBindState::clone(s));
    let state = match existing {
        Some(s) => s,
        None => {
            let Some(n) = cx.api.get_t::<Node>("", node).cloned() else {
                return PreBind::Failed(format!("binding volumes: failed to get node {node:?}: nodes {node:?} not found"));
            };
            let pv = match find_pod_volumes(cx.api, pod, &n) {
                Ok(pv) => pv,
                Err(reasons) => return PreBind::Failed(format!("binding volumes: {}", reasons.join(", "))),
            };
            if pv.bindings.is_empty() && pv.provisions.is_empty() {
                prebinds.remove(&uid);
                return PreBind::Ready;
            }
            // bindAPIUpdate: no rollback if anything later fails.
            let mut state = PreBindState { node: node.to_string(), bindings: vec![], provisions: vec![], started: cx.api.now };
            for (v, c) in pv.bindings {
                let mut u = v.clone();
                u.spec.claim_ref = Some(crate::engine::storage::claim_reference(&c));
                u.metadata.annotations.entry(ANN_BOUND_BY_CONTROLLER.into()).or_insert_with(|| "yes".into());
                if let Err(e) = cx.api.update(Object::PersistentVolume(u)) {
                    return PreBind::Failed(format!("binding volumes: {}", e.message));
                }
                state.bindings.push((v.metadata.name.clone(), c.key()));
            }
            for c in pv.provisions {
                let mut u = c.clone();
                u.metadata.annotations.insert(ANN_SELECTED_NODE.into(), node.to_string());
                if let Err(e) = cx.api.update(Object::PersistentVolumeClaim(u)) {
                    return PreBind::Failed(format!("binding volumes: {}", e.message));
                }
                state.provisions.push(c.key());
            }
            cx.api.wake_idle_at(Time(state.started.0 + BIND_TIMEOUT), Ctl::Scheduler, pod.obj_ref());
            prebinds.insert(uid.clone(), Box::new(state.clone()));
            state
        }
    };
    let r = match check_bindings(cx.api, &state) {
        Ok(true) => PreBind::Ready,
        Ok(false) if cx.api.now.0 - state.started.0 >= BIND_TIMEOUT => PreBind::Failed("binding volumes: context deadline exceeded".into()),
        Ok(false) => PreBind::Waiting,
        Err(e) => PreBind::Failed(format!("binding volumes: {e}")),
    };
    if r != PreBind::Waiting {
        prebinds.remove(&uid);
    }
    r
}

/// `checkBindings`: Ok(true) when every claim is fully bound.
fn check_bindings(api: &Api, s: &PreBindState) -> Result<bool, String> {
    let Some(node) = api.get_t::<Node>("", &s.node) else {
        return Err(format!("failed to get node {:?}: nodes {:?} not found", s.node, s.node));
    };
    for (pv_name, ck) in &s.bindings {
        let Some(v) = api.get_t::<PersistentVolume>("", pv_name) else {
            return Err(format!("failed to check binding: persistentvolume {pv_name:?} not found"));
        };
        let Some(c) = api.get_t::<PersistentVolumeClaim>(&ck.namespace, &ck.name) else {
            return Err(format!("failed to check binding: persistentvolumeclaim {:?} not found", ck.name));
        };
        if !check_node_affinity(v, node) {
            return Err(format!("pv {pv_name:?} node affinity doesn't match node {:?}: no matching NodeSelectorTerms", s.node));
        }
        if v.spec.claim_ref.as_ref().is_none_or(|r| r.uid.is_empty()) {
            return Err(format!("ClaimRef got reset for pv {pv_name:?}"));
        }
        if !is_claim_fully_bound(c) {
            return Ok(false);
        }
    }
    for ck in &s.provisions {
        let Some(c) = api.get_t::<PersistentVolumeClaim>(&ck.namespace, &ck.name) else {
            return Err(format!("failed to check provisioning pvc: persistentvolumeclaim {:?} not found", ck.name));
        };
        if c.metadata.annotations.get(ANN_SELECTED_NODE) != Some(&s.node) {
            return Err(format!("provisioning failed for PVC {:?}", ck.name));
        }
        if !c.spec.volume_name.is_empty() {
            let Some(v) = api.get_t::<PersistentVolume>("", &c.spec.volume_name) else { return Ok(false) };
            if !check_node_affinity(v, node) {
                return Err(format!("pv {:?} node affinity doesn't match node {:?}: no matching NodeSelectorTerms", v.metadata.name, s.node));
            }
        }
        if !is_claim_fully_bound(c) {
            return Ok(false);
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Cluster;
    use crate::engine::quantity::Quantity;

    fn pod_with(claim: &str) -> Pod {
        let mut p = Pod { metadata: ObjectMeta::named("default", "p"), ..Default::default() };
        p.spec.volumes.push(Volume {
            name: "v".into(),
            persistent_volume_claim: Some(PvcVolumeSource { claim_name: claim.into(), read_only: false }),
            ..Default::default()
        });
        p
    }

    #[test]
    fn pre_filter_texts() {
        let mut c = Cluster::new(1);
        assert_eq!(pre_filter(&c.api, &Pod::default()), Ok(()));
        assert_eq!(pre_filter(&c.api, &pod_with("x")), Err("persistentvolumeclaim \"x\" not found".into()));
        let mut cl = PersistentVolumeClaim { metadata: ObjectMeta::named("default", "x"), ..Default::default() };
        cl.spec.access_modes = vec![PersistentVolumeAccessMode::ReadWriteOnce];
        cl.spec.resources.requests.insert("storage".into(), Quantity::parse("1Gi").unwrap());
        c.create(Object::PersistentVolumeClaim(cl)).unwrap();
        // standard is WaitForFirstConsumer: nothing to wait for before filtering.
        assert_eq!(pre_filter(&c.api, &pod_with("x")), Ok(()));
        let mut cl = c.get::<PersistentVolumeClaim>("default", "x").unwrap().clone();
        cl.status.phase = PersistentVolumeClaimPhase::Lost;
        cl.spec.volume_name = "gone".into();
        c.api.update_status(Object::PersistentVolumeClaim(cl.clone())).unwrap();
        c.api.update(Object::PersistentVolumeClaim(cl)).unwrap();
        assert_eq!(pre_filter(&c.api, &pod_with("x")), Err("persistentvolumeclaim \"x\" bound to non-existent persistentvolume \"gone\"".into()));
    }

    #[test]
    fn fully_bound_needs_the_annotation() {
        let mut cl = PersistentVolumeClaim::default();
        cl.spec.volume_name = "v".into();
        assert!(!is_claim_fully_bound(&cl));
        cl.metadata.annotations.insert(ANN_BIND_COMPLETED.into(), "yes".into());
        assert!(is_claim_fully_bound(&cl));
    }
}
