//! The simulated API server: every write to the store goes through here and
//! gets the treatment a real kube-apiserver gives it — defaulting, admission,
//! validation, metadata bookkeeping (uid, resourceVersion, generation,
//! creationTimestamp), graceful deletion and finalizers — plus the event
//! recorder and the timer wheel controllers use to wake up later.

pub mod admission;
pub mod defaults;
pub mod validation;

use crate::engine::api::*;
use crate::engine::controllers::Ctl;
use crate::engine::rng::Rng;
use crate::engine::store::Store;
use crate::engine::time::{Millis, Time};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::rc::Rc;

pub use validation::FieldError;

/// metav1.StatusReason, as kubectl prints it in `Error from server (Reason)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    NotFound,
    AlreadyExists,
    Conflict,
    Invalid,
    Forbidden,
    BadRequest,
    TooManyRequests,
    InternalError,
    RequestEntityTooLarge,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::NotFound => "NotFound",
            Reason::AlreadyExists => "AlreadyExists",
            Reason::Conflict => "Conflict",
            Reason::Invalid => "Invalid",
            Reason::Forbidden => "Forbidden",
            Reason::BadRequest => "BadRequest",
            Reason::TooManyRequests => "TooManyRequests",
            Reason::InternalError => "InternalError",
            Reason::RequestEntityTooLarge => "RequestEntityTooLarge",
        }
    }
}

/// An error status from the API server.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    pub reason: Reason,
    pub message: String,
    /// For Invalid: the kind and name, and the field errors, which kubectl
    /// prints as `The StatefulSet "web" is invalid: ...`.
    pub kind: String,
    pub name: String,
    pub causes: Vec<FieldError>,
}

impl ApiError {
    pub fn new(reason: Reason, message: impl Into<String>) -> ApiError {
        ApiError { reason, message: message.into(), kind: String::new(), name: String::new(), causes: vec![] }
    }
    pub fn not_found(kind: Kind, name: &str) -> ApiError {
        ApiError::new(Reason::NotFound, format!("{} \"{}\" not found", kind.info().qualified_plural(), name))
    }
    pub fn already_exists(kind: Kind, name: &str) -> ApiError {
        ApiError::new(Reason::AlreadyExists, format!("{} \"{}\" already exists", kind.info().qualified_plural(), name))
    }
    pub fn invalid(kind: Kind, name: &str, causes: Vec<FieldError>) -> ApiError {
        let gk = if kind.info().group.is_empty() { kind.info().kind.to_string() } else { format!("{}.{}", kind.info().kind, kind.info().group) };
        let msg = if causes.len() == 1 {
            format!("{gk} \"{name}\" is invalid: {}", causes[0])
        } else {
            format!("{gk} \"{name}\" is invalid: [{}]", causes.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(", "))
        };
        ApiError { reason: Reason::Invalid, message: msg, kind: kind.info().kind.into(), name: name.into(), causes }
    }
    pub fn is_not_found(&self) -> bool {
        self.reason == Reason::NotFound
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// How dependents are treated when their owner is deleted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Propagation {
    #[default]
    Background,
    Foreground,
    Orphan,
}

#[derive(Clone, Debug, Default)]
pub struct DeleteOptions {
    /// None: the object's own default (a pod's terminationGracePeriodSeconds).
    pub grace_period: Option<i64>,
    /// None: the kind's default (Background for kubectl, Orphan for nothing here).
    pub propagation: Option<Propagation>,
    /// Only delete if the uid still matches.
    pub uid: Option<String>,
}

/// What a successful write returns: the stored object and any warnings the
/// server attached (kubectl prints them as `Warning: ...`).
#[derive(Clone, Debug)]
pub struct Written {
    pub object: Rc<Object>,
    pub warnings: Vec<String>,
}

/// A pending wake-up of a controller for one key.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct TimerEntry {
    at: Millis,
    seq: u64,
    ctl: Ctl,
    key: ObjRef,
    /// Significant timers keep `settle` going; heartbeats and resyncs do not.
    significant: bool,
}

#[derive(Clone, Default)]
pub struct Timers {
    heap: BinaryHeap<Reverse<TimerEntry>>,
    seq: u64,
    significant: usize,
}

