//! Checks a JSON instance (an example or a default) against an OpenAPI 3.0
//! schema.
//!
//! Covers `$ref`, `type` with `nullable`, `enum`, numeric bounds, string and
//! array lengths, `required`, `properties`, `additionalProperties`, `items`,
//! `allOf`, and `anyOf`/`oneOf` (at least one must match). `format` and
//! `pattern` are not checked. A required property marked `readOnly` or
//! `writeOnly` may be missing, since an example shows one direction only.

use serde_json::{Map, Value};

use crate::{pointer, refs};

/// Schema nesting followed at most; deeper parts are accepted unchecked.
const MAX_DEPTH: usize = 64;

/// Where and why an instance does not match its schema.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Mismatch {
    /// JSON pointer into the instance; empty for the instance itself.
    pub at: String,
    /// What does not match.
    pub message: String,
}

/// Why `instance` does not match `schema`, or `None` when it does.
pub(super) fn mismatch(document: &Value, schema: &Value, instance: &Value) -> Option<Mismatch> {
    let mut at = String::new();
    Checker { document }
        .check(schema, instance, &mut at, 0)
        .err()
}

/// Whether `value` is of the OpenAPI `type` named `kind` (unknown types match).
pub(super) fn type_matches(kind: &str, value: &Value) -> bool {
    match kind {
        "string" => value.is_string(),
        "integer" => {
            value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|n| n.fract() == 0.0)
        }
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => true,
    }
}

/// The type name of `value` for messages.
pub(super) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

struct Checker<'a> {
    document: &'a Value,
}

type Outcome = Result<(), Mismatch>;

fn fail(at: &str, message: impl Into<String>) -> Outcome {
    Err(Mismatch {
        at: at.to_owned(),
        message: message.into(),
    })
}

