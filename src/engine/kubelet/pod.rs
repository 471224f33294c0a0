//! One pod on one kubelet: volumes, sandbox, image pulls, init containers,
//! containers, probes, restarts with back-off, graceful termination, and
//! the pod status generated from all of it (kubelet_pods.go
//! generateAPIPodStatus, status/generate.go).

use super::images;
use super::probe::{self, ProbeKind};
use super::volumes;
use super::{COMPONENT, Kubelet, NodeRt};
use crate::engine::api::*;
use crate::engine::control::{Ctl, Cx};
use crate::engine::cri::{self, Proc, StartOutcome};
use crate::engine::time::{Millis, Time, go_duration};

/// Sandbox creation and network setup after the volumes are in place.
const SANDBOX_DELAY: Millis = 800;
/// PLEG relist: how soon the kubelet notices an exited container.
const PLEG_DELAY: Millis = 1_000;
/// podAttachAndMountTimeout.
const MOUNT_TIMEOUT: Millis = 123_000;
/// The pod worker's back-off after a failed sync.
const SYNC_BACKOFF: Millis = 10_000;
const CRASH_INITIAL: Millis = 10_000;
const CRASH_MAX: Millis = 300_000;
const PULL_INITIAL: Millis = 10_000;
const PULL_MAX: Millis = 300_000;
const MOUNT_RETRY_INITIAL: Millis = 500;
const MOUNT_RETRY_MAX: Millis = 122_000;

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum CState {
    Waiting { reason: String, message: String },
    Running { since: Time },
    Terminated(ContainerStateTerminated),
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Img {
    Unknown,
    Pulling { requested: Time, started: Time, done: Time },
    Ready,
    Failed { err: String, at: Time },
}

/// flowcontrol.Backoff for one key.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Backoff {
    dur: Millis,
    last: Time,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct ProbeRt {
    next: Option<Time>,
    successes: i32,
    failures: i32,
    last: Option<bool>,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Kill {
    deadline: Time,
    /// When the process exits on its own after the stop signal; `None` if it ignores it.
    exit_at: Option<Time>,
    /// Restart afterwards whatever the exit code (a failed probe).
    restart: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct CtrRt {
    pub name: String,
    pub init: bool,
    pub sidecar: bool,
    pub state: CState,
    pub restart_count: i32,
    /// How many times this container was created.
    pub runs: u32,
    pub id: String,
    pub last_term: Option<ContainerStateTerminated>,
    pub img: Img,
    pub pull_backoff: Option<Backoff>,
    pub crash_backoff: Option<Backoff>,
    /// A restart is planned at this time ...
    pub restart_at: Option<Time>,
    /// ... after a crash-loop back-off.
    pub backoff_wait: bool,
    pub ready: bool,
    pub started: bool,
    pub probes: [ProbeRt; 3],
    pub kill: Option<Kill>,
    pub proc: Option<Proc>,
}

impl CtrRt {
    fn new(c: &Container, init: bool, waiting_reason: &str) -> CtrRt {
        CtrRt {
            name: c.name.clone(),
            init,
            sidecar: init && c.restart_policy.as_deref() == Some("Always"),
            state: CState::Waiting { reason: waiting_reason.into(), message: String::new() },
            restart_count: 0,
            runs: 0,
            id: String::new(),
            last_term: None,
            img: Img::Unknown,
            pull_backoff: None,
            crash_backoff: None,
            restart_at: None,
            backoff_wait: false,
            ready: false,
            started: false,
            probes: Default::default(),
            kill: None,
            proc: None,
        }
    }
    fn running(&self) -> bool {
        matches!(self.state, CState::Running { .. })
    }
    fn succeeded(&self) -> bool {
        matches!(&self.state, CState::Terminated(t) if t.exit_code == 0) && self.restart_at.is_none()
    }
}

/// The runtime state of one pod on its node.
#[derive(Clone, Debug)]
pub struct PodRt {
    pub uid: String,
    pub key: ObjKey,
    pub node: String,
    pub first_seen: Time,
    pub volumes_ready: bool,
    /// The current WaitForAttachAndMount began ...
    vol_wait_since: Option<Time>,
    /// ... or, after a failed one, the pod worker syncs again at this time.
    vol_retry_at: Option<Time>,
    mount_retry_at: Option<Time>,
    mount_backoff: Millis,
    sandbox_at: Option<Time>,
    /// Sandboxes created before the current one (a reboot makes a new one).
    sandbox_gen: u32,
    pub ip: String,
    pub(crate) ctrs: Vec<CtrRt>,
    terminating: Option<Time>,
    pending_sig: Option<Time>,
    pending_idle: Option<Time>,
}

impl PodRt {
    fn new(pod: &Pod, now: Time) -> PodRt {
        let has_init = !pod.spec.init_containers.is_empty();
        let mut ctrs: Vec<CtrRt> = pod.spec.init_containers.iter().map(|c| CtrRt::new(c, true, "PodInitializing")).collect();
        ctrs.extend(pod.spec.containers.iter().map(|c| CtrRt::new(c, false, if has_init { "PodInitializing" } else { "ContainerCreating" })));
        PodRt {
            uid: pod.metadata.uid.clone(),
            key: pod.key(),
            node: pod.spec.node_name.clone(),
            first_seen: now,
            volumes_ready: false,
            vol_wait_since: None,
            vol_retry_at: None,
            mount_retry_at: None,
            mount_backoff: 0,
            sandbox_at: None,
            sandbox_gen: 0,
            ip: String::new(),
            ctrs,
            terminating: None,
            pending_sig: None,
            pending_idle: None,
        }
    }

    /// The machine lost power: every process died, the sandbox is gone and
    /// the kubelet's memory (back-offs, probe results) with it. Containers
    /// that were running are recorded as terminated with exit code 255,
    /// reason Unknown, and every container will be created again.
    pub(crate) fn machine_restarted(&mut self, policy: &str) {
        for c in &mut self.ctrs {
            if let CState::Running { since } = c.state.clone() {
                c.state = CState::Terminated(ContainerStateTerminated {
                    exit_code: 255,
                    reason: "Unknown".into(),
                    started_at: Some(since),
                    finished_at: Some(since),
                    container_id: c.id.clone(),
                    ..Default::default()
                });
            }
            c.kill = None;
            c.proc = None;
            c.ready = false;
            c.started = false;
            c.probes = Default::default();
            c.crash_backoff = None;
            c.pull_backoff = None;
            c.backoff_wait = false;
            if matches!(c.img, Img::Pulling { .. }) {
                c.img = Img::Unknown;
            }
            let code = match &c.state {
                CState::Terminated(t) => t.exit_code,
                _ => 0,
            };
            let again =
                if c.init && !c.sidecar { policy != "Never" } else { c.sidecar || should_restart(policy, c, code) || (code == 255 && policy != "Never") };
            if c.runs > 0 && again {
                c.restart_at = Some(Time(0));
            }
        }
        self.volumes_ready = false;
        self.vol_wait_since = None;
        self.vol_retry_at = None;
        self.mount_retry_at = None;
        if self.sandbox_at.is_some() {
            self.sandbox_gen += 1;
        }
        self.sandbox_at = None;
        self.ip.clear();
        self.pending_sig = None;
        self.pending_idle = None;
    }

    /// The pod's sync failed waiting for its volumes: the pod worker tries
    /// again after its back-off (workerBackOffPeriod).
    fn fail_volume_wait(&mut self, now: Time) {
        self.vol_wait_since = None;
        self.vol_retry_at = Some(now.plus(SYNC_BACKOFF));
    }
}

/// The next wake-ups a sync asks for.
#[derive(Default)]
struct Wake {
    sig: Option<Time>,
    idle: Option<Time>,
}

impl Wake {
    fn at(&mut self, t: Time, significant: bool) {
        let slot = if significant { &mut self.sig } else { &mut self.idle };
        if slot.is_none_or(|x| t < x) {
            *slot = Some(t);
        }
    }
}

/// `format.Pod`: `name_namespace(uid)`.
fn format_pod(p: &Pod) -> String {
    format!("{}_{}({})", p.metadata.name, p.metadata.namespace, p.metadata.uid)
}

fn spec_of<'a>(pod: &'a Pod, c: &CtrRt) -> Option<&'a Container> {
    if c.init { pod.spec.init_containers.iter().find(|x| x.name == c.name) } else { pod.spec.containers.iter().find(|x| x.name == c.name) }
}

fn container_event(cx: &mut Cx, pod: &Pod, c: &CtrRt, type_: &str, reason: &str, message: &str) {
    let field = if c.init { format!("spec.initContainers{{{}}}", c.name) } else { format!("spec.containers{{{}}}", c.name) };
    let r = ObjectReference {
        kind: "Pod".into(),
        namespace: pod.metadata.namespace.clone(),
        name: pod.metadata.name.clone(),
        uid: pod.metadata.uid.clone(),
        api_version: "v1".into(),
        resource_version: pod.metadata.resource_version.clone(),
        field_path: field,
    };
    cx.api.event_ref(r, type_, reason, message, COMPONENT, &pod.spec.node_name);
}

fn pod_event(cx: &mut Cx, pod: &Pod, type_: &str, reason: &str, message: &str) {
    cx.api.event_from(&Object::Pod(pod.clone()), type_, reason, message, COMPONENT, &pod.spec.node_name);
}

/// How long a program takes to exit after its stop signal (the image's
/// STOPSIGNAL); `None` when PID 1 ignores SIGTERM (a shell, `sleep`) and only
/// the SIGKILL at the end of the grace period stops it.
pub fn shutdown_delay(p: &Proc) -> Option<Millis> {
    let first = p.command.first().or(if p.command.is_empty() { p.args.first() } else { None }).map(|s| s.rsplit('/').next().unwrap_or(s).to_string());
    if let Some(f) = first
        && matches!(f.as_str(), "sleep" | "sh" | "bash" | "ash" | "tail" | "cat" | "watch")
    {
        return None;
    }
    Some(match cri::image_name(&p.image) {
        "nginx" => 120,
        "httpd" => 200,
        "redis" => 150,
        "postgres" => 400,
        "mysql" => 1_800,
        "busybox" | "alpine" | "ubuntu" | "debian" => return None,
        _ => 300,
    })
}

fn should_restart(policy: &str, c: &CtrRt, exit_code: i32) -> bool {
    if c.sidecar {
        return true;
    }
    match policy {
        "Never" => false,
        "OnFailure" => exit_code != 0,
        _ => !c.init || exit_code != 0,
    }
}

fn allocate_ip(cx: &mut Cx, node: &str) -> String {
    let Some(m) = cx.world.machines.get_mut(node) else { return String::new() };
    let n = m.next_pod_ip;
    m.next_pod_ip = if n >= 254 { 2 } else { n + 1 };
    format!("10.244.{}.{n}", m.pod_cidr_index)
}

fn container_id(cx: &mut Cx) -> String {
    let mut s = String::from("containerd://");
    for _ in 0..4 {
        s.push_str(&format!("{:016x}", cx.api.rng.next_u64()));
    }
    s
}

impl Kubelet {
    /// Syncs one pod key: drives its containers one step as far as the
    /// current instant allows and writes its status.
    pub(crate) fn sync_pod(&mut self, key: &ObjKey, cx: &mut Cx) {
        let stored = cx.api.store.get(Kind::Pod, key).cloned();
        let pod = stored.as_deref().and_then(Pod::from_object);
        // runtime pods of this name that are gone or were replaced (force deletion)
        for uid in self.by_key.get(key).map(|s| std::collections::BTreeSet::clone(s)).unwrap_or_default() {
            let keep = pod.as_ref().is_some_and(|p| p.metadata.uid == uid && !p.spec.node_name.is_empty());
            if !keep {
                self.discard(&uid, cx);
            }
        }
        let Some(pod) = pod else {
            self.waiting.remove(key);
            return;
        };
        let node = pod.spec.node_name.clone();
        if node.is_empty() || !cx.world.machines.contains_key(&node) {
            return;
        }
        if !self.kubelet_up(cx.world, &node) {
            let powered = cx.world.is_powered(&node);
            let boot = cx.world.machines.get(&node).map(|m| m.boot_id.clone());
            if powered && self.nodes.get(&node).map(|n| Some(&n.boot) != boot.as_ref() || (!n.started && n.up_at <= cx.api.now)).unwrap_or(true) {
                // the first sign of this kubelet (or of its new boot): start it; it syncs its pods
                self.sync_node(&node, cx);
            }
            return;
        }
        let uid = pod.metadata.uid.clone();
        let now = cx.api.now;
        if !self.pods.contains_key(&uid) {
            if pod.status.phase.is_terminal() {
                if pod.metadata.deletion_timestamp.is_some() {
                    cx.api.finish_pod_deletion(key);
                }
                return;
            }
            self.pods.insert(uid.clone(), Box::new(PodRt::new(pod, now)));
            self.by_key.entry(key.clone()).or_default().insert(uid.clone());
        }
        let mut rt = self.pods.remove(&uid).expect("runtime pod");
        if rt.pending_sig.is_some_and(|t| t <= now) {
            rt.pending_sig = None;
        }
        if rt.pending_idle.is_some_and(|t| t <= now) {
            rt.pending_idle = None;
        }
        let mut wake = Wake::default();
        let mut nrt = self.nodes.remove(&node).expect("node runtime");
        let done = self.drive(&mut rt, pod, &mut nrt, cx, &mut wake);
        self.nodes.insert(node.clone(), nrt);
        // The pod's claims may have changed what the node should report in
        // volumesInUse: it arrived, waits for an attach, finished or is gone.
        if crate::engine::storage::pod_claims(pod).next().is_some() {
            let finished = done || cx.api.get_t::<Pod>(&key.namespace, &key.name).is_some_and(crate::engine::storage::is_pod_terminated);
            if finished || !rt.volumes_ready {
                self.volumes_report_due(cx, &node);
            }
        }
        if done {
            self.forget(&uid, key);
            volumes::cleanup(cx.world, &uid);
            return;
        }
        let r = ObjRef { kind: Kind::Pod, key: key.clone() };
        if let Some(t) = wake.sig
            && rt.pending_sig.is_none_or(|p| t < p)
        {
            rt.pending_sig = Some(t);
            cx.api.wake_at(t, Ctl::Kubelet, r.clone());
        }
        if let Some(t) = wake.idle
            && wake.sig.is_none_or(|s| t < s)
            && rt.pending_idle.is_none_or(|p| t < p)
        {
            rt.pending_idle = Some(t);
            cx.api.wake_idle_at(t, Ctl::Kubelet, r);
        }
        self.pods.insert(uid, rt);
    }

    fn forget(&mut self, uid: &str, key: &ObjKey) {
        self.pods.remove(uid);
        if let Some(set) = self.by_key.get_mut(key) {
            set.remove(uid);
            if set.is_empty() {
                self.by_key.remove(key);
                self.waiting.remove(key);
            }
        }
    }

    /// When what the kubelet should report in the node's volumesInUse
    /// differs from its last report, the node status update that reports it
    /// (the next nodeStatusUpdateFrequency tick, syncNodeStatus) is
    /// significant: the kubelet waits for it before it mounts an attachable
    /// volume, the attach/detach controller before it detaches one, and
    /// `settle` must not stop before.
    fn volumes_report_due(&mut self, cx: &mut Cx, node: &str) {
        if !self.kubelet_up(cx.world, node) {
            return;
        }
        let Some(n) = self.nodes.get(node) else { return };
        let at = n.next_lease;
        if crate::engine::storage::volumes_in_use(cx.api, node) != n.reported.1 {
            self.wake_node(cx, node, at, true);
        }
    }

    /// A pod the kubelet runs is gone from the API (force deletion) or was
    /// replaced by a new one with the same name: kill what runs and clean up.
    fn discard(&mut self, uid: &str, cx: &mut Cx) {
        let Some(rt) = self.pods.get(uid).cloned() else { return };
        if self.kubelet_up(cx.world, &rt.node) {
            self.volumes_report_due(cx, &rt.node);
            for c in &rt.ctrs {
                if let Some(p) = &c.proc
                    && c.running()
                {
                    cx.rt.stop(cx.api, cx.world, p, true);
                }
            }
            volumes::cleanup(cx.world, uid);
        }
        self.forget(uid, &rt.key);
    }

    /// Returns true when the pod is finished with (deleted).
    fn drive(&mut self, rt: &mut PodRt, pod: &Pod, nrt: &mut NodeRt, cx: &mut Cx, wake: &mut Wake) -> bool {
        let now = cx.api.now;
        if pod.metadata.deletion_timestamp.is_some() {
            return self.terminate(rt, pod, cx, wake);
        }
        if pod.status.phase.is_terminal() {
            return false;
        }
        // 1. volumes: WaitForAttachAndMount (volume_manager.go) polls until
        // the reconciler has attached and mounted every volume, for at most
        // podAttachAndMountTimeout; a failed wait fails the pod's sync, and
        // the pod worker tries again after its back-off.
        if !rt.volumes_ready {
            let vc = volumes::check(cx.api, cx.world, pod, &rt.node);
            // A failed mount operation is retried only after its exponential
            // back-off (nestedpendingoperations), even once its cause is gone;
            // a failed sync only after the pod worker's.
            let mount_held = rt.mount_retry_at.filter(|t| now < *t);
            let worker_held = rt.vol_retry_at.filter(|t| now < *t);
            if vc.ready() {
                match mount_held.max(worker_held) {
                    None => {
                        rt.volumes_ready = true;
                        rt.mount_backoff = 0;
                        rt.mount_retry_at = None;
                        rt.vol_retry_at = None;
                        rt.vol_wait_since = None;
                        self.waiting.remove(&rt.key);
                    }
                    Some(t) => {
                        // nothing stands in the way any more: it will happen
                        wake.at(t, true);
                        self.write_status(rt, pod, cx);
                        return false;
                    }
                }
            } else {
                self.waiting.insert(rt.key.clone());
                if !vc.mount_errors.is_empty() {
                    if mount_held.is_none() {
                        for e in &vc.mount_errors {
                            pod_event(cx, pod, "Warning", "FailedMount", e);
                        }
                        rt.mount_backoff = if rt.mount_backoff == 0 { MOUNT_RETRY_INITIAL } else { (rt.mount_backoff * 2).min(MOUNT_RETRY_MAX) };
                        rt.mount_retry_at = Some(now.plus(rt.mount_backoff));
                    }
                    if let Some(t) = rt.mount_retry_at {
                        wake.at(t, rt.mount_backoff < MOUNT_RETRY_MAX);
                    }
                }
                if worker_held.is_none() {
                    if let Some(err) = &vc.process_error {
                        // verifyVolumesMountedFunc ends the wait at once with
                        // the populator's error, and SyncPod records it.
                        pod_event(cx, pod, "Warning", "FailedMount", &volumes::wait_error_message(&vc, err));
                        rt.fail_volume_wait(now);
                    } else {
                        let deadline = rt.vol_wait_since.get_or_insert(now).plus(MOUNT_TIMEOUT);
                        if now >= deadline {
                            // The wait timed out: wait.Interrupted, so SyncPod
                            // records no event (kubelet.go) and the pod just
                            // stays ContainerCreating.
                            rt.fail_volume_wait(now);
                        } else {
                            wake.at(deadline, false);
                        }
                    }
                }
                if let Some(t) = rt.vol_retry_at.filter(|t| now < *t) {
                    wake.at(t, false);
                }
                self.write_status(rt, pod, cx);
                return false;
            }
        }
        let host_ip = cx.world.machines.get(&rt.node).map(|m| m.internal_ip.clone()).unwrap_or_default();
        volumes::materialize(cx.api, cx.world, pod, &super::env::Placement { pod_ip: &rt.ip, host_ip: &host_ip });
        // 2. the sandbox
        let sb = *rt.sandbox_at.get_or_insert(now.plus(SANDBOX_DELAY));
        if now < sb {
            wake.at(sb, true);
            self.write_status(rt, pod, cx);
            return false;
        }
        if rt.ip.is_empty() {
            if rt.sandbox_gen > 0 {
                pod_event(cx, pod, "Normal", "SandboxChanged", "Pod sandbox changed, it will be killed and re-created.");
            }
            rt.ip = allocate_ip(cx, &rt.node);
        }
        // 3. init containers, in order; sidecars must have started
        let mut initialized = true;
        for i in 0..rt.ctrs.len() {
            if !rt.ctrs[i].init {
                continue;
            }
            self.drive_container(rt, i, pod, nrt, cx, wake);
            let c = &rt.ctrs[i];
            let ok = if c.sidecar { c.running() && c.started } else { c.succeeded() };
            if !ok {
                initialized = false;
                break;
            }
        }
        // 4. the containers, side by side
        if initialized {
            for i in 0..rt.ctrs.len() {
                if !rt.ctrs[i].init {
                    self.drive_container(rt, i, pod, nrt, cx, wake);
                }
            }
        }
        self.write_status(rt, pod, cx);
        false
    }

    /// Graceful termination of a pod being deleted.
    fn terminate(&mut self, rt: &mut PodRt, pod: &Pod, cx: &mut Cx, wake: &mut Wake) -> bool {
        let now = cx.api.now;
        if rt.terminating.is_none() {
            let grace = pod.metadata.deletion_grace_period_seconds.unwrap_or(30).max(0);
            let deadline = now.plus(crate::engine::time::seconds(grace));
            rt.terminating = Some(deadline);
            self.waiting.remove(&rt.key);
            for i in 0..rt.ctrs.len() {
                rt.ctrs[i].restart_at = None;
                rt.ctrs[i].backoff_wait = false;
                if rt.ctrs[i].running() && rt.ctrs[i].kill.is_none() {
                    let msg = format!("Stopping container {}", rt.ctrs[i].name);
                    start_kill(&mut rt.ctrs[i], pod, cx, &msg, deadline, false);
                } else if let Some(k) = &mut rt.ctrs[i].kill {
                    k.deadline = k.deadline.min(deadline);
                    k.restart = false;
                }
            }
        }
        let mut busy = false;
        for i in 0..rt.ctrs.len() {
            if let Some(k) = rt.ctrs[i].kill.clone() {
                let ends = k.exit_at.map_or(k.deadline, |e| e.min(k.deadline));
                if now < ends {
                    wake.at(ends, true);
                    busy = true;
                    continue;
                }
                finish_kill(&mut rt.ctrs[i], cx, now);
            }
        }
        if busy {
            self.write_status(rt, pod, cx);
            return false;
        }
        self.write_status_terminal(rt, pod, cx);
        cx.api.finish_pod_deletion(&rt.key);
        true
    }

    /// Drives one container as far as the current instant allows.
    fn drive_container(&mut self, rt: &mut PodRt, i: usize, pod: &Pod, nrt: &mut NodeRt, cx: &mut Cx, wake: &mut Wake) {
        let now = cx.api.now;
        let Some(spec) = spec_of(pod, &rt.ctrs[i]).cloned() else { return };
        let policy = pod.spec.restart_policy.clone();
        // a stop in progress
        if let Some(k) = rt.ctrs[i].kill.clone() {
            let ends = k.exit_at.map_or(k.deadline, |e| e.min(k.deadline));
            if now < ends {
                wake.at(ends, true);
                return;
            }
            let code = finish_kill(&mut rt.ctrs[i], cx, now);
            plan_restart(&mut rt.ctrs[i], &policy, code, k.restart, now);
        }
        // a planned restart
        if let Some(at) = rt.ctrs[i].restart_at {
            let c = &mut rt.ctrs[i];
            if now < at {
                if c.backoff_wait {
                    if let CState::Terminated(t) = c.state.clone() {
                        // the exit shows as Terminated until the next relist
                        let seen = t.finished_at.unwrap_or(now).plus(PLEG_DELAY);
                        if now < seen {
                            wake.at(seen, true);
                            return;
                        }
                        let b = c.crash_backoff.expect("back-off");
                        c.last_term = Some(t);
                        c.state = CState::Waiting {
                            reason: "CrashLoopBackOff".into(),
                            message: format!("back-off {} restarting failed container={} pod={}", go_duration(b.dur), c.name, format_pod(pod)),
                        };
                        let c = c.clone();
                        container_event(
                            cx,
                            pod,
                            &c,
                            "Warning",
                            "BackOff",
                            &format!("Back-off restarting failed container {} in pod {}", c.name, format_pod(pod)),
                        );
                    }
                    let dur = rt.ctrs[i].crash_backoff.map(|b| b.dur).unwrap_or(0);
                    wake.at(at, dur < CRASH_MAX);
                } else {
                    wake.at(at, true);
                }
                return;
            }
            if c.backoff_wait
                && let Some(b) = &mut c.crash_backoff
            {
                b.dur = (b.dur * 2).min(CRASH_MAX);
                b.last = now;
            }
            c.restart_at = None;
            c.backoff_wait = false;
            // every start goes through EnsureImageExists again
            if matches!(c.img, Img::Ready) {
                c.img = Img::Unknown;
            }
            if let CState::Terminated(t) = c.state.clone() {
                c.last_term = Some(t);
                c.state = CState::Waiting { reason: "ContainerCreating".into(), message: String::new() };
            }
        }
        match rt.ctrs[i].state.clone() {
            CState::Running { since } => {
                // PLEG: the main process may have ended on its own.
                let exited = rt.ctrs[i].proc.as_ref().and_then(|p| cx.rt.poll_exit(cx.api, cx.world, p));
                match exited {
                    Some(code) => container_exited(&mut rt.ctrs[i], pod, code, Some(since), cx.api.now, wake),
                    None => self.run_probes(rt, i, pod, &spec, cx, wake),
                }
            }
            CState::Terminated(_) => {}
            CState::Waiting { .. } => self.start_container(rt, i, pod, &spec, nrt, cx, wake),
        }
    }

    fn start_container(&mut self, rt: &mut PodRt, i: usize, pod: &Pod, spec: &Container, nrt: &mut NodeRt, cx: &mut Cx, wake: &mut Wake) {
        let now = cx.api.now;
        let image = spec.image.clone();
        let node = rt.node.clone();
        // the image: every path either returns (waiting on the pull) or leaves
        // the block with the image ready
        'image: {
            let c = &mut rt.ctrs[i];
            match c.img.clone() {
                Img::Ready => break 'image,
                Img::Pulling { requested, started, done } => {
                    if now < done {
                        wake.at(done, true);
                        return;
                    }
                    if let Some(err) = images::pull_error(&image) {
                        c.img = Img::Failed { err: err.clone(), at: now };
                        c.state = CState::Waiting { reason: "ErrImagePull".into(), message: err.clone() };
                        c.pull_backoff = Some(match c.pull_backoff {
                            Some(b) if now.0 - b.last.0 <= 2 * PULL_MAX => Backoff { dur: (b.dur * 2).min(PULL_MAX), last: now },
                            _ => Backoff { dur: PULL_INITIAL, last: now },
                        });
                        let c = c.clone();
                        container_event(cx, pod, &c, "Warning", "Failed", &format!("Failed to pull image \"{image}\": {err}"));
                        container_event(cx, pod, &c, "Warning", "Failed", "Error: ErrImagePull");
                        wake.at(now.plus(PLEG_DELAY), true);
                        return;
                    }
                    if let Some(m) = cx.world.machines.get_mut(&node) {
                        m.images.insert(image.clone());
                    }
                    c.img = Img::Ready;
                    let c = c.clone();
                    container_event(
                        cx,
                        pod,
                        &c,
                        "Normal",
                        "Pulled",
                        &format!(
                            "Successfully pulled image \"{image}\" in {} ({} including waiting). Image size: {} bytes.",
                            go_duration(done.0 - started.0),
                            go_duration(done.0 - requested.0),
                            images::size_bytes(&image)
                        ),
                    );
                    break 'image;
                }
                Img::Unknown | Img::Failed { .. } => {
                    let present = cx.world.machines.get(&node).is_some_and(|m| m.images.contains(&image));
                    let policy = if spec.image_pull_policy.is_empty() {
                        if images::tag(&image) == "latest" { "Always" } else { "IfNotPresent" }
                    } else {
                        spec.image_pull_policy.as_str()
                    };
                    if policy == "Never" && !present {
                        let msg = format!("Container image \"{image}\" is not present with pull policy of Never");
                        let fresh = !matches!(&c.state, CState::Waiting { reason, .. } if reason == "ErrImageNeverPull");
                        c.state = CState::Waiting { reason: "ErrImageNeverPull".into(), message: msg.clone() };
                        if fresh {
                            let c = c.clone();
                            container_event(cx, pod, &c, "Warning", "ErrImageNeverPull", &msg);
                            container_event(cx, pod, &c, "Warning", "Failed", "Error: ErrImageNeverPull");
                        }
                        return;
                    }
                    if present && policy != "Always" {
                        c.img = Img::Ready;
                        let c = c.clone();
                        container_event(
                            cx,
                            pod,
                            &c,
                            "Normal",
                            "Pulled",
                            &format!("Container image \"{image}\" already present on machine and can be accessed by the pod"),
                        );
                        break 'image;
                    }
                    if let Some(b) = c.pull_backoff
                        && now.0 < b.last.0 + b.dur
                    {
                        // the failure shows as ErrImagePull until the next sync notices the back-off
                        if let Img::Failed { at, .. } = &c.img
                            && now < at.plus(PLEG_DELAY)
                        {
                            wake.at(at.plus(PLEG_DELAY), true);
                            return;
                        }
                        if !matches!(&c.state, CState::Waiting { reason, .. } if reason == "ImagePullBackOff") {
                            let err = match &c.img {
                                Img::Failed { err, .. } => err.clone(),
                                _ => String::new(),
                            };
                            c.state = CState::Waiting {
                                reason: "ImagePullBackOff".into(),
                                message: format!("Back-off pulling image \"{image}\": ErrImagePull: {err}"),
                            };
                            let c = c.clone();
                            container_event(cx, pod, &c, "Normal", "BackOff", &format!("Back-off pulling image \"{image}\""));
                            container_event(cx, pod, &c, "Warning", "Failed", "Error: ImagePullBackOff");
                        }
                        wake.at(b.last.plus(b.dur), b.dur < PULL_MAX);
                        return;
                    }
                    let dur = if present { images::refresh_duration(&image) } else { images::pull_duration(&image) };
                    let started = if nrt.pull_free_at > now { nrt.pull_free_at } else { now };
                    let done = started.plus(dur);
                    nrt.pull_free_at = done;
                    c.img = Img::Pulling { requested: now, started, done };
                    let c = c.clone();
                    container_event(cx, pod, &c, "Normal", "Pulling", &format!("Pulling image \"{image}\""));
                    wake.at(done, true);
                    return;
                }
            }
        }
        // create and start
        let c = &rt.ctrs[i];
        let instance = if c.runs == 0 { c.restart_count } else { c.restart_count + 1 };
        let host_ip = cx.world.machines.get(&node).map(|m| m.internal_ip.clone()).unwrap_or_default();
        let proc = match super::build_proc(cx.api, pod, &c.name, instance.max(0) as u32, &rt.ip, &host_ip) {
            Ok(p) => p,
            Err(e) => {
                let c = &mut rt.ctrs[i];
                let fresh = !matches!(&c.state, CState::Waiting { reason, message } if reason == "CreateContainerConfigError" && message == &e);
                c.state = CState::Waiting { reason: "CreateContainerConfigError".into(), message: e.clone() };
                self.waiting.insert(rt.key.clone());
                if fresh {
                    let c = c.clone();
                    container_event(cx, pod, &c, "Warning", "Failed", &format!("Error: {e}"));
                }
                return;
            }
        };
        let id = container_id(cx);
        let c = &mut rt.ctrs[i];
        c.restart_count = instance;
        c.runs += 1;
        c.id = id;
        c.probes = Default::default();
        let snapshot = c.clone();
        container_event(cx, pod, &snapshot, "Normal", "Created", "Container created");
        container_event(cx, pod, &snapshot, "Normal", "Started", "Container started");
        let outcome = cx.rt.start(cx.api, cx.world, &proc);
        let (log, exited) = match outcome {
            StartOutcome::Running { log } => (log, None),
            StartOutcome::Exited { code, log } => (log, Some(code)),
        };
        if !log.is_empty() {
            cx.world.logs.entry_or_default((rt.uid.clone(), spec.name.clone(), instance.max(0) as u32)).push_str(&log);
        }
        let c = &mut rt.ctrs[i];
        match exited {
            None => {
                c.state = CState::Running { since: now };
                c.proc = Some(proc);
                c.started = spec.startup_probe.is_none();
                c.ready = spec.readiness_probe.is_none() && (!c.init || c.sidecar);
                self.run_probes(rt, i, pod, spec, cx, wake);
            }
            Some(code) => container_exited(c, pod, code, Some(now), now, wake),
        }
    }

    /// Runs the probes that are due for a running container.
    fn run_probes(&mut self, rt: &mut PodRt, i: usize, pod: &Pod, spec: &Container, cx: &mut Cx, wake: &mut Wake) {
        let now = cx.api.now;
        if rt.terminating.is_some() {
            return;
        }
        let origin = rt.sandbox_at.unwrap_or(rt.first_seen);
        for kind in ProbeKind::ALL {
            let Some(p) = kind.of(spec).cloned() else { continue };
            let c = &rt.ctrs[i];
            if !c.running() || c.kill.is_some() {
                return;
            }
            if (kind == ProbeKind::Startup) == c.started {
                continue;
            }
            let CState::Running { since } = c.state else { return };
            let period = (p.period_seconds.max(1) as i64) * 1000;
            let earliest = since.plus(p.initial_delay_seconds.max(0) as i64 * 1000);
            let pr = &mut rt.ctrs[i].probes[kind.index()];
            let next = *pr.next.get_or_insert_with(|| {
                // the prober's ticks started with the pod; the first useful one is after the initial delay
                let base = earliest.max(origin);
                let k = (base.0 - origin.0 + period - 1) / period;
                Time(origin.0 + k * period)
            });
            if now >= next {
                let proc = rt.ctrs[i].proc.clone();
                let (ok, out) = match &proc {
                    Some(proc) => probe::run(cx, proc, spec, &p, &rt.ip),
                    None => (false, String::new()),
                };
                let c = &mut rt.ctrs[i];
                let pr = &mut c.probes[kind.index()];
                pr.next = Some(Time(next.0 + ((now.0 - next.0) / period + 1) * period));
                pr.last = Some(ok);
                if ok {
                    pr.successes += 1;
                    pr.failures = 0;
                } else {
                    pr.failures += 1;
                    pr.successes = 0;
                }
                let (succ, fail) = (pr.successes, pr.failures);
                if !ok {
                    let snap = c.clone();
                    container_event(cx, pod, &snap, "Warning", "Unhealthy", &format!("{} probe failed: {out}", kind.label()));
                }
                let c = &mut rt.ctrs[i];
                match kind {
                    ProbeKind::Readiness => {
                        if ok && succ >= p.success_threshold.max(1) {
                            c.ready = true;
                        }
                        if !ok && fail >= p.failure_threshold.max(1) {
                            c.ready = false;
                        }
                    }
                    ProbeKind::Startup => {
                        if ok {
                            c.started = true;
                        } else if fail >= p.failure_threshold.max(1) {
                            let deadline = now.plus(crate::engine::time::seconds(
                                p.termination_grace_period_seconds.or(pod.spec.termination_grace_period_seconds).unwrap_or(30),
                            ));
                            let restart = pod.spec.restart_policy != "Never" || c.sidecar;
                            let msg = format!("Container {} failed startup probe{}", c.name, if restart { ", will be restarted" } else { "" });
                            start_kill(c, pod, cx, &msg, deadline, restart);
                        }
                    }
                    ProbeKind::Liveness => {
                        if !ok && fail >= p.failure_threshold.max(1) {
                            let deadline = now.plus(crate::engine::time::seconds(
                                p.termination_grace_period_seconds.or(pod.spec.termination_grace_period_seconds).unwrap_or(30),
                            ));
                            let restart = pod.spec.restart_policy != "Never" || c.sidecar;
                            let msg = format!("Container {} failed liveness probe{}", c.name, if restart { ", will be restarted" } else { "" });
                            start_kill(c, pod, cx, &msg, deadline, restart);
                        }
                    }
                }
            }
            let c = &rt.ctrs[i];
            if let Some(k) = &c.kill {
                wake.at(k.exit_at.map_or(k.deadline, |e| e.min(k.deadline)), true);
                return;
            }
            let pr = &c.probes[kind.index()];
            let significant = match kind {
                ProbeKind::Startup => !c.started,
                ProbeKind::Readiness => match pr.last {
                    None => true,
                    Some(last) => last != c.ready,
                },
                ProbeKind::Liveness => pr.last.is_none() || pr.failures > 0,
            };
            if let Some(n) = pr.next {
                wake.at(n, significant);
            }
            // a startup probe that just succeeded lets the others begin now
            if kind == ProbeKind::Startup && c.started {
                continue;
            }
        }
    }

    fn write_status_terminal(&mut self, rt: &mut PodRt, pod: &Pod, cx: &mut Cx) {
        let status = build_status(rt, pod, cx, true);
        if status != pod.status {
            let _ = cx.api.update_pod_status(&pod.key(), status);
        }
    }

    fn write_status(&mut self, rt: &mut PodRt, pod: &Pod, cx: &mut Cx) {
        let status = build_status(rt, pod, cx, false);
        if status != pod.status {
            let _ = cx.api.update_pod_status(&pod.key(), status);
        }
    }
}

