//! Apply's pure decisions: which reviewed or planned changes are written now
//! (due time, staleness, re-planning), the refusals made before anything is
//! written (another configuration, unknown resources, the blast-radius cap),
//! how changes merge into one write per resource, and whether the tags read
//! back show a write.

use crate::plan::{self, Change, PlanDocument, MAX_USER_TAGS};
use crate::policy::Policy;
use crate::resource::{shown, Arn, Resource, Tags};
use crate::scan::{RegionScope, ScanError};
use crate::time::rfc3339;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Why apply refused to write anything.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the plan {plan} was made with another configuration or other policies (fingerprint {planned}, now {current}): make a new plan")]
    OtherConfiguration {
        plan: String,
        planned: String,
        current: String,
    },
    #[error("the plan {plan} was made by an earlier tagwarden, whose configuration fingerprint this version cannot check: make a new plan")]
    OtherVersion { plan: String },
    #[error("the plan names {count} resource(s) that do not exist in the configured accounts and regions (e.g. {example}); nothing was written")]
    UnknownResources { count: usize, example: String },
    #[error("{changes} changes exceed the blast-radius cap of {cap} (`limits.max_changes_per_run`); nothing was written. Review them with `tagwarden plan`, then pass --max-changes {changes} to allow them")]
    OverCap { changes: usize, cap: usize },
    #[error("not confirmed; nothing was written")]
    NotConfirmed,
    #[error("standard input is not a terminal: pass --yes to confirm; nothing was written")]
    NoTerminal,
}

impl Refusal {
    /// A stable name for metrics and logs.
    pub fn label(&self) -> &'static str {
        match self {
            Refusal::OtherConfiguration { .. } => "other_configuration",
            Refusal::OtherVersion { .. } => "other_version",
            Refusal::UnknownResources { .. } => "unknown_resources",
            Refusal::OverCap { .. } => "over_cap",
            Refusal::NotConfirmed => "not_confirmed",
            Refusal::NoTerminal => "no_terminal",
        }
    }
}

/// What happened to one change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Applied,
    /// Every key already held its value when read just before the write:
    /// nothing written (another writer got there first).
    Already,
    Failed,
    Skipped,
    /// Held: the key was written back too often lately (`restore_cap`).
    Capped,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Applied => "applied",
            Status::Already => "already",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
            Status::Capped => "capped",
        }
    }
}

/// A change and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppliedChange {
    #[serde(flatten)]
    pub change: Change,
    pub status: Status,
    /// Why it failed or was skipped.
    pub reason: Option<String>,
    /// The AWS error code of a failed write, when AWS gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
}

impl AppliedChange {
    pub fn applied(change: Change) -> AppliedChange {
        AppliedChange {
            change,
            status: Status::Applied,
            reason: None,
            error_code: None,
        }
    }

    pub fn already(change: Change) -> AppliedChange {
        AppliedChange {
            change,
            status: Status::Already,
            reason: Some(
                "already held when read just before the write: not written by this run".into(),
            ),
            error_code: None,
        }
    }

    pub fn capped(change: Change, reason: String) -> AppliedChange {
        AppliedChange {
            change,
            status: Status::Capped,
            reason: Some(reason),
            error_code: None,
        }
    }

    pub fn skipped(change: Change, reason: String) -> AppliedChange {
        AppliedChange {
            change,
            status: Status::Skipped,
            reason: Some(reason),
            error_code: None,
        }
    }

    pub fn failed(change: Change, failure: &Failure) -> AppliedChange {
        AppliedChange {
            change,
            status: Status::Failed,
            reason: failure.reason.clone(),
            error_code: failure.code.clone(),
        }
    }
}

/// Why a written resource is not applied: the journal's reason, and the
/// AWS error code when AWS refused the write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Failure {
    pub reason: Option<String>,
    pub code: Option<String>,
}

/// Refuse a reviewed plan made with other configuration or policy files.
pub fn check_fingerprint(plan: &PlanDocument, current: &str) -> Result<(), Refusal> {
    if plan.config == current {
        return Ok(());
    }
    if !plan.config.starts_with(plan::FINGERPRINT_PREFIX) {
        return Err(Refusal::OtherVersion {
            plan: plan.run_id.clone(),
        });
    }
    Err(Refusal::OtherConfiguration {
        plan: plan.run_id.clone(),
        planned: plan.config.clone(),
        current: current.to_string(),
    })
}

