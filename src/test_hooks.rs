//! Hooks the integration tests drive through environment variables. Built
//! only with the `test-hooks` feature (`scripts/test.sh` enables it), so a
//! release binary never reads them.

/// Set to make the process abort right after the journal is written and
/// before any tag is sent: how tests simulate a crash at the worst moment.
pub const CRASH_AFTER_JOURNAL_ENV: &str = "TAGWARDEN_CRASH_AFTER_JOURNAL";

/// Milliseconds to wait between the journal and the writes: how tests stop
/// the daemon while a write is in flight.
pub const PAUSE_AFTER_JOURNAL_ENV: &str = "TAGWARDEN_PAUSE_AFTER_JOURNAL_MS";

pub async fn after_journal() {
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
