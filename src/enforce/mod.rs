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
use crate::config::Loaded;
use crate::error::{Error, Result};
use crate::inventory::TypeSet;
use crate::progress::Progress;
use crate::scan::{self, Narrowing};
use chrono::{DateTime, Utc};
use futures::future::join_all;
use futures::stream::{self, StreamExt};
use std::collections::BTreeMap;
use tagwarden_core::apply_rules::Refusal;
use tagwarden_core::config::Config;
use tagwarden_core::plan::{self, PlanDocument};
use tagwarden_core::policy::PolicySet;

/// Asks before anything is written: true to go ahead.
pub type Confirm<'a> = Box<dyn FnOnce(&str) -> Result<bool> + Send + 'a>;

pub struct Enforcer<'a> {
    aws: &'a Aws,
    config: &'a Config,
    policies: &'a PolicySet,
    /// Fingerprint of the configuration and policy files.
    fingerprint: &'a str,
    progress: &'a Progress,
}

impl<'a> Enforcer<'a> {
    /// The one way to build an enforcer: from what was loaded and checked.
    pub fn new(aws: &'a Aws, loaded: &'a Loaded, progress: &'a Progress) -> Enforcer<'a> {
        Enforcer {
            aws,
            config: &loaded.config,
            policies: &loaded.policies,
            fingerprint: &loaded.fingerprint,
            progress,
        }
    }
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
        let mut planned = plan::plan(&inv.resources, &self.policies.policies, at);
        let (changes, capped) = self.capped()?.hold_planned(planned.changes);
        planned.skipped.extend(capped);
        Ok(PlanDocument {
            run_id: uuid::Uuid::now_v7().to_string(),
            generated_at: Utc::now(),
            at,
            config: self.fingerprint.to_string(),
            changes,
            skipped: planned.skipped,
            errors: inv.errors,
            costs: Default::default(),
            cost_currency: None,
        })
    }

    /// The keys written back too often lately, from the state store when
    /// there is one (a plan never creates it).
    fn capped(&self) -> Result<tagwarden_core::restore_cap::Capped> {
        if !self.config.store.exists() {
            return Ok(Default::default());
        }
        let events = &self.config.daemon.events;
        let store = crate::store::blocking(|| crate::store::Store::open(&self.config.store))?;
        Ok(crate::store::blocking(|| {
            store.capped(events.restore_limit, events.restore_window)
        })?)
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

/// Between the journal and the writes: nothing in a release build; with
/// the `test-hooks` feature, how tests crash or pause at the worst moment.
async fn after_journal() {
    #[cfg(feature = "test-hooks")]
    crate::test_hooks::after_journal().await;
}
