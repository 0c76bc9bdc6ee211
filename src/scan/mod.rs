//! Scanning, shared by audit, plan and apply: the regions and
//! accounts to scan (static list, Organizations, or the caller's own),
//! narrowed by `--account`/`--region`; one session per account, opened and
//! scanned concurrently, at most `limits.concurrent_accounts` at a time.

pub mod waves;

use crate::aws::{AccountSession, Aws};
use crate::error::{Error, Result};
use crate::inventory::explorer::{ExplorerError, Reader};
use crate::inventory::mgn::Want;
use crate::inventory::{self, AccountScan, Explored, TypeSet};
use crate::progress::{Bar, Progress};
use futures::stream::{self, StreamExt};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use tagwarden_core::config::{Config, ExplorerScope, ResourceExplorer};
use tagwarden_core::explorer::{filter_strings, Listed};
use tagwarden_core::mgn::{Estate, LAUNCH_TEMPLATE, SOURCE_SERVER};
use tagwarden_core::resource::is_account_id;
use tagwarden_core::scan::AccountScope;
use tagwarden_core::shard::Shard;
use tagwarden_core::{Resource, ScanError};

#[derive(Debug, Clone, Default)]
pub struct Narrowing {
    /// `--account`: ids or configured names.
    pub accounts: Vec<String>,
    /// `--region`.
    pub regions: Vec<String>,
    /// The daemon's replica: only its share of the accounts.
    pub shard: Shard,
    /// `--wave`: names or IDs of MGN waves; only their servers and what MGN
    /// launched for them are scanned.
    pub waves: Vec<String>,
}

/// Everything a scan found, before evaluation.
#[derive(Default)]
pub struct Inventory {
    pub resources: Vec<Resource>,
    pub errors: Vec<ScanError>,
    pub account_names: BTreeMap<String, String>,
    /// The accounts to scan (whether or not they could be).
    pub account_ids: Vec<String>,
    /// The configured accounts of every shard: tag on create tells an
    /// event of another shard's account from one of an account in none.
    pub every_shard: Vec<String>,
    pub accounts: usize,
    pub regions: usize,
    /// Open sessions, per account id, for the writes that follow a scan.
    pub sessions: HashMap<String, AccountSession>,
    /// Resource Explorer's part, when it is configured.
    pub explorer: Option<ExplorerCounts>,
    /// MGN as the scan read it (`inventory.mgn`, when the policies name its
    /// types): the daemon's wave readiness comes from it.
    pub mgn: Option<Estate>,
}

/// What Resource Explorer contributed to a scan.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExplorerCounts {
    /// Resources it listed in the scanned accounts and regions.
    pub listed: usize,
    /// Of those, how many had tags that changed since it indexed them
    /// (their current tags, from the Tagging API, were used).
    pub stale: usize,
    /// Listed, but deleted since it indexed them (left out).
    pub gone: usize,
}

/// What apply needs of a scan: the resources found, what could not be
/// scanned, and the sessions to write through. A cycle passes its whole
/// inventory; tag on create the resources its events named.
#[derive(Clone, Copy)]
pub struct Scanned<'a> {
    pub resources: &'a [Resource],
    pub errors: &'a [ScanError],
    pub sessions: &'a HashMap<String, AccountSession>,
}

impl Inventory {
    pub fn scanned(&self) -> Scanned<'_> {
        Scanned {
            resources: &self.resources,
            errors: &self.errors,
            sessions: &self.sessions,
        }
    }
}

/// Regions to scan: the configuration's (or the credentials chain's default),
/// narrowed by `--region`.
pub fn regions(config: &Config, default_region: &str, narrow: &[String]) -> Result<Vec<String>> {
    let configured = if config.regions.is_empty() {
        vec![default_region.to_string()]
    } else {
        config.regions.clone()
    };
    if let Some(r) = narrow.iter().find(|r| !configured.contains(r)) {
        return Err(Error::usage(format!(
            "--region {r} is not among the configured regions ({})",
            configured.join(", ")
        )));
    }
    Ok(configured
        .into_iter()
        .filter(|r| narrow.is_empty() || narrow.contains(r))
        .collect())
}

