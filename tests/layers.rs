//! The engine's layering, checked (ARCHITECTURE.md, "Layers"): every
//! reference from one engine module to another — a `use`, or a path written
//! in code (`crate::engine::store::Store`, `super::pvbinder::update_t`) —
//! points down the table below or stays inside its own module, and the
//! modules' graph has no cycle. Test code (`#[cfg(test)]` items and the
//! files they declare) is left out: a controller's unit test may start a
//! whole `Cluster`.
//!
//! Like rust-analyzer's tidy tests, this reads the source text: a small
//! lexer drops comments and literals, then `use` trees are expanded and
//! `crate::`/`super::`/`self::` paths resolved against the file's module.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The engine's layers, bottom first. A module may use the modules of the
/// rows below its own, never those above; the modules of one row are peers
/// and use none of each other. Every file under src/engine belongs to the
/// module named by its first path component (`controllers/pvbinder.rs` is
/// `controllers`); files of one module use each other freely.
const LAYERS: &[(&str, &[&str])] = &[
    ("base", &["base64", "sort", "time", "rng", "quantity"]),
    ("YAML", &["yaml"]),
    ("decoding", &["decode"]),
    ("API types", &["api"]),
    ("store", &["store"]),
    ("API server", &["apiserver"]),
    ("world and DNS", &["world", "dns"]),
    ("container files", &["fs"]),
    ("container runtime interface", &["cri"]),
    ("control-loop contract", &["control"]),
    ("storage rules", &["storage"]),
    ("programs", &["programs"]),
    ("control loops", &["controllers", "scheduler", "kubelet", "metricsserver", "ingressnginx"]),
    ("bootstrap", &["bootstrap", "addons"]),
    ("cluster", &["cluster"]),
    ("timeline", &["timeline"]),
    ("engine root", &["(root)"]),
];

/// References that still point up, each with why and what removes it. The
/// layering test fails on any other, and on an entry that matches nothing
/// any more (the list only shrinks); the cycle test leaves these out, so
/// each entry is also a cycle that remains.
/// (file under src/engine, module it uses, why)
/// None remains: the last (`World` embedding the programs' state) went when
/// that state became the cluster's container runtime, lent to the kubelet
/// through `cri::ContainerRuntime`.
const ALLOWED: &[(&str, &str, &str)] = &[];

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    Punct(char),
    PathSep,
}

