//! Lints: warnings about a valid spec that would leave a compliance reviewer short of
//! information. Each can be switched off for one item with `allow = ["<lint name>"]`; they fail
//! `telemetry-spec check` only with `--deny-warnings`.

use std::collections::HashMap;

use crate::diagnostic::{Code, Diagnostic};
use crate::model::ValidSpec;

/// Fewer words than this and a description names the value rather than explaining it.
const MIN_DESCRIPTION_WORDS: usize = 6;

/// Every lint finding for `spec`, in item order.
pub fn lints(spec: &ValidSpec) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut labels: HashMap<String, &str> = HashMap::new();
    for item in &spec.items {
        let at = item.spans.id.clone();
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
        let key = item.label.trim().to_lowercase();
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
