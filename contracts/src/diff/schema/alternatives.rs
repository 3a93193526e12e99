//! `oneOf` and `anyOf`: alternatives matched, added and removed.
//!
//! Old and new alternatives are paired in rounds, each round only among the
//! alternatives still unpaired: the same `$ref` name, then equivalent
//! schemas, then the same `title`, then the same discriminator value, then
//! the only alternative of a given type on each side unless both are
//! references (differently named components are different alternatives). Paired alternatives
//! are compared like any schema; the others are reported added (widening)
//! or removed (narrowing). A plain schema compared with a composition that
//! has no constraints of its own is read as a composition of one
//! alternative, so `A` -> `oneOf: [A, B]` adds `B` and nothing else (but
//! a `nullable` on either side still counts).

use serde_json::Value;

use super::effective::{Effective, Nodes};
use super::{Comparator, Direction, Effect, Found, Local, Step, judge, keywords};
use crate::pointer;

const KINDS: [&str; 2] = ["oneOf", "anyOf"];

/// The id stem of a composition keyword.
fn stem(kind: &str) -> &'static str {
    if kind == "oneOf" { "one-of" } else { "any-of" }
}

/// The single composition of `effective`, if it has exactly one kind.
fn single(effective: &Effective<'_>) -> Option<(&'static str, Vec<String>)> {
    let mut found = KINDS
        .iter()
        .filter_map(|kind| effective.alternatives(kind).map(|list| (*kind, list)));
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

/// Compares a composition with a plain schema as a composition of one
/// alternative; `true` when the pair was handled that way.
pub(super) fn compare_wrapped(
    comparator: &mut Comparator<'_>,
    old: &Effective<'_>,
    new: &Effective<'_>,
    direction: Direction,
    local: &mut Local,
) -> bool {
    let composed =
        |effective: &Effective<'_>| KINDS.iter().any(|kind| effective.first(kind).is_some());
    let wrappable = |composition: &Effective<'_>, plain: &Effective<'_>| {
        !composition.has_own_constraints() && !composed(plain) && plain.has_own_constraints()
    };
    if wrappable(old, new) {
        if let Some((kind, list)) = single(old) {
            let lists = Lists {
                kind,
                old: list,
                new: vec![new.primary.to_owned()],
                new_members: Some(new.node.to_vec()),
                old_members: None,
            };
            pair(comparator, old, new, direction, lists, local);
            keywords::compare_nullable(old, new, direction, &mut local.changes);
            return true;
        }
    } else if wrappable(new, old)
        && let Some((kind, list)) = single(new)
    {
        let lists = Lists {
            kind,
            old: vec![old.primary.to_owned()],
            new: list,
            old_members: Some(old.node.to_vec()),
            new_members: None,
        };
        pair(comparator, old, new, direction, lists, local);
        keywords::compare_nullable(old, new, direction, &mut local.changes);
        return true;
    }
    false
}

/// Compares the compositions of `old` and `new`.
pub(super) fn compare(
    comparator: &mut Comparator<'_>,
    old: &Effective<'_>,
    new: &Effective<'_>,
    direction: Direction,
    local: &mut Local,
) {
    let mut record = |suffix, effect, key: &str, message: String| {
        local.changes.push(Found::schema(
            suffix,
            judge(effect, direction),
            old.at(key),
            new.at(key),
            message,
        ));
    };
    let mut lists = Vec::new();
    match (single(old), single(new)) {
        (Some(("oneOf", old_list)), Some(("anyOf", new_list))) => {
            let message = "oneOf became anyOf: values may match several alternatives".to_owned();
            record("one-of-became-any-of", Effect::Widens, "oneOf", message);
            lists.push(("anyOf", old_list, new_list));
        }
        (Some(("anyOf", old_list)), Some(("oneOf", new_list))) => {
            let message =
                "anyOf became oneOf: values must match exactly one alternative".to_owned();
            record("any-of-became-one-of", Effect::Narrows, "anyOf", message);
            lists.push(("oneOf", old_list, new_list));
        }
        _ => {
            for kind in KINDS {
                match (old.alternatives(kind), new.alternatives(kind)) {
                    (Some(old_list), Some(new_list)) => lists.push((kind, old_list, new_list)),
                    (None, Some(_)) => {
                        let (suffix, message) = match kind {
                            "oneOf" => ("one-of-added", "a oneOf was added"),
                            _ => ("any-of-added", "an anyOf was added"),
                        };
                        record(suffix, Effect::Narrows, kind, message.to_owned());
                    }
                    (Some(_), None) => {
                        let (suffix, message) = match kind {
                            "oneOf" => ("one-of-removed", "the oneOf was removed"),
                            _ => ("any-of-removed", "the anyOf was removed"),
                        };
                        record(suffix, Effect::Widens, kind, message.to_owned());
                    }
                    (None, None) => {}
                }
            }
        }
    }
    for (kind, old_list, new_list) in lists {
        let lists = Lists {
            kind,
            old: old_list,
            new: new_list,
            old_members: None,
            new_members: None,
        };
        pair(comparator, old, new, direction, lists, local);
    }
}

/// Two lists of alternatives to pair.
struct Lists {
    /// The keyword the alternatives are reported under.
    kind: &'static str,
    /// Pointers of the old alternatives.
    old: Vec<String>,
    /// Pointers of the new alternatives.
    new: Vec<String>,
    /// When the old side is a plain schema read as one alternative: its members.
    old_members: Option<Vec<String>>,
    /// When the new side is a plain schema read as one alternative: its members.
    new_members: Option<Vec<String>>,
}

/// Facts about one alternative used to pair it.
struct Traits {
    reference: Option<String>,
    title: Option<String>,
    discriminator: Option<Value>,
    types: String,
}

fn traits(nodes: &mut Nodes<'_>, at: &str, discriminator: Option<&str>) -> Traits {
    let document = nodes.document;
    let reference = pointer::resolve(document, at)
        .and_then(|raw| raw.get("$ref"))
        .and_then(Value::as_str)
        .map(|reference| reference.rsplit('/').next().unwrap_or(reference).to_owned());
    let alternative = nodes.node(&[at.to_owned()]);
    let effective = Effective::new(document, &alternative);
    let title = effective
        .first("title")
        .and_then(|(_, value)| value.as_str().map(str::to_owned));
    let discriminator = discriminator.and_then(|name| {
        let property = effective.properties().get(name)?.clone();
        let property = nodes.node(&property);
        let values = Effective::new(document, &property).enumeration()?;
        match values.as_slice() {
            [one] => Some((*one).clone()),
            _ => None,
        }
    });
    let types = effective.types().map_or_else(
        || "any".to_owned(),
        |types| types.into_iter().collect::<Vec<_>>().join("&"),
    );
    Traits {
        reference,
        title,
        discriminator,
        types,
    }
}

fn discriminator_name(effective: &Effective<'_>) -> Option<String> {
    effective
        .first("discriminator")
        .and_then(|(_, value)| value.get("propertyName")?.as_str().map(str::to_owned))
}

/// Pairs the alternatives of `lists`, records the unpaired ones and pushes
/// an edge per pair.
fn pair(
    comparator: &mut Comparator<'_>,
    old: &Effective<'_>,
    new: &Effective<'_>,
    direction: Direction,
    lists: Lists,
    local: &mut Local,
) {
    let (old_discriminator, new_discriminator) = (discriminator_name(old), discriminator_name(new));
    let old_traits: Vec<Traits> = lists
        .old
        .iter()
        .map(|at| traits(&mut comparator.old, at, old_discriminator.as_deref()))
        .collect();
    let new_traits: Vec<Traits> = lists
        .new
        .iter()
        .map(|at| traits(&mut comparator.new, at, new_discriminator.as_deref()))
        .collect();
    let members = |index: usize, list: &[String], wrapped: &Option<Vec<String>>| {
        wrapped.clone().unwrap_or_else(|| vec![list[index].clone()])
    };
    let mut pairing = Pairing {
        old_free: vec![true; lists.old.len()],
        new_free: vec![true; lists.new.len()],
        pairs: Vec::new(),
    };
    pairing.round(|_, _, i, j| same(&old_traits[i].reference, &new_traits[j].reference));
    pairing.round(|_, _, i, j| {
        let old_at = members(i, &lists.old, &lists.old_members);
        let new_at = members(j, &lists.new, &lists.new_members);
        let key = comparator.key(&old_at, &new_at, direction);
        comparator.equivalent(&key)
    });
    pairing.round(|_, _, i, j| same(&old_traits[i].title, &new_traits[j].title));
    pairing.round(|_, _, i, j| same(&old_traits[i].discriminator, &new_traits[j].discriminator));
    pairing.round(|old_free, new_free, i, j| {
        let types = &old_traits[i].types;
        let count = |traits: &[Traits], free: &[bool]| {
            (0..traits.len())
                .filter(|&k| free[k] && &traits[k].types == types)
                .count()
        };
        let both_named = old_traits[i].reference.is_some() && new_traits[j].reference.is_some();
        !both_named
            && &new_traits[j].types == types
            && count(&old_traits, old_free) == 1
            && count(&new_traits, new_free) == 1
    });
    let Pairing {
        old_free,
        new_free,
        pairs,
    } = pairing;
    let stem = stem(lists.kind);
    for (i, j) in pairs {
        let key = comparator.key(
            &members(i, &lists.old, &lists.old_members),
            &members(j, &lists.new, &lists.new_members),
            direction,
        );
        local.edges.push((key, Step::Alternative(lists.kind, j)));
    }
    let (removed, added) = match stem {
        "one-of" => ("one-of-alternative-removed", "one-of-alternative-added"),
        _ => ("any-of-alternative-removed", "any-of-alternative-added"),
    };
    for i in (0..lists.old.len()).filter(|&i| old_free[i]) {
        local.changes.push(Found::schema(
            removed,
            judge(Effect::Narrows, direction),
            lists.old[i].clone(),
            new.at(lists.kind),
            format!(
                "{} alternative {} ({}) was removed",
                lists.kind,
                i,
                describe(&old_traits[i])
            ),
        ));
    }
    for j in (0..lists.new.len()).filter(|&j| new_free[j]) {
        local.changes.push(Found::schema(
            added,
            judge(Effect::Widens, direction),
            old.at(lists.kind),
            lists.new[j].clone(),
            format!(
                "{} alternative {} ({}) was added",
                lists.kind,
                j,
                describe(&new_traits[j])
            ),
        ));
    }
}

/// Which alternatives are still unpaired, and the pairs found so far.
struct Pairing {
    old_free: Vec<bool>,
    new_free: Vec<bool>,
    pairs: Vec<(usize, usize)>,
}

impl Pairing {
    /// Pairs each unpaired old alternative with the first unpaired new one
    /// that `matches` (given the unpaired flags of both sides).
    fn round(&mut self, mut matches: impl FnMut(&[bool], &[bool], usize, usize) -> bool) {
        for i in 0..self.old_free.len() {
            if !self.old_free[i] {
                continue;
            }
            let found = (0..self.new_free.len())
                .find(|&j| self.new_free[j] && matches(&self.old_free, &self.new_free, i, j));
            if let Some(j) = found {
                self.old_free[i] = false;
                self.new_free[j] = false;
                self.pairs.push((i, j));
            }
        }
    }
}

/// Whether both are known and equal.
fn same<T: PartialEq>(a: &Option<T>, b: &Option<T>) -> bool {
    a.is_some() && a == b
}

fn describe(traits: &Traits) -> String {
    traits
        .reference
        .clone()
        .or_else(|| traits.title.clone())
        .unwrap_or_else(|| traits.types.clone())
}
