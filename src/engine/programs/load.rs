//! What the containers' processes cost the machines: the CPU and memory a
//! container uses now, as the container runtime reports it to the kubelet
//! (CRI `ListContainerStats`) and the metrics-server scrapes it.
//!
//! A model, not a measurement: every program has an idle cost (its resident
//! memory and a little CPU), and HTTP requests cost the server that answers
//! them CPU time. Requests come from *loads*: a container's main process
//! whose script loops forever making HTTP requests (the HPA walkthrough's
//! `while sleep 0.01; do wget -q -O- http://php-apache; done`) is recorded
//! as a load on the URL it fetches, with the think time between requests
//! its loop spends (the script's clock over the requests it made while the
//! shell simulated it). From then on, as long as the process runs, the load
//! is resolved again whenever usage is asked for: DNS, the Service's ready
//! endpoints now (so a Deployment scaled out spreads it), NetworkPolicies.
//!
//! A client waits for each answer, so a load is a closed loop: its rate is
//! 1 / (think + response), and the response takes the request's CPU time
//! divided by the CPU the server may use (its CPU limit, at most one core
//! per request; a server that more clients want than it has CPU for
//! answers proportionally slower). A few rounds of that fixed point give
//! each server its demand, capped at its limit. Clients pay for the
//! process each request starts (busybox `wget`, `curl`).

use super::image::{self, Image, Server};
use super::net::{self, AddrKind};
use super::{Ctx, ProcKey, Running, ServerState, Sys};
use crate::engine::api::{Node, Pod};
use crate::engine::cri::ContainerStats;
use crate::engine::quantity::Quantity;

/// A main process that makes HTTP requests in an endless loop.
#[derive(Clone, Debug, PartialEq)]
pub struct Load {
    pub client: ProcKey,
    pub instance: u32,
    pub host: String,
    pub port: u16,
    /// Time between one answer and the next request, in ms.
    pub think_ms: f64,
}

/// CPU time one request costs the server, in ms: the hpa-example image's
/// PHP page computes a million square roots; nginx and httpd send a file.
fn request_cost_ms(img: &Image) -> f64 {
    match img.server {
        _ if img.name == "hpa-example" => 100.0,
        Server::Nginx => 0.5,
        _ => 1.0,
    }
}

/// What a client process pays per request (fork and exec of wget/curl).
const CLIENT_COST_MS: f64 = 2.0;
/// The network's round trip inside the cluster, in ms.
const RTT_MS: f64 = 1.0;

/// A program's idle cost: (millicores, working set in KiB).
fn idle(img: &Image, state: &ServerState) -> (u64, u64) {
    match state {
        ServerState::Postgres(_) => (2, 24_600),
        ServerState::Mysql(_) => (6, 371_000),
        ServerState::Redis(_) => (2, 3_300),
        ServerState::Nginx => (0, 3_100),
        ServerState::Httpd if img.name == "hpa-example" => (1, 10_900),
        ServerState::Httpd => (1, 6_400),
        // a shell or `sleep`: a few hundred KiB
        ServerState::None if matches!(img.name.as_str(), "busybox" | "alpine" | "debian" | "ubuntu") => (0, 420),
        ServerState::None if img.server != Server::None => (0, 420),
        // an image the simulator does not know: some program runs
        ServerState::None => (1, 12_300),
    }
}

/// The CPU one container may use, in millicores: its limit, else what
/// its node can give.
fn cpu_cap(api: &crate::engine::apiserver::Api, r: &Running) -> f64 {
    let pod = api.get_t::<Pod>(&r.proc.pod.namespace, &r.proc.pod.name);
    let limit = pod
        .and_then(|p| p.spec.containers.iter().find(|c| c.name == r.proc.container))
        .and_then(|c| c.resources.limits.get("cpu"))
        .map(|q| q.milli_value() as f64);
    let node = api.get_t::<Node>("", &r.proc.node).and_then(|n| n.status.allocatable.get("cpu")).map(|q: &Quantity| q.milli_value() as f64);
    limit.or(node).unwrap_or(1000.0).max(1.0)
}

/// The servers that answer a load's requests now: (server process, its
/// share of the requests). Empty when nothing answers.
fn targets(cx: &mut Sys, load: &Load) -> Vec<ProcKey> {
    let Some(client) = cx.rt.running.get(&load.client).map(|r| r.proc.clone()) else { return vec![] };
    let mut ctx = Ctx::new(cx, &client, true);
    let Some(addrs) = net::resolve(&mut ctx, &load.host) else { return vec![] };
    let Some(a) = addrs.last() else { return vec![] };
    let mut out = vec![];
    let mut hits = vec![];
    for (uid, port) in net::backends(&mut ctx, a, load.port) {
        // through ingress-nginx: on to the backends its rules pick for the
        // URL's host (a load keeps no path or Host header: `/`)
        match net::through_ingress(&mut ctx, &uid, port, &load.host, "/") {
            Some(b) => hits.extend(b),
            None => hits.push((uid, port)),
        }
    }
    for (uid, port) in hits {
        if !net::may_connect(&ctx, &uid, port) {
            continue;
        }
        if let Some(k) = net::listener(&ctx, &uid, port)
            && ctx.cx.rt.running.get(&k).is_some_and(|r| super::http::is_http(&r.server))
        {
            out.push(k);
        }
    }
    if matches!(a.kind, AddrKind::Loopback) {
        out.truncate(1);
    }
    out
}

