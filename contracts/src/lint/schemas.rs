//! Rules on schema keywords: `enum` and `items`.

use serde_json::Value;

use super::instance::{kind_of, type_matches};
use super::{Context, Hit};
use crate::pointer;

/// Calls `check` on every structural object that has an `enum` array.
fn enums(
    cx: &Context<'_>,
    mut check: impl FnMut(&str, &serde_json::Map<String, Value>, &[Value], &mut Vec<Hit>),
) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (at, object) in cx.objects {
        let at = at.as_str();
        if let Some(values) = object.get("enum").and_then(Value::as_array) {
            check(at, object, values, &mut hits);
        }
    }
    hits
}

pub(super) fn unique_enum(cx: &Context<'_>) -> Vec<Hit> {
    enums(cx, |at, _, values, hits| {
        for (index, value) in values.iter().enumerate() {
            if values[..index].contains(value) {
                let at = pointer::index(&pointer::child(at, "enum"), index);
                hits.push(Hit::new(
                    at,
                    format!("enum value {value} appears more than once"),
                ));
            }
        }
    })
}

pub(super) fn typed_enum(cx: &Context<'_>) -> Vec<Hit> {
    enums(cx, |at, object, values, hits| {
        let Some(kind) = object.get("type").and_then(Value::as_str) else {
            return;
        };
        let nullable = object.get("nullable") == Some(&Value::Bool(true));
        for (index, value) in values.iter().enumerate() {
            let allowed = type_matches(kind, value) || (nullable && value.is_null());
            if !allowed {
                let at = pointer::index(&pointer::child(at, "enum"), index);
                let found = kind_of(value);
                hits.push(Hit::new(
                    at,
                    format!("enum value {value} is {found}, not {kind}"),
                ));
            }
        }
    })
}

pub(super) fn array_items(cx: &Context<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (at, object) in cx.objects {
        let at = at.as_str();
        if object.get("type").and_then(Value::as_str) == Some("array")
            && !object.contains_key("items")
        {
            hits.push(Hit::new(at, "the array schema has no `items`"));
        }
    }
    hits
}

#[cfg(test)]
mod tests {
    use crate::lint::tests::{clean_with, hits};

    const STATUS: &str = "enum: [open, closed]";

    #[test]
    fn unique_enum() {
        let text = clean_with(STATUS, "enum: [open, closed, open]");
        assert_eq!(
            hits(&text, "duplicated-entry-in-enum")[0].0,
            "/components/schemas/Order/properties/status/enum/2"
        );
    }

    #[test]
    fn typed_enum() {
        let text = clean_with(STATUS, "enum: [open, 3]");
        let found = hits(&text, "typed-enum");
        assert_eq!(
            found[0].0,
            "/components/schemas/Order/properties/status/enum/1"
        );
        assert_eq!(found[0].1, "enum value 3 is integer, not string");
        let text = clean_with(STATUS, "nullable: true, enum: [open, null]");
        assert!(hits(&text, "typed-enum").is_empty());
    }

    #[test]
    fn array_items() {
        let text = clean_with(
            "{type: array, items: {$ref: '#/components/schemas/Order'}}",
            "{type: array}",
        );
        assert_eq!(
            hits(&text, "array-items")[0].0,
            "/components/schemas/Order/properties/lines"
        );
    }
}
