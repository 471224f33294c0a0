//! The settle benchmark's scenario as wasm exports, for run.mjs: `prepare`
//! builds the cluster (not timed), `settle` applies the workloads and
//! settles (timed by the caller, as the native benchmark times it).

use kubarium::bench;
use kubarium::engine::Cluster;
use std::cell::RefCell;

thread_local! {
    static CLUSTER: RefCell<Option<Cluster>> = const { RefCell::new(None) };
}

/// The default cluster grown to `nodes` nodes, kept for `settle`.
#[unsafe(no_mangle)]
pub extern "C" fn prepare(nodes: u32) {
    let c = bench::cluster_with_nodes(nodes as usize);
    CLUSTER.with(|slot| *slot.borrow_mut() = Some(c));
}

/// Applies a `sts`-replica StatefulSet and a `deploy`-replica Deployment to
/// the prepared cluster and settles; returns the pods running (the caller
/// checks it against the native run).
#[unsafe(no_mangle)]
pub extern "C" fn settle(sts: u32, deploy: u32) -> u32 {
    CLUSTER.with(|slot| {
        let mut c = slot.borrow_mut().take().expect("prepare first");
        let s = bench::apply_and_settle(&mut c, sts as usize, deploy as usize);
        s.pods as u32
    })
}
