//! Lessons: each scenario of the tutorials (the transcripts in
//! `examples/`) as steps with narration, played one command at a time, and
//! predictions asked before the steps whose outcome is the point. A test
//! plays every lesson on the engine and checks each step's output and that
//! every prediction's answer is what the step really shows, so a lesson can
//! never drift from what the engine does.

use crate::transcript::{self, Item};
use crate::ui::examples;

#[derive(Clone, Debug, PartialEq)]
pub struct Prediction {
    pub question: &'static str,
    pub choices: &'static [&'static str],
    pub correct: usize,
    /// Text the step's expected output contains when the correct choice is right.
    pub evidence: &'static str,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LessonStep {
    /// The comment lines right before the command.
    pub narration: String,
    pub command: String,
    pub stdin: String,
    /// The transcript's expected output (with its `[..]` wildcards).
    pub expected: Vec<String>,
    pub must_fail: bool,
    pub prediction: Option<Prediction>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Lesson {
    pub id: &'static str,
    pub title: String,
    pub intro: String,
    pub steps: Vec<LessonStep>,
}

/// (lesson, step index, prediction): asked before that step runs.
const PREDICTIONS: &[(&str, usize, Prediction)] = &[
    (
        "lesson-hpa-walkthrough",
        8,
        Prediction {
            question: "The load generator requests the page in a loop. php-apache may use at most 500m CPU (its limit). What does top show for it?",
            choices: &["About 500m: it is held at its limit", "More than one core", "Still about 1m"],
            correct: 0,
            evidence: "475m",
        },
    ),
    (
        "lesson-hpa-walkthrough",
        11,
        Prediction {
            question: "The HPA keeps CPU near 50% of the request, with at most 10 pods. How many replicas does it settle on under this load?",
            choices: &["10, the maximum", "5", "2"],
            correct: 1,
            evidence: "cpu: 48%/50%   1         10        5",
        },
    ),
    (
        "lesson-hpa-walkthrough",
        16,
        Prediction {
            question: "The load stopped a minute ago and CPU is at 0%. How many replicas are there now?",
            choices: &["1: the HPA scales down at once", "Still 5: it waits out a 5 minute stabilization window"],
            correct: 1,
            evidence: "cpu: 0%/50%   1         10        5",
        },
    ),
    (
        "lesson-networkpolicy",
        9,
        Prediction {
            question: "access-nginx lets in only pods labelled access=true, and busybox has no such label. What does its wget get?",
            choices: &["The page: the Service still sends it on", "An immediate \"connection refused\"", "No answer: it times out"],
            correct: 2,
            evidence: "wget: download timed out",
        },
    ),
    (
        "lesson-networkpolicy",
        14,
        Prediction {
            question: "default-deny-ingress selects every pod and allows nothing; access-nginx still allows access=true. Does the labelled client get the page?",
            choices: &["Yes: what any selecting policy allows gets in", "No: the deny wins"],
            correct: 0,
            evidence: "Welcome to nginx!",
        },
    ),
    (
        "lesson-networkpolicy",
        16,
        Prediction {
            question: "The client may now send only to the nginx pods. It asks for http://nginx. What happens?",
            choices: &["It gets the page", "It cannot even look up the name \"nginx\"", "It times out"],
            correct: 1,
            evidence: "bad address 'nginx'",
        },
    ),
    (
        "lesson-indexed-job",
        2,
        Prediction {
            question: "An Indexed Job with 5 completions and parallelism 3 has just started. Which indexes are running?",
            choices: &["Any three of the five", "0, 1 and 2", "All five: parallelism is only a hint"],
            correct: 1,
            evidence: "indexed-job-2-",
        },
    ),
    (
        "lesson-indexed-job",
        5,
        Prediction {
            question: "Pod 3's init container wrote item 3 (counting from 0) of foo bar baz qux xyz, and its worker reversed it. What did it print?",
            choices: &["zab", "3", "xuq"],
            correct: 2,
            evidence: "xuq",
        },
    ),
    (
        "lesson-indexed-job",
        9,
        Prediction {
            question: "Two pods run at once; each exits 42 after 30 seconds. backoffLimit is 6. How many pods has the Job run when it fails?",
            choices: &["2: the first two, no retries", "7: one try and 6 retries", "8: one per item"],
            correct: 0,
            evidence: "0 Succeeded / 2 Failed",
        },
    ),
    (
        "lesson-jobs-cronjobs-daemonsets",
        2,
        Prediction {
            question: "The Job needs 4 successful pods, at most 2 at a time. How many of its pods are running now?",
            choices: &["2", "4"],
            correct: 0,
            evidence: "1/1     Running",
        },
    ),
    (
        "lesson-jobs-cronjobs-daemonsets",
        7,
        Prediction {
            question: "The container always exits 1 and backoffLimit is 2. How many pods has the Job run when it gives up?",
            choices: &["1", "3", "It retries forever"],
            correct: 1,
            evidence: "3 Failed",
        },
    ),
    (
        "lesson-jobs-cronjobs-daemonsets",
        17,
        Prediction {
            question: "A fourth node joined. How many log-agent pods does the DaemonSet want now?",
            choices: &["3, as before", "4: one for the new node too"],
            correct: 1,
            evidence: "log-agent   4         4",
        },
    ),
    (
        "lesson-jobs-cronjobs-daemonsets",
        18,
        Prediction {
            question: "node-d runs a log-agent pod. Will a plain drain evict it?",
            choices: &["No: drain refuses until told to ignore DaemonSet pods", "Yes, like any other pod"],
            correct: 0,
            evidence: "cannot delete DaemonSet-managed Pods",
        },
    ),
    (
        "seed000-deployment-loses-data",
        11,
        Prediction {
            question: "The rollout restart replaced the pod (no volume). Is the users table still there?",
            choices: &["Yes, Alice is still there", "No, the table is gone"],
            correct: 1,
            evidence: "relation \"users\" does not exist",
        },
    ),
    (
        "seed000-deployment-with-pvc",
        16,
        Prediction {
            question: "This time PostgreSQL's data directory is on a PersistentVolume. After the restart, is Alice still there?",
            choices: &["Yes", "No, the new pod starts empty"],
            correct: 0,
            evidence: "Alice",
        },
    ),
    (
        "seed000-deployment-with-pvc",
        18,
        Prediction {
            question: "The Deployment was deleted. What happened to the claim my-pvc?",
            choices: &["It is still Bound", "It was deleted with the Deployment"],
            correct: 0,
            evidence: "Bound",
        },
    ),
    (
        "seed000-statefulset-local-path",
        2,
        Prediction {
            question: "pg-0 has just been created. Does pg-1 exist yet?",
            choices: &["Yes, all replicas start together", "No, pg-1 waits until pg-0 is Running and Ready"],
            correct: 1,
            evidence: "pods \"pg-1\" not found",
        },
    ),
    (
        "seed000-statefulset-local-path",
        11,
        Prediction {
            question: "Alice was inserted through pg-0. Can pg-1 see her?",
            choices: &["Yes, the replicas share one database", "No, each replica has its own volume"],
            correct: 1,
            evidence: "relation \"users\" does not exist",
        },
    ),
    (
        "seed000-statefulset-local-path",
        13,
        Prediction {
            question: "pg-0 was deleted. What will its replacement be called?",
            choices: &["pg-0", "pg-3", "a random name like pg-7d9f"],
            correct: 0,
            evidence: "pod/pg-0 condition met",
        },
    ),
    (
        "seed000-statefulset-local-path",
        15,
        Prediction { question: "The new pg-0 mounts the claim of the old one. Is Alice still there?", choices: &["Yes", "No"], correct: 0, evidence: "Alice" },
    ),
    (
        "seed001-orphan-and-cleanup",
        6,
        Prediction {
            question: "The StatefulSet was deleted with --cascade=orphan. What happened to its pods?",
            choices: &["They keep running", "They were deleted too"],
            correct: 0,
            evidence: "Running",
        },
    ),
    (
        "seed001-orphan-and-cleanup",
        8,
        Prediction {
            question: "The claims were deleted while the orphaned pods still use them. What do they show?",
            choices: &["Terminating: kept until no pod uses them", "Nothing: they are gone"],
            correct: 0,
            evidence: "Terminating",
        },
    ),
    (
        "seed002-scale-to-zero",
        14,
        Prediction {
            question: "The StatefulSet was scaled to 0 replicas. What about its claim?",
            choices: &["Still Bound", "Deleted with the pod"],
            correct: 0,
            evidence: "Bound",
        },
    ),
    (
        "seed002-scale-to-zero",
        18,
        Prediction { question: "Scaled back to 1: how many rows does the table have?", choices: &["0", "2"], correct: 1, evidence: "     2" },
    ),
    (
        "seed003-nfs-static-pvs",
        5,
        Prediction {
            question: "The pods were created before any PersistentVolume exists. What state are they in?",
            choices: &["Pending", "Running"],
            correct: 0,
            evidence: "Pending",
        },
    ),
    (
        "seed003-nfs-static-pvs",
        21,
        Prediction {
            question: "www was deleted; www2 mounts the same NFS claim. What does http://www serve now?",
            choices: &["Hello NFS World", "nginx's default page", "nothing"],
            correct: 0,
            evidence: "Hello NFS World",
        },
    ),
    (
        "seed004-fast-ssd-statefulset",
        13,
        Prediction {
            question: "The StatefulSet was deleted. What about data-postgres-0?",
            choices: &["Still Bound", "Deleted with the StatefulSet"],
            correct: 0,
            evidence: "Bound",
        },
    ),
    (
        "seed004-fast-ssd-statefulset",
        16,
        Prediction {
            question: "The same StatefulSet was applied again. Is the order 'disk' still there?",
            choices: &["Yes", "No"],
            correct: 0,
            evidence: "disk",
        },
    ),
    (
        "statefulset-basics",
        3,
        Prediction {
            question: "web-0 has just been created. Does web-1 exist yet?",
            choices: &["Yes", "No, it waits for web-0 to be Ready"],
            correct: 1,
            evidence: "pods \"web-1\" not found",
        },
    ),
    (
        "statefulset-basics",
        15,
        Prediction {
            question: "Scaling from 5 to 1: web-4 is gone. Is web-1 still there?",
            choices: &["Yes: pods go one at a time, highest ordinal first", "No: all extra pods go at once"],
            correct: 0,
            evidence: "web-1   1/1     Running",
        },
    ),
    (
        "statefulset-basics",
        18,
        Prediction {
            question: "After scaling down to 1, how many claims are left?",
            choices: &["1", "All 5: claims outlive their pods"],
            correct: 1,
            evidence: "data-web-4",
        },
    ),
];

