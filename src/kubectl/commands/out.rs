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

/// Aligns rows as kubectl's tab writer does (printers.GetNewTabWriter).
pub fn table(rows: &[Vec<String>]) -> String {
    let text: String = rows.iter().map(|r| r.join("\t") + "\n").collect();
    crate::kubectl::tabwriter::format_table(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_pads_like_tabwriter() {
        let rows = vec![
            vec!["NAME".to_string(), "READY".into(), "AGE".into()],
            vec!["web-0".into(), "1/1".into(), "5m".into()],
            vec!["x".into(), "".into(), "".into()],
        ];
        assert_eq!(table(&rows), "NAME    READY   AGE\nweb-0   1/1     5m\nx               \n");
    }
}
