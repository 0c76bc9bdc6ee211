//! `tagwarden waves`: MGN's waves in every account and region to scan,
//! each with its servers by lifecycle state and whether what MGN launches
//! (or launched) for them carries the policies' tags.

use crate::aws::Aws;
use crate::error::{Error, Result};
use crate::scan::{self, waves, Inventory, Narrowing};
use tagwarden_core::config::Config;
use tagwarden_core::mgn::waves::{rows, Selection};
use tagwarden_core::mgn::SOURCE_SERVER;
use tagwarden_core::policy::{Policy, PolicySet};
use tagwarden_core::report::WavesReport;

/// The policies that judge source servers, or the usage error without one.
fn judging(policies: &PolicySet) -> Result<Vec<Policy>> {
    let judging: Vec<Policy> = policies
        .policies
        .iter()
        .filter(|p| p.resource_types.iter().any(|t| t == SOURCE_SERVER))
        .cloned()
        .collect();
    if judging.is_empty() {
        return Err(Error::usage(format!("no policy names `{SOURCE_SERVER}`, so no server's readiness can be judged: add it to the MAP policy's `resources` (the shipped policies/map-migrated.yaml has it)")));
    }
    Ok(judging)
}

pub async fn waves(
    aws: &Aws,
    config: &Config,
    policies: &PolicySet,
    narrow: &Narrowing,
) -> Result<WavesReport> {
    let judging = judging(policies)?;
    let mgn = waves::configured(config)?;
    scan::check_narrowing(config, narrow)?;
    let regions = scan::regions(config, &aws.default_region(), &narrow.regions)?;
    let mut inv = Inventory::default();
    let caller = match scan::caller(aws).await {
        Ok(c) => c,
        Err(e) => {
            return Ok(WavesReport {
                waves: Vec::new(),
                errors: vec![e],
            })
        }
    };
    let accounts = scan::accounts(aws, config, narrow, &caller, &mut inv).await;
    let estate = waves::estates(aws, config, mgn, &caller, accounts, &regions, &mut inv).await;
    let selection =
        Selection::of(&estate, &narrow.waves).map_err(|e| Error::usage(e.to_string()))?;
    let servers = selection.servers(&estate);
    let (launched, _) = waves::launched(aws, &inv.sessions, &servers, false).await;
    let mut errors = inv.errors;
    errors.extend(waves::unreadable(&launched));
    errors.sort();
    Ok(WavesReport {
        waves: rows(&estate, &selection, &judging, &launched),
        errors,
    })
}