/// An `--account`, `include` or `exclude` entry as an account id.
fn account_id(config: &Config, id_or_name: &str) -> Option<String> {
    if is_account_id(id_or_name) {
        return Some(id_or_name.to_string());
    }
    config
        .accounts
        .list
        .iter()
        .find(|a| a.name.as_deref() == Some(id_or_name))
        .map(|a| a.id.clone())
}

/// Check `--account` and `--region` before anything is sent to AWS. Regions
/// are checked here when the configuration lists them (otherwise against
/// the credentials' default region, once it is known).
pub fn check_narrowing(config: &Config, narrow: &Narrowing) -> Result<()> {
    if let Some(a) = narrow
        .accounts
        .iter()
        .find(|a| account_id(config, a).is_none())
    {
        return Err(Error::usage(format!("--account {a}: not a 12-digit account id nor a name in the configuration's `accounts.list`")));
    }
    if !config.regions.is_empty() {
        regions(config, "", &narrow.regions)?;
    }
    Ok(())
}

/// Scan every configured account and region for the resource types given.
pub async fn scan(
    aws: &Aws,
    config: &Config,
    types: &TypeSet,
    narrow: &Narrowing,
    progress: &Progress,
) -> Result<Inventory> {
    check_narrowing(config, narrow)?;
    let regions = regions(config, &aws.default_region(), &narrow.regions)?;
    let mut inv = Inventory {
        regions: regions.len(),
        ..Inventory::default()
    };
    let caller = match caller(aws).await {
        Ok(caller) => caller,
        Err(e) => {
            inv.errors.push(e);
            return Ok(inv);
        }
    };
    let accounts = accounts(aws, config, narrow, &caller, &mut inv).await;
    inv.accounts = accounts.len();
    inv.account_ids = accounts.iter().cloned().collect();
    if !narrow.waves.is_empty() {
        waves::scan_waves(
            aws,
            config,
            types,
            &narrow.waves,
            &caller,
            accounts,
            &regions,
            &mut inv,
        )
        .await?;
        return Ok(finish(inv));
    }
    let managed = match config.inventory.mgn {
        Some(m) if types.has(SOURCE_SERVER) || types.has(LAUNCH_TEMPLATE) => {
            Some((m, waves::managed_accounts(aws, m, &regions).await))
        }
        _ => None,
    };
    let mgn = managed.as_ref().map(|(m, managed)| MgnRead {
        reading: waves::Reading {
            mgn: *m,
            caller: &caller,
            want: Want {
                waves: &[],
                templates: types.has(LAUNCH_TEMPLATE),
            },
        },
        managed,
    });
    let types = &types
        .clone()
        .with_explorer(config.inventory.resource_explorer.is_some());
    let explore = Explore::plan(config, types, &accounts, &regions, narrow);
    let mut listed = explore.list_organization(aws, &caller, &mut inv).await;
    tracing::info!(accounts = accounts.len(), regions = regions.len(), types = ?types, "scanning");
    let scans = stream::iter(accounts)
        .map(|account| {
            let label = inv.account_names.get(&account).unwrap_or(&account).clone();
            let bars: Vec<Bar> = regions.iter().map(|r| progress.bar(&label, r)).collect();
            let explored = explore.for_account(&account, &mut listed);
            scan_account(
                aws, config, &caller, account, &regions, types, explored, bars, mgn,
            )
        })
        .buffer_unordered(config.concurrent_accounts)
        .collect::<Vec<_>>()
        .await;
    for (session, scan) in scans {
        add_scan(&mut inv, session, scan, explore.on());
    }
    Ok(finish(inv))
}

/// One resource, one finding: an ARN two sources saw is kept once, the
/// natively listed one (added first; the sort is stable).
fn finish(mut inv: Inventory) -> Inventory {
    inv.resources.sort_by(|a, b| a.arn.cmp(&b.arn));
    inv.resources.dedup_by(|a, b| a.arn == b.arn);
    inv.errors.sort();
    inv
}

/// How a whole scan reads MGN (`inventory.mgn`, when the policies name
/// its types).
#[derive(Clone, Copy)]
struct MgnRead<'a> {
    reading: waves::Reading<'a>,
    managed: &'a waves::Managed,
}

