//! A container's environment (kubelet_pods.go makeEnvironmentVariables):
//! envFrom, env with `$(VAR)` expansion and valueFrom sources, and the
//! Service link variables (pkg/kubelet/envvars).

use crate::engine::api::*;
use crate::engine::apiserver::Api;
use crate::engine::base64::decode_text as base64_decode;
use std::collections::BTreeMap;

fn service_env_name(name: &str) -> String {
    name.to_ascii_uppercase().replace('-', "_")
}

/// envvars.FromServices for one Service.
fn service_vars(s: &Service, out: &mut BTreeMap<String, String>) {
    if s.spec.cluster_ip.is_empty() || s.spec.cluster_ip == "None" || s.spec.ports.is_empty() {
        return;
    }
    let name = service_env_name(&s.metadata.name);
    let ip = &s.spec.cluster_ip;
    out.insert(format!("{name}_SERVICE_HOST"), ip.clone());
    out.insert(format!("{name}_SERVICE_PORT"), s.spec.ports[0].port.to_string());
    for p in &s.spec.ports {
        if !p.name.is_empty() {
            out.insert(format!("{name}_SERVICE_PORT_{}", service_env_name(&p.name)), p.port.to_string());
        }
    }
    let proto = |p: &ServicePort| if p.protocol.is_empty() { "TCP".to_string() } else { p.protocol.clone() };
    let first = &s.spec.ports[0];
    out.insert(format!("{name}_PORT"), format!("{}://{ip}:{}", proto(first).to_ascii_lowercase(), first.port));
    for p in &s.spec.ports {
        let pr = proto(p);
        let prefix = format!("{name}_PORT_{}_{}", p.port, pr.to_ascii_uppercase());
        out.insert(prefix.clone(), format!("{}://{ip}:{}", pr.to_ascii_lowercase(), p.port));
        out.insert(format!("{prefix}_PROTO"), pr.to_ascii_lowercase());
        out.insert(format!("{prefix}_PORT"), p.port.to_string());
        out.insert(format!("{prefix}_ADDR"), ip.clone());
    }
}

/// The Service variables a pod sees: the `kubernetes` master service always,
/// the Services of its namespace when enableServiceLinks is on.
pub fn service_env(api: &Api, namespace: &str, links: bool) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if links {
        for s in api.store.list_ns_t::<Service>(namespace) {
            service_vars(s, &mut out);
        }
    }
    if let Some(k) = api.get_t::<Service>("default", "kubernetes") {
        service_vars(k, &mut out);
    }
    out
}

/// `$(VAR)` expansion (third_party/forked/golang/expansion): unknown
/// references stay as written, `$$` escapes a dollar.
pub fn expand(input: &str, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    let b = input.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' && i + 1 < b.len() {
            if b[i + 1] == b'$' {
                out.push('$');
                i += 2;
                continue;
            }
            if b[i + 1] == b'('
                && let Some(end) = input[i + 2..].find(')')
            {
                let name = &input[i + 2..i + 2 + end];
                match lookup(name) {
                    Some(v) => out.push_str(&v),
                    None => out.push_str(&input[i..i + 3 + end]),
                }
                i += 3 + end;
                continue;
            }
        }
        let ch = input[i..].chars().next().unwrap_or('\0');
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

/// Where a pod runs, for fieldRef values.
pub struct Placement<'a> {
    pub pod_ip: &'a str,
    pub host_ip: &'a str,
}

/// downward API field values (podFieldSelectorRuntimeValue).
pub fn field_value(pod: &Pod, path: &str, at: &Placement) -> Result<String, String> {
    let sub =
        |prefix: &str| path.strip_prefix(prefix).and_then(|r| r.strip_suffix("']")).or_else(|| path.strip_prefix(prefix).and_then(|r| r.strip_suffix("\"]")));
    if let Some(k) = sub("metadata.labels['").or_else(|| sub("metadata.labels[\"")) {
        return Ok(pod.metadata.labels.get(k).cloned().unwrap_or_default());
    }
    if let Some(k) = sub("metadata.annotations['").or_else(|| sub("metadata.annotations[\"")) {
        return Ok(pod.metadata.annotations.get(k).cloned().unwrap_or_default());
    }
    Ok(match path {
        "metadata.name" => pod.metadata.name.clone(),
        "metadata.namespace" => pod.metadata.namespace.clone(),
        "metadata.uid" => pod.metadata.uid.clone(),
        "metadata.labels" => pod.metadata.labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect::<Vec<_>>().join("\n"),
        "metadata.annotations" => pod.metadata.annotations.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect::<Vec<_>>().join("\n"),
        "spec.nodeName" => pod.spec.node_name.clone(),
        "spec.serviceAccountName" => pod.spec.service_account_name.clone(),
        "status.hostIP" | "status.hostIPs" => at.host_ip.to_string(),
        "status.podIP" | "status.podIPs" => at.pod_ip.to_string(),
        _ => return Err(format!("unsupported fieldPath: {path}")),
    })
}

