//! The money per workload from a bill, end to end: `credits --by workload`
//! and `--workload` in every format, late tagging and the resources only
//! the bill knows, hand-computed; `audit --cost` marking what it scanned
//! that was tagged late. (Cost Explorer's side of `by_workload`, and the
//! same figures from every bill format, are in `credits_export`.)

use crate::common;

use common::{estate, write, Emulator};
use serde_json::Value;

const HEADER: &str = "line_item_resource_id,line_item_usage_account_id,line_item_line_item_type,line_item_product_code,line_item_usage_type,line_item_usage_start_date,line_item_unblended_cost,line_item_currency_code,resource_tags";

/// A CUR 2.0 line; `tags` as JSON pairs (`"user_app":"erp"`).
fn line(
    resource: &str,
    account: &str,
    product: &str,
    usage: &str,
    day: &str,
    cost: f64,
    tags: &[(&str, &str)],
) -> String {
    let pairs: Vec<String> = tags
        .iter()
        .map(|(k, v)| format!("\"\"{k}\"\":\"\"{v}\"\""))
        .collect();
    format!(
        "{resource},{account},Usage,{product},{usage},{day}T00:00:00Z,{cost},USD,\"{{{}}}\"\n",
        pairs.join(",")
    )
}

const OURS: (&str, &str) = ("user_map_migrated", "migABCDE12345");

/// erp: i-erp spends 3,000 untagged on January 10, then 7,000 tagged from
/// January 20 and 10,000 in February; its 400 of data transfer is not
/// eligible. web: vol-web (by its `workload` tag) 2,000 untagged; the
/// orders function (web by `app`, which wins) 1,000 under another MPE ID.
/// No workload: a bucket's 500 of storage untagged, and 50 of requests.
fn bill() -> String {
    let mut b = format!("{HEADER}\n");
    b += &line(
        "i-erp",
        "111111111111",
        "AmazonEC2",
        "BoxUsage:m5.large",
        "2026-01-10",
        3_000.0,
        &[("user_app", "erp")],
    );
    b += &line(
        "i-erp",
        "111111111111",
        "AmazonEC2",
        "BoxUsage:m5.large",
        "2026-01-20",
        7_000.0,
        &[("user_app", "erp"), OURS],
    );
    b += &line(
        "i-erp",
        "111111111111",
        "AmazonEC2",
        "BoxUsage:m5.large",
        "2026-02-10",
        10_000.0,
        &[("user_app", "erp"), OURS],
    );
    b += &line(
        "i-erp",
        "111111111111",
        "AmazonEC2",
        "USE1-DataTransfer-Out-Bytes",
        "2026-02-10",
        400.0,
        &[("user_app", "erp"), OURS],
    );
    b += &line(
        "vol-web",
        "222222222222",
        "AmazonEC2",
        "EBS:VolumeUsage.gp3",
        "2026-02-01",
        2_000.0,
        &[("user_workload", "web")],
    );
    b += &line(
        "arn:aws:lambda:us-east-1:222222222222:function:orders",
        "222222222222",
        "AWSLambda",
        "Request",
        "2026-02-02",
        1_000.0,
        &[
            ("user_app", "web"),
            ("user_workload", "other"),
            ("user_map_migrated", "mig12345"),
        ],
    );
    b += &line(
        "bucket-logs",
        "111111111111",
        "AmazonS3",
        "TimedStorage-ByteHrs",
        "2026-02-03",
        500.0,
        &[],
    );
    b += &line(
        "bucket-logs",
        "111111111111",
        "AmazonS3",
        "Requests-Tier1",
        "2026-02-03",
        50.0,
        &[],
    );
    b
}

fn config(dir: &std::path::Path, workloads: &str) -> String {
    write(
        dir,
        "tagwarden.yaml",
        &format!(
            "store: {}\nmap:\n  mpe_id: ABCDE12345\n  agreement: {{start: 2026-01-01, end: 2026-12-31}}\n  quarters: calendar\n  min_migrated_spend: 0\n{workloads}",
            dir.join("state.db").display()
        ),
    )
}

fn key_row<'a>(rows: &'a Value, key: &str) -> &'a Value {
    rows.as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == key)
        .unwrap_or_else(|| panic!("no {key} in {rows}"))
}

