//! The audit report: one owned, serializable report, printed as a table,
//! JSON (the stable contract of cli.md), CSV or Markdown.

mod csv;
mod markdown;
mod table;

use super::drift::LastRemovals;
use super::{Format, Render};
use crate::policy::{Evaluation, FindingKind, PolicyCounts, Severity, Summary};
use crate::resource::Arn;
use crate::scan::ScanError;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FindingRecord {
    pub arn: Arn,
    pub account: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_name: Option<String>,
    pub region: String,
    pub resource_type: String,
    pub policy: String,
    pub tag: String,
    pub kind: FindingKind,
    pub value: Option<String>,
    pub severity: Severity,
    pub hint: Option<String>,
    /// With `--cost`: the resource's billed usage over the file's period.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::money::serialize_opt"
    )]
    pub cost: Option<crate::money::Decimal>,
    /// With `--cost`: the credit that usage forfeits while it is not tagged
    /// with this agreement's MAP value (`map.credit_rate` × cost; 0 when it
    /// is).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::money::serialize_opt"
    )]
    pub credit_at_risk: Option<crate::money::Decimal>,
    /// With `--cost`, when the bill shows the resource took this
    /// agreement's MAP value after it had spent: the eligible spend before
    /// it, whose credit is lost for good.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::money::serialize_opt"
    )]
    pub spend_before_tag: Option<crate::money::Decimal>,
}

