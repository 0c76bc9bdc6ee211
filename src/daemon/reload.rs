//! SIGHUP: read the configuration and policies again, validate them, and
//! swap them in for the next cycle. An invalid file is rejected with every
//! diagnostic logged, and the running configuration is kept.

use super::metrics::Reload;
use super::notify;
use super::state::{self, Shared};
use crate::config::Sources;
use crate::store::blocking;

pub fn reload(shared: &Shared, sources: &Sources) {
    notify::reloading();
    let status = match blocking(|| state::load(sources)) {
        Ok(new) if new.config.store != shared.loaded().config.store => {
            // The journal and its lock live in the store: moving it under a
            // running daemon would orphan what is pending there.
            tracing::error!(
                store = %new.config.store.display(),
                "configuration reload rejected: `store` cannot change while the daemon runs; restart it to use another store"
            );
            shared.metrics.reload(Reload::Failure);
            "configuration reload rejected"
        }
        Ok(new) => {
            let old = shared.loaded();
            if new.config.daemon.listen != old.config.daemon.listen {
                tracing::warn!(
                    listen = %old.config.daemon.listen,
                    "daemon.listen changed: the new address takes effect on restart"
                );
            }
            if new.config.daemon.events.queues != old.config.daemon.events.queues {
                tracing::warn!(
                    "daemon.events.queues changed: the queues are read from the next restart (policies and limits apply at once)"
                );
            }
            tracing::info!(
                policies = new.policies.policies.len(),
                "configuration reloaded; it applies from the next cycle"
            );
            shared.swap(new);
            shared.metrics.reload(Reload::Success);
            "configuration reloaded"
        }
        Err(e) => {
            // Each diagnostic on its own line, with file:line:column.
            tracing::error!(
                label = e.metric_label(),
                "configuration reload rejected; keeping the running configuration:\n{e}"
            );
            shared.metrics.reload(Reload::Failure);
            "configuration reload rejected"
        }
    };
    notify::ready(status);
}
