//! Events shaped as the CloudTrail reference documents them, wrapped as
//! EventBridge delivers them to SQS.

use super::*;
use serde_json::json;

const ACCOUNT: &str = "222222222222";

/// An EventBridge envelope around a CloudTrail record of `name`.
fn event(name: &str, source: &str, request: Value, response: Value) -> String {
    json!({
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "AWS API Call via CloudTrail",
        "source": format!("aws.{source}"),
        "account": ACCOUNT,
        "time": "2026-11-28T07:30:00Z",
        "region": "eu-west-1",
        "resources": [],
        "detail": {
            "eventVersion": "1.09",
            "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::222222222222:assumed-role/mgn/i-1"},
            "eventTime": "2026-11-28T07:29:58Z",
            "eventSource": format!("{source}.amazonaws.com"),
            "eventName": name,
            "awsRegion": "eu-west-1",
            "sourceIPAddress": "mgn.amazonaws.com",
            "requestParameters": request,
            "responseElements": response,
            "requestID": "c0a8f9e2-1111-2222-3333-444455556666",
            "eventID": format!("evt-{name}"),
            "readOnly": false,
            "eventType": "AwsApiCall",
            "managementEvent": true,
            "recipientAccountId": ACCOUNT,
        }
    })
    .to_string()
}

fn created(body: &str) -> Creation {
    match parse(body).unwrap() {
        Event::Creation(c) => c,
        other => panic!("not a creation: {other:?}"),
    }
}

fn arns(c: &Creation) -> Vec<&str> {
    c.resources.iter().map(|r| r.arn.as_str()).collect()
}

#[test]
fn run_instances_creates_every_instance_of_the_reservation() {
    let response = json!({
        "requestId": "r-1",
        "reservationId": "r-0abc",
        "ownerId": ACCOUNT,
        "instancesSet": {"items": [
            {"instanceId": "i-0aaa", "imageId": "ami-1", "instanceState": {"code": 0, "name": "pending"}},
            {"instanceId": "i-0bbb", "imageId": "ami-1", "instanceState": {"code": 0, "name": "pending"}}
        ]}
    });
    let c = created(&event(
        "RunInstances",
        "ec2",
        json!({"instanceType": "m5.large"}),
        response,
    ));
    assert_eq!(
        arns(&c),
        [
            "arn:aws:ec2:eu-west-1:222222222222:instance/i-0aaa",
            "arn:aws:ec2:eu-west-1:222222222222:instance/i-0bbb"
        ]
    );
    assert_eq!(c.resources[0].resource_type, "ec2:instance");
    assert_eq!(
        (c.account.as_str(), c.region.as_str()),
        (ACCOUNT, "eu-west-1")
    );
    assert_eq!(c.event_id, "evt-RunInstances");
    assert_eq!(
        c.event_time.unwrap().to_rfc3339(),
        "2026-11-28T07:29:58+00:00"
    );
}

#[test]
fn every_ec2_creation() {
    let cases = [
        (
            "CreateVolume",
            json!({"volumeId": "vol-1", "size": 8, "status": "creating"}),
            "volume/vol-1",
        ),
        (
            "CreateSnapshot",
            json!({"snapshotId": "snap-1", "volumeId": "vol-1"}),
            "snapshot/snap-1",
        ),
        (
            "CopySnapshot",
            json!({"requestId": "x", "snapshotId": "snap-2"}),
            "snapshot/snap-2",
        ),
        (
            "CreateImage",
            json!({"requestId": "x", "imageId": "ami-1"}),
            "image/ami-1",
        ),
        (
            "CopyImage",
            json!({"requestId": "x", "imageId": "ami-2"}),
            "image/ami-2",
        ),
    ];
    for (name, response, tail) in cases {
        let c = created(&event(name, "ec2", json!({}), response));
        assert_eq!(
            arns(&c),
            [format!("arn:aws:ec2:eu-west-1:222222222222:{tail}")],
            "{name}"
        );
    }
}

#[test]
fn rds_creations_carry_their_arn() {
    let db = "arn:aws:rds:eu-west-1:222222222222:db:orders";
    let cluster = "arn:aws:rds:eu-west-1:222222222222:cluster:ledger";
    let cases = [
        (
            "CreateDBInstance",
            json!({"dBInstanceIdentifier": "orders", "dBInstanceArn": db}),
            db,
            "rds:db",
        ),
        (
            "RestoreDBInstanceFromDBSnapshot",
            json!({"dBInstanceArn": db}),
            db,
            "rds:db",
        ),
        (
            "CreateDBCluster",
            json!({"dBClusterIdentifier": "ledger", "dBClusterArn": cluster}),
            cluster,
            "rds:cluster",
        ),
        (
            "RestoreDBClusterFromSnapshot",
            json!({"dBClusterArn": cluster}),
            cluster,
            "rds:cluster",
        ),
    ];
    for (name, response, want, kind) in cases {
        let c = created(&event(name, "rds", json!({}), response));
        assert_eq!(arns(&c), [want], "{name}");
        assert_eq!(c.resources[0].resource_type, kind);
    }
}

