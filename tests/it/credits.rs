//! `tagwarden credits` against the emulator's Cost Explorer. moto answers
//! `GetCostAndUsage` from a queue of injected results, one per distinct
//! request body, in the order the requests arrive: the eligible services'
//! usage types, spend by value and service less what the Included Services
//! List leaves out (two pages), that left-out spend, eligible spend by
//! value and account, then credits. moto does not apply filters: what the
//! filters hold is checked in the unit tests of `src/credits/cost_explorer.rs`.
//! It does not implement `ListCostAllocationTags` (500): the report must say
//! "unknown" and warn, not fail.

use crate::common;

use common::{write, Emulator};
use serde_json::{json, Value};

const EC2: &str = "Amazon Elastic Compute Cloud - Compute";

fn group(tag: &str, key: &str, amount: f64) -> Value {
    json!({
        "Keys": [format!("map-migrated${tag}"), key],
        "Metrics": {"UnblendedCost": {"Amount": amount.to_string(), "Unit": "USD"}}
    })
}

fn month(start: &str, end: &str, groups: Vec<Value>) -> Value {
    json!({"TimePeriod": {"Start": start, "End": end}, "Total": {}, "Groups": groups, "Estimated": false})
}

fn total(start: &str, end: &str, amount: f64) -> Value {
    json!({
        "TimePeriod": {"Start": start, "End": end},
        "Total": {"UnblendedCost": {"Amount": amount.to_string(), "Unit": "USD"}},
        "Groups": [], "Estimated": false
    })
}

