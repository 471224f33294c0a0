//! Engine benchmarks (`cargo bench --bench engine [-- NAME...]`). Prints its
//! figures. With no names, runs them all.
//!
//! - settle: a 1,000-replica StatefulSet (Parallel) and a 1,000-replica
//!   Deployment on 100 nodes, applied and settled.
//! - churn: with N pods running, delete one pod and let the cluster replace
//!   it; the time per resulting store change, at N = 100 and N = 10,000, and
//!   their ratio.
//!
//! - heap: the live heap after 1, 10, 60 and 120 simulated minutes of a busy
//!   session (`bench::busy_commands`: a StatefulSet and a Deployment scaled
//!   and rolled out, data written, pods deleted, a node stopped and started),
//!   on the page (with its checkpoints) and on the engine alone. A counting
//!   global allocator measures it.
//! - scrub: the page's scrubbing to instants of that 60-minute session,
//!   from its checkpoints, and (before them) replaying from the seed.
//!
//! The scenarios live in `src/bench.rs`. The same engine in wasm is timed
//! in Chromium by `make bench-page` (settling 1,000-pod workloads from the
//! page's console).

use kubarium::bench;
use kubarium::engine::Cluster;
use kubarium::engine::time::{Millis, Time};
use kubarium::kubectl::session::{DEFAULT_SEED, Session};
use kubarium::ui::state::Page;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// The system allocator, counting the bytes allocated and not yet freed.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size(), Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size(), Ordering::Relaxed);
        unsafe { System.alloc_zeroed(l) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, l) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, l: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size, Ordering::Relaxed);
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        unsafe { System.realloc(ptr, l, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn live_mib() -> f64 {
    LIVE.load(Ordering::Relaxed) as f64 / (1024.0 * 1024.0)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn settle(quick: bool) {
    let runs = if quick { 1 } else { 5 };
    let mut times = vec![];
    let mut stats = None;
    for _ in 0..runs {
        let mut c = bench::cluster_with_nodes(100);
        let t = Instant::now();
        let s = bench::apply_and_settle(&mut c, 1000, 1000);
        times.push(t.elapsed().as_secs_f64() * 1e3);
        stats = Some(s);
    }
    let s = stats.expect("ran");
    let m = median(&mut times);
    println!("settle 1000-replica StatefulSet (Parallel) + 1000-replica Deployment on 100 nodes:");
    println!("  median {m:.1} ms (min {:.1}, max {:.1}) over {runs} runs", times[0], times[times.len() - 1]);
    println!("  {} pods running, {} store changes, {} simulated to settle", s.pods, s.changes, kubarium::engine::time::go_duration(s.simulated_ms));
}

fn churn(quick: bool) {
    let sizes: &[usize] = if quick { &[100, 1000] } else { &[100, 10_000] };
    let mut per_event = vec![];
    for &n in sizes {
        let mut c = bench::cluster_with_pods(n);
        let samples = if quick { 5 } else { 40 };
        let t = Instant::now();
        let changes = bench::churn(&mut c, samples);
        let elapsed = t.elapsed();
        let ns = elapsed.as_secs_f64() * 1e9 / changes.max(1) as f64;
        println!("cost per event with {n} pods: {ns:.0} ns ({changes} changes in {samples} pod replacements)");
        per_event.push(ns);
    }
    println!("ratio (largest / smallest): {:.2}x", per_event[per_event.len() - 1] / per_event[0]);
}

/// Plays `minutes` of the busy session on the page, one second at a time
/// (the page at 100x moves the clock about that much per frame); `each`
/// sees the page after every minute.
fn busy_page(minutes: u32, mut each: impl FnMut(u32, &Page)) -> Page {
    let mut p = Page::new();
    p.playing = false;
    for m in 0..minutes {
        for (k, cmd) in bench::busy_commands(m).iter().enumerate() {
            p.run(cmd, if m == 0 && k == 0 { bench::BUSY_MANIFESTS } else { "" });
            for _ in 0..15 {
                p.advance(1_000);
            }
        }
        each(m + 1, &p);
    }
    p
}

/// The same session on the engine alone (a kubectl session, no page).
fn busy_engine(minutes: u32, mut each: impl FnMut(u32, &Session)) {
    let mut s = Session::new(DEFAULT_SEED);
    for m in 0..minutes {
        for (k, cmd) in bench::busy_commands(m).iter().enumerate() {
            s.run(cmd, if m == 0 && k == 0 { bench::BUSY_MANIFESTS } else { "" });
            s.cluster.advance(15_000);
        }
        each(m + 1, &s);
    }
}

fn heap() {
    let marks = [1, 10, 60, 120];
    println!("live heap during a busy session (MiB at 1, 10, 60 and 120 simulated minutes):");
    let base = live_mib();
    let mut engine = vec![];
    busy_engine(120, |m, s| {
        if marks.contains(&m) {
            // what one checkpoint of it costs: a copy without the log
            let before = live_mib();
            let copy = s.cluster.without_log();
            let checkpoint = live_mib() - before;
            drop(copy);
            engine.push((m, before - base, s.cluster.api.store.count(kubarium::engine::api::Kind::Event), s.cluster.log().len(), checkpoint));
        }
    });
    for (m, mib, events, inputs, checkpoint) in &engine {
        println!("  engine alone, {m:>2} min: {mib:.2} MiB ({events} events stored, {inputs} inputs logged; a checkpoint of it {checkpoint:.2} MiB)");
    }
    let base = live_mib();
    let mut page = vec![];
    let p = busy_page(120, |m, p| {
        if marks.contains(&m) {
            page.push((m, live_mib() - base, p.timeline_stats()));
        }
    });
    for (m, mib, (n, spacing, est)) in &page {
        println!("  page,         {m:>2} min: {mib:.2} MiB ({n} checkpoints {}s apart, estimated {:.1} MiB)", spacing / 1000, *est as f64 / (1024.0 * 1024.0));
    }
    drop(p);
    println!("  ratio 60 min / 10 min: engine {:.2}x, page {:.2}x", engine[2].1 / engine[1].1, page[2].1 / page[1].1);
    println!("  ratio 120 min / 60 min: engine {:.2}x, page {:.2}x", engine[3].1 / engine[2].1, page[3].1 / page[2].1);
}

fn scrub(quick: bool) {
    let minutes = if quick { 5 } else { 60 };
    let mut p = busy_page(minutes, |_, _| {});
    let inputs = p.cluster().log().to_vec();
    let head = p.head();
    let seed = p.cluster().seed();
    let (n, spacing, _) = p.timeline_stats();
    println!("scrubbing a {minutes}-minute busy session ({} inputs, {n} checkpoints {}s apart):", inputs.len(), spacing / 1000);
    // the instants: a fixed pseudo-random sequence over the session
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % (head as u64 + 1)) as Millis
    };
    let samples = if quick { 5 } else { 60 };
    let mut times = vec![];
    for _ in 0..samples {
        let at = next();
        let t = Instant::now();
        p.scrub(at);
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let mut sorted = times.clone();
    let m = median(&mut sorted);
    println!(
        "  from checkpoints: median {m:.1} ms, p95 {:.1} ms, max {:.1} ms over {samples} instants (first {:.1} ms)",
        sorted[samples * 95 / 100],
        sorted[samples - 1],
        times[0]
    );
    let start = Page::new().cluster().now();
    for frac in [2, 1] {
        let at = Time(start.0 + head / frac);
        let t = Instant::now();
        let (c, _) = Cluster::replay_until(seed, &inputs, at);
        println!("  from the seed (before checkpoints), to {} min: {:.1} ms", (c.now().0 - start.0) / 60_000, t.elapsed().as_secs_f64() * 1e3);
    }
}

fn main() {
    // A quick, reduced run when cargo test --benches invokes us.
    let quick = std::env::args().any(|a| a == "--quick" || a == "--test");
    let names: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let want = |n: &str| names.is_empty() || names.iter().any(|x| x == n);
    if want("settle") {
        settle(quick);
    }
    if names.iter().any(|x| x == "settle1") {
        // one run, one line, for benches/wasm/run.mjs
        let mut c = bench::cluster_with_nodes(100);
        let t = Instant::now();
        let s = bench::apply_and_settle(&mut c, 1000, 1000);
        println!("settle1 ms={:.1} pods={}", t.elapsed().as_secs_f64() * 1e3, s.pods);
        return;
    }
    if want("churn") {
        churn(quick);
    }
    if want("heap") {
        heap();
    }
    if want("scrub") {
        scrub(quick);
    }
}