/// Sends the stop signal (or notes that the process ignores it).
fn start_kill(c: &mut CtrRt, pod: &Pod, cx: &mut Cx, message: &str, deadline: Time, restart: bool) {
    let now = cx.api.now;
    let snap = c.clone();
    container_event(cx, pod, &snap, "Normal", "Killing", message);
    let exit_at = match &c.proc {
        Some(p) => match shutdown_delay(p) {
            Some(d) => {
                cx.rt.stop(cx.api, cx.world, p, true);
                Some(now.plus(d))
            }
            None => None,
        },
        None => Some(now),
    };
    c.kill = Some(Kill { deadline, exit_at, restart });
    c.ready = false;
}

/// The main process ended on its own with `code` (at once when it
/// started, or later): the container is Terminated (Completed or Error),
/// and restarted as the pod's restartPolicy says, after the crash back-off.
fn container_exited(c: &mut CtrRt, pod: &Pod, code: i32, since: Option<Time>, now: Time, wake: &mut Wake) {
    set_terminated(c, code, since, now);
    plan_restart(c, &pod.spec.restart_policy, code, false, now);
    if let Some(at) = c.restart_at {
        let capped = c.backoff_wait && c.crash_backoff.is_some_and(|b| b.dur >= CRASH_MAX);
        wake.at(at, !capped);
    }
}

