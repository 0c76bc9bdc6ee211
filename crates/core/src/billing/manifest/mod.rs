//! One version of each month. Billing deliveries keep several versions of
//! a billing period under one prefix: legacy CUR writes each refresh under
//! a new assembly id (`<report>/<yyyymmdd-yyyymmdd>/<assemblyId>/`), and a
//! Data Exports export that creates new files keeps every execution
//! (`<export>/data/BILLING_PERIOD=YYYY-MM/<…executionId>/`). Summing every
//! file counts the month once per version. Each delivery carries
//! `…-Manifest.json` files naming the data files of a version; this module
//! reads them and chooses, per billing period, the latest version.
//!
//! Pure: it takes the manifests' texts and the delivery's file paths and
//! returns what to read and what was skipped. See docs/map-facts.md
//! ("Billing deliveries") for the facts relied on.
//!
//! Which version is the latest: the period's own manifest (legacy CUR:
//! `<yyyymmdd-yyyymmdd>/<report>-Manifest.json`; Data Exports:
//! `metadata/BILLING_PERIOD=YYYY-MM/<export>-Manifest.json`) is overwritten
//! by every refresh, so it names the current version. Without it (only the
//! copies kept beside each version), the manifest modified last wins: the
//! Data Exports manifest reference documents no delivery time to compare.

mod keys;
mod parse;
mod select;

pub use select::select;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// The largest manifest tagwarden reads: real ones are kilobytes (columns
/// and file names); anything near this is not a manifest.
pub const MAX_MANIFEST_BYTES: u64 = 10 * 1024 * 1024;

/// Whether a file of a delivery is a billing manifest, by its name:
/// `<report>-Manifest.json` or `<export>-Manifest.json` (not legacy CUR's
/// `-RedshiftManifest.json`, which lists the same files for Redshift).
pub fn is_manifest(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.ends_with("-Manifest.json") && name.len() > "-Manifest.json".len()
}

/// A manifest over [`MAX_MANIFEST_BYTES`] is refused before it is read.
pub fn check_size(shown: &str, bytes: u64) -> Result<(), ManifestError> {
    if bytes > MAX_MANIFEST_BYTES {
        return Err(ManifestError::TooLarge {
            manifest: shown.to_string(),
            bytes,
        });
    }
    Ok(())
}

/// Where a delivery is: how its paths are shown, and how manifest keys
/// are matched to its files.
#[derive(Debug, Clone, Copy)]
pub enum Origin<'a> {
    /// A local folder, shown with this prefix (`/data/bills/`). Its files
    /// are a copy of some prefix of a bucket: a key matches the file whose
    /// path relative to the folder ends it. The bucket a manifest names is
    /// not checked; nothing outside the folder can match.
    Folder(&'a str),
    /// An S3 bucket: paths are keys, matched exactly, and a manifest naming
    /// another bucket is refused.
    Bucket(&'a str),
}

impl Origin<'_> {
    fn show(&self, path: &str) -> String {
        match self {
            Origin::Folder(prefix) => format!("{prefix}{path}"),
            Origin::Bucket(bucket) => format!("s3://{bucket}/{path}"),
        }
    }
}

/// A manifest found in a delivery.
#[derive(Debug, Clone)]
pub struct ManifestFile {
    /// Its path in the delivery ('/'-separated; the key in S3).
    pub path: String,
    /// When it was last written (file mtime, S3 LastModified).
    pub modified: Option<DateTime<Utc>>,
    pub text: String,
}

/// What [`select`] is given: every billing data file of the delivery
/// (paths relative to it, '/'-separated; keys in S3) and its manifests.
#[derive(Debug, Clone, Copy)]
pub struct Delivery<'a> {
    pub origin: Origin<'a>,
    pub files: &'a [String],
    pub manifests: &'a [ManifestFile],
}

/// What to read: the files, sorted, and per billing period with manifests
/// the version taken.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Selection {
    pub read: Vec<String>,
    pub periods: Vec<PeriodChoice>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    LegacyCur,
    DataExports,
}

/// How the version was told to be the latest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChosenBy {
    /// The period's own manifest, which every refresh overwrites, names it.
    PeriodManifest,
    /// No period manifest: its manifest was modified last.
    LatestModified,
}

/// The version of one billing period that was read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodChoice {
    /// `YYYY-MM`.
    pub period: String,
    pub format: Format,
    /// The assembly id (legacy CUR) or execution id (Data Exports).
    pub version: String,
    /// The manifest that named the files read.
    pub manifest: String,
    pub chosen_by: ChosenBy,
    /// Data files read.
    pub files: usize,
    /// The other versions found for the period, not read.
    pub skipped_versions: Vec<String>,
    /// The period's data files not read (other versions, files no
    /// manifest names).
    pub skipped_files: usize,
}

impl std::fmt::Display for PeriodChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (what, kind) = match self.format {
            Format::LegacyCur => ("assembly", "legacy CUR"),
            Format::DataExports => ("execution", "Data Exports"),
        };
        let how = match self.chosen_by {
            ChosenBy::PeriodManifest => "the period's own manifest",
            ChosenBy::LatestModified => "no period manifest: the one modified last",
        };
        write!(
            f,
            "billing period {}: {what} {} of {} ({kind} manifest {}, {how}); {} file(s) read, {} skipped",
            self.period,
            self.version,
            1 + self.skipped_versions.len(),
            self.manifest,
            self.files,
            self.skipped_files,
        )
    }
}

/// A manifest that cannot be trusted to say what to read. Each names the
/// manifest; nothing is read or copied after one.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("{manifest}: {bytes} bytes, over the {MAX_MANIFEST_BYTES} a billing manifest may have; not read")]
    TooLarge { manifest: String, bytes: u64 },
    #[error("{manifest}: not a billing manifest tagwarden reads: {source}")]
    Json {
        manifest: String,
        source: serde_json::Error,
    },
    #[error("{manifest}: neither a legacy CUR manifest (assemblyId, reportKeys) nor a Data Exports manifest (executionId, dataFiles)")]
    UnknownKind { manifest: String },
    #[error("{manifest}: `{field}` is empty")]
    EmptyVersion {
        manifest: String,
        field: &'static str,
    },
    #[error(
        "{manifest}: billingPeriod.start `{value}` is not a date such as 20260301T000000.000Z"
    )]
    BadPeriod { manifest: String, value: String },
    #[error("{manifest}: no billing period: neither its folder nor its data files are under BILLING_PERIOD=YYYY-MM")]
    NoPeriod { manifest: String },
    #[error("{manifest}: names `{key}`, which is not a path inside a bucket (absolute, empty, `.` or `..` parts, not s3://); refused")]
    UnsafeKey { manifest: String, key: String },
    #[error("{manifest}: names `{key}` in bucket `{named}`, not {bucket}; tagwarden reads only the delivery --cost names")]
    OtherBucket {
        manifest: String,
        key: String,
        named: String,
        bucket: String,
    },
    #[error("{manifest}: billing period {period}: names `{key}`, which is not in the delivery; refusing to read part of the month")]
    Missing {
        manifest: String,
        period: String,
        key: String,
    },
}

#[cfg(test)]
mod tests;
