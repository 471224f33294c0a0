//! The crate's one sort. Every `sort`, `sort_by` and `sort_by_key` in the
//! crate goes through here (a test below fails on a `.sort_by(` anywhere
//! else in `src/`).
//!
//! Why: std's stable sort (driftsort) is compiled once per element type and
//! comparator closure; the crate's ~90 call sites made 66 copies of it, about
//! 250 KB of wasm before wasm-opt. Here the algorithm is compiled once: it
//! sorts a permutation of indices (`u32`) through a `dyn` comparator, then
//! the generic wrappers apply the permutation to the slice with swaps (no
//! clones, no `T: Clone`). Per call site only the small closures remain.
//!
//! The algorithm is the one `go_sort` had (controllers/controller_utils.rs):
//! up to 12 elements an insertion sort (Go's pdqsort small-slice path, so
//! Go's result exactly), above that a top-down merge sort, splitting at
//! `len / 2` and taking from the right only when it is strictly less. It is
//! stable, so for any comparator that is an order the result is std's. For
//! a comparator that is not an order (upstream's `ActivePodsWithRanks.Less`
//! is not transitive; `sort -n` on `nan`) it is deterministic and never
//! panics, where std's sort may panic.
//!
//! The same goes for collecting into a `BTreeMap` or `BTreeSet` (`collect`,
//! `from_iter`, `BTreeMap::from([..])`, `[..].into()`, and a
//! `serde_json::Map`, a `BTreeMap` here): std gathers the items in a `Vec`,
//! sorts it with driftsort and builds the tree in bulk, so every such site
//! compiled its own copy of the sort (the comparator closure is generic over
//! the iterator type). [`map_from`], [`set_from`] and [`json_from`] build
//! the collection by inserting instead: the same result (for equal keys the
//! last value wins, as in `from_iter`), no sort. The test at the bottom also
//! fails on those collects elsewhere in `src/`.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// A set as a map's value, boxed. BTreeMap's insert, removal and
/// rebalancing code is compiled per key and value layout; with a
/// pointer-sized value a map shares the copy the engine's other maps of
/// boxed values (same key type) use, instead of one of its own in the wasm.
/// (An alias because clippy's `box_collection` would ask for the set
/// itself.)
#[allow(clippy::box_collection)]
pub type BoxedSet<T> = Box<BTreeSet<T>>;

/// Counts by an `i64` (ordinals, ready-since instants), ascending, without
/// zero counts: a sorted `Vec`, as a `BTreeMap<i64, i32>` was the wasm's
/// only map of that layout and brought its own copy of BTreeMap's code.
#[derive(Clone, Default, PartialEq)]
pub struct Tally(Vec<(i64, i32)>);

impl Tally {
    /// Adds `d` to `k`'s count, dropping the count when it comes to zero.
    pub fn bump(&mut self, k: i64, d: i32) {
        match self.0.binary_search_by(|e| e.0.cmp(&k)) {
            Ok(i) => {
                self.0[i].1 += d;
                if self.0[i].1 == 0 {
                    self.0.remove(i);
                }
            }
            Err(i) if d != 0 => self.0.insert(i, (k, d)),
            Err(_) => {}
        }
    }
    /// How many keys have a count.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// Whether no key has a count.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The least key with a count.
    pub fn first(&self) -> Option<i64> {
        self.0.first().map(|e| e.0)
    }
    /// The greatest key with a count.
    pub fn last(&self) -> Option<i64> {
        self.0.last().map(|e| e.0)
    }
    /// The sum of the counts of the keys up to `cutoff`.
    pub fn sum_to(&self, cutoff: i64) -> i32 {
        self.0.iter().take_while(|e| e.0 <= cutoff).map(|e| e.1).sum()
    }
    /// The least key above `cutoff` with a count.
    pub fn first_after(&self, cutoff: i64) -> Option<i64> {
        self.0.iter().find(|e| e.0 > cutoff).map(|e| e.0)
    }
}

impl std::fmt::Debug for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.0.iter().map(|e| (&e.0, &e.1))).finish()
    }
}

