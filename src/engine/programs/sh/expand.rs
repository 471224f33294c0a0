//! Word expansion: parameters, command substitution, arithmetic, field
//! splitting, globbing and quote removal; shell patterns.

use super::exec::Flow;
use super::*;

#[derive(Clone, Debug)]
struct Piece {
    text: String,
    /// From an unquoted expansion: subject to field splitting and globbing.
    split: bool,
    quoted: bool,
}

impl Shell {
    fn var(&self, name: &str) -> Option<String> {
        match name {
            "?" => Some(self.status.to_string()),
            "$" => Some("1".into()),
            "#" => Some(self.args.len().to_string()),
            "0" => Some(self.name.clone()),
            "@" | "*" => Some(self.args.join(" ")),
            "PWD" => Some(self.cwd.clone()),
            "RANDOM" => Some("17767".into()),
            n if n.chars().all(|c| c.is_ascii_digit()) => {
                let i: usize = n.parse().ok()?;
                self.args.get(i.checked_sub(1)?).cloned()
            }
            n => self.vars.get(n).cloned(),
        }
    }

    /// Expands a raw word into fields (`split`: field splitting and
    /// globbing apply, as for command words).
    pub fn expand_word(&mut self, ctx: &mut Ctx, raw: &str, split: bool) -> Vec<String> {
        if split && (raw == "\"$@\"" || raw == "\"${@}\"") {
            // "$@": each positional parameter is its own field.
            return self.args.clone();
        }
        let pieces = self.expand_pieces(ctx, raw, false);
        if !split {
            return vec![pieces.iter().map(|p| p.text.as_str()).collect()];
        }
        // Field splitting on unquoted expansion results.
        let mut fields: Vec<(String, bool, bool)> = vec![]; // (text, has_quoted_part, globbable)
        let mut cur = String::new();
        let mut cur_started = false;
        let mut cur_glob = false;
        for p in &pieces {
            if p.split {
                for (i, part) in p.text.split([' ', '\t', '\n']).enumerate() {
                    if i > 0 && (cur_started || !cur.is_empty()) {
                        fields.push((std::mem::take(&mut cur), cur_started, cur_glob));
                        cur_started = false;
                        cur_glob = false;
                    }
                    if !part.is_empty() {
                        cur.push_str(part);
                        cur_glob |= part.contains(['*', '?', '[']);
                    }
                }
            } else {
                cur.push_str(&p.text);
                if p.quoted {
                    cur_started = true;
                } else {
                    cur_glob |= p.text.contains(['*', '?', '[']);
                }
            }
        }
        if !cur.is_empty() || cur_started {
            fields.push((cur, cur_started, cur_glob));
        }
        let mut out = vec![];
        for (f, _, glob) in fields {
            if glob {
                let matches = self.glob(ctx, &f);
                if matches.is_empty() {
                    out.push(f);
                } else {
                    out.extend(matches);
                }
            } else {
                out.push(f);
            }
        }
        out
    }

    pub(super) fn expand_pattern(&mut self, ctx: &mut Ctx, raw: &str) -> String {
        self.expand_pieces(ctx, raw, false).iter().map(|p| p.text.as_str()).collect()
    }

