//! Returns (RMAs), served by the shop, listed newest created first. Opening a
//! return assigns its RMA number (`RMA-` and eight digits), starts it as
//! `requested` (unless the channel sends `authorized`), the refund as
//! `pending` and receiving as `awaiting`. Status moves `requested` ->
//! `authorized` | `rejected` | `cancelled`, and `authorized` -> `completed`
//! | `cancelled`; lines are fixed once goods are received.

use serde_json::{Value, json};

use super::{nested_text, text};
use crate::collection::Record;
use crate::error::Error;
use crate::ident;
use crate::query::Order;
use crate::rules::{Lifecycle, Rules};

/// The rules of the return collection.
#[derive(Debug)]
pub struct Return;

static LIFECYCLE: Lifecycle = Lifecycle {
    field: "status",
    next: &[
        ("requested", &["authorized", "rejected", "cancelled"]),
        ("authorized", &["completed", "cancelled"]),
    ],
};

impl Rules for Return {
    fn read_only(&self) -> &'static [&'static str] {
        &["rma_number"]
    }

    fn immutable(&self) -> &'static [&'static str] {
        &["order_id", "customer_id"]
    }

    fn create_requires_idempotency_key(&self) -> bool {
        true
    }

    fn order(&self) -> Order {
        Order::NewestFirst("created_at")
    }

    fn on_create(&self, record: &mut Record, _now: &str) {
        record.insert(
            "rma_number".into(),
            json!(format!("RMA-{}", ident::random_digits(8))),
        );
        record.entry("status").or_insert_with(|| json!("requested"));
        if let Some(Value::Object(refund)) = record.get_mut("refund") {
            refund.insert("status".into(), json!("pending"));
        }
        record.insert("receiving".into(), json!({ "status": "awaiting" }));
    }

    fn on_update(&self, before: &Record, after: &mut Record, _now: &str) -> Result<(), Error> {
        LIFECYCLE.check(before, after)?;
        let receiving = nested_text(before, "receiving", "status");
        if receiving != "awaiting" && before.get("lines") != after.get("lines") {
            return Err(Error::Conflict(format!(
                "lines cannot change once receiving is `{receiving}`"
            )));
        }
        Ok(())
    }

    fn conflict(&self, record: &Record, other: &Record) -> Option<String> {
        let rma = text(record, "rma_number");
        (rma == text(other, "rma_number")).then(|| format!("RMA number `{rma}` is already taken"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opened() -> Record {
        let mut rma = json!({
            "order_id": "o", "return_method": "carrier_drop_off",
            "lines": [{"order_line_number": 1, "sku": "SKU-1-M", "quantity": 1, "reason_code": "size_fit"}],
            "refund": {"amount": 1999, "currency": "GBP", "method": "original_payment"}
        })
        .as_object()
        .cloned()
        .unwrap_or_default();
        Return.on_create(&mut rma, "t0");
        rma
    }

    #[test]
    fn opening_sets_states_and_number() {
        let rma = opened();
        assert_eq!(text(&rma, "rma_number").len(), 12);
        assert_eq!(rma["status"], json!("requested"));
        assert_eq!(rma["refund"]["status"], json!("pending"));
        assert_eq!(rma["receiving"], json!({"status": "awaiting"}));
    }

    #[test]
    fn lines_freeze_on_receipt_and_status_moves_forward() {
        let mut received = opened();
        received["receiving"]["status"] = json!("received");
        let mut relined = received.clone();
        relined["lines"][0]["quantity"] = json!(2);
        assert_eq!(
            Return
                .on_update(&received, &mut relined, "t1")
                .unwrap_err()
                .kind(),
            "conflict"
        );
        let mut completed = opened();
        completed["status"] = json!("completed");
        assert!(Return.on_update(&opened(), &mut completed, "t1").is_err());
    }
}
