//! The rules of an item's value: its type, the rules that come with it (keys, pattern, fields,
//! enum values, bounds, unit, size limits), what is sent when it is unavailable, and its
//! example and fallback, each checked with the same [`check`] the runtime runs before sending.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde_json::Value;

use super::Validator;
use crate::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::model::{RawItem, RawValue, SString, Spanned};
use crate::naming;
use crate::parse::shorten;
use crate::types::{
    Field, IfUnavailable, Leaf, LeafKind, Rules, Scalar, Shape, ShapeKind, Str, UNITS, ValueType,
    check, to_json, value_at,
};

/// An item's value, validated.
pub(super) struct Typed {
    pub value_type: ValueType,
    pub rules: Rules,
    pub if_unavailable: IfUnavailable,
    pub fallback: Option<Value>,
    pub example: Value,
}

/// Where a diagnostic about the type's rules points: the `type` value, else the item.
fn type_span(raw: &RawItem) -> crate::source::Span {
    raw.value_type
        .as_ref()
        .map_or(&raw.span, |t| &t.span)
        .clone()
}

/// Owned text for the shared types.
fn owned(s: &SString) -> Str {
    Cow::Owned(s.value.to_string())
}

impl Validator<'_> {
    /// The kinds of an item's `type`, or a diagnostic with the known spellings.
    pub(super) fn type_kinds(
        &mut self,
        raw: &RawItem,
        what: &dyn fmt::Display,
    ) -> Option<(ShapeKind, LeafKind)> {
        let t = self.required(&raw.value_type, "type", what, &raw.span)?;
        let parsed = ValueType::parse_name(&t.value);
        if parsed.is_none() {
            self.unknown_name(
                Code::UnknownType,
                t,
                "type",
                &ValueType::known_names()
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>(),
            );
        }
        parsed
    }

    /// "unknown X `y`" with "did you mean" help, or the list of what is known: the one shape
    /// of every such diagnostic.
    pub(super) fn unknown_name(&mut self, code: Code, found: &SString, what: &str, known: &[&str]) {
        self.unknown_at(code, &found.value, found.span.clone(), what, known);
    }

    /// [`Validator::unknown_name`] for a part of a written value.
    pub(super) fn unknown_at(
        &mut self,
        code: Code,
        found: &str,
        span: crate::source::Span,
        what: &str,
        known: &[&str],
    ) {
        let mut d = Diagnostic::new(code, span, format!("unknown {what} `{}`", shorten(found)));
        d = match did_you_mean(found, known.iter().copied()) {
            Some(s) => d.with_help(format!("did you mean `{s}`?")),
            None if known.is_empty() => d.with_help(format!("declare one with [[{what}]]")),
            None => {
                let plural = match what.strip_suffix('y') {
                    Some(stem) => format!("{stem}ies"),
                    None => format!("{what}s"),
                };
                d.with_help(format!("known {plural}: {}", known.join(", ")))
            }
        };
        self.push(d);
    }

    fn rule_error(&mut self, code: Code, span: &crate::source::Span, message: String) {
        self.push(Diagnostic::new(code, span.clone(), message));
    }

    /// A rule written on an item whose type does not take it.
    fn misplaced<T>(
        &mut self,
        rule: &Option<Spanned<T>>,
        key: &str,
        needs: &str,
        what: &dyn fmt::Display,
    ) -> bool {
        if let Some(r) = rule {
            self.rule_error(
                Code::InvalidRule,
                &r.span,
                format!("`{key}` only applies to {needs}, and {what} is not one"),
            );
            return false;
        }
        true
    }

    /// Everything about an item's value; `None` after reporting what is wrong.
    pub(super) fn typed(
        &mut self,
        raw: &RawItem,
        kinds: Option<(ShapeKind, LeafKind)>,
        keys: Option<Vec<String>>,
        what: &dyn fmt::Display,
    ) -> Option<Typed> {
        let (shape_kind, leaf_kind) = kinds?;
        let leaf = self.leaf(raw, leaf_kind, what);
        let shape = self.shape(raw, shape_kind, keys, what);
        let rules = self.rules(raw, shape_kind, leaf_kind, what);
        let (leaf, shape, rules) = (leaf?, shape?, rules?);
        let value_type = ValueType { shape, leaf };
        let if_unavailable = self.if_unavailable(raw, &value_type, what)?;
        if !self.sizes_fit(raw, &rules, if_unavailable, what) {
            return None;
        }
        let fallback = self.fallback(raw, &value_type, &rules, if_unavailable, what);
        let example = match &raw.example {
            None => {
                self.required(&None, "example", what, &raw.span);
                None
            }
            Some(e) => self.checked_value(e, &value_type, &rules, "example"),
        };
        Some(Typed {
            value_type,
            rules,
            if_unavailable,
            fallback: fallback?,
            example: example?,
        })
    }

    fn leaf(&mut self, raw: &RawItem, kind: LeafKind, what: &dyn fmt::Display) -> Option<Leaf> {
        match (kind, &raw.fields) {
            (LeafKind::Scalar(s), fields) => self
                .misplaced(fields, "fields", "record items", what)
                .then_some(Leaf::Scalar(s)),
            (LeafKind::Record, None) => {
                let at = type_span(raw);
                self.push(
                    Diagnostic::new(Code::MissingRule, at, format!("{what} is a record but declares no `fields`"))
                        .with_help("list the record's fields and their types: `fields = { count = \"counter\" }`"),
                );
                None
            }
            (LeafKind::Record, Some(fields)) => {
                if fields.value.is_empty() {
                    self.rule_error(
                        Code::MissingRule,
                        &fields.span,
                        format!("{what} declares an empty `fields` table"),
                    );
                    return None;
                }
                let mut ok = true;
                let mut seen = HashSet::new();
                let mut out = Vec::with_capacity(fields.value.len());
                let scalars: Vec<&str> = Scalar::ALL
                    .iter()
                    .filter(|s| **s != Scalar::Enum)
                    .map(|s| s.name())
                    .collect();
                for (name, ty) in &fields.value {
                    if !naming::is_segment(&name.value)
                        || !seen.insert(naming::field_name(&name.value))
                    {
                        ok = false;
                        self.rule_error(
                            Code::InvalidRule,
                            &name.span,
                            format!(
                                "invalid or repeated record field `{}`",
                                shorten(&name.value)
                            ),
                        );
                    }
                    match Scalar::from_name(&ty.value).filter(|s| *s != Scalar::Enum) {
                        Some(scalar) => out.push(Field {
                            name: owned(name),
                            scalar,
                        }),
                        None => {
                            ok = false;
                            self.unknown_name(Code::UnknownType, ty, "record field type", &scalars);
                        }
                    }
                }
                ok.then_some(Leaf::Record(Cow::Owned(out)))
            }
        }
    }

    fn shape(
        &mut self,
        raw: &RawItem,
        kind: ShapeKind,
        keys: Option<Vec<String>>,
        what: &dyn fmt::Display,
    ) -> Option<Shape> {
        let mut ok = true;
        if kind != ShapeKind::OpenMap {
            ok &= self.misplaced(
                &raw.key_pattern
                    .as_ref()
                    .map(|p| Spanned::new((), p.span.clone())),
                "key-pattern",
                "open maps",
                what,
            );
            ok &= self.misplaced(&raw.max_keys, "max-keys", "open maps", what);
        }
        if kind != ShapeKind::Map {
            ok &= self.misplaced(
                &raw.optional_keys,
                "optional-keys",
                "maps with declared keys",
                what,
            );
        }
        if kind != ShapeKind::List {
            ok &= self.misplaced(&raw.max_items, "max-items", "lists", what);
        }
        let shape = match kind {
            ShapeKind::One => Shape::One,
            ShapeKind::List => Shape::List,
            ShapeKind::Map => {
                let keys = keys?;
                let mut optional = Vec::new();
                for k in raw.optional_keys.iter().flat_map(|o| &o.value) {
                    if keys.iter().any(|d| *d == *k.value) {
                        optional.push(owned(k));
                    } else {
                        ok = false;
                        self.rule_error(
                            Code::InvalidKeys,
                            &k.span,
                            format!(
                                "optional key `{}` is not one of the declared `keys`",
                                shorten(&k.value)
                            ),
                        );
                    }
                }
                Shape::Map {
                    keys: Cow::Owned(keys.into_iter().map(Cow::Owned).collect()),
                    optional: Cow::Owned(optional),
                }
            }
            ShapeKind::OpenMap => {
                let pattern = match &raw.key_pattern {
                    None => {
                        self.missing_open_map_rule(raw, "key-pattern", what);
                        None
                    }
                    Some(p) => self.key_pattern(p),
                };
                let max_keys = match &raw.max_keys {
                    None => {
                        self.missing_open_map_rule(raw, "max-keys", what);
                        None
                    }
                    Some(m) if (1..=100_000).contains(&m.value) => u32::try_from(m.value).ok(),
                    Some(m) => {
                        self.rule_error(
                            Code::InvalidRule,
                            &m.span,
                            "`max-keys` must be from 1 to 100000".into(),
                        );
                        None
                    }
                };
                Shape::OpenMap {
                    key_pattern: pattern?,
                    max_keys: max_keys?,
                }
            }
        };
        ok.then_some(shape)
    }

    /// A key pattern as written (`^...$`), stored as `^(?:...)$` so that an alternation inside
    /// cannot escape the anchors. Only syntax that the runtime's regex engine and JSON Schema's
    /// ECMA-262 read the same way is allowed: letters, digits, `_`, `-`, classes `[...]` with
    /// ranges, groups `(...)`, alternation `|` and the quantifiers `* + ? {m,n}`.
    fn key_pattern(&mut self, p: &SString) -> Option<Str> {
        let Some(body) = p.value.strip_prefix('^').and_then(|b| b.strip_suffix('$')) else {
            self.push(
                Diagnostic::new(
                    Code::InvalidRule,
                    p.span.clone(),
                    "`key-pattern` must match whole keys: start it with `^` and end it with `$`",
                )
                .with_help(
                    "an unanchored pattern would let any key through that merely contains a match",
                ),
            );
            return None;
        };
        let allowed = |c: char| c.is_ascii_alphanumeric() || "_-[](){},|*+?".contains(c);
        if let Some(bad) = body.chars().find(|c| !allowed(*c)) {
            self.push(
                Diagnostic::new(Code::InvalidRule, p.span.clone(), format!("`key-pattern` uses `{bad}`, which regular expression dialects read differently"))
                    .with_help("write keys with letters, digits, `_`, `-`, classes such as `[A-Za-z0-9]`, groups, `|` and `* + ? {m,n}`"),
            );
            return None;
        }
        let anchored = format!("^(?:{body})$");
        match crate::types::key_pattern_error(&anchored) {
            None => Some(Cow::Owned(anchored)),
            Some(e) => {
                self.rule_error(
                    Code::InvalidRule,
                    &p.span,
                    format!("`key-pattern` is not a regular expression: {}", shorten(&e)),
                );
                None
            }
        }
    }

    /// A size limit that a value the item must be able to send would break: "Unknown" itself, or
    /// a declared enum value. Every failure of the source would otherwise refuse the report.
    fn sizes_fit(
        &mut self,
        raw: &RawItem,
        rules: &Rules,
        rule: IfUnavailable,
        what: &dyn fmt::Display,
    ) -> bool {
        let Some(limit) = &raw.max_length else {
            return true;
        };
        let max = rules.max_length as usize;
        let too_long = rules
            .values
            .iter()
            .find(|v| v.len() > max)
            .map(|v| v.to_string());
        let message = if rule == IfUnavailable::Unknown && crate::types::UNKNOWN.len() > max {
            format!(
                "`max-length` of {what} is shorter than the text \"Unknown\" it sends when its source fails"
            )
        } else if let Some(v) = too_long {
            format!(
                "`max-length` of {what} is shorter than its value `{}`",
                shorten(&v)
            )
        } else {
            return true;
        };
        self.rule_error(Code::InvalidRule, &limit.span, message);
        false
    }

    fn missing_open_map_rule(&mut self, raw: &RawItem, key: &str, what: &dyn fmt::Display) {
        let at = type_span(raw);
        self.push(
            Diagnostic::new(Code::MissingRule, at, format!("{what} is an open map but declares no `{key}`"))
                .with_help("an open map needs `key-pattern` (an anchored regular expression every key must match) and `max-keys` (how many keys at most), so nothing unbounded can leave"),
        );
    }

    fn rules(
        &mut self,
        raw: &RawItem,
        shape: ShapeKind,
        leaf: LeafKind,
        what: &dyn fmt::Display,
    ) -> Option<Rules> {
        let scalar = match leaf {
            LeafKind::Scalar(s) => Some(s),
            LeafKind::Record => None,
        };
        let numeric = scalar.is_some_and(Scalar::is_numeric);
        let has_text = scalar.is_none_or(Scalar::is_text) || leaf == LeafKind::Record;
        let mut ok = true;
        let mut rules = Rules::DEFAULT;
        // Enum values.
        if scalar == Some(Scalar::Enum) {
            match &raw.values {
                None => {
                    ok = false;
                    let at = type_span(raw);
                    self.push(
                        Diagnostic::new(
                            Code::MissingRule,
                            at,
                            format!("{what} is an enum but declares no `values`"),
                        )
                        .with_help(
                            "list every value it may take: `values = [\"cockpit\", \"admin\"]`",
                        ),
                    );
                }
                Some(values) if values.value.is_empty() => {
                    ok = false;
                    self.rule_error(
                        Code::MissingRule,
                        &values.span,
                        format!("{what} declares an empty `values` list"),
                    );
                }
                Some(values) => {
                    let mut seen = HashSet::new();
                    for v in &values.value {
                        if v.value.is_empty() || !seen.insert(&*v.value) {
                            ok = false;
                            self.rule_error(
                                Code::InvalidRule,
                                &v.span,
                                format!("enum value `{}` is empty or repeated", shorten(&v.value)),
                            );
                        }
                    }
                    rules.values = Cow::Owned(values.value.iter().map(owned).collect());
                }
            }
        } else {
            ok &= self.misplaced(&raw.values, "values", "enums", what);
        }
        // Bounds and unit.
        if numeric {
            let whole = scalar != Some(Scalar::Number);
            for bound in [&raw.min, &raw.max].into_iter().flatten() {
                if whole && bound.value.fract() != 0.0 {
                    ok = false;
                    self.rule_error(
                        Code::InvalidRule,
                        &bound.span,
                        format!("a bound of {what} must be a whole number, like its values"),
                    );
                }
            }
            if let (Some(min), Some(max)) = (&raw.min, &raw.max)
                && min.value > max.value
            {
                ok = false;
                self.push(
                    Diagnostic::new(
                        Code::InvalidRule,
                        min.span.clone(),
                        format!(
                            "`min` ({}) is greater than `max` ({})",
                            min.value, max.value
                        ),
                    )
                    .with_help("no value could satisfy both"),
                );
            }
            if scalar == Some(Scalar::Counter)
                && let Some(min) = raw.min.as_ref().filter(|m| m.value < 0.0)
            {
                ok = false;
                self.rule_error(
                    Code::InvalidRule,
                    &min.span,
                    "a counter is never negative: `min` must be 0 or more".into(),
                );
            }
            rules.min = raw.min.as_ref().map(|m| m.value);
            rules.max = raw.max.as_ref().map(|m| m.value);
            if let Some(unit) = &raw.unit {
                if UNITS.contains(&&*unit.value) {
                    rules.unit = Some(owned(unit));
                } else {
                    ok = false;
                    self.unknown_name(Code::UnknownUnit, unit, "unit", UNITS);
                }
            }
        } else {
            ok &= self.misplaced(
                &raw.min,
                "min",
                "numeric items (integer, counter, number)",
                what,
            );
            ok &= self.misplaced(
                &raw.max,
                "max",
                "numeric items (integer, counter, number)",
                what,
            );
            ok &= self.misplaced(
                &raw.unit.as_ref().map(|u| Spanned::new((), u.span.clone())),
                "unit",
                "numeric items (integer, counter, number)",
                what,
            );
        }
        // Size limits.
        if has_text {
            if let Some(m) = &raw.max_length {
                match u32::try_from(m.value) {
                    Ok(n) if n >= 1 => rules.max_length = n,
                    _ => {
                        ok = false;
                        self.rule_error(
                            Code::InvalidRule,
                            &m.span,
                            "`max-length` must be a positive number of bytes".into(),
                        );
                    }
                }
            }
        } else {
            ok &= self.misplaced(
                &raw.max_length,
                "max-length",
                "items with text values",
                what,
            );
        }
        if shape == ShapeKind::List
            && let Some(m) = &raw.max_items
        {
            match u32::try_from(m.value) {
                Ok(n) if n >= 1 => rules.max_items = n,
                _ => {
                    ok = false;
                    self.rule_error(
                        Code::InvalidRule,
                        &m.span,
                        "`max-items` must be a positive number".into(),
                    );
                }
            }
        }
        ok.then_some(rules)
    }

    fn if_unavailable(
        &mut self,
        raw: &RawItem,
        value_type: &ValueType,
        what: &dyn fmt::Display,
    ) -> Option<IfUnavailable> {
        let names: Vec<&str> = IfUnavailable::ALL.iter().map(|r| r.name()).collect();
        match &raw.if_unavailable {
            None if value_type.accepts_unknown() => Some(IfUnavailable::Unknown),
            None => {
                let at = type_span(raw);
                self.push(
                    Diagnostic::new(Code::MissingFailureRule, at, format!("{what} does not say what is sent when its source fails"))
                        .with_help(format!("a `{value_type}` cannot be the text \"Unknown\": add `if-unavailable = \"omit\"` (left out), `\"null\"`, or `\"fallback\"` with a `fallback` value")),
                );
                None
            }
            Some(r) => match IfUnavailable::from_name(&r.value) {
                None => {
                    self.unknown_name(Code::InvalidRule, r, "`if-unavailable` rule", &names);
                    None
                }
                Some(IfUnavailable::Unknown) if !value_type.accepts_unknown() => {
                    self.push(
                        Diagnostic::new(Code::InvalidRule, r.span.clone(), format!("a `{value_type}` cannot be the text \"Unknown\""))
                            .with_help("\"unknown\" is Optimize's rule for text items (string, uuid, date, semver, flag); use \"omit\", \"null\" or \"fallback\""),
                    );
                    None
                }
                Some(rule) => Some(rule),
            },
        }
    }

    fn fallback(
        &mut self,
        raw: &RawItem,
        value_type: &ValueType,
        rules: &Rules,
        rule: IfUnavailable,
        what: &dyn fmt::Display,
    ) -> Option<Option<Value>> {
        match (rule, &raw.fallback) {
            (IfUnavailable::Fallback, None) => {
                let at = raw
                    .if_unavailable
                    .as_ref()
                    .map_or(&raw.span, |r| &r.span)
                    .clone();
                self.rule_error(
                    Code::MissingRule,
                    &at,
                    format!("{what} falls back to a declared value but has no `fallback`"),
                );
                None
            }
            (IfUnavailable::Fallback, Some(f)) => self
                .checked_value(f, value_type, rules, "fallback")
                .map(Some),
            (_, Some(f)) => {
                self.push(
                    Diagnostic::new(
                        Code::InvalidRule,
                        f.span.clone(),
                        format!("{what} has a `fallback` but does not use it"),
                    )
                    .with_help("set `if-unavailable = \"fallback\"`, or remove `fallback`"),
                );
                None
            }
            (_, None) => Some(None),
        }
    }

    /// A written value (example or fallback) as JSON, checked against the type and rules; map
    /// keys and record fields are put in declared order, as the payload sends them.
    fn checked_value(
        &mut self,
        raw: &Spanned<RawValue>,
        value_type: &ValueType,
        rules: &Rules,
        key: &str,
    ) -> Option<Value> {
        let code = if key == "example" {
            Code::InvalidExample
        } else {
            Code::InvalidRule
        };
        if let (Shape::Map { keys, optional }, RawValue::Table(entries)) =
            (&value_type.shape, &raw.value)
            && !self.declared_keys(entries, keys, optional, &raw.span, code, key)
        {
            return None;
        }
        let json = to_json(&raw.value);
        if let Err(v) = check(value_type, rules, false, &json) {
            let element = value_at(raw, &v.at);
            let shown = match &element.value {
                RawValue::String(s) => format!(" `{}`", shorten(s)),
                _ => String::new(),
            };
            let at = element.span.clone();
            let mut d = Diagnostic::new(
                code,
                at,
                format!("{key}{shown} does not fit type `{value_type}`: {v}"),
            );
            d = match (&raw.value, value_type.leaf.scalar()) {
                (RawValue::String(_), Some(s)) if !s.is_text() => {
                    d.with_help("numbers and booleans are written without quotes")
                }
                (RawValue::Boolean(_), Some(Scalar::Flag)) => d.with_help(
                    "flags are sent as text: write \"true\" or \"false\" in quotes, or use type `boolean` for a JSON true/false",
                ),
                (RawValue::Integer(_) | RawValue::Float(_), Some(s)) if s.is_text() => {
                    d.with_help("this type is sent as text: put the value in quotes")
                }
                _ => d,
            };
            self.push(d);
            return None;
        }
        Some(in_declared_order(json, value_type))
    }
}

