//! The Yew component: turns DOM events into [`Msg`]s, hands them to
//! [`Ui::update`] (the one place state changes, tested natively), draws
//! [`Ui`], and carries out the returned [`Effect`]s once the DOM is up to
//! date (focus, scrolling, the editor, the clipboard, localStorage).
//!
//! It is given its state as Properties ([`Shared`]): the full page reads
//! the URL and localStorage in [`start`]; a `<kubarium-cluster>` element
//! (`app_embed.rs`) builds its state from its attributes, shares it with
//! its JavaScript handle, and never touches the URL or localStorage.

use crate::ui::app_compare::CompareView;
use crate::ui::app_view;
use crate::ui::editor::Editor;
use crate::ui::embed::Watch;
use crate::ui::examples;
use crate::ui::state::Page;
use crate::ui::update::{Effect, Mode, Msg, Ui};
use gloo::events::EventListener;
use gloo::timers::callback::Interval;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use yew::html::Scope;
use yew::prelude::*;

pub const SESSION_KEY: &str = "kubarium.session.v1";
/// Which tab saves: the tab id of the last one that took over.
const OWNER_KEY: &str = "kubarium.session.owner";
const FRAME_MS: u32 = 100;
/// Autosave at most this often while the clock runs (frames).
const SAVE_EVERY: u64 = 50;

fn window() -> web_sys::Window {
    web_sys::window().expect("a browser window")
}

fn storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

fn now_ms() -> f64 {
    window().performance().map(|p| p.now()).unwrap_or(0.0)
}

/// Loads the session the URL asks for: a share link, a fresh cluster for
/// embeds and lessons, or the visitor's saved session. Returns the page,
/// a notice to show, whether this is a first visit, and a damaged save.
fn load(mode: &Mode) -> (Page, Option<String>, bool, bool) {
    if let Some(frag) = &mode.share {
        return match crate::ui::share::open(frag) {
            Ok(p) => {
                (p, Some("You opened a shared session: it was replayed exactly. Nothing you do here overwrites your own saved session.".into()), false, false)
            }
            Err(e) => (Page::new(), Some(format!("{e} A fresh cluster was started instead.")), false, false),
        };
    }
    if mode.embed || mode.lesson.is_some() {
        return (Page::new(), None, false, false);
    }
    match storage().and_then(|s| s.get_item(SESSION_KEY).ok().flatten()) {
        None => (Page::new(), None, true, false),
        Some(text) => match Page::restore_json(&text) {
            Ok(p) => (p, None, false, false),
            Err(e) => {
                let kept = storage().is_some_and(|s| s.set_item(&format!("{SESSION_KEY}.unreadable"), &text).is_ok());
                let _ = storage().map(|s| s.remove_item(SESSION_KEY));
                let where_ = if kept {
                    format!("it was kept aside (localStorage {SESSION_KEY}.unreadable) and you can download it")
                } else {
                    "it could not even be kept aside (storage is full), download it now".into()
                };
                (Page::new(), Some(format!("Your saved session could not be restored ({e}); {where_}. A fresh cluster was started.")), false, true)
            }
        },
    }
}

/// Offers `text` as a file download.
fn download(name: &str, mime: &str, text: &str) {
    let doc = window().document().expect("a document");
    let Ok(a) = doc.create_element("a") else { return };
    let href = format!("data:{mime};charset=utf-8,{}", js_sys::encode_uri_component(text));
    let _ = a.set_attribute("href", &href);
    let _ = a.set_attribute("download", name);
    if let Ok(a) = a.dyn_into::<web_sys::HtmlElement>() {
        a.click();
    }
}

/// The state the component draws, shared with an element's JavaScript
/// handle (which changes it between messages; never while a borrow is held).
pub struct Shared {
    pub ui: RefCell<Ui>,
    /// The `<kubarium-cluster>` element it is drawn in; `None`: the full
    /// page, which owns the window (URL, localStorage, width).
    pub host: Option<Host>,
    /// The page found a damaged save.
    pub damaged: bool,
}

/// Where an element's cluster lives and whom it tells.
pub struct Host {
    /// The mount point inside the element's shadow root (ids are looked up
    /// under it: each element has its own); `None`: headless.
    pub root: Option<web_sys::Element>,
    /// `emit(type, detailJson)`: the element dispatches the event.
    pub emit: js_sys::Function,
    pub watch: RefCell<Watch>,
    /// On screen (the element's IntersectionObserver): the clock runs only then.
    pub visible: Cell<bool>,
    /// The cluster was replaced (reset, restore): compare everything next time.
    pub replaced: Cell<bool>,
}

