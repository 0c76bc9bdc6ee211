//! The command line (cli.md): parse arguments, set up logging, load the
//! configuration and policies, dispatch, and map outcomes to exit codes.

use crate::audit::{self, Narrowing};
use crate::aws::Aws;
use crate::enforce::{ApplyOptions, ApplyReport, Enforcer};
use crate::progress::Progress;
use crate::store::Store;
use crate::UsageError;
use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use tagwarden_core::config::Config;
use tagwarden_core::plan::PlanDocument;
use tagwarden_core::policy::{load_policies, PolicySet};
use tagwarden_core::report::Format;
use tagwarden_core::Diagnostics;

#[derive(Parser, Debug)]
#[command(
    name = "tagwarden",
    version,
    about = "Tag compliance for AWS: audit MAP 2.0 and cost-allocation tags across accounts and regions"
)]
pub struct Cli {
    /// Configuration file [default: ./tagwarden.yaml, then /etc/tagwarden/tagwarden.yaml]
    #[arg(short, long, global = true, env = "TAGWARDEN_CONFIG")]
    config: Option<PathBuf>,
    /// Policy file or directory, instead of the configuration's (repeatable)
    #[arg(long = "policy", global = true, value_name = "PATH")]
    policies: Vec<PathBuf>,
    /// More logging: -v shows each AWS request, -vv everything
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// Only errors on stderr; no progress
    #[arg(short, long, global = true)]
    quiet: bool,
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum OutputFormat {
    Table,
    Json,
    Csv,
    Markdown,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Scan every configured account and region, evaluate the policies, report findings. Writes nothing to AWS.
    Audit(AuditArgs),
    /// The exact tag changes enforcement would make, per resource (the dry run before a migration wave).
    Plan(PlanArgs),
    /// Make the changes due now (recomputed, or exactly those of a reviewed plan), journaled first.
    Apply(ApplyArgs),
    /// Restore the tags a run changed, from the journal.
    Rollback(RollbackArgs),
    /// Past apply and rollback runs, or the journal of one run.
    History(HistoryArgs),
    /// Policy files: validate them, or print their JSON Schema.
    #[command(subcommand)]
    Policy(PolicyCommand),
}

#[derive(Args, Debug)]
struct PlanArgs {
    #[command(flatten)]
    scan: ScanArgs,
    /// Evaluate policy windows at this time (RFC 3339), to rehearse a cutover
    #[arg(long, value_name = "TIME")]
    at: Option<String>,
    /// Output format on standard output [default: table on a terminal, json otherwise]
    #[arg(long, value_enum)]
    format: Option<OutputFormat>,
    /// Also write the plan as JSON to FILE, for `apply --plan`
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct ApplyArgs {
    #[command(flatten)]
    scan: ScanArgs,
    /// Apply exactly this reviewed plan (from `plan -o`)
    #[arg(long, value_name = "FILE")]
    plan: Option<PathBuf>,
    /// Do not ask for confirmation
    #[arg(long)]
    yes: bool,
    /// Allow up to N changes in this run (raises `limits.max_changes_per_run`)
    #[arg(long, value_name = "N")]
    max_changes: Option<usize>,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Args, Debug)]
struct RollbackArgs {
    /// The run to undo (see `tagwarden history`)
    run_id: String,
    /// Do not ask for confirmation
    #[arg(long)]
    yes: bool,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Args, Debug)]
struct HistoryArgs {
    /// Show the journal of this run
    run_id: Option<String>,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Args, Debug)]
struct ScanArgs {
    /// Only this account (id or configured name; repeatable)
    #[arg(long = "account", value_name = "ID_OR_NAME")]
    accounts: Vec<String>,
    /// Only this region (repeatable)
    #[arg(long = "region", value_name = "REGION")]
    regions: Vec<String>,
}

