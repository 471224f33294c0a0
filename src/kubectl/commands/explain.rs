//! `kubectl explain` for the kinds Kubarium serves, rendered as kubectl
//! 1.36's plaintext template (pkg/explain/v2/templates/plaintext.tmpl) does
//! from the API server's OpenAPI v3 schema. The schema table
//! (engine::api::schema, explain_data.json) is generated from the
//! Kubernetes API sources by scripts/gen_api.py.

use super::Ctx;
use crate::kubectl::args::{Flag, FlagKind, boolf, flag, strf};
use crate::kubectl::errors::CmdError;

use crate::engine::api::Kind;
use crate::engine::api::schema::{self, Schema, TypeEntry, display};

pub fn flags() -> Vec<Flag> {
    const { &[boolf("recursive").with_short('R'), strf("api-version"), flag("output", Some('o'), FlagKind::Str)] }.to_vec()
}

/// mitchellh/go-wordwrap's WrapString: wraps at whitespace within `lim`
/// characters, keeping existing newlines and never breaking a word.
pub fn wrap(s: &str, lim: usize) -> String {
    let mut buf = String::with_capacity(s.len());
    let mut current = 0usize;
    let mut word = String::new();
    let mut space = String::new();
    let (mut word_len, mut space_len) = (0usize, 0usize);
    for ch in s.chars() {
        if ch == '\n' {
            if word.is_empty() {
                if current + space_len <= lim {
                    buf.push_str(&space);
                }
                space.clear();
                space_len = 0;
            } else {
                buf.push_str(&space);
                space.clear();
                space_len = 0;
                buf.push_str(&word);
                word.clear();
                word_len = 0;
            }
            buf.push(ch);
            current = 0;
        } else if ch.is_whitespace() && ch != '\u{a0}' {
            if space.is_empty() || !word.is_empty() {
                current += space_len + word_len;
                buf.push_str(&space);
                space.clear();
                space_len = 0;
                buf.push_str(&word);
                word.clear();
                word_len = 0;
            }
            space.push(ch);
            space_len += 1;
        } else {
            word.push(ch);
            word_len += 1;
            if current + space_len + word_len > lim && word_len < lim {
                buf.push('\n');
                current = 0;
                space.clear();
                space_len = 0;
            }
        }
    }
    if word.is_empty() {
        if current + space_len <= lim {
            buf.push_str(&space);
        }
    } else {
        buf.push_str(&space);
        buf.push_str(&word);
    }
    buf
}

/// The template's indent: the pad before the text and after every newline.
fn indent(n: usize, s: &str) -> String {
    let pad = " ".repeat(n);
    format!("{pad}{}", s.replace('\n', &format!("\n{pad}")))
}

/// The struct type a type expression refers to (`[]Container` -> Container).
fn referenced(t: &str) -> &str {
    let mut x = t;
    loop {
        if let Some(r) = x.strip_prefix("[]") {
            x = r;
        } else if let Some(r) = x.strip_prefix("map[string]") {
            x = r;
        } else {
            return x;
        }
    }
}

struct Explainer<'a> {
    s: &'a Schema,
    out: String,
}

