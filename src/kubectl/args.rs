//! Command lines: shell-like word splitting (what bash does before kubectl
//! sees its argv) and flag parsing with cobra/pflag's rules and error texts.

use crate::engine::time::Millis;
use std::collections::BTreeMap;

/// A heredoc attached to a command line (`<<EOF`, `<<'EOF'`, `<<-EOF`).
#[derive(Clone, Debug, PartialEq)]
pub struct Heredoc {
    pub delimiter: String,
    /// `<<-`: leading tabs are stripped from the body lines.
    pub strip_tabs: bool,
}

/// Splits a command line into words as bash would: single quotes are
/// literal, double quotes keep everything but `\"`, `\\`, `\$` and `` \` ``,
/// a backslash outside quotes escapes the next character, and `#` at the
/// start of a word begins a comment. A heredoc operator is taken out of the
/// words and returned separately. Pipes, redirections and command lists are
/// not simulated and are reported as errors.
pub fn split_words(line: &str) -> Result<(Vec<String>, Option<Heredoc>), String> {
    let mut words: Vec<String> = vec![];
    let mut heredoc = None;
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    let mut cur = String::new();
    let mut in_word = false;
    // Did the current word contain any quoting (so `''` is an empty word)?
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\n' | '\r' => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
                i += 1;
            }
            '#' if !in_word => break,
            '\'' => {
                in_word = true;
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err("unexpected EOF while looking for matching `''".into()),
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(&ch) => {
                            cur.push(ch);
                            i += 1;
                        }
                    }
                }
            }
            '"' => {
                in_word = true;
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err("unexpected EOF while looking for matching `\"'".into()),
                        Some('"') => {
                            i += 1;
                            break;
                        }
                        Some('\\') => match chars.get(i + 1) {
                            Some(&n @ ('"' | '\\' | '$' | '`')) => {
                                cur.push(n);
                                i += 2;
                            }
                            Some('\n') => i += 2,
                            _ => {
                                cur.push('\\');
                                i += 1;
                            }
                        },
                        Some(&ch) => {
                            cur.push(ch);
                            i += 1;
                        }
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.get(i + 1) {
                    Some('\n') => {}
                    Some(&n) => cur.push(n),
                    None => {}
                }
                i += 2;
            }
            '<' if !in_word && chars.get(i + 1) == Some(&'<') => {
                if chars.get(i + 2) == Some(&'<') {
                    return Err("here-strings (<<<) are not supported".into());
                }
                i += 2;
                let strip_tabs = chars.get(i) == Some(&'-');
                if strip_tabs {
                    i += 1;
                }
                while matches!(chars.get(i), Some(' ' | '\t')) {
                    i += 1;
                }
                let mut delim = String::new();
                while let Some(&ch) = chars.get(i) {
                    match ch {
                        ' ' | '\t' | '\n' => break,
                        '\'' | '"' => {
                            let q = ch;
                            i += 1;
                            while let Some(&d) = chars.get(i) {
                                i += 1;
                                if d == q {
                                    break;
                                }
                                delim.push(d);
                            }
                            continue;
                        }
                        '\\' => {
                            if let Some(&d) = chars.get(i + 1) {
                                delim.push(d);
                            }
                            i += 2;
                            continue;
                        }
                        _ => delim.push(ch),
                    }
                    i += 1;
                }
                if delim.is_empty() {
                    return Err("syntax error near unexpected token `newline'".into());
                }
                if heredoc.is_some() {
                    return Err("only one heredoc per command is supported".into());
                }
                heredoc = Some(Heredoc { delimiter: delim, strip_tabs });
            }
            '|' | ';' | '&' | '>' | '<' | '`' => {
                return Err(format!("shell syntax `{c}` is not supported here: run one command at a time"));
            }
            '$' if chars.get(i + 1) == Some(&'(') => {
                return Err("command substitution $(...) is not supported here".into());
            }
            _ => {
                in_word = true;
                cur.push(c);
                i += 1;
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok((words, heredoc))
}

// ---------------------------------------------------------------- flags

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FlagKind {
    Bool,
    /// A string; a repeated flag keeps the last value.
    Str,
    /// pflag StringArray: every occurrence is one value.
    StrArray,
    /// pflag StringSlice: occurrences accumulate, each split on commas.
    StrSlice,
    Int,
    /// A Go `time.Duration`.
    Duration,
}

