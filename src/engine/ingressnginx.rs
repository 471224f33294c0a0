//! The ingress-nginx add-on (kubernetes/ingress-nginx), installed with
//! `cluster addon install ingress-nginx`: what its kind provider manifest
//! (deploy/static/provider/kind) creates that matters here — the
//! ingress-nginx namespace, the controller's ServiceAccount, NodePort
//! Service and Deployment (hostPorts 80/443, `--watch-ingress-without-class`,
//! `--publish-status-address=localhost`) and the IngressClass `nginx`
//! (controller `k8s.io/ingress-nginx`). The admission webhook (its Service,
//! certificate Jobs and ValidatingWebhookConfiguration) is left out, so the
//! controller mounts no webhook certificate.
//!
//! The loop its pod runs ([`IngressNginx`]): while a controller container
//! runs, every Ingress it serves (class `nginx`, by `spec.ingressClassName`
//! or the `kubernetes.io/ingress.class` annotation, or no class at all)
//! gets a `Sync` "Scheduled for sync" event when the controller's informer
//! sees it added or changed, and its status address (`localhost`, the
//! published status address) from the status sync, which runs when the
//! controller starts leading and every 60 s after. When the controller pod
//! is deleted it clears the addresses it published (update-status-on-shutdown).
//!
//! Routing ([`pick`]): a request reaching the controller's port 80 is
//! matched as the generated nginx.conf would: the server by Host (exact
//! name, then `*.` wildcard, then the catch-all `_`), then the location
//! (Exact paths first, else the longest Prefix — whole path elements — or
//! ImplementationSpecific — a plain string prefix), else the server's
//! default backend (an Ingress's `spec.defaultBackend`), else the
//! controller's own 404.

use crate::engine::api::*;
use crate::engine::apiserver::{Api, Ctl};
use crate::engine::control::{Controller, Cx, WorkQueue};
use crate::engine::store::Change;
use crate::engine::time::{Millis, SECOND, Time};
use serde_json::{Value, json};

pub const NS: &str = "ingress-nginx";
/// The status sync's period (internal/ingress/status: updateInterval).
pub const UPDATE_INTERVAL: Millis = 60 * SECOND;
/// `--controller-class`.
pub const CONTROLLER_CLASS: &str = "k8s.io/ingress-nginx";
const COMPONENT: &str = "nginx-ingress-controller";

