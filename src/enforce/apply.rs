//! `apply`: select the changes due now (recomputed, or exactly those of a
//! reviewed plan whose resources have not changed since), check the
//! blast-radius cap, confirm, then a journaled run, and report.

use super::run::{RunSpec, Written};
use super::{Confirm, Enforcer};
use crate::error::Result;
use crate::inventory::TypeSet;
use crate::scan::{self, Inventory, Narrowing};
use crate::store::Store;
use chrono::{DateTime, Utc};
use std::collections::{BTreeSet, HashMap};
use tagwarden_core::apply::{self as decide, Failure, Replanned, TagWrite};
use tagwarden_core::journal::{self, ChangeState, KeyChange};
use tagwarden_core::plan::{self, Change, PlanDocument};
use tagwarden_core::report::ApplyReport;
use tagwarden_core::Resource;

pub struct ApplyOptions {
    /// A reviewed plan to apply exactly (`apply --plan`).
    pub plan: Option<PlanDocument>,
    /// `--max-changes`: raises the configured blast-radius cap.
    pub max_changes: Option<usize>,
    pub narrow: Narrowing,
}

/// What to write and what was held back.
struct Selection {
    to_apply: Vec<Change>,
    report: ApplyReport,
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
        self.reconcile(store, &inv.sessions).await?;
        let Selection {
            to_apply,
            mut report,
        } = self.select(opts.plan, &inv, now)?;
        decide::check_cap(
            to_apply.len(),
            opts.max_changes.unwrap_or(self.config.max_changes_per_run),
        )?;
        if to_apply.is_empty() {
            return Ok(self.finished(report));
        }
        Self::confirm(confirm, &decide::confirmation_prompt(&to_apply))?;
        let entries = journal::key_changes(&to_apply);
        let writes = decide::merge_writes(to_apply.iter().map(TagWrite::of));
        let spec = RunSpec {
            kind: "apply",
            rolls_back: None,
            entries: &entries,
            writes: &writes,
        };
        let run = self
            .journaled_write(store, spec, &inv.sessions, |_| Vec::new())
            .await?;
        report
            .changes
            .extend(decide::written(to_apply, &failures(&entries, &run)));
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
        decide::check_fingerprint(p, &self.fingerprint)?;
        if narrow.accounts.is_empty() {
            let accounts: BTreeSet<&String> = p.changes.iter().map(|c| &c.account).collect();
            narrow.accounts = accounts.into_iter().cloned().collect();
        }
        Ok((
            narrow,
            TypeSet::new(p.changes.iter().map(|c| c.resource_type.clone())),
        ))
    }

    /// The candidates (the reviewed plan's, or those planned now), split
    /// into those to write and those held back.
    fn select(
        &self,
        reviewed: Option<PlanDocument>,
        inv: &Inventory,
        now: DateTime<Utc>,
    ) -> Result<Selection> {
        let found: HashMap<&str, &Resource> =
            inv.resources.iter().map(|r| (r.arn.as_str(), r)).collect();
        let policies = &self.policies.policies;
        let (candidates, skipped, replanned) = match reviewed {
            Some(p) => {
                decide::check_known(&p, &found, &inv.errors)?;
                // A reviewed change is written only if the policies would
                // still make exactly it now: windows, scopes and edits to the
                // file are checked again, never trusted.
                let replanned = Replanned::new(&inv.resources, policies, now);
                (p.changes, p.skipped, Some(replanned))
            }
            None => {
                let planned = plan::plan(&inv.resources, policies, now);
                (planned.changes, planned.skipped, None)
            }
        };
        let (to_apply, held) = decide::select(candidates, &found, replanned.as_ref(), now);
        let mut report = ApplyReport::new(now, inv.errors.clone(), skipped);
        report.changes = held;
        Ok(Selection { to_apply, report })
    }

    /// The report with its counts and the requests made.
    pub(super) fn finished(&self, mut report: ApplyReport) -> ApplyReport {
        report.finish(self.aws.api.calls());
        report
    }
}

/// Per resource, why its write is not applied: the first entry not applied,
/// with the AWS error code of the write when AWS refused it.
fn failures(entries: &[KeyChange], run: &Written) -> HashMap<String, Failure> {
    let mut out: HashMap<String, Failure> = HashMap::new();
    for (e, mark) in entries.iter().zip(&run.marks) {
        if mark.state == ChangeState::Applied {
            continue;
        }
        let code = run
            .outcomes
            .get(&e.arn)
            .and_then(|r| r.as_ref().err())
            .and_then(|err| err.code())
            .map(str::to_string);
        out.entry(e.arn.clone()).or_insert(Failure {
            reason: mark.error.clone(),
            code,
        });
    }
    out
}
