//! The value types of the telemetry spec, shared by the compiler and the runtime, and the one
//! check of a JSON value against them.
//!
//! The compiler builds these from the spec and checks each example with [`check`]; the code it
//! generates describes every item with an [`ItemInfo`] built from the same types, and the
//! runtime checks every value of a report with the same [`check`] before anything is sent. So the
//! rules a reviewer reads, the examples, and what may leave the machine are decided in one place.
//!
//! Strings and lists are [`Cow`]s so the compiler can own them and generated code can hold them
//! in constants.

mod check;
mod describe;

use std::borrow::Cow;

pub mod consent;

pub use check::{Rule, Violation, check, is_date, is_datetime, is_semver, is_uuid};

/// Text owned by the compiler or borrowed from a constant of the generated code.
pub type Str = Cow<'static, str>;
/// A list owned by the compiler or borrowed from a constant of the generated code.
pub type List<T> = Cow<'static, [T]>;

/// What a failed text source reports for each of its values, exactly as Optimize does.
pub const UNKNOWN: &str = "Unknown";
/// The longest text value (in bytes) an item may send unless it declares `max-length`.
pub const DEFAULT_MAX_LENGTH: u32 = 1024;
/// The most elements a list item may send unless it declares `max-items`.
pub const DEFAULT_MAX_ITEMS: u32 = 1000;

/// The type of one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scalar {
    /// Free text.
    String,
    /// An RFC 4122 UUID in its hyphenated form.
    Uuid,
    /// A calendar date `yyyy-MM-dd`.
    Date,
    /// An RFC 3339 date-time with an offset, such as `2022-11-20T15:53:20.386+01:00`.
    Datetime,
    /// A semantic version `MAJOR.MINOR.PATCH[-pre][+build]`.
    Semver,
    /// A boolean sent as the text `"true"` or `"false"`, as Optimize does.
    Flag,
    /// One of the item's declared `values`, sent as text.
    Enum,
    /// A whole number (JSON integer), optionally bounded by `min`/`max`.
    Integer,
    /// A whole number >= 0, such as a count of executions.
    Counter,
    /// A finite number, optionally with a `unit` and bounds.
    Number,
    /// A JSON `true` or `false`.
    Boolean,
}

impl Scalar {
    pub const ALL: [Scalar; 11] = [
        Scalar::String,
        Scalar::Uuid,
        Scalar::Date,
        Scalar::Datetime,
        Scalar::Semver,
        Scalar::Flag,
        Scalar::Enum,
        Scalar::Integer,
        Scalar::Counter,
        Scalar::Number,
        Scalar::Boolean,
    ];

    /// The spelling in the spec.
    pub fn name(self) -> &'static str {
        match self {
            Scalar::String => "string",
            Scalar::Uuid => "uuid",
            Scalar::Date => "date",
            Scalar::Datetime => "datetime",
            Scalar::Semver => "semver",
            Scalar::Flag => "flag",
            Scalar::Enum => "enum",
            Scalar::Integer => "integer",
            Scalar::Counter => "counter",
            Scalar::Number => "number",
            Scalar::Boolean => "boolean",
        }
    }

    pub fn from_name(name: &str) -> Option<Scalar> {
        Scalar::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Sent as a JSON string.
    pub fn is_text(self) -> bool {
        !self.is_numeric() && self != Scalar::Boolean
    }

    /// Sent as a JSON number; `min`, `max` and `unit` apply.
    pub fn is_numeric(self) -> bool {
        matches!(self, Scalar::Integer | Scalar::Counter | Scalar::Number)
    }

    /// Whether a failed source may report [`UNKNOWN`] in its place: only the text types Optimize
    /// has always sent that way. Every other type states `omit`, `null` or a fallback.
    pub fn accepts_unknown(self) -> bool {
        matches!(
            self,
            Scalar::String | Scalar::Uuid | Scalar::Date | Scalar::Semver | Scalar::Flag
        )
    }

    /// A regular expression (ECMA-262, for JSON Schema) matching exactly the valid texts.
    pub fn pattern(self) -> Option<&'static str> {
        match self {
            Scalar::Uuid => Some(
                "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
            ),
            Scalar::Date => Some("^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"),
            Scalar::Semver => Some(
                "^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*)?(\\+[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*)?$",
            ),
            Scalar::Flag => Some("^(true|false)$"),
            Scalar::Datetime => Some(
                "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]+)?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$",
            ),
            _ => None,
        }
    }

    /// Whether every valid text of this type is short by construction (a fixed format or a
    /// closed set), so the schema needs no `maxLength` for it.
    pub fn is_bounded_text(self) -> bool {
        matches!(
            self,
            Scalar::Uuid | Scalar::Date | Scalar::Flag | Scalar::Enum
        )
    }

    /// The JSON Schema `format`, where the standard defines one.
    pub fn format(self) -> Option<&'static str> {
        match self {
            Scalar::Uuid => Some("uuid"),
            Scalar::Date => Some("date"),
            Scalar::Datetime => Some("date-time"),
            _ => None,
        }
    }
}

