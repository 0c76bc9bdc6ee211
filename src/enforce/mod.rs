//! Enforcement: `plan` (scan, then the pure planner), `apply` (journal, write,
//! verify) and `rollback` (restore what a run changed). Every write is in the
//! journal before it is sent; an interrupted run is reconciled against the
//! resources' current tags by the next apply or rollback.

pub mod write;

use crate::audit::{self, Narrowing};
use crate::aws::{AccountSession, Aws};
use crate::inventory::TypeSet;
use crate::progress::Progress;
use crate::store::{ChangeState, JournalEntry, NewEntry, Store};
use crate::UsageError;
use chrono::{DateTime, Utc};
use futures::future::join_all;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use tagwarden_core::config::Config;
use tagwarden_core::plan::{self, Change, PlanDocument, Skip};
use tagwarden_core::policy::PolicySet;
use tagwarden_core::report::ScanError;
use tagwarden_core::time::rfc3339;
use tagwarden_core::{Resource, Tags};
use write::{shown, TagWrite};

/// Set to make the process abort right after the journal is written and
/// before any tag is sent: how tests simulate a crash at the worst moment.
pub const CRASH_AFTER_JOURNAL_ENV: &str = "TAGWARDEN_CRASH_AFTER_JOURNAL";

/// Planned changes by (arn, policy).
type ChangesByResource = HashMap<(String, String), Change>;

pub struct Enforcer<'a> {
    pub aws: &'a Aws,
    pub config: &'a Config,
    pub policies: &'a PolicySet,
    /// Fingerprint of the configuration and policy files.
    pub fingerprint: String,
    pub progress: &'a Progress,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Applied,
    Failed,
    Skipped,
}

#[derive(Debug, Clone, Serialize)]
pub struct AppliedChange {
    #[serde(flatten)]
    pub change: Change,
    pub status: Status,
    /// Why it failed or was skipped.
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ApplySummary {
    pub applied: usize,
    pub failed: usize,
    pub skipped: usize,
    pub api_calls: u64,
}

/// The outcome of `apply` or `rollback` (the JSON of cli.md, with `status`).
#[derive(Debug, Clone, Serialize)]
pub struct ApplyReport {
    /// The journal's run id (None when nothing was to be written).
    pub run_id: Option<String>,
    #[serde(serialize_with = "tagwarden_core::time::serde_rfc3339::serialize")]
    pub generated_at: DateTime<Utc>,
    pub summary: ApplySummary,
    pub changes: Vec<AppliedChange>,
    pub skipped: Vec<Skip>,
    pub errors: Vec<ScanError>,
    pub api_calls_by_operation: BTreeMap<String, u64>,
}

impl ApplyReport {
    fn new(errors: Vec<ScanError>, skipped: Vec<Skip>) -> ApplyReport {
        ApplyReport {
            run_id: None,
            generated_at: Utc::now(),
            summary: ApplySummary::default(),
            changes: Vec::new(),
            skipped,
            errors,
            api_calls_by_operation: BTreeMap::new(),
        }
    }

    /// 3 when a change failed or anything could not be scanned, else 0.
    pub fn exit_code(&self) -> i32 {
        if self.summary.failed > 0 || !self.errors.is_empty() {
            3
        } else {
            0
        }
    }

    pub fn render_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("reports serialize");
        s.push('\n');
        s
    }

    pub fn render_table(&self) -> String {
        let mut out = String::new();
        for c in &self.changes {
            let tags: Vec<String> = c
                .change
                .set
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            let status = match c.status {
                Status::Applied => "applied",
                Status::Failed => "FAILED",
                Status::Skipped => "skipped",
            };
            out.push_str(&format!(
                "{status:<8} {} {} ({})",
                c.change.arn,
                tags.join(","),
                c.change.policy
            ));
            if let Some(r) = &c.reason {
                out.push_str(&format!(": {r}"));
            }
            out.push('\n');
        }
        out.push_str(&tagwarden_core::report::table::skipped_lines(&self.skipped));
        out.push_str(&tagwarden_core::report::table::not_scanned(&self.errors));
        out.push_str(&self.summary_line());
        out.push('\n');
        out
    }

    pub fn summary_line(&self) -> String {
        let s = &self.summary;
        format!(
            "run {}: {} applied, {} failed, {} skipped; {} API call(s)",
            self.run_id.as_deref().unwrap_or("(none: nothing to write)"),
            s.applied,
            s.failed,
            s.skipped + self.skipped.len(),
            s.api_calls
        )
    }