/// resourceFieldRef values: limits default to the node's allocatable.
pub fn resource_value(api: &Api, pod: &Pod, c: &Container, resource: &str, divisor: Option<&str>) -> Result<String, String> {
    let node = api.get_t::<Node>("", &pod.spec.node_name);
    let alloc = |k: &str| node.and_then(|n| n.status.allocatable.get(k)).cloned();
    let q = match resource {
        "limits.cpu" => c.resources.limits.get("cpu").cloned().or_else(|| alloc("cpu")),
        "limits.memory" => c.resources.limits.get("memory").cloned().or_else(|| alloc("memory")),
        "limits.ephemeral-storage" => c.resources.limits.get("ephemeral-storage").cloned().or_else(|| alloc("ephemeral-storage")),
        "requests.cpu" => c.resources.requests.get("cpu").cloned(),
        "requests.memory" => c.resources.requests.get("memory").cloned(),
        "requests.ephemeral-storage" => c.resources.requests.get("ephemeral-storage").cloned(),
        _ => return Err(format!("unsupported container resource : {resource}")),
    };
    let div = divisor.and_then(|d| crate::engine::quantity::Quantity::parse(d).ok());
    let Some(q) = q else { return Ok("0".into()) };
    Ok(if resource.ends_with("cpu") {
        let d = div.map(|d| d.milli_value()).filter(|d| *d > 0).unwrap_or(1000);
        ((q.milli_value() + d - 1) / d).to_string()
    } else {
        let d = div.map(|d| d.value()).filter(|d| *d > 0).unwrap_or(1);
        ((q.value() + d - 1) / d).to_string()
    })
}

/// The container's environment; `Err` is what the kubelet reports as
/// CreateContainerConfigError.
pub fn container_env(api: &Api, pod: &Pod, c: &Container, at: &Placement) -> Result<BTreeMap<String, String>, String> {
    let ns = &pod.metadata.namespace;
    let services = service_env(api, ns, pod.spec.enable_service_links != Some(false));
    let mut tmp: BTreeMap<String, String> = BTreeMap::new();
    for ef in &c.env_from {
        if let Some(r) = &ef.config_map_ref {
            match api.get_t::<ConfigMap>(ns, &r.name) {
                Some(cm) => {
                    for (k, v) in &cm.data {
                        tmp.insert(format!("{}{k}", ef.prefix), v.clone());
                    }
                }
                None if r.optional == Some(true) => {}
                None => return Err(format!("configmap \"{}\" not found", r.name)),
            }
        }
        if let Some(r) = &ef.secret_ref {
            match api.get_t::<Secret>(ns, &r.name) {
                Some(s) => {
                    for (k, v) in &s.data {
                        tmp.insert(format!("{}{k}", ef.prefix), base64_decode(v));
                    }
                }
                None if r.optional == Some(true) => {}
                None => return Err(format!("secret \"{}\" not found", r.name)),
            }
        }
    }
    for e in &c.env {
        let value = match (&e.value, &e.value_from) {
            (Some(v), _) if !v.is_empty() => {
                let snapshot = tmp.clone();
                expand(v, &|name: &str| snapshot.get(name).cloned().or_else(|| services.get(name).cloned()))
            }
            (_, Some(vf)) => {
                if let Some(fr) = &vf.field_ref {
                    let path = fr.get("fieldPath").and_then(|p| p.as_str()).unwrap_or("");
                    field_value(pod, path, at)?
                } else if let Some(rf) = &vf.resource_field_ref {
                    let res = rf.get("resource").and_then(|p| p.as_str()).unwrap_or("");
                    let divisor = rf.get("divisor").map(|d| d.as_str().map(|s| s.to_string()).unwrap_or_else(|| d.to_string()));
                    resource_value(api, pod, c, res, divisor.as_deref())?
                } else if let Some(k) = &vf.config_map_key_ref {
                    match api.get_t::<ConfigMap>(ns, &k.name) {
                        Some(cm) => match cm.data.get(&k.key) {
                            Some(v) => v.clone(),
                            None if k.optional == Some(true) => continue,
                            None => return Err(format!("couldn't find key {} in ConfigMap {ns}/{}", k.key, k.name)),
                        },
                        None if k.optional == Some(true) => continue,
                        None => return Err(format!("configmap \"{}\" not found", k.name)),
                    }
                } else if let Some(k) = &vf.secret_key_ref {
                    match api.get_t::<Secret>(ns, &k.name) {
                        Some(s) => match s.data.get(&k.key) {
                            Some(v) => base64_decode(v),
                            None if k.optional == Some(true) => continue,
                            None => return Err(format!("couldn't find key {} in Secret {ns}/{}", k.key, k.name)),
                        },
                        None if k.optional == Some(true) => continue,
                        None => return Err(format!("secret \"{}\" not found", k.name)),
                    }
                } else {
                    String::new()
                }
            }
            _ => String::new(),
        };
        tmp.insert(e.name.clone(), value);
    }
    // Service variables do not override what the container declares.
    for (k, v) in services {
        tmp.entry(k).or_insert(v);
    }
    Ok(tmp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expansion_follows_the_kubelet_rules() {
        let vars = crate::engine::sort::map_from([("A".to_string(), "1".to_string())]);
        let f = |n: &str| vars.get(n).cloned();
        assert_eq!(expand("x-$(A)-$(B)-$$(A)", &f), "x-1-$(B)-$(A)");
        assert_eq!(expand("$(A", &f), "$(A");
        assert_eq!(expand("héllo $(A)", &f), "héllo 1");
    }

    #[test]
    fn service_variables() {
        let s = Service {
            metadata: ObjectMeta::named("default", "my-db"),
            spec: ServiceSpec {
                cluster_ip: "10.96.3.4".into(),
                ports: vec![ServicePort { name: "pg".into(), port: 5432, protocol: "TCP".into(), ..Default::default() }],
                ..Default::default()
            },
            ..Default::default()
        };
        let mut m = BTreeMap::new();
        service_vars(&s, &mut m);
        assert_eq!(m["MY_DB_SERVICE_HOST"], "10.96.3.4");
        assert_eq!(m["MY_DB_SERVICE_PORT_PG"], "5432");
        assert_eq!(m["MY_DB_PORT"], "tcp://10.96.3.4:5432");
        assert_eq!(m["MY_DB_PORT_5432_TCP_ADDR"], "10.96.3.4");
    }
}
