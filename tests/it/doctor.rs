//! `tagwarden doctor` against the emulator behind the fault proxy
//! (tests/it/support/faults.py): an account whose role cannot be assumed,
//! one whose role may not read volumes in one region, a healthy one;
//! Resource Explorer not set up; a queue without a dead-letter queue; the
//! MAP tag not active. Each row's status and fix, the exit code, and that
//! nothing was written. Then the set-up is fixed as the rows say, and
//! `doctor` passes and `audit` meets no error it did not predict.

use crate::common::{self, write, Emulator, Run};
use serde_json::{json, Value};

const CALLER: &str = "123456789012";
const HEALTHY: &str = "111111111111";
const LOCKED: &str = "222222222222";
const PARTIAL: &str = "333333333333";
const VIEW: &str = "arn:aws:resource-explorer-2:us-east-1:123456789012:view/tagwarden/1";

struct Setup {
    emu: Emulator,
    dir: tempfile::TempDir,
    cfg: String,
    queue: String,
}

impl Setup {
    fn new() -> Setup {
        let emu = Emulator::start();
        let queue = common::boto3(
            &emu,
            CALLER,
            "sqs",
            "print(client.create_queue(QueueName='tagwarden-events')['QueueUrl'])",
        )
        .trim()
        .to_string();
        let dir = tempfile::tempdir().unwrap();
        let policy = "version: 1\npolicies:\n  - name: map\n    resources: [ec2:instance, ec2:volume, s3:bucket, lambda:function]\n    require:\n      map-migrated: {values: [migABCDE12345]}\n    remediate:\n      set: {map-migrated: migABCDE12345}\n";
        let policy = write(dir.path(), "map.yaml", policy);
        let store = dir.path().join("state/tagwarden.db");
        let text = format!(
            "policies: [{policy}]\nregions: [us-east-1, eu-west-1]\nstore: {}\naccounts:\n  role: tagwarden\n  list:\n    - {{id: \"{HEALTHY}\", name: healthy}}\n    - {{id: \"{LOCKED}\", name: locked}}\n    - {{id: \"{PARTIAL}\", name: partial}}\ninventory:\n  resource_explorer: {{region: us-east-1, scope: organization}}\nmap:\n  mpe_id: ABCDE12345\n  agreement: {{start: 2026-01-01, end: 2026-12-31}}\ndaemon:\n  events: {{queues: [\"{queue}\"]}}\n",
            store.display()
        );
        let cfg = write(dir.path(), "tagwarden.yaml", &text);
        Setup {
            emu,
            dir,
            cfg,
            queue,
        }
    }

    fn doctor(&self, extra: &[&str]) -> Run {
        let mut args = vec!["-c", &self.cfg, "doctor", "--format", "json"];
        args.extend_from_slice(extra);
        self.run(&args)
    }

    fn run(&self, args: &[&str]) -> Run {
        let faults = self.emu.faults_endpoint();
        self.emu
            .tagwarden_env(args, &[("AWS_ENDPOINT_URL", faults.as_str())])
    }
}

/// The rows of one check, by account and region.
fn rows<'a>(report: &'a Value, check: &str) -> Vec<&'a Value> {
    report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter(|c| c["check"] == check)
        .collect()
}

fn one<'a>(
    report: &'a Value,
    check: &str,
    account: Option<&str>,
    region: Option<&str>,
) -> &'a Value {
    let found: Vec<&Value> = rows(report, check)
        .into_iter()
        .filter(|c| c["account"].as_str() == account && c["region"].as_str() == region)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "{check} {account:?} {region:?}: {found:#?}\n{report:#}"
    );
    found[0]
}

fn text<'a>(row: &'a Value, field: &str) -> &'a str {
    row[field].as_str().unwrap_or_default()
}

/// moto answers `sts:GetCallerIdentity` for plain keys with
/// `arn:aws:sts::ACCOUNT:user/moto` (AWS: `arn:aws:iam::ACCOUNT:user/NAME`);
/// tagwarden simulates either as the IAM user.
///
/// What a set-up check may call: reads, STS, the simulator and dry runs.
fn is_write(action: &str) -> bool {
    let op = action.split(':').nth(1).unwrap_or_default();
    !action.ends_with("(DryRun)")
        && [
            "Create", "Put", "Tag", "Untag", "Delete", "Add", "Remove", "Update", "Set", "Send",
            "Receive", "Start",
        ]
        .iter()
        .any(|w| op.starts_with(w))
}

