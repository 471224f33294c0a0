//! The page's state machine, without the browser: the kubectl session, the
//! editor buffer, the console, the clock (play, speed, step, scrub back and
//! branch), and what is saved to localStorage. The Yew layer calls these
//! methods and draws the result, so all of it is tested natively.

use crate::engine::api::*;
use crate::engine::cluster::{Cluster, Input, Playback};
use crate::engine::time::{MINUTE, Millis, Time};
use crate::engine::timeline::Timeline;
use crate::kubectl::session::{CmdOutput, DEFAULT_SEED, Running, Session};
use crate::ui::diagnose::{self, Diag};
use serde::{Deserialize, Serialize};

/// How fast simulated time runs while playing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Speed {
    X1,
    X10,
    X100,
}

impl Speed {
    pub fn factor(self) -> i64 {
        match self {
            Speed::X1 => 1,
            Speed::X10 => 10,
            Speed::X100 => 100,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Speed::X1 => "1x",
            Speed::X10 => "10x",
            Speed::X100 => "100x",
        }
    }
}

/// One command in the console and what it printed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConsoleEntry {
    pub command: String,
    pub output: String,
    pub exit_code: i32,
    /// Simulated time when it ran (ms since the session's start).
    pub at: Millis,
    /// What it read on stdin (the manifest of `kubectl apply -f -`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub stdin: String,
    /// It changed the cluster (recorded inputs): a mark on the timeline.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub changed: bool,
}

/// What acting in the past threw away: the recording as it was, so the
/// branch can be undone.
#[derive(Clone, Debug)]
pub struct Discarded {
    /// The whole recording before the branch.
    pub inputs: Vec<Input>,
    /// The console before the branch.
    pub console: Vec<ConsoleEntry>,
    /// Where the branch was made (ms since the start).
    pub at: Millis,
    /// The commands that were later than `at`.
    pub commands: Vec<String>,
}

/// A console command still going on: it waits for the cluster (`kubectl
/// wait`, `rollout status`, `delete`, `drain`, `sleep`), running with the
/// clock as in a terminal, or works through simulated time as fast as the
/// frame budget allows (`cluster advance`, `cluster settle`). Ctrl+C stops it.
pub struct Pending {
    pub line: String,
    pub stdin: String,
    running: Running,
    log_before: usize,
    /// When it started (ms since the session's start).
    at_before: Millis,
    /// Runs with the clock (a wait) rather than as fast as it can.
    pub with_clock: bool,
    /// Whether the clock was playing when it started (a wait makes it run).
    was_playing: bool,
}

impl Pending {
    /// What it printed so far.
    pub fn output(&self) -> &str {
        self.running.output()
    }
}

/// Work (controller syncs, timers fired) a frame may do by default: the
/// page adjusts it to keep frames short whatever the cluster's size.
pub const FRAME_BUDGET: u64 = 400;

/// What a click selected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    pub kind: Kind,
    pub namespace: String,
    pub name: String,
}

/// One row of the event stream.
#[derive(Clone, Debug, PartialEq)]
pub struct EventRow {
    pub type_: String,
    pub reason: String,
    pub object: String,
    pub message: String,
    pub last: Time,
    pub count: i32,
}

/// What localStorage keeps (versioned; unknown versions are refused).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Saved {
    pub version: u32,
    pub seed: u64,
    pub inputs: Vec<Input>,
    pub editor: String,
    pub namespace: String,
    #[serde(default)]
    pub console: Vec<ConsoleEntry>,
    /// A share link's position: milliseconds since the session's start to
    /// show (None: the end; never in a save).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<i64>,
}

pub const SAVE_VERSION: u32 = 1;
/// The most inputs a saved session may hold (a busy hour of clicking is a
/// few hundred; consecutive advances share one entry).
pub const MAX_SAVED_INPUTS: usize = 20_000;
/// The most work restoring a session may take, in the engine's units
/// ([`Cluster::work`]: controller syncs and timers fired). An idle default
/// cluster spends about 5,400 units per simulated hour (lease renewals,
/// status reports, the node monitor), so this replays a week of it, or a
/// busy lesson many times over, in about two seconds natively; anything
/// bigger is refused with a notice rather than freezing the tab.
pub const REPLAY_BUDGET: u64 = 1_000_000;
/// How far Step may jump when nothing happens.
pub const STEP_LIMIT: Millis = 30 * MINUTE;
const STEP_ITERATIONS: usize = 20_000;

/// Changes when an event is recorded or repeated (its count goes up).
fn event_mark(c: &Cluster) -> (usize, i64) {
    let mut n = 0;
    let mut total = 0i64;
    for e in c.api.store.list_t::<Event>() {
        n += 1;
        total += e.count as i64;
    }
    (n, total)
}
/// Console entries kept (older ones scroll away).
const CONSOLE_KEEP: usize = 200;

