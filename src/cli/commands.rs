//! One function per command: load what it needs, check the input before any
//! AWS request, run, and print the outcome.

use super::args::{
    ApplyArgs, AuditArgs, ByKey, Cli, CreditsArgs, DoctorArgs, IamRole, OutputArgs, PlanArgs,
    ReportArgs, RollbackArgs, RunArgs, ScanArgs, WavesArgs,
};
use super::output;
use crate::aws::Aws;
use crate::config::{self, Loaded, Sources};
use crate::credits::{AnswerCache, SpendSource};
use crate::daemon;
use crate::enforce::{ApplyOptions, Enforcer};
use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::scan::{self, Narrowing};
use crate::store::{read_removals, Store};
use std::path::{Path, PathBuf};
use tagwarden_core::billing::{Costs, Reading};
use tagwarden_core::config::{Config, MapAgreement};
use tagwarden_core::plan::PlanDocument;
use tagwarden_core::policy::{load_policies, PolicySet};
use tagwarden_core::report::drift::LATELY;
use tagwarden_core::report::eligibility::EligibilityReport;
use tagwarden_core::report::html::HtmlReport;
use tagwarden_core::report::{ApplyReport, Format, Render};
use tagwarden_core::shard::Shard;

/// The configuration and policies `-c` and `--policy` name; their
/// warnings on standard error unless `--quiet`.
fn load(cli: &Cli) -> Result<Loaded> {
    let loaded = Loaded::load(&sources(cli))?;
    if !cli.quiet {
        for w in &loaded.policies.warnings {
            eprintln!("{w}");
        }
    }
    Ok(loaded)
}

fn sources(cli: &Cli) -> Sources {
    Sources {
        config: cli.config.clone(),
        policies: cli.policies.clone(),
    }
}

/// `--account` and `--region`, checked before any request.
fn narrowing(loaded: &Loaded, args: &ScanArgs) -> Result<Narrowing> {
    let narrow = Narrowing {
        accounts: args.accounts.clone(),
        regions: args.regions.clone(),
        waves: args.waves.clone(),
        ..Narrowing::default()
    };
    scan::check_narrowing(&loaded.config, &narrow)?;
    Ok(narrow)
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Runtime::new().map_err(|e| Error::io("cannot start the async runtime", e))
}

pub(super) fn open_store(config: &Config) -> Result<Store> {
    Ok(Store::open(&config.store)?)
}

pub fn schema() -> Result<u8> {
    let schema = tagwarden_core::policy::model::json_schema();
    let text = serde_json::to_string_pretty(&schema).expect("the schema serializes") + "\n";
    output::write(None, &text)?;
    Ok(0)
}

/// For the commands that need no AWS: the configuration (optional: it names
/// the accounts scopes may use and the features `policy iam` grants) and
/// the policies PATHS, `--policy` or the configuration name, with their
/// warnings on standard error.
fn standalone(cli: &Cli, paths: &[PathBuf], command: &str) -> Result<(Config, PolicySet)> {
    let config = match cli.config.as_deref() {
        Some(p) => config::load(Some(p))?,
        None => config::find()
            .map(|p| Config::load(&p))
            .transpose()?
            .unwrap_or_default(),
    };
    let paths = [paths, &cli.policies, &config.policies]
        .into_iter()
        .find(|p| !p.is_empty())
        .ok_or_else(|| {
            Error::usage(format!(
                "no policy files given: `tagwarden policy {command} PATH…`"
            ))
        })?;
    let set = load_policies(paths, &config.load_context())?;
    for w in &set.warnings {
        eprintln!("{w}");
    }
    Ok((config, set))
}

pub fn validate(cli: &Cli, paths: &[PathBuf]) -> Result<u8> {
    let (_, set) = standalone(cli, paths, "validate")?;
    let text = format!(
        "{} policies in {} file(s) are valid\n",
        set.policies.len(),
        set.files.len()
    );
    output::write(None, &text)?;
    Ok(0)
}

/// The IAM policies the policies and configuration need: one role's
/// document, or every role's in one object.
pub fn iam(cli: &Cli, paths: &[PathBuf], role: IamRole) -> Result<u8> {
    let (config, set) = standalone(cli, paths, "iam")?;
    let roles = tagwarden_core::iam::roles(&set.policies, &config);
    for w in &roles.warnings {
        eprintln!("{w}");
    }
    let text = match role.one() {
        Some(one) => roles.of(one)?.to_json(),
        None => roles.to_json(),
    };
    output::write(None, &text)?;
    Ok(0)
}