/// The process is gone: by itself after the stop signal (exit 0) or by
/// SIGKILL at the end of the grace period (exit 137). Returns the exit code.
fn finish_kill(c: &mut CtrRt, cx: &mut Cx, now: Time) -> i32 {
    let Some(k) = c.kill.take() else { return 0 };
    let graceful = k.exit_at.is_some_and(|e| e <= k.deadline);
    if !graceful && let Some(p) = &c.proc {
        cx.rt.stop(cx.api, cx.world, p, false);
    }
    let code = if graceful { 0 } else { 137 };
    let since = match c.state {
        CState::Running { since } => Some(since),
        _ => None,
    };
    set_terminated(c, code, since, now);
    code
}

/// The container's process is gone with `code`: Terminated (Completed for
/// 0, Error otherwise), no process, not ready, not started.
fn set_terminated(c: &mut CtrRt, code: i32, since: Option<Time>, now: Time) {
    c.state = CState::Terminated(ContainerStateTerminated {
        exit_code: code,
        reason: if code == 0 { "Completed".into() } else { "Error".into() },
        started_at: since,
        finished_at: Some(now),
        container_id: c.id.clone(),
        ..Default::default()
    });
    c.proc = None;
    c.ready = false;
    c.started = false;
}

/// After an exit: restart now-ish (first failure: the next relist), after
/// the crash-loop back-off, or not at all (restartPolicy).
fn plan_restart(c: &mut CtrRt, policy: &str, code: i32, forced: bool, now: Time) {
    let restart = if forced { policy != "Never" || c.sidecar } else { should_restart(policy, c, code) };
    if !restart {
        c.restart_at = None;
        return;
    }
    match c.crash_backoff {
        // still within the window of the last back-off (not expired after 2x max)
        Some(b) if now.0 - b.last.0 <= 2 * CRASH_MAX => {
            c.restart_at = Some(now.plus(b.dur));
            c.backoff_wait = true;
        }
        _ => {
            c.crash_backoff = Some(Backoff { dur: CRASH_INITIAL, last: now });
            c.restart_at = Some(now.plus(PLEG_DELAY));
            c.backoff_wait = false;
        }
    }
}

