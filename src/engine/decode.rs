//! Decoding a [`yaml::Node`](crate::engine::yaml::Node) tree into typed API
//! objects, as the API server's strict decoder does:
//!
//! * every unknown field is collected with kubectl's path
//!   (`spec.template.spec.containers[0].imagee`) and its source position;
//! * type errors are worded as Go's encoding/json words them
//!   (`json: cannot unmarshal string into Go struct field StatefulSetSpec.spec.replicas of type int32`)
//!   and carry the position of the offending value;
//! * `null` leaves a field at its zero value, as in Go.

use crate::engine::yaml::{Node, Pos, Val};
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use std::cell::RefCell;
use std::fmt;

#[derive(Clone, Debug, PartialEq)]
pub struct DecodeError {
    pub message: String,
    pub pos: Pos,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DecodeError {}

impl de::Error for DecodeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DecodeError { message: msg.to_string(), pos: Pos::default() }
    }
}

/// A field the target type does not have.
#[derive(Clone, Debug, PartialEq)]
pub struct UnknownField {
    /// kubectl's spelling: `spec.template.spec.containers[0].imagee`.
    pub path: String,
    pub pos: Pos,
}

/// Decodes `node` into `T`, returning the unknown fields found on the way.
pub fn decode<T: DeserializeOwned>(node: &Node) -> Result<(T, Vec<UnknownField>), DecodeError> {
    let unknown = RefCell::new(Vec::new());
    let de = De { node, path: String::new(), strukt: "", unknown: &unknown };
    let v = T::deserialize(de)?;
    Ok((v, unknown.into_inner()))
}

/// Decodes a JSON value into `T` through the same path as manifests
/// (ignoring unknown fields). Use this instead of `serde_json::from_value`:
/// every type's Deserialize code is then compiled once, for our
/// deserializer, not a second time for serde_json's (the wasm is smaller).
pub fn from_json<T: DeserializeOwned>(v: &serde_json::Value) -> Option<T> {
    decode::<T>(&crate::engine::yaml::Node::from_json(v)).ok().map(|(t, _)| t)
}

/// The key seed of `#[derive(Decode)]`'s structs (`kubarium-derive`): a
/// key's position in the struct's field names (`usize::MAX` if none),
/// found by one function for every struct rather than a string match
/// compiled into each.
pub struct FieldIndex(pub &'static [&'static str]);

impl<'de> DeserializeSeed<'de> for FieldIndex {
    type Value = usize;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl<'de> Visitor<'de> for FieldIndex {
    type Value = usize;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("field identifier")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<usize, E> {
        Ok(field_index(self.0, s))
    }
}

/// The value seed of `#[derive(Decode)]`'s fields: decodes the field's
/// type into the field in place. The drop of the default it replaces and
/// the store are then compiled once per field type, not at every field.
pub struct Place<'a, T>(pub &'a mut T);

impl<'de, T: de::Deserialize<'de>> DeserializeSeed<'de> for Place<'_, T> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        *self.0 = T::deserialize(d)?;
        Ok(())
    }
}

#[inline(never)]
fn field_index(fields: &[&str], key: &str) -> usize {
    fields.iter().position(|f| *f == key).unwrap_or(usize::MAX)
}

/// A YAML mapping's entries: key, its position, value.
type Entries<'a> = &'a [(String, Pos, Node)];

struct De<'a> {
    node: &'a Node,
    /// kubectl-style path of this node (with `[i]` indices).
    path: String,
    /// The innermost Go struct this node is a field of.
    strukt: &'static str,
    unknown: &'a RefCell<Vec<UnknownField>>,
}

/// Go's field path drops indices: `spec.containers[0].env[1].value` -> `spec.containers.env.value`.
fn go_path(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    let mut skip = false;
    for c in p.chars() {
        match c {
            '[' => skip = true,
            ']' => skip = false,
            _ if !skip => out.push(c),
            _ => {}
        }
    }
    out
}

