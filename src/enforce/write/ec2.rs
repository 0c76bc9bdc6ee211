//! EC2: `CreateTags` and `DeleteTags` take up to 1000 resource ids with the
//! same tags, so writes with identical tag sets share requests.

use super::{group_by, record, record_all, Outcomes, TagError, Target};
use crate::aws::AwsError;
use aws_sdk_ec2::types::Tag;
use std::collections::BTreeMap;
use tagwarden_core::apply_rules::TagWrite;

pub const EC2_BATCH: usize = 1000;

/// Errors one malformed or vanished resource id causes for a whole batch.
fn is_bad_id(e: &AwsError) -> bool {
    e.code
        .as_deref()
        .is_some_and(|c| c.starts_with("Invalid") || c.ends_with(".NotFound"))
}

#[derive(Clone, Copy)]
enum Op {
    Create,
    /// Removal with the value: EC2 deletes a tag only while it holds it.
    Delete,
}

pub(super) async fn write(
    at: &Target<'_>,
    client: &aws_sdk_ec2::Client,
    writes: &[&TagWrite],
    out: &mut Outcomes,
) {
    for (set, group) in group_by(writes, |w| w.set.clone()) {
        if !set.is_empty() {
            batches(at, client, Op::Create, &set, &group, out).await;
        }
    }
    for (remove, group) in group_by(writes, |w| w.remove.clone()) {
        if !remove.is_empty() {
            batches(at, client, Op::Delete, &remove, &group, out).await;
        }
    }
}

async fn batches(
    at: &Target<'_>,
    client: &aws_sdk_ec2::Client,
    op: Op,
    tags: &BTreeMap<String, String>,
    group: &[&TagWrite],
    out: &mut Outcomes,
) {
    let tags: Vec<Tag> = tags
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect();
    for batch in group.chunks(EC2_BATCH) {
        let ids: Vec<String> = batch.iter().map(|w| w.arn.id().to_string()).collect();
        match send(at, client, op, ids, &tags).await {
            Ok(()) => record_all(out, batch.iter().map(|w| w.arn.as_str()), Ok(())),
            // One bad id fails the whole request: retry one by one to find
            // which, so that the others are still written. Other errors
            // (throttling, permissions) would fail each alone too.
            Err(e) if batch.len() > 1 && is_bad_id(&e) => {
                tracing::warn!(account = at.account, region = at.region, error = %e, "a bad id failed a batch; writing one by one");
                for w in batch {
                    let r = send(at, client, op, vec![w.arn.id().to_string()], &tags).await;
                    record(out, &w.arn, r.map_err(TagError::Aws));
                }
            }
            Err(e) => record_all(out, batch.iter().map(|w| w.arn.as_str()), Err(&e)),
        }
    }
}

async fn send(
    at: &Target<'_>,
    client: &aws_sdk_ec2::Client,
    op: Op,
    ids: Vec<String>,
    tags: &[Tag],
) -> Result<(), AwsError> {
    match op {
        Op::Create => at
            .api
            .call(at.quota(), "ec2:CreateTags", || {
                client
                    .create_tags()
                    .set_resources(Some(ids.clone()))
                    .set_tags(Some(tags.to_vec()))
                    .send()
            })
            .await
            .map(|_| ()),
        Op::Delete => at
            .api
            .call(at.quota(), "ec2:DeleteTags", || {
                client
                    .delete_tags()
                    .set_resources(Some(ids.clone()))
                    .set_tags(Some(tags.to_vec()))
                    .send()
            })
            .await
            .map(|_| ()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_ids() {
        let e = |code: &str| AwsError {
            operation: "ec2:CreateTags",
            code: Some(code.into()),
            message: String::new(),
        };
        assert!(is_bad_id(&e("InvalidID")));
        assert!(is_bad_id(&e("InvalidInstanceID.NotFound")));
        assert!(is_bad_id(&e("InvalidVolume.NotFound")));
        assert!(!is_bad_id(&e("RequestLimitExceeded")));
        assert!(!is_bad_id(&e("UnauthorizedOperation")));
    }
}
