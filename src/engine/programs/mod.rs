//! The simulated programs inside containers: what a container's main
//! process does when it starts and stops (postgres, nginx, redis, busybox,
//! anything else), and what `kubectl exec` runs (`sh -c`, `psql`, `curl`,
//! `redis-cli`, `cat`, `ls`, ...). Programs see files only through
//! [`ContainerFs`](crate::engine::fs::ContainerFs), so data lives where the
//! mounts say: container layer, emptyDir, or a volume.

use crate::engine::api::ObjKey;
use crate::engine::controllers::Cx;
use crate::engine::fs::{ContainerFs, Mount};
use crate::engine::world::VolumeId;
use std::collections::BTreeMap;

/// A running container as programs see it (built by the kubelet, see
/// `kubelet::proc_for`).
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
    pub fn fs<'w>(&self, world: &'w mut crate::engine::world::World) -> ContainerFs<'w> {
        ContainerFs {
            world,
            layer: self.layer.clone(),
            mounts: self.mounts.clone(),
            image_files: image_files(&self.image),
            cwd: if self.working_dir.is_empty() { "/".into() } else { self.working_dir.clone() },
        }
    }
}

/// What `kubectl exec` gets back.
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

/// Files an image ships with.
pub fn image_files(image: &str) -> Vec<(String, String)> {
    let _ = image;
    vec![]
}

/// The container's main process starts.
pub fn start(cx: &mut Cx, p: &Proc) -> StartOutcome {
    let _ = cx;
    if p.command.first().map(|s| s.as_str()) == Some("false") {
        return StartOutcome::Exited { code: 1, log: String::new() };
    }
    StartOutcome::Running { log: String::new() }
}

/// The container's main process stops (SIGTERM or power loss).
pub fn stop(cx: &mut Cx, p: &Proc, clean: bool) {
    let _ = (cx, p, clean);
}

/// Runs a command in a running container.
pub fn exec(cx: &mut Cx, p: &Proc, argv: &[String], stdin: &str) -> ExecResult {
    let _ = (cx, p, stdin);
    ExecResult { output: format!("OCI runtime exec failed: exec failed: unable to start container process: exec: \"{}\": executable file not found in $PATH: unknown\ncommand terminated with exit code 126\n", argv.first().map(|s| s.as_str()).unwrap_or("")), exit_code: 126 }
}
