//! The money view from a billing export instead of Cost Explorer: the
//! [`Ledger`] regrouped into the three answers Cost Explorer would give
//! (spend by value and service, eligible spend by value and account, and
//! credits), so the arithmetic is the same whichever the source. Unlike
//! Cost Explorer, a bill tells credits apart: only those whose description
//! matches `map.credit_description` count as received.

use super::{Cell, Received, Scheme};
use crate::billing::eligible::Eligibility;
use crate::billing::Ledger;
use crate::config::MapAgreement;
use crate::money::Decimal;
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// Cost Explorer's answers, from a bill.
#[derive(Debug, Default, PartialEq)]
pub struct FromExport {
    pub by_service: Vec<Cell>,
    pub by_account: Vec<Cell>,
    pub by_workload: Vec<Cell>,
    pub received: Vec<Received>,
    pub warnings: Vec<String>,
}

/// (month, key, value, its key, eligible, workload).
type Key<'a> = (
    NaiveDate,
    &'a str,
    Option<&'a str>,
    Scheme,
    bool,
    Option<&'a str>,
);

pub fn from_ledger(ledger: &Ledger, currency: &str, terms: &MapAgreement) -> FromExport {
    let rules = Eligibility {
        services: &terms.eligible_services,
    };
    let mut by_service: BTreeMap<Key, Decimal> = BTreeMap::new();
    let mut by_account: BTreeMap<Key, Decimal> = BTreeMap::new();
    let mut by_workload: BTreeMap<Key, Decimal> = BTreeMap::new();
    for s in ledger.spend() {
        let w = s.workload;
        *by_service
            .entry((s.month, s.service, s.tag, s.scheme, s.eligible, w))
            .or_default() += s.amount;
        if !s.eligible {
            continue;
        }
        *by_account
            .entry((s.month, s.account, s.tag, s.scheme, true, w))
            .or_default() += s.amount;
        if let Some(w) = w {
            *by_workload
                .entry((s.month, w, s.tag, s.scheme, true, Some(w)))
                .or_default() += s.amount;
        }
    }
    let cells = |sums: BTreeMap<Key, Decimal>| {
        sums.into_iter()
            .map(
                |((month, key, tag, scheme, eligible, workload), amount)| Cell {
                    month,
                    key: key.to_string(),
                    tag: tag.map(str::to_string),
                    scheme,
                    amount,
                    currency: currency.to_string(),
                    eligible: Some(eligible),
                    workload: workload.map(str::to_string),
                },
            )
            .collect()
    };
    let (received, warnings) = received(ledger, currency, terms);
    let mut out = FromExport {
        by_service: cells(by_service),
        by_account: cells(by_account),
        by_workload: cells(by_workload),
        received,
        warnings,
    };
    let unnamed: Vec<&str> = ledger
        .unnamed_services()
        .into_iter()
        .filter(|s| !rules.lists(s))
        .collect();
    if !unnamed.is_empty() {
        out.warnings.push(format!(
            "{} billed under product codes tagwarden does not map to Cost Explorer's service names, counted as not eligible: {}; list a code in map.eligible_services if your agreement covers it",
            plural(unnamed.len(), "service is", "services are"),
            unnamed.join(", ")
        ));
    }
    out
}

/// MAP credits by month; the other credits' descriptions in a warning.
fn received(ledger: &Ledger, currency: &str, terms: &MapAgreement) -> (Vec<Received>, Vec<String>) {
    let mut by_month: BTreeMap<NaiveDate, Decimal> = BTreeMap::new();
    let mut other: BTreeMap<&str, Decimal> = BTreeMap::new();
    for (month, description, amount) in ledger.credits() {
        if terms.credit_description.is_match(description) {
            *by_month.entry(month).or_default() += amount;
        } else {
            *other.entry(description).or_default() += amount;
        }
    }
    let received = by_month
        .into_iter()
        .map(|(month, amount)| Received {
            month,
            amount,
            currency: currency.to_string(),
        })
        .collect();
    let warnings = if other.is_empty() {
        vec![]
    } else {
        let list: Vec<String> = other
            .iter()
            .map(|(d, a)| format!("`{d}` ({} {currency})", crate::money::show(-*a)))
            .collect();
        vec![format!(
            "{} not counted as MAP credit (its description does not match map.credit_description `{}`): {}",
            plural(other.len(), "credit is", "credits are"),
            terms.credit_description.as_str(),
            list.join(", ")
        )]
    };
    (received, warnings)
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}
