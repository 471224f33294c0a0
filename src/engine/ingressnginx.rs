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
//! Which Ingresses it serves and where it sends a request (its nginx's
//! part, on the data path) are in [`crate::engine::programs::ingress`].

use crate::engine::api::*;
use crate::engine::apiserver::{Api, Ctl};
use crate::engine::control::{Controller, Cx, WorkQueue};
use crate::engine::programs::ingress::{NS, ingresses, is_controller, running_controller, serves};
use crate::engine::store::Change;
use crate::engine::time::{Millis, SECOND, Time};
use serde_json::{Value, json};

/// The status sync's period (internal/ingress/status: updateInterval).
pub const UPDATE_INTERVAL: Millis = 60 * SECOND;
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

#[cfg(test)]
mod tests {
    use crate::kubectl::commands::testutil::{run, run_in};
    use crate::kubectl::session::Session;

    fn ingress(s: &mut Session, name: &str, spec: &str) {
        let y = format!("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {name}\nspec:\n{spec}");
        assert_eq!(run_in(s, "kubectl apply -f -", &y).1, 0);
        s.cluster.advance(1_000);
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
}
