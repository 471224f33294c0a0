//! The shell's lexer: words (quotes kept for the expander), operators,
//! redirections and here-document bodies, with line numbers.

use crate::engine::sort::VecMap;

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Tok {
    Word(String),
    Op(String),
    /// A redirection: fd (if given), operator, and for here-documents the body.
    Redir(Option<u32>, String),
    Newline,
    Eof,
}

#[derive(Clone, Debug)]
pub(super) struct Lexed {
    pub(super) tok: Tok,
    pub(super) line: usize,
}

struct Lexer<'s> {
    src: Vec<char>,
    pos: usize,
    line: usize,
    pending_heredocs: Vec<(usize, String, bool)>,
    out: Vec<Lexed>,
    /// A `VecMap` (a few entries): a `BTreeMap<usize, String>` was the wasm's only one.
    heredoc_bodies: VecMap<usize, String>,
    _s: std::marker::PhantomData<&'s ()>,
}

#[derive(Debug)]
pub struct SyntaxError {
    pub line: usize,
    pub near: String,
}

pub(super) fn lex(src: &str) -> Result<(Vec<Lexed>, VecMap<usize, String>), SyntaxError> {
    let mut lx = Lexer {
        src: src.chars().collect(),
        pos: 0,
        line: 1,
        pending_heredocs: vec![],
        out: vec![],
        heredoc_bodies: VecMap::default(),
        _s: std::marker::PhantomData,
    };
    lx.run()?;
    Ok((lx.out, lx.heredoc_bodies))
}

impl<'s> Lexer<'s> {
    fn peek(&self, off: usize) -> Option<char> {
        self.src.get(self.pos + off).copied()
    }

    fn push(&mut self, tok: Tok) {
        self.out.push(Lexed { tok, line: self.line });
    }

    fn run(&mut self) -> Result<(), SyntaxError> {
        while let Some(c) = self.peek(0) {
            match c {
                ' ' | '\t' => self.pos += 1,
                '\\' if self.peek(1) == Some('\n') => {
                    self.pos += 2;
                    self.line += 1;
                }
                '#' => {
                    while let Some(c) = self.peek(0) {
                        if c == '\n' {
                            break;
                        }
                        self.pos += 1;
                    }
                }
                '\n' => {
                    self.pos += 1;
                    self.push(Tok::Newline);
                    self.line += 1;
                    self.read_heredocs()?;
                }
                '&' | '|' | ';' | '(' | ')' => {
                    let two: String = [c, self.peek(1).unwrap_or(' ')].iter().collect();
                    if two == "&&" || two == "||" || two == ";;" {
                        self.pos += 2;
                        self.push(Tok::Op(two));
                    } else if two == "&>" {
                        self.pos += 2;
                        self.push(Tok::Redir(None, "&>".into()));
                    } else {
                        self.pos += 1;
                        self.push(Tok::Op(c.to_string()));
                    }
                }
                '<' | '>' => {
                    self.redir(None)?;
                }
                _ => {
                    // A leading fd number directly before a redirection.
                    let mut j = 0;
                    while self.peek(j).is_some_and(|c| c.is_ascii_digit()) {
                        j += 1;
                    }
                    if j > 0 && matches!(self.peek(j), Some('<') | Some('>')) {
                        let n: String = self.src[self.pos..self.pos + j].iter().collect();
                        self.pos += j;
                        self.redir(n.parse().ok())?;
                        continue;
                    }
                    let w = self.word()?;
                    self.push(Tok::Word(w));
                }
            }
        }
        if !self.pending_heredocs.is_empty() {
            self.read_heredocs()?;
        }
        self.push(Tok::Eof);
        Ok(())
    }

    fn redir(&mut self, fd: Option<u32>) -> Result<(), SyntaxError> {
        let c = self.peek(0).unwrap();
        let n = self.peek(1);
        let op = match (c, n) {
            ('>', Some('>')) => ">>",
            ('>', Some('&')) => ">&",
            ('>', Some('|')) => ">|",
            ('<', Some('<')) => {
                if self.peek(2) == Some('-') {
                    "<<-"
                } else if self.peek(2) == Some('<') {
                    "<<<"
                } else {
                    "<<"
                }
            }
            ('<', Some('&')) => "<&",
            ('<', Some('>')) => "<>",
            ('>', _) => ">",
            _ => "<",
        };
        self.pos += op.len();
        if op == "<<" || op == "<<-" {
            // The delimiter word follows; the body comes after the line.
            while matches!(self.peek(0), Some(' ') | Some('\t')) {
                self.pos += 1;
            }
            let w = self.word()?;
            let quoted = w.contains('\'') || w.contains('"') || w.contains('\\');
            let delim: String = w.chars().filter(|c| !matches!(c, '\'' | '"' | '\\')).collect();
            let idx = self.out.len();
            self.push(Tok::Redir(fd, op.to_string()));
            self.push(Tok::Word(w));
            self.pending_heredocs.push((idx, delim, quoted));
            return Ok(());
        }
        self.push(Tok::Redir(fd, op.to_string()));
        Ok(())
    }

