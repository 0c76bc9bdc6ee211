//! One bill with a line of every kind the Included Services List decides
//! (services added, dated, third-party models, exclusions by usage type
//! and by operation, services not on it), in CUR 2.0 and in legacy CUR:
//! eligible, tagged and untagged spend exact to the cent with the list as
//! the default, with a configured list, and with `default` extended.

use super::workload_tests::{read, workload_credits};
use super::*;
use crate::billing::eligible::{default_services, EligibleService};
use crate::billing::Reading;
use crate::config::MapAgreement;
use crate::money::lit as m;
use crate::policy::map_format::{MapTag, MapTags};

const OURS: &str = "migABCDE12345";

/// (product, usage type, operation, day, cost, tagged, counts by the list)
#[rustfmt::skip]
const LINES: &[(&str, &str, &str, &str, f64, bool, bool)] = &[
    ("AmazonApiGateway", "USE1-ApiGatewayRequest", "ApiGatewayRequest", "2026-03-02", 100.25, true, true),
    ("awskms", "USE1-KMS-Requests", "GenerateDataKey", "2026-03-02", 10.50, false, true),
    // SQS bills requests as `Requests-Tier1` too: only S3's are excluded.
    ("AWSQueueService", "USE1-Requests-Tier1", "SendMessage", "2026-03-02", 20.00, false, true),
    ("AmazonStates", "USE1-StateTransition", "StateTransition", "2026-03-02", 30.00, false, true),
    ("AmazonDocDB", "USE1-InstanceUsage:db.r5.large", "CreateDBInstance", "2026-03-02", 400.00, true, true),
    ("AmazonNeptune", "USE1-InstanceUsage:db.r5.large", "CreateDBInstance", "2026-03-02", 300.00, false, true),
    ("AWSGlue", "USE1-ETL-DPU-Hour", "Jobrun", "2026-03-02", 50.00, false, true),
    ("AmazonKinesisVideo", "USE1-IngestedBytes", "PutMedia", "2026-03-02", 5.00, false, true),
    ("AmazonBedrock", "USE1-NovaPro-input-tokens", "InvokeModelInference", "2026-03-02", 60.00, false, true),
    ("4a524th30q694o538qndh9ucht", "USE1-MP:USE1_InputTokenCount-Units", "Usage", "2026-03-02", 70.00, true, true),
    // DAX counts from 2026-03-27.
    ("AmazonDAX", "USE1-NodeUsage:dax.r5.large", "CreateCluster", "2026-03-26", 40.00, false, false),
    ("AmazonDAX", "USE1-NodeUsage:dax.r5.large", "CreateCluster", "2026-03-27", 45.00, true, true),
    ("AmazonS3", "TimedStorage-ByteHrs", "StandardStorage", "2026-03-02", 80.00, false, true),
    ("AmazonS3", "Requests-Tier1", "PutObject", "2026-03-02", 8.00, false, false),
    ("AmazonEC2", "USE1-DataTransfer-Out-Bytes", "RunInstances", "2026-03-02", 12.00, true, false),
    ("AmazonEKS", "USE1-Fargate-vCPU-Hours:perCPU", "FargatePod", "2026-03-02", 25.00, false, false),
    ("AWSCloudTrail", "USE1-PaidEventsRecorded", "None", "2026-03-02", 3.00, false, false),
    ("AmazonGuardDuty", "USE1-PaidEventsAnalyzed", "None", "2026-03-02", 4.00, false, false),
    ("AWSSupportBusiness", "Dollar", "", "2026-03-02", 100.00, false, false),
    ("AmazonEC2", "USE1-BoxUsage:m5.large", "RunInstances", "2026-03-02", 500.00, true, true),
    // Payment Cryptography: requests count but for the nine listed APIs.
    ("PaymentCryptography", "USE1-Requests", "CreateKey", "2026-03-02", 2.00, false, false),
    ("PaymentCryptography", "USE1-Requests", "Encrypt", "2026-03-02", 3.00, false, true),
];

/// The AWS Transform scheme's value of the same agreement.
const OURS_APN: &str = "migra-abcdefg123456";

/// Line `i`'s MAP tag as a CUR 2.0 map key and value: `map-migrated`.
fn map_migrated(i: usize) -> Option<(&'static str, &'static str)> {
    LINES[i].5.then_some(("user_map_migrated", OURS))
}

/// The same tagging under `aws-apn-id`.
fn apn(i: usize) -> Option<(&'static str, &'static str)> {
    LINES[i].5.then_some(("user_aws_apn_id", OURS_APN))
}

fn cur2() -> String {
    cur2_tagged(map_migrated)
}

