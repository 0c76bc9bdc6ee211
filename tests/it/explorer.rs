//! Every MAP-eligible type, never-tagged ones included, through AWS
//! Resource Explorer: the stand-in of `support/emulator.py` answers
//! `ListResources` from what the emulator holds, and tagwarden reads
//! current tags from the emulator's Tagging API. The services a migration
//! creates are seeded in two member accounts, a third of each never tagged.
//!
//! The emulator's Tagging API (moto 5.2.5) does not know Kinesis streams and
//! EKS clusters (AWS's does): they are seeded never tagged only, and writes
//! to them fail there, as they fail for load balancers and SQS queues.

use crate::common;

use common::estate::{config, CALLER, PROD, STAGING};
use common::{findings, write, Emulator, Run};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The types a migration creates that tagwarden does not list itself.
const TYPES: &[&str] = &[
    "lambda:function",
    "dynamodb:table",
    "elasticloadbalancing:loadbalancer",
    "elasticfilesystem:file-system",
    "elasticache:cluster",
    "ecs:cluster",
    "sns:topic",
    "sqs:queue",
    "logs:log-group",
    "secretsmanager:secret",
    "kinesis:stream",
    "eks:cluster",
];

/// Types whose `TagResources` the emulator refuses ("Service not yet supported").
const REFUSED: &[&str] = &[
    "elasticloadbalancing:loadbalancer",
    "sqs:queue",
    "kinesis:stream",
    "eks:cluster",
];

const VIEW: &str = "arn:aws:resource-explorer-2:us-east-1:123456789012:view/org-view/0b1c";

struct Setup {
    emu: Emulator,
    dir: tempfile::TempDir,
    cfg: String,
    /// Seeded: ARN to (type, class).
    seeded: BTreeMap<String, (String, String)>,
}

impl Setup {
    fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[])
    }

    fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut all = vec!["-c", self.cfg.as_str()];
        all.extend_from_slice(args);
        self.emu.tagwarden_env(&all, env)
    }

    /// The seeded ARNs of these classes.
    fn of(&self, classes: &[&str]) -> BTreeSet<String> {
        self.seeded
            .iter()
            .filter(|(_, (_, c))| classes.contains(&c.as_str()))
            .map(|(a, _)| a.clone())
            .collect()
    }

    fn control(&self, body: Value) {
        self.emu.explorer("/_control", &body.to_string());
    }

    fn calls(&self) -> Value {
        let text = self.emu.explorer_get("/_control/calls");
        serde_json::from_str(&text).unwrap()
    }
}

/// An organization view in the caller's account, with tags.
fn organization_view() -> Value {
    serde_json::json!({
        "indexes": {CALLER: {"region": "us-east-1", "type": "AGGREGATOR"}},
        "views": {VIEW: {"tags": true, "scope": "organization"}},
        "default_views": {format!("{CALLER}/us-east-1"): VIEW},
    })
}

