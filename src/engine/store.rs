//! The object store (etcd, in effect): ordered tables per kind, a global
//! resourceVersion, secondary indexes the controllers need to stay
//! incremental, and the change journal that feeds the controllers.
//!
//! The store does no validation: the API server (`apiserver`) decides what is
//! written. Objects are shared `Rc`s, so a change record holds the old and
//! the new object without copying.

use crate::engine::api::*;
use std::collections::BTreeMap;
use std::rc::Rc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Added,
    Modified,
    Deleted,
}

/// One write, as a watch event: the object before and after.
#[derive(Clone, Debug)]
pub struct Change {
    pub op: Op,
    pub kind: Kind,
    pub key: ObjKey,
    pub rv: u64,
    pub old: Option<Rc<Object>>,
    pub new: Option<Rc<Object>>,
}

impl Change {
    /// The object as it is now, or as it was just before deletion.
    pub fn object(&self) -> &Object {
        self.new.as_deref().or(self.old.as_deref()).expect("a change has an object")
    }
    pub fn obj_ref(&self) -> ObjRef {
        ObjRef { kind: self.kind, key: self.key.clone() }
    }
    pub fn typed<T: Resource>(&self) -> (Option<&T>, Option<&T>) {
        (self.old.as_deref().and_then(T::from_object), self.new.as_deref().and_then(T::from_object))
    }
}

/// Keys are shared (`Rc`) between a table and the indexes that name the
/// same object, so a copy of the store (a checkpoint) copies pointers, not
/// strings.
type Table = BTreeMap<Rc<ObjKey>, Rc<Object>>;

#[derive(Clone, Default)]
pub struct Store {
    tables: Vec<Table>,
    /// What a kind without a table lists (a custom kind no object of which was written).
    empty: Table,
    rv: u64,
    by_uid: BTreeMap<Rc<str>, (Kind, Rc<ObjKey>)>,
    /// owner uid -> objects listing it in ownerReferences
    dependents: BTreeMap<String, crate::engine::sort::BoxedSet<ObjRef>>,
    /// node name -> pods bound to it
    /// Pods bound to each node, with the objects themselves so that
    /// listing a node's pods needs no lookups (the scheduler does it for
    /// every node at every decision).
    pods_by_node: BTreeMap<String, BTreeMap<Rc<ObjKey>, Rc<Object>>>,
    /// (namespace, claim name) -> pods that mount it
    // A boxed sorted Vec: BTreeSet<ObjKey> brought its own copy of BTreeMap's code.
    pods_by_claim: BTreeMap<ObjKey, Box<crate::engine::sort::VecSet<ObjKey>>>,
    /// storage class name -> PersistentVolumes of that class
    pvs_by_class: BTreeMap<String, crate::engine::sort::BoxedSet<String>>,
    journal: Vec<Change>,
}

impl Store {
    pub fn new() -> Store {
        Store { tables: vec![Table::new(); Kind::ALL.len()], ..Default::default() }
    }

    pub fn resource_version(&self) -> u64 {
        self.rv
    }

    fn table(&self, kind: Kind) -> &Table {
        self.tables.get(kind.index()).unwrap_or(&self.empty)
    }

    /// A kind's table, made when its first object (a custom resource's) is written.
    fn table_mut(&mut self, kind: Kind) -> &mut Table {
        let i = kind.index();
        if i >= self.tables.len() {
            self.tables.resize(i + 1, Table::new());
        }
        &mut self.tables[i]
    }

    pub fn get(&self, kind: Kind, key: &ObjKey) -> Option<&Rc<Object>> {
        self.table(kind).get(key)
    }

    pub fn get_ref(&self, r: &ObjRef) -> Option<&Rc<Object>> {
        self.get(r.kind, &r.key)
    }

    pub fn get_t<T: Resource>(&self, namespace: &str, name: &str) -> Option<&T> {
        self.table(T::KIND).get(&ObjKey::new(namespace, name)).and_then(|o| T::from_object(o))
    }

    pub fn contains(&self, kind: Kind, key: &ObjKey) -> bool {
        self.table(kind).contains_key(key)
    }