impl Timers {
    pub fn next_at(&self) -> Option<Millis> {
        self.heap.peek().map(|Reverse(t)| t.at)
    }
    /// The earliest significant timer (what `settle` waits for).
    pub fn has_significant(&self) -> bool {
        self.significant > 0
    }
    pub fn len(&self) -> usize {
        self.heap.len()
    }
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
    /// Pops every timer due at or before `now`.
    pub fn pop_due(&mut self, now: Millis) -> Vec<(Ctl, ObjRef, bool)> {
        let mut out = vec![];
        while let Some(Reverse(t)) = self.heap.peek() {
            if t.at > now {
                break;
            }
            let Reverse(t) = self.heap.pop().expect("peeked");
            if t.significant {
                self.significant -= 1;
            }
            out.push((t.ctl, t.key, t.significant));
        }
        out
    }
}

/// Correlates repeated events into one object with a count, as client-go's
/// EventCorrelator does.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct EventKey {
    component: String,
    host: String,
    involved: (String, String, String, String),
    type_: String,
    reason: String,
    message: String,
}

/// The API server and everything controllers share: store, clock, random
/// generator, timers, allocators.
#[derive(Clone)]
pub struct Api {
    pub store: Store,
    pub now: Time,
    pub rng: Rng,
    pub timers: Timers,
    events: BTreeMap<EventKey, ObjKey>,
    event_seq: u64,
    pub(crate) alloc: admission::Allocators,
    /// Flags and feature gates of the simulated control plane.
    pub config: crate::engine::cluster::Config,
}

impl Api {
    pub fn new(seed: u64, now: Time, config: crate::engine::cluster::Config) -> Api {
        Api {
            store: Store::new(),
            now,
            rng: Rng::new(seed),
            timers: Timers::default(),
            events: BTreeMap::new(),
            event_seq: 0,
            alloc: admission::Allocators::default(),
            config,
        }
    }

    // ---------------------------------------------------------------- reads

    pub fn get(&self, kind: Kind, namespace: &str, name: &str) -> Result<Rc<Object>, ApiError> {
        let ns = if kind.namespaced() { namespace } else { "" };
        self.store.get(kind, &ObjKey::new(ns, name)).cloned().ok_or_else(|| ApiError::not_found(kind, name))
    }

    pub fn get_t<T: Resource>(&self, namespace: &str, name: &str) -> Option<&T> {
        let ns = if T::KIND.namespaced() { namespace } else { "" };
        self.store.get_t::<T>(ns, name)
    }

    // ---------------------------------------------------------------- timers

    /// Wakes `ctl` for `key` at `at` (a deadline the controller knows about).
    pub fn wake_at(&mut self, at: Time, ctl: Ctl, key: ObjRef) {
        self.push_timer(at, ctl, key, true);
    }

    /// Like `wake_at`, for periodic housekeeping that must not keep `settle` busy.
    pub fn wake_idle_at(&mut self, at: Time, ctl: Ctl, key: ObjRef) {
        self.push_timer(at, ctl, key, false);
    }

    fn push_timer(&mut self, at: Time, ctl: Ctl, key: ObjRef, significant: bool) {
        self.timers.seq += 1;
        if significant {
            self.timers.significant += 1;
        }
        let at = at.0.max(self.now.0);
        self.timers.heap.push(Reverse(TimerEntry { at, seq: self.timers.seq, ctl, key, significant }));
    }

    // ---------------------------------------------------------------- writes

    /// Creates an object as a client would (defaulting, admission, validation).
    pub fn create(&mut self, obj: Object) -> Result<Written, ApiError> {
        self.create_with(obj, false)
    }

    /// Runs create's checks without writing (kubectl's all-or-nothing apply uses it).
    pub fn create_dry_run(&mut self, obj: Object) -> Result<Written, ApiError> {
        let saved_rng = self.rng.clone();
        let saved_alloc = self.alloc.clone();
        let r = self.create_with(obj, true);
        self.rng = saved_rng;
        self.alloc = saved_alloc;
        r
    }

