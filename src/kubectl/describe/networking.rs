//! describe.go's NetworkPolicyDescriber over the stored object's JSON, with
//! the policy types the API server defaults when a manifest leaves them out
//! (Ingress, and Egress when there are egress rules).

use super::*;
use crate::engine::api::Generic;
use crate::kubectl::printers::generic::selector;

/// Go's time.Time String(): `2026-01-05 09:02:00 +0000 UTC`.
fn go_time(t: Option<Time>) -> String {
    t.map(|t| t.rfc3339().replace('T', " ").replace('Z', " +0000 UTC")).unwrap_or_else(|| "0001-01-01 00:00:00 +0000 UTC".into())
}

/// printNetworkPolicySpecIngressFrom / EgressTo: `peers` is `from` or `to`.
fn rules(w: &mut PrefixWriter, rules: &[Value], peers: &str, ingress: bool) {
    let ind = "    ";
    let (dir, any) =
        if ingress { ("ingress", "From: <any> (traffic not restricted by source)") } else { ("egress", "To: <any> (traffic not restricted by destination)") };
    if rules.is_empty() {
        put(w, LEVEL_0, &[ind, "<none> (Selected pods are isolated for ", dir, " connectivity)\n"]);
        return;
    }
    let label = if ingress { "From:" } else { "To:" };
    for (i, r) in rules.iter().enumerate() {
        let ports = r["ports"].as_array().map(|a| a.as_slice()).unwrap_or_default();
        if ports.is_empty() {
            put(w, LEVEL_0, &[ind, "To Port: <any> (traffic allowed to all ports)\n"]);
        }
        for p in ports {
            let proto = p["protocol"].as_str().unwrap_or("TCP");
            let port = match &p["port"] {
                Value::Null => "%!s(<nil>)".to_string(),
                Value::String(s) => s.clone(),
                v => v.to_string(),
            };
            match p["endPort"].as_i64() {
                None => put(w, LEVEL_0, &[ind, "To Port: ", &port, "/", proto, "\n"]),
                Some(end) => put(w, LEVEL_0, &[ind, "To Port Range: ", &port, "-", &end.to_string(), "/", proto, "\n"]),
            }
        }
        let list = r[peers].as_array().map(|a| a.as_slice()).unwrap_or_default();
        if list.is_empty() {
            put(w, LEVEL_0, &[ind, any, "\n"]);
        }
        for peer in list {
            put(w, LEVEL_0, &[ind, label, "\n"]);
            let (pod, ns) = (&peer["podSelector"], &peer["namespaceSelector"]);
            if !ns.is_null() {
                put(w, LEVEL_1, &[ind, "NamespaceSelector: ", &selector(ns), "\n"]);
            }
            if !pod.is_null() {
                put(w, LEVEL_1, &[ind, "PodSelector: ", &selector(pod), "\n"]);
            }
            if pod.is_null() && ns.is_null() && !peer["ipBlock"].is_null() {
                let b = &peer["ipBlock"];
                let except: Vec<&str> = b["except"].as_array().map(|a| a.iter().filter_map(|x| x.as_str()).collect()).unwrap_or_default();
                put(w, LEVEL_1, &[ind, "IPBlock:\n"]);
                put(w, LEVEL_2, &[ind, "CIDR: ", b["cidr"].as_str().unwrap_or_default(), "\n"]);
                put(w, LEVEL_2, &[ind, "Except: ", &except.join(", "), "\n"]);
            }
        }
        if i + 1 != rules.len() {
            put(w, LEVEL_0, &[ind, "----------\n"]);
        }
    }
}

pub(crate) fn describe_network_policy(w: &mut PrefixWriter, g: &Generic) {
    put(w, LEVEL_0, &["Name:\t", &g.metadata.name, "\n"]);
    put(w, LEVEL_0, &["Namespace:\t", &g.metadata.namespace, "\n"]);
    put(w, LEVEL_0, &["Created on:\t", &go_time(g.metadata.creation_timestamp), "\n"]);
    print_labels(w, "Labels", &g.metadata.labels);
    print_annotations(w, "Annotations", &g.metadata.annotations);
    let spec = g.field("spec");
    w.write(LEVEL_0, "Spec:\n");
    w.write(LEVEL_1, "PodSelector: ");
    let ps = &spec["podSelector"];
    let empty = |k: &str| ps[k].as_object().is_none_or(|m| m.is_empty()) && ps[k].as_array().is_none_or(|a| a.is_empty());
    if empty("matchLabels") && empty("matchExpressions") {
        w.write(LEVEL_2, "<none> (Allowing the specific traffic to all pods in this namespace)\n");
    } else {
        put(w, LEVEL_2, &[&selector(ps), "\n"]);
    }
    let ingress_rules = spec["ingress"].as_array().map(|a| a.as_slice()).unwrap_or_default();
    let egress_rules = spec["egress"].as_array().map(|a| a.as_slice()).unwrap_or_default();
    // SetDefaults_NetworkPolicy when policyTypes is empty.
    let mut types: Vec<String> = spec["policyTypes"].as_array().map(|a| a.iter().filter_map(|t| t.as_str().map(String::from)).collect()).unwrap_or_default();
    if types.is_empty() {
        types.push("Ingress".into());
        if !egress_rules.is_empty() {
            types.push("Egress".into());
        }
    }
    if types.iter().any(|t| t == "Ingress") {
        w.write(LEVEL_1, "Allowing ingress traffic:\n");
        rules(w, ingress_rules, "from", true);
    } else {
        w.write(LEVEL_1, "Not affecting ingress traffic\n");
    }
    if types.iter().any(|t| t == "Egress") {
        w.write(LEVEL_1, "Allowing egress traffic:\n");
        rules(w, egress_rules, "to", false);
    } else {
        w.write(LEVEL_1, "Not affecting egress traffic\n");
    }
    put(w, LEVEL_1, &["Policy Types: ", &types.join(", "), "\n"]);
}
