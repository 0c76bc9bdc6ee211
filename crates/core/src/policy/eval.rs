//! Evaluation: pure, no I/O, no clock. For each resource and each policy whose
//! scope holds, every `require` and `forbid` entry is compliant or a finding.

use super::map_format::{Scheme, LEGACY_KEYS};
use super::{Policy, Requirement, Scope};
use crate::resource::{judged_by_launch, Resource, MAP_TAG, MGN_LAUNCH_TEMPLATE};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FindingKind {
    /// The key is absent (a key differing only in case or white space does not count).
    Missing,
    /// The key is present and its value fails `values`, `pattern` or `format`.
    Invalid,
    /// A `forbid` key is present.
    Forbidden,
    /// The resource's tags could not be read.
    Unknown,
    /// The resource carries the key, but what it launches (an Auto Scaling
    /// group's instances, an ECS service's tasks) will not.
    Source,
}

impl FindingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Missing => "missing",
            FindingKind::Invalid => "invalid",
            FindingKind::Forbidden => "forbidden",
            FindingKind::Unknown => "unknown",
            FindingKind::Source => "source",
        }
    }
}

/// One finding; borrows the resource and policy so that evaluating a compliant
/// resource allocates nothing.
#[derive(Debug, Clone)]
pub struct Finding<'a> {
    pub resource: &'a Resource,
    pub policy: &'a Policy,
    pub tag: &'a str,
    pub kind: FindingKind,
    pub value: Option<&'a str>,
    pub hint: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Every resource inventoried.
    pub resources: usize,
    /// Resources in scope of at least one policy.
    pub in_scope: usize,
    /// In scope, and no finding under any policy.
    pub compliant: usize,
    /// In scope, with at least one missing, invalid or forbidden tag.
    pub non_compliant: usize,
    /// In scope, but the tags could not be read.
    pub unknown: usize,
}

/// One policy's verdicts in one account.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PolicyCounts {
    pub in_scope: usize,
    pub compliant: usize,
    pub non_compliant: usize,
    pub unknown: usize,
}

impl PolicyCounts {
    fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::OutOfScope => return,
            Outcome::Compliant => self.compliant += 1,
            Outcome::NonCompliant => self.non_compliant += 1,
            Outcome::Unknown => self.unknown += 1,
        }
        self.in_scope += 1;
    }
}

#[derive(Debug, Clone, Default)]
pub struct Evaluation<'a> {
    pub findings: Vec<Finding<'a>>,
    pub summary: Summary,
    /// Per (policy, account): that policy's verdicts on the account's
    /// resources in its scope.
    pub by_policy: BTreeMap<(&'a str, &'a str), PolicyCounts>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    OutOfScope,
    Compliant,
    NonCompliant,
    Unknown,
}

/// Evaluate every resource against every policy.
pub fn evaluate<'a>(resources: &'a [Resource], policies: &'a [Policy]) -> Evaluation<'a> {
    let mut eval = Evaluation::default();
    eval.summary.resources = resources.len();
    // One lookup per resource (not per policy) keeps evaluation fast.
    let mut per_account: HashMap<&'a str, Vec<PolicyCounts>> = HashMap::new();
    for resource in resources {
        let counts = per_account
            .entry(resource.account.as_str())
            .or_insert_with(|| vec![PolicyCounts::default(); policies.len()]);
        let mut worst = Outcome::OutOfScope;
        for (policy, count) in policies.iter().zip(counts.iter_mut()) {
            let outcome = evaluate_resource(policy, resource, &mut eval.findings);
            count.add(outcome);
            worst = match (worst, outcome) {
                (Outcome::Unknown, _) | (_, Outcome::Unknown) => Outcome::Unknown,
                (Outcome::NonCompliant, _) | (_, Outcome::NonCompliant) => Outcome::NonCompliant,
                (Outcome::Compliant, _) | (_, Outcome::Compliant) => Outcome::Compliant,
                _ => Outcome::OutOfScope,
            };
        }
        let s = &mut eval.summary;
        match worst {
            Outcome::OutOfScope => {}
            Outcome::Compliant => s.compliant += 1,
            Outcome::NonCompliant => s.non_compliant += 1,
            Outcome::Unknown => s.unknown += 1,
        }
        if worst != Outcome::OutOfScope {
            s.in_scope += 1;
        }
    }
    for (account, counts) in per_account {
        for (policy, count) in policies.iter().zip(counts) {
            if count.in_scope > 0 {
                eval.by_policy
                    .insert((policy.name.as_str(), account), count);
            }
        }
    }
    eval
}