fn add_scan(
    inv: &mut Inventory,
    session: Option<AccountSession>,
    scan: AccountScan,
    explorer: bool,
) {
    if let Some(session) = session {
        inv.sessions.insert(session.account.clone(), session);
    }
    inv.resources.extend(scan.resources);
    inv.errors.extend(scan.errors);
    if let Some(estate) = scan.mgn {
        inv.mgn.get_or_insert_with(Estate::default).extend(estate);
    }
    if explorer {
        let counts = inv.explorer.get_or_insert_with(ExplorerCounts::default);
        counts.listed += scan.explored;
        counts.stale += scan.stale;
        counts.gone += scan.gone;
    }
}

/// Resource Explorer's plan for one scan: off, one organization view read
/// once (each account then takes its share), or each account's own view.
enum Explore<'a> {
    Off,
    Organization {
        config: &'a ResourceExplorer,
        types: Vec<String>,
        filters: Vec<String>,
    },
    PerAccount {
        config: &'a ResourceExplorer,
        filters: Vec<String>,
    },
}

impl<'a> Explore<'a> {
    fn plan(
        config: &'a Config,
        types: &TypeSet,
        accounts: &BTreeSet<String>,
        regions: &[String],
        narrow: &Narrowing,
    ) -> Explore<'a> {
        let explored = types.explored();
        let Some(re) = config.inventory.resource_explorer.as_ref() else {
            return Explore::Off;
        };
        if explored.is_empty() {
            return Explore::Off;
        }
        // Narrowed scans ask only for what they need; a whole scan lists
        // the view's resources once and keeps those of its accounts.
        let narrowed = !narrow.accounts.is_empty() || narrow.shard.total > 1;
        let ids: Vec<String> = accounts.iter().cloned().collect();
        let account_filter = (narrowed && ids.len() <= 50).then_some(ids.as_slice());
        let region_filter = (!narrow.regions.is_empty()).then_some(regions);
        match re.scope {
            ExplorerScope::Organization => Explore::Organization {
                config: re,
                filters: filter_strings(&explored, account_filter, region_filter),
                types: explored,
            },
            ExplorerScope::Account => Explore::PerAccount {
                config: re,
                filters: filter_strings(&explored, None, region_filter),
            },
        }
    }

    fn on(&self) -> bool {
        !matches!(self, Explore::Off)
    }

    /// The organization view, read once with the caller's credentials, per
    /// owning account; a view that cannot be read is one error for every
    /// account's types (None).
    async fn list_organization(
        &self,
        aws: &Aws,
        caller: &str,
        inv: &mut Inventory,
    ) -> Option<HashMap<String, Vec<Listed>>> {
        let Explore::Organization {
            config,
            types,
            filters,
        } = self
        else {
            return None;
        };
        let client = aws.resource_explorer(&config.region);
        let reader = Reader {
            api: &aws.api,
            client: &client,
            account: caller,
            member: false,
            config,
        };
        let read: std::result::Result<Vec<Listed>, ExplorerError> = match reader.view().await {
            Ok(view) => reader.list(&view, filters).await,
            Err(e) => Err(e),
        };
        match read {
            Ok(all) => {
                let mut by_account: HashMap<String, Vec<Listed>> = HashMap::new();
                for l in all {
                    by_account.entry(l.account.clone()).or_default().push(l);
                }
                Some(by_account)
            }
            Err(e) => {
                tracing::warn!(error = %e, "Resource Explorer cannot be read");
                inv.errors.push(ScanError::types(
                    AccountScope::Every,
                    types.clone(),
                    e.to_string(),
                ));
                None
            }
        }
    }

    /// What `account`'s scan takes from Resource Explorer (`listed`: the
    /// organization view's resources, each account taking its own).
    fn for_account(
        &self,
        account: &str,
        listed: &mut Option<HashMap<String, Vec<Listed>>>,
    ) -> Explored<'_> {
        match (self, listed) {
            (Explore::Off, _) => Explored::Off,
            (Explore::Organization { .. }, None) => Explored::Failed,
            (Explore::Organization { .. }, Some(by_account)) => {
                Explored::Listed(by_account.remove(account).unwrap_or_default())
            }
            (Explore::PerAccount { config, filters }, _) => Explored::Own { config, filters },
        }
    }
}

/// The account the credentials belong to, or the error that stops every
/// account being scanned.
pub async fn caller(aws: &Aws) -> Result<String, ScanError> {
    aws.identify()
        .await
        .map_err(|e| ScanError::caller(e.to_string()))
}

