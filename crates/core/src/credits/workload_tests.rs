//! Workloads, late tagging, uncredited resources and dated eligibility,
//! from one bill whose every figure is worked out by hand below.

use super::resources::{late_tagging, uncredited};
use super::*;
use crate::billing::eligible::EligibleService;
use crate::billing::{Costs, Reading};
use crate::config::MapAgreement;
use crate::money::lit as m;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// EC2 and S3 eligible for the whole agreement, Lambda from February 15;
/// workloads named by `app`, else `workload`.
pub(crate) fn workload_terms() -> MapAgreement {
    MapAgreement {
        tags: crate::policy::map_format::MapTags::map_migrated(Some("ABCDE12345".into())),
        start: Some(d("2026-01-01")),
        end: Some(d("2026-12-31")),
        quarters: crate::config::QuarterBasis::Calendar,
        eligible_services: vec![
            EligibleService::named("AmazonEC2"),
            EligibleService::named("Amazon Simple Storage Service"),
            EligibleService {
                from: Some(d("2026-02-15")),
                origin: crate::billing::eligible::Origin::Configuration,
                service: "AWSLambda".into(),
            },
        ],
        workload_tags: vec!["app".into(), "workload".into()],
        ..MapAgreement::default()
    }
}

/// i-1 (erp) spends 100 untagged on Jan 5, then is tagged from Jan 20 (50,
/// then 80 in February, and 5 of data transfer). vol-1 (web, by its
/// `workload` tag) spends 30 + 30 and is never tagged. i-2 (web by `app`,
/// which wins over its `workload`) spends 40 under another agreement's
/// value. bucket-a (no workload) stores 10 untagged, and 2 of requests.
/// fn-1 (erp) spends 4 before Lambda is eligible and 6 after, tagged.
pub(crate) const WORKLOAD_BILL: &str = "line_item_usage_account_id,line_item_line_item_type,line_item_product_code,line_item_usage_type,line_item_resource_id,line_item_usage_start_date,line_item_unblended_cost,line_item_currency_code,resource_tags
111111111111,Usage,AmazonEC2,BoxUsage:m5.large,i-1,2026-01-05T00:00:00Z,100,USD,\"{\"\"user_app\"\":\"\"erp\"\"}\"
111111111111,Usage,AmazonEC2,BoxUsage:m5.large,i-1,2026-01-20T00:00:00Z,50,USD,\"{\"\"user_app\"\":\"\"erp\"\",\"\"user_map_migrated\"\":\"\"migABCDE12345\"\"}\"
111111111111,Usage,AmazonEC2,BoxUsage:m5.large,i-1,2026-02-01T00:00:00Z,80,USD,\"{\"\"user_app\"\":\"\"erp\"\",\"\"user_map_migrated\"\":\"\"migABCDE12345\"\"}\"
111111111111,Usage,AmazonEC2,USE1-DataTransfer-Out-Bytes,i-1,2026-02-01T00:00:00Z,5,USD,\"{\"\"user_app\"\":\"\"erp\"\",\"\"user_map_migrated\"\":\"\"migABCDE12345\"\"}\"
111111111111,Usage,AmazonEC2,EBS:VolumeUsage.gp3,vol-1,2026-01-10T00:00:00Z,30,USD,\"{\"\"user_workload\"\":\"\"web\"\"}\"
111111111111,Usage,AmazonEC2,EBS:VolumeUsage.gp3,vol-1,2026-02-10T00:00:00Z,30,USD,\"{\"\"user_workload\"\":\"\"web\"\"}\"
222222222222,Usage,AmazonEC2,BoxUsage:m5.large,i-2,2026-02-03T00:00:00Z,40,USD,\"{\"\"user_app\"\":\"\"web\"\",\"\"user_workload\"\":\"\"other\"\",\"\"user_map_migrated\"\":\"\"mig12345\"\"}\"
111111111111,Usage,AmazonS3,Requests-Tier1,bucket-a,2026-02-01T00:00:00Z,2,USD,{}
111111111111,Usage,AmazonS3,TimedStorage-ByteHrs,bucket-a,2026-02-01T00:00:00Z,10,USD,{}
111111111111,Usage,AWSLambda,Request,fn-1,2026-02-10T00:00:00Z,4,USD,\"{\"\"user_app\"\":\"\"erp\"\",\"\"user_map_migrated\"\":\"\"migABCDE12345\"\"}\"
111111111111,Usage,AWSLambda,Request,fn-1,2026-02-20T00:00:00Z,6,USD,\"{\"\"user_app\"\":\"\"erp\"\",\"\"user_map_migrated\"\":\"\"migABCDE12345\"\"}\"
";

