//! One daemon cycle, summarised: what the store keeps, `history` shows, and
//! the metrics and status page are built from.

use crate::config::DaemonMode;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How a cycle ended. The label is a Prometheus label value and the run's
/// status in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CycleResult {
    /// Everything scanned, every change due written.
    Ok,
    /// Some accounts or regions could not be scanned, or some writes failed.
    Partial,
    /// Nothing could be scanned, or tagwarden itself failed.
    #[default]
    Failed,
    /// Stopped by shutdown before it wrote anything.
    Cancelled,
}

impl CycleResult {
    pub const ALL: [CycleResult; 4] = [
        CycleResult::Ok,
        CycleResult::Partial,
        CycleResult::Failed,
        CycleResult::Cancelled,
    ];

    pub fn label(self) -> &'static str {
        match self {
            CycleResult::Ok => "ok",
            CycleResult::Partial => "partial",
            CycleResult::Failed => "failed",
            CycleResult::Cancelled => "cancelled",
        }
    }

    /// From what was scanned and written: failed when not one account and
    /// region could be scanned, partial on any scan error or failed write.
    pub fn of(nothing_scanned: bool, errors: usize, write_failures: usize) -> Self {
        if nothing_scanned && errors > 0 {
            CycleResult::Failed
        } else if errors > 0 || write_failures > 0 {
            CycleResult::Partial
        } else {
            CycleResult::Ok
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CycleSummary {
    pub mode: DaemonMode,
    /// Resources inventoried, and the verdicts of those in scope.
    pub resources: usize,
    pub in_scope: usize,
    pub compliant: usize,
    pub non_compliant: usize,
    pub unknown: usize,
    pub findings: usize,
    /// Accounts to scan, and those with at least one region not scanned.
    pub accounts: usize,
    pub accounts_failed: usize,
    /// Scan errors (per account, region and API).
    pub errors: usize,
    /// Not one account and region could be scanned.
    #[serde(default)]
    pub nothing_scanned: bool,
    /// Enforce mode: tag changes written and failed, and their journal run.
    pub applied: usize,
    pub failed: usize,
    pub apply_run: Option<String>,
    /// Why the cycle failed as a whole, when it did.
    pub error: Option<String>,
    pub duration_seconds: f64,
}

impl CycleSummary {
    /// One line for logs and `history`.
    pub fn line(&self) -> String {
        let mut line = format!(
            "{} resources, {} non-compliant, {} unknown; {} of {} accounts failed, {} error(s)",
            self.resources,
            self.non_compliant,
            self.unknown,
            self.accounts_failed,
            self.accounts,
            self.errors
        );
        if self.mode == DaemonMode::Enforce {
            line += &format!("; {} applied, {} failed", self.applied, self.failed);
        }
        if let Some(e) = &self.error {
            line += &format!("; {e}");
        }
        line
    }
}

/// `/readyz`'s answer: ready or not, and why in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readiness {
    pub ready: bool,
    pub why: String,
}

/// `/readyz`: ready once a cycle has finished, the last one did not fail,
/// and it finished within two intervals.
pub fn readiness(last: Option<(CycleResult, Duration)>, interval: Duration) -> Readiness {
    let not_ready = |why: String| Readiness { ready: false, why };
    let Some((result, age)) = last else {
        return not_ready("not ready: no cycle has finished yet".into());
    };
    let secs = age.as_secs();
    if result == CycleResult::Failed {
        return not_ready(format!("not ready: the last cycle failed ({secs} s ago)"));
    }
    if age > interval * 2 {
        return not_ready(format!(
            "not ready: the last cycle finished {secs} s ago, more than twice the interval ({} s)",
            interval.as_secs()
        ));
    }
    Readiness {
        ready: true,
        why: format!(
            "ready: the last cycle finished {secs} s ago ({})",
            result.label()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_only_after_a_recent_cycle_that_did_not_fail() {
        let hour = Duration::from_secs(3600);
        let ago = Duration::from_secs;
        let is = |ready: bool, why: &str| Readiness {
            ready,
            why: why.into(),
        };
        assert_eq!(
            readiness(None, hour),
            is(false, "not ready: no cycle has finished yet")
        );
        assert_eq!(
            readiness(Some((CycleResult::Partial, ago(12))), hour),
            is(true, "ready: the last cycle finished 12 s ago (partial)")
        );
        assert_eq!(
            readiness(Some((CycleResult::Failed, ago(3))), hour),
            is(false, "not ready: the last cycle failed (3 s ago)")
        );
        assert_eq!(
            readiness(Some((CycleResult::Ok, ago(7201))), hour),
            is(false, "not ready: the last cycle finished 7201 s ago, more than twice the interval (3600 s)")
        );
    }

    #[test]
    fn result_from_counts() {
        assert_eq!(CycleResult::of(false, 0, 0), CycleResult::Ok);
        assert_eq!(CycleResult::of(false, 1, 0), CycleResult::Partial);
        assert_eq!(CycleResult::of(false, 0, 2), CycleResult::Partial);
        assert_eq!(CycleResult::of(true, 3, 0), CycleResult::Failed);
        // An empty estate (no account, nothing to scan) that had no error is fine.
        assert_eq!(CycleResult::of(true, 0, 0), CycleResult::Ok);
    }

    #[test]
    fn summary_line() {
        let s = CycleSummary {
            mode: DaemonMode::Enforce,
            resources: 12,
            non_compliant: 4,
            accounts: 2,
            accounts_failed: 1,
            errors: 1,
            applied: 3,
            ..CycleSummary::default()
        };
        assert_eq!(
            s.line(),
            "12 resources, 4 non-compliant, 0 unknown; 1 of 2 accounts failed, 1 error(s); 3 applied, 0 failed"
        );
    }
}
