//! Diagnostics: what is wrong with a spec, where, and how to fix it.
//!
//! Every problem is a [`Diagnostic`] with a stable code, so that tests, CI logs and the
//! per-item `allow` list can refer to it. Rendering follows the compiler convention
//! `path:line:col: severity[CODE]: message`, followed by the offending line and help notes.

use std::fmt::Write as _;

use crate::source::{SourceFile, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

macro_rules! codes {
    ($( $variant:ident = $code:literal, $name:literal, $severity:ident: $summary:literal; )*) => {
        /// Every diagnostic the compiler can emit. Codes never change meaning once released.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code { $( $variant, )* }

        impl Code {
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            /// The stable code, such as `E0008`.
            pub fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $code, )* }
            }

            /// A kebab-case name; lints can be allowed by it.
            pub fn name(self) -> &'static str {
                match self { $( Code::$variant => $name, )* }
            }

            pub fn severity(self) -> Severity {
                match self { $( Code::$variant => Severity::$severity, )* }
            }

            /// One sentence on what the rule protects.
            pub fn summary(self) -> &'static str {
                match self { $( Code::$variant => $summary, )* }
            }
        }
    };
}

codes! {
    InvalidUtf8 = "E0001", "invalid-utf8", Error:
        "The spec must be UTF-8 text.";
    TomlSyntax = "E0002", "toml-syntax", Error:
        "The spec must be valid TOML.";
    UnknownKey = "E0003", "unknown-key", Error:
        "Only documented keys are accepted, so a typo never silently drops information.";
    MissingKey = "E0004", "missing-key", Error:
        "Every required key must be present.";
    WrongValueType = "E0005", "wrong-value-type", Error:
        "Each key takes one kind of TOML value.";
    DuplicateId = "E0006", "duplicate-id", Error:
        "Item, category and source ids are unique.";
    DuplicatePath = "E0007", "duplicate-path", Error:
        "Two items cannot be sent under the same JSON path.";
    PathPrefix = "E0008", "path-prefix", Error:
        "An item's path cannot be a prefix of another item's path: one JSON key cannot be both a value and an object.";
    InvalidPath = "E0009", "invalid-path", Error:
        "A path is dot-separated segments of letters, digits, `-` and `_`, each starting with a letter.";
    InvalidIdentifier = "E0010", "invalid-identifier", Error:
        "Ids and source fields become Rust identifiers: snake_case, not a keyword.";
    UnknownCategory = "E0011", "unknown-category", Error:
        "An item's category must be declared with [[category]].";
    UnknownType = "E0012", "unknown-type", Error:
        "An item's type is one of the closed set the compiler knows.";
    UnknownSource = "E0013", "unknown-source", Error:
        "An item's source must be declared with [[source]].";
    InvalidExample = "E0014", "invalid-example", Error:
        "An item's example must be a value of its type; it is what the disclosure shows.";
    EmptyText = "E0015", "empty-text", Error:
        "Labels, descriptions and titles are what reviewers read; they cannot be empty.";
    InvalidVersion = "E0016", "invalid-version", Error:
        "Versions (`spec-version`, `since`, `removed-in`) are semantic versions such as 1.2.0.";
    UnknownSensitivity = "E0017", "unknown-sensitivity", Error:
        "Sensitivity is one of a closed set of classes.";
    NameCollision = "E0018", "name-collision", Error:
        "Two paths or source fields would generate the same Rust name.";
    InvalidKeys = "E0019", "invalid-keys", Error:
        "A map item lists its keys exactly once, and only map items have keys.";
    DuplicateSourceField = "E0020", "duplicate-source-field", Error:
        "Each source field feeds exactly one item.";
    NoItems = "E0021", "no-items", Error:
        "A spec without items would disclose and send nothing.";
    UnknownLint = "E0022", "unknown-lint", Error:
        "`allow` lists only lint names that exist.";
    InvalidRule = "E0023", "invalid-rule", Error:
        "A rule (`min`, `max`, `values`, `unit`, `fields`, `key-pattern`, `max-keys`, `max-length`, `max-items`, `if-unavailable`, `fallback`) fits its item's type and is consistent.";
    MissingRule = "E0024", "missing-rule", Error:
        "Enums list their `values`, open maps a `key-pattern` and `max-keys`, records their `fields`, and a fallback item its `fallback`: nothing unbounded or undeclared can be sent.";
    UnknownUnit = "E0025", "unknown-unit", Error:
        "A number's `unit` is one of a closed set, so reviewers read the same words everywhere.";
    MissingFailureRule = "E0026", "missing-failure-rule", Error:
        "An item whose values cannot be the text \"Unknown\" states what is sent when its source fails: `if-unavailable = \"omit\"`, `\"null\"` or `\"fallback\"`.";
    InvalidObject = "E0027", "invalid-object", Error:
        "An `[[object]]` names an object of the payload that holds items, and every item in it may be absent.";
    InvalidExpiry = "E0028", "invalid-expiry", Error:
        "`expires` is a date (YYYY-MM-DD), a product version, or \"never\"; \"never\" only for an item that states its `purpose`.";
    InvalidStatus = "E0029", "invalid-status", Error:
        "`status` is `active`, `deprecated` or `removed`; a removed item names the version that stopped sending it in `removed-in`, and only a removed item has `removed-in`.";
    RemovedPathReused = "E0030", "removed-path-reused", Error:
        "The path of a removed item is never used again: receivers of older reports would read a different value under the same key.";
    ReviewRequired = "E0031", "review-required", Error:
        "Identifying and business-confidential items name the approval they were collected under in `review`.";
    Expired = "E0032", "expired", Error:
        "An item past its `expires` date or version may no longer be collected: renew it after a review, or remove it.";
    MissingSensitivity = "W0001", "missing-sensitivity", Warning:
        "Every item should state how sensitive it is.";
    MissingPurpose = "W0002", "missing-purpose", Warning:
        "Identifying and business-confidential items should say why they are collected.";
    ShortDescription = "W0003", "short-description", Warning:
        "A description should tell a reviewer what the value is, not just name it.";
    DuplicateLabel = "W0004", "duplicate-label", Warning:
        "Two rows with one label on the disclosure page confuse reviewers.";
    UnusedSource = "W0005", "unused-source", Warning:
        "A declared source that feeds no item is dead weight in the generated trait.";
    MissingReview = "W0006", "missing-review", Warning:
        "Every item should name the approval it was collected under in `review`.";
    ExpiresSoon = "W0007", "expires-soon", Warning:
        "An item that expires within 30 days (or with the next minor version) needs a renewal or a removal soon.";
    MissingUnit = "W0008", "missing-unit", Warning:
        "A `number` should state its `unit`, or a reviewer cannot tell what 1.5 means.";
}

