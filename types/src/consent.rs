//! What a superuser approved when switching telemetry on, and the one decision of whether a
//! spec is still covered by that approval.
//!
//! An approval keeps, for every item of the disclosure the superuser read, an
//! [`ApprovedItem`]: its id, path, type (with its rules, as `telemetry-spec diff` renders it),
//! sensitivity and a digest of its purpose. That is all a later comparison needs, so a newer
//! binary can tell exactly what changed without the old spec. The compiler writes the same
//! record into every generated `ItemInfo`, so the runtime compares its own item table with the
//! stored approval through [`compare`], and `telemetry-spec diff` reports the same verdicts
//! through the same function.
//!
//! The rules ([`compare`]):
//! - covered: a removed item; an added or changed `public`/`technical` item; a rollback to a
//!   subset of the approved items;
//! - needs a new approval: an added `identifying`, `business-confidential` or unclassified item;
//!   a raised sensitivity; a changed purpose of an `identifying`/`business-confidential` item;
//!   a changed path or type of such an item (what it discloses is no longer what was read).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::Sensitivity;

/// What the comparison needs to know about one approved item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApprovedItem {
    pub id: String,
    /// The JSON path, dot-separated.
    pub path: String,
    /// The type with the rules that narrow it, as `telemetry-spec diff` renders it.
    #[serde(rename = "type")]
    pub type_text: String,
    /// `public`, `technical`, `identifying`, `business-confidential` or `unclassified`.
    pub sensitivity: String,
    /// [`purpose_digest`] of the item's purpose.
    pub purpose_digest: String,
}

/// An approval of one spec version: its items and a digest over them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Approval {
    pub spec_version: String,
    /// [`items_digest`] of `items`.
    pub digest: String,
    pub items: Vec<ApprovedItem>,
}

impl Approval {
    /// The approval of `items` at `spec_version`.
    pub fn new(spec_version: &str, items: Vec<ApprovedItem>) -> Self {
        Approval {
            spec_version: spec_version.to_owned(),
            digest: items_digest(&items),
            items,
        }
    }
}

/// The name of a sensitivity as records hold it; `unclassified` for none.
pub fn sensitivity_name(s: Option<Sensitivity>) -> &'static str {
    s.map_or("unclassified", Sensitivity::as_str)
}

/// Orders sensitivities from least to most; unclassified ranks above every class, since
/// nothing is known about it.
fn rank(name: &str) -> usize {
    Sensitivity::parse(name).map_or(Sensitivity::ALL.len(), |s| s as usize)
}

/// Whether an item of this sensitivity needs an explicit approval to be sent.
fn sensitive(name: &str) -> bool {
    Sensitivity::parse(name).is_none_or(Sensitivity::needs_purpose)
}

/// SHA-256 (hex) of a purpose with its whitespace collapsed, so re-wrapping the text in the
/// spec file does not count as another purpose; an item without purpose digests the empty text.
pub fn purpose_digest(purpose: Option<&str>) -> String {
    let mut h = Sha256::new();
    // The words joined by single spaces, hashed as they are read (the generated item table
    // holds a digest for each item).
    for (i, word) in purpose.unwrap_or("").split_whitespace().enumerate() {
        if i > 0 {
            h.update(b" ");
        }
        h.update(word.as_bytes());
    }
    hex(&h.finalize())
}

/// SHA-256 (hex) over the records sorted by id, every field length-prefixed: the same items give
/// the same digest whatever the order or formatting of the spec file.
pub fn items_digest(items: &[ApprovedItem]) -> String {
    let mut sorted: Vec<&ApprovedItem> = items.iter().collect();
    sorted.sort_by(|a, b| a.id.cmp(&b.id));
    let mut h = Sha256::new();
    for i in sorted {
        for field in [
            &i.id,
            &i.path,
            &i.type_text,
            &i.sensitivity,
            &i.purpose_digest,
        ] {
            h.update((field.len() as u64).to_be_bytes());
            h.update(field.as_bytes());
        }
    }
    hex(&h.finalize())
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

/// How an item differs from its approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    Added,
    Removed,
    Changed,
}

/// One difference between the approved items and the running spec's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsentChange {
    pub item: String,
    pub kind: ChangeKind,
    /// What changed, in one sentence for the superuser.
    pub reason: String,
    /// Whether nothing may be sent until a superuser approves again.
    pub needs_approval: bool,
}

