//! `<kubarium-cluster>`, without the browser: what an element was given
//! (its attributes, its text, what its `src` held) turned into a [`Ui`],
//! and what it tells the page around it ([`Watch`]: its `command`,
//! `change` and `time` events). The custom element itself is
//! `www/embed/kubarium.js`; `app_embed.rs` binds the two (wasm32 only).

use crate::engine::api::{Kind, Object};
use crate::engine::cluster::Cluster;
use crate::engine::time::{DurationError, MAX_ADVANCE, Millis, parse_duration};
use crate::ui::lessons;
use crate::ui::state::Page;
use crate::ui::update::{Effect, Mode, Msg, Notice, Show, Ui};
use std::rc::Rc;

/// The default cluster's nodes; an element may ask for more, up to [`MAX_NODES`].
pub const DEFAULT_NODES: usize = 3;
pub const MAX_NODES: usize = 12;

/// What an element was given (the object `kubarium.js` passes, read
/// field by field in `app_embed.rs`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Config {
    /// `lesson`: a built-in lesson's id.
    pub lesson: Option<String>,
    /// The element's text, or what `src` held: manifests, or a transcript
    /// (lines starting with `$ `).
    pub text: Option<String>,
    /// `src` ends in `.md`: only its ```console blocks count.
    pub markdown: bool,
    /// `src`'s `#k1.…` fragment: a shared session.
    pub share: Option<String>,
    /// `nodes`, as written.
    pub nodes: Option<String>,
    pub panes: Option<String>,
    pub controls: Option<String>,
    pub autoplay: bool,
    /// The full page's address (the script's folder + `index.html`).
    pub open_url: Option<String>,
    /// The logo's address (next to the script).
    pub logo: Option<String>,
    /// Why `src` could not be read, to show in place of what it held.
    pub error: Option<String>,
}

/// What an element's text (or `src`) holds.
#[derive(Clone, Debug, PartialEq)]
pub enum Given {
    Nothing,
    Manifests(String),
    /// A transcript: played as a lesson of its own.
    Transcript(String),
}

/// A transcript has command lines (`$ kubectl ...`); anything else is YAML.
pub fn classify(text: Option<&str>, markdown: bool) -> Given {
    let Some(t) = text.filter(|t| !t.trim().is_empty()) else { return Given::Nothing };
    let transcript = if markdown { t.lines().any(|l| l.trim() == "```console") } else { t.lines().any(|l| l.starts_with("$ ")) };
    if transcript { Given::Transcript(t.to_string()) } else { Given::Manifests(dedent(t)) }
}

/// Inline YAML is usually indented like the HTML around it: the common
/// indentation of its non-blank lines is removed.
pub fn dedent(text: &str) -> String {
    let indent = text.lines().filter(|l| !l.trim().is_empty()).map(|l| l.len() - l.trim_start_matches(' ').len()).min().unwrap_or(0);
    let mut out: String = text.lines().map(|l| if l.len() >= indent { &l[indent..] } else { l.trim_start() }).collect::<Vec<_>>().join("\n");
    out = out.trim_matches('\n').to_string();
    out.push('\n');
    out
}

