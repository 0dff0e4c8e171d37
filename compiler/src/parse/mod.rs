//! Parsing: spec bytes to a spanned [`Spec`], reporting syntax errors, unknown keys, missing
//! keys and values of the wrong TOML kind. Nothing here knows what the values mean; that is
//! [`crate::validate`]'s job.

use toml::Spanned as TSpanned;
use toml::de::{DeTable, DeValue};

use crate::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::model::{
    RawCategory, RawItem, RawObject, RawProduct, RawSource, RawValue, SString, Spanned, Spec,
};
use crate::source::Span;

mod fast;
mod scan;

const TOP_KEYS: &[&str] = &["product", "category", "source", "item", "object"];
const OBJECT_KEYS: &[&str] = &["path", "if-unavailable"];
const PRODUCT_KEYS: &[&str] = &["name", "spec-version"];
const CATEGORY_KEYS: &[&str] = &["id", "title", "summary"];
const SOURCE_KEYS: &[&str] = &["id", "description"];
const ITEM_KEYS: &[&str] = &[
    "id",
    "category",
    "label",
    "description",
    "purpose",
    "path",
    "type",
    "keys",
    "optional-keys",
    "key-pattern",
    "max-keys",
    "fields",
    "values",
    "min",
    "max",
    "unit",
    "max-length",
    "max-items",
    "if-unavailable",
    "fallback",
    "example",
    "source",
    "sensitivity",
    "since",
    "allow",
    "owner",
    "review",
    "expires",
    "status",
    "removed-in",
];

/// Decodes spec bytes. On invalid UTF-8 reports the first bad byte and returns the valid
/// prefix (so positions can still be shown) and `false`: there is nothing to parse.
pub fn decode(bytes: &[u8], diags: &mut Vec<Diagnostic>) -> (String, bool) {
    match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_owned(), true),
        Err(err) => {
            let at = err.valid_up_to();
            diags.push(
                Diagnostic::new(
                    Code::InvalidUtf8,
                    at..at + err.error_len().unwrap_or(1),
                    format!(
                        "the spec is not UTF-8 text (invalid byte 0x{:02x})",
                        bytes.get(at).copied().unwrap_or(0)
                    ),
                )
                .with_help("save the file as UTF-8; a binary file is not a spec"),
            );
            (String::from_utf8_lossy(&bytes[..at]).into_owned(), false)
        }
    }
}

/// Parses spec text into a [`Spec`] borrowing from it, or reports why it is not TOML.
pub fn parse<'t>(text: &'t str, diags: &mut Vec<Diagnostic>) -> Option<Spec<'t>> {
    parse_text(text, diags)
}

/// Headers at which the document is cut into independently parsed chunks.
const CHUNK_HEADERS: &[&str] = &["item", "category", "source", "object"];

fn parse_text<'t>(text: &'t str, diags: &mut Vec<Diagnostic>) -> Option<Spec<'t>> {
    parse_with(text, diags, Way::Scan)
}

/// The ways a chunk may be read, shortest first; each falls back to the next. Only tests,
/// which hold the three against each other, start anywhere but at [`Way::Scan`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    /// [`scan::tables`], the hand-written scanner.
    Scan,
    /// [`fast::read`] on toml_parser's events.
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "only tests start at the events")
    )]
    Events,
    /// The `toml` crate's document, which also reports every error.
    Full,
}

fn parse_with<'t>(text: &'t str, diags: &mut Vec<Diagnostic>, way: Way) -> Option<Spec<'t>> {
    // The TOML parser buffers every token and event of its input, several times the size of
    // the text. Parsing the spec one `[[item]]`/`[[category]]`/`[[source]]` block at a time keeps
    // that buffer to one block, so memory grows with the spec, not with the parser's tokens,
    // and blocks can be parsed on several cores.
    // The cut is sound: a block can only parse on its own if it ends at a statement boundary,
    // where a line starting with `[[item]]` is that header; a cut inside a multi-line string or
    // array leaves the block unterminated, and the whole document is then parsed at once.
    let starts = chunk_starts(text);
    let ranges: Vec<Span> = starts
        .iter()
        .enumerate()
        .map(|(i, &start)| start..starts.get(i + 1).copied().unwrap_or(text.len()))
        .collect();
    let threads = crate::parallel::threads_for(text.len(), PARALLEL_BYTES);
    let groups: Vec<&[Span]> = ranges
        .chunks(ranges.len().div_ceil(threads).max(1))
        .collect();
    // A panicking parser counts as a failed cut: the whole document is parsed again at once.
    let parts = crate::parallel::map(&groups, threads, |group| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            parse_chunks(text, group, way)
        }))
        .ok()
        .flatten()
    });
    let mut merged: Option<Partial> = None;
    for part in parts {
        match (part, &mut merged) {
            (Some(part), Some(merged)) => {
                merged.items.reserve_exact(part.items.len());
                merged.append(part);
            }
            // The first part becomes the whole: its items are not moved again.
            (Some(part), None) => merged = Some(part),
            (None, _) => return parse_whole(text, diags),
        }
    }
    let merged = merged.unwrap_or_default();
    Some(merged.finish(diags))
}

