//! Whether enforcement's writes would be allowed, without writing: EC2's
//! `CreateTags` with `DryRun` in each region, and for every other action
//! (and the reads without a cheap call) `iam:SimulatePrincipalPolicy` on
//! the role, with the keys `remediate.set` writes as `aws:TagKeys`.

use super::{allow, refused, Context};
use crate::aws::{AccountSession, Api, AwsError, Quota, Zone};
use aws_sdk_iam::types::{ContextEntry, ContextKeyTypeEnum};
use tagwarden_core::iam::principal::simulation_principal;
use tagwarden_core::iam::Role;
use tagwarden_core::report::doctor::{Check, CheckKind};

/// The writes with a dry run of their own.
pub(super) const DRY_RUN: &[&str] = &["ec2:CreateTags"];

/// An instance id of the right form that names nothing: a dry run asks
/// only whether the call would be allowed.
const NO_INSTANCE: &str = "i-00000000000000000";

/// `ec2:CreateTags` with `DryRun` in `region`, writing the policies' keys.
pub(super) async fn dry_run(
    ctx: &Context<'_>,
    session: &AccountSession,
    region: &str,
) -> Option<Check> {
    let (writes, keys) = ctx.needs.writes.as_ref()?;
    if !writes.contains("ec2:CreateTags") {
        return None;
    }
    let ec2 = session.ec2(region);
    let tags: Vec<aws_sdk_ec2::types::Tag> = keys
        .iter()
        .map(|k| {
            aws_sdk_ec2::types::Tag::builder()
                .key(k)
                .value("tagwarden-doctor")
                .build()
        })
        .collect();
    let quota = Quota::at(&session.account, region);
    let answer = ctx
        .aws
        .api
        .call(quota, "ec2:CreateTags", || {
            ec2.create_tags()
                .dry_run(true)
                .resources(NO_INSTANCE)
                .set_tags(Some(tags.clone()))
                .send()
        })
        .await;
    let account = &session.account;
    let row = match answer {
        Err(e) if e.code.as_deref() == Some("DryRunOperation") => Check::ok(
            CheckKind::Write,
            format!("ec2:CreateTags of {} allowed (dry run)", keys.join(", ")),
        )
        .account(account),
        Err(e) if e.code.as_deref().is_some_and(|c| c.starts_with("InvalidInstanceID")) => Check::skipped(
            CheckKind::Write,
            format!("ec2:CreateTags: AWS checked the instance before the permission ({}): not known whether it is allowed", e.message),
        )
        .account(account),
        Err(e) => refused(ctx, CheckKind::Write, account, "ec2:CreateTags", &e, Role::Enforce),
        // A dry run that wrote: AWS answers DryRunOperation, never success.
        Ok(_) => Check::fail(
            CheckKind::Write,
            "ec2:CreateTags with DryRun answered as if it had written",
            "check aws.endpoint_url: it does not behave as EC2",
        )
        .account(account),
    };
    Some(row.region(region))
}

/// What the simulator is asked.
pub(super) struct Simulation<'a> {
    /// The role or user whose policies are simulated.
    pub principal: &'a str,
    pub actions: &'a [&'a str],
    /// `aws:TagKeys` for the writes.
    pub keys: &'a [String],
    /// A resource and its own policy (a queue's), when it matters.
    pub resource: Option<(&'a str, Option<&'a str>)>,
}

/// One action's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Simulated {
    pub action: String,
    /// `allowed`, `explicitDeny` or `implicitDeny`.
    pub decision: String,
    pub allowed: bool,
}

/// Simulate `query` with `iam`, every page of the answer.
pub(super) async fn simulate(
    api: &Api,
    iam: &aws_sdk_iam::Client,
    account: &str,
    query: &Simulation<'_>,
) -> Result<Vec<Simulated>, AwsError> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    let context = (!query.keys.is_empty()).then(|| {
        ContextEntry::builder()
            .context_key_name("aws:TagKeys")
            .context_key_type(ContextKeyTypeEnum::StringList)
            .set_context_key_values(Some(query.keys.to_vec()))
            .build()
    });
    loop {
        let quota = Quota::Account(account, Zone::Global);
        let page = api
            .call(quota, "iam:SimulatePrincipalPolicy", || {
                let mut r = iam
                    .simulate_principal_policy()
                    .policy_source_arn(query.principal)
                    .set_action_names(Some(query.actions.iter().map(|a| a.to_string()).collect()))
                    .set_context_entries(context.clone().map(|c| vec![c]))
                    .set_marker(marker.clone());
                if let Some((arn, policy)) = query.resource {
                    r = r
                        .resource_arns(arn)
                        .set_resource_policy(policy.map(str::to_string));
                }
                r.send()
            })
            .await?;
        out.extend(page.evaluation_results().iter().map(|r| {
            let decision = r.eval_decision().as_str().to_string();
            Simulated {
                action: r.eval_action_name().to_string(),
                allowed: decision == "allowed",
                decision,
            }
        }));
        match page.marker().filter(|_| page.is_truncated()) {
            Some(m) if Some(m) != marker.as_deref() => marker = Some(m.to_string()),
            _ => return Ok(out),
        }
    }
}

/// Whether the caller may make `actions` on a resource with its own
/// policy (a queue), simulated: the decisions, or a skipped row.
pub(super) async fn simulate_caller(
    ctx: &Context<'_>,
    actions: &[&str],
    resource: (&str, Option<&str>),
) -> Result<Vec<Simulated>, Check> {
    let Some(principal) = simulation_principal(&ctx.caller_arn) else {
        let why = format!(
            "{} is not a user or role: its policies cannot be simulated",
            ctx.caller_arn
        );
        return Err(Check::skipped(CheckKind::Queue, why));
    };
    let query = Simulation {
        principal: &principal,
        actions,
        keys: &[],
        resource: Some(resource),
    };
    simulate(&ctx.aws.api, &ctx.aws.iam(), &ctx.caller, &query)
        .await
        .map_err(|e| {
            Check::skipped(
                CheckKind::Queue,
                format!(
                    "cannot simulate {} ({}): not checked",
                    actions.join(", "),
                    e.message
                ),
            )
            .fix(allow(
                "iam:SimulatePrincipalPolicy",
                &ctx.who(&ctx.caller),
                Role::Scanner,
            ))
        })
}