impl Validator<'_> {
    /// A written map names only declared keys and every non-optional one; each problem is
    /// reported at the key, with "did you mean" help.
    fn declared_keys(
        &mut self,
        entries: &[(SString, Spanned<RawValue>)],
        keys: &[Str],
        optional: &[Str],
        span: &crate::source::Span,
        code: Code,
        what: &str,
    ) -> bool {
        let mut ok = true;
        for (k, _) in entries {
            if keys.iter().any(|d| *d == *k.value) {
                continue;
            }
            ok = false;
            let mut d = Diagnostic::new(
                code,
                k.span.clone(),
                format!(
                    "{what} key `{}` is not one of the declared `keys`",
                    shorten(&k.value)
                ),
            );
            if let Some(m) = did_you_mean(&k.value, keys.iter().map(|k| k.as_ref())) {
                d = d.with_help(format!("did you mean `{m}`?"));
            }
            self.push(d);
        }
        let missing: Vec<String> = keys
            .iter()
            .filter(|k| !optional.contains(k) && !entries.iter().any(|(e, _)| *e.value == **k))
            .map(|k| format!("`{k}`"))
            .collect();
        if !missing.is_empty() {
            ok = false;
            self.rule_error(
                code,
                span,
                format!(
                    "{what} lacks the declared key{} {}",
                    if missing.len() == 1 { "" } else { "s" },
                    missing.join(", ")
                ),
            );
        }
        ok
    }
}

fn in_declared_order(value: Value, value_type: &ValueType) -> Value {
    let record = |v: Value| match (&value_type.leaf, v) {
        (Leaf::Record(fields), Value::Object(mut map)) => Value::Object(
            fields
                .iter()
                .filter_map(|f| map.remove(f.name.as_ref()).map(|v| (f.name.to_string(), v)))
                .collect(),
        ),
        (_, v) => v,
    };
    match (&value_type.shape, value) {
        (Shape::Map { keys, .. }, Value::Object(mut map)) => Value::Object(
            keys.iter()
                .filter_map(|k| map.remove(k.as_ref()).map(|v| (k.to_string(), record(v))))
                .collect(),
        ),
        (Shape::OpenMap { .. }, Value::Object(map)) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, record(v))).collect())
        }
        (Shape::List, Value::Array(items)) => Value::Array(items.into_iter().map(record).collect()),
        (_, v) => record(v),
    }
}
