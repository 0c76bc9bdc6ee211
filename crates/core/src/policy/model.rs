//! Policy files as written. Deserialized with unknown fields rejected (a typo
//! must never silently disable a rule); meaning is checked in `load`.
//! The JSON Schema (`tagwarden policy schema`) is generated from these types.

use crate::yaml::lenient;
use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The longest tag key and value AWS accepts, in characters.
pub const MAX_KEY_LEN: usize = 128;
pub const MAX_VALUE_LEN: usize = 256;

/// A policy file: `version: 1` and a list of policies.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "tagwarden policy file")]
pub struct PolicyFile {
    /// Version of the policy language; only 1 exists.
    pub version: u32,
    #[serde(default)]
    pub policies: Vec<PolicySpec>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicySpec {
    /// Unique across all policy files: lowercase letters, digits and `-`.
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9-]*$"))]
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// info | low | medium (default) | high | critical
    #[serde(default, deserialize_with = "lenient::opt_string")]
    #[schemars(with = "Option<crate::policy::Severity>")]
    pub severity: Option<String>,
    /// Resource types as the Resource Groups Tagging API names them, e.g. `ec2:instance`.
    #[serde(default, deserialize_with = "lenient::strings")]
    #[schemars(length(min = 1))]
    pub resources: Vec<String>,
    #[serde(default)]
    pub scope: ScopeSpec,
    /// Keys that must be present (exact case), with optional value checks.
    #[serde(default)]
    pub require: BTreeMap<String, Option<RequireSpec>>,
    /// Keys that must not exist.
    #[serde(default, deserialize_with = "lenient::strings")]
    pub forbid: Vec<String>,
    #[serde(default)]
    pub remediate: Option<RemediateSpec>,
}

/// Only resources matching every condition given are checked.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScopeSpec {
    /// Account ids, or account names from the configuration.
    #[serde(default, deserialize_with = "lenient::opt_strings")]
    pub accounts: Option<Vec<String>>,
    #[serde(default, deserialize_with = "lenient::opt_strings")]
    pub regions: Option<Vec<String>>,
    /// The resource carries the key with one of the values; "*" means any value.
    #[serde(default, deserialize_with = "lenient::tag_values")]
    #[schemars(with = "BTreeMap<String, OneOrMany>")]
    pub tags: BTreeMap<String, Vec<String>>,
    /// Resources carrying any of these keys (with one of the values) are out of scope.
    #[serde(default, deserialize_with = "lenient::tag_values")]
    #[schemars(with = "BTreeMap<String, OneOrMany>")]
    pub exclude_tags: BTreeMap<String, Vec<String>>,
    /// A date (2026-01-15) or time (RFC 3339); resources of unknown creation time stay in scope.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub created_after: Option<String>,
}

/// One value or a list of values.
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// Checks on a required key's value; all given must pass. `{}` means any value.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequireSpec {
    /// The value must be one of these, exactly (case-sensitive).
    #[serde(default, deserialize_with = "lenient::opt_strings")]
    pub values: Option<Vec<String>>,
    /// A regular expression (Rust `regex` syntax) the whole value must match.
    #[serde(default)]
    pub pattern: Option<String>,
    /// Built-in format: `map` (MAP 2.0 value: on `aws-apn-id`, `mig|sap|oracle` + PRM ID) or `map-relaxed` (allows MPE IDs longer than 10).
    #[serde(default)]
    #[schemars(with = "Option<FormatName>")]
    pub format: Option<String>,
}

#[derive(JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[allow(dead_code)]
pub enum FormatName {
    Map,
    MapRelaxed,
}

/// What `plan`, `apply` and the daemon may write.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RemediateSpec {
    /// Tags to write: key to value.
    #[serde(default, deserialize_with = "lenient::tag_value_map")]
    #[schemars(with = "BTreeMap<String, String>")]
    pub set: BTreeMap<String, String>,
    /// never (default): only add missing keys; invalid: also replace failing values.
    #[serde(default)]
    #[schemars(with = "Option<OverwriteName>")]
    pub overwrite: Option<String>,
    #[serde(default)]
    pub window: Option<WindowSpec>,
}

#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum OverwriteName {
    Never,
    Invalid,
}

/// When writing is allowed (RFC 3339 times).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WindowSpec {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub from: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub until: Option<String>,
}

/// The JSON Schema of policy files, for editors (`# yaml-language-server: $schema=…`).
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(PolicyFile)).expect("a schema is plain JSON")
}

/// A tag key AWS would refuse.
pub fn key_problem(k: &str) -> Option<String> {
    let n = k.chars().count();
    if n == 0 {
        Some("tag keys cannot be empty".into())
    } else if n > MAX_KEY_LEN {
        Some(format!(
            "tag key is {n} characters long; AWS allows at most {MAX_KEY_LEN}"
        ))
    } else {
        None
    }
}
