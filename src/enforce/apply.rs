//! `apply`: select the changes due now (recomputed, or exactly those of a
//! reviewed plan whose resources have not changed since), check the
//! blast-radius cap, confirm, then a journaled run, and report.

use super::run::RunSpec;
use super::{Confirm, Enforcer};
use crate::error::Error;
use crate::error::Result;
use crate::inventory::TypeSet;
use crate::scan::{self, Narrowing, Scanned};
use crate::store::{blocking, Store};
use chrono::{DateTime, Utc};
use std::collections::{BTreeSet, HashMap};
use tagwarden_core::apply_rules::{self, Replanned, TagWrite};
use tagwarden_core::journal::{self, RunKind};
use tagwarden_core::plan::{self, Change, PlanDocument};
use tagwarden_core::report::ApplyReport;
use tagwarden_core::Resource;
use tokio_util::sync::CancellationToken;

#[derive(Default)]
pub struct ApplyOptions {
    /// A reviewed plan to apply exactly (`apply --plan`).
    pub plan: Option<PlanDocument>,
    /// `--max-changes`: raises the configured blast-radius cap.
    pub max_changes: Option<usize>,
    pub narrow: Narrowing,
    /// The daemon's shutdown: once it is requested, nothing new is
    /// journaled or written (`Error::Cancelled`).
    pub cancel: Option<CancellationToken>,
    /// What the run is recorded as: `apply` (None), or the daemon's
    /// `restore` of a removed tag.
    pub kind: Option<RunKind>,
}

impl Enforcer<'_> {
    pub async fn apply(
        &self,
        store: &mut Store,
        opts: ApplyOptions,
        confirm: Confirm<'_>,
    ) -> Result<ApplyReport> {
        let now = Utc::now();
        let (narrow, types) = self.apply_scope(&opts)?;
        if !types.any() {
            return Ok(self.finished(ApplyReport::new(now, Vec::new(), Vec::new())));
        }
        let inv = scan::scan(self.aws, self.config, &types, &narrow, self.progress).await?;
        self.progress.clear();
        self.apply_scanned(store, inv.scanned(), opts, confirm, now)
            .await
    }

    /// Apply after the scan: settle the journal of an interrupted run, then
    /// select, cap, confirm and write. The daemon calls this with the
    /// inventory its audit has just scanned.
    pub async fn apply_scanned(
        &self,
        store: &mut Store,
        scanned: Scanned<'_>,
        opts: ApplyOptions,
        confirm: Confirm<'_>,
        now: DateTime<Utc>,
    ) -> Result<ApplyReport> {
        self.reconcile(store, scanned.sessions).await?;
        let (to_apply, mut report) = self.due_changes(opts.plan, scanned, now)?;
        // Keys written back too often lately are left alone, by every writer.
        let events = &self.config.daemon.events;
        let capped = blocking(|| store.capped(events.restore_limit, events.restore_window))?;
        let (to_apply, held) = capped.hold(to_apply);
        report.changes.extend(held);
        apply_rules::check_cap(
            to_apply.len(),
            opts.max_changes.unwrap_or(self.config.max_changes_per_run),
        )?;
        if to_apply.is_empty() {
            return Ok(self.finished(report));
        }
        Self::confirm(confirm, &apply_rules::confirmation_prompt(&to_apply))?;
        if opts.cancel.as_ref().is_some_and(|c| c.is_cancelled()) {
            return Err(Error::Cancelled);
        }
        let entries = journal::key_changes(&to_apply);
        let writes = apply_rules::merge_writes(to_apply.iter().map(TagWrite::of));
        let spec = RunSpec {
            kind: opts.kind.unwrap_or(RunKind::Apply),
            rolls_back: None,
            entries: &entries,
            writes: &writes,
        };
        let run = self
            .journaled_write(store, spec, scanned.sessions, |_| Vec::new())
            .await?;
        report
            .changes
            .extend(apply_rules::written(to_apply, &run.failures, &run.already));
        report.run_id = Some(run.run_id);
        Ok(self.finished(report))
    }

    /// The accounts and types to scan: a reviewed plan's own, once it is
    /// known to come from this configuration; else the remediating policies'.
    fn apply_scope(&self, opts: &ApplyOptions) -> Result<(Narrowing, TypeSet)> {
        let mut narrow = opts.narrow.clone();
        let Some(p) = &opts.plan else {
            return Ok((narrow, self.remediating_types()));
        };
        apply_rules::check_fingerprint(p, self.fingerprint)?;
        if narrow.accounts.is_empty() {
            let accounts: BTreeSet<&String> = p.changes.iter().map(|c| &c.account).collect();
            narrow.accounts = accounts.into_iter().cloned().collect();
        }
        Ok((
            narrow,
            TypeSet::new(p.changes.iter().map(|c| c.resource_type.clone())),
        ))
    }

    /// The changes to write now (the reviewed plan's, or those planned now),
    /// and the report that lists those held back.
    fn due_changes(
        &self,
        reviewed: Option<PlanDocument>,
        scanned: Scanned<'_>,
        now: DateTime<Utc>,
    ) -> Result<(Vec<Change>, ApplyReport)> {
        let found: HashMap<&str, &Resource> = scanned
            .resources
            .iter()
            .map(|r| (r.arn.as_str(), r))
            .collect();
        let policies = &self.policies.policies;
        let (candidates, skipped, replanned) = match reviewed {
            Some(p) => {
                apply_rules::check_known(&p, &found, scanned.errors)?;
                // A reviewed change is written only if the policies would
                // still make exactly it now: windows, scopes and edits to the
                // file are checked again, never trusted.
                let replanned = Replanned::new(scanned.resources, policies, now);
                (p.changes, p.skipped, Some(replanned))
            }
            None => {
                let planned = plan::plan(scanned.resources, policies, now);
                (planned.changes, planned.skipped, None)
            }
        };
        let (to_apply, held) = apply_rules::select(candidates, &found, replanned.as_ref(), now);
        let mut report = ApplyReport::new(now, scanned.errors.to_vec(), skipped);
        report.changes = held;
        Ok((to_apply, report))
    }

    /// The report with its counts and the requests made.
    pub(super) fn finished(&self, mut report: ApplyReport) -> ApplyReport {
        report.finish(self.aws.api.calls());
        report
    }
}
