//! What the scheduler, the cycles, tag on create and the HTTP server
//! share: the loaded configuration (swapped whole on reload), the last
//! cycle, the heartbeat, the metrics and the write turn. Nothing it holds
//! imports it back.

use super::metrics::Metrics;
use super::writer::WriteTurn;
use crate::config::{Loaded, Sources};
use crate::error::{Error, Result};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use tagwarden_core::cycle_summary::{self, CycleResult, CycleSummary, Readiness};
use tagwarden_core::mgn::waves::WaveRow;
use tagwarden_core::report::drift::LATELY;
use tagwarden_core::report::{AuditReport, CreditsReport, Removal};
use tagwarden_core::shard::Shard;

/// Load the configuration and the policies, their warnings logged.
pub fn load(sources: &Sources) -> Result<Loaded> {
    let loaded = Loaded::load(sources)?;
    for w in &loaded.policies.warnings {
        tracing::warn!("{w}");
    }
    Ok(loaded)
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
    /// MGN's waves with their readiness.
    pub waves: Vec<WaveRow>,
    /// The money view, or why there is none.
    pub credits: Option<std::result::Result<CreditsReport, Error>>,
}

pub struct Shared {
    loaded: RwLock<Arc<Loaded>>,
    pub last: Mutex<Option<Finished>>,
    pub metrics: Metrics,
    pub shard: Shard,
    started: Instant,
    /// Milliseconds since `started` when the scheduler last went round.
    heartbeat: AtomicU64,
    /// Whoever writes tags (a cycle, tag on create) writes through it, in
    /// turn.
    pub writer: Arc<WriteTurn>,
    /// The accounts the last finished cycle found configured, every
    /// shard's: tag on create tells an event of another shard's account
    /// (that replica handles it) from one of an account in none.
    accounts: RwLock<Option<Arc<BTreeSet<String>>>>,
    /// The last removals of policies' tags (the store's at start, then
    /// those the event queues bring), for the status page and `/report`
    /// (`tagwarden drift` reads them all from the store).
    removals: Mutex<std::collections::VecDeque<Removal>>,
}

impl Shared {
    pub fn new(loaded: Loaded, shard: Shard) -> Shared {
        let metrics = Metrics::new(shard);
        metrics.interval(loaded.config.daemon.interval);
        Shared {
            loaded: RwLock::new(Arc::new(loaded)),
            last: Mutex::new(None),
            metrics,
            shard,
            started: Instant::now(),
            heartbeat: AtomicU64::new(0),
            writer: Arc::new(WriteTurn::default()),
            accounts: RwLock::new(None),
            removals: Mutex::new(std::collections::VecDeque::new()),
        }
    }

    pub fn loaded(&self) -> Arc<Loaded> {
        self.loaded.read().expect("loaded").clone()
    }

    /// Swap in a validated configuration; cycles already running keep theirs.
    pub fn swap(&self, loaded: Loaded) {
        self.metrics.interval(loaded.config.daemon.interval);
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

    /// Keep `rows` among the recent removals (the oldest forgotten).
    pub fn removed(&self, rows: &[Removal]) {
        let mut recent = self.removals.lock().expect("removals");
        recent.extend(rows.iter().cloned());
        while recent.len() > LATELY {
            recent.pop_front();
        }
    }

    pub fn recent_removals(&self) -> Vec<Removal> {
        self.removals
            .lock()
            .expect("removals")
            .iter()
            .cloned()
            .collect()
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

    pub fn readiness(&self) -> Readiness {
        let interval = self.loaded().config.daemon.interval;
        let last = self.last.lock().expect("last cycle");
        cycle_summary::readiness(last.as_ref().map(|f| (f.result, f.at.elapsed())), interval)
    }
}
