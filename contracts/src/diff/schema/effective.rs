//! The merged meaning of a schema.
//!
//! A [`Node`] is the set of schema objects that together constrain one
//! value: the object a pointer leads to after following `$ref`s, plus every
//! `allOf` member, recursively (a visited set ends cycles). [`Effective`]
//! reads keywords across those members the way validation combines them:
//! types and enums intersect, bounds take the tightest value, properties and
//! `required` unite, `additionalProperties: false` anywhere closes the
//! object. An inline schema and its `$ref`-ed twin, or a schema split into
//! `allOf` parts, therefore read the same.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::ops::Deref;
use std::rc::Rc;

use indexmap::IndexMap;
use serde_json::{Map, Value};

use crate::{pointer, refs};

/// The members of one schema: the resolved root first, then the `allOf`
/// members in pointer order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Node {
    members: Rc<[String]>,
    /// Whether every member is reachable from the root (the node was built
    /// from one pointer), so that the root's JSON says everything.
    pub single: bool,
}

impl Deref for Node {
    type Target = [String];

    fn deref(&self) -> &[String] {
        &self.members
    }
}

/// The node reached from `starts` (pointers to schemas or `$ref`s) in `document`.
pub(crate) fn node(document: &Value, starts: Vec<String>) -> Node {
    let single = starts.len() == 1;
    let mut queue: VecDeque<String> = starts.into();
    let mut seen = HashSet::new();
    let mut found = Vec::new();
    while let Some(at) = queue.pop_front() {
        let Ok((resolved, value)) = refs::follow(document, &at) else {
            continue;
        };
        if !seen.insert(resolved.clone()) {
            continue;
        }
        if let Some(members) = value.get("allOf").and_then(Value::as_array) {
            let all_of = pointer::child(&resolved, "allOf");
            queue.extend((0..members.len()).map(|index| pointer::index(&all_of, index)));
        }
        found.push(resolved);
    }
    if found.len() > 2 {
        found[1..].sort_unstable();
    }
    Node {
        members: found.into(),
        single,
    }
}

/// The nodes of one document, each built once per starting pointer.
pub(crate) struct Nodes<'a> {
    /// The document.
    pub document: &'a Value,
    cache: HashMap<String, Node>,
}

impl<'a> Nodes<'a> {
    pub(crate) fn new(document: &'a Value) -> Self {
        Self {
            document,
            cache: HashMap::new(),
        }
    }

    /// The node reached from `starts`.
    pub(crate) fn node(&mut self, starts: &[String]) -> Node {
        let [start] = starts else {
            return node(self.document, starts.to_vec());
        };
        if let Some(found) = self.cache.get(start) {
            return found.clone();
        }
        let found = node(self.document, vec![start.clone()]);
        self.cache.insert(start.clone(), found.clone());
        found
    }
}

/// What `additionalProperties` allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Additional {
    /// Anything (absent or `true`).
    Any,
    /// Nothing (`false`).
    Forbidden,
    /// Values of these schemas (pointers).
    Schema(Vec<String>),
}

/// An upper or lower bound: the value and whether it is exclusive.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Bound {
    pub value: f64,
    pub exclusive: bool,
}

/// The keywords of one node, merged across its members.
pub(crate) struct Effective<'a> {
    /// Pointer of the root member.
    pub primary: &'a str,
    /// The node read.
    pub node: &'a Node,
    members: Vec<(&'a str, &'a Map<String, Value>)>,
}

impl<'a> Effective<'a> {
    /// Reads `node` in `document`; members that are not objects are ignored.
    pub(crate) fn new(document: &'a Value, node: &'a Node) -> Self {
        let members = node
            .iter()
            .filter_map(|at| {
                let object = pointer::resolve(document, at)?.as_object()?;
                Some((at.as_str(), object))
            })
            .collect();
        Self {
            primary: node.first().map_or("", String::as_str),
            node,
            members,
        }
    }

