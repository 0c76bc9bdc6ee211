//! `history`, `drift` and `prune`: reading the state store (a page of
//! runs at a time, the removals the daemon saw), and keeping it from
//! growing for ever.

use super::args::{Cli, DriftArgs, HistoryArgs, PruneArgs};
use super::commands::{open_store, print};
use super::output;
use crate::config;
use crate::error::{Error, Result};
use crate::store::{Prune, Pruned, Store};
use chrono::{DateTime, Utc};
use tagwarden_core::config::{parse_retention, Config};
use tagwarden_core::journal::RunRecord;
use tagwarden_core::report::History;

pub fn history(cli: &Cli, args: &HistoryArgs) -> Result<u8> {
    let config = config::load(cli.config.as_deref())?;
    let store = open_store(&config)?;
    let run = |id: &str| -> Result<RunRecord> {
        store.run(id)?.ok_or_else(|| {
            Error::usage(format!(
                "no run `{id}` in the state store {}",
                config.store.display()
            ))
        })
    };
    let history = match &args.run_id {
        None => {
            if let Some(before) = &args.before {
                run(before)?;
            }
            let page = store.runs_page(args.limit as usize, args.before.as_deref())?;
            History::Runs {
                runs: page.runs,
                older: page.older,
            }
        }
        Some(id) => History::Journal(Box::new(run(id)?), store.run_entries(id)?),
    };
    print(&history, &args.out)?;
    Ok(0)
}

pub fn drift(cli: &Cli, args: &DriftArgs) -> Result<u8> {
    let config = config::load(cli.config.as_deref())?;
    let since = match &args.since {
        None => DateTime::<Utc>::UNIX_EPOCH,
        Some(text) => {
            let age = tagwarden_core::config::parse_duration(text)
                .map_err(|why| Error::usage(format!("--since {text}: {why}")))?;
            let age = chrono::Duration::from_std(age)
                .map_err(|_| Error::usage(format!("--since {text}: too long")))?;
            Utc::now() - age
        }
    };
    let store = open_store(&config)?;
    let report = tagwarden_core::report::DriftReport {
        removals: store.removals_since(since)?,
    };
    print(&report, &args.out)?;
    Ok(0)
}

/// The cut-off: `--older-than`, or the configured retention.
fn cutoff(config: &Config, older_than: Option<&str>) -> Result<DateTime<Utc>> {
    let age = match older_than {
        Some(text) => parse_retention(text)
            .map_err(|why| Error::usage(format!("--older-than: {why}")))?
            .ok_or_else(|| Error::usage("--older-than: give a duration such as 90d"))?,
        None => config.retention.ok_or_else(|| {
            Error::usage("store.retention is `off` in the configuration: nothing is pruned unless --older-than says how old")
        })?,
    };
    let age =
        chrono::Duration::from_std(age).map_err(|_| Error::usage("--older-than: too long"))?;
    Ok(Utc::now() - age)
}

pub fn prune(cli: &Cli, args: &PruneArgs) -> Result<u8> {
    let config = config::load(cli.config.as_deref())?;
    let before = cutoff(&config, args.older_than.as_deref())?;
    let mut store = open_store(&config)?;
    // No apply or rollback may be reading a run while it goes.
    let _lock = store.lock()?;
    let settled = store.prune(before, Prune::Settled)?;
    let mut removed = settled;
    if args.rollback_runs && settled.kept > 0 {
        removed = remove_rollback_runs(&mut store, before, settled, args.yes)?;
    }
    println!("{}", said(&removed, before, args.rollback_runs));
    Ok(0)
}

/// Ask, then remove the old runs that could still be rolled back.
fn remove_rollback_runs(
    store: &mut Store,
    before: DateTime<Utc>,
    settled: Pruned,
    yes: bool,
) -> Result<Pruned> {
    let prompt = format!(
        "Remove {} run(s) started before {} whose changes could still be rolled back? They cannot be rolled back after this.",
        settled.kept,
        before.format("%Y-%m-%d %H:%M UTC")
    );
    if !output::confirmation(yes)(&prompt)? {
        return Err(tagwarden_core::apply_rules::Refusal::NotConfirmed.into());
    }
    let more = store.prune(before, Prune::RollbackToo)?;
    Ok(Pruned {
        runs: settled.runs + more.runs,
        changes: settled.changes + more.changes,
        kept: more.kept,
    })
}

fn said(removed: &Pruned, before: DateTime<Utc>, rollback_runs: bool) -> String {
    let mut line = format!(
        "removed {} run(s) and {} journal entries started before {}",
        removed.runs,
        removed.changes,
        before.format("%Y-%m-%d %H:%M UTC")
    );
    if removed.kept > 0 && !rollback_runs {
        line += &format!(
            "; kept {} that can still be rolled back (tagwarden prune --rollback-runs removes them)",
            removed.kept
        );
    }
    line
}
