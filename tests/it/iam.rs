//! `tagwarden policy iam`, without AWS: the shipped IAM policies are its
//! output for the shipped policies (deploy/iam/tagwarden.yaml), and what a
//! configuration or a policy changes in it.

use crate::common;

use common::{repo_root, run_tagwarden, write};
use serde_json::Value;
use std::collections::BTreeSet;

/// Each role and the file in deploy/iam that holds its policy.
const FILES: [(&str, &str); 3] = [
    ("scanner", "scanner-policy.json"),
    ("audit", "audit-role-policy.json"),
    ("enforce", "enforce-role-policy.json"),
];

fn shipped_config() -> String {
    repo_root()
        .join("deploy/iam/tagwarden.yaml")
        .display()
        .to_string()
}

/// `tagwarden ARGS`, which must succeed: its standard output.
fn printed(args: &[&str]) -> String {
    let run = run_tagwarden(args, &[]);
    assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
    run.stdout
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn statement<'a>(doc: &'a Value, sid: &str) -> Option<&'a Value> {
    doc["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == sid)
}

fn actions(doc: &Value) -> BTreeSet<String> {
    doc["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["Action"].as_array().unwrap().iter())
        .map(|a| a.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_shipped_iam_policies_are_what_policy_iam_prints() {
    let cfg = shipped_config();
    for (role, file) in FILES {
        let run = run_tagwarden(&["-c", &cfg, "policy", "iam", "--role", role], &[]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(
            run.stderr, "",
            "the shipped policies load without a warning, and every type's tag permission is known"
        );
        let shipped = std::fs::read_to_string(repo_root().join("deploy/iam").join(file)).unwrap();
        assert_eq!(
            run.stdout, shipped,
            "deploy/iam/{file} is not what `policy iam --role {role}` prints: regenerate it (deploy/iam/README.md)"
        );
    }
    // Without --role: every role in one object, the same documents.
    let all = json(&printed(&["-c", &cfg, "policy", "iam"]));
    let roles: BTreeSet<&str> = all
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(roles, BTreeSet::from(["scanner", "audit", "enforce"]));
    for (role, file) in FILES {
        let shipped = std::fs::read_to_string(repo_root().join("deploy/iam").join(file)).unwrap();
        assert_eq!(all[role], json(&shipped), "{role}");
    }
}

#[test]
fn the_enforce_role_writes_only_the_keys_remediate_sets() {
    let enforce = json(&printed(&[
        "-c",
        &shipped_config(),
        "policy",
        "iam",
        "--role",
        "enforce",
    ]));
    let keys = serde_json::json!({"ForAllValues:StringEquals": {"aws:TagKeys": ["map-migrated"]}});
    let writes = statement(&enforce, "TagwardenEnforceTagWrites").expect("writes");
    let removals = statement(&enforce, "TagwardenRollbackTagRemovals").expect("removals");
    assert_eq!(writes["Condition"], keys);
    assert_eq!(removals["Condition"], keys);
    assert!(statement(&enforce, "TagwardenEnforceReadsTags").unwrap()["Condition"].is_null());
    // TagResources needs the service's own tag permission as well: every
    // type of the shipped MAP policy has its own, for writes and removals.
    let policy: Value = serde_yaml_ng::from_str(
        &std::fs::read_to_string(repo_root().join("policies/map-migrated.yaml")).unwrap(),
    )
    .unwrap();
    let has = |statement: &Value, action: &str| {
        statement["Action"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == action)
    };
    for t in policy["policies"][0]["resources"].as_array().unwrap() {
        let service = t.as_str().unwrap().split(':').next().unwrap();
        let (write, remove) = match service {
            "ec2" | "redshift" | "mq" | "workspaces" => ("CreateTags", "DeleteTags"),
            "sagemaker" => ("AddTags", "DeleteTags"),
            "route53" => ("ChangeTagsForResource", "ChangeTagsForResource"),
            "rds" | "elasticache" | "dms" => ("AddTagsToResource", "RemoveTagsFromResource"),
            "elasticloadbalancing" | "es" => ("AddTags", "RemoveTags"),
            "kinesis" => ("AddTagsToStream", "RemoveTagsFromStream"),
            "sqs" => ("TagQueue", "UntagQueue"),
            "autoscaling" => ("CreateOrUpdateTags", "DeleteTags"),
            // S3 replaces whole sets; MGN's launch settings have their own
            // statement, API Gateway's verbs theirs, on its tags' paths only.
            "s3" | "mgn" | "apigateway" => continue,
            _ => ("TagResource", "UntagResource"),
        };
        assert!(has(writes, &format!("{service}:{write}")), "{t}: {write}");
        assert!(
            has(removals, &format!("{service}:{remove}")),
            "{t}: {remove}"
        );
    }
    for (sid, action) in [
        ("TagwardenEnforceTagWritesOnTagPaths", "apigateway:PUT"),
        (
            "TagwardenRollbackTagRemovalsOnTagPaths",
            "apigateway:DELETE",
        ),
    ] {
        let s = statement(&enforce, sid).expect(sid);
        assert_eq!(s["Action"], serde_json::json!([action]));
        assert_eq!(s["Resource"], "arn:*:apigateway:*::/tags/*");
        assert_eq!(s["Condition"], keys);
        assert!(!has(writes, action) && !has(removals, action));
    }
    // A bucket's tags are written as a whole set: no key condition can hold.
    let buckets = statement(&enforce, "TagwardenEnforceBucketTagSets").expect("S3");
    assert_eq!(
        buckets["Action"],
        serde_json::json!(["s3:PutBucketTagging"])
    );
    assert!(buckets["Condition"].is_null());
}

#[test]
fn resource_explorer_is_granted_to_whoever_reads_the_view() {
    let explorer = [
        "resource-explorer-2:GetDefaultView",
        "resource-explorer-2:GetIndex",
        "resource-explorer-2:GetView",
        "resource-explorer-2:Search",
    ];
    let cfg = shipped_config();
    let scanner = json(&printed(&[
        "-c", &cfg, "policy", "iam", "--role", "scanner",
    ]));
    let view = statement(&scanner, "ReadTheOrganizationResourceExplorerView").expect("the view");
    assert_eq!(view["Action"], serde_json::json!(explorer));
    let audit = json(&printed(&["-c", &cfg, "policy", "iam", "--role", "audit"]));
    assert!(actions(&audit)
        .iter()
        .all(|a| !a.starts_with("resource-explorer-2:")));

    // scope: account: each member role reads its own account's view.
    let dir = tempfile::tempdir().unwrap();
    let own = write(
        dir.path(),
        "tagwarden.yaml",
        &format!(
            "policies: [{}]\naccounts: {{role: tagwarden-audit}}\ninventory:\n  resource_explorer: {{region: us-east-1, scope: account}}\n",
            common::map_policy_path()
        ),
    );
    let all = json(&printed(&["-c", &own, "policy", "iam"]));
    let audit = actions(&all["audit"]);
    assert!(explorer.iter().all(|a| audit.contains(*a)), "{audit:?}");
    assert_eq!(
        actions(&all["scanner"]),
        BTreeSet::from(["sts:AssumeRole".to_string()])
    );
}

#[test]
fn policies_that_do_not_remediate_need_no_enforce_role() {
    let cost = repo_root().join("policies/cost-allocation.yaml");
    let cost = cost.to_str().unwrap();
    let run = run_tagwarden(&["policy", "iam", cost, "--role", "enforce"], &[]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.contains("no policy has `remediate.set`"),
        "{}",
        run.stderr
    );
    // The paths given replace the configuration's policies; the audit role
    // reads only their types.
    let all = json(&printed(&["-c", &shipped_config(), "policy", "iam", cost]));
    assert!(all.get("enforce").is_none(), "{all}");
    assert_eq!(
        actions(&all["audit"]),
        [
            "ec2:DescribeInstances",
            "ec2:DescribeVolumes",
            "rds:DescribeDBClusters",
            "rds:DescribeDBInstances",
            "s3:GetBucketLocation",
            "s3:GetBucketTagging",
            "s3:ListAllMyBuckets",
            "tag:GetResources",
        ]
        .into_iter()
        .map(String::from)
        .collect::<BTreeSet<_>>()
    );
}

#[test]
fn an_invalid_policy_stops_policy_iam_as_it_stops_validate() {
    let broken = repo_root().join("crates/core/tests/fixtures/broken");
    let broken = broken.to_str().unwrap();
    let validate = run_tagwarden(&["policy", "validate", broken], &[]);
    let iam = run_tagwarden(&["policy", "iam", broken], &[]);
    assert_eq!((validate.code, iam.code), (2, 2), "{}", iam.stderr);
    assert_eq!(iam.stderr, validate.stderr);
    assert_eq!(iam.stdout, "", "no policy printed");
    let none = run_tagwarden(&["policy", "iam"], &[]);
    assert_eq!(none.code, 2);
    assert!(
        none.stderr
            .contains("no policy files given: `tagwarden policy iam PATH…`"),
        "{}",
        none.stderr
    );
}
