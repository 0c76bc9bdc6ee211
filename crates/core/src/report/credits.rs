//! `credits`: the MAP money view in every format. The JSON is the contract
//! of cli.md; the table leads with quarters, then months, the forecast, and
//! the terms in words.

use super::{cell, csv, json, markdown_table, new_table, Format, Render};
use crate::billing::manifest::PeriodChoice;
use crate::config::{Issuance, MapAgreement, QuarterBasis};
use crate::credits::{Amounts, Credits, PeriodRow};
use crate::money::Decimal;
use chrono::NaiveDate;
use serde::Serialize;

/// The agreement and terms the figures were computed with.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Agreement {
    pub mpe_id: Option<String>,
    pub start: NaiveDate,
    /// Exclusive.
    pub end: NaiveDate,
    #[serde(serialize_with = "crate::money::serialize_rate")]
    pub credit_rate: Decimal,
    #[serde(serialize_with = "crate::money::serialize")]
    pub min_migrated_spend: Decimal,
    pub issuance: &'static str,
    pub quarters: &'static str,
    pub eligible_services: Vec<String>,
}

impl Agreement {
    pub fn new(t: &MapAgreement, start: NaiveDate, end: NaiveDate) -> Agreement {
        Agreement {
            mpe_id: t.mpe_id.clone(),
            start,
            end,
            credit_rate: t.credit_rate,
            min_migrated_spend: t.min_migrated_spend,
            issuance: match t.issuance {
                Issuance::Quarterly => "quarterly",
                Issuance::Monthly => "monthly",
            },
            quarters: match t.quarters {
                QuarterBasis::Agreement => "agreement",
                QuarterBasis::Calendar => "calendar",
            },
            eligible_services: t.eligible_services.clone(),
        }
    }
}

/// Where the figures came from and what that cost.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Source {
    /// `cost_explorer` or `billing_export`.
    pub kind: &'static str,
    /// Requests sent this run (answers from the cache are free).
    pub api_requests: u64,
    /// Cost Explorer's price: USD 0.01 a request.
    #[serde(serialize_with = "crate::money::serialize")]
    pub api_cost_usd: Decimal,
    pub cached: bool,
    /// A billing export: per billing period whose delivery has manifests,
    /// the version read (empty otherwise).
    pub billing_periods: Vec<PeriodChoice>,
}

/// Whether `map-migrated` is an active cost allocation tag.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TagActivation {
    /// `active`, `inactive` or `unknown`.
    pub status: &'static str,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CreditsReport {
    pub agreement: Agreement,
    pub source: Source,
    pub tag_activation: TagActivation,
    #[serde(flatten)]
    pub credits: Credits,
    pub warnings: Vec<String>,
}

impl CreditsReport {
    pub fn summary_line(&self) -> String {
        let t = &self.credits.totals;
        format!(
            "{} eligible of {} total ({}); tagged {} ({}), mis-tagged {}, untagged {}; estimated credit {}, received {}, missed {}; forecast to the agreement's end {}",
            money(t.eligible),
            money(t.total),
            self.credits.currency,
            money(t.tagged),
            percent(t.coverage),
            money(t.mistagged),
            money(t.untagged),
            money(t.estimated_credit),
            money(t.received_credit),
            money(t.missed_credit),
            money(self.credits.forecast.agreement_total),
        )
    }
}

fn money(v: Decimal) -> String {
    crate::money::show(v)
}

fn percent(v: Option<f64>) -> String {
    v.map_or("-".into(), |c| format!("{:.1} %", c * 100.0))
}

const HEADER: [&str; 12] = [
    "period",
    "label",
    "start",
    "end",
    "total",
    "eligible",
    "tagged",
    "mistagged",
    "untagged",
    "coverage",
    "estimated_credit",
    "received_credit",
];

fn row(kind: &str, p: &PeriodRow) -> [String; 12] {
    let a: &Amounts = &p.amounts;
    [
        kind.to_string(),
        p.period.label.clone(),
        p.period.start.to_string(),
        p.period.end.to_string(),
        money(a.total),
        money(a.eligible),
        money(a.tagged),
        money(a.mistagged),
        money(a.untagged),
        a.coverage.map_or(String::new(), |c| format!("{c:.4}")),
        money(a.estimated_credit),
        money(a.received_credit),
    ]
}

fn display_row(p: &PeriodRow) -> Vec<String> {
    let a = &p.amounts;
    let label = if p.period.partial {
        format!("{} (so far)", p.period.label)
    } else {
        p.period.label.clone()
    };
    vec![
        label,
        money(a.eligible),
        money(a.tagged),
        money(a.mistagged),
        money(a.untagged),
        percent(a.coverage),
        money(a.estimated_credit),
        money(a.received_credit),
        money(a.missed_credit),
    ]
}

const DISPLAY: [&str; 9] = [
    "PERIOD",
    "ELIGIBLE",
    "TAGGED",
    "MIS-TAGGED",
    "UNTAGGED",
    "COVERAGE",
    "EST. CREDIT",
    "RECEIVED",
    "MISSED",
];