#[derive(Args, Debug)]
struct OutputArgs {
    /// Output format: table or json [default: table on a terminal, json otherwise]
    #[arg(long, value_enum)]
    format: Option<OutputFormat>,
    /// Write the output to FILE instead of standard output
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct AuditArgs {
    /// Only this account (id or configured name; repeatable)
    #[arg(long = "account", value_name = "ID_OR_NAME")]
    accounts: Vec<String>,
    /// Only this region (repeatable)
    #[arg(long = "region", value_name = "REGION")]
    regions: Vec<String>,
    /// Output format [default: table on a terminal, json otherwise]
    #[arg(long, value_enum)]
    format: Option<OutputFormat>,
    /// Write the report to FILE instead of standard output
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
enum PolicyCommand {
    /// Check policy files without touching AWS; every problem is reported at once (exit 2 if any)
    Validate {
        /// Files or directories [default: the configuration's policies]
        paths: Vec<PathBuf>,
    },
    /// Print the JSON Schema of policy files, for editors
    Schema,
}

/// Parse, run, and return the process exit code.
pub fn main() -> u8 {
    let cli = Cli::parse();
    init_logging(cli.verbose, cli.quiet, cli.log_format);
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            if let Some(d) = e.downcast_ref::<Diagnostics>() {
                eprintln!("{d}");
                2
            } else if let Some(u) = e.downcast_ref::<UsageError>() {
                eprintln!("error: {u}");
                2
            } else {
                eprintln!("error: {e:#}");
                3
            }
        }
    }
}

