//! The Examples menu: the lessons of the project's tutorials (the seed
//! scenarios), as their transcripts. The menu offers each manifest a
//! transcript applies (its heredocs), and the console can play a lesson's
//! commands one by one.
//!
//! The files in `www/lessons/` are copies of `../shared/transcripts/*.txt`
//! (a test checks they are still the same when that folder is present),
//! and the project's own lessons (`lesson-*.txt`, for what the tutorials
//! of that folder do not cover). Natively they are compiled in; the page
//! fetches them (`lessons/<id>.txt`, 10 KB gzip its first frame does not
//! need) and hands each over with [`provide`]: a `?lesson=` link's before
//! the page starts, the rest after the first frame (an embed, or an element
//! with a `lesson`, fetches only its own).

use crate::engine::yaml;
use crate::transcript::{self, Item, Step};

/// (file stem, text): every example, compiled in.
#[cfg(not(target_arch = "wasm32"))]
pub const FILES: &[(&str, &str)] = &[
    ("seed000-deployment-loses-data", include_str!("../../www/lessons/seed000-deployment-loses-data.txt")),
    ("seed000-deployment-with-pvc", include_str!("../../www/lessons/seed000-deployment-with-pvc.txt")),
    ("seed000-statefulset-local-path", include_str!("../../www/lessons/seed000-statefulset-local-path.txt")),
    ("seed001-orphan-and-cleanup", include_str!("../../www/lessons/seed001-orphan-and-cleanup.txt")),
    ("seed002-scale-to-zero", include_str!("../../www/lessons/seed002-scale-to-zero.txt")),
    ("seed003-nfs-static-pvs", include_str!("../../www/lessons/seed003-nfs-static-pvs.txt")),
    ("seed004-fast-ssd-statefulset", include_str!("../../www/lessons/seed004-fast-ssd-statefulset.txt")),
    ("statefulset-basics", include_str!("../../www/lessons/statefulset-basics.txt")),
    ("lesson-jobs-cronjobs-daemonsets", include_str!("../../www/lessons/lesson-jobs-cronjobs-daemonsets.txt")),
    ("lesson-hpa-walkthrough", include_str!("../../www/lessons/lesson-hpa-walkthrough.txt")),
    ("lesson-networkpolicy", include_str!("../../www/lessons/lesson-networkpolicy.txt")),
    ("lesson-indexed-job", include_str!("../../www/lessons/lesson-indexed-job.txt")),
];

/// The transcript of example `id`: compiled in.
#[cfg(not(target_arch = "wasm32"))]
pub fn text(id: &str) -> Option<&'static str> {
    FILES.iter().find(|(i, _)| *i == id).map(|(_, t)| *t)
}

#[cfg(target_arch = "wasm32")]
thread_local! {
    /// The texts fetched so far.
    static LOADED: std::cell::RefCell<Vec<(&'static str, &'static str)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The transcript of example `id`, once fetched.
#[cfg(target_arch = "wasm32")]
pub fn text(id: &str) -> Option<&'static str> {
    LOADED.with(|l| l.borrow().iter().find(|(i, _)| *i == id).map(|(_, t)| *t))
}

/// Hands a fetched transcript over (kept for the page's life, like the
/// compiled-in texts natively); false when `id` is no example or is here
/// already.
#[cfg(target_arch = "wasm32")]
pub fn provide(id: &str, text: String) -> bool {
    let Some(&(id, _)) = TITLES.iter().find(|(i, _)| *i == id) else { return false };
    if self::text(id).is_some() {
        return false;
    }
    LOADED.with(|l| l.borrow_mut().push((id, Box::leak(text.into_boxed_str()))));
    true
}

/// Whether `id` names an example (fetched or not).
pub fn known(id: &str) -> bool {
    TITLES.iter().any(|(i, _)| *i == id)
}

