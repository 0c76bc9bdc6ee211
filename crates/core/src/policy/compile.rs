//! Compiling one policy as written into the form evaluation uses, with a
//! diagnostic (file, line, column) for every problem found.

use super::map_format::{MapFormat, Scheme};
use super::model::{key_problem, MAX_VALUE_LEN};
use super::model::{PolicySpec, RemediateSpec, RequireSpec, ScopeSpec, WindowSpec};
use super::{eval, Overwrite, Policy, Remediate, Requirement, Scope, Severity, ValueMatch, Window};
use crate::diagnostics::{suggest, Diagnostic, Position};
use crate::resource::{full_discovery_types, is_account_id, is_full_discovery};
use crate::time::parse_time;
use crate::yaml::{index, key, Document, Seg};
use regex::Regex;
use std::collections::BTreeMap;
use std::path::Path;

/// What policies may refer to from the configuration.
#[derive(Debug, Clone, Default)]
pub struct LoadContext {
    /// Account names from the configuration, name to id.
    pub account_names: BTreeMap<String, String>,
    /// Regions the configuration scans (empty: not known).
    pub regions: Vec<String>,
    /// `inventory.resource_explorer` is configured: it finds never-tagged
    /// resources of every type it indexes.
    pub resource_explorer: bool,
    /// The MAP tag keys the configuration counts (`map.tag`); empty: not
    /// known.
    pub map_tags: Vec<Scheme>,
}

/// Checks one deserialized policy and turns it into its compiled form,
/// recording every problem it finds.
pub(super) struct Compiler<'a> {
    file: &'a Path,
    doc: &'a Document,
    ctx: &'a LoadContext,
    path: &'a [Seg],
    diags: &'a mut Vec<Diagnostic>,
    ok: bool,
}

