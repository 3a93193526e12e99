//! Semantic comparison of two schemas, in the direction they travel.
//!
//! A schema describes a set of values. In a request the new schema must
//! accept everything the old one accepted: narrowing is breaking, widening
//! is an addition. In a response the new schema must produce nothing the old
//! one could not: widening is breaking, narrowing is harmless. Each keyword
//! change is classified as widening, narrowing or incompatible
//! ([`Effect`]) and judged by the direction.
//!
//! How: both schemas are read as [`effective::Node`]s (references followed,
//! `allOf` merged). A pair of nodes with a direction is a [`Key`]; its
//! *local* result (the keyword changes at that pair and the child pairs to
//! visit: properties, items, additional properties, matched `oneOf`/`anyOf`
//! alternatives) is computed once and cached; a pair whose schemas are
//! written alike (JSON equality, references followed: [`same`]) has nothing
//! to compare and is skipped. Reporting walks the pair graph
//! from the root pair with a visited set, so recursive schemas end and the
//! work is bounded by the number of distinct pairs. Matching alternatives
//! asks whether two pairs are equivalent (no change anywhere below), with
//! pairs still being computed assumed equal; nesting of such questions is
//! capped at [`MAX_NESTING`].

mod alternatives;
pub(crate) mod effective;
mod keywords;
mod properties;
mod same;

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use serde_json::Value;

use self::effective::{Effective, Node, Nodes};
use self::same::Sameness;
use super::Sink;
use crate::change::Impact;
use crate::deprecation::DeprecationPolicy;

/// How deep questions about equivalence may nest before the answer is "no".
const MAX_NESTING: usize = 48;

/// Which way the values of a schema travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Direction {
    /// From the consumer to the API.
    Request,
    /// From the API to the consumer.
    Response,
}

impl Direction {
    /// The id prefix of changes below the root of a schema.
    fn property_prefix(self) -> &'static str {
        match self {
            Direction::Request => "request-property",
            Direction::Response => "response-property",
        }
    }
}

/// How a keyword change affects the set of values a schema describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    /// More values are valid.
    Widens,
    /// Fewer values are valid.
    Narrows,
    /// Some old values are invalid and some new ones were invalid before.
    Incompatible,
}

/// What a change with `effect` means in `direction`.
pub(crate) fn judge(effect: Effect, direction: Direction) -> Impact {
    match (effect, direction) {
        (Effect::Widens, Direction::Request) => Impact::ADDITION,
        (Effect::Narrows, Direction::Response) => Impact::PATCH,
        _ => Impact::BREAKING,
    }
}

/// Where a compared schema sits, for ids and messages.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scope<'s> {
    /// Which way its values travel.
    pub direction: Direction,
    /// Id prefix of changes to the schema itself, e.g. `request-body`.
    pub prefix: &'static str,
    /// What it is, e.g. ``query parameter `limit` ``.
    pub label: &'s str,
}

/// A pair of schemas compared in one direction.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    old: Node,
    new: Node,
    direction: Direction,
}

/// One change found at a pair.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    /// Id suffix, e.g. `type-changed`.
    suffix: &'static str,
    /// The property the change is about, when it is about one of the
    /// pair's properties rather than the schema itself.
    property: Option<String>,
    impact: Impact,
    old_pointer: Option<String>,
    new_pointer: Option<String>,
    message: String,
}

impl Found {
    /// A change of the schema itself.
    pub(crate) fn schema(
        suffix: &'static str,
        impact: Impact,
        old_pointer: String,
        new_pointer: String,
        message: String,
    ) -> Self {
        Self {
            suffix,
            property: None,
            impact,
            old_pointer: Some(old_pointer),
            new_pointer: Some(new_pointer),
            message,
        }
    }

    /// A change about the property `name`.
    pub(crate) fn property(
        suffix: &'static str,
        name: &str,
        impact: Impact,
        pointers: (Option<String>, Option<String>),
        message: String,
    ) -> Self {
        Self {
            suffix,
            property: Some(name.to_owned()),
            impact,
            old_pointer: pointers.0,
            new_pointer: pointers.1,
            message,
        }
    }
}