/// Below this size a spec is parsed on one thread: spawning costs more than it saves.
const PARALLEL_BYTES: usize = 256 * 1024;

/// Parses consecutive chunks; `None` if one of them is not valid TOML on its own.
fn parse_chunks<'t>(text: &'t str, ranges: &[Span], way: Way) -> Option<Partial<'t>> {
    let mut part = Partial::default();
    // Nearly every chunk is one item: sized once, the largest vector of the parse does not
    // grow by doubling (and waste up to half of itself).
    part.items.reserve_exact(ranges.len());
    let mut events = Vec::new();
    for range in ranges {
        let chunk = &text[range.clone()];
        if way == Way::Full || !fast::read(chunk, range.start, &mut part, &mut events, way) {
            let doc = DeTable::parse(chunk).ok()?;
            part.read(doc.get_ref(), range.start);
        }
    }
    Some(part)
}

/// Parses the document in one piece: for exact syntax errors, or when a cut was not a header.
fn parse_whole<'t>(text: &'t str, diags: &mut Vec<Diagnostic>) -> Option<Spec<'t>> {
    let (doc, errors) = DeTable::parse_recoverable(text);
    if !errors.is_empty() {
        for err in errors {
            let span = err.span().unwrap_or(0..0);
            diags.push(Diagnostic::new(
                Code::TomlSyntax,
                span,
                format!("invalid TOML: {}", first_line(err.message())),
            ));
        }
        // A recovered document would only add confusing follow-up errors.
        return None;
    }
    let mut part = Partial::default();
    part.read(doc.get_ref(), 0);
    Some(part.finish(diags))
}

/// What some chunks of the document hold, to be appended in document order.
#[derive(Default)]
struct Partial<'t> {
    products: Vec<RawProduct<'t>>,
    categories: Vec<RawCategory<'t>>,
    sources: Vec<RawSource<'t>>,
    items: Vec<RawItem<'t>>,
    objects: Vec<RawObject<'t>>,
    diags: Vec<Diagnostic>,
    wrong: Vec<(usize, String)>,
}

impl<'t> Partial<'t> {
    fn append(&mut self, mut other: Partial<'t>) {
        self.products.append(&mut other.products);
        self.categories.append(&mut other.categories);
        self.sources.append(&mut other.sources);
        self.items.append(&mut other.items);
        self.objects.append(&mut other.objects);
        self.diags.append(&mut other.diags);
        self.wrong.append(&mut other.wrong);
    }

    fn finish(self, diags: &mut Vec<Diagnostic>) -> Spec<'t> {
        let mut products = self.products.into_iter();
        let product = products.next();
        // Within one chunk TOML itself refuses a second `[product]`; across chunks we must.
        for extra in products {
            diags.push(
                Diagnostic::new(
                    Code::TomlSyntax,
                    extra.span,
                    "invalid TOML: duplicate table `[product]`",
                )
                .with_help("a spec has exactly one `[product]` table"),
            );
        }
        diags.extend(self.diags);
        Spec {
            product,
            categories: self.categories,
            sources: self.sources,
            items: self.items,
            objects: self.objects,
            wrong_kind: self.wrong.into_iter().collect(),
        }
    }

    /// Reads the top-level tables of one chunk starting at byte `base` of the document.
    fn read(&mut self, doc: &DeTable<'t>, base: usize) {
        let (diags, wrong) = (&mut self.diags, &mut self.wrong);
        let mut top = Reader::new(doc, base..base, base, TOP_KEYS, "the spec", diags, wrong);
        if let Some(table) = top.table("product") {
            let product = top.nested(table, PRODUCT_KEYS, "[product]", |r, at| product(r, at));
            self.products.push(product);
        }
        for table in top.array_of_tables("category") {
            let what = "[[category]]";
            let category = top.nested(table, CATEGORY_KEYS, what, |r, at| category(r, at));
            self.categories.push(category);
        }
        for table in top.array_of_tables("source") {
            let source = top.nested(table, SOURCE_KEYS, "[[source]]", |r, at| source(r, at));
            self.sources.push(source);
        }
        for table in top.array_of_tables("item") {
            self.items
                .push(top.nested(table, ITEM_KEYS, "[[item]]", |r, at| item(r, at)));
        }
        for table in top.array_of_tables("object") {
            self.objects
                .push(top.nested(table, OBJECT_KEYS, "[[object]]", |r, at| object(r, at)));
        }
        top.finish();
    }
}

