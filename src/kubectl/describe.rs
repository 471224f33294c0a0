//! (kubectl output: see mod.rs)

// TEMPORARY stand-in (kubectl-cmd branch) so the command side builds before
// kubectl-out's describe is merged; kubectl-out's version replaces it.
pub fn describe(_api: &crate::engine::apiserver::Api, obj: &crate::engine::api::Object, _now: crate::engine::time::Time) -> String {
    format!("Name: {}\n(describe output arrives with kubectl-out)\n", obj.meta().name)
}
