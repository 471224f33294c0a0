//! kubectl's JSONPath (k8s.io/client-go/util/jsonpath): the template
//! language of `-o jsonpath=...`, `-o custom-columns=...`, `--sort-by` and
//! `kubectl wait --for=jsonpath=...`.
//!
//! A template is literal text with actions in braces: `{.a.b}`,
//! `{.items[*].metadata.name}`, `[0]`, `[-1]`, `[1:3]`, `[*]`, `['key']`,
//! `[0,2]`, `..name`, `[?(@.type=="Ready")]`, `{range .items[*]}...{end}`,
//! quoted literals `{"\n"}`. Evaluation runs over JSON values (as kubectl
//! runs it over the object's unstructured content), and printing follows
//! the Go code: strings raw, numbers and booleans as `fmt.Print` prints
//! them, maps and lists as compact JSON, the results of one action joined by
//! spaces.

use serde_json::Value;

#[derive(Clone, Debug, PartialEq)]
enum Node {
    Text(String),
    Field(String),
    Array([Param; 3]),
    Filter { left: Vec<Node>, right: Vec<Node>, op: String },
    Int(i64),
    Float(f64),
    Bool(bool),
    Wildcard,
    Recursive,
    Union(Vec<Vec<Node>>),
    Identifier(String),
    List(Vec<Node>),
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Param {
    value: i64,
    known: bool,
    derived: bool,
}

/// A parsed JSONPath template.
#[derive(Clone, Debug)]
pub struct JsonPath {
    template: String,
    root: Vec<Node>,
    allow_missing_keys: bool,
}

/// Evaluation state of the range/end machinery (jsonpath.JSONPath's fields).
#[derive(Default)]
struct RangeState {
    begin_range: usize,
    in_range: usize,
    end_range: usize,
    last_end: Option<usize>,
}

impl JsonPath {
    /// Parses a template (`jsonpath.Parse`). Missing keys are errors unless
    /// [`JsonPath::allow_missing_keys`] is set (kubectl sets it for `-o jsonpath`).
    pub fn parse(template: &str) -> Result<JsonPath, String> {
        let mut p = Parser::new(template);
        let root = p.parse()?;
        Ok(JsonPath { template: template.to_string(), root, allow_missing_keys: false })
    }

    pub fn allow_missing_keys(mut self, allow: bool) -> JsonPath {
        self.allow_missing_keys = allow;
        self
    }

    pub fn template(&self) -> &str {
        &self.template
    }

    /// `FindResults`: one list of values per top-level node (text or action),
    /// with ranges expanded.
    pub fn find_results(&self, data: &Value) -> Result<Vec<Vec<Value>>, String> {
        let mut st = RangeState::default();
        self.find(&mut st, data, 0)
    }

    /// `Execute`: the printed text.
    pub fn execute(&self, data: &Value) -> Result<String, String> {
        let results = self.find_results(data)?;
        let mut out = String::new();
        for group in &results {
            out.push_str(&print_results(group));
        }
        Ok(out)
    }

    fn find(&self, st: &mut RangeState, data: &Value, start: usize) -> Result<Vec<Vec<Value>>, String> {
        let nodes = &self.root[start..];
        let mut full = vec![];
        let mut i = 0;
        while i < nodes.len() {
            let results = self.walk(st, vec![data.clone()], &nodes[i])?;
            if st.end_range > 0 && st.end_range <= st.in_range {
                st.end_range -= 1;
                st.last_end = Some(start + i);
                break;
            }
            if st.begin_range > 0 {
                st.begin_range -= 1;
                st.in_range += 1;
                if results.is_empty() {
                    // Still walk the body so the position reaches the end node.
                    self.find(st, &Value::Null, start + i + 1)?;
                } else {
                    for v in &results {
                        let nested = self.find(st, v, start + i + 1)?;
                        full.extend(nested);
                    }
                }
                st.in_range -= 1;
                for k in i + 1..nodes.len() {
                    if st.last_end == Some(start + k) {
                        i = k;
                        break;
                    }
                }
                i += 1;
                continue;
            }
            full.push(results);
            i += 1;
        }
        Ok(full)
    }

