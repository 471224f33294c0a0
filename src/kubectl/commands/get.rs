//! `kubectl get` (pkg/cmd/get/get.go): selection, --sort-by, one table per
//! kind, "No resources found", errors after the output.

use super::Ctx;
use super::out;
use super::resources::{BuildOpts, Item, select};
use crate::engine::api::Object;
use crate::kubectl::args::{Flag, FlagKind, boolf, flag, strf};
use crate::kubectl::errors::CmdError;
use crate::kubectl::{OutputFormat, PrintOptions};
use std::rc::Rc;

pub fn flags() -> Vec<Flag> {
    const {
        &[
            flag("output", Some('o'), FlagKind::Str),
            flag("selector", Some('l'), FlagKind::Str),
            strf("field-selector"),
            boolf("all-namespaces").with_short('A'),
            boolf("watch").with_short('w'),
            boolf("watch-only"),
            boolf("show-labels"),
            flag("label-columns", Some('L'), FlagKind::StrSlice),
            strf("sort-by"),
            boolf("no-headers"),
            boolf("ignore-not-found"),
            flag("filename", Some('f'), FlagKind::StrSlice),
            boolf("recursive").with_short('R'),
            boolf("show-kind"),
            flag("chunk-size", None, FlagKind::Int),
            strf("raw"),
            strf("subresource"),
            strf("template"),
            boolf("allow-missing-template-keys"),
            boolf("show-managed-fields"),
            boolf("server-print"),
            boolf("output-watch-events"),
            flag("kustomize", Some('k'), FlagKind::Str),
        ]
    }
    .to_vec()
}

const ALLOWED_FORMATS: &str =
    "custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,wide,yaml";

/// `-o ...` as an output format.
pub fn output_format(o: Option<&str>) -> Result<OutputFormat, CmdError> {
    let o = o.unwrap_or("");
    let (name, arg) = match o.split_once('=') {
        Some((n, a)) => (n, Some(a)),
        None => (o, None),
    };
    Ok(match (name, arg) {
        ("", None) => OutputFormat::Table,
        ("wide", None) => OutputFormat::Wide,
        ("yaml", None) => OutputFormat::Yaml,
        ("json", None) => OutputFormat::Json,
        ("name", None) => OutputFormat::Name,
        ("custom-columns", Some(spec)) => {
            if spec.is_empty() {
                return Err(CmdError::msg("custom-columns format specified but no custom columns given"));
            }
            OutputFormat::CustomColumns(spec.to_string())
        }
        ("jsonpath", Some(t)) => {
            if t.is_empty() {
                return Err(CmdError::msg("template format specified but no template given"));
            }
            OutputFormat::JsonPath(t.to_string())
        }
        ("go-template" | "template" | "go-template-file" | "templatefile" | "jsonpath-file" | "custom-columns-file" | "jsonpath-as-json", _) => {
            return Err(CmdError::msg(format!("the output format {name:?} is not supported by Kubarium; use -o jsonpath=... or -o custom-columns=...")));
        }
        _ => return Err(CmdError::msg(format!("unable to match a printer suitable for the output format {o:?}, allowed formats are: {ALLOWED_FORMATS}"))),
    })
}

/// cmdget.RelaxedJSONPathExpression: `.a.b`, `a.b`, `{.a.b}` -> `{.a.b}`.
pub fn relaxed_jsonpath(expr: &str) -> Result<String, CmdError> {
    crate::kubectl::jsonpath::relaxed_expression(expr).map_err(CmdError::Msg)
}

/// --sort-by: the printers' RuntimeSort over the selected objects.
pub fn sort_items(items: &mut Vec<Item>, field: &str) -> Result<(), CmdError> {
    let objs: Vec<Rc<Object>> = items.iter().map(|i| i.obj.clone()).collect();
    let sorted = crate::kubectl::printers::sort_objects(&objs, field).map_err(CmdError::Msg)?;
    let mut rest = std::mem::take(items);
    for o in sorted {
        if let Some(k) = rest.iter().position(|i| Rc::ptr_eq(&i.obj, &o)) {
            items.push(rest.remove(k));
        }
    }
    items.extend(rest);
    Ok(())
}

