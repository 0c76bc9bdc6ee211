//! Markdown: for pull requests, wikis and migration-wave tickets.

use super::AuditReport;
use std::fmt::Write;

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

pub fn render(report: &AuditReport) -> String {
    let c = &report.summary.counts;
    let mut out = String::new();
    let _ = writeln!(out, "# tagwarden audit\n");
    let _ = writeln!(
        out,
        "Run `{}` at {}.\n",
        report.run_id,
        crate::time::rfc3339(report.generated_at)
    );
    let _ = writeln!(
        out,
        "| resources | in scope | compliant | non-compliant | unknown | API calls |"
    );
    let _ = writeln!(out, "| ---: | ---: | ---: | ---: | ---: | ---: |");
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} |\n",
        c.resources, c.in_scope, c.compliant, c.non_compliant, c.unknown, report.summary.api_calls
    );
    if !report.errors.is_empty() {
        let _ = writeln!(out, "## Not scanned\n");
        for e in &report.errors {
            let _ = writeln!(
                out,
                "- account `{}`, region `{}`: {}",
                e.account,
                e.region,
                cell(&e.message)
            );
        }
        out.push('\n');
    }
    if report.findings.is_empty() {
        let _ = writeln!(out, "No findings.");
        return out;
    }
    let _ = writeln!(out, "## Findings\n");
    let _ = writeln!(
        out,
        "| severity | account | region | type | resource | policy | tag | kind | value | hint |"
    );
    let _ = writeln!(
        out,
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    );
    for f in &report.findings {
        let account = match &f.account_name {
            Some(n) => format!("{n} ({})", f.account),
            None => f.account.clone(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | `{}` | {} | `{}` | {} | {} | {} |",
            f.severity,
            account,
            f.region,
            f.resource_type,
            cell(&f.arn),
            f.policy,
            cell(&f.tag),
            f.kind.as_str(),
            f.value
                .as_deref()
                .map(|v| format!("`{}`", cell(v)))
                .unwrap_or_default(),
            cell(f.hint.as_deref().unwrap_or(""))
        );
    }
    out
}
