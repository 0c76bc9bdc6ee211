//! `map.eligible_services` entries and `map.workload_tags`: what they
//! accept, and where each mistake is reported.

use super::*;
use crate::config::tests::load;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[test]
fn eligible_services_take_names_codes_and_dates() {
    let c = load(
        "map:\n  eligible_services:\n    - AmazonEC2\n    - Amazon Relational Database Service\n    - {service: AWSLambda, from: 2026-03-01}\n  workload_tags: [app, application, workload]\n",
    )
    .unwrap();
    assert_eq!(
        c.map.eligible_services,
        [
            EligibleService::named("AmazonEC2"),
            EligibleService::named("Amazon Relational Database Service"),
            EligibleService {
                from: Some(d("2026-03-01")),
                origin: crate::billing::eligible::Origin::Configuration,
                service: "AWSLambda".into(),
            },
        ]
    );
    assert_eq!(c.map.workload_tags, ["app", "application", "workload"]);
    let default = load("regions: [us-east-1]\n").unwrap().map;
    assert!(
        default.workload_tags.is_empty(),
        "no workloads unless asked"
    );
    assert_eq!(
        default.eligible_services,
        crate::billing::eligible::default_services(),
        "no list configured: AWS's Included Services List"
    );
}

#[test]
fn default_stands_for_the_list_and_extends_it() {
    let c = load(
        "map:
  eligible_services:
    - default
    - {service: AWSOutposts, from: 2026-09-01}
",
    )
    .unwrap();
    let list = crate::billing::eligible::default_services();
    assert_eq!(c.map.eligible_services.len(), list.len() + 1);
    assert_eq!(c.map.eligible_services[..list.len()], list[..]);
    let last = c.map.eligible_services.last().unwrap();
    assert_eq!(last.service, "AWSOutposts");
    assert_eq!(last.from, Some(d("2026-09-01")));
    assert_eq!(last.origin, crate::billing::eligible::Origin::Configuration);
    let twice = load("map:\n  eligible_services: [default, AmazonEC2, default]\n").unwrap_err();
    let lines: Vec<String> = twice.0.iter().map(|d| d.to_string()).collect();
    assert_eq!(
        lines,
        ["tagwarden.yaml:2:43: error: `default` is listed twice"]
    );
}

#[test]
fn each_bad_entry_is_reported_where_it_is() {
    let e = load(
        "map:\n  eligible_services:\n    - AmazonEC2\n    - {service: AWSLambda, from: soon}\n    - {from: 2026-01-01}\n    - [AmazonS3]\n    - {service: AmazonRDS, since: 2026-01-01}\n  workload_tags: [app, \"\", map-migrated, app]\n",
    )
    .unwrap_err();
    let lines: Vec<String> = e.0.iter().map(|d| d.to_string()).collect();
    assert_eq!(
        lines,
        [
            "tagwarden.yaml:4:34: error: `soon` is not a date such as 2026-03-01: the day the service became eligible",
            "tagwarden.yaml:5:7: error: `service` is missing: the Cost Explorer name or product code",
            "tagwarden.yaml:6:7: error: an eligible service is a name or product code (`AmazonEC2`), or `{service: AWSLambda, from: 2026-03-01}`",
            "tagwarden.yaml:7:7: error: unknown field `since`; expected `service` and `from`",
            "tagwarden.yaml:8:24: error: a workload tag is a tag key such as `app`",
            "tagwarden.yaml:8:28: error: `map-migrated` is the MAP tag, not a workload: name the key your teams put the application in (`app`, `workload`)",
            "tagwarden.yaml:8:42: error: `app` is listed twice",
        ]
    );
}
