//! List queries: `limit` (default 50, at most 200), the opaque `cursor` (the
//! list position of the last record of the previous page), filters, and the
//! order records are listed in.
//!
//! Without a rule of its own, a filter parameter applies as follows: when its
//! snake_case form (`locationId` -> `location_id`) names a top-level field of
//! the collection the record's field must equal the value; `fooSince` keeps
//! records whose `foo_at` is at or after the value; any other parameter is
//! ignored.

use std::cmp::Ordering;
use std::collections::HashSet;

use serde_json::Value;

use crate::collection::Record;
use crate::error::Error;
use crate::ident;

/// Page size when the client sends no `limit`.
pub const DEFAULT_LIMIT: usize = 50;
/// Largest accepted `limit`.
pub const MAX_LIMIT: usize = 200;

/// Separates the fields of a composite sort key; sorts below printable text.
const KEY_SEPARATOR: char = '\u{1f}';

/// A parsed list request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// Maximum number of records in the page.
    pub limit: usize,
    /// Position of the last record of the previous page.
    pub after: Option<Position>,
    /// `(parameter, value)` pairs other than `limit` and `cursor`, as sent.
    pub filters: Vec<(String, String)>,
}

impl ListQuery {
    /// Parses the query parameters of a list request.
    pub fn parse(params: &[(String, String)]) -> Result<Self, Error> {
        let mut query = Self {
            limit: DEFAULT_LIMIT,
            after: None,
            filters: Vec::new(),
        };
        for (name, value) in params {
            match name.as_str() {
                "limit" => query.limit = parse_limit(value)?,
                "cursor" => {
                    query.after = Some(Position::from_cursor(value).ok_or_else(|| {
                        invalid(name, "not a cursor returned by this collection")
                    })?);
                }
                _ => query.filters.push((name.clone(), value.clone())),
            }
        }
        Ok(query)
    }
}

/// The order a collection lists its records in; ties are broken by `id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Newest first by one timestamp field, e.g. `updated_at`.
    NewestFirst(&'static str),
    /// Ascending by these fields in turn, e.g. `sku` then `valid_from`.
    Ascending(&'static [&'static str]),
}

impl Order {
    /// Where `record` (with `id`) sits in this order.
    pub fn position(self, id: &str, record: &Record) -> Position {
        let text = |field: &str| match record.get(field) {
            Some(Value::String(text)) => text.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        };
        let key = match self {
            Self::NewestFirst(field) => text(field),
            Self::Ascending(fields) => {
                let parts: Vec<String> = fields.iter().map(|field| text(field)).collect();
                parts.join(&KEY_SEPARATOR.to_string())
            }
        };
        Position {
            key,
            id: id.to_owned(),
        }
    }

    /// Compares two positions in this order.
    pub fn compare(self, a: &Position, b: &Position) -> Ordering {
        let by_key = match self {
            Self::NewestFirst(_) => b.key.cmp(&a.key),
            Self::Ascending(_) => a.key.cmp(&b.key),
        };
        by_key.then_with(|| a.id.cmp(&b.id))
    }
}

/// Where a record sits in list order: its sort key and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// The record's sort key under the collection's [`Order`].
    pub key: String,
    /// The record's `id`.
    pub id: String,
}

impl Position {
    /// The opaque cursor naming this position.
    pub fn to_cursor(&self) -> String {
        ident::encode_cursor(&format!("{}\n{}", self.key, self.id))
    }

    fn from_cursor(cursor: &str) -> Option<Self> {
        let text = ident::decode_cursor(cursor)?;
        let (key, id) = text.rsplit_once('\n')?;
        Some(Self {
            key: key.to_owned(),
            id: id.to_owned(),
        })
    }
}

/// The generic meaning of filter `param=value` (see the module docs), given
/// the top-level `fields` the collection's records carry.
pub fn generic_match(record: &Record, fields: &HashSet<String>, param: &str, value: &str) -> bool {
    let field = snake_case(param);
    if fields.contains(&field) {
        return field_equals(record, &field, value);
    }
    if let Some(prefix) = field.strip_suffix("_since") {
        let stamp = format!("{prefix}_at");
        if fields.contains(&stamp) {
            return record
                .get(&stamp)
                .and_then(Value::as_str)
                .is_some_and(|at| at >= value);
        }
    }
    true
}

