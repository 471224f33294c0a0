//! NetworkPolicy enforcement, as a network plugin does it (the API server
//! only stores the policies): a pod selected by a policy with the Ingress
//! (Egress) type accepts (sends) only the connections some rule of those
//! policies allows: peers by podSelector, namespaceSelector (both: the
//! pods so selected in the namespaces so selected) or ipBlock, and ports
//! (numbers, the destination's named ports, ranges with endPort). A denied
//! connection is dropped, not refused: the client waits until it gives up.
//! DNS lookups are egress to the cluster DNS (kube-system, `k8s-app:
//! kube-dns`, port 53), so a pod whose egress is locked down without that
//! rule cannot resolve names.

use crate::engine::api::*;
use crate::engine::apiserver::Api;
use serde_json::Value;

/// One end of a connection: a pod's namespace, labels and IP.
pub struct Peer<'a> {
    pub namespace: &'a str,
    pub labels: &'a Labels,
    pub ip: &'a str,
    /// The pod itself (for named ports), when it is one.
    pub pod: Option<&'a Pod>,
}

impl<'a> Peer<'a> {
    pub fn of(p: &'a Pod) -> Peer<'a> {
        Peer { namespace: &p.metadata.namespace, labels: &p.metadata.labels, ip: &p.status.pod_ip, pod: Some(p) }
    }
}

fn selector(v: &Value) -> Option<LabelSelector> {
    crate::engine::decode::from_json(v)
}

/// The policies of `peer`'s namespace that select it for `direction`.
fn policies<'a>(api: &'a Api, peer: &Peer, direction: &str) -> Vec<&'a Generic> {
    api.store
        .list_ns(Kind::NetworkPolicy, peer.namespace)
        .filter_map(|o| match &**o {
            Object::Generic(g) => Some(g),
            _ => None,
        })
        .filter(|g| {
            let spec = g.field("spec");
            let types = spec["policyTypes"].as_array();
            types.is_some_and(|t| t.iter().any(|x| x == direction)) && selector(&spec["podSelector"]).is_some_and(|s| s.matches(peer.labels))
        })
        .collect()
}

fn namespace_labels(api: &Api, ns: &str) -> Labels {
    let mut l = api.store.get_t::<Namespace>("", ns).map(|n| n.metadata.labels.clone()).unwrap_or_default();
    l.entry("kubernetes.io/metadata.name".into()).or_insert_with(|| ns.to_string());
    l
}

/// Whether a rule's peer (`from`/`to` entry) is `other`.
fn peer_matches(api: &Api, entry: &Value, policy_ns: &str, other: &Peer) -> bool {
    if let Some(cidr) = entry["ipBlock"]["cidr"].as_str() {
        let except = entry["ipBlock"]["except"].as_array().into_iter().flatten().filter_map(Value::as_str).any(|e| in_cidr(other.ip, e));
        return in_cidr(other.ip, cidr) && !except;
    }
    let pods = &entry["podSelector"];
    let namespaces = &entry["namespaceSelector"];
    let ns_ok = if namespaces.is_null() {
        other.namespace == policy_ns
    } else {
        selector(namespaces).is_some_and(|s| s.matches(&namespace_labels(api, other.namespace)))
    };
    let pod_ok = pods.is_null() || selector(pods).is_some_and(|s| s.matches(other.labels));
    ns_ok && pod_ok
}

/// Whether a rule's ports allow `port` (TCP unless `udp`) on `target`.
fn port_matches(ports: &Value, port: u16, udp: bool, target: Option<&Pod>) -> bool {
    let Some(list) = ports.as_array().filter(|l| !l.is_empty()) else { return true };
    list.iter().any(|p| {
        let proto = p["protocol"].as_str().unwrap_or("TCP");
        if proto != if udp { "UDP" } else { "TCP" } {
            return false;
        }
        match &p["port"] {
            Value::Null => true,
            Value::Number(n) => {
                let first = n.as_u64().unwrap_or(0);
                let last = p["endPort"].as_u64().unwrap_or(first);
                (first..=last).contains(&(port as u64))
            }
            Value::String(name) => {
                target.is_some_and(|t| t.spec.containers.iter().flat_map(|c| &c.ports).any(|cp| &cp.name == name && cp.container_port as u16 == port))
            }
            _ => false,
        }
    })
}

