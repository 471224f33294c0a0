//! What the page draws, computed from the engine's state: plain data, no
//! browser types, so it is tested natively. The map's layout (where every
//! zone, node, pod and disk sits) is computed here too, so that the Yew
//! layer only turns boxes into SVG and animations are CSS transitions on
//! positions that change.

use crate::engine::Cluster;
use crate::engine::api::*;
use crate::engine::programs::postgres::table_from_text;
use crate::engine::storage;
use crate::engine::world::{FileTree, VolumeId};
use crate::kubectl::printers::rows::{PodState, pod_summary};
use std::collections::BTreeMap;
use std::rc::Rc;

/// How a node looks: its Ready condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeState {
    Ready,
    /// The kubelet reported NotReady.
    NotReady,
    /// The node controller lost contact (Ready=Unknown); kubectl prints
    /// NotReady for it too.
    Unknown,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NodeModel {
    pub name: String,
    pub zone: String,
    pub state: NodeState,
    /// The machine is powered off (`cluster node stop`).
    pub stopped: bool,
    pub cordoned: bool,
    /// `key:Effect` of every taint.
    pub taints: Vec<String>,
    pub cpu: String,
    pub memory: String,
    /// kubectl's STATUS column: `Ready`, `NotReady`, `Ready,SchedulingDisabled`.
    pub status: String,
    /// Why it is not Ready, in words: "powered off", "kubelet stopped
    /// posting node status", the kubelet's own message; empty when Ready.
    pub reason: String,
    /// Shared with the map's pod boxes, which redraw only when theirs changed.
    pub pods: Vec<Rc<PodModel>>,
    /// Node-local volumes (hostPath, local, local-path) that live here.
    pub disks: Vec<DiskModel>,
    /// Attachable volumes attached here (VolumeAttachments with attached=true).
    pub attached: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PodModel {
    pub uid: String,
    pub namespace: String,
    pub name: String,
    /// `StatefulSet/web`, `ReplicaSet/web-5d4f`, or empty.
    pub owner: String,
    /// Index into the owner palette (stable per owner).
    pub color: usize,
    /// kubectl's STATUS column (`Terminating` while it is deleted, even
    /// on a lost node, until it has finished).
    pub status: String,
    /// What that STATUS says, as kubectl's printer decided it.
    pub state: PodState,
    /// `1/1`
    pub ready: String,
    pub is_ready: bool,
    pub restarts: i64,
    pub terminating: bool,
    /// Claims the pod mounts.
    pub claims: Vec<String>,
    /// For Pending pods: why they wait (the scheduler's message).
    pub waiting: String,
    /// Where the containers' own writes live and what is in them: each
    /// container's writable layer and each emptyDir, with a summary of
    /// their contents. They die with the pod; a claim's data does not.
    pub layers: Vec<LayerModel>,
    /// CPU the metrics-server last measured (millicores) and the pod's CPU
    /// request (0: none), when it has metrics.
    pub cpu: Option<(u64, u64)>,
}

/// Storage that lives and dies with a pod.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerModel {
    pub kind: LayerKind,
    /// The container or the volume's name.
    pub name: String,
    /// "empty", "2 files", "postgres: 1 table, 2 rows".
    pub data: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayerKind {
    /// A container's writable layer (what it writes outside its mounts).
    Container,
    /// An emptyDir volume (on the node, for the pod's lifetime).
    EmptyDir,
}

/// How a pod is drawn: its look on the map.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PodLook {
    Ready,
    Running,
    Pending,
    Failing,
    Terminating,
    Done,
}

impl PodLook {
    pub const ALL: [PodLook; 6] = [PodLook::Ready, PodLook::Running, PodLook::Pending, PodLook::Failing, PodLook::Terminating, PodLook::Done];
    pub fn class(self) -> &'static str {
        match self {
            PodLook::Ready => "ready",
            PodLook::Running => "running",
            PodLook::Pending => "pending",
            PodLook::Failing => "failing",
            PodLook::Terminating => "terminating",
            PodLook::Done => "done",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            PodLook::Ready => "ready",
            PodLook::Running => "not ready",
            PodLook::Pending => "starting",
            PodLook::Failing => "failing",
            PodLook::Terminating => "terminating",
            PodLook::Done => "completed",
        }
    }
}

/// How many pods of each look, in [`PodLook::ALL`] order.
pub fn count_looks<'a>(pods: impl Iterator<Item = &'a PodModel>) -> [usize; 6] {
    let mut n = [0; 6];
    for p in pods {
        n[p.look() as usize] += 1;
    }
    n
}

impl PodModel {
    pub fn look(&self) -> PodLook {
        match self.state {
            _ if self.terminating => PodLook::Terminating,
            PodState::Running if self.is_ready => PodLook::Ready,
            PodState::Running => PodLook::Running,
            PodState::Starting => PodLook::Pending,
            PodState::Done => PodLook::Done,
            PodState::Failing | PodState::Terminating => PodLook::Failing,
        }
    }