/// Accounts: the static list, the organization's active accounts, or the
/// credentials' own account when neither is configured; then `include`,
/// `exclude` and `--account`. Names found on the way go to the inventory.
pub(crate) async fn accounts(
    aws: &Aws,
    config: &Config,
    narrow: &Narrowing,
    caller: &str,
    inv: &mut Inventory,
) -> BTreeSet<String> {
    let mut accounts: BTreeSet<String> =
        config.accounts.list.iter().map(|a| a.id.clone()).collect();
    for a in &config.accounts.list {
        if let Some(n) = &a.name {
            inv.account_names.insert(a.id.clone(), n.clone());
        }
    }
    if config.accounts.discover_organizations {
        match aws.organization_accounts().await {
            Ok(found) => {
                for (id, name) in found {
                    inv.account_names.entry(id.clone()).or_insert(name);
                    accounts.insert(id);
                }
            }
            Err(e) => inv.errors.push(ScanError::global(
                caller,
                format!("cannot list the organization's accounts: {e}"),
            )),
        }
    } else if accounts.is_empty() {
        accounts.insert(caller.to_string());
    }
    let ids = |list: &[String]| {
        list.iter()
            .filter_map(|a| account_id(config, a))
            .collect::<BTreeSet<_>>()
    };
    let (include, exclude, only) = (
        ids(&config.accounts.include),
        ids(&config.accounts.exclude),
        ids(&narrow.accounts),
    );
    accounts.retain(|a| {
        (include.is_empty() || include.contains(a))
            && !exclude.contains(a)
            && (only.is_empty() || only.contains(a))
    });
    inv.every_shard = accounts.iter().cloned().collect();
    accounts.retain(|a| narrow.shard.owns(a));
    accounts
}

/// Open a session in `account`, or the error that stops it being scanned.
pub async fn open_session(
    aws: &Aws,
    config: &Config,
    caller: &str,
    account: &str,
) -> Result<AccountSession, ScanError> {
    let role = config.accounts.role.as_deref();
    let external_id = config.accounts.external_id.as_deref();
    aws.session(account, caller, role, external_id)
        .await
        .map_err(|e| {
            tracing::warn!(account, error = %e, "cannot open a session");
            ScanError::account(account, e.to_string())
        })
}

/// Sessions for the given accounts, opened concurrently (at most
/// `limits.concurrent_accounts` at a time), and the accounts that could not
/// be entered.
pub async fn open_sessions(
    aws: &Aws,
    config: &Config,
    accounts: BTreeSet<String>,
) -> (HashMap<String, AccountSession>, Vec<ScanError>) {
    let caller = match caller(aws).await {
        Ok(caller) => caller,
        Err(e) => return (HashMap::new(), vec![e]),
    };
    let mut errors = Vec::new();
    let opened: Vec<_> = stream::iter(accounts)
        .map(|a| {
            let caller = &caller;
            async move { open_session(aws, config, caller, &a).await }
        })
        .buffer_unordered(config.concurrent_accounts)
        .collect()
        .await;
    let mut sessions = HashMap::new();
    for s in opened {
        match s {
            Ok(s) => {
                sessions.insert(s.account.clone(), s);
            }
            Err(e) => errors.push(e),
        }
    }
    errors.sort();
    (sessions, errors)
}

#[allow(clippy::too_many_arguments)]
async fn scan_account(
    aws: &Aws,
    config: &Config,
    caller: &str,
    account: String,
    regions: &[String],
    types: &TypeSet,
    explored: Explored<'_>,
    bars: Vec<Bar>,
    mgn: Option<MgnRead<'_>>,
) -> (Option<AccountSession>, AccountScan) {
    match open_session(aws, config, caller, &account).await {
        Ok(session) => {
            let mut scan =
                inventory::scan_account(&aws.api, &session, regions, types, explored, &bars).await;
            if let Some(m) = mgn {
                let (estate, errors) =
                    waves::account_estate(aws, m.reading, m.managed, &session, regions).await;
                scan.resources.extend(waves::resources(&estate, types));
                scan.errors.extend(errors);
                scan.mgn = Some(estate);
            }
            (Some(session), scan)
        }
        Err(e) => {
            bars.iter().for_each(|b| b.fail(&e.message));
            let scan = AccountScan {
                errors: vec![e],
                ..AccountScan::default()
            };
            (None, scan)
        }
    }
}
