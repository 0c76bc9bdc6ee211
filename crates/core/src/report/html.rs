//! `tagwarden report`: one self-contained HTML file (inline CSS and SVG, no
//! scripts, no fonts or anything fetched) with compliance and the MAP money
//! view. Every value that came from AWS or a tag is HTML-escaped.

use super::audit::{ComplianceRow, FindingRecord};
use super::{AuditReport, CreditsReport};
use crate::credits::PeriodRow;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Escape text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// What could not be scanned, as an HTML list.
pub fn not_scanned(errors: &[crate::scan::ScanError]) -> String {
    let mut out = String::from("<ul>\n");
    for e in errors {
        let _ = writeln!(out, "<li>{}</li>", esc(&e.to_string()));
    }
    out.push_str("</ul>\n");
    out
}

pub struct HtmlReport<'a> {
    pub generated_at: String,
    pub audit: &'a AuditReport,
    /// None when Cost Explorer could not be read: `credits_error` says why.
    pub credits: Option<&'a CreditsReport>,
    pub credits_error: Option<String>,
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:1100px;color:#1d2330;padding:0 1rem}\
h1{margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:1px solid #dde;padding-bottom:.3rem}\
table{border-collapse:collapse;margin:.8rem 0;font-size:.92rem}td,th{border:1px solid #d6d9e0;padding:.3rem .6rem;text-align:right}\
td:first-child,th:first-child{text-align:left}th{background:#f3f4f7}.muted{color:#667}.warn{color:#9a4d00}\
.kpis{display:flex;gap:1rem;flex-wrap:wrap}.kpi{border:1px solid #d6d9e0;border-radius:6px;padding:.6rem 1rem;min-width:10rem}\
.kpi b{display:block;font-size:1.4rem}svg text{font-size:12px;fill:#1d2330}";

/// Series colours: tagged/compliant, mis-tagged, untagged/non-compliant, unknown.
const GREEN: &str = "#2e8540";
const AMBER: &str = "#d99a00";
const RED: &str = "#c0392b";
const GREY: &str = "#9aa1ad";
const BLUE: &str = "#2d6cdf";

struct Bar<'a> {
    label: String,
    segments: Vec<(f64, &'a str)>,
}

/// A horizontal stacked bar chart, scaled to the largest bar.
fn bar_chart(title: &str, bars: &[Bar<'_>], legend: &[(&str, &str)]) -> String {
    let (label_w, chart_w, row_h) = (220.0, 600.0, 24.0);
    let max = bars
        .iter()
        .map(|b| b.segments.iter().map(|s| s.0.max(0.0)).sum::<f64>())
        .fold(0.0, f64::max)
        .max(f64::MIN_POSITIVE);
    let height = row_h * bars.len() as f64 + 34.0;
    let mut svg = format!(
        "<svg role=\"img\" aria-label=\"{}\" width=\"{}\" height=\"{height}\" xmlns=\"http://www.w3.org/2000/svg\">",
        esc(title),
        label_w + chart_w + 90.0
    );
    for (i, b) in bars.iter().enumerate() {
        let y = i as f64 * row_h;
        let _ = write!(
            svg,
            "<text x=\"0\" y=\"{}\">{}</text>",
            y + 16.0,
            esc(&b.label)
        );
        let mut x = label_w;
        for (value, colour) in &b.segments {
            let w = value.max(0.0) / max * chart_w;
            let _ = write!(
                svg,
                "<rect x=\"{x:.1}\" y=\"{}\" width=\"{w:.1}\" height=\"{}\" fill=\"{colour}\"/>",
                y + 4.0,
                row_h - 8.0
            );
            x += w;
        }
        let total: f64 = b.segments.iter().map(|s| s.0).sum();
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{}\">{}</text>",
            x + 6.0,
            y + 16.0,
            number(total)
        );
    }
    let mut x = label_w;
    let y = height - 10.0;
    for (name, colour) in legend {
        let _ = write!(svg, "<rect x=\"{x}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{colour}\"/><text x=\"{}\" y=\"{y}\">{}</text>", y - 10.0, x + 16.0, esc(name));
        x += 130.0;
    }
    svg.push_str("</svg>");
    format!(
        "<figure><figcaption>{}</figcaption>{svg}</figure>\n",
        esc(title)
    )
}

fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

fn percent(v: Option<f64>) -> String {
    v.map_or("–".into(), |c| format!("{:.1} %", c * 100.0))
}

impl HtmlReport<'_> {
    pub fn render(&self) -> String {
        let mut out = format!(
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>tagwarden report</title><style>{STYLE}</style></head><body>\n\
             <h1>tagwarden report</h1><p class=\"muted\">Generated {}.</p>\n",
            esc(&self.generated_at)
        );
        out += &self.kpis();
        out += &self.compliance();
        out += &self.costliest();
        match (self.credits, &self.credits_error) {
            (Some(c), _) => out += &money(c),
            (None, Some(e)) => {
                let _ = writeln!(
                    out,
                    "<h2>MAP credits</h2><p class=\"warn\">Cost Explorer could not be read: {}</p>",
                    esc(e)
                );
            }
            (None, None) => {}
        }
        out.push_str("</body></html>\n");
        out
    }

    fn kpis(&self) -> String {
        let c = &self.audit.summary.counts;
        let mut k = vec![
            ("resources", c.resources.to_string()),
            ("non-compliant", c.non_compliant.to_string()),
            ("unknown", c.unknown.to_string()),
        ];
        if let Some(cr) = self.credits {
            let t = &cr.credits.totals;
            k.push(("tagged coverage", percent(t.coverage)));
            k.push((
                "estimated credit",
                format!("{} {}", number(t.estimated_credit), cr.credits.currency),
            ));
            k.push((
                "missed credit",
                format!("{} {}", number(t.missed_credit), cr.credits.currency),
            ));
        }
        let cells: String = k
            .iter()
            .map(|(name, v)| format!("<div class=\"kpi\"><b>{}</b>{}</div>", esc(v), esc(name)))
            .collect();
        format!("<div class=\"kpis\">{cells}</div>\n")
    }

    fn compliance(&self) -> String {
        let rows = &self.audit.compliance;
        let by = |key: fn(&ComplianceRow) -> String| {
            let mut m: BTreeMap<String, [f64; 3]> = BTreeMap::new();
            for r in rows {
                let e = m.entry(key(r)).or_default();
                e[0] += r.counts.compliant as f64;
                e[1] += r.counts.non_compliant as f64;
                e[2] += r.counts.unknown as f64;
            }
            m.into_iter()
                .map(|(label, v)| Bar {
                    label,
                    segments: vec![(v[0], GREEN), (v[1], RED), (v[2], GREY)],
                })
                .collect::<Vec<_>>()
        };
        let legend = [
            ("compliant", GREEN),
            ("non-compliant", RED),
            ("unknown", GREY),
        ];
        let account = |r: &ComplianceRow| match &r.account_name {
            Some(n) => format!("{} ({n})", r.account),
            None => r.account.clone(),
        };
        let mut out = String::from("<h2>Compliance</h2>\n");
        out += &bar_chart(
            "Resources in scope, by policy",
            &by(|r| r.policy.clone()),
            &legend,
        );
        out += &bar_chart("Resources in scope, by account", &by(account), &legend);
        if !self.audit.errors.is_empty() {
            out.push_str("<p class=\"warn\">Not scanned:</p>\n");
            out += &not_scanned(&self.audit.errors);
        }
        out
    }
}

/// How many untagged resources the report lists.
const TOP_RESOURCES: usize = 20;

impl HtmlReport<'_> {
    /// The resources whose missing or wrong tag forfeits the most credit:
    /// what to tag first. Needs a billing export (`--cost`).
    fn costliest(&self) -> String {
        let mut out = String::from("<h2>Untagged resources, most credit at risk first</h2>\n");
        let Some(currency) = &self.audit.cost_currency else {
            out.push_str("<p class=\"muted\">Run <code>tagwarden report --cost PATH</code> with a billing export to rank them by cost.</p>\n");
            return out;
        };
        // A resource may fail several rules: list it once, at its largest.
        let mut by_arn: BTreeMap<&str, &FindingRecord> = BTreeMap::new();
        let map_tag = |f: &FindingRecord| f.tag.eq_ignore_ascii_case("map-migrated");
        for f in self.audit.findings.iter().filter(|f| map_tag(f)) {
            if f.credit_at_risk.unwrap_or(0.0) <= 0.0 {
                continue;
            }
            let e = by_arn.entry(&f.arn).or_insert(f);
            if f.credit_at_risk > e.credit_at_risk {
                *e = f;
            }
        }
        let mut top: Vec<&FindingRecord> = by_arn.into_values().collect();
        top.sort_by(|a, b| {
            b.credit_at_risk
                .partial_cmp(&a.credit_at_risk)
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        if top.is_empty() {
            out.push_str("<p>No billed resource is missing its MAP value.</p>\n");
            return out;
        }
        let _ = writeln!(out, "<table><tr><th>Resource</th><th>Account</th><th>Region</th><th>Finding</th><th>Cost ({0})</th><th>Credit at risk ({0})</th></tr>", esc(currency));
        for f in top.iter().take(TOP_RESOURCES) {
            let finding = match &f.value {
                Some(v) => format!(
                    "{} {} <code>{}</code>",
                    f.kind.as_str(),
                    esc(&f.tag),
                    esc(v)
                ),
                None => format!("{} {}", f.kind.as_str(), esc(&f.tag)),
            };
            let _ = writeln!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{finding}</td><td>{}</td><td>{}</td></tr>",
                esc(&f.arn), esc(&f.account), esc(&f.region),
                number(f.cost.unwrap_or(0.0)), number(f.credit_at_risk.unwrap_or(0.0))
            );
        }
        out.push_str("</table>\n");
        if top.len() > TOP_RESOURCES {
            let _ = writeln!(
                out,
                "<p class=\"muted\">{} more in <code>tagwarden audit --cost</code>.</p>",
                top.len() - TOP_RESOURCES
            );
        }
        out
    }
}

fn money(c: &CreditsReport) -> String {
    let cur = &c.credits.currency;
    let mut out = format!("<h2>MAP credits ({})</h2>\n", esc(cur));
    let spend: Vec<Bar> = c
        .credits
        .months
        .iter()
        .map(|m| Bar {
            label: period_label(m),
            segments: vec![
                (m.amounts.tagged, GREEN),
                (m.amounts.mistagged, AMBER),
                (m.amounts.untagged, RED),
            ],
        })
        .collect();
    out += &bar_chart(
        "Eligible spend per month",
        &spend,
        &[("tagged", GREEN), ("mis-tagged", AMBER), ("untagged", RED)],
    );
    let mut credit: Vec<Bar> = Vec::new();
    for q in &c.credits.quarters {
        credit.push(Bar {
            label: format!("{} estimated", period_label(q)),
            segments: vec![(q.amounts.estimated_credit, GREEN)],
        });
        credit.push(Bar {
            label: format!("{} received", period_label(q)),
            segments: vec![(q.amounts.received_credit, BLUE)],
        });
    }
    out += &bar_chart(
        "Credit per quarter: estimated and received",
        &credit,
        &[("estimated", GREEN), ("received", BLUE)],
    );
    let f = &c.credits.forecast;
    let _ = writeln!(
        out,
        "<p>Forecast: {} {cur} more credit over the {} remaining month(s) at the recent {} {cur} of tagged spend a month, {} {cur} in all for the agreement; {} {cur} more if the untagged and mis-tagged spend were tagged.</p>",
        number(f.credit), f.remaining_months, number(f.monthly_tagged), number(f.agreement_total), number(f.upside)
    );
    out += &quarter_table(c);
    out += &mistagged(c);
    let _ = writeln!(
        out,
        "<p>Cost allocation tag <code>map-migrated</code>: <b>{}</b> ({}).</p>",
        esc(c.tag_activation.status),
        esc(&c.tag_activation.detail)
    );
    out.push_str("<h2>Assumptions</h2><ul>");
    for a in &c.credits.assumptions {
        let _ = write!(out, "<li>{}</li>", esc(a));
    }
    out.push_str("</ul>\n");
    for w in &c.warnings {
        let _ = writeln!(out, "<p class=\"warn\">{}</p>", esc(w));
    }
    let source = match c.source.kind {
        "billing_export" => "From the billing export; ",
        _ => "",
    };
    let _ = writeln!(
        out,
        "<p class=\"muted\">{source}{} Cost Explorer request(s), USD {:.2}.</p>",
        c.source.api_requests, c.source.api_cost_usd
    );
    out
}

fn period_label(p: &PeriodRow) -> String {
    if p.period.partial {
        format!("{} (so far)", p.period.label)
    } else {
        p.period.label.clone()
    }
}

fn quarter_table(c: &CreditsReport) -> String {
    let mut out = String::from("<table><tr><th>Quarter</th><th>Eligible</th><th>Tagged</th><th>Mis-tagged</th><th>Untagged</th><th>Coverage</th><th>Estimated</th><th>Received</th><th>Missed</th></tr>\n");
    for q in &c.credits.quarters {
        let a = &q.amounts;
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&period_label(q)), number(a.eligible), number(a.tagged), number(a.mistagged), number(a.untagged),
            percent(a.coverage), number(a.estimated_credit), number(a.received_credit), number(a.missed_credit)
        );
    }
    out.push_str("</table>\n");
    out
}

fn mistagged(c: &CreditsReport) -> String {
    if c.credits.mistagged_values.is_empty() {
        return String::new();
    }
    let mut out = String::from("<h3>Mis-tagged values</h3><table><tr><th>map-migrated value</th><th>Eligible spend</th></tr>\n");
    for m in &c.credits.mistagged_values {
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td></tr>",
            esc(&m.value),
            number(m.amount)
        );
    }
    out.push_str("</table>\n");
    out
}

#[cfg(test)]
mod tests;
