//! The SQS side of tag on create: long polls, bursts read whole, and the
//! two ways a message ends (deleted, or made visible again later).
//! Requests go through the same limiter as every other AWS call.

use crate::aws::{Aws, AwsError, Quota, Zone};
use crate::backoff::Backoff;
use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, DeleteMessageBatchRequestEntry,
    MessageSystemAttributeName,
};
use chrono::{DateTime, Utc};
use std::time::Duration;
use tagwarden_core::cloudtrail::MAX_EVENT_BYTES;
use tagwarden_core::config::PAGE_BYTES;

/// The most messages handled together: a migration wave's burst becomes a
/// few batched writes instead of one per event.
pub const MAX_BURST: usize = 1000;

/// How long a received message stays invisible: short, so that the
/// messages a killed daemon held come back within a minute of its restart,
/// and extended every third of it while its burst is handled (a large
/// burst takes a while to read and write); one whose handling fails is made
/// visible sooner, after its backoff.
pub const HANDLING: Duration = Duration::from_secs(30);

/// How long received messages stay invisible: [`HANDLING`], or in the
/// test build what `TAGWARDEN_HANDLING_SECS` says.
pub fn handling() -> Duration {
    #[cfg(feature = "test-hooks")]
    if let Some(secs) = crate::test_hooks::handling_secs() {
        return Duration::from_secs(secs);
    }
    HANDLING
}

/// The longest a burst is read before it is handled. Reading goes on only
/// while full pages keep coming (a trickle is handled at once), so this
/// bounds how long a flood (a Terraform apply over thousands of resources,
/// a migration wave) is gathered into one burst: at 100 ms a page, 500
/// messages, read and written in one batch per account and region. Pages
/// are received one at a time: the emulator hands one message to
/// concurrent receivers (docs/emulator-notes.md).
pub const BURST_WINDOW: Duration = Duration::from_secs(5);

/// One received message.
#[derive(Debug, Clone)]
pub struct Message {
    pub receipt: String,
    /// Empty when the body is larger than tagwarden reads
    /// ([`MAX_EVENT_BYTES`]): it is dropped on receipt, never held.
    pub body: String,
    /// The body's size in bytes, as received.
    pub size: usize,
    /// SQS `ApproximateReceiveCount`: 1 the first time.
    pub receive_count: u32,
    pub sent_at: Option<DateTime<Utc>>,
}

/// How long a message whose handling failed waits before its next try:
/// 2, 4, 8 … seconds (plus up to a quarter, at random), at most 5 minutes.
pub const RETRY: Backoff = Backoff {
    first: Duration::from_secs(2),
    max: Duration::from_secs(300),
};

pub struct Queue {
    pub url: String,
    /// The queue's region: its requests spend the caller's quota there.
    region: Option<String>,
    client: aws_sdk_sqs::Client,
}

impl Queue {
    pub fn new(aws: &Aws, url: &str) -> Queue {
        let region = tagwarden_core::config::queue_region(url);
        Queue {
            url: url.to_string(),
            region: region.map(str::to_string),
            client: aws.sqs(region),
        }
    }

