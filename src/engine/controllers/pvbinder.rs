//! The persistentvolume-controller (pkg/controller/volume/persistentvolume):
//! binds claims to volumes, hands claims to provisioners, and reclaims
//! released volumes (Retain, Recycle, Delete).
//!
//! Claims and volumes are synced on every change, as the informers do, and
//! unbound claims again at the controller's periodic resync (every 15 s):
//! that is how a claim created before its volume gets bound. The resync
//! timer only exists while there are unbound claims or failed reclaims; it
//! keeps `settle` busy only when a volume appeared that a waiting claim
//! might take.

use super::{Controller, Ctl, Cx, WorkQueue};
use crate::engine::api::*;
use crate::engine::apiserver::Api;
use crate::engine::storage::{self, *};
use crate::engine::store::Change;
use crate::engine::time::{Millis, Time};
use std::collections::{BTreeMap, BTreeSet};

const COMPONENT: &str = "persistentvolume-controller";
/// kube-controller-manager --pvclaimbinder-sync-period.
pub const RESYNC_PERIOD: Millis = 15_000;
/// How long the recycler pod takes to scrub a volume.
const RECYCLE_MS: Millis = 5_000;
const RECYCLER_IMAGE: &str = "registry.k8s.io/build-image/debian-base:bookworm-v1.0.6";

#[derive(Clone, Default)]
pub struct PvBinder {
    /// Claims that have not completed binding (retried at every resync).
    // A sorted Vec: BTreeSet<ObjKey> brought its own copy of BTreeMap's code.
    pending: crate::engine::sort::VecSet<ObjKey>,
    /// Failed volumes whose reclaim is retried at every resync.
    failed: BTreeSet<String>,
    /// The volume index: class -> PV names.
    by_class: BTreeMap<String, crate::engine::sort::BoxedSet<String>>,
    /// PVs whose claimRef names a claim: claim -> PV names.
    by_claim_ref: BTreeMap<ObjKey, crate::engine::sort::BoxedSet<String>>,
    /// The scheduled resync (time, significant).
    resync: Option<(Millis, bool)>,
    /// Something changed that may let a pending claim bind at the next resync.
    want_significant: bool,
    /// Recycle operations in flight: PV name -> completion time.
    recycling: BTreeMap<String, Millis>,
}

fn resync_key() -> ObjRef {
    ObjRef::new(Kind::StorageClass, "", "")
}

fn claim_key(r: &ObjectReference) -> ObjKey {
    ObjKey::new(&r.namespace, &r.name)
}

pub(crate) fn has_ann(m: &ObjectMeta, k: &str) -> bool {
    m.annotations.contains_key(k)
}

pub use crate::engine::storage::claim_reference;

pub(crate) fn update_t<T: Resource>(api: &mut Api, obj: T) -> Option<T> {
    api.update(obj.into_object()).ok().and_then(|w| T::from_object(&w.object).cloned())
}

pub(crate) fn update_status_t<T: Resource>(api: &mut Api, obj: T) -> Option<T> {
    api.update_status(obj.into_object()).ok().and_then(|w| T::from_object(&w.object).cloned())
}

/// `updateVolumePhase`: writes a new phase (and message) through the status
/// subresource, stamping lastPhaseTransitionTime as the API server does.
pub fn set_volume_phase(api: &mut Api, v: &PersistentVolume, phase: PersistentVolumePhase, message: &str) -> PersistentVolume {
    if v.status.phase == phase {
        return v.clone();
    }
    let mut n = v.clone();
    n.status.phase = phase;
    n.status.message = message.into();
    n.status.last_phase_transition_time = Some(api.now);
    update_status_t(api, n).unwrap_or_else(|| v.clone())
}

/// `updateVolumePhaseWithEvent`: the event only when the phase changes.
fn set_volume_phase_with_event(
    api: &mut Api,
    v: &PersistentVolume,
    phase: PersistentVolumePhase,
    type_: &str,
    reason: &str,
    message: &str,
) -> PersistentVolume {
    if v.status.phase == phase {
        return v.clone();
    }
    let n = set_volume_phase(api, v, phase, message);
    api.event(&Object::PersistentVolume(n.clone()), type_, reason, message, COMPONENT);
    n
}

/// `updateClaimStatus`.
fn set_claim_status(api: &mut Api, c: &PersistentVolumeClaim, phase: PersistentVolumeClaimPhase, volume: Option<&PersistentVolume>) -> PersistentVolumeClaim {
    let mut n = c.clone();
    let mut dirty = false;
    let becoming = c.status.phase != phase;
    if becoming {
        n.status.phase = phase;
        dirty = true;
    }
    match volume {
        None => {
            if !c.status.access_modes.is_empty() || !c.status.capacity.is_empty() {
                n.status.access_modes.clear();
                n.status.capacity.clear();
                dirty = true;
            }
        }
        Some(v) => {
            if c.status.access_modes != v.spec.access_modes {
                n.status.access_modes = v.spec.access_modes.clone();
                dirty = true;
            }
            // Capacity only when the claim is becoming Bound.
            if becoming
                && let Some(cap) = v.spec.capacity.get("storage")
                && c.status.capacity.get("storage") != Some(cap)
            {
                n.status.capacity = v.spec.capacity.clone();
                dirty = true;
            }
        }
    }
    if !dirty {
        return c.clone();
    }
    update_status_t(api, n).unwrap_or_else(|| c.clone())
}

