//! The short way through a chunk: toml_parser's events (the same lexer and parser the `toml`
//! crate runs) read straight into the raw spec, without first building a TOML document whose
//! every table is an ordered hash map that is then searched key by key.
//!
//! It only takes what a well-formed spec is made of: `[product]` and `[[category]]`,
//! `[[source]]`, `[[item]]` and `[[object]]` tables of known keys, each once, with values of
//! the kinds those keys take. Anything else (a syntax error, a dotted key, a date, an unknown
//! or repeated key, a value of the wrong kind) gives the chunk back untouched, to be read the
//! full way, which then reports exactly what is wrong; so diagnostics never come from here.

use std::borrow::Cow;

use toml_parser::Source;
use toml_parser::decoder::ScalarKind;
use toml_parser::parser::{Event, EventKind, RecursionGuard, ValidateWhitespace};

use super::{
    CATEGORY_KEYS, Fields, ITEM_KEYS, OBJECT_KEYS, PRODUCT_KEYS, Partial, SOURCE_KEYS, Way,
    category, item, object, product, source,
};
use crate::model::{RawValue, SString, Spanned};
use crate::source::Span;

/// The nesting toml allows (its own limit), so that both ways accept the same documents.
pub(super) const DEPTH: u32 = 80;

/// Reads `chunk`, which starts at byte `base` of the document, into `part`. `false`: the chunk
/// is not plain enough (see the module documentation) and `part` is unchanged. `events` is a
/// buffer reused from chunk to chunk. With `way` [`Way::Scan`], the plainest chunks (nearly all
/// of them) are first scanned by hand (see `scan`).
pub(super) fn read<'t>(
    chunk: &'t str,
    base: usize,
    part: &mut Partial<'t>,
    events: &mut Vec<Event>,
    way: Way,
) -> bool {
    let scanned = match way {
        Way::Scan => super::scan::tables(chunk, base),
        Way::Events | Way::Full => None,
    };
    let Some(tables) = scanned.or_else(|| by_events(chunk, base, events)) else {
        return false;
    };
    // Straight into `part` (a chunk is one item, and moving items again costs), taken back
    // if a later table of the chunk is not plain.
    let before = [
        part.products.len(),
        part.categories.len(),
        part.sources.len(),
        part.items.len(),
        part.objects.len(),
    ];
    for table in tables {
        let Table {
            kind,
            span,
            entries,
            index,
        } = table;
        let mut fields = Entries {
            entries,
            keys: kind.keys(),
            index,
            next: 0,
            ok: true,
        };
        match kind {
            Kind::Product => part.products.push(product(&mut fields, span)),
            Kind::Category => part.categories.push(category(&mut fields, span)),
            Kind::Source => part.sources.push(source(&mut fields, span)),
            Kind::Item => part.items.push(item(&mut fields, span)),
            Kind::Object => part.objects.push(object(&mut fields, span)),
        }
        // A value of the wrong kind, or a key nothing took: an unknown key.
        if !fields.ok || fields.entries.iter().any(|(_, v)| v.is_some()) {
            let [products, categories, sources, items, objects] = before;
            part.products.truncate(products);
            part.categories.truncate(categories);
            part.sources.truncate(sources);
            part.items.truncate(items);
            part.objects.truncate(objects);
            return false;
        }
    }
    true
}

/// The tables of `chunk` read from toml_parser's events, or `None` if it is not plain.
fn by_events<'t>(chunk: &'t str, base: usize, events: &mut Vec<Event>) -> Option<Vec<Table<'t>>> {
    let text = Source::new(chunk);
    let tokens = text.lex().into_vec();
    events.clear();
    let mut error = None;
    {
        let mut whitespace = ValidateWhitespace::new(events, text);
        let mut guard = RecursionGuard::new(&mut whitespace, DEPTH);
        toml_parser::parser::parse_document(&tokens, &mut guard, &mut error);
    }
    if error.is_some() {
        return None;
    }
    let mut cursor = Cursor {
        events,
        at: 0,
        source: text,
        base,
    };
    cursor.document()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Product,
    Category,
    Source,
    Item,
    Object,
}