/// How the values of one table are read, whichever parser produced the table: each method
/// takes the value of `key` if it is present (and of the right kind).
trait Fields<'i> {
    fn string(&mut self, key: &str) -> Option<SString<'i>>;
    fn string_list(&mut self, key: &str) -> Option<Spanned<Vec<SString<'i>>>>;
    /// Any TOML value (an example or a fallback); its type is checked during validation.
    fn value(&mut self, key: &str) -> Option<Spanned<RawValue<'i>>>;
    /// A number, integer or float, as `f64` (bounds).
    fn number(&mut self, key: &str) -> Option<Spanned<f64>>;
    fn integer(&mut self, key: &str) -> Option<Spanned<i64>>;
    /// An inline table of strings, such as `fields = { count = "counter" }`, in written order.
    fn string_table(&mut self, key: &str) -> Option<Spanned<Vec<(SString<'i>, SString<'i>)>>>;
}

fn product<'i>(r: &mut impl Fields<'i>, span: Span) -> RawProduct<'i> {
    RawProduct {
        name: r.string("name"),
        spec_version: r.string("spec-version"),
        span,
    }
}

fn category<'i>(r: &mut impl Fields<'i>, span: Span) -> RawCategory<'i> {
    RawCategory {
        id: r.string("id"),
        title: r.string("title"),
        summary: r.string("summary"),
        span,
    }
}

fn source<'i>(r: &mut impl Fields<'i>, span: Span) -> RawSource<'i> {
    RawSource {
        id: r.string("id"),
        description: r.string("description"),
        span,
    }
}

fn item<'i>(r: &mut impl Fields<'i>, span: Span) -> RawItem<'i> {
    RawItem {
        id: r.string("id"),
        category: r.string("category"),
        label: r.string("label"),
        description: r.string("description"),
        purpose: r.string("purpose"),
        path: r.string("path"),
        value_type: r.string("type"),
        keys: r.string_list("keys"),
        optional_keys: r.string_list("optional-keys"),
        key_pattern: r.string("key-pattern"),
        max_keys: r.integer("max-keys"),
        fields: r.string_table("fields"),
        values: r.string_list("values"),
        min: r.number("min"),
        max: r.number("max"),
        unit: r.string("unit"),
        max_length: r.integer("max-length"),
        max_items: r.integer("max-items"),
        if_unavailable: r.string("if-unavailable"),
        fallback: r.value("fallback"),
        example: r.value("example"),
        source: r.string("source"),
        sensitivity: r.string("sensitivity"),
        since: r.string("since"),
        allow: r.string_list("allow"),
        owner: r.string("owner"),
        review: r.string("review"),
        expires: r.string("expires"),
        status: r.string("status"),
        removed_in: r.string("removed-in"),
        span,
    }
}

fn object<'i>(r: &mut impl Fields<'i>, span: Span) -> RawObject<'i> {
    RawObject {
        path: r.string("path"),
        if_unavailable: r.string("if-unavailable"),
        span,
    }
}

/// Byte offsets where a chunk starts: 0, and every line that is exactly a top-level
/// `[[item]]`, `[[category]]` or `[[source]]` header (spaces and a comment allowed).
fn chunk_starts(text: &str) -> Vec<usize> {
    chunks(text).into_iter().map(|(start, _)| start).collect()
}

/// Where each chunk starts, and whether it opens with `[[item]]`.
fn chunks(text: &str) -> Vec<(usize, bool)> {
    let bytes = text.as_bytes();
    let line_end = |start: usize| {
        bytes[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |p| start + p + 1)
    };
    let first_is_item = chunk_header(&text[..line_end(0)]) == Some("item");
    let mut starts = vec![(0, first_is_item)];
    // A header line's first non-blank byte is `[`, and `[` is rare elsewhere: find each one
    // (memchr), and look back over blanks to the line break that must precede it. The first
    // line, which has none, was looked at above.
    for at in memchr::memchr_iter(b'[', bytes) {
        let blanks = bytes[..at]
            .iter()
            .rev()
            .take_while(|b| matches!(b, b' ' | b'\t'))
            .count();
        let start = at - blanks;
        if start > 0
            && bytes[start - 1] == b'\n'
            && starts.last().is_none_or(|&(last, _)| last < start)
            && let Some(name) = chunk_header(&text[start..line_end(start)])
        {
            starts.push((start, name == "item"));
        }
    }
    starts
}

/// The table name of a header line at which the document is cut.
fn chunk_header(line: &str) -> Option<&str> {
    let rest = line.trim_start_matches([' ', '\t']).strip_prefix("[[")?;
    // `]]` looked for pair by pair: a header is short, and setting up a substring search (as
    // `split_once` does) cost more than all the rest of cutting a large spec.
    let close = rest.as_bytes().windows(2).position(|pair| pair == b"]]")?;
    let (name, after) = (&rest[..close], &rest[close + 2..]);
    let after = after.trim_start_matches([' ', '\t']);
    let name = name.trim_matches([' ', '\t']);
    (CHUNK_HEADERS.contains(&name) && (after.is_empty() || after.starts_with(['#', '\r', '\n'])))
        .then_some(name)
}

