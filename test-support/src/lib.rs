//! What the integration tests of both packages share: the workspace's paths, the real spec
//! validated, the settings that keep every snapshot in the top-level `snapshots/`, and a
//! builder for the runtime's configuration file, temporary directories, and a small random
//! generator for tests over generated inputs. A dev-dependency only; it knows the runtime
//! by its file format, never by its types, so it does not depend on the runtime.

pub mod config;

pub use config::ConfigBuilder;
// The snapshot macro names insta through this crate, so its users need not.
pub use insta;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// A fresh directory under the system temp dir, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        // Unique within this process (tests run on several threads) and across processes.
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "ot-test-{name}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("cannot create `{}`: {e}", dir.display()));
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

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

/// A small deterministic random generator (xorshift) for tests that try many generated
/// inputs: the same seed gives the same inputs, so a failure can be found again.
pub struct Rng(pub u64);

impl Rng {
    /// A number below `n` (0 for an `n` of 0).
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
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
