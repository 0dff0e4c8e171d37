//! The `sources` and `example` modules of the generated code: one struct per source with its
//! `unknown()` and `example()` (written as text), the `Sources` trait, and `ExampleSources`;
//! and the values of examples and fallbacks as Rust expressions.

use std::fmt::Write as _;

use proc_macro2::TokenStream;
use quote::quote;
use serde_json::Value;

use super::payload::{WholeType, doc, leaf_name};
use super::{Context, Renames, ident, source_struct};
use crate::model::{Item, ValidSpec};
use crate::naming;
use crate::types::{IfUnavailable, Leaf, Scalar, Shape};

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
        let field = &item.source_field;
        let whole = WholeType {
            item,
            payload: "super::payload::",
        };
        let _ = if item.if_unavailable == IfUnavailable::Unknown {
            writeln!(out, "    pub {field}: {whole},")
        } else {
            writeln!(out, "    pub {field}: Option<{whole}>,")
        };
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
        let value = ValueText {
            item,
            value: &item.example,
            payload: "super::payload::",
        };
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
/// expression, written straight into the code around it.
struct ValueText<'a> {
    item: &'a Item,
    value: &'a Value,
    /// The path to the `payload` module from where the value is used.
    payload: &'a str,
}

impl std::fmt::Display for ValueText<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let item = self.item;
        match (&item.value_type.shape, self.value) {
            (Shape::List, Value::Array(values)) => {
                f.write_str("vec![")?;
                for (i, v) in values.iter().enumerate() {
                    f.write_str(separator(i))?;
                    self.leaf(f, v)?;
                }
                f.write_str("]")
            }
            (Shape::Map { keys, optional }, Value::Object(map)) => {
                let renames = Renames::for_keys(keys.iter().map(|k| k.as_ref()));
                write!(f, "{}{} {{ ", self.payload, naming::struct_name(&item.path))?;
                for (i, k) in keys.iter().enumerate() {
                    let (field, _) = renames.field_text(k);
                    write!(f, "{}{field}: ", separator(i))?;
                    match (map.get(k.as_ref()), optional.contains(k)) {
                        (Some(v), true) => {
                            f.write_str("Some(")?;
                            self.leaf(f, v)?;
                            f.write_str(")")?;
                        }
                        (Some(v), false) => self.leaf(f, v)?,
                        (None, _) => f.write_str("None")?,
                    }
                }
                f.write_str(" }")
            }
            (Shape::OpenMap { .. }, Value::Object(map)) => {
                f.write_str("::indexmap::IndexMap::from([")?;
                for (i, (k, v)) in map.iter().enumerate() {
                    write!(f, "{}(String::from({k:?}), ", separator(i))?;
                    self.leaf(f, v)?;
                    f.write_str(")")?;
                }
                f.write_str("])")
            }
            (_, v) => self.leaf(f, v),
        }
    }
}

impl ValueText<'_> {
    /// One leaf of the value: a scalar, or a record of scalars.
    fn leaf(&self, f: &mut std::fmt::Formatter<'_>, value: &Value) -> std::fmt::Result {
        let (item, payload) = (self.item, self.payload);
        match &item.value_type.leaf {
            Leaf::Scalar(s) => write_scalar(f, item, *s, value, payload),
            Leaf::Record(fields) => {
                let renames = Renames::for_keys(fields.iter().map(|f| f.name.as_ref()));
                write!(f, "{payload}{} {{ ", leaf_name(item))?;
                for (i, field) in fields.iter().enumerate() {
                    let (name, _) = renames.field_text(&field.name);
                    write!(f, "{}{name}: ", separator(i))?;
                    write_scalar(f, item, field.scalar, &value[field.name.as_ref()], payload)?;
                }
                f.write_str(" }")
            }
        }
    }
}

/// What goes before the `i`-th element of a list written out.
fn separator(i: usize) -> &'static str {
    if i == 0 { "" } else { ", " }
}

fn write_scalar(
    f: &mut std::fmt::Formatter<'_>,
    item: &Item,
    scalar: Scalar,
    value: &Value,
    payload: &str,
) -> std::fmt::Result {
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
            write!(f, "{payload}{}::{variant}", leaf_name(item))
        }
        Scalar::Integer => write!(f, "{}i64", value.as_i64().unwrap_or_default()),
        Scalar::Counter => write!(f, "{}u64", value.as_u64().unwrap_or_default()),
        Scalar::Number => write!(f, "{:?}f64", value.as_f64().unwrap_or_default()),
        Scalar::Boolean => write!(f, "{}", value.as_bool().unwrap_or_default()),
        _ => write!(f, "String::from({:?})", value.as_str().unwrap_or_default()),
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
/// that is still built with `quote`; see [`ValueText`].
pub(super) fn value_expr(item: &Item, value: &serde_json::Value, payload: &str) -> TokenStream {
    ValueText {
        item,
        value,
        payload,
    }
    .to_string()
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
