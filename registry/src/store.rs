//! The control plane's store: one SQLite database in the data directory.
//!
//! The database runs in WAL mode with `synchronous=FULL`, so a write the API acknowledged has
//! been fsynced and survives a crash of the process or the machine. The schema is versioned:
//! [`migrations`] run at start inside one transaction, and a database written by a newer
//! release is refused. Every change goes through [`Store::write`]: one `BEGIN IMMEDIATE`
//! transaction that applies the change, appends its audit entries, bumps the snapshot revision
//! and commits — or rolls back whole, leaving no partial state. Reads use a second connection,
//! so they never wait for a write's fsync.

mod migrations;
pub mod resources;
pub mod versions;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use canongate_policy::snapshot::CompileContext;
use canongate_policy::{CompileError, GatewayConfig, Snapshot};
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use serde_json::Value;

use crate::problem::ApiError;

/// Why the store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The data directory could not be created.
    #[error("cannot create the data directory {dir}: {source}")]
    Directory {
        /// The directory.
        dir: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
    /// SQLite refused to open or migrate the database.
    #[error("{path}: {source}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// The failure.
        source: rusqlite::Error,
    },
    /// The database's schema is newer than this release knows.
    #[error(
        "{path}: schema version {found} is newer than this release's {known}; run a newer canongate"
    )]
    TooNew {
        /// The database file.
        path: PathBuf,
        /// The database's schema version.
        found: i64,
        /// The newest version this release knows.
        known: i64,
    },
}

/// Who makes a change, for the audit log.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The token's subject.
    pub subject: String,
    /// The role that allowed the change.
    pub role: String,
    /// The request's `X-Request-Id`.
    pub request_id: String,
}

/// The store: a writer and a reader connection to one database.
pub struct Store {
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
    checked: Mutex<Option<Snapshot>>,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

/// A change in progress: the open transaction, who makes it, and the routes last compiled to
/// check a change (whose contracts the next check reuses when unchanged).
pub struct Tx<'c> {
    /// The transaction; dropped without commit on any error.
    pub sql: rusqlite::Transaction<'c>,
    actor: &'c Actor,
    checked: &'c Mutex<Option<Snapshot>>,
}

impl Tx<'_> {
    /// Appends an audit entry for this change (`before`/`after` are `None` for a creation or a
    /// deletion).
    pub fn audit(
        &self,
        action: &str,
        entity: &str,
        before: Option<&Value>,
        after: Option<&Value>,
    ) -> Result<(), ApiError> {
        let json = |value: Option<&Value>| value.map(Value::to_string);
        self.sql.execute(
            "INSERT INTO audit (at, actor, role, action, entity, before, after, request_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                now_rfc3339(),
                self.actor.subject,
                self.actor.role,
                action,
                entity,
                json(before),
                json(after),
                self.actor.request_id,
            ],
        )?;
        Ok(())
    }

    /// The ETag of what this change writes: the revision it will commit as, so an ETag is never
    /// given twice — not even to a resource deleted and created again.
    pub fn etag(&self) -> Result<i64, ApiError> {
        Ok(self.sql.query_row(
            "SELECT value + 1 FROM meta WHERE key = 'revision'",
            [],
            |row| row.get(0),
        )?)
    }

    /// Compiles `document` (the registry's routes) as a gateway would, starting from the last
    /// one compiled so (unchanged contracts are reused, so checking a publish to a large
    /// registry does not load every contract again).
    pub fn compile_routes(&self, document: &GatewayConfig) -> Result<(), CompileError> {
        let mut checked = lock(self.checked);
        let context = CompileContext {
            clock: None,
            previous: checked.as_ref(),
        };
        let snapshot = Snapshot::compile_with(document, &context)?;
        *checked = Some(snapshot);
        Ok(())
    }
}

