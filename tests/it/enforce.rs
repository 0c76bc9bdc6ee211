//! `plan`, `apply`, `history` and `rollback` end to end against a moto server:
//! EC2 instances and volumes, RDS, S3 (other tags kept) and Tagging API
//! types, across two accounts.

use crate::common;

use common::estate::{self, Seeded, CALLER, STAGING};
use common::{non_empty, repo_root, write, Emulator, Run};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use tempfile::TempDir;

const MAP_VALUE: &str = "migABCDE12345";

struct Setup {
    emu: Emulator,
    dir: TempDir,
    seeded: Vec<Seeded>,
    cfg: String,
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap()
}

/// The demo estate, and a configuration with `policy` and a state store.
fn setup(suffix: &str, policy: Option<&str>, extra: &str) -> Setup {
    let emu = Emulator::start();
    let seeded = runtime().block_on(estate::seed(&emu.endpoint(), suffix));
    let dir = tempfile::tempdir().unwrap();
    let policy = match policy {
        Some(text) => write(dir.path(), "policy.yaml", text),
        None => common::map_policy_path(),
    };
    let store = dir.path().join("state.db").display().to_string();
    let cfg = write(
        dir.path(),
        "tagwarden.yaml",
        &estate::config(&policy, &format!("store: {store}\n{extra}")),
    );
    Setup {
        emu,
        dir,
        seeded,
        cfg,
    }
}

impl Setup {
    fn run(&self, args: &[&str]) -> Run {
        let mut full = vec!["-c", self.cfg.as_str()];
        full.extend_from_slice(args);
        self.emu.tagwarden(&full)
    }

    fn json(&self, args: &[&str]) -> (i32, Value) {
        let run = self.run(args);
        let code = run.code;
        (code, run.json())
    }

    /// (arn, tag, kind) of the audit's findings.
    fn findings(&self) -> BTreeSet<(String, String, String)> {
        common::findings(&self.json(&["audit", "--format", "json"]).1)
    }

    fn missing(&self) -> BTreeSet<&str> {
        self.seeded
            .iter()
            .filter(|s| s.expect.iter().any(|(_, k)| k == "missing"))
            .map(|s| s.arn.as_str())
            .collect()
    }

    fn invalid(&self) -> BTreeSet<&str> {
        self.seeded
            .iter()
            .filter(|s| s.expect.iter().any(|(_, k)| k == "invalid"))
            .map(|s| s.arn.as_str())
            .collect()
    }

    fn bucket_tags(&self, account: &str, region: &str, bucket: &str) -> BTreeMap<String, String> {
        runtime().block_on(async {
            let seeder = estate::Seeder::new(&self.emu.endpoint()).await;
            let s3 = estate::Seeder::s3(&seeder.account(account).await, region);
            estate::bucket_tags(&s3, bucket).await
        })
    }

    /// Tag an EC2 resource behind tagwarden's back.
    fn tag_ec2(&self, account: &str, region: &str, arn: &str, key: &str, value: &str) {
        runtime().block_on(async {
            let seeder = estate::Seeder::new(&self.emu.endpoint()).await;
            let ec2 = estate::Seeder::ec2(&seeder.account(account).await, region);
            let id = arn.rsplit('/').next().unwrap();
            ec2.create_tags()
                .resources(id)
                .tags(
                    aws_sdk_ec2::types::Tag::builder()
                        .key(key)
                        .value(value)
                        .build(),
                )
                .send()
                .await
                .unwrap();
        })
    }
}

fn arns(items: &Value) -> BTreeSet<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["arn"].as_str().unwrap().to_string())
        .collect()
}

