//! Canongate's own rules: security on every operation, problem+json errors,
//! naming, pagination of collections and idempotent creation of orders and
//! returns.

use serde_json::Value;

use super::{Context, Hit};
use crate::model::{Method, Operation, ParameterLocation};
use crate::pointer;

const PROBLEM_JSON: &str = "application/problem+json";

/// Collections whose creations must be idempotent: placing an order or a
/// return twice because a retry followed a timeout costs real money.
const IDEMPOTENT_COLLECTIONS: &[&str] = &["orders", "returns"];

pub(super) fn operation_security(cx: &Context<'_>) -> Vec<Hit> {
    cx.operations
        .iter()
        .filter(|op| op.security.is_none())
        .map(|op| {
            let message = "the operation declares no security; add `security` (here or at the root), or `security: []` if it is public";
            Hit::new(op.pointer.clone(), message)
        })
        .collect()
}

/// Pointer of the response `status` of `operation`, with the key as written.
fn response_at(cx: &Context<'_>, operation: &Operation, status: &str) -> String {
    let responses_at = pointer::child(&operation.pointer, "responses");
    let keys = pointer::resolve(cx.document, &responses_at).and_then(Value::as_object);
    let key = keys
        .into_iter()
        .flat_map(|keys| keys.keys())
        .find(|key| key.eq_ignore_ascii_case(status))
        .map_or(status, String::as_str);
    pointer::child(&responses_at, key)
}

pub(super) fn problem_json(cx: &Context<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for operation in cx.operations {
        let errors = operation
            .responses
            .iter()
            .filter(|r| r.status == "default" || r.status.starts_with(['4', '5']));
        for response in errors {
            let essence = |media: &String| {
                media
                    .split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_ascii_lowercase()
            };
            let others: Vec<&str> = response
                .content
                .keys()
                .filter(|media| essence(media) != PROBLEM_JSON)
                .map(String::as_str)
                .collect();
            let message = if response.content.is_empty() {
                format!(
                    "the {} response has no content; declare {PROBLEM_JSON}",
                    response.status
                )
            } else if !others.is_empty() {
                format!(
                    "the {} response must be {PROBLEM_JSON} only, not {}",
                    response.status,
                    others.join(", ")
                )
            } else {
                continue;
            };
            hits.push(Hit::new(
                response_at(cx, operation, &response.status),
                message,
            ));
        }
    }
    hits
}

pub(super) fn operation_id_camel_case(cx: &Context<'_>) -> Vec<Hit> {
    let camel = |id: &str| {
        id.starts_with(|c: char| c.is_ascii_lowercase())
            && id.chars().all(|c| c.is_ascii_alphanumeric())
    };
    cx.operations
        .iter()
        .filter(|op| !op.operation_id.is_empty() && !camel(&op.operation_id))
        .map(|op| {
            let message = format!("operationId `{}` is not lowerCamelCase", op.operation_id);
            Hit::new(pointer::child(&op.pointer, "operationId"), message)
        })
        .collect()
}