    fn walk(&self, st: &mut RangeState, input: Vec<Value>, node: &Node) -> Result<Vec<Value>, String> {
        match node {
            Node::List(nodes) => {
                let mut cur = input;
                for n in nodes {
                    cur = self.walk(st, cur, n)?;
                }
                Ok(cur)
            }
            Node::Text(t) => Ok(vec![Value::String(t.clone())]),
            Node::Field(name) => self.eval_field(input, name),
            Node::Array(params) => eval_array(input, params),
            Node::Filter { left, right, op } => self.eval_filter(st, input, left, right, op),
            Node::Int(v) => Ok(input.iter().map(|_| Value::from(*v)).collect()),
            Node::Float(v) => Ok(input.iter().map(|_| serde_json::Number::from_f64(*v).map(Value::Number).unwrap_or(Value::Null)).collect()),
            Node::Bool(v) => Ok(input.iter().map(|_| Value::Bool(*v)).collect()),
            Node::Wildcard => Ok(input.iter().flat_map(children).collect()),
            Node::Recursive => Ok(eval_recursive(&input)),
            Node::Union(lists) => {
                let mut out = vec![];
                for l in lists {
                    out.extend(self.walk(st, input.clone(), &Node::List(l.clone()))?);
                }
                Ok(out)
            }
            Node::Identifier(name) => match name.as_str() {
                "range" => {
                    st.begin_range += 1;
                    Ok(input)
                }
                "end" => {
                    if st.in_range > 0 {
                        st.end_range += 1;
                        Ok(vec![])
                    } else {
                        Err("not in range, nothing to end".into())
                    }
                }
                other => Err(format!("unrecognized identifier {other}")),
            },
        }
    }

    /// evalList as an existence filter sees it: on an error, Go's eval
    /// functions still return a value (the input, or nothing for a missing
    /// field), and the filter only looks at whether it is empty.
    fn walk_partial(&self, st: &mut RangeState, input: Vec<Value>, nodes: &[Node]) -> Vec<Value> {
        let mut cur = input;
        for n in nodes {
            match self.walk(st, cur.clone(), n) {
                Ok(v) => cur = v,
                Err(_) => {
                    if matches!(n, Node::Field(_)) {
                        cur = vec![];
                    }
                    break;
                }
            }
        }
        cur
    }

    fn eval_field(&self, input: Vec<Value>, name: &str) -> Result<Vec<Value>, String> {
        let mut results = vec![];
        if input.is_empty() {
            return Ok(results);
        }
        for v in &input {
            if let Value::Object(m) = v
                && let Some(x) = m.get(name)
            {
                results.push(x.clone());
            }
        }
        if results.is_empty() && !self.allow_missing_keys {
            return Err(format!("{name} is not found"));
        }
        Ok(results)
    }

