//! The example payload: locked by a snapshot, equal to Optimize's published example, and made of
//! exactly the disclosed paths.

use std::collections::BTreeSet;

use serde_json::Value;
use telemetry_spec::{example_json, example_payload};

use crate::{real_spec, repo_root, snapshot};

#[test]
fn example_payload_is_locked_by_snapshot() {
    snapshot!("example_payload", example_json(&real_spec()));
}

#[test]
fn example_payload_equals_the_published_reference_value_for_value() {
    let path = repo_root().join("../shared/reference/example-payload.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let reference: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    let ours = example_payload(&real_spec());
    assert_eq!(
        ours,
        reference,
        "the spec's examples drifted from {}",
        path.display()
    );
    // Same order as published, too: reviewers compare the two side by side.
    assert_eq!(
        serde_json::to_string(&ours).ok(),
        serde_json::to_string(&reference).ok()
    );
}

/// Leaf paths of a JSON value: objects are walked, anything else (strings, arrays) is a leaf.
fn leaves(value: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                leaves(v, &path, out);
            }
        }
        _ => {
            out.insert(prefix.to_owned());
        }
    }
}

#[test]
fn payload_keys_equal_spec_paths_both_ways() {
    let spec = real_spec();
    let mut in_payload = BTreeSet::new();
    leaves(&example_payload(&spec), "", &mut in_payload);
    let in_spec: BTreeSet<String> = spec.leaf_paths().into_iter().collect();
    let undisclosed: Vec<_> = in_payload.difference(&in_spec).collect();
    let missing: Vec<_> = in_spec.difference(&in_payload).collect();
    assert!(
        undisclosed.is_empty(),
        "keys in the payload that the spec does not disclose: {undisclosed:?}"
    );
    assert!(
        missing.is_empty(),
        "spec paths missing from the payload: {missing:?}"
    );
    assert_eq!(in_spec.len(), 15, "13 items, one of them a map of 3 keys");
}

#[test]
fn the_real_spec_has_no_diagnostics_at_all() {
    let checked = telemetry_spec::load(&repo_root().join("spec/telemetry.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(checked.diagnostics.is_empty(), "{}", checked.render());
}
