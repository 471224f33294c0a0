//! `kubectl expose` (pkg/cmd/expose, with polymorphichelpers' CanBeExposed,
//! MapBasedSelectorForObject, PortsForObject and ProtocolsForObject): a
//! Service for a pod, Service, ReplicationController, Deployment or
//! ReplicaSet, its selector, ports and protocols taken from the object
//! unless the flags give them.

use super::apply::{create_generated_as, generator_flags};
use super::resources::{BuildOpts, select};
use super::{Command, Ctx};
use crate::engine::api::*;
use crate::kubectl::args::{Flag, strf};
use crate::kubectl::errors::CmdError;

pub fn command() -> Command {
    Command::new(
        "expose",
        "Take a replication controller, service, deployment or pod and expose it as a new Kubernetes service",
        "expose (-f FILENAME | TYPE NAME) [--port=port] [--protocol=TCP|UDP|SCTP] [--target-port=number-or-name] [--name=name] [--external-ip=external-ip-of-service] [--type=type]",
        flags,
        run,
    )
}

fn flags() -> Vec<Flag> {
    let mut v = generator_flags();
    for f in ["protocol", "port", "type", "load-balancer-ip", "selector", "labels", "target-port", "external-ip", "name", "session-affinity", "cluster-ip"] {
        v.push(strf(f));
    }
    v.push(crate::kubectl::args::flag("filename", Some('f'), crate::kubectl::args::FlagKind::StrSlice));
    v
}

/// `MapBasedSelectorForObject`.
fn selector_of(o: &Object) -> Result<Labels, String> {
    let from_label_selector = |s: Option<&LabelSelector>, what: &str| -> Result<Labels, String> {
        let Some(s) = s.filter(|s| !s.match_labels.is_empty() || !s.match_expressions.is_empty()) else {
            return Err(format!("invalid {what}: no selectors, therefore cannot be exposed"));
        };
        if !s.match_expressions.is_empty() {
            return Err(format!("couldn't convert expressions - \"{:?}\" to map-based selector format", s.match_expressions));
        }
        Ok(s.match_labels.clone())
    };
    match o {
        Object::Pod(p) if p.metadata.labels.is_empty() => Err("the pod has no labels and cannot be exposed".into()),
        Object::Pod(p) => Ok(p.metadata.labels.clone()),
        Object::Service(s) if s.spec.selector.is_empty() => Err("the service has no pod selector set".into()),
        Object::Service(s) => Ok(s.spec.selector.clone()),
        Object::Deployment(d) => from_label_selector(d.spec.selector.as_ref(), "deployment"),
        Object::ReplicaSet(r) => from_label_selector(r.spec.selector.as_ref(), "replicaset"),
        Object::Generic(g) => Ok(crate::engine::decode::from_json(&g.field("spec")["selector"]).unwrap_or_default()),
        _ => Err("cannot extract pod selector".into()),
    }
}

/// `PortsForObject` and `ProtocolsForObject`: (port, protocol) of each container port.
fn ports_of(o: &Object) -> Vec<(String, String)> {
    let containers = |t: &PodSpec| -> Vec<(String, String)> {
        t.containers
            .iter()
            .flat_map(|c| &c.ports)
            .map(|p| (p.container_port.to_string(), if p.protocol.is_empty() { "TCP".into() } else { p.protocol.clone() }))
            .collect()
    };
    match o {
        Object::Pod(p) => containers(&p.spec),
        Object::Service(s) => {
            s.spec.ports.iter().map(|p| (p.port.to_string(), if p.protocol.is_empty() { "TCP".into() } else { p.protocol.clone() })).collect()
        }
        Object::Deployment(d) => containers(&d.spec.template.spec),
        Object::ReplicaSet(r) => containers(&r.spec.template.spec),
        Object::Generic(g) => {
            crate::engine::decode::from_json::<PodTemplateSpec>(&g.field("spec")["template"]).map(|t| containers(&t.spec)).unwrap_or_default()
        }
        _ => vec![],
    }
}

/// `parseLabels`: `k=v,k2=v2`.
fn parse_labels(spec: &str) -> Result<Labels, String> {
    let mut out = Labels::new();
    for part in spec.split(',') {
        let Some((k, v)) = part.split_once('=') else { return Err(format!("unexpected label spec: {part}")) };
        if k.is_empty() {
            return Err("unexpected empty label key".into());
        }
        out.insert(k.to_string(), v.to_string());
    }
    Ok(out)
}