impl Kind {
    /// The table a header opens: `[product]` is a table, the others arrays of tables.
    pub(super) fn of(name: &str, array: bool) -> Option<Kind> {
        match (name, array) {
            ("product", false) => Some(Kind::Product),
            ("category", true) => Some(Kind::Category),
            ("source", true) => Some(Kind::Source),
            ("item", true) => Some(Kind::Item),
            ("object", true) => Some(Kind::Object),
            _ => None,
        }
    }

    pub(super) fn keys(self) -> &'static [&'static str] {
        match self {
            Kind::Product => PRODUCT_KEYS,
            Kind::Category => CATEGORY_KEYS,
            Kind::Source => SOURCE_KEYS,
            Kind::Item => ITEM_KEYS,
            Kind::Object => OBJECT_KEYS,
        }
    }
}

pub(super) type Entry<'t> = (SString<'t>, Option<Spanned<RawValue<'t>>>);

pub(super) struct Table<'t> {
    pub(super) kind: Kind,
    /// The header, as the full reading spans a table.
    pub(super) span: Span,
    pub(super) entries: Vec<Entry<'t>>,
    /// Where each of the kind's keys is in `entries`, when the scanner read the table (which
    /// takes only known keys, each once): a lookup instead of a search.
    pub(super) index: Option<Index>,
}

/// The most keys a table kind has (an item's), so that an [`Index`] fits them all.
pub(super) const MAX_KEYS: usize = 32;
const _: () = assert!(ITEM_KEYS.len() <= MAX_KEYS);

/// Position in a table's entries of each of its kind's keys, by the key's place in
/// [`Kind::keys`]; [`Index::ABSENT`] where the table does not have the key.
#[derive(Clone, Copy)]
pub(super) struct Index(pub(super) [u8; MAX_KEYS]);

impl Index {
    pub(super) const ABSENT: u8 = u8::MAX;

    pub(super) fn empty() -> Self {
        Index([Self::ABSENT; MAX_KEYS])
    }
}

/// The place of `key` among `keys`, looked for from `from` on first: tables are nearly always
/// written, and always read, in the order of their keys.
pub(super) fn slot(keys: &[&str], key: &str, from: usize) -> Option<usize> {
    let same = |at: &usize| keys[*at].as_bytes() == key.as_bytes();
    (from..keys.len())
        .find(same)
        .or_else(|| (0..from.min(keys.len())).find(same))
}

struct Cursor<'e, 't> {
    events: &'e [Event],
    at: usize,
    source: Source<'t>,
    base: usize,
}