    fn create_with(&mut self, obj: Object, dry_run: bool) -> Result<Written, ApiError> {
        let kind = obj.kind();
        let mut obj = obj.with_type_meta();
        {
            let m = obj.meta_mut();
            if !kind.namespaced() {
                m.namespace.clear();
            } else if m.namespace.is_empty() {
                m.namespace = "default".into();
            }
        }
        let generated = obj.meta().name.is_empty();
        if generated {
            let prefix = obj.meta().generate_name.clone();
            if prefix.is_empty() {
                let causes = vec![FieldError::required("metadata.name", "name or generateName is required")];
                return Err(ApiError::invalid(kind, "", causes));
            }
            // names.SimpleNameGenerator: prefix (cut to 58) + 5 random chars
            let cut: String = prefix.chars().take(58).collect();
            let suffix = self.rng.string(5);
            obj.meta_mut().name = format!("{cut}{suffix}");
        }
        let name = obj.meta().name.clone();
        let ns = obj.meta().namespace.clone();
        if kind.namespaced() {
            match self.store.get_t::<Namespace>("", &ns) {
                None => return Err(ApiError::new(Reason::NotFound, format!("namespaces \"{ns}\" not found"))),
                Some(n) if n.metadata.is_deleting() && kind != Kind::Event => {
                    // NamespaceLifecycle runs before the name is generated.
                    let shown = if generated { obj.meta().generate_name.clone() } else { name.clone() };
                    return Err(ApiError::new(
                        Reason::Forbidden,
                        format!(
                            "{} \"{}\" is forbidden: unable to create new content in namespace {} because it is being terminated",
                            kind.info().qualified_plural(),
                            shown,
                            ns
                        ),
                    ));
                }
                _ => {}
            }
        }
        if self.store.contains(kind, &obj.key()) {
            return Err(ApiError::already_exists(kind, &name));
        }
        defaults::apply(&mut obj);
        let mut warnings = vec![];
        admission::mutate_create(self, &mut obj, generated, &mut warnings)?;
        let errs = validation::validate_create(&obj, &self.store);
        if !errs.is_empty() {
            return Err(ApiError::invalid(kind, &name, errs));
        }
        admission::validate_create(self, &obj)?;
        if dry_run {
            return Ok(Written { object: Rc::new(obj), warnings });
        }
        let uid = self.rng.uuid();
        let now = self.now;
        {
            let m = obj.meta_mut();
            m.uid = uid;
            m.creation_timestamp = Some(now);
            m.deletion_timestamp = None;
            m.deletion_grace_period_seconds = None;
            m.generation = if has_generation(kind) { 1 } else { 0 };
            m.managed_fields = None;
            m.self_link = None;
        }
        prepare_create_status(&mut obj, now);
        admission::after_create(self, &mut obj);
        let object = self.store.put(obj);
        Ok(Written { object, warnings })
    }

    /// Replaces an object's spec and metadata as a client update would. The
    /// status is kept from the stored object for kinds with a status subresource.
    pub fn update(&mut self, obj: Object) -> Result<Written, ApiError> {
        self.update_inner(obj, false, false)
    }

    /// Validates an update without writing it.
    pub fn update_dry_run(&mut self, obj: Object) -> Result<Written, ApiError> {
        self.update_inner(obj, false, true)
    }

    /// Writes the status (and only the status) of an object.
    pub fn update_status(&mut self, obj: Object) -> Result<Written, ApiError> {
        self.update_inner(obj, true, false)
    }

    fn update_inner(&mut self, obj: Object, status_only: bool, dry_run: bool) -> Result<Written, ApiError> {
        let kind = obj.kind();
        let mut obj = obj.with_type_meta();
        if !kind.namespaced() {
            obj.meta_mut().namespace.clear();
        } else if obj.meta().namespace.is_empty() {
            obj.meta_mut().namespace = "default".into();
        }
        let key = obj.key();
        let Some(old) = self.store.get(kind, &key).cloned() else {
            return Err(ApiError::not_found(kind, &key.name));
        };
        {
            // system metadata is the server's
            let om = old.meta();
            let m = obj.meta_mut();
            m.uid = om.uid.clone();
            m.creation_timestamp = om.creation_timestamp;
            m.deletion_timestamp = om.deletion_timestamp;
            m.deletion_grace_period_seconds = om.deletion_grace_period_seconds;
            m.generation = om.generation;
            m.managed_fields = None;
            m.self_link = None;
            m.generate_name = if m.generate_name.is_empty() { om.generate_name.clone() } else { m.generate_name.clone() };
        }
        let mut warnings = vec![];
        if status_only {
            obj = status_merge(&old, obj);
        } else {
            if has_status_subresource(kind) {
                obj = keep_status(&old, obj);
            }
            defaults::apply(&mut obj);
            admission::mutate_update(self, &old, &mut obj, &mut warnings)?;
            let errs = validation::validate_update(&old, &obj, &self.store);
            if !errs.is_empty() {
                return Err(ApiError::invalid(kind, &key.name, errs));
            }
            admission::validate_update(self, &old, &obj)?;
            // deploymentStrategy also bumps the generation for annotation changes
            // (they are copied to the ReplicaSets).
            let annotations_changed = kind == Kind::Deployment && old.meta().annotations != obj.meta().annotations;
            if has_generation(kind) && (spec_changed(&old, &obj) || annotations_changed) {
                obj.meta_mut().generation = old.meta().generation + 1;
            }
        }
        if dry_run {
            return Ok(Written { object: Rc::new(obj), warnings });
        }
        if *old == obj_with_rv(&obj, &old) {
            // a no-op write does not bump the resourceVersion
            return Ok(Written { object: old, warnings });
        }
        // An object being deleted goes away when its last finalizer does.
        let ns_finalized = match &obj {
            Object::Namespace(n) => n.spec.finalizers.is_empty(),
            _ => true,
        };
        if obj.meta().is_deleting() && obj.meta().finalizers.is_empty() && ns_finalized && !(kind == Kind::Pod && !pod_may_vanish(&obj)) {
            self.store.remove(kind, &key);
            return Ok(Written { object: Rc::new(obj), warnings });
        }
        let object = self.store.put(obj);
        Ok(Written { object, warnings })
    }