fn strip(c: &str) -> &str {
    c.trim_start_matches('#').trim()
}

pub fn lesson(id: &'static str, text: &str) -> Lesson {
    let ex = examples::parse(id, text);
    let t = transcript::parse(text, false).unwrap_or_default();
    let mut steps = vec![];
    let mut pending: Vec<String> = vec![];
    let mut seen_step = false;
    for item in &t.items {
        match item {
            Item::Comment(c) => pending.push(strip(c).to_string()),
            Item::Blank => {
                if !seen_step {
                    // The opening block is the lesson's intro, not narration.
                    pending.clear();
                }
            }
            Item::Step(s) => {
                seen_step = true;
                let i = steps.len();
                let prediction = PREDICTIONS.iter().find(|(l, k, _)| *l == id && *k == i).map(|(_, _, p)| p.clone());
                steps.push(LessonStep {
                    narration: pending.iter().filter(|l| !l.is_empty()).cloned().collect::<Vec<_>>().join(" "),
                    command: s.command.clone(),
                    stdin: s.stdin().to_string(),
                    expected: s.expected.clone(),
                    must_fail: s.must_fail,
                    prediction,
                });
                pending.clear();
            }
        }
    }
    Lesson { id, title: ex.title, intro: ex.intro, steps }
}

/// Every lesson that is here ([`examples::text`]), in gallery order.
pub fn all() -> Vec<Lesson> {
    examples::TITLES.iter().filter_map(|(id, _)| Some(lesson(id, examples::text(id)?))).collect()
}