/// One field of a record: the same small object under every key or list element.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Field {
    pub name: Str,
    pub scalar: Scalar,
}

/// What sits at each place of an item's value: one typed value, or a record of them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Leaf {
    Scalar(Scalar),
    Record(List<Field>),
}

/// How an item's values are arranged.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Shape {
    /// One value.
    One,
    /// An array of values.
    List,
    /// An object with declared keys; those in `optional` may be absent.
    Map {
        keys: List<Str>,
        optional: List<Str>,
    },
    /// An object whose keys are not known in advance: each must match `key_pattern` (anchored),
    /// and there may be at most `max_keys` of them, so nothing unbounded can leave.
    OpenMap { key_pattern: Str, max_keys: u32 },
}

/// The kind of shape, as spelled in the spec before its keys or pattern are known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShapeKind {
    One,
    List,
    Map,
    OpenMap,
}

/// The kind of leaf, as spelled in the spec before a record's fields are known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeafKind {
    Scalar(Scalar),
    Record,
}

/// The type of an item's value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ValueType {
    pub shape: Shape,
    pub leaf: Leaf,
}

impl Shape {
    pub fn kind(&self) -> ShapeKind {
        match self {
            Shape::One => ShapeKind::One,
            Shape::List => ShapeKind::List,
            Shape::Map { .. } => ShapeKind::Map,
            Shape::OpenMap { .. } => ShapeKind::OpenMap,
        }
    }
}

impl Leaf {
    pub fn kind(&self) -> LeafKind {
        match self {
            Leaf::Scalar(s) => LeafKind::Scalar(*s),
            Leaf::Record(_) => LeafKind::Record,
        }
    }

    /// The scalar, for a leaf that is not a record.
    pub fn scalar(&self) -> Option<Scalar> {
        match self {
            Leaf::Scalar(s) => Some(*s),
            Leaf::Record(_) => None,
        }
    }
}

impl LeafKind {
    fn name(self) -> &'static str {
        match self {
            LeafKind::Scalar(s) => s.name(),
            LeafKind::Record => "record",
        }
    }

    fn from_name(name: &str) -> Option<LeafKind> {
        match name {
            "record" => Some(LeafKind::Record),
            _ => Scalar::from_name(name).map(LeafKind::Scalar),
        }
    }
}

impl ValueType {
    /// One value of a scalar type (a `const` for generated code).
    pub const fn one(scalar: Scalar) -> Self {
        Self {
            shape: Shape::One,
            leaf: Leaf::Scalar(scalar),
        }
    }

    /// A list of a scalar type (a `const` for generated code).
    pub const fn list(scalar: Scalar) -> Self {
        Self {
            shape: Shape::List,
            leaf: Leaf::Scalar(scalar),
        }
    }

    /// Splits a spelling such as `list<counter>`, `open-map<record>` or `enum` into its kinds.
    pub fn parse_name(text: &str) -> Option<(ShapeKind, LeafKind)> {
        let text = text.trim();
        let inner = |prefix: &str| {
            text.strip_prefix(prefix)
                .and_then(|rest| rest.strip_suffix('>'))
                .map(str::trim)
                .and_then(LeafKind::from_name)
        };
        if let Some(l) = inner("list<") {
            Some((ShapeKind::List, l))
        } else if let Some(l) = inner("map<") {
            Some((ShapeKind::Map, l))
        } else if let Some(l) = inner("open-map<") {
            Some((ShapeKind::OpenMap, l))
        } else {
            LeafKind::from_name(text).map(|l| (ShapeKind::One, l))
        }
    }

    /// Every spelling the spec accepts, for "did you mean" help.
    pub fn known_names() -> Vec<String> {
        let leaves: Vec<&str> = Scalar::ALL
            .iter()
            .map(|s| s.name())
            .chain(std::iter::once("record"))
            .collect();
        let mut out: Vec<String> = leaves.iter().map(|l| (*l).to_owned()).collect();
        for shape in ["list", "map", "open-map"] {
            out.extend(leaves.iter().map(|l| format!("{shape}<{l}>")));
        }
        out
    }

    /// The spelling in the spec, such as `map<string>`.
    pub fn name(&self) -> String {
        let leaf = self.leaf.kind().name();
        match self.shape.kind() {
            ShapeKind::One => leaf.to_owned(),
            ShapeKind::List => format!("list<{leaf}>"),
            ShapeKind::Map => format!("map<{leaf}>"),
            ShapeKind::OpenMap => format!("open-map<{leaf}>"),
        }
    }

