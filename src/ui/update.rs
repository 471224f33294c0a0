//! The page's one update loop, without the browser: every user action is a
//! [`Msg`], [`Ui::update`] is the only place state changes, and what the
//! browser must do afterwards (focus, scroll, save, copy, set the editor's
//! text) comes back as [`Effect`]s. The Yew component in `app.rs` only turns
//! DOM events into messages, draws [`Ui`], and carries out the effects after
//! the DOM is updated. So all of the page's behaviour is tested natively.
//!
//! Architecture invariants:
//! - The map is rebuilt after every command, paused or not: whatever a
//!   command changed (an API object, a powered-off machine, bytes written)
//!   is drawn at once. Between commands it is rebuilt when the store or the
//!   world changed.
//! - While a lesson's question is open, simulated time does not move.
//! - Each inspector action has its own input (nothing is shared between
//!   forms), and destructive actions never receive focus by themselves.

use crate::engine::api::*;
use crate::engine::time::Millis;
use crate::ui::lessons::{self, Lesson};
use crate::ui::model::{Layout, MapModel};
use crate::ui::state::{ConsoleEntry, Page, Saved, Selection, Speed, clock, common_prefix, data_commands};
use std::rc::Rc;

/// How the page was opened: read from the URL by the full page, from its
/// attributes by a `<kubarium-cluster>` element (`embed.rs`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Mode {
    /// `?embed` and the element: minimal chrome; nothing is saved, the
    /// clock waits to be started.
    pub embed: bool,
    /// `?lesson=<id>`: open that lesson.
    pub lesson: Option<String>,
    /// `#k1.…`: a share link.
    pub share: Option<String>,
    /// Which panes and controls are drawn.
    pub show: Show,
    /// The element's `autoplay`: no Start button, the clock runs at once.
    pub autoplay: bool,
    /// The element: the full page's address, for "Open in Kubarium" (the
    /// session goes along as a share link). `None`: the page's own URL.
    pub open_url: Option<String>,
    /// The logo's address, when not the page's own `favicon.svg` (an
    /// element's page is somewhere else).
    pub logo: Option<String>,
}

/// Which panes and controls are drawn: all of them on the page; what an
/// element's `panes` and `controls` attributes name.
#[derive(Clone, Debug, PartialEq)]
pub struct Show {
    pub map: bool,
    pub side: bool,
    pub console: bool,
    pub timeline: bool,
    pub play: bool,
    pub step: bool,
    pub speed: bool,
    pub settle: bool,
    /// The "Open in Kubarium" link (embedded only).
    pub open: bool,
}

impl Default for Show {
    fn default() -> Show {
        Show { map: true, side: true, console: true, timeline: true, play: true, step: true, speed: true, settle: true, open: true }
    }
}

pub const PANES: &[&str] = &["map", "side", "console", "timeline"];
pub const CONTROLS: &[&str] = &["play", "step", "speed", "settle", "open"];

impl Show {
    /// From space- or comma-separated lists (`None`: all); `"none"` shows
    /// none. Unknown words are reported, the rest is used.
    pub fn parse(panes: Option<&str>, controls: Option<&str>) -> (Show, Vec<String>) {
        let mut show = Show::default();
        let mut bad = vec![];
        let words = |s: &str| s.split([' ', ',']).map(str::trim).filter(|w| !w.is_empty() && *w != "none").map(str::to_ascii_lowercase).collect::<Vec<_>>();
        if let Some(p) = panes {
            let w = words(p);
            show.map = w.iter().any(|x| x == "map");
            show.side = w.iter().any(|x| x == "side");
            show.console = w.iter().any(|x| x == "console");
            show.timeline = w.iter().any(|x| x == "timeline");
            bad.extend(w.into_iter().filter(|x| !PANES.contains(&x.as_str())).map(|x| format!("panes: {x:?} is not one of {}", PANES.join(", "))));
        }
        if let Some(c) = controls {
            let w = words(c);
            show.play = w.iter().any(|x| x == "play");
            show.step = w.iter().any(|x| x == "step");
            show.speed = w.iter().any(|x| x == "speed");
            show.settle = w.iter().any(|x| x == "settle");
            show.open = w.iter().any(|x| x == "open");
            bad.extend(w.into_iter().filter(|x| !CONTROLS.contains(&x.as_str())).map(|x| format!("controls: {x:?} is not one of {}", CONTROLS.join(", "))));
        }
        (show, bad)
    }

    /// Whether the top bar has anything to show.
    pub fn any_control(&self) -> bool {
        self.play || self.step || self.speed || self.settle || self.open
    }
}

impl Mode {
    /// From `location.search` (`?embed&lesson=x`) and `location.hash` (`#k1.…`).
    pub fn parse(search: &str, hash: &str) -> Mode {
        let mut m = Mode::default();
        for pair in search.trim_start_matches('?').split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            match k {
                "embed" => m.embed = true,
                "lesson" if !v.is_empty() => m.lesson = Some(percent_decode(v)),
                _ => {}
            }
        }
        m.share = hash.strip_prefix('#').filter(|h| !h.is_empty()).map(|h| h.to_string());
        m
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SideTab {
    /// The first screen: lessons and examples.
    Start,
    Inspect,
    Resources,
    Events,
    Lessons,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InspectTab {
    Why,
    Describe,
    Yaml,
}

/// The inspector's actions that take a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Form {
    Scale,
    SetImage,
    Expand,
}

/// One form's own input.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Forms {
    pub scale: String,
    pub image: String,
    pub expand: String,
}

impl Forms {
    pub fn get(&self, f: Form) -> &str {
        match f {
            Form::Scale => &self.scale,
            Form::SetImage => &self.image,
            Form::Expand => &self.expand,
        }
    }
    fn set(&mut self, f: Form, v: String) {
        match f {
            Form::Scale => self.scale = v,
            Form::SetImage => self.image = v,
            Form::Expand => self.expand = v,
        }
    }
}

/// The console's prompt.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Prompt {
    pub line: String,
    /// Position in the history while browsing it with the arrows.
    pub history: Option<usize>,
    /// Tab completion candidates, when more than one.
    pub candidates: Vec<String>,
    /// Escape was pressed: the next Tab leaves the console.
    pub escaped: bool,
}

/// A key pressed in the console.
#[derive(Clone, Debug, PartialEq)]
pub struct Key {
    pub key: String,
    pub shift: bool,
    pub ctrl: bool,
}

impl Key {
    pub fn new(key: &str) -> Key {
        Key { key: key.into(), shift: false, ctrl: false }
    }
}

