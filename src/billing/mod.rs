//! `--cost PATH`: billing exports streamed and summed (the parsing is
//! `tagwarden_core::billing`). A path is a file or a folder searched for
//! `*.csv`, `*.csv.gz` and `*.parquet` (a Data Exports or CUR delivery,
//! `data/BILLING_PERIOD=…/` included), or `s3://bucket/prefix`, whose files
//! are copied to a temporary folder one at a time (never into memory) and
//! read from there.

use crate::aws::{all_pages, Aws, AwsError, Quota, Zone};
use crate::error::{Error, Result};
use chrono::NaiveDate;
use std::fs::File;
use std::io::BufReader;
use std::io::Write;
use std::path::{Path, PathBuf};
use tagwarden_core::billing::Costs;
use tagwarden_core::config::BillingLimits;

/// The billing files at `path`, local or `s3://`.
/// `window`: the days the money view takes from them (None: every day).
pub async fn costs(
    aws: &Aws,
    path: &Path,
    window: Option<(NaiveDate, NaiveDate)>,
    limits: BillingLimits,
) -> Result<Costs> {
    match path.to_str().and_then(|p| p.strip_prefix("s3://")) {
        Some(location) => {
            let dir = download(aws, location, limits).await?;
            read_costs(dir.path(), window)
        }
        None => read_costs(path, window),
    }
}

/// Copy every billing file under `bucket/prefix` to a new temporary folder,
/// refusing a prefix over `limits` (in files, from the listing; in bytes,
/// from the listing and again as they are copied).
async fn download(aws: &Aws, location: &str, limits: BillingLimits) -> Result<tempfile::TempDir> {
    let (bucket, prefix) = location.split_once('/').unwrap_or((location, ""));
    let s3 = aws.s3();
    let failed = |e: AwsError| {
        Error::Aws {
        what: format!("cannot read the billing files in s3://{location} (the credentials need s3:ListBucket and s3:GetObject there)"),
        source: e,
    }
    };
    let keys = all_pages(|token| {
        let s3 = &s3;
        async move {
            let page = aws
                .api
                .call(Quota::Caller(Zone::Global), "s3:ListObjectsV2", || {
                    s3.list_objects_v2()
                        .bucket(bucket)
                        .prefix(prefix)
                        .set_continuation_token(token.clone())
                        .send()
                })
                .await?;
            let keys = page
                .contents()
                .iter()
                .filter_map(|o| {
                    let key = o.key()?;
                    let size = u64::try_from(o.size().unwrap_or(0)).unwrap_or(0);
                    is_billing_file(key).then(|| (key.to_string(), size))
                })
                .collect();
            Ok((keys, page.next_continuation_token().map(str::to_string)))
        }
    })
    .await
    .map_err(failed)?;
    let listed: u64 = keys.iter().map(|(_, size)| size).sum();
    over_limits(location, keys.len(), listed, limits)?;
    let mut copied = 0u64;
    let dir = tempfile::tempdir().map_err(|e| Error::io("cannot create a temporary folder", e))?;
    for (i, (key, _)) in keys.iter().enumerate() {
        let object = aws
            .api
            .call(Quota::Caller(Zone::Global), "s3:GetObject", || {
                s3.get_object().bucket(bucket).key(key).send()
            })
            .await
            .map_err(failed)?;
        // Keep the name's ending (it tells the format); number for uniqueness.
        let name = key.rsplit('/').next().unwrap_or(key);
        let local = dir.path().join(format!("{i:05}-{name}"));
        let mut file = File::create(&local)
            .map_err(|e| Error::io(format!("cannot write {}", local.display()), e))?;
        let mut body = object.body;
        while let Some(chunk) = body.try_next().await.map_err(|e| Error::Aws {
            what: format!("cannot read s3://{bucket}/{key}"),
            source: AwsError {
                operation: "s3:GetObject",
                code: None,
                message: e.to_string(),
            },
        })? {
            copied += chunk.len() as u64;
            // An object may have grown since it was listed.
            over_limits(location, keys.len(), copied, limits)?;
            file.write_all(&chunk)
                .map_err(|e| Error::io(format!("cannot write {}", local.display()), e))?;
        }
    }
    tracing::info!(
        files = keys.len(),
        "billing files copied from s3://{location}"
    );
    Ok(dir)
}

fn over_limits(location: &str, files: usize, bytes: u64, limits: BillingLimits) -> Result<()> {
    if files > limits.files {
        return Err(Error::usage(format!(
            "--cost s3://{location}: {files} billing files, over the {} tagwarden copies (limits.billing_files); narrow the prefix to the months you need or raise the limit",
            limits.files
        )));
    }
    if bytes > limits.bytes {
        return Err(Error::usage(format!(
            "--cost s3://{location}: over {} bytes of billing files, more than tagwarden copies (limits.billing_bytes: {}); narrow the prefix to the months you need or raise the limit",
            bytes, limits.bytes
        )));
    }
    Ok(())
}

/// Every usage row of the billing files under `path`.
pub fn read_costs(path: &Path, window: Option<(NaiveDate, NaiveDate)>) -> Result<Costs> {
    let shown = path.display().to_string();
    if !path.exists() {
        return Err(Error::usage(format!(
            "--cost {shown}: no such file or folder"
        )));
    }
    let files = billing_files(path)?;
    if files.is_empty() {
        return Err(Error::usage(format!(
            "--cost {shown}: no billing file (*.csv, *.csv.gz or *.parquet) in it"
        )));
    }
    let mut costs = Costs {
        ledger_window: window,
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

fn billing_files(path: &Path) -> Result<Vec<PathBuf>> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut dirs = vec![path.to_path_buf()];
    // Folders by their real path: a symbolic link back up is read once,
    // never walked in circles.
    let mut seen = std::collections::HashSet::new();
    while let Some(dir) = dirs.pop() {
        let real = std::fs::canonicalize(&dir)
            .map_err(|e| Error::io(format!("cannot list {}", dir.display()), e))?;
        if !seen.insert(real) {
            continue;
        }
        let entries = std::fs::read_dir(&dir)
            .map_err(|e| Error::io(format!("cannot list {}", dir.display()), e))?;
        for entry in entries {
            let p = entry
                .map_err(|e| Error::io(format!("cannot list {}", dir.display()), e))?
                .path();
            if p.is_dir() {
                dirs.push(p);
            } else if is_billing_file(&p.to_string_lossy()) {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn is_billing_file(name: &str) -> bool {
    [".csv", ".csv.gz", ".parquet"]
        .iter()
        .any(|end| name.ends_with(end))
}
