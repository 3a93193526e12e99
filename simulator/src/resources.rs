//! The rules of each canonical resource, one module per resource, plus the
//! small record accessors they share.

pub mod customer;
pub mod order;
pub mod price;
pub mod product;
pub mod returns;
pub mod shipment;
pub mod stock_level;

use serde_json::Value;

use crate::collection::Record;

/// Top-level text field `field` of `record`, or `""`.
fn text<'a>(record: &'a Record, field: &str) -> &'a str {
    record
        .get(field)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// Text member `field` of the object at `record[object]`, or `""`.
fn nested_text<'a>(record: &'a Record, object: &str, field: &str) -> &'a str {
    record
        .get(object)
        .and_then(|value| value.get(field))
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// Integer member `field` of `value`, or 0.
fn integer(value: &Value, field: &str) -> i64 {
    value.get(field).and_then(Value::as_i64).unwrap_or_default()
}