    /// All objects of a kind, ordered by namespace then name.
    pub fn list(&self, kind: Kind) -> impl Iterator<Item = &Rc<Object>> {
        self.table(kind).values()
    }

    /// Objects of a kind in one namespace, ordered by name.
    pub fn list_ns<'a>(&'a self, kind: Kind, namespace: &str) -> impl Iterator<Item = &'a Rc<Object>> + 'a {
        let start = ObjKey::new(namespace, "");
        let ns = start.namespace.clone();
        self.table(kind).range(start..).take_while(move |(k, _)| k.namespace == ns).map(|(_, v)| v)
    }

    pub fn list_t<T: Resource>(&self) -> impl Iterator<Item = &T> {
        self.table(T::KIND).values().filter_map(|o| T::from_object(o))
    }

    pub fn list_ns_t<'a, T: Resource>(&'a self, namespace: &str) -> impl Iterator<Item = &'a T> + 'a {
        self.list_ns(T::KIND, namespace).filter_map(|o| T::from_object(o))
    }

    pub fn count(&self, kind: Kind) -> usize {
        self.table(kind).len()
    }

    pub fn by_uid(&self, uid: &str) -> Option<&Rc<Object>> {
        self.by_uid.get(uid).and_then(|(kind, key)| self.get(*kind, key))
    }

    /// Objects whose ownerReferences name this uid.
    pub fn dependents(&self, owner_uid: &str) -> impl Iterator<Item = &ObjRef> {
        self.dependents.get(owner_uid).map(|s| &**s).into_iter().flatten()
    }

    /// Objects of one kind whose ownerReferences name this uid (a range of
    /// the owner index: a controller's pods, or its revisions, without
    /// walking its other dependents).
    pub fn dependents_of_kind<'a>(&'a self, owner_uid: &str, kind: Kind) -> impl Iterator<Item = &'a ObjRef> + 'a {
        let lo = ObjRef { kind, key: ObjKey::default() };
        self.dependents.get(owner_uid).into_iter().flat_map(move |s| s.range(lo.clone()..).take_while(move |r| r.kind == kind))
    }

    /// How many of this store's objects `other` does not hold (the same
    /// version, shared): what a copy of this store keeps alive by itself.
    pub fn unshared_with(&self, other: &Store) -> usize {
        let mut n = 0;
        for (i, mine) in self.tables.iter().enumerate() {
            let theirs = other.tables.get(i).unwrap_or(&other.empty);
            let mut it = theirs.iter().peekable();
            for (k, o) in mine {
                while it.next_if(|(tk, _)| tk < &k).is_some() {}
                let shared = it.peek().is_some_and(|(tk, to)| *tk == k && Rc::ptr_eq(to, o));
                if !shared {
                    n += 1;
                }
            }
        }
        n
    }

    /// The key of a stored object as the store shares it (for indexes kept
    /// outside the store, such as the event correlator's).
    pub fn shared_key(&self, kind: Kind, key: &ObjKey) -> Option<Rc<ObjKey>> {
        self.table(kind).get_key_value(key).map(|(k, _)| k.clone())
    }

    pub fn pods_on_node<'a>(&'a self, node: &str) -> impl Iterator<Item = &'a Pod> + 'a {
        self.pods_by_node.get(node).into_iter().flat_map(|m| m.values()).filter_map(|o| Pod::from_object(o))
    }

    pub fn pods_using_claim<'a>(&'a self, namespace: &str, claim: &str) -> impl Iterator<Item = &'a Pod> + 'a {
        self.pods_by_claim
            .get(&ObjKey::new(namespace, claim))
            .map(|s| &**s)
            .into_iter()
            .flatten()
            .filter_map(|k| self.get(Kind::Pod, k).and_then(|o| Pod::from_object(o)))
    }

    /// PersistentVolumes whose spec.storageClassName is `class` ("" for none), by name.
    pub fn pvs_of_class<'a>(&'a self, class: &str) -> impl Iterator<Item = &'a PersistentVolume> + 'a {
        self.pvs_by_class
            .get(class)
            .map(|s| &**s)
            .into_iter()
            .flatten()
            .filter_map(|n| self.get(Kind::PersistentVolume, &ObjKey::cluster(n)).and_then(|o| PersistentVolume::from_object(o)))
    }

    /// Writes an object (insert or replace), stamping the next resourceVersion.
    /// Only the API server writes (tests/layers.rs checks it): everyone else
    /// goes through `Api` and gets defaulting, admission, validation and
    /// metadata bookkeeping.
    pub fn put(&mut self, mut obj: Object) -> Rc<Object> {
        self.rv += 1;
        obj.meta_mut().resource_version = self.rv.to_string();
        let kind = obj.kind();
        let key = obj.key();
        let new = Rc::new(obj);
        let table = self.table_mut(kind);
        let old = match table.get_mut(&key) {
            Some(slot) => Some(std::mem::replace(slot, new.clone())),
            None => {
                table.insert(Rc::new(key.clone()), new.clone());
                None
            }
        };
        match &old {
            // most writes are status updates: nothing the indexes key on moved
            Some(o) if same_index_keys(o, &new) => {
                if let Object::Pod(p) = &*new
                    && let Some(slot) = self.pods_by_node.get_mut(&p.spec.node_name).and_then(|m| m.get_mut(&key))
                {
                    *slot = new.clone();
                }
            }
            Some(o) => {
                self.unindex(o);
                self.index(&new);
            }
            None => self.index(&new),
        }
        self.journal.push(Change { op: if old.is_some() { Op::Modified } else { Op::Added }, kind, key, rv: self.rv, old, new: Some(new.clone()) });
        new
    }

    /// Removes an object for good (only the API server: see [`Store::put`]).
    pub fn remove(&mut self, kind: Kind, key: &ObjKey) -> Option<Rc<Object>> {
        let old = self.table_mut(kind).remove(key)?;
        self.rv += 1;
        self.unindex(&old);
        self.journal.push(Change { op: Op::Deleted, kind, key: key.clone(), rv: self.rv, old: Some(old.clone()), new: None });
        Some(old)
    }

    /// Takes the changes written since the last call.
    pub fn drain_changes(&mut self) -> Vec<Change> {
        std::mem::take(&mut self.journal)
    }

    fn index(&mut self, o: &Rc<Object>) {
        let r = o.obj_ref();
        let m = o.meta();
        let shared = self.shared_key(r.kind, &r.key).expect("indexed after it is stored");
        if !m.uid.is_empty() {
            self.by_uid.insert(Rc::from(m.uid.as_str()), (r.kind, shared.clone()));
        }
        for own in &m.owner_references {
            self.dependents.entry(own.uid.clone()).or_default().insert(r.clone());
        }
        if let Object::PersistentVolume(v) = &**o {
            self.pvs_by_class.entry(v.spec.storage_class_name.clone()).or_default().insert(m.name.clone());
        }
        if let Object::Pod(p) = &**o {
            if !p.spec.node_name.is_empty() {
                self.pods_by_node.entry(p.spec.node_name.clone()).or_default().insert(shared, o.clone());
            }
            for v in &p.spec.volumes {
                if let Some(c) = &v.persistent_volume_claim {
                    self.pods_by_claim.entry(ObjKey::new(&m.namespace, &c.claim_name)).or_default().insert(r.key.clone());
                }
            }
        }
    }

    fn unindex(&mut self, o: &Rc<Object>) {
        let r = o.obj_ref();
        let m = o.meta();
        if self.by_uid.get(m.uid.as_str()).is_some_and(|(kind, key)| *kind == r.kind && **key == r.key) {
            self.by_uid.remove(m.uid.as_str());
        }
        for own in &m.owner_references {
            if let Some(set) = self.dependents.get_mut(&own.uid) {
                set.remove(&r);
                if set.is_empty() {
                    self.dependents.remove(&own.uid);
                }
            }
        }
        if let Object::PersistentVolume(v) = &**o
            && let Some(set) = self.pvs_by_class.get_mut(&v.spec.storage_class_name)
        {
            set.remove(&m.name);
            if set.is_empty() {
                self.pvs_by_class.remove(&v.spec.storage_class_name);
            }
        }
        if let Object::Pod(p) = &**o {
            if let Some(set) = self.pods_by_node.get_mut(&p.spec.node_name) {
                set.remove(&r.key);
                if set.is_empty() {
                    self.pods_by_node.remove(&p.spec.node_name);
                }
            }
            for v in &p.spec.volumes {
                if let Some(c) = &v.persistent_volume_claim {
                    let ck = ObjKey::new(&m.namespace, &c.claim_name);
                    if let Some(set) = self.pods_by_claim.get_mut(&ck) {
                        set.remove(&r.key);
                        if set.is_empty() {
                            self.pods_by_claim.remove(&ck);
                        }
                    }
                }
            }
        }
    }
}

