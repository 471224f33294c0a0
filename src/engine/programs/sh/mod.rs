//! A POSIX shell, enough for what people type into `kubectl exec ... --
//! sh -c '...'` and put in `command:`: words with quoting, `$VAR`/`${..}`/
//! `$(..)`/`$((..))` expansion, `;`, `&&`, `||`, pipes, `>`, `>>`, `<`,
//! `2>&1`, here-documents, `if`, `while`, `until`, `for`, `case`, `{ }`,
//! `( )`, and the builtins (`cd`, `export`, `exit`, ...). Its messages are
//! dash's (Debian's `sh`), busybox ash's or bash's, depending on the image.
//!
//! Time: inside `kubectl exec` no simulated time passes (`sleep 5` returns
//! at once). As a container's main process, `sleep` moves the script's own
//! clock: output after a sleep is logged at that later time, and a script
//! that ends schedules the container's exit for when it ends.
//!
//! Supported, in full:
//! - syntax: simple commands with `NAME=value` prefixes, `;`, newlines, `&`
//!   (a background job), `&&`, `||`, `!`, pipes, `{ ...; }`, `( ... )`,
//!   `if/elif/else`, `while`, `until`, `for NAME [in WORDS]`, `case ... esac`
//!   with `|` patterns, comments; redirections `>`, `>>`, `<`, `2>`,
//!   `2>&1`, `>&2`, `N>file`, here-documents (`<<`, `<<-`, quoted
//!   delimiters: no expansion).
//! - expansion: `$VAR`, `${VAR}`, `${VAR:-w}`, `${VAR:=w}`, `${VAR:+w}`,
//!   `${#VAR}`, `${VAR#p}`, `${VAR##p}`, `${VAR%p}`, `${VAR%%p}`, `$?`,
//!   `$#`, `$0`..`$9`, `$@`, `$*`, `$$`, `$RANDOM`, `$(...)`, backquotes,
//!   `$((...))` (integer arithmetic, comparisons, `&&`/`||`, ternary),
//!   single and double quotes, backslashes, field splitting, globbing
//!   (`*`, `?`, `[...]`) against the container's files.
//! - builtins: `cd`, `export`, `readonly`, `unset`, `set` (`set -- ARGS`
//!   sets the positional parameters, bare `set` lists variables; options
//!   such as `-e` are accepted without effect), `shift`, `exit`, `return`, `break`,
//!   `continue`, `:`, `echo`, `read`, `eval`, `exec`, `.`/`source`, `wait`,
//!   and `trap`, `umask`, `ulimit`, `alias`, `hash` accepted without effect.
//!   In a main process `sleep` and `tail -f` are builtins of the script's
//!   clock (`sleep infinity` and `tail -f` block forever). Everything else
//!   is a program ([`super::utils`]), or `command not found` / `not found`
//!   in the image's wording.
//! - not supported: functions (`f() { ... }`), arrays, `[[ ]]`, `select`,
//!   process substitution, job control (`jobs`, `fg`), `getopts`, aliases
//!   that expand.
//!
//! Files: `lexer` (tokens, here-document bodies), `parser` (the [`Node`]
//! tree), `exec` (the interpreter: [`Shell`], builtins, redirections),
//! `expand` (word expansion, [`glob_match`], [`arith_eval`]); the entry
//! points for `kubectl exec` and main processes are here.

mod exec;
mod expand;
mod lexer;
mod parser;

use super::image::Userland;
use super::utils;
use super::{Ctx, Main, Output, ServerState};
use crate::engine::fs::{FsError, clean};
use crate::engine::time::Millis;
use exec::Flow;
pub use exec::Shell;
pub use expand::{arith_eval, glob_match};
pub use lexer::SyntaxError;
pub use parser::{Node, Redir, parse};
use std::collections::BTreeMap;

// ------------------------------------------------------------ entry points

/// `sh -c 'script' [name [args...]]`, `sh script.sh`, `sh` (reads stdin).
pub fn run_shell_argv(ctx: &mut Ctx, argv: &[String], stdin: &str, parent: Option<&Shell>) -> Output {
    let prog = argv[0].rsplit('/').next().unwrap_or(&argv[0]).to_string();
    let prog = if prog == "ash" || prog == "dash" { "sh".to_string() } else { prog };
    let mut sh = Shell::new(ctx, &prog);
    if let Some(p) = parent {
        sh.vars = p.exported_env();
        sh.exported = crate::engine::sort::set_from(sh.vars.keys().cloned());
        sh.vars.insert("IFS".into(), " \t\n".into());
        sh.cwd = p.cwd.clone();
        sh.clock = p.clock;
    }
    if prog == "bash" {
        sh.bash = true;
    }
    let mut i = 1;
    let mut script: Option<String> = None;
    let mut from_file = false;
    while i < argv.len() {
        let a = &argv[i];
        if a == "-c" {
            script = argv.get(i + 1).cloned();
            if script.is_none() {
                return Output::err(format!("{prog}: -c: option requires an argument\n"), 2);
            }
            i += 2;
            break;
        } else if a.starts_with('-') && a.len() > 1 && !a.starts_with("--") {
            if a.contains('c') {
                script = argv.get(i + 1).cloned();
                i += 2;
                break;
            }
            i += 1;
        } else if a == "--" {
            i += 1;
            break;
        } else {
            break;
        }
    }
    if script.is_none() && i < argv.len() {
        // sh FILE [args]
        let file = argv[i].clone();
        let f = ctx.fs().read(&file);
        match f {
            Ok(src) => {
                script = Some(src);
                from_file = true;
                sh.name = file;
                sh.args = argv[i + 1..].to_vec();
            }
            Err(e) => {
                let msg = if sh.bash {
                    format!("{prog}: {file}: {}\n", e.text())
                } else if sh.userland == Userland::Busybox {
                    format!("{prog}: can't open '{file}': {}\n", e.text())
                } else {
                    format!("{prog}: 0: cannot open {file}: No such file\n")
                };
                return Output::err(msg, if sh.bash || sh.userland == Userland::Busybox { 127 } else { 2 });
            }
        }
    } else if script.is_some() && i < argv.len() {
        sh.name = argv[i].clone();
        sh.args = argv[i + 1..].to_vec();
    }
    let _ = from_file;
    let src = match script {
        Some(s) => s,
        None => stdin.to_string(),
    };
    let stdin = if argv.iter().any(|a| a == "-c") { stdin } else { "" };
    let mut out = sh.run_script(ctx, &src, stdin);
    if !sh.subst_stderr.is_empty() {
        let mut o = Output::default();
        o.eprint(std::mem::take(&mut sh.subst_stderr));
        o.append(out.clone());
        o.code = out.code;
        out = o;
    }
    if let Some(p) = parent {
        let _ = p;
    }
    out
}