impl<'a> Checker<'a> {
    /// The schema object behind `schema`, following `$ref`s; `None` when broken.
    fn resolve(&self, schema: &'a Value) -> Option<&'a Map<String, Value>> {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let target = pointer::from_ref(reference).ok()?;
                refs::follow(self.document, &target).ok()?.1.as_object()
            }
            None => schema.as_object(),
        }
    }

    fn check(&self, schema: &'a Value, instance: &Value, at: &mut String, depth: usize) -> Outcome {
        let Some(schema) = self.resolve(schema).filter(|_| depth <= MAX_DEPTH) else {
            return Ok(());
        };
        let flag = |key: &str| schema.get(key) == Some(&Value::Bool(true));
        if instance.is_null() && flag("nullable") {
            return Ok(());
        }
        if let Some(kind) = schema.get("type").and_then(Value::as_str)
            && !type_matches(kind, instance)
        {
            return fail(at, format!("expected {kind}, found {}", kind_of(instance)));
        }
        if let Some(values) = schema.get("enum").and_then(Value::as_array)
            && !values.contains(instance)
        {
            return fail(at, format!("{instance} is not one of the enum values"));
        }
        self.bounds(schema, instance, at)?;
        if let (Some(items), Some(item_schema)) = (instance.as_array(), schema.get("items")) {
            for (index, item) in items.iter().enumerate() {
                self.descend(item_schema, item, at, &index.to_string(), depth)?;
            }
        }
        if let Some(object) = instance.as_object() {
            self.object(schema, object, at, depth)?;
        }
        for sub in schema
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            self.check(sub, instance, at, depth + 1)?;
        }
        for keyword in ["anyOf", "oneOf"] {
            let Some(alternatives) = schema.get(keyword).and_then(Value::as_array) else {
                continue;
            };
            let matches = |sub| {
                self.check(sub, instance, &mut at.clone(), depth + 1)
                    .is_ok()
            };
            if !alternatives.is_empty() && !alternatives.iter().any(matches) {
                return fail(at, format!("matches none of the `{keyword}` schemas"));
            }
        }
        Ok(())
    }

    fn descend(
        &self,
        schema: &'a Value,
        instance: &Value,
        at: &mut String,
        segment: &str,
        depth: usize,
    ) -> Outcome {
        let parent_len = at.len();
        at.push('/');
        at.push_str(&pointer::escape(segment));
        let outcome = self.check(schema, instance, at, depth + 1);
        at.truncate(parent_len);
        outcome
    }

    fn bounds(&self, schema: &Map<String, Value>, instance: &Value, at: &str) -> Outcome {
        let number = |key: &str| schema.get(key).and_then(Value::as_f64);
        let count = |key: &str| schema.get(key).and_then(Value::as_u64);
        let flag = |key: &str| schema.get(key) == Some(&Value::Bool(true));
        if let Some(n) = instance.as_f64() {
            if let Some(min) = number("minimum")
                && (n < min || (flag("exclusiveMinimum") && n == min))
            {
                return fail(at, format!("{instance} is below the minimum {min}"));
            }
            if let Some(max) = number("maximum")
                && (n > max || (flag("exclusiveMaximum") && n == max))
            {
                return fail(at, format!("{instance} is above the maximum {max}"));
            }
        }
        let length = match instance {
            Value::String(text) => Some((text.chars().count() as u64, "minLength", "maxLength")),
            Value::Array(items) => Some((items.len() as u64, "minItems", "maxItems")),
            Value::Object(members) => {
                Some((members.len() as u64, "minProperties", "maxProperties"))
            }
            _ => None,
        };
        if let Some((length, min_key, max_key)) = length
            && (count(min_key).is_some_and(|min| length < min)
                || count(max_key).is_some_and(|max| length > max))
        {
            return fail(
                at,
                format!("has length {length}, outside {min_key}/{max_key}"),
            );
        }
        Ok(())
    }

    fn object(
        &self,
        schema: &'a Map<String, Value>,
        object: &Map<String, Value>,
        at: &mut String,
        depth: usize,
    ) -> Outcome {
        let properties = schema.get("properties").and_then(Value::as_object);
        let property = |name: &str| properties.and_then(|properties| properties.get(name));
        let required = schema.get("required").and_then(Value::as_array);
        for name in required.into_iter().flatten().filter_map(Value::as_str) {
            if object.contains_key(name) {
                continue;
            }
            let one_way = property(name)
                .and_then(|property| self.resolve(property))
                .is_some_and(|p| {
                    ["readOnly", "writeOnly"]
                        .iter()
                        .any(|k| p.get(*k) == Some(&Value::Bool(true)))
                });
            if !one_way {
                return fail(at, format!("required property `{name}` is missing"));
            }
        }
        for (name, value) in object {
            match (property(name), schema.get("additionalProperties")) {
                (Some(property), _) => self.descend(property, value, at, name, depth)?,
                (None, Some(Value::Bool(false))) => {
                    return fail(at, format!("property `{name}` is not allowed"));
                }
                (None, Some(additional @ Value::Object(_))) => {
                    self.descend(additional, value, at, name, depth)?
                }
                (None, _) => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The mismatch as `at: message` (just `message` at the root).
    fn check(schema: Value, instance: Value) -> Option<String> {
        let document = json!({"components": {"schemas": {
            "Node": {"type": "object", "properties": {"next": {"$ref": "#/components/schemas/Node"}, "n": {"type": "integer"}}}
        }}});
        mismatch(&document, &schema, &instance).map(|m| {
            if m.at.is_empty() {
                m.message
            } else {
                format!("{}: {}", m.at, m.message)
            }
        })
    }

    #[test]
    fn checks_types_and_nullable() {
        assert_eq!(check(json!({"type": "integer"}), json!(3)), None);
        assert_eq!(check(json!({"type": "integer"}), json!(3.0)), None);
        assert_eq!(
            check(json!({"type": "integer"}), json!("3")).as_deref(),
            Some("expected integer, found string")
        );
        assert_eq!(
            check(json!({"type": "string"}), json!(null)).as_deref(),
            Some("expected string, found null")
        );
        assert_eq!(
            check(json!({"type": "string", "nullable": true}), json!(null)),
            None
        );
        assert_eq!(check(json!({"type": "number"}), json!(1.5)), None);
    }

    #[test]
    fn checks_enum_bounds_and_lengths() {
        assert!(check(json!({"enum": ["a", "b"]}), json!("c")).is_some());
        assert!(check(json!({"minimum": 1}), json!(0)).is_some());
        assert!(check(json!({"minimum": 1, "exclusiveMinimum": true}), json!(1)).is_some());
        assert!(check(json!({"maximum": 5}), json!(5)).is_none());
        assert!(check(json!({"maxLength": 2}), json!("abc")).is_some());
        assert!(check(json!({"minItems": 1}), json!([])).is_some());
    }

    #[test]
    fn checks_objects_and_arrays() {
        let schema = json!({
            "type": "object",
            "required": ["id", "name"],
            "additionalProperties": false,
            "properties": {
                "id": {"type": "string", "readOnly": true},
                "name": {"type": "string"},
                "tags": {"type": "array", "items": {"type": "string"}}
            }
        });
        assert_eq!(
            check(schema.clone(), json!({"name": "x", "tags": ["a"]})),
            None
        );
        assert_eq!(
            check(schema.clone(), json!({"name": "x", "tags": ["a", 1]})).as_deref(),
            Some("/tags/1: expected string, found integer")
        );
        assert_eq!(
            check(schema.clone(), json!({"tags": []})).as_deref(),
            Some("required property `name` is missing")
        );
        assert_eq!(
            check(schema, json!({"name": "x", "extra": 1})).as_deref(),
            Some("property `extra` is not allowed")
        );
    }

    #[test]
    fn follows_references_and_compositions() {
        let node = json!({"$ref": "#/components/schemas/Node"});
        assert_eq!(
            check(node.clone(), json!({"next": {"next": {"n": 1}}})),
            None
        );
        assert_eq!(
            check(node, json!({"next": {"next": {"n": "x"}}})).as_deref(),
            Some("/next/next/n: expected integer, found string")
        );
        let any = json!({"anyOf": [{"type": "string"}, {"type": "integer"}]});
        assert_eq!(check(any.clone(), json!(1)), None);
        assert!(check(any, json!(true)).is_some());
        assert!(
            check(
                json!({"allOf": [{"type": "object"}, {"required": ["a"]}]}),
                json!({})
            )
            .is_some()
        );
        assert_eq!(check(json!({"$ref": "#/nowhere"}), json!(1)), None);
    }

    #[test]
    fn a_self_referencing_schema_terminates() {
        let document = json!({"components": {"schemas": {"Loop": {"allOf": [{"$ref": "#/components/schemas/Loop"}]}}}});
        let schema = json!({"$ref": "#/components/schemas/Loop"});
        assert!(mismatch(&document, &schema, &json!({})).is_none());
    }
}