/// Refuse a plan naming resources the scan did not find, unless their
/// account or region could not be read (those are skipped, not refused).
pub fn check_known(
    plan: &PlanDocument,
    found: &HashMap<&str, &Resource>,
    errors: &[ScanError],
) -> Result<(), Refusal> {
    let could_not_read = |c: &Change| {
        errors.iter().any(|e| {
            e.account.covers(&c.account)
                && e.covers_type(&c.resource_type)
                && (e.region.covers(&c.region)
                    // Buckets are listed account-wide (region `global` in errors).
                    || (c.resource_type == "s3:bucket" && e.region == RegionScope::Global))
        })
    };
    let unknown: Vec<&str> = plan
        .changes
        .iter()
        .filter(|c| !found.contains_key(c.arn.as_str()) && !could_not_read(c))
        .map(|c| c.arn.as_str())
        .collect();
    match unknown.first() {
        None => Ok(()),
        Some(example) => Err(Refusal::UnknownResources {
            count: unknown.len(),
            example: example.to_string(),
        }),
    }
}

/// The blast-radius cap.
pub fn check_cap(changes: usize, cap: usize) -> Result<(), Refusal> {
    if changes > cap {
        return Err(Refusal::OverCap { changes, cap });
    }
    Ok(())
}

/// The changes the policies would make now, by (arn, policy): what a
/// reviewed change is checked against.
pub struct Replanned(HashMap<(Arn, String), Change>);

impl Replanned {
    pub fn new(resources: &[Resource], policies: &[Policy], now: DateTime<Utc>) -> Replanned {
        let changes = plan::plan(resources, policies, now).changes;
        Replanned(
            changes
                .into_iter()
                .map(|c| ((c.arn.clone(), c.policy.clone()), c))
                .collect(),
        )
    }

    fn get(&self, c: &Change) -> Option<&Change> {
        self.0.get(&(c.arn.clone(), c.policy.clone()))
    }
}

/// Split candidate changes into those to write now and those held back
/// (skipped, with the reason): not yet due, the resource unreadable or
/// changed since the plan, or (for a reviewed plan, `replanned`) no longer
/// what the policies would do now.
pub fn select(
    candidates: Vec<Change>,
    found: &HashMap<&str, &Resource>,
    replanned: Option<&Replanned>,
    now: DateTime<Utc>,
) -> (Vec<Change>, Vec<AppliedChange>) {
    let mut to_apply = Vec::new();
    let mut held = Vec::new();
    for c in candidates {
        match hold_reason(&c, found.get(c.arn.as_str()).copied(), replanned, now) {
            Some(reason) => held.push(AppliedChange::skipped(c, reason)),
            None => to_apply.push(c),
        }
    }
    (to_apply, held)
}

fn hold_reason(
    c: &Change,
    resource: Option<&Resource>,
    replanned: Option<&Replanned>,
    now: DateTime<Utc>,
) -> Option<String> {
    if let Some(due) = c.due.filter(|due| *due > now) {
        return Some(format!("scheduled: due at {}", rfc3339(due)));
    }
    let Some(r) = resource else {
        return Some("the resource could not be read now".into());
    };
    stale(c, r).or_else(|| not_planned_now(c, replanned?.get(c)))
}

/// Why a planned change no longer applies: the resource's current tags differ
/// from what the plan saw.
pub fn stale(c: &Change, r: &Resource) -> Option<String> {
    if let Some(why) = &r.tags_unreadable {
        return Some(format!("tags unknown: {why}"));
    }
    let changed: Vec<String> = c
        .previous
        .iter()
        .filter(|(k, prev)| r.tags.get(*k) != prev.as_ref())
        .map(|(k, prev)| {
            format!(
                "`{k}` is now {} (the plan saw {})",
                shown(r.tags.get(k)),
                shown(prev.as_ref())
            )
        })
        .collect();
    (!changed.is_empty())
        .then(|| format!("changed since the plan was made: {}", changed.join(", ")))
}

