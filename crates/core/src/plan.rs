//! Planning: the exact tag changes enforcement would make, per resource and
//! policy. Pure: `now` is passed in (`plan --at` passes a future time). The
//! plan document is data only; `report::plan` renders it.

use crate::money::Decimal;
use crate::policy::eval::{check_value, in_scope};
use crate::policy::{Overwrite, Policy};
use crate::resource::{judged_by_launch, Arn, Resource, AUTO_SCALING_GROUP, MAP_TAG};
use crate::scan::ScanError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// AWS's limit of user tags per resource (`aws:` tags do not count).
pub const MAX_USER_TAGS: usize = 50;

/// Tags to write on one resource for one policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub arn: Arn,
    pub account: String,
    pub region: String,
    pub resource_type: String,
    pub policy: String,
    /// Key to the value written.
    pub set: BTreeMap<String, String>,
    /// Key to the value before (null: the key is added).
    pub previous: BTreeMap<String, Option<String>>,
    /// When the change becomes due (the policy's window opens); null: now.
    #[serde(with = "crate::time::serde_opt_rfc3339")]
    pub due: Option<DateTime<Utc>>,
}

/// A resource a policy would change but will not, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skip {
    pub arn: Arn,
    pub account: String,
    pub region: String,
    pub resource_type: String,
    pub policy: String,
    pub reason: String,
}

impl Skip {
    pub fn of(r: &Resource, policy: &str, reason: impl Into<String>) -> Skip {
        Skip {
            arn: r.arn.clone(),
            account: r.account.clone(),
            region: r.region.clone(),
            resource_type: r.resource_type.clone(),
            policy: policy.to_string(),
            reason: reason.into(),
        }
    }

