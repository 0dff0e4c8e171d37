//! What the runtime's `build.rs` does, as a testable function: check the spec, generate the Rust
//! code into `OUT_DIR`, and turn every diagnostic into a cargo directive.
//!
//! Expiry is reported as warnings only, never as build errors: unlike Glean, a build must not
//! start failing on a date, or an old release could no longer be rebuilt. `telemetry-spec check`
//! (run in CI on every change and every release) is where an expired item fails.

use std::path::Path;

use crate::{Severity, codegen};

/// Checks `spec`, writes the generated code to `out_file` (only if it changed) and returns the
/// lines build.rs must print: `cargo::rerun-if-changed`, and `cargo::error=`/`cargo::warning=`
/// for every diagnostic. Any `cargo::error` line fails the build.
pub fn run(spec: &Path, out_file: &Path) -> Vec<String> {
    let mut lines = vec![format!("cargo::rerun-if-changed={}", spec.display())];
    let checked = match crate::load(spec) {
        Ok(checked) => checked,
        Err(err) => {
            lines.push(format!("cargo::error={err}"));
            return lines;
        }
    };
    for d in &checked.diagnostics {
        let directive = match d.severity() {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        lines.push(format!("cargo::{directive}={}", d.headline(&checked.file)));
        for help in &d.help {
            lines.push(format!("cargo::{directive}=  help: {help}"));
        }
    }
    let origin = spec.display().to_string();
    let file = checked.file.clone();
    let spec = match checked.into_spec() {
        Ok(spec) => spec,
        Err(_) => {
            lines.push(format!(
                "cargo::error=the telemetry spec has errors; run `telemetry-spec check {origin}` to see each in context"
            ));
            return lines;
        }
    };
    for d in crate::expiry::check(&spec, &crate::expiry::At::now()) {
        lines.push(format!("cargo::warning={}", d.headline(&file)));
        if d.severity() == Severity::Error {
            lines.push(
                "cargo::warning=  note: the build goes on; `telemetry-spec check` fails on it"
                    .to_owned(),
            );
        }
        for help in &d.help {
            lines.push(format!("cargo::warning=  help: {help}"));
        }
    }
    let code = codegen::rust_with_origin(&spec, &origin);
    // Rewriting identical output would make cargo recompile the crate for nothing.
    if std::fs::read_to_string(out_file).ok().as_deref() != Some(code.as_str())
        && let Err(err) = std::fs::write(out_file, code)
    {
        lines.push(format!(
            "cargo::error=cannot write {}: {err}",
            out_file.display()
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("telemetry-spec-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        dir
    }

    #[test]
    fn a_broken_spec_fails_the_build_with_every_diagnostic() {
        let dir = temp_dir("broken");
        let spec = dir.join("telemetry.toml");
        std::fs::write(&spec, "[product]\nname = \"x\"\nspec-version = \"1\"\n")
            .unwrap_or_else(|e| panic!("{e}"));
        let out = dir.join("telemetry.rs");
        let lines = run(&spec, &out);
        let errors: Vec<&String> = lines
            .iter()
            .filter(|l| l.starts_with("cargo::error="))
            .collect();
        assert!(
            errors.iter().any(|l| l.contains(":3:16: error[E0016]")),
            "{lines:#?}"
        );
        assert!(
            errors.iter().any(|l| l.contains("error[E0021]")),
            "{lines:#?}"
        );
        assert!(!out.exists(), "no code is generated from a broken spec");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_expired_item_warns_but_does_not_fail_the_build() {
        let dir = temp_dir("expired");
        let spec = dir.join("telemetry.toml");
        let text = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../tests/fixtures/diff/base.toml"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let expired = text.replacen("expires = \"2099-12-31\"", "expires = \"2001-01-01\"", 1);
        assert_ne!(expired, text, "the fixture has an item to expire");
        std::fs::write(&spec, expired).unwrap_or_else(|e| panic!("{e}"));
        let out = dir.join("telemetry.rs");
        let lines = run(&spec, &out);
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("cargo::warning=") && l.contains("[E0032]")),
            "{lines:#?}"
        );
        assert!(
            !lines.iter().any(|l| l.starts_with("cargo::error=")),
            "{lines:#?}"
        );
        assert!(out.exists(), "the code is still generated");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_missing_spec_fails_the_build_with_a_clear_message() {
        let dir = temp_dir("missing");
        let lines = run(&dir.join("nope.toml"), &dir.join("out.rs"));
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("cargo::error=cannot read spec")
                    && l.ends_with("no such file")),
            "{lines:#?}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