/// Whether the console keeps a key for itself (the browser's default is
/// prevented) or lets it do what it does elsewhere. Tab completes only
/// when there is something to complete and Escape was not just pressed;
/// Shift+Tab always leaves: the console is never a keyboard trap. Ctrl+C
/// stops a running command or abandons the line, as in a terminal, and
/// otherwise copies as usual.
pub fn console_keeps(p: &Prompt, k: &Key, busy: bool) -> bool {
    match k.key.as_str() {
        "Enter" | "ArrowUp" | "ArrowDown" => true,
        "Tab" => !k.shift && !p.escaped && !p.line.trim().is_empty(),
        "c" | "C" => k.ctrl && (busy || !p.line.is_empty()),
        _ => false,
    }
}

/// What a lesson's answer turned out to be.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    Right(String),
    Wrong(String),
    /// The cluster left the lesson's script (time ran or the student acted
    /// between steps), so the step's outcome is not the scripted one.
    Diverged(String),
}

/// A lesson being played.
#[derive(Clone, Debug)]
pub struct LessonRun {
    pub id: String,
    /// The next step to run.
    pub step: usize,
    /// The verdict on the step just run (only ever about that step).
    pub verdict: Option<(usize, Verdict)>,
    /// The student's session before the lesson, put back on leaving.
    pub before: Option<Saved>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkerKind {
    /// Objects created or changed (apply, create, scale, patch...).
    Change,
    /// Something deleted.
    Delete,
    /// A machine stopped, started, added; cordon, drain, taint.
    Node,
    /// A Warning event.
    Warning,
    /// A pod killed, a node lost (Normal events that end something).
    Death,
}

/// A mark on the timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct Marker {
    pub at: Millis,
    pub kind: MarkerKind,
    pub label: String,
}

/// Normal events that are worth a mark: something ended.
const DEATH_REASONS: &[&str] = &["Killing", "NodeNotReady", "TaintManagerEviction", "Preempted", "RemovingNode", "Evicted"];
/// Marks kept at most (the oldest warnings go first).
const MARKERS_MAX: usize = 400;

