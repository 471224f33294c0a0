//! How kubectl reports errors: cmdutil.CheckErr's formatting of API status
//! errors (`Error from server (NotFound): ...`, `The StatefulSet "web" is
//! invalid: ...`), plain errors (`error: ...`) and aggregates (one line each).

use crate::engine::apiserver::{ApiError, Reason};

/// An error a kubectl command ends with.
#[derive(Clone, Debug, PartialEq)]
pub enum CmdError {
    /// A client-side error: printed as `error: <msg>` (unless it already
    /// starts with `error: `).
    Msg(String),
    /// An error status from the API server.
    Api(ApiError),
    /// Several errors (utilerrors.Aggregate): one line each.
    Many(Vec<CmdError>),
    /// Text printed as is (already formatted), with this exit code.
    Raw(String, i32),
    /// Nothing more to print; exit with this code (a failed exec).
    Exit(i32),
}

impl CmdError {
    pub fn msg(s: impl Into<String>) -> CmdError {
        CmdError::Msg(s.into())
    }
    pub fn is_not_found(&self) -> bool {
        matches!(self, CmdError::Api(e) if e.reason == Reason::NotFound)
    }
}

impl From<ApiError> for CmdError {
    fn from(e: ApiError) -> CmdError {
        CmdError::Api(e)
    }
}

/// cmdutil.AddSourceToErr: `error when creating "STDIN": ...`.
pub fn with_source(verb: &str, source: &str, e: CmdError) -> CmdError {
    if source.is_empty() {
        return e;
    }
    match e {
        CmdError::Api(mut a) => {
            a.message = format!("error when {verb} {source:?}: {}", a.message);
            CmdError::Api(a)
        }
        CmdError::Msg(m) => CmdError::Msg(format!("error when {verb} {source:?}: {m}")),
        other => other,
    }
}

/// StandardErrorMessage, falling back to the error's own text.
fn message_for(e: &CmdError) -> String {
    match e {
        CmdError::Api(a) => format!("Error from server ({}): {}", a.reason.as_str(), a.message),
        CmdError::Msg(m) => m.clone(),
        CmdError::Many(v) => v.iter().map(message_for).collect::<Vec<_>>().join("\n"),
        CmdError::Raw(s, _) => s.trim_end_matches('\n').to_string(),
        CmdError::Exit(_) => String::new(),
    }
}

/// What kubectl prints for an error and the exit code (cmdutil.checkErr).
pub fn render(e: &CmdError) -> (String, i32) {
    let mut e = e;
    // unwrap aggregates of one
    while let CmdError::Many(v) = e {
        if v.len() == 1 {
            e = &v[0];
        } else {
            break;
        }
    }
    let text = match e {
        CmdError::Exit(code) => return (String::new(), *code),
        CmdError::Raw(s, code) => return (ensure_nl(s.clone()), *code),
        CmdError::Api(a) if a.reason == Reason::Invalid => {
            let head =
                if !a.kind.is_empty() || !a.name.is_empty() { format!("The {} {:?} is invalid", a.kind, a.name) } else { "The request is invalid".to_string() };
            let mut seen = std::collections::BTreeSet::new();
            let causes: Vec<String> = a.causes.iter().map(|c| c.to_string()).filter(|c| seen.insert(c.clone())).collect();
            match causes.len() {
                0 => {
                    if a.kind.is_empty() && a.name.is_empty() && !a.message.is_empty() {
                        format!("{head}: {}", a.message)
                    } else {
                        head
                    }
                }
                1 => format!("{head}: {}", causes[0]),
                _ => {
                    let mut s = format!("{head}: \n");
                    for c in &causes {
                        s.push_str(&format!("* {c}\n"));
                    }
                    s
                }
            }
        }
        CmdError::Api(_) => message_for(e),
        CmdError::Many(v) => v.iter().map(message_for).filter(|s| !s.is_empty()).map(|s| s + "\n").collect::<String>(),
        CmdError::Msg(m) => {
            if m.starts_with("error: ") {
                m.clone()
            } else {
                format!("error: {m}")
            }
        }
    };
    (ensure_nl(text), 1)
}

fn ensure_nl(mut s: String) -> String {
    if !s.is_empty() && !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::api::Kind;
    use crate::engine::apiserver::FieldError;

    #[test]
    fn formats_like_check_err() {
        let nf = CmdError::Api(ApiError::not_found(Kind::Pod, "x"));
        assert_eq!(render(&nf), ("Error from server (NotFound): pods \"x\" not found\n".to_string(), 1));
        assert_eq!(render(&CmdError::msg("unknown flag: --foo")).0, "error: unknown flag: --foo\n");
        let inv = ApiError::invalid(Kind::StatefulSet, "web", vec![FieldError::invalid("spec.replicas", "-1", "must be greater than or equal to 0")]);
        assert_eq!(
            render(&CmdError::Api(inv.clone())).0,
            "The StatefulSet \"web\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0\n"
        );
        let two = ApiError::invalid(Kind::StatefulSet, "web", vec![FieldError::required("spec.selector", ""), FieldError::required("spec.template", "")]);
        assert_eq!(render(&CmdError::Api(two)).0, "The StatefulSet \"web\" is invalid: \n* spec.selector: Required value\n* spec.template: Required value\n");
        let src = with_source("creating", "STDIN", CmdError::Api(ApiError::new(Reason::BadRequest, "boom")));
        assert_eq!(render(&src).0, "Error from server (BadRequest): error when creating \"STDIN\": boom\n");
        let many = CmdError::Many(vec![nf.clone(), CmdError::Api(inv)]);
        assert_eq!(
            render(&many).0,
            "Error from server (NotFound): pods \"x\" not found\nError from server (Invalid): StatefulSet.apps \"web\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0\n"
        );
        assert_eq!(render(&CmdError::Many(vec![nf])).0, "Error from server (NotFound): pods \"x\" not found\n");
    }
}
