//! The two shapes of a spec: [`Spec`] as parsed (every value optional and spanned, so that
//! validation can report everything at once) and [`ValidSpec`], which generators consume and
//! which can only be built by [`crate::validate`].

use std::borrow::Cow;

use crate::diagnostic::Code;
use crate::source::Span;
pub use telemetry_types::Sensitivity;
use telemetry_types::{IfUnavailable, Rules, Shape, Str, ValueType};

/// A value and where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Self {
        Self { value, span }
    }
}

/// Text from the spec, borrowed from the file unless TOML escapes made it differ.
pub type SString<'t> = Spanned<Cow<'t, str>>;

/// Short text of the checked model (ids, names, path segments): up to 23 bytes it is kept in
/// the value itself, so a large spec does not allocate once per id and segment (several
/// allocations per item, a fifth of `check`'s time at 10,000 items).
pub type Name = smol_str::SmolStr;

/// A spec as written: nothing checked beyond the TOML value kinds.
#[derive(Debug, Clone, Default)]
pub struct Spec<'t> {
    pub product: Option<RawProduct<'t>>,
    pub categories: Vec<RawCategory<'t>>,
    pub sources: Vec<RawSource<'t>>,
    pub items: Vec<RawItem<'t>>,
    pub objects: Vec<RawObject<'t>>,
    /// (table start, key) of keys that were present with a value of the wrong kind.
    pub wrong_kind: std::collections::HashSet<(usize, String)>,
}

#[derive(Debug, Clone, Default)]
pub struct RawProduct<'t> {
    pub name: Option<SString<'t>>,
    pub spec_version: Option<SString<'t>>,
    pub span: Span,
}

#[derive(Debug, Clone, Default)]
pub struct RawCategory<'t> {
    pub id: Option<SString<'t>>,
    pub title: Option<SString<'t>>,
    pub summary: Option<SString<'t>>,
    pub span: Span,
}

#[derive(Debug, Clone, Default)]
pub struct RawSource<'t> {
    pub id: Option<SString<'t>>,
    pub description: Option<SString<'t>>,
    pub span: Span,
}

/// A TOML value as written (an example or a fallback), before it is checked against a type.
#[derive(Debug, Clone, PartialEq)]
pub enum RawValue<'t> {
    String(Cow<'t, str>),
    Integer(i64),
    Float(f64),
    Boolean(bool),
    /// An unquoted TOML date-time, as written.
    Datetime(String),
    Array(Vec<Spanned<RawValue<'t>>>),
    Table(Vec<(SString<'t>, Spanned<RawValue<'t>>)>),
}

/// `[[object]]`: an object of the payload that may be absent as a whole.
#[derive(Debug, Clone, Default)]
pub struct RawObject<'t> {
    pub path: Option<SString<'t>>,
    pub if_unavailable: Option<SString<'t>>,
    pub span: Span,
}

#[derive(Debug, Clone, Default)]
pub struct RawItem<'t> {
    pub id: Option<SString<'t>>,
    pub category: Option<SString<'t>>,
    pub label: Option<SString<'t>>,
    pub description: Option<SString<'t>>,
    pub purpose: Option<SString<'t>>,
    pub path: Option<SString<'t>>,
    pub value_type: Option<SString<'t>>,
    pub keys: Option<Spanned<Vec<SString<'t>>>>,
    pub optional_keys: Option<Spanned<Vec<SString<'t>>>>,
    pub key_pattern: Option<SString<'t>>,
    pub max_keys: Option<Spanned<i64>>,
    pub fields: Option<Spanned<Vec<(SString<'t>, SString<'t>)>>>,
    pub values: Option<Spanned<Vec<SString<'t>>>>,
    pub min: Option<Spanned<f64>>,
    pub max: Option<Spanned<f64>>,
    pub unit: Option<SString<'t>>,
    pub max_length: Option<Spanned<i64>>,
    pub max_items: Option<Spanned<i64>>,
    pub if_unavailable: Option<SString<'t>>,
    pub fallback: Option<Spanned<RawValue<'t>>>,
    pub example: Option<Spanned<RawValue<'t>>>,
    pub source: Option<SString<'t>>,
    pub sensitivity: Option<SString<'t>>,
    pub since: Option<SString<'t>>,
    pub allow: Option<Spanned<Vec<SString<'t>>>>,
    pub owner: Option<SString<'t>>,
    pub review: Option<SString<'t>>,
    pub expires: Option<SString<'t>>,
    pub status: Option<SString<'t>>,
    pub removed_in: Option<SString<'t>>,
    pub span: Span,
}