fn to_state(s: &CState) -> ContainerState {
    match s {
        CState::Waiting { reason, message } => {
            ContainerState { waiting: Some(ContainerStateWaiting { reason: reason.clone(), message: message.clone() }), ..Default::default() }
        }
        CState::Running { since } => ContainerState { running: Some(ContainerStateRunning { started_at: Some(*since) }), ..Default::default() },
        CState::Terminated(t) => ContainerState { terminated: Some(t.clone()), ..Default::default() },
    }
}

fn container_status(c: &CtrRt, spec: &Container) -> ContainerStatus {
    let created = c.runs > 0;
    ContainerStatus {
        name: c.name.clone(),
        state: to_state(&c.state),
        last_state: c.last_term.clone().map(|t| ContainerState { terminated: Some(t), ..Default::default() }).unwrap_or_default(),
        ready: c.ready && c.running(),
        restart_count: c.restart_count,
        image: if created { images::full_name(&spec.image) } else { spec.image.clone() },
        image_id: if created { images::image_id(&spec.image) } else { String::new() },
        container_id: c.id.clone(),
        started: Some(c.running() && c.started),
        volume_mounts: if created {
            spec.volume_mounts
                .iter()
                .map(|m| VolumeMountStatus {
                    name: m.name.clone(),
                    mount_path: m.mount_path.clone(),
                    read_only: m.read_only,
                    recursive_read_only: m.read_only.then(|| "Disabled".to_string()),
                })
                .collect()
        } else {
            vec![]
        },
    }
}