fn set_claim_status_with_event(api: &mut Api, c: &PersistentVolumeClaim, phase: PersistentVolumeClaimPhase, type_: &str, reason: &str, message: &str) {
    if c.status.phase == phase {
        return;
    }
    let n = set_claim_status(api, c, phase, None);
    api.event(&Object::PersistentVolumeClaim(n), type_, reason, message, COMPONENT);
}

/// `checkVolumeSatisfyClaim` (for claims that name their volume).
fn check_volume_satisfy_claim(v: &PersistentVolume, c: &PersistentVolumeClaim) -> Result<(), String> {
    if v.metadata.is_deleting() {
        return Err(format!("the volume is marked for deletion {:?}", v.metadata.name));
    }
    if pv_capacity(v).value() < requested_storage(c).value() {
        return Err("requested PV is too small".into());
    }
    if pv_class(v) != claim_class(c) {
        return Err("storageClassName does not match".into());
    }
    if c.spec.volume_attributes_class_name.as_deref().unwrap_or("") != v.spec.volume_attributes_class_name.as_deref().unwrap_or("") {
        return Err("volumeAttributesClassName does not match".into());
    }
    if volume_mode_mismatch(c, v) {
        return Err("incompatible volumeMode".into());
    }
    if !check_access_modes(c, v) {
        return Err("incompatible accessMode".into());
    }
    Ok(())
}

impl PvBinder {
    fn index_pv(&mut self, v: &PersistentVolume, add: bool) {
        let class = pv_class(v).to_string();
        let name = v.metadata.name.clone();
        if add {
            self.by_class.entry(class).or_default().insert(name.clone());
        } else if let Some(s) = self.by_class.get_mut(&class) {
            s.remove(&name);
            if s.is_empty() {
                self.by_class.remove(&class);
            }
        }
        if let Some(r) = &v.spec.claim_ref {
            let k = claim_key(r);
            if add {
                self.by_claim_ref.entry(k).or_default().insert(name);
            } else if let Some(s) = self.by_claim_ref.get_mut(&k) {
                s.remove(&name);
                if s.is_empty() {
                    self.by_claim_ref.remove(&k);
                }
            }
        }
    }

