//! Lints: warnings about a valid spec that would leave a compliance reviewer short of
//! information. Each can be switched off for one item with `allow = ["<lint name>"]`; they fail
//! `telemetry-spec check` only with `--deny-warnings`.

use std::hash::{Hash, Hasher};

use crate::diagnostic::{Code, Diagnostic};
use crate::fastmap::FastMap;
use crate::model::ValidSpec;

/// A label compared without regard to ASCII case, without allocating a lowercase copy.
#[derive(Clone, Copy)]
struct Folded<'a>(&'a str);

impl PartialEq for Folded<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(other.0)
    }
}

impl Eq for Folded<'_> {}

impl Hash for Folded<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for b in self.0.bytes() {
            state.write_u8(b.to_ascii_lowercase());
        }
    }
}

/// Fewer words than this and a description names the value rather than explaining it.
const MIN_DESCRIPTION_WORDS: usize = 6;

/// Every lint finding for `spec`, in item order.
pub fn lints(spec: &ValidSpec) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut labels: FastMap<Folded<'_>, &str> =
        FastMap::with_capacity_and_hasher(spec.items.len(), Default::default());
    for item in &spec.items {
        let at = item.spans.id.span();
        let mut warn = |code: Code, message: String, help: &str| {
            if !item.allows(code) {
                out.push(
                    Diagnostic::new(code, at.clone(), message)
                        .with_help(help)
                        .with_help(format!(
                            "allow it for this item with `allow = [\"{}\"]`",
                            code.name()
                        )),
                );
            }
        };
        match item.sensitivity {
            None => warn(
                Code::MissingSensitivity,
                format!("item `{}` does not state its sensitivity", item.id),
                "add `sensitivity = \"public\" | \"technical\" | \"identifying\" | \"business-confidential\"`",
            ),
            Some(s) if s.needs_purpose() && item.purpose.is_none() => warn(
                Code::MissingPurpose,
                format!(
                    "item `{}` is {} but does not say why it is collected",
                    item.id,
                    s.as_str()
                ),
                "add `purpose = \"...\"`: reviewers approve identifying and confidential items for a stated purpose",
            ),
            Some(_) => {}
        }
        let number = |s: telemetry_types::Scalar| s == telemetry_types::Scalar::Number;
        if item.value_type.leaf.scalar().is_some_and(number) && item.rules.unit.is_none() {
            warn(
                Code::MissingUnit,
                format!("item `{}` is a number without a `unit`", item.id),
                "add `unit = \"seconds\"` (or bytes, percent, ...); reviewers read numbers by their unit",
            );
        }
        if item.review.is_none() {
            warn(
                Code::MissingReview,
                format!("item `{}` names no approval in `review`", item.id),
                "add `review = \"<URL or ticket id of the data review>\"` once the item was reviewed",
            );
        }
        let words = item.description.split_whitespace().count();
        if words < MIN_DESCRIPTION_WORDS
            || item
                .description
                .trim()
                .eq_ignore_ascii_case(item.label.trim())
        {
            warn(
                Code::ShortDescription,
                format!(
                    "the description of item `{}` is too short to tell a reviewer what is sent ({words} words)",
                    item.id
                ),
                "say what the value is, where it comes from and what it looks like",
            );
        }
        let key = Folded(item.label.trim());
        match labels.get(&key) {
            Some(first) => warn(
                Code::DuplicateLabel,
                format!(
                    "items `{first}` and `{}` have the same label `{}`",
                    item.id, item.label
                ),
                "give each item its own label: the disclosure page lists items by label",
            ),
            None => {
                labels.insert(key, &item.id);
            }
        }
    }
    for source in &spec.sources {
        if !spec.items.iter().any(|i| i.source == source.id) {
            out.push(
                Diagnostic::new(
                    Code::UnusedSource,
                    source.span.clone(),
                    format!("source `{}` feeds no item", source.id),
                )
                .with_help("remove it, or add the items it is meant to provide"),
            );
        }
    }
    out
}
