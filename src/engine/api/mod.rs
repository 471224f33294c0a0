//! The API types and the registry of kinds (group, version, resource names,
//! scope) that the API server, kubectl and the store share.

pub mod apps;
pub mod conditions;
pub mod core;
pub mod cron;
pub mod custom;
pub mod extra;
pub mod generic;
pub mod meta;
pub mod scale;
pub mod schema;
pub mod storage;
pub mod vocab;

pub use self::apps::*;
pub use self::conditions::*;
pub use self::core::*;
pub use self::generic::Generic;
pub use self::meta::*;
pub use self::storage::*;
pub use self::vocab::*;

use serde::Serialize;

/// Static facts about a kind, as API discovery would report them.
#[derive(Debug, PartialEq)]
pub struct KindInfo {
    pub kind: &'static str,
    pub group: &'static str,
    pub version: &'static str,
    /// The plural resource name (`statefulsets`).
    pub plural: &'static str,
    pub singular: &'static str,
    pub short_names: &'static [&'static str],
    pub namespaced: bool,
    /// The other versions the kind is served in (`autoscaling/v1` beside
    /// the preferred `v2`).
    pub also: &'static [&'static str],
    /// Discovery categories (`all`: what `kubectl get all` lists).
    pub categories: &'static [&'static str],
}

impl KindInfo {
    /// Whether `api_version` (`autoscaling/v1`) is one this kind is served in.
    pub fn serves(&self, api_version: &str) -> bool {
        let (g, v) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        g == self.group && (v == self.version || self.also.contains(&v))
    }
    /// The version of `api_version` if the kind is served in it, else the preferred one.
    pub fn version_of<'a>(&'a self, api_version: &'a str) -> &'a str {
        if self.serves(api_version) { api_version.rsplit('/').next().unwrap_or(self.version) } else { self.version }
    }
    pub fn api_version(&self) -> String {
        if self.group.is_empty() { self.version.to_string() } else { format!("{}/{}", self.group, self.version) }
    }
    /// `statefulset.apps`, `pod`, `storageclass.storage.k8s.io`: how kubectl
    /// names the kind in `kind/name` output.
    pub fn qualified_singular(&self) -> String {
        if self.group.is_empty() { self.singular.to_string() } else { format!("{}.{}", self.singular, self.group) }
    }
    /// `statefulsets.apps`, as error messages name the resource.
    pub fn qualified_plural(&self) -> String {
        if self.group.is_empty() { self.plural.to_string() } else { format!("{}.{}", self.plural, self.group) }
    }
}

