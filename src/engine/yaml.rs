//! YAML in and out, the way kubectl sees it.
//!
//! Input: saphyr-parser's event stream is built into a tree of [`Node`]s that
//! remember their line and column. Plain scalars are resolved with the YAML 1.1
//! rules of go-yaml v2 (which sigs.k8s.io/yaml uses under kubectl), so `yes`
//! is a bool and `0755` an octal int, exactly as on a real cluster.
//!
//! Output: [`to_yaml`] prints a JSON value as `kubectl get -o yaml` does
//! (go-yaml v2: its key order, quoting rules, block sequences at the parent's
//! indentation, literal blocks for multi-line strings).

use crate::engine::sort::VecMap;
use saphyr_parser::{Event, Parser, ScalarStyle};
use serde_json::{Map, Number, Value};
use std::collections::BTreeMap;

/// A position in the source text: 1-based line and column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Entries in source order: key, key position, value.
    Map(Vec<(String, Pos, Node)>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub v: Val,
    pub pos: Pos,
}

impl Node {
    pub fn new(v: Val, pos: Pos) -> Node {
        Node { v, pos }
    }
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.v {
            Val::Map(m) => m.iter().find(|(k, _, _)| k == key).map(|(_, _, v)| v),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match &self.v {
            Val::Str(s) => Some(s),
            _ => None,
        }
    }
    /// The JSON kind name Go's decoder uses in type errors.
    pub fn json_kind(&self) -> &'static str {
        match self.v {
            Val::Null => "null",
            Val::Bool(_) => "bool",
            Val::Int(_) | Val::Float(_) => "number",
            Val::Str(_) => "string",
            Val::Seq(_) => "array",
            Val::Map(_) => "object",
        }
    }

    pub fn to_json(&self) -> Value {
        match &self.v {
            Val::Null => Value::Null,
            Val::Bool(b) => Value::Bool(*b),
            Val::Int(i) => Value::Number((*i).into()),
            Val::Float(f) => Number::from_f64(*f).map(Value::Number).unwrap_or(Value::Null),
            Val::Str(s) => Value::String(s.clone()),
            Val::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            Val::Map(entries) => {
                let mut m = Map::new();
                for (k, _, v) in entries {
                    m.insert(k.clone(), v.to_json());
                }
                Value::Object(m)
            }
        }
    }

    /// What JSON cannot hold: go-yaml reads `.inf`, `-.inf` and `.nan` as
    /// floats, and sigs.k8s.io/yaml's conversion to JSON then fails with
    /// encoding/json's `json: unsupported value: +Inf` (kubectl's error for
    /// `replicas: .inf`). The first such value, as Go prints it.
    pub fn unsupported_value(&self) -> Option<&'static str> {
        let mut todo = vec![self];
        while let Some(n) = todo.pop() {
            match &n.v {
                Val::Float(f) if f.is_nan() => return Some("NaN"),
                Val::Float(f) if f.is_infinite() => return Some(if *f > 0.0 { "+Inf" } else { "-Inf" }),
                Val::Seq(items) => todo.extend(items.iter().rev()),
                Val::Map(entries) => todo.extend(entries.iter().rev().map(|(_, _, v)| v)),
                _ => {}
            }
        }
        None
    }

    /// A tree without positions, from JSON (patches, objects built in code).
    pub fn from_json(v: &Value) -> Node {
        let p = Pos::default();
        let v = match v {
            Value::Null => Val::Null,
            Value::Bool(b) => Val::Bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => Val::Int(i),
                None => Val::Float(n.as_f64().unwrap_or(0.0)),
            },
            Value::String(s) => Val::Str(s.clone()),
            Value::Array(a) => Val::Seq(a.iter().map(Node::from_json).collect()),
            Value::Object(o) => Val::Map(o.iter().map(|(k, v)| (k.clone(), p, Node::from_json(v))).collect()),
        };
        Node { v, pos: p }
    }
}

