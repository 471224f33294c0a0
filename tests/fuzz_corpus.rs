//! The fuzz corpus (fuzz/corpus/<target>/, seeds and every input a fuzzer
//! found interesting, crashes included) replayed through the fuzz targets'
//! bodies as ordinary tests: what once crashed stays fixed, on any machine,
//! without cargo-fuzz.

use std::path::Path;

fn replay(target: &str, f: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(!files.is_empty(), "{}: no corpus", dir.display());
    for p in files {
        let data = std::fs::read(&p).unwrap();
        let t = std::time::Instant::now();
        if let Err(e) = std::panic::catch_unwind(|| f(&data)) {
            let msg = e.downcast_ref::<String>().cloned().or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default();
            panic!("{}: {msg}", p.display());
        }
        assert!(t.elapsed().as_secs() < 60, "{}: {:?}", p.display(), t.elapsed());
    }
}

#[test]
fn yaml_corpus() {
    replay("yaml", kubarium::fuzzing::yaml);
}

#[test]
fn kubectl_corpus() {
    replay("kubectl", kubarium::fuzzing::kubectl);
}

#[test]
fn share_link_corpus() {
    replay("share_link", kubarium::fuzzing::share_link);
}

#[test]
fn transcript_corpus() {
    replay("transcript", kubarium::fuzzing::transcript);
}

/// Writes a real link into the share_link corpus (run once, by hand:
/// `cargo test --test fuzz_corpus -- --ignored`).
#[test]
#[ignore]
fn write_share_link_seed() {
    let mut p = kubarium::ui::state::Page::new();
    p.run("kubectl create deployment web --image=nginx --replicas=2", "");
    p.advance(30_000);
    p.run("cluster node stop node-a", "");
    let link = kubarium::ui::share::encode(&p.save(), Some(10_000));
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/share_link");
    std::fs::write(dir.join("session"), format!("#{link}")).unwrap();
    std::fs::write(dir.join("session.json"), p.save_json()).unwrap();
}
