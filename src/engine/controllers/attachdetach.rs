//! The attach/detach controller (pkg/controller/volume/attachdetach) and the
//! CSI external-attacher sidecar of each attachable driver.
//!
//! The controller keeps a desired state (which attachable volumes the pods
//! scheduled to each node use) and an actual state (what is attached where),
//! and reconciles them: it attaches by creating a VolumeAttachment
//! `csi-<sha256>`, which the driver's external-attacher marks attached after
//! the cloud's attach time; it detaches by deleting it once the node no
//! longer reports the volume in use (node.status.volumesInUse), or,
//! for an unhealthy node, after maxWaitForUnmountDuration (6 minutes), or at
//! once when the node carries the `node.kubernetes.io/out-of-service` taint.
//! A ReadWriteOnce disk attached to one node cannot be attached to another:
//! pods elsewhere get `FailedAttachVolume` Multi-Attach errors.
//!
//! It also registers the CSI node plugins of installed drivers on nodes that
//! join the cluster (CSINode, topology labels), as the kubelet does.

use super::pvbinder::update_status_t;
use super::{Controller, Ctl, Cx, WorkQueue};
use crate::engine::api::*;
use crate::engine::apiserver::Api;
use crate::engine::storage::*;
use crate::engine::store::{Change, Op};
use crate::engine::time::{MINUTE, Millis, Time};
use std::collections::{BTreeMap, BTreeSet};

const COMPONENT: &str = "attachdetach-controller";
/// --attach-detach-reconcile-max-wait-unmount-duration
pub const MAX_WAIT_FOR_UNMOUNT: Millis = 6 * MINUTE;
/// How long the CSI attacher waits for the external-attacher to mark a
/// VolumeAttachment attached (csiTimeout, pkg/volume/csi/csi_plugin.go).
const CSI_ATTACH_TIMEOUT: Millis = 2 * MINUTE;
/// The exponential back-off of a failed attach operation
/// (nestedpendingoperations: 500 ms doubling up to 2m2s).
const RETRY_INITIAL: Millis = 500;
const RETRY_MAX: Millis = 2 * MINUTE + 2_000;

#[derive(Clone, Debug)]
struct Attached {
    pv: String,
    va: String,
    /// The VolumeAttachment reports attached.
    confirmed: bool,
    /// The node reports the volume in use (assumed until it says otherwise).
    mounted: bool,
    detach_requested: Option<Millis>,
    detaching: bool,
    /// The running attach operation gives up at this time (timed out
    /// waiting for the external-attacher) ...
    attach_deadline: Millis,
    /// ... and after a failure the next one starts no earlier than this.
    attach_retry_at: Millis,
    attach_failures: u32,
}

#[derive(Clone, Debug, Default, PartialEq)]
struct Desired {
    pv: String,
    // A sorted Vec: BTreeSet<ObjKey> brought its own copy of BTreeMap's code.
    pods: crate::engine::sort::VecSet<ObjKey>,
}

#[derive(Clone, Default)]
pub struct AttachDetach {
    /// (unique volume name, node) -> what is attached.
    // Boxed values: BTreeMap's code is compiled per value size, and maps of
    // pointer-sized values share one copy in the wasm.
    actual: BTreeMap<(String, String), Box<Attached>>,
    /// node -> unique volume name -> the pods there that need it.
    desired: BTreeMap<String, BTreeMap<String, Box<Desired>>>,
    /// unique volume name -> nodes that want it.
    wanted_on: BTreeMap<String, crate::engine::sort::BoxedSet<String>>,
    /// Nodes whose volumesInUse report has changed since the last sync.
    in_use_dirty: BTreeSet<String>,
    /// Nodes whose CSI node plugins must register.
    to_register: BTreeSet<String>,
    /// Multi-Attach errors already reported: (pod, volume). (Boxed, here
    /// and in `force_timers`: BTreeSet's code is compiled per element size,
    /// and sets of pointer-sized elements share one copy in the wasm.)
    reported: BTreeSet<Box<(ObjKey, String)>>,
    /// external-attacher operations: VolumeAttachment -> completion time.
    attacher_ops: BTreeMap<String, Millis>,
    /// Force-detach deadlines already on the timer heap: (node, time).
    force_timers: BTreeSet<Box<(String, Millis)>>,
}