fn set_of(v: &BTreeSet<&str>) -> BTreeSet<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn plan_apply_verify_history_and_rollback() {
    let s = setup("e1", None, "");
    let before = s.findings();

    // The plan: every missing tag is added; invalid values are kept
    // (`overwrite: never`) and listed with the reason.
    let plan_file = s.dir.path().join("plan.json").display().to_string();
    let (code, plan) = s.json(&["plan", "--format", "json", "-o", &plan_file]);
    assert_eq!(code, 1, "changes pending");
    assert_eq!(arns(&plan["changes"]), set_of(&s.missing()));
    for c in plan["changes"].as_array().unwrap() {
        assert_eq!(c["set"], serde_json::json!({"map-migrated": MAP_VALUE}));
        assert_eq!(c["previous"], serde_json::json!({"map-migrated": null}));
        assert_eq!(c["due"], Value::Null);
        assert_eq!(c["policy"], "map-migrated");
    }
    assert_eq!(arns(&plan["skipped"]), set_of(&s.invalid()));
    assert!(plan["skipped"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("`overwrite: never` keeps it"));
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(&plan_file).unwrap()).unwrap();
    assert_eq!(written["changes"], plan["changes"]);
    let table = s.run(&["plan", "--format", "table"]);
    assert!(
        table.stdout.contains("RESOURCE")
            && table.stdout.contains("(none)")
            && table.stdout.contains(MAP_VALUE),
        "{}",
        table.stdout
    );

    // Every format the flag offers is the plan's, not a table in disguise.
    let csv = s.run(&["plan", "--format", "csv"]);
    assert_eq!(csv.code, 1, "{}", csv.stderr);
    let mut lines = csv.stdout.lines();
    assert_eq!(
        lines.next(),
        Some("action,arn,account,region,resource_type,policy,key,previous,new,due,reason")
    );
    let rows: Vec<&str> = lines.collect();
    let sets: BTreeSet<&str> = rows
        .iter()
        .filter_map(|r| r.strip_prefix("set,"))
        .map(|r| r.split(',').next().unwrap())
        .collect();
    assert_eq!(sets, s.missing(), "a `set` row per tag written");
    assert_eq!(
        rows.iter().filter(|r| r.starts_with("skip,")).count(),
        s.invalid().len()
    );
    let md = s.run(&["plan", "--format", "markdown"]);
    assert!(md.stdout.starts_with("# tagwarden plan\n"), "{}", md.stdout);
    for arn in s.missing() {
        assert!(
            md.stdout.contains(&format!("| `{arn}` |")),
            "{arn}: {}",
            md.stdout
        );
    }

    // Apply: every change written, journaled and verified.
    let (code, applied) = s.json(&["apply", "--yes", "--format", "json"]);
    assert_eq!(code, 0, "{applied}");
    let run_id = applied["run_id"].as_str().unwrap().to_string();
    assert_eq!(applied["summary"]["applied"], s.missing().len());
    assert_eq!(applied["summary"]["failed"], 0);
    assert!(non_empty(&applied["changes"], "applied changes")
        .iter()
        .all(|c| c["status"] == "applied"));
    // Batched as the APIs allow: one CreateTags per account-region with EC2
    // changes (identical tag sets), one AddTagsToResource per RDS ARN, and a
    // read-merge-write per bucket.
    let calls = &applied["api_calls_by_operation"];
    assert_eq!(calls["ec2:CreateTags"], 3, "{calls}");
    assert_eq!(calls["rds:AddTagsToResource"], 2, "{calls}");
    assert_eq!(calls["s3:PutBucketTagging"], 2, "{calls}");

    let after = s.findings();
    let expected_after: BTreeSet<_> = before
        .iter()
        .filter(|f| s.invalid().contains(f.0.as_str()))
        .cloned()
        .collect();
    assert_eq!(after, expected_after, "only the kept invalid values remain");
    // S3 writes keep the bucket's other tags.
    let staging_bucket = s.bucket_tags(STAGING.0, "us-east-1", "staging-data-e1");
    assert_eq!(
        staging_bucket,
        BTreeMap::from([
            ("map-dba".into(), "xyz".into()),
            ("map-migrated".into(), MAP_VALUE.into())
        ])
    );

    // Nothing left to do: a second apply writes nothing.
    let (code, again) = s.json(&["apply", "--yes", "--format", "json"]);
    assert_eq!(code, 0);
    assert_eq!(again["run_id"], Value::Null);
    assert_eq!(again["summary"]["applied"], 0);
    let (code, replan) = s.json(&["plan", "--format", "json"]);
    assert_eq!(
        (code, replan["changes"].as_array().unwrap().len()),
        (0, 0),
        "nothing to change, skipped only: {replan}"
    );

    // History lists the run and its journal.
    let (_, runs) = s.json(&["history", "--format", "json"]);
    assert_eq!(runs.as_array().unwrap().len(), 1);
    assert_eq!(runs[0]["id"], run_id.as_str());
    assert_eq!(runs[0]["applied"], s.missing().len());
    let csv = s.run(&["history", "--format", "csv"]);
    assert_eq!(csv.code, 0);
    assert_eq!(
        csv.stdout.lines().count(),
        2,
        "a header and the run:\n{}",
        csv.stdout
    );
    assert!(csv
        .stdout
        .lines()
        .nth(1)
        .unwrap()
        .starts_with(&format!("{run_id},apply,")));
    let md = s.run(&["history", &run_id, "--format", "markdown"]);
    assert!(
        md.stdout
            .starts_with(&format!("# tagwarden run `{run_id}`")),
        "{}",
        md.stdout
    );
    assert_eq!(
        md.stdout
            .lines()
            .filter(|l| l.starts_with("| arn:"))
            .count(),
        s.missing().len(),
        "{}",
        md.stdout
    );
    let (_, journal) = s.json(&["history", &run_id, "--format", "json"]);
    let entries = non_empty(&journal, "journal");
    assert_eq!(entries.len(), s.missing().len());
    assert!(entries
        .iter()
        .all(|e| e["state"] == "applied" && e["previous"].is_null()));

    // Rollback restores the estate exactly.
    let (code, rolled) = s.json(&["rollback", &run_id, "--yes", "--format", "json"]);
    assert_eq!(code, 0, "{rolled}");
    assert_eq!(rolled["summary"]["applied"], s.missing().len());
    assert_eq!(s.findings(), before);
    assert_eq!(
        s.bucket_tags(STAGING.0, "us-east-1", "staging-data-e1"),
        BTreeMap::from([("map-dba".into(), "xyz".into())])
    );
    assert!(s
        .bucket_tags(estate::PROD.0, "eu-west-1", "prod-logs-e1")
        .is_empty());
    let (_, runs) = s.json(&["history", "--format", "json"]);
    assert_eq!(runs[0]["rolled_back"], s.missing().len());
    assert_eq!(runs[1]["kind"], "rollback");
    assert_eq!(runs[1]["rolls_back"], run_id.as_str());
    // A run rolled back has nothing left to roll back.
    let again = s.run(&["rollback", &run_id, "--yes"]);
    assert_eq!(again.code, 2);
    assert!(
        again.stderr.contains("has no applied changes"),
        "{}",
        again.stderr
    );
}

