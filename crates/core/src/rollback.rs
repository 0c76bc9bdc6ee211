//! Rollback's pure decisions: which of a run's journaled keys can be
//! restored (settling writes an interruption left pending), what each
//! resource gets back, and what the rollback run journals and reports.

use crate::apply_rules::{AppliedChange, Failure, TagWrite};
use crate::journal::{ChangeState, JournalEntry, KeyChange, Mark};
use crate::plan::{Change, Skip};
use crate::resource::{shown, Arn, Tags};
use crate::scan::ScanError;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Display;

/// One resource's restoration: the write, and the run's entries it undoes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restore {
    pub write: TagWrite,
    pub entries: Vec<JournalEntry>,
}

/// What a rollback will do, decided from the run's journal and the tags
/// read now.
#[derive(Debug, Default)]
pub struct RollbackPlan {
    /// The run's pending entries (an interrupted run), settled now.
    pub settled: Vec<Mark>,
    pub restores: Vec<Restore>,
    /// Resources left as they are, and why.
    pub skipped: Vec<Skip>,
    /// Resources whose tags could not be read (the command exits 3).
    pub errors: Vec<ScanError>,
}

/// The entries a rollback can undo: applied, or pending (maybe applied).
pub fn undoable(entries: Vec<JournalEntry>) -> Vec<JournalEntry> {
    entries
        .into_iter()
        .filter(|e| matches!(e.state, ChangeState::Applied | ChangeState::Pending))
        .collect()
}

/// Decide the rollback of `run_id` from its undoable entries and the current
/// tags (an absent ARN: its account could not be entered).
pub fn plan_rollback<R: Display>(
    run_id: &str,
    entries: Vec<JournalEntry>,
    current: &HashMap<String, Result<Tags, R>>,
) -> RollbackPlan {
    let mut plan = RollbackPlan::default();
    let mut by_resource: BTreeMap<Arn, Vec<JournalEntry>> = BTreeMap::new();
    for e in entries {
        if let Some(e) = settle_pending(e, current, &mut plan) {
            by_resource.entry(e.change.arn.clone()).or_default().push(e);
        }
    }
    for (arn, entries) in by_resource {
        match current.get(arn.as_str()) {
            Some(Ok(tags)) => match changed_since(run_id, &entries, tags) {
                Some(reason) => plan.skipped.push(skip(&entries[0], reason)),
                None => plan.restores.push(restore(entries)),
            },
            Some(Err(why)) => unreadable(
                &mut plan,
                &entries[0],
                format!("tags could not be read: {why}"),
            ),
            None => unreadable(
                &mut plan,
                &entries[0],
                "the account could not be entered".into(),
            ),
        }
    }
    plan
}

/// A pending entry is kept when its write shows now (marked applied),
/// dropped when it does not (marked not applied) or cannot be read.
fn settle_pending<R>(
    e: JournalEntry,
    current: &HashMap<String, Result<Tags, R>>,
    plan: &mut RollbackPlan,
) -> Option<JournalEntry> {
    if e.state != ChangeState::Pending {
        return Some(e);
    }
    let now = current
        .get(e.change.arn.as_str())
        .and_then(|r| r.as_ref().ok())
        .map(|t| t.get(&e.change.key).cloned());
    match now {
        Some(v) if v == e.change.new => {
            plan.settled.push(Mark::new(e.id, ChangeState::Applied));
            Some(e)
        }
        Some(_) => {
            plan.settled.push(Mark::new(e.id, ChangeState::NotApplied));
            None
        }
        None => {
            let why = "an interrupted write whose outcome cannot be read; left pending";
            unreadable(plan, &e, why.into());
            None
        }
    }
}

fn unreadable(plan: &mut RollbackPlan, e: &JournalEntry, why: String) {
    plan.errors.push(ScanError::region(
        &e.change.account,
        &e.change.region,
        format!("{}: {why}", e.change.arn),
    ));
    plan.skipped.push(skip(e, why));
}

fn skip(e: &JournalEntry, reason: String) -> Skip {
    e.change.skip(reason)
}

/// Every key must still hold what the run wrote; otherwise someone changed
/// it since, and the whole resource is left as it is.
fn changed_since(run_id: &str, entries: &[JournalEntry], tags: &Tags) -> Option<String> {
    let changed: Vec<String> = entries
        .iter()
        .map(|e| &e.change)
        .filter(|c| tags.get(&c.key) != c.new.as_ref())
        .map(|c| {
            format!(
                "`{}` is now {} (the run wrote {})",
                c.key,
                shown(tags.get(&c.key)),
                shown(c.new.as_ref())
            )
        })
        .collect();
    (!changed.is_empty()).then(|| {
        format!(
            "changed since run {run_id}: {}; left as it is",
            changed.join(", ")
        )
    })
}