impl Shared {
    /// Tells the page around the element what happened: `fx`'s commands,
    /// the store's changes, the clock. Listeners may call the API again:
    /// no borrow is held while they run.
    pub fn notify(&self, fx: &[Effect]) {
        let Some(h) = &self.host else { return };
        let events = {
            let (Ok(ui), Ok(mut w)) = (self.ui.try_borrow(), h.watch.try_borrow_mut()) else { return };
            w.poll(&ui.page, fx, h.replaced.replace(false))
        };
        for e in events {
            let (name, detail) = e.to_json();
            let _ = h.emit.call2(&JsValue::NULL, &JsValue::from_str(name), &JsValue::from_str(&detail));
        }
    }
}

/// The component's Properties: its state, shared.
#[derive(Properties, Clone)]
pub struct AppProps {
    pub shared: Rc<Shared>,
}

impl PartialEq for AppProps {
    fn eq(&self, o: &Self) -> bool {
        Rc::ptr_eq(&self.shared, &o.shared)
    }
}

/// A file next to the page, as text (None when it cannot be fetched).
async fn fetch_text(url: &str) -> Option<String> {
    let resp = wasm_bindgen_futures::JsFuture::from(window().fetch_with_str(url)).await.ok()?.dyn_into::<web_sys::Response>().ok()?;
    if !resp.ok() {
        return None;
    }
    wasm_bindgen_futures::JsFuture::from(resp.text().ok()?).await.ok()?.as_string()
}

/// Fetches `kubectl explain`'s schema table.
fn fetch_explain() {
    wasm_bindgen_futures::spawn_local(async move {
        if let Some(t) = fetch_text("explain_data.json").await {
            crate::engine::api::schema::provide(t);
        }
    });
}

/// Fetches example `id`'s transcript (a lesson) unless it is here already;
/// true when it was handed over.
async fn fetch_example(id: &str) -> bool {
    if examples::text(id).is_some() {
        return false;
    }
    fetch_text(&format!("lessons/{id}.txt")).await.is_some_and(|t| examples::provide(id, t))
}

/// Fetches the examples' transcripts (the Examples menu, the lessons) after
/// the first frame; the page redraws as each arrives.
fn fetch_examples(link: &Scope<App>) {
    for &(id, _) in examples::TITLES {
        let link = link.clone();
        wasm_bindgen_futures::spawn_local(async move {
            if fetch_example(id).await {
                link.send_message(Msg::ExamplesFetched);
            }
        });
    }
}

pub struct App {
    shared: Rc<Shared>,
    /// Filled in once the editor's bundle is loaded (after the first frame).
    editor: Rc<RefCell<Option<Editor>>>,
    editor_ref: NodeRef,
    /// Effects to carry out once the DOM is updated.
    pending: Vec<Effect>,
    _clock: Interval,
    _storage: Option<EventListener>,
    _resize: Option<EventListener>,
    _hide: Option<EventListener>,
    tab_id: String,
    /// The element focused before a dialog opened (focus returns there).
    focus_before: Option<web_sys::HtmlElement>,
    frames: u64,
}

impl Component for App {
    type Message = Msg;
    type Properties = AppProps;

    fn create(ctx: &Context<Self>) -> Self {
        let shared = ctx.props().shared.clone();
        let page = shared.host.is_none();
        let tab_id = format!("{:x}{:x}", (js_sys::Math::random() * 1e15) as u64, js_sys::Date::now() as u64);
        let (mut storage_listener, mut resize, mut hide) = (None, None, None);
        if page {
            if shared.ui.borrow().saving {
                // The newest tab saves; an older one hears it and stops.
                let _ = storage().map(|s| s.set_item(OWNER_KEY, &tab_id));
            }
            let link = ctx.link().clone();
            let me = tab_id.clone();
            storage_listener = Some(EventListener::new(&window(), "storage", move |e| {
                let Some(e) = e.dyn_ref::<web_sys::StorageEvent>() else { return };
                if e.key().as_deref() == Some(OWNER_KEY) {
                    let mine = e.new_value().as_deref() == Some(me.as_str());
                    link.send_message(Msg::SavingTab(mine));
                }
            }));
            // An element is told its own width by its ResizeObserver.
            let width = || window().inner_width().ok().and_then(|v| v.as_f64()).unwrap_or(1280.0);
            shared.ui.borrow_mut().update(Msg::Viewport(width()));
            let link = ctx.link().clone();
            resize = Some(EventListener::new(&window(), "resize", move |_| link.send_message(Msg::Viewport(width()))));
            // Leaving or hiding the tab saves at once (not only every 5 s).
            let link = ctx.link().clone();
            hide = Some(EventListener::new(&window(), "pagehide", move |_| link.send_message(Msg::Flush)));
        }
        let clock = {
            let link = ctx.link().clone();
            let last = Rc::new(Cell::new(now_ms()));
            let shared = shared.clone();
            Interval::new(FRAME_MS, move || {
                let t = now_ms();
                // A background tab's timer is throttled: never replay more than a second at once.
                let dt = (t - last.get()).clamp(0.0, 1000.0);
                last.set(t);
                // An element off screen stands still (and does not catch up).
                if shared.host.as_ref().is_none_or(|h| h.visible.get()) {
                    link.send_message(Msg::Frame(dt));
                }
            })
        };
        // kubectl explain's schema table, fetched once the page is up (an
        // element's script fetches it next to itself).
        if page {
            fetch_explain();
        }
        App {
            shared,
            editor: Rc::new(RefCell::new(None)),
            editor_ref: NodeRef::default(),
            pending: vec![],
            _clock: clock,
            _storage: storage_listener,
            _resize: resize,
            _hide: hide,
            tab_id,
            focus_before: None,
            frames: 0,
        }
    }

