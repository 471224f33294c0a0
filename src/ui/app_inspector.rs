//! The inspector: what the selection is, why it is in that state, its
//! kubectl describe and YAML, and what can be done to it. Each action is a
//! kubectl or `cluster` command (shown on hover and in the console); each
//! form keeps its own value; destructive actions sit apart, last.

use crate::ui::app::App;
use crate::ui::app_view::input_value;
use crate::ui::update::{ActionWhat, Form, InspectTab, Msg, Ui, ids};
use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;
use yew::html::Scope;
use yew::prelude::*;

pub fn inspector(ui: &Ui, link: &Scope<App>) -> Html {
    let Some(sel) = ui.page.selected.clone() else {
        return html! {
            <div class="inspector">
                <h2 id={ids::INSPECTOR} tabindex="-1">{"Nothing selected"}</h2>
                <p class="empty">{"Click a node, a pod, a claim or a volume on the map (or Tab to it and press Enter) to see what it is, why it is in that state, and what you can do with it."}</p>
            </div>
        };
    };
    let kind = sel.kind;
    let exists = ui.page.cluster().api.store.list(kind).any(|o| o.meta().name == sel.name && (!kind.namespaced() || o.meta().namespace == sel.namespace));
    let actions = ui.actions(&sel);
    let (safe, danger): (Vec<_>, Vec<_>) = actions.into_iter().partition(|a| !matches!(a.what, ActionWhat::Danger(_)));
    let button = |a: &crate::ui::update::Action, danger: bool| {
        let msg = a.msg();
        let title = a.command().map(|c| c.to_string()).unwrap_or_else(|| format!("Show {}", a.label.trim_start_matches("Select its ")));
        html! { <button class={classes!("action", danger.then_some("danger"))} title={title} onclick={link.callback(move |_| msg.clone())}>{ &a.label }</button> }
    };
    let forms = ui.forms_for(&sel).into_iter().map(|(f, spec)| {
        let value = ui.forms.get(f).to_string();
        let preview = (spec.make)(if value.trim().is_empty() { &spec.placeholder } else { value.trim() });
        let id = match f {
            Form::Scale => "form-scale",
            Form::SetImage => "form-image",
            Form::Expand => "form-expand",
        };
        let on_key = link.batch_callback(move |e: KeyboardEvent| {
            (e.key() == "Enter").then(|| {
                e.prevent_default();
                Msg::FormRun(f)
            })
        });
        html! {
            <div class="param" key={id}>
                <label for={id}>{ spec.label }</label>
                <input type="text" id={id} value={value} placeholder={spec.placeholder.clone()} onkeydown={on_key}
                       oninput={link.callback(move |e: InputEvent| Msg::FormInput(f, e.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()).map(|i| i.value()).unwrap_or_default()))}
                       onchange={link.callback(move |e: Event| Msg::FormInput(f, input_value(&e)))} />
                <button class="action" title={preview.clone()} onclick={link.callback(move |_| Msg::FormRun(f))}>{"Run"}</button>
                <code class="preview">{ preview }</code>
            </div>
        }
    });
    let tab_btn = |t: InspectTab, label: &'static str| {
        let active = ui.inspect == t;
        html! { <button role="tab" aria-selected={active.to_string()} class={classes!("tab", active.then_some("active"))} onclick={link.callback(move |_| Msg::Inspect(t))}>{ label }</button> }
    };
    let title = format!("{} {}", kind.info().kind, sel.name);
    html! {
        <div class="inspector" key={title.clone()}>
            <h2 id={ids::INSPECTOR} tabindex="-1">{ title }{ if !exists { html!{ <span class="badge gone">{"gone"}</span> } } else { html!{} } }</h2>
            if !safe.is_empty() { <div class="actions" role="group" aria-label="Actions">{ for safe.iter().map(|a| button(a, false)) }</div> }
            { for forms }
            if !danger.is_empty() {
                <div class="actions danger-zone" role="group" aria-label="Destructive actions">
                    <span class="zone-label">{"Destructive:"}</span>
                    { for danger.iter().map(|a| button(a, true)) }
                </div>
            }
            <div class="tabs" role="tablist">
                { tab_btn(InspectTab::Why, "Why?") }
                { tab_btn(InspectTab::Describe, "Describe") }
                { tab_btn(InspectTab::Yaml, "YAML") }
            </div>
            <pre class={classes!("inspect-body", (ui.inspect == InspectTab::Why).then_some("prose"))} tabindex="0">{ &ui.views.inspect }</pre>
        </div>
    }
}
