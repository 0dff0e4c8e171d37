//! The closed set of value types an item can have, and how an example value is checked against one.
//!
//! Every value on the wire is a JSON string (or a list or map of strings), as in Optimize's
//! payload; the type says which strings are valid. A source that fails reports the string
//! [`UNKNOWN`] instead, so every type also accepts it at runtime, never in an example.

use std::fmt;

/// What a failed source reports for each of its values, exactly as Optimize does.
pub const UNKNOWN: &str = "Unknown";

/// The type of a single string value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scalar {
    /// Free text.
    String,
    /// An RFC 4122 UUID in its hyphenated form, such as `7b86edba-fcb7-11ea-adc1-0242ac120002`.
    Uuid,
    /// A calendar date `yyyy-MM-dd`.
    Date,
    /// A semantic version `MAJOR.MINOR.PATCH[-pre][+build]`.
    Semver,
    /// A boolean sent as the string `"true"` or `"false"`, as Optimize does.
    Flag,
}

/// The type of an item: a scalar, a list of scalars, or a map with declared keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueType {
    Scalar(Scalar),
    List(Scalar),
    Map(Scalar),
}

impl Scalar {
    pub const ALL: [Scalar; 5] = [
        Scalar::String,
        Scalar::Uuid,
        Scalar::Date,
        Scalar::Semver,
        Scalar::Flag,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scalar::String => "string",
            Scalar::Uuid => "uuid",
            Scalar::Date => "date",
            Scalar::Semver => "semver",
            Scalar::Flag => "flag",
        }
    }

    fn from_name(name: &str) -> Option<Scalar> {
        Scalar::ALL.into_iter().find(|s| s.name() == name)
    }

    /// How the value looks, for reviewers and error messages.
    pub fn describe(self) -> &'static str {
        match self {
            Scalar::String => "text",
            Scalar::Uuid => "a UUID such as 7b86edba-fcb7-11ea-adc1-0242ac120002",
            Scalar::Date => "a date written yyyy-MM-dd",
            Scalar::Semver => "a version such as 3.2.0",
            Scalar::Flag => "the text \"true\" or \"false\"",
        }
    }

    /// A regular expression (ECMA-262, for JSON Schema) matching exactly the valid values.
    pub fn pattern(self) -> Option<&'static str> {
        match self {
            Scalar::String => None,
            Scalar::Uuid => Some(
                "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
            ),
            Scalar::Date => Some("^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"),
            Scalar::Semver => Some(
                "^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*)?(\\+[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*)?$",
            ),
            Scalar::Flag => Some("^(true|false)$"),
        }
    }

    /// The JSON Schema `format` of the type, where the standard defines one.
    pub fn format(self) -> Option<&'static str> {
        match self {
            Scalar::Uuid => Some("uuid"),
            Scalar::Date => Some("date"),
            _ => None,
        }
    }

    /// Whether `value` is a valid value of this type; the error says why not.
    pub fn check(self, value: &str) -> Result<(), String> {
        let ok = match self {
            Scalar::String => !value.is_empty(),
            Scalar::Uuid => is_uuid(value),
            Scalar::Date => is_date(value),
            Scalar::Semver => is_semver(value),
            Scalar::Flag => value == "true" || value == "false",
        };
        if ok {
            Ok(())
        } else if value.is_empty() {
            Err(format!("an empty string is not {}", self.describe()))
        } else {
            Err(format!("`{}` is not {}", shorten(value), self.describe()))
        }
    }
}

impl ValueType {
    /// Every spelling accepted in the spec, for "did you mean" help.
    pub fn known_names() -> Vec<String> {
        Scalar::ALL
            .iter()
            .map(|s| s.name().to_owned())
            .chain(Scalar::ALL.iter().map(|s| format!("list<{}>", s.name())))
            .chain(Scalar::ALL.iter().map(|s| format!("map<{}>", s.name())))
            .collect()
    }

    pub fn parse(text: &str) -> Option<ValueType> {
        let text = text.trim();
        let inner = |prefix: &str| {
            text.strip_prefix(prefix)
                .and_then(|rest| rest.strip_suffix('>'))
                .map(str::trim)
                .and_then(Scalar::from_name)
        };
        if let Some(s) = inner("list<") {
            Some(ValueType::List(s))
        } else if let Some(s) = inner("map<") {
            Some(ValueType::Map(s))
        } else {
            Scalar::from_name(text).map(ValueType::Scalar)
        }
    }

