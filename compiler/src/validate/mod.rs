//! Validation: a parsed [`Spec`] becomes a [`ValidSpec`], or every problem is reported.
//!
//! Each rule runs on every item even after others failed, so one run of `telemetry-spec check`
//! lists everything to fix. All cross-item rules use hash maps: cost grows linearly with the
//! number of items.
//!
//! By rule family: this file holds the spec-wide rules (product, categories, sources) and the
//! shared helpers; `items` drives the per-item rules and the rules across items; `item` the
//! item's own keys; `types` its value; `lifecycle` its status, expiry and removal; `paths` where
//! values sit in the payload and the generated names they claim.

mod item;
mod items;
mod lifecycle;
mod paths;
mod types;

use std::collections::HashSet;
use std::fmt;

use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::fastmap::FastMap;
use crate::model::{
    Category, Item, Product, RawItem, RemovedItem, SString, Source, Spec, ValidSpec,
};
use crate::naming;
use crate::parse::shorten;
use crate::source::{SourceFile, Span};

/// Validates `spec`; returns `None` if `diags` holds any error, including the parser's.
pub fn validate(file: &SourceFile, spec: &Spec, diags: &mut Vec<Diagnostic>) -> Option<ValidSpec> {
    let (mut v, head, names) = begin(file, spec, diags);
    let (items, removed) = v.items(&spec.items, &names.context(&head.categories, &head.sources));
    v.finish(spec, head, items, removed)
}

/// The spec-wide rules of `spec`, and the names its items may refer to.
fn begin<'a>(
    file: &'a SourceFile,
    spec: &'a Spec,
    diags: &'a mut Vec<Diagnostic>,
) -> (Validator<'a>, Head, Names<'a>) {
    let mut v = Validator {
        file,
        wrong_kind: &spec.wrong_kind,
        diags,
    };
    let head = v.head(spec);
    (v, head, Names::new(spec))
}

/// [`validate`] of a spec whose items are read group by group while they are checked, so that
/// at most one group of raw items per thread exists at a time (most of the memory of a large
/// spec otherwise). `spec` holds everything but the items; `read` gives the raw items of one
/// group, or `None` if it cannot, and `size` how many items a group holds at most. The result
/// is exactly [`validate`]'s on the whole spec, or `None`, with `diags` untouched, when some
/// group could not be read.
pub(crate) fn validate_groups<'t, G: Sync>(
    file: &SourceFile,
    spec: &Spec<'t>,
    groups: &[G],
    threads: usize,
    read: impl Fn(&G) -> Option<Vec<RawItem<'t>>> + Sync,
    size: impl Fn(&G) -> usize + Sync,
    diags: &mut Vec<Diagnostic>,
) -> Option<Option<ValidSpec>> {
    // Errors found before (by the parser) count too: they are in `diags` already.
    let before = diags.len();
    let (mut v, head, names) = begin(file, spec, diags);
    let ctx = names.context(&head.categories, &head.sources);
    let wrong_kind = &spec.wrong_kind;
    // Runs of consecutive groups, each checked into one part: the checked items are moved
    // once more (into the whole), not once per group. One run per thread, unless that makes
    // parts large: while the parts are gathered into the whole, each is freed as soon as it
    // has been moved, so memory holds the whole plus one part, not the whole twice.
    let runs = threads.max(groups.len().div_ceil(PART_GROUPS));
    let runs: Vec<(usize, &[G])> = groups
        .chunks(groups.len().div_ceil(runs).max(1))
        .enumerate()
        .collect();
    let all: usize = groups.iter().map(&size).sum();
    let parts = crate::parallel::map(&runs, threads, |&(number, run)| {
        let mut part = CheckedChunk::default();
        // Sized once: growing vectors of items on the way would copy them again and again.
        // The first part's items become the whole (see `across`): room for all of them.
        let room = match number {
            0 => all,
            _ => run.iter().map(&size).sum(),
        };
        part.items.reserve_exact(room);
        part.claims.reserve_exact(room);
        for group in run {
            items::check_chunk(file, wrong_kind, &read(group)?, &ctx, &mut part);
        }
        Some(part)
    });
    let Some(parts) = parts.into_iter().collect::<Option<Vec<_>>>() else {
        v.diags.truncate(before);
        return None;
    };
    let (items, removed) = v.across(parts);
    let valid = v.finish(spec, head, items, removed);
    Some(valid)
}

