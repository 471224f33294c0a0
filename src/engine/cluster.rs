//! The simulated cluster: API server + controllers + world, driven by one
//! clock. Everything that comes from outside (kubectl writes, `cluster`
//! verbs, the passing of time) is an [`Input`], recorded in order, so a
//! session replays exactly from its seed and its log.
//!
//! Within one instant, controllers take turns (one key each, in [`Ctl`]
//! order) until no queue has work; then time jumps to the next timer.

use crate::engine::api::*;
use crate::engine::apiserver::{Api, ApiError, DeleteOptions, Propagation, Written};
use crate::engine::controllers::{self, Controller, Ctl, Cx, WorkQueue};
use crate::engine::store::{Change, Op};
use crate::engine::time::{EPOCH, MINUTE, Millis, Time};
use crate::engine::world::World;
use serde::{Deserialize, Serialize};
use std::rc::Rc;

/// Something from outside the cluster. The log of these, with the seed,
/// reproduces a session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum Input {
    Create { object: serde_json::Value },
    Update { object: serde_json::Value },
    Delete { kind: String, namespace: String, name: String, grace: Option<i64>, propagation: Option<String> },
    Evict { namespace: String, name: String },
    Exec { namespace: String, pod: String, container: String, argv: Vec<String>, stdin: String },
    Advance { ms: Millis },
    Cluster { verb: ClusterVerb },
}

/// The `cluster` verbs: what only a simulator can do.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "verb", rename_all = "camelCase")]
pub enum ClusterVerb {
    NodeStop { node: String },
    NodeStart { node: String },
    NodeAdd { node: String, zone: String },
    DriverInstall { driver: String },
    DriverUninstall { driver: String },
    FeatureGate { gate: String, enabled: bool },
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
}

impl Default for Config {
    fn default() -> Config {
        Config { node_monitor_grace_period: 50_000, max_unavailable_statefulset: false, disabled: vec![] }
    }
}

/// A bound on the work one instant may take (a livelock guard).
const MAX_SYNCS_PER_INSTANT: usize = 2_000_000;
/// How long `settle` may run before giving up.
pub const SETTLE_LIMIT: Millis = 15 * MINUTE;

/// A lightweight record of one store change, for the UI's animation feed.
#[derive(Clone, Debug)]
pub struct FeedItem {
    pub at: Time,
    pub op: Op,
    pub kind: Kind,
    pub key: ObjKey,
    pub rv: u64,
}

pub struct Cluster {
    pub api: Api,
    pub world: World,
    seed: u64,
    ctls: Vec<Box<dyn Controller>>,
    queues: Vec<WorkQueue>,
    log: Vec<Input>,
    feed: Vec<FeedItem>,
    feed_base: usize,
    /// Set when an instant hit the work bound (reported, never silent).
    pub livelock: Option<String>,
    /// Index of `Ctl` -> slot in `ctls`.
    slots: Vec<Option<usize>>,
}

impl Cluster {
    /// The default cluster (see TRANSCRIPTS.md): three nodes in three zones,
    /// the `standard` and `local-path` classes, the storage drivers.
    pub fn new(seed: u64) -> Cluster {
        Cluster::with_config(seed, Config::default())
    }

