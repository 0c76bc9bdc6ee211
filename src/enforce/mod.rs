//! Enforcement: `plan` (scan, then the pure planner), `apply` (select, cap,
//! confirm, journal, write, verify, report) and `rollback` (restore what a
//! run changed). Every write is in the journal before it is sent; an
//! interrupted run is settled against the resources' current tags by the
//! next apply or rollback (`reconcile`). The decisions are pure and live in
//! `tagwarden_core::{plan, apply, journal, rollback}`; this module does the
//! I/O around them.

mod apply;
mod reconcile;
mod rollback;
mod run;
mod verify;
pub mod write;

pub use apply::ApplyOptions;

use crate::aws::Aws;
use crate::error::{Error, Result};
use crate::inventory::TypeSet;
use crate::progress::Progress;
use crate::scan::{self, Narrowing};
use chrono::{DateTime, Utc};
use futures::future::join_all;
use futures::stream::{self, StreamExt};
use std::collections::BTreeMap;
use tagwarden_core::apply::Refusal;
use tagwarden_core::config::Config;
use tagwarden_core::plan::{self, PlanDocument};
use tagwarden_core::policy::PolicySet;

/// Set to make the process abort right after the journal is written and
/// before any tag is sent: how tests simulate a crash at the worst moment.
pub const CRASH_AFTER_JOURNAL_ENV: &str = "TAGWARDEN_CRASH_AFTER_JOURNAL";

/// Milliseconds to wait between the journal and the writes: how tests stop
/// the daemon while a write is in flight.
pub const PAUSE_AFTER_JOURNAL_ENV: &str = "TAGWARDEN_PAUSE_AFTER_JOURNAL_MS";

/// Asks before anything is written: true to go ahead.
pub type Confirm<'a> = Box<dyn FnOnce(&str) -> Result<bool> + Send + 'a>;

pub struct Enforcer<'a> {
    pub aws: &'a Aws,
    pub config: &'a Config,
    pub policies: &'a PolicySet,
    /// Fingerprint of the configuration and policy files.
    pub fingerprint: String,
    pub progress: &'a Progress,
}

impl Enforcer<'_> {
    /// The dry run: what enforcement would change at `at`.
    pub async fn plan(&self, narrow: &Narrowing, at: DateTime<Utc>) -> Result<PlanDocument> {
        let types = self.remediating_types();
        if !types.any() {
            return Err(Error::usage(
                "no policy has a `remediate` section: there is nothing to plan",
            ));
        }
        let inv = scan::scan(self.aws, self.config, &types, narrow, self.progress).await?;
        self.progress.clear();
        let planned = plan::plan(&inv.resources, &self.policies.policies, at);
        Ok(PlanDocument {
            run_id: uuid::Uuid::now_v7().to_string(),
            generated_at: Utc::now(),
            at,
            config: self.fingerprint.clone(),
            changes: planned.changes,
            skipped: planned.skipped,
            errors: inv.errors,
            costs: Default::default(),
            cost_currency: None,
        })
    }

    /// The types of the policies that write tags.
    fn remediating_types(&self) -> TypeSet {
        TypeSet::new(
            self.policies
                .policies
                .iter()
                .filter(|p| p.remediate.is_some())
                .flat_map(|p| p.resource_types.iter().cloned()),
        )
    }

    /// Ask, and refuse unless the answer is yes.
    fn confirm(confirm: Confirm<'_>, prompt: &str) -> Result<()> {
        if confirm(prompt)? {
            Ok(())
        } else {
            Err(Refusal::NotConfirmed.into())
        }
    }
}

/// Run `work(account, region, items)` once per (account, region) group of
/// `items`: accounts at most `concurrency` at a time (each holds its own
/// connections), each account's regions at once. The outputs, concatenated.
async fn per_account_region<I, O, F, Fut>(
    items: impl IntoIterator<Item = ((String, String), I)>,
    concurrency: usize,
    work: F,
) -> Vec<O>
where
    F: Fn(String, String, Vec<I>) -> Fut,
    Fut: std::future::Future<Output = Vec<O>>,
{
    let mut groups: BTreeMap<String, BTreeMap<String, Vec<I>>> = BTreeMap::new();
    for ((account, region), item) in items {
        groups
            .entry(account)
            .or_default()
            .entry(region)
            .or_default()
            .push(item);
    }
    let work = &work;
    let accounts = groups.into_iter().map(|(account, regions)| async move {
        let per_region = regions
            .into_iter()
            .map(|(region, items)| work(account.clone(), region, items));
        join_all(per_region)
            .await
            .into_iter()
            .flatten()
            .collect::<Vec<O>>()
    });
    stream::iter(accounts)
        .buffer_unordered(concurrency)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// The test hooks between the journal and the writes.
async fn after_journal() {
    if std::env::var_os(CRASH_AFTER_JOURNAL_ENV).is_some() {
        eprintln!("{CRASH_AFTER_JOURNAL_ENV} is set: aborting after the journal write");
        std::process::abort();
    }
    let pause = std::env::var(PAUSE_AFTER_JOURNAL_ENV).ok();
    if let Some(ms) = pause.and_then(|ms| ms.parse::<u64>().ok()) {
        tracing::warn!("{PAUSE_AFTER_JOURNAL_ENV} is set: waiting {ms} ms before writing");
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    }
}