impl Explainer<'_> {
    fn ty(&self, name: &str) -> Option<&TypeEntry> {
        self.s.types.get(name)
    }

    /// The "description" template of a property: its own description, then
    /// the description of the type it refers to.
    fn description(&self, own: Option<&str>, t: &str) -> String {
        let mut d = String::new();
        if let Some(o) = own.filter(|o| !o.is_empty()) {
            d.push_str(o);
            d.push('\n');
        }
        if let Some(te) = self.ty(referenced(t))
            && !te.d.is_empty()
        {
            d.push_str(&te.d);
            d.push('\n');
        }
        d
    }

    fn field_list(&mut self, t: &str, level: usize, recursive: bool, seen: &mut Vec<String>) {
        let name = referenced(t).to_string();
        if seen.contains(&name) {
            return;
        }
        let Some(te) = self.s.types.get(&name) else { return };
        seen.push(name.clone());
        for schema::Field(fname, ftype, fdesc, required, enums, _) in &te.f {
            let amount = level * 2;
            self.out.push_str(&indent(amount, fname));
            self.out.push_str(&format!("\t<{}>", display(ftype)));
            if *required == 1 {
                self.out.push_str(" -required-");
            }
            if let Some(values) = enums {
                self.out.push('\n');
                self.out.push_str(&" ".repeat(amount));
                self.out.push_str("enum: ");
                let mut parts = vec![];
                for (i, v) in values.iter().enumerate() {
                    if i >= 4 {
                        parts.push("....".to_string());
                        break;
                    }
                    parts.push(if v.is_empty() { "\"\"".to_string() } else { v.clone() });
                }
                self.out.push_str(&parts.join(", "));
            }
            self.out.push('\n');
            if !recursive {
                let d = if fdesc.is_empty() { "<no description>" } else { fdesc.as_str() };
                self.out.push_str(&indent(amount + 2, &wrap(d, 78 - amount)));
                self.out.push_str("\n\n");
            } else {
                self.field_list(ftype, level + 1, true, seen);
            }
        }
        seen.pop();
    }
}

