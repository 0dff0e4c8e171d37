//! What the integration tests of both packages share: the workspace's paths, the real spec
//! validated, the settings that keep every snapshot in the top-level `snapshots/`, and a
//! builder for the runtime's configuration file. A dev-dependency only; it knows the runtime
//! by its file format, never by its types, so it does not depend on the runtime.

pub mod config;

pub use config::ConfigBuilder;
// The snapshot macro names insta through this crate, so its users need not.
pub use insta;

use std::path::PathBuf;

/// The workspace root (this crate lives in `test-support/`).
pub fn repo_root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.parent().map(PathBuf::from).unwrap_or(here)
}

/// The one directory of snapshots, shared by both packages: the same file locks the example
/// payload in the compiler and in the runtime.
pub fn snapshots_dir() -> PathBuf {
    repo_root().join("snapshots")
}

/// The real spec, validated; a test fails loudly, with every diagnostic, if it does not
/// validate.
pub fn real_spec() -> telemetry_spec::ValidSpec {
    let checked = telemetry_spec::load(&repo_root().join("spec/telemetry.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let rendered = checked.render();
    checked
        .into_spec()
        .unwrap_or_else(|_| panic!("the real spec must be valid:\n{rendered}"))
}

/// Asserts against the snapshot `snapshots/<name>.snap`: no module prefix, no expression in
/// the header, so both packages read and write the same files.
#[macro_export]
macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        $crate::insta::with_settings!({
            snapshot_path => $crate::snapshots_dir(),
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            $crate::insta::assert_snapshot!($name, $value);
        })
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_paths_are_the_workspaces() {
        assert!(repo_root().join("Cargo.toml").is_file());
        assert!(repo_root().join("spec/telemetry.toml").is_file());
        assert!(snapshots_dir().join("example_payload.snap").is_file());
    }
}