#[derive(Clone, Copy, Debug)]
pub struct Flag {
    pub long: &'static str,
    pub short: Option<char>,
    pub kind: FlagKind,
    /// pflag's NoOptDefVal: the value of `--flag` given without `=value`
    /// (`true` for bools, `background` for `--cascade`).
    pub no_opt: Option<&'static str>,
}

pub const fn flag(long: &'static str, short: Option<char>, kind: FlagKind) -> Flag {
    let no_opt = match kind {
        FlagKind::Bool => Some("true"),
        _ => None,
    };
    Flag { long, short, kind, no_opt }
}

pub const fn boolf(long: &'static str) -> Flag {
    flag(long, None, FlagKind::Bool)
}
pub const fn strf(long: &'static str) -> Flag {
    flag(long, None, FlagKind::Str)
}

/// The flags every kubectl command accepts (kubeconfig and logging).
pub fn global_flags() -> Vec<Flag> {
    const {
        &[
            flag("namespace", Some('n'), FlagKind::Str),
            strf("context"),
            strf("cluster"),
            strf("user"),
            strf("kubeconfig"),
            strf("request-timeout"),
            flag("v", Some('v'), FlagKind::Str),
            boolf("help").with_short('h'),
            boolf("warnings-as-errors"),
        ]
    }
    .to_vec()
}

impl Flag {
    pub const fn with_short(mut self, c: char) -> Flag {
        self.short = Some(c);
        self
    }
    pub const fn with_no_opt(mut self, v: &'static str) -> Flag {
        self.no_opt = Some(v);
        self
    }
    /// How pflag names the flag in `invalid argument` errors.
    fn display(&self) -> String {
        match self.short {
            Some(s) => format!("-{s}, --{}", self.long),
            None => format!("--{}", self.long),
        }
    }
}

/// A parsed command line.
#[derive(Clone, Debug, Default)]
pub struct Parsed {
    /// Positional arguments, in order (those after `--` included).
    pub args: Vec<String>,
    /// cobra's ArgsLenAtDash: how many positional arguments came before `--`.
    pub dash_at: Option<usize>,
    values: BTreeMap<&'static str, Vec<String>>,
}

impl Parsed {
    pub fn changed(&self, long: &str) -> bool {
        self.values.contains_key(long)
    }
    pub fn str(&self, long: &str) -> Option<&str> {
        self.values.get(long).and_then(|v| v.last()).map(|s| s.as_str())
    }
    pub fn all(&self, long: &str) -> Vec<String> {
        self.values.get(long).cloned().unwrap_or_default()
    }
    pub fn bool(&self, long: &str) -> bool {
        self.str(long).is_some_and(|v| parse_bool(v) == Some(true))
    }
    /// A bool with a default of true (`--wait`).
    pub fn bool_or(&self, long: &str, default: bool) -> bool {
        match self.str(long) {
            Some(v) => parse_bool(v).unwrap_or(default),
            None => default,
        }
    }
    pub fn int(&self, long: &str) -> Option<i64> {
        self.str(long).and_then(|v| v.parse().ok())
    }
    pub fn duration(&self, long: &str) -> Option<Millis> {
        self.str(long).and_then(|v| parse_go_duration(v).ok())
    }
}

/// strconv.ParseBool.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Go's `time.ParseDuration`, in whole milliseconds (rounded), with its
/// error texts.
pub fn parse_go_duration(s: &str) -> Result<Millis, String> {
    let orig = s;
    let invalid = || format!("time: invalid duration {orig:?}");
    let mut rest = s;
    let mut neg = false;
    if let Some(r) = rest.strip_prefix('-') {
        neg = true;
        rest = r;
    } else if let Some(r) = rest.strip_prefix('+') {
        rest = r;
    }
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total_ns: f64 = 0.0;
    while !rest.is_empty() {
        let n = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let num = &rest[..n];
        if num.is_empty() || num == "." || num.matches('.').count() > 1 {
            return Err(invalid());
        }
        let v: f64 = num.parse().map_err(|_| invalid())?;
        rest = &rest[n..];
        let u = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let unit = &rest[..u];
        rest = &rest[u..];
        if unit.is_empty() {
            return Err(format!("time: missing unit in duration {orig:?}"));
        }
        let ns = match unit {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return Err(format!("time: unknown unit {unit:?} in duration {orig:?}")),
        };
        total_ns += v * ns;
    }
    let ms = (total_ns / 1e6).round() as Millis;
    Ok(if neg { -ms } else { ms })
}

