//! CSV: one row per finding, the columns of the JSON finding (`cost` and
//! `credit_at_risk` empty without `--cost`).

use super::AuditReport;

pub fn render(report: &AuditReport) -> String {
    let header = [
        "arn",
        "account",
        "account_name",
        "region",
        "resource_type",
        "policy",
        "tag",
        "kind",
        "value",
        "severity",
        "hint",
        "cost",
        "credit_at_risk",
    ];
    let rows = report.findings.iter().map(|f| {
        [
            f.arn.to_string(),
            f.account.clone(),
            f.account_name.clone().unwrap_or_default(),
            f.region.clone(),
            f.resource_type.clone(),
            f.policy.clone(),
            f.tag.clone(),
            f.kind.as_str().to_string(),
            f.value.clone().unwrap_or_default(),
            f.severity.as_str().to_string(),
            f.hint.clone().unwrap_or_default(),
            f.cost.map(|c| format!("{c:.2}")).unwrap_or_default(),
            f.credit_at_risk
                .map(|c| format!("{c:.2}"))
                .unwrap_or_default(),
        ]
    });
    crate::report::csv(header, rows)
}