/// Why a reviewed change is not what the policies would do now (`now`: the
/// change they would make to that resource, if any). None when it is.
pub fn not_planned_now(c: &Change, now: Option<&Change>) -> Option<String> {
    match now {
        Some(n) if n.set == c.set && n.previous == c.previous => {
            n.due.map(|due| format!("scheduled: due at {}", rfc3339(due)))
        }
        Some(_) => Some("no longer planned as reviewed: the policies would now write other tags; make a new plan".into()),
        None => Some(
            "no longer planned: the policies would not change this resource now (window closed, out of scope, or the plan file was edited); make a new plan"
                .into(),
        ),
    }
}

/// The question asked before writing.
pub fn confirmation_prompt(changes: &[Change]) -> String {
    let accounts: BTreeSet<&str> = changes.iter().map(|c| c.account.as_str()).collect();
    let keys: usize = changes.iter().map(|c| c.set.len()).sum();
    format!(
        "Write {keys} tag(s) on {} resource(s) in {} account(s)?",
        changes.len(),
        accounts.len()
    )
}

/// Tags to put on one resource, and keys to remove from it (each only while
/// it still holds the value given: a rollback never removes someone else's value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagWrite {
    pub arn: Arn,
    pub account: String,
    pub region: String,
    pub resource_type: String,
    pub set: BTreeMap<String, String>,
    pub remove: BTreeMap<String, String>,
    /// What each key in `set` held when the change was decided (None:
    /// absent). S3's read-merge-write refuses a bucket where it differs, so
    /// that a value set since (and not yet visible to the Tagging API) is not
    /// overwritten; the other APIs write unconditionally.
    pub expect: BTreeMap<String, Option<String>>,
}

impl TagWrite {
    /// A write on one resource, with nothing to set or remove yet.
    pub fn empty(arn: &Arn, account: &str, region: &str, resource_type: &str) -> TagWrite {
        TagWrite {
            arn: arn.clone(),
            account: account.to_string(),
            region: region.to_string(),
            resource_type: resource_type.to_string(),
            set: BTreeMap::new(),
            remove: BTreeMap::new(),
            expect: BTreeMap::new(),
        }
    }

    pub fn of(c: &Change) -> TagWrite {
        TagWrite {
            set: c.set.clone(),
            expect: c.previous.clone(),
            ..TagWrite::empty(&c.arn, &c.account, &c.region, &c.resource_type)
        }
    }

    /// The write less what `current` (read just before it) already shows:
    /// a key already holding its value is not written again, a key already
    /// gone not removed again. None when nothing is left to write.
    pub fn still_needed(&self, current: &Tags) -> Option<TagWrite> {
        let mut left = self.clone();
        left.set.retain(|k, v| current.get(k) != Some(v));
        left.remove.retain(|k, _| current.contains_key(k));
        left.expect.retain(|k, _| left.set.contains_key(k));
        (!left.set.is_empty() || !left.remove.is_empty()).then_some(left)
    }

    /// Whether the tags read back show the write: every key set to its
    /// value, every removed key no longer holding the removed value.
    pub fn shows(&self, tags: &Tags) -> bool {
        self.set.iter().all(|(k, v)| tags.get(k) == Some(v))
            && self.remove.iter().all(|(k, v)| tags.get(k) != Some(v))
    }
}

/// One write per resource: the changes of several policies merged.
pub fn merge_writes(writes: impl IntoIterator<Item = TagWrite>) -> Vec<TagWrite> {
    let mut by_arn: BTreeMap<Arn, TagWrite> = BTreeMap::new();
    for w in writes {
        match by_arn.get_mut(w.arn.as_str()) {
            Some(existing) => {
                existing.set.extend(w.set);
                existing.remove.extend(w.remove);
                existing.expect.extend(w.expect);
            }
            None => {
                by_arn.insert(w.arn.clone(), w);
            }
        }
    }
    by_arn.into_values().collect()
}

/// Why a read-merge-write (S3, whose API replaces the whole tag set)
/// refuses a resource.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeRefusal {
    /// A key holds neither what the change expected nor what it writes:
    /// someone set it since (the Tagging API the scan read may lag).
    #[error("changed since it was read: {0}; not overwritten")]
    Changed(String),
    /// A key a rollback removes or restores no longer holds what tagwarden
    /// wrote: someone set it since.
    #[error("changed since tagwarden wrote it: {0}; left as it is")]
    ChangedSinceApply(String),
    #[error("the resource would have {0} user tags, over AWS's limit of {MAX_USER_TAGS}")]
    OverTagLimit(usize),
}

