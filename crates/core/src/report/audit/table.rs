//! The terminal table: a summary per policy and account, then one row per
//! non-compliant resource and policy listing each offending key and what is
//! wrong with it, then what could not be scanned and the summary line.

use super::{AuditReport, FindingRecord};
use crate::policy::FindingKind;
use crate::report::{new_table, not_scanned};
use std::fmt::Write;

pub fn render(report: &AuditReport) -> String {
    let mut out = String::new();
    if !report.compliance.is_empty() {
        out.push_str(&compliance(report));
        out.push('\n');
    }
    if !report.findings.is_empty() {
        out.push_str(&problems(report));
        out.push('\n');
    }
    out.push_str(&late_tagged(report));
    out.push_str(&not_scanned(&report.errors));
    out.push_str(&report.summary_line());
    out.push('\n');
    out
}

fn compliance(report: &AuditReport) -> String {
    let mut t = new_table(&[
        "POLICY",
        "ACCOUNT",
        "IN SCOPE",
        "COMPLIANT",
        "NON-COMPLIANT",
        "UNKNOWN",
    ]);
    for row in &report.compliance {
        let c = &row.counts;
        t.add_row([
            row.policy.clone(),
            row.account_name
                .clone()
                .unwrap_or_else(|| row.account.clone()),
            c.in_scope.to_string(),
            c.compliant.to_string(),
            c.non_compliant.to_string(),
            c.unknown.to_string(),
        ]);
    }
    t.to_string()
}

/// One row per resource and policy, most severe first.
fn problems(report: &AuditReport) -> String {
    let mut groups: Vec<&[FindingRecord]> = report
        .findings
        .chunk_by(|a, b| a.arn == b.arn && a.policy == b.policy)
        .collect();
    groups.sort_by_key(|g| std::cmp::Reverse(g[0].severity));
    let costed = report.cost_currency.as_deref();
    if costed.is_some() {
        // Tag these first: the most credit at risk, then the most cost.
        let key = |g: &&[FindingRecord]| {
            (
                g[0].credit_at_risk.unwrap_or_default(),
                g[0].cost.unwrap_or_default(),
            )
        };
        groups.sort_by_key(|g| std::cmp::Reverse(key(g)));
    }
    let mut header = vec![
        "SEVERITY", "ACCOUNT", "REGION", "RESOURCE", "POLICY", "PROBLEMS",
    ];
    if costed.is_some() {
        header.extend(["COST", "CREDIT AT RISK"]);
    }
    let mut t = new_table(&header);
    let money = |v: Option<crate::money::Decimal>| v.map_or("-".to_string(), crate::money::show);
    for group in groups {
        let f = &group[0];
        let mut row = vec![
            f.severity.as_str().to_string(),
            f.account_name.clone().unwrap_or_else(|| f.account.clone()),
            f.region.clone(),
            format!("{} {}", f.resource_type, f.arn.id()),
            f.policy.clone(),
            problem_lines(group),
        ];
        if costed.is_some() {
            row.extend([money(f.cost), money(f.credit_at_risk)]);
        }
        t.add_row(row);
    }
    match costed {
        Some(currency) => format!("{t}\ncosts in {currency}, from the billing files\n"),
        None => t.to_string(),
    }
}

/// With `--cost`: the scanned resources tagged after they had spent.
fn late_tagged(report: &AuditReport) -> String {
    let Some(late) = report.late_tagged.as_deref().filter(|l| !l.is_empty()) else {
        return String::new();
    };
    let mut t = new_table(&[
        "TAGGED LATE",
        "ACCOUNT",
        "WORKLOAD",
        "FIRST SPEND",
        "TAGGED FROM",
        "SPEND BEFORE TAG",
        "CREDIT FORFEITED",
    ]);
    for r in late {
        t.add_row([
            r.resource.clone(),
            r.account.clone(),
            r.workload.clone().unwrap_or_default(),
            r.first_spend.to_string(),
            r.tagged_from.to_string(),
            crate::money::show(r.spend_before_tag),
            crate::money::show(r.credit_forfeited),
        ]);
    }
    format!("{t}\n")
}

/// What is wrong, a line per problem; keys missing for the same reason
/// share a line.
fn problem_lines(findings: &[FindingRecord]) -> String {
    let mut findings: Vec<&FindingRecord> = findings.iter().collect();
    findings.sort_by(|a, b| (a.kind, &a.hint, &a.tag).cmp(&(b.kind, &b.hint, &b.tag)));
    let mut lines: Vec<String> = Vec::new();
    let same = |a: &&FindingRecord, b: &&FindingRecord| {
        a.kind == b.kind && a.value.is_none() && b.value.is_none() && a.hint == b.hint
    };
    for run in findings.chunk_by(same) {
        let keys: Vec<String> = run.iter().map(|f| format!("`{}`", f.tag)).collect();
        let f = &run[0];
        let mut line = match (f.kind, &f.value) {
            (FindingKind::Missing, _) => format!("missing {}", keys.join(", ")),
            (FindingKind::Invalid, Some(v)) => format!("`{}` = `{v}` is invalid", f.tag),
            (FindingKind::Forbidden, Some(v)) => format!("`{}` = `{v}` is forbidden", f.tag),
            (FindingKind::Source, Some(v)) => format!("`{}` = `{v}` is not passed on", f.tag),
            (kind, _) => format!("{} {}", kind.as_str(), keys.join(", ")),
        };
        if let Some(hint) = &f.hint {
            let _ = write!(line, ": {hint}");
        }
        lines.push(line);
    }
    lines.join("\n")
}