/// A map as a `Vec` of entries sorted by key, for the few maps that were
/// the wasm's only `BTreeMap` of their key and value layout (each brought
/// its own copy of BTreeMap's insertion and rebalancing code). Lookups are
/// binary searches; insertions and removals move the tail, fine for maps
/// of a few hundred entries. Iteration is in key order, as a `BTreeMap`'s.
#[derive(Clone, PartialEq, Eq)]
pub struct VecMap<K, V>(Vec<(K, V)>);

impl<K, V> Default for VecMap<K, V> {
    fn default() -> Self {
        VecMap(Vec::new())
    }
}

impl<K: Ord, V> VecMap<K, V> {
    fn find(&self, k: &K) -> Result<usize, usize> {
        self.0.binary_search_by(|e| e.0.cmp(k))
    }
    pub fn get(&self, k: &K) -> Option<&V> {
        self.find(k).ok().map(|i| &self.0[i].1)
    }
    /// The value at `k`, inserted with `V::default()` if absent (as
    /// `entry(k).or_default()`).
    pub fn entry_or_default(&mut self, k: K) -> &mut V
    where
        V: Default,
    {
        let i = match self.find(&k) {
            Ok(i) => i,
            Err(i) => {
                self.0.insert(i, (k, V::default()));
                i
            }
        };
        &mut self.0[i].1
    }
    pub fn insert(&mut self, k: K, v: V) -> Option<V> {
        match self.find(&k) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, v)),
            Err(i) => {
                self.0.insert(i, (k, v));
                None
            }
        }
    }
    pub fn remove(&mut self, k: &K) -> Option<V> {
        self.find(k).ok().map(|i| self.0.remove(i).1)
    }
    pub fn retain(&mut self, mut f: impl FnMut(&K, &mut V) -> bool) {
        self.0.retain_mut(|e| f(&e.0, &mut e.1))
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.0.iter().map(|e| &e.0)
    }
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.0.iter().map(|e| &e.1)
    }
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.0.iter().map(|e| (&e.0, &e.1))
    }
}

impl<K: std::fmt::Debug, V: std::fmt::Debug> std::fmt::Debug for VecMap<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.0.iter().map(|e| (&e.0, &e.1))).finish()
    }
}

/// A set as a sorted `Vec`, for small sets that were the wasm's only
/// `BTreeSet` of their element layout (see [`VecMap`]). Iteration is in
/// order, as a `BTreeSet`'s.
#[derive(Clone, PartialEq, Eq)]
pub struct VecSet<T>(Vec<T>);

impl<T> Default for VecSet<T> {
    fn default() -> Self {
        VecSet(Vec::new())
    }
}

impl<T: Ord> VecSet<T> {
    /// Adds `v`; false if it was there.
    pub fn insert(&mut self, v: T) -> bool {
        match self.0.binary_search(&v) {
            Ok(_) => false,
            Err(i) => {
                self.0.insert(i, v);
                true
            }
        }
    }
    /// Removes `v`; false if it was not there.
    pub fn remove(&mut self, v: &T) -> bool {
        match self.0.binary_search(v) {
            Ok(i) => {
                self.0.remove(i);
                true
            }
            Err(_) => false,
        }
    }
    pub fn contains(&self, v: &T) -> bool {
        self.0.binary_search(v).is_ok()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn clear(&mut self) {
        self.0.clear()
    }
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.0.iter()
    }
}

impl<T: Ord> Extend<T> for VecSet<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, items: I) {
        for v in items {
            self.insert(v);
        }
    }
}

impl<'a, T> IntoIterator for &'a VecSet<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<T> IntoIterator for VecSet<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for VecSet<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.iter()).finish()
    }
}

/// Sorts `v` stably (as `<[T]>::sort`).
pub fn sort<T: Ord>(v: &mut [T]) {
    sort_less(v, |a, b| a < b)
}

/// Sorts `v` stably by `cmp` (as `<[T]>::sort_by`).
pub fn sort_by<T>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> Ordering) {
    sort_less(v, |a, b| cmp(a, b) == Ordering::Less)
}

