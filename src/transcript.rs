//! Transcripts (/work/shared/TRANSCRIPTS.md): shell sessions with their
//! expected output. This module parses them (`.txt` files, and the
//! ```console blocks of `.md` files), replays them on a fresh
//! [`Session`], matches actual against expected output (`[..]` within a
//! line, `...` for any number of lines) and reports mismatches as readable
//! diffs. It does no file I/O itself: the CLI reads files, the page gets
//! its transcripts from memory.

use crate::kubectl::args::split_words;
use crate::kubectl::session::{CmdOutput, Session};

/// One `$ ` command with its input and expected output.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// 1-based line of the `$ ` in the file.
    pub line: usize,
    /// The command as typed (without `$ `, `! ` or the heredoc body).
    pub command: String,
    /// `$ ! cmd`: the command must fail.
    pub must_fail: bool,
    /// The heredoc: its delimiter and body (the command's stdin).
    pub heredoc: Option<(String, String)>,
    pub expected: Vec<String>,
}

impl Step {
    pub fn stdin(&self) -> &str {
        self.heredoc.as_ref().map(|(_, b)| b.as_str()).unwrap_or("")
    }
}

/// A transcript: its steps, and the comment lines in between (kept so that
/// `kubarium run` can print the whole lesson back).
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    Comment(String),
    Blank,
    Step(Step),
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Transcript {
    pub items: Vec<Item>,
}

impl Transcript {
    pub fn steps(&self) -> impl Iterator<Item = &Step> {
        self.items.iter().filter_map(|i| match i {
            Item::Step(s) => Some(s),
            _ => None,
        })
    }
}

/// A syntax error in a transcript.
#[derive(Clone, Debug, PartialEq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// The lines that count: all of a `.txt`, the ```console blocks of a `.md`
/// (with their line numbers in the file).
fn lines_of(text: &str, markdown: bool) -> Vec<(usize, String)> {
    let all: Vec<(usize, String)> = text.split('\n').enumerate().map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l).to_string())).collect();
    if !markdown {
        return all;
    }
    let mut out = vec![];
    let mut inside = false;
    for (n, l) in all {
        let t = l.trim();
        if !inside {
            if t.starts_with("```") && t[3..].trim() == "console" {
                inside = true;
                // blocks are separate: a blank between them ends expected output
                out.push((n, String::new()));
            }
        } else if t.starts_with("```") {
            inside = false;
            out.push((n, String::new()));
        } else {
            out.push((n, l));
        }
    }
    out
}

/// Parses a transcript (`markdown`: only ```console blocks count).
pub fn parse(text: &str, markdown: bool) -> Result<Transcript, ParseError> {
    let lines = lines_of(text, markdown);
    let mut items: Vec<Item> = vec![];
    // Is the last step still collecting expected output?
    let mut open = false;
    let mut i = 0;
    while i < lines.len() {
        let (n, l) = (&lines[i].0, lines[i].1.as_str());
        let n = *n;
        i += 1;
        if let Some(rest) = l.strip_prefix("$ ").or(if l == "$" { Some("") } else { None }) {
            let mut command = rest.to_string();
            // backslash-newline continues the command on the next line
            while command.ends_with('\\') && !command.ends_with("\\\\") && i < lines.len() {
                command.pop();
                command.push(' ');
                command.push_str(lines[i].1.trim_start());
                i += 1;
            }
            let (must_fail, command) = match command.strip_prefix("! ") {
                Some(c) => (true, c.to_string()),
                None => (false, command),
            };
            let heredoc = match split_words(&command) {
                Ok((_, Some(h))) => {
                    let mut body = String::new();
                    let mut closed = false;
                    while i < lines.len() {
                        let raw = &lines[i].1;
                        i += 1;
                        let line = if h.strip_tabs { raw.trim_start_matches('\t') } else { raw.as_str() };
                        if line == h.delimiter {
                            closed = true;
                            break;
                        }
                        body.push_str(line);
                        body.push('\n');
                    }
                    if !closed {
                        return Err(ParseError { line: n, message: format!("the heredoc is not closed: no line {:?} after the command", h.delimiter) });
                    }
                    Some((h.delimiter.clone(), body))
                }
                _ => None,
            };
            items.push(Item::Step(Step { line: n, command, must_fail, heredoc, expected: vec![] }));
            open = true;
        } else if l.starts_with('#') {
            items.push(Item::Comment(l.to_string()));
            open = false;
        } else if l.is_empty() {
            if !matches!(items.last(), Some(Item::Blank) | None) {
                items.push(Item::Blank);
            }
            open = false;
        } else if open {
            if let Some(Item::Step(s)) = items.last_mut() {
                s.expected.push(l.to_string());
            }
        } else {
            return Err(ParseError {
                line: n,
                message: format!("output line {l:?} does not follow a command (expected output ends at a blank line or a comment)"),
            });
        }
    }
    while matches!(items.last(), Some(Item::Blank)) {
        items.pop();
    }
    Ok(Transcript { items })
}