/// Each key back to its previous value, or removed where the run added it
/// (only while it still holds the value the run wrote).
fn restore(entries: Vec<JournalEntry>) -> Restore {
    let first = &entries[0].change;
    let mut write = TagWrite::empty(
        &first.arn,
        &first.account,
        &first.region,
        &first.resource_type,
    );
    for c in entries.iter().map(|e| &e.change) {
        match (&c.previous, &c.new) {
            (Some(previous), _) => {
                write.set.insert(c.key.clone(), previous.clone());
                write.expect.insert(c.key.clone(), c.new.clone());
            }
            (None, Some(new)) => {
                write.remove.insert(c.key.clone(), new.clone());
            }
            (None, None) => {}
        }
    }
    Restore { write, entries }
}

/// The rollback run's own journal: each key change inverted, in the order
/// of the restores' entries.
pub fn inverse(restores: &[Restore]) -> Vec<KeyChange> {
    restores
        .iter()
        .flat_map(|r| &r.entries)
        .map(|e| KeyChange {
            previous: e.change.new.clone(),
            new: e.change.previous.clone(),
            ..e.change.clone()
        })
        .collect()
}

/// The undone run's entries whose inverse was applied (`marks` are the
/// rollback's, in `inverse` order): marked rolled back.
pub fn rolled_back(restores: &[Restore], marks: &[Mark]) -> Vec<Mark> {
    restores
        .iter()
        .flat_map(|r| &r.entries)
        .zip(marks)
        // `already`: the key was back as before when the rollback read it.
        .filter(|(_, m)| matches!(m.state, ChangeState::Applied | ChangeState::Already))
        .map(|(e, _)| Mark::new(e.id, ChangeState::RolledBack))
        .collect()
}

/// The report's entry per restored resource: the values written back (and
/// the keys removed), applied or failed with its resource's failure.
pub fn report_changes(
    restores: &[Restore],
    failures: &HashMap<String, Failure>,
) -> Vec<AppliedChange> {
    restores
        .iter()
        .map(|r| {
            let change = restored_change(r);
            let removed: Vec<&str> = r.write.remove.keys().map(String::as_str).collect();
            match failures.get(r.write.arn.as_str()) {
                Some(f) => AppliedChange::failed(change, f),
                None if removed.is_empty() => AppliedChange::applied(change),
                None => AppliedChange {
                    reason: Some(format!("removed {}", removed.join(", "))),
                    ..AppliedChange::applied(change)
                },
            }
        })
        .collect()
}

