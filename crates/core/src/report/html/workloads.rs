//! The report's money per workload: coverage and credit earned or at risk
//! per workload, and under each (from a bill) its accounts, services and
//! costliest resources that earn nothing; the credit lost to late tagging;
//! and, from a bill, every resource whose eligible spend earns nothing,
//! whether the scan saw it or not.

use super::{amount, bar_chart, percent, Bar, Unit, AMBER, GREEN, RED};
use crate::credits::resources::{AtRisk, LateTagging, Uncredited};
use crate::credits::KeyRow;
use crate::money;
use crate::report::CreditsReport;
use maud::{html, Markup};

/// How many resources a list shows (under each workload: the
/// [`crate::credits::resources::PER_WORKLOAD`] the figures carry).
const LISTED: usize = 20;

/// The workload section (nothing without `map.workload_tags`).
pub(super) fn workloads(c: &CreditsReport) -> Markup {
    let rows = &c.credits.by_workload;
    if rows.is_empty() {
        return html! {};
    }
    let cur = &c.credits.currency;
    let bars: Vec<Bar> = rows
        .iter()
        .map(|w| Bar {
            label: w.key.clone(),
            segments: vec![
                (money::to_f64(w.amounts.tagged), GREEN),
                (money::to_f64(w.amounts.mistagged), AMBER),
                (money::to_f64(w.amounts.untagged), RED),
            ],
        })
        .collect();
    let legend = [("tagged", GREEN), ("mis-tagged", AMBER), ("untagged", RED)];
    html! {
        h2 { "Workloads (" (cur) ")" } "\n"
        (bar_chart("Eligible spend per workload", &bars, &legend, Unit::Money))
        table {
            tr {
                th { "Workload" } th { "Eligible" } th { "Coverage" }
                th { "Credit earned" } th { "Credit at risk" }
            }
            "\n"
            @for w in rows {
                tr {
                    td { (w.key) }
                    td { (amount(w.amounts.eligible)) }
                    td { (percent(w.amounts.coverage)) }
                    td { (amount(w.amounts.estimated_credit)) }
                    td { (amount(w.amounts.missed_credit)) }
                }
                "\n"
            }
        }
        "\n"
        p.muted {
            "Credit earned is the workload's share of the estimated credit, by its tagged spend; "
            "credit at risk its share of the missed credit, by its untagged and mis-tagged spend."
        }
        "\n"
        @for w in rows.iter().filter(|w| !w.accounts.is_empty()) {
            (workload_detail(w, c.uncredited_resources.as_ref()))
        }
    }
}

/// Under one workload: its accounts, services and costliest uncredited
/// resources.
fn workload_detail(w: &KeyRow, uncredited: Option<&Uncredited>) -> Markup {
    let costliest: Vec<&AtRisk> = uncredited
        .and_then(|u| u.by_workload.iter().find(|u| u.workload == w.key))
        .map(|u| u.resources.iter().collect())
        .unwrap_or_default();
    html! {
        details {
            summary { b { (w.key) } ": " (amount(w.amounts.eligible)) " eligible, "
                (percent(w.amounts.coverage)) " tagged" }
            (key_table("Account", &w.accounts))
            (key_table("Service", &w.services))
            @if !costliest.is_empty() {
                (at_risk_table(&costliest))
            }
        }
        "\n"
    }
}

fn key_table(name: &str, rows: &[KeyRow]) -> Markup {
    html! {
        table {
            tr {
                th { (name) } th { "Eligible" } th { "Tagged" } th { "Untagged" }
                th { "Coverage" } th { "Credit at risk" }
            }
            "\n"
            @for r in rows {
                tr {
                    td { (r.key) }
                    td { (amount(r.amounts.eligible)) }
                    td { (amount(r.amounts.tagged)) }
                    td { (amount(r.amounts.untagged + r.amounts.mistagged)) }
                    td { (percent(r.amounts.coverage)) }
                    td { (amount(r.amounts.missed_credit)) }
                }
                "\n"
            }
        }
        "\n"
    }
}

