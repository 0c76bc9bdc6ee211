//! Billing exports, streamed: CUR 2.0 (Data Exports), legacy CUR and FOCUS
//! files in CSV, summed per resource over a period, row by row, so tens of
//! millions of rows never sit in memory. The dialect is told by the header.
//! Only usage counts as spend (CUR line item types Usage, DiscountedUsage,
//! SavingsPlanCoveredUsage; FOCUS charge category Usage): credits, refunds,
//! taxes and fees are left out.

use chrono::NaiveDate;
use std::collections::HashMap;
use std::io::Read;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Cur2,
    LegacyCur,
    Focus,
}

impl Dialect {
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Cur2 => "CUR 2.0",
            Dialect::LegacyCur => "legacy CUR",
            Dialect::Focus => "FOCUS",
        }
    }
}

/// Where the `map-migrated` value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TagColumn {
    /// Its own column (legacy CUR `resourceTags/user:map-migrated`).
    Plain(usize),
    /// A JSON object column (CUR 2.0 `resource_tags`, FOCUS `Tags`).
    Map(usize),
    Absent,
}

/// The columns a dialect keeps its fields in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    pub dialect: Dialect,
    resource: usize,
    cost: usize,
    start: usize,
    kind: Option<usize>,
    tag: TagColumn,
    currency: Option<usize>,
}

#[derive(Debug, thiserror::Error)]
pub enum BillingError {
    #[error("{file}: not a billing export tagwarden reads (CUR 2.0, legacy CUR or FOCUS): no `{missing}` column among {found}")]
    UnknownLayout {
        file: String,
        missing: &'static str,
        found: String,
    },
    #[error("{file}: line {line}: {why}")]
    Row {
        file: String,
        line: u64,
        why: String,
    },
    #[error("{file}: {source}")]
    Csv { file: String, source: csv::Error },
    #[error("{file}: mixes currencies ({0} and {1}); tagwarden does not convert", .first, .other)]
    MixedCurrencies {
        file: String,
        first: String,
        other: String,
    },
}

fn find(header: &csv::StringRecord, names: &[&str]) -> Option<usize> {
    header.iter().position(|h| names.contains(&h.trim()))
}

impl Layout {
    /// The dialect and columns of a header row.
    pub fn of(header: &csv::StringRecord, file: &str) -> Result<Layout, BillingError> {
        let (dialect, resource, cost, start) = if find(header, &["line_item_resource_id"]).is_some()
        {
            (
                Dialect::Cur2,
                "line_item_resource_id",
                "line_item_unblended_cost",
                "line_item_usage_start_date",
            )
        } else if find(header, &["lineItem/ResourceId"]).is_some() {
            (
                Dialect::LegacyCur,
                "lineItem/ResourceId",
                "lineItem/UnblendedCost",
                "lineItem/UsageStartDate",
            )
        } else {
            (
                Dialect::Focus,
                "ResourceId",
                "BilledCost",
                "ChargePeriodStart",
            )
        };
        let need = |name: &'static str| {
            find(header, &[name]).ok_or_else(|| BillingError::UnknownLayout {
                file: file.to_string(),
                missing: name,
                found: header.iter().take(12).collect::<Vec<_>>().join(", "),
            })
        };
        let tag = match dialect {
            Dialect::Cur2 => match (
                find(header, &["resource_tags"]),
                find(header, &["resource_tags_user_map_migrated"]),
            ) {
                (_, Some(i)) => TagColumn::Plain(i),
                (Some(i), None) => TagColumn::Map(i),
                (None, None) => TagColumn::Absent,
            },
            Dialect::LegacyCur => find(header, &["resourceTags/user:map-migrated"])
                .map_or(TagColumn::Absent, TagColumn::Plain),
            Dialect::Focus => find(header, &["Tags"]).map_or(TagColumn::Absent, TagColumn::Map),
        };
        Ok(Layout {
            dialect,
            resource: need(resource)?,
            cost: need(cost)?,
            start: need(start)?,
            kind: find(
                header,
                &[
                    "line_item_line_item_type",
                    "lineItem/LineItemType",
                    "ChargeCategory",
                ],
            ),
            tag,
            currency: find(
                header,
                &[
                    "line_item_currency_code",
                    "lineItem/CurrencyCode",
                    "BillingCurrency",
                ],
            ),
        })
    }

    /// Whether the row is spend (usage), not a credit, refund, tax or fee.
    fn is_usage(&self, row: &csv::StringRecord) -> bool {
        let Some(kind) = self.kind.and_then(|i| row.get(i)) else {
            return true;
        };
        match self.dialect {
            Dialect::Focus => kind == "Usage",
            _ => matches!(
                kind,
                "Usage" | "DiscountedUsage" | "SavingsPlanCoveredUsage"
            ),
        }
    }

    fn tag(&self, row: &csv::StringRecord) -> Option<String> {
        let value = match self.tag {
            TagColumn::Plain(i) => row.get(i).map(str::to_string),
            TagColumn::Map(i) => row.get(i).and_then(map_value),
            TagColumn::Absent => None,
        };
        value.filter(|v| !v.is_empty())
    }
}