fn restored_change(r: &Restore) -> Change {
    let w = &r.write;
    Change {
        arn: w.arn.clone(),
        account: w.account.clone(),
        region: w.region.clone(),
        resource_type: w.resource_type.clone(),
        policy: r.entries[0].change.policy.clone(),
        set: w.set.clone(),
        previous: r
            .entries
            .iter()
            .map(|e| (e.change.key.clone(), e.change.new.clone()))
            .collect(),
        due: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apply_rules::Status;

    fn entry(
        id: i64,
        arn: &str,
        key: &str,
        previous: Option<&str>,
        new: &str,
        state: ChangeState,
    ) -> JournalEntry {
        JournalEntry {
            id,
            run_id: "run".into(),
            change: KeyChange {
                arn: crate::arn::instance(arn),
                account: "111111111111".into(),
                region: "us-east-1".into(),
                resource_type: "ec2:instance".into(),
                policy: "map".into(),
                key: key.into(),
                previous: previous.map(str::to_string),
                new: Some(new.into()),
            },
            state,
            error: None,
        }
    }

    fn tags(pairs: &[(&str, &str)]) -> Result<Tags, String> {
        Ok(pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect())
    }

    #[test]
    fn only_applied_and_pending_entries_are_undone() {
        let states = ChangeState::ALL;
        let entries: Vec<JournalEntry> = states
            .iter()
            .enumerate()
            .map(|(i, s)| entry(i as i64, "a", "k", None, "v", *s))
            .collect();
        let kept: Vec<ChangeState> = undoable(entries).iter().map(|e| e.state).collect();
        assert_eq!(kept, [ChangeState::Pending, ChangeState::Applied]);
    }

    #[test]
    fn restores_previous_values_and_removes_added_keys() {
        let entries = vec![
            entry(
                1,
                "a",
                "map-migrated",
                Some("MIG1"),
                "mig12345",
                ChangeState::Applied,
            ),
            entry(2, "a", "Team", None, "web", ChangeState::Applied),
        ];
        let current = HashMap::from([(
            crate::arn::instance("a").to_string(),
            tags(&[("map-migrated", "mig12345"), ("Team", "web")]),
        )]);
        let plan = plan_rollback("run", entries, &current);
        assert!(plan.skipped.is_empty() && plan.errors.is_empty() && plan.settled.is_empty());
        let w = &plan.restores[0].write;
        assert_eq!(
            w.set,
            BTreeMap::from([("map-migrated".to_string(), "MIG1".to_string())])
        );
        assert_eq!(
            w.expect,
            BTreeMap::from([("map-migrated".to_string(), Some("mig12345".to_string()))])
        );
        assert_eq!(
            w.remove,
            BTreeMap::from([("Team".to_string(), "web".to_string())])
        );

        let inverse = inverse(&plan.restores);
        assert_eq!(
            inverse
                .iter()
                .map(|k| (k.key.as_str(), k.previous.as_deref(), k.new.as_deref()))
                .collect::<Vec<_>>(),
            [
                ("map-migrated", Some("mig12345"), Some("MIG1")),
                ("Team", Some("web"), None)
            ]
        );
        let marks = [
            Mark::new(10, ChangeState::Applied),
            Mark::new(11, ChangeState::Applied),
        ];
        assert_eq!(
            rolled_back(&plan.restores, &marks),
            [
                Mark::new(1, ChangeState::RolledBack),
                Mark::new(2, ChangeState::RolledBack)
            ]
        );
        let report = report_changes(&plan.restores, &HashMap::new());
        assert_eq!(report[0].status, Status::Applied);
        assert_eq!(report[0].reason.as_deref(), Some("removed Team"));
        assert_eq!(report[0].change.set, w.set);
        assert_eq!(report[0].change.previous["Team"].as_deref(), Some("web"));
    }

    #[test]
    fn a_failed_restore_is_reported_and_not_marked_rolled_back() {
        let entries = vec![entry(1, "a", "k", Some("old"), "v", ChangeState::Applied)];
        let current = HashMap::from([(crate::arn::instance("a").to_string(), tags(&[("k", "v")]))]);
        let plan = plan_rollback("run", entries, &current);
        let marks = [Mark {
            id: 9,
            state: ChangeState::Failed,
            error: Some("AccessDenied".into()),
        }];
        assert!(rolled_back(&plan.restores, &marks).is_empty());
        let failures = crate::journal::failures(&inverse(&plan.restores), &marks);
        let report = report_changes(&plan.restores, &failures);
        assert_eq!(
            (report[0].status, report[0].reason.as_deref()),
            (Status::Failed, Some("AccessDenied"))
        );
    }

    #[test]
    fn a_resource_changed_since_the_run_is_left_alone() {
        let entries = vec![
            entry(1, "a", "k", None, "v", ChangeState::Applied),
            entry(2, "a", "j", None, "w", ChangeState::Applied),
        ];
        let current = HashMap::from([(
            crate::arn::instance("a").to_string(),
            tags(&[("k", "someone"), ("j", "w")]),
        )]);
        let plan = plan_rollback("run-7", entries, &current);
        assert!(plan.restores.is_empty(), "the whole resource is left");
        assert_eq!(
            plan.skipped[0].reason,
            "changed since run run-7: `k` is now `someone` (the run wrote `v`); left as it is"
        );
        assert!(plan.errors.is_empty());
    }

    #[test]
    fn pending_entries_are_settled_first() {
        let entries = vec![
            entry(1, "landed", "k", None, "v", ChangeState::Pending),
            entry(2, "lost", "k", None, "v", ChangeState::Pending),
            entry(3, "unreadable", "k", None, "v", ChangeState::Pending),
        ];
        let current = HashMap::from([
            (
                crate::arn::instance("landed").to_string(),
                tags(&[("k", "v")]),
            ),
            (crate::arn::instance("lost").to_string(), tags(&[])),
            (
                crate::arn::instance("unreadable").to_string(),
                Err("AccessDenied".to_string()),
            ),
        ]);
        let plan = plan_rollback("run", entries, &current);
        assert_eq!(
            plan.settled,
            [
                Mark::new(1, ChangeState::Applied),
                Mark::new(2, ChangeState::NotApplied)
            ]
        );
        assert_eq!(plan.restores.len(), 1);
        assert_eq!(plan.restores[0].write.arn.id(), "landed");
        assert_eq!(
            plan.skipped[0].reason,
            "an interrupted write whose outcome cannot be read; left pending"
        );
        assert_eq!(
            plan.errors[0].message,
            "arn:aws:ec2:us-east-1:111111111111:instance/unreadable: an interrupted write whose outcome cannot be read; left pending"
        );
    }

    #[test]
    fn unreadable_resources_are_errors() {
        let entries = vec![
            entry(1, "denied", "k", None, "v", ChangeState::Applied),
            entry(2, "elsewhere", "k", None, "v", ChangeState::Applied),
        ];
        let current = HashMap::from([(
            crate::arn::instance("denied").to_string(),
            Err::<Tags, _>("AccessDenied".to_string()),
        )]);
        let plan = plan_rollback("run", entries, &current);
        let reasons: Vec<&str> = plan.skipped.iter().map(|s| s.reason.as_str()).collect();
        assert_eq!(
            reasons,
            [
                "tags could not be read: AccessDenied",
                "the account could not be entered"
            ]
        );
        assert_eq!(plan.errors.len(), 2);
    }
}
