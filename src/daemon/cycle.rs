//! One cycle: scan every account of this shard, evaluate, and in enforce
//! mode apply the changes due now through the write turn, journaled exactly
//! as `apply` is. The cycle is recorded in the store as a run of kind
//! `cycle` with its summary, so `history` lists it. Shutdown cancels a
//! cycle while it only reads; once it has started to write, it is left to
//! finish.

use super::outcome::{ChangeCounts, CycleFailure, CycleOutput, ScanRecord};
use super::writer::WriteTurn;
use crate::audit;
use crate::aws::Aws;
use crate::config::Loaded;
use crate::credits::{AnswerCache, SpendSource};
use crate::error::{Error, Result};
use crate::inventory::TypeSet;
use crate::progress::Progress;
use crate::scan::{self, Inventory, Narrowing};
use crate::store::{blocking, Prune, Store};
use std::time::Instant;
use tagwarden_core::apply_rules::{AppliedChange, Status};
use tagwarden_core::config::DaemonMode;
use tagwarden_core::cycle_summary::{CycleResult, CycleSummary};
use tagwarden_core::journal::RunKind;
use tagwarden_core::report::{ApplyReport, CreditsReport};
use tagwarden_core::shard::Shard;
use tokio_util::sync::CancellationToken;

/// Run one cycle to its end and record it; never fails (a failure is the
/// cycle's result).
pub async fn run(
    loaded: &Loaded,
    shard: Shard,
    writer: &WriteTurn,
    cancel: CancellationToken,
) -> CycleOutput {
    let started = Instant::now();
    let run_id = uuid::Uuid::now_v7().to_string();
    let store = match blocking(|| open_and_begin(loaded, &run_id)) {
        Ok(store) => store,
        Err(e) => return summarize(run_id, loaded, Steps::stopped(e), started),
    };
    let aws = Aws::connect(&loaded.config).await;
    let steps = steps(loaded, shard, &aws, writer, &cancel).await;
    let mut out = summarize(run_id, loaded, steps, started);
    out.requests = aws.api.requests();
    out.journal_pending = record(&store, &out);
    prune(store, loaded.config.retention);
    out
}

/// What the steps produced, and how they ended.
struct Steps {
    scan: Option<ScanRecord>,
    credits: Option<Result<CreditsReport>>,
    end: Result<Option<ApplyReport>>,
}

impl Steps {
    fn stopped(e: Error) -> Steps {
        Steps {
            scan: None,
            credits: None,
            end: Err(e),
        }
    }
}

/// Scan, audit, the money view, and in enforce mode the write.
async fn steps(
    loaded: &Loaded,
    shard: Shard,
    aws: &Aws,
    writer: &WriteTurn,
    cancel: &CancellationToken,
) -> Steps {
    let inv = match scan(loaded, shard, aws, cancel).await {
        Ok(inv) => inv,
        Err(e) => return Steps::stopped(e),
    };
    let waves = crate::waves::of_scan(aws, &loaded.policies, &inv).await;
    let scan = ScanRecord::of(&inv, audit::report(aws, &loaded.policies, &inv), waves);
    let credits = money(loaded, aws).await;
    let end = enforce(loaded, aws, &inv, writer, cancel).await;
    Steps {
        scan: Some(scan),
        credits: Some(credits),
        end,
    }
}

fn open_and_begin(loaded: &Loaded, run_id: &str) -> Result<Store> {
    let store = Store::open(&loaded.config.store)?;
    store.begin_run(run_id, RunKind::Cycle, &loaded.fingerprint, None)?;
    Ok(store)
}

/// Every account of this shard, for every policy's types; stopped at once
/// by shutdown.
async fn scan(
    loaded: &Loaded,
    shard: Shard,
    aws: &Aws,
    cancel: &CancellationToken,
) -> Result<Inventory> {
    let progress = Progress::new(true);
    let narrow = Narrowing {
        shard,
        ..Narrowing::default()
    };
    let types = TypeSet::new(loaded.policies.resource_types());
    tokio::select! {
        inv = scan::scan(aws, &loaded.config, &types, &narrow, &progress) => inv,
        () = cancel.cancelled() => Err(Error::Cancelled),
    }
}