fn node_key(n: &str) -> ObjRef {
    ObjRef::new(Kind::Node, "", n)
}

pub fn attacher_finalizer(driver: &str) -> String {
    let s: String = driver.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    format!("external-attacher/{s}")
}

fn node_ready(n: &Node) -> bool {
    is_condition_true(&n.status.conditions, &ConditionType::Ready)
}

impl AttachDetach {
    /// The attachable volumes the pods on `node` need.
    fn desired_for(api: &Api, node: &str) -> BTreeMap<String, Box<Desired>> {
        let mut out: BTreeMap<String, Box<Desired>> = BTreeMap::new();
        for p in api.store.pods_on_node(node) {
            if is_pod_terminated(p) {
                continue;
            }
            for claim in pod_claims(p) {
                let Some(c) = api.get_t::<PersistentVolumeClaim>(&p.metadata.namespace, claim) else { continue };
                let Some(v) = claim_volume(api, c) else { continue };
                if !is_attachable(api, v) {
                    continue;
                }
                let d = out.entry(unique_volume_name(v)).or_default();
                d.pv = v.metadata.name.clone();
                d.pods.insert(p.key());
            }
        }
        out
    }

    fn sync_node(&mut self, cx: &mut Cx, node: &str) {
        if self.to_register.remove(node) {
            register_node_plugins(cx, node);
        }
        let node_obj = cx.api.get_t::<Node>("", node).cloned();
        // Desired state.
        let desired = Self::desired_for(cx.api, node);
        let old = self.desired.remove(node).unwrap_or_default();
        for vol in old.keys() {
            if !desired.contains_key(vol)
                && let Some(s) = self.wanted_on.get_mut(vol)
            {
                s.remove(node);
                if s.is_empty() {
                    self.wanted_on.remove(vol);
                }
            }
        }
        for vol in desired.keys() {
            self.wanted_on.entry(vol.clone()).or_default().insert(node.to_string());
        }
        // Pods that stopped wanting a volume here may be reported again later.
        let wants = |m: &BTreeMap<String, Box<Desired>>, pod: &ObjKey, vol: &String| m.get(vol).is_some_and(|d| d.pods.contains(pod));
        self.reported.retain(|r| !wants(&old, &r.0, &r.1) || wants(&desired, &r.0, &r.1));
        if !desired.is_empty() {
            self.desired.insert(node.to_string(), desired.clone());
        }
        // What the node reports mounted. A deleted node's last report stands
        // (nodeDelete: processVolumesInUse with the deleted object's
        // volumesInUse): its volumes are force-detached after
        // maxWaitForUnmountDuration, as for any node that is not Ready.
        if self.in_use_dirty.remove(node)
            && let Some(n) = &node_obj
        {
            // searched as it is: a BTreeSet<&String> was the wasm's only set of that layout
            let in_use = &n.status.volumes_in_use;
            for ((vol, nn), a) in self.actual.iter_mut() {
                if nn == node {
                    a.mounted = in_use.contains(vol);
                }
            }
        }
        let now = cx.api.now.0;
        self.force_timers.retain(|f| f.0 != node || f.1 > now);
        let healthy = node_obj.as_ref().is_some_and(node_ready);
        let out_of_service = node_obj.as_ref().is_some_and(|n| n.spec.taints.iter().any(|t| t.key == TAINT_OUT_OF_SERVICE));
        let mut attached_changed = false;

        // Detach first, so volumes of rescheduled pods can move.
        let on_node: Vec<String> = self.actual.keys().filter(|(_, n)| n == node).map(|(v, _)| v.clone()).collect();
        for vol in &on_node {
            if desired.contains_key(vol) {
                if let Some(a) = self.actual.get_mut(&(vol.clone(), node.to_string())) {
                    a.detach_requested = None;
                }
                continue;
            }
            let key = (vol.clone(), node.to_string());
            let Some(a) = self.actual.get_mut(&key) else { continue };
            if a.detaching {
                continue;
            }
            let requested = *a.detach_requested.get_or_insert(now);
            let force = !healthy && now - requested > MAX_WAIT_FOR_UNMOUNT;
            if a.mounted && !force && !out_of_service {
                let deadline = requested + MAX_WAIT_FOR_UNMOUNT + 1;
                if !healthy && self.force_timers.insert(Box::new((node.to_string(), deadline))) {
                    cx.api.wake_at(Time(deadline), Ctl::AttachDetach, node_key(node));
                }
                continue;
            }
            a.detaching = true;
            attached_changed = true;
            let va = a.va.clone();
            let _ = cx.api.delete(Kind::VolumeAttachment, "", &va, &Default::default());
        }

        // Attach what the node's pods need.
        for (vol, d) in &desired {
            let key = (vol.clone(), node.to_string());
            if self.actual.contains_key(&key) {
                continue;
            }
            let Some(pv) = cx.api.get_t::<PersistentVolume>("", &d.pv).cloned() else { continue };
            let elsewhere: Vec<String> = self.actual.keys().filter(|(v, n)| v == vol && n != node).map(|(_, n)| n.clone()).collect();
            if !elsewhere.is_empty() && !multi_attach_allowed(&pv) {
                self.report_multi_attach(cx, vol, &pv, node, d, &elsewhere);
                continue;
            }
            let Some(csi) = pv.spec.csi.clone() else { continue };
            let name = volume_attachment_name(&csi.volume_handle, &csi.driver, node);
            if cx.api.get_t::<VolumeAttachment>("", &name).is_none() {
                let va = VolumeAttachment {
                    metadata: ObjectMeta::named("", &name),
                    spec: VolumeAttachmentSpec {
                        attacher: csi.driver.clone(),
                        source: VolumeAttachmentSource { persistent_volume_name: Some(pv.metadata.name.clone()), inline_volume_spec: None },
                        node_name: node.to_string(),
                    },
                    ..Default::default()
                };
                if cx.api.create(Object::VolumeAttachment(va)).is_err() {
                    continue;
                }
            }
            self.actual.insert(
                key,
                Box::new(Attached {
                    pv: pv.metadata.name.clone(),
                    va: name,
                    confirmed: false,
                    mounted: true,
                    detach_requested: None,
                    detaching: false,
                    attach_deadline: now + CSI_ATTACH_TIMEOUT,
                    attach_retry_at: now,
                    attach_failures: 0,
                }),
            );
            // Only an attach that will time out (no external-attacher runs
            // for the driver) keeps `settle` busy until then.
            if driver_installed(cx.world, &csi.driver) {
                cx.api.wake_idle_at(Time(now + CSI_ATTACH_TIMEOUT), Ctl::AttachDetach, node_key(node));
            } else {
                cx.api.wake_at(Time(now + CSI_ATTACH_TIMEOUT), Ctl::AttachDetach, node_key(node));
            }
        }

        // Attachments the external-attacher has completed.
        let entries: Vec<(String, String, String)> = self
            .actual
            .iter()
            .filter(|((_, n), a)| n == node && !a.confirmed && !a.detaching)
            .map(|((v, _), a)| (v.clone(), a.va.clone(), a.pv.clone()))
            .collect();
        for (vol, va, pv) in entries {
            let ok = cx.api.get_t::<VolumeAttachment>("", &va).is_some_and(|x| x.status.attached);
            let Some(a) = self.actual.get_mut(&(vol.clone(), node.to_string())) else { continue };
            if ok && now < a.attach_retry_at {
                // Attached during the back-off after a failed attempt: the
                // next attempt finds it so.
                cx.api.wake_at(Time(a.attach_retry_at), Ctl::AttachDetach, node_key(node));
                continue;
            }
            if !ok {
                if now >= a.attach_deadline {
                    // csiAttacher.Attach: "timed out waiting for external-attacher";
                    // the operation fails with an event on the pods and is retried.
                    a.attach_failures += 1;
                    let backoff = (RETRY_INITIAL << (a.attach_failures - 1).min(20)).min(RETRY_MAX);
                    a.attach_retry_at = now + backoff;
                    a.attach_deadline = a.attach_retry_at + CSI_ATTACH_TIMEOUT;
                    // Only the first failure keeps `settle` busy: without an
                    // attacher the retries go on for ever.
                    cx.api.wake_idle_at(Time(a.attach_deadline), Ctl::AttachDetach, node_key(node));
                    let handle = cx.api.get_t::<PersistentVolume>("", &pv).and_then(|p| p.spec.csi.clone()).unwrap_or_default();
                    let msg = format!(
                        "AttachVolume.Attach failed for volume {pv:?} : timed out waiting for external-attacher of {} CSI driver to attach volume {}",
                        handle.driver, handle.volume_handle
                    );
                    for pk in desired.get(&vol).map(|d| d.pods.clone()).unwrap_or_default() {
                        if let Some(p) = cx.api.get_t::<Pod>(&pk.namespace, &pk.name).cloned() {
                            cx.api.event(&Object::Pod(p), "Warning", "FailedAttachVolume", &msg, COMPONENT);
                        }
                    }
                }
                continue;
            }
            a.confirmed = true;
            attached_changed = true;
            let msg = format!("AttachVolume.Attach succeeded for volume {pv:?} ");
            if let Some(d) = desired.get(&vol) {
                for pk in &d.pods {
                    if let Some(p) = cx.api.get_t::<Pod>(&pk.namespace, &pk.name).cloned() {
                        cx.api.event(&Object::Pod(p), "Normal", "SuccessfulAttachVolume", &msg, COMPONENT);
                    }
                    self.reported.remove(&(pk.clone(), vol.clone()));
                }
            }
        }
        if attached_changed {
            self.write_volumes_attached(cx, node);
        }
    }