pub struct Page {
    pub session: Session,
    pub editor: String,
    pub console: Vec<ConsoleEntry>,
    pub playing: bool,
    pub speed: Speed,
    pub selected: Option<Selection>,
    /// When the session started (the clock shows time since then).
    pub start: Time,
    /// Scrubbed into the past: the recorded session and how far it is replayed.
    pub future: Option<(Vec<Input>, Playback)>,
    /// Diagnostics for the editor (lint while typing, or a failed apply).
    pub diags: Vec<Diag>,
    /// The recording the last branch discarded (for undo).
    pub discarded: Option<Discarded>,
    /// A console command still going on.
    pub pending: Option<Pending>,
    /// Work a frame may do ([`FRAME_BUDGET`], tuned by the page).
    pub budget: u64,
    /// The last frame ran out of budget before its time: the engine is
    /// behind the clock (a big cluster), and the page says so.
    pub behind: bool,
    /// Simulated milliseconds owed to the clock (fractions of a frame).
    carry: f64,
    /// Checkpoints of the session: scrubbing replays from the nearest.
    timeline: Timeline,
}

pub const WELCOME: &str = "# Paste Kubernetes YAML here (several documents with ---), then Apply\n# (Ctrl/Cmd+Enter). Examples: the menu above.\n";

impl Page {
    pub fn new() -> Page {
        let session = Session::new(DEFAULT_SEED);
        let start = session.cluster.now();
        let timeline = Timeline::new(&session.cluster);
        let mut p = Page {
            session,
            editor: WELCOME.into(),
            console: vec![],
            playing: true,
            speed: Speed::X1,
            selected: None,
            start,
            future: None,
            diags: vec![],
            discarded: None,
            pending: None,
            budget: FRAME_BUDGET,
            behind: false,
            carry: 0.0,
            timeline,
        };
        p.adopt_settings();
        p
    }

    /// The page's cluster leaves the work of a write for the frames
    /// (`Cluster::set_deferred`): a 10,000-pod scale returns at once and
    /// its pods appear over the next frames, never blocking one. Every
    /// cluster the page takes (a checkpoint's, a replay's) gets it.
    pub fn adopt_settings(&mut self) {
        self.session.cluster.set_deferred(true);
    }

    /// How many checkpoints the timeline keeps, how far apart (ms), and
    /// their estimated bytes.
    pub fn timeline_stats(&self) -> (usize, Millis, usize) {
        let (n, spacing) = self.timeline.stats();
        (n, spacing, self.timeline.bytes())
    }

    pub fn cluster(&self) -> &Cluster {
        &self.session.cluster
    }

    /// Simulated time since the session started.
    pub fn elapsed(&self) -> Millis {
        self.session.cluster.now().0 - self.start.0
    }

    /// The end of the recorded session (the present, or the head of the
    /// recording while scrubbed back).
    pub fn head(&self) -> Millis {
        match &self.future {
            Some((inputs, _)) => Playback::end_time(inputs, self.start).0 - self.start.0,
            None => self.elapsed(),
        }
    }

    /// Acting in the past branches: the recorded future is dropped, with
    /// the console entries that belonged to it; what was dropped is kept
    /// in `discarded` so the branch can be undone.
    fn branch(&mut self, at: Millis) {
        let Some((inputs, _)) = self.future.take() else { return };
        // checkpoints after the branch belong to the dropped future
        self.timeline.truncate(Time(self.start.0 + at));
        let later: Vec<String> = self.console.iter().filter(|e| e.at > at).map(|e| e.command.clone()).collect();
        self.discarded = Some(Discarded { inputs, console: self.console.clone(), at, commands: later });
        self.console.retain(|e| e.at <= at);
    }

    /// Puts back the recording the last branch discarded, positioned where
    /// the branch was made (the branch's own commands are dropped).
    pub fn undo_branch(&mut self) -> bool {
        let Some(d) = self.discarded.take() else { return false };
        // the branch's own checkpoints go (those at its very instant too:
        // they were taken after its input); those before it serve the recording
        self.timeline.truncate(Time(self.start.0 + d.at - 1));
        let (c, pb) = self.timeline.replay_until(&d.inputs, Time(self.start.0 + d.at));
        self.session.cluster = c;
        self.adopt_settings();
        self.future = if pb.done() { None } else { Some((d.inputs, pb)) };
        self.console = d.console;
        self.playing = false;
        true
    }

    /// Runs a console line (kubectl, cluster, sleep) to its end and records it.
    pub fn run(&mut self, line: &str, stdin: &str) -> CmdOutput {
        let line = line.trim();
        if line.is_empty() {
            return CmdOutput::default();
        }
        if line == "clear" {
            self.console.clear();
            return CmdOutput::default();
        }
        if let Some(p) = self.pending.take() {
            // Anything else waits for the command under way, as in a terminal.
            let mut running = p.running;
            let out = loop {
                if let Some(out) = running.poll(&mut self.session, Time(Millis::MAX), u64::MAX) {
                    break out;
                }
            };
            self.record(&p.line, &p.stdin, &out, p.log_before, p.at_before);
        }
        let log_before = self.session.cluster.log().len();
        let at_before = self.elapsed();
        let out = self.session.run(line, stdin);
        self.record(line, stdin, &out, log_before, at_before);
        out
    }

