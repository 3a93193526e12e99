//! Named resources (teams, systems, domains, APIs, issuers, tiers, consumers): one row per
//! `(kind, name)` holding the validated spec as JSON and an update counter used as the ETag.

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

use super::{Tx, now_rfc3339};
use crate::problem::{ApiError, Kind};

/// A stored resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Its name (unique within its kind).
    pub name: String,
    /// The validated spec.
    pub spec: Value,
    /// Update counter, the resource's ETag.
    pub etag: i64,
}

fn record(row: &rusqlite::Row<'_>) -> rusqlite::Result<(String, String, i64)> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
}

fn decode((name, spec, etag): (String, String, i64)) -> Result<Record, ApiError> {
    let spec = serde_json::from_str(&spec)
        .map_err(|error| ApiError::internal(format!("stored spec of `{name}`: {error}")))?;
    Ok(Record { name, spec, etag })
}

/// The resource `kind`/`name`, if stored.
pub fn get(sql: &Connection, kind: &str, name: &str) -> Result<Option<Record>, ApiError> {
    sql.query_row(
        "SELECT name, spec, etag FROM resources WHERE kind = ?1 AND name = ?2",
        [kind, name],
        record,
    )
    .optional()?
    .map(decode)
    .transpose()
}

/// Up to `limit` resources of `kind` whose names sort after `after`, by name.
pub fn page(
    sql: &Connection,
    kind: &str,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<Record>, ApiError> {
    let mut statement = sql.prepare_cached(
        "SELECT name, spec, etag FROM resources WHERE kind = ?1 AND name > ?2
         ORDER BY name LIMIT ?3",
    )?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = statement.query_map(params![kind, after.unwrap_or(""), limit], record)?;
    rows.map(|row| decode(row?)).collect()
}

/// Every resource of `kind`, by name.
pub fn all(sql: &Connection, kind: &str) -> Result<Vec<Record>, ApiError> {
    page(sql, kind, None, usize::MAX >> 1)
}

/// Stores a new resource; 409 when the name is taken.
pub fn insert(tx: &Tx<'_>, kind: &str, name: &str, spec: &Value) -> Result<Record, ApiError> {
    let now = now_rfc3339();
    let inserted = tx.sql.execute(
        "INSERT OR IGNORE INTO resources (kind, name, spec, etag, created_at, updated_at)
         VALUES (?1, ?2, ?3, 1, ?4, ?4)",
        params![kind, name, spec.to_string(), now],
    )?;
    if inserted == 0 {
        return Err(ApiError::conflict(format!("{kind}/{name} already exists")));
    }
    Ok(Record {
        name: name.to_owned(),
        spec: spec.clone(),
        etag: 1,
    })
}

/// Replaces the spec of a stored resource whose ETag is `etag`; returns the new record.
pub fn replace(
    tx: &Tx<'_>,
    kind: &str,
    current: &Record,
    spec: &Value,
) -> Result<Record, ApiError> {
    let updated = tx.sql.execute(
        "UPDATE resources SET spec = ?1, etag = etag + 1, updated_at = ?2
         WHERE kind = ?3 AND name = ?4 AND etag = ?5",
        params![
            spec.to_string(),
            now_rfc3339(),
            kind,
            current.name,
            current.etag
        ],
    )?;
    if updated == 0 {
        return Err(ApiError::new(
            Kind::PreconditionFailed,
            format!("{kind}/{} changed meanwhile", current.name),
        ));
    }
    Ok(Record {
        name: current.name.clone(),
        spec: spec.clone(),
        etag: current.etag + 1,
    })
}

/// Deletes a stored resource.
pub fn delete(tx: &Tx<'_>, kind: &str, name: &str) -> Result<(), ApiError> {
    tx.sql.execute(
        "DELETE FROM resources WHERE kind = ?1 AND name = ?2",
        [kind, name],
    )?;
    Ok(())
}
