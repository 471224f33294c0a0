//! ingress-nginx's nginx, on the data path: which Ingresses the controller
//! serves (class `nginx`, by `spec.ingressClassName` or the
//! `kubernetes.io/ingress.class` annotation, or no class at all, as
//! `--watch-ingress-without-class` has it) and where a request reaching
//! its port 80 goes ([`pick`]), matched as the generated nginx.conf would:
//! the server by Host (exact name, then `*.` wildcard, then the catch-all
//! `_`), then the location (Exact paths first, else the longest Prefix —
//! whole path elements — or ImplementationSpecific — a plain string
//! prefix), else the server's default backend (an Ingress's
//! `spec.defaultBackend`), else the controller's own 404. The add-on and
//! its control loop are [`crate::engine::ingressnginx`].

use crate::engine::api::*;
use crate::engine::apiserver::Api;
use serde_json::Value;

/// The add-on's namespace.
pub const NS: &str = "ingress-nginx";

/// Whether a pod is an ingress-nginx controller.
pub fn is_controller(p: &Pod) -> bool {
    p.metadata.namespace == NS
        && p.metadata.labels.get("app.kubernetes.io/component").is_some_and(|v| v == "controller")
        && p.metadata.labels.get("app.kubernetes.io/name").is_some_and(|v| v == "ingress-nginx")
}

/// The controller pod whose process runs (not being deleted).
pub fn running_controller(api: &Api) -> Option<&Pod> {
    api.store
        .list_ns_t::<Pod>(NS)
        .find(|p| is_controller(p) && p.metadata.deletion_timestamp.is_none() && p.status.container_statuses.iter().any(|c| c.state.running.is_some()))
}

/// The class an Ingress asks for: `spec.ingressClassName`, else the
/// deprecated annotation; None: no class.
pub fn class_of(g: &Generic) -> Option<&str> {
    g.field("spec")["ingressClassName"].as_str().or_else(|| g.metadata.annotation("kubernetes.io/ingress.class"))
}

/// Whether ingress-nginx (class `nginx`, watching Ingresses without a
/// class) serves this Ingress.
pub fn serves(g: &Generic) -> bool {
    class_of(g).is_none_or(|c| c == "nginx")
}

pub fn ingresses(api: &Api) -> Vec<&Generic> {
    let mut v: Vec<&Generic> = api
        .store
        .list(Kind::Ingress)
        .filter_map(|o| match &**o {
            Object::Generic(g) if serves(g) && g.metadata.deletion_timestamp.is_none() => Some(g),
            _ => None,
        })
        .collect();
    // the oldest Ingress wins a host/path two of them define
    crate::engine::sort::sort_by_key(&mut v, |g| (g.metadata.creation_timestamp, g.metadata.namespace.clone(), g.metadata.name.clone()));
    v
}

/// An Ingress backend: (namespace, Service, port number or name).
pub type Backend = (String, String, Value);

fn backend(ns: &str, b: &Value) -> Option<Backend> {
    let s = &b["service"];
    let port = if s["port"]["name"].is_string() { s["port"]["name"].clone() } else { s["port"]["number"].clone() };
    Some((ns.to_string(), s["name"].as_str()?.to_string(), port))
}

/// Whether a rule's path matches a request path, and how well (nginx's
/// choice: an exact location wins, else the longest prefix).
fn matches(kind: &str, rule: &str, path: &str) -> Option<usize> {
    match kind {
        "Exact" => (rule == path).then_some(usize::MAX),
        "Prefix" => {
            let r = rule.trim_end_matches('/');
            (r.is_empty() || path == r || path.starts_with(&format!("{r}/"))).then_some(r.len() + 1)
        }
        _ => path.starts_with(rule).then_some(rule.len()),
    }
}

fn host_matches(rule: &str, host: &str) -> u8 {
    if rule == host {
        2
    } else if let Some(suffix) = rule.strip_prefix("*.")
        && let Some((label, rest)) = host.split_once('.')
        && !label.is_empty()
        && rest == suffix
    {
        1
    } else {
        0
    }
}

