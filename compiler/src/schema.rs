//! The JSON Schema (draft 2020-12) of the payload: every object closed
//! (`additionalProperties: false`), every key required unless its item or object may be left
//! out, each value typed and bounded as the spec says (the runtime's pre-send check is the same
//! rules, never looser than this schema).
//!
//! A value whose source failed is the string `"Unknown"`, which the schema accepts for every
//! text item whose rule says so, exactly as the runtime may send it.

use std::io::Write;

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::model::{Item, ValidSpec};
use crate::tree::{Member, Object};
use crate::types::{IfUnavailable, Leaf, Rules, Scalar, Shape, UNKNOWN};

/// The schema as pretty JSON with a trailing newline.
pub fn schema_json(spec: &ValidSpec) -> String {
    let mut out = Vec::new();
    // Writing into memory cannot fail, and the schema is UTF-8 JSON.
    let _ = write_schema(spec, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// [`schema_json`], written to `out` as it is serialized: the schema is never held whole.
///
/// Written by [`Pretty`], laid out byte for byte as `serde_json`'s pretty printer lays out the
/// same value (a test holds the text to that), in a third of the time: most of a large schema
/// is the same few lines for each text item.
pub fn write_schema(spec: &ValidSpec, out: &mut dyn Write) -> std::io::Result<()> {
    let objects = crate::tree::objects(spec);
    let mut json = Pretty {
        out,
        buf: Vec::with_capacity(Pretty::FLUSH_AT + 4096),
        depth: 0,
        first: true,
    };
    json.node(&Node::root(spec, &objects))?;
    json.buf.push(b'\n');
    json.flush()
}

/// The schema as a JSON value: [`schema_json`] read back (for tests and tools; the files are
/// written straight as text).
pub fn schema(spec: &ValidSpec) -> Value {
    serde_json::from_str(&schema_json(spec)).unwrap_or_default()
}

/// The schema of one object of the payload (and, for the payload itself, the document's header).
struct Node<'a> {
    spec: &'a ValidSpec,
    objects: &'a [Object<'a>],
    index: usize,
}

impl<'a> Node<'a> {
    fn root(spec: &'a ValidSpec, objects: &'a [Object<'a>]) -> Self {
        Node {
            spec,
            objects,
            index: 0,
        }
    }

    fn child(&self, index: usize) -> Self {
        Node { index, ..*self }
    }
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

/// Plain text sent as it is: its schema is the same five members for every such item, written
/// straight from the item (most items: no value tree is built for them), else through [`leaf`].
fn plain(item: &Item) -> bool {
    matches!(item.value_type.shape, Shape::One)
        && matches!(item.value_type.leaf, Leaf::Scalar(Scalar::String))
        && item.if_unavailable != IfUnavailable::Null
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

/// A JSON writer laid out as `serde_json`'s pretty printer lays out (two spaces a level, `": "`
/// after keys, `{}` and `[]` when empty), for [`write_schema`].
struct Pretty<'o> {
    out: &'o mut dyn Write,
    buf: Vec<u8>,
    depth: usize,
    /// No member written yet in the innermost open object or array.
    first: bool,
}

impl Pretty<'_> {
    /// Written out in pieces of about this size.
    const FLUSH_AT: usize = 1 << 16;

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        Ok(())
    }

    fn newline(&mut self) {
        self.buf.push(b'\n');
        self.buf.resize(self.buf.len() + 2 * self.depth, b' ');
    }

    fn open(&mut self, bracket: u8) {
        self.buf.push(bracket);
        self.depth += 1;
        self.first = true;
    }

    fn close(&mut self, bracket: u8) {
        self.depth -= 1;
        if !self.first {
            self.newline();
        }
        self.buf.push(bracket);
        self.first = false;
    }

    /// Before the next member of the open object or array.
    fn member(&mut self) {
        if !self.first {
            self.buf.push(b',');
        }
        self.first = false;
        self.newline();
    }

    fn key(&mut self, key: &str) {
        self.member();
        self.string(key);
        self.buf.extend_from_slice(b": ");
    }

