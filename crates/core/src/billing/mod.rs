//! Billing exports, streamed: CUR 2.0 (Data Exports), legacy CUR and FOCUS,
//! in CSV or Parquet, summed row by row so tens of millions of rows never
//! sit in memory. The dialect is told by the column names.
//!
//! Two sums come out of one pass. Per resource (for `--cost`): only usage
//! counts (CUR line item types Usage, DiscountedUsage,
//! SavingsPlanCoveredUsage; FOCUS charge category Usage). Per month,
//! account, service and `map-migrated` value (for `credits --cost`, the
//! [`Ledger`]): every charge but credits, refunds and taxes (FOCUS: and
//! adjustments), as Cost Explorer's RECORD_TYPE filter counts it; credits
//! apart, by description.

mod csv_file;
mod layout;
mod ledger;
pub mod manifest;
mod parquet_file;
pub mod services;

pub use layout::Dialect;
pub use ledger::{Ledger, Spend};

use crate::money::Decimal;
use chrono::{Datelike, NaiveDate};
use std::borrow::Cow;
use std::collections::HashMap;

#[derive(Debug, thiserror::Error)]
pub enum BillingError {
    #[error("{file}: not a billing export tagwarden reads (CUR 2.0, legacy CUR or FOCUS): no `{missing}` column among {found}")]
    UnknownLayout {
        file: String,
        missing: &'static str,
        found: String,
    },
    #[error("{file}: {at}: {why}")]
    Row {
        file: String,
        /// `line N` (CSV) or `row N` (Parquet).
        at: String,
        why: String,
    },
    #[error("{file}: {source}")]
    Csv { file: String, source: csv::Error },
    #[error("{file}: not a readable Parquet file: {why}")]
    Parquet { file: String, why: String },
    #[error("{file}: bills in {other}, but {first} was read before; tagwarden does not convert currencies")]
    MixedCurrencies {
        file: String,
        first: String,
        other: String,
    },
}

impl BillingError {
    /// The file itself cannot be read (corrupt Parquet, an I/O error
    /// under the CSV reader), as opposed to a readable file that is not a
    /// bill tagwarden understands.
    pub fn is_unreadable(&self) -> bool {
        match self {
            BillingError::Parquet { .. } => true,
            BillingError::Csv { source, .. } => source.is_io_error(),
            _ => false,
        }
    }
}

/// Whether `code` has the form of an ISO 4217 currency code (`USD`,
/// `EUR`): the bill's currency reaches reports, so nothing else does.
pub fn is_currency_code(code: &str) -> bool {
    code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase())
}

/// What a line of the bill is, as far as MAP is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charge {
    /// Usage: the resource's own spend.
    Usage,
    /// Other spend Cost Explorer counts (fees, Savings Plans, discounts).
    OtherSpend,
    /// A credit: negative, received.
    Credit,
    /// Refunds and taxes: neither spend nor credit.
    Excluded,
}

impl Charge {
    /// A CUR line item type or a FOCUS charge category.
    fn of(dialect: Dialect, kind: &str) -> Charge {
        match (dialect, kind) {
            (_, "Credit") => Charge::Credit,
            (_, "Tax") | (Dialect::Focus, "Adjustment") | (_, "Refund") => Charge::Excluded,
            (Dialect::Focus, "Usage") => Charge::Usage,
            (Dialect::Focus, _) => Charge::OtherSpend,
            (_, "Usage" | "DiscountedUsage" | "SavingsPlanCoveredUsage") => Charge::Usage,
            _ => Charge::OtherSpend,
        }
    }
}

/// One line of a bill, whatever the file's dialect and format.
#[derive(Debug, Clone, PartialEq)]
pub struct Line<'a> {
    pub resource: &'a str,
    pub day: NaiveDate,
    pub cost: Decimal,
    pub charge: Charge,
    /// The `map-migrated` value, if any.
    pub tag: Option<Cow<'a, str>>,
    pub currency: &'a str,
    pub account: &'a str,
    /// The product code (`AmazonEC2`), FOCUS `x_ServiceCode`.
    pub product: &'a str,
    /// The product or service name, when there is no code.
    pub product_name: &'a str,
    pub usage_type: &'a str,
    pub description: &'a str,
}

