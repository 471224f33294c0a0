//! `#[derive(Decode)]`: serde's `Deserialize` for the API structs, which
//! all carry `#[serde(rename_all = "camelCase", default)]`, written with
//! less code per struct than serde's derive (the wasm is smaller):
//!
//! * the struct starts as its `Default` and each field present is decoded
//!   into its place (`engine::decode::Place`), so no field is held in an
//!   `Option` to be dropped on every error path, and the replacing of the
//!   default is compiled once per field type, not once per field;
//! * a key is matched to its field's position by one shared function
//!   (`engine::decode::FieldIndex`), not by a string match per struct;
//! * no duplicate-field check: the decoder's mappings never repeat a key
//!   (YAML's last duplicate wins in the parser; JSON objects are maps).
//!
//! Field attributes read: `rename = "..."`, `skip` and `skip_deserializing`
//! (the field keeps its default and its key is unknown, as with serde);
//! the serialization-only ones are left to serde's `Serialize` derive.

use proc_macro::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Fields, LitStr, parse_macro_input};

#[proc_macro_derive(Decode, attributes(serde))]
pub fn derive_decode(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match expand(&input) {
        Ok(t) => t.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

fn expand(input: &DeriveInput) -> syn::Result<proc_macro2::TokenStream> {
    let name = &input.ident;
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(&input.generics, "Decode: generic structs are not supported"));
    }
    let (mut camel, mut default) = (false, false);
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("serde")) {
        attr.parse_nested_meta(|m| {
            if m.path.is_ident("rename_all") {
                let v: LitStr = m.value()?.parse()?;
                if v.value() != "camelCase" {
                    return Err(m.error("Decode: only rename_all = \"camelCase\""));
                }
                camel = true;
            } else if m.path.is_ident("default") {
                default = true;
            } else {
                return Err(m.error("Decode: unsupported container attribute"));
            }
            Ok(())
        })?;
    }
    if !camel || !default {
        return Err(syn::Error::new_spanned(name, "Decode needs #[serde(rename_all = \"camelCase\", default)]"));
    }
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(name, "Decode: structs only"));
    };
    let Fields::Named(fields) = &data.fields else {
        return Err(syn::Error::new_spanned(name, "Decode: named fields only"));
    };
    let mut keys = Vec::new();
    let mut arms = Vec::new();
    for f in &fields.named {
        let ident = f.ident.as_ref().expect("named field");
        let mut key = camel_case(&ident.to_string());
        let mut skip = false;
        for attr in f.attrs.iter().filter(|a| a.path().is_ident("serde")) {
            attr.parse_nested_meta(|m| {
                if m.path.is_ident("rename") {
                    key = m.value()?.parse::<LitStr>()?.value();
                } else if m.path.is_ident("skip") || m.path.is_ident("skip_deserializing") {
                    skip = true;
                } else if m.path.is_ident("skip_serializing_if") {
                    m.value()?.parse::<LitStr>()?;
                } else if m.path.is_ident("skip_serializing") {
                } else {
                    return Err(m.error("Decode: unsupported field attribute"));
                }
                Ok(())
            })?;
        }
        if skip {
            continue;
        }
        let i = keys.len();
        keys.push(key);
        arms.push(quote! { #i => ::serde::de::MapAccess::next_value_seed(&mut map, crate::engine::decode::Place(&mut out.#ident))?, });
    }
    let name_str = name.to_string();
    let expecting = format!("struct {name_str}");
    Ok(quote! {
        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> ::core::result::Result<Self, D::Error> {
                struct V;
                impl<'de> ::serde::de::Visitor<'de> for V {
                    type Value = #name;
                    fn expecting(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                        f.write_str(#expecting)
                    }
                    fn visit_map<A: ::serde::de::MapAccess<'de>>(self, mut map: A) -> ::core::result::Result<#name, A::Error> {
                        let mut out = <#name as ::core::default::Default>::default();
                        while let ::core::option::Option::Some(i) = ::serde::de::MapAccess::next_key_seed(&mut map, crate::engine::decode::FieldIndex(FIELDS))? {
                            match i {
                                #(#arms)*
                                _ => {
                                    ::serde::de::MapAccess::next_value::<::serde::de::IgnoredAny>(&mut map)?;
                                }
                            }
                        }
                        ::core::result::Result::Ok(out)
                    }
                }
                const FIELDS: &[&str] = &[#(#keys),*];
                ::serde::Deserializer::deserialize_struct(d, #name_str, FIELDS, V)
            }
        }
    })
}

/// serde's `rename_all = "camelCase"` of a snake_case field name.
fn camel_case(field: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in field.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}