/// What each scenario teaches, as its title (the transcripts' first lines
/// name the tutorial they come from, which means nothing to a student).
pub const TITLES: &[(&str, &str)] = &[
    ("seed000-deployment-loses-data", "A Deployment loses its database when its pod is replaced"),
    ("seed000-deployment-with-pvc", "The same Deployment keeps its data on a PersistentVolume"),
    ("seed000-statefulset-local-path", "A StatefulSet gives each replica its own name and its own disk"),
    ("seed001-orphan-and-cleanup", "Deleting a StatefulSet: orphaned pods, and claims that stay"),
    ("seed002-scale-to-zero", "Scale a database to zero and back: the data waits on its claim"),
    ("seed003-nfs-static-pvs", "Hand-made NFS volumes: claims matched by size, files shared by pods"),
    ("seed004-fast-ssd-statefulset", "PostgreSQL on zonal SSDs: each disk is made in its pod's zone"),
    ("statefulset-basics", "StatefulSet basics: ordering, scaling, stable storage, rolling updates"),
    ("lesson-jobs-cronjobs-daemonsets", "Jobs, CronJobs and DaemonSets: pods that finish, pods on a timer, one pod per node"),
    ("lesson-hpa-walkthrough", "Autoscaling: CPU load in, replicas out (the HPA walkthrough)"),
    ("lesson-networkpolicy", "Network policies: only labelled pods may reach nginx, and DNS is egress too"),
    ("lesson-indexed-job", "Indexed Jobs and pod failure policies: a work item per index, and failing fast"),
];