macro_rules! kinds {
    (
        typed { $( $variant:ident($ty:ty) = $kind:literal, $group:literal, $version:literal, [$($also:literal),*], $plural:literal, $singular:literal, [$($short:literal),*], $namespaced:literal, [$($cat:literal),*]; )* }
        generic { $( $gvariant:ident = $gkind:literal, $ggroup:literal, $gversion:literal, [$($galso:literal),*], $gplural:literal, $gsingular:literal, [$($gshort:literal),*], $gnamespaced:literal, [$($gcat:literal),*]; )* }
    ) => {
        /// Every kind the simulated API server serves: the typed ones the
        /// engine interprets, then the ones it stores as [`Generic`].
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Kind {
            $($variant,)* $($gvariant,)*
            /// A kind a CustomResourceDefinition defines ([`custom`]).
            Custom(custom::CustomKind),
        }

        /// The built-in kinds' positions (the store's table for each).
        #[derive(Clone, Copy)]
        enum Slot { $($variant,)* $($gvariant,)* }

        impl Kind {
            /// The built-in kinds.
            pub const ALL: &'static [Kind] = &[$(Kind::$variant,)* $(Kind::$gvariant,)*];
            /// Its table's position in the store: the built-in kinds in
            /// `ALL`'s order, then the custom kinds.
            pub fn index(self) -> usize {
                match self {
                    $(Kind::$variant => Slot::$variant as usize,)*
                    $(Kind::$gvariant => Slot::$gvariant as usize,)*
                    Kind::Custom(c) => Kind::ALL.len() + c.index(),
                }
            }
            pub fn info(self) -> &'static KindInfo {
                match self {
                    Kind::Custom(c) => c.info(),
                    $(Kind::$variant => &KindInfo {
                        kind: $kind, group: $group, version: $version, also: &[$($also),*], plural: $plural,
                        singular: $singular, short_names: &[$($short),*], namespaced: $namespaced, categories: &[$($cat),*],
                    },)*
                    $(Kind::$gvariant => &KindInfo {
                        kind: $gkind, group: $ggroup, version: $gversion, also: &[$($galso),*], plural: $gplural,
                        singular: $gsingular, short_names: &[$($gshort),*], namespaced: $gnamespaced, categories: &[$($gcat),*],
                    },)*
                }
            }
            /// Whether the engine stores this kind as a [`Generic`] object
            /// (checked against the schema table, interpreted by nothing).
            pub fn is_generic(self) -> bool {
                !matches!(self, $(Kind::$variant)|*)
            }
        }

        /// An API object of any kind.
        #[derive(Clone, Debug, PartialEq)]
        pub enum Object { $($variant($ty),)* Generic(Generic) }

        impl Object {
            pub fn kind(&self) -> Kind {
                match self { $(Object::$variant(_) => Kind::$variant,)* Object::Generic(g) => g.kind }
            }
            pub fn meta(&self) -> &ObjectMeta {
                match self { $(Object::$variant(o) => &o.metadata,)* Object::Generic(g) => &g.metadata }
            }
            pub fn meta_mut(&mut self) -> &mut ObjectMeta {
                match self { $(Object::$variant(o) => &mut o.metadata,)* Object::Generic(g) => &mut g.metadata }
            }
            /// The object as JSON (Go's encoding/json shape, keys sorted).
            pub fn to_value(&self) -> serde_json::Value {
                match self {
                    $(Object::$variant(o) => extra::with(to_json(o), &o.metadata),)*
                    Object::Generic(g) => g.to_value(),
                }
            }
            /// Decodes a manifest tree of the given kind, collecting unknown fields.
            pub fn decode(kind: Kind, node: &crate::engine::yaml::Node) -> Result<(Object, Vec<crate::engine::decode::UnknownField>), crate::engine::decode::DecodeError> {
                match kind {
                    $(Kind::$variant => {
                        let (mut o, unknown) = crate::engine::decode::decode::<$ty>(node)?;
                        let unknown = extra::keep(kind, node, &mut o.metadata, unknown);
                        Ok((Object::$variant(o), unknown))
                    })*
                    _ => {
                        let (g, unknown) = Generic::decode(kind, node)?;
                        Ok((Object::Generic(g), unknown))
                    }
                }
            }
            fn set_type_meta(&mut self) {
                match self {
                    $(Object::$variant(o) => {
                        let info = Kind::$variant.info();
                        o.api_version = info.api_version();
                        o.kind = info.kind.to_string();
                    })*
                    Object::Generic(g) => {
                        let info = g.kind.info();
                        if !info.serves(&g.api_version) {
                            g.api_version = info.api_version();
                        }
                    }
                }
            }
        }

        $(
            impl Resource for $ty {
                const KIND: Kind = Kind::$variant;
                fn meta(&self) -> &ObjectMeta { &self.metadata }
                fn meta_mut(&mut self) -> &mut ObjectMeta { &mut self.metadata }
                fn into_object(self) -> Object { Object::$variant(self) }
                fn from_object(o: &Object) -> Option<&Self> {
                    match o { Object::$variant(x) => Some(x), _ => None }
                }
                fn from_object_owned(o: Object) -> Option<Self> {
                    match o { Object::$variant(x) => Some(x), _ => None }
                }
            }
        )*
    };
}

// The table of kinds, generated from the Kubernetes API definitions.
include!("kinds.rs");

/// A typed API object.
pub trait Resource: Clone + Sized + 'static {
    const KIND: Kind;
    fn meta(&self) -> &ObjectMeta;
    fn meta_mut(&mut self) -> &mut ObjectMeta;
    fn into_object(self) -> Object;
    fn from_object(o: &Object) -> Option<&Self>;
    fn from_object_owned(o: Object) -> Option<Self>;
    fn name(&self) -> &str {
        &self.meta().name
    }
    fn namespace(&self) -> &str {
        &self.meta().namespace
    }
    fn key(&self) -> ObjKey {
        ObjKey::new(&self.meta().namespace, &self.meta().name)
    }
    fn obj_ref(&self) -> ObjRef {
        ObjRef { kind: Self::KIND, key: self.key() }
    }
}

/// An API type as JSON. Written as text and read back rather than through
/// serde_json's Value serializer: every type's Serialize is then compiled
/// once, for the text writer (which the pod-template-hash and the saves
/// need anyway), not a second time for the Value serializer (the wasm is
/// smaller). Our types always serialize (string keys only).
pub fn to_json<T: Serialize>(o: &T) -> serde_json::Value {
    serde_json::to_string(o).ok().and_then(|t| serde_json::from_str(&t).ok()).unwrap_or(serde_json::Value::Null)
}

impl Object {
    /// Decodes a JSON value (a patched object, a JSON manifest).
    pub fn from_value(kind: Kind, v: &serde_json::Value) -> Result<(Object, Vec<crate::engine::decode::UnknownField>), crate::engine::decode::DecodeError> {
        Object::decode(kind, &crate::engine::yaml::Node::from_json(v))
    }
    /// Fills apiVersion and kind from the registry.
    pub fn with_type_meta(mut self) -> Object {
        self.set_type_meta();
        self
    }
    pub fn key(&self) -> ObjKey {
        ObjKey::new(&self.meta().namespace, &self.meta().name)
    }
    pub fn obj_ref(&self) -> ObjRef {
        ObjRef { kind: self.kind(), key: self.key() }
    }
    pub fn as_<T: Resource>(&self) -> Option<&T> {
        T::from_object(self)
    }
}

