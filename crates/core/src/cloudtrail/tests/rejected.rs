//! Events that contradict themselves, or name what their call does not
//! create in their own account and region, are not believed.

use super::*;

fn rejected(body: &str) -> Rejection {
    match parse(body) {
        Err(EventError::Rejected { why, .. }) => *why,
        other => panic!("not rejected: {other:?}"),
    }
}

fn edited(body: &str, edit: impl FnOnce(&mut Value)) -> String {
    let mut v: Value = serde_json::from_str(body).unwrap();
    edit(&mut v);
    v.to_string()
}

fn create_db(arn: &str) -> String {
    event(
        "CreateDBInstance",
        "rds",
        json!({"dBInstanceIdentifier": "orders"}),
        json!({"dBInstanceArn": arn, "dBInstanceIdentifier": "orders"}),
    )
}

#[test]
fn an_rds_event_naming_a_snapshot_is_not_a_database() {
    let snapshot = "arn:aws:rds:eu-west-1:222222222222:snapshot:rds:orders-2026-11-28";
    let why = rejected(&create_db(snapshot));
    assert_eq!(
        why.to_string(),
        "arn:aws:rds:eu-west-1:222222222222:snapshot:rds:orders-2026-11-28 is named as rds:db, but its type is `rds:snapshot` (the event's is `rds:db`)"
    );
    let e = parse(&create_db(snapshot)).unwrap_err();
    assert_eq!(e.outcome(), EventOutcome::Rejected);
    assert_eq!(e.outcome().label(), "rejected");
    assert_eq!(e.event_name(), Some("CreateDBInstance"));
    assert!(e.to_string().starts_with("CreateDBInstance: arn:aws:rds:"));
}

#[test]
fn an_arn_of_another_account_region_or_partition_is_not_believed() {
    let other_account = "arn:aws:rds:eu-west-1:999999999999:db:orders";
    assert!(matches!(
        rejected(&create_db(other_account)),
        Rejection::Arn { part: "account", ref found, .. } if found == "999999999999"
    ));
    let other_region = "arn:aws:rds:us-east-1:222222222222:db:orders";
    assert!(matches!(
        rejected(&create_db(other_region)),
        Rejection::Arn { part: "region", ref wanted, .. } if wanted == "eu-west-1"
    ));
    let china = "arn:aws-cn:rds:eu-west-1:222222222222:db:orders";
    assert!(matches!(
        rejected(&create_db(china)),
        Rejection::Arn {
            part: "partition",
            ..
        }
    ));
    let no_account = "arn:aws:rds:eu-west-1::db:orders";
    assert!(matches!(
        rejected(&create_db(no_account)),
        Rejection::Arn {
            part: "account",
            ..
        }
    ));
    let own = "arn:aws:rds:eu-west-1:222222222222:db:orders";
    assert_eq!(arns(&created(&create_db(own))), [own]);
}

#[test]
fn a_bucket_arn_names_no_account_or_region() {
    let body = event(
        "CreateBucket",
        "s3",
        json!({"bucketName": "ledger"}),
        Value::Null,
    );
    assert_eq!(arns(&created(&body)), ["arn:aws:s3:::ledger"]);
}

#[test]
fn the_envelope_must_agree_with_the_record() {
    let good = event(
        "CreateVolume",
        "ec2",
        json!({}),
        json!({"volumeId": "vol-1"}),
    );
    // The call is EC2's, the envelope claims RDS.
    let source = edited(&good, |v| v["source"] = json!("aws.rds"));
    assert_eq!(
        rejected(&source).to_string(),
        "the envelope's source is `aws.rds`, but ec2.amazonaws.com records the call"
    );
    let no_source = edited(&good, |v| {
        v.as_object_mut().unwrap().remove("source");
    });
    assert!(matches!(rejected(&no_source), Rejection::Source { .. }));
    let account = edited(&good, |v| v["account"] = json!("999999999999"));
    assert_eq!(
        rejected(&account).to_string(),
        "the envelope's account is `999999999999`, the record's `222222222222`"
    );
    let region = edited(&good, |v| v["region"] = json!("us-east-1"));
    assert!(matches!(
        rejected(&region),
        Rejection::Envelope {
            field: "region",
            ..
        }
    ));
    // An eventSource that does not record the call is not that call.
    let misattributed = edited(&good, |v| {
        v["detail"]["eventSource"] = json!("rds.amazonaws.com")
    });
    assert!(matches!(
        parse(&misattributed),
        Ok(Event::NotCreation { .. })
    ));
}

#[test]
fn event_ids_are_required_and_bounded() {
    let good = event(
        "CreateVolume",
        "ec2",
        json!({}),
        json!({"volumeId": "vol-1"}),
    );
    let long = edited(&good, |v| v["detail"]["eventID"] = json!("e".repeat(129)));
    assert_eq!(
        rejected(&long).to_string(),
        "an event id of 129 characters (at most 128)"
    );
    let fits = edited(&good, |v| v["detail"]["eventID"] = json!("e".repeat(128)));
    assert_eq!(created(&fits).event_id.len(), 128);
    let none = edited(&good, |v| {
        v["detail"].as_object_mut().unwrap().remove("eventID");
    });
    assert_eq!(
        parse(&none).unwrap_err().to_string(),
        "CreateVolume: no `detail.eventID` in the event"
    );
}

#[test]
fn resources_are_bounded_and_named_once() {
    let instances = |n: usize, distinct: bool| {
        let items: Vec<Value> = (0..n)
            .map(|i| json!({"instanceId": format!("i-{}", if distinct { i } else { 7 })}))
            .collect();
        event(
            "RunInstances",
            "ec2",
            json!({}),
            json!({"instancesSet": {"items": items}}),
        )
    };
    assert_eq!(
        rejected(&instances(1001, true)).to_string(),
        "1001 resources in one event (at most 1000)"
    );
    assert_eq!(created(&instances(1000, true)).resources.len(), 1000);
    assert_eq!(
        arns(&created(&instances(500, false))),
        ["arn:aws:ec2:eu-west-1:222222222222:instance/i-7"]
    );
}