    pub fn with_config(seed: u64, config: Config) -> Cluster {
        let ctls: Vec<Box<dyn Controller>> = controllers::all().into_iter().filter(|c| !config.disabled.contains(&c.id())).collect();
        let mut slots = vec![None; 32];
        for (i, c) in ctls.iter().enumerate() {
            slots[c.id() as usize] = Some(i);
        }
        let mut c = Cluster {
            api: Api::new(seed, Time(EPOCH), config),
            world: World::default(),
            seed,
            queues: vec![WorkQueue::default(); ctls.len()],
            ctls,
            log: vec![],
            feed: vec![],
            feed_base: 0,
            livelock: None,
            slots,
        };
        crate::engine::bootstrap::default_cluster(&mut c);
        c.run_instant();
        // The cluster has been up for a little while when the session starts.
        c.advance_quiet(2 * MINUTE);
        c.feed.clear();
        c.feed_base = 0;
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

    /// A fresh cluster with the same seed, fed the same inputs.
    pub fn replay(seed: u64, inputs: &[Input]) -> Cluster {
        let mut c = Cluster::new(seed);
        for i in inputs {
            // Inputs are logged whether they succeeded or not: a failed one
            // fails the same way again (and uses the same randomness).
            let _ = c.apply_input(i.clone());
        }
        c
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
                let o = decode_value(&object)?;
                self.create(o).map(|_| ()).map_err(|e| e.message)
            }
            Input::Update { object } => {
                let o = decode_value(&object)?;
                self.update(o).map(|_| ()).map_err(|e| e.message)
            }
            Input::Delete { kind, namespace, name, grace, propagation } => {
                let k = Kind::lookup(&kind).ok_or_else(|| format!("unknown kind {kind}"))?;
                let propagation = propagation.as_deref().map(parse_propagation);
                self.delete(k, &namespace, &name, &DeleteOptions { grace_period: grace, propagation, uid: None }).map(|_| ()).map_err(|e| e.message)
            }
            Input::Evict { namespace, name } => self.evict(&namespace, &name).map(|_| ()).map_err(|e| e.message),
            Input::Exec { namespace, pod, container, argv, stdin } => {
                self.exec(&namespace, &pod, &container, &argv, &stdin);
                Ok(())
            }
            Input::Advance { ms } => {
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
        let obj = obj.with_type_meta();
        self.log.push(Input::Create { object: obj.to_value() });
        let r = self.api.create(obj);
        self.run_instant();
        r
    }

    pub fn update(&mut self, obj: Object) -> Result<Written, ApiError> {
        let obj = obj.with_type_meta();
        self.log.push(Input::Update { object: obj.to_value() });
        let r = self.api.update(obj);
        self.run_instant();
        r
    }

    pub fn delete(&mut self, kind: Kind, namespace: &str, name: &str, opts: &DeleteOptions) -> Result<Rc<Object>, ApiError> {
        self.log.push(Input::Delete {
            kind: kind.info().qualified_plural(),
            namespace: namespace.into(),
            name: name.into(),
            grace: opts.grace_period,
            propagation: opts.propagation.map(|p| format!("{p:?}")),
        });
        let r = self.api.delete(kind, namespace, name, opts);
        self.run_instant();
        r
    }

    /// The eviction subresource (what `kubectl drain` uses): honours PodDisruptionBudgets.
    pub fn evict(&mut self, namespace: &str, name: &str) -> Result<Rc<Object>, ApiError> {
        self.log.push(Input::Evict { namespace: namespace.into(), name: name.into() });
        let r = crate::engine::controllers::disruption::evict(&mut self.api, namespace, name);
        self.run_instant();
        r
    }

    /// Runs a program in a container; returns its output and exit code.
    pub fn exec(&mut self, namespace: &str, pod: &str, container: &str, argv: &[String], stdin: &str) -> crate::engine::kubelet::ExecResult {
        let mut cx = Cx { api: &mut self.api, world: &mut self.world };
        let r = crate::engine::kubelet::exec(&mut cx, namespace, pod, container, argv, stdin);
        self.log.push(Input::Exec { namespace: namespace.into(), pod: pod.into(), container: container.into(), argv: argv.to_vec(), stdin: stdin.into() });
        self.run_instant();
        r
    }

    pub fn cluster_verb(&mut self, verb: ClusterVerb) -> Result<(), String> {
        self.log.push(Input::Cluster { verb: verb.clone() });
        let r = {
            let mut cx = Cx { api: &mut self.api, world: &mut self.world };
            crate::engine::bootstrap::cluster_verb(&mut cx, &verb)
        };
        self.run_instant();
        r
    }

    // ------------------------------------------------------------ time

    /// Lets `ms` of simulated time pass.
    pub fn advance(&mut self, ms: Millis) {
        if ms <= 0 {
            return;
        }
        // Consecutive advances replay the same as one (time only matters at
        // timers), so the log keeps one entry: a page playing at 60 frames a
        // second does not grow it per frame.
        match self.log.last_mut() {
            Some(Input::Advance { ms: last }) => *last += ms,
            _ => self.log.push(Input::Advance { ms }),
        }
        self.advance_quiet(ms);
    }

    fn advance_quiet(&mut self, ms: Millis) {
        let target = self.api.now.0 + ms;
        while let Some(at) = self.api.timers.next_at() {
            if at > target {
                break;
            }
            self.api.now = Time(at.max(self.api.now.0));
            self.fire_due();
            self.run_instant();
        }
        self.api.now = Time(target);
    }

    /// Advances to the next timer (or by `max`, whichever is sooner); returns
    /// how far time moved. Used by waits that check a condition as time passes.
    pub fn step(&mut self, max: Millis) -> Millis {
        let now = self.api.now.0;
        let next = self.api.timers.next_at().unwrap_or(now + max).min(now + max).max(now);
        let d = next - now;
        if d > 0 {
            self.advance(d);
        } else {
            // timers due now: fire them without moving the clock
            self.fire_due();
            self.run_instant();
        }
        d
    }

    /// When the next timer fires (a controller's deadline, a kubelet's
    /// heartbeat), if any.
    pub fn next_timer(&self) -> Option<Time> {
        self.api.timers.next_at().map(Time)
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

    fn fire_due(&mut self) {
        for (ctl, key, _) in self.api.timers.pop_due(self.api.now.0) {
            if let Some(i) = self.slots[ctl as usize] {
                self.queues[i].add(key);
            }
        }
    }

    /// Runs controllers until no queue has work at the current instant.
    pub fn run_instant(&mut self) {
        let mut syncs = 0usize;
        self.dispatch();
        loop {
            let mut progressed = false;
            for i in 0..self.ctls.len() {
                let Some(key) = self.queues[i].pop() else { continue };
                progressed = true;
                syncs += 1;
                let mut cx = Cx { api: &mut self.api, world: &mut self.world };
                self.ctls[i].sync(&key, &mut cx);
                self.dispatch();
            }
            if !progressed {
                break;
            }
            if syncs > MAX_SYNCS_PER_INSTANT {
                self.livelock = Some(format!("controllers did not converge at {} after {syncs} syncs", self.api.now));
                for q in &mut self.queues {
                    while q.pop().is_some() {}
                }
                break;
            }
        }
    }

    fn dispatch(&mut self) {
        let changes: Vec<Change> = self.api.store.drain_changes();
        for ch in &changes {
            if let Some(removed) = ch.old.as_deref().filter(|_| ch.op == Op::Deleted) {
                crate::engine::apiserver::admission::release(&mut self.api, removed);
            }
            for (i, c) in self.ctls.iter_mut().enumerate() {
                c.watch(ch, &self.api, &mut self.queues[i]);
            }
            self.feed.push(FeedItem { at: self.api.now, op: ch.op, kind: ch.kind, key: ch.key.clone(), rv: ch.rv });
        }
    }

    /// Wakes a controller for a key now (used by bootstrap and verbs).
    pub fn enqueue(&mut self, ctl: Ctl, key: ObjRef) {
        if let Some(i) = self.slots[ctl as usize] {
            self.queues[i].add(key);
        }
    }

    // ------------------------------------------------------------ feed

    /// Changes since `cursor` (a value returned earlier), and the new cursor.
    /// Old items are dropped once read; a cursor older than what is kept
    /// gets everything kept.
    pub fn feed_since(&self, cursor: usize) -> (&[FeedItem], usize) {
        let start = cursor.saturating_sub(self.feed_base).min(self.feed.len());
        (&self.feed[start..], self.feed_base + self.feed.len())
    }

    /// Forgets feed items before `cursor`.
    pub fn trim_feed(&mut self, cursor: usize) {
        let n = cursor.saturating_sub(self.feed_base).min(self.feed.len());
        self.feed.drain(..n);
        self.feed_base += n;
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

pub fn parse_propagation(s: &str) -> Propagation {
    match s.to_ascii_lowercase().as_str() {
        "orphan" => Propagation::Orphan,
        "foreground" => Propagation::Foreground,
        _ => Propagation::Background,
    }
}

fn decode_value(v: &serde_json::Value) -> Result<Object, String> {
    let api_version = v.get("apiVersion").and_then(|x| x.as_str()).unwrap_or("");
    let kind = v.get("kind").and_then(|x| x.as_str()).unwrap_or("");
    let k = Kind::from_type_meta(api_version, kind).ok_or_else(|| format!("no kind {kind:?} in {api_version:?}"))?;
    Object::from_value(k, v).map(|(o, _)| o).map_err(|e| e.message)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(p.play_until(&mut c, Time(start.0 + 70_000)) == false);
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