fn init_logging(verbose: u8, quiet: bool, format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let default = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "warn,tagwarden=debug,tagwarden_core=debug",
        _ => "debug",
    };
    let filter =
        EnvFilter::try_from_env("TAGWARDEN_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter)
        .with_target(false);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

fn run(cli: Cli) -> anyhow::Result<u8> {
    match &cli.command {
        Command::Policy(PolicyCommand::Schema) => {
            let schema =
                serde_json::to_string_pretty(&tagwarden_core::policy::model::json_schema())?;
            println!("{schema}");
            Ok(0)
        }
        Command::Policy(PolicyCommand::Validate { paths }) => validate(&cli, paths),
        Command::Audit(args) => {
            let config = load_config(cli.config.as_deref())?;
            let policies = load_policy_set(&config, &cli.policies, cli.quiet)?;
            runtime()?.block_on(run_audit(&config, &policies, args, cli.quiet))
        }
        Command::History(args) => history(&cli, args),
        Command::Plan(_) | Command::Apply(_) | Command::Rollback(_) => {
            let config = load_config(cli.config.as_deref())?;
            let policies = load_policy_set(&config, &cli.policies, cli.quiet)?;
            let fingerprint = fingerprint(&config, &policies)?;
            runtime()?.block_on(enforce(&cli, &config, &policies, fingerprint))
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Runtime::new().context("cannot start the async runtime")
}

/// The configuration file and every policy file, as plans record them.
fn fingerprint(config: &Config, policies: &PolicySet) -> anyhow::Result<String> {
    let mut files: Vec<&Path> = policies.files.iter().map(PathBuf::as_path).collect();
    files.extend(config.file.as_deref());
    let contents = files
        .iter()
        .map(|f| std::fs::read(f).with_context(|| format!("cannot read {}", f.display())))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(tagwarden_core::plan::fingerprint(
        contents.iter().map(Vec::as_slice),
    ))
}

/// Ask on the terminal, or take `--yes`; never write unasked from a script.
fn confirmation(yes: bool) -> impl FnOnce(&str) -> Result<bool, UsageError> {
    move |prompt| {
        if yes {
            return Ok(true);
        }
        if !std::io::stdin().is_terminal() {
            return Err(UsageError(
                "standard input is not a terminal: pass --yes to confirm; nothing was written"
                    .into(),
            ));
        }
        eprint!("{prompt} [y/N] ");
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .map_err(|e| UsageError(format!("cannot read the answer: {e}")))?;
        Ok(matches!(line.trim(), "y" | "Y" | "yes" | "YES"))
    }
}

fn open_store(config: &Config) -> anyhow::Result<Store> {
    Store::open(&config.store)
        .with_context(|| "set `store:` in tagwarden.yaml to a writable path".to_string())
}

async fn enforce(
    cli: &Cli,
    config: &Config,
    policies: &PolicySet,
    fingerprint: String,
) -> anyhow::Result<u8> {
    let aws = Aws::connect(config.endpoint_url.as_deref(), config.requests_per_second).await;
    let progress = Progress::new(cli.quiet);
    let enforcer = Enforcer {
        aws: &aws,
        config,
        policies,
        fingerprint,
        progress: &progress,
    };
    match &cli.command {
        Command::Plan(args) => {
            let narrow = Narrowing {
                accounts: args.scan.accounts.clone(),
                regions: args.scan.regions.clone(),
            };
            audit::check_narrowing(config, &narrow)?;
            let at = match &args.at {
                None => chrono::Utc::now(),
                Some(t) => tagwarden_core::policy::load::parse_time(t).ok_or_else(|| {
                    UsageError(format!(
                        "--at {t}: not an RFC 3339 time such as 2026-12-05T02:00:00Z"
                    ))
                })?,
            };
            let doc = enforcer.plan(&narrow, at).await?;
            if let Some(path) = &args.output {
                write_output(Some(path), &doc.render_json())?;
            }
            let text = match output_format(args.format, false) {
                Format::Json => doc.render_json(),
                _ => doc.render_table(),
            };
            write_output(None, &text)?;
            Ok(doc.exit_code() as u8)
        }
        Command::Apply(args) => {
            let narrow = Narrowing {
                accounts: args.scan.accounts.clone(),
                regions: args.scan.regions.clone(),
            };
            audit::check_narrowing(config, &narrow)?;
            let plan = args.plan.as_deref().map(read_plan).transpose()?;
            let mut store = open_store(config)?;
            let _lock = store.lock().map_err(|e| UsageError(e.to_string()))?;
            let opts = ApplyOptions {
                plan,
                max_changes: args.max_changes,
                narrow,
            };
            let report = enforcer
                .apply(&mut store, opts, confirmation(args.yes))
                .await?;
            print_report(&report, &args.out, cli.quiet)
        }
        Command::Rollback(args) => {
            let mut store = open_store(config)?;
            let _lock = store.lock().map_err(|e| UsageError(e.to_string()))?;
            let report = enforcer
                .rollback(&mut store, &args.run_id, confirmation(args.yes))
                .await?;
            print_report(&report, &args.out, cli.quiet)
        }
        _ => unreachable!("only enforcement commands come here"),
    }
}

fn read_plan(path: &Path) -> anyhow::Result<PlanDocument> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| UsageError(format!("cannot read the plan {}: {e}", path.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| UsageError(format!("{}: not a tagwarden plan: {e}", path.display())).into())
}

fn print_report(report: &ApplyReport, out: &OutputArgs, quiet: bool) -> anyhow::Result<u8> {
    let text = match output_format(out.format, out.output.is_some()) {
        Format::Json => report.render_json(),
        _ => report.render_table(),
    };
    write_output(out.output.as_deref(), &text)?;
    if !quiet && out.output.is_some() {
        eprintln!("{}", report.summary_line());
    }
    Ok(report.exit_code() as u8)
}

fn history(cli: &Cli, args: &HistoryArgs) -> anyhow::Result<u8> {
    let config = load_config(cli.config.as_deref())?;
    let store = open_store(&config)?;
    let json = output_format(args.out.format, args.out.output.is_some()) == Format::Json;
    let text = match &args.run_id {
        Some(id) => {
            if store.run(id)?.is_none() {
                return Err(UsageError(format!(
                    "no run `{id}` in the state store {}",
                    config.store.display()
                ))
                .into());
            }
            let entries = store.run_entries(id)?;
            if json {
                serde_json::to_string_pretty(&entries)? + "\n"
            } else {
                entries
                    .iter()
                    .map(|e| {
                        format!(
                            "{:<12} {} {}: {} -> {} ({}){}\n",
                            e.state.as_str(),
                            e.arn,
                            e.key,
                            e.previous.as_deref().unwrap_or("(none)"),
                            e.new.as_deref().unwrap_or("(removed)"),
                            e.policy,
                            e.error
                                .as_deref()
                                .map(|x| format!(": {x}"))
                                .unwrap_or_default()
                        )
                    })
                    .collect()
            }
        }
        None => {
            let runs = store.runs()?;
            if json {
                serde_json::to_string_pretty(&runs)? + "\n"
            } else if runs.is_empty() {
                "no runs yet\n".to_string()
            } else {
                let mut out = format!(
                    "{:<36}  {:<8}  {:<24}  {:<11}  {:>7}  {:>6}  {:>7}  {:>11}  ROLLS BACK\n",
                    "RUN",
                    "KIND",
                    "STARTED",
                    "STATUS",
                    "APPLIED",
                    "FAILED",
                    "PENDING",
                    "ROLLED BACK"
                );
                for r in runs {
                    out.push_str(&format!(
                        "{:<36}  {:<8}  {:<24}  {:<11}  {:>7}  {:>6}  {:>7}  {:>11}  {}\n",
                        r.id,
                        r.kind,
                        r.started_at,
                        r.status,
                        r.applied,
                        r.failed,
                        r.pending,
                        r.rolled_back,
                        r.rolls_back.as_deref().unwrap_or("")
                    ));
                }
                out
            }
        }
    };
    write_output(args.out.output.as_deref(), &text)?;
    Ok(0)
}

fn validate(cli: &Cli, paths: &[PathBuf]) -> anyhow::Result<u8> {
    // The configuration is optional here: it names the accounts scopes may use.
    let config = match cli.config.as_deref() {
        Some(p) => load_config(Some(p))?,
        None => find_config()
            .map(|p| Config::load(&p))
            .transpose()?
            .unwrap_or_default(),
    };
    let paths = if !paths.is_empty() {
        paths.to_vec()
    } else if !cli.policies.is_empty() {
        cli.policies.clone()
    } else {
        config.policies.clone()
    };
    if paths.is_empty() {
        return Err(
            UsageError("no policy files given: `tagwarden policy validate PATH…`".into()).into(),
        );
    }
    let set = load_policies(&paths, &config.load_context())?;
    for w in &set.warnings {
        eprintln!("{w}");
    }
    println!(
        "{} policies in {} file(s) are valid",
        set.policies.len(),
        set.files.len()
    );
    Ok(0)
}

fn find_config() -> Option<PathBuf> {
    [
        Path::new("tagwarden.yaml"),
        Path::new("/etc/tagwarden/tagwarden.yaml"),
    ]
    .into_iter()
    .find(|p| p.is_file())
    .map(Path::to_path_buf)
}

fn load_config(path: Option<&Path>) -> anyhow::Result<Config> {
    match path {
        Some(p) if !p.exists() => {
            Err(UsageError(format!("configuration file {} not found", p.display())).into())
        }
        Some(p) => Ok(Config::load(p)?),
        None => match find_config() {
            Some(p) => Ok(Config::load(&p)?),
            None => Ok(Config::default()),
        },
    }
}

fn load_policy_set(
    config: &Config,
    override_paths: &[PathBuf],
    quiet: bool,
) -> anyhow::Result<PolicySet> {
    let paths = if override_paths.is_empty() {
        config.policies.clone()
    } else {
        override_paths.to_vec()
    };
    if paths.is_empty() {
        return Err(UsageError(
            "no policies: list them under `policies:` in tagwarden.yaml or pass --policy PATH"
                .into(),
        )
        .into());
    }
    let set = load_policies(&paths, &config.load_context())?;
    if !quiet {
        for w in &set.warnings {
            eprintln!("{w}");
        }
    }
    Ok(set)
}

async fn run_audit(
    config: &Config,
    policies: &PolicySet,
    args: &AuditArgs,
    quiet: bool,
) -> anyhow::Result<u8> {
    let narrow = Narrowing {
        accounts: args.accounts.clone(),
        regions: args.regions.clone(),
    };
    // Bad narrowing is a usage error: found before any AWS call.
    audit::check_narrowing(config, &narrow)?;
    let aws = Aws::connect(config.endpoint_url.as_deref(), config.requests_per_second).await;
    let progress = Progress::new(quiet);
    let report = audit::audit(&aws, config, policies, &narrow, &progress).await?;
    let format = output_format(args.format, args.output.is_some());
    write_output(args.output.as_deref(), &report.render(format))?;
    if !quiet && (args.output.is_some() || format != Format::Table) {
        eprintln!("{}", report.summary_line());
    }
    for e in &report.errors {
        tracing::error!(account = %e.account, region = %e.region, "{}", e.message);
    }
    Ok(report.exit_code() as u8)
}

fn output_format(chosen: Option<OutputFormat>, to_file: bool) -> Format {
    match chosen {
        Some(OutputFormat::Table) => Format::Table,
        Some(OutputFormat::Json) => Format::Json,
        Some(OutputFormat::Csv) => Format::Csv,
        Some(OutputFormat::Markdown) => Format::Markdown,
        None if !to_file && std::io::stdout().is_terminal() => Format::Table,
        None => Format::Json,
    }
}

/// Standard output, or FILE written whole or not at all (temporary file, then rename).
fn write_output(path: Option<&Path>, text: &str) -> anyhow::Result<()> {
    let Some(path) = path else {
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())?;
        return Ok(out.flush()?);
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    tmp.write_all(text.as_bytes())?;
    tmp.persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
