//! The simulated programs inside containers: what a container's main
//! process does when it starts and stops (postgres, nginx, httpd, redis,
//! mysql, busybox, anything else), and what `kubectl exec` runs (`sh -c`,
//! `psql`, `curl`, `redis-cli`, `mysql`, `cat`, `ls`, ...). Programs see
//! files only through [`ContainerFs`](crate::engine::fs::ContainerFs), so
//! data lives where the mounts say: container layer, emptyDir, or a volume.
//!
//! Seams for the kubelet:
//! - [`start`] when a container's main process starts, [`stop`] when it is
//!   killed (`clean = false` on power loss), [`exec`] for `kubectl exec` and
//!   exec probes (the output is what the program printed; the caller adds
//!   `command terminated with exit code N`);
//! - [`probe_http`] / [`probe_tcp`]: httpGet and tcpSocket probes answered
//!   by the server that really listens in the pod (nginx's 404 for a
//!   missing path, refused when nothing listens);
//! - [`start_error`] before `start`: containerd's error when the command
//!   does not exist in the image (the container never starts);
//! - [`shutdown_ms`]: how long the process takes to exit after the stop
//!   signal (a `sleep` as PID 1 ignores SIGTERM: the whole grace period);
//! - [`poll_exit`]: a main process that ends on its own later (`sleep 30`,
//!   a script, a database that crashes) is recorded with its exit time; the
//!   programs wake the kubelet (`Ctl::Kubelet`, the pod's key) at that time,
//!   and the kubelet's pod sync calls `poll_exit` to learn the exit code.
//!   Log lines a process writes later are appended to `World::logs` under
//!   the container's (pod uid, container, instance) key; lines a script
//!   prints after a `sleep` wait in `State::later_logs` until
//!   [`flush_logs`] (called on every entry point here; a log reader may
//!   call it too).
//!
//! Module map: `image` (what each image is and ships), `sh` and `utils`
//! (the shell and coreutils/busybox), `postgres`/`sql`/`psql`/`text`
//! (server, SQL engine, client, psql's table printer), `http`/`curl`
//! (nginx, httpd, curl, wget), `redis`, `mysql`, `net` (DNS, Services,
//! NodePorts, listeners).

pub mod curl;
pub mod http;
pub mod image;
pub mod mysql;
pub mod net;
pub mod postgres;
pub mod psql;
pub mod redis;
pub mod sh;
pub mod sql;
pub mod text;
pub mod utils;

