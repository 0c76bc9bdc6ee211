//! CSV: one row per finding, the columns of the JSON finding.

use super::AuditReport;

pub fn render(report: &AuditReport) -> String {
    let mut w = ::csv::Writer::from_writer(Vec::new());
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
    ];
    w.write_record(header).expect("writing to memory");
    for f in &report.findings {
        w.write_record([
            f.arn.as_str(),
            &f.account,
            f.account_name.as_deref().unwrap_or(""),
            &f.region,
            &f.resource_type,
            &f.policy,
            &f.tag,
            f.kind.as_str(),
            f.value.as_deref().unwrap_or(""),
            f.severity.as_str(),
            f.hint.as_deref().unwrap_or(""),
        ])
        .expect("writing to memory");
    }
    String::from_utf8(w.into_inner().expect("writing to memory")).expect("CSV of UTF-8 strings")
}