    /// Whether every value is text that may be [`UNKNOWN`] when the source fails.
    pub fn accepts_unknown(&self) -> bool {
        !matches!(self.shape, Shape::OpenMap { .. })
            && self.leaf.scalar().is_some_and(Scalar::accepts_unknown)
    }
}

impl std::fmt::Display for ValueType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

/// The constraints an item declares beyond its type.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    /// Smallest allowed number (numeric types).
    pub min: Option<f64>,
    /// Largest allowed number (numeric types).
    pub max: Option<f64>,
    /// The members of an enum, in the order the spec lists them.
    pub values: List<Str>,
    /// The unit of a number, shown to reviewers.
    pub unit: Option<Str>,
    /// The longest text value, in bytes.
    pub max_length: u32,
    /// The most elements of a list.
    pub max_items: u32,
}

impl Rules {
    /// No constraint beyond the type, and the default size limits.
    pub const DEFAULT: Rules = Rules {
        min: None,
        max: None,
        values: Cow::Borrowed(&[]),
        unit: None,
        max_length: DEFAULT_MAX_LENGTH,
        max_items: DEFAULT_MAX_ITEMS,
    };
}

impl Default for Rules {
    fn default() -> Self {
        Rules::DEFAULT
    }
}

/// The units a number may declare: a closed set, so reviewers read the same words everywhere.
pub const UNITS: &[&str] = &[
    "bytes",
    "kibibytes",
    "mebibytes",
    "milliseconds",
    "seconds",
    "minutes",
    "hours",
    "days",
    "percent",
];

/// What is sent for an item when its source fails or has nothing to report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IfUnavailable {
    /// The text [`UNKNOWN`] in every value: Optimize's rule for its text items.
    Unknown,
    /// The key is left out of the report.
    Omit,
    /// The key is sent with the JSON value `null`.
    Null,
    /// The item's declared fallback value is sent.
    Fallback,
}

impl IfUnavailable {
    pub const ALL: [IfUnavailable; 4] = [
        IfUnavailable::Unknown,
        IfUnavailable::Omit,
        IfUnavailable::Null,
        IfUnavailable::Fallback,
    ];

    /// The spelling in the spec (`if-unavailable = "..."`).
    pub fn name(self) -> &'static str {
        match self {
            IfUnavailable::Unknown => "unknown",
            IfUnavailable::Omit => "omit",
            IfUnavailable::Null => "null",
            IfUnavailable::Fallback => "fallback",
        }
    }

    pub fn from_name(name: &str) -> Option<IfUnavailable> {
        IfUnavailable::ALL.into_iter().find(|s| s.name() == name)
    }
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

/// What the spec says about one item, as the generated item table holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemInfo {
    pub id: &'static str,
    /// The JSON path, dot-separated.
    pub path: &'static str,
    pub label: &'static str,
    pub category: &'static str,
    pub sensitivity: Option<Sensitivity>,
    pub value_type: ValueType,
    pub rules: Rules,
    pub if_unavailable: IfUnavailable,
    /// `<source>.<field>`.
    pub source: &'static str,
    pub since: &'static str,
    /// The type with its rules, as `telemetry-spec diff` renders it (for [`consent`]).
    pub type_text: &'static str,
    /// [`consent::purpose_digest`] of the item's purpose.
    pub purpose_digest: &'static str,
}

impl ItemInfo {
    /// What an approval of this item records, and what [`consent::compare`] compares.
    pub fn consent_record(&self) -> consent::ApprovedItem {
        consent::ApprovedItem {
            id: self.id.to_owned(),
            path: self.path.to_owned(),
            type_text: self.type_text.to_owned(),
            sensitivity: consent::sensitivity_name(self.sensitivity).to_owned(),
            purpose_digest: self.purpose_digest.to_owned(),
        }
    }

    /// The JSON path, one key at a time.
    pub fn segments(&self) -> impl Iterator<Item = &'static str> {
        self.path.split('.')
    }

    /// Checks one value of this item as it is about to be sent (see [`check`]).
    pub fn check(&self, value: &serde_json::Value) -> Result<(), Violation> {
        check(
            &self.value_type,
            &self.rules,
            self.if_unavailable == IfUnavailable::Unknown,
            value,
        )
    }
}

/// An object of the payload that is left out (or `null`) as a whole when none of its items has
/// a value, such as a license key object when no license is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectInfo {
    pub path: &'static str,
    pub if_unavailable: IfUnavailable,
}

pub use describe::{describe, describe_unavailable};

/// Why `pattern` cannot be an open map's key pattern (the regular expression engine the runtime
/// checks keys with refuses it), or `None` if it can.
pub fn key_pattern_error(pattern: &str) -> Option<String> {
    regex_lite::Regex::new(pattern).err().map(|e| e.to_string())
}
