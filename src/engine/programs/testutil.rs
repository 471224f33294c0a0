//! Test helpers: the default cluster (API + world, no controllers run),
//! pods with IPs, Procs built the way the kubelet builds them, and
//! start/stop/exec around them.

use super::{ExecResult, Proc, StartOutcome, Sys, exec, start, stop};
use crate::engine::api::*;
use crate::engine::cluster::Cluster;
use crate::engine::fs::Mount;
use crate::engine::world::VolumeId;

pub struct T {
    pub c: Cluster,
    next_ip: u32,
}

impl T {
    pub fn new() -> T {
        T { c: Cluster::new(7), next_ip: 5 }
    }

    pub fn cx(&mut self) -> Sys<'_> {
        Sys { api: &mut self.c.api, world: &mut self.c.world, rt: &mut self.c.runtime }
    }

    /// Creates a pod in the API (with an IP on its node) and returns the
    /// Proc of its one container, restart instance 0.
    pub fn pod(&mut self, name: &str, node: &str, image: &str, env: &[(&str, &str)], mounts: &[(&str, VolumeId)]) -> Proc {
        self.pod_with(name, node, image, env, mounts, vec![], vec![])
    }

    pub fn pod_with(
        &mut self,
        name: &str,
        node: &str,
        image: &str,
        env: &[(&str, &str)],
        mounts: &[(&str, VolumeId)],
        command: Vec<String>,
        args: Vec<String>,
    ) -> Proc {
        let ip = format!(
            "10.244.{}.{}",
            if node == "node-a" {
                1
            } else if node == "node-b" {
                2
            } else {
                3
            },
            self.next_ip
        );
        self.next_ip += 1;
        let mut pod = Pod { metadata: ObjectMeta::named("default", name), ..Default::default() };
        pod.metadata.labels.insert("app".into(), name.trim_end_matches(|c: char| c.is_ascii_digit() || c == '-').to_string());
        let c = Container { name: "main".into(), image: image.into(), command: command.clone(), args: args.clone(), ..Default::default() };
        pod.spec.containers = vec![c];
        pod.spec.node_name = node.into();
        let w = self.c.api.create(Object::Pod(pod)).expect("pod created");
        let mut p = match &*w.object {
            Object::Pod(p) => p.clone(),
            _ => unreachable!(),
        };
        p.status.pod_ip = ip.clone();
        p.status.phase = "Running".into();
        self.c.api.update_status(Object::Pod(p.clone())).expect("status");
        let p = self.c.api.get_t::<Pod>("default", name).unwrap().clone();
        Proc {
            pod: p.key(),
            pod_uid: p.metadata.uid.clone(),
            node: node.into(),
            container: "main".into(),
            image: image.into(),
            command,
            args,
            env: env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            working_dir: String::new(),
            layer: VolumeId::Container { pod_uid: p.metadata.uid.clone(), container: "main".into(), instance: 0 },
            mounts: mounts
                .iter()
                .map(|(path, v)| Mount { path: path.to_string(), volume: v.clone(), sub_path: String::new(), read_only: false, name: "vol".into() })
                .collect(),
        }
    }

    /// The same container after a restart (a new writable layer).
    pub fn restarted(p: &Proc) -> Proc {
        let mut q = p.clone();
        if let VolumeId::Container { pod_uid, container, instance } = &p.layer {
            q.layer = VolumeId::Container { pod_uid: pod_uid.clone(), container: container.clone(), instance: instance + 1 };
        }
        q
    }

    pub fn start(&mut self, p: &Proc) -> StartOutcome {
        let mut cx = self.cx();
        start(&mut cx, p)
    }

    pub fn start_ok(&mut self, p: &Proc) -> String {
        match self.start(p) {
            StartOutcome::Running { log } => log,
            o => panic!("{} did not start: {o:?}", p.pod.name),
        }
    }

    pub fn stop(&mut self, p: &Proc, clean: bool) {
        let mut cx = self.cx();
        stop(&mut cx, p, clean)
    }

    pub fn exec(&mut self, p: &Proc, argv: &[&str]) -> ExecResult {
        let argv: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
        let mut cx = self.cx();
        exec(&mut cx, p, &argv, "")
    }

    pub fn exec_in(&mut self, p: &Proc, argv: &[&str], stdin: &str) -> ExecResult {
        let argv: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
        let mut cx = self.cx();
        exec(&mut cx, p, &argv, stdin)
    }

    pub fn sh(&mut self, p: &Proc, script: &str) -> ExecResult {
        self.exec(p, &["sh", "-c", script])
    }

    pub fn psql(&mut self, p: &Proc, sql: &str) -> ExecResult {
        self.exec(p, &["psql", "-U", "postgres", "-c", sql])
    }

    pub fn log(&self, p: &Proc) -> String {
        self.c.world.logs.get(&(p.pod_uid.clone(), p.container.clone(), p.instance())).cloned().unwrap_or_default()
    }

    pub fn advance(&mut self, ms: i64) {
        self.c.api.now = self.c.api.now.plus(ms);
    }

    /// Deletes the pod object (as the kubelet finishes a deletion).
    pub fn delete_pod(&mut self, p: &Proc) {
        self.c.api.finish_pod_deletion(&p.pod);
    }
}

pub fn out(r: &ExecResult) -> (&str, i32) {
    (r.output.as_str(), r.exit_code)
}