    /// The volumes a claim could bind to: those of its class and those
    /// pre-bound to it.
    fn candidates<'a>(&self, api: &'a Api, c: &PersistentVolumeClaim) -> Vec<&'a PersistentVolume> {
        // sorted and deduplicated: a BTreeSet<&String> was the wasm's only set of that layout
        let mut names: Vec<&String> = vec![];
        if let Some(s) = self.by_class.get(claim_class(c)) {
            names.extend(s.iter());
        }
        if let Some(s) = self.by_claim_ref.get(&c.key()) {
            names.extend(s.iter());
        }
        crate::engine::sort::sort(&mut names);
        names.dedup();
        names.into_iter().filter_map(|n| api.get_t::<PersistentVolume>("", n)).collect()
    }

    fn ensure_timer(&mut self, cx: &mut Cx) {
        if self.pending.is_empty() && self.failed.is_empty() {
            self.want_significant = false;
            return;
        }
        let now = cx.api.now.0;
        let next = (now / RESYNC_PERIOD + 1) * RESYNC_PERIOD;
        if self.want_significant && self.resync != Some((next, true)) {
            cx.api.wake_at(Time(next), Ctl::PvBinder, resync_key());
            self.resync = Some((next, true));
        } else if self.resync.is_none() {
            cx.api.wake_idle_at(Time(next), Ctl::PvBinder, resync_key());
            self.resync = Some((next, false));
        }
        self.want_significant = false;
    }

    fn resync_all(&mut self, cx: &mut Cx) {
        let claims: Vec<ObjKey> = self.pending.iter().cloned().collect();
        for k in claims {
            self.sync_claim(cx, &k);
        }
        let vols: Vec<String> = self.failed.iter().cloned().collect();
        for v in vols {
            self.sync_volume(cx, &v);
        }
    }

    // ------------------------------------------------------------ claims

    fn sync_claim(&mut self, cx: &mut Cx, key: &ObjKey) {
        let Some(c) = cx.api.get_t::<PersistentVolumeClaim>(&key.namespace, &key.name).cloned() else {
            self.pending.remove(key);
            return;
        };
        if !has_ann(&c.metadata, ANN_BIND_COMPLETED) {
            self.pending.insert(key.clone());
            self.sync_unbound_claim(cx, c);
        } else {
            self.pending.remove(key);
            self.sync_bound_claim(cx, c);
        }
    }

    fn sync_unbound_claim(&mut self, cx: &mut Cx, c: PersistentVolumeClaim) {
        if c.spec.volume_name.is_empty() {
            let delay = is_delay_binding(cx.api, &c);
            let found = {
                let cands = self.candidates(cx.api, &c);
                find_best_match_for_claim(&c, &cands, delay).cloned()
            };
            match found {
                Some(v) => self.bind(cx, v, c),
                None => {
                    if self.assign_default_class(cx, &c) {
                        return;
                    }
                    let class = claim_class(&c).to_string();
                    if delay && !has_ann(&c.metadata, ANN_SELECTED_NODE) {
                        self.emit_wait_for_consumer(cx, &c);
                    } else if !class.is_empty() {
                        self.provision_claim(cx, &c);
                        return;
                    } else {
                        cx.api.event(
                            &Object::PersistentVolumeClaim(c.clone()),
                            "Normal",
                            "FailedBinding",
                            "no persistent volumes available for this claim and no storage class is set",
                            COMPONENT,
                        );
                    }
                    set_claim_status(cx.api, &c, PersistentVolumeClaimPhase::Pending, None);
                }
            }
            return;
        }
        // The user asked for a specific volume.
        let Some(v) = cx.api.get_t::<PersistentVolume>("", &c.spec.volume_name).cloned() else {
            set_claim_status(cx.api, &c, PersistentVolumeClaimPhase::Pending, None);
            return;
        };
        if v.spec.claim_ref.is_none() {
            match check_volume_satisfy_claim(&v, &c) {
                Err(e) => {
                    let msg = format!("Cannot bind to requested volume {:?}: {e}", v.metadata.name);
                    cx.api.event(&Object::PersistentVolumeClaim(c.clone()), "Warning", "VolumeMismatch", &msg, COMPONENT);
                    set_claim_status(cx.api, &c, PersistentVolumeClaimPhase::Pending, None);
                }
                Ok(()) => self.bind(cx, v, c),
            }
        } else if is_volume_bound_to_claim(&v, &c) {
            self.bind(cx, v, c);
        } else {
            let msg = format!("volume {:?} already bound to a different claim.", v.metadata.name);
            cx.api.event(&Object::PersistentVolumeClaim(c.clone()), "Warning", "FailedBinding", &msg, COMPONENT);
            if !has_ann(&c.metadata, ANN_BOUND_BY_CONTROLLER) {
                set_claim_status(cx.api, &c, PersistentVolumeClaimPhase::Pending, None);
            }
        }
    }

    fn sync_bound_claim(&mut self, cx: &mut Cx, c: PersistentVolumeClaim) {
        if c.spec.volume_name.is_empty() {
            set_claim_status_with_event(
                cx.api,
                &c,
                PersistentVolumeClaimPhase::Lost,
                "Warning",
                "ClaimLost",
                "Bound claim has lost reference to PersistentVolume. Data on the volume is lost!",
            );
            return;
        }
        let Some(v) = cx.api.get_t::<PersistentVolume>("", &c.spec.volume_name).cloned() else {
            set_claim_status_with_event(
                cx.api,
                &c,
                PersistentVolumeClaimPhase::Lost,
                "Warning",
                "ClaimLost",
                "Bound claim has lost its PersistentVolume. Data on the volume is lost!",
            );
            return;
        };
        match &v.spec.claim_ref {
            None => self.bind(cx, v, c),
            Some(r) if r.uid == c.metadata.uid => self.bind(cx, v, c),
            Some(_) => set_claim_status_with_event(
                cx.api,
                &c,
                PersistentVolumeClaimPhase::Lost,
                "Warning",
                "ClaimMisbound",
                "Two claims are bound to the same volume, this one is bound incorrectly",
            ),
        }
    }

    /// 1.36's retroactive default class: a claim created without a class
    /// (the field absent) gets the default class once one exists.
    fn assign_default_class(&mut self, cx: &mut Cx, c: &PersistentVolumeClaim) -> bool {
        if c.spec.storage_class_name.is_some() || has_ann(&c.metadata, "volume.beta.kubernetes.io/storage-class") {
            return false;
        }
        let Some(class) = crate::engine::apiserver::admission::default_storage_class(cx.api) else { return false };
        let mut n = c.clone();
        n.spec.storage_class_name = Some(class);
        update_t(cx.api, n).is_some()
    }

    fn emit_wait_for_consumer(&mut self, cx: &mut Cx, c: &PersistentVolumeClaim) {
        let pods: Vec<String> = cx
            .api
            .store
            .pods_using_claim(&c.metadata.namespace, &c.metadata.name)
            .filter(|p| !is_pod_terminated(p) && p.spec.node_name.is_empty())
            .map(|p| p.metadata.name.clone())
            .collect();
        let (reason, msg) = match pods.len() {
            0 => ("WaitForFirstConsumer", "waiting for first consumer to be created before binding".to_string()),
            1 => ("WaitForPodScheduled", format!("waiting for pod {} to be scheduled", pods[0])),
            _ => ("WaitForPodScheduled", format!("waiting for pods {} to be scheduled", pods.join(","))),
        };
        cx.api.event(&Object::PersistentVolumeClaim(c.clone()), "Normal", reason, &msg, COMPONENT);
    }

    /// `provisionClaim`: in-tree plugins (none are left but the CSI-migrated
    /// names) or an external provisioner, which is told through the
    /// storage-provisioner annotations.
    fn provision_claim(&mut self, cx: &mut Cx, c: &PersistentVolumeClaim) {
        let class_name = claim_class(c).to_string();
        let Some(sc) = cx.api.get_t::<StorageClass>("", &class_name).cloned() else {
            let msg = format!("storageclass.storage.k8s.io {class_name:?} not found");
            cx.api.event(&Object::PersistentVolumeClaim(c.clone()), "Warning", "ProvisioningFailed", &msg, COMPONENT);
            return;
        };
        let provisioner = match migrated_csi_name(&sc.provisioner) {
            Some(csi) => csi.to_string(),
            None if sc.provisioner.starts_with("kubernetes.io/") => {
                let msg = format!("no volume plugin matched name: {}", sc.provisioner);
                cx.api.event(&Object::PersistentVolumeClaim(c.clone()), "Warning", "ProvisioningFailed", &msg, COMPONENT);
                return;
            }
            None => sc.provisioner.clone(),
        };
        let mut claim = c.clone();
        if claim.metadata.annotations.get(ANN_STORAGE_PROVISIONER) != Some(&provisioner) {
            let mut n = claim.clone();
            n.metadata.annotations.insert(ANN_BETA_STORAGE_PROVISIONER.into(), provisioner.clone());
            n.metadata.annotations.insert(ANN_STORAGE_PROVISIONER.into(), provisioner.clone());
            if migrated_csi_name(&sc.provisioner).is_some() {
                n.metadata.annotations.insert(ANN_MIGRATED_TO.into(), provisioner.clone());
            }
            match update_t(cx.api, n) {
                Some(u) => claim = u,
                None => return,
            }
        }
        let msg = format!(
            "Waiting for a volume to be created either by the external provisioner '{provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered."
        );
        cx.api.event(&Object::PersistentVolumeClaim(claim), "Normal", "ExternalProvisioning", &msg, COMPONENT);
    }

    /// `bind`: the volume first (claimRef, then phase), then the claim
    /// (volumeName and annotations, then status).
    fn bind(&mut self, cx: &mut Cx, volume: PersistentVolume, claim: PersistentVolumeClaim) {
        let mut v = volume;
        let should_set_bbc = !is_volume_bound_to_claim(&v, &claim);
        let mut n = v.clone();
        let mut dirty = false;
        let same_ref =
            n.spec.claim_ref.as_ref().is_some_and(|r| r.name == claim.metadata.name && r.namespace == claim.metadata.namespace && r.uid == claim.metadata.uid);
        if !same_ref {
            n.spec.claim_ref = Some(claim_reference(&claim));
            dirty = true;
        }
        if should_set_bbc && !has_ann(&n.metadata, ANN_BOUND_BY_CONTROLLER) {
            n.metadata.annotations.insert(ANN_BOUND_BY_CONTROLLER.into(), "yes".into());
            dirty = true;
        }
        if dirty {
            match update_t(cx.api, n) {
                Some(u) => v = u,
                None => return,
            }
        }
        let v = set_volume_phase(cx.api, &v, PersistentVolumePhase::Bound, "");
        let mut c = claim;
        let mut n = c.clone();
        let mut dirty = false;
        if n.spec.volume_name != v.metadata.name {
            n.spec.volume_name = v.metadata.name.clone();
            n.metadata.annotations.entry(ANN_BOUND_BY_CONTROLLER.into()).or_insert_with(|| "yes".into());
            dirty = true;
        }
        if !has_ann(&n.metadata, ANN_BIND_COMPLETED) {
            n.metadata.annotations.insert(ANN_BIND_COMPLETED.into(), "yes".into());
            dirty = true;
        }
        if dirty {
            match update_t(cx.api, n) {
                Some(u) => c = u,
                None => return,
            }
        }
        self.pending.remove(&c.key());
        set_claim_status(cx.api, &c, PersistentVolumeClaimPhase::Bound, Some(&v));
    }

    // ------------------------------------------------------------ volumes

    fn sync_volume(&mut self, cx: &mut Cx, name: &str) {
        let Some(v) = cx.api.get_t::<PersistentVolume>("", name).cloned() else {
            self.failed.remove(name);
            self.recycling.remove(name);
            return;
        };
        if v.status.phase == PersistentVolumePhase::Failed {
            self.failed.insert(name.to_string());
        } else {
            self.failed.remove(name);
        }
        let Some(r) = v.spec.claim_ref.clone() else {
            set_volume_phase(cx.api, &v, PersistentVolumePhase::Available, "");
            return;
        };
        if r.uid.is_empty() {
            // Pre-bound by the user; the claim's sync finishes the binding.
            set_volume_phase(cx.api, &v, PersistentVolumePhase::Available, "");
            return;
        }
        let claim = cx.api.get_t::<PersistentVolumeClaim>(&r.namespace, &r.name).filter(|c| c.metadata.uid == r.uid).cloned();
        match claim {
            None => {
                let v = if v.status.phase != PersistentVolumePhase::Released && v.status.phase != PersistentVolumePhase::Failed {
                    set_volume_phase(cx.api, &v, PersistentVolumePhase::Released, "")
                } else {
                    v
                };
                self.reclaim(cx, v);
            }
            Some(c) if c.spec.volume_name.is_empty() => {
                // The claim's sync completes a binding the volume already has.
                self.sync_claim(cx, &c.key());
            }
            Some(c) if c.spec.volume_name == v.metadata.name => {
                set_volume_phase(cx.api, &v, PersistentVolumePhase::Bound, "");
            }
            Some(_) => {
                if has_ann(&v.metadata, ANN_DYNAMICALLY_PROVISIONED) && v.spec.persistent_volume_reclaim_policy == PersistentVolumeReclaimPolicy::Delete {
                    let v = if v.status.phase != PersistentVolumePhase::Released && v.status.phase != PersistentVolumePhase::Failed {
                        set_volume_phase(cx.api, &v, PersistentVolumePhase::Released, "")
                    } else {
                        v
                    };
                    self.reclaim(cx, v);
                } else {
                    self.unbind_volume(cx, &v);
                }
            }
        }
    }

    /// `unbindVolume`: a controller-made binding is dropped; a user's
    /// pre-binding keeps the claim's name but loses its uid.
    fn unbind_volume(&mut self, cx: &mut Cx, v: &PersistentVolume) {
        let mut n = v.clone();
        if has_ann(&v.metadata, ANN_BOUND_BY_CONTROLLER) {
            n.spec.claim_ref = None;
            n.metadata.annotations.remove(ANN_BOUND_BY_CONTROLLER);
        } else if let Some(r) = &mut n.spec.claim_ref {
            r.uid.clear();
        }
        if let Some(u) = update_t(cx.api, n) {
            set_volume_phase(cx.api, &u, PersistentVolumePhase::Available, "");
        }
    }

    /// `reclaimVolume`.
    fn reclaim(&mut self, cx: &mut Cx, v: PersistentVolume) {
        if has_ann(&v.metadata, ANN_MIGRATED_TO) {
            return;
        }
        match v.spec.persistent_volume_reclaim_policy.clone() {
            PersistentVolumeReclaimPolicy::Retain => {}
            PersistentVolumeReclaimPolicy::Recycle => {
                let now = cx.api.now.0;
                match self.recycling.get(&v.metadata.name).copied() {
                    None => {
                        let due = now + RECYCLE_MS;
                        self.recycling.insert(v.metadata.name.clone(), due);
                        cx.api.wake_at(Time(due), Ctl::PvBinder, ObjRef::new(Kind::PersistentVolume, "", &v.metadata.name));
                    }
                    Some(due) if due <= now => {
                        self.recycling.remove(&v.metadata.name);
                        self.recycle(cx, &v.metadata.name);
                    }
                    Some(_) => {}
                }
            }
            PersistentVolumeReclaimPolicy::Delete => self.delete_volume(cx, v),
            _ => {
                set_volume_phase_with_event(
                    cx.api,
                    &v,
                    PersistentVolumePhase::Failed,
                    "Warning",
                    "VolumeUnknownReclaimPolicy",
                    "Volume has unrecognized PersistentVolumeReclaimPolicy",
                );
            }
        }
    }

    /// `isVolumeReleased`.
    fn is_released(api: &Api, v: &PersistentVolume) -> bool {
        let Some(r) = &v.spec.claim_ref else { return false };
        if r.uid.is_empty() {
            return false;
        }
        match api.get_t::<PersistentVolumeClaim>(&r.namespace, &r.name) {
            Some(c) if c.metadata.uid == r.uid => !c.spec.volume_name.is_empty() && c.spec.volume_name != v.metadata.name,
            _ => true,
        }
    }

    /// `recycleVolumeOperation`: the recycler pod scrubs the volume, then
    /// the volume is Available again.
    fn recycle(&mut self, cx: &mut Cx, name: &str) {
        let Some(v) = cx.api.get_t::<PersistentVolume>("", name).cloned() else { return };
        if !Self::is_released(cx.api, &v) {
            return;
        }
        let r = v.spec.claim_ref.clone().unwrap_or_default();
        let mut users: Vec<String> = cx
            .api
            .store
            .pods_using_claim(&r.namespace, &r.name)
            .filter(|p| !is_pod_terminated(p))
            .map(|p| format!("{}/{}", p.metadata.namespace, p.metadata.name))
            .collect();
        crate::engine::sort::sort(&mut users);
        let claim_cached = cx.api.get_t::<PersistentVolumeClaim>(&r.namespace, &r.name).is_some();
        if !users.is_empty() && !claim_cached {
            let msg = format!("Volume is used by pods: {}", users.join(","));
            cx.api.event(&Object::PersistentVolume(v), "Normal", "VolumeFailedRecycle", &msg, COMPONENT);
            return;
        }
        if v.spec.host_path.is_none() && v.spec.nfs.is_none() {
            set_volume_phase_with_event(
                cx.api,
                &v,
                PersistentVolumePhase::Failed,
                "Warning",
                "VolumeFailedRecycle",
                "No recycler plugin found for the volume!",
            );
            return;
        }
        // The recycler pod: scheduled like any pod (a hostPath recycler has
        // no node affinity, so it scrubs the directory of whichever node it
        // lands on), it runs `find /scrub -mindepth 1 -delete`.
        let nodes: Vec<String> = cx
            .api
            .store
            .list_t::<Node>()
            .filter(|n| is_condition_true(&n.status.conditions, &ConditionType::Ready) && !n.spec.unschedulable)
            .map(|n| n.metadata.name.clone())
            .collect();
        if nodes.is_empty() {
            let msg = "Recycle failed: failed to recycle volume: recycler pod was deleted";
            set_volume_phase_with_event(cx.api, &v, PersistentVolumePhase::Failed, "Warning", "VolumeFailedRecycle", msg);
            return;
        }
        let node = nodes[cx.api.rng.below(nodes.len() as u64) as usize].clone();
        let pod = format!("recycler-for-{}", v.metadata.name);
        let obj = Object::PersistentVolume(v.clone());
        for m in [
            format!("Recycler pod: Successfully assigned default/{pod} to {node}"),
            format!("Recycler pod: Container image \"{RECYCLER_IMAGE}\" already present on machine"),
            "Recycler pod: Created container: pv-recycler".to_string(),
            "Recycler pod: Started container pv-recycler".to_string(),
        ] {
            cx.api.event(&obj, "Normal", "RecyclerPod", &m, COMPONENT);
        }
        let id = storage::volume_id_for_pv(&v, &node);
        storage::scrub(cx.world, &id);
        cx.api.event(&obj, "Normal", "VolumeRecycled", "Volume recycled", COMPONENT);
        self.unbind_volume(cx, &v);
    }

    /// `deleteVolumeOperation` for volumes no external provisioner owns.
    fn delete_volume(&mut self, cx: &mut Cx, v: PersistentVolume) {
        // External deleters (every dynamically provisioned volume here, and
        // CSI volumes) are the provisioner's business.
        if let Some(p) = v.metadata.annotations.get(ANN_DYNAMICALLY_PROVISIONED)
            && !p.is_empty()
        {
            if !p.starts_with("kubernetes.io/") {
                return;
            }
            let msg = format!("no volume plugin matched name: {p}");
            set_volume_phase_with_event(cx.api, &v, PersistentVolumePhase::Failed, "Warning", "VolumeFailedDelete", &msg);
            return;
        }
        if v.spec.csi.is_some() {
            return;
        }
        let Some(hp) = v.spec.host_path.clone() else {
            let msg = format!("error getting deleter volume plugin for volume {:?}: no deletable volume plugin matched", v.metadata.name);
            set_volume_phase_with_event(cx.api, &v, PersistentVolumePhase::Failed, "Warning", "VolumeFailedDelete", &msg);
            return;
        };
        if !Self::is_released(cx.api, &v) {
            return;
        }
        // The hostPath deleter (regexp "/tmp/.+", unanchored) removes the
        // directory on the kube-controller-manager's own host, which is not
        // one of the nodes: the nodes' copies stay where they are.
        let ok = hp.path.match_indices("/tmp/").any(|(i, _)| hp.path.len() > i + 5);
        if !ok {
            let msg = format!("host_path deleter only supports /tmp/.+ but received provided {}", hp.path);
            set_volume_phase_with_event(cx.api, &v, PersistentVolumePhase::Failed, "Warning", "VolumeFailedDelete", &msg);
            return;
        }
        let _ = cx.api.delete(Kind::PersistentVolume, "", &v.metadata.name, &Default::default());
    }
}

