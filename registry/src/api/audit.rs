//! The audit log, queryable by entity, actor, action and time range, newest last.

use axum::extract::State;
use axum::response::Response;
use rusqlite::types::Value as Sql;
use serde_json::{Value, json};

use super::{Caller, Params, Shared, read};
use crate::auth::Permission;
use crate::problem::{ApiError, Kind};

/// `GET /api/v1/audit?entity=&actor=&action=&since=&until=&limit=&cursor=`.
pub async fn list(
    State(app): State<Shared>,
    caller: Caller,
    query: Params,
) -> Result<Response, ApiError> {
    caller.principal.allow(Permission::Read)?;
    let params = super::params(query)?;
    let (limit, cursor) = super::page_params(&params)?;
    let mut clauses = vec!["id > ?".to_owned()];
    let after = match cursor {
        None => 0,
        Some(text) => text.parse::<i64>().map_err(|_| {
            ApiError::new(
                Kind::InvalidRequest,
                format!("query `cursor`: `{text}` is not a cursor"),
            )
        })?,
    };
    let mut values = vec![Sql::Integer(after)];
    for (key, clause) in [
        ("entity", "(entity = ? OR entity LIKE ? || '/%')"),
        ("actor", "actor = ?"),
        ("action", "action = ?"),
        ("since", "at >= ?"),
        ("until", "at < ?"),
    ] {
        let Some(value) = params.get(key) else {
            continue;
        };
        if matches!(key, "since" | "until") && !is_timestamp(value) {
            return Err(ApiError::new(
                Kind::InvalidRequest,
                format!(
                    "query `{key}`: `{value}` is not an RFC 3339 UTC time (2026-11-26T20:00:00Z)"
                ),
            ));
        }
        clauses.push(clause.to_owned());
        values.push(Sql::Text(value.clone()));
        if key == "entity" {
            values.push(Sql::Text(value.clone()));
        }
    }
    values.push(Sql::Integer(i64::try_from(limit + 1).unwrap_or(i64::MAX)));
    let query = format!(
        "SELECT id, at, actor, role, action, entity, before, after, request_id FROM audit
         WHERE {} ORDER BY id LIMIT ?",
        clauses.join(" AND ")
    );
    let mut entries = read(&app, move |sql| {
        let mut statement = sql.prepare(&query)?;
        let rows = statement.query_map(rusqlite::params_from_iter(values), |row| {
            let json = |text: Option<String>| {
                text.and_then(|text| serde_json::from_str::<Value>(&text).ok())
            };
            Ok((
                row.get::<_, i64>(0)?,
                json!({
                    "id": row.get::<_, i64>(0)?,
                    "at": row.get::<_, String>(1)?,
                    "actor": row.get::<_, String>(2)?,
                    "role": row.get::<_, String>(3)?,
                    "action": row.get::<_, String>(4)?,
                    "entity": row.get::<_, String>(5)?,
                    "before": json(row.get(6)?),
                    "after": json(row.get(7)?),
                    "request_id": row.get::<_, String>(8)?,
                }),
            ))
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    })
    .await?;
    let next = (entries.len() > limit).then(|| {
        entries.truncate(limit);
        entries.last().map(|(id, _)| id.to_string())
    });
    Ok(super::page(
        entries.into_iter().map(|(_, entry)| entry).collect(),
        next.flatten(),
    ))
}

/// `YYYY-MM-DDTHH:MM:SS[.fff]Z`, which compares correctly with the stored times as text.
fn is_timestamp(text: &str) -> bool {
    let bytes = text.as_bytes();
    canongate_contracts::deprecation::Date::parse(text).is_some()
        && bytes.len() >= 20
        && bytes.get(10) == Some(&b'T')
        && bytes.last() == Some(&b'Z')
}