#[derive(Clone, Debug, PartialEq)]
pub struct Example {
    pub id: &'static str,
    /// What it teaches ([`TITLES`]).
    pub title: String,
    /// The transcript's first comment line (the tutorial it comes from).
    pub source: String,
    /// Its opening comment block (what the lesson is about).
    pub intro: String,
    pub manifests: Vec<Manifest>,
    /// Every command of the lesson, in order (with heredoc bodies).
    pub steps: Vec<Step>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Manifest {
    /// What it creates: `StorageClass fast-ssd`, `Service postgres + StatefulSet postgres`.
    pub label: String,
    pub yaml: String,
}

fn strip_comment(l: &str) -> &str {
    l.trim_start_matches('#').trim()
}

/// `Kind name` for every document of a manifest.
pub fn label_of(yaml_text: &str) -> String {
    let Ok(docs) = yaml::parse_stream(yaml_text) else { return "manifest".into() };
    let parts: Vec<String> = docs
        .iter()
        .map(|d| {
            let kind = d.node.get("kind").and_then(|k| k.as_str()).unwrap_or("?");
            let name = d.node.get("metadata").and_then(|m| m.get("name")).and_then(|n| n.as_str()).unwrap_or("");
            format!("{kind} {name}").trim().to_string()
        })
        .collect();
    if parts.is_empty() { "empty".into() } else { parts.join(" + ") }
}

pub fn parse(id: &'static str, text: &str) -> Example {
    let t = transcript::parse(text, false).unwrap_or_default();
    let mut intro = vec![];
    for item in &t.items {
        match item {
            Item::Comment(c) => intro.push(strip_comment(c).to_string()),
            Item::Blank if intro.is_empty() => {}
            _ => break,
        }
    }
    let source = intro.first().cloned().unwrap_or_else(|| id.to_string());
    let title = TITLES.iter().find(|(i, _)| *i == id).map(|(_, t)| t.to_string()).unwrap_or_else(|| source.clone());
    let steps: Vec<Step> = t.steps().cloned().collect();
    let manifests = steps
        .iter()
        .filter(|s| (s.command.contains(" apply ") || s.command.contains(" create ")) && s.heredoc.is_some())
        .map(|s| Manifest { label: label_of(s.stdin()), yaml: s.stdin().to_string() })
        .collect();
    Example { id, title, source, intro: intro.iter().skip(1).filter(|l| !l.is_empty()).cloned().collect::<Vec<_>>().join(" "), manifests, steps }
}

/// Every example that is here (all of them natively; in the page, those
/// fetched so far), in menu order.
pub fn all() -> Vec<Example> {
    TITLES.iter().filter_map(|(id, _)| Some(parse(id, text(id)?))).collect()
}

/// How many examples are here (the parsed copies are redone when it changes).
pub fn here() -> usize {
    TITLES.iter().filter(|(id, _)| text(id).is_some()).count()
}

thread_local! {
    /// The examples, parsed once per set of texts (the editor's menu is
    /// drawn on every render).
    static ALL: std::cell::RefCell<(usize, std::rc::Rc<Vec<Example>>)> = std::cell::RefCell::default();
}

/// Every example that is here, parsed once per thread.
pub fn cached() -> std::rc::Rc<Vec<Example>> {
    let n = here();
    ALL.with(|a| {
        let mut a = a.borrow_mut();
        if a.0 != n {
            *a = (n, std::rc::Rc::new(all()));
        }
        a.1.clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubectl::session::Session;

    #[test]
    fn every_seed_has_titled_manifests_that_lint_clean() {
        let all = all();
        assert_eq!(all.len(), FILES.len());
        for e in &all {
            assert!(!e.title.is_empty(), "{}", e.id);
            assert!(!e.manifests.is_empty(), "{} has no manifests", e.id);
            for m in &e.manifests {
                assert_eq!(crate::ui::diagnose::lint(&m.yaml, &crate::engine::store::Store::new()), vec![], "{} / {}", e.id, m.label);
                assert!(!m.label.contains('?'), "{}", m.label);
            }
        }
        let seed004 = all.iter().find(|e| e.id == "seed004-fast-ssd-statefulset").unwrap();
        assert_eq!(seed004.manifests[0].label, "StorageClass fast-ssd");
        assert_eq!(seed004.manifests[1].label, "Service postgres + StatefulSet postgres");
        assert!(seed004.source.starts_with("Seed 004"));
        assert_eq!(seed004.title, "PostgreSQL on zonal SSDs: each disk is made in its pod's zone");
        assert!(all.iter().all(|e| TITLES.iter().any(|(i, _)| *i == e.id)), "every scenario has a title that says what it teaches");
        // The page fetches what TITLES lists, in its order.
        assert_eq!(FILES.iter().map(|(id, _)| *id).collect::<Vec<_>>(), TITLES.iter().map(|(id, _)| *id).collect::<Vec<_>>());
        assert!(known("statefulset-basics") && !known("statefulset") && text("statefulset").is_none());
    }

    /// The embedded lessons still pass as transcripts (so what the menu
    /// loads and the console plays is what the engine was tested with).
    #[test]
    fn embedded_transcripts_pass() {
        for (id, text) in FILES {
            let t = transcript::parse(text, false).unwrap();
            let mut s = Session::new(crate::kubectl::session::DEFAULT_SEED);
            let results = transcript::run_steps(&mut s, &t, id);
            let failures: Vec<_> = results.iter().filter_map(|r| r.failure.clone()).collect();
            assert!(failures.is_empty(), "{id}: {}", failures.join("\n"));
        }
    }

    /// The copies match the project's transcripts (when that folder is here).
    #[test]
    fn copies_match_the_shared_transcripts() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/transcripts");
        let Ok(entries) = std::fs::read_dir(&dir) else { return };
        let mut names: Vec<String> =
            entries.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).filter(|n| n.ends_with(".txt")).collect();
        crate::engine::sort::sort(&mut names);
        let ours: Vec<String> = FILES.iter().filter(|(id, _)| !id.starts_with("lesson-")).map(|(id, _)| format!("{id}.txt")).collect();
        assert_eq!(names, ours, "add new transcripts to www/lessons, FILES and TITLES");
        for (id, text) in FILES.iter().filter(|(id, _)| !id.starts_with("lesson-")) {
            let shared = std::fs::read_to_string(dir.join(format!("{id}.txt"))).unwrap();
            assert_eq!(&shared, text, "www/lessons/{id}.txt differs from ../shared/transcripts: copy it again");
        }
    }
}
