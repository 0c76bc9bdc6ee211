//! The removals and changes of policy keys the daemon saw on its event
//! queues (`tagwarden drift`), kept as long as the runs (`store.retention`).

use super::{timestamp, Store, StoreError};
use chrono::{DateTime, Utc};
use rusqlite::params;
use std::path::Path;
use tagwarden_core::cloudtrail::tool::Tool;
use tagwarden_core::report::drift::LastRemovals;
use tagwarden_core::report::{Removal, RemovalOutcome};

pub(super) const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS removals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    arn TEXT NOT NULL,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    policy TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT,
    event_time TEXT,
    seen_at TEXT NOT NULL,
    principal TEXT,
    tool TEXT NOT NULL,
    user_agent TEXT,
    outcome TEXT NOT NULL,
    restored_at TEXT,
    fix TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS removals_by_seen ON removals(seen_at);
CREATE INDEX IF NOT EXISTS removals_by_key ON removals(arn, key, id);";

impl Store {
    /// Record removals, in one transaction.
    pub fn record_removals(&mut self, removals: &[Removal]) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        {
            let mut insert = tx.prepare(
                "INSERT INTO removals (arn, account, region, resource_type, policy, key, value,
                 event_time, seen_at, principal, tool, user_agent, outcome, restored_at, fix)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            )?;
            for r in removals {
                insert.execute(params![
                    r.arn,
                    r.account,
                    r.region,
                    r.resource_type,
                    r.policy,
                    r.key,
                    r.value,
                    r.event_time,
                    r.seen_at,
                    r.principal,
                    r.tool.label(),
                    r.user_agent,
                    r.outcome.label(),
                    r.restored_at,
                    r.fix
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The removals seen since `since`, oldest first. A row this version
    /// cannot read (a tool or outcome a newer tagwarden wrote) is left out.
    pub fn removals_since(&self, since: DateTime<Utc>) -> Result<Vec<Removal>, StoreError> {
        self.removals(
            "WHERE seen_at >= ?1 ORDER BY seen_at, id",
            params![timestamp(since)],
        )
    }

    /// The last `n` removals seen, oldest first (the pages' "Tags removed
    /// lately").
    pub fn last_removals(&self, n: usize) -> Result<Vec<Removal>, StoreError> {
        let mut last = self.removals(
            "ORDER BY seen_at DESC, id DESC LIMIT ?1",
            params![n.min(i64::MAX as usize) as i64],
        )?;
        last.reverse();
        Ok(last)
    }

    /// The last removal of each key on each resource (the findings'
    /// hints), all the store keeps.
    pub fn last_removal_of_each_key(&self) -> Result<LastRemovals, StoreError> {
        let last = self.removals(
            "WHERE id IN (SELECT MAX(id) FROM removals GROUP BY arn, key) ORDER BY seen_at, id",
            [],
        )?;
        Ok(LastRemovals::new(last))
    }

    /// The removals `clause` (what follows `FROM removals`) selects, in
    /// its order; a row this version cannot read is left out.
    fn removals(
        &self,
        clause: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<Removal>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT arn, account, region, resource_type, policy, key, value, event_time, seen_at,
                    principal, tool, user_agent, outcome, restored_at, fix
             FROM removals {clause}"
        ))?;
        let rows = stmt.query_map(params, |r| {
            let tool: String = r.get(10)?;
            let outcome: String = r.get(12)?;
            Ok((
                Tool::parse(&tool),
                RemovalOutcome::parse(&outcome),
                Removal {
                    arn: r.get(0)?,
                    account: r.get(1)?,
                    region: r.get(2)?,
                    resource_type: r.get(3)?,
                    policy: r.get(4)?,
                    key: r.get(5)?,
                    value: r.get(6)?,
                    event_time: r.get(7)?,
                    seen_at: r.get(8)?,
                    principal: r.get(9)?,
                    tool: Tool::Unknown,
                    user_agent: r.get(11)?,
                    outcome: RemovalOutcome::Reported,
                    restored_at: r.get(13)?,
                    fix: r.get(14)?,
                },
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            if let (Some(tool), Some(outcome), mut removal) = row? {
                removal.tool = tool;
                removal.outcome = outcome;
                out.push(removal);
            }
        }
        Ok(out)
    }

    /// Drop the removals seen before `before`.
    pub(super) fn prune_removals(
        tx: &rusqlite::Transaction<'_>,
        before: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        Ok(tx.execute(
            "DELETE FROM removals WHERE seen_at < ?1",
            params![timestamp(before)],
        )?)
    }
}

/// For a command that reads removals only to say more (`audit`,
/// `report`): what `read` gets from the configured store, opened read-only
/// (nothing is created or changed in it). Nothing when its file does not
/// exist (no daemon recorded any there); a store that cannot be opened or
/// read (an older one without removals included) is warned about, once,
/// and the command goes on without.
pub fn read_removals<T: Default>(
    path: &Path,
    read: impl FnOnce(&Store) -> Result<T, StoreError>,
) -> T {
    match path.try_exists() {
        Ok(true) => {}
        Ok(false) => return T::default(),
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "cannot see the state store; going on without the removals of policies' tags");
            return T::default();
        }
    }
    match Store::open_read_only(path).and_then(|store| read(&store)) {
        Ok(found) => found,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the removals of policies' tags from the state store; going on without them");
            T::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn removal(seen_at: &str, outcome: RemovalOutcome) -> Removal {
        Removal {
            arn: "arn:aws:ec2:eu-west-1:222222222222:instance/i-1".into(),
            account: "222222222222".into(),
            region: "eu-west-1".into(),
            resource_type: "ec2:instance".into(),
            policy: "map-migrated".into(),
            key: "map-migrated".into(),
            value: None,
            event_time: Some("2026-12-07T10:00:00Z".into()),
            seen_at: seen_at.into(),
            principal: Some("arn:aws:sts::222222222222:assumed-role/terraform-ci/s".into()),
            tool: Tool::Terraform,
            user_agent: Some("Terraform/1.5.7".into()),
            outcome,
            restored_at: None,
            fix: Tool::Terraform.fix("map-migrated"),
        }
    }

    #[test]
    fn removals_are_recorded_read_back_and_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("s.db")).unwrap();
        let old = removal("2026-11-01T00:00:00.000Z", RemovalOutcome::Restored);
        let new = removal("2026-12-07T10:00:02.000Z", RemovalOutcome::Capped);
        store.record_removals(&[old.clone(), new.clone()]).unwrap();
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert_eq!(
            store.removals_since(at("2026-01-01T00:00:00Z")).unwrap(),
            [old, new.clone()]
        );
        assert_eq!(
            store.removals_since(at("2026-12-01T00:00:00Z")).unwrap(),
            std::slice::from_ref(&new)
        );
        let tx = store.conn.transaction().unwrap();
        assert_eq!(
            Store::prune_removals(&tx, at("2026-12-01T00:00:00Z")).unwrap(),
            1
        );
        tx.commit().unwrap();
        assert_eq!(
            store.removals_since(at("2026-01-01T00:00:00Z")).unwrap(),
            [new]
        );
    }

    #[test]
    fn the_last_removals_and_the_last_of_each_key() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("s.db")).unwrap();
        let first = removal("2026-12-01T00:00:00.000Z", RemovalOutcome::Restored);
        let owner = Removal {
            key: "Owner".into(),
            ..removal("2026-12-02T00:00:00.000Z", RemovalOutcome::Reported)
        };
        let last = removal("2026-12-03T00:00:00.000Z", RemovalOutcome::Capped);
        let rows = [first.clone(), owner.clone(), last.clone()];
        store.record_removals(&rows).unwrap();
        assert_eq!(
            store.last_removals(2).unwrap(),
            [owner.clone(), last.clone()]
        );
        assert_eq!(store.last_removals(10).unwrap(), rows);
        let by_key = store.last_removal_of_each_key().unwrap();
        assert_eq!(by_key, LastRemovals::new([owner, last]));
        assert_eq!(by_key, LastRemovals::new(rows));
    }

    #[test]
    fn a_command_reads_removals_only_from_a_store_it_can_read() {
        let dir = tempfile::tempdir().unwrap();
        let read = |path: &Path| read_removals(path, |s| s.last_removals(10));
        // No store: none is created.
        let absent = dir.path().join("absent.db");
        assert!(read(&absent).is_empty());
        assert!(!absent.exists());
        // Not a store: warned about, read as none.
        let garbage = dir.path().join("garbage.db");
        std::fs::write(&garbage, "not SQLite, not at all; ".repeat(100)).unwrap();
        assert!(read(&garbage).is_empty());
        // A store the daemon recorded in.
        let kept = dir.path().join("kept.db");
        let row = removal("2026-12-03T00:00:00.000Z", RemovalOutcome::Capped);
        Store::open(&kept)
            .unwrap()
            .record_removals(std::slice::from_ref(&row))
            .unwrap();
        assert_eq!(read(&kept), [row]);
        // A store from before removals were kept: read as none, unchanged.
        let older = dir.path().join("older.db");
        rusqlite::Connection::open(&older)
            .unwrap()
            .execute_batch("CREATE TABLE runs (id TEXT PRIMARY KEY);")
            .unwrap();
        let before = std::fs::read(&older).unwrap();
        assert!(read(&older).is_empty());
        assert_eq!(std::fs::read(&older).unwrap(), before, "nothing written");
        assert!(!dir.path().join("older.db-wal").exists());
    }
}
