//! S3 discovery: buckets come from one account-wide `ListBuckets`, each
//! attributed to its own region. Their tags come from the Tagging API's pages
//! (see `tagging`), not from one `GetBucketTagging` per bucket.

use crate::aws::{all_pages, partition_of, Api, AwsError, Quota};
use aws_sdk_s3::types::BucketLocationConstraint;
use chrono::{DateTime, Utc};

#[derive(Debug, PartialEq)]
pub struct Bucket {
    pub name: String,
    pub region: String,
    pub created_at: Option<DateTime<Utc>>,
}

impl Bucket {
    /// None (logged) when the name AWS gave does not make an ARN.
    pub fn arn(&self) -> Option<tagwarden_core::Arn> {
        super::ec2::parsed(&format!(
            "arn:{}:s3:::{}",
            partition_of(&self.region),
            self.name
        ))
    }
}

pub async fn buckets(
    api: &Api,
    s3: &aws_sdk_s3::Client,
    account: &str,
    region: &str,
) -> Result<Vec<Bucket>, AwsError> {
    listed(api, s3, account, region, None).await
}

/// The bucket of this name, if this account's `ListBuckets` has it.
pub async fn bucket(
    api: &Api,
    s3: &aws_sdk_s3::Client,
    account: &str,
    region: &str,
    name: &str,
) -> Result<Option<Bucket>, AwsError> {
    let listed = listed(api, s3, account, region, Some(name)).await?;
    Ok(listed.into_iter().find(|b| b.name == name))
}

/// `ListBuckets`, narrowed to names that start with `prefix` (AWS filters
/// them; where it does not, they are filtered here before any
/// `GetBucketLocation`).
async fn listed(
    api: &Api,
    s3: &aws_sdk_s3::Client,
    account: &str,
    region: &str,
    prefix: Option<&str>,
) -> Result<Vec<Bucket>, AwsError> {
    let page_size = api.page_size(1000, 1);
    all_pages(|token| async move {
        let page = api
            .call(Quota::at(account, region), "s3:ListBuckets", || {
                s3.list_buckets()
                    .max_buckets(page_size)
                    .set_prefix(prefix.map(str::to_string))
                    .set_continuation_token(token.clone())
                    .send()
            })
            .await?;
        let mut found = Vec::new();
        for b in page.buckets() {
            let Some(name) = b.name() else { continue };
            if prefix.is_some_and(|p| !name.starts_with(p)) {
                continue;
            }
            // AWS returns each bucket's region in ListBuckets; where it is
            // missing (older endpoints, moto), ask GetBucketLocation.
            let region = match b.bucket_region() {
                Some(r) => r.to_string(),
                None => location(api, s3, account, region, name).await?,
            };
            found.push(Bucket {
                name: name.to_string(),
                region,
                created_at: b.creation_date().and_then(super::to_chrono),
            });
        }
        Ok((found, page.continuation_token().map(str::to_string)))
    })
    .await
}

async fn location(
    api: &Api,
    s3: &aws_sdk_s3::Client,
    account: &str,
    region: &str,
    bucket: &str,
) -> Result<String, AwsError> {
    let out = api
        .call(Quota::at(account, region), "s3:GetBucketLocation", || {
            s3.get_bucket_location().bucket(bucket).send()
        })
        .await?;
    // No constraint means us-east-1; `EU` is the historical name of eu-west-1.
    Ok(match out.location_constraint() {
        None => "us-east-1".into(),
        Some(BucketLocationConstraint::Eu) => "eu-west-1".into(),
        Some(c) if c.as_str().is_empty() => "us-east-1".into(),
        Some(c) => c.as_str().to_string(),
    })
}
