//! Least privilege (`tagwarden policy iam`): the IAM policies tagwarden's
//! identities need for the loaded policies and configuration, built from
//! what the code calls for each resource type (`tables`). The audit role
//! reads only the types the policies name; the enforce role writes only the
//! keys `remediate.set` writes (`aws:TagKeys`), with rollback's removals in
//! a statement of their own. `deploy/iam/*.json` are this output for the
//! shipped policies (the tests keep them equal).

mod document;
pub mod principal;
mod tables;
#[cfg(test)]
mod tests;

pub use document::{Condition, Document, Effect, Resource, Sid, Statement, ORGANIZATION_ID};

use crate::catalogue;
use crate::config::{queue_arn, Config, ExplorerScope, ResourceExplorer};
use crate::policy::Policy;
use crate::resource::{is_full_discovery, judged_by_launch, partition_of};
use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt;

/// The identities tagwarden runs as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Its own identity, where it runs: assumes the member roles, lists the
    /// organization, reads the organization's view, the event queues and
    /// Cost Explorer.
    Scanner,
    /// The member role of every scanned account: the reads of a scan.
    Audit,
    /// Added to the member role for `apply`, `rollback` and `mode: enforce`.
    Enforce,
}

impl Role {
    pub fn label(self) -> &'static str {
        match self {
            Role::Scanner => "scanner",
            Role::Audit => "audit",
            Role::Enforce => "enforce",
        }
    }
}

/// Each identity's policy; None: it needs none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Roles {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scanner: Option<Document>,
    pub audit: Document,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enforce: Option<Document>,
    #[serde(skip)]
    pub warnings: Vec<IamWarning>,
}

impl Roles {
    /// The policy of one identity, or why it has none.
    pub fn of(&self, role: Role) -> Result<&Document, IamError> {
        match role {
            Role::Scanner => self.scanner.as_ref().ok_or(IamError::NoScannerPolicy),
            Role::Audit => Ok(&self.audit),
            Role::Enforce => self.enforce.as_ref().ok_or(IamError::NothingToWrite),
        }
    }

    /// Every identity's policy in one JSON object, by role.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("policy documents are plain JSON") + "\n"
    }
}

/// Why an identity has no policy to print.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IamError {
    #[error("no policy has `remediate.set`: tagwarden writes no tags, so the enforce role needs no policy")]
    NothingToWrite,
    #[error("tagwarden's own identity needs no policy of its own here: without `accounts.role` it reads the account of its own credentials, so grant them the audit policy (and the enforce policy to write)")]
    NoScannerPolicy,
}

/// What the printed policies leave to the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IamWarning {
    /// Types written through the Tagging API whose service's own tag
    /// permission tagwarden does not know.
    UnknownTagPermission(Vec<String>),
}

impl fmt::Display for IamWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IamWarning::UnknownTagPermission(types) => {
                let names: Vec<String> = types.iter().map(|t| format!("`{t}`")).collect();
                write!(f, "warning: the enforce policy lacks the service's own tag and untag permissions for {}: `tag:TagResources` writes through each service as the caller, and tagwarden does not know these services' actions; add them by hand", names.join(", "))
            }
        }
    }
}

/// The policies of every identity, for `policies` as `config` runs them.
pub fn roles(policies: &[Policy], config: &Config) -> Roles {
    let types: BTreeSet<&str> = policies
        .iter()
        .flat_map(|p| p.resource_types.iter().map(String::as_str))
        .collect();
    // Resource Explorer is read only when a type needs it.
    let explorer = config
        .inventory
        .resource_explorer
        .as_ref()
        .filter(|_| types.iter().any(|t| !is_full_discovery(t)));
    let (enforce, warnings) = enforce(policies);
    Roles {
        scanner: scanner(config, explorer),
        audit: audit(&types, config, explorer),
        enforce,
        warnings,
    }
}

/// Every read of a scan of `types` (and of tag on create's reads, when
/// queues are configured), nothing else.
fn audit(types: &BTreeSet<&str>, config: &Config, explorer: Option<&ResourceExplorer>) -> Document {
    let events = !config.daemon.events.queues.is_empty();
    let mut reads: BTreeSet<&'static str> = BTreeSet::new();
    let mgn = config.inventory.mgn.is_some();
    for t in types.iter().filter(|t| mgn || !judged_by_launch(t)) {
        reads.extend(tables::scan_reads(t));
        if events {
            reads.extend(tables::event_reads(t));
        }
    }
    if let Some(re) = explorer.filter(|re| re.scope == ExplorerScope::Account) {
        reads.extend(tables::explorer_reads(re.view.is_some()));
    }
    Document::new(vec![Statement::allow(
        Sid::AuditReadOnly,
        reads,
        Resource::Any,
    )])
}

/// What the policies that remediate write: the keys, the tag access of
/// their types, and the types whose tag permissions tagwarden does not know.
struct Remediated {
    keys: BTreeSet<String>,
    grants: tables::TagAccess,
    unknown: BTreeSet<String>,
}

/// The keys enforcing `policies` writes: every `remediate.set` key.
pub fn written_keys(policies: &[Policy]) -> BTreeSet<String> {
    policies
        .iter()
        .filter_map(|p| p.remediate.as_ref())
        .flat_map(|r| r.set.iter().map(|(k, _)| k.clone()))
        .collect()
}

fn remediated(policies: &[Policy]) -> Remediated {
    let mut out = Remediated {
        keys: written_keys(policies),
        grants: tables::TagAccess::default(),
        unknown: BTreeSet::new(),
    };
    for p in policies {
        if p.remediate.as_ref().is_none_or(|r| r.set.is_empty()) {
            continue;
        }
        for t in &p.resource_types {
            let access = tables::tag_access(t);
            if !access.known {
                out.unknown.insert(t.clone());
            }
            out.grants.write.extend(access.write);
            out.grants.remove.extend(access.remove);
            out.grants.read_back.extend(access.read_back);
            out.grants.replace.extend(access.replace);
        }
    }
    out
}

