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