/// The most groups of items in one part of [`validate_groups`] (about 16,000 items).
const PART_GROUPS: usize = 256;

/// The spec-wide tables, validated: what every item is checked against.
struct Head {
    product: Option<Product>,
    categories: Vec<Category>,
    sources: Vec<Source>,
}

/// The category and source ids as written, valid or not, for the item rules' suggestions.
struct Names<'s> {
    declared_categories: Vec<&'s str>,
    declared_sources: Vec<&'s str>,
}

impl<'s> Names<'s> {
    fn new(spec: &'s Spec) -> Self {
        let ids = |id: &'s Option<SString>| id.as_ref().map(|i| &*i.value);
        Names {
            declared_categories: spec.categories.iter().filter_map(|c| ids(&c.id)).collect(),
            declared_sources: spec.sources.iter().filter_map(|s| ids(&s.id)).collect(),
        }
    }

    fn context<'a>(&'a self, categories: &'a [Category], sources: &'a [Source]) -> ItemContext<'a> {
        ItemContext {
            category_ids: categories.iter().map(|c| c.id.as_str()).collect(),
            declared_categories: &self.declared_categories,
            declared_sources: &self.declared_sources,
            sources,
        }
    }
}

impl Validator<'_> {
    fn head(&mut self, spec: &Spec) -> Head {
        Head {
            product: self.product(spec),
            categories: self.categories(spec),
            sources: self.sources(spec),
        }
    }

    /// The objects, then the valid spec if nothing was an error.
    fn finish(
        &mut self,
        spec: &Spec,
        head: Head,
        items: Vec<Item>,
        removed: Vec<RemovedItem>,
    ) -> Option<ValidSpec> {
        let objects = self.objects(spec, &items);
        if errors(self.diags) > 0 {
            return None;
        }
        Some(ValidSpec {
            product: head.product?,
            categories: head.categories,
            sources: head.sources,
            items,
            objects,
            removed,
        })
    }
}

fn errors(diags: &[Diagnostic]) -> usize {
    diags
        .iter()
        .filter(|d| d.severity() == Severity::Error)
        .count()
}

struct Validator<'a> {
    file: &'a SourceFile,
    wrong_kind: &'a HashSet<(usize, String)>,
    diags: &'a mut Vec<Diagnostic>,
}

