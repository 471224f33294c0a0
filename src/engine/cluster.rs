//! The simulated cluster: API server + controllers + world, driven by one
//! clock. Everything that comes from outside (kubectl writes, `cluster`
//! verbs, the passing of time) is an [`Input`], recorded in order, so a
//! session replays exactly from its seed and its log.
//!
//! Within one instant, controllers take turns (one key each, in the order
//! of `control_loops()`) until no queue has work; then time jumps to the
//! next timer.

use crate::engine::api::*;
use crate::engine::apiserver::{Api, ApiError, DeleteOptions, Flags, Written};
use crate::engine::bootstrap;
use crate::engine::control::{Controller, Ctl, Cx, WorkQueue};
use crate::engine::controllers;
use crate::engine::kubelet::Kubelet;
use crate::engine::programs::Runtime;
use crate::engine::scheduler::Scheduler;
use crate::engine::store::{Change, Op};
use crate::engine::time::{EPOCH, MAX_ADVANCE, MINUTE, Millis, Time};
use crate::engine::world::World;
use serde::{Deserialize, Serialize};
use std::rc::Rc;

/// Something from outside the cluster. The log of these, with the seed,
/// reproduces a session.
///
/// Serialized as serde's internally tagged enum (`{"op":"delete",...}`);
/// read back by hand ([`Input::from_json`]): a derived Deserialize for a
/// tagged enum buffers through serde's `Content` for every deserializer
/// that reads it, several KB of wasm for two enums.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum Input {
    Create {
        object: serde_json::Value,
    },
    Update {
        object: serde_json::Value,
    },
    Delete {
        kind: String,
        namespace: String,
        name: String,
        grace: Option<i64>,
        propagation: Option<DeletionPropagation>,
    },
    Evict {
        namespace: String,
        name: String,
        /// The eviction's DeleteOptions.gracePeriodSeconds (`drain --grace-period`).
        #[serde(skip_serializing_if = "Option::is_none")]
        grace: Option<i64>,
    },
    Exec {
        namespace: String,
        pod: String,
        container: String,
        argv: Vec<String>,
        stdin: String,
    },
    Advance {
        ms: Millis,
    },
    Cluster {
        verb: ClusterVerb,
    },
}

/// The `cluster` verbs: what only a simulator can do.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "verb", rename_all = "camelCase")]
pub enum ClusterVerb {
    NodeStop { node: String },
    NodeStart { node: String },
    NodeAdd { node: String, zone: String },
    DriverInstall { driver: String },
    DriverUninstall { driver: String },
    AddonInstall { addon: String },
    AddonUninstall { addon: String },
    FeatureGate { gate: String, enabled: bool },
}

impl<'de> Deserialize<'de> for Input {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Input::from_json(serde_json::Value::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// The JSON fields of an input, read with the texts serde's derive gave.
struct Fields(serde_json::Map<String, serde_json::Value>);

impl Fields {
    fn of(v: serde_json::Value, what: &str) -> Result<Fields, String> {
        match v {
            serde_json::Value::Object(m) => Ok(Fields(m)),
            other => Err(format!("invalid type: {}, expected {what}", json_kind(&other))),
        }
    }
    fn take(&mut self, k: &str) -> Result<serde_json::Value, String> {
        self.0.remove(k).ok_or_else(|| format!("missing field `{k}`"))
    }
    fn string(&mut self, k: &str) -> Result<String, String> {
        match self.take(k)? {
            serde_json::Value::String(s) => Ok(s),
            other => Err(format!("invalid type: {}, expected a string", json_kind(&other))),
        }
    }
    fn int(&mut self, k: &str) -> Result<Option<i64>, String> {
        match self.0.remove(k) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| format!("invalid value: {n}, expected i64")),
            Some(other) => Err(format!("invalid type: {}, expected i64", json_kind(&other))),
        }
    }
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "sequence",
        serde_json::Value::Object(_) => "map",
    }
}

impl Input {
    /// Reads the JSON [`Input`]'s Serialize writes (saves, share links).
    pub fn from_json(v: serde_json::Value) -> Result<Input, String> {
        let mut f = Fields::of(v, "internally tagged enum Input")?;
        let op = f.string("op")?;
        Ok(match op.as_str() {
            "create" => Input::Create { object: f.take("object")? },
            "update" => Input::Update { object: f.take("object")? },
            "delete" => Input::Delete {
                kind: f.string("kind")?,
                namespace: f.string("namespace")?,
                name: f.string("name")?,
                grace: f.int("grace")?,
                propagation: match f.0.remove("propagation") {
                    None | Some(serde_json::Value::Null) => None,
                    Some(serde_json::Value::String(s)) => Some(DeletionPropagation::parse(&s)),
                    Some(other) => return Err(format!("invalid type: {}, expected a string", json_kind(&other))),
                },
            },
            "evict" => Input::Evict { namespace: f.string("namespace")?, name: f.string("name")?, grace: f.int("grace")? },
            "exec" => Input::Exec {
                namespace: f.string("namespace")?,
                pod: f.string("pod")?,
                container: f.string("container")?,
                argv: match f.take("argv")? {
                    serde_json::Value::Array(a) => a
                        .into_iter()
                        .map(|x| match x {
                            serde_json::Value::String(s) => Ok(s),
                            other => Err(format!("invalid type: {}, expected a string", json_kind(&other))),
                        })
                        .collect::<Result<_, _>>()?,
                    other => return Err(format!("invalid type: {}, expected a sequence", json_kind(&other))),
                },
                stdin: f.string("stdin")?,
            },
            "advance" => Input::Advance { ms: f.int("ms")?.ok_or("missing field `ms`")? },
            "cluster" => Input::Cluster { verb: ClusterVerb::from_json(f.take("verb")?)? },
            other => {
                return Err(format!("unknown variant `{other}`, expected one of `create`, `update`, `delete`, `evict`, `exec`, `advance`, `cluster`"));
            }
        })
    }
}

impl ClusterVerb {
    fn from_json(v: serde_json::Value) -> Result<ClusterVerb, String> {
        let mut f = Fields::of(v, "internally tagged enum ClusterVerb")?;
        let verb = f.string("verb")?;
        Ok(match verb.as_str() {
            "nodeStop" => ClusterVerb::NodeStop { node: f.string("node")? },
            "nodeStart" => ClusterVerb::NodeStart { node: f.string("node")? },
            "nodeAdd" => ClusterVerb::NodeAdd { node: f.string("node")?, zone: f.string("zone")? },
            "driverInstall" => ClusterVerb::DriverInstall { driver: f.string("driver")? },
            "driverUninstall" => ClusterVerb::DriverUninstall { driver: f.string("driver")? },
            "addonInstall" => ClusterVerb::AddonInstall { addon: f.string("addon")? },
            "addonUninstall" => ClusterVerb::AddonUninstall { addon: f.string("addon")? },
            "featureGate" => ClusterVerb::FeatureGate {
                gate: f.string("gate")?,
                enabled: match f.take("enabled")? {
                    serde_json::Value::Bool(b) => b,
                    other => return Err(format!("invalid type: {}, expected a boolean", json_kind(&other))),
                },
            },
            other => {
                return Err(format!(
                    "unknown variant `{other}`, expected one of `nodeStop`, `nodeStart`, `nodeAdd`, `driverInstall`, `driverUninstall`, `addonInstall`, `addonUninstall`, `featureGate`"
                ));
            }
        })
    }
}