    /// Starts a console line as the page runs it: a command that is done at
    /// once returns its output; one that waits goes on in [`Page::frame`]
    /// (with the clock, or as fast as the frame budget allows for `cluster
    /// advance|settle`) and can be stopped with [`Page::interrupt`].
    pub fn start(&mut self, line: &str, stdin: &str) -> Option<CmdOutput> {
        let line = line.trim();
        if line.is_empty() || line == "clear" || self.pending.is_some() {
            return Some(self.run(line, stdin));
        }
        let log_before = self.session.cluster.log().len();
        let at_before = self.elapsed();
        let mut running = self.session.begin(line, stdin);
        let now = self.session.cluster.now();
        if let Some(out) = running.poll(&mut self.session, now, self.budget) {
            self.record(line, stdin, &out, log_before, at_before);
            return Some(out);
        }
        // It waits. Waiting in the past means time passes on a new branch.
        if self.future.is_some() {
            self.branch(at_before);
        }
        let with_clock = !running.ran().is_fast_forward();
        let was_playing = self.playing;
        if with_clock {
            self.playing = true;
        }
        self.pending = Some(Pending { line: line.to_string(), stdin: stdin.to_string(), running, log_before, at_before, with_clock, was_playing });
        None
    }

    /// Ctrl+C: the command under way stops (`^C`, status 130).
    pub fn interrupt(&mut self) -> Option<CmdOutput> {
        let p = self.pending.take()?;
        let out = p.running.interrupt(&mut self.session);
        self.record(&p.line, &p.stdin, &out, p.log_before, p.at_before);
        self.playing = p.was_playing;
        Some(out)
    }

    /// What a finished command leaves: the branch it made, its console entry.
    fn record(&mut self, line: &str, stdin: &str, out: &CmdOutput, log_before: usize, at_before: Millis) {
        let changed = self.session.cluster.log().len() != log_before;
        let reset = out.was_reset();
        if changed || reset {
            self.branch(at_before);
        }
        if reset {
            self.start = self.session.cluster.now();
            self.discarded = None;
            self.adopt_settings();
            self.timeline = Timeline::new(&self.session.cluster);
        }
        if self.future.is_none() {
            self.timeline.record(&self.session.cluster);
        }
        self.console.push(ConsoleEntry {
            command: line.to_string(),
            output: out.output.clone(),
            exit_code: out.exit_code,
            at: self.elapsed(),
            stdin: stdin.to_string(),
            changed,
        });
        if self.console.len() > CONSOLE_KEEP {
            let drop = self.console.len() - CONSOLE_KEEP;
            self.console.drain(..drop);
        }
    }

    /// Apply on the whole editor buffer; places the errors of a failed apply.
    pub fn apply(&mut self) -> CmdOutput {
        let text = self.editor.clone();
        let out = self.run("kubectl apply -f -", &text);
        let store = &self.session.cluster.api.store;
        self.diags = if out.exit_code == 0 { diagnose::lint(&text, store) } else { diagnose::after_apply(&text, store, &out) };
        out
    }

    pub fn set_editor(&mut self, text: String) {
        self.diags = diagnose::lint(&text, &self.session.cluster.api.store);
        self.editor = text;
    }

    /// Moves the clock by `wall_ms` of real time at the chosen speed.
    /// While scrubbed back, plays the recording forward first.
    pub fn tick(&mut self, wall_ms: f64) {
        if !self.playing {
            return;
        }
        self.carry += wall_ms * self.speed.factor() as f64;
        let ms = self.carry.floor() as Millis;
        if ms <= 0 {
            return;
        }
        self.carry -= ms as f64;
        if self.future.is_some() {
            self.advance(ms);
            return;
        }
        // At most a frame's budget of work: when the cluster is too big for
        // the clock, simulated time runs slower instead of the tab freezing.
        // Time passes in steps that end where checkpoints are due.
        let target = Time(self.session.cluster.now().0 + ms);
        let mut left = self.budget;
        self.behind = loop {
            let now = self.session.cluster.now();
            if now >= target {
                break false;
            }
            if left == 0 {
                break true;
            }
            let stop = self.timeline.next_due().min(target).max(now);
            let p = self.session.cluster.advance_for(stop.0 - now.0, left);
            left = left.saturating_sub(p.work);
            self.timeline.record(&self.session.cluster);
            if !p.done {
                break true;
            }
        };
    }

