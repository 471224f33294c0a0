//! The Yew components: top bar with the clock, editor, cluster map,
//! inspector / resources / events panel, console. All state lives in
//! [`Page`]; components call its methods and re-render.

use crate::engine::api::{Deployment, Kind, Node, PersistentVolume, PersistentVolumeClaim, Pod, ReplicaSet, StatefulSet};
use crate::ui::app_lessons::{Lessons, Progress, run_step};
use crate::ui::app_map::ClusterMap;
use crate::ui::editor::Editor;
use crate::ui::examples;
use crate::ui::model::{Layout, MapModel};
use crate::ui::state::{Page, Selection, Speed, clock, common_prefix, data_commands};
use crate::ui::why;
use gloo::storage::{LocalStorage, Storage};
use gloo::timers::callback::Interval;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

const SESSION_KEY: &str = "kubarium.session.v1";
const TICK_MS: u32 = 100;

/// How the page was opened (from the URL).
#[derive(Clone, Debug, Default, PartialEq)]
struct Mode {
    /// `?embed`: minimal chrome for an iframe; nothing is saved.
    embed: bool,
    /// `?lesson=<id>`: open that lesson.
    lesson: Option<String>,
    /// `#k1.…`: a share link.
    share: Option<String>,
}

fn mode() -> Mode {
    let Some(loc) = web_sys::window().map(|w| w.location()) else { return Mode::default() };
    let search = loc.search().unwrap_or_default();
    let params = web_sys::UrlSearchParams::new_with_str(&search).ok();
    let hash = loc.hash().unwrap_or_default();
    Mode {
        embed: params.as_ref().is_some_and(|p| p.has("embed")),
        lesson: params.as_ref().and_then(|p| p.get("lesson")).filter(|l| !l.is_empty()),
        share: hash.strip_prefix('#').filter(|h| !h.is_empty()).map(|h| h.to_string()),
    }
}

/// The page plus what is derived from it and cached between frames.
struct Shared {
    mode: Mode,
    page: Page,
    /// (resourceVersion, now) the map was computed at.
    map_at: (u64, i64),
    map: Rc<MapModel>,
    layout: Rc<Layout>,
    editor: Option<Editor>,
    /// A problem restoring the saved session, shown once.
    notice: Option<String>,
    /// The lesson being played.
    lesson: Option<Progress>,
    /// The share link last made (shown with its embed snippet).
    shared_link: Option<String>,
    /// The export panel is open.
    export_open: bool,
    ticks: u64,
    dirty: bool,
}

type S = Rc<RefCell<Shared>>;

impl Shared {
    fn refresh_map(&mut self) {
        let c = self.page.cluster();
        let at = (c.api.store.resource_version(), c.now().0);
        if at.0 != self.map_at.0 || self.map.zones.is_empty() {
            let m = MapModel::from_cluster(c);
            self.layout = Rc::new(Layout::of(&m));
            self.map = Rc::new(m);
        }
        self.map_at = at;
    }

    fn save(&mut self) {
        // Embedded copies and opened share links never overwrite the
        // visitor's own saved session.
        if !self.mode.embed && self.mode.share.is_none() {
            let _ = LocalStorage::set(SESSION_KEY, self.page.save());
        }
        self.dirty = false;
    }
}

fn load(mode: &Mode) -> (Page, Option<String>) {
    if let Some(frag) = &mode.share {
        return match crate::ui::share::decode(frag).and_then(|(saved, at)| Page::restore(saved).map(|p| (p, at))) {
            Ok((mut p, at)) => {
                if let Some(at) = at {
                    if at < p.elapsed() {
                        p.scrub(at);
                    }
                }
                p.playing = false;
                (p, Some("You opened a shared session: it was replayed exactly. Nothing you do here overwrites your own saved session.".into()))
            }
            Err(e) => (Page::new(), Some(format!("{e} A fresh cluster was started instead."))),
        };
    }
    if mode.embed || mode.lesson.is_some() {
        return (Page::new(), None);
    }
    let raw: Option<String> = web_sys::window().and_then(|w| w.local_storage().ok().flatten()).and_then(|s| s.get_item(SESSION_KEY).ok().flatten());
    match raw {
        None => (Page::new(), None),
        Some(text) => match Page::restore_json(&text) {
            Ok(p) => (p, None),
            Err(e) => {
                let _ = LocalStorage::set(format!("{SESSION_KEY}.unreadable"), text);
                (
                    Page::new(),
                    Some(format!(
                        "Your saved session could not be restored ({e}); it was kept under {SESSION_KEY}.unreadable in localStorage and a fresh cluster was started."
                    )),
                )
            }
        },
    }
}

fn input_value(e: &Event) -> String {
    e.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()).map(|i| i.value()).unwrap_or_default()
}

fn select_value(e: &Event) -> String {
    e.target().and_then(|t| t.dyn_into::<HtmlSelectElement>().ok()).map(|i| i.value()).unwrap_or_default()
}

