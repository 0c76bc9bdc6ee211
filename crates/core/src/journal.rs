//! The change journal's pure side: what is journaled before a write, the
//! states an entry goes through, and the decisions made from the tags read
//! back afterwards (a run's outcome, settling an interrupted run). The state
//! store (SQLite, in the binary) keeps it.

use crate::apply_rules::Failure;
use crate::cycle_summary::{CycleResult, CycleSummary};
use crate::plan::{Change, Skip};
use crate::resource::{shown, Arn, Tags};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::fmt::Display;

/// The state of one journaled key write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeState {
    /// Journaled; the request may or may not have reached AWS (or AWS took
    /// it but it did not show when read back). Settled by the next apply or
    /// rollback.
    Pending,
    /// Written, and read back.
    Applied,
    /// AWS refused it.
    Failed,
    /// An interrupted run's write that was found not to have happened.
    NotApplied,
    /// Undone by a rollback run.
    RolledBack,
    /// The key already held the value (or, for a removal, was already
    /// gone) when read just before the write: another run or a person got
    /// there first, so this run neither wrote it nor counts it as its own,
    /// and a rollback of this run leaves it.
    Already,
}

/// A state read from the store that this version does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown journal state `{0}` in the state store: it was written by a newer tagwarden or edited by hand; use the tagwarden that wrote it")]
pub struct UnknownState(pub String);

impl ChangeState {
    pub const ALL: [ChangeState; 6] = [
        ChangeState::Pending,
        ChangeState::Applied,
        ChangeState::Failed,
        ChangeState::NotApplied,
        ChangeState::RolledBack,
        ChangeState::Already,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChangeState::Pending => "pending",
            ChangeState::Applied => "applied",
            ChangeState::Failed => "failed",
            ChangeState::NotApplied => "not_applied",
            ChangeState::RolledBack => "rolled_back",
            ChangeState::Already => "already",
        }
    }

    pub fn parse(s: &str) -> Result<ChangeState, UnknownState> {
        ChangeState::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| UnknownState(s.to_string()))
    }
}

/// One key written (or removed, when `new` is None) on one resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyChange {
    pub arn: Arn,
    pub account: String,
    pub region: String,
    pub resource_type: String,
    pub policy: String,
    pub key: String,
    pub previous: Option<String>,
    pub new: Option<String>,
}

impl KeyChange {
    /// Its resource and policy, left unchanged for `reason`.
    pub fn skip(&self, reason: String) -> Skip {
        Skip {
            arn: self.arn.clone(),
            account: self.account.clone(),
            region: self.region.clone(),
            resource_type: self.resource_type.clone(),
            policy: self.policy.clone(),
            reason,
        }
    }
}

/// A journaled key change, with its state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JournalEntry {
    pub id: i64,
    pub run_id: String,
    #[serde(flatten)]
    pub change: KeyChange,
    pub state: ChangeState,
    pub error: Option<String>,
}

/// A new state for a journaled entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    pub id: i64,
    pub state: ChangeState,
    pub error: Option<String>,
}

impl Mark {
    pub fn new(id: i64, state: ChangeState) -> Mark {
        Mark {
            id,
            state,
            error: None,
        }
    }
}

/// What a run in the store is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunKind {
    Apply,
    Rollback,
    /// A daemon cycle (with its summary).
    Cycle,
    /// The daemon writing back a policy's tag that someone removed or
    /// changed (a tag call's event), as `apply` would.
    Restore,
}

/// Where a run stands. Apply and rollback runs end `done` or `failed`;
/// cycles end with their result (`ok`, `partial`, `failed`, `cancelled`);
/// a run still `running` when its process died is `interrupted`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    Done,
    Failed,
    Interrupted,
    Ok,
    Partial,
    Cancelled,
}

/// A kind or status the store holds that this version does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown run {what} `{value}` in the state store")]
pub struct UnknownRunLabel {
    pub what: &'static str,
    pub value: String,
}

