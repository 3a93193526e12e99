//! Keyword changes of one schema pair: type, `nullable`, `format`, `enum`,
//! numeric, length, item and property-count bounds, `uniqueItems`,
//! `multipleOf`, `pattern`, `default` and the discriminator.

use std::collections::BTreeSet;

use serde_json::Value;

use super::effective::{Bound, Effective, tighter_lower, tighter_upper};
use super::{Direction, Effect, Found, judge};
use crate::change::Impact;

/// Format pairs `(old, new)` where the new format accepts every value of the old.
const WIDER_FORMATS: &[(&str, &str)] = &[("int32", "int64"), ("float", "double")];

/// Records into `out` the keyword changes from `old` to `new`; `false` when
/// the types are incompatible, so that nothing below them is comparable.
pub(super) fn compare(
    old: &Effective<'_>,
    new: &Effective<'_>,
    direction: Direction,
    out: &mut Vec<Found>,
) -> bool {
    let mut record = |suffix, effect, key: &str, message: String| {
        out.push(Found::schema(
            suffix,
            judge(effect, direction),
            old.at(key),
            new.at(key),
            message,
        ));
    };
    if !types(old, new, &mut record) {
        return false;
    }
    toggle(&NULLABLE, old, new, &mut record);
    format(old, new, &mut record);
    enumeration(old, new, &mut record);
    for keyword in UPPER {
        let bounds = (
            old.upper(keyword.key, keyword.exclusive),
            new.upper(keyword.key, keyword.exclusive),
        );
        compare_bound(keyword, Side::Upper, bounds, &mut record);
    }
    for keyword in LOWER {
        let bounds = (
            old.lower(keyword.key, keyword.exclusive),
            new.lower(keyword.key, keyword.exclusive),
        );
        compare_bound(keyword, Side::Lower, bounds, &mut record);
    }
    toggle(&UNIQUE_ITEMS, old, new, &mut record);
    multiple_of(old, new, &mut record);
    pattern(old, new, &mut record);
    discriminator(old, new, &mut record);
    if let Some(found) = default(old, new, direction) {
        out.push(found);
    }
    true
}

/// A bound keyword: its name, its exclusive modifier, and the id suffixes
/// of raising and lowering it.
struct BoundKeyword {
    key: &'static str,
    exclusive: Option<&'static str>,
    increased: &'static str,
    decreased: &'static str,
}

const fn bound(
    key: &'static str,
    exclusive: Option<&'static str>,
    increased: &'static str,
    decreased: &'static str,
) -> BoundKeyword {
    BoundKeyword {
        key,
        exclusive,
        increased,
        decreased,
    }
}

#[rustfmt::skip]
const UPPER: &[BoundKeyword] = &[
    bound("maximum", Some("exclusiveMaximum"), "maximum-increased", "maximum-decreased"),
    bound("maxLength", None, "max-length-increased", "max-length-decreased"),
    bound("maxItems", None, "max-items-increased", "max-items-decreased"),
    bound("maxProperties", None, "max-properties-increased", "max-properties-decreased"),
];

#[rustfmt::skip]
const LOWER: &[BoundKeyword] = &[
    bound("minimum", Some("exclusiveMinimum"), "minimum-increased", "minimum-decreased"),
    bound("minLength", None, "min-length-increased", "min-length-decreased"),
    bound("minItems", None, "min-items-increased", "min-items-decreased"),
    bound("minProperties", None, "min-properties-increased", "min-properties-decreased"),
];

type Record<'r> = dyn FnMut(&'static str, Effect, &str, String) + 'r;

/// Records into `out` a change of `nullable` only (for a plain schema
/// compared with a composition, whose other keywords live in its alternatives).
pub(super) fn compare_nullable(
    old: &Effective<'_>,
    new: &Effective<'_>,
    direction: Direction,
    out: &mut Vec<Found>,
) {
    toggle(
        &NULLABLE,
        old,
        new,
        &mut |suffix, effect, key: &str, message| {
            out.push(Found::schema(
                suffix,
                judge(effect, direction),
                old.at(key),
                new.at(key),
                message,
            ));
        },
    );
}

fn list(types: &BTreeSet<&str>) -> String {
    if types.is_empty() {
        "no type (conflicting allOf types)".to_owned()
    } else {
        types.iter().copied().collect::<Vec<_>>().join(" & ")
    }
}

fn types(old: &Effective<'_>, new: &Effective<'_>, record: &mut Record<'_>) -> bool {
    match (old.types(), new.types()) {
        (old_types, new_types) if old_types == new_types => true,
        (None, None) => true,
        (None, Some(new_types)) => {
            let message = format!("type restricted to {} (was any type)", list(&new_types));
            record("type-narrowed", Effect::Narrows, "type", message);
            true
        }
        (Some(old_types), None) => {
            let message = format!("type {} removed: any type is valid", list(&old_types));
            record("type-widened", Effect::Widens, "type", message);
            true
        }
        (Some(old_types), Some(new_types)) => {
            let one = |set: &BTreeSet<&str>, kind| set.len() == 1 && set.contains(kind);
            let message = format!(
                "type changed from {} to {}",
                list(&old_types),
                list(&new_types)
            );
            if one(&old_types, "integer") && one(&new_types, "number") {
                record("type-widened", Effect::Widens, "type", message);
                true
            } else if one(&old_types, "number") && one(&new_types, "integer") {
                record("type-narrowed", Effect::Narrows, "type", message);
                true
            } else {
                record("type-changed", Effect::Incompatible, "type", message);
                false
            }
        }
    }
}