/// Where ingress-nginx sends a request for `host` (the Host header) and
/// `path`. None: no server/location takes it (the controller's 404).
pub fn pick(api: &Api, host: &str, path: &str) -> Option<Backend> {
    let host = host.rsplit_once(':').filter(|(_, p)| p.parse::<u16>().is_ok()).map_or(host, |(h, _)| h).to_lowercase();
    let path = path.split(['?', '#']).next().unwrap_or("/");
    let ings = ingresses(api);
    // the server: exact name, else wildcard, else the catch-all
    let server = ings
        .iter()
        .flat_map(|g| g.field("spec")["rules"].as_array().into_iter().flatten())
        .filter_map(|r| r["host"].as_str().map(|h| host_matches(h, &host)))
        .max()
        .filter(|m| *m > 0)
        .unwrap_or(0);
    let in_server = |r: &Value| match r["host"].as_str() {
        Some(h) => server > 0 && host_matches(h, &host) == server,
        None => server == 0,
    };
    let mut best: Option<(usize, Backend)> = None;
    let mut fallback: Option<Backend> = None;
    for g in &ings {
        let ns = &g.metadata.namespace;
        let spec = g.field("spec");
        let rules = spec["rules"].as_array().map(|v| v.as_slice()).unwrap_or_default();
        let mut mine = false;
        for r in rules.iter().filter(|r| in_server(r)) {
            mine = true;
            for p in r["http"]["paths"].as_array().into_iter().flatten() {
                let Some(m) = matches(p["pathType"].as_str().unwrap_or(""), p["path"].as_str().unwrap_or("/"), path) else { continue };
                if best.as_ref().is_none_or(|(b, _)| m > *b)
                    && let Some(b) = backend(ns, &p["backend"])
                {
                    best = Some((m, b));
                }
            }
        }
        // a server's root falls back to the default backend of the Ingress
        // that defined it (the catch-all: of an Ingress with no rules)
        if fallback.is_none() && ((server > 0 && mine) || (server == 0 && rules.is_empty())) {
            fallback = backend(ns, &spec["defaultBackend"]);
        }
    }
    best.map(|(_, b)| b).or(fallback)
}

/// The Service a request goes to: (namespace, name, cluster IP, port).
/// Err: the status the controller answers itself (404: no rule matches;
/// 503: the backend Service or its port does not exist).
pub fn upstream(api: &Api, host: &str, path: &str) -> Result<(String, String, String, u16), u16> {
    let (ns, name, port) = pick(api, host, path).ok_or(404u16)?;
    let svc = api.get_t::<Service>(&ns, &name).ok_or(503u16)?;
    let p = svc.spec.ports.iter().find(|p| port.as_i64() == Some(p.port as i64) || port.as_str() == Some(p.name.as_str())).ok_or(503u16)?;
    Ok((ns, name, svc.spec.cluster_ip.clone(), p.port as u16))
}

