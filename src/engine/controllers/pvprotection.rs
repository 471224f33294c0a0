//! The pv-protection controller (pkg/controller/volume/pvprotection): a
//! PersistentVolume marked for deletion keeps its `kubernetes.io/pv-protection`
//! finalizer while it is Bound to a claim.

use super::{Controller, Ctl, Cx, WorkQueue};
use crate::engine::api::*;
use crate::engine::apiserver::Api;
use crate::engine::storage::FINALIZER_PV_PROTECTION;
use crate::engine::store::Change;

#[derive(Clone, Default)]
pub struct PvProtection;

impl Controller for PvProtection {
    fn id(&self) -> Ctl {
        Ctl::PvProtection
    }

    fn watch(&mut self, ch: &Change, _api: &Api, q: &mut WorkQueue) {
        if let (_, Some(v)) = ch.typed::<PersistentVolume>()
            && v.metadata.is_deleting()
            && v.metadata.has_finalizer(FINALIZER_PV_PROTECTION)
        {
            q.add(ch.obj_ref());
        }
    }

    fn sync(&mut self, key: &ObjRef, cx: &mut Cx) {
        let Some(v) = cx.api.get_t::<PersistentVolume>("", &key.key.name) else { return };
        if !v.metadata.is_deleting() || !v.metadata.has_finalizer(FINALIZER_PV_PROTECTION) {
            return;
        }
        // isBeingUsed: the PV controller says Bound.
        if v.status.phase == PersistentVolumePhase::Bound {
            return;
        }
        let _ = cx.api.remove_finalizer(Kind::PersistentVolume, &key.key, FINALIZER_PV_PROTECTION);
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::Cluster;
    use crate::engine::api::*;
    use crate::engine::quantity::Quantity;

    #[test]
    fn a_bound_volume_waits_for_its_claim_to_go() {
        let mut c = Cluster::new(1);
        let mut v = PersistentVolume::default();
        v.metadata.name = "v".into();
        v.spec.capacity.insert("storage".into(), Quantity::parse("1Gi").unwrap());
        v.spec.access_modes = vec![PersistentVolumeAccessMode::ReadWriteOnce];
        v.spec.nfs = Some(NfsVolumeSource { server: "s".into(), path: "/p".into(), read_only: false });
        c.create(Object::PersistentVolume(v)).unwrap();
        let mut cl = PersistentVolumeClaim { metadata: ObjectMeta::named("default", "c"), ..Default::default() };
        cl.spec.storage_class_name = Some(String::new());
        cl.spec.access_modes = vec![PersistentVolumeAccessMode::ReadWriteOnce];
        cl.spec.resources.requests.insert("storage".into(), Quantity::parse("1Gi").unwrap());
        c.create(Object::PersistentVolumeClaim(cl)).unwrap();
        c.delete(Kind::PersistentVolume, "", "v", &Default::default()).unwrap();
        let v = c.get::<PersistentVolume>("", "v").unwrap();
        assert!(v.metadata.is_deleting() && v.metadata.has_finalizer("kubernetes.io/pv-protection"));
        c.delete(Kind::PersistentVolumeClaim, "default", "c", &Default::default()).unwrap();
        assert!(c.get::<PersistentVolume>("", "v").is_none());
    }
}
