//! Rules on Link objects (`components.links` and the `links` of every
//! response): parameter values that are runtime expressions must be valid.

use serde_json::{Map, Value};

use super::{Context, Hit};
use crate::{pointer, refs};

/// Every Link object with its pointer.
fn links<'a>(cx: &Context<'a>) -> Vec<(String, &'a Value)> {
    let mut maps = vec!["/components/links".to_owned()];
    let mut responses: Vec<String> = cx
        .operations
        .iter()
        .flat_map(|op| op.responses.iter().map(|response| response.pointer.clone()))
        .collect();
    let components =
        pointer::resolve(cx.document, "/components/responses").and_then(Value::as_object);
    responses.extend(
        components
            .into_iter()
            .flat_map(Map::keys)
            .map(|name| pointer::child("/components/responses", name)),
    );
    for response in responses {
        if let Ok((at, _)) = refs::follow(cx.document, &response) {
            maps.push(pointer::child(&at, "links"));
        }
    }
    maps.sort();
    maps.dedup();
    let mut found = Vec::new();
    for map_at in maps {
        let map = pointer::resolve(cx.document, &map_at).and_then(Value::as_object);
        for name in map.into_iter().flat_map(Map::keys) {
            if let Ok(link) = refs::follow(cx.document, &pointer::child(&map_at, name)) {
                found.push(link);
            }
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found.dedup_by(|a, b| a.0 == b.0);
    found
}

/// Why `expression` is not a runtime expression (OpenAPI 3.0.3, "Runtime
/// Expressions"), or `None` when it is one.
pub(crate) fn expression_error(expression: &str) -> Option<&'static str> {
    if matches!(expression, "$url" | "$method" | "$statusCode") {
        return None;
    }
    let Some(source) = expression
        .strip_prefix("$request.")
        .or_else(|| expression.strip_prefix("$response."))
    else {
        return Some("expressions start with $url, $method, $statusCode, $request. or $response.");
    };
    if source == "body" {
        return None;
    }
    if let Some(json_pointer) = source.strip_prefix("body#") {
        return (!pointer::is_valid(json_pointer))
            .then_some("`body#` must be followed by a JSON pointer");
    }
    if let Some(name) = source
        .strip_prefix("query.")
        .or_else(|| source.strip_prefix("path."))
    {
        return (name.is_empty() || !name.is_ascii())
            .then_some("`query.` and `path.` must be followed by an ASCII name");
    }
    if let Some(token) = source.strip_prefix("header.") {
        let tchar = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
        return (token.is_empty() || !token.chars().all(tchar))
            .then_some("`header.` must be followed by a header name");
    }
    Some("`$request.` and `$response.` are followed by header., query., path., body or body#")
}

pub(super) fn parameters_expression(cx: &Context<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (at, link) in links(cx) {
        let parameters_at = pointer::child(&at, "parameters");
        let parameters = link.get("parameters").and_then(Value::as_object);
        for (name, value) in parameters.into_iter().flatten() {
            let Some(expression) = value.as_str().filter(|text| text.starts_with('$')) else {
                continue;
            };
            if let Some(why) = expression_error(expression) {
                let message = format!(
                    "link parameter `{name}`: `{expression}` is not a runtime expression: {why}"
                );
                hits.push(Hit::new(pointer::child(&parameters_at, name), message));
            }
        }
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::expression_error;
    use crate::lint::tests::{clean_with, hits};

    #[test]
    fn runtime_expressions() {
        for valid in [
            "$url",
            "$statusCode",
            "$request.path.orderId",
            "$request.query.cursor",
            "$request.header.X-Request-Id",
            "$response.body",
            "$response.body#/id",
            "$response.body#/lines/0/sku",
        ] {
            assert_eq!(expression_error(valid), None, "{valid}");
        }
        for invalid in [
            "$body",
            "$request.cookie.a",
            "$request.header.",
            "$request.header.a b",
            "$response.body#id",
            "$request.path.",
            "$response.body#",
        ] {
            assert!(expression_error(invalid).is_some(), "{invalid}");
        }
    }

    #[test]
    fn parameters_expression() {
        let text = clean_with(
            "        '201': {description: Created.}\n",
            "        '201':\n          description: Created.\n          links:\n            GetOrder:\n              operationId: getOrder\n              parameters: {orderId: '$response.body#id', fixed: constant, ok: '$response.body#/id'}\n",
        );
        let found = hits(&text, "oas3-links-parameters-expression");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            found[0].0,
            "/paths/~1orders/post/responses/201/links/GetOrder/parameters/orderId"
        );
    }
}
