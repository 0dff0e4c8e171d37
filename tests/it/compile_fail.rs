//! The promise "a spec item without a collector is a compile error", tested: code generated from
//! the real spec plus one item does not compile against an implementation that does not fill it,
//! while the same implementation compiles against the real spec.

use crate::{real_spec, repo_root};

const EXTRA_ITEM: &str = r#"
[[item]]
id = "license_seats"
category = "environment"
label = "License Key: Seats"
description = "How many named users the license key allows, as written in the key."
purpose = "Understanding the size of licensed installations."
path = "product.internals.license-key.seats"
type = "string"
example = "25"
source = "license.seats"
sensitivity = "business-confidential"
since = "3.3.0"
owner = "Camunda Optimize team"
review = "OPT-DATA-REVIEW-PENDING"
expires = "never"
"#;

/// Rewriting an identical file would make trybuild rebuild for nothing.
fn write_if_changed(path: &std::path::Path, text: &str) {
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        std::fs::write(path, text).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn an_item_without_collector_fails_to_compile() {
    let spec_text = std::fs::read_to_string(repo_root().join("spec/telemetry.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let extended = format!("{spec_text}{EXTRA_ITEM}");
    let plus_item = telemetry_spec::check("spec/telemetry.toml", extended.as_bytes())
        .into_spec()
        .unwrap_or_else(|c| panic!("the extended spec must be valid:\n{}", c.render()));
    assert_eq!(plus_item.items.len(), real_spec().items.len() + 1);

    let camunda7 =
        telemetry_spec::load(&repo_root().join("tests/fixtures/camunda7/telemetry.toml"))
            .unwrap_or_else(|e| panic!("{e}"))
            .into_spec()
            .unwrap_or_else(|c| panic!("the Camunda 7 spec must be valid:\n{}", c.render()));
    let dir = repo_root().join("tests/compile/generated");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let example = telemetry_spec::example_json(&camunda7);
    write_if_changed(&dir.join("camunda7.example.json"), &example);
    for (name, spec) in [
        ("spec.rs", real_spec()),
        ("spec_plus_item.rs", plus_item),
        ("camunda7.rs", camunda7),
    ] {
        let code = telemetry_spec::rust(&spec);
        write_if_changed(&dir.join(name), &code);
    }

    let cases = trybuild::TestCases::new();
    cases.pass("tests/compile/pass_*.rs");
    cases.compile_fail("tests/compile/fail_*.rs");
}