/// A spec that passed validation: every reference resolved, every example typed.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidSpec {
    pub product: Product,
    pub categories: Vec<Category>,
    pub sources: Vec<Source>,
    /// The items that are sent: `active` and `deprecated` ones, in spec order.
    pub items: Vec<Item>,
    /// Objects that are absent as a whole when none of their items has a value.
    pub objects: Vec<Object>,
    /// Items with `status = "removed"`. They are kept apart from [`ValidSpec::items`] so that no
    /// generator (payload, code, schema, example, item table) can emit them by mistake; only the
    /// disclosure page and the diff read them, to show the whole history.
    pub removed: Vec<RemovedItem>,
}

/// Until when an item may be collected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expiry {
    /// Collected for as long as its purpose holds; only allowed with a `purpose`.
    Never,
    /// Expired from this UTC day on.
    Date(crate::expiry::Date),
    /// Expired from this product version on (a semantic version).
    Version(String),
}

impl std::fmt::Display for Expiry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expiry::Never => f.write_str("never"),
            Expiry::Date(d) => write!(f, "{d}"),
            Expiry::Version(v) => write!(f, "version {v}"),
        }
    }
}

/// Whether an item that is still sent is on its way out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Status {
    #[default]
    Active,
    /// Still sent, but flagged on the disclosure page: it will be removed.
    Deprecated,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Deprecated => "deprecated",
        }
    }
}

/// An item that is no longer collected, kept for the disclosure page's history.
#[derive(Debug, Clone, PartialEq)]
pub struct RemovedItem {
    pub id: Name,
    pub category: Name,
    pub label: Name,
    pub description: String,
    pub purpose: Option<String>,
    /// The JSON path it was sent under; no active item may use it again.
    pub path: Vec<Name>,
    pub sensitivity: Option<Sensitivity>,
    pub owner: Name,
    pub review: Option<Name>,
    pub since: Name,
    /// The product version that stopped sending it.
    pub removed_in: Name,
}

impl RemovedItem {
    pub fn path_string(&self) -> String {
        self.path.join(".")
    }
}

/// An object of the payload that is left out (or `null`) when none of its items has a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    /// The JSON path, one entry per segment.
    pub path: Vec<Name>,
    pub if_unavailable: IfUnavailable,
}

impl Object {
    pub fn path_string(&self) -> String {
        self.path.join(".")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub name: String,
    pub spec_version: String,
    pub spec_version_span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    pub id: String,
    pub title: String,
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub id: String,
    pub description: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub id: Name,
    pub category: Name,
    pub label: Name,
    pub description: String,
    pub purpose: Option<String>,
    /// The JSON path, one entry per segment.
    pub path: Vec<Name>,
    pub value_type: ValueType,
    /// Bounds, enum values, unit and size limits.
    pub rules: ItemRules,
    /// What is sent when the source fails or has nothing.
    pub if_unavailable: IfUnavailable,
    /// The value sent when `if_unavailable` is `Fallback` (boxed: most items have none, and
    /// a JSON value is as large as a tenth of an item).
    pub fallback: Option<Box<serde_json::Value>>,
    /// The example, a value of the item's type.
    pub example: serde_json::Value,
    pub source: Name,
    pub source_field: Name,
    pub sensitivity: Option<Sensitivity>,
    pub since: Name,
    /// The team or address responsible for the item.
    pub owner: Name,
    /// A reference to the approval (URL or ticket id).
    pub review: Option<Name>,
    pub expires: Expiry,
    pub status: Status,
    /// Lints switched off for this item.
    pub allow: Vec<Code>,
    pub spans: ItemSpans,
}

/// An item's bounds, enum values, unit and size limits ([`Rules`], read through `Deref`). Most
/// items have the defaults, and those share one value instead of carrying 88 bytes each: items
/// are most of a large spec's memory.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ItemRules(Option<Box<Rules>>);

impl std::ops::Deref for ItemRules {
    type Target = Rules;

