//! Settling the journal of interrupted runs before anything else is
//! written: a pending write that shows on the resource is applied, one that
//! does not never happened. Entries this process cannot read (other
//! accounts, read errors) stay pending. Only the holder of the store's lock
//! calls this, so a run still marked running is known to be dead.

use super::verify::{self, Located};
use super::Enforcer;
use crate::aws::AccountSession;
use crate::error::Result;
use crate::store::{blocking, Store};
use std::collections::HashMap;
use tagwarden_core::journal;

impl Enforcer<'_> {
    pub(super) async fn reconcile(
        &self,
        store: &mut Store,
        sessions: &HashMap<String, AccountSession>,
    ) -> Result<()> {
        let pending = blocking(|| store.pending())?;
        if !pending.is_empty() {
            let located = pending.iter().map(|e| Located::from(&e.change)).collect();
            let current = verify::read_current(
                &self.aws.api,
                sessions,
                located,
                self.config.concurrent_accounts,
            )
            .await;
            let marks = journal::settle(&pending, &current);
            if !marks.is_empty() {
                tracing::warn!(
                    entries = marks.len(),
                    "settled the journal of an interrupted run"
                );
            }
            blocking(|| store.mark(&marks))?;
        }
        blocking(|| store.mark_interrupted(""))?;
        Ok(())
    }
}
