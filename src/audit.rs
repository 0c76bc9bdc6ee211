//! `tagwarden audit`: scan, evaluate, and build the report.

use crate::aws::Aws;
use crate::error::Result;
use crate::inventory::TypeSet;
use crate::progress::Progress;
use crate::scan::{self, Inventory, Narrowing};
use tagwarden_core::config::Config;
use tagwarden_core::policy::{evaluate, PolicySet};
use tagwarden_core::report::AuditReport;

pub async fn audit(
    aws: &Aws,
    config: &Config,
    policies: &PolicySet,
    narrow: &Narrowing,
    progress: &Progress,
) -> Result<AuditReport> {
    let types = TypeSet::new(policies.resource_types());
    let inv = scan::scan(aws, config, &types, narrow, progress).await?;
    progress.clear();
    Ok(report(aws, policies, &inv))
}

/// Evaluate what a scan found and build the report (the daemon's cycles
/// call this with the inventory they go on to enforce).
pub fn report(aws: &Aws, policies: &PolicySet, inv: &Inventory) -> AuditReport {
    let evaluation = evaluate(&inv.resources, &policies.policies);
    let run_id = uuid::Uuid::now_v7().to_string();
    let mut report = AuditReport::new(run_id, chrono::Utc::now(), &evaluation, |id| {
        inv.account_names.get(id).cloned()
    });
    report.errors = inv.errors.clone();
    report.scanned = inv
        .resources
        .iter()
        .flat_map(|r| [r.arn.as_str().to_string(), r.arn.id().to_string()])
        .collect();
    report.summary.accounts = inv.accounts;
    report.summary.regions = inv.regions;
    report.summary.api_calls = aws.api.total_calls();
    report.api_calls_by_operation = aws.api.calls();
    report.warnings = policies.warnings.iter().map(|w| w.to_string()).collect();
    if let Some(c) = inv.explorer {
        report.warnings.push(explorer_note(c));
    }
    for (op, n) in &report.api_calls_by_operation {
        tracing::debug!(operation = %op, requests = n, "AWS requests");
    }
    tracing::info!(
        resources = report.summary.counts.resources,
        api_calls = report.summary.api_calls,
        "audit finished"
    );
    report
}

/// What Resource Explorer contributed, for the report.
fn explorer_note(c: crate::scan::ExplorerCounts) -> String {
    format!(
        "Resource Explorer listed {} resource(s) of the types tagwarden does not list itself; their tags were read again from the Tagging API: {} had changed since Resource Explorer indexed them (the current tags were used), {} had been deleted since (left out)",
        c.listed, c.stale, c.gone
    )
}