impl RunKind {
    pub const ALL: [RunKind; 4] = [
        RunKind::Apply,
        RunKind::Rollback,
        RunKind::Cycle,
        RunKind::Restore,
    ];

    pub fn label(self) -> &'static str {
        match self {
            RunKind::Apply => "apply",
            RunKind::Rollback => "rollback",
            RunKind::Cycle => "cycle",
            RunKind::Restore => "restore",
        }
    }

    pub fn parse(s: &str) -> Result<RunKind, UnknownRunLabel> {
        Self::ALL
            .into_iter()
            .find(|k| k.label() == s)
            .ok_or_else(|| UnknownRunLabel {
                what: "kind",
                value: s.to_string(),
            })
    }
}

impl RunStatus {
    pub const ALL: [RunStatus; 7] = [
        RunStatus::Running,
        RunStatus::Done,
        RunStatus::Failed,
        RunStatus::Interrupted,
        RunStatus::Ok,
        RunStatus::Partial,
        RunStatus::Cancelled,
    ];

    pub fn label(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Done => "done",
            RunStatus::Failed => "failed",
            RunStatus::Interrupted => "interrupted",
            RunStatus::Ok => "ok",
            RunStatus::Partial => "partial",
            RunStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Result<RunStatus, UnknownRunLabel> {
        Self::ALL
            .into_iter()
            .find(|k| k.label() == s)
            .ok_or_else(|| UnknownRunLabel {
                what: "status",
                value: s.to_string(),
            })
    }
}

impl From<CycleResult> for RunStatus {
    fn from(r: CycleResult) -> RunStatus {
        match r {
            CycleResult::Ok => RunStatus::Ok,
            CycleResult::Partial => RunStatus::Partial,
            CycleResult::Failed => RunStatus::Failed,
            CycleResult::Cancelled => RunStatus::Cancelled,
        }
    }
}

/// One run, as `history` lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunRecord {
    pub id: String,
    pub kind: RunKind,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub status: RunStatus,
    /// For a rollback: the run it undid.
    pub rolls_back: Option<String>,
    pub applied: i64,
    /// Keys that already held the value: not written by this run.
    pub already: i64,
    pub failed: i64,
    pub pending: i64,
    pub rolled_back: i64,
    /// A daemon cycle's counts (kind `cycle`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<CycleSummary>,
}

/// The key changes to journal for planned changes: one per key.
pub fn key_changes(changes: &[Change]) -> Vec<KeyChange> {
    changes
        .iter()
        .flat_map(|c| {
            c.set.iter().map(move |(k, v)| KeyChange {
                arn: c.arn.clone(),
                account: c.account.clone(),
                region: c.region.clone(),
                resource_type: c.resource_type.clone(),
                policy: c.policy.clone(),
                key: k.clone(),
                previous: c.previous.get(k).cloned().flatten(),
                new: Some(v.clone()),
            })
        })
        .collect()
}

/// The tags of a run's resources as read just before its writes, and as
/// read back after them.
pub struct Reads<'a, R> {
    pub before: &'a HashMap<String, Result<Tags, R>>,
    pub after: &'a HashMap<String, Result<Tags, R>>,
}

/// Whether the tags read just before the write already show `e`'s value
/// (a removal: the key already gone).
fn held<R>(e: &KeyChange, before: &HashMap<String, Result<Tags, R>>) -> bool {
    matches!(before.get(e.arn.as_str()), Some(Ok(tags)) if tags.get(&e.key) == e.new.as_ref())
}

