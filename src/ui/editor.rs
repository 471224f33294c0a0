//! The CodeMirror 6 editor (www/editor.bundle.js, built by the setup with
//! esbuild from www/editor/src/editor.js), bound with wasm-bindgen.

use crate::ui::diagnose::Diag;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/www/editor.bundle.js")]
extern "C" {
    pub type EditorHandle;

    #[wasm_bindgen(js_name = createEditor)]
    fn create_editor(parent: &web_sys::Element, doc: &str, on_change: &JsValue, on_apply: &JsValue, label: &str) -> EditorHandle;

    #[wasm_bindgen(method, js_name = setDoc)]
    pub fn set_doc(this: &EditorHandle, text: &str);

    #[wasm_bindgen(method, js_name = setDiagnostics)]
    fn set_diagnostics_js(this: &EditorHandle, list: &JsValue);

    #[wasm_bindgen(method)]
    pub fn reveal(this: &EditorHandle, line: u32, col: u32);

    #[wasm_bindgen(method, js_name = setReadOnly)]
    pub fn set_read_only(this: &EditorHandle, ro: bool);
}

/// The mounted editor and the callbacks it holds on to.
pub struct Editor {
    pub handle: EditorHandle,
    _on_change: Closure<dyn FnMut(String)>,
    _on_apply: Closure<dyn FnMut()>,
}

impl Editor {
    pub fn mount(parent: &web_sys::Element, doc: &str, on_change: impl FnMut(String) + 'static, on_apply: impl FnMut() + 'static) -> Editor {
        let on_change = Closure::wrap(Box::new(on_change) as Box<dyn FnMut(String)>);
        let on_apply = Closure::wrap(Box::new(on_apply) as Box<dyn FnMut()>);
        let handle = create_editor(parent, doc, on_change.as_ref(), on_apply.as_ref(), "Kubernetes YAML");
        Editor { handle, _on_change: on_change, _on_apply: on_apply }
    }

    pub fn set_diagnostics(&self, diags: &[Diag]) {
        let list: Vec<serde_json::Value> =
            diags.iter().map(|d| serde_json::json!({"line": d.line, "col": d.col, "severity": d.severity.as_str(), "message": d.message})).collect();
        let text = serde_json::to_string(&list).unwrap_or_else(|_| "[]".into());
        let value = js_sys::JSON::parse(&text).unwrap_or(JsValue::NULL);
        self.handle.set_diagnostics_js(&value);
    }
}
