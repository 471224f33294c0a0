//! Cluster DNS (what CoreDNS answers): Service names, headless Service pod
//! records (`web-0.web.default.svc.cluster.local`) and pod IPs.
//!
//! Names are tried with the search path a pod's resolv.conf has
//! (`<ns>.svc.cluster.local svc.cluster.local cluster.local`, ndots 5), so
//! `www`, `www.default`, `www.default.svc` and the full name all work, as
//! do `web-0.web` and `web-0.web.default.svc.cluster.local`. Records come
//! from Services and their Endpoints, as the kubernetes plugin serves them.

use crate::engine::api::*;
use crate::engine::apiserver::Api;

pub const CLUSTER_DOMAIN: &str = "cluster.local";

/// What a name resolves to.
#[derive(Clone, Debug, PartialEq)]
pub enum Resolved {
    /// A Service: traffic goes to one of its ready endpoints. `ip` is the
    /// cluster IP, or for a headless Service the first ready address.
    Service {
        namespace: String,
        name: String,
        ip: String,
        backends: Vec<ObjKey>,
    },
    /// A pod (headless record or pod IP).
    Pod {
        key: ObjKey,
        ip: String,
    },
    NotFound,
}

fn ready_backends(api: &Api, namespace: &str, name: &str) -> Vec<(ObjKey, String, String)> {
    let Some(ep) = api.get_t::<Endpoints>(namespace, name) else { return vec![] };
    let mut out = vec![];
    for s in &ep.subsets {
        for a in &s.addresses {
            let key = a.target_ref.as_ref().map(|t| ObjKey::new(if t.namespace.is_empty() { namespace } else { &t.namespace }, &t.name)).unwrap_or_default();
            if !out.iter().any(|(k, ip, _): &(ObjKey, String, String)| k == &key && ip == &a.ip) {
                out.push((key, a.ip.clone(), a.hostname.clone()));
            }
        }
    }
    out
}

fn service_record(api: &Api, namespace: &str, name: &str) -> Resolved {
    let Some(svc) = api.get_t::<Service>(namespace, name) else { return Resolved::NotFound };
    let backends = ready_backends(api, namespace, name);
    if svc.spec.type_ == "ExternalName" {
        return Resolved::NotFound;
    }
    let ip = if svc.spec.cluster_ip.is_empty() || svc.spec.cluster_ip == "None" {
        match backends.first() {
            Some((_, ip, _)) => ip.clone(),
            None => return Resolved::NotFound,
        }
    } else {
        svc.spec.cluster_ip.clone()
    };
    Resolved::Service { namespace: namespace.into(), name: name.into(), ip, backends: backends.into_iter().map(|(k, _, _)| k).collect() }
}

/// A pod by IP (its own namespace or any).
fn pod_by_ip(api: &Api, namespace: Option<&str>, ip: &str) -> Resolved {
    let found = match namespace {
        Some(ns) => api.store.list_ns_t::<Pod>(ns).find(|p| p.status.pod_ip == ip && p.metadata.deletion_timestamp.is_none()).map(|p| p.key()),
        None => api.store.list_t::<Pod>().find(|p| p.status.pod_ip == ip && p.metadata.deletion_timestamp.is_none()).map(|p| p.key()),
    };
    match found {
        Some(key) => Resolved::Pod { key, ip: ip.into() },
        None => Resolved::NotFound,
    }
}

fn is_ipv4(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 4 && parts.iter().all(|p| !p.is_empty() && p.len() <= 3 && p.parse::<u8>().is_ok())
}

/// Looks up one fully qualified name (without the trailing dot).
fn lookup_fqdn(api: &Api, fqdn: &str) -> Resolved {
    let Some(rest) = fqdn.strip_suffix(&format!(".{CLUSTER_DOMAIN}")) else { return Resolved::NotFound };
    let labels: Vec<&str> = rest.split('.').collect();
    match labels.as_slice() {
        [svc, ns, "svc"] => service_record(api, ns, svc),
        [host, svc, ns, "svc"] => {
            // a pod record of a headless Service: its hostname, or its dashed IP
            if api.get_t::<Service>(ns, svc).is_none() {
                return Resolved::NotFound;
            }
            for (key, ip, hostname) in ready_backends(api, ns, svc) {
                if &hostname == host || ip.replace('.', "-") == *host {
                    return Resolved::Pod { key, ip };
                }
            }
            Resolved::NotFound
        }
        [dashed, ns, "pod"] => {
            let ip = dashed.replace('-', ".");
            if is_ipv4(&ip) { pod_by_ip(api, Some(ns), &ip) } else { Resolved::NotFound }
        }
        _ => Resolved::NotFound,
    }
}

