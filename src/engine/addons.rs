//! The add-ons `cluster addon install NAME` knows, each installed as
//! `kubectl apply -f` of its release manifest would: metrics-server
//! ([`crate::engine::metricsserver`]) and ingress-nginx with the kind
//! provider's settings ([`crate::engine::ingressnginx`]). Their manifests
//! are JSON parsed at install time (no typed structs per add-on).

use crate::engine::api::*;
use crate::engine::apiserver::Api;

pub const ADDONS: &[&str] = &["metrics-server", "ingress-nginx"];

/// Creates a manifest's objects (a JSON array), in order.
fn apply(api: &mut Api, manifest: &str) -> Result<(), String> {
    // a Value, not a Vec<Value>: the wasm has that instantiation already
    let docs: serde_json::Value = serde_json::from_str(manifest).map_err(|e| e.to_string())?;
    for v in docs.as_array().into_iter().flatten() {
        let kind = v["kind"].as_str().and_then(|k| Kind::lookup(&k.to_lowercase())).ok_or("kind")?;
        let (o, _) = Object::from_value(kind, v).map_err(|e| e.to_string())?;
        api.create(o).map_err(|e| e.message)?;
    }
    Ok(())
}

/// `cluster addon install NAME`.
pub fn install(api: &mut Api, addon: &str) -> Result<(), String> {
    let (installed, manifest) = match addon {
        "metrics-server" => {
            (api.store.list_ns_t::<Deployment>("kube-system").any(|d| d.metadata.name == "metrics-server"), crate::engine::metricsserver::MANIFEST)
        }
        _ => (api.get_t::<Namespace>("", crate::engine::programs::ingress::NS).is_some(), crate::engine::ingressnginx::MANIFEST),
    };
    if installed {
        return Err(format!("addon {addon} is already installed"));
    }
    apply(api, manifest)
}

/// `cluster addon uninstall NAME`: its objects are deleted (ingress-nginx's
/// with its namespace).
pub fn uninstall(api: &mut Api, addon: &str) -> Result<(), String> {
    let objects: &[(Kind, &str, &str)] = match addon {
        "metrics-server" => &[
            (Kind::Deployment, "kube-system", "metrics-server"),
            (Kind::Service, "kube-system", "metrics-server"),
            (Kind::ServiceAccount, "kube-system", "metrics-server"),
        ],
        _ => &[(Kind::IngressClass, "", "nginx"), (Kind::Namespace, "", crate::engine::programs::ingress::NS)],
    };
    let mut found = false;
    for (kind, ns, name) in objects {
        found |= api.delete(*kind, ns, name, &Default::default()).is_ok();
    }
    if found { Ok(()) } else { Err(format!("addon {addon} is not installed")) }
}
