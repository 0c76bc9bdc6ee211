//! The state store stays bounded: the daemon prunes runs past
//! `store.retention` that have nothing left to roll back, `prune` removes
//! the rest only when asked, and `history` reads a page at a time.

use crate::common::daemon::Daemon;
use crate::common::estate;
use crate::common::{self, write, Emulator, Run};
use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;
use tempfile::TempDir;

struct Fixture {
    emu: Emulator,
    dir: TempDir,
    cfg: String,
    db: PathBuf,
}

fn fixture(suffix: &str, store: &str) -> Fixture {
    let emu = Emulator::start();
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(estate::seed(&emu.endpoint(), suffix));
    let dir = tempfile::tempdir().unwrap();
    let policy = common::map_policy_path();
    let db = dir.path().join("state.db");
    let extra = format!(
        "store: {{path: {}, {store}}}\ndaemon: {{listen: \"127.0.0.1:0\", interval: 1h}}\n",
        db.display()
    );
    let cfg = write(
        dir.path(),
        "tagwarden.yaml",
        &estate::config(&policy, &extra),
    );
    Fixture { emu, dir, cfg, db }
}

impl Fixture {
    fn tagwarden(&self, args: &[&str]) -> Run {
        let mut all = vec!["-c", self.cfg.as_str()];
        all.extend_from_slice(args);
        self.emu.tagwarden(&all)
    }

    fn run_ids(&self) -> Vec<String> {
        let run = self.tagwarden(&["history", "--limit", "1000", "--format", "json"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let runs = run.json();
        runs.as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect()
    }

    fn sql(&self, statement: &str) {
        let db = rusqlite::Connection::open(&self.db).unwrap();
        db.execute_batch(statement).unwrap();
    }
}

/// An apply run (its changes can be rolled back), dated two years ago, and
/// an audit cycle and an apply that wrote nothing, from the same time.
fn old_runs(f: &Fixture) -> String {
    let applied = f.tagwarden(&["apply", "--yes", "--format", "json"]);
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    let run_id = applied.json()["run_id"].as_str().unwrap().to_string();
    f.sql(&format!(
        "UPDATE runs SET started_at = '2024-11-01T00:00:00.000Z' WHERE id = '{run_id}';
         INSERT INTO runs (id, kind, started_at, finished_at, status)
           VALUES ('old-cycle', 'cycle', '2024-11-02T00:00:00.000Z', '2024-11-02T00:01:00.000Z', 'ok'),
                  ('old-noop', 'apply', '2024-11-03T00:00:00.000Z', '2024-11-03T00:00:01.000Z', 'done');"
    ));
    run_id
}

#[test]
fn the_daemon_prunes_what_cannot_be_rolled_back_and_prune_the_rest_when_asked() {
    let f = fixture("st1", "retention: 400d");
    let applied = old_runs(&f);
    let mut cmd = f.emu.command(&["run", "-c", &f.cfg]);
    cmd.env("RUST_LOG", "info");
    let mut d = Daemon::start(cmd, &f.dir.path().join("daemon.log"));
    d.wait_cycles("ok", 1.0, Duration::from_secs(60));
    d.signal("TERM");
    let (code, _) = d.wait_exit(Duration::from_secs(20));
    assert_eq!(code, 0, "{}", d.log_text());

    let ids = f.run_ids();
    assert!(!ids.contains(&"old-cycle".to_string()), "{ids:?}");
    assert!(!ids.contains(&"old-noop".to_string()), "{ids:?}");
    assert!(
        ids.contains(&applied),
        "kept: it can still be rolled back: {ids:?}"
    );
    assert!(d.log_text().contains("pruned runs past store.retention"));

    // Asked without a terminal and without --yes: refused, nothing removed.
    let refused = f.tagwarden(&["prune", "--rollback-runs"]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(f.run_ids().contains(&applied));
    let kept = f.tagwarden(&["prune"]);
    assert_eq!(kept.code, 0, "{}", kept.stderr);
    assert!(
        kept.stdout.contains(
            "kept 1 that can still be rolled back (tagwarden prune --rollback-runs removes them)"
        ),
        "{}",
        kept.stdout
    );
    let pruned = f.tagwarden(&["prune", "--rollback-runs", "--yes"]);
    assert_eq!(pruned.code, 0, "{}", pruned.stderr);
    assert!(
        pruned.stdout.starts_with("removed 1 run(s) and "),
        "{}",
        pruned.stdout
    );
    assert!(!f.run_ids().contains(&applied));
    let gone = f.tagwarden(&["rollback", &applied, "--yes"]);
    assert_eq!(gone.code, 2, "{}", gone.stderr);
}

#[test]
fn history_pages_and_prune_needs_an_age_when_retention_is_off() {
    let f = fixture("st2", "retention: \"off\"");
    let values: Vec<String> = (0..7)
        .map(|i| {
            format!(
                "('r{i}', 'cycle', '2026-01-0{}T00:00:00.000Z', NULL, 'ok')",
                i + 1
            )
        })
        .collect();
    f.sql(&format!(
        "CREATE TABLE IF NOT EXISTS runs (id TEXT PRIMARY KEY, kind TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT, status TEXT NOT NULL, config TEXT, rolls_back TEXT);
         INSERT INTO runs (id, kind, started_at, finished_at, status) VALUES {};",
        values.join(", ")
    ));
    let page = f.tagwarden(&["history", "--limit", "3", "--format", "table"]);
    assert_eq!(page.code, 0, "{}", page.stderr);
    assert!(
        page.stdout.contains("r6") && !page.stdout.contains("r3 "),
        "{}",
        page.stdout
    );
    assert!(
        page.stdout
            .ends_with("4 older run(s) not shown: tagwarden history --before r4\n"),
        "{}",
        page.stdout
    );
    let next = f.tagwarden(&[
        "history", "--limit", "3", "--before", "r4", "--format", "json",
    ]);
    let ids: Vec<Value> = next
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].clone())
        .collect();
    assert_eq!(ids, ["r1", "r2", "r3"]);
    let unknown = f.tagwarden(&["history", "--before", "r99"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("no run `r99` in the state store"),
        "{}",
        unknown.stderr
    );

    let no_age = f.tagwarden(&["prune"]);
    assert_eq!(no_age.code, 2);
    assert!(
        no_age.stderr.contains("store.retention is `off`"),
        "{}",
        no_age.stderr
    );
    let bad = f.tagwarden(&["prune", "--older-than", "3h"]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr
            .contains("--older-than: `3h` is shorter than a day"),
        "{}",
        bad.stderr
    );
    let pruned = f.tagwarden(&["prune", "--older-than", "1d"]);
    assert_eq!(pruned.code, 0, "{}", pruned.stderr);
    assert!(
        pruned.stdout.starts_with("removed 7 run(s)"),
        "{}",
        pruned.stdout
    );
}