#[test]
fn credits_by_workload_late_tagging_and_bill_only_resources_in_every_format() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "  workload_tags: [app, workload]\n");
    let bill = write(dir.path(), "bill.csv", &bill());
    let credits = |more: &[&str]| {
        let mut args = vec!["credits", "-c", &cfg, "--at", "2026-03-31", "--cost", &bill];
        args.extend_from_slice(more);
        let run = emu.tagwarden(&args);
        assert_eq!(run.code, 0, "{more:?}: {}", run.stderr);
        run
    };
    let r = credits(&["--format", "json"]).json();
    // Eligible: 20,000 + 2,000 + 1,000 + 500 (no data transfer, no
    // requests); tagged 17,000; with no threshold, 25 % of it is earned.
    let t = &r["totals"];
    assert_eq!(
        (t["eligible"].as_f64(), t["tagged"].as_f64()),
        (Some(23_500.0), Some(17_000.0))
    );
    assert_eq!(t["estimated_credit"], 4_250.0);
    let w = &r["by_workload"];
    let erp = key_row(w, "erp");
    assert_eq!(
        (
            erp["eligible"].as_f64(),
            erp["tagged"].as_f64(),
            erp["untagged"].as_f64()
        ),
        (Some(20_000.0), Some(17_000.0), Some(3_000.0))
    );
    assert_eq!(
        erp["estimated_credit"], 4_250.0,
        "all the tagged spend is erp's"
    );
    assert_eq!(erp["missed_credit"], 750.0, "25 % of its untagged 3,000");
    let web = key_row(w, "web");
    assert_eq!(
        (
            web["eligible"].as_f64(),
            web["mistagged"].as_f64(),
            web["untagged"].as_f64()
        ),
        (Some(3_000.0), Some(1_000.0), Some(2_000.0))
    );
    assert_eq!(key_row(w, "(no workload)")["untagged"], 500.0);
    assert_eq!(
        key_row(&web["accounts"], "222222222222")["eligible"],
        3_000.0
    );
    // Late tagging: i-erp's 3,000 before its tag on January 20.
    let late = &r["late_tagging"];
    assert_eq!(
        (late["spend"].as_f64(), late["credit_forfeited"].as_f64()),
        (Some(3_000.0), Some(750.0))
    );
    let i = &late["resources"][0];
    assert_eq!(
        (
            &i["resource"],
            &i["workload"],
            &i["first_spend"],
            &i["tagged_from"],
            &i["spend_before_tag"]
        ),
        (
            &Value::from("i-erp"),
            &Value::from("erp"),
            &Value::from("2026-01-10"),
            &Value::from("2026-01-20"),
            &Value::from(3_000.0)
        )
    );
    assert_eq!(late["by_workload"][0]["workload"], "erp");
    // Never tagged: vol-web 2,000, the function 1,000 (another agreement's
    // value), the bucket 500; nothing scanned, so seen_by_scan is null.
    let u = &r["uncredited_resources"];
    assert_eq!(
        (u["resource_count"].as_u64(), u["credit_at_risk"].as_f64()),
        (Some(3), Some(875.0))
    );
    let ranked: Vec<&str> = u["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["resource"].as_str().unwrap())
        .collect();
    assert_eq!(
        ranked,
        [
            "vol-web",
            "arn:aws:lambda:us-east-1:222222222222:function:orders",
            "bucket-logs"
        ]
    );
    assert_eq!(u["resources"][1]["value"], "mig12345");
    assert_eq!(u["resources"][0]["seen_by_scan"], Value::Null);
    assert_eq!(u["not_seen_by_scan"], Value::Null);

    // The table leads with the workloads, and its notes tell late tagging.
    let table = credits(&["--by", "workload", "--format", "table"]).stdout;
    assert!(table.contains("│ WORKLOAD"), "{table}");
    assert!(table.contains("late tagging: 3000.00 of eligible spend before the MAP tag on 1 resource(s), 750.00 of credit forfeited for good"), "{table}");
    assert!(table.contains("tagged late: i-erp (111111111111, Amazon Elastic Compute Cloud - Compute): 3000.00 spent from 2026-01-10 until tagged on 2026-01-20"), "{table}");
    assert!(
        table.contains(
            "untagged: vol-web (222222222222, EC2 - Other): 2000.00 spent, 500.00 at risk"
        ),
        "{table}"
    );
    let markdown = credits(&["--by", "account", "--format", "markdown"]).stdout;
    assert!(
        markdown.contains("## By account\n\n| ACCOUNT |"),
        "{markdown}"
    );
    let csv = credits(&["--by", "workload", "--format", "csv"]).stdout;
    let rows: Vec<&str> = csv.lines().collect();
    assert!(
        rows[1].starts_with("workload,(no workload),,,500.00,500.00,"),
        "{csv}"
    );
    assert!(
        rows[2].starts_with("workload,erp,,,20000.00,20000.00,17000.00,"),
        "{csv}"
    );
    assert!(rows[4].starts_with("quarter,2026-Q1,"), "{csv}");

    // One workload: every figure is web's.
    let only = credits(&["--workload", "web", "--format", "json"]).json();
    assert_eq!(only["workload"], "web");
    assert_eq!(
        (
            only["totals"]["eligible"].as_f64(),
            only["totals"]["tagged"].as_f64()
        ),
        (Some(3_000.0), Some(0.0))
    );
    assert_eq!(only["by_workload"].as_array().unwrap().len(), 1);
    assert_eq!(only["late_tagging"]["resource_count"], 0);
    assert_eq!(only["uncredited_resources"]["resource_count"], 2);

    // Without map.workload_tags, asking for workloads is a usage error.
    let plain = config(dir.path(), "");
    for asked in [&["--workload", "web"][..], &["--by", "workload"]] {
        let mut args = vec![
            "credits",
            "-c",
            &plain,
            "--at",
            "2026-03-31",
            "--cost",
            &bill,
        ];
        args.extend_from_slice(asked);
        let run = emu.tagwarden(&args);
        assert_eq!(run.code, 2, "{asked:?}");
        assert!(run.stderr.contains("no workloads are configured; list the tag keys that name a workload in map.workload_tags"), "{}", run.stderr);
    }
}

