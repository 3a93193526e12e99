//! The audit log, queryable by entity, actor, action and time range, newest last.

use axum::extract::State;
use axum::response::Response;
use rusqlite::types::Value as Sql;
use serde_json::{Value, json};

use super::{Caller, Params, Shared, read};
use crate::auth::Permission;
use crate::problem::{ApiError, Kind};
use crate::secrets;

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
        let value = if matches!(key, "since" | "until") {
            stored_form(value).ok_or_else(|| {
                ApiError::new(
                    Kind::InvalidRequest,
                    format!(
                        "query `{key}`: `{value}` is not an RFC 3339 UTC time (2026-11-26T20:00:00Z)"
                    ),
                )
            })?
        } else {
            value.clone()
        };
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
        entries
            .into_iter()
            .map(|(_, entry)| without_issuer_keys(entry))
            .collect(),
        next.flatten(),
    ))
}

/// An entry of an issuer change with the issuer's key material redacted (for every reader;
/// entries are written redacted, and this covers those a store held before).
fn without_issuer_keys(mut entry: Value) -> Value {
    let is_issuer = entry["entity"]
        .as_str()
        .is_some_and(|entity| entity.starts_with("issuers/"));
    if is_issuer {
        for side in ["before", "after"] {
            secrets::redact_issuer_representation(&mut entry[side]);
        }
    }
    entry
}

/// `YYYY-MM-DDTHH:MM:SS[.f…]Z` in the stored form (`.fff` milliseconds), so that comparing the
/// text compares the times.
fn stored_form(text: &str) -> Option<String> {
    let stamp = text.strip_suffix(['Z', 'z'])?;
    let (date_time, fraction) = stamp.split_once('.').unwrap_or((stamp, ""));
    let (date, time) = date_time.split_once(['T', 't'])?;
    canongate_contracts::deprecation::Date::parse(date).filter(|_| date.len() == 10)?;
    let parts: Vec<&str> = time.split(':').collect();
    let in_range = |part: &str, limit: u32| {
        part.len() == 2 && part.parse::<u32>().is_ok_and(|value| value < limit)
    };
    let valid = parts.len() == 3
        && in_range(parts[0], 24)
        && in_range(parts[1], 60)
        && in_range(parts[2], 61)
        && fraction.bytes().all(|b| b.is_ascii_digit());
    valid.then(|| format!("{date}T{time}.{fraction:0<3.3}Z"))
}

#[cfg(test)]
mod tests {
    use super::stored_form;

    #[test]
    fn query_times_take_the_stored_form() {
        assert_eq!(
            stored_form("2026-11-26T20:00:00Z").as_deref(),
            Some("2026-11-26T20:00:00.000Z")
        );
        assert_eq!(
            stored_form("2026-11-26T20:00:00.5Z").as_deref(),
            Some("2026-11-26T20:00:00.500Z")
        );
        assert_eq!(
            stored_form("2026-11-26T20:00:00.123456Z").as_deref(),
            Some("2026-11-26T20:00:00.123Z")
        );
        for bad in [
            "yesterday",
            "2026-11-26",
            "2026-11-26T25:00:00Z",
            "2026-11-26T20:00:00+01:00",
        ] {
            assert_eq!(stored_form(bad), None, "{bad}");
        }
    }
}