    fn update(&mut self, _ctx: &Context<Self>, msg: Msg) -> bool {
        let frame = matches!(msg, Msg::Frame(_));
        let (fx, redraw) = {
            let mut ui = self.shared.ui.borrow_mut();
            if matches!(msg, Msg::Open(_)) && ui.dialog.is_none() {
                self.focus_before = window().document().and_then(|d| d.active_element()).and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
            }
            let before = frame.then(|| view_signature(&ui));
            let t0 = now_ms();
            let fx = ui.update(msg);
            if frame {
                ui.tune(now_ms() - t0);
                self.frames += 1;
                if ui.dirty && self.frames.is_multiple_of(SAVE_EVERY) {
                    self.pending.push(Effect::Save);
                }
            }
            // A paused clock redraws nothing.
            let redraw = !frame || before != Some(view_signature(&ui)) || !fx.is_empty() || !self.pending.is_empty();
            (fx, redraw)
        };
        self.shared.notify(&fx);
        self.pending.extend(fx);
        redraw
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        app_view::view(&self.shared.ui.borrow(), ctx.link(), &self.editor_ref)
    }

    fn rendered(&mut self, ctx: &Context<Self>, first_render: bool) {
        if first_render && !self.shared.ui.borrow().mode.embed {
            self.mount_editor(ctx);
            fetch_examples(ctx.link());
        }
        let fx = std::mem::take(&mut self.pending);
        for e in fx {
            self.carry_out(ctx, e);
        }
    }
}

/// What a frame can change on screen.
fn view_signature(ui: &Ui) -> (i64, usize, usize, usize, usize, bool, usize, bool) {
    (
        ui.page.elapsed(),
        Rc::as_ptr(&ui.map) as usize,
        ui.markers.len(),
        ui.notices.len(),
        ui.announce.len(),
        ui.page.playing,
        ui.views.inspect.len() + ui.views.resources.len(),
        ui.page.behind,
    )
}

impl App {
    /// The element with this id: in the element's own shadow root, or the page's.
    fn element(&self, id: &str) -> Option<web_sys::HtmlElement> {
        let el = match &self.shared.host {
            Some(h) => h.root.as_ref()?.query_selector(&format!("#{id}")).ok()??,
            None => window().document()?.get_element_by_id(id)?,
        };
        el.dyn_into::<web_sys::HtmlElement>().ok()
    }

    /// Loads the editor after the first frame (it is not needed to draw the cluster).
    fn mount_editor(&mut self, ctx: &Context<Self>) {
        let Some(el) = self.editor_ref.cast::<web_sys::Element>() else { return };
        let on_change = ctx.link().callback(Msg::EditorChanged);
        let on_apply = ctx.link().callback(|_: ()| Msg::Apply);
        let loaded = ctx.link().callback(|_: ()| Msg::EditorLoaded);
        let failed = ctx.link().callback(Msg::EditorFailed);
        let slot = self.editor.clone();
        let doc = self.shared.ui.borrow().page.editor.clone();
        wasm_bindgen_futures::spawn_local(async move {
            match Editor::load(el, doc, move |t| on_change.emit(t), move || on_apply.emit(())).await {
                Ok(ed) => {
                    *slot.borrow_mut() = Some(ed);
                    loaded.emit(());
                }
                Err(e) => failed.emit(e),
            }
        });
    }

