//! The payload's JSON Schema: the example passes; an extra key, a missing key or a wrong type
//! fails; every object is closed and requires all its keys.

use serde_json::{Value, json};
use telemetry_spec::example_payload;
use telemetry_spec::schema;

use crate::real_spec;

fn validator() -> jsonschema::Validator {
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema(&real_spec()))
        .unwrap_or_else(|e| panic!("the schema must compile: {e}"))
}

fn example() -> Value {
    example_payload(&real_spec())
}

#[test]
fn the_example_payload_is_valid() {
    let v = validator();
    let errors: Vec<String> = v.iter_errors(&example()).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
}

#[test]
fn an_extra_key_is_rejected_anywhere() {
    let v = validator();
    let mut top = example();
    top["hostname"] = json!("db01.internal");
    assert!(!v.is_valid(&top));
    let mut nested = example();
    nested["product"]["internals"]["license-key"]["signature"] = json!("c2lnbmF0dXJl");
    assert!(
        !v.is_valid(&nested),
        "the license signature must never pass"
    );
    let mut in_map = example();
    in_map["product"]["internals"]["license-key"]["features"]["zeebe"] = json!("true");
    assert!(!v.is_valid(&in_map));
}

#[test]
fn a_missing_key_is_rejected() {
    let v = validator();
    let mut p = example();
    if let Some(o) = p["product"]["internals"]["database"].as_object_mut() {
        o.remove("version");
    }
    assert!(!v.is_valid(&p));
}

#[test]
fn wrong_types_are_rejected() {
    let v = validator();
    let cases = [
        ("/installation", json!("not-a-uuid")),
        ("/installation", json!(42)),
        (
            "/product/internals/license-key/valid-until",
            json!("01.01.2025"),
        ),
        ("/product/internals/license-key/unlimited", json!(false)),
        (
            "/product/internals/engine-installation-ids",
            json!("8343cc7a-8ad1-42d4-97d2-43452c0bdfa3"),
        ),
        ("/product/version", json!("3.2")),
    ];
    for (pointer, value) in cases {
        let mut p = example();
        *p.pointer_mut(pointer)
            .unwrap_or_else(|| panic!("{pointer}")) = value.clone();
        assert!(!v.is_valid(&p), "{pointer} = {value} must be rejected");
    }
}

#[test]
fn unknown_is_accepted_where_a_source_may_fail() {
    let v = validator();
    let mut p = example();
    p["installation"] = json!("Unknown");
    p["product"]["internals"]["license-key"]["valid-until"] = json!("Unknown");
    p["product"]["internals"]["engine-installation-ids"] = json!(["Unknown"]);
    assert!(v.is_valid(&p));
}

fn assert_closed(node: &Value, at: &str) {
    if node.get("type") == Some(&json!("object")) {
        assert_eq!(
            node["additionalProperties"],
            json!(false),
            "{at} must be closed"
        );
        let props: Vec<&String> = node["properties"]
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        let required: Vec<&str> = node["required"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        assert_eq!(props, required, "{at}: every key is required");
        for (k, child) in node["properties"].as_object().into_iter().flatten() {
            assert_closed(child, &format!("{at}.{k}"));
        }
    }
}

#[test]
fn every_object_is_closed_and_requires_all_keys() {
    let s = schema(&real_spec());
    assert_eq!(
        s["$schema"],
        json!("https://json-schema.org/draft/2020-12/schema")
    );
    assert_closed(&s, "$");
    assert!(
        s["$comment"]
            .as_str()
            .is_some_and(|c| c.contains("@generated"))
    );
    assert_eq!(
        s["properties"]["installation"]["description"],
        json!(real_spec().items[0].description)
    );
}
