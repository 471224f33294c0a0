//! A session: one simulated cluster, the kubeconfig's current namespace,
//! and the commands typed against it. The native CLI, the transcript runner
//! and the page's console all run command lines through [`Session::run`],
//! which never prints to the process and never panics on bad input.

use crate::engine::apiserver::FieldError;
use crate::engine::cluster::{Cluster, Config};
use crate::engine::time::{Millis, Time};
use crate::kubectl::args::split_words;
use crate::kubectl::commands;
use crate::kubectl::errors::{CmdError, render};

/// What one command printed (stdout and stderr merged, in order) and its
/// exit code; and, for callers that act on it (the page), the same facts as
/// data, so nothing reads the printed text back.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CmdOutput {
    pub output: String,
    pub exit_code: i32,
    /// The command the line ran.
    pub ran: Ran,
    /// The `-f` documents the API server refused, and why (what `apply`
    /// printed as `strict decoding error` or `... is invalid: ...`).
    pub rejected: Vec<Rejected>,
}

impl CmdOutput {
    /// The line was `cluster reset`, and the cluster is a fresh one.
    pub fn was_reset(&self) -> bool {
        self.ran == Ran::Cluster(ClusterCmd::Reset) && self.exit_code == 0
    }
}

/// Which command a line runs, from its words, as [`Session`] dispatches it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Ran {
    /// Nothing: an empty line, or one the shell could not split.
    #[default]
    Nothing,
    Kubectl,
    Cluster(ClusterCmd),
    Sleep,
    /// A program the session does not have (`bash: x: command not found`).
    Unknown,
}

/// The `cluster` verbs callers tell apart (the rest is `Other`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClusterCmd {
    /// `cluster advance DURATION`: time passes as fast as it is polled.
    Advance,
    /// `cluster settle`: the same, until nothing more would happen.
    Settle,
    /// `cluster reset`: a fresh cluster.
    Reset,
    Other,
}

impl Ran {
    fn of(words: &[String]) -> Ran {
        match words.first().map(String::as_str) {
            None => Ran::Nothing,
            Some("kubectl" | "k") => Ran::Kubectl,
            Some("cluster") => Ran::Cluster(commands::cluster::verb(&words[1..])),
            Some("sleep") => Ran::Sleep,
            Some(_) => Ran::Unknown,
        }
    }

    /// What `line` runs (without running it).
    pub fn of_line(line: &str) -> Ran {
        split_words(line).map(|(w, _)| Ran::of(&w)).unwrap_or_default()
    }

    /// `cluster advance` and `cluster settle`: work through simulated time
    /// as fast as they are polled, not with a clock.
    pub fn is_fast_forward(self) -> bool {
        matches!(self, Ran::Cluster(ClusterCmd::Advance | ClusterCmd::Settle))
    }
}