/// Parses `argv` (the words after the command path) against `flags`,
/// pflag style: flags and arguments may be interspersed, `--` ends flags.
/// Errors are pflag's texts (`unknown flag: --foo`).
pub fn parse_flags(argv: &[String], flags: &[Flag]) -> Result<Parsed, String> {
    let mut p = Parsed::default();
    let find_long = |name: &str| flags.iter().find(|f| f.long == name);
    let find_short = |c: char| flags.iter().find(|f| f.short == Some(c));
    let mut i = 0;
    while i < argv.len() {
        let a = &argv[i];
        i += 1;
        if a == "--" {
            p.dash_at = Some(p.args.len());
            p.args.extend(argv[i..].iter().cloned());
            break;
        }
        if let Some(body) = a.strip_prefix("--") {
            let (name, inline) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (body, None),
            };
            let Some(f) = find_long(name) else {
                return Err(format!("unknown flag: --{name}"));
            };
            let value = match (inline, f.no_opt) {
                (Some(v), _) => v,
                (None, Some(d)) => d.to_string(),
                (None, None) => {
                    if i < argv.len() {
                        i += 1;
                        argv[i - 1].clone()
                    } else {
                        return Err(format!("flag needs an argument: --{name}"));
                    }
                }
            };
            set_value(&mut p, f, value)?;
            continue;
        }
        if a.len() > 1 && a.starts_with('-') {
            let shorts: Vec<char> = a[1..].chars().collect();
            let mut j = 0;
            while j < shorts.len() {
                let c = shorts[j];
                let Some(f) = find_short(c) else {
                    return Err(format!("unknown shorthand flag: '{c}' in {a}"));
                };
                j += 1;
                let rest: String = shorts[j..].iter().collect();
                if let Some(v) = rest.strip_prefix('=') {
                    set_value(&mut p, f, v.to_string())?;
                    break;
                }
                if let Some(d) = f.no_opt {
                    set_value(&mut p, f, d.to_string())?;
                    continue;
                }
                if !rest.is_empty() {
                    set_value(&mut p, f, rest)?;
                    break;
                }
                if i < argv.len() {
                    i += 1;
                    set_value(&mut p, f, argv[i - 1].clone())?;
                    break;
                }
                return Err(format!("flag needs an argument: '{c}' in {a}"));
            }
            continue;
        }
        p.args.push(a.clone());
    }
    Ok(p)
}