    fn deref(&self) -> &Rules {
        static DEFAULT: Rules = Rules::DEFAULT;
        self.0.as_deref().unwrap_or(&DEFAULT)
    }
}

impl From<Rules> for ItemRules {
    fn from(rules: Rules) -> Self {
        Self((rules != Rules::DEFAULT).then(|| Box::new(rules)))
    }
}

/// Where an item's parts were written, for lints that run on a [`ValidSpec`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ItemSpans {
    pub item: ShortSpan,
    pub id: ShortSpan,
    pub path: ShortSpan,
    pub label: ShortSpan,
    pub description: ShortSpan,
    pub expires: ShortSpan,
}

/// A [`Span`] in half the space, for the spans every item keeps: offsets into a spec file stay
/// far below 4 GiB (a larger one would be shown at its last 4 GiB-th byte, not misread).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ShortSpan {
    start: u32,
    end: u32,
}

impl ShortSpan {
    pub fn span(self) -> Span {
        self.start as usize..self.end as usize
    }
}

impl From<&Span> for ShortSpan {
    fn from(span: &Span) -> Self {
        let short = |at: usize| u32::try_from(at).unwrap_or(u32::MAX);
        ShortSpan {
            start: short(span.start),
            end: short(span.end),
        }
    }
}

impl Item {
    /// The JSON path as written in the spec, such as `product.internals.license-key.raw`.
    pub fn path_string(&self) -> String {
        self.path.join(".")
    }

    /// The source reference as written in the spec, such as `license.customer`.
    pub fn source_ref(&self) -> String {
        format!("{}.{}", self.source, self.source_field)
    }

    pub fn allows(&self, code: Code) -> bool {
        self.allow.contains(&code)
    }

    /// The declared keys of a map item, in payload order; empty for other types.
    pub fn keys(&self) -> &[Str] {
        match &self.value_type.shape {
            Shape::Map { keys, .. } => keys,
            _ => &[],
        }
    }

    /// Whether the item's value may be absent (left out or `null`) from a report.
    pub fn is_optional(&self) -> bool {
        matches!(
            self.if_unavailable,
            IfUnavailable::Omit | IfUnavailable::Null
        )
    }
}

impl ValidSpec {
    pub fn category(&self, id: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.id == id)
    }

    /// The items of one category, in spec order.
    pub fn items_in<'a>(&'a self, category: &'a str) -> impl Iterator<Item = &'a Item> + 'a {
        self.items.iter().filter(move |i| i.category == category)
    }

    /// Every disclosed leaf path: item paths, and for map items each `path.key`.
    pub fn leaf_paths(&self) -> Vec<String> {
        let mut out = Vec::with_capacity(self.items.len());
        for item in &self.items {
            let path = item.path_string();
            if item.keys().is_empty() {
                out.push(path);
            } else {
                out.extend(item.keys().iter().map(|k| format!("{path}.{k}")));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::{ItemRules, Rules};

    #[test]
    fn item_rules_read_as_the_rules_they_were_made_from() {
        let default = ItemRules::from(Rules::DEFAULT);
        assert_eq!(*default, Rules::DEFAULT);
        assert_eq!(default, ItemRules::default(), "the defaults are not stored");
        let bounded = Rules {
            min: Some(1.0),
            max: Some(9.0),
            ..Rules::DEFAULT
        };
        let rules = ItemRules::from(bounded.clone());
        assert_eq!(*rules, bounded);
        assert_ne!(rules, default);
    }
}