impl Controller for PvBinder {
    fn id(&self) -> Ctl {
        Ctl::PvBinder
    }

    fn watch(&mut self, ch: &Change, _api: &Api, q: &mut WorkQueue) {
        match ch.kind {
            Kind::PersistentVolumeClaim => {
                let (old, new) = ch.typed::<PersistentVolumeClaim>();
                match new {
                    Some(c) => {
                        if has_ann(&c.metadata, ANN_BIND_COMPLETED) {
                            self.pending.remove(&c.key());
                        } else {
                            self.pending.insert(c.key());
                        }
                        q.add(ch.obj_ref());
                    }
                    None => {
                        self.pending.remove(&ch.key);
                        if let Some(o) = old.filter(|o| !o.spec.volume_name.is_empty()) {
                            q.add(ObjRef::new(Kind::PersistentVolume, "", &o.spec.volume_name));
                        }
                    }
                }
            }
            Kind::PersistentVolume => {
                let (old, new) = ch.typed::<PersistentVolume>();
                if let Some(o) = old {
                    self.index_pv(o, false);
                }
                match new {
                    Some(v) => {
                        self.index_pv(v, true);
                        if v.status.phase == PersistentVolumePhase::Available
                            && old.is_none_or(|o| o.status.phase != PersistentVolumePhase::Available || o.spec != v.spec)
                            && !self.pending.is_empty()
                        {
                            self.want_significant = true;
                        }
                        q.add(ch.obj_ref());
                    }
                    None => {
                        self.failed.remove(&ch.key.name);
                        if let Some(r) = old.and_then(|o| o.spec.claim_ref.as_ref()) {
                            q.add(ObjRef { kind: Kind::PersistentVolumeClaim, key: claim_key(r) });
                        }
                    }
                }
            }
            Kind::Pod => {
                // A deleted pod that waited for claims gives the binder a turn
                // (its sync only re-arms the resync timer). The turn once
                // carried the clean-up of the scheduler's PreBind state, which
                // the scheduler now does itself; it stays so that the binder's
                // later keys keep their place in the instant's rounds
                // (transcripts are byte-for-byte). Dropping it is a change of
                // timing to make on its own.
                if let (Some(p), None) = ch.typed::<Pod>()
                    && p.spec.node_name.is_empty()
                    && storage::pod_claims(p).next().is_some()
                {
                    q.add(resync_key_schedule());
                }
            }
            Kind::StorageClass => {
                let (old, new) = ch.typed::<StorageClass>();
                if new.is_some_and(|n| n.is_default() && old.is_none_or(|o| !o.is_default())) && !self.pending.is_empty() {
                    // A new default class: waiting claims without a class get it at the resync.
                    self.want_significant = true;
                    q.add(resync_key_schedule());
                }
            }
            _ => {}
        }
    }

