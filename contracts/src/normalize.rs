//! OpenAPI document -> normalized [`Operation`]s.
//!
//! Walks `paths` in document order by JSON pointer. Each node it needs (path
//! item, parameter, request body, response) is found by following `$ref`s
//! ([`refs::follow`]) and decoded with the `openapiv3` types; schemas are
//! copied as written. Along the way it checks what the model relies on:
//! operation ids present and unique, path templates well-formed, unambiguous
//! and in agreement with the declared path parameters.

use std::collections::HashMap;

use indexmap::IndexMap;
use openapiv3::{OpenAPI, PathItem};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{ProblemKind, Problems};
use crate::model::{
    MediaType, Method, Operation, Parameter, ParameterLocation, RequestBody, Response,
    SecurityRequirement,
};
use crate::{pointer, refs, template};

/// Builds the operations of `document`, whose typed view is `openapi`.
pub(crate) fn operations(
    document: &Value,
    openapi: &OpenAPI,
    problems: &mut Problems,
) -> Vec<Operation> {
    let mut normalizer = Normalizer {
        document,
        root_security: openapi.security.as_deref().map(security),
        problems,
        first_ids: HashMap::new(),
        shapes: HashMap::new(),
        operations: Vec::new(),
    };
    if let Some(paths) = document.get("paths").and_then(Value::as_object) {
        for path in paths.keys() {
            normalizer.path(path);
        }
    }
    normalizer.operations
}

/// A node found by following references, decoded.
struct Decoded<'a, T> {
    /// Where the node really is (after references).
    pointer: String,
    /// The node as written.
    raw: &'a Value,
    value: T,
}

struct Normalizer<'a, 'p> {
    document: &'a Value,
    root_security: Option<Vec<SecurityRequirement>>,
    problems: &'p mut Problems,
    /// operationId -> pointer of the operation that uses it first.
    first_ids: HashMap<String, String>,
    /// Path shape (variables erased) -> pointer of the first path with it.
    shapes: HashMap<String, String>,
    operations: Vec<Operation>,
}

