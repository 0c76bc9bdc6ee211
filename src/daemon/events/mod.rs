//! Tag on create (`daemon.events`): the daemon long-polls SQS queues that
//! receive EventBridge "AWS API Call via CloudTrail" events from the member
//! accounts, and handles each burst of messages together (`handle`): new
//! resources are read from their services, evaluated with the same
//! policies, and in enforce mode written through the same journaled apply
//! as a cycle, seconds after they appear. The scheduled cycle stays the
//! safety net for anything an event misses.

mod handle;
mod metrics;
mod queue;
mod read;

pub use metrics::EventMetrics;

use super::state::Shared;
use crate::aws::{AccountSession, Aws};
use queue::Queue;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Event ids handled recently, so a duplicate delivery is acknowledged
/// without reading anything again (a duplicate that gets through anyway is
/// harmless: its tags are already on, so nothing is written).
pub struct Seen {
    ids: HashSet<String>,
    order: VecDeque<String>,
}

impl Seen {
    const KEEP: usize = 20_000;

    fn new() -> Seen {
        Seen {
            ids: HashSet::new(),
            order: VecDeque::new(),
        }
    }

    pub fn contains(&self, id: &str) -> bool {
        !id.is_empty() && self.ids.contains(id)
    }

    pub fn insert(&mut self, id: String) {
        if id.is_empty() || !self.ids.insert(id.clone()) {
            return;
        }
        self.order.push_back(id);
        if self.order.len() > Self::KEEP {
            if let Some(old) = self.order.pop_front() {
                self.ids.remove(&old);
            }
        }
    }
}

/// One queue's consumer: its sessions and recent events.
pub struct Consumer {
    shared: Arc<Shared>,
    cancel: CancellationToken,
    seen: Seen,
    sessions: HashMap<String, AccountSession>,
    caller: Option<String>,
}

impl Consumer {
    /// Whether the account is configured (in any shard: replicas sharing a
    /// queue each get some messages, and any may enter any account).
    fn owns(&self, account: &str) -> bool {
        self.shared
            .accounts()
            .is_some_and(|accounts| accounts.contains(account))
    }
}

/// Consume every configured queue until `cancel`; a burst being handled
/// is finished first.
pub async fn consume(shared: Arc<Shared>, cancel: CancellationToken) {
    let queues = shared.loaded().config.daemon.events.queues.clone();
    let consumers = queues.into_iter().map(|url| {
        let shared = shared.clone();
        let cancel = cancel.clone();
        async move { consume_queue(shared, cancel, &url).await }
    });
    futures::future::join_all(consumers).await;
}

async fn consume_queue(shared: Arc<Shared>, cancel: CancellationToken, url: &str) {
    // The first cycle says which accounts this replica owns.
    while shared.accounts().is_none() {
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(200)) => {}
            () = cancel.cancelled() => return,
        }
    }
    let aws = Aws::connect(&shared.loaded().config).await;
    let queue = Queue::new(&aws, url);
    let mut consumer = Consumer {
        shared: shared.clone(),
        cancel: cancel.clone(),
        seen: Seen::new(),
        sessions: HashMap::new(),
        caller: None,
    };
    tracing::info!(queue = url, "tag on create: consuming");
    let mut counted = Counted::default();
    loop {
        counted.report(&shared, &aws);
        let wait = shared.loaded().config.daemon.events.wait;
        let received = tokio::select! {
            r = queue.receive(&aws, wait) => r,
            () = cancel.cancelled() => return,
        };
        match received {
            Ok(messages) if messages.is_empty() => {}
            Ok(messages) => handle::handle(&mut consumer, &aws, &queue, messages).await,
            Err(e) => {
                tracing::warn!(queue = url, error = %e, "cannot receive events; trying again in 5 s");
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(5)) => {}
                    () = cancel.cancelled() => return,
                }
            }
        }
    }
}

/// The consumer's requests, added to `aws_requests_total` as they happen.
#[derive(Default)]
struct Counted {
    calls: BTreeMap<String, u64>,
    throttles: BTreeMap<String, u64>,
}

impl Counted {
    fn report(&mut self, shared: &Shared, aws: &Aws) {
        let (calls, throttles) = (aws.api.calls(), aws.api.throttles());
        let since = |now: &BTreeMap<String, u64>, before: &BTreeMap<String, u64>| {
            now.iter()
                .map(|(k, n)| (k.clone(), n - before.get(k).copied().unwrap_or(0)))
                .filter(|(_, n)| *n > 0)
                .collect::<BTreeMap<_, _>>()
        };
        shared.metrics.add_requests(
            &since(&calls, &self.calls),
            &since(&throttles, &self.throttles),
        );
        (self.calls, self.throttles) = (calls, throttles);
    }
}

#[cfg(test)]
mod tests {
    use super::queue::backoff;
    use super::Seen;
    use std::time::Duration;

    #[test]
    fn retries_back_off_up_to_five_minutes() {
        let secs: Vec<u64> = [1, 2, 3, 8, 9, 40]
            .iter()
            .map(|&n| backoff(n).as_secs())
            .collect();
        assert_eq!(secs, [2, 4, 8, 256, 300, 300]);
        assert_eq!(backoff(u32::MAX), Duration::from_secs(300));
    }

    #[test]
    fn recent_events_are_remembered_and_the_oldest_forgotten() {
        let mut seen = Seen::new();
        seen.insert(String::new());
        assert!(
            !seen.contains(""),
            "an event without an id is never a duplicate"
        );
        for i in 0..=Seen::KEEP {
            seen.insert(format!("e-{i}"));
        }
        assert!(!seen.contains("e-0"), "the oldest is forgotten");
        assert!(seen.contains("e-1") && seen.contains(&format!("e-{}", Seen::KEEP)));
        assert_eq!(seen.ids.len(), Seen::KEEP);
    }
}