/// getPhase (kubelet_pods.go) over the runtime state.
fn phase(rt: &PodRt, policy: &str, terminal: bool) -> PodPhase {
    let mut pending_init = 0;
    let mut failed_init_unrestartable = 0;
    let (mut running, mut stopped, mut waiting, mut succeeded) = (0, 0, 0, 0);
    for c in &rt.ctrs {
        let last_exit = match (&c.state, &c.last_term) {
            (CState::Terminated(t), _) => Some(t.exit_code),
            (CState::Waiting { .. }, Some(t)) => Some(t.exit_code),
            _ => None,
        };
        if c.init && !c.sidecar {
            match (&c.state, last_exit) {
                (CState::Running { .. }, _) => pending_init += 1,
                (_, Some(code)) if code != 0 => {
                    if !should_restart(policy, c, code) {
                        failed_init_unrestartable += 1;
                    }
                }
                (CState::Terminated(_), _) => {}
                _ => pending_init += 1,
            }
            continue;
        }
        if c.sidecar {
            if c.running() {
                running += 1;
                if !c.started {
                    pending_init += 1;
                }
            } else if last_exit.is_none() {
                pending_init += 1;
                waiting += 1;
            }
            continue;
        }
        match (&c.state, last_exit) {
            (CState::Running { .. }, _) => running += 1,
            (CState::Terminated(t), _) => {
                stopped += 1;
                if t.exit_code == 0 {
                    succeeded += 1;
                }
            }
            (CState::Waiting { .. }, Some(_)) => stopped += 1,
            (CState::Waiting { .. }, None) => waiting += 1,
        }
    }
    if failed_init_unrestartable > 0 {
        return PodPhase::Failed;
    }
    if pending_init > 0 || waiting > 0 {
        return PodPhase::Pending;
    }
    if running > 0 {
        return PodPhase::Running;
    }
    if stopped > 0 {
        if terminal {
            return if stopped == succeeded { PodPhase::Succeeded } else { PodPhase::Failed };
        }
        let restarting = rt.ctrs.iter().any(|c| !c.init && (c.restart_at.is_some() || matches!(c.state, CState::Waiting { .. })));
        if restarting || policy == "Always" {
            return PodPhase::Running;
        }
        return if stopped == succeeded { PodPhase::Succeeded } else { PodPhase::Failed };
    }
    PodPhase::Pending
}