impl<'a> Normalizer<'a, '_> {
    fn path(&mut self, path: &str) {
        if path.starts_with("x-") {
            return;
        }
        let at = pointer::child("/paths", path);
        if !path.starts_with('/') {
            let message = format!("path `{path}` must start with `/`");
            self.problems
                .push(at, ProblemKind::InvalidDocument { message });
            return;
        }
        let variables = self.template(path, &at);
        let Some((item_at, item)) = self
            .decode::<PathItem>(&at, "path item")
            .map(|d| (d.pointer, d.value))
        else {
            return;
        };
        let shared = self.parameters(&pointer::child(&item_at, "parameters"));
        for method in Method::ALL {
            let Some(operation) = operation_of(&item, method) else {
                continue;
            };
            let operation_at = pointer::child(&item_at, method.key());
            let parameters = self.merge(&shared, &operation_at);
            if let Some(variables) = &variables {
                self.check_path_parameters(variables, &parameters, &operation_at);
            }
            let operation_id = self.operation_id(operation.operation_id.as_deref(), &operation_at);
            let request_body = self.request_body(&pointer::child(&operation_at, "requestBody"));
            let responses = self.responses(&pointer::child(&operation_at, "responses"));
            let security = operation
                .security
                .as_deref()
                .map(security)
                .or_else(|| self.root_security.clone());
            self.operations.push(Operation {
                method,
                path: path.to_owned(),
                operation_id,
                pointer: operation_at,
                summary: operation.summary.clone(),
                deprecated: operation.deprecated,
                parameters,
                request_body,
                responses,
                security,
            });
        }
    }

    /// Follows references from `at` and decodes the node found as `T`.
    fn decode<T: DeserializeOwned>(&mut self, at: &str, what: &str) -> Option<Decoded<'a, T>> {
        // Broken references are reported once, where they are written, by `refs::check`.
        let (pointer, raw) = refs::follow(self.document, at).ok()?;
        match T::deserialize(raw) {
            Ok(value) => Some(Decoded {
                pointer,
                raw,
                value,
            }),
            Err(error) => {
                let message = if pointer == at {
                    format!("invalid {what}: {error}")
                } else {
                    format!("the {what} referenced here (at {pointer}) is invalid: {error}")
                };
                self.problems
                    .push(at, ProblemKind::InvalidDocument { message });
                None
            }
        }
    }

    /// Checks the template of `path`; returns its variables when well-formed.
    fn template(&mut self, path: &str, at: &str) -> Option<Vec<String>> {
        match template::variables(path) {
            Ok(variables) => {
                let shape = template::shape(path);
                match self.shapes.get(&shape) {
                    Some(first) => {
                        let first_pointer = first.clone();
                        self.problems
                            .push(at, ProblemKind::AmbiguousPath { first_pointer });
                    }
                    None => {
                        self.shapes.insert(shape, at.to_owned());
                    }
                }
                Some(variables.into_iter().map(str::to_owned).collect())
            }
            Err(error) => {
                let message = format!("`{path}`: {error}");
                self.problems
                    .push(at, ProblemKind::InvalidPathTemplate { message });
                None
            }
        }
    }

    /// The parameters of the list at `list_at` (missing list: none).
    fn parameters(&mut self, list_at: &str) -> Vec<Parameter> {
        let count = pointer::resolve(self.document, list_at)
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        (0..count)
            .filter_map(|index| {
                let at = pointer::index(list_at, index);
                let decoded = self.decode::<openapiv3::Parameter>(&at, "parameter")?;
                Some(parameter(at, decoded.raw, decoded.value))
            })
            .collect()
    }

    /// Path-item parameters overridden and extended by the operation's own.
    fn merge(&mut self, shared: &[Parameter], operation_at: &str) -> Vec<Parameter> {
        let mut merged = shared.to_vec();
        for own in self.parameters(&pointer::child(operation_at, "parameters")) {
            let same = merged
                .iter_mut()
                .find(|p| p.location == own.location && p.is_named(&own.name));
            match same {
                Some(slot) => *slot = own,
                None => merged.push(own),
            }
        }
        merged
    }

    fn check_path_parameters(
        &mut self,
        variables: &[String],
        parameters: &[Parameter],
        operation_at: &str,
    ) {
        let in_path = || {
            parameters
                .iter()
                .filter(|p| p.location == ParameterLocation::Path)
        };
        for name in variables {
            if !in_path().any(|p| &p.name == name) {
                let name = name.clone();
                self.problems
                    .push(operation_at, ProblemKind::UndeclaredPathParameter { name });
            }
        }
        for declared in in_path() {
            let name = declared.name.clone();
            if !variables.contains(&name) {
                let kind = ProblemKind::PathParameterNotInTemplate { name };
                self.problems.push(&declared.pointer, kind);
            } else if !declared.required {
                let kind = ProblemKind::PathParameterNotRequired { name };
                self.problems.push(&declared.pointer, kind);
            }
        }
    }

    /// The operation id, after checking it is present and unique.
    fn operation_id(&mut self, operation_id: Option<&str>, operation_at: &str) -> String {
        let Some(operation_id) = operation_id.filter(|id| !id.is_empty()) else {
            self.problems
                .push(operation_at, ProblemKind::MissingOperationId);
            return String::new();
        };
        match self.first_ids.get(operation_id) {
            Some(first) => {
                let kind = ProblemKind::DuplicateOperationId {
                    operation_id: operation_id.to_owned(),
                    first_pointer: first.clone(),
                };
                self.problems
                    .push(pointer::child(operation_at, "operationId"), kind);
            }
            None => {
                self.first_ids
                    .insert(operation_id.to_owned(), operation_at.to_owned());
            }
        }
        operation_id.to_owned()
    }

    fn request_body(&mut self, at: &str) -> Option<RequestBody> {
        pointer::resolve(self.document, at)?;
        let decoded = self.decode::<openapiv3::RequestBody>(at, "request body")?;
        Some(RequestBody {
            pointer: at.to_owned(),
            required: decoded.value.required,
            content: content(&decoded.pointer, decoded.raw, decoded.value.content.keys()),
        })
    }

    /// The responses at `at`, in document order.
    fn responses(&mut self, at: &str) -> Vec<Response> {
        let document = self.document;
        let Some(map) = pointer::resolve(document, at).and_then(Value::as_object) else {
            return Vec::new();
        };
        let mut responses = Vec::new();
        for key in map.keys().filter(|key| !key.starts_with("x-")) {
            let response_at = pointer::child(at, key);
            let Some(status) = status(key) else {
                let message = format!(
                    "response key `{key}` is not a status code, a range such as 4XX, or default"
                );
                self.problems
                    .push(response_at, ProblemKind::InvalidDocument { message });
                continue;
            };
            let Some(decoded) = self.decode::<openapiv3::Response>(&response_at, "response") else {
                continue;
            };
            responses.push(Response {
                content: content(&decoded.pointer, decoded.raw, decoded.value.content.keys()),
                pointer: response_at,
                status,
                headers: decoded.value.headers.keys().cloned().collect(),
                description: decoded.value.description,
            });
        }
        responses
    }
}

