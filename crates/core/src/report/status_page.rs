//! A daemon cycle: its summary from the audit and apply reports, and the
//! status page (`/`) that shows the last one.

use super::audit::ComplianceRow;
use super::drift::{self, Removal};
use super::html::{account_label, not_scanned};
use super::waves::reasons;
use super::{ApplyReport, AuditReport};
use crate::config::DaemonMode;
use crate::cycle_summary::{CycleResult, CycleSummary};
use crate::mgn::waves::WaveRow;
use crate::scan::{AccountScope, RegionScope, ScanError};
use crate::shard::Shard;
use maud::{html, Markup, DOCTYPE};
use std::collections::BTreeSet;

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
    /// MGN's waves with their readiness (none without `inventory.mgn`).
    pub waves: &'a [WaveRow],
}

/// `/`: what a person checking on the daemon wants to see, with no
/// external assets. Built with maud's `html!`, which escapes every value.
pub struct StatusPage<'a> {
    pub version: &'a str,
    pub mode: DaemonMode,
    pub shard: Shard,
    pub interval: &'a str,
    /// The readiness verdict, in words.
    pub readiness: &'a str,
    pub last: Option<LastCycle<'a>>,
    /// The last removals of policies' tags the event queues brought.
    pub removals: &'a [Removal],
}

/// Written as it is: it holds none of `&`, `<`, `>` or `"` (a test checks).
const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em;color:#222}\
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}\
th{background:#f4f4f4}.ok{color:#11772d}.partial{color:#a15c00}.failed,.cancelled{color:#b00020}";

impl StatusPage<'_> {
    pub fn html(&self) -> String {
        html! {
            (DOCTYPE) "\n"
            html lang="en" {
                head { meta charset="utf-8"; title { "tagwarden" } style { (STYLE) } }
                body {
                    "\n"
                    h1 { "tagwarden " (self.version) } "\n"
                    p {
                        "Mode " b { (self.mode.label()) } ", every " (self.interval)
                        ", shard " (self.shard.index) " of " (self.shard.total) ". " (self.readiness)
                    }
                    "\n"
                    @match &self.last {
                        None => { p { "No cycle has finished yet." } "\n" }
                        Some(last) => (last.markup()),
                    }
                    @if let Some(lately) = drift::lately(self.removals) {
                        h3 { (drift::LATELY_HEADING) } "\n"
                        (lately)
                    }
                    p {
                        a href="/metrics" { "metrics" } " · "
                        a href="/healthz" { "healthz" } " · "
                        a href="/readyz" { "readyz" }
                    }
                    "\n"
                }
            }
            "\n"
        }
        .into_string()
    }
}

impl LastCycle<'_> {
    fn markup(&self) -> Markup {
        let s = self.summary;
        let label = self.result.label();
        html! {
            h2 { "Last cycle: " span class=(label) { (label) } } "\n"
            p {
                "Run " code { (self.run_id) } ", finished " (self.finished_at)
                " in " (format!("{:.1}", s.duration_seconds)) " s."
            }
            "\n"
            p { (s.line()) } "\n"
            @if !self.compliance.is_empty() {
                table {
                    tr {
                        th { "Policy" } th { "Account" } th { "In scope" }
                        th { "Compliant" } th { "Non-compliant" } th { "Unknown" }
                    }
                    "\n"
                    @for r in self.compliance {
                        tr {
                            td { (r.policy) }
                            td { (account_label(r)) }
                            td { (r.counts.in_scope) }
                            td { (r.counts.compliant) }
                            td { (r.counts.non_compliant) }
                            td { (r.counts.unknown) }
                        }
                        "\n"
                    }
                }
                "\n"
            }
            @if !self.waves.is_empty() {
                h3 { "Migration waves" } "\n"
                (waves_table(self.waves))
            }
            @if !self.errors.is_empty() {
                h3 { "Not scanned" } "\n"
                (not_scanned(self.errors))
            }
        }
    }
}

