//! Rules on operations: ids, parameter lists, descriptions, tags, success
//! responses and security requirements.

use std::collections::HashSet;

use serde_json::Value;

use super::{Context, Hit};
use crate::model::Operation;
use crate::{pointer, refs};

/// The operation object as written.
fn raw<'a>(cx: &Context<'a>, operation: &Operation) -> Option<&'a Value> {
    pointer::resolve(cx.document, &operation.pointer)
}

pub(super) fn operation_id_in_url(cx: &Context<'_>) -> Vec<Hit> {
    let valid = |c: char| c.is_ascii_alphanumeric() || "-._~:/?#[]@!$&'()*+,;=".contains(c);
    cx.operations
        .iter()
        .filter(|op| !op.operation_id.chars().all(valid))
        .map(|op| {
            let message = format!(
                "operationId `{}` contains characters that are not valid in a URL",
                op.operation_id
            );
            Hit::new(pointer::child(&op.pointer, "operationId"), message)
        })
        .collect()
}

pub(super) fn unique_parameters(cx: &Context<'_>) -> Vec<Hit> {
    let lists = cx.path_item_lists("parameters");
    let mut hits = Vec::new();
    let mut checked = HashSet::new();
    for (list_at, list) in lists
        .into_iter()
        .filter(|(list_at, _)| checked.insert(list_at.clone()))
    {
        let mut seen = HashSet::new();
        for (index, entry) in list.iter().enumerate() {
            let at = pointer::index(&list_at, index);
            let parameter = if entry.get("$ref").is_some() {
                let Ok((_, parameter)) = refs::follow(cx.document, &at) else {
                    continue;
                };
                parameter
            } else {
                entry
            };
            let field = |key| {
                parameter
                    .get(key)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
            };
            let (name, location) = (field("name"), field("in"));
            let key = if location == "header" {
                name.to_ascii_lowercase()
            } else {
                name.to_owned()
            };
            if !seen.insert((key, location)) {
                hits.push(Hit::new(
                    at,
                    format!(
                        "{location} parameter `{name}` is declared more than once in this list"
                    ),
                ));
            }
        }
    }
    hits
}

pub(super) fn description(cx: &Context<'_>) -> Vec<Hit> {
    cx.operations
        .iter()
        .filter(|op| {
            let text = raw(cx, op)
                .and_then(|raw| raw.get("description"))
                .and_then(Value::as_str);
            text.is_none_or(|text| text.trim().is_empty())
        })
        .map(|op| Hit::new(op.pointer.clone(), "the operation has no description"))
        .collect()
}

pub(super) fn tags(cx: &Context<'_>) -> Vec<Hit> {
    cx.operations
        .iter()
        .filter(|op| {
            let tags = raw(cx, op)
                .and_then(|raw| raw.get("tags"))
                .and_then(Value::as_array);
            tags.is_none_or(Vec::is_empty)
        })
        .map(|op| Hit::new(op.pointer.clone(), "the operation has no tags"))
        .collect()
}

pub(super) fn tag_defined(cx: &Context<'_>) -> Vec<Hit> {
    let declared: HashSet<&str> = cx
        .document
        .get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|tag| tag.get("name")?.as_str())
        .collect();
    let mut hits = Vec::new();
    for operation in cx.operations {
        let tags = raw(cx, operation)
            .and_then(|raw| raw.get("tags"))
            .and_then(Value::as_array);
        for (index, tag) in tags.into_iter().flatten().enumerate() {
            let Some(name) = tag.as_str() else { continue };
            if !declared.contains(name) {
                let at = pointer::index(&pointer::child(&operation.pointer, "tags"), index);
                hits.push(Hit::new(
                    at,
                    format!("tag `{name}` is not declared in the root `tags`"),
                ));
            }
        }
    }
    hits
}

pub(super) fn success_response(cx: &Context<'_>) -> Vec<Hit> {
    cx.operations
        .iter()
        .filter(|op| {
            !op.responses
                .iter()
                .any(|r| r.status.starts_with(['2', '3']))
        })
        .map(|op| {
            Hit::new(
                pointer::child(&op.pointer, "responses"),
                "the operation declares no 2xx or 3xx response",
            )
        })
        .collect()
}

