//! kubectl's commands, dispatched the way cobra does it: find the command
//! (and subcommand) among the words, parse its flags with pflag's rules,
//! run it. Each command module follows the matching package under
//! staging/src/k8s.io/kubectl/pkg/cmd.

pub mod apply;
pub mod auth;
pub mod autoscale;
pub mod cluster;
pub mod create_batch;
pub mod create_rbac;
pub mod delete;
pub mod describe;
pub mod exec;
pub mod explain;
pub mod expose;
pub mod get;
pub mod label;
pub mod merge;
pub mod misc;
pub mod node;
pub mod out;
pub mod patch;
pub mod resources;
pub mod rollout;
pub mod scale;
pub mod selector;
pub mod top;
pub mod wait;

use crate::engine::apiserver::Api;
use crate::engine::cluster::Cluster;
use crate::kubectl::args::{Flag, Parsed, global_flags, parse_flags};
use crate::kubectl::errors::CmdError;
use crate::kubectl::session::Session;

/// What a running command can reach: the session (cluster, current
/// namespace, files), its parsed flags, standard input, and its output.
pub struct Ctx<'a> {
    pub session: &'a mut Session,
    pub out: &'a mut String,
    pub stdin: &'a str,
    /// The namespace in effect (`-n`, else the context's).
    pub ns: String,
    /// `-n` was given (kubectl's EnforceNamespace).
    pub ns_explicit: bool,
    /// `kubectl get`, `kubectl rollout status`: for usage messages.
    pub path: String,
    pub f: Parsed,
}

impl Ctx<'_> {
    pub fn cluster(&mut self) -> &mut Cluster {
        &mut self.session.cluster
    }
    pub fn api(&self) -> &Api {
        &self.session.cluster.api
    }
    pub fn print(&mut self, s: &str) {
        self.out.push_str(s);
    }
    pub fn println(&mut self, s: &str) {
        self.out.push_str(s);
        self.out.push('\n');
    }
    /// An API server warning, as kubectl's warning handler prints it.
    pub fn warning(&mut self, msg: &str) {
        self.out.push_str(&format!("Warning: {msg}\n"));
    }
    /// cmdutil.UsageErrorf.
    pub fn usage_error(&self, msg: &str) -> CmdError {
        CmdError::msg(format!("{msg}\nSee '{} -h' for help and examples", self.path))
    }
    pub fn read_file(&self, name: &str) -> Result<String, String> {
        self.session.read_file(name)
    }
}

type RunFn = fn(&mut Ctx) -> Result<(), CmdError>;

/// One command of the tree.
pub struct Command {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub short: &'static str,
    pub usage: &'static str,
    pub flags: fn() -> Vec<Flag>,
    /// None: a group that only dispatches to subcommands.
    pub run: Option<RunFn>,
    pub subcommands: fn() -> Vec<Command>,
    /// Not simulated: any flags are accepted, the command only says so.
    pub unsupported: bool,
}

fn no_flags() -> Vec<Flag> {
    const { &[] }.to_vec()
}
fn no_subcommands() -> Vec<Command> {
    vec![]
}

impl Command {
    pub const fn new(name: &'static str, short: &'static str, usage: &'static str, flags: fn() -> Vec<Flag>, run: RunFn) -> Command {
        Command { name, aliases: &[], short, usage, flags, run: Some(run), subcommands: no_subcommands, unsupported: false }
    }
    pub const fn group(name: &'static str, short: &'static str, usage: &'static str, subcommands: fn() -> Vec<Command>) -> Command {
        Command { name, aliases: &[], short, usage, flags: no_flags, run: None, subcommands, unsupported: false }
    }
    pub const fn with_aliases(mut self, a: &'static [&'static str]) -> Command {
        self.aliases = a;
        self
    }
    pub const fn with_subcommands(mut self, s: fn() -> Vec<Command>) -> Command {
        self.subcommands = s;
        self
    }
    fn matches(&self, w: &str) -> bool {
        self.name == w || self.aliases.contains(&w)
    }
}