use crate::engine::api::{Kind, ObjKey, ObjRef, Pod};
use crate::engine::control::{Ctl, Cx};
use crate::engine::fs::{ContainerFs, Mount};
use crate::engine::time::{Millis, Time};
use crate::engine::world::{VolumeId, World};
use image::{Image, Server};
use std::collections::{BTreeMap, BTreeSet};

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
        let img = image::lookup(&self.image);
        ContainerFs {
            world,
            layer: self.layer.clone(),
            mounts: self.mounts.clone(),
            image_files: image::files(&img),
            cwd: if !self.working_dir.is_empty() {
                self.working_dir.clone()
            } else if !img.workdir.is_empty() {
                img.workdir.clone()
            } else {
                "/".into()
            },
        }
    }

    /// The restart instance of this container (its writable layer's).
    pub fn instance(&self) -> u32 {
        match &self.layer {
            VolumeId::Container { instance, .. } => *instance,
            _ => 0,
        }
    }

    fn key(&self) -> ProcKey {
        (self.pod_uid.clone(), self.container.clone())
    }

    fn log_key(&self) -> (String, String, u32) {
        (self.pod_uid.clone(), self.container.clone(), self.instance())
    }

    /// The environment the process sees: image ENV, then the container's.
    pub fn environment(&self, img: &Image, hostname: &str) -> BTreeMap<String, String> {
        let mut env = BTreeMap::new();
        for (k, v) in &img.env {
            env.insert(k.clone(), v.clone());
        }
        env.insert("HOSTNAME".into(), hostname.to_string());
        env.insert("HOME".into(), "/root".into());
        for (k, v) in &self.env {
            env.insert(k.clone(), v.clone());
        }
        env
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

/// Files an image ships (directories as `path/` with empty content).
pub fn image_files(image: &str) -> Vec<(String, String)> {
    image::files(&image::lookup(image))
}

// ------------------------------------------------------------------ state

type ProcKey = (String, String);

/// What the programs keep in the world: the main processes that run (and
/// the servers' memory), exits scheduled for later.
#[derive(Clone, Debug, Default)]
pub struct State {
    /// Running main processes by (pod uid, container).
    pub running: BTreeMap<ProcKey, Running>,
    /// Main processes that end on their own later, by (pod uid, container).
    pub exits: BTreeMap<ProcKey, PendingExit>,
    /// Round-robin counters for Service backends, by "namespace/name".
    pub rr: BTreeMap<String, u64>,
    /// Postgres data directories that two servers wrote at once.
    pub split_brain: BTreeMap<(VolumeId, String), SplitBrain>,
    /// Log lines a main process writes later (a script's output after a
    /// `sleep`), by container log key: (when, text).
    pub later_logs: BTreeMap<(String, String, u32), Vec<(Time, String)>>,
}

/// Moves log lines whose time has come into `World::logs`. The programs
/// call it on every entry point; a log reader may call it too.
pub fn flush_logs(world: &mut World, now: Time) {
    if world.programs.later_logs.is_empty() {
        return;
    }
    let keys: Vec<_> = world.programs.later_logs.keys().cloned().collect();
    for k in keys {
        let lines = world.programs.later_logs.remove(&k).unwrap_or_default();
        let (due, rest): (Vec<_>, Vec<_>) = lines.into_iter().partition(|(t, _)| *t <= now);
        for (_, text) in due {
            world.logs.entry(k.clone()).or_default().push_str(&text);
        }
        if !rest.is_empty() {
            world.programs.later_logs.insert(k, rest);
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Running {
    pub proc: Proc,
    pub instance: u32,
    pub started: Time,
    pub server: ServerState,
    /// A counter for process ids in log lines (backends, workers).
    pub next_pid: u32,
    /// Requests served (nginx's connection counter `*N`).
    pub requests: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ServerState {
    None,
    Postgres(postgres::PgServer),
    Nginx,
    Httpd,
    Redis(redis::RedisServer),
    Mysql(mysql::MysqlServer),
}

#[derive(Clone, Debug, PartialEq)]
pub struct PendingExit {
    pub instance: u32,
    pub at: Time,
    pub code: i32,
    /// Lines the process writes when it ends.
    pub log: String,
}

/// Two postgres servers on different machines running on one data
/// directory (a shared NFS export): who has written since they met.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SplitBrain {
    pub servers: BTreeSet<ProcKey>,
    pub writers: BTreeSet<ProcKey>,
}

// ------------------------------------------------------------ process I/O

/// What a program wrote: stdout and stderr chunks in order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Output {
    pub chunks: Vec<(bool, String)>,
    pub code: i32,
}

impl Output {
    pub fn ok() -> Output {
        Output::default()
    }
    pub fn out(s: impl Into<String>) -> Output {
        let mut o = Output::default();
        o.print(s);
        o
    }
    pub fn err(s: impl Into<String>, code: i32) -> Output {
        let mut o = Output::default();
        o.eprint(s);
        o.code = code;
        o
    }
    pub fn print(&mut self, s: impl Into<String>) {
        let s = s.into();
        if s.is_empty() {
            return;
        }
        match self.chunks.last_mut() {
            Some((false, last)) => last.push_str(&s),
            _ => self.chunks.push((false, s)),
        }
    }
    pub fn eprint(&mut self, s: impl Into<String>) {
        let s = s.into();
        if s.is_empty() {
            return;
        }
        match self.chunks.last_mut() {
            Some((true, last)) => last.push_str(&s),
            _ => self.chunks.push((true, s)),
        }
    }
    pub fn append(&mut self, other: Output) {
        for (e, s) in other.chunks {
            if e { self.eprint(s) } else { self.print(s) }
        }
        self.code = other.code;
    }
    pub fn stdout(&self) -> String {
        self.chunks.iter().filter(|(e, _)| !e).map(|(_, s)| s.as_str()).collect()
    }
    pub fn stderr(&self) -> String {
        self.chunks.iter().filter(|(e, _)| *e).map(|(_, s)| s.as_str()).collect()
    }
    pub fn text(&self) -> String {
        self.chunks.iter().map(|(_, s)| s.as_str()).collect()
    }
    pub fn with_code(mut self, code: i32) -> Output {
        self.code = code;
        self
    }
}

/// Everything a program run inside a container can reach.
pub struct Ctx<'a, 'c> {
    pub cx: &'a mut Cx<'c>,
    pub p: &'a Proc,
    pub img: Image,
    pub env: BTreeMap<String, String>,
    pub cwd: String,
    /// Whether this is the container's main process (output goes to the
    /// container log) rather than `kubectl exec`.
    pub main: bool,
}

impl<'a, 'c> Ctx<'a, 'c> {
    pub fn new(cx: &'a mut Cx<'c>, p: &'a Proc, main: bool) -> Ctx<'a, 'c> {
        let img = image::lookup(&p.image);
        let host = hostname(cx.api, p);
        let env = p.environment(&img, &host);
        let cwd = if !p.working_dir.is_empty() {
            crate::engine::fs::clean(&p.working_dir, "/")
        } else if !img.workdir.is_empty() {
            img.workdir.clone()
        } else {
            "/".into()
        };
        Ctx { cx, p, img, env, cwd, main }
    }

    /// The container's file view, at this context's working directory.
    pub fn fs(&mut self) -> ContainerFs<'_> {
        let mut f = self.p.fs(self.cx.world);
        f.cwd = self.cwd.clone();
        f
    }

    pub fn now(&self) -> Time {
        self.cx.api.now
    }

    pub fn pod(&self) -> Option<&Pod> {
        self.cx.api.get_t::<Pod>(&self.p.pod.namespace, &self.p.pod.name)
    }

    pub fn pod_ip(&self) -> String {
        self.pod().map(|p| p.status.pod_ip.clone()).filter(|s| !s.is_empty()).unwrap_or_else(|| "10.244.0.2".into())
    }

    pub fn hostname(&self) -> String {
        hostname(self.cx.api, self.p)
    }
}

/// The pod's hostname: `spec.hostname`, else the pod's name.
pub fn hostname(api: &crate::engine::apiserver::Api, p: &Proc) -> String {
    match api.get_t::<Pod>(&p.pod.namespace, &p.pod.name) {
        Some(pod) if !pod.spec.hostname.is_empty() => pod.spec.hostname.clone(),
        _ => p.pod.name.clone(),
    }
}

/// Appends lines to the container's log (the current instance's).
pub fn append_log(world: &mut World, p: &Proc, text: &str) {
    if text.is_empty() {
        return;
    }
    world.logs.entry(p.log_key()).or_default().push_str(text);
}

/// Whether a recorded main process is really running: its pod still
/// exists with that uid, its machine has power, and it is the same restart.
pub fn is_alive(api: &crate::engine::apiserver::Api, world: &World, key: &ProcKey) -> bool {
    let Some(r) = world.programs.running.get(key) else { return false };
    if !world.is_powered(&r.proc.node) {
        return false;
    }
    match api.get_t::<Pod>(&r.proc.pod.namespace, &r.proc.pod.name) {
        Some(pod) => pod.metadata.uid == r.proc.pod_uid,
        None => false,
    }
}

/// The running server process of a container, if any.
pub fn running<'w>(world: &'w World, pod_uid: &str, container: &str) -> Option<&'w Running> {
    world.programs.running.get(&(pod_uid.to_string(), container.to_string()))
}