/// A spec cut for [`crate::validate::validate_groups`]: everything but the items, parsed, and
/// the chunks of the items in groups, each read by [`read_items`] while it is validated, so
/// that the raw items of the whole spec never exist at once.
pub(crate) struct Cut<'t> {
    /// The spec without its items.
    pub(crate) head: Spec<'t>,
    /// What parsing `head` found, to be reported before anything validation finds.
    pub(crate) diags: Vec<Diagnostic>,
    pub(crate) groups: Vec<Vec<Span>>,
    pub(crate) threads: usize,
}

/// Items per group: enough to be worth a task, few enough that a group's raw items (about a
/// kilobyte each) stay under the allocator's mmap threshold, so each group reuses the memory
/// the one before it freed instead of mapping (and faulting in) fresh pages.
const GROUP_ITEMS: usize = 64;

/// Cuts `text` for [`crate::validate::validate_groups`]; `None` when a chunk other than an
/// item's is not valid TOML on its own (then [`parse`] finds out what is wrong).
pub(crate) fn cut(text: &str) -> Option<Cut<'_>> {
    let starts = chunks(text);
    let (mut head, mut items) = (Vec::new(), Vec::new());
    for (i, &(start, is_item)) in starts.iter().enumerate() {
        let range = start..starts.get(i + 1).map_or(text.len(), |&(end, _)| end);
        if is_item {
            items.push(range);
        } else {
            head.push(range);
        }
    }
    let part = parse_chunks(text, &head, Way::Scan)?;
    // An item outside the cut item chunks (after a byte order mark, under a quoted header,
    // as an array of inline tables) is read by the whole-spec path, which knows where it is.
    if !part.items.is_empty() {
        return None;
    }
    let mut diags = Vec::new();
    let head = part.finish(&mut diags);
    Some(Cut {
        head,
        diags,
        groups: items.chunks(GROUP_ITEMS).map(<[Span]>::to_vec).collect(),
        threads: crate::parallel::threads_for(text.len(), PARALLEL_BYTES),
    })
}

/// The items of a group of item chunks, read the short ways; `None` if a chunk is not plain
/// or holds another table as well (the whole spec is then parsed and validated at once).
pub(crate) fn read_items<'t>(text: &'t str, group: &[Span]) -> Option<Vec<RawItem<'t>>> {
    std::panic::catch_unwind(|| {
        let mut part = Partial::default();
        part.items.reserve_exact(group.len());
        let mut events = Vec::new();
        for range in group {
            if !fast::read(
                &text[range.clone()],
                range.start,
                &mut part,
                &mut events,
                Way::Scan,
            ) {
                return None;
            }
        }
        let only_items = part.products.is_empty()
            && part.categories.is_empty()
            && part.sources.is_empty()
            && part.objects.is_empty()
            && part.diags.is_empty()
            && part.wrong.is_empty();
        only_items.then_some(part.items)
    })
    .ok()
    .flatten()
}

fn first_line(message: &str) -> &str {
    message.lines().next().unwrap_or(message).trim_end()
}

/// Reads the keys of one table, remembering which were read so the rest can be reported.
struct Reader<'a, 'i> {
    table: &'a DeTable<'i>,
    allowed: &'static [&'static str],
    what: &'static str,
    diags: &'a mut Vec<Diagnostic>,
    /// (table start, key) of keys present with a value of the wrong kind, so that validation
    /// does not also report them as missing.
    wrong: &'a mut Vec<(usize, String)>,
    span: Span,
    /// Where the parsed chunk starts in the document; added to every span.
    base: usize,
}

