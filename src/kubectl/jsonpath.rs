//! (kubectl output: see mod.rs)

// TEMPORARY stand-in (kubectl-cmd branch) so the command side builds before
// kubectl-out's jsonpath is merged; kubectl-out's version (same API)
// replaces it. It understands `{.a.b[0].c}` and `[*]` only.
pub struct JsonPath {
    template: String,
}

impl JsonPath {
    pub fn parse(template: &str) -> Result<JsonPath, String> {
        Ok(JsonPath { template: template.to_string() })
    }
    pub fn allow_missing_keys(self, _allow: bool) -> JsonPath {
        self
    }
    pub fn find_results(&self, data: &serde_json::Value) -> Result<Vec<Vec<serde_json::Value>>, String> {
        let inner = self.template.trim().trim_start_matches('{').trim_end_matches('}');
        let mut cur = vec![data.clone()];
        for part in inner.trim_start_matches('.').split('.').filter(|p| !p.is_empty()) {
            let (field, idx) = match part.split_once('[') {
                Some((f, rest)) => (f, Some(rest.trim_end_matches(']'))),
                None => (part, None),
            };
            let mut next = vec![];
            for v in cur {
                let v = if field.is_empty() { Some(v) } else { v.get(field).cloned() };
                let Some(v) = v else { continue };
                match idx {
                    None => next.push(v),
                    Some("*") => next.extend(v.as_array().cloned().unwrap_or_default()),
                    Some(n) => {
                        if let Some(x) = n.parse::<usize>().ok().and_then(|i| v.get(i).cloned()) {
                            next.push(x)
                        }
                    }
                }
            }
            cur = next;
        }
        Ok(if cur.is_empty() { vec![] } else { vec![cur] })
    }
}