/// The element's cluster as it starts, and as `reset()` brings it back.
pub fn build(cfg: &Config) -> Ui {
    let (show, mut problems) = Show::parse(cfg.panes.as_deref(), cfg.controls.as_deref());
    let given = classify(cfg.text.as_deref(), cfg.markdown);
    let mut lesson = cfg.lesson.clone();
    if let Given::Transcript(t) = &given {
        match lessons::register(t, cfg.markdown) {
            Ok(id) => lesson = Some(id),
            Err(e) => problems.push(e),
        }
    }
    let mut page = Page::new();
    let mut shared = false;
    if let Some(frag) = &cfg.share {
        match crate::ui::share::open(frag) {
            Ok(p) => (page, shared) = (p, true),
            Err(e) => problems.push(e),
        }
    }
    let nodes = match cfg.nodes.as_deref().map(str::trim) {
        None | Some("") => DEFAULT_NODES,
        Some(n) => match n.parse::<usize>() {
            Ok(n) if (DEFAULT_NODES..=MAX_NODES).contains(&n) => n,
            _ => {
                problems.push(format!("nodes={n:?}: the cluster has {DEFAULT_NODES} to {MAX_NODES} nodes; it has {DEFAULT_NODES}"));
                DEFAULT_NODES
            }
        },
    };
    let mode = Mode {
        embed: true,
        lesson: lesson.clone(),
        share: cfg.share.clone(),
        show,
        autoplay: cfg.autoplay,
        open_url: cfg.open_url.clone(),
        logo: cfg.logo.clone(),
    };
    let mut ui = Ui::new(mode, page, false);
    if lesson.is_none() && !shared {
        // Set up as commands, shown in the console like everything else.
        for _ in DEFAULT_NODES..nodes {
            let name = ui.next_node_name();
            ui.run_line(&format!("cluster node add {name}"), "");
        }
        if let Given::Manifests(yaml) = &given {
            ui.page.set_editor(yaml.clone());
            ui.update(Msg::Apply);
        }
    } else if nodes != DEFAULT_NODES || matches!(given, Given::Manifests(_)) {
        problems.push("nodes and manifests are not used with a lesson or a shared session (they set up their own cluster)".into());
    }
    if let Some(e) = &cfg.error {
        problems.insert(0, e.clone());
    }
    for p in problems {
        ui.notices.push(Notice { text: format!("kubarium-cluster: {p}."), action: None });
    }
    ui.dirty = false;
    ui
}

/// A duration as the API takes it: Go's words (`90s`, `2m`, `1h30m`), at
/// most [`MAX_ADVANCE`] (what one command may let pass).
pub fn duration(d: &str) -> Result<Millis, String> {
    match parse_duration(d) {
        Ok(ms) => bounded(ms),
        Err(DurationError::TooLong) => bounded(Millis::MAX),
        Err(DurationError::Invalid) => Err(format!("{d:?} is not a duration (like 500ms, 30s, 2m or 1h30m)")),
    }
}

/// Milliseconds the API may let pass at once (0 to [`MAX_ADVANCE`], a week).
pub fn bounded(ms: Millis) -> Result<Millis, String> {
    if (0..=MAX_ADVANCE).contains(&ms) { Ok(ms) } else { Err("time moves by 0 to a week (7d) at once: advance in steps".into()) }
}

/// Puts a shared session (`k1.…`, as `snapshot()` makes) in the element.
pub fn restore(ui: &mut Ui, snapshot: &str) -> Result<Vec<Effect>, String> {
    let page = crate::ui::share::open(snapshot)?;
    Ok(ui.load_page(page))
}

/// One thing the element tells the page around it.
#[derive(Clone, Debug, PartialEq)]
pub enum HostEvent {
    /// A command line ran.
    Command { line: String, output: String, exit_code: i32 },
    /// An object was added, modified or deleted.
    Change(StoreChange),
    /// Simulated time moved, or the clock was started or stopped.
    Time { elapsed: Millis, playing: bool },
}