pub(super) fn path_kebab_case(cx: &Context<'_>) -> Vec<Hit> {
    let kebab = |segment: &str| {
        segment.split('-').all(|word| {
            !word.is_empty()
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
    };
    let paths = cx.document.get("paths").and_then(Value::as_object);
    let mut hits = Vec::new();
    for path in paths
        .into_iter()
        .flat_map(|paths| paths.keys())
        .filter(|p| p.starts_with('/'))
    {
        let literal = |segment: &&str| !segment.is_empty() && !segment.contains(['{', '}']);
        for segment in path.split('/').filter(literal) {
            if !kebab(segment) {
                let message = format!("path segment `{segment}` is not kebab-case");
                hits.push(Hit::new(pointer::child("/paths", path), message));
            }
        }
    }
    hits
}

/// Whether `path` names a collection: its last segment is not a `{variable}`.
fn is_collection(path: &str) -> bool {
    path.rsplit('/')
        .find(|segment| !segment.is_empty())
        .is_some_and(|last| !last.starts_with('{'))
}

pub(super) fn list_paginated(cx: &Context<'_>) -> Vec<Hit> {
    let paginated = |op: &Operation| {
        ["cursor", "page", "offset"]
            .iter()
            .any(|name| op.parameter(name, ParameterLocation::Query).is_some())
    };
    cx.operations
        .iter()
        .filter(|op| op.method == Method::Get && is_collection(&op.path) && !paginated(op))
        .map(|op| {
            let message = format!(
                "GET on the collection `{}` declares no `cursor` (or `page`/`offset`) query parameter",
                op.path
            );
            Hit::new(op.pointer.clone(), message)
        })
        .collect()
}

/// The collection `path` creates into, when it is an order or return collection.
fn idempotent_collection(path: &str) -> Option<&str> {
    let last = path.rsplit('/').find(|segment| !segment.is_empty())?;
    IDEMPOTENT_COLLECTIONS
        .iter()
        .find(|collection| last.eq_ignore_ascii_case(collection))
        .copied()
}

pub(super) fn idempotency_key(cx: &Context<'_>) -> Vec<Hit> {
    let keyed = |op: &Operation| {
        op.parameter("Idempotency-Key", ParameterLocation::Header)
            .is_some_and(|parameter| parameter.required)
    };
    cx.operations
        .iter()
        .filter(|op| op.method == Method::Post && !keyed(op))
        .filter_map(|op| {
            let collection = idempotent_collection(&op.path)?;
            let message = format!("POST creating {collection} must require an `Idempotency-Key` header, so that a retry cannot create twice");
            Some(Hit::new(op.pointer.clone(), message))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::is_collection;
    use crate::lint::tests::{CLEAN, clean_with, hits};

    #[test]
    fn operation_security() {
        let text = clean_with("security:\n  - oauth2: [orders:read]\n", "");
        let found = hits(&text, "canongate-operation-security");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "/paths/~1orders/get");
    }

    #[test]
    fn problem_json() {
        let text = clean_with(
            "        4XX: {$ref: '#/components/responses/Problem'}\n",
            "        4xx: {description: Bad., content: {application/json: {}}}\n        '500': {description: Down.}\n",
        );
        let found = hits(&text, "canongate-problem-json");
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].0, "/paths/~1orders~1{orderId}/get/responses/4xx");
        assert!(found[0].1.contains("not application/json"));
        assert_eq!(found[1].0, "/paths/~1orders~1{orderId}/get/responses/500");
    }

    #[test]
    fn naming() {
        let text = clean_with("operationId: getOrder", "operationId: Get_Order");
        assert_eq!(
            hits(&text, "canongate-operation-id-camel-case")[0].0,
            "/paths/~1orders~1{orderId}/get/operationId"
        );
        let text = CLEAN.replace("/orders", "/sales_orders");
        let found = hits(&text, "canongate-path-kebab-case");
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].0, "/paths/~1sales_orders");
    }

    #[test]
    fn list_paginated() {
        let text = clean_with(
            "        - $ref: '#/components/parameters/Cursor'\n",
            "        - {name: page, in: query, schema: {type: integer}}\n",
        );
        assert!(hits(&text, "canongate-list-paginated").is_empty());
        let text = clean_with(
            "        - $ref: '#/components/parameters/Cursor'\n",
            "        - {name: q, in: query, schema: {type: string}}\n",
        );
        assert_eq!(
            hits(&text, "canongate-list-paginated")[0].0,
            "/paths/~1orders/get"
        );
    }

    #[test]
    fn idempotency_key() {
        let text = clean_with(
            "          required: true\n          schema: {type: string}\n",
            "          schema: {type: string}\n",
        );
        assert_eq!(
            hits(&text, "canongate-idempotency-key")[0].0,
            "/paths/~1orders/post"
        );
        let text = text.replace("  /orders:\n", "  /orders/{orderId}/cancellation:\n");
        assert!(hits(&text, "canongate-idempotency-key").is_empty());
    }

    #[test]
    fn collections() {
        assert!(is_collection("/orders"));
        assert!(is_collection("/orders/{orderId}/lines"));
        assert!(!is_collection("/orders/{orderId}"));
        assert!(!is_collection("/"));
    }
}
