//! `history`: the runs in the state store, or one run's journal.

use super::{cell, csv, json, markdown_table, new_table, or_none, Format, Render};
use crate::journal::{JournalEntry, RunRecord};

pub enum History {
    /// A page of runs, oldest first, and how many older ones it leaves out.
    Runs { runs: Vec<RunRecord>, older: usize },
    /// One run's journal: an entry per key.
    Journal(Box<RunRecord>, Vec<JournalEntry>),
}

const RUN_HEADER: [&str; 12] = [
    "id",
    "kind",
    "started_at",
    "finished_at",
    "status",
    "rolls_back",
    "applied",
    "already",
    "failed",
    "pending",
    "rolled_back",
    "summary",
];
const ENTRY_HEADER: [&str; 10] = [
    "arn",
    "account",
    "region",
    "resource_type",
    "policy",
    "key",
    "previous",
    "new",
    "state",
    "error",
];

fn run_row(r: &RunRecord) -> [String; 12] {
    [
        r.id.clone(),
        r.kind.label().to_string(),
        r.started_at.clone(),
        r.finished_at.clone().unwrap_or_default(),
        r.status.label().to_string(),
        r.rolls_back.clone().unwrap_or_default(),
        r.applied.to_string(),
        r.already.to_string(),
        r.failed.to_string(),
        r.pending.to_string(),
        r.rolled_back.to_string(),
        r.summary.as_ref().map(|s| s.line()).unwrap_or_default(),
    ]
}

fn entry_row(e: &JournalEntry) -> [String; 10] {
    let c = &e.change;
    [
        c.arn.to_string(),
        c.account.clone(),
        c.region.clone(),
        c.resource_type.clone(),
        c.policy.clone(),
        c.key.clone(),
        c.previous.clone().unwrap_or_default(),
        c.new.clone().unwrap_or_default(),
        e.state.as_str().to_string(),
        e.error.clone().unwrap_or_default(),
    ]
}

fn table(h: &History) -> String {
    match h {
        History::Runs { runs, .. } if runs.is_empty() => "no runs yet\n".to_string(),
        History::Runs { runs, older } => {
            let mut t = new_table(&[
                "RUN",
                "KIND",
                "STARTED",
                "STATUS",
                "APPLIED",
                "ALREADY",
                "FAILED",
                "PENDING",
                "ROLLED BACK",
                "ROLLS BACK",
                "SUMMARY",
            ]);
            for r in runs {
                let [id, kind, started, _, status, rolls_back, applied, already, failed, pending, rolled_back, summary] =
                    run_row(r);
                t.add_row([
                    id,
                    kind,
                    started,
                    status,
                    applied,
                    already,
                    failed,
                    pending,
                    rolled_back,
                    rolls_back,
                    summary,
                ]);
            }
            format!("{t}\n{}", older_hint(runs, *older))
        }
        History::Journal(run, entries) => {
            let mut t = new_table(&[
                "STATE", "ACCOUNT", "REGION", "RESOURCE", "KEY", "OLD", "NEW", "POLICY", "ERROR",
            ]);
            for e in entries {
                let c = &e.change;
                t.add_row([
                    e.state.as_str(),
                    &c.account,
                    &c.region,
                    &c.arn,
                    &c.key,
                    or_none(c.previous.as_deref()),
                    c.new.as_deref().unwrap_or("(removed)"),
                    &c.policy,
                    e.error.as_deref().unwrap_or(""),
                ]);
            }
            format!(
                "run {} ({}, {}): {} key(s)\n{t}\n",
                run.id,
                run.kind.label(),
                run.status.label(),
                entries.len()
            )
        }
    }
}

/// The way to the next page, when older runs were left out.
fn older_hint(runs: &[RunRecord], older: usize) -> String {
    match runs.first() {
        Some(first) if older > 0 => format!(
            "\n{older} older run(s) not shown: tagwarden history --before {}\n",
            first.id
        ),
        _ => String::new(),
    }
}

fn markdown(h: &History) -> String {
    let esc = |row: &[String]| row.iter().map(|c| cell(c)).collect::<Vec<_>>();
    match h {
        History::Runs { runs, older } => format!(
            "# tagwarden history\n\n{}{}",
            markdown_table(&RUN_HEADER, runs.iter().map(|r| esc(&run_row(r)))),
            older_hint(runs, *older)
        ),
        History::Journal(run, entries) => format!(
            "# tagwarden run `{}`\n\n{} run, {}.\n\n{}",
            run.id,
            run.kind.label(),
            run.status.label(),
            markdown_table(&ENTRY_HEADER, entries.iter().map(|e| esc(&entry_row(e))))
        ),
    }
}

