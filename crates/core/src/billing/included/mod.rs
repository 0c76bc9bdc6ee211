//! AWS's "AWS Migrations Included Services List": the services whose spend
//! MAP counts, by bill product code, each with its Cost Explorer names,
//! the day it became eligible, and what of its usage the list leaves out.
//! It is data (`rows.rs`, transcribed from the list and reviewed like
//! code); this module judges a bill line against a row.
//!
//! A row's rules read a line's usage type and operation: `Only` rules
//! name the usage that counts ("Logs only"), `Excludes` rules the usage
//! that does not (S3 requests). Data transfer is left out of every
//! service. What the list excludes that no bill line shows (third-party
//! licences, Marketplace private offers) is a row's `unseen`: reports name
//! it among their assumptions rather than assume it away.
//!
//! Updating it when AWS publishes a new list: docs/map-facts.md.

mod rows;

pub use rows::{MODELS, SERVICES};

use chrono::NaiveDate;

/// The list's title, as AWS publishes it.
pub const NAME: &str = "AWS Migrations Included Services List";
/// The day of the copy transcribed here ("Last Updated on 6 April 2026").
pub const UPDATED: &str = "2026-04-06";

/// The day the list was last updated.
pub fn updated() -> NaiveDate {
    UPDATED.parse().expect("rows.rs tests parse it")
}

/// Excluded from every service: data transfer ("All data transfer costs
/// are excluded"), by usage type.
/// `…DataTransfer-Out-Bytes`, `…-AWS-In-Bytes`, Direct Connect's
/// `…DataXfer-Out`, Transfer Acceleration's `…-ABytes(-T1)`, CloudFront's
/// to-origin `…-OBytes` (the CUR user guide's "Understanding data transfer
/// charges" and the services' billing pages).
pub const DATA_TRANSFER: &[Match] = &[
    Match::Usage("DataTransfer"),
    Match::Usage("DataXfer"),
    Match::Usage("-ABytes"),
    Match::UsageEnd("-Out-Bytes"),
    Match::UsageEnd("-In-Bytes"),
    Match::UsageEnd("-OBytes"),
];

/// Excluded from every service, and shown by no bill line ("All
/// third-party software license costs are excluded").
pub const UNSEEN_EVERYWHERE: &[&str] = &["third-party software license costs"];

/// One service (or one part of a service) of the list.
#[derive(Debug, PartialEq, Eq)]
pub struct Listed {
    /// As the list names it.
    pub name: &'static str,
    /// The bill's product code (`line_item_product_code`).
    pub code: &'static str,
    /// Cost Explorer's SERVICE names for it (EC2 has two); empty where
    /// Cost Explorer has none tagwarden knows.
    pub cost_explorer: &'static [&'static str],
    /// "Eligible for inclusion and can be tagged after" this day
    /// (`YYYY-MM-DD`): its spend counts from that day on.
    pub after: Option<&'static str>,
    /// What of its usage counts, by usage type and operation.
    pub rules: &'static [Rule],
    /// Exclusions of the list that no bill line shows.
    pub unseen: &'static [&'static str],
}

/// One rule of a row, worded as the list words it.
#[derive(Debug, PartialEq, Eq)]
pub struct Rule {
    pub what: &'static str,
    pub kind: RuleKind,
    pub matches: &'static [Match],
    pub basis: Basis,
}

/// What a rule's matches rest on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// Usage types and operations as AWS documents them or bills show them.
    Seen,
    /// The list's own words, looked for in usage types: no bill or
    /// document showing the usage type was found (docs/map-facts.md).
    Worded,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    /// Only usage matching one of the rule's matches counts.
    Only,
    /// Usage matching one of the rule's matches does not count.
    Excludes,
}

/// What a rule looks for in a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    /// The usage type contains this text.
    Usage(&'static str),
    /// The usage type ends with this text.
    UsageEnd(&'static str),
    /// The usage type is a region's (`USE1-`, `EU-`) followed by this
    /// text: Route 53 Resolver's `USE1-DNS-Queries`, not the hosted zones'
    /// `DNS-Queries`.
    Regional(&'static str),
    /// The operation is this one.
    Operation(&'static str),
}

impl Match {
    pub fn holds(self, usage_type: &str, operation: &str) -> bool {
        match self {
            Match::Usage(part) => usage_type.contains(part),
            Match::UsageEnd(end) => usage_type.ends_with(end),
            Match::Regional(text) => usage_type.split_once('-').is_some_and(|(region, rest)| {
                rest == text
                    && !region.is_empty()
                    && region
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            }),
            Match::Operation(op) => operation == op,
        }
    }

    /// In words, for `credits --services`.
    pub fn describe(self) -> String {
        match self {
            Match::Usage(part) => format!("usage type *{part}*"),
            Match::UsageEnd(end) => format!("usage type *{end}"),
            Match::Regional(text) => format!("usage type REGION-{text}"),
            Match::Operation(op) => format!("operation {op}"),
        }
    }
}

impl Rule {
    fn holds(&self, usage_type: &str, operation: &str) -> bool {
        self.matches.iter().any(|m| m.holds(usage_type, operation))
    }
}

/// Whether a line with this usage type is data transfer.
pub fn is_data_transfer(usage_type: &str) -> bool {
    DATA_TRANSFER.iter().any(|m| m.holds(usage_type, ""))
}

impl Listed {
    /// The day its spend counts from, if it has one.
    pub fn from(&self) -> Option<NaiveDate> {
        self.after.and_then(|d| d.parse().ok())
    }

    /// Whether this row's rules let a line of its product count (data
    /// transfer aside, which no row counts).
    pub fn counts(&self, usage_type: &str, operation: &str) -> bool {
        self.rules.iter().all(|r| match r.kind {
            RuleKind::Only => r.holds(usage_type, operation),
            RuleKind::Excludes => !r.holds(usage_type, operation),
        })
    }

    /// Whether a rule reads the operation (so a line's kind must hold it).
    pub fn reads_operation(&self) -> bool {
        self.rules
            .iter()
            .flat_map(|r| r.matches)
            .any(|m| matches!(m, Match::Operation(_)))
    }
}

/// Every row: the services, then the third-party Bedrock models.
pub fn rows() -> impl Iterator<Item = (u16, &'static Listed)> {
    SERVICES
        .iter()
        .chain(MODELS)
        .enumerate()
        .map(|(i, r)| (u16::try_from(i).expect("fewer than 65536 rows"), r))
}

/// Row `i` of [`rows`].
pub fn row(i: u16) -> Option<&'static Listed> {
    let i = usize::from(i);
    SERVICES
        .get(i)
        .or_else(|| MODELS.get(i.checked_sub(SERVICES.len())?))
}

/// The rows of product code `code` (AmazonVPC has two).
pub fn rows_of(code: &str) -> impl Iterator<Item = &'static Listed> + '_ {
    SERVICES
        .iter()
        .chain(MODELS)
        .filter(move |r| r.code == code)
}

/// Whether judging a line of `code` reads its operation: asked of every
/// line, so the few such codes are found once.
pub fn reads_operation(code: &str) -> bool {
    static CODES: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
        rows()
            .filter(|(_, r)| r.reads_operation())
            .map(|(_, r)| r.code)
            .collect()
    });
    CODES.contains(&code)
}

#[cfg(test)]
mod tests;