/// How a child pair is reached from its parent, for messages.
#[derive(Debug, Clone)]
pub(crate) enum Step {
    Property(String),
    Items,
    Additional,
    Alternative(&'static str, usize),
}

impl Step {
    fn extend(&self, path: &str) -> String {
        let dot = if path.is_empty() { "" } else { "." };
        match self {
            Step::Property(name) => format!("{path}{dot}{name}"),
            Step::Items => format!("{path}[]"),
            Step::Additional => format!("{path}{dot}*"),
            Step::Alternative(kind, index) => format!("{path}{dot}{kind}[{index}]"),
        }
    }
}

/// The result of comparing one pair, children excluded.
#[derive(Debug, Default)]
pub(crate) struct Local {
    changes: Vec<Found>,
    edges: Vec<(Key, Step)>,
}

/// Compares schemas of two documents, caching results across operations.
pub(crate) struct Comparator<'a> {
    old: Nodes<'a>,
    new: Nodes<'a>,
    policy: &'a DeprecationPolicy,
    locals: HashMap<Key, Rc<Local>>,
    sameness: Sameness<'a>,
    equivalent: HashMap<Key, bool>,
    in_progress: HashSet<Key>,
    nesting: usize,
}

impl<'a> Comparator<'a> {
    /// A comparator for schemas of `old` and `new`.
    pub(crate) fn new(old: &'a Value, new: &'a Value, policy: &'a DeprecationPolicy) -> Self {
        Self {
            old: Nodes::new(old),
            new: Nodes::new(new),
            policy,
            locals: HashMap::new(),
            sameness: Sameness::new(old, new),
            equivalent: HashMap::new(),
            in_progress: HashSet::new(),
            nesting: 0,
        }
    }

    /// The pair of the schemas at `old_at` and `new_at` (either may be a `$ref`).
    fn key(&mut self, old_at: &[String], new_at: &[String], direction: Direction) -> Key {
        Key {
            old: self.old.node(old_at),
            new: self.new.node(new_at),
            direction,
        }
    }

    /// Whether the old node at `old_at` and the new one at `new_at` (any
    /// OpenAPI objects) are written alike, references followed: then they
    /// cannot differ.
    pub(crate) fn same(&mut self, old_at: &str, new_at: &str) -> bool {
        self.sameness.same(old_at, new_at)
    }

    /// Reports every change between the schema at `old_at` and the one at
    /// `new_at` into `sink`.
    pub(crate) fn compare(
        &mut self,
        old_at: &str,
        new_at: &str,
        scope: Scope<'_>,
        sink: &mut Sink,
    ) {
        let root = self.key(&[old_at.to_owned()], &[new_at.to_owned()], scope.direction);
        // Every pair but the root remembers how it was reached, so that
        // paths are only spelled out for pairs with changes.
        let mut trail: Vec<Link> = Vec::new();
        let mut visited = HashSet::new();
        let mut stack: Vec<(Key, Option<Link>)> = vec![(root, None)];
        while let Some((key, link)) = stack.pop() {
            if !visited.insert(key.clone()) {
                continue;
            }
            let local = self.local(&key);
            let entry = link.map(|link| {
                trail.push(link);
                trail.len() - 1
            });
            if !local.changes.is_empty() {
                let path = path(&trail, entry);
                for found in &local.changes {
                    emit(found, &path, scope, sink);
                }
            }
            for index in (0..local.edges.len()).rev() {
                let link = Link {
                    parent: entry,
                    local: Rc::clone(&local),
                    edge: index,
                };
                stack.push((local.edges[index].0.clone(), Some(link)));
            }
        }
    }

    /// Whether the two schemas of `key` describe the same values (pairs
    /// still being compared are assumed equal).
    fn equivalent(&mut self, key: &Key) -> bool {
        if let Some(&known) = self.equivalent.get(key) {
            return known;
        }
        if self.nesting >= MAX_NESTING {
            return false;
        }
        let mut visited = HashSet::new();
        let mut stack = vec![key.clone()];
        let mut assumed = false;
        while let Some(pair) = stack.pop() {
            if !visited.insert(pair.clone()) {
                continue;
            }
            if self.in_progress.contains(&pair) {
                assumed = true;
                continue;
            }
            match self.equivalent.get(&pair) {
                Some(false) => {
                    self.equivalent.insert(key.clone(), false);
                    return false;
                }
                Some(true) => continue,
                None => {}
            }
            let local = self.local(&pair);
            if !local.changes.is_empty() {
                self.equivalent.insert(key.clone(), false);
                return false;
            }
            stack.extend(local.edges.iter().map(|(child, _)| child.clone()));
        }
        if !assumed {
            self.equivalent.insert(key.clone(), true);
        }
        true
    }