#[test]
fn doctor_finds_each_broken_piece_of_the_set_up_with_its_fix_and_writes_nothing() {
    let s = Setup::new();
    s.emu.faults(&json!({
        "deny": {LOCKED: ["sts:AssumeRole"], PARTIAL: ["ec2:DescribeVolumes@eu-west-1"]},
        "cost_allocation_tags": {"map-migrated": "Inactive"},
    }));
    let run = s.doctor(&[]);
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    let r = run.json();

    let store = one(&r, "store", None, None);
    assert_eq!(store["status"], "ok", "{store}");
    assert!(
        text(store, "message").contains("does not exist yet"),
        "{store}"
    );
    let creds = one(&r, "credentials", None, None);
    assert_eq!(creds["status"], "ok");
    assert!(
        text(creds, "message").contains(&format!("account {CALLER}"))
            && text(creds, "message").contains("the environment (AWS_ACCESS_KEY_ID)"),
        "{creds}"
    );

    // The role that cannot be assumed: one row, and nothing else checked there.
    let locked = one(&r, "assume-role", Some(LOCKED), None);
    assert_eq!(locked["status"], "fail");
    assert!(
        text(locked, "fix").starts_with(&format!("create role tagwarden in account {LOCKED}")),
        "{locked}"
    );
    assert!(
        r["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["account"] == LOCKED)
            .count()
            == 1
    );
    assert_eq!(one(&r, "assume-role", Some(HEALTHY), None)["status"], "ok");

    // The read denied in one region only: its own row, with the action to allow.
    let denied: Vec<&Value> = rows(&r, "read")
        .into_iter()
        .filter(|c| c["status"] == "fail")
        .collect();
    assert_eq!(denied.len(), 1, "{denied:#?}");
    let d = denied[0];
    assert_eq!(
        (d["account"].as_str(), d["region"].as_str()),
        (Some(PARTIAL), Some("eu-west-1"))
    );
    assert!(
        text(d, "message").starts_with("ec2:DescribeVolumes denied: UnauthorizedOperation"),
        "{d}"
    );
    assert_eq!(
        text(d, "fix"),
        format!("allow ec2:DescribeVolumes to role tagwarden in account {PARTIAL} (`tagwarden policy iam --role audit` prints the whole policy)")
    );
    let us = one(&r, "read", Some(PARTIAL), Some("us-east-1"));
    assert_eq!(us["status"], "ok");
    assert_eq!(
        text(us, "message"),
        "allowed: ec2:DescribeInstances, ec2:DescribeVolumes, s3:ListAllMyBuckets, tag:GetResources"
    );
    let eu: Vec<&str> = rows(&r, "read")
        .into_iter()
        .filter(|c| c["account"] == PARTIAL && c["region"] == "eu-west-1" && c["status"] == "ok")
        .map(|c| text(c, "message"))
        .collect();
    assert_eq!(eu, ["allowed: ec2:DescribeInstances, tag:GetResources"]);

    // Writes: EC2's dry run per region, the rest simulated per account.
    for account in [HEALTHY, PARTIAL] {
        for region in ["us-east-1", "eu-west-1"] {
            let w = one(&r, "write", Some(account), Some(region));
            assert_eq!(w["status"], "ok", "{w}");
            assert_eq!(
                text(w, "message"),
                "ec2:CreateTags of map-migrated allowed (dry run)"
            );
        }
        let simulated = one(&r, "write", Some(account), None);
        assert_eq!(simulated["status"], "ok", "{simulated}");
        assert!(
            text(simulated, "message").contains("s3:PutBucketTagging"),
            "{simulated}"
        );
    }

    let explorer = one(&r, "resource-explorer", Some(CALLER), Some("us-east-1"));
    assert_eq!(explorer["status"], "fail");
    assert!(
        text(explorer, "message").starts_with(&format!(
            "Resource Explorer has no index in account {CALLER} region us-east-1"
        )),
        "{explorer}"
    );
    assert!(
        text(explorer, "fix").starts_with(
            "create one with `aws resource-explorer-2 create-index --region us-east-1`"
        ),
        "{explorer}"
    );

    assert_eq!(one(&r, "cost-explorer", None, None)["status"], "ok");
    let tag = one(&r, "cost-allocation-tag", None, None);
    assert_eq!(tag["status"], "fail");
    assert_eq!(
        text(tag, "fix"),
        "in the payer account: `aws ce update-cost-allocation-tags-status --cost-allocation-tags-status TagKey=map-migrated,Status=Active`"
    );

    let queue: Vec<&Value> = rows(&r, "queue");
    assert!(queue.iter().all(|q| q["status"] == "ok"), "{queue:#?}");
    assert!(queue.iter().any(|q| text(q, "message")
        .contains("receive, delete and change visibility allowed (simulated)")));
    let dlq = one(&r, "dead-letter-queue", None, None);
    assert_eq!(dlq["status"], "warn");
    assert!(
        text(dlq, "fix").contains(&format!(
            "aws sqs set-queue-attributes --queue-url {}",
            s.queue
        )),
        "{dlq}"
    );

    assert_eq!(
        r["summary"]["fail"].as_u64().unwrap() as usize,
        r["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["status"] == "fail")
            .count()
    );
    // Nothing written: reads, STS, the simulator and EC2's dry runs only.
    let calls = s.emu.faults_calls();
    let writes: Vec<&String> = calls.keys().filter(|a| is_write(a)).collect();
    assert!(
        writes.is_empty(),
        "doctor wrote: {writes:?} (all calls: {calls:?})"
    );
    assert_eq!(calls.get("ec2:CreateTags(DryRun)"), Some(&4), "{calls:?}");
    assert!(
        !s.dir.path().join("state").exists(),
        "doctor created the store"
    );
}

#[test]
fn once_every_failed_row_is_fixed_doctor_passes_and_the_audit_meets_nothing_it_did_not_predict() {
    let s = Setup::new();
    s.emu.faults(&json!({
        "deny": {PARTIAL: ["ec2:DescribeVolumes@eu-west-1"]},
        "cost_allocation_tags": {"map-migrated": "Active"},
    }));
    s.emu.explorer(
        "/_control",
        &json!({
            "indexes": {CALLER: {"region": "us-east-1", "type": "AGGREGATOR"}},
            "views": {VIEW: {"tags": true, "scope": "organization"}},
            "default_views": {format!("{CALLER}/us-east-1"): VIEW},
        })
        .to_string(),
    );
    let failing = s.doctor(&["--account", "partial", "--region", "eu-west-1"]);
    assert_eq!(failing.code, 3, "{}", failing.stdout);
    // What doctor predicted, the audit meets: the same account, region and action.
    let audit = s.run(&[
        "-c",
        &s.cfg,
        "audit",
        "--format",
        "json",
        "--account",
        "partial",
        "--region",
        "eu-west-1",
    ]);
    assert_eq!(audit.code, 3, "{}", audit.stderr);
    let errors = audit.json()["errors"].clone();
    assert!(
        errors
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["account"] == PARTIAL
                && e["region"] == "eu-west-1"
                && e["message"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("ec2:DescribeVolumes")),
        "{errors:#}"
    );

    s.emu.faults(&json!({"deny": {}}));
    let script = format!(
        "import json\nd = client.create_queue(QueueName='tagwarden-events-dlq')['QueueUrl']\narn = client.get_queue_attributes(QueueUrl=d, AttributeNames=['QueueArn'])['Attributes']['QueueArn']\nclient.set_queue_attributes(QueueUrl='{}', Attributes={{'RedrivePolicy': json.dumps({{'deadLetterTargetArn': arn, 'maxReceiveCount': '5'}})}})\nprint(arn)",
        s.queue
    );
    let dlq = common::boto3(&s.emu, CALLER, "sqs", &script);
    assert!(dlq.contains("tagwarden-events-dlq"), "{dlq}");
    let passing = s.doctor(&[]);
    let r = passing.json();
    assert_eq!(passing.code, 0, "{r:#}");
    assert_eq!(r["summary"]["fail"], 0);
    let dead = one(&r, "dead-letter-queue", None, None);
    assert_eq!(dead["status"], "ok", "{dead}");
    assert_eq!(
        one(&r, "resource-explorer", Some(CALLER), Some("us-east-1"))["status"],
        "ok"
    );

    let audit = s.run(&["-c", &s.cfg, "audit", "--format", "json"]);
    assert_ne!(audit.code, 3, "{}", audit.stderr);
    assert_eq!(audit.json()["errors"], json!([]));
}

#[test]
fn doctor_says_where_mgn_is_initialized_and_what_a_billing_export_holds() {
    let s = Setup::new();
    let config = std::fs::read_to_string(&s.cfg).unwrap().replace(
        "inventory:\n  resource_explorer: {region: us-east-1, scope: organization}\n",
        "inventory:\n  mgn: {}\n",
    );
    std::fs::write(&s.cfg, config).unwrap();
    s.emu.mgn(
        "POST",
        "/_control/initialize",
        &json!({"account": HEALTHY, "region": "us-east-1"}).to_string(),
    );
    let bill = s.dir.path().join("bill");
    std::fs::create_dir(&bill).unwrap();
    write(&bill, "cur.csv", "identity/LineItemId\n");
    let bill = bill.display().to_string();
    let run = s.doctor(&["--account", "healthy", "--cost", &bill]);
    let r = run.json();
    let ready = one(&r, "mgn", Some(HEALTHY), Some("us-east-1"));
    assert_eq!(ready["status"], "ok", "{ready}");
    let not = one(&r, "mgn", Some(HEALTHY), Some("eu-west-1"));
    assert_eq!(not["status"], "warn", "{not}");
    assert_eq!(
        text(not, "fix"),
        "if servers migrate here, `aws mgn initialize-service --region eu-west-1`; else leave it (nothing to tag)"
    );
    let export = one(&r, "billing-export", None, None);
    assert_eq!(export["status"], "warn", "{export}");
    assert!(
        text(export, "message").contains("1 billing files and no manifest"),
        "{export}"
    );

    let missing = s.doctor(&["--account", "healthy", "--cost", "/nonexistent/bill"]);
    assert_eq!(missing.code, 3);
    let export = one(&missing.json(), "billing-export", None, None).clone();
    assert_eq!(export["status"], "fail", "{export}");
    assert!(
        text(&export, "message").contains("no such file or folder"),
        "{export}"
    );
}
