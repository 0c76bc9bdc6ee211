//! One version of each month: a billing delivery that keeps two versions
//! of March (legacy CUR assemblies; Data Exports create-new executions),
//! read from a local copy and from the emulator's S3, gives the latest
//! version's figures, and says which version it took. January and
//! February have no manifest and are read as given.

use crate::common;

use common::estate::Seeder;
use common::{write, Emulator};
use serde_json::{json, Value};
use std::path::Path;

/// (day, tag, cost) of one usage line of EC2 instance hours.
type Line = (&'static str, Option<&'static str>, f64);

const JANUARY: [Line; 1] = [("2026-01-05", Some("migABCDE12345"), 1_000.0)];
const FEBRUARY: [Line; 1] = [("2026-02-05", Some("migABCDE12345"), 2_000.0)];
/// March as first delivered, then refreshed (a new part, a higher amount).
const MARCH_OLD: [Line; 1] = [("2026-03-05", Some("migABCDE12345"), 3_000.0)];
const MARCH_NEW: [[Line; 1]; 2] = [
    [("2026-03-05", Some("migABCDE12345"), 3_500.0)],
    [("2026-03-20", None, 250.0)],
];

fn json_file(path: &Path, value: &Value) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    write(
        path.parent().unwrap(),
        path.file_name().unwrap().to_str().unwrap(),
        &value.to_string(),
    );
}

fn legacy_csv(lines: &[Line]) -> String {
    let mut out = "identity/LineItemId,lineItem/UsageAccountId,lineItem/LineItemType,lineItem/ProductCode,lineItem/UsageType,lineItem/UsageStartDate,lineItem/UnblendedCost,lineItem/CurrencyCode,lineItem/ResourceId,resourceTags/user:map-migrated\n".to_string();
    for (day, tag, cost) in lines {
        out += &format!("x,111111111111,Usage,AmazonEC2,BoxUsage:m5.large,{day}T00:00:00Z,{cost},USD,i-0a1,{}\n", tag.unwrap_or(""));
    }
    out
}

fn cur2_csv(lines: &[Line]) -> String {
    let mut out = "line_item_resource_id,line_item_usage_account_id,line_item_line_item_type,line_item_product_code,line_item_usage_type,line_item_usage_start_date,line_item_unblended_cost,line_item_currency_code,resource_tags\n".to_string();
    for (day, tag, cost) in lines {
        let tags = tag.map_or("{}".into(), |t| json!({"user_map_migrated": t}).to_string());
        out += &format!("i-0a1,111111111111,Usage,AmazonEC2,BoxUsage:m5.large,{day}T00:00:00Z,{cost},USD,\"{}\"\n", tags.replace('"', "\"\""));
    }
    out
}

const OLD_ASSEMBLY: &str = "0a1b2c3d-1111-4e5f-8a9b-000000000001";
const NEW_ASSEMBLY: &str = "0a1b2c3d-2222-4e5f-8a9b-000000000002";

