//! The terminal table: findings first, then what could not be scanned, then
//! the summary line.

use super::AuditReport;
use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};

pub fn render(report: &AuditReport) -> String {
    let mut out = String::new();
    if !report.findings.is_empty() {
        let mut t = new_table(&[
            "SEVERITY", "ACCOUNT", "REGION", "RESOURCE", "POLICY", "TAG", "FINDING", "VALUE",
            "HINT",
        ]);
        // Most severe first; within a severity, the report's own order.
        let mut findings: Vec<_> = report.findings.iter().collect();
        findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        for f in findings {
            let short = short_id(&f.arn);
            t.add_row([
                f.severity.as_str(),
                f.account_name.as_deref().unwrap_or(&f.account),
                &f.region,
                &format!("{} {short}", f.resource_type),
                &f.policy,
                &f.tag,
                f.kind.as_str(),
                f.value.as_deref().unwrap_or(""),
                f.hint.as_deref().unwrap_or(""),
            ]);
        }
        out.push_str(&t.to_string());
        out.push('\n');
    }
    out.push_str(&not_scanned(&report.errors));
    out.push_str(&report.summary_line());
    out.push('\n');
    out
}

/// A terminal table with tagwarden's style; 160 columns when not on a terminal.
pub fn new_table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header);
    if t.width().is_none() {
        t.set_width(160);
    }
    t
}

/// The last part of an ARN: an instance id, a bucket or database name.
pub fn short_id(arn: &str) -> &str {
    arn.rsplit(['/', ':']).next().unwrap_or(arn)
}

/// One line per account or region that could not be scanned.
pub fn not_scanned(errors: &[super::ScanError]) -> String {
    errors
        .iter()
        .map(|e| {
            format!(
                "not scanned: account {} region {}: {}\n",
                e.account, e.region, e.message
            )
        })
        .collect()
}

/// One line per resource left unchanged, with the reason.
pub fn skipped_lines(skipped: &[crate::plan::Skip]) -> String {
    skipped
        .iter()
        .map(|s| format!("skipped: {} ({}): {}\n", s.arn, s.policy, s.reason))
        .collect()
}
