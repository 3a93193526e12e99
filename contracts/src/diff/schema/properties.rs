//! Object changes of one schema pair: properties added, removed, made
//! required or optional, made `readOnly`/`writeOnly`, deprecated; and
//! `additionalProperties`.
//!
//! A request never carries `readOnly` properties and a response never
//! carries `writeOnly` ones, so those are invisible in that direction: a
//! property that becomes `readOnly` is gone from requests, one that becomes
//! `writeOnly` is gone from responses. Removal follows the deprecation rules
//! ([`crate::deprecation`]). Adding a property is an addition in both
//! directions (consumers ignore members they do not know), except to a
//! response object that was closed with `additionalProperties: false`.

use super::effective::{Additional, Effective, Nodes};
use super::{Comparator, Direction, Effect, Found, Local, Step, judge};
use crate::change::Impact;
use crate::deprecation::{self, Marks, Sunset};

/// How a property appears on one side.
struct Side<'a> {
    /// Pointers of its schema in each member that declares it.
    pointers: &'a [String],
    required: bool,
    /// Hidden in this direction by `readOnly` (requests) or `writeOnly` (responses).
    hidden: bool,
    marks: Marks,
}

impl Side<'_> {
    fn pointer(&self) -> String {
        self.pointers.first().cloned().unwrap_or_default()
    }
}

/// The marks and visibility of the property whose schema `pointers` give.
fn side<'p>(
    nodes: &mut Nodes<'_>,
    pointers: &'p [String],
    required: bool,
    direction: Direction,
) -> Side<'p> {
    let schema = nodes.node(pointers);
    let effective = Effective::new(nodes.document, &schema);
    let hidden = match direction {
        Direction::Request => effective.flag("readOnly"),
        Direction::Response => effective.flag("writeOnly"),
    };
    let sunset = Sunset::read(effective.first(deprecation::SUNSET).map(|(_, value)| value));
    Side {
        pointers,
        required,
        hidden,
        marks: Marks {
            deprecated: effective.flag("deprecated"),
            sunset,
        },
    }
}

/// Compares the properties of `old` and `new`.
pub(super) fn compare(
    comparator: &mut Comparator<'_>,
    old: &Effective<'_>,
    new: &Effective<'_>,
    direction: Direction,
    local: &mut Local,
) {
    let (old_properties, new_properties) = (old.properties(), new.properties());
    let (old_required, new_required) = (old.required(), new.required());
    let closed = old.additional() == Additional::Forbidden;
    let policy = comparator.policy;
    let mut names: Vec<&str> = old_properties.keys().copied().collect();
    names.extend(
        new_properties
            .keys()
            .filter(|name| !old_properties.contains_key(*name)),
    );
    for name in names {
        let old_side = old_properties.get(name).map(|pointers| {
            side(
                &mut comparator.old,
                pointers,
                old_required.contains(name),
                direction,
            )
        });
        let new_side = new_properties.get(name).map(|pointers| {
            side(
                &mut comparator.new,
                pointers,
                new_required.contains(name),
                direction,
            )
        });
        let mut found =
            |suffix, impact, old_at: Option<String>, new_at: Option<String>, message: String| {
                let pointers = (
                    old_at.or_else(|| Some(old.primary.to_owned())),
                    new_at.or_else(|| Some(new.primary.to_owned())),
                );
                local
                    .changes
                    .push(Found::property(suffix, name, impact, pointers, message));
            };
        match (old_side, new_side) {
            (Some(o), Some(n)) if !o.hidden && !n.hidden => {
                required_change(&o, &n, direction, &mut found);
                for outcome in deprecation::transition(&o.marks, &n.marks, policy) {
                    let message = outcome.describe();
                    found(
                        outcome.suffix,
                        Impact::new(outcome.level, outcome.bump),
                        Some(o.pointer()),
                        Some(n.pointer()),
                        message,
                    );
                }
                let child = comparator.key(o.pointers, n.pointers, direction);
                local.edges.push((child, Step::Property(name.to_owned())));
            }
            (Some(o), Some(n)) if !o.hidden => {
                let (suffix, flag) = match direction {
                    Direction::Request => ("became-read-only", "readOnly"),
                    Direction::Response => ("became-write-only", "writeOnly"),
                };
                let message = format!(
                    "became {flag}: it is no longer part of the {}",
                    noun(direction)
                );
                found(
                    suffix,
                    Impact::BREAKING,
                    Some(o.pointer()),
                    Some(n.pointer()),
                    message,
                );
            }
            (Some(o), None) if !o.hidden => {
                let outcome = deprecation::removal(&o.marks, policy);
                let message = outcome.describe();
                found(
                    outcome.suffix,
                    Impact::new(outcome.level, outcome.bump),
                    Some(o.pointer()),
                    None,
                    message,
                );
            }
            (o, Some(n)) if !n.hidden => {
                let was_hidden = o.is_some();
                let (suffix, impact, message) = added(&n, was_hidden, closed, direction);
                found(suffix, impact, None, Some(n.pointer()), message);
            }
            _ => {}
        }
    }
}

