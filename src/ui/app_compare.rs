//! `?compare`: the same PostgreSQL as a Deployment and as a StatefulSet on
//! two identical clusters, driven by the same buttons (src/ui/compare.rs
//! holds the logic, tested natively).

use crate::ui::app_map::ClusterMap;
use crate::ui::model::{Layout, MapModel};
use crate::ui::state::{Page, Selection, clock};
use gloo::timers::callback::Interval;
use std::rc::Rc;
use yew::prelude::*;

const FRAME_MS: u32 = 100;

/// `?compare`: the same PostgreSQL as a Deployment and as a StatefulSet on
/// two identical clusters, driven by the same buttons.
#[function_component(CompareView)]
pub fn compare_view() -> Html {
    use crate::ui::compare::{Action, Compare};
    let cmp = use_mut_ref(Compare::new);
    let redraw = use_force_update();
    let playing = use_mut_ref(|| true);
    {
        let cmp = cmp.clone();
        let redraw = redraw.clone();
        let playing = playing.clone();
        use_effect_with((), move |_| {
            let iv = Interval::new(FRAME_MS, move || {
                if *playing.borrow() {
                    if let Ok(mut c) = cmp.try_borrow_mut() {
                        c.tick(FRAME_MS as f64 * 10.0);
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
        // On a phone each side is a column of zones, as in the full page.
        let narrow = web_sys::window().and_then(|w| w.inner_width().ok()).and_then(|v| v.as_f64()).is_some_and(|w| w < 700.0);
        let l = Layout::of_columns(&m, if narrow { 1 } else { usize::MAX });
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
                <div class="controls">
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