/// Does `actual` match the expected line `pattern` (`[..]` matches any run
/// of characters within the line)?
pub fn line_matches(pattern: &str, actual: &str) -> bool {
    let parts: Vec<&str> = pattern.split("[..]").collect();
    if parts.len() == 1 {
        return pattern == actual;
    }
    let first = parts[0];
    let last = parts[parts.len() - 1];
    if !actual.starts_with(first) || actual.len() < first.len() + last.len() || !actual.ends_with(last) {
        return false;
    }
    let mut rest = &actual[first.len()..actual.len() - last.len()];
    for p in &parts[1..parts.len() - 1] {
        match rest.find(p) {
            Some(k) => rest = &rest[k + p.len()..],
            None => return false,
        }
    }
    true
}

/// Does the actual output match the expected lines (a line that is exactly
/// `...` matches any number of lines)?
pub fn output_matches(expected: &[String], actual: &[&str]) -> bool {
    // memo[i][j]: expected[i..] vs actual[j..]
    let (n, m) = (expected.len(), actual.len());
    let mut memo = vec![vec![None::<bool>; m + 1]; n + 1];
    fn go(i: usize, j: usize, e: &[String], a: &[&str], memo: &mut Vec<Vec<Option<bool>>>) -> bool {
        if let Some(r) = memo[i][j] {
            return r;
        }
        let r = if i == e.len() {
            j == a.len()
        } else if e[i] == "..." {
            (j..=a.len()).any(|k| go(i + 1, k, e, a, memo))
        } else {
            j < a.len() && line_matches(&e[i], a[j]) && go(i + 1, j + 1, e, a, memo)
        };
        memo[i][j] = Some(r);
        r
    }
    go(0, 0, expected, actual, &mut memo)
}

/// The lines of an output (a final newline does not make an extra line).
/// Trailing empty lines are dropped: a blank line ends a transcript's
/// expected block, so no transcript can expect them (psql, for one, ends
/// its tables with an empty line).
pub fn output_lines(output: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = output.split('\n').collect();
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines
}

/// The outcome of one step.
#[derive(Clone, Debug)]
pub struct StepResult {
    pub step: Step,
    pub output: CmdOutput,
    /// None when the step passed; otherwise what went wrong, ready to print.
    pub failure: Option<String>,
}

/// Shows trailing spaces (which matter) in a diff.
fn visible(l: &str) -> String {
    let trimmed = l.trim_end_matches(' ');
    let n = l.len() - trimmed.len();
    if n == 0 { l.to_string() } else { format!("{trimmed}{}", "·".repeat(n)) }
}

/// The first expected line that cannot be matched (for the diff's pointer).
fn first_difference(expected: &[String], actual: &[&str]) -> usize {
    // longest prefix of expected that still matches some prefix of actual
    for k in (0..=expected.len()).rev() {
        let e = &expected[..k];
        let ok = (0..=actual.len()).any(|j| output_matches(e, &actual[..j]));
        if ok {
            return k;
        }
    }
    0
}

