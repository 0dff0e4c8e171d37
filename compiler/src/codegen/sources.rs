//! The `sources` and `example` modules of the generated code: one struct per source with its
//! `unknown()` and `example()` (written as text), the `Sources` trait, and `ExampleSources`;
//! and the values of examples and fallbacks as Rust expressions.

use std::fmt::Write as _;

use proc_macro2::TokenStream;
use quote::quote;
use serde_json::Value;

use super::payload::{doc, leaf_name, whole_type_text};
use super::{Context, Renames, ident, source_struct};
use crate::model::{Item, ValidSpec};
use crate::naming;
use crate::types::{IfUnavailable, Leaf, Scalar, Shape};

fn literal(text: &str) -> String {
    format!("{text:?}")
}

/// One source's struct, with `unknown()` and `example()`.
pub(super) fn source_struct_text(ctx: &Context<'_>, index: usize) -> String {
    let source = &ctx.spec.sources[index];
    let name = super::source_struct_name(&source.id);
    let items = ctx.source_items(&source.id);
    let mut out = String::with_capacity(256 + items.len() * 160);
    doc(
        &mut out,
        "",
        format_args!(
            "What the `{}` source provides: {}",
            source.id, source.description
        ),
    );
    out.push_str("#[derive(Debug, Clone, PartialEq)]\n");
    let _ = writeln!(out, "pub struct {name} {{");
    for item in items {
        let whole = whole_type_text(item, "super::payload::");
        let ty = if item.if_unavailable == IfUnavailable::Unknown {
            whole
        } else {
            format!("Option<{whole}>")
        };
        let _ = writeln!(out, "    pub {}: {ty},", item.source_field);
    }
    out.push_str("}\n");
    let _ = writeln!(out, "impl {name} {{");
    doc(
        &mut out,
        "    ",
        "What a failed source reports: \"Unknown\" in text items, nothing in the others.",
    );
    out.push_str("    pub fn unknown() -> Self {\n        Self {\n");
    for item in items {
        let value = if item.if_unavailable == IfUnavailable::Unknown {
            "super::unknown()"
        } else {
            "None"
        };
        let _ = writeln!(out, "            {}: {value},", item.source_field);
    }
    out.push_str("        }\n    }\n");
    doc(
        &mut out,
        "    ",
        "Every item of this source at its example value from the spec.",
    );
    out.push_str("    pub fn example() -> Self {\n        Self {\n");
    for item in items {
        let value = value_text(item, &item.example, "super::payload::");
        if item.if_unavailable == IfUnavailable::Unknown {
            let _ = writeln!(out, "            {}: {value},", item.source_field);
        } else {
            let _ = writeln!(out, "            {}: Some({value}),", item.source_field);
        }
    }
    out.push_str("        }\n    }\n}\n");
    out
}

/// A value of `item` (its example or fallback, already checked against its type) as a Rust
/// expression; `payload` is the path to the `payload` module from where it is used.
pub(super) fn value_text(item: &Item, value: &Value, payload: &str) -> String {
    let leaf = |v: &Value| leaf_text(item, v, payload);
    match (&item.value_type.shape, value) {
        (Shape::List, Value::Array(values)) => {
            let values: Vec<String> = values.iter().map(leaf).collect();
            format!("vec![{}]", values.join(", "))
        }
        (Shape::Map { keys, optional }, Value::Object(map)) => {
            let renames = Renames::for_keys(keys.iter().map(|k| k.as_ref()));
            let fields: Vec<String> = keys
                .iter()
                .map(|k| {
                    let (f, _) = renames.field_text(k);
                    match (map.get(k.as_ref()), optional.contains(k)) {
                        (Some(v), true) => format!("{f}: Some({})", leaf(v)),
                        (Some(v), false) => format!("{f}: {}", leaf(v)),
                        (None, _) => format!("{f}: None"),
                    }
                })
                .collect();
            format!(
                "{payload}{} {{ {} }}",
                naming::struct_name(&item.path),
                fields.join(", ")
            )
        }
        (Shape::OpenMap { .. }, Value::Object(map)) => {
            let entries: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("(String::from({}), {})", literal(k), leaf(v)))
                .collect();
            format!("::indexmap::IndexMap::from([{}])", entries.join(", "))
        }
        (_, v) => leaf(v),
    }
}

