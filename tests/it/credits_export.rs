//! `credits --cost`: the money view from a billing export. One scenario is
//! written both as Cost Explorer's answers (injected into the emulator) and
//! as bills in every format tagwarden reads: CUR 2.0 Parquet with its
//! `resource_tags` map, CUR 2.0 gzip CSV, legacy CUR CSV and FOCUS CSV,
//! read from disk and from the emulator's S3. Every figure must agree,
//! workloads included (`map.workload_tags: [app, workload]`: the first of
//! them a line carries names its workload). Amounts are multiples of 1/4,
//! so sums are exact in any order. The same scenario tagged under AWS
//! Transform's `aws-apn-id` (`map.tag`) gives the same figures.

use crate::common;

#[path = "../../crates/core/tests/support/bill_parquet.rs"]
mod bill_parquet;

use bill_parquet::{write_bill, BillRow, TagStyle};
use common::{estate, write, Emulator};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;

const EC2: &str = "Amazon Elastic Compute Cloud - Compute";
const OURS: &str = "migABCDE12345";
const MAP_CREDIT: &str = "AWS Migration Acceleration Program Credit";

/// Which MAP tag the scenario's resources carry, and its two values:
/// this agreement's and another's.
#[derive(Clone, Copy)]
struct Tagging {
    key: &'static str,
    ours: &'static str,
    theirs: &'static str,
    /// `map:`'s line that names the agreement's value.
    config: &'static str,
}

const MAP_MIGRATED: Tagging = Tagging {
    key: "map-migrated",
    ours: OURS,
    theirs: "mig12345",
    config: "mpe_id: ABCDE12345",
};

const AWS_APN_ID: Tagging = Tagging {
    key: "aws-apn-id",
    ours: "migra-abcdefg123456",
    theirs: "migra-other",
    config: "tag: {key: aws-apn-id, id: ra-abcdefg123456}",
};

impl Tagging {
    /// A line's value under this tagging.
    fn value(self, l: &Line) -> Option<&'static str> {
        l.tag
            .map(|t| if t == OURS { self.ours } else { self.theirs })
    }

    /// The key as CUR 2.0 spells it (`map_migrated`).
    fn flat(self) -> String {
        self.key.replace('-', "_")
    }
}

/// One line of the scenario, with the service name Cost Explorer gives it.
struct Line {
    day: &'static str,
    account: &'static str,
    resource: &'static str,
    /// CUR line item type.
    kind: &'static str,
    product: &'static str,
    usage_type: &'static str,
    service: &'static str,
    tag: Option<&'static str>,
    cost: f64,
}

impl Line {
    /// Its workload tags: (key, value), `app` before `workload`.
    fn workload_tags(&self) -> Vec<(&'static str, &'static str)> {
        match self.resource {
            "i-0a1" | "arn:aws:rds:us-east-1:111111111111:db:ledger" => vec![("app", "erp")],
            "vol-0b2" => vec![("workload", "web")],
            "arn:aws:rds:us-east-1:222222222222:db:orders" => {
                vec![("app", "web"), ("workload", "other")]
            }
            _ => vec![],
        }
    }

    /// The workload Cost Explorer's query for tag `key` groups it under,
    /// the tags before it absent: None when an earlier tag takes it.
    fn workload_group(&self, i: usize) -> Option<String> {
        const KEYS: [&str; 2] = ["app", "workload"];
        let tags = self.workload_tags();
        let value = |k: &str| tags.iter().find(|(t, _)| *t == k).map(|(_, v)| *v);
        if KEYS[..i].iter().any(|k| value(k).is_some()) {
            return None;
        }
        Some(format!("{}${}", KEYS[i], value(KEYS[i]).unwrap_or("")))
    }
}

