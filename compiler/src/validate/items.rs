//! The item rules driver: every `[[item]]` checked on its own (in parallel for large specs),
//! then the rules across items (unique ids, paths and source fields).

use std::collections::HashSet;
use std::fmt;

use crate::diagnostic::{Code, Diagnostic};
use crate::fastmap::FastMap;
use crate::model::{Category, Item, RawItem, RemovedItem, SString, Source, Spec};
use crate::types::{LeafKind, Scalar, ShapeKind};

use super::paths::PathTree;
use super::{CheckedChunk, Entry, ItemChecks, ItemContext, ItemName, ItemStatus, Validator, item};

/// Below this many items, items are checked on one thread: spawning costs more than it saves.
const PARALLEL_ITEMS: usize = 2_000;

impl Validator<'_> {
    pub(super) fn items(
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

    /// The rules of one item on its own; the rules across items are in [`Validator::items`].
    pub(super) fn item(
        &mut self,
        raw: &RawItem,
        ctx: &ItemContext<'_>,
    ) -> (Option<Entry>, ItemChecks) {
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
}
