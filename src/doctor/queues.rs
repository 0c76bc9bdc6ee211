//! `daemon.events.queues`: each queue exists, tagwarden may receive from
//! and delete from it, and its redrive policy sends what it cannot handle
//! to a dead-letter queue, with how many messages wait there.

use super::writes::simulate_caller;
use super::{allow, refused, Context};
use crate::aws::{AwsError, Quota, Zone};
use aws_sdk_sqs::types::QueueAttributeName;
use std::collections::HashMap;
use tagwarden_core::config::queue_region;
use tagwarden_core::iam::Role;
use tagwarden_core::report::doctor::{Check, CheckKind};

/// What the daemon does with a queue's messages.
const CONSUME: &[&str] = &[
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
];

/// Every check of the queue at `url`.
pub(super) async fn check(ctx: &Context<'_>, url: &str) -> Vec<Check> {
    let region = queue_region(url);
    let attributes = match attributes(ctx, url, region).await {
        Ok(a) => a,
        Err(e) => return in_region(vec![missing(ctx, url, &e)], region),
    };
    let get = |name: QueueAttributeName| attributes.get(&name).map(String::as_str);
    let waiting = get(QueueAttributeName::ApproximateNumberOfMessages).unwrap_or("0");
    let mut rows = vec![Check::ok(
        CheckKind::Queue,
        format!("{url}: {waiting} messages waiting"),
    )];
    if let Some(arn) = get(QueueAttributeName::QueueArn) {
        rows.extend(consume(ctx, url, arn, get(QueueAttributeName::Policy)).await);
    }
    rows.push(dead_letter(ctx, url, get(QueueAttributeName::RedrivePolicy)).await);
    in_region(rows, region)
}

/// The queue's region on its rows, when its URL names one.
fn in_region(rows: Vec<Check>, region: Option<&str>) -> Vec<Check> {
    match region {
        Some(r) => rows.into_iter().map(|c| c.region(r)).collect(),
        None => rows,
    }
}

async fn attributes(
    ctx: &Context<'_>,
    url: &str,
    region: Option<&str>,
) -> Result<HashMap<QueueAttributeName, String>, AwsError> {
    let sqs = ctx.aws.sqs(region);
    let quota = Quota::Caller(region.map_or(Zone::Global, Zone::Region));
    let out = ctx
        .aws
        .api
        .call(quota, "sqs:GetQueueAttributes", || {
            sqs.get_queue_attributes()
                .queue_url(url)
                .attribute_names(QueueAttributeName::All)
                .send()
        })
        .await?;
    Ok(out.attributes().cloned().unwrap_or_default())
}

/// A queue that could not be read.
fn missing(ctx: &Context<'_>, url: &str, e: &AwsError) -> Check {
    let gone = e
        .code
        .as_deref()
        .is_some_and(|c| c.contains("NonExistentQueue") || c.contains("QueueDoesNotExist"));
    if gone {
        return Check::fail(
            CheckKind::Queue,
            format!("{url} does not exist"),
            format!("create it with deploy/cloudformation/events-central.yaml (the queue, its dead-letter queue and the EventBridge rule), or correct `daemon.events.queues` in {}", ctx.file()),
        );
    }
    refused(
        ctx,
        CheckKind::Queue,
        &ctx.caller,
        "sqs:GetQueueAttributes",
        e,
        Role::Scanner,
    )
}

/// Whether the caller may receive and delete, its policy and the queue's
/// simulated together.
async fn consume(ctx: &Context<'_>, url: &str, arn: &str, policy: Option<&str>) -> Vec<Check> {
    let decisions = match simulate_caller(ctx, CONSUME, (arn, policy)).await {
        Ok(d) => d,
        Err(row) => return vec![row],
    };
    let refused: Vec<&str> = decisions
        .iter()
        .filter(|d| !d.allowed)
        .map(|d| d.action.as_str())
        .collect();
    if refused.is_empty() {
        return vec![Check::ok(
            CheckKind::Queue,
            format!("{url}: receive, delete and change visibility allowed (simulated)"),
        )];
    }
    vec![Check::fail(
        CheckKind::Queue,
        format!("{url}: {} would be denied (simulated)", refused.join(", ")),
        allow(&refused.join(", "), &ctx.who(&ctx.caller), Role::Scanner),
    )]
}

/// The dead-letter queue of the redrive policy, and what waits there.
async fn dead_letter(ctx: &Context<'_>, url: &str, redrive: Option<&str>) -> Check {
    let target = redrive
        .and_then(|r| serde_json::from_str::<serde_json::Value>(r).ok())
        .and_then(|r| r["deadLetterTargetArn"].as_str().map(str::to_string));
    let kind = CheckKind::DeadLetterQueue;
    let Some(dlq) = target else {
        return Check::warn(
            kind,
            format!("{url} has no dead-letter queue: a message tagwarden cannot handle comes back until it expires, and is then lost unseen"),
            format!("`aws sqs set-queue-attributes --queue-url {url} --attributes '{{\"RedrivePolicy\":\"{{\\\"deadLetterTargetArn\\\":\\\"DLQ_ARN\\\",\\\"maxReceiveCount\\\":\\\"5\\\"}}\"}}'` (deploy/cloudformation/events-central.yaml makes one)"),
        );
    };
    match depth(ctx, &dlq).await {
        Ok(0) => Check::ok(kind, format!("{dlq}: empty")),
        Ok(n) => Check::warn(
            kind,
            format!("{n} messages wait in {dlq}: events tagwarden could not handle"),
            format!("read them (`aws sqs receive-message --queue-url URL --max-number-of-messages 10`), fix their cause, then `aws sqs start-message-move-task --source-arn {dlq}`"),
        ),
        Err(e) => Check::fail(
            kind,
            format!("{dlq} cannot be read: {}", e.message),
            format!("create the dead-letter queue, or allow sqs:GetQueueUrl and sqs:GetQueueAttributes on it to {}", ctx.caller_arn),
        ),
    }
}

/// Messages waiting in the queue `arn`.
async fn depth(ctx: &Context<'_>, arn: &str) -> Result<u64, AwsError> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [_, _, _, region, owner, name] = parts[..] else {
        return Err(AwsError {
            operation: "sqs:GetQueueUrl",
            code: None,
            message: format!("{arn} is not a queue ARN"),
        });
    };
    let sqs = ctx.aws.sqs(Some(region));
    let quota = Quota::Caller(Zone::Region(region));
    let api = &ctx.aws.api;
    let found = api
        .call(quota, "sqs:GetQueueUrl", || {
            sqs.get_queue_url()
                .queue_name(name)
                .queue_owner_aws_account_id(owner)
                .send()
        })
        .await?;
    let url = found.queue_url().unwrap_or_default();
    let out = api
        .call(quota, "sqs:GetQueueAttributes", || {
            sqs.get_queue_attributes()
                .queue_url(url)
                .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
                .send()
        })
        .await?;
    Ok(out
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::ApproximateNumberOfMessages))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0))
}
