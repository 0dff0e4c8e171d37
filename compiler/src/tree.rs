//! The payload as a tree of JSON objects, built once from the item paths, for everything that
//! walks the payload object by object: the generated structs and `collect()`, the JSON Schema
//! and the example payload. It borrows every name from the spec.

use crate::fastmap::FastMap;
use crate::model::ValidSpec;
use crate::types::IfUnavailable;

/// One JSON object of the payload: its path and its members in first-appearance order.
pub(crate) struct Object<'a> {
    pub path: &'a [crate::model::Name],
    pub members: Vec<Member<'a>>,
    /// The rule of an `[[object]]` declared at this path: absent as a whole (`omit`) or `null`.
    pub optional: Option<IfUnavailable>,
}

pub(crate) enum Member<'a> {
    /// The key of a nested object, and the object's index.
    Object(&'a str, usize),
    /// The key of an item's value, and the item's index.
    Leaf(&'a str, usize),
}

impl<'a> Member<'a> {
    pub fn segment(&self) -> &'a str {
        match self {
            Member::Object(segment, _) | Member::Leaf(segment, _) => segment,
        }
    }
}

/// Every object of the payload; index 0 is the payload itself.
pub(crate) fn objects(spec: &ValidSpec) -> Vec<Object<'_>> {
    let mut objects = vec![Object {
        path: &[],
        members: Vec::new(),
        optional: None,
    }];
    // (parent object, key) -> object
    let mut index: FastMap<(usize, &str), usize> = FastMap::default();
    // The parents of the last item and their objects (see `keep_shared`).
    let mut last: Vec<(&str, usize)> = Vec::new();
    for (item_index, item) in spec.items.iter().enumerate() {
        let Some((leaf, parents)) = item.path.split_last() else {
            continue;
        };
        let shared = keep_shared(&mut last, parents);
        let mut parent = last.last().map_or(0, |&(_, object)| object);
        for (depth, segment) in parents.iter().enumerate().skip(shared) {
            parent = match index.get(&(parent, segment.as_str())) {
                Some(&i) => i,
                None => {
                    let i = objects.len();
                    objects.push(Object {
                        path: &item.path[..=depth],
                        members: Vec::new(),
                        optional: None,
                    });
                    objects[parent].members.push(Member::Object(segment, i));
                    index.insert((parent, segment.as_str()), i);
                    i
                }
            };
            last.push((segment, parent));
        }
        objects[parent].members.push(Member::Leaf(leaf, item_index));
    }
    for declared in &spec.objects {
        if let Some(object) = objects
            .iter_mut()
            .find(|o| o.path == declared.path.as_slice())
        {
            object.optional = Some(declared.if_unavailable);
        }
    }
    objects
}

/// How many of the objects in `last` (the parent segments of the path before, each with its
/// object) `parents` shares from the start; `last` keeps only those. Paths are usually written
/// near their siblings, whose shared objects then need no lookup.
pub(crate) fn keep_shared<S: AsRef<str>>(last: &mut Vec<(&str, usize)>, parents: &[S]) -> usize {
    let shared = last
        .iter()
        .zip(parents)
        .take_while(|((known, _), segment)| *known == segment.as_ref())
        .count();
    last.truncate(shared);
    shared
}
