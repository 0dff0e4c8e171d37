//! What changed between two versions of the spec, for a compliance review: items added, removed
//! and changed (field by field), category changes, and the spec versions, with warnings when the
//! change and the version number disagree.
//!
//! [`classify`] sorts every change into a [`Class`]: `breaking` for receivers, `needs-review` for
//! a data reviewer, or `editorial`. It is a function of two valid specs alone, so that the CLI's
//! `--fail-on` gate and later consent decisions at runtime judge a change the same way.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::model::{Category, Expiry, Item, ValidSpec};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecDiff {
    pub version_before: String,
    pub version_after: String,
    pub added: Vec<ItemSummary>,
    pub removed: Vec<ItemSummary>,
    pub changed: Vec<ItemChange>,
    pub categories: Vec<CategoryChange>,
    pub warnings: Vec<String>,
    /// Every change with its class, from [`classify`].
    pub classified: Vec<ClassifiedChange>,
    /// What an installation that approved the old spec must do, from [`consent_changes`].
    pub consent: Vec<telemetry_types::consent::ConsentChange>,
}

/// Who must act on a change, from least to most demanding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// Wording, grouping, ownership: nothing changes in what is sent or why.
    Editorial,
    /// A data reviewer must approve it: more data, more sensitive data, another purpose, a longer
    /// collection.
    NeedsReview,
    /// A receiver of reports must adapt: an item is gone, moved, or its values narrowed or
    /// changed shape.
    Breaking,
}

impl Class {
    pub const ALL: [Class; 3] = [Class::Breaking, Class::NeedsReview, Class::Editorial];

    pub fn as_str(self) -> &'static str {
        match self {
            Class::Editorial => "editorial",
            Class::NeedsReview => "needs-review",
            Class::Breaking => "breaking",
        }
    }
}

/// One change, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassifiedChange {
    pub class: Class,
    /// The item id, or `None` for a category change.
    pub item: Option<String>,
    /// The changed field (`added`, `removed`, `returned` for whole items; `category:<id>` for
    /// categories).
    pub field: String,
    /// What changed, in one sentence for the reviewer.
    pub reason: String,
}

/// The most demanding class among `changes`; `None` when nothing changed.
pub fn highest(changes: &[ClassifiedChange]) -> Option<Class> {
    changes.iter().map(|c| c.class).max()
}

/// The class a merge gate (`diff --fail-on`) acts on: the most demanding change, where a
/// needs-review change counts as approved when the same diff records the approval in the item's
/// `review` (the reference changes, or an added or returned item names one). Breaking changes
/// always count: receivers must adapt whoever approved them.
pub fn gate(new: &ValidSpec, changes: &[ClassifiedChange]) -> Option<Class> {
    let approved = |item: &str| {
        changes
            .iter()
            .any(|c| c.item.as_deref() == Some(item) && c.field == "review")
            || changes.iter().any(|c| {
                c.item.as_deref() == Some(item)
                    && (c.field == "added" || c.field == "returned")
                    && new.items.iter().any(|i| i.id == item && i.review.is_some())
            })
    };
    changes
        .iter()
        .filter(|c| c.class != Class::NeedsReview || c.item.as_deref().is_none_or(|i| !approved(i)))
        .map(|c| c.class)
        .max()
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
        id: item.id.to_string(),
        label: item.label.to_string(),
        category: item.category.to_string(),
        path: item.path_string(),
        value_type: type_text(item),
        sensitivity: sensitivity(item),
        description: item.description.clone(),
        purpose: item.purpose.clone(),
    }
}

/// The type with every rule that narrows it, so a changed bound, enum value, key or pattern
/// shows as a change of the type.
pub(crate) fn type_text(item: &Item) -> String {
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
            telemetry_types::describe_unavailable(item.if_unavailable, item.fallback.as_deref())
        ));
    }
    text
}

/// What an approval records about `item` (the generated item table holds the same record), for
/// [`telemetry_types::consent::compare`].
pub fn approved_item(item: &Item) -> telemetry_types::consent::ApprovedItem {
    use telemetry_types::consent;
    let (type_text, purpose_digest) = approval_texts(item);
    consent::ApprovedItem {
        id: item.id.to_string(),
        path: item.path_string(),
        type_text,
        sensitivity: consent::sensitivity_name(item.sensitivity).to_owned(),
        purpose_digest,
    }
}

