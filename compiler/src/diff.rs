//! What changed between two versions of the spec, for a compliance review: items added, removed
//! and changed (field by field), category changes, and the spec versions, with warnings when the
//! change and the version number disagree.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::model::{Category, Item, ValidSpec};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecDiff {
    pub version_before: String,
    pub version_after: String,
    pub added: Vec<ItemSummary>,
    pub removed: Vec<ItemSummary>,
    pub changed: Vec<ItemChange>,
    pub categories: Vec<CategoryChange>,
    pub warnings: Vec<String>,
}

/// The facts a reviewer needs about an added or removed item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemSummary {
    pub id: String,
    pub label: String,
    pub category: String,
    pub path: String,
    pub value_type: String,
    pub sensitivity: String,
    pub description: String,
    pub purpose: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemChange {
    pub id: String,
    pub label: String,
    pub fields: Vec<FieldChange>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    pub field: &'static str,
    pub before: String,
    pub after: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryChange {
    pub id: String,
    pub kind: ChangeKind,
    pub fields: Vec<FieldChange>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Added,
    Removed,
    Changed,
}

impl ChangeKind {
    fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Changed => "changed",
        }
    }
}

impl SpecDiff {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.changed.is_empty()
            && self.categories.is_empty()
    }
}

fn summary(item: &Item) -> ItemSummary {
    ItemSummary {
        id: item.id.clone(),
        label: item.label.clone(),
        category: item.category.clone(),
        path: item.path_string(),
        value_type: type_text(item),
        sensitivity: sensitivity(item),
        description: item.description.clone(),
        purpose: item.purpose.clone(),
    }
}

/// The type with every rule that narrows it, so a changed bound, enum value, key or pattern
/// shows as a change of the type.
fn type_text(item: &Item) -> String {
    use telemetry_types::Shape;
    let mut text = item.value_type.to_string();
    let r = &item.rules;
    match &item.value_type.shape {
        Shape::Map { keys, optional } => {
            text.push_str(&format!(" with keys {}", keys.join(", ")));
            if !optional.is_empty() {
                text.push_str(&format!(" (optional: {})", optional.join(", ")));
            }
        }
        Shape::OpenMap {
            key_pattern,
            max_keys,
        } => text.push_str(&format!(
            " with keys matching {key_pattern}, at most {max_keys}"
        )),
        _ => {}
    }
    if let telemetry_types::Leaf::Record(fields) = &item.value_type.leaf {
        let f: Vec<String> = fields
            .iter()
            .map(|f| format!("{}: {}", f.name, f.scalar.name()))
            .collect();
        text.push_str(&format!(" of {{{}}}", f.join(", ")));
    }
    if !r.values.is_empty() {
        text.push_str(&format!(" of values {}", r.values.join(", ")));
    }
    if let Some(min) = r.min {
        text.push_str(&format!(", min {min}"));
    }
    if let Some(max) = r.max {
        text.push_str(&format!(", max {max}"));
    }
    if let Some(unit) = &r.unit {
        text.push_str(&format!(", in {unit}"));
    }
    if r.max_length != telemetry_types::DEFAULT_MAX_LENGTH {
        text.push_str(&format!(", at most {} bytes", r.max_length));
    }
    if r.max_items != telemetry_types::DEFAULT_MAX_ITEMS {
        text.push_str(&format!(", at most {} elements", r.max_items));
    }
    if item.if_unavailable != telemetry_types::IfUnavailable::Unknown {
        text.push_str(&format!(
            "; if unavailable: {}",
            telemetry_types::describe_unavailable(item.if_unavailable, item.fallback.as_ref())
        ));
    }
    text
}

fn sensitivity(item: &Item) -> String {
    item.sensitivity
        .map_or("unclassified", |s| s.as_str())
        .to_owned()
}

fn example_text(item: &Item) -> String {
    item.example.to_string()
}

