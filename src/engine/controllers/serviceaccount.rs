//! Two small namespace-scoped controllers of kube-controller-manager, keyed
//! by namespace: the serviceaccount controller (a `default` ServiceAccount
//! in every active namespace, recreated when deleted) and the root CA
//! certificate publisher (the `kube-root-ca.crt` ConfigMap every pod's
//! projected service-account volume reads `ca.crt` from).

use super::controller_utils::{Backoff, is_namespace_terminating};
use super::{Controller, Ctl, Cx, WorkQueue};
use crate::engine::api::*;
use crate::engine::apiserver::{Api, Reason};
use crate::engine::store::{Change, Op};

pub const ROOT_CA_CONFIGMAP: &str = "kube-root-ca.crt";
pub const DESCRIPTION_ANNOTATION: &str = "kubernetes.io/description";
pub const DESCRIPTION: &str = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.";

#[derive(Clone)]
pub struct ServiceAccountController {
    /// The cluster CA bundle (PEM), made once per cluster.
    root_ca: Option<String>,
    backoff: Backoff,
}

impl Default for ServiceAccountController {
    fn default() -> Self {
        ServiceAccountController { root_ca: None, backoff: Backoff::controller() }
    }
}

fn ns_key(name: &str) -> ObjRef {
    ObjRef::new(Kind::Namespace, "", name)
}

impl Controller for ServiceAccountController {
    fn id(&self) -> Ctl {
        Ctl::ServiceAccount
    }

    fn watch(&mut self, ch: &Change, _api: &Api, q: &mut WorkQueue) {
        match (ch.kind, ch.op) {
            (Kind::Namespace, Op::Added | Op::Modified) => q.add(ns_key(&ch.key.name)),
            (Kind::ServiceAccount, Op::Deleted) => q.add(ns_key(&ch.key.namespace)),
            (Kind::ConfigMap, Op::Modified | Op::Deleted) if ch.key.name == ROOT_CA_CONFIGMAP => q.add(ns_key(&ch.key.namespace)),
            _ => {}
        }
    }

    fn sync(&mut self, key: &ObjRef, cx: &mut Cx) {
        let ns = key.key.name.clone();
        let r1 = sync_service_accounts(cx.api, &ns);
        let ca = self.root_ca.get_or_insert_with(|| make_root_ca(cx.api)).clone();
        let r2 = publish_root_ca(cx.api, &ns, &ca);
        match r1.and(r2) {
            Ok(()) => self.backoff.forget(key),
            Err(_) => {
                self.backoff.retry(cx.api, Ctl::ServiceAccount, key.clone());
            }
        }
    }
}

/// `ServiceAccountsController.syncNamespace`.
fn sync_service_accounts(api: &mut Api, ns: &str) -> Result<(), String> {
    let Some(n) = api.get_t::<Namespace>("", ns) else { return Ok(()) };
    if n.status.phase != NamespacePhase::Active {
        return Ok(());
    }
    if api.get_t::<ServiceAccount>(ns, "default").is_some() {
        return Ok(());
    }
    let sa = ServiceAccount { metadata: ObjectMeta::named(ns, "default"), ..Default::default() };
    match api.create(Object::ServiceAccount(sa)) {
        Ok(_) => Ok(()),
        Err(e) if e.reason == Reason::AlreadyExists || is_namespace_terminating(&e) => Ok(()),
        Err(e) => Err(e.message),
    }
}