impl Code {
    pub fn is_lint(self) -> bool {
        self.severity() == Severity::Warning
    }

    /// A lint looked up by its name or code, as written in an item's `allow` list.
    pub fn lint(name: &str) -> Option<Code> {
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.is_lint() && (c.name() == name || c.as_str() == name))
    }
}

/// One problem found in a spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub message: String,
    pub span: Span,
    pub help: Vec<String>,
}

impl Diagnostic {
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            span,
            help: Vec::new(),
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help.push(help.into());
        self
    }

    pub fn severity(&self) -> Severity {
        self.code.severity()
    }

    /// The one-line form, `path:line:col: error[CODE]: message`.
    pub fn headline(&self, file: &SourceFile) -> String {
        let pos = file.position(self.span.start);
        format!(
            "{}:{}:{}: {}[{}]: {}",
            file.name(),
            pos.line,
            pos.col,
            self.severity().as_str(),
            self.code.as_str(),
            self.message
        )
    }

    /// The full form: headline, the offending line with the span underlined, and help notes.
    pub fn render(&self, file: &SourceFile) -> String {
        let mut out = self.headline(file);
        out.push('\n');
        let pos = file.position(self.span.start);
        let line = file.line_text(pos.line);
        let number = pos.line.to_string();
        let gutter = " ".repeat(number.len());
        let end = file.position(self.span.end.max(self.span.start));
        let width = if end.line == pos.line {
            end.col.saturating_sub(pos.col).max(1)
        } else {
            line.chars().count().saturating_sub(pos.col - 1).max(1)
        };
        let (shown, caret_col) = excerpt(line, pos.col - 1);
        let width = width.min(shown.chars().count().saturating_sub(caret_col).max(1));
        let _ = writeln!(out, "{gutter} |");
        let _ = writeln!(out, "{number} | {shown}");
        let _ = writeln!(
            out,
            "{gutter} | {}{}",
            " ".repeat(caret_col),
            "^".repeat(width)
        );
        for help in &self.help {
            let _ = writeln!(out, "{gutter} = help: {help}");
        }
        out
    }
}