fn set_condition(
    out: &mut Vec<PodCondition>,
    old: &[PodCondition],
    type_: ConditionType,
    status: ConditionStatus,
    reason: &str,
    message: &str,
    generation: i64,
    now: Time,
) {
    let mut c = PodCondition {
        type_,
        status,
        observed_generation: generation,
        last_probe_time: None,
        last_transition_time: Some(now),
        reason: reason.into(),
        message: message.into(),
    };
    keep_transition_time(get_condition(old, &c.type_), &mut c);
    out.push(c);
}

/// The pod status the kubelet reports: its own conditions first
/// (PodReadyToStartContainers, Initialized, Ready, ContainersReady), then
/// the ones others own (PodScheduled, DisruptionTarget, ...) as they are.
fn build_status(rt: &PodRt, pod: &Pod, cx: &Cx, terminal: bool) -> PodStatus {
    let now = cx.api.now;
    let generation = pod.metadata.generation;
    let old = &pod.status;
    let mut st = old.clone();
    let policy = pod.spec.restart_policy.as_str();
    let ph = phase(rt, policy, terminal);
    st.phase = ph.clone();
    st.observed_generation = generation;
    let m = cx.world.machines.get(&rt.node);
    st.host_ip = m.map(|m| m.internal_ip.clone()).unwrap_or_default();
    st.host_ips = if st.host_ip.is_empty() { vec![] } else { vec![IpEntry { ip: st.host_ip.clone() }] };
    if !rt.ip.is_empty() {
        st.pod_ip = rt.ip.clone();
        st.pod_ips = vec![IpEntry { ip: rt.ip.clone() }];
    }
    st.start_time = Some(old.start_time.unwrap_or(rt.first_seen));
    let mut init_statuses = vec![];
    let mut statuses = vec![];
    for c in &rt.ctrs {
        let Some(spec) = spec_of(pod, c) else { continue };
        let s = container_status(c, spec);
        if c.init {
            init_statuses.push(s);
        } else {
            statuses.push(s);
        }
    }
    st.init_container_statuses = init_statuses;
    st.container_statuses = statuses;
    // conditions
    let mut conds = vec![];
    let sandbox = !rt.ip.is_empty() && !terminal;
    set_condition(&mut conds, &old.conditions, ConditionType::PodReadyToStartContainers, ConditionStatus::of(sandbox), "", "", generation, now);
    let incomplete: Vec<String> =
        rt.ctrs.iter().filter(|c| c.init && !(if c.sidecar { c.running() && c.started } else { c.succeeded() })).map(|c| c.name.clone()).collect();
    let any_main_started = rt.ctrs.iter().any(|c| !c.init && c.runs > 0);
    if incomplete.is_empty() || any_main_started {
        set_condition(&mut conds, &old.conditions, ConditionType::Initialized, ConditionStatus::True, "", "", generation, now);
    } else {
        set_condition(
            &mut conds,
            &old.conditions,
            ConditionType::Initialized,
            ConditionStatus::False,
            "ContainersNotInitialized",
            &format!("containers with incomplete status: [{}]", incomplete.join(" ")),
            generation,
            now,
        );
    }
    let unready: Vec<String> = rt.ctrs.iter().filter(|c| (!c.init || c.sidecar) && !(c.ready && c.running())).map(|c| c.name.clone()).collect();
    let (status, reason, message) = if ph.is_terminal() {
        (ConditionStatus::False, if ph == PodPhase::Failed { "PodFailed" } else { "PodCompleted" }, String::new())
    } else if unready.is_empty() {
        (ConditionStatus::True, "", String::new())
    } else {
        (ConditionStatus::False, "ContainersNotReady", format!("containers with unready status: [{}]", unready.join(" ")))
    };
    set_condition(&mut conds, &old.conditions, ConditionType::Ready, status.clone(), reason, &message, generation, now);
    set_condition(&mut conds, &old.conditions, ConditionType::ContainersReady, status, reason, &message, generation, now);
    for c in &old.conditions {
        if !matches!(c.type_, ConditionType::PodReadyToStartContainers | ConditionType::Initialized | ConditionType::Ready | ConditionType::ContainersReady) {
            conds.push(c.clone());
        }
    }
    st.conditions = conds;
    st
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctr(init: bool) -> CtrRt {
        CtrRt::new(&Container { name: "c".into(), ..Default::default() }, init, "ContainerCreating")
    }

    #[test]
    fn crash_loop_backoff_doubles_and_resets() {
        let mut c = ctr(false);
        plan_restart(&mut c, "Always", 1, false, Time(0));
        assert_eq!(c.restart_at, Some(Time(PLEG_DELAY)));
        assert!(!c.backoff_wait);
        plan_restart(&mut c, "Always", 1, false, Time(2_000));
        assert_eq!(c.restart_at, Some(Time(12_000)));
        assert!(c.backoff_wait);
        // a long run expires the back-off
        plan_restart(&mut c, "Always", 1, false, Time(2_000 + 2 * CRASH_MAX + 1));
        assert!(!c.backoff_wait);
        assert_eq!(c.crash_backoff.unwrap().dur, CRASH_INITIAL);
    }

    #[test]
    fn restart_policies() {
        let mut c = ctr(false);
        plan_restart(&mut c, "Never", 1, false, Time(0));
        assert_eq!(c.restart_at, None);
        plan_restart(&mut c, "OnFailure", 0, false, Time(0));
        assert_eq!(c.restart_at, None);
        plan_restart(&mut c, "OnFailure", 2, false, Time(0));
        assert!(c.restart_at.is_some());
        let mut init = ctr(true);
        plan_restart(&mut init, "Always", 0, false, Time(0));
        assert_eq!(init.restart_at, None, "a completed init container stays completed");
    }

    #[test]
    fn phases() {
        let pod = Pod { spec: PodSpec { containers: vec![Container { name: "c".into(), ..Default::default() }], ..Default::default() }, ..Default::default() };
        let mut rt = PodRt::new(&pod, Time(0));
        assert_eq!(phase(&rt, "Always", false), PodPhase::Pending);
        rt.ctrs[0].state = CState::Running { since: Time(0) };
        assert_eq!(phase(&rt, "Always", false), PodPhase::Running);
        rt.ctrs[0].state = CState::Terminated(ContainerStateTerminated { exit_code: 1, ..Default::default() });
        assert_eq!(phase(&rt, "Never", false), PodPhase::Failed);
        assert_eq!(phase(&rt, "Always", false), PodPhase::Running);
        rt.ctrs[0].state = CState::Terminated(ContainerStateTerminated { exit_code: 0, ..Default::default() });
        assert_eq!(phase(&rt, "Never", false), PodPhase::Succeeded);
        assert_eq!(phase(&rt, "Always", true), PodPhase::Succeeded);
    }
}
