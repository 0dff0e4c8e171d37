//! `telemetry-spec`: the compiler of Optimize's telemetry spec.
//!
//! The pipeline is parse -> validate -> generate. [`check`] runs the first two on bytes and
//! returns a [`ValidSpec`] or the diagnostics; generators ([`codegen::rust`],
//! [`example::example_json`]) are pure functions of a `ValidSpec`. File I/O lives only in
//! [`load`] and the command-line tool.

pub mod buildscript;
pub mod codegen;
pub mod diagnostic;
pub mod example;
mod fastmap;
pub mod model;
pub mod naming;
pub mod parse;
pub mod source;
pub mod types;
pub mod validate;

#[cfg(feature = "cli")]
pub mod cli;

use std::path::Path;

pub use diagnostic::{Code, Diagnostic, Severity};
pub use model::ValidSpec;
pub use source::SourceFile;

/// The result of checking one spec: the file (for rendering), the spec if it is valid, and every
/// diagnostic (errors and warnings) in file order.
#[derive(Debug, Clone)]
pub struct Checked {
    pub file: SourceFile,
    pub spec: Option<ValidSpec>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity() == Severity::Error)
    }

    /// Every diagnostic rendered with its source line, plus a summary line.
    pub fn render(&self) -> String {
        diagnostic::render_all(&self.file, &self.diagnostics)
    }

    /// Only the spec, if there was no error.
    pub fn into_spec(self) -> Result<ValidSpec, Box<Checked>> {
        match self.spec {
            Some(spec) if !self.has_errors() => Ok(spec),
            _ => Err(Box::new(self)),
        }
    }
}

/// Parses and validates spec bytes reported under `name`. Never panics, whatever the bytes.
pub fn check(name: &str, bytes: &[u8]) -> Checked {
    let mut diagnostics = Vec::new();
    let (text, utf8) = parse::decode(bytes, &mut diagnostics);
    let file = SourceFile::new(name, text);
    let spec = if utf8 {
        parse::parse(file.text(), &mut diagnostics)
            .and_then(|spec| validate::validate(&file, &spec, &mut diagnostics))
    } else {
        None
    };
    diagnostic::sort(&mut diagnostics);
    Checked {
        file,
        spec,
        diagnostics,
    }
}

/// Why a spec file could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read spec `{path}`: no such file")]
    NotFound { path: String },
    #[error("cannot read spec `{path}`: it is a directory, not a file")]
    IsDirectory { path: String },
    #[error("cannot read spec `{path}`: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Reads a spec file; the name in diagnostics is the path as given.
pub fn read(path: &Path) -> Result<Vec<u8>, LoadError> {
    let shown = path.display().to_string();
    if path.is_dir() {
        return Err(LoadError::IsDirectory { path: shown });
    }
    std::fs::read(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => LoadError::NotFound { path: shown },
        std::io::ErrorKind::IsADirectory => LoadError::IsDirectory { path: shown },
        _ => LoadError::Io {
            path: shown,
            source,
        },
    })
}

/// Reads and checks a spec file.
pub fn load(path: &Path) -> Result<Checked, LoadError> {
    let bytes = read(path)?;
    Ok(check(&path.display().to_string(), &bytes))
}
