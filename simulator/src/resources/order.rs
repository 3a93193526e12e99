//! Orders, served by the shop, listed most recently placed first. On capture
//! the shop numbers the lines, assigns an order number (`WEB-00012345`,
//! prefixed by channel), starts `status` and `payment_status` at `pending` and
//! fulfilment at `unfulfilled`; line totals and order totals are derived.
//! `status` moves between `pending`, `confirmed` and `on_hold` by PATCH; a
//! cancelled order never changes, and the shipping address is fixed once
//! goods have shipped. The `cancellation` action cancels an order that has
//! not shipped (idempotently), voids or refunds the payment and cancels
//! fulfilment.

use serde_json::{Value, json};

use super::{integer, nested_text, text};
use crate::collection::Record;
use crate::error::Error;
use crate::ident;
use crate::query;
use crate::rules::{Action, Lifecycle, Rules};

/// The rules of the order collection.
#[derive(Debug)]
pub struct Order;

static LIFECYCLE: Lifecycle = Lifecycle {
    field: "status",
    next: &[
        ("pending", &["confirmed", "on_hold"]),
        ("confirmed", &["on_hold"]),
        ("on_hold", &["confirmed"]),
    ],
};

/// Fulfilment states in which goods have left a location.
const SHIPPED: [&str; 3] = ["partially_shipped", "shipped", "delivered"];

impl Rules for Order {
    fn read_only(&self) -> &'static [&'static str] {
        &["order_number", "totals", "cancellation"]
    }

    fn immutable(&self) -> &'static [&'static str] {
        &[
            "lines",
            "channel",
            "channel_order_reference",
            "customer_id",
            "email",
            "currency",
            "prices_include_tax",
            "shipping_method",
            "placed_at",
        ]
    }

    fn create_requires_idempotency_key(&self) -> bool {
        true
    }

    fn order(&self) -> query::Order {
        query::Order::NewestFirst("placed_at")
    }

    fn on_create(&self, record: &mut Record, now: &str) {
        let shipping = record
            .remove("shipping_amount")
            .and_then(|amount| amount.as_i64())
            .unwrap_or(0);
        if let Some(Value::Array(lines)) = record.get_mut("lines") {
            for (index, line) in lines.iter_mut().enumerate() {
                let Value::Object(fields) = line else {
                    continue;
                };
                let mut numbered = Record::new();
                numbered.insert("line_number".into(), json!(index + 1));
                numbered.append(fields);
                for amount in ["discount_amount", "tax_amount"] {
                    numbered.entry(amount).or_insert(json!(0));
                }
                *fields = numbered;
            }
        }
        let prefix = match text(record, "channel") {
            "app" => "APP",
            "store" => "STR",
            "marketplace" => "MKT",
            "call_center" => "CC",
            _ => "WEB",
        };
        let number = format!("{prefix}-{}", ident::random_digits(8));
        record.insert("order_number".into(), json!(number));
        record.insert("status".into(), json!("pending"));
        record.insert("payment_status".into(), json!("pending"));
        record.insert("totals".into(), json!({ "shipping_total": shipping }));
        record.insert(
            "fulfilment".into(),
            json!({ "status": "unfulfilled", "shipment_ids": [], "updated_at": now }),
        );
        record.entry("placed_at").or_insert_with(|| json!(now));
    }

    fn derive(&self, record: &mut Record) {
        let tax_on_top = record.get("prices_include_tax") == Some(&json!(false));
        let (mut subtotal, mut discounts, mut taxes) = (0_i64, 0_i64, 0_i64);
        if let Some(Value::Array(lines)) = record.get_mut("lines") {
            for line in lines.iter_mut() {
                let gross = integer(line, "quantity").saturating_mul(integer(line, "unit_price"));
                let (discount, tax) = (
                    integer(line, "discount_amount"),
                    integer(line, "tax_amount"),
                );
                let total = gross - discount + if tax_on_top { tax } else { 0 };
                if let Value::Object(fields) = line {
                    fields.insert("line_total".into(), json!(total.max(0)));
                }
                subtotal = subtotal.saturating_add(gross);
                discounts = discounts.saturating_add(discount);
                taxes = taxes.saturating_add(tax);
            }
        }
        let shipping = record
            .get("totals")
            .map(|totals| integer(totals, "shipping_total"))
            .unwrap_or(0);
        let grand = subtotal - discounts + shipping + if tax_on_top { taxes } else { 0 };
        record.insert(
            "totals".into(),
            json!({
                "subtotal": subtotal,
                "discount_total": discounts,
                "shipping_total": shipping,
                "tax_total": taxes,
                "grand_total": grand.max(0),
            }),
        );
    }

    fn on_update(&self, before: &Record, after: &mut Record, now: &str) -> Result<(), Error> {
        if text(before, "status") == "cancelled" {
            return Err(Error::Conflict("a cancelled order cannot change".into()));
        }
        LIFECYCLE.check(before, after)?;
        let fulfilment = nested_text(before, "fulfilment", "status");
        if before.get("shipping_address") != after.get("shipping_address")
            && SHIPPED.contains(&fulfilment)
        {
            return Err(Error::Conflict(format!(
                "the shipping address cannot change once fulfilment is `{fulfilment}`"
            )));
        }
        if before.get("fulfilment") != after.get("fulfilment")
            && let Some(Value::Object(fulfilment)) = after.get_mut("fulfilment")
        {
            fulfilment.insert("updated_at".into(), json!(now));
        }
        Ok(())
    }

    fn conflict(&self, record: &Record, other: &Record) -> Option<String> {
        if text(record, "order_number") == text(other, "order_number") {
            return Some(format!(
                "order number `{}` is already taken",
                text(record, "order_number")
            ));
        }
        let reference = text(record, "channel_order_reference");
        let same_reference = !reference.is_empty()
            && reference == text(other, "channel_order_reference")
            && text(record, "channel") == text(other, "channel");
        same_reference.then(|| {
            format!(
                "channel order `{reference}` was already captured as order {}",
                text(other, "id")
            )
        })
    }

    fn actions(&self) -> &'static [Action] {
        &[Action {
            name: "cancellation",
            apply: cancel,
            requires_idempotency_key: false,
        }]
    }
}

