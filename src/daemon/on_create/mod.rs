//! Tag on create (`daemon.events`): the daemon long-polls SQS queues that
//! receive EventBridge "AWS API Call via CloudTrail" events from the member
//! accounts, and handles each burst of messages together (`handle`): new
//! resources are read from their services, evaluated with the same
//! policies, and in enforce mode written through the same journaled apply
//! as a cycle, seconds after they appear. The scheduled cycle stays the
//! safety net for anything an event misses.

mod handle;
mod queue;
mod read;
mod restore;

use super::state::Shared;
use crate::aws::{AccountSession, Aws, Requests};
use crate::scan;
use queue::Queue;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;
use tagwarden_core::ScanError;
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
    /// Whether the account is configured (in any shard).
    fn configured(&self, account: &str) -> bool {
        self.shared
            .accounts()
            .is_some_and(|accounts| accounts.contains(account))
    }

    /// Whether this replica owns the account: every shard's queue receives
    /// every event, and only the owner writes (and journals in its store).
    fn owns(&self, account: &str) -> bool {
        self.shared.shard.owns(account)
    }

    /// A session in `account`, opened once and kept (AssumeRole credentials
    /// refresh themselves); or why the account cannot be entered, logged.
    async fn session(&mut self, aws: &Aws, account: &str) -> Result<AccountSession, ScanError> {
        if let Some(s) = self.sessions.get(account) {
            return Ok(s.clone());
        }
        let opened = self.open_session(aws, account).await;
        match &opened {
            Ok(s) => {
                self.sessions.insert(account.to_string(), s.clone());
            }
            Err(e) => {
                tracing::warn!(account, error = %e.message, "tag on create cannot enter the account");
            }
        }
        opened
    }

    async fn open_session(
        &mut self,
        aws: &Aws,
        account: &str,
    ) -> Result<AccountSession, ScanError> {
        let caller = match &self.caller {
            Some(c) => c.clone(),
            None => {
                let c = scan::caller(aws).await?;
                self.caller = Some(c.clone());
                c
            }
        };
        let loaded = self.shared.loaded();
        scan::open_session(aws, &loaded.config, &caller, account).await
    }
}

/// Consume this replica's queues (`Events::queues_for`) until `cancel`; a
/// burst being handled is finished first.
pub async fn consume(shared: Arc<Shared>, queues: Vec<String>, cancel: CancellationToken) {
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
    // The credentials' own account: tagwarden's own changes there (no role
    // assumed) are told by it.
    let caller = scan::caller(&aws).await.ok();
    let mut consumer = Consumer {
        shared: shared.clone(),
        cancel: cancel.clone(),
        seen: Seen::new(),
        sessions: HashMap::new(),
        caller,
    };
    tracing::info!(queue = url, "tag on create: consuming");
    let mut counted = Requests::default();
    loop {
        // The consumer's requests, added to `aws_requests_total` as they happen.
        let now = aws.api.requests();
        shared.metrics.add_requests(&now.since(&counted));
        counted = now;
        let events = shared.loaded().config.daemon.events.clone();
        let received = tokio::select! {
            r = queue.receive(&aws, events.wait, events.burst_bytes) => r,
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

#[cfg(test)]
mod tests {
    use super::queue::RETRY;
    use super::Seen;
    use std::time::Duration;

    #[test]
    fn retries_back_off_from_two_seconds_up_to_five_minutes() {
        let secs: Vec<u64> = [1, 2, 3, 8, 9, 40]
            .iter()
            .map(|&n| RETRY.delay(n, 0.0).as_secs())
            .collect();
        assert_eq!(secs, [2, 4, 8, 256, 300, 300]);
        assert!(RETRY.next(u32::MAX) <= Duration::from_secs(375));
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