    fn quota(&self) -> Quota<'_> {
        Quota::Caller(self.region.as_deref().map_or(Zone::Global, Zone::Region))
    }

    /// Wait up to `wait` for messages; once some arrive, read on without
    /// waiting while full pages keep coming, up to [`MAX_BURST`] messages,
    /// [`BURST_WINDOW`], or while one more page could take the burst over
    /// `burst_bytes`, so a steady stream is not held back and a hostile
    /// one cannot fill memory.
    pub async fn receive(
        &self,
        aws: &Aws,
        wait: Duration,
        burst_bytes: usize,
    ) -> Result<Vec<Message>, AwsError> {
        let mut out = self.receive_page(aws, wait).await?;
        let first = std::time::Instant::now();
        let held = |out: &[Message]| out.iter().map(|m| m.body.len()).sum::<usize>();
        while out.len().is_multiple_of(10)
            && !out.is_empty()
            && out.len() < MAX_BURST
            && held(&out) + PAGE_BYTES <= burst_bytes
            && first.elapsed() < BURST_WINDOW
        {
            let more = self.receive_page(aws, Duration::ZERO).await?;
            if more.is_empty() {
                break;
            }
            out.extend(more);
        }
        Ok(out)
    }

    async fn receive_page(&self, aws: &Aws, wait: Duration) -> Result<Vec<Message>, AwsError> {
        let page = aws
            .api
            .call(self.quota(), "sqs:ReceiveMessage", || {
                self.client
                    .receive_message()
                    .queue_url(&self.url)
                    .max_number_of_messages(10)
                    .wait_time_seconds(wait.as_secs() as i32)
                    .visibility_timeout(handling().as_secs() as i32)
                    .message_system_attribute_names(
                        MessageSystemAttributeName::ApproximateReceiveCount,
                    )
                    .message_system_attribute_names(MessageSystemAttributeName::SentTimestamp)
                    .send()
            })
            .await?;
        Ok(page
            .messages()
            .iter()
            .filter_map(|m| {
                let attr = |name| m.attributes().and_then(|a| a.get(&name)).cloned();
                let body = m.body().unwrap_or_default();
                Some(Message {
                    receipt: m.receipt_handle()?.to_string(),
                    body: if body.len() > MAX_EVENT_BYTES {
                        String::new()
                    } else {
                        body.to_string()
                    },
                    size: body.len(),
                    receive_count: attr(MessageSystemAttributeName::ApproximateReceiveCount)
                        .and_then(|c| c.parse().ok())
                        .unwrap_or(1),
                    sent_at: attr(MessageSystemAttributeName::SentTimestamp)
                        .and_then(|t| t.parse().ok())
                        .and_then(DateTime::from_timestamp_millis),
                })
            })
            .collect())
    }

    /// Run `work` while the messages of `receipts` stay invisible: their
    /// visibility is extended every third of [`handling`], so no other
    /// replica receives a message whose burst is still waiting (for the
    /// write turn, for a retry) and handles it twice.
    pub async fn invisible_while<F: std::future::Future>(
        &self,
        aws: &Aws,
        receipts: &[&str],
        work: F,
    ) -> F::Output {
        let handling = handling();
        let mut tick = tokio::time::interval(handling / 3);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        tokio::pin!(work);
        loop {
            tokio::select! {
                out = &mut work => return out,
                _ = tick.tick() => {
                    let later: Vec<(&str, Duration)> = receipts.iter().map(|r| (*r, handling)).collect();
                    if let Err(e) = self.retry_later(aws, &later).await {
                        tracing::warn!(queue = %self.url, error = %e, "cannot extend the burst's visibility: another replica may receive its messages");
                    }
                }
            }
        }
    }

    /// Delete messages whose outcome is settled (10 a request).
    pub async fn delete(&self, aws: &Aws, receipts: &[&str]) -> Result<(), AwsError> {
        for chunk in receipts.chunks(10) {
            let entries = chunk.iter().enumerate().map(|(i, r)| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(*r)
                    .build()
                    .expect("id and receipt are set")
            });
            let entries: Vec<_> = entries.collect();
            let out = aws
                .api
                .call(self.quota(), "sqs:DeleteMessageBatch", || {
                    self.client
                        .delete_message_batch()
                        .queue_url(&self.url)
                        .set_entries(Some(entries.clone()))
                        .send()
                })
                .await?;
            for f in out.failed() {
                tracing::warn!(queue = %self.url, code = f.code(), "a message was not deleted: it comes back and is handled again, harmlessly");
            }
        }
        Ok(())
    }

    /// Make messages visible again after `delay` each (10 a request).
    pub async fn retry_later(&self, aws: &Aws, later: &[(&str, Duration)]) -> Result<(), AwsError> {
        for chunk in later.chunks(10) {
            let entries: Vec<_> = chunk
                .iter()
                .enumerate()
                .map(|(i, (r, delay))| {
                    ChangeMessageVisibilityBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(*r)
                        .visibility_timeout(delay.as_secs() as i32)
                        .build()
                        .expect("id and receipt are set")
                })
                .collect();
            aws.api
                .call(self.quota(), "sqs:ChangeMessageVisibilityBatch", || {
                    self.client
                        .change_message_visibility_batch()
                        .queue_url(&self.url)
                        .set_entries(Some(entries.clone()))
                        .send()
                })
                .await?;
        }
        Ok(())
    }
}