fn leaf_text(item: &Item, value: &Value, payload: &str) -> String {
    match &item.value_type.leaf {
        Leaf::Scalar(s) => scalar_text(item, *s, value, payload),
        Leaf::Record(fields) => {
            let renames = Renames::for_keys(fields.iter().map(|f| f.name.as_ref()));
            let members: Vec<String> = fields
                .iter()
                .map(|f| {
                    let (field, _) = renames.field_text(&f.name);
                    let v = scalar_text(item, f.scalar, &value[f.name.as_ref()], payload);
                    format!("{field}: {v}")
                })
                .collect();
            format!("{payload}{} {{ {} }}", leaf_name(item), members.join(", "))
        }
    }
}

fn scalar_text(item: &Item, scalar: Scalar, value: &Value, payload: &str) -> String {
    match scalar {
        Scalar::Enum => {
            let text = value.as_str().unwrap_or_default();
            let mut seen = std::collections::HashSet::new();
            let variant = item
                .rules
                .values
                .iter()
                .enumerate()
                .map(|(i, v)| (v, super::payload::enum_variant(v, i, &mut seen)))
                .find(|(v, _)| *v == text)
                .map_or_else(String::new, |(_, variant)| variant.to_string());
            format!("{payload}{}::{variant}", leaf_name(item))
        }
        Scalar::Integer => format!("{}i64", value.as_i64().unwrap_or_default()),
        Scalar::Counter => format!("{}u64", value.as_u64().unwrap_or_default()),
        Scalar::Number => format!("{:?}f64", value.as_f64().unwrap_or_default()),
        Scalar::Boolean => value.as_bool().unwrap_or_default().to_string(),
        _ => format!(
            "String::from({})",
            literal(value.as_str().unwrap_or_default())
        ),
    }
}

/// `ExampleSources`: every source answering with its `example()`.
pub(super) fn example_sources(spec: &ValidSpec) -> TokenStream {
    let methods = spec.sources.iter().map(|source| {
        let name = source_struct(&source.id);
        let method = ident(&source.id);
        quote! {
            async fn #method(&self) -> Result<super::sources::#name, super::sources::SourceError> {
                Ok(super::sources::#name::example())
            }
        }
    });
    quote! {
        /// Every source answering at once with the example values of its items; `collect()` over
        /// it gives the example payload of the disclosure.
        #[derive(Debug, Clone, Copy, Default)]
        pub struct ExampleSources;

        impl super::sources::Sources for ExampleSources {
            #(#methods)*
        }
    }
}

/// A value of `item` (its fallback, already checked against its type) as tokens, for code
/// that is still built with `quote`; see [`value_text`].
pub(super) fn value_expr(item: &Item, value: &serde_json::Value, payload: &str) -> TokenStream {
    value_text(item, value, payload)
        .parse()
        .unwrap_or_else(|_| quote!(::core::unreachable!()))
}

pub(super) fn sources_trait(spec: &ValidSpec) -> TokenStream {
    let methods = spec.sources.iter().map(|source| {
        let name = source_struct(&source.id);
        let method = ident(&source.id);
        let doc = format!(" Reads the `{}` source: {}", source.id, source.description);
        quote! {
            #[doc = #doc]
            fn #method(&self) -> impl ::core::future::Future<Output = Result<#name, SourceError>> + Send;
        }
    });
    quote! {
        /// Reads every source. Each method is called once per report, concurrently with the
        /// others; an error or a panic costs only that source's items.
        pub trait Sources: Sync {
            #(#methods)*
        }
    }
}