/// The field-by-field differences of one item.
fn item_fields(old: &Item, new: &Item) -> Vec<FieldChange> {
    let pairs: [(&'static str, String, String); 10] = [
        ("label", old.label.clone(), new.label.clone()),
        ("category", old.category.clone(), new.category.clone()),
        ("path", old.path_string(), new.path_string()),
        ("type", type_text(old), type_text(new)),
        (
            "description",
            old.description.clone(),
            new.description.clone(),
        ),
        (
            "purpose",
            old.purpose.clone().unwrap_or_default(),
            new.purpose.clone().unwrap_or_default(),
        ),
        ("sensitivity", sensitivity(old), sensitivity(new)),
        ("example", example_text(old), example_text(new)),
        ("source", old.source_ref(), new.source_ref()),
        ("since", old.since.clone(), new.since.clone()),
    ];
    pairs
        .into_iter()
        .filter(|(_, before, after)| before != after)
        .map(|(field, before, after)| FieldChange {
            field,
            before,
            after,
        })
        .collect()
}

fn category_fields(old: &Category, new: &Category) -> Vec<FieldChange> {
    [
        ("title", &old.title, &new.title),
        ("summary", &old.summary, &new.summary),
    ]
    .into_iter()
    .filter(|(_, b, a)| b != a)
    .map(|(field, before, after)| FieldChange {
        field,
        before: before.clone(),
        after: after.clone(),
    })
    .collect()
}

/// Compares two valid specs. Items and categories are matched by id.
pub fn diff(old: &ValidSpec, new: &ValidSpec) -> SpecDiff {
    let old_items: HashMap<&str, &Item> = old.items.iter().map(|i| (i.id.as_str(), i)).collect();
    let new_items: HashMap<&str, &Item> = new.items.iter().map(|i| (i.id.as_str(), i)).collect();
    let added = new
        .items
        .iter()
        .filter(|i| !old_items.contains_key(i.id.as_str()))
        .map(summary)
        .collect();
    let removed = old
        .items
        .iter()
        .filter(|i| !new_items.contains_key(i.id.as_str()))
        .map(summary)
        .collect();
    let changed = new
        .items
        .iter()
        .filter_map(|n| {
            let o = old_items.get(n.id.as_str())?;
            let fields = item_fields(o, n);
            (!fields.is_empty()).then(|| ItemChange {
                id: n.id.clone(),
                label: n.label.clone(),
                fields,
            })
        })
        .collect();

    let mut categories = Vec::new();
    for c in &new.categories {
        match old.category(&c.id) {
            None => categories.push(CategoryChange {
                id: c.id.clone(),
                kind: ChangeKind::Added,
                fields: Vec::new(),
            }),
            Some(o) => {
                let fields = category_fields(o, c);
                if !fields.is_empty() {
                    categories.push(CategoryChange {
                        id: c.id.clone(),
                        kind: ChangeKind::Changed,
                        fields,
                    });
                }
            }
        }
    }
    for c in &old.categories {
        if new.category(&c.id).is_none() {
            categories.push(CategoryChange {
                id: c.id.clone(),
                kind: ChangeKind::Removed,
                fields: Vec::new(),
            });
        }
    }

    let mut result = SpecDiff {
        version_before: old.product.spec_version.clone(),
        version_after: new.product.spec_version.clone(),
        added,
        removed,
        changed,
        categories,
        warnings: Vec::new(),
    };
    let order = compare_versions(&result.version_before, &result.version_after);
    if !result.is_empty() && order == std::cmp::Ordering::Equal {
        result.warnings.push(format!(
            "items or categories changed but `spec-version` is still {}: bump it so that a review can name the version it approved",
            result.version_after
        ));
    }
    if order == std::cmp::Ordering::Greater {
        result.warnings.push(format!(
            "`spec-version` went down, from {} to {}",
            result.version_before, result.version_after
        ));
    }
    result
}

/// Orders semantic versions by their numeric core, then pre-release text (none ranks higher).
fn compare_versions(a: &str, b: &str) -> std::cmp::Ordering {
    let key = |v: &str| {
        let v = v.split('+').next().unwrap_or(v);
        let (core, pre) = v
            .split_once('-')
            .map_or((v, None), |(c, p)| (c, Some(p.to_owned())));
        let nums: Vec<u64> = core.split('.').map(|n| n.parse().unwrap_or(0)).collect();
        // `None` (a release) must sort after any pre-release of the same core.
        (nums, pre.is_none(), pre)
    };
    key(a).cmp(&key(b))
}

/// Every spec text goes through the disclosure page's escaping: a label or description cannot
/// become a link, an image or emphasis in the review either.
fn md_cell(text: &str) -> String {
    crate::escape::escape_markdown(text)
}

/// The diff as Markdown, for a pull request or a review ticket.
pub fn render_markdown(d: &SpecDiff) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Telemetry spec changes: {} → {}\n",
        d.version_before, d.version_after
    );
    for w in &d.warnings {
        let _ = writeln!(out, "> **Warning:** {w}\n");
    }
    if d.is_empty() {
        out.push_str("No item or category changed: the same data is disclosed and sent.\n");
        return out;
    }
    let _ = writeln!(
        out,
        "{} added, {} removed, {} changed item(s); {} category change(s).\n",
        d.added.len(),
        d.removed.len(),
        d.changed.len(),
        d.categories.len()
    );
    for (title, items) in [("Added items", &d.added), ("Removed items", &d.removed)] {
        if items.is_empty() {
            continue;
        }
        let _ = writeln!(out, "## {title}\n");
        out.push_str(
            "| Item | Id | Path | Type | Sensitivity | Category | Description | Purpose |\n",
        );
        out.push_str("| --- | --- | --- | --- | --- | --- | --- | --- |\n");
        for i in items {
            let _ = writeln!(
                out,
                "| {} | `{}` | `{}` | {} | {} | {} | {} | {} |",
                md_cell(&i.label),
                i.id,
                i.path,
                md_cell(&i.value_type),
                i.sensitivity,
                i.category,
                md_cell(&i.description),
                md_cell(i.purpose.as_deref().unwrap_or("")),
            );
        }
        out.push('\n');
    }
    if !d.changed.is_empty() {
        out.push_str("## Changed items\n\n");
        for c in &d.changed {
            let _ = writeln!(out, "### {} (`{}`)\n", md_cell(&c.label), c.id);
            out.push_str("| Field | Before | After |\n| --- | --- | --- |\n");
            for f in &c.fields {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} |",
                    f.field,
                    md_cell(&f.before),
                    md_cell(&f.after)
                );
            }
            out.push('\n');
        }
    }
    if !d.categories.is_empty() {
        out.push_str("## Category changes\n\n");
        for c in &d.categories {
            let _ = writeln!(out, "- `{}` {}", c.id, c.kind.as_str());
            for f in &c.fields {
                let _ = writeln!(
                    out,
                    "  - {}: {} → {}",
                    f.field,
                    md_cell(&f.before),
                    md_cell(&f.after)
                );
            }
        }
        out.push('\n');
    }
    out
}

