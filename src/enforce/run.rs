//! A journaled run, shared by apply and rollback: every key change recorded
//! (one transaction) before any request, the tags read again and whatever
//! moved since withheld, the writes per account and region, the read-back,
//! and each entry marked from what shows.

use super::verify::{self, Current};
use super::write::{self, Outcomes};
use super::{after_journal, per_account_region, Enforcer};
use crate::aws::AccountSession;
use crate::error::Result;
use crate::store::{blocking, Store};
use std::collections::{HashMap, HashSet};
use tagwarden_core::apply_rules::{Failure, TagWrite};
use tagwarden_core::journal::{self, KeyChange, Mark, RunKind};

pub struct Written {
    pub run_id: String,
    /// Per resource not applied: why, with the AWS error code of a refused write.
    pub failures: HashMap<String, Failure>,
    /// The resources whose every key already held its value before the
    /// write: nothing written.
    pub already: HashSet<String>,
}

/// What a run is and does.
pub struct RunSpec<'a> {
    pub kind: RunKind,
    pub rolls_back: Option<&'a str>,
    pub entries: &'a [KeyChange],
    pub writes: &'a [TagWrite],
}

impl Enforcer<'_> {
    /// Journal, write, read back and mark. `more_marks` adds marks recorded
    /// in the same transaction (a rollback's originals).
    pub(super) async fn journaled_write(
        &self,
        store: &mut Store,
        spec: RunSpec<'_>,
        sessions: &HashMap<String, AccountSession>,
        more_marks: impl FnOnce(&[Mark]) -> Vec<Mark>,
    ) -> Result<Written> {
        let run_id = uuid::Uuid::now_v7().to_string();
        blocking(|| store.begin_run(&run_id, spec.kind, self.fingerprint, spec.rolls_back))?;
        let ids = blocking(|| store.journal(&run_id, spec.entries))?;
        after_journal().await;
        let concurrency = self.config.concurrent_accounts;
        // Tags read at scan time may be minutes old: read them again just
        // before writing, and withhold what someone changed since.
        let (before, proof) =
            verify::read_before(&self.aws.api, sessions, spec.writes, concurrency).await;
        let (ready, withheld) = verify::still_as_read(spec.writes, &before);
        // What another writer (a cycle, tag on create, a person) already put
        // in place is neither written again nor counted as this run's: only
        // on what the read showed, never on a resource it did not return.
        let ready = verify::still_needed(ready, &proof);
        let mut outcomes = self.write_all(sessions, &ready).await;
        outcomes.extend(withheld);
        let current: Current =
            verify::read_back(&self.aws.api, sessions, spec.writes, &outcomes, concurrency).await;
        let reads = journal::Reads {
            before: &proof,
            after: &current,
        };
        let marks = journal::outcome_marks(spec.entries, &ids, &outcomes, reads);
        blocking(|| store.mark(&[marks.clone(), more_marks(&marks)].concat()))?;
        blocking(|| store.finish_run(&run_id, journal::run_status(&marks)))?;
        let mut failures = journal::failures(spec.entries, &marks);
        for (arn, failure) in &mut failures {
            let refused = outcomes.get(arn).and_then(|r| r.as_ref().err());
            failure.code = refused.and_then(|e| e.code()).map(str::to_string);
        }
        let already = journal::already(spec.entries, &marks);
        Ok(Written {
            run_id,
            failures,
            already,
        })
    }

    /// Write per account (at most `limits.concurrent_accounts` at a time),
    /// each account's regions at once.
    async fn write_all(
        &self,
        sessions: &HashMap<String, AccountSession>,
        writes: &[TagWrite],
    ) -> Outcomes {
        let api = &self.aws.api;
        let groups = writes
            .iter()
            .map(|w| ((w.account.clone(), w.region.clone()), w.clone()));
        let written = per_account_region(
            groups,
            self.config.concurrent_accounts,
            |account, region, ws| async move {
                match sessions.get(&account) {
                    Some(session) => write::write(api, session, &region, &ws)
                        .await
                        .into_iter()
                        .collect(),
                    None => {
                        let no_session = write::TagError::NoSession(account);
                        ws.into_iter()
                            .map(|w| (w.arn.to_string(), Err(no_session.clone())))
                            .collect()
                    }
                }
            },
        )
        .await;
        written.into_iter().collect()
    }
}