/// The largest request body the API server reads (apiserver's
/// MaxRequestBodyBytes, 3 MiB): a bigger object is refused before anything
/// else looks at it, with `Request entity too large: limit is 3145728`.
pub const MAX_REQUEST_BODY: usize = 3 << 20;

impl ClusterVerb {
    /// What the engine refuses before anything happens: a machine whose
    /// kubelet could never register its Node (the API server's own errors
    /// for the Node name and its hostname and zone labels), names longer
    /// than any object name.
    pub fn check(&self) -> Result<(), String> {
        let long = |what: &str, s: &str| (s.len() > 253).then(|| format!("{what} name is longer than 253 characters"));
        match self {
            ClusterVerb::NodeAdd { node, zone } => {
                let errs = crate::engine::apiserver::validation::node_registration_errors(node, zone);
                if errs.is_empty() {
                    Ok(())
                } else {
                    Err(format!("the kubelet could not register this node: {}", ApiError::invalid(Kind::Node, node, errs).message))
                }
            }
            ClusterVerb::NodeStop { node } | ClusterVerb::NodeStart { node } => long("node", node).map_or(Ok(()), Err),
            ClusterVerb::DriverInstall { driver } | ClusterVerb::DriverUninstall { driver } => long("driver", driver).map_or(Ok(()), Err),
            ClusterVerb::AddonInstall { addon } | ClusterVerb::AddonUninstall { addon } if !crate::engine::addons::ADDONS.contains(&addon.as_str()) => {
                Err(format!("unknown addon {addon:?} (available: {})", crate::engine::addons::ADDONS.join(", ")))
            }
            ClusterVerb::AddonInstall { .. } | ClusterVerb::AddonUninstall { .. } => Ok(()),
            ClusterVerb::FeatureGate { gate, .. } => long("feature gate", gate).map_or(Ok(()), Err),
        }
    }
}

impl Input {
    /// What a replay refuses before it starts (inputs from a save or a share
    /// link are untrusted): time steps outside 0..=[`MAX_ADVANCE`], verbs
    /// the engine refuses ([`ClusterVerb::check`]), request bodies over
    /// [`MAX_REQUEST_BODY`] (objects, exec stdin and arguments).
    pub fn check(&self) -> Result<(), String> {
        let body = |v: &serde_json::Value| serde_json::to_vec(v).map(|b| b.len()).unwrap_or(usize::MAX);
        let too_large = || format!("Request entity too large: limit is {MAX_REQUEST_BODY}");
        match self {
            Input::Advance { ms } if !(0..=MAX_ADVANCE).contains(ms) => Err(format!("time may move by 0 to {MAX_ADVANCE} ms at once, not {ms}")),
            Input::Advance { .. } => Ok(()),
            Input::Cluster { verb } => verb.check(),
            Input::Create { object } | Input::Update { object } if body(object) > MAX_REQUEST_BODY => Err(too_large()),
            Input::Exec { argv, stdin, .. } if stdin.len() + argv.iter().map(|a| a.len() + 1).sum::<usize>() > MAX_REQUEST_BODY => Err(too_large()),
            Input::Delete { kind, namespace, name, .. } if kind.len() + namespace.len() + name.len() > 1024 => Err("names longer than the API allows".into()),
            _ => Ok(()),
        }
    }
}

/// Settings a real cluster would take as flags.
#[derive(Clone, Debug)]
pub struct Config {
    /// kube-controller-manager --node-monitor-grace-period
    pub node_monitor_grace_period: Millis,
    /// The MaxUnavailableStatefulSet feature gate (beta, off by default in 1.36).
    pub max_unavailable_statefulset: bool,
    /// Control loops left out, like kube-controller-manager's
    /// `--controllers=-name`. Scenario tests of one controller use it to play
    /// the others' part by hand; the page and the CLI run everything.
    pub disabled: Vec<Ctl>,
    /// The most Pod objects the cluster holds (see
    /// [`crate::engine::apiserver::admission::MAX_PODS`]); tests lower it.
    pub max_pods: usize,
}

impl Default for Config {
    fn default() -> Config {
        let f = Flags::default();
        Config {
            node_monitor_grace_period: f.node_monitor_grace_period,
            max_unavailable_statefulset: f.max_unavailable_statefulset,
            disabled: vec![],
            max_pods: f.max_pods,
        }
    }
}

impl Config {
    /// What the components read at run time (the API server keeps it).
    fn flags(&self) -> Flags {
        Flags {
            node_monitor_grace_period: self.node_monitor_grace_period,
            max_unavailable_statefulset: self.max_unavailable_statefulset,
            max_pods: self.max_pods,
        }
    }
}

/// Every controller of the simulated control plane, plus the kubelets, in
/// the order they take turns within one instant (one key each per round).
/// Reordering them changes which write lands first, so replays of recorded
/// sessions would differ.
fn control_loops() -> Vec<Box<dyn Controller>> {
    vec![
        Box::new(controllers::namespace::NamespaceController::default()),
        Box::new(controllers::serviceaccount::ServiceAccountController::default()),
        Box::new(controllers::deployment::DeploymentController::default()),
        Box::new(controllers::replicaset::ReplicaSetController::default()),
        Box::new(controllers::replicaset::ReplicaSetController::replication_manager()),
        Box::new(controllers::statefulset::StatefulSetController::default()),
        Box::new(controllers::garbagecollector::GarbageCollector::default()),
        Box::new(controllers::pvbinder::PvBinder::default()),
        Box::new(controllers::provisioner::Provisioner::default()),
        Box::new(controllers::pvprotection::PvProtection),
        Box::new(controllers::pvcprotection::PvcProtection),
        Box::new(controllers::attachdetach::AttachDetach::default()),
        Box::new(controllers::expand::Expander::default()),
        Box::new(controllers::resourcequota::ResourceQuotaController),
        Box::new(Scheduler::new()),
        Box::new(controllers::endpoints::EndpointsController::new()),
        Box::new(controllers::endpointslice::EndpointSliceController::default()),
        Box::new(controllers::disruption::Disruption::new()),
        Box::new(controllers::nodelifecycle::NodeLifecycle::new()),
        Box::new(controllers::tainteviction::TaintEviction::new()),
        Box::new(controllers::podgc::PodGc::new()),
        Box::new(controllers::clusterroleaggregation::ClusterRoleAggregation),
        Box::new(controllers::job::JobController::default()),
        Box::new(controllers::cronjob::CronJobController::default()),
        Box::new(controllers::ttlafterfinished::TtlAfterFinished::default()),
        Box::new(controllers::daemon::DaemonSetController::default()),
        Box::new(controllers::podautoscaler::HorizontalController::default()),
        Box::new(crate::engine::metricsserver::MetricsServer::default()),
        Box::new(crate::engine::ingressnginx::IngressNginx::default()),
        Box::new(Kubelet::new()),
    ]
}

