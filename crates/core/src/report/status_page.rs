//! A daemon cycle: its summary from the audit and apply reports, and the
//! status page (`/`) that shows the last one.

use super::audit::ComplianceRow;
use super::html::esc;
use super::{ApplyReport, AuditReport};
use crate::config::DaemonMode;
use crate::cycle_summary::{CycleResult, CycleSummary};
use crate::scan::{AccountScope, RegionScope, ScanError};
use crate::shard::Shard;
use std::collections::BTreeSet;
use std::fmt::Write;

impl CycleSummary {
    /// The counts of a finished cycle: its audit, and in enforce mode its apply.
    pub fn of(
        mode: DaemonMode,
        audit: &AuditReport,
        apply: Option<&ApplyReport>,
        duration_seconds: f64,
    ) -> CycleSummary {
        let c = &audit.summary.counts;
        let failed_accounts: BTreeSet<&AccountScope> =
            audit.errors.iter().map(|e| &e.account).collect();
        let nothing_scanned = nothing_scanned(audit);
        CycleSummary {
            mode,
            resources: c.resources,
            in_scope: c.in_scope,
            compliant: c.compliant,
            non_compliant: c.non_compliant,
            unknown: c.unknown,
            findings: audit.findings.len(),
            accounts: audit.summary.accounts,
            accounts_failed: failed_accounts.len().min(audit.summary.accounts),
            errors: audit.errors.len(),
            nothing_scanned,
            applied: apply.map_or(0, |a| a.summary.applied),
            failed: apply.map_or(0, |a| a.summary.failed),
            apply_run: apply.and_then(|a| a.run_id.clone()),
            error: None,
            duration_seconds,
        }
    }

    pub fn result(&self) -> CycleResult {
        if self.error.is_some() {
            return CycleResult::Failed;
        }
        CycleResult::of(self.nothing_scanned, self.errors, self.failed)
    }
}

/// Whether every account and region failed: an error for the whole scan
/// (account `*`), or errors covering each account's every region (`*` is
/// all of an account's regions).
fn nothing_scanned(audit: &AuditReport) -> bool {
    let regions = audit.summary.regions;
    let mut failed: BTreeSet<(&str, &str)> = BTreeSet::new();
    let mut whole: BTreeSet<&str> = BTreeSet::new();
    // An error about some types only (Resource Explorer not set up) leaves
    // the rest of the account scanned.
    for e in audit.errors.iter().filter(|e| e.types.is_empty()) {
        let AccountScope::One(account) = &e.account else {
            return true;
        };
        match &e.region {
            RegionScope::Every => {
                whole.insert(account);
            }
            RegionScope::One(region) => {
                failed.insert((account, region));
            }
            RegionScope::Global => {}
        }
    }
    let per_region = failed.iter().filter(|(a, _)| !whole.contains(a)).count();
    whole.len() * regions + per_region >= audit.summary.accounts * regions
}

/// The last cycle, as the status page shows it.
pub struct LastCycle<'a> {
    pub run_id: &'a str,
    pub finished_at: &'a str,
    pub result: CycleResult,
    pub summary: &'a CycleSummary,
    pub compliance: &'a [ComplianceRow],
    pub errors: &'a [ScanError],
}

/// `/`: what a person checking on the daemon wants to see, with no
/// external assets.
pub struct StatusPage<'a> {
    pub version: &'a str,
    pub mode: DaemonMode,
    pub shard: Shard,
    pub interval: &'a str,
    /// The readiness verdict, in words.
    pub readiness: &'a str,
    pub last: Option<LastCycle<'a>>,
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em;color:#222}\
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}\
th{background:#f4f4f4}.ok{color:#11772d}.partial{color:#a15c00}.failed,.cancelled{color:#b00020}";

impl StatusPage<'_> {
    pub fn html(&self) -> String {
        let mut out = format!(
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>tagwarden</title>\
             <style>{STYLE}</style></head><body>\n<h1>tagwarden {}</h1>\n\
             <p>Mode <b>{}</b>, every {}, shard {} of {}. {}</p>\n",
            esc(self.version),
            self.mode.label(),
            esc(self.interval),
            self.shard.index,
            self.shard.total,
            esc(self.readiness)
        );
        match &self.last {
            None => out.push_str("<p>No cycle has finished yet.</p>\n"),
            Some(last) => last.write(&mut out),
        }
        out.push_str("<p><a href=\"/metrics\">metrics</a> · <a href=\"/healthz\">healthz</a> · <a href=\"/readyz\">readyz</a></p>\n</body></html>\n");
        out
    }
}

