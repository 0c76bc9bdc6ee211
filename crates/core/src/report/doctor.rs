//! `tagwarden doctor`: one row per check of the set-up (credentials, roles,
//! reads, writes, Resource Explorer, Cost Explorer, billing export, queues,
//! MGN, store), each with what was found and the exact fix, in every
//! format.

use super::{cell, csv, json, markdown_table, new_table, Format, Render};
use serde::Serialize;

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    /// Works, but something will go wrong or be missed (messages in a
    /// dead-letter queue, a tag not yet active).
    Warn,
    /// A run would fail or miss resources here.
    Fail,
    /// Could not be checked, and why (the message says).
    Skipped,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Skipped => "skipped",
        }
    }
}

/// What a row checks, in the order the rows are shown (the order a run
/// meets them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckKind {
    Store,
    Credentials,
    Organization,
    AssumeRole,
    Read,
    Write,
    ResourceExplorer,
    Mgn,
    CostExplorer,
    CostAllocationTag,
    BillingExport,
    Queue,
    DeadLetterQueue,
}

impl CheckKind {
    pub fn label(self) -> &'static str {
        match self {
            CheckKind::Store => "store",
            CheckKind::Credentials => "credentials",
            CheckKind::Organization => "organization",
            CheckKind::AssumeRole => "assume-role",
            CheckKind::Read => "read",
            CheckKind::Write => "write",
            CheckKind::ResourceExplorer => "resource-explorer",
            CheckKind::Mgn => "mgn",
            CheckKind::CostExplorer => "cost-explorer",
            CheckKind::CostAllocationTag => "cost-allocation-tag",
            CheckKind::BillingExport => "billing-export",
            CheckKind::Queue => "queue",
            CheckKind::DeadLetterQueue => "dead-letter-queue",
        }
    }
}

/// One check: where, how it came out, what was found, and what fixes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub check: CheckKind,
    pub account: Option<String>,
    pub region: Option<String>,
    pub status: Status,
    pub message: String,
    /// The AWS CLI command, IAM action or configuration line that fixes it
    /// (None when nothing needs fixing).
    pub fix: Option<String>,
}

impl Check {
    pub fn new(check: CheckKind, status: Status, message: impl Into<String>) -> Check {
        Check {
            check,
            account: None,
            region: None,
            status,
            message: message.into(),
            fix: None,
        }
    }

    pub fn ok(check: CheckKind, message: impl Into<String>) -> Check {
        Check::new(check, Status::Ok, message)
    }

    pub fn warn(check: CheckKind, message: impl Into<String>, fix: impl Into<String>) -> Check {
        Check::new(check, Status::Warn, message).fix(fix)
    }

    pub fn fail(check: CheckKind, message: impl Into<String>, fix: impl Into<String>) -> Check {
        Check::new(check, Status::Fail, message).fix(fix)
    }

    pub fn skipped(check: CheckKind, why: impl Into<String>) -> Check {
        Check::new(check, Status::Skipped, why)
    }

    pub fn fix(mut self, fix: impl Into<String>) -> Check {
        self.fix = Some(fix.into());
        self
    }

    pub fn account(mut self, account: &str) -> Check {
        self.account = Some(account.to_string());
        self
    }

    pub fn region(mut self, region: &str) -> Check {
        self.region = Some(region.to_string());
        self
    }

    /// Where the check applies: `account` and `region` at once.
    pub fn at(self, account: &str, region: &str) -> Check {
        self.account(account).region(region)
    }
}

/// How many checks came out each way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub ok: usize,
    pub warn: usize,
    pub fail: usize,
    pub skipped: usize,
}

/// Every check of one `doctor` run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DoctorReport {
    pub checks: Vec<Check>,
    pub summary: Summary,
}

impl DoctorReport {
    /// The rows in the order a run meets them: by check, then account and
    /// region (rows without either first), then message.
    pub fn new(mut checks: Vec<Check>) -> DoctorReport {
        checks.sort_by(|a, b| {
            (a.check, &a.account, &a.region, &a.message)
                .cmp(&(b.check, &b.account, &b.region, &b.message))
        });
        let mut summary = Summary::default();
        for c in &checks {
            *match c.status {
                Status::Ok => &mut summary.ok,
                Status::Warn => &mut summary.warn,
                Status::Fail => &mut summary.fail,
                Status::Skipped => &mut summary.skipped,
            } += 1;
        }
        DoctorReport { checks, summary }
    }

