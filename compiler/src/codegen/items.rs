//! The `items` module of the generated code: the typed item table (`ItemInfo` constants,
//! written as text) and the optional objects, for previews and the pre-send check.

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
    match rule {
        IfUnavailable::Unknown => quote!(IfUnavailable::Unknown),
        IfUnavailable::Omit => quote!(IfUnavailable::Omit),
        IfUnavailable::Null => quote!(IfUnavailable::Null),
        IfUnavailable::Fallback => quote!(IfUnavailable::Fallback),
    }
}

fn item_const_name(item: &Item) -> Ident {
    ident(&item.id.to_ascii_uppercase())
}

/// `pub const NAME: ItemInfo = ItemInfo { ... };`, written as formatted text directly: the
/// item table is most of the generated code at scale, and all of it is literals, so building
/// and printing a syntax tree for it would be where most of the time goes.
pub(super) fn item_const(item: &Item, out: &mut String) {
    use std::fmt::Write as _;
    let text = |s: &str| format!("{s:?}");
    let cow = |s: &str| format!("Cow::Borrowed({s:?})");
    let list = |items: &[String]| format!("Cow::Borrowed(&[{}])", items.join(", "));
    let scalar = |s: Scalar| format!("Scalar::{s:?}");
    let leaf = match &item.value_type.leaf {
        Leaf::Scalar(s) => format!("Leaf::Scalar({})", scalar(*s)),
        Leaf::Record(fields) => {
            let fields: Vec<String> = fields
                .iter()
                .map(|f| {
                    format!(
                        "Field {{ name: {}, scalar: {} }}",
                        cow(&f.name),
                        scalar(f.scalar)
                    )
                })
                .collect();
            format!("Leaf::Record({})", list(&fields))
        }
    };
    let value_type = match (&item.value_type.shape, &item.value_type.leaf) {
        (Shape::One, Leaf::Scalar(s)) => format!("ValueType::one({})", scalar(*s)),
        (Shape::List, Leaf::Scalar(s)) => format!("ValueType::list({})", scalar(*s)),
        (shape, _) => {
            let shape = match shape {
                Shape::One => "Shape::One".to_owned(),
                Shape::List => "Shape::List".to_owned(),
                Shape::Map { keys, optional } => format!(
                    "Shape::Map {{ keys: {}, optional: {} }}",
                    list(&keys.iter().map(|k| cow(k)).collect::<Vec<_>>()),
                    list(&optional.iter().map(|k| cow(k)).collect::<Vec<_>>())
                ),
                Shape::OpenMap {
                    key_pattern,
                    max_keys,
                } => format!(
                    "Shape::OpenMap {{ key_pattern: {}, max_keys: {max_keys} }}",
                    cow(key_pattern)
                ),
            };
            format!("ValueType {{ shape: {shape}, leaf: {leaf} }}")
        }
    };
    let r = &item.rules;
    let rules = if *r == crate::types::Rules::DEFAULT {
        "Rules::DEFAULT".to_owned()
    } else {
        let bound = |b: Option<f64>| b.map_or("None".to_owned(), |v| format!("Some({v:?})"));
        format!(
            "Rules {{ min: {}, max: {}, values: {}, unit: {}, max_length: {}, max_items: {} }}",
            bound(r.min),
            bound(r.max),
            list(&r.values.iter().map(|v| cow(v)).collect::<Vec<_>>()),
            r.unit
                .as_ref()
                .map_or("None".to_owned(), |u| format!("Some({})", cow(u))),
            r.max_length,
            r.max_items
        )
    };
    let sensitivity = item
        .sensitivity
        .map_or("None".to_owned(), |s| format!("Some(Sensitivity::{s:?})"));
    // The record an approval keeps, computed where `telemetry-spec diff` computes it.
    let record = crate::diff::approved_item(item);
    let _ = write!(
        out,
        "pub const {}: ItemInfo = ItemInfo {{\n    id: {},\n    path: {},\n    label: {},\n    category: {},\n    sensitivity: {sensitivity},\n    value_type: {value_type},\n    rules: {rules},\n    if_unavailable: {},\n    source: {},\n    since: {},\n    type_text: {},\n    purpose_digest: {},\n}};\n",
        item_const_name(item),
        text(&item.id),
        text(&item.path_string()),
        text(&item.label),
        text(&item.category),
        unavailable_tokens(item.if_unavailable)
            .to_string()
            .replace(' ', ""),
        text(&item.source_ref()),
        text(&item.since),
        text(&record.type_text),
        text(&record.purpose_digest),
    );
}

pub(super) fn item_list(spec: &ValidSpec) -> TokenStream {
    let consts = spec.items.iter().map(item_const_name);
    quote! {
        /// Every item, in spec order.
        pub const ITEMS: &[ItemInfo] = &[#(#consts),*];
    }
}
