//! rollback.go: the deprecated rollbackTo annotation.

use super::*;

pub(super) fn rollback_to(d: &Deployment) -> Option<i64> {
    d.metadata.annotation(DEPRECATED_ROLLBACK_TO).filter(|v| !v.is_empty()).and_then(|v| v.parse::<i64>().ok())
}

/// `rollback`: the deprecated rollbackTo (an annotation in apps/v1).
pub(super) fn rollback(cx: &mut Ctx, rs_list: Vec<ReplicaSet>) -> Result<(), String> {
    let (new_rs, old) = all_and_sync_revision(cx, &rs_list, true)?;
    let all: Vec<ReplicaSet> = all_of(&old, new_rs.as_ref()).into_iter().cloned().collect();
    let mut to = rollback_to(&cx.d).unwrap_or(0);
    if to == 0 {
        to = last_revision(&all);
        if to == 0 {
            cx.event("Warning", "DeploymentRollbackRevisionNotFound", "Unable to find last revision.");
            return clear_rollback_to(cx);
        }
    }
    for rs in &all {
        if revision(&rs.metadata) == Ok(to) {
            let mut performed = false;
            if !equal_ignore_hash(&cx.d.spec.template, &rs.spec.template) {
                cx.d.spec.template = rs.spec.template.clone();
                cx.d.spec.template.metadata.labels.remove(POD_TEMPLATE_HASH_LABEL);
                // SetDeploymentAnnotationsTo
                cx.d.metadata.annotations.retain(|k, _| skip_copy_annotation(k));
                for (k, v) in &rs.metadata.annotations {
                    if !skip_copy_annotation(k) {
                        cx.d.metadata.annotations.insert(k.clone(), v.clone());
                    }
                }
                performed = true;
            } else {
                let msg = format!("The rollback revision contains the same template as current deployment {:?}", cx.d.metadata.name);
                cx.event("Warning", "DeploymentRollbackTemplateUnchanged", &msg);
            }
            let r = clear_rollback_to(cx);
            if performed && r.is_ok() {
                let msg = format!("Rolled back deployment {:?} to revision {to}", cx.d.metadata.name);
                cx.event("Normal", "DeploymentRollback", &msg);
            }
            return r;
        }
    }
    cx.event("Warning", "DeploymentRollbackRevisionNotFound", "Unable to find the revision to rollback to.");
    clear_rollback_to(cx)
}

pub(super) fn clear_rollback_to(cx: &mut Ctx) -> Result<(), String> {
    cx.d.metadata.annotations.remove(DEPRECATED_ROLLBACK_TO);
    let w = cx.api.update(cx.obj()).map_err(|e| e.message)?;
    if let Some(d) = Deployment::from_object(&w.object) {
        cx.d = d.clone();
    }
    Ok(())
}
