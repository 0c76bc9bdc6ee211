//! `tagwarden audit`: resolve accounts and regions, open a session per
//! account, scan them all concurrently, evaluate, and build the report.

use crate::aws::{AccountSession, Aws};
use crate::inventory::{self, TypeSet};
use crate::progress::Progress;
use crate::UsageError;
use futures::stream::{self, StreamExt};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use tagwarden_core::config::Config;
use tagwarden_core::policy::{evaluate, PolicySet};
use tagwarden_core::report::{AuditReport, ScanError};
use tagwarden_core::Resource;

/// Accounts scanned at once; each runs its regions and APIs concurrently too.
const ACCOUNT_CONCURRENCY: usize = 8;

#[derive(Debug, Clone, Default)]
pub struct Narrowing {
    /// `--account`: ids or configured names.
    pub accounts: Vec<String>,
    /// `--region`.
    pub regions: Vec<String>,
}

/// Everything a scan found, before evaluation.
pub struct Inventory {
    pub resources: Vec<Resource>,
    pub errors: Vec<ScanError>,
    pub account_names: BTreeMap<String, String>,
    pub accounts: usize,
    pub regions: usize,
    /// Open sessions, per account id, for the writes that follow a scan.
    pub sessions: HashMap<String, AccountSession>,
}

/// Regions to scan: the configuration's (or the credentials chain's default),
/// narrowed by `--region`.
pub fn regions(
    config: &Config,
    default_region: &str,
    narrow: &[String],
) -> Result<Vec<String>, UsageError> {
    let configured = if config.regions.is_empty() {
        vec![default_region.to_string()]
    } else {
        config.regions.clone()
    };
    if narrow.is_empty() {
        return Ok(configured);
    }
    for r in narrow {
        if !configured.contains(r) {
            return Err(UsageError(format!(
                "--region {r} is not among the configured regions ({})",
                configured.join(", ")
            )));
        }
    }
    Ok(configured
        .into_iter()
        .filter(|r| narrow.contains(r))
        .collect())
}

/// An `--account`, `include` or `exclude` entry as an account id.
fn account_id(config: &Config, id_or_name: &str) -> Option<String> {
    if id_or_name.len() == 12 && id_or_name.bytes().all(|b| b.is_ascii_digit()) {
        return Some(id_or_name.to_string());
    }
    config
        .accounts
        .list
        .iter()
        .find(|a| a.name.as_deref() == Some(id_or_name))
        .map(|a| a.id.clone())
}

/// Check `--account` values before anything is scanned.
pub fn check_narrowing(config: &Config, narrow: &Narrowing) -> Result<(), UsageError> {
    for a in &narrow.accounts {
        if account_id(config, a).is_none() {
            return Err(UsageError(format!("--account {a}: not a 12-digit account id nor a name in the configuration's `accounts.list`")));
        }
    }
    Ok(())
}

pub async fn scan(
    aws: &Aws,
    config: &Config,
    types: &TypeSet,
    narrow: &Narrowing,
    progress: &Progress,
) -> Result<Inventory, UsageError> {
    check_narrowing(config, narrow)?;
    let regions = regions(config, &aws.default_region(), &narrow.regions)?;
    let mut inv = Inventory {
        resources: Vec::new(),
        errors: Vec::new(),
        account_names: BTreeMap::new(),
        accounts: 0,
        regions: regions.len(),
        sessions: HashMap::new(),
    };

    let caller = match aws.caller_account().await {
        Ok(c) => c,
        Err(e) => {
            inv.errors.push(ScanError {
                account: "*".into(),
                region: "*".into(),
                message: format!("cannot identify the AWS credentials (check the standard credential chain: environment, profile, SSO, instance role): {e}"),
            });
            return Ok(inv);
        }
    };

    // Accounts: the static list, the organization's active accounts, or the
    // credentials' own account when neither is configured.
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
            Err(e) => inv.errors.push(ScanError {
                account: caller.clone(),
                region: "global".into(),
                message: format!("cannot list the organization's accounts: {e}"),
            }),
        }
    }
    if accounts.is_empty() && !config.accounts.discover_organizations {
        accounts.insert(caller.clone());
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
    inv.accounts = accounts.len();
    tracing::info!(accounts = accounts.len(), regions = regions.len(), types = ?types, "scanning");

    let scans = stream::iter(accounts)
        .map(|account| {
            let (caller, regions) = (&caller, &regions);
            let label = inv
                .account_names
                .get(&account)
                .cloned()
                .unwrap_or_else(|| account.clone());
            let bars: Vec<_> = regions.iter().map(|r| progress.bar(&label, r)).collect();
            async move {
                let role = config.accounts.role.as_deref();
                match aws
                    .session(
                        &account,
                        caller,
                        role,
                        config.accounts.external_id.as_deref(),
                    )
                    .await
                {
                    Ok(session) => {
                        let scan =
                            inventory::scan_account(&aws.api, &session, regions, types, &bars)
                                .await;
                        (Some(session), scan)
                    }
                    Err(e) => {
                        tracing::warn!(account, error = %e, "cannot open a session");
                        bars.iter().for_each(|b| b.fail(&e.message));
                        let errors = vec![ScanError {
                            account,
                            region: "*".into(),
                            message: e.to_string(),
                        }];
                        (
                            None,
                            inventory::AccountScan {
                                resources: Vec::new(),
                                errors,
                            },
                        )
                    }
                }
            }
        })
        .buffer_unordered(ACCOUNT_CONCURRENCY)
        .collect::<Vec<_>>()
        .await;
    for (session, s) in scans {
        if let Some(session) = session {
            inv.sessions.insert(session.account.clone(), session);
        }
        inv.resources.extend(s.resources);
        inv.errors.extend(s.errors);
    }
    inv.resources.sort_by(|a, b| a.arn.cmp(&b.arn));
    inv.errors.sort();
    Ok(inv)
}

/// Scan and evaluate: the audit report.
pub async fn audit(
    aws: &Aws,
    config: &Config,
    policies: &PolicySet,
    narrow: &Narrowing,
    progress: &Progress,
) -> Result<AuditReport, UsageError> {
    let types = TypeSet::new(policies.resource_types());
    let inv = scan(aws, config, &types, narrow, progress).await?;
    progress.clear();
    let evaluation = evaluate(&inv.resources, &policies.policies);
    let run_id = uuid::Uuid::now_v7().to_string();
    let mut report = AuditReport::new(run_id, chrono::Utc::now(), &evaluation, |id| {
        inv.account_names.get(id).cloned()
    });
    report.errors = inv.errors;
    report.summary.accounts = inv.accounts;
    report.summary.regions = inv.regions;
    report.summary.api_calls = aws.api.total_calls();
    report.api_calls_by_operation = aws.api.calls();
    report.warnings = policies.warnings.iter().map(|w| w.to_string()).collect();
    for (op, n) in &report.api_calls_by_operation {
        tracing::info!(operation = %op, requests = n, "AWS requests");
    }
    tracing::info!(
        resources = report.summary.counts.resources,
        api_calls = report.summary.api_calls,
        "audit finished"
    );
    Ok(report)
}
