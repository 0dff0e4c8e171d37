//! The example payload: every item's example value placed at its path, in spec order.
//!
//! This one function feeds the `telemetry-spec example` command, the disclosure page and the
//! insta snapshot, so the example a reviewer reads is the example the tests lock.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

use crate::model::ValidSpec;
use crate::tree::{Member, Object};

/// The example payload as a JSON value, keys in spec order.
pub fn example_payload(spec: &ValidSpec) -> Value {
    let objects = crate::tree::objects(spec);
    serde_json::to_value(Example {
        spec,
        objects: &objects,
        index: 0,
    })
    .unwrap_or_default()
}

/// The example payload as pretty JSON with a trailing newline, as `telemetry-spec example` prints it.
pub fn example_json(spec: &ValidSpec) -> String {
    let objects = crate::tree::objects(spec);
    let example = Example {
        spec,
        objects: &objects,
        index: 0,
    };
    let mut out = serde_json::to_string_pretty(&example).unwrap_or_else(|_| String::from("{}"));
    out.push('\n');
    out
}

/// One object of the example, serialized straight from the items' examples.
struct Example<'a> {
    spec: &'a ValidSpec,
    objects: &'a [Object<'a>],
    index: usize,
}

impl Serialize for Example<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let members = &self.objects[self.index].members;
        let mut map = serializer.serialize_map(Some(members.len()))?;
        for member in members {
            match member {
                Member::Object(segment, index) => map.serialize_entry(
                    segment,
                    &Example {
                        index: *index,
                        ..*self
                    },
                )?,
                Member::Leaf(segment, item) => {
                    map.serialize_entry(segment, &self.spec.items[*item].example)?;
                }
            }
        }
        map.end()
    }
}
