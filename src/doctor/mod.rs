//! `tagwarden doctor`: every check the configuration and policies imply,
//! against AWS, changing nothing: the store, the credentials, the
//! organization's accounts, each account's role, its reads per region and
//! API, its writes (dry runs, else the IAM policy simulator), Resource
//! Explorer, MGN, Cost Explorer and the MAP tag's activation, the billing
//! export, and the event queues. Accounts are checked concurrently, paced
//! by the same rate limiter as a scan; every row names what fixes it.

mod account;
mod probes;
mod queues;
mod services;
mod setup;
mod writes;

use crate::aws::identity::{self, Chain};
use crate::aws::{Aws, AwsError};
use crate::error::Result;
use crate::scan::{self, Inventory, Narrowing};
use futures::stream::{self, StreamExt};
use std::collections::BTreeSet;
use std::path::Path;
use tagwarden_core::config::{Config, ResourceExplorer};
use tagwarden_core::iam;
use tagwarden_core::policy::Policy;
use tagwarden_core::report::doctor::{Check, CheckKind, DoctorReport};

/// What one `doctor` run checks.
pub struct Doctor<'a> {
    pub aws: &'a Aws,
    pub config: &'a Config,
    pub policies: &'a [Policy],
    pub narrow: &'a Narrowing,
    /// `--cost`: the billing export a run would read.
    pub cost: Option<&'a Path>,
}

/// What the configuration and policies ask of AWS.
struct Needs<'a> {
    /// The member role's reads (`policy iam --role audit`).
    reads: BTreeSet<&'static str>,
    /// Its writes and the keys they write (`policy iam --role enforce`),
    /// when some policy remediates.
    writes: Option<(BTreeSet<&'static str>, Vec<String>)>,
    /// Resource Explorer, when configured and some type needs it.
    explorer: Option<&'a ResourceExplorer>,
}

impl<'a> Needs<'a> {
    fn of(config: &'a Config, policies: &[Policy]) -> Needs<'a> {
        let roles = iam::roles(policies, config);
        let keys = iam::written_keys(policies);
        let explorer = config.inventory.resource_explorer.as_ref().filter(|_| {
            let types = policies.iter().flat_map(|p| p.resource_types.iter());
            !tagwarden_core::explorer::explored_types(types.map(String::as_str)).is_empty()
        });
        Needs {
            reads: roles.audit.actions(),
            writes: roles
                .enforce
                .map(|doc| (doc.actions(), keys.into_iter().collect())),
            explorer,
        }
    }
}

/// What every check shares once the credentials are known.
struct Context<'a> {
    aws: &'a Aws,
    config: &'a Config,
    caller: String,
    caller_arn: String,
    regions: Vec<String>,
    needs: Needs<'a>,
}

impl Context<'_> {
    /// Who is refused, for a fix: the member role in `account`, or the
    /// credentials' own identity.
    fn who(&self, account: &str) -> String {
        match &self.config.accounts.role {
            Some(role) if account != self.caller => format!("role {role} in account {account}"),
            _ => format!("{} (the credentials' identity)", self.caller_arn),
        }
    }

    /// The configuration file, for fixes that name a line of it.
    fn file(&self) -> String {
        self.config
            .file
            .as_deref()
            .map_or("tagwarden.yaml".into(), |f| f.display().to_string())
    }
}

/// Run every check; the report's rows in the order a run meets them.
pub async fn doctor(d: &Doctor<'_>) -> Result<DoctorReport> {
    let mut checks = vec![store(&d.config.store)];
    let (row, caller) = credentials(d.aws).await;
    checks.push(row);
    let Some((caller, caller_arn)) = caller else {
        return Ok(DoctorReport::new(checks));
    };
    let regions = scan::regions(d.config, &d.aws.default_region(), &d.narrow.regions)?;
    let mut inv = Inventory::default();
    let accounts = scan::accounts(d.aws, d.config, d.narrow, &caller, &mut inv).await;
    if d.config.accounts.discover_organizations {
        checks.push(organization(&inv, accounts.len(), &caller_arn));
    }
    let ctx = Context {
        aws: d.aws,
        config: d.config,
        caller,
        caller_arn,
        regions,
        needs: Needs::of(d.config, d.policies),
    };
    let each_account = stream::iter(&accounts)
        .map(|a| account::check(&ctx, a))
        .buffer_unordered(d.config.concurrent_accounts)
        .collect::<Vec<Vec<Check>>>();
    let (per_account, shared) = futures::join!(each_account, services::check(&ctx, d.cost));
    checks.extend(per_account.into_iter().flatten());
    checks.extend(shared);
    Ok(DoctorReport::new(checks))
}

