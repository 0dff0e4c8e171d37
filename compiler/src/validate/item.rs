//! The rules of one item that are neither its value (see `types`) nor its lifecycle: its
//! category, source, sensitivity, review and allowed lints; and the assembly of a checked item
//! from its parts.

use std::fmt;

use super::{ItemContext, ItemLists, ItemStatus, Validator, types::Typed};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::{
    Expiry, Item, ItemSpans, Name, RawItem, RemovedItem, SString, Sensitivity, Spanned, Status,
};
use crate::parse::shorten;

impl Validator<'_> {
    /// The item's category: present and declared.
    pub(super) fn item_category<'s, 't>(
        &mut self,
        raw: &'s RawItem<'t>,
        ctx: &ItemContext<'_>,
        what: &dyn fmt::Display,
        ok: &mut bool,
    ) -> Option<&'s SString<'t>> {
        let category = self.required(&raw.category, "category", &what, &raw.span);
        if let Some(c) = category
            && !ctx.category_ids.contains(&*c.value)
            && !ctx.declared_categories.contains(&&*c.value)
        {
            *ok = false;
            self.unknown_name(
                Code::UnknownCategory,
                c,
                "category",
                ctx.declared_categories,
            );
        }
        category
    }

    /// `<source>.<field>`: a declared source and a field that can be a Rust identifier. A
    /// removed item's source may no longer exist: it is neither required nor checked.
    pub(super) fn item_source(
        &mut self,
        raw: &RawItem,
        ctx: &ItemContext<'_>,
        what: &dyn fmt::Display,
        removed: bool,
    ) -> Option<(Name, Name)> {
        if removed {
            return Some((Name::default(), Name::default()));
        }
        let s = self.required(&raw.source, "source", &what, &raw.span)?;
        let Some((source, field)) = s.value.split_once('.') else {
            self.push(
                Diagnostic::new(
                    Code::UnknownSource,
                    s.span.clone(),
                    format!("source `{}` does not name a field", shorten(&s.value)),
                )
                .with_help("write `<source>.<field>`, for example `license.customer`"),
            );
            return None;
        };
        let mut fine = true;
        if !ctx.sources.iter().any(|d| d.id == source) && !ctx.declared_sources.contains(&source) {
            fine = false;
            self.unknown_at(
                Code::UnknownSource,
                source,
                s.span.clone(),
                "source",
                ctx.declared_sources,
            );
        }
        // The field becomes a struct field: point the diagnostic at it, not at the whole string.
        let field_start = (s.span.start + 1 + source.len() + 1).min(s.span.end);
        let field_span = Spanned::new(
            std::borrow::Cow::Borrowed(field),
            field_start..s.span.end.saturating_sub(1).max(field_start),
        );
        fine &= self.identifier(&field_span, "source field");
        fine.then(|| (Name::from(source), Name::from(field)))
    }

    pub(super) fn item_sensitivity(&mut self, raw: &RawItem, ok: &mut bool) -> Option<Sensitivity> {
        let s = raw.sensitivity.as_ref()?;
        let parsed = Sensitivity::parse(&s.value);
        if parsed.is_none() {
            let names: Vec<&str> = Sensitivity::ALL.iter().map(|s| s.as_str()).collect();
            self.unknown_name(Code::UnknownSensitivity, s, "sensitivity", &names);
            *ok = false;
        }
        parsed
    }

    /// The approval the item was collected under: required for identifying and
    /// business-confidential items that are still sent.
    pub(super) fn item_review(
        &mut self,
        raw: &RawItem,
        removed: bool,
        sensitivity: Option<Sensitivity>,
        what: &dyn fmt::Display,
        ok: &mut bool,
    ) -> Option<Name> {
        if let Some(r) = self.optional_text(&raw.review, "review", &what, ok) {
            return Some(Name::from(&*r.value));
        }
        if raw.review.is_none()
            && let (false, Some(s)) = (removed, sensitivity.filter(|s| s.needs_purpose()))
        {
            *ok = false;
            let span = raw
                .sensitivity
                .as_ref()
                .map_or(raw.span.clone(), |s| s.span.clone());
            self.push(
                Diagnostic::new(
                    Code::ReviewRequired,
                    span,
                    format!("{what} is {} but names no approval in `review`", s.as_str()),
                )
                .with_help("add `review = \"<URL or ticket id of the data review>\"`; `telemetry-spec review OLD NEW` writes the request"),
            );
        }
        None
    }

    /// The lints `allow` switches off for this item: only lints that exist.
    pub(super) fn item_allow(&mut self, raw: &RawItem, ok: &mut bool) -> Vec<Code> {
        let mut allow = Vec::new();
        for name in raw.allow.iter().flat_map(|a| &a.value) {
            match Code::lint(&name.value) {
                Some(code) => allow.push(code),
                None => {
                    *ok = false;
                    // Listed only for the suggestion: nearly every item allows nothing.
                    let lints: Vec<&str> = Code::ALL
                        .iter()
                        .filter(|c| c.is_lint())
                        .map(|c| c.name())
                        .collect();
                    self.unknown_name(Code::UnknownLint, name, "lint", &lints);
                }
            }
        }
        allow
    }
}

