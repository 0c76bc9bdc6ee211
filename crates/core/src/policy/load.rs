//! Loading policy files: every problem in every file, with file:line:column,
//! in one run. Nothing is scanned or written when any policy is invalid.

use super::compile::{Compiler, LoadContext};
use super::model::PolicySpec;
use super::Policy;
use crate::diagnostics::{Diagnostic, Diagnostics, Position};
use crate::yaml::{self, index, key, Document};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Loaded, valid policies and the warnings loading produced.
#[derive(Debug, Clone, Default)]
pub struct PolicySet {
    pub policies: Vec<Policy>,
    pub files: Vec<PathBuf>,
    pub warnings: Vec<Diagnostic>,
}

impl PolicySet {
    /// Resource types named by any policy, sorted.
    pub fn resource_types(&self) -> Vec<String> {
        let mut types: Vec<String> = self
            .policies
            .iter()
            .flat_map(|p| p.resource_types.iter().cloned())
            .collect();
        types.sort();
        types.dedup();
        types
    }
}

/// Load every policy file named by `paths` (files, or directories meaning
/// every `*.yaml`/`*.yml` in them, sorted).
pub fn load_policies(paths: &[PathBuf], ctx: &LoadContext) -> Result<PolicySet, Diagnostics> {
    let mut diags = Vec::new();
    let files = expand_paths(paths, &mut diags);
    let mut set = PolicySet {
        files: files.clone(),
        ..Default::default()
    };
    let mut names: HashMap<String, (PathBuf, Option<Position>)> = HashMap::new();
    for file in &files {
        let doc = match yaml::read(file) {
            Ok(doc) => doc,
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        for (policy, name_pos) in load_file(file, &doc, ctx, &mut diags) {
            if let Some((first_file, first_pos)) = names.get(&policy.name) {
                let at = match first_pos {
                    Some(p) => format!("{}:{}:{}", first_file.display(), p.line, p.column),
                    None => first_file.display().to_string(),
                };
                diags.push(Diagnostic::error(
                    file,
                    name_pos,
                    format!(
                        "duplicate policy name `{}`; first defined at {at}",
                        policy.name
                    ),
                ));
                continue;
            }
            names.insert(policy.name.clone(), (file.clone(), name_pos));
            set.policies.push(policy);
        }
    }
    if diags.iter().all(|d| !d.is_error()) && set.policies.is_empty() && !files.is_empty() {
        diags.push(Diagnostic::error(
            &files[0],
            None,
            "no policies found: add a `policies:` list with at least one policy",
        ));
    }
    if diags.iter().any(Diagnostic::is_error) {
        diags.sort_by(|a, b| (a.level, &a.file, a.position).cmp(&(b.level, &b.file, b.position)));
        return Err(Diagnostics(diags));
    }
    set.warnings = diags;
    Ok(set)
}

fn expand_paths(paths: &[PathBuf], diags: &mut Vec<Diagnostic>) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let entries = match std::fs::read_dir(path) {
                Ok(e) => e,
                Err(e) => {
                    diags.push(Diagnostic::error(
                        path,
                        None,
                        format!("cannot read directory: {e}"),
                    ));
                    continue;
                }
            };
            let mut found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.is_file()
                        && matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
                })
                .collect();
            found.sort();
            if found.is_empty() {
                diags.push(Diagnostic::error(
                    path,
                    None,
                    "directory holds no *.yaml or *.yml policy files",
                ));
            }
            files.extend(found);
        } else if path.exists() {
            files.push(path.clone());
        } else {
            diags.push(Diagnostic::error(path, None, "no such file or directory"));
        }
    }
    files
}

/// The policies of one file that compiled, each with the position of its name.
fn load_file(
    file: &Path,
    doc: &Document,
    ctx: &LoadContext,
    diags: &mut Vec<Diagnostic>,
) -> Vec<(Policy, Option<Position>)> {
    let Some(items) = policy_items(file, doc, diags) else {
        return Vec::new();
    };
    let list = key(&[], "policies");
    let mut out = Vec::new();
    for i in 0..items {
        let path = index(&list, i);
        match doc.decode::<PolicySpec>(file, &path) {
            Ok(spec) => {
                if let Some(policy) = Compiler::new(file, doc, ctx, &path, diags).compile(spec) {
                    out.push((policy, doc.value_pos(&key(&path, "name"))));
                }
            }
            Err(errors) => diags.extend(errors.into_iter().map(|mut d| {
                d.message = format!("policy #{}: {}", i + 1, d.message);
                d
            })),
        }
    }
    out
}

/// Check the file's top level (`version: 1`, `policies:`, nothing else) and
/// return how many policies it lists (None: none can be read).
fn policy_items(file: &Path, doc: &Document, diags: &mut Vec<Diagnostic>) -> Option<usize> {
    let mut err = |pos, msg: String| diags.push(Diagnostic::error(file, pos, msg));
    let Some(top) = doc.value.as_mapping() else {
        err(
            doc.value_pos(&[]),
            "a policy file is a mapping with `version: 1` and `policies:`".into(),
        );
        return None;
    };
    for k in top.keys() {
        let k = yaml::scalar_text(k).unwrap_or_default();
        if k != "version" && k != "policies" {
            err(
                doc.key_pos(&key(&[], &k)),
                format!("unknown field `{k}`, expected `version` or `policies`"),
            );
        }
    }
    match top.get("version") {
        None => err(
            doc.value_pos(&[]),
            "missing field `version`: add `version: 1`".into(),
        ),
        Some(v) if v.as_u64() == Some(1) => {}
        Some(v) => err(
            doc.value_pos(&key(&[], "version")),
            format!(
                "unsupported version `{}`: this tagwarden reads policy language version 1",
                yaml::scalar_text(v).unwrap_or_else(|| "?".into())
            ),
        ),
    }
    match top.get("policies") {
        None => {
            err(
                doc.value_pos(&[]),
                "missing field `policies`: add a list of policies".into(),
            );
            None
        }
        Some(v) if v.is_null() => None,
        Some(v) => match v.as_sequence() {
            Some(items) => Some(items.len()),
            None => {
                err(
                    doc.value_pos(&key(&[], "policies")),
                    "`policies` must be a list".into(),
                );
                None
            }
        },
    }
}
