//! tagwarden: tag-compliance enforcement for AWS. The pure logic (policies,
//! evaluation, reports) lives in `tagwarden-core`; this crate adds AWS access,
//! inventory and the command line.

pub mod audit;
pub mod aws;
pub mod cli;
pub mod enforce;
pub mod inventory;
pub mod progress;
pub mod store;

/// Bad usage or configuration: exit code 2, nothing scanned or written.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);
