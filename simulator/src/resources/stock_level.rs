//! Stock levels, served by the ERP: the quantity of one SKU at one location,
//! at most one per SKU and location. `available` is computed as
//! `max(0, on_hand - allocated - reserved - safety_stock)`. The `adjustments`
//! action applies a relative movement of `on_hand` (it needs an
//! `Idempotency-Key` and refuses to make `on_hand` negative).

use serde_json::{Value, json};

use super::text;
use crate::collection::Record;
use crate::error::Error;
use crate::rules::{Action, Rules};

/// The rules of the stock level collection.
#[derive(Debug)]
pub struct StockLevel;

/// Quantities that default to zero on create.
const OPTIONAL_QUANTITIES: [&str; 3] = ["allocated", "reserved", "safety_stock"];

impl Rules for StockLevel {
    fn read_only(&self) -> &'static [&'static str] {
        &["available"]
    }

    fn immutable(&self) -> &'static [&'static str] {
        &["sku", "location_id", "location_type"]
    }

    fn on_create(&self, record: &mut Record, _now: &str) {
        for quantity in OPTIONAL_QUANTITIES {
            record.entry(quantity).or_insert(json!(0));
        }
    }

    fn derive(&self, record: &mut Record) {
        let quantity = |field: &str| record.get(field).and_then(Value::as_i64).unwrap_or(0);
        let committed: i64 = OPTIONAL_QUANTITIES
            .iter()
            .map(|field| quantity(field))
            .sum();
        let available = quantity("on_hand").saturating_sub(committed).max(0);
        record.insert("available".into(), json!(available));
    }

    fn conflict(&self, record: &Record, other: &Record) -> Option<String> {
        let same = ["sku", "location_id"]
            .iter()
            .all(|field| text(record, field) == text(other, field));
        same.then(|| {
            format!(
                "SKU `{}` already has stock level {} at location `{}`",
                text(record, "sku"),
                text(other, "id"),
                text(record, "location_id")
            )
        })
    }

    fn actions(&self) -> &'static [Action] {
        &[Action {
            name: "adjustments",
            apply: adjust,
            requires_idempotency_key: true,
        }]
    }
}

/// Moves `on_hand` by the body's non-zero `delta`.
fn adjust(record: &mut Record, body: &Value, _now: &str) -> Result<(), Error> {
    let delta = body
        .get("delta")
        .and_then(Value::as_i64)
        .filter(|delta| *delta != 0)
        .ok_or_else(|| Error::InvalidBody("`delta` must be a non-zero integer".into()))?;
    if body.get("reason").and_then(Value::as_str).is_none() {
        return Err(Error::InvalidBody("`reason` is required".into()));
    }
    let on_hand = record.get("on_hand").and_then(Value::as_i64).unwrap_or(0);
    let moved = on_hand.saturating_add(delta);
    if moved < 0 {
        return Err(Error::Conflict(format!(
            "a movement of {delta} would make on_hand ({on_hand}) negative"
        )));
    }
    record.insert("on_hand".into(), json!(moved));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stock() -> Record {
        json!({"sku": "SKU-1", "location_id": "DC-1", "on_hand": 10, "allocated": 3, "reserved": 2, "safety_stock": 1})
            .as_object()
            .cloned()
            .unwrap_or_default()
    }

    #[test]
    fn available_is_derived() {
        let mut level = stock();
        StockLevel.derive(&mut level);
        assert_eq!(level["available"], json!(4));
        level.insert("on_hand".into(), json!(1));
        StockLevel.derive(&mut level);
        assert_eq!(level["available"], json!(0));
    }

    #[test]
    fn adjustments_move_on_hand_but_not_below_zero() {
        let mut level = stock();
        adjust(&mut level, &json!({"delta": -4, "reason": "damage"}), "now").unwrap();
        assert_eq!(level["on_hand"], json!(6));
        let too_many = adjust(&mut level, &json!({"delta": -7, "reason": "sale"}), "now");
        assert_eq!(too_many.unwrap_err().kind(), "conflict");
        let zero = adjust(&mut level, &json!({"delta": 0, "reason": "sale"}), "now");
        assert_eq!(zero.unwrap_err().kind(), "invalid-body");
        assert!(StockLevel.conflict(&stock(), &stock()).is_some());
    }
}
