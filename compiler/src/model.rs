//! The two shapes of a spec: [`Spec`] as parsed (every value optional and spanned, so that
//! validation can report everything at once) and [`ValidSpec`], which generators consume and
//! which can only be built by [`crate::validate`].

use std::borrow::Cow;

use crate::diagnostic::Code;
use crate::source::Span;
use crate::types::{Example, ValueType};

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

/// A spec as written: nothing checked beyond the TOML value kinds.
#[derive(Debug, Clone, Default)]
pub struct Spec<'t> {
    pub product: Option<RawProduct<'t>>,
    pub categories: Vec<RawCategory<'t>>,
    pub sources: Vec<RawSource<'t>>,
    pub items: Vec<RawItem<'t>>,
    /// The whole document, for diagnostics about what is missing at the top level.
    pub span: Span,
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawExample<'t> {
    Scalar(Cow<'t, str>),
    List(Vec<SString<'t>>),
    Map(Vec<(SString<'t>, SString<'t>)>),
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
    pub example: Option<Spanned<RawExample<'t>>>,
    pub source: Option<SString<'t>>,
    pub sensitivity: Option<SString<'t>>,
    pub since: Option<SString<'t>>,
    pub allow: Option<Spanned<Vec<SString<'t>>>>,
    pub span: Span,
}

/// How much an item could tell about the customer, from least to most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Sensitivity {
    /// Public knowledge, the same for every installation.
    Public,
    /// Technical facts about the setup that identify nobody.
    Technical,
    /// A pseudonymous identifier that tells installations apart.
    Identifying,
    /// Commercial facts from the customer's license.
    BusinessConfidential,
}

impl Sensitivity {
    pub const ALL: [Sensitivity; 4] = [
        Sensitivity::Public,
        Sensitivity::Technical,
        Sensitivity::Identifying,
        Sensitivity::BusinessConfidential,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Sensitivity::Public => "public",
            Sensitivity::Technical => "technical",
            Sensitivity::Identifying => "identifying",
            Sensitivity::BusinessConfidential => "business-confidential",
        }
    }

    pub fn parse(text: &str) -> Option<Sensitivity> {
        Sensitivity::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether collecting such an item needs a stated purpose.
    pub fn needs_purpose(self) -> bool {
        matches!(
            self,
            Sensitivity::Identifying | Sensitivity::BusinessConfidential
        )
    }
}

/// A spec that passed validation: every reference resolved, every example typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidSpec {
    pub product: Product,
    pub categories: Vec<Category>,
    pub sources: Vec<Source>,
    pub items: Vec<Item>,
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub id: String,
    pub category: String,
    pub label: String,
    pub description: String,
    pub purpose: Option<String>,
    /// The JSON path, one entry per segment.
    pub path: Vec<String>,
    pub value_type: ValueType,
    /// The keys of a map item, in payload order; empty for other types.
    pub keys: Vec<String>,
    pub example: Example,
    pub source: String,
    pub source_field: String,
    pub sensitivity: Option<Sensitivity>,
    pub since: String,
    /// Lints switched off for this item.
    pub allow: Vec<Code>,
    pub spans: ItemSpans,
}

/// Where an item's parts were written, for lints that run on a [`ValidSpec`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ItemSpans {
    pub item: Span,
    pub id: Span,
    pub path: Span,
    pub label: Span,
    pub description: Span,
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
            if item.keys.is_empty() {
                out.push(path);
            } else {
                out.extend(item.keys.iter().map(|k| format!("{path}.{k}")));
            }
        }
        out
    }
}
