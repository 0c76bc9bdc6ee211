//! AWS Resource Explorer: every resource of the policies' types that
//! tagwarden does not list itself (Lambda functions, load balancers,
//! tables …), never-tagged ones included. First the set-up is checked (an
//! index, a view, the view's `tags` property), then `ListResources` is read
//! to its last page for each filter string (`tagwarden_core::explorer`).
//! Its tags can be minutes old: `current` reads them again from the Tagging
//! API before anything is evaluated.

use super::tagging;
use crate::aws::{all_pages, AccountSession, Api, AwsError, Quota, Zone};
use aws_sdk_resourceexplorer2::Client;
use aws_smithy_types::Document;
use futures::future::join_all;
use std::collections::BTreeMap;
use tagwarden_core::config::{ExplorerScope, ResourceExplorer};
use tagwarden_core::explorer::stale_tags;
use tagwarden_core::explorer::{Listed, SetupProblem};
use tagwarden_core::{Arn, Resource, ScanError};

/// Why Resource Explorer could not be read.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ExplorerError {
    #[error("{0}")]
    Setup(SetupProblem),
    #[error("Resource Explorer: {0}")]
    Aws(AwsError),
}

/// Where a reading happens: whose quota, which account (for messages).
#[derive(Clone, Copy)]
pub struct Reader<'a> {
    pub api: &'a Api,
    pub client: &'a Client,
    /// The account whose view is read (the caller's for an organization
    /// view, else the member account).
    pub account: &'a str,
    /// Read through the member account's role (`scope: account`), not
    /// with the caller's own credentials.
    pub member: bool,
    pub config: &'a ResourceExplorer,
}

impl Reader<'_> {
    fn quota(&self) -> Quota<'_> {
        let zone = Zone::Region(&self.config.region);
        if self.member {
            Quota::Account(self.account, zone)
        } else {
            Quota::Caller(zone)
        }
    }

    /// The view to read, once the index, the view and its `tags` property
    /// are there.
    pub async fn view(&self) -> Result<String, ExplorerError> {
        self.check_index().await?;
        let arn = match &self.config.view {
            Some(v) => v.to_string(),
            None => self.default_view().await?,
        };
        self.check_view(&arn).await?;
        Ok(arn)
    }

    async fn check_index(&self) -> Result<(), ExplorerError> {
        let c = self.client;
        let index = self
            .api
            .call(self.quota(), "resource-explorer-2:GetIndex", || {
                c.get_index().send()
            })
            .await
            .map_err(|e| self.problem(e, "GetIndex", None))?;
        let aggregator = index.r#type().is_some_and(|t| t.as_str() == "AGGREGATOR");
        if self.config.scope == ExplorerScope::Organization && !aggregator {
            return Err(ExplorerError::Setup(SetupProblem::NotAggregator {
                account: self.account.to_string(),
                region: self.config.region.clone(),
            }));
        }
        Ok(())
    }

    async fn default_view(&self) -> Result<String, ExplorerError> {
        let c = self.client;
        let out = self
            .api
            .call(self.quota(), "resource-explorer-2:GetDefaultView", || {
                c.get_default_view().send()
            })
            .await
            .map_err(|e| self.problem(e, "GetDefaultView", None))?;
        out.view_arn()
            .filter(|v| !v.is_empty())
            .map(str::to_string)
            .ok_or_else(|| {
                ExplorerError::Setup(SetupProblem::NoDefaultView {
                    account: self.account.to_string(),
                    region: self.config.region.clone(),
                })
            })
    }

    async fn check_view(&self, arn: &str) -> Result<(), ExplorerError> {
        let c = self.client;
        let out = self
            .api
            .call(self.quota(), "resource-explorer-2:GetView", || {
                c.get_view().view_arn(arn).send()
            })
            .await
            .map_err(|e| self.problem(e, "GetView", Some(arn)))?;
        let view = out.view();
        let tags = view
            .map(|v| v.included_properties().iter().any(|p| p.name() == "tags"))
            .unwrap_or(false);
        if !tags {
            return Err(ExplorerError::Setup(SetupProblem::NoTags {
                view: arn.to_string(),
            }));
        }
        // An organization view's scope is the organization or an OU of it.
        let scope = view.and_then(|v| v.scope()).unwrap_or_default();
        if self.config.scope == ExplorerScope::Organization && !scope.contains(":organizations::") {
            return Err(ExplorerError::Setup(SetupProblem::NotOrganizationView {
                view: arn.to_string(),
                scope: scope.to_string(),
            }));
        }
        Ok(())
    }

    /// Every resource of `view` matching each filter string, every page.
    pub async fn list(&self, view: &str, filters: &[String]) -> Result<Vec<Listed>, ExplorerError> {
        let mut out = Vec::new();
        for filter in filters {
            out.extend(self.list_one(view, filter).await?);
        }
        Ok(out)
    }

    async fn list_one(&self, view: &str, filter: &str) -> Result<Vec<Listed>, ExplorerError> {
        let page_size = self.api.page_size(1000, 1);
        let c = self.client;
        let pages = all_pages(|token| async move {
            let page = self
                .api
                .call(self.quota(), "resource-explorer-2:ListResources", || {
                    c.list_resources()
                        .view_arn(view)
                        .filters(
                            aws_sdk_resourceexplorer2::types::SearchFilter::builder()
                                .filter_string(filter)
                                .build()
                                .expect("a filter string is set"),
                        )
                        .max_results(page_size)
                        .set_next_token(token.clone())
                        .send()
                })
                .await?;
            let listed: Vec<Listed> = page.resources().iter().filter_map(listed).collect();
            Ok((listed, page.next_token().map(str::to_string)))
        })
        .await;
        pages.map_err(|e| self.problem(e, "ListResources", Some(view)))
    }

    /// A failed request as what to do about it.
    fn problem(&self, e: AwsError, operation: &str, view: Option<&str>) -> ExplorerError {
        let account = self.account.to_string();
        let message = e.message.clone();
        let problem = match e.code.as_deref() {
            Some("AccessDeniedException") => SetupProblem::AccessDenied {
                account,
                operation: operation.to_string(),
                message,
            },
            Some("ResourceNotFoundException") if operation == "GetIndex" => SetupProblem::NoIndex {
                account,
                region: self.config.region.clone(),
            },
            Some("ResourceNotFoundException") => SetupProblem::NoView {
                account,
                view: view.unwrap_or_default().to_string(),
            },
            Some("UnauthorizedException") => SetupProblem::Unauthorized {
                account,
                view: view.unwrap_or("(the default view)").to_string(),
                message,
            },
            _ => return ExplorerError::Aws(e),
        };
        ExplorerError::Setup(problem)
    }
}

