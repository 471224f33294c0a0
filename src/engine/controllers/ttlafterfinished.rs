//! The TTL-after-finished controller (pkg/controller/ttlafterfinished):
//! deletes a finished Job (foreground, so its pods go first)
//! `ttlSecondsAfterFinished` after its Complete or Failed condition.

use super::controller_utils::Wakeups;
use super::job::{finish_time, is_finished};
use super::{Controller, Ctl, Cx, WorkQueue};
use crate::engine::api::*;
use crate::engine::apiserver::{Api, DeleteOptions, Propagation};
use crate::engine::store::Change;
use crate::engine::time::SECOND;

#[derive(Clone, Default)]
pub struct TtlAfterFinished {
    wakeups: Wakeups,
}

/// `needsCleanup`: a finished Job with a TTL, not already being deleted.
fn needs_cleanup(o: &Object) -> Option<&Generic> {
    match o {
        Object::Generic(g) if !g.metadata.is_deleting() && g.field("spec")["ttlSecondsAfterFinished"].is_i64() && is_finished(g.field("status")) => Some(g),
        _ => None,
    }
}

impl Controller for TtlAfterFinished {
    fn id(&self) -> Ctl {
        Ctl::TtlAfterFinished
    }

    fn watch(&mut self, ch: &Change, _api: &Api, q: &mut WorkQueue) {
        if ch.kind == Kind::Job && ch.new.as_deref().and_then(needs_cleanup).is_some() {
            q.add(ch.obj_ref());
        }
    }

    /// `processJob`.
    fn sync(&mut self, key: &ObjRef, cx: &mut Cx) {
        let Some(g) = cx.api.store.get(Kind::Job, &key.key).and_then(|o| needs_cleanup(o)) else { return };
        let Some(finished) = finish_time(g) else { return };
        let ttl = g.field("spec")["ttlSecondsAfterFinished"].as_i64().unwrap_or(0);
        let expire = finished.plus(ttl.saturating_mul(SECOND));
        if expire > cx.api.now {
            self.wakeups.wake(cx.api, Ctl::TtlAfterFinished, key.clone(), expire);
            return;
        }
        let opts = DeleteOptions { propagation: Some(Propagation::Foreground), uid: Some(g.metadata.uid.clone()), ..Default::default() };
        let (ns, name) = (key.key.namespace.clone(), key.key.name.clone());
        let _ = cx.api.delete(Kind::Job, &ns, &name, &opts);
        self.wakeups.forget(key);
    }
}
