//! Kubarium: a Kubernetes cluster that lives in a browser tab.
//!
//! * [`engine`] — the deterministic simulation: API objects, the store,
//!   the API server's rules, controllers, scheduler, kubelets, volumes.
//!   Pure Rust, no browser dependency.
//! * [`kubectl`] — the command layer shared by the native CLI and the page's
//!   console: parsing, printers, describe, apply, wait.
//! * [`transcript`] — transcripts: kubectl sessions with expected output,
//!   replayed as acceptance tests and played as lessons.
//! * [`ui`] — the page: view models, explanations, console parsing and
//!   completion (plain Rust, tested natively), and the Yew components
//!   (wasm32 only).

pub mod bench;
pub mod engine;
#[cfg(not(target_arch = "wasm32"))]
#[doc(hidden)]
pub mod fuzzing;
pub mod kubectl;
pub mod transcript;

pub mod ui;
