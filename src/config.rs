//! The first step: find and load `tagwarden.yaml` and the policies it names
//! (every problem reported at once, file:line:column), and fingerprint the
//! files for plans.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};
use tagwarden_core::config::Config;
use tagwarden_core::policy::{load_policies, PolicySet};

/// `./tagwarden.yaml`, then `/etc/tagwarden/tagwarden.yaml`.
pub fn find() -> Option<PathBuf> {
    [
        Path::new("tagwarden.yaml"),
        Path::new("/etc/tagwarden/tagwarden.yaml"),
    ]
    .into_iter()
    .find(|p| p.is_file())
    .map(Path::to_path_buf)
}

/// The configuration named by `-c`, or found, or the defaults.
pub fn load(path: Option<&Path>) -> Result<Config> {
    match path {
        Some(p) if !p.exists() => Err(Error::usage(format!(
            "configuration file {} not found",
            p.display()
        ))),
        Some(p) => Ok(Config::load(p)?),
        None => match find() {
            Some(p) => Ok(Config::load(&p)?),
            None => Ok(Config::default()),
        },
    }
}

/// Where the configuration comes from, so that a reload reads the same files.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// `-c`: None finds it as every command does.
    pub config: Option<PathBuf>,
    /// `--policy`: instead of the configuration's.
    pub policies: Vec<PathBuf>,
}

/// A configuration and its policies, validated together, and their
/// fingerprint (what plans and journaled runs record). What every command
/// and the daemon load first; nothing has touched AWS yet.
pub struct Loaded {
    pub config: Config,
    pub policies: PolicySet,
    pub fingerprint: String,
}

impl Loaded {
    /// Read and validate everything; any problem is an error and nothing
    /// of the files is used. The policies' warnings are the caller's to
    /// show (`policies.warnings`).
    pub fn load(sources: &Sources) -> Result<Loaded> {
        let config = load(sources.config.as_deref())?;
        let policies = policies(&config, &sources.policies)?;
        let fingerprint = fingerprint(&config, &policies)?;
        Ok(Loaded {
            config,
            policies,
            fingerprint,
        })
    }
}

/// The policies: `--policy` paths, else the configuration's.
pub fn policies(config: &Config, override_paths: &[PathBuf]) -> Result<PolicySet> {
    let paths = if override_paths.is_empty() {
        config.policies.clone()
    } else {
        override_paths.to_vec()
    };
    if paths.is_empty() {
        return Err(Error::usage(
            "no policies: list them under `policies:` in tagwarden.yaml or pass --policy PATH",
        ));
    }
    Ok(load_policies(&paths, &config.load_context())?)
}

/// The configuration file and every policy file, as plans record them.
pub fn fingerprint(config: &Config, policies: &PolicySet) -> Result<String> {
    let mut files: Vec<&Path> = policies.files.iter().map(PathBuf::as_path).collect();
    files.extend(config.file.as_deref());
    let contents = files
        .iter()
        .map(|f| std::fs::read(f).map_err(|e| Error::io(format!("cannot read {}", f.display()), e)))
        .collect::<Result<Vec<_>>>()?;
    Ok(tagwarden_core::plan::fingerprint(
        contents.iter().map(Vec::as_slice),
    ))
}