/// One document of a multi-document stream.
#[derive(Clone, Debug)]
pub struct Doc {
    pub node: Node,
    /// The first line of the document's text: go-yaml numbers lines from here.
    pub first_line: u32,
    /// The document's source text (for error snippets).
    pub index: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct YamlError {
    /// The message as go-yaml words it.
    pub message: String,
    /// Where in the whole text.
    pub pos: Pos,
    /// The line number go-yaml reports (relative to the document).
    pub doc_line: u32,
}

impl YamlError {
    /// `yaml: line 5: mapping values are not allowed in this context`
    pub fn go_text(&self) -> String {
        format!("yaml: line {}: {}", self.doc_line, self.message)
    }
}

/// The most nodes one document may hold. A document is one API request, and
/// the API server reads at most 3 MiB of it: even the densest JSON (`{"a":1,`
/// ...) fits fewer nodes than this in that, so nothing an API server would
/// accept is refused, and a paste of megabytes of tiny nodes stops early.
/// Each document of a stream has its own budget (25,000 small documents in
/// one file are fine).
pub const MAX_NODES: usize = 1_000_000;

/// The most bytes of scalars (keys and values) a document may expand to
/// through aliases: the API server's 3 MiB request limit. Aliases cost what
/// they expand to, not one node each (a 100 KB string aliased 2,000 times is
/// 200 MB), so a small document cannot make a huge one. go-yaml's own
/// guard (an alias-to-node ratio) words it "document contains excessive
/// aliasing", and so does this one.
pub const MAX_EXPANDED_BYTES: usize = 3 << 20;

/// The deepest nesting of sequences and mappings. go-yaml stops at 10,000
/// ("exceeded max depth of 10000"), which the recursive walks over a tree
/// (decoding, printing, dropping) cannot afford in a browser tab's 1 MB
/// stack (2,000 levels exhausted it). No manifest of the supported kinds
/// comes near: a Pod's deepest field is about a dozen levels down.
pub const MAX_DEPTH: usize = 100;

/// Parses a YAML (or JSON) stream into documents. Empty documents are skipped,
/// as kubectl skips them.
pub fn parse_stream(src: &str) -> Result<Vec<Doc>, YamlError> {
    let mut b = Builder { anchors: VecMap::default(), stack: vec![], docs: vec![], nodes: 0, bytes: 0, doc_first_line: 1, doc_index: 0 };
    let parser = Parser::new_from_str(src);
    for ev in parser {
        let (ev, span) = match ev {
            Ok(x) => x,
            Err(e) => {
                let pos = Pos { line: e.marker().line() as u32, col: e.marker().col() as u32 + 1 };
                return Err(YamlError { message: go_message(e.info()), pos, doc_line: pos.line.saturating_sub(b.doc_first_line) + 1 });
            }
        };
        let pos = Pos { line: span.start.line() as u32, col: span.start.col() as u32 + 1 };
        b.event(ev, pos)?;
    }
    Ok(b.docs)
}

/// saphyr words a few errors differently from libyaml/go-yaml.
fn go_message(info: &str) -> String {
    let m = info.strip_prefix("while parsing a flow sequence, ").unwrap_or(info);
    let m = m.strip_prefix("while parsing a flow mapping, ").unwrap_or(m);
    let m = m.strip_prefix("while parsing a block mapping, ").unwrap_or(m);
    let m = m.strip_prefix("while parsing a block collection, ").unwrap_or(m);
    if m == "recursion limit exceeded" {
        return format!("exceeded max depth of {MAX_DEPTH}");
    }
    if let Some(rest) = m.strip_prefix("expected ") {
        return format!("did not find expected {rest}");
    }
    m.to_string()
}

enum Frame {
    Seq {
        anchor: usize,
        items: Vec<Node>,
        pos: Pos,
    },
    Map {
        anchor: usize,
        /// Entries in source order; a duplicate key's earlier entry is left
        /// as None (the last one wins, as with go-yaml v2 into JSON) and
        /// dropped when the mapping ends.
        entries: Vec<Option<(String, Pos, Node)>>,
        /// Where each key's live entry is: one lookup per key, not a scan of
        /// the earlier ones (64,000 keys took 9.8 s that way). A `BTreeMap`
        /// of a layout the wasm has already, not the crate's only `HashMap`.
        index: BTreeMap<String, usize>,
        pending_key: Option<(String, Pos)>,
        pos: Pos,
    },
}

/// An anchored node and what it costs to copy (its nodes and scalar bytes).
struct Anchor {
    node: Node,
    nodes: usize,
    bytes: usize,
}

struct Builder {
    /// A sorted `Vec` (anchor ids only grow), not a `BTreeMap` of a value
    /// layout of its own.
    anchors: VecMap<usize, Anchor>,
    stack: Vec<Frame>,
    docs: Vec<Doc>,
    /// Nodes and scalar bytes of the current document (aliases count what
    /// they expand to).
    nodes: usize,
    bytes: usize,
    doc_first_line: u32,
    doc_index: usize,
}

/// The nodes and scalar bytes (keys included) of a tree, without recursion.
fn cost(n: &Node) -> (usize, usize) {
    let (mut nodes, mut bytes) = (0usize, 0usize);
    let mut todo = vec![n];
    while let Some(n) = todo.pop() {
        nodes += 1;
        match &n.v {
            Val::Seq(s) => todo.extend(s.iter()),
            Val::Map(m) => {
                for (k, _, v) in m {
                    bytes += k.len();
                    todo.push(v);
                }
            }
            Val::Str(s) => bytes += s.len(),
            _ => bytes += 8,
        }
    }
    (nodes, bytes)
}

impl Builder {
    fn err(&self, message: &str, pos: Pos) -> YamlError {
        YamlError { message: message.to_string(), pos, doc_line: pos.line.saturating_sub(self.doc_first_line) + 1 }
    }

