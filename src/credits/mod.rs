//! `tagwarden credits`: the MAP money view, from Cost Explorer
//! ([`cost_explorer`]) or from a billing export ([`export`]); the
//! arithmetic is `tagwarden_core::credits` either way.

mod cost_explorer;
pub(crate) use cost_explorer::tag_statuses;
mod export;
mod filters;

use crate::aws::Aws;
use crate::error::Result;
use crate::store::{blocking, Store};
use chrono::NaiveDate;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::BTreeSet;
use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;
use tagwarden_core::billing::Costs;
use tagwarden_core::config::{Config, MapAgreement};
use tagwarden_core::credits::resources::{self, LateTagging, Uncredited};
use tagwarden_core::credits::{compute, periods, Cell, Input, Origin, Received};
use tagwarden_core::report::credits::Agreement;
use tagwarden_core::report::{CreditsReport, Source, TagActivation};

/// Where the spend is read from.
pub enum SpendSource<'a> {
    /// Cost Explorer, through the store's answer cache.
    CostExplorer(&'a AnswerCache),
    /// A billing export, read.
    Export(&'a Costs),
}

/// The spend as Cost Explorer groups it, ready for `credits::compute`.
pub struct Billing {
    pub by_service: Vec<Cell>,
    pub by_account: Vec<Cell>,
    pub by_workload: Vec<Cell>,
    pub received: Vec<Received>,
    pub tag_activation: TagActivation,
    pub warnings: Vec<String>,
    /// Every answer came from the store's cache.
    pub cached: bool,
    pub origin: Origin,
    /// What the source could not apply of the eligibility, in words.
    pub assumptions: Vec<String>,
}

/// Cost Explorer answers kept in the state store: each request costs USD
/// 0.01, and a report re-run within the hour should not pay twice.
pub struct AnswerCache {
    pub store: PathBuf,
    /// None: always ask.
    pub max_age: Option<Duration>,
}

impl AnswerCache {
    /// The configuration's store and `map.cost_explorer_cache`; `fresh`
    /// asks Cost Explorer again.
    pub fn of(config: &Config, fresh: bool) -> AnswerCache {
        AnswerCache {
            store: config.store.clone(),
            max_age: config.map.cost_explorer_cache.filter(|_| !fresh),
        }
    }

    /// The answer stored under `key`, or `fetch`ed and stored; and whether
    /// it came from the store.
    pub(super) async fn get_or<T, F>(&self, key: &str, fetch: F) -> Result<(T, bool)>
    where
        T: Serialize + DeserializeOwned,
        F: Future<Output = Result<T>>,
    {
        if let Some(max_age) = self.max_age {
            let stored = blocking(|| Store::open(&self.store)?.cached_answer(key, max_age))?;
            if let Some(answer) = stored.and_then(|text| serde_json::from_str(&text).ok()) {
                return Ok((answer, true));
            }
        }
        let answer = fetch.await?;
        if self.max_age.is_some() {
            let text = serde_json::to_string(&answer).expect("answers serialize");
            blocking(|| Store::open(&self.store)?.cache_answer(key, &text))?;
        }
        Ok((answer, false))
    }
}

/// What of the view is asked for, beyond the agreement.
#[derive(Debug, Clone, Copy, Default)]
pub struct View<'a> {
    /// `--workload NAME`: only this workload's spend.
    pub workload: Option<&'a str>,
    /// The ids a scan listed (ARNs and bare ids), to say which uncredited
    /// resources of a bill it saw; None: nothing was scanned.
    pub scanned: Option<&'a BTreeSet<String>>,
}

/// From a bill: late tagging, and the uncredited resources (whether the
/// scan saw them, when there was one). Cost Explorer cannot tell.
fn by_resource(
    terms: &MapAgreement,
    source: &SpendSource<'_>,
    view: View<'_>,
) -> (Option<LateTagging>, Option<Uncredited>) {
    let SpendSource::Export(costs) = source else {
        return (None, None);
    };
    let seen = view.scanned.map(|ids| move |id: &str| ids.contains(id));
    let seen: Option<&dyn Fn(&str) -> bool> = seen.as_ref().map(|f| f as _);
    (
        Some(resources::late_tagging(costs, terms.credit_rate)),
        Some(resources::uncredited(costs, terms.credit_rate, seen)),
    )
}

/// The whole view as of `today`: read (or reuse), compute, and describe
/// the source.
pub async fn report(
    aws: &Aws,
    terms: &MapAgreement,
    today: NaiveDate,
    source: &SpendSource<'_>,
    view: View<'_>,
) -> Result<CreditsReport> {
    let w = periods::window(terms.start, terms.end, today)?;
    let billing = match source {
        SpendSource::CostExplorer(cache) => {
            // Cost Explorer refuses a start older than it keeps: ask from there.
            let asked = cost_explorer::Asked {
                start: w.query_start,
                end: w.end,
                workload: view.workload,
            };
            let mut billing = cost_explorer::read(aws, terms, asked, cache).await?;
            if w.beyond_history {
                billing.warnings.push(format!(
                    "Cost Explorer keeps 13 months before the current one: spend before {} is not available and reads as zero (a billing export has it: --cost)",
                    w.query_start
                ));
            }
            billing
        }
        SpendSource::Export(costs) => export::read(aws, terms, costs).await,
    };
    let input = Input {
        terms,
        months: periods::months(w.start, w.end),
        agreement_start: w.start,
        agreement_end: w.agreement_end,
        complete_before: w.complete_before,
        by_service: billing.by_service,
        by_account: billing.by_account,
        by_workload: billing.by_workload,
        received: billing.received,
        origin: billing.origin,
        source_assumptions: billing.assumptions,
    };
    let credits = compute(&input)?;
    let (late_tagging, uncredited_resources) = by_resource(terms, source, view);
    let requests = aws
        .api
        .calls()
        .get("ce:GetCostAndUsage")
        .copied()
        .unwrap_or(0);
    Ok(CreditsReport {
        agreement: Agreement::new(terms, w.start, w.agreement_end),
        source: Source {
            kind: match billing.origin {
                Origin::CostExplorer => "cost_explorer",
                Origin::BillingExport => "billing_export",
            },
            api_requests: requests,
            // USD 0.01 a request.
            api_cost_usd: tagwarden_core::money::Decimal::new(
                i64::try_from(requests).unwrap_or(i64::MAX),
                2,
            ),
            cached: billing.cached,
            billing_periods: match source {
                SpendSource::Export(costs) => costs.billing_periods.clone(),
                SpendSource::CostExplorer(_) => Vec::new(),
            },
            eligible_list: tagwarden_core::credits::eligibility::list_used(
                &terms.eligible_services,
            ),
        },
        tag_activation: billing.tag_activation,
        workload: view.workload.map(str::to_string),
        credits,
        late_tagging,
        uncredited_resources,
        warnings: billing.warnings,
        by: None,
    })
}