/// Sorts `v` stably by the key `f` gives (as `<[T]>::sort_by_key`: the key
/// is computed for every comparison).
pub fn sort_by_key<T, K: Ord>(v: &mut [T], mut f: impl FnMut(&T) -> K) {
    sort_less(v, |a, b| f(a) < f(b))
}

/// Sorts `v` stably by a "less than" (Go's `sort.Interface.Less`).
pub fn sort_less<T>(v: &mut [T], mut less: impl FnMut(&T, &T) -> bool) {
    if v.len() < 2 {
        return;
    }
    let mut perm = order(v.len(), &mut |a, b| less(&v[a], &v[b]));
    permute(&mut perm, &mut |a, b| v.swap(a, b));
}

/// The map of `items`, as `items.into_iter().collect::<BTreeMap<_, _>>()`
/// (for equal keys the last value wins) without std's sort.
pub fn map_from<K: Ord, V>(items: impl IntoIterator<Item = (K, V)>) -> BTreeMap<K, V> {
    let mut m = BTreeMap::new();
    m.extend(items);
    m
}

/// The set of `items`, as `items.into_iter().collect::<BTreeSet<_>>()`
/// without std's sort.
pub fn set_from<T: Ord>(items: impl IntoIterator<Item = T>) -> BTreeSet<T> {
    let mut s = BTreeSet::new();
    s.extend(items);
    s
}

/// The JSON object of `items`, as `collect::<serde_json::Map<_, _>>()` (for
/// equal keys the last value wins) without std's sort.
pub fn json_from(items: impl IntoIterator<Item = (String, serde_json::Value)>) -> serde_json::Map<String, serde_json::Value> {
    let mut m = serde_json::Map::new();
    m.extend(items);
    m
}

/// The sorted order of `0..n` under `less` on indices: `perm[k]` is the
/// index of the element that belongs at `k`. Not generic: the one copy.
#[inline(never)]
fn order(n: usize, less: &mut dyn FnMut(usize, usize) -> bool) -> Vec<u32> {
    assert!(n <= u32::MAX as usize);
    let mut idx: Vec<u32> = (0..n as u32).collect();
    if n <= 12 {
        for i in 1..n {
            let mut j = i;
            while j > 0 && less(idx[j] as usize, idx[j - 1] as usize) {
                idx.swap(j, j - 1);
                j -= 1;
            }
        }
    } else {
        let mut buf = vec![0u32; n / 2];
        merge_sort(&mut idx, &mut buf, less);
    }
    idx
}

fn merge_sort(idx: &mut [u32], buf: &mut [u32], less: &mut dyn FnMut(usize, usize) -> bool) {
    let n = idx.len();
    if n <= 1 {
        return;
    }
    let mid = n / 2;
    merge_sort(&mut idx[..mid], buf, less);
    merge_sort(&mut idx[mid..], buf, less);
    // The left half moves out to `buf`; the output never overtakes the
    // right half's read position (k < j while the left has elements).
    buf[..mid].copy_from_slice(&idx[..mid]);
    let (mut i, mut j, mut k) = (0, mid, 0);
    while i < mid && j < n {
        if less(idx[j] as usize, buf[i] as usize) {
            idx[k] = idx[j];
            j += 1;
        } else {
            idx[k] = buf[i];
            i += 1;
        }
        k += 1;
    }
    while i < mid {
        idx[k] = buf[i];
        i += 1;
        k += 1;
    }
}

