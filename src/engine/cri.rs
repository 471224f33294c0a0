//! The container runtime interface: what a kubelet asks of the runtime that
//! runs its containers, as CRI's RuntimeService is to a real kubelet. The
//! kubelet knows containers only through this contract; the simulated
//! programs (`engine::programs`) implement it, and the cluster owns the
//! runtime's state and lends it to the control loops in their
//! [`Cx`](crate::engine::control::Cx).
//!
//! Architecture Invariant: the contract knows the API types, the API server,
//! the world and container files, nothing of the kubelet that calls it or of
//! the programs behind it; the kubelet reaches programs through
//! [`ContainerRuntime`] only (`tests/layers.rs`,
//! `the_kubelet_reaches_programs_only_through_cri`).

use crate::engine::api::{ObjKey, Pod};
use crate::engine::apiserver::Api;
use crate::engine::fs::Mount;
use crate::engine::world::{VolumeId, World};
use std::collections::BTreeMap;

/// A container as the runtime runs it (built by the kubelet, see
/// `kubelet::proc_for`): CRI's ContainerConfig, resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct Proc {
    pub pod: ObjKey,
    pub pod_uid: String,
    pub node: String,
    pub container: String,
    pub image: String,
    pub command: Vec<String>,
    pub args: Vec<String>,
    pub env: BTreeMap<String, String>,
    pub working_dir: String,
    /// The container's writable layer (changes at every restart).
    pub layer: VolumeId,
    pub mounts: Vec<Mount>,
}

impl Proc {
    /// The restart instance of this container (its writable layer's).
    pub fn instance(&self) -> u32 {
        match &self.layer {
            VolumeId::Container { instance, .. } => *instance,
            _ => 0,
        }
    }
}

/// What `kubectl exec` (and an exec probe) gets back.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExecResult {
    /// stdout and stderr, interleaved as a terminal shows them.
    pub output: String,
    pub exit_code: i32,
}

/// How a container's main process fares when it starts.
#[derive(Clone, Debug, PartialEq)]
pub enum StartOutcome {
    /// It runs (and logs these lines).
    Running { log: String },
    /// It exits at once with this code (and logs these lines).
    Exited { code: i32, log: String },
}

/// The image's name without registry, tag or digest (`postgres`, `nginx`).
pub fn image_name(image: &str) -> &str {
    let no_digest = image.split('@').next().unwrap_or(image);
    let last = no_digest.rsplit('/').next().unwrap_or(no_digest);
    last.split(':').next().unwrap_or(last)
}

/// What the kubelet asks of the container runtime. Each call gets the API
/// (the clock, pods, events, timers: a process that ends later wakes the
/// kubelet) and the world (files, machines, logs).
pub trait ContainerRuntime {
    /// The container's main process starts (StartContainer).
    fn start(&mut self, api: &mut Api, world: &mut World, p: &Proc) -> StartOutcome;
    /// The main process is stopped: the stop signal (`clean`), or killed
    /// (SIGKILL at the end of the grace period, power loss).
    fn stop(&mut self, api: &mut Api, world: &mut World, p: &Proc, clean: bool);
    /// Runs a command in the running container (ExecSync: `kubectl exec`,
    /// exec probes). The output is what the program printed; the caller adds
    /// kubectl's `command terminated with exit code N`.
    fn exec(&mut self, api: &mut Api, world: &mut World, p: &Proc, argv: &[String], stdin: &str) -> ExecResult;
    /// Whether the main process has ended on its own by now (a script that
    /// reached its end, `sleep 30` run out): its exit code, as a
    /// ContainerStatus with state exited tells. A process that ends later
    /// has woken the kubelet for that instant when it started.
    fn poll_exit(&mut self, api: &mut Api, world: &mut World, p: &Proc) -> Option<i32>;
    /// An httpGet probe of the pod, answered by the server that listens on
    /// the port: the HTTP status, or the error the prober reports.
    fn probe_http(&mut self, api: &mut Api, world: &mut World, pod: &Pod, port: u16, path: &str, user_agent: &str) -> Result<u16, String>;
    /// Every running container's usage now (ListContainerStats), in
    /// (pod uid, container) order.
    fn stats(&mut self, api: &mut Api, world: &mut World) -> Vec<ContainerStats>;
}

/// One container's usage, as the runtime reports it.
#[derive(Clone, Debug, PartialEq)]
pub struct ContainerStats {
    pub pod_uid: String,
    pub container: String,
    /// CPU in millicores.
    pub cpu_milli: u64,
    /// Working set in bytes.
    pub memory: u64,
}
