//! JSON Merge Patch (RFC 7396): objects merge key by key, `null` deletes a
//! member, and any other patch value replaces the target outright.

use serde_json::{Map, Value};

/// Applies `patch` to `target` in place, following RFC 7396 section 2.
pub fn apply(target: &mut Value, patch: &Value) {
    let Value::Object(patch_members) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(members) = target {
        for (name, value) in patch_members {
            if value.is_null() {
                members.remove(name);
            } else {
                apply(members.entry(name.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn patched(target: Value, patch: Value) -> Value {
        let mut target = target;
        apply(&mut target, &patch);
        target
    }

    #[test]
    fn follows_the_rfc_examples() {
        assert_eq!(
            patched(json!({"a": "b"}), json!({"a": "c"})),
            json!({"a": "c"})
        );
        assert_eq!(
            patched(json!({"a": "b"}), json!({"b": "c"})),
            json!({"a": "b", "b": "c"})
        );
        assert_eq!(patched(json!({"a": "b"}), json!({"a": null})), json!({}));
        assert_eq!(
            patched(
                json!({"a": {"b": "c"}}),
                json!({"a": {"b": "d", "c": null}})
            ),
            json!({"a": {"b": "d"}})
        );
        assert_eq!(
            patched(json!({"a": ["b"]}), json!({"a": "c"})),
            json!({"a": "c"})
        );
        assert_eq!(patched(json!({"a": "foo"}), json!(null)), json!(null));
        assert_eq!(
            patched(json!({"e": null}), json!({"a": 1})),
            json!({"e": null, "a": 1})
        );
        assert_eq!(
            patched(json!([1, 2]), json!({"a": {"bb": {"ccc": null}}})),
            json!({"a": {"bb": {}}})
        );
    }
}
