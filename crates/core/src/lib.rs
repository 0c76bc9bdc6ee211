//! tagwarden's pure core: the policy language, evaluation, planning, the
//! decisions of apply and rollback, and reports. Nothing here talks to AWS
//! or reads the clock, so all of it is unit-tested and benchmarked in
//! isolation.
//!
//! Modules in the order data flows; each uses only those above it in this
//! list (reports use everything, nothing uses reports):
//! `catalogue` (what tagwarden knows per resource type and service), `resource`, `scan`, `time`, `diagnostics`, `yaml`, `shard` → `policy` →
//! `config` → `mgn` (migration waves) → `iam` (the IAM policies they need; nothing uses it) →
//! `credits` → `plan` → `apply` → `cycle` → `journal` → `rollback` → `report`.

pub mod apply_rules;
pub mod arn;
pub mod billing;
pub mod catalogue;
pub mod cloudtrail;
pub mod config;
pub mod credits;
pub mod cycle_summary;
pub mod diagnostics;
pub mod explorer;
pub mod iam;
pub mod journal;
pub mod mgn;
pub mod money;
pub mod plan;
pub mod policy;
pub mod report;
pub mod resource;
pub mod restore_cap;
pub mod rollback;
pub mod scan;
pub mod shard;
pub mod time;
pub mod yaml;

pub use arn::Arn;
pub use diagnostics::{Diagnostic, Diagnostics};
pub use resource::{Resource, Tags};
pub use scan::ScanError;
