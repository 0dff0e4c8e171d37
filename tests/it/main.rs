//! Integration tests of the runtime crate: the generated code, the runtime over real loopback
//! HTTPS, scheduling on a paused clock, and the command line.

mod audit;
mod browser;
mod cli;
mod cluster;
mod collect;
mod compile_fail;
mod config_hostile;
mod consent;
mod control;
mod daemon;
mod faults;
mod follow;
mod hardening;
mod ops;
mod presend;
mod proxy;
mod runtime;
mod schedule;
mod sender;
mod sources;
mod store;
mod store_faults;
mod support;

use std::path::PathBuf;

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn real_spec() -> telemetry_spec::ValidSpec {
    let checked = telemetry_spec::load(&repo_root().join("spec/telemetry.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let rendered = checked.render();
    checked
        .into_spec()
        .unwrap_or_else(|_| panic!("the real spec must be valid:\n{rendered}"))
}

/// Asserts against a snapshot in the top-level `snapshots/` directory, shared with the
/// compiler's tests: the same file locks the example in both crates.
#[macro_export]
macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({
            snapshot_path => "../../snapshots",
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!($name, $value);
        })
    };
}
