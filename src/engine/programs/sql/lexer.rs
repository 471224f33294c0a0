//! The SQL lexer: PostgreSQL's tokens (identifiers, keywords, numbers,
//! strings with E'' escapes, operators) with their character positions,
//! and the splitting of a script into statements.

use super::*;

#[derive(Clone, Debug, PartialEq)]
pub(super) enum T {
    Ident(String),
    QIdent(String),
    Num(String),
    Str(String),
    Op(String),
    Eof,
}

#[derive(Clone, Debug)]
pub(super) struct Tok {
    pub(super) t: T,
    /// 0-based char offset.
    pub(super) pos: usize,
    /// The token's text as written (for "at or near").
    pub(super) raw: String,
}

pub(super) fn tokenize(src: &str) -> R<Vec<Tok>> {
    let c: Vec<char> = src.chars().collect();
    let mut i = 0;
    let mut out = vec![];
    while i < c.len() {
        let ch = c[i];
        if ch.is_whitespace() {
            i += 1;
            continue;
        }
        if ch == '-' && c.get(i + 1) == Some(&'-') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
            continue;
        }
        if ch == '/' && c.get(i + 1) == Some(&'*') {
            i += 2;
            while i + 1 < c.len() && !(c[i] == '*' && c[i + 1] == '/') {
                i += 1;
            }
            i += 2;
            continue;
        }
        let start = i;
        if ch.is_alphabetic() || ch == '_' {
            // E'...' strings
            if (ch == 'E' || ch == 'e') && c.get(i + 1) == Some(&'\'') {
                i += 1;
                let (s, j) = read_string(&c, i, true).ok_or_else(|| {
                    SqlError::at("unterminated quoted string at or near \"".to_string() + &c[start..].iter().collect::<String>() + "\"", start)
                })?;
                i = j;
                out.push(Tok { t: T::Str(s), pos: start, raw: c[start..i].iter().collect() });
                continue;
            }
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_' || c[i] == '$') {
                i += 1;
            }
            let raw: String = c[start..i].iter().collect();
            out.push(Tok { t: T::Ident(raw.to_lowercase()), pos: start, raw });
            continue;
        }
        if ch.is_ascii_digit() || (ch == '.' && c.get(i + 1).is_some_and(|d| d.is_ascii_digit())) {
            while i < c.len() && (c[i].is_ascii_digit() || c[i] == '.') {
                i += 1;
            }
            if i < c.len() && (c[i] == 'e' || c[i] == 'E') && c.get(i + 1).is_some_and(|d| d.is_ascii_digit() || *d == '-' || *d == '+') {
                i += 2;
                while i < c.len() && c[i].is_ascii_digit() {
                    i += 1;
                }
            }
            let raw: String = c[start..i].iter().collect();
            if i < c.len() && (c[i].is_alphabetic() || c[i] == '_') {
                // "123abc": trailing junk after numeric literal (PG 15+) or
                // two tokens before; report at the junk.
                let mut j = i;
                while j < c.len() && (c[j].is_alphanumeric() || c[j] == '_') {
                    j += 1;
                }
                let junk: String = c[start..j].iter().collect();
                return Err(SqlError::at(format!("trailing junk after numeric literal at or near \"{junk}\""), start));
            }
            out.push(Tok { t: T::Num(raw.clone()), pos: start, raw });
            continue;
        }
        if ch == '\'' {
            let Some((s, j)) = read_string(&c, i, false) else {
                let rest: String = c[start..].iter().collect();
                return Err(SqlError::at(format!("unterminated quoted string at or near \"{rest}\""), start));
            };
            i = j;
            out.push(Tok { t: T::Str(s), pos: start, raw: c[start..i].iter().collect() });
            continue;
        }
        if ch == '"' {
            let mut s = String::new();
            i += 1;
            loop {
                if i >= c.len() {
                    let rest: String = c[start..].iter().collect();
                    return Err(SqlError::at(format!("unterminated quoted identifier at or near \"{rest}\""), start));
                }
                if c[i] == '"' {
                    if c.get(i + 1) == Some(&'"') {
                        s.push('"');
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                s.push(c[i]);
                i += 1;
            }
            if s.is_empty() {
                return Err(SqlError::at("zero-length delimited identifier at or near \"\"\"\"", start));
            }
            out.push(Tok { t: T::QIdent(s), pos: start, raw: c[start..i].iter().collect() });
            continue;
        }
        // Operators.
        let ops = ["::", "<=", ">=", "<>", "!=", "||", "->>", "->"];
        let mut matched = None;
        for op in ops {
            let oc: Vec<char> = op.chars().collect();
            if c[i..].starts_with(&oc) {
                matched = Some(op.to_string());
                break;
            }
        }
        let op = matched.unwrap_or_else(|| ch.to_string());
        i += op.chars().count();
        out.push(Tok { t: T::Op(op.clone()), pos: start, raw: op });
    }
    out.push(Tok { t: T::Eof, pos: c.len(), raw: String::new() });
    Ok(out)
}

fn read_string(c: &[char], start: usize, escapes: bool) -> Option<(String, usize)> {
    let mut i = start + 1;
    let mut s = String::new();
    loop {
        if i >= c.len() {
            return None;
        }
        let ch = c[i];
        if ch == '\'' {
            if c.get(i + 1) == Some(&'\'') {
                s.push('\'');
                i += 2;
                continue;
            }
            return Some((s, i + 1));
        }
        if escapes && ch == '\\' && i + 1 < c.len() {
            s.push(match c[i + 1] {
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                o => o,
            });
            i += 2;
            continue;
        }
        s.push(ch);
        i += 1;
    }
}

/// Splits a query string into statements at top-level semicolons.
/// Returns (statement text, start offset in chars).
pub fn split_statements(src: &str) -> Vec<(String, usize)> {
    let c: Vec<char> = src.chars().collect();
    let mut out = vec![];
    let mut start = 0;
    let mut i = 0;
    while i < c.len() {
        match c[i] {
            '\'' | '"' => {
                let q = c[i];
                i += 1;
                while i < c.len() && c[i] != q {
                    i += 1;
                }
            }
            '-' if c.get(i + 1) == Some(&'-') => {
                while i < c.len() && c[i] != '\n' {
                    i += 1;
                }
            }
            ';' => {
                out.push((c[start..i].iter().collect(), start));
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    let rest: String = c[start.min(c.len())..].iter().collect();
    if !rest.trim().is_empty() {
        out.push((rest, start));
    }
    out.into_iter().filter(|(s, _)| !is_blank_sql(s)).collect()
}

fn is_blank_sql(s: &str) -> bool {
    s.lines().map(|l| l.split("--").next().unwrap_or("")).all(|l| l.trim().is_empty())
}