impl Validator<'_> {
    fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn required<'s, 't>(
        &mut self,
        value: &'s Option<SString<'t>>,
        key: &str,
        what: &dyn fmt::Display,
        at: &Span,
    ) -> Option<&'s SString<'t>> {
        // A key with a value of the wrong kind was already reported by the parser.
        if value.is_none() && !self.wrong_kind.contains(&(at.start, key.to_owned())) {
            self.push(Diagnostic::new(
                Code::MissingKey,
                at.clone(),
                format!("{what} is missing the required key `{key}`"),
            ));
        }
        value.as_ref()
    }

    /// An optional text that a reviewer reads: absent, or not blank (`ok` turns false if blank).
    fn optional_text<'s, 't>(
        &mut self,
        value: &'s Option<SString<'t>>,
        key: &str,
        what: &dyn fmt::Display,
        ok: &mut bool,
    ) -> Option<&'s SString<'t>> {
        let value = value.as_ref()?;
        // Blank, as `trim().is_empty()` would say, but decided at the first character that is
        // not white space instead of trimming from both ends: every text of every item.
        if value.value.chars().all(char::is_whitespace) {
            self.push(Diagnostic::new(
                Code::EmptyText,
                value.span.clone(),
                format!("`{key}` of {what} is empty"),
            ));
            *ok = false;
            return None;
        }
        Some(value)
    }

    /// A required text that a reviewer reads: present and not blank.
    fn text<'s, 't>(
        &mut self,
        value: &'s Option<SString<'t>>,
        key: &str,
        what: &dyn fmt::Display,
        at: &Span,
    ) -> Option<&'s SString<'t>> {
        self.required(value, key, what, at)?;
        self.optional_text(value, key, what, &mut true)
    }

    fn version(&mut self, value: &SString, key: &str) -> bool {
        let ok = crate::types::is_semver(&value.value);
        if !ok {
            self.push(
                Diagnostic::new(
                    Code::InvalidVersion,
                    value.span.clone(),
                    format!(
                        "`{key}` must be a semantic version, found `{}`",
                        shorten(&value.value)
                    ),
                )
                .with_help("write MAJOR.MINOR.PATCH, for example 3.2.0"),
            );
        }
        ok
    }

    fn identifier(&mut self, value: &SString, what: &str) -> bool {
        match naming::identifier_problem(&value.value) {
            None => true,
            Some(problem) => {
                let mut d = Diagnostic::new(
                    Code::InvalidIdentifier,
                    value.span.clone(),
                    format!(
                        "{what} `{}` is not a valid Rust identifier: {problem}",
                        shorten(&value.value)
                    ),
                );
                let snake = naming::snake_case(
                    &value
                        .value
                        .replace(|c: char| !c.is_ascii_alphanumeric(), "_"),
                );
                if naming::identifier_problem(&snake).is_none() {
                    d = d.with_help(format!("try `{snake}`"));
                } else if naming::is_keyword(&value.value) {
                    d = d.with_help(format!(
                        "try a more specific name, such as `{}_kind`",
                        value.value
                    ));
                }
                self.push(d);
                false
            }
        }
    }

    /// Reports a second definition of a unique name, pointing back at the first.
    fn unique<'s>(
        &mut self,
        seen: &mut FastMap<&'s str, Span>,
        value: &'s SString<'_>,
        what: &str,
        code: Code,
    ) -> bool {
        if let Some(first) = seen.get(&*value.value) {
            let line = self.file.position(first.start).line;
            self.push(
                Diagnostic::new(
                    code,
                    value.span.clone(),
                    format!("duplicate {what} `{}`", shorten(&value.value)),
                )
                .with_help(format!("first defined on line {line}")),
            );
            false
        } else {
            seen.insert(&*value.value, value.span.clone());
            true
        }
    }

    fn product(&mut self, spec: &Spec) -> Option<Product> {
        let Some(p) = &spec.product else {
            self.push(
                Diagnostic::new(Code::MissingKey, 0..0, "the spec has no `[product]` table")
                    .with_help("add `[product]` with `name` and `spec-version`"),
            );
            return None;
        };
        let name = self.text(&p.name, "name", &"[product]", &p.span);
        let version = self.required(&p.spec_version, "spec-version", &"[product]", &p.span);
        let version_ok = version.is_some_and(|v| self.version(v, "spec-version"));
        match (name, version) {
            (Some(name), Some(version)) if version_ok => Some(Product {
                name: name.value.to_string(),
                spec_version: version.value.to_string(),
                spec_version_span: version.span.clone(),
            }),
            _ => None,
        }
    }

    fn categories(&mut self, spec: &Spec) -> Vec<Category> {
        let mut seen = FastMap::default();
        let mut out = Vec::new();
        if spec.categories.is_empty() {
            self.push(
                Diagnostic::new(
                    Code::MissingKey,
                    0..0,
                    "the spec declares no `[[category]]`",
                )
                .with_help(
                    "every item belongs to a category, which groups it on the disclosure page",
                ),
            );
        }
        for c in &spec.categories {
            let id = self.required(&c.id, "id", &"[[category]]", &c.span);
            let title = self.text(&c.title, "title", &"[[category]]", &c.span);
            let summary = self.text(&c.summary, "summary", &"[[category]]", &c.span);
            let Some(id) = id else { continue };
            let valid = if naming::is_segment(&id.value) {
                true
            } else {
                self.push(Diagnostic::new(
                    Code::InvalidIdentifier,
                    id.span.clone(),
                    format!("category id `{}` must be letters, digits, `-` and `_`, starting with a letter", shorten(&id.value)),
                ));
                false
            };
            if self.unique(&mut seen, id, "category id", Code::DuplicateId)
                && valid
                && let (Some(title), Some(summary)) = (title, summary)
            {
                out.push(Category {
                    id: id.value.to_string(),
                    title: title.value.to_string(),
                    summary: summary.value.to_string(),
                });
            }
        }
        out
    }

    fn sources(&mut self, spec: &Spec) -> Vec<Source> {
        let mut seen = FastMap::default();
        let mut out = Vec::new();
        for s in &spec.sources {
            let id = self.required(&s.id, "id", &"[[source]]", &s.span);
            let description = self.text(&s.description, "description", &"[[source]]", &s.span);
            let Some(id) = id else { continue };
            let valid = self.identifier(id, "source id");
            if self.unique(&mut seen, id, "source id", Code::DuplicateId)
                && valid
                && let Some(description) = description
            {
                out.push(Source {
                    id: id.value.to_string(),
                    description: description.value.to_string(),
                    span: id.span.clone(),
                });
            }
        }
        out
    }
}