/// `map-migrated` in a JSON tag object, under any of the names the exports
/// use for it.
fn map_value(json: &str) -> Option<String> {
    if json.trim().is_empty() {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    ["user_map_migrated", "user:map-migrated", "map-migrated"]
        .iter()
        .find_map(|k| v.get(k)?.as_str().map(str::to_string))
}

/// One resource's usage over the period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResourceCost {
    pub cost: f64,
    /// The last `map-migrated` value billed for it.
    pub tag: Option<String>,
}

/// What a run over billing files found.
#[derive(Debug, Default)]
pub struct Costs {
    /// By resource id as billed: an ARN or a bare id (`i-…`, a bucket name).
    pub by_resource: HashMap<String, ResourceCost>,
    pub currency: Option<String>,
    pub rows: u64,
    pub usage_rows: u64,
}

impl Costs {
    /// Add every usage row of one CSV file that starts in [from, to).
    pub fn read_csv(
        &mut self,
        input: impl Read,
        file: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Dialect, BillingError> {
        let csv_error = |source| BillingError::Csv {
            file: file.to_string(),
            source,
        };
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
        let layout = Layout::of(&reader.headers().map_err(csv_error)?.clone(), file)?;
        let mut row = csv::StringRecord::new();
        while reader.read_record(&mut row).map_err(csv_error)? {
            self.rows += 1;
            self.add(&layout, &row, file, from, to)?;
        }
        Ok(layout.dialect)
    }

    fn add(
        &mut self,
        layout: &Layout,
        row: &csv::StringRecord,
        file: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<(), BillingError> {
        let bad = |why: String| BillingError::Row {
            file: file.to_string(),
            line: self.rows + 1,
            why,
        };
        let resource = row.get(layout.resource).unwrap_or("");
        if resource.is_empty() || !layout.is_usage(row) {
            return Ok(());
        }
        let start = row.get(layout.start).unwrap_or("");
        let day: NaiveDate = start
            .get(..10)
            .and_then(|d| d.parse().ok())
            .ok_or_else(|| bad(format!("`{start}` is not a date")))?;
        if day < from || day >= to {
            return Ok(());
        }
        let text = row.get(layout.cost).unwrap_or("");
        let cost: f64 = text
            .trim()
            .parse()
            .map_err(|_| bad(format!("cost `{text}` is not a number")))?;
        if let Some(c) = layout
            .currency
            .and_then(|i| row.get(i))
            .filter(|c| !c.is_empty())
        {
            match &self.currency {
                None => self.currency = Some(c.to_string()),
                Some(first) if first != c => {
                    return Err(BillingError::MixedCurrencies {
                        file: file.to_string(),
                        first: first.clone(),
                        other: c.to_string(),
                    })
                }
                Some(_) => {}
            }
        }
        self.usage_rows += 1;
        let entry = self.by_resource.entry(resource.to_string()).or_default();
        entry.cost += cost;
        if let Some(tag) = layout.tag(row) {
            entry.tag = Some(tag);
        }
        Ok(())
    }

    /// The cost of a resource tagwarden knows by ARN: billed under its ARN,
    /// or under its bare id (the ARN's last part).
    pub fn of(&self, arn: &str) -> Option<&ResourceCost> {
        self.by_resource
            .get(arn)
            .or_else(|| self.by_resource.get(crate::resource::short_id(arn)))
    }
}

#[cfg(test)]
mod tests;