    fn finish(&mut self, aws: &Aws) {
        self.summary.applied = self
            .changes
            .iter()
            .filter(|c| c.status == Status::Applied)
            .count();
        self.summary.failed = self
            .changes
            .iter()
            .filter(|c| c.status == Status::Failed)
            .count();
        self.summary.skipped = self
            .changes
            .iter()
            .filter(|c| c.status == Status::Skipped)
            .count();
        self.summary.api_calls = aws.api.total_calls();
        self.api_calls_by_operation = aws.api.calls();
    }
}

pub struct ApplyOptions {
    /// A reviewed plan to apply exactly (`apply --plan`).
    pub plan: Option<PlanDocument>,
    /// `--max-changes`: raises the configured blast-radius cap.
    pub max_changes: Option<usize>,
    pub narrow: Narrowing,
}

fn remediating_types(policies: &PolicySet) -> TypeSet {
    TypeSet::new(
        policies
            .policies
            .iter()
            .filter(|p| p.remediate.is_some())
            .flat_map(|p| p.resource_types.iter().cloned()),
    )
}

impl Enforcer<'_> {
    /// The dry run: what enforcement would change at `at`.
    pub async fn plan(
        &self,
        narrow: &Narrowing,
        at: DateTime<Utc>,
    ) -> Result<PlanDocument, UsageError> {
        let types = remediating_types(self.policies);
        if !types.any() {
            return Err(UsageError(
                "no policy has a `remediate` section: there is nothing to plan".into(),
            ));
        }
        let inv = audit::scan(self.aws, self.config, &types, narrow, self.progress).await?;
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
        })
    }

    /// Apply the changes due now: recomputed, or exactly those of a reviewed
    /// plan whose resources have not changed since.
    pub async fn apply(
        &self,
        store: &mut Store,
        opts: ApplyOptions,
        confirm: impl FnOnce(&str) -> Result<bool, UsageError>,
    ) -> anyhow::Result<ApplyReport> {
        let now = Utc::now();
        let mut narrow = opts.narrow.clone();
        let types = match &opts.plan {
            Some(p) => {
                if p.config != self.fingerprint {
                    return Err(UsageError(format!(
                        "the plan {} was made with another configuration or other policies (fingerprint {}, now {}): make a new plan",
                        p.run_id, p.config, self.fingerprint
                    ))
                    .into());
                }
                if narrow.accounts.is_empty() {
                    narrow.accounts = p
                        .changes
                        .iter()
                        .map(|c| c.account.clone())
                        .collect::<BTreeSet<_>>()
                        .into_iter()
                        .collect();
                }
                TypeSet::new(p.changes.iter().map(|c| c.resource_type.clone()))
            }
            None => remediating_types(self.policies),
        };
        if !types.any() {
            return Ok(ApplyReport::new(Vec::new(), Vec::new()));
        }
        let inv = audit::scan(self.aws, self.config, &types, &narrow, self.progress).await?;
        self.progress.clear();
        let by_arn: HashMap<&str, &Resource> =
            inv.resources.iter().map(|r| (r.arn.as_str(), r)).collect();
        self.reconcile(store, &inv.sessions).await?;

        let mut report = ApplyReport::new(inv.errors.clone(), Vec::new());
        let mut to_apply: Vec<Change> = Vec::new();
        let candidates = match opts.plan {
            Some(p) => {
                let unreadable: BTreeSet<(&str, &str)> = inv
                    .errors
                    .iter()
                    .map(|e| (e.account.as_str(), e.region.as_str()))
                    .collect();
                // Buckets are listed account-wide (region `global` in errors).
                let listed = |c: &Change| {
                    c.resource_type == "s3:bucket"
                        && unreadable.contains(&(c.account.as_str(), "global"))
                };
                let unknown: Vec<&str> = p
                    .changes
                    .iter()
                    .filter(|c| !by_arn.contains_key(c.arn.as_str()))
                    .filter(|c| {
                        !unreadable.contains(&(c.account.as_str(), c.region.as_str()))
                            && !unreadable.contains(&(c.account.as_str(), "*"))
                            && !listed(c)
                    })
                    .map(|c| c.arn.as_str())
                    .collect();
                if !unknown.is_empty() {
                    return Err(UsageError(format!(
                        "the plan names {} resource(s) that do not exist in the configured accounts and regions (e.g. {}); nothing was written",
                        unknown.len(),
                        unknown[0]
                    ))
                    .into());
                }
                report.skipped = p.skipped;
                // A reviewed change is applied only if the policies would
                // still make exactly it now: windows, scopes and edits to the
                // file are checked again, never trusted.
                let now_plan = plan::plan(&inv.resources, &self.policies.policies, now);
                let by_key = now_plan
                    .changes
                    .into_iter()
                    .map(|c| ((c.arn.clone(), c.policy.clone()), c))
                    .collect();
                (p.changes, Some(by_key))
            }
            None => {
                let planned = plan::plan(&inv.resources, &self.policies.policies, now);
                report.skipped = planned.skipped;
                (planned.changes, None)
            }
        };
        let (candidates, recomputed): (Vec<Change>, Option<ChangesByResource>) = candidates;
        for c in candidates {
            let reason = match (c.due, by_arn.get(c.arn.as_str())) {
                (Some(due), _) if due > now => Some(format!("scheduled: due at {}", rfc3339(due))),
                (_, None) => Some("the resource could not be read now".into()),
                (_, Some(r)) => stale(&c, r).or_else(|| {
                    let planned = recomputed.as_ref()?;
                    not_planned_now(&c, planned.get(&(c.arn.clone(), c.policy.clone())))
                }),
            };
            match reason {
                Some(reason) => report.changes.push(AppliedChange {
                    change: c,
                    status: Status::Skipped,
                    reason: Some(reason),
                }),
                None => to_apply.push(c),
            }
        }

        let cap = opts.max_changes.unwrap_or(self.config.max_changes_per_run);
        if to_apply.len() > cap {
            return Err(UsageError(format!(
                "{} changes exceed the blast-radius cap of {cap} (`limits.max_changes_per_run`); nothing was written. Review them with `tagwarden plan`, then pass --max-changes {} to allow them",
                to_apply.len(),
                to_apply.len()
            ))
            .into());
        }
        if to_apply.is_empty() {
            report.finish(self.aws);
            return Ok(report);
        }
        let accounts: BTreeSet<&str> = to_apply.iter().map(|c| c.account.as_str()).collect();
        let keys: usize = to_apply.iter().map(|c| c.set.len()).sum();
        let prompt = format!(
            "Write {keys} tag(s) on {} resource(s) in {} account(s)?",
            to_apply.len(),
            accounts.len()
        );
        if !confirm(&prompt)? {
            return Err(UsageError("not confirmed; nothing was written".into()).into());
        }

        let run_id = uuid::Uuid::now_v7().to_string();
        store.begin_run(&run_id, "apply", &self.fingerprint, None)?;
        let entries: Vec<NewEntry> = to_apply
            .iter()
            .flat_map(|c| {
                c.set.iter().map(move |(k, v)| NewEntry {
                    arn: c.arn.clone(),
                    account: c.account.clone(),
                    region: c.region.clone(),
                    resource_type: c.resource_type.clone(),
                    policy: c.policy.clone(),
                    key: k.clone(),
                    previous: c.previous.get(k).cloned().flatten(),
                    new: Some(v.clone()),
                })
            })
            .collect();
        let ids = store.journal(&run_id, &entries)?;
        crash_point();

        let writes = merge_writes(to_apply.iter().map(|c| TagWrite {
            arn: c.arn.clone(),
            account: c.account.clone(),
            region: c.region.clone(),
            resource_type: c.resource_type.clone(),
            set: c.set.clone(),
            remove: BTreeMap::new(),
            expect: c.previous.clone(),
        }));
        let (outcomes, current) = self.write_and_read_back(&inv.sessions, &writes).await;
        let states = outcome_states(&entries, &ids, &outcomes, &current);
        store.mark(&states)?;
        store.finish_run(
            &run_id,
            if states.iter().all(|s| s.1 == ChangeState::Applied) {
                "done"
            } else {
                "failed"
            },
        )?;

        let failure: HashMap<&str, &Option<String>> = states
            .iter()
            .zip(&entries)
            .filter(|(s, _)| s.1 != ChangeState::Applied)
            .map(|(s, e)| (e.arn.as_str(), &s.2))
            .collect();
        for c in to_apply {
            let (status, reason) = match failure.get(c.arn.as_str()) {
                Some(why) => (Status::Failed, (*why).clone()),
                None => (Status::Applied, None),
            };
            report.changes.push(AppliedChange {
                change: c,
                status,
                reason,
            });
        }
        report.run_id = Some(run_id);
        report.finish(self.aws);
        Ok(report)
    }

    /// Restore what run `run_id` changed: each key to its previous value, or
    /// removed where the run added it; refused per resource where someone
    /// changed the key again since.
    pub async fn rollback(
        &self,
        store: &mut Store,
        run_id: &str,
        confirm: impl FnOnce(&str) -> Result<bool, UsageError>,
    ) -> anyhow::Result<ApplyReport> {
        if store.run(run_id)?.is_none() {
            return Err(UsageError(format!(
                "no run `{run_id}` in the state store {}: see `tagwarden history`",
                self.config.store.display()
            ))
            .into());
        }
        let entries: Vec<JournalEntry> = store
            .run_entries(run_id)?
            .into_iter()
            .filter(|e| matches!(e.state, ChangeState::Applied | ChangeState::Pending))
            .collect();
        if entries.is_empty() {
            return Err(UsageError(format!(
                "run `{run_id}` has no applied changes to roll back"
            ))
            .into());
        }
        let (sessions, errors) = self
            .sessions(entries.iter().map(|e| e.account.clone()))
            .await;
        let mut report = ApplyReport::new(errors, Vec::new());
        let current = self
            .read_current(
                &sessions,
                entries.iter().map(|e| {
                    (
                        e.account.as_str(),
                        e.region.as_str(),
                        e.arn.as_str(),
                        e.resource_type.as_str(),
                    )
                }),
            )
            .await;

        // An interrupted run's pending writes: done if the value is there.
        let mut reconciled = Vec::new();
        let mut applied = Vec::new();
        for e in entries {
            let now = current
                .get(&e.arn)
                .and_then(|r| r.as_ref().ok())
                .map(|t| t.get(&e.key).cloned());
            if e.state == ChangeState::Pending {
                match now {
                    Some(v) if v == e.new => reconciled.push((e.id, ChangeState::Applied, None)),
                    Some(_) => {
                        reconciled.push((e.id, ChangeState::NotApplied, None));
                        continue;
                    }
                    None => {
                        report.skipped.push(unreadable(
                            &e,
                            &mut report.errors,
                            "an interrupted write whose outcome cannot be read; left pending",
                        ));
                        continue;
                    }
                }
            }
            applied.push(e);
        }
        store.mark(&reconciled)?;

        // Per resource: every key must still hold what the run wrote.
        let mut by_resource: BTreeMap<&str, Vec<&JournalEntry>> = BTreeMap::new();
        for e in &applied {
            by_resource.entry(e.arn.as_str()).or_default().push(e);
        }
        let mut restore: Vec<(TagWrite, Vec<&JournalEntry>)> = Vec::new();
        for (arn, es) in by_resource {
            let first = es[0];
            let tags = match current.get(arn) {
                Some(Ok(t)) => t,
                Some(Err(why)) => {
                    report.skipped.push(unreadable(
                        first,
                        &mut report.errors,
                        &format!("tags could not be read: {why}"),
                    ));
                    continue;
                }
                None => {
                    report.skipped.push(unreadable(
                        first,
                        &mut report.errors,
                        "the account could not be entered",
                    ));
                    continue;
                }
            };
            let changed: Vec<String> = es
                .iter()
                .filter(|e| tags.get(&e.key) != e.new.as_ref())
                .map(|e| {
                    format!(
                        "`{}` is now {} (the run wrote {})",
                        e.key,
                        shown(tags.get(&e.key)),
                        shown(e.new.as_ref())
                    )
                })
                .collect();
            if !changed.is_empty() {
                report.skipped.push(skip_entry(
                    first,
                    format!(
                        "changed since run {run_id}: {}; left as it is",
                        changed.join(", ")
                    ),
                ));
                continue;
            }
            let mut w = TagWrite {
                arn: arn.to_string(),
                account: first.account.clone(),
                region: first.region.clone(),
                resource_type: first.resource_type.clone(),
                set: BTreeMap::new(),
                remove: BTreeMap::new(),
                expect: BTreeMap::new(),
            };
            for e in &es {
                match (&e.previous, &e.new) {
                    (Some(prev), _) => {
                        w.set.insert(e.key.clone(), prev.clone());
                        w.expect.insert(e.key.clone(), e.new.clone());
                    }
                    (None, Some(new)) => {
                        w.remove.insert(e.key.clone(), new.clone());
                    }
                    (None, None) => {}
                }
            }
            restore.push((w, es));
        }
        if restore.is_empty() {
            report.finish(self.aws);
            return Ok(report);
        }
        let keys: usize = restore.iter().map(|(_, es)| es.len()).sum();
        if !confirm(&format!(
            "Restore {keys} tag(s) on {} resource(s) changed by run {run_id}?",
            restore.len()
        ))? {
            return Err(UsageError("not confirmed; nothing was written".into()).into());
        }

        let rollback_id = uuid::Uuid::now_v7().to_string();
        store.begin_run(&rollback_id, "rollback", &self.fingerprint, Some(run_id))?;
        let new_entries: Vec<NewEntry> = restore
            .iter()
            .flat_map(|(_, es)| es.iter())
            .map(|e| NewEntry {
                arn: e.arn.clone(),
                account: e.account.clone(),
                region: e.region.clone(),
                resource_type: e.resource_type.clone(),
                policy: e.policy.clone(),
                key: e.key.clone(),
                previous: e.new.clone(),
                new: e.previous.clone(),
            })
            .collect();
        let ids = store.journal(&rollback_id, &new_entries)?;
        crash_point();
        let writes: Vec<TagWrite> = restore.iter().map(|(w, _)| w.clone()).collect();
        let (outcomes, after) = self.write_and_read_back(&sessions, &writes).await;
        let states = outcome_states(&new_entries, &ids, &outcomes, &after);
        let originals: Vec<(i64, ChangeState, Option<String>)> = restore
            .iter()
            .flat_map(|(_, es)| es.iter())
            .zip(&states)
            .filter(|(_, s)| s.1 == ChangeState::Applied)
            .map(|(e, _)| (e.id, ChangeState::RolledBack, None))
            .collect();
        // One transaction: the rollback's outcome and the originals' state.
        store.mark(&[states.clone(), originals].concat())?;
        store.finish_run(
            &rollback_id,
            if states.iter().all(|s| s.1 == ChangeState::Applied) {
                "done"
            } else {
                "failed"
            },
        )?;

        for (w, es) in &restore {
            let failed = states
                .iter()
                .zip(&new_entries)
                .find(|(s, e)| e.arn == w.arn && s.1 != ChangeState::Applied);
            let mut set: BTreeMap<String, String> = w.set.clone();
            let mut previous: BTreeMap<String, Option<String>> = BTreeMap::new();
            for e in es {
                previous.insert(e.key.clone(), e.new.clone());
                if e.previous.is_none() {
                    set.remove(&e.key);
                }
            }
            let change = Change {
                arn: w.arn.clone(),
                account: w.account.clone(),
                region: w.region.clone(),
                resource_type: w.resource_type.clone(),
                policy: es[0].policy.clone(),
                set,
                previous,
                due: None,
            };
            let removed: Vec<&str> = w.remove.keys().map(String::as_str).collect();
            let (status, reason) = match failed {
                Some((s, _)) => (Status::Failed, s.2.clone()),
                None if removed.is_empty() => (Status::Applied, None),
                None => (
                    Status::Applied,
                    Some(format!("removed {}", removed.join(", "))),
                ),
            };
            report.changes.push(AppliedChange {
                change,
                status,
                reason,
            });
        }
        report.run_id = Some(rollback_id);
        report.finish(self.aws);
        Ok(report)
    }

    /// Settle the pending entries of interrupted runs against the resources'
    /// tags, read straight from each service: a write that reached AWS is
    /// applied, one that did not is marked so; entries this process cannot
    /// read (other accounts, read errors) stay pending. Only the holder of the
    /// store's lock calls this, so any run still marked running is dead.
    async fn reconcile(
        &self,
        store: &mut Store,
        sessions: &HashMap<String, AccountSession>,
    ) -> anyhow::Result<()> {
        let pending = store.pending()?;
        let current = self
            .read_current(
                sessions,
                pending.iter().map(|e| {
                    (
                        e.account.as_str(),
                        e.region.as_str(),
                        e.arn.as_str(),
                        e.resource_type.as_str(),
                    )
                }),
            )
            .await;
        let settled: Vec<(i64, ChangeState, Option<String>)> = pending
            .iter()
            .filter_map(|e| {
                let tags = current.get(&e.arn)?.as_ref().ok()?;
                let state = if tags.get(&e.key) == e.new.as_ref() {
                    ChangeState::Applied
                } else {
                    ChangeState::NotApplied
                };
                Some((e.id, state, None))
            })
            .collect();
        if !settled.is_empty() {
            tracing::warn!(
                entries = settled.len(),
                "settled the journal of an interrupted run"
            );
        }
        store.mark(&settled)?;
        store.mark_interrupted("")?;
        Ok(())
    }

    /// Sessions for the given accounts (for rollback, which needs no scan).
    async fn sessions(
        &self,
        accounts: impl Iterator<Item = String>,
    ) -> (HashMap<String, AccountSession>, Vec<ScanError>) {
        let accounts: BTreeSet<String> = accounts.collect();
        let mut errors = Vec::new();
        let caller = match self.aws.caller_account().await {
            Ok(c) => c,
            Err(e) => {
                errors.push(ScanError {
                    account: "*".into(),
                    region: "*".into(),
                    message: e.to_string(),
                });
                return (HashMap::new(), errors);
            }
        };
        let role = self.config.accounts.role.as_deref();
        let external_id = self.config.accounts.external_id.as_deref();
        let mut sessions = HashMap::new();
        for a in accounts {
            match self.aws.session(&a, &caller, role, external_id).await {
                Ok(s) => {
                    sessions.insert(a, s);
                }
                Err(e) => errors.push(ScanError {
                    account: a,
                    region: "*".into(),
                    message: e.to_string(),
                }),
            }
        }
        (sessions, errors)
    }

    /// Current tags of the given resources, read per account and region.
    async fn read_current<'r>(
        &self,
        sessions: &HashMap<String, AccountSession>,
        resources: impl Iterator<Item = (&'r str, &'r str, &'r str, &'r str)>,
    ) -> HashMap<String, Result<Tags, String>> {
        let mut groups: BTreeMap<(&str, &str), BTreeSet<(String, String)>> = BTreeMap::new();
        for (account, region, arn, ty) in resources {
            groups
                .entry((account, region))
                .or_default()
                .insert((arn.to_string(), ty.to_string()));
        }
        let reads = groups.into_iter().filter_map(|((account, region), rs)| {
            let session = sessions.get(account)?;
            let rs: Vec<(String, String)> = rs.into_iter().collect();
            Some(async move { write::read_tags(&self.aws.api, session, region, &rs).await })
        });
        join_all(reads).await.into_iter().flatten().collect()
    }

    /// Write, per account and region concurrently, then read every written
    /// resource back from its service.
    async fn write_and_read_back(
        &self,
        sessions: &HashMap<String, AccountSession>,
        writes: &[TagWrite],
    ) -> (write::Outcomes, HashMap<String, Result<Tags, String>>) {
        let mut groups: BTreeMap<(&str, &str), Vec<TagWrite>> = BTreeMap::new();
        for w in writes {
            groups
                .entry((w.account.as_str(), w.region.as_str()))
                .or_default()
                .push(w.clone());
        }
        let jobs = groups.iter().map(|((account, region), ws)| async move {
            match sessions.get(*account) {
                Some(session) => write::write(&self.aws.api, session, region, ws).await,
                None => ws
                    .iter()
                    .map(|w| {
                        (
                            w.arn.clone(),
                            Err(format!("no session for account {account}")),
                        )
                    })
                    .collect(),
            }
        });
        let outcomes: write::Outcomes = join_all(jobs).await.into_iter().flatten().collect();
        let key = |w: &'_ TagWrite| {
            (
                w.account.clone(),
                w.region.clone(),
                w.arn.clone(),
                w.resource_type.clone(),
            )
        };
        let mut current: HashMap<String, Result<Tags, String>> = HashMap::new();
        let mut unverified: Vec<&TagWrite> = writes
            .iter()
            .filter(|w| matches!(outcomes.get(&w.arn), Some(Ok(()))))
            .collect();
        // Reads after writes are eventually consistent: read again, briefly,
        // what did not show yet.
        for pause in READ_BACK_PAUSES {
            let keys: Vec<_> = unverified.iter().map(|w| key(w)).collect();
            let read = self
                .read_current(
                    sessions,
                    keys.iter()
                        .map(|(a, r, arn, t)| (a.as_str(), r.as_str(), arn.as_str(), t.as_str())),
                )
                .await;
            current.extend(read);
            unverified.retain(|w| !matches!(current.get(&w.arn), Some(Ok(tags)) if shows(w, tags)));
            if unverified.is_empty() {
                break;
            }
            tokio::time::sleep(pause).await;
        }
        (outcomes, current)
    }
}

