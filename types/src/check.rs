//! The check of one JSON value against an item's type and rules: the compiler runs it on every
//! example, the runtime on every value of a report before it is sent. A [`Violation`] names
//! where and which rule was broken, never the value itself, so it can be logged.

use std::fmt;

use serde_json::Value;

use crate::{Leaf, Rules, Scalar, Shape, UNKNOWN, ValueType};

/// Which rule a value broke.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// The JSON kind is wrong (`expected` says which kind it must be).
    Kind {
        expected: &'static str,
    },
    /// Text that is empty where text is required.
    Empty,
    /// Text that is not a valid value of its type (a uuid, date, ...).
    Format(Scalar),
    /// Text that is not one of the enum's declared values.
    NotInEnum,
    BelowMin(f64),
    AboveMax(f64),
    /// Text longer than the item's `max-length` (bytes).
    TooLong {
        max: u32,
    },
    /// A list longer than the item's `max-items`.
    TooManyItems {
        max: u32,
    },
    /// A key of a declared map or record that the spec does not declare.
    UndeclaredKey,
    /// A declared, non-optional key of a map or record is missing.
    MissingKey(String),
    /// A key of an open map that does not match its `key-pattern`.
    KeyPattern,
    /// An open map with more keys than its `max-keys`.
    TooManyKeys {
        max: u32,
    },
    /// The declared key pattern itself does not compile (a compiler bug or a hand-edited table).
    BadPattern,
}

/// Where in an item's value a rule was broken: `at` is empty for the value itself, else
/// `[index]`, `.key`, or both (`.StartProcessInstanceCmd.count`).
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    pub at: String,
    pub rule: Rule,
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Kind { expected } => write!(f, "must be {expected}"),
            Rule::Empty => f.write_str("must not be empty"),
            Rule::Format(s) => write!(f, "is not {}", format_name(*s)),
            Rule::NotInEnum => f.write_str("is not one of the declared values"),
            Rule::BelowMin(min) => write!(f, "is below the minimum {min}"),
            Rule::AboveMax(max) => write!(f, "is above the maximum {max}"),
            Rule::TooLong { max } => write!(f, "is longer than {max} bytes"),
            Rule::TooManyItems { max } => write!(f, "has more than {max} elements"),
            Rule::UndeclaredKey => f.write_str("has a key that is not declared"),
            Rule::MissingKey(k) => write!(f, "lacks the declared key `{k}`"),
            Rule::KeyPattern => f.write_str("has a key that does not match the key pattern"),
            Rule::TooManyKeys { max } => write!(f, "has more than {max} keys"),
            Rule::BadPattern => f.write_str("has a key pattern that does not compile"),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.at.is_empty() {
            write!(f, "the value {}", self.rule)
        } else {
            write!(f, "`{}` {}", self.at, self.rule)
        }
    }
}

fn format_name(s: Scalar) -> &'static str {
    match s {
        Scalar::Uuid => "a UUID",
        Scalar::Date => "a date yyyy-MM-dd",
        Scalar::Datetime => "an RFC 3339 date-time with an offset",
        Scalar::Semver => "a semantic version",
        Scalar::Flag => "the text \"true\" or \"false\"",
        _ => "valid",
    }
}

fn fail<T>(at: &str, rule: Rule) -> Result<T, Violation> {
    Err(Violation {
        at: at.to_owned(),
        rule,
    })
}

