//! The command line (cli.md), as clap parses it.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "tagwarden",
    version,
    about = "Tag compliance for AWS: audit MAP 2.0 and cost-allocation tags across accounts and regions"
)]
pub struct Cli {
    /// Configuration file [default: ./tagwarden.yaml, then /etc/tagwarden/tagwarden.yaml]
    #[arg(short, long, global = true, env = "TAGWARDEN_CONFIG")]
    pub config: Option<PathBuf>,
    /// Policy file or directory, instead of the configuration's (repeatable)
    #[arg(long = "policy", global = true, value_name = "PATH")]
    pub policies: Vec<PathBuf>,
    /// More logging: -v shows each AWS request, -vv everything
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Only errors on stderr; no progress
    #[arg(short, long, global = true)]
    pub quiet: bool,
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
    Csv,
    Markdown,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Scan every configured account and region, evaluate the policies, report findings. Writes nothing to AWS.
    Audit(AuditArgs),
    /// The exact tag changes enforcement would make, per resource (the dry run before a migration wave).
    Plan(PlanArgs),
    /// Make the changes due now (recomputed, or exactly those of a reviewed plan), journaled first.
    Apply(ApplyArgs),
    /// Restore the tags a run changed, from the journal.
    Rollback(RollbackArgs),
    /// Past apply and rollback runs and daemon cycles (newest page), or the journal of one run.
    History(HistoryArgs),
    /// The removals and changes of policies' tags the daemon saw on its event queues: who, with what tool, what became of each, and how to stop it.
    Drift(DriftArgs),
    /// Remove old runs from the state store: those past store.retention with nothing left to roll back (the daemon does this after each cycle), or with --rollback-runs also those that could still be rolled back.
    Prune(PruneArgs),
    /// MAP spend and credit from Cost Explorer (at least 3 requests, USD 0.01 each; answers cached) or a billing export (--cost): tagged, mis-tagged and untagged eligible spend per month and quarter, estimated, received and missed credit, forecast.
    Credits(CreditsArgs),
    /// One self-contained HTML report: compliance (an audit) and the MAP money view (Cost Explorer, or a billing export with --cost), with charts.
    Report(ReportArgs),
    /// MGN's migration waves: per wave, account and region, its source servers by lifecycle state and whether what MGN launches (or launched) for them carries the MAP tag. Writes nothing.
    Waves(WavesArgs),
    /// Check the set-up against AWS before anything runs: credentials, the organization, each account's role, its reads and writes per region, Resource Explorer, MGN, Cost Explorer and the MAP tag's activation, the billing export (--cost), the event queues and the store. Changes nothing; each row says what fixes it. Exit 0 when nothing failed, 3 when some check did.
    Doctor(DoctorArgs),
    /// The daemon: audit (or enforce) on a schedule; serve /healthz, /readyz, /metrics and a status page.
    Run(RunArgs),
    /// Policy files: validate them, print their JSON Schema, or the IAM policies they need.
    #[command(subcommand)]
    Policy(PolicyCommand),
}

#[derive(Args, Debug, Clone)]
pub struct ScanArgs {
    /// Only this account (id or configured name; repeatable)
    #[arg(long = "account", value_name = "ID_OR_NAME")]
    pub accounts: Vec<String>,
    /// Only this region (repeatable)
    #[arg(long = "region", value_name = "REGION")]
    pub regions: Vec<String>,
    /// Only this MGN wave (name or wave ID; repeatable): its source servers and the instances MGN launched for them, with their volumes (needs `inventory.mgn`)
    #[arg(long = "wave", value_name = "NAME_OR_ID")]
    pub waves: Vec<String>,
}

#[derive(Args, Debug)]
pub struct FormatArg {
    /// Output format [default: table on a terminal, json otherwise]
    #[arg(long, value_enum)]
    pub format: Option<OutputFormat>,
}

