//! Which columns hold what, by dialect: found by name, so the same layout
//! serves a CSV header and a Parquet schema.

use super::BillingError;
use crate::policy::map_format::{MapTags, Scheme};

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

/// The names one tag goes by in a bill, best first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagNames {
    /// Keys in a tag map: JSON text in CSV, a MAP column in Parquet (CUR
    /// 2.0 `resource_tags`, FOCUS `Tags`).
    pub map_keys: Vec<String>,
    /// Columns of its own (legacy CUR `resourceTags/user:map-migrated`,
    /// `resource_tags_user_map_migrated` in Parquet and CUR 2.0 queries).
    pub columns: Vec<String>,
}

impl TagNames {
    /// Every name of these tag keys, the first key's names first: the
    /// first key a line carries wins.
    pub fn of(keys: &[impl AsRef<str>]) -> TagNames {
        let mut names = TagNames {
            map_keys: Vec::new(),
            columns: Vec::new(),
        };
        for k in keys {
            let k = k.as_ref();
            // CUR 2.0 and Athena spell `user:map-migrated` `user_map_migrated`.
            let flat: String = k
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            for key in [
                format!("user_{flat}"),
                format!("user_{}", flat.to_ascii_lowercase()),
                format!("user:{k}"),
                k.to_string(),
            ] {
                if !names.map_keys.contains(&key) {
                    names.map_keys.push(key);
                }
            }
            for column in [
                format!("resource_tags_user_{}", flat.to_ascii_lowercase()),
                format!("resourceTags/user:{k}"),
            ] {
                if !names.columns.contains(&column) {
                    names.columns.push(column);
                }
            }
        }
        names
    }

    /// A MAP tag's names.
    pub fn of_scheme(scheme: Scheme) -> &'static TagNames {
        static NAMES: std::sync::LazyLock<[TagNames; 2]> =
            std::sync::LazyLock::new(|| Scheme::ALL.map(|s| TagNames::of(&[s.key()])));
        &NAMES[Scheme::ALL.iter().position(|s| *s == scheme).unwrap_or(0)]
    }
}

/// Where one tag's value is: the first of its own columns with a value,
/// else the tag map.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagColumns {
    pub plain: Vec<usize>,
    pub map: Option<usize>,
}

impl TagColumns {
    fn of(header: &[&str], names: &TagNames) -> TagColumns {
        TagColumns {
            plain: names
                .columns
                .iter()
                .filter_map(|c| find(header, &[c.as_str()]))
                .collect(),
            map: (!names.map_keys.is_empty())
                .then(|| find(header, TAG_MAPS))
                .flatten(),
        }
    }
}

/// The columns a dialect keeps its fields in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub dialect: Dialect,
    pub resource: usize,
    pub cost: usize,
    pub start: usize,
    pub kind: Option<usize>,
    /// The MAP tags (`map.tag`), in the configuration's order: a line is
    /// read under the first it carries.
    pub tags: Vec<(Scheme, TagColumns)>,
    /// The workload tags.
    pub workload: TagColumns,
    pub currency: Option<usize>,
    pub account: Option<usize>,
    pub product: Option<usize>,
    pub product_name: Option<usize>,
    pub usage_type: Option<usize>,
    pub operation: Option<usize>,
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
const OPERATION: &[&str] = &["line_item_operation", "lineItem/Operation", "x_Operation"];
const DESCRIPTION: &[&str] = &[
    "line_item_line_item_description",
    "lineItem/LineItemDescription",
    "ChargeDescription",
];
const TAG_MAPS: &[&str] = &["resource_tags", "Tags"];

fn find(header: &[&str], names: &[&str]) -> Option<usize> {
    header.iter().position(|h| names.contains(&h.trim()))
}

impl Layout {
    /// The column of the tag map, if a MAP tag or a workload is read from it.
    pub fn tag_map(&self) -> Option<usize> {
        self.tags
            .iter()
            .find_map(|(_, c)| c.map)
            .or(self.workload.map)
    }

    /// The dialect and columns of a header row; `map`: the MAP tags;
    /// `workload`: the names of the workload tags.
    pub fn of(
        header: &[&str],
        file: &str,
        map: &MapTags,
        workload: Option<&TagNames>,
    ) -> Result<Layout, BillingError> {
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
        Ok(Layout {
            dialect,
            resource: need(resource)?,
            cost: need(cost)?,
            start: need(start)?,
            kind: find(header, KIND),
            tags: map
                .iter()
                .map(|t| {
                    (
                        t.scheme,
                        TagColumns::of(header, TagNames::of_scheme(t.scheme)),
                    )
                })
                .collect(),
            workload: workload.map_or_else(TagColumns::default, |w| TagColumns::of(header, w)),
            currency: find(header, CURRENCY),
            account: find(header, ACCOUNT),
            product: find(header, PRODUCT),
            product_name: find(header, PRODUCT_NAME),
            usage_type: find(header, USAGE_TYPE),
            operation: find(header, OPERATION),
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
