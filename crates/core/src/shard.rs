//! Sharding: which replica owns which account. Each of `total` replicas owns
//! the accounts whose 12-digit id, read as a number, is `index` modulo
//! `total`: a split that depends on nothing but the id and the count, so it
//! never moves between releases or restarts.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 0-based: this replica's position.
    pub index: u32,
    pub total: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    #[error("--total-shards must be at least 1")]
    NoShards,
    #[error("--shard {index} is out of range: with --total-shards {total} it must be 0 to {}", total - 1)]
    OutOfRange { index: u32, total: u32 },
    #[error("--shard needs --total-shards (and the other way round)")]
    Incomplete,
    #[error("cannot take the shard from the pod name `{0}`: a StatefulSet pod is named NAME-ORDINAL (set --shard, or the pod name in POD_NAME)")]
    NoOrdinal(String),
    /// Replicas sharing one queue would each write (and journal) events
    /// of the others' accounts.
    #[error("daemon.events.queues: `{url}` would be shared by the {total} shards, and a write must be journaled in the store of the replica that owns its account: give each shard its own queue that receives every event, with {{shard}} in the URL (e.g. https://sqs.eu-west-1.amazonaws.com/111111111111/tagwarden-events-{{shard}}; deploy/cloudformation/events-central.yaml with Shards: {total} creates them)")]
    SharedQueue { url: String, total: u32 },
}

impl Shard {
    /// The whole estate: one replica.
    pub const ALL: Shard = Shard { index: 0, total: 1 };

    pub fn new(index: u32, total: u32) -> Result<Shard, ShardError> {
        if total == 0 {
            return Err(ShardError::NoShards);
        }
        if index >= total {
            return Err(ShardError::OutOfRange { index, total });
        }
        Ok(Shard { index, total })
    }

    /// The shard of a StatefulSet pod: its name ends in `-ORDINAL`.
    pub fn from_pod_name(name: &str, total: u32) -> Result<Shard, ShardError> {
        let ordinal = name
            .rsplit_once('-')
            .and_then(|(_, n)| n.parse::<u32>().ok())
            .ok_or_else(|| ShardError::NoOrdinal(name.to_string()))?;
        Shard::new(ordinal, total)
    }

    /// `--shard`, `--total-shards` and the pod name (used when `--shard` is
    /// absent and `--total-shards` is given), resolved.
    pub fn resolve(
        index: Option<u32>,
        total: Option<u32>,
        pod_name: Option<&str>,
    ) -> Result<Shard, ShardError> {
        match (index, total, pod_name) {
            (None, None, _) => Ok(Shard::ALL),
            (Some(i), Some(t), _) => Shard::new(i, t),
            (None, Some(t), Some(pod)) => Shard::from_pod_name(pod, t),
            _ => Err(ShardError::Incomplete),
        }
    }

    /// Whether this replica scans `account`. An id that is not a number is
    /// owned by shard 0, so that nothing is scanned twice or never.
    pub fn owns(&self, account: &str) -> bool {
        let n = account.parse::<u64>().unwrap_or(0);
        n % u64::from(self.total) == u64::from(self.index)
    }
}

impl Default for Shard {
    fn default() -> Shard {
        Shard::ALL
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_account_has_exactly_one_owner() {
        for total in [1, 3, 5, 8] {
            for n in 0..2_000u64 {
                let id = format!("{:012}", 100_000_000_000 + n * 7919);
                let owners = (0..total)
                    .filter(|&i| Shard::new(i, total).unwrap().owns(&id))
                    .count();
                assert_eq!(owners, 1, "{id} over {total}");
            }
        }
    }

    #[test]
    fn the_split_is_the_id_modulo_the_count() {
        let s = Shard::new(2, 5).unwrap();
        assert!(s.owns("111111111112")); // 111111111112 % 5 == 2
        assert!(!s.owns("111111111111"));
        assert!(Shard::ALL.owns("999999999999"));
    }

    #[test]
    fn resolve_from_flags_or_pod_name() {
        assert_eq!(Shard::resolve(None, None, Some("x-3")), Ok(Shard::ALL));
        assert_eq!(
            Shard::resolve(Some(1), Some(3), None),
            Ok(Shard::new(1, 3).unwrap())
        );
        assert_eq!(
            Shard::resolve(None, Some(4), Some("tagwarden-3")),
            Ok(Shard { index: 3, total: 4 })
        );
        assert_eq!(
            Shard::resolve(Some(1), None, None),
            Err(ShardError::Incomplete)
        );
        assert_eq!(
            Shard::resolve(None, Some(4), None),
            Err(ShardError::Incomplete)
        );
    }

    #[test]
    fn errors_say_what_to_do() {
        let msg = |e: ShardError| e.to_string();
        assert_eq!(
            msg(Shard::new(0, 0).unwrap_err()),
            "--total-shards must be at least 1"
        );
        assert_eq!(
            msg(Shard::new(3, 3).unwrap_err()),
            "--shard 3 is out of range: with --total-shards 3 it must be 0 to 2"
        );
        assert_eq!(
            msg(Shard::from_pod_name("tagwarden", 3).unwrap_err()),
            "cannot take the shard from the pod name `tagwarden`: a StatefulSet pod is named NAME-ORDINAL (set --shard, or the pod name in POD_NAME)"
        );
        assert_eq!(
            Shard::from_pod_name("tagwarden-7", 3).unwrap_err(),
            ShardError::OutOfRange { index: 7, total: 3 }
        );
    }
}