    /// One frame of the page: a command under way goes on (with the clock,
    /// or as fast as the budget allows), work left by the last write is
    /// done even while paused (so it is drawn at once), and a playing clock
    /// moves. Returns the output of a command that finished in this frame.
    pub fn frame(&mut self, wall_ms: f64) -> Option<CmdOutput> {
        if let Some(p) = &mut self.pending {
            let now = self.session.cluster.now();
            let until = if p.with_clock {
                if !self.playing {
                    return None;
                }
                self.carry += wall_ms * self.speed.factor() as f64;
                let ms = self.carry.floor() as Millis;
                self.carry -= ms as f64;
                Time(now.0 + ms.max(0))
            } else {
                Time(Millis::MAX)
            };
            let polled = p.running.poll(&mut self.session, until, self.budget);
            // A waiting command runs at the head (it branched): a checkpoint
            // when one is due (a stretch it crossed within one frame is
            // filled in when scrubbed).
            if self.future.is_none() {
                self.timeline.record(&self.session.cluster);
            }
            let out = polled?;
            let p = self.pending.take()?;
            self.record(&p.line, &p.stdin, &out, p.log_before, p.at_before);
            if p.with_clock {
                self.playing = p.was_playing;
            }
            return Some(out);
        }
        if self.catch_up() {
            self.tick(wall_ms);
        }
        None
    }

    /// Does a frame's share of the work a write left for the current
    /// instant (no time passes: a stopped clock or an open question does
    /// not hold back what a command did); whether it is all done.
    pub fn catch_up(&mut self) -> bool {
        if self.session.cluster.has_pending_work() {
            let (done, _) = self.session.cluster.finish_pending_for(self.budget);
            self.behind = !done;
            return done;
        }
        true
    }

    /// Lets `ms` of simulated time pass (replaying the recording when behind it).
    pub fn advance(&mut self, ms: Millis) {
        let target = Time(self.session.cluster.now().0 + ms);
        if let Some((_, pb)) = &mut self.future {
            let done = pb.play_until(&mut self.session.cluster, target);
            if !done {
                return;
            }
            self.future = None;
        }
        // at the head: time passes in steps that end where checkpoints are due
        while self.session.cluster.now() < target {
            let stop = self.timeline.next_due().min(target);
            self.session.cluster.advance(stop.0 - self.session.cluster.now().0);
            self.timeline.record(&self.session.cluster);
        }
    }

    /// Jumps to the next moment something visible happens: the map
    /// changes (a pod, node, claim or volume changes state, data appears)
    /// or an event is recorded. Heartbeats and leases are not "something":
    /// a five-minute eviction wait is one step. Bounded by [`STEP_LIMIT`];
    /// returns how far the clock moved and whether anything happened.
    pub fn step(&mut self) -> (Millis, bool) {
        let start = self.session.cluster.now();
        let look = |c: &Cluster| (crate::ui::model::MapModel::from_cluster(c), event_mark(c));
        let before = look(&self.session.cluster);
        for _ in 0..STEP_ITERATIONS {
            let c = &self.session.cluster;
            let now = c.now().0;
            if now - start.0 >= STEP_LIMIT {
                break;
            }
            let next_input = self.future.as_ref().map(|(_, pb)| pb.next_input_at(c.now()));
            if self.future.is_none() && !c.busy() {
                break;
            }
            let next_timer = c.next_timer().map(|t| t.0);
            let target = [next_timer, next_input.map(|t| t.0)].into_iter().flatten().min().unwrap_or(now + STEP_LIMIT).clamp(now, start.0 + STEP_LIMIT);
            if target == now {
                self.session.cluster.step(0);
                if let Some((_, pb)) = &mut self.future
                    && pb.play_until(&mut self.session.cluster, Time(now))
                {
                    self.future = None;
                }
            } else {
                self.advance(target - now);
            }
            if look(&self.session.cluster) != before {
                return (self.session.cluster.now().0 - start.0, true);
            }
        }
        (self.session.cluster.now().0 - start.0, false)
    }

    /// Runs until nothing is pending (instant settle).
    pub fn settle(&mut self) -> Millis {
        if let Some((inputs, _)) = self.future.take() {
            // Finish the recording first.
            let end = Playback::end_time(&inputs, self.start);
            let (c, _) = self.timeline.replay_until(&inputs, end);
            self.session.cluster = c;
            self.adopt_settings();
        }
        let d = self.session.cluster.settle().0;
        self.timeline.record(&self.session.cluster);
        d
    }

    /// Goes back (or forward within the recording) to `at` ms after the start.
    pub fn scrub(&mut self, at: Millis) {
        let inputs = match &self.future {
            Some((i, _)) => i.clone(),
            None => self.session.cluster.log().to_vec(),
        };
        let head = Playback::end_time(&inputs, self.start).0 - self.start.0;
        let at = at.clamp(0, head);
        let (c, pb) = self.timeline.replay_until(&inputs, Time(self.start.0 + at));
        self.session.cluster = c;
        self.adopt_settings();
        self.future = if pb.done() { None } else { Some((inputs, pb)) };
        self.playing = false;
    }

