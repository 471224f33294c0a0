//! (kubectl output: see mod.rs)

// TEMPORARY stand-in (kubectl-cmd branch) so the command side builds before
// kubectl-out's printers are merged; kubectl-out's version replaces it.
pub fn print(_api: &crate::engine::apiserver::Api, _objs: &[std::rc::Rc<crate::engine::api::Object>], _opts: &super::PrintOptions) -> Result<String, String> {
    Err("the kubectl printers (kubectl-out) are not merged into this build yet".into())
}