    /// What the pod itself holds (its layers and emptyDirs) that is not
    /// empty, in one line: "container pg: postgres: 1 table, 1 row".
    pub fn own_data(&self) -> Option<String> {
        let parts: Vec<String> = self
            .layers
            .iter()
            .filter(|l| l.data != "empty")
            .map(|l| match l.kind {
                LayerKind::Container => format!("layer: {}", l.data),
                LayerKind::EmptyDir => format!("emptyDir {}: {}", l.name, l.data),
            })
            .collect();
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

/// Where a volume lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Home {
    Node(String),
    Zone(String),
    /// Reachable from every node (NFS, file storage).
    Everywhere,
    /// Not provisioned yet (a Pending claim).
    Nowhere,
}

/// A claim and/or the volume bound to it, drawn as one disk.
#[derive(Clone, Debug, PartialEq)]
pub struct DiskModel {
    /// `pvc/<ns>/<name>` or `pv/<name>` (stable identity for animation).
    pub key: String,
    pub claim: Option<String>,
    pub namespace: String,
    pub volume: Option<String>,
    /// PVC phase when there is a claim, else PV phase.
    pub phase: String,
    pub class: String,
    pub capacity: String,
    pub access: String,
    pub home: Home,
    /// What is on it: "empty", "3 files", "postgres: 1 table, 12 rows".
    pub data: String,
    pub terminating: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ZoneModel {
    pub name: String,
    pub nodes: Vec<NodeModel>,
    /// Zonal disks (block storage pinned to the zone).
    pub disks: Vec<DiskModel>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ClassModel {
    pub name: String,
    pub provisioner: String,
    pub binding_mode: String,
    pub reclaim: String,
    pub default: bool,
    pub expandable: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MapModel {
    pub zones: Vec<ZoneModel>,
    pub classes: Vec<ClassModel>,
    /// Pods with no node yet.
    pub pending: Vec<Rc<PodModel>>,
    /// Claims not bound yet, and volumes reachable from everywhere.
    pub unbound: Vec<DiskModel>,
    pub shared: Vec<DiskModel>,
    /// Storage drivers not installed (everything else is).
    pub missing_drivers: Vec<String>,
    /// Requests in flight: (client pod uid, server pod uid) for every
    /// looping HTTP client and the pods that answer it now.
    pub flows: Vec<(String, String)>,
}

/// Palette size for owner colours.
pub const PALETTE: usize = 8;

fn owner_of(meta: &ObjectMeta) -> String {
    meta.controller_ref().map(|r| format!("{}/{}", r.kind, r.name)).unwrap_or_default()
}

/// A stable colour for an owner: Deployments' ReplicaSets share the
/// Deployment's colour (pod-template-hash stripped).
pub fn color_of(owner: &str) -> usize {
    let base = match owner.split_once('/') {
        Some(("ReplicaSet", name)) => name.rsplit_once('-').map(|(d, _)| d).unwrap_or(name),
        // a CronJob's Jobs (`<cronjob>-<minutes>`) share the CronJob's colour
        Some(("Job", name)) => match name.rsplit_once('-') {
            Some((c, m)) if m.len() >= 8 && m.bytes().all(|b| b.is_ascii_digit()) => c,
            _ => name,
        },
        Some((_, name)) => name,
        None => owner,
    };
    let mut h: u32 = 2166136261;
    for b in base.bytes() {
        h = (h ^ b as u32).wrapping_mul(16777619);
    }
    (h as usize) % PALETTE
}

/// Each pod's layers, from one pass over the world's volumes: pod uid ->
/// (container, restart instance, tree) and (emptyDir name, tree).
#[derive(Default)]
pub struct PodStorage<'a> {
    layers: BTreeMap<&'a str, Vec<(&'a str, u32, &'a FileTree)>>,
    empty_dirs: BTreeMap<&'a str, Vec<(&'a str, &'a FileTree)>>,
    /// The resource metrics API's latest pod metrics.
    metrics: &'a [crate::engine::apiserver::metrics::PodMetrics],
}

impl<'a> PodStorage<'a> {
    pub fn of(c: &'a Cluster) -> PodStorage<'a> {
        let mut s = PodStorage { metrics: &c.api.metrics.pods, ..Default::default() };
        for (id, tree) in &c.world.volumes {
            match &**id {
                VolumeId::Container { pod_uid, container, instance } => s.layers.entry(pod_uid).or_default().push((container, *instance, tree)),
                VolumeId::EmptyDir { pod_uid, volume } => s.empty_dirs.entry(pod_uid).or_default().push((volume, tree)),
                _ => {}
            }
        }
        s
    }

    fn of_pod(&self, p: &Pod) -> Vec<LayerModel> {
        let uid = p.metadata.uid.as_str();
        let mut out = vec![];
        let layers = self.layers.get(uid);
        for c in &p.spec.containers {
            // The running instance's layer: the one with the highest restart count.
            let newest = layers.into_iter().flatten().filter(|(n, _, _)| *n == c.name).max_by_key(|(_, i, _)| *i);
            if let Some((_, _, tree)) = newest {
                // Sockets and pid files under /run are how a program runs, not data it keeps.
                let runtime = |p: &str| p.starts_with("/run/") || p.starts_with("/var/run/");
                let data = if tree.files.keys().any(|p| runtime(p)) {
                    let kept = FileTree {
                        files: crate::engine::sort::map_from(tree.files.iter().filter(|(p, _)| !runtime(p)).map(|(p, t)| (p.clone(), t.clone()))),
                        dirs: Default::default(),
                    };
                    data_summary(&[&kept])
                } else {
                    data_summary(&[tree])
                };
                out.push(LayerModel { kind: LayerKind::Container, name: c.name.clone(), data });
            }
        }
        let dirs = self.empty_dirs.get(uid);
        for v in p.spec.volumes.iter().filter(|v| v.empty_dir.is_some()) {
            if let Some((_, tree)) = dirs.into_iter().flatten().find(|(n, _)| *n == v.name) {
                out.push(LayerModel { kind: LayerKind::EmptyDir, name: v.name.clone(), data: data_summary(&[tree]) });
            }
        }
        out
    }
}

pub fn pod_model_with(p: &Pod, storage: &PodStorage) -> PodModel {
    let s = pod_summary(p);
    let owner = owner_of(&p.metadata);
    let waiting = p
        .status
        .conditions
        .iter()
        .find(|c| c.type_ == ConditionType::PodScheduled && c.status == ConditionStatus::False)
        .map(|c| if c.message.is_empty() { c.reason.clone() } else { c.message.clone() })
        .unwrap_or_default();
    let mut claims: Vec<String> = p.spec.volumes.iter().filter_map(|v| v.persistent_volume_claim.as_ref().map(|c| c.claim_name.clone())).collect();
    for v in &p.spec.volumes {
        if v.ephemeral.is_some() {
            claims.push(format!("{}-{}", p.metadata.name, v.name));
        }
    }
    let terminating = p.metadata.is_deleting();
    let finished = p.status.phase.is_terminal();
    PodModel {
        uid: p.metadata.uid.clone(),
        namespace: p.metadata.namespace.clone(),
        name: p.metadata.name.clone(),
        color: color_of(&owner),
        owner,
        status: if terminating && !finished { "Terminating".into() } else { s.reason },
        state: s.state,
        ready: format!("{}/{}", s.ready, s.total),
        is_ready: s.total > 0 && s.ready == s.total,
        restarts: s.restarts,
        terminating,
        claims,
        waiting,
        layers: storage.of_pod(p),
        cpu: storage.metrics.iter().find(|m| m.name == p.metadata.name && m.namespace == p.metadata.namespace).map(|m| {
            let request = p.spec.containers.iter().filter_map(|c| c.resources.requests.get("cpu")).map(|q| q.milli_value().max(0) as u64).sum();
            (m.total("cpu"), request)
        }),
    }
}

/// "empty", "2 files", "postgres: 1 table, 12 rows".
pub fn data_summary(trees: &[&FileTree]) -> String {
    let mut files = 0;
    let mut tables = 0;
    let mut rows = 0;
    let mut pg = false;
    for t in trees {
        files += t.file_count();
        for (path, text) in &t.files {
            if path.ends_with("/PG_VERSION") || path == "PG_VERSION" {
                pg = true;
            }
            let Some((dir, rel)) = path.rsplit_once('/') else { continue };
            if !dir.contains("base/") {
                continue;
            }
            if let Ok(rel) = rel.parse::<u32>()
                && let Some(td) = table_from_text(text, rel)
            {
                tables += 1;
                rows += td.rows.len();
            }
        }
    }
    if pg {
        let t = if tables == 1 { "table" } else { "tables" };
        let r = if rows == 1 { "row" } else { "rows" };
        return format!("postgres: {tables} {t}, {rows} {r}");
    }
    match files {
        0 => "empty".into(),
        1 => "1 file".into(),
        n => format!("{n} files"),
    }
}

/// Where a PV can be used, from its node affinity.
fn pv_home(c: &Cluster, pv: &PersistentVolume) -> Home {
    let terms = pv.spec.node_affinity.as_ref().and_then(|a| a.required.as_ref()).map(|r| r.node_selector_terms.clone()).unwrap_or_default();
    if terms.is_empty() {
        return Home::Everywhere;
    }
    let homes = storage::pv_home_nodes(&c.api, pv);
    let zone_of = |n: &str| c.world.machines.get(n).map(|m| m.zone.clone()).unwrap_or_default();
    let hostname_pinned = terms.iter().flat_map(|t| &t.match_expressions).any(|e| e.key == "kubernetes.io/hostname");
    if hostname_pinned {
        let name = terms
            .iter()
            .flat_map(|t| &t.match_expressions)
            .find(|e| e.key == "kubernetes.io/hostname")
            .and_then(|e| e.values.first().cloned())
            .unwrap_or_default();
        return Home::Node(name);
    }
    let mut zones: Vec<String> = homes.iter().map(|n| zone_of(n)).collect();
    crate::engine::sort::sort(&mut zones);
    zones.dedup();
    if zones.len() == 1 {
        return Home::Zone(zones.remove(0));
    }
    // A zone named in the affinity, even if no node there is left.
    for e in terms.iter().flat_map(|t| &t.match_expressions) {
        if e.key.ends_with("/zone")
            && let Some(z) = e.values.first()
        {
            return Home::Zone(z.clone());
        }
    }
    Home::Everywhere
}

fn pv_data(c: &Cluster, pv: &PersistentVolume) -> String {
    let ids = storage::volume_ids(&c.api, pv);
    let trees: Vec<&FileTree> = ids.iter().filter_map(|id| c.world.volume(id)).collect();
    data_summary(&trees)
}

fn disk_for_claim(c: &Cluster, pvc: &PersistentVolumeClaim) -> DiskModel {
    let pv = storage::claim_volume(&c.api, pvc);
    let capacity = pvc.status.capacity.get("storage").or_else(|| pvc.spec.resources.requests.get("storage")).map(|q| q.to_string()).unwrap_or_default();
    DiskModel {
        key: format!("pvc/{}/{}", pvc.metadata.namespace, pvc.metadata.name),
        claim: Some(pvc.metadata.name.clone()),
        namespace: pvc.metadata.namespace.clone(),
        volume: pv.map(|v| v.metadata.name.clone()),
        phase: if pvc.metadata.is_deleting() { "Terminating".into() } else { pvc.status.phase.to_string() },
        class: pvc.spec.storage_class_name.clone().unwrap_or_default(),
        capacity,
        access: short_modes(&pvc.spec.access_modes),
        home: pv.map(|v| pv_home(c, v)).unwrap_or(Home::Nowhere),
        data: pv.map(|v| pv_data(c, v)).unwrap_or_else(|| "no volume yet".into()),
        terminating: pvc.metadata.is_deleting(),
    }
}

fn disk_for_volume(c: &Cluster, pv: &PersistentVolume) -> DiskModel {
    DiskModel {
        key: format!("pv/{}", pv.metadata.name),
        claim: None,
        namespace: String::new(),
        volume: Some(pv.metadata.name.clone()),
        phase: if pv.metadata.is_deleting() { "Terminating".into() } else { pv.status.phase.to_string() },
        class: pv.spec.storage_class_name.clone(),
        capacity: pv.spec.capacity.get("storage").map(|q| q.to_string()).unwrap_or_default(),
        access: short_modes(&pv.spec.access_modes),
        home: pv_home(c, pv),
        data: pv_data(c, pv),
        terminating: pv.metadata.is_deleting(),
    }
}

/// `RWO,RWX` as kubectl prints access modes.
pub fn short_modes(m: &[PersistentVolumeAccessMode]) -> String {
    m.iter().map(|x| x.short().unwrap_or(x.as_str())).collect::<Vec<_>>().join(",")
}

impl MapModel {
    pub fn from_cluster(c: &Cluster) -> MapModel {
        let api = &c.api;
        let storage = PodStorage::of(c);
        // boxed: a map value of a layout of its own would compile its own tree code
        let mut zones: BTreeMap<String, Box<ZoneModel>> = BTreeMap::new();
        let mut node_zone: BTreeMap<String, String> = BTreeMap::new();
        for n in api.store.list_t::<Node>() {
            let zone = n.metadata.label("topology.kubernetes.io/zone").unwrap_or("(no zone)").to_string();
            let ready = get_condition(&n.status.conditions, &ConditionType::Ready);
            let state = match ready.map(|c| &c.status) {
                Some(ConditionStatus::True) => NodeState::Ready,
                Some(ConditionStatus::False) => NodeState::NotReady,
                _ => NodeState::Unknown,
            };
            let stopped = !c.world.is_powered(&n.metadata.name);
            // kubectl's STATUS: Ready or NotReady (Unknown prints NotReady too),
            // then SchedulingDisabled when cordoned.
            let mut status = if state == NodeState::Ready { "Ready".to_string() } else { "NotReady".to_string() };
            if n.spec.unschedulable {
                status.push_str(",SchedulingDisabled");
            }
            let reason = if stopped {
                "powered off".to_string()
            } else if state == NodeState::Ready {
                String::new()
            } else {
                ready.map(|c| if c.message.is_empty() { c.reason.clone() } else { c.message.clone() }).unwrap_or_else(|| "no Ready condition yet".into())
            };
            let mut pods: Vec<Rc<PodModel>> = api.store.pods_on_node(&n.metadata.name).map(|p| Rc::new(pod_model_with(p, &storage))).collect();
            crate::engine::sort::sort_by(&mut pods, |a, b| (&a.namespace, &a.name, &a.uid).cmp(&(&b.namespace, &b.name, &b.uid)));
            let attached: Vec<String> = api
                .store
                .list_t::<VolumeAttachment>()
                .filter(|va| va.spec.node_name == n.metadata.name && va.status.attached)
                .filter_map(|va| va.spec.source.persistent_volume_name.clone())
                .collect();
            node_zone.insert(n.metadata.name.clone(), zone.clone());
            let model = NodeModel {
                name: n.metadata.name.clone(),
                zone: zone.clone(),
                state,
                stopped,
                status,
                reason,
                cordoned: n.spec.unschedulable,
                taints: n.spec.taints.iter().map(|t| format!("{}:{}", t.key, t.effect)).collect(),
                cpu: n.status.capacity.get("cpu").map(|q| q.to_string()).unwrap_or_default(),
                memory: n.status.capacity.get("memory").map(|q| q.to_string()).unwrap_or_default(),
                pods,
                disks: vec![],
                attached,
            };
            zones.entry(zone.clone()).or_insert_with(|| Box::new(ZoneModel { name: zone, nodes: vec![], disks: vec![] })).nodes.push(model);
        }
        let mut pending: Vec<Rc<PodModel>> =
            api.store.list_t::<Pod>().filter(|p| p.spec.node_name.is_empty()).map(|p| Rc::new(pod_model_with(p, &storage))).collect();
        crate::engine::sort::sort_by(&mut pending, |a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        // Disks: every claim (with its volume), then volumes without a claim object.
        let mut disks: Vec<DiskModel> = api.store.list_t::<PersistentVolumeClaim>().map(|p| disk_for_claim(c, p)).collect();
        for pv in api.store.list_t::<PersistentVolume>() {
            let claimed = pv
                .spec
                .claim_ref
                .as_ref()
                .is_some_and(|r| api.get_t::<PersistentVolumeClaim>(&r.namespace, &r.name).is_some_and(|p| p.spec.volume_name == pv.metadata.name));
            if !claimed {
                disks.push(disk_for_volume(c, pv));
            }
        }
        let mut unbound = vec![];
        let mut shared = vec![];
        for d in disks {
            match d.home.clone() {
                Home::Node(n) => {
                    let z = node_zone.get(&n).cloned();
                    match z.and_then(|z| zones.get_mut(&z)).and_then(|z| z.nodes.iter_mut().find(|x| x.name == n)) {
                        Some(node) => node.disks.push(d),
                        None => shared.push(d),
                    }
                }
                Home::Zone(z) => match zones.get_mut(&z) {
                    Some(zm) => zm.disks.push(d),
                    None => shared.push(d),
                },
                Home::Everywhere => shared.push(d),
                Home::Nowhere => unbound.push(d),
            }
        }
        let classes = api
            .store
            .list_t::<StorageClass>()
            .map(|s| ClassModel {
                name: s.metadata.name.clone(),
                provisioner: s.provisioner.clone(),
                binding_mode: s.binding_mode().to_string(),
                reclaim: s.reclaim().to_string(),
                default: s.is_default(),
                expandable: s.allow_volume_expansion == Some(true),
            })
            .collect();
        let missing_drivers = crate::engine::bootstrap::DEFAULT_DRIVERS.iter().filter(|d| !c.world.drivers.contains(**d)).map(|d| d.to_string()).collect();
        let flows = crate::engine::programs::load::flows(&c.runtime, api);
        MapModel { zones: zones.into_values().map(|z| *z).collect(), classes, pending, unbound, shared, missing_drivers, flows }
    }

    /// Every pod on the map: on nodes, then waiting.
    pub fn all_pods(&self) -> impl Iterator<Item = &PodModel> {
        self.zones.iter().flat_map(|z| &z.nodes).flat_map(|n| &n.pods).chain(&self.pending).map(|p| &**p)
    }

    pub fn pod_count(&self) -> usize {
        self.pending.len() + self.zones.iter().flat_map(|z| &z.nodes).map(|n| n.pods.len()).sum::<usize>()
    }
}

// ------------------------------------------------------------------ layout

/// A box on the map, in SVG user units.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    pub fn cx(&self) -> f64 {
        self.x + self.w / 2.0
    }
    pub fn cy(&self) -> f64 {
        self.y + self.h / 2.0
    }
}

/// Where everything on the map sits.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Layout {
    pub width: f64,
    pub height: f64,
    pub zones: Vec<(String, Rect)>,
    pub nodes: Vec<(String, Rect)>,
    /// pod uid -> box, in the model's order (`MapModel::all_pods`): the
    /// map zips the two instead of looking each pod up.
    pub pods: Vec<(String, Rect)>,
    /// disk key -> box
    pub disks: Vec<(String, Rect)>,
    /// The waiting area (pending pods and unbound claims), and the shared-storage strip.
    pub waiting: Rect,
    pub shared: Rect,
    /// Pod uid -> disk key, with their boxes, for the lines between them.
    pub links: Vec<(String, String, Rect, Rect)>,
    /// Compact pods (dots) when nodes are crowded.
    pub compact: bool,
    /// Too many pods to draw one by one: each node (and the waiting area)
    /// shows how many pods it has in each state instead.
    pub aggregate: bool,
    /// The height of a (non-compact) pod box.
    pub pod_h: f64,
    /// The waiting area's and the shared strip's headings (short ones
    /// when the map is one column wide).
    pub waiting_label: &'static str,
    pub shared_label: &'static str,
}

pub const POD_W: f64 = 160.0;
pub const POD_H: f64 = 44.0;
/// Pods are this tall when any pod on the map holds data of its own (a
/// third line says what is in its layer or emptyDir).
pub const POD_H_DATA: f64 = 58.0;
pub const DISK_W: f64 = 160.0;
pub const DISK_H: f64 = 50.0;
const DOT: f64 = 14.0;
const GAP: f64 = 8.0;
const NODE_PAD: f64 = 10.0;
pub const NODE_HEAD: f64 = 70.0;
const ZONE_HEAD: f64 = 30.0;
const ZONE_PAD: f64 = 12.0;
const PODS_PER_ROW: usize = 1;
/// Above this many pods on one node (or waiting), pods are counted, not drawn.
pub const AGGREGATE_ABOVE: usize = 150;
/// The height of a node's (or the waiting area's) pod counts.
pub const AGGREGATE_H: f64 = 58.0;

/// The column and row of the `j`th item of a grid `per_row` wide.
fn cell(j: usize, per_row: usize) -> (usize, usize) {
    (j % per_row, j / per_row)
}

fn grid(n: usize, per_row: usize, w: f64, h: f64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 0.0);
    }
    let rows = n.div_ceil(per_row);
    let cols = n.min(per_row);
    (cols as f64 * (w + GAP) - GAP, rows as f64 * (h + GAP) - GAP)
}

