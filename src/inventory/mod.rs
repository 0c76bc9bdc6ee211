//! Inventory: every resource of the policies' types in one account, across
//! regions, concurrently. Service APIs find never-tagged resources (EC2, RDS,
//! S3); Resource Explorer, when configured, every other type (never-tagged
//! ones too); without it the Tagging API lists the other types (tagged
//! ones only). The Tagging API also gives S3 tags.

pub mod ec2;
pub mod explorer;
pub mod launchers;
pub mod mgn;
pub mod rds;
pub mod s3;
pub mod tagging;

use crate::aws::{AccountSession, Api, AwsError};
use crate::progress::Bar;
use futures::future::{join_all, BoxFuture};
use std::collections::{BTreeSet, HashMap, HashSet};
use tagwarden_core::resource::is_full_discovery;
use tagwarden_core::ScanError;
use tagwarden_core::{Arn, Resource, Tags};

pub(crate) fn to_chrono(t: &aws_smithy_types::DateTime) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::from_timestamp(t.secs(), t.subsec_nanos())
}

/// The resource types to look for: those the loaded policies name.
#[derive(Debug, Clone, Default)]
pub struct TypeSet {
    types: BTreeSet<String>,
    /// Resource Explorer finds the types tagwarden does not list itself.
    explorer: bool,
}

impl TypeSet {
    pub fn new(types: impl IntoIterator<Item = String>) -> TypeSet {
        TypeSet {
            types: types.into_iter().collect(),
            explorer: false,
        }
    }

    /// The types not listed natively come from Resource Explorer.
    pub fn with_explorer(mut self, on: bool) -> TypeSet {
        self.explorer = on;
        self
    }

    pub fn any(&self) -> bool {
        !self.types.is_empty()
    }

    pub fn has(&self, t: &str) -> bool {
        self.types.contains(t)
    }

    /// The types Resource Explorer finds (none when it is not configured).
    pub fn explored(&self) -> Vec<String> {
        if self.explorer {
            tagwarden_core::explorer::explored_types(self.types.iter().map(String::as_str))
        } else {
            Vec::new()
        }
    }

    /// Tagging API type filters: `s3` for bucket tags, and, without
    /// Resource Explorer, every type only the Tagging API can see. SNS
    /// topics and SQS queues are filtered by service: their ARNs name no
    /// type.
    pub fn tagging_filters(&self) -> Vec<String> {
        let mut f: Vec<String> = Vec::new();
        if self.has("s3:bucket") {
            f.push("s3".into());
        }
        if !self.explorer {
            f.extend(self.types.iter().filter(|t| !is_full_discovery(t)).map(
                |t| match t.as_str() {
                    "sns:topic" => "sns".to_string(),
                    "sqs:queue" => "sqs".to_string(),
                    _ => t.clone(),
                },
            ));
        }
        f
    }
}

/// What Resource Explorer gives an account's scan.
pub enum Explored<'a> {
    /// Not configured: the Tagging API lists the other types.
    Off,
    /// The organization view, read once for the scan: this account's share.
    Listed(Vec<tagwarden_core::explorer::Listed>),
    /// The organization view could not be read: the scan says so once.
    Failed,
    /// The account's own view, through its role (`scope: account`).
    Own {
        config: &'a tagwarden_core::config::ResourceExplorer,
        filters: &'a [String],
    },
}

#[derive(Debug, Default)]
pub struct AccountScan {
    pub resources: Vec<Resource>,
    pub errors: Vec<ScanError>,
    /// Resources Resource Explorer listed, and those whose indexed tags
    /// had changed since.
    pub explored: usize,
    pub stale: usize,
    /// Listed, but deleted since Resource Explorer indexed them.
    pub gone: usize,
    /// MGN's waves, applications, servers and templates, when read.
    pub mgn: Option<tagwarden_core::mgn::Estate>,
}

struct RegionScan {
    region: String,
    resources: Vec<Resource>,
    tagged: Option<Result<HashMap<Arn, Tags>, AwsError>>,
    errors: Vec<ScanError>,
}

