//! tagwarden: tag-compliance enforcement for AWS. The pure logic (policies,
//! evaluation, planning, the decisions of apply and rollback, reports)
//! lives in `tagwarden-core`; this crate adds AWS access, the state store
//! and the command line.
//!
//! Modules in the order data flows: `config` → `aws` (sessions, limiter) →
//! `scan` (accounts, regions; `scan::waves`: MGN's waves) → `inventory` → `audit` (evaluate, report), `waves` (readiness) →
//! `enforce` (plan, apply, journal, verify, rollback) → `store`; `doctor`
//! (the set-up checked against AWS, beside the scan); `daemon`
//! (the same steps on a schedule, with HTTP and metrics) and `cli` on top,
//! `error` and `progress` beside.

pub mod audit;
pub mod aws;
pub mod backoff;
pub mod billing;
pub mod cli;
pub mod config;
pub mod credits;
pub mod daemon;
pub mod doctor;
pub mod enforce;
pub mod error;
pub mod inventory;
pub mod progress;
pub mod scan;
pub mod store;
#[cfg(feature = "test-hooks")]
pub mod test_hooks;
pub mod waves;

pub use error::{Error, Result};