#[derive(Clone, Debug, PartialEq)]
pub enum Dialog {
    Export,
    /// The link and its embed snippet.
    Share(String),
    ConfirmReset,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    pub text: String,
    pub action: Option<NoticeAction>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoticeAction {
    UndoBranch,
    /// Download the session (storage full, or another tab saves).
    DownloadSession,
    /// Become the tab that saves.
    TakeOver,
    /// Download the saved session that could not be restored.
    DownloadDamaged,
}

/// Every user action, and the clock.
#[derive(Clone, Debug, PartialEq)]
pub enum Msg {
    /// A frame of wall-clock time passed (ms).
    Frame(f64),
    TogglePlay,
    Step,
    Settle,
    SetSpeed(Speed),
    /// The timeline is being dragged: show that instant (applied once per frame).
    ScrubPreview(Millis),
    /// Go to that instant now (drag released, marker clicked, keyboard).
    JumpTo(Millis),
    EditorChanged(String),
    Apply,
    /// `<example id>#<manifest index or "all">` into the editor.
    Example(String),
    Select(Selection),
    Side(SideTab),
    Inspect(InspectTab),
    Resource(String),
    /// An action button: run this command line.
    Run(String),
    FormInput(Form, String),
    FormRun(Form),
    PromptInput(String),
    PromptKey(Key),
    LessonStart(String),
    LessonAnswer(usize),
    LessonNext,
    LessonLeave,
    UndoBranch,
    Notice(NoticeAction),
    DismissNotice(usize),
    Open(Dialog),
    CloseDialog,
    Reset,
    /// The embedded page's Start button.
    Start,
    /// The page became the tab that saves, or another tab took over.
    SavingTab(bool),
    /// The embedded view's "Open in Kubarium": the session, in the full page.
    OpenFull,
    /// The element's JavaScript API changed the state directly (`embed.rs`):
    /// redraw, and carry out what it left to do.
    External(Vec<Effect>),
    /// The window's width (px): a phone gets the map as one column of zones.
    Viewport(f64),
    /// The tab is being hidden or closed: save what is not saved yet.
    Flush,
    /// The editor's code arrived (after the first frame).
    EditorLoaded,
    /// It could not be loaded (offline on a first visit, say).
    EditorFailed(String),
    /// An example's transcript arrived (after the first frame): the menus
    /// and lessons that show it are drawn again.
    ExamplesFetched,
}

/// What the browser has to do after an update (after the DOM is updated).
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Save the session now.
    Save,
    /// Put this text into the editor (examples, lessons restoring a session).
    SetEditor(String),
    /// Show these diagnostics in the editor.
    Diagnostics,
    /// Move the keyboard focus to the element with this id.
    Focus(&'static str),
    /// Scroll this element into view (narrow screens: the inspector is below the map).
    ScrollIntoView(&'static str),
    /// Scroll the console to its end.
    ConsoleToEnd,
    /// Copy this text to the clipboard.
    Copy(String),
    /// The focus goes back where it was before the dialog opened.
    RestoreFocus,
    /// Ask for a share link of the current session (the page knows its URL).
    MakeShareLink,
    /// Offer the session as a file.
    DownloadSession,
    /// Offer the damaged save (kept aside) as a file.
    DownloadDamaged,
    /// A command line ran (the user's, a lesson's, or the element's API):
    /// the element tells the page around it (its `command` event).
    Command { line: String, output: String, exit_code: i32 },
    /// Open this session in the full page, at this address (a share link).
    OpenFull(String),
}

/// Element ids the effects name.
pub mod ids {
    pub const INSPECTOR: &str = "inspector-title";
    pub const SIDE: &str = "side-panel";
    pub const PROMPT: &str = "prompt";
    pub const DIALOG: &str = "dialog";
    pub const LESSON: &str = "lesson-step";
}

/// Everything the page shows, and the session under it.
pub struct Ui {
    pub mode: Mode,
    pub page: Page,
    pub map: Rc<MapModel>,
    pub layout: Rc<Layout>,
    /// What the map was last built from.
    map_sig: (u64, i64, usize, usize),
    pub side: SideTab,
    pub inspect: InspectTab,
    pub resource: String,
    pub prompt: Prompt,
    pub forms: Forms,
    pub lesson: Option<LessonRun>,
    pub notices: Vec<Notice>,
    pub dialog: Option<Dialog>,
    pub markers: Vec<Marker>,
    /// Events already turned into marks (uid, count).
    // A sorted Vec: the wasm's only set of this element type.
    seen_events: crate::engine::sort::VecSet<(String, i32)>,
    /// The latest instant the timeline was dragged to, not shown yet.
    pub scrub_pending: Option<Millis>,
    /// The embedded page waits for its Start button.
    pub waiting_to_start: bool,
    /// This tab saves the session (another tab may have taken over).
    pub saving: bool,
    /// Something changed since the last save.
    pub dirty: bool,
    /// For screen readers: what just happened.
    pub announce: String,
    /// The side panel's text (kubectl output), refreshed by `update`.
    pub views: Views,
    /// Zones per row on the map (1 on narrow screens).
    pub columns: usize,
    /// The command under way started while looking at the past.
    past_at_start: bool,
    /// The editor is loaded (it comes after the first frame).
    pub editor_ready: bool,
}

/// kubectl output the side panel shows, computed in `update` (it needs the
/// session mutably) only for the tab on screen, and only when it may differ.
#[derive(Clone, Debug, Default)]
pub struct Views {
    pub inspect: String,
    pub resources: String,
    key: Option<(u64, i64, Option<Selection>, InspectTab, String, SideTab)>,
}

impl Ui {
    pub fn new(mode: Mode, page: Page, first_visit: bool) -> Ui {
        let mut ui = Ui {
            side: SideTab::Inspect,
            inspect: InspectTab::Why,
            resource: "pods".into(),
            prompt: Prompt::default(),
            forms: Forms::default(),
            lesson: None,
            notices: vec![],
            dialog: None,
            markers: vec![],
            seen_events: Default::default(),
            scrub_pending: None,
            waiting_to_start: mode.embed && !mode.autoplay,
            saving: !mode.embed && mode.share.is_none(),
            dirty: false,
            announce: String::new(),
            views: Views::default(),
            columns: usize::MAX,
            past_at_start: false,
            editor_ready: false,
            map: Rc::new(MapModel::from_cluster(page.cluster())),
            layout: Rc::new(Layout::default()),
            map_sig: (0, 0, 0, 0),
            mode,
            page,
        };
        ui.layout = Rc::new(Layout::of(&ui.map));
        ui.map_sig = ui.signature();
        if ui.mode.embed {
            ui.page.playing = ui.mode.autoplay;
        }
        if first_visit && !ui.mode.embed {
            ui.side = SideTab::Start;
        }
        if let Some(id) = ui.mode.lesson.clone() {
            ui.side = SideTab::Lessons;
            if lessons::find(&id).is_some() {
                ui.start_lesson(&id, false);
            } else {
                ui.notices.push(Notice { text: format!("There is no lesson called {id:?}; here are the ones there are."), action: None });
            }
        }
        ui.rebuild_markers();
        ui.refresh_views();
        ui
    }

    /// Recomputes the side panel's kubectl output when what it shows may
    /// have changed (the store, the second on the clock, the selection).
    pub fn refresh_views(&mut self) {
        if self.page.cluster().has_pending_work() || self.busy() {
            return; // kubectl would first finish that work: the frames do it
        }
        let c = self.page.cluster();
        let key = (c.api.store.resource_version(), c.now().0 / 1000, self.page.selected.clone(), self.inspect, self.resource.clone(), self.side);
        if self.views.key.as_ref() == Some(&key) {
            return;
        }
        match self.side {
            SideTab::Inspect => self.views.inspect = self.inspect_body(),
            SideTab::Resources => {
                let cmd = self.resources_command();
                self.views.resources = self.page.peek(&cmd);
            }
            _ => {}
        }
        self.views.key = Some(key);
    }

    /// What the map depends on between commands: the store's
    /// resourceVersion and which machines are powered. (Bytes written to
    /// volumes come from commands, after which the map is always rebuilt;
    /// a program writing on its own also changes its pod's status.)
    fn signature(&self) -> (u64, i64, usize, usize) {
        let c = self.page.cluster();
        let powered = c.world.machines.values().filter(|m| m.powered).count();
        (c.api.store.resource_version(), c.now().0, powered, c.world.volumes.len())
    }

    /// Rebuilds the map when anything it draws may have changed (`force`:
    /// after every command).
    fn refresh_map(&mut self, force: bool) {
        let sig = self.signature();
        let changed = sig.0 != self.map_sig.0 || sig.2 != self.map_sig.2 || sig.3 != self.map_sig.3;
        if force || changed {
            let m = MapModel::from_cluster(self.page.cluster());
            if force || *self.map != m {
                self.layout = Rc::new(Layout::of_columns(&m, self.columns));
                self.map = Rc::new(m);
            }
        }
        self.map_sig = sig;
        if changed || force {
            self.harvest_events();
        }
    }

    // ---------------------------------------------------------- timeline

    /// Marks for commands that changed the cluster, from the console.
    fn command_marker(e: &ConsoleEntry) -> Option<Marker> {
        if !e.changed {
            return None;
        }
        let c = e.command.as_str();
        let kind = if c.starts_with("cluster node") || [" cordon ", " uncordon ", " drain ", " taint "].iter().any(|w| c.contains(w)) {
            MarkerKind::Node
        } else if c.contains(" delete ") {
            MarkerKind::Delete
        } else {
            MarkerKind::Change
        };
        Some(Marker { at: e.at, kind, label: e.command.clone() })
    }

    /// Marks for warnings and deaths the cluster recorded since last time.
    fn harvest_events(&mut self) {
        if self.page.future.is_some() {
            return; // only the present adds marks; the past has them already
        }
        let c = self.page.cluster();
        let start = self.page.start.0;
        let mut fresh = vec![];
        for e in c.api.store.list_t::<Event>() {
            let notable = e.type_ == "Warning" || DEATH_REASONS.contains(&e.reason.as_str());
            if !notable || self.seen_events.contains(&(e.metadata.uid.clone(), e.count)) {
                continue;
            }
            let at = e.last_timestamp.or(e.first_timestamp).map(|t| t.0 - start).unwrap_or(0).max(0);
            let kind = if e.type_ == "Warning" { MarkerKind::Warning } else { MarkerKind::Death };
            let obj = format!("{}/{}", e.involved_object.kind.to_ascii_lowercase(), e.involved_object.name);
            fresh.push((e.metadata.uid.clone(), e.count, Marker { at, kind, label: format!("{} {obj}: {}", e.reason, e.message) }));
        }
        for (uid, count, m) in fresh {
            self.seen_events.insert((uid, count));
            // A repeated event moves its mark rather than adding one.
            if let Some(old) = self.markers.iter_mut().find(|x| x.kind == m.kind && x.label == m.label) {
                old.at = m.at;
            } else {
                self.markers.push(m);
            }
        }
        crate::engine::sort::sort_by_key(&mut self.markers, |m| m.at);
        if self.markers.len() > MARKERS_MAX {
            let extra = self.markers.len() - MARKERS_MAX;
            let mut dropped = 0;
            self.markers.retain(|m| {
                let drop = dropped < extra && m.kind == MarkerKind::Warning;
                if drop {
                    dropped += 1;
                }
                !drop
            });
            self.markers.truncate(MARKERS_MAX);
        }
    }

    /// All marks from scratch: the console's commands and the events the
    /// cluster holds now.
    fn rebuild_markers(&mut self) {
        self.markers = self.page.console.iter().filter_map(Ui::command_marker).collect();
        self.seen_events.clear();
        self.harvest_events();
    }

    /// After a branch: marks later than the branch point are gone.
    fn cut_markers(&mut self, at: Millis) {
        self.markers.retain(|m| m.at <= at);
    }

    // ---------------------------------------------------------- commands

    /// Runs a command line as the user's action: recorded, drawn, saved.
    fn run(&mut self, line: &str, stdin: &str, fx: &mut Vec<Effect>) -> crate::kubectl::session::CmdOutput {
        let was_past = self.page.future.is_some();
        let out = self.page.run(line, stdin);
        self.after_command(line, was_past, &out, fx);
        out
    }

    /// Starts a command the user typed or clicked: done at once, or under
    /// way in the frames (a wait runs with the clock; Ctrl+C stops it).
    fn start(&mut self, line: &str, fx: &mut Vec<Effect>) {
        if self.page.pending.is_some() {
            self.announce = "A command is still running: wait for it, or stop it with Ctrl+C in the console.".into();
            return;
        }
        let was_past = self.page.future.is_some();
        match self.page.start(line, "") {
            Some(out) => self.after_command(line, was_past, &out, fx),
            None => {
                self.past_at_start = was_past;
                self.refresh_map(true);
                fx.push(Effect::ConsoleToEnd);
                self.announce = format!("{} is waiting (Ctrl+C stops it)", line.trim());
            }
        }
    }

    /// Adjusts how much engine work a frame may do from how long the last
    /// frame's update took: the page answers input within a frame or two
    /// whatever the cluster's size, and uses the room when there is some.
    pub fn tune(&mut self, frame_ms: f64) {
        let b = self.page.budget as f64;
        let next = if frame_ms > 40.0 {
            b * 0.7
        } else if frame_ms < 12.0 && self.page.behind {
            b * 1.25
        } else {
            b
        };
        self.page.budget = next.clamp(50.0, 50_000.0) as u64;
    }

    /// Whether a command is under way (the page waits for it).
    pub fn busy(&self) -> bool {
        self.page.pending.is_some()
    }

    /// Runs a command line as the user's action (the element's `run`),
    /// and returns its output along with what the browser has to do.
    pub fn run_line(&mut self, line: &str, stdin: &str) -> (crate::kubectl::session::CmdOutput, Vec<Effect>) {
        let mut fx = vec![];
        let out = self.run(line, stdin, &mut fx);
        self.refresh_views();
        (out, fx)
    }

    /// Lets `ms` of simulated time pass at once (the element's `advance`);
    /// refused while a lesson's question is open.
    pub fn advance(&mut self, ms: Millis) -> Result<Vec<Effect>, String> {
        if self.question_open() {
            return Err("the lesson's question is open: time does not move until it is answered".into());
        }
        self.scrub_pending = None;
        self.page.advance(ms);
        self.refresh_map(true);
        self.dirty = true;
        self.refresh_views();
        Ok(vec![Effect::Save])
    }

    /// Starts or stops the clock (the element's `play` and `pause`); the
    /// Start button counts as pressed.
    pub fn set_playing(&mut self, on: bool) -> Vec<Effect> {
        if on != self.page.playing { self.update(Msg::TogglePlay) } else { vec![] }
    }

    /// Puts another session in place of this one (the element's
    /// `restore`): any lesson is left, the timeline and map redrawn.
    pub fn load_page(&mut self, page: Page) -> Vec<Effect> {
        self.page = page;
        self.lesson = None;
        self.scrub_pending = None;
        self.notices.retain(|n| n.action != Some(NoticeAction::UndoBranch));
        self.rebuild_markers();
        self.refresh_map(true);
        self.refresh_views();
        vec![Effect::SetEditor(self.page.editor.clone()), Effect::Diagnostics, Effect::ConsoleToEnd]
    }

    /// What every command the user ran leaves behind: its mark on the
    /// timeline, the note about a discarded future, the map redrawn, a save.
    fn after_command(&mut self, line: &str, was_past: bool, out: &crate::kubectl::session::CmdOutput, fx: &mut Vec<Effect>) {
        let exit_code = out.exit_code;
        // A command may change what the side panel shows without a new
        // resourceVersion (bytes written into a pod): it is recomputed.
        self.views.key = None;
        if let Some(e) = self.page.console.last().filter(|e| e.command == line.trim())
            && let Some(m) = Ui::command_marker(e)
        {
            self.markers.push(m);
            crate::engine::sort::sort_by_key(&mut self.markers, |m| m.at);
        }
        if was_past
            && self.page.future.is_none()
            && let Some(d) = &self.page.discarded
        {
            let at = d.at;
            let n = d.commands.len();
            self.cut_markers(self.page.elapsed());
            let text = if n == 0 {
                format!("You acted at {}: the recording after that moment was discarded.", clock(at))
            } else {
                format!(
                    "You acted at {}: the {n} later command{} of the recording {} discarded.",
                    clock(at),
                    if n == 1 { "" } else { "s" },
                    if n == 1 { "was" } else { "were" }
                )
            };
            self.notices.retain(|n| n.action != Some(NoticeAction::UndoBranch));
            self.notices.push(Notice { text, action: Some(NoticeAction::UndoBranch) });
        }
        if out.was_reset() {
            self.markers.clear();
            self.seen_events.clear();
        }
        self.refresh_map(true);
        self.dirty = true;
        fx.push(Effect::Save);
        fx.push(Effect::ConsoleToEnd);
        fx.push(Effect::Command { line: line.trim().to_string(), output: out.output.clone(), exit_code });
        self.announce = format!("{} exited {exit_code}", line.trim());
    }

    /// The browser saved the session.
    pub fn saved(&mut self) {
        self.dirty = false;
        self.notices.retain(|n| !(n.action == Some(NoticeAction::DownloadSession) && n.text.starts_with("Saving failed")));
    }

    /// The browser could not save (storage full, private mode): say so
    /// once, keep the work in memory, offer it as a file.
    pub fn save_failed(&mut self, why: &str) {
        if self.notices.iter().any(|n| n.action == Some(NoticeAction::DownloadSession)) {
            return;
        }
        self.notices.push(Notice {
            text: format!("Saving failed ({why}: the browser's storage for this page is full or switched off). Your session is still here, but it will not come back after a reload: download it to keep it."),
            action: Some(NoticeAction::DownloadSession),
        });
    }

    /// The clock may run: no lesson question is waiting for an answer.
    pub fn clock_free(&self) -> bool {
        !self.question_open() && !self.waiting_to_start
    }

    /// The lesson's current step asks a prediction not answered yet.
    pub fn question_open(&self) -> bool {
        let Some(run) = &self.lesson else { return false };
        lessons::asks(&run.id, run.step)
    }

    pub fn current_lesson(&self) -> Option<Lesson> {
        self.lesson.as_ref().and_then(|r| lessons::find(&r.id))
    }

    fn start_lesson(&mut self, id: &str, keep_before: bool) {
        let before = keep_before.then(|| self.page.save());
        self.page.reset();
        self.page.playing = false;
        self.lesson = Some(LessonRun { id: id.to_string(), step: 0, verdict: None, before });
        self.markers.clear();
        self.seen_events.clear();
        self.side = SideTab::Lessons;
        self.refresh_map(true);
    }

    fn lesson_step(&mut self, answer: Option<usize>, fx: &mut Vec<Effect>) {
        let Some(run) = self.lesson.clone() else { return };
        let Some(lesson) = lessons::find(&run.id) else { return };
        let Some(step) = lesson.steps.get(run.step) else { return };
        if step.prediction.is_some() && answer.is_none() {
            return; // the question has to be answered first
        }
        let out = self.run(&step.command.clone(), &step.stdin.clone(), fx);
        let verdict = match (&step.prediction, answer) {
            (Some(q), Some(a)) => {
                let chosen = q.choices.get(a).copied().unwrap_or_default();
                Some(if !out.output.contains(q.evidence) {
                    Verdict::Diverged(format!(
                        "The cluster has moved away from the lesson's script (time ran or something was changed between steps), so the output below is not the scripted outcome: read it to see what happened. You said: {chosen}."
                    ))
                } else if a == q.correct {
                    Verdict::Right(format!("Right: {}", q.choices[q.correct]))
                } else {
                    Verdict::Wrong(format!("Not quite: it is {} (you said {chosen}).", q.choices[q.correct]))
                })
            }
            _ => None,
        };
        if let Some(r) = &mut self.lesson {
            r.verdict = verdict.map(|v| (run.step, v));
            r.step = run.step + 1;
        }
        // The clock never runs on its own during a lesson: the steps move it.
        self.page.playing = false;
        fx.push(Effect::Focus(ids::LESSON));
    }

    // ---------------------------------------------------------- update

    /// The one place the page's state changes.
    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        let fx = self.apply(msg);
        self.refresh_views();
        fx
    }

    fn apply(&mut self, msg: Msg) -> Vec<Effect> {
        let mut fx = vec![];
        // While a command runs, what would move the clock or the cluster
        // waits for it (as a terminal would); Ctrl+C stops it.
        let moves = matches!(
            msg,
            Msg::Step
                | Msg::Settle
                | Msg::JumpTo(_)
                | Msg::Apply
                | Msg::LessonStart(_)
                | Msg::LessonAnswer(_)
                | Msg::LessonNext
                | Msg::LessonLeave
                | Msg::UndoBranch
                | Msg::Reset
        );
        if moves && self.busy() {
            self.announce = "A command is still running: wait for it, or stop it with Ctrl+C in the console.".into();
            return fx;
        }
        match msg {
            Msg::Frame(wall_ms) => {
                if let Some(at) = self.scrub_pending.take()
                    && !self.busy()
                {
                    self.page.scrub(at);
                    self.refresh_map(true);
                }
                if self.busy() {
                    let line = self.page.pending.as_ref().map(|p| p.line.clone()).unwrap_or_default();
                    if let Some(out) = self.page.frame(wall_ms) {
                        let was_past = self.past_at_start;
                        self.after_command(&line, was_past, &out, &mut fx);
                    }
                    self.dirty = true;
                } else if self.clock_free() {
                    let before = self.page.elapsed();
                    self.page.frame(wall_ms);
                    if self.page.elapsed() != before {
                        self.dirty = true;
                    }
                } else {
                    self.page.catch_up();
                }
                self.refresh_map(false);
            }
            Msg::TogglePlay => {
                if self.waiting_to_start && !self.question_open() {
                    // Play is as good as the Start button (which a view without the map lacks).
                    self.waiting_to_start = false;
                }
                if self.clock_free() || self.page.playing {
                    self.page.playing = !self.page.playing;
                } else if self.question_open() {
                    self.announce = "Answer the lesson's question first: time is stopped until you do.".into();
                }
            }
            Msg::Step => {
                if !self.question_open() {
                    self.page.playing = false;
                    let (moved, happened) = self.page.step();
                    self.refresh_map(true);
                    self.dirty = true;
                    self.announce = if happened {
                        format!("Stepped {} to the next change.", clock(moved))
                    } else if moved == 0 {
                        "Nothing more will happen without new input.".into()
                    } else {
                        format!("Nothing visible happened in {}.", clock(moved))
                    };
                }
            }
            Msg::Settle => {
                if !self.question_open() {
                    self.page.settle();
                    self.refresh_map(true);
                    self.dirty = true;
                    fx.push(Effect::Save);
                }
            }
            Msg::SetSpeed(s) => self.page.speed = s,
            Msg::ScrubPreview(at) => {
                if !self.question_open() {
                    self.scrub_pending = Some(at);
                }
            }
            Msg::JumpTo(at) => {
                if !self.question_open() {
                    self.scrub_pending = None;
                    let head = self.page.head();
                    if at >= head && self.page.future.is_none() {
                        // Already at the present: nothing to replay.
                    } else {
                        self.page.scrub(at);
                    }
                    self.refresh_map(true);
                }
            }
            Msg::EditorChanged(text) => {
                if text != self.page.editor {
                    self.page.set_editor(text);
                    self.dirty = true;
                    fx.push(Effect::Diagnostics);
                }
            }
            Msg::Apply => {
                let was_past = self.page.future.is_some();
                let out = self.page.apply();
                self.after_command("kubectl apply -f -", was_past, &out, &mut fx);
                fx.push(Effect::Diagnostics);
            }
            Msg::Example(v) => {
                if let Some(text) = example_text(&v) {
                    self.page.set_editor(text.clone());
                    self.dirty = true;
                    fx.push(Effect::SetEditor(text));
                    fx.push(Effect::Diagnostics);
                }
            }
            Msg::Select(sel) => {
                if self.page.selected.as_ref() != Some(&sel) {
                    self.forms = Forms::default();
                }
                self.page.selected = Some(sel);
                self.side = SideTab::Inspect;
                fx.push(Effect::Focus(ids::INSPECTOR));
                fx.push(Effect::ScrollIntoView(ids::SIDE));
            }
            Msg::Side(t) => self.side = t,
            Msg::Inspect(t) => self.inspect = t,
            Msg::Resource(r) => self.resource = r,
            Msg::Run(cmd) => self.start(&cmd, &mut fx),
            Msg::FormInput(f, v) => self.forms.set(f, v),
            Msg::FormRun(f) => {
                if let Some(cmd) = self.form_command(f) {
                    self.start(&cmd, &mut fx);
                    self.forms.set(f, String::new());
                }
            }
            Msg::PromptInput(v) => {
                self.prompt.line = v;
                self.prompt.escaped = false;
            }
            Msg::PromptKey(k) => self.prompt_key(k, &mut fx),
            Msg::LessonStart(id) => {
                if lessons::find(&id).is_some() {
                    let keep = self.lesson.as_ref().and_then(|r| r.before.clone());
                    let was_lesson = self.lesson.is_some();
                    self.start_lesson(&id, !was_lesson && !self.mode.embed);
                    if was_lesson && let Some(r) = &mut self.lesson {
                        r.before = keep;
                    }
                    self.waiting_to_start = false;
                    fx.push(Effect::Focus(ids::LESSON));
                }
            }
            Msg::LessonAnswer(a) => {
                self.waiting_to_start = false;
                self.lesson_step(Some(a), &mut fx)
            }
            Msg::LessonNext => {
                self.waiting_to_start = false;
                self.lesson_step(None, &mut fx)
            }
            Msg::LessonLeave => {
                if let Some(run) = self.lesson.take() {
                    if let Some(before) = run.before {
                        match Page::restore(before) {
                            Ok(mut p) => {
                                p.playing = false;
                                self.page = p;
                                fx.push(Effect::SetEditor(self.page.editor.clone()));
                                fx.push(Effect::Diagnostics);
                                self.announce = "Back to your own session.".into();
                            }
                            Err(e) => {
                                self.notices.push(Notice { text: format!("Your session from before the lesson could not be restored: {e}"), action: None })
                            }
                        }
                        self.rebuild_markers();
                    }
                    self.refresh_map(true);
                    fx.push(Effect::Save);
                }
            }
            Msg::UndoBranch => {
                if self.page.undo_branch() {
                    self.notices.retain(|n| n.action != Some(NoticeAction::UndoBranch));
                    self.rebuild_markers();
                    self.refresh_map(true);
                    fx.push(Effect::Save);
                    self.announce = "The discarded recording is back.".into();
                }
            }
            Msg::Notice(a) => match a {
                NoticeAction::UndoBranch => return self.apply(Msg::UndoBranch),
                NoticeAction::DownloadDamaged => fx.push(Effect::DownloadDamaged),
                NoticeAction::DownloadSession => fx.push(Effect::DownloadSession),
                NoticeAction::TakeOver => {
                    self.saving = true;
                    self.notices.retain(|n| n.action != Some(NoticeAction::TakeOver));
                    fx.push(Effect::Save);
                }
            },
            Msg::DismissNotice(i) => {
                if i < self.notices.len() {
                    self.notices.remove(i);
                }
            }
            Msg::Open(d) => {
                if d == Dialog::Export || d == Dialog::ConfirmReset {
                    self.dialog = Some(d);
                    fx.push(Effect::Focus(ids::DIALOG));
                } else if let Dialog::Share(link) = d {
                    if link.is_empty() {
                        fx.push(Effect::MakeShareLink);
                    } else {
                        fx.push(Effect::Copy(link.clone()));
                        self.dialog = Some(Dialog::Share(link));
                        fx.push(Effect::Focus(ids::DIALOG));
                    }
                }
            }
            Msg::CloseDialog => {
                if self.dialog.take().is_some() {
                    fx.push(Effect::RestoreFocus);
                }
            }
            Msg::Reset => {
                self.dialog = None;
                self.lesson = None;
                self.page.reset();
                self.markers.clear();
                self.seen_events.clear();
                self.notices.retain(|n| n.action != Some(NoticeAction::UndoBranch));
                self.refresh_map(true);
                fx.push(Effect::Save);
                fx.push(Effect::RestoreFocus);
            }
            Msg::Start => {
                self.waiting_to_start = false;
                if self.lesson.is_none() {
                    self.page.playing = true;
                }
            }
            Msg::Flush => {
                if self.dirty {
                    fx.push(Effect::Save);
                }
            }
            Msg::EditorLoaded => {
                self.editor_ready = true;
                // Whatever was typed or loaded meanwhile goes into it.
                fx.push(Effect::SetEditor(self.page.editor.clone()));
                fx.push(Effect::Diagnostics);
            }
            Msg::EditorFailed(e) => {
                self.notices.push(Notice { text: format!("The YAML editor is not available ({e}); the console still takes kubectl commands."), action: None })
            }
            Msg::ExamplesFetched => {}
            Msg::Viewport(w) => {
                let columns = if w < 700.0 { 1 } else { usize::MAX };
                if columns != self.columns {
                    self.columns = columns;
                    self.layout = Rc::new(Layout::of_columns(&self.map, columns));
                }
            }
            Msg::OpenFull => {
                if let Some(url) = &self.mode.open_url {
                    let frag = crate::ui::share::encode(&self.page.save(), Some(self.page.elapsed()));
                    fx.push(Effect::OpenFull(format!("{url}#{frag}")));
                }
            }
            Msg::External(more) => fx.extend(more),
            Msg::SavingTab(mine) => {
                self.saving = mine;
                if !mine && !self.notices.iter().any(|n| n.action == Some(NoticeAction::TakeOver)) {
                    self.notices.push(Notice {
                        text: "Kubarium is open in another tab, and that tab now saves the session. This tab no longer saves what you do here.".into(),
                        action: Some(NoticeAction::TakeOver),
                    });
                }
            }
        }
        fx
    }

    fn prompt_key(&mut self, k: Key, fx: &mut Vec<Effect>) {
        match k.key.as_str() {
            "Escape" => {
                self.prompt.escaped = true;
                self.prompt.candidates.clear();
            }
            "Enter" if self.busy() => {
                self.announce = "A command is still running: wait for it, or stop it with Ctrl+C.".into();
            }
            "Enter" => {
                let line = std::mem::take(&mut self.prompt.line);
                self.prompt = Prompt::default();
                if !line.trim().is_empty() {
                    self.start(&line, fx);
                }
            }
            "c" | "C" if k.ctrl && self.busy() => {
                let line = self.page.pending.as_ref().map(|p| p.line.clone()).unwrap_or_default();
                if let Some(out) = self.page.interrupt() {
                    let was_past = self.past_at_start;
                    self.after_command(&line, was_past, &out, fx);
                }
            }
            "c" | "C" if k.ctrl => {
                // As in a terminal: the line is abandoned.
                let line = std::mem::take(&mut self.prompt.line);
                self.prompt = Prompt::default();
                self.page.console.push(ConsoleEntry {
                    command: format!("{line}^C"),
                    output: String::new(),
                    exit_code: 130,
                    at: self.page.elapsed(),
                    stdin: String::new(),
                    changed: false,
                });
                fx.push(Effect::ConsoleToEnd);
            }
            "Tab" if console_keeps(&self.prompt, &k, false) => {
                let line = self.prompt.line.clone();
                let c = self.page.complete(&line);
                if c.is_empty() {
                    return;
                }
                let prefix = common_prefix(&c);
                let cut = if line.ends_with(' ') { line.len() } else { line.rfind(' ').map(|i| i + 1).unwrap_or(0) };
                let mut new = format!("{}{}", &line[..cut], prefix);
                if c.len() == 1 {
                    new.push(' ');
                    self.prompt.candidates.clear();
                } else {
                    self.prompt.candidates = c;
                }
                self.prompt.line = new;
            }
            "ArrowUp" | "ArrowDown" => {
                let cmds: Vec<String> = self.page.console.iter().map(|c| c.command.clone()).filter(|c| !c.ends_with("^C")).collect();
                if cmds.is_empty() {
                    return;
                }
                let next = match (self.prompt.history, k.key.as_str()) {
                    (None, "ArrowUp") => Some(cmds.len() - 1),
                    (Some(p), "ArrowUp") => Some(p.saturating_sub(1)),
                    (Some(p), _) if p + 1 < cmds.len() => Some(p + 1),
                    _ => None,
                };
                self.prompt.history = next;
                self.prompt.line = next.map(|i| cmds[i].clone()).unwrap_or_default();
            }
            _ => {
                if k.key != "Shift" && k.key != "Tab" {
                    self.prompt.escaped = false;
                }
            }
        }
    }

    // ---------------------------------------------------------- inspector

    /// The kubectl line a form runs, with its own value (or its placeholder).
    pub fn form_command(&self, f: Form) -> Option<String> {
        let sel = self.page.selected.as_ref()?;
        let spec = self.form_spec(sel, f)?;
        let v = self.forms.get(f).trim();
        Some((spec.make)(if v.is_empty() { &spec.placeholder } else { v }))
    }

    /// The forms the selection offers.
    pub fn forms_for(&self, sel: &Selection) -> Vec<(Form, FormSpec)> {
        [Form::Scale, Form::SetImage, Form::Expand].into_iter().filter_map(|f| self.form_spec(sel, f).map(|s| (f, s))).collect()
    }

    pub fn form_spec(&self, sel: &Selection, f: Form) -> Option<FormSpec> {
        let c = self.page.cluster();
        let (ns, name) = (sel.namespace.clone(), sel.name.clone());
        let nsflag = nsflag(sel.kind, &ns);
        let w = sel.kind.info().singular;
        let template = |kind: Kind| match kind {
            Kind::Deployment => c
                .api
                .get_t::<Deployment>(&ns, &name)
                .map(|d| (d.spec.replicas.unwrap_or(1), d.spec.template.spec.containers.first().map(|x| (x.name.clone(), x.image.clone())))),
            Kind::StatefulSet => c
                .api
                .get_t::<StatefulSet>(&ns, &name)
                .map(|d| (d.spec.replicas.unwrap_or(1), d.spec.template.spec.containers.first().map(|x| (x.name.clone(), x.image.clone())))),
            Kind::ReplicaSet => c.api.get_t::<ReplicaSet>(&ns, &name).map(|d| (d.spec.replicas.unwrap_or(1), None)),
            _ => None,
        };
        match f {
            Form::Scale => {
                let (r, _) = template(sel.kind)?;
                Some(FormSpec {
                    label: "Scale to",
                    placeholder: (r + 1).to_string(),
                    make: Rc::new(move |v| format!("kubectl scale {w} {name}{nsflag} --replicas={v}")),
                })
            }
            Form::SetImage => {
                let (_, ctr) = template(sel.kind)?;
                let (ctr, img) = ctr?;
                Some(FormSpec { label: "Set image", placeholder: img, make: Rc::new(move |v| format!("kubectl set image {w}/{name}{nsflag} {ctr}={v}")) })
            }
            Form::Expand => {
                if sel.kind != Kind::PersistentVolumeClaim {
                    return None;
                }
                let sz = c.api.get_t::<PersistentVolumeClaim>(&ns, &name)?.spec.resources.requests.get("storage").map(|q| q.to_string())?;
                Some(FormSpec {
                    label: "Expand to",
                    placeholder: sz,
                    make: Rc::new(move |v| {
                        format!("kubectl patch pvc {name}{nsflag} -p {{\"spec\":{{\"resources\":{{\"requests\":{{\"storage\":\"{v}\"}}}}}}}}")
                    }),
                })
            }
        }
    }

    /// The selection's one-click actions: (label, command, destructive).
    /// Destructive ones come last, so focus never lands on them by itself.
    pub fn actions(&self, sel: &Selection) -> Vec<Action> {
        let c = self.page.cluster();
        let name = sel.name.clone();
        let ns = sel.namespace.clone();
        let nsflag = nsflag(sel.kind, &ns);
        let mut safe = vec![];
        let mut danger = vec![];
        let run = |label: &str, cmd: String| Action { label: label.to_string(), what: ActionWhat::Run(cmd) };
        match sel.kind {
            Kind::Pod => {
                if let Some((w, r)) = data_commands(c, &ns, &name, &clock(self.page.elapsed())) {
                    safe.push(run("Write data", w));
                    safe.push(run("Read data", r));
                }
                safe.push(run("Logs", format!("kubectl logs {name}{nsflag}")));
                if let Some(owner) = c.api.get_t::<Pod>(&ns, &name).and_then(|p| p.metadata.controller_ref().cloned()) {
                    let (kind, n) = if owner.kind == "ReplicaSet" {
                        match c.api.get_t::<ReplicaSet>(&ns, &owner.name).and_then(|rs| rs.metadata.controller_ref().cloned()) {
                            Some(d) => (Kind::Deployment, d.name),
                            None => (Kind::ReplicaSet, owner.name.clone()),
                        }
                    } else {
                        (Kind::lookup(&owner.kind).unwrap_or(Kind::Pod), owner.name.clone())
                    };
                    if kind != Kind::Pod {
                        safe.push(Action {
                            label: format!("Select its {}", kind.info().singular),
                            what: ActionWhat::Select(Selection { kind, namespace: ns.clone(), name: n }),
                        });
                    }
                }
                // --wait=false: the page shows the pod terminating instead of
                // jumping the clock until it is gone.
                danger.push(run("Delete", format!("kubectl delete pod {name}{nsflag} --wait=false")));
                danger.push(run("Force delete", format!("kubectl delete pod {name}{nsflag} --force --grace-period=0")));
            }
            Kind::Node => {
                let cordoned = c.api.get_t::<Node>("", &name).is_some_and(|n| n.spec.unschedulable);
                safe.push(if cordoned { run("Uncordon", format!("kubectl uncordon {name}")) } else { run("Cordon", format!("kubectl cordon {name}")) });
                if !c.world.is_powered(&name) {
                    safe.push(run("Start (power on)", format!("cluster node start {name}")));
                } else {
                    danger.push(run("Stop (power off)", format!("cluster node stop {name}")));
                }
                danger.push(run("Drain", format!("kubectl drain {name} --ignore-daemonsets --delete-emptydir-data")));
                danger.push(run("Taint out-of-service", format!("kubectl taint nodes {name} node.kubernetes.io/out-of-service=nodeshutdown:NoExecute")));
                danger.push(run("Delete the Node object", format!("kubectl delete node {name}")));
            }
            Kind::PersistentVolumeClaim => {
                danger.push(run("Delete", format!("kubectl delete pvc {name}{nsflag} --wait=false")));
            }
            Kind::PersistentVolume => {
                if c.api.get_t::<PersistentVolume>("", &name).is_some_and(|p| p.status.phase == PersistentVolumePhase::Released) {
                    safe.push(run(
                        "Make Available (remove claimRef)",
                        format!("kubectl patch pv {name} --type=json -p=[{{\"op\":\"remove\",\"path\":\"/spec/claimRef\"}}]"),
                    ));
                }
                danger.push(run("Delete", format!("kubectl delete pv {name} --wait=false")));
            }
            Kind::Deployment | Kind::StatefulSet => {
                let w = sel.kind.info().singular;
                safe.push(run("Rollout status", format!("kubectl rollout status {w} {name}{nsflag} --watch=false")));
                safe.push(run("Rollout restart", format!("kubectl rollout restart {w} {name}{nsflag}")));
                safe.push(run("Rollout undo", format!("kubectl rollout undo {w} {name}{nsflag}")));
                danger.push(run("Delete", format!("kubectl delete {w} {name}{nsflag}")));
                danger.push(run("Delete, orphan pods", format!("kubectl delete {w} {name}{nsflag} --cascade=orphan")));
            }
            Kind::ReplicaSet => {
                danger.push(run("Delete", format!("kubectl delete replicaset {name}{nsflag}")));
            }
            _ => {}
        }
        safe.into_iter()
            .chain(danger.into_iter().map(|mut a| {
                if let ActionWhat::Run(c) = a.what {
                    a.what = ActionWhat::Danger(c);
                }
                a
            }))
            .collect()
    }

    /// The text of the inspector's current tab.
    pub fn inspect_body(&mut self) -> String {
        let Some(sel) = self.page.selected.clone() else { return String::new() };
        let nsflag = nsflag(sel.kind, &sel.namespace);
        let singular = sel.kind.info().singular;
        match self.inspect {
            InspectTab::Describe => self.page.peek(&format!("kubectl describe {singular} {}{nsflag}", sel.name)),
            InspectTab::Yaml => self.page.peek(&format!("kubectl get {singular} {}{nsflag} -o yaml", sel.name)),
            InspectTab::Why => crate::ui::why::explain(self.page.cluster(), sel.kind, &sel.namespace, &sel.name).join("\n\n"),
        }
    }

    /// The command the Resources tab shows.
    pub fn resources_command(&self) -> String {
        match self.resource.as_str() {
            "pods" | "nodes" | "pvc" | "svc" => format!("kubectl get {} -o wide", self.resource),
            "all" => "kubectl get all".to_string(),
            k => format!("kubectl get {k}"),
        }
    }

    /// The name `cluster node add` would use next (node-d, node-e, ...).
    pub fn next_node_name(&self) -> String {
        let c = self.page.cluster();
        let n = c.world.machines.len();
        (n..n + 26)
            .map(|i| format!("node-{}", (b'a' + (i % 26) as u8) as char))
            .find(|cand| !c.world.machines.contains_key(cand))
            .unwrap_or_else(|| format!("node-{}", n + 1))
    }
}

/// A form's label, the value shown when it is empty, and the command it makes.
#[derive(Clone)]
pub struct FormSpec {
    pub label: &'static str,
    pub placeholder: String,
    pub make: Rc<dyn Fn(&str) -> String>,
}

/// A one-click action of the inspector.
#[derive(Clone, Debug, PartialEq)]
pub struct Action {
    pub label: String,
    pub what: ActionWhat,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ActionWhat {
    Run(String),
    /// Destroys or stops something: drawn apart, never focused by default.
    Danger(String),
    Select(Selection),
}

impl Action {
    pub fn command(&self) -> Option<&str> {
        match &self.what {
            ActionWhat::Run(c) | ActionWhat::Danger(c) => Some(c),
            ActionWhat::Select(_) => None,
        }
    }
    pub fn msg(&self) -> Msg {
        match &self.what {
            ActionWhat::Run(c) | ActionWhat::Danger(c) => Msg::Run(c.clone()),
            ActionWhat::Select(s) => Msg::Select(s.clone()),
        }
    }
}

fn nsflag(kind: Kind, ns: &str) -> String {
    if kind.namespaced() && ns != "default" && !ns.is_empty() { format!(" -n {ns}") } else { String::new() }
}

/// The editor text for an Examples menu value (`<id>#all` or `<id>#<index>`).
pub fn example_text(v: &str) -> Option<String> {
    let (id, idx) = v.split_once('#')?;
    let all = crate::ui::examples::cached();
    let ex = all.iter().find(|x| x.id == id)?;
    match idx {
        "all" => Some(ex.manifests.iter().map(|m| m.yaml.trim_end().to_string()).collect::<Vec<_>>().join("\n---\n") + "\n"),
        i => i.parse::<usize>().ok().and_then(|i| ex.manifests.get(i)).map(|m| m.yaml.clone()),
    }
}

#[cfg(test)]
mod tests;
