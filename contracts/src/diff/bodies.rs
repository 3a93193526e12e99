//! Request bodies and responses: presence, `required`, status codes, media
//! types, response headers, and the schemas inside them.
//!
//! Media types pair by name, then by essence (`application/json;
//! charset=utf-8` is `application/json`); header names compare
//! case-insensitively. Removing a success status breaks consumers; adding
//! one is a warning (they may not expect it); error statuses come and go as
//! information.

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::schema::{Direction, Effect, Scope, judge};
use super::{Differ, Sink};
use crate::change::Impact;
use crate::deprecation::{self, Marks};
use crate::model::{MediaType, Operation, Response};
use crate::{pointer, refs};

/// Compares the request bodies of two versions of an operation.
pub(super) fn request(differ: &mut Differ<'_>, old: &Operation, new: &Operation, sink: &mut Sink) {
    match (&old.request_body, &new.request_body) {
        (None, None) => {}
        (None, Some(body)) => {
            let (suffix, impact, how) = if body.required {
                ("added-required", Impact::BREAKING, "a required")
            } else {
                ("added", Impact::ADDITION, "an optional")
            };
            sink.push(
                format!("request-body-{suffix}"),
                impact,
                Some(&old.pointer),
                Some(&body.pointer),
                format!("{how} request body was added"),
            );
        }
        (Some(body), None) => sink.push(
            "request-body-removed".into(),
            Impact::BREAKING,
            Some(&body.pointer),
            Some(&new.pointer),
            "the request body was removed".into(),
        ),
        (Some(old_body), Some(new_body)) => {
            let at = (
                Some(old_body.pointer.as_str()),
                Some(new_body.pointer.as_str()),
            );
            match (old_body.required, new_body.required) {
                (false, true) => sink.push(
                    "request-body-became-required".into(),
                    Impact::BREAKING,
                    at.0,
                    at.1,
                    "the request body became required".into(),
                ),
                (true, false) => sink.push(
                    "request-body-became-optional".into(),
                    Impact::ADDITION,
                    at.0,
                    at.1,
                    "the request body became optional".into(),
                ),
                _ => {}
            }
            let place = Place {
                direction: Direction::Request,
                label: "request body".into(),
                old_at: &old_body.pointer,
                new_at: &new_body.pointer,
            };
            content(differ, &old_body.content, &new_body.content, &place, sink);
        }
    }
}

fn is_success(status: &str) -> bool {
    status.starts_with(['2', '3'])
}

/// Compares the responses of two versions of an operation.
pub(super) fn responses(
    differ: &mut Differ<'_>,
    old: &Operation,
    new: &Operation,
    sink: &mut Sink,
) {
    for old_response in &old.responses {
        let status = &old_response.status;
        match new.responses.iter().find(|r| &r.status == status) {
            Some(new_response)
                if differ
                    .schemas
                    .same(&old_response.pointer, &new_response.pointer) => {}
            Some(new_response) => {
                let place = Place {
                    direction: Direction::Response,
                    label: format!("response {status}"),
                    old_at: &old_response.pointer,
                    new_at: &new_response.pointer,
                };
                content(
                    differ,
                    &old_response.content,
                    &new_response.content,
                    &place,
                    sink,
                );
                headers(differ, old_response, new_response, &place, sink);
            }
            None if is_success(status) => sink.push(
                "response-success-status-removed".into(),
                Impact::BREAKING,
                Some(&old_response.pointer),
                Some(&new.pointer),
                format!("success response {status} was removed"),
            ),
            None => sink.push(
                "response-non-success-status-removed".into(),
                Impact::PATCH,
                Some(&old_response.pointer),
                Some(&new.pointer),
                format!("response {status} was removed"),
            ),
        }
    }
    for new_response in &new.responses {
        let status = &new_response.status;
        if old.responses.iter().any(|r| &r.status == status) {
            continue;
        }
        let (id, impact, message) = if is_success(status) {
            (
                "response-success-status-added",
                Impact::WARNING,
                format!("success response {status} was added: consumers may not expect it"),
            )
        } else {
            (
                "response-non-success-status-added",
                Impact::ADDITION,
                format!("response {status} was added"),
            )
        };
        sink.push(
            id.into(),
            impact,
            Some(&old.pointer),
            Some(&new_response.pointer),
            message,
        );
    }
}

/// Where some content sits.
struct Place<'p> {
    direction: Direction,
    /// e.g. `request body`, `response 200`.
    label: String,
    /// Pointers of the body or response in each version.
    old_at: &'p str,
    new_at: &'p str,
}

impl Place<'_> {
    /// `request` or `response`, the id prefix of media type changes.
    fn side(&self) -> &'static str {
        match self.direction {
            Direction::Request => "request",
            Direction::Response => "response",
        }
    }
}

fn essence(media: &str) -> String {
    media
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// The new media type paired with the old `name`.
fn counterpart<'m>(
    name: &str,
    new: &'m IndexMap<String, MediaType>,
) -> Option<(&'m String, &'m MediaType)> {
    new.get_key_value(name).or_else(|| {
        new.iter()
            .find(|(other, _)| essence(other) == essence(name))
    })
}