/// Checks `value` against a type and its rules. `unknown_ok`: the item reports [`UNKNOWN`]
/// when its source fails, so that text is accepted wherever a text value may stand.
pub fn check(
    value_type: &ValueType,
    rules: &Rules,
    unknown_ok: bool,
    value: &Value,
) -> Result<(), Violation> {
    let leaf = |at: &str, v: &Value| check_leaf(&value_type.leaf, rules, unknown_ok, at, v);
    match &value_type.shape {
        Shape::One => leaf("", value),
        Shape::List => {
            let Value::Array(elements) = value else {
                return fail(
                    "",
                    Rule::Kind {
                        expected: "an array",
                    },
                );
            };
            if elements.len() > rules.max_items as usize {
                return fail(
                    "",
                    Rule::TooManyItems {
                        max: rules.max_items,
                    },
                );
            }
            for (i, v) in elements.iter().enumerate() {
                leaf(&format!("[{i}]"), v)?;
            }
            Ok(())
        }
        Shape::Map { keys, optional } => {
            let Value::Object(map) = value else {
                return fail(
                    "",
                    Rule::Kind {
                        expected: "an object",
                    },
                );
            };
            for (k, v) in map {
                if !keys.iter().any(|d| d == k) {
                    return fail("", Rule::UndeclaredKey);
                }
                leaf(&format!(".{k}"), v)?;
            }
            match keys
                .iter()
                .find(|k| !map.contains_key(k.as_ref()) && !optional.contains(k))
            {
                Some(k) => fail("", Rule::MissingKey(k.to_string())),
                None => Ok(()),
            }
        }
        Shape::OpenMap {
            key_pattern,
            max_keys,
        } => {
            let Value::Object(map) = value else {
                return fail(
                    "",
                    Rule::Kind {
                        expected: "an object",
                    },
                );
            };
            if map.len() > *max_keys as usize {
                return fail("", Rule::TooManyKeys { max: *max_keys });
            }
            let Ok(pattern) = regex_lite::Regex::new(key_pattern) else {
                return fail("", Rule::BadPattern);
            };
            // Keys are data from the host: violations name their position, never the key.
            for (i, (k, v)) in map.iter().enumerate() {
                let at = format!("key #{}", i + 1);
                if k.len() > rules.max_length as usize {
                    return fail(
                        &at,
                        Rule::TooLong {
                            max: rules.max_length,
                        },
                    );
                }
                if !pattern.is_match(k) {
                    return fail(&at, Rule::KeyPattern);
                }
                leaf(&format!("value #{}", i + 1), v)?;
            }
            Ok(())
        }
    }
}

fn check_leaf(
    leaf: &Leaf,
    rules: &Rules,
    unknown_ok: bool,
    at: &str,
    value: &Value,
) -> Result<(), Violation> {
    match leaf {
        Leaf::Scalar(s) => check_scalar(*s, rules, unknown_ok, at, value),
        Leaf::Record(fields) => {
            let Value::Object(map) = value else {
                return fail(
                    at,
                    Rule::Kind {
                        expected: "an object",
                    },
                );
            };
            // Record fields carry no bounds of their own; the size limits still apply.
            let field_rules = Rules {
                max_length: rules.max_length,
                ..Rules::DEFAULT
            };
            for (k, v) in map {
                let Some(field) = fields.iter().find(|f| f.name == *k) else {
                    return fail(at, Rule::UndeclaredKey);
                };
                check_scalar(field.scalar, &field_rules, false, &format!("{at}.{k}"), v)?;
            }
            match fields.iter().find(|f| !map.contains_key(f.name.as_ref())) {
                Some(f) => fail(at, Rule::MissingKey(f.name.to_string())),
                None => Ok(()),
            }
        }
    }
}

fn check_scalar(
    scalar: Scalar,
    rules: &Rules,
    unknown_ok: bool,
    at: &str,
    value: &Value,
) -> Result<(), Violation> {
    if scalar.is_text() {
        let Value::String(text) = value else {
            return fail(at, Rule::Kind { expected: "text" });
        };
        if text.len() > rules.max_length as usize {
            return fail(
                at,
                Rule::TooLong {
                    max: rules.max_length,
                },
            );
        }
        if unknown_ok && scalar.accepts_unknown() && text == UNKNOWN {
            return Ok(());
        }
        let ok = match scalar {
            Scalar::String => {
                if text.is_empty() {
                    return fail(at, Rule::Empty);
                }
                true
            }
            Scalar::Uuid => is_uuid(text),
            Scalar::Date => is_date(text),
            Scalar::Datetime => is_datetime(text),
            Scalar::Semver => is_semver(text),
            Scalar::Flag => text == "true" || text == "false",
            Scalar::Enum => {
                if !rules.values.iter().any(|v| v == text) {
                    return fail(at, Rule::NotInEnum);
                }
                true
            }
            _ => true,
        };
        return if ok {
            Ok(())
        } else {
            fail(at, Rule::Format(scalar))
        };
    }
    let number = match (scalar, value) {
        (Scalar::Boolean, Value::Bool(_)) => return Ok(()),
        (Scalar::Boolean, _) => {
            return fail(
                at,
                Rule::Kind {
                    expected: "true or false",
                },
            );
        }
        (Scalar::Integer, Value::Number(n)) if n.is_i64() => n.as_f64(),
        (Scalar::Counter, Value::Number(n)) if n.is_u64() => n.as_f64(),
        (Scalar::Number, Value::Number(n)) => n.as_f64().filter(|f| f.is_finite()),
        (Scalar::Integer, _) => {
            return fail(
                at,
                Rule::Kind {
                    expected: "a whole number",
                },
            );
        }
        (Scalar::Counter, _) => {
            return fail(
                at,
                Rule::Kind {
                    expected: "a whole number >= 0",
                },
            );
        }
        _ => None,
    };
    let Some(number) = number else {
        return fail(
            at,
            Rule::Kind {
                expected: "a finite number",
            },
        );
    };
    if let Some(min) = rules.min
        && number < min
    {
        return fail(at, Rule::BelowMin(min));
    }
    if let Some(max) = rules.max
        && number > max
    {
        return fail(at, Rule::AboveMax(max));
    }
    Ok(())
}