// ------------------------------------------------------------- lifecycle

/// The argv the container runs: `command` replaces the image's ENTRYPOINT
/// (and drops its CMD), `args` replaces CMD.
pub fn effective_argv(p: &Proc, img: &Image) -> Vec<String> {
    if !p.command.is_empty() {
        let mut v = p.command.clone();
        v.extend(p.args.iter().cloned());
        return v;
    }
    let mut v = img.entrypoint.clone();
    if !p.args.is_empty() {
        v.extend(p.args.iter().cloned());
    } else {
        v.extend(img.cmd.iter().cloned());
    }
    v
}

/// containerd's error when the container's executable is not in the image
/// (the kubelet reports it as `StartError`, exit code 128).
pub fn start_error(p: &Proc) -> Option<String> {
    let img = image::lookup(&p.image);
    let argv = effective_argv(p, &img);
    let first = argv.first()?;
    if img.server == Server::None && !matches!(img.name.as_str(), "busybox" | "alpine" | "debian" | "ubuntu") {
        // An image the simulator does not know: trust its command.
        return None;
    }
    if image::has_program(&img, first) {
        return None;
    }
    Some(format!(
        "failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: exec: \"{first}\": executable file not found in $PATH: unknown"
    ))
}

/// The container's main process starts.
pub fn start(cx: &mut Cx, p: &Proc) -> StartOutcome {
    flush_logs(cx.world, cx.api.now);
    // A new instance replaces whatever the previous one left behind.
    cx.world.programs.exits.remove(&p.key());
    cx.world.programs.running.remove(&p.key());
    if start_error(p).is_some() {
        return StartOutcome::Exited { code: 128, log: String::new() };
    }
    let img = image::lookup(&p.image);
    let argv = effective_argv(p, &img);
    let started = cx.api.now;
    let mut ctx = Ctx::new(cx, p, true);
    let outcome = run_main(&mut ctx, &argv);
    let (log, state) = match outcome {
        Main::Exited { code, log } => return StartOutcome::Exited { code, log },
        Main::Running { log, server } => (log, server),
        Main::ExitsLater { log, after, code, exit_log } => {
            let at = started.plus(after.max(0));
            cx.world.programs.exits.insert(p.key(), PendingExit { instance: p.instance(), at, code, log: exit_log });
            wake_kubelet(cx, p, at);
            (log, ServerState::None)
        }
    };
    cx.world.programs.running.insert(p.key(), Running { proc: p.clone(), instance: p.instance(), started, server: state, next_pid: 30, requests: 0 });
    StartOutcome::Running { log }
}

