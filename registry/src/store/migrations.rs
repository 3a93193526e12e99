//! Versioned schema migrations, applied in order at start inside one transaction.
//!
//! `schema_migrations` records each applied version. A migration is never edited once
//! released; a change to the schema is a new entry at the end of [`MIGRATIONS`].

use std::path::Path;

use rusqlite::Connection;

use super::OpenError;

/// The migrations, in order; the schema version is the index + 1.
const MIGRATIONS: &[&str] = &[r"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value ANY NOT NULL
) STRICT;
INSERT INTO meta (key, value) VALUES ('revision', 0);

CREATE TABLE resources (
    kind       TEXT NOT NULL,
    name       TEXT NOT NULL,
    spec       TEXT NOT NULL,
    etag       INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (kind, name)
) STRICT;

CREATE TABLE versions (
    api           TEXT NOT NULL,
    version       TEXT NOT NULL,
    major         INTEGER NOT NULL,
    lifecycle     TEXT NOT NULL CHECK (lifecycle IN ('draft', 'published', 'deprecated', 'retired')),
    contract      TEXT NOT NULL,
    system        TEXT NOT NULL,
    path_prefix   TEXT NOT NULL,
    lint_errors   INTEGER NOT NULL,
    lint_warnings INTEGER NOT NULL,
    deprecated_on TEXT,
    sunset        TEXT,
    successor     TEXT,
    published_at  TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    etag          INTEGER NOT NULL,
    PRIMARY KEY (api, version)
) STRICT;

CREATE TABLE audit (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    role       TEXT NOT NULL,
    action     TEXT NOT NULL,
    entity     TEXT NOT NULL,
    before     TEXT,
    after      TEXT,
    request_id TEXT NOT NULL
) STRICT;
CREATE INDEX audit_entity ON audit (entity, id);
CREATE INDEX audit_actor ON audit (actor, id);
CREATE INDEX audit_at ON audit (at);
CREATE TRIGGER audit_is_append_only_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_is_append_only_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"];

/// Applies every migration the database has not seen.
pub(super) fn run(connection: &mut Connection, path: &Path) -> Result<(), OpenError> {
    let sqlite = |source| OpenError::Sqlite {
        path: path.to_path_buf(),
        source,
    };
    let tx = connection.transaction().map_err(sqlite)?;
    tx.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    INTEGER PRIMARY KEY,
             applied_at TEXT NOT NULL
         ) STRICT",
        [],
    )
    .map_err(sqlite)?;
    let current: i64 = tx
        .query_row(
            "SELECT coalesce(max(version), 0) FROM schema_migrations",
            [],
            |row| row.get(0),
        )
        .map_err(sqlite)?;
    let known = i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX);
    if current > known {
        return Err(OpenError::TooNew {
            path: path.to_path_buf(),
            found: current,
            known,
        });
    }
    for (version, script) in (1..)
        .zip(MIGRATIONS)
        .skip(usize::try_from(current).unwrap_or(0))
    {
        tx.execute_batch(script).map_err(sqlite)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
            rusqlite::params![version, super::now_rfc3339()],
        )
        .map_err(sqlite)?;
        tracing::info!(version, "store schema migrated");
    }
    tx.commit().map_err(sqlite)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let mut connection = Connection::open(&path).unwrap();
        run(&mut connection, &path).unwrap();
        connection
            .execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (99, 'x')",
                [],
            )
            .unwrap();
        assert!(matches!(
            run(&mut connection, &path),
            Err(OpenError::TooNew { found: 99, .. })
        ));
    }
}