    /// A JSON string, escaped as `serde_json` escapes it.
    fn string(&mut self, text: &str) {
        /// What JSON escapes: control characters, `"` and `\`.
        const SPECIAL: [bool; 256] = crate::escape::specials(&[
            0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
            24, 25, 26, 27, 28, 29, 30, 31, b'"', b'\\',
        ]);
        if crate::escape::first_special(text.as_bytes(), &SPECIAL) < text.len() {
            // Writing into a vector cannot fail.
            let _ = serde_json::to_writer(&mut self.buf, text);
        } else {
            self.buf.push(b'"');
            self.buf.extend_from_slice(text.as_bytes());
            self.buf.push(b'"');
        }
    }

    fn string_member(&mut self, key: &str, text: &str) {
        self.key(key);
        self.string(text);
    }

    /// Any value, through `serde_json`'s pretty printer, indented to where it is written.
    fn value(&mut self, value: &impl Serialize) -> std::io::Result<()> {
        let text = serde_json::to_vec_pretty(value).map_err(std::io::Error::from)?;
        // A JSON string never holds a raw line break: every one is between two members.
        let mut rest = &text[..];
        while let Some(at) = memchr::memchr(b'\n', rest) {
            self.buf.extend_from_slice(&rest[..at]);
            self.newline();
            rest = &rest[at + 1..];
        }
        self.buf.extend_from_slice(rest);
        self.first = false;
        Ok(())
    }

    fn node(&mut self, node: &Node<'_>) -> std::io::Result<()> {
        if node.objects[node.index].optional == Some(IfUnavailable::Null) {
            self.open(b'{');
            self.key("anyOf");
            self.open(b'[');
            self.member();
            self.body(node)?;
            self.member();
            self.open(b'{');
            self.string_member("type", "null");
            self.close(b'}');
            self.close(b']');
            self.close(b'}');
            return Ok(());
        }
        self.body(node)
    }

    /// An object's schema without its optional `null`: closed, every member typed, required
    /// unless it may be left out.
    fn body(&mut self, node: &Node<'_>) -> std::io::Result<()> {
        let (spec, object) = (node.spec, &node.objects[node.index]);
        self.open(b'{');
        if node.index == 0 {
            let product = &spec.product;
            self.string_member("$schema", "https://json-schema.org/draft/2020-12/schema");
            self.string_member(
                "$id",
                &format!(
                    "urn:camunda:optimize:telemetry:payload:{}",
                    product.spec_version
                ),
            );
            self.string_member("$comment", crate::GENERATED_NOTICE);
            self.string_member("title", &format!("{} telemetry payload", product.name));
            self.string_member(
                "description",
                &format!(
                    "Every key {} may send in a telemetry report, from spec version {}. Nothing else is accepted.",
                    product.name, product.spec_version
                ),
            );
        }
        self.string_member("type", "object");
        self.key("properties");
        self.open(b'{');
        for member in &object.members {
            match member {
                Member::Object(segment, index) => {
                    self.key(segment);
                    self.node(&node.child(*index))?;
                }
                Member::Leaf(segment, item) => {
                    self.key(segment);
                    self.leaf(&spec.items[*item])?;
                }
            }
            if self.buf.len() >= Self::FLUSH_AT {
                self.flush()?;
            }
        }
        self.close(b'}');
        // The members that are always present: all but those that may be left out.
        self.key("required");
        self.open(b'[');
        for member in &object.members {
            let omitted = match member {
                Member::Object(_, index) => {
                    node.objects[*index].optional == Some(IfUnavailable::Omit)
                }
                Member::Leaf(_, item) => spec.items[*item].if_unavailable == IfUnavailable::Omit,
            };
            if !omitted {
                self.member();
                self.string(member.segment());
            }
        }
        self.close(b']');
        self.key("additionalProperties");
        self.buf.extend_from_slice(b"false");
        if node.index != 0 {
            self.string_member(
                "description",
                &format!("The `{}` object.", object.path.join(".")),
            );
        }
        self.close(b'}');
        Ok(())
    }

