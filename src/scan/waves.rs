//! Migration waves across accounts: MGN read in every account and region
//! to scan (through each account's role, or MGN's global view), the waves
//! `--wave` names, and the EC2 instances MGN launched for their servers
//! (with their volumes), read back from EC2.

use super::{open_session, Inventory};
use crate::aws::{AccountSession, Aws, AwsError};
use crate::error::{Error, Result};
use crate::inventory::mgn::{Reader, Want};
use crate::inventory::{ec2, TypeSet};
use futures::future::join_all;
use futures::stream::{self, StreamExt};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use tagwarden_core::config::{Config, Mgn, MgnScope};
use tagwarden_core::mgn::readiness::Launched;
use tagwarden_core::mgn::waves::Selection;
use tagwarden_core::mgn::{Estate, Place, SourceServer, LAUNCH_TEMPLATE, SOURCE_SERVER};
use tagwarden_core::{Resource, ScanError};

/// EC2 filters take at most 200 values.
const IDS_PER_CALL: usize = 200;

/// `inventory.mgn`, or the usage error a wave command gets without it.
pub fn configured(config: &Config) -> Result<Mgn> {
    config.inventory.mgn.ok_or_else(|| {
        Error::usage("waves come from AWS Application Migration Service, which is not configured: add `inventory: {mgn: {}}` to the configuration (docs/cli.md, \"inventory.mgn\")")
    })
}

/// How a scan reads MGN: `inventory.mgn`, the credentials' own account
/// (MGN's global view is read from it), and what to read.
#[derive(Debug, Clone, Copy)]
pub struct Reading<'a> {
    pub mgn: Mgn,
    pub caller: &'a str,
    pub want: Want<'a>,
}

/// Per region, the accounts MGN's global view manages (empty with `scope:
/// account`).
pub type Managed = HashMap<String, Result<BTreeSet<String>, AwsError>>;

/// MGN of one account, in every region: an error per region that could
/// not be read, naming the account, region and MGN action.
pub async fn account_estate(
    aws: &Aws,
    reading: Reading<'_>,
    managed: &Managed,
    session: &AccountSession,
    regions: &[String],
) -> (Estate, Vec<ScanError>) {
    let account = session.account.as_str();
    let caller = reading.caller;
    let global = reading.mgn.scope == MgnScope::Organization && account != caller;
    let reads = regions.iter().map(|region| async move {
        if global {
            match managed.get(region) {
                Some(Ok(ids)) if !ids.contains(account) => {
                    return Err(format!("MGN's global view in {caller} does not manage account {account}: add it as a managed account, or read it through its role (`inventory.mgn.scope: account`)"));
                }
                Some(Err(e)) => return Err(format!("MGN's global view cannot be read: {e}")),
                _ => {}
            }
        }
        let reader = Reader {
            api: &aws.api,
            client: if global { aws.mgn(region) } else { session.mgn(region) },
            ec2: Some(session.ec2(region)),
            place: Place {
                account: account.to_string(),
                region: region.clone(),
            },
            via_global_view: global,
        };
        reader.estate(reading.want).await.map_err(|e| {
            let role = if global { "the credentials" } else { "the role" };
            format!("cannot read MGN: {e} (grant {role} the MGN read actions: `tagwarden policy iam`)")
        })
    });
    let mut estate = Estate::default();
    let mut errors = Vec::new();
    for (region, read) in regions.iter().zip(join_all(reads).await) {
        match read {
            Ok(e) => estate.extend(e),
            Err(message) => {
                tracing::warn!(account, region, error = %message, "cannot read MGN");
                errors.push(ScanError::region(account, region, message));
            }
        }
    }
    (estate, errors)
}

/// MGN's global view: the accounts it manages, per region (read once).
pub async fn managed_accounts(aws: &Aws, mgn: Mgn, regions: &[String]) -> Managed {
    if mgn.scope != MgnScope::Organization {
        return HashMap::new();
    }
    let reads = regions.iter().map(|region| async move {
        let client = aws.mgn(region);
        let ids = crate::inventory::mgn::managed_accounts(&aws.api, &client, region).await;
        (region.clone(), ids.map(|ids| ids.into_iter().collect()))
    });
    join_all(reads).await.into_iter().collect()
}

/// MGN in every account of `accounts` (sessions opened, at most
/// `limits.concurrent_accounts` at once): the sessions, and the estate
/// with the errors, added to `inv`.
pub async fn estates(
    aws: &Aws,
    config: &Config,
    reading: Reading<'_>,
    accounts: BTreeSet<String>,
    regions: &[String],
    inv: &mut Inventory,
) -> Estate {
    let managed = managed_accounts(aws, reading.mgn, regions).await;
    let managed = &managed;
    let read: Vec<_> = stream::iter(accounts)
        .map(|account| async move {
            match open_session(aws, config, reading.caller, &account).await {
                Ok(session) => {
                    let (estate, errors) =
                        account_estate(aws, reading, managed, &session, regions).await;
                    (Some(session), estate, errors)
                }
                Err(e) => (None, Estate::default(), vec![e]),
            }
        })
        .buffer_unordered(config.concurrent_accounts)
        .collect()
        .await;
    let mut all = Estate::default();
    for (session, estate, errors) in read {
        if let Some(s) = session {
            inv.sessions.insert(s.account.clone(), s);
        }
        all.extend(estate);
        inv.errors.extend(errors);
    }
    all
}

