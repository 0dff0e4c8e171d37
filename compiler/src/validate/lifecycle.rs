//! The lifecycle rules of an item: its status, its expiry and when it was removed, and that an
//! active path does not reuse a removed item's path.

use std::fmt;

use crate::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::expiry::Date;
use crate::fastmap::FastMap;
use crate::model::{Expiry, RawItem, SString};
use crate::parse::shorten;

use super::{Claim, ItemStatus, Validator};

impl Validator<'_> {
    /// Refuses an active path that is, contains or lies inside the path of a removed item.
    pub(super) fn removed_path(
        &mut self,
        raw: &[Claim],
        retired: &FastMap<&str, usize>,
        path: &SString,
    ) {
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

    /// `status`: `active` when absent.
    pub(super) fn status(&mut self, raw: &RawItem, what: &dyn fmt::Display) -> Option<ItemStatus> {
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
    pub(super) fn expires(
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
    pub(super) fn removed_in(
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
}
