//! Types and failure rules in words a compliance reviewer reads on the disclosure page, such as
//! "whole number >= 0" or "one of: cockpit, admin, tasklist".

use crate::{IfUnavailable, Leaf, Rules, Scalar, Shape, UNKNOWN, ValueType};

/// What the values of an item are, in plain words.
pub fn describe(value_type: &ValueType, rules: &Rules) -> String {
    let leaf = describe_leaf(&value_type.leaf, rules);
    match &value_type.shape {
        Shape::One => leaf,
        Shape::List => format!(
            "a list of at most {} elements; each element: {leaf}",
            rules.max_items
        ),
        Shape::Map { optional, .. } if optional.is_empty() => {
            format!("for each key: {leaf}")
        }
        Shape::Map { optional, .. } => format!(
            "for each key: {leaf} ({} may be absent)",
            optional.join(", ")
        ),
        Shape::OpenMap {
            key_pattern,
            max_keys,
        } => format!(
            "up to {max_keys} keys of at most {} bytes, each matching `{key_pattern}`; for each key: {leaf}",
            rules.max_length
        ),
    }
}

fn describe_leaf(leaf: &Leaf, rules: &Rules) -> String {
    match leaf {
        Leaf::Scalar(s) => describe_scalar(*s, rules),
        Leaf::Record(fields) => {
            let parts: Vec<String> = fields
                .iter()
                .map(|f| format!("{}: {}", f.name, describe_scalar(f.scalar, &Rules::DEFAULT)))
                .collect();
            format!("an object {{{}}}", parts.join("; "))
        }
    }
}

fn describe_scalar(scalar: Scalar, rules: &Rules) -> String {
    let base = match scalar {
        Scalar::String => format!("text of at most {} bytes", rules.max_length),
        Scalar::Uuid => "a UUID".to_owned(),
        Scalar::Date => "a date (yyyy-MM-dd)".to_owned(),
        Scalar::Datetime => "a date and time with its offset from UTC (RFC 3339)".to_owned(),
        Scalar::Semver => format!(
            "a version number such as 3.2.0, at most {} bytes",
            rules.max_length
        ),
        Scalar::Flag => "the text \"true\" or \"false\"".to_owned(),
        Scalar::Enum => format!("one of: {}", rules.values.join(", ")),
        Scalar::Integer => "whole number".to_owned(),
        Scalar::Counter => "whole number >= 0".to_owned(),
        Scalar::Number => "number".to_owned(),
        Scalar::Boolean => "true or false".to_owned(),
    };
    if !scalar.is_numeric() {
        return base;
    }
    let unit = rules
        .unit
        .as_ref()
        .map_or_else(String::new, |u| format!(" ({u})"));
    let bounds = match (rules.min, rules.max) {
        (Some(min), Some(max)) => format!(" from {min} to {max}"),
        (Some(min), None) if scalar == Scalar::Counter && min == 0.0 => String::new(),
        (Some(min), None) => format!(" >= {min}"),
        (None, Some(max)) => format!(" <= {max}"),
        (None, None) => String::new(),
    };
    format!("{base}{bounds}{unit}")
}

/// What is sent when the item's source fails or has nothing, in plain words.
pub fn describe_unavailable(rule: IfUnavailable, fallback: Option<&serde_json::Value>) -> String {
    match rule {
        IfUnavailable::Unknown => format!("the text \"{UNKNOWN}\""),
        IfUnavailable::Omit => "left out of the report".to_owned(),
        IfUnavailable::Null => "sent as null".to_owned(),
        IfUnavailable::Fallback => match fallback {
            Some(v) => format!("sent as {v}"),
            None => "the declared fallback".to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Field;
    use std::borrow::Cow;

    #[test]
    fn reviewers_read_bounds_units_and_members() {
        let counter = ValueType::one(Scalar::Counter);
        assert_eq!(describe(&counter, &Rules::DEFAULT), "whole number >= 0");
        let enums = Rules {
            values: Cow::Owned(vec!["cockpit".into(), "admin".into(), "tasklist".into()]),
            ..Rules::DEFAULT
        };
        assert_eq!(
            describe(&ValueType::list(Scalar::Enum), &enums),
            "a list of at most 1000 elements; each element: one of: cockpit, admin, tasklist"
        );
        let timed = Rules {
            min: Some(0.0),
            max: Some(60.0),
            unit: Some("seconds".into()),
            ..Rules::DEFAULT
        };
        assert_eq!(
            describe(&ValueType::one(Scalar::Number), &timed),
            "number from 0 to 60 (seconds)"
        );
        let commands = ValueType {
            shape: Shape::OpenMap {
                key_pattern: "^[A-Za-z]+$".into(),
                max_keys: 500,
            },
            leaf: Leaf::Record(Cow::Owned(vec![Field {
                name: "count".into(),
                scalar: Scalar::Counter,
            }])),
        };
        assert_eq!(
            describe(&commands, &Rules::DEFAULT),
            "up to 500 keys of at most 1024 bytes, each matching `^[A-Za-z]+$`; for each key: an object {count: whole number >= 0}"
        );
        assert_eq!(
            describe_unavailable(IfUnavailable::Fallback, Some(&serde_json::json!(0))),
            "sent as 0"
        );
    }
}
