//! What is wrong with a configuration, and where: every problem is a [`Diagnostic`] located in
//! the file (`path:line:col`) or at the environment variable that set the value, and all of them
//! are reported together.

use std::fmt;

/// Why the configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config `{path}`: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// Every problem found, in the order of the file, then the environment; one per line.
    #[error("{}", lines(.0))]
    Invalid(Vec<Diagnostic>),
}

fn lines(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(Diagnostic::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// One problem: `path:line:col: error: message` or `environment VAR: error: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub at: Location,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: error: {}", self.at, self.message)
    }
}

/// Where a value was set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A place in the file; line and column count from 1, the column in characters.
    File {
        path: String,
        line: usize,
        col: usize,
    },
    /// The environment variable holding the value.
    Env(&'static str),
}

impl Location {
    /// The line and column of byte `offset` in `text`, shown under the name `path`.
    pub(super) fn in_file(path: &str, text: &str, offset: usize) -> Self {
        let mut start = offset.min(text.len());
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        let before = &text[..start];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Location::File {
            path: path.to_owned(),
            line,
            col,
        }
    }

    /// Diagnostics sort by this: the file's in reading order, then the environment's.
    pub(super) fn order(&self) -> (u8, usize, usize) {
        match self {
            Location::File { line, col, .. } => (0, *line, *col),
            Location::Env(_) => (1, 0, 0),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File { path, line, col } => write!(f, "{path}:{line}:{col}"),
            Location::Env(var) => write!(f, "environment {var}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters_and_lines_start_at_one() {
        let text = "a = 1\n# é\nb = 2\n";
        let at = Location::in_file("c.toml", text, text.find("b").unwrap_or(0));
        assert_eq!(at.to_string(), "c.toml:3:1");
        let at = Location::in_file("c.toml", text, text.find("é").unwrap_or(0) + 2);
        assert_eq!(at.to_string(), "c.toml:2:4");
        // An offset inside a character is that character's column.
        let at = Location::in_file("c.toml", text, text.find("é").unwrap_or(0) + 1);
        assert_eq!(at.to_string(), "c.toml:2:3");
        let d = Diagnostic {
            at: Location::Env("X"),
            message: "`k` must be true or false".into(),
        };
        assert_eq!(
            d.to_string(),
            "environment X: error: `k` must be true or false"
        );
    }
}
