//! The JSON Schema (draft 2020-12) of the payload: every object closed
//! (`additionalProperties: false`), every key required, each value typed as the spec says.
//!
//! A value whose source failed is the string `"Unknown"`, which the schema accepts for every
//! typed string, exactly as the runtime may send it.

use serde_json::{Map, Value, json};

use crate::model::{Item, ValidSpec};
use crate::types::{Scalar, UNKNOWN, ValueType};

/// The schema as pretty JSON with a trailing newline.
pub fn schema_json(spec: &ValidSpec) -> String {
    let mut text = serde_json::to_string_pretty(&schema(spec)).unwrap_or_default();
    text.push('\n');
    text
}

/// The schema as a JSON value.
pub fn schema(spec: &ValidSpec) -> Value {
    let mut root = object_schema();
    for item in &spec.items {
        insert(&mut root, &item.path, item);
    }
    let mut top = Map::new();
    top.insert(
        "$schema".into(),
        json!("https://json-schema.org/draft/2020-12/schema"),
    );
    top.insert(
        "$id".into(),
        json!(format!(
            "urn:camunda:optimize:telemetry:payload:{}",
            spec.product.spec_version
        )),
    );
    top.insert("$comment".into(), json!(crate::GENERATED_NOTICE));
    top.insert(
        "title".into(),
        json!(format!("{} telemetry payload", spec.product.name)),
    );
    top.insert(
        "description".into(),
        json!(format!(
            "Every key {} may send in a telemetry report, from spec version {}. Nothing else is accepted.",
            spec.product.name, spec.product.spec_version
        )),
    );
    if let Value::Object(body) = root {
        top.extend(body);
    }
    Value::Object(top)
}

fn object_schema() -> Value {
    json!({
        "type": "object",
        "properties": {},
        "required": [],
        "additionalProperties": false,
    })
}

/// Places `item` at `path` inside the object schema `node`, creating objects on the way.
fn insert(node: &mut Value, path: &[String], item: &Item) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    let Some(obj) = node.as_object_mut() else {
        return;
    };
    if let Some(Value::Array(required)) = obj.get_mut("required")
        && !required.iter().any(|r| r == first)
    {
        required.push(json!(first));
    }
    let Some(Value::Object(props)) = obj.get_mut("properties") else {
        return;
    };
    if rest.is_empty() {
        props.insert(first.clone(), leaf(item));
        return;
    }
    let child = props.entry(first.clone()).or_insert_with(|| {
        let mut o = object_schema();
        if let Some(map) = o.as_object_mut() {
            let depth = item.path.len() - rest.len();
            map.insert(
                "description".into(),
                json!(format!("The `{}` object.", item.path[..depth].join("."))),
            );
        }
        o
    });
    insert(child, rest, item);
}

fn scalar(s: Scalar) -> Value {
    match s {
        Scalar::String => json!({ "type": "string", "minLength": 1 }),
        Scalar::Flag => json!({ "enum": ["true", "false", UNKNOWN] }),
        _ => {
            let mut typed = Map::new();
            typed.insert("type".into(), json!("string"));
            if let Some(format) = s.format() {
                typed.insert("format".into(), json!(format));
            }
            if let Some(pattern) = s.pattern() {
                typed.insert("pattern".into(), json!(pattern));
            }
            json!({ "anyOf": [Value::Object(typed), { "const": UNKNOWN }] })
        }
    }
}

fn leaf(item: &Item) -> Value {
    let mut schema = match item.value_type {
        ValueType::Scalar(s) => scalar(s),
        ValueType::List(s) => json!({ "type": "array", "items": scalar(s) }),
        ValueType::Map(s) => {
            let properties: Map<String, Value> =
                item.keys.iter().map(|k| (k.clone(), scalar(s))).collect();
            json!({
                "type": "object",
                "properties": properties,
                "required": item.keys,
                "additionalProperties": false,
            })
        }
    };
    if let Some(map) = schema.as_object_mut() {
        let mut annotated = Map::new();
        annotated.insert("title".into(), json!(item.label));
        annotated.insert("description".into(), json!(item.description));
        annotated.extend(std::mem::take(map));
        *map = annotated;
    }
    schema
}