/// One resource's usage over the period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResourceCost {
    pub cost: Decimal,
    /// The last `map-migrated` value billed for it.
    pub tag: Option<String>,
    /// Its cost by service (Cost Explorer's name, else the product code,
    /// else [`services::UNNAMED`]).
    pub by_service: Vec<(String, Decimal)>,
}

impl ResourceCost {
    /// The part of its cost that can earn MAP credit: billed under an
    /// eligible service, or under none the bill names.
    pub fn eligible_cost(&self, eligible_services: &[String]) -> Decimal {
        self.by_service
            .iter()
            .filter(|(s, _)| services::is_eligible(s, eligible_services))
            .map(|(_, c)| c)
            .sum()
    }

    fn add(&mut self, service: &str, cost: Decimal) {
        self.cost += cost;
        match self.by_service.iter_mut().find(|(s, _)| s == service) {
            Some((_, c)) => *c += cost,
            None => self.by_service.push((service.to_string(), cost)),
        }
    }
}

/// What a run over billing files found.
#[derive(Debug, Default)]
pub struct Costs {
    /// By resource id as billed: an ARN or a bare id (`i-…`, a bucket name).
    pub by_resource: HashMap<String, ResourceCost>,
    /// Spend and credits by month, for the money view.
    pub ledger: Ledger,
    /// The days the ledger takes, [from, to): the money view's window, so a
    /// month the agreement starts or `--at` ends in counts only its days in
    /// it, as Cost Explorer's daily bounds do. None: every day.
    pub ledger_window: Option<(NaiveDate, NaiveDate)>,
    pub currency: Option<String>,
    pub rows: u64,
    pub usage_rows: u64,
    /// Per billing period whose delivery has manifests, the version read.
    pub billing_periods: Vec<manifest::PeriodChoice>,
}

impl Costs {
    /// Add one line if its day is in [from, to).
    fn add(
        &mut self,
        line: &Line<'_>,
        file: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<(), BillingError> {
        if line.day < from || line.day >= to || line.charge == Charge::Excluded {
            return Ok(());
        }
        self.check_currency(line.currency, file)?;
        let month = line.day.with_day(1).unwrap_or(line.day);
        let (service, named) = services::of_line(line.product, line.usage_type, line.product_name);
        let in_window = self
            .ledger_window
            .is_none_or(|(from, to)| line.day >= from && line.day < to);
        if in_window {
            self.ledger.add(month, line, service, named);
        }
        if line.charge != Charge::Usage || line.resource.is_empty() {
            return Ok(());
        }
        self.usage_rows += 1;
        let entry = match self.by_resource.get_mut(line.resource) {
            Some(e) => e,
            None => self
                .by_resource
                .entry(line.resource.to_string())
                .or_default(),
        };
        entry.add(service, line.cost);
        if let Some(tag) = &line.tag {
            entry.tag = Some(tag.to_string());
        }
        Ok(())
    }

    fn check_currency(&mut self, currency: &str, file: &str) -> Result<(), BillingError> {
        match &self.currency {
            _ if currency.is_empty() => Ok(()),
            None => {
                self.currency = Some(currency.to_string());
                Ok(())
            }
            Some(first) if first != currency => Err(BillingError::MixedCurrencies {
                file: file.to_string(),
                first: first.clone(),
                other: currency.to_string(),
            }),
            Some(_) => Ok(()),
        }
    }

    /// The cost of a resource tagwarden knows by ARN: billed under its ARN,
    /// or under its bare id (`i-0abc…`, as EC2 lines name instances).
    pub fn of(&self, arn: &crate::arn::Arn) -> Option<&ResourceCost> {
        self.by_resource
            .get(arn.as_str())
            .or_else(|| self.by_resource.get(arn.id()))
    }
}

/// `map-migrated` in a JSON tag object, under any of the names the exports
/// use for it.
fn map_value_json(json: &str) -> Option<String> {
    if json.trim().is_empty() {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    MAP_TAG_KEYS
        .iter()
        .find_map(|k| v.get(k)?.as_str().map(str::to_string))
}

/// The names `map-migrated` goes by in tag maps: CUR 2.0, FOCUS, plain.
const MAP_TAG_KEYS: [&str; 3] = ["user_map_migrated", "user:map-migrated", "map-migrated"];

#[cfg(test)]
mod tests;
