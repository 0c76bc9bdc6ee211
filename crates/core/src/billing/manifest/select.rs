//! Per billing period, the latest version; the rest of the period skipped;
//! everything no manifest speaks for read as given.

use super::keys::{self, Index};
use super::parse::{parse, Manifest};
use super::{ChosenBy, Delivery, Format, ManifestError, Origin, PeriodChoice, Selection};
use std::collections::{BTreeMap, BTreeSet};

/// What to read of a delivery. Every manifest is parsed (one that cannot
/// be is an error naming it); manifests are grouped by billing period and
/// the folder holding its data; per group the latest version's files are
/// read, and the group's other files (under its folder, or named by its
/// other manifests) are not. Files of no group are read as given.
pub fn select(d: &Delivery<'_>) -> Result<Selection, ManifestError> {
    let manifests = d
        .manifests
        .iter()
        .map(|m| parse(m, d.origin))
        .collect::<Result<Vec<_>, _>>()?;
    if let Origin::Bucket(bucket) = d.origin {
        manifests.iter().try_for_each(|m| same_bucket(m, bucket))?;
    }
    let mut groups: BTreeMap<(String, Format, String), Vec<&Manifest>> = BTreeMap::new();
    for m in &manifests {
        // Without a period folder, a manifest speaks only for its own files.
        let place = m.folder.clone().unwrap_or_else(|| format!("\0{}", m.path));
        groups
            .entry((m.period.clone(), m.format, place))
            .or_default()
            .push(m);
    }
    let index = Index::new(d.files, matches!(d.origin, Origin::Bucket(_)));
    let (mut read, mut skipped) = (BTreeSet::new(), BTreeSet::new());
    let mut periods = Vec::new();
    for group in groups.values() {
        let (choice, taken, left) = one_period(group, d.files, &index)?;
        read.extend(taken);
        skipped.extend(left);
        periods.push(choice);
    }
    let mut files: Vec<String> = d
        .files
        .iter()
        .filter(|f| read.contains(f.as_str()) || !skipped.contains(f.as_str()))
        .cloned()
        .collect();
    files.sort();
    files.dedup();
    Ok(Selection {
        read: files,
        periods,
    })
}

fn same_bucket(m: &Manifest, bucket: &str) -> Result<(), ManifestError> {
    match m
        .named
        .iter()
        .find(|n| n.bucket.as_deref().is_some_and(|b| b != bucket))
    {
        Some(n) => Err(ManifestError::OtherBucket {
            manifest: m.shown.clone(),
            key: n.key.clone(),
            named: n.bucket.clone().unwrap_or_default(),
            bucket: bucket.to_string(),
        }),
        None => Ok(()),
    }
}

/// The files read and the files skipped are data files of the delivery.
type Chosen<'a> = (PeriodChoice, BTreeSet<&'a str>, Vec<&'a str>);

/// One billing period: its own manifest if there is one (every refresh
/// overwrites it, so it names the current version), else the manifest
/// modified last (ties: the last path, as create-new folders start with
/// their time).
fn one_period<'a>(
    group: &[&Manifest],
    files: &'a [String],
    index: &Index<'a>,
) -> Result<Chosen<'a>, ManifestError> {
    let own: Vec<&Manifest> = group.iter().copied().filter(|m| m.own).collect();
    let (pool, chosen_by) = match own.is_empty() {
        true => (group.to_vec(), ChosenBy::LatestModified),
        false => (own, ChosenBy::PeriodManifest),
    };
    let best = pool
        .into_iter()
        .max_by(|a, b| (a.modified, &a.path).cmp(&(b.modified, &b.path)))
        .expect("a group has a manifest");
    let read = best
        .named
        .iter()
        .map(|n| {
            index.find(&n.key).ok_or_else(|| ManifestError::Missing {
                manifest: best.shown.clone(),
                period: best.period.clone(),
                key: n.key.clone(),
            })
        })
        .collect::<Result<BTreeSet<&str>, _>>()?;
    let mut scope: BTreeSet<&str> = match &best.folder {
        Some(folder) => files
            .iter()
            .map(String::as_str)
            .filter(|f| keys::under(f, folder))
            .collect(),
        None => BTreeSet::new(),
    };
    // Older versions' files may be gone (lifecycle rules): only those
    // still there are skipped.
    scope.extend(
        group
            .iter()
            .flat_map(|m| &m.named)
            .filter_map(|n| index.find(&n.key)),
    );
    let skipped: Vec<&str> = scope.difference(&read).copied().collect();
    let choice = PeriodChoice {
        period: best.period.clone(),
        format: best.format,
        version: best.version.clone(),
        manifest: best.shown.clone(),
        chosen_by,
        files: read.len(),
        skipped_versions: other_versions(group, best, &skipped),
        skipped_files: skipped.len(),
    };
    Ok((choice, read, skipped))
}

/// The versions not read: those other manifests name, and the version
/// folders skipped files lie in (a create-new execution's folder is named
/// `<time>-<executionId>`: named by its id when a manifest gives it).
fn other_versions(group: &[&Manifest], best: &Manifest, skipped: &[&str]) -> Vec<String> {
    let known: BTreeSet<&str> = group.iter().map(|m| m.version.as_str()).collect();
    let name = |folder: &str| {
        known
            .iter()
            .find(|v| folder == **v || folder.ends_with(&format!("-{v}")))
            .map_or_else(|| folder.to_string(), |v| v.to_string())
    };
    let mut out: BTreeSet<String> = known.iter().map(|v| v.to_string()).collect();
    if let Some(folder) = &best.folder {
        out.extend(
            skipped
                .iter()
                .filter_map(|f| keys::version_folder(f, folder))
                .map(name),
        );
    }
    out.remove(&best.version);
    out.into_iter().collect()
}
