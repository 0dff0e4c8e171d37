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

// Shared with the runtime's tests (test-support): the workspace root, the real spec
// validated, and the snapshot settings that keep every snapshot in `snapshots/`.
pub use test_support::{real_spec, repo_root, snapshot};

/// The synthetic specs of the benchmarks.
#[path = "../../benches/support/synthetic.rs"]
mod synthetic;

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
