//! The `payload` module of the generated code: one struct per JSON object (written as text,
//! see [`object_struct_text`]), and the enum, record and map types item values need.

use std::fmt::Write as _;

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::{Context, Renames, ident, struct_ident};
use crate::model::Item;
use crate::naming;
use crate::tree::Member;
use crate::types::{IfUnavailable, Leaf, Scalar, Shape, ValueType};

/// `///` lines for `text` (one per line of text) at `indent`.
pub(super) fn doc(out: &mut String, indent: &str, text: impl std::fmt::Display) {
    // Formatted in place: only a text of several lines (or ending in `\r`) is taken apart
    // again, one field's doc of every item is not.
    let start = out.len();
    let _ = write!(out, "{indent}/// ");
    let body = out.len();
    let _ = write!(out, "{text}");
    if out[body..].contains('\n') || out.ends_with('\r') {
        let text = out.split_off(body);
        out.truncate(start);
        for line in text.split('\n') {
            let _ = writeln!(out, "{indent}/// {}", line.trim_end_matches('\r'));
        }
    } else {
        out.push('\n');
    }
}

/// The Rust type of one scalar value.
pub(super) fn scalar_type_text(scalar: Scalar) -> &'static str {
    match scalar {
        Scalar::Integer => "i64",
        Scalar::Counter => "u64",
        Scalar::Number => "f64",
        Scalar::Boolean => "bool",
        _ => "String",
    }
}

/// The generated enum or record type name of an item's leaves.
pub(super) fn leaf_name(item: &Item) -> String {
    let suffix = match item.value_type.leaf {
        Leaf::Record(_) => "Entry",
        _ => "Value",
    };
    format!("{}{suffix}", naming::struct_name(&item.path))
}

/// The Rust type of one leaf of an item; `payload` is the path to the `payload` module.
struct LeafType<'a> {
    item: &'a Item,
    payload: &'a str,
}

impl std::fmt::Display for LeafType<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.item.value_type.leaf {
            Leaf::Scalar(Scalar::Enum) | Leaf::Record(_) => {
                write!(f, "{}{}", self.payload, leaf_name(self.item))
            }
            Leaf::Scalar(s) => f.write_str(scalar_type_text(*s)),
        }
    }
}

/// The Rust type of an item's whole value (never `Option`), written straight into the code
/// around it (one item's code would otherwise build several short-lived strings).
pub(super) struct WholeType<'a> {
    pub item: &'a Item,
    /// The path to the `payload` module from where the type is used.
    pub payload: &'a str,
}

impl std::fmt::Display for WholeType<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (item, payload) = (self.item, self.payload);
        let leaf = LeafType { item, payload };
        match &item.value_type.shape {
            Shape::One => write!(f, "{leaf}"),
            Shape::List => write!(f, "Vec<{leaf}>"),
            Shape::Map { .. } => write!(f, "{payload}{}", naming::struct_name(&item.path)),
            Shape::OpenMap { .. } => write!(f, "::indexmap::IndexMap<String, {leaf}>"),
        }
    }
}

/// The serde attribute of a field that is left out when `None` (`omit`).
fn omit_attr(rule: IfUnavailable) -> Option<&'static str> {
    (rule == IfUnavailable::Omit)
        .then_some("#[serde(default, skip_serializing_if = \"Option::is_none\")]")
}

/// One payload object as a struct.
pub(super) fn object_struct_text(ctx: &Context<'_>, index: usize) -> String {
    let object = &ctx.objects[index];
    let name = naming::struct_name(object.path);
    let mut out = String::with_capacity(128 + object.members.len() * 200);
    if object.path.is_empty() {
        doc(
            &mut out,
            "",
            "The whole telemetry payload, exactly as it is sent.",
        );
    } else {
        doc(
            &mut out,
            "",
            format_args!("The JSON object at `{}`.", object.path.join(".")),
        );
    }
    out.push_str("#[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]\n");
    out.push_str("#[serde(deny_unknown_fields)]\n");
    let renames = Renames::for_keys(object.members.iter().map(Member::segment));
    if renames.kebab {
        out.push_str("#[serde(rename_all = \"kebab-case\")]\n");
    }
    let _ = writeln!(out, "pub struct {name} {{");
    for member in &object.members {
        let (field, rename) = renames.field_text(member.segment());
        let (ty, attr) = match member {
            Member::Object(_, index) => {
                let ty = naming::struct_name(ctx.objects[*index].path);
                match ctx.objects[*index].optional {
                    Some(rule) => (format!("Option<{ty}>"), omit_attr(rule)),
                    None => (ty, None),
                }
            }
            Member::Leaf(_, item) => {
                let item = &ctx.spec.items[*item];
                doc(
                    &mut out,
                    "    ",
                    format_args!("{} (item `{}`): {}", item.label, item.id, item.description),
                );
                let whole = WholeType { item, payload: "" };
                let ty = if item.is_optional() {
                    format!("Option<{whole}>")
                } else {
                    whole.to_string()
                };
                (ty, omit_attr(item.if_unavailable))
            }
        };
        for line in [rename.as_deref(), attr].into_iter().flatten() {
            let _ = writeln!(out, "    {line}");
        }
        let _ = writeln!(out, "    pub {field}: {ty},");
    }
    out.push_str("}\n");
    out
}