impl<'t> Cursor<'_, 't> {
    fn next(&mut self) -> Option<Event> {
        let event = self.events.get(self.at).copied();
        self.at += 1;
        event
    }

    fn peek(&self) -> Option<EventKind> {
        self.events.get(self.at).map(Event::kind)
    }

    /// Skips spaces; with `lines`, also line breaks and comments (inside arrays and tables).
    fn skip(&mut self, lines: bool) {
        while let Some(kind) = self.peek() {
            match kind {
                EventKind::Whitespace => {}
                EventKind::Newline | EventKind::Comment if lines => {}
                _ => return,
            }
            self.at += 1;
        }
    }

    /// The next event after spaces, if it is of `kind`.
    fn expect(&mut self, kind: EventKind) -> Option<Event> {
        self.skip(false);
        self.next().filter(|e| e.kind() == kind)
    }

    fn span(&self, from: Event, to: Event) -> Span {
        from.span().start() + self.base..to.span().end() + self.base
    }

    fn document(&mut self) -> Option<Vec<Table<'t>>> {
        let mut tables: Vec<Table<'t>> = Vec::new();
        while let Some(event) = self.next() {
            match event.kind() {
                EventKind::Whitespace | EventKind::Comment | EventKind::Newline => {}
                kind @ (EventKind::StdTableOpen | EventKind::ArrayTableOpen) => {
                    let array = kind == EventKind::ArrayTableOpen;
                    let name = self.expect(EventKind::SimpleKey)?;
                    let name = self.key(name)?;
                    let close = if array {
                        EventKind::ArrayTableClose
                    } else {
                        EventKind::StdTableClose
                    };
                    let end = self.expect(close)?;
                    let kind = Kind::of(&name.value, array)?;
                    // TOML refuses a second `[product]`; the full reading says so.
                    if kind == Kind::Product && tables.iter().any(|t| t.kind == kind) {
                        return None;
                    }
                    tables.push(Table {
                        kind,
                        span: self.span(event, end),
                        entries: Vec::with_capacity(kind.keys().len().min(16)),
                        index: None,
                    });
                }
                EventKind::SimpleKey => {
                    // Keys before any header belong to the document itself: never plain.
                    let table = tables.last_mut()?;
                    let key = Self::decode_key(self.source, self.base, event)?;
                    self.expect(EventKind::KeyValSep)?;
                    self.skip(false);
                    let value = self.value()?;
                    if table.entries.iter().any(|(k, _)| k.value == key.value) {
                        return None;
                    }
                    table.entries.push((key, Some(value)));
                }
                _ => return None,
            }
        }
        Some(tables)
    }

    fn key(&self, event: Event) -> Option<SString<'t>> {
        Self::decode_key(self.source, self.base, event)
    }

    fn decode_key(source: Source<'t>, base: usize, event: Event) -> Option<SString<'t>> {
        let raw = source.get(event)?;
        let mut decoded = Cow::Borrowed("");
        let mut error = None;
        raw.decode_key(&mut decoded, &mut error);
        let span = event.span();
        error
            .is_none()
            .then(|| Spanned::new(decoded, span.start() + base..span.end() + base))
    }

    fn value(&mut self) -> Option<Spanned<RawValue<'t>>> {
        let event = self.next()?;
        match event.kind() {
            EventKind::Scalar => self.scalar(event),
            EventKind::ArrayOpen => {
                let mut values = Vec::new();
                loop {
                    self.skip(true);
                    if self.peek() == Some(EventKind::ArrayClose) {
                        break;
                    }
                    values.push(self.value()?);
                    self.skip(true);
                    match self.peek()? {
                        EventKind::ValueSep => self.at += 1,
                        EventKind::ArrayClose => {}
                        _ => return None,
                    }
                }
                let close = self.next()?;
                Some(Spanned::new(
                    RawValue::Array(values),
                    self.span(event, close),
                ))
            }
            EventKind::InlineTableOpen => {
                let mut entries: Vec<(SString<'t>, Spanned<RawValue<'t>>)> = Vec::new();
                loop {
                    self.skip(true);
                    match self.next()? {
                        close if close.kind() == EventKind::InlineTableClose => {
                            return Some(Spanned::new(
                                RawValue::Table(entries),
                                self.span(event, close),
                            ));
                        }
                        key if key.kind() == EventKind::SimpleKey => {
                            let key = self.key(key)?;
                            self.expect(EventKind::KeyValSep)?;
                            self.skip(false);
                            let value = self.value()?;
                            if entries.iter().any(|(k, _)| k.value == key.value) {
                                return None;
                            }
                            entries.push((key, value));
                        }
                        _ => return None,
                    }
                    self.skip(true);
                    match self.peek()? {
                        EventKind::ValueSep => self.at += 1,
                        EventKind::InlineTableClose => {}
                        _ => return None,
                    }
                }
            }
            _ => None,
        }
    }

    /// A scalar as the full reading converts it (see `Reader::raw_value`); dates are left to it.
    fn scalar(&self, event: Event) -> Option<Spanned<RawValue<'t>>> {
        let raw = self.source.get(event)?;
        let mut decoded = Cow::Borrowed("");
        let mut error = None;
        let kind = raw.decode_scalar(&mut decoded, &mut error);
        if error.is_some() {
            return None;
        }
        let value = match kind {
            ScalarKind::String => RawValue::String(decoded),
            ScalarKind::Boolean(b) => RawValue::Boolean(b),
            ScalarKind::Float => RawValue::Float(decoded.parse().unwrap_or(f64::NAN)),
            ScalarKind::Integer(radix) => i64::from_str_radix(&decoded, radix.value())
                .map_or(RawValue::Float(f64::NAN), RawValue::Integer),
            ScalarKind::DateTime => return None,
        };
        let span = event.span();
        Some(Spanned::new(
            value,
            span.start() + self.base..span.end() + self.base,
        ))
    }
}