fn cur2_tagged(tag: impl Fn(usize) -> Option<(&'static str, &'static str)>) -> String {
    let mut out = String::from("line_item_resource_id,line_item_usage_account_id,line_item_line_item_type,line_item_product_code,line_item_usage_type,line_item_operation,line_item_usage_start_date,line_item_unblended_cost,line_item_currency_code,resource_tags\n");
    for (i, (product, usage, op, day, cost, _, _)) in LINES.iter().enumerate() {
        let tags = match tag(i) {
            Some((k, v)) => format!("\"{{\"\"{k}\"\":\"\"{v}\"\"}}\""),
            None => "{}".into(),
        };
        out += &format!(
            "r{i},111111111111,Usage,{product},{usage},{op},{day}T00:00:00Z,{cost},USD,{tags}\n"
        );
    }
    out
}

fn legacy() -> String {
    legacy_tagged("map-migrated", OURS)
}

fn legacy_tagged(key: &str, value: &str) -> String {
    let mut out = format!("lineItem/ResourceId,lineItem/UsageAccountId,lineItem/LineItemType,lineItem/ProductCode,lineItem/UsageType,lineItem/Operation,lineItem/UsageStartDate,lineItem/UnblendedCost,lineItem/CurrencyCode,resourceTags/user:{key}\n");
    for (i, (product, usage, op, day, cost, tagged, _)) in LINES.iter().enumerate() {
        let tag = if *tagged { value } else { "" };
        out += &format!(
            "r{i},111111111111,Usage,{product},{usage},{op},{day}T00:00:00Z,{cost},USD,{tag}\n"
        );
    }
    out
}

fn terms(eligible: Vec<EligibleService>) -> MapAgreement {
    MapAgreement {
        tags: MapTags::map_migrated(Some("ABCDE12345".into())),
        start: Some("2026-01-01".parse().unwrap()),
        end: Some("2026-12-31".parse().unwrap()),
        eligible_services: eligible,
        ..MapAgreement::default()
    }
}

fn totals(t: &MapAgreement, bill: &str) -> Amounts {
    let reading = Reading {
        window: Some(("2026-01-01".parse().unwrap(), "2026-04-01".parse().unwrap())),
        ..Reading::of(t)
    };
    workload_credits(t, &read(reading, bill)).totals
}

/// The sums the table above gives: (total, eligible, tagged eligible).
fn expected(counts: impl Fn(usize) -> bool) -> (Decimal, Decimal, Decimal) {
    let total = LINES.iter().map(|l| m(l.4)).sum();
    let eligible = LINES
        .iter()
        .enumerate()
        .filter(|(i, _)| counts(*i))
        .map(|(_, l)| m(l.4))
        .sum();
    let tagged = LINES
        .iter()
        .enumerate()
        .filter(|(i, l)| counts(*i) && l.5)
        .map(|(_, l)| m(l.4))
        .sum();
    (total, eligible, tagged)
}

#[test]
fn the_list_counts_every_kind_of_line_to_the_cent_in_both_dialects() {
    let t = terms(default_services());
    let (total, eligible, tagged) = expected(|i| LINES[i].6);
    assert_eq!(
        (total, eligible, tagged),
        (m(1867.75), m(1673.75), m(1115.25))
    );
    for bill in [cur2(), legacy()] {
        let x = totals(&t, &bill);
        assert_eq!((x.total, x.eligible, x.tagged), (total, eligible, tagged));
        assert_eq!(x.untagged, eligible - tagged);
        assert_eq!(x.mistagged, Decimal::ZERO);
    }
}

#[test]
fn a_configured_list_replaces_the_default_and_default_extends_it() {
    // The starter list tagwarden had before it followed AWS's list.
    let starter = [
        "AmazonEC2",
        "AmazonRDS",
        "AmazonS3",
        "AmazonECS",
        "AmazonEKS",
        "AmazonEFS",
        "AmazonFSx",
        "AmazonDynamoDB",
        "AmazonElastiCache",
        "AmazonRedshift",
        "AmazonES",
        "AWSLambda",
        "AWSELB",
        "ElasticMapReduce",
        "AWSBackup",
    ];
    let t = terms(starter.iter().map(|s| EligibleService::named(s)).collect());
    let x = totals(&t, &cur2());
    // S3 storage and EC2 instance hours only: 80 + 500, 500 tagged.
    assert_eq!((x.eligible, x.tagged), (m(580.0), m(500.0)));
    // `default` plus CloudTrail from 2026-03-01.
    let mut extended = default_services();
    extended.push(EligibleService {
        from: "2026-03-01".parse().ok(),
        ..EligibleService::named("AWSCloudTrail")
    });
    let x = totals(&terms(extended), &cur2());
    assert_eq!(x.eligible, m(1673.75 + 3.0));
}

