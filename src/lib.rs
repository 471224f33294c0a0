//! Kubarium: a Kubernetes cluster that lives in a browser tab.
//!
//! * [`engine`] — the deterministic simulation: API objects, the store,
//!   the API server's rules, controllers, scheduler, kubelets, volumes.
//!   Pure Rust, no browser dependency.
//! * [`kubectl`] — the command layer shared by the native CLI and the page's
//!   console: parsing, printers, describe, apply, wait.
//! * [`transcript`] — transcripts: kubectl sessions with expected output,
//!   replayed as acceptance tests and played as lessons.
//! * `ui` (wasm32 only) — the Yew page.

pub mod bench;
pub mod engine;
pub mod kubectl;
pub mod transcript;

#[cfg(target_arch = "wasm32")]
pub mod ui;
