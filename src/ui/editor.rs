//! The CodeMirror 6 editor (www/editor.bundle.js, built by the setup with
//! esbuild from www/editor/src/editor.js). It is not part of the first
//! frame: the page imports the bundle (a separate file in dist/, 108 KB
//! gzip) with a dynamic `import()` once the cluster is drawn, and embedded
//! pages, which have no editor, never load it.

use crate::ui::diagnose::Diag;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = "export function load_editor(url) { return import(url); }")]
extern "C" {
    fn load_editor(url: &str) -> js_sys::Promise;
}

/// The object `createEditor` returns (see www/editor/src/editor.js).
#[derive(Clone)]
pub struct EditorHandle(JsValue);

impl EditorHandle {
    fn call(&self, method: &str, args: &[JsValue]) {
        let Ok(f) = js_sys::Reflect::get(&self.0, &JsValue::from_str(method)) else { return };
        let Some(f) = f.dyn_ref::<js_sys::Function>() else { return };
        let arr: js_sys::Array = args.iter().collect();
        let _ = f.apply(&self.0, &arr);
    }
    pub fn set_doc(&self, text: &str) {
        self.call("setDoc", &[JsValue::from_str(text)]);
    }
}

/// The mounted editor and the callbacks it holds on to.
pub struct Editor {
    pub handle: EditorHandle,
    _on_change: Closure<dyn FnMut(String)>,
    _on_apply: Closure<dyn FnMut()>,
}

impl Editor {
    /// Loads the bundle (relative to the page, so dist/ works under any
    /// path) and mounts an editor in `parent`.
    pub async fn load(
        parent: web_sys::Element,
        doc: String,
        on_change: impl FnMut(String) + 'static,
        on_apply: impl FnMut() + 'static,
    ) -> Result<Editor, String> {
        let base = web_sys::window().and_then(|w| w.document()).and_then(|d| d.base_uri().ok().flatten()).unwrap_or_default();
        let url = web_sys::Url::new_with_base("editor.bundle.js", &base).map(|u| u.href()).map_err(|_| "no URL for the editor".to_string())?;
        let module = wasm_bindgen_futures::JsFuture::from(load_editor(&url)).await.map_err(|e| format!("the editor could not be loaded: {e:?}"))?;
        let create = js_sys::Reflect::get(&module, &JsValue::from_str("createEditor")).map_err(|_| "the editor bundle has no createEditor".to_string())?;
        let create = create.dyn_into::<js_sys::Function>().map_err(|_| "createEditor is not a function".to_string())?;
        let on_change = Closure::wrap(Box::new(on_change) as Box<dyn FnMut(String)>);
        let on_apply = Closure::wrap(Box::new(on_apply) as Box<dyn FnMut()>);
        let args: js_sys::Array =
            [parent.into(), JsValue::from_str(&doc), on_change.as_ref().clone(), on_apply.as_ref().clone(), JsValue::from_str("Kubernetes YAML")]
                .iter()
                .collect();
        let handle = create.apply(&JsValue::NULL, &args).map_err(|e| format!("the editor failed to start: {e:?}"))?;
        Ok(Editor { handle: EditorHandle(handle), _on_change: on_change, _on_apply: on_apply })
    }

    pub fn set_diagnostics(&self, diags: &[Diag]) {
        let list: Vec<serde_json::Value> =
            diags.iter().map(|d| serde_json::json!({"line": d.line, "col": d.col, "severity": d.severity.as_str(), "message": d.message})).collect();
        let text = serde_json::to_string(&list).unwrap_or_else(|_| "[]".into());
        let value = js_sys::JSON::parse(&text).unwrap_or(JsValue::NULL);
        self.handle.call("setDiagnostics", &[value]);
    }
}