    pub(super) fn expand_heredoc(&mut self, ctx: &mut Ctx, body: &str) -> String {
        // Inside a here-document, quotes are ordinary characters.
        let mut out = String::new();
        let chars: Vec<char> = body.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == '\\' && i + 1 < chars.len() && matches!(chars[i + 1], '$' | '`' | '\\') {
                out.push(chars[i + 1]);
                i += 2;
            } else if c == '$' || c == '`' {
                let (text, used) = self.dollar(ctx, &chars[i..]);
                out.push_str(&text);
                i += used.max(1);
            } else {
                out.push(c);
                i += 1;
            }
        }
        out
    }

    fn expand_pieces(&mut self, ctx: &mut Ctx, raw: &str, _in_dq: bool) -> Vec<Piece> {
        let chars: Vec<char> = raw.chars().collect();
        let mut pieces = vec![];
        let mut lit = String::new();
        let mut i = 0;
        let flush_lit = |lit: &mut String, pieces: &mut Vec<Piece>, quoted: bool| {
            if !lit.is_empty() || quoted {
                pieces.push(Piece { text: std::mem::take(lit), split: false, quoted });
            }
        };
        if chars.first() == Some(&'~') && (chars.len() == 1 || chars[1] == '/') {
            lit.push_str(&self.vars.get("HOME").cloned().unwrap_or("/root".into()));
            i = 1;
        }
        while i < chars.len() {
            let c = chars[i];
            match c {
                '\'' => {
                    flush_lit(&mut lit, &mut pieces, false);
                    let mut s = String::new();
                    i += 1;
                    while i < chars.len() && chars[i] != '\'' {
                        s.push(chars[i]);
                        i += 1;
                    }
                    i += 1;
                    pieces.push(Piece { text: s, split: false, quoted: true });
                }
                '"' => {
                    flush_lit(&mut lit, &mut pieces, false);
                    i += 1;
                    let mut s = String::new();
                    while i < chars.len() && chars[i] != '"' {
                        let c = chars[i];
                        if c == '\\' && i + 1 < chars.len() && matches!(chars[i + 1], '$' | '`' | '"' | '\\' | '\n') {
                            if chars[i + 1] != '\n' {
                                s.push(chars[i + 1]);
                            }
                            i += 2;
                        } else if c == '$' || c == '`' {
                            let (text, used) = self.dollar(ctx, &chars[i..]);
                            s.push_str(&text);
                            i += used.max(1);
                        } else {
                            s.push(c);
                            i += 1;
                        }
                    }
                    i += 1;
                    pieces.push(Piece { text: s, split: false, quoted: true });
                }
                '\\' => {
                    flush_lit(&mut lit, &mut pieces, false);
                    if i + 1 < chars.len() {
                        pieces.push(Piece { text: chars[i + 1].to_string(), split: false, quoted: true });
                    }
                    i += 2;
                }
                '$' | '`' => {
                    let (text, used) = self.dollar(ctx, &chars[i..]);
                    if used == 0 {
                        lit.push('$');
                        i += 1;
                        continue;
                    }
                    flush_lit(&mut lit, &mut pieces, false);
                    pieces.push(Piece { text, split: true, quoted: false });
                    i += used;
                }
                _ => {
                    lit.push(c);
                    i += 1;
                }
            }
        }
        flush_lit(&mut lit, &mut pieces, false);
        pieces
    }

    /// Expands the `$...` or backquote at the start of `s`: (text, chars used).
    fn dollar(&mut self, ctx: &mut Ctx, s: &[char]) -> (String, usize) {
        if s[0] == '`' {
            let mut j = 1;
            while j < s.len() && s[j] != '`' {
                j += 1;
            }
            let inner: String = s[1..j.min(s.len())].iter().collect();
            return (self.command_subst(ctx, &inner), (j + 1).min(s.len()));
        }
        if s.len() < 2 {
            return (String::new(), 0);
        }
        match s[1] {
            '(' => {
                let arith = s.len() > 2 && s[2] == '(';
                let mut depth = 0;
                let mut j = 1;
                while j < s.len() {
                    match s[j] {
                        '(' => depth += 1,
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
                if arith {
                    let inner: String = s[3..j.saturating_sub(1).max(3)].iter().collect();
                    let expanded = self.expand_pattern(ctx, &inner);
                    let v = arith_eval(&expanded, &self.vars).unwrap_or(0);
                    return (v.to_string(), j + 1);
                }
                let inner: String = s[2..j.min(s.len())].iter().collect();
                (self.command_subst(ctx, &inner), (j + 1).min(s.len()))
            }
            '{' => {
                let mut j = 2;
                while j < s.len() && s[j] != '}' {
                    j += 1;
                }
                let inner: String = s[2..j.min(s.len())].iter().collect();
                (self.param(ctx, &inner), (j + 1).min(s.len()))
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let mut j = 1;
                while j < s.len() && (s[j].is_ascii_alphanumeric() || s[j] == '_') {
                    j += 1;
                }
                let name: String = s[1..j].iter().collect();
                (self.var(&name).unwrap_or_default(), j)
            }
            c if c.is_ascii_digit() || matches!(c, '?' | '$' | '#' | '@' | '*' | '!' | '-') => (self.var(&c.to_string()).unwrap_or_default(), 2),
            _ => (String::new(), 0),
        }
    }

    fn param(&mut self, ctx: &mut Ctx, inner: &str) -> String {
        if let Some(name) = inner.strip_prefix('#') {
            return self.var(name).unwrap_or_default().chars().count().to_string();
        }
        let name_len = inner.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || matches!(c, '?' | '@' | '*' | '#')).count();
        let name = &inner[..name_len];
        let rest = &inner[name_len..];
        let val = self.var(name);
        let (op, word) = if let Some(w) = rest.strip_prefix(":-") {
            (":-", w)
        } else if let Some(w) = rest.strip_prefix(":=") {
            (":=", w)
        } else if let Some(w) = rest.strip_prefix(":+") {
            (":+", w)
        } else if let Some(w) = rest.strip_prefix('-') {
            ("-", w)
        } else if let Some(w) = rest.strip_prefix('=') {
            ("=", w)
        } else if let Some(w) = rest.strip_prefix('+') {
            ("+", w)
        } else if let Some(w) = rest.strip_prefix("%%") {
            ("%%", w)
        } else if let Some(w) = rest.strip_prefix('%') {
            ("%", w)
        } else if let Some(w) = rest.strip_prefix("##") {
            ("##", w)
        } else if let Some(w) = rest.strip_prefix('#') {
            ("#", w)
        } else {
            ("", "")
        };
        let word_val = |sh: &mut Shell, ctx: &mut Ctx| sh.expand_pattern(ctx, word);
        match op {
            ":-" => match val {
                Some(v) if !v.is_empty() => v,
                _ => word_val(self, ctx),
            },
            "-" => val.unwrap_or_else(|| word_val(self, ctx)),
            ":=" | "=" => match val {
                Some(v) if !v.is_empty() || op == "=" => v,
                _ => {
                    let w = word_val(self, ctx);
                    self.vars.insert(name.to_string(), w.clone());
                    w
                }
            },
            ":+" => match val {
                Some(v) if !v.is_empty() => word_val(self, ctx),
                _ => String::new(),
            },
            "+" => match val {
                Some(_) => word_val(self, ctx),
                None => String::new(),
            },
            "%" | "%%" | "#" | "##" => {
                let v = val.unwrap_or_default();
                let pat = word_val(self, ctx);
                let chars: Vec<char> = v.chars().collect();
                let n = chars.len();
                match op {
                    "%" => (0..=n).rev().map(|i| chars[..i].iter().collect::<String>()).find(|pre| glob_match(&pat, &v[pre.len()..])).unwrap_or(v.clone()),
                    "%%" => (0..=n).map(|i| chars[..i].iter().collect::<String>()).find(|pre| glob_match(&pat, &v[pre.len()..])).unwrap_or(v.clone()),
                    "#" => (0..=n)
                        .map(|i| chars[..i].iter().collect::<String>())
                        .find(|pre| glob_match(&pat, pre))
                        .map(|pre| v[pre.len()..].to_string())
                        .unwrap_or(v.clone()),
                    _ => (0..=n)
                        .rev()
                        .map(|i| chars[..i].iter().collect::<String>())
                        .find(|pre| glob_match(&pat, pre))
                        .map(|pre| v[pre.len()..].to_string())
                        .unwrap_or(v.clone()),
                }
            }
            _ => val.unwrap_or_default(),
        }
    }

    fn command_subst(&mut self, ctx: &mut Ctx, src: &str) -> String {
        let saved = (self.vars.clone(), self.exported.clone(), self.cwd.clone(), self.flow.clone(), self.main, self.clock, self.timeline.len());
        self.main = false;
        let mut o = Output::default();
        if let Ok(node) = parse(src) {
            self.exec_node(ctx, &node, "", &mut o)
        }
        let status = match self.flow {
            Flow::Exit(c) => c,
            _ => self.status,
        };
        self.vars = saved.0;
        self.exported = saved.1;
        self.cwd = saved.2;
        self.flow = saved.3;
        self.main = saved.4;
        self.clock = saved.5;
        self.timeline.truncate(saved.6);
        self.status = status;
        self.last_subst_status = status;
        self.status_from_subst = true;
        // stderr of the substituted command goes to the terminal.
        self.subst_stderr.push_str(&o.stderr());
        o.stdout().trim_end_matches('\n').to_string()
    }

    fn glob(&mut self, ctx: &mut Ctx, pattern: &str) -> Vec<String> {
        let abs = pattern.starts_with('/');
        let full = if abs { pattern.to_string() } else { format!("{}/{}", self.cwd.trim_end_matches('/'), pattern) };
        let parts: Vec<&str> = full.split('/').filter(|s| !s.is_empty()).collect();
        let mut paths = vec!["/".to_string()];
        ctx.cwd = self.cwd.clone();
        let fs = ctx.fs();
        for (i, part) in parts.iter().enumerate() {
            let last = i + 1 == parts.len();
            let mut next = vec![];
            for p in &paths {
                if part.contains(['*', '?', '[']) {
                    if let Ok(names) = fs.list(p) {
                        for n in names {
                            if n.starts_with('.') && !part.starts_with('.') {
                                continue;
                            }
                            if glob_match(part, &n) {
                                let child = if p == "/" { format!("/{n}") } else { format!("{p}/{n}") };
                                if last || fs.is_dir(&child) {
                                    next.push(child);
                                }
                            }
                        }
                    }
                } else {
                    let child = if p == "/" { format!("/{part}") } else { format!("{p}/{part}") };
                    if fs.exists(&child) {
                        next.push(child);
                    }
                }
            }
            paths = next;
        }
        crate::engine::sort::sort(&mut paths);
        if abs {
            paths
        } else {
            let prefix = if self.cwd == "/" { "/".to_string() } else { format!("{}/", self.cwd) };
            paths.into_iter().map(|p| p.strip_prefix(&prefix).unwrap_or(&p).to_string()).collect()
        }
    }
}