/// Runs a program as `kubectl exec` does (no shell unless asked for).
pub fn run_argv(ctx: &mut Ctx, argv: &[String], stdin: &str) -> Output {
    let base = argv[0].rsplit('/').next().unwrap_or(&argv[0]);
    if matches!(base, "sh" | "bash" | "ash" | "dash") {
        return run_shell_argv(ctx, argv, stdin, None);
    }
    utils::run(ctx, argv, stdin)
}

/// A shell, script or plain program as a container's main process.
pub fn run_main(ctx: &mut Ctx, argv: &[String]) -> Main {
    let base = argv[0].rsplit('/').next().unwrap_or(&argv[0]).to_string();
    let mut sh = Shell::new(ctx, if base == "bash" { "bash" } else { "sh" });
    ctx.cx.rt.recording = Some(vec![]);
    let out = if matches!(base.as_str(), "sh" | "bash" | "ash" | "dash") {
        let script_given = argv.len() > 1;
        if !script_given {
            // No script and no stdin attached: the shell reads EOF and exits.
            ctx.cx.rt.recording = None;
            return Main::Exited { code: 0, log: String::new() };
        }
        let mut i = 1;
        let mut script = None;
        while i < argv.len() {
            if argv[i] == "-c" || argv[i].starts_with('-') && argv[i].contains('c') && !argv[i].starts_with("--") {
                script = argv.get(i + 1).cloned();
                if let Some(n) = argv.get(i + 2) {
                    sh.name = n.clone();
                    sh.args = argv[i + 3..].to_vec();
                }
                break;
            }
            if !argv[i].starts_with('-') {
                break;
            }
            i += 1;
        }
        match script {
            Some(s) => sh.run_script(ctx, &s, ""),
            None => run_shell_argv(ctx, argv, "", None),
        }
    } else {
        // A plain program: run it as a one-command script.
        let mut o = Output::default();
        let node = Node::Simple { assigns: vec![], words: argv.iter().map(|a| quote(a)).collect(), redirs: vec![], line: 1 };
        sh.exec_node(ctx, &node, "", &mut o);
        o.code = sh.status;
        o
    };
    let mut o = out;
    sh.flush(&mut o);
    let requests = ctx.cx.rt.recording.take().unwrap_or_default();
    let mut first = String::new();
    let mut later: Vec<(Millis, String)> = vec![];
    for (t, text) in std::mem::take(&mut sh.timeline) {
        if t == 0 {
            first.push_str(&text);
        } else {
            later.push((t, text));
        }
    }
    first.push_str(&o.text());
    match sh.flow.clone() {
        Flow::Forever(server) => {
            if sh.endless() && !requests.is_empty() {
                super::load::record(ctx.cx, ctx.p, requests, sh.clock);
            }
            let st = match server {
                Some((st, log)) => {
                    if sh.clock == 0 {
                        first.push_str(&log);
                    } else {
                        later.push((sh.clock, log));
                    }
                    st
                }
                None => ServerState::None,
            };
            schedule_logs(ctx, later);
            Main::Running { log: first, server: st }
        }
        flow => {
            let code = match flow {
                Flow::Exit(c) => c,
                _ => sh.status,
            };
            if sh.clock == 0 {
                return Main::Exited { code, log: first };
            }
            let end = sh.clock;
            let mut exit_log = String::new();
            let mut before = vec![];
            for (t, text) in later {
                if t >= end {
                    exit_log.push_str(&text);
                } else {
                    before.push((t, text));
                }
            }
            schedule_logs(ctx, before);
            Main::ExitsLater { log: first, after: end, code, exit_log }
        }
    }
}

fn schedule_logs(ctx: &mut Ctx, lines: Vec<(Millis, String)>) {
    if lines.is_empty() {
        return;
    }
    let start = ctx.cx.api.now;
    let key = (ctx.p.pod_uid.clone(), ctx.p.container.clone(), ctx.p.instance());
    let e = ctx.cx.rt.later_logs.entry_or_default(key);
    for (t, text) in lines {
        e.push((start.plus(t), text));
    }
}

/// Quotes an argument so that the shell reads it back unchanged.
pub fn quote(a: &str) -> String {
    if !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c)) {
        a.to_string()
    } else {
        format!("'{}'", a.replace('\'', "'\\''"))
    }
}