#[function_component(App)]
fn app() -> Html {
    let shared: S = use_mut_ref(|| {
        let mode = mode();
        let (page, notice) = load(&mode);
        let map = MapModel::from_cluster(page.cluster());
        let layout = Rc::new(Layout::of(&map));
        let at = (page.cluster().api.store.resource_version(), page.cluster().now().0);
        let lesson = mode.lesson.clone().map(|l| Progress { lesson: l, ..Default::default() });
        Shared {
            mode,
            page,
            map_at: at,
            map: Rc::new(map),
            layout,
            editor: None,
            notice,
            lesson,
            shared_link: None,
            export_open: false,
            ticks: 0,
            dirty: false,
        }
    });
    let redraw = use_force_update();
    let editor_ref = use_node_ref();
    let side_tab = use_state(|| if shared.borrow().lesson.is_some() || shared.borrow().mode.embed { "lessons".to_string() } else { "inspect".to_string() });
    let inspect_tab = use_state(|| "why".to_string());
    let res_kind = use_state(|| "pods".to_string());
    let console_in = use_state(String::new);
    let hist_pos = use_mut_ref(|| None::<usize>);
    let candidates = use_state(Vec::<String>::new);
    let param = use_state(String::new);
    let console_ref = use_node_ref();
    let console_len = shared.borrow().page.console.len();
    {
        let console_ref = console_ref.clone();
        use_effect_with(console_len, move |_| {
            if let Some(el) = console_ref.cast::<web_sys::Element>() {
                el.set_scroll_top(el.scroll_height());
            }
            || ()
        });
    }

    // Mount the editor once.
    {
        let shared = shared.clone();
        let editor_ref = editor_ref.clone();
        let redraw = redraw.clone();
        use_effect_with((), move |_| {
            if let Some(el) = editor_ref.cast::<web_sys::Element>() {
                let text = shared.borrow().page.editor.clone();
                let s1 = shared.clone();
                let r1 = redraw.clone();
                let s2 = shared.clone();
                let r2 = redraw.clone();
                let ed = Editor::mount(
                    &el,
                    &text,
                    move |t: String| {
                        if let Ok(mut s) = s1.try_borrow_mut() {
                            s.page.set_editor(t);
                            if let Some(e) = &s.editor {
                                e.set_diagnostics(&s.page.diags);
                            }
                            s.dirty = true;
                        }
                        r1.force_update();
                    },
                    move || {
                        if let Ok(mut s) = s2.try_borrow_mut() {
                            s.page.apply();
                            if let Some(e) = &s.editor {
                                e.set_diagnostics(&s.page.diags);
                            }
                            s.refresh_map();
                            s.save();
                        }
                        r2.force_update();
                    },
                );
                let mut s = shared.borrow_mut();
                ed.set_diagnostics(&s.page.diags);
                s.editor = Some(ed);
            }
            || ()
        });
    }

    // kubectl explain's schema table, fetched once the page is up.
    use_effect_with((), |_| {
        wasm_bindgen_futures::spawn_local(async {
            let Some(w) = web_sys::window() else { return };
            let Ok(resp) = wasm_bindgen_futures::JsFuture::from(w.fetch_with_str("explain_data.json")).await else { return };
            let Ok(resp) = resp.dyn_into::<web_sys::Response>() else { return };
            if !resp.ok() {
                return;
            }
            let Ok(p) = resp.text() else { return };
            if let Ok(text) = wasm_bindgen_futures::JsFuture::from(p).await {
                if let Some(t) = text.as_string() {
                    crate::kubectl::commands::explain::provide(t);
                }
            }
        });
        || ()
    });

    // The clock.
    {
        let shared = shared.clone();
        let redraw = redraw.clone();
        use_effect_with((), move |_| {
            let iv = Interval::new(TICK_MS, move || {
                let Ok(mut s) = shared.try_borrow_mut() else { return };
                s.ticks += 1;
                let playing = s.page.playing;
                if playing {
                    s.page.tick(TICK_MS as f64);
                    s.refresh_map();
                    s.dirty = true;
                }
                if s.dirty && s.ticks % 50 == 0 {
                    s.save();
                }
                drop(s);
                if playing {
                    redraw.force_update();
                }
            });
            move || drop(iv)
        });
    }

    // Actions go through here: run, save, redraw.
    let act = {
        let shared = shared.clone();
        let redraw = redraw.clone();
        Callback::from(move |cmd: String| {
            {
                let mut s = shared.borrow_mut();
                s.page.run(&cmd, "");
                s.refresh_map();
                s.save();
            }
            redraw.force_update();
        })
    };
    let with = {
        let shared = shared.clone();
        let redraw = redraw.clone();
        move |f: fn(&mut Shared)| {
            let shared = shared.clone();
            let redraw = redraw.clone();
            Callback::from(move |_: MouseEvent| {
                {
                    let mut s = shared.borrow_mut();
                    f(&mut s);
                    s.refresh_map();
                }
                redraw.force_update();
            })
        }
    };

    let s = shared.borrow();
    let page = &s.page;
    let elapsed = page.elapsed();
    let head = page.head();
    let in_past = page.future.is_some();

    // ---- top bar
    let on_play = with(|s| s.page.playing = !s.page.playing);
    let on_step = with(|s| {
        s.page.playing = false;
        s.page.step();
    });
    let on_settle = with(|s| {
        s.page.settle();
        s.save();
    });
    let on_speed = {
        let shared = shared.clone();
        let redraw = redraw.clone();
        Callback::from(move |e: Event| {
            let v = select_value(&e);
            shared.borrow_mut().page.speed = match v.as_str() {
                "10x" => Speed::X10,
                "100x" => Speed::X100,
                _ => Speed::X1,
            };
            redraw.force_update();
        })
    };
    let on_scrub = {
        let shared = shared.clone();
        let redraw = redraw.clone();
        Callback::from(move |e: Event| {
            let v: i64 = input_value(&e).parse().unwrap_or(0);
            {
                let mut s = shared.borrow_mut();
                s.page.scrub(v);
                s.refresh_map();
            }
            redraw.force_update();
        })
    };
    let on_reset = {
        let shared = shared.clone();
        let redraw = redraw.clone();
        Callback::from(move |_: MouseEvent| {
            let ok = web_sys::window()
                .and_then(|w| {
                    w.confirm_with_message("Start again on a fresh cluster? Everything you did in this session is discarded (the editor text stays).").ok()
                })
                .unwrap_or(false);
            if ok {
                let mut s = shared.borrow_mut();
                s.page.reset();
                s.refresh_map();
                s.save();
                drop(s);
                redraw.force_update();
            }
        })
    };
    let on_example = {
        let shared = shared.clone();
        let redraw = redraw.clone();
        Callback::from(move |e: Event| {
            let v = select_value(&e);
            let Some((ex, idx)) = v.split_once('#') else { return };
            let all = examples::all();
            let Some(ex) = all.iter().find(|x| x.id == ex) else { return };
            let text = match idx {
                "all" => ex.manifests.iter().map(|m| m.yaml.trim_end().to_string()).collect::<Vec<_>>().join("\n---\n") + "\n",
                i => i.parse::<usize>().ok().and_then(|i| ex.manifests.get(i)).map(|m| m.yaml.clone()).unwrap_or_default(),
            };
            {
                let mut s = shared.borrow_mut();
                s.page.set_editor(text.clone());
                if let Some(ed) = &s.editor {
                    ed.handle.set_doc(&text);
                    ed.set_diagnostics(&s.page.diags);
                }
                s.dirty = true;
            }
            if let Some(t) = e.target().and_then(|t| t.dyn_into::<HtmlSelectElement>().ok()) {
                t.set_value("");
            }
            redraw.force_update();
        })
    };
    let on_apply = {
        let shared = shared.clone();
        let redraw = redraw.clone();
        Callback::from(move |_: MouseEvent| {
            {
                let mut s = shared.borrow_mut();
                s.page.apply();
                if let Some(e) = &s.editor {
                    e.set_diagnostics(&s.page.diags);
                }
                s.refresh_map();
                s.save();
            }
            redraw.force_update();
        })
    };
    let examples_menu = examples::all()
        .into_iter()
        .map(|ex| {
            let opts = ex.manifests.iter().enumerate().map(|(i, m)| html! { <option value={format!("{}#{i}", ex.id)}>{ &m.label }</option> });
            html! {
                <optgroup label={ex.title.clone()}>
                    <option value={format!("{}#all", ex.id)}>{ format!("All manifests of: {}", ex.title) }</option>
                    { for opts }
                </optgroup>
            }
        })
        .collect::<Html>();

    // ---- selection and inspector
    let on_select = {
        let shared = shared.clone();
        let redraw = redraw.clone();
        let side_tab = side_tab.clone();
        let param = param.clone();
        Callback::from(move |sel: Selection| {
            shared.borrow_mut().page.selected = Some(sel);
            side_tab.set("inspect".into());
            param.set(String::new());
            redraw.force_update();
        })
    };
    drop(s);
    let inspector = inspector(&shared, &inspect_tab, &act, &param);
    let s = shared.borrow();

    // ---- resources and events
    let resources = if *side_tab == "resources" {
        let kind = (*res_kind).clone();
        let cmd = match kind.as_str() {
            "pods" | "nodes" | "pvc" | "svc" => format!("kubectl get {kind} -o wide"),
            "all" => "kubectl get all".to_string(),
            k => format!("kubectl get {k}"),
        };
        drop(s);
        let out = shared.borrow_mut().page.peek(&cmd);
        let kinds = ["pods", "deployments", "statefulsets", "replicasets", "pvc", "pv", "storageclasses", "nodes", "svc", "volumeattachments", "all"];
        let on_kind = {
            let res_kind = res_kind.clone();
            Callback::from(move |e: Event| res_kind.set(select_value(&e)))
        };
        let r = html! {
            <div class="resources">
                <label>{"Show "}<select onchange={on_kind} aria-label="Resource type">
                    { for kinds.iter().map(|k| html!{ <option value={k.to_string()} selected={*k == kind}>{ *k }</option> }) }
                </select></label>
                <code class="cmd">{ format!("$ {cmd}") }</code>
                <pre class="table" tabindex="0">{ out }</pre>
            </div>
        };
        r
    } else {
        drop(s);
        html! {}
    };
    let s = shared.borrow();
    let page = &s.page;
    let now = page.cluster().now();
    let events = page.events(150);
    let latest_event = events.first().map(|e| format!("{} {}: {}", e.reason, e.object, e.message)).unwrap_or_default();
    let events_html = if *side_tab == "events" {
        html! {
            <table class="events">
                <thead><tr><th>{"AGE"}</th><th>{"TYPE"}</th><th>{"REASON"}</th><th>{"OBJECT"}</th><th>{"MESSAGE"}</th></tr></thead>
                <tbody>
                { for events.iter().map(|e| html!{
                    <tr class={classes!(if e.type_ == "Warning" { "warn" } else { "normal" })}>
                        <td>{ crate::kubectl::printers::rows::age(Some(e.last), now) }</td>
                        <td>{ &e.type_ }</td><td>{ &e.reason }</td><td>{ &e.object }</td>
                        <td>{ &e.message }{ if e.count > 1 { format!(" (x{})", e.count) } else { String::new() } }</td>
                    </tr>
                }) }
                </tbody>
            </table>
        }
    } else {
        html! {}
    };
    let tab = |id: &'static str, label: &'static str| {
        let side_tab = side_tab.clone();
        let active = *side_tab == id;
        html! { <button role="tab" aria-selected={active.to_string()} class={classes!("tab", active.then_some("active"))} onclick={Callback::from(move |_| side_tab.set(id.to_string()))}>{ label }</button> }
    };

    // ---- console
    let on_console_input = {
        let console_in = console_in.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(i) = e.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()) {
                console_in.set(i.value());
            }
        })
    };
    let on_console_key = {
        let shared = shared.clone();
        let redraw = redraw.clone();
        let console_in = console_in.clone();
        let hist_pos = hist_pos.clone();
        let candidates = candidates.clone();
        Callback::from(move |e: KeyboardEvent| {
            let line = (*console_in).clone();
            match e.key().as_str() {
                "Enter" => {
                    e.prevent_default();
                    {
                        let mut s = shared.borrow_mut();
                        s.page.run(&line, "");
                        s.refresh_map();
                        s.save();
                    }
                    *hist_pos.borrow_mut() = None;
                    candidates.set(vec![]);
                    console_in.set(String::new());
                    redraw.force_update();
                }
                "Tab" => {
                    e.prevent_default();
                    let c = shared.borrow().page.complete(&line);
                    if c.is_empty() {
                        return;
                    }
                    let prefix = common_prefix(&c);
                    let cut = if line.ends_with(' ') { line.len() } else { line.rfind(' ').map(|i| i + 1).unwrap_or(0) };
                    let mut new = format!("{}{}", &line[..cut], prefix);
                    if c.len() == 1 {
                        new.push(' ');
                        candidates.set(vec![]);
                    } else {
                        candidates.set(c);
                    }
                    console_in.set(new);
                }
                "ArrowUp" | "ArrowDown" => {
                    e.prevent_default();
                    let s = shared.borrow();
                    let cmds: Vec<&String> = s.page.console.iter().map(|c| &c.command).collect();
                    if cmds.is_empty() {
                        return;
                    }
                    let mut pos = hist_pos.borrow_mut();
                    let next = match (*pos, e.key().as_str()) {
                        (None, "ArrowUp") => Some(cmds.len() - 1),
                        (Some(p), "ArrowUp") => Some(p.saturating_sub(1)),
                        (Some(p), _) if p + 1 < cmds.len() => Some(p + 1),
                        _ => None,
                    };
                    *pos = next;
                    console_in.set(next.map(|i| cmds[i].clone()).unwrap_or_default());
                }
                _ => {}
            }
        })
    };
    let console_html = page.console.iter().map(|c| {
        html! {
            <div class={classes!("entry", (c.exit_code != 0).then_some("failed"))}>
                <div class="cmdline"><span class="at">{ clock(c.at) }</span>{ " $ " }{ &c.command }</div>
                if !c.output.is_empty() { <pre class="out">{ &c.output }</pre> }
            </div>
        }
    });

    let speed = page.speed;
    let drivers = s.map.missing_drivers.clone();
    let classes_html = s.map.classes.iter().map(|c| html! {
        <li class="class" data-class={c.name.clone()}>
            <span class="class-name">{ &c.name }{ if c.default { html!{<span class="badge">{"default"}</span>} } else { html!{} } }</span>
            <span class="class-meta">{ format!("{} · {} · {}{}", c.provisioner, c.binding_mode, c.reclaim, if c.expandable { " · expandable" } else { "" }) }</span>
        </li>
    });
    let driver_buttons = crate::engine::bootstrap::DEFAULT_DRIVERS.iter().map(|d| {
        let installed = !drivers.iter().any(|m| m == d);
        let cmd = format!("cluster driver {} {d}", if installed { "uninstall" } else { "install" });
        let act = act.clone();
        let c2 = cmd.clone();
        html! { <button class={classes!("chip", (!installed).then_some("off"))} title={cmd.clone()} onclick={Callback::from(move |_| act.emit(c2.clone()))}>{ format!("{}{d}", if installed { "✓ " } else { "✗ " }) }</button> }
    });
    let next_node = {
        let n = s.page.cluster().world.machines.len();
        let letters = "abcdefghijklmnopqrstuvwxyz";
        let mut name = String::new();
        for i in n..n + 26 {
            let cand = format!("node-{}", letters.chars().nth(i % 26).unwrap_or('x'));
            if !s.page.cluster().world.machines.contains_key(&cand) {
                name = cand;
                break;
            }
        }
        name
    };
    let add_node = {
        let act = act.clone();
        let cmd = format!("cluster node add {next_node}");
        Callback::from(move |_| act.emit(cmd.clone()))
    };
    let lesson_props_progress = s.lesson.clone();
    let on_lesson_start = {
        let shared = shared.clone();
        let redraw = redraw.clone();
        Callback::from(move |id: String| {
            let fresh = shared.borrow().page.cluster().log().iter().all(|i| matches!(i, crate::engine::cluster::Input::Advance { .. }));
            let ok = fresh
                || shared.borrow().mode.embed
                || web_sys::window()
                    .and_then(|w| w.confirm_with_message("A lesson starts on a fresh cluster. Discard this session's cluster (your editor text stays)?").ok())
                    .unwrap_or(false);
            if ok {
                let mut s = shared.borrow_mut();
                s.page.reset();
                s.lesson = Some(Progress { lesson: id, ..Default::default() });
                s.refresh_map();
                s.save();
                drop(s);
                redraw.force_update();
            }
        })
    };
    let on_lesson_step = {
        let shared = shared.clone();
        let redraw = redraw.clone();
        Callback::from(move |answer: Option<usize>| {
            {
                let mut s = shared.borrow_mut();
                if let Some(p) = s.lesson.take() {
                    let p = run_step(&mut s.page, p, answer);
                    s.lesson = Some(p);
                }
                s.refresh_map();
                s.save();
            }
            redraw.force_update();
        })
    };
    let on_lesson_leave = {
        let shared = shared.clone();
        let redraw = redraw.clone();
        Callback::from(move |_: ()| {
            shared.borrow_mut().lesson = None;
            redraw.force_update();
        })
    };
    let on_share = {
        let shared = shared.clone();
        let redraw = redraw.clone();
        Callback::from(move |_: MouseEvent| {
            let mut s = shared.borrow_mut();
            let frag = crate::ui::share::encode(&s.page.save(), Some(s.page.elapsed()));
            let Some(w) = web_sys::window() else { return };
            let loc = w.location();
            let base = format!("{}{}", loc.origin().unwrap_or_default(), loc.pathname().unwrap_or_default());
            let link = format!("{base}#{frag}");
            let _ = w.navigator().clipboard().write_text(&link);
            s.shared_link = Some(link);
            drop(s);
            redraw.force_update();
        })
    };
    let on_export = with(|s| s.export_open = !s.export_open);
    let shared_link = s.shared_link.clone();
    let close_share = with(|s| s.shared_link = None);
    let export_panel = if s.export_open {
        let script = crate::ui::export::shell_script(&s.page.console, s.page.cluster());
        let kind = crate::ui::export::kind_config(s.page.cluster());
        let href = |mime: &str, text: &str| format!("data:{mime};charset=utf-8,{}", js_sys::encode_uri_component(text));
        html! {
            <section class="export" aria-label="Export to a real cluster">
                <div class="pane-head"><h2>{"Take it to a real cluster"}</h2><button onclick={on_export.clone()}>{"Close"}</button></div>
                <p>{"The session as kubectl commands with the manifests inline, and a kind cluster shaped like this one (a worker per node, labelled with its zone). Run "}<code>{"CREATE_CLUSTER=1 bash kubarium-session.sh"}</code>{" to create the kind cluster first."}</p>
                <p><a download="kubarium-session.sh" href={href("text/x-shellscript", &script)}>{"Download kubarium-session.sh"}</a>{" · "}<a download="kind.yaml" href={href("application/yaml", &kind)}>{"Download kind.yaml"}</a></p>
                <pre class="export-script" tabindex="0">{ script }</pre>
            </section>
        }
    } else {
        html! {}
    };
    let notice = s.notice.clone();
    let embed = s.mode.embed;
    let full_url =
        web_sys::window().and_then(|w| w.location().href().ok()).unwrap_or_default().replace("?embed&", "?").replace("?embed", "").replace("&embed", "");
    let dismiss = with(|s| s.notice = None);
    let map = s.map.clone();
    let layout = s.layout.clone();
    let selected = page.selected.clone();
    let cands = (*candidates).clone();

    html! {
        <div class={classes!("app", embed.then_some("embed"))}>
            <header class="topbar">
                <h1><img src="favicon.svg" alt="" width="22" height="22" />{"Kubarium"}</h1>
                <div class="timebar" role="group" aria-label="Simulated time">
                    <button class="primary" onclick={on_play} aria-pressed={page.playing.to_string()} title="Play or pause simulated time">{ if page.playing { "Pause" } else { "Play" } }</button>
                    <button onclick={on_step} title="Jump to the next thing that happens">{"Step"}</button>
                    <label class="speed">{"Speed "}
                        <select onchange={on_speed} aria-label="Speed">
                            { for [Speed::X1, Speed::X10, Speed::X100].iter().map(|sp| html!{ <option value={sp.label()} selected={*sp == speed}>{ sp.label() }</option> }) }
                        </select>
                    </label>
                    <button onclick={on_settle} title="Run until nothing is pending">{"Settle"}</button>
                    <span class="clock" aria-label="Simulated time since start">{ format!("t = {}", clock(elapsed)) }</span>
                    <input class="scrub" type="range" min="0" max={head.max(1).to_string()} step="100" value={elapsed.to_string()} onchange={on_scrub}
                           aria-label="Timeline: drag back to any earlier moment" title="Timeline: go back to any earlier moment, then play or act to branch" />
                    if in_past { <span class="past">{ format!("viewing {} of {} — acting now branches", clock(elapsed), clock(head)) }</span> }
                </div>
                if !embed { <button onclick={on_share} title="Copy a link that replays this session exactly">{"Share"}</button> }
                if !embed { <button onclick={on_export} title="A script and a kind config to repeat this on a real cluster">{"Export"}</button> }
                if !embed { <a class="open-full" href="?compare" title="The same database as a Deployment and as a StatefulSet, side by side">{"Compare Deployment vs StatefulSet"}</a> }
                if embed {
                    <a class="open-full" href={full_url} target="_blank" rel="noopener">{"Open in Kubarium ↗"}</a>
                } else {
                    <button class="danger" onclick={on_reset}>{"Reset"}</button>
                }
            </header>
            if let Some(n) = notice { <div class="notice" role="alert">{ n }<button onclick={dismiss}>{"Dismiss"}</button></div> }
            if let Some(link) = shared_link {
                <div class="notice share" role="status">
                    <span>{"Link copied. Anyone who opens it sees this session replayed exactly:"}</span>
                    <input class="share-link" type="text" readonly=true value={link.clone()} aria-label="Share link" />
                    <span>{"Embed snippet:"}</span>
                    <input class="embed-snippet" type="text" readonly=true aria-label="Embed snippet"
                           value={format!("<iframe src=\"{}\" width=\"100%\" height=\"560\" title=\"Kubarium\"></iframe>", link.replacen('#', "?embed#", 1))} />
                    <button onclick={close_share}>{"Close"}</button>
                </div>
            }
            { export_panel }
            <main class="workspace">
                <section class="pane editor-pane" aria-label="YAML editor">
                    <div class="pane-head">
                        <select class="examples" onchange={on_example} aria-label="Examples">
                            <option value="" selected=true>{"Examples from the tutorials…"}</option>
                            { examples_menu }
                        </select>
                        <button class="primary" onclick={on_apply} title="kubectl apply -f - (Ctrl/Cmd+Enter)">{"Apply"}</button>
                    </div>
                    <div class="editor" ref={editor_ref}></div>
                    <div class="diags" aria-live="polite">
                        { for page.diags.iter().map(|d| html!{ <div class={classes!("diag", d.severity.as_str())}>{ format!("line {}:{}: {}", d.line, d.col, d.message) }</div> }) }
                    </div>
                </section>
                <section class="pane map-pane" aria-label="Cluster map">
                    <div class="pane-head">
                        <h2>{"Cluster"}</h2>
                        <button onclick={add_node} title={format!("cluster node add {next_node}")}>{ format!("+ Add {next_node}") }</button>
                    </div>
                    <div class="map-scroll">
                        <ClusterMap model={map} layout={layout} selected={selected} on_select={on_select} />
                    </div>
                    <div class="storage">
                        <ul class="classes" aria-label="Storage classes">{ for classes_html }</ul>
                        <details class="drivers-box">
                            <summary>{ if drivers.is_empty() { "Storage drivers: all installed".to_string() } else { format!("Storage drivers: {} uninstalled", drivers.len()) } }</summary>
                            <div class="drivers">{ for driver_buttons }</div>
                        </details>
                    </div>
                </section>
                <section class="pane side-pane" aria-label="Details">
                    <div class="tabs" role="tablist">
                        { tab("lessons", "Lessons") }
                        { tab("inspect", "Inspect") }
                        { tab("resources", "Resources") }
                        { tab("events", "Events") }
                    </div>
                    <div class="side-body">
                        if *side_tab == "lessons" { <Lessons progress={lesson_props_progress} on_start={on_lesson_start} on_step={on_lesson_step} on_leave={on_lesson_leave} /> }
                        if *side_tab == "inspect" { { inspector } }
                        if *side_tab == "resources" { { resources } }
                        if *side_tab == "events" { { events_html } }
                    </div>
                </section>
                <section class="pane console-pane" aria-label="Console">
                    <div class="console-out" role="log" aria-label="Console output" ref={console_ref}>
                        <div class="entry hint">{"kubectl and cluster commands run here (Tab completes, ↑ ↓ history). Try: kubectl get pods -o wide · cluster node stop node-b · cluster help"}</div>
                        { for console_html }
                    </div>
                    if !cands.is_empty() { <div class="cands">{ cands.join("  ") }</div> }
                    <div class="prompt">
                        <span aria-hidden="true">{"$"}</span>
                        <input type="text" value={(*console_in).clone()} oninput={on_console_input} onkeydown={on_console_key}
                               aria-label="Command" placeholder="kubectl get pods" spellcheck="false" autocomplete="off" />
                    </div>
                </section>
            </main>
            <div class="sr-only" aria-live="polite">{ latest_event }</div>
        </div>
    }
}