/// The EC2 instances MGN launched for `servers`, read from EC2 (those no
/// longer there are absent), with their volumes when `volumes`.
pub async fn launched(
    aws: &Aws,
    sessions: &HashMap<String, AccountSession>,
    servers: &[&SourceServer],
    volumes: bool,
) -> (Launched, Vec<Resource>) {
    let mut by_place: BTreeMap<Place, Vec<String>> = BTreeMap::new();
    for s in servers {
        if let Some(id) = &s.launched_instance {
            by_place
                .entry(s.place.clone())
                .or_default()
                .push(id.clone());
        }
    }
    let reads = by_place.into_iter().map(|(place, ids)| async move {
        let Some(session) = sessions.get(&place.account) else {
            return (
                place,
                Err(AwsError {
                    operation: "sts:AssumeRole",
                    code: None,
                    message: "no session in the account".into(),
                }),
            );
        };
        let read = instances_and_volumes(aws, session, &place, &ids, volumes).await;
        (place, read)
    });
    let mut out = Launched::default();
    let mut volumes_found = Vec::new();
    for (place, read) in join_all(reads).await {
        match read {
            Ok((instances, vols)) => {
                out.instances
                    .extend(instances.into_iter().map(|r| (r.arn.id().to_string(), r)));
                volumes_found.extend(vols);
            }
            Err(e) => {
                out.unreadable.insert(place, e.to_string());
            }
        }
    }
    (out, volumes_found)
}

async fn instances_and_volumes(
    aws: &Aws,
    session: &AccountSession,
    place: &Place,
    ids: &[String],
    volumes: bool,
) -> std::result::Result<(Vec<Resource>, Vec<Resource>), AwsError> {
    let client = session.ec2(&place.region);
    let (account, region) = (place.account.as_str(), place.region.as_str());
    let mut instances = Vec::new();
    let mut vols = Vec::new();
    for chunk in ids.chunks(IDS_PER_CALL) {
        instances.extend(ec2::instances(&aws.api, &client, account, region, chunk).await?);
        if volumes {
            vols.extend(ec2::volumes_of(&aws.api, &client, account, region, chunk).await?);
        }
    }
    Ok((instances, vols))
}

/// `--wave`: the chosen waves' servers not yet cut over (as resources of
/// type `mgn:source-server`), the instances MGN launched for them and
/// their volumes; nothing else of the estate.
#[allow(clippy::too_many_arguments)]
pub async fn scan_waves(
    aws: &Aws,
    config: &Config,
    types: &TypeSet,
    waves: &[String],
    caller: &str,
    accounts: BTreeSet<String>,
    regions: &[String],
    inv: &mut Inventory,
) -> Result<()> {
    let reading = Reading {
        mgn: configured(config)?,
        caller,
        want: Want {
            waves,
            templates: false,
        },
    };
    let estate = estates(aws, config, reading, accounts, regions, inv).await;
    let selection = Selection::of(&estate, waves).map_err(|e| Error::usage(e.to_string()))?;
    let servers = selection.servers(&estate);
    let (launched, volumes) = launched(aws, &inv.sessions, &servers, types.has("ec2:volume")).await;
    if types.has(SOURCE_SERVER) {
        inv.resources.extend(not_cut_over(servers));
    }
    inv.errors.extend(unreadable(&launched));
    if types.has("ec2:instance") {
        inv.resources.extend(launched.instances.into_values());
    }
    inv.resources.extend(volumes);
    Ok(())
}

/// The places whose launched instances could not be read, as scan errors.
pub fn unreadable(launched: &Launched) -> impl Iterator<Item = ScanError> + '_ {
    launched.unreadable.iter().map(|(p, why)| {
        ScanError::region(
            &p.account,
            &p.region,
            format!("cannot read the instances MGN launched: {why}"),
        )
    })
}

/// Servers MGN may still launch, as resources of type `mgn:source-server`
/// (a cut-over server is judged by its instance alone).
fn not_cut_over<'a>(servers: impl IntoIterator<Item = &'a SourceServer>) -> Vec<Resource> {
    servers
        .into_iter()
        .filter(|s| !s.state.is_done())
        .map(SourceServer::resource)
        .collect()
}

/// The MGN resources of a whole scan: every unarchived server not yet
/// cut over, and the launch configuration templates, as the policies'
/// types ask.
pub fn resources(estate: &Estate, types: &TypeSet) -> Vec<Resource> {
    let mut out = Vec::new();
    if types.has(SOURCE_SERVER) {
        out.extend(not_cut_over(&estate.servers));
    }
    if types.has(LAUNCH_TEMPLATE) {
        out.extend(estate.templates.iter().map(|t| t.resource()));
    }
    out
}