impl Kind {
    /// Looks a kind up by any name kubectl accepts: plural, singular, short
    /// name, kind, optionally qualified with its group (`statefulsets.apps`).
    pub fn lookup(name: &str) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| k.names_it(name))
    }
    /// Whether `name` is one kubectl accepts for this kind ([`names`]).
    pub fn names_it(self, name: &str) -> bool {
        let i = self.info();
        names(name, i.kind, i.group, i.plural, i.short_names, |v| i.serves(&format!("{}/{v}", i.group)))
    }
    /// Finds a kind from a manifest's apiVersion and kind.
    pub fn from_type_meta(api_version: &str, kind: &str) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| k.info().kind == kind && k.info().serves(api_version))
    }
    pub fn namespaced(self) -> bool {
        self.info().namespaced
    }
}

/// Whether `name` is one kubectl accepts for a resource: its plural,
/// singular (the kind in lower case), a short name or the kind, optionally
/// qualified with its group or `version.group` (`statefulsets.apps`,
/// `hpa.v1.autoscaling`).
fn names(name: &str, kind: &str, group: &str, plural: &str, short: &[&str], serves: impl Fn(&str) -> bool) -> bool {
    let lower = name.to_ascii_lowercase();
    let (base, g) = lower.split_once('.').map_or((lower.as_str(), None), |(b, g)| (b, Some(g)));
    let group_ok = g.is_none_or(|g| g == group || (g == "v1" && group.is_empty()) || g.split_once('.').is_some_and(|(v, rest)| rest == group && serves(v)));
    group_ok && (base == plural || base == kind.to_ascii_lowercase() || short.contains(&base))
}

/// A resource discovery lists that is served without create and list (the
/// access reviews, `bindings`, `componentstatuses`: [`UNLISTED`]), by any
/// name kubectl accepts for it: nothing is stored.
pub fn unlisted(name: &str) -> Option<&'static KindInfo> {
    UNLISTED.iter().find(|u| names(name, u.kind, u.group, u.plural, u.short_names, |v| v == u.version))
}

/// Namespace (empty for cluster-scoped objects) and name: the store key.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjKey {
    pub namespace: String,
    pub name: String,
}

impl ObjKey {
    pub fn new(namespace: &str, name: &str) -> ObjKey {
        ObjKey { namespace: namespace.into(), name: name.into() }
    }
    pub fn cluster(name: &str) -> ObjKey {
        ObjKey { namespace: String::new(), name: name.into() }
    }
}

impl std::fmt::Display for ObjKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.namespace.is_empty() { f.write_str(&self.name) } else { write!(f, "{}/{}", self.namespace, self.name) }
    }
}

/// A reference to an object of some kind.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjRef {
    pub kind: Kind,
    pub key: ObjKey,
}

impl ObjRef {
    pub fn new(kind: Kind, namespace: &str, name: &str) -> ObjRef {
        ObjRef { kind, key: ObjKey::new(namespace, name) }
    }
}

impl std::fmt::Display for ObjRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.kind.info().qualified_singular(), self.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_names() {
        assert_eq!(Kind::lookup("sts"), Some(Kind::StatefulSet));
        assert_eq!(Kind::lookup("statefulsets.apps"), Some(Kind::StatefulSet));
        assert_eq!(Kind::lookup("pvc"), Some(Kind::PersistentVolumeClaim));
        assert_eq!(Kind::lookup("PersistentVolume"), Some(Kind::PersistentVolume));
        assert_eq!(Kind::lookup("storageclass"), Some(Kind::StorageClass));
        assert_eq!(Kind::lookup("po"), Some(Kind::Pod));
        assert_eq!(Kind::lookup("deploy"), Some(Kind::Deployment));
        assert_eq!(Kind::lookup("volumeattachments"), Some(Kind::VolumeAttachment));
        assert_eq!(Kind::lookup("widgets"), None);
        assert_eq!(Kind::lookup("horizontalpodautoscalers.v1.autoscaling"), Some(Kind::HorizontalPodAutoscaler));
        assert_eq!(Kind::lookup("hpa.v2.autoscaling"), Some(Kind::HorizontalPodAutoscaler));
        assert_eq!(Kind::lookup("hpa.v3.autoscaling"), None);
        assert_eq!(Kind::lookup("events.events.k8s.io"), Some(Kind::EventsEvent));
        assert_eq!(Kind::lookup("events"), Some(Kind::Event));
        assert_eq!(Kind::StatefulSet.info().qualified_singular(), "statefulset.apps");
        assert_eq!(Kind::from_type_meta("apps/v1", "Deployment"), Some(Kind::Deployment));
    }

    #[test]
    fn objects_round_trip_through_json() {
        let v = serde_json::json!({"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"web"},"spec":{"replicas":3}});
        let (o, unknown) = Object::from_value(Kind::StatefulSet, &v).unwrap();
        assert!(unknown.is_empty());
        assert_eq!(o.kind(), Kind::StatefulSet);
        assert_eq!(o.to_value()["spec"]["replicas"], 3);
    }
}
