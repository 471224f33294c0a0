//! apimachinery's meta/v1 types: ObjectMeta, OwnerReference, LabelSelector,
//! and the serde helpers every API type uses to follow Go's `omitempty`.

use crate::engine::time::{MicroTime, Time};
use kubarium_derive::Decode;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;

pub type Labels = BTreeMap<String, String>;

pub fn is_false(b: &bool) -> bool {
    !*b
}
pub fn is_zero_i32(v: &i32) -> bool {
    *v == 0
}
pub fn is_zero_i64(v: &i64) -> bool {
    *v == 0
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Decode)]
#[serde(rename_all = "camelCase", default)]
pub struct ObjectMeta {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub generate_name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub uid: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub resource_version: String,
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub generation: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creation_timestamp: Option<Time>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion_timestamp: Option<Time>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion_grace_period_seconds: Option<i64>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: Labels,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub owner_references: Vec<OwnerReference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub finalizers: Vec<String>,
    /// Accepted on input for compatibility with `kubectl get -o yaml` output; never stored.
    #[serde(skip_serializing)]
    pub managed_fields: Option<serde_json::Value>,
    #[serde(skip_serializing)]
    pub self_link: Option<String>,
    /// The fields of the object that Kubernetes 1.36 has and its Rust type
    /// does not model (a pod's `schedulingGates`, an `image` volume...), as
    /// written, at their paths: kept so the object round-trips
    /// (`api::extra`). Never part of the typed (de)serialization.
    #[serde(skip)]
    pub extra: Option<Box<serde_json::Value>>,
}

impl ObjectMeta {
    pub fn named(namespace: &str, name: &str) -> ObjectMeta {
        ObjectMeta { name: name.into(), namespace: namespace.into(), ..Default::default() }
    }
    /// The controller owner reference (`controller: true`), if any.
    pub fn controller_ref(&self) -> Option<&OwnerReference> {
        self.owner_references.iter().find(|o| o.controller == Some(true))
    }
    pub fn is_deleting(&self) -> bool {
        self.deletion_timestamp.is_some()
    }
    pub fn has_finalizer(&self, f: &str) -> bool {
        self.finalizers.iter().any(|x| x == f)
    }
    pub fn remove_finalizer(&mut self, f: &str) -> bool {
        let before = self.finalizers.len();
        self.finalizers.retain(|x| x != f);
        before != self.finalizers.len()
    }
    pub fn add_finalizer(&mut self, f: &str) {
        if !self.has_finalizer(f) {
            self.finalizers.push(f.to_string());
        }
    }
    pub fn annotation(&self, k: &str) -> Option<&str> {
        self.annotations.get(k).map(|s| s.as_str())
    }
    pub fn label(&self, k: &str) -> Option<&str> {
        self.labels.get(k).map(|s| s.as_str())
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Decode)]
#[serde(rename_all = "camelCase", default)]
pub struct OwnerReference {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub uid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub controller: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block_owner_deletion: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Decode)]
#[serde(rename_all = "camelCase", default)]
pub struct LabelSelector {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub match_labels: Labels,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub match_expressions: Vec<LabelSelectorRequirement>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Decode)]
#[serde(rename_all = "camelCase", default)]
pub struct LabelSelectorRequirement {
    pub key: String,
    pub operator: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

impl LabelSelector {
    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.match_expressions.is_empty()
    }
    /// metav1.LabelSelectorAsSelector semantics: an empty selector matches everything.
    pub fn matches(&self, labels: &Labels) -> bool {
        self.match_labels.iter().all(|(k, v)| labels.get(k) == Some(v))
            && self.match_expressions.iter().all(|r| {
                let val = labels.get(&r.key);
                match r.operator.as_str() {
                    "In" => val.is_some_and(|v| r.values.contains(v)),
                    "NotIn" => val.is_none_or(|v| !r.values.contains(v)),
                    "Exists" => val.is_some(),
                    "DoesNotExist" => val.is_none(),
                    _ => false,
                }
            })
    }
}

/// metav1.Condition (used by PodDisruptionBudget status).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Decode)]
#[serde(rename_all = "camelCase", default)]
pub struct Condition {
    #[serde(rename = "type")]
    pub type_: super::vocab::ConditionType,
    pub status: super::vocab::ConditionStatus,
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub observed_generation: i64,
    pub last_transition_time: Option<Time>,
    pub reason: String,
    pub message: String,
}

/// `intstr.IntOrString`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IntOrString {
    Int(i32),
    Str(String),
}

impl Default for IntOrString {
    fn default() -> Self {
        IntOrString::Int(0)
    }
}

impl IntOrString {
    /// `intstr.GetScaledValueFromIntOrPercent`.
    pub fn scaled_value(&self, total: i32, round_up: bool) -> Result<i32, String> {
        match self {
            IntOrString::Int(i) => Ok(*i),
            IntOrString::Str(s) => {
                let p = s
                    .strip_suffix('%')
                    .and_then(|p| p.parse::<i64>().ok())
                    .ok_or_else(|| "invalid value for IntOrString: invalid type: string is not a percentage".to_string())?;
                // GetScaledValueFromIntOrPercent: float64 math, then int,
                // then the caller's int32(...) conversion (which wraps).
                let v = p as f64 * total as f64 / 100.0;
                let v = if round_up { v.ceil() } else { v.floor() };
                Ok((v as i64) as i32)
            }
        }
    }
}

impl std::fmt::Display for IntOrString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IntOrString::Int(i) => write!(f, "{i}"),
            IntOrString::Str(s) => f.write_str(s),
        }
    }
}

impl Serialize for IntOrString {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            IntOrString::Int(i) => s.serialize_i32(*i),
            IntOrString::Str(v) => s.serialize_str(v),
        }
    }
}

impl<'de> Deserialize<'de> for IntOrString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = IntOrString;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an int or a string")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<IntOrString, E> {
                i32::try_from(v).map(IntOrString::Int).map_err(E::custom)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<IntOrString, E> {
                i32::try_from(v).map(IntOrString::Int).map_err(E::custom)
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<IntOrString, E> {
                Ok(IntOrString::Str(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// core/v1 ObjectReference, as events and claimRefs use it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Decode)]
#[serde(rename_all = "camelCase", default)]
pub struct ObjectReference {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kind: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub uid: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub resource_version: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub field_path: String,
}

/// Re-exported so API modules can name it next to Time.
pub type Micro = MicroTime;

/// Opaque JSON shared between the copies of an object. Objects are copied
/// far more often than these parts of them change (a pod's projected
/// service account volume, a revision's data), so a copy shares them and a
/// change copies them first ([`Shared::make_mut`]). Serializes, compares
/// and prints as the JSON it holds.
#[derive(Clone, Default, PartialEq)]
pub struct Shared(std::rc::Rc<serde_json::Value>);

impl Shared {
    pub fn new(v: serde_json::Value) -> Shared {
        Shared(std::rc::Rc::new(v))
    }
    /// The value to change (copied first when another object shares it).
    pub fn make_mut(&mut self) -> &mut serde_json::Value {
        std::rc::Rc::make_mut(&mut self.0)
    }
}

impl std::ops::Deref for Shared {
    type Target = serde_json::Value;
    fn deref(&self) -> &serde_json::Value {
        &self.0
    }
}

impl From<serde_json::Value> for Shared {
    fn from(v: serde_json::Value) -> Shared {
        Shared::new(v)
    }
}

impl PartialEq<serde_json::Value> for Shared {
    fn eq(&self, other: &serde_json::Value) -> bool {
        *self.0 == *other
    }
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for Shared {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Shared {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde_json::Value::deserialize(d).map(Shared::new)
    }
}
