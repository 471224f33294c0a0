//! What the page draws, from [`Ui`]: the top bar, the timeline, the
//! editor, the map, the side panel, the console and the dialogs. Every
//! handler only sends a [`Msg`]; nothing here changes state.

use crate::ui::app::App;
use crate::ui::app_inspector::inspector;
use crate::ui::app_lessons::{lessons_panel, start_panel};
use crate::ui::app_map::ClusterMap;
use crate::ui::examples;
use crate::ui::state::{Speed, clock};
use crate::ui::update::{Dialog, Key, MarkerKind, Msg, NoticeAction, SideTab, Ui, console_keeps, ids};
use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::html::Scope;
use yew::prelude::*;

pub fn input_value(e: &Event) -> String {
    e.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()).map(|i| i.value()).unwrap_or_default()
}

pub fn select_value(e: &Event) -> String {
    e.target().and_then(|t| t.dyn_into::<HtmlSelectElement>().ok()).map(|i| i.value()).unwrap_or_default()
}

pub fn view(ui: &Ui, link: &Scope<App>, editor_ref: &NodeRef) -> Html {
    let embed = ui.mode.embed;
    let show = &ui.mode.show;
    let no = |on: bool, cls: &'static str| (!on).then_some(cls);
    html! {
        <div class={classes!("app", embed.then_some("embed"), ui.lesson.is_some().then_some("in-lesson"),
                             no(show.map, "no-map"), no(show.side, "no-side"), no(show.console, "no-console"))}>
            if show.any_control() || !embed { { topbar(ui, link) } }
            if show.timeline { { timeline(ui, link) } }
            { notices(ui, link) }
            <main class="workspace">
                if !embed { { editor_pane(ui, link, editor_ref) } }
                if show.map { { map_pane(ui, link) } }
                if show.side { { side_pane(ui, link) } }
                if show.console { { console_pane(ui, link) } }
            </main>
            { dialog(ui, link) }
            <div class="sr-only" aria-live="polite">{ &ui.announce }</div>
        </div>
    }
}

fn topbar(ui: &Ui, link: &Scope<App>) -> Html {
    let page = &ui.page;
    let embed = ui.mode.embed;
    let frozen = ui.question_open();
    let play_title = if frozen { "Time is stopped until you answer the lesson's question" } else { "Play or pause simulated time" };
    let show = &ui.mode.show;
    let open_full = if ui.mode.open_url.is_some() {
        // An element: the session goes along to the full page as a share link.
        html! { <button class="open-full" onclick={link.callback(|_| Msg::OpenFull)} title="Open this session in the full Kubarium page">{"Open in Kubarium ↗"}</button> }
    } else {
        let full_url =
            web_sys::window().and_then(|w| w.location().href().ok()).unwrap_or_default().replace("?embed&", "?").replace("?embed", "").replace("&embed", "");
        html! { <a class="open-full" href={full_url} target="_blank" rel="noopener">{"Open in Kubarium ↗"}</a> }
    };
    html! {
        <header class="topbar">
            <h1><img src={ui.mode.logo.clone().unwrap_or_else(|| "favicon.svg".into())} alt="" width="22" height="22" />{"Kubarium"}</h1>
            <div class="controls" role="group" aria-label="Simulated time">
                if show.play {
                    <button class="primary play" onclick={link.callback(|_| Msg::TogglePlay)} aria-pressed={page.playing.to_string()}
                            disabled={frozen} title={play_title}>{ if page.playing { "Pause" } else { "Play" } }</button>
                }
                if show.step {
                    <button onclick={link.callback(|_| Msg::Step)} disabled={frozen} title="Jump to the next thing that happens">{"Step"}</button>
                }
                if show.speed {
                    <label class="speed">{"Speed "}
                        <select onchange={link.callback(|e: Event| Msg::SetSpeed(match select_value(&e).as_str() { "10x" => Speed::X10, "100x" => Speed::X100, _ => Speed::X1 }))} aria-label="Speed">
                            { for [Speed::X1, Speed::X10, Speed::X100].iter().map(|sp| html!{ <option value={sp.label()} selected={*sp == page.speed}>{ sp.label() }</option> }) }
                        </select>
                    </label>
                }
                if show.settle {
                    <button onclick={link.callback(|_| Msg::Settle)} disabled={frozen} title="Run until nothing more happens">{"Settle"}</button>
                }
                <span class="clock" aria-label="Simulated time since start">{ format!("t = {}", clock(page.elapsed())) }</span>
                if page.behind && page.playing {
                    <span class="behind" title="The cluster has more work than a frame can do: simulated time runs slower than the chosen speed, and the page stays responsive">{"engine busy: slower than "}{ page.speed.label() }</span>
                }
            </div>
            <nav class="tools" aria-label="Session">
                if !embed {
                    <button onclick={link.callback(|_| Msg::Open(Dialog::Share(String::new())))} title="Copy a link that replays this session exactly">{"Share"}</button>
                    <button onclick={link.callback(|_| Msg::Open(Dialog::Export))} title="A script and a kind config to repeat this on a real cluster">{"Export"}</button>
                    <a class="open-full" href="?compare" title="The same database as a Deployment and as a StatefulSet, side by side">{"Compare"}</a>
                    <button class="danger" onclick={link.callback(|_| Msg::Open(Dialog::ConfirmReset))}>{"Reset"}</button>
                } else if show.open {
                    { open_full }
                }
            </nav>
        </header>
    }
}