/// Pauses before reading back writes that did not show yet.
const READ_BACK_PAUSES: [std::time::Duration; 3] = [
    std::time::Duration::from_millis(500),
    std::time::Duration::from_secs(1),
    std::time::Duration::ZERO,
];

/// Whether the tags read back show the write: every key set to its value,
/// every removed key no longer holding the removed value.
fn shows(w: &TagWrite, tags: &Tags) -> bool {
    w.set.iter().all(|(k, v)| tags.get(k) == Some(v))
        && w.remove.iter().all(|(k, v)| tags.get(k) != Some(v))
}

/// A journaled resource that cannot be read now: skipped, and an error, so
/// that the command exits 3.
fn unreadable(e: &JournalEntry, errors: &mut Vec<ScanError>, why: &str) -> Skip {
    errors.push(ScanError {
        account: e.account.clone(),
        region: e.region.clone(),
        message: format!("{}: {why}", e.arn),
    });
    skip_entry(e, why.to_string())
}

fn skip_entry(e: &JournalEntry, reason: String) -> Skip {
    Skip {
        arn: e.arn.clone(),
        account: e.account.clone(),
        region: e.region.clone(),
        resource_type: e.resource_type.clone(),
        policy: e.policy.clone(),
        reason,
    }
}

/// Why a planned change no longer applies: the resource's current tags differ
/// from what the plan saw.
fn stale(c: &Change, r: &Resource) -> Option<String> {
    if let Some(why) = &r.tags_unreadable {
        return Some(format!("tags unknown: {why}"));
    }
    let changed: Vec<String> = c
        .previous
        .iter()
        .filter(|(k, prev)| r.tags.get(*k) != prev.as_ref())
        .map(|(k, prev)| {
            format!(
                "`{k}` is now {} (the plan saw {})",
                shown(r.tags.get(k)),
                shown(prev.as_ref())
            )
        })
        .collect();
    (!changed.is_empty())
        .then(|| format!("changed since the plan was made: {}", changed.join(", ")))
}

