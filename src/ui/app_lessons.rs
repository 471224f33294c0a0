//! The lessons panel: a gallery of the tutorials' scenarios, and the player
//! that shows each step's narration, asks for a prediction before the steps
//! whose outcome is the point, runs the step's command in the console and
//! says whether the prediction was right.

use crate::ui::lessons::{self, Lesson};
use crate::ui::state::Page;
use yew::prelude::*;

/// Where the learner is in a lesson.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Progress {
    pub lesson: String,
    /// The next step to run.
    pub step: usize,
    /// The learner's answer to the current step's question, once given.
    pub answer: Option<usize>,
    /// (step, answered right?) of the last prediction, to show the verdict.
    pub verdict: Option<(usize, bool, String)>,
}

#[derive(Properties, PartialEq)]
pub struct LessonProps {
    pub progress: Option<Progress>,
    /// Start lesson `id` (the page resets the cluster first).
    pub on_start: Callback<String>,
    /// Run the next step, with the chosen answer if the step asks one.
    pub on_step: Callback<Option<usize>>,
    pub on_leave: Callback<()>,
}

pub fn find(id: &str) -> Option<Lesson> {
    lessons::all().into_iter().find(|l| l.id == id)
}

/// Runs step `p.step` of the lesson on the page; returns the new progress.
pub fn run_step(page: &mut Page, mut p: Progress, answer: Option<usize>) -> Progress {
    let Some(lesson) = find(&p.lesson) else { return p };
    let Some(step) = lesson.steps.get(p.step) else { return p };
    page.run(&step.command, &step.stdin);
    if let (Some(q), Some(a)) = (&step.prediction, answer) {
        let right = a == q.correct;
        let text = if right {
            format!("Right: {}", q.choices[q.correct])
        } else {
            format!("Not quite: it is {} (you said {})", q.choices[q.correct], q.choices.get(a).cloned().unwrap_or_default())
        };
        p.verdict = Some((p.step, right, text));
    }
    p.step += 1;
    p.answer = None;
    p
}

#[function_component(Lessons)]
pub fn lessons_panel(props: &LessonProps) -> Html {
    let Some(p) = &props.progress else {
        let cards = lessons::all().into_iter().map(|l| {
            let start = props.on_start.clone();
            let id = l.id.to_string();
            let questions = l.steps.iter().filter(|s| s.prediction.is_some()).count();
            html! {
                <li class="lesson-card" data-lesson={id.clone()}>
                    <h3>{ &l.title }</h3>
                    <p>{ &l.intro }</p>
                    <p class="meta">{ format!("{} steps · {} predictions", l.steps.len(), questions) }</p>
                    <button class="primary" onclick={Callback::from(move |_| start.emit(id.clone()))}>{"Start"}</button>
                </li>
            }
        });
        return html! {
            <div class="lessons">
                <p class="empty">{"Each lesson replays a scenario from the tutorials on a fresh cluster, one command at a time. Before the steps that matter, guess what will happen."}</p>
                <ul class="gallery">{ for cards }</ul>
            </div>
        };
    };
    let Some(lesson) = find(&p.lesson) else {
        return html! { <p class="empty">{ format!("There is no lesson called {:?}.", p.lesson) }</p> };
    };
    let leave = {
        let cb = props.on_leave.clone();
        Callback::from(move |_| cb.emit(()))
    };
    let verdict = p
        .verdict
        .as_ref()
        .map(|(_, right, text)| html! { <div class={classes!("verdict", if *right { "right" } else { "wrong" })} role="status">{ text }</div> });
    let body = match lesson.steps.get(p.step) {
        None => html! { <div class="step done"><p>{"That was the last step. The cluster is yours: keep experimenting, or pick another lesson."}</p></div> },
        Some(step) => {
            let question = step.prediction.as_ref().map(|q| {
                let choices = q.choices.iter().enumerate().map(|(i, c)| {
                    let on = props.on_step.clone();
                    html! { <button class="choice" onclick={Callback::from(move |_| on.emit(Some(i)))}>{ c }</button> }
                });
                html! {
                    <div class="predict">
                        <p class="question">{ "Predict: " }{ &q.question }</p>
                        <div class="choices">{ for choices }</div>
                    </div>
                }
            });
            let run = {
                let on = props.on_step.clone();
                Callback::from(move |_| on.emit(None))
            };
            html! {
                <div class="step">
                    if !step.narration.is_empty() { <p class="narration">{ &step.narration }</p> }
                    <code class="cmd">{ format!("$ {}", step.command) }</code>
                    if !step.stdin.is_empty() { <details><summary>{"Manifest"}</summary><pre>{ &step.stdin }</pre></details> }
                    { question.unwrap_or_default() }
                    if step.prediction.is_none() { <button class="primary next" onclick={run}>{"Next step"}</button> }
                </div>
            }
        }
    };
    html! {
        <div class="lessons playing" data-lesson={lesson.id.to_string()}>
            <div class="lesson-head">
                <h3>{ &lesson.title }</h3>
                <span class="meta">{ format!("step {} of {}", (p.step + 1).min(lesson.steps.len()), lesson.steps.len()) }</span>
                <button onclick={leave}>{"Leave"}</button>
            </div>
            { verdict.unwrap_or_default() }
            { body }
        </div>
    }
}
