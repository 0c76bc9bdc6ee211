//! Tag on create: the resources creation events name, read as they are now
//! (the event's request is not the truth: tags may have been added since).
//! EC2 instances, volumes, snapshots and images are described by id, and
//! one not visible yet is simply absent (EC2 is eventually consistent); RDS
//! databases and clusters are described by identifier, and a bucket must be
//! in the account's `ListBuckets` before its tags are read. What these reads
//! do not return is tried again later (and then left to the cycle), never
//! taken as untagged, never written. Auto Scaling groups are described by
//! name. Every other type's tags come from the Tagging API by ARN.

use crate::aws::{AccountSession, Api};
use crate::enforce::write::{s3, Target};
use crate::inventory::{ec2, launchers, rds};
use std::collections::{HashMap, HashSet};
use tagwarden_core::cloudtrail::Created;
use tagwarden_core::resource::AUTO_SCALING_GROUP;
use tagwarden_core::{Arn, Resource};

/// Why a created resource could not be read yet.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Unread {
    #[error("{0} is not visible yet")]
    NotVisible(Arn),
    #[error(transparent)]
    Failed(#[from] crate::aws::AwsError),
    /// Its account could not be entered.
    #[error("{0}")]
    Account(tagwarden_core::ScanError),
    #[error("{0} was not read")]
    Missed(Arn),
}

/// What reading a created resource gave.
#[derive(Debug)]
pub enum Found {
    Now(Resource),
    /// Not visible yet, or its read failed (the reason): try again later.
    NotYet(Unread),
}

/// The resources `created` in one account and region, by ARN. Only what
/// this account's own reads return is evaluated, with the creation time
/// those reads give: an event's ARN and time are claims.
pub async fn read(
    api: &Api,
    session: &AccountSession,
    region: &str,
    created: &[Created],
    named_by_tag_calls: &HashSet<Arn>,
) -> HashMap<Arn, Found> {
    let account = session.account.as_str();
    let mut out = HashMap::new();
    let mut by_type: HashMap<&str, Vec<&Created>> = HashMap::new();
    for c in created {
        let same_type = by_type.entry(c.resource_type).or_default();
        // Two events may name the same resource (a duplicate delivery).
        if !same_type.iter().any(|x| x.arn == c.arn) {
            same_type.push(c);
        }
    }
    for (ty, items) in by_type {
        match ty {
            "rds:db" | "rds:cluster" => {
                let client = session.rds(region);
                for c in items {
                    let one = rds::one(api, &client, account, region, ty, c.arn.id()).await;
                    out.insert(c.arn.clone(), seen(c, one));
                }
            }
            "s3:bucket" => {
                let client = session.s3(region);
                let at = Target {
                    api,
                    account,
                    region,
                };
                for c in items {
                    out.insert(c.arn.clone(), bucket(&at, &client, c).await);
                }
            }
            "ec2:instance" | "ec2:volume" | "ec2:snapshot" | "ec2:image" => {
                let client = session.ec2(region);
                for chunk in items.chunks(200) {
                    out.extend(described(api, &client, account, region, ty, chunk).await);
                }
            }
            AUTO_SCALING_GROUP => {
                for chunk in items.chunks(50) {
                    out.extend(groups(api, session, region, chunk).await);
                }
            }
            _ => out.extend(tagged(api, session, region, &items, named_by_tag_calls).await),
        }
    }
    out
}

/// Every other type's current tags, from the Tagging API by ARN (it
/// returns only resources that are or were tagged: a new one it does not
/// return has no tags yet; one a tag call named had tags, so its absence
/// is not read yet, tried again). Its creation time is unknown, as in a
/// scan, so `scope.created_after` treats it as a scan would.
async fn tagged(
    api: &Api,
    session: &AccountSession,
    region: &str,
    items: &[&Created],
    named_by_tag_calls: &HashSet<Arn>,
) -> Vec<(Arn, Found)> {
    let account = session.account.as_str();
    let client = session.tagging(region);
    let arns: Vec<&Arn> = items.iter().map(|c| &c.arn).collect();
    let read = crate::inventory::tagging::tags_by_arn(api, &client, account, region, &arns).await;
    items
        .iter()
        .zip(read)
        .map(|(c, (_, tags))| {
            let found = match tags {
                Ok(None) if named_by_tag_calls.contains(&c.arn) => {
                    Found::NotYet(Unread::NotVisible(c.arn.clone()))
                }
                Ok(tags) => {
                    let tags = tags.unwrap_or_default();
                    let mut r = Resource::new(c.arn.clone(), account, region, c.resource_type);
                    r.tags = tags;
                    Found::Now(r)
                }
                Err(e) => Found::NotYet(Unread::Failed(e)),
            };
            (c.arn.clone(), found)
        })
        .collect()
}

