//! Contract versions: one row per `(api, version)` with the contract text as published, its
//! lifecycle and dates, and its backend binding.

use canongate_contracts::semver::Version;
use canongate_policy::config::Lifecycle;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};

use super::{Tx, now_rfc3339};
use crate::problem::{ApiError, Kind};

/// A stored contract version.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionRow {
    /// The API's name.
    pub api: String,
    /// `info.version` of the contract.
    pub version: String,
    /// The parsed version, for ordering.
    pub semver: Version,
    /// Where the version is in its life.
    pub lifecycle: Lifecycle,
    /// The OpenAPI text, as submitted.
    pub contract: String,
    /// The system serving it.
    pub system: String,
    /// Path on the system replacing `/{api}/v{major}`.
    pub path_prefix: String,
    /// Lint errors and warnings found when it was stored.
    pub lint: (i64, i64),
    /// Deprecation date (`YYYY-MM-DD`).
    pub deprecated_on: Option<String>,
    /// Sunset date (`YYYY-MM-DD`).
    pub sunset: Option<String>,
    /// The version that replaces it.
    pub successor: Option<String>,
    /// When it was published.
    pub published_at: Option<String>,
    /// When it was created.
    pub created_at: String,
    /// When it last changed.
    pub updated_at: String,
    /// Update counter, its ETag.
    pub etag: i64,
}

const COLUMNS: &str = "api, version, lifecycle, contract, system, path_prefix, lint_errors, \
    lint_warnings, deprecated_on, sunset, successor, published_at, created_at, updated_at, etag";

fn row(row: &rusqlite::Row<'_>) -> rusqlite::Result<VersionRow> {
    let version: String = row.get(1)?;
    let lifecycle: String = row.get(2)?;
    Ok(VersionRow {
        api: row.get(0)?,
        semver: Version::parse(&version).unwrap_or(Version {
            major: 0,
            minor: 0,
            patch: 0,
            pre: Vec::new(),
        }),
        version,
        lifecycle: parse_lifecycle(&lifecycle),
        contract: row.get(3)?,
        system: row.get(4)?,
        path_prefix: row.get(5)?,
        lint: (row.get(6)?, row.get(7)?),
        deprecated_on: row.get(8)?,
        sunset: row.get(9)?,
        successor: row.get(10)?,
        published_at: row.get(11)?,
        created_at: row.get(12)?,
        updated_at: row.get(13)?,
        etag: row.get(14)?,
    })
}

fn parse_lifecycle(text: &str) -> Lifecycle {
    match text {
        "draft" => Lifecycle::Draft,
        "deprecated" => Lifecycle::Deprecated,
        "retired" => Lifecycle::Retired,
        _ => Lifecycle::Published,
    }
}

impl VersionRow {
    /// The JSON representation; the contract text only when `with_contract`.
    pub fn to_json(&self, with_contract: bool) -> Value {
        let mut value = json!({
            "api": self.api,
            "version": self.version,
            "major": self.semver.major,
            "lifecycle": self.lifecycle.as_str(),
            "backend": {"system": self.system, "path_prefix": self.path_prefix},
            "lint": {"errors": self.lint.0, "warnings": self.lint.1},
            "deprecated_on": self.deprecated_on,
            "sunset": self.sunset,
            "successor": self.successor,
            "published_at": self.published_at,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        });
        if with_contract && let Some(object) = value.as_object_mut() {
            object.insert("contract".into(), Value::String(self.contract.clone()));
        }
        value
    }

    /// Whether it was ever published (published, deprecated or retired).
    pub fn was_published(&self) -> bool {
        self.lifecycle != Lifecycle::Draft
    }
}

/// The version `api`/`version`, if stored.
pub fn get(sql: &Connection, api: &str, version: &str) -> Result<Option<VersionRow>, ApiError> {
    Ok(sql
        .query_row(
            &format!("SELECT {COLUMNS} FROM versions WHERE api = ?1 AND version = ?2"),
            [api, version],
            row,
        )
        .optional()?)
}