#[test]
fn audit_with_a_bill_marks_the_scanned_resources_tagged_late() {
    let emu = Emulator::start();
    common::events::runtime().block_on(estate::seed(&emu.endpoint(), "late"));
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(
        dir.path(),
        "tagwarden.yaml",
        &estate::config(
            &common::map_policy_path(),
            "map:\n  mpe_id: ABCDE12345\n  agreement: {start: 2026-01-01, end: 2026-12-31}\n",
        ),
    );
    let audit = emu
        .tagwarden(&["audit", "-c", &cfg, "--format", "json"])
        .json();
    let arn = common::non_empty(&audit["findings"], "findings")[0]["arn"]
        .as_str()
        .unwrap()
        .to_string();
    // The bill says it spent 800 before the agreement's value was on it.
    let mut b = format!("{HEADER}\n");
    b += &line(
        &arn,
        "111111111111",
        "AmazonEC2",
        "BoxUsage:m5.large",
        "2026-02-01",
        800.0,
        &[],
    );
    b += &line(
        &arn,
        "111111111111",
        "AmazonEC2",
        "BoxUsage:m5.large",
        "2026-02-04",
        100.0,
        &[OURS],
    );
    b += &line(
        "i-gone",
        "111111111111",
        "AmazonEC2",
        "BoxUsage:m5.large",
        "2026-02-01",
        50.0,
        &[],
    );
    b += &line(
        "i-gone",
        "111111111111",
        "AmazonEC2",
        "BoxUsage:m5.large",
        "2026-02-02",
        50.0,
        &[OURS],
    );
    let bill = write(dir.path(), "bill.csv", &b);
    let run = emu.tagwarden(&["audit", "-c", &cfg, "--cost", &bill, "--format", "json"]);
    let report = run.json();
    let late = report["late_tagged"]
        .as_array()
        .expect("late_tagged with --cost");
    assert_eq!(late.len(), 1, "only what the scan saw: {late:?}");
    assert_eq!(late[0]["resource"], arn.as_str());
    assert_eq!(late[0]["spend_before_tag"], 800.0);
    assert_eq!(late[0]["credit_forfeited"], 200.0);
    let finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["arn"] == arn.as_str())
        .unwrap();
    assert_eq!(finding["spend_before_tag"], 800.0);
    let table = emu
        .tagwarden(&["audit", "-c", &cfg, "--cost", &bill, "--format", "table"])
        .stdout;
    assert!(table.contains("TAGGED LATE"), "{table}");
}
