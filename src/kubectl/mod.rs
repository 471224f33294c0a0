//! The kubectl layer, shared by the native CLI and the page's console:
//! command parsing and execution against a [`Cluster`](crate::engine::Cluster),
//! and kubectl 1.36's output (tables, describe, yaml/json, jsonpath).
//!
//! Output side (what gets printed): [`printers`], [`describe`], [`jsonpath`],
//! [`tabwriter`]. Command side: [`session`] runs one command line; the
//! commands themselves live in `commands/`.

pub mod args;
pub mod commands;
pub mod describe;
pub mod errors;
pub mod jsonpath;
pub mod printers;
pub mod session;
pub mod tabwriter;

#[cfg(test)]
pub(crate) mod testutil;

use crate::engine::time::Time;

/// How `kubectl get` prints (`-o ...`, `--show-labels`, `-L`, `-A`, `--no-headers`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PrintOptions {
    pub format: OutputFormat,
    /// `-A`: a NAMESPACE column first.
    pub with_namespace: bool,
    pub show_labels: bool,
    /// `-L key`: one column per label key.
    pub label_columns: Vec<String>,
    pub no_headers: bool,
    /// Print `kind/name` in the NAME column (several kinds in one get).
    pub with_kind: bool,
    /// The simulated now, for AGE columns.
    pub now: Time,
    /// The command named exactly one object (`get pod web-0`, not `get pods`):
    /// `-o yaml|json|jsonpath` then print the object itself instead of a
    /// `List` (get.go's singleItemImplied).
    pub single_item: bool,
    /// The printer columns of the custom kinds printed (their CRDs'
    /// `additionalPrinterColumns`), filled in by `printers::print`.
    pub crd_columns: Vec<(crate::engine::api::Kind, Vec<serde_json::Value>)>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub enum OutputFormat {
    #[default]
    Table,
    Wide,
    Yaml,
    Json,
    Name,
    /// `-o custom-columns=NAME:.metadata.name,...`
    CustomColumns(String),
    /// `-o jsonpath=...` (the template, braces included)
    JsonPath(String),
}