/// One policy's verdicts in one account.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComplianceRow {
    pub policy: String,
    pub account: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_name: Option<String>,
    #[serde(flatten)]
    pub counts: PolicyCounts,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportSummary {
    #[serde(flatten)]
    pub counts: Summary,
    /// AWS API requests the scan made (see `api_calls_by_operation`).
    pub api_calls: u64,
    pub accounts: usize,
    pub regions: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditReport {
    pub run_id: String,
    #[serde(with = "crate::time::serde_rfc3339")]
    pub generated_at: DateTime<Utc>,
    pub summary: ReportSummary,
    pub errors: Vec<ScanError>,
    /// Per policy and account: resources in scope and their verdicts.
    pub compliance: Vec<ComplianceRow>,
    pub findings: Vec<FindingRecord>,
    /// Requests per `service:Operation`.
    pub api_calls_by_operation: BTreeMap<String, u64>,
    pub warnings: Vec<String>,
    /// With `--cost`: the billing files' currency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_currency: Option<String>,
    /// With `--cost`: the scanned resources the bill shows were tagged
    /// after they had spent (compliant now, their early credit lost),
    /// costliest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub late_tagged: Option<Vec<crate::credits::resources::LateResource>>,
    /// Every resource the scan listed, by ARN and bare id (to match the
    /// ids a bill uses).
    #[serde(skip)]
    pub scanned: std::collections::BTreeSet<String>,
}

impl AuditReport {
    /// Build the report of an evaluation. `account_name` gives display names.
    pub fn new(
        run_id: String,
        generated_at: DateTime<Utc>,
        evaluation: &Evaluation<'_>,
        account_name: impl Fn(&str) -> Option<String>,
    ) -> AuditReport {
        let mut findings: Vec<FindingRecord> = evaluation
            .findings
            .iter()
            .map(|f| FindingRecord {
                arn: f.resource.arn.clone(),
                account: f.resource.account.clone(),
                account_name: account_name(&f.resource.account),
                region: f.resource.region.clone(),
                resource_type: f.resource.resource_type.clone(),
                policy: f.policy.name.clone(),
                tag: f.tag.to_string(),
                kind: f.kind,
                value: f.value.map(str::to_string),
                severity: f.policy.severity,
                hint: f.hint.clone(),
                cost: None,
                credit_at_risk: None,
                spend_before_tag: None,
            })
            .collect();
        findings.sort_by(|a, b| {
            (
                &a.account,
                &a.region,
                &a.resource_type,
                &a.arn,
                &a.policy,
                &a.tag,
            )
                .cmp(&(
                    &b.account,
                    &b.region,
                    &b.resource_type,
                    &b.arn,
                    &b.policy,
                    &b.tag,
                ))
        });
        let compliance = evaluation
            .by_policy
            .iter()
            .map(|((policy, account), counts)| ComplianceRow {
                policy: policy.to_string(),
                account: account.to_string(),
                account_name: account_name(account),
                counts: *counts,
            })
            .collect();
        AuditReport {
            run_id,
            generated_at,
            compliance,
            summary: ReportSummary {
                counts: evaluation.summary,
                api_calls: 0,
                accounts: 0,
                regions: 0,
            },
            errors: Vec::new(),
            findings,
            api_calls_by_operation: BTreeMap::new(),
            warnings: Vec::new(),
            cost_currency: None,
            late_tagged: None,
            scanned: std::collections::BTreeSet::new(),
        }
    }

    /// Put each finding's resource cost from billing files on it: the
    /// table then lists the costliest first ("tag these first").
    pub fn attach_costs(
        &mut self,
        costs: &crate::billing::Costs,
        terms: &crate::config::MapAgreement,
    ) {
        for f in &mut self.findings {
            let Some(billed) = costs.of(&f.arn) else {
                continue;
            };
            let rc = crate::plan::ResourceCost::of(billed, terms);
            f.cost = Some(rc.cost);
            f.credit_at_risk = Some(rc.credit_at_risk);
            let late = billed.spend_before_tag();
            f.spend_before_tag = (late > crate::money::Decimal::ZERO).then_some(late);
        }
        // Ranked among the scanned ones: the bill's costliest may all be
        // resources the scan did not list.
        self.late_tagged = Some(crate::credits::resources::late_among(
            costs,
            terms.credit_rate,
            |id| self.scanned.contains(id),
        ));
        self.cost_currency = Some(costs.currency.clone().unwrap_or_else(|| "USD".into()));
    }

    /// Say on each finding of a missing or wrong key that the key was
    /// removed or changed, when, by whom, with what tool, and how to stop
    /// it, when `removals` holds the key's last removal on that resource
    /// (after the finding's own hint).
    pub fn attach_removals(&mut self, removals: &LastRemovals) {
        let gone =
            |f: &&mut FindingRecord| matches!(f.kind, FindingKind::Missing | FindingKind::Invalid);
        for f in self.findings.iter_mut().filter(gone) {
            let present = f.kind == FindingKind::Invalid;
            let Some(removal) = removals.of(f.arn.as_str(), &f.tag, present) else {
                continue;
            };
            f.hint = Some(match f.hint.take() {
                None => removal.hint(),
                Some(own) => format!("{own}; {}", removal.hint()),
            });
        }
    }

    /// Exit code of cli.md: 3 when anything could not be scanned or read,
    /// else 1 on any finding, else 0.
    pub fn exit_code(&self) -> u8 {
        if !self.errors.is_empty() || self.summary.counts.unknown > 0 {
            3
        } else if self.findings.is_empty() {
            0
        } else {
            1
        }
    }

    /// One line: the counts a person reads first.
    pub fn summary_line(&self) -> String {
        let c = &self.summary.counts;
        format!(
            "{} resources in {} account(s) and {} region(s): {} in scope, {} compliant, {} non-compliant, {} unknown; {} finding(s), {} API call(s)",
            c.resources,
            self.summary.accounts,
            self.summary.regions,
            c.in_scope,
            c.compliant,
            c.non_compliant,
            c.unknown,
            self.findings.len(),
            self.summary.api_calls
        )
    }
}

impl Render for AuditReport {
    fn render(&self, format: Format) -> String {
        match format {
            Format::Json => super::json(self),
            Format::Csv => csv::render(self),
            Format::Markdown => markdown::render(self),
            Format::Table => table::render(self),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Policy, Requirement, Scope};
    use crate::resource::Resource;
    use chrono::TimeZone;

    pub(crate) fn sample() -> AuditReport {
        let policy = Policy {
            name: "map-migrated".into(),
            description: None,
            severity: Severity::Critical,
            resource_types: vec!["ec2:instance".into(), "s3:bucket".into()],
            scope: Scope::default(),
            require: vec![Requirement {
                key: "map-migrated".into(),
                values: None,
                pattern: None,
                format: Some(crate::policy::map_format::MapFormat::Strict),
            }],
            forbid: vec![],
            remediate: None,
            file: "p.yaml".into(),
        };
        let resources = vec![
            Resource::new(
                crate::arn::arn("arn:aws:ec2:us-east-1:111111111111:instance/i-1"),
                "111111111111",
                "us-east-1",
                "ec2:instance",
            )
            .with_tags([("Map-Migrated", "mig12345")]),
            Resource::new(
                crate::arn::arn("arn:aws:s3:::logs|pipe"),
                "222222222222",
                "eu-west-1",
                "s3:bucket",
            )
            .with_tags([("map-migrated", "MIG12345")]),
            Resource::new(
                crate::arn::arn("arn:aws:ec2:us-east-1:111111111111:instance/i-2"),
                "111111111111",
                "us-east-1",
                "ec2:instance",
            )
            .with_tags([("map-migrated", "mig12345")]),
        ];
        let cost = Policy {
            name: "cost-allocation".into(),
            severity: Severity::Medium,
            resource_types: vec!["ec2:instance".into(), "s3:bucket".into()],
            require: ["Owner", "Team"]
                .map(|k| Requirement {
                    key: k.into(),
                    values: None,
                    pattern: None,
                    format: None,
                })
                .into(),
            forbid: vec!["map-dba".into()],
            ..policy.clone()
        };
        let mut unreadable = Resource::new(
            crate::arn::arn("arn:aws:ec2:eu-west-1:111111111111:instance/i-3"),
            "111111111111",
            "eu-west-1",
            "ec2:instance",
        );
        unreadable.tags_unreadable = Some("ec2:DescribeInstances: AccessDenied".into());
        let mut resources = resources;
        resources[1].tags.insert("map-dba".into(), "legacy".into());
        resources[2].tags.extend([
            ("Owner".to_string(), "a".to_string()),
            ("Team".to_string(), "b".to_string()),
        ]);
        resources.push(unreadable);
        let policies = vec![policy, cost];
        let eval = crate::policy::evaluate(&resources, &policies);
        let mut r = AuditReport::new(
            "run-1".into(),
            Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap(),
            &eval,
            |a| (a == "111111111111").then(|| "prod".to_string()),
        );
        r.summary.api_calls = 7;
        r.summary.accounts = 3;
        r.summary.regions = 2;
        r.errors.push(ScanError::account(
            "333333333333",
            "cannot assume role: AccessDenied",
        ));
        r.api_calls_by_operation
            .insert("ec2:DescribeInstances".into(), 7);
        r
    }

    #[test]
    fn json_contract() {
        insta::assert_snapshot!(sample().render(Format::Json));
    }

    #[test]
    fn csv_report() {
        insta::assert_snapshot!(sample().render(Format::Csv));
    }

    #[test]
    fn markdown_report() {
        insta::assert_snapshot!(sample().render(Format::Markdown));
    }

    #[test]
    fn table_report() {
        insta::assert_snapshot!(sample().render(Format::Table));
    }

    /// The store's last removals: `map-migrated` on i-1 by Terraform's CI,
    /// the bucket's value changed in the console, its `map-dba` (a
    /// forbidden key, not missing) removed, and i-1's `Team` removed by
    /// tagwarden's own rollback.
    fn removals() -> LastRemovals {
        use crate::cloudtrail::tool::Tool;
        use crate::report::drift::tests::removal;
        use crate::report::{Removal, RemovalOutcome};
        let i1 = "arn:aws:ec2:us-east-1:111111111111:instance/i-1";
        let bucket = "arn:aws:s3:::logs|pipe";
        let ci = "arn:aws:sts::111111111111:assumed-role/terraform-ci/s";
        let jane = "arn:aws:sts::222222222222:assumed-role/Admin/jane";
        let key = |key: &str, r: Removal| Removal {
            key: key.into(),
            fix: r.tool.fix(key),
            ..r
        };
        LastRemovals::new([
            removal(i1, ci, Tool::Terraform, RemovalOutcome::Capped),
            Removal {
                value: Some("MIG12345".into()),
                ..removal(bucket, jane, Tool::Console, RemovalOutcome::Reported)
            },
            key(
                "map-dba",
                removal(bucket, jane, Tool::Console, RemovalOutcome::Reported),
            ),
            key(
                "Team",
                removal(i1, "tagwarden", Tool::Tagwarden, RemovalOutcome::Own),
            ),
        ])
    }

    #[test]
    fn a_finding_names_the_removal_of_its_key() {
        let before = sample();
        let mut r = sample();
        r.attach_removals(&removals());
        insta::assert_snapshot!(r.render(Format::Table));
        let hint = |r: &AuditReport, arn: &str, tag: &str| {
            let f = r
                .findings
                .iter()
                .find(|f| f.arn.as_str() == arn && f.tag == tag);
            f.unwrap().hint.clone()
        };
        let i1 = "arn:aws:ec2:us-east-1:111111111111:instance/i-1";
        let bucket = "arn:aws:s3:::logs|pipe";
        // After the finding's own hint (a key differing only in case).
        let own = hint(&before, i1, "map-migrated").unwrap();
        assert_eq!(
            hint(&r, i1, "map-migrated").unwrap(),
            format!("{own}; map-migrated was removed 2026-12-07 10:00 UTC by arn:aws:sts::111111111111:assumed-role/terraform-ci/s (terraform): add `ignore_tags {{ keys = [\"map-migrated\"] }}` to every AWS provider block (or put `map-migrated` in the provider's `default_tags`), so Terraform stops removing a tag it does not manage")
        );
        let changed = hint(&r, bucket, "map-migrated").unwrap();
        assert!(
            changed.contains("; map-migrated was changed to `MIG12345` 2026-12-07 10:00 UTC by arn:aws:sts::222222222222:assumed-role/Admin/jane (console): "),
            "{changed}"
        );
        // No removal, a forbidden key, tagwarden's own: the hint as it was.
        for (arn, tag) in [(bucket, "Owner"), (bucket, "map-dba"), (i1, "Team")] {
            assert_eq!(hint(&r, arn, tag), hint(&before, arn, tag), "{arn} {tag}");
        }
        let mut none = sample();
        none.attach_removals(&LastRemovals::default());
        assert_eq!(none, before);
    }

    #[test]
    fn exit_codes() {
        let mut r = sample();
        assert_eq!(r.exit_code(), 3);
        r.errors.clear();
        assert_eq!(r.exit_code(), 3, "an unknown resource is still exit 3");
        r.summary.counts.unknown = 0;
        assert_eq!(r.exit_code(), 1);
        r.findings.clear();
        assert_eq!(r.exit_code(), 0);
    }
}
