//! An agreement run in AWS Transform: its resources carry
//! `aws-apn-id=mig<PRM ID>` (`map.tag`), and `format: map` on that key,
//! the audit's hints, and `apply` follow it as they do `map-migrated`.

use crate::common;

use common::estate::{self, Seeder, PROD};
use common::{findings, write, Emulator};
use std::collections::{BTreeMap, BTreeSet};

const OURS: &str = "migra-abcdefg123456";

const POLICY: &str = "version: 1
policies:
  - name: map-aws-transform
    severity: critical
    resources: [ec2:volume]
    require:
      aws-apn-id:
        format: map
    remediate:
      set:
        aws-apn-id: migra-abcdefg123456
      overwrite: never
";

#[test]
fn an_estate_tagged_under_aws_transform_is_audited_and_enforced_by_its_key() {
    let emu = Emulator::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (region, account) = ("us-east-1", PROD.0);
    let ec2 = rt.block_on(async {
        let seeder = Seeder::new(&emu.endpoint()).await;
        Seeder::ec2(&seeder.account(account).await, region)
    });
    let volume = |tags: &[(&str, &str)]| rt.block_on(estate::volume(&ec2, region, tags));
    let ours = volume(&[("aws-apn-id", OURS)]);
    let upper = volume(&[("aws-apn-id", "MIGra-abcdefg123456")]);
    let other_scheme = volume(&[("map-migrated", "migABCDE12345")]);
    let untagged = volume(&[]);
    let arn = |id: &str| format!("arn:aws:ec2:{region}:{account}:volume/{id}");

    let dir = tempfile::tempdir().unwrap();
    let policy = write(dir.path(), "policy.yaml", POLICY);
    let store = dir.path().join("state.db").display().to_string();
    let cfg = write(
        dir.path(),
        "tagwarden.yaml",
        &estate::config(
            &policy,
            &format!("store: {store}\nmap:\n  tag: {{key: aws-apn-id, id: ra-abcdefg123456}}\n"),
        ),
    );
    let audit = || {
        let run = emu.tagwarden(&["audit", "-c", &cfg, "--format", "json"]);
        let report = run.json();
        assert_eq!(report["errors"], serde_json::json!([]), "{}", run.stderr);
        (run.code, report)
    };
    let (code, report) = audit();
    assert_eq!(code, 1);
    let expected: BTreeSet<(String, String, String)> = [
        (&upper, "invalid"),
        (&other_scheme, "missing"),
        (&untagged, "missing"),
    ]
    .into_iter()
    .map(|(id, kind)| (arn(id), "aws-apn-id".to_string(), kind.to_string()))
    .collect();
    assert_eq!(findings(&report), expected);
    let hints: BTreeMap<String, String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["arn"].as_str().unwrap().into(),
                f["hint"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    assert_eq!(hints[&arn(&upper)], "prefix `MIG` must be lowercase `mig`");
    assert!(
        hints[&arn(&other_scheme)]
            .starts_with("found `map-migrated`, the other MAP tag scheme's key"),
        "{hints:?}"
    );

    // apply writes the agreement's key where it is missing, and leaves the
    // invalid value (overwrite: never) and the other scheme's key alone.
    let run = emu.tagwarden(&["apply", "-c", &cfg, "--yes", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let tags = |id: &str| -> BTreeMap<String, String> {
        rt.block_on(ec2.describe_volumes().volume_ids(id).send())
            .unwrap()
            .volumes()[0]
            .tags()
            .iter()
            .map(|t| (t.key().unwrap().into(), t.value().unwrap().into()))
            .collect()
    };
    let map = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    assert_eq!(tags(&untagged), map(&[("aws-apn-id", OURS)]));
    assert_eq!(
        tags(&other_scheme),
        map(&[("aws-apn-id", OURS), ("map-migrated", "migABCDE12345")])
    );
    assert_eq!(tags(&upper), map(&[("aws-apn-id", "MIGra-abcdefg123456")]));
    assert_eq!(tags(&ours), map(&[("aws-apn-id", OURS)]));
    let (_, after) = audit();
    assert_eq!(
        findings(&after),
        BTreeSet::from([(arn(&upper), "aws-apn-id".to_string(), "invalid".to_string())])
    );
}

/// An estate under two agreements, one per MAP tag: `credits` counts
/// both keys' tagged spend and reports each key's part in every format.
#[test]
fn an_estate_under_two_agreements_is_reported_per_key() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let bill = "line_item_resource_id,line_item_usage_account_id,line_item_line_item_type,line_item_product_code,line_item_usage_type,line_item_usage_start_date,line_item_unblended_cost,line_item_currency_code,resource_tags
i-1,111111111111,Usage,AmazonEC2,BoxUsage:m5.large,2026-02-02T00:00:00Z,600,USD,\"{\"\"user_map_migrated\"\":\"\"migABCDE12345\"\"}\"
i-2,111111111111,Usage,AmazonEC2,BoxUsage:m5.large,2026-02-02T00:00:00Z,300,USD,\"{\"\"user_aws_apn_id\"\":\"\"migra-abcdefg123456\"\"}\"
i-3,111111111111,Usage,AmazonEC2,BoxUsage:m5.large,2026-02-02T00:00:00Z,80,USD,\"{\"\"user_aws_apn_id\"\":\"\"MIGra-abcdefg123456\"\"}\"
i-4,111111111111,Usage,AmazonEC2,BoxUsage:m5.large,2026-02-02T00:00:00Z,20,USD,{}
";
    write(dir.path(), "bill.csv", bill);
    let cfg = write(
        dir.path(),
        "tagwarden.yaml",
        &format!(
            "store: {}\nmap:\n  agreement: {{start: 2026-01-01, end: 2026-12-31}}\n  min_migrated_spend: 0\n  tag:\n    - {{key: map-migrated, id: ABCDE12345}}\n    - {{key: aws-apn-id, id: ra-abcdefg123456}}\n",
            dir.path().join("state.db").display()
        ),
    );
    let bill_path = dir.path().join("bill.csv").display().to_string();
    let credits = |format: &str| {
        let run = emu.tagwarden(&[
            "credits",
            "-c",
            &cfg,
            "--cost",
            &bill_path,
            "--at",
            "2026-03-01",
            "--by",
            "scheme",
            "--format",
            format,
        ]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.stdout
    };
    let json: serde_json::Value = serde_json::from_str(&credits("json")).unwrap();
    let t = &json["totals"];
    assert_eq!(
        (
            &t["eligible"],
            &t["tagged"],
            &t["mistagged"],
            &t["untagged"]
        ),
        (&1000.0.into(), &900.0.into(), &80.0.into(), &20.0.into())
    );
    let rows: Vec<(String, f64, f64, f64)> = json["by_scheme"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let f = |k: &str| r[k].as_f64().unwrap();
            (
                r["key"].as_str().unwrap().into(),
                f("tagged"),
                f("mistagged"),
                f("estimated_credit"),
            )
        })
        .collect();
    // 25 % of each key's tagged spend: the threshold is 0.
    assert_eq!(
        rows,
        [
            ("aws-apn-id".into(), 300.0, 80.0, 75.0),
            ("map-migrated".into(), 600.0, 0.0, 150.0)
        ]
    );
    assert_eq!(
        json["agreement"]["tags"],
        serde_json::json!([{"key": "map-migrated", "id": "ABCDE12345"}, {"key": "aws-apn-id", "id": "ra-abcdefg123456"}])
    );
    let table = credits("table");
    assert!(table.contains("MAP TAG"), "{table}");
    assert!(
        table.contains("MAP tag aws-apn-id: 300.00 of eligible spend tagged with this agreement's value, 80.00 mis-tagged; its share of the estimated credit 75.00"),
        "{table}"
    );
    assert!(
        table.contains("mis-tagged aws-apn-id value `MIGra-abcdefg123456`: 80.00"),
        "{table}"
    );
    let csv = credits("csv");
    assert!(
        csv.lines().any(|l| l.starts_with("scheme,map-migrated,,,")),
        "{csv}"
    );
}