    fn event(&mut self, ev: Event, pos: Pos) -> Result<(), YamlError> {
        match ev {
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
            Event::DocumentStart(explicit) => {
                self.doc_first_line = if explicit { pos.line + 1 } else { pos.line };
                self.anchors = VecMap::default();
                self.nodes = 0;
                self.bytes = 0;
            }
            Event::DocumentEnd => {}
            Event::Scalar(text, style, anchor, tag) => {
                let v = resolve(&text, style, tag.as_ref().map(|t| (t.handle.as_str(), t.suffix.as_str())));
                let v = match v {
                    Ok(v) => v,
                    Err(m) => return Err(self.err(&m, pos)),
                };
                self.bytes += if let Val::Str(s) = &v { s.len() } else { 8 };
                self.value(Node::new(v, pos), anchor, true)?;
            }
            Event::Alias(id) => {
                let Some(a) = self.anchors.get(&id) else {
                    return Err(self.err("unknown anchor referenced", pos));
                };
                // The copy costs what it expands to (less the one node
                // `value` counts).
                self.nodes += a.nodes - 1;
                self.bytes += a.bytes;
                if self.nodes > MAX_NODES || self.bytes > MAX_EXPANDED_BYTES {
                    return Err(self.err("document contains excessive aliasing", pos));
                }
                let n = a.node.clone();
                self.value(Node { v: n.v, pos }, 0, false)?;
            }
            Event::SequenceStart(anchor, _) => {
                self.deeper(pos)?;
                self.stack.push(Frame::Seq { anchor, items: vec![], pos })
            }
            Event::MappingStart(anchor, _) => {
                self.deeper(pos)?;
                self.stack.push(Frame::Map { anchor, entries: vec![], index: Default::default(), pending_key: None, pos })
            }
            Event::SequenceEnd => {
                if let Some(Frame::Seq { anchor, items, pos }) = self.stack.pop() {
                    self.value(Node::new(Val::Seq(items), pos), anchor, false)?;
                }
            }
            Event::MappingEnd => {
                if let Some(Frame::Map { anchor, entries, pos, .. }) = self.stack.pop() {
                    let entries: Vec<(String, Pos, Node)> = entries.into_iter().flatten().collect();
                    self.value(Node::new(Val::Map(entries), pos), anchor, false)?;
                }
            }
        }
        Ok(())
    }

    /// One more level of nesting, within [`MAX_DEPTH`] (go-yaml's text).
    fn deeper(&self, pos: Pos) -> Result<(), YamlError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(self.err(&format!("exceeded max depth of {MAX_DEPTH}"), pos));
        }
        Ok(())
    }

    fn value(&mut self, node: Node, anchor: usize, scalar: bool) -> Result<(), YamlError> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(self.err("document is too large", node.pos));
        }
        if anchor != 0 {
            let (nodes, bytes) = cost(&node);
            self.anchors.insert(anchor, Anchor { node: node.clone(), nodes, bytes });
        }
        match self.stack.last_mut() {
            None => {
                // A document root. Empty documents (a lone null) are skipped.
                if node.v != Val::Null {
                    self.docs.push(Doc { node, first_line: self.doc_first_line, index: self.doc_index });
                }
                self.doc_index += 1;
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, index, pending_key, .. }) => match pending_key.take() {
                None => {
                    let key = match &node.v {
                        Val::Str(s) => s.clone(),
                        Val::Int(i) => i.to_string(),
                        Val::Bool(b) => b.to_string(),
                        Val::Float(f) => f.to_string(),
                        Val::Null => "null".to_string(),
                        _ if !scalar => {
                            return Err(YamlError {
                                message: "invalid map key: a mapping or sequence cannot be a key".into(),
                                pos: node.pos,
                                doc_line: node.pos.line.saturating_sub(self.doc_first_line) + 1,
                            });
                        }
                        _ => String::new(),
                    };
                    *pending_key = Some((key, node.pos));
                }
                Some((k, kpos)) => {
                    // Duplicate keys: the last one wins, as with go-yaml v2 into JSON.
                    if let Some(old) = index.insert(k.clone(), entries.len()) {
                        entries[old] = None;
                    }
                    entries.push(Some((k, kpos, node)));
                }
            },
        }
        Ok(())
    }
}

