//! Keeping the store bounded: runs past `store.retention` with nothing
//! left to roll back are pruned, and `history` reads runs a page at a time.

use super::{timestamp, Store, StoreError};
use chrono::{DateTime, Utc};
use rusqlite::params;
use serde::Serialize;
use tagwarden_core::journal::{ChangeState, RunRecord, RunStatus};

/// Which old runs `prune` removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prune {
    /// Runs with nothing left to roll back or to settle: daemon cycles,
    /// runs that wrote nothing, runs whose changes failed or were undone.
    Settled,
    /// Also runs whose changes could still be rolled back (after this,
    /// they cannot be).
    RollbackToo,
}

/// What a prune removed, and what it kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Pruned {
    pub runs: usize,
    pub changes: usize,
    /// Runs older than the cut-off kept because their changes could still
    /// be rolled back (or are pending, to be settled).
    pub kept: usize,
}

/// A page of `history`: runs oldest first, and how many are older.
#[derive(Debug, Clone)]
pub struct RunsPage {
    pub runs: Vec<RunRecord>,
    pub older: usize,
}

/// A run older than the cut-off (?1) that has finished.
const OLD: &str = "runs.started_at < ?1 AND runs.status != ?2";

/// ...and still has a change that could be rolled back, or is pending.
const UNDOABLE: &str =
    "EXISTS (SELECT 1 FROM changes c WHERE c.run_id = runs.id AND c.state IN (?3, ?4))";

impl Store {
    /// Remove the runs started before `before` (and their journal) that
    /// `which` allows, in one transaction.
    pub fn prune(&mut self, before: DateTime<Utc>, which: Prune) -> Result<Pruned, StoreError> {
        let doomed = match which {
            Prune::Settled => format!("{OLD} AND NOT {UNDOABLE}"),
            Prune::RollbackToo => format!("{OLD} AND ?3 = ?3 AND ?4 = ?4"),
        };
        let args = params![
            timestamp(before),
            RunStatus::Running.label(),
            ChangeState::Applied.as_str(),
            ChangeState::Pending.as_str()
        ];
        let tx = self.conn.transaction()?;
        let changes = tx.execute(
            &format!("DELETE FROM changes WHERE run_id IN (SELECT id FROM runs WHERE {doomed})"),
            args,
        )?;
        let runs = tx.execute(&format!("DELETE FROM runs WHERE {doomed}"), args)?;
        // What drift saw is kept as long as the runs are.
        Store::prune_removals(&tx, before)?;
        let kept = tx.query_row(
            &format!("SELECT COUNT(*) FROM runs WHERE {OLD} AND {UNDOABLE}"),
            args,
            |r| r.get(0),
        )?;
        tx.commit()?;
        Ok(Pruned {
            runs,
            changes,
            kept,
        })
    }

