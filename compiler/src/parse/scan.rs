//! The shortest way through a chunk: a hand-written scanner for the plainest TOML a spec is
//! made of, one pass over the bytes with no token or event buffer.
//!
//! It takes only `[name]`/`[[name]]` headers and `bare-key = value` lines, whose values are
//! one-line strings without escapes, decimal integers, decimal fractions, booleans and arrays
//! of those, with spaces, tabs, comments and line breaks between. Everything else (an escape,
//! an inline table, a quoted or dotted key, a date, a multi-line string, an odd line break)
//! gives `None` and the chunk goes to toml_parser's events (see `fast`), so this never has
//! to decide anything subtle: what it accepts, TOML accepts with the same meaning. So does a
//! key its table does not have, or one written twice: the full reading reports those.

use std::borrow::Cow;

use super::fast::{Index, Kind, Table, slot};
use crate::model::{RawValue, SString, Spanned};

/// Arrays nested deeper than this go the longer way, which applies TOML's own limit.
const MAX_NESTING: u32 = 8;

/// The tables of `chunk` (which starts at byte `base` of the document), or `None` if the
/// chunk is not plain enough to scan.
pub(super) fn tables(chunk: &str, base: usize) -> Option<Vec<Table<'_>>> {
    let mut s = Scanner {
        text: chunk,
        at: 0,
        base,
    };
    let mut tables: Vec<Table<'_>> = Vec::new();
    // The place after the last key of the current table.
    let mut next = 0;
    loop {
        s.spaces();
        match s.peek() {
            None => return Some(tables),
            Some(b'\n' | b'\r' | b'#') => s.end_of_line()?,
            Some(b'[') => {
                let start = s.at;
                let array = s.text.as_bytes().get(start + 1) == Some(&b'[');
                s.at += if array { 2 } else { 1 };
                let (name, _) = s.bare_key()?;
                s.eat(if array { "]]" } else { "]" })?;
                let kind = Kind::of(name, array)?;
                // TOML refuses a second `[product]`; the full reading says so.
                if kind == Kind::Product && tables.iter().any(|t| t.kind == kind) {
                    return None;
                }
                tables.push(Table {
                    kind,
                    span: start + base..s.at + base,
                    entries: Vec::with_capacity(kind.keys().len().min(16)),
                    index: Some(Index::empty()),
                });
                next = 0;
                s.spaces();
                s.end_of_line()?;
            }
            Some(_) => {
                // Keys before any header belong to the document itself: never plain.
                let table = tables.last_mut()?;
                let (key, span) = s.bare_key()?;
                s.spaces();
                s.eat("=")?;
                s.spaces();
                let value = s.value(0)?;
                // An unknown key, or one written twice, is for the full reading to report.
                let at = slot(table.kind.keys(), key, next)?;
                let index = &mut table.index.as_mut()?.0;
                if index[at] != Index::ABSENT {
                    return None;
                }
                index[at] = u8::try_from(table.entries.len()).ok()?;
                next = at + 1;
                table
                    .entries
                    .push((SString::new(Cow::Borrowed(key), span), Some(value)));
                s.spaces();
                s.end_of_line()?;
            }
        }
    }
}

/// The bytes of a bare key (`A-Za-z0-9_-`), as a table: one load per byte.
const BARE_KEY: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || c == b'_' || c == b'-';
        b += 1;
    }
    table
};

struct Scanner<'t> {
    text: &'t str,
    at: usize,
    base: usize,
}