#[test]
fn credits_from_cost_explorer_end_to_end() {
    let emu = Emulator::start();
    let results = json!({"results": [
        // The usage types the eligible services billed: S3's requests are
        // not eligible, its storage is.
        common::billed_usage_types(&[
            (EC2, "USE1-BoxUsage:m5.large"),
            ("Amazon Simple Storage Service", "TimedStorage-ByteHrs"),
            ("Amazon Simple Storage Service", "Requests-Tier1"),
        ]),
        // By value and service, page 1 of 2: January and February.
        {
            "ResultsByTime": [
                month("2026-01-01", "2026-02-01", vec![
                    group("migABCDE12345", EC2, 30000.0),
                    group("", EC2, 10000.0),
                    group("", "AWS Marketplace", 500.0),
                ]),
                month("2026-02-01", "2026-03-01", vec![group("migABCDE12345", EC2, 30000.0)]),
            ],
            "NextPageToken": "page-2",
            "DimensionValueAttributes": []
        },
        // Page 2: March, and April so far.
        {
            "ResultsByTime": [
                month("2026-03-01", "2026-04-01", vec![
                    group("migABCDE12345", EC2, 30000.0),
                    group("mig12345", EC2, 2000.0),
                ]),
                month("2026-04-01", "2026-04-11", vec![group("migABCDE12345", EC2, 1000.0)]),
            ],
            "DimensionValueAttributes": []
        },
        // The spend the list leaves out (S3 requests), by value and service.
        {
            "ResultsByTime": [
                month("2026-01-01", "2026-02-01", vec![group("migABCDE12345", "Amazon Simple Storage Service", 700.0)]),
            ],
            "DimensionValueAttributes": []
        },
        // Eligible spend by value and account.
        {
            "ResultsByTime": [
                month("2026-01-01", "2026-02-01", vec![
                    group("migABCDE12345", "111111111111", 30000.0),
                    group("", "222222222222", 10000.0),
                ]),
            ],
            "DimensionValueAttributes": []
        },
        // Credit records: negative.
        {
            "ResultsByTime": [
                total("2026-01-01", "2026-02-01", 0.0),
                total("2026-02-01", "2026-03-01", 0.0),
                total("2026-03-01", "2026-04-01", -2500.0),
            ],
            "DimensionValueAttributes": []
        }
    ]});
    let injected = emu
        .http(
            "POST",
            "/moto-api/static/ce/cost-and-usage-results",
            &results.to_string(),
        )
        .unwrap();
    assert!(injected.starts_with("HTTP/1.1 201"), "{injected}");

    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("state.db");
    let cfg = write(
        dir.path(),
        "tagwarden.yaml",
        &format!("store: {}\nmap:\n  mpe_id: ABCDE12345\n  agreement: {{start: 2026-01-01, end: 2026-06-30}}\n  quarters: calendar\n", store.display()),
    );
    // `credits` as of 2026-04-10, with more arguments.
    let credits = |more: &[&str]| {
        let mut args = vec!["credits", "-c", &cfg, "--at", "2026-04-10"];
        args.extend_from_slice(more);
        emu.tagwarden(&args)
    };
    let run = credits(&["--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let r = run.json();

    // January: 30k tagged + 10k untagged eligible, 500 Marketplace, 700 of
    // tagged S3 requests (not eligible). February
    // and March 30k tagged each (the threshold of 50k is crossed in
    // February: 25 % of 10k), March also 2k of another MPE ID.
    let t = &r["totals"];
    assert_eq!(t["total"], 104200.0);
    assert_eq!(t["eligible"], 103000.0);
    assert_eq!(t["tagged"], 91000.0);
    assert_eq!(t["mistagged"], 2000.0);
    assert_eq!(t["untagged"], 10000.0);
    assert_eq!(t["received_credit"], 2500.0);
    let credit: Vec<f64> = r["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["estimated_credit"].as_f64().unwrap())
        .collect();
    assert_eq!(credit, [0.0, 2500.0, 7500.0, 250.0]);
    let quarters: Vec<(&str, f64)> = r["quarters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            (
                q["label"].as_str().unwrap(),
                q["estimated_credit"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(quarters, [("2026-Q1", 10000.0), ("2026-Q2", 250.0)]);
    assert_eq!(r["quarters"][0]["start"], "2026-01-01");
    assert_eq!(r["quarters"][0]["end"], "2026-04-01", "end exclusive");
    assert_eq!(r["months"][3]["partial"], true);
    assert_eq!(r["mistagged_values"][0]["value"], "mig12345");
    let accounts: Vec<(&str, f64)> = r["by_account"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["key"].as_str().unwrap(), a["coverage"].as_f64().unwrap()))
        .collect();
    assert_eq!(accounts, [("111111111111", 1.0), ("222222222222", 0.0)]);
    // Three remaining months (April to June) at the 30k trend: 22,500.
    assert_eq!(r["forecast"]["remaining_months"], 3);
    assert_eq!(r["forecast"]["credit"], 22500.0);
    assert_eq!(r["currency"], "USD");
    assert_eq!(r["agreement"]["end"], "2026-07-01");

    // Six GetCostAndUsage requests (usage types, two pages, the left-out
    // spend, by account, credits), priced; the list named.
    assert_eq!(r["source"]["api_requests"], 6);
    assert_eq!(r["source"]["api_cost_usd"], 0.06);
    assert_eq!(
        r["source"]["eligible_list"],
        json!({"name": "AWS Migrations Included Services List", "updated": "2026-04-06"})
    );
    let s3 = r["by_service"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == "Amazon Simple Storage Service")
        .unwrap();
    assert_eq!(
        (s3["total"].as_f64(), s3["eligible"].as_f64()),
        (Some(700.0), Some(0.0))
    );
    // The emulator cannot say whether the tag is active: unknown, warned.
    assert_eq!(r["tag_activation"]["status"], "unknown");
    let warnings = common::non_empty(&r["warnings"], "warnings");
    assert!(
        warnings[0]
            .as_str()
            .unwrap()
            .contains("cannot tell whether map-migrated is an active cost allocation tag"),
        "{warnings:?}"
    );
    assert!(!r["assumptions"].as_array().unwrap().is_empty());

    // Run again: every answer comes from the store, free; --fresh asks again.
    let again = credits(&["--format", "json"]).json();
    assert_eq!(again["source"]["api_requests"], 0);
    assert_eq!(again["source"]["cached"], true);
    assert_eq!(again["totals"], r["totals"]);
    let fresh = credits(&["--format", "json", "--fresh"]).json();
    assert_eq!(fresh["source"]["api_requests"], 6);
    assert_eq!(fresh["totals"], r["totals"]);

    let table = credits(&["--format", "table"]);
    assert_eq!(table.code, 0, "{}", table.stderr);
    assert!(table.stdout.contains("2026-Q1"), "{}", table.stdout);
}

#[test]
fn credits_need_the_agreement_dates() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "store: {}\nmap: {{mpe_id: ABCDE12345}}\n",
        dir.path().join("s.db").display()
    );
    let cfg = write(dir.path(), "tagwarden.yaml", &text);
    let run = emu.tagwarden(&["credits", "-c", &cfg, "--at", "2026-04-10"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("credits need the agreement's dates"),
        "{}",
        run.stderr
    );
    let run = emu.tagwarden(&["credits", "-c", &cfg, "--at", "April"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("--at April: not a date such as 2026-04-30"),
        "{}",
        run.stderr
    );
}
