//! One cycle: scan every account of this shard, evaluate, and in enforce
//! mode apply the changes due now, journaled exactly as `apply` is. The
//! cycle is recorded in the store as a run of kind `cycle` with its summary,
//! so `history` lists it. Shutdown cancels a cycle while it only reads;
//! once it has started to write, it is left to finish.

use super::state::Loaded;
use crate::audit;
use crate::aws::Aws;
use crate::enforce::{ApplyOptions, Enforcer};
use crate::error::{Error, Result};
use crate::inventory::TypeSet;
use crate::progress::Progress;
use crate::scan::{self, Inventory, Narrowing};
use crate::store::{blocking, Store};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;
use tagwarden_core::apply::Refusal;
use tagwarden_core::config::DaemonMode;
use tagwarden_core::cycle::{CycleResult, CycleSummary};
use tagwarden_core::report::{ApplyReport, AuditReport, CreditsReport};
use tagwarden_core::shard::Shard;
use tokio_util::sync::CancellationToken;

/// What a finished cycle hands to the metrics, the status page and the logs.
#[derive(Default)]
pub struct CycleOutput {
    pub run_id: String,
    pub result: CycleResult,
    pub summary: CycleSummary,
    /// The metric label of the error that failed the whole cycle.
    pub failure: Option<&'static str>,
    pub audit: Option<AuditReport>,
    /// The accounts of this shard, and the resources found in each.
    pub accounts: Vec<String>,
    /// The configured accounts of every shard.
    pub every_shard: Vec<String>,
    pub resources_by_account: BTreeMap<String, usize>,
    /// Tag changes applied and failed, per account.
    pub changes_by_account: BTreeMap<String, (u64, u64)>,
    /// The money view (Cost Explorer, answers cached in the store), or why
    /// there is none.
    pub credits: Option<std::result::Result<CreditsReport, String>>,
    /// Journal entries still pending after the cycle (None: unknown).
    pub journal_pending: Option<usize>,
    /// AWS requests and throttling answers, per `service:Operation`.
    pub calls: BTreeMap<String, u64>,
    pub throttles: BTreeMap<String, u64>,
}

/// Why a cycle stopped before its end.
enum Stop {
    Cancelled,
    Failed(Error),
}

impl From<Error> for Stop {
    fn from(e: Error) -> Stop {
        Stop::Failed(e)
    }
}

/// Run one cycle to its end and record it; never fails (a failure is the
/// cycle's result).
pub async fn run(
    loaded: &Loaded,
    shard: Shard,
    cancel: CancellationToken,
    writes: Arc<tokio::sync::Mutex<()>>,
) -> CycleOutput {
    let started = Instant::now();
    let mode = loaded.config.daemon.mode;
    let run_id = uuid::Uuid::now_v7().to_string();
    let mut out = CycleOutput {
        run_id: run_id.clone(),
        ..CycleOutput::default()
    };
    match blocking(|| open_and_begin(loaded, &run_id)) {
        Ok(mut store) => {
            let ctx = Writer {
                cancel: &cancel,
                writes: &writes,
            };
            let outcome = scan_and_enforce(loaded, shard, &mut store, ctx, &mut out).await;
            finish(&mut out, outcome, mode, started);
            let recorded =
                blocking(|| store.finish_cycle(&run_id, out.result.label(), &out.summary));
            if let Err(e) = recorded {
                tracing::error!(error = %e, "cannot record the cycle in the state store");
            }
            out.journal_pending = blocking(|| store.pending()).ok().map(|p| p.len());
        }
        Err(e) => finish(&mut out, Err(Stop::Failed(e)), mode, started),
    }
    out
}

fn open_and_begin(loaded: &Loaded, run_id: &str) -> Result<Store> {
    let store = Store::open(&loaded.config.store)?;
    store.begin_run(run_id, "cycle", &loaded.fingerprint, None)?;
    Ok(store)
}

/// The summary and result, from what the cycle did or why it stopped.
fn finish(
    out: &mut CycleOutput,
    outcome: std::result::Result<Option<ApplyReport>, Stop>,
    mode: DaemonMode,
    started: Instant,
) {
    let seconds = started.elapsed().as_secs_f64();
    let apply = match outcome {
        Ok(apply) => apply,
        Err(Stop::Cancelled) => {
            out.summary = CycleSummary {
                mode: mode.label().into(),
                error: Some("cancelled by shutdown before any write".into()),
                duration_seconds: seconds,
                ..CycleSummary::default()
            };
            out.result = CycleResult::Cancelled;
            return;
        }
        Err(Stop::Failed(e)) => {
            tracing::error!(error = %e, label = e.metric_label(), "the cycle failed");
            out.failure = Some(e.metric_label());
            let mut summary = match &out.audit {
                Some(a) => CycleSummary::of(mode.label(), a, None, seconds),
                None => CycleSummary {
                    mode: mode.label().into(),
                    duration_seconds: seconds,
                    ..CycleSummary::default()
                },
            };
            summary.error = Some(e.to_string());
            out.result = summary.result();
            out.summary = summary;
            return;
        }
    };
    let audit = out.audit.as_ref().expect("a finished cycle has its audit");
    out.summary = CycleSummary::of(mode.label(), audit, apply.as_ref(), seconds);
    out.result = out.summary.result();
    if out.result == CycleResult::Failed {
        out.failure = Some("nothing_scanned");
    }
    if let Some(apply) = apply {
        for c in &apply.changes {
            let counts = out
                .changes_by_account
                .entry(c.change.account.clone())
                .or_default();
            match c.status {
                tagwarden_core::apply::Status::Applied => counts.0 += 1,
                tagwarden_core::apply::Status::Failed => counts.1 += 1,
                _ => {}
            }
        }
    }
}

