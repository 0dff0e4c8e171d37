//! The example payload: every item's example value placed at its path, in spec order.
//!
//! This one function feeds the `telemetry-spec example` command, the disclosure page and the
//! insta snapshot, so the example a reviewer reads is the example the tests lock.

use serde_json::{Map, Value};

use crate::model::ValidSpec;

/// The example payload as a JSON value, keys in spec order.
pub fn example_payload(spec: &ValidSpec) -> Value {
    let mut root = Map::new();
    'items: for item in &spec.items {
        let Some((leaf, parents)) = item.path.split_last() else {
            continue;
        };
        let mut object = &mut root;
        for segment in parents {
            // Validation guarantees no item path is a prefix of another, so an existing entry
            // on the way is always an object; the fallback only keeps this total.
            let entry = object
                .entry(segment.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            match entry.as_object_mut() {
                Some(next) => object = next,
                None => continue 'items,
            }
        }
        object.insert(leaf.clone(), item.example.clone());
    }
    Value::Object(root)
}

/// The example payload as pretty JSON with a trailing newline, as `telemetry-spec example` prints it.
pub fn example_json(spec: &ValidSpec) -> String {
    let mut out =
        serde_json::to_string_pretty(&example_payload(spec)).unwrap_or_else(|_| String::from("{}"));
    out.push('\n');
    out
}
