//! A `serde_json::Value` read in one pass from YAML or JSON, refusing
//! duplicate keys (which YAML forbids and `serde_json::Value` would silently
//! overwrite). Keys are read as strings, so YAML keys such as `200` become
//! `"200"`; non-finite floats become `null`, as in `serde_json`.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// A document value with unique keys.
pub(crate) struct Strict(pub Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML or JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        Ok(Number::from_f64(value).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        Strict::deserialize(deserializer).map(|strict| strict.0)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(Strict(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut entries: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = entries.next_key::<String>()? {
            if map.contains_key(&key) {
                return Err(de::Error::custom(format!(
                    "duplicate entry with key `{key}`"
                )));
            }
            let Strict(value) = entries.next_value()?;
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Value, serde_norway::Error> {
        serde_norway::from_str::<Strict>(text).map(|strict| strict.0)
    }

    #[test]
    fn reads_what_serde_json_reads() {
        let text = "a: 1\nb: [true, null, ~, 1.5, -3, .nan, text]\n200: {x: 'y'}\n'3': q\nnested: {deep: [{k: v}]}\n";
        let expected: Value = serde_norway::from_str(text).expect("yaml");
        assert_eq!(read(text).expect("strict"), expected);
        assert_eq!(
            read("{\"a\": [1, 2]}").expect("json"),
            serde_json::json!({"a": [1, 2]})
        );
    }

    #[test]
    fn json_reads_like_yaml() {
        let text = "{\"a\": {\"200\": [1, -2, 1.5, true, null, \"x\"]}}";
        let json = serde_json::from_str::<Strict>(text).expect("json").0;
        assert_eq!(json, read(text).expect("yaml"));
        assert!(serde_json::from_str::<Strict>("{\"a\": 1, \"a\": 2}").is_err());
    }

    #[test]
    fn refuses_duplicate_keys_with_the_line_of_their_mapping() {
        let error = read("a: 1\nb:\n  c: 1\n  c: 2\n").expect_err("duplicate");
        assert!(
            error.to_string().contains("duplicate entry with key `c`"),
            "{error}"
        );
        assert_eq!(error.location().map(|l| l.line()), Some(3), "{error}");
    }
}
