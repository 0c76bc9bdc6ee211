//! `tagwarden.yaml` (cli.md): deserialized with unknown fields rejected, then
//! checked, with every problem reported at once with its line and column.

mod inventory;
mod map;
mod store;
mod tag_on_create;

pub use inventory::{ExplorerScope, InventoryConfig, Mgn, MgnScope, ResourceExplorer};
pub use map::{Issuance, MapAgreement, QuarterBasis, DEFAULT_LIST};
pub use store::{parse_retention, RetentionError, DEFAULT_RETENTION};
pub use tag_on_create::{
    queue_arn, queue_region, Events, BURST_BYTES, PAGE_BYTES, SHARD_PLACEHOLDER,
};

use crate::diagnostics::{Diagnostic, Diagnostics, Position};
use crate::policy::LoadContext;
use crate::resource::is_account_id;
use crate::time::parse_time;
use crate::yaml::{self, index, key, lenient, Document, Seg};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ConfigSpec {
    #[serde(default, deserialize_with = "lenient::strings")]
    policies: Vec<String>,
    #[serde(default, deserialize_with = "lenient::strings")]
    regions: Vec<String>,
    #[serde(default)]
    accounts: AccountsSpec,
    #[serde(default)]
    store: Option<store::StoreSpec>,
    #[serde(default)]
    limits: LimitsSpec,
    #[serde(default)]
    daemon: DaemonSpec,
    #[serde(default)]
    map: Option<map::MapSpec>,
    #[serde(default)]
    aws: AwsSpec,
    #[serde(default)]
    inventory: inventory::InventorySpec,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct AccountsSpec {
    #[serde(default)]
    role: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    external_id: Option<String>,
    #[serde(default)]
    discover: Option<String>,
    #[serde(default, deserialize_with = "lenient::strings")]
    include: Vec<String>,
    #[serde(default, deserialize_with = "lenient::strings")]
    exclude: Vec<String>,
    #[serde(default)]
    list: Vec<AccountSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountSpec {
    #[serde(deserialize_with = "lenient::string")]
    id: String,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct LimitsSpec {
    #[serde(default)]
    requests_per_second: Option<u32>,
    #[serde(default)]
    max_changes_per_run: Option<usize>,
    #[serde(default)]
    concurrent_accounts: Option<usize>,
    #[serde(default)]
    billing_bytes: Option<u64>,
    #[serde(default)]
    billing_files: Option<usize>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct DaemonSpec {
    #[serde(default)]
    interval: Option<String>,
    #[serde(default)]
    mode: Option<String>,
    #[serde(default)]
    listen: Option<String>,
    #[serde(default)]
    drain: Option<String>,
    #[serde(default)]
    events: Option<tag_on_create::EventsSpec>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct AwsSpec {
    #[serde(default)]
    endpoint_url: Option<String>,
}

/// Accounts scanned at once by default. One account's scan is a chain of a
/// few requests per region (~0.5 s behind real API latency), so a few
/// hundred accounts need far more than a handful in flight; each account
/// holds its own connections, so the bound stays well below a thousand.
pub const DEFAULT_CONCURRENT_ACCOUNTS: usize = 32;
/// The most accounts a configuration may scan at once.
pub const MAX_CONCURRENT_ACCOUNTS: usize = 512;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Accounts {
    /// Role assumed in every account other than the credentials' own.
    pub role: Option<String>,
    pub external_id: Option<String>,
    /// List the active accounts of the AWS Organization.
    pub discover_organizations: bool,
    /// Ids or names; when non-empty, only these accounts are scanned.
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub list: Vec<Account>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DaemonMode {
    #[default]
    Audit,
    Enforce,
}

#[derive(Debug, Clone)]
pub struct Daemon {
    pub interval: Duration,
    pub mode: DaemonMode,
    pub listen: SocketAddr,
    /// How long shutdown waits for an in-flight apply to finish.
    pub drain: Duration,
    /// Tag on create: the queues of CloudTrail events.
    pub events: Events,
}

impl DaemonMode {
    pub fn label(self) -> &'static str {
        match self {
            DaemonMode::Audit => "audit",
            DaemonMode::Enforce => "enforce",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    /// The file the configuration came from (None: built-in defaults).
    pub file: Option<PathBuf>,
    /// Policy files and directories, relative paths resolved against the config file's folder.
    pub policies: Vec<PathBuf>,
    pub regions: Vec<String>,
    pub accounts: Accounts,
    pub store: PathBuf,
    /// How long the store keeps runs with nothing left to roll back
    /// (`store.retention`); None: for ever.
    pub retention: Option<Duration>,
    /// One rate for every AWS API, instead of the per-API defaults.
    pub requests_per_second: Option<u32>,
    pub max_changes_per_run: usize,
    /// Accounts scanned (and written) at once.
    pub concurrent_accounts: usize,
    /// What `--cost s3://…` copies at most: bytes and files.
    pub billing: BillingLimits,
    pub daemon: Daemon,
    pub map: MapAgreement,
    pub endpoint_url: Option<String>,
    /// How resources beyond the natively listed types are found.
    pub inventory: InventoryConfig,
}

/// The most `--cost s3://…` copies before refusing: a prefix is someone
/// else's bucket, and its size is not known until it is listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BillingLimits {
    pub bytes: u64,
    pub files: usize,
}

impl Default for BillingLimits {
    fn default() -> BillingLimits {
        BillingLimits {
            bytes: 50 << 30,
            files: 10_000,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            file: None,
            policies: Vec::new(),
            regions: Vec::new(),
            accounts: Accounts::default(),
            store: PathBuf::from("/var/lib/tagwarden/state.db"),
            retention: Some(DEFAULT_RETENTION),
            requests_per_second: None,
            max_changes_per_run: 500,
            concurrent_accounts: DEFAULT_CONCURRENT_ACCOUNTS,
            billing: BillingLimits::default(),
            daemon: Daemon {
                interval: Duration::from_secs(3600),
                mode: DaemonMode::Audit,
                listen: SocketAddr::from(([127, 0, 0, 1], 9464)),
                drain: Duration::from_secs(20),
                events: Events::default(),
            },
            map: MapAgreement::default(),
            endpoint_url: None,
            inventory: InventoryConfig::default(),
        }
    }
}

impl Config {
    /// Account names to ids, for policy scopes and `--account`.
    pub fn load_context(&self) -> LoadContext {
        LoadContext {
            account_names: self
                .accounts
                .list
                .iter()
                .filter_map(|a| a.name.clone().map(|n| (n, a.id.clone())))
                .collect::<BTreeMap<_, _>>(),
            regions: self.regions.clone(),
            resource_explorer: self.inventory.resource_explorer.is_some(),
            map_tags: self.map.tags.iter().map(|t| t.scheme).collect(),
        }
    }

    /// The display name of an account id, when the configuration gives one.
    pub fn account_name(&self, id: &str) -> Option<&str> {
        self.accounts
            .list
            .iter()
            .find(|a| a.id == id)
            .and_then(|a| a.name.as_deref())
    }

    pub fn load(file: &Path) -> Result<Config, Diagnostics> {
        let doc = yaml::read(file).map_err(|d| Diagnostics(vec![d]))?;
        if doc.value.is_null() {
            return Ok(Config {
                file: Some(file.to_path_buf()),
                ..Config::default()
            });
        }
        let spec: ConfigSpec = doc.decode(file, &[]).map_err(Diagnostics)?;
        let mut checker = Checker {
            file,
            doc: &doc,
            diags: Vec::new(),
        };
        let config = checker.check(spec);
        if checker.diags.iter().any(Diagnostic::is_error) {
            return Err(Diagnostics(checker.diags));
        }
        Ok(config)
    }
}

struct Checker<'a> {
    file: &'a Path,
    doc: &'a Document,
    diags: Vec<Diagnostic>,
}

impl Checker<'_> {
    fn error(&mut self, path: &[Seg], msg: String) {
        let pos: Option<Position> = self.doc.value_pos(path);
        self.diags.push(Diagnostic::error(self.file, pos, msg));
    }

    fn check(&mut self, spec: ConfigSpec) -> Config {
        let base = self.file.parent().unwrap_or(Path::new(".")).to_path_buf();
        let mut config = Config {
            file: Some(self.file.to_path_buf()),
            policies: spec.policies.iter().map(|p| base.join(p)).collect(),
            regions: self.regions(spec.regions),
            accounts: self.accounts(spec.accounts),
            endpoint_url: spec.aws.endpoint_url,
            ..Config::default()
        };
        if let Some(store) = spec.store {
            self.store(store, &base, &mut config);
        }
        config.inventory = self.inventory(spec.inventory);
        self.limits(spec.limits, &mut config);
        self.daemon(spec.daemon, &mut config.daemon);
        if let Some(m) = spec.map {
            self.map(m, &mut config.map);
        }
        config
    }

    fn regions(&mut self, regions: Vec<String>) -> Vec<String> {
        for (i, r) in regions.iter().enumerate() {
            if !is_region(r) {
                self.error(
                    &index(&key(&[], "regions"), i),
                    format!("`{r}` is not an AWS region name, e.g. `us-east-1`"),
                );
            }
        }
        regions
    }

    fn accounts(&mut self, spec: AccountsSpec) -> Accounts {
        let acc = key(&[], "accounts");
        let mut names = BTreeMap::new();
        for (i, a) in spec.list.iter().enumerate() {
            let at = index(&key(&acc, "list"), i);
            if !is_account_id(&a.id) {
                self.error(
                    &key(&at, "id"),
                    format!(
                        "account id `{}` must be 12 digits (quote it: \"011111111111\")",
                        a.id
                    ),
                );
            }
            if let Some(n) = &a.name {
                if let Some(other) = names.insert(n.clone(), a.id.clone()) {
                    self.error(
                        &key(&at, "name"),
                        format!("account name `{n}` is used twice (also for {other})"),
                    );
                }
            }
        }
        if let Some(d) = spec.discover.as_deref().filter(|d| *d != "organizations") {
            self.error(
                &key(&acc, "discover"),
                format!("unknown discovery `{d}`; the only one is `organizations`"),
            );
        }
        for (field, list) in [("include", &spec.include), ("exclude", &spec.exclude)] {
            for (i, a) in list.iter().enumerate() {
                if !is_account_id(a) && !names.contains_key(a) {
                    self.error(
                        &index(&key(&acc, field), i),
                        format!(
                            "`{a}` is neither a 12-digit account id nor a name in `accounts.list`"
                        ),
                    );
                }
            }
        }
        Accounts {
            role: spec.role,
            external_id: spec.external_id,
            discover_organizations: spec.discover.is_some(),
            include: spec.include,
            exclude: spec.exclude,
            list: spec
                .list
                .into_iter()
                .map(|a| Account {
                    id: a.id,
                    name: a.name,
                })
                .collect(),
        }
    }

    fn limits(&mut self, spec: LimitsSpec, config: &mut Config) {
        let limits = key(&[], "limits");
        match spec.requests_per_second {
            Some(0) => self.error(
                &key(&limits, "requests_per_second"),
                "`requests_per_second` must be at least 1".into(),
            ),
            n => config.requests_per_second = n,
        }
        if let Some(n) = spec.max_changes_per_run {
            config.max_changes_per_run = n;
        }
        match spec.concurrent_accounts {
            Some(0) => self.error(
                &key(&limits, "concurrent_accounts"),
                "`concurrent_accounts` must be at least 1".into(),
            ),
            Some(n) if n > MAX_CONCURRENT_ACCOUNTS => self.error(
                &key(&limits, "concurrent_accounts"),
                format!("`concurrent_accounts` {n} is more than {MAX_CONCURRENT_ACCOUNTS}; each account open at once holds connections in every region"),
            ),
            Some(n) => config.concurrent_accounts = n,
            None => {}
        }
        match (spec.billing_bytes, spec.billing_files) {
            (Some(0), _) => self.error(
                &key(&limits, "billing_bytes"),
                "`billing_bytes` must be at least 1".into(),
            ),
            (_, Some(0)) => self.error(
                &key(&limits, "billing_files"),
                "`billing_files` must be at least 1".into(),
            ),
            (bytes, files) => {
                config.billing.bytes = bytes.unwrap_or(config.billing.bytes);
                config.billing.files = files.unwrap_or(config.billing.files);
            }
        }
    }

    fn daemon(&mut self, spec: DaemonSpec, daemon: &mut Daemon) {
        let at = key(&[], "daemon");
        if let Some(i) = &spec.interval {
            match parse_duration(i) {
                Ok(d) => daemon.interval = d,
                Err(why) => self.error(&key(&at, "interval"), why.to_string()),
            }
        }
        match spec.mode.as_deref() {
            None | Some("audit") => {}
            Some("enforce") => daemon.mode = DaemonMode::Enforce,
            Some(m) => self.error(
                &key(&at, "mode"),
                format!("unknown daemon mode `{m}`; expected `audit` or `enforce`"),
            ),
        }
        if let Some(l) = spec.listen {
            match l.parse::<SocketAddr>() {
                Ok(addr) => daemon.listen = addr,
                Err(_) => self.error(
                    &key(&at, "listen"),
                    format!("`{l}` is not an address such as 127.0.0.1:9464 or [::]:9464"),
                ),
            }
        }
        if let Some(d) = &spec.drain {
            match parse_duration(d) {
                Ok(d) => daemon.drain = d,
                Err(why) => self.error(&key(&at, "drain"), why.to_string()),
            }
        }
        if let Some(e) = spec.events {
            self.events(e, &mut daemon.events);
        }
    }
}

/// An AWS region name: `us-east-1`, `ap-southeast-2`, `us-gov-west-1`.
fn is_region(r: &str) -> bool {
    let mut parts = r.split('-');
    let first = parts.next().unwrap_or_default();
    let rest: Vec<&str> = parts.collect();
    first.len() == 2
        && first.bytes().all(|b| b.is_ascii_lowercase())
        && rest.len() >= 2
        && rest
            .last()
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        && rest[..rest.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
}

/// The longest interval a duration may name: a year. Longer values are
/// almost certainly typos, and far larger ones overflow a clock.
pub const MAX_DURATION: Duration = Duration::from_secs(366 * 86_400);

/// Why a duration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("`{0}` is not a duration such as 90s, 15m, 1h or 1d")]
    Malformed(String),
    #[error("`{0}` is zero; a duration must be at least 1s")]
    Zero(String),
    #[error("`{0}` is longer than a year (366d), the longest duration allowed")]
    TooLong(String),
}

/// `90s`, `15m`, `1h`, `1d`, `1h 30m` (humantime's syntax), from 1s to a
/// year.
pub fn parse_duration(s: &str) -> Result<Duration, DurationError> {
    let d = humantime::parse_duration(s.trim()).map_err(|e| match e {
        // Digits that do not fit are too long, not malformed.
        humantime::DurationError::NumberOverflow => DurationError::TooLong(s.to_string()),
        _ => DurationError::Malformed(s.to_string()),
    })?;
    match d {
        d if d.is_zero() => Err(DurationError::Zero(s.to_string())),
        d if d > MAX_DURATION => Err(DurationError::TooLong(s.to_string())),
        d => Ok(d),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    pub(super) fn load(text: &str) -> Result<Config, Diagnostics> {
        let mut f = tempfile::Builder::new().suffix(".yaml").tempfile().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        Config::load(f.path()).map_err(|mut d| {
            for x in &mut d.0 {
                x.file = PathBuf::from("tagwarden.yaml");
            }
            d
        })
    }

    #[test]
    fn full_example_loads() {
        let c = load(
            r#"
policies: [policies/]
regions: [us-east-1, eu-west-1]
accounts:
  role: tagwarden
  external_id: xyz
  discover: organizations
  include: [prod]
  exclude: ["333333333333"]
  list:
    - {id: "111111111111", name: prod}
    - {id: 222222222222, name: staging}
store: state.db
limits: {requests_per_second: 10, max_changes_per_run: 50, concurrent_accounts: 64}
daemon:
  interval: 15m
  mode: enforce
  listen: "127.0.0.1:9000"
  drain: 45s
  events:
    queues: ["https://sqs.eu-west-1.amazonaws.com/111111111111/tagwarden-events"]
    wait: 5s
    max_receives: 3
    restore_limit: 5
    restore_window: 12h
map:
  mpe_id: ABCDE12345
  agreement: {start: 2026-01-01, end: 2028-12-31}
  credit_rate: 0.25
  min_migrated_spend: 50000
  eligible_services: ["Amazon Elastic Compute Cloud - Compute", EC2 - Other]
  issuance: monthly
  quarters: calendar
  cost_explorer_cache: 1h
  credit_description: "^MAP 2\\.0"
aws: {endpoint_url: "http://127.0.0.1:5000"}
"#,
        )
        .unwrap();
        assert_eq!(c.regions, ["us-east-1", "eu-west-1"]);
        assert_eq!(
            c.accounts.list[1],
            Account {
                id: "222222222222".into(),
                name: Some("staging".into())
            }
        );
        assert!(c.accounts.discover_organizations);
        assert_eq!(c.requests_per_second, Some(10));
        assert_eq!(c.concurrent_accounts, 64);
        assert_eq!(c.daemon.interval, Duration::from_secs(900));
        assert_eq!(c.daemon.mode, DaemonMode::Enforce);
        assert_eq!(c.daemon.listen, "127.0.0.1:9000".parse().unwrap());
        assert_eq!(c.daemon.drain, Duration::from_secs(45));
        assert_eq!(c.daemon.events.queues.len(), 1);
        assert_eq!(c.daemon.events.wait, Duration::from_secs(5));
        assert_eq!(c.daemon.events.max_receives, 3);
        assert_eq!(c.daemon.events.restore_limit, 5);
        assert_eq!(
            c.daemon.events.restore_window,
            std::time::Duration::from_secs(12 * 3600)
        );
        assert_eq!(c.endpoint_url.as_deref(), Some("http://127.0.0.1:5000"));
        assert_eq!(c.map.eligible_services.len(), 2);
        assert_eq!(c.map.issuance, Issuance::Monthly);
        assert_eq!(c.map.quarters, QuarterBasis::Calendar);
        assert_eq!(c.map.cost_explorer_cache, Some(Duration::from_secs(3600)));
        let off = load("map: {cost_explorer_cache: \"off\"}\n").unwrap();
        assert_eq!(off.map.cost_explorer_cache, None);
        assert!(c
            .map
            .credit_description
            .is_match("MAP 2.0 migration credit"));
        assert!(!c.map.credit_description.is_match("Promotional credit"));
        let default = load("regions: [us-east-1]\n")
            .unwrap()
            .map
            .credit_description;
        assert!(default.is_match("AWS Migration Acceleration Program Credit"));
        assert!(default.is_match("MAP 2.0 credit"));
        assert!(!default.is_match("AWS Activate credit"));
        assert_eq!(c.load_context().account_names["prod"], "111111111111");
        assert!(c.policies[0].ends_with("policies/"));
    }

    #[test]
    fn every_problem_is_reported() {
        let e = load(
            r#"
regions: [us-east-1, useast1]
accounts:
  discover: everything
  include: [nobody]
  list:
    - {id: "1234", name: prod}
    - {id: "111111111111", name: prod}
limits: {requests_per_second: 0}
daemon: {interval: soon, mode: fix, listen: "here", drain: 0s, events: {queues: [tagwarden-events], wait: 30s, max_receives: 0, burst_bytes: 1024, restore_limit: 0, restore_window: 5s}}
map: {mpe_id: abc, credit_rate: 2, agreement: {start: 2027-01-01, end: 2026-01-01}, eligible_services: [], issuance: yearly, quarters: fiscal, min_migrated_spend: -5, target: -1, credit_description: "MAP ("}
"#,
        )
        .unwrap_err();
        let text = e.to_string();
        insta::assert_snapshot!(text);
    }

    #[test]
    fn mgn_is_read_per_account_or_through_the_global_view() {
        assert_eq!(load("regions: [us-east-1]\n").unwrap().inventory.mgn, None);
        let on = load("inventory:\n  mgn: {}\n").unwrap().inventory.mgn;
        assert_eq!(on.map(|m| m.scope), Some(MgnScope::Account));
        let org = load("inventory:\n  mgn: {scope: organization}\n").unwrap();
        assert_eq!(org.inventory.mgn.unwrap().scope, MgnScope::Organization);
        let e = load("inventory:\n  mgn:\n    scope: everywhere\n").unwrap_err();
        assert_eq!(e.0.len(), 1);
        assert_eq!(
            e.0[0].position,
            Some(Position {
                line: 3,
                column: 12
            })
        );
        assert!(e.0[0]
            .message
            .starts_with("unknown scope `everywhere`: `account`"));
        let e = load("inventory:\n  mgn: {scop: account}\n").unwrap_err();
        assert!(
            e.0[0].message.starts_with("unknown field `scop`"),
            "{}",
            e.0[0].message
        );
    }

    #[test]
    fn unknown_field_is_an_error_with_position() {
        let e = load("regions: [us-east-1]\nlimit:\n  requests_per_second: 5\n").unwrap_err();
        assert_eq!(e.0.len(), 1);
        assert_eq!(e.0[0].position, Some(Position { line: 2, column: 1 }));
        assert!(
            e.0[0].message.starts_with("unknown field `limit`"),
            "{}",
            e.0[0].message
        );
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration(" 15m "), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("1d"), Ok(Duration::from_secs(86400)));
        assert_eq!(parse_duration("366d"), Ok(MAX_DURATION));
        let err = |s: &str| parse_duration(s).unwrap_err().to_string();
        assert_eq!(err("0h"), "`0h` is zero; a duration must be at least 1s");
        assert_eq!(err("h"), "`h` is not a duration such as 90s, 15m, 1h or 1d");
        assert_eq!(
            err("90"),
            "`90` is not a duration such as 90s, 15m, 1h or 1d"
        );
        assert_eq!(parse_duration("5 minutes"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h 30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(
            err("5 fortnights"),
            "`5 fortnights` is not a duration such as 90s, 15m, 1h or 1d"
        );
        assert_eq!(
            err("-5s"),
            "`-5s` is not a duration such as 90s, 15m, 1h or 1d"
        );
        assert_eq!(
            err("367d"),
            "`367d` is longer than a year (366d), the longest duration allowed"
        );
        // 213503982334602 days is 2^64 + 61,184 seconds: wrapped, it would
        // read as 17 hours.
        assert_eq!(
            err("213503982334602d"),
            "`213503982334602d` is longer than a year (366d), the longest duration allowed"
        );
        // Would overflow u64 seconds, or u64 itself: too long, never a panic.
        assert_eq!(
            err("99999999999999999d"),
            "`99999999999999999d` is longer than a year (366d), the longest duration allowed"
        );
        assert_eq!(
            err("99999999999999999999999s"),
            "`99999999999999999999999s` is longer than a year (366d), the longest duration allowed"
        );
    }

    #[test]
    fn an_out_of_range_interval_is_an_error_at_its_position() {
        let e = load("daemon:\n  interval: 99999999999d\n").unwrap_err();
        assert_eq!(
            e.to_string().lines().next().unwrap(),
            "tagwarden.yaml:2:13: error: `99999999999d` is longer than a year (366d), the longest duration allowed"
        );
        let e = load("limits: {concurrent_accounts: 0}\n").unwrap_err();
        assert!(
            e.to_string()
                .contains("`concurrent_accounts` must be at least 1"),
            "{e}"
        );
    }
}