/// Go types of list fields, for error messages.
fn go_list_type(path: &str) -> &'static str {
    let last = go_path(path).rsplit('.').next().unwrap_or("").to_string();
    match last.as_str() {
        "containers" | "initContainers" => "[]v1.Container",
        "volumes" => "[]v1.Volume",
        "env" => "[]v1.EnvVar",
        "envFrom" => "[]v1.EnvFromSource",
        "ports" if path.starts_with("spec.ports") => "[]v1.ServicePort",
        "ports" => "[]v1.ContainerPort",
        "volumeMounts" => "[]v1.VolumeMount",
        "tolerations" => "[]v1.Toleration",
        "taints" => "[]v1.Taint",
        "volumeClaimTemplates" => "[]v1.PersistentVolumeClaim",
        "accessModes" => "[]v1.PersistentVolumeAccessMode",
        "matchExpressions" | "matchFields" if path.contains("nodeSelectorTerms") || path.contains("preference") => "[]v1.NodeSelectorRequirement",
        "matchExpressions" => "[]v1.LabelSelectorRequirement",
        "requiredDuringSchedulingIgnoredDuringExecution" => "[]v1.PodAffinityTerm",
        "preferredDuringSchedulingIgnoredDuringExecution" if path.contains("nodeAffinity") => "[]v1.PreferredSchedulingTerm",
        "preferredDuringSchedulingIgnoredDuringExecution" => "[]v1.WeightedPodAffinityTerm",
        "nodeSelectorTerms" => "[]v1.NodeSelectorTerm",
        "ownerReferences" => "[]v1.OwnerReference",
        _ => "[]string",
    }
}

/// encoding/json's UnmarshalTypeError for `node` as field `path` of Go
/// struct `strukt` with Go type `go_type` (the typed decoder's and the
/// schema check's one wording).
pub fn type_error(node: &Node, strukt: &str, path: &str, go_type: &str) -> DecodeError {
    let what = match &node.v {
        Val::Int(i) if go_type.starts_with("int") || go_type.starts_with("uint") => format!("number {i}"),
        Val::Float(f) if go_type.starts_with("int") || go_type.starts_with("uint") => format!("number {f}"),
        _ => node.json_kind().to_string(),
    };
    let message = if strukt.is_empty() || path.is_empty() {
        format!("json: cannot unmarshal {what} into Go value of type {go_type}")
    } else {
        format!("json: cannot unmarshal {what} into Go struct field {strukt}.{} of type {go_type}", go_path(path))
    };
    DecodeError { message, pos: node.pos }
}

impl<'a> De<'a> {
    fn type_error(&self, go_type: &str) -> DecodeError {
        type_error(self.node, self.strukt, &self.path, go_type)
    }

    fn child(&self, node: &'a Node, path: String) -> De<'a> {
        De { node, path, strukt: self.strukt, unknown: self.unknown }
    }

    fn int<V: Visitor<'a>>(self, v: V, go_type: &str, lo: i64, hi: i64) -> Result<V::Value, DecodeError> {
        match &self.node.v {
            Val::Null => v.visit_i64(0),
            Val::Int(i) if *i >= lo && *i <= hi => v.visit_i64(*i),
            Val::Float(f) if f.fract() == 0.0 && *f >= lo as f64 && *f <= hi as f64 => v.visit_i64(*f as i64),
            _ => Err(self.type_error(go_type)),
        }
        .map_err(|e| self.locate(e))
    }

    // What the `deserialize_*` methods do before calling their visitor,
    // compiled once rather than once per visitor type. Errors are located.