/// The top-level commands, in the order `kubectl` lists them.
pub fn commands() -> Vec<Command> {
    vec![
        Command::new("create", "Create a resource from a file or from stdin", "create -f FILENAME", apply::create_flags, apply::run_create)
            .with_subcommands(apply::create_subcommands),
        Command::new(
            "explain",
            "Get documentation for a resource",
            "explain TYPE [--recursive=FALSE|TRUE] [--api-version=api-version-group] [-o|--output=plaintext|plaintext-openapiv2]",
            explain::flags,
            explain::run,
        ),
        Command::new(
            "get",
            "Display one or many resources",
            "get [(-o|--output=)json|yaml|name|go-template|go-template-file|template|templatefile|jsonpath|jsonpath-as-json|jsonpath-file|custom-columns|custom-columns-file|wide] (TYPE[.VERSION][.GROUP] [NAME | -l label] | TYPE[.VERSION][.GROUP]/NAME ...) [flags]",
            get::flags,
            get::run,
        ),
        Command::new(
            "delete",
            "Delete resources by file names, stdin, resources and names, or by resources and label selector",
            "delete ([-f FILENAME] | [-k DIRECTORY] | TYPE [(NAME | -l label | --all)])",
            delete::flags,
            delete::run,
        ),
        Command::new(
            "apply",
            "Apply a configuration to a resource by file name or stdin",
            "apply (-f FILENAME | -k DIRECTORY)",
            apply::apply_flags,
            apply::run_apply,
        ),
        Command::new(
            "describe",
            "Show details of a specific resource or group of resources",
            "describe (-f FILENAME | TYPE [NAME_PREFIX | -l label] | TYPE/NAME)",
            describe::flags,
            describe::run,
        ),
        Command::group("rollout", "Manage the rollout of a resource", "rollout SUBCOMMAND", rollout::subcommands),
        Command::new(
            "scale",
            "Set a new size for a deployment, replica set, or replication controller",
            "scale [--resource-version=version] [--current-replicas=count] --replicas=COUNT (-f FILENAME | TYPE NAME)",
            scale::flags,
            scale::run,
        ),
        Command::group("set", "Set specific features on objects", "set SUBCOMMAND", patch::set_subcommands),
        Command::new("patch", "Update fields of a resource", "patch (-f FILENAME | TYPE NAME) [-p PATCH|--patch-file FILE]", patch::flags, patch::run),
        Command::new(
            "label",
            "Update the labels on a resource",
            "label [--overwrite] (-f FILENAME | TYPE NAME) KEY_1=VAL_1 ... KEY_N=VAL_N [--resource-version=version]",
            label::label_flags,
            label::run_label,
        ),
        Command::new(
            "annotate",
            "Update the annotations on a resource",
            "annotate [--overwrite] (-f FILENAME | TYPE NAME) KEY_1=VAL_1 ... KEY_N=VAL_N [--resource-version=version]",
            label::annotate_flags,
            label::run_annotate,
        ),
        Command::new("cordon", "Mark node as unschedulable", "cordon NODE", node::cordon_flags, node::run_cordon),
        Command::new("uncordon", "Mark node as schedulable", "uncordon NODE", node::cordon_flags, node::run_uncordon),
        Command::new("drain", "Drain node in preparation for maintenance", "drain NODE", node::drain_flags, node::run_drain),
        Command::new(
            "taint",
            "Update the taints on one or more nodes",
            "taint NODE NAME KEY_1=VAL_1:TAINT_EFFECT_1 ... KEY_N=VAL_N:TAINT_EFFECT_N",
            node::taint_flags,
            node::run_taint,
        ),
        Command::new("logs", "Print the logs for a container in a pod", "logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]", exec::logs_flags, exec::run_logs),
        Command::new(
            "exec",
            "Execute a command in a container",
            "exec (POD | TYPE/NAME) [-c CONTAINER] [flags] -- COMMAND [args...]",
            exec::exec_flags,
            exec::run_exec,
        ),
        Command::new(
            "wait",
            "Wait for a specific condition on one or many resources",
            "wait ([-f FILENAME] | resource.group/resource.name | resource.group [(-l label | --all)]) [--for=create|--for=delete|--for condition=available|--for=jsonpath='{}'[=value]]",
            wait::flags,
            wait::run,
        ),
        Command::new(
            "run",
            "Run a particular image on the cluster",
            "run NAME --image=image [--env=\"key=value\"] [--port=port] [--dry-run=server|client] [--overrides=inline-json] [--command] -- [COMMAND] [args...]",
            misc::run_flags,
            misc::run_run,
        ),
        expose::command(),
        autoscale::command(),
        Command::new("replace", "Replace a resource by file name or stdin", "replace -f FILENAME", misc::replace_flags, misc::run_replace),
        Command::new("cluster-info", "Display cluster information", "cluster-info", misc::any_flags, misc::run_cluster_info),
        Command::group("top", "Display resource (CPU/memory) usage", "top SUBCOMMAND", top::subcommands),
        Command::new("api-resources", "Print the supported API resources on the server", "api-resources", misc::api_resources_flags, misc::run_api_resources),
        Command::new(
            "api-versions",
            "Print the supported API versions on the server, in the form of \"group/version\"",
            "api-versions",
            Vec::new,
            misc::run_api_versions,
        ),
        Command::group("auth", "Inspect authorization", "auth SUBCOMMAND", auth::subcommands),
        Command::group("config", "Modify kubeconfig files", "config SUBCOMMAND", misc::config_subcommands),
        Command::new("version", "Print the client and server version information", "version", misc::version_flags, misc::run_version),
        unsupported("edit"),
        unsupported("attach"),
        unsupported("port-forward"),
        unsupported("proxy"),
        unsupported("cp"),
        unsupported("debug"),
        unsupported("events"),
        unsupported("diff"),
        unsupported("kustomize"),
        unsupported("certificate"),
        unsupported("plugin"),
        unsupported("completion"),
        unsupported("alpha"),
    ]
}