    fn eval_filter(&self, st: &mut RangeState, input: Vec<Value>, left: &[Node], right: &[Node], op: &str) -> Result<Vec<Value>, String> {
        let mut results = vec![];
        for v in &input {
            let Value::Array(items) = v else {
                return Err(format!("{} is not array or slice and cannot be filtered", go_print(v)));
            };
            for item in items {
                if op == "exists" {
                    if !self.walk_partial(st, vec![item.clone()], left).is_empty() {
                        results.push(item.clone());
                    }
                    continue;
                }
                let lefts = self.walk(st, vec![item.clone()], &Node::List(left.to_vec()))?;
                match lefts.len() {
                    0 => continue,
                    1 => {}
                    _ => return Err("can only compare one element at a time".into()),
                }
                let rights = self.walk(st, vec![item.clone()], &Node::List(right.to_vec()))?;
                match rights.len() {
                    0 => continue,
                    1 => {}
                    _ => return Err("can only compare one element at a time".into()),
                }
                if compare(&lefts[0], &rights[0], op)? {
                    results.push(item.clone());
                }
            }
        }
        Ok(results)
    }
}

/// The direct children of a value, as `[*]`/`.*` yields them (map values in key order).
fn children(v: &Value) -> Vec<Value> {
    match v {
        Value::Object(m) => m.values().cloned().collect(),
        Value::Array(a) => a.clone(),
        Value::String(s) => s.bytes().map(|b| Value::from(b as u64)).collect(),
        _ => vec![],
    }
}

fn eval_recursive(input: &[Value]) -> Vec<Value> {
    let mut out = vec![];
    for v in input {
        if v.is_null() {
            continue;
        }
        let kids = children(v);
        if !kids.is_empty() {
            out.push(v.clone());
            out.extend(eval_recursive(&kids));
        }
    }
    out
}

fn go_type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "interface {}",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float64",
        Value::Number(_) => "int64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

fn eval_array(input: Vec<Value>, node_params: &[Param; 3]) -> Result<Vec<Value>, String> {
    let mut result = vec![];
    for v in &input {
        if v.is_null() {
            continue;
        }
        let Value::Array(items) = v else {
            return Err(format!("{} is not array or slice", go_type_name(v)));
        };
        let len = items.len() as i64;
        let mut params = *node_params;
        if !params[0].known {
            params[0].value = 0;
        }
        if params[0].value < 0 {
            params[0].value += len;
        }
        if !params[1].known {
            params[1].value = len;
        }
        if params[1].value < 0 || (params[1].value == 0 && params[1].derived) {
            params[1].value += len;
        }
        if params[1].value != params[0].value {
            if params[0].value >= len || params[0].value < 0 {
                return Err(format!("array index out of bounds: index {}, length {}", params[0].value, len));
            }
            if params[1].value > len || params[1].value < 0 {
                return Err(format!("array index out of bounds: index {}, length {}", params[1].value - 1, len));
            }
            if params[0].value > params[1].value {
                return Err(format!("starting index {} is greater than ending index {}", params[0].value, params[1].value));
            }
        } else {
            return Ok(result);
        }
        let slice = &items[params[0].value as usize..params[1].value as usize];
        let mut step = 1;
        if params[2].known {
            if params[2].value <= 0 {
                return Err("step must be > 0".into());
            }
            step = params[2].value as usize;
        }
        result.extend(slice.iter().step_by(step).cloned());
    }
    Ok(result)
}

/// The comparisons of the forked text/template functions (eq, ne, lt, ...).
fn compare(left: &Value, right: &Value, op: &str) -> Result<bool, String> {
    use std::cmp::Ordering;
    let incompatible = || "incompatible types for comparison".to_string();
    let ord: Option<Ordering> = match (left, right) {
        (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
        (Value::Number(a), Value::Number(b)) => {
            if a.is_f64() != b.is_f64() {
                return Err(incompatible());
            }
            if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) { Some(x.cmp(&y)) } else { a.as_f64().unwrap_or(0.0).partial_cmp(&b.as_f64().unwrap_or(0.0)) }
        }
        (Value::Bool(a), Value::Bool(b)) => {
            return match op {
                "==" => Ok(a == b),
                "!=" => Ok(a != b),
                "<" | ">" | "<=" | ">=" => Err("invalid type for comparison".into()),
                _ => Err(format!("unrecognized filter operator {op}")),
            };
        }
        _ => return Err(incompatible()),
    };
    let ord = ord.ok_or_else(incompatible)?;
    match op {
        "==" => Ok(ord == Ordering::Equal),
        "!=" => Ok(ord != Ordering::Equal),
        "<" => Ok(ord == Ordering::Less),
        ">" => Ok(ord == Ordering::Greater),
        "<=" => Ok(ord != Ordering::Greater),
        ">=" => Ok(ord != Ordering::Less),
        _ => Err(format!("unrecognized filter operator {op}")),
    }
}

/// PrintResults for one group: maps and lists as compact JSON, everything
/// else as text, separated by spaces.
pub fn print_results(results: &[Value]) -> String {
    let mut out = String::new();
    for (i, r) in results.iter().enumerate() {
        match r {
            Value::Object(_) | Value::Array(_) => out.push_str(&go_json(r)),
            _ => out.push_str(&go_print(r)),
        }
        if i + 1 != results.len() {
            out.push(' ');
        }
    }
    out
}

/// Go's encoding/json.Marshal: compact, keys sorted, `<`, `>`, `&` escaped.
pub fn go_json(v: &Value) -> String {
    serde_json::to_string(v)
        .unwrap_or_default()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// Go's `%v` of a float64: `strconv.FormatFloat(f, 'g', -1, 64)`, the
/// shortest digits, in exponent form when the exponent is below -4 or at
/// least 6 (`1e+06`, `1.5`, `1e-05`).
pub fn go_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf".into() } else { "-Inf".into() };
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0".into() } else { "0".into() };
    }
    // Shortest round-trip digits and decimal exponent.
    let e = format!("{f:e}");
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let neg = mant.starts_with('-');
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let sign = if neg { "-" } else { "" };
    if !(-4..6).contains(&exp) {
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() { String::new() } else { format!(".{rest}") };
        let es = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{first}{frac}e{es}{:02}", exp.abs());
    }
    if exp < 0 {
        format!("{sign}0.{}{digits}", "0".repeat((-exp - 1) as usize))
    } else if (exp as usize) + 1 >= digits.len() {
        format!("{sign}{digits}{}", "0".repeat(exp as usize + 1 - digits.len()))
    } else {
        let (a, b) = digits.split_at(exp as usize + 1);
        format!("{sign}{a}.{b}")
    }
}