    #[inline(never)]
    fn str(&self) -> Result<&'a str, DecodeError> {
        match &self.node.v {
            Val::Null => Ok(""),
            Val::Str(s) => Ok(s),
            _ => Err(self.locate(self.type_error("string"))),
        }
    }

    #[inline(never)]
    fn seq_items(&self) -> Result<&'a [Node], DecodeError> {
        match &self.node.v {
            Val::Null => Ok(&[]),
            Val::Seq(items) => Ok(items),
            _ => Err(self.locate(self.type_error(go_list_type(&self.path)))),
        }
    }

    /// The entries of a map, or of the struct `strukt` (for the error).
    #[inline(never)]
    fn map_entries(&self, strukt: Option<&str>) -> Result<Entries<'a>, DecodeError> {
        match &self.node.v {
            Val::Null => Ok(&[]),
            Val::Map(entries) => Ok(entries),
            // Every struct decoded here, metav1.Time included, lives in
            // a Go package named v1 (core, apps, meta, storage, policy).
            _ => Err(self.locate(match strukt {
                Some(name) => self.type_error(&format!("v1.{name}")),
                None => self.type_error("map[string]string"),
            })),
        }
    }

    #[inline(never)]
    fn struct_parts(&self, name: &'static str) -> Result<(De<'a>, Entries<'a>), DecodeError> {
        // PodAntiAffinity is PodAffinity's Rust type (api/core.rs); Go names it.
        let name = if name == "PodAffinity" && self.path.ends_with("podAntiAffinity") { "PodAntiAffinity" } else { name };
        let entries = self.map_entries(Some(name))?;
        Ok((De { node: self.node, path: self.path.clone(), strukt: name, unknown: self.unknown }, entries))
    }

    fn locate(&self, mut e: DecodeError) -> DecodeError {
        if e.pos == Pos::default() {
            e.pos = self.node.pos;
        }
        e
    }
}

