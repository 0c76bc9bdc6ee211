//! The store's tables, created or brought up to date when it is opened,
//! and its schema version (`PRAGMA user_version`): a store written by a
//! newer release is refused rather than half understood. `inspect` reads
//! what `doctor` reports without creating or changing anything.

use super::{removals, StoreError};
use rusqlite::{Connection, OpenFlags};
use std::path::Path;

/// The schema this release writes: 1 runs and changes, 2 a run's summary,
/// 3 the Cost Explorer cache, 4 tag removals.
pub const SCHEMA_VERSION: i64 = 4;

/// Create the tables a store lacks and record the version; refuse one of a
/// newer release.
pub(super) fn create(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let found = version(conn)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::Newer {
            path: path.display().to_string(),
            found,
            known: SCHEMA_VERSION,
        });
    }
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS runs (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,
            config TEXT,
            rolls_back TEXT
        );
        CREATE TABLE IF NOT EXISTS changes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id TEXT NOT NULL REFERENCES runs(id),
            arn TEXT NOT NULL,
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            resource_type TEXT NOT NULL,
            policy TEXT NOT NULL,
            key TEXT NOT NULL,
            previous TEXT,
            new TEXT,
            state TEXT NOT NULL,
            error TEXT,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS changes_by_run ON changes(run_id);
        CREATE INDEX IF NOT EXISTS changes_by_state ON changes(state);
        CREATE INDEX IF NOT EXISTS runs_by_start ON runs(started_at, id);",
    )?;
    add_summary_column(conn)?;
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS cost_explorer_cache (
            key TEXT PRIMARY KEY,
            answer TEXT NOT NULL,
            fetched_at TEXT NOT NULL
        );",
    )?;
    conn.execute_batch(removals::SCHEMA)?;
    conn.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    Ok(())
}

fn version(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

/// Stores made before daemon cycles were recorded have no `summary` column.
fn add_summary_column(conn: &Connection) -> Result<(), StoreError> {
    let has: bool = conn.query_row(
        "SELECT COUNT(*) > 0 FROM pragma_table_info('runs') WHERE name = 'summary'",
        [],
        |r| r.get(0),
    )?;
    if !has {
        conn.execute("ALTER TABLE runs ADD COLUMN summary TEXT", [])?;
    }
    Ok(())
}

/// What `doctor` tells of a store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inspection {
    /// Not there yet: the first run that writes creates it (its folder
    /// can be written: `writable`).
    Absent { writable: bool },
    /// There: its schema version (0: written before versions were
    /// recorded) and whether a write lock can be taken now.
    Present { version: i64, writable: bool },
}

/// Look at the store at `path` without creating or changing anything.
pub fn inspect(path: &Path) -> Result<Inspection, StoreError> {
    if !path.exists() {
        let folder = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let writable = nearest_existing(folder)
            .metadata()
            .is_ok_and(|m| m.is_dir() && !m.permissions().readonly());
        return Ok(Inspection::Absent { writable });
    }
    let open = |flags| {
        Connection::open_with_flags(path, flags).map_err(|source| StoreError::Open {
            path: path.display().to_string(),
            source,
        })
    };
    let read = open(OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let version = version(&read)?;
    // A write lock taken and given back at once: nothing is written.
    let writable = open(OpenFlags::SQLITE_OPEN_READ_WRITE).is_ok_and(|c| {
        c.busy_timeout(std::time::Duration::from_secs(2)).is_ok()
            && c.execute_batch("BEGIN IMMEDIATE; ROLLBACK;").is_ok()
    });
    Ok(Inspection::Present { version, writable })
}

/// The folder itself, or the nearest parent that exists (the store's
/// folder is created on first use).
fn nearest_existing(folder: &Path) -> &Path {
    folder
        .ancestors()
        .find(|a| a.exists())
        .unwrap_or(Path::new("."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_records_its_version_and_one_from_a_newer_release_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/tagwarden.db");
        assert_eq!(
            inspect(&path).unwrap(),
            Inspection::Absent { writable: true }
        );
        assert!(!path.exists(), "inspect creates nothing");
        drop(super::super::Store::open(&path).unwrap());
        assert_eq!(
            inspect(&path).unwrap(),
            Inspection::Present {
                version: SCHEMA_VERSION,
                writable: true
            }
        );
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        drop(conn);
        let err = super::super::Store::open(&path).err().expect("refused");
        assert!(
            err.to_string()
                .contains("schema version 5, newer than this tagwarden's 4"),
            "{err}"
        );
    }
}