/// What enforcing the policies that remediate calls, for the types they
/// name: reads without a condition, writes and rollback's removals each
/// limited to the keys `remediate.set` writes, S3's whole-set writes apart.
fn enforce(policies: &[Policy]) -> (Option<Document>, Vec<IamWarning>) {
    let Remediated {
        keys,
        grants,
        unknown,
    } = remediated(policies);
    if keys.is_empty() {
        return (None, Vec::new());
    }
    let keys: Vec<String> = keys.into_iter().collect();
    // MGN's launch settings take no `aws:TagKeys`: a statement of their own.
    let launch: BTreeSet<&str> = grants
        .write
        .iter()
        .chain(&grants.remove)
        .copied()
        .filter(|a| a.starts_with("mgn:"))
        .collect();
    // A service whose tag actions do more than tag (API Gateway's HTTP
    // verbs) has them granted on its tags' paths only.
    let scope = |a: &str| {
        catalogue::service(a.split(':').next().unwrap_or_default()).and_then(|s| s.tag_resource)
    };
    let tags_only = |actions: &[&'static str], scoped: bool| -> Vec<&'static str> {
        actions
            .iter()
            .copied()
            .filter(|a| !a.starts_with("mgn:") && scope(a).is_some() == scoped)
            .collect()
    };
    let paths: BTreeSet<String> = grants
        .write
        .iter()
        .chain(&grants.remove)
        .filter_map(|a| scope(a))
        .map(str::to_string)
        .collect();
    let paths = Resource::Arns(paths.into_iter().collect());
    let statements = [
        Statement::allow(Sid::ReadTagsBack, grants.read_back, Resource::Any),
        Statement::allow(
            Sid::WriteTagKeys,
            tags_only(&grants.write, false),
            Resource::Any,
        )
        .when(Condition::TagKeys(keys.clone())),
        Statement::allow(
            Sid::RemoveTagKeys,
            tags_only(&grants.remove, false),
            Resource::Any,
        )
        .when(Condition::TagKeys(keys.clone())),
        Statement::allow(
            Sid::WriteTagKeysOnTagPaths,
            tags_only(&grants.write, true),
            paths.clone(),
        )
        .when(Condition::TagKeys(keys.clone())),
        Statement::allow(
            Sid::RemoveTagKeysOnTagPaths,
            tags_only(&grants.remove, true),
            paths,
        )
        .when(Condition::TagKeys(keys)),
        Statement::allow(Sid::ReplaceBucketTagSets, grants.replace, Resource::Any),
        Statement::allow(Sid::WriteLaunchSettings, launch, Resource::Any),
    ];
    let statements = statements
        .into_iter()
        .filter(|s| !s.action.is_empty())
        .collect();
    let warnings = if unknown.is_empty() {
        Vec::new()
    } else {
        vec![IamWarning::UnknownTagPermission(
            unknown.into_iter().collect(),
        )]
    };
    (Some(Document::new(statements)), warnings)
}

/// What tagwarden's own identity calls: the member roles (in the
/// organization's accounts only), the organization's accounts, its
/// Resource Explorer view, the event queues, Cost Explorer.
fn scanner(config: &Config, explorer: Option<&ResourceExplorer>) -> Option<Document> {
    let mut statements = Vec::new();
    let region = config.regions.first().map_or("us-east-1", String::as_str);
    if let Some(role) = &config.accounts.role {
        let arn = format!("arn:{}:iam::*:role/{role}", partition_of(region));
        statements.push(
            Statement::allow(
                Sid::AssumeMemberRole,
                ["sts:AssumeRole"],
                Resource::Arns(vec![arn]),
            )
            .when(Condition::InOrganization),
        );
    }
    if config.accounts.discover_organizations {
        statements.push(Statement::allow(
            Sid::DiscoverAccounts,
            ["organizations:ListAccounts"],
            Resource::Any,
        ));
    }
    if let Some(re) = explorer.filter(|re| re.scope == ExplorerScope::Organization) {
        statements.push(Statement::allow(
            Sid::ReadOrganizationView,
            tables::explorer_reads(re.view.is_some()),
            Resource::Any,
        ));
    }
    if config
        .inventory
        .mgn
        .is_some_and(|m| m.scope == crate::config::MgnScope::Organization)
    {
        statements.push(Statement::allow(
            Sid::ReadMgnGlobalView,
            [
                "mgn:ListManagedAccounts",
                "mgn:ListWaves",
                "mgn:ListApplications",
                "mgn:DescribeSourceServers",
                "mgn:GetLaunchConfiguration",
            ],
            Resource::Any,
        ));
    }
    let queues = &config.daemon.events.queues;
    if !queues.is_empty() {
        // The batch calls tagwarden makes are authorized by these actions.
        let actions = [
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:ChangeMessageVisibility",
        ];
        let arns: BTreeSet<String> = queues.iter().map(|q| queue_arn(q)).collect();
        statements.push(Statement::allow(
            Sid::ConsumeEvents,
            actions,
            Resource::Arns(arns.into_iter().collect()),
        ));
    }
    if config.map.start.is_some() {
        statements.push(Statement::allow(
            Sid::ReadCredits,
            ["ce:GetCostAndUsage", "ce:ListCostAllocationTags"],
            Resource::Any,
        ));
    }
    (!statements.is_empty()).then(|| Document::new(statements))
}