pub fn audit(cli: &Cli, args: &AuditArgs) -> Result<u8> {
    let loaded = load(cli)?;
    let narrow = narrowing(&loaded, &args.scan)?;
    let (mut report, costs) = runtime()?.block_on(async {
        let aws = Aws::connect(&loaded.config).await;
        let reading = reading(&loaded.config.map, chrono::Utc::now().date_naive(), None);
        let costs = read_costs(&aws, &loaded.config, args.cost.as_deref(), reading).await?;
        aws.identify().await?;
        let progress = Progress::new(cli.quiet);
        let report =
            crate::audit::audit(&aws, &loaded.config, &loaded.policies, &narrow, &progress).await?;
        Ok::<_, Error>((report, costs))
    })?;
    report.attach_removals(&read_removals(
        &loaded.config.store,
        Store::last_removal_of_each_key,
    ));
    if let Some(costs) = &costs {
        report.attach_costs(costs, &loaded.config.map);
    }
    let format = print(&report, &args.out)?;
    if !cli.quiet && (args.out.output.is_some() || format != Format::Table) {
        eprintln!("{}", report.summary_line());
    }
    for e in &report.errors {
        tracing::error!(account = %e.account, region = %e.region, "{}", e.message);
    }
    Ok(report.exit_code())
}

pub fn waves(cli: &Cli, args: &WavesArgs) -> Result<u8> {
    let loaded = load(cli)?;
    let narrow = narrowing(&loaded, &args.scan)?;
    let report = runtime()?.block_on(async {
        let aws = Aws::connect_identified(&loaded.config).await?;
        crate::waves::waves(&aws, &loaded.config, &loaded.policies, &narrow).await
    })?;
    print(&report, &args.out)?;
    for e in &report.errors {
        tracing::error!(account = %e.account, region = %e.region, "{}", e.message);
    }
    Ok(report.exit_code())
}

/// Every check of the set-up, one row each; exit 3 when one failed.
pub fn doctor(cli: &Cli, args: &DoctorArgs) -> Result<u8> {
    let loaded = load(cli)?;
    let scan = ScanArgs {
        accounts: args.accounts.clone(),
        regions: args.regions.clone(),
        waves: Vec::new(),
    };
    let narrow = narrowing(&loaded, &scan)?;
    let report = runtime()?.block_on(async {
        let aws = Aws::connect(&loaded.config).await;
        crate::doctor::doctor(&crate::doctor::Doctor {
            aws: &aws,
            config: &loaded.config,
            policies: &loaded.policies.policies,
            narrow: &narrow,
            cost: args.cost.as_deref(),
        })
        .await
    })?;
    let format = print(&report, &args.out)?;
    if !cli.quiet && (args.out.output.is_some() || format != Format::Table) {
        eprintln!("{}", report.summary_line());
    }
    Ok(report.exit_code())
}

pub fn plan(cli: &Cli, args: &PlanArgs) -> Result<u8> {
    let loaded = load(cli)?;
    let narrow = narrowing(&loaded, &args.scan)?;
    let at = match &args.at {
        None => chrono::Utc::now(),
        Some(t) => tagwarden_core::time::parse_time(t).ok_or_else(|| {
            Error::usage(format!(
                "--at {t}: not an RFC 3339 time such as 2026-12-05T02:00:00Z"
            ))
        })?,
    };
    let doc = runtime()?.block_on(async {
        let aws = Aws::connect(&loaded.config).await;
        let reading = reading(&loaded.config.map, chrono::Utc::now().date_naive(), None);
        let costs = read_costs(&aws, &loaded.config, args.cost.as_deref(), reading).await?;
        aws.identify().await?;
        let progress = Progress::new(cli.quiet);
        let mut doc = Enforcer::new(&aws, &loaded, &progress)
            .plan(&narrow, at)
            .await?;
        if let Some(costs) = &costs {
            doc.attach_costs(costs, &loaded.config.map);
        }
        Ok::<_, Error>(doc)
    })?;
    if let Some(path) = &args.output {
        output::write(Some(path), &doc.render(Format::Json))?;
    }
    output::write(None, &doc.render(output::format(args.format.format, false)))?;
    Ok(doc.exit_code())
}