pub(super) fn security_defined(cx: &Context<'_>) -> Vec<Hit> {
    let mut lists = vec!["/security".to_owned()];
    lists.extend(
        cx.operations
            .iter()
            .map(|op| pointer::child(&op.pointer, "security")),
    );
    let mut checked = HashSet::new();
    let mut hits = Vec::new();
    for list_at in lists
        .into_iter()
        .filter(|list_at| checked.insert(list_at.clone()))
    {
        let requirements = pointer::resolve(cx.document, &list_at).and_then(Value::as_array);
        for (index, requirement) in requirements.into_iter().flatten().enumerate() {
            let requirement_at = pointer::index(&list_at, index);
            for (name, scopes) in requirement.as_object().into_iter().flatten() {
                let at = pointer::child(&requirement_at, name);
                let scheme_at = pointer::child("/components/securitySchemes", name);
                let Ok((_, scheme)) = refs::follow(cx.document, &scheme_at) else {
                    let message = format!(
                        "security scheme `{name}` is not defined in components.securitySchemes"
                    );
                    hits.push(Hit::new(at, message));
                    continue;
                };
                if scheme.get("type").and_then(Value::as_str) != Some("oauth2") {
                    continue;
                }
                let flows = scheme.get("flows").and_then(Value::as_object);
                let declared = |scope: &str| {
                    flows
                        .into_iter()
                        .flat_map(|flows| flows.values())
                        .any(|flow| {
                            flow.get("scopes")
                                .and_then(|scopes| scopes.get(scope))
                                .is_some()
                        })
                };
                for scope in scopes
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                {
                    if !declared(scope) {
                        let message = format!(
                            "scope `{scope}` is not declared by any flow of the OAuth 2 scheme `{name}`"
                        );
                        hits.push(Hit::new(at.clone(), message));
                    }
                }
            }
        }
    }
    hits
}

#[cfg(test)]
mod tests {
    use crate::lint::tests::{clean_with, hits};

    #[test]
    fn operation_id_in_url() {
        let text = clean_with("operationId: getOrder", "operationId: get order");
        assert_eq!(
            hits(&text, "operation-operationId-valid-in-url")[0].0,
            "/paths/~1orders~1{orderId}/get/operationId"
        );
    }

    #[test]
    fn unique_parameters() {
        let text = clean_with(
            "        - $ref: '#/components/parameters/Cursor'\n",
            "        - $ref: '#/components/parameters/Cursor'\n        - {name: cursor, in: query}\n",
        );
        assert_eq!(
            hits(&text, "operation-parameters")[0].0,
            "/paths/~1orders/get/parameters/1"
        );
        let text = clean_with(
            "        - name: Idempotency-Key\n",
            "        - {name: idempotency-key, in: header}\n        - name: Idempotency-Key\n",
        );
        assert_eq!(
            hits(&text, "operation-parameters")[0].0,
            "/paths/~1orders/post/parameters/1"
        );
    }

    #[test]
    fn description_and_tags() {
        let text = clean_with(
            "      description: Returns one order.\n      tags: [Orders]\n",
            "      description: ' '\n",
        );
        assert_eq!(
            hits(&text, "operation-description")[0].0,
            "/paths/~1orders~1{orderId}/get"
        );
        assert_eq!(
            hits(&text, "operation-tags")[0].0,
            "/paths/~1orders~1{orderId}/get"
        );
    }

    #[test]
    fn tag_defined() {
        let text = clean_with(
            "      tags: [Orders]\n      security: []\n",
            "      tags: [Orders, Audit]\n      security: []\n",
        );
        assert_eq!(
            hits(&text, "operation-tag-defined")[0].0,
            "/paths/~1orders~1{orderId}/get/tags/1"
        );
    }

    #[test]
    fn success_response() {
        let text = clean_with("        '201': {description: Created.}\n", "");
        assert_eq!(
            hits(&text, "operation-success-response")[0].0,
            "/paths/~1orders/post/responses"
        );
        let text = clean_with(
            "        '201': {description: Created.}\n",
            "        3XX: {description: Elsewhere.}\n",
        );
        assert!(hits(&text, "operation-success-response").is_empty());
    }

    #[test]
    fn security_defined() {
        let text = clean_with(
            "- oauth2: [orders:write]",
            "- oauth2: [orders:delete]\n        - apiKey: []",
        );
        let found = hits(&text, "oas3-operation-security-defined");
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].0, "/paths/~1orders/post/security/0/oauth2");
        assert!(found[0].1.contains("orders:delete"));
        assert_eq!(found[1].0, "/paths/~1orders/post/security/1/apiKey");
    }
}
