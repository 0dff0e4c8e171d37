//! The `items` module of the generated code: the typed item table (`ItemInfo` constants,
//! written as text) and the optional objects, for previews and the pre-send check.

use std::fmt::Write as _;

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::ident;
use crate::model::{Item, ValidSpec};
use crate::types::{IfUnavailable, Leaf, Scalar, Shape};

pub(super) fn item_info(spec: &ValidSpec) -> TokenStream {
    let objects = spec.objects.iter().map(|o| {
        let path = o.path_string();
        let rule = unavailable_tokens(o.if_unavailable);
        quote!(::telemetry_types::ObjectInfo { path: #path, if_unavailable: #rule })
    });
    quote! {
        pub use ::telemetry_types::{IfUnavailable, ItemInfo, ObjectInfo, Rules, Sensitivity};
        // What the item constants are built from; a spec may not need every one.
        #[allow(unused_imports)]
        use ::telemetry_types::{Field, Leaf, Scalar, Shape, ValueType};
        #[allow(unused_imports)]
        use ::std::borrow::Cow;

        /// The objects that are left out (or `null`) as a whole when none of their items has a value.
        pub const OPTIONAL_OBJECTS: &[ObjectInfo] = &[#(#objects),*];
    }
}

fn unavailable_tokens(rule: IfUnavailable) -> TokenStream {
    unavailable_text(rule)
        .parse()
        .unwrap_or_else(|_| quote!(::core::unreachable!()))
}

fn item_const_name(item: &Item) -> Ident {
    ident(&item.id.to_ascii_uppercase())
}

/// [`item_const_name`], appended as text.
fn push_const_name(out: &mut String, item: &Item) {
    out.extend(item.id.chars().map(|c| c.to_ascii_uppercase()));
}

/// `pub const NAME: ItemInfo = ItemInfo { ... };`, written as formatted text directly and
/// indented for the `items` module it goes into: the item table is most of the generated code
/// at scale, and all of it is literals, so building and printing a syntax tree for it (or
/// indenting it line by line afterwards) would be where most of the time goes.
pub(super) fn item_const(item: &Item, out: &mut String) {
    let text = |out: &mut String, s: &str| push_literal(out, s);
    let cow = |out: &mut String, s: &str| {
        out.push_str("Cow::Borrowed(");
        push_literal(out, s);
        out.push(')');
    };
    let list = |out: &mut String, items: &[crate::types::Str]| {
        out.push_str("Cow::Borrowed(&[");
        for (i, k) in items.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            cow(out, k);
        }
        out.push_str("])");
    };
    let scalar = |out: &mut String, s: Scalar| {
        let _ = write!(out, "Scalar::{s:?}");
    };
    out.push_str("    pub const ");
    push_const_name(out, item);
    out.push_str(": ItemInfo = ItemInfo {\n        id: ");
    text(out, &item.id);
    out.push_str(",\n        path: ");
    text(out, &item.path_string());
    out.push_str(",\n        label: ");
    text(out, &item.label);
    out.push_str(",\n        category: ");
    text(out, &item.category);
    out.push_str(",\n        sensitivity: ");
    match item.sensitivity {
        Some(s) => {
            let _ = write!(out, "Some(Sensitivity::{s:?})");
        }
        None => out.push_str("None"),
    }
    out.push_str(",\n        value_type: ");
    match (&item.value_type.shape, &item.value_type.leaf) {
        (Shape::One, Leaf::Scalar(s)) => {
            out.push_str("ValueType::one(");
            scalar(out, *s);
            out.push(')');
        }
        (Shape::List, Leaf::Scalar(s)) => {
            out.push_str("ValueType::list(");
            scalar(out, *s);
            out.push(')');
        }
        (shape, leaf) => {
            out.push_str("ValueType { shape: ");
            match shape {
                Shape::One => out.push_str("Shape::One"),
                Shape::List => out.push_str("Shape::List"),
                Shape::Map { keys, optional } => {
                    out.push_str("Shape::Map { keys: ");
                    list(out, keys);
                    out.push_str(", optional: ");
                    list(out, optional);
                    out.push_str(" }");
                }
                Shape::OpenMap {
                    key_pattern,
                    max_keys,
                } => {
                    out.push_str("Shape::OpenMap { key_pattern: ");
                    cow(out, key_pattern);
                    let _ = write!(out, ", max_keys: {max_keys} }}");
                }
            }
            out.push_str(", leaf: ");
            match leaf {
                Leaf::Scalar(s) => {
                    out.push_str("Leaf::Scalar(");
                    scalar(out, *s);
                    out.push(')');
                }
                Leaf::Record(fields) => {
                    out.push_str("Leaf::Record(Cow::Borrowed(&[");
                    for (i, f) in fields.iter().enumerate() {
                        if i > 0 {
                            out.push_str(", ");
                        }
                        out.push_str("Field { name: ");
                        cow(out, &f.name);
                        out.push_str(", scalar: ");
                        scalar(out, f.scalar);
                        out.push_str(" }");
                    }
                    out.push_str("]))");
                }
            }
            out.push_str(" }");
        }
    }
    out.push_str(",\n        rules: ");
    let r: &crate::types::Rules = &item.rules;
    if *r == crate::types::Rules::DEFAULT {
        out.push_str("Rules::DEFAULT");
    } else {
        let bound = |out: &mut String, b: Option<f64>| match b {
            Some(v) => {
                let _ = write!(out, "Some({v:?})");
            }
            None => out.push_str("None"),
        };
        out.push_str("Rules { min: ");
        bound(out, r.min);
        out.push_str(", max: ");
        bound(out, r.max);
        out.push_str(", values: ");
        list(out, &r.values);
        out.push_str(", unit: ");
        match &r.unit {
            Some(u) => {
                out.push_str("Some(");
                cow(out, u);
                out.push(')');
            }
            None => out.push_str("None"),
        }
        let _ = write!(
            out,
            ", max_length: {}, max_items: {} }}",
            r.max_length, r.max_items
        );
    }
    out.push_str(",\n        if_unavailable: ");
    out.push_str(unavailable_text(item.if_unavailable));
    out.push_str(",\n        source: ");
    let mut source = String::with_capacity(item.source.len() + item.source_field.len() + 1);
    source.push_str(&item.source);
    source.push('.');
    source.push_str(&item.source_field);
    text(out, &source);
    out.push_str(",\n        since: ");
    text(out, &item.since);
    // The record an approval keeps, computed where `telemetry-spec diff` computes it.
    let (type_text, purpose_digest) = crate::diff::approval_texts(item);
    out.push_str(",\n        type_text: ");
    text(out, &type_text);
    out.push_str(",\n        purpose_digest: ");
    text(out, &purpose_digest);
    out.push_str(",\n    };\n");
}

/// `s` as a Rust string literal, as `{s:?}` writes it; most texts need no escape at all.
fn push_literal(out: &mut String, s: &str) {
    /// What `{:?}` escapes or might: all but printable ASCII, and `"` and `\`.
    const SPECIAL: [bool; 256] = {
        let mut table = [true; 256];
        let mut b = b' ';
        while b <= b'~' {
            table[b as usize] = b == b'"' || b == b'\\';
            b += 1;
        }
        table
    };
    if crate::escape::first_special(s.as_bytes(), &SPECIAL) == s.len() {
        out.push('"');
        out.push_str(s);
        out.push('"');
    } else {
        let _ = write!(out, "{s:?}");
    }
}

fn unavailable_text(rule: IfUnavailable) -> &'static str {
    match rule {
        IfUnavailable::Unknown => "IfUnavailable::Unknown",
        IfUnavailable::Omit => "IfUnavailable::Omit",
        IfUnavailable::Null => "IfUnavailable::Null",
        IfUnavailable::Fallback => "IfUnavailable::Fallback",
    }
}

/// [`item_list`] as prettyplease prints it when the list cannot stay on one line (one
/// constant per line); `None` for a list short enough that it might.
pub(super) fn item_list_text(spec: &ValidSpec) -> Option<String> {
    const HEAD: &str = "pub const ITEMS: &[ItemInfo] = &[";
    // The names as `item_const_name` spells them, without building identifiers.
    let flat: usize = spec.items.iter().map(|i| i.id.len() + 2).sum();
    // `HEAD` + `A, B` + `];` within prettyplease's 89 columns would be one line.
    if HEAD.len() + flat <= 89 {
        return None;
    }
    let mut out = String::with_capacity(64 + flat * 2);
    out.push_str("/// Every item, in spec order.\n");
    out.push_str(HEAD);
    out.push('\n');
    for item in &spec.items {
        out.push_str("    ");
        push_const_name(&mut out, item);
        out.push_str(",\n");
    }
    out.push_str("];\n");
    Some(out)
}

pub(super) fn item_list(spec: &ValidSpec) -> TokenStream {
    let consts = spec.items.iter().map(item_const_name);
    quote! {
        /// Every item, in spec order.
        pub const ITEMS: &[ItemInfo] = &[#(#consts),*];
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_literal_is_written_as_debug_formatting_writes_it() {
        let texts = [
            "",
            "plain text of some length, past eight bytes",
            "a \"quoted\" word",
            "back\\slash",
            "line\nbreak",
            "tab\there",
            "\u{7f} delete",
            "caf\u{e9} and \u{1f600}",
            "\u{0}",
        ];
        for text in texts {
            let mut out = String::new();
            super::push_literal(&mut out, text);
            assert_eq!(out, format!("{text:?}"));
        }
    }
}