/// Evaluate one resource against one policy, appending its findings to `out`.
pub fn evaluate_resource<'a>(
    policy: &'a Policy,
    resource: &'a Resource,
    out: &mut Vec<Finding<'a>>,
) -> Outcome {
    if !in_scope(policy, resource) {
        return Outcome::OutOfScope;
    }
    let finding = |tag: &'a str, kind, value, hint| Finding {
        resource,
        policy,
        tag,
        kind,
        value,
        hint,
    };
    if let Some(reason) = &resource.tags_unreadable {
        let keys = policy
            .require
            .iter()
            .map(|r| r.key.as_str())
            .chain(policy.forbid.iter().map(String::as_str));
        out.extend(keys.map(|k| {
            finding(
                k,
                FindingKind::Unknown,
                None,
                Some(format!("tags could not be read: {reason}")),
            )
        }));
        return Outcome::Unknown;
    }
    if judged_by_launch(&resource.resource_type) {
        return launch_verdict(policy, resource, out);
    }
    let before = out.len();
    for req in &policy.require {
        match resource.tags.get(&req.key) {
            None => out.push(finding(
                &req.key,
                FindingKind::Missing,
                None,
                with_map_note(req, resource, missing_hint(req, resource)),
            )),
            Some(value) => {
                if let Err(hint) = check_value(req, value) {
                    out.push(finding(
                        &req.key,
                        FindingKind::Invalid,
                        Some(value),
                        with_map_note(req, resource, Some(hint)),
                    ));
                }
            }
        }
    }
    for key in &policy.forbid {
        if let Some(value) = resource.tags.get(key) {
            out.push(finding(key, FindingKind::Forbidden, Some(value), None));
        }
    }
    out.extend(source_findings(policy, resource));
    if out.len() == before {
        Outcome::Compliant
    } else {
        Outcome::NonCompliant
    }
}

/// Whether the policy applies to the resource. When the tags are unreadable,
/// tag conditions cannot be decided and the resource stays in scope (its
/// findings are then `unknown`, never silently dropped).
pub fn in_scope(policy: &Policy, resource: &Resource) -> bool {
    if !policy.resource_types.contains(&resource.resource_type) {
        return false;
    }
    let Scope {
        accounts,
        regions,
        tags,
        exclude_tags,
        created_after,
    } = &policy.scope;
    if accounts
        .as_ref()
        .is_some_and(|a| !a.contains(&resource.account))
        || regions
            .as_ref()
            .is_some_and(|r| !r.contains(&resource.region))
    {
        return false;
    }
    if let (Some(after), Some(created)) = (created_after, resource.created_at) {
        if created < *after {
            return false;
        }
    }
    if resource.tags_unreadable.is_some() {
        return true;
    }
    let carries = |(key, want): &(String, super::ValueMatch)| {
        resource.tags.get(key).is_some_and(|v| want.matches(v))
    };
    tags.iter().all(carries) && !exclude_tags.iter().any(carries)
}

/// `Ok` when `value` passes every check of the requirement, else a hint.
pub fn check_value(req: &Requirement, value: &str) -> Result<(), String> {
    if let Some(allowed) = &req.values {
        if !allowed.iter().any(|a| a == value) {
            return Err(values_hint(allowed, value));
        }
    }
    if let Some((source, re)) = &req.pattern {
        if !re.is_match(value) {
            return Err(format!("value does not match the pattern `{source}`"));
        }
    }
    if let Some(format) = req.format {
        format.check(value)?;
    }
    Ok(())
}

