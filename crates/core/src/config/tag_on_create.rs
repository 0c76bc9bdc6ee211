//! `daemon.events`: tag on create. The SQS queues that receive EventBridge
//! "AWS API Call via CloudTrail" events from the member accounts, and how
//! long to keep trying an event before the next cycle takes over.

use super::{key, parse_duration, Checker};
use crate::shard::{Shard, ShardError};
use crate::yaml::lenient;
use serde::Deserialize;
use std::time::Duration;

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct EventsSpec {
    #[serde(default, deserialize_with = "lenient::strings")]
    queues: Vec<String>,
    #[serde(default)]
    wait: Option<String>,
    #[serde(default)]
    max_receives: Option<u32>,
    #[serde(default)]
    burst_bytes: Option<u64>,
    #[serde(default)]
    restore_limit: Option<u32>,
    #[serde(default)]
    restore_window: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Events {
    /// Queue URLs, in the scanner's account; none: no tag on create.
    pub queues: Vec<String>,
    /// How long a receive waits for messages (SQS long polling, 1–20 s).
    pub wait: Duration,
    /// Receives of one event (SQS `ApproximateReceiveCount`) before it is
    /// acknowledged and left to the next scheduled cycle.
    pub max_receives: u32,
    /// The most message bytes one burst holds: a burst stops receiving
    /// before one more page (ten messages of at most 256 KiB each, larger
    /// ones are dropped on receipt) could take it over. At least one
    /// page's worth.
    pub burst_bytes: usize,
    /// Restores of one key on one resource within `restore_window` after
    /// which that key there is left alone (`capped`) until the window has
    /// passed: tagwarden never fights a tool that keeps removing it.
    pub restore_limit: u32,
    pub restore_window: Duration,
}

/// What a queue URL writes for the replica's shard number: each shard
/// consumes its own queue, which receives every event (below).
pub const SHARD_PLACEHOLDER: &str = "{shard}";

impl Events {
    /// This replica's queues. With more than one shard every replica has
    /// its own queue, `{shard}` in the URL; each receives every event and
    /// handles those of its own accounts, so a write is journaled in the
    /// store of the replica that owns the account (and its `history` and
    /// `rollback` see it). A URL without `{shard}` is refused then.
    pub fn queues_for(&self, shard: Shard) -> Result<Vec<String>, ShardError> {
        self.queues
            .iter()
            .map(|url| match url.contains(SHARD_PLACEHOLDER) {
                true => Ok(url.replace(SHARD_PLACEHOLDER, &shard.index.to_string())),
                false if shard.total > 1 => Err(ShardError::SharedQueue {
                    url: url.clone(),
                    total: shard.total,
                }),
                false => Ok(url.clone()),
            })
            .collect()
    }
}

/// One `ReceiveMessage` page at its largest: the least `burst_bytes`.
pub const PAGE_BYTES: usize = 10 * crate::cloudtrail::MAX_EVENT_BYTES;

/// The default `burst_bytes`: 1,000 events of 16 KiB.
pub const BURST_BYTES: usize = 16 * 1024 * 1024;

impl Default for Events {
    fn default() -> Events {
        Events {
            queues: Vec::new(),
            wait: Duration::from_secs(20),
            max_receives: 5,
            burst_bytes: BURST_BYTES,
            restore_limit: 3,
            restore_window: Duration::from_secs(24 * 3600),
        }
    }
}

/// `https://sqs.REGION.amazonaws.com/ACCOUNT/NAME` (or an emulator's
/// `http://HOST:PORT/ACCOUNT/NAME`): the region, when the host names one.
pub fn queue_region(url: &str) -> Option<&str> {
    let host = url.split("://").nth(1)?.split('/').next()?;
    let mut parts = host.split('.');
    match (parts.next(), parts.next()) {
        (Some("sqs"), Some(region)) => Some(region),
        (Some(region), Some("queue")) => Some(region),
        _ => None,
    }
}

/// The ARN of a queue by its URL (`policy iam` grants it): `*` for the
/// region when the URL names none (an emulator's), for the account and
/// name when they are missing; `*` for `{shard}`, so that every shard's
/// queue is granted.
pub fn queue_arn(url: &str) -> String {
    let region = queue_region(url).unwrap_or("*");
    let path = url.split("://").nth(1).unwrap_or(url);
    let mut parts = path.split('/').skip(1).filter(|p| !p.is_empty());
    let account = parts.next().unwrap_or("*");
    let name = parts.next().unwrap_or("*").replace(SHARD_PLACEHOLDER, "*");
    format!(
        "arn:{}:sqs:{region}:{account}:{name}",
        crate::resource::partition_of(region)
    )
}

fn is_queue_url(url: &str) -> bool {
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return false;
    };
    let parts: Vec<&str> = rest.split('/').collect();
    parts.len() == 3 && !parts[0].is_empty() && !parts[1].is_empty() && !parts[2].is_empty()
}