/// Whether an item's value needs a generated type: an enum, a record or a map struct.
pub(super) fn needs_types(item: &Item) -> bool {
    matches!(item.value_type.shape, Shape::Map { .. })
        || matches!(
            item.value_type.leaf,
            Leaf::Record(_) | Leaf::Scalar(Scalar::Enum)
        )
}

/// [`leaf_name`] as an identifier, for code built with `quote`.
pub(super) fn leaf_ident(item: &Item) -> Ident {
    ident(&leaf_name(item))
}

/// [`scalar_type_text`] as tokens (every such type is one identifier).
fn scalar_type(scalar: Scalar) -> Ident {
    ident(scalar_type_text(scalar))
}

/// [`LeafType`] inside the `payload` module, as tokens (one identifier).
fn leaf_type(item: &Item) -> Ident {
    ident(&LeafType { item, payload: "" }.to_string())
}

/// The types an item's value needs: its enum or record, and its map struct.
pub(super) fn item_types(item: &Item) -> TokenStream {
    let mut out = TokenStream::new();
    match &item.value_type.leaf {
        Leaf::Scalar(Scalar::Enum) => out.extend(enum_type(item)),
        Leaf::Record(fields) => {
            let name = leaf_ident(item);
            let doc = format!(" One entry of `{}` ({}).", item.path_string(), item.label);
            let renames = Renames::for_keys(fields.iter().map(|f| f.name.as_ref()));
            let container = renames.container();
            let members = fields.iter().map(|f| {
                let (field, rename) = renames.field(&f.name);
                let ty = scalar_type(f.scalar);
                quote!(#rename pub #field: #ty,)
            });
            out.extend(quote! {
                #[doc = #doc]
                #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
                #[serde(deny_unknown_fields)]
                #container
                pub struct #name { #(#members)* }
            });
        }
        Leaf::Scalar(_) => {}
    }
    if let Shape::Map { keys, optional } = &item.value_type.shape {
        out.extend(map_struct(item, keys, optional));
    }
    out
}

/// A Rust enum with one variant per declared value, serialized as the value itself.
fn enum_type(item: &Item) -> TokenStream {
    let name = leaf_ident(item);
    let doc = format!(" The values of `{}` ({}).", item.path_string(), item.label);
    let mut seen = std::collections::HashSet::new();
    let variants = item.rules.values.iter().enumerate().map(|(i, value)| {
        let variant = enum_variant(value, i, &mut seen);
        quote!(#[serde(rename = #value)] #variant,)
    });
    quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
        pub enum #name { #(#variants)* }
    }
}

/// The variant for an enum value: its words in PascalCase, made unique and a valid identifier.
pub(super) fn enum_variant(
    value: &str,
    index: usize,
    seen: &mut std::collections::HashSet<String>,
) -> Ident {
    let mut name: String = naming::pascal_case(value)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    // `Self` is the one keyword a PascalCase word can spell.
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) || name == "Self" {
        name = format!("V{name}");
    }
    let mut unique = name.clone();
    let mut n = index;
    while !seen.insert(unique.clone()) {
        unique = format!("{name}{n}");
        n += 1;
    }
    ident(&unique)
}

fn map_struct(
    item: &Item,
    keys: &[crate::types::Str],
    optional: &[crate::types::Str],
) -> TokenStream {
    let name = struct_ident(&item.path);
    let each = telemetry_types::describe(
        &ValueType {
            shape: Shape::One,
            leaf: item.value_type.leaf.clone(),
        },
        &item.rules,
    );
    let doc = format!(
        " The keys of `{}` ({}); each value: {}.",
        item.path_string(),
        item.label,
        each
    );
    let renames = Renames::for_keys(keys.iter().map(|k| k.as_ref()));
    let container = renames.container();
    let leaf = leaf_type(item);
    let fields = keys.iter().map(|k| {
        let (f, rename) = renames.field(k);
        if optional.contains(k) {
            quote!(#rename #[serde(default, skip_serializing_if = "Option::is_none")] pub #f: Option<#leaf>,)
        } else {
            quote!(#rename pub #f: #leaf,)
        }
    });
    let fallback = (item.if_unavailable == IfUnavailable::Unknown).then(|| {
        let unknown = keys.iter().map(|k| {
            let (f, _) = renames.field(k);
            if optional.contains(k) {
                quote!(#f: Some(super::unknown()),)
            } else {
                quote!(#f: super::unknown(),)
            }
        });
        quote! {
            impl super::Fallback for #name {
                fn unknown() -> Self {
                    Self { #(#unknown)* }
                }
            }
        }
    });
    quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #container
        pub struct #name {
            #(#fields)*
        }

        #fallback
    }
}

#[cfg(test)]
mod tests {
    use super::doc;

    #[test]
    fn doc_writes_a_line_of_comment_per_line_of_text() {
        for text in [
            "",
            "one line",
            "ends in\r",
            "two\nlines",
            "crlf\r\nlines\r\n",
            "\n",
        ] {
            let mut out = String::from("before\n");
            doc(&mut out, "    ", format_args!("{text}"));
            let mut expected = String::from("before\n");
            for line in text.split('\n') {
                expected.push_str(&format!("    /// {}\n", line.trim_end_matches('\r')));
            }
            assert_eq!(out, expected, "{text:?}");
        }
    }
}
