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
use serde_json::Value;
use std::collections::BTreeMap;

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
    /// A custom resource's types, from its CRD's schema (looked up first).
    extra: &'a BTreeMap<String, Box<TypeEntry>>,
    out: String,
}

impl<'a> Explainer<'a> {
    fn ty(&self, name: &str) -> Option<&'a TypeEntry> {
        self.extra.get(name).or_else(|| self.s.types.get(name)).map(|t| &**t)
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
        let Some(te) = self.ty(&name) else { return };
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

/// A custom resource's types as the API server publishes its CRD's
/// schema: the root with apiVersion, kind and metadata (their standard
/// descriptions, as every kind has them), then one `Object` type per
/// object with properties (keyed `Object@path`, shown as `Object`).
fn crd_types(ctx: &Ctx, kind: Kind, version: &str, s: &Schema) -> BTreeMap<String, Box<TypeEntry>> {
    let mut out = BTreeMap::new();
    let Some(crd) = crate::engine::apiserver::crd::crd_of(&ctx.api().store, kind) else { return out };
    let Some(v) = crd.field("spec")["versions"].as_array().and_then(|vs| vs.iter().find(|v| v["name"] == version)) else { return out };
    let schema = &v["schema"]["openAPIV3Schema"];
    let info = kind.info();
    let root = format!("{}@crd", info.kind);
    crd_type(schema, Some(&root), &mut out);
    // the standard fields, described as on every built-in kind (a Pod's)
    let standard = s.root("v1", "Pod").and_then(|r| s.types.get(r)).map(|t| t.f.as_slice()).unwrap_or_default();
    if let Some(t) = out.get_mut(&root) {
        for f in standard.iter().filter(|f| ["apiVersion", "kind", "metadata"].contains(&f.0.as_str())) {
            if !t.f.iter().any(|x| x.0 == f.0) {
                t.f.push(f.clone());
            }
        }
        crate::engine::sort::sort_by_key(&mut t.f, |f| f.0.clone());
    }
    out
}

/// The type expression of a JSON schema (`string`, `[]Object`,
/// `map[string]string`, `Object@c3`), adding its object types to `out`
/// (the root under `root`, nested ones as `Object@c<n>`, shown `Object`).
fn crd_type(schema: &Value, root: Option<&str>, out: &mut BTreeMap<String, Box<TypeEntry>>) -> String {
    if schema["x-kubernetes-int-or-string"] == Value::Bool(true) {
        return "IntOrString".into();
    }
    match schema["type"].as_str().unwrap_or("object") {
        "array" => format!("[]{}", crd_type(&schema["items"], None, out)),
        "object" => {
            if let Some(props) = schema["properties"].as_object() {
                let required: Vec<&str> = schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
                let mut fields = vec![];
                for (name, p) in props {
                    let t = crd_type(p, None, out);
                    let enums = p["enum"].as_array().map(|a| a.iter().map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())).collect());
                    let d = p["description"].as_str().unwrap_or_default().to_string();
                    fields.push(schema::Field(name.clone(), t, d, required.contains(&name.as_str()) as u8, enums, String::new()));
                }
                let key = root.map(str::to_string).unwrap_or_else(|| format!("Object@c{}", out.len()));
                // a nested object's description is its field's (it is inline, not a $ref)
                let d = if root.is_some() { schema["description"].as_str().unwrap_or_default().to_string() } else { String::new() };
                out.insert(key.clone(), Box::new(TypeEntry { d, f: fields }));
                key
            } else if schema["additionalProperties"].is_object() {
                format!("map[string]{}", crd_type(&schema["additionalProperties"], None, out))
            } else {
                "Object".into()
            }
        }
        t => t.to_string(),
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
    let version = api_version.rsplit('/').next().unwrap_or_default();
    let extra = match kind {
        Kind::Custom(_) => crd_types(ctx, kind, version, s),
        _ => BTreeMap::new(),
    };
    let root_key = format!("{}@crd", info.kind);
    let root = if extra.contains_key(&root_key) { Some(root_key.as_str()) } else { s.root(&api_version, info.kind) };
    let Some(root) = root else {
        return Err(CmdError::msg(format!("GVR ({}) not found in OpenAPI schema", info.qualified_plural())));
    };
    let mut e = Explainer { s, extra: &extra, out: String::new() };
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
    let mut fields = Explainer { s, extra: &extra, out: String::new() };
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
    fn explains_a_custom_resource_from_its_crds_schema() {
        let mut s = Session::new(1);
        let crd = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: crontabs.stable.example.com\nspec:\n  group: stable.example.com\n  scope: Namespaced\n  names: {plural: crontabs, kind: CronTab, shortNames: [ct]}\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema:\n        description: A schedule.\n        type: object\n        properties:\n          spec:\n            description: What and when.\n            type: object\n            required: [cronSpec]\n            properties:\n              cronSpec: {type: string, description: In cron format.}\n              ports: {type: array, items: {type: object, properties: {port: {type: integer}}}}\n              labels: {type: object, additionalProperties: {type: string}}\n";
        assert_eq!(s.run("kubectl apply -f -", crd).exit_code, 0);
        let (out, code) = run(&mut s, "kubectl explain ct.spec");
        assert_eq!(code, 0, "{out}");
        assert_eq!(
            out,
            "GROUP:      stable.example.com\nKIND:       CronTab\nVERSION:    v1\n\nFIELD: spec <Object>\n\n\nDESCRIPTION:\n    What and when.\n    \nFIELDS:\n  cronSpec\t<string> -required-\n    In cron format.\n\n  labels\t<map[string]string>\n    <no description>\n\n  ports\t<[]Object>\n    <no description>\n\n\n"
        );
        let (out, _) = run(&mut s, "kubectl explain crontab --recursive");
        assert!(out.contains("FIELDS:\n  apiVersion\t<string>\n  kind\t<string>\n  metadata\t<ObjectMeta>\n"), "{out}");
        assert!(
            out.contains(
                "  spec\t<Object>\n    cronSpec\t<string> -required-\n    labels\t<map[string]string>\n    ports\t<[]Object>\n      port\t<integer>\n"
            ),
            "{out}"
        );
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