fn values_hint(allowed: &[String], value: &str) -> String {
    if let Some(a) = allowed.iter().find(|a| a.as_str() == value.trim()) {
        return format!("`{value}` has surrounding white space; the allowed value is `{a}`");
    }
    if let Some(a) = allowed.iter().find(|a| a.eq_ignore_ascii_case(value)) {
        return format!(
            "`{value}` differs in case from the allowed value `{a}`; values are case-sensitive"
        );
    }
    const SHOWN: usize = 5;
    let mut list: Vec<String> = allowed
        .iter()
        .take(SHOWN)
        .map(|a| format!("`{a}`"))
        .collect();
    if allowed.len() > SHOWN {
        list.push(format!("… ({} in all)", allowed.len()));
    }
    format!("allowed values: {}", list.join(", "))
}

/// What a resource launches (an Auto Scaling group's instances, an ECS
/// service's tasks) not carrying a valid key the resource itself carries.
fn source_findings<'a>(policy: &'a Policy, resource: &'a Resource) -> Vec<Finding<'a>> {
    let Some(launches) = &resource.launches else {
        return Vec::new();
    };
    policy
        .require
        .iter()
        .filter_map(|req| {
            let value = resource.tags.get(&req.key)?;
            let passed_on = launches.get(&req.key) == Some(value);
            (check_value(req, value).is_ok() && !passed_on).then(|| Finding {
                resource,
                policy,
                tag: &req.key,
                kind: FindingKind::Source,
                value: Some(value),
                hint: Some(source_hint(resource, &req.key, value)),
            })
        })
        .collect()
}

/// An MGN source server or launch configuration template: the policy's
/// `require` and `forbid` judge the tags its launch would write, exactly
/// as they judge a resource's own; each failure is a `source` finding.
fn launch_verdict<'a>(
    policy: &'a Policy,
    resource: &'a Resource,
    out: &mut Vec<Finding<'a>>,
) -> Outcome {
    let launches = resource.judged();
    let before = out.len();
    let mut push = |tag: &'a str, value: Option<&'a String>, hint: String| {
        out.push(Finding {
            resource,
            policy,
            tag,
            kind: FindingKind::Source,
            value: value.map(String::as_str),
            hint: Some(hint),
        })
    };
    for req in &policy.require {
        match launches.get(&req.key) {
            None => push(
                &req.key,
                None,
                launch_missing_hint(policy, resource, &req.key),
            ),
            Some(value) => {
                if let Err(why) = check_value(req, value) {
                    push(&req.key, Some(value), launch_refused_hint(value, &why));
                }
            }
        }
    }
    for key in &policy.forbid {
        if let Some(value) = launches.get(key) {
            push(
                key,
                Some(value),
                format!("its launch would write the forbidden key `{key}`"),
            );
        }
    }
    if out.len() == before {
        Outcome::Compliant
    } else {
        Outcome::NonCompliant
    }
}

/// Why a launch would not write `key`, and the fix.
fn launch_missing_hint(policy: &Policy, resource: &Resource, key: &str) -> String {
    let id = resource.arn.id();
    if key != MAP_TAG {
        return format!("its launch would not write `{key}`: add it to the tag specifications (instance and volume) of the EC2 launch template MGN launches with, or set it on the server with `copyTags` on");
    }
    let value = policy
        .remediate
        .as_ref()
        .and_then(|r| r.set.iter().find(|(k, _)| k == key))
        .map(|(_, v)| v.as_str())
        .unwrap_or("<prefix><MPE ID>");
    let command = if resource.resource_type == MGN_LAUNCH_TEMPLATE {
        format!(
            "aws mgn update-launch-configuration-template --launch-configuration-template-id {id}"
        )
    } else {
        format!("aws mgn update-launch-configuration --source-server-id {id}")
    };
    format!("MAP auto-tagging is off in its launch settings: what MGN launches will not carry `{key}`; turn it on with this agreement's value (remediate does, or `{command} --enable-map-auto-tagging --map-auto-tagging-mpe-id {value}`)")
}

