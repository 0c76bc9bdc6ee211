//! `rollback RUN_ID`: restore what a run changed, each key to its previous
//! value or removed where the run added it; refused per resource where
//! someone changed a key again since. The rollback is itself a journaled run.

use super::run::RunSpec;
use super::verify::{self, Located};
use super::{Confirm, Enforcer};
use crate::error::{Error, Result};
use crate::scan;
use crate::store::{blocking, Store};
use std::collections::BTreeSet;
use tagwarden_core::journal::RunKind;
use tagwarden_core::report::ApplyReport;
use tagwarden_core::rollback::{self as rollback_rules, RollbackPlan};

impl Enforcer<'_> {
    pub async fn rollback(
        &self,
        store: &mut Store,
        run_id: &str,
        confirm: Confirm<'_>,
    ) -> Result<ApplyReport> {
        if blocking(|| store.run(run_id))?.is_none() {
            return Err(Error::usage(format!(
                "no run `{run_id}` in the state store {}: see `tagwarden history`",
                self.config.store.display()
            )));
        }
        let entries = rollback_rules::undoable(blocking(|| store.run_entries(run_id))?);
        if entries.is_empty() {
            return Err(Error::usage(format!(
                "run `{run_id}` has no applied changes to roll back"
            )));
        }
        let accounts: BTreeSet<String> = entries.iter().map(|e| e.change.account.clone()).collect();
        let (sessions, mut errors) = scan::open_sessions(self.aws, self.config, accounts).await;
        let located = entries.iter().map(|e| Located::from(&e.change)).collect();
        let current = verify::read_current(
            &self.aws.api,
            &sessions,
            located,
            self.config.concurrent_accounts,
        )
        .await;
        let RollbackPlan {
            settled,
            restores,
            skipped,
            errors: unreadable,
        } = rollback_rules::plan_rollback(run_id, entries, &current);
        blocking(|| store.mark(&settled))?;
        errors.extend(unreadable);
        let mut report = ApplyReport::new(chrono::Utc::now(), errors, skipped);
        if restores.is_empty() {
            return Ok(self.finished(report));
        }
        let keys: usize = restores.iter().map(|r| r.entries.len()).sum();
        let prompt = format!(
            "Restore {keys} tag(s) on {} resource(s) changed by run {run_id}?",
            restores.len()
        );
        Self::confirm(confirm, &prompt)?;
        let inverse = rollback_rules::inverse(&restores);
        let writes: Vec<_> = restores.iter().map(|r| r.write.clone()).collect();
        let spec = RunSpec {
            kind: RunKind::Rollback,
            rolls_back: Some(run_id),
            entries: &inverse,
            writes: &writes,
        };
        // One transaction: the rollback's outcome and the originals' state.
        let run = self
            .journaled_write(store, spec, &sessions, |marks| {
                rollback_rules::rolled_back(&restores, marks)
            })
            .await?;
        report.changes = rollback_rules::report_changes(&restores, &run.failures);
        report.run_id = Some(run.run_id);
        Ok(self.finished(report))
    }
}
