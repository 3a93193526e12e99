//! Request parameters: added, removed, made required or optional,
//! deprecated, re-styled, renamed (path variables), and their schemas.
//!
//! Parameters pair by location and name (header names case-insensitively);
//! path parameters pair by their position in the path template, so renaming
//! `{id}` to `{orderId}` is a rename, not a removal and an addition. `style`
//! and `explode` compare by their effective values (OpenAPI defaults
//! applied).

use serde_json::Value;

use super::schema::{Direction, Scope};
use super::{Differ, Sink};
use crate::change::Impact;
use crate::deprecation::{self, Marks};
use crate::model::{Operation, Parameter, ParameterLocation};
use crate::{pointer, refs, template};

/// How a parameter is paired across versions.
fn pairing_key(operation: &Operation, parameter: &Parameter) -> (ParameterLocation, String) {
    let name = match parameter.location {
        ParameterLocation::Header => parameter.name.to_ascii_lowercase(),
        ParameterLocation::Path => template::variables(&operation.path)
            .ok()
            .and_then(|names| names.iter().position(|name| *name == parameter.name))
            .map_or_else(|| parameter.name.clone(), |index| format!("{{{index}}}")),
        _ => parameter.name.clone(),
    };
    (parameter.location, name)
}

/// The parameter object (references followed) and its pointer.
fn raw<'a>(document: &'a Value, parameter: &Parameter) -> (String, &'a Value) {
    refs::follow(document, &parameter.pointer)
        .unwrap_or_else(|_| (parameter.pointer.clone(), &Value::Null))
}

/// The pointer of the parameter's schema, if it has one.
fn schema_at(document: &Value, parameter: &Parameter) -> Option<String> {
    let (at, object) = raw(document, parameter);
    if object.get("schema").is_some() {
        return Some(pointer::child(&at, "schema"));
    }
    let (media, description) = object.get("content")?.as_object()?.iter().next()?;
    description.get("schema")?;
    let content = pointer::child(&at, "content");
    Some(pointer::child(&pointer::child(&content, media), "schema"))
}

/// `style`, with the default of the location.
fn style(parameter: &Parameter) -> &str {
    parameter
        .style
        .as_deref()
        .unwrap_or(match parameter.location {
            ParameterLocation::Query | ParameterLocation::Cookie => "form",
            ParameterLocation::Path | ParameterLocation::Header => "simple",
        })
}

/// `explode`, defaulting to `true` for the form style only.
fn explode(parameter: &Parameter) -> bool {
    parameter.explode.unwrap_or(style(parameter) == "form")
}

fn label(parameter: &Parameter) -> String {
    format!("{} parameter `{}`", parameter.location, parameter.name)
}

/// Compares the parameters of two versions of an operation.
pub(super) fn compare(differ: &mut Differ<'_>, old: &Operation, new: &Operation, sink: &mut Sink) {
    for old_parameter in &old.parameters {
        let key = pairing_key(old, old_parameter);
        match new.parameters.iter().find(|p| pairing_key(new, p) == key) {
            Some(new_parameter) => pair(differ, old_parameter, new_parameter, sink),
            None => {
                let marks = Marks::of(raw(differ.old, old_parameter).1);
                let outcome = deprecation::removal(&marks, differ.policy);
                sink.push(
                    format!("request-parameter-{}", outcome.suffix),
                    Impact::new(outcome.level, outcome.bump),
                    Some(&old_parameter.pointer),
                    Some(&new.pointer),
                    format!("{} {}", label(old_parameter), outcome.describe()),
                );
            }
        }
    }
    for new_parameter in &new.parameters {
        let key = pairing_key(new, new_parameter);
        if old.parameters.iter().any(|p| pairing_key(old, p) == key) {
            continue;
        }
        let (suffix, impact, how) = if new_parameter.required {
            ("added-required", Impact::BREAKING, "required ")
        } else {
            ("added", Impact::ADDITION, "optional ")
        };
        sink.push(
            format!("request-parameter-{suffix}"),
            impact,
            Some(&old.pointer),
            Some(&new_parameter.pointer),
            format!("{how}{} was added", label(new_parameter)),
        );
    }
}

/// Compares one parameter of both versions.
fn pair(differ: &mut Differ<'_>, old: &Parameter, new: &Parameter, sink: &mut Sink) {
    if differ.schemas.same(&old.pointer, &new.pointer) {
        return;
    }
    let at = (Some(old.pointer.as_str()), Some(new.pointer.as_str()));
    let mut push = |suffix: &str, impact, message: String| {
        sink.push(
            format!("request-parameter-{suffix}"),
            impact,
            at.0,
            at.1,
            format!("{} {message}", label(new)),
        );
    };
    if old.name != new.name && old.location == ParameterLocation::Path {
        let message = format!("was renamed from `{}`; requests are unchanged", old.name);
        push("renamed", Impact::PATCH, message);
    }
    match (old.required, new.required) {
        (false, true) => push(
            "became-required",
            Impact::BREAKING,
            "became required".into(),
        ),
        (true, false) => push(
            "became-optional",
            Impact::ADDITION,
            "became optional".into(),
        ),
        _ => {}
    }
    let marks = (
        Marks::of(raw(differ.old, old).1),
        Marks::of(raw(differ.new, new).1),
    );
    for outcome in deprecation::transition(&marks.0, &marks.1, differ.policy) {
        let impact = Impact::new(outcome.level, outcome.bump);
        push(outcome.suffix, impact, outcome.describe());
    }
    if style(old) != style(new) {
        let message = format!("changed style from `{}` to `{}`", style(old), style(new));
        push("style-changed", Impact::BREAKING, message);
    }
    if explode(old) != explode(new) {
        let message = format!("changed explode from {} to {}", explode(old), explode(new));
        push("explode-changed", Impact::BREAKING, message);
    }
    let schemas = (schema_at(differ.old, old), schema_at(differ.new, new));
    if let (Some(old_at), Some(new_at)) = schemas {
        let label = label(new);
        let scope = Scope {
            direction: Direction::Request,
            prefix: "request-parameter",
            label: &label,
        };
        differ.schemas.compare(&old_at, &new_at, scope, sink);
    }
}
