//! Hooks the integration tests drive through environment variables. Built
//! only with the `test-hooks` feature (`scripts/test.sh` enables it), so a
//! release binary never reads them.

/// Set to make the process abort right after the journal is written and
/// before any tag is sent: how tests simulate a crash at the worst moment.
pub const CRASH_AFTER_JOURNAL_ENV: &str = "TAGWARDEN_CRASH_AFTER_JOURNAL";

/// Milliseconds to wait between the journal and the writes: how tests stop
/// the daemon while a write is in flight.
pub const PAUSE_AFTER_JOURNAL_ENV: &str = "TAGWARDEN_PAUSE_AFTER_JOURNAL_MS";

/// A path: after the journal, tagwarden creates `PATH.held` and waits (a
/// minute at most) until `PATH` exists: how tests change a tag between the
/// scan and the write, deterministically.
pub const HOLD_AFTER_JOURNAL_ENV: &str = "TAGWARDEN_HOLD_AFTER_JOURNAL";

pub async fn after_journal() {
    if let Some(path) = std::env::var_os(HOLD_AFTER_JOURNAL_ENV) {
        let path = std::path::PathBuf::from(path);
        let mut held = path.clone().into_os_string();
        held.push(".held");
        let _ = std::fs::write(&held, b"");
        let until = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while !path.exists() && std::time::Instant::now() < until {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
    if std::env::var_os(CRASH_AFTER_JOURNAL_ENV).is_some() {
        eprintln!("{CRASH_AFTER_JOURNAL_ENV} is set: aborting after the journal write");
        std::process::abort();
    }
    let pause = std::env::var(PAUSE_AFTER_JOURNAL_ENV).ok();
    if let Some(ms) = pause.and_then(|ms| ms.parse::<u64>().ok()) {
        tracing::warn!("{PAUSE_AFTER_JOURNAL_ENV} is set: waiting {ms} ms before writing");
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    }
}

/// Seconds a received event stays invisible (instead of 30): how
/// tests see that a waiting burst's messages are kept from other replicas.
pub const HANDLING_SECS_ENV: &str = "TAGWARDEN_HANDLING_SECS";

pub fn handling_secs() -> Option<u64> {
    std::env::var(HANDLING_SECS_ENV)
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&s| s > 0)
}
