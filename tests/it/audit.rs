//! `tagwarden audit` end to end against a moto server: accounts through
//! AssumeRole, two regions, every resource type with full discovery.

use crate::common;

use common::estate::{self, Seeded, CALLER, PROD, STAGING};
use common::{findings, map_policy_path, non_empty, write, Emulator};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap()
}

#[test]
fn audit_reports_exactly_the_seeded_problems() {
    let emu = Emulator::start();
    let seeded: Vec<Seeded> = runtime().block_on(estate::seed(&emu.endpoint(), "t1"));
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(
        dir.path(),
        "tagwarden.yaml",
        &estate::config(&map_policy_path(), ""),
    );
    let run = emu.tagwarden(&["audit", "-c", &cfg, "--format", "json"]);
    assert_eq!(run.code, 1, "non-compliance is exit 1\n{}", run.stderr);
    let report = run.json();
    assert_eq!(report["errors"], serde_json::json!([]), "{}", run.stderr);

    let expected: BTreeSet<(String, String, String)> = seeded
        .iter()
        .flat_map(|s| {
            s.expect
                .iter()
                .map(|(t, k)| (s.arn.clone(), t.clone(), k.clone()))
        })
        .collect();
    let actual = findings(&report);
    for s in &seeded {
        let mine: BTreeSet<_> = actual.iter().filter(|f| f.0 == s.arn).collect();
        let want: BTreeSet<_> = expected.iter().filter(|f| f.0 == s.arn).collect();
        assert_eq!(mine, want, "{} ({}, {})", s.label, s.arn, s.region);
    }
    assert_eq!(
        actual, expected,
        "findings for resources that were not seeded"
    );

    // Every finding carries its resource's own account, region and type, and
    // the hints that make wrong-case keys and legacy values fixable.
    let by_arn: BTreeMap<&str, &Seeded> = seeded.iter().map(|s| (s.arn.as_str(), s)).collect();
    for f in report["findings"].as_array().unwrap() {
        let s = by_arn[f["arn"].as_str().unwrap()];
        assert_eq!(f["account"], s.account.as_str(), "{}", s.label);
        assert_eq!(f["region"], s.region.as_str(), "{}", s.label);
        assert_eq!(f["resource_type"], s.resource_type.as_str(), "{}", s.label);
        assert_eq!(f["severity"], "critical");
        if let Some(hint) = &s.hint {
            let got = f["hint"].as_str().unwrap_or_default();
            assert!(
                got.contains(hint.as_str()),
                "{}: hint {got:?} lacks {hint:?}",
                s.label
            );
        }
    }

    // Each seeded resource is inventoried once (buckets too, though the
    // emulator returns them from every region's Tagging API).
    let summary = &report["summary"];
    assert_eq!(summary["resources"], seeded.len(), "{summary}");
    let exempt = seeded.iter().filter(|s| s.label.contains("exempt")).count();
    let non_compliant = seeded.iter().filter(|s| !s.expect.is_empty()).count();
    assert_eq!(summary["in_scope"], seeded.len() - exempt);
    assert_eq!(summary["non_compliant"], non_compliant);
    assert_eq!(summary["compliant"], seeded.len() - exempt - non_compliant);
    assert_eq!(summary["unknown"], 0);
    assert_eq!(summary["accounts"], 2);
    assert_eq!(summary["regions"], 2);

    // Calls: one page per list API per account-region, two AssumeRoles, one
    // ListBuckets per account, and one GetBucketLocation per bucket (moto's
    // ListBuckets lacks BucketRegion; AWS's has it, making these zero).
    let calls = &report["api_calls_by_operation"];
    for op in [
        "ec2:DescribeInstances",
        "ec2:DescribeVolumes",
        "ec2:DescribeSnapshots",
        "ec2:DescribeImages",
        "rds:DescribeDBInstances",
        "rds:DescribeDBClusters",
        "tagging:GetResources",
    ] {
        assert_eq!(calls[op], 4, "{op}: {calls}");
    }
    assert_eq!(calls["sts:AssumeRole"], 2);
    assert_eq!(calls["s3:ListBuckets"], 2);
    assert_eq!(calls["s3:GetBucketLocation"], 3);
    assert_eq!(
        summary["api_calls"],
        calls
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum::<u64>()
    );
}

