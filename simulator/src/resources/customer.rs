//! Customers, served by the CRM. The email address is the login and unique
//! (case-insensitively); lists run newest created first. The CRM assigns the
//! contact id (`crm_external_id`), starts everyone at loyalty tier `none`
//! with opt-out marketing consent, and gives each address book entry an `id`
//! and explicit default flags. The `addresses` view returns the address book
//! with default addresses first.

use serde_json::{Value, json};

use super::text;
use crate::collection::Record;
use crate::ident;
use crate::query::Order;
use crate::rules::{Rules, View};

/// The rules of the customer collection.
#[derive(Debug)]
pub struct Customer;

/// Consent channels, all opt-out until recorded.
const CONSENT_CHANNELS: [&str; 2] = ["email", "sms"];

impl Rules for Customer {
    fn read_only(&self) -> &'static [&'static str] {
        &["crm_external_id", "loyalty_tier"]
    }

    fn order(&self) -> Order {
        Order::NewestFirst("created_at")
    }

    fn on_create(&self, record: &mut Record, now: &str) {
        record.entry("addresses").or_insert_with(|| json!([]));
        let given = record.remove("marketing_consent");
        let mut consent = Record::new();
        for channel in CONSENT_CHANNELS {
            let choice = given.as_ref().and_then(|given| given.get(channel));
            consent.insert(channel.into(), choice.cloned().unwrap_or(json!(false)));
        }
        consent.insert("updated_at".into(), json!(now));
        record.insert("marketing_consent".into(), Value::Object(consent));
        record.insert("loyalty_tier".into(), json!("none"));
        record.insert(
            "crm_external_id".into(),
            json!(format!("003{}", ident::random_alphanumeric(15))),
        );
    }

    fn derive(&self, record: &mut Record) {
        let Some(Value::Array(addresses)) = record.get_mut("addresses") else {
            return;
        };
        for address in addresses.iter_mut() {
            let Value::Object(fields) = address else {
                continue;
            };
            if !fields.contains_key("id") {
                let mut with_id = Record::new();
                with_id.insert("id".into(), json!(ident::new_uuid()));
                with_id.append(fields);
                *fields = with_id;
            }
            for flag in ["is_default_shipping", "is_default_billing"] {
                fields.entry(flag).or_insert(json!(false));
            }
        }
    }

    fn on_update(
        &self,
        before: &Record,
        after: &mut Record,
        now: &str,
    ) -> Result<(), crate::error::Error> {
        let choices = |record: &Record| {
            CONSENT_CHANNELS.map(|channel| {
                record
                    .get("marketing_consent")
                    .and_then(|consent| consent.get(channel))
                    .cloned()
            })
        };
        if choices(before) != choices(after)
            && let Some(Value::Object(consent)) = after.get_mut("marketing_consent")
        {
            consent.insert("updated_at".into(), json!(now));
        }
        Ok(())
    }

    fn conflict(&self, record: &Record, other: &Record) -> Option<String> {
        let email = text(record, "email");
        (!email.is_empty() && email.eq_ignore_ascii_case(text(other, "email")))
            .then(|| format!("a customer with email `{email}` already exists"))
    }

    fn views(&self) -> &'static [View] {
        &[View {
            name: "addresses",
            render: address_book,
        }]
    }
}

/// `{"items": [...]}` with default shipping or billing addresses first.
fn address_book(record: &Record) -> Value {
    let mut addresses = match record.get("addresses") {
        Some(Value::Array(addresses)) => addresses.clone(),
        _ => Vec::new(),
    };
    let is_default = |address: &Value| {
        ["is_default_shipping", "is_default_billing"]
            .iter()
            .any(|flag| address.get(*flag) == Some(&json!(true)))
    };
    addresses.sort_by_key(|address| !is_default(address));
    json!({ "items": addresses })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(value: Value) -> Record {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn create_fills_crm_fields() {
        let mut customer = record(json!({
            "email": "a@example.com",
            "marketing_consent": {"sms": true},
            "addresses": [{"line1": "1 High St", "city": "Leeds", "postal_code": "LS1 1AA", "country_code": "GB"}]
        }));
        Customer.on_create(&mut customer, "2025-01-01T00:00:00Z");
        Customer.derive(&mut customer);
        assert_eq!(
            customer["marketing_consent"],
            json!({"email": false, "sms": true, "updated_at": "2025-01-01T00:00:00Z"})
        );
        assert_eq!(customer["loyalty_tier"], json!("none"));
        assert_eq!(text(&customer, "crm_external_id").len(), 18);
        let address = &customer["addresses"][0];
        assert_eq!(
            address
                .as_object()
                .and_then(|a| a.keys().next())
                .map(String::as_str),
            Some("id")
        );
        assert_eq!(address["is_default_billing"], json!(false));
    }

    #[test]
    fn consent_changes_are_stamped_and_emails_unique() {
        let before = record(
            json!({"marketing_consent": {"email": false, "sms": false, "updated_at": "t0"}}),
        );
        let mut after =
            record(json!({"marketing_consent": {"email": true, "sms": false, "updated_at": "t0"}}));
        Customer.on_update(&before, &mut after, "t1").unwrap();
        assert_eq!(after["marketing_consent"]["updated_at"], json!("t1"));
        let a = record(json!({"email": "Ada@Example.com"}));
        let b = record(json!({"email": "ada@example.com"}));
        assert!(Customer.conflict(&a, &b).is_some());
    }

    #[test]
    fn address_book_lists_defaults_first() {
        let customer = record(json!({"addresses": [
            {"id": "1", "is_default_shipping": false, "is_default_billing": false},
            {"id": "2", "is_default_shipping": false, "is_default_billing": true}
        ]}));
        assert_eq!(address_book(&customer)["items"][0]["id"], json!("2"));
    }
}
