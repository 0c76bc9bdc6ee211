//! One account's checks: its role assumed, then per region the reads a
//! scan makes, the writes enforcement makes (dry runs, else simulated),
//! MGN, and Resource Explorer when each account reads its own view.

use super::setup::{explorer, mgn_initialized, mgn_row};
use super::writes::{self, Simulated};
use super::{allow, probes, refused, Context};
use crate::aws::AccountSession;
use futures::future::join_all;
use tagwarden_core::config::{ExplorerScope, MgnScope};
use tagwarden_core::iam::principal::{role_arn, simulation_principal};
use tagwarden_core::iam::Role;
use tagwarden_core::report::doctor::{Check, CheckKind};
use tagwarden_core::resource::partition_of;

/// Every check of `account`.
pub(super) async fn check(ctx: &Context<'_>, account: &str) -> Vec<Check> {
    let (row, session) = match assume(ctx, account).await {
        Ok(entered) => entered,
        Err(row) => return vec![row],
    };
    let mut checks = vec![row];
    let regional = join_all(ctx.regions.iter().enumerate().map(|(i, region)| {
        let session = &session;
        async move {
            let mut rows = reads(ctx, session, region, i == 0).await;
            rows.extend(writes::dry_run(ctx, session, region).await);
            rows.extend(mgn(ctx, session, region).await);
            rows
        }
    }));
    let (regional, simulated, explorer) =
        futures::join!(regional, simulate(ctx, &session), own_view(ctx, &session));
    checks.extend(regional.into_iter().flatten());
    checks.extend(simulated);
    checks.extend(explorer);
    checks
}

/// The session in `account`: the credentials' own, or the role assumed.
async fn assume(ctx: &Context<'_>, account: &str) -> Result<(Check, AccountSession), Check> {
    let accounts = &ctx.config.accounts;
    let role = accounts.role.as_deref();
    let external = accounts.external_id.as_deref();
    match ctx.aws.session(account, &ctx.caller, role, external).await {
        Ok(session) => {
            let message = match role.filter(|_| account != ctx.caller) {
                None => "the credentials' own account: no role to assume".to_string(),
                Some(r) => format!(
                    "sts:AssumeRole {}{}",
                    role_arn(partition_of(&ctx.aws.default_region()), account, r),
                    if external.is_some() {
                        " with the external id"
                    } else {
                        ""
                    }
                ),
            };
            Ok((
                Check::ok(CheckKind::AssumeRole, message).account(account),
                session,
            ))
        }
        Err(e) => Err(
            Check::fail(CheckKind::AssumeRole, e.message, assume_fix(ctx, account))
                .account(account),
        ),
    }
}

fn assume_fix(ctx: &Context<'_>, account: &str) -> String {
    let Some(role) = &ctx.config.accounts.role else {
        return format!(
            "set `accounts.role` in {} to the role tagwarden assumes in every account but the credentials' own ({})",
            ctx.file(),
            ctx.caller
        );
    };
    let external = match ctx.config.accounts.external_id {
        Some(_) => ", with the condition sts:ExternalId equal to `accounts.external_id`",
        None => "",
    };
    format!(
        "create role {role} in account {account} (`tagwarden policy iam --role audit` prints its policy) with a trust policy that lets {} call sts:AssumeRole{external}",
        ctx.caller_arn
    )
}

/// The scan's reads in `region` that have a cheap call of their own
/// (global ones in the first region only): one row for those allowed, one
/// per action refused or failed.
async fn reads(
    ctx: &Context<'_>,
    session: &AccountSession,
    region: &str,
    first: bool,
) -> Vec<Check> {
    let api = &ctx.aws.api;
    let actions: Vec<&'static str> = ctx
        .needs
        .reads
        .iter()
        .copied()
        .filter(|a| probes::PROBED.contains(a) && (first || !probes::is_global(a)))
        .collect();
    let answers = join_all(
        actions
            .iter()
            .map(|a| probes::probe(api, session, region, a)),
    )
    .await;
    let account = &session.account;
    let mut allowed = Vec::new();
    let mut rows = Vec::new();
    for (action, answer) in actions.iter().zip(answers) {
        match answer {
            Some(Ok(())) => allowed.push(*action),
            Some(Err(e)) => rows.push(
                refused(ctx, CheckKind::Read, account, action, &e, Role::Audit).region(region),
            ),
            None => {}
        }
    }
    if !allowed.is_empty() {
        let message = format!("allowed: {}", allowed.join(", "));
        rows.push(Check::ok(CheckKind::Read, message).at(account, region));
    }
    rows
}

