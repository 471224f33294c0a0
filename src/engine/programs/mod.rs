//! The simulated programs inside containers: what a container's main
//! process does when it starts and stops (postgres, nginx, httpd, redis,
//! mysql, busybox, anything else), and what `kubectl exec` runs (`sh -c`,
//! `psql`, `curl`, `redis-cli`, `mysql`, `cat`, `ls`, ...). Programs see
//! files only through [`ContainerFs`](crate::engine::fs::ContainerFs), so
//! data lives where the mounts say: container layer, emptyDir, or a volume.
//!
//! The kubelet's way in is the container runtime interface
//! ([`crate::engine::cri::ContainerRuntime`]), which [`Runtime`] implements:
//! - `start` when a container's main process starts ([`start`]), `stop`
//!   when it is stopped or killed (`clean = false` on SIGKILL and power
//!   loss), `exec` for `kubectl exec` and exec probes (the output is what the
//!   program printed; the kubelet adds `command terminated with exit code
//!   N`), `probe_http` for httpGet probes answered by the server that really
//!   listens in the pod (nginx's 404 for a missing path, refused when
//!   nothing listens).
//! - [`Runtime`] is the runtime's state: the main processes that run and the
//!   servers' memory, exits scheduled for later, Service round-robin
//!   counters, split data directories, log lines due later. The cluster owns
//!   it; every entry point gets it in a [`Sys`] with the API and the world.
//!
//! Inside, for the programs and their tests (the kubelet does not call
//! these): [`start_error`], containerd's error when the command does not
//! exist in the image (`start` exits 128 then); [`shutdown_ms`], how long the
//! process takes to exit after the stop signal; [`probe_tcp`]; and
//! [`poll_exit`]: a main process that ends on its own later (`sleep 30`, a
//! script, a database that crashes) is recorded with its exit time and the
//! kubelet is woken (`Ctl::Kubelet`, the pod's key) at that time;
//! `poll_exit` tells the exit code. Log lines a process writes later are
//! appended to `World::logs` under the container's (pod uid, container,
//! instance) key; lines a script prints after a `sleep` wait in
//! `Runtime::later_logs` until [`flush_logs`] (called on every entry point
//! here; a log reader may call it too).
//!
//! Module map: `image` (what each image is and ships), `sh` (the shell:
//! lexer, parser, interpreter, expansion) and `utils` (coreutils/busybox),
//! `postgres`/`sql`/`psql`/`text` (server, SQL engine — lexer, parser,
//! executor —, client, psql's table printer), `http`/`curl` (nginx, httpd,
//! curl, wget), `redis`, `mysql`, `net` (DNS, Services, NodePorts,
//! listeners). Each module's own documentation says what it supports.
//!
//! What is simulated, in short (what demos and lessons use; anything else
//! says `command not found` or the program's own "unknown option" error):
//! - images: postgres, nginx, httpd, redis, mysql (their servers and
//!   clients), busybox, alpine, debian, ubuntu (a shell and utilities); an
//!   unknown image runs as if its command worked and serves what it is
//!   probed on.
//! - `sh` (dash, busybox ash or bash by image), see [`sh`]; utilities, see
//!   [`utils`]: echo printf true false cat ls mkdir rmdir rm touch cp mv ln
//!   pwd hostname env printenv sleep wc grep egrep fgrep head tail date
//!   whoami id uname seq tee sort uniq basename dirname test [ which tr cut
//!   sed awk xargs find df kill chmod chown sync stat yes ps, each the
//!   subset its module lists. No `nc`, `ping`, `ip`, `vi`, package managers.
//! - postgres/psql: see [`sql`] for the SQL subset, [`psql`] for the client.
//! - mysql/mysqladmin: [`mysql`]. redis-server/redis-cli: [`redis`].
//! - curl/wget: [`curl`]; nginx/httpd serving files: [`http`].

pub mod curl;
pub mod http;
pub mod image;
pub mod ingress;
pub mod load;
pub mod mysql;
pub mod net;
pub mod netpol;
pub mod perl;
pub mod postgres;
pub mod psql;
pub mod redis;
pub mod sh;
pub mod sql;
pub mod text;
pub mod utils;

use crate::engine::api::{Kind, ObjRef, Pod};
use crate::engine::apiserver::{Api, Ctl};
use crate::engine::cri::ContainerRuntime;
use crate::engine::fs::ContainerFs;
use crate::engine::time::{Millis, Time};
use crate::engine::world::{VolumeId, World};
use image::{Image, Server};
use std::collections::BTreeMap;

