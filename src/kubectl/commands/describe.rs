//! `kubectl describe` (pkg/cmd/describe): by name, by name prefix, by
//! selector; events only when a single object is described.

use super::Ctx;
use super::out;
use super::resources::{BuildOpts, resolve_types, select};
use crate::engine::api::Object;
use crate::kubectl::args::{Flag, FlagKind, boolf, flag, strf};
use crate::kubectl::errors::CmdError;

pub fn flags() -> Vec<Flag> {
    const {
        &[
            flag("selector", Some('l'), FlagKind::Str),
            strf("field-selector"),
            boolf("all-namespaces").with_short('A'),
            flag("filename", Some('f'), FlagKind::StrSlice),
            boolf("recursive").with_short('R'),
            boolf("show-events"),
            flag("chunk-size", None, FlagKind::Int),
            flag("kustomize", Some('k'), FlagKind::Str),
        ]
    }
    .to_vec()
}

/// The describe text of one object, without its Events section when
/// events are not shown (the describers print it last).
fn text(ctx: &Ctx, obj: &Object, show_events: bool) -> String {
    let s = out::describe(ctx.api(), obj, ctx.api().now);
    if show_events {
        return s;
    }
    let mut kept = String::new();
    for line in s.split_inclusive('\n') {
        if line.starts_with("Events:") {
            break;
        }
        kept.push_str(line);
    }
    kept
}

pub fn run(ctx: &mut Ctx) -> Result<(), CmdError> {
    if ctx.f.args.is_empty() && ctx.f.all("filename").is_empty() {
        ctx.print("You must specify the type of resource to describe. Use \"kubectl api-resources\" for a complete list of supported resources.\n\n");
        return Err(ctx.usage_error("Required resource not specified."));
    }
    let mut opts = BuildOpts::from_ctx(ctx);
    opts.allow_empty_selector = true;
    let sel = select(ctx, &opts)?;
    for w in super::resources::server_warnings(&sel.kinds) {
        ctx.warning(w);
    }
    let explicit_events = ctx.f.changed("show-events");
    let mut show_events = ctx.f.bool_or("show-events", true);
    if (!sel.errors.is_empty() || sel.items.len() > 1) && !explicit_events {
        show_events = false;
    }
    if !sel.errors.is_empty() && ctx.f.args.len() == 2 && sel.errors.iter().all(|e| e.is_not_found()) && !ctx.f.args[0].contains('/') {
        // DescribeMatchingResources: the second argument is a name prefix
        let kinds = resolve_types(&ctx.api().store, &ctx.f.args[0])?;
        if kinds.len() != 1 {
            return Err(CmdError::msg("you must specify only one resource"));
        }
        let prefix = ctx.f.args[1].clone();
        let all = BuildOpts { args: vec![ctx.f.args[0].clone()], allow_empty_selector: true, ..Default::default() };
        let candidates = select(ctx, &all)?;
        let mut found = false;
        for it in &candidates.items {
            if it.name.starts_with(&prefix) {
                found = true;
                let s = text(ctx, &it.obj, show_events);
                ctx.print(&format!("{s}\n"));
            }
        }
        if !found {
            return Err(CmdError::Many(sel.errors));
        }
        return Ok(());
    }
    let mut first = true;
    for it in &sel.items {
        let s = text(ctx, &it.obj, show_events);
        if first {
            first = false;
            ctx.print(&s);
        } else {
            ctx.print(&format!("\n\n{s}"));
        }
    }
    if sel.items.is_empty() && sel.errors.is_empty() {
        if ctx.f.bool("all-namespaces") {
            ctx.print("No resources found\n");
        } else {
            let msg = format!("No resources found in {} namespace.\n", ctx.ns);
            ctx.print(&msg);
        }
    }
    if sel.errors.is_empty() { Ok(()) } else { Err(CmdError::Many(sel.errors)) }
}
