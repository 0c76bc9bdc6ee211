//! Hand-computed cases: each expected number is worked out in the comment.

use super::*;
use crate::config::{MapAgreement, QuarterBasis};
use crate::money::lit as m;
use crate::policy::map_format::MapTags;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

const EC2: &str = "Amazon Elastic Compute Cloud - Compute";
const OURS: &str = "migABCDE12345";

fn terms() -> MapAgreement {
    MapAgreement {
        tags: crate::policy::map_format::MapTags::map_migrated(Some("ABCDE12345".into())),
        start: Some(d("2026-01-01")),
        end: Some(d("2026-06-30")),
        quarters: QuarterBasis::Calendar,
        ..MapAgreement::default()
    }
}

fn cell(month: &str, key: &str, tag: Option<&str>, amount: f64) -> Cell {
    Cell {
        month: d(month),
        key: key.into(),
        tag: tag.map(str::to_string),
        scheme: Scheme::MapMigrated,
        amount: m(amount),
        currency: "USD".into(),
        eligible: None,
        workload: None,
    }
}

/// A cell as a bill's reading judged it.
fn judged(eligible: bool, c: Cell) -> Cell {
    Cell {
        eligible: Some(eligible),
        ..c
    }
}

/// An amount as a float, to compare with a literal.
fn f(x: Decimal) -> f64 {
    crate::money::to_f64(x)
}

fn input<'a>(terms: &'a MapAgreement, by_service: Vec<Cell>) -> Input<'a> {
    Input {
        terms,
        months: periods::months(d("2026-01-01"), d("2026-05-01")),
        agreement_start: d("2026-01-01"),
        agreement_end: d("2026-07-01"),
        complete_before: d("2026-04-01"),
        by_service,
        by_account: Vec::new(),
        by_workload: Vec::new(),
        received: Vec::new(),
        origin: Origin::CostExplorer,
        source_assumptions: Vec::new(),
    }
}

/// January to March: 30k tagged eligible spend a month, and 10k untagged
/// in January.
fn first_quarter() -> Vec<Cell> {
    vec![
        cell("2026-01-01", EC2, Some(OURS), 30_000.0),
        cell("2026-01-01", EC2, None, 10_000.0),
        cell("2026-02-01", EC2, Some(OURS), 30_000.0),
        cell("2026-03-01", EC2, Some(OURS), 30_000.0),
    ]
}

fn close(a: Decimal, b: f64) -> bool {
    (f(a) - b).abs() < 1e-6
}

#[test]
fn values_are_tagged_mistagged_or_untagged() {
    let ours = MapTags::map_migrated(Some("ABCDE12345".into()));
    let any = MapTags::map_migrated(None);
    let classify = |v: Option<&str>, tags: &MapTags| tags.classify(v, Scheme::MapMigrated);
    assert_eq!(classify(Some(OURS), &ours), TagState::Tagged);
    assert_eq!(
        classify(Some("mig12345"), &ours),
        TagState::Mistagged,
        "another agreement"
    );
    assert_eq!(
        classify(Some("MIGABCDE12345"), &ours),
        TagState::Mistagged,
        "wrong case"
    );
    assert_eq!(
        classify(Some("d-server-020zya2d8ytar8"), &ours),
        TagState::Mistagged
    );
    assert_eq!(classify(None, &ours), TagState::Untagged);
    assert_eq!(classify(Some(""), &ours), TagState::Untagged);
    assert_eq!(
        classify(Some("mig12345"), &any),
        TagState::Tagged,
        "no MPE ID configured"
    );
}