/// Shell pattern matching (`*`, `?`, `[...]`).
pub fn glob_match(pat: &str, s: &str) -> bool {
    let p: Vec<char> = pat.chars().collect();
    let t: Vec<char> = s.chars().collect();
    fn m(p: &[char], t: &[char]) -> bool {
        match p.first() {
            None => t.is_empty(),
            Some('*') => (0..=t.len()).any(|i| m(&p[1..], &t[i..])),
            Some('?') => !t.is_empty() && m(&p[1..], &t[1..]),
            Some('[') => {
                let Some(end) = p.iter().skip(1).position(|c| *c == ']').map(|e| e + 1) else {
                    return !t.is_empty() && t[0] == '[' && m(&p[1..], &t[1..]);
                };
                if t.is_empty() {
                    return false;
                }
                let set = &p[1..end];
                let (neg, set) = if set.first() == Some(&'!') || set.first() == Some(&'^') { (true, &set[1..]) } else { (false, set) };
                let mut hit = false;
                let mut i = 0;
                while i < set.len() {
                    if i + 2 < set.len() && set[i + 1] == '-' {
                        if set[i] <= t[0] && t[0] <= set[i + 2] {
                            hit = true;
                        }
                        i += 3;
                    } else {
                        if set[i] == t[0] {
                            hit = true;
                        }
                        i += 1;
                    }
                }
                hit != neg && m(&p[end + 1..], &t[1..])
            }
            Some('\\') if p.len() > 1 => !t.is_empty() && t[0] == p[1] && m(&p[2..], &t[1..]),
            Some(c) => !t.is_empty() && t[0] == *c && m(&p[1..], &t[1..]),
        }
    }
    m(&p, &t)
}

