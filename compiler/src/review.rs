//! The data-review request (`telemetry-spec review OLD NEW`): one Markdown section per changed
//! item with everything a data reviewer needs to decide (what is collected, why, how sensitive,
//! who owns it, until when, where it is disclosed, the exact change) and blank lines for the
//! decision, so the filled-in request can be filed as the approval that `review` points to.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::diff::{self, Class, ClassifiedChange};
use crate::escape::escape_markdown as md;
use crate::model::{Item, ValidSpec};

/// Where an item is disclosed: the generated page has one anchor per item.
pub const PAGE: &str = "docs/disclosure/telemetry.html";

/// The blank a reviewer fills in.
const BLANK: &str = "________________";

/// Renders the request for every item that changed between `old` and `new`.
pub fn request(old: &ValidSpec, new: &ValidSpec) -> String {
    let changes = diff::classify(old, new);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Data review request: {} telemetry, spec {} → {}\n",
        md(&new.product.name),
        old.product.spec_version,
        new.product.spec_version
    );
    let Some(top) = diff::highest(&changes) else {
        out.push_str("No item or category changed: there is nothing to review.\n");
        return out;
    };
    // Items in the order of the new spec, then items that are gone, in the old spec's order.
    let mut by_item: BTreeMap<usize, (&str, Vec<&ClassifiedChange>)> = BTreeMap::new();
    for c in &changes {
        let Some(id) = c.item.as_deref() else {
            continue;
        };
        let rank = new
            .items
            .iter()
            .position(|i| i.id == id)
            .or_else(|| {
                old.items
                    .iter()
                    .position(|i| i.id == id)
                    .map(|p| new.items.len() + p)
            })
            .unwrap_or(usize::MAX);
        by_item.entry(rank).or_insert((id, Vec::new())).1.push(c);
    }
    let _ = writeln!(
        out,
        "{} item(s) changed; the most demanding change is **{}**. A reviewer fills in the decision under each item; the approval reference then goes into the item's `review` key.\n",
        by_item.len(),
        top.as_str()
    );
    out.push_str("| Class | Meaning |\n| --- | --- |\n");
    out.push_str("| breaking | receivers of reports must adapt (an item is gone or moved, or its values narrowed) |\n");
    out.push_str("| needs-review | a data reviewer must approve (new data, higher sensitivity, another purpose, longer collection) |\n");
    out.push_str("| editorial | wording, grouping or ownership only |\n\n");
    for (id, item_changes) in by_item.values() {
        let current = new.items.iter().find(|i| i.id == *id);
        let Some(item) = current.or_else(|| old.items.iter().find(|i| i.id == *id)) else {
            continue;
        };
        let class = item_changes
            .iter()
            .map(|c| c.class)
            .max()
            .unwrap_or(Class::Editorial);
        let _ = writeln!(
            out,
            "## {} (`{}`): {}\n",
            md(&item.label),
            item.id,
            class.as_str()
        );
        facts(&mut out, item, current.is_none());
        out.push_str("### What changed\n\n| Class | Field | Change | Before | After |\n| --- | --- | --- | --- | --- |\n");
        let before = old.items.iter().find(|i| i.id == *id);
        for c in item_changes {
            let (b, a) = field_values(before, current, &c.field);
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                c.class.as_str(),
                md(&c.field),
                md(&c.reason),
                md(&b),
                md(&a)
            );
        }
        out.push('\n');
        let _ = writeln!(
            out,
            "### Reviewer's decision\n\n\
             - Decision (approve / approve with conditions / reject): {BLANK}\n\
             - Reviewer: {BLANK}\n\
             - Date: {BLANK}\n\
             - Approval reference (for `review`): {BLANK}\n\
             - Conditions or notes: {BLANK}\n"
        );
    }
    let others: Vec<&ClassifiedChange> = changes.iter().filter(|c| c.item.is_none()).collect();
    if !others.is_empty() {
        out.push_str("## Other changes\n\n");
        for c in others {
            let _ = writeln!(out, "- {}: {}", c.class.as_str(), md(&c.reason));
        }
        out.push('\n');
    }
    out
}

/// The facts table of one item, as the new spec has it (or the old one, for a removed item).
fn facts(out: &mut String, item: &Item, gone: bool) {
    let rows = [
        ("What is collected", md(&item.description)),
        ("JSON path", format!("`{}`", item.path_string())),
        ("Value", md(&diff::type_text(item))),
        (
            "Why",
            item.purpose
                .as_deref()
                .map_or("(no purpose stated)".to_owned(), md),
        ),
        (
            "Sensitivity",
            item.sensitivity
                .map_or("unclassified", |s| s.as_str())
                .to_owned(),
        ),
        ("Owner", md(&item.owner)),
        ("Expires", item.expires.to_string()),
        (
            "Current approval",
            item.review.as_deref().map_or("none".to_owned(), md),
        ),
        (
            "Documented at",
            if gone {
                format!("{PAGE}#no-longer-collected")
            } else {
                format!("{PAGE}#item-{}", item.id)
            },
        ),
    ];
    out.push_str("| | |\n| --- | --- |\n");
    for (name, value) in rows {
        let _ = writeln!(out, "| {name} | {value} |");
    }
    out.push('\n');
}

/// The before and after text of one changed field; whole-item changes show the path.
fn field_values(old: Option<&Item>, new: Option<&Item>, field: &str) -> (String, String) {
    let path = |i: Option<&Item>| {
        i.map_or("(not sent)".to_owned(), |i| {
            format!("sent under {}", i.path_string())
        })
    };
    match field {
        "added" | "returned" | "removed" => (path(old), path(new)),
        _ => match (old, new) {
            (Some(o), Some(n)) => diff::field_change(o, n, field)
                .map_or((String::new(), String::new()), |f| (f.before, f.after)),
            _ => (String::new(), String::new()),
        },
    }
}
