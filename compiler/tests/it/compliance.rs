//! Compliance over time: removed items stay out of everything generated but on the page, expiry
//! fails `check`, the diff classifies changes and gates CI, and the review request keeps its shape.

use telemetry_spec::diff::{Class, classify, highest};
use telemetry_spec::{ValidSpec, check};

use crate::{repo_root, snapshot};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(repo_root().join("tests/fixtures/diff").join(name))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn valid(text: &str) -> ValidSpec {
    check("t.toml", text.as_bytes())
        .into_spec()
        .unwrap_or_else(|c| panic!("{}", c.render()))
}

/// The base fixture plus one enum item with the given values and extra lines.
fn with_enum(values: &str, extra: &str) -> String {
    format!(
        "{}\n[[item]]\nid = \"product_mode\"\ncategory = \"general\"\nlabel = \"Product mode\"\n\
         description = \"Which mode the product that sends the report runs in.\"\n\
         path = \"product.mode\"\ntype = \"enum\"\nvalues = [{values}]\nexample = \"a\"\nif-unavailable = \"omit\"\n\
         source = \"product.mode\"\nsensitivity = \"technical\"\nsince = \"1.0.0\"\n\
         owner = \"Telemetry team\"\nreview = \"DR-1\"\n{extra}",
        fixture("base.toml"),
        extra = if extra.contains("expires") {
            extra.to_owned()
        } else {
            format!("expires = \"2099-12-31\"\n{extra}")
        }
    )
}

fn classes(old: &str, new: &str) -> Vec<(Class, String)> {
    classify(&valid(old), &valid(new))
        .into_iter()
        .map(|c| (c.class, c.field))
        .collect()
}

#[test]
fn enum_narrowing_breaks_and_widening_needs_review() {
    let ab = with_enum("\"a\", \"b\"", "");
    let a = with_enum("\"a\"", "");
    let abc = with_enum("\"a\", \"b\", \"c\"", "");
    assert_eq!(classes(&ab, &a), [(Class::Breaking, "type".to_owned())]);
    assert_eq!(
        classes(&ab, &abc),
        [(Class::NeedsReview, "type".to_owned())]
    );
}

#[test]
fn each_kind_of_change_gets_its_class() {
    let base = with_enum("\"a\"", "");
    let added = classes(&fixture("base.toml"), &base);
    assert_eq!(added, [(Class::NeedsReview, "added".to_owned())]);
    let removed = classes(&base, &fixture("base.toml"));
    assert_eq!(removed, [(Class::Breaking, "removed".to_owned())]);
    let relabelled = base.replace("label = \"Product mode\"", "label = \"Mode\"");
    assert_eq!(
        classes(&base, &relabelled),
        [(Class::Editorial, "label".to_owned())]
    );
    let extended = with_enum("\"a\"", "expires = \"2100-01-01\"\n");
    assert_eq!(
        classes(&base, &extended),
        [(Class::NeedsReview, "expires".to_owned())]
    );
    let shortened = with_enum("\"a\"", "expires = \"2098-01-01\"\n");
    assert_eq!(
        classes(&base, &shortened),
        [(Class::Editorial, "expires".to_owned())]
    );
    let raised = base.replacen(
        "sensitivity = \"technical\"\nsince = \"1.0.0\"\nowner = \"Telemetry team\"\nreview = \"DR-1\"\nexpires = \"2099-12-31\"\n",
        "sensitivity = \"business-confidential\"\nsince = \"1.0.0\"\nowner = \"Telemetry team\"\nreview = \"DR-1\"\nexpires = \"2099-12-31\"\n",
        1,
    );
    assert_eq!(
        classes(&base, &raised),
        [(Class::NeedsReview, "sensitivity".to_owned())]
    );
}

#[test]
fn a_removed_item_is_generated_nowhere_but_listed_on_the_page() {
    let text = with_enum("\"a\"", "status = \"removed\"\nremoved-in = \"1.1.0\"\n");
    let spec = valid(&text);
    assert!(spec.items.iter().all(|i| i.id != "product_mode"));
    assert_eq!(spec.removed.len(), 1);
    assert_eq!(spec.removed[0].removed_in, "1.1.0");
    // Everything generated is exactly what the spec without the item generates.
    let without = valid(&fixture("base.toml"));
    use telemetry_spec::{example_json, rust, schema_json};
    assert_eq!(rust(&spec), rust(&without), "code");
    assert_eq!(example_json(&spec), example_json(&without), "example");
    assert_eq!(schema_json(&spec), schema_json(&without), "schema");
    let pages = telemetry_spec::render_docs(&spec, &crate::docs::templates())
        .unwrap_or_else(|e| panic!("{e}"));
    let removed_section = pages
        .markdown
        .split("## No longer collected")
        .nth(1)
        .unwrap_or_else(|| panic!("no removed section"));
    assert!(
        removed_section.contains("| Product mode |") && removed_section.contains("| 1.1.0 |"),
        "{removed_section}"
    );
    assert!(
        pages
            .markdown
            .contains("- **1.1.0**: stopped sending Product mode.")
    );
    assert!(pages.html.contains("<tr id=\"removed-product_mode\">"));
    // Coming back is a change a reviewer must approve, not a silent re-addition.
    let back = with_enum("\"a\"", "");
    let changes = classify(&spec, &valid(&back));
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(
        (changes[0].class, changes[0].field.as_str()),
        (Class::NeedsReview, "returned")
    );
}