thread_local! {
    /// The lessons, parsed once per set of texts (the page asks for them
    /// every frame).
    static ALL: std::cell::RefCell<(usize, std::rc::Rc<Vec<Lesson>>)> = std::cell::RefCell::default();
}

/// Every lesson that is here, parsed once per thread.
pub fn cached() -> std::rc::Rc<Vec<Lesson>> {
    let n = examples::here();
    ALL.with(|a| {
        let mut a = a.borrow_mut();
        if a.0 != n {
            *a = (n, std::rc::Rc::new(all()));
        }
        a.1.clone()
    })
}

thread_local! {
    /// Transcripts given to `<kubarium-cluster>` elements, as lessons
    /// (their text, and the lesson made of it).
    static GIVEN: std::cell::RefCell<Vec<(String, Lesson)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A transcript an element was given (its text or its `src`) as a lesson
/// without predictions: its opening comments are the title and intro, the
/// comments before each command its narration. The same text always gets
/// the same id (`given-<n>`), so resetting or repeating an element adds
/// nothing.
pub fn register(text: &str, markdown: bool) -> Result<String, String> {
    let t = transcript::parse(text, markdown).map_err(|e| format!("the transcript does not parse: {e}"))?;
    if t.steps().next().is_none() {
        return Err("the transcript has no commands (lines starting with \"$ \")".into());
    }
    if let Some(id) = GIVEN.with(|g| g.borrow().iter().find(|(t, _)| t == text).map(|(_, l)| l.id)) {
        return Ok(id.to_string());
    }
    // Ids are 'static like the built-in lessons'; one short string per
    // distinct transcript a page shows.
    let id: &'static str = Box::leak(format!("given-{}", GIVEN.with(|g| g.borrow().len()) + 1).into_boxed_str());
    let lines = if markdown { markdown_console(text) } else { text.to_string() };
    let mut l = lesson(id, &lines);
    if l.title == id {
        l.title = "A scenario, step by step".into();
    }
    GIVEN.with(|g| g.borrow_mut().push((text.to_string(), l)));
    Ok(id.to_string())
}

/// The ```console blocks of a Markdown transcript, as a plain transcript.
fn markdown_console(text: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for l in text.lines() {
        let t = l.trim();
        if let Some(info) = t.strip_prefix("```") {
            inside = !inside && info.trim() == "console";
            out.push('\n');
        } else if inside {
            out.push_str(l);
            out.push('\n');
        }
    }
    out
}

fn with_lesson<R>(id: &str, f: impl FnOnce(Option<&Lesson>) -> R) -> R {
    let all = cached();
    match all.iter().find(|l| l.id == id) {
        Some(l) => f(Some(l)),
        None => GIVEN.with(|g| f(g.borrow().iter().map(|(_, l)| l).find(|l| l.id == id))),
    }
}

/// The lesson with this id (built in, or a transcript an element was given).
pub fn find(id: &str) -> Option<Lesson> {
    with_lesson(id, |l| l.cloned())
}

/// Whether step `step` of lesson `id` asks a prediction (no copy made).
pub fn asks(id: &str, step: usize) -> bool {
    with_lesson(id, |l| l.and_then(|l| l.steps.get(step)).is_some_and(|s| s.prediction.is_some()))
}

pub fn check(l: &Lesson, step: usize, choice: usize) -> bool {
    l.steps.get(step).and_then(|s| s.prediction.as_ref()).is_some_and(|p| p.correct == choice)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubectl::session::{DEFAULT_SEED, Session};

    #[test]
    fn every_lesson_has_narration_and_a_prediction_on_a_step_that_matters() {
        let all = all();
        assert_eq!(all.len(), examples::FILES.len());
        for l in &all {
            assert!(!l.title.is_empty() && !l.intro.is_empty(), "{}", l.id);
            assert!(l.steps.iter().any(|s| s.prediction.is_some()), "{} has no prediction", l.id);
            assert!(l.steps.iter().filter(|s| !s.narration.is_empty()).count() >= 2, "{} has little narration", l.id);
        }
        for (id, k, _) in PREDICTIONS {
            let l = all.iter().find(|l| l.id == *id).unwrap_or_else(|| panic!("no lesson {id}"));
            assert!(*k < l.steps.len(), "{id} step {k}");
        }
    }

    /// Every step's real output matches the transcript, and every prediction's
    /// answer is visible in the output of its step.
    #[test]
    fn lessons_play_on_the_engine_and_the_answers_are_true() {
        for l in all() {
            let text = examples::FILES.iter().find(|(id, _)| *id == l.id).unwrap().1;
            let t = transcript::parse(text, false).unwrap();
            let mut s = Session::new(DEFAULT_SEED);
            let results = transcript::run_steps(&mut s, &t, l.id);
            assert_eq!(results.len(), l.steps.len());
            for (i, (r, step)) in results.iter().zip(&l.steps).enumerate() {
                assert!(r.failure.is_none(), "{} step {i}: {:?}", l.id, r.failure);
                assert_eq!(r.step.command, step.command);
                if let Some(p) = &step.prediction {
                    assert!(p.correct < p.choices.len());
                    assert!(r.output.output.contains(p.evidence), "{} step {i}: {:?} not in {:?}", l.id, p.evidence, r.output.output);
                    assert!(check(&l, i, p.correct));
                    assert!(!check(&l, i, (p.correct + 1) % p.choices.len()));
                }
            }
        }
    }
}
