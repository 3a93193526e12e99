//! A fast check that two schemas are written the same way: JSON equality
//! with `$ref`s followed on both sides (so inline and referenced twins are
//! equal). When it holds, nothing below can differ and the semantic
//! comparison is skipped; when it does not, the semantic comparison decides.
//!
//! Pairs of nodes are identified by address (the documents do not move
//! while they are compared). A pair met again while being compared is
//! assumed equal, which makes recursive schemas equal when nothing else
//! differs; a difference is final, and a top-level "equal" makes every pair
//! it visited equal. Following references deeper than [`MAX_DEPTH`] gives up
//! (answers "not equal"), so the check never exhausts the stack.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use crate::{pointer, refs};

/// How many nested values and references one check follows at most.
const MAX_DEPTH: usize = 512;

type Pair = (usize, usize);

fn address(value: &Value) -> usize {
    std::ptr::from_ref(value) as usize
}

/// Remembers answers across checks of the same two documents.
pub(super) struct Sameness<'a> {
    old: &'a Value,
    new: &'a Value,
    known: HashMap<Pair, bool>,
    visited: HashSet<Pair>,
    /// Address of a `$ref` object -> the node its chain leads to.
    targets: HashMap<usize, &'a Value>,
}

impl<'a> Sameness<'a> {
    pub(super) fn new(old: &'a Value, new: &'a Value) -> Self {
        Self {
            old,
            new,
            known: HashMap::new(),
            visited: HashSet::new(),
            targets: HashMap::new(),
        }
    }

    /// Whether the old node at `old_at` and the new one at `new_at` are written alike.
    pub(super) fn same(&mut self, old_at: &str, new_at: &str) -> bool {
        let (Some(old), Some(new)) = (
            pointer::resolve(self.old, old_at),
            pointer::resolve(self.new, new_at),
        ) else {
            return false;
        };
        self.visited.clear();
        let equal = self.equal(old, new, 0);
        if equal {
            for pair in self.visited.drain() {
                self.known.insert(pair, true);
            }
        }
        equal
    }

    /// `value`, or the node its `$ref` chain leads to.
    fn follow(&mut self, document: &'a Value, value: &'a Value) -> &'a Value {
        let Some(reference) = value.get("$ref").and_then(Value::as_str) else {
            return value;
        };
        if let Some(target) = self.targets.get(&address(value)) {
            return target;
        }
        let target = pointer::from_ref(reference)
            .ok()
            .and_then(|at| refs::follow(document, &at).ok())
            .map_or(value, |(_, target)| target);
        self.targets.insert(address(value), target);
        target
    }

    fn equal(&mut self, old: &'a Value, new: &'a Value, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        let (old, new) = (self.follow(self.old, old), self.follow(self.new, new));
        let pair = (address(old), address(new));
        if let Some(&known) = self.known.get(&pair) {
            return known;
        }
        if !self.visited.insert(pair) {
            return true;
        }
        let equal = match (old, new) {
            (Value::Object(a), Value::Object(b)) => {
                a.len() == b.len()
                    && a.iter().all(|(key, value)| {
                        b.get(key)
                            .is_some_and(|other| self.equal(value, other, depth + 1))
                    })
            }
            (Value::Array(a), Value::Array(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b)
                        .all(|(value, other)| self.equal(value, other, depth + 1))
            }
            _ => old == new,
        };
        if !equal {
            self.known.insert(pair, false);
        }
        equal
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_and_their_targets_are_alike() {
        let old = json!({"s": {
            "A": {"type": "object", "properties": {"b": {"$ref": "#/s/B"}, "self": {"$ref": "#/s/A"}}},
            "B": {"type": "string"}
        }});
        let new = json!({"s": {
            "A": {"type": "object", "properties": {"b": {"type": "string"}, "self": {"$ref": "#/s/Z"}}},
            "Z": {"$ref": "#/s/A"}
        }});
        let mut sameness = Sameness::new(&old, &new);
        assert!(sameness.same("/s/A", "/s/A"));
        assert!(sameness.same("/s/B", "/s/A/properties/b"));
        let changed = json!({"s": {"A": {"type": "object", "properties": {"b": {"type": "integer"}, "self": {"$ref": "#/s/A"}}}}});
        let mut sameness = Sameness::new(&old, &changed);
        assert!(!sameness.same("/s/A", "/s/A"));
        assert!(!sameness.same("/s/A", "/missing"));
    }
}