/// The timeline: the whole recorded session, marks for what happened
/// (click one to go there), a handle to drag (the map follows while
/// dragging), and what acting in the past will do.
fn timeline(ui: &Ui, link: &Scope<App>) -> Html {
    let page = &ui.page;
    let head = page.head().max(1);
    let now = ui.scrub_pending.unwrap_or_else(|| page.elapsed());
    let pct = |at: i64| (at as f64 / head as f64 * 100.0).clamp(0.0, 100.0);
    let in_past = page.future.is_some();
    let frozen = ui.question_open();
    let marks = ui.markers.iter().map(|m| {
        let at = m.at;
        let cls = match m.kind {
            MarkerKind::Change => "m-change",
            MarkerKind::Delete => "m-delete",
            MarkerKind::Node => "m-node",
            MarkerKind::Warning => "m-warning",
            MarkerKind::Death => "m-death",
        };
        let label = format!("{}: {}", clock(at), m.label);
        html! {
            <button class={classes!("mark", cls, (at > page.elapsed()).then_some("future"))} style={format!("left: {:.3}%", pct(at))}
                    title={label.clone()} aria-label={label} disabled={frozen}
                    onclick={link.callback(move |_| Msg::JumpTo(at))}></button>
        }
    });
    html! {
        <div class={classes!("timeline", in_past.then_some("past"))} role="group" aria-label="Timeline">
            <div class="track">
                <div class="rail"></div>
                <div class="played" style={format!("width: {:.3}%", pct(now))}></div>
                <div class="marks">{ for marks }</div>
                <input class="scrub" type="range" min="0" max={head.to_string()} step="100" value={now.to_string()} disabled={frozen}
                       oninput={link.callback(|e: InputEvent| Msg::ScrubPreview(e.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()).and_then(|i| i.value().parse().ok()).unwrap_or(0)))}
                       onchange={link.callback(|e: Event| Msg::JumpTo(input_value(&e).parse().unwrap_or(0)))}
                       aria-label="Timeline: go back to any earlier moment" aria-valuetext={clock(now)} />
            </div>
            <div class="time-scale">
                <span>{"0s"}</span>
                if in_past {
                    <span class="past-note">{ format!("Looking back at {} of {}: Play replays the recording; acting now starts a new branch from here.", clock(now), clock(head)) }</span>
                } else {
                    <span class="legend">
                        <i class="mark m-change"></i>{"changes "}<i class="mark m-node"></i>{"nodes "}<i class="mark m-delete"></i>{"deletions "}<i class="mark m-death"></i>{"pods and nodes lost "}<i class="mark m-warning"></i>{"warnings"}
                    </span>
                }
                <span>{ clock(page.head()) }</span>
            </div>
        </div>
    }
}

fn notices(ui: &Ui, link: &Scope<App>) -> Html {
    html! {
        <div class="notices">
            { for ui.notices.iter().enumerate().map(|(i, n)| {
                let action = n.action.map(|a| {
                    let label = match a {
                        NoticeAction::UndoBranch => "Undo",
                        NoticeAction::DownloadSession => "Download the session",
                        NoticeAction::TakeOver => "Save this tab's session instead",
                        NoticeAction::DownloadDamaged => "Download the damaged save",
                    };
                    html! { <button class="primary" onclick={link.callback(move |_| Msg::Notice(a))}>{ label }</button> }
                });
                html! {
                    <div class="notice" role="status">
                        <span>{ &n.text }</span>
                        { action.unwrap_or_default() }
                        <button onclick={link.callback(move |_| Msg::DismissNotice(i))} aria-label="Dismiss this notice">{"Dismiss"}</button>
                    </div>
                }
            }) }
        </div>
    }
}