/// A container as programs see it: the runtime interface's (built by the
/// kubelet, see `kubelet::proc_for`); its methods that need images and
/// logs are here.
pub use crate::engine::cri::{ExecResult, Proc, StartOutcome};

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

/// Files an image ships (directories as `path/` with empty content).
pub fn image_files(image: &str) -> Vec<(String, String)> {
    image::files(&image::lookup(image))
}

// ------------------------------------------------------------------ state

type ProcKey = (String, String);

/// The container runtime's state: the main processes that run (and the
/// servers' memory), exits scheduled for later, what spans machines (Service
/// round-robin, split data directories). The cluster owns it (next to the
/// world) and lends it to the kubelet as a [`ContainerRuntime`].
#[derive(Clone, Debug, Default)]
pub struct Runtime {
    /// Running main processes by (pod uid, container).
    // Boxed values: BTreeMap's code is compiled per value size, and maps of
    // pointer-sized values share one copy in the wasm.
    pub running: BTreeMap<ProcKey, Box<Running>>,
    /// Main processes that end on their own later, by (pod uid, container).
    pub exits: BTreeMap<ProcKey, Box<PendingExit>>,
    /// Round-robin counters for Service backends, by "namespace/name".
    pub rr: BTreeMap<String, u64>,
    /// Postgres data directories that two servers wrote at once.
    // Boxed values, as above, and a boxed key: the tree's removal and
    // rebalancing code depends only on the key and value sizes, and with
    // both pointer-sized the map shares the store tables' copy.
    pub split_brain: BTreeMap<Box<(VolumeId, String)>, Box<SplitBrain>>,
    /// Log lines a main process writes later (a script's output after a
    /// `sleep`), by container log key: (when, text).
    // A sorted Vec, as `World::logs`.
    pub later_logs: crate::engine::sort::VecMap<(String, String, u32), Vec<(Time, String)>>,
    /// Main processes that load servers with requests ([`load`]).
    pub loads: Vec<load::Load>,
    /// The HTTP requests (host, port) a main process's script makes while
    /// the shell simulates it, for [`load::record`].
    pub recording: Option<Vec<(String, u16)>>,
}

/// Everything the programs of the cluster reach: the API (clock, pods,
/// DNS, timers), the world (files, machines, logs) and the runtime's state.
pub struct Sys<'a> {
    pub api: &'a mut Api,
    pub world: &'a mut World,
    pub rt: &'a mut Runtime,
}

/// The kubelet's way in (see [`crate::engine::cri`]).
impl ContainerRuntime for Runtime {
    fn start(&mut self, api: &mut Api, world: &mut World, p: &Proc) -> StartOutcome {
        start(&mut Sys { api, world, rt: self }, p)
    }
    fn stop(&mut self, api: &mut Api, world: &mut World, p: &Proc, clean: bool) {
        stop(&mut Sys { api, world, rt: self }, p, clean)
    }
    fn exec(&mut self, api: &mut Api, world: &mut World, p: &Proc, argv: &[String], stdin: &str) -> ExecResult {
        exec(&mut Sys { api, world, rt: self }, p, argv, stdin)
    }
    fn poll_exit(&mut self, api: &mut Api, world: &mut World, p: &Proc) -> Option<i32> {
        poll_exit(&mut Sys { api, world, rt: self }, p)
    }
    fn probe_http(&mut self, api: &mut Api, world: &mut World, pod: &Pod, port: u16, path: &str, user_agent: &str) -> Result<u16, String> {
        probe_http(&mut Sys { api, world, rt: self }, pod, port, path, user_agent)
    }
    fn stats(&mut self, api: &mut Api, world: &mut World) -> Vec<crate::engine::cri::ContainerStats> {
        load::usage(&mut Sys { api, world, rt: self })
    }
}