/// `$(( ))` arithmetic: integers, + - * / %, comparisons, parentheses.
pub fn arith_eval(src: &str, vars: &BTreeMap<String, String>) -> Option<i64> {
    let toks: Vec<String> = {
        let mut v = vec![];
        let c: Vec<char> = src.chars().collect();
        let mut i = 0;
        while i < c.len() {
            if c[i].is_whitespace() {
                i += 1;
            } else if c[i].is_ascii_alphanumeric() || c[i] == '_' {
                let s = i;
                while i < c.len() && (c[i].is_ascii_alphanumeric() || c[i] == '_') {
                    i += 1;
                }
                v.push(c[s..i].iter().collect());
            } else {
                let two: String = c[i..(i + 2).min(c.len())].iter().collect();
                if ["==", "!=", "<=", ">=", "&&", "||"].contains(&two.as_str()) {
                    v.push(two);
                    i += 2;
                } else {
                    v.push(c[i].to_string());
                    i += 1;
                }
            }
        }
        v
    };
    fn prec(op: &str) -> Option<u8> {
        Some(match op {
            "||" => 1,
            "&&" => 2,
            "==" | "!=" => 3,
            "<" | ">" | "<=" | ">=" => 4,
            "+" | "-" => 5,
            "*" | "/" | "%" => 6,
            _ => return None,
        })
    }
    fn primary(t: &[String], i: &mut usize, vars: &BTreeMap<String, String>) -> Option<i64> {
        let tok = t.get(*i)?.clone();
        *i += 1;
        match tok.as_str() {
            "(" => {
                let v = expr(t, i, 0, vars)?;
                if t.get(*i).map(|s| s.as_str()) == Some(")") {
                    *i += 1;
                }
                Some(v)
            }
            "-" => Some(-primary(t, i, vars)?),
            "+" => primary(t, i, vars),
            "!" => Some((primary(t, i, vars)? == 0) as i64),
            s if s.chars().all(|c| c.is_ascii_digit()) => s.parse().ok(),
            s => Some(vars.get(s).and_then(|v| v.trim().parse().ok()).unwrap_or(0)),
        }
    }
    fn expr(t: &[String], i: &mut usize, min: u8, vars: &BTreeMap<String, String>) -> Option<i64> {
        let mut lhs = primary(t, i, vars)?;
        while let Some(op) = t.get(*i) {
            let Some(p) = prec(op) else { break };
            if p <= min && min != 0 || p < min {
                break;
            }
            let op = op.clone();
            *i += 1;
            let rhs = expr(t, i, p, vars)?;
            lhs = match op.as_str() {
                "+" => lhs.wrapping_add(rhs),
                "-" => lhs.wrapping_sub(rhs),
                "*" => lhs.wrapping_mul(rhs),
                "/" => lhs.checked_div(rhs)?,
                "%" => lhs.checked_rem(rhs)?,
                "<" => (lhs < rhs) as i64,
                ">" => (lhs > rhs) as i64,
                "<=" => (lhs <= rhs) as i64,
                ">=" => (lhs >= rhs) as i64,
                "==" => (lhs == rhs) as i64,
                "!=" => (lhs != rhs) as i64,
                "&&" => (lhs != 0 && rhs != 0) as i64,
                _ => (lhs != 0 || rhs != 0) as i64,
            };
        }
        Some(lhs)
    }
    let mut i = 0;
    expr(&toks, &mut i, 0, vars)
}