    /// Deletes an object: immediately, or by setting deletionTimestamp when it
    /// has finalizers or (a pod on a node) a grace period.
    pub fn delete(&mut self, kind: Kind, namespace: &str, name: &str, opts: &DeleteOptions) -> Result<Rc<Object>, ApiError> {
        let ns = if kind.namespaced() { namespace } else { "" };
        let key = ObjKey::new(ns, name);
        let Some(old) = self.store.get(kind, &key).cloned() else {
            return Err(ApiError::not_found(kind, name));
        };
        admission::validate_delete(kind, name)?;
        if let Some(uid) = &opts.uid {
            if &old.meta().uid != uid {
                return Err(ApiError::new(
                    Reason::Conflict,
                    format!(
                        "Operation cannot be fulfilled on {} \"{}\": Precondition failed: UID in precondition: {}, UID in object meta: {}",
                        kind.info().qualified_plural(),
                        name,
                        uid,
                        old.meta().uid
                    ),
                ));
            }
        }
        let mut obj = (*old).clone();
        let propagation = opts.propagation.unwrap_or(default_propagation(kind));
        let now = self.now;

        // Graceful deletion of pods bound to a node: the kubelet finishes it.
        let mut grace = 0i64;
        if let Object::Pod(p) = &obj {
            grace = opts.grace_period.unwrap_or_else(|| p.spec.termination_grace_period_seconds.unwrap_or(30));
            let terminal = p.status.phase == "Succeeded" || p.status.phase == "Failed";
            if p.spec.node_name.is_empty() || terminal {
                grace = 0;
            }
            if let Some(existing) = p.metadata.deletion_grace_period_seconds {
                // a second delete may only shorten the grace period
                grace = grace.min(existing);
            }
        }
        {
            let m = obj.meta_mut();
            match propagation {
                Propagation::Orphan => m.add_finalizer("orphan"),
                Propagation::Foreground => m.add_finalizer("foregroundDeletion"),
                Propagation::Background => {}
            }
        }
        if let Object::Namespace(n) = &mut obj {
            n.status.phase = "Terminating".into();
            n.metadata.deletion_timestamp.get_or_insert(now);
            n.metadata.deletion_grace_period_seconds = Some(0);
            let o = self.store.put(obj);
            return Ok(o);
        }
        let has_finalizers = !obj.meta().finalizers.is_empty();
        if grace > 0 || has_finalizers {
            let m = obj.meta_mut();
            let at = if grace > 0 { now.plus(crate::engine::time::seconds(grace)) } else { now };
            m.deletion_timestamp = Some(match m.deletion_timestamp {
                Some(t) if t < at => t,
                _ => at,
            });
            m.deletion_grace_period_seconds = Some(grace);
            if *old == obj_with_rv(&obj, &old) {
                return Ok(old);
            }
            let o = self.store.put(obj);
            return Ok(o);
        }
        self.store.remove(kind, &key);
        obj.meta_mut().deletion_timestamp = Some(now);
        obj.meta_mut().deletion_grace_period_seconds = Some(0);
        Ok(Rc::new(obj))
    }