/// A kubectl command Kubarium does not simulate (any flags accepted).
fn unsupported(name: &'static str) -> Command {
    Command {
        name,
        aliases: &[],
        short: "(not simulated by Kubarium)",
        usage: "",
        flags: no_flags,
        run: Some(misc::run_unsupported),
        subcommands: no_subcommands,
        unsupported: true,
    }
}

/// The help text `kubectl` (or `-h`) prints: the commands Kubarium simulates.
fn help_text(cmds: &[Command], path: &str) -> String {
    let mut s = String::new();
    if path == "kubectl" {
        s.push_str("kubectl controls the Kubernetes cluster manager (simulated by Kubarium).\n\n");
    }
    s.push_str("Available Commands:\n");
    let w = cmds.iter().map(|c| c.name.len()).max().unwrap_or(0);
    for c in cmds {
        s.push_str(&format!("  {:w$}   {}\n", c.name, c.short));
    }
    s.push_str(&format!("\nUsage:\n  {path} [flags] [options]\n\nUse \"{path} <command> --help\" for more information about a given command.\n"));
    s
}

fn command_help(c: &Command, path: &str) -> String {
    let mut s = format!("{}.\n\nUsage:\n  kubectl {}\n", c.short, c.usage);
    let subs = (c.subcommands)();
    if !subs.is_empty() {
        s.push('\n');
        s.push_str(&help_text(&subs, path));
    }
    let flags = (c.flags)();
    if !flags.is_empty() {
        s.push_str("\nOptions:\n");
        for f in flags {
            match f.short {
                Some(sh) => s.push_str(&format!("    -{sh}, --{}\n", f.long)),
                None => s.push_str(&format!("    --{}\n", f.long)),
            }
        }
    }
    s
}

/// Levenshtein distance (cobra's suggestions use it).
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = if a[i - 1] == b[j - 1] { 0 } else { 1 };
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// cobra's SuggestionsFor: close names and prefixes.
fn suggestions(word: &str, cmds: &[Command]) -> Vec<&'static str> {
    let lw = word.to_lowercase();
    let mut out = vec![];
    for c in cmds {
        let close = distance(&lw, &c.name.to_lowercase()) <= 2;
        let prefix = c.name.to_lowercase().starts_with(&lw);
        let suggest_for = match c.name {
            "delete" => ["rm", "remove"].contains(&word),
            "get" => ["list", "ps"].contains(&word),
            "logs" => word == "log",
            _ => false,
        };
        if close || prefix || suggest_for {
            out.push(c.name);
        }
    }
    out
}

