//! Resource Explorer's and MGN's set-up as rows: read through a member
//! role or with the credentials' own identity, reported the same way.

use super::{refused, Context};
use crate::aws::{Api, AwsError, Quota};
use crate::inventory::explorer::{ExplorerError, Reader};
use tagwarden_core::config::{ExplorerScope, ResourceExplorer};
use tagwarden_core::iam::Role;
use tagwarden_core::report::doctor::{Check, CheckKind};

/// Resource Explorer's set-up as a scan checks it, read with `client`
/// (the caller's for an organization view, else `account`'s role).
pub(super) async fn explorer(
    ctx: &Context<'_>,
    client: &aws_sdk_resourceexplorer2::Client,
    account: &str,
    re: &ResourceExplorer,
) -> Check {
    let reader = Reader {
        api: &ctx.aws.api,
        client,
        account,
        member: account != ctx.caller,
        config: re,
    };
    explorer_row(reader.view().await, re).account(account)
}

/// A Resource Explorer reading as a row.
fn explorer_row(view: Result<String, ExplorerError>, re: &ResourceExplorer) -> Check {
    let row = match view {
        Ok(view) => {
            let scope = match re.scope {
                ExplorerScope::Organization => "the aggregator index, an organization view",
                ExplorerScope::Account => "an index, a view of the account",
            };
            Check::ok(
                CheckKind::ResourceExplorer,
                format!("{scope}, {view}, with the tags property"),
            )
        }
        Err(ExplorerError::Setup(p)) => {
            let (what, fix) = p.parts();
            Check::fail(CheckKind::ResourceExplorer, what, fix)
        }
        Err(ExplorerError::Aws(e)) => Check::fail(
            CheckKind::ResourceExplorer,
            e.to_string(),
            "run `tagwarden doctor` again; if it fails the same way, check the network and `inventory.resource_explorer.region`",
        ),
    };
    row.region(&re.region)
}

/// Whether MGN is initialized where `client` points: one `ListWaves` of
/// one wave.
pub(super) async fn mgn_initialized(
    api: &Api,
    client: &aws_sdk_mgn::Client,
    quota: Quota<'_>,
) -> Result<bool, AwsError> {
    match api
        .call(quota, "mgn:ListWaves", || {
            client.list_waves().max_results(1).send()
        })
        .await
    {
        Ok(_) => Ok(true),
        Err(e) if e.code.as_deref() == Some("UninitializedAccountException") => Ok(false),
        Err(e) => Err(e),
    }
}

pub(super) fn mgn_row(
    ctx: &Context<'_>,
    account: &str,
    region: &str,
    answer: Result<bool, AwsError>,
) -> Check {
    let row = match answer {
        Ok(true) => Check::ok(CheckKind::Mgn, "MGN is initialized (mgn:ListWaves)"),
        Ok(false) => Check::warn(
            CheckKind::Mgn,
            "MGN is not initialized here: no waves or source servers to read",
            format!("if servers migrate here, `aws mgn initialize-service --region {region}`; else leave it (nothing to tag)"),
        ),
        Err(e) => refused(ctx, CheckKind::Mgn, account, "mgn:ListWaves", &e, Role::Audit),
    };
    row.at(account, region)
}
