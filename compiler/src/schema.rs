//! The JSON Schema (draft 2020-12) of the payload: every object closed
//! (`additionalProperties: false`), every key required unless its item or object may be left
//! out, each value typed and bounded as the spec says (the runtime's pre-send check is the same
//! rules, never looser than this schema).
//!
//! A value whose source failed is the string `"Unknown"`, which the schema accepts for every
//! text item whose rule says so, exactly as the runtime may send it.

use serde_json::{Map, Value, json};

use crate::model::{Item, ValidSpec};
use crate::types::{IfUnavailable, Leaf, Rules, Scalar, Shape, UNKNOWN};

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
    relax_objects(&mut root, spec);
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
    // A leaf that may be left out is not required; objects on the way are, unless declared
    // optional (see `relax_objects`).
    let omitted = rest.is_empty() && item.if_unavailable == IfUnavailable::Omit;
    if let Some(Value::Array(required)) = obj.get_mut("required")
        && !omitted
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

/// The schema of one value of type `s`; `unknown`: the text [`UNKNOWN`] stands for a value whose
/// source failed.
fn scalar(s: Scalar, rules: &Rules, unknown: bool) -> Value {
    let number = |kind: &str, floor: Option<f64>| {
        let mut typed = Map::new();
        typed.insert("type".into(), json!(kind));
        let min = match (rules.min, floor) {
            (Some(m), Some(f)) => Some(m.max(f)),
            (m, f) => m.or(f),
        };
        if let Some(min) = min {
            typed.insert("minimum".into(), bound(min, kind));
        }
        if let Some(max) = rules.max {
            typed.insert("maximum".into(), bound(max, kind));
        }
        Value::Object(typed)
    };
    match s {
        Scalar::String => {
            json!({ "type": "string", "minLength": 1, "maxLength": rules.max_length })
        }
        Scalar::Flag if unknown => json!({ "enum": ["true", "false", UNKNOWN] }),
        Scalar::Flag => json!({ "enum": ["true", "false"] }),
        Scalar::Enum => json!({ "enum": rules.values }),
        Scalar::Integer => number("integer", None),
        Scalar::Counter => number("integer", Some(0.0)),
        Scalar::Number => number("number", None),
        Scalar::Boolean => json!({ "type": "boolean" }),
        _ => {
            let mut typed = Map::new();
            typed.insert("type".into(), json!("string"));
            if let Some(format) = s.format() {
                typed.insert("format".into(), json!(format));
            }
            if let Some(pattern) = s.pattern() {
                typed.insert("pattern".into(), json!(pattern));
            }
            if !s.is_bounded_text() {
                typed.insert("maxLength".into(), json!(rules.max_length));
            }
            if unknown && s.accepts_unknown() {
                json!({ "anyOf": [Value::Object(typed), { "const": UNKNOWN }] })
            } else {
                Value::Object(typed)
            }
        }
    }
}

/// A bound as JSON: whole for integers, as written otherwise.
fn bound(value: f64, kind: &str) -> Value {
    if kind == "integer" && value.fract() == 0.0 && value.abs() < 9.0e15 {
        json!(value as i64)
    } else {
        json!(value)
    }
}

fn leaf_schema(leaf: &Leaf, rules: &Rules, unknown: bool) -> Value {
    match leaf {
        Leaf::Scalar(s) => scalar(*s, rules, unknown),
        Leaf::Record(fields) => {
            let field_rules = Rules {
                max_length: rules.max_length,
                ..Rules::DEFAULT
            };
            let properties: Map<String, Value> = fields
                .iter()
                .map(|f| (f.name.to_string(), scalar(f.scalar, &field_rules, false)))
                .collect();
            let required: Vec<&str> = fields.iter().map(|f| f.name.as_ref()).collect();
            json!({
                "type": "object",
                "properties": properties,
                "required": required,
                "additionalProperties": false,
            })
        }
    }
}

fn leaf(item: &Item) -> Value {
    let unknown = item.if_unavailable == IfUnavailable::Unknown;
    let each = leaf_schema(&item.value_type.leaf, &item.rules, unknown);
    let mut schema = match &item.value_type.shape {
        Shape::One => each,
        Shape::List => {
            json!({ "type": "array", "items": each, "maxItems": item.rules.max_items })
        }
        Shape::Map { keys, optional } => {
            let properties: Map<String, Value> =
                keys.iter().map(|k| (k.to_string(), each.clone())).collect();
            let required: Vec<&str> = keys
                .iter()
                .filter(|k| !optional.contains(k))
                .map(|k| k.as_ref())
                .collect();
            json!({
                "type": "object",
                "properties": properties,
                "required": required,
                "additionalProperties": false,
            })
        }
        Shape::OpenMap {
            key_pattern,
            max_keys,
        } => json!({
            "type": "object",
            "patternProperties": { key_pattern.as_ref(): each },
            "propertyNames": { "maxLength": item.rules.max_length },
            "maxProperties": max_keys,
            "additionalProperties": false,
        }),
    };
    if item.if_unavailable == IfUnavailable::Null {
        schema = json!({ "anyOf": [schema, { "type": "null" }] });
    }
    if let Some(map) = schema.as_object_mut() {
        let mut annotated = Map::new();
        annotated.insert("title".into(), json!(item.label));
        annotated.insert("description".into(), json!(item.description));
        annotated.extend(std::mem::take(map));
        *map = annotated;
    }
    schema
}

/// Makes each optional object not required (`omit`) or nullable (`null`) in its parent.
fn relax_objects(root: &mut Value, spec: &ValidSpec) {
    for object in &spec.objects {
        relax(root, &object.path, object.if_unavailable);
    }
}

fn relax(node: &mut Value, path: &[String], rule: IfUnavailable) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    if !rest.is_empty() {
        if let Some(child) = node.get_mut("properties").and_then(|p| p.get_mut(first)) {
            relax(child, rest, rule);
        }
        return;
    }
    if rule == IfUnavailable::Null {
        if let Some(child) = node.get_mut("properties").and_then(|p| p.get_mut(first)) {
            let inner = std::mem::take(child);
            *child = json!({ "anyOf": [inner, { "type": "null" }] });
        }
    } else if let Some(Value::Array(required)) = node.get_mut("required") {
        required.retain(|r| r != first);
    }
}