    /// The same resource and policy as `c`, left unchanged for `reason`.
    pub fn of_change(c: &Change, reason: impl Into<String>) -> Skip {
        Skip {
            arn: c.arn.clone(),
            account: c.account.clone(),
            region: c.region.clone(),
            resource_type: c.resource_type.clone(),
            policy: c.policy.clone(),
            reason: reason.into(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub changes: Vec<Change>,
    pub skipped: Vec<Skip>,
}

impl Plan {
    pub fn due_now(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| c.due.is_none())
    }

    pub fn scheduled(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| c.due.is_some())
    }
}

/// Plan every resource against every policy with a `remediate` section.
pub fn plan(resources: &[Resource], policies: &[Policy], now: DateTime<Utc>) -> Plan {
    let mut out = Plan::default();
    for r in resources {
        plan_resource(r, policies, now, &mut out);
    }
    out
}

/// One resource: each policy's change, then the checks across policies
/// (conflicts, duplicates, the tag limit), which keep or skip them together.
fn plan_resource(r: &Resource, policies: &[Policy], now: DateTime<Utc>, out: &mut Plan) {
    let mut skipped = Vec::new();
    let changes: Vec<Change> = policies
        .iter()
        .filter_map(|p| policy_change(r, p, now, &mut skipped))
        .collect();
    let skip_all = |changes: &[Change], reason: &str| -> Vec<Skip> {
        changes.iter().map(|c| Skip::of_change(c, reason)).collect()
    };
    if let Some(reason) = conflicts(&changes) {
        out.skipped.extend(skip_all(&changes, &reason));
    } else {
        let changes = without_duplicates(changes);
        match over_tag_limit(r, &changes) {
            Some(reason) => out.skipped.extend(skip_all(&changes, &reason)),
            None => out.changes.extend(changes),
        }
    }
    out.skipped.extend(skipped);
}

/// What one policy would write on one resource, or why it will not.
fn policy_change(
    r: &Resource,
    policy: &Policy,
    now: DateTime<Utc>,
    skipped: &mut Vec<Skip>,
) -> Option<Change> {
    let rem = policy.remediate.as_ref()?;
    if rem.set.is_empty() || !in_scope(policy, r) {
        return None;
    }
    if let Some(why) = &r.tags_unreadable {
        skipped.push(Skip::of(r, &policy.name, format!("tags unknown: {why}")));
        return None;
    }
    let window = rem.window.clone().unwrap_or_default();
    if let Some(until) = window.until.filter(|u| *u < now) {
        let reason = format!(
            "outside the window: it closed at {}",
            crate::time::rfc3339(until)
        );
        skipped.push(Skip::of(r, &policy.name, reason));
        return None;
    }
    let mut change = Change {
        arn: r.arn.clone(),
        account: r.account.clone(),
        region: r.region.clone(),
        resource_type: r.resource_type.clone(),
        policy: policy.name.clone(),
        set: BTreeMap::new(),
        previous: BTreeMap::new(),
        due: window.from.filter(|f| *f > now),
    };
    let judged = r.judged();
    for (key, value) in &rem.set {
        let current = judged.get(key);
        let decision = match key_decision(policy, rem.overwrite, key, value, current) {
            KeyDecision::Keep => launch_decision(r, key, current),
            KeyDecision::Write { .. } if judged_by_launch(&r.resource_type) && key != MAP_TAG => {
                KeyDecision::Refuse(format!("MGN's launch settings write only `{MAP_TAG}` (MAP auto-tagging): put `{key}` in the tag specifications of the EC2 launch template MGN launches with"))
            }
            other => other,
        };
        match decision {
            KeyDecision::Write { previous } => {
                change.set.insert(key.clone(), value.clone());
                change.previous.insert(key.clone(), previous);
            }
            KeyDecision::Propagate { value } => {
                change.set.insert(key.clone(), value.clone());
                change.previous.insert(key.clone(), Some(value));
            }
            KeyDecision::Keep => {}
            KeyDecision::Refuse(reason) => skipped.push(Skip::of(r, &policy.name, reason)),
        }
    }
    (!change.set.is_empty()).then_some(change)
}

/// A key the resource holds but what it launches will not: an Auto Scaling
/// group's tag is written again, with PropagateAtLaunch (its own value is
/// kept); an ECS service's `propagateTags` is not a tag, so the finding
/// names the fix and nothing is written.
fn launch_decision(r: &Resource, key: &str, current: Option<&String>) -> KeyDecision {
    let (Some(launches), Some(current)) = (&r.launches, current) else {
        return KeyDecision::Keep;
    };
    if launches.get(key) == Some(current) || r.resource_type != AUTO_SCALING_GROUP {
        return KeyDecision::Keep;
    }
    KeyDecision::Propagate {
        value: current.clone(),
    }
}

enum KeyDecision {
    /// Write the same value again so that it is passed on (an Auto Scaling
    /// group's PropagateAtLaunch).
    Propagate { value: String },
    /// Write the policy's value; `previous` is what the key held.
    Write { previous: Option<String> },
    /// Leave the key as it is (already right, or a valid value someone chose).
    Keep,
    /// The value is invalid but the policy may not replace it.
    Refuse(String),
}

fn key_decision(
    policy: &Policy,
    overwrite: Overwrite,
    key: &str,
    value: &str,
    current: Option<&String>,
) -> KeyDecision {
    let Some(current) = current else {
        return KeyDecision::Write { previous: None };
    };
    if current == value {
        return KeyDecision::Keep;
    }
    let invalid = policy
        .require
        .iter()
        .find(|q| q.key == key)
        .is_some_and(|q| check_value(q, current).is_err());
    match (invalid, overwrite) {
        (false, _) => KeyDecision::Keep,
        (true, Overwrite::Invalid) => KeyDecision::Write {
            previous: Some(current.clone()),
        },
        (true, Overwrite::Never) => KeyDecision::Refuse(format!(
            "`{key}` has the invalid value `{current}`; `overwrite: never` keeps it (use `overwrite: invalid` to replace it)"
        )),
    }
}

/// Two policies writing different values to one key: never last-writer-wins.
fn conflicts(changes: &[Change]) -> Option<String> {
    let mut claimed: BTreeMap<&str, (&str, &str)> = BTreeMap::new();
    let mut found = Vec::new();
    for c in changes {
        for (k, v) in &c.set {
            match claimed.get(k.as_str()) {
                Some((other, ov)) if *ov != v.as_str() => found.push(format!(
                    "policy `{other}` sets `{k}={ov}` and policy `{}` sets `{k}={v}`",
                    c.policy
                )),
                Some(_) => {}
                None => {
                    claimed.insert(k, (&c.policy, v));
                }
            }
        }
    }
    (!found.is_empty()).then(|| {
        format!(
            "conflicting policies: {}; the resource is left unchanged",
            found.join("; ")
        )
    })
}

/// The same key and value from two policies is written once, by the first.
fn without_duplicates(mut changes: Vec<Change>) -> Vec<Change> {
    let mut written = BTreeSet::new();
    for c in &mut changes {
        c.set.retain(|k, _| written.insert(k.clone()));
        let set = &c.set;
        c.previous.retain(|k, _| set.contains_key(k));
    }
    changes.retain(|c| !c.set.is_empty());
    changes
}

/// Why the added keys would push the resource over AWS's tag limit.
fn over_tag_limit(r: &Resource, changes: &[Change]) -> Option<String> {
    let added = changes
        .iter()
        .flat_map(|c| c.previous.values())
        .filter(|p| p.is_none())
        .count();
    let have = r.user_tag_count();
    (added > 0 && !judged_by_launch(&r.resource_type) && have + added > MAX_USER_TAGS).then(|| {
        format!("the resource has {have} user tags; adding {added} would exceed AWS's limit of {MAX_USER_TAGS}")
    })
}

/// How fingerprints start; earlier versions wrote 16 hex digits (FNV-1a).
pub const FINGERPRINT_PREFIX: &str = "sha256:";

/// A stable fingerprint of the configuration and policies a plan was made
/// with (SHA-256 over each file, length-prefixed so that boundaries count),
/// so that `apply --plan` refuses a plan from another configuration.
pub fn fingerprint<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in parts {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    format!("{FINGERPRINT_PREFIX}{hex}")
}

/// The plan as `plan -o plan.json` writes it and `apply --plan` reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanDocument {
    pub run_id: String,
    #[serde(with = "crate::time::serde_rfc3339")]
    pub generated_at: DateTime<Utc>,
    /// The time windows were evaluated at (`--at`, or when the plan was made).
    #[serde(with = "crate::time::serde_rfc3339")]
    pub at: DateTime<Utc>,
    /// Fingerprint of the configuration and policies.
    pub config: String,
    pub changes: Vec<Change>,
    pub skipped: Vec<Skip>,
    #[serde(default)]
    pub errors: Vec<ScanError>,
    /// With `--cost`: per resource (ARN) changed, its billed cost and the
    /// credit at risk. Kept beside the changes, not in them: `apply --plan`
    /// compares changes as planned.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub costs: BTreeMap<Arn, ResourceCost>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_currency: Option<String>,
}