impl<'a> Compiler<'a> {
    pub(super) fn new(
        file: &'a Path,
        doc: &'a Document,
        ctx: &'a LoadContext,
        path: &'a [Seg],
        diags: &'a mut Vec<Diagnostic>,
    ) -> Compiler<'a> {
        Compiler {
            file,
            doc,
            ctx,
            path,
            diags,
            ok: true,
        }
    }

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

    pub(super) fn compile(&mut self, spec: PolicySpec) -> Option<Policy> {
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
        // A type may name a path of kinds: `apigateway:restapis/stages`.
        let shape = Regex::new("^[a-z0-9-]+:[A-Za-z0-9-]+(/[A-Za-z0-9-]+)*$").expect("valid regex");
        let mut unseen: Vec<(usize, &str)> = Vec::new();
        for (i, t) in types.iter().enumerate() {
            if is_full_discovery(t) {
                continue;
            }
            let service = t.split(':').next().unwrap_or_default();
            // `ec2:instances` is a typo of a type tagwarden discovers itself;
            // `ec2:security-group` is a real type only the Tagging API sees.
            let same_service = full_discovery_types()
                .iter()
                .copied()
                .filter(|x| x.split(':').next() == Some(service));
            let typo_of = suggest(t, same_service);
            if !shape.is_match(t) || typo_of.is_some() {
                let hint = typo_of
                    .or_else(|| suggest(t, full_discovery_types().iter().copied()))
                    .map(|s| format!("did you mean `{s}`? "))
                    .unwrap_or_default();
                let msg = if shape.is_match(t) {
                    format!("unsupported resource type `{t}`; {hint}tagwarden supports {} for this service", full_discovery_types().iter().filter(|x| x.starts_with(&format!("{service}:"))).copied().collect::<Vec<_>>().join(", "))
                } else {
                    format!("unsupported resource type `{t}`; {hint}expected `service:type` as the Resource Groups Tagging API names it, e.g. `ec2:instance`")
                };
                self.item_error(&["resources"], i, msg);
            } else if !self.ctx.resource_explorer {
                unseen.push((i, t));
            }
        }
        self.warn_unseen(&unseen);
    }

    /// One warning for the types only the Tagging API would list (without
    /// Resource Explorer): their never-tagged resources stay invisible.
    fn warn_unseen(&mut self, unseen: &[(usize, &str)]) {
        let Some(&(first, _)) = unseen.first() else {
            return;
        };
        let names: Vec<String> = unseen.iter().map(|(_, t)| format!("`{t}`")).collect();
        let which = match names.as_slice() {
            [one] => format!("{one} is"),
            [rest @ .., last] => format!("{} and {last} are", rest.join(", ")),
            [] => unreachable!("at least one"),
        };
        let pos = self.doc.value_pos(&index(&self.at(&["resources"]), first));
        self.diags.push(Diagnostic::warning(
            self.file,
            pos,
            format!("{which} seen only through the Resource Groups Tagging API: resources of these types that have never been tagged cannot be found; configure `inventory.resource_explorer` to find them"),
        ));
    }

    fn compile_scope(&mut self, spec: &ScopeSpec) -> Scope {
        let accounts = spec.accounts.as_ref().map(|list| {
            list.iter()
                .enumerate()
                .filter_map(|(i, a)| {
                    if is_account_id(a) {
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
            MapFormat::for_key(f, k).or_else(|| {
                self.value_error(
                    &["require", k, "format"],
                    format!("unknown format `{f}`; expected `map` or `map-relaxed`"),
                );
                None
            })
        });
        if format.is_some() {
            self.uncounted_map_key(k);
        }
        Some(Requirement {
            key: k.to_string(),
            values: spec.values,
            pattern,
            format,
        })
    }

    /// A MAP key the configuration's `map.tag` does not count: what the
    /// policy requires earns nothing in `credits`.
    fn uncounted_map_key(&mut self, k: &str) {
        let counted = &self.ctx.map_tags;
        let Some(scheme) = Scheme::of_key(k) else {
            return;
        };
        if counted.is_empty() || counted.contains(&scheme) {
            return;
        }
        let keys: Vec<String> = counted.iter().map(|s| format!("`{}`", s.key())).collect();
        self.warning(
            &["require", k, "format"],
            format!(
                "`{k}` is not a MAP tag the configuration counts (map.tag: {}): `credits` and the money view count none of what this policy requires; require {} instead, or add `{{key: {k}, id: …}}` to map.tag",
                keys.join(", "),
                keys.join(" or ")
            ),
        );
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
            self.check_set(k, v, require, forbid);
        }
        let overwrite = match spec.overwrite.as_deref() {
            None | Some("never") => Overwrite::Never,
            Some("invalid") => Overwrite::Invalid,
            Some(o) => {
                self.value_error(&["remediate", "overwrite"], format!("unknown overwrite mode `{o}`; expected `never` (only add missing keys) or `invalid` (also replace failing values)"));
                Overwrite::Never
            }
        };
        Remediate {
            set: spec.set.clone().into_iter().collect(),
            overwrite,
            window: spec.window.as_ref().map(|w| self.compile_window(w)),
        }
    }

    /// One `set` entry: a key AWS accepts and the policy allows, and a value
    /// that passes the policy's own `require`.
    fn check_set(&mut self, k: &str, v: &str, require: &[Requirement], forbid: &[String]) {
        let at = ["remediate", "set", k];
        if k.starts_with("aws:") {
            self.key_error(
                &at,
                format!(
                    "`{k}`: keys starting with `aws:` are reserved by AWS and are never written"
                ),
            );
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
        if forbid.iter().any(|f| f == k) {
            self.key_error(
                &at,
                format!("`{k}` is forbidden by this policy and cannot be set"),
            );
        }
        if let Some(req) = require.iter().find(|r| r.key == k) {
            if let Err(hint) = eval::check_value(req, v) {
                self.value_error(
                    &at,
                    format!("`set` value `{v}` for `{k}` fails the policy's own `require`: {hint}"),
                );
            }
        }
    }

    fn compile_window(&mut self, w: &WindowSpec) -> Window {
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
    }
}
