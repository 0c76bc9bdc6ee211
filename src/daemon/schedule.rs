//! The scheduler: a cycle at start, then one every `daemon.interval` ± 10 %
//! (so replicas and restarts do not hit AWS in step). A cycle still running
//! when the next is due is not doubled: the due one is skipped and
//! counted. The loop also beats the heartbeat `/healthz` reads, pings the
//! systemd watchdog while cycles make progress, reloads on SIGHUP, and on
//! SIGTERM or SIGINT stops new work and drains the running cycle.

use super::cycle;
use super::outcome::CycleOutput;
use super::state::{Finished, Shared};
use super::{notify, reload};
use crate::backoff::random_unit;
use crate::config::Sources;
use crate::error::{Error, Result};
use std::sync::Arc;
use std::time::Duration;
use tagwarden_core::cycle_summary::CycleResult;
use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::sync::mpsc;
use tokio::time::{sleep_until, Instant};
use tokio_util::sync::CancellationToken;

/// Signals the daemon handles, registered before it reports ready so that
/// an early SIGHUP does not kill it.
pub struct Signals {
    hangup: Signal,
    terminate: Signal,
    interrupt: Signal,
}

impl Signals {
    pub fn register() -> Result<Signals> {
        let on = |kind: SignalKind| {
            signal(kind).map_err(|e| Error::io("cannot install the signal handlers", e))
        };
        Ok(Signals {
            hangup: on(SignalKind::hangup())?,
            terminate: on(SignalKind::terminate())?,
            interrupt: on(SignalKind::interrupt())?,
        })
    }
}

/// The cycle in flight: how to cancel it, and since when it runs (its
/// output arrives on the scheduler's channel).
struct Running {
    cancel: CancellationToken,
    started: Instant,
}

/// Run cycles until SIGTERM or SIGINT, then drain.
pub async fn schedule(shared: Arc<Shared>, sources: Sources, mut signals: Signals) {
    let mut next_due = Instant::now();
    let mut running: Option<Running> = None;
    let (done, mut finished) = mpsc::channel::<CycleOutput>(1);
    let watchdog = notify::watchdog_period();
    let beat = watchdog.map_or(Duration::from_secs(1), |w| w.min(Duration::from_secs(1)));
    let mut ticks = tokio::time::interval(beat);
    loop {
        tokio::select! {
            () = sleep_until(next_due) => {
                let interval = shared.loaded().config.daemon.interval;
                next_due = Instant::now() + jittered(interval, random_unit());
                if running.is_some() {
                    tracing::warn!("a cycle is due while the previous one is still running: skipped");
                    shared.metrics.skipped();
                } else {
                    running = Some(start(&shared, done.clone()));
                }
            }
            Some(out) = finished.recv() => {
                running = None;
                record(&shared, out);
            }
            _ = ticks.tick() => {
                // A stuck cycle stops both the watchdog and /healthz, so that
                // systemd or Kubernetes restarts the daemon.
                if progressing(&shared, running.as_ref()) {
                    shared.beat();
                    if watchdog.is_some() {
                        notify::watchdog();
                    }
                }
            }
            _ = signals.hangup.recv() => reload::reload(&shared, &sources),
            _ = signals.terminate.recv() => break,
            _ = signals.interrupt.recv() => break,
        }
    }
    drain(&shared, running, finished).await;
}

fn start(shared: &Arc<Shared>, done: mpsc::Sender<CycleOutput>) -> Running {
    let loaded = shared.loaded();
    let shard = shared.shard;
    let cancel = CancellationToken::new();
    let token = cancel.clone();
    tracing::info!(mode = loaded.config.daemon.mode.label(), "cycle starting");
    notify::status("cycle running");
    let writer = shared.writer.clone();
    let handle = tokio::spawn(async move { cycle::run(&loaded, shard, &writer, token).await });
    tokio::spawn(async move {
        // The scheduler stops listening only when the process exits.
        let _ = done.send(outcome(handle.await)).await;
    });
    Running {
        cancel,
        started: Instant::now(),
    }
}

/// A cycle that panicked is a failed cycle, not a dead daemon.
fn outcome(joined: std::result::Result<CycleOutput, tokio::task::JoinError>) -> CycleOutput {
    joined.unwrap_or_else(|e| {
        tracing::error!(error = %e, "the cycle task ended abnormally");
        CycleOutput::internal_failure()
    })
}

/// The heartbeat and watchdog pings stop when a cycle has run for longer
/// than twice the interval (and at least ten minutes): it is stuck.
fn progressing(shared: &Shared, running: Option<&Running>) -> bool {
    let Some(r) = running else { return true };
    let interval = shared.loaded().config.daemon.interval;
    r.started.elapsed() < (interval * 2).max(Duration::from_secs(600))
}

fn record(shared: &Shared, out: CycleOutput) {
    let now = chrono::Utc::now();
    shared
        .metrics
        .record(&out, now.timestamp_millis() as f64 / 1000.0);
    let s = &out.summary;
    tracing::info!(
        run_id = %out.run_id,
        result = out.result.label(),
        seconds = s.duration_seconds,
        "cycle finished: {}",
        s.line()
    );
    notify::status(&format!("last cycle {}: {}", out.result.label(), s.line()));
    if out.result == CycleResult::Cancelled {
        return;
    }
    if let Some(scan) = out
        .scan
        .as_ref()
        .filter(|_| out.result != CycleResult::Failed)
    {
        shared.set_accounts(&scan.every_shard);
    }
    let (audit, waves) = match out.scan {
        Some(s) => (Some(s.audit), s.waves),
        None => (None, Vec::new()),
    };
    *shared.last.lock().expect("last cycle") = Some(Finished {
        run_id: out.run_id,
        finished_at: tagwarden_core::time::rfc3339(now),
        at: std::time::Instant::now(),
        result: out.result,
        summary: out.summary,
        audit,
        waves,
        credits: out.credits,
    });
}

/// Stop new work: a cycle that is only reading is cancelled at once; one
/// that is writing gets up to `daemon.drain` to finish and mark its journal.
async fn drain(
    shared: &Shared,
    running: Option<Running>,
    mut finished: mpsc::Receiver<CycleOutput>,
) {
    notify::stopping();
    let Some(r) = running else {
        tracing::info!("stopping: no cycle running");
        return;
    };
    let drain = shared.loaded().config.daemon.drain;
    let shown = humantime::format_duration(drain);
    tracing::info!(drain = %shown, "stopping: draining the running cycle");
    r.cancel.cancel();
    match tokio::time::timeout(drain, finished.recv()).await {
        Ok(Some(out)) => record(shared, out),
        Ok(None) | Err(_) => tracing::warn!(
            "the running cycle did not finish within daemon.drain ({shown}); the changes it journaled stay pending and the next start settles them"
        ),
    }
}

/// `interval` scaled by a factor in [0.9, 1.1), from `unit` in [0, 1).
pub fn jittered(interval: Duration, unit: f64) -> Duration {
    interval.mul_f64(0.9 + 0.2 * unit.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_within_ten_percent() {
        let hour = Duration::from_secs(3600);
        assert_eq!(jittered(hour, 0.0), Duration::from_secs(3240));
        assert_eq!(jittered(hour, 0.5), hour);
        assert!(jittered(hour, 0.999_999) < Duration::from_secs(3960));
    }
}