fn editor_pane(ui: &Ui, link: &Scope<App>, editor_ref: &NodeRef) -> Html {
    let examples_menu = examples::cached()
        .iter()
        .map(|ex| {
            let opts = ex.manifests.iter().enumerate().map(|(i, m)| html! { <option value={format!("{}#{i}", ex.id)}>{ &m.label }</option> });
            html! {
                <optgroup label={ex.title.clone()}>
                    <option value={format!("{}#all", ex.id)}>{ format!("All of: {}", ex.title) }</option>
                    { for opts }
                </optgroup>
            }
        })
        .collect::<Html>();
    let on_example = link.batch_callback(|e: Event| {
        let v = select_value(&e);
        if let Some(t) = e.target().and_then(|t| t.dyn_into::<HtmlSelectElement>().ok()) {
            t.set_value("");
        }
        (!v.is_empty()).then_some(Msg::Example(v))
    });
    html! {
        <section class="pane editor-pane" aria-label="YAML editor">
            <div class="pane-head">
                <label class="examples-label">
                    <span>{"Examples"}</span>
                    <select class="examples" onchange={on_example} aria-label="Load an example into the editor">
                        <option value="" selected=true>{"Load an example…"}</option>
                        { examples_menu }
                    </select>
                </label>
                <button class="primary" onclick={link.callback(|_| Msg::Apply)} title="kubectl apply -f - (Ctrl/Cmd+Enter)">{"Apply"}</button>
            </div>
            <p class="hint" id="editor-hint">{"Ctrl+Enter applies · Tab indents · Esc then Tab moves on"}</p>
            <div class="editor" ref={editor_ref.clone()}>
                if !ui.editor_ready { <p class="editor-loading">{"Loading the editor…"}</p> }
            </div>
            <div class="diags" aria-live="polite">
                { for ui.page.diags.iter().map(|d| html!{ <div class={classes!("diag", d.severity.as_str())}>{ format!("line {}:{}: {}", d.line, d.col, d.message) }</div> }) }
            </div>
        </section>
    }
}

fn map_pane(ui: &Ui, link: &Scope<App>) -> Html {
    let next = ui.next_node_name();
    let add = format!("cluster node add {next}");
    let add2 = add.clone();
    let drivers = &ui.map.missing_drivers;
    let classes_html = ui.map.classes.iter().map(|c| {
        html! {
            <li class="class" data-class={c.name.clone()}>
                <span class="class-name">{ &c.name }{ if c.default { html!{<span class="badge">{"default"}</span>} } else { html!{} } }</span>
                <span class="class-meta">{ format!("{} · {} · {}{}", c.provisioner, c.binding_mode, c.reclaim, if c.expandable { " · expandable" } else { "" }) }</span>
            </li>
        }
    });
    let driver_buttons = crate::engine::bootstrap::DEFAULT_DRIVERS.iter().map(|d| {
        let installed = !drivers.iter().any(|m| m == d);
        let cmd = format!("cluster driver {} {d}", if installed { "uninstall" } else { "install" });
        let c2 = cmd.clone();
        html! { <button class={classes!("chip", (!installed).then_some("off"))} title={cmd} onclick={link.callback(move |_| Msg::Run(c2.clone()))}>{ format!("{}{d}", if installed { "✓ " } else { "✗ " }) }</button> }
    });
    html! {
        <section class="pane map-pane" aria-label="Cluster map">
            <div class="pane-head">
                <h2>{"Cluster"}</h2>
                <button onclick={link.callback(move |_| Msg::Run(add2.clone()))} title={add}>{ format!("+ Add {next}") }</button>
            </div>
            <div class="map-scroll">
                <ClusterMap model={ui.map.clone()} layout={ui.layout.clone()} selected={ui.page.selected.clone()} on_select={link.callback(Msg::Select)} />
                if ui.waiting_to_start && ui.lesson.is_none() {
                    <div class="start-overlay"><button class="primary big" onclick={link.callback(|_| Msg::Start)}>{"▶ Start"}</button></div>
                }
            </div>
            <div class="storage">
                <h3>{"Storage classes"}</h3>
                <ul class="classes">{ for classes_html }</ul>
                <details class="drivers-box"><summary>{"Storage drivers (install / uninstall)"}</summary><div class="drivers">{ for driver_buttons }</div></details>
            </div>
        </section>
    }
}