pub fn run(ctx: &mut Ctx) -> Result<(), CmdError> {
    let args = ctx.f.args.clone();
    if args.is_empty() {
        return Err(CmdError::msg(
            "You must specify the type of resource to explain. Use \"kubectl api-resources\" for a complete list of supported resources.\n",
        ));
    }
    if args.len() > 1 {
        return Err(CmdError::msg("We accept only this format: explain RESOURCE\n"));
    }
    match ctx.f.str("output") {
        None | Some("plaintext") => {}
        Some("plaintext-openapiv2") => {
            return Err(CmdError::msg("the plaintext-openapiv2 output of kubectl explain is not simulated by Kubarium; use the default plaintext output"));
        }
        Some(o) => return Err(CmdError::msg(format!("unrecognized format: {o}"))),
    }
    let Some(s) = schema::get() else {
        if schema::data().is_none() {
            return Err(CmdError::msg("the API schema for kubectl explain is still downloading (explain_data.json); try again in a moment"));
        }
        return Err(CmdError::msg("the explain schema table could not be read"));
    };
    let mut parts = args[0].split('.');
    let resource = parts.next().unwrap_or("");
    let path: Vec<&str> = parts.collect();
    let mut kind = super::resources::resolve_type(&ctx.api().store, resource)?;
    // `events --api-version=events.k8s.io/v1`: the kind of that name in that group.
    if let Some(v) = ctx.f.str("api-version")
        && let Some(k) = Kind::ALL.iter().find(|k| k.info().serves(v) && k.info().plural == kind.info().plural)
    {
        kind = *k;
    }
    let info = kind.info();
    let api_version = match ctx.f.str("api-version") {
        Some(v) if !info.serves(v) => {
            return Err(CmdError::msg(format!(
                "couldn't find resource for \"{}, Kind={}\"",
                if info.group.is_empty() { format!("/{v}") } else { v.to_string() },
                info.kind
            )));
        }
        Some(v) => v.to_string(),
        None => info.api_version(),
    };
    let Some(root) = s.root(&api_version, info.kind) else {
        return Err(CmdError::msg(format!("GVR ({}) not found in OpenAPI schema", info.qualified_plural())));
    };
    let version = api_version.rsplit('/').next().unwrap_or_default();
    let mut e = Explainer { s, out: String::new() };
    if !info.group.is_empty() {
        e.out.push_str(&format!("GROUP:      {}\n", info.group));
    }
    e.out.push_str(&format!("KIND:       {}\nVERSION:    {version}\n\n", info.kind));
    // follow the field path
    let mut cur_type = root.to_string();
    let mut own_desc: Option<String> = None;
    for (i, seg) in path.iter().enumerate() {
        let Some(te) = e.ty(referenced(&cur_type)) else {
            return Err(CmdError::msg(format!("field {seg:?} does not exist")));
        };
        let Some(field) = te.f.iter().find(|f| f.0 == *seg) else {
            return Err(CmdError::msg(format!("field {seg:?} does not exist")));
        };
        let field = field.clone();
        if i + 1 == path.len() {
            e.out.push_str(&format!("FIELD: {} <{}>\n", field.0, display(&field.1)));
            if let Some(values) = &field.4 {
                e.out.push_str("ENUM:");
                for v in values {
                    e.out.push_str("\n    ");
                    e.out.push_str(if v.is_empty() { "\"\"" } else { v });
                }
            }
            e.out.push_str("\n\n");
        }
        own_desc = Some(field.2.clone());
        cur_type = field.1.clone();
    }
    let desc = match &own_desc {
        Some(d) => e.description(Some(d), &cur_type),
        None => e.description(None, &cur_type),
    };
    let desc = if desc.is_empty() { "<empty>".to_string() } else { desc };
    e.out.push_str("DESCRIPTION:\n");
    e.out.push_str(&indent(4, &wrap(&desc, 76)));
    e.out.push('\n');
    let mut fields = Explainer { s, out: String::new() };
    fields.field_list(&cur_type, 1, ctx.f.bool("recursive"), &mut vec![]);
    if !fields.out.is_empty() {
        e.out.push_str("FIELDS:\n");
        e.out.push_str(&fields.out);
    }
    e.out.push('\n');
    let text = e.out;
    ctx.print(&text);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubectl::commands::testutil::run;
    use crate::kubectl::session::Session;

    #[test]
    fn wraps_like_go_wordwrap() {
        assert_eq!(wrap("aaa bbb ccc", 7), "aaa bbb\nccc");
        assert_eq!(wrap("a verylongword", 5), "a\nverylongword");
        assert_eq!(wrap("one\n\ntwo", 76), "one\n\ntwo");
        assert_eq!(wrap("x\n - `\"Always\"`", 76), "x\n - `\"Always\"`");
    }

    #[test]
    fn explains_kinds_and_fields() {
        let mut s = Session::new(1);
        let (out, code) = run(&mut s, "kubectl explain pods");
        assert_eq!(code, 0);
        assert!(out.starts_with("KIND:       Pod\nVERSION:    v1\n\nDESCRIPTION:\n    Pod is a collection of containers that can run on a host. This resource is\n    created by clients and scheduled onto hosts.\n    \nFIELDS:\n  apiVersion\t<string>\n    APIVersion defines the versioned schema of this representation of an object.\n    Servers should convert recognized schemas to the latest internal value, and\n"), "{out}");
        assert!(out.contains("\n  spec\t<PodSpec>\n    Specification of the desired behavior of the pod. More info:\n    https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status\n\n"), "{out}");
        assert!(out.ends_with("\n\n\n"));
        let (out, _) = run(&mut s, "kubectl explain sts.spec.replicas");
        assert!(out.starts_with("GROUP:      apps\nKIND:       StatefulSet\nVERSION:    v1\n\nFIELD: replicas <integer>\n\n\nDESCRIPTION:\n"), "{out}");
        let (out, _) = run(&mut s, "kubectl explain pod.spec.restartPolicy");
        assert!(out.contains("FIELD: restartPolicy <string>\nENUM:\n    Always\n    Never\n    OnFailure\n\nDESCRIPTION:\n"), "{out}");
        assert!(out.contains("    Possible enum values:\n     - `\"Always\"`\n"), "{out}");
        let (out, _) = run(&mut s, "kubectl explain pod.spec.containers");
        assert!(out.contains("FIELD: containers <[]Container>\n"), "{out}");
        assert!(out.contains("\n  name\t<string> -required-\n"), "{out}");
        let (out, _) = run(&mut s, "kubectl explain pod.spec");
        assert!(out.contains("  restartPolicy\t<string>\n  enum: Always, Never, OnFailure\n"), "{out}");
        assert_eq!(run(&mut s, "kubectl explain pod.spec.nope"), ("error: field \"nope\" does not exist\n".into(), 1));
        assert_eq!(run(&mut s, "kubectl explain widgets").0, "error: the server doesn't have a resource type \"widgets\"\n");
    }
}
