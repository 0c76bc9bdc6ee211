//! Eligible spend by account and by workload (and, from a bill, each
//! workload's accounts and services), each key with its share of the
//! agreement's credit.

use super::{is_eligible, periods, Amounts, Cell, Input, KeyRow};
use crate::billing::eligible::Eligibility;
use crate::money::Decimal;
use crate::policy::map_format::MapTags;
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// Eligible spend by account or workload, with each month's estimated
/// and missed credit shared out in proportion to its tagged (and its
/// untagged and mis-tagged) spend that month: the threshold is the
/// agreement's, not a key's, so a key's credit is its share of the total.
pub(super) fn by_key(
    cells: &[Cell],
    tags: &MapTags,
    months: &[Amounts],
    month_index: &BTreeMap<NaiveDate, usize>,
) -> Vec<KeyRow> {
    let mut keys: BTreeMap<&str, Vec<Amounts>> = BTreeMap::new();
    for c in cells {
        let Some(&i) = month_index.get(&periods::first_of_month(c.month)) else {
            continue;
        };
        let per_month = keys
            .entry(&c.key)
            .or_insert_with(|| vec![Amounts::default(); months.len()]);
        per_month[i].add_spend(tags.classify(c.tag.as_deref(), c.scheme), true, c.amount);
    }
    keys.into_iter()
        .map(|(k, mut per_month)| {
            for (a, m) in per_month.iter_mut().zip(months) {
                a.estimated_credit = share(m.estimated_credit, a.tagged, m.tagged);
                a.missed_credit = share(
                    m.missed_credit,
                    a.untagged + a.mistagged,
                    m.untagged + m.mistagged,
                );
            }
            KeyRow {
                key: k.to_string(),
                eligible_service: None,
                amounts: Amounts::sum(&per_month),
                accounts: Vec::new(),
                services: Vec::new(),
            }
        })
        .collect()
}

/// Eligible spend by workload; from a bill, each with its accounts and
/// services.
pub(super) fn workloads(
    input: &Input<'_>,
    rules: &Eligibility<'_>,
    months: &[Amounts],
    month_index: &BTreeMap<NaiveDate, usize>,
) -> Vec<KeyRow> {
    let tags = &input.terms.tags;
    let of = |cells: &[Cell], w: &str| -> Vec<Cell> {
        cells
            .iter()
            .filter(|c| c.workload.as_deref() == Some(w) && is_eligible(rules, c))
            .cloned()
            .collect()
    };
    let mut rows = by_key(&input.by_workload, tags, months, month_index);
    for row in &mut rows {
        row.accounts = by_key(&of(&input.by_account, &row.key), tags, months, month_index);
        row.services = by_key(&of(&input.by_service, &row.key), tags, months, month_index);
    }
    rows
}

/// With more than one MAP tag configured: the eligible spend carrying
/// each key (tagged with this agreement's value or not), keyed by the tag
/// key; spend carrying neither is in no row.
pub(super) fn by_scheme(
    input: &Input<'_>,
    rules: &Eligibility<'_>,
    months: &[Amounts],
    month_index: &BTreeMap<NaiveDate, usize>,
) -> Vec<KeyRow> {
    let tags = &input.terms.tags;
    if tags.len() < 2 {
        return Vec::new();
    }
    let cells: Vec<Cell> = input
        .by_service
        .iter()
        .filter(|c| c.tag.is_some() && is_eligible(rules, c))
        .map(|c| Cell {
            key: c.scheme.key().to_string(),
            ..c.clone()
        })
        .collect();
    by_key(&cells, tags, months, month_index)
}

/// `amount` × part / whole (0 when the whole is).
fn share(amount: Decimal, part: Decimal, whole: Decimal) -> Decimal {
    if whole.is_zero() {
        Decimal::ZERO
    } else {
        amount * part / whole
    }
}
