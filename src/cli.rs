//! The command line (cli.md): parse arguments, set up logging, load the
//! configuration and policies, dispatch, and map outcomes to exit codes.

use crate::audit::{self, Narrowing};
use crate::aws::Aws;
use crate::progress::Progress;
use crate::UsageError;
use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use tagwarden_core::config::Config;
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
    /// Policy files: validate them, or print their JSON Schema.
    #[command(subcommand)]
    Policy(PolicyCommand),
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
            let runtime =
                tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
            runtime.block_on(run_audit(&config, &policies, args, cli.quiet))
        }
    }
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
