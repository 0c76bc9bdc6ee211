//! S3: `PutBucketTagging` replaces a bucket's whole tag set, so a write
//! reads it, merges (keeping the bucket's other tags) and writes it back,
//! refusing a bucket whose tags changed since the change was decided.

use super::{record, Outcomes, TagError, Target};
use crate::aws::AwsError;
use aws_sdk_s3::types::{Tag, Tagging};
use tagwarden_core::apply_rules::{merge_tag_set, TagWrite};
use tagwarden_core::Tags;

pub(super) async fn write(
    at: &Target<'_>,
    client: &aws_sdk_s3::Client,
    writes: &[&TagWrite],
    out: &mut Outcomes,
) {
    for w in writes {
        let r = write_one(at, client, w).await;
        record(out, &w.arn, r);
    }
}

async fn write_one(
    at: &Target<'_>,
    client: &aws_sdk_s3::Client,
    w: &TagWrite,
) -> Result<(), TagError> {
    let bucket = w.arn.id();
    let current = tags(at, client, bucket).await?;
    let Some(merged) = merge_tag_set(&current, w)? else {
        return Ok(());
    };
    if merged.is_empty() {
        at.api
            .call(at.quota(), "s3:DeleteBucketTagging", || {
                client.delete_bucket_tagging().bucket(bucket).send()
            })
            .await?;
        return Ok(());
    }
    let tag_set: Vec<Tag> = merged
        .iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .expect("key and value are set")
        })
        .collect();
    let tagging = Tagging::builder()
        .set_tag_set(Some(tag_set))
        .build()
        .expect("tag set is set");
    at.api
        .call(at.quota(), "s3:PutBucketTagging", || {
            client
                .put_bucket_tagging()
                .bucket(bucket)
                .tagging(tagging.clone())
                .send()
        })
        .await?;
    Ok(())
}

/// A bucket's tags (none: `NoSuchTagSet`).
pub async fn tags(
    at: &Target<'_>,
    client: &aws_sdk_s3::Client,
    bucket: &str,
) -> Result<Tags, AwsError> {
    match at
        .api
        .call(at.quota(), "s3:GetBucketTagging", || {
            client.get_bucket_tagging().bucket(bucket).send()
        })
        .await
    {
        Ok(out) => Ok(out
            .tag_set()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect()),
        Err(AwsError { code: Some(c), .. }) if c == "NoSuchTagSet" => Ok(Tags::new()),
        Err(e) => Err(e),
    }
}