impl Layout {
    /// Zones side by side.
    pub fn of(m: &MapModel) -> Layout {
        Layout::of_columns(m, usize::MAX)
    }

    /// At most `columns` zones per row (1 on a phone: the map is a column).
    pub fn of_columns(m: &MapModel, columns: usize) -> Layout {
        let columns = columns.max(1);
        let mut l = Layout { compact: m.zones.iter().flat_map(|z| &z.nodes).any(|n| n.pods.len() > 12), ..Default::default() };
        l.aggregate = m.zones.iter().flat_map(|z| &z.nodes).any(|n| n.pods.len() > AGGREGATE_ABOVE) || m.pending.len() > AGGREGATE_ABOVE;
        let pod_h = if m.all_pods().any(|p| p.own_data().is_some()) { POD_H_DATA } else { POD_H };
        l.pod_h = pod_h;
        let (pw, ph, per_row) = if l.compact { (DOT, DOT, 7) } else { (POD_W, pod_h, PODS_PER_ROW) };
        let node_w = (PODS_PER_ROW as f64) * (POD_W + GAP) - GAP + 2.0 * NODE_PAD;
        let agg = l.aggregate;
        // Node heights: the tallest node of the map sets the row height.
        let node_h = |n: &NodeModel| {
            let (_, pods_h) = if agg { (0.0, AGGREGATE_H) } else { grid(n.pods.len(), per_row, pw, ph) };
            let (_, disks_h) = grid(n.disks.len(), PODS_PER_ROW, DISK_W, DISK_H);
            NODE_HEAD + pods_h.max(ph) + if n.disks.is_empty() { 0.0 } else { GAP * 2.0 + disks_h } + NODE_PAD
        };
        let tallest = m.zones.iter().flat_map(|z| &z.nodes).map(node_h).fold(NODE_HEAD + ph + NODE_PAD, f64::max);
        let zone_disk_h = m.zones.iter().map(|z| grid(z.disks.len(), z.nodes.len().max(1), DISK_W, DISK_H).1).fold(0.0, f64::max);
        let zone_h = ZONE_HEAD + tallest + if zone_disk_h > 0.0 { GAP * 2.0 + zone_disk_h } else { 0.0 } + ZONE_PAD;
        let mut x = 0.0;
        let mut max_x: f64 = 0.0;
        let mut y0 = 0.0;
        for (k, z) in m.zones.iter().enumerate() {
            if k > 0 && k % columns == 0 {
                x = 0.0;
                y0 += zone_h + 16.0;
            }
            let w = ZONE_PAD * 2.0 + (z.nodes.len().max(1) as f64) * (node_w + ZONE_PAD) - ZONE_PAD;
            l.zones.push((z.name.clone(), Rect { x, y: y0, w, h: zone_h }));
            for (i, n) in z.nodes.iter().enumerate() {
                let nx = x + ZONE_PAD + i as f64 * (node_w + ZONE_PAD);
                let ny = y0 + ZONE_HEAD;
                l.nodes.push((n.name.clone(), Rect { x: nx, y: ny, w: node_w, h: tallest }));
                for (j, p) in n.pods.iter().enumerate().filter(|_| !agg) {
                    let (col, row) = cell(j, per_row);
                    l.pods
                        .push((p.uid.clone(), Rect { x: nx + NODE_PAD + col as f64 * (pw + GAP), y: ny + NODE_HEAD + row as f64 * (ph + GAP), w: pw, h: ph }));
                }
                let (_, pods_h) = if agg { (0.0, AGGREGATE_H) } else { grid(n.pods.len(), per_row, pw, ph) };
                let dy = ny + NODE_HEAD + pods_h.max(ph) + GAP * 2.0;
                for (j, d) in n.disks.iter().enumerate() {
                    let (col, row) = cell(j, PODS_PER_ROW);
                    l.disks.push((
                        d.key.clone(),
                        Rect { x: nx + NODE_PAD + col as f64 * (DISK_W + GAP), y: dy + row as f64 * (DISK_H + GAP), w: DISK_W, h: DISK_H },
                    ));
                }
            }
            let per = z.nodes.len().max(1);
            for (j, d) in z.disks.iter().enumerate() {
                let (col, row) = cell(j, per);
                l.disks.push((
                    d.key.clone(),
                    Rect {
                        x: x + ZONE_PAD + NODE_PAD + col as f64 * (DISK_W + GAP),
                        y: y0 + ZONE_HEAD + tallest + GAP * 2.0 + row as f64 * (DISK_H + GAP),
                        w: DISK_W,
                        h: DISK_H,
                    },
                ));
            }
            x += w + 16.0;
            max_x = max_x.max(x);
        }
        let width = (max_x - 16.0).max(if columns == 1 { POD_W * 2.0 } else { POD_W * 4.0 });
        // Below the zones: the waiting area, then storage reachable from everywhere.
        let per_row = ((width - 2.0 * ZONE_PAD) / (POD_W + GAP)).floor().max(1.0) as usize;
        let mut y = y0 + zone_h + 16.0;
        let waiting_items = if agg { 1 + m.unbound.len() } else { m.pending.len() + m.unbound.len() };
        let row_h = pod_h.max(DISK_H);
        let (_, wh) = grid(waiting_items, per_row, POD_W, row_h);
        l.waiting = Rect { x: 0.0, y, w: width, h: ZONE_HEAD + wh.max(pod_h) + ZONE_PAD };
        for (j, p) in m.pending.iter().enumerate().filter(|_| !agg) {
            let (col, row) = cell(j, per_row);
            l.pods.push((p.uid.clone(), Rect { x: ZONE_PAD + col as f64 * (POD_W + GAP), y: y + ZONE_HEAD + row as f64 * (row_h + GAP), w: POD_W, h: pod_h }));
        }
        for (k, d) in m.unbound.iter().enumerate() {
            let j = k + if agg { 1 } else { m.pending.len() };
            let (col, row) = cell(j, per_row);
            l.disks
                .push((d.key.clone(), Rect { x: ZONE_PAD + col as f64 * (POD_W + GAP), y: y + ZONE_HEAD + row as f64 * (row_h + GAP), w: DISK_W, h: DISK_H }));
        }
        y += l.waiting.h + 16.0;
        let (_, sh) = grid(m.shared.len(), per_row, DISK_W, DISK_H);
        l.shared = Rect { x: 0.0, y, w: width, h: ZONE_HEAD + sh.max(DISK_H) + ZONE_PAD };
        for (j, d) in m.shared.iter().enumerate() {
            let (col, row) = cell(j, per_row);
            l.disks.push((
                d.key.clone(),
                Rect { x: ZONE_PAD + col as f64 * (DISK_W + GAP), y: y + ZONE_HEAD + row as f64 * (DISK_H + GAP), w: DISK_W, h: DISK_H },
            ));
        }
        l.width = width;
        l.height = y + l.shared.h;
        let narrow = width < 520.0;
        l.waiting_label = if narrow { "Waiting: Pending pods, claims" } else { "Waiting: Pending pods and unbound claims" };
        l.shared_label = if narrow { "Shared storage" } else { "Shared storage (NFS, file shares) and volumes without a claim" };
        // Links: pod -> the disk of each claim it mounts, with both boxes
        // (the pods' boxes are in `all_pods` order; none when aggregated).
        // sorted by key (the last of equal keys wins, as a map's insert);
        // a BTreeMap of this layout was the wasm's only one
        let mut disks: Vec<(&str, Rect)> = l.disks.iter().map(|(k, r)| (k.as_str(), *r)).collect();
        crate::engine::sort::sort_by(&mut disks, |a, b| a.0.cmp(b.0));
        let mut links = vec![];
        for (p, (_, pr)) in m.all_pods().zip(&l.pods) {
            for c in &p.claims {
                let k = format!("pvc/{}/{}", p.namespace, c);
                let i = disks.partition_point(|d| d.0 <= k.as_str());
                if let Some((_, dr)) = disks[..i].last().filter(|d| d.0 == k) {
                    links.push((p.uid.clone(), k, *pr, *dr));
                }
            }
        }
        l.links = links;
        l
    }