pub fn run(ctx: &mut Ctx) -> Result<(), CmdError> {
    if ctx.f.bool("watch") || ctx.f.bool("watch-only") {
        return Err(CmdError::msg("watch (-w) is not simulated by Kubarium: use `kubectl wait` or `cluster advance` to let time pass, then get again"));
    }
    if ctx.f.changed("raw") {
        return Err(CmdError::msg("--raw is not supported by Kubarium"));
    }
    let format = output_format(ctx.f.str("output"))?;
    if ctx.f.args.is_empty() && ctx.f.all("filename").is_empty() {
        ctx.print("You must specify the type of resource to get. Use \"kubectl api-resources\" for a complete list of supported resources.\n\n");
        return Err(ctx.usage_error(
            "Required resource not specified.\nUse \"kubectl explain <resource>\" for a detailed description of that resource (e.g. kubectl explain pods).",
        ));
    }
    let mut opts = BuildOpts::from_ctx(ctx);
    opts.all = false;
    opts.allow_empty_selector = true;
    let sel = select(ctx, &opts)?;
    for w in super::resources::server_warnings(&sel.kinds) {
        ctx.warning(w);
    }
    let ignore_nf = ctx.f.bool("ignore-not-found");
    let errors: Vec<CmdError> = sel.errors.into_iter().filter(|e| !(ignore_nf && e.is_not_found())).collect();
    let mut items = sel.items;
    if let Some(field) = ctx.f.str("sort-by") {
        sort_items(&mut items, field)?;
    }
    let all_ns = ctx.f.bool("all-namespaces");
    let base = PrintOptions {
        format: format.clone(),
        with_namespace: false,
        show_labels: ctx.f.bool("show-labels"),
        label_columns: ctx.f.all("label-columns"),
        no_headers: ctx.f.bool("no-headers"),
        with_kind: false,
        now: ctx.api().now,
        single_item: sel.single_item_implied,
        crd_columns: vec![],
    };
    let human = matches!(format, OutputFormat::Table | OutputFormat::Wide);
    if !human {
        let objs: Vec<Rc<Object>> = items.iter().map(|i| i.obj.clone()).collect();
        if objs.is_empty() && ignore_nf {
            return if errors.is_empty() { Ok(()) } else { Err(CmdError::Many(errors)) };
        }
        if sel.single_item_implied && !errors.is_empty() {
            return Err(CmdError::Many(errors));
        }
        let text = out::print_objects(ctx.api(), &objs, &base).map_err(CmdError::Msg)?;
        ctx.print(&text);
        return if errors.is_empty() { Ok(()) } else { Err(CmdError::Many(errors)) };
    }
    let with_kind = ctx.f.bool("show-kind") || sel.kinds.len() > 1;
    let mut written = false;
    let mut i = 0;
    while i < items.len() {
        let kind = items[i].kind;
        let mut j = i;
        while j < items.len() && items[j].kind == kind {
            j += 1;
        }
        let objs: Vec<Rc<Object>> = items[i..j].iter().map(|x| x.obj.clone()).collect();
        let opts = PrintOptions { with_namespace: all_ns && kind.namespaced(), with_kind, ..base.clone() };
        let text = out::print_objects(ctx.api(), &objs, &opts).map_err(CmdError::Msg)?;
        if !text.is_empty() {
            if written && !base.no_headers {
                ctx.print("\n");
            }
            ctx.print(&text);
            written = true;
        }
        i = j;
    }
    if !written && errors.is_empty() && !ignore_nf {
        let namespaced = !all_ns && sel.kinds.iter().all(|k| k.namespaced());
        if namespaced {
            let msg = format!("No resources found in {} namespace.\n", ctx.ns);
            ctx.print(&msg);
        } else {
            ctx.print("No resources found\n");
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(CmdError::Many(errors)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(output_format(Some("wide")).unwrap(), OutputFormat::Wide);
        assert_eq!(output_format(Some("custom-columns=NAME:.metadata.name")).unwrap(), OutputFormat::CustomColumns("NAME:.metadata.name".into()));
        assert_eq!(output_format(Some("jsonpath={.items[*].metadata.name}")).unwrap(), OutputFormat::JsonPath("{.items[*].metadata.name}".into()));
        assert!(output_format(Some("xml")).is_err());
        assert_eq!(relaxed_jsonpath(".metadata.name").unwrap(), "{.metadata.name}");
        assert_eq!(relaxed_jsonpath("{.metadata.name}").unwrap(), "{.metadata.name}");
        assert_eq!(relaxed_jsonpath("metadata.name").unwrap(), "{.metadata.name}");
    }
}
