//! Cost Explorer's side: three `GetCostAndUsage` queries (monthly, over
//! the agreement): all spend by `map-migrated` value and SERVICE; eligible
//! spend by value and LINKED_ACCOUNT; and Credit records. Credits, refunds
//! and taxes are left out of spend by RECORD_TYPE. Then
//! `ListCostAllocationTags` says whether the tag is active.
//!
//! Cost Explorer charges USD 0.01 per request, every page included: a run
//! makes at least 3 (plus one page per ~5,000 groups), and the report says
//! how many it made.

use super::{AnswerCache, Billing, MAP_TAG};
use crate::aws::{Aws, AwsError, Quota, Zone};
use crate::error::{Error, Result};
use aws_sdk_costexplorer::types::{
    DateInterval, Dimension, DimensionValues, Expression, Granularity, GroupDefinition,
    GroupDefinitionType, ResultByTime,
};
use chrono::NaiveDate;
use tagwarden_core::config::MapAgreement;
use tagwarden_core::credits::{Cell, Origin, Received};
use tagwarden_core::report::TagActivation;

const METRIC: &str = "UnblendedCost";

/// Read the agreement's spend from `start` to `end` (exclusive).
pub async fn read(
    aws: &Aws,
    terms: &MapAgreement,
    start: NaiveDate,
    end: NaiveDate,
    cache: &AnswerCache,
) -> Result<Billing> {
    let ce = aws.cost_explorer();
    let period = DateInterval::builder()
        .start(start.to_string())
        .end(end.to_string())
        .build()
        .expect("start and end are set");
    let spend = not_record_types(&["Credit", "Refund", "Tax"]);
    let eligible = Expression::builder()
        .and(spend.clone())
        .and(dimension(Dimension::Service, &terms.eligible_services))
        .build();
    let query = Query {
        aws,
        ce: &ce,
        period: &period,
    };
    // The key names the query, its period and the eligible services.
    let key = |kind: &str| {
        format!(
            "v1|{kind}|{start}|{end}|{}",
            terms.eligible_services.join(",")
        )
    };
    let (by_service, c1) = cache
        .get_or(&key("by_service"), query.cells(&spend, Dimension::Service))
        .await?;
    let (by_account, c2) = cache
        .get_or(
            &key("by_account"),
            query.cells(&eligible, Dimension::LinkedAccount),
        )
        .await?;
    let (received, c3) = cache.get_or(&key("received"), query.received()).await?;
    let (tag_activation, warning) = tag_activation(aws, &ce).await;
    Ok(Billing {
        by_service,
        by_account,
        received,
        tag_activation,
        warnings: warning.into_iter().collect(),
        cached: c1 && c2 && c3,
        origin: Origin::CostExplorer,
    })
}

fn dimension(key: Dimension, values: &[String]) -> Expression {
    Expression::builder()
        .dimensions(
            DimensionValues::builder()
                .key(key)
                .set_values(Some(values.to_vec()))
                .build(),
        )
        .build()
}

fn not_record_types(types: &[&str]) -> Expression {
    let values: Vec<String> = types.iter().map(|t| t.to_string()).collect();
    Expression::builder()
        .not(dimension(Dimension::RecordType, &values))
        .build()
}

struct Query<'a> {
    aws: &'a Aws,
    ce: &'a aws_sdk_costexplorer::Client,
    period: &'a DateInterval,
}