/// A bucket this account's `ListBuckets` has (its region and creation
/// time from there), with its tags.
async fn bucket(at: &Target<'_>, client: &aws_sdk_s3::Client, c: &Created) -> Found {
    let name = c.arn.id();
    let listed = crate::inventory::s3::bucket(at.api, client, at.account, at.region, name).await;
    let b = match listed {
        Ok(Some(b)) => b,
        Ok(None) => return Found::NotYet(Unread::NotVisible(c.arn.clone())),
        Err(e) => return Found::NotYet(Unread::Failed(e)),
    };
    match s3::tags(at, client, name).await {
        Ok(tags) => {
            let mut r = Resource::new(c.arn.clone(), at.account, &b.region, c.resource_type);
            r.tags = tags;
            r.created_at = b.created_at;
            Found::Now(r)
        }
        Err(e) => Found::NotYet(Unread::Failed(e)),
    }
}

/// Auto Scaling groups, described by name: an event names a group by its
/// name (its ARN holds a UUID no record gives), so each is matched by name
/// and goes on with the ARN AWS answers.
async fn groups(
    api: &Api,
    session: &AccountSession,
    region: &str,
    items: &[&Created],
) -> Vec<(Arn, Found)> {
    let names: Vec<String> = items
        .iter()
        .filter_map(|c| c.arn.auto_scaling_group_name().map(str::to_string))
        .collect();
    // No names: nothing to read (an empty list would describe every group).
    let listed = if names.is_empty() {
        Ok(Vec::new())
    } else {
        launchers::auto_scaling_groups(api, session, region, Some(&names)).await
    };
    items
        .iter()
        .map(|c| {
            let found = match &listed {
                Ok(groups) => groups
                    .iter()
                    .find(|g| {
                        let wanted = c.arn.auto_scaling_group_name();
                        wanted.is_some() && g.arn.auto_scaling_group_name() == wanted
                    })
                    .map_or_else(
                        || Found::NotYet(Unread::NotVisible(c.arn.clone())),
                        |g| Found::Now(g.clone()),
                    ),
                Err(e) => Found::NotYet(Unread::Failed(e.clone())),
            };
            (c.arn.clone(), found)
        })
        .collect()
}

/// What an own-service read by id gave.
fn seen(c: &Created, read: Result<Option<Resource>, crate::aws::AwsError>) -> Found {
    match read {
        Ok(Some(r)) if r.arn == c.arn => Found::Now(r),
        Ok(_) => Found::NotYet(Unread::NotVisible(c.arn.clone())),
        Err(e) => Found::NotYet(Unread::Failed(e)),
    }
}

/// EC2 resources of one type, described by id (200 a request).
async fn described(
    api: &Api,
    client: &aws_sdk_ec2::Client,
    account: &str,
    region: &str,
    ty: &str,
    items: &[&Created],
) -> Vec<(Arn, Found)> {
    let ids: Vec<String> = items.iter().map(|c| c.arn.id().to_string()).collect();
    let listed = match ty {
        "ec2:instance" => ec2::instances(api, client, account, region, &ids).await,
        "ec2:volume" => ec2::volumes(api, client, account, region, &ids).await,
        "ec2:snapshot" => ec2::snapshots(api, client, account, region, &ids).await,
        _ => ec2::images(api, client, account, region, &ids).await,
    };
    match listed {
        Ok(resources) => {
            let mut by_arn: HashMap<Arn, Resource> =
                resources.into_iter().map(|r| (r.arn.clone(), r)).collect();
            items
                .iter()
                .map(|c| {
                    let f = match by_arn.remove(&c.arn) {
                        Some(r) => Found::Now(r),
                        None => Found::NotYet(Unread::NotVisible(c.arn.clone())),
                    };
                    (c.arn.clone(), f)
                })
                .collect()
        }
        Err(e) => items
            .iter()
            .map(|c| (c.arn.clone(), Found::NotYet(Unread::Failed(e.clone()))))
            .collect(),
    }
}