impl HostEvent {
    /// The event's name and its `detail`, as JSON.
    pub fn to_json(&self) -> (&'static str, String) {
        use serde_json::json;
        match self {
            HostEvent::Command { line, output, exit_code } => ("command", json!({"command": line, "output": output, "exitCode": exit_code}).to_string()),
            HostEvent::Change(c) => (
                "change",
                json!({"op": c.op.as_str(), "kind": c.kind.info().kind, "namespace": c.namespace, "name": c.name, "uid": c.uid, "resourceVersion": c.rv})
                    .to_string(),
            ),
            HostEvent::Time { elapsed, playing } => {
                ("time", json!({"elapsed": elapsed, "clock": crate::ui::state::clock(*elapsed), "playing": playing}).to_string())
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeOp {
    Added,
    Modified,
    Deleted,
}

impl ChangeOp {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeOp::Added => "added",
            ChangeOp::Modified => "modified",
            ChangeOp::Deleted => "deleted",
        }
    }
}

/// A store change as the element reports it.
#[derive(Clone, Debug, PartialEq)]
pub struct StoreChange {
    pub op: ChangeOp,
    pub kind: Kind,
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub rv: String,
}

/// What the element has told the page so far: each object's version as
/// last reported, the clock. [`Watch::poll`] turns what moved since into
/// events.
pub struct Watch {
    /// Per kind (in `Kind::ALL` order), the objects as last seen, in the
    /// store's order (namespace, then name).
    seen: Vec<Vec<Rc<Object>>>,
    /// What the store looked like then: (resourceVersion, clock).
    sig: (u64, Millis),
    elapsed: Millis,
    playing: bool,
}

impl Watch {
    /// Starts from the cluster as it is: nothing in it is news.
    pub fn new(page: &Page) -> Watch {
        let mut w = Watch { seen: vec![], sig: (u64::MAX, 0), elapsed: page.elapsed(), playing: page.playing };
        store_changes(page.cluster(), &mut w.seen);
        w.sig = sig(page.cluster());
        w
    }

    /// The events since the last poll: the commands among `fx`, then the
    /// store's changes, then the clock. `force`: the cluster was replaced
    /// (reset, restore), compare everything even if it looks the same.
    pub fn poll(&mut self, page: &Page, fx: &[Effect], force: bool) -> Vec<HostEvent> {
        let mut out: Vec<HostEvent> = fx
            .iter()
            .filter_map(|e| match e {
                Effect::Command { line, output, exit_code } => Some(HostEvent::Command { line: line.clone(), output: output.clone(), exit_code: *exit_code }),
                _ => None,
            })
            .collect();
        let c = page.cluster();
        if force || sig(c) != self.sig {
            out.extend(store_changes(c, &mut self.seen).into_iter().map(HostEvent::Change));
            self.sig = sig(c);
        }
        if page.elapsed() != self.elapsed || page.playing != self.playing {
            self.elapsed = page.elapsed();
            self.playing = page.playing;
            out.push(HostEvent::Time { elapsed: self.elapsed, playing: self.playing });
        }
        out
    }
}

fn sig(c: &Cluster) -> (u64, Millis) {
    (c.api.store.resource_version(), c.now().0)
}

/// The one place the element reads the store's changes: every object
/// whose version differs from `seen` (added, modified, deleted; a name
/// that now belongs to a new object is a deletion then an addition), like
/// an informer relisting. Between two polls several writes to one object
/// are one `modified`. It reads the store, not the cluster's change feed,
/// so it needs nothing from the engine and is right across time travel
/// (scrubbing back reports the changes undone).
pub fn store_changes(c: &Cluster, seen: &mut Vec<Vec<Rc<Object>>>) -> Vec<StoreChange> {
    seen.resize(Kind::ALL.len(), vec![]);
    let mut out = vec![];
    let change = |op, o: &Object| {
        let m = o.meta();
        StoreChange { op, kind: o.kind(), namespace: m.namespace.clone(), name: m.name.clone(), uid: m.uid.clone(), rv: m.resource_version.clone() }
    };
    for (i, kind) in Kind::ALL.iter().enumerate() {
        let old = std::mem::take(&mut seen[i]);
        let mut old = old.into_iter().peekable();
        let mut now = Vec::with_capacity(old.len());
        for o in c.api.store.list(*kind) {
            let key = |x: &Object| (x.meta().namespace.clone(), x.meta().name.clone());
            // Objects before this one in the old list are gone.
            while let Some(prev) = old.next_if(|p| (&p.meta().namespace, &p.meta().name) < (&o.meta().namespace, &o.meta().name)) {
                out.push(change(ChangeOp::Deleted, &prev));
            }
            match old.next_if(|p| key(p) == key(o)) {
                None => out.push(change(ChangeOp::Added, o)),
                Some(prev) if Rc::ptr_eq(&prev, o) => {}
                Some(prev) if prev.meta().uid != o.meta().uid => {
                    out.push(change(ChangeOp::Deleted, &prev));
                    out.push(change(ChangeOp::Added, o));
                }
                Some(prev) if prev.meta().resource_version != o.meta().resource_version => out.push(change(ChangeOp::Modified, o)),
                Some(_) => {}
            }
            now.push(o.clone());
        }
        out.extend(old.map(|prev| change(ChangeOp::Deleted, &prev)));
        seen[i] = now;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::update::SideTab;

    const STS: &str = "    apiVersion: apps/v1\n    kind: StatefulSet\n    metadata:\n      name: web\n    spec:\n      serviceName: web\n      replicas: 2\n      selector:\n        matchLabels:\n          app: web\n      template:\n        metadata:\n          labels:\n            app: web\n        spec:\n          containers:\n          - name: nginx\n            image: nginx:1.25\n            volumeMounts:\n            - name: www\n              mountPath: /usr/share/nginx/html\n      volumeClaimTemplates:\n      - metadata:\n          name: www\n        spec:\n          accessModes: [ReadWriteOnce]\n          resources:\n            requests:\n              storage: 1Gi\n";

    fn cfg(text: &str) -> Config {
        Config { text: Some(text.into()), ..Config::default() }
    }

    #[test]
    fn inline_yaml_indented_like_the_html_around_it_is_applied_and_the_clock_waits() {
        let ui = build(&cfg(&format!("\n{STS}  ")));
        let last = ui.page.console.last().unwrap();
        assert_eq!((last.command.as_str(), last.output.as_str()), ("kubectl apply -f -", "statefulset.apps/web created\n"));
        assert!(ui.waiting_to_start && !ui.page.playing && !ui.saving);
        assert!(ui.notices.is_empty(), "{:?}", ui.notices);
    }

    #[test]
    fn nodes_are_added_as_commands_and_bad_attributes_are_reported_not_fatal() {
        let ui = build(&Config { nodes: Some("5".into()), autoplay: true, ..Config::default() });
        assert_eq!(ui.page.cluster().world.machines.len(), 5);
        assert_eq!(ui.page.console.iter().map(|e| e.command.as_str()).collect::<Vec<_>>(), ["cluster node add node-d", "cluster node add node-e"]);
        assert!(ui.page.playing && !ui.waiting_to_start, "autoplay");
        let ui = build(&Config { nodes: Some("1".into()), panes: Some("map, consol".into()), ..Config::default() });
        assert_eq!(ui.page.cluster().world.machines.len(), 3);
        let texts: Vec<&str> = ui.notices.iter().map(|n| n.text.as_str()).collect();
        assert!(texts.iter().any(|t| t.contains("\"consol\" is not one of map, side, console, timeline")), "{texts:?}");
        assert!(texts.iter().any(|t| t.contains("nodes=\"1\"")), "{texts:?}");
        assert!(ui.mode.show.map && !ui.mode.show.side && !ui.mode.show.console);
    }

    #[test]
    fn a_transcript_becomes_a_lesson_of_its_own_and_the_same_text_the_same_lesson() {
        let t = "# Scale a StatefulSet\n# Watch web-1 come after web-0.\n\n# Create it.\n$ kubectl create deployment web --image=nginx:1.25\ndeployment.apps/web created\n\n$ kubectl get deploy\n";
        let ui = build(&cfg(t));
        let run = ui.lesson.as_ref().expect("a lesson");
        let l = lessons::find(&run.id).unwrap();
        assert_eq!(l.title, "Scale a StatefulSet");
        assert_eq!(l.steps.len(), 2);
        assert_eq!(l.steps[0].narration, "Create it.");
        assert_eq!(ui.side, SideTab::Lessons);
        assert_eq!(build(&cfg(t)).lesson.unwrap().id, run.id);
        let md = "Some prose.\n\n```console\n$ kubectl get nodes\n...\n```\n\nMore prose.\n```console\n$ kubectl get pods\nNo resources found in default namespace.\n```\n";
        let ui = build(&Config { text: Some(md.into()), markdown: true, ..Config::default() });
        assert!(ui.notices.is_empty(), "{:?}", ui.notices);
        assert_eq!(lessons::find(&ui.lesson.unwrap().id).unwrap().steps.len(), 2);
    }

    #[test]
    fn a_broken_transcript_or_share_link_says_so_on_a_fresh_cluster() {
        let ui = build(&Config { share: Some("k1.@@@".into()), ..Config::default() });
        assert!(ui.notices[0].text.contains("damaged"), "{:?}", ui.notices);
        let ui = build(&Config { error: Some("src \"x.yaml\" could not be read (404)".into()), ..Config::default() });
        assert!(ui.notices[0].text.contains("404"));
    }

    #[test]
    fn the_watch_reports_commands_changes_and_time_once_each() {
        let mut ui = build(&Config::default());
        let mut w = Watch::new(&ui.page);
        assert_eq!(w.poll(&ui.page, &[], false), vec![], "the cluster as loaded is not news");
        ui.advance(1000).unwrap();
        assert_eq!(w.poll(&ui.page, &[], false).last(), Some(&HostEvent::Time { elapsed: 1000, playing: false }));
        let (out, fx) = ui.run_line("kubectl apply -f -", &dedent(STS));
        assert_eq!(out.exit_code, 0);
        // The controllers' work lands in the next frame, as in the page.
        let mut fx = fx;
        fx.extend(ui.update(Msg::Frame(16.0)));
        let ev = w.poll(&ui.page, &fx, false);
        assert!(matches!(&ev[0], HostEvent::Command { line, exit_code: 0, .. } if line == "kubectl apply -f -"));
        let added: Vec<String> = ev
            .iter()
            .filter_map(|e| match e {
                HostEvent::Change(c) if c.op == ChangeOp::Added => Some(format!("{:?}/{}", c.kind, c.name)),
                _ => None,
            })
            .collect();
        assert!(added.contains(&"StatefulSet/web".to_string()) && added.contains(&"Pod/web-0".to_string()), "{added:?}");
        assert_eq!(w.poll(&ui.page, &[], false), vec![], "reported once");
        ui.advance(duration("2m").unwrap()).unwrap();
        let ev = w.poll(&ui.page, &[], false);
        assert!(ev.iter().any(|e| matches!(e, HostEvent::Change(c) if c.kind == Kind::Pod && c.name == "web-1" && c.op == ChangeOp::Added)));
        assert_eq!(ev.last(), Some(&HostEvent::Time { elapsed: 121_000, playing: false }));
        // A force delete: the StatefulSet makes a new web-1 at once; same name, new object.
        let (_, mut fx) = ui.run_line("kubectl delete pod web-1 --force --grace-period=0", "");
        fx.extend(ui.update(Msg::Frame(16.0)));
        let ops: Vec<&str> = w
            .poll(&ui.page, &fx, false)
            .iter()
            .filter_map(|e| match e {
                HostEvent::Change(c) if c.kind == Kind::Pod && c.name == "web-1" => Some(c.op.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(&ops[..2], ["deleted", "added"]);
        // Back in time: what was made since is reported deleted.
        ui.page.scrub(0);
        let ev = w.poll(&ui.page, &[], true);
        assert!(ev.iter().any(|e| matches!(e, HostEvent::Change(c) if c.kind == Kind::StatefulSet && c.op == ChangeOp::Deleted)));
        let (name, detail) = ev[0].to_json();
        assert_eq!(name, "change");
        assert!(detail.starts_with("{\"kind\":"), "{detail}");
    }

    /// The docs example's transcript (www/examples) is true on the engine.
    #[test]
    fn the_example_transcript_passes() {
        let text = include_str!("../../www/examples/scale-down.txt");
        let t = crate::transcript::parse(text, false).unwrap();
        let mut s = crate::kubectl::session::Session::new(crate::kubectl::session::DEFAULT_SEED);
        let failures: Vec<_> = crate::transcript::run_steps(&mut s, &t, "scale-down").into_iter().filter_map(|r| r.failure).collect();
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        let ui = build(&cfg(text));
        assert_eq!(lessons::find(&ui.lesson.unwrap().id).unwrap().title, "Scaling a StatefulSet down keeps its claims.");
    }

    #[test]
    fn snapshot_and_restore_round_trip_through_a_share_link() {
        let mut ui = build(&cfg(STS));
        ui.advance(90_000).unwrap();
        let snap = crate::ui::share::encode(&ui.page.save(), Some(ui.page.elapsed()));
        let rv = ui.page.cluster().api.store.resource_version();
        let mut other = build(&Config::default());
        restore(&mut other, &snap).unwrap();
        assert_eq!(other.page.cluster().api.store.resource_version(), rv);
        assert_eq!(other.page.elapsed(), 90_000);
        assert!(restore(&mut other, "k1.xx").unwrap_err().contains("damaged"));
        assert_eq!(duration("1h30m"), Ok(5_400_000));
        assert!(duration("soon").unwrap_err().contains("not a duration"));
        assert!(duration("8d").unwrap_err().contains("a week"));
        assert!(duration("9999999999999h").unwrap_err().contains("a week"));
        assert!(bounded(-1).is_err() && bounded(MAX_ADVANCE).is_ok());
    }
}