pub fn apply(cli: &Cli, args: &ApplyArgs) -> Result<u8> {
    let loaded = load(cli)?;
    let narrow = narrowing(&loaded, &args.scan)?;
    let plan = args.plan.as_deref().map(read_plan).transpose()?;
    let mut store = open_store(&loaded.config)?;
    let _lock = store.lock()?;
    let opts = ApplyOptions {
        plan,
        max_changes: args.max_changes,
        narrow,
        ..ApplyOptions::default()
    };
    let report = runtime()?.block_on(async {
        // Local checks (the plan file, the run) come first: the caller is
        // asked by the first scan, in the same words.
        let aws = Aws::connect(&loaded.config).await;
        let progress = Progress::new(cli.quiet);
        let confirm = Box::new(output::confirmation(args.yes));
        Enforcer::new(&aws, &loaded, &progress)
            .apply(&mut store, opts, confirm)
            .await
    })?;
    print_run(&report, &args.out, cli.quiet)
}

pub fn rollback(cli: &Cli, args: &RollbackArgs) -> Result<u8> {
    let loaded = load(cli)?;
    let mut store = open_store(&loaded.config)?;
    let _lock = store.lock()?;
    let report = runtime()?.block_on(async {
        // Local checks (the plan file, the run) come first: the caller is
        // asked by the first scan, in the same words.
        let aws = Aws::connect(&loaded.config).await;
        let progress = Progress::new(cli.quiet);
        let confirm = Box::new(output::confirmation(args.yes));
        Enforcer::new(&aws, &loaded, &progress)
            .rollback(&mut store, &args.run_id, confirm)
            .await
    })?;
    print_run(&report, &args.out, cli.quiet)
}

pub fn credits(cli: &Cli, args: &CreditsArgs) -> Result<u8> {
    let config = config::load(cli.config.as_deref())?;
    if args.services {
        let eligibility = EligibilityReport::of(&config.map.eligible_services);
        print(&eligibility, &args.out)?;
        return Ok(0);
    }
    let today = day(args.at.as_deref())?;
    let workload = args.workload.as_deref();
    needs_workloads(&config, workload, args.by)?;
    needs_two_map_tags(&config, args.by)?;
    let cache = AnswerCache::of(&config, args.fresh);
    let mut report = runtime()?.block_on(async {
        let aws = Aws::connect(&config).await;
        let reading = reading(&config.map, today, workload);
        let costs = read_costs(&aws, &config, args.cost.as_deref(), reading).await?;
        if costs.is_none() {
            // Cost Explorer needs the credentials; a local bill does not
            // (the tag's activation is then `unknown`, with a warning).
            aws.identify().await?;
        }
        let source = spend_source(costs.as_ref(), &cache);
        let view = crate::credits::View {
            workload,
            scanned: None,
        };
        crate::credits::report(&aws, &config.map, today, &source, view).await
    })?;
    report.by = args.by.map(ByKey::by);
    let format = print(&report, &args.out)?;
    if !cli.quiet && (args.out.output.is_some() || format != Format::Table) {
        eprintln!("{}", report.summary_line());
    }
    for w in &report.warnings {
        tracing::warn!("{w}");
    }
    Ok(0)
}

/// The billing export `--cost` names, read before anything else: a bad
/// local file stops the run before any request (an S3 one first asks who
/// the credentials are).
async fn read_costs(
    aws: &Aws,
    config: &tagwarden_core::config::Config,
    cost: Option<&Path>,
    reading: Reading,
) -> Result<Option<Costs>> {
    if cost.is_some_and(|p| p.to_string_lossy().starts_with("s3://")) {
        aws.identify().await?;
    }
    match cost {
        Some(path) => Ok(Some(
            crate::billing::costs(aws, path, reading, config.billing).await?,
        )),
        None => Ok(None),
    }
}

/// How a bill is read: the terms, the workload asked for, and the
/// agreement's days up to `today` as Cost Explorer is asked for them (no
/// window without agreement dates: `credits` then says why).
fn reading(terms: &MapAgreement, today: chrono::NaiveDate, workload: Option<&str>) -> Reading {
    let window = tagwarden_core::credits::periods::window(terms.start, terms.end, today)
        .ok()
        .map(|w| (w.start, w.end));
    Reading {
        window,
        only_workload: workload.map(str::to_string),
        ..Reading::of(terms)
    }
}

/// `--workload` and `--by workload` need `map.workload_tags`.
fn needs_workloads(config: &Config, workload: Option<&str>, by: Option<ByKey>) -> Result<()> {
    let asked = workload
        .map(|w| format!("--workload {w}"))
        .or((by == Some(ByKey::Workload)).then(|| "--by workload".to_string()));
    match asked {
        Some(what) if config.map.workload_tags.is_empty() => Err(Error::usage(format!(
            "{what}: no workloads are configured; list the tag keys that name a workload in map.workload_tags (e.g. [app, application, workload]) in {}",
            config.file.as_deref().map_or("the configuration".into(), |f| f.display().to_string())
        ))),
        _ => Ok(()),
    }
}