/// Resources whose eligible spend earned nothing, with whether the scan
/// saw them.
fn at_risk_table(rows: &[&AtRisk]) -> Markup {
    html! {
        table {
            tr {
                th { "Resource" } th { "Account" } th { "Service" } th { "Workload" }
                th { "MAP tag" } th { "Eligible spend" } th { "Credit at risk" }
                th { "Seen by the scan" }
            }
            "\n"
            @for r in rows {
                tr {
                    td { code { (r.resource) } }
                    td { (r.account) }
                    td { (r.service) }
                    td { (r.workload.as_deref().unwrap_or("")) }
                    td { @if let Some(v) = &r.value { code { (v) } } }
                    td { (amount(r.spend)) }
                    td { (amount(r.credit_at_risk)) }
                    td { (match r.seen_by_scan { Some(true) => "yes", Some(false) => "no", None => "–" }) }
                }
                "\n"
            }
        }
        "\n"
    }
}

/// From a bill: every resource that spent eligible money without this
/// agreement's value, the bill's truth; the scan says which it can fix.
pub(super) fn uncredited(u: &Uncredited, cur: &str) -> Markup {
    let rows: Vec<&AtRisk> = u.resources.iter().take(LISTED).collect();
    html! {
        h2 { "Untagged resources, most credit at risk first" } "\n"
        p {
            (u.resource_count) " resource(s) in the bill spent " (amount(u.spend)) " " (cur)
            " of eligible spend without this agreement's MAP value: "
            (amount(u.credit_at_risk)) " " (cur) " of credit at risk."
            @if let Some(n) = u.not_seen_by_scan {
                " " (n) " of them were not seen by the scan (a type tagwarden does not discover, "
                "an account not configured, or a resource deleted since)."
            }
        }
        "\n"
        @if rows.is_empty() {
            p { "No billed resource is missing its MAP value." } "\n"
        } @else {
            (at_risk_table(&rows))
        }
        @if u.resource_count > rows.len() {
            p.muted { (u.resource_count - rows.len()) " more in " code { "tagwarden credits --cost PATH --format json" } "." }
            "\n"
        }
    }
}

/// Credit lost for good to late tagging: per workload, and the costliest
/// resources.
pub(super) fn late(l: &LateTagging, cur: &str) -> Markup {
    let bars: Vec<Bar> = l
        .by_workload
        .iter()
        .map(|w| Bar {
            label: w.workload.clone(),
            segments: vec![(money::to_f64(w.spend), RED)],
        })
        .collect();
    html! {
        h2 { "Credit lost to late tagging" } "\n"
        p {
            (amount(l.spend)) " " (cur) " of eligible spend on " (l.resource_count)
            " resource(s) before they were tagged: " b { (amount(l.credit_forfeited)) " " (cur) }
            " of credit forfeited for good. " span.muted { (l.method) "." }
        }
        "\n"
        @if !bars.is_empty() {
            (bar_chart("Spend before the tag, per workload", &bars, &[], Unit::Money))
        }
        @if !l.resources.is_empty() {
            table {
                tr {
                    th { "Resource" } th { "Account" } th { "Service" } th { "Workload" }
                    th { "First spend" } th { "Tagged from" } th { "Spend before the tag" }
                    th { "Credit forfeited" }
                }
                "\n"
                @for r in l.resources.iter().take(LISTED) {
                    tr {
                        td { code { (r.resource) } }
                        td { (r.account) }
                        td { (r.service) }
                        td { (r.workload.as_deref().unwrap_or("")) }
                        td { (r.first_spend) }
                        td { (r.tagged_from) }
                        td { (amount(r.spend_before_tag)) }
                        td { (amount(r.credit_forfeited)) }
                    }
                    "\n"
                }
            }
            "\n"
        }
    }
}
