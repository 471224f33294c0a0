//! The scale subresource (autoscaling/v1 Scale) of the kinds that have one:
//! what `kubectl scale` and the HPA controller read and write.

use super::*;

/// The scale subresource: (spec replicas, status replicas) of a scalable object.
pub fn replicas_of(o: &Object) -> Option<(i32, i32)> {
    match o {
        Object::Deployment(d) => Some((d.spec.replicas.unwrap_or(1), d.status.replicas)),
        Object::ReplicaSet(r) => Some((r.spec.replicas.unwrap_or(1), r.status.replicas)),
        Object::StatefulSet(s) => Some((s.spec.replicas.unwrap_or(1), s.status.replicas)),
        Object::Generic(g) if g.kind == Kind::ReplicationController => {
            let n = |v: &serde_json::Value| v.as_i64().unwrap_or(0) as i32;
            Some((g.field("spec")["replicas"].as_i64().map_or(1, |r| r as i32), n(&g.field("status")["replicas"])))
        }
        _ => None,
    }
}

/// The object with spec.replicas set (what a write to the subresource does).
pub fn with_replicas(o: &Object, n: i32) -> Option<Object> {
    let mut o = o.clone();
    match &mut o {
        Object::Deployment(d) => d.spec.replicas = Some(n),
        Object::ReplicaSet(r) => r.spec.replicas = Some(n),
        Object::StatefulSet(s) => s.spec.replicas = Some(n),
        Object::Generic(g) if g.kind == Kind::ReplicationController => {
            g.body.entry("spec").or_insert_with(|| serde_json::json!({}))["replicas"] = serde_json::json!(n);
        }
        _ => return None,
    }
    Some(o)
}

/// The scale subresource's `status.selector`: the pods the object's
/// replicas are (None: not scalable).
pub fn selector_of(o: &Object) -> Option<LabelSelector> {
    match o {
        Object::Deployment(d) => Some(d.spec.selector.clone().unwrap_or_default()),
        Object::ReplicaSet(r) => Some(r.spec.selector.clone().unwrap_or_default()),
        Object::StatefulSet(s) => Some(s.spec.selector.clone().unwrap_or_default()),
        Object::Generic(g) if g.kind == Kind::ReplicationController => {
            Some(LabelSelector { match_labels: crate::engine::decode::from_json(&g.field("spec")["selector"]).unwrap_or_default(), ..Default::default() })
        }
        _ => None,
    }
}
