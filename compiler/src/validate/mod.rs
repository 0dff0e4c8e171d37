//! Validation: a parsed [`Spec`] becomes a [`ValidSpec`], or every problem is reported.
//!
//! Each rule runs on every item even after others failed, so one run of `telemetry-spec check`
//! lists everything to fix. All cross-item rules use hash maps: cost grows linearly with the
//! number of items.

use std::collections::{HashMap, HashSet};
use std::fmt;

use crate::fastmap::FastMap;

use crate::diagnostic::{Code, Diagnostic, Severity, did_you_mean};
mod item;
mod types;

use crate::expiry::Date;
use crate::model::{
    Category, Expiry, Item, Object, Product, RawItem, RemovedItem, SString, Source, Spec, ValidSpec,
};
use crate::naming;
use crate::parse::shorten;
use crate::source::{SourceFile, Span};
use crate::types::{IfUnavailable, LeafKind, Scalar, ShapeKind};

/// Validates `spec`; returns `None` if `diags` holds any error, including the parser's.
pub fn validate(file: &SourceFile, spec: &Spec, diags: &mut Vec<Diagnostic>) -> Option<ValidSpec> {
    let mut v = Validator {
        file,
        wrong_kind: &spec.wrong_kind,
        diags,
    };
    let product = v.product(spec);
    let categories = v.categories(spec);
    let sources = v.sources(spec);
    let (items, removed) = v.items(spec, &categories, &sources);
    let objects = v.objects(spec, &items);
    if errors(v.diags) > 0 {
        return None;
    }
    Some(ValidSpec {
        product: product?,
        categories,
        sources,
        items,
        objects,
        removed,
    })
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
        if value.value.trim().is_empty() {
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

    fn items(
        &mut self,
        spec: &Spec,
        categories: &[Category],
        sources: &[Source],
    ) -> (Vec<Item>, Vec<RemovedItem>) {
        if spec.items.is_empty() {
            self.push(
                Diagnostic::new(Code::NoItems, 0..0, "the spec declares no `[[item]]`")
                    .with_help("a telemetry payload needs at least one item"),
            );
            return (Vec::new(), Vec::new());
        }
        let category_ids: HashSet<&str> = categories.iter().map(|c| c.id.as_str()).collect();
        let declared_categories: Vec<&str> = spec
            .categories
            .iter()
            .filter_map(|c| c.id.as_ref().map(|i| &*i.value))
            .collect();
        let declared_sources: Vec<&str> = spec
            .sources
            .iter()
            .filter_map(|s| s.id.as_ref().map(|i| &*i.value))
            .collect();
        // Item by item first (independent, so large specs use every core), then the rules
        // across items. Maps are sized up front: growing big maps while many small blocks are
        // freed makes the allocator consolidate its free lists again and again.
        let n = spec.items.len();
        let ctx = ItemContext {
            category_ids: &category_ids,
            declared_categories: &declared_categories,
            declared_sources: &declared_sources,
            sources,
        };
        let threads = crate::parallel::threads_for(n, PARALLEL_ITEMS);
        let chunks: Vec<&[RawItem<'_>]> = spec.items.chunks(n.div_ceil(threads).max(1)).collect();
        let (file, wrong_kind) = (self.file, self.wrong_kind);
        let check_chunk = |chunk: &[RawItem<'_>]| {
            let mut part = CheckedChunk {
                items: Vec::with_capacity(chunk.len()),
                removed: Vec::new(),
                checks: Vec::with_capacity(chunk.len()),
                diags: Vec::new(),
            };
            let mut v = Validator {
                file,
                wrong_kind,
                diags: &mut part.diags,
            };
            for raw in chunk {
                let (entry, checks) = v.item(raw, &ctx);
                match entry {
                    Some(Entry::Active(item)) => part.items.push(item),
                    Some(Entry::Removed(item)) => part.removed.push(item),
                    None => {}
                }
                part.checks.push(checks);
            }
            part
        };
        let parts: Vec<CheckedChunk> =
            crate::parallel::map(&chunks, threads, |chunk| check_chunk(chunk));
        let mut ids = FastMap::with_capacity_and_hasher(n, Default::default());
        let mut source_fields = FastMap::with_capacity_and_hasher(n, Default::default());
        // The items of the parts, in order: the first part's vector becomes the whole, so
        // the items (most of the memory of a large spec) are not all moved again.
        let mut items: Vec<Item> = Vec::new();
        let mut removed = Vec::new();
        let mut tree = PathTree::with_capacity(n);
        // Every prefix of a removed item's path -> that item, and the active paths to hold
        // against them once all removed items are known (a removed item may come later).
        let mut retired: FastMap<&str, usize> = FastMap::default();
        let mut active_paths: Vec<&SString> = Vec::new();
        let mut index = 0;
        for mut part in parts {
            self.diags.append(&mut part.diags);
            if items.is_empty() {
                items = std::mem::take(&mut part.items);
            } else {
                items.append(&mut part.items);
            }
            removed.append(&mut part.removed);
            for checks in part.checks {
                let raw = &spec.items[index];
                if let Some(id) = &raw.id {
                    self.unique(&mut ids, id, "item id", Code::DuplicateId);
                }
                // A removed item's source field is free again: its replacement often reads it.
                if let (true, false, Some(s)) = (checks.source_ok, checks.removed, &raw.source) {
                    self.unique(
                        &mut source_fields,
                        s,
                        "source field",
                        Code::DuplicateSourceField,
                    );
                }
                if let (true, Some(path)) = (checks.path_ok, &raw.path) {
                    if checks.removed {
                        let text: &str = &path.value;
                        for (at, _) in text.match_indices('.') {
                            retired.entry(&text[..at]).or_insert(index);
                        }
                        retired.insert(text, index);
                    } else {
                        tree.insert(self, &spec.items, index, path, checks.is_map);
                        active_paths.push(path);
                        if let Some(suffix) = checks.leaf_type {
                            tree.claim_type(self, path, suffix);
                        }
                    }
                }
                index += 1;
            }
        }
        if !retired.is_empty() {
            for path in active_paths {
                self.removed_path(&spec.items, &retired, path);
            }
        }
        (items, removed)
    }

    /// Refuses an active path that is, contains or lies inside the path of a removed item.
    fn removed_path(&mut self, raw: &[RawItem], retired: &FastMap<&str, usize>, path: &SString) {
        let text: &str = &path.value;
        let hit = retired.get(text).or_else(|| {
            text.match_indices('.').find_map(|(at, _)| {
                retired
                    .get(&text[..at])
                    .filter(|&&i| raw[i].path.as_ref().is_some_and(|p| *p.value == text[..at]))
            })
        });
        let Some(&owner) = hit else { return };
        let old = &raw[owner];
        let old_path = old
            .path
            .as_ref()
            .map_or(String::new(), |p| p.value.to_string());
        let line = self.file.position(old.span.start).line;
        let removed_in = old
            .removed_in
            .as_ref()
            .map_or(String::from("an earlier version"), |r| r.value.to_string());
        self.push(
            Diagnostic::new(
                Code::RemovedPathReused,
                path.span.clone(),
                format!(
                    "path `{}` reuses `{}`, the path of an item removed in {}",
                    shorten(text),
                    shorten(&old_path),
                    shorten(&removed_in)
                ),
            )
            .with_help(format!(
                "the removed item on line {line} was sent under `{}`; receivers of older reports would read this value as that one: choose a new path",
                shorten(&old_path)
            )),
        );
    }

    /// `[[object]]`s: a path under which items lie (not an item itself, not inside another
    /// optional object), absent as a whole, and only holding items that may be absent.
    fn objects(&mut self, spec: &Spec, items: &[Item]) -> Vec<Object> {
        let mut out: Vec<(Object, Span)> = Vec::new();
        for raw in &spec.objects {
            let what = "an [[object]]";
            let path = self
                .required(&raw.path, "path", &what, &raw.span)
                .and_then(|p| self.path(p).map(|segments| (segments, p.span.clone())));
            let rule = self
                .required(&raw.if_unavailable, "if-unavailable", &what, &raw.span)
                .and_then(|r| match IfUnavailable::from_name(&r.value) {
                    Some(rule @ (IfUnavailable::Omit | IfUnavailable::Null)) => Some(rule),
                    _ => {
                        self.push(
                            Diagnostic::new(
                                Code::InvalidObject,
                                r.span.clone(),
                                format!("an object is `omit` or `null` when none of its items has a value, not `{}`", shorten(&r.value)),
                            ),
                        );
                        None
                    }
                });
            let (Some((path, span)), Some(rule)) = (path, rule) else {
                continue;
            };
            let inside = |i: &Item| i.path.len() > path.len() && i.path.starts_with(&path);
            let under: Vec<&Item> = items.iter().filter(|i| inside(i)).collect();
            let joined = path.join(".");
            if under.is_empty() {
                self.push(
                    Diagnostic::new(
                        Code::InvalidObject,
                        span.clone(),
                        format!("no item lies under `{}`", shorten(&joined)),
                    )
                    .with_help("an object's path is the common prefix of the paths of its items"),
                );
                continue;
            }
            let mut ok = true;
            for item in under.iter().filter(|i| !i.is_optional()) {
                ok = false;
                self.push(
                    Diagnostic::new(
                        Code::InvalidObject,
                        item.spans.path.clone(),
                        format!(
                            "item `{}` lies in the optional object `{}` but is sent even when unavailable (`if-unavailable = \"{}\"`)",
                            item.id,
                            shorten(&joined),
                            item.if_unavailable.name()
                        ),
                    )
                    .with_help("the object is left out when none of its items has a value, so each must be able to have none: use \"omit\" or \"null\""),
                );
            }
            if let Some((other, _)) = out
                .iter()
                .find(|(o, _)| o.path.starts_with(&path) || path.starts_with(&o.path))
            {
                ok = false;
                self.push(Diagnostic::new(
                    Code::InvalidObject,
                    span.clone(),
                    format!(
                        "optional objects `{}` and `{}` overlap; declare one of them",
                        shorten(&joined),
                        other.path_string()
                    ),
                ));
            }
            if ok {
                out.push((
                    Object {
                        path,
                        if_unavailable: rule,
                    },
                    span,
                ));
            }
        }
        out.into_iter().map(|(o, _)| o).collect()
    }

    /// The rules of one item on its own; the rules across items are in [`Validator::items`].
    fn item(&mut self, raw: &RawItem, ctx: &ItemContext<'_>) -> (Option<Entry>, ItemChecks) {
        // Formatted only when a diagnostic needs it: most items have none.
        let what = ItemName(raw.id.as_ref().map(|id| &*id.value));
        let what = &what as &dyn fmt::Display;
        let at = &raw.span;
        let mut ok = true;

        let id = self.required(&raw.id, "id", &what, at);
        if let Some(id) = id {
            ok &= self.identifier(id, "item id");
        }
        let category = self.item_category(raw, ctx, what, &mut ok);
        let label = self.text(&raw.label, "label", &what, at);
        let description = self.text(&raw.description, "description", &what, at);
        let purpose = self.optional_text(&raw.purpose, "purpose", &what, &mut ok);
        let path = self
            .required(&raw.path, "path", &what, at)
            .and_then(|p| self.path(p));

        let kinds = self.type_kinds(raw, &what);
        let keys = self.keys(raw, kinds.map(|k| k.0), &what);
        let typed = self.typed(raw, kinds, keys, &what);

        let status = self.status(raw, &what);
        let removed = status == Some(ItemStatus::Removed);
        ok &= status.is_some();
        let source = self.item_source(raw, ctx, what, removed);
        let sensitivity = self.item_sensitivity(raw, &mut ok);
        let since = self
            .required(&raw.since, "since", &what, at)
            .filter(|s| self.version(s, "since"));
        let owner = self.text(&raw.owner, "owner", &what, at);
        let review = self.item_review(raw, removed, sensitivity, what, &mut ok);
        let expires = self.expires(raw, purpose.is_some(), removed, &what);
        ok &= removed || expires.is_some();
        let removed_in = self.removed_in(raw, removed, since, &what);
        ok &= !removed || removed_in.is_some();
        let allow = self.item_allow(raw, &mut ok);

        let checks = ItemChecks {
            path_ok: path.is_some(),
            source_ok: source.is_some(),
            is_map: matches!(kinds, Some((ShapeKind::Map, _))),
            leaf_type: match kinds {
                Some((_, LeafKind::Record)) => Some("Entry"),
                Some((_, LeafKind::Scalar(Scalar::Enum))) => Some("Value"),
                _ => None,
            },
            removed,
        };
        let parts = item::Parts {
            raw,
            id,
            category,
            label,
            description,
            purpose,
            path,
            typed,
            source,
            sensitivity,
            since,
            owner,
            review,
            expires,
            removed_in,
            status,
            allow,
        };
        let entry = if ok { item::assemble(parts) } else { None };
        (entry, checks)
    }

    /// `status`: `active` when absent.
    fn status(&mut self, raw: &RawItem, what: &dyn fmt::Display) -> Option<ItemStatus> {
        const NAMES: [&str; 3] = ["active", "deprecated", "removed"];
        let Some(s) = &raw.status else {
            return Some(ItemStatus::Active);
        };
        match &*s.value {
            "active" => Some(ItemStatus::Active),
            "deprecated" => Some(ItemStatus::Deprecated),
            "removed" => Some(ItemStatus::Removed),
            other => {
                let mut d = Diagnostic::new(
                    Code::InvalidStatus,
                    s.span.clone(),
                    format!("unknown status `{}` of {what}", shorten(other)),
                );
                d = match did_you_mean(other, NAMES.iter().copied()) {
                    Some(m) => d.with_help(format!("did you mean `{m}`?")),
                    None => d.with_help("a status is `active`, `deprecated` or `removed`"),
                };
                self.push(d);
                None
            }
        }
    }

    /// `expires`: required while the item is sent; `never` only with a purpose.
    fn expires(
        &mut self,
        raw: &RawItem,
        has_purpose: bool,
        removed: bool,
        what: &dyn fmt::Display,
    ) -> Option<Expiry> {
        let e = if removed {
            raw.expires.as_ref()?
        } else {
            self.required(&raw.expires, "expires", what, &raw.span)?
        };
        let text = e.value.trim();
        if text == "never" {
            if has_purpose {
                return Some(Expiry::Never);
            }
            self.push(
                Diagnostic::new(
                    Code::InvalidExpiry,
                    e.span.clone(),
                    format!("{what} never expires but states no `purpose`"),
                )
                .with_help("an item may be collected indefinitely only for a stated purpose: add `purpose = \"...\"`, or give `expires` a date or a version"),
            );
            return None;
        }
        if let Some(date) = Date::parse(text) {
            return Some(Expiry::Date(date));
        }
        if crate::types::is_semver(text) {
            return Some(Expiry::Version(text.to_owned()));
        }
        self.push(
            Diagnostic::new(
                Code::InvalidExpiry,
                e.span.clone(),
                format!("`expires` of {what} is not a date, a version or \"never\": `{}`", shorten(&e.value)),
            )
            .with_help("write a UTC day as YYYY-MM-DD (for example 2026-06-30), a product version such as 3.16.0, or \"never\""),
        );
        None
    }

    /// `removed-in`: required exactly when the item is removed, a version not before `since`.
    fn removed_in(
        &mut self,
        raw: &RawItem,
        removed: bool,
        since: Option<&SString>,
        what: &dyn fmt::Display,
    ) -> Option<String> {
        match (&raw.removed_in, removed) {
            (None, false) => None,
            (Some(r), false) => {
                self.push(
                    Diagnostic::new(
                        Code::InvalidStatus,
                        r.span.clone(),
                        format!("{what} has `removed-in` but is not removed"),
                    )
                    .with_help(
                        "set `status = \"removed\"` to stop sending it, or delete `removed-in`",
                    ),
                );
                None
            }
            (None, true) => {
                let span = raw
                    .status
                    .as_ref()
                    .map_or(raw.span.clone(), |s| s.span.clone());
                self.push(
                    Diagnostic::new(
                        Code::InvalidStatus,
                        span,
                        format!("{what} is removed but does not say in which version"),
                    )
                    .with_help("add `removed-in = \"<the product version that stopped sending it>\"`; the disclosure page lists it under \"No longer collected\""),
                );
                None
            }
            (Some(r), true) => {
                if !self.version(r, "removed-in") {
                    return None;
                }
                if let Some(since) = since
                    && crate::diff::compare_versions(&r.value, &since.value)
                        == std::cmp::Ordering::Less
                {
                    self.push(Diagnostic::new(
                        Code::InvalidStatus,
                        r.span.clone(),
                        format!(
                            "{what} is removed in {} but only collected since {}",
                            shorten(&r.value),
                            shorten(&since.value)
                        ),
                    ));
                    return None;
                }
                Some(r.value.to_string())
            }
        }
    }

    fn path(&mut self, path: &SString) -> Option<Vec<String>> {
        let segments: Vec<String> = path.value.split('.').map(str::to_owned).collect();
        let mut offset = path.span.start + 1;
        let mut ok = true;
        for segment in &segments {
            if !naming::is_segment(segment) {
                ok = false;
                let span = offset..offset + segment.len().max(1);
                let message = if segment.is_empty() {
                    format!("path `{}` has an empty segment", shorten(&path.value))
                } else {
                    format!(
                        "invalid path segment `{}` in `{}`",
                        shorten(segment),
                        shorten(&path.value)
                    )
                };
                self.push(
                    Diagnostic::new(Code::InvalidPath, span, message).with_help(
                        "segments are separated by `.`; each is letters and digits, words joined by a single `-` or `_`, starting with a letter",
                    ),
                );
            }
            offset += segment.len() + 1;
        }
        ok.then_some(segments)
    }

    fn keys(
        &mut self,
        raw: &RawItem,
        kind: Option<ShapeKind>,
        what: &dyn fmt::Display,
    ) -> Option<Vec<String>> {
        match (kind, &raw.keys) {
            (Some(ShapeKind::Map), None) => {
                self.push(
                    Diagnostic::new(Code::InvalidKeys, raw.value_type.as_ref().map_or(raw.span.clone(), |t| t.span.clone()), format!("{what} is a map but declares no `keys`"))
                        .with_help("list every key the map may contain: `keys = [\"a\", \"b\"]`; nothing else can be sent"),
                );
                None
            }
            (Some(ShapeKind::Map), Some(keys)) => {
                if keys.value.is_empty() {
                    self.push(Diagnostic::new(
                        Code::InvalidKeys,
                        keys.span.clone(),
                        format!("{what} declares an empty `keys` list"),
                    ));
                    return None;
                }
                let mut seen = FastMap::default();
                let mut fields: HashMap<String, &str> = HashMap::new();
                let mut ok = true;
                for key in &keys.value {
                    if !naming::is_segment(&key.value) {
                        ok = false;
                        self.push(Diagnostic::new(Code::InvalidKeys, key.span.clone(), format!("invalid map key `{}`", shorten(&key.value)))
                            .with_help("keys are letters and digits, words joined by a single `-` or `_`, starting with a letter"));
                        continue;
                    }
                    ok &= self.unique(&mut seen, key, "map key", Code::InvalidKeys);
                    if !ok {
                        continue;
                    }
                    let field = naming::field_name(&key.value);
                    if let Some(other) = fields.get(&field) {
                        ok = false;
                        self.push(
                            Diagnostic::new(
                                Code::NameCollision,
                                key.span.clone(),
                                format!("map keys `{other}` and `{}` both become the Rust field `{field}`", shorten(&key.value)),
                            )
                            .with_help("rename one of the keys"),
                        );
                    } else {
                        fields.insert(field, &key.value);
                    }
                }
                ok.then(|| keys.value.iter().map(|k| k.value.to_string()).collect())
            }
            (Some(_), Some(keys)) => {
                self.push(Diagnostic::new(
                    Code::InvalidKeys,
                    keys.span.clone(),
                    format!("only map items have `keys`, but {what} is not a map"),
                ));
                None
            }
            (Some(_), None) => Some(Vec::new()),
            (None, _) => None,
        }
    }
}

/// The object tree of all item paths, built while validating, for the cross-item path rules:
/// duplicate paths, a path inside another item's value, and JSON keys or objects that would
/// become the same Rust name. Keys borrow the spec's text; each item costs a few hash lookups.
struct PathTree<'s> {
    /// (parent node, JSON key) -> node; node 0 is the payload root.
    children: FastMap<(usize, &'s str), usize>,
    nodes: Vec<Node>,
    /// (parent node, Rust field name) -> the JSON key that claimed it.
    fields: FastMap<(usize, String), &'s str>,
    /// Rust struct name -> the node that claimed it.
    structs: FastMap<String, usize>,
    /// The segments of the path being inserted, reused from item to item.
    segments: Vec<&'s str>,
}

#[derive(Default, Clone, Copy)]
struct Node {
    /// The item whose value sits here.
    leaf: Option<usize>,
    /// The first item whose path passes through here.
    via: Option<usize>,
    is_struct: bool,
}

impl<'s> PathTree<'s> {
    fn with_capacity(items: usize) -> Self {
        let mut structs = FastMap::default();
        structs.insert("Payload".to_owned(), 0);
        Self {
            children: FastMap::with_capacity_and_hasher(items * 2, Default::default()),
            nodes: Vec::with_capacity(items * 2),
            fields: FastMap::with_capacity_and_hasher(items * 2, Default::default()),
            structs,
            segments: Vec::new(),
        }
    }

    fn insert(
        &mut self,
        v: &mut Validator<'_>,
        raw: &'s [RawItem<'_>],
        index: usize,
        path: &'s SString<'_>,
        is_map: bool,
    ) {
        if self.nodes.is_empty() {
            self.nodes.push(Node {
                is_struct: true,
                ..Node::default()
            });
        }
        let mut segments = std::mem::take(&mut self.segments);
        segments.clear();
        segments.extend(path.value.split('.'));
        self.insert_segments(v, raw, index, path, is_map, &segments);
        self.segments = segments;
    }

    fn insert_segments(
        &mut self,
        v: &mut Validator<'_>,
        raw: &'s [RawItem<'_>],
        index: usize,
        path: &'s SString<'_>,
        is_map: bool,
        segments: &[&'s str],
    ) {
        let mut node = 0;
        for (depth, &segment) in segments.iter().enumerate() {
            let last = depth + 1 == segments.len();
            if let Some(owner) = self.nodes[node].leaf {
                let line = v.file.position(raw[owner].span.start).line;
                let inside = segments[..depth].join(".");
                v.push(
                    Diagnostic::new(
                        Code::PathPrefix,
                        path.span.clone(),
                        format!("path `{}` lies inside `{}`, which is another item's value", shorten(&path.value), shorten(&inside)),
                    )
                    .with_help(format!("the item on line {line} is sent under `{}`; a JSON key cannot be both a value and an object", shorten(&inside))),
                );
                return;
            }
            if !self.make_struct(v, node, &segments[..depth], path) {
                return;
            }
            node = match self.children.get(&(node, segment)) {
                Some(&child) => child,
                None => {
                    let field = naming::field_name(segment);
                    if let Some(&other) = self.fields.get(&(node, field.clone())) {
                        let parent = segments[..depth].join(".");
                        v.push(
                            Diagnostic::new(
                                Code::NameCollision,
                                path.span.clone(),
                                format!(
                                    "keys `{}` and `{}` under `{}` both become the Rust field `{field}`",
                                    shorten(other),
                                    shorten(segment),
                                    if parent.is_empty() { "the payload root" } else { &parent }
                                ),
                            )
                            .with_help("rename one of the keys"),
                        );
                        return;
                    }
                    self.fields.insert((node, field), segment);
                    let child = self.nodes.len();
                    self.nodes.push(Node::default());
                    self.children.insert((node, segment), child);
                    child
                }
            };
            if last {
                let here = self.nodes[node];
                if let Some(first) = here.leaf {
                    let line = v.file.position(raw[first].span.start).line;
                    v.push(
                        Diagnostic::new(
                            Code::DuplicatePath,
                            path.span.clone(),
                            format!("duplicate path `{}`", shorten(&path.value)),
                        )
                        .with_help(format!(
                            "the item on line {line} is already sent under this path"
                        )),
                    );
                    return;
                }
                if let Some(inner) = here.via {
                    let line = v.file.position(raw[index].span.start).line;
                    let inner_path = raw[inner]
                        .path
                        .as_ref()
                        .map_or(String::new(), |p| p.value.to_string());
                    let inner_span = raw[inner]
                        .path
                        .as_ref()
                        .map_or(raw[inner].span.clone(), |p| p.span.clone());
                    v.push(
                        Diagnostic::new(
                            Code::PathPrefix,
                            inner_span,
                            format!("path `{}` lies inside `{}`, which is another item's value", shorten(&inner_path), shorten(&path.value)),
                        )
                        .with_help(format!("the item on line {line} is sent under `{}`; a JSON key cannot be both a value and an object", shorten(&path.value))),
                    );
                    return;
                }
                self.nodes[node].leaf = Some(index);
                if is_map {
                    self.make_struct(v, node, segments, path);
                }
            } else if self.nodes[node].via.is_none() {
                self.nodes[node].via = Some(index);
            }
        }
    }

    /// Claims the name of the enum or record type generated for an item's leaves.
    fn claim_type(&mut self, v: &mut Validator<'_>, path: &SString, suffix: &str) {
        let segments: Vec<&str> = path.value.split('.').collect();
        let name = format!("{}{suffix}", naming::struct_name(&segments));
        let what = format!("the item at `{}` needs the Rust type", shorten(&path.value));
        self.claim_name(
            v,
            name,
            usize::MAX,
            &what,
            "another object or item of the payload",
            path,
        );
    }

    /// Claims the Rust struct name of the object at `node`; false (and a diagnostic) if another
    /// object already has it.
    fn make_struct(
        &mut self,
        v: &mut Validator<'_>,
        node: usize,
        segments: &[&str],
        path: &SString,
    ) -> bool {
        if self.nodes[node].is_struct {
            return true;
        }
        self.nodes[node].is_struct = true;
        let name = naming::struct_name(segments);
        let what = format!(
            "the object `{}` becomes the Rust struct",
            shorten(&segments.join("."))
        );
        self.claim_name(v, name, node, &what, "another object of the payload", path)
    }

    /// Claims a generated type name for `owner` (a node, or `usize::MAX` for an item's leaf
    /// type); false, with a diagnostic (`what` needs it, `others` may hold it), if a standard
    /// type or another generated type already has it.
    fn claim_name(
        &mut self,
        v: &mut Validator<'_>,
        name: String,
        owner: usize,
        what: &str,
        others: &str,
        path: &SString,
    ) -> bool {
        let why = if PRELUDE.contains(&name.as_str()) {
            "the name of a standard type the generated code uses".to_owned()
        } else {
            match self.structs.entry(name.clone()) {
                std::collections::hash_map::Entry::Vacant(free) => {
                    free.insert(owner);
                    return true;
                }
                std::collections::hash_map::Entry::Occupied(_) => {
                    format!("which {others} already has")
                }
            }
        };
        v.push(
            Diagnostic::new(
                Code::NameCollision,
                path.span.clone(),
                format!("{what} `{name}`, {why}"),
            )
            .with_help("rename a segment of one of the paths"),
        );
        false
    }
}

/// Standard names the generated code uses unqualified: no generated type may take one.
const PRELUDE: &[&str] = &[
    "String", "Vec", "Option", "Some", "None", "Box", "Result", "Ok", "Err",
];

/// Below this many items, items are checked on one thread: spawning costs more than it saves.
const PARALLEL_ITEMS: usize = 2_000;

/// What checking one item needs from the rest of the spec.
#[derive(Clone, Copy)]
struct ItemContext<'a> {
    category_ids: &'a HashSet<&'a str>,
    declared_categories: &'a [&'a str],
    declared_sources: &'a [&'a str],
    sources: &'a [Source],
}

/// A run of items checked on their own, with the diagnostics found.
/// The rules of each item of one chunk of items, checked on one thread.
struct CheckedChunk {
    items: Vec<Item>,
    removed: Vec<RemovedItem>,
    /// One per item of the chunk, in order.
    checks: Vec<ItemChecks>,
    diags: Vec<Diagnostic>,
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

/// One valid `[[item]]`: still sent, or kept only for the disclosure page's history.
// Almost every item is active; boxing it would cost an allocation per item for nothing.
#[allow(clippy::large_enum_variant)]
enum Entry {
    Active(Item),
    Removed(RemovedItem),
}

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
