//! Tag on create: the resources creation events name, read as they are now
//! (the event's request is not the truth: tags may have been added since).
//! EC2 instances, volumes, snapshots and images are described by id, and
//! one not visible yet is simply absent (EC2 is eventually consistent); RDS
//! and S3 tags are read directly, and a resource they do not know yet is an
//! error; then the event is tried again later, never taken as untagged.
//! Every other type's tags come from the Tagging API by ARN.

use crate::aws::{AccountSession, Api};
use crate::enforce::write::{rds, s3, Target};
use crate::inventory::ec2;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use tagwarden_core::cloudtrail::Created;
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

/// The resources `created` in one account and region, by ARN.
pub async fn read(
    api: &Api,
    session: &AccountSession,
    region: &str,
    created: &[Created],
    // Each resource's event time, by ARN (RDS and S3 reads give none).
    created_at: &HashMap<Arn, Option<DateTime<Utc>>>,
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
    let at = Target {
        api,
        account,
        region,
    };
    for (ty, items) in by_type {
        match ty {
            "rds:db" | "rds:cluster" => {
                let client = session.rds(region);
                for c in items {
                    let tags = rds::tags(&at, &client, &c.arn).await;
                    let when = created_at.get(&c.arn).copied().flatten();
                    out.insert(c.arn.clone(), found(account, region, c, tags, when));
                }
            }
            "s3:bucket" => {
                let client = session.s3(region);
                for c in items {
                    let tags = s3::tags(&at, &client, c.arn.id()).await;
                    let when = created_at.get(&c.arn).copied().flatten();
                    out.insert(c.arn.clone(), found(account, region, c, tags, when));
                }
            }
            "ec2:instance" | "ec2:volume" | "ec2:snapshot" | "ec2:image" => {
                let client = session.ec2(region);
                for chunk in items.chunks(200) {
                    out.extend(described(api, &client, account, region, ty, chunk).await);
                }
            }
            _ => {
                let client = session.tagging(region);
                let arns: Vec<&Arn> = items.iter().map(|c| &c.arn).collect();
                let read =
                    crate::inventory::tagging::tags_by_arn(api, &client, account, region, &arns)
                        .await;
                for (c, (_, tags)) in items.iter().zip(read) {
                    // The Tagging API returns only resources that are or were
                    // tagged: one it does not return has no tags yet.
                    let tags = tags.map(Option::unwrap_or_default);
                    let at = created_at.get(&c.arn).copied().flatten();
                    out.insert(c.arn.clone(), found(account, region, c, tags, at));
                }
            }
        }
    }
    out
}

fn found(
    account: &str,
    region: &str,
    c: &Created,
    tags: Result<tagwarden_core::Tags, crate::aws::AwsError>,
    created_at: Option<DateTime<Utc>>,
) -> Found {
    match tags {
        Ok(tags) => {
            let mut r = Resource::new(c.arn.clone(), account, region, c.resource_type);
            r.tags = tags;
            r.created_at = created_at;
            Found::Now(r)
        }
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