/// Go's `fmt.Sprint` of an unstructured value (what custom-columns prints):
/// strings raw, `map[k:v ...]` for maps, `[a b]` for lists, `<nil>` for null.
pub fn go_print(v: &Value) -> String {
    match v {
        Value::Null => "<nil>".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.to_string(),
            None => match n.as_u64() {
                Some(u) => u.to_string(),
                None => go_float(n.as_f64().unwrap_or(0.0)),
            },
        },
        Value::String(s) => s.clone(),
        Value::Array(a) => format!("[{}]", a.iter().map(go_print).collect::<Vec<_>>().join(" ")),
        Value::Object(m) => format!("map[{}]", m.iter().map(|(k, v)| format!("{k}:{}", go_print(v))).collect::<Vec<_>>().join(" ")),
    }
}

/// Go's `%#v` of an unstructured value, as kubectl dumps the object when a
/// template fails to execute.
pub fn go_sharp_v(v: &Value) -> String {
    fn inner(v: &Value, top: bool) -> String {
        match v {
            Value::Null => "interface {}(nil)".into(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => match n.as_i64() {
                Some(i) => i.to_string(),
                None => go_float(n.as_f64().unwrap_or(0.0)),
            },
            Value::String(s) => go_quote(s),
            Value::Array(a) => format!("[]interface {{}}{{{}}}", a.iter().map(|x| inner(x, false)).collect::<Vec<_>>().join(", ")),
            Value::Object(m) => {
                let _ = top;
                format!("map[string]interface {{}}{{{}}}", m.iter().map(|(k, x)| format!("{}:{}", go_quote(k), inner(x, false))).collect::<Vec<_>>().join(", "))
            }
        }
    }
    inner(v, true)
}

/// strconv.Quote.
pub fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\x0b' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The error kubectl's JSONPath printer reports when a template fails.
pub fn execution_error(template: &str, err: &str, data: &Value) -> String {
    format!(
        "error executing jsonpath {}: Error executing template: {err}. Printing more information for debugging the template:\n\ttemplate was:\n\t\t{template}\n\tobject given to jsonpath engine was:\n\t\t{}\n\n",
        go_quote(template),
        go_sharp_v(data)
    )
}

/// `RelaxedJSONPathExpression` (custom-columns and --sort-by): accepts
/// `.a.b`, `a.b`, `{.a.b}`, `{a.b}` and returns `{.a.b}`.
pub fn relaxed_expression(expr: &str) -> Result<String, String> {
    if expr.is_empty() {
        return Ok(String::new());
    }
    let err = || "unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' or '{.name1.name2}'".to_string();
    let no_braces = |s: &str| !s.is_empty() && !s.contains('{') && !s.contains('}');
    if let Some(inner) = expr.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
        let body = inner.strip_prefix('.').unwrap_or(inner);
        if no_braces(body) {
            return Ok(format!("{{.{body}}}"));
        }
    }
    let body = expr.strip_prefix('.').unwrap_or(expr);
    if no_braces(body) {
        return Ok(format!("{{.{body}}}"));
    }
    Err(err())
}

// ---------------------------------------------------------------- parser

struct Parser<'a> {
    input: &'a str,
    pos: usize,
    start: usize,
    width: usize,
}

const EOF: Option<char> = None;

fn u_plus(c: char) -> String {
    // %#U: U+0021 '!'
    format!("U+{:04X} '{}'", c as u32, c)
}

fn is_terminator(r: Option<char>) -> bool {
    match r {
        None => true,
        Some(c) => matches!(c, ' ' | '\t' | '\r' | '\n' | '.' | ',' | '[' | ']' | '$' | '@' | '{' | '}'),
    }
}

fn is_alphanumeric(c: char) -> bool {
    c == '_' || c.is_alphabetic() || c.is_numeric()
}

impl<'a> Parser<'a> {
    fn new(input: &'a str) -> Parser<'a> {
        Parser { input, pos: 0, start: 0, width: 0 }
    }

    fn parse(&mut self) -> Result<Vec<Node>, String> {
        let mut root = vec![];
        self.parse_text(&mut root)?;
        Ok(root)
    }

    fn rest(&self) -> &'a str {
        &self.input[self.pos..]
    }

    fn consume_text(&mut self) -> String {
        let v = self.input[self.start..self.pos].to_string();
        self.start = self.pos;
        v
    }

