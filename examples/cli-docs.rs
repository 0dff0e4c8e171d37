//! Makes the man pages (`docs/man/`) and the shell completions (`docs/completions/`) of both
//! commands, `optimize-telemetry` and `telemetry-spec`, from their clap definitions.
//!
//! `cargo run --example cli-docs` writes them; `cargo run --example cli-docs -- --check` writes
//! nothing and exits 1 listing stale files. The test `ops::committed_man_pages_and_completions_are_not_stale`
//! runs the same check.

use std::path::{Path, PathBuf};

use clap::CommandFactory as _;
use clap_complete::Shell;

/// Where the man pages go, relative to the repository.
pub const MAN_DIR: &str = "docs/man";
/// Where the completions go, relative to the repository.
pub const COMPLETIONS_DIR: &str = "docs/completions";
/// The command that regenerates every file.
pub const REGENERATE: &str = "cargo run --example cli-docs";

/// Every generated file: its path relative to the repository and its content.
pub fn files() -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for cmd in [
        optimize_telemetry::cli::Cli::command(),
        telemetry_spec::cli::command(),
    ] {
        let mut cmd = cmd;
        cmd.build();
        let name = cmd.get_name().to_owned();
        out.push((
            Path::new(MAN_DIR).join(format!("{name}.1")),
            man(cmd.clone()),
        ));
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            // clap names are `&'static str` without its `string` feature; a page name lives as
            // long as this short-lived generator anyway.
            let page: &'static str = format!("{name}-{}", sub.get_name()).leak();
            let mut sub = sub.clone().name(page);
            if let Some(version) = cmd.get_version() {
                sub = sub.version(version.to_owned().leak() as &'static str);
            }
            out.push((Path::new(MAN_DIR).join(format!("{page}.1")), man(sub)));
        }
        for (shell, file) in [
            (Shell::Bash, format!("{name}.bash")),
            (Shell::Zsh, format!("_{name}")),
            (Shell::Fish, format!("{name}.fish")),
        ] {
            let mut text = Vec::new();
            clap_complete::generate(shell, &mut cmd.clone(), &name, &mut text);
            out.push((Path::new(COMPLETIONS_DIR).join(file), text));
        }
    }
    out
}

fn man(cmd: clap::Command) -> Vec<u8> {
    let mut page = Vec::new();
    // Rendering into a Vec cannot fail.
    let _ = clap_mangen::Man::new(cmd).render(&mut page);
    page
}

/// The files under `root` that differ from what [`files`] makes, or that it no longer makes.
pub fn stale(root: &Path) -> Vec<PathBuf> {
    let expected = files();
    let mut stale: Vec<PathBuf> = expected
        .iter()
        .filter(|(path, content)| std::fs::read(root.join(path)).ok().as_ref() != Some(content))
        .map(|(path, _)| path.clone())
        .collect();
    for dir in [MAN_DIR, COMPLETIONS_DIR] {
        for entry in std::fs::read_dir(root.join(dir))
            .into_iter()
            .flatten()
            .flatten()
        {
            let path = Path::new(dir).join(entry.file_name());
            if !expected.iter().any(|(p, _)| *p == path) {
                stale.push(path);
            }
        }
    }
    stale
}

#[allow(dead_code)] // Only the binary runs it; the test includes this file for `stale`.
fn main() -> std::process::ExitCode {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    if std::env::args().any(|a| a == "--check") {
        let stale = stale(&root);
        if stale.is_empty() {
            return std::process::ExitCode::SUCCESS;
        }
        for path in stale {
            eprintln!("stale: {}", path.display());
        }
        eprintln!("regenerate with `{REGENERATE}`");
        return std::process::ExitCode::from(1);
    }
    for dir in [MAN_DIR, COMPLETIONS_DIR] {
        let dir = root.join(dir);
        // Files no longer generated go too.
        let _ = std::fs::remove_dir_all(&dir);
        if let Err(e) = std::fs::create_dir_all(&dir) {
            eprintln!("cli-docs: error: cannot create {}: {e}", dir.display());
            return std::process::ExitCode::from(2);
        }
    }
    for (path, content) in files() {
        if let Err(e) = std::fs::write(root.join(&path), content) {
            eprintln!("cli-docs: error: cannot write {}: {e}", path.display());
            return std::process::ExitCode::from(2);
        }
        println!("wrote {}", path.display());
    }
    std::process::ExitCode::SUCCESS
}
