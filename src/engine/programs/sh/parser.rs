//! The shell's parser: tokens into a command tree ([`Node`]).

use super::lexer::{Lexed, Tok, lex};
use super::*;
use crate::engine::sort::VecMap;

#[derive(Clone, Debug)]
pub struct Redir {
    pub(super) fd: u32,
    pub(super) op: String,
    pub(super) target: String,
    /// Here-document body (`\0` prefix: no expansion).
    pub(super) body: Option<String>,
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
    bodies: VecMap<usize, String>,
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
