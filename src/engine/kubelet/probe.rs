//! Container probes (pkg/kubelet/prober): exec probes run in the container
//! through the container runtime; HTTP probes are answered by the simulated server
//! listening in the pod (nginx serves or 404s the path); TCP probes succeed
//! when the container's program listens on the port.

use crate::engine::api::*;
use crate::engine::control::Cx;
use crate::engine::cri::{self, Proc};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ProbeKind {
    Startup,
    Readiness,
    Liveness,
}

impl ProbeKind {
    pub const ALL: [ProbeKind; 3] = [ProbeKind::Startup, ProbeKind::Readiness, ProbeKind::Liveness];
    /// How the prober names the probe in events (`Readiness probe failed: ...`).
    pub fn label(self) -> &'static str {
        match self {
            ProbeKind::Startup => "Startup",
            ProbeKind::Readiness => "Readiness",
            ProbeKind::Liveness => "Liveness",
        }
    }
    pub fn of(self, c: &Container) -> Option<&Probe> {
        match self {
            ProbeKind::Startup => c.startup_probe.as_ref(),
            ProbeKind::Readiness => c.readiness_probe.as_ref(),
            ProbeKind::Liveness => c.liveness_probe.as_ref(),
        }
    }
    pub fn index(self) -> usize {
        self as usize
    }
}

/// The ports the simulated program of an image serves.
pub fn listens(image: &str, command: &[String], args: &[String], port: i32) -> bool {
    let words: Vec<&str> = command.iter().chain(args.iter()).map(|s| s.as_str()).collect();
    let joined = words.join(" ");
    match cri::image_name(image) {
        "nginx" | "httpd" => port == 80 && !overrides_main_process(&words),
        "postgres" => port == 5432 && !overrides_main_process(&words),
        "mysql" => (port == 3306 || port == 33060) && !overrides_main_process(&words),
        "redis" => port == 6379 && !overrides_main_process(&words),
        "busybox" | "alpine" | "ubuntu" | "debian" => {
            // `httpd -p 8080`, `nc -l -p 8080`: a shell server on the named port
            (joined.contains("httpd") || joined.contains("nc "))
                && (joined.contains(&format!(" {port}")) || joined.contains(&format!(":{port}")) || (port == 80 && joined.contains("httpd")))
        }
        // an image Kubarium does not know: assume its program serves what it is probed on
        _ => true,
    }
}

/// Whether the container runs one of the simulated servers (nginx, httpd,
/// postgres, mysql, redis), whose own answers decide the probe.
fn simulated_server(image: &str, command: &[String], args: &[String]) -> bool {
    let words: Vec<&str> = command.iter().chain(args.iter()).map(|s| s.as_str()).collect();
    matches!(cri::image_name(image), "nginx" | "httpd" | "postgres" | "mysql" | "redis") && !overrides_main_process(&words)
}

/// A command that replaces the image's server (`sleep 3600`, `sh -c ...`).
fn overrides_main_process(words: &[&str]) -> bool {
    matches!(
        words.first().copied(),
        Some("sleep") | Some("sh") | Some("/bin/sh") | Some("bash") | Some("/bin/bash") | Some("false") | Some("true") | Some("tail") | Some("cat")
    )
}

/// The port a probe names (a number or a container port's name).
fn resolve_port(c: &Container, p: &IntOrString) -> Result<i32, String> {
    match p {
        IntOrString::Int(n) => Ok(*n),
        IntOrString::Str(name) => match c.ports.iter().find(|cp| &cp.name == name) {
            Some(cp) => Ok(cp.container_port),
            None => name.parse::<i32>().map_err(|_| format!("unable to find port {name:?} in container {}", c.name)),
        },
    }
}

/// Runs one probe; the result and the output the prober reports on failure.
pub fn run(cx: &mut Cx, proc: &Proc, c: &Container, probe: &Probe, pod_ip: &str) -> (bool, String) {
    if let Some(e) = &probe.exec {
        let r = cx.rt.exec(cx.api, cx.world, proc, &e.command, "");
        let out = r.output.trim_end_matches('\n').to_string();
        return (r.exit_code == 0, out);
    }
    if let Some(h) = &probe.http_get {
        let port = match resolve_port(c, &h.port) {
            Ok(p) => p,
            Err(e) => return (false, e),
        };
        let host = if h.host.is_empty() { pod_ip } else { h.host.as_str() };
        let scheme = if h.scheme.eq_ignore_ascii_case("https") { "https" } else { "http" };
        let path = if h.path.is_empty() { "/" } else { h.path.as_str() };
        // A simulated server answers the request itself (nginx's 404 for a
        // missing file); images without one are assumed to serve the port.
        let pod = cx.api.get_t::<Pod>(&proc.pod.namespace, &proc.pod.name).cloned();
        let answer = match pod.filter(|p| p.metadata.uid == proc.pod_uid) {
            Some(pod) if port > 0 && port <= 65535 => cx.rt.probe_http(cx.api, cx.world, &pod, port as u16, path, &user_agent()),
            _ => Err(String::new()),
        };
        return match answer {
            // prober/http: 200 <= status < 400 succeeds.
            Ok(code) if (200..400).contains(&code) => (true, String::new()),
            Ok(code) => (false, format!("HTTP probe failed with statuscode: {code}")),
            Err(_) if listens(&proc.image, &proc.command, &proc.args, port) && !simulated_server(&proc.image, &proc.command, &proc.args) => {
                (true, String::new())
            }
            Err(e) if e.starts_with("Get ") => (false, e),
            Err(_) => (false, format!("Get \"{scheme}://{host}:{port}{path}\": dial tcp {host}:{port}: connect: connection refused")),
        };
    }
    if let Some(t) = &probe.tcp_socket {
        let port = match resolve_port(c, &t.port) {
            Ok(p) => p,
            Err(e) => return (false, e),
        };
        let host = if t.host.is_empty() { pod_ip } else { t.host.as_str() };
        if listens(&proc.image, &proc.command, &proc.args, port) {
            return (true, String::new());
        }
        return (false, format!("dial tcp {host}:{port}: connect: connection refused"));
    }
    if let Some(g) = &probe.grpc {
        let port = g.get("port").and_then(|p| p.as_i64()).unwrap_or(0) as i32;
        if listens(&proc.image, &proc.command, &proc.args, port) {
            return (true, String::new());
        }
        return (false, format!("timeout: failed to connect service \"{pod_ip}:{port}\" within 1s: context deadline exceeded"));
    }
    (true, String::new())
}

/// The User-Agent of the kubelet's HTTP probes: `kube-probe/<major.minor>`.
fn user_agent() -> String {
    let version = super::KUBELET_VERSION.trim_start_matches('v');
    let minor: String = version.split('.').take(2).collect::<Vec<_>>().join(".");
    format!("kube-probe/{minor}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_listen_on_their_ports() {
        assert!(listens("nginx:1.25", &[], &[], 80));
        assert!(!listens("nginx:1.25", &[], &[], 8080));
        assert!(!listens("nginx:1.25", &["sleep".into(), "3600".into()], &[], 80));
        assert!(listens("postgres:16", &[], &[], 5432));
        assert!(!listens("busybox:1.36", &["sleep".into()], &[], 80));
        assert!(listens("busybox", &["httpd".into(), "-f".into(), "-p".into(), "8080".into()], &[], 8080));
        assert!(listens("example.com/app:1", &[], &[], 8080));
    }
}
