//! The native command line: `kubarium test PATH...` replays transcripts,
//! `kubarium run FILE` prints a session, `kubarium shell` is a prompt on
//! the default cluster.

use kubarium::kubectl::args::split_words;
use kubarium::kubectl::session::{DEFAULT_SEED, Session};
use kubarium::transcript::{self, Transcript, render_with_outputs, run_steps};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "usage:
  kubarium test [--seed N] PATH...   replay transcripts (.txt, .md; folders recursively)
  kubarium run [--seed N] FILE       print a transcript with the outputs of this build
  kubarium shell [--seed N]          a prompt on the default cluster (kubectl ..., cluster ...)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut seed = DEFAULT_SEED;
    let mut rest = vec![];
    let mut i = 0;
    while i < args.len() {
        if args[i] == "--seed" {
            match args.get(i + 1).and_then(|s| s.parse().ok()) {
                Some(s) => seed = s,
                None => {
                    eprint!("kubarium: --seed needs a number\n{USAGE}");
                    return ExitCode::from(2);
                }
            }
            i += 2;
            continue;
        }
        rest.push(args[i].clone());
        i += 1;
    }
    match rest.first().map(|s| s.as_str()) {
        Some("test") if rest.len() > 1 => test(&rest[1..], seed),
        Some("run") if rest.len() == 2 => run(&rest[1], seed),
        Some("shell") if rest.len() == 1 => shell(seed),
        Some("help" | "-h" | "--help") => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprint!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// The transcript files under the given paths, sorted within each folder.
fn collect(paths: &[String]) -> Result<Vec<PathBuf>, String> {
    fn walk(p: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
        if p.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(p)?.filter_map(|e| e.ok().map(|e| e.path())).collect();
            kubarium::engine::sort::sort(&mut entries);
            for e in entries {
                walk(&e, out)?;
            }
        } else if matches!(p.extension().and_then(|e| e.to_str()), Some("txt" | "md")) {
            out.push(p.to_path_buf());
        }
        Ok(())
    }
    let mut out = vec![];
    for p in paths {
        let path = Path::new(p);
        if !path.exists() {
            return Err(format!("{p}: no such file or folder"));
        }
        if path.is_file() {
            out.push(path.to_path_buf());
        } else {
            walk(path, &mut out).map_err(|e| format!("{p}: {e}"))?;
        }
    }
    Ok(out)
}

/// Reads `name` (relative to `dir`) for `-f`: kubectl's errors for a path
/// that does not exist and for bytes that are not UTF-8 (go-yaml's reader
/// refuses them before parsing).
fn read_for_kubectl(dir: &Path, name: &str) -> Result<String, String> {
    let bytes = std::fs::read(dir.join(name)).map_err(|_| format!("the path {name:?} does not exist"))?;
    String::from_utf8(bytes).map_err(|_| format!("error parsing {name}: error converting YAML to JSON: yaml: invalid leading UTF-8 octet"))
}

/// A session whose `-f FILE` reads relative to the transcript's folder.
fn session_for(file: &Path, seed: u64) -> Session {
    let mut s = Session::new(seed);
    let dir = file.parent().map(|d| d.to_path_buf()).unwrap_or_default();
    s.set_file_reader(Box::new(move |name: &str| read_for_kubectl(&dir, name)));
    s
}

fn load(file: &Path) -> Result<Transcript, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let md = file.extension().and_then(|e| e.to_str()) == Some("md");
    transcript::parse(&text, md).map_err(|e| format!("{}:{}: {}", file.display(), e.line, e.message))
}

/// How many mismatches of one file are shown in full.
const SHOWN_PER_FILE: usize = 3;

