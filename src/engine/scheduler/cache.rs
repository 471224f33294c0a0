//! The scheduler's cache (pkg/scheduler/backend/cache): what every node
//! already holds, kept up to date from the watch so that a scheduling
//! decision costs in proportion to the nodes, not to the pods.
//!
//! Per node (NodeInfo): the requests of the pods bound there (plain and
//! non-zero), their count, the host ports they use, and which of them carry
//! required anti-affinity terms. Per bound pod: what it added, so that it
//! is taken away exactly when the pod leaves, finishes or changes.
//!
//! For PodTopologySpread and InterPodAffinity, a label index: for each
//! selector a decision asked about (a `Matcher`: namespaces, label selector,
//! whether pods being deleted count), the number of matching pods per node,
//! maintained at every pod change once registered. Selectors are kept for
//! the most recent users only (a least-recently-used bound), so a long
//! session with many workloads does not accumulate them.
//!
//! Pods the scheduler has assumed onto a node while their volumes bind are
//! not here: each decision adds them on top (there are few).
//!
//! A cache only: it never changes a decision. Debug builds check it against
//! a recomputation from the store at every decision.

use super::{AffinityTerm, HostPort, Resources, allocatable, host_ports, occupies, pod_requests, required_anti_terms};
use crate::engine::api::*;
use std::collections::BTreeMap;
use std::rc::Rc;

/// How many selectors the label index keeps counts for.
const MAX_MATCHERS: usize = 64;

/// What one bound pod adds to its node (NodeInfo.AddPod).
#[derive(Clone, Debug)]
struct CachedPod {
    node: String,
    /// The pod as last seen: its labels, namespace and deletion mark are
    /// what the selectors match.
    object: Rc<Object>,
    requests: Resources,
    non_zero: Resources,
    ports: Vec<HostPort>,
    /// Its required anti-affinity terms (NodeInfo.PodsWithRequiredAntiAffinity).
    anti: Rc<Vec<AffinityTerm>>,
}

impl CachedPod {
    fn pod(&self) -> &Pod {
        Pod::from_object(&self.object).expect("the cache holds pods")
    }
}

/// The aggregate of the pods bound to one node.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NodeInfo {
    pub requested: Resources,
    pub non_zero: Resources,
    pub pods: i64,
    /// Host ports in use, one entry per pod port (a multiset).
    pub ports: Vec<HostPort>,
    /// Pods here with required anti-affinity terms.
    pub anti: Vec<ObjKey>,
    /// The priorities of the pods here, ascending (a multiset): preemption
    /// looks for victims only where the lowest is below the preemptor's.
    pub priorities: Vec<i32>,
}

/// A topology key's domains over the nodes: each node's domain (by
/// number, in the order values are first met), or none without the key.
#[derive(Clone, Debug, PartialEq)]
pub struct Topology {
    pub domain_of: Vec<Option<usize>>,
    pub domains: usize,
}

impl Topology {
    fn of(key: &str, nodes: &[&Node]) -> Topology {
        let mut ids: BTreeMap<&str, usize> = BTreeMap::new();
        let domain_of = nodes
            .iter()
            .map(|n| {
                n.metadata.labels.get(key).map(|v| {
                    let next = ids.len();
                    *ids.entry(v.as_str()).or_insert(next)
                })
            })
            .collect();
        Topology { domain_of, domains: ids.len() }
    }
}

/// Which pods a topology spread constraint or an affinity term counts.
#[derive(Clone, Debug, PartialEq)]
pub struct Matcher {
    /// The pod's namespace must be one of these.
    pub namespaces: Vec<String>,
    pub selector: LabelSelector,
    /// Pods being deleted are left out (PodTopologySpread does; affinity does not).
    pub live_only: bool,
}

impl Matcher {
    pub fn matches(&self, p: &Pod) -> bool {
        self.namespaces.contains(&p.metadata.namespace)
            && (!self.live_only || p.metadata.deletion_timestamp.is_none())
            && self.selector.matches(&p.metadata.labels)
    }
    fn key(&self) -> String {
        format!("{:?}", (&self.namespaces, &self.selector, self.live_only))
    }
}

#[derive(Clone, Debug)]
struct Counts {
    matcher: Matcher,
    per_node: BTreeMap<String, i64>,
    last_used: u64,
}

#[derive(Clone, Debug, Default)]
pub struct Cache {
    // Boxed values: BTreeMap's code is compiled per value size, and maps of
    // pointer-sized values share one copy in the wasm.
    pods: BTreeMap<ObjKey, Box<CachedPod>>,
    nodes: BTreeMap<String, Box<NodeInfo>>,
    counts: BTreeMap<String, Box<Counts>>,
    /// Each node's allocatable resources and pod capacity, parsed (boxed:
    /// the map shares the `String => Box<_>` BTreeMap code).
    allocatable: BTreeMap<String, Box<(Resources, i64)>>,
    /// Bumped when a node is added or removed or its labels change.
    node_generation: u64,
    /// The domains of each topology key asked about, for a node generation.
    /// Boxed: a `(u64, Rc)` value was the wasm's only map value of its layout.
    topologies: BTreeMap<String, Box<(u64, Rc<Topology>)>>,
    /// Scheduling cycles so far (for the selectors' recency).
    cycle: u64,
}