fn set_value(p: &mut Parsed, f: &Flag, value: String) -> Result<(), String> {
    let bad = |err: String| format!("invalid argument {:?} for {:?} flag: {err}", value, f.display());
    match f.kind {
        FlagKind::Bool if parse_bool(&value).is_none() => {
            return Err(bad(format!("strconv.ParseBool: parsing {value:?}: invalid syntax")));
        }
        FlagKind::Int if value.parse::<i64>().is_err() => {
            let why =
                if value.trim_start_matches('-').chars().all(|c| c.is_ascii_digit()) && !value.is_empty() { "value out of range" } else { "invalid syntax" };
            return Err(bad(format!("strconv.ParseInt: parsing {value:?}: {why}")));
        }
        FlagKind::Duration => {
            if let Err(e) = parse_go_duration(&value) {
                return Err(bad(e));
            }
        }
        _ => {}
    }
    let entry = p.values.entry(f.long).or_default();
    match f.kind {
        FlagKind::StrSlice => {
            if !value.is_empty() {
                entry.extend(value.split(',').map(|s| s.to_string()));
            }
        }
        _ => entry.push(value),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        split_words(s).unwrap().0
    }

    #[test]
    fn splits_like_bash() {
        assert_eq!(words("kubectl get pods"), ["kubectl", "get", "pods"]);
        assert_eq!(words("a 'b c' \"d e\" f\\ g"), ["a", "b c", "d e", "f g"]);
        assert_eq!(words(r#"psql -c "SELECT * FROM users WHERE n = 'x'""#), ["psql", "-c", "SELECT * FROM users WHERE n = 'x'"]);
        assert_eq!(words(r#"echo "a \"q\" \$x \n""#), ["echo", "a \"q\" $x \\n"]);
        assert_eq!(words("--for=jsonpath='{.status.phase}'=Bound"), ["--for=jsonpath={.status.phase}=Bound"]);
        assert_eq!(words("x '' y"), ["x", "", "y"]);
        assert_eq!(words("get pods # a comment"), ["get", "pods"]);
        assert_eq!(words("get a#b"), ["get", "a#b"]);
        assert_eq!(words("sh -c 'echo hi > /x'"), ["sh", "-c", "echo hi > /x"]);
        assert!(split_words("echo 'oops").is_err());
        assert!(split_words("get pods | grep x").is_err());
        assert!(split_words("echo x > f").is_err());
    }

    #[test]
    fn heredocs_are_taken_out() {
        let (w, h) = split_words("kubectl apply -f - <<EOF").unwrap();
        assert_eq!(w, ["kubectl", "apply", "-f", "-"]);
        assert_eq!(h, Some(Heredoc { delimiter: "EOF".into(), strip_tabs: false }));
        let (_, h) = split_words("kubectl apply -f - << 'END'").unwrap();
        assert_eq!(h.unwrap().delimiter, "END");
        let (w, h) = split_words("cat <<-\"YAML\" x").unwrap();
        assert_eq!(w, ["cat", "x"]);
        assert_eq!(h, Some(Heredoc { delimiter: "YAML".into(), strip_tabs: true }));
    }

    fn spec() -> Vec<Flag> {
        const {
            &[
                flag("output", Some('o'), FlagKind::Str),
                flag("selector", Some('l'), FlagKind::Str),
                flag("all-namespaces", Some('A'), FlagKind::Bool),
                flag("stdin", Some('i'), FlagKind::Bool),
                flag("tty", Some('t'), FlagKind::Bool),
                flag("replicas", None, FlagKind::Int),
                flag("timeout", None, FlagKind::Duration),
                flag("for", None, FlagKind::StrArray),
                flag("cascade", None, FlagKind::Str).with_no_opt("background"),
                boolf("wait"),
            ]
        }
        .to_vec()
    }

    fn parse(s: &str) -> Result<Parsed, String> {
        parse_flags(&words(s), &spec())
    }

    #[test]
    fn pflag_forms() {
        let p = parse("pods -o wide -lapp=web x --replicas=3 -A --timeout 2m").unwrap();
        assert_eq!(p.args, ["pods", "x"]);
        assert_eq!(p.str("output"), Some("wide"));
        assert_eq!(p.str("selector"), Some("app=web"));
        assert!(p.bool("all-namespaces"));
        assert_eq!(p.int("replicas"), Some(3));
        assert_eq!(p.duration("timeout"), Some(120_000));
        let p = parse("-it pod -o=yaml --wait=false --cascade -- sh -c 'x y'").unwrap();
        assert!(p.bool("stdin") && p.bool("tty"));
        assert_eq!(p.str("output"), Some("yaml"));
        assert!(!p.bool_or("wait", true));
        assert_eq!(p.str("cascade"), Some("background"));
        assert_eq!(p.args, ["pod", "sh", "-c", "x y"]);
        assert_eq!(p.dash_at, Some(1));
        let p = parse("--for=delete --for condition=Ready").unwrap();
        assert_eq!(p.all("for"), ["delete", "condition=Ready"]);
    }

    #[test]
    fn pflag_errors() {
        assert_eq!(parse("--foo").unwrap_err(), "unknown flag: --foo");
        assert_eq!(parse("-x").unwrap_err(), "unknown shorthand flag: 'x' in -x");
        assert_eq!(parse("-Ax").unwrap_err(), "unknown shorthand flag: 'x' in -Ax");
        assert_eq!(parse("-o").unwrap_err(), "flag needs an argument: 'o' in -o");
        assert_eq!(parse("--selector").unwrap_err(), "flag needs an argument: --selector");
        assert_eq!(parse("--replicas=x").unwrap_err(), "invalid argument \"x\" for \"--replicas\" flag: strconv.ParseInt: parsing \"x\": invalid syntax");
        assert_eq!(parse("--wait=maybe").unwrap_err(), "invalid argument \"maybe\" for \"--wait\" flag: strconv.ParseBool: parsing \"maybe\": invalid syntax");
        assert_eq!(parse("--timeout=30").unwrap_err(), "invalid argument \"30\" for \"--timeout\" flag: time: missing unit in duration \"30\"");
        assert_eq!(parse("--timeout=1d").unwrap_err(), "invalid argument \"1d\" for \"--timeout\" flag: time: unknown unit \"d\" in duration \"1d\"");
    }

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("1h30m"), Ok(5_400_000));
        assert_eq!(parse_go_duration("1.5s"), Ok(1500));
        assert_eq!(parse_go_duration("0"), Ok(0));
        assert_eq!(parse_go_duration("-1s"), Ok(-1000));
        assert_eq!(parse_go_duration("250ms"), Ok(250));
        assert!(parse_go_duration("").is_err());
        assert!(parse_go_duration("s").is_err());
    }
}
