//! The Resource Groups Tagging API for every type without a writer of its
//! own: `TagResources` and `UntagResources` take up to 20 ARNs; failures come
//! back per ARN, and the retryable ones are tried again.

use super::{group_by, record, record_all, Outcomes, TagError, Target};
use aws_sdk_resourcegroupstagging::types::{ErrorCode, FailureInfo};
use std::collections::HashMap;
use std::time::Duration;
use tagwarden_core::apply_rules::TagWrite;

pub const TAGGING_BATCH: usize = 20;
/// Attempts for entries that fail with a retryable error.
const TAGGING_ATTEMPTS: u32 = 3;
const RETRY_PAUSE: Duration = Duration::from_millis(500);

type Client = aws_sdk_resourcegroupstagging::Client;

enum Op {
    Tag(HashMap<String, String>),
    /// Removal by key: the rollback that asks checked the values just before.
    Untag(Vec<String>),
}

pub(super) async fn write(
    at: &Target<'_>,
    client: &Client,
    writes: &[&TagWrite],
    out: &mut Outcomes,
) {
    for (set, group) in group_by(writes, |w| w.set.clone()) {
        if !set.is_empty() {
            batches(at, client, Op::Tag(set.into_iter().collect()), &group, out).await;
        }
    }
    for (remove, group) in group_by(writes, |w| w.remove.keys().cloned().collect::<Vec<_>>()) {
        if !remove.is_empty() {
            batches(at, client, Op::Untag(remove), &group, out).await;
        }
    }
}

async fn batches(
    at: &Target<'_>,
    client: &Client,
    op: Op,
    group: &[&TagWrite],
    out: &mut Outcomes,
) {
    for batch in group.chunks(TAGGING_BATCH) {
        let mut arns: Vec<String> = batch.iter().map(|w| w.arn.to_string()).collect();
        for attempt in 1..=TAGGING_ATTEMPTS {
            let failed = match send(at, client, &op, &arns).await {
                Ok(failed) => failed,
                Err(e) => {
                    record_all(out, arns.iter().map(String::as_str), Err(&e));
                    break;
                }
            };
            let retry = settle(&op, &arns, &failed, attempt < TAGGING_ATTEMPTS, out);
            if retry.is_empty() {
                break;
            }
            tokio::time::sleep(RETRY_PAUSE * attempt).await;
            arns = retry;
        }
    }
}

/// Record each ARN's outcome; return those to try again.
fn settle(
    op: &Op,
    arns: &[String],
    failed: &HashMap<String, FailureInfo>,
    may_retry: bool,
    out: &mut Outcomes,
) -> Vec<String> {
    let mut retry = Vec::new();
    for arn in arns {
        match failed.get(arn) {
            None => record(out, arn, Ok(())),
            Some(f)
                if may_retry && f.error_code() == Some(&ErrorCode::InternalServiceException) =>
            {
                retry.push(arn.clone())
            }
            Some(f) => record(out, arn, Err(refused(op, f))),
        }
    }
    retry
}

fn refused(op: &Op, f: &FailureInfo) -> TagError {
    TagError::Refused {
        operation: operation(op),
        code: f.error_code().map_or("error", |c| c.as_str()).to_string(),
        message: f.error_message().unwrap_or_default().to_string(),
    }
}

fn operation(op: &Op) -> &'static str {
    match op {
        Op::Tag(_) => "tagging:TagResources",
        Op::Untag(_) => "tagging:UntagResources",
    }
}

/// One request; the per-ARN failures of a request AWS accepted.
async fn send(
    at: &Target<'_>,
    client: &Client,
    op: &Op,
    arns: &[String],
) -> Result<HashMap<String, FailureInfo>, crate::aws::AwsError> {
    let failed = match op {
        Op::Tag(tags) => at
            .api
            .call(at.quota(), operation(op), || {
                client
                    .tag_resources()
                    .set_resource_arn_list(Some(arns.to_vec()))
                    .set_tags(Some(tags.clone()))
                    .send()
            })
            .await?
            .failed_resources_map()
            .cloned(),
        Op::Untag(keys) => at
            .api
            .call(at.quota(), operation(op), || {
                client
                    .untag_resources()
                    .set_resource_arn_list(Some(arns.to_vec()))
                    .set_tag_keys(Some(keys.clone()))
                    .send()
            })
            .await?
            .failed_resources_map()
            .cloned(),
    };
    Ok(failed.unwrap_or_default())
}