static EMPTY: NodeInfo =
    NodeInfo { requested: Resources::ZERO, non_zero: Resources::ZERO, pods: 0, ports: Vec::new(), anti: Vec::new(), priorities: Vec::new() };

impl Cache {
    /// Follows one pod change (the informer's add, update and delete handlers).
    pub fn pod_changed(&mut self, key: &ObjKey, new: Option<&Rc<Object>>) {
        let new_pod = new.and_then(|o| Pod::from_object(o)).filter(|p| occupies(p));
        // An update that leaves the pod where it was with the same
        // resources, ports and affinity (status reports, mostly) only
        // refreshes the object, and the counts when its labels changed.
        if let (Some(n), Some(entry)) = (new_pod, self.pods.get(key)) {
            let o = entry.pod();
            if o.metadata.uid == n.metadata.uid
                && entry.node == n.spec.node_name
                && o.spec.containers == n.spec.containers
                && o.spec.init_containers == n.spec.init_containers
                && o.spec.affinity == n.spec.affinity
            {
                let selectable = o.metadata.labels != n.metadata.labels
                    || o.metadata.namespace != n.metadata.namespace
                    || o.metadata.deletion_timestamp.is_some() != n.metadata.deletion_timestamp.is_some();
                if selectable {
                    let node = entry.node.clone();
                    let old_obj = entry.object.clone();
                    self.count(&node, Pod::from_object(&old_obj).expect("pod"), -1);
                    self.count(&node, n, 1);
                }
                self.pods.get_mut(key).expect("present").object = new.expect("new pod").clone();
                return;
            }
        }
        self.remove(key);
        if let Some(p) = new_pod {
            self.add(key, p, new.expect("new pod").clone());
        }
    }

    fn add(&mut self, key: &ObjKey, p: &Pod, object: Rc<Object>) {
        let anti = required_anti_terms(p);
        let cp = CachedPod {
            node: p.spec.node_name.clone(),
            object,
            requests: pod_requests(p, false),
            non_zero: pod_requests(p, true),
            ports: host_ports(p),
            anti: Rc::new(anti),
        };
        let info = self.nodes.entry(cp.node.clone()).or_default();
        info.requested.add(&cp.requests);
        info.non_zero.add(&cp.non_zero);
        info.pods += 1;
        info.ports.extend(cp.ports.iter().cloned());
        if !cp.anti.is_empty() {
            info.anti.push(key.clone());
        }
        let prio = super::priority(p);
        info.priorities.insert(info.priorities.partition_point(|x| *x < prio), prio);
        let node = cp.node.clone();
        self.pods.insert(key.clone(), Box::new(cp));
        self.count(&node, p, 1);
    }

    fn remove(&mut self, key: &ObjKey) {
        let Some(cp) = self.pods.remove(key) else { return };
        if let Some(info) = self.nodes.get_mut(&cp.node) {
            info.requested.sub(&cp.requests);
            info.non_zero.sub(&cp.non_zero);
            info.pods -= 1;
            for port in &cp.ports {
                if let Some(i) = info.ports.iter().position(|x| x == port) {
                    info.ports.swap_remove(i);
                }
            }
            info.anti.retain(|k| k != key);
            if let Ok(i) = info.priorities.binary_search(&super::priority(cp.pod())) {
                info.priorities.remove(i);
            }
            if info.pods == 0 {
                self.nodes.remove(&cp.node);
            }
        }
        self.count(&cp.node, cp.pod(), -1);
    }

    /// Adjusts every registered selector's count on `node` for `p`.
    fn count(&mut self, node: &str, p: &Pod, delta: i64) {
        for c in self.counts.values_mut() {
            if c.matcher.matches(p) {
                let n = c.per_node.entry(node.to_string()).or_default();
                *n += delta;
                if *n == 0 {
                    c.per_node.remove(node);
                }
            }
        }
    }

    /// Follows one node change (NodeInfo.SetNode): its allocatable, parsed once.
    pub fn node_changed(&mut self, name: &str, old: Option<&Node>, new: Option<&Node>) {
        if old.map(|o| &o.metadata.labels) != new.map(|n| &n.metadata.labels) {
            self.node_generation += 1;
        }
        match new {
            Some(n) if old.is_none_or(|o| o.status.allocatable != n.status.allocatable) => {
                self.allocatable.insert(name.to_string(), Box::new(allocatable(n)));
            }
            Some(_) => {}
            None => {
                self.allocatable.remove(name);
            }
        }
    }

    pub fn allocatable(&self, name: &str) -> Option<&(Resources, i64)> {
        self.allocatable.get(name).map(|a| &**a)
    }

    /// The domains of a topology key over `nodes` (all the nodes, in name
    /// order): computed again only when nodes or their labels changed.
    pub fn topology(&mut self, key: &str, nodes: &[&Node]) -> Rc<Topology> {
        if let Some((generation, t)) = self.topologies.get(key).map(|b| &**b)
            && *generation == self.node_generation
            && t.domain_of.len() == nodes.len()
        {
            return t.clone();
        }
        if self.topologies.len() >= MAX_MATCHERS {
            self.topologies.clear();
        }
        let t = Rc::new(Topology::of(key, nodes));
        self.topologies.insert(key.to_string(), Box::new((self.node_generation, t.clone())));
        t
    }