#[test]
fn overwrite_invalid_replaces_bad_values_and_rollback_restores_them() {
    let policy = std::fs::read_to_string(repo_root().join("policies/map-migrated.yaml"))
        .unwrap()
        .replace("overwrite: never", "overwrite: invalid");
    let s = setup("e2", Some(&policy), "");
    let before = s.findings();
    let (code, applied) = s.json(&["apply", "--yes", "--format", "json"]);
    assert_eq!(code, 0, "{applied}");
    let replaced: Vec<&Value> = applied["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| !c["previous"]["map-migrated"].is_null())
        .collect();
    assert_eq!(replaced.len(), s.invalid().len());
    assert!(s.findings().is_empty(), "everything compliant");

    // Someone re-tags one resource after the run: its rollback is refused,
    // the others are restored.
    let legacy = s
        .seeded
        .iter()
        .find(|x| x.label == "legacy Migration Hub value")
        .unwrap();
    s.tag_ec2(
        &legacy.account,
        &legacy.region,
        &legacy.arn,
        "map-migrated",
        "mig99999",
    );
    let run_id = applied["run_id"].as_str().unwrap();
    let (code, rolled) = s.json(&["rollback", run_id, "--yes", "--format", "json"]);
    assert_eq!(code, 0, "{rolled}");
    assert_eq!(
        arns(&rolled["skipped"]),
        BTreeSet::from([legacy.arn.clone()])
    );
    assert!(
        rolled["skipped"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("`map-migrated` is now `mig99999`"),
        "{rolled}"
    );
    let expected: BTreeSet<_> = before.into_iter().filter(|f| f.0 != legacy.arn).collect();
    assert_eq!(s.findings(), expected);
}

#[test]
fn the_blast_radius_cap_and_confirmation() {
    let s = setup("e3", None, "limits:\n  max_changes_per_run: 3\n");
    let before = s.findings();
    let capped = s.run(&["apply", "--yes"]);
    assert_eq!(capped.code, 2, "{}", capped.stderr);
    assert!(
        capped.stderr.contains(&format!(
            "{} changes exceed the blast-radius cap of 3",
            s.missing().len()
        )),
        "{}",
        capped.stderr
    );
    assert!(capped.stderr.contains("--max-changes"), "{}", capped.stderr);
    // Without --yes and without a terminal: refused.
    let unconfirmed = s.run(&["apply", "--max-changes", "100"]);
    assert_eq!(unconfirmed.code, 2);
    assert!(
        unconfirmed.stderr.contains("pass --yes"),
        "{}",
        unconfirmed.stderr
    );
    assert_eq!(s.findings(), before, "nothing was written");
    let (_, runs) = s.json(&["history", "--format", "json"]);
    assert_eq!(runs, serde_json::json!([]));

    let (code, applied) = s.json(&["apply", "--yes", "--max-changes", "100", "--format", "json"]);
    assert_eq!(code, 0);
    assert_eq!(applied["summary"]["applied"], s.missing().len());
}

#[test]
fn a_stale_plan_is_refused_per_resource_and_bad_plans_entirely() {
    let s = setup("e4", None, "");
    let plan_file = s.dir.path().join("plan.json").display().to_string();
    let (code, plan) = s.json(&["plan", "--format", "json", "-o", &plan_file]);
    assert_eq!(code, 1);
    let planned = plan["changes"].as_array().unwrap().len();
    // After review, someone tags one of the planned resources.
    let touched = s
        .seeded
        .iter()
        .find(|x| x.label == "web-2, never tagged")
        .unwrap();
    s.tag_ec2(
        &touched.account,
        &touched.region,
        &touched.arn,
        "map-migrated",
        "mig99999",
    );
    // And the plan file is edited: one change now writes another value.
    let mut edited: Value = plan.clone();
    let victim = edited["changes"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c["arn"] != touched.arn.as_str())
        .unwrap();
    let victim_arn = edited["changes"][victim]["arn"]
        .as_str()
        .unwrap()
        .to_string();
    edited["changes"][victim]["set"]["map-migrated"] = Value::from("mig00000");
    let edited_file = write(s.dir.path(), "edited.json", &edited.to_string());

    let (code, applied) = s.json(&["apply", "--plan", &edited_file, "--yes", "--format", "json"]);
    assert_eq!(code, 0, "{applied}");
    let skipped: BTreeMap<&str, &str> = applied["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "skipped")
        .map(|c| (c["arn"].as_str().unwrap(), c["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert_eq!(
        skipped[touched.arn.as_str()],
        "changed since the plan was made: `map-migrated` is now `mig99999` (the plan saw absent)"
    );
    assert_eq!(
        skipped[victim_arn.as_str()],
        "no longer planned as reviewed: the policies would now write other tags; make a new plan",
        "an edited plan writes nothing the policies would not write now"
    );
    assert_eq!(applied["summary"]["applied"], planned - 2);
    // The reviewed plan itself still applies the change that was not edited.
    let (code, rest) = s.json(&["apply", "--plan", &plan_file, "--yes", "--format", "json"]);
    assert_eq!(code, 0, "{rest}");
    assert_eq!(rest["summary"]["applied"], 1);

    // Broken plans: nothing written, exit 2.
    let history_before = s.json(&["history", "--format", "json"]).1;
    let not_json = write(s.dir.path(), "bad.json", "{\"changes\": [");
    let other_config = write(
        s.dir.path(),
        "other.json",
        &std::fs::read_to_string(&plan_file)
            .unwrap()
            .replace(plan["config"].as_str().unwrap(), "sha256:0000"),
    );
    let older_version = write(
        s.dir.path(),
        "older.json",
        &std::fs::read_to_string(&plan_file)
            .unwrap()
            .replace(plan["config"].as_str().unwrap(), "0000000000000000"),
    );
    let mut unknown: Value = plan.clone();
    unknown["changes"][0]["arn"] = Value::from(format!(
        "arn:aws:ec2:us-east-1:{}:instance/i-0000000000000dead",
        estate::PROD.0
    ));
    let unknown = write(s.dir.path(), "unknown.json", &unknown.to_string());
    for (file, message) in [
        (
            not_json.as_str(),
            "not a tagwarden plan: EOF while parsing a list at line 1 column 13",
        ),
        (other_config.as_str(), "was made with another configuration"),
        (older_version.as_str(), "was made by an earlier tagwarden"),
        (
            unknown.as_str(),
            "do not exist in the configured accounts and regions",
        ),
    ] {
        let run = s.run(&["apply", "--plan", file, "--yes"]);
        assert_eq!(run.code, 2, "{file}: {}", run.stderr);
        assert!(run.stderr.contains(message), "{file}: {}", run.stderr);
    }
    // A plan that cannot be read at all is a local failure: exit 4.
    let run = s.run(&["apply", "--plan", "/nonexistent/plan.json", "--yes"]);
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(
        run.stderr.contains("cannot read the plan"),
        "{}",
        run.stderr
    );
    assert_eq!(s.json(&["history", "--format", "json"]).1, history_before);
}

#[test]
fn an_interrupted_apply_converges_and_can_be_rolled_back() {
    common::needs_test_hooks();
    let s = setup("e5", None, "");
    let before = s.findings();
    // The process dies after the journal write, before any tag is sent.
    let crashed = s.emu.tagwarden_env(
        &["-c", &s.cfg, "apply", "--yes"],
        &[("TAGWARDEN_CRASH_AFTER_JOURNAL", "1")],
    );
    assert_ne!(crashed.code, 0);
    assert!(
        crashed.stderr.contains("aborting after the journal write"),
        "{}",
        crashed.stderr
    );
    let (_, runs) = s.json(&["history", "--format", "json"]);
    let crashed_id = runs[0]["id"].as_str().unwrap().to_string();
    assert_eq!(runs[0]["pending"], s.missing().len());
    assert_eq!(s.findings(), before, "nothing was sent");

    // Suppose one write had reached AWS before the crash.
    let landed = s
        .seeded
        .iter()
        .find(|x| x.label == "data volume, key in wrong case")
        .unwrap();
    s.tag_ec2(
        &landed.account,
        &landed.region,
        &landed.arn,
        "map-migrated",
        MAP_VALUE,
    );

    // The next apply settles the journal and writes each remaining change once.
    let (code, applied) = s.json(&["apply", "--yes", "--format", "json"]);
    assert_eq!(code, 0, "{applied}");
    assert_eq!(applied["summary"]["applied"], s.missing().len() - 1);
    assert!(
        !arns(&applied["changes"]).contains(&landed.arn),
        "not written twice"
    );
    let (_, runs) = s.json(&["history", "--format", "json"]);
    assert_eq!(runs[0]["status"], "interrupted");
    assert_eq!(
        (runs[0]["applied"].as_u64(), runs[0]["pending"].as_u64()),
        (Some(1), Some(0))
    );

    // Rollback of the interrupted run undoes the write that landed.
    let (code, rolled) = s.json(&["rollback", &crashed_id, "--yes", "--format", "json"]);
    assert_eq!(code, 0, "{rolled}");
    assert_eq!(
        arns(&rolled["changes"]),
        BTreeSet::from([landed.arn.clone()])
    );
    let missing_again: BTreeSet<_> = s
        .findings()
        .into_iter()
        .filter(|f| f.2 == "missing")
        .map(|f| f.0)
        .collect();
    assert_eq!(missing_again, BTreeSet::from([landed.arn.clone()]));
}

#[test]
fn windows_schedule_changes_and_plan_at_rehearses_the_cutover() {
    let policy = "version: 1\npolicies:\n  - name: wave-2\n    resources: [ec2:instance]\n    require: {map-migrated: {format: map}}\n    remediate:\n      set: {map-migrated: migABCDE12345}\n      window: {from: 2099-12-05T02:00:00Z}\n";
    let s = setup("e6", Some(policy), "");
    let (code, plan) = s.json(&["plan", "--format", "json"]);
    assert_eq!(code, 1);
    let changes = non_empty(&plan["changes"], "planned changes");
    assert!(changes.iter().all(|c| c["due"] == "2099-12-05T02:00:00Z"));
    let rehearsal = s.dir.path().join("cutover.json").display().to_string();
    let (code, at) = s.json(&[
        "plan",
        "--at",
        "2099-12-05T02:00:00Z",
        "--format",
        "json",
        "-o",
        &rehearsal,
    ]);
    assert_eq!(code, 1, "at the cutover the same changes are due now");
    let rehearsed = non_empty(&at["changes"], "rehearsed changes");
    assert_eq!(rehearsed.len(), changes.len());
    assert!(rehearsed.iter().all(|c| c["due"].is_null()));
    // A rehearsal plan is no licence to write early: apply checks the window again.
    let (code, early) = s.json(&["apply", "--plan", &rehearsal, "--yes", "--format", "json"]);
    assert_eq!(code, 0, "{early}");
    assert_eq!(early["summary"]["applied"], 0);
    assert_eq!(early["run_id"], Value::Null, "nothing journaled");
    let held = non_empty(&early["changes"], "held changes");
    assert_eq!(held.len(), changes.len(), "{early}");
    assert!(
        held.iter()
            .all(|c| c["status"] == "skipped"
                && c["reason"] == "scheduled: due at 2099-12-05T02:00:00Z"),
        "{early}"
    );
    // Not due: apply writes nothing and says when.
    let (code, applied) = s.json(&["apply", "--yes", "--format", "json"]);
    assert_eq!(code, 0);
    assert_eq!(applied["summary"]["applied"], 0);
    let held = non_empty(&applied["changes"], "held changes");
    assert_eq!(held.len(), changes.len());
    assert!(held.iter().all(
        |c| c["status"] == "skipped" && c["reason"] == "scheduled: due at 2099-12-05T02:00:00Z"
    ));
    let bad = s.run(&["plan", "--at", "next week"]);
    assert_eq!(bad.code, 2);

    // A closed window: nothing planned, the reason listed.
    let closed = policy.replace(
        "window: {from: 2099-12-05T02:00:00Z}",
        "window: {until: 2020-01-01T00:00:00Z}",
    );
    std::fs::write(s.dir.path().join("policy.yaml"), closed).unwrap();
    let (code, plan) = s.json(&["plan", "--format", "json"]);
    assert_eq!(code, 0);
    assert!(plan["skipped"][0]["reason"]
        .as_str()
        .unwrap()
        .starts_with("outside the window: it closed at 2020-01-01T00:00:00Z"));
}

#[test]
fn conflicts_the_tag_limit_and_tagging_api_writes() {
    let emu = Emulator::start();
    let rt = runtime();
    let (crowded, plain) = rt.block_on(async {
        let seeder = estate::Seeder::new(&emu.endpoint()).await;
        let ec2 = estate::Seeder::ec2(seeder.base(), "us-east-1");
        let many: Vec<(String, String)> = (0..50)
            .map(|i| (format!("k{i:02}"), "v".to_string()))
            .collect();
        let many: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let (crowded, _) = estate::launch(&ec2, 1, &many, &[("map-migrated", "mig12345")])
            .await
            .remove(0);
        let (plain, _) = estate::launch(&ec2, 1, &[], &[("map-migrated", "mig12345")])
            .await
            .remove(0);
        (crowded, plain)
    });
    let arn = |id: &str| format!("arn:aws:ec2:us-east-1:{CALLER}:instance/{id}");
    // An SNS topic goes through the Tagging API's TagResources; an SQS queue
    // too, where the emulator fails it per ARN (FailedResourcesMap).
    emu.query("sns", "Action=CreateTopic&Name=wave&Tags.member.1.Key=Team&Tags.member.1.Value=web&Version=2010-03-31");
    emu.query(
        "sqs",
        "Action=CreateQueue&QueueName=orders&Tag.1.Key=Team&Tag.1.Value=web&Version=2012-11-05",
    );

    let dir = tempfile::tempdir().unwrap();
    let policy = write(
        dir.path(),
        "p.yaml",
        "version: 1\npolicies:\n  - name: map-a\n    resources: [ec2:instance, sns:topic, sqs:queue]\n    remediate: {set: {map-migrated: mig12345}}\n  - name: map-b\n    resources: [ec2:instance]\n    scope: {tags: {k00: v}}\n    remediate: {set: {map-migrated: mig54321}}\n",
    );
    let store = dir.path().join("s.db").display().to_string();
    let cfg = write(
        dir.path(),
        "tagwarden.yaml",
        &format!("policies: [{policy}]\nregions: [us-east-1]\nstore: {store}\n"),
    );
    let plan = emu
        .tagwarden(&["-c", &cfg, "plan", "--format", "json"])
        .json();
    let skipped: BTreeMap<String, Vec<String>> =
        plan["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .fold(BTreeMap::new(), |mut m, x| {
                m.entry(x["arn"].as_str().unwrap().to_string())
                    .or_default()
                    .push(x["reason"].as_str().unwrap().to_string());
                m
            });
    assert_eq!(
        skipped[&arn(&crowded)].len(),
        2,
        "one skip per policy: {skipped:?}"
    );
    assert!(skipped[&arn(&crowded)].iter().all(|r| r.starts_with("conflicting policies: policy `map-a` sets `map-migrated=mig12345` and policy `map-b` sets `map-migrated=mig54321`")), "{skipped:?}");
    assert_eq!(
        arns(&plan["changes"]),
        BTreeSet::from([
            arn(&plain),
            format!("arn:aws:sns:us-east-1:{CALLER}:wave"),
            format!("arn:aws:sqs:us-east-1:{CALLER}:orders")
        ])
    );

    let applied = emu.tagwarden(&["-c", &cfg, "apply", "--yes", "--format", "json"]);
    assert_eq!(applied.code, 3, "a change failed: {}", applied.stderr);
    let applied = applied.json();
    let status: BTreeMap<String, (String, String)> = applied["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["arn"].as_str().unwrap().to_string(),
                (
                    c["status"].as_str().unwrap().to_string(),
                    c["reason"].as_str().unwrap_or("").to_string(),
                ),
            )
        })
        .collect();
    assert_eq!(status[&arn(&plain)].0, "applied");
    assert_eq!(
        status[&format!("arn:aws:sns:us-east-1:{CALLER}:wave")].0,
        "applied"
    );
    let (queue_status, queue_reason) = &status[&format!("arn:aws:sqs:us-east-1:{CALLER}:orders")];
    assert_eq!(queue_status, "failed");
    assert!(
        queue_reason.contains("InternalServiceException"),
        "{queue_reason}"
    );
    // One request for both ARNs, then two more for the retryable failure.
    assert_eq!(
        applied["api_calls_by_operation"]["tagging:TagResources"], 3,
        "{applied}"
    );
    let (_, runs) = (
        0,
        emu.tagwarden(&["-c", &cfg, "history", "--format", "json"])
            .json(),
    );
    assert_eq!(
        (runs[0]["applied"].as_u64(), runs[0]["failed"].as_u64()),
        (Some(2), Some(1))
    );

    // The 50-tag limit: a resource at 50 user tags is never pushed over.
    let p2 = write(dir.path(), "p2.yaml", "version: 1\npolicies:\n  - name: owner\n    resources: [ec2:instance]\n    remediate: {set: {Owner: ops}}\n");
    let cfg2 = write(
        dir.path(),
        "t2.yaml",
        &format!("policies: [{p2}]\nregions: [us-east-1]\nstore: {store}\n"),
    );
    let plan = emu
        .tagwarden(&["-c", &cfg2, "plan", "--format", "json"])
        .json();
    let limit: Vec<&Value> = plan["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["arn"] == arn(&crowded).as_str())
        .collect();
    assert_eq!(
        limit[0]["reason"],
        "the resource has 50 user tags; adding 1 would exceed AWS's limit of 50"
    );
}

/// The tags of an SNS topic in the emulator's default account.
fn topic_tags(emu: &Emulator, name: &str) -> BTreeMap<String, String> {
    let arn = format!("arn%3Aaws%3Asns%3Aus-east-1%3A{CALLER}%3A{name}");
    let xml = emu.query(
        "sns",
        &format!("Action=ListTagsForResource&ResourceArn={arn}&Version=2010-03-31"),
    );
    let field = |m: &str, name: &str| {
        let (_, rest) = m.split_once(&format!("<{name}>"))?;
        Some(rest.split_once(&format!("</{name}>"))?.0.to_string())
    };
    xml.split("<member>")
        .skip(1)
        .filter_map(|m| Some((field(m, "Key")?, field(m, "Value")?)))
        .collect()
}

#[test]
fn tagging_api_writes_roll_back_through_untag_resources() {
    let emu = Emulator::start();
    emu.query("sns", "Action=CreateTopic&Name=wave&Tags.member.1.Key=Team&Tags.member.1.Value=web&Version=2010-03-31");
    let dir = tempfile::tempdir().unwrap();
    let policy = write(
        dir.path(),
        "p.yaml",
        "version: 1\npolicies:\n  - name: map\n    resources: [sns:topic]\n    remediate: {set: {map-migrated: mig12345}}\n",
    );
    let store = dir.path().join("s.db").display().to_string();
    let cfg = write(
        dir.path(),
        "tagwarden.yaml",
        &format!("policies: [{policy}]\nregions: [us-east-1]\nstore: {store}\n"),
    );
    let run = |args: &[&str]| {
        let mut full = vec!["-c", cfg.as_str()];
        full.extend_from_slice(args);
        let run = emu.tagwarden(&full);
        (run.code, run.json())
    };
    let (code, applied) = run(&["apply", "--yes", "--format", "json"]);
    assert_eq!(
        (code, &applied["summary"]["applied"]),
        (0, &Value::from(1)),
        "{applied}"
    );
    assert_eq!(
        topic_tags(&emu, "wave"),
        BTreeMap::from([
            ("Team".into(), "web".into()),
            ("map-migrated".into(), "mig12345".into())
        ])
    );

    let run_id = applied["run_id"].as_str().unwrap().to_string();
    let (code, rolled) = run(&["rollback", &run_id, "--yes", "--format", "json"]);
    assert_eq!(code, 0, "{rolled}");
    let changes = non_empty(&rolled["changes"], "restored changes");
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0]["status"], "applied", "{rolled}");
    assert_eq!(changes[0]["reason"], "removed map-migrated");
    assert_eq!(
        rolled["api_calls_by_operation"]["tagging:UntagResources"], 1,
        "{rolled}"
    );
    assert_eq!(
        topic_tags(&emu, "wave"),
        BTreeMap::from([("Team".into(), "web".into())]),
        "only the key the run added is removed"
    );
    let (_, journal) = run(&["history", &run_id, "--format", "json"]);
    assert_eq!(non_empty(&journal, "journal")[0]["state"], "rolled_back");
}