/// Moves log lines whose time has come into `World::logs`. The programs
/// call it on every entry point; a log reader may call it too.
pub fn flush_logs(rt: &mut Runtime, world: &mut World, now: Time) {
    if rt.later_logs.is_empty() {
        return;
    }
    let keys: Vec<_> = rt.later_logs.keys().cloned().collect();
    for k in keys {
        let lines = rt.later_logs.remove(&k).unwrap_or_default();
        let (due, rest): (Vec<_>, Vec<_>) = lines.into_iter().partition(|(t, _)| *t <= now);
        for (_, text) in due {
            world.logs.entry_or_default(k.clone()).push_str(&text);
        }
        if !rest.is_empty() {
            rt.later_logs.insert(k, rest);
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
    // Sorted Vecs: the wasm's only sets of this element type.
    pub servers: crate::engine::sort::VecSet<ProcKey>,
    pub writers: crate::engine::sort::VecSet<ProcKey>,
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
    pub cx: &'a mut Sys<'c>,
    pub p: &'a Proc,
    pub img: Image,
    pub env: BTreeMap<String, String>,
    pub cwd: String,
    /// Whether this is the container's main process (output goes to the
    /// container log) rather than `kubectl exec`.
    pub main: bool,
}

impl<'a, 'c> Ctx<'a, 'c> {
    pub fn new(cx: &'a mut Sys<'c>, p: &'a Proc, main: bool) -> Ctx<'a, 'c> {
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

    /// The container's file view, at this context's working directory,
    /// with the kubelet-managed /etc/hosts over the image's.
    pub fn fs(&mut self) -> ContainerFs<'_> {
        let hosts = self.pod().map(hosts_file);
        let mut f = self.p.fs(self.cx.world);
        f.cwd = self.cwd.clone();
        if let Some(h) = hosts {
            f.image_files.retain(|(p, _)| p != "/etc/hosts");
            f.image_files.push(("/etc/hosts".into(), h));
        }
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

/// The kubelet's managed hosts file (kubelet_pods.go,
/// managedHostsFileContent): localhost lines, the pod's IP with its
/// hostname (qualified by `subdomain.namespace.svc.cluster.local` when the
/// pod has a subdomain), then the pod's hostAliases.
pub fn hosts_file(pod: &Pod) -> String {
    let mut out = String::from(
        "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n",
    );
    let host = if pod.spec.hostname.is_empty() { pod.metadata.name.chars().take(63).collect() } else { pod.spec.hostname.clone() };
    let ip = &pod.status.pod_ip;
    if !ip.is_empty() {
        if pod.spec.subdomain.is_empty() {
            out.push_str(&format!("{ip}\t{host}\n"));
        } else {
            out.push_str(&format!("{ip}\t{host}.{}.{}.svc.cluster.local\t{host}\n", pod.spec.subdomain, pod.metadata.namespace));
        }
    }
    if !pod.spec.host_aliases.is_empty() {
        out.push_str("\n# Entries added by HostAliases.\n");
        for a in &pod.spec.host_aliases {
            let names: Vec<&str> = a.get("hostnames").and_then(|h| h.as_array()).map(|h| h.iter().filter_map(|n| n.as_str()).collect()).unwrap_or_default();
            out.push_str(&format!("{}\t{}\n", a.get("ip").and_then(|i| i.as_str()).unwrap_or_default(), names.join("\t")));
        }
    }
    out
}

/// The pod's hostname: `spec.hostname`, else the pod's name.
pub fn hostname(api: &Api, p: &Proc) -> String {
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
    world.logs.entry_or_default(p.log_key()).push_str(text);
}

/// Whether a recorded main process is really running: its pod still
/// exists with that uid, its machine has power, and it is the same restart.
pub fn is_alive(api: &Api, world: &World, rt: &Runtime, key: &ProcKey) -> bool {
    let Some(r) = rt.running.get(key) else { return false };
    if !world.is_powered(&r.proc.node) {
        return false;
    }
    match api.get_t::<Pod>(&r.proc.pod.namespace, &r.proc.pod.name) {
        Some(pod) => pod.metadata.uid == r.proc.pod_uid,
        None => false,
    }
}

/// The running server process of a container, if any.
pub fn running<'r>(rt: &'r Runtime, pod_uid: &str, container: &str) -> Option<&'r Running> {
    rt.running.get(&(pod_uid.to_string(), container.to_string())).map(|r| &**r)
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
pub fn start(cx: &mut Sys, p: &Proc) -> StartOutcome {
    flush_logs(cx.rt, cx.world, cx.api.now);
    // A new instance replaces whatever the previous one left behind.
    cx.rt.exits.remove(&p.key());
    cx.rt.running.remove(&p.key());
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
            cx.rt.exits.insert(p.key(), Box::new(PendingExit { instance: p.instance(), at, code, log: exit_log }));
            wake_kubelet(cx, p, at);
            (log, ServerState::None)
        }
    };
    cx.rt.running.insert(p.key(), Box::new(Running { proc: p.clone(), instance: p.instance(), started, server: state, next_pid: 30, requests: 0 }));
    StartOutcome::Running { log }
}

/// Wakes the kubelet for the pod at `at` (the main process ends then).
pub fn wake_kubelet(cx: &mut Sys, p: &Proc, at: Time) {
    cx.api.wake_at(at, Ctl::Kubelet, ObjRef::new(Kind::Pod, &p.pod.namespace, &p.pod.name));
}

/// Schedules the main process of `key` to exit on its own at `at`.
pub fn schedule_exit(cx: &mut Sys, key: &ProcKey, at: Time, code: i32, log: String) {
    let Some(r) = cx.rt.running.get(key) else { return };
    let p = r.proc.clone();
    let instance = r.instance;
    match cx.rt.exits.get(key) {
        Some(e) if e.at <= at => return,
        _ => {}
    }
    cx.rt.exits.insert(key.clone(), Box::new(PendingExit { instance, at, code, log }));
    wake_kubelet(cx, &p, at);
}

/// Whether the main process has ended on its own by now; if so, its exit
/// code (its last log lines are appended to the container log).
pub fn poll_exit(cx: &mut Sys, p: &Proc) -> Option<i32> {
    flush_logs(cx.rt, cx.world, cx.api.now);
    let key = p.key();
    let e = cx.rt.exits.get(&key)?;
    if e.instance != p.instance() || e.at > cx.api.now {
        return None;
    }
    let e = cx.rt.exits.remove(&key)?;
    append_log(cx.world, p, &e.log);
    if let Some(r) = cx.rt.running.remove(&key)
        && let ServerState::Postgres(_) = &r.server
    {
        postgres::forget(cx.rt, &key);
    }
    Some(e.code)
}

/// The container's main process stops (SIGTERM or power loss).
pub fn stop(cx: &mut Sys, p: &Proc, clean: bool) {
    flush_logs(cx.rt, cx.world, cx.api.now);
    // What the process would have printed later, it never prints.
    cx.rt.later_logs.remove(&p.log_key());
    let key = p.key();
    cx.rt.exits.remove(&key);
    cx.rt.loads.retain(|l| l.client != key);
    let Some(r) = cx.rt.running.remove(&key) else { return };
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
        "httpd-foreground" | "httpd" | "apache2-foreground" if img.server == Server::Httpd => http::httpd_main(ctx),
        "redis-server" if img.server == Server::Redis => redis::server(ctx, &argv[1..], String::new()),
        "mysqld" if img.server == Server::Mysql => mysql::entrypoint(ctx, argv),
        "perl" if let Some(m) = perl::main(argv) => m,
        _ if img.server == Server::None && !image::has_program(&img, &base) => {
            // An unknown image's own program: it runs.
            Main::Running { log: String::new(), server: ServerState::None }
        }
        _ => sh::run_main(ctx, argv),
    }
}