#[test]
fn the_threshold_is_crossed_mid_quarter() {
    let t = terms();
    // Tagged eligible 30k a month: cumulative 30k (no credit), 60k (25 % of
    // the 10k above 50k = 2,500), 90k (25 % of 30k = 7,500). 10k untagged in
    // January: tagged, it would have crossed in February with 20k above:
    // 5,000, so 2,500 missed there, and nothing missed in March.
    let c = compute(&input(&t, first_quarter())).unwrap();
    let credit: Vec<f64> = c
        .months
        .iter()
        .map(|m| f(m.amounts.estimated_credit))
        .collect();
    assert_eq!(credit, [0.0, 2_500.0, 7_500.0, 0.0]);
    let missed: Vec<f64> = c
        .months
        .iter()
        .map(|m| f(m.amounts.missed_credit))
        .collect();
    assert_eq!(missed, [0.0, 2_500.0, 0.0, 0.0]);
    let q1 = &c.quarters[0];
    assert_eq!(
        (q1.period.label.as_str(), f(q1.amounts.estimated_credit)),
        ("2026-Q1", 10_000.0)
    );
    assert_eq!(q1.amounts.coverage, Some(0.9), "90k of 100k eligible");
    assert_eq!(f(c.totals.estimated_credit), 10_000.0);
    assert!(!q1.period.partial);
    assert!(c.quarters[1].period.partial, "April is not over");
}

#[test]
fn months_with_no_data_report_zero() {
    let t = terms();
    let c = compute(&input(&t, vec![cell("2026-02-01", EC2, Some(OURS), 100.0)])).unwrap();
    assert_eq!(c.months.len(), 4);
    assert_eq!(c.months[0].amounts, Amounts::default());
    assert_eq!(c.months[0].amounts.coverage, None);
    assert_eq!(c.months[1].amounts.coverage, Some(1.0));
    assert_eq!(c.currency, "USD");
}

#[test]
fn only_eligible_services_count() {
    let t = terms();
    let c = compute(&input(
        &t,
        vec![
            cell("2026-01-01", EC2, Some(OURS), 100.0),
            cell("2026-01-01", "AWS Marketplace", Some(OURS), 40.0),
            cell("2026-01-01", "AWS Data Transfer", None, 10.0),
        ],
    ))
    .unwrap();
    let jan = &c.months[0].amounts;
    assert_eq!(
        (
            f(jan.total),
            f(jan.eligible),
            f(jan.tagged),
            f(jan.untagged)
        ),
        (150.0, 100.0, 100.0, 0.0)
    );
    let marketplace = c
        .by_service
        .iter()
        .find(|s| s.key == "AWS Marketplace")
        .unwrap();
    assert_eq!(marketplace.eligible_service, Some(false));
    assert_eq!(f(marketplace.amounts.total), 40.0);
}

#[test]
fn credit_rows_are_negative_and_reversals_count_against() {
    let t = terms();
    let mut i = input(&t, vec![]);
    i.received = vec![
        Received {
            month: d("2026-02-01"),
            amount: m(-1_000.0),
            currency: "USD".into(),
        },
        Received {
            month: d("2026-03-01"),
            amount: m(200.0),
            currency: "USD".into(),
        },
    ];
    let c = compute(&i).unwrap();
    let received: Vec<f64> = c
        .months
        .iter()
        .map(|m| f(m.amounts.received_credit))
        .collect();
    assert_eq!(received, [0.0, 1_000.0, -200.0, 0.0]);
    assert_eq!(f(c.quarters[0].amounts.received_credit), 800.0);
}

#[test]
fn mixed_currencies_are_refused() {
    let t = terms();
    let mut eur = cell("2026-01-01", EC2, None, 5.0);
    eur.currency = "EUR".into();
    let err = compute(&input(&t, vec![cell("2026-01-01", EC2, None, 5.0), eur])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the billing data mixes currencies (USD and EUR); tagwarden does not convert: narrow it to one payer"
    );
}

