//! Lints: each fixture in `tests/fixtures/lint/` named after a warning code reports it; `allow`
//! silences a lint for one item; warnings only fail `check` with `--deny-warnings`.

use telemetry_spec::{Severity, check_at};

use crate::{fixed_at, repo_root};

#[test]
fn each_lint_fixture_reports_its_warning_and_nothing_else() {
    let dir = repo_root().join("tests/fixtures/lint");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(Result::ok)
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        let bytes = std::fs::read(entry.path()).unwrap_or_else(|e| panic!("{e}"));
        let checked = check_at(&name, &bytes, &fixed_at());
        assert!(!checked.has_errors(), "{name}: {}", checked.render());
        let codes: Vec<&str> = checked
            .diagnostics
            .iter()
            .map(|d| d.code.as_str())
            .collect();
        if name.starts_with('W') {
            assert_eq!(codes, [&name[..5]], "{name}");
            assert!(
                checked
                    .diagnostics
                    .iter()
                    .all(|d| d.severity() == Severity::Warning)
            );
            seen += 1;
        } else {
            assert!(
                codes.is_empty(),
                "{name}: `allow` must silence the lints: {codes:?}"
            );
        }
    }
    let lints = telemetry_spec::Code::ALL
        .iter()
        .filter(|c| c.is_lint())
        .count();
    assert_eq!(seen, lints, "every lint has a fixture");
}