/// Whether `direction` (Ingress on `me` from `other`, or Egress from `me`
/// to `other`) is allowed on `port`.
fn allows(api: &Api, me: &Peer, other: &Peer, direction: &str, port: u16, udp: bool, target: Option<&Pod>) -> bool {
    let selected = policies(api, me, direction);
    if selected.is_empty() {
        return true;
    }
    let (rules_key, peers_key) = if direction == "Ingress" { ("ingress", "from") } else { ("egress", "to") };
    selected.iter().any(|g| {
        g.field("spec")[rules_key].as_array().into_iter().flatten().any(|rule| {
            let peers_ok = match rule[peers_key].as_array() {
                None => true,
                Some(ps) if ps.is_empty() => true,
                Some(ps) => ps.iter().any(|p| peer_matches(api, p, &g.metadata.namespace, other)),
            };
            peers_ok && port_matches(&rule["ports"], port, udp, target)
        })
    })
}

/// Whether a TCP connection from `src` (None: from outside the pod
/// network, which no egress policy governs) to pod `dst` on `port` gets through.
pub fn connection_allowed(api: &Api, src: Option<&Pod>, dst: &Pod, port: u16) -> bool {
    let to = Peer::of(dst);
    let Some(src) = src else { return true };
    if src.metadata.uid == dst.metadata.uid {
        return true;
    }
    let from = Peer::of(src);
    allows(api, &from, &to, "Egress", port, false, Some(dst)) && allows(api, &to, &from, "Ingress", port, false, Some(dst))
}

/// Whether `src` may reach the cluster DNS (UDP 53 to kube-system's kube-dns pods).
pub fn dns_allowed(api: &Api, src: &Pod) -> bool {
    let labels = Labels::from([("k8s-app".to_string(), "kube-dns".to_string())]);
    let dns = Peer { namespace: "kube-system", labels: &labels, ip: "10.244.0.10", pod: None };
    allows(api, &Peer::of(src), &dns, "Egress", 53, true, None)
}

/// Whether an IPv4 address is in a CIDR block.
fn in_cidr(ip: &str, cidr: &str) -> bool {
    let parse = |s: &str| -> Option<u32> {
        let o: Vec<u32> = s.split('.').map(|x| x.parse::<u32>().ok().filter(|v| *v < 256)).collect::<Option<Vec<_>>>()?;
        (o.len() == 4).then(|| (o[0] << 24) | (o[1] << 16) | (o[2] << 8) | o[3])
    };
    let (net, bits) = cidr.split_once('/').unwrap_or((cidr, "32"));
    let (Some(a), Some(n), Ok(b)) = (parse(ip), parse(net), bits.parse::<u32>()) else { return false };
    let mask = if b == 0 { 0 } else { u32::MAX << (32 - b.min(32)) };
    a & mask == n & mask
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_blocks() {
        assert!(in_cidr("10.244.1.5", "10.244.0.0/16"));
        assert!(!in_cidr("10.245.1.5", "10.244.0.0/16"));
        assert!(in_cidr("1.2.3.4", "0.0.0.0/0"));
        assert!(in_cidr("10.244.1.5", "10.244.1.5/32"));
    }

    #[test]
    fn ports_match_by_number_range_name_and_protocol() {
        let ports = serde_json::json!([{"port": 80}, {"port": 8000, "endPort": 8100}, {"protocol": "UDP", "port": 53}]);
        assert!(port_matches(&ports, 80, false, None));
        assert!(port_matches(&ports, 8050, false, None));
        assert!(!port_matches(&ports, 53, false, None));
        assert!(port_matches(&ports, 53, true, None));
        assert!(port_matches(&Value::Null, 1234, false, None));
    }
}
