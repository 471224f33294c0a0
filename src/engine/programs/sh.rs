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

use super::image::Userland;
use super::utils;
use super::{Ctx, Main, Output, ServerState};
use crate::engine::fs::{FsError, clean};
use crate::engine::time::Millis;
use std::collections::BTreeMap;

// ------------------------------------------------------------------ lexer

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Word(String),
    Op(String),
    /// A redirection: fd (if given), operator, and for here-documents the body.
    Redir(Option<u32>, String),
    Newline,
    Eof,
}

#[derive(Clone, Debug)]
struct Lexed {
    tok: Tok,
    line: usize,
}

struct Lexer<'s> {
    src: Vec<char>,
    pos: usize,
    line: usize,
    pending_heredocs: Vec<(usize, String, bool)>,
    out: Vec<Lexed>,
    heredoc_bodies: BTreeMap<usize, String>,
    _s: std::marker::PhantomData<&'s ()>,
}

#[derive(Debug)]
pub struct SyntaxError {
    pub line: usize,
    pub near: String,
}

fn lex(src: &str) -> Result<(Vec<Lexed>, BTreeMap<usize, String>), SyntaxError> {
    let mut lx = Lexer {
        src: src.chars().collect(),
        pos: 0,
        line: 1,
        pending_heredocs: vec![],
        out: vec![],
        heredoc_bodies: BTreeMap::new(),
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

// ----------------------------------------------------------------- parser

#[derive(Clone, Debug)]
pub struct Redir {
    fd: u32,
    op: String,
    target: String,
    /// Here-document body (`\0` prefix: no expansion).
    body: Option<String>,
}

#[derive(Clone, Debug)]
pub enum Node {
    Simple { assigns: Vec<(String, String)>, words: Vec<String>, redirs: Vec<Redir>, line: usize },
    Pipeline { cmds: Vec<Node>, negate: bool },
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Seq(Vec<Node>),
    Background(Box<Node>),
    If { conds: Vec<(Node, Node)>, else_: Option<Box<Node>> },
    Loop { cond: Box<Node>, body: Box<Node>, until: bool },
    For { var: String, items: Option<Vec<String>>, body: Box<Node> },
    Case { word: String, arms: Vec<(Vec<String>, Node)> },
    Group { body: Box<Node>, redirs: Vec<Redir>, subshell: bool },
    Empty,
}

struct Parser {
    toks: Vec<Lexed>,
    pos: usize,
    bodies: BTreeMap<usize, String>,
}

const RESERVED: &[&str] = &["if", "then", "elif", "else", "fi", "while", "until", "do", "done", "for", "in", "case", "esac", "{", "}", "!"];

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos.min(self.toks.len() - 1)].tok
    }
    fn line(&self) -> usize {
        self.toks[self.pos.min(self.toks.len() - 1)].line
    }
    fn next(&mut self) -> Tok {
        let t = self.peek().clone();
        if self.pos < self.toks.len() {
            self.pos += 1;
        }
        t
    }
    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Tok::Word(x) if x == w)
    }
    fn is_op(&self, o: &str) -> bool {
        matches!(self.peek(), Tok::Op(x) if x == o)
    }
    fn err(&self) -> SyntaxError {
        let near = match self.peek() {
            Tok::Word(w) => w.clone(),
            Tok::Op(o) => o.clone(),
            Tok::Redir(_, o) => o.clone(),
            Tok::Newline => "newline".into(),
            Tok::Eof => "end of file".into(),
        };
        SyntaxError { line: self.line(), near }
    }
    fn linebreak(&mut self) {
        while matches!(self.peek(), Tok::Newline) {
            self.pos += 1;
        }
    }
    fn expect_word(&mut self, w: &str) -> Result<(), SyntaxError> {
        self.linebreak();
        if self.is_word(w) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.err())
        }
    }

    fn at_list_end(&self, stops: &[&str]) -> bool {
        match self.peek() {
            Tok::Eof => true,
            Tok::Word(w) => stops.contains(&w.as_str()),
            Tok::Op(o) => o == ")" && stops.contains(&")") || o == ";;" && stops.contains(&";;"),
            _ => false,
        }
    }

    fn list(&mut self, stops: &[&str]) -> Result<Node, SyntaxError> {
        let mut items = vec![];
        self.linebreak();
        while !self.at_list_end(stops) {
            let n = self.and_or()?;
            if self.is_op("&") {
                self.pos += 1;
                items.push(Node::Background(Box::new(n)));
            } else {
                items.push(n);
                if self.is_op(";") || matches!(self.peek(), Tok::Newline) {
                    self.pos += 1;
                } else if !self.at_list_end(stops) {
                    return Err(self.err());
                }
            }
            self.linebreak();
        }
        Ok(if items.len() == 1 {
            items.pop().unwrap()
        } else if items.is_empty() {
            Node::Empty
        } else {
            Node::Seq(items)
        })
    }

    fn and_or(&mut self) -> Result<Node, SyntaxError> {
        let mut left = self.pipeline()?;
        loop {
            if self.is_op("&&") {
                self.pos += 1;
                self.linebreak();
                let r = self.pipeline()?;
                left = Node::And(Box::new(left), Box::new(r));
            } else if self.is_op("||") {
                self.pos += 1;
                self.linebreak();
                let r = self.pipeline()?;
                left = Node::Or(Box::new(left), Box::new(r));
            } else {
                return Ok(left);
            }
        }
    }

    fn pipeline(&mut self) -> Result<Node, SyntaxError> {
        let mut negate = false;
        if self.is_word("!") {
            self.pos += 1;
            negate = true;
        }
        let mut cmds = vec![self.command()?];
        while self.is_op("|") {
            self.pos += 1;
            self.linebreak();
            cmds.push(self.command()?);
        }
        if cmds.len() == 1 && !negate {
            return Ok(cmds.pop().unwrap());
        }
        Ok(Node::Pipeline { cmds, negate })
    }

    fn redirs(&mut self, out: &mut Vec<Redir>) -> Result<(), SyntaxError> {
        while let Tok::Redir(fd, op) = self.peek().clone() {
            let idx = self.pos;
            self.pos += 1;
            let target = match self.next() {
                Tok::Word(w) => w,
                _ => {
                    self.pos -= 1;
                    return Err(self.err());
                }
            };
            let default_fd = if op.starts_with('<') { 0 } else { 1 };
            out.push(Redir { fd: fd.unwrap_or(default_fd), op: op.clone(), target, body: self.bodies.get(&idx).cloned() });
        }
        Ok(())
    }

    fn command(&mut self) -> Result<Node, SyntaxError> {
        let node = match self.peek().clone() {
            Tok::Word(w) if w == "if" => {
                self.pos += 1;
                let mut conds = vec![];
                let c = self.list(&["then"])?;
                self.expect_word("then")?;
                let b = self.list(&["elif", "else", "fi"])?;
                conds.push((c, b));
                let mut else_ = None;
                loop {
                    if self.is_word("elif") {
                        self.pos += 1;
                        let c = self.list(&["then"])?;
                        self.expect_word("then")?;
                        let b = self.list(&["elif", "else", "fi"])?;
                        conds.push((c, b));
                    } else if self.is_word("else") {
                        self.pos += 1;
                        else_ = Some(Box::new(self.list(&["fi"])?));
                    } else {
                        break;
                    }
                }
                self.expect_word("fi")?;
                Node::If { conds, else_ }
            }
            Tok::Word(w) if w == "while" || w == "until" => {
                self.pos += 1;
                let cond = self.list(&["do"])?;
                self.expect_word("do")?;
                let body = self.list(&["done"])?;
                self.expect_word("done")?;
                Node::Loop { cond: Box::new(cond), body: Box::new(body), until: w == "until" }
            }
            Tok::Word(w) if w == "for" => {
                self.pos += 1;
                let var = match self.next() {
                    Tok::Word(v) => v,
                    _ => {
                        self.pos -= 1;
                        return Err(self.err());
                    }
                };
                self.linebreak();
                let mut items = None;
                if self.is_word("in") {
                    self.pos += 1;
                    let mut v = vec![];
                    while let Tok::Word(w) = self.peek().clone() {
                        self.pos += 1;
                        v.push(w);
                    }
                    items = Some(v);
                }
                if self.is_op(";") || matches!(self.peek(), Tok::Newline) {
                    self.pos += 1;
                }
                self.expect_word("do")?;
                let body = self.list(&["done"])?;
                self.expect_word("done")?;
                Node::For { var, items, body: Box::new(body) }
            }
            Tok::Word(w) if w == "case" => {
                self.pos += 1;
                let word = match self.next() {
                    Tok::Word(v) => v,
                    _ => {
                        self.pos -= 1;
                        return Err(self.err());
                    }
                };
                self.expect_word("in")?;
                let mut arms = vec![];
                self.linebreak();
                while !self.is_word("esac") {
                    if self.is_op("(") {
                        self.pos += 1;
                    }
                    let mut pats = vec![];
                    loop {
                        match self.next() {
                            Tok::Word(p) => pats.push(p),
                            _ => {
                                self.pos -= 1;
                                return Err(self.err());
                            }
                        }
                        if self.is_op("|") {
                            self.pos += 1;
                            continue;
                        }
                        break;
                    }
                    if !self.is_op(")") {
                        return Err(self.err());
                    }
                    self.pos += 1;
                    let body = self.list(&["esac", ";;"])?;
                    arms.push((pats, body));
                    if self.is_op(";;") {
                        self.pos += 1;
                    }
                    self.linebreak();
                    if matches!(self.peek(), Tok::Eof) {
                        return Err(self.err());
                    }
                }
                self.pos += 1;
                Node::Case { word, arms }
            }
            Tok::Word(w) if w == "{" => {
                self.pos += 1;
                let body = self.list(&["}"])?;
                self.expect_word("}")?;
                let mut redirs = vec![];
                self.redirs(&mut redirs)?;
                return Ok(Node::Group { body: Box::new(body), redirs, subshell: false });
            }
            Tok::Op(o) if o == "(" => {
                self.pos += 1;
                let body = self.list(&[")"])?;
                if !self.is_op(")") {
                    return Err(self.err());
                }
                self.pos += 1;
                let mut redirs = vec![];
                self.redirs(&mut redirs)?;
                return Ok(Node::Group { body: Box::new(body), redirs, subshell: true });
            }
            Tok::Word(w) if RESERVED.contains(&w.as_str()) && w != "{" && w != "!" => return Err(self.err()),
            _ => return self.simple(),
        };
        let mut redirs = vec![];
        self.redirs(&mut redirs)?;
        if redirs.is_empty() { Ok(node) } else { Ok(Node::Group { body: Box::new(node), redirs, subshell: false }) }
    }

    fn simple(&mut self) -> Result<Node, SyntaxError> {
        let line = self.line();
        let mut assigns = vec![];
        let mut words = vec![];
        let mut redirs = vec![];
        loop {
            match self.peek().clone() {
                Tok::Word(w) => {
                    if words.is_empty() && is_assignment(&w) {
                        let (k, v) = w.split_once('=').unwrap();
                        assigns.push((k.to_string(), v.to_string()));
                    } else {
                        words.push(w);
                    }
                    self.pos += 1;
                }
                Tok::Redir(..) => self.redirs(&mut redirs)?,
                _ => break,
            }
        }
        if assigns.is_empty() && words.is_empty() && redirs.is_empty() {
            return Err(self.err());
        }
        Ok(Node::Simple { assigns, words, redirs, line })
    }
}