/// Every version of `api`, lowest first by semver precedence.
pub fn of_api(sql: &Connection, api: &str) -> Result<Vec<VersionRow>, ApiError> {
    let mut statement =
        sql.prepare_cached(&format!("SELECT {COLUMNS} FROM versions WHERE api = ?1"))?;
    let mut rows = statement
        .query_map([api], row)?
        .collect::<Result<Vec<_>, _>>()?;
    rows.sort_by(|a, b| a.semver.precedence(&b.semver));
    Ok(rows)
}

/// Every version that was ever published, of every API.
pub fn all_published(sql: &Connection) -> Result<Vec<VersionRow>, ApiError> {
    let mut statement = sql.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM versions WHERE lifecycle <> 'draft' ORDER BY api"
    ))?;
    Ok(statement
        .query_map([], row)?
        .collect::<Result<Vec<_>, _>>()?)
}

/// Whether any version is bound to `system`.
pub fn system_in_use(sql: &Connection, system: &str) -> Result<Option<String>, ApiError> {
    Ok(sql
        .query_row(
            "SELECT api || '@' || version FROM versions WHERE system = ?1 LIMIT 1",
            [system],
            |r| r.get(0),
        )
        .optional()?)
}

/// Stores a new version; returns its ETag; 409 when it exists.
pub fn insert(tx: &Tx<'_>, version: &VersionRow) -> Result<i64, ApiError> {
    let etag = tx.etag()?;
    let inserted = tx.sql.execute(
        "INSERT OR IGNORE INTO versions (api, version, major, lifecycle, contract, system,
             path_prefix, lint_errors, lint_warnings, deprecated_on, sunset, successor,
             published_at, created_at, updated_at, etag)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14, ?15)",
        params![
            version.api,
            version.version,
            i64::try_from(version.semver.major).unwrap_or(i64::MAX),
            version.lifecycle.as_str(),
            version.contract,
            version.system,
            version.path_prefix,
            version.lint.0,
            version.lint.1,
            version.deprecated_on,
            version.sunset,
            version.successor,
            version.published_at,
            now_rfc3339(),
            etag,
        ],
    )?;
    if inserted == 0 {
        return Err(ApiError::conflict(format!(
            "{} {} already exists; versions are immutable once stored — bump info.version",
            version.api, version.version
        )));
    }
    Ok(etag)
}

/// Rewrites a stored version whose ETag is still `version.etag`; returns the new ETag.
pub fn update(tx: &Tx<'_>, version: &VersionRow) -> Result<i64, ApiError> {
    let etag = tx.etag()?;
    let updated = tx.sql.execute(
        "UPDATE versions SET lifecycle = ?1, contract = ?2, system = ?3, path_prefix = ?4,
             lint_errors = ?5, lint_warnings = ?6, deprecated_on = ?7, sunset = ?8,
             successor = ?9, published_at = ?10, updated_at = ?11, etag = ?15
         WHERE api = ?12 AND version = ?13 AND etag = ?14",
        params![
            version.lifecycle.as_str(),
            version.contract,
            version.system,
            version.path_prefix,
            version.lint.0,
            version.lint.1,
            version.deprecated_on,
            version.sunset,
            version.successor,
            version.published_at,
            now_rfc3339(),
            version.api,
            version.version,
            version.etag,
            etag,
        ],
    )?;
    if updated == 0 {
        return Err(ApiError::new(
            Kind::PreconditionFailed,
            format!("{} {} changed meanwhile", version.api, version.version),
        ));
    }
    Ok(etag)
}

/// Deletes a stored version.
pub fn delete(tx: &Tx<'_>, api: &str, version: &str) -> Result<(), ApiError> {
    tx.sql.execute(
        "DELETE FROM versions WHERE api = ?1 AND version = ?2",
        [api, version],
    )?;
    Ok(())
}
