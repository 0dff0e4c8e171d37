//! The last check before anything leaves: the payload may hold only what the spec discloses.
//!
//! The payload type is generated from the spec, so an undisclosed key cannot normally exist;
//! this check does not rely on that. It walks the serialized JSON and refuses any key that is
//! not an item path (or a declared key of a map item), and any value of the wrong shape.

use serde_json::Value;

use crate::generated::items::ITEMS;

/// Checks `payload` against the disclosed item table; the error lists every offending path.
pub fn check(payload: &Value) -> Result<(), Vec<String>> {
    let mut problems = Vec::new();
    walk(payload, "", &mut problems);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

fn is_object_path(path: &str) -> bool {
    path.is_empty()
        || ITEMS.iter().any(|i| {
            i.path.len() > path.len()
                && i.path.starts_with(path)
                && i.path.as_bytes()[path.len()] == b'.'
        })
}

fn walk(value: &Value, path: &str, problems: &mut Vec<String>) {
    let Value::Object(map) = value else {
        problems.push(format!("`{path}` must be an object"));
        return;
    };
    for (key, child) in map {
        let child_path = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        if let Some(item) = ITEMS.iter().find(|i| i.path == child_path) {
            let ok = match item.value_type.split('<').next() {
                Some("list") => child
                    .as_array()
                    .is_some_and(|a| a.iter().all(Value::is_string)),
                Some("map") => child.as_object().is_some_and(|m| {
                    m.iter()
                        .all(|(k, v)| item.keys.contains(&k.as_str()) && v.is_string())
                }),
                _ => child.is_string(),
            };
            if !ok {
                problems.push(format!(
                    "`{child_path}` does not have the disclosed shape `{}`",
                    item.value_type
                ));
            }
        } else if is_object_path(&child_path) {
            walk(child, &child_path, problems);
        } else {
            problems.push(format!("`{child_path}` is not disclosed"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn example() -> Value {
        json!({
            "installation": "7b86edba-fcb7-11ea-adc1-0242ac120002",
            "product": {
                "name": "Camunda Optimize", "version": "3.2.0", "edition": "enterprise",
                "internals": {
                    "database": { "vendor": "elasticsearch", "version": "7.0.0" },
                    "license-key": {
                        "customer": "c", "type": "UNIFIED", "valid-until": "2025-01-01", "unlimited": "false",
                        "features": { "camundaBPM": "false", "optimize": "true", "cawemo": "false" },
                        "raw": "customer = c;"
                    },
                    "engine-installation-ids": ["8343cc7a-8ad1-42d4-97d2-43452c0bdfa3"]
                }
            }
        })
    }

    #[test]
    fn the_documented_shape_passes() {
        assert_eq!(check(&example()), Ok(()));
    }

    #[test]
    fn undisclosed_keys_and_shapes_are_refused() {
        let mut p = example();
        p["hostname"] = json!("db01");
        p["product"]["internals"]["license-key"]["signature"] = json!("abc");
        p["product"]["internals"]["license-key"]["features"]["zeebe"] = json!("true");
        p["product"]["internals"]["engine-installation-ids"] = json!([{"id": 1}]);
        let problems = check(&p).err().unwrap_or_default();
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(problems.iter().any(|p| p == "`hostname` is not disclosed"));
        assert!(
            problems
                .iter()
                .any(|p| p == "`product.internals.license-key.signature` is not disclosed")
        );
    }
}