    fn next(&mut self) -> Option<char> {
        match self.rest().chars().next() {
            None => {
                self.width = 0;
                EOF
            }
            Some(c) => {
                self.width = c.len_utf8();
                self.pos += self.width;
                Some(c)
            }
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.rest().chars().next()
    }

    fn backup(&mut self) {
        self.pos -= self.width;
    }

    /// Text up to the next `{`, then an action; repeated to the end.
    fn parse_text(&mut self, root: &mut Vec<Node>) -> Result<(), String> {
        loop {
            if self.rest().starts_with('{') {
                if self.pos > self.start {
                    let t = self.consume_text();
                    root.push(Node::Text(t));
                }
                self.pos += 1;
                self.consume_text();
                let mut action = vec![];
                self.parse_inside_action(&mut action)?;
                root.push(Node::List(action));
                // parseRightDelim consumed the '}' and continues with text.
                continue;
            }
            if self.next().is_none() {
                break;
            }
        }
        if self.pos > self.start {
            let t = self.consume_text();
            root.push(Node::Text(t));
        }
        Ok(())
    }

    /// Parses the inside of one action up to and including its `}`.
    fn parse_inside_action(&mut self, cur: &mut Vec<Node>) -> Result<(), String> {
        loop {
            let rest = self.rest();
            if rest.starts_with('}') {
                self.pos += 1;
                self.consume_text();
                return Ok(());
            }
            if rest.starts_with("[?(") {
                self.parse_filter(cur)?;
                continue;
            }
            if rest.starts_with("..") {
                self.parse_recursive(cur)?;
                continue;
            }
            match self.next() {
                None | Some('\r') | Some('\n') => return Err("unclosed action".into()),
                Some(' ') => {
                    self.consume_text();
                }
                Some('@') | Some('$') => {
                    self.consume_text();
                }
                Some('[') => self.parse_array(cur)?,
                Some(q @ ('"' | '\'')) => self.parse_quote(cur, q)?,
                Some('.') => self.parse_field(cur)?,
                Some(c) if c == '+' || c == '-' || c.is_ascii_digit() => {
                    self.backup();
                    self.parse_number(cur)?;
                }
                Some(c) if is_alphanumeric(c) => {
                    self.backup();
                    self.parse_identifier(cur)?;
                }
                Some(c) => return Err(format!("unrecognized character in action: {}", u_plus(c))),
            }
        }
    }

    fn parse_identifier(&mut self, cur: &mut Vec<Node>) -> Result<(), String> {
        loop {
            let r = self.next();
            if is_terminator(r) {
                if r.is_some() {
                    self.backup();
                }
                break;
            }
        }
        let value = self.consume_text();
        match value.as_str() {
            "true" => cur.push(Node::Bool(true)),
            "false" => cur.push(Node::Bool(false)),
            _ => cur.push(Node::Identifier(value)),
        }
        Ok(())
    }

    fn parse_recursive(&mut self, cur: &mut Vec<Node>) -> Result<(), String> {
        if matches!(cur.last(), Some(Node::Recursive)) {
            return Err("invalid multiple recursive descent".into());
        }
        self.pos += 2;
        self.consume_text();
        cur.push(Node::Recursive);
        if self.peek().is_some_and(is_alphanumeric) {
            return self.parse_field(cur);
        }
        Ok(())
    }

    fn parse_number(&mut self, cur: &mut Vec<Node>) -> Result<(), String> {
        if matches!(self.peek(), Some('+') | Some('-')) {
            self.next();
        }
        loop {
            match self.next() {
                Some(c) if c == '.' || c.is_ascii_digit() => {}
                r => {
                    if r.is_some() {
                        self.backup();
                    }
                    break;
                }
            }
        }
        let value = self.consume_text();
        if let Ok(i) = value.parse::<i64>() {
            cur.push(Node::Int(i));
            return Ok(());
        }
        if let Ok(f) = value.parse::<f64>() {
            cur.push(Node::Float(f));
            return Ok(());
        }
        Err(format!("cannot parse number {value}"))
    }

    fn parse_array(&mut self, cur: &mut Vec<Node>) -> Result<(), String> {
        loop {
            match self.next() {
                None | Some('\n') => return Err("unterminated array".into()),
                Some(']') => break,
                _ => {}
            }
        }
        let text = self.consume_text();
        let mut text = text[1..text.len() - 1].to_string();
        if text == "*" {
            text = ":".into();
        }
        // union
        let parts: Vec<&str> = text.split(',').collect();
        if parts.len() > 1 {
            let mut union = vec![];
            for part in parts {
                union.push(parse_action(&format!("[{}]", part.trim_matches(' ')))?);
            }
            cur.push(Node::Union(union));
            return Ok(());
        }
        // dict key: ['name']
        if text.len() >= 2 && text.starts_with('\'') && text.ends_with('\'') && !text[1..text.len() - 1].contains('\'') {
            let nodes = parse_action(&format!(".{}", &text[1..text.len() - 1]))?;
            cur.extend(nodes);
            return Ok(());
        }
        // slice: (-?\d*)(:-?\d*)?(:-?\d*)?
        let groups = slice_groups(&text).ok_or_else(|| format!("invalid array index {text}"))?;
        let mut params = [Param::default(); 3];
        for i in 0..3 {
            let mut v = groups[i].clone();
            if !v.is_empty() {
                if i > 0 {
                    v = v[1..].to_string();
                }
                if i > 0 && v.is_empty() {
                    params[i].known = false;
                } else {
                    params[i].known = true;
                    params[i].value = v.parse::<i64>().map_err(|_| format!("array index {v} is not a number"))?;
                }
            } else if i == 1 {
                params[i].known = true;
                params[i].value = params[0].value + 1;
                params[i].derived = true;
            } else {
                params[i].known = false;
                params[i].value = 0;
            }
        }
        cur.push(Node::Array(params));
        Ok(())
    }

    fn parse_filter(&mut self, cur: &mut Vec<Node>) -> Result<(), String> {
        self.pos += 3;
        self.consume_text();
        let mut begin = false;
        let mut end = false;
        let mut pair = '\0';
        loop {
            let r = self.next();
            match r {
                None | Some('\n') => return Err("unterminated filter".into()),
                Some(q @ ('"' | '\'')) => {
                    if !begin {
                        begin = true;
                        pair = q;
                        continue;
                    }
                    if self.input.as_bytes()[self.pos - 2] != b'\\' && q == pair {
                        end = true;
                    }
                }
                Some(')') if begin == end => {
                    break;
                }
                _ => {}
            }
        }
        if self.next() != Some(']') {
            return Err("unclosed array expect ]".into());
        }
        let text = self.consume_text();
        let text = &text[..text.len() - 2];
        match split_filter(text) {
            None => {
                let left = parse_action(text)?;
                cur.push(Node::Filter { left, right: vec![], op: "exists".into() });
            }
            Some((l, op, r)) => {
                let left = parse_action(l)?;
                let right = parse_action(r)?;
                cur.push(Node::Filter { left, right, op: op.to_string() });
            }
        }
        Ok(())
    }

    fn parse_quote(&mut self, cur: &mut Vec<Node>, end: char) -> Result<(), String> {
        loop {
            match self.next() {
                None | Some('\n') => return Err("unterminated quoted string".into()),
                Some(c) if c == end && self.input.as_bytes()[self.pos - 2] != b'\\' => {
                    break;
                }
                _ => {}
            }
        }
        let value = self.consume_text();
        let s = unquote_extend(&value).map_err(|e| format!("unquote string {value} error {e}"))?;
        cur.push(Node::Text(s));
        Ok(())
    }

    fn parse_field(&mut self, cur: &mut Vec<Node>) -> Result<(), String> {
        self.consume_text();
        loop {
            let r = self.next();
            if r == Some('\\') {
                self.next();
            } else if is_terminator(r) {
                if r.is_some() {
                    self.backup();
                }
                break;
            }
        }
        let value = self.consume_text();
        if value == "*" {
            cur.push(Node::Wildcard);
        } else {
            cur.push(Node::Field(value.replace('\\', "")));
        }
        Ok(())
    }
}

/// parseAction: parses `{text}` and returns the nodes of its one action.
fn parse_action(text: &str) -> Result<Vec<Node>, String> {
    let src = format!("{{{text}}}");
    let mut p = Parser::new(&src);
    let root = p.parse()?;
    match root.into_iter().next() {
        Some(Node::List(nodes)) => Ok(nodes),
        _ => Ok(vec![]),
    }
}

/// `^(-?[\d]*)(:-?[\d]*)?(:-?[\d]*)?$`, returning the three groups (empty when absent).
fn slice_groups(text: &str) -> Option<[String; 3]> {
    fn num(s: &str) -> usize {
        // length of -?\d* at the start
        let b = s.as_bytes();
        let mut i = 0;
        if i < b.len() && b[i] == b'-' {
            i += 1;
        }
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        i
    }
    let mut rest = text;
    let n0 = num(rest);
    let g0 = rest[..n0].to_string();
    rest = &rest[n0..];
    let mut g = [g0, String::new(), String::new()];
    for slot in g.iter_mut().skip(1) {
        if let Some(r) = rest.strip_prefix(':') {
            let n = num(r);
            *slot = format!(":{}", &r[..n]);
            rest = &r[n..];
        }
    }
    if rest.is_empty() { Some(g) } else { None }
}

/// `^([^!<>=]+)([!<>=]+)(.+?)$`
fn split_filter(text: &str) -> Option<(&str, &str, &str)> {
    let is_op = |c: char| matches!(c, '!' | '<' | '>' | '=');
    let l_end = text.find(is_op)?;
    if l_end == 0 {
        return None;
    }
    let after = &text[l_end..];
    let op_len = after.find(|c: char| !is_op(c)).unwrap_or(after.len());
    let right = &after[op_len..];
    if right.is_empty() {
        return None;
    }
    Some((&text[..l_end], &after[..op_len], right))
}

/// UnquoteExtend: strconv.Unquote that also takes single-quoted strings.
fn unquote_extend(s: &str) -> Result<String, String> {
    let syntax = || "invalid syntax".to_string();
    let b = s.as_bytes();
    if b.len() < 2 {
        return Err(syntax());
    }
    let quote = b[0];
    if quote != b[b.len() - 1] || (quote != b'"' && quote != b'\'') {
        return Err(syntax());
    }
    let body = &s[1..s.len() - 1];
    let mut out = String::new();
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c as u32 == quote as u32 {
            return Err(syntax());
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        let e = chars.next().ok_or_else(syntax)?;
        match e {
            'a' => out.push('\x07'),
            'b' => out.push('\x08'),
            'f' => out.push('\x0c'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\x0b'),
            '\\' => out.push('\\'),
            '\'' | '"' => {
                if e as u32 != quote as u32 {
                    return Err(syntax());
                }
                out.push(e);
            }
            'x' | 'u' | 'U' => {
                let n = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let hex: String = (0..n).filter_map(|_| chars.next()).collect();
                if hex.len() != n {
                    return Err(syntax());
                }
                let v = u32::from_str_radix(&hex, 16).map_err(|_| syntax())?;
                out.push(char::from_u32(v).ok_or_else(syntax)?);
            }
            '0'..='7' => {
                let mut v = e.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    let d = chars.next().and_then(|c| c.to_digit(8)).ok_or_else(syntax)?;
                    v = v * 8 + d;
                }
                if v > 255 {
                    return Err(syntax());
                }
                out.push(char::from_u32(v).ok_or_else(syntax)?);
            }
            _ => return Err(syntax()),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(t: &str, v: &Value) -> String {
        JsonPath::parse(t).unwrap().allow_missing_keys(true).execute(v).unwrap()
    }

    fn pods() -> Value {
        json!({
            "apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""},
            "items": [
                {"metadata": {"name": "web-0", "labels": {"app": "web"}}, "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]},
                 "status": {"phase": "Running", "conditions": [{"type": "Initialized", "status": "True"}, {"type": "Ready", "status": "True"}]}},
                {"metadata": {"name": "web-1", "labels": {"app": "web"}}, "spec": {"containers": [{"name": "nginx", "image": "nginx:1.26"}, {"name": "side", "image": "busybox"}]},
                 "status": {"phase": "Pending", "conditions": [{"type": "Ready", "status": "False"}]}}
            ]
        })
    }

    #[test]
    fn fields_and_wildcards() {
        let v = pods();
        assert_eq!(run("{.items[*].metadata.name}", &v), "web-0 web-1");
        assert_eq!(run("{.items[0].status.phase}", &v), "Running");
        assert_eq!(run("{.items[-1].metadata.name}", &v), "web-1");
        assert_eq!(run("{.items[1].spec.containers[*].image}", &v), "nginx:1.26 busybox");
        assert_eq!(run("{.kind}", &v), "List");
        assert_eq!(run("{.items[0].metadata.labels}", &v), "{\"app\":\"web\"}");
        assert_eq!(run("{.items[0].spec.containers}", &v), "[{\"image\":\"nginx:1.25\",\"name\":\"nginx\"}]");
        assert_eq!(run("{.items[0].metadata['name']}", &v), "web-0");
        assert_eq!(run("{.items[0:2].metadata.name}", &v), "web-0 web-1");
        assert_eq!(run("{.items[0,1].metadata.name}", &v), "web-0 web-1");
        assert_eq!(run("{..image}", &v), "nginx:1.25 nginx:1.26 busybox");
    }

    #[test]
    fn literal_text_and_ranges() {
        let v = pods();
        assert_eq!(run("{range .items[*]}{.metadata.name}{\"\\n\"}{end}", &v), "web-0\nweb-1\n");
        assert_eq!(run("{range .items[*]}[{.metadata.name}, {.status.phase}] {end}", &v), "[web-0, Running] [web-1, Pending] ");
        assert_eq!(run("name: {.items[0].metadata.name}!", &v), "name: web-0!");
        // Without braces the template is only text (as real kubectl prints it).
        assert_eq!(run(".metadata.name", &v), ".metadata.name");
        assert_eq!(run("{range .items[*]}{range .spec.containers[*]}{.name};{end}|{end}", &v), "nginx;|nginx;side;|");
        assert_eq!(run("{range .nothing[*]}{.x}{end}after", &v), "after");
    }

    #[test]
    fn filters() {
        let v = pods();
        assert_eq!(run("{.items[0].status.conditions[?(@.type==\"Ready\")].status}", &v), "True");
        assert_eq!(run("{.items[?(@.status.phase=='Pending')].metadata.name}", &v), "web-1");
        assert_eq!(run("{.items[?(@.status.phase!=\"Pending\")].metadata.name}", &v), "web-0");
        assert_eq!(run("{.items[?(@.spec.nodeName)].metadata.name}", &v), "");
        assert_eq!(run("{.items[?(@.metadata.labels.app)].metadata.name}", &v), "web-0 web-1");
        // Go's quirk: an index out of range inside an existence filter still
        // leaves the array as the (non-empty) result, so both pods match.
        assert_eq!(run("{.items[?(@.spec.containers[1])].metadata.name}", &v), "web-0 web-1");
        let n = json!({"a": [{"n": 1}, {"n": 5}, {"n": 10}]});
        assert_eq!(run("{.a[?(@.n > 2)].n}", &n), "5 10");
        assert_eq!(run("{.a[?(@.n<=5)].n}", &n), "1 5");
    }

    #[test]
    fn scalars_print_like_go() {
        let v = json!({"i": 3, "f": 1.5, "big": 1e21, "b": true, "n": null, "s": "a<b"});
        assert_eq!(run("{.i} {.f} {.b} {.n} {.s}", &v), "3 1.5 true <nil> a<b");
        assert_eq!(run("{.big}", &v), "1e+21");
        assert_eq!(go_float(1234567.0), "1.234567e+06");
        assert_eq!(go_float(123456.0), "123456");
        assert_eq!(go_float(0.00001), "1e-05");
        assert_eq!(go_float(0.25), "0.25");
        assert_eq!(run("{$}", &json!({"s": "<"})), "{\"s\":\"\\u003c\"}");
    }

    #[test]
    fn missing_keys() {
        let v = pods();
        assert_eq!(run("{.items[0].spec.nodeName}", &v), "");
        let strict = JsonPath::parse("{.spec.nodeName}").unwrap();
        assert_eq!(strict.execute(&json!({"spec": {}})).unwrap_err(), "nodeName is not found");
        assert_eq!(JsonPath::parse("{.items[5]}").unwrap().execute(&v).unwrap_err(), "array index out of bounds: index 5, length 2");
    }

    #[test]
    fn find_results_for_wait() {
        let v = json!({"status": {"phase": "Bound"}});
        let j = JsonPath::parse("{.status.phase}").unwrap();
        assert_eq!(j.find_results(&v).unwrap(), vec![vec![json!("Bound")]]);
    }

    #[test]
    fn parse_errors() {
        assert_eq!(JsonPath::parse("{.a").unwrap_err(), "unclosed action");
        assert_eq!(JsonPath::parse("{.a[1}").unwrap_err(), "unterminated array");
        assert_eq!(JsonPath::parse("{.a[x]}").unwrap_err(), "invalid array index x");
        assert_eq!(JsonPath::parse("{!}").unwrap_err(), "unrecognized character in action: U+0021 '!'");
        assert_eq!(JsonPath::parse("{end}").unwrap().execute(&json!({})).unwrap_err(), "not in range, nothing to end");
    }

    #[test]
    fn relaxed_expressions() {
        assert_eq!(relaxed_expression(".metadata.name").unwrap(), "{.metadata.name}");
        assert_eq!(relaxed_expression("metadata.name").unwrap(), "{.metadata.name}");
        assert_eq!(relaxed_expression("{.spec.containers[0].image}").unwrap(), "{.spec.containers[0].image}");
        assert_eq!(relaxed_expression("{metadata.name}").unwrap(), "{.metadata.name}");
        assert!(relaxed_expression("{a}{b}").is_err());
    }

    #[test]
    fn go_formats() {
        let v = json!({"a": [1, "x"], "m": {"k": "v"}});
        assert_eq!(go_print(&v), "map[a:[1 x] m:map[k:v]]");
        assert_eq!(go_sharp_v(&v), "map[string]interface {}{\"a\":[]interface {}{1, \"x\"}, \"m\":map[string]interface {}{\"k\":\"v\"}}");
    }
}