/// Credits when the agreement's dates are configured; Cost Explorer is
/// asked at most once per `map.cost_explorer_cache`.
async fn money(loaded: &Loaded, aws: &Aws) -> Result<CreditsReport> {
    let config = &loaded.config;
    let cache = AnswerCache::of(config, false);
    let today = chrono::Utc::now().date_naive();
    let source = SpendSource::CostExplorer(&cache);
    crate::credits::report(aws, &config.map, today, &source, Default::default()).await
}

/// Enforce mode: the changes due now, through the write turn.
async fn enforce(
    loaded: &Loaded,
    aws: &Aws,
    inv: &Inventory,
    writer: &WriteTurn,
    cancel: &CancellationToken,
) -> Result<Option<ApplyReport>> {
    match loaded.config.daemon.mode {
        DaemonMode::Audit => Ok(None),
        DaemonMode::Enforce if cancel.is_cancelled() => Err(Error::Cancelled),
        DaemonMode::Enforce => writer
            .write_due(loaded, aws, inv.scanned(), RunKind::Apply, cancel)
            .await
            .map(Some),
    }
}

/// The summary and result, from what the steps did or why they stopped.
fn summarize(run_id: String, loaded: &Loaded, steps: Steps, started: Instant) -> CycleOutput {
    let mode = loaded.config.daemon.mode;
    let seconds = started.elapsed().as_secs_f64();
    let Steps { scan, credits, end } = steps;
    let audit = scan.as_ref().map(|s| &s.audit);
    let mut out = match end {
        Err(Error::Cancelled) => CycleOutput {
            result: CycleResult::Cancelled,
            summary: CycleSummary {
                mode,
                error: Some("cancelled by shutdown before any write".into()),
                duration_seconds: seconds,
                ..CycleSummary::default()
            },
            ..CycleOutput::default()
        },
        Err(e) => {
            tracing::error!(error = %e, label = e.metric_label(), "the cycle failed");
            let mut summary = match audit {
                Some(a) => CycleSummary::of(mode, a, None, seconds),
                None => CycleSummary {
                    mode,
                    duration_seconds: seconds,
                    ..CycleSummary::default()
                },
            };
            summary.error = Some(e.to_string());
            CycleOutput {
                result: summary.result(),
                summary,
                failure: Some(CycleFailure::Error(e.metric_label())),
                ..CycleOutput::default()
            }
        }
        Ok(apply) => {
            let audit = audit.expect("a cycle that ran its steps has its audit");
            let summary = CycleSummary::of(mode, audit, apply.as_ref(), seconds);
            let result = summary.result();
            CycleOutput {
                result,
                summary,
                failure: (result == CycleResult::Failed).then_some(CycleFailure::NothingScanned),
                changes_by_account: apply
                    .as_ref()
                    .map(ChangeCounts::per_account)
                    .unwrap_or_default(),
                capped: apply.as_ref().map(|a| {
                    let capped = |c: &&AppliedChange| c.status == Status::Capped;
                    a.changes
                        .iter()
                        .filter(capped)
                        .map(|c| c.change.set.len())
                        .sum()
                }),
                ..CycleOutput::default()
            }
        }
    };
    out.run_id = run_id;
    out.scan = scan;
    out.credits = credits;
    out
}

/// Drop the runs past the retention with nothing left to roll back, so a
/// daemon's hourly cycles do not grow the store for ever.
fn prune(mut store: Store, retention: Option<std::time::Duration>) {
    let Some(age) = retention.and_then(|r| chrono::Duration::from_std(r).ok()) else {
        return;
    };
    match blocking(|| store.prune(chrono::Utc::now() - age, Prune::Settled)) {
        Ok(p) if p.runs > 0 => {
            tracing::info!(
                runs = p.runs,
                changes = p.changes,
                kept = p.kept,
                "pruned runs past store.retention"
            );
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "cannot prune the state store"),
    }
}

/// The cycle's end in the store; the journal entries still pending after
/// it (None: unknown).
fn record(store: &Store, out: &CycleOutput) -> Option<usize> {
    let recorded = blocking(|| store.finish_cycle(&out.run_id, out.result, &out.summary));
    if let Err(e) = recorded {
        tracing::error!(error = %e, "cannot record the cycle in the state store");
    }
    blocking(|| store.pending()).ok().map(|p| p.len())
}