fn run(ctx: &mut Ctx) -> Result<(), CmdError> {
    let mut opts = BuildOpts::from_ctx(ctx);
    opts.args = ctx.f.args.clone();
    if opts.args.is_empty() && ctx.f.all("filename").is_empty() {
        return Err(ctx.usage_error("You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'"));
    }
    let sel = select(ctx, &opts)?;
    if let Some(e) = sel.errors.into_iter().next() {
        return Err(e);
    }
    for it in sel.items {
        let o = &*it.obj;
        if !matches!(it.kind, Kind::Pod | Kind::Service | Kind::ReplicationController | Kind::Deployment | Kind::ReplicaSet) {
            let info = it.kind.info();
            let gk = if info.group.is_empty() { info.kind.to_string() } else { format!("{}.{}", info.kind, info.group) };
            return Err(CmdError::msg(format!("cannot expose a {gk}")));
        }
        let selector = match ctx.f.str("selector") {
            Some(s) if !s.is_empty() => parse_labels(s).map_err(CmdError::msg)?,
            _ => selector_of(o).map_err(|e| CmdError::msg(format!("couldn't retrieve selectors via --selector flag or introspection: {e}")))?,
        };
        let headless = ctx.f.str("cluster-ip") == Some("None");
        let found = ports_of(o);
        let ports: Vec<String> = match ctx.f.str("port").filter(|p| !p.is_empty()) {
            Some(p) => vec![p.to_string()],
            None if found.is_empty() && !headless => return Err(CmdError::msg("couldn't find port via --port flag or introspection")),
            None => found.iter().map(|(p, _)| p.clone()).collect(),
        };
        let labels = match ctx.f.str("labels") {
            Some(l) if !l.is_empty() => parse_labels(l).map_err(CmdError::msg)?,
            _ => o.meta().labels.clone(),
        };
        let protocol = ctx.f.str("protocol").unwrap_or("").to_string();
        let mut svc_ports = vec![];
        for (i, p) in ports.iter().enumerate() {
            let port: i32 = p.parse().map_err(|_| CmdError::msg(format!("strconv.Atoi: parsing {p:?}: invalid syntax")))?;
            let name = if ports.len() > 1 { format!("port-{}", i + 1) } else { String::new() };
            let protos: Vec<&str> = found.iter().filter(|(fp, _)| fp == p).map(|(_, pr)| pr.as_str()).collect();
            if protocol.is_empty() && protos.len() > 1 {
                for pr in protos {
                    svc_ports.push(ServicePort { name: format!("port-{}-{}", i + 1, pr.to_lowercase()), port, protocol: pr.into(), ..Default::default() });
                }
                continue;
            }
            let pr = if !protocol.is_empty() { protocol.clone() } else { protos.first().map_or("TCP".into(), |p| p.to_string()) };
            svc_ports.push(ServicePort { name, port, protocol: pr, ..Default::default() });
        }
        let target = ctx.f.str("target-port").filter(|t| !t.is_empty()).map(|t| match t.parse::<i32>() {
            Ok(n) => IntOrString::Int(n),
            Err(_) => IntOrString::Str(t.to_string()),
        });
        for p in &mut svc_ports {
            p.target_port = Some(target.clone().unwrap_or(IntOrString::Int(p.port)));
        }
        let name = ctx.f.str("name").filter(|n| !n.is_empty()).map(String::from).unwrap_or_else(|| it.name.chars().take(63).collect());
        if name.is_empty() {
            return Err(CmdError::msg("name must be specified"));
        }
        let mut svc = Service { metadata: ObjectMeta::named(if ctx.ns_explicit { &ctx.ns } else { "" }, &name), ..Default::default() };
        svc.metadata.labels = labels;
        svc.spec.selector = selector;
        svc.spec.ports = svc_ports;
        if let Some(ip) = ctx.f.str("external-ip").filter(|s| !s.is_empty()) {
            svc.spec.external_ips = vec![ip.to_string()];
        }
        if let Some(t) = ctx.f.str("type").filter(|s| !s.is_empty()) {
            svc.spec.type_ = t.to_string();
        }
        if svc.spec.type_ == "LoadBalancer" {
            svc.spec.load_balancer_ip = ctx.f.str("load-balancer-ip").unwrap_or("").to_string();
        }
        match ctx.f.str("session-affinity").filter(|s| !s.is_empty()) {
            Some(a @ ("None" | "ClientIP")) => svc.spec.session_affinity = a.to_string(),
            Some(a) => return Err(CmdError::msg(format!("unknown session affinity: {a}"))),
            None => {}
        }
        if let Some(ip) = ctx.f.str("cluster-ip").filter(|s| !s.is_empty()) {
            svc.spec.cluster_ip = ip.to_string();
        }
        create_generated_as(ctx, Object::Service(svc), None, "exposed")?;
    }
    Ok(())
}