/// One `Resources` entry; one tagwarden cannot read is logged and left out.
fn listed(r: &aws_sdk_resourceexplorer2::types::Resource) -> Option<Listed> {
    let tags = r
        .properties()
        .iter()
        .find(|p| p.name() == Some("tags"))
        .and_then(|p| p.data())
        .map(json_of);
    // A view with tags lists a never-tagged resource with no `tags`
    // property, or an empty one: no tags.
    let tags = tags.or(Some(serde_json::Value::Array(Vec::new())));
    match Listed::of(
        r.arn(),
        r.owning_account_id(),
        r.region(),
        r.resource_type(),
        tags.as_ref(),
    ) {
        Ok(l) => Some(l),
        Err(e) => {
            tracing::warn!(error = %e, "Resource Explorer listed a resource tagwarden cannot read: left out");
            None
        }
    }
}

/// A Smithy document as JSON.
fn json_of(d: &Document) -> serde_json::Value {
    use serde_json::Value;
    match d {
        Document::Object(m) => {
            Value::Object(m.iter().map(|(k, v)| (k.clone(), json_of(v))).collect())
        }
        Document::Array(a) => Value::Array(a.iter().map(json_of).collect()),
        Document::Number(n) => match *n {
            aws_smithy_types::Number::PosInt(i) => Value::from(i),
            aws_smithy_types::Number::NegInt(i) => Value::from(i),
            aws_smithy_types::Number::Float(f) => Value::from(f),
        },
        Document::String(s) => Value::String(s.clone()),
        Document::Bool(b) => Value::Bool(*b),
        Document::Null => Value::Null,
    }
}

/// This account's listed resources, with their current tags from the
/// Tagging API (one `GetResources` per 100 ARNs and region), in the scanned
/// regions. A region whose tags cannot be read leaves its resources
/// `unknown` and is an error; indexed tags that changed since are counted.
pub async fn with_current_tags(
    api: &Api,
    session: &AccountSession,
    regions: &[String],
    listed: Vec<Listed>,
) -> Found {
    let account = session.account.as_str();
    let mut by_region: BTreeMap<String, Vec<Listed>> = BTreeMap::new();
    for l in listed.into_iter().filter(|l| regions.contains(&l.region)) {
        by_region.entry(l.region.clone()).or_default().push(l);
    }
    let reads = by_region.into_iter().map(|(region, listed)| async move {
        let client = session.tagging(&region);
        let arns: Vec<&Arn> = listed.iter().map(|l| &l.arn).collect();
        let read = tagging::tags_by_arn(api, &client, account, &region, &arns).await;
        (region, listed, read)
    });
    let mut found = Found::default();
    for (region, listed, read) in join_all(reads).await {
        let mut failed = None;
        for (l, (_, tags)) in listed.into_iter().zip(read) {
            found.listed += 1;
            let mut r = Resource::new(l.arn, account, &region, &l.resource_type);
            match tags {
                Ok(None) if gone(&l.tags) => {
                    found.gone += 1;
                    continue;
                }
                Ok(current) => {
                    r.tags = current.unwrap_or_default();
                    found.stale += stale_tags([(&l.tags, &r.tags)]);
                }
                Err(e) => {
                    r.tags_unreadable = Some(format!("the Tagging API failed in {region}: {e}"));
                    failed = Some(e);
                }
            }
            found.resources.push(r);
        }
        if let Some(e) = failed {
            found
                .errors
                .push(ScanError::region(account, &region, e.to_string()));
        }
    }
    found
}

/// What Resource Explorer gave one account: its resources with current
/// tags, errors, and counts for the report.
#[derive(Debug, Default)]
pub struct Found {
    pub resources: Vec<Resource>,
    pub errors: Vec<ScanError>,
    pub listed: usize,
    /// Listed with indexed tags that differ from the current ones.
    pub stale: usize,
    /// Listed with tags, but no longer known to the Tagging API: deleted
    /// since Resource Explorer indexed them.
    pub gone: usize,
}

/// A resource the Tagging API does not return has no tags, unless Resource
/// Explorer indexed it with tags: the Tagging API answers for every
/// resource that was ever tagged (with no tags once they are all removed),
/// so one it no longer knows was deleted since. (A never-tagged resource
/// deleted since it was indexed cannot be told from one still there; a
/// write to it fails, and is journaled as failed.)
fn gone(indexed: &Option<tagwarden_core::Tags>) -> bool {
    indexed.as_ref().is_some_and(|t| !t.is_empty())
}