impl Store {
    /// Opens (creating when absent) `registry.db` in `dir` and runs pending migrations.
    pub fn open(dir: &Path) -> Result<Store, OpenError> {
        std::fs::create_dir_all(dir).map_err(|source| OpenError::Directory {
            dir: dir.to_path_buf(),
            source,
        })?;
        let path = dir.join("registry.db");
        let sqlite = |source| OpenError::Sqlite {
            path: path.clone(),
            source,
        };
        let mut writer = Connection::open(&path).map_err(sqlite)?;
        configure(&writer).map_err(sqlite)?;
        migrations::run(&mut writer, &path)?;
        // Start with the write-ahead log folded into the database, so the first commit after a
        // start never pays for the previous run's log.
        writer
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(sqlite)?;
        let reader = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sqlite)?;
        reader
            .busy_timeout(std::time::Duration::from_secs(5))
            .map_err(sqlite)?;
        Ok(Store {
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
            checked: Mutex::new(None),
            path,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `change` in one immediate transaction; on success bumps the snapshot revision and
    /// commits (durably), returning the result and the new revision. Any error rolls back.
    pub fn write<T>(
        &self,
        actor: &Actor,
        change: impl FnOnce(&Tx<'_>) -> Result<T, ApiError>,
    ) -> Result<(T, u64), ApiError> {
        let mut connection = lock(&self.writer);
        let sql = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let tx = Tx {
            sql,
            actor,
            checked: &self.checked,
        };
        let result = change(&tx)?;
        tx.sql.execute(
            "UPDATE meta SET value = value + 1 WHERE key = 'revision'",
            [],
        )?;
        let revision = revision_of(&tx.sql)?;
        tx.sql.commit()?;
        Ok((result, revision))
    }

    /// Runs `check` in a transaction that is rolled back: what a change's check does, without a
    /// change (at start, to compile the stored routes once so that the first publish finds their
    /// contracts loaded).
    pub fn dry_run(
        &self,
        check: impl FnOnce(&Tx<'_>) -> Result<(), ApiError>,
    ) -> Result<(), ApiError> {
        let mut connection = lock(&self.writer);
        let sql = connection.transaction_with_behavior(TransactionBehavior::Deferred)?;
        let actor = Actor {
            subject: "control-plane".into(),
            role: "admin".into(),
            request_id: String::new(),
        };
        check(&Tx {
            sql,
            actor: &actor,
            checked: &self.checked,
        })
    }

    /// Runs `read` on the reader connection (a consistent view of committed data).
    pub fn read<T>(
        &self,
        read: impl FnOnce(&Connection) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut connection = lock(&self.reader);
        let sql = connection.transaction_with_behavior(TransactionBehavior::Deferred)?;
        read(&sql)
    }

    /// Runs `read` on a connection of its own, for long reads (compiling the gateway document
    /// of a large registry) that must not hold up the API's reads.
    pub fn read_apart<T>(
        &self,
        read: impl FnOnce(&Connection) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut connection = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        connection.busy_timeout(std::time::Duration::from_secs(5))?;
        let sql = connection.transaction_with_behavior(TransactionBehavior::Deferred)?;
        read(&sql)
    }

    /// The current snapshot revision.
    pub fn revision(&self) -> Result<u64, ApiError> {
        self.read(revision_of)
    }

    /// A value of the `meta` table.
    pub fn meta(&self, key: &str) -> Result<Option<String>, ApiError> {
        let connection = lock(&self.writer);
        Ok(connection
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |row| {
                row.get::<_, String>(0)
            })
            .optional()?)
    }

    /// Sets a value of the `meta` table when it is absent; returns whether it was set.
    pub fn init_meta(&self, key: &str, value: &str) -> Result<bool, ApiError> {
        let connection = lock(&self.writer);
        let inserted = connection.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES (?1, ?2)",
            [key, value],
        )?;
        Ok(inserted == 1)
    }
}

fn configure(connection: &Connection) -> rusqlite::Result<()> {
    connection.pragma_update(None, "journal_mode", "WAL")?;
    connection.pragma_update(None, "synchronous", "FULL")?;
    connection.pragma_update(None, "foreign_keys", "ON")?;
    connection.busy_timeout(std::time::Duration::from_secs(5))
}

/// Locks `mutex`, taking over the state a panicked holder left (every guarded value here stays
/// consistent between statements).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poison| poison.into_inner())
}

/// The snapshot revision as seen by `sql`.
pub fn revision_of(sql: &Connection) -> Result<u64, ApiError> {
    let value: i64 = sql.query_row("SELECT value FROM meta WHERE key = 'revision'", [], |row| {
        row.get(0)
    })?;
    Ok(u64::try_from(value).unwrap_or(0))
}

/// The current UTC time as RFC 3339 with milliseconds (`2026-11-26T20:05:40.123Z`).
pub fn now_rfc3339() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    rfc3339(now.as_millis())
}

/// Milliseconds since the epoch as RFC 3339 UTC.
pub fn rfc3339(millis: u128) -> String {
    let seconds = i64::try_from(millis / 1000).unwrap_or(i64::MAX);
    let date = canongate_contracts::deprecation::Date::from_ymd(1970, 1, 1)
        .map(|epoch| epoch.add_days(seconds.div_euclid(86_400)))
        .map(|date| date.to_string())
        .unwrap_or_default();
    let of_day = seconds.rem_euclid(86_400);
    format!(
        "{date}T{:02}:{:02}:{:02}.{:03}Z",
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60,
        millis % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor() -> Actor {
        Actor {
            subject: "alice".into(),
            role: "architect".into(),
            request_id: "r1".into(),
        }
    }

    #[test]
    fn writes_bump_the_revision_and_failures_leave_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let start = store.revision().unwrap();
        let ((), revision) = store
            .write(&actor(), |tx| {
                tx.audit("team.create", "teams/a", None, None)
            })
            .unwrap();
        assert_eq!(revision, start + 1);
        let failed = store.write(&actor(), |tx| {
            tx.audit("team.create", "teams/b", None, None)?;
            Err::<(), _>(ApiError::conflict("no"))
        });
        assert!(failed.is_err());
        assert_eq!(store.revision().unwrap(), start + 1);
        let entries: i64 = store
            .read(|sql| Ok(sql.query_row("SELECT count(*) FROM audit", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(entries, 1);
    }

    #[test]
    fn the_audit_log_refuses_updates_and_deletes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store
            .write(&actor(), |tx| {
                tx.audit("team.create", "teams/a", None, None)
            })
            .unwrap();
        let connection = lock(&store.writer);
        assert!(connection.execute("DELETE FROM audit", []).is_err());
        assert!(
            connection
                .execute("UPDATE audit SET actor = 'x'", [])
                .is_err()
        );
    }

    #[test]
    fn reopening_keeps_data_and_schema() {
        let dir = tempfile::tempdir().unwrap();
        let revision = {
            let store = Store::open(dir.path()).unwrap();
            store
                .write(&actor(), |tx| {
                    tx.audit("team.create", "teams/a", None, None)
                })
                .unwrap()
                .1
        };
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.revision().unwrap(), revision);
    }

    #[test]
    fn timestamps_are_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(1_795_723_540_123), "2026-11-26T20:05:40.123Z");
    }
}
