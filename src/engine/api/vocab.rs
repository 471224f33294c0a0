//! The Kubernetes vocabulary: the string enumerations of the API (phases,
//! condition statuses, strategies, access modes, policies) as Rust enums.
//!
//! Go declares each as `type X string` with constants; a manifest may hold
//! any string there, and validation refuses the ones it does not know with
//! its exact "Unsupported value" text. So every enum here has an
//! `Other(String)` arm that keeps what was written (the empty string, Go's
//! zero value, is `Other("")`, the default), and (de)serializes through its
//! string form: documents decode and print byte for byte as before.
//! Code compares the enums, never the strings.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One vocabulary type: the enum, `as_str`, `parse`, `Display`, `From<&str>`
/// and serde through the string form (one shared helper per direction, so
/// each enum adds only its two small tables to the wasm).
macro_rules! vocab {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $var:ident = $s:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vm])* $var,)*
            /// A value the API does not define (validation refuses it), or
            /// the empty string (unset).
            Other(String),
        }

        impl $name {
            /// Every value the API defines, in upstream's order.
            pub const KNOWN: &'static [&'static str] = &[$($s),*];

            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$var => $s,)*
                    Self::Other(s) => s,
                }
            }

            pub fn parse(s: &str) -> Self {
                match s {
                    $($s => Self::$var,)*
                    _ => Self::Other(s.to_string()),
                }
            }

            /// Unset (Go's zero value, the empty string).
            pub fn is_empty(&self) -> bool {
                matches!(self, Self::Other(s) if s.is_empty())
            }

            /// A value the API defines.
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Other(_))
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::Other(String::new())
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self::parse(s)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                de_string(d).map(|s| Self::parse(&s))
            }
        }
    };
}

/// Decodes the string form exactly as a `String` field decodes (same type
/// errors, same null handling): shared by every vocabulary type.
fn de_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    String::deserialize(d)
}

vocab! {
    /// `v1.ConditionStatus`.
    ConditionStatus { True = "True", False = "False", Unknown = "Unknown" }
}

impl ConditionStatus {
    /// The status for a boolean condition.
    pub fn of(b: bool) -> ConditionStatus {
        if b { ConditionStatus::True } else { ConditionStatus::False }
    }
    pub fn is_true(&self) -> bool {
        *self == ConditionStatus::True
    }
}

vocab! {
    /// The type of a status condition, every kind's in one enum: upstream
    /// declares one Go type per kind (`v1.PodConditionType`,
    /// `v1.NodeConditionType`, `apps/v1.DeploymentConditionType`, ...) and
    /// some share values (`Ready` is both a pod's and a node's); one table
    /// is smaller in the wasm than one per kind. A kind's own values are
    /// listed together, in upstream's order.
    ConditionType {
        // v1.PodConditionType
        ContainersReady = "ContainersReady",
        Initialized = "Initialized",
        Ready = "Ready",
        PodScheduled = "PodScheduled",
        DisruptionTarget = "DisruptionTarget",
        PodReadyToStartContainers = "PodReadyToStartContainers",
        PodResizePending = "PodResizePending",
        PodResizeInProgress = "PodResizeInProgress",
        // v1.NodeConditionType (and Ready)
        MemoryPressure = "MemoryPressure",
        DiskPressure = "DiskPressure",
        PIDPressure = "PIDPressure",
        NetworkUnavailable = "NetworkUnavailable",
        // v1.NamespaceConditionType
        NamespaceDeletionDiscoveryFailure = "NamespaceDeletionDiscoveryFailure",
        NamespaceDeletionContentFailure = "NamespaceDeletionContentFailure",
        NamespaceDeletionGroupVersionParsingFailure = "NamespaceDeletionGroupVersionParsingFailure",
        NamespaceContentRemaining = "NamespaceContentRemaining",
        NamespaceFinalizersRemaining = "NamespaceFinalizersRemaining",
        // v1.PersistentVolumeClaimConditionType
        Resizing = "Resizing",
        FileSystemResizePending = "FileSystemResizePending",
        // apps/v1.DeploymentConditionType and ReplicaSetConditionType
        Available = "Available",
        Progressing = "Progressing",
        ReplicaFailure = "ReplicaFailure",
        // policy/v1 PodDisruptionBudget (a metav1.Condition type)
        DisruptionAllowed = "DisruptionAllowed",
    }
}

vocab! {
    /// `v1.PodPhase`.
    PodPhase { Pending = "Pending", Running = "Running", Succeeded = "Succeeded", Failed = "Failed", Unknown = "Unknown" }
}

