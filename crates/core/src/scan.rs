//! What a scan yields besides resources: the accounts and regions it could
//! not read. Every later step (evaluation, planning, apply, reports) reads it.

use serde::{Deserialize, Serialize};

/// An account or region that could not be scanned, and why. `region` is `*`
/// for a whole account (it could not be entered) and `global` for an
/// account-wide API (S3 `ListBuckets`, Organizations).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ScanError {
    pub account: String,
    pub region: String,
    pub message: String,
}

impl ScanError {
    pub fn new(
        account: impl Into<String>,
        region: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        ScanError {
            account: account.into(),
            region: region.into(),
            message: message.into(),
        }
    }
}