/// Whether top-level `field` of `record` equals the query text `value`.
pub fn field_equals(record: &Record, field: &str, value: &str) -> bool {
    match record.get(field) {
        Some(Value::String(text)) => text == value,
        Some(Value::Number(number)) => number.to_string() == value,
        Some(Value::Bool(flag)) => flag.to_string() == value,
        _ => false,
    }
}

fn parse_limit(value: &str) -> Result<usize, Error> {
    match value.parse::<usize>() {
        Ok(limit) if (1..=MAX_LIMIT).contains(&limit) => Ok(limit),
        _ => Err(invalid(
            "limit",
            &format!("expected an integer from 1 to {MAX_LIMIT}"),
        )),
    }
}

fn invalid(name: &str, reason: &str) -> Error {
    Error::InvalidQuery {
        name: name.to_owned(),
        reason: reason.to_owned(),
    }
}

/// `locationId` -> `location_id`; names already in snake_case are unchanged.
fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for ch in name.chars() {
        if ch.is_ascii_uppercase() {
            out.push('_');
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect()
    }

    fn record(value: Value) -> Record {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn parses_limit_cursor_and_filters() {
        let query = ListQuery::parse(&params(&[("locationId", "WH-1")])).unwrap();
        assert_eq!(query.limit, DEFAULT_LIMIT);
        assert_eq!(query.after, None);
        assert_eq!(query.filters, params(&[("locationId", "WH-1")]));
        let position = Position {
            key: "2025-01-01T00:00:00Z".to_owned(),
            id: "k".to_owned(),
        };
        let cursor = position.to_cursor();
        let query = ListQuery::parse(&params(&[("limit", "200"), ("cursor", &cursor)])).unwrap();
        assert_eq!((query.limit, query.after), (200, Some(position)));
    }

    #[test]
    fn refuses_bad_limits_and_cursors() {
        for bad in ["0", "201", "-1", "ten"] {
            let err = ListQuery::parse(&params(&[("limit", bad)])).unwrap_err();
            assert_eq!(err.kind(), "invalid-query");
        }
        assert!(ListQuery::parse(&params(&[("cursor", "nope")])).is_err());
        let no_separator = ident::encode_cursor("k");
        assert!(ListQuery::parse(&params(&[("cursor", &no_separator)])).is_err());
    }

    #[test]
    fn orders_newest_first_or_ascending() {
        let a = record(json!({"updated_at": "2025-02-01T00:00:00Z", "sku": "A", "n": 2}));
        let b = record(json!({"updated_at": "2025-01-01T00:00:00Z", "sku": "AB", "n": 1}));
        let newest = Order::NewestFirst("updated_at");
        let (pa, pb) = (newest.position("1", &a), newest.position("2", &b));
        assert_eq!(newest.compare(&pa, &pb), Ordering::Less);
        let by_sku = Order::Ascending(&["sku", "n"]);
        let (pa, pb) = (by_sku.position("1", &a), by_sku.position("2", &b));
        assert_eq!(by_sku.compare(&pa, &pb), Ordering::Less);
        assert_eq!(by_sku.compare(&pa, &pa), Ordering::Equal);
    }

    #[test]
    fn generic_filters() {
        let fields: HashSet<String> = ["location_id", "updated_at", "on_hand"]
            .map(str::to_owned)
            .into();
        let stock = record(json!({
            "location_id": "WH-1", "on_hand": 4, "updated_at": "2025-03-01T00:00:00Z"
        }));
        assert!(generic_match(&stock, &fields, "locationId", "WH-1"));
        assert!(!generic_match(&stock, &fields, "locationId", "WH-2"));
        assert!(generic_match(&stock, &fields, "on_hand", "4"));
        assert!(generic_match(
            &stock,
            &fields,
            "updatedSince",
            "2025-02-01T00:00:00Z"
        ));
        assert!(!generic_match(
            &stock,
            &fields,
            "updatedSince",
            "2025-04-01T00:00:00Z"
        ));
        assert!(generic_match(&stock, &fields, "expand", "anything"));
    }
}