impl<'a, 'i> Reader<'a, 'i> {
    fn new(
        table: &'a DeTable<'i>,
        span: Span,
        base: usize,
        allowed: &'static [&'static str],
        what: &'static str,
        diags: &'a mut Vec<Diagnostic>,
        wrong: &'a mut Vec<(usize, String)>,
    ) -> Self {
        Self {
            table,
            allowed,
            what,
            diags,
            wrong,
            span,
            base,
        }
    }

    /// `read` of a table of this one (as [`Reader::table`] and [`Reader::array_of_tables`]
    /// give it), then its unknown keys reported.
    fn nested<T>(
        &mut self,
        (table, span): (&'a DeTable<'i>, Span),
        allowed: &'static [&'static str],
        what: &'static str,
        read: impl FnOnce(&mut Reader<'_, 'i>, Span) -> T,
    ) -> T {
        let (base, diags, wrong) = (self.base, &mut *self.diags, &mut *self.wrong);
        let mut r = Reader::new(table, span.clone(), base, allowed, what, diags, wrong);
        let value = read(&mut r, span);
        r.finish();
        value
    }

    /// A span of the chunk, as a span of the document.
    fn at<T>(&self, value: &TSpanned<T>) -> Span {
        let span = value.span();
        span.start + self.base..span.end + self.base
    }

    fn get(
        &self,
        key: &str,
    ) -> Option<(
        &'a TSpanned<toml::de::DeString<'i>>,
        &'a TSpanned<DeValue<'i>>,
    )> {
        self.table.get_key_value(key)
    }

    fn wrong_kind(&mut self, key: &str, value: &TSpanned<DeValue<'_>>, expected: &str) {
        self.wrong.push((self.span.start, key.to_owned()));
        let found = value.get_ref().type_str();
        let mut d = Diagnostic::new(
            Code::WrongValueType,
            self.at(value),
            format!(
                "`{key}` in {} must be {expected}, found {}",
                self.what,
                article(found)
            ),
        );
        if matches!(value.get_ref(), DeValue::Datetime(_)) && expected.contains("string") {
            d = d.with_help("TOML reads unquoted dates as datetimes: put the value in quotes");
        } else if matches!(value.get_ref(), DeValue::Boolean(_)) && expected.contains("string") {
            d = d.with_help("flags are sent as text: write \"true\" or \"false\" in quotes");
        }
        self.diags.push(d);
    }

    fn raw_value(&self, value: &TSpanned<DeValue<'i>>) -> Spanned<RawValue<'i>> {
        let raw = match value.get_ref() {
            DeValue::String(s) => RawValue::String(s.clone()),
            // An integer beyond i64 cannot be any item's value: NaN fails every numeric check.
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                .map_or(RawValue::Float(f64::NAN), RawValue::Integer),
            DeValue::Float(f) => RawValue::Float(f.as_str().parse().unwrap_or(f64::NAN)),
            DeValue::Boolean(b) => RawValue::Boolean(*b),
            DeValue::Datetime(d) => RawValue::Datetime(d.to_string()),
            DeValue::Array(array) => {
                RawValue::Array(array.iter().map(|e| self.raw_value(e)).collect())
            }
            DeValue::Table(table) => RawValue::Table(
                table
                    .iter()
                    .map(|(k, v)| {
                        (
                            Spanned::new(k.get_ref().clone(), self.at(k)),
                            self.raw_value(v),
                        )
                    })
                    .collect(),
            ),
        };
        Spanned::new(raw, self.at(value))
    }

    fn table(&mut self, key: &str) -> Option<(&'a DeTable<'i>, Span)> {
        let (_, value) = self.get(key)?;
        match value.get_ref() {
            DeValue::Table(t) => Some((t, self.at(value))),
            _ => {
                self.wrong_kind(key, value, &format!("a table `[{key}]`"));
                None
            }
        }
    }

    fn array_of_tables(&mut self, key: &str) -> Vec<(&'a DeTable<'i>, Span)> {
        let Some((_, value)) = self.get(key) else {
            return Vec::new();
        };
        let expected = format!("an array of tables `[[{key}]]`");
        let DeValue::Array(array) = value.get_ref() else {
            self.wrong_kind(key, value, &expected);
            return Vec::new();
        };
        let mut out = Vec::with_capacity(array.len());
        for element in array.iter() {
            match element.get_ref() {
                DeValue::Table(t) => out.push((t, self.at(element))),
                _ => self.wrong_kind(key, element, &expected),
            }
        }
        out
    }

    /// Reports every key this table has that is not allowed.
    fn finish(self) {
        for (key, _) in self.table.iter() {
            let name = key.get_ref();
            if self.allowed.contains(&name.as_ref()) {
                continue;
            }
            let mut d = Diagnostic::new(
                Code::UnknownKey,
                self.at(key),
                format!("unknown key `{}` in {}", shorten(name), self.what),
            );
            d = match did_you_mean(name, self.allowed.iter().copied()) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d.with_help(format!("allowed keys: {}", self.allowed.join(", "))),
            };
            self.diags.push(d);
        }
    }
}