/// One `-f` document (or item of a `List` document) that a write refused.
#[derive(Clone, Debug, PartialEq)]
pub struct Rejected {
    /// `STDIN` or the file's name, as kubectl names the source.
    pub source: String,
    /// The document's index in its source (0-based, `---` separated).
    pub doc: usize,
    /// For an item of a `List` document: its index in `items`.
    pub item: Option<usize>,
    pub why: Why,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Why {
    /// Strict field validation refused these unknown fields (their paths).
    UnknownFields(Vec<String>),
    /// Validation refused these fields (the Invalid status's causes).
    Invalid(Vec<FieldError>),
}

/// Reads a file named on a command line (`-f FILE`); the transcript runner
/// resolves names relative to the transcript's folder.
pub type FileReader = Box<dyn Fn(&str) -> Result<String, String>>;

pub struct Session {
    pub cluster: Cluster,
    /// The current context's namespace (`kubectl config set-context --current --namespace`).
    pub namespace: String,
    config: Config,
    files: Option<FileReader>,
    /// Where a command that waits leaves the rest of its work (see [`Waiter`]).
    pending: Option<Box<dyn Waiter>>,
    /// What the command under way has had refused (see [`CmdOutput::rejected`]).
    pub(crate) rejected: Vec<Rejected>,
}

/// The part of a command that waits for the cluster (`kubectl wait`,
/// `rollout status`, `delete` waiting for the deletion, `drain`, `scale
/// --timeout`, `sleep`, `cluster advance`, `cluster settle`): looked at
/// every time the cluster has moved to its next instant. Commands hand one
/// to [`Session::wait_with`] and return; [`Running`] drives it.
pub(crate) trait Waiter {
    /// Looks at the cluster now and prints what is due: done, with the
    /// command's result, or wait (the cluster steps to its next timer, at
    /// most `max` ms ahead, and this is asked again).
    fn check(&mut self, s: &mut Session, out: &mut String) -> Check;
}

pub(crate) enum Check {
    Done(Result<(), CmdError>),
    Wait(Millis),
}

/// A command line under way: the commands that wait run in slices, with the
/// clock, so a page can keep drawing and take Ctrl+C (see
/// [`Session::begin`]). Polling to the end gives exactly what
/// [`Session::run`] gives (it is how `run` works).
pub struct Running {
    out: String,
    ran: Ran,
    state: RunState,
}

enum RunState {
    /// Not started: the cluster's current instant still has work (deferred
    /// writes of the previous command); it is finished first, so the
    /// command sees what it would see run in one go.
    Queued {
        line: String,
        stdin: String,
    },
    Finished(i32),
    Waiting {
        waiter: Box<dyn Waiter>,
        step: Step,
    },
    Taken,
}

/// Where a waiting command is between two looks at the cluster.
enum Step {
    /// About to look.
    Look,
    /// Finishing the work its own writes left at this instant (deferred
    /// writes), before choosing where the step goes (as `Cluster::step` does).
    Settle(Millis),
    /// Going to this instant (the next timer, or the wait's own bound):
    /// conditions are looked at only there, as a command run in one go
    /// looks at them.
    To(Millis),
}

/// The seed every session starts from unless told otherwise.
pub const DEFAULT_SEED: u64 = 1;

impl Session {
    /// A session on the default cluster.
    pub fn new(seed: u64) -> Session {
        Session::with_config(seed, Config::default())
    }

    pub fn with_config(seed: u64, config: Config) -> Session {
        Session { cluster: Cluster::with_config(seed, config.clone()), namespace: "default".into(), config, files: None, pending: None, rejected: vec![] }
    }

    /// A command that waits leaves the rest of its work here (and returns).
    pub(crate) fn wait_with(&mut self, w: Box<dyn Waiter>) {
        self.pending = Some(w);
    }

    /// Lets `-f FILE` read files (the page has none; the CLI reads the disk).
    pub fn set_file_reader(&mut self, reader: FileReader) {
        self.files = Some(reader);
    }

    /// `cluster reset`: a fresh default cluster with the same seed.
    pub fn reset(&mut self) {
        self.cluster = Cluster::with_config(self.cluster.seed(), self.config.clone());
        self.namespace = "default".into();
    }

    pub(crate) fn read_file(&self, name: &str) -> Result<String, String> {
        match &self.files {
            Some(f) => f(name),
            None => Err(format!("the path {name:?} does not exist")),
        }
    }

    /// Runs one command line with `stdin` as its standard input (a heredoc
    /// body, or empty), to its end.
    pub fn run(&mut self, line: &str, stdin: &str) -> CmdOutput {
        let mut r = self.begin(line, stdin);
        loop {
            if let Some(out) = r.poll(self, Time(Millis::MAX), u64::MAX) {
                return out;
            }
        }
    }

    /// Starts one command line. A command that does not wait is done at
    /// once; one that waits for the cluster (`kubectl wait`, `rollout
    /// status`, `delete`, `drain`, `scale --timeout`, `sleep`, `cluster
    /// advance`, `cluster settle`) has done its writes and printed what
    /// comes first, and goes on in [`Running::poll`].
    pub fn begin(&mut self, line: &str, stdin: &str) -> Running {
        self.rejected.clear();
        if self.cluster.has_pending_work() {
            let state = RunState::Queued { line: line.to_string(), stdin: stdin.to_string() };
            return Running { out: String::new(), ran: Ran::of_line(line), state };
        }
        self.start(line, stdin)
    }