/// Resolves a host name as seen from a pod in `namespace`.
pub fn resolve(api: &Api, namespace: &str, host: &str) -> Resolved {
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() {
        return Resolved::NotFound;
    }
    if is_ipv4(&host) {
        // a Service's cluster IP, else a pod IP
        if let Some(s) = api.store.list_t::<Service>().find(|s| s.spec.cluster_ip == host) {
            return service_record(api, &s.metadata.namespace.clone(), &s.metadata.name.clone());
        }
        return pod_by_ip(api, None, &host);
    }
    if host.ends_with(&format!(".{CLUSTER_DOMAIN}")) {
        return lookup_fqdn(api, &host);
    }
    // the search path, in resolv.conf order
    for suffix in [format!("{namespace}.svc.{CLUSTER_DOMAIN}"), format!("svc.{CLUSTER_DOMAIN}"), CLUSTER_DOMAIN.to_string()] {
        let r = lookup_fqdn(api, &format!("{host}.{suffix}"));
        if r != Resolved::NotFound {
            return r;
        }
    }
    Resolved::NotFound
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::time::{EPOCH, Time};

    fn api() -> Api {
        let mut api = Api::new(1, Time(EPOCH), Default::default());
        for ns in ["default", "other"] {
            api.create(Object::Namespace(Namespace { metadata: ObjectMeta::named("", ns), ..Default::default() })).unwrap();
        }
        api
    }

    fn endpoints(ns: &str, name: &str, addrs: &[(&str, &str, &str)]) -> Object {
        Object::Endpoints(Endpoints {
            metadata: ObjectMeta::named(ns, name),
            subsets: vec![EndpointSubset {
                addresses: addrs
                    .iter()
                    .map(|(pod, ip, host)| EndpointAddress {
                        ip: ip.to_string(),
                        hostname: host.to_string(),
                        node_name: None,
                        target_ref: Some(ObjectReference { kind: "Pod".into(), namespace: ns.into(), name: pod.to_string(), ..Default::default() }),
                    })
                    .collect(),
                ..Default::default()
            }],
            ..Default::default()
        })
    }

    #[test]
    fn service_names_with_the_search_path() {
        let mut a = api();
        let mut s = Service { metadata: ObjectMeta::named("default", "www"), ..Default::default() };
        s.spec.cluster_ip = "10.96.0.50".into();
        s.spec.ports.push(ServicePort { port: 80, ..Default::default() });
        a.create(Object::Service(s)).unwrap();
        a.create(endpoints("default", "www", &[("www", "10.244.1.2", "")])).unwrap();
        for name in ["www", "www.default", "www.default.svc", "www.default.svc.cluster.local", "WWW.default.svc.cluster.local."] {
            match resolve(&a, "default", name) {
                Resolved::Service { ip, backends, .. } => {
                    assert_eq!(ip, "10.96.0.50", "{name}");
                    assert_eq!(backends, vec![ObjKey::new("default", "www")]);
                }
                r => panic!("{name}: {r:?}"),
            }
        }
        assert_eq!(resolve(&a, "other", "www"), Resolved::NotFound);
        assert!(matches!(resolve(&a, "other", "www.default"), Resolved::Service { .. }));
        assert!(matches!(resolve(&a, "default", "10.96.0.50"), Resolved::Service { .. }));
    }

    #[test]
    fn headless_pod_records() {
        let mut a = api();
        let mut s = Service { metadata: ObjectMeta::named("default", "web"), ..Default::default() };
        s.spec.cluster_ip = "None".into();
        a.create(Object::Service(s)).unwrap();
        a.create(endpoints("default", "web", &[("web-0", "10.244.1.7", "web-0"), ("web-1", "10.244.2.3", "web-1")])).unwrap();
        assert_eq!(resolve(&a, "default", "web-1.web"), Resolved::Pod { key: ObjKey::new("default", "web-1"), ip: "10.244.2.3".into() });
        assert_eq!(
            resolve(&a, "other", "web-0.web.default.svc.cluster.local"),
            Resolved::Pod { key: ObjKey::new("default", "web-0"), ip: "10.244.1.7".into() }
        );
        assert_eq!(resolve(&a, "default", "web-2.web"), Resolved::NotFound);
        match resolve(&a, "default", "web") {
            Resolved::Service { ip, backends, .. } => {
                assert_eq!(ip, "10.244.1.7");
                assert_eq!(backends.len(), 2);
            }
            r => panic!("{r:?}"),
        }
    }
}
