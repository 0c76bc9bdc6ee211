//! The MAP money view, pure: spend by month, map-migrated value, service and
//! account in; tagged, mis-tagged and untagged eligible spend, coverage,
//! estimated, received and missed credit per month and quarter, and a
//! forecast out. The terms are the configuration's (`map:`), and the report
//! states them in words.
//!
//! The arithmetic: credit is `credit_rate` × the tagged eligible spend above
//! `min_migrated_spend`, cumulated from the agreement's start. A period's
//! credit is the part of that earned in it, so the threshold may be crossed
//! mid-period and issuance (monthly or quarterly) changes when credit is
//! issued, not how much. Missed credit is what the same terms would give if
//! the untagged and mis-tagged eligible spend had been tagged, less the
//! estimate.

pub mod eligibility;
pub mod excluded;
pub mod export;
mod keys;
pub mod periods;
pub mod resources;

use crate::billing::eligible::Eligibility;
use crate::config::MapAgreement;
use crate::money::{self, Decimal};
pub use crate::policy::map_format::{Scheme, TagState};
use chrono::NaiveDate;
use periods::Period;
use serde::Serialize;
use std::collections::BTreeMap;

/// Spend of one month, one MAP tag value (None: untagged) and one key (a
/// service, or an account), as Cost Explorer groups it.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Cell {
    pub month: NaiveDate,
    pub key: String,
    pub tag: Option<String>,
    /// The key `tag` was read under (the first of `map.tag` when none).
    #[serde(default, skip_serializing_if = "Scheme::is_default")]
    pub scheme: Scheme,
    pub amount: Decimal,
    pub currency: String,
    /// From a bill, whose lines are judged one by one (usage type, day);
    /// None from Cost Explorer: judged by service name and month.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eligible: Option<bool>,
    /// From a bill with `map.workload_tags`: the workload (Cost Explorer's
    /// cells by service or account do not say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<String>,
}

/// Credit rows (Cost Explorer RECORD_TYPE Credit: negative amounts).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Received {
    pub month: NaiveDate,
    pub amount: Decimal,
    pub currency: String,
}

pub struct Input<'a> {
    pub terms: &'a MapAgreement,
    /// The months to report (months with no data report zero).
    pub months: Vec<Period>,
    /// The agreement's first day, for quarters and the forecast.
    pub agreement_start: NaiveDate,
    /// Its end, exclusive.
    pub agreement_end: NaiveDate,
    /// Months before this one are complete (the current one is partial).
    pub complete_before: NaiveDate,
    /// All spend, by value and SERVICE.
    pub by_service: Vec<Cell>,
    /// Eligible spend only, by value and LINKED_ACCOUNT.
    pub by_account: Vec<Cell>,
    /// Eligible spend only, by value and workload (empty without
    /// `map.workload_tags`).
    pub by_workload: Vec<Cell>,
    pub received: Vec<Received>,
    /// Where the figures come from: it decides what "received" means.
    pub origin: Origin,
    /// What the source could not apply of the eligibility (Cost
    /// Explorer's exclusions), in words.
    pub source_assumptions: Vec<String>,
}

/// The source of the spend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    CostExplorer,
    BillingExport,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CreditsError {
    #[error("the billing data mixes currencies ({0} and {1}); tagwarden does not convert: narrow it to one payer")]
    MixedCurrencies(String, String),
}

/// Eligible spend split by tag state, and what it earns.
/// Exact; JSON rounds each to the cent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Amounts {
    #[serde(serialize_with = "money::serialize")]
    pub total: Decimal,
    #[serde(serialize_with = "money::serialize")]
    pub eligible: Decimal,
    #[serde(serialize_with = "money::serialize")]
    pub tagged: Decimal,
    #[serde(serialize_with = "money::serialize")]
    pub mistagged: Decimal,
    #[serde(serialize_with = "money::serialize")]
    pub untagged: Decimal,
    /// tagged / eligible; None without eligible spend.
    pub coverage: Option<f64>,
    #[serde(serialize_with = "money::serialize")]
    pub estimated_credit: Decimal,
    #[serde(serialize_with = "money::serialize")]
    pub received_credit: Decimal,
    #[serde(serialize_with = "money::serialize")]
    pub missed_credit: Decimal,
}