/// Scan one account in every region. Failures are recorded per region and
/// API; what could be read is still returned.
pub async fn scan_account(
    api: &Api,
    session: &AccountSession,
    regions: &[String],
    types: &TypeSet,
    explored: Explored<'_>,
    bars: &[Bar],
) -> AccountScan {
    let account = session.account.as_str();
    let region_scans = join_all(
        regions
            .iter()
            .zip(bars)
            .map(|(r, bar)| scan_region(api, session, r, types, bar)),
    );
    let bucket_listing = async {
        match (types.has("s3:bucket"), regions.first()) {
            (true, Some(first)) => Some(s3::buckets(api, &session.s3(first), account, first).await),
            _ => None,
        }
    };
    let explorer = explore(api, session, regions, types, explored);
    let (region_scans, buckets, found) = tokio::join!(region_scans, bucket_listing, explorer);

    let mut scan = AccountScan {
        explored: found.listed,
        stale: found.stale,
        gone: found.gone,
        errors: found.errors,
        resources: found.resources,
        mgn: None,
    };
    for rs in &region_scans {
        scan.resources.extend(rs.resources.iter().cloned());
        scan.errors.extend(rs.errors.iter().cloned());
    }
    if !types.explorer {
        scan.resources
            .extend(tagging_only(account, types, &region_scans));
    }
    if types.has(tagwarden_core::resource::ECS_SERVICE) {
        launchers::ecs_services(api, session, &mut scan.resources).await;
    }
    match buckets {
        None => {}
        Some(Err(e)) => scan.errors.push(ScanError::global(account, e.to_string())),
        Some(Ok(buckets)) => {
            scan.resources
                .extend(with_tags(account, regions, buckets, &region_scans))
        }
    }
    scan
}

/// The resources Resource Explorer finds in the account, with current tags.
async fn explore(
    api: &Api,
    session: &AccountSession,
    regions: &[String],
    types: &TypeSet,
    explored: Explored<'_>,
) -> explorer::Found {
    let listed = match explored {
        Explored::Off | Explored::Failed => return explorer::Found::default(),
        Explored::Listed(listed) => listed,
        Explored::Own { config, filters } => {
            let client = session.resource_explorer(&config.region);
            let reader = explorer::Reader {
                api,
                client: &client,
                account: &session.account,
                member: true,
                config,
            };
            let read = match reader.view().await {
                Ok(view) => reader.list(&view, filters).await,
                Err(e) => Err(e),
            };
            match read {
                Ok(listed) => listed,
                Err(e) => {
                    tracing::warn!(account = %session.account, error = %e, "Resource Explorer cannot be read");
                    let error = ScanError::types(
                        tagwarden_core::scan::AccountScope::of(&session.account),
                        types.explored(),
                        e.to_string(),
                    );
                    return explorer::Found {
                        errors: vec![error],
                        ..explorer::Found::default()
                    };
                }
            }
        }
    };
    let wanted = types.explored();
    let listed = listed
        .into_iter()
        .filter(|l| wanted.contains(&l.resource_type))
        .collect();
    explorer::with_current_tags(api, session, regions, listed).await
}

/// Resources of the types only the Tagging API sees; global ones may come
/// back from several regions, so each ARN is kept once.
fn tagging_only(account: &str, types: &TypeSet, scans: &[RegionScan]) -> Vec<Resource> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for rs in scans {
        let Some(Ok(map)) = &rs.tagged else { continue };
        for (arn, tags) in map {
            let ty = arn.resource_type();
            if is_full_discovery(&ty) || !types.has(&ty) || !seen.insert(arn.clone()) {
                continue;
            }
            let region = arn.region().unwrap_or(&rs.region);
            let mut r = Resource::new(arn.clone(), account, region, &ty);
            r.tags = tags.clone();
            out.push(r);
        }
    }
    out
}