/// The actions without a cheap read or a dry run (the rest of the reads,
/// every write but EC2's), through the IAM policy simulator.
async fn simulate(ctx: &Context<'_>, session: &AccountSession) -> Vec<Check> {
    let account = &session.account;
    let mut actions: Vec<&'static str> = ctx
        .needs
        .reads
        .iter()
        .copied()
        .filter(|a| !probes::PROBED.contains(a) && !a.starts_with("resource-explorer-2:"))
        .collect();
    if let Some((writes, _)) = &ctx.needs.writes {
        // Read-backs already read or probed are not asked twice.
        let more: Vec<&'static str> = writes
            .iter()
            .copied()
            .filter(|a| {
                !writes::DRY_RUN.contains(a) && !probes::PROBED.contains(a) && !actions.contains(a)
            })
            .collect();
        actions.extend(more);
    }
    if actions.is_empty() {
        return Vec::new();
    }
    let principal = match (&ctx.config.accounts.role, *account == ctx.caller) {
        (Some(role), false) => Some(role_arn(
            partition_of(&ctx.aws.default_region()),
            account,
            role,
        )),
        _ => simulation_principal(&ctx.caller_arn),
    };
    let Some(principal) = principal else {
        let why = format!(
            "{} is not a user or role: its policies cannot be simulated, so {} are not checked",
            ctx.caller_arn,
            actions.join(", ")
        );
        return vec![Check::skipped(CheckKind::Write, why).account(account)];
    };
    let keys = ctx
        .needs
        .writes
        .as_ref()
        .map(|(_, k)| k.as_slice())
        .unwrap_or_default();
    let query = writes::Simulation {
        principal: &principal,
        actions: &actions,
        keys,
        resource: None,
    };
    match writes::simulate(&ctx.aws.api, &session.iam(), account, &query).await {
        Ok(decisions) => simulated_rows(ctx, account, &decisions),
        Err(e) => vec![Check::skipped(
            CheckKind::Write,
            format!(
                "cannot simulate {} for {principal} ({}): {} are not checked",
                "its policy",
                e.message,
                actions.join(", ")
            ),
        )
        .fix(allow(
            "iam:SimulatePrincipalPolicy",
            &ctx.who(account),
            Role::Audit,
        ))
        .account(account)],
    }
}

/// Simulated decisions as rows: one for the actions allowed, one per
/// action refused (reads as `read`, writes as `write`).
fn simulated_rows(ctx: &Context<'_>, account: &str, decisions: &[Simulated]) -> Vec<Check> {
    let is_read = |a: &str| ctx.needs.reads.contains(a);
    let mut rows = Vec::new();
    for kind in [CheckKind::Read, CheckKind::Write] {
        let of_kind = decisions
            .iter()
            .filter(|d| is_read(&d.action) == (kind == CheckKind::Read));
        let (allowed, refused): (Vec<&Simulated>, Vec<&Simulated>) =
            of_kind.partition(|d| d.allowed);
        let role = if kind == CheckKind::Read {
            Role::Audit
        } else {
            Role::Enforce
        };
        for d in refused {
            let message = format!("{} would be denied ({}, simulated)", d.action, d.decision);
            rows.push(
                Check::fail(kind, message, allow(&d.action, &ctx.who(account), role))
                    .account(account),
            );
        }
        if !allowed.is_empty() {
            let names: Vec<&str> = allowed.iter().map(|d| d.action.as_str()).collect();
            let message = format!("allowed (simulated): {}", names.join(", "));
            rows.push(Check::ok(kind, message).account(account));
        }
    }
    rows
}

/// Whether MGN is initialized in `region` (`inventory.mgn`, each account
/// read through its role).
async fn mgn(ctx: &Context<'_>, session: &AccountSession, region: &str) -> Option<Check> {
    let mgn = ctx.config.inventory.mgn?;
    if mgn.scope != MgnScope::Account {
        return None;
    }
    let quota = crate::aws::Quota::at(&session.account, region);
    let answer = mgn_initialized(&ctx.aws.api, &session.mgn(region), quota).await;
    Some(mgn_row(ctx, &session.account, region, answer))
}

/// Resource Explorer through the account's role (`scope: account`).
async fn own_view(ctx: &Context<'_>, session: &AccountSession) -> Option<Check> {
    let re = ctx
        .needs
        .explorer
        .filter(|re| re.scope == ExplorerScope::Account)?;
    let client = session.resource_explorer(&re.region);
    Some(explorer(ctx, &client, &session.account, re).await)
}
