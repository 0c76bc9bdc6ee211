//! EC2 discovery: instances, volumes (root volumes included), snapshots and
//! images owned by the account. Describe calls return tags inline, so
//! never-tagged resources are found and no per-resource tag read is made.

use super::to_chrono;
use crate::aws::{all_pages, partition_of, Api, AwsError, Quota};
use aws_sdk_ec2::types::{Filter, Tag};
use tagwarden_core::{Arn, Resource, Tags};

pub(crate) fn tags_of(tags: &[Tag]) -> Tags {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect()
}

/// The resource an EC2 answer describes; None (logged) when its id does
/// not make an ARN.
fn resource(account: &str, region: &str, kind: &str, id: &str, tags: &[Tag]) -> Option<Resource> {
    let text = format!(
        "arn:{}:ec2:{region}:{account}:{kind}/{id}",
        partition_of(region)
    );
    let arn = parsed(&text)?;
    let mut r = Resource::new(arn, account, region, &format!("ec2:{kind}"));
    r.tags = tags_of(tags);
    Some(r)
}

/// An ARN from an AWS answer; one that does not parse is logged and left out.
pub(crate) fn parsed(text: &str) -> Option<Arn> {
    Arn::parse(text)
        .map_err(|e| tracing::warn!(error = %e, "AWS answered with a resource whose ARN does not parse: left out"))
        .ok()
}

pub async fn instances(
    api: &Api,
    ec2: &aws_sdk_ec2::Client,
    account: &str,
    region: &str,
    only: &[String],
) -> Result<Vec<Resource>, AwsError> {
    let page_size = api.page_size(1000, 5);
    all_pages(|token| async move {
        let page = api
            .call(Quota::at(account, region), "ec2:DescribeInstances", || {
                ec2.describe_instances()
                    .set_filters(only_ids("instance-id", only))
                    .max_results(page_size)
                    .set_next_token(token.clone())
                    .send()
            })
            .await?;
        let found = page
            .reservations()
            .iter()
            .flat_map(|r| r.instances())
            .filter(|i| {
                i.state()
                    .and_then(|s| s.name())
                    .is_none_or(|n| n.as_str() != "terminated")
            })
            .filter_map(|i| {
                let mut r = resource(account, region, "instance", i.instance_id()?, i.tags())?;
                r.created_at = i.launch_time().and_then(to_chrono);
                Some(r)
            })
            .collect();
        Ok((found, page.next_token().map(str::to_string)))
    })
    .await
}

pub async fn volumes(
    api: &Api,
    ec2: &aws_sdk_ec2::Client,
    account: &str,
    region: &str,
    only: &[String],
) -> Result<Vec<Resource>, AwsError> {
    volumes_where(api, ec2, account, region, "volume-id", only).await
}

/// The volumes attached to `instances` (at most 200 a call).
pub async fn volumes_of(
    api: &Api,
    ec2: &aws_sdk_ec2::Client,
    account: &str,
    region: &str,
    instances: &[String],
) -> Result<Vec<Resource>, AwsError> {
    if instances.is_empty() {
        return Ok(Vec::new());
    }
    volumes_where(
        api,
        ec2,
        account,
        region,
        "attachment.instance-id",
        instances,
    )
    .await
}

async fn volumes_where(
    api: &Api,
    ec2: &aws_sdk_ec2::Client,
    account: &str,
    region: &str,
    filter: &str,
    only: &[String],
) -> Result<Vec<Resource>, AwsError> {
    let page_size = api.page_size(500, 5);
    all_pages(|token| async move {
        let page = api
            .call(Quota::at(account, region), "ec2:DescribeVolumes", || {
                ec2.describe_volumes()
                    .set_filters(only_ids(filter, only))
                    .max_results(page_size)
                    .set_next_token(token.clone())
                    .send()
            })
            .await?;
        let found = page
            .volumes()
            .iter()
            .filter_map(|v| {
                let mut r = resource(account, region, "volume", v.volume_id()?, v.tags())?;
                r.created_at = v.create_time().and_then(to_chrono);
                Some(r)
            })
            .collect();
        Ok((found, page.next_token().map(str::to_string)))
    })
    .await
}

/// The account's own filter, besides `self`: moto ignores `OwnerIds=self` and
/// lists Amazon's public snapshots; AWS honours both. With `only`, the ids
/// too.
fn owned_by(account: &str, id_filter: &str, only: &[String]) -> Option<Vec<Filter>> {
    let owner = Filter::builder().name("owner-id").values(account).build();
    Some(
        std::iter::once(owner)
            .chain(only_ids(id_filter, only).into_iter().flatten())
            .collect(),
    )
}

/// A filter on ids (at most 200 a request): every resource when `only` is
/// empty. A filter, not the ids parameter, so an id not visible yet is
/// absent rather than an error for the whole request.
fn only_ids(name: &str, only: &[String]) -> Option<Vec<Filter>> {
    (!only.is_empty()).then(|| {
        vec![Filter::builder()
            .name(name)
            .set_values(Some(only.to_vec()))
            .build()]
    })
}

pub async fn snapshots(
    api: &Api,
    ec2: &aws_sdk_ec2::Client,
    account: &str,
    region: &str,
    only: &[String],
) -> Result<Vec<Resource>, AwsError> {
    let page_size = api.page_size(1000, 5);
    all_pages(|token| async move {
        let page = api
            .call(Quota::at(account, region), "ec2:DescribeSnapshots", || {
                ec2.describe_snapshots()
                    .owner_ids("self")
                    .set_filters(owned_by(account, "snapshot-id", only))
                    .max_results(page_size)
                    .set_next_token(token.clone())
                    .send()
            })
            .await?;
        let found = page
            .snapshots()
            .iter()
            .filter(|s| s.owner_id().is_none_or(|o| o == account))
            .filter_map(|s| {
                let mut r = resource(account, region, "snapshot", s.snapshot_id()?, s.tags())?;
                r.created_at = s.start_time().and_then(to_chrono);
                Some(r)
            })
            .collect();
        Ok((found, page.next_token().map(str::to_string)))
    })
    .await
}

pub async fn images(
    api: &Api,
    ec2: &aws_sdk_ec2::Client,
    account: &str,
    region: &str,
    only: &[String],
) -> Result<Vec<Resource>, AwsError> {
    let page_size = api.page_size(1000, 6);
    all_pages(|token| async move {
        let page = api
            .call(Quota::at(account, region), "ec2:DescribeImages", || {
                ec2.describe_images()
                    .owners("self")
                    .set_filters(owned_by(account, "image-id", only))
                    .max_results(page_size)
                    .set_next_token(token.clone())
                    .send()
            })
            .await?;
        let found = page
            .images()
            .iter()
            .filter(|i| i.owner_id().is_none_or(|o| o == account))
            .filter_map(|i| {
                let mut r = resource(account, region, "image", i.image_id()?, i.tags())?;
                r.created_at = i
                    .creation_date()
                    .and_then(|d| chrono::DateTime::parse_from_rfc3339(d).ok())
                    .map(|d| d.with_timezone(&chrono::Utc));
                Some(r)
            })
            .collect();
        Ok((found, page.next_token().map(str::to_string)))
    })
    .await
}
