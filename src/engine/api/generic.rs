//! Objects of the kinds the engine stores but does not interpret (RBAC,
//! Ingress, NetworkPolicy, Job, CronJob, DaemonSet, CRDs...): typed
//! metadata, the rest as written, checked against the schema table
//! ([`super::schema`]) as strictly as a typed kind is by its Rust type.
//! Adding such a kind adds no code: kinds.rs and the table are generated.

use super::{Kind, ObjectMeta, schema};
use crate::engine::decode::{DecodeError, UnknownField};
use crate::engine::yaml::{Node, Val};
use serde_json::{Map, Value};

#[derive(Clone, Debug, PartialEq)]
pub struct Generic {
    pub kind: Kind,
    /// The version the object was written in (one the kind is served in).
    pub api_version: String,
    pub metadata: ObjectMeta,
    /// Every top-level field but apiVersion, kind and metadata, as written.
    pub body: Map<String, Value>,
}

impl Generic {
    /// The object as JSON (keys sorted, as the typed kinds print).
    pub fn to_value(&self) -> Value {
        let mut m = self.body.clone();
        m.insert("apiVersion".into(), Value::String(self.api_version.clone()));
        m.insert("kind".into(), Value::String(self.kind.info().kind.into()));
        m.insert("metadata".into(), super::to_json(&self.metadata));
        Value::Object(m)
    }

    /// Whether objects of `kind` can be checked now: typed kinds always,
    /// generic ones once the schema table is there (the page fetches it
    /// after the first frame).
    pub fn checkable(kind: Kind) -> bool {
        !kind.is_generic() || matches!(kind, Kind::Custom(_)) || schema::get().is_some()
    }

    /// A top-level field (`spec`, `rules`, `data`...).
    pub fn field(&self, name: &str) -> &Value {
        self.body.get(name).unwrap_or(&Value::Null)
    }

    /// Decodes a manifest tree of a generic kind: unknown fields and type
    /// errors come from the schema table of the version it is written in.
    /// While the page is still downloading the table the object is taken
    /// as it is: replaying a session (objects the API server accepted
    /// before) needs no check, and kubectl refuses these kinds until the
    /// table is there ([`Generic::checkable`]).
    pub fn decode(kind: Kind, node: &Node) -> Result<(Generic, Vec<UnknownField>), DecodeError> {
        let info = kind.info();
        let Val::Map(_) = &node.v else {
            return Err(DecodeError { message: format!("json: cannot unmarshal {} into Go value of type v1.{}", node.json_kind(), info.kind), pos: node.pos });
        };
        let api_version = match node.get("apiVersion").and_then(|v| v.as_str()) {
            Some(v) if info.serves(v) => v.to_string(),
            _ => info.api_version(),
        };
        let mut unknown = vec![];
        // a custom resource is checked against its CRD's schema by the API
        // server (apiserver::crd), which has the CRD
        if let Some(schema) = schema::get().filter(|_| !matches!(kind, Kind::Custom(_))) {
            let root = schema
                .root(&api_version, info.kind)
                .ok_or_else(|| DecodeError { message: format!("no schema for {api_version}/{}", info.kind), pos: node.pos })?;
            schema.check(root, node, &mut unknown)?;
        }
        let Value::Object(mut body) = node.to_json() else { unreachable!("a mapping node is a JSON object") };
        body.remove("apiVersion");
        body.remove("kind");
        let metadata = match body.remove("metadata") {
            Some(m) => crate::engine::decode::from_json::<ObjectMeta>(&m).unwrap_or_default(),
            None => ObjectMeta::default(),
        };
        Ok((Generic { kind, api_version, metadata, body }, unknown))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::api::Object;

    #[test]
    fn a_generic_object_round_trips_and_keeps_its_version() {
        let v = serde_json::json!({"apiVersion":"autoscaling/v1","kind":"HorizontalPodAutoscaler","metadata":{"name":"web","namespace":"default"},
            "spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"},"maxReplicas":5,"targetCPUUtilizationPercentage":50}});
        let (o, unknown) = Object::from_value(Kind::HorizontalPodAutoscaler, &v).unwrap();
        assert!(unknown.is_empty(), "{unknown:?}");
        assert_eq!(o.kind(), Kind::HorizontalPodAutoscaler);
        assert_eq!(o.meta().name, "web");
        assert_eq!(o.to_value(), v);
    }
}