/// Every running container's usage now (containers of powered machines
/// whose pod still exists), in the runtime's order.
pub fn usage(cx: &mut Sys) -> Vec<ContainerStats> {
    let live: Vec<ProcKey> = cx.rt.running.keys().filter(|k| super::is_alive(cx.api, cx.world, cx.rt, k)).cloned().collect();
    cx.rt.loads.retain(|l| cx.rt.running.get(&l.client).is_some_and(|r| r.instance == l.instance));
    let loads = cx.rt.loads.clone();
    let mut cpu: Vec<f64> = live.iter().map(|k| idle_of(cx, k).0 as f64).collect();
    let index = |k: &ProcKey| live.binary_search(k).ok();
    // each load: its servers, the CPU per request, and the servers' caps
    let mut flows = vec![];
    for l in &loads {
        let Some(c) = index(&l.client) else { continue };
        let servers: Vec<usize> = targets(cx, l).iter().filter_map(index).collect();
        if servers.is_empty() {
            continue;
        }
        let r = &cx.rt.running[&live[servers[0]]];
        let cost = request_cost_ms(&image::lookup(&r.proc.image));
        let caps: Vec<f64> = servers.iter().map(|s| cpu_cap(cx.api, &cx.rt.running[&live[*s]])).collect();
        flows.push((c, l.think_ms, servers, caps, cost));
    }
    // the closed loops' fixed point: rates, then each server's demand
    let mut slow = vec![1.0f64; flows.len()];
    let mut demand = vec![0.0f64; live.len()];
    for _ in 0..8 {
        demand.iter_mut().for_each(|d| *d = 0.0);
        for (i, (_, think, servers, caps, cost)) in flows.iter().enumerate() {
            let service = cost / (caps.iter().sum::<f64>() / caps.len() as f64).min(1000.0) * 1000.0;
            let rate = 1000.0 / (think + RTT_MS + service * slow[i]);
            for s in servers {
                demand[*s] += rate * cost / servers.len() as f64;
            }
        }
        for (i, (_, _, servers, caps, _)) in flows.iter().enumerate() {
            let worst = servers.iter().zip(caps).map(|(s, cap)| demand[*s] / cap).fold(1.0f64, f64::max);
            slow[i] = (slow[i] * worst).sqrt().max(1.0);
        }
    }
    for (i, (c, think, servers, caps, cost)) in flows.iter().enumerate() {
        let service = cost / (caps.iter().sum::<f64>() / caps.len() as f64).min(1000.0) * 1000.0;
        let rate = 1000.0 / (think + RTT_MS + service * slow[i]);
        cpu[*c] += rate * CLIENT_COST_MS;
        for (s, cap) in servers.iter().zip(caps) {
            cpu[*s] += (rate * cost / servers.len() as f64).min(*cap);
        }
    }
    live.iter()
        .enumerate()
        .map(|(i, k)| {
            let cap = cpu_cap(cx.api, &cx.rt.running[k]);
            ContainerStats { pod_uid: k.0.clone(), container: k.1.clone(), cpu_milli: cpu[i].min(cap).round() as u64, memory: idle_of(cx, k).1 * 1024 }
        })
        .collect()
}

/// For drawing: every load's (client pod uid, server pod uid) pairs now,
/// by cluster DNS and the Service's ready endpoints (what a client in the
/// pod's namespace reaches by name).
pub fn flows(rt: &super::Runtime, api: &crate::engine::apiserver::Api) -> Vec<(String, String)> {
    let mut out = vec![];
    for l in &rt.loads {
        let Some(r) = rt.running.get(&l.client) else { continue };
        let servers = match crate::engine::dns::resolve(api, &r.proc.pod.namespace, &l.host) {
            crate::engine::dns::Resolved::Service { backends, .. } => backends,
            crate::engine::dns::Resolved::Pod { key, .. } => vec![key],
            _ => vec![],
        };
        for k in servers {
            if let Some(p) = api.get_t::<Pod>(&k.namespace, &k.name) {
                out.push((l.client.0.clone(), p.metadata.uid.clone()));
            }
        }
    }
    out
}

fn idle_of(cx: &Sys, k: &ProcKey) -> (u64, u64) {
    let r = &cx.rt.running[k];
    idle(&image::lookup(&r.proc.image), &r.server)
}

/// A main process's script ended up looping forever: the HTTP requests it
/// made while the shell simulated it become loads (one per URL host and
/// port), the think time being the script's clock over those requests.
pub fn record(cx: &mut Sys, client: &super::Proc, requests: Vec<(String, u16)>, clock_ms: i64) {
    let mut seen: Vec<(String, u16, u32)> = vec![];
    for (h, p) in requests {
        match seen.iter_mut().find(|(sh, sp, _)| *sh == h && *sp == p) {
            Some(e) => e.2 += 1,
            None => seen.push((h, p, 1)),
        }
    }
    for (host, port, n) in seen {
        // one round of the loop per request to this URL
        let think_ms = clock_ms.max(0) as f64 / n as f64;
        cx.rt.loads.push(Load { client: client.key(), instance: client.instance(), host, port, think_ms });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_costs_by_program() {
        let nginx = image::lookup("nginx:1.27");
        assert_eq!(idle(&nginx, &ServerState::Nginx), (0, 3_100));
        let php = image::lookup("registry.k8s.io/hpa-example");
        assert_eq!(request_cost_ms(&php), 100.0);
        assert_eq!(idle(&image::lookup("busybox:1.28"), &ServerState::None).1, 420);
    }
}
