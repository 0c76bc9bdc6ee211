//! The daemon's write turn: the one service through which a cycle and tag
//! on create write tags. It takes the turn (so the two never race each
//! other, nor a one-off `apply` or `rollback`, which need the store's lock),
//! builds the enforcer, and applies what is due now, journaled exactly as
//! `tagwarden apply` does, under the blast-radius cap.

use crate::aws::Aws;
use crate::config::Loaded;
use crate::enforce::{ApplyOptions, Enforcer};
use crate::error::Result;
use crate::progress::Progress;
use crate::scan::Scanned;
use crate::store::{blocking, Store};
use tagwarden_core::journal::RunKind;
use tagwarden_core::report::ApplyReport;
use tokio_util::sync::CancellationToken;

#[derive(Default)]
pub struct WriteTurn {
    turn: tokio::sync::Mutex<()>,
}

impl WriteTurn {
    /// Apply the changes due now for what `scanned` holds, in turn. After
    /// `cancel`, nothing new is journaled or written: `Error::Cancelled`.
    pub async fn write_due(
        &self,
        loaded: &Loaded,
        aws: &Aws,
        scanned: Scanned<'_>,
        kind: RunKind,
        cancel: &CancellationToken,
    ) -> Result<ApplyReport> {
        let _turn = self.turn.lock().await;
        let mut store = blocking(|| Store::open(&loaded.config.store))?;
        let _lock = blocking(|| store.lock())?;
        let progress = Progress::new(true);
        let opts = ApplyOptions {
            cancel: Some(cancel.clone()),
            kind: Some(kind),
            ..ApplyOptions::default()
        };
        // The daemon was told to write by its configuration: no prompt.
        let go_ahead = Box::new(|_: &str| Ok(true));
        Enforcer::new(aws, loaded, &progress)
            .apply_scanned(&mut store, scanned, opts, go_ahead, chrono::Utc::now())
            .await
    }
}