/// What checking one item needs from the rest of the spec.
struct ItemContext<'a> {
    category_ids: HashSet<&'a str>,
    declared_categories: &'a [&'a str],
    declared_sources: &'a [&'a str],
    sources: &'a [Source],
}

/// The rules of each item of one chunk of items, checked on one thread.
#[derive(Default)]
struct CheckedChunk<'t> {
    items: Vec<Item>,
    removed: Vec<RemovedItem>,
    /// One per item of the chunk, in order.
    claims: Vec<Claim<'t>>,
    diags: Vec<Diagnostic>,
}

/// What the rules across items need of one `[[item]]`, kept once its raw form is gone.
struct Claim<'t> {
    span: Span,
    id: Option<SString<'t>>,
    source: Option<SString<'t>>,
    path: Option<SString<'t>>,
    removed_in: Option<SString<'t>>,
    checks: ItemChecks,
}

/// What the rules across items need to know about one item.
#[derive(Clone, Copy)]
struct ItemChecks {
    path_ok: bool,
    source_ok: bool,
    is_map: bool,
    /// The suffix of the Rust type generated for the item's leaves (`Value` for an enum,
    /// `Entry` for a record), which must not collide with any other generated type.
    leaf_type: Option<&'static str>,
    /// Removed items take no part in path and source-field uniqueness.
    removed: bool,
}

/// Where a valid `[[item]]` goes: among the items still sent, or those kept only for the
/// disclosure page's history. Pushed there where it is assembled, so that an item (about
/// 600 bytes) is not moved from function to function on its way.
type ItemLists<'a> = (&'a mut Vec<Item>, &'a mut Vec<RemovedItem>);

#[derive(Clone, Copy, PartialEq, Eq)]
enum ItemStatus {
    Active,
    Deprecated,
    Removed,
}

/// How an item is named in messages: by its id when it has one.
struct ItemName<'a>(Option<&'a str>);