fn setup(inventory: &str) -> Setup {
    let emu = Emulator::start();
    let doc = common::seed_services(&emu, &[], &[PROD.0, STAGING.0]);
    let seeded = doc["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap().to_string();
            (s("arn"), (s("type"), s("class")))
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let types = TYPES
        .iter()
        .map(|t| format!("\"{t}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let policy = format!(
        "version: 1\npolicies:\n  - name: map\n    resources: [{types}]\n    require:\n      map-migrated: {{values: [migABCDE12345]}}\n    remediate:\n      set: {{map-migrated: migABCDE12345}}\n"
    );
    let policy = write(dir.path(), "map.yaml", &policy);
    let store = dir.path().join("state.db").display().to_string();
    let text = config(&policy, &format!("store: {store}\n{inventory}"))
        .replace("regions: [us-east-1, eu-west-1]", "regions: [us-east-1]");
    let cfg = write(dir.path(), "tagwarden.yaml", &text);
    Setup {
        emu,
        dir,
        cfg,
        seeded,
    }
}

const ORGANIZATION: &str =
    "inventory:\n  resource_explorer: {region: us-east-1, scope: organization}\n";

fn arns_of(report: &Value) -> BTreeSet<String> {
    findings(report)
        .into_iter()
        .map(|(arn, _, _)| arn)
        .collect()
}

#[test]
fn resource_explorer_finds_every_non_compliant_resource_once_never_tagged_ones_included() {
    let s = setup(ORGANIZATION);
    s.control(organization_view());
    // Small pages: ListResources is read past its first page.
    s.control(serde_json::json!({"max_page": 5}));
    let run = s.run(&["audit", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    let found = arns_of(&report);
    assert_eq!(
        found,
        s.of(&["non_compliant", "never_tagged"]),
        "{:#}",
        report["errors"]
    );
    // One resource, one finding (one policy, one key).
    assert_eq!(report["findings"].as_array().unwrap().len(), found.len());
    assert!(
        s.of(&["compliant"]).is_disjoint(&found),
        "no false positives"
    );
    let types: BTreeSet<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["resource_type"].as_str().unwrap())
        .collect();
    assert_eq!(types, TYPES.iter().copied().collect(), "every type");
    assert_eq!(report["summary"]["in_scope"], s.seeded.len() as u64);
    let warning = report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|w| {
            w.as_str()
                .filter(|w| w.contains("Resource Explorer listed"))
        })
        .expect("a note on what Resource Explorer listed");
    assert!(
        warning.contains(&format!("listed {} resource(s)", s.seeded.len())),
        "{warning}"
    );
    // Requests near the minimum: ListResources pages (one listing per
    // type, 4 for load balancers) and one GetResources per 100 ARNs and
    // account (one here).
    let calls = &report["api_calls_by_operation"];
    let pages = calls["resource-explorer-2:ListResources"].as_u64().unwrap();
    let listings = TYPES.len() as u64 + 3;
    let per_type_pages: u64 = 3 * 2 / 5 + 1; // at most 6 of a type in 2 accounts, 5 a page
    assert!(
        pages > listings && pages <= listings * per_type_pages,
        "{pages}"
    );
    assert_eq!(calls["tagging:GetResources"].as_u64(), Some(2), "{calls}");
    assert!(s.calls()["ListResources"].as_u64().unwrap() >= pages);
}

#[test]
fn plan_apply_and_rollback_every_type_through_the_tagging_api() {
    let s = setup(ORGANIZATION);
    s.control(organization_view());
    let plan = s.run(&["plan", "--format", "json"]);
    assert_eq!(plan.code, 1, "{}", plan.stderr);
    let planned: BTreeSet<String> = plan.json()["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["arn"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(planned, s.of(&["non_compliant", "never_tagged"]));
    let apply = s.run(&["apply", "--yes", "--format", "json"]);
    let report = apply.json();
    assert_eq!(apply.code, 3, "failed writes exit 3: {}", apply.stderr);
    let mut applied = BTreeSet::new();
    let mut failed = BTreeSet::new();
    for c in report["changes"].as_array().unwrap() {
        let ty = c["resource_type"].as_str().unwrap();
        let arn = c["arn"].as_str().unwrap().to_string();
        match c["status"].as_str().unwrap() {
            "applied" => {
                assert!(!REFUSED.contains(&ty), "{arn}");
                applied.insert(arn);
            }
            "failed" => {
                assert!(REFUSED.contains(&ty), "{arn}: {c}");
                assert_eq!(c["error_code"], "InternalServiceException", "{c}");
                failed.insert(arn);
            }
            other => panic!("{other}: {c}"),
        }
    }
    assert_eq!(&applied | &failed, planned);
    assert_eq!(
        report["summary"]["applied"].as_u64().unwrap() as usize,
        applied.len()
    );
    // Written ones comply now; refused ones are still findings.
    let audit = s.run(&["audit", "--format", "json"]).json();
    assert_eq!(arns_of(&audit), failed);
    // Rollback removes what was written, through UntagResources.
    let run_id = report["run_id"].as_str().unwrap();
    let back = s.run(&["rollback", run_id, "--yes", "--format", "json"]);
    assert_eq!(back.code, 0, "{}", back.stderr);
    let audit = s.run(&["audit", "--format", "json"]).json();
    assert_eq!(arns_of(&audit), planned);
}

#[test]
fn resource_explorer_not_set_up_is_not_scanned_never_compliant() {
    let s = setup(ORGANIZATION);
    let cases = [
        (serde_json::json!({}), "create-index"),
        (
            serde_json::json!({"indexes": {CALLER: {"region": "us-east-1", "type": "LOCAL"}}}),
            "--type AGGREGATOR",
        ),
        (
            serde_json::json!({"indexes": {CALLER: {"region": "us-east-1", "type": "AGGREGATOR"}}}),
            "associate-default-view",
        ),
        (
            serde_json::json!({"views": {VIEW: {"tags": false, "scope": "organization"}},
                               "default_views": {format!("{CALLER}/us-east-1"): VIEW}}),
            "--included-properties Name=tags",
        ),
        (
            serde_json::json!({"deny": [CALLER]}),
            "resource-explorer-2:Search",
        ),
    ];
    for (state, fix) in cases {
        s.control(state);
        let run = s.run(&["audit", "--format", "json"]);
        assert_eq!(run.code, 3, "{fix}: {}", run.stderr);
        let report = run.json();
        let errors = report["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{fix}: {errors:?}");
        let e = &errors[0];
        assert!(e["message"].as_str().unwrap().contains(fix), "{fix}: {e}");
        assert!(
            e["message"].as_str().unwrap().contains(CALLER),
            "names the account: {e}"
        );
        assert_eq!(e["types"].as_array().unwrap().len(), TYPES.len(), "{e}");
        assert!(
            report["findings"].as_array().unwrap().is_empty(),
            "nothing is called compliant or not"
        );
        assert_eq!(report["summary"]["in_scope"], 0);
    }
    // Throttled now and then: the limiter waits and tries again.
    s.control(organization_view());
    s.control(serde_json::json!({"deny": [], "throttle_every": 3}));
    let run = s.run(&["audit", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        arns_of(&run.json()),
        s.of(&["non_compliant", "never_tagged"])
    );
}

#[test]
fn each_accounts_own_view_with_scope_account() {
    let s = setup("inventory:\n  resource_explorer: {region: us-east-1, scope: account}\n");
    let mut state = serde_json::json!({"indexes": {}, "views": {}, "default_views": {}});
    for account in [PROD.0, STAGING.0] {
        let view = format!("arn:aws:resource-explorer-2:us-east-1:{account}:view/own/1");
        state["indexes"][account] =
            serde_json::json!({"region": "us-east-1", "type": "AGGREGATOR"});
        state["views"][&view] = serde_json::json!({"tags": true, "scope": "account"});
        state["default_views"][format!("{account}/us-east-1")] = Value::from(view);
    }
    s.control(state.clone());
    let run = s.run(&["audit", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        arns_of(&run.json()),
        s.of(&["non_compliant", "never_tagged"])
    );
    // One account without its index: that account's types are not scanned.
    state["indexes"].as_object_mut().unwrap().remove(STAGING.0);
    s.control(state);
    let run = s.run(&["audit", "--format", "json"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let report = run.json();
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["account"], STAGING.0);
    let prod: BTreeSet<String> = s
        .of(&["non_compliant", "never_tagged"])
        .into_iter()
        .filter(|a| a.contains(PROD.0))
        .collect();
    assert_eq!(arns_of(&report), prod);
}

#[test]
fn current_tags_win_and_a_resource_deleted_since_indexing_is_not_a_finding() {
    let s = setup(ORGANIZATION);
    s.control(organization_view());
    // Resource Explorer lags: its index stops following the emulator.
    s.emu.explorer("/_control/freeze", "");
    let topic = s
        .of(&["non_compliant"])
        .into_iter()
        .find(|a| a.contains(":sns:") && a.contains(PROD.0))
        .unwrap();
    let table = s
        .of(&["never_tagged"])
        .into_iter()
        .find(|a| a.contains(":dynamodb:") && a.contains(PROD.0))
        .unwrap();
    common::boto3(
        &s.emu,
        PROD.0,
        "sns",
        &format!("client.delete_topic(TopicArn='{topic}')"),
    );
    common::boto3(
        &s.emu,
        PROD.0,
        "dynamodb",
        &format!("client.tag_resource(ResourceArn='{table}', Tags=[{{'Key': 'map-migrated', 'Value': 'migABCDE12345'}}])"),
    );
    let run = s.run(&["audit", "--format", "json"]);
    let report = run.json();
    let found = arns_of(&report);
    assert!(!found.contains(&topic), "deleted since it was indexed");
    assert!(
        !found.contains(&table),
        "tagged since it was indexed: current tags win"
    );
    let mut expected = s.of(&["non_compliant", "never_tagged"]);
    expected.remove(&topic);
    expected.remove(&table);
    assert_eq!(found, expected);
    let warnings = report["warnings"].to_string();
    assert!(
        warnings.contains("1 had changed since") && warnings.contains("1 had been deleted since"),
        "{warnings}"
    );
    let _ = &s.dir;
}

#[test]
fn groups_and_services_must_launch_born_tagged() {
    let emu = Emulator::start();
    let doc = common::seed_services(&emu, &["--launchers"], &[PROD.0]);
    let class: BTreeMap<String, String> = doc["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["arn"].as_str().unwrap().into(),
                r["class"].as_str().unwrap().into(),
            )
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let policy = write(
        dir.path(),
        "map.yaml",
        "version: 1\npolicies:\n  - name: map\n    resources: [autoscaling:autoScalingGroup, ecs:service]\n    require:\n      map-migrated: {format: map}\n    remediate:\n      set: {map-migrated: migABCDE12345}\n",
    );
    let store = dir.path().join("state.db").display().to_string();
    let text = config(&policy, &format!("store: {store}\n{ORGANIZATION}"))
        .replace("regions: [us-east-1, eu-west-1]", "regions: [us-east-1]");
    let cfg = write(dir.path(), "tagwarden.yaml", &text);
    emu.explorer("/_control", &organization_view().to_string());
    let run = |args: &[&str]| {
        let mut all = vec!["-c", cfg.as_str()];
        all.extend_from_slice(args);
        emu.tagwarden(&all)
    };
    let kinds = |report: &Value| -> BTreeMap<String, String> {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["arn"].as_str().unwrap().into(),
                    f["kind"].as_str().unwrap().into(),
                )
            })
            .collect()
    };
    let audit = run(&["audit", "--format", "json"]);
    assert_eq!(audit.code, 1, "{}", audit.stderr);
    let report = audit.json();
    let expected: BTreeMap<String, String> = class
        .iter()
        .filter(|(_, c)| *c != "compliant")
        .map(|(a, c)| (a.clone(), c.clone()))
        .collect();
    assert_eq!(kinds(&report), expected, "{:#}", report["findings"]);
    let service = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["resource_type"] == "ecs:service")
        .unwrap();
    assert!(
        service["hint"]
            .as_str()
            .unwrap()
            .contains("--propagate-tags SERVICE"),
        "{service}"
    );
    // Remediate: the groups' tag is written with PropagateAtLaunch; the
    // service's propagateTags is not a tag, so it stays a finding.
    let apply = run(&["apply", "--yes", "--format", "json"]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stderr, apply.stdout);
    let written: BTreeSet<String> = apply.json()["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "applied")
        .map(|c| c["arn"].as_str().unwrap().to_string())
        .collect();
    let groups: BTreeSet<String> = expected
        .keys()
        .filter(|a| a.contains(":autoscaling:"))
        .cloned()
        .collect();
    assert_eq!(written, groups);
    let after = run(&["audit", "--format", "json"]).json();
    let services: BTreeMap<String, String> = expected
        .into_iter()
        .filter(|(a, _)| a.contains(":ecs:"))
        .collect();
    assert_eq!(kinds(&after), services, "the groups pass the tag on now");
}

#[test]
fn tags_read_by_arn_follow_every_page_of_the_answer() {
    // 150 tagged topics in one account and region: the Tagging API pages
    // its answer to a 100-ARN request (the emulator after 50 resources), and
    // a topic on a page not read would pass for one deleted since indexing.
    let s = setup(ORGANIZATION);
    common::boto3(
        &s.emu,
        PROD.0,
        "sns",
        "[client.create_topic(Name=f'paged-{i}', Tags=[{'Key': 'map-migrated', 'Value': 'migABCDE12345'}]) for i in range(150)]",
    );
    s.control(organization_view());
    let run = s.run(&["audit", "--format", "json"]);
    let report = run.json();
    let warning = report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|w| w.as_str().filter(|w| w.contains("deleted since")))
        .unwrap_or_else(|| panic!("{report}"))
        .to_string();
    assert!(warning.contains(", 0 had been deleted since"), "{warning}");
    let paged: Vec<String> = findings(&report)
        .into_iter()
        .map(|(arn, _, _)| arn)
        .filter(|a| a.contains(":paged-"))
        .collect();
    assert!(paged.is_empty(), "compliant topics reported: {paged:?}");
    assert!(
        report["api_calls_by_operation"]["tagging:GetResources"]
            .as_u64()
            .unwrap()
            > 2,
        "{report}"
    );
}

#[test]
fn the_shipped_map_policy_finds_never_tagged_resources_of_its_newer_types() {
    let emu = Emulator::start();
    // A KMS key, a state machine and a Glue job, never tagged, in PROD.
    let seed = r#"
import json
out = {}
kms = client
out['kms:key'] = kms.create_key(Description='orders')['KeyMetadata']['Arn']
sfn = session.client('stepfunctions', **auth)
out['states:stateMachine'] = sfn.create_state_machine(name='orders-flow', definition='{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}', roleArn='arn:aws:iam::%s:role/sfn' % account)['stateMachineArn']
glue = session.client('glue', **auth)
glue.create_job(Name='orders-etl', Role='arn:aws:iam::%s:role/glue' % account, Command={'Name': 'glueetl', 'ScriptLocation': 's3://scripts/etl.py'})
out['glue:job'] = 'arn:aws:glue:us-east-1:%s:job/orders-etl' % account
print(json.dumps(out))
"#;
    let script = format!(
        "session = boto3\nauth = dict(aws_access_key_id=c['AccessKeyId'], aws_secret_access_key=c['SecretAccessKey'], aws_session_token=c['SessionToken'], **kw)\naccount = '{}'\n{seed}",
        PROD.0
    );
    let seeded: BTreeMap<String, String> =
        serde_json::from_str(&common::boto3(&emu, PROD.0, "kms", &script)).unwrap();
    emu.explorer("/_control", &organization_view().to_string());
    let dir = tempfile::tempdir().unwrap();
    let policy = common::repo_root().join("policies/map-migrated.yaml");
    let store = dir.path().join("state.db").display().to_string();
    let text = config(
        policy.to_str().unwrap(),
        &format!("store: {store}\n{ORGANIZATION}"),
    )
    .replace("regions: [us-east-1, eu-west-1]", "regions: [us-east-1]");
    let cfg = write(dir.path(), "tagwarden.yaml", &text);
    let run = emu.tagwarden(&["-c", &cfg, "audit", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    let found = findings(&report);
    for (ty, arn) in &seeded {
        assert!(
            found.contains(&(arn.clone(), "map-migrated".into(), "missing".into())),
            "{ty} {arn} not found missing map-migrated: {:#}",
            report["findings"]
        );
        let f = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["arn"] == arn.as_str())
            .unwrap();
        assert_eq!(f["resource_type"], ty.as_str());
        assert_eq!(f["account"], PROD.0);
    }
}
