//! Where a client's connection goes: the resolver (cluster DNS through
//! `engine::dns`, `localhost`, literal IPs, the pod's own hostname), a
//! Service's ClusterIP translated by kube-proxy to one ready backend (round
//! robin, its `port` mapped to `targetPort`), and which process in the
//! target pod listens on the port; a node's address reaches a pod's
//! hostPort on that node, else a NodePort Service.

use super::Runtime;
use super::image::Server;
use super::{Ctx, ProcKey, ServerState};
use crate::engine::api::{IntOrString, Pod, Service};
use crate::engine::dns::{self, Resolved};
use crate::engine::world::World;

/// An address a name resolved to.
#[derive(Clone, Debug, PartialEq)]
pub struct Addr {
    /// The name as the client was given it.
    pub host: String,
    /// The address the client connects to.
    pub ip: String,
    pub kind: AddrKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum AddrKind {
    /// This pod (localhost, its own IP or hostname).
    Loopback,
    /// A pod (by uid), or an IP no pod has (uid empty).
    Pod(String),
    /// A Service's cluster IP.
    Service { namespace: String, name: String },
    /// A node's address (NodePort Services answer on every node).
    Node(String),
}

/// getaddrinfo's message for an unknown name in this image's libc.
pub fn dns_error(ctx: &Ctx) -> &'static str {
    if ctx.img.alpine() || ctx.img.userland == super::image::Userland::Busybox { "Name does not resolve" } else { "Name or service not known" }
}

fn is_ipv4(s: &str) -> bool {
    s.split('.').count() == 4 && s.split('.').all(|p| p.parse::<u8>().is_ok())
}

/// The running pod with this IP.
pub fn pod_by_ip(ctx: &Ctx, ip: &str) -> Option<String> {
    for (k, r) in &ctx.cx.rt.running {
        if let Some(pod) = ctx.cx.api.get_t::<Pod>(&r.proc.pod.namespace, &r.proc.pod.name)
            && pod.status.pod_ip == ip
            && pod.metadata.uid == k.0
        {
            return Some(k.0.clone());
        }
    }
    None
}

/// Resolves a host name as the pod's resolver does. None: unknown name.
pub fn resolve(ctx: &mut Ctx, host: &str) -> Option<Vec<Addr>> {
    let own = ctx.pod_ip();
    let a = |ip: &str, kind| Addr { host: host.to_string(), ip: ip.to_string(), kind };
    if host == "localhost" {
        return Some(vec![a("::1", AddrKind::Loopback), a("127.0.0.1", AddrKind::Loopback)]);
    }
    if host == "127.0.0.1" || host == "::1" || host == "0.0.0.0" {
        return Some(vec![a(host, AddrKind::Loopback)]);
    }
    // The kubelet-managed /etc/hosts maps the pod's own hostname to its IP,
    // ahead of cluster DNS.
    if host == own || host == ctx.hostname() {
        return Some(vec![a(&own, AddrKind::Loopback)]);
    }
    if is_ipv4(host) {
        if let Some((name, _)) = ctx.cx.world.machines.iter().find(|(_, m)| m.internal_ip == host) {
            return Some(vec![a(host, AddrKind::Node(name.clone()))]);
        }
        // A ClusterIP, or a pod IP.
        let uid = pod_by_ip(ctx, host).unwrap_or_default();
        if uid.is_empty()
            && let Some(svc) = service_by_ip(ctx, host)
        {
            return Some(vec![a(host, AddrKind::Service { namespace: svc.0, name: svc.1 })]);
        }
        return Some(vec![a(host, AddrKind::Pod(uid))]);
    }
    let ns = ctx.p.pod.namespace.clone();
    // the lookup itself is egress to the cluster DNS, which a policy may drop
    if ctx.pod().is_some_and(|p| !super::netpol::dns_allowed(ctx.cx.api, p)) {
        return None;
    }
    match dns::resolve(ctx.cx.api, &ns, host) {
        Resolved::Pod { key, ip } => {
            let uid = ctx.cx.api.get_t::<Pod>(&key.namespace, &key.name).map(|p| p.metadata.uid.clone()).unwrap_or_default();
            if uid == ctx.p.pod_uid {
                return Some(vec![a(&ip, AddrKind::Loopback)]);
            }
            Some(vec![a(&ip, AddrKind::Pod(uid))])
        }
        Resolved::Service { namespace, name, ip, .. } => Some(vec![a(&ip, AddrKind::Service { namespace, name })]),
        Resolved::NotFound => None,
    }
}