/// A readable report of a mismatch.
pub fn describe_mismatch(file: &str, step: &Step, out: &CmdOutput) -> String {
    let actual = output_lines(&out.output);
    let mut s = format!("{file}:{}: $ {}{}\n", step.line, if step.must_fail { "! " } else { "" }, step.command);
    let matches = output_matches(&step.expected, &actual);
    if step.must_fail && out.exit_code == 0 {
        s.push_str("  the command was expected to fail (`$ !`), but it exited with 0\n");
    }
    if !matches {
        if step.expected.is_empty() {
            s.push_str("  expected no output, got:\n");
            for l in &actual {
                s.push_str(&format!("  + {}\n", visible(l)));
            }
        } else {
            let k = first_difference(&step.expected, &actual);
            s.push_str("  expected:\n");
            for (i, l) in step.expected.iter().enumerate() {
                let mark = if i == k { ">" } else { " " };
                s.push_str(&format!("  {mark} {}\n", visible(l)));
            }
            if k == step.expected.len() {
                s.push_str("  > (end of expected output: the actual output goes on)\n");
            }
            s.push_str(&format!("  actual (exit code {}):\n", out.exit_code));
            if actual.is_empty() {
                s.push_str("    (no output)\n");
            }
            for l in &actual {
                s.push_str(&format!("    {}\n", visible(l)));
            }
        }
    }
    s
}

/// Runs the steps of a transcript on a session.
pub fn run_steps(session: &mut Session, t: &Transcript, file: &str) -> Vec<StepResult> {
    let mut results = vec![];
    for step in t.steps() {
        let out = session.run(&step.command, step.stdin());
        let actual = output_lines(&out.output);
        let ok = output_matches(&step.expected, &actual) && !(step.must_fail && out.exit_code == 0);
        let failure = if ok { None } else { Some(describe_mismatch(file, step, &out)) };
        results.push(StepResult { step: step.clone(), output: out, failure });
    }
    results
}