fn side_pane(ui: &Ui, link: &Scope<App>) -> Html {
    let tab = |id: SideTab, label: &'static str| {
        let active = ui.side == id;
        html! { <button role="tab" aria-selected={active.to_string()} class={classes!("tab", active.then_some("active"))} onclick={link.callback(move |_| Msg::Side(id))}>{ label }</button> }
    };
    let body = match ui.side {
        SideTab::Start => start_panel(ui, link),
        SideTab::Inspect => inspector(ui, link),
        SideTab::Resources => resources(ui, link),
        SideTab::Events => events(ui),
        SideTab::Lessons => lessons_panel(ui, link),
    };
    html! {
        <section class="pane side-pane" aria-label="Details" id={ids::SIDE}>
            <div class="tabs" role="tablist">
                if !ui.mode.embed { { tab(SideTab::Start, "Start") } }
                { tab(SideTab::Lessons, "Lessons") }
                { tab(SideTab::Inspect, "Inspect") }
                { tab(SideTab::Resources, "Resources") }
                { tab(SideTab::Events, "Events") }
            </div>
            <div class="side-body">{ body }</div>
        </section>
    }
}

fn resources(ui: &Ui, link: &Scope<App>) -> Html {
    let kinds = ["pods", "deployments", "statefulsets", "replicasets", "pvc", "pv", "storageclasses", "nodes", "svc", "volumeattachments", "all"];
    html! {
        <div class="resources">
            <label>{"Show "}<select onchange={link.callback(|e: Event| Msg::Resource(select_value(&e)))} aria-label="Resource type">
                { for kinds.iter().map(|k| html!{ <option value={k.to_string()} selected={*k == ui.resource}>{ *k }</option> }) }
            </select></label>
            <code class="cmd">{ format!("$ {}", ui.resources_command()) }</code>
            <pre class="table" tabindex="0">{ &ui.views.resources }</pre>
        </div>
    }
}

fn events(ui: &Ui) -> Html {
    let now = ui.page.cluster().now();
    let rows = ui.page.events(150);
    if rows.is_empty() {
        return html! { <p class="empty">{"No events yet."}</p> };
    }
    html! {
        <table class="events">
            <colgroup><col class="c-age" /><col class="c-type" /><col class="c-reason" /><col class="c-object" /><col class="c-message" /></colgroup>
            <thead><tr><th>{"AGE"}</th><th>{"TYPE"}</th><th>{"REASON"}</th><th>{"OBJECT"}</th><th>{"MESSAGE"}</th></tr></thead>
            <tbody>
            { for rows.iter().map(|e| html!{
                <tr class={classes!(if e.type_ == "Warning" { "warn" } else { "normal" })}>
                    <td>{ crate::kubectl::printers::rows::age(Some(e.last), now) }</td>
                    <td>{ &e.type_ }</td><td>{ &e.reason }</td><td>{ &e.object }</td>
                    <td>{ &e.message }{ if e.count > 1 { format!(" (x{})", e.count) } else { String::new() } }</td>
                </tr>
            }) }
            </tbody>
        </table>
    }
}

fn console_pane(ui: &Ui, link: &Scope<App>) -> Html {
    let page = &ui.page;
    let elapsed = page.elapsed();
    let in_past = page.future.is_some();
    let entries = page.console.iter().map(|c| {
        let future = in_past && c.at > elapsed;
        html! {
            <div class={classes!("entry", (c.exit_code != 0).then_some("failed"), future.then_some("future"))}>
                <div class="cmdline"><span class="at">{ clock(c.at) }</span>{ " $ " }{ &c.command }</div>
                if !c.output.is_empty() { <pre class="out">{ &c.output }</pre> }
            </div>
        }
    });
    let prompt = ui.prompt.clone();
    let busy = ui.busy();
    let on_key = link.batch_callback(move |e: KeyboardEvent| {
        let k = Key { key: e.key(), shift: e.shift_key(), ctrl: e.ctrl_key() || e.meta_key() };
        if console_keeps(&prompt, &k, busy) {
            e.prevent_default();
        }
        let relevant = matches!(k.key.as_str(), "Enter" | "Tab" | "ArrowUp" | "ArrowDown" | "Escape") || (k.ctrl && (k.key == "c" || k.key == "C"));
        relevant.then_some(Msg::PromptKey(k))
    });
    html! {
        <section class="pane console-pane" aria-label="Console">
            <div class="console-out" id="console-out" role="log" aria-label="Console output">
                <div class="entry hint">{"kubectl and cluster commands run here. Tab completes, ↑ ↓ browse history, Ctrl+C stops a command or abandons the line, Esc then Tab (or Shift+Tab) leaves. Try: kubectl get pods -o wide · cluster node stop node-b · cluster help"}</div>
                { for entries }
                if let Some(p) = &page.pending {
                    <div class="entry running" aria-busy="true">
                        <div class="cmdline"><span class="at">{ clock(elapsed) }</span>{ " $ " }{ &p.line }</div>
                        if !p.output().is_empty() { <pre class="out">{ p.output() }</pre> }
                        <div class="waiting">{ if p.with_clock { if page.playing { "waiting, with the clock… Ctrl+C stops it" } else { "waiting (the clock is paused)… Ctrl+C stops it" } } else { "working through simulated time… Ctrl+C stops it" } }</div>
                    </div>
                }
            </div>
            if !ui.prompt.candidates.is_empty() { <div class="cands">{ ui.prompt.candidates.join("  ") }</div> }
            <div class="prompt">
                <span aria-hidden="true">{"$"}</span>
                <input type="text" id={ids::PROMPT} value={ui.prompt.line.clone()}
                       oninput={link.callback(|e: InputEvent| Msg::PromptInput(e.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()).map(|i| i.value()).unwrap_or_default()))}
                       onkeydown={on_key}
                       aria-label="Command" aria-describedby="console-keys" placeholder={if ui.busy() { "a command is running: Ctrl+C stops it" } else { "kubectl get pods" }} spellcheck="false" autocomplete="off" />
                <span class="sr-only" id="console-keys">{"Tab completes; Escape then Tab, or Shift+Tab, leaves the console."}</span>
            </div>
        </section>
    }
}

