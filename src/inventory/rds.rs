//! RDS discovery: DB instances and clusters, tags inline (`TagList`).

use super::to_chrono;
use crate::aws::{all_pages, Api, AwsError, Quota};
use aws_sdk_rds::types::Tag;
use tagwarden_core::{Resource, Tags};

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

fn resource(
    arn: &str,
    account: &str,
    region: &str,
    ty: &str,
    tags: &[Tag],
    created: Option<&aws_smithy_types::DateTime>,
) -> Option<Resource> {
    let mut r = Resource::new(super::ec2::parsed(arn)?, account, region, ty);
    r.tags = tags_of(tags);
    r.created_at = created.and_then(to_chrono);
    Some(r)
}

pub async fn databases(
    api: &Api,
    rds: &aws_sdk_rds::Client,
    account: &str,
    region: &str,
) -> Result<Vec<Resource>, AwsError> {
    let page_size = api.page_size(100, 20);
    all_pages(|marker| async move {
        let page = api
            .call(
                Quota::at(account, region),
                "rds:DescribeDBInstances",
                || {
                    rds.describe_db_instances()
                        .max_records(page_size)
                        .set_marker(marker.clone())
                        .send()
                },
            )
            .await?;
        let found = page
            .db_instances()
            .iter()
            .filter_map(|db| {
                resource(
                    db.db_instance_arn()?,
                    account,
                    region,
                    "rds:db",
                    db.tag_list(),
                    db.instance_create_time(),
                )
            })
            .collect();
        Ok((found, page.marker().map(str::to_string)))
    })
    .await
}

pub async fn clusters(
    api: &Api,
    rds: &aws_sdk_rds::Client,
    account: &str,
    region: &str,
) -> Result<Vec<Resource>, AwsError> {
    let page_size = api.page_size(100, 20);
    all_pages(|marker| async move {
        let page = api
            .call(Quota::at(account, region), "rds:DescribeDBClusters", || {
                rds.describe_db_clusters()
                    .max_records(page_size)
                    .set_marker(marker.clone())
                    .send()
            })
            .await?;
        let found = page
            .db_clusters()
            .iter()
            .filter_map(|c| {
                resource(
                    c.db_cluster_arn()?,
                    account,
                    region,
                    "rds:cluster",
                    c.tag_list(),
                    c.cluster_create_time(),
                )
            })
            .collect();
        Ok((found, page.marker().map(str::to_string)))
    })
    .await
}

/// One DB instance (`rds:db`) or cluster (`rds:cluster`) by identifier, as
/// this account and region's `DescribeDBInstances`/`DescribeDBClusters`
/// return it; None when they do not know it (not yet, or never).
pub async fn one(
    api: &Api,
    rds: &aws_sdk_rds::Client,
    account: &str,
    region: &str,
    ty: &str,
    id: &str,
) -> Result<Option<Resource>, AwsError> {
    let quota = Quota::at(account, region);
    let found = if ty == "rds:cluster" {
        api.call(quota, "rds:DescribeDBClusters", || {
            rds.describe_db_clusters().db_cluster_identifier(id).send()
        })
        .await
        .map(|page| {
            page.db_clusters().iter().find_map(|c| {
                resource(
                    c.db_cluster_arn()?,
                    account,
                    region,
                    ty,
                    c.tag_list(),
                    c.cluster_create_time(),
                )
            })
        })
    } else {
        api.call(quota, "rds:DescribeDBInstances", || {
            rds.describe_db_instances()
                .db_instance_identifier(id)
                .send()
        })
        .await
        .map(|page| {
            page.db_instances().iter().find_map(|db| {
                resource(
                    db.db_instance_arn()?,
                    account,
                    region,
                    ty,
                    db.tag_list(),
                    db.instance_create_time(),
                )
            })
        })
    };
    match found {
        Err(e) if is_not_found(&e) => Ok(None),
        other => other,
    }
}

fn is_not_found(e: &AwsError) -> bool {
    matches!(
        e.code.as_deref(),
        Some("DBInstanceNotFound" | "DBInstanceNotFoundFault" | "DBClusterNotFoundFault")
    )
}
