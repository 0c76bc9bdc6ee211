//! `credits`: the MAP money view in every format. The JSON is the contract
//! of cli.md; the table leads with quarters, then months, the forecast, and
//! the terms in words.

use super::{cell, csv, json, markdown_table, new_table, Format, Render};
use crate::billing::eligible::EligibleService;
use crate::billing::manifest::PeriodChoice;
use crate::config::{Issuance, MapAgreement, QuarterBasis};
use crate::credits::eligibility::{self, EligibleList};
use crate::credits::resources::{LateTagging, Uncredited};
use crate::credits::{Amounts, Credits, KeyRow, PeriodRow};
use crate::money::Decimal;
use chrono::NaiveDate;
use serde::Serialize;

/// The agreement and terms the figures were computed with.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Agreement {
    /// The `map-migrated` tag's MPE ID, if it is counted with one.
    pub mpe_id: Option<String>,
    /// The MAP tags counted (`map.tag`), in order.
    pub tags: Vec<AgreementTag>,
    pub start: NaiveDate,
    /// Exclusive.
    pub end: NaiveDate,
    #[serde(serialize_with = "crate::money::serialize_rate")]
    pub credit_rate: Decimal,
    #[serde(serialize_with = "crate::money::serialize")]
    pub min_migrated_spend: Decimal,
    pub issuance: &'static str,
    pub quarters: &'static str,
    pub eligible_services: Vec<EligibleService>,
    pub workload_tags: Vec<String>,
}

/// One MAP tag of the agreement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgreementTag {
    pub key: crate::policy::map_format::Scheme,
    /// The MPE ID or PRM ID; None: any well-formed value counts.
    pub id: Option<String>,
}

impl Agreement {
    pub fn new(t: &MapAgreement, start: NaiveDate, end: NaiveDate) -> Agreement {
        Agreement {
            mpe_id: t.tags.mpe_id().map(str::to_string),
            tags: t
                .tags
                .iter()
                .map(|m| AgreementTag {
                    key: m.scheme,
                    id: m.id.clone(),
                })
                .collect(),
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
            workload_tags: t.workload_tags.clone(),
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
    /// The published list of eligible services the terms follow (None: the
    /// configuration's own list).
    pub eligible_list: Option<EligibleList>,
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
    /// `--workload NAME`: every figure is this workload's (None: all).
    pub workload: Option<String>,
    #[serde(flatten)]
    pub credits: Credits,
    /// From a bill only (`--cost`): credit lost to tagging late.
    pub late_tagging: Option<LateTagging>,
    /// From a bill only: resources whose eligible spend earned nothing.
    pub uncredited_resources: Option<Uncredited>,
    pub warnings: Vec<String>,
    /// The rows of the table's breakdown (`--by`); not in the JSON, which
    /// has every breakdown.
    #[serde(skip)]
    pub by: Option<By>,
}

/// What the table's breakdown is by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    Workload,
    Account,
    Service,
    /// The MAP tag keys (`map.tag`), with two of them.
    Scheme,
}

impl By {
    pub fn name(self) -> &'static str {
        match self {
            By::Workload => "workload",
            By::Account => "account",
            By::Service => "service",
            By::Scheme => "scheme",
        }
    }

    fn rows(self, c: &Credits) -> &[KeyRow] {
        match self {
            By::Workload => &c.by_workload,
            By::Account => &c.by_account,
            By::Service => &c.by_service,
            By::Scheme => &c.by_scheme,
        }
    }
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
    let dates = [p.period.start.to_string(), p.period.end.to_string()];
    csv_row(kind, &p.period.label, dates, &p.amounts)
}

/// A breakdown row in the CSV's columns: no dates.
fn csv_key_row(by: By, k: &KeyRow) -> [String; 12] {
    csv_row(by.name(), &k.key, Default::default(), &k.amounts)
}

