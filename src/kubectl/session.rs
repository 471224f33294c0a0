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
        for line in ["", "   ", "kubectl", "kubectl 'unterminated", "foo bar", "kubectl get", "kubectl --", "kubectl -n", "cluster", "kubectl get pods | grep x", "kubectl get ''"] {
            let _ = s.run(line, "");
        }
        let r = s.run("nope", "");
        assert_eq!(r, CmdOutput { output: "bash: nope: command not found\n".into(), exit_code: 127 });
    }
}
