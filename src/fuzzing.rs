//! The fuzz targets' bodies (fuzz/ runs them under libFuzzer with
//! cargo-fuzz; tests/fuzz_corpus.rs replays the committed corpus through
//! them as ordinary tests, so every crash found stays a regression test).
//! Each takes arbitrary bytes and must neither panic nor hang: errors are
//! answers. Not part of the page (native only).

use crate::engine::api::{Kind, Object};
use crate::kubectl::session::Session;

/// The YAML parser and strict decoder, and the printer on what decodes.
pub fn yaml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(docs) = crate::engine::yaml::parse_stream(text) else { return };
    for d in docs.iter().take(16) {
        let _ = d.node.unsupported_value();
        let v = d.node.to_json();
        let _ = crate::engine::yaml::to_yaml(&v);
        let (Some(av), Some(k)) = (d.node.get("apiVersion").and_then(|n| n.as_str()), d.node.get("kind").and_then(|n| n.as_str())) else { continue };
        if let Some(kind) = Kind::from_type_meta(av, k)
            && let Ok((o, _)) = Object::decode(kind, &d.node)
        {
            let _ = crate::engine::yaml::to_yaml(&o.to_value());
        }
    }
}

/// kubectl's argument parser and command runner: the first line is a
/// command line, the rest its standard input; run on a fresh session, then
/// the session goes on with a few commands that read and wait.
pub fn kubectl(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (line, stdin) = text.split_once('\n').unwrap_or((text, ""));
    let mut s = Session::new(1);
    let _ = crate::kubectl::args::split_words(line);
    let _ = s.run(line, stdin);
    for follow in ["kubectl get all -A -o wide", "kubectl describe pods", "cluster advance 90s", "kubectl get events"] {
        let _ = s.run(follow, "");
    }
}

/// Share-link decoding, and restoring what decodes (bounded replay).
pub fn share_link(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok((saved, _)) = crate::ui::share::decode(text)
        && let Ok(p) = crate::ui::state::Page::restore(saved)
    {
        let _ = crate::ui::export::shell_script(&p.console, p.cluster());
    }
    // The same bytes as the JSON a link carries.
    if let Ok(p) = crate::ui::state::Page::restore_json(text) {
        let _ = p.save_json();
    }
}

/// The transcript parser (both syntaxes).
pub fn transcript(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = crate::transcript::parse(text, false);
    let _ = crate::transcript::parse(text, true);
}