    fn sync(&mut self, key: &ObjRef, cx: &mut Cx) {
        if *key == resync_key() {
            if self.resync.is_some_and(|(t, _)| t <= cx.api.now.0) {
                self.resync = None;
            }
            self.resync_all(cx);
        } else {
            // (`resync_key_schedule` is neither: its sync is the timer below.)
            match key.kind {
                Kind::PersistentVolumeClaim => self.sync_claim(cx, &key.key),
                Kind::PersistentVolume => self.sync_volume(cx, &key.key.name),
                _ => {}
            }
        }
        self.ensure_timer(cx);
    }
}

/// A key whose sync only (re)schedules the resync timer.
fn resync_key_schedule() -> ObjRef {
    ObjRef::new(Kind::StorageClass, "", "~resync")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Cluster;
    use crate::engine::quantity::Quantity;

    fn claim(name: &str, class: Option<&str>, size: &str) -> PersistentVolumeClaim {
        let mut c = PersistentVolumeClaim { metadata: ObjectMeta::named("default", name), ..Default::default() };
        c.spec.storage_class_name = class.map(|s| s.to_string());
        c.spec.access_modes = vec![PersistentVolumeAccessMode::ReadWriteOnce];
        c.spec.resources.requests.insert("storage".into(), Quantity::parse(size).unwrap());
        c
    }

    fn nfs_pv(name: &str, size: &str) -> PersistentVolume {
        let mut v = PersistentVolume::default();
        v.metadata.name = name.into();
        v.spec.capacity.insert("storage".into(), Quantity::parse(size).unwrap());
        v.spec.access_modes = vec![PersistentVolumeAccessMode::ReadWriteOnce];
        v.spec.nfs = Some(NfsVolumeSource { server: "nfs".into(), path: format!("/{name}"), read_only: false });
        v
    }

    #[test]
    fn volume_satisfy_claim_reasons() {
        let c = claim("c", Some(""), "2Gi");
        assert_eq!(check_volume_satisfy_claim(&nfs_pv("v", "1Gi"), &c), Err("requested PV is too small".into()));
        let mut v = nfs_pv("v", "2Gi");
        v.spec.storage_class_name = "x".into();
        assert_eq!(check_volume_satisfy_claim(&v, &c), Err("storageClassName does not match".into()));
        let mut v = nfs_pv("v", "2Gi");
        v.spec.access_modes = vec![PersistentVolumeAccessMode::ReadOnlyMany];
        assert_eq!(check_volume_satisfy_claim(&v, &c), Err("incompatible accessMode".into()));
        assert_eq!(check_volume_satisfy_claim(&nfs_pv("v", "2Gi"), &c), Ok(()));
    }

    #[test]
    fn claim_ref_is_a_full_object_reference() {
        let mut c = claim("data", None, "1Gi");
        c.metadata.uid = "u1".into();
        c.metadata.resource_version = "42".into();
        let r = claim_reference(&c);
        assert_eq!(
            (r.kind.as_str(), r.api_version.as_str(), r.namespace.as_str(), r.name.as_str(), r.uid.as_str(), r.resource_version.as_str()),
            ("PersistentVolumeClaim", "v1", "default", "data", "u1", "42")
        );
    }

    #[test]
    fn binding_sets_both_sides_and_capacity_comes_from_the_volume() {
        let mut c = Cluster::new(1);
        c.create(Object::PersistentVolume(nfs_pv("big", "10Gi"))).unwrap();
        c.create(Object::PersistentVolumeClaim(claim("small", Some(""), "1Gi"))).unwrap();
        let pvc = c.get::<PersistentVolumeClaim>("default", "small").unwrap();
        assert_eq!(pvc.status.phase, PersistentVolumeClaimPhase::Bound);
        assert_eq!(pvc.status.capacity["storage"].to_string(), "10Gi");
        let pv = c.get::<PersistentVolume>("", "big").unwrap();
        assert_eq!(pv.spec.claim_ref.as_ref().unwrap().uid, pvc.metadata.uid);
        assert_eq!(pv.status.phase, PersistentVolumePhase::Bound);
    }

    #[test]
    fn a_claim_nothing_can_bind_does_not_keep_the_cluster_busy() {
        let mut c = Cluster::new(2);
        c.create(Object::PersistentVolumeClaim(claim("lonely", Some(""), "1Gi"))).unwrap();
        assert!(!c.busy());
        // A volume that might fit makes the next resync count.
        c.create(Object::PersistentVolume(nfs_pv("later", "1Gi"))).unwrap();
        assert!(c.busy());
        let (took, settled) = c.settle();
        assert!(settled && took <= RESYNC_PERIOD);
        assert_eq!(c.get::<PersistentVolumeClaim>("default", "lonely").unwrap().spec.volume_name, "later");
    }

    #[test]
    fn a_deleted_bound_claim_leaves_a_released_retained_volume() {
        let mut c = Cluster::new(3);
        c.create(Object::PersistentVolume(nfs_pv("keep", "1Gi"))).unwrap();
        c.create(Object::PersistentVolumeClaim(claim("c", Some(""), "1Gi"))).unwrap();
        c.delete(Kind::PersistentVolumeClaim, "default", "c", &Default::default()).unwrap();
        let v = c.get::<PersistentVolume>("", "keep").unwrap();
        assert_eq!(v.status.phase, PersistentVolumePhase::Released);
        assert!(v.spec.claim_ref.is_some());
        // A new claim cannot take it: Released is not Available.
        c.create(Object::PersistentVolumeClaim(claim("c2", Some(""), "1Gi"))).unwrap();
        assert_eq!(c.get::<PersistentVolumeClaim>("default", "c2").unwrap().status.phase, PersistentVolumeClaimPhase::Pending);
    }

    #[test]
    fn static_nfs_delete_policy_fails_without_a_deleter() {
        let mut c = Cluster::new(4);
        let mut v = nfs_pv("del", "1Gi");
        v.spec.persistent_volume_reclaim_policy = PersistentVolumeReclaimPolicy::Delete;
        c.create(Object::PersistentVolume(v)).unwrap();
        c.create(Object::PersistentVolumeClaim(claim("c", Some(""), "1Gi"))).unwrap();
        c.delete(Kind::PersistentVolumeClaim, "default", "c", &Default::default()).unwrap();
        let v = c.get::<PersistentVolume>("", "del").unwrap();
        assert_eq!(v.status.phase, PersistentVolumePhase::Failed);
        assert_eq!(v.status.message, "error getting deleter volume plugin for volume \"del\": no deletable volume plugin matched");
        let ev = c.api.events_for(Kind::PersistentVolume, "", "del", "");
        assert_eq!(ev[0].reason, "VolumeFailedDelete");
    }
}