#[test]
fn a_deprecated_item_is_still_sent_and_flagged_on_the_page() {
    let spec = valid(&with_enum("\"a\"", "status = \"deprecated\"\n"));
    assert!(spec.items.iter().any(|i| i.id == "product_mode"));
    let pages = telemetry_spec::render_docs(&spec, &crate::docs::templates())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        pages
            .markdown
            .contains("| Product mode<br>**Deprecated** |")
    );
    assert!(
        pages
            .html
            .contains("<span class=\"chip deprecated\">deprecated</span>")
    );
}

fn cli(args: &[&str]) -> (u8, String, String) {
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let mut stdin = std::io::empty();
    let mut io = telemetry_spec::cli::Io {
        stdin: &mut stdin,
        stdout: &mut stdout,
        stderr: &mut stderr,
        exits_after: false,
    };
    let mut argv = vec!["telemetry-spec".to_owned()];
    argv.extend(args.iter().map(|a| {
        if a.ends_with(".toml") {
            repo_root().join(a).display().to_string()
        } else {
            (*a).to_owned()
        }
    }));
    let code = telemetry_spec::cli::run(argv, &mut io);
    (
        code,
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

#[test]
fn diff_fail_on_exits_three_at_or_above_the_gate() {
    let (base, added) = (
        "tests/fixtures/diff/base.toml",
        "tests/fixtures/diff/added.toml",
    );
    let (code, out, _) = cli(&["diff", base, added, "--fail-on", "breaking"]);
    assert_eq!(code, 0, "adding an item breaks no receiver");
    assert!(out.contains("Highest class: **needs-review**"), "{out}");
    // The added item names its approval in `review`: the gate counts it as approved. Without
    // it, the gate holds.
    let (code, _, err) = cli(&["diff", base, added, "--fail-on", "needs-review"]);
    assert_eq!(code, 0, "{err}");
    let text = fixture("added.toml");
    let at = text
        .find("id = \"installation_id\"")
        .unwrap_or_else(|| panic!("the fixture adds installation_id"));
    let review = at
        + text[at..]
            .find("review = \"DR-1\"\n")
            .unwrap_or_else(|| panic!("the added item has a review"));
    // A technical item may lack a review (an identifying one may not even validate without).
    let unapproved = format!(
        "{}{}",
        &text[..review],
        &text[review + "review = \"DR-1\"\n".len()..]
    )
    .replacen(
        "sensitivity = \"identifying\"",
        "sensitivity = \"technical\"",
        1,
    );
    let dir = test_support::TempDir::new("gate");
    let file = dir.join("unapproved.toml");
    std::fs::write(&file, unapproved).unwrap_or_else(|e| panic!("{e}"));
    let file = file.display().to_string();
    let (code, _, err) = cli(&["diff", base, &file, "--fail-on", "needs-review"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("the spec change is needs-review"), "{err}");
    let removed = "tests/fixtures/diff/removed.toml";
    let (code, out, _) = cli(&[
        "diff",
        base,
        removed,
        "--fail-on",
        "breaking",
        "--format",
        "json",
    ]);
    assert_eq!(code, 3);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(json["classification"]["highest"], "breaking");
    assert_eq!(json["classification"]["changes"][0]["class"], "breaking");
    let (code, _, _) = cli(&["diff", base, base, "--fail-on", "needs-review"]);
    assert_eq!(code, 0, "no change passes any gate");
}

#[test]
fn check_fails_on_an_expired_item_and_warns_before() {
    let dir = test_support::TempDir::new("expiry");
    let spec = dir.join("spec.toml");
    let text =
        fixture("base.toml").replacen("expires = \"2099-12-31\"", "expires = \"2030-01-31\"", 1);
    std::fs::write(&spec, &text).unwrap_or_else(|e| panic!("{e}"));
    let path = spec.display().to_string();
    let (code, _, err) = cli(&["check", &path, "--today", "2030-02-01"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("error[E0032]: item `product_name` expired on 2030-01-31"),
        "{err}"
    );
    assert!(err.contains("set `status = \"removed\"`"), "{err}");
    let (code, _, err) = cli(&["check", &path, "--today", "2030-01-10"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("warning[W0007]: item `product_name` expires on 2030-01-31, in 21 day(s)"),
        "{err}"
    );
    let (code, _, err) = cli(&["check", &path, "--today", "2029-12-01"]);
    assert_eq!((code, err.contains("W0007")), (0, false), "{err}");
    // The boundaries: expired on the day itself; warned exactly 30 days before, not 31.
    for (today, expected) in [
        ("2030-01-31", (1, "E0032")),
        ("2030-01-30", (0, "W0007")),
        ("2030-01-01", (0, "W0007")),
        ("2029-12-31", (0, "")),
    ] {
        let (code, _, err) = cli(&["check", &path, "--today", today]);
        let found = ["E0032", "W0007"]
            .into_iter()
            .find(|c| err.contains(c))
            .unwrap_or("");
        assert_eq!((code, found), expected, "{today}: {err}");
    }
    let versioned = text.replacen("expires = \"2099-12-31\"", "expires = \"2.0.0\"", 1);
    std::fs::write(&spec, versioned).unwrap_or_else(|e| panic!("{e}"));
    let (code, _, err) = cli(&["check", &path, "--today", "2029-01-01"]);
    assert_eq!(
        code, 0,
        "without --product-version a version expiry is not judged: {err}"
    );
    let (code, _, err) = cli(&[
        "check",
        &path,
        "--today",
        "2029-01-01",
        "--product-version",
        "2.0.0",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("expired with version 2.0.0"), "{err}");
    // A release candidate of the version counts as the version.
    let (code, _, err) = cli(&["check", &path, "--product-version", "2.0.0-rc.1"]);
    assert_eq!(code, 1, "{err}");
    // The minor version before a minor-version expiry is warned; a major-version expiry is not
    // (which minor comes last before a major is not known).
    let minor = text.replacen("expires = \"2099-12-31\"", "expires = \"2.1.0\"", 1);
    std::fs::write(&spec, minor).unwrap_or_else(|e| panic!("{e}"));
    for (version, warned) in [("2.0.3", true), ("1.9.4", false), ("2.1.0-rc.2", false)] {
        let (code, _, err) = cli(&["check", &path, "--product-version", version]);
        assert_eq!(err.contains("W0007"), warned, "{version}: {err}");
        assert_eq!(code, u8::from(version == "2.1.0-rc.2"), "{version}: {err}");
    }
}

#[test]
fn the_review_request_keeps_its_shape() {
    let (code, out, err) = cli(&[
        "review",
        "tests/fixtures/diff/base.toml",
        "tests/fixtures/diff/changed.toml",
    ]);
    assert_eq!(code, 0, "{err}");
    for part in [
        "## Product version (`product_version`): breaking",
        "### Reviewer's decision",
        "| Owner | Telemetry team |",
    ] {
        assert!(out.contains(part), "{part} missing:\n{out}");
    }
    snapshot!("review__changed", out);
    let (_, added, _) = cli(&[
        "review",
        "tests/fixtures/diff/base.toml",
        "tests/fixtures/diff/added.toml",
    ]);
    snapshot!("review__added", added);
}

#[test]
fn the_real_spec_expires_only_where_honest_and_names_owner_and_review() {
    let spec = crate::real_spec();
    assert!(highest(&classify(&spec, &spec)).is_none());
    for item in &spec.items {
        assert_eq!(item.owner, "Camunda Optimize team", "{}", item.id);
        assert!(item.review.is_some(), "{}", item.id);
        // Only the license key's raw body, a catch-all, is reviewed again at the next major
        // version; every other item is kept for as long as its purpose holds.
        let expected = if item.id == "license_raw" {
            telemetry_spec::Expiry::Version("4.0.0".into())
        } else {
            telemetry_spec::Expiry::Never
        };
        assert_eq!(item.expires, expected, "{}", item.id);
    }
}

#[test]
fn a_retired_path_or_a_vanished_history_or_an_optional_object_is_classified() {
    // Dropping a removed item from the spec and putting another item at its path.
    let old = with_enum("\"a\"", "status = \"removed\"\nremoved-in = \"1.1.0\"\n");
    let reused = with_enum("\"a\"", "")
        .replace("id = \"product_mode\"", "id = \"product_flavour\"")
        .replace("source = \"product.mode\"", "source = \"product.flavour\"");
    assert_eq!(
        classes(&old, &reused),
        [
            (Class::NeedsReview, "added".to_owned()),
            (Class::NeedsReview, "history".to_owned()),
            (Class::Breaking, "path".to_owned()),
        ]
    );
    // Making an object optional changes what receivers may get.
    let nested =
        with_enum("\"a\"", "").replace("path = \"product.mode\"", "path = \"extras.mode\"");
    let optional = format!("{nested}\n[[object]]\npath = \"extras\"\nif-unavailable = \"omit\"\n");
    assert_eq!(
        classes(&nested, &optional),
        [(Class::Breaking, "object:extras".to_owned())]
    );
    assert_eq!(
        classes(&optional, &nested),
        [(Class::NeedsReview, "object:extras".to_owned())]
    );
}
