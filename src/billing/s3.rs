//! `--cost s3://bucket/prefix`: the prefix listed once; its manifests
//! fetched first (small, each bounded); then only the data files to read
//! copied to a temporary folder, one at a time, under `limits`.

use super::{is_billing_file, log_periods};
use crate::aws::{all_pages, Aws, AwsError, Quota, Zone};
use crate::error::{Error, Result};
use chrono::{DateTime, Utc};
use std::collections::HashSet;
use std::fs::File;
use std::io::Write;
use tagwarden_core::billing::manifest::{self, Delivery, ManifestFile, Origin, PeriodChoice};
use tagwarden_core::config::BillingLimits;

/// An object of the listing.
#[derive(PartialEq)]
struct Listed {
    key: String,
    size: u64,
    modified: Option<DateTime<Utc>>,
}

/// Where the objects are, for requests and messages.
struct Place<'a> {
    aws: &'a Aws,
    s3: aws_sdk_s3::Client,
    bucket: &'a str,
    /// `bucket/prefix`, as --cost names it.
    location: &'a str,
}

impl<'a> Place<'a> {
    /// `bucket/prefix` as a place and its prefix.
    fn of(aws: &'a Aws, location: &'a str) -> (Place<'a>, &'a str) {
        let (bucket, prefix) = location.split_once('/').unwrap_or((location, ""));
        let place = Place {
            aws,
            s3: aws.s3(),
            bucket,
            location,
        };
        (place, prefix)
    }

    fn failed(&self, e: AwsError) -> Error {
        Error::Aws {
            what: format!("cannot read the billing files in s3://{} (the credentials need s3:ListBucket and s3:GetObject there)", self.location),
            source: e,
        }
    }
}

/// Copy the billing files to read under `bucket/prefix` to a new temporary
/// folder. Limits count what is fetched: manifests, then the data files
/// chosen (in files, from the listing; in bytes, from the listing and
/// again as they are copied).
pub(super) async fn download(
    aws: &Aws,
    location: &str,
    limits: BillingLimits,
) -> Result<(tempfile::TempDir, Vec<PeriodChoice>)> {
    let (place, prefix) = Place::of(aws, location);
    let chosen = choose(&place, prefix, limits).await?;
    let count = chosen.count();
    log_periods(&chosen.periods);
    let dir = tempfile::tempdir().map_err(|e| Error::io("cannot create a temporary folder", e))?;
    let mut copied = chosen.manifest_bytes;
    for (i, o) in chosen.data.iter().enumerate() {
        // Keep the name's ending (it tells the format); number for uniqueness.
        let name = o.key.rsplit('/').next().unwrap_or(&o.key);
        let local = dir.path().join(format!("{i:05}-{name}"));
        let mut file = File::create(&local)
            .map_err(|e| Error::io(format!("cannot write {}", local.display()), e))?;
        fetch(&place, &o.key, |chunk| {
            copied += chunk.len() as u64;
            // An object may have grown since it was listed.
            over_limits(location, count, copied, limits)?;
            file.write_all(chunk)
                .map_err(|e| Error::io(format!("cannot write {}", local.display()), e))
        })
        .await?;
    }
    tracing::info!(
        files = chosen.data.len(),
        "billing files copied from s3://{location}"
    );
    Ok((dir, chosen.periods))
}

/// The billing files `download` would copy from `location`, and the
/// version taken per period: the listing and the manifests only.
pub(super) async fn survey(
    aws: &Aws,
    location: &str,
    limits: BillingLimits,
) -> Result<(usize, Vec<PeriodChoice>)> {
    let (place, prefix) = Place::of(aws, location);
    let chosen = choose(&place, prefix, limits).await?;
    Ok((chosen.data.len(), chosen.periods))
}

/// What a delivery's manifests choose under `prefix`.
struct Chosen {
    manifests: usize,
    manifest_bytes: u64,
    /// The data files to read.
    data: Vec<Listed>,
    periods: Vec<PeriodChoice>,
}

impl Chosen {
    fn count(&self) -> usize {
        self.manifests + self.data.len()
    }
}