#[derive(Args, Debug)]
pub struct OutputArgs {
    #[command(flatten)]
    pub format: FormatArg,
    /// Write the output to FILE instead of standard output
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct AuditArgs {
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Billing export (CUR 2.0, legacy CUR or FOCUS; .csv, .csv.gz or .parquet; a file, a folder or s3://bucket/prefix): each finding gets its resource's cost and the credit at risk, costliest first
    #[arg(long, value_name = "PATH")]
    pub cost: Option<PathBuf>,
    #[command(flatten)]
    pub out: OutputArgs,
}

#[derive(Args, Debug)]
pub struct WavesArgs {
    #[command(flatten)]
    pub scan: ScanArgs,
    #[command(flatten)]
    pub out: OutputArgs,
}

#[derive(Args, Debug)]
pub struct DoctorArgs {
    /// Only this account (id or configured name; repeatable)
    #[arg(long = "account", value_name = "ID_OR_NAME")]
    pub accounts: Vec<String>,
    /// Only this region (repeatable)
    #[arg(long = "region", value_name = "REGION")]
    pub regions: Vec<String>,
    /// The billing export a run reads (as for `audit --cost`): readable, and its manifests understood
    #[arg(long, value_name = "PATH")]
    pub cost: Option<PathBuf>,
    #[command(flatten)]
    pub out: OutputArgs,
}

#[derive(Args, Debug)]
pub struct PlanArgs {
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Billing export (as for `audit --cost`): each changed resource's cost and credit at risk, most at risk first
    #[arg(long, value_name = "PATH")]
    pub cost: Option<PathBuf>,
    /// Evaluate policy windows at this time (RFC 3339), to rehearse a cutover
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    #[command(flatten)]
    pub format: FormatArg,
    /// Also write the plan as JSON to FILE, for `apply --plan`
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Apply exactly this reviewed plan (from `plan -o`)
    #[arg(long, value_name = "FILE")]
    pub plan: Option<PathBuf>,
    /// Do not ask for confirmation
    #[arg(long)]
    pub yes: bool,
    /// Allow up to N changes in this run (raises `limits.max_changes_per_run`)
    #[arg(long, value_name = "N")]
    pub max_changes: Option<usize>,
    #[command(flatten)]
    pub out: OutputArgs,
}

#[derive(Args, Debug)]
pub struct RollbackArgs {
    /// The run to undo (see `tagwarden history`)
    pub run_id: String,
    /// Do not ask for confirmation
    #[arg(long)]
    pub yes: bool,
    #[command(flatten)]
    pub out: OutputArgs,
}

#[derive(Args, Debug)]
pub struct HistoryArgs {
    /// Show the journal of this run
    pub run_id: Option<String>,
    /// Show at most this many runs (the newest)
    #[arg(long, value_name = "N", default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=100_000), conflicts_with = "run_id")]
    pub limit: u32,
    /// Show the runs started before this one (the next page)
    #[arg(long, value_name = "RUN_ID", conflicts_with = "run_id")]
    pub before: Option<String>,
    #[command(flatten)]
    pub out: OutputArgs,
}

#[derive(Args, Debug)]
pub struct DriftArgs {
    /// Only those seen within this long (e.g. 7d) [default: all the store keeps]
    #[arg(long, value_name = "DURATION")]
    pub since: Option<String>,
    #[command(flatten)]
    pub out: OutputArgs,
}

#[derive(Args, Debug)]
pub struct PruneArgs {
    /// Remove runs started longer ago than this (e.g. 90d) [default: store.retention]
    #[arg(long, value_name = "DURATION")]
    pub older_than: Option<String>,
    /// Also remove old runs whose changes could still be rolled back (they no longer can be)
    #[arg(long)]
    pub rollback_runs: bool,
    /// Do not ask for confirmation (only --rollback-runs asks)
    #[arg(long)]
    pub yes: bool,
}

#[derive(Args, Debug)]
pub struct CreditsArgs {
    /// Ask Cost Explorer again instead of reusing its answers from the store (map.cost_explorer_cache)
    #[arg(long, conflicts_with = "cost")]
    pub fresh: bool,
    /// Read spend and credits from a billing export (as for `audit --cost`) instead of Cost Explorer: no request charges, no 13-month limit, and only credits whose description matches map.credit_description count as received
    #[arg(long, value_name = "PATH")]
    pub cost: Option<PathBuf>,
    /// Compute as of this day (YYYY-MM-DD) [default: today]
    #[arg(long, value_name = "DATE")]
    pub at: Option<String>,
    /// Narrow every figure to one workload (map.workload_tags); `(no workload)` is the spend that carries none of them
    #[arg(long, value_name = "NAME")]
    pub workload: Option<String>,
    /// Rows of a breakdown table before the quarters (table, Markdown, CSV; JSON has every breakdown)
    #[arg(long, value_enum, value_name = "KEY")]
    pub by: Option<ByKey>,
    /// Print the eligibility in effect instead: every service, the day it counts from, its exclusions and where it comes from (AWS's Migrations Included Services List or map.eligible_services). Asks AWS nothing.
    #[arg(long, conflicts_with_all = ["fresh", "cost", "at", "workload", "by"])]
    pub services: bool,
    #[command(flatten)]
    pub out: OutputArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ByKey {
    Workload,
    Account,
    Service,
    /// The MAP tag keys of `map.tag` (with two of them).
    Scheme,
}

impl ByKey {
    pub fn by(self) -> tagwarden_core::report::credits::By {
        use tagwarden_core::report::credits::By;
        match self {
            ByKey::Workload => By::Workload,
            ByKey::Account => By::Account,
            ByKey::Service => By::Service,
            ByKey::Scheme => By::Scheme,
        }
    }
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Ask Cost Explorer again instead of reusing its answers from the store (map.cost_explorer_cache)
    #[arg(long, conflicts_with = "cost")]
    pub fresh: bool,
    /// A billing export (as for `audit --cost`): the money view comes from it instead of Cost Explorer, and untagged resources are ranked by their cost
    #[arg(long, value_name = "PATH")]
    pub cost: Option<PathBuf>,
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Credits as of this day (YYYY-MM-DD) [default: today]
    #[arg(long, value_name = "DATE")]
    pub at: Option<String>,
    /// The HTML file to write
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// This replica's shard, 0-based: it scans the accounts whose id modulo --total-shards is N
    #[arg(long, value_name = "N", env = "TAGWARDEN_SHARD")]
    pub shard: Option<u32>,
    /// How many replicas share the accounts
    #[arg(long, value_name = "M", env = "TAGWARDEN_TOTAL_SHARDS")]
    pub total_shards: Option<u32>,
    /// A StatefulSet pod name (NAME-ORDINAL): the shard when --shard is not given
    #[arg(long, value_name = "NAME", env = "POD_NAME")]
    pub pod_name: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum PolicyCommand {
    /// Check policy files without touching AWS; every problem is reported at once (exit 2 if any)
    Validate {
        /// Files or directories [default: the configuration's policies]
        paths: Vec<PathBuf>,
    },
    /// Print the JSON Schema of policy files, for editors
    Schema,
    /// Print the IAM policies (JSON) the policies and configuration need: reads of their types only, writes only of the keys remediate.set writes; no AWS access
    Iam {
        /// Files or directories [default: the configuration's policies]
        paths: Vec<PathBuf>,
        /// Whose policy: tagwarden's own identity (scanner), the member role's reads (audit) or writes (enforce), or all of them in one object
        #[arg(long, value_enum, default_value_t = IamRole::All)]
        role: IamRole,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum IamRole {
    Audit,
    Enforce,
    Scanner,
    All,
}

impl IamRole {
    /// The one role asked for; None: all of them.
    pub fn one(self) -> Option<tagwarden_core::iam::Role> {
        use tagwarden_core::iam::Role;
        match self {
            IamRole::Audit => Some(Role::Audit),
            IamRole::Enforce => Some(Role::Enforce),
            IamRole::Scanner => Some(Role::Scanner),
            IamRole::All => None,
        }
    }
}
