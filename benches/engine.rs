//! Engine benchmarks (`cargo bench --bench engine`). Prints its figures.
//!
//! 1. settle: a 1,000-replica StatefulSet (Parallel) and a 1,000-replica
//!    Deployment on 100 nodes, applied and settled.
//! 2. cost per event: with N pods running, delete one pod and let the
//!    cluster replace it; the time per resulting store change, at N = 100
//!    and N = 10,000, and their ratio.
//!
//! The scenarios live in `src/bench.rs`. The same engine in wasm is timed
//! in Chromium by `make bench-page` (settling 1,000-pod workloads from the
//! page's console).

use kubarium::bench;
use std::time::Instant;

fn main() {
    // A quick, reduced run when cargo test --benches invokes us.
    let quick = std::env::args().any(|a| a == "--quick" || a == "--test");
    let runs = if quick { 1 } else { 5 };

    let mut settle = vec![];
    let mut setup_stats = None;
    for _ in 0..runs {
        let mut c = bench::cluster_with_nodes(100);
        let t = Instant::now();
        let stats = bench::apply_and_settle(&mut c, 1000, 1000);
        settle.push(t.elapsed().as_secs_f64() * 1e3);
        setup_stats = Some(stats);
    }
    settle.sort_by(|a, b| a.total_cmp(b));
    let s = setup_stats.expect("ran");
    println!("settle 1000-replica StatefulSet (Parallel) + 1000-replica Deployment on 100 nodes:");
    println!("  median {:.1} ms (min {:.1}, max {:.1}) over {runs} runs", settle[settle.len() / 2], settle[0], settle[settle.len() - 1]);
    println!("  {} pods running, {} store changes, {} simulated to settle", s.pods, s.changes, kubarium::engine::time::go_duration(s.simulated_ms));

    let sizes: &[usize] = if quick { &[100, 1000] } else { &[100, 10_000] };
    let mut per_event = vec![];
    for &n in sizes {
        let mut c = bench::cluster_with_pods(n);
        let samples = if quick { 5 } else { 40 };
        let t = Instant::now();
        let changes = bench::churn(&mut c, samples);
        let elapsed = t.elapsed();
        let ns = elapsed.as_secs_f64() * 1e9 / changes.max(1) as f64;
        println!("cost per event with {n} pods: {:.0} ns ({changes} changes in {samples} pod replacements)", ns);
        per_event.push(ns);
    }
    println!("ratio (largest / smallest): {:.2}x", per_event[per_event.len() - 1] / per_event[0]);
}