/// A legacy CUR delivery keeping every version, as under the bucket's
/// `cur/` prefix (so `root` is a local copy of that prefix): the period's
/// manifest names the new assembly, each assembly keeps its own copy.
fn legacy_delivery(root: &Path) {
    common::write_gz(
        &root.join("report/20260101-20260201/report-1.csv.gz"),
        &legacy_csv(&JANUARY),
    );
    common::write_gz(
        &root.join("report/20260201-20260301/report-1.csv.gz"),
        &legacy_csv(&FEBRUARY),
    );
    let march = root.join("report/20260301-20260401");
    let manifest = |assembly: &str, parts: usize| {
        let keys: Vec<String> = (1..=parts)
            .map(|i| format!("cur/report/20260301-20260401/{assembly}/report-{i}.csv.gz"))
            .collect();
        json!({
            "assemblyId": assembly, "account": "111111111111", "reportName": "report",
            "columns": [{"category": "lineItem", "name": "UnblendedCost", "type": "OptionalBigDecimal"}],
            "charset": "UTF-8", "compression": "GZIP", "contentType": "text/csv", "bucket": "bills",
            "billingPeriod": {"start": "20260301T000000.000Z", "end": "20260401T000000.000Z"},
            "reportKeys": keys,
        })
    };
    common::write_gz(
        &march.join(OLD_ASSEMBLY).join("report-1.csv.gz"),
        &legacy_csv(&MARCH_OLD),
    );
    json_file(
        &march.join(OLD_ASSEMBLY).join("report-Manifest.json"),
        &manifest(OLD_ASSEMBLY, 1),
    );
    for (i, part) in MARCH_NEW.iter().enumerate() {
        let name = format!("report-{}.csv.gz", i + 1);
        common::write_gz(&march.join(NEW_ASSEMBLY).join(name), &legacy_csv(part));
    }
    json_file(
        &march.join(NEW_ASSEMBLY).join("report-Manifest.json"),
        &manifest(NEW_ASSEMBLY, 2),
    );
    json_file(
        &march.join("report-Manifest.json"),
        &manifest(NEW_ASSEMBLY, 2),
    );
}

const OLD_EXECUTION: &str = "20260305T010203Z-7d1e0c4a-aaaa-4b1c-9f00-000000000001";
const NEW_EXECUTION: &str = "20260402T010203Z-7d1e0c4a-bbbb-4b1c-9f00-000000000002";

/// A Data Exports export creating new files on each refresh, as under the
/// bucket's `exports/` prefix: every execution's files kept, the period's
/// manifest naming the latest's.
fn data_exports_delivery(root: &Path) {
    let data = root.join("exp/data");
    common::write_gz(
        &data.join("BILLING_PERIOD=2026-01/exp-00001.csv.gz"),
        &cur2_csv(&JANUARY),
    );
    common::write_gz(
        &data.join("BILLING_PERIOD=2026-02/exp-00001.csv.gz"),
        &cur2_csv(&FEBRUARY),
    );
    let march = data.join("BILLING_PERIOD=2026-03");
    common::write_gz(
        &march.join(OLD_EXECUTION).join("exp-00001.csv.gz"),
        &cur2_csv(&MARCH_OLD),
    );
    let mut uris = Vec::new();
    for (i, part) in MARCH_NEW.iter().enumerate() {
        let name = format!("exp-0000{}.csv.gz", i + 1);
        common::write_gz(&march.join(NEW_EXECUTION).join(&name), &cur2_csv(part));
        uris.push(format!(
            "s3://bills/exports/exp/data/BILLING_PERIOD=2026-03/{NEW_EXECUTION}/{name}"
        ));
    }
    let manifest = json!({
        "executionId": NEW_EXECUTION.split_once('-').unwrap().1,
        "exportArn": "arn:aws:bcm-data-exports:us-east-1:111111111111:export/exp-5b2f",
        "columns": [{"name": "line_item_unblended_cost", "type": "double"}],
        "dataFiles": uris,
    });
    json_file(
        &root.join("exp/metadata/BILLING_PERIOD=2026-03/exp-Manifest.json"),
        &manifest,
    );
}

/// Every file under `root`, uploaded under `bucket/prefix` with its path.
fn upload_tree(endpoint: &str, bucket: &str, prefix: &str, root: &Path) {
    let mut files = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p)
            } else {
                files.push(p)
            }
        }
    }
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let s3 = Seeder::s3(Seeder::new(endpoint).await.base(), "us-east-1");
        s3.create_bucket().bucket(bucket).send().await.unwrap();
        for f in files {
            let key = format!(
                "{prefix}{}",
                f.strip_prefix(root).unwrap().to_str().unwrap()
            );
            let body = std::fs::read(&f).unwrap().into();
            s3.put_object()
                .bucket(bucket)
                .key(key)
                .body(body)
                .send()
                .await
                .unwrap();
        }
    });
}

struct Setup {
    emu: Emulator,
    dir: tempfile::TempDir,
    cfg: String,
}

fn setup() -> Setup {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let cfg = common::credits_config(dir.path());
    Setup { emu, dir, cfg }
}

