//! The simulated API server: every write to the store goes through here and
//! gets the treatment a real kube-apiserver gives it — defaulting, admission,
//! validation, metadata bookkeeping (uid, resourceVersion, generation,
//! creationTimestamp), graceful deletion and finalizers — plus the event
//! recorder and the timer wheel controllers use to wake up later.

pub mod admission;
pub mod crd;
pub mod defaults;
pub mod limitranger;
pub mod metrics;
pub mod rbac;
pub mod validation;

use crate::engine::api::*;
use crate::engine::rng::Rng;
use crate::engine::store::{Change, Store};
use crate::engine::time::{HOUR, Millis, Time};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
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
    /// 503: the page has not downloaded the schema table yet.
    ServiceUnavailable,
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
            Reason::ServiceUnavailable => "ServiceUnavailable",
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

/// How dependents are treated when their owner is deleted
/// (`metav1.DeletionPropagation`, under the name the engine's callers use).
pub use crate::engine::api::DeletionPropagation as Propagation;

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

/// The flags and feature gates of the simulated control plane that its
/// components read at run time (through the API server, as they would read
/// their own command line). `cluster::Config` sets them.
#[derive(Clone, Debug)]
pub struct Flags {
    /// kube-controller-manager --node-monitor-grace-period
    pub node_monitor_grace_period: Millis,
    /// The MaxUnavailableStatefulSet feature gate (beta, off by default in 1.36).
    pub max_unavailable_statefulset: bool,
    /// The most Pod objects the cluster holds (see [`admission::MAX_PODS`]).
    pub max_pods: usize,
}

impl Default for Flags {
    fn default() -> Flags {
        Flags { node_monitor_grace_period: 50_000, max_unavailable_statefulset: false, max_pods: admission::MAX_PODS }
    }
}

/// Every control loop in the simulation. The timers carry it as plain
/// data: the API server knows which loop to wake, not what the loop is
/// (`controllers::Controller` implementations say which one they are).
/// The order of the variants means nothing: within one instant the loops
/// take turns in the order of `cluster::control_loops()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Ctl {
    Namespace,
    ServiceAccount,
    Deployment,
    ReplicaSet,
    Replication,
    StatefulSet,
    GarbageCollector,
    Scheduler,
    PvBinder,
    Provisioner,
    PvProtection,
    PvcProtection,
    AttachDetach,
    Expander,
    ResourceQuota,
    Endpoints,
    EndpointSlice,
    Disruption,
    NodeLifecycle,
    TaintEviction,
    PodGc,
    ClusterRoleAggregation,
    Job,
    CronJob,
    TtlAfterFinished,
    DaemonSet,
    HorizontalPodAutoscaler,
    MetricsServer,
    IngressNginx,
    Kubelet,
}