/// go-yaml v2's resolution of a scalar to null/bool/int/float/string.
fn resolve(text: &str, style: ScalarStyle, tag: Option<(&str, &str)>) -> Result<Val, String> {
    if let Some((handle, suffix)) = tag {
        if handle == "!!" || handle == "tag:yaml.org,2002:" {
            return match suffix {
                "str" => Ok(Val::Str(text.to_string())),
                "int" => {
                    resolve_plain(text).and_then(|v| matches!(v, Val::Int(_)).then_some(v)).ok_or_else(|| format!("cannot decode !!str `{text}` as a !!int"))
                }
                "float" => match resolve_plain(text) {
                    Some(Val::Int(i)) => Ok(Val::Float(i as f64)),
                    Some(v @ Val::Float(_)) => Ok(v),
                    _ => Err(format!("cannot decode !!str `{text}` as a !!float")),
                },
                "bool" => {
                    resolve_plain(text).and_then(|v| matches!(v, Val::Bool(_)).then_some(v)).ok_or_else(|| format!("cannot decode !!str `{text}` as a !!bool"))
                }
                "null" => Ok(Val::Null),
                _ => Ok(Val::Str(text.to_string())),
            };
        }
        return Ok(Val::Str(text.to_string()));
    }
    if style != ScalarStyle::Plain {
        return Ok(Val::Str(text.to_string()));
    }
    Ok(resolve_plain(text).unwrap_or_else(|| Val::Str(text.to_string())))
}

/// Returns None when the plain scalar is a string.
fn resolve_plain(s: &str) -> Option<Val> {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Some(Val::Null),
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => return Some(Val::Bool(true)),
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => return Some(Val::Bool(false)),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Some(Val::Float(f64::INFINITY)),
        "-.inf" | "-.Inf" | "-.INF" => return Some(Val::Float(f64::NEG_INFINITY)),
        ".nan" | ".NaN" | ".NAN" => return Some(Val::Float(f64::NAN)),
        _ => {}
    }
    let first = s.as_bytes()[0];
    if !(first.is_ascii_digit() || first == b'-' || first == b'+' || first == b'.') {
        return None;
    }
    let plain: String = s.chars().filter(|c| *c != '_').collect();
    let (neg, body) = match plain.as_bytes().first() {
        Some(b'-') => (true, &plain[1..]),
        Some(b'+') => (false, &plain[1..]),
        _ => (false, &plain[..]),
    };
    let int = if let Some(b) = body.strip_prefix("0b") {
        i64::from_str_radix(b, 2).ok()
    } else if let Some(h) = body.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()
    } else if body.len() > 1 && body.starts_with('0') && body.bytes().all(|c| c.is_ascii_digit()) {
        i64::from_str_radix(&body[1..], 8).ok()
    } else if !body.is_empty() && body.bytes().all(|c| c.is_ascii_digit()) {
        body.parse::<i64>().ok()
    } else {
        None
    };
    if let Some(i) = int {
        return Some(Val::Int(if neg { -i } else { i }));
    }
    // [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
    let bytes = body.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let st = *i;
        while *i < bytes.len() && bytes[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - st
    };
    let int_digits = digits(&mut i);
    let mut frac_digits = 0;
    let mut has_dot = false;
    if i < bytes.len() && bytes[i] == b'.' {
        has_dot = true;
        i += 1;
        frac_digits = digits(&mut i);
    }
    if int_digits == 0 && frac_digits == 0 {
        return None;
    }
    if int_digits == 0 && !has_dot {
        return None;
    }
    if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
        i += 1;
        if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return None;
        }
    }
    if i != bytes.len() {
        return None;
    }
    // go-yaml keeps a float that overflows (`1e400`: ParseFloat's range
    // error) as a string; only `.inf` spells an infinity.
    plain.parse::<f64>().ok().filter(|f| f.is_finite()).map(Val::Float)
}