    fn start(&mut self, line: &str, stdin: &str) -> Running {
        self.pending = None;
        let words = match split_words(line) {
            Ok((w, _heredoc)) => w,
            Err(e) => return Running { out: format!("bash: {e}\n"), ran: Ran::Nothing, state: RunState::Finished(2) },
        };
        let ran = Ran::of(&words);
        let mut out = String::new();
        let result = match ran {
            Ran::Nothing => Ok(()),
            Ran::Kubectl => commands::kubectl(self, &words[1..], stdin, &mut out),
            Ran::Cluster(_) => commands::cluster::run(self, &words[1..], &mut out),
            Ran::Sleep => commands::cluster::sleep(self, &words[1..], &mut out),
            Ran::Unknown => Err(CmdError::Raw(format!("bash: {}: command not found\n", words[0]), 127)),
        };
        let waiter = self.pending.take();
        match (result, waiter) {
            (Ok(()), Some(waiter)) => Running { out, ran, state: RunState::Waiting { waiter, step: Step::Look } },
            (result, _) => {
                let code = finish(&mut out, result);
                Running { out, ran, state: RunState::Finished(code) }
            }
        }
    }
}

/// Appends a command's error (if any) as kubectl prints it; the exit code.
fn finish(out: &mut String, result: Result<(), CmdError>) -> i32 {
    match result {
        Ok(()) => 0,
        Err(e) => {
            let (text, code) = render(&e);
            out.push_str(&text);
            code
        }
    }
}

impl Running {
    /// What the command has printed so far.
    pub fn output(&self) -> &str {
        &self.out
    }

    /// The command the line runs.
    pub fn ran(&self) -> Ran {
        self.ran
    }

    /// Whether the command is still under way (waiting for the cluster, or
    /// for the work the previous command left to finish before it starts).
    pub fn is_waiting(&self) -> bool {
        matches!(self.state, RunState::Waiting { .. } | RunState::Queued { .. })
    }

    /// Lets the command go on until it ends (its output and exit code), or
    /// the cluster's clock reaches `until`, or about `budget` units of the
    /// cluster's work are spent ([`Cluster::advance_for`]); then None, and
    /// the next call resumes exactly there. Any slicing gives the same
    /// output, cluster and input log as [`Session::run`]. The clock moves
    /// only while the command waits: a command that waits for a week's
    /// timeout moves it a week, at the pace the caller polls it.
    pub fn poll(&mut self, s: &mut Session, until: Time, budget: u64) -> Option<CmdOutput> {
        let mut left = budget;
        if let RunState::Queued { line, stdin } = &self.state {
            let (done, work) = s.cluster.finish_pending_for(left);
            left = left.saturating_sub(work);
            if !done {
                return None;
            }
            let (line, stdin) = (line.clone(), stdin.clone());
            *self = s.start(&line, &stdin);
        }
        while let RunState::Waiting { waiter, step } = &mut self.state {
            match *step {
                Step::Settle(max) => {
                    let (done, work) = s.cluster.finish_pending_for(left);
                    left = left.saturating_sub(work);
                    if !done {
                        return None;
                    }
                    // Cluster::step's target: the next timer, at most `max` ahead.
                    let now = s.cluster.now().0;
                    let horizon = now.saturating_add(max.max(0));
                    let next = s.cluster.api.timers.next_at().unwrap_or(horizon).min(horizon).max(now);
                    *step = Step::To(next);
                }
                Step::To(target) => {
                    let now = s.cluster.now().0;
                    let limit = target.min(until.0.max(now));
                    let p = s.cluster.advance_for(limit - now, left);
                    left = left.saturating_sub(p.work);
                    if !p.done || s.cluster.now().0 < target {
                        return None;
                    }
                    *step = Step::Look;
                }
                Step::Look => {
                    // A look sees the instant complete (work left by the
                    // command's own writes done first), and the writes it
                    // makes run their instant at once, as in one go.
                    let (done, work) = s.cluster.finish_pending_for(left);
                    left = left.saturating_sub(work);
                    if !done {
                        return None;
                    }
                    let deferred = s.cluster.is_deferred();
                    s.cluster.set_deferred(false);
                    let checked = waiter.check(s, &mut self.out);
                    s.cluster.set_deferred(deferred);
                    match checked {
                        Check::Done(result) => {
                            let code = finish(&mut self.out, result);
                            self.state = RunState::Finished(code);
                        }
                        Check::Wait(max) => {
                            *step = Step::Settle(max);
                            if left == 0 {
                                return None;
                            }
                        }
                    }
                }
            }
        }
        match std::mem::replace(&mut self.state, RunState::Taken) {
            RunState::Finished(code) => Some(self.output_of(s, code)),
            _ => None,
        }
    }