/// Whether `w` may still be written over `current` (read just before the
/// write): every key it sets still holds what the change was decided on
/// (or already the value it writes), and every key it removes still holds
/// the value tagwarden wrote. Otherwise someone set it since, and the write
/// of this resource is withheld: nothing of theirs is overwritten or
/// removed.
pub fn unmoved(current: &Tags, w: &TagWrite) -> Result<(), MergeRefusal> {
    let listed = |moved: Vec<String>| moved.join(", ");
    let moved: Vec<String> = w
        .expect
        .iter()
        .filter(|(k, v)| current.get(*k) != v.as_ref() && current.get(*k) != w.set.get(*k))
        .map(|(k, v)| {
            format!(
                "`{k}` is {} on the resource, expected {}",
                shown(current.get(k)),
                shown(v.as_ref())
            )
        })
        .collect();
    if !moved.is_empty() {
        return Err(MergeRefusal::Changed(listed(moved)));
    }
    let moved: Vec<String> = w
        .remove
        .iter()
        .filter(|(k, v)| current.get(*k).is_some_and(|now| now != *v))
        .map(|(k, v)| {
            format!(
                "`{k}` is {} on the resource, tagwarden wrote `{v}`",
                shown(current.get(k))
            )
        })
        .collect();
    if !moved.is_empty() {
        return Err(MergeRefusal::ChangedSinceApply(listed(moved)));
    }
    Ok(())
}

/// The whole tag set to write for `w` given the `current` one: the other
/// keys kept, `set` applied, `remove` keys dropped. Refused when a key
/// moved since (`unmoved`). None when nothing would change.
pub fn merge_tag_set(current: &Tags, w: &TagWrite) -> Result<Option<Tags>, MergeRefusal> {
    unmoved(current, w)?;
    let mut merged = current.clone();
    merged.extend(w.set.clone());
    for (k, v) in &w.remove {
        if merged.get(k) == Some(v) {
            merged.remove(k);
        }
    }
    if merged == *current {
        return Ok(None);
    }
    let user_tags = merged.keys().filter(|k| !k.starts_with("aws:")).count();
    if user_tags > MAX_USER_TAGS {
        return Err(MergeRefusal::OverTagLimit(user_tags));
    }
    Ok(Some(merged))
}