/// Everything checked about one item, for [`assemble`].
pub(super) struct Parts<'s, 't> {
    pub raw: &'s RawItem<'t>,
    pub id: Option<&'s SString<'t>>,
    pub category: Option<&'s SString<'t>>,
    pub label: Option<&'s SString<'t>>,
    pub description: Option<&'s SString<'t>>,
    pub purpose: Option<&'s SString<'t>>,
    pub path: Option<Vec<Name>>,
    pub typed: Option<Typed>,
    pub source: Option<(Name, Name)>,
    pub sensitivity: Option<Sensitivity>,
    pub since: Option<&'s SString<'t>>,
    pub owner: Option<&'s SString<'t>>,
    pub review: Option<Name>,
    pub expires: Option<Expiry>,
    pub removed_in: Option<String>,
    pub status: Option<ItemStatus>,
    pub allow: Vec<Code>,
}

/// The checked item, pushed into its list (see [`ItemLists`]); nothing if a part is missing (its
/// diagnostic was reported where it was checked).
pub(super) fn assemble(p: Parts<'_, '_>, (items, removed): ItemLists<'_>) -> Option<()> {
    let (id, category, label, description) = (p.id?, p.category?, p.label?, p.description?);
    let (path, since, owner) = (p.path?, p.since?, p.owner?);
    let at = &p.raw.span;
    if p.status == Some(ItemStatus::Removed) {
        // A removed item keeps what a reviewer needs to see; its value is no longer generated.
        let _ = (p.typed?, p.source?);
        removed.push(RemovedItem {
            id: Name::from(&*id.value),
            category: Name::from(&*category.value),
            label: Name::from(&*label.value),
            description: description.value.to_string(),
            purpose: p.purpose.map(|p| p.value.to_string()),
            path,
            sensitivity: p.sensitivity,
            owner: Name::from(&*owner.value),
            review: p.review,
            since: Name::from(&*since.value),
            removed_in: p.removed_in.map(Name::from).unwrap_or_default(),
        });
        return Some(());
    }
    let typed = p.typed?;
    let (source, source_field) = p.source?;
    items.push(Item {
        id: Name::from(&*id.value),
        category: Name::from(&*category.value),
        label: Name::from(&*label.value),
        description: description.value.to_string(),
        purpose: p.purpose.map(|p| p.value.to_string()),
        path,
        value_type: typed.value_type,
        rules: typed.rules.into(),
        if_unavailable: typed.if_unavailable,
        fallback: typed.fallback.map(Box::new),
        example: typed.example,
        source,
        source_field,
        sensitivity: p.sensitivity,
        since: Name::from(&*since.value),
        owner: Name::from(&*owner.value),
        review: p.review,
        expires: p.expires.unwrap_or(Expiry::Never),
        status: if p.status == Some(ItemStatus::Deprecated) {
            Status::Deprecated
        } else {
            Status::Active
        },
        allow: p.allow,
        spans: ItemSpans {
            item: at.into(),
            id: (&id.span).into(),
            path: p.raw.path.as_ref().map_or(at, |p| &p.span).into(),
            label: (&label.span).into(),
            description: (&description.span).into(),
            expires: p.raw.expires.as_ref().map_or(at, |e| &e.span).into(),
        },
    });
    Some(())
}