/// Each wave per account and region: whether what MGN launches carries
/// the policies' tags.
fn waves_table(waves: &[WaveRow]) -> Markup {
    html! {
        table {
            tr {
                th { "Wave" } th { "Account" } th { "Region" } th { "Servers" }
                th { "Ready" } th { "Not ready" } th { "Launched untagged" } th { "Reasons" }
            }
            "\n"
            @for w in waves {
                tr {
                    td { (w.name) }
                    td { (w.account) }
                    td { (w.region) }
                    td { (w.servers) }
                    td { (w.ready) }
                    td class=[(w.not_ready > 0).then_some("failed")] { (w.not_ready) }
                    td { (w.launched_untagged) }
                    td { (reasons(&w.reasons)) }
                }
                "\n"
            }
        }
        "\n"
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

    fn wave(name: &str, account: &str, region: &str) -> WaveRow {
        WaveRow {
            name: name.into(),
            id: "wave-0a1b2c3d".into(),
            account: account.into(),
            region: region.into(),
            applications: 2,
            servers: 5,
            states: [("READY_FOR_CUTOVER".to_string(), 5)].into(),
            ready: 3,
            not_ready: 2,
            out_of_scope: 0,
            launched: 1,
            launched_untagged: 1,
            reasons: [
                (crate::mgn::readiness::Reason::AutoTaggingOff, 1),
                (crate::mgn::readiness::Reason::LaunchedUntagged, 1),
            ]
            .into(),
            not_ready_servers: Vec::new(),
        }
    }

    fn removal(principal: &str) -> Removal {
        crate::report::drift::tests::removal(
            "arn:aws:ec2:eu-west-1:222222222222:instance/i-1",
            principal,
            crate::cloudtrail::tool::Tool::Terraform,
            crate::report::RemovalOutcome::Restored,
        )
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
            removals: &[],
            last: Some(LastCycle {
                run_id: "0192",
                finished_at: "2026-12-01T00:00:05Z",
                result: s.result(),
                summary: &s,
                compliance: &compliance,
                errors: &errors,
                waves: &[wave("wave 3", "111111111111", "eu-west-1")],
            }),
        };
        insta::assert_snapshot!(page.html());
        let removed = [removal(
            "arn:aws:sts::222222222222:assumed-role/terraform-ci/s",
        )];
        let with_removals = StatusPage {
            removals: &removed,
            last: None,
            ..page
        }
        .html();
        assert!(
            with_removals.contains("<h3>Tags removed lately</h3>"),
            "{with_removals}"
        );
        assert!(with_removals.contains("<li>arn:aws:sts::222222222222:assumed-role/terraform-ci/s (terraform) removed or changed map-migrated 1 time(s) on 1 resource(s): add `ignore_tags"), "{with_removals}");
        let empty = StatusPage { last: None, ..page };
        assert!(empty.html().contains("No cycle has finished yet."));
    }

    #[test]
    fn text_from_aws_a_tag_or_the_configuration_is_never_markup() {
        use crate::report::html::tests::{assert_escaped, HOSTILE as H};
        let t = |s: &str| format!("{s}{H}");
        let s = CycleSummary {
            mode: DaemonMode::Enforce,
            error: Some(t("state store: disk I/O error")),
            ..summary()
        };
        let compliance = [ComplianceRow {
            policy: t("map-migrated"),
            account: t("111111111111"),
            account_name: Some(t("prod")),
            counts: PolicyCounts::default(),
        }];
        let errors = [ScanError::region(&t("2222"), &t("eu-west-1"), t("denied"))];
        let (version, interval, readiness) = (t("0.1.0"), t("1h"), t("Not ready"));
        let (run_id, finished_at) = (t("0192"), t("2026-12-01T00:00:05Z"));
        let waves = [wave(&t("wave 3"), &t("333"), &t("us-east-1"))];
        let removals = [removal(&t("arn:aws:sts::222222222222:assumed-role/ci/s"))];
        let page = StatusPage {
            version: &version,
            mode: DaemonMode::Enforce,
            shard: Shard::new(2, 3).unwrap(),
            interval: &interval,
            readiness: &readiness,
            removals: &removals,
            last: Some(LastCycle {
                run_id: &run_id,
                finished_at: &finished_at,
                result: s.result(),
                summary: &s,
                compliance: &compliance,
                errors: &errors,
                waves: &waves,
            }),
        }
        .html();
        assert_escaped(
            &page,
            &[
                ("<h1>tagwarden ", version.clone()),
                ("every ", interval.clone()),
                // The mode and the shard are typed: no text of their own.
                ("<p>Mode <b>enforce</b>, every ", interval.clone()),
                (", shard 2 of 3. ", readiness.clone()),
                ("Run <code>", run_id.clone()),
                ("finished ", finished_at.clone()),
                // The last cycle's error, at the end of its line.
                ("0 applied, 0 failed; ", s.error.clone().unwrap()),
                ("<td>", t("map-migrated")),
                ("<td>", format!("{} ({})", t("111111111111"), t("prod"))),
                ("<td>", t("wave 3")),
                ("<td>", t("333")),
                ("<td>", t("us-east-1")),
                ("<li>account ", t("2222")),
                ("<li>", t("arn:aws:sts::222222222222:assumed-role/ci/s")),
                (" region ", t("eu-west-1")),
                (": ", t("denied")),
            ],
        );
        assert_eq!(
            page.matches("<span class=\"failed\">failed</span>").count(),
            1
        );
        assert!(page.contains(&format!("<style>{STYLE}</style>")), "{page}");
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
            late_tagged: None,
            scanned: Default::default(),
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
