//! The state store (SQLite): runs and the change journal. Every tag write is
//! recorded here as `pending` before it is sent and marked after, so that an
//! interrupted apply can be reconciled and any run rolled back.

use chrono::{SecondsFormat, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
use tagwarden_core::cycle_summary::{CycleResult, CycleSummary};
use tagwarden_core::journal::{
    ChangeState, JournalEntry, KeyChange, Mark, RunKind, RunRecord, RunStatus, UnknownState,
};
use tagwarden_core::Arn;

mod prune;
mod removals;
mod schema;
pub use prune::{Prune, Pruned, RunsPage};
pub use removals::read_removals;
pub use schema::{inspect, Inspection, SCHEMA_VERSION};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("state store {path}: {source}")]
    Open {
        path: String,
        source: rusqlite::Error,
    },
    #[error("state store: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("cannot create the folder of the state store {path}: {source}")]
    Folder {
        path: String,
        source: std::io::Error,
    },
    #[error("another tagwarden apply or rollback is running on the state store (lock {path} is held); try again when it has finished")]
    Locked { path: String },
    #[error("cannot lock the state store ({path}): {source}")]
    Lock {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    UnknownState(#[from] UnknownState),
    #[error("the state store {path} has schema version {found}, newer than this tagwarden's {known}: it was written by a newer release; run that release (or a newer one) with it")]
    Newer {
        path: String,
        found: i64,
        known: i64,
    },
}

/// A text column parsed into its type: a value this version cannot read
/// is an error, never a guess.
fn parse_column<T, E>(
    r: &rusqlite::Row<'_>,
    i: usize,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> rusqlite::Result<T>
where
    E: std::error::Error + Send + Sync + 'static,
{
    let text: String = r.get(i)?;
    parse(&text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// Held while a process writes tags: apply and rollback take it for their
/// whole run, so that no two of them race over the same resources and a run
/// still marked running in the store is known to be dead.
pub struct WriteLock {
    _file: std::fs::File,
}

pub struct Store {
    conn: Connection,
    path: std::path::PathBuf,
}

fn now() -> String {
    timestamp(Utc::now())
}

/// A time as the store writes it: RFC 3339 in UTC with milliseconds, so
/// that text order is time order.
fn timestamp(t: chrono::DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl Store {
    /// Open an existing store to read only: no schema is created or
    /// changed, no file made.
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        let flags =
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|source| StoreError::Open {
            path: path.display().to_string(),
            source,
        })?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
        })
    }

    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Folder {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let conn = Connection::open(path).map_err(|source| StoreError::Open {
            path: path.display().to_string(),
            source,
        })?;
        // WAL and a busy timeout: the daemon and a one-off command may share it.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        schema::create(&conn, path)?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// Take the write lock (a lock file beside the store), or fail at once
    /// when another process holds it.
    pub fn lock(&self) -> Result<WriteLock, StoreError> {
        let mut lock_path = self.path.clone().into_os_string();
        lock_path.push(".lock");
        let path = std::path::PathBuf::from(lock_path);
        let shown = path.display().to_string();
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|source| StoreError::Lock {
                path: shown.clone(),
                source,
            })?;
        match file.try_lock() {
            Ok(()) => Ok(WriteLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::Locked { path: shown }),
            Err(std::fs::TryLockError::Error(source)) => Err(StoreError::Lock {
                path: shown,
                source,
            }),
        }
    }

    pub fn begin_run(
        &self,
        id: &str,
        kind: RunKind,
        config: &str,
        rolls_back: Option<&str>,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO runs (id, kind, started_at, status, config, rolls_back) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                id,
                kind.label(),
                now(),
                RunStatus::Running.label(),
                config,
                rolls_back
            ],
        )?;
        Ok(())
    }

    /// A daemon cycle's end: its result and its summary (JSON).
    pub fn finish_cycle(
        &self,
        id: &str,
        result: CycleResult,
        summary: &CycleSummary,
    ) -> Result<(), StoreError> {
        let summary = serde_json::to_string(summary).expect("a summary serializes");
        let status = RunStatus::from(result);
        self.conn.execute(
            "UPDATE runs SET finished_at = ?2, status = ?3, summary = ?4 WHERE id = ?1",
            params![id, now(), status.label(), summary],
        )?;
        Ok(())
    }

    pub fn finish_run(&self, id: &str, status: RunStatus) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE runs SET finished_at = ?2, status = ?3 WHERE id = ?1",
            params![id, now(), status.label()],
        )?;
        Ok(())
    }

    /// Journal every entry as `pending`, in one transaction: all or nothing.
    pub fn journal(&mut self, run_id: &str, entries: &[KeyChange]) -> Result<Vec<i64>, StoreError> {
        let tx = self.conn.transaction()?;
        let mut ids = Vec::with_capacity(entries.len());
        {
            let mut insert = tx.prepare(
                "INSERT INTO changes (run_id, arn, account, region, resource_type, policy, key, previous, new, state, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'pending', ?10)",
            )?;
            let at = now();
            for e in entries {
                insert.execute(params![
                    run_id,
                    e.arn.as_str(),
                    e.account,
                    e.region,
                    e.resource_type,
                    e.policy,
                    e.key,
                    e.previous,
                    e.new,
                    at
                ])?;
                ids.push(tx.last_insert_rowid());
            }
        }
        tx.commit()?;
        Ok(ids)
    }

    /// Record the outcome of journaled entries, in one transaction.
    pub fn mark(&mut self, marks: &[Mark]) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        {
            let mut update = tx.prepare(
                "UPDATE changes SET state = ?2, error = ?3, updated_at = ?4 WHERE id = ?1",
            )?;
            let at = now();
            for m in marks {
                update.execute(params![m.id, m.state.as_str(), m.error, at])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn entries(&self, filter: &str, arg: &str) -> Result<Vec<JournalEntry>, StoreError> {
        let sql = format!(
            "SELECT id, run_id, arn, account, region, resource_type, policy, key, previous, new, state, error FROM changes WHERE {filter} ORDER BY id"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(params![arg], |r| {
            let entry = JournalEntry {
                id: r.get(0)?,
                run_id: r.get(1)?,
                change: KeyChange {
                    arn: parse_column(r, 2, Arn::parse)?,
                    account: r.get(3)?,
                    region: r.get(4)?,
                    resource_type: r.get(5)?,
                    policy: r.get(6)?,
                    key: r.get(7)?,
                    previous: r.get(8)?,
                    new: r.get(9)?,
                },
                state: ChangeState::Pending,
                error: r.get(11)?,
            };
            Ok((entry, r.get::<_, String>(10)?))
        })?;
        // An unknown state is an error, never taken as pending or applied.
        rows.map(|row| {
            let (mut entry, state) = row?;
            entry.state = ChangeState::parse(&state)?;
            Ok(entry)
        })
        .collect()
    }

    pub fn run_entries(&self, run_id: &str) -> Result<Vec<JournalEntry>, StoreError> {
        self.entries("run_id = ?1", run_id)
    }

    /// Entries journaled but never marked: a run was interrupted between the
    /// journal and the outcome.
    pub fn pending(&self) -> Result<Vec<JournalEntry>, StoreError> {
        self.entries("state = ?1", ChangeState::Pending.as_str())
    }

    /// The keys `restore` runs wrote back since `since` (the journal is
    /// the record: it follows `store.retention`).
    pub fn restores_since(
        &self,
        since: chrono::DateTime<Utc>,
    ) -> Result<Vec<tagwarden_core::restore_cap::Restored>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT c.arn, c.key, c.updated_at FROM changes c JOIN runs r ON r.id = c.run_id
             WHERE r.kind = ?1 AND c.state = ?2 AND c.updated_at >= ?3",
        )?;
        let rows = stmt.query_map(
            params![
                RunKind::Restore.label(),
                ChangeState::Applied.as_str(),
                timestamp(since)
            ],
            |r| {
                let at: String = r.get(2)?;
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, at))
            },
        )?;
        let mut out = Vec::new();
        for row in rows {
            let (arn, key, at) = row?;
            // A time this store did not write is no restore to count.
            if let Ok(at) = chrono::DateTime::parse_from_rfc3339(&at) {
                out.push(tagwarden_core::restore_cap::Restored {
                    arn,
                    key,
                    at: at.with_timezone(&Utc),
                });
            }
        }
        Ok(out)
    }

    /// The keys left alone now: restored `limit` times within `window`.
    pub fn capped(
        &self,
        limit: u32,
        window: std::time::Duration,
    ) -> Result<tagwarden_core::restore_cap::Capped, StoreError> {
        let now = Utc::now();
        let window = chrono::Duration::from_std(window).unwrap_or(chrono::Duration::days(1));
        let restores = self.restores_since(now - window)?;
        Ok(tagwarden_core::restore_cap::Capped::of(
            &restores, limit, window, now,
        ))
    }

    pub fn run(&self, id: &str) -> Result<Option<RunRecord>, StoreError> {
        Ok(self
            .runs_where("r.id = ?1", params![id], "")?
            .into_iter()
            .next())
    }

    /// Runs matching `filter` (over `runs r`), oldest first, then `tail`
    /// (an ORDER BY and LIMIT of the caller's, which wraps the query).
    fn runs_where(
        &self,
        filter: &str,
        args: impl rusqlite::Params,
        tail: &str,
    ) -> Result<Vec<RunRecord>, StoreError> {
        let sql = format!(
            "SELECT r.id, r.kind, r.started_at, r.finished_at, r.status, r.rolls_back, r.summary,
                    COUNT(CASE WHEN c.state = 'applied' THEN 1 END),
                    COUNT(CASE WHEN c.state = 'failed' THEN 1 END),
                    COUNT(CASE WHEN c.state = 'pending' THEN 1 END),
                    COUNT(CASE WHEN c.state = 'rolled_back' THEN 1 END),
                    COUNT(CASE WHEN c.state = 'already' THEN 1 END)
             FROM runs r LEFT JOIN changes c ON c.run_id = r.id
             WHERE {filter} GROUP BY r.id {tail}"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(args, |r| {
            let summary: Option<String> = r.get(6)?;
            Ok(RunRecord {
                id: r.get(0)?,
                kind: parse_column(r, 1, RunKind::parse)?,
                started_at: r.get(2)?,
                finished_at: r.get(3)?,
                status: parse_column(r, 4, RunStatus::parse)?,
                rolls_back: r.get(5)?,
                applied: r.get(7)?,
                failed: r.get(8)?,
                pending: r.get(9)?,
                rolled_back: r.get(10)?,
                already: r.get(11)?,
                // A summary this version cannot read is left out, not fatal:
                // it only describes a finished cycle.
                summary: summary.and_then(|s| serde_json::from_str(&s).ok()),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Apply and rollback runs still marked running whose process is gone
    /// (the caller holds the write lock). Daemon cycles are the daemon's to
    /// settle: one may be running now.
    pub fn mark_interrupted(&self, except: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE runs SET status = ?3, finished_at = ?2 WHERE status = ?4 AND id != ?1 AND kind != ?5",
            params![
                except,
                now(),
                RunStatus::Interrupted.label(),
                RunStatus::Running.label(),
                RunKind::Cycle.label()
            ],
        )?;
        Ok(())
    }

    /// Daemon cycles still marked running: their process is gone (each
    /// daemon has its own store, and this is called at its start).
    pub fn mark_cycles_interrupted(&self) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE runs SET status = ?2, finished_at = ?1 WHERE status = ?3 AND kind = ?4",
            params![
                now(),
                RunStatus::Interrupted.label(),
                RunStatus::Running.label(),
                RunKind::Cycle.label()
            ],
        )?;
        Ok(())
    }

    /// A Cost Explorer answer stored less than `max_age` ago.
    pub fn cached_answer(
        &self,
        key: &str,
        max_age: std::time::Duration,
    ) -> Result<Option<String>, StoreError> {
        let row: Option<(String, String)> = self
            .conn
            .query_row(
                "SELECT answer, fetched_at FROM cost_explorer_cache WHERE key = ?1",
                params![key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let fresh = |at: &str| {
            chrono::DateTime::parse_from_rfc3339(at).is_ok_and(|t| {
                let age = Utc::now().signed_duration_since(t);
                age.to_std().is_ok_and(|age| age < max_age)
            })
        };
        Ok(row.filter(|(_, at)| fresh(at)).map(|(answer, _)| answer))
    }

    pub fn cache_answer(&self, key: &str, answer: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT OR REPLACE INTO cost_explorer_cache (key, answer, fetched_at) VALUES (?1, ?2, ?3)",
            params![key, answer, now()],
        )?;
        Ok(())
    }

    pub fn config_of(&self, run_id: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT config FROM runs WHERE id = ?1",
                params![run_id],
                |r| r.get(0),
            )
            .optional()?
            .flatten())
    }
}