impl Query<'_> {
    /// Every page of one query (Cost Explorer has no paginator for it).
    async fn pages(
        &self,
        filter: &Expression,
        group: Option<Dimension>,
    ) -> Result<Vec<ResultByTime>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut req = self
                .ce
                .get_cost_and_usage()
                .time_period(self.period.clone())
                .granularity(Granularity::Monthly)
                .metrics(METRIC)
                .filter(filter.clone())
                .set_next_page_token(token.clone());
            if let Some(d) = &group {
                req = req
                    .group_by(
                        GroupDefinition::builder()
                            .r#type(GroupDefinitionType::Tag)
                            .key(MAP_TAG)
                            .build(),
                    )
                    .group_by(
                        GroupDefinition::builder()
                            .r#type(GroupDefinitionType::Dimension)
                            .key(d.as_str())
                            .build(),
                    );
            }
            let page = self
                .aws
                .api
                .call(
                    Quota::Caller(Zone::Region("us-east-1")),
                    "ce:GetCostAndUsage",
                    || req.clone().send(),
                )
                .await
                .map_err(read_error)?;
            out.extend(page.results_by_time().iter().cloned());
            match page.next_page_token() {
                Some(t) if Some(t) != token.as_deref() && !t.is_empty() => {
                    token = Some(t.to_string())
                }
                _ => return Ok(out),
            }
        }
    }

    /// Spend by `map-migrated` value and `dimension`, per month.
    async fn cells(&self, filter: &Expression, dimension: Dimension) -> Result<Vec<Cell>> {
        let mut cells = Vec::new();
        for r in self.pages(filter, Some(dimension)).await? {
            let Some(month) = month_of(&r) else { continue };
            for g in r.groups() {
                let keys = g.keys();
                let (Some(tag), Some(key)) = (keys.first(), keys.get(1)) else {
                    continue;
                };
                let Some((amount, currency)) =
                    g.metrics().and_then(|m| m.get(METRIC)).and_then(amount)
                else {
                    continue;
                };
                cells.push(Cell {
                    month,
                    key: key.clone(),
                    tag: tag_value(tag),
                    amount,
                    currency,
                });
            }
        }
        Ok(cells)
    }

    /// Credit records per month (negative amounts).
    async fn received(&self) -> Result<Vec<Received>> {
        let credits = dimension(Dimension::RecordType, &["Credit".to_string()]);
        let mut out = Vec::new();
        for r in self.pages(&credits, None).await? {
            let Some(month) = month_of(&r) else { continue };
            if let Some((amount, currency)) = r.total().and_then(|t| t.get(METRIC)).and_then(amount)
            {
                out.push(Received {
                    month,
                    amount,
                    currency,
                });
            }
        }
        Ok(out)
    }
}

fn read_error(e: AwsError) -> Error {
    Error::Aws {
        what: "cannot read Cost Explorer (the credentials need ce:GetCostAndUsage, in the payer account for the whole organization)".into(),
        source: e,
    }
}

fn month_of(r: &ResultByTime) -> Option<NaiveDate> {
    r.time_period()?.start().parse().ok()
}

/// Cost Explorer's amount, a decimal string, parsed exactly.
fn amount(
    m: &aws_sdk_costexplorer::types::MetricValue,
) -> Option<(tagwarden_core::money::Decimal, String)> {
    let value = tagwarden_core::money::parse(m.amount()?)?;
    Some((value, m.unit().unwrap_or("USD").to_string()))
}

/// `map-migrated$migABCDE12345` → the value; `map-migrated$` → untagged.
fn tag_value(key: &str) -> Option<String> {
    let value = key
        .strip_prefix(MAP_TAG)
        .and_then(|k| k.strip_prefix('$'))
        .unwrap_or(key);
    (!value.is_empty()).then(|| value.to_string())
}

/// Whether `map-migrated` is an active cost allocation tag: without it,
/// Cost Explorer shows all spend as untagged whatever the resources carry.
pub(super) async fn tag_activation(
    aws: &Aws,
    ce: &aws_sdk_costexplorer::Client,
) -> (TagActivation, Option<String>) {
    // One attempt: an answer that fails says "unknown", it is not retried
    // for ever.
    let answer = aws
        .api
        .call(
            Quota::Caller(Zone::Region("us-east-1")),
            "ce:ListCostAllocationTags",
            || ce.list_cost_allocation_tags().tag_keys(MAP_TAG).send(),
        )
        .await;
    match answer {
        Ok(out) => {
            let status = out
                .cost_allocation_tags()
                .iter()
                .find(|t| t.tag_key() == MAP_TAG)
                .map(|t| t.status().as_str().to_string());
            match status.as_deref() {
                Some("Active") => (activation("active", "an active cost allocation tag"), None),
                Some(s) => {
                    let detail = format!("the cost allocation tag is {s}: activate it in the payer account (Billing > Cost allocation tags); until then Cost Explorer counts all spend as untagged");
                    (
                        activation("inactive", &detail),
                        Some(format!("map-migrated is not active: {detail}")),
                    )
                }
                None => {
                    let detail = "Cost Explorer does not know the tag yet: no tagged spend has been billed, or it is not activated";
                    (
                        activation("inactive", detail),
                        Some(format!("map-migrated: {detail}")),
                    )
                }
            }
        }
        Err(e) => {
            let detail = format!("ListCostAllocationTags failed: {e}");
            let warning = format!("cannot tell whether map-migrated is an active cost allocation tag ({e}); if it is not, all spend shows as untagged");
            (activation("unknown", &detail), Some(warning))
        }
    }
}

fn activation(status: &'static str, detail: &str) -> TagActivation {
    TagActivation {
        status,
        detail: detail.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_group_keys() {
        assert_eq!(
            tag_value("map-migrated$migABCDE12345").as_deref(),
            Some("migABCDE12345")
        );
        assert_eq!(tag_value("map-migrated$"), None);
        assert_eq!(tag_value("map-migrated$a$b").as_deref(), Some("a$b"));
    }
}