/// The inspector: why / describe / YAML of the selection, and its actions.
fn inspector(shared: &S, tab: &UseStateHandle<String>, act: &Callback<String>, param: &UseStateHandle<String>) -> Html {
    let sel = shared.borrow().page.selected.clone();
    let Some(sel) = sel else {
        return html! { <p class="empty">{"Click a node, pod, claim or volume on the map to see what it is, why it is in that state, and what you can do with it."}</p> };
    };
    let kind = sel.kind;
    let info = kind.info();
    let name = sel.name.clone();
    let ns = sel.namespace.clone();
    let nsflag = if kind.namespaced() && ns != "default" { format!(" -n {ns}") } else { String::new() };
    let exists = shared.borrow().page.cluster().api.store.list(kind).any(|o| o.meta().name == name && (!kind.namespaced() || o.meta().namespace == ns));
    let body = match tab.as_str() {
        "describe" => shared.borrow_mut().page.peek(&format!("kubectl describe {} {name}{nsflag}", info.singular)),
        "yaml" => shared.borrow_mut().page.peek(&format!("kubectl get {} {name}{nsflag} -o yaml", info.singular)),
        _ => why::explain(shared.borrow().page.cluster(), kind, &ns, &name).join("\n\n"),
    };
    let mut actions: Vec<(String, String)> = vec![];
    let s = shared.borrow();
    let c = s.page.cluster();
    match kind {
        Kind::Pod => {
            actions.push(("Delete".into(), format!("kubectl delete pod {name}{nsflag}")));
            actions.push(("Force delete".into(), format!("kubectl delete pod {name}{nsflag} --force --grace-period=0")));
            if let Some((w, r)) = data_commands(c, &ns, &name, &clock(s.page.elapsed())) {
                actions.push(("Write data".into(), w));
                actions.push(("Read data".into(), r));
            }
            actions.push(("Logs".into(), format!("kubectl logs {name}{nsflag}")));
            if let Some(owner) = c.api.get_t::<Pod>(&ns, &name).and_then(|p| p.metadata.controller_ref().cloned()) {
                let (k, n) = if owner.kind == "ReplicaSet" {
                    c.api
                        .get_t::<ReplicaSet>(&ns, &owner.name)
                        .and_then(|rs| rs.metadata.controller_ref().cloned())
                        .map(|d| ("deployment".to_string(), d.name))
                        .unwrap_or(("replicaset".into(), owner.name.clone()))
                } else {
                    (owner.kind.to_ascii_lowercase(), owner.name.clone())
                };
                actions.push((format!("Select its {k}"), format!("select:{k}:{n}")));
            }
        }
        Kind::Node => {
            let powered = c.world.is_powered(&name);
            actions.push(if powered {
                ("Stop (power off)".into(), format!("cluster node stop {name}"))
            } else {
                ("Start (power on)".into(), format!("cluster node start {name}"))
            });
            let cordoned = c.api.get_t::<Node>("", &name).is_some_and(|n| n.spec.unschedulable);
            actions.push(if cordoned { ("Uncordon".into(), format!("kubectl uncordon {name}")) } else { ("Cordon".into(), format!("kubectl cordon {name}")) });
            actions.push(("Drain".into(), format!("kubectl drain {name} --ignore-daemonsets --delete-emptydir-data")));
            actions.push(("Taint out-of-service".into(), format!("kubectl taint nodes {name} node.kubernetes.io/out-of-service=nodeshutdown:NoExecute")));
            actions.push(("Delete the Node object".into(), format!("kubectl delete node {name}")));
        }
        Kind::PersistentVolumeClaim => {
            actions.push(("Delete".into(), format!("kubectl delete pvc {name}{nsflag}")));
        }
        Kind::PersistentVolume => {
            actions.push(("Delete".into(), format!("kubectl delete pv {name}")));
            if c.api.get_t::<PersistentVolume>("", &name).is_some_and(|p| p.status.phase == "Released") {
                actions.push((
                    "Make Available (remove claimRef)".into(),
                    format!("kubectl patch pv {name} --type=json -p=[{{\"op\":\"remove\",\"path\":\"/spec/claimRef\"}}]"),
                ));
            }
        }
        Kind::Deployment | Kind::StatefulSet => {
            let w = info.singular;
            actions.push(("Rollout restart".into(), format!("kubectl rollout restart {w} {name}{nsflag}")));
            actions.push(("Rollout undo".into(), format!("kubectl rollout undo {w} {name}{nsflag}")));
            actions.push(("Rollout status".into(), format!("kubectl rollout status {w} {name}{nsflag} --watch=false")));
            actions.push(("Delete".into(), format!("kubectl delete {w} {name}{nsflag}")));
            actions.push(("Delete, orphan pods".into(), format!("kubectl delete {w} {name}{nsflag} --cascade=orphan")));
        }
        _ => {}
    }
    // Parameterised actions.
    let replicas = match kind {
        Kind::Deployment => c.api.get_t::<Deployment>(&ns, &name).and_then(|d| d.spec.replicas),
        Kind::StatefulSet => c.api.get_t::<StatefulSet>(&ns, &name).and_then(|d| d.spec.replicas),
        _ => None,
    };
    let image = match kind {
        Kind::Deployment => {
            c.api.get_t::<Deployment>(&ns, &name).and_then(|d| d.spec.template.spec.containers.first().map(|x| (x.name.clone(), x.image.clone())))
        }
        Kind::StatefulSet => {
            c.api.get_t::<StatefulSet>(&ns, &name).and_then(|d| d.spec.template.spec.containers.first().map(|x| (x.name.clone(), x.image.clone())))
        }
        _ => None,
    };
    let size = if kind == Kind::PersistentVolumeClaim {
        c.api.get_t::<PersistentVolumeClaim>(&ns, &name).and_then(|p| p.spec.resources.requests.get("storage").map(|q| q.to_string()))
    } else {
        None
    };
    drop(s);
    let tab_btn = |id: &'static str, label: &'static str| {
        let tab = tab.clone();
        let active = tab.as_str() == id;
        html! { <button role="tab" aria-selected={active.to_string()} class={classes!("tab", active.then_some("active"))} onclick={Callback::from(move |_| tab.set(id.to_string()))}>{ label }</button> }
    };
    let run_or_select = {
        let act = act.clone();
        let shared = shared.clone();
        let ns = ns.clone();
        move |cmd: String| {
            if let Some(rest) = cmd.strip_prefix("select:") {
                let (k, n) = rest.split_once(':').unwrap_or((rest, ""));
                if let Some(kind) = Kind::lookup(k) {
                    shared.borrow_mut().page.selected = Some(Selection { kind, namespace: ns.clone(), name: n.to_string() });
                }
                act.emit("kubectl get pods".into());
            } else {
                act.emit(cmd);
            }
        }
    };
    let buttons = actions.into_iter().map(|(label, cmd)| {
        let run = run_or_select.clone();
        let c2 = cmd.clone();
        let danger = label.starts_with("Delete") || label.starts_with("Force") || label.starts_with("Stop");
        html! { <button class={classes!("action", danger.then_some("danger"))} title={cmd.clone()} onclick={Callback::from(move |_| run(c2.clone()))}>{ label }</button> }
    });
    let on_param = {
        let param = param.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(i) = e.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()) {
                param.set(i.value());
            }
        })
    };
    let param_form = |label: &str, placeholder: String, make: Box<dyn Fn(&str) -> String>| {
        let act = act.clone();
        let param = param.clone();
        let value = (*param).clone();
        let preview = make(if value.is_empty() { &placeholder } else { &value });
        let p2 = placeholder.clone();
        html! {
            <div class="param">
                <label>{ label }{" "}<input type="text" value={value} placeholder={placeholder} oninput={on_param.clone()} /></label>
                <button class="action" title={preview.clone()} onclick={Callback::from(move |_| { let v = (*param).clone(); act.emit(make(if v.is_empty() { &p2 } else { &v })); param.set(String::new()); })}>{"Run"}</button>
                <code class="preview">{ preview }</code>
            </div>
        }
    };
    let w = info.singular.to_string();
    let params = html! {
        <>
            if let Some(r) = replicas {
                { {
                    let (w, name, nsflag) = (w.clone(), name.clone(), nsflag.clone());
                    param_form("Scale to", (r + 1).to_string(), Box::new(move |v| format!("kubectl scale {w} {name}{nsflag} --replicas={v}")))
                } }
            }
            if let Some((ctr, img)) = image.clone() {
                { {
                    let (w, name, nsflag) = (w.clone(), name.clone(), nsflag.clone());
                    param_form("Set image", img, Box::new(move |v| format!("kubectl set image {w}/{name}{nsflag} {ctr}={v}")))
                } }
            }
            if let Some(sz) = size.clone() {
                { {
                    let (name, nsflag) = (name.clone(), nsflag.clone());
                    param_form("Expand to", sz, Box::new(move |v| format!("kubectl patch pvc {name}{nsflag} -p {{\"spec\":{{\"resources\":{{\"requests\":{{\"storage\":\"{v}\"}}}}}}}}")))
                } }
            }
        </>
    };
    html! {
        <div class="inspector">
            <h2>{ format!("{} {}", info.kind, name) }{ if !exists { html!{ <span class="badge gone">{"gone"}</span> } } else { html!{} } }</h2>
            <div class="actions">{ for buttons }</div>
            { params }
            <div class="tabs" role="tablist">
                { tab_btn("why", "Why?") }
                { tab_btn("describe", "Describe") }
                { tab_btn("yaml", "YAML") }
            </div>
            <pre class={classes!("inspect-body", (tab.as_str() == "why").then_some("prose"))} tabindex="0">{ body }</pre>
        </div>
    }
}

