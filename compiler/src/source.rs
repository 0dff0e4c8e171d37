//! The text of one spec file and the mapping from byte offsets to `line:col` positions.
//!
//! Diagnostics carry byte spans; only rendering turns them into human positions, so the cost of
//! counting columns is paid once per reported diagnostic, not once per parsed token, and the
//! lines are only found when a first position is asked for.

use std::ops::Range;

/// A byte range in a [`SourceFile`].
pub type Span = Range<usize>;

/// A spec file: the name it is reported under and its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    name: String,
    text: String,
    line_starts: std::sync::OnceLock<Vec<usize>>,
}

/// A 1-based position; the column counts Unicode scalar values, as rustc does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub col: usize,
}

impl SourceFile {
    /// `name` is what diagnostics print, normally the path as the user typed it.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            text: text.into(),
            line_starts: std::sync::OnceLock::new(),
        }
    }

    fn line_starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(self.text.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The position of a byte offset; offsets past the end or inside a UTF-8 sequence are clamped.
    pub fn position(&self, offset: usize) -> Position {
        let offset = self.floor_char_boundary(offset.min(self.text.len()));
        let line = self.line_index(offset);
        let start = self.line_starts()[line];
        let col = self.text[start..offset].chars().count() + 1;
        Position {
            line: line + 1,
            col,
        }
    }

    /// The text of the 1-based `line`, without its line break.
    pub fn line_text(&self, line: usize) -> &str {
        let Some(&start) = self.line_starts().get(line.saturating_sub(1)) else {
            return "";
        };
        let end = self
            .line_starts()
            .get(line)
            .map_or(self.text.len(), |&next| next - 1);
        self.text[start..end].trim_end_matches('\r')
    }

    fn line_index(&self, offset: usize) -> usize {
        match self.line_starts().binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    fn floor_char_boundary(&self, mut offset: usize) -> usize {
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_chars() {
        let file = SourceFile::new("x.toml", "a = 1\nbé = \"x\"\n");
        assert_eq!(file.position(0), Position { line: 1, col: 1 });
        assert_eq!(file.position(6), Position { line: 2, col: 1 });
        // `=` after the two-byte `é`: byte 9, but the fourth character of the line.
        assert_eq!(file.position(10), Position { line: 2, col: 4 });
        assert_eq!(file.line_text(2), "bé = \"x\"");
    }

    #[test]
    fn out_of_range_offsets_are_clamped() {
        let file = SourceFile::new("x.toml", "é");
        assert_eq!(file.position(1), Position { line: 1, col: 1 });
        assert_eq!(file.position(99), Position { line: 1, col: 2 });
        assert_eq!(file.line_text(7), "");
    }
}
