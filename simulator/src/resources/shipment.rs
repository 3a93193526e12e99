//! Shipments, served by the ERP, listed newest created first. A tracking
//! number belongs to one shipment. Status only moves forward, `pending` ->
//! `label_created` -> `shipped` -> `in_transit` -> `out_for_delivery` ->
//! `delivered`, with `delivery_failed`, `returned_to_sender` and `cancelled`
//! as exits; reaching `shipped` or `delivered` stamps `shipped_at` or
//! `delivered_at` unless the client sent them.

use serde_json::json;

use super::text;
use crate::collection::Record;
use crate::error::Error;
use crate::query::Order;
use crate::rules::{Lifecycle, Rules};

/// The rules of the shipment collection.
#[derive(Debug)]
pub struct Shipment;

static LIFECYCLE: Lifecycle = Lifecycle {
    field: "status",
    next: &[
        (
            "pending",
            &[
                "label_created",
                "shipped",
                "in_transit",
                "out_for_delivery",
                "delivered",
                "cancelled",
            ],
        ),
        (
            "label_created",
            &[
                "shipped",
                "in_transit",
                "out_for_delivery",
                "delivered",
                "cancelled",
            ],
        ),
        (
            "shipped",
            &[
                "in_transit",
                "out_for_delivery",
                "delivered",
                "delivery_failed",
                "returned_to_sender",
            ],
        ),
        (
            "in_transit",
            &[
                "out_for_delivery",
                "delivered",
                "delivery_failed",
                "returned_to_sender",
            ],
        ),
        (
            "out_for_delivery",
            &["delivered", "delivery_failed", "returned_to_sender"],
        ),
        ("delivery_failed", &["returned_to_sender"]),
    ],
};

/// Statuses that stamp a timestamp field when first reached.
const STAMPS: [(&str, &str); 2] = [("shipped", "shipped_at"), ("delivered", "delivered_at")];

impl Rules for Shipment {
    fn immutable(&self) -> &'static [&'static str] {
        &["order_id", "ship_from_location_id"]
    }

    fn order(&self) -> Order {
        Order::NewestFirst("created_at")
    }

    fn on_create(&self, record: &mut Record, _now: &str) {
        record.entry("status").or_insert_with(|| json!("pending"));
    }

    fn on_update(&self, before: &Record, after: &mut Record, now: &str) -> Result<(), Error> {
        LIFECYCLE.check(before, after)?;
        for (status, stamp) in STAMPS {
            if text(after, "status") == status && text(before, "status") != status {
                after.entry(stamp).or_insert_with(|| json!(now));
            }
        }
        Ok(())
    }

    fn conflict(&self, record: &Record, other: &Record) -> Option<String> {
        let tracking = text(record, "tracking_number");
        (!tracking.is_empty() && tracking == text(other, "tracking_number")).then(|| {
            format!(
                "tracking number `{tracking}` already belongs to shipment {}",
                text(other, "id")
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(state: &str) -> Record {
        json!({ "status": state, "tracking_number": "JD0001" })
            .as_object()
            .cloned()
            .unwrap_or_default()
    }

    #[test]
    fn moves_forward_and_stamps() {
        let mut delivered = status("delivered");
        Shipment
            .on_update(&status("in_transit"), &mut delivered, "t1")
            .unwrap();
        assert_eq!(delivered["delivered_at"], json!("t1"));
        let back = Shipment.on_update(&status("delivered"), &mut status("shipped"), "t2");
        assert_eq!(back.unwrap_err().kind(), "transition-not-allowed");
        assert!(
            Shipment
                .conflict(&status("pending"), &status("shipped"))
                .is_some()
        );
    }
}