    fn report_multi_attach(&mut self, cx: &mut Cx, vol: &str, pv: &PersistentVolume, node: &str, d: &Desired, elsewhere: &[String]) {
        // Pods on the other nodes that use the volume.
        let mut users: Vec<ObjKey> = vec![];
        for n in elsewhere {
            if let Some(od) = self.desired.get(n).and_then(|m| m.get(vol)) {
                users.extend(od.pods.iter().cloned());
            }
        }
        let _ = node;
        for pk in &d.pods {
            if !self.reported.insert(Box::new((pk.clone(), vol.to_string()))) {
                continue;
            }
            let Some(p) = cx.api.get_t::<Pod>(&pk.namespace, &pk.name).cloned() else { continue };
            let suffix = if users.is_empty() {
                "Volume is already exclusively attached to one node and can't be attached to another".to_string()
            } else {
                let local: Vec<&str> = users.iter().filter(|u| u.namespace == pk.namespace).map(|u| u.name.as_str()).collect();
                let others = users.len() - local.len();
                if local.is_empty() {
                    format!("Volume is already used by {others} pod(s) in different namespaces")
                } else if others > 0 {
                    format!("Volume is already used by pod(s) {} and {others} pod(s) in different namespaces", local.join(", "))
                } else {
                    format!("Volume is already used by pod(s) {}", local.join(", "))
                }
            };
            let msg = format!("Multi-Attach error for volume {:?} {suffix}", pv.metadata.name);
            cx.api.event(&Object::Pod(p), "Warning", "FailedAttachVolume", &msg, COMPONENT);
        }
    }

