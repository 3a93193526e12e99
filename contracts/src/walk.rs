//! Visits every object node of a document that is OpenAPI structure.
//!
//! `example`, `default`, `enum`, `const` and the `value` of Example objects
//! hold instance data, not structure, so they are not descended into. Inside
//! maps keyed by names (`properties`, `schemas`, `responses`, ...) those words
//! are names, so there they are descended into like any other entry.

use serde_json::{Map, Value};

use crate::pointer;

/// Keys whose value maps names to objects.
const NAME_MAPS: &[&str] = &[
    "callbacks",
    "content",
    "encoding",
    "examples",
    "headers",
    "links",
    "mapping",
    "parameters",
    "paths",
    "patternProperties",
    "properties",
    "requestBodies",
    "responses",
    "schemas",
    "scopes",
    "securitySchemes",
    "variables",
];

/// Keys whose value is instance data.
const LITERALS: &[&str] = &["const", "default", "enum", "example"];

/// Where a node sits, as far as telling structure from data needs.
#[derive(Clone, Copy)]
struct Place<'k> {
    /// The key the node is stored under, if it is stored in an object.
    key: Option<&'k str>,
    /// Whether the node is an entry of a name map.
    named: bool,
    /// Whether the node is an entry of an `examples` name map.
    example: bool,
}

/// The pointer and content of every structural object, the root first, in
/// document order.
pub(crate) fn collect(document: &Value) -> Vec<(String, &Map<String, Value>)> {
    let mut found = Vec::new();
    objects(document, &mut |at, object| {
        found.push((at.to_owned(), object))
    });
    found
}

/// Calls `visit` with the pointer and content of every structural object,
/// the root first, in document order.
pub(crate) fn objects<'a>(
    document: &'a Value,
    visit: &mut dyn FnMut(&str, &'a Map<String, Value>),
) {
    let mut pointer = String::new();
    let root = Place {
        key: None,
        named: false,
        example: false,
    };
    walk(document, &mut pointer, root, visit);
}

fn walk<'a>(
    value: &'a Value,
    pointer: &mut String,
    place: Place<'_>,
    visit: &mut dyn FnMut(&str, &'a Map<String, Value>),
) {
    let parent_len = pointer.len();
    match value {
        Value::Object(map) => {
            visit(pointer, map);
            let names = !place.named && place.key.is_some_and(|key| NAME_MAPS.contains(&key));
            for (key, child) in map {
                let literal = LITERALS.contains(&key.as_str()) || (place.example && key == "value");
                if literal && !names {
                    continue;
                }
                pointer.push('/');
                pointer.push_str(&pointer::escape(key));
                let place = Place {
                    key: Some(key),
                    named: names,
                    example: names && place.key == Some("examples"),
                };
                walk(child, pointer, place, visit);
                pointer.truncate(parent_len);
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                pointer.push('/');
                pointer.push_str(&index.to_string());
                let place = Place {
                    key: None,
                    named: false,
                    example: false,
                };
                walk(item, pointer, place, visit);
                pointer.truncate(parent_len);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn visited(document: &Value) -> Vec<String> {
        let mut pointers = Vec::new();
        objects(document, &mut |pointer, _| {
            pointers.push(pointer.to_owned())
        });
        pointers
    }

    #[test]
    fn skips_instance_data_but_not_names() {
        let document = json!({
            "responses": {"default": {"description": "d"}},
            "schema": {
                "example": {"nested": {}},
                "default": {"nested": {}},
                "properties": {"example": {"enum": [{}], "default": {}}}
            },
            "examples": {"one": {"value": {"data": {}}}},
            "allOf": [{"const": {}}]
        });
        assert_eq!(
            visited(&document),
            [
                "",
                "/responses",
                "/responses/default",
                "/schema",
                "/schema/properties",
                "/schema/properties/example",
                "/examples",
                "/examples/one",
                "/allOf/0",
            ]
        );
    }
}
