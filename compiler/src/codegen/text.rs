//! The large, regular parts of the generated code written directly as formatted text: the
//! payload structs and the source structs with their `unknown()` and `example()`. At scale
//! they are most of the code, and building tokens only to parse and pretty-print them again
//! was most of the compiler's time; the small, irregular parts still go through `quote` and
//! `prettyplease`. The text follows prettyplease's layout (four spaces, one field a line).

use std::fmt::Write as _;

use serde_json::Value;

use super::{Context, Member, Renames};
use crate::model::Item;
use crate::naming;
use crate::types::{IfUnavailable, Leaf, Scalar, Shape};

/// `///` lines for `text` (one per line of text) at `indent`.
fn doc(out: &mut String, indent: &str, text: &str) {
    for line in text.split('\n') {
        let _ = writeln!(out, "{indent}/// {}", line.trim_end_matches('\r'));
    }
}

fn literal(text: &str) -> String {
    format!("{text:?}")
}

/// The Rust type of one scalar value.
pub(super) fn scalar_type(scalar: Scalar) -> &'static str {
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
fn leaf_type(item: &Item, payload: &str) -> String {
    match &item.value_type.leaf {
        Leaf::Scalar(Scalar::Enum) | Leaf::Record(_) => format!("{payload}{}", leaf_name(item)),
        Leaf::Scalar(s) => scalar_type(*s).to_owned(),
    }
}

/// The Rust type of an item's whole value (never `Option`).
pub(super) fn whole_type(item: &Item, payload: &str) -> String {
    let leaf = leaf_type(item, payload);
    match &item.value_type.shape {
        Shape::One => leaf,
        Shape::List => format!("Vec<{leaf}>"),
        Shape::Map { .. } => format!("{payload}{}", naming::struct_name(&item.path)),
        Shape::OpenMap { .. } => format!("::indexmap::IndexMap<String, {leaf}>"),
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
    let name = naming::struct_name(&object.path);
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
            &format!("The JSON object at `{}`.", object.path.join(".")),
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
            Member::Object { index, .. } => {
                let path = &ctx.objects[*index].path;
                let ty = naming::struct_name(path);
                match ctx.optional_object(path) {
                    Some(rule) => (format!("Option<{ty}>"), omit_attr(rule)),
                    None => (ty, None),
                }
            }
            Member::Leaf { item, .. } => {
                let item = &ctx.spec.items[*item];
                doc(
                    &mut out,
                    "    ",
                    &format!("{} (item `{}`): {}", item.label, item.id, item.description),
                );
                let whole = whole_type(item, "");
                let ty = if item.is_optional() {
                    format!("Option<{whole}>")
                } else {
                    whole
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

/// One source's struct, with `unknown()` and `example()`.
pub(super) fn source_struct_text(ctx: &Context<'_>, index: usize) -> String {
    let source = &ctx.spec.sources[index];
    let name = super::source_struct_name(&source.id);
    let items = ctx.source_items(&source.id);
    let mut out = String::with_capacity(256 + items.len() * 160);
    doc(
        &mut out,
        "",
        &format!(
            "What the `{}` source provides: {}",
            source.id, source.description
        ),
    );
    out.push_str("#[derive(Debug, Clone, PartialEq)]\n");
    let _ = writeln!(out, "pub struct {name} {{");
    for item in items {
        let whole = whole_type(item, "super::payload::");
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
                .map(|(i, v)| (v, super::enum_variant(v, i, &mut seen)))
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
