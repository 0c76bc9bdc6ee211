//! `--cost PATH`: billing exports streamed and summed (the parsing is
//! `tagwarden_core::billing`). A path is a file, read as given; a folder
//! searched for `*.csv`, `*.csv.gz` and `*.parquet` ([`local`]); or
//! `s3://bucket/prefix`, whose files are copied to a temporary folder one
//! at a time (never into memory) and read from there ([`s3`]). A folder or
//! prefix holding a delivery's `…-Manifest.json` files is read one version
//! per billing period (`tagwarden_core::billing::manifest`): the latest,
//! so no month is counted twice.

mod local;
mod s3;

use crate::aws::Aws;
use crate::error::{Error, Result};
use chrono::NaiveDate;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use tagwarden_core::billing::manifest::PeriodChoice;
use tagwarden_core::billing::{Costs, Reading};
use tagwarden_core::config::BillingLimits;

/// The billing files at `path`, local or `s3://`, read as `reading` says
/// (the agreement's terms, workloads and window).
pub async fn costs(
    aws: &Aws,
    path: &Path,
    reading: Reading,
    limits: BillingLimits,
) -> Result<Costs> {
    match path.to_str().and_then(|p| p.strip_prefix("s3://")) {
        Some(location) => {
            let (dir, periods) = s3::download(aws, location, limits).await?;
            let mut costs = read_costs(dir.path(), reading)?;
            costs.billing_periods = periods;
            Ok(costs)
        }
        None => read_costs(path, reading),
    }
}

/// What `--cost PATH` holds, found without reading a bill: the billing
/// files a run would read, and the version taken per billing period (none:
/// no manifest, every file is read). `doctor` reports it.
#[derive(Debug)]
pub struct Survey {
    pub files: usize,
    pub periods: Vec<PeriodChoice>,
}

/// Survey the billing export at `path`, local or `s3://` (its manifests
/// fetched, no data file).
pub async fn survey(aws: &Aws, path: &Path, limits: BillingLimits) -> Result<Survey> {
    let (files, periods) = match path.to_str().and_then(|p| p.strip_prefix("s3://")) {
        Some(location) => s3::survey(aws, location, limits).await?,
        None => {
            let (files, periods) = local_files(path)?;
            (files.len(), periods)
        }
    };
    Ok(Survey { files, periods })
}

/// The billing files to read at a local `path` (a file, or a folder's
/// chosen by their manifests), and the version taken per period.
fn local_files(path: &Path) -> Result<(Vec<std::path::PathBuf>, Vec<PeriodChoice>)> {
    let shown = path.display().to_string();
    if !path.exists() {
        return Err(Error::usage(format!(
            "--cost {shown}: no such file or folder"
        )));
    }
    let (files, periods) = match path.is_file() {
        true => (vec![path.to_path_buf()], Vec::new()),
        false => local::chosen(path)?,
    };
    if files.is_empty() {
        return Err(Error::usage(format!(
            "--cost {shown}: no billing file (*.csv, *.csv.gz or *.parquet) in it"
        )));
    }
    Ok((files, periods))
}

/// Every usage row of the billing files under `path` (of their latest
/// versions, when a delivery's manifests say which).
pub fn read_costs(path: &Path, reading: Reading) -> Result<Costs> {
    let (files, periods) = local_files(path)?;
    log_periods(&periods);
    let mut costs = Costs {
        reading,
        billing_periods: periods,
        ..Costs::default()
    };
    for f in files {
        let name = f.display().to_string();
        let file = File::open(&f).map_err(|e| Error::io(format!("cannot read {name}"), e))?;
        let (from, to) = (NaiveDate::MIN, NaiveDate::MAX);
        let dialect = if name.ends_with(".parquet") {
            costs.read_parquet(file, &name, from, to)
        } else if name.ends_with(".gz") {
            let input = flate2::read::MultiGzDecoder::new(BufReader::new(file));
            costs.read_csv(input, &name, from, to)
        } else {
            costs.read_csv(BufReader::new(file), &name, from, to)
        }?;
        tracing::info!(file = %name, dialect = dialect.name(), "billing file read");
    }
    Ok(costs)
}

/// Which version of each billing period is read, and why.
fn log_periods(periods: &[PeriodChoice]) {
    for p in periods {
        tracing::info!(
            period = %p.period,
            version = %p.version,
            skipped_versions = p.skipped_versions.len(),
            "{p}"
        );
    }
}

fn is_billing_file(name: &str) -> bool {
    [".csv", ".csv.gz", ".parquet"]
        .iter()
        .any(|end| name.ends_with(end))
}