/// `--by scheme` needs two MAP tags in `map.tag`.
fn needs_two_map_tags(config: &Config, by: Option<ByKey>) -> Result<()> {
    match by {
        Some(ByKey::Scheme) if config.map.tags.len() < 2 => Err(Error::usage(format!(
            "--by scheme: one MAP tag is counted ({}); a breakdown by key needs two in map.tag, e.g. [{{key: map-migrated, id: …}}, {{key: aws-apn-id, id: …}}]",
            config.map.tags.first().scheme.key()
        ))),
        _ => Ok(()),
    }
}

/// The billing export when there is one, else Cost Explorer.
fn spend_source<'a>(costs: Option<&'a Costs>, cache: &'a AnswerCache) -> SpendSource<'a> {
    match costs {
        Some(costs) => SpendSource::Export(costs),
        None => SpendSource::CostExplorer(cache),
    }
}

/// `--at YYYY-MM-DD`, or today.
fn day(at: Option<&str>) -> Result<chrono::NaiveDate> {
    match at {
        None => Ok(chrono::Utc::now().date_naive()),
        Some(d) => d
            .parse()
            .map_err(|_| Error::usage(format!("--at {d}: not a date such as 2026-04-30"))),
    }
}

/// The audit and the money view in one HTML file. Credits that cannot be
/// read (no agreement dates, no Cost Explorer access) leave a note in the
/// report instead of failing it.
pub fn report(cli: &Cli, args: &ReportArgs) -> Result<u8> {
    let loaded = load(cli)?;
    let narrow = narrowing(&loaded, &args.scan)?;
    let today = day(args.at.as_deref())?;
    let cache = AnswerCache::of(&loaded.config, args.fresh);
    let (mut audit, costs, credits) = runtime()?.block_on(async {
        let aws = Aws::connect(&loaded.config).await;
        let reading = reading(&loaded.config.map, today, None);
        let costs = read_costs(&aws, &loaded.config, args.cost.as_deref(), reading).await?;
        aws.identify().await?;
        let progress = Progress::new(cli.quiet);
        let audit =
            crate::audit::audit(&aws, &loaded.config, &loaded.policies, &narrow, &progress).await?;
        let source = spend_source(costs.as_ref(), &cache);
        let view = crate::credits::View {
            workload: None,
            scanned: Some(&audit.scanned),
        };
        let credits = crate::credits::report(&aws, &loaded.config.map, today, &source, view).await;
        Ok::<_, Error>((audit, costs, credits))
    })?;
    let (by_key, removals) = read_removals(&loaded.config.store, |s| {
        Ok((s.last_removal_of_each_key()?, s.last_removals(LATELY)?))
    });
    audit.attach_removals(&by_key);
    if let Some(costs) = &costs {
        audit.attach_costs(costs, &loaded.config.map);
    }
    let (credits, credits_error) = match credits {
        Ok(c) => (Some(c), None),
        Err(e) => (None, Some(e.to_string())),
    };
    let html = HtmlReport {
        generated_at: tagwarden_core::time::rfc3339(chrono::Utc::now()),
        audit: &audit,
        credits: credits.as_ref(),
        credits_error,
        removals: &removals,
    }
    .render();
    output::write(Some(&args.output), &html)?;
    if !cli.quiet {
        eprintln!("{}", audit.summary_line());
        if let Some(c) = &credits {
            eprintln!("{}", c.summary_line());
        }
        eprintln!("wrote {}", args.output.display());
    }
    Ok(audit.exit_code())
}

pub fn run(cli: &Cli, args: &RunArgs) -> Result<u8> {
    let shard = Shard::resolve(args.shard, args.total_shards, args.pod_name.as_deref())?;
    daemon::run(daemon::Options {
        sources: sources(cli),
        shard,
    })
}

fn read_plan(path: &Path) -> Result<PlanDocument> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::io(format!("cannot read the plan {}", path.display()), e))?;
    serde_json::from_str(&text).map_err(|source| Error::PlanFile {
        path: path.to_path_buf(),
        source,
    })
}

/// Render in the chosen format to standard output or the file.
pub(super) fn print(outcome: &impl Render, out: &OutputArgs) -> Result<Format> {
    let format = output::format(out.format.format, out.output.is_some());
    output::write(out.output.as_deref(), &outcome.render(format))?;
    Ok(format)
}

fn print_run(report: &ApplyReport, out: &OutputArgs, quiet: bool) -> Result<u8> {
    print(report, out)?;
    if !quiet && out.output.is_some() {
        eprintln!("{}", report.summary_line());
    }
    Ok(report.exit_code())
}
