//! A manifest's text, parsed strictly (typed, required fields; fields
//! tagwarden does not use, such as `columns`, are left alone) into what
//! selection needs: its billing period, its version, the files it names
//! and where its period lies in the delivery.

use super::keys;
use super::{check_size, Format, ManifestError, ManifestFile, Origin};
use chrono::{DateTime, Utc};
use serde::de::IgnoredAny;
use serde::Deserialize;

/// A file a manifest names: the bucket it says (if any) and the key.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Named {
    pub bucket: Option<String>,
    pub key: String,
}

#[derive(Debug, Clone)]
pub(super) struct Manifest {
    pub path: String,
    pub shown: String,
    pub modified: Option<DateTime<Utc>>,
    pub format: Format,
    /// `YYYY-MM`.
    pub period: String,
    pub version: String,
    pub named: Vec<Named>,
    /// The period's own manifest (overwritten by every refresh), not the
    /// copy kept beside one version.
    pub own: bool,
    /// The folder holding the period's data files, when the layout says.
    pub folder: Option<String>,
}

/// Only which of the two kinds a manifest is.
#[derive(Deserialize)]
struct Probe {
    #[serde(rename = "reportKeys")]
    report_keys: Option<IgnoredAny>,
    #[serde(rename = "dataFiles")]
    data_files: Option<IgnoredAny>,
}

/// Legacy CUR: keys relative to `bucket`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Legacy {
    assembly_id: String,
    report_keys: Vec<String>,
    billing_period: LegacyPeriod,
    bucket: Option<String>,
}

#[derive(Deserialize)]
struct LegacyPeriod {
    start: String,
}

/// Data Exports: full `s3://bucket/key` URIs.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Export {
    execution_id: String,
    data_files: Vec<String>,
}

pub(super) fn parse(file: &ManifestFile, origin: Origin<'_>) -> Result<Manifest, ManifestError> {
    let shown = origin.show(&file.path);
    check_size(&shown, file.text.len() as u64)?;
    let json = |source| ManifestError::Json {
        manifest: shown.clone(),
        source,
    };
    let probe: Probe = serde_json::from_str(&file.text).map_err(json)?;
    let mut m = match (probe.report_keys, probe.data_files) {
        (Some(_), None) => legacy(serde_json::from_str(&file.text).map_err(json)?, &shown)?,
        (None, Some(_)) => export(serde_json::from_str(&file.text).map_err(json)?, &shown)?,
        _ => return Err(ManifestError::UnknownKind { manifest: shown }),
    };
    m.path = file.path.clone();
    m.modified = file.modified;
    place(&mut m)?;
    Ok(m)
}

fn empty(shown: &str) -> Manifest {
    Manifest {
        path: String::new(),
        shown: shown.to_string(),
        modified: None,
        format: Format::LegacyCur,
        period: String::new(),
        version: String::new(),
        named: Vec::new(),
        own: true,
        folder: None,
    }
}

fn legacy(l: Legacy, shown: &str) -> Result<Manifest, ManifestError> {
    if l.assembly_id.is_empty() {
        return Err(ManifestError::EmptyVersion {
            manifest: shown.to_string(),
            field: "assemblyId",
        });
    }
    let period =
        month_of_date(&l.billing_period.start).ok_or_else(|| ManifestError::BadPeriod {
            manifest: shown.to_string(),
            value: l.billing_period.start.clone(),
        })?;
    let named = l
        .report_keys
        .into_iter()
        .map(|key| checked(shown, l.bucket.clone(), key))
        .collect::<Result<_, _>>()?;
    Ok(Manifest {
        format: Format::LegacyCur,
        period,
        version: l.assembly_id,
        named,
        ..empty(shown)
    })
}