/// The bill read for the agreement, January to March.
pub(crate) fn workload_costs(t: &MapAgreement, only: Option<&str>) -> Costs {
    let reading = Reading {
        window: Some((d("2026-01-01"), d("2026-04-01"))),
        only_workload: only.map(str::to_string),
        ..Reading::of(t)
    };
    read(reading, WORKLOAD_BILL)
}

/// A CSV bill read as `reading` says, every day of it.
pub(crate) fn read(reading: Reading, bill: &str) -> Costs {
    let mut costs = Costs {
        reading,
        ..Costs::default()
    };
    costs
        .read_csv(bill.as_bytes(), "bill.csv", NaiveDate::MIN, NaiveDate::MAX)
        .unwrap();
    costs
}

/// The money view of that bill as of 2026-04-01.
pub(crate) fn workload_credits(t: &MapAgreement, costs: &Costs) -> Credits {
    let bill = export::from_ledger(&costs.ledger, "USD", t);
    let input = Input {
        terms: t,
        months: periods::months(d("2026-01-01"), d("2026-04-01")),
        agreement_start: d("2026-01-01"),
        agreement_end: d("2027-01-01"),
        complete_before: d("2026-04-01"),
        by_service: bill.by_service,
        by_account: bill.by_account,
        by_workload: bill.by_workload,
        received: bill.received,
        origin: Origin::BillingExport,
        source_assumptions: Vec::new(),
    };
    compute(&input).unwrap()
}

fn row<'a>(rows: &'a [KeyRow], key: &str) -> &'a Amounts {
    &rows
        .iter()
        .find(|r| r.key == key)
        .unwrap_or_else(|| panic!("no row {key}"))
        .amounts
}

#[test]
fn eligibility_is_judged_per_line_by_usage_type_and_day() {
    let t = workload_terms();
    let c = workload_credits(&t, &workload_costs(&t, None));
    let x = &c.totals;
    // Spend: 100+50+80+5 + 30+30 + 40 + 2+10 + 4+6 = 357. Eligible: all but
    // the 5 of data transfer, the 2 of requests and Lambda's 4 before
    // February 15: 346.
    assert_eq!((x.total, x.eligible), (m(357.0), m(346.0)));
    // Tagged: i-1's 50 + 80, fn-1's 6. Mis-tagged: i-2's 40. Untagged:
    // i-1's 100, vol-1's 60, bucket-a's 10.
    assert_eq!(
        (x.tagged, x.mistagged, x.untagged),
        (m(136.0), m(40.0), m(170.0))
    );
}

#[test]
fn spend_is_split_by_the_first_workload_tag_a_line_carries() {
    let t = workload_terms();
    let c = workload_credits(&t, &workload_costs(&t, None));
    let keys: Vec<&str> = c.by_workload.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, ["(no workload)", "erp", "web"]);
    let erp = row(&c.by_workload, "erp");
    // i-1's 230 eligible (no data transfer) and fn-1's 6.
    assert_eq!(
        (erp.eligible, erp.tagged, erp.untagged),
        (m(236.0), m(136.0), m(100.0))
    );
    let web = row(&c.by_workload, "web");
    // vol-1 (by `workload`) and i-2 (`app` wins over `workload: other`).
    assert_eq!(
        (web.eligible, web.mistagged, web.untagged),
        (m(100.0), m(40.0), m(60.0))
    );
    assert_eq!(row(&c.by_workload, "(no workload)").untagged, m(10.0));
    // Under each, from the bill: its accounts and services.
    let web_row = c.by_workload.iter().find(|r| r.key == "web").unwrap();
    let eligible_of = |rows: &[KeyRow]| -> Vec<(String, Decimal)> {
        rows.iter()
            .map(|r| (r.key.clone(), r.amounts.eligible))
            .collect()
    };
    assert_eq!(
        eligible_of(&web_row.accounts),
        [
            ("111111111111".to_string(), m(60.0)),
            ("222222222222".to_string(), m(40.0))
        ]
    );
    assert_eq!(
        eligible_of(&web_row.services),
        [
            (
                "Amazon Elastic Compute Cloud - Compute".to_string(),
                m(40.0)
            ),
            ("EC2 - Other".to_string(), m(60.0))
        ]
    );
    let erp_row = c.by_workload.iter().find(|r| r.key == "erp").unwrap();
    assert_eq!(
        eligible_of(&erp_row.services),
        [
            ("AWS Lambda".to_string(), m(6.0)),
            (
                "Amazon Elastic Compute Cloud - Compute".to_string(),
                m(230.0)
            )
        ],
        "Lambda's 4 before it was eligible is not there; nor EC2's data transfer"
    );
    // Below the 50,000 threshold nothing is earned; missed credit too
    // stays 0 (346 in all): the shares sum to the totals either way.
    let shares: Decimal = c.by_workload.iter().map(|r| r.amounts.missed_credit).sum();
    assert_eq!(shares, c.totals.missed_credit);
    let eligible: Decimal = c.by_workload.iter().map(|r| r.amounts.eligible).sum();
    assert_eq!(eligible, c.totals.eligible);
}