/// Run a store call from async code without stalling the runtime's worker
/// (SQLite waits on the disk): on the multi-threaded runtime the worker
/// hands its other tasks over first. Outside a runtime it just calls `f`.
pub fn blocking<T>(f: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(h) if h.runtime_flavor() == RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        _ => f(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn entry(key: &str) -> KeyChange {
        KeyChange {
            arn: "arn:aws:ec2:us-east-1:111111111111:instance/i-1"
                .parse()
                .unwrap(),
            account: "111111111111".into(),
            region: "us-east-1".into(),
            resource_type: "ec2:instance".into(),
            policy: "map".into(),
            key: key.into(),
            previous: None,
            new: Some("mig12345".into()),
        }
    }

    #[test]
    fn journal_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("state/state.db")).unwrap();
        store.begin_run("r1", RunKind::Apply, "cfg", None).unwrap();
        let ids = store
            .journal("r1", &[entry("map-migrated"), entry("Team")])
            .unwrap();
        assert_eq!(store.pending().unwrap().len(), 2);
        store
            .mark(&[
                Mark::new(ids[0], ChangeState::Applied),
                Mark {
                    id: ids[1],
                    state: ChangeState::Failed,
                    error: Some("denied".into()),
                },
            ])
            .unwrap();
        store.finish_run("r1", RunStatus::Done).unwrap();
        let entries = store.run_entries("r1").unwrap();
        assert_eq!(entries[0].state, ChangeState::Applied);
        assert_eq!(entries[1].error.as_deref(), Some("denied"));
        assert!(store.pending().unwrap().is_empty());
        let run = store.run("r1").unwrap().unwrap();
        assert_eq!(
            (run.applied, run.failed, run.status.label()),
            (1, 1, "done")
        );
        assert_eq!(store.config_of("r1").unwrap().as_deref(), Some("cfg"));
        assert!(store.run("nope").unwrap().is_none());
    }

    #[test]
    fn an_unknown_state_is_an_error_not_pending() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("s.db")).unwrap();
        store.begin_run("r1", RunKind::Apply, "cfg", None).unwrap();
        store.journal("r1", &[entry("map-migrated")]).unwrap();
        store
            .conn
            .execute("UPDATE changes SET state = 'half_done'", [])
            .unwrap();
        let err = store
            .run_entries("r1")
            .expect_err("an unknown state must not be read as any state");
        assert!(matches!(err, StoreError::UnknownState(_)), "{err}");
        assert!(
            err.to_string()
                .contains("unknown journal state `half_done`"),
            "{err}"
        );
        assert!(
            store.pending().unwrap().is_empty(),
            "not taken as pending either"
        );
    }

    #[test]
    fn one_writer_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.db")).unwrap();
        let other = Store::open(&dir.path().join("s.db")).unwrap();
        let held = store.lock().unwrap();
        let err = other.lock().err().expect("the lock is held");
        assert!(
            err.to_string()
                .contains("another tagwarden apply or rollback is running"),
            "{err}"
        );
        drop(held);
        assert!(other.lock().is_ok());
    }

    #[test]
    fn interrupted_runs_are_marked() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.db")).unwrap();
        store.begin_run("old", RunKind::Apply, "cfg", None).unwrap();
        store.begin_run("new", RunKind::Apply, "cfg", None).unwrap();
        store.mark_interrupted("new").unwrap();
        assert_eq!(
            store.run("old").unwrap().unwrap().status,
            RunStatus::Interrupted
        );
        assert_eq!(
            store.run("new").unwrap().unwrap().status,
            RunStatus::Running
        );
        assert_eq!(store.runs_page(10, None).unwrap().runs.len(), 2);
    }
}
