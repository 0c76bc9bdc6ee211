//! The checks made once with the credentials' own identity: Resource
//! Explorer's organization view, MGN's global view, Cost Explorer and the
//! MAP tags' activation, the billing export, and the event queues.

use super::setup::{explorer, mgn_initialized, mgn_row};
use super::{allow, Context};
use crate::aws::{Quota, Zone};
use futures::future::join_all;
use std::path::Path;
use tagwarden_core::config::{ExplorerScope, MgnScope};
use tagwarden_core::iam::Role;
use tagwarden_core::report::doctor::{Check, CheckKind};

/// Every check of the credentials' own services.
pub(super) async fn check(ctx: &Context<'_>, cost: Option<&Path>) -> Vec<Check> {
    let queues = ctx
        .config
        .daemon
        .events
        .queues_for(tagwarden_core::shard::Shard::default())
        .unwrap_or_default();
    let (explorer, mgn, costs, billing, queues) = futures::join!(
        organization_view(ctx),
        mgn(ctx),
        cost_explorer(ctx),
        billing(ctx, cost),
        join_all(queues.iter().map(|q| super::queues::check(ctx, q))),
    );
    let mut rows: Vec<Check> = explorer.into_iter().chain(mgn).chain(costs).collect();
    rows.extend(billing);
    rows.extend(queues.into_iter().flatten());
    rows
}

/// The organization view, read with the caller's credentials.
async fn organization_view(ctx: &Context<'_>) -> Option<Check> {
    let re = ctx
        .needs
        .explorer
        .filter(|re| re.scope == ExplorerScope::Organization)?;
    let client = ctx.aws.resource_explorer(&re.region);
    Some(explorer(ctx, &client, &ctx.caller, re).await)
}

/// MGN's global view (`inventory.mgn.scope: organization`): read with
/// the caller's credentials in each region.
async fn mgn(ctx: &Context<'_>) -> Vec<Check> {
    let Some(mgn) = ctx.config.inventory.mgn else {
        return Vec::new();
    };
    if mgn.scope != MgnScope::Organization {
        return Vec::new();
    }
    join_all(ctx.regions.iter().map(|region| async move {
        let client = ctx.aws.mgn(region);
        let quota = Quota::Caller(Zone::Region(region));
        let answer = mgn_initialized(&ctx.aws.api, &client, quota).await;
        mgn_row(ctx, &ctx.caller, region, answer)
    }))
    .await
}

/// `map:`: Cost Explorer answers and each MAP key is an active cost
/// allocation tag.
async fn cost_explorer(ctx: &Context<'_>) -> Vec<Check> {
    let map = &ctx.config.map;
    if map.start.is_none() && map.tags.iter().all(|t| t.id.is_none()) {
        return Vec::new();
    }
    let ce = ctx.aws.cost_explorer();
    let today = chrono::Utc::now().date_naive();
    let period = aws_sdk_costexplorer::types::DateInterval::builder()
        .start((today - chrono::Days::new(1)).to_string())
        .end(today.to_string())
        .build()
        .expect("both dates set");
    let quota = Quota::Caller(Zone::Region("us-east-1"));
    let answer = ctx
        .aws
        .api
        .call(quota, "ce:GetCostAndUsage", || {
            ce.get_cost_and_usage()
                .time_period(period.clone())
                .granularity(aws_sdk_costexplorer::types::Granularity::Daily)
                .metrics("UnblendedCost")
                .send()
        })
        .await;
    let mut rows = vec![match answer {
        Ok(_) => Check::ok(CheckKind::CostExplorer, "ce:GetCostAndUsage answers (USD 0.01 a request)"),
        Err(e) if e.code.as_deref() == Some("DataUnavailableException") => Check::fail(
            CheckKind::CostExplorer,
            format!("Cost Explorer has no data: {}", e.message),
            "enable Cost Explorer in the payer account (Billing and Cost Management > Cost Explorer); its data appears within 24 hours",
        ),
        Err(e) => super::refused(ctx, CheckKind::CostExplorer, &ctx.caller, "ce:GetCostAndUsage", &e, Role::Scanner),
    }];
    let keys: Vec<&str> = map.tags.iter().map(|t| t.scheme.key()).collect();
    rows.extend(
        match crate::credits::tag_statuses(ctx.aws, &ce, &keys).await {
            Ok(statuses) => statuses
                .iter()
                .map(|(k, s)| activation(k, s.as_deref()))
                .collect(),
            Err(e) => vec![Check::warn(
                CheckKind::CostAllocationTag,
                format!(
                    "cannot tell whether {} is active: {}",
                    keys.join(" and "),
                    e.message
                ),
                allow(
                    "ce:ListCostAllocationTags",
                    &ctx.who(&ctx.caller),
                    Role::Scanner,
                ),
            )],
        },
    );
    rows
}

/// One MAP key's status as a cost allocation tag.
fn activation(key: &str, status: Option<&str>) -> Check {
    let activate = format!("in the payer account: `aws ce update-cost-allocation-tags-status --cost-allocation-tags-status TagKey={key},Status=Active`");
    let kind = CheckKind::CostAllocationTag;
    match status {
        Some("Active") => Check::ok(kind, format!("{key} is an active cost allocation tag")),
        Some(s) => Check::fail(
            kind,
            format!("{key} is {s}: Cost Explorer and the bills count its spend as untagged"),
            activate,
        ),
        None => Check::warn(
            kind,
            format!("Cost Explorer does not know {key} yet: no billed spend has carried it"),
            format!(
                "once a resource carries it and is billed (up to 24 hours), activate it {activate}"
            ),
        ),
    }
}

/// `--cost`: the billing export a run would read, surveyed (its listing
/// and manifests).
async fn billing(ctx: &Context<'_>, cost: Option<&Path>) -> Option<Check> {
    let path = cost?;
    let shown = path.display();
    let kind = CheckKind::BillingExport;
    Some(match crate::billing::survey(ctx.aws, path, ctx.config.billing).await {
        Ok(s) if s.periods.is_empty() => Check::warn(
            kind,
            format!("{shown}: {} billing files and no manifest: every file is read, so a month delivered twice would be counted twice", s.files),
            "point --cost at the export's own folder or prefix, where AWS writes each delivery's *-Manifest.json",
        ),
        Ok(s) => {
            let periods: Vec<String> = s.periods.iter().map(|p| format!("{} ({})", p.period, p.version)).collect();
            Check::ok(kind, format!("{shown}: {} billing files of {} periods: {}", s.files, periods.len(), periods.join(", ")))
        }
        Err(e) => Check::fail(
            kind,
            e.to_string(),
            format!("point --cost at a billing export (CUR 2.0, legacy CUR or FOCUS: its folder, a file, or s3://bucket/prefix) that {} may read (s3:ListBucket, s3:GetObject)", ctx.caller_arn),
        ),
    })
}