    /// Removes a finalizer (a controller finishing its part of a deletion).
    pub fn remove_finalizer(&mut self, kind: Kind, key: &ObjKey, finalizer: &str) -> Result<(), ApiError> {
        let Some(o) = self.store.get(kind, key).cloned() else { return Ok(()) };
        let mut obj = (*o).clone();
        if obj.meta_mut().remove_finalizer(finalizer) {
            self.update(obj)?;
        }
        Ok(())
    }

    /// The pods/binding subresource (what the scheduler posts): assigns an
    /// unbound pod to a node and marks it PodScheduled, in one write
    /// (BindingREST.setPodNodeAndMetadata). Spec validation and generation
    /// bookkeeping do not apply to this subresource. The PodTopologyLabels
    /// admission puts the node's topology labels on the Binding, and the
    /// binding registry copies the Binding's labels onto the pod,
    /// overwriting the pod's own (copyLabelsWithOverwriting).
    pub fn bind(&mut self, namespace: &str, name: &str, uid: &str, node: &str) -> Result<Rc<Object>, ApiError> {
        let key = ObjKey::new(namespace, name);
        let Some(Object::Pod(p)) = self.store.get(Kind::Pod, &key).map(|o| (**o).clone()) else {
            return Err(ApiError::not_found(Kind::Pod, name));
        };
        if !uid.is_empty() && p.metadata.uid != uid {
            return Err(ApiError::new(
                Reason::Conflict,
                format!(
                    "Operation cannot be fulfilled on pods \"{name}\": Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
                    p.metadata.uid
                ),
            ));
        }
        if p.metadata.deletion_timestamp.is_some() {
            return Err(ApiError::new(Reason::Conflict, format!("pod {name} is being deleted, cannot be assigned to a host")));
        }
        if !p.spec.node_name.is_empty() {
            return Err(ApiError::new(Reason::Conflict, format!("pod {name} is already assigned to node {:?}", p.spec.node_name)));
        }
        let mut p = p;
        p.spec.node_name = node.into();
        p.status.nominated_node_name.clear();
        for (k, v) in admission::topology_labels(self, node) {
            p.metadata.labels.insert(k, v);
        }
        let generation = p.metadata.generation;
        let now = self.now;
        match p.status.conditions.iter_mut().find(|c| c.type_ == "PodScheduled") {
            Some(c) => {
                if c.status != "True" {
                    c.last_transition_time = Some(now);
                }
                c.status = "True".into();
                c.reason.clear();
                c.message.clear();
                c.last_probe_time = None;
                c.observed_generation = generation;
            }
            None => p.status.conditions.push(PodCondition {
                type_: "PodScheduled".into(),
                status: "True".into(),
                observed_generation: generation,
                last_probe_time: None,
                last_transition_time: Some(now),
                reason: String::new(),
                message: String::new(),
            }),
        }
        Ok(self.store.put(Object::Pod(p)))
    }

    /// The final removal of a pod after its containers stopped (the kubelet's
    /// delete with grace period 0).
    pub fn finish_pod_deletion(&mut self, key: &ObjKey) {
        if let Some(o) = self.store.get(Kind::Pod, key).cloned() {
            if o.meta().finalizers.is_empty() {
                self.store.remove(Kind::Pod, key);
            } else {
                let mut obj = (*o).clone();
                obj.meta_mut().deletion_grace_period_seconds = Some(0);
                self.store.put(obj);
            }
        }
    }

    // ---------------------------------------------------------------- events

    /// Records an event about an object, correlating repeats into a count.
    pub fn event(&mut self, involved: &Object, type_: &str, reason: &str, message: &str, component: &str) {
        self.event_from(involved, type_, reason, message, component, "");
    }

    /// An event with a source host (the kubelet reports its node).
    pub fn event_from(&mut self, involved: &Object, type_: &str, reason: &str, message: &str, component: &str, host: &str) {
        let m = involved.meta();
        let info = involved.kind().info();
        let reference = ObjectReference {
            kind: info.kind.into(),
            namespace: m.namespace.clone(),
            name: m.name.clone(),
            uid: m.uid.clone(),
            api_version: info.api_version(),
            resource_version: m.resource_version.clone(),
            field_path: String::new(),
        };
        self.event_ref(reference, type_, reason, message, component, host);
    }