fn operation_of(item: &PathItem, method: Method) -> Option<&openapiv3::Operation> {
    match method {
        Method::Get => item.get.as_ref(),
        Method::Put => item.put.as_ref(),
        Method::Post => item.post.as_ref(),
        Method::Delete => item.delete.as_ref(),
        Method::Options => item.options.as_ref(),
        Method::Head => item.head.as_ref(),
        Method::Patch => item.patch.as_ref(),
        Method::Trace => item.trace.as_ref(),
    }
}

fn security(requirements: &[openapiv3::SecurityRequirement]) -> Vec<SecurityRequirement> {
    requirements
        .iter()
        .map(|schemes| SecurityRequirement {
            schemes: schemes.clone(),
        })
        .collect()
}

fn parameter(pointer: String, raw: &Value, decoded: openapiv3::Parameter) -> Parameter {
    let location = match decoded {
        openapiv3::Parameter::Query { .. } => ParameterLocation::Query,
        openapiv3::Parameter::Header { .. } => ParameterLocation::Header,
        openapiv3::Parameter::Path { .. } => ParameterLocation::Path,
        openapiv3::Parameter::Cookie { .. } => ParameterLocation::Cookie,
    };
    let data = decoded.parameter_data();
    let content_schema = || {
        raw.get("content")
            .and_then(Value::as_object)
            .and_then(|content| content.values().next())
            .and_then(|media| media.get("schema"))
    };
    Parameter {
        pointer,
        name: data.name,
        location,
        required: data.required,
        deprecated: data.deprecated.unwrap_or(false),
        schema: raw.get("schema").or_else(content_schema).cloned(),
        style: raw.get("style").and_then(Value::as_str).map(str::to_owned),
        explode: data.explode,
    }
}

/// The media types `names` of the `content` of `raw` (found at `at`),
/// schemas as written.
fn content<'n>(
    at: &str,
    raw: &Value,
    names: impl Iterator<Item = &'n String>,
) -> IndexMap<String, MediaType> {
    let content_at = pointer::child(at, "content");
    names
        .map(|name| {
            let schema = raw
                .get("content")
                .and_then(|content| content.get(name))
                .and_then(|media| media.get("schema"))
                .cloned();
            let pointer = pointer::child(&content_at, name);
            (name.clone(), MediaType { pointer, schema })
        })
        .collect()
}

/// `"default"`, a status code `100`-`599`, or a range `1XX`-`5XX` (upper-cased).
fn status(key: &str) -> Option<String> {
    if key == "default" {
        return Some(key.to_owned());
    }
    match key.as_bytes() {
        [class @ b'1'..=b'5', rest @ ..] if rest.len() == 2 => {
            let code = rest.iter().all(u8::is_ascii_digit);
            let range = rest.iter().all(|b| b.eq_ignore_ascii_case(&b'x'));
            (code || range).then(|| format!("{}{}", *class as char, key[1..].to_ascii_uppercase()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_status_keys() {
        assert_eq!(status("200").as_deref(), Some("200"));
        assert_eq!(status("4xx").as_deref(), Some("4XX"));
        assert_eq!(status("default").as_deref(), Some("default"));
        for bad in ["20", "600", "2X0", "abc", "2000", ""] {
            assert_eq!(status(bad), None, "{bad}");
        }
    }
}
