//! The money view resource by resource, from a bill (`--cost`): credit
//! lost for good to late tagging, and the resources whose eligible spend
//! earns nothing, ranked, whether or not a scan listed them. The bill is
//! the truth about spend; the scan adds what can be fixed.

use crate::billing::{Costs, ResourceCost};
use crate::money::{self, Decimal};
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeMap;

/// The longest list of resources a report carries; the sums cover all.
pub const LIST_LIMIT: usize = 1000;

/// A resource that spent eligible money before it carried this
/// agreement's MAP value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LateResource {
    /// As billed: an ARN or a bare id.
    pub resource: String,
    pub account: String,
    pub service: String,
    pub workload: Option<String>,
    /// Its first day of eligible spend in the agreement.
    pub first_spend: NaiveDate,
    /// The first day the bill shows this agreement's value on it.
    pub tagged_from: NaiveDate,
    #[serde(serialize_with = "money::serialize")]
    pub spend_before_tag: Decimal,
    #[serde(serialize_with = "money::serialize")]
    pub credit_forfeited: Decimal,
}

/// Late tagging of one workload.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LateWorkload {
    pub workload: String,
    pub resources: usize,
    #[serde(serialize_with = "money::serialize")]
    pub spend: Decimal,
    #[serde(serialize_with = "money::serialize")]
    pub credit_forfeited: Decimal,
}

/// Credit lost for good because resources were tagged after they spent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LateTagging {
    /// Eligible spend before the tag, over every late resource.
    #[serde(serialize_with = "money::serialize")]
    pub spend: Decimal,
    /// `credit_rate` × that spend.
    #[serde(serialize_with = "money::serialize")]
    pub credit_forfeited: Decimal,
    /// How many resources were tagged late (the list holds at most
    /// [`LIST_LIMIT`]).
    pub resource_count: usize,
    /// Costliest first.
    pub resources: Vec<LateResource>,
    /// Costliest first; empty without `map.workload_tags`.
    pub by_workload: Vec<LateWorkload>,
    /// How the figures are computed, in words.
    pub method: String,
}

/// A resource whose eligible spend earned nothing: it never carried this
/// agreement's value in the agreement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AtRisk {
    pub resource: String,
    pub account: String,
    pub service: String,
    pub workload: Option<String>,
    /// The `map-migrated` value billed on it, if any (mis-tagged).
    pub value: Option<String>,
    /// Eligible spend in the agreement so far.
    #[serde(serialize_with = "money::serialize")]
    pub spend: Decimal,
    /// `credit_rate` × that spend: what tagging it would have earned, and
    /// what the same spend earns from now on once it is tagged.
    #[serde(serialize_with = "money::serialize")]
    pub credit_at_risk: Decimal,
    /// Whether the scan listed it; None when nothing was scanned
    /// (`credits`). False: a type tagwarden does not discover, an account
    /// not configured, or a resource deleted since.
    pub seen_by_scan: Option<bool>,
}

/// Every resource the bill shows spending eligible money uncredited.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Uncredited {
    pub resource_count: usize,
    #[serde(serialize_with = "money::serialize")]
    pub spend: Decimal,
    #[serde(serialize_with = "money::serialize")]
    pub credit_at_risk: Decimal,
    /// Of them, how many the scan did not list (None: nothing scanned).
    pub not_seen_by_scan: Option<usize>,
    /// By credit at risk, highest first.
    pub resources: Vec<AtRisk>,
}

/// Late tagging over every resource of the bill.
pub fn late_tagging(costs: &Costs, rate: Decimal) -> LateTagging {
    let mut all: Vec<LateResource> = costs
        .by_resource
        .iter()
        .filter_map(|(id, r)| late(id, r, rate))
        .collect();
    all.sort_by(|a, b| {
        b.spend_before_tag
            .cmp(&a.spend_before_tag)
            .then_with(|| a.resource.cmp(&b.resource))
    });
    let spend: Decimal = all.iter().map(|r| r.spend_before_tag).sum();
    let mut workloads: BTreeMap<&str, LateWorkload> = BTreeMap::new();
    for r in all.iter().filter(|r| r.workload.is_some()) {
        let w = r.workload.as_deref().unwrap_or_default();
        let e = workloads.entry(w).or_insert_with(|| LateWorkload {
            workload: w.to_string(),
            resources: 0,
            spend: Decimal::ZERO,
            credit_forfeited: Decimal::ZERO,
        });
        e.resources += 1;
        e.spend += r.spend_before_tag;
        e.credit_forfeited += r.credit_forfeited;
    }
    let mut by_workload: Vec<LateWorkload> = workloads.into_values().collect();
    by_workload.sort_by_key(|w| std::cmp::Reverse(w.spend));
    let resource_count = all.len();
    all.truncate(LIST_LIMIT);
    LateTagging {
        spend,
        credit_forfeited: rate * spend,
        resource_count,
        resources: all,
        by_workload,
        method: format!(
            "for each resource that carries this agreement's map-migrated value on some line in the agreement, its eligible spend on lines without it, up to and including the day of the first line with it; credit forfeited is map.credit_rate ({}) × that spend, as if min_migrated_spend were already crossed",
            rate.normalize()
        ),
    }
}

fn late(id: &str, r: &ResourceCost, rate: Decimal) -> Option<LateResource> {
    let spend = r.spend_before_tag();
    if spend <= Decimal::ZERO {
        return None;
    }
    Some(LateResource {
        resource: id.to_string(),
        account: r.account.clone(),
        service: r.main_service().to_string(),
        workload: r.workload.clone(),
        first_spend: r.first_spend?,
        tagged_from: r.tagged_from?,
        spend_before_tag: spend,
        credit_forfeited: rate * spend,
    })
}

/// Resources with eligible spend in the agreement that never carried its
/// value there, ranked by credit at risk. `seen`: whether a scan listed a
/// billed id (None: no scan).
pub fn uncredited(costs: &Costs, rate: Decimal, seen: Option<&dyn Fn(&str) -> bool>) -> Uncredited {
    let mut all: Vec<AtRisk> = costs
        .by_resource
        .iter()
        .filter(|(_, r)| r.tagged_from.is_none() && r.uncredited > Decimal::ZERO)
        .map(|(id, r)| AtRisk {
            resource: id.clone(),
            account: r.account.clone(),
            service: r.main_service().to_string(),
            workload: r.workload.clone(),
            value: r.tag.clone(),
            spend: r.uncredited,
            credit_at_risk: rate * r.uncredited,
            seen_by_scan: seen.map(|f| f(id)),
        })
        .collect();
    all.sort_by(|a, b| {
        b.credit_at_risk
            .cmp(&a.credit_at_risk)
            .then_with(|| a.resource.cmp(&b.resource))
    });
    let spend: Decimal = all.iter().map(|r| r.spend).sum();
    let not_seen = seen.map(|_| all.iter().filter(|r| r.seen_by_scan == Some(false)).count());
    let resource_count = all.len();
    all.truncate(LIST_LIMIT);
    Uncredited {
        resource_count,
        spend,
        credit_at_risk: rate * spend,
        not_seen_by_scan: not_seen,
        resources: all,
    }
}
