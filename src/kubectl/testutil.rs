//! Test helpers for the output side: objects from JSON, and the transcript
//! matcher (`[..]` matches any run of characters within a line, a line of
//! `...` any number of lines) so expected text can be pasted from
//! /work/shared/transcripts.

use crate::engine::api::{Kind, Object};
use crate::engine::time::{EPOCH, MINUTE, Time};
use serde_json::Value;
use std::rc::Rc;

/// The fixed "now" of the output tests: ten minutes after the epoch.
pub const NOW: Time = Time(EPOCH + 10 * MINUTE);

/// A time `ago` milliseconds before [`NOW`], as RFC 3339.
pub fn ago(ms: i64) -> String {
    Time(NOW.0 - ms).rfc3339()
}

/// Decodes an object from a JSON manifest (apiVersion and kind pick the type).
pub fn obj(v: Value) -> Rc<Object> {
    let kind = Kind::from_type_meta(v["apiVersion"].as_str().unwrap_or(""), v["kind"].as_str().unwrap_or("")).expect("known kind");
    let (o, unknown) = Object::from_value(kind, &v).expect("decodes");
    assert!(unknown.is_empty(), "unknown fields in test object: {unknown:?}");
    Rc::new(o.with_type_meta())
}

fn line_matches(actual: &str, pattern: &str) -> bool {
    let parts: Vec<&str> = pattern.split("[..]").collect();
    if parts.len() == 1 {
        return actual == pattern;
    }
    let mut rest = actual;
    let Some(r) = rest.strip_prefix(parts[0]) else {
        return false;
    };
    rest = r;
    let last = parts[parts.len() - 1];
    for p in &parts[1..parts.len() - 1] {
        match rest.find(p) {
            Some(i) => rest = &rest[i + p.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

fn lines_match(actual: &[&str], expected: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((&"...", rest)) => (0..=actual.len()).any(|k| lines_match(&actual[k..], rest)),
        Some((e, rest)) => !actual.is_empty() && line_matches(actual[0], e) && lines_match(&actual[1..], rest),
    }
}

/// Asserts that `actual` matches transcript-style `expected` text.
#[track_caller]
pub fn assert_matches(actual: &str, expected: &str) {
    let a: Vec<&str> = actual.strip_suffix('\n').unwrap_or(actual).split('\n').collect();
    let e: Vec<&str> = expected.strip_suffix('\n').unwrap_or(expected).split('\n').collect();
    assert!(lines_match(&a, &e), "output does not match.\n--- actual ---\n{actual}\n--- expected ---\n{expected}\n");
}

#[test]
fn matcher_semantics() {
    assert!(line_matches("pvc-1234   1Gi", "pvc-[..]   1Gi"));
    assert!(!line_matches("pvc-1234   2Gi", "pvc-[..]   1Gi"));
    assert!(line_matches("a b c", "a[..]c"));
    assert!(line_matches("ac", "a[..]c"));
    assert!(lines_match(&["x", "y", "z"], &["x", "...", "z"]));
    assert!(!lines_match(&["x", "y"], &["x"]));
}