    /// Every member's value of `key`, with the pointer of that value.
    pub(crate) fn all(&self, key: &'a str) -> impl Iterator<Item = (String, &'a Value)> + '_ {
        self.members.iter().filter_map(move |(at, object)| {
            object
                .get(key)
                .map(|value| (pointer::child(at, key), value))
        })
    }

    /// The first member's value of `key`, with its pointer.
    pub(crate) fn first(&self, key: &'a str) -> Option<(String, &'a Value)> {
        self.all(key).next()
    }

    /// The pointer of `key` where a member declares it, else the root's.
    pub(crate) fn at(&self, key: &'a str) -> String {
        self.first(key)
            .map_or_else(|| self.primary.to_owned(), |(at, _)| at)
    }

    /// Whether any member has `key: true`.
    pub(crate) fn flag(&self, key: &'a str) -> bool {
        self.all(key).any(|(_, value)| value == &Value::Bool(true))
    }

    /// The allowed types (`integer` within `number` narrows to `integer`);
    /// `None` when no member restricts the type.
    pub(crate) fn types(&self) -> Option<BTreeSet<&'a str>> {
        let mut types: Option<BTreeSet<&'a str>> = None;
        for (_, value) in self.all("type") {
            let Some(kind) = value.as_str() else { continue };
            types = Some(match types {
                None => BTreeSet::from([kind]),
                Some(known) => known
                    .into_iter()
                    .filter_map(|have| match (have, kind) {
                        (a, b) if a == b => Some(a),
                        ("number", "integer") | ("integer", "number") => Some("integer"),
                        _ => None,
                    })
                    .collect(),
            });
        }
        types
    }

    /// The allowed values: the intersection of every member's `enum`.
    pub(crate) fn enumeration(&self) -> Option<Vec<&'a Value>> {
        let mut allowed: Option<Vec<&'a Value>> = None;
        for (_, value) in self.all("enum") {
            let Some(values) = value.as_array() else {
                continue;
            };
            allowed = Some(match allowed {
                None => values.iter().collect(),
                Some(known) => known.into_iter().filter(|v| values.contains(v)).collect(),
            });
        }
        allowed
    }

    /// The tightest upper bound of `key` (`exclusive` names the OpenAPI 3.0
    /// boolean modifier, if any).
    pub(crate) fn upper(&self, key: &'a str, exclusive: Option<&'a str>) -> Option<Bound> {
        self.bounds(key, exclusive)
            .reduce(|a, b| if tighter_upper(b, a) { b } else { a })
    }

    /// The tightest lower bound of `key`.
    pub(crate) fn lower(&self, key: &'a str, exclusive: Option<&'a str>) -> Option<Bound> {
        self.bounds(key, exclusive)
            .reduce(|a, b| if tighter_lower(b, a) { b } else { a })
    }

    fn bounds(&self, key: &'a str, exclusive: Option<&'a str>) -> impl Iterator<Item = Bound> + '_ {
        self.members.iter().filter_map(move |(_, object)| {
            let value = object.get(key)?.as_f64()?;
            let exclusive = exclusive
                .and_then(|flag| object.get(flag))
                .is_some_and(|flag| flag == &Value::Bool(true));
            Some(Bound { value, exclusive })
        })
    }

    /// Every `pattern`, sorted.
    pub(crate) fn patterns(&self) -> BTreeSet<&'a str> {
        self.all("pattern")
            .filter_map(|(_, value)| value.as_str())
            .collect()
    }

    /// Property name -> pointers of its schema in every member declaring it.
    pub(crate) fn properties(&self) -> IndexMap<&'a str, Vec<String>> {
        let mut properties: IndexMap<&'a str, Vec<String>> = IndexMap::new();
        for (at, map) in self.all("properties") {
            for name in map.as_object().into_iter().flat_map(Map::keys) {
                properties
                    .entry(name.as_str())
                    .or_default()
                    .push(pointer::child(&at, name));
            }
        }
        properties
    }

    /// Every name listed in a member's `required`.
    pub(crate) fn required(&self) -> BTreeSet<&'a str> {
        self.all("required")
            .filter_map(|(_, value)| value.as_array())
            .flatten()
            .filter_map(Value::as_str)
            .collect()
    }

    /// What `additionalProperties` allows, merged.
    pub(crate) fn additional(&self) -> Additional {
        let mut schemas = Vec::new();
        for (at, value) in self.all("additionalProperties") {
            match value {
                Value::Bool(false) => return Additional::Forbidden,
                Value::Object(_) => schemas.push(at),
                _ => {}
            }
        }
        if schemas.is_empty() {
            Additional::Any
        } else {
            Additional::Schema(schemas)
        }
    }

    /// Pointers of every member's `items`.
    pub(crate) fn items(&self) -> Vec<String> {
        self.all("items").map(|(at, _)| at).collect()
    }

    /// Pointers of the alternatives of the first member's `key` (`oneOf` or `anyOf`).
    pub(crate) fn alternatives(&self, key: &'a str) -> Option<Vec<String>> {
        let (at, value) = self.first(key)?;
        let count = value.as_array()?.len();
        Some((0..count).map(|index| pointer::index(&at, index)).collect())
    }

    /// Whether the node constrains values itself, besides any `oneOf`/`anyOf`.
    pub(crate) fn has_own_constraints(&self) -> bool {
        const OWN: &[&str] = &[
            "type",
            "properties",
            "items",
            "enum",
            "additionalProperties",
            "format",
            "pattern",
            "required",
        ];
        OWN.iter().any(|key| self.first(key).is_some())
    }
}