    /// Back to a fresh default cluster (the page asks first).
    pub fn reset(&mut self) {
        self.session.reset();
        self.adopt_settings();
        self.start = self.session.cluster.now();
        self.timeline = Timeline::new(&self.session.cluster);
        self.future = None;
        self.console.clear();
        self.selected = None;
    }

    // -------------------------------------------------------- persistence

    pub fn save(&self) -> Saved {
        let inputs = match &self.future {
            Some((i, _)) => i.clone(),
            None => self.session.cluster.log().to_vec(),
        };
        Saved {
            version: SAVE_VERSION,
            seed: self.session.cluster.seed(),
            inputs,
            editor: self.editor.clone(),
            namespace: self.session.namespace.clone(),
            // Outputs are kept short (stdin stays: Export writes the manifests from it).
            console: self.console.iter().rev().take(50).rev().map(|e| ConsoleEntry { output: clip_output(&e.output), ..e.clone() }).collect(),
            at: None,
        }
    }

    pub fn save_json(&self) -> String {
        serde_json::to_string(&self.save()).unwrap_or_default()
    }

    /// Restores a saved session by replaying its inputs. A save or a share
    /// link is untrusted: its inputs are checked before anything runs and
    /// the replay is bounded ([`REPLAY_BUDGET`]); whatever the engine
    /// refuses comes back as an error for the page to show (with the
    /// session kept aside), never a panic.
    pub fn restore(s: Saved) -> Result<Page, String> {
        if s.version != SAVE_VERSION {
            return Err(format!("saved session has version {}, this page reads version {SAVE_VERSION}", s.version));
        }
        if s.inputs.len() > MAX_SAVED_INPUTS {
            return Err(format!("the saved session has {} inputs; this page replays at most {MAX_SAVED_INPUTS}", s.inputs.len()));
        }
        if !crate::engine::apiserver::validation::is_dns1123_label(&s.namespace) {
            return Err(format!("the saved session's namespace {:?} is not a namespace name", s.namespace));
        }
        let cluster = Cluster::replay_bounded(s.seed, &s.inputs, REPLAY_BUDGET).map_err(|e| format!("The saved session could not be restored: {e}."))?;
        let mut p = Page::new();
        p.session = Session::new(s.seed);
        p.start = p.session.cluster.now();
        // a checkpoint at the start and one at the head; those between
        // fill in as the restored session is scrubbed
        p.timeline = Timeline::new(&p.session.cluster);
        p.session.cluster = cluster;
        p.adopt_settings();
        p.timeline.record(&p.session.cluster);
        p.session.namespace = s.namespace;
        p.set_editor(s.editor);
        let keep = s.console.len().saturating_sub(CONSOLE_KEEP);
        p.console = s.console.into_iter().skip(keep).collect();
        Ok(p)
    }

    pub fn restore_json(text: &str) -> Result<Page, String> {
        let s: Saved = serde_json::from_str(text).map_err(|e| format!("saved session is unreadable: {e}"))?;
        Page::restore(s)
    }

    // -------------------------------------------------------- views

    /// Every event, newest first.
    pub fn events(&self, limit: usize) -> Vec<EventRow> {
        let mut v: Vec<EventRow> = self
            .session
            .cluster
            .api
            .store
            .list_t::<Event>()
            .map(|e| EventRow {
                type_: e.type_.clone(),
                reason: e.reason.clone(),
                object: format!("{}/{}", e.involved_object.kind.to_ascii_lowercase(), e.involved_object.name),
                message: e.message.clone(),
                last: e.last_timestamp.or(e.first_timestamp).unwrap_or(Time(0)),
                count: e.count,
            })
            .collect();
        crate::engine::sort::sort_by(&mut v, |a, b| b.last.cmp(&a.last));
        v.truncate(limit);
        v
    }

    /// What kubectl prints for a read-only command (tables, describe, YAML).
    pub fn peek(&mut self, line: &str) -> String {
        let before = self.session.cluster.log().len();
        let out = self.session.run(line, "");
        debug_assert_eq!(before, self.session.cluster.log().len(), "{line} changed the cluster");
        out.output
    }

    /// Console tab completion: the candidates for the last word.
    pub fn complete(&self, line: &str) -> Vec<String> {
        complete(&self.session.cluster, &self.session.namespace, line)
    }
}

/// A saved console output: at most 4 KiB (the head, then a note).
fn clip_output(s: &str) -> String {
    const MAX: usize = 4096;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}\n[… {} more bytes not saved]\n", &s[..end], s.len() - end)
}

impl Default for Page {
    fn default() -> Self {
        Page::new()
    }
}