    /// Ctrl+C: the command stops where it is, as kubectl does on SIGINT (the
    /// terminal shows `^C`; the shell's status is 130). What it wrote and the
    /// time that passed stay; work of the current instant left undone runs
    /// before the next input, as a replay would run it.
    pub fn interrupt(mut self, s: &mut Session) -> CmdOutput {
        match self.state {
            RunState::Finished(code) => self.output_of(s, code),
            _ => {
                self.out.push_str("^C\n");
                self.output_of(s, 130)
            }
        }
    }

    fn output_of(&mut self, s: &mut Session, exit_code: i32) -> CmdOutput {
        CmdOutput { output: std::mem::take(&mut self.out), exit_code, ran: self.ran, rejected: std::mem::take(&mut s.rejected) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_lines_do_not_panic() {
        let mut s = Session::new(1);
        for line in [
            "",
            "   ",
            "kubectl",
            "kubectl 'unterminated",
            "foo bar",
            "kubectl get",
            "kubectl --",
            "kubectl -n",
            "cluster",
            "kubectl get pods | grep x",
            "kubectl get ''",
        ] {
            let _ = s.run(line, "");
        }
        let r = s.run("nope", "");
        assert_eq!(r, CmdOutput { output: "bash: nope: command not found\n".into(), exit_code: 127, ran: Ran::Unknown, rejected: vec![] });
    }

    /// What a line ran is what the session dispatched: `cluster reset`
    /// only when the reset ran, time's verbs told apart before they run.
    #[test]
    fn what_ran() {
        let mut s = Session::new(1);
        for (line, ran, code) in [
            ("", Ran::Nothing, 0),
            ("kubectl 'open", Ran::Nothing, 2),
            ("k get pods", Ran::Kubectl, 0),
            ("cluster reset", Ran::Cluster(ClusterCmd::Reset), 0),
            ("cluster --zone=zone-a reset", Ran::Cluster(ClusterCmd::Reset), 0),
            ("cluster reset now", Ran::Cluster(ClusterCmd::Other), 1),
            ("cluster reset --help", Ran::Cluster(ClusterCmd::Other), 0),
            ("cluster advance 1s", Ran::Cluster(ClusterCmd::Advance), 0),
            ("cluster advance", Ran::Cluster(ClusterCmd::Other), 1),
            ("cluster settle", Ran::Cluster(ClusterCmd::Settle), 0),
            ("cluster node stop node-a", Ran::Cluster(ClusterCmd::Other), 0),
            ("sleep 1", Ran::Sleep, 0),
            ("ls", Ran::Unknown, 127),
        ] {
            assert_eq!(Ran::of_line(line), ran, "{line}");
            let out = s.run(line, "");
            assert_eq!((out.ran, out.exit_code), (ran, code), "{line}: {}", out.output);
            assert_eq!(out.was_reset(), ran == Ran::Cluster(ClusterCmd::Reset), "{line}");
        }
        assert!(s.begin("cluster advance 1m", "").ran().is_fast_forward());
        assert!(!s.begin("sleep 60", "").ran().is_fast_forward());
        // what was_reset says happened did happen
        assert_eq!(s.run("kubectl create configmap x", "").exit_code, 0);
        assert!(s.run("cluster reset", "").was_reset());
        assert_eq!(s.run("kubectl get configmap x", "").exit_code, 1);
    }

    /// The deepest manifest the parser accepts goes through apply, every
    /// printer and delete within a browser tab's stack (1 MiB on wasm32;
    /// debug frames are bigger than the page's release ones).
    #[test]
    fn the_deepest_manifest_fits_a_tabs_stack() {
        let depth = crate::engine::yaml::MAX_DEPTH - 8;
        let mut nested = String::from("1");
        for _ in 0..depth {
            nested = format!("{{a: {nested}}}");
        }
        let pod =
            format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: deep\nspec:\n  containers:\n  - name: c\n    image: nginx\n    securityContext: {nested}\n");
        let t = std::thread::Builder::new()
            .stack_size(1 << 20)
            .spawn(move || {
                let mut s = Session::new(1);
                let r = s.run("kubectl apply -f -", &pod);
                assert_eq!(r.output, "pod/deep created\n");
                for line in
                    ["kubectl get pod deep -o yaml", "kubectl get pod deep -o json", "kubectl describe pod deep", "kubectl apply -f - --dry-run=client -o yaml"]
                {
                    let r = s.run(line, &pod);
                    assert!(r.exit_code == 0 || line.contains("dry-run"), "{line}: {}", r.output);
                }
                assert_eq!(s.run("kubectl delete pod deep --wait=false", "").exit_code, 0);
                let too_deep = format!("x: {}1{}\n", "[".repeat(crate::engine::yaml::MAX_DEPTH + 1), "]".repeat(crate::engine::yaml::MAX_DEPTH + 1));
                let r = s.run("kubectl apply -f -", &too_deep);
                assert!(r.output.contains("exceeded max depth of 100"), "{}", r.output);
            })
            .unwrap();
        t.join().expect("fits in 1 MiB of stack");
    }

    /// Random command lines built from kubectl's vocabulary never panic.
    #[test]
    fn random_lines_do_not_panic() {
        let words = [
            "kubectl",
            "get",
            "describe",
            "delete",
            "apply",
            "create",
            "scale",
            "rollout",
            "status",
            "history",
            "undo",
            "pause",
            "resume",
            "restart",
            "set",
            "image",
            "patch",
            "label",
            "annotate",
            "taint",
            "cordon",
            "uncordon",
            "drain",
            "exec",
            "logs",
            "wait",
            "explain",
            "version",
            "config",
            "current-context",
            "api-resources",
            "namespace",
            "deployment",
            "configmap",
            "secret",
            "generic",
            "pods",
            "pod",
            "po/x",
            "sts",
            "statefulset/web",
            "deploy/web",
            "nodes",
            "node-a",
            "node/node-b",
            "pvc",
            "pv",
            "svc",
            "all",
            "ns",
            "cm",
            "cm/x",
            "x",
            "web",
            "-n",
            "kube-system",
            "-A",
            "-l",
            "app=web",
            "-o",
            "yaml",
            "json",
            "wide",
            "name",
            "jsonpath={.items[*].metadata.name}",
            "custom-columns=N:.metadata.name",
            "--for=delete",
            "--for=condition=Ready",
            "--for=jsonpath={.status.phase}=Bound",
            "--timeout=1s",
            "--timeout=0",
            "--replicas=2",
            "--replicas=-1",
            "--",
            "sh",
            "-c",
            "echo hi",
            "-p",
            "{\"spec\":{}}",
            "--type=json",
            "[]",
            "--type=merge",
            "--overwrite",
            "k=v",
            "k-",
            "a=b:NoSchedule",
            "a:NoSchedule-",
            "--force",
            "--grace-period=0",
            "--cascade=orphan",
            "--wait=false",
            "--all",
            "-f",
            "-",
            "--recursive",
            "--to-revision=2",
            "--revision=1",
            "--show-labels",
            "-L",
            "app",
            "--sort-by=.metadata.name",
            "--field-selector=status.phase=Running",
            "''",
            "'",
            "\"",
            "=",
            "-",
            "--",
            "-x",
            "--x",
            "spec.containers",
            "pods.spec.containers.image",
            "--image=nginx",
            "--from-literal=a=b",
            "--current",
            "--namespace=x",
            "-c",
            "nginx",
            "-i",
            "-t",
            "--previous",
            "--tail=1",
        ];
        let stdins = [
            "",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
            "kind: [\n",
            "---\n---\n",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec: 7\n",
        ];
        let mut s = Session::new(7);
        let mut state: u64 = 0x9e3779b97f4a7c15;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        for _ in 0..1500 {
            let len = 1 + next(7);
            let mut line = String::from("kubectl");
            for _ in 0..len {
                line.push(' ');
                line.push_str(words[next(words.len())]);
            }
            let stdin = stdins[next(stdins.len())];
            let _ = s.run(&line, stdin);
        }
        for line in [
            "cluster",
            "cluster node",
            "cluster node stop",
            "cluster node add",
            "cluster advance",
            "cluster advance -1s",
            "cluster feature-gate",
            "cluster feature-gate X",
            "sleep",
            "sleep x",
        ] {
            let _ = s.run(line, "");
        }
    }
}
