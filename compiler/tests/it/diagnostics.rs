//! The corpus of broken specs in `tests/fixtures/bad/`: each file named after a diagnostic code
//! must produce that code, and every file's rendered diagnostics are snapshotted.

use std::collections::BTreeSet;

use telemetry_spec::{Severity, check, check_at};

use crate::{fixed_at, repo_root, snapshot, synthetic};

fn fixtures() -> Vec<(String, Vec<u8>)> {
    let dir = repo_root().join("tests/fixtures/bad");
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{e}"));
            (name, bytes)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn every_rule_has_a_failing_fixture_with_its_diagnostics_snapshotted() {
    let fixtures = fixtures();
    let mut covered = BTreeSet::new();
    for (name, bytes) in &fixtures {
        let checked = check_at(&format!("tests/fixtures/bad/{name}"), bytes, &fixed_at());
        assert!(checked.has_errors(), "{name} must fail validation");
        assert!(checked.spec.is_none(), "{name} must not yield a spec");
        let codes: BTreeSet<&str> = checked
            .diagnostics
            .iter()
            .map(|d| d.code.as_str())
            .collect();
        if let Some(expected) = name.get(..5).filter(|p| p.starts_with('E')) {
            assert!(
                codes.contains(expected),
                "{name} must report {expected}, got {codes:?}:\n{}",
                checked.render()
            );
            covered.insert(expected.to_owned());
        }
        let stem = name.trim_end_matches(".toml");
        snapshot!(format!("diagnostics__{stem}"), checked.render());
    }
    let all_errors: BTreeSet<String> = telemetry_spec::Code::ALL
        .iter()
        .filter(|c| c.severity() == Severity::Error)
        .map(|c| c.as_str().to_owned())
        .collect();
    let uncovered: Vec<_> = all_errors.difference(&covered).collect();
    assert!(
        uncovered.is_empty(),
        "error codes without a fixture: {uncovered:?}"
    );
}

#[test]
fn one_run_reports_every_problem() {
    let (_, bytes) = fixtures()
        .into_iter()
        .find(|(n, _)| n == "many-errors.toml")
        .unwrap_or_else(|| panic!("many-errors.toml is missing"));
    let checked = check("many-errors.toml", &bytes);
    let codes: BTreeSet<&str> = checked
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect();
    assert!(
        codes.len() >= 6,
        "expected many distinct problems, got {codes:?}"
    );
}

#[test]
fn a_one_megabyte_line_is_diagnosed_quickly_and_shown_briefly() {
    // A fixed base, so that editing the real spec does not move the snapshot's line numbers.
    let spec = std::fs::read_to_string(repo_root().join("tests/fixtures/bad/E0021-no-items.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let long = "x".repeat(1 << 20);
    // An unterminated 1 MB string: a syntax error at the end of a huge line.
    let broken = format!("{spec}\n[[item]]\ndescription = \"{long}\n");
    let started = std::time::Instant::now();
    let checked = check("one-mb-line.toml", broken.as_bytes());
    let rendered = checked.render();
    assert!(checked.has_errors());
    assert!(
        rendered.len() < 2_000,
        "a huge line must be cut in the output"
    );
    snapshot!("diagnostics__one-mb-line", rendered);
    // The same 1 MB value, well-formed, is accepted; the unknown key around it is reported.
    let valid = format!("{spec}\n[[item]]\ncolour = \"{long}\"\n");
    let checked = check("one-mb-value.toml", valid.as_bytes());
    assert!(
        checked
            .diagnostics
            .iter()
            .any(|d| d.code.as_str() == "E0003")
    );
    assert!(checked.render().len() < 4_000);
    assert!(
        started.elapsed().as_secs() < 10,
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn no_prefix_of_the_real_spec_panics_and_each_ends_in_a_verdict() {
    let spec =
        std::fs::read(repo_root().join("spec/telemetry.toml")).unwrap_or_else(|e| panic!("{e}"));
    for len in (0..spec.len()).step_by(3) {
        let checked = check("prefix.toml", &spec[..len]);
        // Either valid, or at least one error: never an invalid spec without a reason.
        assert!(
            checked.spec.is_some() || checked.has_errors(),
            "prefix of {len} bytes"
        );
        let _ = checked.render();
    }
}

#[test]
fn checking_is_deterministic() {
    for (name, bytes) in fixtures() {
        assert_eq!(
            check(&name, &bytes).render(),
            check(&name, &bytes).render(),
            "{name}"
        );
    }
}

#[test]
fn large_specs_checked_on_several_threads_still_see_across_items() {
    // Above the size at which items are checked in parallel; the cross-item rules must still
    // compare items that different threads checked.
    let valid = synthetic::spec(5_000);
    let checked = check("large.toml", valid.as_bytes());
    assert!(checked.diagnostics.is_empty(), "{}", checked.render());
    assert_eq!(checked.spec.map(|s| s.items.len()), Some(5_000));

    let duplicate_id = valid.replacen("id = \"item_4999\"", "id = \"item_3\"", 1);
    let checked = check("large.toml", duplicate_id.as_bytes());
    let duplicates = checked
        .diagnostics
        .iter()
        .filter(|d| d.code.as_str() == "E0006")
        .count();
    assert_eq!(duplicates, 1, "{}", checked.render());

    let prefix = valid.replacen(
        "path = \"group49.section9.field-4999\"",
        "path = \"group0.section0.field-0.deeper\"",
        1,
    );
    let checked = check("large.toml", prefix.as_bytes());
    assert!(
        checked
            .diagnostics
            .iter()
            .any(|d| d.code.as_str() == "E0008"),
        "{}",
        checked.render()
    );
}
