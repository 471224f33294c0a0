//! The first screen (lessons and examples up front) and the lesson player:
//! each step's narration, the question asked before the steps whose
//! outcome is the point (time stands still until it is answered), the
//! verdict on the step just run, and a way back to the student's own
//! session.

use crate::ui::app::App;
use crate::ui::examples;
use crate::ui::lessons;
use crate::ui::update::{Msg, Ui, Verdict, ids};
use yew::html::Scope;
use yew::prelude::*;

fn gallery(link: &Scope<App>, compact: bool) -> Html {
    let all = lessons::cached();
    let cards = all.iter().map(|l| {
        let id = l.id.to_string();
        let questions = l.steps.iter().filter(|s| s.prediction.is_some()).count();
        html! {
            <li class="lesson-card" data-lesson={id.clone()}>
                <h3>{ &l.title }</h3>
                if !compact { <p>{ &l.intro }</p> }
                <p class="meta">{ format!("{} steps · {} predictions", l.steps.len(), questions) }</p>
                <button class="primary" onclick={link.callback(move |_| Msg::LessonStart(id.clone()))} aria-label={format!("Start the lesson: {}", l.title)}>{"Start"}</button>
            </li>
        }
    });
    html! { <ul class="gallery">{ for cards }</ul> }
}

/// What a first-time visitor sees: the lessons and the examples, next to
/// the editor (which stays where it is).
pub fn start_panel(_ui: &Ui, link: &Scope<App>) -> Html {
    let all = examples::cached();
    let examples = all.iter().map(|ex| {
        let v = format!("{}#all", ex.id);
        html! { <li><button class="text-link" onclick={link.callback(move |_| Msg::Example(v.clone()))}>{ &ex.title }</button></li> }
    });
    html! {
        <div class="start">
            <h2 id={ids::LESSON} tabindex="-1">{"A Kubernetes cluster in your browser"}</h2>
            <p>{"Three nodes in three zones, storage classes and drivers: apply YAML, scale, stop nodes and delete pods, and watch what happens to pods and to the data on their volumes."}</p>
            <h3>{"Learn step by step"}</h3>
            <p class="meta">{"Each lesson plays a tutorial's scenario one command at a time and asks you to predict what happens before the steps that matter."}</p>
            { gallery(link, true) }
            <h3>{"Or load an example into the editor"}</h3>
            <ul class="example-list">{ for examples }</ul>
            <p class="meta">{"Or paste your own Kubernetes YAML into the editor and press Apply. The "}<a href="?compare">{"Deployment vs StatefulSet comparison"}</a>{" shows the same database both ways."}</p>
        </div>
    }
}

pub fn lessons_panel(ui: &Ui, link: &Scope<App>) -> Html {
    let Some(run) = &ui.lesson else {
        return html! {
            <div class="lessons">
                <p class="empty">{"Each lesson replays a scenario from the tutorials on a fresh cluster, one command at a time. Before the steps that matter, guess what will happen. Leaving a lesson brings back the session you had."}</p>
                { gallery(link, false) }
            </div>
        };
    };
    let Some(lesson) = ui.current_lesson() else {
        let text = if examples::known(&run.id) { "Loading the lesson…".to_string() } else { format!("There is no lesson called {:?}.", run.id) };
        return html! { <p class="empty">{ text }</p> };
    };
    let n = lesson.steps.len();
    let verdict = run.verdict.as_ref().filter(|(s, _)| *s + 1 == run.step).map(|(_, v)| {
        let (cls, text) = match v {
            Verdict::Right(t) => ("right", t),
            Verdict::Wrong(t) => ("wrong", t),
            Verdict::Diverged(t) => ("diverged", t),
        };
        html! { <div class={classes!("verdict", cls)} role="status">{ text }</div> }
    });
    let body = match lesson.steps.get(run.step) {
        None => html! {
            <div class="step done" id={ids::LESSON} tabindex="-1">
                <p>{"That was the last step. The cluster is yours: keep experimenting, start another lesson, or leave to get your own session back."}</p>
            </div>
        },
        Some(step) => {
            let question = step.prediction.as_ref().map(|q| {
                let choices = q
                    .choices
                    .iter()
                    .enumerate()
                    .map(|(i, c)| html! { <button class="choice" onclick={link.callback(move |_| Msg::LessonAnswer(i))}>{ *c }</button> });
                html! {
                    <div class="predict">
                        <p class="question">{ "Predict: " }{ q.question }</p>
                        <div class="choices" role="group" aria-label="Your prediction">{ for choices }</div>
                        <p class="meta">{"Time stands still until you answer: the step runs when you choose."}</p>
                    </div>
                }
            });
            html! {
                <div class="step" id={ids::LESSON} tabindex="-1" key={format!("step-{}", run.step)}>
                    if !step.narration.is_empty() { <p class="narration">{ &step.narration }</p> }
                    <code class="cmd">{ format!("$ {}", step.command) }</code>
                    if !step.stdin.is_empty() { <details><summary>{"Manifest"}</summary><pre>{ &step.stdin }</pre></details> }
                    { question.unwrap_or_default() }
                    if step.prediction.is_none() { <button class="primary next" onclick={link.callback(|_| Msg::LessonNext)}>{ if run.step == 0 { "Run the first step" } else { "Next step" } }</button> }
                </div>
            }
        }
    };
    html! {
        <div class="lessons playing" data-lesson={lesson.id.to_string()}>
            <div class="lesson-head">
                <h3>{ &lesson.title }</h3>
                <span class="meta step-count">{ if run.step < n { format!("step {} of {n}", run.step + 1) } else { format!("done ({n} steps)") } }</span>
                <button onclick={link.callback(|_| Msg::LessonLeave)} title="Leave the lesson and get back the session you had before it">
                    { if run.before.is_some() { "Leave (back to my session)" } else { "Leave" } }
                </button>
            </div>
            { verdict.unwrap_or_default() }
            { body }
        </div>
    }
}