/// The entries of one table, taken by the readers of [`Fields`]; `ok` turns false at a value
/// of the wrong kind.
struct Entries<'t> {
    entries: Vec<Entry<'t>>,
    /// The keys of the table's kind, and where each is in `entries` (see [`Table::index`]).
    keys: &'static [&'static str],
    index: Option<Index>,
    /// The place after the key asked for last.
    next: usize,
    ok: bool,
}

impl<'t> Entries<'t> {
    fn take(&mut self, key: &str) -> Option<Spanned<RawValue<'t>>> {
        let entry = match &self.index {
            Some(index) => {
                let at = slot(self.keys, key, self.next)?;
                self.next = at + 1;
                match index.0[at] {
                    Index::ABSENT => return None,
                    entry => self.entries.get_mut(usize::from(entry))?,
                }
            }
            None => self.entries.iter_mut().find(|(k, _)| k.value == key)?,
        };
        entry.1.take()
    }

    /// `f` of the value of `key`; a value `f` refuses makes the table not plain.
    fn kind<T>(
        &mut self,
        key: &str,
        f: impl FnOnce(Spanned<RawValue<'t>>) -> Option<T>,
    ) -> Option<T> {
        let value = self.take(key)?;
        let converted = f(value);
        self.ok &= converted.is_some();
        converted
    }
}

fn text(value: Spanned<RawValue<'_>>) -> Option<SString<'_>> {
    match value.value {
        RawValue::String(s) => Some(Spanned::new(s, value.span)),
        _ => None,
    }
}

impl<'t> Fields<'t> for Entries<'t> {
    fn string(&mut self, key: &str) -> Option<SString<'t>> {
        self.kind(key, text)
    }

    fn string_list(&mut self, key: &str) -> Option<Spanned<Vec<SString<'t>>>> {
        self.kind(key, |v| match v.value {
            RawValue::Array(values) => Some(Spanned::new(
                values.into_iter().map(text).collect::<Option<_>>()?,
                v.span,
            )),
            _ => None,
        })
    }

    fn value(&mut self, key: &str) -> Option<Spanned<RawValue<'t>>> {
        self.take(key)
    }

    fn number(&mut self, key: &str) -> Option<Spanned<f64>> {
        self.kind(key, |v| match v.value {
            RawValue::Integer(i) => Some(Spanned::new(i as f64, v.span)),
            RawValue::Float(f) if f.is_finite() => Some(Spanned::new(f, v.span)),
            _ => None,
        })
    }

    fn integer(&mut self, key: &str) -> Option<Spanned<i64>> {
        self.kind(key, |v| match v.value {
            RawValue::Integer(i) => Some(Spanned::new(i, v.span)),
            _ => None,
        })
    }

    fn string_table(&mut self, key: &str) -> Option<Spanned<Vec<(SString<'t>, SString<'t>)>>> {
        self.kind(key, |v| match v.value {
            RawValue::Table(entries) => Some(Spanned::new(
                entries
                    .into_iter()
                    .map(|(k, v)| Some((k, text(v)?)))
                    .collect::<Option<_>>()?,
                v.span,
            )),
            _ => None,
        })
    }
}