/// List `prefix`, fetch its manifests and choose the data files to read,
/// within `limits` (as listed).
async fn choose(place: &Place<'_>, prefix: &str, limits: BillingLimits) -> Result<Chosen> {
    let location = place.location;
    let (manifests, data) = list(place, prefix).await?;
    let manifest_bytes: u64 = manifests.iter().map(|m| m.size).sum();
    over_limits(location, manifests.len(), manifest_bytes, limits)?;
    let mut texts = Vec::with_capacity(manifests.len());
    for m in &manifests {
        texts.push(fetch_manifest(place, m).await?);
    }
    let keys: Vec<String> = data.iter().map(|o| o.key.clone()).collect();
    let selection = manifest::select(&Delivery {
        origin: Origin::Bucket(place.bucket),
        files: &keys,
        manifests: &texts,
    })?;
    let wanted: HashSet<&str> = selection.read.iter().map(String::as_str).collect();
    let data: Vec<Listed> = data
        .into_iter()
        .filter(|o| wanted.contains(o.key.as_str()))
        .collect();
    let chosen = Chosen {
        manifests: manifests.len(),
        manifest_bytes,
        data,
        periods: selection.periods,
    };
    let listed = manifest_bytes + chosen.data.iter().map(|o| o.size).sum::<u64>();
    over_limits(location, chosen.count(), listed, limits)?;
    Ok(chosen)
}

/// The manifests and the billing data files under `prefix`.
async fn list(place: &Place<'_>, prefix: &str) -> Result<(Vec<Listed>, Vec<Listed>)> {
    let (aws, s3, bucket) = (place.aws, &place.s3, place.bucket);
    let objects = all_pages(|token| async move {
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
        let objects = page
            .contents()
            .iter()
            .filter_map(|o| {
                let key = o.key()?;
                (is_billing_file(key) || manifest::is_manifest(key)).then(|| Listed {
                    key: key.to_string(),
                    size: u64::try_from(o.size().unwrap_or(0)).unwrap_or(0),
                    modified: o
                        .last_modified()
                        .and_then(|t| DateTime::from_timestamp(t.secs(), t.subsec_nanos())),
                })
            })
            .collect();
        Ok((objects, page.next_continuation_token().map(str::to_string)))
    })
    .await
    .map_err(|e| place.failed(e))?;
    Ok(objects
        .into_iter()
        .partition(|o: &Listed| manifest::is_manifest(&o.key)))
}

/// A manifest's text: refused unread over `manifest::MAX_MANIFEST_BYTES`
/// as listed, and read no further than that.
async fn fetch_manifest(place: &Place<'_>, m: &Listed) -> Result<ManifestFile> {
    let shown = format!("s3://{}/{}", place.bucket, m.key);
    manifest::check_size(&shown, m.size)?;
    let mut bytes = Vec::new();
    fetch(place, &m.key, |chunk| {
        bytes.extend_from_slice(chunk);
        Ok(manifest::check_size(&shown, bytes.len() as u64)?)
    })
    .await?;
    Ok(ManifestFile {
        path: m.key.clone(),
        modified: m.modified,
        // Not UTF-8: the JSON or its keys fail to match, naming the object.
        text: String::from_utf8_lossy(&bytes).into_owned(),
    })
}

/// Stream one object into `sink`, chunk by chunk.
async fn fetch(
    place: &Place<'_>,
    key: &str,
    mut sink: impl FnMut(&[u8]) -> Result<()>,
) -> Result<()> {
    let object = place
        .aws
        .api
        .call(Quota::Caller(Zone::Global), "s3:GetObject", || {
            place.s3.get_object().bucket(place.bucket).key(key).send()
        })
        .await
        .map_err(|e| place.failed(e))?;
    let mut body = object.body;
    while let Some(chunk) = body.try_next().await.map_err(|e| Error::Aws {
        what: format!("cannot read s3://{}/{key}", place.bucket),
        source: AwsError {
            operation: "s3:GetObject",
            code: None,
            message: e.to_string(),
        },
    })? {
        sink(&chunk)?;
    }
    Ok(())
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
