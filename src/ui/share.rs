//! Share links: the whole session (seed, input log, editor text, namespace,
//! time position) in the URL fragment, so no server is needed and opening
//! the link replays it deterministically. `k1.` + base64url(deflate(JSON)).
//! Hostile or truncated links give a readable error, never a panic.

use crate::ui::state::{Page, SAVE_VERSION, Saved};

const PREFIX: &str = "k1.";
/// A decoded session larger than this is refused (a zip bomb, or not ours).
const MAX_JSON: usize = 8 << 20;

/// The fragment (without `#`) for a session, positioned at `at` ms.
pub fn encode(saved: &Saved, at: Option<i64>) -> String {
    // The position is one more field of the session (`Saved::at`).
    let json = serde_json::to_vec(&Saved { at, ..saved.clone() }).unwrap_or_default();
    let packed = miniz_oxide::deflate::compress_to_vec(&json, 9);
    format!("{PREFIX}{}", crate::engine::base64::encode_url(&packed))
}

const DAMAGED: &str = "This share link is damaged (it was probably cut off when it was copied)";

/// Reads a fragment (with or without `#`).
pub fn decode(fragment: &str) -> Result<(Saved, Option<i64>), String> {
    let f = fragment.trim().trim_start_matches('#');
    let Some(body) = f.strip_prefix(PREFIX) else {
        return Err("This link does not contain a Kubarium session (it should start with #k1.).".into());
    };
    let packed = crate::engine::base64::decode(body).map_err(|(c, at)| format!("{DAMAGED}: character {c:?} at position {at} is not part of a share link."))?;
    let json = miniz_oxide::inflate::decompress_to_vec_with_limit(&packed, MAX_JSON).map_err(|e| match e.status {
        miniz_oxide::inflate::TINFLStatus::HasMoreOutput => "This share link holds more than 8 MiB of session: it was not made by Kubarium.".to_string(),
        _ => format!("{DAMAGED}: its data does not decompress."),
    })?;
    // Read as text, as a save is (one instantiation of serde_json's reader for `Saved`, not two).
    let text = std::str::from_utf8(&json).map_err(|e| format!("This share link's session is not readable: {e}."))?;
    let mut saved: Saved = serde_json::from_str(text).map_err(|e| format!("This share link's session is not readable: {e}."))?;
    if saved.version != SAVE_VERSION {
        return Err(format!("This share link was made by another version of Kubarium (session format {}, this page reads {SAVE_VERSION}).", saved.version));
    }
    let at = saved.at.take();
    Ok((saved, at))
}

/// Opens a share link's session (with or without `#`), replayed and
/// positioned where it was shared, paused.
pub fn open(fragment: &str) -> Result<Page, String> {
    let (saved, at) = decode(fragment)?;
    let mut p = Page::restore(saved)?;
    if let Some(at) = at.filter(|at| *at < p.elapsed()) {
        p.scrub(at);
    }
    p.playing = false;
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The URL-safe alphabet, to make random fragments from.
    const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    fn session() -> Page {
        let mut p = Page::new();
        let (_, text) = crate::ui::examples::FILES.iter().find(|(id, _)| *id == "statefulset-basics").unwrap();
        let ex = crate::ui::examples::parse("statefulset-basics", text);
        p.set_editor(ex.manifests[0].yaml.clone());
        p.apply();
        p.advance(60_000);
        p.run("kubectl scale statefulset web --replicas=3", "");
        p.advance(30_000);
        p.run("cluster node stop node-b", "");
        p.advance(90_000);
        p
    }

    #[test]
    fn a_link_round_trips_exactly_and_is_short() {
        let p = session();
        let link = encode(&p.save(), Some(100_000));
        // A StatefulSet + Service apply, a scale, a node stop and time: about 1.2 KB.
        assert!(link.len() < 2_500, "{} bytes", link.len());
        let (saved, at) = decode(&format!("#{link}")).unwrap();
        assert_eq!(at, Some(100_000));
        let q = Page::restore(saved).unwrap();
        assert_eq!(q.cluster().api.store.resource_version(), p.cluster().api.store.resource_version());
        assert_eq!(q.editor, p.editor);
        assert_eq!(q.elapsed(), p.elapsed());
    }

    #[test]
    fn links_made_before_the_position_moved_into_the_session_still_open() {
        // Earlier links wrote the session's fields with `"at"` beside them
        // (null for the end): the same JSON `Saved::at` reads.
        let p = session();
        let mut v = serde_json::to_value(p.save()).unwrap();
        for (at, want) in [(serde_json::json!(100_000), Some(100_000)), (serde_json::Value::Null, None)] {
            v["at"] = at;
            let json = serde_json::to_vec(&v).unwrap();
            let link = format!("{PREFIX}{}", crate::engine::base64::encode_url(&miniz_oxide::deflate::compress_to_vec(&json, 9)));
            let (saved, got) = decode(&link).unwrap();
            assert_eq!((got, saved.at), (want, None));
        }
        // A save never holds a position.
        assert!(serde_json::to_value(p.save()).unwrap().get("at").is_none());
    }

    #[test]
    fn damaged_links_explain_themselves() {
        let link = encode(&session().save(), None);
        assert!(decode("#hello").unwrap_err().contains("does not contain a Kubarium session"));
        assert!(decode(&link[..link.len() / 2]).unwrap_err().contains("damaged"));
        assert!(decode("k1.%%%").unwrap_err().contains("is not part of a share link"));
        assert!(decode(&format!("k1.{}", crate::engine::base64::encode_url(b"not deflate at all"))).unwrap_err().contains("damaged"));
        let odd = miniz_oxide::deflate::compress_to_vec(br#"{"version":7,"seed":1,"inputs":[],"editor":"","namespace":"default"}"#, 6);
        assert!(decode(&format!("k1.{}", crate::engine::base64::encode_url(&odd))).unwrap_err().contains("another version"));
        let junk = miniz_oxide::deflate::compress_to_vec(b"[1,2,3]", 6);
        assert!(decode(&format!("k1.{}", crate::engine::base64::encode_url(&junk))).unwrap_err().contains("not readable"));
        let bomb = miniz_oxide::deflate::compress_to_vec(&vec![b' '; 9 << 20], 9);
        assert!(decode(&format!("k1.{}", crate::engine::base64::encode_url(&bomb))).unwrap_err().contains("more than 8 MiB"));
    }

    #[test]
    fn random_and_truncated_input_never_panics() {
        let link = encode(&session().save(), None);
        for cut in (0..link.len()).step_by(7) {
            let _ = decode(&link[..cut]);
        }
        let mut x: u64 = 0x2545F4914F6CDD1D;
        for _ in 0..2000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = (x % 200) as usize;
            let s: String = (0..len).map(|i| B64[((x >> (i % 58)) as usize + i) % 64] as char).collect();
            let _ = decode(&format!("k1.{s}"));
        }
    }
}

#[cfg(test)]
mod generated_objects {
    use crate::ui::state::Page;

    /// `kubectl create deployment` builds a typed object without
    /// apiVersion/kind; the input log must still carry them for replay.
    #[test]
    fn objects_made_by_kubectl_create_generators_replay() {
        let mut p = Page::new();
        p.tick(100.0);
        p.run("kubectl create deployment web --image=nginx:1.25 --replicas=2", "");
        p.settle();
        let saved = p.save();
        let q = Page::restore(saved).unwrap();
        assert_eq!(q.cluster().api.store.resource_version(), p.cluster().api.store.resource_version());
    }
}