/// Whether two versions of an object have the same entries in every index
/// (then a write only refreshes the pod held by the node index).
fn same_index_keys(a: &Object, b: &Object) -> bool {
    let (ma, mb) = (a.meta(), b.meta());
    if ma.uid != mb.uid
        || ma.owner_references.len() != mb.owner_references.len()
        || ma.owner_references.iter().zip(&mb.owner_references).any(|(x, y)| x.uid != y.uid)
    {
        return false;
    }
    match (a, b) {
        (Object::PersistentVolume(x), Object::PersistentVolume(y)) => x.spec.storage_class_name == y.spec.storage_class_name,
        (Object::Pod(x), Object::Pod(y)) => {
            fn claims(p: &Pod) -> impl Iterator<Item = &str> {
                p.spec.volumes.iter().filter_map(|v| v.persistent_volume_claim.as_ref().map(|c| c.claim_name.as_str()))
            }
            x.spec.node_name == y.spec.node_name && x.metadata.namespace == y.metadata.namespace && claims(x).eq(claims(y))
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(ns: &str, name: &str, node: &str, owner: &str) -> Object {
        let mut p = Pod { metadata: ObjectMeta::named(ns, name), ..Default::default() };
        p.metadata.uid = format!("uid-{name}");
        p.spec.node_name = node.into();
        if !owner.is_empty() {
            p.metadata.owner_references.push(OwnerReference { uid: owner.into(), ..Default::default() });
        }
        Object::Pod(p)
    }

    #[test]
    fn put_get_list_and_indexes() {
        let mut s = Store::new();
        s.put(pod("default", "b", "node-a", "rs1"));
        s.put(pod("default", "a", "node-b", "rs1"));
        s.put(pod("other", "c", "node-a", ""));
        let names: Vec<_> = s.list_ns(Kind::Pod, "default").map(|o| o.meta().name.clone()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(s.pods_on_node("node-a").count(), 2);
        assert_eq!(s.dependents("rs1").count(), 2);
        assert_eq!(s.by_uid("uid-c").unwrap().meta().namespace, "other");
        // moving a pod updates the node index
        s.put(pod("default", "b", "node-c", ""));
        assert_eq!(s.pods_on_node("node-a").count(), 1);
        assert_eq!(s.dependents("rs1").count(), 1);
        // a status write on the same node: the node index holds the new version
        let mut b = pod("default", "b", "node-c", "");
        if let Object::Pod(p) = &mut b {
            p.status.phase = PodPhase::Running;
        }
        s.put(b);
        assert_eq!(s.pods_on_node("node-c").map(|p| p.status.phase.clone()).collect::<Vec<_>>(), [PodPhase::Running]);
        let copy = s.clone();
        assert_eq!(copy.unshared_with(&s), 0);
        s.remove(Kind::Pod, &ObjKey::new("default", "a"));
        assert_eq!(s.dependents("rs1").count(), 0);
        assert_eq!(copy.unshared_with(&s), 1, "the copy alone keeps pod a");
        assert_eq!(s.unshared_with(&copy), 0);
        let ch = s.drain_changes();
        assert_eq!(ch.len(), 6);
        assert_eq!(ch[4].op, Op::Modified);
        assert_eq!(ch[5].op, Op::Deleted);
        assert_eq!(s.resource_version(), 6);
    }
}
