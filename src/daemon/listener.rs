//! The HTTP listener, built for clients that misbehave: each connection
//! must send its request headers within [`HEADER_READ_TIMEOUT`] and lives
//! at most [`MAX_CONNECTION_TIME`]; headers are capped at
//! [`MAX_HEADER_BYTES`]; and at most [`MAX_CONNECTIONS`] are open at once.
//! When full, a new connection takes the place of the oldest one that has
//! not sent a whole request yet (so a flood of half-open connections
//! cannot keep `/healthz` from answering); when every open connection is
//! being served, the new one is closed. Accept errors (out of file
//! descriptors) pause the loop briefly instead of spinning.

use hyper::server::conn::http1;
use hyper::service::Service as _;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Open connections at most: well under systemd's default of 1,024 open
/// files, which the AWS clients and the state store share.
pub const MAX_CONNECTIONS: usize = 256;
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);
/// A connection's whole life, keep-alive included.
pub const MAX_CONNECTION_TIME: Duration = Duration::from_secs(60);
/// hyper's smallest read buffer: request line and headers must fit.
pub const MAX_HEADER_BYTES: usize = 8 * 1024;

/// An open connection: whether it has sent a whole request, and how to
/// close it.
struct Open {
    id: u64,
    served: Arc<AtomicBool>,
    close: CancellationToken,
}

/// The open connections, oldest first.
#[derive(Default)]
struct Table {
    open: VecDeque<Open>,
    next: u64,
}

impl Table {
    /// Room for one more: the oldest connection still waiting for its
    /// request is closed when full. None when every one is being served.
    fn admit(&mut self) -> Option<Open> {
        if self.open.len() >= MAX_CONNECTIONS {
            let idle = self
                .open
                .iter()
                .position(|o| !o.served.load(Ordering::Relaxed))?;
            if let Some(evicted) = self.open.remove(idle) {
                evicted.close.cancel();
            }
        }
        self.next += 1;
        let open = Open {
            id: self.next,
            served: Arc::new(AtomicBool::new(false)),
            close: CancellationToken::new(),
        };
        self.open.push_back(Open {
            id: open.id,
            served: open.served.clone(),
            close: open.close.clone(),
        });
        Some(open)
    }

    fn closed(&mut self, id: u64) {
        self.open.retain(|o| o.id != id);
    }
}

/// Serve `app` on `listener` until `stop` is cancelled; connections still
/// open then get a second to finish.
pub async fn serve(
    listener: TcpListener,
    app: axum::Router,
    stop: CancellationToken,
) -> std::io::Result<()> {
    let table = Arc::new(Mutex::new(Table::default()));
    let mut tasks = tokio::task::JoinSet::new();
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            () = stop.cancelled() => break,
        };
        while tasks.try_join_next().is_some() {}
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                tracing::warn!(error = %e, "cannot accept a connection; pausing 100 ms");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Some(open) = table.lock().expect("connections").admit() else {
            drop(stream);
            continue;
        };
        let (app, table, stop) = (app.clone(), table.clone(), stop.clone());
        tasks.spawn(async move {
            connection(stream, app, &open, &stop).await;
            table.lock().expect("connections").closed(open.id);
        });
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    Ok(())
}

async fn connection(
    stream: tokio::net::TcpStream,
    app: axum::Router,
    open: &Open,
    stop: &CancellationToken,
) {
    let served = open.served.clone();
    let inner = TowerToHyperService::new(app);
    let service = hyper::service::service_fn(move |request| {
        served.store(true, Ordering::Relaxed);
        inner.call(request)
    });
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_buf_size(MAX_HEADER_BYTES)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        () = tokio::time::sleep(MAX_CONNECTION_TIME) => {}
        () = open.close.cancelled() => {}
        () = stop.cancelled() => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(Duration::from_secs(1), conn).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_full_the_oldest_waiting_connection_makes_room() {
        let mut t = Table::default();
        let first: Vec<Open> = (0..MAX_CONNECTIONS).map(|_| t.admit().unwrap()).collect();
        first[0].served.store(true, Ordering::Relaxed);
        let newcomer = t.admit().expect("room made");
        assert!(!first[0].close.is_cancelled(), "one being served stays");
        assert!(first[1].close.is_cancelled(), "the oldest waiting goes");
        assert_eq!(t.open.len(), MAX_CONNECTIONS);
        t.closed(newcomer.id);
        assert_eq!(t.open.len(), MAX_CONNECTIONS - 1);
    }

    #[test]
    fn when_every_connection_is_served_a_new_one_is_refused() {
        let mut t = Table::default();
        for _ in 0..MAX_CONNECTIONS {
            t.admit().unwrap().served.store(true, Ordering::Relaxed);
        }
        assert!(t.admit().is_none());
    }
}