/// The two fields of [`approved_item`] that are not the item's own fields: its type as a
/// reviewer reads it, and the digest of its purpose (the generated item table holds both).
pub(crate) fn approval_texts(item: &Item) -> (String, String) {
    let digest = telemetry_types::consent::purpose_digest(item.purpose.as_deref());
    (type_text(item), digest)
}

/// The consent verdict of every difference between `old` and `new`: which changes an approval
/// of `old` covers and which need a superuser to approve `new` again. The runtime decides with
/// the same function on its item table.
pub fn consent_changes(
    old: &ValidSpec,
    new: &ValidSpec,
) -> Vec<telemetry_types::consent::ConsentChange> {
    let records = |s: &ValidSpec| s.items.iter().map(approved_item).collect::<Vec<_>>();
    telemetry_types::consent::compare(&records(old), &records(new))
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
    let pairs: [(&'static str, String, String); 14] = [
        ("label", old.label.to_string(), new.label.to_string()),
        (
            "category",
            old.category.to_string(),
            new.category.to_string(),
        ),
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
        ("since", old.since.to_string(), new.since.to_string()),
        ("owner", old.owner.to_string(), new.owner.to_string()),
        (
            "review",
            old.review.as_deref().unwrap_or_default().to_owned(),
            new.review.as_deref().unwrap_or_default().to_owned(),
        ),
        ("expires", old.expires.to_string(), new.expires.to_string()),
        (
            "status",
            old.status.as_str().to_owned(),
            new.status.as_str().to_owned(),
        ),
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

/// The change of one field of an item, if it changed.
#[cfg(feature = "cli")]
pub(crate) fn field_change(old: &Item, new: &Item, field: &str) -> Option<FieldChange> {
    item_fields(old, new).into_iter().find(|f| f.field == field)
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
                id: n.id.to_string(),
                label: n.label.to_string(),
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
        classified: classify(old, new),
        consent: consent_changes(old, new),
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

/// Classifies every difference between `old` and `new`: items by id (whole items first, then
/// field by field in spec order), then categories. See the README's table ("How to review a
/// change") for the rules.
pub fn classify(old: &ValidSpec, new: &ValidSpec) -> Vec<ClassifiedChange> {
    let old_items: HashMap<&str, &Item> = old.items.iter().map(|i| (i.id.as_str(), i)).collect();
    let new_items: HashMap<&str, &Item> = new.items.iter().map(|i| (i.id.as_str(), i)).collect();
    let mut out = Vec::new();
    let mut push = |class, item: &str, field: &str, reason: String| {
        out.push(ClassifiedChange {
            class,
            item: Some(item.to_owned()),
            field: field.to_owned(),
            reason,
        })
    };
    for n in &new.items {
        if old_items.contains_key(n.id.as_str()) {
            continue;
        }
        match old.removed.iter().find(|r| r.id == n.id) {
            Some(r) => push(
                Class::NeedsReview,
                &n.id,
                "returned",
                format!(
                    "removed in {} and sent again under {}",
                    r.removed_in,
                    n.path_string()
                ),
            ),
            None => push(
                Class::NeedsReview,
                &n.id,
                "added",
                format!("newly sent under {}", n.path_string()),
            ),
        }
    }
    for o in &old.items {
        if new_items.contains_key(o.id.as_str()) {
            continue;
        }
        let when = new
            .removed
            .iter()
            .find(|r| r.id == o.id)
            .map_or(String::new(), |r| format!(" (removed in {})", r.removed_in));
        push(
            Class::Breaking,
            &o.id,
            "removed",
            format!("no longer sent under {}{when}", o.path_string()),
        );
    }
    for n in &new.items {
        let Some(o) = old_items.get(n.id.as_str()) else {
            continue;
        };
        for f in item_fields(o, n) {
            let (class, reason) = classify_field(o, n, &f);
            push(class, &n.id, f.field, reason);
        }
    }
    // History and retired paths: a removed item's entry on the page may not silently vanish,
    // and its path may not come back under another item (receivers would read the new values
    // as the old ones).
    for r in &old.removed {
        let still_listed = new.removed.iter().any(|n| n.id == r.id);
        if !still_listed && !new_items.contains_key(r.id.as_str()) {
            push(
                Class::NeedsReview,
                &r.id,
                "history",
                format!(
                    "removed in {} and now dropped from the page's history",
                    r.removed_in
                ),
            );
        }
        if let Some(n) = new.items.iter().find(|n| n.path == r.path && n.id != r.id) {
            push(
                Class::Breaking,
                &n.id,
                "path",
                format!(
                    "reuses {}, the path of `{}` (removed in {})",
                    n.path_string(),
                    r.id,
                    r.removed_in
                ),
            );
        }
    }
    // Optional objects: what may be left out of a report is part of its shape.
    for o in &old.objects {
        match new.objects.iter().find(|n| n.path == o.path) {
            None => out.push(ClassifiedChange {
                class: Class::NeedsReview,
                item: None,
                field: format!("object:{}", o.path_string()),
                reason: format!("{} is now always sent", o.path_string()),
            }),
            Some(n) if n.if_unavailable != o.if_unavailable => out.push(ClassifiedChange {
                class: Class::Breaking,
                item: None,
                field: format!("object:{}", o.path_string()),
                reason: format!(
                    "{} is now {} when empty instead of {}",
                    o.path_string(),
                    n.if_unavailable.name(),
                    o.if_unavailable.name()
                ),
            }),
            Some(_) => {}
        }
    }
    for n in &new.objects {
        if !old.objects.iter().any(|o| o.path == n.path) {
            out.push(ClassifiedChange {
                class: Class::Breaking,
                item: None,
                field: format!("object:{}", n.path_string()),
                reason: format!("{} may now be left out of a report", n.path_string()),
            });
        }
    }
    for c in diff_categories(old, new) {
        out.push(ClassifiedChange {
            class: Class::Editorial,
            item: None,
            field: format!("category:{}", c.id),
            reason: format!("category {} {}", c.id, c.kind.as_str()),
        });
    }
    out
}

fn diff_categories(old: &ValidSpec, new: &ValidSpec) -> Vec<CategoryChange> {
    let mut out = Vec::new();
    for c in &new.categories {
        match old.category(&c.id) {
            None => out.push(CategoryChange {
                id: c.id.clone(),
                kind: ChangeKind::Added,
                fields: Vec::new(),
            }),
            Some(o) if !category_fields(o, c).is_empty() => out.push(CategoryChange {
                id: c.id.clone(),
                kind: ChangeKind::Changed,
                fields: category_fields(o, c),
            }),
            Some(_) => {}
        }
    }
    for c in &old.categories {
        if new.category(&c.id).is_none() {
            out.push(CategoryChange {
                id: c.id.clone(),
                kind: ChangeKind::Removed,
                fields: Vec::new(),
            });
        }
    }
    out
}

fn classify_field(old: &Item, new: &Item, f: &FieldChange) -> (Class, String) {
    match f.field {
        "path" => (
            Class::Breaking,
            format!("moved from {} to {}", f.before, f.after),
        ),
        "type" => classify_type(old, new),
        "sensitivity" => {
            let rank = |i: &Item| {
                i.sensitivity.map_or(0, |s| {
                    crate::model::Sensitivity::ALL
                        .iter()
                        .position(|x| *x == s)
                        .map_or(0, |p| p + 1)
                })
            };
            let how = if rank(new) > rank(old) {
                "raised"
            } else {
                "lowered"
            };
            (
                Class::NeedsReview,
                format!("sensitivity {how} from {} to {}", f.before, f.after),
            )
        }
        "purpose" => (
            Class::NeedsReview,
            "collected for another purpose".to_owned(),
        ),
        "source" => (
            Class::NeedsReview,
            format!("read from {} instead of {}", f.after, f.before),
        ),
        "expires" => match expiry_order(&old.expires, &new.expires) {
            Some(std::cmp::Ordering::Less) => (
                Class::Editorial,
                format!("expires earlier: {} instead of {}", f.after, f.before),
            ),
            Some(_) => (
                Class::NeedsReview,
                format!(
                    "collection extended: expires {} instead of {}",
                    f.after, f.before
                ),
            ),
            // A date against a version cannot be ordered: a reviewer decides.
            None => (
                Class::NeedsReview,
                format!("expiry changed from {} to {}", f.before, f.after),
            ),
        },
        field => (Class::Editorial, format!("{field} reworded or reassigned")),
    }
}

/// How `new` compares with `old` as a limit on collection (`Greater` = collected longer).
fn expiry_order(old: &Expiry, new: &Expiry) -> Option<std::cmp::Ordering> {
    use std::cmp::Ordering;
    match (old, new) {
        (Expiry::Never, Expiry::Never) => Some(Ordering::Equal),
        (Expiry::Never, _) => Some(Ordering::Less),
        (_, Expiry::Never) => Some(Ordering::Greater),
        (Expiry::Date(a), Expiry::Date(b)) => Some(b.cmp(a)),
        (Expiry::Version(a), Expiry::Version(b)) => Some(compare_versions(b, a)),
        _ => None,
    }
}

/// A type change with its rules: narrowing (fewer values, tighter bounds or sizes, fewer keys,
/// another shape, unit or failure rule) breaks receivers; pure widening needs a review, because
/// values a reviewer has not seen may now be sent.
fn classify_type(old: &Item, new: &Item) -> (Class, String) {
    use telemetry_types::Shape;
    let (a, b) = (&old.rules, &new.rules);
    let mut narrowed = Vec::new();
    let mut widened = Vec::new();
    let mut note = |narrow: bool, what: String| {
        if narrow {
            narrowed.push(what)
        } else {
            widened.push(what)
        }
    };
    let same_leaf = old.value_type.leaf == new.value_type.leaf;
    match (&old.value_type.shape, &new.value_type.shape) {
        _ if !same_leaf => note(true, "another value type".to_owned()),
        (
            Shape::Map {
                keys: ka,
                optional: oa,
            },
            Shape::Map {
                keys: kb,
                optional: ob,
            },
        ) => {
            let gone: Vec<&str> = ka
                .iter()
                .filter(|k| !kb.contains(k))
                .map(|k| &**k)
                .collect();
            let new_keys: Vec<&str> = kb
                .iter()
                .filter(|k| !ka.contains(k))
                .map(|k| &**k)
                .collect();
            if !gone.is_empty() {
                note(true, format!("keys {} dropped", gone.join(", ")));
            }
            if !new_keys.is_empty() {
                note(false, format!("keys {} added", new_keys.join(", ")));
            }
            if oa != ob {
                // A key that may now be absent breaks a receiver that relied on it.
                let newly_optional = ob.iter().any(|k| !oa.contains(k) && ka.contains(k));
                note(newly_optional, "optional keys changed".to_owned());
            }
        }
        (
            Shape::OpenMap {
                key_pattern: pa,
                max_keys: ma,
            },
            Shape::OpenMap {
                key_pattern: pb,
                max_keys: mb,
            },
        ) => {
            if pa != pb {
                // Two patterns cannot be compared: a changed pattern is treated as narrowed.
                note(true, format!("key pattern changed from {pa} to {pb}"));
            }
            if ma != mb {
                note(mb < ma, format!("at most {mb} keys instead of {ma}"));
            }
        }
        (x, y) if x != y => note(true, "another shape".to_owned()),
        _ => {}
    }
    let dropped: Vec<&str> = a
        .values
        .iter()
        .filter(|v| !b.values.contains(v))
        .map(|v| &**v)
        .collect();
    let added: Vec<&str> = b
        .values
        .iter()
        .filter(|v| !a.values.contains(v))
        .map(|v| &**v)
        .collect();
    if !dropped.is_empty() || (a.values.is_empty() && !b.values.is_empty()) {
        note(true, format!("enum values {} dropped", dropped.join(", ")));
    }
    if !added.is_empty() && !a.values.is_empty() {
        note(false, format!("enum values {} added", added.join(", ")));
    }
    let bound = |old: Option<f64>, new: Option<f64>, tighter: fn(f64, f64) -> bool| match (old, new)
    {
        (None, Some(_)) => Some(true),
        (Some(_), None) => Some(false),
        (Some(o), Some(n)) if o != n => Some(tighter(o, n)),
        _ => None,
    };
    if let Some(narrow) = bound(a.min, b.min, |o, n| n > o) {
        note(narrow, "minimum changed".to_owned());
    }
    if let Some(narrow) = bound(a.max, b.max, |o, n| n < o) {
        note(narrow, "maximum changed".to_owned());
    }
    if a.max_length != b.max_length {
        note(
            b.max_length < a.max_length,
            "maximum length changed".to_owned(),
        );
    }
    if a.max_items != b.max_items {
        note(
            b.max_items < a.max_items,
            "maximum number of elements changed".to_owned(),
        );
    }
    if a.unit != b.unit {
        note(true, "unit changed".to_owned());
    }
    if old.if_unavailable != new.if_unavailable || old.fallback != new.fallback {
        note(true, "what is sent when unavailable changed".to_owned());
    }
    if !narrowed.is_empty() {
        (
            Class::Breaking,
            format!("type narrowed or changed: {}", narrowed.join("; ")),
        )
    } else if !widened.is_empty() {
        (
            Class::NeedsReview,
            format!("type widened: {}", widened.join("; ")),
        )
    } else {
        // The text differs but no rule above saw it: assume the worst.
        (Class::Breaking, "type changed".to_owned())
    }
}

/// Orders semantic versions by semver precedence: the numeric core, then a release after its
/// pre-releases, pre-release identifiers compared numerically where both are numbers
/// (`rc.9` < `rc.10`), build metadata ignored.
pub(crate) fn compare_versions(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    fn split(v: &str) -> (Vec<u64>, Option<&str>) {
        let v = v.split('+').next().unwrap_or(v);
        let (core, pre) = v.split_once('-').map_or((v, None), |(c, p)| (c, Some(p)));
        let nums: Vec<u64> = core.split('.').map(|n| n.parse().unwrap_or(0)).collect();
        (nums, pre)
    }
    let ((a_core, a_pre), (b_core, b_pre)) = (split(a), split(b));
    a_core.cmp(&b_core).then_with(|| match (a_pre, b_pre) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => {
            let (mut x, mut y) = (x.split('.'), y.split('.'));
            loop {
                match (x.next(), y.next()) {
                    (None, None) => return Ordering::Equal,
                    (None, Some(_)) => return Ordering::Less,
                    (Some(_), None) => return Ordering::Greater,
                    (Some(p), Some(q)) => {
                        let order = match (p.parse::<u64>(), q.parse::<u64>()) {
                            (Ok(m), Ok(n)) => m.cmp(&n),
                            (Ok(_), Err(_)) => Ordering::Less,
                            (Err(_), Ok(_)) => Ordering::Greater,
                            (Err(_), Err(_)) => p.cmp(q),
                        };
                        if order != Ordering::Equal {
                            return order;
                        }
                    }
                }
            }
        }
    })
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
    render_classification(&mut out, &d.classified);
    render_consent(&mut out, &d.consent);
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

/// What installations that approved the old spec see: whether they stop sending until a
/// superuser approves again, and which differences they are shown.
fn render_consent(out: &mut String, changes: &[telemetry_types::consent::ConsentChange]) {
    out.push_str("## Consent of installations\n\n");
    let blocking: Vec<_> = changes.iter().filter(|c| c.needs_approval).collect();
    if blocking.is_empty() {
        out.push_str(
            "An approval of the old spec covers the new one: installations keep sending and show the differences as new.\n\n",
        );
        return;
    }
    out.push_str(
        "Installations that approved the old spec **send nothing** until a superuser approves these differences:\n\n",
    );
    for c in blocking {
        let _ = writeln!(out, "- `{}`: {}", c.item, md_cell(&c.reason));
    }
    out.push('\n');
}

/// The classification: the highest class (what a gate acts on), then one row per change.
fn render_classification(out: &mut String, changes: &[ClassifiedChange]) {
    out.push_str("## Classification\n\n");
    if let Some(top) = highest(changes) {
        let counts: Vec<String> = Class::ALL
            .iter()
            .map(|c| {
                let n = changes.iter().filter(|x| x.class == *c).count();
                format!("{n} {}", c.as_str())
            })
            .collect();
        let _ = writeln!(
            out,
            "Highest class: **{}** ({}).\n",
            top.as_str(),
            counts.join(", ")
        );
    }
    out.push_str("| Class | Item | Field | Change |\n| --- | --- | --- | --- |\n");
    for class in Class::ALL {
        for c in changes.iter().filter(|c| c.class == class) {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                class.as_str(),
                c.item
                    .as_deref()
                    .map_or("—".to_owned(), |i| format!("`{i}`")),
                md_cell(&c.field),
                md_cell(&c.reason)
            );
        }
    }
    out.push('\n');
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
        "classification": {
            "highest": highest(&d.classified).map(Class::as_str),
            "changes": d.classified.iter().map(|c| json!({
                "class": c.class.as_str(),
                "item": c.item,
                "field": c.field,
                "change": c.reason,
            })).collect::<Vec<_>>(),
        },
        "consent": {
            "needs_approval": telemetry_types::consent::needs_approval(&d.consent),
            "changes": d.consent.iter().map(|c| json!({
                "item": c.item,
                "kind": c.kind,
                "change": c.reason,
                "needs_approval": c.needs_approval,
            })).collect::<Vec<_>>(),
        },
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
        assert_eq!(compare_versions("1.0.0-rc.9", "1.0.0-rc.10"), Less);
        assert_eq!(compare_versions("1.0.0-alpha", "1.0.0-alpha.1"), Less);
        assert_eq!(compare_versions("1.0.0-1", "1.0.0-alpha"), Less);
        assert_eq!(compare_versions("1.0.0+build.2", "1.0.0+build.1"), Equal);
    }
}