    pub fn event_ref(&mut self, involved: ObjectReference, type_: &str, reason: &str, message: &str, component: &str, host: &str) {
        let key = EventKey {
            component: component.into(),
            host: host.into(),
            involved: (involved.kind.clone(), involved.namespace.clone(), involved.name.clone(), involved.uid.clone()),
            type_: type_.into(),
            reason: reason.into(),
            message: message.into(),
        };
        let now = self.now;
        if let Some(ek) = self.events.get(&key) {
            if let Some(Object::Event(e)) = self.store.get(Kind::Event, ek).map(|o| (**o).clone()) {
                let mut e = e;
                e.count += 1;
                e.last_timestamp = Some(now);
                self.store.put(Object::Event(e));
                return;
            }
        }
        let ns = if involved.namespace.is_empty() { "default".to_string() } else { involved.namespace.clone() };
        self.event_seq += 1;
        let nanos = (now.0 as u128) * 1_000_000 + self.event_seq as u128 % 1_000_000;
        let name = format!("{}.{:x}", involved.name, nanos);
        let e = Event {
            api_version: "v1".into(),
            kind: "Event".into(),
            metadata: ObjectMeta { name: name.clone(), namespace: ns.clone(), uid: self.rng.uuid(), creation_timestamp: Some(now), ..Default::default() },
            involved_object: involved,
            reason: reason.into(),
            message: message.into(),
            source: EventSource { component: component.into(), host: host.into() },
            first_timestamp: Some(now),
            last_timestamp: Some(now),
            count: 1,
            type_: type_.into(),
            event_time: None,
            reporting_component: component.into(),
            reporting_instance: host.into(),
            action: String::new(),
        };
        let ek = ObjKey::new(&ns, &name);
        self.events.insert(key, ek);
        self.store.put(Object::Event(e));
    }

    /// Events about one object, oldest first (describe's Events section).
    pub fn events_for<'a>(&'a self, kind: Kind, namespace: &str, name: &str, uid: &str) -> Vec<&'a Event> {
        let ns: String = if namespace.is_empty() { "default".into() } else { namespace.into() };
        let mut v: Vec<&Event> = self
            .store
            .list_ns_t::<Event>(&ns)
            .filter(|e| e.involved_object.kind == kind.info().kind && e.involved_object.name == name && (uid.is_empty() || e.involved_object.uid == uid))
            .collect();
        crate::engine::sort::sort_by_key(&mut v, |e| {
            (e.first_timestamp, e.metadata.creation_timestamp, e.metadata.resource_version.parse::<u64>().unwrap_or(0))
        });
        v
    }

    /// Forgets events older than the API server's event TTL (one hour).
    pub fn expire_events(&mut self, ttl: Millis) {
        let cutoff = self.now.0 - ttl;
        let old: Vec<ObjKey> = self.store.list_t::<Event>().filter(|e| e.last_timestamp.map(|t| t.0).unwrap_or(0) < cutoff).map(|e| e.key()).collect();
        for k in old {
            self.store.remove(Kind::Event, &k);
        }
        let store = &self.store;
        self.events.retain(|_, k| store.contains(Kind::Event, k));
    }
}

/// A pod with a grace period left stays until the kubelet confirms.
fn pod_may_vanish(obj: &Object) -> bool {
    match obj {
        Object::Pod(p) => p.metadata.deletion_grace_period_seconds == Some(0) || p.spec.node_name.is_empty(),
        _ => true,
    }
}

fn default_propagation(kind: Kind) -> Propagation {
    // The REST strategies of these kinds default to orphaning for old API
    // versions only; for apps/v1 and core/v1 it is background.
    let _ = kind;
    Propagation::Background
}

/// Kinds whose metadata.generation tracks spec changes.
pub fn has_generation(kind: Kind) -> bool {
    matches!(kind, Kind::Deployment | Kind::ReplicaSet | Kind::StatefulSet | Kind::PodDisruptionBudget | Kind::Pod)
}

/// Kinds whose status is only written through the status subresource.
pub fn has_status_subresource(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Pod
            | Kind::Node
            | Kind::Deployment
            | Kind::ReplicaSet
            | Kind::StatefulSet
            | Kind::PersistentVolume
            | Kind::PersistentVolumeClaim
            | Kind::Service
            | Kind::Namespace
            | Kind::ResourceQuota
            | Kind::PodDisruptionBudget
            | Kind::VolumeAttachment
    )
}

