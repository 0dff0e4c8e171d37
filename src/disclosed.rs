//! The last check before anything leaves: the report may hold only what the spec discloses,
//! and each value must be what the spec says it is.
//!
//! The payload type is generated from the spec, so an undisclosed key cannot normally exist;
//! this check does not rely on that. It walks the serialized JSON and refuses any key that is
//! not an item path, any value that breaks its item's type or rules (format, bounds, enum
//! membership, key pattern and count, size), and any missing key the spec does not let be
//! absent. It runs the same [`telemetry_types::check`] the compiler runs on every example, with
//! the rules generated into the item table, so it agrees with the published JSON Schema.

use std::fmt;

use serde_json::Value;
use telemetry_types::{IfUnavailable, ItemInfo};

use crate::generated::items::{ITEMS, OPTIONAL_OBJECTS};

/// Why a report was refused: where, which item, which rule. Never the value itself, so it can
/// be logged and recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    /// The JSON path of the offending key.
    pub path: String,
    /// The item it belongs to, if any.
    pub item: Option<&'static str>,
    pub rule: String,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.item {
            Some(id) => write!(f, "`{}` (item `{id}`): {}", self.path, self.rule),
            None => write!(f, "`{}` {}", self.path, self.rule),
        }
    }
}

/// Checks `payload` against the disclosed item table; the error lists every refusal.
pub fn check(payload: &Value) -> Result<(), Vec<Refusal>> {
    let mut walk = Walk {
        refusals: Vec::new(),
        seen: vec![false; ITEMS.len()],
        path: String::with_capacity(64),
    };
    walk.object(payload);
    let Walk {
        mut refusals, seen, ..
    } = walk;
    // Usually every item is there and this costs nothing.
    if seen.iter().any(|s| !s) {
        for (item, _) in ITEMS.iter().zip(&seen).filter(|(_, s)| !**s) {
            if !may_be_absent(payload, item) {
                refusals.push(Refusal {
                    path: item.path.to_owned(),
                    item: Some(item.id),
                    rule: "is missing, but the item is always sent".into(),
                });
            }
        }
    }
    if refusals.is_empty() {
        Ok(())
    } else {
        Err(refusals)
    }
}

fn lookup<'v>(payload: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.')
        .try_fold(payload, |node, key| node.as_object()?.get(key))
}

/// An item may be missing if an optional object holding it is absent as its rule allows, or if
/// it is `omit` and the object it sits in is there (objects on the way are never optional unless
/// declared so, as in the published schema).
fn may_be_absent(payload: &Value, item: &ItemInfo) -> bool {
    let in_absent_object = OPTIONAL_OBJECTS.iter().any(|o| {
        item.path.len() > o.path.len()
            && item.path.starts_with(o.path)
            && item.path.as_bytes()[o.path.len()] == b'.'
            && match lookup(payload, o.path) {
                None => o.if_unavailable == IfUnavailable::Omit,
                Some(Value::Null) => o.if_unavailable == IfUnavailable::Null,
                Some(_) => false,
            }
    });
    let parent_present = match item.path.rsplit_once('.') {
        None => true,
        Some((parent, _)) => lookup(payload, parent).is_some_and(Value::is_object),
    };
    in_absent_object || (item.if_unavailable == IfUnavailable::Omit && parent_present)
}

fn is_object_path(path: &str) -> bool {
    path.is_empty()
        || ITEMS.iter().any(|i| {
            i.path.len() > path.len()
                && i.path.starts_with(path)
                && i.path.as_bytes()[path.len()] == b'.'
        })
}

/// One walk over a report: what was refused, which items were seen, and the current path
/// (one buffer, grown and cut back, instead of a string per key).
struct Walk {
    refusals: Vec<Refusal>,
    seen: Vec<bool>,
    path: String,
}

impl Walk {
    fn refuse(&mut self, item: Option<&'static str>, rule: String) {
        self.refusals.push(Refusal {
            path: self.path.clone(),
            item,
            rule,
        });
    }