#[test]
fn narrowing_to_an_account_and_region() {
    let emu = Emulator::start();
    let seeded = runtime().block_on(estate::seed(&emu.endpoint(), "t2"));
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(
        dir.path(),
        "tagwarden.yaml",
        &estate::config(&map_policy_path(), ""),
    );
    let run = emu.tagwarden(&[
        "audit",
        "-c",
        &cfg,
        "--account",
        "staging",
        "--region",
        "eu-west-1",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    let want: usize = seeded
        .iter()
        .filter(|s| s.account == STAGING.0 && s.region == "eu-west-1")
        .count();
    assert_eq!(report["summary"]["resources"], want);
    assert!(non_empty(&report["findings"], "findings")
        .iter()
        .all(|f| f["account"] == STAGING.0 && f["region"] == "eu-west-1"));

    let bad = emu.tagwarden(&["audit", "-c", &cfg, "--account", "nobody"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("--account nobody"), "{}", bad.stderr);
    let bad = emu.tagwarden(&["audit", "-c", &cfg, "--region", "ap-south-1"]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("not among the configured regions"),
        "{}",
        bad.stderr
    );
}

#[test]
fn a_failing_region_or_account_does_not_stop_the_others() {
    let emu = Emulator::start();
    let seeded = runtime().block_on(estate::seed(&emu.endpoint(), "t3"));
    let dir = tempfile::tempdir().unwrap();
    // The emulator answers 500 for a region it does not know; real AWS fails
    // such a region at DNS. Either way only that region is lost.
    let cfg = write(
        dir.path(),
        "tagwarden.yaml",
        &estate::config(&map_policy_path(), "").replace(
            "regions: [us-east-1, eu-west-1]",
            "regions: [us-east-1, eu-west-1, xx-nowhere-1]",
        ),
    );
    let run = emu.tagwarden(&["audit", "-c", &cfg, "--format", "json"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let report = run.json();
    let errors = non_empty(&report["errors"], "errors");
    assert!(
        errors.iter().all(|e| e["region"] == "xx-nowhere-1"),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|e| e["account"] == PROD.0)
            && errors.iter().any(|e| e["account"] == STAGING.0)
    );
    assert_eq!(
        report["summary"]["resources"],
        seeded.len(),
        "the good regions are fully scanned"
    );
    // Every request is counted, the SDK's own retries of the failing region
    // (4 attempts for a 500) included: 2 accounts x (2 good regions + 4).
    assert_eq!(
        report["api_calls_by_operation"]["ec2:DescribeInstances"],
        12
    );

    // An account that cannot be entered (here: no role configured for it; the
    // emulator lets any AssumeRole succeed) is reported, the others scanned.
    let cfg = write(
        dir.path(),
        "no-role.yaml",
        &format!("policies: [{}]\nregions: [us-east-1, eu-west-1]\naccounts:\n  list:\n    - {{id: \"{CALLER}\", name: own}}\n    - {{id: \"{}\", name: prod}}\n", map_policy_path(), PROD.0),
    );
    let run = emu.tagwarden(&["audit", "-c", &cfg, "--format", "json"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let report = run.json();
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["account"], PROD.0);
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("no `accounts.role`"),
        "{errors:?}"
    );
    assert_eq!(report["summary"]["accounts"], 2);
}

#[test]
fn organization_accounts_are_discovered() {
    let emu = Emulator::start();
    let rt = runtime();
    let member = rt.block_on(async {
        let seeder = estate::Seeder::new(&emu.endpoint()).await;
        let id = estate::member_account(&seeder, "wave-1").await;
        let cfg = seeder.account(&id).await;
        estate::launch(&estate::Seeder::ec2(&cfg, "us-east-1"), 1, &[], &[]).await;
        id
    });
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(
        dir.path(),
        "tagwarden.yaml",
        &format!("policies: [{}]\nregions: [us-east-1]\naccounts:\n  role: tagwarden-audit\n  external_id: wave-1-audit\n  discover: organizations\n", map_policy_path()),
    );
    let run = emu.tagwarden(&["audit", "-c", &cfg, "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    let accounts: BTreeSet<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["account"].as_str().unwrap())
        .collect();
    assert!(accounts.contains(member.as_str()), "{accounts:?}");
    let named = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["account"] == member.as_str())
        .unwrap();
    assert_eq!(named["account_name"], "wave-1");
}

/// Pages of the smallest size each API allows (TAGWARDEN_PAGE_SIZE=1,
/// clamped to the API's minimum) cross a page boundary for every list API
/// the emulator paginates: DescribeInstances (5 reservations a page),
/// DescribeDBInstances (20 a page), the Tagging API's GetResources (1) and
/// Organizations' ListAccounts (1). The rest, which the emulator answers in
/// one page, are crossed in tests/pages.rs.
#[test]
fn every_paginated_list_crosses_a_page_boundary() {
    let emu = Emulator::start();
    let members = runtime().block_on(async {
        let seeder = estate::Seeder::new(&emu.endpoint()).await;
        let ec2 = estate::Seeder::ec2(seeder.base(), "us-east-1");
        for _ in 0..6 {
            estate::launch_only(&ec2, 1).await; // one reservation each
        }
        let rds = estate::Seeder::rds(seeder.base(), "us-east-1");
        for i in 0..21 {
            estate::database(&rds, &format!("db-{i}"), &[]).await;
        }
        let mut members = BTreeSet::new();
        for i in 0..2 {
            members.insert(estate::member_account(&seeder, &format!("member-{i}")).await);
        }
        members
    });
    for topic in ["t1", "t2", "t3"] {
        emu.query("sns", &format!("Action=CreateTopic&Name={topic}&Tags.member.1.Key=Team&Tags.member.1.Value=web&Version=2010-03-31"));
    }
    let dir = tempfile::tempdir().unwrap();
    let policy = write(
        dir.path(),
        "p.yaml",
        "version: 1\npolicies:\n  - name: map\n    resources: [ec2:instance, rds:db, sns:topic]\n    require: {map-migrated: {format: map}}\n",
    );
    let cfg = write(
        dir.path(),
        "tagwarden.yaml",
        &format!("policies: [{policy}]\nregions: [us-east-1]\naccounts:\n  role: tagwarden-audit\n  discover: organizations\n"),
    );
    let run = emu.tagwarden_env(
        &["audit", "-c", &cfg, "--format", "json"],
        &[("TAGWARDEN_PAGE_SIZE", "1")],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    assert_eq!(report["errors"], serde_json::json!([]), "{report}");
    let mut by_type: BTreeMap<&str, usize> = BTreeMap::new();
    for f in non_empty(&report["findings"], "findings") {
        *by_type
            .entry(f["resource_type"].as_str().unwrap())
            .or_default() += 1;
    }
    assert_eq!(
        by_type,
        BTreeMap::from([("ec2:instance", 6), ("rds:db", 21), ("sns:topic", 3)]),
        "every page's resources"
    );
    let accounts = 1 + members.len() as u64;
    assert_eq!(
        report["summary"]["accounts"], accounts,
        "every page of accounts"
    );
    let calls = &report["api_calls_by_operation"];
    // One page per account, and a second where the caller's resources overflow it.
    assert_eq!(calls["ec2:DescribeInstances"], accounts + 1, "{calls}");
    assert_eq!(calls["rds:DescribeDBInstances"], accounts + 1, "{calls}");
    assert_eq!(calls["tagging:GetResources"], accounts - 1 + 3, "{calls}");
    assert_eq!(calls["organizations:ListAccounts"], accounts, "{calls}");
}

#[test]
fn api_calls_grow_with_pages_not_resources() {
    let emu = Emulator::start();
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(
        dir.path(),
        "tagwarden.yaml",
        &format!(
            "policies: [{}]\nregions: [us-east-1]\naccounts:\n  list: [{{id: \"{CALLER}\"}}]\n",
            map_policy_path()
        ),
    );
    let calls = |n: i32| {
        rt.block_on(async {
            let seeder = estate::Seeder::new(&emu.endpoint()).await;
            let ec2 = estate::Seeder::ec2(seeder.base(), "us-east-1");
            estate::launch(&ec2, n, &[], &[]).await;
        });
        let report = emu
            .tagwarden(&["audit", "-c", &cfg, "--format", "json"])
            .json();
        (
            report["summary"]["resources"].as_u64().unwrap(),
            report["summary"]["api_calls"].as_u64().unwrap(),
        )
    };
    let (small_resources, small_calls) = calls(5);
    let (large_resources, large_calls) = calls(200);
    assert_eq!(small_resources, 10, "5 instances and their root volumes");
    assert_eq!(large_resources, 410);
    assert_eq!(
        small_calls, large_calls,
        "40 times the resources, the same number of calls"
    );
}

#[test]
fn a_compliant_estate_exits_zero_in_every_format() {
    let emu = Emulator::start();
    runtime().block_on(async {
        let seeder = estate::Seeder::new(&emu.endpoint()).await;
        let ec2 = estate::Seeder::ec2(seeder.base(), "us-east-1");
        let map = ("map-migrated", "mig12345");
        estate::launch(&ec2, 2, &[map], &[map]).await;
    });
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(
        dir.path(),
        "tagwarden.yaml",
        &format!("policies: [{}]\nregions: [us-east-1]\n", map_policy_path()),
    );
    let run = emu.tagwarden(&["audit", "-c", &cfg, "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["summary"]["compliant"], 4);

    let csv = emu.tagwarden(&["audit", "-c", &cfg, "--format", "csv"]);
    assert_eq!(csv.code, 0);
    assert_eq!(
        csv.stdout,
        "arn,account,account_name,region,resource_type,policy,tag,kind,value,severity,hint,cost,credit_at_risk\n"
    );
    let md = emu.tagwarden(&["audit", "-c", &cfg, "--format", "markdown"]);
    assert!(
        md.stdout.starts_with("# tagwarden audit") && md.stdout.contains("No findings."),
        "{}",
        md.stdout
    );
    let table = emu.tagwarden(&["audit", "-c", &cfg, "--format", "table"]);
    assert!(
        table
            .stdout
            .contains("4 resources in 1 account(s) and 1 region(s): 4 in scope, 4 compliant"),
        "{}",
        table.stdout
    );

    let out = dir.path().join("report.json");
    let run = emu.tagwarden(&["audit", "-c", &cfg, "-o", out.to_str().unwrap()]);
    assert_eq!(run.code, 0);
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(written["summary"]["resources"], 4);
}

#[test]
fn endpoint_from_the_configuration_reaches_every_client() {
    let emu = Emulator::start();
    let seeded = runtime().block_on(estate::seed(&emu.endpoint(), "t7"));
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(
        dir.path(),
        "tagwarden.yaml",
        &estate::config(
            &map_policy_path(),
            &format!("aws:\n  endpoint_url: {}\n", emu.endpoint()),
        ),
    );
    // No AWS_ENDPOINT_URL: STS (AssumeRole) and every service must use the
    // configured endpoint, or this could not find the seeded resources.
    let run = common::run_tagwarden(&["audit", "-c", &cfg, "--format", "json"], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.json()["summary"]["resources"], seeded.len());
}

#[test]
fn tagging_api_types_are_audited_when_tagged() {
    let emu = Emulator::start();
    let tagged = runtime().block_on(async {
        let seeder = estate::Seeder::new(&emu.endpoint()).await;
        let ec2 = estate::Seeder::ec2(seeder.base(), "eu-west-1");
        let spec = aws_sdk_ec2::types::TagSpecification::builder()
            .resource_type(aws_sdk_ec2::types::ResourceType::SecurityGroup)
            .tags(
                aws_sdk_ec2::types::Tag::builder()
                    .key("Team")
                    .value("web")
                    .build(),
            )
            .build();
        let sg = ec2
            .create_security_group()
            .group_name("web")
            .description("web")
            .tag_specifications(spec)
            .send()
            .await
            .unwrap();
        // Never tagged: invisible to the Tagging API, in AWS as in the emulator.
        ec2.create_security_group()
            .group_name("bare")
            .description("bare")
            .send()
            .await
            .unwrap();
        format!(
            "arn:aws:ec2:eu-west-1:{CALLER}:security-group/{}",
            sg.group_id().unwrap()
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let policy = write(dir.path(), "sg.yaml", "version: 1\npolicies:\n  - name: sg-owner\n    resources: [ec2:security-group]\n    require: {Owner: {}}\n");
    let cfg = write(
        dir.path(),
        "tagwarden.yaml",
        &format!("policies: [{policy}]\nregions: [us-east-1, eu-west-1]\n"),
    );
    let run = emu.tagwarden(&["audit", "-c", &cfg, "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("`ec2:security-group` is seen only through the Resource Groups Tagging API"),
        "{}",
        run.stderr
    );
    let report = run.json();
    assert_eq!(report["summary"]["resources"], 1);
    assert_eq!(
        findings(&report),
        BTreeSet::from([(tagged, "Owner".to_string(), "missing".to_string())])
    );
    assert_eq!(report["findings"][0]["region"], "eu-west-1");
    assert_eq!(report["warnings"].as_array().unwrap().len(), 1);
    // Only the Tagging API is asked: no EC2 describe calls for this type.
    assert!(report["api_calls_by_operation"]
        .get("ec2:DescribeInstances")
        .is_none());
}