/// `Publisher.syncNamespace`.
fn publish_root_ca(api: &mut Api, ns: &str, ca: &str) -> Result<(), String> {
    let Some(n) = api.get_t::<Namespace>("", ns) else { return Ok(()) };
    let data: std::collections::BTreeMap<String, String> = crate::engine::sort::map_from([("ca.crt".to_string(), ca.to_string())]);
    match api.get_t::<ConfigMap>(ns, ROOT_CA_CONFIGMAP).cloned() {
        None => {
            if n.status.phase != NamespacePhase::Active {
                // namespaceUpdated ignores terminating namespaces; a create would be refused
                return Ok(());
            }
            let mut cm = ConfigMap { metadata: ObjectMeta::named(ns, ROOT_CA_CONFIGMAP), data, ..Default::default() };
            cm.metadata.annotations.insert(DESCRIPTION_ANNOTATION.into(), DESCRIPTION.into());
            match api.create(Object::ConfigMap(cm)) {
                Ok(_) => Ok(()),
                Err(e) if e.is_not_found() || is_namespace_terminating(&e) => Ok(()),
                Err(e) => Err(e.message),
            }
        }
        Some(mut cm) => {
            if cm.data == data && cm.metadata.annotation(DESCRIPTION_ANNOTATION).is_some_and(|d| !d.is_empty()) {
                return Ok(());
            }
            cm.data = data;
            cm.metadata.annotations.insert(DESCRIPTION_ANNOTATION.into(), DESCRIPTION.into());
            api.update(Object::ConfigMap(cm)).map(|_| ()).map_err(|e| e.message)
        }
    }
}

/// The cluster's CA bundle. A simulated cluster has no private key to sign
/// with: this is a PEM block of the size and shape of kind's CA
/// certificate (a DER SEQUENCE of 741 bytes) whose body comes from the
/// cluster's seeded generator, so it is the same on every replay. Nothing
/// in the simulation parses it.
fn make_root_ca(api: &mut Api) -> String {
    // Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version v3, ...
    let mut der = vec![0x30u8, 0x82, 0x02, 0xe5, 0x30, 0x82, 0x01, 0xcd, 0xa0, 0x03, 0x02, 0x01, 0x02];
    while der.len() < 4 + 0x2e5 {
        der.extend_from_slice(&api.rng.next_u64().to_be_bytes());
    }
    der.truncate(4 + 0x2e5);
    let b64 = crate::engine::base64::encode(&der);
    let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        pem.push('\n');
    }
    pem.push_str("-----END CERTIFICATE-----\n");
    pem
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::apiserver::DeleteOptions;
    use crate::engine::controllers::testkit::*;

    #[test]
    fn every_namespace_gets_a_default_account_and_the_ca() {
        let mut h = Harness::new(vec![Box::new(ServiceAccountController::default())]);
        for ns in ["default", "kube-system"] {
            assert!(h.api.get_t::<ServiceAccount>(ns, "default").is_some());
            let cm = h.api.get_t::<ConfigMap>(ns, ROOT_CA_CONFIGMAP).unwrap();
            assert!(cm.data["ca.crt"].starts_with("-----BEGIN CERTIFICATE-----\nMIIC5TCCAc2gAwIBA"), "{}", cm.data["ca.crt"]);
            assert_eq!(cm.metadata.annotations[DESCRIPTION_ANNOTATION], DESCRIPTION);
        }
        let a = h.api.get_t::<ConfigMap>("default", ROOT_CA_CONFIGMAP).unwrap().data.clone();
        assert_eq!(a, h.api.get_t::<ConfigMap>("kube-system", ROOT_CA_CONFIGMAP).unwrap().data);
        // deleted: recreated; edited: reset
        h.delete(Kind::ServiceAccount, "default", "default", DeleteOptions::default());
        assert!(h.api.get_t::<ServiceAccount>("default", "default").is_some());
        let mut cm = h.api.get_t::<ConfigMap>("default", ROOT_CA_CONFIGMAP).unwrap().clone();
        cm.data.insert("ca.crt".into(), "x".into());
        h.update(Object::ConfigMap(cm));
        assert_eq!(h.api.get_t::<ConfigMap>("default", ROOT_CA_CONFIGMAP).unwrap().data, a);
        h.create(Object::Namespace(Namespace { metadata: ObjectMeta::named("", "team"), ..Default::default() }));
        assert!(h.api.get_t::<ServiceAccount>("team", "default").is_some());
        assert_eq!(h.api.get_t::<ConfigMap>("team", ROOT_CA_CONFIGMAP).unwrap().data, a);
    }
}