/// The state of each journaled entry (`ids[i]` is `entries[i]`'s) from the
/// tags read just before the write, the write outcome per ARN and the tags
/// read back: `already` when the key held the value before the write (it
/// is not written), applied only when the write succeeded and the value
/// is there.
pub fn outcome_marks<W: Display, R: Display>(
    entries: &[KeyChange],
    ids: &[i64],
    outcomes: &HashMap<String, Result<(), W>>,
    reads: Reads<'_, R>,
) -> Vec<Mark> {
    let current = reads.after;
    // A write AWS accepted but that does not show when read back may still
    // appear: it stays pending, for the next apply or rollback to settle, and
    // is never reported as applied.
    let unsettled = |id: i64, why: String| {
        Mark {
        id,
        state: ChangeState::Pending,
        error: Some(format!(
            "written, but {why}; left pending in the journal for the next apply or rollback to settle"
        )),
    }
    };
    let failed = |id: i64, why: String| Mark {
        id,
        state: ChangeState::Failed,
        error: Some(why),
    };
    entries
        .iter()
        .zip(ids)
        .map(
            |(e, &id)| match (outcomes.get(e.arn.as_str()), current.get(e.arn.as_str())) {
                _ if held(e, reads.before) => Mark::new(id, ChangeState::Already),
                (Some(Err(why)), _) => failed(id, why.to_string()),
                (None, _) => failed(id, "not written".into()),
                (Some(Ok(())), Some(Ok(tags))) if tags.get(&e.key) == e.new.as_ref() => {
                    Mark::new(id, ChangeState::Applied)
                }
                (Some(Ok(())), Some(Ok(tags))) => unsettled(
                    id,
                    format!(
                        "`{}` read back as {}, expected {}",
                        e.key,
                        shown(tags.get(&e.key)),
                        shown(e.new.as_ref())
                    ),
                ),
                (Some(Ok(())), Some(Err(why))) => {
                    unsettled(id, format!("the tags could not be read back: {why}"))
                }
                (Some(Ok(())), None) => unsettled(id, "the tags were not read back".into()),
            },
        )
        .collect()
}

/// Settle pending entries of interrupted runs against the tags read now: a
/// write that shows is applied, one that does not was never made. Entries
/// whose tags could not be read stay pending (no mark).
pub fn settle<R>(
    pending: &[JournalEntry],
    current: &HashMap<String, Result<Tags, R>>,
) -> Vec<Mark> {
    pending
        .iter()
        .filter_map(|e| {
            let tags = current.get(e.change.arn.as_str())?.as_ref().ok()?;
            let state = if tags.get(&e.change.key) == e.change.new.as_ref() {
                ChangeState::Applied
            } else {
                ChangeState::NotApplied
            };
            Some(Mark::new(e.id, state))
        })
        .collect()
}

/// Per resource, why its write is not applied: the first of its entries
/// not applied (`marks[i]` is `entries[i]`'s). The AWS error code is the
/// caller's to add.
pub fn failures(entries: &[KeyChange], marks: &[Mark]) -> HashMap<String, Failure> {
    let mut out: HashMap<String, Failure> = HashMap::new();
    for (e, m) in entries.iter().zip(marks) {
        if !done(m.state) {
            out.entry(e.arn.to_string()).or_insert(Failure {
                reason: m.error.clone(),
                code: None,
            });
        }
    }
    out
}

/// A key that shows the value: written by the run, or already there.
fn done(state: ChangeState) -> bool {
    matches!(state, ChangeState::Applied | ChangeState::Already)
}

/// The resources every entry of which was `already` (nothing written).
pub fn already(entries: &[KeyChange], marks: &[Mark]) -> HashSet<String> {
    let mut all: HashMap<&str, bool> = HashMap::new();
    for (e, m) in entries.iter().zip(marks) {
        let every = all.entry(e.arn.as_str()).or_insert(true);
        *every &= m.state == ChangeState::Already;
    }
    all.into_iter()
        .filter(|(_, every)| *every)
        .map(|(arn, _)| arn.to_string())
        .collect()
}