    pub fn scalar(self) -> Scalar {
        match self {
            ValueType::Scalar(s) | ValueType::List(s) | ValueType::Map(s) => s,
        }
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueType::Scalar(s) => f.write_str(s.name()),
            ValueType::List(s) => write!(f, "list<{}>", s.name()),
            ValueType::Map(s) => write!(f, "map<{}>", s.name()),
        }
    }
}

/// An item's example value, as the disclosure shows it and the example payload carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Example {
    Scalar(String),
    List(Vec<String>),
    /// Entries in the order of the item's declared keys.
    Map(Vec<(String, String)>),
}

impl Example {
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Example::Scalar(s) => Value::String(s.clone()),
            Example::List(items) => {
                Value::Array(items.iter().cloned().map(Value::String).collect())
            }
            Example::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect(),
            ),
        }
    }
}

fn shorten(value: &str) -> String {
    const MAX: usize = 60;
    if value.chars().count() <= MAX {
        value.to_owned()
    } else {
        let head: String = value.chars().take(MAX).collect();
        format!("{head}…")
    }
}

fn is_hex_run(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

pub fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && [8, 4, 4, 4, 12]
            .iter()
            .zip(&parts)
            .all(|(&len, part)| is_hex_run(part, len))
}

pub fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = &s[r];
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())
            .flatten()
    };
    let (Some(year), Some(month), Some(day)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

pub fn is_semver(s: &str) -> bool {
    let (rest, build) = match s.split_once('+') {
        Some((rest, build)) => (rest, Some(build)),
        None => (s, None),
    };
    let (core, pre) = match rest.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (rest, None),
    };
    let numeric = |p: &str| {
        !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && (p == "0" || !p.starts_with('0'))
    };
    let ident =
        |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    let core: Vec<&str> = core.split('.').collect();
    core.len() == 3
        && core.iter().all(|p| numeric(p))
        && pre.is_none_or(|p| {
            p.split('.')
                .all(|id| ident(id) && (!id.bytes().all(|b| b.is_ascii_digit()) || numeric(id)))
        })
        && build.is_none_or(|b| b.split('.').all(ident))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_known_type_name() {
        for name in ValueType::known_names() {
            let parsed = ValueType::parse(&name).expect("known name parses");
            assert_eq!(parsed.to_string(), name);
        }
        assert_eq!(ValueType::parse("list<int>"), None);
        assert_eq!(ValueType::parse("map<flag"), None);
        assert_eq!(ValueType::parse("UUID"), None);
    }

    #[test]
    fn uuids() {
        assert!(is_uuid("7b86edba-fcb7-11ea-adc1-0242ac120002"));
        assert!(is_uuid("8343CC7A-8AD1-42D4-97D2-43452C0BDFA3"));
        assert!(!is_uuid("7b86edba-fcb7-11ea-adc1-0242ac12000"));
        assert!(!is_uuid("7b86edbafcb711eaadc10242ac120002"));
        assert!(!is_uuid("7b86edba-fcb7-11ea-adc1-0242ac12000g"));
        assert!(!is_uuid("Unknown"));
    }

    #[test]
    fn dates() {
        assert!(is_date("2025-01-01"));
        assert!(is_date("2024-02-29"));
        assert!(!is_date("2023-02-29"));
        assert!(!is_date("2025-13-01"));
        assert!(!is_date("2025-1-01"));
        assert!(!is_date("01.01.2025"));
        assert!(!is_date("2025-01-01T00:00:00"));
    }

    #[test]
    fn semvers() {
        for ok in [
            "3.2.0",
            "0.0.0",
            "7.17.21",
            "1.0.0-alpha.1",
            "1.0.0+build.5",
            "1.0.0-rc-1+x",
        ] {
            assert!(is_semver(ok), "{ok}");
        }
        for bad in [
            "3.2", "03.2.0", "1.0.0-", "1.0.0-01", "v1.0.0", "1.0.0+", "1..0",
        ] {
            assert!(!is_semver(bad), "{bad}");
        }
    }

    #[test]
    fn flags_are_strings_true_or_false() {
        assert!(Scalar::Flag.check("true").is_ok());
        assert!(Scalar::Flag.check("false").is_ok());
        assert_eq!(
            Scalar::Flag.check("yes").unwrap_err(),
            "`yes` is not the text \"true\" or \"false\""
        );
    }
}