    /// The schema of an item's value (see [`plain`]).
    fn leaf(&mut self, item: &Item) -> std::io::Result<()> {
        if !plain(item) {
            return self.value(&leaf(item));
        }
        self.open(b'{');
        self.string_member("title", &item.label);
        self.string_member("description", &item.description);
        self.string_member("type", "string");
        self.key("minLength");
        self.buf.push(b'1');
        self.key("maxLength");
        let _ = write!(self.buf, "{}", item.rules.max_length);
        self.close(b'}');
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Items of every type and rule, each serialized straight and through a value tree.
    #[test]
    fn plain_items_serialize_exactly_as_their_value_tree() {
        let checked = crate::check("mixed.toml", crate::synthetic::spec_mixed(60).as_bytes());
        let spec = checked
            .into_spec()
            .unwrap_or_else(|c| panic!("{}", c.render()));
        let mut items = spec.items.clone();
        // Every rule of a text item, whatever the spec happens to hold.
        let text = spec
            .items
            .iter()
            .find(|i| matches!(i.value_type.leaf, Leaf::Scalar(Scalar::String)))
            .unwrap_or_else(|| panic!("a text item"));
        for rule in [
            IfUnavailable::Unknown,
            IfUnavailable::Omit,
            IfUnavailable::Null,
            IfUnavailable::Fallback,
        ] {
            let mut item = text.clone();
            item.if_unavailable = rule;
            items.push(item);
        }
        let mut plain = 0;
        for item in &items {
            let mut out = Vec::new();
            let mut json = Pretty {
                out: &mut out,
                buf: Vec::new(),
                depth: 0,
                first: true,
            };
            json.leaf(item).unwrap_or_else(|e| panic!("{e}"));
            json.flush().unwrap_or_else(|e| panic!("{e}"));
            let straight = String::from_utf8(out).ok();
            let tree = serde_json::to_string_pretty(&leaf(item)).ok();
            assert_eq!(straight, tree, "{}", item.id);
            plain += usize::from(super::plain(item));
        }
        assert!(plain >= 2, "only {plain} plain text items");
    }

    /// The schema written, read back and pretty-printed by `serde_json`: the same text if the
    /// written one is valid JSON laid out and escaped as `serde_json` does it.
    fn pretty(spec: &ValidSpec) -> String {
        let written = schema_json(spec);
        let value: Value =
            serde_json::from_str(&written).unwrap_or_else(|e| panic!("not JSON: {e}"));
        format!(
            "{}\n",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        )
    }

    /// The hand-laid-out schema is what `serde_json` makes of its value, for every valid spec
    /// of the repository, items of every type, objects left out or `null`, and text that needs
    /// escaping.
    #[test]
    fn the_written_schema_is_the_pretty_printed_value() {
        let mut specs: Vec<ValidSpec> = crate::repo_specs()
            .iter()
            .filter_map(|(name, text)| crate::check(name, text.as_bytes()).into_spec().ok())
            .collect();
        assert!(specs.len() >= 3, "only {} valid specs", specs.len());
        let mixed = crate::check("mixed.toml", crate::synthetic::spec_mixed(60).as_bytes());
        let mut mixed = mixed
            .into_spec()
            .unwrap_or_else(|c| panic!("{}", c.render()));
        for (i, item) in mixed.items.iter_mut().enumerate() {
            // Each text needing one kind of escape only, so that each kind is held alone.
            item.label = match i % 3 {
                0 => format!("a \"quoted\" label {i}"),
                1 => format!("a back\\slash {i}"),
                _ => format!("a control\u{1} {i}"),
            }
            .into();
            item.description = match i % 2 {
                0 => format!("tab\there {i}"),
                _ => format!("ünïcødé / {i}"),
            };
        }
        specs.push(mixed);
        let mut with_objects = 0;
        for spec in &mut specs {
            assert_eq!(schema_json(spec), pretty(spec));
            if !spec.objects.is_empty() {
                with_objects += 1;
                for object in &mut spec.objects {
                    object.if_unavailable = IfUnavailable::Null;
                }
                assert_eq!(schema_json(spec), pretty(spec));
                let nulls = schema_json(spec).matches("\"type\": \"null\"").count();
                assert!(nulls >= spec.objects.len(), "{nulls} null alternatives");
            }
        }
        assert!(with_objects >= 1, "no spec declares an object");
    }
}