fn notes(r: &CreditsReport) -> String {
    let f = &r.credits.forecast;
    let mut out = format!(
        "forecast: {} more credit over the {} remaining month(s) at the recent {} tagged a month; {} more if the untagged and mis-tagged spend were tagged\n",
        money(f.credit),
        f.remaining_months,
        money(f.monthly_tagged),
        money(f.upside)
    );
    out += &match r.source.kind {
        "billing_export" => std::iter::once("source: the billing export".to_string())
            .chain(r.source.billing_periods.iter().map(|p| p.to_string()))
            .map(|line| line + "\n")
            .collect(),
        _ => format!(
            "source: Cost Explorer, {} request(s) this run (USD {:.2}){}\n",
            r.source.api_requests,
            r.source.api_cost_usd,
            if r.source.cached {
                ", answers from the store"
            } else {
                ""
            }
        ),
    };
    out += &format!(
        "cost allocation tag map-migrated: {} ({})\n",
        r.tag_activation.status, r.tag_activation.detail
    );
    for m in &r.credits.mistagged_values {
        out += &format!(
            "mis-tagged value `{}`: {} of eligible spend\n",
            m.value,
            money(m.amount)
        );
    }
    if let Some(t) = &r.credits.target {
        out += &format!(
            "target: {} committed over the agreement; tagged to date {}; projected at its end {}: {}\n",
            money(t.committed),
            money(t.tagged_to_date),
            money(t.projected_at_end),
            if t.on_track {
                "on track".to_string()
            } else {
                format!("short by {}", money(t.shortfall))
            }
        );
    }
    for a in &r.credits.assumptions {
        out += &format!("assumption: {a}\n");
    }
    for w in &r.warnings {
        out += &format!("warning: {w}\n");
    }
    out
}

fn table(r: &CreditsReport) -> String {
    let mut q = new_table(&DISPLAY);
    for p in &r.credits.quarters {
        q.add_row(display_row(p));
    }
    let mut m = new_table(&DISPLAY);
    for p in &r.credits.months {
        m.add_row(display_row(p));
    }
    format!(
        "MAP credits ({}), agreement {} to {}\n{q}\n{m}\n{}{}\n",
        r.credits.currency,
        r.agreement.start,
        r.agreement.end,
        notes(r),
        r.summary_line()
    )
}

fn markdown(r: &CreditsReport) -> String {
    let esc = |row: Vec<String>| row.iter().map(|c| cell(c)).collect::<Vec<_>>();
    let notes: String = notes(r)
        .lines()
        .map(|l| format!("- {}\n", cell(l)))
        .collect();
    format!(
        "# MAP credits\n\n{}.\n\n## Quarters\n\n{}\n## Months\n\n{}\n## Notes\n\n{notes}",
        r.summary_line(),
        markdown_table(
            &DISPLAY,
            r.credits.quarters.iter().map(|p| esc(display_row(p)))
        ),
        markdown_table(
            &DISPLAY,
            r.credits.months.iter().map(|p| esc(display_row(p)))
        ),
    )
}

impl Render for CreditsReport {
    fn render(&self, format: Format) -> String {
        match format {
            Format::Json => json(self),
            Format::Table => table(self),
            Format::Markdown => markdown(self),
            Format::Csv => csv(
                HEADER,
                self.credits
                    .quarters
                    .iter()
                    .map(|p| row("quarter", p))
                    .chain(self.credits.months.iter().map(|p| row("month", p))),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credits::{compute, periods, Cell, Input, Received};

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn every_format() {
        let terms = MapAgreement {
            mpe_id: Some("ABCDE12345".into()),
            quarters: QuarterBasis::Calendar,
            target: Some(rust_decimal::Decimal::new(1_000_000, 0)),
            ..MapAgreement::default()
        };
        let m = crate::money::lit;
        let cell = |month: &str, key: &str, tag: Option<&str>, amount: f64| Cell {
            month: d(month),
            key: key.into(),
            tag: tag.map(str::to_string),
            amount: m(amount),
            currency: "USD".into(),
        };
        let ec2 = "Amazon Elastic Compute Cloud - Compute";
        let input = Input {
            terms: &terms,
            months: periods::months(d("2026-02-15"), d("2026-05-01")),
            agreement_start: d("2026-02-15"),
            agreement_end: d("2027-01-01"),
            complete_before: d("2026-04-01"),
            by_service: vec![
                cell("2026-02-01", ec2, Some("migABCDE12345"), 40_000.0),
                cell("2026-03-01", ec2, Some("migABCDE12345"), 30_000.0),
                cell("2026-03-01", ec2, None, 8_000.0),
                cell("2026-03-01", ec2, Some("<script>x</script>"), 500.0),
                cell("2026-04-01", "AWS Marketplace", None, 900.0),
            ],
            by_account: vec![cell("2026-03-01", "111111111111", None, 8_000.0)],
            received: vec![Received {
                month: d("2026-04-01"),
                amount: m(-3_000.0),
                currency: "USD".into(),
            }],
            origin: crate::credits::Origin::CostExplorer,
        };
        let report = CreditsReport {
            agreement: Agreement::new(&terms, d("2026-02-15"), d("2027-01-01")),
            source: Source {
                kind: "cost_explorer",
                api_requests: 4,
                api_cost_usd: m(0.04),
                cached: false,
                billing_periods: vec![],
            },
            tag_activation: TagActivation {
                status: "unknown",
                detail: "ListCostAllocationTags failed: InternalFailure".into(),
            },
            credits: compute(&input).unwrap(),
            warnings: vec![
                "cannot tell whether map-migrated is an active cost allocation tag".into(),
            ],
        };
        for (name, f) in [
            ("table", Format::Table),
            ("json", Format::Json),
            ("csv", Format::Csv),
            ("markdown", Format::Markdown),
        ] {
            insta::assert_snapshot!(format!("credits_{name}"), report.render(f));
        }
    }
}