impl Setup {
    fn credits(&self, cost: &str) -> common::Run {
        self.emu.tagwarden(&[
            "credits",
            "-c",
            &self.cfg,
            "--at",
            "2026-04-10",
            "--format",
            "json",
            "--cost",
            cost,
        ])
    }
}

/// The latest March only: 1000 + 2000 + 3500 + 250 (every version summed
/// would add the old 3000).
fn assert_latest_march(r: &Value, what: &str) {
    let t = &r["totals"];
    assert_eq!(
        (&t["total"], &t["tagged"], &t["untagged"]),
        (&json!(6_750.0), &json!(6_500.0), &json!(250.0)),
        "{what}"
    );
    let march = r["months"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["label"] == "2026-03")
        .unwrap();
    assert_eq!(march["total"], 3_750.0, "{what}");
}

fn read_both_ways(s: &Setup, local: &Path, prefix: &str, expected: &Value) {
    let run = s.credits(local.to_str().unwrap());
    assert_eq!(run.code, 0, "{}", run.stderr);
    let from_folder = run.json();
    assert_latest_march(&from_folder, "folder");
    upload_tree(&s.emu.endpoint(), "bills", prefix, local);
    let run = s.credits(&format!("s3://bills/{prefix}"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let from_s3 = run.json();
    assert_latest_march(&from_s3, "s3");
    for (r, manifest) in [
        (&from_folder, local.join("")),
        (&from_s3, format!("s3://bills/{prefix}").into()),
    ] {
        let mut expected = expected.clone();
        let path = expected["manifest"].as_str().unwrap().to_string();
        expected["manifest"] = json!(format!("{}{path}", manifest.display()));
        assert_eq!(r["source"]["billing_periods"], json!([expected]));
    }
}

#[test]
fn a_legacy_cur_delivery_with_two_assemblies_of_march_counts_the_latest_once() {
    let s = setup();
    let local = s.dir.path().join("cur");
    legacy_delivery(&local);
    let expected = json!({
        "period": "2026-03", "format": "legacy_cur", "version": NEW_ASSEMBLY,
        "manifest": "report/20260301-20260401/report-Manifest.json",
        "chosen_by": "period_manifest", "files": 2,
        "skipped_versions": [OLD_ASSEMBLY], "skipped_files": 1,
    });
    read_both_ways(&s, &local, "cur/", &expected);
}

#[test]
fn a_data_exports_delivery_with_two_executions_of_march_counts_the_latest_once() {
    let s = setup();
    let local = s.dir.path().join("exports");
    data_exports_delivery(&local);
    let expected = json!({
        "period": "2026-03", "format": "data_exports",
        "version": NEW_EXECUTION.split_once('-').unwrap().1,
        "manifest": "exp/metadata/BILLING_PERIOD=2026-03/exp-Manifest.json",
        "chosen_by": "period_manifest", "files": 2,
        "skipped_versions": [OLD_EXECUTION], "skipped_files": 1,
    });
    read_both_ways(&s, &local, "exports/", &expected);

    // A manifest that is not one, or that names another bucket, stops the
    // run (exit 2) naming it; nothing is read.
    let manifest = local.join("exp/metadata/BILLING_PERIOD=2026-03/exp-Manifest.json");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, "{\"executionId\": }").unwrap();
    let run = s.credits(local.to_str().unwrap());
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "{}: not a billing manifest tagwarden reads",
            manifest.display()
        )),
        "{}",
        run.stderr
    );
    std::fs::write(&manifest, text.replace("s3://bills/", "s3://elsewhere/")).unwrap();
    upload_tree(&s.emu.endpoint(), "other", "exports/", &local);
    let run = s.credits("s3://other/exports/");
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("s3://other/exports/exp/metadata/BILLING_PERIOD=2026-03/exp-Manifest.json: names `exports/exp/data/BILLING_PERIOD=2026-03/"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("in bucket `elsewhere`, not other"),
        "{}",
        run.stderr
    );
}