    fn object(&mut self, value: &Value) {
        let Value::Object(map) = value else {
            let nullable = OPTIONAL_OBJECTS
                .iter()
                .any(|o| o.path == self.path && o.if_unavailable == IfUnavailable::Null);
            if !(value.is_null() && nullable) {
                self.refuse(None, "must be an object".into());
            }
            return;
        };
        for (key, child) in map {
            let len = self.path.len();
            // A key with a dot would pose as a path of several keys.
            if key.contains('.') {
                let at = if len == 0 { "(top level)" } else { "" };
                self.path.push_str(at);
                self.refuse(
                    None,
                    "has a key holding `.`, which no disclosed key does".into(),
                );
                self.path.truncate(len);
                continue;
            }
            if len > 0 {
                self.path.push('.');
            }
            self.path.push_str(key);
            if let Some(index) = ITEMS.iter().position(|i| i.path == self.path) {
                let item = &ITEMS[index];
                self.seen[index] = true;
                let result = match child {
                    Value::Null if item.if_unavailable == IfUnavailable::Null => Ok(()),
                    _ => item.check(child),
                };
                if let Err(v) = result {
                    self.refuse(Some(item.id), v.to_string());
                }
            } else if is_object_path(&self.path) {
                self.object(child);
            } else {
                self.refuse(None, "is not disclosed".into());
            }
            self.path.truncate(len);
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

    /// Every refusal of `p`, as logged.
    fn shown(p: &Value) -> Vec<String> {
        check(p)
            .err()
            .unwrap_or_default()
            .iter()
            .map(ToString::to_string)
            .collect()
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
        let refusals = check(&p).err().unwrap_or_default();
        let shown: Vec<String> = refusals.iter().map(ToString::to_string).collect();
        assert_eq!(refusals.len(), 4, "{shown:?}");
        assert!(shown.iter().any(|p| p == "`hostname` is not disclosed"));
        assert!(
            shown
                .iter()
                .any(|p| p == "`product.internals.license-key.signature` is not disclosed")
        );
    }

    #[test]
    fn values_are_checked_and_never_repeated() {
        let mut p = example();
        let huge = "9".repeat(1_000_000);
        p["product"]["version"] = json!(format!("3.2.0-{huge}"));
        p["product"]["internals"]["engine-installation-ids"] = json!(["not-a-uuid"]);
        p["product"]["internals"]["license-key"]["unlimited"] = json!(true);
        let shown = shown(&p);
        assert_eq!(
            shown,
            [
                "`product.version` (item `product_version`): the value is longer than 1024 bytes",
                "`product.internals.license-key.unlimited` (item `license_unlimited`): the value must be text",
                "`product.internals.engine-installation-ids` (item `engine_installation_ids`): `[0]` is not a UUID",
            ]
        );
        assert!(
            shown
                .iter()
                .all(|s| !s.contains("999") && !s.contains("not-a-uuid"))
        );
    }

    #[test]
    fn a_dotted_key_cannot_pose_as_a_disclosed_path() {
        let mut p = example();
        if let Some(product) = p["product"].as_object_mut() {
            let name = product.remove("name").unwrap_or_default();
            p["product.name"] = name;
        }
        let shown = shown(&p);
        assert!(
            shown.contains(
                &"`(top level)` has a key holding `.`, which no disclosed key does".to_owned()
            ),
            "{shown:?}"
        );
        assert!(
            shown
                .iter()
                .any(|s| s.contains("(item `product_name`): is missing")),
            "{shown:?}"
        );
    }

    #[test]
    fn a_missing_item_is_refused_unless_it_may_be_absent() {
        let mut p = example();
        if let Some(db) = p["product"]["internals"]["database"].as_object_mut() {
            db.remove("vendor");
        }
        let shown = shown(&p);
        assert_eq!(
            shown,
            [
                "`product.internals.database.vendor` (item `database_vendor`): is missing, but the item is always sent"
            ]
        );
    }
}
