//! The LimitRanger admission plugin (plugin/pkg/admission/limitranger):
//! a pod created in a namespace with LimitRanges gets the default requests
//! and limits of their `Container` items (and the `kubernetes.io/limit-ranger`
//! annotation saying which), then is checked against every item's min,
//! max and maxLimitRequestRatio, per container and per pod; a claim is
//! checked against the `PersistentVolumeClaim` items. A violation is
//! Forbidden with the plugin's texts.

use super::{Api, ApiError, Reason};
use crate::engine::api::*;
use crate::engine::quantity::Quantity;
use serde_json::Value;

const ANNOTATION: &str = "kubernetes.io/limit-ranger";

/// The items (`spec.limits`) of each LimitRange of the namespace.
fn ranges(api: &Api, ns: &str) -> Vec<Vec<Value>> {
    api.store
        .list_ns(Kind::LimitRange, ns)
        .filter_map(|o| match &**o {
            Object::Generic(g) => g.field("spec")["limits"].as_array().cloned(),
            _ => None,
        })
        .collect()
}

/// A ResourceList held as JSON, keys sorted.
fn list(v: &Value) -> Vec<(String, Quantity)> {
    v.as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, q)| {
            let text = match q {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            Quantity::parse(&text).ok().map(|q| (k.clone(), q))
        })
        .collect()
}

/// `mergeContainerResources`: the defaults a container lacks, and what was set.
fn merge(c: &mut Container, requests: &[(String, Quantity)], limits: &[(String, Quantity)], what: &str, notes: &mut Vec<String>) {
    // requests are listed before limits, as upstream's annotation has them
    for (have, defaults, label) in [(&mut c.resources.requests, requests, "request"), (&mut c.resources.limits, limits, "limit")] {
        let mut added: Vec<&str> = vec![];
        for (k, v) in defaults {
            if !have.contains_key(k) {
                have.insert(k.clone(), *v);
                added.push(k);
            }
        }
        if !added.is_empty() {
            notes.push(format!("{} {label} for {what} {}", added.join(", "), c.name));
        }
    }
}

/// `PodMutateLimitFunc` for each LimitRange.
pub fn mutate_pod(api: &Api, p: &mut Pod) {
    for items in ranges(api, &p.metadata.namespace) {
        let (mut requests, mut limits) = (vec![], vec![]);
        for it in items.iter().filter(|i| i["type"] == "Container") {
            requests.extend(list(&it["defaultRequest"]));
            limits.extend(list(&it["default"]));
        }
        let mut notes = vec![];
        for c in &mut p.spec.containers {
            merge(c, &requests, &limits, "container", &mut notes);
        }
        for c in &mut p.spec.init_containers {
            merge(c, &requests, &limits, "init container", &mut notes);
        }
        if !notes.is_empty() {
            p.metadata.annotations.insert(ANNOTATION.into(), format!("LimitRanger plugin set: {}", notes.join("; ")));
        }
    }
}

/// `requestLimitEnforcedValues`: milli-units when they fit.
fn values(a: Option<&Quantity>, b: Option<&Quantity>, enforced: &Quantity) -> (i64, i64, i64) {
    const MAX_MILLI: i64 = i64::MAX / 1000;
    let zero = Quantity::default();
    let (a, b) = (a.unwrap_or(&zero), b.unwrap_or(&zero));
    if a.value() <= MAX_MILLI && b.value() <= MAX_MILLI && enforced.value() <= MAX_MILLI {
        (a.milli_value(), b.milli_value(), enforced.milli_value())
    } else {
        (a.value(), b.value(), enforced.value())
    }
}

/// minConstraint, maxConstraint (maxRequestConstraint when `request_only`),
/// limitRequestRatioConstraint.
fn check(item: &Value, scope: &str, req: &ResourceList, lim: &ResourceList, request_only: bool, errs: &mut Vec<String>) {
    for (k, e) in list(&item["min"]) {
        let (r, l) = (req.get(&k), lim.get(&k));
        let (rv, lv, ev) = values(r, l, &e);
        match r {
            None => errs.push(format!("minimum {k} usage per {scope} is {e}.  No request is specified")),
            Some(r) if rv < ev => errs.push(format!("minimum {k} usage per {scope} is {e}, but request is {r}")),
            _ if l.is_some_and(|_| lv < ev) => {
                errs.push(format!("minimum {k} usage per {scope} is {e}, but limit is {}", l.map(|l| l.to_string()).unwrap_or_default()))
            }
            _ => {}
        }
    }
    for (k, e) in list(&item["max"]) {
        let (r, l) = (req.get(&k), lim.get(&k));
        let (rv, lv, ev) = values(r, l, &e);
        if request_only {
            match r {
                None => errs.push(format!("maximum {k} usage per {scope} is {e}.  No request is specified")),
                Some(r) if rv > ev => errs.push(format!("maximum {k} usage per {scope} is {e}, but request is {r}")),
                _ => {}
            }
            continue;
        }
        match (l, r) {
            (None, _) => errs.push(format!("maximum {k} usage per {scope} is {e}.  No limit is specified")),
            (Some(l), _) if lv > ev => errs.push(format!("maximum {k} usage per {scope} is {e}, but limit is {l}")),
            (_, Some(r)) if rv > ev => errs.push(format!("maximum {k} usage per {scope} is {e}, but request is {r}")),
            _ => {}
        }
    }
    for (k, e) in list(&item["maxLimitRequestRatio"]) {
        let (r, l) = (req.get(&k), lim.get(&k));
        let (rv, lv, _) = values(r, l, &e);
        if r.is_none() || rv == 0 {
            errs.push(format!("{k} max limit to request ratio per {scope} is {e}, but no request is specified or request is 0"));
        } else if l.is_none() || lv == 0 {
            errs.push(format!("{k} max limit to request ratio per {scope} is {e}, but no limit is specified or limit is 0"));
        } else {
            let shown = lv as f64 / rv as f64;
            let (observed, max) = if e.value() <= i64::MAX / 1000 { (shown * 1000.0, e.milli_value() as f64) } else { (shown, e.value() as f64) };
            if observed > max {
                errs.push(format!("{k} max limit to request ratio per {scope} is {e}, but provided ratio is {shown:.6}"));
            }
        }
    }
}

