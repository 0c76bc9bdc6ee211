//! The policy language (policy.md): the file model as written, the compiled
//! form that evaluation uses, loading with diagnostics, and evaluation.

mod compile;
pub mod eval;
pub mod load;
pub mod map_format;
pub mod model;

use chrono::{DateTime, Utc};
use map_format::MapFormat;
use regex::Regex;
use serde::Serialize;
use std::fmt;
use std::path::PathBuf;

pub use compile::LoadContext;
pub use eval::{evaluate, Evaluation, Finding, FindingKind, PolicyCounts, Summary};
pub use load::{load_policies, PolicySet};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A compiled, validated policy.
#[derive(Debug, Clone)]
pub struct Policy {
    pub name: String,
    pub description: Option<String>,
    pub severity: Severity,
    pub resource_types: Vec<String>,
    pub scope: Scope,
    pub require: Vec<Requirement>,
    pub forbid: Vec<String>,
    pub remediate: Option<Remediate>,
    /// The file the policy came from, for messages.
    pub file: PathBuf,
}

impl Policy {
    /// The keys it requires or writes.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        let set = self
            .remediate
            .iter()
            .flat_map(|r| r.set.iter().map(|(k, _)| k.as_str()));
        self.require.iter().map(|r| r.key.as_str()).chain(set)
    }
}

/// A tag condition of a scope: the key with one of the values, or any value.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueMatch {
    Any,
    OneOf(Vec<String>),
}

impl ValueMatch {
    pub fn matches(&self, value: &str) -> bool {
        match self {
            ValueMatch::Any => true,
            ValueMatch::OneOf(values) => values.iter().any(|v| v == value),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Account ids (names from the configuration are resolved at load time).
    pub accounts: Option<Vec<String>>,
    pub regions: Option<Vec<String>>,
    pub tags: Vec<(String, ValueMatch)>,
    pub exclude_tags: Vec<(String, ValueMatch)>,
    pub created_after: Option<DateTime<Utc>>,
}

/// One `require` entry: the key must be present, exact case, and its value
/// must pass every check given.
#[derive(Debug, Clone)]
pub struct Requirement {
    pub key: String,
    pub values: Option<Vec<String>>,
    /// The pattern as written, and compiled anchored at both ends.
    pub pattern: Option<(String, Regex)>,
    pub format: Option<MapFormat>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Overwrite {
    /// Only add missing keys (the default).
    Never,
    /// Also replace values that fail the policy.
    Invalid,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Window {
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct Remediate {
    pub set: Vec<(String, String)>,
    pub overwrite: Overwrite,
    pub window: Option<Window>,
}
