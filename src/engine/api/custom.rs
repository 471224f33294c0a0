//! The kinds CustomResourceDefinitions define. A `Kind::Custom` names one
//! by its index in this process's registry of custom kinds: interned (the
//! same group, names, scope and versions give the same index, whichever
//! cluster defined them first), never removed, so a `Kind` stays `Copy`
//! and its facts `&'static` like the built-in kinds'. Whether a cluster
//! serves one is its own business: it does while it stores an Established
//! CRD for it (`apiserver::crd`).
//!
//! Invariant: nothing observable depends on a custom kind's index (which
//! depends on what the process did before): kinds order by their facts,
//! not their index.

use super::KindInfo;
use std::cell::RefCell;
use std::cmp::Ordering;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CustomKind(u16);

thread_local! {
    static KINDS: RefCell<Vec<&'static KindInfo>> = const { RefCell::new(Vec::new()) };
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}

fn leak_all(v: &[String]) -> &'static [&'static str] {
    Box::leak(v.iter().map(|s| leak(s)).collect::<Vec<_>>().into_boxed_slice())
}

/// What a CRD says of its kind (its spec.names, group, scope, served versions).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Names {
    pub kind: String,
    pub group: String,
    /// Served versions, the preferred (kube-aware version priority) first.
    pub versions: Vec<String>,
    pub plural: String,
    pub singular: String,
    pub short_names: Vec<String>,
    pub namespaced: bool,
    pub categories: Vec<String>,
}

impl CustomKind {
    /// The kind with these facts, registered the first time they are seen.
    pub fn intern(n: &Names) -> CustomKind {
        KINDS.with(|k| {
            let mut kinds = k.borrow_mut();
            let same = |i: &KindInfo| {
                i.kind == n.kind
                    && i.group == n.group
                    && std::iter::once(i.version).chain(i.also.iter().copied()).eq(n.versions.iter().map(String::as_str))
                    && i.plural == n.plural
                    && i.singular == n.singular
                    && i.short_names.iter().copied().eq(n.short_names.iter().map(String::as_str))
                    && i.namespaced == n.namespaced
                    && i.categories.iter().copied().eq(n.categories.iter().map(String::as_str))
            };
            if let Some(i) = kinds.iter().position(|i| same(i)) {
                return CustomKind(i as u16);
            }
            let (first, rest) = n.versions.split_first().map(|(f, r)| (f.as_str(), r)).unwrap_or(("", &[]));
            kinds.push(Box::leak(Box::new(KindInfo {
                kind: leak(&n.kind),
                group: leak(&n.group),
                version: leak(first),
                also: leak_all(rest),
                plural: leak(&n.plural),
                singular: leak(&n.singular),
                short_names: leak_all(&n.short_names),
                namespaced: n.namespaced,
                categories: leak_all(&n.categories),
            })));
            CustomKind((kinds.len() - 1) as u16)
        })
    }

    pub fn info(self) -> &'static KindInfo {
        KINDS.with(|k| k.borrow()[self.0 as usize])
    }

    /// Its slot among the store's tables, after the built-in kinds'.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl PartialOrd for CustomKind {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for CustomKind {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = (self.info(), other.info());
        (a.group, a.plural, a.kind, a.version, a.also, a.namespaced)
            .cmp(&(b.group, b.plural, b.kind, b.version, b.also, b.namespaced))
            .then(self.0.cmp(&other.0))
    }
}