/// What a `cluster` verb does to the world (and the Node objects its
/// kubelets and drivers keep).
fn apply_verb(cx: &mut Cx, verb: &ClusterVerb) -> Result<(), String> {
    match verb {
        ClusterVerb::NodeStop { node } => crate::engine::kubelet::power_off(cx, node),
        ClusterVerb::NodeStart { node } => crate::engine::kubelet::power_on(cx, node),
        ClusterVerb::NodeAdd { node, zone } => {
            verb.check()?;
            bootstrap::add_node(cx, node, zone)
        }
        ClusterVerb::DriverInstall { driver } => {
            if cx.world.drivers.contains(driver) {
                return Err(format!("driver {driver} is already installed"));
            }
            bootstrap::install_driver(cx, driver);
            Ok(())
        }
        ClusterVerb::DriverUninstall { driver } => {
            if !cx.world.drivers.contains(driver) {
                return Err(format!("driver {driver} is not installed"));
            }
            crate::engine::storage::uninstall_driver(cx, driver);
            Ok(())
        }
        ClusterVerb::AddonInstall { addon } => {
            verb.check()?;
            crate::engine::addons::install(cx.api, addon)
        }
        ClusterVerb::AddonUninstall { addon } => {
            verb.check()?;
            crate::engine::addons::uninstall(cx.api, addon)
        }
        ClusterVerb::FeatureGate { gate, enabled } => match gate.as_str() {
            "MaxUnavailableStatefulSet" => {
                cx.api.config.max_unavailable_statefulset = *enabled;
                Ok(())
            }
            _ => Err(format!("unknown feature gate {gate:?} (supported: MaxUnavailableStatefulSet)")),
        },
    }
}

/// A bound on the work one instant may take (a livelock guard).
const MAX_SYNCS_PER_INSTANT: usize = 2_000_000;
/// How long `settle` may run before giving up.
pub const SETTLE_LIMIT: Millis = 15 * MINUTE;

/// Cloning a cluster copies its whole state (objects are shared `Rc`s):
/// the clone continues exactly as the original would.
#[derive(Clone)]
pub struct Cluster {
    pub api: Api,
    pub world: World,
    /// The container runtime of every machine: what runs in the containers
    /// (lent to the control loops in their `Cx`; the kubelet drives it).
    pub runtime: Runtime,
    seed: u64,
    ctls: Vec<Box<dyn Controller>>,
    queues: Vec<WorkQueue>,
    log: Vec<Input>,
    /// Set when an instant hit the work bound (reported, never silent).
    pub livelock: Option<String>,
    /// Index of `Ctl` -> slot in `ctls`.
    slots: Vec<Option<usize>>,
    /// Units of work done so far (controller syncs and timers fired): what
    /// [`Cluster::advance_for`] and bounded replays budget.
    work: u64,
    /// An instant whose controller work a budget cut short (see
    /// [`Cluster::advance_for`]): it resumes exactly where it stopped.
    instant: Option<InstantState>,
    /// Writes leave their instant's work pending instead of running it (see
    /// [`Cluster::set_deferred`]).
    deferred: bool,
}

/// Where an interrupted instant is: the next controller in the round, whether
/// the round made progress so far, and the syncs done at this instant.
#[derive(Clone, Copy, Debug, Default)]
struct InstantState {
    pos: usize,
    progressed: bool,
    syncs: usize,
}

/// How far a bounded [`Cluster::advance_for`] got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// The clock reached the target and every controller is idle at it.
    pub done: bool,
    /// The clock now.
    pub now: Time,
    /// Units of work this call did.
    pub work: u64,
}

/// Why a recorded session cannot be replayed.
#[derive(Clone, Debug, PartialEq)]
pub enum ReplayError {
    /// An input that the engine refuses (it could not have been recorded).
    Input { index: usize, message: String },
    /// Replaying would take more than the budget's work.
    TooMuchWork { index: usize, work: u64 },
}

impl std::fmt::Display for ReplayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReplayError::Input { index, message } => write!(f, "input {} of the session cannot be replayed: {message}", index + 1),
            ReplayError::TooMuchWork { index, work } => write!(
                f,
                "replaying the session stopped at input {} after {work} units of work (the most a replay may take): it asks for more than the simulator can do at once",
                index + 1
            ),
        }
    }
}

impl Cluster {
    /// The default cluster (see TRANSCRIPTS.md): three nodes in three zones,
    /// the `standard` and `local-path` classes, the storage drivers.
    pub fn new(seed: u64) -> Cluster {
        Cluster::with_config(seed, Config::default())
    }