#[test]
fn create_bucket_names_it_in_the_request() {
    let request = json!({"bucketName": "migrated-data", "Host": "migrated-data.s3.amazonaws.com"});
    let c = created(&event("CreateBucket", "s3", request, Value::Null));
    assert_eq!(arns(&c), ["arn:aws:s3:::migrated-data"]);
}

#[test]
fn other_calls_and_failed_calls_create_nothing() {
    let describe = event("DescribeInstances", "ec2", json!({}), Value::Null);
    assert_eq!(
        parse(&describe).unwrap(),
        Event::NotCreation {
            event_name: "DescribeInstances".into()
        }
    );
    let mut failed: Value =
        serde_json::from_str(&event("CreateVolume", "ec2", json!({}), Value::Null)).unwrap();
    failed["detail"]["errorCode"] = json!("Client.UnauthorizedOperation");
    let e = parse(&failed.to_string()).unwrap();
    assert_eq!(
        e,
        Event::FailedCall {
            event_name: "CreateVolume".into(),
            error_code: "Client.UnauthorizedOperation".into()
        }
    );
}

#[test]
fn poison_messages_say_why() {
    let err = |body: &str| parse(body).unwrap_err();
    assert_eq!(err("not json").outcome(), EventOutcome::NotJson);
    assert!(err("not json")
        .to_string()
        .starts_with("the message is not JSON: "));
    let big = "x".repeat(300 * 1024);
    assert_eq!(err(&big), EventError::TooLarge(307_200));
    assert_eq!(
        err(&big).to_string(),
        "the message is 307200 bytes, over the 262144 tagwarden reads"
    );
    let scheduled = json!({"detail-type": "Scheduled Event", "detail": {}}).to_string();
    assert_eq!(
        err(&scheduled).to_string(),
        "not an \"AWS API Call via CloudTrail\" event (detail-type `Scheduled Event`)"
    );
    let no_name = json!({"detail-type": "AWS API Call via CloudTrail", "detail": {}}).to_string();
    assert_eq!(
        err(&no_name).to_string(),
        "the event: no `detail.eventName` in the event"
    );
    let no_ids = event(
        "RunInstances",
        "ec2",
        json!({}),
        json!({"instancesSet": {"items": []}}),
    );
    assert_eq!(
        err(&no_ids).to_string(),
        "RunInstances: no `detail.responseElements.instancesSet.items[].instanceId` in the event"
    );
    assert_eq!(err(&no_ids).outcome(), EventOutcome::Malformed);
    assert_eq!(EventOutcome::Malformed.label(), "malformed");
    assert_eq!(err(&no_ids).event_name(), Some("RunInstances"));
    assert_eq!(err(&no_name).event_name(), None);
    let mut no_account: Value = serde_json::from_str(&event(
        "CreateVolume",
        "ec2",
        json!({}),
        json!({"volumeId": "vol-1"}),
    ))
    .unwrap();
    no_account["detail"]
        .as_object_mut()
        .unwrap()
        .remove("recipientAccountId");
    assert_eq!(
        err(&no_account.to_string()).to_string(),
        "CreateVolume: no `detail.recipientAccountId` in the event"
    );
}

#[test]
fn arns_follow_the_partition() {
    let id = |resource_type, id: &str| Named::Id {
        resource_type,
        id: id.into(),
    };
    let (ty, arn) = built(id("ec2:volume", "vol-1"), "1", "cn-north-1");
    assert_eq!(
        (ty, arn.unwrap()),
        (
            "ec2:volume",
            crate::arn::arn("arn:aws-cn:ec2:cn-north-1:1:volume/vol-1")
        )
    );
    let (_, arn) = built(id("s3:bucket", "b"), "1", "us-gov-west-1");
    assert_eq!(arn.unwrap(), "arn:aws-us-gov:s3:::b");
}

#[test]
fn outcome_and_event_labels_are_bounded() {
    let labels: std::collections::BTreeSet<&str> =
        EventOutcome::ALL.iter().map(|o| o.label()).collect();
    assert_eq!(labels.len(), EventOutcome::ALL.len(), "one label each");
    assert_eq!(event_label("RunInstances"), "RunInstances");
    assert_eq!(event_label("DeleteEverything"), "other");
}

#[test]
fn an_id_that_makes_no_arn_is_malformed() {
    let bad = event(
        "CreateVolume",
        "ec2",
        json!({}),
        json!({"volumeId": "vol-1\nEVIL"}),
    );
    let e = parse(&bad).unwrap_err();
    assert_eq!(e.outcome(), EventOutcome::Malformed);
    assert_eq!(e.event_name(), Some("CreateVolume"));
}

mod rejected;
mod services;
mod tag_changes;