/// The add-on's objects, as the kind provider manifest (controller-v1.13.0)
/// has them, less the admission webhook.
pub const MANIFEST: &str = r#"[
{"apiVersion":"v1","kind":"Namespace","metadata":{"labels":{"app.kubernetes.io/instance":"ingress-nginx","app.kubernetes.io/name":"ingress-nginx"},"name":"ingress-nginx"}},
{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"labels":{"app.kubernetes.io/component":"controller","app.kubernetes.io/instance":"ingress-nginx","app.kubernetes.io/name":"ingress-nginx","app.kubernetes.io/part-of":"ingress-nginx","app.kubernetes.io/version":"1.13.0"},"name":"ingress-nginx","namespace":"ingress-nginx"}},
{"apiVersion":"v1","kind":"Service","metadata":{"labels":{"app.kubernetes.io/component":"controller","app.kubernetes.io/instance":"ingress-nginx","app.kubernetes.io/name":"ingress-nginx","app.kubernetes.io/part-of":"ingress-nginx","app.kubernetes.io/version":"1.13.0"},"name":"ingress-nginx-controller","namespace":"ingress-nginx"},
 "spec":{"ipFamilies":["IPv4"],"ipFamilyPolicy":"SingleStack","ports":[{"appProtocol":"http","name":"http","port":80,"protocol":"TCP","targetPort":"http"},{"appProtocol":"https","name":"https","port":443,"protocol":"TCP","targetPort":"https"}],
  "selector":{"app.kubernetes.io/component":"controller","app.kubernetes.io/instance":"ingress-nginx","app.kubernetes.io/name":"ingress-nginx"},"type":"NodePort"}},
{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"labels":{"app.kubernetes.io/component":"controller","app.kubernetes.io/instance":"ingress-nginx","app.kubernetes.io/name":"ingress-nginx","app.kubernetes.io/part-of":"ingress-nginx","app.kubernetes.io/version":"1.13.0"},"name":"ingress-nginx-controller","namespace":"ingress-nginx"},
 "spec":{"minReadySeconds":0,"revisionHistoryLimit":10,"selector":{"matchLabels":{"app.kubernetes.io/component":"controller","app.kubernetes.io/instance":"ingress-nginx","app.kubernetes.io/name":"ingress-nginx"}},
  "strategy":{"rollingUpdate":{"maxUnavailable":1},"type":"RollingUpdate"},
  "template":{"metadata":{"labels":{"app.kubernetes.io/component":"controller","app.kubernetes.io/instance":"ingress-nginx","app.kubernetes.io/name":"ingress-nginx","app.kubernetes.io/part-of":"ingress-nginx","app.kubernetes.io/version":"1.13.0"}},"spec":{
   "containers":[{"args":["/nginx-ingress-controller","--election-id=ingress-nginx-leader","--controller-class=k8s.io/ingress-nginx","--ingress-class=nginx","--configmap=$(POD_NAMESPACE)/ingress-nginx-controller","--watch-ingress-without-class=true","--publish-status-address=localhost"],
    "env":[{"name":"POD_NAME","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}},{"name":"POD_NAMESPACE","valueFrom":{"fieldRef":{"fieldPath":"metadata.namespace"}}},{"name":"LD_PRELOAD","value":"/usr/local/lib/libmimalloc.so"}],
    "image":"registry.k8s.io/ingress-nginx/controller:v1.13.0","imagePullPolicy":"IfNotPresent","name":"controller",
    "ports":[{"containerPort":80,"hostPort":80,"name":"http","protocol":"TCP"},{"containerPort":443,"hostPort":443,"name":"https","protocol":"TCP"}],
    "resources":{"requests":{"cpu":"100m","memory":"90Mi"}},
    "securityContext":{"allowPrivilegeEscalation":false,"capabilities":{"add":["NET_BIND_SERVICE"],"drop":["ALL"]},"readOnlyRootFilesystem":false,"runAsGroup":82,"runAsNonRoot":true,"runAsUser":101,"seccompProfile":{"type":"RuntimeDefault"}}}],
   "dnsPolicy":"ClusterFirst","nodeSelector":{"kubernetes.io/os":"linux"},"serviceAccountName":"ingress-nginx","terminationGracePeriodSeconds":0}}}},
{"apiVersion":"networking.k8s.io/v1","kind":"IngressClass","metadata":{"labels":{"app.kubernetes.io/component":"controller","app.kubernetes.io/instance":"ingress-nginx","app.kubernetes.io/name":"ingress-nginx","app.kubernetes.io/part-of":"ingress-nginx","app.kubernetes.io/version":"1.13.0"},"name":"nginx"},"spec":{"controller":"k8s.io/ingress-nginx"}}
]"#;

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