#[rustfmt::skip]
fn scenario() -> Vec<Line> {
    let l = |day, account, resource, kind, product, usage_type, service, tag, cost| Line { day, account, resource, kind, product, usage_type, service, tag, cost };
    vec![
        l("2026-01-03", "111111111111", "i-0a1", "Usage", "AmazonEC2", "BoxUsage:m5.large", EC2, Some(OURS), 30_000.25),
        l("2026-01-04", "222222222222", "vol-0b2", "Usage", "AmazonEC2", "EBS:VolumeUsage.gp3", "EC2 - Other", None, 4_000.5),
        l("2026-01-04", "222222222222", "arn:aws:rds:us-east-1:222222222222:db:orders", "Usage", "AmazonRDS", "InstanceUsage:db.r5.large", "Amazon Relational Database Service", None, 6_000.0),
        l("2026-01-09", "222222222222", "", "Usage", "AWSMarketplace", "Widgets", "AWSMarketplace", None, 500.0),
        l("2026-02-02", "111111111111", "i-0a1", "Usage", "AmazonEC2", "BoxUsage:m5.large", EC2, Some(OURS), 30_000.0),
        l("2026-02-03", "111111111111", "arn:aws:rds:us-east-1:111111111111:db:ledger", "Fee", "AmazonRDS", "RDS:Fee", "Amazon Relational Database Service", Some(OURS), 250.75),
        l("2026-02-03", "111111111111", "", "Tax", "AmazonEC2", "", EC2, None, 900.0),
        l("2026-03-05", "111111111111", "i-0a1", "Usage", "AmazonEC2", "BoxUsage:m5.large", EC2, Some(OURS), 29_000.0),
        l("2026-03-05", "222222222222", "i-0c3", "Usage", "AmazonEC2", "BoxUsage:c5.xlarge", EC2, Some("mig12345"), 2_000.0),
        l("2026-03-20", "111111111111", "", "Credit", "AmazonEC2", "", EC2, None, -2_500.0),
        l("2026-04-02", "111111111111", "i-0a1", "Usage", "AmazonEC2", "BoxUsage:m5.large", EC2, Some(OURS), 1_000.0),
        // Outside the window: before the agreement, and after --at 2026-04-10
        // in its month. Cost Explorer is not asked for them; the bill has them.
        l("2025-12-20", "111111111111", "i-0a1", "Usage", "AmazonEC2", "BoxUsage:m5.large", EC2, Some(OURS), 700.0),
        l("2026-04-20", "222222222222", "i-0c3", "Usage", "AmazonEC2", "BoxUsage:c5.xlarge", EC2, None, 900.0),
        l("2026-04-21", "111111111111", "", "Credit", "AmazonEC2", "", EC2, None, -50.0),
    ]
}

fn month_of(day: &str) -> String {
    format!("{}-01", &day[..7])
}