fn fields_json(fields: &[FieldChange]) -> Value {
    Value::Array(
        fields
            .iter()
            .map(|f| json!({ "field": f.field, "before": f.before, "after": f.after }))
            .collect(),
    )
}

fn summary_json(i: &ItemSummary) -> Value {
    json!({
        "id": i.id,
        "label": i.label,
        "category": i.category,
        "path": i.path,
        "type": i.value_type,
        "sensitivity": i.sensitivity,
        "description": i.description,
        "purpose": i.purpose,
    })
}

/// The diff as pretty JSON, for tools.
pub fn render_json(d: &SpecDiff) -> String {
    let value = json!({
        "spec_version": { "before": d.version_before, "after": d.version_after },
        "warnings": d.warnings,
        "added": d.added.iter().map(summary_json).collect::<Vec<_>>(),
        "removed": d.removed.iter().map(summary_json).collect::<Vec<_>>(),
        "changed": d.changed.iter().map(|c| json!({ "id": c.id, "label": c.label, "fields": fields_json(&c.fields) })).collect::<Vec<_>>(),
        "categories": d.categories.iter().map(|c| json!({ "id": c.id, "change": c.kind.as_str(), "fields": fields_json(&c.fields) })).collect::<Vec<_>>(),
    });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::compare_versions;
    use std::cmp::Ordering::*;

    #[test]
    fn versions_compare_numerically() {
        assert_eq!(compare_versions("1.0.0", "1.0.0"), Equal);
        assert_eq!(compare_versions("1.9.0", "1.10.0"), Less);
        assert_eq!(compare_versions("2.0.0", "1.10.0"), Greater);
        assert_eq!(compare_versions("1.0.0-rc.1", "1.0.0"), Less);
    }
}
