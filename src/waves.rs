//! `tagwarden waves`: MGN's waves in every account and region to scan,
//! each with its servers by lifecycle state and whether what MGN launches
//! (or launched) for them carries the policies' tags.

use crate::aws::Aws;
use crate::error::{Error, Result};
use crate::inventory::mgn::Want;
use crate::scan::{self, waves, Inventory, Narrowing};
use tagwarden_core::config::Config;
use tagwarden_core::mgn::waves::{rows, Selection, WaveRow};
use tagwarden_core::mgn::{Estate, SOURCE_SERVER};
use tagwarden_core::policy::{Policy, PolicySet};
use tagwarden_core::report::WavesReport;
use tagwarden_core::ScanError;

/// The policies that judge source servers.
fn judging(policies: &PolicySet) -> Vec<Policy> {
    policies
        .policies
        .iter()
        .filter(|p| p.resource_types.iter().any(|t| t == SOURCE_SERVER))
        .cloned()
        .collect()
}

/// The policies that judge source servers, or the usage error without one.
fn judging_some(policies: &PolicySet) -> Result<Vec<Policy>> {
    let judging = judging(policies);
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
    let judging = judging_some(policies)?;
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
    let reading = waves::Reading {
        mgn,
        caller: &caller,
        want: Want {
            waves: &narrow.waves,
            templates: false,
        },
    };
    let estate = waves::estates(aws, config, reading, accounts, &regions, &mut inv).await;
    let selection =
        Selection::of(&estate, &narrow.waves).map_err(|e| Error::usage(e.to_string()))?;
    let (waves, unreadable) = readiness(aws, &inv, &estate, &selection, &judging).await;
    let mut errors = inv.errors;
    errors.extend(unreadable);
    errors.sort();
    Ok(WavesReport { waves, errors })
}

/// The chosen waves' rows, with the instances MGN launched for their
/// servers read back from EC2, and the places where those could not be.
async fn readiness(
    aws: &Aws,
    inv: &Inventory,
    estate: &Estate,
    selection: &Selection,
    judging: &[Policy],
) -> (Vec<WaveRow>, Vec<ScanError>) {
    let servers = selection.servers(estate);
    let (launched, _) = waves::launched(aws, &inv.sessions, &servers, false).await;
    let unreadable = waves::unreadable(&launched).collect();
    (rows(estate, selection, judging, &launched), unreadable)
}

/// A daemon cycle's waves: every wave its scan read (none when MGN is not
/// configured or no policy judges source servers).
pub async fn of_scan(aws: &Aws, policies: &PolicySet, inv: &Inventory) -> Vec<WaveRow> {
    let judging = judging(policies);
    let Some(estate) = inv.mgn.as_ref().filter(|_| !judging.is_empty()) else {
        return Vec::new();
    };
    let every = Selection::every(estate);
    let (rows, unreadable) = readiness(aws, inv, estate, &every, &judging).await;
    for e in unreadable {
        tracing::warn!(error = %e, "the waves' launched instances cannot be read");
    }
    rows
}