#[test]
fn mistagged_values_are_listed_with_their_spend() {
    let t = terms();
    let c = compute(&input(
        &t,
        vec![
            cell("2026-01-01", EC2, Some("mig12345"), 70.0),
            cell("2026-02-01", EC2, Some("mig12345"), 30.0),
            cell("2026-01-01", EC2, Some("Mig-ABCDE12345"), 5.0),
        ],
    ))
    .unwrap();
    let values: Vec<(&str, f64)> = c
        .mistagged_values
        .iter()
        .map(|m| (m.value.as_str(), f(m.amount)))
        .collect();
    assert_eq!(values, [("Mig-ABCDE12345", 5.0), ("mig12345", 100.0)]);
    assert_eq!(f(c.totals.mistagged), 105.0);
}

#[test]
fn the_forecast_carries_the_recent_trend_to_the_end() {
    let t = terms();
    // Complete months Jan-Mar average 30k tagged and 10k/3 untagged; April
    // to June remain (3 months, the partial April included). 90k tagged in
    // the complete months is past the 50k threshold, so the trend earns
    // 25 % of 3 x 30k = 22,500.
    // With the untagged tagged too: 25 % of (30k + 3,333.33) x 3 = 25,000
    // on top of 100k cumulative, all above the threshold: upside 2,500.
    let mut spend = first_quarter();
    spend.push(cell("2026-04-01", EC2, Some(OURS), 1_000.0));
    let c = compute(&input(&t, spend)).unwrap();
    let f = &c.forecast;
    assert_eq!(f.remaining_months, 3);
    assert!(close(f.monthly_tagged, 30_000.0));
    assert!(close(f.credit, 22_500.0), "{f:?}");
    assert!(close(f.upside, 2_500.0), "{f:?}");
    // 10,000 to March, plus the forecast (which covers April).
    assert!(close(f.agreement_total, 10_000.0 + 22_500.0), "{f:?}");
}

#[test]
fn the_assumptions_are_stated() {
    let t = terms();
    let c = compute(&input(&t, vec![])).unwrap();
    let text = c.assumptions.join("\n");
    assert!(
        text.contains("25 % of tagged eligible spend above a cumulative 50000"),
        "{text}"
    );
    assert!(text.contains("MPE ID ABCDE12345"));
    assert!(text.contains("cannot tell MAP credits from others"));
}

/// A bill in CUR 2.0 CSV: EC2 compute tagged, EBS untagged, a product with
/// no Cost Explorer name, a MAP credit and a promotional one.
fn ledger(t: &MapAgreement) -> crate::billing::Costs {
    let text = "line_item_usage_account_id,line_item_line_item_type,line_item_product_code,line_item_usage_type,line_item_line_item_description,line_item_resource_id,line_item_usage_start_date,line_item_unblended_cost,line_item_currency_code,resource_tags\n\
111111111111,Usage,AmazonEC2,BoxUsage:m5.large,,i-1,2026-01-05T00:00:00Z,100,USD,\"{\"\"user_map_migrated\"\":\"\"migABCDE12345\"\"}\"\n\
222222222222,Usage,AmazonEC2,BoxUsage:m5.large,,i-2,2026-01-06T00:00:00Z,50,USD,\"{\"\"user_map_migrated\"\":\"\"migABCDE12345\"\"}\"\n\
111111111111,Usage,AmazonEC2,EBS:VolumeUsage.gp3,,vol-1,2026-02-01T00:00:00Z,40,USD,{}\n\
111111111111,Usage,AWSGlobalWidgets,Widgets,,w-1,2026-02-01T00:00:00Z,7,USD,{}\n\
111111111111,Credit,AmazonEC2,,AWS Migration Acceleration Program Credit,,2026-02-01T00:00:00Z,-12.5,USD,\n\
111111111111,Credit,AmazonEC2,,Promotional credit,,2026-02-01T00:00:00Z,-3,USD,\n";
    super::workload_tests::read(crate::billing::Reading::of(t), text)
}