    /// The cached local result of `key`; nothing when both schemas are
    /// written alike.
    fn local(&mut self, key: &Key) -> Rc<Local> {
        if let Some(local) = self.locals.get(key) {
            return Rc::clone(local);
        }
        if key.old.single && key.new.single && self.sameness.same(&key.old[0], &key.new[0]) {
            let local = Rc::new(Local::default());
            self.locals.insert(key.clone(), Rc::clone(&local));
            return local;
        }
        self.in_progress.insert(key.clone());
        self.nesting += 1;
        let local = Rc::new(self.compute(key));
        self.nesting -= 1;
        self.in_progress.remove(key);
        self.locals.insert(key.clone(), Rc::clone(&local));
        local
    }

    fn compute(&mut self, key: &Key) -> Local {
        let (old_document, new_document) = (self.old.document, self.new.document);
        let old = Effective::new(old_document, &key.old);
        let new = Effective::new(new_document, &key.new);
        let direction = key.direction;
        let mut local = Local::default();
        if alternatives::compare_wrapped(self, &old, &new, direction, &mut local) {
            return local;
        }
        if !keywords::compare(&old, &new, direction, &mut local.changes) {
            return local;
        }
        properties::compare(self, &old, &new, direction, &mut local);
        let items = (old.items(), new.items());
        if !items.0.is_empty() && !items.1.is_empty() {
            let child = self.key(&items.0, &items.1, direction);
            local.edges.push((child, Step::Items));
        }
        properties::compare_additional(self, &old, &new, direction, &mut local);
        alternatives::compare(self, &old, &new, direction, &mut local);
        self.compare_not(&old, &new, direction, &mut local);
        local
    }

    /// `not`: added narrows, removed widens, changed is incompatible.
    fn compare_not(
        &mut self,
        old: &Effective<'_>,
        new: &Effective<'_>,
        direction: Direction,
        local: &mut Local,
    ) {
        let (old_not, new_not) = (old.first("not"), new.first("not"));
        let (suffix, effect, message) = match (&old_not, &new_not) {
            (None, None) => return,
            (None, Some(_)) => ("not-added", Effect::Narrows, "a `not` schema was added"),
            (Some(_), None) => (
                "not-removed",
                Effect::Widens,
                "the `not` schema was removed",
            ),
            (Some((old_at, _)), Some((new_at, _))) => {
                let pair = self.key(
                    std::slice::from_ref(old_at),
                    std::slice::from_ref(new_at),
                    direction,
                );
                if self.equivalent(&pair) {
                    return;
                }
                (
                    "not-changed",
                    Effect::Incompatible,
                    "the `not` schema changed",
                )
            }
        };
        local.changes.push(Found::schema(
            suffix,
            judge(effect, direction),
            old.at("not"),
            new.at("not"),
            message.to_owned(),
        ));
    }
}

/// How a pair was reached: through edge `edge` of the pair whose result is
/// `local`, itself reached through entry `parent` of the trail (`None`: the root).
struct Link {
    parent: Option<usize>,
    local: Rc<Local>,
    edge: usize,
}

/// The path from the root to the pair at `entry` of `trail`.
fn path(trail: &[Link], mut entry: Option<usize>) -> String {
    let mut steps = Vec::new();
    while let Some(at) = entry {
        let link = &trail[at];
        steps.push(&link.local.edges[link.edge].1);
        entry = link.parent;
    }
    steps
        .iter()
        .rev()
        .fold(String::new(), |path, step| step.extend(&path))
}

/// Turns `found`, seen at `path` below the root of `scope`, into a change.
fn emit(found: &Found, path: &str, scope: Scope<'_>, sink: &mut Sink) {
    let (prefix, full_path) = match &found.property {
        Some(name) => (
            scope.direction.property_prefix(),
            Step::Property(name.clone()).extend(path),
        ),
        None if path.is_empty() => (scope.prefix, String::new()),
        None => (scope.direction.property_prefix(), path.to_owned()),
    };
    let place = if full_path.is_empty() {
        scope.label.to_owned()
    } else {
        format!("{} `{full_path}`", scope.label)
    };
    sink.push(
        format!("{prefix}-{}", found.suffix),
        found.impact,
        found.old_pointer.as_deref(),
        found.new_pointer.as_deref(),
        format!("{place}: {}", found.message),
    );
}
