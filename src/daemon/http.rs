//! The HTTP endpoints: `/healthz`, `/readyz`, `/metrics` and the status page
//! `/`. Every answer comes from memory; none waits for AWS or the store.

use super::state::Shared;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::sync::Arc;
use std::time::Duration;
use tagwarden_core::report::html::HtmlReport;
use tagwarden_core::report::{LastCycle, StatusPage};
use tokio_util::sync::CancellationToken;

/// The scheduler goes round at least every second; this long without it
/// means it is stuck.
const STALLED_AFTER: Duration = Duration::from_secs(15);

const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/", get(page))
        .route("/report", get(report))
        .with_state(shared)
}

/// Serve until `stop` is cancelled.
pub async fn serve(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    stop: CancellationToken,
) -> std::io::Result<()> {
    super::listener::serve(listener, router(shared), stop).await
}

async fn healthz(State(s): State<Arc<Shared>>) -> Response {
    let since = s.since_heartbeat();
    if since < STALLED_AFTER {
        (StatusCode::OK, "ok\n").into_response()
    } else {
        let why = format!(
            "the scheduler has not gone round for {} s\n",
            since.as_secs()
        );
        (StatusCode::SERVICE_UNAVAILABLE, why).into_response()
    }
}

async fn readyz(State(s): State<Arc<Shared>>) -> Response {
    let r = s.readiness();
    let status = if r.ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, r.why + "\n").into_response()
}

async fn metrics(State(s): State<Arc<Shared>>) -> Response {
    ([(header::CONTENT_TYPE, OPENMETRICS)], s.metrics.encode()).into_response()
}

async fn page(State(s): State<Arc<Shared>>) -> Html<String> {
    let loaded = s.loaded();
    let daemon = &loaded.config.daemon;
    let readiness = s.readiness().why;
    let interval = humantime::format_duration(daemon.interval).to_string();
    let removals = s.recent_removals();
    let last = s.last.lock().expect("last cycle");
    let page = StatusPage {
        removals: &removals,
        version: env!("CARGO_PKG_VERSION"),
        mode: daemon.mode,
        shard: s.shard,
        interval: &interval,
        readiness: &readiness,
        last: last.as_ref().map(|f| LastCycle {
            run_id: &f.run_id,
            finished_at: &f.finished_at,
            result: f.result,
            summary: &f.summary,
            compliance: f.audit.as_ref().map_or(&[], |a| &a.compliance[..]),
            errors: f.audit.as_ref().map_or(&[], |a| &a.errors[..]),
            waves: &f.waves,
        }),
    };
    Html(page.html())
}

/// The last cycle's audit and money view as the HTML report `tagwarden
/// report` writes, with the removals the status page shows.
async fn report(State(s): State<Arc<Shared>>) -> Response {
    let removals = s.recent_removals();
    let last = s.last.lock().expect("last cycle");
    let Some((f, audit)) = last.as_ref().and_then(|f| Some((f, f.audit.as_ref()?))) else {
        let why = "no cycle has scanned yet: the report comes with the first\n";
        return (StatusCode::SERVICE_UNAVAILABLE, why).into_response();
    };
    let (credits, credits_error) = match &f.credits {
        Some(Ok(c)) => (Some(c), None),
        Some(Err(e)) => (None, Some(e.to_string())),
        None => (None, None),
    };
    let html = HtmlReport {
        generated_at: f.finished_at.clone(),
        audit,
        credits,
        credits_error,
        removals: &removals,
    }
    .render();
    Html(html).into_response()
}