/// Why the value a launch would write is refused.
fn launch_refused_hint(value: &str, why: &str) -> String {
    let bare = super::map_format::MapFormat::Relaxed
        .mpe_id(&format!("mig{value}"))
        .is_some_and(|id| id == value);
    if bare {
        return format!("its launch would write `{value}`, a bare MPE ID: MGN writes `mapAutoTaggingMpeID` as the tag's whole value, so it needs the prefix, e.g. `mig{value}`");
    }
    format!("its launch would write `{value}`: {why}")
}

/// How to make what a resource launches carry `key`.
fn source_hint(resource: &Resource, key: &str, value: &str) -> String {
    let name = resource.arn.id().rsplit('/').next().unwrap_or_default();
    if resource.resource_type == crate::resource::ECS_SERVICE {
        let cluster = resource.arn.id().split('/').next().unwrap_or_default();
        format!("the tasks it starts will not carry `{key}`: make the service propagate its tags (`aws ecs update-service --cluster {cluster} --service {name} --propagate-tags SERVICE`)")
    } else {
        format!("the instances it launches will not carry `{key}`: propagate it at launch (remediate does, or `aws autoscaling create-or-update-tags --tags ResourceId={name},ResourceType=auto-scaling-group,Key={key},Value={value},PropagateAtLaunch=true`)")
    }
}

/// A hint on a MAP value (a requirement with a format) with what the
/// catalogue notes of how the resource's type earns MAP credit.
fn with_map_note(req: &Requirement, resource: &Resource, hint: Option<String>) -> Option<String> {
    let note = req
        .format
        .as_ref()
        .and(crate::catalogue::type_of(&resource.resource_type))
        .and_then(|t| t.map_note);
    match (hint, note) {
        (Some(hint), Some(note)) => Some(format!("{hint}; {note}")),
        (hint, note) => hint.or(note.map(str::to_string)),
    }
}

