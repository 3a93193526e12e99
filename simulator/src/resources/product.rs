//! Products, served by the ERP. A product and each of its variants carry a
//! SKU unique across the catalogue; the `sku` and `gtin` filters also match
//! variants. Products start in `draft` and move `draft` -> `active` ->
//! `discontinued` -> `archived`; `category_path` is derived from the
//! category id (`apparel-tops` -> `["Apparel", "Tops"]`).

use serde_json::{Value, json};

use super::text;
use crate::collection::Record;
use crate::error::Error;
use crate::rules::{Lifecycle, Rules};

/// The rules of the product collection.
#[derive(Debug)]
pub struct Product;

static LIFECYCLE: Lifecycle = Lifecycle {
    field: "status",
    next: &[
        ("draft", &["active"]),
        ("active", &["discontinued"]),
        ("discontinued", &["archived"]),
    ],
};

impl Rules for Product {
    fn read_only(&self) -> &'static [&'static str] {
        &["category_path"]
    }

    fn immutable(&self) -> &'static [&'static str] {
        &["sku"]
    }

    fn matches(&self, record: &Record, param: &str, value: &str) -> Option<bool> {
        matches!(param, "sku" | "gtin")
            .then(|| identifiers(record, param).any(|identifier| identifier == value))
    }

    fn on_create(&self, record: &mut Record, _now: &str) {
        record.entry("status").or_insert_with(|| json!("draft"));
        record.entry("attributes").or_insert_with(|| json!({}));
        record.entry("variants").or_insert_with(|| json!([]));
    }

    fn derive(&self, record: &mut Record) {
        let path: Vec<String> = text(record, "category_id")
            .split('-')
            .filter(|word| !word.is_empty())
            .map(capitalized)
            .collect();
        record.insert("category_path".into(), json!(path));
    }

    fn on_update(&self, before: &Record, after: &mut Record, _now: &str) -> Result<(), Error> {
        LIFECYCLE.check(before, after)
    }

    fn conflict(&self, record: &Record, other: &Record) -> Option<String> {
        identifiers(record, "sku")
            .find(|sku| identifiers(other, "sku").any(|taken| taken == *sku))
            .map(|sku| {
                format!(
                    "SKU `{sku}` is already used by product {}",
                    text(other, "id")
                )
            })
    }
}

/// The product's own `field` (`sku` or `gtin`) followed by its variants'.
fn identifiers<'a>(record: &'a Record, field: &'a str) -> impl Iterator<Item = &'a str> {
    let variants = match record.get("variants") {
        Some(Value::Array(variants)) => variants.as_slice(),
        _ => &[],
    };
    record
        .get(field)
        .into_iter()
        .chain(
            variants
                .iter()
                .filter_map(move |variant| variant.get(field)),
        )
        .filter_map(Value::as_str)
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(sku: &str, variant: &str) -> Record {
        json!({
            "id": sku, "sku": sku, "category_id": "home-kitchen",
            "variants": [{"sku": variant, "gtin": "5012345678917", "options": {"size": "M"}}]
        })
        .as_object()
        .cloned()
        .unwrap_or_default()
    }

    #[test]
    fn filters_match_variants_and_skus_stay_unique() {
        let a = product("SKU-1", "SKU-1-M");
        assert_eq!(Product.matches(&a, "sku", "SKU-1-M"), Some(true));
        assert_eq!(Product.matches(&a, "gtin", "5012345678917"), Some(true));
        assert_eq!(Product.matches(&a, "sku", "SKU-2"), Some(false));
        assert_eq!(Product.matches(&a, "brand", "x"), None);
        assert!(Product.conflict(&product("SKU-2", "SKU-1-M"), &a).is_some());
        assert!(Product.conflict(&product("SKU-2", "SKU-2-M"), &a).is_none());
    }

    #[test]
    fn derives_category_path() {
        let mut a = product("SKU-1", "SKU-1-M");
        Product.derive(&mut a);
        assert_eq!(a["category_path"], json!(["Home", "Kitchen"]));
    }
}