/// The commands behind "Write data" and "Read data" on a pod: a psql
/// insert/count for postgres, a line appended to a file on the pod's first
/// claim-backed (else first) volume mount for anything else.
pub fn data_commands(c: &Cluster, ns: &str, pod: &str, stamp: &str) -> Option<(String, String)> {
    let p = c.api.get_t::<Pod>(ns, pod)?;
    let ctr = p.spec.containers.first()?;
    let nsflag = if ns == "default" { String::new() } else { format!(" -n {ns}") };
    let cflag = if p.spec.containers.len() > 1 { format!(" -c {}", ctr.name) } else { String::new() };
    if ctr.image.starts_with("postgres") {
        let user = ctr.env.iter().find(|e| e.name == "POSTGRES_USER").and_then(|e| e.value.clone()).unwrap_or_else(|| "postgres".into());
        let write = format!(
            "kubectl exec{nsflag} {pod}{cflag} -- psql -U {user} -c \"CREATE TABLE IF NOT EXISTS notes (id serial PRIMARY KEY, note text); INSERT INTO notes (note) VALUES ('written at {stamp}');\""
        );
        let read = format!("kubectl exec{nsflag} {pod}{cflag} -- psql -U {user} -c \"SELECT count(*) FROM notes;\"");
        return Some((write, read));
    }
    let claim_vols: Vec<&str> = p.spec.volumes.iter().filter(|v| v.persistent_volume_claim.is_some()).map(|v| v.name.as_str()).collect();
    let mount = ctr
        .volume_mounts
        .iter()
        .find(|m| claim_vols.contains(&m.name.as_str()))
        .or_else(|| ctr.volume_mounts.iter().find(|m| !m.mount_path.starts_with("/var/run/secrets")));
    let dir = mount.map(|m| m.mount_path.trim_end_matches('/').to_string()).unwrap_or_else(|| "/tmp".into());
    let file = format!("{dir}/notes.txt");
    Some((
        format!("kubectl exec{nsflag} {pod}{cflag} -- sh -c \"echo 'written at {stamp}' >> {file}\""),
        format!("kubectl exec{nsflag} {pod}{cflag} -- cat {file}"),
    ))
}

const VERBS: &[&str] = &[
    "get",
    "describe",
    "apply",
    "create",
    "delete",
    "scale",
    "rollout",
    "set",
    "exec",
    "logs",
    "label",
    "annotate",
    "patch",
    "cordon",
    "uncordon",
    "drain",
    "taint",
    "wait",
    "explain",
    "edit",
    "api-resources",
    "version",
    "config",
];
const CLUSTER_VERBS: &[&str] = &["node", "driver", "advance", "settle", "reset", "feature-gate", "help"];
const TYPES: &[&str] = &[
    "pods",
    "deployments",
    "statefulsets",
    "replicasets",
    "persistentvolumeclaims",
    "persistentvolumes",
    "storageclasses",
    "nodes",
    "services",
    "events",
    "configmaps",
    "secrets",
    "namespaces",
    "volumeattachments",
    "controllerrevisions",
    "endpoints",
    "poddisruptionbudgets",
    "resourcequotas",
    "all",
];

/// Candidates for the word being typed (the last one), given the words before it.
pub fn complete(c: &Cluster, ns: &str, line: &str) -> Vec<String> {
    let ends_with_space = line.ends_with(' ');
    let mut words: Vec<&str> = line.split_whitespace().collect();
    let current = if ends_with_space { "" } else { words.pop().unwrap_or("") };
    let names_of = |kind: Kind| -> Vec<String> {
        c.api.store.list(kind).filter(|o| !kind.namespaced() || o.meta().namespace == ns).map(|o| o.meta().name.clone()).collect()
    };
    let pool: Vec<String> = match words.as_slice() {
        [] => ["kubectl", "cluster", "sleep", "clear"].iter().map(|s| s.to_string()).collect(),
        ["kubectl" | "k"] => VERBS.iter().map(|s| s.to_string()).collect(),
        ["cluster"] => CLUSTER_VERBS.iter().map(|s| s.to_string()).collect(),
        ["cluster", "node"] => ["stop", "start", "add"].iter().map(|s| s.to_string()).collect(),
        ["cluster", "node", "stop" | "start"] => names_of(Kind::Node),
        ["cluster", "driver"] => ["install", "uninstall"].iter().map(|s| s.to_string()).collect(),
        ["cluster", "driver", _] => crate::engine::bootstrap::DEFAULT_DRIVERS.iter().map(|s| s.to_string()).collect(),
        ["kubectl" | "k", "rollout"] => ["status", "history", "undo", "pause", "resume", "restart"].iter().map(|s| s.to_string()).collect(),
        ["kubectl" | "k", "cordon" | "uncordon" | "drain" | "taint"] => names_of(Kind::Node),
        ["kubectl" | "k", "exec" | "logs"] => names_of(Kind::Pod),
        ["kubectl" | "k", "scale", ..] | ["kubectl" | "k", "rollout", _, ..] if !current.contains('/') => ["deployment", "statefulset", "replicaset"]
            .iter()
            .map(|s| s.to_string())
            .chain(names_typed(c, ns, &[Kind::Deployment, Kind::StatefulSet]))
            .collect(),
        ["kubectl" | "k", "get" | "describe" | "delete" | "label" | "annotate" | "patch" | "edit" | "wait" | "explain"] => {
            TYPES.iter().map(|s| s.to_string()).collect()
        }
        ["kubectl" | "k", "get" | "describe" | "delete" | "label" | "annotate" | "patch" | "edit" | "wait", ty, ..] if !ty.starts_with('-') => {
            match Kind::lookup(ty) {
                Some(k) => names_of(k),
                None => vec![],
            }
        }
        _ => vec![],
    };
    // `type/name` completion anywhere a resource is expected.
    let mut pool = pool;
    if let Some((ty, _)) = current.split_once('/')
        && let Some(k) = Kind::lookup(ty)
    {
        pool = names_of(k).into_iter().map(|n| format!("{ty}/{n}")).collect();
    }
    let mut out: Vec<String> = pool.into_iter().filter(|w| w.starts_with(current)).collect();
    crate::engine::sort::sort(&mut out);
    out.dedup();
    out
}