impl<'t> Scanner<'t> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn rest(&self) -> &'t [u8] {
        &self.text.as_bytes()[self.at..]
    }

    fn eat(&mut self, what: &str) -> Option<()> {
        self.rest().starts_with(what.as_bytes()).then(|| {
            self.at += what.len();
        })
    }

    /// Spaces and tabs, TOML's only whitespace within a line.
    fn spaces(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.at += 1;
        }
    }

    /// An optional comment, then a line break or the end of the chunk.
    fn end_of_line(&mut self) -> Option<()> {
        if self.peek() == Some(b'#') {
            let rest = self.rest();
            let len = rest.iter().position(|&b| b == b'\n' || b == b'\r');
            let comment = &rest[..len.unwrap_or(rest.len())];
            // Control characters other than tab are not allowed in a comment.
            if comment
                .iter()
                .any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f)
            {
                return None;
            }
            self.at += comment.len();
        }
        match self.peek() {
            None => {}
            Some(b'\n') => self.at += 1,
            Some(b'\r') => self.eat("\r\n")?,
            Some(_) => return None,
        }
        Some(())
    }

    /// Spaces, comments and line breaks, as allowed between the values of an array.
    fn blank(&mut self) -> Option<()> {
        loop {
            self.spaces();
            match self.peek() {
                Some(b'\n' | b'\r' | b'#') => self.end_of_line()?,
                _ => return Some(()),
            }
        }
    }

    fn span_from(&self, start: usize) -> crate::source::Span {
        start + self.base..self.at + self.base
    }

    fn bare_key(&mut self) -> Option<(&'t str, crate::source::Span)> {
        let start = self.at;
        let len = self
            .rest()
            .iter()
            .position(|&b| !BARE_KEY[usize::from(b)])
            .unwrap_or(self.rest().len());
        if len == 0 {
            return None;
        }
        self.at += len;
        Some((&self.text[start..self.at], self.span_from(start)))
    }

    fn value(&mut self, depth: u32) -> Option<Spanned<RawValue<'t>>> {
        let start = self.at;
        let value = match self.peek()? {
            quote @ (b'"' | b'\'') => RawValue::String(Cow::Borrowed(self.string(quote)?)),
            b'[' if depth < MAX_NESTING => {
                self.at += 1;
                let mut values = Vec::new();
                loop {
                    self.blank()?;
                    if self.peek() == Some(b']') {
                        break;
                    }
                    values.push(self.value(depth + 1)?);
                    self.blank()?;
                    match self.peek()? {
                        b',' => self.at += 1,
                        b']' => {}
                        _ => return None,
                    }
                }
                self.at += 1;
                RawValue::Array(values)
            }
            b't' if self.eat("true").is_some() => self.ended(RawValue::Boolean(true))?,
            b'f' if self.eat("false").is_some() => self.ended(RawValue::Boolean(false))?,
            b'+' | b'-' | b'0'..=b'9' => self.number()?,
            _ => return None,
        };
        Some(Spanned::new(value, self.span_from(start)))
    }

    /// `value` if what follows can end a value; `1.5e3`, `1979-05-27` and the like cannot.
    fn ended(&self, value: RawValue<'t>) -> Option<RawValue<'t>> {
        match self.peek() {
            None | Some(b' ' | b'\t' | b'\n' | b'\r' | b'#' | b',' | b']') => Some(value),
            Some(_) => None,
        }
    }

    /// A one-line string without escapes, between `quote`s; the content is borrowed.
    fn string(&mut self, quote: u8) -> Option<&'t str> {
        let rest = self.rest();
        // `""` followed by a third quote opens a multi-line string.
        if rest.get(1) == Some(&quote) && rest.get(2) == Some(&quote) {
            return None;
        }
        // The closing quote (or an escape, which the scanner leaves to toml_parser), found with
        // memchr; then the content, checked for control characters in one pass without branches.
        let len = memchr::memchr2(quote, b'\\', &rest[1..])?;
        if rest[1 + len] != quote
            || rest[1..1 + len].iter().fold(false, |bad, &b| {
                bad | ((b < 0x20 && b != b'\t') || b == 0x7f)
            })
        {
            return None;
        }
        let content = &self.text[self.at + 1..self.at + 1 + len];
        self.at += len + 2;
        Some(content)
    }

    /// A decimal integer, or a fraction `digits.digits`: no exponent, no underscores, no
    /// leading zeros (which TOML refuses), nothing that fits no `i64`.
    fn number(&mut self) -> Option<RawValue<'t>> {
        let start = self.at;
        if matches!(self.peek(), Some(b'+' | b'-')) {
            self.at += 1;
        }
        let digits = |s: &mut Self| {
            let len = s
                .rest()
                .iter()
                .position(|b| !b.is_ascii_digit())
                .unwrap_or(s.rest().len());
            s.at += len;
            len
        };
        let whole_at = self.at;
        let whole = digits(self);
        if whole == 0 || (whole > 1 && self.text.as_bytes()[whole_at] == b'0') {
            return None;
        }
        let value = if self.peek() == Some(b'.') {
            self.at += 1;
            if digits(self) == 0 {
                return None;
            }
            RawValue::Float(self.text[start..self.at].parse().ok()?)
        } else {
            RawValue::Integer(self.text[start..self.at].parse().ok()?)
        };
        self.ended(value)
    }
}
