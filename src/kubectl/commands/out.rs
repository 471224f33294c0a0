//! The seam to the output side (printers, describe, jsonpath, tabwriter):
//! every command prints objects through here, so the command side depends
//! on the output side's interface in one place.

use crate::engine::api::Object;
use crate::engine::apiserver::Api;
use crate::engine::time::Time;
use crate::kubectl::PrintOptions;
use serde_json::Value;
use std::rc::Rc;

/// Prints objects as `kubectl get` does (table, wide, yaml, json, name,
/// custom-columns, jsonpath).
pub fn print_objects(api: &Api, objs: &[Rc<Object>], opts: &PrintOptions) -> Result<String, String> {
    crate::kubectl::printers::print(api, objs, opts)
}

/// `kubectl describe`'s text for one object.
pub fn describe(api: &Api, obj: &Object, now: Time) -> String {
    crate::kubectl::describe::describe(api, obj, now)
}

/// client-go's jsonpath FindResults on a template (`{.status.phase}`).
pub fn jsonpath_find(template: &str, data: &Value) -> Result<Vec<Vec<Value>>, String> {
    crate::kubectl::jsonpath::JsonPath::parse(template)?.allow_missing_keys(true).find_results(data)
}

/// Aligns rows as kubectl's tab writer does (Go text/tabwriter with
/// minwidth 6, tabwidth 4, padding 3, padchar ' '): every cell but the
/// last of a row is padded to its column's width.
pub fn table(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(|r| r.len()).max().unwrap_or(0);
    let mut widths = vec![0usize; cols];
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if i + 1 < r.len() {
                widths[i] = widths[i].max(c.chars().count());
            }
        }
    }
    let mut out = String::new();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            out.push_str(c);
            if i + 1 < r.len() {
                let w = (widths[i] + 3).max(6);
                out.push_str(&" ".repeat(w - c.chars().count()));
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_pads_like_tabwriter() {
        let rows = vec![vec!["NAME".to_string(), "READY".into(), "AGE".into()], vec!["web-0".into(), "1/1".into(), "5m".into()], vec!["x".into(), "".into(), "".into()]];
        assert_eq!(table(&rows), "NAME    READY   AGE\nweb-0   1/1     5m\nx               \n");
    }
}
