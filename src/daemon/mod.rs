//! `tagwarden run`: the daemon. A loop around the same scan, evaluation and
//! apply the commands use (`cycle`), on a schedule (`schedule`), serving
//! health, readiness, metrics and a status page (`http`, `metrics`), with
//! SIGHUP reloads (`reload`) and systemd's notify protocol (`notify`).

mod cycle;
mod http;
mod listener;
mod metrics;
mod notify;
mod on_create;
mod outcome;
mod reload;
mod schedule;
mod state;
mod writer;

use crate::config::{Loaded, Sources};
use crate::error::{Error, Result};
use crate::store::{blocking, Store};
use schedule::Signals;
use state::Shared;
use std::sync::Arc;
use std::time::Duration;
use tagwarden_core::config::DaemonMode;
use tagwarden_core::report::drift::LATELY;
use tagwarden_core::report::Removal;
use tagwarden_core::shard::Shard;
use tokio_util::sync::CancellationToken;

pub struct Options {
    pub sources: Sources,
    pub shard: Shard,
}

/// Load and check everything, then serve until SIGTERM or SIGINT: exit 0
/// after a drain; 2 when the configuration or the listen address is bad,
/// before anything is scanned.
pub fn run(opts: Options) -> Result<u8> {
    let loaded = state::load(&opts.sources)?;
    let runtime = tokio::runtime::Runtime::new()
        .map_err(|e| Error::io("cannot start the async runtime", e))?;
    let served = runtime.block_on(serve(loaded, opts));
    // A cycle still writing after the drain is abandoned here; its journal
    // entries stay pending and the next start settles them.
    runtime.shutdown_timeout(Duration::from_millis(250));
    served.map(|()| 0)
}

async fn serve(loaded: Loaded, opts: Options) -> Result<()> {
    let queues = loaded.config.daemon.events.queues_for(opts.shard)?;
    let signals = Signals::register()?;
    let listener = bind(loaded.config.daemon.listen).await?;
    // The address bound: `daemon.listen` with port 0 gets a free port, and
    // this line says which.
    let listen = listener
        .local_addr()
        .map_err(|e| Error::io("cannot read the listening address", e))?;
    let pending = settle_own_runs(&loaded.config.store, loaded.config.daemon.mode)?;
    let shared = Arc::new(Shared::new(loaded, opts.shard));
    shared.metrics.pending_at_start(pending);
    shared.removed(&removals_at_start(&shared.loaded().config.store));
    let stop_http = CancellationToken::new();
    let server = tokio::spawn(http::serve(listener, shared.clone(), stop_http.clone()));
    let mode = shared.loaded().config.daemon.mode.label();
    tracing::info!(%listen, mode, shard = %opts.shard, "tagwarden daemon ready");
    notify::ready(&format!("serving on {listen}, shard {}", opts.shard));
    let stop_events = CancellationToken::new();
    let consumer = (!queues.is_empty()).then(|| {
        tokio::spawn(on_create::consume(
            shared.clone(),
            queues,
            stop_events.clone(),
        ))
    });
    let drain = shared.loaded().config.daemon.drain;
    schedule::schedule(shared, opts.sources, signals).await;
    stop_events.cancel();
    if let Some(consumer) = consumer {
        // A burst being written is finished (within the drain), not cut.
        if tokio::time::timeout(drain, consumer).await.is_err() {
            tracing::warn!("tag on create did not finish its writes within daemon.drain");
        }
    }
    stop_http.cancel();
    // Requests in flight get a moment; a client holding its connection open
    // does not hold up the exit.
    match tokio::time::timeout(Duration::from_secs(2), server).await {
        Ok(Ok(Err(e))) => tracing::error!(error = %e, "the HTTP server failed"),
        Ok(Err(e)) => tracing::error!(error = %e, "the HTTP server task ended abnormally"),
        Ok(Ok(Ok(()))) | Err(_) => {}
    }
    tracing::info!("stopped");
    Ok(())
}

async fn bind(listen: std::net::SocketAddr) -> Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(listen).await.map_err(|e| {
        Error::usage(format!(
            "cannot listen on {listen} (daemon.listen): {e}; stop what holds the address or set another daemon.listen"
        ))
    })
}

/// The last removals the store holds, for the status page and `/report`
/// from the start (a failure is logged: they come with the next removal).
fn removals_at_start(store: &std::path::Path) -> Vec<Removal> {
    let last = blocking(|| Store::open(store)?.last_removals(LATELY));
    last.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "cannot read the last removals of policies' tags from the state store");
        Vec::new()
    })
}

/// Cycles of an earlier daemon still marked running ended with it; the
/// journal entries still pending, counted (and said how they are settled).
fn settle_own_runs(store: &std::path::Path, mode: DaemonMode) -> Result<usize> {
    let pending = blocking(|| {
        let store = Store::open(store)?;
        store.mark_cycles_interrupted()?;
        Ok::<_, Error>(store.pending()?.len())
    })?;
    if pending > 0 {
        let settles = match mode {
            DaemonMode::Enforce => "the first cycle settles them before it writes",
            DaemonMode::Audit => {
                "run `tagwarden apply` (or the daemon in enforce mode) to settle them"
            }
        };
        tracing::warn!(
            pending,
            "an interrupted apply left journal entries pending; {settles}"
        );
    }
    Ok(pending)
}
