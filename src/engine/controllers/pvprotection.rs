//! The pv-protection controller (pkg/controller/volume/pvprotection): a
//! PersistentVolume marked for deletion keeps its `kubernetes.io/pv-protection`
//! finalizer while it is Bound to a claim.

use super::{Controller, Ctl, Cx, WorkQueue};
use crate::engine::api::*;
use crate::engine::apiserver::Api;
use crate::engine::storage::FINALIZER_PV_PROTECTION;
use crate::engine::store::Change;

#[derive(Default)]
pub struct PvProtection;

impl Controller for PvProtection {
    fn id(&self) -> Ctl {
        Ctl::PvProtection
    }

    fn watch(&mut self, ch: &Change, _api: &Api, q: &mut WorkQueue) {
        if let (_, Some(v)) = ch.typed::<PersistentVolume>() {
            if v.metadata.is_deleting() && v.metadata.has_finalizer(FINALIZER_PV_PROTECTION) {
                q.add(ch.obj_ref());
            }
        }
    }

    fn sync(&mut self, key: &ObjRef, cx: &mut Cx) {
        let Some(v) = cx.api.get_t::<PersistentVolume>("", &key.key.name) else { return };
        if !v.metadata.is_deleting() || !v.metadata.has_finalizer(FINALIZER_PV_PROTECTION) {
            return;
        }
        // isBeingUsed: the PV controller says Bound.
        if v.status.phase == "Bound" {
            return;
        }
        let _ = cx.api.remove_finalizer(Kind::PersistentVolume, &key.key, FINALIZER_PV_PROTECTION);
    }
}
