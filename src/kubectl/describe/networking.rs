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

/// serviceBackendStringer: `web:80`, `web:http`.
fn backend_name(svc: &Value) -> String {
    let port = &svc["port"];
    let p = match port["number"].as_i64() {
        Some(n) if n != 0 => n.to_string(),
        _ => port["name"].as_str().unwrap_or_default().to_string(),
    };
    [svc["name"].as_str().unwrap_or_default(), ":", &p].concat()
}

/// describeBackendV1: the backend and its ready endpoints, as
/// formatEndpointSlices lists them (at most three `ip:port`, then `+ N
/// more...`), read from the Service's Endpoints (the same addresses the
/// EndpointSlices hold).
fn describe_backend(cx: &Cx, ns: &str, b: &Value) -> String {
    let svc = &b["service"];
    if svc.is_object() {
        let sb = backend_name(svc);
        let name = svc["name"].as_str().unwrap_or_default();
        let Some(service) = cx.api.store.get_t::<Service>(ns, name) else {
            return [&sb, " (<error: services \"", name, "\" not found>)"].concat();
        };
        let (num, pname) = (svc["port"]["number"].as_i64().unwrap_or(0), svc["port"]["name"].as_str().unwrap_or_default());
        let mut sp_name = "";
        for sp in &service.spec.ports {
            if (num != 0 && num == sp.port as i64) || (!pname.is_empty() && pname == sp.name) {
                sp_name = &sp.name;
            }
        }
        let Some(ep) = cx.api.store.get_t::<Endpoints>(ns, name) else { return [&sb, " (<none>)"].concat() };
        let (mut list, mut count, mut more) = (vec![], 0, false);
        for s in &ep.subsets {
            for p in s.ports.iter().filter(|p| p.name == sp_name) {
                for a in &s.addresses {
                    more |= list.len() == 3;
                    if !more {
                        list.push(format!("{}:{}", a.ip, p.port));
                    }
                    count += 1;
                }
            }
        }
        let mut shown = list.join(",");
        if more {
            shown = format!("{shown} + {} more...", count - 3);
        }
        return [&sb, " (", &shown, ")"].concat();
    }
    let r = &b["resource"];
    if r.is_object() {
        let s = |k: &str| r[k].as_str().unwrap_or_default().to_string();
        let group = r["apiGroup"].as_str().unwrap_or("<none>");
        return ["APIGroup: ", group, ", Kind: ", &s("kind"), ", Name: ", &s("name")].concat();
    }
    String::new()
}

