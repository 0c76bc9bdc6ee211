//! IAM policy documents as AWS reads them: `Version`, then statements of
//! `Sid`, `Effect`, `Action`, `Resource` and `Condition`, in that order,
//! with every list sorted, so that the same policies always print the same
//! text.

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use std::collections::BTreeSet;

/// The policy language version every document uses.
pub const VERSION: &str = "2012-10-17";

/// The placeholder for the organization id in the scanner's policy: the
/// configuration does not know it (`o-…`, `aws organizations
/// describe-organization`).
pub const ORGANIZATION_ID: &str = "ORGANIZATION_ID";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Document {
    #[serde(rename = "Version")]
    pub version: &'static str,
    #[serde(rename = "Statement")]
    pub statements: Vec<Statement>,
}

impl Document {
    pub fn new(statements: Vec<Statement>) -> Document {
        Document {
            version: VERSION,
            statements,
        }
    }

    /// Pretty JSON, ending with a newline: what `policy iam` prints and
    /// `deploy/iam/*.json` hold.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a policy document is plain JSON") + "\n"
    }

    /// The statement named `sid`.
    pub fn statement(&self, sid: Sid) -> Option<&Statement> {
        self.statements.iter().find(|s| s.sid == sid)
    }

    /// Every action of every statement.
    pub fn actions(&self) -> BTreeSet<&'static str> {
        self.statements
            .iter()
            .flat_map(|s| s.action.iter().copied())
            .collect()
    }
}

/// One `Allow` statement (tagwarden's roles deny nothing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Statement {
    pub sid: Sid,
    pub effect: Effect,
    /// Sorted, each once.
    pub action: Vec<&'static str>,
    pub resource: Resource,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<Condition>,
}

impl Statement {
    pub fn allow(
        sid: Sid,
        actions: impl IntoIterator<Item = &'static str>,
        resource: Resource,
    ) -> Statement {
        let action: BTreeSet<&'static str> = actions.into_iter().collect();
        Statement {
            sid,
            effect: Effect::Allow,
            action: action.into_iter().collect(),
            resource,
            condition: None,
        }
    }

    pub fn when(mut self, condition: Condition) -> Statement {
        self.condition = Some(condition);
        self
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Effect {
    Allow,
}

/// What each statement is for; its name in the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sid {
    /// Scanner: `sts:AssumeRole` into the member role.
    AssumeMemberRole,
    /// Scanner: `organizations:ListAccounts` (`accounts.discover`).
    DiscoverAccounts,
    /// Scanner: the organization's Resource Explorer view.
    ReadOrganizationView,
    /// Scanner: the tag-on-create queues (`daemon.events.queues`).
    ConsumeEvents,
    /// Scanner: Cost Explorer, for credits (`map.agreement`).
    ReadCredits,
    /// Audit role: every read of a scan.
    AuditReadOnly,
    /// Enforce role: the reads that check a write before and after it.
    ReadTagsBack,
    /// Enforce role: tag writes, only of the keys `remediate.set` writes.
    WriteTagKeys,
    /// Enforce role: the removals rollback makes, only of those keys.
    RemoveTagKeys,
    /// Enforce role: tag writes of a service whose tag actions do more
    /// than tag (API Gateway's `PUT`), on its tags' paths only.
    WriteTagKeysOnTagPaths,
    /// Enforce role: the removals rollback makes there (`DELETE`).
    RemoveTagKeysOnTagPaths,
    /// Enforce role: S3 `PutBucketTagging`, which replaces a bucket's
    /// whole tag set and so cannot be narrowed to keys.
    ReplaceBucketTagSets,
    /// Enforce role: MGN launch settings (MAP auto-tagging), which MGN
    /// does not authorize by `aws:TagKeys`.
    WriteLaunchSettings,
    /// Scanner: MGN's global view (`inventory.mgn.scope: organization`).
    ReadMgnGlobalView,
}

impl Sid {
    pub fn as_str(self) -> &'static str {
        match self {
            Sid::AssumeMemberRole => "AssumeTheAuditRoleInEveryAccount",
            Sid::DiscoverAccounts => "DiscoverOrganizationAccounts",
            Sid::ReadOrganizationView => "ReadTheOrganizationResourceExplorerView",
            Sid::ConsumeEvents => "ConsumeTagOnCreateEvents",
            Sid::ReadCredits => "ReadCostExplorerForCredits",
            Sid::AuditReadOnly => "TagwardenAuditReadOnly",
            Sid::ReadTagsBack => "TagwardenEnforceReadsTags",
            Sid::WriteTagKeys => "TagwardenEnforceTagWrites",
            Sid::RemoveTagKeys => "TagwardenRollbackTagRemovals",
            Sid::WriteTagKeysOnTagPaths => "TagwardenEnforceTagWritesOnTagPaths",
            Sid::RemoveTagKeysOnTagPaths => "TagwardenRollbackTagRemovalsOnTagPaths",
            Sid::ReplaceBucketTagSets => "TagwardenEnforceBucketTagSets",
            Sid::WriteLaunchSettings => "TagwardenEnforceMgnLaunchSettings",
            Sid::ReadMgnGlobalView => "ReadTheMgnGlobalView",
        }
    }
}

impl Serialize for Sid {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// `*`, or the ARNs a statement is limited to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    Any,
    Arns(Vec<String>),
}

impl Serialize for Resource {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Resource::Any => s.serialize_str("*"),
            Resource::Arns(arns) if arns.len() == 1 => s.serialize_str(&arns[0]),
            Resource::Arns(arns) => arns.serialize(s),
        }
    }
}

/// The conditions tagwarden's statements carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// `ForAllValues:StringEquals` on `aws:TagKeys`: every key the request
    /// writes or removes is one of these (sorted). A request whose action
    /// has no `aws:TagKeys` passes (AWS evaluates `ForAllValues` over an
    /// absent key as true): deploy/iam/README.md lists those actions.
    TagKeys(Vec<String>),
    /// `StringEquals` on `aws:ResourceOrgID`: only roles in the
    /// organization's accounts (the id is a placeholder to replace).
    InOrganization,
}

impl Serialize for Condition {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut outer = s.serialize_map(Some(1))?;
        match self {
            Condition::TagKeys(keys) => {
                outer.serialize_entry("ForAllValues:StringEquals", &One("aws:TagKeys", keys))?
            }
            Condition::InOrganization => outer
                .serialize_entry("StringEquals", &One("aws:ResourceOrgID", &ORGANIZATION_ID))?,
        }
        outer.end()
    }
}

/// A map of one key to one value.
struct One<'a, V: Serialize>(&'a str, &'a V);

impl<V: Serialize> Serialize for One<'_, V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(1))?;
        map.serialize_entry(self.0, self.1)?;
        map.end()
    }
}