/// Why a reviewed change is not what the policies would do now (`now`: the
/// change they would make to that resource, if any). None when it is.
fn not_planned_now(c: &Change, now: Option<&Change>) -> Option<String> {
    match now {
        Some(n) if n.set == c.set && n.previous == c.previous => {
            n.due.map(|due| format!("scheduled: due at {}", rfc3339(due)))
        }
        Some(_) => Some("no longer planned as reviewed: the policies would now write other tags; make a new plan".into()),
        None => Some(
            "no longer planned: the policies would not change this resource now (window closed, out of scope, or the plan file was edited); make a new plan"
                .into(),
        ),
    }
}

/// One write per resource: the changes of several policies merged.
fn merge_writes(writes: impl Iterator<Item = TagWrite>) -> Vec<TagWrite> {
    let mut by_arn: BTreeMap<String, TagWrite> = BTreeMap::new();
    for w in writes {
        match by_arn.get_mut(&w.arn) {
            Some(existing) => {
                existing.set.extend(w.set);
                existing.expect.extend(w.expect);
            }
            None => {
                by_arn.insert(w.arn.clone(), w);
            }
        }
    }
    by_arn.into_values().collect()
}

/// The journal state of each entry from the write outcome and the tags read
/// back: applied only when the write succeeded and the value is there.
fn outcome_states(
    entries: &[NewEntry],
    ids: &[i64],
    outcomes: &write::Outcomes,
    current: &HashMap<String, Result<Tags, String>>,
) -> Vec<(i64, ChangeState, Option<String>)> {
    // A write AWS accepted but that does not show when read back may still
    // appear: it stays pending, for the next apply or rollback to settle, and
    // is never reported as applied.
    let unsettled = |why: String| {
        Some(format!("written, but {why}; left pending in the journal for the next apply or rollback to settle"))
    };
    entries
        .iter()
        .zip(ids)
        .map(|(e, id)| match outcomes.get(&e.arn) {
            Some(Err(why)) => (*id, ChangeState::Failed, Some(why.clone())),
            None => (*id, ChangeState::Failed, Some("not written".into())),
            Some(Ok(())) => match current.get(&e.arn) {
                Some(Ok(tags)) if tags.get(&e.key) == e.new.as_ref() => {
                    (*id, ChangeState::Applied, None)
                }
                Some(Ok(tags)) => (
                    *id,
                    ChangeState::Pending,
                    unsettled(format!(
                        "`{}` read back as {}, expected {}",
                        e.key,
                        shown(tags.get(&e.key)),
                        shown(e.new.as_ref())
                    )),
                ),
                Some(Err(why)) => (
                    *id,
                    ChangeState::Pending,
                    unsettled(format!("the tags could not be read back: {why}")),
                ),
                None => (
                    *id,
                    ChangeState::Pending,
                    unsettled("the tags were not read back".into()),
                ),
            },
        })
        .collect()
}