fn missing_hint(req: &Requirement, resource: &Resource) -> Option<String> {
    let near = resource
        .tags
        .keys()
        .find(|k| k.as_str() != req.key && k.trim().eq_ignore_ascii_case(&req.key));
    if let Some(k) = near {
        let how = if k.trim() != k {
            "has surrounding white space"
        } else {
            "differs in case"
        };
        return Some(format!(
            "found key `{k}`, which {how}; AWS counts only the exact key `{}`",
            req.key
        ));
    }
    if req.format.is_some() {
        let other = Scheme::ALL
            .into_iter()
            .find(|s| s.key() != req.key && resource.tags.contains_key(s.key()));
        if let (Some(other), Some(ours)) = (other, Scheme::of_key(&req.key)) {
            return Some(format!(
                "found `{}`, the other MAP tag scheme's key; this policy's agreement counts `{}` (<prefix><{}>): tag both if the resource belongs to both agreements",
                other.key(),
                ours.key(),
                ours.id_name()
            ));
        }
        if let Some(k) = LEGACY_KEYS.iter().find(|k| resource.tags.contains_key(**k)) {
            return Some(format!(
                "found legacy MAP key `{k}`; MAP 2.0 credits only `{}`",
                req.key
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::map_format::MapFormat;
    use crate::policy::{Severity, ValueMatch};
    use chrono::{TimeZone, Utc};
    use regex::Regex;

    fn req(key: &str) -> Requirement {
        Requirement {
            key: key.into(),
            values: None,
            pattern: None,
            format: None,
        }
    }

    fn policy(require: Vec<Requirement>, forbid: &[&str]) -> Policy {
        Policy {
            name: "p".into(),
            description: None,
            severity: Severity::High,
            resource_types: vec!["ec2:instance".into()],
            scope: Scope::default(),
            require,
            forbid: forbid.iter().map(|s| s.to_string()).collect(),
            remediate: None,
            file: "p.yaml".into(),
        }
    }

    fn instance(tags: &[(&str, &str)]) -> Resource {
        Resource::new(
            crate::arn::arn("arn:aws:ec2:us-east-1:111111111111:instance/i-1"),
            "111111111111",
            "us-east-1",
            "ec2:instance",
        )
        .with_tags(tags.iter().copied())
    }

    fn map_req() -> Requirement {
        Requirement {
            format: Some(MapFormat::Strict),
            ..req("map-migrated")
        }
    }

    fn kinds(p: &Policy, r: &Resource) -> Vec<(String, FindingKind, Option<String>)> {
        let mut out = Vec::new();
        evaluate_resource(p, r, &mut out);
        out.into_iter()
            .map(|f| (f.tag.to_string(), f.kind, f.hint))
            .collect()
    }

    #[test]
    fn compliant_resource_has_no_findings() {
        let p = policy(vec![map_req(), req("Owner")], &["Password"]);
        let r = instance(&[("map-migrated", "mig12345"), ("Owner", "a")]);
        let mut out = Vec::new();
        assert_eq!(evaluate_resource(&p, &r, &mut out), Outcome::Compliant);
        assert!(out.is_empty());
    }

    #[test]
    fn wrong_case_key_is_missing_with_hint() {
        let p = policy(vec![map_req()], &[]);
        let f = kinds(&p, &instance(&[("Map-Migrated", "mig12345")]));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].1, FindingKind::Missing);
        assert_eq!(
            f[0].2.as_deref(),
            Some("found key `Map-Migrated`, which differs in case; AWS counts only the exact key `map-migrated`")
        );
        let f = kinds(&p, &instance(&[("map-migrated ", "mig12345")]));
        assert!(f[0]
            .2
            .as_deref()
            .unwrap()
            .contains("has surrounding white space"));
    }

    #[test]
    fn legacy_key_hint() {
        let p = policy(vec![map_req()], &[]);
        let f = kinds(&p, &instance(&[("map-dba", "x")]));
        assert_eq!(f[0].1, FindingKind::Missing);
        assert_eq!(
            f[0].2.as_deref(),
            Some("found legacy MAP key `map-dba`; MAP 2.0 credits only `map-migrated`")
        );
    }

    #[test]
    fn the_aws_transform_scheme_is_checked_on_its_own_key() {
        let apn = Requirement {
            format: MapFormat::for_key("map", "aws-apn-id"),
            ..req("aws-apn-id")
        };
        let p = policy(vec![apn], &[]);
        let ok = instance(&[("aws-apn-id", "migra-abcdefg123456")]);
        assert_eq!(
            evaluate_resource(&p, &ok, &mut Vec::new()),
            Outcome::Compliant
        );
        let bad = kinds(&p, &instance(&[("aws-apn-id", "MIGra-abcdefg123456")]));
        assert_eq!(bad[0].1, FindingKind::Invalid);
        assert!(bad[0]
            .2
            .as_deref()
            .unwrap()
            .contains("must be lowercase `mig`"));
        let prm = kinds(
            &p,
            &instance(&[("aws-apn-id", "pc:3jtjsihjubajawpl401j5b27s")]),
        );
        assert!(prm[0]
            .2
            .as_deref()
            .unwrap()
            .contains("Partner Revenue Measurement"));
        let other = kinds(&p, &instance(&[("map-migrated", "mig12345")]));
        assert_eq!(other[0].1, FindingKind::Missing);
        assert_eq!(
            other[0].2.as_deref(),
            Some("found `map-migrated`, the other MAP tag scheme's key; this policy's agreement counts `aws-apn-id` (<prefix><PRM ID>): tag both if the resource belongs to both agreements")
        );
        let mm = kinds(
            &policy(vec![map_req()], &[]),
            &instance(&[("aws-apn-id", "migra-1")]),
        );
        assert!(mm[0]
            .2
            .as_deref()
            .unwrap()
            .contains("counts `map-migrated` (<prefix><MPE ID>)"));
    }

    #[test]
    fn a_bedrock_profiles_map_findings_say_how_bedrock_earns_credit() {
        let p = Policy {
            resource_types: vec!["bedrock:application-inference-profile".into()],
            ..policy(vec![map_req(), req("Owner")], &[])
        };
        let profile = |tags: &[(&str, &str)]| {
            let mut r = Resource::new(
                crate::arn::arn(
                    "arn:aws:bedrock:us-east-1:111111111111:application-inference-profile/p1",
                ),
                "111111111111",
                "us-east-1",
                "bedrock:application-inference-profile",
            );
            r.tags = tags
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            r
        };
        let note = crate::catalogue::BEDROCK_NOTE;
        let missing = kinds(&p, &profile(&[]));
        assert_eq!(missing[0].2.as_deref(), Some(note));
        // Only the MAP key's findings carry it.
        assert_eq!(missing[1], ("Owner".into(), FindingKind::Missing, None));
        let legacy = kinds(&p, &profile(&[("map-dba", "x"), ("Owner", "a")]));
        assert!(legacy[0]
            .2
            .as_deref()
            .unwrap()
            .ends_with(&format!("; {note}")));
        let invalid = kinds(&p, &profile(&[("map-migrated", "mig1"), ("Owner", "a")]));
        assert_eq!(invalid[0].1, FindingKind::Invalid);
        assert!(invalid[0]
            .2
            .as_deref()
            .unwrap()
            .ends_with(&format!("; {note}")));
        // Other types' MAP findings do not.
        let f = kinds(&policy(vec![map_req()], &[]), &instance(&[]));
        assert_eq!(f[0].2, None);
    }

    #[test]
    fn missing_without_near_key_has_no_hint() {
        let p = policy(vec![req("Owner")], &[]);
        assert_eq!(
            kinds(&p, &instance(&[])),
            vec![("Owner".into(), FindingKind::Missing, None)]
        );
    }

    #[test]
    fn invalid_values_patterns_and_formats() {
        let p = policy(
            vec![
                Requirement {
                    values: Some(vec!["prod".into(), "dev".into()]),
                    ..req("Env")
                },
                Requirement {
                    pattern: Some(("[a-z]+".into(), Regex::new("^(?:[a-z]+)$").unwrap())),
                    ..req("Team")
                },
                map_req(),
            ],
            &[],
        );
        let f = kinds(
            &p,
            &instance(&[
                ("Env", "Prod"),
                ("Team", "core1"),
                ("map-migrated", "d-server-020zya2d8ytar8"),
            ]),
        );
        assert_eq!(f.len(), 3);
        assert!(f.iter().all(|x| x.1 == FindingKind::Invalid));
        let hint = |k: &str| f.iter().find(|x| x.0 == k).unwrap().2.clone().unwrap();
        assert_eq!(
            hint("Env"),
            "`Prod` differs in case from the allowed value `prod`; values are case-sensitive"
        );
        assert_eq!(hint("Team"), "value does not match the pattern `[a-z]+`");
        assert!(hint("map-migrated").starts_with("legacy Migration Hub server ID"));
    }

    #[test]
    fn value_hints() {
        let allowed: Vec<String> = ["a", "b", "c", "d", "e", "f"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            values_hint(&allowed, "z"),
            "allowed values: `a`, `b`, `c`, `d`, `e`, … (6 in all)"
        );
        assert_eq!(
            values_hint(&allowed, " a"),
            "` a` has surrounding white space; the allowed value is `a`"
        );
        assert_eq!(
            values_hint(&allowed, "A"),
            "`A` differs in case from the allowed value `a`; values are case-sensitive"
        );
    }

    #[test]
    fn forbidden_keys() {
        let p = policy(vec![], &["Password"]);
        let r = instance(&[("Password", "hunter2")]);
        let mut out = Vec::new();
        assert_eq!(evaluate_resource(&p, &r, &mut out), Outcome::NonCompliant);
        assert_eq!(out[0].kind, FindingKind::Forbidden);
        assert_eq!(out[0].value, Some("hunter2"));
        // Forbidden keys are exact too.
        assert!(kinds(&p, &instance(&[("password", "x")])).is_empty());
    }

    #[test]
    fn unreadable_tags_are_unknown_never_missing() {
        let p = policy(vec![map_req()], &["Password"]);
        let mut r = instance(&[]);
        r.tags_unreadable = Some("AccessDenied".into());
        let f = kinds(&p, &r);
        assert_eq!(f.len(), 2);
        assert!(f.iter().all(|x| x.1 == FindingKind::Unknown));
        // Tag scope conditions cannot be decided, so the resource stays in scope.
        let mut p = p;
        p.scope.tags = vec![("wave".into(), ValueMatch::Any)];
        assert_eq!(evaluate_resource(&p, &r, &mut Vec::new()), Outcome::Unknown);
    }

    #[test]
    fn scope_conditions() {
        let mut p = policy(vec![req("Owner")], &[]);
        let r = instance(&[("wave", "1")]);
        assert!(in_scope(&p, &r));
        p.scope.accounts = Some(vec!["222222222222".into()]);
        assert!(!in_scope(&p, &r));
        p.scope.accounts = Some(vec!["111111111111".into()]);
        p.scope.regions = Some(vec!["eu-west-1".into()]);
        assert!(!in_scope(&p, &r));
        p.scope.regions = None;
        p.scope.tags = vec![(
            "wave".into(),
            ValueMatch::OneOf(vec!["1".into(), "2".into()]),
        )];
        assert!(in_scope(&p, &r));
        p.scope.tags = vec![("wave".into(), ValueMatch::OneOf(vec!["2".into()]))];
        assert!(!in_scope(&p, &r));
        p.scope.tags = vec![];
        p.scope.exclude_tags = vec![("wave".into(), ValueMatch::Any)];
        assert!(!in_scope(&p, &r));
        p.scope.exclude_tags = vec![];
        p.scope.created_after = Some(Utc.with_ymd_and_hms(2026, 1, 15, 0, 0, 0).unwrap());
        assert!(in_scope(&p, &r), "unknown creation time stays in scope");
        let mut old = r.clone();
        old.created_at = Some(Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0).unwrap());
        assert!(!in_scope(&p, &old));
        old.created_at = Some(Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap());
        assert!(in_scope(&p, &old));
        let mut other = r.clone();
        other.resource_type = "ec2:volume".into();
        assert!(!in_scope(&p, &other));
    }

    #[test]
    fn summary_counts_each_resource_once() {
        let policies = vec![
            policy(vec![req("Owner")], &[]),
            policy(vec![req("Team")], &[]),
        ];
        let mut unknown = instance(&[]);
        unknown.tags_unreadable = Some("denied".into());
        let mut out_of_scope = instance(&[]);
        out_of_scope.resource_type = "s3:bucket".into();
        let resources = vec![
            instance(&[("Owner", "a"), ("Team", "b")]),
            instance(&[("Owner", "a")]),
            instance(&[]),
            unknown,
            out_of_scope,
        ];
        let e = evaluate(&resources, &policies);
        assert_eq!(
            e.summary,
            Summary {
                resources: 5,
                in_scope: 4,
                compliant: 1,
                non_compliant: 2,
                unknown: 1
            }
        );
        assert_eq!(e.findings.len(), 1 + 2 + 2);
    }

    #[test]
    fn counts_per_policy_and_account() {
        let mut team = policy(vec![req("Team")], &[]);
        team.name = "team".into();
        let policies = vec![policy(vec![req("Owner")], &[]), team];
        let mut other = instance(&[("Owner", "a")]);
        other.account = "222222222222".into();
        let mut out_of_scope = instance(&[]);
        out_of_scope.resource_type = "s3:bucket".into();
        let resources = vec![
            instance(&[("Owner", "a"), ("Team", "b")]),
            instance(&[("Owner", "a")]),
            other,
            out_of_scope,
        ];
        let e = evaluate(&resources, &policies);
        let counts = |p, a| e.by_policy[&(p, a)];
        assert_eq!(
            counts("p", "111111111111"),
            PolicyCounts {
                in_scope: 2,
                compliant: 2,
                non_compliant: 0,
                unknown: 0
            }
        );
        assert_eq!(
            counts("team", "111111111111"),
            PolicyCounts {
                in_scope: 2,
                compliant: 1,
                non_compliant: 1,
                unknown: 0
            }
        );
        assert_eq!(
            counts("team", "222222222222"),
            PolicyCounts {
                in_scope: 1,
                compliant: 0,
                non_compliant: 1,
                unknown: 0
            }
        );
        assert_eq!(e.by_policy.len(), 4);
    }

    fn launcher(
        ty: &str,
        arn: &str,
        tags: &[(&str, &str)],
        launches: Option<&[(&str, &str)]>,
    ) -> Resource {
        let mut r = Resource::new(crate::arn::arn(arn), "111111111111", "us-east-1", ty)
            .with_tags(tags.iter().copied());
        r.launches = launches.map(|l| {
            l.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        });
        r
    }

    #[test]
    fn what_a_group_or_service_launches_must_carry_the_key_too() {
        let mut p = policy(vec![map_req()], &[]);
        p.resource_types = vec![
            crate::resource::AUTO_SCALING_GROUP.into(),
            crate::resource::ECS_SERVICE.into(),
        ];
        let asg = "arn:aws:autoscaling:us-east-1:111111111111:autoScalingGroup:6d4a:autoScalingGroupName/web";
        let map = [("map-migrated", "migABCDE12345")];
        // Tagged, and passed on: compliant.
        let passed = launcher(crate::resource::AUTO_SCALING_GROUP, asg, &map, Some(&map));
        assert!(kinds(&p, &passed).is_empty());
        // Tagged, not passed on: a finding of its own kind, naming the fix.
        let kept = launcher(crate::resource::AUTO_SCALING_GROUP, asg, &map, Some(&[]));
        let mut out = Vec::new();
        assert_eq!(
            evaluate_resource(&p, &kept, &mut out),
            Outcome::NonCompliant
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].kind, FindingKind::Source);
        assert_eq!(out[0].kind.as_str(), "source");
        let hint = out[0].hint.as_deref().unwrap();
        assert!(hint.contains("ResourceId=web,ResourceType=auto-scaling-group,Key=map-migrated,Value=migABCDE12345,PropagateAtLaunch=true"), "{hint}");
        // Not tagged at all: missing, once (the write propagates it).
        let bare = launcher(crate::resource::AUTO_SCALING_GROUP, asg, &[], Some(&[]));
        assert_eq!(
            kinds(&p, &bare),
            [("map-migrated".to_string(), FindingKind::Missing, None)]
        );
        // Unknown (a task definition's tags): no source finding.
        let svc = "arn:aws:ecs:us-east-1:111111111111:service/web/api";
        let unknown = launcher(crate::resource::ECS_SERVICE, svc, &map, None);
        assert!(kinds(&p, &unknown).is_empty());
        let none = launcher(crate::resource::ECS_SERVICE, svc, &map, Some(&[]));
        let mut out = Vec::new();
        evaluate_resource(&p, &none, &mut out);
        assert_eq!(out[0].kind, FindingKind::Source);
        assert!(out[0].hint.as_deref().unwrap().contains(
            "aws ecs update-service --cluster web --service api --propagate-tags SERVICE"
        ));
    }
}