/// Rearranges through `swap` so that position `k` holds what was at
/// `perm[k]`: each cycle of the permutation is followed once (`perm` is
/// used up as the visited marks).
#[inline(never)]
fn permute(perm: &mut [u32], swap: &mut dyn FnMut(usize, usize)) {
    for i in 0..perm.len() {
        let mut j = i;
        loop {
            let k = perm[j] as usize;
            perm[j] = j as u32;
            if k == i {
                break;
            }
            swap(j, k);
            j = k;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::Rng;

    fn random_vecs() -> Vec<Vec<(u8, u32)>> {
        let mut rng = Rng::new(7);
        let mut out = vec![];
        for len in (0..40).chain([100, 257, 1000, 4096]) {
            for keys in [1u64, 3, 50, 1 << 30] {
                // (key, original position): equal keys must keep their order.
                out.push((0..len).map(|i| (rng.below(keys) as u8, i)).collect());
            }
        }
        out
    }

    #[test]
    fn agrees_with_std_stable_sort_on_random_vectors() {
        for v in random_vecs() {
            let mut want = v.clone();
            want.sort_by_key(|a| a.0);
            let mut got = v.clone();
            sort_by(&mut got, |a, b| a.0.cmp(&b.0));
            assert_eq!(got, want, "sort_by of {v:?}");
            let mut got = v.clone();
            sort_by_key(&mut got, |x| x.0);
            assert_eq!(got, want, "sort_by_key of {v:?}");
            let mut got = v.clone();
            sort_less(&mut got, |a, b| a.0 < b.0);
            assert_eq!(got, want, "sort_less of {v:?}");
            // Reversed comparator, still stable.
            let mut want = v.clone();
            want.sort_by_key(|a| std::cmp::Reverse(a.0));
            let mut got = v.clone();
            sort_by(&mut got, |a, b| b.0.cmp(&a.0));
            assert_eq!(got, want, "reversed sort_by of {v:?}");
            // Total order: plain sort.
            let mut want = v.clone();
            want.sort();
            let mut got = v;
            sort(&mut got);
            assert_eq!(got, want);
        }
    }

    #[test]
    fn equal_keys_keep_their_order() {
        let mut v = vec![(1, "a"), (0, "b"), (1, "c"), (0, "d"), (1, "e"), (0, "f")];
        sort_by_key(&mut v, |x| x.0);
        assert_eq!(v, [(0, "b"), (0, "d"), (0, "f"), (1, "a"), (1, "c"), (1, "e")]);
        let mut all_equal: Vec<u32> = (0..100).collect();
        sort_by(&mut all_equal, |_, _| Ordering::Equal);
        assert_eq!(all_equal, (0..100).collect::<Vec<u32>>());
    }

    #[test]
    fn moves_elements_that_are_not_clone_and_drops_none() {
        struct NoClone(String);
        let mut v: Vec<NoClone> = ["d", "b", "a", "c", "b"].iter().map(|s| NoClone(s.to_string())).collect();
        sort_by(&mut v, |a, b| a.0.cmp(&b.0));
        assert_eq!(v.iter().map(|x| x.0.as_str()).collect::<Vec<_>>(), ["a", "b", "b", "c", "d"]);
        let mut strings: Vec<String> = (0..500).map(|i| format!("{}", (i * 7919) % 503)).collect();
        let mut want = strings.clone();
        want.sort();
        sort(&mut strings);
        assert_eq!(strings, want);
    }

    #[test]
    fn sorts_slices_and_permutes_every_cycle_shape() {
        let mut a = [3, 1, 2, 0, 5, 4, 9, 8, 7, 6, 10, 12, 11, 13];
        sort(&mut a[2..]);
        assert_eq!(a, [3, 1, 0, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
        // Every permutation of 6 elements comes back sorted.
        let mut p = [0, 1, 2, 3, 4, 5];
        loop {
            let mut s = p;
            sort(&mut s);
            assert_eq!(s, [0, 1, 2, 3, 4, 5], "from {p:?}");
            // next lexicographic permutation
            let Some(i) = (0..5).rev().find(|&i| p[i] < p[i + 1]) else { break };
            let j = (i + 1..6).rev().find(|&j| p[j] > p[i]).unwrap();
            p.swap(i, j);
            p[i + 1..].reverse();
        }
    }

    #[test]
    fn a_comparator_that_is_not_an_order_is_deterministic_and_never_panics() {
        // Rock, paper, scissors: no order exists; std's sort may panic on it.
        let beats = |a: &u32, b: &u32| (a + 1) % 3 == *b % 3;
        for n in [5, 12, 13, 300] {
            let mut v: Vec<u32> = (0..n).collect();
            sort_less(&mut v, beats);
            let mut again: Vec<u32> = (0..n).collect();
            sort_less(&mut again, beats);
            assert_eq!(v, again, "deterministic");
            let mut all = v.clone();
            all.sort();
            assert_eq!(all, (0..n).collect::<Vec<u32>>(), "a permutation of the input");
        }
    }

    #[test]
    fn collections_built_by_inserting_equal_collect() {
        // Duplicate keys: the last value wins, as in `collect`.
        let pairs = [("b".to_string(), 1), ("a".to_string(), 2), ("b".to_string(), 3), ("c".to_string(), 4), ("a".to_string(), 5)];
        let want: BTreeMap<String, i32> = pairs.iter().cloned().collect();
        assert_eq!(map_from(pairs.iter().cloned()), want);
        assert_eq!(map_from(pairs.iter().cloned())["b"], 3);
        for v in random_vecs() {
            let want: BTreeMap<u8, u32> = v.iter().copied().collect();
            assert_eq!(map_from(v.iter().copied()), want);
            let want: BTreeSet<(u8, u32)> = v.iter().map(|&(k, i)| (k, i / 3)).collect();
            assert_eq!(set_from(v.iter().map(|&(k, i)| (k, i / 3))), want);
        }
        assert!(map_from(Vec::<(u8, u8)>::new()).is_empty());
        let obj = serde_json::json!({"z": 1, "a": [true], "m": null});
        let items = || obj.as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.clone())).chain([("a".to_string(), serde_json::json!(2))]);
        let want: serde_json::Map<String, serde_json::Value> = items().collect();
        assert_eq!(json_from(items()), want);
        assert_eq!(serde_json::to_string(&json_from(items())).unwrap(), r#"{"a":2,"m":null,"z":1}"#);
    }

    /// The architecture invariant: no other sort is compiled into the crate.
    /// std's sorts are generic, so each call site with its own closure would
    /// add a whole copy of the algorithm to the wasm. Collecting into a
    /// `BTreeMap`/`BTreeSet`/`serde_json::Map` sorts too (see the module
    /// doc); this catches the explicit forms and a `.collect()` or `.into()`
    /// on the line of a `let` typed as one. A collect whose type is inferred
    /// from elsewhere passes here: `twiggy top` on the wasm
    /// (`grep slice::sort`, none at all on 2026-12-07) is the full check.
    #[test]
    fn the_crate_sorts_only_through_this_module() {
        let mut bad = vec![];
        let mut dirs = vec![std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src"))];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") && !p.ends_with("engine/sort.rs") {
                    let text = std::fs::read_to_string(&p).unwrap();
                    for (n, line) in text.lines().enumerate() {
                        let calls = [".sort()", ".sort_by(", ".sort_by_key(", ".sort_by_cached_key(", ".sort_unstable", ".select_nth_unstable"];
                        let collects = [
                            "collect::<BTree",
                            "collect::<std::collections::BTree",
                            "collect::<serde_json::Map",
                            "collect::<Map<",
                            "BTreeMap::from(",
                            "BTreeSet::from(",
                            "Map::from_iter(",
                            "Set::from_iter(",
                        ];
                        let typed = [": BTreeMap<", ": BTreeSet<", "collections::BTreeMap<", "collections::BTreeSet<", ": Labels =", ": Map<String, Value> ="];
                        let typed_collect = typed.iter().any(|t| line.contains(t)) && (line.contains(".collect()") || line.contains("].into()"));
                        if calls.iter().any(|c| line.contains(c)) || collects.iter().any(|c| line.contains(c)) || typed_collect {
                            bad.push(format!("{}:{}: {}", p.display(), n + 1, line.trim()));
                        }
                    }
                }
            }
        }
        assert!(bad.is_empty(), "sort, and build sorted collections, through crate::engine::sort (one instantiation of the algorithm):\n{}", bad.join("\n"));
    }
}