impl Checker<'_> {
    pub(super) fn events(&mut self, spec: EventsSpec, out: &mut Events) {
        let at = key(&key(&[], "daemon"), "events");
        for (i, q) in spec.queues.iter().enumerate() {
            if !is_queue_url(&q.replace(SHARD_PLACEHOLDER, "0")) {
                self.error(
                    &super::index(&key(&at, "queues"), i),
                    format!("`{q}` is not an SQS queue URL such as https://sqs.us-east-1.amazonaws.com/111111111111/tagwarden-events"),
                );
            }
        }
        out.queues = spec.queues;
        if let Some(w) = &spec.wait {
            match parse_duration(w) {
                Ok(d) if d <= Duration::from_secs(20) => out.wait = d,
                Ok(_) => self.error(
                    &key(&at, "wait"),
                    format!("wait `{w}` is longer than SQS allows (20s)"),
                ),
                Err(why) => self.error(&key(&at, "wait"), why.to_string()),
            }
        }
        match spec.max_receives {
            Some(0) => self.error(
                &key(&at, "max_receives"),
                "max_receives must be at least 1".into(),
            ),
            Some(n) => out.max_receives = n,
            None => {}
        }
        match spec.restore_limit {
            Some(0) => self.error(
                &key(&at, "restore_limit"),
                "restore_limit must be at least 1 (restores of one key on one resource within restore_window)".into(),
            ),
            Some(n) => out.restore_limit = n,
            None => {}
        }
        if let Some(w) = &spec.restore_window {
            match parse_duration(w) {
                Ok(d) if d >= Duration::from_secs(60) => out.restore_window = d,
                Ok(_) => self.error(
                    &key(&at, "restore_window"),
                    format!("restore_window `{w}` is shorter than a minute"),
                ),
                Err(why) => self.error(&key(&at, "restore_window"), why.to_string()),
            }
        }
        match spec.burst_bytes {
            Some(n) if n < PAGE_BYTES as u64 => self.error(
                &key(&at, "burst_bytes"),
                format!(
                    "burst_bytes {n} is less than one page of ten events may be ({PAGE_BYTES})"
                ),
            ),
            Some(n) => out.burst_bytes = usize::try_from(n).unwrap_or(usize::MAX),
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_urls_and_their_region() {
        let real = "https://sqs.eu-west-1.amazonaws.com/111111111111/tagwarden-events";
        assert!(is_queue_url(real));
        assert_eq!(queue_region(real), Some("eu-west-1"));
        let legacy = "https://eu-west-1.queue.amazonaws.com/111111111111/q";
        assert_eq!(queue_region(legacy), Some("eu-west-1"));
        let emulator = "http://127.0.0.1:5000/123456789012/q";
        assert!(is_queue_url(emulator));
        assert_eq!(queue_region(emulator), None);
        assert!(!is_queue_url("tagwarden-events"));
        assert!(!is_queue_url("https://sqs.eu-west-1.amazonaws.com/q"));
    }

    #[test]
    fn each_shard_consumes_its_own_queue() {
        let events = |queues: &[&str]| Events {
            queues: queues.iter().map(|q| q.to_string()).collect(),
            ..Events::default()
        };
        let own = events(&["https://sqs.eu-west-1.amazonaws.com/111111111111/tw-{shard}"]);
        let shard = |i, n| Shard::new(i, n).unwrap();
        assert_eq!(
            own.queues_for(shard(2, 3)).unwrap(),
            ["https://sqs.eu-west-1.amazonaws.com/111111111111/tw-2"]
        );
        assert_eq!(
            own.queues_for(Shard::ALL).unwrap(),
            ["https://sqs.eu-west-1.amazonaws.com/111111111111/tw-0"]
        );
        let shared = events(&["https://sqs.eu-west-1.amazonaws.com/111111111111/tw"]);
        assert_eq!(shared.queues_for(Shard::ALL).unwrap(), shared.queues);
        let err = shared.queues_for(shard(0, 2)).unwrap_err();
        assert_eq!(
            err,
            ShardError::SharedQueue {
                url: shared.queues[0].clone(),
                total: 2
            }
        );
        let text = err.to_string();
        assert!(text.contains("would be shared by the 2 shards"), "{text}");
        assert!(text.contains("with {shard} in the URL"), "{text}");
        assert!(text.contains("Shards: 2 creates them"), "{text}");
    }

    #[test]
    fn a_queue_url_may_name_its_shard() {
        let c = crate::config::tests::load(
            "daemon:\n  events:\n    queues: [\"https://sqs.eu-west-1.amazonaws.com/111111111111/tw-{shard}\", \"tw-{shard}\"]\n",
        )
        .unwrap_err();
        assert_eq!(c.0.len(), 1, "{c}");
        assert!(
            c.0[0]
                .message
                .starts_with("`tw-{shard}` is not an SQS queue URL"),
            "{c}"
        );
    }

    #[test]
    fn queue_arns() {
        assert_eq!(
            queue_arn("https://sqs.eu-west-1.amazonaws.com/111111111111/tagwarden-events"),
            "arn:aws:sqs:eu-west-1:111111111111:tagwarden-events"
        );
        assert_eq!(
            queue_arn("https://sqs.cn-north-1.amazonaws.com.cn/111111111111/q"),
            "arn:aws-cn:sqs:cn-north-1:111111111111:q"
        );
        assert_eq!(
            queue_arn("http://127.0.0.1:5000/123456789012/q"),
            "arn:aws:sqs:*:123456789012:q"
        );
        assert_eq!(
            queue_arn("https://sqs.eu-west-1.amazonaws.com/111111111111/tagwarden-events-{shard}"),
            "arn:aws:sqs:eu-west-1:111111111111:tagwarden-events-*"
        );
    }
}