/// Wakes the kubelet for the pod at `at` (the main process ends then).
pub fn wake_kubelet(cx: &mut Cx, p: &Proc, at: Time) {
    cx.api.wake_at(at, Ctl::Kubelet, ObjRef::new(Kind::Pod, &p.pod.namespace, &p.pod.name));
}

/// Schedules the main process of `key` to exit on its own at `at`.
pub fn schedule_exit(cx: &mut Cx, key: &ProcKey, at: Time, code: i32, log: String) {
    let Some(r) = cx.world.programs.running.get(key) else { return };
    let p = r.proc.clone();
    let instance = r.instance;
    match cx.world.programs.exits.get(key) {
        Some(e) if e.at <= at => return,
        _ => {}
    }
    cx.world.programs.exits.insert(key.clone(), PendingExit { instance, at, code, log });
    wake_kubelet(cx, &p, at);
}

/// Whether the main process has ended on its own by now; if so, its exit
/// code (its last log lines are appended to the container log).
pub fn poll_exit(cx: &mut Cx, p: &Proc) -> Option<i32> {
    flush_logs(cx.world, cx.api.now);
    let key = p.key();
    let e = cx.world.programs.exits.get(&key)?;
    if e.instance != p.instance() || e.at > cx.api.now {
        return None;
    }
    let e = cx.world.programs.exits.remove(&key)?;
    append_log(cx.world, p, &e.log);
    if let Some(r) = cx.world.programs.running.remove(&key)
        && let ServerState::Postgres(_) = &r.server
    {
        postgres::forget(cx.world, &key);
    }
    Some(e.code)
}

