//! The page: a thin Yew layer over the engine. It sends commands to the
//! kubectl [`Session`](crate::kubectl::session::Session) and draws the
//! cluster's state; it never simulates anything itself.
//!
//! Everything but the Yew components is plain Rust, compiled and tested
//! natively: [`state`] (session, editor, console, clock, scrubbing,
//! autosave), [`model`] (what the map draws and where), [`why`]
//! (plain-language explanations), [`diagnose`] (editor markers),
//! [`examples`] (the seed scenarios). `app` (wasm32 only) is the Yew part.

pub mod compare;
pub mod diagnose;
pub mod embed;
pub mod examples;
pub mod export;
pub mod lessons;
pub mod model;
pub mod share;
pub mod state;
pub mod update;
pub mod why;

#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod app_compare;
#[cfg(target_arch = "wasm32")]
pub mod app_embed;
#[cfg(target_arch = "wasm32")]
mod app_inspector;
#[cfg(target_arch = "wasm32")]
mod app_lessons;
#[cfg(target_arch = "wasm32")]
mod app_map;
#[cfg(target_arch = "wasm32")]
mod app_view;
#[cfg(target_arch = "wasm32")]
mod editor;

#[cfg(target_arch = "wasm32")]
pub use app::start;
