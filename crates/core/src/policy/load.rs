//! Loading policy files: every problem in every file, with file:line:column,
//! in one run. Nothing is scanned or written when any policy is invalid.

use super::map_format::MapFormat;
use super::model::{PolicySpec, RemediateSpec, RequireSpec, ScopeSpec};
use super::{eval, Overwrite, Policy, Remediate, Requirement, Scope, Severity, ValueMatch, Window};
use crate::diagnostics::{suggest, Diagnostic, Diagnostics, Position};
use crate::resource::{is_full_discovery, FULL_DISCOVERY_TYPES};
use crate::yaml::{self, index, key, Document, Seg};
use chrono::{DateTime, NaiveDate, Utc};
use regex::Regex;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

pub const MAX_KEY_LEN: usize = 128;
pub const MAX_VALUE_LEN: usize = 256;

/// What policies may refer to from the configuration.
#[derive(Debug, Clone, Default)]
pub struct LoadContext {
    /// Account names from the configuration, name to id.
    pub account_names: BTreeMap<String, String>,
    /// Regions the configuration scans (empty: not known).
    pub regions: Vec<String>,
}

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
    let err = |d: &mut Vec<Diagnostic>, pos, msg: String| d.push(Diagnostic::error(file, pos, msg));
    let Some(top) = doc.value.as_mapping() else {
        err(
            diags,
            doc.value_pos(&[]),
            "a policy file is a mapping with `version: 1` and `policies:`".into(),
        );
        return Vec::new();
    };
    for k in top.keys() {
        let k = yaml::scalar_text(k).unwrap_or_default();
        if k != "version" && k != "policies" {
            err(
                diags,
                doc.key_pos(&key(&[], &k)),
                format!("unknown field `{k}`, expected `version` or `policies`"),
            );
        }
    }
    match top.get("version") {
        None => err(
            diags,
            doc.value_pos(&[]),
            "missing field `version`: add `version: 1`".into(),
        ),
        Some(v) if v.as_u64() == Some(1) => {}
        Some(v) => err(
            diags,
            doc.value_pos(&key(&[], "version")),
            format!(
                "unsupported version `{}`: this tagwarden reads policy language version 1",
                yaml::scalar_text(v).unwrap_or_else(|| "?".into())
            ),
        ),
    }
    let list = key(&[], "policies");
    let items = match top.get("policies") {
        None => {
            err(
                diags,
                doc.value_pos(&[]),
                "missing field `policies`: add a list of policies".into(),
            );
            return Vec::new();
        }
        Some(v) if v.is_null() => return Vec::new(),
        Some(v) => match v.as_sequence() {
            Some(items) => items.len(),
            None => {
                err(
                    diags,
                    doc.value_pos(&list),
                    "`policies` must be a list".into(),
                );
                return Vec::new();
            }
        },
    };
    let mut out = Vec::new();
    for i in 0..items {
        let path = index(&list, i);
        match doc.decode::<PolicySpec>(file, &path) {
            Ok(spec) => {
                let mut c = Compiler {
                    file,
                    doc,
                    ctx,
                    path: &path,
                    diags: &mut *diags,
                    ok: true,
                };
                if let Some(policy) = c.compile(spec) {
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

/// Checks one deserialized policy and turns it into its compiled form,
/// recording every problem it finds.
struct Compiler<'a> {
    file: &'a Path,
    doc: &'a Document,
    ctx: &'a LoadContext,
    path: &'a [Seg],
    diags: &'a mut Vec<Diagnostic>,
    ok: bool,
}

impl Compiler<'_> {
    fn at(&self, rel: &[&str]) -> Vec<Seg> {
        rel.iter().fold(self.path.to_vec(), |p, k| key(&p, k))
    }

    fn error_at(&mut self, pos: Option<Position>, msg: String) {
        self.ok = false;
        self.diags.push(Diagnostic::error(self.file, pos, msg));
    }

    /// An error pointing at the key of `rel`.
    fn key_error(&mut self, rel: &[&str], msg: String) {
        let pos = self.doc.key_pos(&self.at(rel));
        self.error_at(pos, msg);
    }

    /// An error pointing at the value of `rel`.
    fn value_error(&mut self, rel: &[&str], msg: String) {
        let pos = self.doc.value_pos(&self.at(rel));
        self.error_at(pos, msg);
    }

    /// An error pointing at item `i` of the list at `rel`.
    fn item_error(&mut self, rel: &[&str], i: usize, msg: String) {
        let pos = self.doc.value_pos(&index(&self.at(rel), i));
        self.error_at(pos, msg);
    }

    fn warning(&mut self, rel: &[&str], msg: String) {
        let pos = self.doc.value_pos(&self.at(rel));
        self.diags.push(Diagnostic::warning(self.file, pos, msg));
    }

    fn compile(&mut self, spec: PolicySpec) -> Option<Policy> {
        let name_re = Regex::new("^[a-z0-9][a-z0-9-]*$").expect("valid regex");
        if !name_re.is_match(&spec.name) {
            self.value_error(&["name"], format!("policy name `{}` must be lowercase letters, digits and `-`, starting with a letter or digit", spec.name));
        }
        let severity = match spec.severity.as_deref() {
            None => Severity::Medium,
            Some(s) => Severity::parse(s).unwrap_or_else(|| {
                let names = Severity::ALL.map(Severity::as_str);
                let hint = suggest(s, names)
                    .map(|n| format!("did you mean `{n}`? "))
                    .unwrap_or_default();
                self.value_error(
                    &["severity"],
                    format!(
                        "unknown severity `{s}`; {hint}expected one of {}",
                        names.join(", ")
                    ),
                );
                Severity::Medium
            }),
        };
        self.check_resource_types(&spec.resources);
        let scope = self.compile_scope(&spec.scope);
        let require: Vec<Requirement> = spec
            .require
            .iter()
            .filter_map(|(k, r)| self.compile_requirement(k, r.clone().unwrap_or_default()))
            .collect();
        for (i, k) in spec.forbid.iter().enumerate() {
            if let Some(msg) = key_problem(k) {
                self.item_error(&["forbid"], i, msg);
            }
            if spec.require.contains_key(k) {
                self.item_error(
                    &["forbid"],
                    i,
                    format!("`{k}` is both required and forbidden"),
                );
            }
        }
        let remediate = spec
            .remediate
            .as_ref()
            .map(|r| self.compile_remediate(r, &require, &spec.forbid));
        if !self.ok {
            return None;
        }
        Some(Policy {
            name: spec.name,
            description: spec.description,
            severity,
            resource_types: spec.resources,
            scope,
            require,
            forbid: spec.forbid,
            remediate,
            file: self.file.to_path_buf(),
        })
    }

    fn check_resource_types(&mut self, types: &[String]) {
        if types.is_empty() {
            self.key_error(
                &["resources"],
                "`resources` is empty or missing: list at least one resource type, e.g. `ec2:instance`".into(),
            );
        }
        let shape = Regex::new("^[a-z0-9-]+:[A-Za-z0-9-]+$").expect("valid regex");
        for (i, t) in types.iter().enumerate() {
            if is_full_discovery(t) {
                continue;
            }
            let service = t.split(':').next().unwrap_or_default();
            // `ec2:instances` is a typo of a type tagwarden discovers itself;
            // `ec2:security-group` is a real type only the Tagging API sees.
            let same_service = FULL_DISCOVERY_TYPES
                .iter()
                .copied()
                .filter(|x| x.split(':').next() == Some(service));
            let typo_of = suggest(t, same_service);
            if !shape.is_match(t) || typo_of.is_some() {
                let hint = typo_of
                    .or_else(|| suggest(t, FULL_DISCOVERY_TYPES.iter().copied()))
                    .map(|s| format!("did you mean `{s}`? "))
                    .unwrap_or_default();
                let msg = if shape.is_match(t) {
                    format!("unsupported resource type `{t}`; {hint}tagwarden supports {} for this service", FULL_DISCOVERY_TYPES.iter().filter(|x| x.starts_with(&format!("{service}:"))).copied().collect::<Vec<_>>().join(", "))
                } else {
                    format!("unsupported resource type `{t}`; {hint}expected `service:type` as the Resource Groups Tagging API names it, e.g. `ec2:instance`")
                };
                self.item_error(&["resources"], i, msg);
            } else {
                let pos = self.doc.value_pos(&index(&self.at(&["resources"]), i));
                self.diags.push(Diagnostic::warning(
                    self.file,
                    pos,
                    format!("`{t}` is seen only through the Resource Groups Tagging API: resources of this type that have never been tagged cannot be found"),
                ));
            }
        }
    }

    fn compile_scope(&mut self, spec: &ScopeSpec) -> Scope {
        let accounts = spec.accounts.as_ref().map(|list| {
            list.iter()
                .enumerate()
                .filter_map(|(i, a)| {
                    if a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()) {
                        return Some(a.clone());
                    }
                    if let Some(id) = self.ctx.account_names.get(a) {
                        return Some(id.clone());
                    }
                    let hint = suggest(a, self.ctx.account_names.keys().map(String::as_str))
                        .map(|s| format!("did you mean `{s}`? "))
                        .unwrap_or_default();
                    self.item_error(
                        &["scope", "accounts"],
                        i,
                        format!("unknown account `{a}` in scope; {hint}use a 12-digit account id or a name from the configuration's `accounts.list`"),
                    );
                    None
                })
                .collect()
        });
        let region_re = Regex::new(r"^[a-z]{2}(-[a-z]+)+-\d+$").expect("valid regex");
        if let Some(regions) = &spec.regions {
            for (i, r) in regions.iter().enumerate() {
                if !region_re.is_match(r) {
                    self.item_error(
                        &["scope", "regions"],
                        i,
                        format!("`{r}` is not an AWS region name, e.g. `us-east-1`"),
                    );
                } else if !self.ctx.regions.is_empty() && !self.ctx.regions.contains(r) {
                    self.warning(&["scope", "regions"], format!("region `{r}` is not among the configured regions, so nothing there is scanned"));
                }
            }
        }
        let tags = self.compile_tag_conditions(&spec.tags, "tags");
        let exclude_tags = self.compile_tag_conditions(&spec.exclude_tags, "exclude_tags");
        let created_after = spec.created_after.as_deref().and_then(|s| {
            parse_time(s).or_else(|| {
                self.value_error(&["scope", "created_after"], format!("`{s}` is not a date (2026-01-15) or an RFC 3339 time (2026-01-15T00:00:00Z)"));
                None
            })
        });
        Scope {
            accounts,
            regions: spec.regions.clone(),
            tags,
            exclude_tags,
            created_after,
        }
    }

    fn compile_tag_conditions(
        &mut self,
        spec: &BTreeMap<String, Vec<String>>,
        field: &str,
    ) -> Vec<(String, ValueMatch)> {
        spec.iter()
            .map(|(k, values)| {
                if let Some(msg) = key_problem(k) {
                    self.key_error(&["scope", field, k], msg);
                }
                let m = if values.iter().any(|v| v == "*") {
                    ValueMatch::Any
                } else {
                    ValueMatch::OneOf(values.clone())
                };
                (k.clone(), m)
            })
            .collect()
    }

    fn compile_requirement(&mut self, k: &str, spec: RequireSpec) -> Option<Requirement> {
        if let Some(msg) = key_problem(k) {
            self.key_error(&["require", k], msg);
        }
        if let Some(values) = &spec.values {
            if values.is_empty() {
                self.value_error(&["require", k, "values"], format!("`values` of `{k}` is empty: list the allowed values, or remove `values` to allow any"));
            }
            for (i, v) in values.iter().enumerate() {
                if v.chars().count() > MAX_VALUE_LEN {
                    self.item_error(
                        &["require", k, "values"],
                        i,
                        format!(
                            "value is {} characters long; AWS allows at most {MAX_VALUE_LEN}",
                            v.chars().count()
                        ),
                    );
                }
            }
        }
        let pattern = spec
            .pattern
            .as_ref()
            .and_then(|p| match Regex::new(&format!("^(?:{p})$")) {
                Ok(re) => Some((p.clone(), re)),
                Err(e) => {
                    let detail = e
                        .to_string()
                        .lines()
                        .last()
                        .unwrap_or_default()
                        .trim()
                        .to_string();
                    self.value_error(
                        &["require", k, "pattern"],
                        format!("invalid regex `{p}` for `{k}`: {detail}"),
                    );
                    None
                }
            });
        let format = spec.format.as_deref().and_then(|f| {
            MapFormat::parse(f).or_else(|| {
                self.value_error(
                    &["require", k, "format"],
                    format!("unknown format `{f}`; expected `map` or `map-relaxed`"),
                );
                None
            })
        });
        Some(Requirement {
            key: k.to_string(),
            values: spec.values,
            pattern,
            format,
        })
    }

    fn compile_remediate(
        &mut self,
        spec: &RemediateSpec,
        require: &[Requirement],
        forbid: &[String],
    ) -> Remediate {
        if spec.set.is_empty() {
            self.warning(
                &["remediate"],
                "`remediate` has no `set`: nothing will be written".into(),
            );
        }
        for (k, v) in &spec.set {
            let at = ["remediate", "set", k.as_str()];
            if k.starts_with("aws:") {
                self.key_error(&at, format!("`{k}`: keys starting with `aws:` are reserved by AWS and are never written"));
            } else if let Some(msg) = key_problem(k) {
                self.key_error(&at, msg);
            }
            if v.chars().count() > MAX_VALUE_LEN {
                self.value_error(
                    &at,
                    format!(
                        "value is {} characters long; AWS allows at most {MAX_VALUE_LEN}",
                        v.chars().count()
                    ),
                );
            }
            if forbid.contains(k) {
                self.key_error(
                    &at,
                    format!("`{k}` is forbidden by this policy and cannot be set"),
                );
            }
            if let Some(req) = require.iter().find(|r| r.key == *k) {
                if let Err(hint) = eval::check_value(req, v) {
                    self.value_error(
                        &at,
                        format!(
                            "`set` value `{v}` for `{k}` fails the policy's own `require`: {hint}"
                        ),
                    );
                }
            }
        }
        let overwrite = match spec.overwrite.as_deref() {
            None | Some("never") => Overwrite::Never,
            Some("invalid") => Overwrite::Invalid,
            Some(o) => {
                self.value_error(&["remediate", "overwrite"], format!("unknown overwrite mode `{o}`; expected `never` (only add missing keys) or `invalid` (also replace failing values)"));
                Overwrite::Never
            }
        };
        let window = spec.window.as_ref().map(|w| {
            let mut parse = |field: &str, s: &Option<String>| {
                s.as_deref().and_then(|s| {
                    parse_time(s).or_else(|| {
                        self.value_error(
                            &["remediate", "window", field],
                            format!("`{s}` is not an RFC 3339 time, e.g. 2026-12-01T00:00:00Z"),
                        );
                        None
                    })
                })
            };
            let window = Window {
                from: parse("from", &w.from),
                until: parse("until", &w.until),
            };
            if let (Some(from), Some(until)) = (window.from, window.until) {
                if from > until {
                    self.value_error(
                        &["remediate", "window", "from"],
                        format!(
                            "window opens ({}) after it closes ({})",
                            from.to_rfc3339(),
                            until.to_rfc3339()
                        ),
                    );
                }
            }
            window
        });
        Remediate {
            set: spec.set.clone().into_iter().collect(),
            overwrite,
            window,
        }
    }
}

/// A tag key AWS would refuse.
fn key_problem(k: &str) -> Option<String> {
    let n = k.chars().count();
    if n == 0 {
        Some("tag keys cannot be empty".into())
    } else if n > MAX_KEY_LEN {
        Some(format!(
            "tag key is {n} characters long; AWS allows at most {MAX_KEY_LEN}"
        ))
    } else {
        None
    }
}

/// A date (midnight UTC) or an RFC 3339 time.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}