/// Mounts the page on `<body>`.
pub fn start() {
    yew::Renderer::<Root>::new().render();
}

/// `?compare`: the same PostgreSQL as a Deployment and as a StatefulSet on
/// two identical clusters, driven by the same buttons.
#[function_component(CompareView)]
fn compare_view() -> Html {
    use crate::ui::compare::{Action, Compare};
    let cmp = use_mut_ref(Compare::new);
    let redraw = use_force_update();
    let playing = use_mut_ref(|| true);
    {
        let cmp = cmp.clone();
        let redraw = redraw.clone();
        let playing = playing.clone();
        use_effect_with((), move |_| {
            let iv = Interval::new(TICK_MS, move || {
                if *playing.borrow() {
                    if let Ok(mut c) = cmp.try_borrow_mut() {
                        c.tick(TICK_MS as f64 * 10.0);
                    }
                    redraw.force_update();
                }
            });
            move || drop(iv)
        });
    }
    let actions = [Action::Write, Action::Scale(3), Action::DeletePod, Action::Read, Action::StopNode, Action::StartNodes, Action::Scale(1)];
    let buttons = actions.iter().map(|a| {
        let cmp = cmp.clone();
        let redraw = redraw.clone();
        let a = *a;
        html! { <button class="action" onclick={Callback::from(move |_| { cmp.borrow_mut().act(a); redraw.force_update(); })}>{ a.label() }</button> }
    });
    let on_play = {
        let playing = playing.clone();
        let redraw = redraw.clone();
        Callback::from(move |_: MouseEvent| {
            let p = !*playing.borrow();
            *playing.borrow_mut() = p;
            redraw.force_update();
        })
    };
    let c = cmp.borrow();
    let side = |title: &str, page: &Page, yaml: &str| {
        let m = MapModel::from_cluster(page.cluster());
        let l = Layout::of(&m);
        let last: Vec<Html> = page
            .console
            .iter()
            .rev()
            .take(4)
            .rev()
            .map(|e| {
                html! {
                    <div class={classes!("entry", (e.exit_code != 0).then_some("failed"))}>
                        <div class="cmdline"><span class="at">{ clock(e.at) }</span>{ " $ " }{ &e.command }</div>
                        if !e.output.is_empty() && e.command != "kubectl apply -f -" { <pre class="out">{ &e.output }</pre> }
                    </div>
                }
            })
            .collect();
        html! {
            <section class="pane compare-side" aria-label={title.to_string()}>
                <div class="pane-head"><h2>{ title }</h2></div>
                <div class="map-scroll"><ClusterMap model={Rc::new(m)} layout={Rc::new(l)} selected={None::<Selection>} on_select={Callback::from(|_| ())} /></div>
                <details class="compare-yaml"><summary>{"Manifest"}</summary><pre>{ yaml }</pre></details>
                <div class="console-out compare-log" role="log">{ for last }</div>
            </section>
        }
    };
    html! {
        <div class="app compare">
            <header class="topbar">
                <h1><img src="favicon.svg" alt="" width="22" height="22" />{"Kubarium: Deployment vs StatefulSet"}</h1>
                <div class="timebar">
                    <button class="primary" onclick={on_play}>{ if *playing.borrow() { "Pause" } else { "Play" } }</button>
                    <span class="clock">{ format!("t = {} (10x)", clock(c.statefulset.elapsed())) }</span>
                    { for buttons }
                </div>
            </header>
            <main class="compare-grid">
                { side("Deployment: one claim shared by every replica", &c.deployment, crate::ui::compare::DEPLOYMENT) }
                { side("StatefulSet: one claim per replica (volumeClaimTemplates)", &c.statefulset, crate::ui::compare::STATEFULSET) }
            </main>
        </div>
    }
}

#[function_component(Root)]
fn root() -> Html {
    let compare = web_sys::window().and_then(|w| w.location().search().ok()).is_some_and(|s| s.contains("compare"));
    if compare {
        html! { <CompareView /> }
    } else {
        html! { <App /> }
    }
}
