//! Rules checking examples and defaults against their schemas (see
//! [`super::instance`] for what is checked).

use serde_json::{Map, Value};

use super::instance::mismatch;
use super::{Context, Hit};
use crate::{pointer, refs};

/// Keywords that make an object a schema for `oas3-valid-schema-example`.
const SCHEMA_KEYWORDS: &[&str] = &[
    "type",
    "enum",
    "properties",
    "items",
    "$ref",
    "allOf",
    "anyOf",
    "oneOf",
    "format",
];

/// Media type, parameter and header objects: `example` and each of
/// `examples` against `schema`.
pub(super) fn media(cx: &Context<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (at, object) in cx.objects {
        let at = at.as_str();
        let Some(schema) = object.get("schema").filter(|schema| schema.is_object()) else {
            continue;
        };
        let mut check = |instance: &Value, instance_at: String| {
            if let Some(why) = mismatch(cx.document, schema, instance) {
                let message = format!("the example does not match the schema: {}", why.message);
                hits.push(Hit::new(instance_at + &why.at, message));
            }
        };
        if let Some(example) = object.get("example") {
            check(example, pointer::child(at, "example"));
        }
        let examples = object.get("examples").and_then(Value::as_object);
        for name in examples.into_iter().flat_map(Map::keys) {
            let example_at = pointer::child(&pointer::child(at, "examples"), name);
            let Ok((_, example)) = refs::follow(cx.document, &example_at) else {
                continue;
            };
            if let Some(value) = example.get("value") {
                check(value, pointer::child(&example_at, "value"));
            }
        }
    }
    hits
}

/// Example objects (in `components.examples` and in the `examples` of media
/// types, parameters and headers) have exactly one of `value` and `externalValue`.
pub(super) fn value_or_external(cx: &Context<'_>) -> Vec<Hit> {
    let mut lists: Vec<String> = Vec::new();
    if pointer::resolve(cx.document, "/components/examples").is_some() {
        lists.push("/components/examples".to_owned());
    }
    for (at, object) in cx.objects {
        let at = at.as_str();
        if object.contains_key("schema") && object.get("examples").is_some_and(Value::is_object) {
            lists.push(pointer::child(at, "examples"));
        }
    }
    let mut hits = Vec::new();
    for list_at in lists {
        let names = pointer::resolve(cx.document, &list_at).and_then(Value::as_object);
        for name in names.into_iter().flat_map(Map::keys) {
            let at = pointer::child(&list_at, name);
            let Ok((example_at, example)) = refs::follow(cx.document, &at) else {
                continue;
            };
            let value = example.get("value").is_some();
            let external = example.get("externalValue").is_some();
            if value == external {
                let message = format!(
                    "example `{name}` must have either `value` or `externalValue`, not both or neither"
                );
                hits.push(Hit::new(example_at, message));
            }
        }
    }
    hits.sort_by(|a, b| a.pointer.cmp(&b.pointer));
    hits.dedup_by(|a, b| a.pointer == b.pointer);
    hits
}

/// Schema objects: `example` and `default` against the schema itself.
pub(super) fn schema(cx: &Context<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (at, object) in cx.objects {
        let at = at.as_str();
        let is_schema = SCHEMA_KEYWORDS.iter().any(|key| object.contains_key(*key))
            && !object.contains_key("schema")
            && !object.contains_key("in");
        let has_instances = object.contains_key("example") || object.contains_key("default");
        if !is_schema || !has_instances {
            continue;
        }
        let Some(schema) = pointer::resolve(cx.document, at) else {
            continue;
        };
        for key in ["example", "default"] {
            let Some(instance) = object.get(key) else {
                continue;
            };
            if let Some(why) = mismatch(cx.document, schema, instance) {
                let message = format!("the {key} does not match the schema: {}", why.message);
                hits.push(Hit::new(pointer::child(at, key) + &why.at, message));
            }
        }
    }
    hits
}

#[cfg(test)]
mod tests {
    use crate::lint::tests::{clean_with, hits};

    #[test]
    fn media_examples() {
        let text = clean_with(
            "example: {id: o-1, status: open}",
            "example: {id: o-1, status: lost}",
        );
        let found = hits(&text, "oas3-valid-media-example");
        assert_eq!(
            found[0].0,
            "/paths/~1orders/get/responses/200/content/application~1json/example/status"
        );
        assert_eq!(
            found[0].1,
            "the example does not match the schema: \"lost\" is not one of the enum values"
        );

        let named = "examples: {one: {value: {id: 5}}, two: {$ref: '#/components/examples/Two'}}";
        let text = clean_with("example: {id: o-1, status: open}", named).replace(
            "  schemas:\n",
            "  examples:\n    Two: {value: {id: o-2}}\n  schemas:\n",
        );
        let found = hits(&text, "oas3-valid-media-example");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            found[0].0,
            "/paths/~1orders/get/responses/200/content/application~1json/examples/one/value/id"
        );
    }

    #[test]
    fn value_or_external_value() {
        let named = "examples: {one: {summary: nothing}, two: {value: 1, externalValue: 'https://retail.test/x'}, three: {value: {id: o-3}}}";
        let text = clean_with("example: {id: o-1, status: open}", named);
        let found = hits(&text, "oas3-examples-value-or-externalValue");
        let pointers: Vec<&str> = found.iter().map(|(at, _)| at.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/paths/~1orders/get/responses/200/content/application~1json/examples/one",
                "/paths/~1orders/get/responses/200/content/application~1json/examples/two"
            ]
        );
    }

    #[test]
    fn schema_examples_and_defaults() {
        let text = clean_with("default: open", "default: gone");
        assert_eq!(
            hits(&text, "oas3-valid-schema-example")[0].0,
            "/components/schemas/Order/properties/status/default"
        );
        let text = clean_with(
            "title: {type: string}",
            "title: {type: string, example: 42}",
        );
        assert_eq!(
            hits(&text, "oas3-valid-schema-example")[0].0,
            "/components/schemas/Problem/properties/title/example"
        );
    }
}