    /// At most `limit` runs, the newest of those started before the run
    /// `before` (None: of all), oldest first.
    pub fn runs_page(&self, limit: usize, before: Option<&str>) -> Result<RunsPage, StoreError> {
        const CURSOR: &str = "(SELECT started_at, id FROM runs WHERE id = ?1)";
        let filter = match before {
            Some(_) => format!("(r.started_at, r.id) < {CURSOR}"),
            None => "?1 IS NULL".to_string(),
        };
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut runs = self.runs_where(
            &filter,
            params![before, limit],
            "ORDER BY r.started_at DESC, r.id DESC LIMIT ?2",
        )?;
        runs.reverse();
        let older = match runs.first() {
            None => 0,
            Some(first) => self.conn.query_row(
                "SELECT COUNT(*) FROM runs WHERE (started_at, id) < (?1, ?2)",
                params![first.started_at, first.id],
                |r| r.get(0),
            )?,
        };
        Ok(RunsPage { runs, older })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tagwarden_core::journal::{KeyChange, Mark, RunKind};

    fn change() -> KeyChange {
        super::super::tests::entry("map-migrated")
    }

    /// A finished run started at `at`, with one change per state.
    fn run(store: &mut Store, id: &str, kind: RunKind, at: &str, states: &[ChangeState]) {
        store.begin_run(id, kind, "cfg", None).unwrap();
        let ids = store.journal(id, &vec![change(); states.len()]).unwrap();
        let marks: Vec<Mark> = ids
            .iter()
            .zip(states)
            .filter(|(_, s)| **s != ChangeState::Pending)
            .map(|(id, s)| Mark::new(*id, *s))
            .collect();
        store.mark(&marks).unwrap();
        store.finish_run(id, RunStatus::Done).unwrap();
        store
            .conn
            .execute(
                "UPDATE runs SET started_at = ?2 WHERE id = ?1",
                params![id, at],
            )
            .unwrap();
    }

    fn ids(store: &Store) -> Vec<String> {
        let page = store.runs_page(100, None).unwrap();
        page.runs.into_iter().map(|r| r.id).collect()
    }

    const OLD: &str = "2024-01-01T00:00:00.000Z";

    fn estate(store: &mut Store) {
        use ChangeState::*;
        run(store, "cycle-old", RunKind::Cycle, OLD, &[]);
        run(
            store,
            "apply-applied",
            RunKind::Apply,
            "2024-01-02T00:00:00.000Z",
            &[Applied, Failed],
        );
        run(
            store,
            "apply-failed",
            RunKind::Apply,
            "2024-01-03T00:00:00.000Z",
            &[Failed, NotApplied],
        );
        run(
            store,
            "apply-pending",
            RunKind::Apply,
            "2024-01-04T00:00:00.000Z",
            &[Pending],
        );
        run(
            store,
            "apply-undone",
            RunKind::Apply,
            "2024-01-05T00:00:00.000Z",
            &[RolledBack],
        );
        run(
            store,
            "rollback-old",
            RunKind::Rollback,
            "2024-01-06T00:00:00.000Z",
            &[Applied],
        );
        run(
            store,
            "cycle-new",
            RunKind::Cycle,
            "2026-11-01T00:00:00.000Z",
            &[],
        );
        store
            .begin_run("running-old", RunKind::Cycle, "cfg", None)
            .unwrap();
        store
            .conn
            .execute(
                "UPDATE runs SET started_at = ?1 WHERE id = 'running-old'",
                params![OLD],
            )
            .unwrap();
    }

    fn cut() -> DateTime<Utc> {
        "2025-01-01T00:00:00Z".parse().unwrap()
    }

    #[test]
    fn settled_old_runs_go_and_those_that_can_be_rolled_back_stay() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("s.db")).unwrap();
        estate(&mut store);
        let pruned = store.prune(cut(), Prune::Settled).unwrap();
        assert_eq!(
            pruned,
            Pruned {
                runs: 3,
                changes: 3,
                kept: 3
            }
        );
        assert_eq!(
            ids(&store),
            [
                "running-old",
                "apply-applied",
                "apply-pending",
                "rollback-old",
                "cycle-new"
            ]
        );
        // What stays can still be rolled back: its journal is whole.
        assert_eq!(store.run_entries("apply-applied").unwrap().len(), 2);
        assert_eq!(
            store.prune(cut(), Prune::Settled).unwrap().runs,
            0,
            "idempotent"
        );
    }

    #[test]
    fn rollback_runs_go_only_when_asked_and_never_a_running_one() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("s.db")).unwrap();
        estate(&mut store);
        let pruned = store.prune(cut(), Prune::RollbackToo).unwrap();
        assert_eq!((pruned.runs, pruned.changes, pruned.kept), (6, 7, 0));
        assert_eq!(ids(&store), ["running-old", "cycle-new"]);
        let left: i64 = store
            .conn
            .query_row("SELECT COUNT(*) FROM changes", [], |r| r.get(0))
            .unwrap();
        assert_eq!(left, 0, "no journal entry outlives its run");
    }

    #[test]
    fn history_reads_a_page_at_a_time_newest_page_first() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("s.db")).unwrap();
        for i in 0..7 {
            let at = format!("2026-01-0{}T00:00:00.000Z", i + 1);
            run(&mut store, &format!("r{i}"), RunKind::Cycle, &at, &[]);
        }
        let page = |before: Option<&str>| {
            let p = store.runs_page(3, before).unwrap();
            (
                p.runs.into_iter().map(|r| r.id).collect::<Vec<_>>(),
                p.older,
            )
        };
        assert_eq!(page(None), (vec!["r4".into(), "r5".into(), "r6".into()], 4));
        assert_eq!(
            page(Some("r4")),
            (vec!["r1".into(), "r2".into(), "r3".into()], 1)
        );
        assert_eq!(page(Some("r1")), (vec!["r0".to_string()], 0));
        assert_eq!(page(Some("r0")), (vec![], 0));
    }
}