/// What a write needs besides the inventory: shutdown, and the turn to
/// write (shared with tag on create).
#[derive(Clone, Copy)]
pub struct Writer<'a> {
    pub cancel: &'a CancellationToken,
    pub writes: &'a tokio::sync::Mutex<()>,
}

async fn scan_and_enforce(
    loaded: &Loaded,
    shard: Shard,
    store: &mut Store,
    ctx: Writer<'_>,
    out: &mut CycleOutput,
) -> std::result::Result<Option<ApplyReport>, Stop> {
    let cancel = ctx.cancel;
    let config = &loaded.config;
    let aws = Aws::connect(config).await;
    let progress = Progress::new(true);
    let narrow = Narrowing {
        shard,
        ..Narrowing::default()
    };
    let types = TypeSet::new(loaded.policies.resource_types());
    let scanned = tokio::select! {
        inv = scan::scan(&aws, config, &types, &narrow, &progress) => Some(inv),
        () = cancel.cancelled() => None,
    };
    let counted = |out: &mut CycleOutput| {
        out.calls = aws.api.calls();
        out.throttles = aws.api.throttles();
    };
    let inv = match scanned {
        Some(Ok(inv)) => inv,
        Some(Err(e)) => {
            counted(out);
            return Err(e.into());
        }
        None => {
            counted(out);
            return Err(Stop::Cancelled);
        }
    };
    record_scan(out, &inv, audit::report(&aws, &loaded.policies, &inv));
    out.credits = Some(money(loaded, &aws).await);
    let applied = match config.daemon.mode {
        DaemonMode::Audit => Ok(None),
        DaemonMode::Enforce if cancel.is_cancelled() => Err(Stop::Cancelled),
        DaemonMode::Enforce => enforce(loaded, &aws, store, &inv, ctx).await.map(Some),
    };
    counted(out);
    applied
}

/// Credits when the agreement's dates are configured; Cost Explorer is
/// asked at most once per `map.cost_explorer_cache`.
async fn money(loaded: &Loaded, aws: &Aws) -> std::result::Result<CreditsReport, String> {
    let config = &loaded.config;
    let cache = crate::credits::AnswerCache::of(config, false);
    let today = chrono::Utc::now().date_naive();
    let source = crate::credits::SpendSource::CostExplorer(&cache);
    crate::credits::report(aws, &config.map, today, &source)
        .await
        .map_err(|e| e.to_string())
}

fn record_scan(out: &mut CycleOutput, inv: &Inventory, audit: AuditReport) {
    out.accounts = inv.account_ids.clone();
    out.every_shard = inv.every_shard.clone();
    for r in &inv.resources {
        *out.resources_by_account
            .entry(r.account.clone())
            .or_default() += 1;
    }
    out.audit = Some(audit);
}

/// The changes due now, under the blast-radius cap, with the daemon's
/// write turn and the store's lock held so neither tag on create nor a
/// one-off apply or rollback races the cycle.
async fn enforce(
    loaded: &Loaded,
    aws: &Aws,
    store: &mut Store,
    inv: &Inventory,
    ctx: Writer<'_>,
) -> std::result::Result<ApplyReport, Stop> {
    let _turn = ctx.writes.lock().await;
    let _lock = blocking(|| store.lock()).map_err(Error::from)?;
    let progress = Progress::new(true);
    let enforcer = Enforcer {
        aws,
        config: &loaded.config,
        policies: &loaded.policies,
        fingerprint: loaded.fingerprint.clone(),
        progress: &progress,
    };
    let cancel = ctx.cancel;
    let opts = ApplyOptions {
        plan: None,
        max_changes: None,
        narrow: Narrowing::default(),
    };
    // Asked right before the journal is written: after a shutdown request,
    // the answer is no and nothing new is written.
    let token = cancel.clone();
    let yes_unless_stopping = Box::new(move |_: &str| Ok(!token.is_cancelled()));
    let applied = enforcer
        .apply_scanned(store, inv, opts, yes_unless_stopping, chrono::Utc::now())
        .await;
    match applied {
        Err(Error::Refused(Refusal::NotConfirmed)) => Err(Stop::Cancelled),
        other => Ok(other?),
    }
}

/// Tag on create's write: the changes due now for `inv` (the resources
/// events named), journaled as a cycle's are, in the daemon's write turn.
pub async fn write_due(
    shared: &super::state::Shared,
    loaded: &Loaded,
    aws: &Aws,
    inv: &Inventory,
    cancel: &CancellationToken,
) -> std::result::Result<ApplyReport, String> {
    let ctx = Writer {
        cancel,
        writes: &shared.writes,
    };
    let mut store = blocking(|| Store::open(&loaded.config.store)).map_err(|e| e.to_string())?;
    match enforce(loaded, aws, &mut store, inv, ctx).await {
        Ok(report) => Ok(report),
        Err(Stop::Cancelled) => Err("shutting down".into()),
        Err(Stop::Failed(e)) => Err(e.to_string()),
    }
}