// ------------------------------------------------------------------ exec

/// Runs a command in a running container.
pub fn exec(cx: &mut Sys, p: &Proc, argv: &[String], stdin: &str) -> ExecResult {
    flush_logs(cx.rt, cx.world, cx.api.now);
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
pub fn probe_http(cx: &mut Sys, pod: &Pod, port: u16, path: &str, user_agent: &str) -> Result<u16, String> {
    let ip = pod.status.pod_ip.clone();
    let refused = format!("dial tcp {ip}:{port}: connect: connection refused");
    let Some(key) = net::listener_in(cx.api, cx.world, cx.rt, &pod.metadata.uid, port) else { return Err(refused) };
    let Some(r) = cx.rt.running.get(&key).cloned() else { return Err(refused) };
    if !http::is_http(&r.server) {
        // Not an HTTP server: the connection closes without a response.
        return Err(format!("Get \"http://{ip}:{port}{path}\": EOF"));
    }
    let gateway = match ip.rsplit_once('.') {
        Some((net, _)) => format!("{net}.1"),
        None => ip.clone(),
    };
    let now = cx.api.now;
    let resp = http::serve(cx.rt, cx.world, now, &r.proc, &r.server, "GET", path, &format!("{ip}:{port}"), &gateway, user_agent);
    Ok(resp.status)
}

/// The kubelet's tcpSocket probe: whether something listens on the port.
pub fn probe_tcp(cx: &mut Sys, pod: &Pod, port: u16) -> Result<(), String> {
    match net::listener_in(cx.api, cx.world, cx.rt, &pod.metadata.uid, port) {
        Some(_) => Ok(()),
        None => Err(format!("dial tcp {}:{port}: connect: connection refused", pod.status.pod_ip)),
    }
}

fn path_exists(cx: &mut Sys, p: &Proc, path: &str) -> bool {
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