    fn save(&mut self) {
        let mut ui = self.shared.ui.borrow_mut();
        if !ui.saving || self.shared.host.is_some() {
            return;
        }
        let Some(s) = storage() else { return };
        if s.get_item(OWNER_KEY).ok().flatten().as_deref() != Some(self.tab_id.as_str()) {
            let _ = s.set_item(OWNER_KEY, &self.tab_id);
        }
        match s.set_item(SESSION_KEY, &ui.page.save_json()) {
            Ok(()) => ui.saved(),
            Err(e) => {
                let why = e.dyn_ref::<js_sys::Error>().map(|e| String::from(e.name())).unwrap_or_else(|| "storage error".into());
                ui.save_failed(&why);
            }
        }
    }

    fn carry_out(&mut self, ctx: &Context<Self>, e: Effect) {
        match e {
            Effect::Save => self.save(),
            Effect::SetEditor(text) => {
                if let Some(ed) = self.editor.borrow().as_ref() {
                    ed.handle.set_doc(&text);
                }
            }
            Effect::Diagnostics => {
                if let Some(ed) = self.editor.borrow().as_ref() {
                    ed.set_diagnostics(&self.shared.ui.borrow().page.diags);
                }
            }
            Effect::Focus(id) => {
                if let Some(el) = self.element(id) {
                    let _ = el.focus();
                }
            }
            Effect::ScrollIntoView(id) => {
                if let Some(el) = self.element(id) {
                    let r = el.get_bounding_client_rect();
                    let h = window().inner_height().ok().and_then(|v| v.as_f64()).unwrap_or(800.0);
                    if r.top() >= h - 40.0 || r.bottom() <= 0.0 {
                        el.scroll_into_view();
                    }
                }
            }
            Effect::ConsoleToEnd => {
                if let Some(el) = self.element("console-out") {
                    el.set_scroll_top(el.scroll_height());
                }
            }
            Effect::Copy(text) => {
                let _ = window().navigator().clipboard().write_text(&text);
            }
            Effect::RestoreFocus => {
                if let Some(el) = self.focus_before.take() {
                    let _ = el.focus();
                }
            }
            Effect::MakeShareLink => {
                let ui = self.shared.ui.borrow();
                let frag = crate::ui::share::encode(&ui.page.save(), Some(ui.page.elapsed()));
                let loc = window().location();
                let base = format!("{}{}", loc.origin().unwrap_or_default(), loc.pathname().unwrap_or_default());
                ctx.link().send_message(Msg::Open(crate::ui::update::Dialog::Share(format!("{base}#{frag}"))));
            }
            Effect::DownloadSession => download("kubarium-session.json", "application/json", &self.shared.ui.borrow().page.save_json()),
            Effect::DownloadDamaged => {
                if self.shared.damaged
                    && self.shared.host.is_none()
                    && let Some(text) = storage().and_then(|s| s.get_item(&format!("{SESSION_KEY}.unreadable")).ok().flatten())
                {
                    download("kubarium-damaged-session.json", "application/json", &text);
                }
            }
            // The element's events were sent when the update returned (`Shared::notify`).
            Effect::Command { .. } => {}
            Effect::OpenFull(url) => {
                let _ = window().open_with_url_and_target(&url, "_blank");
            }
        }
    }
}

/// Mounts the page on `<body>`, as the URL asks; unless the module was
/// loaded by `kubarium.js` (the `<kubarium-cluster>` element), which mounts
/// each element itself.
pub fn start() {
    let Some(w) = web_sys::window() else { return };
    if js_sys::Reflect::get(&w, &JsValue::from_str("__kubariumElement")).is_ok_and(|v| v.is_truthy()) {
        return;
    }
    let loc = w.location();
    let search = loc.search().unwrap_or_default();
    if search.contains("compare") {
        yew::Renderer::<CompareView>::new().render();
        return;
    }
    let mode = Mode::parse(&search, &loc.hash().unwrap_or_default());
    // A lesson's link starts it: its transcript first.
    match mode.lesson.clone() {
        Some(id) if examples::known(&id) => wasm_bindgen_futures::spawn_local(async move {
            fetch_example(&id).await;
            mount(mode);
        }),
        _ => mount(mode),
    }
}

fn mount(mode: Mode) {
    let (page, notice, first_visit, damaged) = load(&mode);
    let mut ui = Ui::new(mode, page, first_visit);
    if let Some(n) = notice {
        let action = damaged.then_some(crate::ui::update::NoticeAction::DownloadDamaged);
        ui.notices.push(crate::ui::update::Notice { text: n, action });
    }
    let shared = Rc::new(Shared { ui: RefCell::new(ui), host: None, damaged });
    yew::Renderer::<App>::with_props(AppProps { shared }).render();
}