    fn read_heredocs(&mut self) -> Result<(), SyntaxError> {
        let pending = std::mem::take(&mut self.pending_heredocs);
        for (idx, delim, quoted) in pending {
            let strip_tabs = matches!(&self.out[idx].tok, Tok::Redir(_, op) if op == "<<-");
            let mut body = String::new();
            loop {
                if self.pos >= self.src.len() {
                    break;
                }
                let mut line = String::new();
                while let Some(c) = self.peek(0) {
                    self.pos += 1;
                    if c == '\n' {
                        break;
                    }
                    line.push(c);
                }
                self.line += 1;
                let check = if strip_tabs { line.trim_start_matches('\t').to_string() } else { line.clone() };
                if check == delim {
                    break;
                }
                body.push_str(&check);
                body.push('\n');
            }
            // Quoted delimiters mean no expansion: mark the body with a NUL.
            self.heredoc_bodies.insert(idx, if quoted { format!("\0{body}") } else { body });
        }
        Ok(())
    }

    /// Reads one word, raw (quotes kept), respecting quotes, `$(..)` and
    /// backquotes.
    fn word(&mut self) -> Result<String, SyntaxError> {
        let mut w = String::new();
        while let Some(c) = self.peek(0) {
            match c {
                ' ' | '\t' | '\n' | ';' | '&' | '|' | '<' | '>' | '(' | ')' => {
                    if c == '(' && w.ends_with('$') {
                        // handled below
                    } else {
                        break;
                    }
                }
                _ => {}
            }
            match c {
                '\'' => {
                    w.push(c);
                    self.pos += 1;
                    loop {
                        let Some(c) = self.peek(0) else { return Err(SyntaxError { line: self.line, near: "unterminated quoted string".into() }) };
                        self.pos += 1;
                        w.push(c);
                        if c == '\n' {
                            self.line += 1;
                        }
                        if c == '\'' {
                            break;
                        }
                    }
                }
                '"' => {
                    w.push(c);
                    self.pos += 1;
                    loop {
                        let Some(c) = self.peek(0) else { return Err(SyntaxError { line: self.line, near: "unterminated quoted string".into() }) };
                        if c == '\\' {
                            w.push(c);
                            self.pos += 1;
                            if let Some(n) = self.peek(0) {
                                w.push(n);
                                self.pos += 1;
                            }
                            continue;
                        }
                        if c == '$' && self.peek(1) == Some('(') {
                            w.push_str(&self.dollar_paren()?);
                            continue;
                        }
                        self.pos += 1;
                        w.push(c);
                        if c == '\n' {
                            self.line += 1;
                        }
                        if c == '"' {
                            break;
                        }
                    }
                }
                '\\' => {
                    self.pos += 1;
                    if self.peek(0) == Some('\n') {
                        self.pos += 1;
                        self.line += 1;
                        continue;
                    }
                    w.push('\\');
                    if let Some(n) = self.peek(0) {
                        w.push(n);
                        self.pos += 1;
                    }
                }
                '$' if self.peek(1) == Some('(') => {
                    w.push_str(&self.dollar_paren()?);
                }
                '$' if self.peek(1) == Some('{') => {
                    let start = self.pos;
                    while let Some(c) = self.peek(0) {
                        self.pos += 1;
                        if c == '}' {
                            break;
                        }
                    }
                    w.extend(self.src[start..self.pos].iter());
                }
                '`' => {
                    w.push(c);
                    self.pos += 1;
                    while let Some(c) = self.peek(0) {
                        self.pos += 1;
                        w.push(c);
                        if c == '`' {
                            break;
                        }
                    }
                }
                _ => {
                    w.push(c);
                    self.pos += 1;
                }
            }
        }
        Ok(w)
    }

    /// `$(...)` or `$((...))`, raw, with nesting.
    fn dollar_paren(&mut self) -> Result<String, SyntaxError> {
        let start = self.pos;
        self.pos += 2;
        let mut depth = 1;
        while depth > 0 {
            let Some(c) = self.peek(0) else { return Err(SyntaxError { line: self.line, near: "end of file".into() }) };
            self.pos += 1;
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                '\'' => {
                    while let Some(c) = self.peek(0) {
                        self.pos += 1;
                        if c == '\'' {
                            break;
                        }
                    }
                }
                '\n' => self.line += 1,
                _ => {}
            }
        }
        Ok(self.src[start..self.pos].iter().collect())
    }
}