/// A run's status once its marks are recorded.
pub fn run_status(marks: &[Mark]) -> RunStatus {
    if marks.iter().all(|m| done(m.state)) {
        RunStatus::Done
    } else {
        RunStatus::Failed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::tags;

    fn key_change(arn: &str) -> KeyChange {
        KeyChange {
            arn: crate::arn::instance(arn),
            account: "1".into(),
            region: "r".into(),
            resource_type: "ec2:instance".into(),
            policy: "p".into(),
            key: "k".into(),
            previous: None,
            new: Some("v".into()),
        }
    }

    #[test]
    fn run_labels_read_back() {
        for k in RunKind::ALL {
            assert_eq!(RunKind::parse(k.label()), Ok(k));
        }
        for s in RunStatus::ALL {
            assert_eq!(RunStatus::parse(s.label()), Ok(s));
        }
        assert_eq!(
            RunStatus::parse("exploded").unwrap_err().to_string(),
            "unknown run status `exploded` in the state store"
        );
        assert_eq!(RunStatus::from(CycleResult::Partial), RunStatus::Partial);
    }

    #[test]
    fn states_round_trip_and_unknown_states_are_errors() {
        for state in ChangeState::ALL {
            assert_eq!(ChangeState::parse(state.as_str()), Ok(state));
        }
        let err = ChangeState::parse("half_done").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown journal state `half_done` in the state store: it was written by a newer tagwarden or edited by hand; use the tagwarden that wrote it"
        );
    }

    #[test]
    fn outcomes_become_journal_states() {
        let entries = ["ok", "refused", "invisible", "unread", "unsent"].map(key_change);
        let outcomes: HashMap<String, Result<(), String>> = [
            (crate::arn::instance("ok").to_string(), Ok(())),
            (
                crate::arn::instance("refused").to_string(),
                Err("AccessDenied".to_string()),
            ),
            (crate::arn::instance("invisible").to_string(), Ok(())),
            (crate::arn::instance("unread").to_string(), Ok(())),
        ]
        .into();
        let current: HashMap<String, Result<Tags, String>> = [
            (
                crate::arn::instance("ok").to_string(),
                Ok(tags(&[("k", "v")])),
            ),
            (
                crate::arn::instance("invisible").to_string(),
                Ok(Tags::new()),
            ),
            (
                crate::arn::instance("unread").to_string(),
                Err("throttled".to_string()),
            ),
        ]
        .into();
        let before = HashMap::new();
        let reads = Reads {
            before: &before,
            after: &current,
        };
        let marks = outcome_marks(&entries, &[1, 2, 3, 4, 5], &outcomes, reads);
        assert_eq!(marks[0], Mark::new(1, ChangeState::Applied));
        assert_eq!(
            (marks[1].state, marks[1].error.as_deref()),
            (ChangeState::Failed, Some("AccessDenied"))
        );
        assert_eq!(
            marks[2].state,
            ChangeState::Pending,
            "accepted but not shown: never applied, never lost"
        );
        assert_eq!(
            marks[2].error.as_deref(),
            Some("written, but `k` read back as absent, expected `v`; left pending in the journal for the next apply or rollback to settle")
        );
        assert_eq!(marks[3].state, ChangeState::Pending);
        assert!(marks[3]
            .error
            .as_deref()
            .unwrap()
            .contains("could not be read back: throttled"));
        assert_eq!(
            (marks[4].state, marks[4].error.as_deref()),
            (ChangeState::Failed, Some("not written"))
        );
        assert_eq!(run_status(&marks), RunStatus::Failed);
        let failures = failures(&entries, &marks);
        let ids: std::collections::BTreeSet<&str> = failures
            .keys()
            .map(|arn| arn.rsplit('/').next().unwrap())
            .collect();
        assert_eq!(ids, ["invisible", "refused", "unread", "unsent"].into());
        let refused = crate::arn::instance("refused").to_string();
        assert_eq!(failures[&refused].reason.as_deref(), Some("AccessDenied"));
        assert_eq!(run_status(&marks[..1]), RunStatus::Done);
    }

    /// Two writers decided the same key: the second finds it holding the
    /// value when it reads just before its write. It neither writes nor
    /// counts it: `already`, not a second `applied` with `previous: null`.
    #[test]
    fn a_key_that_already_holds_the_value_is_already_not_applied() {
        let mut removal = key_change("gone");
        removal.new = None;
        let entries = [
            key_change("there"),
            key_change("there"),
            removal,
            key_change("moved"),
        ];
        let mut entries = entries.to_vec();
        entries[1].key = "k2".into();
        let i = |id: &str| crate::arn::instance(id).to_string();
        let before: HashMap<String, Result<Tags, String>> = [
            (i("there"), Ok(tags(&[("k", "v")]))),
            (i("gone"), Ok(Tags::new())),
            (i("moved"), Ok(tags(&[("k", "other")]))),
        ]
        .into();
        let outcomes: HashMap<String, Result<(), String>> = [
            (i("there"), Ok(())),
            (i("gone"), Ok(())),
            (i("moved"), Err("changed since it was read".to_string())),
        ]
        .into();
        let after: HashMap<String, Result<Tags, String>> =
            [(i("there"), Ok(tags(&[("k", "v"), ("k2", "v")])))].into();
        let reads = Reads {
            before: &before,
            after: &after,
        };
        let marks = outcome_marks(&entries, &[1, 2, 3, 4], &outcomes, reads);
        let states: Vec<ChangeState> = marks.iter().map(|m| m.state).collect();
        assert_eq!(
            states,
            [
                ChangeState::Already,
                ChangeState::Applied,
                ChangeState::Already,
                ChangeState::Failed
            ]
        );
        // `there` had one key written: not `already` as a whole; `gone` was.
        assert_eq!(already(&entries, &marks), [i("gone")].into());
        assert!(!failures(&entries, &marks).contains_key(&i("there")));
        assert_eq!(run_status(&marks[..3]), RunStatus::Done);
        assert_eq!(ChangeState::parse("already"), Ok(ChangeState::Already));
    }

    #[test]
    fn pending_entries_settle_by_what_shows() {
        let entry = |id: i64, arn: &str| JournalEntry {
            id,
            run_id: "run".into(),
            change: key_change(arn),
            state: ChangeState::Pending,
            error: None,
        };
        let pending = [
            entry(1, "landed"),
            entry(2, "lost"),
            entry(3, "unreadable"),
            entry(4, "unread"),
        ];
        let current: HashMap<String, Result<Tags, String>> = [
            (
                crate::arn::instance("landed").to_string(),
                Ok(tags(&[("k", "v")])),
            ),
            (
                crate::arn::instance("lost").to_string(),
                Ok(tags(&[("k", "other")])),
            ),
            (
                crate::arn::instance("unreadable").to_string(),
                Err("AccessDenied".to_string()),
            ),
        ]
        .into();
        assert_eq!(
            settle(&pending, &current),
            [
                Mark::new(1, ChangeState::Applied),
                Mark::new(2, ChangeState::NotApplied)
            ]
        );
    }

    #[test]
    fn one_key_change_per_key() {
        let c = Change {
            arn: crate::arn::instance("a"),
            account: "1".into(),
            region: "r".into(),
            resource_type: "ec2:instance".into(),
            policy: "p".into(),
            set: [
                ("k".to_string(), "v".to_string()),
                ("x".to_string(), "y".to_string()),
            ]
            .into(),
            previous: [
                ("k".to_string(), Some("old".to_string())),
                ("x".to_string(), None),
            ]
            .into(),
            due: None,
        };
        let ks = key_changes(&[c]);
        assert_eq!(ks.len(), 2);
        assert_eq!(
            (
                ks[0].key.as_str(),
                ks[0].previous.as_deref(),
                ks[0].new.as_deref()
            ),
            ("k", Some("old"), Some("v"))
        );
        assert_eq!((ks[1].key.as_str(), ks[1].previous.as_deref()), ("x", None));
    }
}
