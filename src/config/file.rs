//! Reading the TOML file: each value is found in the key table by its dotted name and goes
//! through its key's rule. Syntax errors, unknown keys, values of the wrong type and refused
//! values are all reported, each at its line and column.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::{DeserializeOwned, IgnoredAny, IntoDeserializer as _};
use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue};

use super::draft::Draft;
use super::error::Location;
use super::keys::{KEYS, Key, Preset, Rule, key};
use super::load::Loader;
use super::rules;

/// A default, written as a TOML value in the table, through its key's rule.
pub(super) fn apply_literal(draft: &mut Draft, key: &Key, literal: &str) -> Result<(), String> {
    let value = DeValue::parse(literal).map_err(|e| e.message().to_owned())?;
    apply_value(draft, key, value)
}

/// One value through its key's rule. The message is complete: a wrong type in serde's words,
/// a refused value after the key's name.
fn apply_value(draft: &mut Draft, key: &Key, value: Spanned<DeValue>) -> Result<(), String> {
    let refused = |why: String| format!("`{}` {why}", key.name);
    match key.rule {
        Rule::Bool(rule) => rule(draft, typed(value)?),
        Rule::Number(rule) => rule(draft, typed(value)?).map_err(refused)?,
        Rule::Integer(rule) => rule(draft, typed(value)?).map_err(refused)?,
        Rule::Text(rule) | Rule::EachText(rule) => {
            rule(draft, &typed::<String>(value)?).map_err(refused)?;
        }
        Rule::Secret(rule) => {
            let path = typed::<String>(value)?;
            rule(
                &mut draft.es,
                rules::secret_file(&path, key.env).map_err(refused)?,
            );
        }
        // Read item by item, by the walk below.
        Rule::Items(_) => return Err(format!("`{}` is an array of tables", key.name)),
    }
    Ok(())
}

fn typed<'de, T: Deserialize<'de>>(value: Spanned<DeValue<'de>>) -> Result<T, String> {
    T::deserialize(value.into_deserializer()).map_err(|e| e.message().to_owned())
}

/// The file being read, for locating what is reported.
struct Source<'a> {
    path: &'a str,
    text: &'a str,
}

impl Source<'_> {
    fn at(&self, span: std::ops::Range<usize>) -> Location {
        Location::in_file(self.path, self.text, span.start)
    }
}

impl Loader<'_> {
    /// Reads the file's keys; false when its syntax is broken, so that no key was read.
    pub(super) fn read_file(&mut self, path: &str, text: &str) -> bool {
        let file = Source { path, text };
        let (table, errors) = DeTable::parse_recoverable(text);
        for e in &errors {
            let message = e.message().trim_end().replace('\n', " ");
            self.report(file.at(e.span().unwrap_or(0..0)), message);
        }
        if errors.is_empty() {
            self.read_table(&file, "", table.into_inner());
        }
        errors.is_empty()
    }

    fn read_table(&mut self, file: &Source, prefix: &str, table: DeTable) {
        for (name, value) in table {
            let full = match prefix {
                "" => name.get_ref().to_string(),
                _ => format!("{prefix}.{}", name.get_ref()),
            };
            if let Some(key) = key(&full) {
                self.read_key(file, key, value);
            } else if !children(&full).is_empty() {
                let at = file.at(value.span());
                match as_table(value) {
                    Ok(section) => self.read_table(file, &full, section),
                    Err(message) => self.report(at, message),
                }
            } else {
                let message = format!(
                    "unknown field `{}`, {}",
                    name.get_ref(),
                    expected(&children(prefix))
                );
                self.report(file.at(name.span()), message);
            }
        }
    }

    fn read_key(&mut self, file: &Source, key: &'static Key, value: Spanned<DeValue>) {
        let at = file.at(value.span());
        match key.rule {
            Rule::Items(start) => match as_array(value) {
                Ok(items) => self.read_items(file, key, start, items),
                Err(message) => self.report(at, message),
            },
            // Each string is checked on its own and reported where it stands.
            Rule::EachText(_) => match as_array(value) {
                Ok(items) => {
                    for item in items {
                        let at = file.at(item.span());
                        self.apply(key, at, item);
                    }
                }
                Err(message) => self.refuse(key, at, message),
            },
            // The environment holds the secret itself; the file this one names is not read.
            Rule::Secret(_) if key.env.and_then(|var| (self.env)(var)).is_some() => {}
            _ => self.apply(key, at, value),
        }
    }

    fn apply(&mut self, key: &'static Key, at: Location, value: Spanned<DeValue>) {
        match apply_value(&mut self.draft, key, value) {
            Ok(()) => self.accept(key, at),
            Err(message) => self.refuse(key, at, message),
        }
    }

    /// The tables of an array of tables, each one item whose fields are the keys below `key`.
    fn read_items(&mut self, file: &Source, key: &Key, start: fn(&mut Draft), items: DeArray) {
        for item in items {
            let at = file.at(item.span());
            let fields = match as_table(item) {
                Ok(fields) => fields,
                Err(message) => {
                    self.report(at, message);
                    continue;
                }
            };
            start(&mut self.draft);
            let given: Vec<String> = fields.keys().map(|k| k.get_ref().to_string()).collect();
            self.read_table(file, key.name, fields);
            for field in children(key.name) {
                if required(key.name, field) && !given.iter().any(|g| g == field) {
                    self.report(at.clone(), format!("missing field `{field}`"));
                }
            }
        }
    }
}

fn required(parent: &str, field: &str) -> bool {
    key(&format!("{parent}.{field}")).is_some_and(|k| k.default == Preset::Required)
}

fn as_table(value: Spanned<DeValue>) -> Result<DeTable, String> {
    let span = value.span();
    match value.into_inner() {
        DeValue::Table(table) => Ok(table),
        other => Err(not_a::<BTreeMap<String, IgnoredAny>>(span, other)),
    }
}

fn as_array(value: Spanned<DeValue>) -> Result<DeArray, String> {
    let span = value.span();
    match value.into_inner() {
        DeValue::Array(items) => Ok(items),
        other => Err(not_a::<Vec<IgnoredAny>>(span, other)),
    }
}

/// serde's words for a value that is not a `T`: "invalid type: integer `5`, expected a map".
fn not_a<T: DeserializeOwned>(span: std::ops::Range<usize>, value: DeValue) -> String {
    typed::<T>(Spanned::new(span, value))
        .err()
        .unwrap_or_else(|| "invalid type".into())
}

/// The names directly below `prefix` (`""`: the top level), in the table's order.
fn children(prefix: &str) -> Vec<&'static str> {
    let mut names = Vec::new();
    for key in KEYS {
        let below = match prefix {
            "" => Some(key.name),
            _ => key
                .name
                .strip_prefix(prefix)
                .and_then(|rest| rest.strip_prefix('.')),
        };
        if let Some(name) = below.and_then(|rest| rest.split('.').next())
            && !names.contains(&name)
        {
            names.push(name);
        }
    }
    names
}

/// What an unknown field could have been, worded as serde words it for derived types.
fn expected(names: &[&str]) -> String {
    match names {
        [] => "there are no fields".into(),
        [one] => format!("expected `{one}`"),
        [a, b] => format!("expected `{a}` or `{b}`"),
        _ => {
            let list: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
            format!("expected one of {}", list.join(", "))
        }
    }
}
