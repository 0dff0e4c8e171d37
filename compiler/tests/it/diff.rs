//! `telemetry-spec diff`: fixture pairs report exactly what changed, in Markdown and JSON.

use telemetry_spec::diff::{diff, render_json, render_markdown};

use crate::{repo_root, snapshot};

fn spec(name: &str) -> telemetry_spec::ValidSpec {
    let path = repo_root().join("tests/fixtures/diff").join(name);
    let checked = telemetry_spec::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let rendered = checked.render();
    checked.into_spec().unwrap_or_else(|_| panic!("{rendered}"))
}

#[test]
fn one_item_added() {
    let d = diff(&spec("base.toml"), &spec("added.toml"));
    assert_eq!(
        d.added.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
        ["installation_id"]
    );
    assert!(d.removed.is_empty() && d.changed.is_empty() && d.categories.is_empty());
    assert!(
        d.warnings.is_empty(),
        "the version was bumped: {:?}",
        d.warnings
    );
    snapshot!("diff__added_markdown", render_markdown(&d));
    snapshot!("diff__added_json", render_json(&d));
}

#[test]
fn one_item_removed() {
    let d = diff(&spec("base.toml"), &spec("removed.toml"));
    assert_eq!(
        d.removed.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
        ["product_edition"]
    );
    assert!(d.added.is_empty() && d.changed.is_empty());
    snapshot!("diff__removed_markdown", render_markdown(&d));
}

#[test]
fn one_item_changed_without_a_version_bump_warns() {
    let d = diff(&spec("base.toml"), &spec("changed.toml"));
    assert!(d.added.is_empty() && d.removed.is_empty());
    assert_eq!(d.changed.len(), 1);
    let fields: Vec<&str> = d.changed[0].fields.iter().map(|f| f.field).collect();
    assert_eq!(fields, ["path", "description", "purpose", "sensitivity"]);
    assert_eq!(d.categories.len(), 1, "the category title changed");
    assert_eq!(d.warnings.len(), 1);
    assert!(d.warnings[0].contains("`spec-version` is still 1.0.0"));
    snapshot!("diff__changed_markdown", render_markdown(&d));
    snapshot!("diff__changed_json", render_json(&d));
}

#[test]
fn identical_specs_have_no_changes() {
    let d = diff(&spec("base.toml"), &spec("base.toml"));
    assert!(d.is_empty() && d.warnings.is_empty());
    assert!(render_markdown(&d).contains("No item or category changed"));
}

