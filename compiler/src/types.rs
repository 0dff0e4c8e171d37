//! The value types, from the shared crate [`telemetry_types`] (the runtime checks reports with
//! the same code), and how a TOML value written in the spec, an example or a fallback, becomes
//! the JSON value it stands for.

pub use telemetry_types::*;

use crate::model::{RawValue, Spanned};

/// The JSON value a TOML value stands for. A TOML date-time becomes its text; a float that JSON
/// cannot hold (NaN, infinity) becomes `null`, which no numeric type accepts.
pub fn to_json(raw: &RawValue) -> serde_json::Value {
    use serde_json::Value;
    match raw {
        RawValue::String(s) => Value::String(s.to_string()),
        RawValue::Integer(i) => Value::from(*i),
        RawValue::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        RawValue::Boolean(b) => Value::Bool(*b),
        RawValue::Datetime(d) => Value::String(d.clone()),
        RawValue::Array(items) => Value::Array(items.iter().map(|v| to_json(&v.value)).collect()),
        RawValue::Table(entries) => Value::Object(
            entries
                .iter()
                .map(|(k, v)| (k.value.to_string(), to_json(&v.value)))
                .collect(),
        ),
    }
}

/// The written element a [`Violation`]'s location names (`[2]`, `.key`, `.key.count`), so a
/// diagnostic can point at that element rather than the whole value; the whole value where the
/// location cannot be followed.
pub fn value_at<'a, 't>(raw: &'a Spanned<RawValue<'t>>, at: &str) -> &'a Spanned<RawValue<'t>> {
    let mut here = raw;
    let mut rest = at;
    loop {
        let next = if let Some(r) = rest.strip_prefix('[') {
            let Some((index, after)) = r.split_once(']') else {
                break;
            };
            rest = after;
            match (&here.value, index.parse::<usize>()) {
                (RawValue::Array(items), Ok(i)) => items.get(i),
                _ => None,
            }
        } else if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            let key = &r[..end];
            rest = &r[end..];
            match &here.value {
                RawValue::Table(entries) => {
                    entries.iter().find(|(k, _)| k.value == key).map(|(_, v)| v)
                }
                _ => None,
            }
        } else {
            None
        };
        match next {
            Some(v) => here = v,
            None => break,
        }
    }
    here
}