    pub fn with_config(seed: u64, config: Config) -> Cluster {
        let ctls: Vec<Box<dyn Controller>> = control_loops().into_iter().filter(|c| !config.disabled.contains(&c.id())).collect();
        let mut slots = vec![None; Ctl::COUNT];
        for (i, c) in ctls.iter().enumerate() {
            slots[c.id() as usize] = Some(i);
        }
        let mut c = Cluster {
            api: Api::new(seed, Time(EPOCH), config.flags()),
            world: World::default(),
            runtime: Runtime::default(),
            seed,
            queues: vec![WorkQueue::default(); ctls.len()],
            ctls,
            log: vec![],
            livelock: None,
            slots,
            work: 0,
            instant: None,
            deferred: false,
        };
        bootstrap::default_cluster(&mut Cx { api: &mut c.api, world: &mut c.world, rt: &mut c.runtime });
        c.run_instant();
        // The cluster has been up for a little while when the session starts.
        c.advance_quiet(2 * MINUTE);
        c
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn now(&self) -> Time {
        self.api.now
    }

    /// The inputs so far, in order.
    pub fn log(&self) -> &[Input] {
        &self.log
    }

    /// A copy of the cluster without its input log (a checkpoint's; the
    /// log is the recording's, kept once).
    pub fn without_log(&self) -> Cluster {
        Cluster {
            api: self.api.clone(),
            world: self.world.clone(),
            runtime: self.runtime.clone(),
            seed: self.seed,
            ctls: self.ctls.clone(),
            queues: self.queues.clone(),
            log: vec![],
            livelock: self.livelock.clone(),
            slots: self.slots.clone(),
            work: self.work,
            instant: self.instant,
            deferred: self.deferred,
        }
    }

    /// Puts back the input log of a cluster restored from a checkpoint: the
    /// recording's inputs up to the checkpoint.
    pub fn set_log(&mut self, log: Vec<Input>) {
        self.log = log;
    }

    /// A fresh cluster with the same seed, fed the same inputs (inputs this
    /// engine recorded itself: a failed one failed the same way when it
    /// was recorded). For inputs from outside (a save, a share link) use
    /// [`Cluster::replay_bounded`].
    pub fn replay(seed: u64, inputs: &[Input]) -> Cluster {
        let mut c = Cluster::new(seed);
        for i in inputs {
            // Inputs are logged whether they succeeded or not: a failed one
            // fails the same way again (and uses the same randomness).
            let _ = c.apply_input(i.clone());
        }
        c
    }

    /// Replays inputs that come from outside (a saved session, a share
    /// link): each is checked first ([`Input::check`]), and the whole replay
    /// may do at most `budget` units of work. Writes that the API server
    /// refuses are part of a session (they were refused when recorded too)
    /// and replay the same way; what the engine itself refuses is an error.
    pub fn replay_bounded(seed: u64, inputs: &[Input], budget: u64) -> Result<Cluster, ReplayError> {
        for (index, i) in inputs.iter().enumerate() {
            i.check().map_err(|message| ReplayError::Input { index, message })?;
        }
        let mut c = Cluster::new(seed);
        c.deferred = true;
        let start = c.work;
        for (index, i) in inputs.iter().enumerate() {
            let spent = |c: &Cluster| c.work - start;
            let over = |c: &Cluster| ReplayError::TooMuchWork { index, work: c.work - start };
            match i {
                Input::Advance { ms } => {
                    let target = c.now().0 + ms;
                    loop {
                        let left = budget.saturating_sub(spent(&c));
                        let p = c.advance_for(target - c.now().0, left);
                        if p.done {
                            break;
                        }
                        if spent(&c) >= budget {
                            return Err(over(&c));
                        }
                    }
                }
                other => {
                    let _ = c.apply_input(other.clone());
                    while c.instant.is_some() || c.queues.iter().any(|q| !q.is_empty()) {
                        let left = budget.saturating_sub(spent(&c));
                        if left == 0 {
                            return Err(over(&c));
                        }
                        c.advance_for(0, left);
                    }
                }
            }
        }
        c.deferred = false;
        Ok(c)
    }

    /// The cluster as it was at `until` in a session recorded from `seed`
    /// with `inputs` (time travel): the log is played until the clock
    /// reaches `until`, inputs recorded at exactly that instant included.
    /// The returned [`Playback`] continues the same recording from there;
    /// acting on the cluster instead branches the session (its log is the
    /// prefix played so far, then the new inputs).
    pub fn replay_until(seed: u64, inputs: &[Input], until: Time) -> (Cluster, Playback) {
        let mut c = Cluster::new(seed);
        let mut p = Playback::new(inputs.to_vec());
        p.play_until(&mut c, until);
        (c, p)
    }

    /// Applies one logged input (replay and share links use this).
    pub fn apply_input(&mut self, input: Input) -> Result<(), String> {
        match input {
            Input::Create { object } => {
                let o = decode_value(&self.api.store, &object)?;
                self.create(o).map(|_| ()).map_err(|e| e.message)
            }
            Input::Update { object } => {
                let o = decode_value(&self.api.store, &object)?;
                self.update(o).map(|_| ()).map_err(|e| e.message)
            }
            Input::Delete { kind, namespace, name, grace, propagation } => {
                let k = crate::engine::apiserver::crd::kind_named(&self.api.store, &kind).ok_or_else(|| format!("unknown kind {kind}"))?;
                self.delete(k, &namespace, &name, &DeleteOptions { grace_period: grace, propagation, uid: None }).map(|_| ()).map_err(|e| e.message)
            }
            Input::Evict { namespace, name, grace } => self.evict_with(&namespace, &name, grace).map(|_| ()).map_err(|e| e.message),
            Input::Exec { namespace, pod, container, argv, stdin } => {
                self.exec(&namespace, &pod, &container, &argv, &stdin);
                Ok(())
            }
            Input::Advance { ms } => {
                if !(0..=MAX_ADVANCE).contains(&ms) {
                    return Err(format!("time may move by 0 to {MAX_ADVANCE} ms at once, not {ms}"));
                }
                self.advance(ms);
                Ok(())
            }
            Input::Cluster { verb } => self.cluster_verb(verb),
        }
    }

    // ------------------------------------------------------------ client writes

    pub fn create(&mut self, obj: Object) -> Result<Written, ApiError> {
        // The log carries apiVersion/kind even when the client left them
        // out (kubectl create <generator> builds typed objects), so replay can decode it.
        self.finish_pending();
        let obj = obj.with_type_meta();
        let value = obj.to_value();
        request_body_fits(&value)?;
        self.log.push(Input::Create { object: value });
        let r = self.api.create(obj);
        self.after_input();
        r
    }

    pub fn update(&mut self, obj: Object) -> Result<Written, ApiError> {
        self.finish_pending();
        let obj = obj.with_type_meta();
        let value = obj.to_value();
        request_body_fits(&value)?;
        self.log.push(Input::Update { object: value });
        let r = self.api.update(obj);
        self.after_input();
        r
    }

    pub fn delete(&mut self, kind: Kind, namespace: &str, name: &str, opts: &DeleteOptions) -> Result<Rc<Object>, ApiError> {
        self.finish_pending();
        self.log.push(Input::Delete {
            kind: kind.info().qualified_plural(),
            namespace: namespace.into(),
            name: name.into(),
            grace: opts.grace_period,
            propagation: opts.propagation.clone(),
        });
        let r = self.api.delete(kind, namespace, name, opts);
        self.after_input();
        r
    }

    /// The eviction subresource (what `kubectl drain` uses): honours PodDisruptionBudgets.
    pub fn evict(&mut self, namespace: &str, name: &str) -> Result<Rc<Object>, ApiError> {
        self.evict_with(namespace, name, None)
    }

    /// An eviction with its own grace period (`kubectl drain --grace-period`).
    pub fn evict_with(&mut self, namespace: &str, name: &str, grace: Option<i64>) -> Result<Rc<Object>, ApiError> {
        self.finish_pending();
        self.log.push(Input::Evict { namespace: namespace.into(), name: name.into(), grace });
        let r = crate::engine::controllers::disruption::evict(&mut self.api, namespace, name, grace);
        self.after_input();
        r
    }

    /// Runs a program in a container; returns its output and exit code.
    pub fn exec(&mut self, namespace: &str, pod: &str, container: &str, argv: &[String], stdin: &str) -> crate::engine::kubelet::ExecResult {
        self.finish_pending();
        let mut cx = Cx { api: &mut self.api, world: &mut self.world, rt: &mut self.runtime };
        let r = crate::engine::kubelet::exec(&mut cx, namespace, pod, container, argv, stdin);
        self.log.push(Input::Exec { namespace: namespace.into(), pod: pod.into(), container: container.into(), argv: argv.to_vec(), stdin: stdin.into() });
        self.after_input();
        r
    }

    pub fn cluster_verb(&mut self, verb: ClusterVerb) -> Result<(), String> {
        self.finish_pending();
        // A verb the engine refuses outright (a node name no kubelet could
        // register) is not an input: it changes nothing and is not logged.
        verb.check()?;
        self.log.push(Input::Cluster { verb: verb.clone() });
        let r = {
            let mut cx = Cx { api: &mut self.api, world: &mut self.world, rt: &mut self.runtime };
            apply_verb(&mut cx, &verb)
        };
        self.after_input();
        r
    }

    /// After an input: its instant runs now, or waits for
    /// [`Cluster::advance_for`] when writes are deferred.
    fn after_input(&mut self) {
        if self.deferred {
            self.dispatch();
        } else {
            self.run_instant();
        }
    }

    /// When set, writes (and `cluster` verbs, execs) leave the controller
    /// work they cause pending instead of running it before they return: the
    /// caller runs it in slices with [`Cluster::advance_for`] (the page, so
    /// that a 10,000-pod scale never blocks a frame). The work is the same
    /// and in the same order either way, and any later input finishes it
    /// first, so the cluster and its log replay identically. Off by default
    /// (the CLI and the transcripts see every write's instant complete).
    pub fn set_deferred(&mut self, deferred: bool) {
        self.deferred = deferred;
    }

    /// Whether writes leave their work pending ([`Cluster::set_deferred`]).
    pub fn is_deferred(&self) -> bool {
        self.deferred
    }

    /// Whether controller work of the current instant is still to be done
    /// (a write while deferred, or an [`Cluster::advance_for`] cut short).
    pub fn has_pending_work(&self) -> bool {
        self.instant.is_some() || self.queues.iter().any(|q| !q.is_empty())
    }

    /// Runs work of the current instant that is pending (no timers, no time
    /// passing), at most about `budget` units; whether it is all done, and
    /// the work spent.
    pub fn finish_pending_for(&mut self, budget: u64) -> (bool, u64) {
        if !self.has_pending_work() {
            return (true, 0);
        }
        let w0 = self.work;
        let mut left = budget;
        let done = self.run_instant_for(&mut left);
        (done, self.work - w0)
    }

    /// Runs whatever work of the current instant is pending, unbounded.
    pub fn finish_pending(&mut self) {
        if self.has_pending_work() {
            self.run_instant();
        }
    }

    /// Units of work done since the cluster was made (controller syncs and
    /// timers fired): a measure of cost that does not depend on the machine.
    pub fn work(&self) -> u64 {
        self.work
    }

    // ------------------------------------------------------------ time

    /// Lets `ms` of simulated time pass.
    pub fn advance(&mut self, ms: Millis) {
        if ms <= 0 {
            self.finish_pending();
            return;
        }
        let target = self.api.now.0.saturating_add(ms);
        while !self.advance_for(target - self.api.now.0, u64::MAX).done {}
    }

    /// Lets up to `ms` of simulated time pass, doing at most about `budget`
    /// units of work (a controller sync or a timer fired is one unit; the
    /// timers due at one instant are taken together, which only queues keys,
    /// so the overshoot is cheap and bounded by them): the page keeps each frame
    /// short whatever the cluster's size, and a replay stays bounded. Work
    /// left over at an instant (from a write while [`Cluster::set_deferred`]
    /// or an earlier call cut short) is done first. When the budget runs
    /// out, the clock stays at the instant reached (`Progress::now`) and
    /// the call returns `done: false`; calling again with the rest
    /// (`target - now`) resumes exactly where it stopped, so any slicing
    /// gives the same cluster, log and randomness as one [`Cluster::advance`].
    /// The log records only the time that actually passed.
    pub fn advance_for(&mut self, ms: Millis, budget: u64) -> Progress {
        let start = self.api.now.0;
        let target = start.saturating_add(ms.max(0));
        let work0 = self.work;
        let mut left = budget;
        let done = 'run: {
            if !self.run_instant_for(&mut left) {
                break 'run false;
            }
            while let Some(at) = self.next_deadline() {
                if at > target {
                    break;
                }
                if left == 0 {
                    break 'run false;
                }
                self.api.now = Time(at.max(self.api.now.0));
                self.api.expire_events();
                self.fire_due(&mut left);
                if !self.run_instant_for(&mut left) {
                    break 'run false;
                }
            }
            self.api.now = Time(target);
            true
        };
        let passed = self.api.now.0 - start;
        if passed > 0 {
            self.log_advance(passed);
        }
        Progress { done, now: self.api.now, work: self.work - work0 }
    }