// ------------------------------------------------------------------ output

/// Prints a value as `kubectl get -o yaml` does.
pub fn to_yaml(v: &Value) -> String {
    let mut out = String::new();
    match v {
        Value::Object(m) if !m.is_empty() => emit_map(&mut out, m, 0),
        Value::Array(a) if !a.is_empty() => emit_seq(&mut out, a, 0),
        _ => {
            out.push_str(&scalar(v, 0));
            out.push('\n');
        }
    }
    out
}

/// go-yaml v2's key order: a natural sort where digit runs compare by value
/// and non-letters sort before letters.
pub fn yaml_key_less(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering::*;
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    let mut i = 0;
    while i < ar.len() && i < br.len() {
        if ar[i] == br[i] {
            i += 1;
            continue;
        }
        let al = ar[i].is_alphabetic();
        let bl = br[i].is_alphabetic();
        if al && bl {
            return ar[i].cmp(&br[i]);
        }
        if al || bl {
            return if bl { Less } else { Greater };
        }
        let (mut an, mut bn): (i64, i64) = (0, 0);
        if ar[i] == '0' || br[i] == '0' {
            let mut j = i;
            while j > 0 && ar[j - 1].is_ascii_digit() {
                j -= 1;
                if ar[j] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && ar[ai].is_ascii_digit() {
            an = an.saturating_mul(10).saturating_add(ar[ai] as i64 - '0' as i64);
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && br[bi].is_ascii_digit() {
            bn = bn.saturating_mul(10).saturating_add(br[bi] as i64 - '0' as i64);
            bi += 1;
        }
        if an != bn {
            return an.cmp(&bn);
        }
        if ai != bi {
            return ai.cmp(&bi);
        }
        return ar[i].cmp(&br[i]);
    }
    ar.len().cmp(&br.len())
}

fn indent(out: &mut String, n: usize) {
    for _ in 0..n {
        out.push(' ');
    }
}

fn emit_map(out: &mut String, m: &Map<String, Value>, ind: usize) {
    let mut keys: Vec<&String> = m.keys().collect();
    crate::engine::sort::sort_by(&mut keys, |a, b| yaml_key_less(a, b));
    for (i, k) in keys.iter().enumerate() {
        if i > 0 {
            indent(out, ind);
        }
        let v = &m[*k];
        out.push_str(&scalar_str(k, ind));
        out.push(':');
        emit_value_after_key(out, v, ind);
    }
}

fn emit_value_after_key(out: &mut String, v: &Value, ind: usize) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            indent(out, ind + 2);
            emit_map(out, m, ind + 2);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            indent(out, ind);
            emit_seq(out, a, ind);
        }
        Value::String(s) if s.contains('\n') => {
            out.push(' ');
            emit_literal(out, s, ind + 2);
        }
        _ => {
            out.push(' ');
            out.push_str(&scalar(v, ind + 2));
            out.push('\n');
        }
    }
}

fn emit_seq(out: &mut String, a: &[Value], ind: usize) {
    for (i, v) in a.iter().enumerate() {
        if i > 0 {
            indent(out, ind);
        }
        out.push_str("- ");
        match v {
            Value::Object(m) if !m.is_empty() => emit_map(out, m, ind + 2),
            Value::Array(inner) if !inner.is_empty() => emit_seq(out, inner, ind + 2),
            Value::String(s) if s.contains('\n') => emit_literal(out, s, ind + 2),
            _ => {
                out.push_str(&scalar(v, ind + 2));
                out.push('\n');
            }
        }
    }
}

fn emit_literal(out: &mut String, s: &str, ind: usize) {
    let chomp = if s.ends_with('\n') { if s.ends_with("\n\n") { "+" } else { "" } } else { "-" };
    let lead = if s.starts_with(' ') { "2" } else { "" };
    out.push('|');
    out.push_str(lead);
    out.push_str(chomp);
    out.push('\n');
    let body = s.strip_suffix('\n').unwrap_or(s);
    for line in body.split('\n') {
        if !line.is_empty() {
            indent(out, ind);
            out.push_str(line);
        }
        out.push('\n');
    }
}