    /// A new scheduling cycle starts (selectors used in it count as recent).
    pub fn next_cycle(&mut self) {
        self.cycle += 1;
    }

    pub fn node(&self, name: &str) -> &NodeInfo {
        self.nodes.get(name).map_or(&EMPTY, |n| n)
    }

    pub fn pod(&self, key: &ObjKey) -> Option<(&str, &Pod, &[AffinityTerm])> {
        self.pods.get(key).map(|cp| (cp.node.as_str(), cp.pod(), cp.anti.as_slice()))
    }

    /// Registers a selector (one pass over the cached pods the first time;
    /// kept up to date at every pod change afterwards) and returns its key
    /// for [`Cache::counts_of`].
    pub fn register(&mut self, m: &Matcher) -> String {
        let key = m.key();
        if !self.counts.contains_key(&key) {
            if self.counts.len() >= MAX_MATCHERS {
                // the least recently used selector goes, unless this cycle uses it
                let cycle = self.cycle;
                let oldest = self.counts.iter().filter(|(_, c)| c.last_used < cycle).min_by_key(|(_, c)| c.last_used).map(|(k, _)| k.clone());
                if let Some(k) = oldest {
                    self.counts.remove(&k);
                }
            }
            let mut per_node: BTreeMap<String, i64> = BTreeMap::new();
            for cp in self.pods.values() {
                if m.matches(cp.pod()) {
                    *per_node.entry(cp.node.clone()).or_default() += 1;
                }
            }
            self.counts.insert(key.clone(), Box::new(Counts { matcher: m.clone(), per_node, last_used: 0 }));
        }
        self.counts.get_mut(&key).expect("registered").last_used = self.cycle;
        key
    }

    /// Matching pods per node for a selector registered in this cycle.
    pub fn counts_of(&self, key: &str) -> &BTreeMap<String, i64> {
        &self.counts[key].per_node
    }

    /// Recomputes everything from the store and compares (debug builds).
    #[cfg(debug_assertions)]
    pub fn verify(&self, store: &crate::engine::store::Store) {
        // The check rebuilds the cache from the store: at every cycle while
        // the cluster is small (the tests' clusters), at about one cycle in
        // pods/500 in a big one, so debug runs stay linear in its size.
        let pods = store.count(Kind::Pod) as u64;
        if pods > 500 && !self.cycle.is_multiple_of(pods / 500 + 1) {
            return;
        }
        let mut want = Cache::default();
        for p in store.list_t::<Pod>() {
            if occupies(p) {
                let o = store.get(Kind::Pod, &p.key()).expect("listed").clone();
                want.add(&p.key(), p, o);
            }
        }
        assert_eq!(self.pods.keys().collect::<Vec<_>>(), want.pods.keys().collect::<Vec<_>>(), "scheduler cache: pods");
        for (name, w) in &want.nodes {
            let have = self.node(name);
            let norm = |r: &Resources| {
                let mut r = r.clone();
                r.scalar.retain(|_, v| *v != 0);
                r
            };
            let mut hp = have.ports.clone();
            let mut wp = w.ports.clone();
            crate::engine::sort::sort(&mut hp);
            crate::engine::sort::sort(&mut wp);
            let mut ha = have.anti.clone();
            crate::engine::sort::sort(&mut ha);
            let mut wa = w.anti.clone();
            crate::engine::sort::sort(&mut wa);
            assert!(
                norm(&have.requested) == norm(&w.requested)
                    && norm(&have.non_zero) == norm(&w.non_zero)
                    && have.pods == w.pods
                    && hp == wp
                    && ha == wa
                    && have.priorities == w.priorities,
                "scheduler cache: node {name}: {have:?} != {w:?}"
            );
        }
        assert_eq!(self.nodes.len(), want.nodes.len(), "scheduler cache: nodes");
        let nodes: Vec<&Node> = store.list_t::<Node>().collect();
        for (key, b) in &self.topologies {
            let (generation, t) = &**b;
            if *generation == self.node_generation && t.domain_of.len() == nodes.len() {
                assert_eq!(**t, Topology::of(key, &nodes), "scheduler cache: topology {key}");
            }
        }
        assert_eq!(self.allocatable.len(), nodes.len(), "scheduler cache: allocatable");
        for n in nodes {
            assert_eq!(self.allocatable(&n.metadata.name), Some(&allocatable(n)), "scheduler cache: allocatable of {}", n.metadata.name);
        }
        for c in self.counts.values() {
            let mut per_node: BTreeMap<String, i64> = BTreeMap::new();
            for cp in want.pods.values() {
                if c.matcher.matches(cp.pod()) {
                    *per_node.entry(cp.node.clone()).or_default() += 1;
                }
            }
            assert_eq!(c.per_node, per_node, "scheduler cache: counts for {:?}", c.matcher);
        }
    }
}