/// Whether upper bound `a` admits fewer values than `b`.
pub(crate) fn tighter_upper(a: Bound, b: Bound) -> bool {
    a.value < b.value || (a.value == b.value && a.exclusive && !b.exclusive)
}

/// Whether lower bound `a` admits fewer values than `b`.
pub(crate) fn tighter_lower(a: Bound, b: Bound) -> bool {
    a.value > b.value || (a.value == b.value && a.exclusive && !b.exclusive)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merges_references_and_all_of() {
        let document = json!({
            "s": {
                "Base": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string", "maxLength": 9}}},
                "Order": {"allOf": [
                    {"$ref": "#/s/Base"},
                    {"properties": {"id": {"maxLength": 5}, "note": {"type": "string"}}, "additionalProperties": false}
                ]},
                "Loop": {"allOf": [{"$ref": "#/s/Loop"}, {"type": "integer"}, {"type": "number", "maximum": 3, "exclusiveMaximum": true}, {"maximum": 3}]},
                "Ref": {"$ref": "#/s/Order"}
            }
        });
        let order = node(&document, vec!["/s/Ref".into()]);
        assert_eq!(
            &*order,
            ["/s/Order", "/s/Base", "/s/Order/allOf/1"].map(String::from)
        );
        assert!(order.single);
        let effective = Effective::new(&document, &order);
        assert_eq!(effective.types(), Some(BTreeSet::from(["object"])));
        assert_eq!(effective.required(), BTreeSet::from(["id"]));
        let properties = effective.properties();
        assert_eq!(
            properties.keys().copied().collect::<Vec<_>>(),
            ["id", "note"]
        );
        let id = node(&document, properties["id"].clone());
        assert_eq!(
            Effective::new(&document, &id).upper("maxLength", None),
            Some(Bound {
                value: 5.0,
                exclusive: false
            })
        );
        assert_eq!(effective.additional(), Additional::Forbidden);

        let looping = node(&document, vec!["/s/Loop".into()]);
        assert_eq!(looping.len(), 4, "the cycle ends");
        let effective = Effective::new(&document, &looping);
        assert_eq!(effective.types(), Some(BTreeSet::from(["integer"])));
        assert_eq!(
            effective.upper("maximum", Some("exclusiveMaximum")),
            Some(Bound {
                value: 3.0,
                exclusive: true
            })
        );
    }
}
