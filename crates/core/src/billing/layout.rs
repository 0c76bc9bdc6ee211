//! Which columns hold what, by dialect: found by name, so the same layout
//! serves a CSV header and a Parquet schema.

use super::BillingError;

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
pub enum TagColumn {
    /// Its own column (legacy CUR `resourceTags/user:map-migrated`, or
    /// `resource_tags_user_map_migrated` in Parquet and CUR 2.0 queries).
    Plain(usize),
    /// A tag map: JSON text in CSV, a MAP column in Parquet (CUR 2.0
    /// `resource_tags`, FOCUS `Tags`).
    Map(usize),
    Absent,
}

/// The columns a dialect keeps its fields in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    pub dialect: Dialect,
    pub resource: usize,
    pub cost: usize,
    pub start: usize,
    pub kind: Option<usize>,
    pub tag: TagColumn,
    pub currency: Option<usize>,
    pub account: Option<usize>,
    pub product: Option<usize>,
    pub product_name: Option<usize>,
    pub usage_type: Option<usize>,
    pub description: Option<usize>,
}

/// The names a field goes by: CUR 2.0 (and legacy CUR in Parquet), legacy
/// CUR in CSV, FOCUS (with AWS's `x_` columns).
const KIND: &[&str] = &[
    "line_item_line_item_type",
    "lineItem/LineItemType",
    "ChargeCategory",
];
const CURRENCY: &[&str] = &[
    "line_item_currency_code",
    "lineItem/CurrencyCode",
    "BillingCurrency",
];
const ACCOUNT: &[&str] = &[
    "line_item_usage_account_id",
    "lineItem/UsageAccountId",
    "SubAccountId",
];
const PRODUCT: &[&str] = &[
    "line_item_product_code",
    "lineItem/ProductCode",
    "x_ServiceCode",
];
const PRODUCT_NAME: &[&str] = &["product_product_name", "product/ProductName", "ServiceName"];
const USAGE_TYPE: &[&str] = &["line_item_usage_type", "lineItem/UsageType", "x_UsageType"];
const DESCRIPTION: &[&str] = &[
    "line_item_line_item_description",
    "lineItem/LineItemDescription",
    "ChargeDescription",
];
const TAG_MAPS: &[&str] = &["resource_tags", "Tags"];
const TAG_COLUMNS: &[&str] = &[
    "resource_tags_user_map_migrated",
    "resourceTags/user:map-migrated",
];

fn find(header: &[&str], names: &[&str]) -> Option<usize> {
    header.iter().position(|h| names.contains(&h.trim()))
}

impl Layout {
    /// The dialect and columns of a header row.
    pub fn of(header: &[&str], file: &str) -> Result<Layout, BillingError> {
        let dialect = [Dialect::Cur2, Dialect::LegacyCur]
            .into_iter()
            .find(|d| find(header, &[d.columns()[0]]).is_some())
            .unwrap_or(Dialect::Focus);
        let need = |name: &'static str| {
            find(header, &[name]).ok_or_else(|| BillingError::UnknownLayout {
                file: file.to_string(),
                missing: name,
                found: header
                    .iter()
                    .take(12)
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", "),
            })
        };
        let [resource, cost, start] = dialect.columns();
        let tag = match (find(header, TAG_COLUMNS), find(header, TAG_MAPS)) {
            (Some(i), _) => TagColumn::Plain(i),
            (None, Some(i)) => TagColumn::Map(i),
            (None, None) => TagColumn::Absent,
        };
        Ok(Layout {
            dialect,
            resource: need(resource)?,
            cost: need(cost)?,
            start: need(start)?,
            kind: find(header, KIND),
            tag,
            currency: find(header, CURRENCY),
            account: find(header, ACCOUNT),
            product: find(header, PRODUCT),
            product_name: find(header, PRODUCT_NAME),
            usage_type: find(header, USAGE_TYPE),
            description: find(header, DESCRIPTION),
        })
    }
}

impl Dialect {
    /// The resource, cost and start columns each dialect must have.
    fn columns(self) -> [&'static str; 3] {
        match self {
            Dialect::Cur2 => [
                "line_item_resource_id",
                "line_item_unblended_cost",
                "line_item_usage_start_date",
            ],
            Dialect::LegacyCur => [
                "lineItem/ResourceId",
                "lineItem/UnblendedCost",
                "lineItem/UsageStartDate",
            ],
            Dialect::Focus => ["ResourceId", "BilledCost", "ChargePeriodStart"],
        }
    }
}
