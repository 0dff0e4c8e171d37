//! Integration tests of the spec compiler: the example payload lock, the corpus of broken specs,
//! and the command line as a real process.

mod camunda7;
mod cli;
mod compliance;
mod diagnostics;
mod diff;
mod docs;
mod example;
mod hostile;
mod lint;
mod markup;
mod schema;

/// The synthetic specs of the benchmarks.
#[path = "../../benches/support/synthetic.rs"]
mod synthetic;

use std::path::PathBuf;

/// The workspace root (the compiler lives in `compiler/`).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

/// The real spec, validated; a test fails loudly if it does not validate.
pub fn real_spec() -> telemetry_spec::ValidSpec {
    let checked = telemetry_spec::load(&repo_root().join("spec/telemetry.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let rendered = checked.render();
    checked
        .into_spec()
        .unwrap_or_else(|_| panic!("the real spec must be valid:\n{rendered}"))
}

/// The day and product version fixtures are judged at, so that expiry diagnostics do not
/// depend on when the tests run.
pub fn fixed_at() -> telemetry_spec::expiry::At {
    telemetry_spec::expiry::At {
        today: telemetry_spec::expiry::Date {
            year: 2030,
            month: 6,
            day: 1,
        },
        product_version: Some("3.15.0".to_owned()),
    }
}

/// Asserts against a snapshot in the top-level `snapshots/` directory, shared with the
/// runtime's tests.
#[macro_export]
macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({
            snapshot_path => "../../../snapshots",
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!($name, $value);
        })
    };
}
