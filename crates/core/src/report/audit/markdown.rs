//! Markdown: for pull requests, wikis and migration-wave tickets.

use super::AuditReport;
use crate::report::{cell, markdown_notes, markdown_table};
use std::fmt::Write;

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
    out.push_str(&markdown_table(
        &[
            "resources",
            "in scope",
            "compliant",
            "non-compliant",
            "unknown",
            "API calls",
        ],
        [[
            c.resources,
            c.in_scope,
            c.compliant,
            c.non_compliant,
            c.unknown,
        ]
        .iter()
        .map(ToString::to_string)
        .chain([report.summary.api_calls.to_string()])
        .collect()],
    ));
    out.push_str(&markdown_notes(&report.errors, &[]));
    if !report.compliance.is_empty() {
        let _ = writeln!(out, "\n## Compliance by policy and account\n");
        out.push_str(&compliance(report));
    }
    if report.findings.is_empty() {
        let _ = writeln!(out, "\nNo findings.");
        return out;
    }
    let _ = writeln!(out, "\n## Findings\n");
    out.push_str(&findings(report));
    out
}

fn account(id: &str, name: Option<&str>) -> String {
    match name {
        Some(n) => format!("{n} ({id})"),
        None => id.to_string(),
    }
}

fn compliance(report: &AuditReport) -> String {
    let rows = report.compliance.iter().map(|r| {
        let c = &r.counts;
        vec![
            r.policy.clone(),
            account(&r.account, r.account_name.as_deref()),
            c.in_scope.to_string(),
            c.compliant.to_string(),
            c.non_compliant.to_string(),
            c.unknown.to_string(),
        ]
    });
    markdown_table(
        &[
            "policy",
            "account",
            "in scope",
            "compliant",
            "non-compliant",
            "unknown",
        ],
        rows,
    )
}

/// One row per finding; with `--cost`, its cost and credit at risk too,
/// the most at risk first.
fn findings(report: &AuditReport) -> String {
    let costed = report.cost_currency.is_some();
    let mut findings: Vec<&super::FindingRecord> = report.findings.iter().collect();
    if costed {
        let at_risk = |f: &&super::FindingRecord| f.credit_at_risk.unwrap_or_default();
        findings.sort_by_key(|f| std::cmp::Reverse(at_risk(f)));
    }
    let money = |v: Option<crate::money::Decimal>| v.map_or(String::new(), crate::money::show);
    let rows = findings.into_iter().map(|f| {
        let mut row = vec![
            f.severity.to_string(),
            account(&f.account, f.account_name.as_deref()),
            f.region.clone(),
            f.resource_type.clone(),
            format!("`{}`", cell(&f.arn)),
            f.policy.clone(),
            format!("`{}`", cell(&f.tag)),
            f.kind.as_str().to_string(),
            f.value
                .as_deref()
                .map(|v| format!("`{}`", cell(v)))
                .unwrap_or_default(),
            cell(f.hint.as_deref().unwrap_or("")),
        ];
        if costed {
            row.extend([money(f.cost), money(f.credit_at_risk)]);
        }
        row
    });
    let mut header = vec![
        "severity", "account", "region", "type", "resource", "policy", "tag", "kind", "value",
        "hint",
    ];
    if costed {
        header.extend(["cost", "credit at risk"]);
    }
    markdown_table(&header, rows)
}
