//! `tagwarden report`: one self-contained HTML file (inline CSS and SVG, no
//! scripts, no fonts or anything fetched) with compliance and the MAP money
//! view. The page is built with maud's `html!`, which escapes every value
//! it is given, in text and in attributes alike: a value from AWS or a tag
//! can only ever be text on the page, and there is no escaping by hand to
//! forget.

use super::audit::{ComplianceRow, FindingRecord};
use super::drift::{self, Removal};
use super::{AuditReport, CreditsReport};
use crate::credits::PeriodRow;
use crate::money::{self, Decimal};
use crate::scan::ScanError;
use maud::{html, Markup, DOCTYPE};
use std::collections::BTreeMap;

/// What could not be scanned, as an HTML list.
pub fn not_scanned(errors: &[ScanError]) -> Markup {
    html! {
        ul { "\n" @for e in errors { li { (e) } "\n" } } "\n"
    }
}

/// An account as pages show it: its id, and its name when it has one.
pub fn account_label(r: &ComplianceRow) -> String {
    match &r.account_name {
        Some(n) => format!("{} ({n})", r.account),
        None => r.account.clone(),
    }
}

pub struct HtmlReport<'a> {
    pub generated_at: String,
    pub audit: &'a AuditReport,
    /// None when Cost Explorer could not be read: `credits_error` says why.
    pub credits: Option<&'a CreditsReport>,
    pub credits_error: Option<String>,
    /// The last removals of policies' keys the state store holds (none
    /// without a store): "Tags removed lately".
    pub removals: &'a [Removal],
}