fn service_by_ip(ctx: &Ctx, ip: &str) -> Option<(String, String)> {
    // Services in the pod's namespace first, then the rest (short lists).
    ctx.cx.api.store.list_t::<Service>().find(|s| s.spec.cluster_ip == ip).map(|s| (s.metadata.namespace.clone(), s.metadata.name.clone()))
}

/// Where a TCP connection to (addr, port) lands: the pod and the port in
/// it. None: nothing answers (no endpoints, or no such Service port).
pub fn route(ctx: &mut Ctx, addr: &Addr, port: u16) -> Option<(String, u16)> {
    match &addr.kind {
        AddrKind::Loopback => Some((ctx.p.pod_uid.clone(), port)),
        AddrKind::Pod(uid) if uid.is_empty() => None,
        AddrKind::Pod(uid) => Some((uid.clone(), port)),
        AddrKind::Node(node) => {
            // kube-proxy on a powered node forwards a NodePort to the Service.
            if !ctx.cx.world.is_powered(node) {
                return None;
            }
            if let Some(hit) = host_port(ctx, node, port) {
                return Some(hit);
            }
            let svc = ctx.cx.api.store.list_t::<Service>().find(|s| s.spec.ports.iter().any(|p| p.node_port as u16 == port && p.node_port != 0))?.clone();
            let sp = svc.spec.ports.iter().find(|p| p.node_port as u16 == port)?.clone();
            let svc_addr = Addr {
                host: addr.host.clone(),
                ip: svc.spec.cluster_ip.clone(),
                kind: AddrKind::Service { namespace: svc.metadata.namespace.clone(), name: svc.metadata.name.clone() },
            };
            route(ctx, &svc_addr, sp.port as u16)
        }
        AddrKind::Service { namespace, name } => {
            let backends = backends(ctx, addr, port);
            if backends.is_empty() {
                return None;
            }
            let counter = ctx.cx.rt.rr.entry(format!("{namespace}/{name}")).or_insert(0);
            let pick = backends[(*counter % backends.len() as u64) as usize].clone();
            *counter += 1;
            Some(pick)
        }
    }
}

/// A running pod on `node` with a container port published on the node's
/// `port` (hostPort): (pod uid, container port).
fn host_port(ctx: &Ctx, node: &str, port: u16) -> Option<(String, u16)> {
    ctx.cx.api.store.list_t::<Pod>().find_map(|p| {
        let c = p.spec.containers.iter().flat_map(|c| c.ports.iter()).find(|c| c.host_port as u16 == port && c.host_port != 0)?;
        (p.spec.node_name == node && p.metadata.deletion_timestamp.is_none() && !p.status.pod_ip.is_empty())
            .then(|| (p.metadata.uid.clone(), c.container_port as u16))
    })
}

