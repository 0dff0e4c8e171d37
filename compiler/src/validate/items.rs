//! The item rules driver: every `[[item]]` checked on its own (in parallel for large specs),
//! then the rules across items (unique ids, paths and source fields).

use std::collections::HashSet;
use std::fmt;

use crate::diagnostic::{Code, Diagnostic};
use crate::fastmap::FastMap;
use crate::model::{Item, RawItem, RemovedItem, SString};
use crate::source::SourceFile;
use crate::types::{LeafKind, Scalar, ShapeKind};

use super::paths::PathTree;
use super::{
    CheckedChunk, Claim, ItemChecks, ItemContext, ItemLists, ItemName, ItemStatus, Validator, item,
};

/// Below this many items, items are checked on one thread: spawning costs more than it saves.
const PARALLEL_ITEMS: usize = 2_000;

impl<'a> Validator<'a> {
    /// The per-item rules on `raw` (in parallel for large specs), then the rules across items.
    pub(super) fn items<'t>(
        &mut self,
        raw: &[RawItem<'t>],
        ctx: &ItemContext<'_>,
    ) -> (Vec<Item>, Vec<RemovedItem>) {
        let threads = crate::parallel::threads_for(raw.len(), PARALLEL_ITEMS);
        let chunks: Vec<&[RawItem<'t>]> = raw.chunks(raw.len().div_ceil(threads).max(1)).collect();
        let (file, wrong_kind) = (self.file, self.wrong_kind);
        let parts = crate::parallel::map(&chunks, threads, |chunk| {
            let mut part = CheckedChunk::default();
            check_chunk(file, wrong_kind, chunk, ctx, &mut part);
            part
        });
        self.across(parts)
    }

    /// The rules across items, on the items checked part by part (in document order).
    /// Maps are sized up front: growing big maps while many small blocks are freed makes the
    /// allocator consolidate its free lists again and again.
    pub(super) fn across(&mut self, parts: Vec<CheckedChunk<'_>>) -> (Vec<Item>, Vec<RemovedItem>) {
        let n: usize = parts.iter().map(|p| p.claims.len()).sum();
        if n == 0 {
            self.push(
                Diagnostic::new(Code::NoItems, 0..0, "the spec declares no `[[item]]`")
                    .with_help("a telemetry payload needs at least one item"),
            );
            return (Vec::new(), Vec::new());
        }
        let mut claims: Vec<Claim<'_>> = Vec::new();
        let mut item_parts = Vec::with_capacity(parts.len());
        for mut part in parts {
            self.diags.append(&mut part.diags);
            gather(&mut claims, part.claims, n);
            item_parts.push((part.items, part.removed));
        }
        // Two independent halves, on two threads for a large spec: the unique names (and
        // gathering the items), and the paths. Their diagnostics are sorted later anyway.
        let names = |v: &mut Validator<'_>| {
            let mut items: Vec<Item> = Vec::new();
            let mut removed = Vec::new();
            for (part, mut part_removed) in item_parts {
                gather(&mut items, part, n);
                removed.append(&mut part_removed);
            }
            v.unique_names(&claims);
            (items, removed)
        };
        if crate::parallel::threads_for(n, PARALLEL_ITEMS) > 1 {
            let (file, wrong_kind) = (self.file, self.wrong_kind);
            std::thread::scope(|scope| {
                let other = scope.spawn(|| {
                    crate::heap::prepare_thread();
                    let mut diags = Vec::new();
                    let mut v = Validator {
                        file,
                        wrong_kind,
                        diags: &mut diags,
                    };
                    (names(&mut v), diags)
                });
                self.paths(&claims);
                match other.join() {
                    Ok((done, mut diags)) => {
                        self.diags.append(&mut diags);
                        done
                    }
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            })
        } else {
            self.paths(&claims);
            names(self)
        }
    }

    /// Item ids, and the source fields of items still sent, are unique.
    fn unique_names(&mut self, claims: &[Claim<'_>]) {
        let mut ids = FastMap::with_capacity_and_hasher(claims.len(), Default::default());
        let mut source_fields = FastMap::with_capacity_and_hasher(claims.len(), Default::default());
        for claim in claims {
            let checks = claim.checks;
            if let Some(id) = &claim.id {
                self.unique(&mut ids, id, "item id", Code::DuplicateId);
            }
            // A removed item's source field is free again: its replacement often reads it.
            if let (true, false, Some(s)) = (checks.source_ok, checks.removed, &claim.source) {
                self.unique(
                    &mut source_fields,
                    s,
                    "source field",
                    Code::DuplicateSourceField,
                );
            }
        }
    }

    /// The path rules across items (see [`PathTree`]) and against removed items' paths.
    fn paths(&mut self, claims: &[Claim<'_>]) {
        let mut tree = PathTree::with_capacity(claims.len());
        // Every prefix of a removed item's path -> that item, and the active paths to hold
        // against them once all removed items are known (a removed item may come later).
        let mut retired: FastMap<&str, usize> = FastMap::default();
        let mut active_paths: Vec<&SString> = Vec::new();
        for (index, claim) in claims.iter().enumerate() {
            let checks = claim.checks;
            if let (true, Some(path)) = (checks.path_ok, &claim.path) {
                if checks.removed {
                    let text: &str = &path.value;
                    for (at, _) in text.match_indices('.') {
                        retired.entry(&text[..at]).or_insert(index);
                    }
                    retired.insert(text, index);
                } else {
                    tree.insert(self, claims, index, path, checks.is_map);
                    active_paths.push(path);
                    if let Some(suffix) = checks.leaf_type {
                        tree.claim_type(self, path, suffix);
                    }
                }
            }
        }
        if !retired.is_empty() {
            for path in active_paths {
                self.removed_path(claims, &retired, path);
            }
        }
    }

    /// The rules of one item on its own; the rules across items are in [`Validator::items`].
    /// The rules of one item; the checked item, if it is valid, goes into `into` (the items
    /// still sent and the removed ones).
    pub(super) fn item(
        &mut self,
        raw: &RawItem,
        ctx: &ItemContext<'_>,
        into: ItemLists<'_>,
    ) -> ItemChecks {
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
        if ok {
            item::assemble(parts, into);
        }
        checks
    }
}

/// Appends a part to `whole` of at most `total` elements. The first part that has any becomes
/// the whole (it was given room for all, see `validate_groups`), so the items and claims, most
/// of the memory of a large spec, are not all moved again.
fn gather<T>(whole: &mut Vec<T>, mut part: Vec<T>, total: usize) {
    if whole.is_empty() {
        *whole = part;
        whole.reserve_exact(total.saturating_sub(whole.len()));
    } else {
        whole.append(&mut part);
    }
}

/// The rules of each item of `chunk` on its own, and what the rules across items need of
/// it, added to `part`.
pub(super) fn check_chunk<'t>(
    file: &SourceFile,
    wrong_kind: &HashSet<(usize, String)>,
    chunk: &[RawItem<'t>],
    ctx: &ItemContext<'_>,
    part: &mut CheckedChunk<'t>,
) {
    part.items.reserve(chunk.len());
    part.claims.reserve(chunk.len());
    let mut v = Validator {
        file,
        wrong_kind,
        diags: &mut part.diags,
    };
    for raw in chunk {
        let checks = v.item(raw, ctx, (&mut part.items, &mut part.removed));
        part.claims.push(Claim {
            span: raw.span.clone(),
            id: raw.id.clone(),
            source: raw.source.clone(),
            path: raw.path.clone(),
            removed_in: raw.removed_in.clone(),
            checks,
        });
    }
}