/// The credentials: where the chain found them and whom STS says they
/// are; with them, the caller's account and ARN.
async fn credentials(aws: &Aws) -> (Check, Option<(String, String)>) {
    match aws.identify().await {
        Ok(account) => {
            let (arn, source) = aws.caller_details();
            let arn = arn.unwrap_or("an unknown identity").to_string();
            let chain = Chain::from_env(None);
            let source = identity::source_in_words(source.unwrap_or("unknown"), &chain);
            let row = Check::ok(
                CheckKind::Credentials,
                format!("account {account} as {arn}, from {source} (sts:GetCallerIdentity)"),
            );
            (row, Some((account, arn)))
        }
        Err(e) => (Check::fail(CheckKind::Credentials, e.what, e.fix), None),
    }
}

/// `discover: organizations`: whether the organization's accounts could
/// be listed.
fn organization(inv: &Inventory, accounts: usize, caller_arn: &str) -> Check {
    match inv.errors.first() {
        None => Check::ok(
            CheckKind::Organization,
            format!("organizations:ListAccounts: {accounts} active accounts to check"),
        ),
        Some(e) => Check::fail(
            CheckKind::Organization,
            e.message.clone(),
            format!("run from the organization's management account or a delegated administrator, and allow organizations:ListAccounts to {caller_arn}; or list the accounts in `accounts.list` instead of `discover: organizations`"),
        ),
    }
}

/// The state store: where it is, whether it can be written, its schema.
fn store(path: &Path) -> Check {
    use crate::store::{inspect, Inspection, SCHEMA_VERSION};
    let shown = path.display();
    let fix = format!("make {shown} (and its folder) writable by the user tagwarden runs as, or set `store.path` to a writable place");
    match inspect(path) {
        Ok(Inspection::Absent { writable: true }) => Check::ok(
            CheckKind::Store,
            format!("{shown} does not exist yet: the first run creates it (schema version {SCHEMA_VERSION})"),
        ),
        Ok(Inspection::Absent { writable: false }) => Check::fail(
            CheckKind::Store,
            format!("{shown} does not exist and its folder cannot be written"),
            fix,
        ),
        Ok(Inspection::Present { version, .. }) if version > SCHEMA_VERSION => Check::fail(
            CheckKind::Store,
            format!("{shown} has schema version {version}, newer than this tagwarden's {SCHEMA_VERSION}"),
            "run the tagwarden release that wrote it, or a newer one",
        ),
        Ok(Inspection::Present { version, writable: true }) => Check::ok(
            CheckKind::Store,
            format!("{shown}: schema version {version} (this release writes {SCHEMA_VERSION}), writable"),
        ),
        Ok(Inspection::Present { version, writable: false }) => Check::fail(
            CheckKind::Store,
            format!("{shown}: schema version {version}, but it cannot be written (read-only, or locked by another process)"),
            fix,
        ),
        Err(e) => Check::fail(CheckKind::Store, e.to_string(), fix),
    }
}

/// The fix for an action refused to `who`.
fn allow(action: &str, who: &str, role: iam::Role) -> String {
    format!(
        "allow {action} to {who} (`tagwarden policy iam --role {}` prints the whole policy)",
        role.label()
    )
}

/// A refused or failed call as a row: a denial names the action to allow,
/// anything else says to try again.
fn refused(
    ctx: &Context<'_>,
    kind: CheckKind,
    account: &str,
    action: &str,
    e: &AwsError,
    role: iam::Role,
) -> Check {
    if e.is_access_denied() {
        return Check::fail(
            kind,
            format!("{action} denied: {}", e.message),
            allow(action, &ctx.who(account), role),
        )
        .account(account);
    }
    Check::fail(
        kind,
        format!("{action} failed: {}", e.message),
        "run `tagwarden doctor` again; if it fails the same way, check the network and the endpoint",
    )
    .account(account)
}
