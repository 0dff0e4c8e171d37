//! The spec language is general: the Camunda 7 engine's documented payload, written as a spec
//! (`tests/fixtures/camunda7/telemetry.toml`), gives the published example value for value and
//! in key order (but for the published example's invalid date), refuses that date with a
//! located diagnostic, and the value check and the generated JSON Schema agree on every
//! hostile value of every new type.

use serde_json::{Value, json};
use telemetry_spec::example_payload;
use telemetry_spec::schema;

use crate::repo_root;

const FIXTURE: &str = "tests/fixtures/camunda7/telemetry.toml";
const VALID_DATE: &str = "2022-11-20T15:53:20.386+01:00";

fn fixture_text() -> String {
    std::fs::read_to_string(repo_root().join(FIXTURE)).unwrap_or_else(|e| panic!("{e}"))
}

fn camunda7() -> telemetry_spec::ValidSpec {
    let checked = telemetry_spec::check(FIXTURE, fixture_text().as_bytes());
    let rendered = checked.render();
    assert!(!checked.has_errors(), "{rendered}");
    checked.into_spec().unwrap_or_else(|_| panic!("{rendered}"))
}

fn published() -> Value {
    let text = std::fs::read_to_string(
        repo_root().join("../shared/reference/camunda7-engine-example-payload.json"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_example_is_the_published_payload_but_for_its_invalid_date() {
    let ours = example_payload(&camunda7());
    let mut theirs = published();
    let date = &mut theirs["product"]["internals"]["data-collection-start-date"];
    assert_eq!(
        date, "2022-11-320T15:53:20.386+0100",
        "the published defect"
    );
    *date = json!(VALID_DATE);
    assert_eq!(ours, theirs, "value for value");
    // Key order too: serde_json keeps insertion order, so the texts are equal only if it is.
    assert_eq!(
        serde_json::to_string(&ours).unwrap_or_default(),
        serde_json::to_string(&theirs).unwrap_or_default()
    );
}

#[test]
fn the_published_start_date_is_refused_as_a_datetime_example() {
    let text = fixture_text().replacen(
        &format!("example = \"{VALID_DATE}\""),
        "example = \"2022-11-320T15:53:20.386+0100\"",
        1,
    );
    let checked = telemetry_spec::check(FIXTURE, text.as_bytes());
    let rendered = checked.render();
    let line = text
        .lines()
        .position(|l| l.starts_with("example = \"2022-11-320T"))
        .map(|i| i + 1)
        .unwrap_or_default();
    assert!(
        rendered.contains(&format!(
            "{FIXTURE}:{line}:11: error[E0014]: example `2022-11-320T15:53:20.386+0100` does not fit type `datetime`"
        )),
        "{rendered}"
    );
    assert!(checked.spec.is_none());
}

/// Sets the value at a dot path (creating nothing: the path must exist or end in a new key).
fn set(payload: &mut Value, path: &str, value: Value) {
    let mut node = payload;
    let mut keys = path.split('.').peekable();
    while let Some(key) = keys.next() {
        if keys.peek().is_none() {
            node[key] = value;
            return;
        }
        node = &mut node[key];
    }
}

/// Every item's own check on `payload` (as the runtime runs it), `true` if all pass.
fn check_accepts(spec: &telemetry_spec::ValidSpec, payload: &Value) -> bool {
    spec.items.iter().all(|item| {
        let mut node = Some(payload);
        for key in &item.path {
            node = node.and_then(|n| n.get(key.as_str()));
        }
        match node {
            Some(v) => telemetry_types::check(&item.value_type, &item.rules, false, v).is_ok(),
            None => {
                item.is_optional() || spec.objects.iter().any(|o| item.path.starts_with(&o.path))
            }
        }
    })
}

#[test]
fn the_check_and_the_schema_agree_on_hostile_values_of_every_type() {
    let spec = camunda7();
    let validator = jsonschema::validator_for(&schema(&spec)).unwrap_or_else(|e| panic!("{e}"));
    let example = example_payload(&spec);
    assert!(check_accepts(&spec, &example) && validator.is_valid(&example));
    let many_commands: serde_json::Map<String, Value> = (0..1001)
        .map(|i| (format!("Cmd{i}"), json!({"count": 1})))
        .collect();
    let hostile: Vec<(&str, Value)> = vec![
        ("installation", json!("not-a-uuid")),
        (
            "product.version",
            json!(format!("7.14.0-{}", "x".repeat(2000))),
        ),
        ("product.edition", json!("ultimate")),
        ("product.name", json!(42)),
        (
            "product.internals.commands.lowercaseCmd",
            json!({"count": 1}),
        ),
        (
            "product.internals.commands.StartProcessInstanceCmd",
            json!({"count": -1}),
        ),
        (
            "product.internals.commands.StartProcessInstanceCmd",
            json!({"count": 1.5}),
        ),
        (
            "product.internals.commands.StartProcessInstanceCmd",
            json!({"count": 1, "extra": 2}),
        ),
        ("product.internals.commands", Value::Object(many_commands)),
        (
            "product.internals.metrics.process-instances",
            json!({"count": "936"}),
        ),
        (
            "product.internals.metrics.unknown-metric",
            json!({"count": 1}),
        ),
        (
            "product.internals.data-collection-start-date",
            json!("2022-11-320T15:53:20.386+0100"),
        ),
        (
            "product.internals.camunda-integration",
            json!(["spring-boot-starter", "docker"]),
        ),
        (
            "product.internals.webapps",
            json!(["cockpit", "admin", "tasklist", "cockpit"]),
        ),
        ("product.internals.license-key.unlimited", json!("false")),
        (
            "product.internals.license-key.features.camundaBPM",
            json!(true),
        ),
        ("product.internals.license-key.raw", json!("r".repeat(5000))),
        ("product.internals.jdk.vendor", json!("")),
    ];
    for (path, value) in hostile {
        let mut report = example.clone();
        set(&mut report, path, value);
        assert!(
            !check_accepts(&spec, &report),
            "the check let {path} through"
        );
        assert!(
            !validator.is_valid(&report),
            "the schema let {path} through"
        );
    }
    // What may be absent is accepted by both.
    let mut lean = example.clone();
    if let Some(internals) = lean["product"]["internals"].as_object_mut() {
        for key in ["application-server", "license-key", "commands", "webapps"] {
            internals.remove(key);
        }
    }
    assert!(check_accepts(&spec, &lean), "optional parts may be absent");
    assert!(validator.is_valid(&lean), "optional parts may be absent");
}