    /// node.status.volumesAttached: the confirmed attachments not being detached.
    fn write_volumes_attached(&mut self, cx: &mut Cx, node: &str) {
        let Some(n) = cx.api.get_t::<Node>("", node).cloned() else { return };
        let list: Vec<AttachedVolume> = self
            .actual
            .iter()
            .filter(|((_, nn), a)| nn == node && a.confirmed && !a.detaching)
            .map(|((v, _), _)| AttachedVolume { name: v.clone(), device_path: String::new() })
            .collect();
        if n.status.volumes_attached != list {
            let mut u = n;
            u.status.volumes_attached = list;
            update_status_t(cx.api, u);
        }
    }

    /// The external-attacher of the VolumeAttachment's driver.
    fn sync_attachment(&mut self, cx: &mut Cx, name: &str) {
        let Some(va) = cx.api.get_t::<VolumeAttachment>("", name).cloned() else {
            self.attacher_ops.remove(name);
            return;
        };
        let driver = va.spec.attacher.clone();
        if !driver_installed(cx.world, &driver) {
            self.attacher_ops.remove(name);
            return;
        }
        let info = driver_info(&driver);
        let fin = attacher_finalizer(&driver);
        let now = cx.api.now.0;
        if va.metadata.is_deleting() {
            if !va.metadata.has_finalizer(&fin) {
                return;
            }
            match self.attacher_ops.get(name).copied() {
                Some(due) if due <= now => {
                    self.attacher_ops.remove(name);
                    let _ = cx.api.remove_finalizer(Kind::VolumeAttachment, &ObjKey::cluster(name), &fin);
                    // The PV keeps the attacher's finalizer while any node has it attached.
                    if let Some(pv) = va.spec.source.persistent_volume_name.as_deref() {
                        let others = cx
                            .api
                            .store
                            .list_t::<VolumeAttachment>()
                            .any(|o| o.metadata.name != name && o.spec.source.persistent_volume_name.as_deref() == Some(pv));
                        if !others {
                            let _ = cx.api.remove_finalizer(Kind::PersistentVolume, &ObjKey::cluster(pv), &fin);
                        }
                    }
                }
                Some(_) => {}
                None => {
                    let due = now + info.detach_ms;
                    self.attacher_ops.insert(name.to_string(), due);
                    cx.api.wake_at(Time(due), Ctl::AttachDetach, ObjRef::new(Kind::VolumeAttachment, "", name));
                }
            }
            return;
        }
        if va.status.attached {
            return;
        }
        if !va.metadata.has_finalizer(&fin) {
            let mut u = va.clone();
            u.metadata.finalizers.push(fin.clone());
            let _ = cx.api.update(Object::VolumeAttachment(u));
        }
        if let Some(pv) = va.spec.source.persistent_volume_name.as_deref()
            && let Some(p) = cx.api.get_t::<PersistentVolume>("", pv).filter(|p| !p.metadata.has_finalizer(&fin)).cloned()
        {
            let mut u = p;
            u.metadata.finalizers.push(fin);
            let _ = cx.api.update(Object::PersistentVolume(u));
        }
        match self.attacher_ops.get(name).copied() {
            Some(due) if due <= now => {
                self.attacher_ops.remove(name);
                let Some(mut u) = cx.api.get_t::<VolumeAttachment>("", name).cloned() else { return };
                u.status.attached = true;
                if driver == "ebs.csi.aws.com" {
                    u.status.attachment_metadata.insert("devicePath".into(), "/dev/xvdaa".into());
                }
                update_status_t(cx.api, u);
            }
            Some(_) => {}
            None => {
                let due = now + info.attach_ms;
                self.attacher_ops.insert(name.to_string(), due);
                cx.api.wake_at(Time(due), Ctl::AttachDetach, ObjRef::new(Kind::VolumeAttachment, "", name));
            }
        }
    }
}

