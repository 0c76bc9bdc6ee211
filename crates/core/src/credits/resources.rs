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
    /// Per workload, most at risk first; empty without
    /// `map.workload_tags`.
    pub by_workload: Vec<UncreditedWorkload>,
}

/// The uncredited resources of one workload.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UncreditedWorkload {
    pub workload: String,
    pub resource_count: usize,
    #[serde(serialize_with = "money::serialize")]
    pub spend: Decimal,
    #[serde(serialize_with = "money::serialize")]
    pub credit_at_risk: Decimal,
    /// Its [`PER_WORKLOAD`] most at risk, highest first, whatever their
    /// rank among all.
    pub resources: Vec<AtRisk>,
}

/// Resources listed per workload.
pub const PER_WORKLOAD: usize = 5;

/// The `limit` largest of `all` by amount, largest first (ties by id),
/// without sorting (or copying) the rest.
fn top<T>(mut all: Vec<(Decimal, &str, T)>, limit: usize) -> Vec<(Decimal, &str, T)> {
    let order = |a: &(Decimal, &str, T), b: &(Decimal, &str, T)| b.0.cmp(&a.0).then(a.1.cmp(b.1));
    if limit == 0 {
        return Vec::new();
    }
    if all.len() > limit {
        all.select_nth_unstable_by(limit - 1, order);
        all.truncate(limit);
    }
    all.sort_unstable_by(order);
    all
}

/// The resources of the bill that `keep` keeps and that were tagged late,
/// with their spend before the tag.
fn tagged_late(costs: &Costs, keep: impl Fn(&str) -> bool) -> Vec<(Decimal, &str, &ResourceCost)> {
    costs
        .by_resource
        .iter()
        .filter(|(id, _)| keep(id))
        .map(|(id, r)| (r.spend_before_tag(), id.as_str(), &**r))
        .filter(|(spend, _, _)| *spend > Decimal::ZERO)
        .collect()
}

/// The costliest (at most [`LIST_LIMIT`]) of those records, costliest first.
fn late_records(all: Vec<(Decimal, &str, &ResourceCost)>, rate: Decimal) -> Vec<LateResource> {
    top(all, LIST_LIMIT)
        .into_iter()
        .filter_map(|(spend, id, r)| late(id, r, spend, rate))
        .collect()
}

/// The resources `keep` keeps (those a scan listed) that were tagged late,
/// costliest first, at most [`LIST_LIMIT`].
pub fn late_among(costs: &Costs, rate: Decimal, keep: impl Fn(&str) -> bool) -> Vec<LateResource> {
    late_records(tagged_late(costs, keep), rate)
}

/// Late tagging over every resource of the bill.
pub fn late_tagging(costs: &Costs, rate: Decimal) -> LateTagging {
    let all = tagged_late(costs, |_| true);
    let spend: Decimal = all.iter().map(|(s, _, _)| s).sum();
    let mut workloads: BTreeMap<&str, LateWorkload> = BTreeMap::new();
    for (s, _, r) in &all {
        let Some(w) = r.workload.as_deref() else {
            continue;
        };
        let e = workloads.entry(w).or_insert_with(|| LateWorkload {
            workload: w.to_string(),
            resources: 0,
            spend: Decimal::ZERO,
            credit_forfeited: Decimal::ZERO,
        });
        e.resources += 1;
        e.spend += *s;
        e.credit_forfeited += rate * *s;
    }
    let mut by_workload: Vec<LateWorkload> = workloads.into_values().collect();
    by_workload.sort_by_key(|w| std::cmp::Reverse(w.spend));
    let resource_count = all.len();
    let resources = late_records(all, rate);
    LateTagging {
        spend,
        credit_forfeited: rate * spend,
        resource_count,
        resources,
        by_workload,
        method: format!(
            "for each resource that carries this agreement's map-migrated value on some line in the agreement, its eligible spend on lines without it, up to and including the day of the first line with it; credit forfeited is map.credit_rate ({}) × that spend, as if min_migrated_spend were already crossed",
            rate.normalize()
        ),
    }
}

/// A late resource's record; `spend`: its spend before the tag.
fn late(id: &str, r: &ResourceCost, spend: Decimal, rate: Decimal) -> Option<LateResource> {
    Some(LateResource {
        resource: id.to_string(),
        account: r.account.to_string(),
        service: r.main_service().to_string(),
        workload: r.workload.as_deref().map(str::to_string),
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
    let all: Vec<(Decimal, &str, &ResourceCost)> = costs
        .by_resource
        .iter()
        .filter(|(_, r)| r.tagged_from.is_none() && r.uncredited > Decimal::ZERO)
        .map(|(id, r)| (r.uncredited, id.as_str(), &**r))
        .collect();
    let spend: Decimal = all.iter().map(|(s, _, _)| s).sum();
    let not_seen = seen.map(|f| all.iter().filter(|(_, id, _)| !f(id)).count());
    let at_risk = |(spend, id, r): (Decimal, &str, &ResourceCost)| AtRisk {
        resource: id.to_string(),
        account: r.account.to_string(),
        service: r.main_service().to_string(),
        workload: r.workload.as_deref().map(str::to_string),
        value: r.tag.as_deref().map(str::to_string),
        spend,
        credit_at_risk: rate * spend,
        seen_by_scan: seen.map(|f| f(id)),
    };
    let mut workloads: BTreeMap<&str, Vec<(Decimal, &str, &ResourceCost)>> = BTreeMap::new();
    for row in &all {
        if let Some(w) = row.2.workload.as_deref() {
            workloads.entry(w).or_default().push(*row);
        }
    }
    let mut by_workload: Vec<UncreditedWorkload> = workloads
        .into_iter()
        .map(|(workload, rows)| {
            let spend: Decimal = rows.iter().map(|(s, _, _)| s).sum();
            UncreditedWorkload {
                workload: workload.to_string(),
                resource_count: rows.len(),
                spend,
                credit_at_risk: rate * spend,
                resources: top(rows, PER_WORKLOAD).into_iter().map(at_risk).collect(),
            }
        })
        .collect();
    by_workload.sort_by_key(|w| std::cmp::Reverse(w.spend));
    Uncredited {
        resource_count: all.len(),
        spend,
        credit_at_risk: rate * spend,
        not_seen_by_scan: not_seen,
        resources: top(all, LIST_LIMIT).into_iter().map(at_risk).collect(),
        by_workload,
    }
}