/// describeIngressV1.
pub(crate) fn describe_ingress(w: &mut PrefixWriter, cx: &Cx, obj: &Object, g: &Generic) {
    let (m, spec) = (&g.metadata, g.field("spec"));
    put(w, LEVEL_0, &["Name:\t", &m.name, "\n"]);
    print_labels(w, "Labels", &m.labels);
    put(w, LEVEL_0, &["Namespace:\t", &m.namespace, "\n"]);
    let mut addrs: Vec<&str> = g.field("status")["loadBalancer"]["ingress"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["ip"].as_str().filter(|s| !s.is_empty()).or(i["hostname"].as_str()))
        .collect();
    crate::engine::sort::sort(&mut addrs);
    addrs.dedup();
    put(w, LEVEL_0, &["Address:\t", &addrs.join(","), "\n"]);
    put(w, LEVEL_0, &["Ingress Class:\t", spec["ingressClassName"].as_str().unwrap_or("<none>"), "\n"]);
    let def = if spec["defaultBackend"].is_null() { "<default>".to_string() } else { describe_backend(cx, &m.namespace, &spec["defaultBackend"]) };
    put(w, LEVEL_0, &["Default backend:\t", &def, "\n"]);
    if let Some(tls) = spec["tls"].as_array().filter(|t| !t.is_empty()) {
        w.write(LEVEL_0, "TLS:\n");
        for t in tls {
            let hosts: Vec<&str> = t["hosts"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
            match t["secretName"].as_str().filter(|s| !s.is_empty()) {
                None => put(w, LEVEL_1, &["SNI routes ", &hosts.join(","), "\n"]),
                Some(s) => put(w, LEVEL_1, &[s, " terminates ", &hosts.join(","), "\n"]),
            }
        }
    }
    w.write(LEVEL_0, "Rules:\n  Host\tPath\tBackends\n");
    w.write(LEVEL_1, "----\t----\t--------\n");
    let mut count = 0;
    for r in spec["rules"].as_array().into_iter().flatten().filter(|r| r["http"].is_object()) {
        count += 1;
        let host = r["host"].as_str().filter(|h| !h.is_empty()).unwrap_or("*");
        put(w, LEVEL_1, &[host, "\t\n"]);
        for p in r["http"]["paths"].as_array().into_iter().flatten() {
            put(w, LEVEL_2, &["\t", p["path"].as_str().unwrap_or_default(), " \t", &describe_backend(cx, &m.namespace, &p["backend"]), "\n"]);
        }
    }
    if count == 0 {
        put(w, LEVEL_1, &["*\t*\t", &def, "\n"]);
    }
    print_annotations(w, "Annotations", &m.annotations);
    describe_events(w, cx, cx.events(obj));
}

/// describeIngressClassV1.
pub(crate) fn describe_ingress_class(w: &mut PrefixWriter, cx: &Cx, obj: &Object, g: &Generic) {
    let (m, spec) = (&g.metadata, g.field("spec"));
    put(w, LEVEL_0, &["Name:\t", &m.name, "\n"]);
    print_labels(w, "Labels", &m.labels);
    print_annotations(w, "Annotations", &m.annotations);
    put(w, LEVEL_0, &["Controller:\t", spec["controller"].as_str().unwrap_or_default(), "\n"]);
    let p = &spec["parameters"];
    if p.is_object() {
        w.write(LEVEL_0, "Parameters:\n");
        if let Some(g) = p["apiGroup"].as_str() {
            put(w, LEVEL_1, &["APIGroup:\t", g, "\n"]);
        }
        put(w, LEVEL_1, &["Kind:\t", p["kind"].as_str().unwrap_or_default(), "\n"]);
        put(w, LEVEL_1, &["Name:\t", p["name"].as_str().unwrap_or_default(), "\n"]);
    }
    describe_events(w, cx, cx.events(obj));
}

/// describeEndpointSliceV1.
pub(crate) fn describe_endpoint_slice(w: &mut PrefixWriter, cx: &Cx, obj: &Object, g: &Generic) {
    let m = &g.metadata;
    put(w, LEVEL_0, &["Name:\t", &m.name, "\n"]);
    put(w, LEVEL_0, &["Namespace:\t", &m.namespace, "\n"]);
    print_labels(w, "Labels", &m.labels);
    print_annotations(w, "Annotations", &m.annotations);
    put(w, LEVEL_0, &["AddressType:\t", g.field("addressType").as_str().unwrap_or_default(), "\n"]);
    let or_unset = |v: &Value| match v {
        Value::String(s) if !s.is_empty() => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => "<unset>".into(),
    };
    let ports = g.field("ports").as_array().map(|a| a.as_slice()).unwrap_or_default();
    if ports.is_empty() {
        w.write(LEVEL_0, "Ports: <unset>\n");
    } else {
        w.write(LEVEL_0, "Ports:\n");
        w.write(LEVEL_1, "Name\tPort\tProtocol\n");
        w.write(LEVEL_1, "----\t----\t--------\n");
        for p in ports {
            put(w, LEVEL_1, &[&or_unset(&p["name"]), "\t", &or_unset(&p["port"]), "\t", p["protocol"].as_str().unwrap_or_default(), "\n"]);
        }
    }
    let endpoints = g.field("endpoints").as_array().map(|a| a.as_slice()).unwrap_or_default();
    if endpoints.is_empty() {
        w.write(LEVEL_0, "Endpoints: <none>\n");
    } else {
        w.write(LEVEL_0, "Endpoints:\n");
        for e in endpoints {
            let addrs: Vec<&str> = e["addresses"].as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
            let addrs = if addrs.is_empty() { "<none>".to_string() } else { addrs.join(", ") };
            put(w, LEVEL_1, &["- Addresses:\t", &addrs, "\n"]);
            w.write(LEVEL_2, "Conditions:\n");
            let ready = e["conditions"]["ready"].as_bool().map_or("<unset>", |b| if b { "true" } else { "false" });
            put(w, LEVEL_3, &["Ready:\t", ready, "\n"]);
            put(w, LEVEL_2, &["Hostname:\t", e["hostname"].as_str().unwrap_or("<unset>"), "\n"]);
            let t = &e["targetRef"];
            if t.is_object() {
                put(w, LEVEL_2, &["TargetRef:\t", t["kind"].as_str().unwrap_or_default(), "/", t["name"].as_str().unwrap_or_default(), "\n"]);
            }
            put(w, LEVEL_2, &["NodeName:\t", e["nodeName"].as_str().unwrap_or("<unset>"), "\n"]);
            put(w, LEVEL_2, &["Zone:\t", e["zone"].as_str().unwrap_or("<unset>"), "\n"]);
        }
    }
    describe_events(w, cx, cx.events(obj));
}
