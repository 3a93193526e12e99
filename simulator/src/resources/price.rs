//! Prices, served by the ERP: listed by SKU, then start of validity. For one
//! SKU, price list, currency and minimum quantity the validity periods
//! `[valid_from, valid_to)` never overlap. `activeAt` keeps the prices in
//! force at an instant.

use serde_json::json;

use super::text;
use crate::collection::Record;
use crate::query::Order;
use crate::rules::Rules;

/// The rules of the price collection.
#[derive(Debug)]
pub struct Price;

/// Fields that together name one price series.
const SERIES: [&str; 4] = ["sku", "price_list_id", "currency", "min_quantity"];

impl Rules for Price {
    fn immutable(&self) -> &'static [&'static str] {
        &SERIES
    }

    fn order(&self) -> Order {
        Order::Ascending(&["sku", "valid_from"])
    }

    fn matches(&self, record: &Record, param: &str, value: &str) -> Option<bool> {
        (param == "activeAt").then(|| {
            let valid_to = text(record, "valid_to");
            text(record, "valid_from") <= value && (valid_to.is_empty() || value < valid_to)
        })
    }

    fn on_create(&self, record: &mut Record, _now: &str) {
        record.entry("min_quantity").or_insert(json!(1));
    }

    fn conflict(&self, record: &Record, other: &Record) -> Option<String> {
        let same_series = SERIES
            .iter()
            .all(|field| record.get(*field) == other.get(*field));
        let ends = |record: &Record| match text(record, "valid_to") {
            "" => "\u{7f}".to_owned(),
            to => to.to_owned(),
        };
        let overlaps = text(record, "valid_from") < ends(other).as_str()
            && text(other, "valid_from") < ends(record).as_str();
        (same_series && overlaps).then(|| {
            format!(
                "the validity overlaps price {} of the same SKU, price list, currency and minimum quantity",
                text(other, "id")
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn price(from: &str, to: Option<&str>) -> Record {
        let mut record: Record = json!({
            "id": from, "sku": "SKU-1", "price_list_id": "retail-gb", "currency": "GBP",
            "min_quantity": 1, "valid_from": from
        })
        .as_object()
        .cloned()
        .unwrap_or_default();
        if let Some(to) = to {
            record.insert("valid_to".into(), Value::from(to));
        }
        record
    }

    #[test]
    fn active_at_and_overlaps() {
        let january = price("2025-01-01T00:00:00Z", Some("2025-02-01T00:00:00Z"));
        assert_eq!(
            Price.matches(&january, "activeAt", "2025-01-15T00:00:00Z"),
            Some(true)
        );
        assert_eq!(
            Price.matches(&january, "activeAt", "2025-02-01T00:00:00Z"),
            Some(false)
        );
        let open = price("2025-02-01T00:00:00Z", None);
        assert_eq!(
            Price.matches(&open, "activeAt", "2030-01-01T00:00:00Z"),
            Some(true)
        );
        assert!(Price.conflict(&open, &january).is_none());
        assert!(
            Price
                .conflict(&price("2025-01-20T00:00:00Z", None), &january)
                .is_some()
        );
        assert!(
            Price
                .conflict(&price("2026-01-01T00:00:00Z", None), &open)
                .is_some()
        );
    }
}
