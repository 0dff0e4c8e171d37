//! The example configuration and the README's table of variables, checked against the key
//! table (`optimize_telemetry::config::KEYS`): a key missing from either, a name that is no key,
//! or a default that disagrees fails here.

use std::collections::{BTreeMap, BTreeSet};

use optimize_telemetry::config::{KEYS, Key, Preset};

/// A TOML value written on its own, such as `24` or `"optimize"`.
fn value(literal: &str) -> Option<toml::Value> {
    format!("v = {literal}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
}

/// A key's default as the environment would spell it: a string without its quotes.
fn env_default(key: &Key) -> Option<String> {
    match key.default {
        Preset::Value(literal) => match value(literal) {
            Some(toml::Value::String(s)) => Some(s),
            _ => Some(literal.to_owned()),
        },
        Preset::Unset | Preset::Required => None,
    }
}

#[test]
fn the_readme_table_of_variables_is_the_key_table() {
    let readme = std::fs::read_to_string(crate::repo_root().join("README.md"))
        .unwrap_or_else(|e| panic!("{e}"));
    let table = readme
        .split("| variable | key | default |")
        .nth(1)
        .and_then(|rest| rest.split("\n\n").next())
        .unwrap_or_else(|| panic!("the README has no table of variables"));
    let mut documented = BTreeMap::new();
    for row in table.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let code = |cell: &str| cell.split('`').nth(1).map(str::to_owned);
        assert_eq!(cells.len(), 5, "{row}");
        let var = code(cells[1]).unwrap_or_default();
        let entry = (code(cells[2]).unwrap_or_default(), code(cells[3]));
        assert!(documented.insert(var, entry).is_none(), "twice: {row}");
    }
    let read: BTreeMap<String, (String, Option<String>)> = KEYS
        .iter()
        .filter_map(|k| Some((k.env?.to_owned(), (k.name.to_owned(), env_default(k)))))
        .collect();
    assert_eq!(
        documented, read,
        "README rows (left) against the key table (right)"
    );
}

#[test]
fn the_example_configuration_shows_every_key_at_its_default() {
    let text = std::fs::read_to_string(crate::repo_root().join("optimize-telemetry.example.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    // Keys set (with their values) and keys shown commented out (`# name = "x"`): keys without
    // a default are shown that way. Both kinds of table header start a section.
    let mut set = BTreeMap::new();
    let mut shown = BTreeSet::new();
    let mut headers = BTreeSet::new();
    let mut section = String::new();
    for line in text.lines() {
        let (line, commented) = match line.strip_prefix("# ") {
            Some(rest) => (rest, true),
            None => (line, false),
        };
        let header = line.strip_prefix("[[").and_then(|l| l.strip_suffix("]]"));
        if let Some(name) =
            header.or_else(|| line.strip_prefix('[').and_then(|l| l.strip_suffix(']')))
        {
            section = name.to_owned();
            headers.insert(section.clone());
            continue;
        }
        let Some((field, literal)) = line.split_once(" = ") else {
            continue;
        };
        if !field.chars().all(|c| c.is_ascii_alphanumeric()) {
            continue; // prose
        }
        let name = format!("{section}.{field}");
        match (commented, value(literal)) {
            (false, Some(v)) => assert!(set.insert(name, v).is_none(), "{line} twice"),
            (false, None) => panic!("not a TOML value: {line}"),
            (true, Some(_)) => assert!(shown.insert(name), "{line} twice"),
            (true, None) => {} // prose that happens to hold " = "
        }
    }
    for key in KEYS {
        match key.default {
            _ if headers.contains(key.name) => {}
            Preset::Value(literal) => {
                assert_eq!(set.remove(key.name), value(literal), "`{}`", key.name);
            }
            Preset::Unset | Preset::Required => {
                assert!(shown.remove(key.name), "`{}` is not shown", key.name);
            }
        }
    }
    assert!(
        set.is_empty(),
        "not keys, or not at their defaults: {set:?}"
    );
    assert!(shown.is_empty(), "not keys: {shown:?}");
    let sections: BTreeSet<&str> = KEYS
        .iter()
        .filter_map(|k| k.name.rsplit_once('.'))
        .map(|(s, _)| s)
        .collect();
    for header in &headers {
        assert!(
            sections.contains(header.as_str()),
            "[{header}] is not a section"
        );
    }
}