fn test(paths: &[String], seed: u64) -> ExitCode {
    let files = match collect(paths) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("kubarium: {e}");
            return ExitCode::from(2);
        }
    };
    let (mut passed, mut failed) = (0, 0);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for f in &files {
        let name = f.display().to_string();
        let t = match load(f) {
            Ok(t) => t,
            Err(e) => {
                failed += 1;
                let _ = writeln!(out, "FAILED {name}\n  {e}");
                continue;
            }
        };
        let mut session = session_for(f, seed);
        let results = run_steps(&mut session, &t, &name);
        let failures: Vec<&String> = results.iter().filter_map(|r| r.failure.as_ref()).collect();
        if failures.is_empty() {
            passed += 1;
            let _ = writeln!(out, "ok     {name} ({} commands)", results.len());
        } else {
            failed += 1;
            let _ = writeln!(out, "FAILED {name} ({} of {} commands did not match)", failures.len(), results.len());
            for fl in failures.iter().take(SHOWN_PER_FILE) {
                let _ = write!(out, "{fl}");
            }
            if failures.len() > SHOWN_PER_FILE {
                let _ = writeln!(out, "  ... and {} more mismatches in this file", failures.len() - SHOWN_PER_FILE);
            }
        }
        let _ = out.flush();
    }
    let _ = writeln!(out, "{passed} passed, {failed} failed");
    if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

fn run(file: &str, seed: u64) -> ExitCode {
    let path = Path::new(file);
    let t = match load(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("kubarium: {e}");
            return ExitCode::from(2);
        }
    };
    let mut session = session_for(path, seed);
    let results = run_steps(&mut session, &t, file);
    print!("{}", render_with_outputs(&t, &results));
    if results.iter().all(|r| r.failure.is_none()) { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

/// `kubarium shell`: reads command lines (and heredoc bodies) from stdin as
/// bash would, runs them, and exits with the last command's status. A line
/// that is not UTF-8 text is reported and skipped (status 1), never the end
/// of the session; a heredoc is read up to its delimiter whatever it holds.
fn shell(seed: u64) -> ExitCode {
    let mut session = Session::new(seed);
    let cwd = std::env::current_dir().unwrap_or_default();
    session.set_file_reader(Box::new(move |name: &str| read_for_kubectl(&cwd, name)));
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let interactive = std::io::IsTerminal::is_terminal(&std::io::stdin());
    let mut number = 0usize;
    // One line of raw bytes, without its end of line; None at the end of input.
    let mut next_line = |number: &mut usize| -> Option<Vec<u8>> {
        let mut buf = vec![];
        match input.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => None,
            Ok(_) => {
                *number += 1;
                if buf.last() == Some(&b'\n') {
                    buf.pop();
                    if buf.last() == Some(&b'\r') {
                        buf.pop();
                    }
                }
                Some(buf)
            }
        }
    };
    let mut status = 0i32;
    loop {
        if interactive {
            print!("$ ");
            let _ = std::io::stdout().flush();
        }
        let Some(raw) = next_line(&mut number) else { break };
        let line = match String::from_utf8(raw) {
            Ok(l) => l,
            Err(_) => {
                eprintln!("kubarium: line {number}: not UTF-8 text; the line was not run");
                status = 1;
                continue;
            }
        };
        let trimmed = line.trim();
        if trimmed == "exit" || trimmed == "quit" {
            break;
        }
        let mut body = Vec::new();
        let mut body_ok = true;
        if let Ok((_, Some(h))) = split_words(&line) {
            let start = number;
            let mut closed = false;
            loop {
                if interactive {
                    print!("> ");
                    let _ = std::io::stdout().flush();
                }
                let Some(l) = next_line(&mut number) else { break };
                let l2: &[u8] = if h.strip_tabs {
                    let n = l.iter().take_while(|b| **b == b'\t').count();
                    &l[n..]
                } else {
                    &l
                };
                if l2 == h.delimiter.as_bytes() {
                    closed = true;
                    break;
                }
                body.extend_from_slice(l2);
                body.push(b'\n');
            }
            if !closed {
                eprintln!("kubarium: line {start}: here-document delimited by end-of-file (wanted `{}')", h.delimiter);
            }
            if std::str::from_utf8(&body).is_err() {
                eprintln!("kubarium: line {start}: the here-document is not UTF-8 text (kubectl reads YAML and JSON as UTF-8); the command was not run");
                status = 1;
                body_ok = false;
            }
        }
        if !body_ok {
            continue;
        }
        let body = String::from_utf8(body).unwrap_or_default();
        let out = session.run(&line, &body);
        print!("{}", out.output);
        let _ = std::io::stdout().flush();
        status = out.exit_code;
    }
    ExitCode::from(status.clamp(0, 255) as u8)
}