fn apn_terms() -> MapAgreement {
    MapAgreement {
        tags: MapTags::new(vec![MapTag {
            scheme: Scheme::AwsApnId,
            id: Some("ra-abcdefg123456".into()),
        }])
        .unwrap(),
        ..terms(default_services())
    }
}

fn credits_of(t: &MapAgreement, bill: &str) -> Credits {
    let reading = Reading {
        window: Some(("2026-01-01".parse().unwrap(), "2026-04-01".parse().unwrap())),
        ..Reading::of(t)
    };
    workload_credits(t, &read(reading, bill))
}

/// Every figure but the words, which name the key.
fn figures(c: &Credits) -> String {
    let mut c = c.clone();
    c.assumptions.clear();
    c.mistagged_values
        .iter_mut()
        .for_each(|m| m.key = Scheme::MapMigrated);
    format!("{c:?}")
}

#[test]
fn the_aws_transform_scheme_gives_the_same_figures_as_map_migrated() {
    let (mm, apn_t) = (terms(default_services()), apn_terms());
    for (ours, theirs) in [
        (cur2(), cur2_tagged(apn)),
        (legacy(), legacy_tagged("aws-apn-id", OURS_APN)),
    ] {
        let (a, b) = (credits_of(&mm, &ours), credits_of(&apn_t, &theirs));
        assert_eq!(figures(&a), figures(&b));
        assert_eq!(b.totals.tagged, m(1115.25));
        assert!(
            b.assumptions[0].starts_with(
                "`aws-apn-id` values with the PRM ID ra-abcdefg123456 count as tagged"
            ),
            "{}",
            b.assumptions[0]
        );
        // Under the other scheme's configuration, nothing is tagged.
        let other = credits_of(&mm, &theirs);
        assert_eq!(
            (other.totals.tagged, other.totals.untagged),
            (Decimal::ZERO, m(1673.75))
        );
    }
}

#[test]
fn an_estate_of_two_agreements_is_reported_per_scheme() {
    let both = MapAgreement {
        tags: MapTags::new(vec![
            MapTag {
                scheme: Scheme::MapMigrated,
                id: Some("ABCDE12345".into()),
            },
            MapTag {
                scheme: Scheme::AwsApnId,
                id: Some("ra-abcdefg123456".into()),
            },
        ])
        .unwrap(),
        ..terms(default_services())
    };
    // Even lines under map-migrated, odd ones under aws-apn-id; line 0
    // carries both (map-migrated, first in map.tag, decides), line 2 an
    // aws-apn-id value of another agreement.
    let bill = cur2_tagged(|i| match i {
        2 => Some(("user_aws_apn_id", "migra-other")),
        i if i % 2 == 0 => map_migrated(i),
        i => apn(i),
    })
    .replacen(
        &format!("\"{{\"\"user_map_migrated\"\":\"\"{OURS}\"\"}}\""),
        &format!("\"{{\"\"user_aws_apn_id\"\":\"\"migra-nope\"\",\"\"user_map_migrated\"\":\"\"{OURS}\"\"}}\""),
        1,
    );
    let c = credits_of(&both, &bill);
    assert_eq!(c.totals.tagged, m(1115.25), "both agreements' tagged spend");
    // Line 2 (SQS, 20.00) is mis-tagged under aws-apn-id.
    assert_eq!(c.totals.mistagged, m(20.0));
    let rows: Vec<(&str, Decimal, Decimal)> = c
        .by_scheme
        .iter()
        .map(|r| (r.key.as_str(), r.amounts.tagged, r.amounts.mistagged))
        .collect();
    let tagged = |parity: usize| -> Decimal {
        LINES
            .iter()
            .enumerate()
            .filter(|(i, l)| i % 2 == parity && l.5 && l.6)
            .map(|(_, l)| m(l.4))
            .sum()
    };
    assert_eq!(
        rows,
        [
            ("aws-apn-id", tagged(1), m(20.0)),
            ("map-migrated", tagged(0), Decimal::ZERO),
        ]
    );
    let shares: Decimal = c.by_scheme.iter().map(|r| r.amounts.estimated_credit).sum();
    assert_eq!(shares.round_dp(6), c.totals.estimated_credit.round_dp(6));
    assert_eq!(c.mistagged_values[0].key, Scheme::AwsApnId);
    assert!(c.assumptions[0].contains("judged by the first of map-migrated, aws-apn-id"));
    // One scheme configured: no per-scheme rows.
    assert!(credits_of(&terms(default_services()), &cur2())
        .by_scheme
        .is_empty());
}