    /// 0 when nothing failed, 3 when some check did (cli.md).
    pub fn exit_code(&self) -> u8 {
        if self.summary.fail > 0 {
            3
        } else {
            0
        }
    }

    pub fn summary_line(&self) -> String {
        let s = &self.summary;
        let verdict = if s.fail > 0 {
            "fix the rows marked fail (their FIX column says how), then run `tagwarden doctor` again"
        } else {
            "the set-up is ready"
        };
        format!(
            "{} checks: {} ok, {} warn, {} fail, {} skipped; {verdict}",
            self.checks.len(),
            s.ok,
            s.warn,
            s.fail,
            s.skipped
        )
    }
}

const HEADER: [&str; 6] = ["CHECK", "ACCOUNT", "REGION", "STATUS", "MESSAGE", "FIX"];

fn cells(c: &Check) -> [String; 6] {
    [
        c.check.label().to_string(),
        c.account.clone().unwrap_or_default(),
        c.region.clone().unwrap_or_default(),
        c.status.label().to_string(),
        c.message.clone(),
        c.fix.clone().unwrap_or_default(),
    ]
}

impl Render for DoctorReport {
    fn render(&self, format: Format) -> String {
        match format {
            Format::Json => json(self),
            Format::Csv => csv(HEADER, self.checks.iter().map(cells)),
            Format::Markdown => {
                let rows = self
                    .checks
                    .iter()
                    .map(|c| cells(c).iter().map(|s| cell(s)).collect());
                format!(
                    "# tagwarden doctor\n\n{}\n{}\n",
                    markdown_table(&HEADER, rows),
                    self.summary_line()
                )
            }
            Format::Table => {
                let mut t = new_table(&HEADER);
                for c in &self.checks {
                    t.add_row(cells(c).to_vec());
                }
                format!("{t}\n{}\n", self.summary_line())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> DoctorReport {
        DoctorReport::new(vec![
            Check::fail(
                CheckKind::Read,
                "ec2:DescribeVolumes denied: UnauthorizedOperation: You are not authorized to perform this operation.",
                "allow ec2:DescribeVolumes to role tagwarden-audit in account 222222222222 (`tagwarden policy iam --role audit` prints the whole policy)",
            )
            .at("222222222222", "eu-west-1"),
            Check::ok(CheckKind::Credentials, "account 111111111111 (arn:aws:iam::111111111111:user/ops), from the environment (AWS_ACCESS_KEY_ID)"),
            Check::ok(CheckKind::Read, "ec2:DescribeVolumes").at("111111111111", "eu-west-1"),
            Check::skipped(CheckKind::Write, "iam:SimulatePrincipalPolicy denied: no dry run for rds:AddTagsToResource").account("111111111111"),
            Check::warn(
                CheckKind::DeadLetterQueue,
                "3 messages wait in tagwarden-events-dlq",
                "read them with `aws sqs receive-message --queue-url URL`, then purge it",
            )
            .region("us-east-1"),
            Check::ok(CheckKind::Store, "tagwarden.db: schema version 7, writable"),
        ])
    }

    #[test]
    fn rows_are_in_the_order_a_run_meets_them_and_counted() {
        let r = report();
        let order: Vec<(&str, Option<&str>)> = r
            .checks
            .iter()
            .map(|c| (c.check.label(), c.account.as_deref()))
            .collect();
        assert_eq!(
            order,
            [
                ("store", None),
                ("credentials", None),
                ("read", Some("111111111111")),
                ("read", Some("222222222222")),
                ("write", Some("111111111111")),
                ("dead-letter-queue", None),
            ]
        );
        assert_eq!(
            r.summary,
            Summary {
                ok: 3,
                warn: 1,
                fail: 1,
                skipped: 1
            }
        );
        assert_eq!(r.exit_code(), 3);
        let fine = DoctorReport::new(
            r.checks
                .into_iter()
                .filter(|c| c.status != Status::Fail)
                .collect(),
        );
        assert_eq!(fine.exit_code(), 0);
        assert!(fine.summary_line().ends_with("the set-up is ready"));
    }

    #[test]
    fn every_format() {
        let r = report();
        insta::assert_snapshot!("doctor_table", r.render(Format::Table));
        insta::assert_snapshot!("doctor_json", r.render(Format::Json));
        insta::assert_snapshot!("doctor_markdown", r.render(Format::Markdown));
        insta::assert_snapshot!("doctor_csv", r.render(Format::Csv));
    }
}
