//! A folder given to `--cost`: walked once for billing files and
//! manifests; the manifests read (each bounded) and the files to read
//! chosen by `tagwarden_core::billing::manifest`.

use super::is_billing_file;
use crate::error::{Error, Result};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use tagwarden_core::billing::manifest::{
    self, Delivery, ManifestFile, Origin, PeriodChoice, MAX_MANIFEST_BYTES,
};

/// The files to read under `root`, sorted, and the version taken per
/// billing period. Without manifests: every billing file.
pub(super) fn chosen(root: &Path) -> Result<(Vec<PathBuf>, Vec<PeriodChoice>)> {
    let (files, manifests) = walk(root)?;
    if manifests.is_empty() {
        return Ok((files, Vec::new()));
    }
    let names: Vec<String> = files.iter().map(|f| relative(root, f)).collect();
    let manifests = manifests
        .iter()
        .map(|p| read_manifest(p, relative(root, p)))
        .collect::<Result<Vec<_>>>()?;
    let shown = root.join("").display().to_string();
    let selection = manifest::select(&Delivery {
        origin: Origin::Folder(&shown),
        files: &names,
        manifests: &manifests,
    })?;
    let by_name: HashMap<&str, &PathBuf> = names.iter().map(String::as_str).zip(&files).collect();
    let read = selection
        .read
        .iter()
        .filter_map(|n| by_name.get(n.as_str()).map(|p| p.to_path_buf()))
        .collect();
    Ok((read, selection.periods))
}

/// `path` under `root`, '/'-separated, as manifests name keys.
fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// A manifest over [`MAX_MANIFEST_BYTES`] is refused unread; one that grew
/// since is read no further than that.
fn read_manifest(path: &Path, relative: String) -> Result<ManifestFile> {
    let shown = path.display().to_string();
    let failed = |e| Error::io(format!("cannot read {shown}"), e);
    let meta = std::fs::metadata(path).map_err(failed)?;
    manifest::check_size(&shown, meta.len())?;
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|f| f.take(MAX_MANIFEST_BYTES + 1).read_to_end(&mut bytes))
        .map_err(failed)?;
    manifest::check_size(&shown, bytes.len() as u64)?;
    Ok(ManifestFile {
        path: relative,
        modified: meta.modified().ok().map(DateTime::<Utc>::from),
        // Not UTF-8: the JSON or its keys fail to match, naming the file.
        text: String::from_utf8_lossy(&bytes).into_owned(),
    })
}

/// Billing files and manifests under `root`, each list sorted.
fn walk(root: &Path) -> Result<(Vec<PathBuf>, Vec<PathBuf>)> {
    let (mut files, mut manifests) = (Vec::new(), Vec::new());
    let mut dirs = vec![root.to_path_buf()];
    // Folders by their real path: a symbolic link back up is read once,
    // never walked in circles.
    let mut seen = std::collections::HashSet::new();
    while let Some(dir) = dirs.pop() {
        let listing = |e| Error::io(format!("cannot list {}", dir.display()), e);
        let real = std::fs::canonicalize(&dir).map_err(listing)?;
        if !seen.insert(real) {
            continue;
        }
        for entry in std::fs::read_dir(&dir).map_err(listing)? {
            let p = entry.map_err(listing)?.path();
            let name = p.to_string_lossy();
            if p.is_dir() {
                dirs.push(p);
            } else if is_billing_file(&name) {
                files.push(p);
            } else if manifest::is_manifest(&name) {
                manifests.push(p);
            }
        }
    }
    files.sort();
    manifests.sort();
    Ok((files, manifests))
}