#[test]
fn credit_is_shared_out_by_tagged_spend_above_the_threshold() {
    // With no threshold, every tagged unit earns 25 %: erp's 136 → 34; the
    // missed credit is 25 % of each key's untagged and mis-tagged spend.
    let t = MapAgreement {
        min_migrated_spend: Decimal::ZERO,
        ..workload_terms()
    };
    let c = workload_credits(&t, &workload_costs(&t, None));
    let erp = row(&c.by_workload, "erp");
    assert_eq!(
        (erp.estimated_credit, erp.missed_credit),
        (m(34.0), m(25.0))
    );
    let web = row(&c.by_workload, "web");
    assert_eq!((web.estimated_credit, web.missed_credit), (m(0.0), m(25.0)));
    let a = row(&c.by_account, "222222222222");
    assert_eq!(a.missed_credit, m(10.0), "i-2's 40 mis-tagged");
}

#[test]
fn one_workload_narrows_every_figure() {
    let t = workload_terms();
    let costs = workload_costs(&t, Some("web"));
    let c = workload_credits(&t, &costs);
    assert_eq!((c.totals.total, c.totals.eligible), (m(100.0), m(100.0)));
    assert_eq!(c.by_workload.len(), 1);
    assert_eq!(c.by_account.len(), 2, "vol-1's and i-2's accounts");
    let mut ids: Vec<&String> = costs.by_resource.keys().collect();
    ids.sort();
    assert_eq!(ids, ["i-2", "vol-1"]);
}

#[test]
fn late_tagging_counts_eligible_spend_before_the_first_tagged_line() {
    let t = workload_terms();
    let late = late_tagging(&workload_costs(&t, None), t.credit_rate);
    // Only i-1: 100 on Jan 5 before its tag on Jan 20. fn-1's untagged-era
    // spend was not eligible; vol-1 and bucket-a were never tagged.
    assert_eq!((late.spend, late.credit_forfeited), (m(100.0), m(25.0)));
    assert_eq!(late.resource_count, 1);
    let r = &late.resources[0];
    assert_eq!(
        (
            r.resource.as_str(),
            r.account.as_str(),
            r.service.as_str(),
            r.workload.as_deref()
        ),
        (
            "i-1",
            "111111111111",
            "Amazon Elastic Compute Cloud - Compute",
            Some("erp")
        )
    );
    assert_eq!(
        (r.first_spend, r.tagged_from, r.spend_before_tag),
        (d("2026-01-05"), d("2026-01-20"), m(100.0))
    );
    assert_eq!(late.by_workload.len(), 1);
    assert_eq!(
        (
            late.by_workload[0].workload.as_str(),
            late.by_workload[0].credit_forfeited
        ),
        ("erp", m(25.0))
    );
}

#[test]
fn late_tagging_counts_only_the_agreement_window() {
    // From January 10 on, i-1's untagged 100 of January 5 is before the
    // agreement: nothing was lost to late tagging in it.
    let t = workload_terms();
    let reading = Reading {
        window: Some((d("2026-01-10"), d("2026-04-01"))),
        ..Reading::of(&t)
    };
    let late = late_tagging(&read(reading, WORKLOAD_BILL), t.credit_rate);
    assert_eq!(late.resource_count, 0);
    assert_eq!(late.spend, Decimal::ZERO);
}