/// Written as it is: it holds none of `&`, `<`, `>` or `"` (a test checks).
const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:1100px;color:#1d2330;padding:0 1rem}\
h1{margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:1px solid #dde;padding-bottom:.3rem}\
table{border-collapse:collapse;margin:.8rem 0;font-size:.92rem}td,th{border:1px solid #d6d9e0;padding:.3rem .6rem;text-align:right}\
td:first-child,th:first-child{text-align:left}th{background:#f3f4f7}.muted{color:#667}.warn{color:#9a4d00}\
.kpis{display:flex;gap:1rem;flex-wrap:wrap}.kpi{border:1px solid #d6d9e0;border-radius:6px;padding:.6rem 1rem;min-width:10rem}\
.kpi b{display:block;font-size:1.4rem}svg text{font-size:12px;fill:#1d2330}figure{margin:1rem 0;overflow-x:auto}";

/// Series colours: tagged/compliant, mis-tagged, untagged/non-compliant, unknown.
const GREEN: &str = "#2e8540";
const AMBER: &str = "#d99a00";
const RED: &str = "#c0392b";
const GREY: &str = "#9aa1ad";
const BLUE: &str = "#2d6cdf";

/// A chart's layout: the bars' longest, a row's height.
const CHART_W: f64 = 600.0;
const ROW_H: f64 = 24.0;
/// A character of a 12 px label, at its widest in common fonts (digits
/// and lowercase are narrower): text is laid out from this, never
/// measured, so it errs wide.
const CHAR_W: f64 = 7.5;
/// The longest label shown whole; a longer one is cut, whole in its
/// tooltip.
const MAX_LABEL: usize = 44;

/// The width `text` takes, with a gap after it: a character of the wide
/// scripts (CJK and beyond) counts as two.
fn text_width(text: &str) -> f64 {
    let columns: usize = text
        .chars()
        .map(|c| if c >= '\u{2E80}' { 2 } else { 1 })
        .sum();
    columns as f64 * CHAR_W + 12.0
}

/// A label as shown: at most [`MAX_LABEL`] characters.
fn shown(label: &str) -> String {
    match label.char_indices().nth(MAX_LABEL) {
        Some((cut, _)) => format!("{}…", &label[..cut]),
        None => label.to_string(),
    }
}

struct Bar<'a> {
    label: String,
    segments: Vec<(f64, &'a str)>,
}

/// What a chart's bars measure, and so how their totals read.
#[derive(Debug, Clone, Copy)]
enum Unit {
    Count,
    Money,
}

impl Unit {
    fn show(self, v: f64) -> String {
        match self {
            Unit::Count => number(v),
            Unit::Money => money::grouped(money::from_f64(v).unwrap_or_default()),
        }
    }
}

/// A horizontal stacked bar chart, scaled to the largest bar: the labels'
/// column as wide as its longest label, the totals' as its longest total,
/// the legend's entries each as wide as its name.
fn bar_chart(title: &str, bars: &[Bar<'_>], legend: &[(&str, &str)], unit: Unit) -> Markup {
    let total = |b: &Bar<'_>| b.segments.iter().map(|s| s.0).sum::<f64>();
    let max = bars
        .iter()
        .map(|b| b.segments.iter().map(|s| s.0.max(0.0)).sum::<f64>())
        .fold(0.0, f64::max)
        .max(f64::MIN_POSITIVE);
    let label_w = bars
        .iter()
        .map(|b| text_width(&shown(&b.label)))
        .fold(120.0, f64::max);
    let totals_w = bars
        .iter()
        .map(|b| text_width(&unit.show(total(b))) + 6.0)
        .fold(60.0, f64::max);
    let mut at = label_w;
    let legend: Vec<(f64, &str, &str)> = legend
        .iter()
        .map(|(name, colour)| {
            let x = at;
            at += 16.0 + text_width(name) + 12.0;
            (x, *name, *colour)
        })
        .collect();
    let width = (label_w + CHART_W + totals_w).max(at);
    let height = ROW_H * bars.len() as f64 + 34.0;
    let y = height - 10.0;
    html! {
        figure {
            figcaption { (title) }
            svg role="img" aria-label=(title) width=(width) height=(height)
                xmlns="http://www.w3.org/2000/svg" {
                @for (i, b) in bars.iter().enumerate() {
                    (bar(b, i as f64 * ROW_H, (label_w, max), unit))
                }
                @for (x, name, colour) in legend {
                    rect x=(x) y=(y - 10.0) width="12" height="12" fill=(colour) {}
                    text x=(x + 16.0) y=(y) { (name) }
                }
            }
        }
        "\n"
    }
}

/// One row of a chart at `y`: its label, its segments end to end from
/// `label_w`, scaled to `max`, and their total after the last (`x`, where
/// they end).
fn bar(b: &Bar<'_>, y: f64, (label_w, max): (f64, f64), unit: Unit) -> Markup {
    let mut x = label_w;
    let segments: Vec<(f64, f64, &str)> = b
        .segments
        .iter()
        .map(|(value, colour)| {
            let (at, w) = (x, value.max(0.0) / max * CHART_W);
            x += w;
            (at, w, *colour)
        })
        .collect();
    let total: f64 = b.segments.iter().map(|s| s.0).sum();
    let label = shown(&b.label);
    html! {
        text x="0" y=(y + 16.0) {
            @if label != b.label { title { (b.label) } }
            (label)
        }
        @for (at, w, colour) in segments {
            rect x=(format!("{at:.1}")) y=(y + 4.0) width=(format!("{w:.1}")) height=(ROW_H - 8.0)
                fill=(colour) {}
        }
        text x=(format!("{:.1}", x + 6.0)) y=(y + 16.0) { (unit.show(total)) }
    }
}

fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// Money: exact, rounded to the cent, two decimals, thousands grouped.
fn amount(v: Decimal) -> String {
    money::grouped(v)
}

fn percent(v: Option<f64>) -> String {
    v.map_or("–".into(), |c| format!("{:.1} %", c * 100.0))
}

impl HtmlReport<'_> {
    pub fn render(&self) -> String {
        html! {
            (DOCTYPE) "\n"
            html lang="en" {
                head {
                    meta charset="utf-8";
                    title { "tagwarden report" }
                    style { (STYLE) }
                }
                body {
                    "\n"
                    h1 { "tagwarden report" }
                    p.muted { "Generated " (self.generated_at) "." }
                    "\n"
                    (self.kpis())
                    (self.compliance())
                    @match self.credits.and_then(|c| Some((c.uncredited_resources.as_ref()?, &c.credits.currency))) {
                        Some((u, cur)) => (workloads::uncredited(u, cur)),
                        None => (self.costliest()),
                    }
                    @if let Some(lately) = drift::lately(self.removals) {
                        h2 { (drift::LATELY_HEADING) } "\n"
                        (lately)
                    }
                    @match (self.credits, &self.credits_error) {
                        (Some(c), _) => (money(c)),
                        (None, Some(e)) => {
                            h2 { "MAP credits" }
                            p.warn { "Cost Explorer could not be read: " (e) }
                            "\n"
                        }
                        (None, None) => {}
                    }
                }
            }
            "\n"
        }
        .into_string()
    }

    fn kpis(&self) -> Markup {
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
                format!("{} {}", amount(t.estimated_credit), cr.credits.currency),
            ));
            k.push((
                "missed credit",
                format!("{} {}", amount(t.missed_credit), cr.credits.currency),
            ));
        }
        html! {
            div.kpis { @for (name, v) in &k { div.kpi { b { (v) } (name) } } }
            "\n"
        }
    }

    fn compliance(&self) -> Markup {
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
        let errors = &self.audit.errors;
        html! {
            h2 { "Compliance" } "\n"
            (bar_chart("Resources in scope, by policy", &by(|r| r.policy.clone()), &legend, Unit::Count))
            (bar_chart("Resources in scope, by account", &by(account_label), &legend, Unit::Count))
            @if !errors.is_empty() {
                p.warn { "Not scanned:" } "\n"
                (not_scanned(errors))
            }
        }
    }
}

/// How many untagged resources the report lists.
const TOP_RESOURCES: usize = 20;

impl HtmlReport<'_> {
    /// The resources whose missing or wrong tag forfeits the most credit:
    /// what to tag first. Needs a billing export (`--cost`).
    fn costliest(&self) -> Markup {
        let heading = html! { h2 { "Untagged resources, most credit at risk first" } "\n" };
        let Some(currency) = &self.audit.cost_currency else {
            return html! {
                (heading)
                p.muted {
                    "Run " code { "tagwarden report --cost PATH" }
                    " with a billing export to rank them by cost."
                }
                "\n"
            };
        };
        let top = self.most_credit_at_risk();
        if top.is_empty() {
            return html! { (heading) p { "No billed resource is missing its MAP value." } "\n" };
        }
        html! {
            (heading)
            table {
                tr {
                    th { "Resource" } th { "Account" } th { "Region" } th { "Finding" }
                    th { "Cost (" (currency) ")" } th { "Credit at risk (" (currency) ")" }
                }
                "\n"
                @for f in top.iter().take(TOP_RESOURCES) {
                    tr {
                        td { code { (f.arn.as_str()) } }
                        td { (f.account) }
                        td { (f.region) }
                        td {
                            (f.kind.as_str()) " " (f.tag)
                            @if let Some(v) = &f.value { " " code { (v) } }
                        }
                        td { (amount(f.cost.unwrap_or_default())) }
                        td { (amount(f.credit_at_risk.unwrap_or_default())) }
                    }
                    "\n"
                }
            }
            "\n"
            @if top.len() > TOP_RESOURCES {
                p.muted { (top.len() - TOP_RESOURCES) " more in " code { "tagwarden audit --cost" } "." }
                "\n"
            }
        }
    }

    /// The MAP tag's findings with credit at risk, each resource once at its
    /// largest, the most at risk first.
    fn most_credit_at_risk(&self) -> Vec<&FindingRecord> {
        let mut by_arn: BTreeMap<&str, &FindingRecord> = BTreeMap::new();
        let map_tag = |f: &FindingRecord| {
            crate::policy::map_format::Scheme::ALL
                .iter()
                .any(|s| f.tag.eq_ignore_ascii_case(s.key()))
        };
        for f in self.audit.findings.iter().filter(|f| map_tag(f)) {
            if f.credit_at_risk.unwrap_or_default() <= Decimal::ZERO {
                continue;
            }
            let e = by_arn.entry(&f.arn).or_insert(f);
            if f.credit_at_risk > e.credit_at_risk {
                *e = f;
            }
        }
        let mut top: Vec<&FindingRecord> = by_arn.into_values().collect();
        top.sort_by_key(|f| std::cmp::Reverse(f.credit_at_risk));
        top
    }
}

fn money(c: &CreditsReport) -> Markup {
    let cur = &c.credits.currency;
    let f = &c.credits.forecast;
    let source = match c.source.kind {
        "billing_export" => "From the billing export; ",
        _ => "",
    };
    html! {
        h2 { "MAP credits (" (cur) ")" } "\n"
        (money_charts(c))
        p {
            "Forecast: " (amount(f.credit)) " " (cur) " more credit over the "
            (f.remaining_months) " remaining month(s) at the recent "
            (amount(f.monthly_tagged)) " " (cur) " of tagged spend a month, "
            (amount(f.agreement_total)) " " (cur) " in all for the agreement; "
            (amount(f.upside)) " " (cur) " more if the untagged and mis-tagged spend were tagged."
        }
        "\n"
        @if let Some(t) = &c.credits.target { (target(t, cur)) }
        (quarter_table(c))
        (mistagged(c))
        (workloads::workloads(c))
        @if let Some(l) = &c.late_tagging { (workloads::late(l, cur)) }
        p { (crate::credits::eligibility::in_one_line(&c.agreement.eligible_services)) "." } "\n"
        p {
            "Cost allocation tag "
            @for (i, t) in c.agreement.tags.iter().enumerate() {
                @if i > 0 { ", " }
                code { (t.key.key()) }
            }
            ": " b { (c.tag_activation.status) } " (" (c.tag_activation.detail) ")."
        }
        @for s in &c.credits.by_scheme {
            p {
                "MAP tag " code { (s.key) } ": " (amount(s.amounts.tagged)) " " (cur)
                " of eligible spend tagged with this agreement's value, "
                (amount(s.amounts.mistagged)) " " (cur) " mis-tagged; its share of the estimated credit "
                (amount(s.amounts.estimated_credit)) " " (cur) "."
            }
            "\n"
        }
        "\n"
        h2 { "Assumptions" }
        ul { @for a in &c.credits.assumptions { li { (a) } } }
        "\n"
        @for w in &c.warnings { p.warn { (w) } "\n" }
        p.muted {
            (source) (c.source.api_requests) " Cost Explorer request(s), USD "
            (money::show(c.source.api_cost_usd)) "."
        }
        "\n"
    }
}

/// Tagged spend to date and its projection against the committed
/// migrated spend, drawn to the same scale.
fn target(t: &crate::credits::Target, cur: &str) -> Markup {
    let bars = [
        ("tagged to date", t.tagged_to_date, GREEN),
        ("projected at the end", t.projected_at_end, BLUE),
        ("committed (map.target)", t.committed, GREY),
    ]
    .map(|(label, value, colour)| Bar {
        label: label.to_string(),
        segments: vec![(money::to_f64(value), colour)],
    });
    html! {
        h3 { "The agreement's target" }
        (bar_chart("Migrated spend against the target", &bars, &[], Unit::Money))
        p {
            @if t.on_track {
                "On track: " (amount(t.projected_at_end)) " " (cur)
                " of tagged eligible spend projected by the agreement's end, against "
                (amount(t.committed)) " " (cur) " committed."
            } @else {
                span.warn { "Short by " (amount(t.shortfall)) " " (cur) }
                ": " (amount(t.projected_at_end)) " " (cur) " projected against "
                (amount(t.committed)) " " (cur) " committed."
            }
            " Projection: " (t.method) "."
        }
        "\n"
    }
}

/// Eligible spend per month, and credit per quarter.
fn money_charts(c: &CreditsReport) -> Markup {
    let spend: Vec<Bar> = c
        .credits
        .months
        .iter()
        .map(|m| Bar {
            label: period_label(m),
            segments: vec![
                (money::to_f64(m.amounts.tagged), GREEN),
                (money::to_f64(m.amounts.mistagged), AMBER),
                (money::to_f64(m.amounts.untagged), RED),
            ],
        })
        .collect();
    let mut credit: Vec<Bar> = Vec::new();
    for q in &c.credits.quarters {
        credit.push(Bar {
            label: format!("{} estimated", period_label(q)),
            segments: vec![(money::to_f64(q.amounts.estimated_credit), GREEN)],
        });
        credit.push(Bar {
            label: format!("{} received", period_label(q)),
            segments: vec![(money::to_f64(q.amounts.received_credit), BLUE)],
        });
    }
    let spend_legend = [("tagged", GREEN), ("mis-tagged", AMBER), ("untagged", RED)];
    let credit_legend = [("estimated", GREEN), ("received", BLUE)];
    html! {
        (bar_chart("Eligible spend per month", &spend, &spend_legend, Unit::Money))
        (bar_chart("Credit per quarter: estimated and received", &credit, &credit_legend, Unit::Money))
    }
}

fn period_label(p: &PeriodRow) -> String {
    if p.period.partial {
        format!("{} (so far)", p.period.label)
    } else {
        p.period.label.clone()
    }
}

fn quarter_table(c: &CreditsReport) -> Markup {
    html! {
        table {
            tr {
                th { "Quarter" } th { "Eligible" } th { "Tagged" } th { "Mis-tagged" } th { "Untagged" }
                th { "Coverage" } th { "Estimated" } th { "Received" } th { "Missed" }
            }
            "\n"
            @for q in &c.credits.quarters {
                @let a = &q.amounts;
                tr {
                    td { (period_label(q)) }
                    td { (amount(a.eligible)) }
                    td { (amount(a.tagged)) }
                    td { (amount(a.mistagged)) }
                    td { (amount(a.untagged)) }
                    td { (percent(a.coverage)) }
                    td { (amount(a.estimated_credit)) }
                    td { (amount(a.received_credit)) }
                    td { (amount(a.missed_credit)) }
                }
                "\n"
            }
        }
        "\n"
    }
}

fn mistagged(c: &CreditsReport) -> Markup {
    let values = &c.credits.mistagged_values;
    html! {
        @if !values.is_empty() {
            h3 { "Mis-tagged values" }
            table {
                tr { th { "MAP tag" } th { "Value" } th { "Eligible spend" } }
                "\n"
                @for m in values {
                    tr { td { code { (m.key.key()) } } td { code { (m.value) } } td { (amount(m.amount)) } }
                    "\n"
                }
            }
            "\n"
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
#[cfg(test)]
mod workload_tests;
mod workloads;