/// The source with comments, strings and char literals blanked out (line
/// breaks kept), then cut into tokens with their line numbers.
fn lex(src: &str) -> Vec<(Tok, usize)> {
    let c: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    let at = |i: usize| c.get(i).copied().unwrap_or('\0');
    while i < c.len() {
        let ch = c[i];
        if ch == '\n' {
            line += 1;
            i += 1;
        } else if ch == '/' && at(i + 1) == '/' {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            loop {
                if i >= c.len() {
                    break;
                }
                if c[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if c[i] == '\n' {
                        line += 1;
                    }
                    i += 1;
                }
            }
        } else if (ch == 'r' || (ch == 'b' && at(i + 1) == 'r')) && {
            let mut j = i + if ch == 'b' { 2 } else { 1 };
            while at(j) == '#' {
                j += 1;
            }
            at(j) == '"' && (i == 0 || !is_ident(c[i - 1]))
        } {
            // raw string: r"..." or r#"..."#
            let mut j = i + if ch == 'b' { 2 } else { 1 };
            let mut hashes = 0;
            while at(j) == '#' {
                hashes += 1;
                j += 1;
            }
            j += 1;
            loop {
                if j >= c.len() {
                    break;
                }
                if c[j] == '"' && (1..=hashes).all(|k| at(j + k) == '#') {
                    j += 1 + hashes;
                    break;
                }
                if c[j] == '\n' {
                    line += 1;
                }
                j += 1;
            }
            i = j;
        } else if ch == '"' {
            i += 1;
            while i < c.len() && c[i] != '"' {
                if c[i] == '\\' {
                    i += 1;
                }
                if at(i) == '\n' {
                    line += 1;
                }
                i += 1;
            }
            i += 1;
        } else if ch == '\'' {
            // a char literal ('x', '\n', '\u{..}') or a lifetime ('a)
            if at(i + 1) == '\\' {
                i += 2;
                while i < c.len() && c[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if at(i + 2) == '\'' {
                i += 3;
            } else {
                i += 1;
                while i < c.len() && is_ident(c[i]) {
                    i += 1;
                }
            }
        } else if is_ident(ch) {
            let s = i;
            while i < c.len() && is_ident(c[i]) {
                i += 1;
            }
            let word: String = c[s..i].iter().collect();
            // b"..." and b'x' are literals, not an identifier `b`
            if word == "b" && (at(i) == '"' || at(i) == '\'') {
                continue;
            }
            out.push((Tok::Ident(word), line));
        } else if ch == ':' && at(i + 1) == ':' {
            out.push((Tok::PathSep, line));
            i += 2;
        } else if ch.is_whitespace() {
            i += 1;
        } else {
            out.push((Tok::Punct(ch), line));
            i += 1;
        }
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn ident(t: Option<&(Tok, usize)>) -> Option<&str> {
    match t {
        Some((Tok::Ident(s), _)) => Some(s),
        _ => None,
    }
}

fn punct(t: Option<&(Tok, usize)>, p: char) -> bool {
    matches!(t, Some((Tok::Punct(q), _)) if *q == p)
}

/// The index after the item that starts at `i` (its attributes, then
/// tokens up to a `;` outside brackets or a `{ ... }` block).
fn skip_item(toks: &[(Tok, usize)], mut i: usize) -> usize {
    let mut depth = 0i32;
    while i < toks.len() {
        match &toks[i].0 {
            Tok::Punct('(') | Tok::Punct('[') => depth += 1,
            Tok::Punct(')') | Tok::Punct(']') => depth -= 1,
            Tok::Punct(';') if depth == 0 => return i + 1,
            Tok::Punct('{') if depth == 0 => {
                let mut d = 0;
                while i < toks.len() {
                    match toks[i].0 {
                        Tok::Punct('{') => d += 1,
                        Tok::Punct('}') => {
                            d -= 1;
                            if d == 0 {
                                return i + 1;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
                return i;
            }
            _ => {}
        }
        i += 1;
    }
    i
}

/// Removes `#[cfg(test)]` items; returns the names of test-only `mod x;`
/// declarations (their files are skipped too).
fn strip_tests(toks: Vec<(Tok, usize)>) -> (Vec<(Tok, usize)>, Vec<String>) {
    let pat = [Tok::Punct('#'), Tok::Punct('['), Tok::Ident("cfg".into()), Tok::Punct('('), Tok::Ident("test".into()), Tok::Punct(')'), Tok::Punct(']')];
    let (mut out, mut test_mods) = (Vec::new(), Vec::new());
    let mut i = 0;
    while i < toks.len() {
        if toks.len() - i >= pat.len() && toks[i..i + pat.len()].iter().map(|t| &t.0).eq(pat.iter()) {
            let end = skip_item(&toks, i + pat.len());
            let item = &toks[i + pat.len()..end];
            if let Some(k) = item.iter().position(|t| t.0 == Tok::Ident("mod".into()))
                && punct(item.get(k + 2), ';')
            {
                test_mods.push(ident(item.get(k + 1)).unwrap_or_default().to_string());
            }
            i = end;
        } else {
            out.push(toks[i].clone());
            i += 1;
        }
    }
    (out, test_mods)
}

/// Expands a `use` tree starting at `i` into paths; returns the index after it.
fn use_tree(toks: &[(Tok, usize)], mut i: usize, prefix: Vec<String>, out: &mut Vec<Vec<String>>) -> usize {
    let mut path = prefix;
    loop {
        match toks.get(i).map(|t| &t.0) {
            Some(Tok::Ident(s)) if s == "as" => {
                i += 2;
                out.push(path);
                return i;
            }
            Some(Tok::Ident(s)) => {
                path.push(s.clone());
                i += 1;
            }
            Some(Tok::PathSep) => i += 1,
            Some(Tok::Punct('*')) => {
                out.push(path);
                return i + 1;
            }
            Some(Tok::Punct('{')) => {
                i += 1;
                loop {
                    if punct(toks.get(i), '}') {
                        return i + 1;
                    }
                    if punct(toks.get(i), ',') {
                        i += 1;
                        continue;
                    }
                    if i >= toks.len() {
                        return i;
                    }
                    i = use_tree(toks, i, path.clone(), out);
                }
            }
            _ => {
                out.push(path);
                return i;
            }
        }
    }
}

struct Ref {
    line: usize,
    path: Vec<String>, // absolute, from the crate root
}

/// Every reference in a file to an absolute module path.
fn refs(toks: &[(Tok, usize)], module: &[String]) -> Vec<Ref> {
    let mut out = Vec::new();
    // inline modules: (name, brace depth inside them)
    let mut inline: Vec<(String, i32)> = Vec::new();
    let mut depth = 0i32;
    let mut i = 0;
    let resolve = |raw: Vec<String>, inline: &[(String, i32)]| -> Option<Vec<String>> {
        let mut here: Vec<String> = module.to_vec();
        here.extend(inline.iter().map(|m| m.0.clone()));
        let mut it = raw.into_iter().peekable();
        match it.peek().map(|s| s.as_str()) {
            Some("crate") => {
                it.next();
                here.clear();
            }
            Some("super") => {
                while it.peek().map(|s| s.as_str()) == Some("super") {
                    it.next();
                    here.pop();
                }
            }
            Some("self") => {
                it.next();
            }
            _ => return None,
        }
        here.extend(it);
        Some(here)
    };
    while i < toks.len() {
        match &toks[i].0 {
            Tok::Punct('{') => {
                depth += 1;
                i += 1;
            }
            Tok::Punct('}') => {
                if inline.last().is_some_and(|m| m.1 == depth) {
                    inline.pop();
                }
                depth -= 1;
                i += 1;
            }
            Tok::Ident(s) if s == "mod" && punct(toks.get(i + 2), '{') => {
                inline.push((ident(toks.get(i + 1)).unwrap_or_default().to_string(), depth + 1));
                i += 2;
            }
            Tok::Ident(s) if s == "use" => {
                let line = toks[i].1;
                let mut paths = Vec::new();
                let mut j = i + 1;
                if toks.get(j).map(|t| &t.0) == Some(&Tok::PathSep) {
                    j += 1;
                }
                i = use_tree(toks, j, Vec::new(), &mut paths);
                for p in paths {
                    if let Some(path) = resolve(p, &inline) {
                        out.push(Ref { line, path });
                    }
                }
            }
            Tok::Ident(s)
                if matches!(s.as_str(), "crate" | "super" | "self")
                    && toks.get(i + 1).map(|t| &t.0) == Some(&Tok::PathSep)
                    && toks.get(i.wrapping_sub(1)).map(|t| &t.0) != Some(&Tok::PathSep) =>
            {
                // `pub(in crate::x)` names who may see an item, not a dependency
                let visibility = ident(toks.get(i.wrapping_sub(1))) == Some("in") && punct(toks.get(i.wrapping_sub(2)), '(');
                let line = toks[i].1;
                let mut raw = vec![s.clone()];
                let mut j = i + 1;
                while toks.get(j).map(|t| &t.0) == Some(&Tok::PathSep) {
                    match ident(toks.get(j + 1)) {
                        Some(n) => raw.push(n.to_string()),
                        None => break,
                    }
                    j += 2;
                }
                if !visibility && let Some(path) = resolve(raw, &inline) {
                    out.push(Ref { line, path });
                }
                i = j;
            }
            _ => i += 1,
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// One reference from a file of one engine module to another module.
#[derive(Debug)]
struct Edge {
    file: String, // relative to src/engine
    line: usize,
    from: String,
    to: String,
}

/// Every cross-module reference of the engine's non-test code.
fn engine_edges() -> Vec<Edge> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let engine = src.join("engine");
    let mut files = Vec::new();
    rust_files(&engine, &mut files);
    let mut parsed = Vec::new();
    let mut test_files = BTreeSet::new();
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap().with_extension("");
        let mut module: Vec<String> = rel.iter().map(|s| s.to_string_lossy().into_owned()).collect();
        if module.last().is_some_and(|s| s == "mod") {
            module.pop();
        }
        let (toks, test_mods) = strip_tests(lex(&std::fs::read_to_string(f).unwrap()));
        for m in test_mods {
            let mut child = module.clone();
            child.push(m);
            test_files.insert(child);
        }
        parsed.push((f.strip_prefix(&engine).unwrap().to_string_lossy().into_owned(), module, toks));
    }
    // the root's re-exports (`pub use cluster::{Cluster, Input}`)
    let mut root_names = BTreeMap::new();
    for (file, _, toks) in &parsed {
        if file == "mod.rs" {
            for (i, t) in toks.iter().enumerate() {
                if t.0 == Tok::Ident("use".into()) {
                    let mut paths = Vec::new();
                    use_tree(toks, i + 1, Vec::new(), &mut paths);
                    for p in paths {
                        if p.len() >= 2 {
                            root_names.insert(p.last().unwrap().clone(), p[0].clone());
                        }
                    }
                }
            }
        }
    }
    let component = |m: &[String]| -> String {
        match m.get(1) {
            None => "(root)".to_string(),
            Some(name) => root_names.get(name).cloned().unwrap_or_else(|| name.clone()),
        }
    };
    let mut edges = Vec::new();
    for (file, module, toks) in &parsed {
        if test_files.iter().any(|t| module.starts_with(t)) {
            continue;
        }
        let from = component(module);
        for r in refs(toks, module) {
            let to = if r.path.first().map(|s| s.as_str()) == Some("engine") { component(&r.path) } else { format!("crate::{}", r.path.join("::")) };
            if to != from {
                edges.push(Edge { file: file.clone(), line: r.line, from: from.clone(), to });
            }
        }
    }
    edges
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, ms)| ms.contains(&module))
}

/// References that point up the table, or across a row (row-mates are
/// peers: none uses another), or out of the engine.
fn violations(edges: &[Edge]) -> Vec<&Edge> {
    edges
        .iter()
        .filter(|e| match (layer_of(&e.from), layer_of(&e.to)) {
            (Some(a), Some(b)) => b >= a,
            _ => true,
        })
        .collect()
}

#[test]
fn every_engine_module_has_a_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/engine");
    for e in std::fs::read_dir(&src).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_stem().unwrap().to_string_lossy().into_owned();
        if name == "mod" {
            continue;
        }
        assert!(layer_of(&name).is_some(), "src/engine/{name}: add it to LAYERS in tests/layers.rs (and ARCHITECTURE.md)");
    }
}

#[test]
fn engine_layers_point_down() {
    let edges = engine_edges();
    let mut bad = Vec::new();
    let mut used = BTreeSet::new();
    for e in violations(&edges) {
        match ALLOWED.iter().position(|a| a.0 == e.file && a.1 == e.to) {
            Some(k) => {
                used.insert(k);
            }
            None => bad.push(format!(
                "src/engine/{}:{}: {} ({}) uses {} ({})",
                e.file,
                e.line,
                e.from,
                layer_of(&e.from).map_or("no layer", |l| LAYERS[l].0),
                e.to,
                layer_of(&e.to).map_or("no layer", |l| LAYERS[l].0),
            )),
        }
    }
    for (k, a) in ALLOWED.iter().enumerate() {
        if !used.contains(&k) {
            bad.push(format!("ALLOWED entry ({:?}, {:?}) matches nothing any more: remove it", a.0, a.1));
        }
    }
    assert!(bad.is_empty(), "{} references break the engine's layering (ARCHITECTURE.md, \"Layers\"):\n{}\n", bad.len(), bad.join("\n"));
}

/// The modules' graph (every reference but the ALLOWED ones) is acyclic:
/// its strongly connected components are single modules.
#[test]
fn engine_has_no_import_cycle() {
    let edges = engine_edges();
    let mut graph: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for e in &edges {
        graph.entry(&e.from).or_default();
        if ALLOWED.iter().any(|a| a.0 == e.file && a.1 == e.to) {
            continue;
        }
        graph.entry(&e.from).or_default().insert(&e.to);
        graph.entry(&e.to).or_default();
    }
    let cycles = strongly_connected(&graph).into_iter().filter(|c| c.len() > 1).collect::<Vec<_>>();
    let show = |c: &Vec<&str>| {
        let mut lines = BTreeSet::new();
        for e in &edges {
            if c.contains(&e.from.as_str()) && c.contains(&e.to.as_str()) {
                lines.insert(format!("\n    src/engine/{}:{}: {} -> {}", e.file, e.line, e.from, e.to));
            }
        }
        c.join(", ") + &lines.into_iter().collect::<String>()
    };
    assert!(cycles.is_empty(), "import cycles between engine modules:\n{}\n", cycles.iter().map(show).collect::<Vec<_>>().join("\n"));
}

/// The kubelet runs containers through the container runtime interface
/// (`cri::ContainerRuntime`) only: no reference from its files to
/// `programs`, which the cluster plugs in behind the interface.
#[test]
fn the_kubelet_reaches_programs_only_through_cri() {
    let bad: Vec<String> =
        engine_edges().iter().filter(|e| e.from == "kubelet" && e.to == "programs").map(|e| format!("src/engine/{}:{}", e.file, e.line)).collect();
    assert!(bad.is_empty(), "the kubelet uses programs directly (go through cri::ContainerRuntime):\n{}\n", bad.join("\n"));
}

/// Every write goes through the API server: outside src/engine/apiserver/
/// (and the store itself), no code calls `store.put(..)` or
/// `store.remove(..)`. (Rust cannot restrict the methods to a module that
/// is not the store's ancestor, so this test does.)
#[test]
fn only_the_api_server_writes_the_store() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut bad = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap().to_string_lossy().replace('\\', "/");
        if rel.starts_with("engine/apiserver/") || rel == "engine/store.rs" {
            continue;
        }
        let (toks, _) = strip_tests(lex(&std::fs::read_to_string(f).unwrap()));
        for w in toks.windows(4) {
            if ident(w.first()) == Some("store") && punct(w.get(1), '.') && matches!(ident(w.get(2)), Some("put" | "remove")) && punct(w.get(3), '(') {
                bad.push(format!("src/{rel}:{}", w[0].1));
            }
        }
    }
    assert!(bad.is_empty(), "writes to the store that bypass the API server (use `Api`):\n{}\n", bad.join("\n"));
}

/// Tarjan's algorithm.
fn strongly_connected<'a>(graph: &BTreeMap<&'a str, BTreeSet<&'a str>>) -> Vec<Vec<&'a str>> {
    struct S<'a, 'g> {
        g: &'g BTreeMap<&'a str, BTreeSet<&'a str>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        out: Vec<Vec<&'a str>>,
    }
    fn visit<'a>(s: &mut S<'a, '_>, v: &'a str) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on.insert(v);
        for &w in &s.g[v] {
            if !s.index.contains_key(w) {
                visit(s, w);
                let l = s.low[v].min(s.low[w]);
                s.low.insert(v, l);
            } else if s.on.contains(w) {
                let l = s.low[v].min(s.index[w]);
                s.low.insert(v, l);
            }
        }
        if s.low[v] == s.index[v] {
            let mut c = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on.remove(w);
                c.push(w);
                if w == v {
                    break;
                }
            }
            c.sort();
            s.out.push(c);
        }
    }
    let mut s = S { g: graph, index: BTreeMap::new(), low: BTreeMap::new(), stack: Vec::new(), on: BTreeSet::new(), out: Vec::new() };
    for &v in graph.keys() {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.out
}

#[test]
fn the_lexer_and_resolver_see_what_rustc_sees() {
    let src = r##"
        // use crate::engine::kubelet;
        /* crate::engine::cluster /* nested */ crate::engine::cluster */
        use crate::engine::{api::{Pod, self}, store::Store as S};
        use super::pvbinder::update_t;
        fn f<'a>(x: &'a str) -> char { let _ = "crate::engine::world"; let _ = r#"crate::engine::world"#; let _ = b"x"; '"' }
        pub(in crate::engine::apiserver) fn g() { crate::engine::time::now(); }
        mod inner { use super::super::rng; }
        #[cfg(test)]
        mod tests { use crate::engine::Cluster; }
        #[cfg(test)]
        mod testkit;
    "##;
    let (toks, test_mods) = strip_tests(lex(src));
    assert_eq!(test_mods, vec!["testkit".to_string()]);
    let module: Vec<String> = ["engine", "controllers", "provisioner"].iter().map(|s| s.to_string()).collect();
    let got: Vec<String> = refs(&toks, &module).iter().map(|r| format!("{}:{}", r.line, r.path.join("::"))).collect();
    assert_eq!(
        got,
        [
            "4:engine::api::Pod",
            "4:engine::api::self",
            "4:engine::store::Store",
            "5:engine::controllers::pvbinder::update_t",
            "7:engine::time::now",
            "8:engine::controllers::rng",
        ]
    );
}