/// Cancels an order that has not shipped; a cancelled order stays as it is.
fn cancel(record: &mut Record, body: &Value, now: &str) -> Result<(), Error> {
    let reason = body
        .get("reason")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::InvalidBody("`reason` is required".into()))?;
    match text(record, "status") {
        "cancelled" => return Ok(()),
        "completed" => {
            return Err(not_allowed("status", "completed"));
        }
        _ => {}
    }
    let fulfilment = nested_text(record, "fulfilment", "status");
    if SHIPPED.contains(&fulfilment) {
        return Err(not_allowed("fulfilment.status", fulfilment));
    }
    let mut cancellation = json!({ "reason": reason, "cancelled_at": now });
    if let (Some(note), Value::Object(fields)) = (body.get("note"), &mut cancellation) {
        fields.insert("note".into(), note.clone());
    }
    let payment = match text(record, "payment_status") {
        "pending" | "authorized" => "voided",
        "paid" => "refunded",
        other => other,
    }
    .to_owned();
    record.insert("status".into(), json!("cancelled"));
    record.insert("payment_status".into(), json!(payment));
    record.insert("cancellation".into(), cancellation);
    if let Some(Value::Object(fulfilment)) = record.get_mut("fulfilment") {
        fulfilment.insert("status".into(), json!("cancelled"));
        fulfilment.insert("updated_at".into(), json!(now));
    }
    Ok(())
}

fn not_allowed(field: &str, state: &str) -> Error {
    Error::TransitionNotAllowed {
        action: "cancellation".into(),
        field: field.into(),
        state: state.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn captured() -> Record {
        let mut order = json!({
            "channel": "web", "email": "a@example.com", "currency": "GBP",
            "prices_include_tax": false, "shipping_amount": 499,
            "lines": [
                {"sku": "SKU-1-M", "quantity": 2, "unit_price": 1000, "discount_amount": 200, "tax_amount": 360},
                {"sku": "SKU-2-42", "quantity": 1, "unit_price": 5000}
            ]
        })
        .as_object()
        .cloned()
        .unwrap_or_default();
        Order.on_create(&mut order, "2025-01-01T00:00:00Z");
        Order.derive(&mut order);
        order
    }

    #[test]
    fn capture_numbers_lines_and_computes_totals() {
        let order = captured();
        assert!(text(&order, "order_number").starts_with("WEB-"));
        assert_eq!(order["lines"][1]["line_number"], json!(2));
        assert_eq!(order["lines"][0]["line_total"], json!(2160));
        assert_eq!(order["lines"][1]["line_total"], json!(5000));
        assert_eq!(
            order["totals"],
            json!({"subtotal": 7000, "discount_total": 200, "shipping_total": 499, "tax_total": 360, "grand_total": 7659})
        );
        assert_eq!(order["fulfilment"]["status"], json!("unfulfilled"));
        assert!(order.get("shipping_amount").is_none());
    }

    #[test]
    fn cancellation_is_idempotent_and_refused_after_shipping() {
        let mut order = captured();
        let reason = json!({"reason": "customer_request"});
        cancel(&mut order, &reason, "t1").unwrap();
        assert_eq!(order["status"], json!("cancelled"));
        assert_eq!(order["payment_status"], json!("voided"));
        assert_eq!(order["fulfilment"]["status"], json!("cancelled"));
        let once = order.clone();
        cancel(&mut order, &reason, "t2").unwrap();
        assert_eq!(order, once);
        let mut shipped = captured();
        shipped["fulfilment"]["status"] = json!("shipped");
        let refused = cancel(&mut shipped, &reason, "t1").unwrap_err();
        assert_eq!(refused.kind(), "transition-not-allowed");
    }

    #[test]
    fn updates_respect_state() {
        let before = captured();
        let mut confirmed = before.clone();
        confirmed["status"] = json!("confirmed");
        confirmed["fulfilment"]["status"] = json!("allocated");
        Order.on_update(&before, &mut confirmed, "t9").unwrap();
        assert_eq!(confirmed["fulfilment"]["updated_at"], json!("t9"));
        let mut cancelled = before.clone();
        cancel(&mut cancelled, &json!({"reason": "other"}), "t1").unwrap();
        let mut change = cancelled.clone();
        change["payment_status"] = json!("paid");
        assert!(Order.on_update(&cancelled, &mut change, "t2").is_err());
    }
}
