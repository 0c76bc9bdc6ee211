//! `inventory:`: how resources are found beyond the services tagwarden lists
//! itself. `inventory.resource_explorer` turns on AWS Resource Explorer,
//! which finds every resource of the policies' other types, never-tagged
//! ones included (the Tagging API sees only resources that are or were
//! tagged).

use super::{key, Checker};
use crate::arn::Arn;
use serde::Deserialize;

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct InventorySpec {
    #[serde(default)]
    resource_explorer: Option<ResourceExplorerSpec>,
    #[serde(default)]
    mgn: Option<MgnSpec>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct MgnSpec {
    #[serde(default)]
    scope: Option<String>,
}

/// Whose MGN is read (`inventory.mgn.scope`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MgnScope {
    /// MGN in each scanned account and region, through its role.
    #[default]
    Account,
    /// MGN's global view: the credentials' own account (the management or
    /// MGN delegated administrator account) reads each managed account
    /// with `accountID`.
    Organization,
}

impl MgnScope {
    pub fn label(self) -> &'static str {
        match self {
            MgnScope::Account => "account",
            MgnScope::Organization => "organization",
        }
    }
}

/// `inventory.mgn`: read MGN's waves, applications, source servers and
/// launch settings in the configured regions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Mgn {
    pub scope: MgnScope,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResourceExplorerSpec {
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    view: Option<String>,
    #[serde(default)]
    scope: Option<String>,
}

/// Whose view lists the resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExplorerScope {
    /// One multi-account view in the credentials' own account (the
    /// management account's or a delegated administrator's), read once per
    /// scan; each resource belongs to its `OwningAccountId`.
    #[default]
    Organization,
    /// A view in each member account, read through its role.
    Account,
}

impl ExplorerScope {
    pub fn label(self) -> &'static str {
        match self {
            ExplorerScope::Organization => "organization",
            ExplorerScope::Account => "account",
        }
    }
}

/// `inventory.resource_explorer`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceExplorer {
    /// The region of the (aggregator) index the view belongs to.
    pub region: String,
    /// The view to read; None: the region's default view.
    pub view: Option<Arn>,
    pub scope: ExplorerScope,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InventoryConfig {
    pub resource_explorer: Option<ResourceExplorer>,
    pub mgn: Option<Mgn>,
}

impl Checker<'_> {
    pub(super) fn inventory(&mut self, spec: InventorySpec) -> InventoryConfig {
        InventoryConfig {
            mgn: spec.mgn.map(|m| self.mgn(m)),
            resource_explorer: spec.resource_explorer.map(|re| self.resource_explorer(re)),
        }
    }

    fn mgn(&mut self, spec: MgnSpec) -> Mgn {
        let scope = match spec.scope.as_deref() {
            None | Some("account") => MgnScope::Account,
            Some("organization") => MgnScope::Organization,
            Some(other) => {
                self.error(
                    &key(&key(&key(&[], "inventory"), "mgn"), "scope"),
                    format!("unknown scope `{other}`: `account` (MGN in each account, through its role) or `organization` (MGN's global view from the credentials' own account)"),
                );
                MgnScope::Account
            }
        };
        Mgn { scope }
    }

    fn resource_explorer(&mut self, re: ResourceExplorerSpec) -> ResourceExplorer {
        let at = key(&key(&[], "inventory"), "resource_explorer");
        let region = match re.region {
            Some(r) if super::is_region(&r) => r,
            Some(r) => {
                self.error(
                    &key(&at, "region"),
                    format!("`{r}` is not an AWS region name, e.g. `us-east-1`"),
                );
                r
            }
            None => {
                self.error(
                    &at,
                    "`region` is missing: the region of the Resource Explorer index that holds the view, e.g. `region: us-east-1`".into(),
                );
                String::new()
            }
        };
        let view = re
            .view
            .and_then(|v| self.view(&key(&at, "view"), &v, &region));
        let scope = match re.scope.as_deref() {
            None | Some("organization") => ExplorerScope::Organization,
            Some("account") => ExplorerScope::Account,
            Some(other) => {
                self.error(
                    &key(&at, "scope"),
                    format!("unknown scope `{other}`: `organization` (one multi-account view) or `account` (a view in each account)"),
                );
                ExplorerScope::Organization
            }
        };
        ResourceExplorer {
            region,
            view,
            scope,
        }
    }

    fn view(&mut self, at: &[crate::yaml::Seg], text: &str, region: &str) -> Option<Arn> {
        let example =
            "such as arn:aws:resource-explorer-2:us-east-1:111111111111:view/org-view/0b1c…";
        let arn = match Arn::parse(text) {
            Ok(a)
                if a.service() == "resource-explorer-2"
                    && a.resource_type() == "resource-explorer-2:view" =>
            {
                a
            }
            _ => {
                self.error(
                    at,
                    format!("`{text}` is not a Resource Explorer view ARN {example}"),
                );
                return None;
            }
        };
        if arn.region().is_some_and(|r| r != region) && !region.is_empty() {
            self.error(
                at,
                format!(
                    "the view is in {}, but `region` is {region}: a view is read in its own region",
                    arn.region().unwrap_or_default()
                ),
            );
        }
        Some(arn)
    }
}
