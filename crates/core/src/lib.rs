//! tagwarden's pure core: the policy language, evaluation and reports.
//! Nothing here talks to AWS or reads the clock, so all of it is unit-tested
//! and benchmarked in isolation.

pub mod config;
pub mod diagnostics;
pub mod plan;
pub mod policy;
pub mod report;
pub mod resource;
pub mod time;
pub mod yaml;

pub use diagnostics::{Diagnostic, Diagnostics};
pub use resource::{Resource, Tags};