/// At most this many characters of a source line are shown, so a 1 MB line stays readable.
const EXCERPT_CHARS: usize = 100;

/// A printable window of `line` around character `col` (0-based), and the caret column in it.
fn excerpt(line: &str, col: usize) -> (String, usize) {
    let count = line.chars().count();
    let start = if count <= EXCERPT_CHARS {
        0
    } else {
        col.saturating_sub(EXCERPT_CHARS / 2)
            .min(count - EXCERPT_CHARS)
    };
    let mut shown: String = line
        .chars()
        .skip(start)
        .take(EXCERPT_CHARS)
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect();
    let mut caret = col - start;
    if start > 0 {
        shown.insert(0, '…');
        caret += 1;
    }
    if start + EXCERPT_CHARS < count {
        shown.push('…');
    }
    (shown, caret)
}

/// Renders all diagnostics, errors first within the order of the file, and a summary line.
pub fn render_all(file: &SourceFile, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        out.push_str(&d.render(file));
        out.push('\n');
    }
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity() == Severity::Error)
        .count();
    let warnings = diagnostics.len() - errors;
    if errors + warnings > 0 {
        let _ = writeln!(
            out,
            "{}: {} error{}, {} warning{}",
            file.name(),
            errors,
            if errors == 1 { "" } else { "s" },
            warnings,
            if warnings == 1 { "" } else { "s" }
        );
    }
    out
}

/// Orders diagnostics by position, then code, so output is stable whatever order rules ran in.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        (a.span.start, a.code, &a.message).cmp(&(b.span.start, b.code, &b.message))
    });
}

/// The closest candidate to `word` by edit distance, if it is plausibly a typo of it.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    // Comparing against a 1 MB word is pointless and quadratic: nobody typo'd that.
    if word.len() > 64 {
        return None;
    }
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let cats = ["general", "environment"];
        assert_eq!(did_you_mean("enviroment", cats), Some("environment"));
        assert_eq!(did_you_mean("Generl", cats), Some("general"));
        assert_eq!(did_you_mean("database", cats), None);
    }

    #[test]
    fn codes_are_unique_and_lints_are_warnings() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()), "duplicate code {}", c.as_str());
            assert!(seen.insert(c.name()), "duplicate name {}", c.name());
            assert_eq!(c.is_lint(), c.as_str().starts_with('W'));
        }
        assert_eq!(
            Code::lint("short-description"),
            Some(Code::ShortDescription)
        );
        assert_eq!(Code::lint("W0003"), Some(Code::ShortDescription));
        assert_eq!(Code::lint("duplicate-id"), None);
    }

    #[test]
    fn renders_headline_snippet_and_help() {
        let file = SourceFile::new("spec.toml", "[x]\ncategory = \"enviroment\"\n");
        let d = Diagnostic::new(
            Code::UnknownCategory,
            15..27,
            "unknown category `enviroment`",
        )
        .with_help("did you mean `environment`?");
        assert_eq!(
            d.render(&file),
            "spec.toml:2:12: error[E0011]: unknown category `enviroment`\n  |\n2 | category = \"enviroment\"\n  |            ^^^^^^^^^^^^\n  = help: did you mean `environment`?\n"
        );
    }

    #[test]
    fn long_lines_are_cut_around_the_column() {
        let line = "x".repeat(5000);
        let (shown, caret) = excerpt(&line, 2500);
        assert_eq!(shown.chars().count(), EXCERPT_CHARS + 2);
        assert_eq!(caret, EXCERPT_CHARS / 2 + 1);
    }
}
