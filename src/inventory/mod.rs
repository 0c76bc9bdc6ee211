//! Inventory: every resource of the policies' types in one account, across
//! regions, concurrently. Service APIs find never-tagged resources (EC2, RDS,
//! S3); the Tagging API adds S3 tags and types without their own discovery.

pub mod ec2;
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
pub struct TypeSet(BTreeSet<String>);

impl TypeSet {
    pub fn new(types: impl IntoIterator<Item = String>) -> TypeSet {
        TypeSet(types.into_iter().collect())
    }

    pub fn any(&self) -> bool {
        !self.0.is_empty()
    }

    pub fn has(&self, t: &str) -> bool {
        self.0.contains(t)
    }

    /// Tagging API type filters: `s3` for bucket tags, and every type that
    /// only the Tagging API can see.
    pub fn tagging_filters(&self) -> Vec<String> {
        let mut f: Vec<String> = self
            .0
            .iter()
            .filter(|t| !is_full_discovery(t))
            .cloned()
            .collect();
        if self.has("s3:bucket") {
            f.insert(0, "s3".into());
        }
        f
    }
}

#[derive(Debug, Default)]
pub struct AccountScan {
    pub resources: Vec<Resource>,
    pub errors: Vec<ScanError>,
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
    let (region_scans, buckets) = tokio::join!(region_scans, bucket_listing);

    let mut scan = AccountScan::default();
    for rs in &region_scans {
        scan.resources.extend(rs.resources.iter().cloned());
        scan.errors.extend(rs.errors.iter().cloned());
    }
    scan.resources
        .extend(tagging_only(account, types, &region_scans));
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
    let mut jobs: Vec<BoxFuture<'_, Result<Vec<Resource>, AwsError>>> = Vec::new();
    if types.has("ec2:instance") {
        jobs.push(Box::pin(ec2::instances(api, &ec2, account, region, &[])));
    }
    if types.has("ec2:volume") {
        jobs.push(Box::pin(ec2::volumes(api, &ec2, account, region, &[])));
    }
    if types.has("ec2:snapshot") {
        jobs.push(Box::pin(ec2::snapshots(api, &ec2, account, region, &[])));
    }
    if types.has("ec2:image") {
        jobs.push(Box::pin(ec2::images(api, &ec2, account, region, &[])));
    }
    if types.has("rds:db") {
        jobs.push(Box::pin(rds::databases(api, &rds, account, region)));
    }
    if types.has("rds:cluster") {
        jobs.push(Box::pin(rds::clusters(api, &rds, account, region)));
    }
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
