//! The outcome of `apply` and `rollback` (cli.md): each change with its
//! status, what was skipped and what could not be scanned.

use super::{
    cell, csv, footer, json, markdown_notes, markdown_table, new_table, skip_row, Format, Render,
};
use crate::apply_rules::{AppliedChange, Status};
use crate::plan::Skip;
use crate::scan::ScanError;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ApplySummary {
    pub applied: usize,
    /// Already holding the value when read just before the write.
    pub already: usize,
    pub failed: usize,
    pub skipped: usize,
    pub api_calls: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApplyReport {
    /// The journal's run id (None when nothing was to be written).
    pub run_id: Option<String>,
    #[serde(serialize_with = "crate::time::serde_rfc3339::serialize")]
    pub generated_at: DateTime<Utc>,
    pub summary: ApplySummary,
    pub changes: Vec<AppliedChange>,
    pub skipped: Vec<Skip>,
    pub errors: Vec<ScanError>,
    pub api_calls_by_operation: BTreeMap<String, u64>,
}

impl ApplyReport {
    pub fn new(
        generated_at: DateTime<Utc>,
        errors: Vec<ScanError>,
        skipped: Vec<Skip>,
    ) -> ApplyReport {
        ApplyReport {
            run_id: None,
            generated_at,
            summary: ApplySummary::default(),
            changes: Vec::new(),
            skipped,
            errors,
            api_calls_by_operation: BTreeMap::new(),
        }
    }

    /// Count the changes by status and record the requests made.
    pub fn finish(&mut self, calls: BTreeMap<String, u64>) {
        let count = |s: Status| self.changes.iter().filter(|c| c.status == s).count();
        self.summary.applied = count(Status::Applied);
        self.summary.already = count(Status::Already);
        self.summary.failed = count(Status::Failed);
        self.summary.skipped = count(Status::Skipped) + count(Status::Capped);
        self.summary.api_calls = calls.values().sum();
        self.api_calls_by_operation = calls;
    }

    /// 3 when a change failed or anything could not be scanned, else 0.
    pub fn exit_code(&self) -> u8 {
        if self.summary.failed > 0 || !self.errors.is_empty() {
            3
        } else {
            0
        }
    }

    pub fn summary_line(&self) -> String {
        let s = &self.summary;
        format!(
            "run {}: {} applied, {}{} failed, {} skipped; {} API call(s)",
            self.run_id.as_deref().unwrap_or("(none: nothing to write)"),
            s.applied,
            if s.already > 0 {
                format!("{} already held, ", s.already)
            } else {
                String::new()
            },
            s.failed,
            s.skipped + self.skipped.len(),
            s.api_calls
        )
    }
}

/// `k=v, …` of a change; keys a rollback removes (in `previous`, not in
/// `set`) as `-k`.
fn tags(c: &AppliedChange) -> String {
    let removed = c
        .change
        .previous
        .keys()
        .filter(|k| !c.change.set.contains_key(*k));
    c.change
        .set
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .chain(removed.map(|k| format!("-{k}")))
        .collect::<Vec<_>>()
        .join(", ")
}

fn table(r: &ApplyReport) -> String {
    let mut out = String::new();
    if !r.changes.is_empty() {
        let mut t = new_table(&[
            "STATUS", "ACCOUNT", "REGION", "RESOURCE", "TAGS", "POLICY", "REASON",
        ]);
        for c in &r.changes {
            let status = match c.status {
                Status::Failed => "FAILED",
                s => s.as_str(),
            };
            t.add_row([
                status.to_string(),
                c.change.account.clone(),
                c.change.region.clone(),
                format!("{} {}", c.change.resource_type, c.change.arn.id()),
                tags(c),
                c.change.policy.clone(),
                c.reason.clone().unwrap_or_default(),
            ]);
        }
        out.push_str(&t.to_string());
        out.push('\n');
    }
    out.push_str(&footer(&r.skipped, &r.errors, &r.summary_line()));
    out
}

/// A row per key of each change, and per resource skipped before selection.
fn csv_rows(r: &ApplyReport) -> String {
    let header = [
        "status",
        "arn",
        "account",
        "region",
        "resource_type",
        "policy",
        "key",
        "previous",
        "new",
        "reason",
    ];
    let changes = r.changes.iter().flat_map(|c| {
        let ch = &c.change;
        ch.previous
            .keys()
            .chain(ch.set.keys().filter(|k| !ch.previous.contains_key(*k)))
            .map(move |k| {
                [
                    c.status.as_str().to_string(),
                    ch.arn.to_string(),
                    ch.account.clone(),
                    ch.region.clone(),
                    ch.resource_type.clone(),
                    ch.policy.clone(),
                    k.clone(),
                    ch.previous.get(k).cloned().flatten().unwrap_or_default(),
                    ch.set.get(k).cloned().unwrap_or_default(),
                    c.reason.clone().unwrap_or_default(),
                ]
            })
    });
    let skips = r.skipped.iter().map(|s| skip_row("skipped", s));
    csv(header, changes.chain(skips))
}

fn markdown(r: &ApplyReport) -> String {
    let mut out = format!("# tagwarden run\n\n{}.\n\n", r.summary_line());
    let rows = r.changes.iter().map(|c| {
        vec![
            c.status.as_str().to_string(),
            format!("`{}`", cell(&c.change.arn)),
            c.change.account.clone(),
            c.change.region.clone(),
            cell(&tags(c)),
            c.change.policy.clone(),
            cell(c.reason.as_deref().unwrap_or("")),
        ]
    });
    if !r.changes.is_empty() {
        out.push_str(&markdown_table(
            &[
                "status", "resource", "account", "region", "tags", "policy", "reason",
            ],
            rows,
        ));
    }
    out.push_str(&markdown_notes(&r.errors, &r.skipped));
    out
}

impl Render for ApplyReport {
    fn render(&self, format: Format) -> String {
        match format {
            Format::Table => table(self),
            Format::Json => json(self),
            Format::Csv => csv_rows(self),
            Format::Markdown => markdown(self),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Change;
    use chrono::TimeZone;

    fn report() -> ApplyReport {
        let change = |id: &str, set: &[(&str, &str)], previous: &[(&str, Option<&str>)]| Change {
            arn: crate::arn::instance(id),
            account: "111111111111".into(),
            region: "us-east-1".into(),
            resource_type: "ec2:instance".into(),
            policy: "map-migrated".into(),
            set: set
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            previous: previous
                .iter()
                .map(|(k, v)| (k.to_string(), v.map(str::to_string)))
                .collect(),
            due: None,
        };
        let t = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
        let mut r = ApplyReport::new(
            t,
            vec![ScanError::region(
                "222222222222",
                "eu-west-1",
                "ec2:DescribeInstances: RequestLimitExceeded",
            )],
            vec![Skip {
                arn: crate::arn::arn("arn:aws:s3:::b"),
                account: "111111111111".into(),
                region: "us-east-1".into(),
                resource_type: "s3:bucket".into(),
                policy: "map-migrated".into(),
                reason: "`map-migrated` has the invalid value `MIG1`; `overwrite: never` keeps it"
                    .into(),
            }],
        );
        r.run_id = Some("run-2".into());
        r.changes = vec![
            AppliedChange {
                change: change(
                    "i-1",
                    &[("map-migrated", "mig12345")],
                    &[("map-migrated", None)],
                ),
                status: Status::Applied,
                reason: None,
                error_code: None,
            },
            AppliedChange {
                change: change(
                    "i-2",
                    &[("map-migrated", "mig12345")],
                    &[("map-migrated", Some("MIG1"))],
                ),
                status: Status::Failed,
                reason: Some("ec2:CreateTags: UnauthorizedOperation: denied".into()),
                error_code: Some("UnauthorizedOperation".into()),
            },
            AppliedChange::skipped(
                change(
                    "i-3",
                    &[("map-migrated", "mig12345")],
                    &[("map-migrated", None)],
                ),
                "scheduled: due at 2026-12-05T02:00:00Z".into(),
            ),
            // A rollback's entry: `Team` removed.
            AppliedChange {
                change: change("i-4", &[], &[("Team", Some("web"))]),
                status: Status::Applied,
                reason: Some("removed Team".into()),
                error_code: None,
            },
        ];
        r.finish(BTreeMap::from([
            ("ec2:CreateTags".to_string(), 2),
            ("ec2:DescribeTags".to_string(), 1),
        ]));
        r
    }

    #[test]
    fn counts_and_exit_codes() {
        let mut r = report();
        assert_eq!(
            r.summary,
            ApplySummary {
                applied: 2,
                already: 0,
                failed: 1,
                skipped: 1,
                api_calls: 3
            }
        );
        assert_eq!(
            r.summary_line(),
            "run run-2: 2 applied, 1 failed, 2 skipped; 3 API call(s)"
        );
        assert_eq!(r.exit_code(), 3);
        r.changes.retain(|c| c.status != Status::Failed);
        r.finish(BTreeMap::new());
        assert_eq!(r.exit_code(), 3, "a scan error is still exit 3");
        r.errors.clear();
        assert_eq!(r.exit_code(), 0);
    }

    #[test]
    fn every_format() {
        let r = report();
        insta::assert_snapshot!("apply_table", r.render(Format::Table));
        insta::assert_snapshot!("apply_json", r.render(Format::Json));
        insta::assert_snapshot!("apply_csv", r.render(Format::Csv));
        insta::assert_snapshot!("apply_markdown", r.render(Format::Markdown));
    }
}
