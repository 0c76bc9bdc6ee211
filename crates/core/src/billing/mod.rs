//! Billing exports, streamed: CUR 2.0 (Data Exports), legacy CUR and FOCUS,
//! in CSV or Parquet, summed row by row so tens of millions of rows never
//! sit in memory. The dialect is told by the column names.
//!
//! Two sums come out of one pass. Per resource (for `--cost`): only usage
//! counts (CUR line item types Usage, DiscountedUsage,
//! SavingsPlanCoveredUsage; FOCUS charge category Usage). Per month,
//! account, service and MAP tag value (for `credits --cost`, the
//! [`Ledger`]): every charge but credits, refunds and taxes (FOCUS: and
//! adjustments), as Cost Explorer's RECORD_TYPE filter counts it; credits
//! apart, by description.

mod csv_file;
pub mod eligible;
pub mod included;
mod kind;
mod layout;
mod ledger;
pub mod manifest;
mod parquet_file;
mod parquet_values;
mod resource;
pub mod services;
mod tag_map;

pub use layout::{Dialect, TagNames};
pub use ledger::{Ledger, Spend};
pub use resource::{Name, Names, ResourceCost};

use crate::config::MapAgreement;
use crate::money::Decimal;
use crate::policy::map_format::{MapTags, Scheme, TagState};
use chrono::{Datelike, NaiveDate};
use eligible::EligibleService;
use kind::{Judge, Kinds};
use std::borrow::Cow;

/// The workload of spend that carries none of `map.workload_tags`.
pub const NO_WORKLOAD: &str = "(no workload)";

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

/// The day a bill's time (`2026-03-01T00:00:00Z`, `2026-03-01`) starts
/// with: its first ten characters as `YYYY-MM-DD`, read by hand (chrono's
/// general parser is a tenth of a CSV bill's cost).
pub(crate) fn day_of(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes().get(..10)?;
    let digits = |r: std::ops::Range<usize>| {
        b[r].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    if b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = i32::try_from(digits(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, digits(5..7)?, digits(8..10)?)
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
    /// The MAP tag value, if any: of the first of `map.tag` the line
    /// carries.
    pub tag: Option<Cow<'a, str>>,
    /// The key `tag` was read under (the first of `map.tag` when none).
    pub scheme: Scheme,
    /// The first of the workload tags' values, if any.
    pub workload: Option<Cow<'a, str>>,
    pub currency: &'a str,
    pub account: &'a str,
    /// The product code (`AmazonEC2`), FOCUS `x_ServiceCode`.
    pub product: &'a str,
    /// The product or service name, when there is no code.
    pub product_name: &'a str,
    pub usage_type: &'a str,
    /// The API operation (`line_item_operation`): a few of the list's
    /// exclusions name operations.
    pub operation: &'a str,
    pub description: &'a str,
}

/// What reading a bill needs of the agreement.
#[derive(Debug, Clone)]
pub struct Reading {
    pub eligible: Vec<EligibleService>,
    /// The MAP tags counted (`map.tag`), in order.
    pub tags: MapTags,
    /// The names of `map.workload_tags` in a bill; None: no workloads.
    pub workload_tags: Option<TagNames>,
    /// Only this workload's lines are read (`--workload`).
    pub only_workload: Option<String>,
    /// The days the money view takes, [from, to): so a month the agreement
    /// starts or `--at` ends in counts only its days in it, as Cost
    /// Explorer's daily bounds do; and the days a resource's uncredited
    /// spend and late tagging are counted in. None: every day.
    pub window: Option<(NaiveDate, NaiveDate)>,
}

impl Reading {
    pub fn of(terms: &MapAgreement) -> Reading {
        Reading {
            eligible: terms.eligible_services.clone(),
            tags: terms.tags.clone(),
            workload_tags: (!terms.workload_tags.is_empty())
                .then(|| TagNames::of(&terms.workload_tags)),
            only_workload: None,
            window: None,
        }
    }

    fn in_window(&self, day: NaiveDate) -> bool {
        self.window.is_none_or(|(from, to)| day >= from && day < to)
    }
}

impl Default for Reading {
    fn default() -> Reading {
        Reading::of(&MapAgreement::default())
    }
}

/// What a run over billing files found.
#[derive(Debug, Default)]
pub struct Costs {
    /// By resource id as billed: an ARN or a bare id (`i-…`, a bucket name).
    /// Boxed: the table stays small enough to stay in cache.
    pub by_resource: foldhash::HashMap<String, Box<ResourceCost>>,
    /// The texts the resources share.
    pub names: Names,
    /// The kinds of line read, judged.
    pub kinds: Kinds,
    /// Spend and credits by month, for the money view.
    pub ledger: Ledger,
    pub reading: Reading,
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
        let workload = self.workload_of(line);
        if self
            .reading
            .only_workload
            .as_deref()
            .is_some_and(|only| workload != Some(only))
        {
            return Ok(());
        }
        let kind = self.kinds.of(
            line,
            Judge {
                eligible: &self.reading.eligible,
                ledger: &mut self.ledger,
                names: &mut self.names,
            },
        );
        let eligible = kind.since.on(line.day);
        let in_window = self.reading.in_window(line.day);
        if in_window {
            let month = line.day.with_day(1).unwrap_or(line.day);
            self.ledger
                .add(month, line, kind.ledger_service, workload, eligible);
        }
        if line.charge != Charge::Usage || line.resource.is_empty() {
            return Ok(());
        }
        self.usage_rows += 1;
        let credited =
            self.reading.tags.classify(line.tag.as_deref(), line.scheme) == TagState::Tagged;
        let entry = match self.by_resource.get_mut(line.resource) {
            Some(e) => e,
            None => self
                .by_resource
                .entry(line.resource.to_string())
                .or_default(),
        };
        entry.add(
            line,
            &kind.service,
            workload,
            resource::Judged {
                eligible,
                credited,
                in_window,
            },
            &mut self.names,
        );
        Ok(())
    }

    /// The line's workload: None without `map.workload_tags`.
    fn workload_of<'l>(&self, line: &'l Line<'_>) -> Option<&'l str> {
        self.reading.workload_tags.as_ref()?;
        Some(line.workload.as_deref().unwrap_or(NO_WORKLOAD))
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
            .map(|r| &**r)
    }
}

#[cfg(test)]
mod exact_tests;
#[cfg(test)]
mod parquet_tests;
#[cfg(test)]
mod scheme_tests;
#[cfg(test)]
mod tests;