/// `utilerrors.NewAggregate(...).Error()` inside admission's Forbidden.
fn forbidden(resource: &str, name: &str, errs: Vec<String>) -> Result<(), ApiError> {
    let msg = match errs.len() {
        0 => return Ok(()),
        1 => errs.into_iter().next().unwrap_or_default(),
        _ => format!("[{}]", errs.join(", ")),
    };
    Err(ApiError::new(Reason::Forbidden, format!("{resource} \"{name}\" is forbidden: {msg}")))
}

fn add(to: &mut ResourceList, from: &ResourceList) {
    for (k, v) in from {
        let sum = to.get(k).map_or(*v, |x| x.add(v));
        to.insert(k.clone(), sum);
    }
}

fn max_into(to: &mut ResourceList, from: &ResourceList) {
    for (k, v) in from {
        if to.get(k).is_none_or(|x| v.milli_value() > x.milli_value()) {
            to.insert(k.clone(), *v);
        }
    }
}

/// `PodValidateLimitFunc` for each LimitRange.
pub fn validate_pod(api: &Api, p: &Pod) -> Result<(), ApiError> {
    let mut errs = vec![];
    for items in ranges(api, &p.metadata.namespace) {
        for it in &items {
            match it["type"].as_str() {
                Some("Container") => {
                    for c in p.spec.containers.iter().chain(&p.spec.init_containers) {
                        check(it, "Container", &c.resources.requests, &c.resources.limits, false, &mut errs);
                    }
                }
                Some("Pod") => {
                    // podRequests / podLimits: the containers' sum, or an init container's more
                    let (mut req, mut lim) = (ResourceList::new(), ResourceList::new());
                    for c in &p.spec.containers {
                        add(&mut req, &c.resources.requests);
                        add(&mut lim, &c.resources.limits);
                    }
                    for c in &p.spec.init_containers {
                        max_into(&mut req, &c.resources.requests);
                        max_into(&mut lim, &c.resources.limits);
                    }
                    check(it, "Pod", &req, &lim, false, &mut errs);
                }
                _ => {}
            }
        }
    }
    forbidden("pods", &p.metadata.name, errs)
}

/// `PersistentVolumeClaimValidateLimitFunc`.
pub fn validate_claim(api: &Api, c: &PersistentVolumeClaim) -> Result<(), ApiError> {
    let mut errs = vec![];
    for items in ranges(api, &c.metadata.namespace) {
        for it in items.iter().filter(|i| i["type"] == "PersistentVolumeClaim") {
            check(it, "PersistentVolumeClaim", &c.spec.resources.requests, &ResourceList::new(), true, &mut errs);
        }
    }
    forbidden("persistentvolumeclaims", &c.metadata.name, errs)
}

/// `SetDefaults_LimitRangeItem`: a Container item's default limit is its
/// max, its default request its default limit, else its min.
pub fn default_items(spec: &mut Value) {
    for it in spec["limits"].as_array_mut().into_iter().flatten() {
        if it["type"] != "Container" {
            continue;
        }
        for (from, to) in [("max", "default"), ("default", "defaultRequest"), ("min", "defaultRequest")] {
            let src = it[from].clone();
            for (k, v) in src.as_object().into_iter().flatten() {
                if it[to].get(k).is_none() {
                    if !it[to].is_object() {
                        it[to] = Value::Object(Default::default());
                    }
                    it[to][k] = v.clone();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn container_items_default_from_max_then_default_then_min() {
        let mut spec = json!({"limits": [{"type": "Container", "max": {"cpu": "1"}, "min": {"memory": "64Mi"}}, {"type": "Pod", "max": {"cpu": "2"}}]});
        default_items(&mut spec);
        assert_eq!(spec["limits"][0]["default"], json!({"cpu": "1"}));
        assert_eq!(spec["limits"][0]["defaultRequest"], json!({"cpu": "1", "memory": "64Mi"}));
        assert!(spec["limits"][1].get("default").is_none(), "only Container items are defaulted");
    }

    #[test]
    fn constraints_say_what_upstream_says() {
        let q = |s: &str| Quantity::parse(s).unwrap();
        let item = json!({"min": {"cpu": "200m"}, "max": {"cpu": "800m"}, "maxLimitRequestRatio": {"cpu": "2"}});
        let mut errs = vec![];
        let req = ResourceList::from([("cpu".to_string(), q("100m"))]);
        let lim = ResourceList::from([("cpu".to_string(), q("1.5"))]);
        check(&item, "Container", &req, &lim, false, &mut errs);
        assert_eq!(
            errs,
            [
                "minimum cpu usage per Container is 200m, but request is 100m",
                "maximum cpu usage per Container is 800m, but limit is 1500m",
                "cpu max limit to request ratio per Container is 2, but provided ratio is 15.000000",
            ]
        );
        errs.clear();
        check(&item, "Container", &ResourceList::new(), &ResourceList::new(), false, &mut errs);
        assert_eq!(errs[0], "minimum cpu usage per Container is 200m.  No request is specified");
        assert_eq!(errs[1], "maximum cpu usage per Container is 800m.  No limit is specified");
        assert_eq!(forbidden("pods", "p", vec!["a".into(), "b".into()]).unwrap_err().message, "pods \"p\" is forbidden: [a, b]");
    }
}
