//! The JavaScript side of `<kubarium-cluster>`: `Cluster`, the handle
//! `www/embed/kubarium.js` creates for each element (or headless, without
//! one). It shares the element's [`Ui`] with the component (`app.rs`), so
//! every call is synchronous: it changes the state, tells the component to
//! redraw and carry out what is left (`Msg::External`), and sends the
//! element's events before it returns.

use crate::ui::app::{App, AppProps, Host, Shared};
use crate::ui::embed::{self, Config, Watch};
use crate::ui::update::{Effect, Msg, Ui};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use yew::AppHandle;

fn error(text: impl std::fmt::Display) -> JsValue {
    js_sys::Error::new(&format!("kubarium-cluster: {text}")).into()
}

fn object(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in pairs {
        let _ = js_sys::Reflect::set(&o, &JsValue::from_str(k), v);
    }
    o.into()
}

/// An element's configuration, from the object `kubarium.js` passes
/// (missing or mistyped fields are absent: the attributes were strings).
fn config_of(o: &JsValue) -> Config {
    let get = |k: &str| js_sys::Reflect::get(o, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED);
    let s = |k: &str| get(k).as_string();
    Config {
        lesson: s("lesson"),
        text: s("text"),
        markdown: get("markdown").is_truthy(),
        share: s("share"),
        nodes: s("nodes"),
        panes: s("panes"),
        controls: s("controls"),
        autoplay: get("autoplay").is_truthy(),
        open_url: s("openUrl"),
        logo: s("logo"),
        error: s("error"),
    }
}

/// One element's cluster, clock and state.
#[wasm_bindgen]
pub struct Cluster {
    shared: Rc<Shared>,
    app: Option<AppHandle<App>>,
    config: Config,
    width: f64,
}

#[wasm_bindgen]
impl Cluster {
    /// Builds the cluster `config` ([`Config`]'s fields, camelCase)
    /// describes and draws it under `root` (`null`: headless).
    /// `emit(type, detailJson)` sends its events.
    #[wasm_bindgen(constructor)]
    pub fn new(root: Option<web_sys::Element>, config: &JsValue, emit: js_sys::Function) -> Cluster {
        let config = config_of(config);
        let ui = embed::build(&config);
        let watch = Watch::new(&ui.page);
        let host = Host { root: root.clone(), emit, watch: RefCell::new(watch), visible: Cell::new(true), replaced: Cell::new(false) };
        let shared = Rc::new(Shared { ui: RefCell::new(ui), host: Some(host), damaged: false });
        let app = root.map(|r| yew::Renderer::<App>::with_root_and_props(r, AppProps { shared: shared.clone() }).render());
        Cluster { shared, app, config, width: 0.0 }
    }

    fn host(&self) -> &Host {
        self.shared.host.as_ref().expect("an element's cluster has a host")
    }

    /// Runs `f` on the state (an error instead of a panic if it is busy),
    /// then redraws and sends the events.
    fn with<R>(&self, f: impl FnOnce(&mut Ui) -> Result<(R, Vec<Effect>), String>) -> Result<R, JsValue> {
        let (r, fx) = {
            let mut ui = self.shared.ui.try_borrow_mut().map_err(|_| error("busy (called while the cluster was drawing)"))?;
            f(&mut ui).map_err(error)?
        };
        self.shared.notify(&fx);
        if let Some(app) = &self.app {
            // The commands were told already.
            let rest = fx.into_iter().filter(|e| !matches!(e, Effect::Command { .. })).collect();
            app.send_message(Msg::External(rest));
        }
        Ok(r)
    }

    /// `run(commandLine, stdin?)`: a kubectl, `cluster` or `sleep` command
    /// line, as typed in the console (and shown there). `{output, exitCode}`.
    pub fn run(&self, line: &str, stdin: Option<String>) -> Result<JsValue, JsValue> {
        let out = self.with(|ui| Ok(ui.run_line(line, stdin.as_deref().unwrap_or(""))))?;
        Ok(object(&[("output", JsValue::from_str(&out.output)), ("exitCode", JsValue::from(out.exit_code))]))
    }

    /// `apply(yaml)`: `kubectl apply -f -` with these manifests.
    pub fn apply(&self, yaml: &str) -> Result<JsValue, JsValue> {
        self.run("kubectl apply -f -", Some(yaml.to_string()))
    }

    /// `advance(duration)`: lets that much simulated time pass at once
    /// (`"90s"`, `"2m"`, or milliseconds). Returns the clock (ms since the start).
    pub fn advance(&self, duration: JsValue) -> Result<f64, JsValue> {
        let ms = match duration.as_f64() {
            Some(n) if n.is_finite() => embed::bounded(n as i64),
            Some(_) => embed::bounded(-1),
            None => embed::duration(&duration.as_string().unwrap_or_default()),
        }
        .map_err(|e| error(format!("advance: {e}")))?;
        self.with(|ui| Ok(((), ui.advance(ms)?)))?;
        Ok(self.time())
    }