/// A boolean keyword and the change (id, effect on the accepted values, message) recorded when it
/// is switched on and when it is switched off.
struct Toggle {
    key: &'static str,
    on: (&'static str, Effect, &'static str),
    off: (&'static str, Effect, &'static str),
}

const NULLABLE: Toggle = Toggle {
    key: "nullable",
    on: (
        "became-nullable",
        Effect::Widens,
        "became nullable: null is now valid",
    ),
    off: (
        "became-not-nullable",
        Effect::Narrows,
        "is no longer nullable",
    ),
};

const UNIQUE_ITEMS: Toggle = Toggle {
    key: "uniqueItems",
    on: (
        "unique-items-added",
        Effect::Narrows,
        "items must now be unique",
    ),
    off: (
        "unique-items-removed",
        Effect::Widens,
        "items no longer need to be unique",
    ),
};

fn toggle(keyword: &Toggle, old: &Effective<'_>, new: &Effective<'_>, record: &mut Record<'_>) {
    let change = match (old.flag(keyword.key), new.flag(keyword.key)) {
        (false, true) => keyword.on,
        (true, false) => keyword.off,
        _ => return,
    };
    let (suffix, effect, message) = change;
    record(suffix, effect, keyword.key, message.into());
}

fn text<'a>(effective: &Effective<'a>, key: &'a str) -> Option<&'a str> {
    effective.first(key).and_then(|(_, value)| value.as_str())
}

fn format(old: &Effective<'_>, new: &Effective<'_>, record: &mut Record<'_>) {
    let (suffix, effect, message) = match (text(old, "format"), text(new, "format")) {
        (old_format, new_format) if old_format == new_format => return,
        (None, Some(format)) => (
            "format-narrowed",
            Effect::Narrows,
            format!("format `{format}` added"),
        ),
        (Some(format), None) => (
            "format-widened",
            Effect::Widens,
            format!("format `{format}` removed"),
        ),
        (Some(from), Some(to)) if WIDER_FORMATS.contains(&(from, to)) => (
            "format-widened",
            Effect::Widens,
            format!("format widened from `{from}` to `{to}`"),
        ),
        (Some(from), Some(to)) if WIDER_FORMATS.contains(&(to, from)) => (
            "format-narrowed",
            Effect::Narrows,
            format!("format narrowed from `{from}` to `{to}`"),
        ),
        (Some(from), Some(to)) => (
            "format-changed",
            Effect::Incompatible,
            format!("format changed from `{from}` to `{to}`"),
        ),
        (None, None) => return,
    };
    record(suffix, effect, "format", message);
}

fn enumeration(old: &Effective<'_>, new: &Effective<'_>, record: &mut Record<'_>) {
    match (old.enumeration(), new.enumeration()) {
        (None, None) => {}
        (None, Some(values)) => record(
            "enum-added",
            Effect::Narrows,
            "enum",
            format!("values restricted to the enum {}", join(&values)),
        ),
        (Some(values), None) => record(
            "enum-removed",
            Effect::Widens,
            "enum",
            format!("the enum {} was removed: any value is valid", join(&values)),
        ),
        (Some(old_values), Some(new_values)) => {
            for value in old_values.iter().filter(|v| !new_values.contains(v)) {
                let message = format!("enum value {value} was removed");
                record("enum-value-removed", Effect::Narrows, "enum", message);
            }
            for value in new_values.iter().filter(|v| !old_values.contains(v)) {
                let message = format!("enum value {value} was added");
                record("enum-value-added", Effect::Widens, "enum", message);
            }
        }
    }
}

fn join(values: &[&Value]) -> String {
    let items: Vec<String> = values.iter().map(ToString::to_string).collect();
    format!("[{}]", items.join(", "))
}

fn show(bound: Option<Bound>, upper: bool) -> String {
    match bound {
        None => "none".to_owned(),
        Some(Bound {
            value,
            exclusive: true,
        }) => format!("{} {value}", if upper { "<" } else { ">" }),
        Some(Bound { value, .. }) => value.to_string(),
    }
}

/// Which end of a range a bound keyword limits.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    /// `maximum`, `maxLength`, `maxItems`, …: a smaller bound narrows.
    Upper,
    /// `minimum`, `minLength`, `minItems`, …: a larger bound narrows.
    Lower,
}