fn is_hex_run(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

pub fn is_uuid(s: &str) -> bool {
    let mut parts = s.split('-');
    [8, 4, 4, 4, 12]
        .iter()
        .all(|&len| parts.next().is_some_and(|p| is_hex_run(p, len)))
        && parts.next().is_none()
}

fn digits(s: &str) -> Option<u32> {
    (!s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

pub fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let (Some(year), Some(month), Some(day)) =
        (digits(&s[0..4]), digits(&s[5..7]), digits(&s[8..10]))
    else {
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

/// RFC 3339 `date-time`: `yyyy-MM-ddTHH:mm:ss[.fraction](Z|±HH:mm)`. Leap seconds (`:60`) are
/// refused: stricter than the standard, never looser than the published schema.
pub fn is_datetime(s: &str) -> bool {
    // Only ASCII can be valid, and checking that first makes every byte index below safe.
    if !s.is_ascii() {
        return false;
    }
    let Some((date, time)) = s.split_once(['T', 't']) else {
        return false;
    };
    if !is_date(date) {
        return false;
    }
    let (clock, offset) = if let Some(c) = time.strip_suffix(['Z', 'z']) {
        (c, None)
    } else {
        match time.rfind(['+', '-']) {
            Some(i) => (&time[..i], Some(&time[i + 1..])),
            None => return false,
        }
    };
    let hm = |t: &str, max_h: u32| -> bool {
        let b = t.as_bytes();
        b.len() == 5
            && b[2] == b':'
            && digits(&t[0..2]).is_some_and(|h| h <= max_h)
            && digits(&t[3..5]).is_some_and(|m| m <= 59)
    };
    if offset.is_some_and(|o| !hm(o, 23)) {
        return false;
    }
    let (whole, fraction) = match clock.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (clock, None),
    };
    whole.len() == 8
        && whole.as_bytes()[5] == b':'
        && hm(&whole[..5], 23)
        && digits(&whole[6..8]).is_some_and(|sec| sec <= 59)
        && fraction.is_none_or(|f| !f.is_empty() && f.bytes().all(|c| c.is_ascii_digit()))
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
    // Counted, not collected: every item's `since` is checked with this.
    let mut parts = core.split('.');
    parts.by_ref().take(3).filter(|p| numeric(p)).count() == 3
        && parts.next().is_none()
        && pre.is_none_or(|p| {
            p.split('.')
                .all(|id| ident(id) && (!id.bytes().all(|b| b.is_ascii_digit()) || numeric(id)))
        })
        && build.is_none_or(|b| b.split('.').all(ident))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Field, IfUnavailable, List};
    use serde_json::json;
    use std::borrow::Cow;

    fn owned<T: Clone>(v: Vec<T>) -> List<T> {
        Cow::Owned(v)
    }

    #[test]
    fn uuids_dates_semvers_and_datetimes() {
        assert!(is_uuid("7b86edba-fcb7-11ea-adc1-0242ac120002"));
        assert!(!is_uuid("7b86edba-fcb7-11ea-adc1-0242ac12000"));
        assert!(!is_uuid("not-a-uuid"));
        assert!(is_date("2024-02-29") && !is_date("2023-02-29") && !is_date("2025-13-01"));
        assert!(is_semver("1.0.0-rc-1+x") && !is_semver("03.2.0") && !is_semver("3.2"));
        assert!(!is_semver("1.2.3.4") && !is_semver("1.2.") && !is_semver("1..3"));
        for ok in [
            "2022-11-20T15:53:20.386+01:00",
            "2022-11-20T15:53:20Z",
            "2022-11-20t15:53:20.5-08:30",
        ] {
            assert!(is_datetime(ok), "{ok}");
        }
        for bad in [
            "2022-11-320T15:53:20.386+0100",
            "2022-11-20T15:53:20.386+0100",
            "2022-11-20T15:53:20",
            "2022-11-20 15:53:20Z",
            "2022-11-20T24:00:00Z",
            "2022-11-20T15:53:60Z",
            "2022-11-20T15:53:20.Z",
            "2022-11-20T12:3é00Z",
            "2022-11-20T1é:30:00Z",
        ] {
            assert!(!is_datetime(bad), "{bad}");
        }
    }

    #[test]
    fn numbers_booleans_and_enums_are_checked_with_their_rules() {
        let rules = Rules {
            min: Some(1.0),
            max: Some(10.0),
            ..Rules::DEFAULT
        };
        let int = ValueType::one(Scalar::Integer);
        assert!(check(&int, &rules, false, &json!(5)).is_ok());
        assert_eq!(
            check(&int, &rules, false, &json!(11)).map_err(|v| v.rule),
            Err(Rule::AboveMax(10.0))
        );
        assert!(check(&int, &rules, false, &json!(5.5)).is_err());
        assert!(check(&int, &rules, false, &json!("5")).is_err());
        let counter = ValueType::one(Scalar::Counter);
        assert!(check(&counter, &Rules::DEFAULT, false, &json!(0)).is_ok());
        assert!(check(&counter, &Rules::DEFAULT, false, &json!(-1)).is_err());
        let boolean = ValueType::one(Scalar::Boolean);
        assert!(check(&boolean, &Rules::DEFAULT, false, &json!(false)).is_ok());
        assert!(check(&boolean, &Rules::DEFAULT, false, &json!("false")).is_err());
        let webapps = ValueType::list(Scalar::Enum);
        let values = Rules {
            values: owned(vec!["cockpit".into(), "admin".into()]),
            ..Rules::DEFAULT
        };
        assert!(check(&webapps, &values, false, &json!(["admin"])).is_ok());
        let v = check(&webapps, &values, false, &json!(["admin", "tasklist"]));
        assert_eq!(
            v.map_err(|v| v.to_string()),
            Err("`[1]` is not one of the declared values".into())
        );
    }

    #[test]
    fn unknown_only_where_the_item_says_so_and_sizes_are_bounded() {
        let uuid = ValueType::one(Scalar::Uuid);
        assert!(check(&uuid, &Rules::DEFAULT, true, &json!(UNKNOWN)).is_ok());
        assert!(check(&uuid, &Rules::DEFAULT, false, &json!(UNKNOWN)).is_err());
        let text = ValueType::one(Scalar::String);
        let big = "x".repeat(2000);
        assert_eq!(
            check(&text, &Rules::DEFAULT, true, &json!(big)).map_err(|v| v.rule),
            Err(Rule::TooLong { max: 1024 })
        );
        let _ = IfUnavailable::Omit;
    }

    #[test]
    fn open_maps_of_records_check_pattern_count_and_fields() {
        let vt = ValueType {
            shape: Shape::OpenMap {
                key_pattern: "^[A-Z][A-Za-z]*Cmd$".into(),
                max_keys: 2,
            },
            leaf: Leaf::Record(owned(vec![Field {
                name: "count".into(),
                scalar: Scalar::Counter,
            }])),
        };
        let r = &Rules::DEFAULT;
        assert!(check(&vt, r, false, &json!({"StartCmd": {"count": 4}})).is_ok());
        let rule = |v: serde_json::Value| check(&vt, r, false, &v).map_err(|v| v.rule);
        assert_eq!(rule(json!({"start": {"count": 4}})), Err(Rule::KeyPattern));
        assert_eq!(
            rule(json!({"ACmd": {"count": 1}, "BCmd": {"count": 1}, "CCmd": {"count": 1}})),
            Err(Rule::TooManyKeys { max: 2 })
        );
        assert_eq!(
            rule(json!({"ACmd": {"count": 1, "x": 2}})),
            Err(Rule::UndeclaredKey)
        );
        assert_eq!(
            rule(json!({"ACmd": {}})),
            Err(Rule::MissingKey("count".into()))
        );
        assert!(rule(json!({"ACmd": {"count": -1}})).is_err());
    }

    #[test]
    fn declared_maps_allow_only_optional_keys_to_be_absent() {
        let vt = ValueType {
            shape: Shape::Map {
                keys: owned(vec!["a".into(), "b".into()]),
                optional: owned(vec!["b".into()]),
            },
            leaf: Leaf::Scalar(Scalar::Flag),
        };
        let r = &Rules::DEFAULT;
        assert!(check(&vt, r, false, &json!({"a": "true"})).is_ok());
        assert!(check(&vt, r, false, &json!({"b": "true"})).is_err());
        assert!(check(&vt, r, false, &json!({"a": "true", "c": "true"})).is_err());
    }
}