fn month_end(start: &str) -> String {
    let (y, m): (i32, u32) = (start[..4].parse().unwrap(), start[5..7].parse().unwrap());
    let (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    format!("{y}-{m:02}-01")
}

/// The days Cost Explorer is asked for: the agreement's start to the day
/// after --at.
fn in_window(l: &Line) -> bool {
    ("2026-01-01".."2026-04-11").contains(&l.day)
}

fn eligible(service: &str) -> bool {
    service != "AWSMarketplace"
}

/// What Cost Explorer answers for the scenario, in request order: the
/// eligible services' usage types (none the list leaves out), spend by
/// value and service, eligible spend by value and account, by value and
/// each workload tag, credits.
fn cost_explorer_results(lines: &[Line], tagging: Tagging) -> Value {
    cost_explorer_results_keyed(lines, tagging, &[tagging.key])
}

/// As `cost_explorer_results`, `map.tag` counting `keys` (the lines carry
/// `tagging`'s, the first of them): per grouping, one query per key, each
/// over the spend without the keys before it.
fn cost_explorer_results_keyed(lines: &[Line], tagging: Tagging, keys: &[&str]) -> Value {
    let spend = |l: &&Line| in_window(l) && !matches!(l.kind, "Credit" | "Tax" | "Refund");
    let grouped = |key: &dyn Fn(&Line) -> Option<String>| -> Vec<Value> {
        (0..keys.len())
            .map(|i| grouped_by(lines.iter().filter(spend), keys[i], i, tagging, key))
            .collect()
    };
    let mut credits: BTreeMap<String, f64> = BTreeMap::new();
    for l in lines.iter().filter(|l| in_window(l) && l.kind == "Credit") {
        *credits.entry(month_of(l.day)).or_default() += l.cost;
    }
    let credits: Vec<Value> = credits
        .into_iter()
        .map(|(m, amount)| json!({"TimePeriod": {"Start": m, "End": month_end(&m)}, "Total": {"UnblendedCost": {"Amount": amount.to_string(), "Unit": "USD"}}, "Groups": [], "Estimated": false}))
        .collect();
    let pairs: Vec<(&str, &str)> = lines
        .iter()
        .filter(|l| spend(l) && eligible(l.service))
        .map(|l| (l.service, l.usage_type))
        .collect();
    let mut results = vec![common::billed_usage_types(&pairs)];
    results.extend(grouped(&|l| Some(l.service.to_string())));
    results.extend(grouped(&|l| {
        eligible(l.service).then(|| l.account.to_string())
    }));
    results.extend(grouped(&|l| {
        l.workload_group(0).filter(|_| eligible(l.service))
    }));
    results.extend(grouped(&|l| {
        l.workload_group(1).filter(|_| eligible(l.service))
    }));
    results.push(json!({"ResultsByTime": credits, "DimensionValueAttributes": []}));
    json!({ "results": results })
}

/// One answer: spend by the tag `tag_key` (the `index`th of `map.tag`;
/// after the first, only lines without `tagging`'s value are asked for)
/// and `key`.
fn grouped_by<'a>(
    lines: impl Iterator<Item = &'a Line>,
    tag_key: &str,
    index: usize,
    tagging: Tagging,
    key: &dyn Fn(&Line) -> Option<String>,
) -> Value {
    {
        let mut months: BTreeMap<String, BTreeMap<(String, String), f64>> = BTreeMap::new();
        for l in lines {
            let Some(k) = key(l) else { continue };
            let value = match index {
                0 => tagging.value(l).unwrap_or(""),
                _ if tagging.value(l).is_some() => continue,
                _ => "",
            };
            let tag = format!("{tag_key}${value}");
            *months
                .entry(month_of(l.day))
                .or_default()
                .entry((tag, k.to_string()))
                .or_default() += l.cost;
        }
        let by_time: Vec<Value> = months
            .into_iter()
            .map(|(m, groups)| {
                let groups: Vec<Value> = groups
                    .into_iter()
                    .map(|((tag, k), amount)| json!({"Keys": [tag, k], "Metrics": {"UnblendedCost": {"Amount": amount.to_string(), "Unit": "USD"}}}))
                    .collect();
                json!({"TimePeriod": {"Start": m, "End": month_end(&m)}, "Total": {}, "Groups": groups, "Estimated": false})
            })
            .collect();
        json!({"ResultsByTime": by_time, "DimensionValueAttributes": []})
    }
}

fn description(l: &Line) -> &'static str {
    if l.kind == "Credit" {
        MAP_CREDIT
    } else {
        ""
    }
}

fn bill_rows(lines: &[Line], tagging: Tagging) -> impl Iterator<Item = BillRow> + '_ {
    lines.iter().map(move |l| BillRow {
        resource: l.resource.into(),
        account: l.account.into(),
        kind: l.kind.into(),
        product: l.product.into(),
        usage_type: l.usage_type.into(),
        description: description(l).into(),
        start_ms: chrono::NaiveDate::parse_from_str(l.day, "%Y-%m-%d")
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp_millis(),
        cost: l.cost,
        currency: "USD".into(),
        // `tag` is written as `map-migrated`; another key is one of `tags`.
        tag: tagging
            .value(l)
            .filter(|_| tagging.key == "map-migrated")
            .map(str::to_string),
        tags: l
            .workload_tags()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .chain(
                tagging
                    .value(l)
                    .filter(|_| tagging.key != "map-migrated")
                    .map(|v| (tagging.flat(), v.to_string())),
            )
            .collect(),
    })
}