fn value_without(obj: &Object, drop: &[&str]) -> serde_json::Value {
    let mut v = obj.to_value();
    if let Some(m) = v.as_object_mut() {
        for d in drop {
            m.remove(*d);
        }
        if let Some(meta) = m.get_mut("metadata").and_then(|x| x.as_object_mut()) {
            meta.remove("resourceVersion");
        }
    }
    v
}

/// Did anything but metadata and status change?
fn spec_changed(old: &Object, new: &Object) -> bool {
    value_without(old, &["metadata", "status"]) != value_without(new, &["metadata", "status"])
}

fn obj_with_rv(obj: &Object, old: &Object) -> Object {
    let mut o = obj.clone();
    o.meta_mut().resource_version = old.meta().resource_version.clone();
    o
}

/// The kinds whose status is swapped in their typed form (the hot paths:
/// kubelets, controllers and the attacher write these statuses all the
/// time); other kinds go through JSON.
macro_rules! typed_status_swap {
    ($old:expr, $new:expr, $take_new:expr, [$($v:ident),*]) => {
        match ($old, $new) {
            $((Object::$v(o), Object::$v(n)) => {
                return if $take_new {
                    let mut m = o.clone();
                    m.status = n.status;
                    Object::$v(m)
                } else {
                    let mut m = n;
                    m.status = o.status.clone();
                    Object::$v(m)
                };
            })*
            (_, n) => n,
        }
    };
}

/// Takes everything but the status from the stored object.
fn status_merge(old: &Object, new: Object) -> Object {
    let new = typed_status_swap!(old, new, true, [Pod, Node, PersistentVolumeClaim, PersistentVolume, ReplicaSet, StatefulSet, VolumeAttachment]);
    let mut v = old.to_value();
    let nv = new.to_value();
    if let (Some(m), Some(status)) = (v.as_object_mut(), nv.get("status")) {
        m.insert("status".into(), status.clone());
    }
    // Conditions and the like live in status; metadata changes a status
    // writer makes (finalizers, annotations) are not applied.
    // Except: deploymentStatusStrategy resets only spec and labels, and the
    // deployment controller records the revision annotation through it.
    if old.kind() == Kind::Deployment {
        let ann = nv.get("metadata").and_then(|m| m.get("annotations")).cloned();
        if let Some(meta) = v.get_mut("metadata").and_then(|m| m.as_object_mut()) {
            match ann {
                Some(a) => meta.insert("annotations".into(), a),
                None => meta.remove("annotations"),
            };
        }
    }
    Object::from_value(old.kind(), &v).map(|(o, _)| o).unwrap_or(new)
}

/// Keeps the stored status on a main-resource update.
fn keep_status(old: &Object, new: Object) -> Object {
    let new = typed_status_swap!(old, new, false, [Pod, Node, PersistentVolumeClaim, PersistentVolume, ReplicaSet, StatefulSet, VolumeAttachment, Deployment]);
    let mut v = new.to_value();
    let ov = old.to_value();
    if let Some(m) = v.as_object_mut() {
        match ov.get("status") {
            Some(s) => {
                m.insert("status".into(), s.clone());
            }
            None => {
                m.remove("status");
            }
        }
    }
    Object::from_value(old.kind(), &v).map(|(o, _)| o).unwrap_or(new)
}

/// Status fields a new object starts with (PrepareForCreate).
fn prepare_create_status(obj: &mut Object, now: Time) {
    match obj {
        Object::Pod(p) => {
            p.status = PodStatus { phase: "Pending".into(), qos_class: admission::qos_class(&p.spec), ..Default::default() };
        }
        Object::PersistentVolumeClaim(c) => {
            c.status = PersistentVolumeClaimStatus { phase: "Pending".into(), ..Default::default() };
        }
        Object::PersistentVolume(v) => {
            v.status = PersistentVolumeStatus { phase: "Pending".into(), last_phase_transition_time: Some(now), ..Default::default() };
        }
        Object::Namespace(n) => n.status.phase = "Active".into(),
        Object::Deployment(d) => d.status = Default::default(),
        Object::ReplicaSet(r) => r.status = Default::default(),
        Object::StatefulSet(s) => s.status = Default::default(),
        Object::Service(s) => s.status = ServiceStatus { load_balancer: serde_json::json!({}) },
        Object::PodDisruptionBudget(p) => p.status = Default::default(),
        Object::VolumeAttachment(v) => v.status = Default::default(),
        _ => {}
    }
}