    /// `settle()`: runs until nothing more happens; returns the clock.
    pub fn settle(&self) -> Result<f64, JsValue> {
        self.with(|ui| {
            if ui.question_open() {
                return Err("the lesson's question is open: time does not move until it is answered".into());
            }
            Ok(((), ui.update(Msg::Settle)))
        })?;
        Ok(self.time())
    }

    pub fn play(&self) -> Result<(), JsValue> {
        self.with(|ui| Ok(((), ui.set_playing(true))))
    }

    pub fn pause(&self) -> Result<(), JsValue> {
        self.with(|ui| Ok(((), ui.set_playing(false))))
    }

    /// `reset()`: the cluster as the element first showed it.
    pub fn reset(&self) -> Result<(), JsValue> {
        let width = self.width;
        let config = self.config.clone();
        self.host().replaced.set(true);
        self.with(move |ui| {
            *ui = embed::build(&config);
            if width > 0.0 {
                ui.update(Msg::Viewport(width));
            }
            Ok(((), vec![Effect::ConsoleToEnd]))
        })
    }

    /// `snapshot()`: the session as a share link's fragment (`k1.…`).
    pub fn snapshot(&self) -> Result<String, JsValue> {
        let ui = self.shared.ui.try_borrow().map_err(|_| error("busy"))?;
        Ok(crate::ui::share::encode(&ui.page.save(), Some(ui.page.elapsed())))
    }

    /// `restore(snapshot)`: a session `snapshot()` made (or a share link).
    pub fn restore(&self, snapshot: &str) -> Result<(), JsValue> {
        let frag = snapshot.rsplit_once('#').map(|(_, f)| f).unwrap_or(snapshot).to_string();
        self.host().replaced.set(true);
        self.with(move |ui| Ok(((), embed::restore(ui, &frag)?)))
    }

    /// `get(kind, name, namespace?)`: an object as `kubectl get -o json`
    /// shows it, or `null`. Reads only: nothing is shown in the console.
    pub fn get(&self, kind: &str, name: &str, namespace: Option<String>) -> Result<JsValue, JsValue> {
        let ui = self.shared.ui.try_borrow().map_err(|_| error("busy"))?;
        let k = crate::engine::api::Kind::lookup(kind).ok_or_else(|| error(format!("get: the server doesn't have a resource type {kind:?}")))?;
        let ns = if k.namespaced() { namespace.unwrap_or_else(|| ui.page.session.namespace.clone()) } else { String::new() };
        let key = crate::engine::api::ObjKey::new(&ns, name);
        match ui.page.cluster().api.store.get(k, &key) {
            Some(o) => js_sys::JSON::parse(&o.to_value().to_string()),
            None => Ok(JsValue::NULL),
        }
    }

    /// Simulated time since the start, in milliseconds.
    #[wasm_bindgen(getter)]
    pub fn time(&self) -> f64 {
        self.shared.ui.try_borrow().map(|ui| ui.page.elapsed() as f64).unwrap_or(0.0)
    }

    #[wasm_bindgen(getter)]
    pub fn playing(&self) -> bool {
        self.shared.ui.try_borrow().is_ok_and(|ui| ui.page.playing)
    }

    /// The element's width changed (its ResizeObserver).
    pub fn resize(&mut self, width: f64) {
        self.width = width;
        if let Some(app) = &self.app {
            app.send_message(Msg::Viewport(width));
        }
    }

    /// The element scrolled into or out of view: its clock runs only on screen.
    pub fn visible(&self, on: bool) {
        self.host().visible.set(on);
    }

    /// A headless cluster's clock (an element's runs by itself): `ms` of
    /// wall-clock time passed.
    pub fn frame(&self, ms: f64) -> Result<(), JsValue> {
        self.with(|ui| Ok(((), ui.update(Msg::Frame(ms)))))
    }
}

/// `kubectl explain`'s schema table (`explain_data.json`, which the element's
/// script fetches next to itself once a cluster is on screen).
#[wasm_bindgen(js_name = provideExplain)]
pub fn provide_explain(text: String) {
    crate::engine::api::schema::provide(text);
}

/// A built-in lesson's transcript (`lessons/<id>.txt`, which the element's
/// script fetches next to itself before a cluster with that `lesson`
/// starts); false when `id` is no lesson.
#[wasm_bindgen(js_name = provideLesson)]
pub fn provide_lesson(id: &str, text: String) -> bool {
    crate::ui::examples::provide(id, text)
}

/// Whether a text an element applies at start (manifests, a transcript)
/// needs the schema table first (kubarium.js awaits it then).
#[wasm_bindgen(js_name = needsSchema)]
pub fn needs_schema(text: &str) -> bool {
    crate::engine::api::schema::needed_by(text)
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Some(app) = self.app.take() {
            app.destroy();
        }
    }
}