/// Compares two `content` maps.
fn content(
    differ: &mut Differ<'_>,
    old: &IndexMap<String, MediaType>,
    new: &IndexMap<String, MediaType>,
    place: &Place<'_>,
    sink: &mut Sink,
) {
    let side = place.side();
    let mut paired = Vec::new();
    for (name, old_media) in old {
        match counterpart(name, new) {
            Some((new_name, new_media)) => {
                paired.push(new_name);
                schemas(differ, name, old_media, new_media, place, sink);
            }
            None => sink.push(
                format!("{side}-media-type-removed"),
                Impact::BREAKING,
                Some(&old_media.pointer),
                Some(place.new_at),
                format!("{}: media type {name} was removed", place.label),
            ),
        }
    }
    for (name, new_media) in new.iter().filter(|(name, _)| !paired.contains(name)) {
        sink.push(
            format!("{side}-media-type-added"),
            Impact::ADDITION,
            Some(place.old_at),
            Some(&new_media.pointer),
            format!("{}: media type {name} was added", place.label),
        );
    }
}

/// Compares the schemas of one media type.
fn schemas(
    differ: &mut Differ<'_>,
    name: &str,
    old: &MediaType,
    new: &MediaType,
    place: &Place<'_>,
    sink: &mut Sink,
) {
    let label = format!("{} {name}", place.label);
    let prefix = match place.direction {
        Direction::Request => "request-body",
        Direction::Response => "response-body",
    };
    let (effect, suffix, what) = match (&old.schema, &new.schema) {
        (Some(_), Some(_)) => {
            let (old_at, new_at) = (
                pointer::child(&old.pointer, "schema"),
                pointer::child(&new.pointer, "schema"),
            );
            let scope = Scope {
                direction: place.direction,
                prefix,
                label: &label,
            };
            differ.schemas.compare(&old_at, &new_at, scope, sink);
            return;
        }
        (None, None) => return,
        (None, Some(_)) => (Effect::Narrows, "schema-added", "a schema was added"),
        (Some(_), None) => (
            Effect::Widens,
            "schema-removed",
            "the schema was removed: any content is valid",
        ),
    };
    sink.push(
        format!("{prefix}-{suffix}"),
        judge(effect, place.direction),
        Some(&old.pointer),
        Some(&new.pointer),
        format!("{label}: {what}"),
    );
}

/// The headers of a response (references followed): name -> (pointer, object).
fn header_map<'a>(document: &'a Value, response: &Response) -> Vec<(String, String, &'a Value)> {
    let Ok((at, object)) = refs::follow(document, &response.pointer) else {
        return Vec::new();
    };
    let headers_at = pointer::child(&at, "headers");
    object
        .get("headers")
        .and_then(Value::as_object)
        .map(Map::keys)
        .into_iter()
        .flatten()
        .filter(|name| !name.eq_ignore_ascii_case("content-type"))
        .filter_map(|name| {
            let (header_at, header) =
                refs::follow(document, &pointer::child(&headers_at, name)).ok()?;
            Some((name.clone(), header_at, header))
        })
        .collect()
}

/// Compares the headers of two versions of a response.
fn headers(
    differ: &mut Differ<'_>,
    old: &Response,
    new: &Response,
    place: &Place<'_>,
    sink: &mut Sink,
) {
    let old_headers = header_map(differ.old, old);
    let new_headers = header_map(differ.new, new);
    let required = |header: &Value| header.get("required") == Some(&Value::Bool(true));
    for (name, old_at, old_header) in &old_headers {
        let label = format!("{} header `{name}`", place.label);
        let Some((_, new_at, new_header)) = new_headers
            .iter()
            .find(|(other, _, _)| other.eq_ignore_ascii_case(name))
        else {
            let outcome = deprecation::removal(&Marks::of(old_header), differ.policy);
            sink.push(
                format!("response-header-{}", outcome.suffix),
                Impact::new(outcome.level, outcome.bump),
                Some(old_at),
                Some(place.new_at),
                format!("{label} {}", outcome.describe()),
            );
            continue;
        };
        let at = (Some(old_at.as_str()), Some(new_at.as_str()));
        match (required(old_header), required(new_header)) {
            (false, true) => sink.push(
                "response-header-became-required".into(),
                Impact::PATCH,
                at.0,
                at.1,
                format!("{label} became required: it is always sent"),
            ),
            (true, false) => sink.push(
                "response-header-became-optional".into(),
                Impact::BREAKING,
                at.0,
                at.1,
                format!("{label} became optional: it may be absent"),
            ),
            _ => {}
        }
        let marks = (Marks::of(old_header), Marks::of(new_header));
        for outcome in deprecation::transition(&marks.0, &marks.1, differ.policy) {
            sink.push(
                format!("response-header-{}", outcome.suffix),
                Impact::new(outcome.level, outcome.bump),
                at.0,
                at.1,
                format!("{label} {}", outcome.describe()),
            );
        }
        if old_header.get("schema").is_some() && new_header.get("schema").is_some() {
            let scope = Scope {
                direction: Direction::Response,
                prefix: "response-header",
                label: &label,
            };
            let (old_schema, new_schema) = (
                pointer::child(old_at, "schema"),
                pointer::child(new_at, "schema"),
            );
            differ
                .schemas
                .compare(&old_schema, &new_schema, scope, sink);
        }
    }
    for (name, new_at, _) in &new_headers {
        if old_headers
            .iter()
            .any(|(other, _, _)| other.eq_ignore_ascii_case(name))
        {
            continue;
        }
        sink.push(
            "response-header-added".into(),
            Impact::ADDITION,
            Some(place.old_at),
            Some(new_at),
            format!("{} header `{name}` was added", place.label),
        );
    }
}