/// The first word that is not a flag (or a flag's value): cobra's stripFlags.
fn first_command_word(argv: &[String], flags: &[Flag]) -> Option<usize> {
    let mut i = 0;
    while i < argv.len() {
        let a = &argv[i];
        if a == "--" {
            return None;
        }
        if let Some(body) = a.strip_prefix("--") {
            if !body.contains('=')
                && let Some(f) = flags.iter().find(|f| f.long == body)
                && f.no_opt.is_none()
            {
                i += 1;
            }
        } else if a.len() > 1 && a.starts_with('-') {
            if a.len() == 2 {
                let c = a.chars().nth(1).unwrap_or(' ');
                if let Some(f) = flags.iter().find(|f| f.short == Some(c))
                    && f.no_opt.is_none()
                {
                    i += 1;
                }
            }
        } else {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// Runs `kubectl <argv>`.
pub fn kubectl(session: &mut Session, argv: &[String], stdin: &str, out: &mut String) -> Result<(), CmdError> {
    let top = commands();
    let globals = global_flags();
    let Some(ci) = first_command_word(argv, &globals) else {
        // `kubectl` alone, or only flags: help (flags are still checked).
        parse_flags(argv, &globals).map_err(|e| CmdError::msg(format!("{e}\nSee 'kubectl --help' for usage.")))?;
        out.push_str(&help_text(&top, "kubectl"));
        return Ok(());
    };
    let word = argv[ci].as_str();
    let Some(cmd) = top.iter().find(|c| c.matches(word)) else {
        let mut msg = format!("unknown command {word:?} for \"kubectl\"");
        let sugg = suggestions(word, &top);
        if !sugg.is_empty() {
            msg.push_str("\n\nDid you mean this?\n");
            for s in sugg {
                msg.push_str(&format!("\t{s}\n"));
            }
        }
        return Err(CmdError::msg(msg));
    };
    let mut rest: Vec<String> = argv[..ci].to_vec();
    rest.extend_from_slice(&argv[ci + 1..]);
    run_command(session, cmd, format!("kubectl {}", cmd.name), &rest, stdin, out)
}

fn run_command(session: &mut Session, cmd: &Command, path: String, argv: &[String], stdin: &str, out: &mut String) -> Result<(), CmdError> {
    if cmd.unsupported {
        return Err(CmdError::msg(format!("`{path}` is not simulated by Kubarium (interactive and host-side commands are not available)")));
    }
    let subs = (cmd.subcommands)();
    let mut all_flags = (cmd.flags)();
    all_flags.extend(global_flags());
    if !subs.is_empty()
        && let Some(si) = first_command_word(argv, &all_flags)
        && let Some(sub) = subs.iter().find(|c| c.matches(&argv[si]))
    {
        let mut rest: Vec<String> = argv[..si].to_vec();
        rest.extend_from_slice(&argv[si + 1..]);
        return run_command(session, sub, format!("{path} {}", sub.name), &rest, stdin, out);
    }
    let f = parse_flags(argv, &all_flags).map_err(|e| CmdError::msg(format!("{e}\nSee '{path} --help' for usage.")))?;
    if f.bool("help") {
        out.push_str(&command_help(cmd, &path));
        return Ok(());
    }
    let Some(run) = cmd.run else {
        // A group: kubectl's DefaultSubCommandRun prints help, or rejects arguments.
        if let Some(a) = f.args.first() {
            return Err(CmdError::msg(format!("unknown command {:?}\nSee '{path} -h' for help and examples", a)));
        }
        out.push_str(&command_help(cmd, &path));
        return Ok(());
    };
    let (ns, ns_explicit) = match f.str("namespace") {
        Some(n) => (n.to_string(), true),
        None => (session.namespace.clone(), false),
    };
    if let Some(ctx_name) = f.str("context")
        && ctx_name != misc::CONTEXT
    {
        return Err(CmdError::msg(format!("context was not found for specified context: {ctx_name}")));
    }
    if ns_explicit && ns.is_empty() {
        // kubectl -n "" falls back to the context's namespace
    }
    let ns = if ns.is_empty() { session.namespace.clone() } else { ns };
    let mut ctx = Ctx { session, out, stdin, ns, ns_explicit, path, f };
    run(&mut ctx)
}

#[cfg(test)]
pub(crate) mod testutil {
    use crate::kubectl::session::{CmdOutput, Session};

    /// Runs a line on a session and returns (output, exit code).
    pub fn run(s: &mut Session, line: &str) -> (String, i32) {
        let CmdOutput { output, exit_code, .. } = s.run(line, "");
        (output, exit_code)
    }

    pub fn run_in(s: &mut Session, line: &str, stdin: &str) -> (String, i32) {
        let CmdOutput { output, exit_code, .. } = s.run(line, stdin);
        (output, exit_code)
    }
}

#[cfg(test)]
mod tests {
    use super::testutil::run;
    use crate::kubectl::session::Session;

    #[test]
    fn unknown_commands_and_flags() {
        let mut s = Session::new(1);
        assert_eq!(run(&mut s, "kubectl frobnicate"), ("error: unknown command \"frobnicate\" for \"kubectl\"\n".into(), 1));
        assert_eq!(run(&mut s, "kubectl gte pods"), ("error: unknown command \"gte\" for \"kubectl\"\n\nDid you mean this?\n\tget\n".into(), 1));
        assert_eq!(run(&mut s, "kubectl get pods --foo"), ("error: unknown flag: --foo\nSee 'kubectl get --help' for usage.\n".into(), 1));
        assert_eq!(run(&mut s, "kubectl rollout status --bar x"), ("error: unknown flag: --bar\nSee 'kubectl rollout status --help' for usage.\n".into(), 1));
        assert_eq!(run(&mut s, "kubectl rollout frob"), ("error: unknown command \"frob\"\nSee 'kubectl rollout -h' for help and examples\n".into(), 1));
        assert_eq!(run(&mut s, "kubectl -n kube-system frob").1, 1);
    }
}