fn export(e: Export, shown: &str) -> Result<Manifest, ManifestError> {
    if e.execution_id.is_empty() {
        return Err(ManifestError::EmptyVersion {
            manifest: shown.to_string(),
            field: "executionId",
        });
    }
    let named = e
        .data_files
        .into_iter()
        .map(
            |uri| match uri.strip_prefix("s3://").and_then(|r| r.split_once('/')) {
                Some((bucket, key)) if !bucket.is_empty() => {
                    checked(shown, Some(bucket.to_string()), key.to_string())
                }
                _ => Err(ManifestError::UnsafeKey {
                    manifest: shown.to_string(),
                    key: uri.clone(),
                }),
            },
        )
        .collect::<Result<_, _>>()?;
    Ok(Manifest {
        format: Format::DataExports,
        version: e.execution_id,
        named,
        ..empty(shown)
    })
}

fn checked(shown: &str, bucket: Option<String>, key: String) -> Result<Named, ManifestError> {
    if !keys::is_safe(&key) {
        return Err(ManifestError::UnsafeKey {
            manifest: shown.to_string(),
            key,
        });
    }
    Ok(Named { bucket, key })
}

/// Whether it is its period's own manifest, and where the period's data
/// files lie.
///
/// Legacy CUR keeps a copy of each version's manifest in the folder named
/// by its assembly id; the period's own is one level up, in the
/// `yyyymmdd-yyyymmdd` folder that holds every version. Data Exports puts
/// manifests under `metadata/BILLING_PERIOD=YYYY-MM/` and data under
/// `data/BILLING_PERIOD=YYYY-MM/`; a manifest deeper than the partition
/// folder belongs to one execution.
fn place(m: &mut Manifest) -> Result<(), ManifestError> {
    let parts: Vec<&str> = m.path.split('/').collect();
    let dir = &parts[..parts.len() - 1];
    match m.format {
        Format::LegacyCur => {
            m.own = dir.last() != Some(&m.version.as_str());
            let folder = if m.own { dir } else { &dir[..dir.len() - 1] };
            m.folder = Some(folder.join("/"));
        }
        Format::DataExports => match dir.iter().rposition(|p| partition(p).is_some()) {
            Some(i) => {
                m.period = partition(dir[i]).unwrap_or_default();
                m.own = i + 1 == dir.len();
                m.folder = Some(match i.checked_sub(1) {
                    Some(up) if dir[up] == "metadata" => {
                        [&dir[..up], &["data", dir[i]]].concat().join("/")
                    }
                    _ => dir[..=i].join("/"),
                });
            }
            None => {
                m.period = period_of_keys(&m.named).ok_or_else(|| ManifestError::NoPeriod {
                    manifest: m.shown.clone(),
                })?;
            }
        },
    }
    Ok(())
}

/// The billing period all the named keys share, from their
/// `BILLING_PERIOD=` folder.
fn period_of_keys(named: &[Named]) -> Option<String> {
    let mut periods = named.iter().map(|n| n.key.split('/').find_map(partition));
    let first = periods.next()??;
    periods
        .all(|p| p.as_deref() == Some(first.as_str()))
        .then_some(first)
}

/// `BILLING_PERIOD=2026-03` (any case) → `2026-03`.
fn partition(segment: &str) -> Option<String> {
    let (name, value) = segment.split_once('=')?;
    if !name.eq_ignore_ascii_case("billing_period") {
        return None;
    }
    let b = value.as_bytes();
    (b.len() == 7 && b[4] == b'-')
        .then(|| month(&value[..4], &value[5..7]))
        .flatten()
}

/// `20260301T000000.000Z` (what legacy CUR writes) or `2026-03-01…` →
/// `2026-03`.
fn month_of_date(date: &str) -> Option<String> {
    let b = date.as_bytes();
    if b.len() >= 8 && b[..8].iter().all(u8::is_ascii_digit) {
        month(&date[..4], &date[4..6])
    } else if b.len() >= 7 && b[4] == b'-' {
        month(date.get(..4)?, date.get(5..7)?)
    } else {
        None
    }
}

fn month(year: &str, month: &str) -> Option<String> {
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let m: u32 = month.parse().ok()?;
    (digits(year) && digits(month) && (1..=12).contains(&m)).then(|| format!("{year}-{month}"))
}