fn csv_row(kind: &str, label: &str, [start, end]: [String; 2], a: &Amounts) -> [String; 12] {
    [
        kind.to_string(),
        label.to_string(),
        start,
        end,
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

/// A breakdown row: key, then the amounts.
fn key_row(k: &KeyRow) -> Vec<String> {
    let a = &k.amounts;
    vec![
        k.key.clone(),
        money(a.eligible),
        money(a.tagged),
        money(a.mistagged),
        money(a.untagged),
        percent(a.coverage),
        money(a.estimated_credit),
        money(a.missed_credit),
    ]
}

fn key_header(by: By) -> [&'static str; 8] {
    [
        match by {
            By::Workload => "WORKLOAD",
            By::Account => "ACCOUNT",
            By::Service => "SERVICE",
            By::Scheme => "MAP TAG",
        },
        "ELIGIBLE",
        "TAGGED",
        "MIS-TAGGED",
        "UNTAGGED",
        "COVERAGE",
        "EST. CREDIT",
        "MISSED",
    ]
}

/// How many resources the text formats list (JSON has up to
/// [`crate::credits::resources::LIST_LIMIT`]).
const SHOWN: usize = 10;

/// Late tagging and the uncredited resources, as lines of text.
fn resource_lines(r: &CreditsReport) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(l) = &r.late_tagging {
        out.push(format!(
            "late tagging: {} of eligible spend before the MAP tag on {} resource(s), {} of credit forfeited for good",
            money(l.spend),
            l.resource_count,
            money(l.credit_forfeited)
        ));
        for w in &l.by_workload {
            out.push(format!(
                "late tagging in workload `{}`: {} before the tag on {} resource(s), {} forfeited",
                w.workload,
                money(w.spend),
                w.resources,
                money(w.credit_forfeited)
            ));
        }
        for x in l.resources.iter().take(SHOWN) {
            out.push(format!(
                "tagged late: {} ({}, {}): {} spent from {} until tagged on {}, {} forfeited",
                x.resource,
                x.account,
                x.service,
                money(x.spend_before_tag),
                x.first_spend,
                x.tagged_from,
                money(x.credit_forfeited)
            ));
        }
    }
    if let Some(u) = &r.uncredited_resources {
        let unseen = u.not_seen_by_scan.map_or(String::new(), |n| {
            format!("; {n} of them not seen by the scan")
        });
        out.push(format!(
            "never tagged in the agreement: {} resource(s) with {} of eligible spend, {} of credit at risk{unseen}",
            u.resource_count,
            money(u.spend),
            money(u.credit_at_risk)
        ));
        for x in u.resources.iter().take(SHOWN) {
            let seen = match x.seen_by_scan {
                Some(false) => ", not seen by the scan",
                _ => "",
            };
            out.push(format!(
                "untagged: {} ({}, {}): {} spent, {} at risk{seen}",
                x.resource,
                x.account,
                x.service,
                money(x.spend),
                money(x.credit_at_risk)
            ));
        }
    }
    out
}

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
    out += &eligibility::in_one_line(&r.agreement.eligible_services);
    out.push('\n');
    let keys: Vec<&str> = r.agreement.tags.iter().map(|t| t.key.key()).collect();
    out += &format!(
        "cost allocation tag {}: {} ({})\n",
        keys.join(", "),
        r.tag_activation.status,
        r.tag_activation.detail
    );
    for s in &r.credits.by_scheme {
        out += &format!(
            "MAP tag {}: {} of eligible spend tagged with this agreement's value, {} mis-tagged; its share of the estimated credit {}\n",
            s.key,
            money(s.amounts.tagged),
            money(s.amounts.mistagged),
            money(s.amounts.estimated_credit)
        );
    }
    for m in &r.credits.mistagged_values {
        out += &format!(
            "mis-tagged {} value `{}`: {} of eligible spend\n",
            m.key.key(),
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
    for line in resource_lines(r) {
        out += &line;
        out.push('\n');
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
    let breakdown = match r.by {
        Some(by) => {
            let mut t = new_table(&key_header(by));
            for k in by.rows(&r.credits) {
                t.add_row(key_row(k));
            }
            format!("{t}\n")
        }
        None => String::new(),
    };
    format!(
        "MAP credits ({}), agreement {} to {}{}\n{breakdown}{q}\n{m}\n{}{}\n",
        r.credits.currency,
        r.agreement.start,
        r.agreement.end,
        workload_note(r),
        notes(r),
        r.summary_line()
    )
}

fn workload_note(r: &CreditsReport) -> String {
    r.workload
        .as_ref()
        .map_or(String::new(), |w| format!(", workload `{w}` only"))
}

fn markdown(r: &CreditsReport) -> String {
    let esc = |row: Vec<String>| row.iter().map(|c| cell(c)).collect::<Vec<_>>();
    let notes: String = notes(r)
        .lines()
        .map(|l| format!("- {}\n", cell(l)))
        .collect();
    let breakdown = match r.by {
        Some(by) => format!(
            "## By {}\n\n{}\n",
            by.name(),
            markdown_table(
                &key_header(by),
                by.rows(&r.credits).iter().map(|k| esc(key_row(k)))
            )
        ),
        None => String::new(),
    };
    format!(
        "# MAP credits{}\n\n{}.\n\n{breakdown}## Quarters\n\n{}\n## Months\n\n{}\n## Notes\n\n{notes}",
        cell(&workload_note(r)),
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
                self.by
                    .into_iter()
                    .flat_map(|by| {
                        by.rows(&self.credits)
                            .iter()
                            .map(move |k| csv_key_row(by, k))
                    })
                    .chain(self.credits.quarters.iter().map(|p| row("quarter", p)))
                    .chain(self.credits.months.iter().map(|p| row("month", p))),
            ),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::credits::{compute, periods, Cell, Input, Received};

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn every_format() {
        let terms = MapAgreement {
            tags: crate::policy::map_format::MapTags::map_migrated(Some("ABCDE12345".into())),
            quarters: QuarterBasis::Calendar,
            target: Some(rust_decimal::Decimal::new(1_000_000, 0)),
            ..MapAgreement::default()
        };
        let m = crate::money::lit;
        let cell = |month: &str, key: &str, tag: Option<&str>, amount: f64| Cell {
            month: d(month),
            scheme: Default::default(),
            key: key.into(),
            tag: tag.map(str::to_string),
            amount: m(amount),
            currency: "USD".into(),
            eligible: None,
            workload: None,
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
            by_workload: vec![],
            received: vec![Received {
                month: d("2026-04-01"),
                amount: m(-3_000.0),
                currency: "USD".into(),
            }],
            origin: crate::credits::Origin::CostExplorer,
            source_assumptions: Vec::new(),
        };
        let report = CreditsReport {
            agreement: Agreement::new(&terms, d("2026-02-15"), d("2027-01-01")),
            source: Source {
                kind: "cost_explorer",
                api_requests: 4,
                api_cost_usd: m(0.04),
                cached: false,
                billing_periods: vec![],
                eligible_list: None,
            },
            tag_activation: TagActivation {
                status: "unknown",
                detail: "ListCostAllocationTags failed: InternalFailure".into(),
            },
            workload: None,
            credits: compute(&input).unwrap(),
            late_tagging: None,
            uncredited_resources: None,
            warnings: vec![
                "cannot tell whether map-migrated is an active cost allocation tag".into(),
            ],
            by: None,
        };
        snapshots("credits", &report);
    }

    /// The report in every format, one snapshot each (`{prefix}_{format}`).
    fn snapshots(prefix: &str, report: &CreditsReport) {
        for (name, f) in [
            ("table", Format::Table),
            ("json", Format::Json),
            ("csv", Format::Csv),
            ("markdown", Format::Markdown),
        ] {
            insta::assert_snapshot!(format!("{prefix}_{name}"), report.render(f));
        }
    }

    /// The money view of the hand-computed workload bill
    /// (`credits::workload_tests`); `seen`: the ids a scan listed.
    pub(crate) fn from_a_bill(seen: Option<&dyn Fn(&str) -> bool>) -> CreditsReport {
        use crate::credits::resources::{late_tagging, uncredited};
        use crate::credits::workload_tests::{workload_costs, workload_credits, workload_terms};
        let terms = workload_terms();
        let costs = workload_costs(&terms, None);
        CreditsReport {
            agreement: Agreement::new(&terms, d("2026-01-01"), d("2027-01-01")),
            source: Source {
                kind: "billing_export",
                api_requests: 0,
                api_cost_usd: Decimal::ZERO,
                cached: false,
                billing_periods: vec![],
                eligible_list: None,
            },
            tag_activation: TagActivation {
                status: "active",
                detail: "an active cost allocation tag".into(),
            },
            workload: None,
            credits: workload_credits(&terms, &costs),
            late_tagging: Some(late_tagging(&costs, terms.credit_rate)),
            uncredited_resources: Some(uncredited(&costs, terms.credit_rate, seen)),
            warnings: vec![],
            by: None,
        }
    }

    #[test]
    fn a_bill_with_workloads_in_every_format() {
        let report = CreditsReport {
            by: Some(By::Workload),
            ..from_a_bill(None)
        };
        snapshots("credits_by_workload", &report);
    }
}