#[test]
fn the_real_spec_against_itself_plus_one_item_reports_that_item() {
    let text = std::fs::read_to_string(repo_root().join("spec/telemetry.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let old = telemetry_spec::check("old", text.as_bytes())
        .into_spec()
        .unwrap_or_else(|c| panic!("{}", c.render()));
    let more = format!(
        "{text}\n[[item]]\nid = \"optimize_mode\"\ncategory = \"general\"\nlabel = \"Optimize mode\"\n\
         description = \"Whether Optimize runs against Camunda 7 or Camunda 8, as configured.\"\n\
         path = \"product.mode\"\ntype = \"string\"\nexample = \"camunda7\"\nsource = \"product.mode\"\n\
         sensitivity = \"technical\"\nsince = \"3.3.0\"\n\
         owner = \"Camunda Optimize team\"\nreview = \"DR-2\"\nexpires = \"2099-12-31\"\n"
    );
    let new = telemetry_spec::check("new", more.as_bytes())
        .into_spec()
        .unwrap_or_else(|c| panic!("{}", c.render()));
    let d = diff(&old, &new);
    assert_eq!(d.added.len(), 1);
    assert_eq!(d.added[0].path, "product.mode");
    assert_eq!(d.warnings.len(), 1, "spec-version was not bumped");
}

#[test]
fn type_bound_enum_and_pattern_changes_are_reported() {
    let path = repo_root().join("tests/fixtures/camunda7/telemetry.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
    let old = telemetry_spec::check("old.toml", text.as_bytes())
        .into_spec()
        .unwrap_or_else(|c| panic!("{}", c.render()));
    let changed = text
        .replacen(
            "values = [\"cockpit\", \"admin\", \"tasklist\"]",
            "values = [\"cockpit\", \"admin\"]",
            1,
        )
        .replacen("max-keys = 1000", "max-keys = 50", 1)
        .replacen(
            "key-pattern = \"^[A-Z][A-Za-z0-9]*$\"",
            "key-pattern = \"^[A-Z][A-Za-z]*$\"",
            1,
        )
        .replacen("type = \"boolean\"", "type = \"flag\"", 1)
        .replacen("example = false", "example = \"false\"", 1)
        .replacen("spec-version = \"1.0.0\"", "spec-version = \"1.1.0\"", 1);
    let new = telemetry_spec::check("new.toml", changed.as_bytes())
        .into_spec()
        .unwrap_or_else(|c| panic!("{}", c.render()));
    let d = diff(&old, &new);
    let type_change = |id: &str| {
        d.changed
            .iter()
            .find(|c| c.id == id)
            .and_then(|c| c.fields.iter().find(|f| f.field == "type"))
            .map(|f| (f.before.clone(), f.after.clone()))
            .unwrap_or_else(|| panic!("no type change of {id}: {d:?}"))
    };
    let (before, after) = type_change("webapps");
    assert!(
        before.contains("of values cockpit, admin, tasklist"),
        "{before}"
    );
    assert!(
        after.contains("of values cockpit, admin") && !after.contains("tasklist"),
        "{after}"
    );
    let (before, after) = type_change("commands");
    assert!(
        before.contains("matching ^(?:[A-Z][A-Za-z0-9]*)$, at most 1000"),
        "{before}"
    );
    assert!(
        after.contains("matching ^(?:[A-Z][A-Za-z]*)$, at most 50"),
        "{after}"
    );
    let (before, after) = type_change("license_unlimited");
    assert!(
        before.starts_with("boolean") && after.starts_with("flag"),
        "{before} -> {after}"
    );
    let markdown = render_markdown(&d);
    assert!(markdown.contains("| type |"), "{markdown}");
}

/// The consent verdicts (`consent_changes`, the runtime's function) agree with the
/// classification: whatever needs a new approval is at least `needs-review`, and removals and
/// technical additions are covered.
#[test]
fn consent_verdicts_agree_with_the_classification() {
    use telemetry_spec::diff::{Class, classify, consent_changes};
    let pairs = [
        ("base.toml", "added.toml", true),
        ("added.toml", "base.toml", false),
        ("base.toml", "removed.toml", false),
        ("base.toml", "changed.toml", true),
        ("base.toml", "base.toml", false),
    ];
    for (old, new, needs) in pairs {
        let (old_spec, new_spec) = (spec(old), spec(new));
        let consent = consent_changes(&old_spec, &new_spec);
        assert_eq!(
            consent.iter().any(|c| c.needs_approval),
            needs,
            "{old} -> {new}: {consent:?}"
        );
        let classified = classify(&old_spec, &new_spec);
        for c in consent.iter().filter(|c| c.needs_approval) {
            assert!(
                classified
                    .iter()
                    .any(|k| k.item.as_deref() == Some(c.item.as_str())
                        && k.class >= Class::NeedsReview),
                "{old} -> {new}: {} needs approval but is not reviewed: {classified:?}",
                c.item
            );
        }
    }
    let changed = consent_changes(&spec("base.toml"), &spec("changed.toml"));
    let reasons: Vec<&str> = changed.iter().map(|c| c.reason.as_str()).collect();
    assert!(
        reasons.iter().any(|r| r.starts_with("sensitivity raised")),
        "{reasons:?}"
    );
}

/// The approval digest survives formatting: purposes re-wrapped into multi-line strings,
/// comments and blank lines added, change nothing an installation would have to approve.
#[test]
fn the_approval_digest_is_stable_across_formatting_of_the_spec_file() {
    use telemetry_spec::diff::{approved_item, consent_changes};
    use telemetry_types::consent::items_digest;
    let text = std::fs::read_to_string(repo_root().join("spec/telemetry.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let reformatted = text
        .replace(
            "purpose = \"Counting installations and relating",
            "# Why we collect it.\n\npurpose = \"\"\"\nCounting   installations and\n    relating",
        )
        .replacen(
            "of one installation to each other.\"",
            "of one installation to each other.\n\"\"\"",
            1,
        );
    assert_ne!(text, reformatted, "the fixture must actually reformat");
    let parse = |name: &str, t: &str| {
        telemetry_spec::check(name, t.as_bytes())
            .into_spec()
            .unwrap_or_else(|c| panic!("{}", c.render()))
    };
    let (old, new) = (parse("old", &text), parse("new", &reformatted));
    assert!(consent_changes(&old, &new).is_empty());
    let digest = |s: &telemetry_spec::ValidSpec| {
        items_digest(&s.items.iter().map(approved_item).collect::<Vec<_>>())
    };
    assert_eq!(digest(&old), digest(&new));
    // A purpose that says something else is another purpose.
    let reworded = text.replace(
        "purpose = \"Counting installations and relating",
        "purpose = \"Selling installations and relating",
    );
    assert_ne!(digest(&old), digest(&parse("reworded", &reworded)));
}