/// Records a change of one bound keyword, narrowing or widening by `side`.
fn compare_bound(
    keyword: &BoundKeyword,
    side: Side,
    (old, new): (Option<Bound>, Option<Bound>),
    record: &mut Record<'_>,
) {
    let key = keyword.key;
    // A missing count or length minimum is 0; a missing `minimum` or upper bound is unbounded.
    let zero = Bound {
        value: 0.0,
        exclusive: false,
    };
    let (old_bound, new_bound) = if side == Side::Lower && key != "minimum" {
        (old.or(Some(zero)), new.or(Some(zero)))
    } else {
        (old, new)
    };
    let tighter = |a, b| match side {
        Side::Upper => tighter_upper(a, b),
        Side::Lower => tighter_lower(a, b),
    };
    let narrower = match (old_bound, new_bound) {
        (None, Some(_)) => true,
        (Some(_), None) => false,
        (Some(a), Some(b)) if tighter(b, a) => true,
        (Some(a), Some(b)) if tighter(a, b) => false,
        _ => return,
    };
    let upper = side == Side::Upper;
    let message = format!(
        "{key} changed from {} to {}",
        show(old, upper),
        show(new, upper)
    );
    let effect = if narrower {
        Effect::Narrows
    } else {
        Effect::Widens
    };
    // An upper bound narrows by going down, a lower bound by going up.
    let went_down = narrower == upper;
    let suffix = if went_down {
        keyword.decreased
    } else {
        keyword.increased
    };
    record(suffix, effect, key, message);
}

fn multiple_of(old: &Effective<'_>, new: &Effective<'_>, record: &mut Record<'_>) {
    let number = |effective: &Effective<'_>| {
        effective
            .first("multipleOf")
            .and_then(|(_, value)| value.as_f64())
            .filter(|n| *n > 0.0)
    };
    let divides = |small: f64, big: f64| {
        let ratio = big / small;
        ratio >= 1.0 && (ratio - ratio.round()).abs() < 1e-9
    };
    let (suffix, effect, message) = match (number(old), number(new)) {
        (None, None) => return,
        (Some(a), Some(b)) if a == b => return,
        (None, Some(b)) => (
            "multiple-of-added",
            Effect::Narrows,
            format!("values must now be multiples of {b}"),
        ),
        (Some(a), None) => (
            "multiple-of-removed",
            Effect::Widens,
            format!("multipleOf {a} was removed"),
        ),
        (Some(a), Some(b)) if divides(b, a) => (
            "multiple-of-decreased",
            Effect::Widens,
            format!("multipleOf changed from {a} to {b}"),
        ),
        (Some(a), Some(b)) if divides(a, b) => (
            "multiple-of-increased",
            Effect::Narrows,
            format!("multipleOf changed from {a} to {b}"),
        ),
        (Some(a), Some(b)) => (
            "multiple-of-changed",
            Effect::Incompatible,
            format!("multipleOf changed from {a} to {b}"),
        ),
    };
    record(suffix, effect, "multipleOf", message);
}

fn pattern(old: &Effective<'_>, new: &Effective<'_>, record: &mut Record<'_>) {
    let (old_patterns, new_patterns) = (old.patterns(), new.patterns());
    let added: Vec<&str> = new_patterns.difference(&old_patterns).copied().collect();
    let removed: Vec<&str> = old_patterns.difference(&new_patterns).copied().collect();
    let quote = |patterns: &[&str]| {
        patterns
            .iter()
            .map(|p| format!("`{p}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (suffix, effect, message) = match (added.is_empty(), removed.is_empty()) {
        (true, true) => return,
        (false, true) => (
            "pattern-added",
            Effect::Narrows,
            format!("pattern {} added", quote(&added)),
        ),
        (true, false) => (
            "pattern-removed",
            Effect::Widens,
            format!("pattern {} removed", quote(&removed)),
        ),
        (false, false) => (
            "pattern-changed",
            Effect::Incompatible,
            format!(
                "pattern changed from {} to {}",
                quote(&removed),
                quote(&added)
            ),
        ),
    };
    record(suffix, effect, "pattern", message);
}

fn discriminator(old: &Effective<'_>, new: &Effective<'_>, record: &mut Record<'_>) {
    let name = |effective: &Effective<'_>| {
        effective
            .first("discriminator")
            .and_then(|(_, value)| value.get("propertyName")?.as_str().map(str::to_owned))
    };
    if let (Some(from), Some(to)) = (name(old), name(new))
        && from != to
    {
        let message = format!("discriminator property changed from `{from}` to `{to}`");
        record(
            "discriminator-changed",
            Effect::Incompatible,
            "discriminator",
            message,
        );
    }
}

/// A changed `default` alters what the API does when a consumer omits the
/// value (a warning in requests); in responses it is documentation.
fn default(old: &Effective<'_>, new: &Effective<'_>, direction: Direction) -> Option<Found> {
    let value =
        |effective: &Effective<'_>| effective.first("default").map(|(_, value)| value.clone());
    let (old_default, new_default) = (value(old), value(new));
    if old_default == new_default {
        return None;
    }
    let show = |value: &Option<Value>| {
        value
            .as_ref()
            .map_or_else(|| "none".to_owned(), Value::to_string)
    };
    let impact = match direction {
        Direction::Request => Impact::WARNING,
        Direction::Response => Impact::PATCH,
    };
    Some(Found::schema(
        "default-changed",
        impact,
        old.at("default"),
        new.at("default"),
        format!(
            "default changed from {} to {}",
            show(&old_default),
            show(&new_default)
        ),
    ))
}