    /// Records time passing. Consecutive advances replay the same as one
    /// (time only matters at timers), so the log keeps one entry (a page
    /// playing at 60 frames a second does not grow it per frame), up to
    /// [`MAX_ADVANCE`] per entry: what a replay accepts.
    fn log_advance(&mut self, ms: Millis) {
        let mut ms = ms;
        if let Some(Input::Advance { ms: last }) = self.log.last_mut() {
            let room = MAX_ADVANCE - *last;
            let add = ms.min(room.max(0));
            *last += add;
            ms -= add;
        }
        while ms > 0 {
            let add = ms.min(MAX_ADVANCE);
            self.log.push(Input::Advance { ms: add });
            ms -= add;
        }
    }

    fn advance_quiet(&mut self, ms: Millis) {
        let target = self.api.now.0 + ms;
        while let Some(at) = self.next_deadline() {
            if at > target {
                break;
            }
            self.api.now = Time(at.max(self.api.now.0));
            self.api.expire_events();
            self.fire_due(&mut { u64::MAX });
            self.run_instant();
        }
        self.api.now = Time(target);
    }

    /// Advances to the next timer (or by `max`, whichever is sooner); returns
    /// how far time moved. Used by waits that check a condition as time passes.
    pub fn step(&mut self, max: Millis) -> Millis {
        self.finish_pending();
        let now = self.api.now.0;
        let horizon = now.saturating_add(max.max(0));
        let next = self.next_deadline().unwrap_or(horizon).min(horizon).max(now);
        let d = next - now;
        if d > 0 {
            self.advance(d);
        } else {
            // timers due now: fire them without moving the clock
            self.api.expire_events();
            self.fire_due(&mut { u64::MAX });
            self.run_instant();
        }
        d
    }

    /// When the next timer fires (a controller's deadline, a kubelet's
    /// heartbeat), if any.
    pub fn next_timer(&self) -> Option<Time> {
        self.api.timers.next_at().map(Time)
    }