/// Prints a transcript back with the actual outputs (what `kubarium run`
/// shows, and a way to write a transcript from a session).
pub fn render_with_outputs(t: &Transcript, results: &[StepResult]) -> String {
    let mut s = String::new();
    let mut r = results.iter();
    for item in &t.items {
        match item {
            Item::Comment(c) => {
                s.push_str(c);
                s.push('\n');
            }
            Item::Blank => s.push('\n'),
            Item::Step(step) => {
                s.push_str(&format!("$ {}{}\n", if step.must_fail { "! " } else { "" }, step.command));
                if let Some((delim, body)) = &step.heredoc {
                    s.push_str(body);
                    s.push_str(delim);
                    s.push('\n');
                }
                if let Some(res) = r.next() {
                    for l in output_lines(&res.output.output) {
                        s.push_str(l);
                        s.push('\n');
                    }
                }
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = "# a comment\n$ kubectl apply -f - <<EOF\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\nEOF\nconfigmap/c created\n\n$ ! kubectl get cm nope\nError from server (NotFound): [..] not found\n# next\n$ cluster advance 1s\n";

    #[test]
    fn parses_steps_heredocs_and_comments() {
        let t = parse(T, false).unwrap();
        let steps: Vec<&Step> = t.steps().collect();
        assert_eq!(steps.len(), 3);
        assert_eq!(steps[0].line, 2);
        assert_eq!(steps[0].command, "kubectl apply -f - <<EOF");
        assert_eq!(steps[0].stdin(), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n");
        assert_eq!(steps[0].expected, ["configmap/c created"]);
        assert!(steps[1].must_fail);
        assert_eq!(steps[1].command, "kubectl get cm nope");
        assert_eq!(steps[1].expected.len(), 1);
        assert!(steps[2].expected.is_empty());
        assert_eq!(t.items[0], Item::Comment("# a comment".into()));
    }

    #[test]
    fn parse_errors() {
        assert_eq!(parse("$ cat <<EOF\nabc\n", false).unwrap_err().line, 1);
        assert_eq!(parse("stray\n", false).unwrap_err().line, 1);
        assert_eq!(parse("$ a\nx\n\ny\n", false).unwrap_err().line, 4);
        // a heredoc with another delimiter, and <<- stripping tabs
        let t = parse("$ kubectl apply -f - <<'YAML'\n\tx: 1\nYAML\n$ x <<-END\n\ty\n\tEND\n", false).unwrap();
        let s: Vec<&Step> = t.steps().collect();
        assert_eq!(s[0].stdin(), "\tx: 1\n");
        assert_eq!(s[1].stdin(), "y\n");
    }

    #[test]
    fn markdown_console_blocks_only() {
        let md = "# Title\n\nSome prose.\n\n```console\n$ kubectl version\nClient Version: v1.36.0\n```\n\n```yaml\n$ not a command\n```\n\n```console\n$ cluster settle\n...\n```\n";
        let t = parse(md, true).unwrap();
        let s: Vec<&Step> = t.steps().collect();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].line, 6);
        assert_eq!(s[0].expected, ["Client Version: v1.36.0"]);
        assert_eq!(s[1].expected, ["..."]);
    }

    #[test]
    fn trailing_empty_lines_are_not_compared() {
        assert_eq!(output_lines("(1 row)\n\n"), ["(1 row)"]);
        assert_eq!(output_lines(""), Vec::<&str>::new());
        assert_eq!(output_lines("a\n\nb\n"), ["a", "", "b"]);
    }

    #[test]
    fn matching() {
        assert!(line_matches("pg-[..]1/1     Running", "pg-7f8b9c-xk2pm   1/1     Running"));
        assert!(line_matches("a[..]b[..]c", "abc"));
        assert!(!line_matches("a[..]b", "ba"));
        assert!(!line_matches("x ", "x"));
        let e = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(output_matches(&e(&["...", "done"]), &["a", "b", "done"]));
        assert!(output_matches(&e(&["...", "done"]), &["done"]));
        assert!(!output_matches(&e(&["...", "done"]), &["done", "x"]));
        assert!(output_matches(&e(&["a", "...", "b", "...", "c"]), &["a", "b", "c"]));
        assert!(output_matches(&e(&[]), &[]));
        assert!(!output_matches(&e(&[]), &["x"]));
        assert!(output_matches(&e(&["..."]), &[]));
        assert_eq!(output_lines("a\nb\n"), ["a", "b"]);
        assert_eq!(output_lines("a"), ["a"]);
        assert!(output_lines("").is_empty());
        // only empty lines: nothing a transcript could expect
        assert!(output_lines("\n").is_empty());
    }

    #[test]
    fn runs_and_reports() {
        let t = parse(T, false).unwrap();
        let mut s = Session::new(1);
        let r = run_steps(&mut s, &t, "t.txt");
        assert!(r.iter().all(|x| x.failure.is_none()), "{:?}", r.iter().filter_map(|x| x.failure.clone()).collect::<Vec<_>>());
        let bad = parse("$ kubectl version --client\nClient Version: v1.36.0\nKustomize Version: v9 \n", false).unwrap();
        let r = run_steps(&mut s, &bad, "b.txt");
        let f = r[0].failure.clone().unwrap();
        assert_eq!(
            f,
            "b.txt:1: $ kubectl version --client\n  expected:\n    Client Version: v1.36.0\n  > Kustomize Version: v9·\n  actual (exit code 0):\n    Client Version: v1.36.0\n    Kustomize Version: v5.7.1\n"
        );
        let t2 = parse("$ ! kubectl version --client\n...\n", false).unwrap();
        let r = run_steps(&mut s, &t2, "c.txt");
        assert!(r[0].failure.as_ref().unwrap().contains("expected to fail"));
        let rendered = render_with_outputs(&t, &run_steps(&mut Session::new(1), &t, "t.txt"));
        assert!(rendered.starts_with("# a comment\n$ kubectl apply -f - <<EOF\napiVersion: v1\n"), "{rendered}");
        assert!(
            rendered.contains("EOF\nconfigmap/c created\n\n$ ! kubectl get cm nope\nError from server (NotFound): configmaps \"nope\" not found\n"),
            "{rendered}"
        );
    }
}