fn dialog(ui: &Ui, link: &Scope<App>) -> Html {
    let Some(d) = &ui.dialog else { return html! {} };
    let on_key = link.batch_callback(|e: KeyboardEvent| {
        (e.key() == "Escape").then(|| {
            e.prevent_default();
            Msg::CloseDialog
        })
    });
    let close = link.callback(|_| Msg::CloseDialog);
    let (title, body): (&str, Html) = match d {
        Dialog::Export => {
            let script = crate::ui::export::shell_script(&ui.page.console, ui.page.cluster());
            let kind = crate::ui::export::kind_config(ui.page.cluster());
            let href = |mime: &str, text: &str| format!("data:{mime};charset=utf-8,{}", js_sys::encode_uri_component(text));
            (
                "Take it to a real cluster",
                html! {
                    <>
                        <p>{"The session as kubectl commands with the manifests inline, and a kind cluster shaped like this one (a worker per node, labelled with its zone). Run "}<code>{"CREATE_CLUSTER=1 bash kubarium-session.sh"}</code>{" to create the kind cluster first."}</p>
                        <p><a download="kubarium-session.sh" href={href("text/x-shellscript", &script)}>{"Download kubarium-session.sh"}</a>{" · "}<a download="kind.yaml" href={href("application/yaml", &kind)}>{"Download kind.yaml"}</a></p>
                        <pre class="export-script" tabindex="0">{ script }</pre>
                    </>
                },
            )
        }
        Dialog::Share(link_text) => {
            let snippet = format!("<iframe src=\"{}\" width=\"100%\" height=\"600\" title=\"Kubarium\"></iframe>", link_text.replacen('#', "?embed#", 1));
            (
                "Share this session",
                html! {
                    <>
                        <p>{"The link is copied. Anyone who opens it sees this session replayed exactly, at this moment; nothing is uploaded (it is all in the link)."}</p>
                        <label class="field">{"Link"}<input class="share-link" type="text" readonly=true value={link_text.clone()} /></label>
                        <label class="field">{"Embed in a web page"}<input class="embed-snippet" type="text" readonly=true value={snippet} /></label>
                    </>
                },
            )
        }
        Dialog::ConfirmReset => (
            "Start again on a fresh cluster?",
            html! {
                <>
                    <p>{"Everything you did in this session is discarded (your editor text stays). Share or Export it first if you want to keep it."}</p>
                    <div class="dialog-actions">
                        <button onclick={link.callback(|_| Msg::CloseDialog)}>{"Keep my session"}</button>
                        <button class="danger" onclick={link.callback(|_| Msg::Reset)}>{"Discard and reset"}</button>
                    </div>
                </>
            },
        ),
    };
    html! {
        <div class="dialog-backdrop" onclick={link.callback(|_| Msg::CloseDialog)}>
            <section class="dialog" role="dialog" aria-modal="true" aria-labelledby={ids::DIALOG} onkeydown={on_key}
                     onclick={Callback::from(|e: MouseEvent| e.stop_propagation())}>
                <div class="pane-head"><h2 id={ids::DIALOG} tabindex="-1">{ title }</h2><button onclick={close}>{"Close"}</button></div>
                { body }
            </section>
        </div>
    }
}