    /// The next instant something is due: a controller's timer, or the end
    /// of an event's time to live.
    fn next_deadline(&self) -> Option<Millis> {
        match (self.api.timers.next_at(), self.api.next_event_expiry()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whether something will still happen without new input.
    pub fn busy(&self) -> bool {
        self.api.timers.has_significant() || self.queues.iter().any(|q| !q.is_empty())
    }

    /// Advances until nothing more will happen (bounded by [`SETTLE_LIMIT`]).
    /// Returns the time that passed and whether the cluster settled.
    pub fn settle(&mut self) -> (Millis, bool) {
        let start = self.api.now.0;
        while self.busy() {
            let elapsed = self.api.now.0 - start;
            if elapsed >= SETTLE_LIMIT {
                return (elapsed, false);
            }
            self.step(SETTLE_LIMIT - elapsed);
        }
        (self.api.now.0 - start, true)
    }

    fn fire_due(&mut self, left: &mut u64) {
        for (ctl, key, _) in self.api.timers.pop_due(self.api.now.0) {
            self.work += 1;
            *left = left.saturating_sub(1);
            if let Some(i) = self.slots[ctl as usize] {
                self.queues[i].add(key);
            }
        }
    }

    /// Runs controllers until no queue has work at the current instant.
    pub fn run_instant(&mut self) {
        self.run_instant_for(&mut { u64::MAX });
    }

    /// Runs controllers at the current instant until no queue has work
    /// (true) or `left` units of work are spent (false: the instant's state
    /// is kept and the next call resumes it). Controllers take turns, one
    /// key each, in the order of [`control_loops`] (not of [`Ctl`]); a
    /// resumed instant continues the same round, so slicing never changes
    /// the order of syncs.
    fn run_instant_for(&mut self, left: &mut u64) -> bool {
        let mut st = match self.instant.take() {
            Some(st) => st,
            None => {
                self.dispatch();
                InstantState::default()
            }
        };
        loop {
            while st.pos < self.ctls.len() {
                if *left == 0 {
                    self.instant = Some(st);
                    return false;
                }
                let i = st.pos;
                st.pos += 1;
                let Some(key) = self.queues[i].pop() else { continue };
                st.progressed = true;
                st.syncs += 1;
                self.work += 1;
                *left -= 1;
                let mut cx = Cx { api: &mut self.api, world: &mut self.world, rt: &mut self.runtime };
                self.ctls[i].sync(&key, &mut cx);
                self.dispatch();
            }
            if !st.progressed {
                return true;
            }
            if st.syncs > MAX_SYNCS_PER_INSTANT {
                self.livelock = Some(format!("controllers did not converge at {} after {} syncs", self.api.now, st.syncs));
                for q in &mut self.queues {
                    while q.pop().is_some() {}
                }
                return true;
            }
            st = InstantState { pos: 0, progressed: false, syncs: st.syncs };
        }
    }

    fn dispatch(&mut self) {
        let changes: Vec<Change> = self.api.store.drain_changes();
        for ch in &changes {
            self.api.note_change(ch);
            if let Some(removed) = ch.old.as_deref().filter(|_| ch.op == Op::Deleted) {
                crate::engine::apiserver::admission::release(&mut self.api, removed);
            }
            for (i, c) in self.ctls.iter_mut().enumerate() {
                c.watch(ch, &self.api, &mut self.queues[i]);
            }
        }
    }

    // ------------------------------------------------------------ reads

    pub fn get<T: Resource>(&self, namespace: &str, name: &str) -> Option<&T> {
        self.api.get_t::<T>(namespace, name)
    }
}

/// A recorded input log being played onto a cluster, stoppable at any
/// instant: an `Advance` may be played in part and resumed later.
#[derive(Clone, Debug, Default)]
pub struct Playback {
    inputs: Vec<Input>,
    next: usize,
    /// How much of `inputs[next]` (an `Advance`) has been played already.
    partial: Millis,
}

impl Playback {
    pub fn new(inputs: Vec<Input>) -> Playback {
        Playback { inputs, next: 0, partial: 0 }
    }

    /// A recording played up to a position: `next` inputs fully, and
    /// `partial` ms of the following `Advance`.
    pub fn resume(inputs: Vec<Input>, next: usize, partial: Millis) -> Playback {
        let next = next.min(inputs.len());
        let partial = if matches!(inputs.get(next), Some(Input::Advance { .. })) { partial } else { 0 };
        Playback { inputs, next, partial }
    }

    /// Where the playback stands: inputs fully played, and how much of the next.
    pub fn position(&self) -> (usize, Millis) {
        (self.next, self.partial)
    }

    /// Plays recorded inputs into `c` until its clock reaches `until`
    /// (inputs recorded at that instant are applied too). Returns whether
    /// the whole recording has been played.
    pub fn play_until(&mut self, c: &mut Cluster, until: Time) -> bool {
        while let Some(input) = self.inputs.get(self.next) {
            match input {
                Input::Advance { ms } => {
                    let left = ms - self.partial;
                    let room = until.0 - c.now().0;
                    if left <= room {
                        c.advance(left);
                        self.partial = 0;
                        self.next += 1;
                    } else {
                        if room > 0 {
                            c.advance(room);
                            self.partial += room;
                        }
                        return false;
                    }
                }
                other => {
                    let _ = c.apply_input(other.clone());
                    self.next += 1;
                }
            }
        }
        true
    }

    /// When the next recorded input other than the passing of time will be
    /// applied, for a cluster whose clock reads `now` (the end of the
    /// recording when none is left).
    pub fn next_input_at(&self, now: Time) -> Time {
        let mut t = now.0;
        let mut partial = self.partial;
        for input in &self.inputs[self.next.min(self.inputs.len())..] {
            match input {
                Input::Advance { ms } => {
                    t += ms - partial;
                    partial = 0;
                }
                _ => return Time(t),
            }
        }
        Time(t)
    }

    /// Whether every recorded input has been played.
    pub fn done(&self) -> bool {
        self.next >= self.inputs.len()
    }

    /// The simulated time at which the recording ends, for a recording
    /// started on a cluster whose clock read `start`.
    pub fn end_time(inputs: &[Input], start: Time) -> Time {
        Time(start.0 + inputs.iter().map(|i| if let Input::Advance { ms } = i { *ms } else { 0 }).sum::<Millis>())
    }
}

/// The API server reads at most [`MAX_REQUEST_BODY`] bytes of a request: a
/// bigger object is refused before it is decoded (and so is not an input:
/// nothing happened).
pub fn request_body_fits(v: &serde_json::Value) -> Result<(), ApiError> {
    // serde_json's Vec writer: the one the saves use, not a second writer
    // type (each compiles serde_json's serializer for Value again).
    if serde_json::to_vec(v).map(|b| b.len()).unwrap_or(usize::MAX) <= MAX_REQUEST_BODY {
        return Ok(());
    }
    Err(ApiError::new(crate::engine::apiserver::Reason::RequestEntityTooLarge, format!("Request entity too large: limit is {MAX_REQUEST_BODY}")))
}

/// A logged object (a custom resource's kind is the one its CRD serves then).
fn decode_value(store: &crate::engine::store::Store, v: &serde_json::Value) -> Result<Object, String> {
    let api_version = v.get("apiVersion").and_then(|x| x.as_str()).unwrap_or("");
    let kind = v.get("kind").and_then(|x| x.as_str()).unwrap_or("");
    let k = crate::engine::apiserver::crd::kind_of(store, api_version, kind).ok_or_else(|| format!("no kind {kind:?} in {api_version:?}"))?;
    Object::from_value(k, v).map(|(o, _)| o).map_err(|e| e.message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_input_reads_back_the_json_it_writes() {
        let inputs = vec![
            Input::Create { object: serde_json::json!({"kind": "Pod", "metadata": {"name": "a"}}) },
            Input::Update { object: serde_json::json!({"kind": "Pod"}) },
            Input::Delete {
                kind: "Pod".into(),
                namespace: "default".into(),
                name: "a".into(),
                grace: Some(0),
                propagation: Some(DeletionPropagation::Foreground),
            },
            Input::Delete { kind: "Pod".into(), namespace: "".into(), name: "a".into(), grace: None, propagation: None },
            Input::Evict { namespace: "default".into(), name: "a".into(), grace: None },
            Input::Exec { namespace: "n".into(), pod: "p".into(), container: "c".into(), argv: vec!["sh".into(), "-c".into()], stdin: "x".into() },
            Input::Advance { ms: 90_000 },
            Input::Cluster { verb: ClusterVerb::NodeStop { node: "node-a".into() } },
            Input::Cluster { verb: ClusterVerb::NodeStart { node: "node-a".into() } },
            Input::Cluster { verb: ClusterVerb::NodeAdd { node: "node-d".into(), zone: "zone-a".into() } },
            Input::Cluster { verb: ClusterVerb::DriverInstall { driver: "d".into() } },
            Input::Cluster { verb: ClusterVerb::DriverUninstall { driver: "d".into() } },
            Input::Cluster { verb: ClusterVerb::FeatureGate { gate: "G".into(), enabled: true } },
        ];
        let json = serde_json::to_string(&inputs).unwrap();
        assert_eq!(serde_json::from_str::<Vec<Input>>(&json).unwrap(), inputs);
        // What a damaged save or link says.
        for (bad, want) in [
            (r#"{"op":"nope"}"#, "unknown variant `nope`"),
            (r#"{"op":"evict","name":"a"}"#, "missing field `namespace`"),
            (r#"{"op":"advance","ms":"1"}"#, "invalid type: string, expected i64"),
            (r#"{"op":"cluster","verb":{"verb":"nodeStop"}}"#, "missing field `node`"),
            (r#"[1]"#, "invalid type: sequence, expected internally tagged enum Input"),
        ] {
            let e = serde_json::from_str::<Input>(bad).unwrap_err().to_string();
            assert!(e.starts_with(want), "{bad}: {e}");
        }
    }
    use crate::engine::time::HOUR;

    #[test]
    fn every_ctl_has_exactly_one_control_loop() {
        let mut ids: Vec<usize> = control_loops().iter().map(|c| c.id() as usize).collect();
        crate::engine::sort::sort(&mut ids);
        assert_eq!(ids, (0..Ctl::COUNT).collect::<Vec<_>>());
    }

    #[test]
    fn default_cluster_has_nodes_classes_and_namespaces() {
        let c = Cluster::new(1);
        let nodes: Vec<_> = c.api.store.list_t::<Node>().map(|n| (n.metadata.name.clone(), n.metadata.labels["topology.kubernetes.io/zone"].clone())).collect();
        assert_eq!(nodes, [("node-a".to_string(), "zone-a".to_string()), ("node-b".into(), "zone-b".into()), ("node-c".into(), "zone-c".into())]);
        let classes: Vec<_> = c.api.store.list_t::<StorageClass>().map(|s| (s.metadata.name.clone(), s.is_default())).collect();
        assert_eq!(classes, [("local-path".to_string(), false), ("standard".to_string(), true)]);
        assert_eq!(c.api.store.count(Kind::Namespace), 4);
        assert_eq!(c.now(), Time(EPOCH + 2 * MINUTE));
    }

    #[test]
    fn advances_coalesce_and_replay_the_same() {
        let mut a = Cluster::new(5);
        for _ in 0..10 {
            a.advance(1500);
        }
        assert_eq!(a.log(), &[Input::Advance { ms: 15_000 }]);
        let b = Cluster::replay(5, a.log());
        assert_eq!(a.now(), b.now());
        assert_eq!(a.api.store.resource_version(), b.api.store.resource_version());
    }

    #[test]
    fn a_recorded_delete_with_an_unknown_propagation_is_refused_as_the_api_server_refuses_it() {
        let mut c = Cluster::new(3);
        // A saved session or share link carries the policy as its string;
        // one the API does not define (even a case variant, which used to
        // become Background) gets ValidateDeleteOptions' error, and nothing is deleted.
        let input: Input =
            serde_json::from_str(r#"{"op":"delete","kind":"namespaces","namespace":"","name":"kube-public","grace":null,"propagation":"background"}"#).unwrap();
        assert_eq!(
            c.apply_input(input.clone()),
            Err(r#"DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "background": supported values: "Foreground", "Background", "Orphan", "nil""#.into())
        );
        // Checked before the object is looked up, as the DELETE handler does.
        let missing = Input::Delete {
            kind: "pods".into(),
            namespace: "default".into(),
            name: "none".into(),
            grace: None,
            propagation: Some(DeletionPropagation::Other("All".into())),
        };
        assert!(c.apply_input(missing).unwrap_err().starts_with("DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: \"All\""));
        assert!(c.api.store.get_t::<Namespace>("", "kube-public").is_some_and(|n| !n.metadata.is_deleting()));
        // The three defined policies are recorded and read back as they were.
        c.create(Object::ConfigMap(ConfigMap { metadata: ObjectMeta::named("default", "cm"), ..Default::default() })).unwrap();
        c.delete(Kind::ConfigMap, "default", "cm", &DeleteOptions { propagation: Some(DeletionPropagation::Foreground), ..Default::default() }).unwrap();
        let json = serde_json::to_string(c.log().last().unwrap()).unwrap();
        assert!(json.ends_with(r#""propagation":"Foreground"}"#), "{json}");
        assert_eq!(serde_json::from_str::<Input>(&json).unwrap(), *c.log().last().unwrap());
    }

    fn recorded_session() -> Cluster {
        let mut c = Cluster::new(9);
        c.advance(5_000);
        c.cluster_verb(ClusterVerb::NodeAdd { node: "node-d".into(), zone: "zone-a".into() }).unwrap();
        c.advance(30_000);
        c.cluster_verb(ClusterVerb::NodeStop { node: "node-b".into() }).unwrap();
        c.advance(90_000);
        c
    }

    #[test]
    fn replay_until_stops_at_any_instant_and_resumes() {
        let head = recorded_session();
        let start = Cluster::new(9).now();
        assert_eq!(Playback::end_time(head.log(), start), head.now());
        // before the node was added
        let (c, p) = Cluster::replay_until(9, head.log(), Time(start.0 + 4_000));
        assert_eq!(c.now(), Time(start.0 + 4_000));
        assert!(!c.world.machines.contains_key("node-d"));
        assert!(!p.done());
        // exactly at the instant of the input: it is applied
        let (c, _) = Cluster::replay_until(9, head.log(), Time(start.0 + 5_000));
        assert!(c.world.machines.contains_key("node-d"));
        assert!(c.world.is_powered("node-b"));
        // in the middle of the last advance, then resumed to the end: the
        // same cluster as the recording, and the same log
        let (mut c, mut p) = Cluster::replay_until(9, head.log(), Time(start.0 + 60_000));
        assert!(!c.world.is_powered("node-b"));
        assert_eq!(c.now(), Time(start.0 + 60_000));
        assert!(!p.play_until(&mut c, Time(start.0 + 70_000)));
        assert!(p.play_until(&mut c, head.now()));
        assert!(p.done());
        assert_eq!(c.now(), head.now());
        assert_eq!(c.log(), head.log());
        assert_eq!(c.api.store.resource_version(), head.api.store.resource_version());
        // past the end: the whole recording, the clock not moved further
        let (c, p) = Cluster::replay_until(9, head.log(), Time(head.now().0 + 50_000));
        assert!(p.done());
        assert_eq!(c.now(), head.now());
    }

    #[test]
    fn acting_after_replay_until_branches() {
        let head = recorded_session();
        let start = Cluster::new(9).now();
        let (mut c, _) = Cluster::replay_until(9, head.log(), Time(start.0 + 20_000));
        c.cluster_verb(ClusterVerb::NodeStop { node: "node-c".into() }).unwrap();
        let log = c.log().to_vec();
        assert_eq!(log.len(), 4);
        assert_eq!(log[2], Input::Advance { ms: 15_000 });
        // the branch replays to the same cluster
        let again = Cluster::replay(9, &log);
        assert_eq!(again.now(), c.now());
        assert!(!again.world.is_powered("node-c"));
        assert!(again.world.is_powered("node-b"));
    }

    fn deployment(replicas: u32) -> Object {
        let y = format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web}}\nspec:\n  replicas: {replicas}\n  selector: {{matchLabels: {{app: web}}}}\n  template:\n    metadata: {{labels: {{app: web}}}}\n    spec:\n      containers: [{{name: web, image: nginx}}]\n"
        );
        let doc = crate::engine::yaml::parse_stream(&y).unwrap().remove(0);
        Object::decode(Kind::Deployment, &doc.node).unwrap().0
    }

    fn fingerprint(c: &Cluster) -> String {
        let mut s = format!("{} {}\n", c.now(), c.api.store.resource_version());
        for kind in Kind::ALL {
            for o in c.api.store.list(*kind) {
                s.push_str(&o.to_value().to_string());
            }
        }
        s
    }

    /// Any slicing of the same span of time, with or without deferred
    /// writes, gives the same cluster and the same log as one advance.
    #[test]
    fn advance_for_in_slices_is_one_advance() {
        let mut whole = Cluster::new(4);
        whole.create(deployment(5)).unwrap();
        whole.advance(MINUTE);
        for budget in [1, 3, 7, 40, 100_000] {
            let mut c = Cluster::new(4);
            c.set_deferred(true);
            c.create(deployment(5)).unwrap();
            assert!(c.has_pending_work());
            let target = c.now().0 + MINUTE;
            let mut calls = 0;
            loop {
                let p = c.advance_for(target - c.now().0, budget);
                calls += 1;
                // Syncs stop at the budget; the timers due at one instant are
                // taken together (they only queue keys).
                assert!(p.work <= budget + 10, "{} > {budget}", p.work);
                if p.done {
                    break;
                }
            }
            assert!(budget > 10 || calls > 10, "a small budget takes many slices ({calls})");
            assert_eq!(fingerprint(&c), fingerprint(&whole), "budget {budget}");
            assert_eq!(c.log(), whole.log(), "budget {budget}");
            assert!(!c.has_pending_work());
        }
    }

    #[test]
    fn bounded_replay_refuses_what_could_not_have_been_recorded() {
        let mut c = Cluster::new(2);
        c.create(deployment(2)).unwrap();
        c.advance(MINUTE);
        let log = c.log().to_vec();
        let again = Cluster::replay_bounded(2, &log, 10_000_000).unwrap();
        assert_eq!(fingerprint(&again), fingerprint(&c));
        let bad = |i: Input| Cluster::replay_bounded(2, &[i], 10_000_000).err().unwrap().to_string();
        assert!(bad(Input::Advance { ms: 1 << 53 }).contains("time may move by 0 to 604800000 ms at once"));
        assert!(bad(Input::Advance { ms: -5 }).contains("not -5"));
        assert!(
            bad(Input::Cluster { verb: ClusterVerb::NodeAdd { node: "n".repeat(64), zone: "zone-a".into() } }).contains("must be no more than 63 characters")
        );
        let huge = serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"a": "x".repeat(4 << 20)}});
        assert!(bad(Input::Create { object: huge }).contains("Request entity too large: limit is 3145728"));
        // A week at a time, as often as a link likes: the work budget stops it.
        let weeks = vec![Input::Advance { ms: MAX_ADVANCE }; 1000];
        match Cluster::replay_bounded(2, &weeks, 50_000) {
            Err(ReplayError::TooMuchWork { work, .. }) => assert!(work <= 50_010, "{work}"),
            other => panic!("{:?}", other.map(|c| c.now())),
        }
    }

    #[test]
    fn long_advances_are_logged_in_steps_a_replay_accepts() {
        let mut c = Cluster::new(3);
        c.advance(MAX_ADVANCE - 1000);
        c.advance(5000);
        assert_eq!(c.log(), &[Input::Advance { ms: MAX_ADVANCE }, Input::Advance { ms: 4000 }]);
        assert!(c.log().iter().all(|i| i.check().is_ok()));
    }

    #[test]
    fn events_expire_an_hour_after_their_last_write() {
        let mut c = Cluster::new(3);
        let ns = Object::Namespace(c.api.get_t::<Namespace>("", "default").unwrap().clone());
        let tests = |c: &Cluster| c.api.store.list_t::<Event>().filter(|e| e.reason == "Test").map(|e| e.count).collect::<Vec<_>>();
        assert!(c.api.store.count(Kind::Event) > 0, "the nodes registered");
        c.api.event(&ns, "Normal", "Test", "once more", "test");
        c.run_instant();
        c.advance(40 * MINUTE);
        // a repeat updates the event's count: a new write, a new lease
        c.api.event(&ns, "Normal", "Test", "once more", "test");
        c.run_instant();
        c.advance(30 * MINUTE);
        assert_eq!(tests(&c), [2], "70 minutes after the first write, 30 after the last");
        assert_eq!(c.api.store.count(Kind::Event), 1, "the nodes' registration events are gone");
        c.advance(30 * MINUTE);
        assert_eq!(tests(&c), Vec::<i32>::new());
        // forgotten by the correlator too: the next one starts a new event
        c.api.event(&ns, "Normal", "Test", "once more", "test");
        c.run_instant();
        assert_eq!(tests(&c), [1]);
    }

    #[test]
    fn events_expire_at_their_instant_however_time_is_advanced() {
        let mut a = Cluster::new(4);
        let mut b = Cluster::new(4);
        a.advance(2 * HOUR);
        for _ in 0..120 {
            b.advance(MINUTE - 7);
            b.advance(7);
        }
        assert_eq!(a.api.store.resource_version(), b.api.store.resource_version());
        assert_eq!(a.api.store.count(Kind::Event), 0);
        assert_eq!(Cluster::replay(4, b.log()).api.store.resource_version(), b.api.store.resource_version());
    }

    #[test]
    fn same_seed_same_cluster() {
        let a = Cluster::new(42);
        let b = Cluster::new(42);
        let ua: Vec<_> = a.api.store.list_t::<Node>().map(|n| n.metadata.uid.clone()).collect();
        let ub: Vec<_> = b.api.store.list_t::<Node>().map(|n| n.metadata.uid.clone()).collect();
        assert_eq!(ua, ub);
        let c = Cluster::new(43);
        let uc: Vec<_> = c.api.store.list_t::<Node>().map(|n| n.metadata.uid.clone()).collect();
        assert_ne!(ua, uc);
    }
}