/// CSV text: a header, then one row per line built by `row`.
fn csv(header: &str, lines: &[Line], row: impl Fn(&Line) -> Vec<String>) -> String {
    let quote = |f: &String| {
        if f.contains([',', '"']) {
            format!("\"{}\"", f.replace('"', "\"\""))
        } else {
            f.clone()
        }
    };
    let mut out = format!("{header}\n");
    for l in lines {
        out += &row(l).iter().map(quote).collect::<Vec<_>>().join(",");
        out.push('\n');
    }
    out
}

/// A tag map: the MAP tag under `key`, the workload tags under `prefix` +
/// their key.
fn json_tags(key: &str, tag: Option<&str>, prefix: &str, l: &Line) -> String {
    let mut map = serde_json::Map::new();
    if let Some(t) = tag {
        map.insert(key.into(), t.into());
    }
    for (k, v) in l.workload_tags() {
        map.insert(format!("{prefix}{k}"), v.into());
    }
    Value::Object(map).to_string()
}

/// The scenario in all four files, under `dir`.
fn write_bills(dir: &Path, lines: &[Line], tagging: Tagging) {
    let time = |l: &Line| format!("{}T00:00:00Z", l.day);
    let cur2 = csv(
        "line_item_resource_id,line_item_usage_account_id,line_item_line_item_type,line_item_product_code,line_item_usage_type,line_item_line_item_description,line_item_usage_start_date,line_item_unblended_cost,line_item_currency_code,resource_tags",
        lines,
        |l| vec![l.resource.into(), l.account.into(), l.kind.into(), l.product.into(), l.usage_type.into(), description(l).into(), time(l), l.cost.to_string(), "USD".into(), json_tags(&format!("user_{}", tagging.flat()), tagging.value(l), "user_", l)],
    );
    let tag_column = |l: &Line, key: &str| {
        l.workload_tags()
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(String::new(), |(_, v)| v.to_string())
    };
    let legacy = csv(
        &format!("identity/LineItemId,lineItem/UsageAccountId,lineItem/LineItemType,lineItem/ProductCode,lineItem/UsageType,lineItem/LineItemDescription,lineItem/UsageStartDate,lineItem/UnblendedCost,lineItem/CurrencyCode,lineItem/ResourceId,resourceTags/user:{},resourceTags/user:app,resourceTags/user:workload", tagging.key),
        lines,
        |l| vec!["x".into(), l.account.into(), l.kind.into(), l.product.into(), l.usage_type.into(), description(l).into(), time(l), l.cost.to_string(), "USD".into(), l.resource.into(), tagging.value(l).unwrap_or("").into(), tag_column(l, "app"), tag_column(l, "workload")],
    );
    let focus_category = |kind: &'static str| match kind {
        "Fee" => "Purchase",
        other => other,
    };
    let focus = csv(
        "ResourceId,SubAccountId,ChargeCategory,x_ServiceCode,x_UsageType,ChargeDescription,ChargePeriodStart,BilledCost,BillingCurrency,Tags",
        lines,
        |l| vec![l.resource.into(), l.account.into(), focus_category(l.kind).into(), l.product.into(), l.usage_type.into(), description(l).into(), time(l), l.cost.to_string(), "USD".into(), json_tags(&format!("user:{}", tagging.key), tagging.value(l), "user:", l)],
    );
    for (folder, name, text) in [("legacy", "cur.csv", legacy), ("focus", "focus.csv", focus)] {
        std::fs::create_dir_all(dir.join(folder)).unwrap();
        write(&dir.join(folder), name, &text);
    }
    common::write_gz(&dir.join("cur2-csv/part-0.csv.gz"), &cur2);
    // Parquet: two files of a Data Exports delivery, two row groups each.
    let pq = dir.join("cur2-parquet/data/BILLING_PERIOD=2026-01");
    std::fs::create_dir_all(&pq).unwrap();
    let (first, second) = lines.split_at(5);
    for (i, part) in [first, second].into_iter().enumerate() {
        let file = std::fs::File::create(pq.join(format!("part-{i}.snappy.parquet"))).unwrap();
        write_bill(file, TagStyle::Map, bill_rows(part, tagging), 3).unwrap();
    }
}