impl<'i> Fields<'i> for Reader<'_, 'i> {
    fn string(&mut self, key: &str) -> Option<SString<'i>> {
        let (_, value) = self.get(key)?;
        match value.get_ref() {
            DeValue::String(s) => Some(Spanned::new(s.clone(), self.at(value))),
            _ => {
                self.wrong_kind(key, value, "a string");
                None
            }
        }
    }

    fn string_list(&mut self, key: &str) -> Option<Spanned<Vec<SString<'i>>>> {
        let (_, value) = self.get(key)?;
        let DeValue::Array(array) = value.get_ref() else {
            self.wrong_kind(key, value, "an array of strings");
            return None;
        };
        let mut out = Vec::with_capacity(array.len());
        for element in array.iter() {
            match element.get_ref() {
                DeValue::String(s) => out.push(Spanned::new(s.clone(), self.at(element))),
                _ => self.wrong_kind(key, element, "an array of strings"),
            }
        }
        Some(Spanned::new(out, self.at(value)))
    }

    fn value(&mut self, key: &str) -> Option<Spanned<RawValue<'i>>> {
        let (_, value) = self.get(key)?;
        Some(self.raw_value(value))
    }

    fn number(&mut self, key: &str) -> Option<Spanned<f64>> {
        let (_, value) = self.get(key)?;
        match self.raw_value(value) {
            Spanned {
                value: RawValue::Integer(i),
                span,
            } => Some(Spanned::new(i as f64, span)),
            Spanned {
                value: RawValue::Float(f),
                span,
            } if f.is_finite() => Some(Spanned::new(f, span)),
            _ => {
                self.wrong_kind(key, value, "a finite number");
                None
            }
        }
    }

    fn integer(&mut self, key: &str) -> Option<Spanned<i64>> {
        let (_, value) = self.get(key)?;
        match self.raw_value(value) {
            Spanned {
                value: RawValue::Integer(i),
                span,
            } => Some(Spanned::new(i, span)),
            _ => {
                self.wrong_kind(key, value, "an integer");
                None
            }
        }
    }

    fn string_table(&mut self, key: &str) -> Option<Spanned<Vec<(SString<'i>, SString<'i>)>>> {
        let (_, value) = self.get(key)?;
        let DeValue::Table(table) = value.get_ref() else {
            self.wrong_kind(key, value, "a table of strings");
            return None;
        };
        let mut out = Vec::with_capacity(table.len());
        for (k, v) in table.iter() {
            match v.get_ref() {
                DeValue::String(s) => out.push((
                    Spanned::new(k.get_ref().clone(), self.at(k)),
                    Spanned::new(s.clone(), self.at(v)),
                )),
                _ => self.wrong_kind(key, v, "a table of strings"),
            }
        }
        Some(Spanned::new(out, self.at(value)))
    }
}

fn article(kind: &str) -> String {
    match kind.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => format!("an {kind}"),
        _ => format!("a {kind}"),
    }
}

