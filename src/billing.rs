//! `--cost FILE`: billing exports read from disk, streamed and summed per
//! resource (the parsing is `tagwarden_core::billing`). A path is a file or
//! a folder searched for `*.csv` and `*.csv.gz` (a Data Exports or CUR
//! delivery, `data/BILLING_PERIOD=…/` included).

use crate::error::{Error, Result};
use chrono::NaiveDate;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use tagwarden_core::billing::Costs;

/// Every usage row of the billing files under `path`.
pub fn read_costs(path: &Path) -> Result<Costs> {
    let shown = path.display().to_string();
    if shown.starts_with("s3://") {
        return Err(Error::usage(format!(
            "--cost {shown}: reading billing files from S3 is not supported yet; copy them first (`aws s3 sync {shown} ./billing`) and pass the folder"
        )));
    }
    if !path.exists() {
        return Err(Error::usage(format!(
            "--cost {shown}: no such file or folder"
        )));
    }
    let files = billing_files(path)?;
    if files.is_empty() {
        return Err(Error::usage(format!(
            "--cost {shown}: no billing file (*.csv or *.csv.gz) in it{}",
            if has_parquet(path) {
                "; Parquet exports are not read yet: export CSV (gzip) instead"
            } else {
                ""
            }
        )));
    }
    let mut costs = Costs::default();
    for f in files {
        let name = f.display().to_string();
        let file = File::open(&f).map_err(|e| Error::io(format!("cannot read {name}"), e))?;
        let input: Box<dyn Read> = if name.ends_with(".gz") {
            Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(file)))
        } else {
            Box::new(BufReader::new(file))
        };
        let dialect = costs
            .read_csv(input, &name, NaiveDate::MIN, NaiveDate::MAX)
            .map_err(|e| Error::usage(e.to_string()))?;
        tracing::info!(file = %name, dialect = dialect.name(), "billing file read");
    }
    Ok(costs)
}

fn billing_files(path: &Path) -> Result<Vec<PathBuf>> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut dirs = vec![path.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let entries = std::fs::read_dir(&dir)
            .map_err(|e| Error::io(format!("cannot list {}", dir.display()), e))?;
        for entry in entries {
            let p = entry
                .map_err(|e| Error::io(format!("cannot list {}", dir.display()), e))?
                .path();
            let name = p.to_string_lossy();
            if p.is_dir() {
                dirs.push(p);
            } else if name.ends_with(".csv") || name.ends_with(".csv.gz") {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn has_parquet(path: &Path) -> bool {
    path.to_string_lossy().ends_with(".parquet")
        || std::fs::read_dir(path).is_ok_and(|mut d| {
            d.any(|e| e.is_ok_and(|e| e.path().to_string_lossy().ends_with(".parquet")))
        })
}