/// Every figure of a credits report, without what tells the sources apart
/// (source, warnings, the sentence on received credit, and a workload's
/// accounts and services, which only a bill has).
fn figures(r: &Value) -> Value {
    let mut r = r.clone();
    for w in r["by_workload"].as_array_mut().into_iter().flatten() {
        let w = w.as_object_mut().unwrap();
        w.remove("accounts");
        w.remove("services");
    }
    let fields = [
        "currency",
        "agreement",
        "totals",
        "months",
        "quarters",
        "by_account",
        "by_service",
        "by_workload",
        "mistagged_values",
        "forecast",
    ];
    fields
        .iter()
        .map(|f| (f.to_string(), r[*f].clone()))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

#[test]
fn a_billing_export_gives_the_same_figures_as_cost_explorer() {
    same_figures_everywhere(MAP_MIGRATED);
}

/// The scenario's configuration, its agreement's value named by `map_line`.
fn config_counting(dir: &Path, map_line: &str) -> String {
    let cfg = common::credits_config(dir);
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(&cfg, text.replace("mpe_id: ABCDE12345", map_line)).unwrap();
    cfg
}

/// `credits --at 2026-04-10 --format json` and `more`, which must succeed.
fn credits_json(emu: &Emulator, cfg: &str, more: &[&str]) -> Value {
    let mut args = vec![
        "credits",
        "-c",
        cfg,
        "--at",
        "2026-04-10",
        "--format",
        "json",
    ];
    args.extend_from_slice(more);
    let run = emu.tagwarden(&args);
    assert_eq!(run.code, 0, "{more:?}: {}", run.stderr);
    run.json()
}

/// `map.tag` counting both keys while every resource carries
/// `map-migrated`: Cost Explorer is asked once more per grouping (the
/// second key over the spend without the first), and every figure stays.
#[test]
fn a_second_map_key_costs_a_query_per_grouping_and_changes_no_figure() {
    let emu = Emulator::start();
    let lines = scenario();
    let keys = ["map-migrated", "aws-apn-id"];
    let injected = emu
        .http(
            "POST",
            "/moto-api/static/ce/cost-and-usage-results",
            &cost_explorer_results_keyed(&lines, MAP_MIGRATED, &keys).to_string(),
        )
        .unwrap();
    assert!(injected.starts_with("HTTP/1.1 201"), "{injected}");
    let dir = tempfile::tempdir().unwrap();
    let cfg = config_counting(
        dir.path(),
        "tag: [{key: map-migrated, id: ABCDE12345}, {key: aws-apn-id, id: ra-abcdefg123456}]",
    );
    let r = credits_json(&emu, &cfg, &[]);
    // Billed usage types, then two queries for each of by service, by
    // account and the two workload tags, then credits.
    assert_eq!(r["source"]["api_requests"], 10);
    let t = &r["totals"];
    assert_eq!(
        [
            &t["eligible"],
            &t["tagged"],
            &t["mistagged"],
            &t["untagged"]
        ],
        [
            &json!(102_251.5),
            &json!(90_251.0),
            &json!(2_000.0),
            &json!(10_000.5)
        ]
    );
    assert_eq!(
        r["by_scheme"].as_array().unwrap().len(),
        1,
        "{}",
        r["by_scheme"]
    );
    assert_eq!(r["by_scheme"][0]["key"], "map-migrated");
    assert_eq!(r["by_scheme"][0]["tagged"], 90_251.0);
    assert_eq!(
        r["by_workload"][2]["untagged"], 10_000.5,
        "web's spend, read under the second key"
    );
}

/// An agreement run in AWS Transform: `aws-apn-id=mig<PRM ID>` instead of
/// `map-migrated`, and every figure below is the same.
#[test]
fn the_aws_transform_scheme_gives_the_same_figures_everywhere() {
    same_figures_everywhere(AWS_APN_ID);
}

fn same_figures_everywhere(tagging: Tagging) {
    let emu = Emulator::start();
    let lines = scenario();
    let injected = emu
        .http(
            "POST",
            "/moto-api/static/ce/cost-and-usage-results",
            &cost_explorer_results(&lines, tagging).to_string(),
        )
        .unwrap();
    assert!(injected.starts_with("HTTP/1.1 201"), "{injected}");
    let dir = tempfile::tempdir().unwrap();
    write_bills(dir.path(), &lines, tagging);
    let cfg = config_counting(dir.path(), tagging.config);
    let credits = |more: &[&str]| credits_json(&emu, &cfg, more);
    let from_ce = credits(&[]);
    assert_eq!(from_ce["source"]["kind"], "cost_explorer");
    assert_eq!(from_ce["agreement"]["tags"][0]["key"], tagging.key);
    assert_eq!(
        from_ce["mistagged_values"],
        json!([{"key": tagging.key, "value": tagging.theirs, "amount": 2_000.0}])
    );
    // The scenario, worked out: eligible is everything but Marketplace and
    // the tax; tagged is our MPE ID's EC2 and RDS spend.
    let t = &from_ce["totals"];
    assert_eq!(t["total"], 102_751.5);
    assert_eq!(t["eligible"], 102_251.5);
    assert_eq!(t["tagged"], 90_251.0);
    assert_eq!(t["mistagged"], 2_000.0);
    assert_eq!(t["untagged"], 10_000.5);
    assert_eq!(t["received_credit"], 2_500.0);
    // By workload: erp is i-0a1's 90,000.25 and the ledger database's
    // 250.75, all tagged; web is vol-0b2 (by its `workload` tag) and the
    // orders database (`app` wins over `workload: other`), 10,000.5
    // untagged; i-0c3's 2,000 is mis-tagged and carries no workload.
    let workloads: BTreeMap<String, (f64, f64, f64, f64)> = from_ce["by_workload"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            let f = |k: &str| w[k].as_f64().unwrap();
            (
                w["key"].as_str().unwrap().to_string(),
                (f("eligible"), f("tagged"), f("mistagged"), f("untagged")),
            )
        })
        .collect();
    assert_eq!(
        workloads,
        BTreeMap::from([
            ("(no workload)".to_string(), (2_000.0, 0.0, 2_000.0, 0.0)),
            ("erp".to_string(), (90_251.0, 90_251.0, 0.0, 0.0)),
            ("web".to_string(), (10_000.5, 0.0, 0.0, 10_000.5)),
        ])
    );
    // Credit is shared out by tagged spend: erp earns it all.
    assert_eq!(
        from_ce["by_workload"][1]["estimated_credit"],
        t["estimated_credit"]
    );

    for folder in ["cur2-parquet", "cur2-csv", "legacy", "focus"] {
        let path = dir.path().join(folder);
        let from_file = credits(&["--cost", path.to_str().unwrap()]);
        assert_eq!(from_file["source"]["kind"], "billing_export", "{folder}");
        assert_eq!(from_file["source"]["api_requests"], 0, "{folder}");
        assert_eq!(figures(&from_file), figures(&from_ce), "{folder}");
        // Only a bill has them, and every format says the same: nothing
        // was tagged late (i-0a1 carries the value from its first line in
        // the agreement); three resources never carried it, most at risk
        // first (4,000.5 × 25 % = 1,000.125, half-even to the cent).
        assert_eq!(from_file["late_tagging"]["resource_count"], 0, "{folder}");
        let u = &from_file["uncredited_resources"];
        let ranked: Vec<(&str, f64)> = u["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["resource"].as_str().unwrap(),
                    r["credit_at_risk"].as_f64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            ranked,
            [
                ("arn:aws:rds:us-east-1:222222222222:db:orders", 1_500.0),
                ("vol-0b2", 1_000.12),
                ("i-0c3", 500.0)
            ],
            "{folder}"
        );
        assert_eq!(u["resources"][2]["value"], tagging.theirs, "{folder}");
        // A bill also says which accounts and services each workload spends in.
        let web = &from_file["by_workload"][2];
        assert_eq!(web["key"], "web", "{folder}");
        let keys = |list: &str| -> Vec<(String, f64)> {
            web[list]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    (
                        r["key"].as_str().unwrap().into(),
                        r["eligible"].as_f64().unwrap(),
                    )
                })
                .collect()
        };
        assert_eq!(
            keys("accounts"),
            [("222222222222".to_string(), 10_000.5)],
            "{folder}"
        );
        assert_eq!(
            keys("services"),
            [
                ("Amazon Relational Database Service".to_string(), 6_000.0),
                ("EC2 - Other".to_string(), 4_000.5)
            ],
            "{folder}"
        );
        let warnings = from_file["warnings"].to_string();
        assert!(
            warnings.contains("AWSMarketplace"),
            "{folder}: the unnamed product is said: {warnings}"
        );
    }

    // The same Parquet delivery from the emulator's S3.
    let local = dir.path().join("cur2-parquet/data/BILLING_PERIOD=2026-01");
    let files: Vec<_> = ["part-0.snappy.parquet", "part-1.snappy.parquet"]
        .iter()
        .map(|name| local.join(name))
        .collect();
    estate::upload(
        &emu.endpoint(),
        "bills",
        "exports/data/BILLING_PERIOD=2026-01/",
        &files,
    );
    let remote = credits(&["--cost", "s3://bills/exports/"]);
    assert_eq!(figures(&remote), figures(&from_ce));
}