/// Every difference between `approved` and `current` (added items first, then removed, then
/// changed, each in the order of `current`/`approved`), each with its verdict. This is the one
/// place that decides whether an approval still covers a spec.
pub fn compare(approved: &[ApprovedItem], current: &[ApprovedItem]) -> Vec<ConsentChange> {
    let find = |items: &'_ [ApprovedItem], id: &str| -> Option<usize> {
        items.iter().position(|i| i.id == id)
    };
    let mut out = Vec::new();
    for n in current {
        if find(approved, &n.id).is_none() {
            out.push(ConsentChange {
                item: n.id.clone(),
                kind: ChangeKind::Added,
                reason: format!("new {} item sent under {}", n.sensitivity, n.path),
                needs_approval: sensitive(&n.sensitivity),
            });
        }
    }
    for o in approved {
        if find(current, &o.id).is_none() {
            out.push(ConsentChange {
                item: o.id.clone(),
                kind: ChangeKind::Removed,
                reason: format!("no longer sent under {}", o.path),
                needs_approval: false,
            });
        }
    }
    for n in current {
        let Some(o) = find(approved, &n.id).map(|i| &approved[i]) else {
            continue;
        };
        let sensitive_now = sensitive(&n.sensitivity) || sensitive(&o.sensitivity);
        let mut push = |reason: String, needs_approval: bool| {
            out.push(ConsentChange {
                item: n.id.clone(),
                kind: ChangeKind::Changed,
                reason,
                needs_approval,
            })
        };
        if n.sensitivity != o.sensitivity {
            let raised = rank(&n.sensitivity) > rank(&o.sensitivity);
            push(
                format!(
                    "sensitivity {} from {} to {}",
                    if raised { "raised" } else { "lowered" },
                    o.sensitivity,
                    n.sensitivity
                ),
                raised,
            );
        }
        if n.purpose_digest != o.purpose_digest {
            push("collected for another purpose".to_owned(), sensitive_now);
        }
        if n.path != o.path {
            push(
                format!("moved from {} to {}", o.path, n.path),
                sensitive_now,
            );
        }
        if n.type_text != o.type_text {
            push(
                format!("type changed from {} to {}", o.type_text, n.type_text),
                sensitive_now,
            );
        }
    }
    out
}

/// Whether any of `changes` needs a new approval.
pub fn needs_approval(changes: &[ConsentChange]) -> bool {
    changes.iter().any(|c| c.needs_approval)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, sensitivity: &str, purpose: &str) -> ApprovedItem {
        ApprovedItem {
            id: id.into(),
            path: format!("p.{id}"),
            type_text: "string".into(),
            sensitivity: sensitivity.into(),
            purpose_digest: purpose_digest(Some(purpose)),
        }
    }

    #[test]
    fn sensitive_additions_need_approval_technical_ones_do_not() {
        let old = vec![item("a", "technical", "")];
        let mut new = old.clone();
        new.push(item("b", "technical", ""));
        assert!(!needs_approval(&compare(&old, &new)));
        new.push(item("c", "business-confidential", "x"));
        let changes = compare(&old, &new);
        assert_eq!(changes.len(), 2);
        assert!(needs_approval(&changes));
        assert!(changes[1].needs_approval && changes[1].item == "c");
        new.push(item("d", "unclassified", ""));
        assert!(compare(&old, &new)[2].needs_approval);
    }

    #[test]
    fn removals_and_rollbacks_are_covered() {
        let old = vec![
            item("a", "identifying", "x"),
            item("b", "business-confidential", "y"),
        ];
        let changes = compare(&old, &old[..1]);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].kind, ChangeKind::Removed);
        assert!(!needs_approval(&changes));
    }

    #[test]
    fn raised_sensitivity_and_sensitive_purpose_need_approval() {
        let old = vec![item("a", "public", "x"), item("b", "identifying", "y")];
        let raised = vec![item("a", "technical", "x"), item("b", "identifying", "y")];
        assert!(needs_approval(&compare(&old, &raised)));
        let lowered = vec![item("a", "public", "x"), item("b", "technical", "y")];
        assert!(!needs_approval(&compare(&old, &lowered)));
        let public_purpose = vec![item("a", "public", "other"), item("b", "identifying", "y")];
        assert!(!needs_approval(&compare(&old, &public_purpose)));
        let sensitive_purpose = vec![item("a", "public", "x"), item("b", "identifying", "z")];
        assert!(needs_approval(&compare(&old, &sensitive_purpose)));
    }

    #[test]
    fn digests_ignore_order_and_purpose_wrapping() {
        let a = vec![item("a", "public", "one two"), item("b", "technical", "")];
        let b = vec![
            item("b", "technical", ""),
            item("a", "public", "one\n   two "),
        ];
        assert_eq!(items_digest(&a), items_digest(&b));
        let c = vec![item("a", "public", "one three"), item("b", "technical", "")];
        assert_ne!(items_digest(&a), items_digest(&c));
        assert_eq!(Approval::new("1", a.clone()).digest, items_digest(&a));
    }

    #[test]
    fn a_digest_is_the_lowercase_hex_sha256() {
        // SHA-256 of the empty text and of "abc" (FIPS 180-2 test vectors).
        assert_eq!(
            purpose_digest(None),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            purpose_digest(Some("  abc ")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        // Words are joined by exactly one space, whatever separated them.
        assert_eq!(
            purpose_digest(Some("\tone\n  two three ")),
            hex(&Sha256::digest(b"one two three"))
        );
    }
}