/// The account's buckets in the scanned regions, with their tags from the
/// Tagging API's answers, or `unknown` where it failed in their region.
fn with_tags(
    account: &str,
    regions: &[String],
    buckets: Vec<s3::Bucket>,
    scans: &[RegionScan],
) -> Vec<Resource> {
    let answer = |region: &str| {
        scans
            .iter()
            .find(|rs| rs.region == region)
            .and_then(|rs| rs.tagged.as_ref())
    };
    buckets
        .into_iter()
        .filter(|b| regions.contains(&b.region))
        .filter_map(|b| {
            let arn = b.arn()?;
            let mut r = Resource::new(arn.clone(), account, &b.region, "s3:bucket");
            r.created_at = b.created_at;
            // AWS answers a bucket's tags in its own region (moto in every
            // region): any region's answer will do.
            let found = scans.iter().find_map(|rs| match &rs.tagged {
                Some(Ok(map)) => map.get(&arn),
                _ => None,
            });
            if let Some(tags) = found {
                r.tags = tags.clone();
            } else if let Some(Err(e)) = answer(&b.region) {
                r.tags_unreadable = Some(format!("the Tagging API failed in {}: {e}", b.region));
            }
            Some(r)
        })
        .collect()
}

/// The listings of the types tagwarden reads through their own service.
fn native_listings<'a>(
    api: &'a Api,
    session: &'a AccountSession,
    ec2: &'a aws_sdk_ec2::Client,
    rds: &'a aws_sdk_rds::Client,
    region: &'a str,
    types: &TypeSet,
) -> Vec<BoxFuture<'a, Result<Vec<Resource>, AwsError>>> {
    let account = session.account.as_str();
    let mut jobs: Vec<BoxFuture<'a, Result<Vec<Resource>, AwsError>>> = Vec::new();
    if types.has("ec2:instance") {
        jobs.push(Box::pin(ec2::instances(api, ec2, account, region, &[])));
    }
    if types.has("ec2:volume") {
        jobs.push(Box::pin(ec2::volumes(api, ec2, account, region, &[])));
    }
    if types.has("ec2:snapshot") {
        jobs.push(Box::pin(ec2::snapshots(api, ec2, account, region, &[])));
    }
    if types.has("ec2:image") {
        jobs.push(Box::pin(ec2::images(api, ec2, account, region, &[])));
    }
    if types.has("rds:db") {
        jobs.push(Box::pin(rds::databases(api, rds, account, region)));
    }
    if types.has("rds:cluster") {
        jobs.push(Box::pin(rds::clusters(api, rds, account, region)));
    }
    if types.has(tagwarden_core::resource::AUTO_SCALING_GROUP) {
        jobs.push(Box::pin(launchers::auto_scaling_groups(
            api, session, region, None,
        )));
    }
    jobs
}

async fn scan_region(
    api: &Api,
    session: &AccountSession,
    region: &str,
    types: &TypeSet,
    bar: &Bar,
) -> RegionScan {
    let account = session.account.as_str();
    let ec2 = session.ec2(region);
    let rds = session.rds(region);
    let tagging_client = session.tagging(region);
    let jobs = native_listings(api, session, &ec2, &rds, region, types);
    let filters = types.tagging_filters();
    let tagged = async {
        if filters.is_empty() {
            None
        } else {
            Some(tagging::tagged_resources(api, &tagging_client, account, region, &filters).await)
        }
    };
    let jobs = join_all(jobs.into_iter().map(|job| async {
        let out = job.await;
        if let Ok(found) = &out {
            bar.add(found.len());
        }
        out
    }));
    let (results, tagged) = tokio::join!(jobs, tagged);
    let mut scan = RegionScan {
        region: region.to_string(),
        resources: Vec::new(),
        tagged,
        errors: Vec::new(),
    };
    for result in results {
        match result {
            Ok(found) => scan.resources.extend(found),
            Err(e) => {
                tracing::warn!(account, region, error = %e, "could not list resources");
                scan.errors
                    .push(ScanError::region(account, region, e.to_string()));
            }
        }
    }
    if let Some(Err(e)) = &scan.tagged {
        tracing::warn!(account, region, error = %e, "could not read tags through the Tagging API");
        scan.errors
            .push(ScanError::region(account, region, e.to_string()));
    }
    bar.finish(&scan.errors);
    scan
}