#[test]
fn only_map_credits_count_as_received_from_a_bill() {
    let emu = Emulator::start();
    let mut lines = scenario();
    lines.push(Line {
        day: "2026-03-21",
        account: "111111111111",
        resource: "",
        kind: "Credit",
        product: "AmazonEC2",
        usage_type: "",
        service: EC2,
        tag: None,
        cost: -100.0,
    });
    let dir = tempfile::tempdir().unwrap();
    // The promotional credit gets its own description in the CUR 2.0 file.
    let mut text = String::from("line_item_resource_id,line_item_usage_account_id,line_item_line_item_type,line_item_product_code,line_item_usage_type,line_item_line_item_description,line_item_usage_start_date,line_item_unblended_cost,line_item_currency_code,resource_tags\n");
    for (i, l) in lines.iter().enumerate() {
        let d = if i == lines.len() - 1 {
            "AWS Activate promotional credit"
        } else {
            description(l)
        };
        text += &format!(
            "{},{},{},{},{},{d},{}T00:00:00Z,{},USD,\"{}\"\n",
            l.resource,
            l.account,
            l.kind,
            l.product,
            l.usage_type,
            l.day,
            l.cost,
            json_tags("user_map_migrated", l.tag, "user_", l).replace('"', "\"\"")
        );
    }
    let bill = write(dir.path(), "bill.csv", &text);
    let cfg = write(
        dir.path(),
        "tagwarden.yaml",
        &format!("store: {}\nmap:\n  mpe_id: ABCDE12345\n  agreement: {{start: 2026-01-01, end: 2026-06-30}}\n", dir.path().join("s.db").display()),
    );
    let run = emu.tagwarden(&[
        "credits",
        "-c",
        &cfg,
        "--at",
        "2026-04-10",
        "--cost",
        &bill,
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let r = run.json();
    assert_eq!(r["totals"]["received_credit"], 2_500.0);
    let warnings = r["warnings"].to_string();
    assert!(
        warnings.contains("`AWS Activate promotional credit` (100.00 USD)"),
        "{warnings}"
    );
    assert!(r["assumptions"]
        .to_string()
        .contains("map.credit_description"));
    // A bad path is a usage error that names it.
    let missing = emu.tagwarden(&["credits", "-c", &cfg, "--cost", "/nonexistent/bills"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing
            .stderr
            .contains("--cost /nonexistent/bills: no such file or folder"),
        "{}",
        missing.stderr
    );
}
