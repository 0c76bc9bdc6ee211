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

#[test]
fn the_map_tag_is_one_key_and_id_or_one_per_scheme() {
    use crate::policy::map_format::{MapTag, Scheme};
    let tag = |scheme, id: &str| MapTag {
        scheme,
        id: Some(id.to_string()),
    };
    let apn = load("map:\n  tag: {key: aws-apn-id, id: ra-abcdefg123456}\n").unwrap();
    assert_eq!(
        apn.map.tags.iter().cloned().collect::<Vec<_>>(),
        [tag(Scheme::AwsApnId, "ra-abcdefg123456")]
    );
    assert_eq!(apn.map.tags.mpe_id(), None);
    let both = load("map:\n  mpe_id: ABCDE12345\n  tag:\n    - {key: aws-apn-id, id: ra-1}\n    - {key: map-migrated}\n").unwrap();
    assert_eq!(
        both.map.tags.iter().cloned().collect::<Vec<_>>(),
        [
            tag(Scheme::AwsApnId, "ra-1"),
            tag(Scheme::MapMigrated, "ABCDE12345")
        ],
        "mpe_id gives map-migrated's id"
    );
    let shorthand = load("map:\n  mpe_id: '12345'\n").unwrap();
    assert_eq!(
        shorthand.map.tags.iter().cloned().collect::<Vec<_>>(),
        [tag(Scheme::MapMigrated, "12345")]
    );
    let default = load("regions: [us-east-1]\n").unwrap().map.tags;
    assert_eq!(
        default.iter().cloned().collect::<Vec<_>>(),
        [MapTag::default()]
    );
}

#[test]
fn every_map_tag_mistake_is_reported_where_it_is() {
    let errors = |yaml: &str| -> Vec<String> {
        load(yaml)
            .unwrap_err()
            .0
            .iter()
            .map(|d| d.to_string())
            .collect()
    };
    let cases = [
        (
            "map:\n  tag: {key: Map-Migrated, id: ABCDE12345}\n",
            "2:14: error: unknown MAP tag key `Map-Migrated`; expected `map-migrated` (MAP 2.0, with an MPE ID) or `aws-apn-id` (MAP 2.0 under AWS Transform, with a PRM ID), exactly",
        ),
        (
            "map:\n  tag: {key: aws-apn-id, id: migra-1 x}\n",
            "2:30: error: PRM ID `migra-1 x` must be letters, digits and hyphens (at most 250), without the `mig`/`sap`/`oracle` prefix",
        ),
        (
            "map:\n  tag:\n    - {key: aws-apn-id, id: ra-1}\n    - {key: aws-apn-id, id: ra-2}\n",
            "4:7: error: `aws-apn-id` is listed twice: one agreement per MAP tag key",
        ),
        (
            "map:\n  tag: aws-apn-id\n",
            "2:8: error: a MAP tag is `{key: map-migrated, id: <MPE ID>}` or `{key: aws-apn-id, id: <PRM ID>}`",
        ),
        (
            "map:\n  tag: {key: aws-apn-id, prm: ra-1}\n",
            "2:8: error: unknown field `prm`; a MAP tag is",
        ),
        (
            "map:\n  tag: []\n",
            "2:8: error: tag is empty: name the MAP tag",
        ),
        (
            "map:\n  mpe_id: ABCDE12345\n  tag: {key: aws-apn-id, id: ra-1}\n",
            "2:11: error: mpe_id is the `map-migrated` tag's MPE ID, but `tag` does not count `map-migrated`",
        ),
        (
            "map:\n  mpe_id: ABCDE12345\n  tag: {key: map-migrated, id: '12345'}\n",
            "2:11: error: mpe_id and a `map-migrated` entry of `tag` both give the MPE ID: keep one",
        ),
        (
            "map:\n  tag: {key: map-migrated, id: abc}\n",
            "2:32: error: MPE ID `abc` must be 5 digits or 10 uppercase letters and digits",
        ),
        (
            "map:\n  workload_tags: [aws-apn-id]\n",
            "2:19: error: `aws-apn-id` is the MAP tag, not a workload",
        ),
    ];
    for (yaml, expected) in cases {
        let got = errors(yaml);
        assert_eq!(got.len(), 1, "{yaml}: {got:#?}");
        assert!(
            got[0].starts_with(&format!("tagwarden.yaml:{expected}")),
            "{yaml}: {got:#?}"
        );
    }
}