impl Render for History {
    fn render(&self, format: Format) -> String {
        match (format, self) {
            (Format::Table, _) => table(self),
            (Format::Json, History::Runs { runs, .. }) => json(runs),
            (Format::Json, History::Journal(_, entries)) => json(entries),
            (Format::Csv, History::Runs { runs, .. }) => csv(RUN_HEADER, runs.iter().map(run_row)),
            (Format::Csv, History::Journal(_, entries)) => {
                csv(ENTRY_HEADER, entries.iter().map(entry_row))
            }
            (Format::Markdown, _) => markdown(self),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{ChangeState, KeyChange, RunKind, RunStatus};

    fn run(id: &str, kind: RunKind, rolls_back: Option<&str>) -> RunRecord {
        RunRecord {
            id: id.into(),
            kind,
            started_at: "2026-12-01T00:00:00.000Z".into(),
            finished_at: Some("2026-12-01T00:00:05.000Z".into()),
            status: RunStatus::Done,
            rolls_back: rolls_back.map(str::to_string),
            applied: 2,
            already: 0,
            failed: 0,
            pending: 0,
            rolled_back: 0,
            summary: None,
        }
    }

    fn cycle(id: &str) -> RunRecord {
        RunRecord {
            status: RunStatus::Partial,
            applied: 0,
            summary: Some(crate::cycle_summary::CycleSummary {
                mode: crate::config::DaemonMode::Audit,
                resources: 40,
                in_scope: 38,
                compliant: 30,
                non_compliant: 7,
                unknown: 1,
                findings: 9,
                accounts: 3,
                accounts_failed: 1,
                errors: 1,
                duration_seconds: 2.5,
                ..Default::default()
            }),
            ..run(id, RunKind::Cycle, None)
        }
    }

    fn entries() -> Vec<JournalEntry> {
        let entry =
            |id, key: &str, previous: Option<&str>, state, error: Option<&str>| JournalEntry {
                id,
                run_id: "r1".into(),
                change: KeyChange {
                    arn: crate::arn::arn("arn:aws:ec2:us-east-1:111111111111:instance/i-1"),
                    account: "111111111111".into(),
                    region: "us-east-1".into(),
                    resource_type: "ec2:instance".into(),
                    policy: "map-migrated".into(),
                    key: key.into(),
                    previous: previous.map(str::to_string),
                    new: Some("mig12345".into()),
                },
                state,
                error: error.map(str::to_string),
            };
        vec![
            entry(1, "map-migrated", None, ChangeState::Applied, None),
            entry(
                2,
                "Team",
                Some("a|b"),
                ChangeState::Failed,
                Some("AccessDenied"),
            ),
        ]
    }

    #[test]
    fn every_format() {
        let runs = History::Runs {
            runs: vec![
                run("r1", RunKind::Apply, None),
                run("r2", RunKind::Rollback, Some("r1")),
                cycle("r3"),
            ],
            older: 0,
        };
        let journal = History::Journal(Box::new(run("r1", RunKind::Apply, None)), entries());
        for (name, h) in [("runs", &runs), ("journal", &journal)] {
            for (f, format) in [
                ("table", Format::Table),
                ("json", Format::Json),
                ("csv", Format::Csv),
                ("markdown", Format::Markdown),
            ] {
                insta::assert_snapshot!(format!("history_{name}_{f}"), h.render(format));
            }
        }
        let none = History::Runs {
            runs: vec![],
            older: 0,
        };
        assert_eq!(none.render(Format::Table), "no runs yet\n");
        assert_eq!(none.render(Format::Json), "[]\n");
    }

    #[test]
    fn a_page_says_how_to_reach_the_older_runs() {
        let page = History::Runs {
            runs: vec![run("r7", RunKind::Apply, None), cycle("r8")],
            older: 6,
        };
        let hint = "6 older run(s) not shown: tagwarden history --before r7\n";
        assert!(page.render(Format::Table).ends_with(hint));
        assert!(page.render(Format::Markdown).ends_with(hint));
        let json: serde_json::Value = serde_json::from_str(&page.render(Format::Json)).unwrap();
        assert_eq!(
            json.as_array().map(Vec::len),
            Some(2),
            "JSON stays a list of runs"
        );
        assert!(!page.render(Format::Csv).contains("older"));
    }
}