macro_rules! ints {
    ($($m:ident $t:literal $lo:expr, $hi:expr;)*) => {$(
        fn $m<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DecodeError> {
            self.int(v, $t, $lo as i64, $hi as i64)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for De<'de> {
    type Error = DecodeError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DecodeError> {
        let r = match &self.node.v {
            Val::Null => v.visit_unit(),
            Val::Bool(b) => v.visit_bool(*b),
            Val::Int(i) => v.visit_i64(*i),
            Val::Float(f) => v.visit_f64(*f),
            Val::Str(s) => v.visit_str(s),
            Val::Seq(items) => v.visit_seq(Seq { de: &self, items, i: 0 }),
            Val::Map(entries) => v.visit_map(Map { de: &self, entries, i: 0, fields: None, value: None }),
        };
        r.map_err(|e| self.locate(e))
    }

    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DecodeError> {
        match &self.node.v {
            Val::Null => v.visit_bool(false),
            Val::Bool(b) => v.visit_bool(*b),
            _ => Err(self.type_error("bool")),
        }
    }

    ints! {
        deserialize_i8 "int8" i8::MIN, i8::MAX;
        deserialize_i16 "int16" i16::MIN, i16::MAX;
        deserialize_i32 "int32" i32::MIN, i32::MAX;
        deserialize_i64 "int64" i64::MIN, i64::MAX;
        deserialize_u8 "uint8" 0, u8::MAX;
        deserialize_u16 "uint16" 0, u16::MAX;
        deserialize_u32 "uint32" 0, u32::MAX;
        deserialize_u64 "uint64" 0, i64::MAX;
    }

    fn deserialize_f32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DecodeError> {
        self.deserialize_f64(v)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DecodeError> {
        match &self.node.v {
            Val::Null => v.visit_f64(0.0),
            Val::Int(i) => v.visit_f64(*i as f64),
            Val::Float(f) => v.visit_f64(*f),
            _ => Err(self.type_error("float64")),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DecodeError> {
        self.deserialize_str(v)
    }

    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DecodeError> {
        let s = self.str()?;
        v.visit_str(s).map_err(|e| self.locate(e))
    }

    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DecodeError> {
        self.deserialize_str(v)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DecodeError> {
        self.deserialize_str(v)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DecodeError> {
        self.deserialize_str(v)
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DecodeError> {
        match &self.node.v {
            Val::Null => v.visit_none(),
            _ => v.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DecodeError> {
        v.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _: &'static str, v: V) -> Result<V::Value, DecodeError> {
        v.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _: &'static str, v: V) -> Result<V::Value, DecodeError> {
        v.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DecodeError> {
        let items = self.seq_items()?;
        v.visit_seq(Seq { de: &self, items, i: 0 }).map_err(|e| self.locate(e))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, v: V) -> Result<V::Value, DecodeError> {
        self.deserialize_seq(v)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(self, _: &'static str, _: usize, v: V) -> Result<V::Value, DecodeError> {
        self.deserialize_seq(v)
    }

    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DecodeError> {
        let entries = self.map_entries(None)?;
        v.visit_map(Map { de: &self, entries, i: 0, fields: None, value: None }).map_err(|e| self.locate(e))
    }

    fn deserialize_struct<V: Visitor<'de>>(self, name: &'static str, fields: &'static [&'static str], v: V) -> Result<V::Value, DecodeError> {
        let (inner, entries) = self.struct_parts(name)?;
        v.visit_map(Map { de: &inner, entries, i: 0, fields: Some(fields), value: None }).map_err(|e| self.locate(e))
    }

    fn deserialize_enum<V: Visitor<'de>>(self, _: &'static str, _: &'static [&'static str], v: V) -> Result<V::Value, DecodeError> {
        match &self.node.v {
            Val::Str(s) => v.visit_enum(s.as_str().into_deserializer()),
            _ => Err(self.type_error("string")),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DecodeError> {
        self.deserialize_str(v)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DecodeError> {
        v.visit_unit()
    }
}

struct Seq<'a, 'b> {
    de: &'b De<'a>,
    items: &'a [Node],
    i: usize,
}

impl<'a> SeqAccess<'a> for Seq<'a, '_> {
    type Error = DecodeError;
    fn next_element_seed<T: DeserializeSeed<'a>>(&mut self, seed: T) -> Result<Option<T::Value>, DecodeError> {
        match self.next_de() {
            Some(de) => seed.deserialize(de).map(Some),
            None => Ok(None),
        }
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len() - self.i)
    }
}

impl<'a> Seq<'a, '_> {
    /// The next item's deserializer: the part of `next_element_seed` that
    /// does not depend on the element type, compiled once.
    #[inline(never)]
    fn next_de(&mut self) -> Option<De<'a>> {
        let item = self.items.get(self.i)?;
        let path = format!("{}[{}]", self.de.path, self.i);
        self.i += 1;
        Some(self.de.child(item, path))
    }
}

struct Map<'a, 'b> {
    de: &'b De<'a>,
    entries: &'a [(String, Pos, Node)],
    i: usize,
    /// For structs: the known field names; others are reported and skipped.
    fields: Option<&'static [&'static str]>,
    value: Option<&'a (String, Pos, Node)>,
}

impl<'a> MapAccess<'a> for Map<'a, '_> {
    type Error = DecodeError;
    fn next_key_seed<K: DeserializeSeed<'a>>(&mut self, seed: K) -> Result<Option<K::Value>, DecodeError> {
        match self.next_key() {
            Some(k) => {
                let key: de::value::StrDeserializer<DecodeError> = k.into_deserializer();
                seed.deserialize(key).map(Some)
            }
            None => Ok(None),
        }
    }
    fn next_value_seed<V: DeserializeSeed<'a>>(&mut self, seed: V) -> Result<V::Value, DecodeError> {
        seed.deserialize(self.value_de()?)
    }
}

// The parts of `next_key_seed` and `next_value_seed` that do not depend on
// the field's type, compiled once rather than once per field type.
impl<'a> Map<'a, '_> {
    #[inline(never)]
    fn next_key(&mut self) -> Option<&'a str> {
        while let Some(e) = self.entries.get(self.i) {
            self.i += 1;
            if let Some(fields) = self.fields
                && !fields.contains(&e.0.as_str())
            {
                let path = self.path_of(&e.0);
                self.de.unknown.borrow_mut().push(UnknownField { path, pos: e.1 });
                continue;
            }
            self.value = Some(e);
            return Some(e.0.as_str());
        }
        None
    }

    #[inline(never)]
    fn value_de(&mut self) -> Result<De<'a>, DecodeError> {
        let e = self.value.take().ok_or_else(|| de::Error::custom("value without a key"))?;
        let path = self.path_of(&e.0);
        Ok(self.de.child(&e.2, path))
    }

    fn path_of(&self, key: &str) -> String {
        if self.de.path.is_empty() { key.to_string() } else { format!("{}.{}", self.de.path, key) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::api::{Deployment, PersistentVolumeClaim, Pod, StatefulSet};
    use crate::engine::yaml::parse_stream;

    fn first(src: &str) -> Node {
        parse_stream(src).unwrap().remove(0).node
    }

    #[test]
    fn unknown_fields_with_positions() {
        let n = first(
            "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: web\nspec:\n  replica: 3\n  template:\n    spec:\n      containers:\n      - name: a\n        imagee: x\n",
        );
        let (s, unknown): (StatefulSet, _) = decode(&n).unwrap();
        assert_eq!(s.metadata.name, "web");
        assert_eq!(
            unknown,
            vec![
                UnknownField { path: "spec.replica".into(), pos: Pos { line: 6, col: 3 } },
                UnknownField { path: "spec.template.spec.containers[0].imagee".into(), pos: Pos { line: 11, col: 9 } },
            ]
        );
    }

    #[test]
    fn type_errors_read_like_go() {
        let n = first("spec:\n  replicas: three\n");
        let e = decode::<StatefulSet>(&n).unwrap_err();
        assert_eq!(e.message, "json: cannot unmarshal string into Go struct field StatefulSetSpec.spec.replicas of type int32");
        assert_eq!(e.pos, Pos { line: 2, col: 13 });
        let n = first("spec:\n  template:\n    spec:\n      containers:\n      - name: a\n        env:\n        - name: X\n          value: 5432\n");
        let e = decode::<Deployment>(&n).unwrap_err();
        assert_eq!(e.message, "json: cannot unmarshal number into Go struct field EnvVar.spec.template.spec.containers.env.value of type string");
        assert_eq!(e.pos.line, 8);
        let n = first("spec:\n  resources:\n    requests:\n      storage: 1Gx\n");
        let e = decode::<PersistentVolumeClaim>(&n).unwrap_err();
        assert!(e.message.starts_with("quantities must match the regular expression"), "{}", e.message);
        assert_eq!(e.pos.line, 4);
    }

    #[test]
    fn affinity_is_typed() {
        let n = first(
            "spec:\n  affinity:\n    podAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n      - labelSelector: {matchLabels: {app: db}}\n        topologykey: zone\n",
        );
        let (p, unknown): (Pod, _) = decode(&n).unwrap();
        let path = "spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologykey";
        assert_eq!(unknown, vec![UnknownField { path: path.into(), pos: Pos { line: 6, col: 9 } }]);
        let terms = &p.spec.affinity.unwrap().pod_affinity.unwrap().required_during_scheduling_ignored_during_execution;
        assert_eq!(terms[0].label_selector.as_ref().unwrap().match_labels["app"], "db");
        let n = first(
            "spec:\n  affinity:\n    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms:\n        - matchFields: {key: metadata.name}\n",
        );
        let e = decode::<Pod>(&n).unwrap_err();
        let want = "json: cannot unmarshal object into Go struct field NodeSelectorTerm.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.matchFields of type []v1.NodeSelectorRequirement";
        assert_eq!(e.message, want);
        let n = first("spec:\n  affinity:\n    podAntiAffinity:\n      preferredDuringSchedulingIgnoredDuringExecution:\n      - weight: heavy\n");
        let e = decode::<Pod>(&n).unwrap_err();
        let want = "json: cannot unmarshal string into Go struct field WeightedPodAffinityTerm.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution.weight of type int32";
        assert_eq!(e.message, want);
        let n = first("spec:\n  affinity:\n    podAntiAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution: {topologyKey: zone}\n");
        let e = decode::<Pod>(&n).unwrap_err();
        let want = "json: cannot unmarshal object into Go struct field PodAntiAffinity.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution of type []v1.PodAffinityTerm";
        assert_eq!(e.message, want);
    }

    #[test]
    fn nulls_and_opaque_values() {
        let n = first("metadata:\n  labels: null\nspec:\n  containers:\n  - name: a\n    securityContext:\n      anything: [1, 2]\n");
        let (p, unknown): (Pod, _) = decode(&n).unwrap();
        assert!(unknown.is_empty());
        assert!(p.spec.containers[0].security_context.is_some());
    }
}