fn scalar(v: &Value, ind: usize) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.to_string()
            } else if let Some(u) = n.as_u64() {
                u.to_string()
            } else {
                format_float(n.as_f64().unwrap_or(0.0))
            }
        }
        Value::String(s) => scalar_str(s, ind),
        Value::Object(_) => "{}".into(),
        Value::Array(_) => "[]".into(),
    }
}

/// Go's strconv.FormatFloat(f, 'g', -1, 64) as go-yaml prints floats.
fn format_float(f: f64) -> String {
    if f.is_infinite() {
        return if f > 0.0 { ".inf".into() } else { "-.inf".into() };
    }
    if f.is_nan() {
        return ".nan".into();
    }
    let s = format!("{f}");
    let exp = if f == 0.0 { 0 } else { f.abs().log10().floor() as i32 };
    if !(-4..21).contains(&exp) {
        let e = format!("{f:e}");
        let (m, x) = e.split_once('e').unwrap_or((&e, "0"));
        let x: i32 = x.parse().unwrap_or(0);
        return format!("{m}e{}{:02}", if x < 0 { '-' } else { '+' }, x.abs());
    }
    s
}

/// Quotes a string the way go-yaml v2 would.
fn scalar_str(s: &str, ind: usize) -> String {
    if needs_double_quotes(s) {
        return double_quote(s);
    }
    if !plain_allowed(s) {
        return wrap(&format!("'{}'", s.replace('\'', "''")), ind);
    }
    wrap(s, ind)
}

fn needs_double_quotes(s: &str) -> bool {
    // go-yaml picks double quotes when the plain form would resolve to
    // another type, and libyaml when there are unprintable characters.
    resolve_plain_for_emit(s) || s.chars().any(|c| (c.is_control() && c != '\n') || c == '\u{FEFF}')
}

fn resolve_plain_for_emit(s: &str) -> bool {
    if s.is_empty() {
        return true;
    }
    if resolve_plain(s).is_some() || is_timestamp(s) {
        return true;
    }
    // go-yaml v2 also quotes sexagesimal floats (`1:20`).
    let parts: Vec<&str> = s.split(':').collect();
    parts.len() > 1
        && parts[0].chars().all(|c| c.is_ascii_digit())
        && !parts[0].is_empty()
        && parts[1..].iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

/// go-yaml v2's parseTimestamp: a plain scalar in one of its formats
/// (`2006-1-2T15:4:5.999999999Z07:00`, with `t`, or a space and no zone,
/// or `2006-1-2`) resolves to a timestamp, so a string that looks like one
/// is written quoted (`creationTimestamp: "2026-01-05T09:00:00Z"`).
fn is_timestamp(s: &str) -> bool {
    // 1 or 2 digits (Go's non-padded fields), within 0..=max
    fn num(b: &[u8], i: &mut usize, max: u32) -> bool {
        let start = *i;
        let mut v = 0u32;
        while *i < b.len() && *i - start < 2 && b[*i].is_ascii_digit() {
            v = v * 10 + (b[*i] - b'0') as u32;
            *i += 1;
        }
        *i > start && v <= max
    }
    fn lit(b: &[u8], i: &mut usize, c: u8) -> bool {
        let ok = b.get(*i) == Some(&c);
        *i += ok as usize;
        ok
    }
    let b = s.as_bytes();
    if b.len() < 8 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let mut i = 5;
    if !(num(b, &mut i, 12) && lit(b, &mut i, b'-') && num(b, &mut i, 31)) {
        return false;
    }
    let Some(&sep) = b.get(i) else { return true };
    i += 1;
    if !(matches!(sep, b'T' | b't' | b' ') && num(b, &mut i, 23) && lit(b, &mut i, b':') && num(b, &mut i, 59) && lit(b, &mut i, b':') && num(b, &mut i, 59)) {
        return false;
    }
    if lit(b, &mut i, b'.') {
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start || i - start > 9 {
            return false;
        }
    }
    match (sep, b.get(i)) {
        (b' ', None) => true,
        (b' ', _) => false,
        (_, Some(b'Z')) => i + 1 == b.len(),
        (_, Some(b'+' | b'-')) => {
            i += 1;
            b.len() - i == 5 && b[i..i + 2].iter().all(u8::is_ascii_digit) && b[i + 2] == b':' && b[i + 3..].iter().all(u8::is_ascii_digit)
        }
        _ => false,
    }
}

/// libyaml's analysis of whether a scalar may be written plain in block context.
fn plain_allowed(s: &str) -> bool {
    let b = s.as_bytes();
    if b.is_empty() {
        return false;
    }
    if s.starts_with("---") || s.starts_with("...") {
        return false;
    }
    let first = b[0];
    if b" \t".contains(&first) || b[b.len() - 1] == b' ' {
        return false;
    }
    if b"#,[]{}&*!|>'\"%@`".contains(&first) {
        return false;
    }
    if (first == b'-' || first == b'?' || first == b':') && (b.len() == 1 || b[1] == b' ') {
        return false;
    }
    for i in 0..b.len() {
        let c = b[i];
        if c == b':' && (i + 1 == b.len() || b[i + 1] == b' ') {
            return false;
        }
        if c == b'#' && i > 0 && b[i - 1] == b' ' {
            return false;
        }
    }
    true
}

fn double_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if c.is_control() || c == '\u{FEFF}' => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// go-yaml folds long plain and single-quoted scalars at 80 columns, breaking
/// at a single space.
fn wrap(s: &str, ind: usize) -> String {
    if s.len() + ind <= 80 || !s.contains(' ') {
        return s.to_string();
    }
    let mut out = String::new();
    let mut col = ind;
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == ' ' && col > 80 && i > 0 && chars[i - 1] != ' ' && i + 1 < chars.len() && chars[i + 1] != ' ' {
            out.push('\n');
            for _ in 0..ind {
                out.push(' ');
            }
            col = ind;
        } else {
            out.push(c);
            col += 1;
        }
        i += 1;
    }
    out
}