/// Every (pod uid, port) a connection to (addr, port) may land on: a
/// Service's ready endpoints (kube-proxy spreads connections over them),
/// else the one pod.
pub fn backends(ctx: &mut Ctx, addr: &Addr, port: u16) -> Vec<(String, u16)> {
    let (namespace, name) = match &addr.kind {
        AddrKind::Service { namespace, name } => (namespace, name),
        AddrKind::Node(node) => {
            if !ctx.cx.world.is_powered(node) {
                return vec![];
            }
            if let Some(hit) = host_port(ctx, node, port) {
                return vec![hit];
            }
            let Some(svc) = ctx.cx.api.store.list_t::<Service>().find(|s| s.spec.ports.iter().any(|p| p.node_port as u16 == port && p.node_port != 0)) else {
                return vec![];
            };
            let sp = svc.spec.ports.iter().find(|p| p.node_port as u16 == port).map_or(0, |p| p.port as u16);
            let kind = AddrKind::Service { namespace: svc.metadata.namespace.clone(), name: svc.metadata.name.clone() };
            let a = Addr { host: addr.host.clone(), ip: svc.spec.cluster_ip.clone(), kind };
            return backends(ctx, &a, sp);
        }
        // a pod, or this pod: no choice to make
        _ => return route(ctx, addr, port).into_iter().collect(),
    };
    let Some(svc) = ctx.cx.api.get_t::<Service>(namespace, name) else { return vec![] };
    let Some(sp) = svc.spec.ports.iter().find(|p| p.port as u16 == port).cloned() else { return vec![] };
    let keys = match dns::resolve(ctx.cx.api, namespace, &format!("{name}.{namespace}.svc.cluster.local")) {
        Resolved::Service { backends, .. } => backends,
        _ => vec![],
    };
    let mut out = vec![];
    for k in keys {
        let Some(pod) = ctx.cx.api.get_t::<Pod>(&k.namespace, &k.name) else { continue };
        let target = match &sp.target_port {
            None => Some(port),
            Some(IntOrString::Int(p)) => Some(*p as u16),
            Some(IntOrString::Str(n)) => pod.spec.containers.iter().flat_map(|c| c.ports.iter()).find(|p| &p.name == n).map(|p| p.container_port as u16),
        };
        if let Some(t) = target {
            out.push((pod.metadata.uid.clone(), t));
        }
    }
    out
}

/// What an ingress-nginx controller pod (`uid`, its port 80) passes a
/// request for `host` and `path` on to: the ready endpoints of the Service
/// its Ingresses pick. None: `uid` is no running controller.
pub fn through_ingress(ctx: &mut Ctx, uid: &str, port: u16, host: &str, path: &str) -> Option<Vec<(String, u16)>> {
    if !super::ingress::answers(ctx.cx.api, uid, port) {
        return None;
    }
    let Ok((namespace, name, ip, port)) = super::ingress::upstream(ctx.cx.api, host, path) else { return Some(vec![]) };
    Some(backends(ctx, &Addr { host: host.to_string(), ip, kind: AddrKind::Service { namespace, name } }, port))
}

/// Whether the network lets this container's pod open a connection to
/// pod `uid` on `port` (NetworkPolicies; `netpol`).
pub fn may_connect(ctx: &Ctx, uid: &str, port: u16) -> bool {
    let Some(crate::engine::api::Object::Pod(dst)) = ctx.cx.api.store.by_uid(uid).map(|o| &**o) else { return true };
    super::netpol::connection_allowed(ctx.cx.api, ctx.pod(), dst, port)
}

/// The port a server program listens on.
pub fn server_port(s: &ServerState) -> Option<u16> {
    match s {
        ServerState::Postgres(_) => Some(5432),
        ServerState::Nginx | ServerState::Httpd => Some(80),
        ServerState::Redis(_) => Some(6379),
        ServerState::Mysql(_) => Some(3306),
        ServerState::None => None,
    }
}

/// The live process in a pod listening on a port.
pub fn listener(ctx: &Ctx, pod_uid: &str, port: u16) -> Option<ProcKey> {
    listener_in(ctx.cx.api, ctx.cx.world, ctx.cx.rt, pod_uid, port)
}

pub fn listener_in(api: &crate::engine::apiserver::Api, world: &World, rt: &Runtime, pod_uid: &str, port: u16) -> Option<ProcKey> {
    let start = (pod_uid.to_string(), String::new());
    for (k, r) in rt.running.range(start..) {
        if k.0 != pod_uid {
            break;
        }
        if server_port(&r.server) == Some(port) && super::is_alive(api, world, rt, k) {
            return Some(k.clone());
        }
    }
    None
}

/// Whether an image's server is of this kind.
pub fn serves(img: &super::image::Image, s: Server) -> bool {
    img.server == s
}