#[test]
fn a_bill_regroups_as_cost_explorer_would() {
    let t = terms();
    let bill = export::from_ledger(&ledger(&t).ledger, "USD", &t);
    assert_eq!(
        bill.by_service,
        [
            judged(true, cell("2026-01-01", EC2, Some(OURS), 150.0)),
            judged(false, cell("2026-02-01", "AWSGlobalWidgets", None, 7.0)),
            judged(true, cell("2026-02-01", "EC2 - Other", None, 40.0)),
        ]
    );
    assert_eq!(
        bill.by_account,
        [
            judged(true, cell("2026-01-01", "111111111111", Some(OURS), 100.0)),
            judged(true, cell("2026-01-01", "222222222222", Some(OURS), 50.0)),
            judged(true, cell("2026-02-01", "111111111111", None, 40.0)),
        ],
        "the unnamed product is not eligible"
    );
    assert_eq!(
        bill.received,
        [Received {
            month: d("2026-02-01"),
            amount: m(-12.5),
            currency: "USD".into()
        }]
    );
    assert_eq!(
        bill.warnings,
        [
            "1 credit is not counted as MAP credit (its description does not match map.credit_description `(?i)migration acceleration|\\bMAP\\b`): `Promotional credit` (3.00 USD)",
            "1 service is billed under product codes tagwarden does not map to Cost Explorer's service names, counted as not eligible: AWSGlobalWidgets; list a code in map.eligible_services if your agreement covers it",
        ]
    );
}

#[test]
fn a_product_code_listed_as_eligible_counts() {
    let mut t = terms();
    t.eligible_services
        .push(crate::billing::eligible::EligibleService::named(
            "AWSGlobalWidgets",
        ));
    let bill = export::from_ledger(&ledger(&t).ledger, "USD", &t);
    assert!(bill.by_account.contains(&judged(
        true,
        cell("2026-02-01", "111111111111", None, 47.0)
    )));
    assert_eq!(bill.warnings.len(), 1, "{:?}", bill.warnings);
    let mut i = input(&t, bill.by_service);
    i.received = bill.received;
    i.origin = Origin::BillingExport;
    let c = compute(&i).unwrap();
    assert!(close(c.totals.eligible, 197.0));
    assert!(close(c.totals.received_credit, 12.5));
    assert!(c
        .assumptions
        .iter()
        .any(|a| a.contains("map.credit_description")));
}

#[test]
fn the_target_is_met_or_missed_by_the_projection() {
    // Complete months Jan-Mar: 90k tagged; April (partial) 1k. The trend
    // is 30k a month for the 3 months left (April to June): projected
    // 90k + 3 x 30k = 180k. Tagged to date: 91k.
    let mut spend = first_quarter();
    spend.push(cell("2026-04-01", EC2, Some(OURS), 1_000.0));
    let short = MapAgreement {
        target: Some(m(200_000.0)),
        ..terms()
    };
    let c = compute(&input(&short, spend.clone())).unwrap();
    let t = c.target.clone().expect("a target is configured");
    assert_eq!(
        (f(t.committed), f(t.tagged_to_date), f(t.projected_at_end)),
        (200_000.0, 91_000.0, 180_000.0)
    );
    assert!(!t.on_track);
    assert_eq!(f(t.shortfall), 20_000.0);
    assert!(t.method.contains("30000.00 a month"), "{}", t.method);
    assert!(t.method.contains("3 month(s) left"), "{}", t.method);
    let json = serde_json::to_value(&c).unwrap();
    assert_eq!(json["target"]["shortfall"], 20_000.0);
    assert_eq!(json["target"]["on_track"], false);

    let met = MapAgreement {
        target: Some(m(180_000.0)),
        ..terms()
    };
    let t = compute(&input(&met, spend.clone()))
        .unwrap()
        .target
        .unwrap();
    assert!(t.on_track, "exactly the commitment is on track");
    assert_eq!(f(t.shortfall), 0.0);

    let none = compute(&input(&terms(), spend)).unwrap();
    assert_eq!(none.target, None);
    assert!(serde_json::to_value(&none).unwrap()["target"].is_null());
}