fn ingresses(api: &Api) -> Vec<&Generic> {
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

#[derive(Clone, Default)]
pub struct IngressNginx {
    /// The running controller pod (uid) and its next status sync.
    pod: String,
    next: Option<Time>,
    /// Ingresses the informer saw added or changed since the last sync.
    seen: Vec<ObjRef>,
}

fn key() -> ObjRef {
    ObjRef::new(Kind::Pod, NS, "ingress-nginx-controller")
}

impl Controller for IngressNginx {
    fn id(&self) -> Ctl {
        Ctl::IngressNginx
    }

    fn watch(&mut self, ch: &Change, _api: &Api, q: &mut WorkQueue) {
        match ch.kind {
            Kind::Pod if [ch.old.as_deref(), ch.new.as_deref()].into_iter().flatten().any(|o| o.as_::<Pod>().is_some_and(is_controller)) => q.add(key()),
            Kind::Ingress if !self.pod.is_empty() => {
                if let Some(n) = ch.new.as_deref()
                    && ch.old.as_deref() != Some(n)
                {
                    let m = n.meta();
                    self.seen.push(ObjRef::new(Kind::Ingress, &m.namespace, &m.name));
                    q.add(key());
                }
            }
            _ => {}
        }
    }

    fn sync(&mut self, key: &ObjRef, cx: &mut Cx) {
        let now = cx.api.now;
        let Some(uid) = running_controller(cx.api).map(|p| p.metadata.uid.clone()) else {
            // a controller shutting down takes its addresses back
            if !self.pod.is_empty() && cx.api.store.by_uid(&self.pod).is_none_or(|o| o.meta().deletion_timestamp.is_some()) {
                set_addresses(cx.api, &[]);
            }
            *self = IngressNginx::default();
            return;
        };
        if uid != self.pod {
            // a new process: its informer lists every Ingress, and it leads
            let all: Vec<ObjRef> = ingresses(cx.api).iter().map(|g| ObjRef::new(Kind::Ingress, &g.metadata.namespace, &g.metadata.name)).collect();
            *self = IngressNginx { pod: uid, next: Some(now), seen: all };
        }
        for r in std::mem::take(&mut self.seen) {
            if let Some(o) = cx.api.store.get(Kind::Ingress, &r.key).cloned()
                && let Object::Generic(g) = &*o
                && serves(g)
            {
                cx.api.event(&o, "Normal", "Sync", "Scheduled for sync", COMPONENT);
            }
        }
        if self.next.is_some_and(|t| t <= now) {
            set_addresses(cx.api, &[json!({"hostname": "localhost"})]);
            let at = now.plus(UPDATE_INTERVAL);
            self.next = Some(at);
            cx.api.wake_idle_at(at, Ctl::IngressNginx, key.clone());
        }
    }
}

/// The status sync: every served Ingress gets these load-balancer addresses.
fn set_addresses(api: &mut Api, addrs: &[Value]) {
    let want = Value::Array(addrs.to_vec());
    let stale: Vec<Generic> = ingresses(api)
        .into_iter()
        .filter(|g| g.field("status")["loadBalancer"]["ingress"].as_array().map_or(!addrs.is_empty(), |a| *a != addrs))
        .cloned()
        .collect();
    for mut g in stale {
        g.body.insert("status".into(), json!({"loadBalancer": if addrs.is_empty() { json!({}) } else { json!({"ingress": want}) }}));
        let _ = api.update_status(Object::Generic(g));
    }
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
    use crate::kubectl::commands::testutil::{run, run_in};
    use crate::kubectl::session::Session;

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

    /// The address appears with the status sync (60 s after the
    /// controller starts, then every 60 s), each change brings a Sync
    /// event, and the controller takes the address back when it goes.
    #[test]
    fn status_address_follows_the_controller() {
        let mut s = Session::new(3);
        ingress(&mut s, "early", "  defaultBackend: {service: {name: web, port: {number: 80}}}\n");
        assert_eq!(run(&mut s, "cluster addon install ingress-nginx").1, 0);
        assert_eq!(run(&mut s, "cluster addon install ingress-nginx").0, "error: addon ingress-nginx is already installed\n");
        let addr = |s: &mut Session, n: &str| run(s, &format!("kubectl get ingress {n} -o jsonpath={{.status.loadBalancer.ingress[*].hostname}}")).0;
        s.cluster.advance(30_000);
        // the first sync, at the start, already saw `early`
        assert_eq!(addr(&mut s, "early"), "localhost");
        ingress(&mut s, "late", "  defaultBackend: {service: {name: web, port: {number: 80}}}\n");
        assert_eq!(addr(&mut s, "late"), "");
        s.cluster.advance(40_000);
        assert_eq!(addr(&mut s, "late"), "localhost");
        let (events, _) = run(&mut s, "kubectl get events --field-selector involvedObject.name=late -o jsonpath={.items[*].count}");
        assert_eq!(events, "2");
        assert_eq!(run(&mut s, "cluster addon uninstall ingress-nginx").1, 0);
        s.cluster.advance(10_000);
        assert_eq!(addr(&mut s, "late"), "");
        assert_eq!(run(&mut s, "cluster addon uninstall ingress-nginx").0, "error: addon ingress-nginx is not installed\n");
    }

    /// A wget loop against the controller's Service loads the backend the
    /// Ingress picks, not the controller.
    #[test]
    fn a_load_through_the_ingress_reaches_the_backend() {
        let mut s = Session::new(3);
        run(&mut s, "cluster addon install ingress-nginx");
        run(&mut s, "cluster addon install metrics-server");
        run(&mut s, "kubectl create deployment web --image=registry.k8s.io/hpa-example --port=80");
        run(&mut s, "kubectl expose deployment web");
        ingress(&mut s, "web", "  defaultBackend: {service: {name: web, port: {number: 80}}}\n");
        run(
            &mut s,
            "kubectl run load --image=busybox:1.37 -- /bin/sh -c 'while sleep 0.01; do wget -q -O- http://ingress-nginx-controller.ingress-nginx; done'",
        );
        s.cluster.advance(90_000);
        let (top, _) = run(&mut s, "kubectl top pods -l app=web --no-headers");
        let cpu: u64 = top.split_whitespace().nth(1).and_then(|c| c.trim_end_matches('m').parse().ok()).unwrap_or(0);
        assert!(cpu > 100, "{top}");
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