fn noun(direction: Direction) -> &'static str {
    match direction {
        Direction::Request => "request",
        Direction::Response => "response",
    }
}

type Record<'r> = dyn FnMut(&'static str, Impact, Option<String>, Option<String>, String) + 'r;

fn required_change(old: &Side<'_>, new: &Side<'_>, direction: Direction, found: &mut Record<'_>) {
    let (suffix, impact, message) = match (old.required, new.required, direction) {
        (false, true, Direction::Request) => {
            ("became-required", Impact::BREAKING, "became required")
        }
        (false, true, Direction::Response) => (
            "became-required",
            Impact::PATCH,
            "became required: it is always present",
        ),
        (true, false, Direction::Request) => {
            ("became-optional", Impact::ADDITION, "became optional")
        }
        (true, false, Direction::Response) => (
            "became-optional",
            Impact::BREAKING,
            "became optional: it may be absent",
        ),
        _ => return,
    };
    found(
        suffix,
        impact,
        Some(old.pointer()),
        Some(new.pointer()),
        message.to_owned(),
    );
}

/// The change for a property that appears in `direction`.
fn added(
    new: &Side<'_>,
    was_hidden: bool,
    closed: bool,
    direction: Direction,
) -> (&'static str, Impact, String) {
    let how = if was_hidden {
        match direction {
            Direction::Request => "was added: it is no longer readOnly",
            Direction::Response => "was added: it is no longer writeOnly",
        }
    } else {
        "was added"
    };
    match direction {
        Direction::Request if new.required => (
            "added-required",
            Impact::BREAKING,
            format!("{how}, as a required property"),
        ),
        Direction::Response if closed => (
            "added",
            Impact::BREAKING,
            format!("{how} to an object closed by additionalProperties: false"),
        ),
        _ => ("added", Impact::ADDITION, how.to_owned()),
    }
}

/// Compares `additionalProperties`.
pub(super) fn compare_additional(
    comparator: &mut Comparator<'_>,
    old: &Effective<'_>,
    new: &Effective<'_>,
    direction: Direction,
    local: &mut Local,
) {
    let (suffix, effect, message) = match (old.additional(), new.additional()) {
        (Additional::Schema(old_at), Additional::Schema(new_at)) => {
            let child = comparator.key(&old_at, &new_at, direction);
            local.edges.push((child, Step::Additional));
            return;
        }
        (old_additional, new_additional) if old_additional == new_additional => return,
        (_, Additional::Forbidden) => (
            "additional-properties-forbidden",
            Effect::Narrows,
            "additional properties are no longer allowed",
        ),
        (Additional::Forbidden, _) => (
            "additional-properties-allowed",
            Effect::Widens,
            "additional properties are now allowed",
        ),
        (Additional::Any, _) => (
            "additional-properties-restricted",
            Effect::Narrows,
            "additional properties must now match a schema",
        ),
        (_, Additional::Any) => (
            "additional-properties-unrestricted",
            Effect::Widens,
            "additional properties may now be anything",
        ),
    };
    local.changes.push(Found::schema(
        suffix,
        judge(effect, direction),
        old.at("additionalProperties"),
        new.at("additionalProperties"),
        message.to_owned(),
    ));
}