impl PodPhase {
    /// Succeeded or Failed: the pod will not run again.
    pub fn is_terminal(&self) -> bool {
        matches!(self, PodPhase::Succeeded | PodPhase::Failed)
    }
}

vocab! {
    /// `v1.PersistentVolumeClaimPhase`.
    PersistentVolumeClaimPhase { Pending = "Pending", Bound = "Bound", Lost = "Lost" }
}

vocab! {
    /// `v1.PersistentVolumePhase`.
    PersistentVolumePhase { Pending = "Pending", Available = "Available", Bound = "Bound", Released = "Released", Failed = "Failed" }
}

vocab! {
    /// `v1.NamespacePhase`.
    NamespacePhase { Active = "Active", Terminating = "Terminating" }
}

vocab! {
    /// `v1.PersistentVolumeAccessMode`.
    PersistentVolumeAccessMode {
        ReadWriteOnce = "ReadWriteOnce",
        ReadOnlyMany = "ReadOnlyMany",
        ReadWriteMany = "ReadWriteMany",
        ReadWriteOncePod = "ReadWriteOncePod",
    }
}

impl PersistentVolumeAccessMode {
    /// The abbreviation kubectl prints (`RWO`), none for an unknown mode.
    pub fn short(&self) -> Option<&'static str> {
        match self {
            Self::ReadWriteOnce => Some("RWO"),
            Self::ReadOnlyMany => Some("ROX"),
            Self::ReadWriteMany => Some("RWX"),
            Self::ReadWriteOncePod => Some("RWOP"),
            Self::Other(_) => None,
        }
    }
}

/// `GetAccessModesAsString`: the modes present, abbreviated, in a fixed
/// order (RWO, ROX, RWX, RWOP), each once; unknown modes left out.
pub fn access_modes_string(modes: &[PersistentVolumeAccessMode]) -> String {
    use PersistentVolumeAccessMode::*;
    let mut out = vec![];
    for m in [ReadWriteOnce, ReadOnlyMany, ReadWriteMany, ReadWriteOncePod] {
        if modes.contains(&m) {
            out.extend(m.short());
        }
    }
    out.join(",")
}

vocab! {
    /// `v1.PersistentVolumeReclaimPolicy`.
    PersistentVolumeReclaimPolicy { Recycle = "Recycle", Delete = "Delete", Retain = "Retain" }
}

vocab! {
    /// `storage/v1.VolumeBindingMode`.
    VolumeBindingMode { Immediate = "Immediate", WaitForFirstConsumer = "WaitForFirstConsumer" }
}

vocab! {
    /// `apps/v1.DeploymentStrategyType`.
    DeploymentStrategyType { Recreate = "Recreate", RollingUpdate = "RollingUpdate" }
}

vocab! {
    /// `apps/v1.PodManagementPolicyType`.
    PodManagementPolicyType { OrderedReady = "OrderedReady", Parallel = "Parallel" }
}

vocab! {
    /// `apps/v1.StatefulSetUpdateStrategyType`.
    StatefulSetUpdateStrategyType { RollingUpdate = "RollingUpdate", OnDelete = "OnDelete" }
}

vocab! {
    /// `apps/v1.PersistentVolumeClaimRetentionPolicyType`.
    PersistentVolumeClaimRetentionPolicyType { Retain = "Retain", Delete = "Delete" }
}

vocab! {
    /// `metav1.DeletionPropagation`: what happens to an object's dependents
    /// when it is deleted.
    DeletionPropagation { Orphan = "Orphan", Background = "Background", Foreground = "Foreground" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_round_trip_and_unknown_values_are_kept() {
        for s in PodPhase::KNOWN {
            assert_eq!(PodPhase::parse(s).as_str(), *s);
            assert!(PodPhase::parse(s).is_known());
        }
        assert_eq!(PodPhase::parse("Runing"), PodPhase::Other("Runing".into()));
        assert_eq!(PodPhase::parse("Runing").as_str(), "Runing");
        assert!(PodPhase::default().is_empty());
        assert_eq!(serde_json::to_string(&ConditionStatus::True).unwrap(), "\"True\"");
        let v: Vec<PersistentVolumeAccessMode> = serde_json::from_str(r#"["ReadWriteOncePod","rwo"]"#).unwrap();
        assert_eq!(v, vec![PersistentVolumeAccessMode::ReadWriteOncePod, PersistentVolumeAccessMode::Other("rwo".into())]);
        assert!(serde_json::from_str::<ConditionStatus>("1").is_err());
    }
}