pub(crate) fn shorten(text: &str) -> String {
    const MAX: usize = 60;
    if text.chars().count() <= MAX {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(MAX).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic;

    fn parsed(text: &str) -> (Option<Spec<'_>>, Vec<Diagnostic>) {
        let mut diags = Vec::new();
        let spec = parse(text, &mut diags);
        (spec, diags)
    }

    /// The three readings of `text`: the spec and the diagnostics, as text.
    fn every_way(text: &str) -> [String; 3] {
        [Way::Scan, Way::Events, Way::Full].map(|way| {
            let mut diags = Vec::new();
            let spec = parse_with(text, &mut diags, way);
            format!("{spec:#?}\n{diags:#?}")
        })
    }

    fn corpus() -> Vec<(String, String)> {
        let mut out = crate::repo_specs();
        out.push(("mixed".into(), synthetic::spec_mixed(40)));
        out.push(("strings".into(), synthetic::spec_strings(40)));
        out
    }

    /// Ways to write a part of an item, and whether the short way takes the chunk
    /// (otherwise the full way reads it and reports what is wrong).
    const VARIANTS: &[(&str, &str, bool)] = &[
        ("label = \"Item 1\"", "label = 'Item 1'", true),
        (
            "label = \"Item 2\"",
            "label = \"\"\"\nItem\\t2 \\u00e9\"\"\"",
            true,
        ),
        (
            "label = \"Item 3\"",
            "\"label\" = \"Item \\\"3\\\"\" # a comment",
            true,
        ),
        ("label = \"Item 4\"", "label.x = \"Item 4\"", false),
        (
            "label = \"Item 5\"",
            "label = \"Item 5\"\nlabel = \"again\"",
            false,
        ),
        (
            "label = \"Item 6\"",
            "label = \"Item 6\"\nunknown = 1",
            false,
        ),
        ("label = \"Item 7\"", "label = 7", false),
        ("label = \"Item 8\"", "label = 1979-05-27", false),
        ("label = \"Item 9\"", "label = [\"a\",]", false),
        (
            "example = [\"8343cc7a-8ad1-42d4-97d2-43452c0bdfa3\"]",
            "example = [\n  \"8343cc7a-8ad1-42d4-97d2-43452c0bdfa3\", # first\n]",
            true,
        ),
        (
            "example = { alpha = \"true\", beta = \"false\" }",
            "example = {\n alpha = \"true\",\n beta = \"false\",\n}",
            true,
        ),
        (
            "example = { alpha = \"true\", beta = \"false\" }",
            "example = { alpha = \"true\", alpha = \"false\" }",
            false,
        ),
        ("example = 5", "example = 0x10", true),
        ("example = 936", "example = 99999999999999999999", true),
        ("example = 1.5", "example = inf", true),
        ("min = 1", "min = 1e400", false),
        ("max-keys = 500", "max-keys = 5.0", false),
        (
            "[[item]]\nid = \"item_20\"",
            "[ [item] ]\nid = \"item_20\"",
            false,
        ),
        (
            "[[item]]\nid = \"item_21\"",
            "[[item]] # comment\nid = \"item_21\"",
            true,
        ),
        (
            "[[item]]\nid = \"item_22\"",
            "[item]\nid = \"item_22\"",
            false,
        ),
        (
            "[[item]]\nid = \"item_23\"",
            "[[item.sub]]\nid = \"item_23\"",
            false,
        ),
        (
            "[[item]]\nid = \"item_24\"",
            "[[item]]\n\tid\t=\t\"item_24\"\r",
            true,
        ),
        ("[product]", "[product]\n[product]", false),
    ];

    fn variants() -> Vec<(&'static str, String, bool)> {
        let mixed = synthetic::spec_mixed(40);
        VARIANTS
            .iter()
            .map(|(from, to, plain)| {
                assert!(mixed.contains(from), "{from}");
                (*to, mixed.replacen(from, to, 1), *plain)
            })
            .collect()
    }

    #[test]
    fn the_short_way_reads_exactly_what_the_full_way_reads() {
        let mut texts = corpus();
        texts.extend(
            variants()
                .into_iter()
                .map(|(to, text, _)| (to.to_owned(), text)),
        );
        assert!(texts.len() > 60, "{}", texts.len());
        for (name, text) in texts {
            let [scan, events, full] = every_way(&text);
            assert!(events == full, "{name}:\n{events}\n--- full:\n{full}");
            assert!(scan == full, "{name}:\n{scan}\n--- full:\n{full}");
        }
    }

    #[test]
    fn plain_chunks_take_the_short_way_and_others_the_full_way() {
        let all_plain = |text: &str| {
            let mut starts = chunk_starts(text);
            starts.push(text.len());
            starts.windows(2).all(|w| {
                let mut part = Partial::default();
                fast::read(
                    &text[w[0]..w[1]],
                    w[0],
                    &mut part,
                    &mut Vec::new(),
                    Way::Events,
                )
            })
        };
        assert!(all_plain(&synthetic::spec_mixed(14)));
        for (to, text, plain) in variants() {
            assert_eq!(all_plain(&text), plain, "{to}");
        }
    }

    /// Ways to write a line of an item, and whether the scanner takes the chunk (otherwise
    /// toml_parser's events read it). Every way must read the same spec either way.
    const SCANNED: &[(&str, bool)] = &[
        ("label = 'Item 1'", true),
        ("label = \"Ité\tm 1\" # ç'\"", true),
        ("label = \"\"", true),
        ("label = \"a\\tb\"", false),
        ("label = \"\"\"a\"\"\"", false),
        ("label = '''a'''", false),
        ("label = \"a\u{7f}\"", false),
        ("max-length = 12", true),
        ("max-length = +12", true),
        ("max-length = -0", true),
        ("max-length = 012", false),
        ("max-length = 1_000", false),
        ("max-length = 0x10", false),
        ("max-length = 99999999999999999999", false),
        ("min = 1.25", true),
        ("min = -0.5", true),
        ("min = 1.", false),
        ("min = 1e3", false),
        ("min = 1.5e3", false),
        ("min = inf", false),
        ("example = 1979-05-27", false),
        ("example = true", true),
        ("example = trueish", false),
        ("example = [1, [2, 3], 'x',]", true),
        ("example = [\n  1, # one\n  2\n]", true),
        ("example = [[[[[[[[[1]]]]]]]]]", false),
        ("example = { a = 1 }", false),
        ("example = 1 2", false),
        ("example = \"a\"b", false),
        ("\"quoted\" = 1", false),
        ("colour = 'blue'", false),
        ("label = 'x'\nlabel = 'y'", false),
        ("owner = 'x'\nlabel = 'y'", true),
        ("dotted.key = 1", false),
        ("label = 'x'\rowner = 'y'", false),
        ("label = 'x' # \u{1}", false),
        ("label = 'x'\r\nowner = 'y'", true),
        ("\tlabel\t=\t'x'\t", true),
        ("[[item]]", true),
        ("[[item]]x", false),
        ("[[item]", false),
        ("[ [item] ]", false),
        ("[item]", false),
        ("[product]", true),
    ];

    #[test]
    fn the_scanner_takes_only_the_plainest_chunks_and_reads_them_exactly() {
        let plain = synthetic::spec_strings(30);
        let mut starts = chunk_starts(&plain);
        starts.push(plain.len());
        for w in starts.windows(2) {
            let chunk = &plain[w[0]..w[1]];
            assert!(scan::tables(chunk, w[0]).is_some(), "{chunk}");
        }
        for (line, taken) in SCANNED {
            let chunk = format!("[[item]]\nid = \"item_0\"\n{line}\n");
            assert_eq!(scan::tables(&chunk, 0).is_some(), *taken, "{line:?}");
            let text = format!("[product]\nname = \"x\"\n\n{chunk}");
            let [scan, events, full] = every_way(&text);
            assert!(events == full, "{line:?}:\n{events}\n--- full:\n{full}");
            assert!(scan == full, "{line:?}:\n{scan}\n--- full:\n{full}");
        }
    }

    #[test]
    fn a_header_line_is_read_as_with_a_substring_search() {
        fn by_split(line: &str) -> Option<&str> {
            let rest = line.trim_start_matches([' ', '\t']).strip_prefix("[[")?;
            let (name, after) = rest.split_once("]]")?;
            let after = after.trim_start_matches([' ', '\t']);
            let name = name.trim_matches([' ', '\t']);
            (CHUNK_HEADERS.contains(&name)
                && (after.is_empty() || after.starts_with(['#', '\r', '\n'])))
            .then_some(name)
        }
        for line in [
            "[[item]]\n",
            " \t[[ item ]] # note\n",
            "[[source]]\r\n",
            "[[item]]x\n",
            "[[item]]]]\n",
            "[[it]em]]\n",
            "[[item]\n",
            "[[]]",
            "[[",
            "[[object]]",
            "[item]\n",
            "[[category]] [[item]]\n",
        ] {
            assert_eq!(chunk_header(line), by_split(line), "{line:?}");
        }
    }

    /// The cut as first written, line by line, to hold the search by brackets against.
    fn chunks_by_lines(text: &str) -> Vec<(usize, bool)> {
        let line = |start: usize| {
            &text[start
                ..text[start..]
                    .find('\n')
                    .map_or(text.len(), |p| start + p + 1)]
        };
        let mut starts = vec![(0, chunk_header(line(0)) == Some("item"))];
        for (i, _) in text.match_indices('\n') {
            if let Some(name) = chunk_header(line(i + 1)) {
                starts.push((i + 1, name == "item"));
            }
        }
        starts
    }

    #[test]
    fn headers_found_by_their_brackets_are_the_header_lines() {
        let mut texts: Vec<String> = crate::repo_specs().into_iter().map(|(_, t)| t).collect();
        texts.push(synthetic::spec_mixed(50));
        texts.extend(
            [
                "[[item]]",
                "  [[item]]\n",
                "\n[[item]]",
                "x\n \t[[source]] # c\n[[item]]x\n[ [item]]\n\t [[item]]",
                "[[item]]\r\n[[item]]\r\n",
                "a[\n[",
                "a = [\n[[item]]\n  [1],\n]\n[[object]]\n",
            ]
            .map(String::from),
        );
        for text in texts {
            assert_eq!(chunks(&text), chunks_by_lines(&text), "{text:?}");
        }
    }

    #[test]
    fn cuts_only_at_top_level_block_headers() {
        let text = "[product]\n[[item]]\nid = \"a\"\n  [[ source ]] # c\n[[item.sub]]\n[[items]]\n";
        assert_eq!(chunk_starts(text), vec![0, 10, 28]);
    }

    #[test]
    fn a_header_line_inside_a_multiline_string_is_not_a_cut() {
        let text = "[[item]]\nid = \"a\"\ndescription = \"\"\"\n[[item]]\nid = \"b\"\n\"\"\"\n";
        let (spec, diags) = parsed(text);
        assert!(diags.is_empty(), "{diags:?}");
        let spec = spec.unwrap_or_else(|| panic!("parses"));
        assert_eq!(spec.items.len(), 1);
        let description = spec.items[0].description.as_ref().map(|d| &*d.value);
        assert_eq!(description, Some("[[item]]\nid = \"b\"\n"));
    }

    #[test]
    fn spans_of_later_chunks_are_document_offsets() {
        let text = "[[item]]\nid = \"a\"\n\n[[item]]\nid = \"b\"\n";
        let (spec, _) = parsed(text);
        let spec = spec.unwrap_or_else(|| panic!("parses"));
        let second = spec.items[1].id.clone().unwrap_or_else(|| panic!("has id"));
        assert_eq!(&text[second.span], "\"b\"");
    }

    #[test]
    fn a_second_product_table_in_another_chunk_is_refused() {
        let text = "[product]\nname = \"a\"\n[[item]]\nid = \"x\"\n[product]\nname = \"b\"\n";
        let (_, diags) = parsed(text);
        assert!(
            diags
                .iter()
                .any(|d| d.code == Code::TomlSyntax && d.message.contains("duplicate table")),
            "{diags:?}"
        );
    }
}