fn names_typed(c: &Cluster, ns: &str, kinds: &[Kind]) -> Vec<String> {
    let mut v = vec![];
    for k in kinds {
        for o in c.api.store.list(*k).filter(|o| o.meta().namespace == ns) {
            v.push(format!("{}/{}", k.info().singular, o.meta().name));
        }
    }
    v
}

/// The longest common prefix of the candidates (what Tab inserts).
pub fn common_prefix(cands: &[String]) -> String {
    let Some(first) = cands.first() else { return String::new() };
    let mut end = first.len();
    for c in &cands[1..] {
        end = end.min(first.bytes().zip(c.bytes()).take_while(|(a, b)| a == b).count());
    }
    first[..end].to_string()
}

/// `1m05s` for the clock.
pub fn clock(ms: Millis) -> String {
    let s = ms / 1000;
    if s < 60 {
        format!("{s}.{}s", (ms % 1000) / 100)
    } else if s < 3600 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{}h{:02}m{:02}s", s / 3600, (s / 60) % 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: nginx\n        image: nginx:1.25\n";

    #[test]
    fn apply_then_play_brings_pods_up() {
        let mut p = Page::new();
        p.set_editor(DEPLOY.into());
        assert!(p.diags.is_empty());
        let out = p.apply();
        assert_eq!(out.output, "deployment.apps/web created\n");
        assert_eq!(p.console.last().unwrap().command, "kubectl apply -f -");
        for _ in 0..600 {
            p.tick(100.0);
        }
        let ready = p.cluster().api.store.list_t::<Pod>().filter(|x| is_condition_true(&x.status.conditions, &ConditionType::Ready)).count();
        assert_eq!(ready, 2);
        assert_eq!(p.elapsed(), 60_000);
    }

    #[test]
    fn a_failed_apply_marks_the_line_and_changes_nothing() {
        let mut p = Page::new();
        p.set_editor(DEPLOY.replace("replicas: 2", "replica: 2"));
        assert_eq!(p.diags.len(), 1, "unknown field warning while typing");
        assert_eq!(p.diags[0].line, 6);
        let out = p.apply();
        assert_ne!(out.exit_code, 0);
        assert!(out.output.contains("unknown field \"spec.replica\""), "{}", out.output);
        assert!(!p.diags.is_empty());
        assert!(p.cluster().api.store.list_t::<Deployment>().next().is_none());
    }

    #[test]
    fn scrub_back_then_resume_reaches_the_same_state_and_acting_branches() {
        let mut p = Page::new();
        p.set_editor(DEPLOY.into());
        p.apply();
        p.advance(30_000);
        p.run("kubectl scale deployment web --replicas=3", "");
        p.advance(30_000);
        let head_rv = p.cluster().api.store.resource_version();
        assert_eq!(p.head(), 60_000);
        p.scrub(10_000);
        assert_eq!(p.elapsed(), 10_000);
        assert_eq!(p.head(), 60_000, "the recording is kept while looking back");
        assert_eq!(p.cluster().get::<Deployment>("default", "web").unwrap().spec.replicas, Some(2));
        p.playing = true;
        p.speed = Speed::X100;
        for _ in 0..10 {
            p.tick(100.0);
        }
        assert!(p.future.is_none());
        assert_eq!(p.elapsed(), 110_000);
        p.scrub(60_000);
        assert_eq!(p.cluster().api.store.resource_version(), head_rv, "replay is exact");
        p.scrub(20_000);
        p.run("kubectl scale deployment web --replicas=1", "");
        assert!(p.future.is_none(), "acting in the past branches");
        assert_eq!(p.head(), 20_000);
    }

    /// Frames at the head take checkpoints within their work budget, and
    /// every cluster the page takes from one leaves a write's work to the
    /// frames as the live one does; the scrubbed cluster is the live one.
    #[test]
    fn frames_take_checkpoints_and_clusters_from_them_are_deferred() {
        let mut p = Page::new();
        p.set_editor(DEPLOY.into());
        assert_eq!(p.start("kubectl apply -f -", DEPLOY).map(|o| o.exit_code), Some(0));
        assert!(p.cluster().has_pending_work(), "the write's work is left for the frames");
        p.speed = Speed::X10;
        for _ in 0..600 {
            p.frame(16.0);
        }
        let at = p.elapsed();
        assert!(at > 90_000, "{at}");
        let (n, spacing, _) = p.timeline_stats();
        assert!(n as Millis >= at / spacing, "{n} checkpoints {spacing} ms apart over {at} ms");
        let live = p.cluster().api.store.resource_version();
        p.scrub(at / 2);
        assert!(p.cluster().is_deferred());
        p.scrub(at);
        assert!(p.cluster().is_deferred());
        assert_eq!(p.cluster().api.store.resource_version(), live, "replay from a checkpoint is exact");
        p.settle();
        assert!(p.cluster().is_deferred());
        let q = Page::restore(p.save()).unwrap();
        assert!(q.cluster().is_deferred());
        assert_eq!(q.timeline_stats().0, 2, "the start and the head");
    }

    #[test]
    fn save_and_restore_round_trip() {
        let mut p = Page::new();
        p.set_editor(DEPLOY.into());
        p.apply();
        p.advance(45_000);
        p.run("cluster node stop node-a", "");
        p.advance(20_000);
        let json = p.save_json();
        let q = Page::restore_json(&json).unwrap();
        assert_eq!(q.editor, DEPLOY);
        assert_eq!(q.elapsed(), p.elapsed());
        assert_eq!(q.cluster().api.store.resource_version(), p.cluster().api.store.resource_version());
        assert_eq!(q.console.len(), 2);
        assert!(Page::restore_json("{\"version\":99}").is_err());
        assert!(Page::restore_json("not json").is_err());
    }

    /// A save whose inputs the engine refuses, or that asks for more work
    /// than a tab can do, is an error the page shows; never a panic.
    #[test]
    fn hostile_saves_are_refused_with_a_reason() {
        let mut saved = Page::new().save();
        let restore = |s: &Saved| Page::restore(s.clone()).err().unwrap_or_default();
        saved.inputs = vec![Input::Cluster { verb: crate::engine::cluster::ClusterVerb::NodeAdd { node: "n".repeat(64), zone: "zone-a".into() } }];
        assert!(restore(&saved).contains("must be no more than 63 characters"), "{}", restore(&saved));
        saved.inputs = vec![Input::Advance { ms: 1 << 53 }];
        assert!(restore(&saved).contains("time may move by 0 to 604800000 ms at once"), "{}", restore(&saved));
        saved.inputs = vec![Input::Advance { ms: crate::engine::time::MAX_ADVANCE }; 200];
        assert!(restore(&saved).contains("the most a replay may take"), "{}", restore(&saved));
        saved.inputs = vec![];
        saved.namespace = "../x".into();
        assert!(restore(&saved).contains("is not a namespace name"));
    }

    #[test]
    fn tab_completes_verbs_types_and_names() {
        let mut p = Page::new();
        p.set_editor(DEPLOY.into());
        p.apply();
        p.advance(10_000);
        assert_eq!(p.complete("kub"), ["kubectl"]);
        assert!(p.complete("kubectl sc").contains(&"scale".to_string()));
        assert_eq!(p.complete("kubectl get statef"), ["statefulsets"]);
        assert_eq!(p.complete("kubectl describe deployment w"), ["web"]);
        assert_eq!(p.complete("kubectl get deploy/"), ["deploy/web"]);
        assert_eq!(p.complete("cluster node stop node-"), ["node-a", "node-b", "node-c"]);
        assert_eq!(p.complete("kubectl scale deployment/"), ["deployment/web"]);
        assert_eq!(common_prefix(&p.complete("cluster node stop node-")), "node-");
    }

    #[test]
    fn write_and_read_data_on_a_postgres_pod_and_an_nginx_pod() {
        let mut p = Page::new();
        let pg = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: db\nspec:\n  containers:\n  - name: pg\n    image: postgres:16\n    env:\n    - name: POSTGRES_PASSWORD\n      value: pw\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: www\nspec:\n  containers:\n  - name: nginx\n    image: nginx:1.25\n";
        p.set_editor(pg.into());
        p.apply();
        p.settle();
        for (pod, expect) in [("db", " count \n-------\n     2\n(1 row)\n\n"), ("www", "written at 1s\nwritten at 1s\n")] {
            let (w, r) = data_commands(p.cluster(), "default", pod, "1s").unwrap();
            for _ in 0..2 {
                let out = p.run(&w, "");
                assert_eq!(out.exit_code, 0, "{w}: {}", out.output);
            }
            let out = p.run(&r, "");
            assert_eq!(out.output, expect, "{r}");
        }
    }

    #[test]
    fn clock_reads_like_a_duration() {
        assert_eq!(clock(1_500), "1.5s");
        assert_eq!(clock(65_000), "1m05s");
        assert_eq!(clock(3_723_000), "1h02m03s");
    }
}