/// The container's main process stops (SIGTERM or power loss).
pub fn stop(cx: &mut Cx, p: &Proc, clean: bool) {
    flush_logs(cx.world, cx.api.now);
    // What the process would have printed later, it never prints.
    cx.world.programs.later_logs.remove(&p.log_key());
    let key = p.key();
    cx.world.programs.exits.remove(&key);
    let Some(r) = cx.world.programs.running.remove(&key) else { return };
    if r.instance != p.instance() {
        return;
    }
    let mut ctx = Ctx::new(cx, p, true);
    let log = match r.server {
        ServerState::Postgres(pg) => postgres::stop(&mut ctx, &key, pg, clean),
        ServerState::Redis(rs) => redis::stop(&mut ctx, rs, clean),
        ServerState::Mysql(m) => mysql::stop(&mut ctx, m, clean),
        ServerState::Nginx if clean => http::nginx_stop_log(&ctx),
        ServerState::Httpd if clean => http::httpd_stop_log(&ctx),
        _ => String::new(),
    };
    append_log(cx.world, p, &log);
}

/// How long the main process takes to exit after the kubelet's stop
/// signal (the image's STOPSIGNAL, SIGTERM by default). A shell or `sleep`
/// running as PID 1 has no handler for SIGTERM and the kernel does not
/// apply the default action to PID 1: it runs until SIGKILL at the end of
/// the grace period (`i64::MAX` here).
pub fn shutdown_ms(p: &Proc) -> i64 {
    let img = image::lookup(&p.image);
    let argv = effective_argv(p, &img);
    let prog = main_program(&img, &argv);
    match prog.as_str() {
        "postgres" => 300,
        "nginx" => 100,
        "httpd" => 100,
        "redis-server" => 200,
        "mysqld" => 1_500,
        "" => 0,
        _ => i64::MAX,
    }
}

/// The program that ends up as PID 1 (after the image's entrypoint execs).
fn main_program(img: &Image, argv: &[String]) -> String {
    let Some(first) = argv.first() else { return String::new() };
    let base = first.rsplit('/').next().unwrap_or(first).to_string();
    match base.as_str() {
        "docker-entrypoint.sh" => {
            let rest = &argv[1..];
            match img.server {
                Server::Postgres if rest.first().is_none_or(|a| a == "postgres" || a.starts_with('-')) => "postgres".into(),
                Server::Redis if rest.first().is_none_or(|a| a == "redis-server" || a.starts_with('-') || a.ends_with(".conf")) => "redis-server".into(),
                Server::Mysql if rest.first().is_none_or(|a| a == "mysqld" || a.starts_with('-')) => "mysqld".into(),
                Server::Nginx if rest.first().is_none_or(|a| a == "nginx" || a == "nginx-debug") => "nginx".into(),
                _ => main_program(img, rest),
            }
        }
        "httpd-foreground" | "httpd" => "httpd".into(),
        "nginx" | "nginx-debug" => "nginx".into(),
        "true" | "false" | "echo" => String::new(),
        _ => base,
    }
}

/// How a main process fares.
pub enum Main {
    Running {
        log: String,
        server: ServerState,
    },
    Exited {
        code: i32,
        log: String,
    },
    /// Runs, then exits by itself `after` ms from now.
    ExitsLater {
        log: String,
        after: Millis,
        code: i32,
        exit_log: String,
    },
}

fn run_main(ctx: &mut Ctx, argv: &[String]) -> Main {
    let Some(first) = argv.first() else {
        // No command at all: an unknown image's own default.
        return Main::Running { log: String::new(), server: ServerState::None };
    };
    let base = first.rsplit('/').next().unwrap_or(first).to_string();
    let img = ctx.img.clone();
    match base.as_str() {
        "docker-entrypoint.sh" => match img.server {
            Server::Postgres => postgres::entrypoint(ctx, &argv[1..]),
            Server::Redis => redis::entrypoint(ctx, &argv[1..]),
            Server::Mysql => mysql::entrypoint(ctx, &argv[1..]),
            Server::Nginx => http::nginx_entrypoint(ctx, &argv[1..]),
            _ => run_main(ctx, &argv[1..]),
        },
        "postgres" if img.server == Server::Postgres => postgres::server_direct(ctx, &argv[1..]),
        "nginx" | "nginx-debug" if img.server == Server::Nginx => http::nginx_main(ctx, String::new()),
        "httpd-foreground" | "httpd" if img.server == Server::Httpd => http::httpd_main(ctx),
        "redis-server" if img.server == Server::Redis => redis::server(ctx, &argv[1..], String::new()),
        "mysqld" if img.server == Server::Mysql => mysql::entrypoint(ctx, argv),
        _ if img.server == Server::None && !image::has_program(&img, &base) => {
            // An unknown image's own program: it runs.
            Main::Running { log: String::new(), server: ServerState::None }
        }
        _ => sh::run_main(ctx, argv),
    }
}