/// Prints a value as `kubectl get -o json` does: 4-space indentation, Go's
/// HTML-safe escaping of `<`, `>` and `&`.
pub fn to_json_pretty(v: &Value) -> String {
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    serde::Serialize::serialize(v, &mut ser).ok();
    let s = String::from_utf8(buf).unwrap_or_default();
    s.replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn timestamps_are_quoted_as_go_yaml_v2_quotes_them() {
        for t in ["2026-01-05T09:00:00Z", "2026-1-5t9:0:0.5+01:00", "2026-01-05", "2026-01-05 09:00:00"] {
            assert_eq!(to_yaml(&serde_json::json!({"t": t})), format!("t: \"{t}\"\n"), "{t}");
        }
        for t in ["2026-01-05T09:00:00", "2026-13-05", "20260-01-05", "2026-01-05 09:00:00Z", "2026-01-05T09:00Z"] {
            assert_eq!(to_yaml(&serde_json::json!({"t": t})), format!("t: {t}\n"), "{t}");
        }
    }

    #[test]
    fn resolves_like_go_yaml_v2() {
        let docs = parse_stream("a: yes\nb: 0755\nc: '5'\nd: 1.5\ne: ~\nf: web-0\ng: 0x1F\nh: 1e3\ni: .5\nj: -3\nk: \"true\"\n").unwrap();
        let j = docs[0].node.to_json();
        assert_eq!(j, json!({"a": true, "b": 493, "c": "5", "d": 1.5, "e": null, "f": "web-0", "g": 31, "h": 1000.0, "i": 0.5, "j": -3, "k": "true"}));
    }

    #[test]
    fn multi_document_positions() {
        let src = "apiVersion: v1\nkind: A\n---\napiVersion: v1\nkind: B\n  bad: x\n";
        let e = parse_stream(src).unwrap_err();
        assert_eq!(e.pos.line, 6);
        assert_eq!(e.doc_line, 3);
        let ok = parse_stream("---\na: 1\n---\n---\nb: 2\n").unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[1].node.get("b").unwrap().pos, Pos { line: 5, col: 4 });
        assert_eq!(ok[1].first_line, 5);
    }

    #[test]
    fn alias_bomb_is_rejected() {
        let mut src = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let p = i - 1;
            src.push_str(&format!("a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"));
        }
        let e = parse_stream(&src).unwrap_err();
        assert!(e.message.contains("excessive aliasing"), "{e:?}");
    }

    /// Aliases cost the bytes they expand to: a 123 KB document aliasing a
    /// 100 KB string 2,000 times used to build 200 MB.
    #[test]
    fn aliases_count_expanded_bytes() {
        let big = "a".repeat(100_000);
        let mut src = format!("s: &s {big}\nx:\n");
        for _ in 0..2000 {
            src.push_str("- *s\n");
        }
        let e = parse_stream(&src).unwrap_err();
        assert_eq!(e.go_text(), "yaml: line 33: document contains excessive aliasing");
        // A few copies of a big string are fine (3 MiB in all).
        let ok = format!("s: &s {big}\nx: [*s, *s, *s, *s, *s, *s, *s, *s, *s, *s]\n");
        assert_eq!(parse_stream(&ok).unwrap()[0].node.get("x").unwrap().to_json().as_array().unwrap().len(), 10);
    }

    /// Each document has its own budget: many small documents in one stream
    /// are fine (25,000 failed with "document is too large").
    #[test]
    fn budgets_are_per_document() {
        let mut src = String::new();
        for i in 0..25_000 {
            src.push_str(&format!("---\nkind: ConfigMap\nmetadata:\n  name: c{i}\n"));
        }
        assert_eq!(parse_stream(&src).unwrap().len(), 25_000);
    }

    /// Mappings find duplicate keys with one lookup: 64,000 keys are linear
    /// (9.8 s before), and the last of duplicates still wins, in its place.
    #[test]
    fn many_keys_and_duplicates() {
        let mut src = String::new();
        for i in 0..64_000 {
            src.push_str(&format!("k{i}: v\n"));
        }
        let t = std::time::Instant::now();
        let d = parse_stream(&src).unwrap();
        assert_eq!(d[0].node.to_json().as_object().unwrap().len(), 64_000);
        assert!(t.elapsed().as_secs_f64() < 5.0, "{:?}", t.elapsed());
        let d = parse_stream("a: 1\nb: 2\na: 3\n").unwrap();
        let keys: Vec<&str> = match &d[0].node.v {
            Val::Map(m) => m.iter().map(|(k, _, _)| k.as_str()).collect(),
            _ => vec![],
        };
        assert_eq!(keys, ["b", "a"]);
        assert_eq!(d[0].node.get("a").unwrap().v, Val::Int(3));
    }

    /// Nesting deeper than MAX_DEPTH is refused with go-yaml's words (30,000
    /// levels overflowed the stack; 2,000 killed the page).
    #[test]
    fn nesting_is_bounded() {
        for n in [MAX_DEPTH + 1, 2_000, 30_000] {
            let block = format!("{}x\n", "- ".repeat(n));
            assert_eq!(parse_stream(&block).unwrap_err().message, format!("exceeded max depth of {MAX_DEPTH}"), "block {n}");
            let flow = format!("{}{}\n", "[".repeat(n), "]".repeat(n));
            assert_eq!(parse_stream(&flow).unwrap_err().message, format!("exceeded max depth of {MAX_DEPTH}"), "flow {n}");
            let maps = (0..n).map(|i| format!("{}k:\n", "  ".repeat(i))).collect::<String>();
            assert!(parse_stream(&maps).unwrap_err().message.contains("exceeded max depth"), "maps {n}");
        }
        let ok = format!("{}x\n", "- ".repeat(MAX_DEPTH));
        assert!(parse_stream(&ok).is_ok());
    }

    #[test]
    fn emits_like_kubectl() {
        let v = json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "web-0", "labels": {"app": "web"}, "annotations": {"x": "true", "y": ""}},
            "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25", "ports": [{"containerPort": 80}], "args": ["a: b", "*"]}], "volumes": []},
            "status": {"message": "line1\nline2\n"}
        });
        let y = to_yaml(&v);
        assert_eq!(
            y,
            "apiVersion: v1\nkind: Pod\nmetadata:\n  annotations:\n    x: \"true\"\n    \"y\": \"\"\n  labels:\n    app: web\n  name: web-0\nspec:\n  containers:\n  - args:\n    - 'a: b'\n    - '*'\n    image: nginx:1.25\n    name: nginx\n    ports:\n    - containerPort: 80\n  volumes: []\nstatus:\n  message: |\n    line1\n    line2\n"
        );
    }

    #[test]
    fn key_order_is_natural() {
        let mut k = vec!["web-10", "web-9", "a", "B", "_x"];
        crate::engine::sort::sort_by(&mut k, |a, b| yaml_key_less(a, b));
        assert_eq!(k, ["_x", "B", "a", "web-9", "web-10"]);
    }

    #[test]
    fn json_pretty_is_go_shaped() {
        assert_eq!(to_json_pretty(&json!({"a": [1], "b": "<x>"})), "{\n    \"a\": [\n        1\n    ],\n    \"b\": \"\\u003cx\\u003e\"\n}");
    }
}
