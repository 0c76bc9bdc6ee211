//! What the daemon's work produces, as plain values: a finished cycle and
//! why one failed. The cycle builds them, the metrics and the status page
//! read them; this module imports neither.

use crate::aws::Requests;
use crate::error::Error;
use crate::scan::Inventory;
use std::collections::BTreeMap;
use tagwarden_core::apply_rules::Status;
use tagwarden_core::cycle_summary::{CycleResult, CycleSummary};
use tagwarden_core::mgn::waves::WaveRow;
use tagwarden_core::report::{ApplyReport, AuditReport, CreditsReport};

/// Why a whole cycle failed: the `reason` of `cycle_failures_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CycleFailure {
    /// Not one account and region could be scanned.
    NothingScanned,
    /// The cycle's task ended abnormally (a panic): a failed cycle, not a
    /// dead daemon.
    Internal,
    /// An error stopped it; its `metric_label`.
    Error(&'static str),
}

impl CycleFailure {
    pub fn label(self) -> &'static str {
        match self {
            CycleFailure::NothingScanned => "nothing_scanned",
            CycleFailure::Internal => "internal",
            CycleFailure::Error(label) => label,
        }
    }
}

/// What a scan found, as the metrics and the status page count it.
pub struct ScanRecord {
    pub audit: AuditReport,
    /// The accounts of this shard.
    pub accounts: Vec<String>,
    /// The configured accounts of every shard.
    pub every_shard: Vec<String>,
    pub resources_by_account: BTreeMap<String, usize>,
    /// MGN's waves in this shard's accounts with their readiness (none
    /// without `inventory.mgn`).
    pub waves: Vec<WaveRow>,
}

impl ScanRecord {
    pub fn of(inv: &Inventory, audit: AuditReport, waves: Vec<WaveRow>) -> ScanRecord {
        let mut resources_by_account = BTreeMap::new();
        for r in &inv.resources {
            *resources_by_account.entry(r.account.clone()).or_default() += 1;
        }
        ScanRecord {
            audit,
            accounts: inv.account_ids.clone(),
            every_shard: inv.every_shard.clone(),
            resources_by_account,
            waves,
        }
    }
}

/// Tag changes applied and failed in one account.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChangeCounts {
    pub applied: u64,
    pub failed: u64,
}

impl ChangeCounts {
    /// Per account, from an apply's report.
    pub fn per_account(apply: &ApplyReport) -> BTreeMap<String, ChangeCounts> {
        let mut out: BTreeMap<String, ChangeCounts> = BTreeMap::new();
        for c in &apply.changes {
            let counts = out.entry(c.change.account.clone()).or_default();
            match c.status {
                Status::Applied => counts.applied += 1,
                Status::Failed => counts.failed += 1,
                Status::Already | Status::Skipped | Status::Capped => {}
            }
        }
        out
    }
}

/// What a finished cycle hands to the metrics, the status page and the logs.
#[derive(Default)]
pub struct CycleOutput {
    pub run_id: String,
    pub result: CycleResult,
    pub summary: CycleSummary,
    pub failure: Option<CycleFailure>,
    /// The scan and its audit (None when the cycle failed before one).
    pub scan: Option<ScanRecord>,
    pub changes_by_account: BTreeMap<String, ChangeCounts>,
    /// The money view (Cost Explorer, answers cached in the store), or why
    /// there is none.
    pub credits: Option<Result<CreditsReport, Error>>,
    /// Journal entries still pending after the cycle (None: unknown).
    pub journal_pending: Option<usize>,
    /// AWS requests and throttling answers.
    pub requests: Requests,
    /// Keys the cycle's apply left alone because they were written back
    /// too often lately (`restore_cap`); None: it wrote nothing (audit).
    pub capped: Option<usize>,
}

impl CycleOutput {
    /// A cycle whose task ended abnormally.
    pub fn internal_failure() -> CycleOutput {
        CycleOutput {
            result: CycleResult::Failed,
            failure: Some(CycleFailure::Internal),
            ..CycleOutput::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_labels() {
        assert_eq!(CycleFailure::NothingScanned.label(), "nothing_scanned");
        assert_eq!(CycleFailure::Internal.label(), "internal");
        assert_eq!(
            CycleFailure::Error(Error::Cancelled.metric_label()).label(),
            "cancelled"
        );
    }
}
