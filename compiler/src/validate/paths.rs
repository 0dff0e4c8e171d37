//! The rules of where values sit in the payload: path syntax, `[[object]]`s, and the object tree
//! of all paths that finds duplicates, values inside values and clashing generated names.

use std::collections::HashMap;
use std::fmt;

use hashbrown::HashTable;

use crate::diagnostic::{Code, Diagnostic};
use crate::fastmap::FastMap;
use crate::model::{Item, Name, Object, RawItem, SString, Spec};
use crate::naming;
use crate::parse::shorten;
use crate::source::Span;
use crate::types::{IfUnavailable, ShapeKind};

use super::{Claim, Validator};

impl Validator<'_> {
    /// `[[object]]`s: a path under which items lie (not an item itself, not inside another
    /// optional object), absent as a whole, and only holding items that may be absent.
    pub(super) fn objects(&mut self, spec: &Spec, items: &[Item]) -> Vec<Object> {
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
                        item.spans.path.span(),
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

    pub(super) fn path(&mut self, path: &SString) -> Option<Vec<Name>> {
        let segments: Vec<Name> = path.value.split('.').map(Name::from).collect();
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

    pub(super) fn keys(
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
/// become the same Rust name. Keys borrow the spec's text; each item costs a hash lookup or
/// two.
pub(super) struct PathTree<'s> {
    /// (parent node, Rust field name) -> the JSON key that claimed the name, and its node.
    /// Keyed by the field name, one lookup finds both the same key (the same node) and another
    /// key with the same field name (a clash). The names are kept in `names`, one string for
    /// all: a string each would be an allocation to make and to free per item.
    children: HashTable<Child<'s>>,
    names: String,
    /// The field name being looked up, reused from segment to segment.
    name: String,
    nodes: Vec<Node>,
    /// Rust struct name -> the node that claimed it.
    structs: FastMap<String, usize>,
    /// The segments of the path being inserted, reused from item to item.
    segments: Vec<&'s str>,
    /// The objects of the last path inserted whole (its segments but the last, and their
    /// nodes): items are usually written near their siblings, and a path that shares them
    /// starts below them without looking them up again.
    last: Vec<(&'s str, usize)>,
}

/// An entry of [`PathTree::children`].
struct Child<'s> {
    parent: usize,
    /// Where the field name is in [`PathTree::names`].
    name: std::ops::Range<usize>,
    key: &'s str,
    node: usize,
}

/// The hash of a (parent, field name) pair.
fn child_hash(parent: usize, name: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = crate::fastmap::Fnv::default();
    parent.hash(&mut h);
    name.hash(&mut h);
    h.finish()
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
    pub(super) fn with_capacity(items: usize) -> Self {
        let mut structs = FastMap::default();
        structs.insert("Payload".to_owned(), 0);
        // A node per item and per object; objects are usually far fewer than items, and every
        // byte reserved here is memory the kernel must clear.
        let nodes = items + items / 8;
        Self {
            children: HashTable::with_capacity(nodes),
            names: String::with_capacity(nodes * 8),
            name: String::new(),
            nodes: Vec::with_capacity(nodes),
            structs,
            segments: Vec::new(),
            last: Vec::new(),
        }
    }

    pub(super) fn insert(
        &mut self,
        v: &mut Validator<'_>,
        raw: &'s [Claim<'_>],
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
        // Split byte by byte: a char searcher (memchr, or decoding chars) costs more than it
        // saves on segments this short.
        let text: &'s str = &path.value;
        let mut start = 0;
        for (at, _) in text.bytes().enumerate().filter(|&(_, b)| b == b'.') {
            segments.push(&text[start..at]);
            start = at + 1;
        }
        segments.push(&text[start..]);
        self.insert_segments(v, raw, index, path, is_map, &segments);
        self.segments = segments;
    }

    fn insert_segments(
        &mut self,
        v: &mut Validator<'_>,
        raw: &'s [Claim<'_>],
        index: usize,
        path: &'s SString<'_>,
        is_map: bool,
        segments: &[&'s str],
    ) {
        // The objects this path shares with the last one. Such a node stays an object for
        // good: it was checked (no item's value), claimed its struct name and was passed
        // through, and a later path that would end at it is refused before it becomes a leaf.
        let shared = crate::tree::keep_shared(&mut self.last, &segments[..segments.len() - 1]);
        let mut node = self.last.last().map_or(0, |&(_, n)| n);
        for (depth, &segment) in segments.iter().enumerate().skip(shared) {
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
            if depth > shared {
                self.last.push((segments[depth - 1], node));
            }
            self.name.clear();
            naming::push_field_name(&mut self.name, segment);
            let hash = child_hash(node, &self.name);
            let (names, name) = (&self.names, &self.name);
            let found = self.children.find(hash, |c| {
                c.parent == node && names[c.name.clone()] == **name
            });
            node = match found {
                Some(&Child {
                    key: other,
                    node: child,
                    ..
                }) => {
                    if other != segment {
                        let field = &self.name;
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
                    child
                }
                None => {
                    let child = self.nodes.len();
                    self.nodes.push(Node::default());
                    let start = self.names.len();
                    self.names.push_str(&self.name);
                    let names = &self.names;
                    self.children.insert_unique(
                        hash,
                        Child {
                            parent: node,
                            name: start..names.len(),
                            key: segment,
                            node: child,
                        },
                        |c| child_hash(c.parent, &names[c.name.clone()]),
                    );
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
    pub(super) fn claim_type(&mut self, v: &mut Validator<'_>, path: &SString, suffix: &str) {
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

#[cfg(test)]
mod tests {
    use std::borrow::Cow;
    use std::collections::HashSet;

    use super::super::ItemChecks;
    use super::*;
    use crate::source::SourceFile;

    /// The diagnostics of inserting `paths` (a path ending in `!` is a map) in order; with
    /// `reuse` false, every path is looked up from the root.
    fn insert_all(paths: &[String], reuse: bool) -> Vec<String> {
        let text = paths.join("\n");
        let file = SourceFile::new("t.toml", text);
        let wrong_kind = HashSet::new();
        let mut diags = Vec::new();
        let mut v = Validator {
            file: &file,
            wrong_kind: &wrong_kind,
            diags: &mut diags,
        };
        let mut at = 0;
        let claims: Vec<Claim<'_>> = paths
            .iter()
            .map(|p| {
                let span = at..at + p.len();
                at += p.len() + 1;
                Claim {
                    span: span.clone(),
                    id: None,
                    source: None,
                    path: Some(SString::new(Cow::Borrowed(p.trim_end_matches('!')), span)),
                    removed_in: None,
                    checks: ItemChecks {
                        path_ok: true,
                        source_ok: true,
                        is_map: p.ends_with('!'),
                        leaf_type: None,
                        removed: false,
                    },
                }
            })
            .collect();
        let mut tree = PathTree::with_capacity(claims.len());
        for (index, claim) in claims.iter().enumerate() {
            if !reuse {
                tree.last.clear();
            }
            if let Some(path) = &claim.path {
                tree.insert(&mut v, &claims, index, path, claim.checks.is_map);
            }
        }
        diags.iter().map(|d| format!("{d:?}")).collect()
    }

    #[test]
    fn paths_that_share_objects_with_the_last_one_are_checked_exactly_as_from_the_root() {
        // Segments that clash as Rust names, and standard names, in every order and depth.
        const SEGMENTS: [&str; 7] = ["a", "b", "a-b", "aB", "a_b", "string", "c"];
        let mut rng = test_support::Rng(0x2545_f491_4f6c_dd1d);
        let mut next = |n: usize| rng.below(n);
        let mut found = 0;
        for _ in 0..3000 {
            let paths: Vec<String> = (0..6)
                .map(|_| {
                    let depth = 1 + next(3);
                    let mut path: Vec<&str> = (0..depth).map(|_| SEGMENTS[next(4)]).collect();
                    if next(5) == 0 {
                        path[next(depth)] = SEGMENTS[next(SEGMENTS.len())];
                    }
                    let map = if next(6) == 0 { "!" } else { "" };
                    format!("{}{map}", path.join("."))
                })
                .collect();
            let reused = insert_all(&paths, true);
            assert_eq!(reused, insert_all(&paths, false), "{paths:?}");
            found += reused.len();
        }
        assert!(
            found > 1000,
            "the paths clash too rarely to test much: {found}"
        );
    }
}
