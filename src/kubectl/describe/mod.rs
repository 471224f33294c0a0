//! (kubectl output: see mod.rs)
