//! A session: one simulated cluster, the kubeconfig's current namespace,
//! and the commands typed against it. The native CLI, the transcript runner
//! and the page's console all run command lines through [`Session::run`],
//! which never prints to the process and never panics on bad input.

use crate::engine::cluster::{Cluster, Config};
use crate::kubectl::args::split_words;
use crate::kubectl::commands;
use crate::kubectl::errors::render;

/// What one command printed (stdout and stderr merged, in order) and its
/// exit code.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CmdOutput {
    pub output: String,
    pub exit_code: i32,
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
}

/// The seed every session starts from unless told otherwise.
pub const DEFAULT_SEED: u64 = 1;

impl Session {
    /// A session on the default cluster.
    pub fn new(seed: u64) -> Session {
        Session::with_config(seed, Config::default())
    }

    pub fn with_config(seed: u64, config: Config) -> Session {
        Session { cluster: Cluster::with_config(seed, config.clone()), namespace: "default".into(), config, files: None }
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
    /// body, or empty).
    pub fn run(&mut self, line: &str, stdin: &str) -> CmdOutput {
        let words = match split_words(line) {
            Ok((w, _heredoc)) => w,
            Err(e) => return CmdOutput { output: format!("bash: {e}\n"), exit_code: 2 },
        };
        if words.is_empty() {
            return CmdOutput::default();
        }
        let mut out = String::new();
        let result = match words[0].as_str() {
            "kubectl" | "k" => commands::kubectl(self, &words[1..], stdin, &mut out),
            "cluster" => commands::cluster::run(self, &words[1..], &mut out),
            "sleep" => commands::cluster::sleep(self, &words[1..], &mut out),
            other => Err(crate::kubectl::errors::CmdError::Raw(format!("bash: {other}: command not found\n"), 127)),
        };
        let exit_code = match result {
            Ok(()) => 0,
            Err(e) => {
                let (text, code) = render(&e);
                out.push_str(&text);
                code
            }
        };
        CmdOutput { output: out, exit_code }
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
        assert_eq!(r, CmdOutput { output: "bash: nope: command not found\n".into(), exit_code: 127 });
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