// ------------------------------------------------------------------ exec

/// Runs a command in a running container.
pub fn exec(cx: &mut Cx, p: &Proc, argv: &[String], stdin: &str) -> ExecResult {
    flush_logs(cx.world, cx.api.now);
    let Some(first) = argv.first() else {
        return ExecResult { output: "error: you must specify at least one command for the container\n".into(), exit_code: 1 };
    };
    let img = image::lookup(&p.image);
    let known = img.server != Server::None || matches!(img.name.as_str(), "busybox" | "alpine" | "debian" | "ubuntu");
    if known && !first.contains('/') && !image::has_program(&img, first) || first.contains('/') && !path_exists(cx, p, first) {
        return ExecResult {
            output: format!(
                "OCI runtime exec failed: exec failed: unable to start container process: exec: \"{first}\": {}: unknown\n",
                if first.contains('/') { format!("stat {first}: no such file or directory") } else { "executable file not found in $PATH".into() }
            ),
            exit_code: 126,
        };
    }
    let mut ctx = Ctx::new(cx, p, false);
    let out = sh::run_argv(&mut ctx, argv, stdin);
    ExecResult { output: out.text(), exit_code: out.code }
}

/// The kubelet's httpGet probe of a pod: the HTTP status, or the error
/// the kubelet reports (`dial tcp 10.244.1.5:80: connect: connection
/// refused`). The request comes from the node (the pod CIDR's gateway),
/// with the kubelet's `User-Agent` (`kube-probe/1.36`).
pub fn probe_http(cx: &mut Cx, pod: &Pod, port: u16, path: &str, user_agent: &str) -> Result<u16, String> {
    let ip = pod.status.pod_ip.clone();
    let refused = format!("dial tcp {ip}:{port}: connect: connection refused");
    let Some(key) = net::listener_in(cx.api, cx.world, &pod.metadata.uid, port) else { return Err(refused) };
    let Some(r) = cx.world.programs.running.get(&key).cloned() else { return Err(refused) };
    if !http::is_http(&r.server) {
        // Not an HTTP server: the connection closes without a response.
        return Err(format!("Get \"http://{ip}:{port}{path}\": EOF"));
    }
    let gateway = match ip.rsplit_once('.') {
        Some((net, _)) => format!("{net}.1"),
        None => ip.clone(),
    };
    let now = cx.api.now;
    let resp = http::serve(cx.world, now, &r.proc, &r.server, "GET", path, &format!("{ip}:{port}"), &gateway, user_agent);
    Ok(resp.status)
}

/// The kubelet's tcpSocket probe: whether something listens on the port.
pub fn probe_tcp(cx: &mut Cx, pod: &Pod, port: u16) -> Result<(), String> {
    match net::listener_in(cx.api, cx.world, &pod.metadata.uid, port) {
        Some(_) => Ok(()),
        None => Err(format!("dial tcp {}:{port}: connect: connection refused", pod.status.pod_ip)),
    }
}

fn path_exists(cx: &mut Cx, p: &Proc, path: &str) -> bool {
    let img = image::lookup(&p.image);
    let base = path.rsplit('/').next().unwrap_or(path);
    if ["/bin/", "/usr/bin/", "/usr/local/bin/", "/sbin/", "/usr/sbin/", "/usr/lib/postgresql/"].iter().any(|d| path.starts_with(d))
        && image::has_program(&img, base)
    {
        return true;
    }
    if path == "/docker-entrypoint.sh" && img.server == Server::Nginx {
        return true;
    }
    p.fs(cx.world).read(path).is_ok()
}

#[cfg(test)]
pub(crate) mod testutil;

#[cfg(test)]
mod tests;