fn is_assignment(w: &str) -> bool {
    let Some((k, _)) = w.split_once('=') else { return false };
    !k.is_empty() && k.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

pub fn parse(src: &str) -> Result<Node, SyntaxError> {
    let (toks, bodies) = lex(src)?;
    let mut p = Parser { toks, pos: 0, bodies };
    let n = p.list(&[])?;
    if !matches!(p.peek(), Tok::Eof) {
        return Err(p.err());
    }
    Ok(n)
}

// ------------------------------------------------------------ interpreter

/// Why execution stopped early.
#[derive(Clone, Debug)]
enum Flow {
    Normal,
    Exit(i32),
    Break(u32),
    Continue(u32),
    /// The process blocks forever (`sleep infinity`, an endless loop, a
    /// server started with `exec nginx`).
    Forever(Option<(ServerState, String)>),
}

pub struct Shell {
    pub vars: BTreeMap<String, String>,
    pub exported: std::collections::BTreeSet<String>,
    pub cwd: String,
    pub status: i32,
    pub args: Vec<String>,
    /// `$0`
    pub name: String,
    /// Name in error messages (`sh`, `bash`).
    pub prog: String,
    pub userland: Userland,
    pub bash: bool,
    /// The script's own clock (main process only).
    pub clock: Millis,
    /// Output already produced, by script time (main process only).
    pub timeline: Vec<(Millis, String)>,
    flow: Flow,
    steps: u64,
    line: usize,
    main: bool,
    status_from_subst: bool,
    last_subst_status: i32,
    /// A background job that never ends (`sleep infinity &`): `wait`
    /// blocks forever.
    bg_forever: bool,
    bg_server: Option<(ServerState, String)>,
    /// What command substitutions wrote to stderr.
    subst_stderr: String,
}

/// How much work a script may do before it is treated as endless.
const STEP_BUDGET: u64 = 20_000;
/// How far ahead a main process's script is simulated.
const HORIZON: Millis = 24 * 3_600_000;
/// The memory a script's variables and output may take: a simulated
/// container's shell is killed past it, as the OOM killer ends a process
/// over its cgroup's memory limit (status 137; `kubectl exec` prints
/// "command terminated with exit code 137"). `x=$x$x` in a loop reaches it in
/// about 24 rounds instead of taking the tab's memory.
const MEMORY_LIMIT: usize = 16 << 20;
/// Status of a process the OOM killer ended (128 + SIGKILL).
const OOM_KILLED: i32 = 137;

impl Shell {
    pub fn new(ctx: &Ctx, prog: &str) -> Shell {
        let bash = prog == "bash" || ctx.img.userland == Userland::Oracle;
        let mut sh = Shell {
            vars: ctx.env.clone(),
            exported: crate::engine::sort::set_from(ctx.env.keys().cloned()),
            cwd: ctx.cwd.clone(),
            status: 0,
            args: vec![],
            name: prog.to_string(),
            prog: prog.to_string(),
            userland: ctx.img.userland,
            bash,
            clock: 0,
            timeline: vec![],
            flow: Flow::Normal,
            steps: 0,
            line: 1,
            main: ctx.main,
            status_from_subst: false,
            last_subst_status: 0,
            bg_forever: false,
            bg_server: None,
            subst_stderr: String::new(),
        };
        sh.vars.entry("PWD".into()).or_insert_with(|| ctx.cwd.clone());
        sh.vars.insert("IFS".into(), " \t\n".into());
        sh
    }

    /// The prefix of the shell's own messages.
    fn prefix(&self) -> String {
        if self.bash {
            format!("{}: line {}: ", self.prog, self.line)
        } else if self.userland == Userland::Busybox {
            format!("{}: ", self.prog)
        } else {
            format!("{}: {}: ", self.prog, self.line)
        }
    }

    fn exported_env(&self) -> BTreeMap<String, String> {
        crate::engine::sort::map_from(self.vars.iter().filter(|(k, _)| self.exported.contains(*k)).map(|(k, v)| (k.clone(), v.clone())))
    }

    /// Runs a script; returns its output and exit status.
    pub fn run_script(&mut self, ctx: &mut Ctx, src: &str, stdin: &str) -> Output {
        let node = match parse(src) {
            Ok(n) => n,
            Err(e) => {
                self.line = e.line;
                let msg = if self.bash {
                    if e.near == "end of file" {
                        format!("{}: -c: line {}: syntax error: unexpected end of file\n", self.prog, e.line)
                    } else {
                        format!("{}: -c: line {}: syntax error near unexpected token `{}'\n", self.prog, e.line, e.near)
                    }
                } else if self.userland == Userland::Busybox {
                    if e.near == "end of file" || e.near == "unterminated quoted string" {
                        format!(
                            "{}: syntax error: {}\n",
                            self.prog,
                            if e.near == "end of file" { "unexpected end of file".to_string() } else { e.near.clone() }
                        )
                    } else {
                        format!("{}: syntax error: unexpected \"{}\"\n", self.prog, e.near)
                    }
                } else if e.near == "unterminated quoted string" {
                    format!("{}: {}: Syntax error: Unterminated quoted string\n", self.prog, e.line)
                } else if e.near == "end of file" {
                    format!("{}: {}: Syntax error: end of file unexpected\n", self.prog, e.line)
                } else {
                    format!("{}: {}: Syntax error: \"{}\" unexpected\n", self.prog, e.line, e.near)
                };
                return Output::err(msg, 2);
            }
        };
        let mut out = Output::default();
        self.exec_node(ctx, &node, stdin, &mut out);
        out.code = match self.flow {
            Flow::Exit(c) => c,
            _ => self.status,
        };
        out
    }

    fn flush(&mut self, out: &mut Output) {
        if self.main {
            let text = out.text();
            if !text.is_empty() {
                self.timeline.push((self.clock, text));
            }
            out.chunks.clear();
        }
    }

    fn stopped(&self) -> bool {
        !matches!(self.flow, Flow::Normal)
    }

    fn budget(&mut self) -> bool {
        self.steps += 1;
        if self.vars.values().map(|v| v.len()).sum::<usize>() > MEMORY_LIMIT {
            self.oom_kill();
            return false;
        }
        if self.steps > STEP_BUDGET || self.clock > HORIZON {
            if !matches!(self.flow, Flow::Exit(_)) {
                self.flow = Flow::Forever(None);
            }
            return false;
        }
        true
    }

    /// Past [`MEMORY_LIMIT`]: the process is gone, with the OOM killer's status.
    fn oom_kill(&mut self) {
        self.status = OOM_KILLED;
        self.flow = Flow::Exit(OOM_KILLED);
    }

    fn exec_node(&mut self, ctx: &mut Ctx, node: &Node, stdin: &str, out: &mut Output) {
        if self.stopped() || !self.budget() {
            return;
        }
        match node {
            Node::Empty => {}
            Node::Simple { assigns, words, redirs, line } => {
                self.line = *line;
                let o = self.simple(ctx, assigns, words, redirs, stdin);
                self.status = o.code;
                out.append(o);
                out.code = self.status;
                if out.chunks.iter().map(|(_, c)| c.len()).sum::<usize>() > MEMORY_LIMIT {
                    self.oom_kill();
                    out.code = OOM_KILLED;
                }
            }
            Node::Pipeline { cmds, negate } => {
                let mut input = stdin.to_string();
                let mut last = Output::default();
                for (i, c) in cmds.iter().enumerate() {
                    let mut o = Output::default();
                    let saved_flow = self.flow.clone();
                    self.exec_node(ctx, c, &input, &mut o);
                    if i + 1 < cmds.len() {
                        // A pipeline stage runs in a subshell: its exit does
                        // not end the script.
                        if matches!(self.flow, Flow::Exit(_)) {
                            self.flow = saved_flow;
                        }
                        input = o.stdout();
                        out.eprint(o.stderr());
                    } else {
                        last = o;
                    }
                }
                let code = last.code;
                out.append(last);
                self.status = if *negate { (code == 0) as i32 } else { code };
                out.code = self.status;
            }
            Node::And(a, b) => {
                self.exec_node(ctx, a, stdin, out);
                if self.status == 0 && !self.stopped() {
                    self.exec_node(ctx, b, stdin, out);
                }
            }
            Node::Or(a, b) => {
                self.exec_node(ctx, a, stdin, out);
                if self.status != 0 && !self.stopped() {
                    self.exec_node(ctx, b, stdin, out);
                }
            }
            Node::Seq(items) => {
                for n in items {
                    self.exec_node(ctx, n, stdin, out);
                    self.flush(out);
                    if self.stopped() {
                        break;
                    }
                }
            }
            Node::Background(n) => {
                // Background jobs run to completion at once, except endless
                // ones (which keep running: their output is what they wrote
                // before blocking).
                let mut o = Output::default();
                let saved = (self.clock, self.status);
                self.exec_node(ctx, n, "", &mut o);
                if let Flow::Forever(server) = &self.flow {
                    if server.is_some() && self.main {
                        // A server in the background of PID 1's script runs on.
                        self.bg_server = server.clone();
                    }
                    self.bg_forever = true;
                    self.flow = Flow::Normal;
                }
                self.clock = saved.0;
                out.append(o);
                self.status = 0;
                out.code = 0;
            }
            Node::If { conds, else_ } => {
                for (c, b) in conds {
                    self.exec_node(ctx, c, stdin, out);
                    if self.stopped() {
                        return;
                    }
                    if self.status == 0 {
                        self.exec_node(ctx, b, stdin, out);
                        return;
                    }
                }
                if let Some(e) = else_ {
                    self.exec_node(ctx, e, stdin, out);
                } else {
                    self.status = 0;
                }
            }
            Node::Loop { cond, body, until } => {
                let mut last = 0;
                loop {
                    self.exec_node(ctx, cond, stdin, out);
                    if self.stopped() {
                        break;
                    }
                    if (self.status == 0) == *until {
                        break;
                    }
                    self.exec_node(ctx, body, stdin, out);
                    last = self.status;
                    self.flush(out);
                    match self.flow {
                        Flow::Break(n) => {
                            self.flow = if n > 1 { Flow::Break(n - 1) } else { Flow::Normal };
                            break;
                        }
                        Flow::Continue(n) => {
                            self.flow = if n > 1 { Flow::Continue(n - 1) } else { Flow::Normal };
                            if n > 1 {
                                break;
                            }
                        }
                        Flow::Normal => {}
                        _ => break,
                    }
                    if !self.main && !self.budget() {
                        break;
                    }
                }
                if !self.stopped() {
                    self.status = last;
                }
            }
            Node::For { var, items, body } => {
                let list: Vec<String> = match items {
                    Some(words) => {
                        let mut v = vec![];
                        for w in words {
                            v.extend(self.expand_word(ctx, w, true));
                        }
                        v
                    }
                    None => self.args.clone(),
                };
                self.status = 0;
                for item in list {
                    self.vars.insert(var.clone(), item);
                    self.exec_node(ctx, body, stdin, out);
                    self.flush(out);
                    match self.flow {
                        Flow::Break(n) => {
                            self.flow = if n > 1 { Flow::Break(n - 1) } else { Flow::Normal };
                            break;
                        }
                        Flow::Continue(n) => {
                            self.flow = if n > 1 { Flow::Continue(n - 1) } else { Flow::Normal };
                            if n > 1 {
                                break;
                            }
                        }
                        Flow::Normal => {}
                        _ => break,
                    }
                }
            }
            Node::Case { word, arms } => {
                let w = self.expand_word(ctx, word, false).join(" ");
                self.status = 0;
                for (pats, body) in arms {
                    let hit = pats.iter().any(|p| {
                        let pat = self.expand_pattern(ctx, p);
                        glob_match(&pat, &w)
                    });
                    if hit {
                        self.exec_node(ctx, body, stdin, out);
                        break;
                    }
                }
            }
            Node::Group { body, redirs, subshell } => {
                let saved = if *subshell { Some((self.vars.clone(), self.exported.clone(), self.cwd.clone())) } else { None };
                let mut o = Output::default();
                let input = match self.input_redirect(ctx, redirs, stdin) {
                    Ok(i) => i,
                    Err(e) => {
                        out.append(e);
                        self.status = out.code;
                        return;
                    }
                };
                self.exec_node(ctx, body, &input, &mut o);
                if *subshell {
                    if let Flow::Exit(c) = self.flow {
                        self.status = c;
                        self.flow = Flow::Normal;
                    }
                    let (v, e, c) = saved.unwrap();
                    self.vars = v;
                    self.exported = e;
                    self.cwd = c;
                }
                let code = self.status;
                let o = self.apply_output_redirects(ctx, redirs, o);
                out.append(o);
                if out.code == 0 {
                    out.code = code;
                }
                self.status = out.code;
            }
        }
    }

    /// `< file` and here-documents: the command's standard input.
    fn input_redirect(&mut self, ctx: &mut Ctx, redirs: &[Redir], stdin: &str) -> Result<String, Output> {
        let mut input = stdin.to_string();
        for r in redirs {
            match r.op.as_str() {
                "<" if r.fd == 0 => {
                    let target = self.expand_word(ctx, &r.target, false).join(" ");
                    ctx.cwd = self.cwd.clone();
                    match ctx.fs().read(&target) {
                        Ok(c) => input = c,
                        Err(e) => {
                            let msg = match (self.bash, self.userland) {
                                (true, _) => format!("{}{target}: {}\n", self.prefix(), e.text()),
                                (false, Userland::Busybox) => format!("{}can't open '{target}': {}\n", self.prefix(), e.text()),
                                _ => format!("{}cannot open {target}: {}\n", self.prefix(), if e == FsError::NotFound { "No such file" } else { e.text() }),
                            };
                            return Err(Output::err(msg, if self.bash || self.userland == Userland::Busybox { 1 } else { 2 }));
                        }
                    }
                }
                "<<" | "<<-" => {
                    let body = r.body.clone().unwrap_or_default();
                    input = match body.strip_prefix('\0') {
                        Some(raw) => raw.to_string(),
                        None => self.expand_heredoc(ctx, &body),
                    };
                }
                "<<<" => {
                    input = format!("{}\n", self.expand_word(ctx, &r.target, false).join(" "));
                }
                _ => {}
            }
        }
        Ok(input)
    }

    /// `>`, `>>`, `2>`, `2>&1`, `&>`: where the command's output goes.
    fn apply_output_redirects(&mut self, ctx: &mut Ctx, redirs: &[Redir], o: Output) -> Output {
        if redirs.iter().all(|r| r.op.starts_with('<')) {
            return o;
        }
        // Where fd 1 and fd 2 point: None = the terminal (our output).
        #[derive(Clone, PartialEq)]
        enum Dest {
            Tty(bool),
            File(String, bool),
            Null,
        }
        let mut d1 = Dest::Tty(false);
        let mut d2 = Dest::Tty(true);
        let mut files: Vec<(String, bool)> = vec![];
        for r in redirs {
            let target = || r.target.clone();
            match r.op.as_str() {
                ">" | ">|" | ">>" | "&>" => {
                    let t = self.expand_word(ctx, &target(), false).join(" ");
                    let append = r.op == ">>";
                    let dest = if t == "/dev/null" {
                        Dest::Null
                    } else if t == "/dev/stdout" {
                        Dest::Tty(false)
                    } else if t == "/dev/stderr" {
                        Dest::Tty(true)
                    } else {
                        // Create or truncate it now, as the shell does.
                        ctx.cwd = self.cwd.clone();
                        let mut fs = ctx.fs();
                        let res = if append { fs.append(&t, "") } else { fs.write(&t, "") };
                        if let Err(e) = res {
                            let msg = match (self.bash, self.userland) {
                                (true, _) => format!("{}{t}: {}\n", self.prefix(), e.text()),
                                (false, Userland::Busybox) => {
                                    let why = if e == FsError::NotFound { "nonexistent directory" } else { e.text() };
                                    format!("{}can't create {t}: {why}\n", self.prefix())
                                }
                                _ => {
                                    let why = if e == FsError::NotFound { "Directory nonexistent" } else { e.text() };
                                    format!("{}cannot create {t}: {why}\n", self.prefix())
                                }
                            };
                            let mut err = Output::err(msg, if self.bash || self.userland == Userland::Busybox { 1 } else { 2 });
                            if !self.bash && self.userland != Userland::Busybox {
                                err.code = 2;
                            }
                            return err;
                        }
                        files.push((t.clone(), append));
                        Dest::File(t, append)
                    };
                    if r.op == "&>" {
                        d1 = dest.clone();
                        d2 = dest;
                    } else if r.fd == 2 {
                        d2 = dest;
                    } else {
                        d1 = dest;
                    }
                }
                ">&" => {
                    let t = self.expand_word(ctx, &target(), false).join(" ");
                    match (r.fd, t.as_str()) {
                        (2, "1") => d2 = d1.clone(),
                        (1, "2") => d1 = d2.clone(),
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        let mut result = Output { chunks: vec![], code: o.code };
        let mut pending: BTreeMap<String, String> = BTreeMap::new();
        for (is_err, text) in o.chunks {
            let dest = if is_err { &d2 } else { &d1 };
            match dest {
                Dest::Tty(false) => result.print(text),
                Dest::Tty(true) => result.eprint(text),
                Dest::Null => {}
                Dest::File(f, _) => pending.entry(f.clone()).or_default().push_str(&text),
            }
        }
        ctx.cwd = self.cwd.clone();
        for (f, text) in pending {
            let _ = ctx.fs().append(&f, &text);
        }
        result
    }

    fn simple(&mut self, ctx: &mut Ctx, assigns: &[(String, String)], words: &[String], redirs: &[Redir], stdin: &str) -> Output {
        self.status_from_subst = false;
        let mut argv = vec![];
        for w in words {
            argv.extend(self.expand_word(ctx, w, true));
        }
        let mut values = vec![];
        for (k, v) in assigns {
            let val = self.expand_word(ctx, v, false).join(" ");
            values.push((k.clone(), val));
        }
        if argv.is_empty() {
            for (k, v) in values {
                self.vars.insert(k, v);
            }
            // Redirections alone still create files.
            let o = self.apply_output_redirects(ctx, redirs, Output::ok());
            return o.with_code(if self.status_from_subst { self.last_subst_status } else { 0 });
        }
        let input = match self.input_redirect(ctx, redirs, stdin) {
            Ok(i) => i,
            Err(e) => return e,
        };
        let o = self.run_command(ctx, &argv, &values, &input);
        self.apply_output_redirects(ctx, redirs, o)
    }

    fn run_command(&mut self, ctx: &mut Ctx, argv: &[String], assigns: &[(String, String)], stdin: &str) -> Output {
        let name = argv[0].as_str();
        match name {
            "cd" => {
                let target = argv.get(1).cloned().unwrap_or_else(|| self.vars.get("HOME").cloned().unwrap_or("/".into()));
                let target = if target == "-" { self.vars.get("OLDPWD").cloned().unwrap_or(self.cwd.clone()) } else { target };
                let path = clean(&target, &self.cwd);
                ctx.cwd = self.cwd.clone();
                let fs = ctx.fs();
                if fs.is_dir(&path) {
                    self.vars.insert("OLDPWD".into(), self.cwd.clone());
                    self.cwd = path.clone();
                    self.vars.insert("PWD".into(), path);
                    Output::ok()
                } else {
                    let why = if fs.exists(&path) { "Not a directory" } else { "No such file or directory" };
                    let msg = if self.bash {
                        format!("{}cd: {target}: {why}\n", self.prefix())
                    } else if self.userland == Userland::Busybox {
                        format!("{}cd: can't cd to {target}: {why}\n", self.prefix())
                    } else {
                        format!("{}cd: can't cd to {target}\n", self.prefix())
                    };
                    Output::err(msg, if self.bash || self.userland == Userland::Busybox { 1 } else { 2 })
                }
            }
            "export" | "readonly" => {
                for a in &argv[1..] {
                    if let Some((k, v)) = a.split_once('=') {
                        self.vars.insert(k.to_string(), v.to_string());
                        self.exported.insert(k.to_string());
                    } else if a != "-p" {
                        self.exported.insert(a.clone());
                    }
                }
                if argv.len() == 1 || argv.get(1).is_some_and(|a| a == "-p") {
                    let mut o = Output::default();
                    for (k, v) in self.exported_env() {
                        o.print(format!("export {k}='{v}'\n"));
                    }
                    return o;
                }
                Output::ok()
            }
            "unset" => {
                for a in &argv[1..] {
                    self.vars.remove(a);
                    self.exported.remove(a);
                }
                Output::ok()
            }
            "set" => {
                if argv.len() > 1 && argv[1] == "--" {
                    self.args = argv[2..].to_vec();
                } else if argv.len() == 1 {
                    let mut o = Output::default();
                    for (k, v) in &self.vars {
                        o.print(format!("{k}='{v}'\n"));
                    }
                    return o;
                }
                Output::ok()
            }
            "shift" => {
                let n: usize = argv.get(1).and_then(|a| a.parse().ok()).unwrap_or(1);
                if n <= self.args.len() {
                    self.args.drain(..n);
                }
                Output::ok()
            }
            "exit" => {
                let code = argv.get(1).and_then(|a| a.parse::<i32>().ok()).map(|c| c & 0xff).unwrap_or(self.status);
                self.flow = Flow::Exit(code);
                Output::ok().with_code(code)
            }
            "break" | "continue" => {
                let n: u32 = argv.get(1).and_then(|a| a.parse().ok()).unwrap_or(1);
                self.flow = if name == "break" { Flow::Break(n) } else { Flow::Continue(n) };
                Output::ok()
            }
            ":" => Output::ok(),
            "return" => {
                let code = argv.get(1).and_then(|a| a.parse::<i32>().ok()).unwrap_or(self.status);
                self.flow = Flow::Exit(code);
                Output::ok().with_code(code)
            }
            "wait" => {
                if self.bg_forever && self.main {
                    self.flow = Flow::Forever(self.bg_server.take());
                }
                Output::ok()
            }
            "trap" | "umask" | "ulimit" | "alias" | "hash" => Output::ok(),
            "echo" => utils::echo(&argv[1..], !self.bash && self.userland == Userland::Debian),
            "read" => {
                let line = stdin.lines().next();
                match line {
                    Some(l) => {
                        let names: Vec<&String> = argv[1..].iter().filter(|a| !a.starts_with('-')).collect();
                        let fields: Vec<&str> = l.split_whitespace().collect();
                        for (i, n) in names.iter().enumerate() {
                            let v = if i + 1 == names.len() {
                                fields.get(i..).map(|f| f.join(" ")).unwrap_or_default()
                            } else {
                                fields.get(i).unwrap_or(&"").to_string()
                            };
                            self.vars.insert(n.to_string(), v);
                        }
                        Output::ok()
                    }
                    None => Output::ok().with_code(1),
                }
            }
            "eval" => {
                let src = argv[1..].join(" ");
                let mut o = Output::default();
                let node = match parse(&src) {
                    Ok(n) => n,
                    Err(_) => return Output::err(format!("{}eval: syntax error\n", self.prefix()), 2),
                };
                self.exec_node(ctx, &node, stdin, &mut o);
                o.code = self.status;
                o
            }
            "exec" => {
                if argv.len() == 1 {
                    return Output::ok();
                }
                let o = self.run_command(ctx, &argv[1..], assigns, stdin);
                if !self.stopped() {
                    self.flow = Flow::Exit(o.code);
                }
                o
            }
            "." | "source" => {
                let Some(f) = argv.get(1) else { return Output::ok() };
                ctx.cwd = self.cwd.clone();
                match ctx.fs().read(f) {
                    Ok(src) => {
                        let mut o = Output::default();
                        if let Ok(node) = parse(&src) {
                            self.exec_node(ctx, &node, stdin, &mut o);
                        }
                        o.code = self.status;
                        o
                    }
                    Err(_) => Output::err(format!("{}.: cannot open {f}: No such file\n", self.prefix()), 2),
                }
            }
            "sleep" if self.main => {
                let secs = argv.get(1).map(|s| s.as_str()).unwrap_or("");
                match utils::parse_sleep(secs) {
                    Some(None) => {
                        self.flow = Flow::Forever(None);
                        Output::ok()
                    }
                    Some(Some(ms)) => {
                        self.clock += ms;
                        Output::ok()
                    }
                    None => utils::run(ctx, argv, stdin),
                }
            }
            "tail" if self.main && argv.iter().any(|a| a == "-f" || a == "-F") => {
                self.flow = Flow::Forever(None);
                Output::ok()
            }
            _ => {
                // An external program (or a utility builtin).
                let base = name.rsplit('/').next().unwrap_or(name);
                let known = super::image::has_program(&ctx.img, base) || matches!(base, "echo" | "printf" | "test" | "[" | "true" | "false" | "pwd" | "kill");
                if !known {
                    if name.contains('/') {
                        let msg = if self.bash {
                            format!("{}{name}: No such file or directory\n", self.prefix())
                        } else {
                            format!("{}{name}: not found\n", self.prefix())
                        };
                        return Output::err(msg, 127);
                    }
                    let msg = if self.bash { format!("{}{name}: command not found\n", self.prefix()) } else { format!("{}{name}: not found\n", self.prefix()) };
                    return Output::err(msg, 127);
                }
                let saved_env = std::mem::replace(&mut ctx.env, self.exported_env());
                for (k, v) in assigns {
                    ctx.env.insert(k.clone(), v.clone());
                }
                ctx.cwd = self.cwd.clone();
                let o = if self.main && is_server(ctx, base) {
                    // A server started from a script: it runs from now on.
                    let main = super::run_main(ctx, argv);
                    match main {
                        Main::Running { log, server } => {
                            self.flow = Flow::Forever(Some((server, log)));
                            Output::ok()
                        }
                        Main::Exited { code, log } => {
                            let mut o = Output::out(log);
                            o.code = code;
                            o
                        }
                        Main::ExitsLater { log, after, code, exit_log } => {
                            let mut o = Output::out(log);
                            self.flush(&mut o);
                            self.clock += after;
                            o.print(exit_log);
                            o.code = code;
                            o
                        }
                    }
                } else if base == "sh" || base == "bash" || base == "ash" || base == "dash" {
                    let mut sub_ctx_main = ctx.main;
                    std::mem::swap(&mut sub_ctx_main, &mut ctx.main);
                    let o = run_shell_argv(ctx, argv, stdin, Some(self));
                    std::mem::swap(&mut sub_ctx_main, &mut ctx.main);
                    o
                } else {
                    utils::run(ctx, argv, stdin)
                };
                ctx.env = saved_env;
                o
            }
        }
    }
}

fn is_server(ctx: &Ctx, base: &str) -> bool {
    use super::image::Server;
    matches!(
        (ctx.img.server, base),
        (Server::Postgres, "postgres")
            | (Server::Postgres, "docker-entrypoint.sh")
            | (Server::Nginx, "nginx")
            | (Server::Nginx, "docker-entrypoint.sh")
            | (Server::Httpd, "httpd-foreground")
            | (Server::Httpd, "httpd")
            | (Server::Redis, "redis-server")
            | (Server::Redis, "docker-entrypoint.sh")
            | (Server::Mysql, "mysqld")
            | (Server::Mysql, "docker-entrypoint.sh")
    )
}

// -------------------------------------------------------------- expansion

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

    fn expand_pattern(&mut self, ctx: &mut Ctx, raw: &str) -> String {
        self.expand_pieces(ctx, raw, false).iter().map(|p| p.text.as_str()).collect()
    }

    fn expand_heredoc(&mut self, ctx: &mut Ctx, body: &str) -> String {
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
    let out = if matches!(base.as_str(), "sh" | "bash" | "ash" | "dash") {
        let script_given = argv.len() > 1;
        if !script_given {
            // No script and no stdin attached: the shell reads EOF and exits.
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
    let e = ctx.cx.rt.later_logs.entry(key).or_default();
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
