//! Evaluation throughput: 1,000,000 resources against 10 policies on one core.
//! Target: at least 2 million resource-policy evaluations per second.
//!
//!     cargo bench -p tagwarden-core --bench evaluate
//!
//! Resources: a realistic mix of types, accounts and regions; about 60 %
//! compliant, the rest missing keys, wrong-case keys, bad values or legacy
//! MAP values.

use std::time::Instant;
use tagwarden_core::policy::{evaluate, load_policies, LoadContext};
use tagwarden_core::Arn;
use tagwarden_core::Resource;

const RESOURCES: usize = 1_000_000;
const ROUNDS: usize = 3;

const POLICIES: &str = r#"
version: 1
policies:
  - name: map-migrated
    severity: critical
    resources: [ec2:instance, ec2:volume, ec2:snapshot, rds:db, s3:bucket]
    scope: {exclude_tags: {map-exempt: "*"}}
    require: {map-migrated: {format: map}}
  - name: cost-allocation
    resources: [ec2:instance, ec2:volume, rds:db, s3:bucket]
    require:
      Owner: {pattern: '[a-z0-9._-]+@example\.com'}
      CostCenter: {values: ["1001", "1002", "1003", "1004"]}
      Environment: {values: [prod, staging, dev, test]}
  - name: no-secrets
    resources: [ec2:instance, ec2:volume, ec2:snapshot, rds:db, s3:bucket]
    forbid: [Password, Secret, Token]
  - name: wave-1
    resources: [ec2:instance, rds:db]
    scope: {tags: {migration-wave: ["1"]}}
    require: {Application: {}, map-migrated: {format: map}}
  - name: prod-backup
    resources: [ec2:volume, rds:db]
    scope: {tags: {Environment: [prod]}}
    require: {Backup: {values: [daily, weekly]}}
  - name: eu-data
    resources: [s3:bucket, rds:db]
    scope: {regions: [eu-west-1]}
    require: {DataClassification: {values: [public, internal, confidential]}}
  - name: prod-account
    resources: [ec2:instance]
    scope: {accounts: ["111111111111"]}
    require: {Name: {pattern: '[a-z0-9-]{3,40}'}}
  - name: snapshots
    resources: [ec2:snapshot]
    require: {SourceVolume: {}}
  - name: recent
    resources: [ec2:instance, ec2:volume]
    scope: {created_after: 2026-01-01}
    require: {Owner: {}}
  - name: team
    resources: [ec2:instance, ec2:volume, rds:db, s3:bucket]
    require: {Team: {values: [web, data, platform, ml, finance]}}
"#;

fn resources() -> Vec<Resource> {
    let types = [
        "ec2:instance",
        "ec2:volume",
        "ec2:snapshot",
        "rds:db",
        "s3:bucket",
    ];
    let accounts = ["111111111111", "222222222222", "333333333333"];
    let regions = ["us-east-1", "eu-west-1"];
    (0..RESOURCES)
        .map(|i| {
            let ty = types[i % types.len()];
            let account = accounts[i % accounts.len()];
            let region = regions[i % regions.len()];
            let arn = format!(
                "arn:aws:ec2:{region}:{account}:{}/r-{i:08x}",
                ty.split(':').nth(1).unwrap()
            );
            let mut tags: Vec<(String, String)> = vec![
                ("Owner".into(), "ops.team@example.com".into()),
                ("CostCenter".into(), "1002".into()),
                ("Environment".into(), ["prod", "dev"][i % 2].into()),
                ("Team".into(), "platform".into()),
                ("Name".into(), format!("node-{}", i % 1000)),
                ("Backup".into(), "daily".into()),
                ("DataClassification".into(), "internal".into()),
                ("Application".into(), "orders".into()),
                ("SourceVolume".into(), "vol-1".into()),
                ("migration-wave".into(), ["1", "2"][i % 2].into()),
            ];
            match i % 10 {
                0 => tags.push(("Map-Migrated".into(), "migABCDE12345".into())),
                1 => tags.push(("map-migrated".into(), "d-server-020zya2d8ytar8".into())),
                2 => tags.retain(|(k, _)| k != "Owner"),
                3 => tags.push(("map-migrated".into(), "MIG12345".into())),
                _ => tags.push(("map-migrated".into(), "migABCDE12345".into())),
            }
            let arn = Arn::parse(&arn).expect("a benchmark ARN");
            Resource::new(arn, account, region, ty).with_tags(tags)
        })
        .collect()
}

fn main() {
    let dir = std::env::temp_dir().join(format!("tagwarden-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("policies.yaml");
    std::fs::write(&file, POLICIES).unwrap();
    let set =
        load_policies(&[file], &LoadContext::default()).expect("benchmark policies are valid");
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(set.policies.len(), 10);

    let resources = resources();
    let evaluations = (resources.len() * set.policies.len()) as f64;
    let mut rates = Vec::new();
    for round in 1..=ROUNDS {
        let start = Instant::now();
        let eval = evaluate(&resources, &set.policies);
        let secs = start.elapsed().as_secs_f64();
        let rate = evaluations / secs;
        println!(
            "round {round}: {} resources x {} policies in {secs:.3} s = {:.2} M evaluations/s ({} findings, {} non-compliant)",
            resources.len(),
            set.policies.len(),
            rate / 1e6,
            eval.findings.len(),
            eval.summary.non_compliant
        );
        rates.push(rate);
    }
    rates.sort_by(f64::total_cmp);
    let median = rates[rates.len() / 2];
    println!(
        "median: {:.2} M resource-policy evaluations/s on one core (target >= 2.00)",
        median / 1e6
    );
}