/// The report's entry for each written change: applied, or failed with
/// its resource's failure.
pub fn written(
    to_apply: Vec<Change>,
    failures: &HashMap<String, Failure>,
    already: &HashSet<String>,
) -> Vec<AppliedChange> {
    to_apply
        .into_iter()
        .map(|change| match failures.get(change.arn.as_str()) {
            Some(f) => AppliedChange::failed(change, f),
            None if already.contains(change.arn.as_str()) => AppliedChange::already(change),
            None => AppliedChange::applied(change),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arn::{arn, instance};
    use crate::resource::tags;
    use chrono::TimeZone;

    const ARN: &str = "arn:aws:ec2:us-east-1:111111111111:instance/i-1";

    fn change(set: &[(&str, &str)], previous: &[(&str, Option<&str>)]) -> Change {
        Change {
            arn: arn(ARN),
            account: "111111111111".into(),
            region: "us-east-1".into(),
            resource_type: "ec2:instance".into(),
            policy: "map".into(),
            set: set
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            previous: previous
                .iter()
                .map(|(k, v)| (k.to_string(), v.map(str::to_string)))
                .collect(),
            due: None,
        }
    }

    fn resource(tags: &[(&str, &str)]) -> Resource {
        Resource::new(arn(ARN), "111111111111", "us-east-1", "ec2:instance")
            .with_tags(tags.iter().copied())
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap()
    }

    #[test]
    fn stale_compares_every_previous_value() {
        let c = change(&[("map-migrated", "mig12345")], &[("map-migrated", None)]);
        assert_eq!(stale(&c, &resource(&[("Other", "x")])), None);
        assert_eq!(
            stale(&c, &resource(&[("map-migrated", "mig99999")])).unwrap(),
            "changed since the plan was made: `map-migrated` is now `mig99999` (the plan saw absent)"
        );
        let mut unknown = resource(&[]);
        unknown.tags_unreadable = Some("AccessDenied".into());
        assert_eq!(stale(&c, &unknown).unwrap(), "tags unknown: AccessDenied");
    }

    #[test]
    fn reviewed_changes_must_still_be_planned() {
        let c = change(&[("map-migrated", "mig12345")], &[("map-migrated", None)]);
        assert_eq!(not_planned_now(&c, Some(&c)), None);
        let mut later = c.clone();
        later.due = Some(Utc.with_ymd_and_hms(2099, 1, 1, 0, 0, 0).unwrap());
        assert_eq!(
            not_planned_now(&c, Some(&later)).unwrap(),
            "scheduled: due at 2099-01-01T00:00:00Z"
        );
        let other = change(&[("map-migrated", "mig54321")], &[("map-migrated", None)]);
        assert_eq!(
            not_planned_now(&c, Some(&other)).unwrap(),
            "no longer planned as reviewed: the policies would now write other tags; make a new plan"
        );
        assert_eq!(
            not_planned_now(&c, None).unwrap(),
            "no longer planned: the policies would not change this resource now (window closed, out of scope, or the plan file was edited); make a new plan"
        );
    }

    #[test]
    fn selection_holds_back_what_is_not_due_unreadable_or_stale() {
        let fresh = change(&[("k", "v")], &[("k", None)]);
        let mut later = fresh.clone();
        later.arn = instance("later");
        later.due = Some(now() + chrono::Duration::hours(1));
        let mut gone = fresh.clone();
        gone.arn = instance("gone");
        let r = resource(&[]);
        let found: HashMap<&str, &Resource> = [(ARN, &r)].into();
        let (to_apply, held) = select(vec![fresh.clone(), later, gone], &found, None, now());
        assert_eq!(to_apply, std::slice::from_ref(&fresh));
        let reasons: Vec<&str> = held.iter().map(|h| h.reason.as_deref().unwrap()).collect();
        assert_eq!(
            reasons,
            [
                "scheduled: due at 2026-12-01T01:00:00Z",
                "the resource could not be read now"
            ]
        );
        assert!(held.iter().all(|h| h.status == Status::Skipped));
        // A due time already passed is due now.
        let mut past = fresh.clone();
        past.due = Some(now() - chrono::Duration::hours(1));
        assert_eq!(select(vec![past], &found, None, now()).0.len(), 1);
        // Stale: the key was set since the plan.
        let tagged = resource(&[("k", "someone")]);
        let found: HashMap<&str, &Resource> = [(ARN, &tagged)].into();
        let (to_apply, held) = select(vec![fresh], &found, None, now());
        assert!(to_apply.is_empty());
        assert!(held[0]
            .reason
            .as_deref()
            .unwrap()
            .starts_with("changed since the plan"));
    }

    #[test]
    fn reviewed_changes_are_checked_against_the_policies_now() {
        let c = change(&[("k", "v")], &[("k", None)]);
        let r = resource(&[]);
        let found: HashMap<&str, &Resource> = [(ARN, &r)].into();
        let nothing = Replanned(HashMap::new());
        let (to_apply, held) = select(vec![c.clone()], &found, Some(&nothing), now());
        assert!(to_apply.is_empty());
        assert!(held[0]
            .reason
            .as_deref()
            .unwrap()
            .starts_with("no longer planned:"));
        let same = Replanned([((arn(ARN), "map".to_string()), c.clone())].into());
        assert_eq!(select(vec![c.clone()], &found, Some(&same), now()).0, [c]);
    }

    #[test]
    fn refusals_before_writing() {
        let plan = PlanDocument {
            run_id: "p1".into(),
            generated_at: now(),
            at: now(),
            config: "sha256:aaa".into(),
            changes: vec![change(&[("k", "v")], &[("k", None)])],
            skipped: vec![],
            errors: vec![],
            costs: Default::default(),
            cost_currency: None,
        };
        assert_eq!(check_fingerprint(&plan, "sha256:aaa"), Ok(()));
        assert_eq!(
            check_fingerprint(&plan, "sha256:bbb").unwrap_err().to_string(),
            "the plan p1 was made with another configuration or other policies (fingerprint sha256:aaa, now sha256:bbb): make a new plan"
        );
        let older = PlanDocument {
            config: "0123456789abcdef".into(),
            ..plan.clone()
        };
        assert_eq!(
            check_fingerprint(&older, "sha256:bbb").unwrap_err().to_string(),
            "the plan p1 was made by an earlier tagwarden, whose configuration fingerprint this version cannot check: make a new plan"
        );
        let none = HashMap::new();
        assert_eq!(
            check_known(&plan, &none, &[]).unwrap_err().to_string(),
            format!("the plan names 1 resource(s) that do not exist in the configured accounts and regions (e.g. {ARN}); nothing was written")
        );
        // Not found because its region could not be read: not refused.
        for errors in [
            ScanError::region("111111111111", "us-east-1", "throttled"),
            ScanError::account("111111111111", "throttled"),
        ] {
            let errors = [errors];
            assert_eq!(check_known(&plan, &none, &errors), Ok(()), "{errors:?}");
        }
        let r = resource(&[]);
        assert_eq!(check_known(&plan, &[(ARN, &r)].into(), &[]), Ok(()));
        assert_eq!(check_cap(3, 3), Ok(()));
        assert_eq!(
            check_cap(4, 3).unwrap_err().to_string(),
            "4 changes exceed the blast-radius cap of 3 (`limits.max_changes_per_run`); nothing was written. Review them with `tagwarden plan`, then pass --max-changes 4 to allow them"
        );
    }

    #[test]
    fn writes_merge_per_resource() {
        let w = |k: &str| TagWrite {
            set: BTreeMap::from([(k.to_string(), "v".to_string())]),
            expect: BTreeMap::from([(k.to_string(), None)]),
            ..TagWrite::empty(&arn("arn:aws:s3:::a"), "1", "r", "s3:bucket")
        };
        let merged = merge_writes([w("x"), w("y")]);
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].set.len(), 2);
        assert_eq!(merged[0].expect.len(), 2);
        let tags: Tags = [
            ("x".to_string(), "v".to_string()),
            ("y".to_string(), "v".to_string()),
        ]
        .into();
        assert!(merged[0].shows(&tags));
        assert!(!merged[0].shows(&Tags::new()));
        let mut removal = TagWrite::empty(&arn("arn:aws:s3:::a"), "1", "r", "s3:bucket");
        removal.remove.insert("x".into(), "v".into());
        assert!(!removal.shows(&tags), "the removed value is still there");
        assert!(removal.shows(&[("x".to_string(), "other".to_string())].into()));
    }

    #[test]
    fn read_merge_write_keeps_other_tags_and_refuses_moved_keys() {
        let w = TagWrite::of(&change(
            &[("map-migrated", "mig12345")],
            &[("map-migrated", None)],
        ));
        let merged = merge_tag_set(&tags(&[("Owner", "a")]), &w)
            .unwrap()
            .unwrap();
        assert_eq!(
            merged,
            tags(&[("Owner", "a"), ("map-migrated", "mig12345")])
        );
        // Already written (a retried run): nothing to do.
        assert_eq!(merge_tag_set(&merged, &w), Ok(None));
        // Set since the change was decided, to another value: refused.
        assert_eq!(
            merge_tag_set(&tags(&[("map-migrated", "mig99999")]), &w).unwrap_err().to_string(),
            "changed since it was read: `map-migrated` is `mig99999` on the resource, expected absent; not overwritten"
        );
        // A removal drops the key only while it holds the value.
        let mut removal = TagWrite::empty(&arn("arn:aws:s3:::a"), "1", "r", "s3:bucket");
        removal.remove.insert("Team".into(), "web".into());
        assert_eq!(
            merge_tag_set(&tags(&[("Team", "web")]), &removal),
            Ok(Some(Tags::new()))
        );
        // Someone set it since: refused, nothing of theirs removed.
        assert_eq!(
            merge_tag_set(&tags(&[("Team", "data")]), &removal).unwrap_err().to_string(),
            "changed since tagwarden wrote it: `Team` is `data` on the resource, tagwarden wrote `web`; left as it is"
        );
        // Already gone: nothing to do.
        assert_eq!(merge_tag_set(&Tags::new(), &removal), Ok(None));
    }

    #[test]
    fn a_write_is_withheld_when_a_key_moved_since_it_was_read() {
        let w = TagWrite::of(&change(
            &[("map-migrated", "mig12345")],
            &[("map-migrated", None)],
        ));
        assert_eq!(unmoved(&tags(&[("Owner", "a")]), &w), Ok(()));
        assert_eq!(unmoved(&tags(&[("map-migrated", "mig12345")]), &w), Ok(()));
        assert!(matches!(
            unmoved(&tags(&[("map-migrated", "mig99999")]), &w),
            Err(MergeRefusal::Changed(_))
        ));
        // A rollback's restore: expects tagwarden's value, sets the old one.
        let restore = TagWrite::of(&change(
            &[("map-migrated", "mig00001")],
            &[("map-migrated", Some("mig12345"))],
        ));
        assert_eq!(
            unmoved(&tags(&[("map-migrated", "mig12345")]), &restore),
            Ok(())
        );
        assert_eq!(
            unmoved(&tags(&[("map-migrated", "migPERSON")]), &restore)
                .unwrap_err()
                .to_string(),
            "changed since it was read: `map-migrated` is `migPERSON` on the resource, expected `mig12345`; not overwritten"
        );
        // A rollback's removal: only while the key holds tagwarden's value.
        let mut removal = TagWrite::empty(&arn(ARN), "1", "r", "ec2:instance");
        removal
            .remove
            .insert("map-migrated".into(), "mig12345".into());
        assert_eq!(
            unmoved(&tags(&[("map-migrated", "mig12345")]), &removal),
            Ok(())
        );
        assert_eq!(unmoved(&Tags::new(), &removal), Ok(()));
        assert!(matches!(
            unmoved(&tags(&[("map-migrated", "migPERSON")]), &removal),
            Err(MergeRefusal::ChangedSinceApply(_))
        ));
    }

    #[test]
    fn read_merge_write_never_exceeds_fifty_user_tags() {
        let mut current: Tags = (0..50)
            .map(|i| (format!("k{i:02}"), "v".to_string()))
            .collect();
        let w = TagWrite::of(&change(
            &[("map-migrated", "mig12345")],
            &[("map-migrated", None)],
        ));
        assert_eq!(
            merge_tag_set(&current, &w).unwrap_err().to_string(),
            "the resource would have 51 user tags, over AWS's limit of 50"
        );
        // `aws:` tags do not count.
        current.remove("k00");
        current.insert("aws:cloudformation:stack-name".into(), "s".into());
        assert!(merge_tag_set(&current, &w).unwrap().is_some());
    }

    #[test]
    fn only_what_the_tags_do_not_show_yet_is_written() {
        let mut w = TagWrite::of(&change(
            &[("k", "v"), ("j", "w")],
            &[("k", None), ("j", None)],
        ));
        w.remove.insert("old".into(), "x".into());
        let left = w.still_needed(&tags(&[("k", "v"), ("old", "x")])).unwrap();
        assert_eq!(left.set, BTreeMap::from([("j".into(), "w".into())]));
        assert_eq!(left.expect, BTreeMap::from([("j".into(), None)]));
        assert_eq!(left.remove, w.remove);
        assert!(w.still_needed(&tags(&[("k", "v"), ("j", "w")])).is_none());
    }

    #[test]
    fn written_changes_carry_their_failure() {
        let ok = change(&[("k", "v")], &[("k", None)]);
        let mut bad = ok.clone();
        bad.arn = instance("bad");
        let failures = HashMap::from([(
            bad.arn.to_string(),
            Failure {
                reason: Some("ec2:CreateTags: InvalidID: no".into()),
                code: Some("InvalidID".into()),
            },
        )]);
        let mut there = ok.clone();
        there.arn = instance("there");
        let already = HashSet::from([there.arn.to_string()]);
        let out = written(vec![ok, bad, there], &failures, &already);
        assert_eq!(out[0].status, Status::Applied);
        assert_eq!(
            (out[1].status, out[1].error_code.as_deref()),
            (Status::Failed, Some("InvalidID"))
        );
        assert_eq!(out[2].status, Status::Already);
        assert_eq!(out[2].status.as_str(), "already");
    }

    #[test]
    fn the_prompt_counts_keys_resources_and_accounts() {
        let mut other = change(&[("k", "v"), ("j", "w")], &[]);
        other.account = "222222222222".into();
        assert_eq!(
            confirmation_prompt(&[change(&[("k", "v")], &[]), other]),
            "Write 3 tag(s) on 2 resource(s) in 2 account(s)?"
        );
    }
}