/// A changed resource's billed cost and the credit its usage forfeits while
/// it does not carry this agreement's MAP value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ResourceCost {
    #[serde(serialize_with = "crate::money::serialize")]
    pub cost: Decimal,
    #[serde(serialize_with = "crate::money::serialize")]
    pub credit_at_risk: Decimal,
}

impl ResourceCost {
    /// From billing files: `credit_rate` × its eligible cost, unless the
    /// bill already shows this agreement's MAP value. The rate is the
    /// marginal one, as once `min_migrated_spend` is crossed.
    pub fn of(
        billed: &crate::billing::ResourceCost,
        terms: &crate::config::MapAgreement,
    ) -> ResourceCost {
        use crate::credits::TagState;
        let credited =
            terms.tags.classify(billed.tag.as_deref(), billed.scheme) == TagState::Tagged;
        ResourceCost {
            cost: billed.cost,
            credit_at_risk: if credited {
                Decimal::ZERO
            } else {
                terms.credit_rate * billed.eligible
            },
        }
    }
}

impl PlanDocument {
    /// Put the billed cost of each changed resource beside the changes.
    pub fn attach_costs(
        &mut self,
        costs: &crate::billing::Costs,
        terms: &crate::config::MapAgreement,
    ) {
        for c in &self.changes {
            if let Some(billed) = costs.of(&c.arn) {
                self.costs
                    .insert(c.arn.clone(), ResourceCost::of(billed, terms));
            }
        }
        self.cost_currency = Some(costs.currency.clone().unwrap_or_else(|| "USD".into()));
    }