impl fmt::Display for ItemName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(id) => write!(f, "item `{}`", shorten(id)),
            None => f.write_str("[[item]]"),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Code, check};

    const HEADER: &str = "[product]\nname = \"T\"\nspec-version = \"1.0.0\"\n\
        [[category]]\nid = \"general\"\ntitle = \"General\"\nsummary = \"All.\"\n\
        [[source]]\nid = \"s\"\ndescription = \"The source.\"\n";

    fn item(id: &str, path: &str, value_type: &str, extra: &str) -> String {
        let example = match value_type {
            "map<flag>" => "{ a = \"true\" }",
            _ => "\"x\"",
        };
        format!(
            "[[item]]\nid = \"{id}\"\ncategory = \"general\"\nlabel = \"{id}\"\n\
             description = \"The {id} item, described for a reviewer.\"\npath = \"{path}\"\n\
             type = \"{value_type}\"\n{extra}example = {example}\nsource = \"s.{id}\"\n\
             sensitivity = \"technical\"\nsince = \"1.0.0\"\nowner = \"T\"\nreview = \"R-1\"\n\
             expires = \"2099-12-31\"\n"
        )
    }

    fn codes(items: &[String]) -> Vec<(Code, String)> {
        let text = format!("{HEADER}{}", items.concat());
        check("t.toml", text.as_bytes())
            .diagnostics
            .into_iter()
            .map(|d| (d.code, d.message))
            .collect()
    }

    #[test]
    fn a_prefix_is_found_whichever_item_comes_first() {
        let longer_first = codes(&[item("b", "a.b", "string", ""), item("a", "a", "string", "")]);
        let shorter_first = codes(&[item("a", "a", "string", ""), item("b", "a.b", "string", "")]);
        for found in [longer_first, shorter_first] {
            assert_eq!(found.len(), 1, "{found:?}");
            assert_eq!(found[0].0, Code::PathPrefix);
            assert!(
                found[0].1.contains("path `a.b` lies inside `a`"),
                "{found:?}"
            );
        }
    }

    #[test]
    fn generated_enum_and_record_types_may_not_collide() {
        // Two enum items `a-b` and `a.b` would both generate `ABValue`; an object `a-b-value`
        // would generate it too.
        let enumerated = "values = [\"x\"]\nif-unavailable = \"omit\"\n";
        let found = codes(&[
            item("one", "a-b", "enum", enumerated),
            item("two", "a.b", "enum", enumerated),
        ]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].1.contains("needs the Rust type `ABValue`"),
            "{found:?}"
        );
        let found = codes(&[
            item("one", "a.b", "enum", enumerated),
            item("two", "a-b-value.c", "string", ""),
        ]);
        assert_eq!(found.len(), 1, "{found:?}");
    }

    #[test]
    fn generated_types_may_not_take_standard_names() {
        let found = codes(&[item("a", "string.x", "string", "")]);
        assert!(
            found.iter().any(|(c, m)| *c == Code::NameCollision
                && m.contains("`String`, the name of a standard type")),
            "{found:?}"
        );
        let found = codes(&[item("a", "option.x", "string", "")]);
        assert!(
            found.iter().any(|(c, _)| *c == Code::NameCollision),
            "{found:?}"
        );
    }

    #[test]
    fn size_limits_must_leave_room_for_what_the_item_sends() {
        let found = codes(&[item("a", "a", "string", "max-length = 3\n")]);
        assert!(
            found
                .iter()
                .any(|(c, m)| *c == Code::InvalidRule
                    && m.contains("shorter than the text \"Unknown\"")),
            "{found:?}"
        );
        let found = codes(&[item(
            "a",
            "a",
            "enum",
            "values = [\"x\", \"longer\"]\nmax-length = 3\nif-unavailable = \"omit\"\n",
        )]);
        assert!(
            found
                .iter()
                .any(|(c, m)| *c == Code::InvalidRule
                    && m.contains("shorter than its value `longer`")),
            "{found:?}"
        );
    }

    #[test]
    fn objects_that_would_share_a_struct_name_are_refused() {
        // `a-b.c-d` and `a.b-c-d` are different objects that would both be `struct ABCD`.
        let found = codes(&[
            item("x", "a-b.c-d.x", "string", ""),
            item("y", "a.b-c-d.y", "string", ""),
        ]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].1.contains("becomes the Rust struct `ABCD`"),
            "{found:?}"
        );
        let found = codes(&[
            item("x", "a-b.c.x", "string", ""),
            item("y", "a.bc.y", "string", ""),
        ]);
        assert_eq!(found, [], "`ABC` and `ABc` are distinct");
    }

    #[test]
    fn map_keys_that_would_share_a_field_name_are_refused() {
        let found = codes(&[item("m", "m", "map<flag>", "keys = [\"a\", \"A\"]\n")]);
        assert!(
            found
                .iter()
                .any(|(c, m)| *c == Code::NameCollision
                    && m.contains("both become the Rust field `a`")),
            "{found:?}"
        );
    }
}
