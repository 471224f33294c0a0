//! Engine benchmarks (`cargo bench --bench engine [-- NAME...]`). Prints its
//! figures. With no names, runs them all.
//!
//! - settle: a 1,000-replica StatefulSet (Parallel) and a 1,000-replica
//!   Deployment on 100 nodes, applied and settled.
//! - churn: with N pods running, delete one pod and let the cluster replace
//!   it; the time per resulting store change, at N = 100 and N = 10,000, and
//!   their ratio.
//!
//! The scenarios live in `src/bench.rs`. The same engine in wasm is timed
//! in Chromium by `make bench-page` (settling 1,000-pod workloads from the
//! page's console).

use kubarium::bench;
use std::time::Instant;

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

fn main() {
    // A quick, reduced run when cargo test --benches invokes us.
    let quick = std::env::args().any(|a| a == "--quick" || a == "--test");
    let names: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let want = |n: &str| names.is_empty() || names.iter().any(|x| x == n);
    if want("settle") {
        settle(quick);
    }
    if want("churn") {
        churn(quick);
    }
}