    /// 3 when anything could not be scanned, else 1 when anything would
    /// change (now or scheduled), else 0.
    pub fn exit_code(&self) -> u8 {
        if !self.errors.is_empty() {
            3
        } else if self.changes.is_empty() {
            0
        } else {
            1
        }
    }

    pub fn summary_line(&self) -> String {
        let now = self.changes.iter().filter(|c| c.due.is_none()).count();
        let keys: usize = self.changes.iter().map(|c| c.set.len()).sum();
        format!(
            "{} change(s) ({keys} tag(s)): {now} due now, {} scheduled; {} skipped; {} scan error(s)",
            self.changes.len(),
            self.changes.len() - now,
            self.skipped.len(),
            self.errors.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::map_format::MapFormat;
    use crate::policy::{Remediate, Requirement, Scope, Severity, Window};
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap()
    }

    fn policy(name: &str, set: &[(&str, &str)], overwrite: Overwrite) -> Policy {
        Policy {
            name: name.into(),
            description: None,
            severity: Severity::Critical,
            resource_types: vec!["ec2:instance".into()],
            scope: Scope::default(),
            require: vec![Requirement {
                key: "map-migrated".into(),
                values: None,
                pattern: None,
                format: Some(MapFormat::Strict),
            }],
            forbid: vec![],
            remediate: Some(Remediate {
                set: set
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                overwrite,
                window: None,
            }),
            file: "p.yaml".into(),
        }
    }

    fn map_policy(overwrite: Overwrite) -> Policy {
        policy("map", &[("map-migrated", "migABCDE12345")], overwrite)
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

    #[test]
    fn adds_missing_keys_only() {
        let p = plan(
            &[instance(&[("Map-Migrated", "x")])],
            &[map_policy(Overwrite::Never)],
            now(),
        );
        assert_eq!(p.changes.len(), 1);
        let c = &p.changes[0];
        assert_eq!(
            c.set,
            BTreeMap::from([("map-migrated".to_string(), "migABCDE12345".to_string())])
        );
        assert_eq!(
            c.previous,
            BTreeMap::from([("map-migrated".to_string(), None)])
        );
        assert_eq!(c.due, None);
        assert!(p.skipped.is_empty());
        // Already right, or right by another valid value: nothing to do.
        for v in ["migABCDE12345", "mig12345"] {
            let p = plan(
                &[instance(&[("map-migrated", v)])],
                &[map_policy(Overwrite::Invalid)],
                now(),
            );
            assert_eq!(p, Plan::default(), "{v}");
        }
    }

    #[test]
    fn mgn_launch_settings_are_not_asked_for_another_key() {
        let server = Resource {
            launches: Some(crate::resource::Tags::new()),
            ..Resource::new(
                crate::arn::arn(
                    "arn:aws:mgn:us-east-1:111111111111:source-server/s-1234567890abcdef0",
                ),
                "111111111111",
                "us-east-1",
                crate::resource::MGN_SOURCE_SERVER,
            )
        };
        let apn = Policy {
            resource_types: vec![crate::resource::MGN_SOURCE_SERVER.into()],
            require: vec![Requirement {
                key: "aws-apn-id".into(),
                values: None,
                pattern: None,
                format: Some(MapFormat::Apn),
            }],
            ..policy("map", &[("aws-apn-id", "migra-1")], Overwrite::Never)
        };
        let p = plan(std::slice::from_ref(&server), &[apn], now());
        assert!(p.changes.is_empty());
        assert_eq!(
            p.skipped[0].reason,
            "MGN's launch settings write only `map-migrated` (MAP auto-tagging): put `aws-apn-id` in the tag specifications of the EC2 launch template MGN launches with"
        );
        let mm = Policy {
            resource_types: vec![crate::resource::MGN_SOURCE_SERVER.into()],
            ..map_policy(Overwrite::Never)
        };
        assert_eq!(plan(&[server], &[mm], now()).changes.len(), 1);
    }

    #[test]
    fn invalid_values_are_replaced_only_with_overwrite_invalid() {
        let r = instance(&[("map-migrated", "MIG12345")]);
        let p = plan(
            std::slice::from_ref(&r),
            &[map_policy(Overwrite::Never)],
            now(),
        );
        assert!(p.changes.is_empty());
        assert_eq!(
            p.skipped[0].reason,
            "`map-migrated` has the invalid value `MIG12345`; `overwrite: never` keeps it (use `overwrite: invalid` to replace it)"
        );
        let p = plan(&[r], &[map_policy(Overwrite::Invalid)], now());
        assert_eq!(
            p.changes[0].previous["map-migrated"],
            Some("MIG12345".to_string())
        );
    }

    #[test]
    fn plain_additions_never_overwrite() {
        let p = plan(
            &[instance(&[("Team", "web")])],
            &[policy("team", &[("Team", "data")], Overwrite::Invalid)],
            now(),
        );
        assert_eq!(p, Plan::default());
    }

    #[test]
    fn windows_schedule_or_close() {
        let mut p = map_policy(Overwrite::Never);
        let from = Utc.with_ymd_and_hms(2026, 12, 5, 2, 0, 0).unwrap();
        p.remediate.as_mut().unwrap().window = Some(Window {
            from: Some(from),
            until: None,
        });
        let r = [instance(&[])];
        let plan_now = plan(&r, std::slice::from_ref(&p), now());
        assert_eq!(plan_now.changes[0].due, Some(from));
        assert_eq!(plan_now.due_now().count(), 0);
        assert_eq!(plan_now.scheduled().count(), 1);
        let at_cutover = plan(&r, std::slice::from_ref(&p), from);
        assert_eq!(
            at_cutover.changes[0].due, None,
            "due at the opening time itself"
        );
        p.remediate.as_mut().unwrap().window = Some(Window {
            from: None,
            until: Some(now() - chrono::Duration::days(1)),
        });
        let closed = plan(&r, &[p], now());
        assert!(closed.changes.is_empty());
        assert_eq!(
            closed.skipped[0].reason,
            "outside the window: it closed at 2026-11-30T00:00:00Z"
        );
    }

    #[test]
    fn conflicting_policies_skip_the_resource() {
        let a = map_policy(Overwrite::Never);
        let b = policy("map-2", &[("map-migrated", "mig12345")], Overwrite::Never);
        let p = plan(&[instance(&[])], &[a, b], now());
        assert!(p.changes.is_empty());
        assert_eq!(p.skipped.len(), 2);
        assert_eq!(
            p.skipped[0].reason,
            "conflicting policies: policy `map` sets `map-migrated=migABCDE12345` and policy `map-2` sets `map-migrated=mig12345`; the resource is left unchanged"
        );
    }

    #[test]
    fn the_same_value_from_two_policies_is_written_once() {
        let a = map_policy(Overwrite::Never);
        let b = policy(
            "map-and-team",
            &[("map-migrated", "migABCDE12345"), ("Team", "web")],
            Overwrite::Never,
        );
        let p = plan(&[instance(&[])], &[a, b], now());
        assert_eq!(p.changes.len(), 2);
        assert_eq!(p.changes[1].set.keys().collect::<Vec<_>>(), ["Team"]);
    }

    #[test]
    fn the_fifty_tag_limit() {
        let tags: Vec<(String, String)> = (0..50)
            .map(|i| (format!("k{i}"), "v".to_string()))
            .collect();
        let mut r = instance(&[]);
        r.tags = tags.into_iter().collect();
        let p = plan(
            std::slice::from_ref(&r),
            &[map_policy(Overwrite::Never)],
            now(),
        );
        assert!(p.changes.is_empty());
        assert_eq!(
            p.skipped[0].reason,
            "the resource has 50 user tags; adding 1 would exceed AWS's limit of 50"
        );
        // aws: tags do not count.
        r.tags.remove("k0");
        r.tags
            .insert("aws:cloudformation:stack-name".into(), "s".into());
        assert_eq!(
            plan(&[r], &[map_policy(Overwrite::Never)], now())
                .changes
                .len(),
            1
        );
    }

    #[test]
    fn unknown_tags_are_never_written() {
        let mut r = instance(&[]);
        r.tags_unreadable = Some("AccessDenied".into());
        let p = plan(&[r], &[map_policy(Overwrite::Never)], now());
        assert!(p.changes.is_empty());
        assert_eq!(p.skipped[0].reason, "tags unknown: AccessDenied");
    }

    #[test]
    fn out_of_scope_and_policies_without_remediation_plan_nothing() {
        let mut p = map_policy(Overwrite::Never);
        p.resource_types = vec!["s3:bucket".into()];
        let mut q = map_policy(Overwrite::Never);
        q.remediate = None;
        assert_eq!(plan(&[instance(&[])], &[p, q], now()), Plan::default());
    }

    #[test]
    fn a_group_whose_tag_is_not_passed_on_is_written_again_to_propagate_it() {
        let mut p = map_policy(Overwrite::Never);
        p.resource_types = vec![
            AUTO_SCALING_GROUP.into(),
            crate::resource::ECS_SERVICE.into(),
        ];
        let group = |tags: &[(&str, &str)], launches: &[(&str, &str)]| {
            let mut r = Resource::new(
                crate::arn::arn("arn:aws:autoscaling:us-east-1:111111111111:autoScalingGroup:6d4a:autoScalingGroupName/web"),
                "111111111111",
                "us-east-1",
                AUTO_SCALING_GROUP,
            )
            .with_tags(tags.iter().copied());
            r.launches = Some(
                launches
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            );
            r
        };
        let theirs = [("map-migrated", "mig12345")];
        // Its own (valid) value is kept, and written again to be passed on.
        let kept = plan_of(&[group(&theirs, &[])], &p);
        assert_eq!(kept.len(), 1);
        let c = &kept[0];
        assert_eq!(c.set["map-migrated"], "mig12345");
        assert_eq!(c.previous["map-migrated"].as_deref(), Some("mig12345"));
        // Passed on already: nothing to do.
        assert!(plan_of(&[group(&theirs, &theirs)], &p).is_empty());
        // Missing: added (the writer propagates it).
        let added = plan_of(&[group(&[], &[])], &p);
        assert_eq!(added[0].previous["map-migrated"], None);
        // An ECS service's propagateTags is not a tag: no write.
        let mut service = Resource::new(
            crate::arn::arn("arn:aws:ecs:us-east-1:111111111111:service/web/api"),
            "111111111111",
            "us-east-1",
            crate::resource::ECS_SERVICE,
        )
        .with_tags(theirs);
        service.launches = Some(crate::resource::Tags::new());
        assert!(plan_of(&[service], &p).is_empty());
    }

    fn plan_of(resources: &[Resource], p: &Policy) -> Vec<Change> {
        plan(resources, std::slice::from_ref(p), now()).changes
    }
}

#[cfg(test)]
mod document_tests {
    use super::*;
    use chrono::TimeZone;

    fn doc() -> PlanDocument {
        let t = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
        PlanDocument {
            run_id: "run-1".into(),
            generated_at: t,
            at: t,
            config: fingerprint([b"config".as_slice()]),
            changes: vec![Change {
                arn: crate::arn::arn("arn:aws:ec2:us-east-1:111111111111:instance/i-1"),
                account: "111111111111".into(),
                region: "us-east-1".into(),
                resource_type: "ec2:instance".into(),
                policy: "map-migrated".into(),
                set: BTreeMap::from([("map-migrated".into(), "migABCDE12345".into())]),
                previous: BTreeMap::from([("map-migrated".into(), None)]),
                due: Some(Utc.with_ymd_and_hms(2026, 12, 5, 2, 0, 0).unwrap()),
            }],
            skipped: vec![Skip {
                arn: crate::arn::arn("arn:aws:s3:::b"),
                account: "111111111111".into(),
                region: "us-east-1".into(),
                resource_type: "s3:bucket".into(),
                policy: "map-migrated".into(),
                reason: "tags unknown: AccessDenied".into(),
            }],
            errors: vec![],
            costs: Default::default(),
            cost_currency: None,
        }
    }

    #[test]
    fn json_round_trips() {
        let d = doc();
        let text = serde_json::to_string(&d).unwrap();
        let back: PlanDocument = serde_json::from_str(&text).unwrap();
        assert_eq!(back, d);
        assert_eq!(d.exit_code(), 1);
    }

    #[test]
    fn fingerprints_differ_by_content_and_boundaries() {
        assert_ne!(
            fingerprint([b"ab".as_slice(), b"c"]),
            fingerprint([b"a".as_slice(), b"bc"])
        );
        assert_eq!(
            fingerprint([b"x".as_slice()]),
            fingerprint([b"x".as_slice()])
        );
        assert_eq!(fingerprint([b"abc".as_slice()]), {
            // SHA-256 of the 8-byte length 3 followed by "abc".
            use sha2::{Digest, Sha256};
            let mut h = Sha256::new();
            h.update([0, 0, 0, 0, 0, 0, 0, 3]);
            h.update(b"abc");
            let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
            format!("sha256:{hex}")
        });
        assert_eq!(fingerprint([b"x".as_slice()]).len(), 7 + 64);
    }

    #[test]
    fn credit_at_risk_counts_eligible_usage_unless_already_credited() {
        let terms = crate::config::MapAgreement {
            tags: crate::policy::map_format::MapTags::map_migrated(Some("ABCDE12345".into())),
            ..Default::default()
        };
        let m = crate::money::lit;
        // As the bill's reading judges lines: by the starter list.
        let rules = crate::billing::eligible::Eligibility {
            services: &terms.eligible_services,
        };
        let billed = |tag: Option<&str>, by_service: &[(&str, f64)]| crate::billing::ResourceCost {
            cost: by_service.iter().map(|(_, c)| m(*c)).sum(),
            eligible: by_service
                .iter()
                .filter(|(s, _)| rules.of_month(s, chrono::NaiveDate::MIN))
                .map(|(_, c)| m(*c))
                .sum(),
            tag: tag.map(Into::into),
            by_service: by_service
                .iter()
                .map(|(s, c)| ((*s).into(), m(*c)))
                .collect(),
            ..Default::default()
        };
        let risk = |b| ResourceCost::of(&b, &terms);
        // 25 % of the EC2 and EBS usage; the Marketplace part earns nothing.
        let mixed = billed(
            None,
            &[
                ("Amazon Elastic Compute Cloud - Compute", 100.0),
                ("EC2 - Other", 20.0),
                ("AWS Marketplace", 40.0),
            ],
        );
        assert_eq!(
            risk(mixed),
            ResourceCost {
                cost: m(160.0),
                credit_at_risk: m(30.0)
            }
        );
        // No product column in the bill: the benefit of the doubt.
        let unnamed = crate::billing::services::UNNAMED;
        assert_eq!(risk(billed(None, &[(unnamed, 8.0)])).credit_at_risk, m(2.0));
        // Already billed with this agreement's value: nothing at risk.
        let ours = billed(Some("migABCDE12345"), &[("EC2 - Other", 20.0)]);
        assert_eq!(risk(ours).credit_at_risk, m(0.0));
        // Another agreement's value does not earn this one's credit.
        let theirs = billed(Some("mig12345"), &[("EC2 - Other", 20.0)]);
        assert_eq!(risk(theirs).credit_at_risk, m(5.0));
    }
}