impl LastCycle<'_> {
    fn write(&self, out: &mut String) {
        let s = self.summary;
        let label = self.result.label();
        let _ = writeln!(
            out,
            "<h2>Last cycle: <span class=\"{label}\">{label}</span></h2>\n\
             <p>Run <code>{}</code>, finished {} in {:.1} s.</p>\n<p>{}</p>",
            esc(self.run_id),
            esc(self.finished_at),
            s.duration_seconds,
            esc(&s.line())
        );
        if !self.compliance.is_empty() {
            out.push_str("<table><tr><th>Policy</th><th>Account</th><th>In scope</th><th>Compliant</th><th>Non-compliant</th><th>Unknown</th></tr>\n");
            for r in self.compliance {
                let account = match &r.account_name {
                    Some(n) => format!("{} ({n})", r.account),
                    None => r.account.clone(),
                };
                let c = &r.counts;
                let _ = writeln!(
                    out,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&r.policy),
                    esc(&account),
                    c.in_scope,
                    c.compliant,
                    c.non_compliant,
                    c.unknown
                );
            }
            out.push_str("</table>\n");
        }
        if !self.errors.is_empty() {
            out.push_str("<h3>Not scanned</h3>\n");
            out.push_str(&super::html::not_scanned(self.errors));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::PolicyCounts;

    fn summary() -> CycleSummary {
        CycleSummary {
            mode: DaemonMode::Audit,
            resources: 5,
            in_scope: 5,
            compliant: 3,
            non_compliant: 2,
            accounts: 2,
            accounts_failed: 1,
            errors: 1,
            duration_seconds: 1.25,
            ..CycleSummary::default()
        }
    }

    #[test]
    fn status_page() {
        let s = summary();
        let compliance = [ComplianceRow {
            policy: "map-migrated".into(),
            account: "111111111111".into(),
            account_name: Some("prod <eu>".into()),
            counts: PolicyCounts {
                in_scope: 5,
                compliant: 3,
                non_compliant: 2,
                unknown: 0,
            },
        }];
        let errors = [ScanError::account(
            "222222222222",
            "AccessDenied: not authorized to perform sts:AssumeRole",
        )];
        let page = StatusPage {
            version: "0.1.0",
            mode: DaemonMode::Audit,
            shard: Shard::new(1, 3).unwrap(),
            interval: "1h",
            readiness: "Ready: the last cycle finished 12 s ago.",
            last: Some(LastCycle {
                run_id: "0192",
                finished_at: "2026-12-01T00:00:05Z",
                result: s.result(),
                summary: &s,
                compliance: &compliance,
                errors: &errors,
            }),
        };
        insta::assert_snapshot!(page.html());
        let empty = StatusPage { last: None, ..page };
        assert!(empty.html().contains("No cycle has finished yet."));
    }

    fn audit(accounts: usize, regions: usize, errors: &[(&str, &str)]) -> AuditReport {
        AuditReport {
            run_id: "r".into(),
            generated_at: chrono::DateTime::UNIX_EPOCH,
            summary: super::super::ReportSummary {
                counts: Default::default(),
                api_calls: 0,
                accounts,
                regions,
            },
            errors: errors
                .iter()
                .map(|(a, r)| match (*a, *r) {
                    ("*", _) => ScanError::caller("denied"),
                    (a, "*") => ScanError::account(a, "denied"),
                    (a, "global") => ScanError::global(a, "denied"),
                    (a, r) => ScanError::region(a, r, "denied"),
                })
                .collect(),
            compliance: Vec::new(),
            findings: Vec::new(),
            api_calls_by_operation: Default::default(),
            warnings: Vec::new(),
            cost_currency: None,
        }
    }

    #[test]
    fn a_cycle_fails_only_when_nothing_could_be_scanned() {
        let result = |a: AuditReport| CycleSummary::of(DaemonMode::Audit, &a, None, 1.0).result();
        assert_eq!(result(audit(2, 2, &[])), CycleResult::Ok);
        // One account cannot be entered, the other loses a region: partial.
        let some = audit(2, 2, &[("1", "*"), ("2", "xx-1"), ("2", "xx-1")]);
        assert_eq!(result(some), CycleResult::Partial);
        // Every region of every account failed.
        let all = audit(2, 2, &[("1", "*"), ("2", "a"), ("2", "b")]);
        assert_eq!(result(all), CycleResult::Failed);
        // The credentials themselves failed.
        assert_eq!(result(audit(0, 2, &[("*", "*")])), CycleResult::Failed);
        // Listing the organization failed, but the listed account scanned.
        assert_eq!(
            result(audit(1, 1, &[("1", "global")])),
            CycleResult::Partial
        );
        // Resource Explorer is not set up: its types in every account are
        // not scanned, the natively listed types are.
        let mut explorer = audit(2, 1, &[]);
        explorer.errors.push(ScanError::types(
            AccountScope::Every,
            vec!["lambda:function".into()],
            "no Resource Explorer index",
        ));
        assert_eq!(result(explorer), CycleResult::Partial);
    }

    #[test]
    fn a_whole_cycle_error_fails_it() {
        let mut s = summary();
        assert_eq!(s.result(), CycleResult::Partial);
        s.error = Some("state store: disk I/O error".into());
        assert_eq!(s.result(), CycleResult::Failed);
    }
}