impl Ctl {
    /// How many loops there are (`Kubelet` is the last variant), for tables
    /// indexed by `Ctl as usize`.
    pub const COUNT: usize = Ctl::Kubelet as usize + 1;
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

/// What client-go's EventCorrelator correlates repeated events by: the
/// source (component, host), the involved object (kind, namespace, name,
/// uid), type, reason and message.
struct EventKey<'a> {
    component: &'a str,
    host: &'a str,
    involved: [&'a str; 4],
    type_: &'a str,
    reason: &'a str,
    message: &'a str,
}

impl<'a> EventKey<'a> {
    /// The key an event recorded by [`Api::event_ref`] was correlated under.
    fn of(e: &'a Event) -> EventKey<'a> {
        let i = &e.involved_object;
        EventKey {
            component: &e.source.component,
            host: &e.source.host,
            involved: [&i.kind, &i.namespace, &i.name, &i.uid],
            type_: &e.type_,
            reason: &e.reason,
            message: &e.message,
        }
    }

    fn fields(&self) -> [&'a str; 9] {
        let [k, ns, n, uid] = self.involved;
        [self.component, self.host, k, ns, n, uid, self.type_, self.reason, self.message]
    }

    /// FNV-1a over the fields: the correlator keeps one word per event and
    /// compares the event itself on a match.
    fn hash(&self) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for f in self.fields() {
            for b in f.bytes().chain([0xff]) {
                h ^= b as u64;
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
        h
    }
}

/// kube-apiserver's --event-ttl (default one hour): every write of an
/// event stores it with an etcd lease that long; when the lease ends the
/// event is gone (`kubectl get events` an hour later no longer lists it).
pub const EVENT_TTL: Millis = HOUR;

/// The leases of the stored events: when each ends, in order.
#[derive(Clone, Default)]
struct EventLeases {
    /// When each event's lease ends (keys shared with the store; the
    /// instant boxed, so the map shares the store tables' pointer-sized
    /// `Rc<ObjKey> => Rc<Object>` BTreeMap code).
    written: BTreeMap<Rc<ObjKey>, Box<u64>>,
    /// The same, in order. The instants (milliseconds, never negative: the
    /// clock starts at `EPOCH`) are held as u64, so this set shares the
    /// removal code of the correlator's `(u64, Rc<ObjKey>)` set.
    due: BTreeSet<(u64, Rc<ObjKey>)>,
}

/// The API server and everything controllers share: store, clock, random
/// generator, timers, allocators.
#[derive(Clone)]
pub struct Api {
    pub store: Store,
    pub now: Time,
    pub rng: Rng,
    pub timers: Timers,
    /// The event correlator: events by the hash of their [`EventKey`]
    /// (keys shared with the store).
    events: BTreeSet<(u64, Rc<ObjKey>)>,
    event_leases: EventLeases,
    event_seq: u64,
    pub(crate) alloc: admission::Allocators,
    /// Flags and feature gates of the simulated control plane.
    pub config: Flags,
    /// The aggregated resource metrics API (`metrics`).
    pub metrics: metrics::MetricsApi,
}

impl Api {
    pub fn new(seed: u64, now: Time, config: Flags) -> Api {
        Api {
            store: Store::new(),
            now,
            rng: Rng::new(seed),
            timers: Timers::default(),
            events: BTreeSet::new(),
            event_leases: EventLeases::default(),
            event_seq: 0,
            alloc: admission::Allocators::default(),
            config,
            metrics: metrics::MetricsApi::default(),
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
        let mut errs = validation::validate_create(&obj, &self.store);
        match &obj {
            Object::Generic(g) if kind == Kind::CustomResourceDefinition => errs.extend(crd::validate(g)),
            Object::Generic(g) if matches!(kind, Kind::Custom(_)) => crd::check(&self.store, g)?,
            _ => {}
        }
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
        match &mut obj {
            Object::Generic(g) if kind == Kind::CustomResourceDefinition => crd::on_create(g, now),
            Object::Generic(g) if kind == Kind::Job => defaults::job_selector(g),
            // daemonSetStrategy.PrepareForCreate: templateGeneration 1
            Object::Generic(g) if kind == Kind::DaemonSet => {
                g.metadata.annotations.insert(DS_TEMPLATE_GENERATION.into(), "1".into());
            }
            _ => {}
        }
        admission::after_create(self, &mut obj);
        let object = self.store.put(obj);
        Ok(Written { object, warnings })
    }

    /// Replaces an object's spec and metadata as a client update would. The
    /// status is kept from the stored object for kinds with a status subresource.
    pub fn update(&mut self, obj: Object) -> Result<Written, ApiError> {
        self.update_inner(obj, false)
    }

    /// Writes the status (and only the status) of an object.
    pub fn update_status(&mut self, obj: Object) -> Result<Written, ApiError> {
        self.update_inner(obj, true)
    }

    /// Writes a pod's status, as the kubelet's status manager does: the
    /// request names the pod and carries the status (the status
    /// subresource takes nothing else from it), so the kubelet need not
    /// copy the whole pod to send it.
    pub fn update_pod_status(&mut self, key: &ObjKey, status: PodStatus) -> Result<Written, ApiError> {
        let metadata = ObjectMeta { name: key.name.clone(), namespace: key.namespace.clone(), ..Default::default() };
        self.update_status(Object::Pod(Pod { metadata, status, ..Default::default() }))
    }

    fn update_inner(&mut self, obj: Object, status_only: bool) -> Result<Written, ApiError> {
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
            let mut errs = validation::validate_update(&old, &obj, &self.store);
            match &obj {
                Object::Generic(g) if kind == Kind::CustomResourceDefinition => errs.extend(crd::validate(g)),
                Object::Generic(g) if matches!(kind, Kind::Custom(_)) => crd::check(&self.store, g)?,
                _ => {}
            }
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
            // daemonSetStrategy.PrepareForUpdate: a new template is a new templateGeneration
            if let (Object::Generic(o), Object::Generic(n)) = (&*old, &mut obj)
                && kind == Kind::DaemonSet
            {
                let template_gen = |g: &Generic| g.metadata.annotations.get(DS_TEMPLATE_GENERATION).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
                let next = if o.field("spec")["template"] != n.field("spec")["template"] { template_gen(o) + 1 } else { template_gen(o) };
                n.metadata.annotations.insert(DS_TEMPLATE_GENERATION.into(), next.to_string());
            }
        }
        if same_but_rv(&old, &mut obj) {
            // a no-op write does not bump the resourceVersion
            return Ok(Written { object: old, warnings });
        }
        // An object being deleted goes away when its last finalizer does.
        let ns_finalized = match &obj {
            Object::Namespace(n) => n.spec.finalizers.is_empty(),
            _ => true,
        };
        if obj.meta().is_deleting() && obj.meta().finalizers.is_empty() && ns_finalized && (kind != Kind::Pod || pod_may_vanish(&obj)) {
            self.store.remove(kind, &key);
            return Ok(Written { object: Rc::new(obj), warnings });
        }
        let object = self.store.put(obj);
        Ok(Written { object, warnings })
    }

    /// Deletes an object: immediately, or by setting deletionTimestamp when it
    /// has finalizers or (a pod on a node) a grace period.
    pub fn delete(&mut self, kind: Kind, namespace: &str, name: &str, opts: &DeleteOptions) -> Result<Rc<Object>, ApiError> {
        validate_delete_options(opts)?;
        let ns = if kind.namespaced() { namespace } else { "" };
        let key = ObjKey::new(ns, name);
        let Some(old) = self.store.get(kind, &key).cloned() else {
            return Err(ApiError::not_found(kind, name));
        };
        admission::validate_delete(kind, name)?;
        if let Some(uid) = &opts.uid
            && &old.meta().uid != uid
        {
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
        let mut obj = (*old).clone();
        let propagation = opts.propagation.clone().unwrap_or(default_propagation(kind));
        let now = self.now;

        // Graceful deletion of pods bound to a node: the kubelet finishes it.
        let mut grace = 0i64;
        if let Object::Pod(p) = &obj {
            grace = opts.grace_period.unwrap_or_else(|| p.spec.termination_grace_period_seconds.unwrap_or(30));
            let terminal = p.status.phase.is_terminal();
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
                // refused by validate_delete_options
                Propagation::Background | Propagation::Other(_) => {}
            }
        }
        if let Object::Generic(g) = &mut obj
            && kind == Kind::CustomResourceDefinition
        {
            // the CRD finalizer controller, at once: the custom resources
            // go, then the customresourcecleanup finalizer
            let custom = Kind::Custom(crate::engine::api::custom::CustomKind::intern(&crd::names(g)));
            let crs: Vec<ObjKey> = self.store.list(custom).map(|o| o.key()).collect();
            for k in crs {
                let _ = self.delete(custom, &k.namespace, &k.name, &DeleteOptions::default());
            }
            g.metadata.remove_finalizer(crd::CLEANUP_FINALIZER);
        }
        if let Object::Namespace(n) = &mut obj {
            n.status.phase = NamespacePhase::Terminating;
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
            if same_but_rv(&old, &mut obj) {
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
        set_condition(
            &mut p.status.conditions,
            PodCondition {
                type_: ConditionType::PodScheduled,
                status: ConditionStatus::True,
                observed_generation: generation,
                last_probe_time: None,
                last_transition_time: Some(now),
                reason: String::new(),
                message: String::new(),
            },
        );
        Ok(self.store.put(Object::Pod(p)))
    }

    /// The final removal of a pod after its containers stopped (the kubelet's
    /// delete with grace period 0).
    pub fn finish_pod_deletion(&mut self, key: &ObjKey) {
        if let Some(o) = self.store.get(Kind::Pod, key).cloned() {
            if o.meta().finalizers.is_empty() {
                self.store.remove(Kind::Pod, key);
            } else if o.meta().deletion_grace_period_seconds != Some(0) {
                // kept for its finalizers (a Job's tracking one): written
                // once, so the kubelet's next look at it is not a new change
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
        let key = EventKey { component, host, involved: [&involved.kind, &involved.namespace, &involved.name, &involved.uid], type_, reason, message };
        let hash = key.hash();
        let now = self.now;
        let from = (hash, Rc::new(ObjKey::default()));
        let existing = self.events.range(from..).take_while(|(h, _)| *h == hash).find_map(|(_, ek)| match self.store.get(Kind::Event, ek).map(|o| &**o) {
            Some(Object::Event(e)) if EventKey::of(e).fields() == key.fields() => Some(e),
            _ => None,
        });
        if let Some(e) = existing {
            let mut e = e.clone();
            e.count += 1;
            e.last_timestamp = Some(now);
            self.store.put(Object::Event(e));
            return;
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
        self.store.put(Object::Event(e));
        let shared = self.store.shared_key(Kind::Event, &ek).expect("just stored");
        self.events.insert((hash, shared));
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

    /// Follows a store change (the cluster calls this for every change, in
    /// order): an event written gets a new lease of [`EVENT_TTL`]; an event
    /// deleted takes its lease and its correlation entry along.
    pub fn note_change(&mut self, ch: &Change) {
        if ch.kind != Kind::Event {
            return;
        }
        if let Some((key, at)) = self.event_leases.written.remove_entry(&ch.key) {
            self.event_leases.due.remove(&(*at, key));
        }
        match (&ch.new, ch.old.as_deref()) {
            (Some(_), _) => {
                let at = (self.now.0 + EVENT_TTL) as u64;
                let Some(key) = self.store.shared_key(Kind::Event, &ch.key) else { return };
                self.event_leases.written.insert(key.clone(), Box::new(at));
                self.event_leases.due.insert((at, key));
            }
            (None, Some(Object::Event(e))) => {
                let hash = EventKey::of(e).hash();
                let stale: Vec<_> =
                    self.events.range((hash, Rc::new(ObjKey::default()))..).take_while(|(h, _)| *h == hash).filter(|(_, k)| **k == ch.key).cloned().collect();
                for s in stale {
                    self.events.remove(&s);
                }
            }
            (None, _) => {}
        }
    }

    /// When the next event's time to live ends.
    pub fn next_event_expiry(&self) -> Option<Millis> {
        self.event_leases.due.first().map(|(at, _)| *at as Millis)
    }

    /// Removes the events whose lease has ended (etcd expiring the lease the
    /// API server attached when it last wrote them).
    pub fn expire_events(&mut self) {
        while let Some((at, key)) = self.event_leases.due.first().cloned() {
            if at > self.now.0 as u64 {
                break;
            }
            self.event_leases.due.pop_first();
            self.event_leases.written.remove(&*key);
            self.store.remove(Kind::Event, &key);
        }
    }
}

/// A pod with a grace period left stays until the kubelet confirms.
fn pod_may_vanish(obj: &Object) -> bool {
    match obj {
        Object::Pod(p) => p.metadata.deletion_grace_period_seconds == Some(0) || p.spec.node_name.is_empty(),
        _ => true,
    }
}

/// apimachinery's `ValidateDeleteOptions`, as the DELETE handler runs it
/// before it looks the object up: an unknown propagationPolicy is refused.
fn validate_delete_options(opts: &DeleteOptions) -> Result<(), ApiError> {
    let Some(Propagation::Other(p)) = &opts.propagation else {
        return Ok(());
    };
    let cause = validation::FieldError::not_supported("propagationPolicy", p, &["Foreground", "Background", "Orphan", "nil"]);
    Err(ApiError {
        reason: Reason::Invalid,
        message: format!("DeleteOptions.meta.k8s.io \"\" is invalid: {cause}"),
        kind: "DeleteOptions".into(),
        name: String::new(),
        causes: vec![cause],
    })
}

fn default_propagation(kind: Kind) -> Propagation {
    // The REST strategies of these kinds default to orphaning for old API
    // versions only; for apps/v1 and core/v1 it is background.
    let _ = kind;
    Propagation::Background
}

/// Kinds whose metadata.generation tracks spec changes.
pub fn has_generation(kind: Kind) -> bool {
    use Kind::*;
    // the strategies whose PrepareForCreate sets Generation = 1
    matches!(
        kind,
        Deployment
            | ReplicaSet
            | StatefulSet
            | PodDisruptionBudget
            | Pod
            | CustomResourceDefinition
            | Custom(_)
            | DaemonSet
            | Job
            | CronJob
            | ReplicationController
            | Ingress
            | IngressClass
            | NetworkPolicy
    )
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
            | Kind::CustomResourceDefinition
    ) || (kind.is_generic() && !matches!(kind, Kind::Custom(_)))
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

/// Did anything but metadata and status change? Compared as the JSON the
/// objects serialize to; typed specs that are equal serialize the same, so
/// the kinds with a generation are compared typed first and go through
/// JSON only when their specs differ (a difference may still vanish in
/// JSON, such as `1000m` and `1` for a quantity).
fn spec_changed(old: &Object, new: &Object) -> bool {
    let same_typed = match (old, new) {
        (Object::Pod(o), Object::Pod(n)) => o.spec == n.spec,
        (Object::ReplicaSet(o), Object::ReplicaSet(n)) => o.spec == n.spec,
        (Object::Deployment(o), Object::Deployment(n)) => o.spec == n.spec,
        (Object::StatefulSet(o), Object::StatefulSet(n)) => o.spec == n.spec,
        (Object::PodDisruptionBudget(o), Object::PodDisruptionBudget(n)) => o.spec == n.spec,
        _ => false,
    };
    let changed = !same_typed && value_without(old, &["metadata", "status"]) != value_without(new, &["metadata", "status"]);
    debug_assert_eq!(changed, value_without(old, &["metadata", "status"]) != value_without(new, &["metadata", "status"]));
    changed
}

/// Is `obj` the stored object, resourceVersion aside? (Compared in place:
/// the resourceVersion is swapped in for the comparison and back.)
fn same_but_rv(old: &Object, obj: &mut Object) -> bool {
    if old.kind() != obj.kind() {
        return false;
    }
    let rv = std::mem::replace(&mut obj.meta_mut().resource_version, old.meta().resource_version.clone());
    let same = *old == *obj;
    obj.meta_mut().resource_version = rv;
    same
}

/// The kinds whose status is swapped in their typed form (the hot paths:
/// kubelets, controllers and the attacher write these statuses all the
/// time); other kinds go through JSON. Each of these kinds is exactly
/// apiVersion, kind, metadata, spec and status.
macro_rules! typed_status_swap {
    ($old:expr, $new:expr, $take_new:expr, [$($v:ident),*]) => {
        match ($old, $new) {
            $((Object::$v(o), Object::$v(n)) => {
                return if $take_new {
                    // the stored object with the new status (the old status is not copied)
                    Object::$v($v { api_version: o.api_version.clone(), kind: o.kind.clone(), metadata: o.metadata.clone(), spec: o.spec.clone(), status: n.status })
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
    if let (Object::Generic(o), Object::Generic(n)) = (old, &new)
        && !matches!(o.kind, Kind::Custom(_))
    {
        return Object::Generic(generic_with_status(o, n));
    }
    let new = typed_status_swap!(old, new, true, [Pod, Node, PersistentVolumeClaim, PersistentVolume, ReplicaSet, StatefulSet, VolumeAttachment]);
    // deploymentStatusStrategy resets only spec and labels: the annotations
    // are the writer's (the deployment controller records the revision there)
    match (old, new) {
        (Object::Deployment(o), Object::Deployment(n)) => {
            #[cfg(debug_assertions)]
            let json = status_merge_json(old, Object::Deployment(n.clone()));
            let mut metadata = o.metadata.clone();
            metadata.annotations = n.metadata.annotations;
            let mut d = Deployment { api_version: o.api_version.clone(), kind: o.kind.clone(), metadata, spec: o.spec.clone(), status: n.status };
            // metav1.Time is stored in whole seconds (what this write did
            // when it went through JSON)
            whole_seconds(&mut d.metadata.creation_timestamp);
            whole_seconds(&mut d.metadata.deletion_timestamp);
            for c in &mut d.status.conditions {
                whole_seconds(&mut c.last_update_time);
                whole_seconds(&mut c.last_transition_time);
            }
            let merged = Object::Deployment(d);
            #[cfg(debug_assertions)]
            assert!(merged == json, "typed status merge differs from the JSON one: {merged:?}\n{json:?}");
            merged
        }
        (_, n) => status_merge_json(old, n),
    }
}

fn whole_seconds(t: &mut Option<Time>) {
    if let Some(t) = t {
        t.0 -= t.0.rem_euclid(1000);
    }
}

fn status_merge_json(old: &Object, new: Object) -> Object {
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
    if let (Object::Generic(o), Object::Generic(n)) = (old, &new) {
        return Object::Generic(generic_with_status(n, o));
    }
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

/// Where apps/v1 keeps a DaemonSet's templateGeneration.
const DS_TEMPLATE_GENERATION: &str = "deprecated.daemonset.template.generation";

/// `base` with the status of `from` (or none, if `from` has none).
fn generic_with_status(base: &Generic, from: &Generic) -> Generic {
    let mut g = base.clone();
    match from.body.get("status") {
        Some(st) => g.body.insert("status".into(), st.clone()),
        None => g.body.remove("status"),
    };
    g
}

/// Status fields a new object starts with (PrepareForCreate).
fn prepare_create_status(obj: &mut Object, now: Time) {
    match obj {
        Object::Pod(p) => {
            p.status = PodStatus { phase: PodPhase::Pending, qos_class: admission::qos_class(&p.spec), ..Default::default() };
        }
        Object::PersistentVolumeClaim(c) => {
            c.status = PersistentVolumeClaimStatus { phase: PersistentVolumeClaimPhase::Pending, ..Default::default() };
        }
        Object::PersistentVolume(v) => {
            v.status = PersistentVolumeStatus { phase: PersistentVolumePhase::Pending, last_phase_transition_time: Some(now), ..Default::default() };
        }
        Object::Namespace(n) => n.status.phase = NamespacePhase::Active,
        Object::Deployment(d) => d.status = Default::default(),
        Object::ReplicaSet(r) => r.status = Default::default(),
        Object::StatefulSet(s) => s.status = Default::default(),
        Object::Service(s) => s.status = ServiceStatus { load_balancer: serde_json::json!({}) },
        Object::PodDisruptionBudget(p) => p.status = Default::default(),
        Object::VolumeAttachment(v) => v.status = Default::default(),
        // a custom resource keeps the status it was written with (its CRD
        // would have to declare the status subresource to drop it)
        Object::Generic(g) if !matches!(g.kind, Kind::Custom(_)) => {
            g.body.remove("status");
        }
        _ => {}
    }
}