/// Whether `uid` is a controller pod whose process runs, and `port` its
/// HTTP port.
pub fn answers(api: &Api, uid: &str, port: u16) -> bool {
    matches!(api.store.by_uid(uid).map(|o| &**o), Some(Object::Pod(p)) if port == 80 && is_controller(p) && p.status.container_statuses.iter().any(|c| c.state.running.is_some()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubectl::commands::testutil::run_in;
    use crate::kubectl::session::Session;
    use serde_json::json;

    fn ingress(s: &mut Session, name: &str, spec: &str) {
        let y = format!("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {name}\nspec:\n{spec}");
        assert_eq!(run_in(s, "kubectl apply -f -", &y).1, 0);
        s.cluster.advance(1_000);
    }

    fn svc(b: Option<Backend>) -> String {
        b.map(|(ns, n, p)| format!("{ns}/{n}:{p}")).unwrap_or_default()
    }

    /// Servers by host (exact, wildcard, catch-all), locations by path
    /// type, default backends, another class left alone.
    #[test]
    fn requests_go_where_nginx_conf_sends_them() {
        let mut s = Session::new(3);
        let path = |p: &str, t: &str, svc: &str| {
            format!("      - path: {p}\n        pathType: {t}\n        backend: {{service: {{name: {svc}, port: {{number: 80}}}}}}\n")
        };
        ingress(
            &mut s,
            "a",
            &format!(
                "  defaultBackend: {{service: {{name: fallback, port: {{number: 80}}}}}}\n  rules:\n  - host: foo.com\n    http:\n      paths:\n{}{}{}",
                path("/", "Prefix", "root"),
                path("/api", "Prefix", "api"),
                path("/api/v1", "Exact", "v1")
            ),
        );
        ingress(
            &mut s,
            "b",
            &format!(
                "  rules:\n  - host: \"*.foo.com\"\n    http:\n      paths:\n{}  - http:\n      paths:\n{}",
                path("/img", "ImplementationSpecific", "img"),
                path("/any", "Prefix", "any")
            ),
        );
        ingress(&mut s, "c", "  ingressClassName: traefik\n  defaultBackend: {service: {name: traefik, port: {number: 80}}}\n");
        let api = &s.cluster.api;
        assert_eq!(svc(pick(api, "foo.com", "/")), "default/root:80");
        assert_eq!(svc(pick(api, "FOO.com:80", "/api/x?y")), "default/api:80");
        assert_eq!(svc(pick(api, "foo.com", "/apix")), "default/root:80");
        assert_eq!(svc(pick(api, "foo.com", "/api/v1")), "default/v1:80");
        assert_eq!(svc(pick(api, "foo.com", "/api/v1/")), "default/api:80");
        assert_eq!(svc(pick(api, "x.foo.com", "/imgs")), "default/img:80");
        // a wildcard server without a root: the controller's 404
        assert_eq!(svc(pick(api, "x.foo.com", "/")), "");
        assert_eq!(svc(pick(api, "y.x.foo.com", "/any/1")), "default/any:80");
        assert_eq!(svc(pick(api, "10.0.0.1", "/")), "");
        // the catch-all takes a default backend only from an Ingress without rules
        ingress(&mut s, "d", "  defaultBackend: {service: {name: catchall, port: {name: http}}}\n");
        assert_eq!(svc(pick(&s.cluster.api, "bar.com", "/")), "default/catchall:\"http\"");
    }

    #[test]
    fn paths_as_nginx_matches_them() {
        assert_eq!(matches("Exact", "/foo", "/foo"), Some(usize::MAX));
        assert_eq!(matches("Exact", "/foo", "/foo/"), None);
        assert!(matches("Prefix", "/foo", "/foo/bar").is_some());
        assert!(matches("Prefix", "/foo/", "/foo").is_some());
        assert_eq!(matches("Prefix", "/foo", "/foobar"), None);
        assert!(matches("Prefix", "/", "/anything").is_some());
        assert!(matches("ImplementationSpecific", "/foo", "/foobar").is_some());
        assert!(matches("Prefix", "/foo/bar", "/foo/bar/x") > matches("Prefix", "/foo", "/foo/bar/x"));
        assert_eq!(host_matches("*.foo.com", "bar.foo.com"), 1);
        assert_eq!(host_matches("*.foo.com", "baz.bar.foo.com"), 0);
        assert_eq!(host_matches("foo.com", "foo.com"), 2);
    }

    #[test]
    fn classes_served() {
        let ing = |v: Value| match Object::from_value(Kind::Ingress, &v).unwrap().0 {
            Object::Generic(g) => g,
            _ => unreachable!(),
        };
        let base = json!({"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"name":"a","namespace":"default"},"spec":{}});
        assert!(serves(&ing(base.clone())));
        let mut other = base.clone();
        other["spec"]["ingressClassName"] = json!("traefik");
        assert!(!serves(&ing(other)));
        let mut ann = base;
        ann["metadata"]["annotations"] = json!({"kubernetes.io/ingress.class": "nginx"});
        assert!(serves(&ing(ann)));
    }
}