#[test]
fn uncredited_resources_are_ranked_and_say_whether_the_scan_saw_them() {
    let t = workload_terms();
    let costs = workload_costs(&t, None);
    let seen = |id: &str| id == "vol-1";
    let u = uncredited(&costs, t.credit_rate, Some(&seen));
    // vol-1 60 → 15, i-2 40 → 10, bucket-a 10 → 2.5.
    let ranked: Vec<(&str, Decimal, Option<bool>)> = u
        .resources
        .iter()
        .map(|r| (r.resource.as_str(), r.credit_at_risk, r.seen_by_scan))
        .collect();
    assert_eq!(
        ranked,
        [
            ("vol-1", m(15.0), Some(true)),
            ("i-2", m(10.0), Some(false)),
            ("bucket-a", m(2.5), Some(false)),
        ]
    );
    assert_eq!((u.spend, u.credit_at_risk), (m(110.0), m(27.5)));
    assert_eq!((u.resource_count, u.not_seen_by_scan), (3, Some(2)));
    assert_eq!(u.resources[1].value.as_deref(), Some("mig12345"));
    assert_eq!(u.resources[1].workload.as_deref(), Some("web"));
    let unscanned = uncredited(&costs, t.credit_rate, None);
    assert!(unscanned.resources.iter().all(|r| r.seen_by_scan.is_none()));
    assert_eq!(unscanned.not_seen_by_scan, None);
    let per_workload: Vec<(&str, usize, Decimal, Vec<&str>)> = u
        .by_workload
        .iter()
        .map(|w| {
            let ids = w.resources.iter().map(|r| r.resource.as_str()).collect();
            (w.workload.as_str(), w.resource_count, w.credit_at_risk, ids)
        })
        .collect();
    assert_eq!(
        per_workload,
        [
            ("web", 2, m(25.0), vec!["vol-1", "i-2"]),
            ("(no workload)", 1, m(2.5), vec!["bucket-a"]),
        ]
    );
}

/// A CUR 2.0 header for bills of many generated lines.
const LINES_HEADER: &str = "line_item_resource_id,line_item_usage_account_id,line_item_line_item_type,line_item_product_code,line_item_usage_type,line_item_usage_start_date,line_item_unblended_cost,line_item_currency_code,resource_tags\n";

#[test]
fn a_workload_ranked_below_the_list_still_has_its_most_at_risk() {
    // 1,000 untagged resources of `erp` at 10 fill the list; `tail`'s six
    // at 1 to 6 are under each workload all the same, its five most first.
    let mut bill = String::from(LINES_HEADER);
    let erp = (0..1000).map(|i| (format!("i-erp-{i}"), "erp", 10));
    let tail = (1..=6).map(|i| (format!("i-tail-{i}"), "tail", i));
    for (id, app, cost) in erp.chain(tail) {
        bill += &format!("{id},111111111111,Usage,AmazonEC2,BoxUsage:m5.large,2026-01-05T00:00:00Z,{cost},USD,\"{{\"\"user_app\"\":\"\"{app}\"\"}}\"\n");
    }
    let t = workload_terms();
    let costs = read(Reading::of(&t), &bill);
    let u = uncredited(&costs, t.credit_rate, None);
    assert_eq!((u.resource_count, u.resources.len()), (1006, 1000));
    assert!(u
        .resources
        .iter()
        .all(|r| r.workload.as_deref() == Some("erp")));
    let tail = &u.by_workload[1];
    let ids: Vec<&str> = tail.resources.iter().map(|r| r.resource.as_str()).collect();
    assert_eq!(
        (tail.workload.as_str(), tail.resource_count, tail.spend),
        ("tail", 6, m(21.0))
    );
    assert_eq!(
        ids,
        ["i-tail-6", "i-tail-5", "i-tail-4", "i-tail-3", "i-tail-2"]
    );
}

#[test]
fn the_scanned_resources_tagged_late_are_ranked_among_themselves() {
    // 1,000 resources only the bill knows were tagged late at 10 each; the
    // one the scan listed, at 1, is still listed.
    let mut bill = String::from(LINES_HEADER);
    let tag = "\"{\"\"user_map_migrated\"\":\"\"migABCDE12345\"\"}\"";
    for (id, cost) in (0..1000)
        .map(|i| (format!("i-gone-{i}"), 10))
        .chain([("i-seen".to_string(), 1)])
    {
        bill += &format!("{id},111111111111,Usage,AmazonEC2,BoxUsage:m5.large,2026-01-05T00:00:00Z,{cost},USD,{{}}\n");
        bill += &format!("{id},111111111111,Usage,AmazonEC2,BoxUsage:m5.large,2026-01-06T00:00:00Z,1,USD,{tag}\n");
    }
    let t = workload_terms();
    let costs = read(Reading::of(&t), &bill);
    assert_eq!(late_tagging(&costs, t.credit_rate).resource_count, 1001);
    let seen = super::resources::late_among(&costs, t.credit_rate, |id| id == "i-seen");
    assert_eq!(seen.len(), 1);
    assert_eq!(
        (seen[0].resource.as_str(), seen[0].spend_before_tag),
        ("i-seen", m(1.0))
    );
}