impl Amounts {
    fn add_spend(&mut self, state: TagState, eligible: bool, amount: Decimal) {
        self.total += amount;
        if !eligible {
            return;
        }
        self.eligible += amount;
        match state {
            TagState::Tagged => self.tagged += amount,
            TagState::Mistagged => self.mistagged += amount,
            TagState::Untagged => self.untagged += amount,
        }
    }

    fn sum<'a>(items: impl IntoIterator<Item = &'a Amounts>) -> Amounts {
        let mut out = Amounts::default();
        for a in items {
            out.total += a.total;
            out.eligible += a.eligible;
            out.tagged += a.tagged;
            out.mistagged += a.mistagged;
            out.untagged += a.untagged;
            out.estimated_credit += a.estimated_credit;
            out.received_credit += a.received_credit;
            out.missed_credit += a.missed_credit;
        }
        out.finish()
    }

    fn finish(mut self) -> Amounts {
        self.coverage = (self.eligible > Decimal::ZERO)
            .then(|| money::ratio(self.tagged, self.eligible))
            .flatten();
        self
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodRow {
    #[serde(flatten)]
    pub period: PeriodOut,
    #[serde(flatten)]
    pub amounts: Amounts,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodOut {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub label: String,
    /// The period is not over: its spend is still growing.
    pub partial: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyRow {
    pub key: String,
    /// For services: whether the terms count it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eligible_service: Option<bool>,
    #[serde(flatten)]
    pub amounts: Amounts,
    /// For a workload, from a bill: its eligible spend by account.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub accounts: Vec<KeyRow>,
    /// For a workload, from a bill: its eligible spend by service.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<KeyRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mistagged {
    /// The MAP tag key the value was found under.
    pub key: Scheme,
    pub value: String,
    #[serde(serialize_with = "money::serialize")]
    pub amount: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Forecast {
    /// Months left in the agreement after the last complete one.
    pub remaining_months: u32,
    /// The recent trend: average tagged eligible spend of the last (up to 3)
    /// complete months.
    #[serde(serialize_with = "money::serialize")]
    pub monthly_tagged: Decimal,
    #[serde(serialize_with = "money::serialize")]
    pub monthly_untagged: Decimal,
    /// Credit the trend earns over the remaining months.
    #[serde(serialize_with = "money::serialize")]
    pub credit: Decimal,
    /// More credit if the untagged and mis-tagged spend were tagged too.
    #[serde(serialize_with = "money::serialize")]
    pub upside: Decimal,
    /// Estimated for the complete months plus the forecast.
    #[serde(serialize_with = "money::serialize")]
    pub agreement_total: Decimal,
}

/// Progress against `map.target`, the migrated spend the agreement
/// commits to over its term.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Target {
    #[serde(serialize_with = "money::serialize")]
    pub committed: Decimal,
    /// Tagged eligible spend from the agreement's start to `--at`.
    #[serde(serialize_with = "money::serialize")]
    pub tagged_to_date: Decimal,
    /// The complete months' tagged eligible spend, plus the forecast's
    /// monthly trend for every remaining month.
    #[serde(serialize_with = "money::serialize")]
    pub projected_at_end: Decimal,
    pub on_track: bool,
    /// What the projection falls short of the commitment by (0 on track).
    #[serde(serialize_with = "money::serialize")]
    pub shortfall: Decimal,
    /// How `projected_at_end` is computed, in words.
    pub method: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Credits {
    pub currency: String,
    pub totals: Amounts,
    pub months: Vec<PeriodRow>,
    pub quarters: Vec<PeriodRow>,
    pub by_account: Vec<KeyRow>,
    pub by_service: Vec<KeyRow>,
    /// By workload (`map.workload_tags`; empty without it).
    pub by_workload: Vec<KeyRow>,
    /// With two MAP tags configured (`map.tag`): the eligible spend
    /// carrying each key, and its share of the credit.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub by_scheme: Vec<KeyRow>,
    pub mistagged_values: Vec<Mistagged>,
    pub forecast: Forecast,
    /// None without `map.target`.
    pub target: Option<Target>,
    pub assumptions: Vec<String>,
}

/// Credit earned by cumulative spend going from `before` to `after`.
fn earned(rate: Decimal, threshold: Decimal, before: Decimal, after: Decimal) -> Decimal {
    let above = |x: Decimal| (x - threshold).max(Decimal::ZERO);
    rate * (above(after) - above(before))
}

pub fn compute(input: &Input<'_>) -> Result<Credits, CreditsError> {
    let currency = one_currency(input)?;
    let t = input.terms;
    let month_index: BTreeMap<NaiveDate, usize> = input
        .months
        .iter()
        .enumerate()
        .map(|(i, m)| (periods::first_of_month(m.start), i))
        .collect();
    let rules = Eligibility {
        services: &t.eligible_services,
    };
    let (months, services) = spend_by_month(input, &month_index, &rules);
    let rows = |p: &Period, a: Amounts| PeriodRow {
        period: PeriodOut {
            start: p.start,
            end: p.end,
            label: p.label.clone(),
            partial: p.end > input.complete_before,
        },
        amounts: a,
    };
    let quarters = periods::quarters(&input.months, input.agreement_start, t.quarters)
        .into_iter()
        .map(|(q, idx)| rows(&q, Amounts::sum(idx.iter().map(|&i| &months[i]))))
        .collect();
    let totals = Amounts::sum(&months);
    let forecast = forecast(input, &months);
    Ok(Credits {
        currency,
        target: t
            .target
            .map(|committed| target(input, &months, &forecast, committed)),
        forecast,
        totals,
        months: input
            .months
            .iter()
            .zip(&months)
            .map(|(p, a)| rows(p, *a))
            .collect(),
        quarters,
        by_account: keys::by_key(&input.by_account, &t.tags, &months, &month_index),
        by_workload: keys::workloads(input, &rules, &months, &month_index),
        by_scheme: keys::by_scheme(input, &rules, &months, &month_index),
        by_service: services
            .into_iter()
            .map(|(k, a)| KeyRow {
                key: k.to_string(),
                eligible_service: Some(rules.lists(k)),
                amounts: a.finish(),
                accounts: Vec::new(),
                services: Vec::new(),
            })
            .collect(),
        mistagged_values: mistagged_values(input, &month_index),
        assumptions: assumptions(input),
    })
}

/// Spend and credit per month (earned cumulating from the first), and
/// spend per service.
fn spend_by_month<'a>(
    input: &'a Input<'_>,
    month_index: &BTreeMap<NaiveDate, usize>,
    rules: &Eligibility<'_>,
) -> (Vec<Amounts>, BTreeMap<&'a str, Amounts>) {
    let t = input.terms;
    let mut months = vec![Amounts::default(); input.months.len()];
    let mut services: BTreeMap<&str, Amounts> = BTreeMap::new();
    for c in &input.by_service {
        let Some(&i) = month_index.get(&periods::first_of_month(c.month)) else {
            continue;
        };
        let state = t.tags.classify(c.tag.as_deref(), c.scheme);
        let eligible = is_eligible(rules, c);
        months[i].add_spend(state, eligible, c.amount);
        services
            .entry(&c.key)
            .or_default()
            .add_spend(state, eligible, c.amount);
    }
    for r in &input.received {
        if let Some(&i) = month_index.get(&periods::first_of_month(r.month)) {
            months[i].received_credit -= r.amount;
        }
    }
    accrue(&mut months, t.credit_rate, t.min_migrated_spend);
    (months.into_iter().map(Amounts::finish).collect(), services)
}

/// Whether a cell's spend can earn credit: as the bill judged it, else by
/// service name and month.
pub(crate) fn is_eligible(rules: &Eligibility<'_>, c: &Cell) -> bool {
    c.eligible
        .unwrap_or_else(|| rules.of_month(&c.key, periods::first_of_month(c.month)))
}

/// Eligible spend under a malformed value or another agreement's, by value.
fn mistagged_values(input: &Input<'_>, months: &BTreeMap<NaiveDate, usize>) -> Vec<Mistagged> {
    let t = input.terms;
    let rules = Eligibility {
        services: &t.eligible_services,
    };
    let mut out: BTreeMap<(Scheme, &str), Decimal> = BTreeMap::new();
    for c in &input.by_service {
        let in_range = months.contains_key(&periods::first_of_month(c.month));
        let eligible = is_eligible(&rules, c);
        let state = t.tags.classify(c.tag.as_deref(), c.scheme);
        if in_range && eligible && state == TagState::Mistagged {
            *out.entry((c.scheme, c.tag.as_deref().unwrap_or("")))
                .or_default() += c.amount;
        }
    }
    out.into_iter()
        .map(|((scheme, v), amount)| Mistagged {
            key: scheme,
            value: v.to_string(),
            amount,
        })
        .collect()
}

/// Estimated and missed credit per month, cumulating from the first.
fn accrue(months: &mut [Amounts], rate: Decimal, threshold: Decimal) {
    let (mut tagged, mut all) = (Decimal::ZERO, Decimal::ZERO);
    for m in months {
        let potential = m.tagged + m.mistagged + m.untagged;
        m.estimated_credit = earned(rate, threshold, tagged, tagged + m.tagged);
        m.missed_credit = earned(rate, threshold, all, all + potential) - m.estimated_credit;
        tagged += m.tagged;
        all += potential;
    }
}

fn one_currency(input: &Input<'_>) -> Result<String, CreditsError> {
    let mut all = input
        .by_service
        .iter()
        .map(|c| &c.currency)
        .chain(input.by_account.iter().map(|c| &c.currency))
        .chain(input.received.iter().map(|r| &r.currency));
    let first = all.next().cloned().unwrap_or_else(|| "USD".to_string());
    match all.find(|c| **c != first) {
        Some(other) => Err(CreditsError::MixedCurrencies(first, other.clone())),
        None => Ok(first),
    }
}

/// The recent trend, carried from the current (partial) month to the
/// agreement's end, on top of what the complete months earned.
fn forecast(input: &Input<'_>, months: &[Amounts]) -> Forecast {
    let t = input.terms;
    let complete: Vec<&Amounts> = input
        .months
        .iter()
        .zip(months)
        .filter(|(p, _)| p.end <= input.complete_before)
        .map(|(_, a)| a)
        .collect();
    let recent = &complete[complete.len().saturating_sub(3)..];
    let avg = |f: fn(&Amounts) -> Decimal| {
        if recent.is_empty() {
            Decimal::ZERO
        } else {
            recent.iter().map(|a| f(a)).sum::<Decimal>() / Decimal::from(recent.len())
        }
    };
    let monthly_tagged = avg(|a| a.tagged);
    let monthly_untagged = avg(|a| a.untagged + a.mistagged);
    let from = periods::first_of_month(input.complete_before);
    let remaining_months = periods::months(from, input.agreement_end).len() as u32;
    let n = Decimal::from(remaining_months);
    let done = Amounts::sum(complete.iter().copied());
    let (tagged_so_far, all_so_far) = (done.tagged, done.tagged + done.untagged + done.mistagged);
    let threshold = t.min_migrated_spend;
    let credit = earned(
        t.credit_rate,
        threshold,
        tagged_so_far,
        tagged_so_far + monthly_tagged * n,
    );
    let if_all = earned(
        t.credit_rate,
        threshold,
        all_so_far,
        all_so_far + (monthly_tagged + monthly_untagged) * n,
    );
    Forecast {
        remaining_months,
        monthly_tagged,
        monthly_untagged,
        credit,
        upside: (if_all - credit).max(Decimal::ZERO),
        agreement_total: done.estimated_credit + credit,
    }
}

/// Where the agreement stands against its committed migrated spend: the
/// complete months as they are, the forecast's trend after them.
fn target(input: &Input<'_>, months: &[Amounts], f: &Forecast, committed: Decimal) -> Target {
    let complete = input
        .months
        .iter()
        .zip(months)
        .filter(|(p, _)| p.end <= input.complete_before);
    let done: Decimal = complete.map(|(_, a)| a.tagged).sum();
    let projected = done + f.monthly_tagged * Decimal::from(f.remaining_months);
    Target {
        committed,
        tagged_to_date: months.iter().map(|a| a.tagged).sum(),
        projected_at_end: projected,
        on_track: projected >= committed,
        shortfall: (committed - projected).max(Decimal::ZERO),
        method: format!(
            "tagged eligible spend of the complete months, plus their recent average ({} a month, the last three complete months) for each of the {} month(s) left in the agreement",
            money::show(f.monthly_tagged),
            f.remaining_months
        ),
    }
}

/// Which MAP values count as this agreement's, in words.
fn tags_in_words(tags: &crate::policy::map_format::MapTags) -> String {
    let one = |t: &crate::policy::map_format::MapTag| match &t.id {
        Some(id) => format!(
            "`{}` values with the {} {id}",
            t.scheme.key(),
            t.scheme.id_name()
        ),
        None => format!(
            "every well-formed `{}` value (no {} is configured)",
            t.scheme.key(),
            t.scheme.id_name()
        ),
    };
    let counted: Vec<String> = tags.iter().map(one).collect();
    let mut words = format!(
        "{} count as tagged; other MAP values and malformed ones as mis-tagged",
        counted.join(" and ")
    );
    if tags.len() > 1 {
        let order: Vec<&str> = tags.iter().map(|t| t.scheme.key()).collect();
        words.push_str(&format!("; spend carrying both keys is judged by the first of {} (map.tag's order); the two keys' tagged spend counts together against one set of terms, and `by_scheme` shows each key's part", order.join(", ")));
    }
    words
}

/// The terms, in words, for every report.
fn assumptions(input: &Input<'_>) -> Vec<String> {
    let (t, origin) = (input.terms, input.origin);
    let id = tags_in_words(&t.tags);
    let issuance = match t.issuance {
        crate::config::Issuance::Quarterly => "quarterly",
        crate::config::Issuance::Monthly => "monthly",
    };
    let mut spent: Vec<&str> = input
        .by_service
        .iter()
        .filter(|c| !c.amount.is_zero())
        .map(|c| c.key.as_str())
        .collect();
    spent.sort_unstable();
    spent.dedup();
    let mut out = vec![
        id,
        format!(
            "estimated credit is {} % of tagged eligible spend above a cumulative {} of tagged spend (map.credit_rate, map.min_migrated_spend), issued {issuance}; the terms of your agreement may differ",
            (t.credit_rate * Decimal::ONE_HUNDRED).normalize(),
            money::show(t.min_migrated_spend)
        ),
    ];
    out.extend(eligibility::assumptions(
        &t.eligible_services,
        input.agreement_start,
        &spent,
    ));
    out.extend(input.source_assumptions.iter().cloned());
    out.extend([
        "credits are not retroactive: spend before a resource was tagged earns nothing, so missed credit is lost for good".into(),
        match origin {
            Origin::CostExplorer => "received credit is every Credit record in Cost Explorer, which cannot tell MAP credits from others".into(),
            Origin::BillingExport => format!("received credit is the billing export's credit lines whose description matches `{}` (map.credit_description)", t.credit_description.as_str()),
        },
        "the forecast carries the average of the last three complete months to the agreement's end".into(),
    ]);
    out
}

#[cfg(test)]
mod list_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
pub(crate) mod workload_tests;
