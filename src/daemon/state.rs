//! What the scheduler, the cycles and the HTTP server share: the loaded
//! configuration (swapped whole on reload), the last cycle, the heartbeat
//! and the metrics.

use super::metrics::Metrics;
use crate::config;
use crate::error::Result;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use tagwarden_core::config::Config;
use tagwarden_core::cycle::{self, CycleResult, CycleSummary};
use tagwarden_core::policy::PolicySet;
use tagwarden_core::report::{AuditReport, CreditsReport};
use tagwarden_core::shard::Shard;

/// Where the configuration comes from, so that a reload reads the same files.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// `-c`: None finds it as every command does.
    pub config: Option<PathBuf>,
    /// `--policy`: instead of the configuration's.
    pub policies: Vec<PathBuf>,
}

/// A configuration and its policies, validated together.
pub struct Loaded {
    pub config: Config,
    pub policies: PolicySet,
    pub fingerprint: String,
}

impl Loaded {
    /// Read and validate everything; any problem is an error and nothing
    /// of the file is used.
    pub fn load(sources: &Sources) -> Result<Loaded> {
        let config = config::load(sources.config.as_deref())?;
        let policies = config::policies(&config, &sources.policies, true)?;
        for w in &policies.warnings {
            tracing::warn!("{w}");
        }
        let fingerprint = config::fingerprint(&config, &policies)?;
        Ok(Loaded {
            config,
            policies,
            fingerprint,
        })
    }
}

/// The last finished cycle, kept for `/`, `/readyz` and the logs.
pub struct Finished {
    pub run_id: String,
    pub finished_at: String,
    pub at: Instant,
    pub result: CycleResult,
    pub summary: CycleSummary,
    /// The cycle's audit (None when it failed before one), for `/` and
    /// `/report`.
    pub audit: Option<AuditReport>,
    /// The money view, or why there is none.
    pub credits: Option<Result<CreditsReport, String>>,
}

pub struct Shared {
    loaded: RwLock<Arc<Loaded>>,
    pub last: Mutex<Option<Finished>>,
    pub metrics: Metrics,
    pub shard: Shard,
    started: Instant,
    /// Milliseconds since `started` when the scheduler last went round.
    heartbeat: AtomicU64,
    /// Held by whoever writes tags (a cycle, tag on create), so they take
    /// turns rather than race for the store's lock.
    pub writes: Arc<tokio::sync::Mutex<()>>,
    /// The accounts the last finished cycle found configured, every
    /// shard's: tag on create handles an event of any of them (a queue
    /// shared by replicas hands each message to one).
    accounts: RwLock<Option<Arc<BTreeSet<String>>>>,
}

impl Shared {
    pub fn new(loaded: Loaded, shard: Shard) -> Shared {
        Shared {
            loaded: RwLock::new(Arc::new(loaded)),
            last: Mutex::new(None),
            metrics: Metrics::new(shard),
            shard,
            started: Instant::now(),
            heartbeat: AtomicU64::new(0),
            writes: Arc::new(tokio::sync::Mutex::new(())),
            accounts: RwLock::new(None),
        }
    }

    pub fn loaded(&self) -> Arc<Loaded> {
        self.loaded.read().expect("loaded").clone()
    }

    /// Swap in a validated configuration; cycles already running keep theirs.
    pub fn swap(&self, loaded: Loaded) {
        *self.loaded.write().expect("loaded") = Arc::new(loaded);
    }

    /// The configured accounts, once a cycle has listed them.
    pub fn accounts(&self) -> Option<Arc<BTreeSet<String>>> {
        self.accounts.read().expect("accounts").clone()
    }

    pub fn set_accounts(&self, accounts: &[String]) {
        let set = accounts.iter().cloned().collect();
        *self.accounts.write().expect("accounts") = Some(Arc::new(set));
    }

    pub fn beat(&self) {
        let ms = self.started.elapsed().as_millis() as u64;
        self.heartbeat.store(ms, Ordering::Relaxed);
    }

    /// Time since the scheduler last went round its loop.
    pub fn since_heartbeat(&self) -> Duration {
        let beat = Duration::from_millis(self.heartbeat.load(Ordering::Relaxed));
        self.started.elapsed().saturating_sub(beat)
    }

    pub fn readiness(&self) -> std::result::Result<String, String> {
        let interval = self.loaded().config.daemon.interval;
        let last = self.last.lock().expect("last cycle");
        cycle::readiness(last.as_ref().map(|f| (f.result, f.at.elapsed())), interval)
    }
}
