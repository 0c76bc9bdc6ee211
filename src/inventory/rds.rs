//! RDS discovery: DB instances and clusters, tags inline (`TagList`).

use crate::aws::{Api, AwsError};
use aws_sdk_rds::types::Tag;
use tagwarden_core::{Resource, Tags};

fn tags_of(tags: &[Tag]) -> Tags {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect()
}

pub async fn databases(
    api: &Api,
    rds: &aws_sdk_rds::Client,
    account: &str,
    region: &str,
) -> Result<Vec<Resource>, AwsError> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = api
            .call(account, region, "rds:DescribeDBInstances", || {
                rds.describe_db_instances()
                    .max_records(100)
                    .set_marker(marker.clone())
                    .send()
            })
            .await?;
        for db in page.db_instances() {
            let Some(arn) = db.db_instance_arn() else {
                continue;
            };
            let mut r = Resource::new(arn, account, region, "rds:db");
            r.tags = tags_of(db.tag_list());
            r.created_at = db.instance_create_time().and_then(super::to_chrono);
            out.push(r);
        }
        marker = page.marker().filter(|m| !m.is_empty()).map(str::to_string);
        if marker.is_none() {
            return Ok(out);
        }
    }
}

pub async fn clusters(
    api: &Api,
    rds: &aws_sdk_rds::Client,
    account: &str,
    region: &str,
) -> Result<Vec<Resource>, AwsError> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = api
            .call(account, region, "rds:DescribeDBClusters", || {
                rds.describe_db_clusters()
                    .max_records(100)
                    .set_marker(marker.clone())
                    .send()
            })
            .await?;
        for c in page.db_clusters() {
            let Some(arn) = c.db_cluster_arn() else {
                continue;
            };
            let mut r = Resource::new(arn, account, region, "rds:cluster");
            r.tags = tags_of(c.tag_list());
            r.created_at = c.cluster_create_time().and_then(super::to_chrono);
            out.push(r);
        }
        marker = page.marker().filter(|m| !m.is_empty()).map(str::to_string);
        if marker.is_none() {
            return Ok(out);
        }
    }
}