    pub fn pod(&self, uid: &str) -> Option<Rect> {
        self.pods.iter().find(|(u, _)| u == uid).map(|(_, r)| *r)
    }
    pub fn disk(&self, key: &str) -> Option<Rect> {
        self.disks.iter().find(|(k, _)| k == key).map(|(_, r)| *r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubectl::session::Session;

    const STS: &str = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  clusterIP: None\n  selector:\n    app: web\n  ports:\n  - port: 80\n---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: web\nspec:\n  serviceName: web\n  replicas: 2\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: nginx\n        image: nginx:1.25\n        volumeMounts:\n        - name: www\n          mountPath: /usr/share/nginx/html\n  volumeClaimTemplates:\n  - metadata:\n      name: www\n    spec:\n      accessModes: [ReadWriteOnce]\n      storageClassName: local-path\n      resources:\n        requests:\n          storage: 1Gi\n";

    #[test]
    fn the_default_cluster_has_three_zones_and_no_pods() {
        let s = Session::new(1);
        let m = MapModel::from_cluster(&s.cluster);
        assert_eq!(m.zones.iter().map(|z| z.name.as_str()).collect::<Vec<_>>(), ["zone-a", "zone-b", "zone-c"]);
        assert_eq!(m.pod_count(), 0);
        assert!(m.zones.iter().flat_map(|z| &z.nodes).all(|n| n.state == NodeState::Ready && !n.stopped));
        assert!(m.missing_drivers.is_empty());
    }

    /// Pods are drawn by the state kubectl's printer decided, as it goes.
    #[test]
    fn pod_looks_follow_the_printers_state() {
        let mut s = Session::new(1);
        let looks = |s: &Session| {
            let m = MapModel::from_cluster(&s.cluster);
            let mut v: Vec<(String, String, PodLook)> = m.all_pods().map(|p| (p.name.clone(), p.status.clone(), p.look())).collect();
            crate::engine::sort::sort_by_key(&mut v, |p| p.0.clone());
            v
        };
        assert_eq!(s.run("kubectl create deployment web --image=nginx:1.25", "").exit_code, 0);
        s.cluster.settle();
        let pod = looks(&s)[0].0.clone();
        assert_eq!(looks(&s), [(pod.clone(), "Running".into(), PodLook::Ready)]);
        assert_eq!(s.run(&format!("kubectl delete pod {pod} --wait=false"), "").exit_code, 0);
        let now = looks(&s);
        assert!(now.contains(&(pod, "Terminating".into(), PodLook::Terminating)), "{now:?}");
        assert!(now.iter().any(|(_, status, look)| status == "ContainerCreating" && *look == PodLook::Pending), "its replacement starts: {now:?}");
    }

    #[test]
    fn statefulset_pods_sit_on_nodes_with_their_local_disks_and_data() {
        let mut s = Session::new(1);
        assert_eq!(s.run("kubectl apply -f -", STS).exit_code, 0);
        s.cluster.settle();
        let r = s.run("kubectl exec web-0 -- sh -c 'echo hello > /usr/share/nginx/html/index.html'", "");
        assert_eq!(r.exit_code, 0, "{}", r.output);
        let m = MapModel::from_cluster(&s.cluster);
        assert_eq!(m.pod_count(), 2);
        assert!(m.pending.is_empty() && m.unbound.is_empty());
        let node = m.zones.iter().flat_map(|z| &z.nodes).find(|n| n.pods.iter().any(|p| p.name == "web-0")).unwrap();
        let pod = node.pods.iter().find(|p| p.name == "web-0").unwrap();
        assert_eq!((pod.status.as_str(), pod.ready.as_str(), pod.is_ready), ("Running", "1/1", true));
        assert_eq!((pod.state, pod.look()), (PodState::Running, PodLook::Ready));
        assert_eq!(pod.claims, ["www-web-0"]);
        assert_eq!(pod.owner, "StatefulSet/web");
        let disk = node.disks.iter().find(|d| d.claim.as_deref() == Some("www-web-0")).expect("local-path disk on the pod's node");
        assert_eq!((disk.phase.as_str(), disk.access.as_str(), disk.data.as_str()), ("Bound", "RWO", "1 file"));
        let l = Layout::of(&m);
        let pr = l.pod(&pod.uid).unwrap();
        let nr = l.nodes.iter().find(|(n, _)| *n == node.name).unwrap().1;
        assert!(pr.x >= nr.x && pr.x + pr.w <= nr.x + nr.w && pr.y + pr.h <= nr.y + nr.h, "pod inside its node");
        assert!(l.links.iter().any(|(u, k, ..)| *u == pod.uid && k == "pvc/default/www-web-0"));
    }

    #[test]
    fn a_pending_claim_and_pod_wait_with_the_schedulers_reason() {
        let mut s = Session::new(1);
        let bad = STS.replace("storageClassName: local-path", "storageClassName: nope");
        assert_eq!(s.run("kubectl apply -f -", &bad).exit_code, 0);
        s.cluster.advance(30_000);
        let m = MapModel::from_cluster(&s.cluster);
        assert_eq!(m.pending.len(), 1, "OrderedReady: only web-0");
        assert!(
            m.pending[0].waiting.contains("unbound immediate PersistentVolumeClaims") || m.pending[0].waiting.contains("storageclass"),
            "{}",
            m.pending[0].waiting
        );
        assert_eq!(m.unbound.len(), 1);
        assert_eq!(m.unbound[0].phase, "Pending");
        let l = Layout::of(&m);
        let r = l.pod(&m.pending[0].uid).unwrap();
        assert!(r.y >= l.waiting.y && r.y < l.waiting.y + l.waiting.h);
    }

    #[test]
    fn the_layout_lists_pod_boxes_in_the_models_order() {
        // The map zips `all_pods` with `Layout::pods` instead of looking each
        // pod up: pods on nodes (zone by zone) then waiting ones, both orders.
        let mut s = Session::new(1);
        let bad =
            STS.replace("storageClassName: local-path", "storageClassName: nope").replace("name: web\nspec:\n  serviceName", "name: bad\nspec:\n  serviceName");
        let good = STS.replace("replicas: 2", "replicas: 5");
        assert_eq!(s.run("kubectl apply -f -", &good).exit_code, 0);
        assert_eq!(s.run("kubectl apply -f -", &bad).exit_code, 0);
        s.cluster.advance(120_000);
        let m = MapModel::from_cluster(&s.cluster);
        assert!(!m.pending.is_empty() && m.pod_count() > m.pending.len(), "pods both placed and waiting");
        for l in [Layout::of(&m), Layout::of_columns(&m, 1)] {
            let boxes: Vec<&str> = l.pods.iter().map(|(u, _)| u.as_str()).collect();
            let pods: Vec<&str> = m.all_pods().map(|p| p.uid.as_str()).collect();
            assert_eq!(boxes, pods);
        }
    }

    #[test]
    fn postgres_data_is_counted_in_rows() {
        let mut t = FileTree::default();
        t.files.insert("/pgdata/PG_VERSION".into(), "16\n".into());
        assert_eq!(data_summary(&[&t]), "postgres: 0 tables, 0 rows");
        assert_eq!(data_summary(&[&FileTree::default()]), "empty");
    }

    #[test]
    fn owners_keep_their_colour_across_replicasets() {
        assert_eq!(color_of("ReplicaSet/web-5d4f8b"), color_of("ReplicaSet/web-77c9d"));
        assert_eq!(color_of("Job/hello-29460063"), color_of("Job/hello-29460064"));
        assert_eq!(color_of("Job/hello-29460063"), color_of("CronJob/hello"));
        assert!(color_of("StatefulSet/web") < PALETTE);
    }
}