impl Controller for AttachDetach {
    fn id(&self) -> Ctl {
        Ctl::AttachDetach
    }

    fn watch(&mut self, ch: &Change, api: &Api, q: &mut WorkQueue) {
        match ch.kind {
            Kind::Pod => {
                let (old, new) = ch.typed::<Pod>();
                for p in [old, new].into_iter().flatten() {
                    if !p.spec.node_name.is_empty() && pod_claims(p).next().is_some() {
                        q.add(node_key(&p.spec.node_name));
                    }
                }
            }
            Kind::PersistentVolumeClaim => {
                let (old, new) = ch.typed::<PersistentVolumeClaim>();
                if let Some(c) = new
                    && old.is_none_or(|o| o.spec.volume_name != c.spec.volume_name)
                    && !c.spec.volume_name.is_empty()
                {
                    for p in api.store.pods_using_claim(&c.metadata.namespace, &c.metadata.name) {
                        if !p.spec.node_name.is_empty() {
                            q.add(node_key(&p.spec.node_name));
                        }
                    }
                }
            }
            Kind::Node => match ch.op {
                Op::Added => {
                    self.to_register.insert(ch.key.name.clone());
                    q.add(ch.obj_ref());
                }
                Op::Modified => {
                    let (old, new) = ch.typed::<Node>();
                    let in_use_changed = old.map(|o| &o.status.volumes_in_use) != new.map(|n| &n.status.volumes_in_use);
                    let health_changed = old.map(node_ready) != new.map(node_ready) || old.map(|o| &o.spec.taints) != new.map(|n| &n.spec.taints);
                    // The controller re-reads volumesInUse at every node update.
                    self.in_use_dirty.insert(ch.key.name.clone());
                    if in_use_changed || health_changed {
                        q.add(ch.obj_ref());
                    }
                }
                Op::Deleted => {
                    q.add(ch.obj_ref());
                }
            },
            Kind::VolumeAttachment => {
                let (old, new) = ch.typed::<VolumeAttachment>();
                match new {
                    Some(va) => {
                        q.add(ch.obj_ref());
                        if va.status.attached && old.is_none_or(|o| !o.status.attached) {
                            q.add(node_key(&va.spec.node_name));
                        }
                    }
                    None => {
                        let Some(va) = old else { return };
                        // Detached: forget it, and let nodes waiting for the volume try again.
                        let node = va.spec.node_name.clone();
                        let key = self.actual.iter().find(|(_, a)| a.va == va.metadata.name).map(|(k, _)| k.clone());
                        if let Some((vol, n)) = key {
                            self.actual.remove(&(vol.clone(), n));
                            if let Some(nodes) = self.wanted_on.get(&vol) {
                                for w in nodes.iter() {
                                    q.add(node_key(w));
                                }
                            }
                        }
                        q.add(node_key(&node));
                        self.attacher_ops.remove(&va.metadata.name);
                    }
                }
            }
            Kind::CsiDriver => {
                // A (re)installed driver's external-attacher picks up its attachments.
                if let (_, Some(d)) = ch.typed::<CsiDriver>() {
                    for va in api.store.list_t::<VolumeAttachment>() {
                        if va.spec.attacher == d.metadata.name {
                            q.add(va.obj_ref());
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn sync(&mut self, key: &ObjRef, cx: &mut Cx) {
        match key.kind {
            Kind::Node => self.sync_node(cx, &key.key.name),
            Kind::VolumeAttachment => self.sync_attachment(cx, &key.key.name),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attacher_finalizers_sanitize_the_driver_name() {
        assert_eq!(attacher_finalizer("ebs.csi.aws.com"), "external-attacher/ebs-csi-aws-com");
        assert_eq!(attacher_finalizer("pd.csi.storage.gke.io"), "external-attacher/pd-csi-storage-gke-io");
    }

    #[test]
    fn nodes_that_join_register_the_csi_plugins() {
        let mut c = crate::engine::Cluster::new(1);
        c.cluster_verb(crate::engine::cluster::ClusterVerb::NodeAdd { node: "node-x".into(), zone: "zone-q".into() }).unwrap();
        let n = c.get::<Node>("", "node-x").unwrap();
        assert_eq!(n.metadata.labels["topology.gke.io/zone"], "zone-q");
        let cn = c.get::<CsiNode>("", "node-x").unwrap();
        let names: Vec<&str> = cn.spec.drivers.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["disk.csi.azure.com", "ebs.csi.aws.com", "efs.csi.aws.com", "nfs.csi.k8s.io", "pd.csi.storage.gke.io"]);
        assert_eq!(cn.metadata.owner_references[0].kind, "Node");
    }
}