fn crash_point() {
    if std::env::var_os(CRASH_AFTER_JOURNAL_ENV).is_some() {
        eprintln!("{CRASH_AFTER_JOURNAL_ENV} is set: aborting after the journal write");
        std::process::abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn change(set: &[(&str, &str)], previous: &[(&str, Option<&str>)]) -> Change {
        Change {
            arn: "arn:aws:ec2:us-east-1:111111111111:instance/i-1".into(),
            account: "111111111111".into(),
            region: "us-east-1".into(),
            resource_type: "ec2:instance".into(),
            policy: "map".into(),
            set: set
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            previous: previous
                .iter()
                .map(|(k, v)| (k.to_string(), v.map(str::to_string)))
                .collect(),
            due: None,
        }
    }

    fn resource(tags: &[(&str, &str)]) -> Resource {
        Resource::new(
            "arn:aws:ec2:us-east-1:111111111111:instance/i-1",
            "111111111111",
            "us-east-1",
            "ec2:instance",
        )
        .with_tags(tags.iter().copied())
    }

    #[test]
    fn stale_compares_every_previous_value() {
        let c = change(&[("map-migrated", "mig12345")], &[("map-migrated", None)]);
        assert_eq!(stale(&c, &resource(&[("Other", "x")])), None);
        assert_eq!(
            stale(&c, &resource(&[("map-migrated", "mig99999")])).unwrap(),
            "changed since the plan was made: `map-migrated` is now `mig99999` (the plan saw absent)"
        );
        let mut unknown = resource(&[]);
        unknown.tags_unreadable = Some("AccessDenied".into());
        assert_eq!(stale(&c, &unknown).unwrap(), "tags unknown: AccessDenied");
    }

    #[test]
    fn reviewed_changes_must_still_be_planned() {
        let c = change(&[("map-migrated", "mig12345")], &[("map-migrated", None)]);
        assert_eq!(not_planned_now(&c, Some(&c)), None);
        let mut later = c.clone();
        later.due = Some(Utc.with_ymd_and_hms(2099, 1, 1, 0, 0, 0).unwrap());
        assert_eq!(
            not_planned_now(&c, Some(&later)).unwrap(),
            "scheduled: due at 2099-01-01T00:00:00Z"
        );
        let other = change(&[("map-migrated", "mig54321")], &[("map-migrated", None)]);
        assert!(not_planned_now(&c, Some(&other))
            .unwrap()
            .starts_with("no longer planned as reviewed"));
        assert!(not_planned_now(&c, None)
            .unwrap()
            .starts_with("no longer planned: the policies would not change"));
    }

    #[test]
    fn writes_merge_per_resource() {
        let w = |k: &str| TagWrite {
            arn: "a".into(),
            account: "1".into(),
            region: "r".into(),
            resource_type: "s3:bucket".into(),
            set: BTreeMap::from([(k.to_string(), "v".to_string())]),
            remove: BTreeMap::new(),
            expect: BTreeMap::from([(k.to_string(), None)]),
        };
        let merged = merge_writes([w("x"), w("y")].into_iter());
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].set.len(), 2);
        assert_eq!(merged[0].expect.len(), 2);
        let tags: Tags = [
            ("x".to_string(), "v".to_string()),
            ("y".to_string(), "v".to_string()),
        ]
        .into();
        assert!(shows(&merged[0], &tags));
        assert!(!shows(&merged[0], &Tags::new()));
    }

    #[test]
    fn outcomes_become_journal_states() {
        let entry = |key: &str| NewEntry {
            arn: key.to_string(),
            account: "1".into(),
            region: "r".into(),
            resource_type: "ec2:instance".into(),
            policy: "p".into(),
            key: "k".into(),
            previous: None,
            new: Some("v".into()),
        };
        let entries = [
            entry("ok"),
            entry("refused"),
            entry("invisible"),
            entry("unread"),
        ];
        let outcomes: write::Outcomes = [
            ("ok".to_string(), Ok(())),
            ("refused".to_string(), Err("AccessDenied".to_string())),
            ("invisible".to_string(), Ok(())),
            ("unread".to_string(), Ok(())),
        ]
        .into();
        let current: HashMap<String, Result<Tags, String>> = [
            (
                "ok".to_string(),
                Ok([("k".to_string(), "v".to_string())].into()),
            ),
            ("invisible".to_string(), Ok(Tags::new())),
            ("unread".to_string(), Err("throttled".to_string())),
        ]
        .into();
        let states = outcome_states(&entries, &[1, 2, 3, 4], &outcomes, &current);
        assert_eq!(states[0], (1, ChangeState::Applied, None));
        assert_eq!(
            states[1],
            (2, ChangeState::Failed, Some("AccessDenied".into()))
        );
        assert_eq!(
            states[2].1,
            ChangeState::Pending,
            "accepted but not shown: never applied, never lost"
        );
        assert!(states[2]
            .2
            .as_deref()
            .unwrap()
            .contains("`k` read back as absent, expected `v`"));
        assert_eq!(states[3].1, ChangeState::Pending);
    }
}
