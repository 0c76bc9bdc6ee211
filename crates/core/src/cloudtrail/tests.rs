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

/// An event of `source` (`lambda` for lambda.amazonaws.com), in eu-west-1
/// of ACCOUNT.
fn call(source: &str, name: &str, request: Value, response: Value) -> Creation {
    created(&event(name, source, request, response))
}

fn typed(c: &Creation) -> Vec<(&str, &str)> {
    c.resources
        .iter()
        .map(|r| (r.resource_type, r.arn.as_str()))
        .collect()
}

#[test]
fn serverless_databases_and_queues_name_their_arns() {
    let cases: Vec<(Creation, Vec<(&str, &str)>)> = vec![
        (
            call(
                "lambda",
                "CreateFunction20150331",
                json!({"functionName": "orders"}),
                json!({"functionName": "orders", "functionArn": "arn:aws:lambda:eu-west-1:222222222222:function:orders"}),
            ),
            vec![(
                "lambda:function",
                "arn:aws:lambda:eu-west-1:222222222222:function:orders",
            )],
        ),
        (
            call(
                "dynamodb",
                "CreateTable",
                json!({"tableName": "carts"}),
                json!({"tableDescription": {"tableName": "carts", "tableArn": "arn:aws:dynamodb:eu-west-1:222222222222:table/carts"}}),
            ),
            vec![(
                "dynamodb:table",
                "arn:aws:dynamodb:eu-west-1:222222222222:table/carts",
            )],
        ),
        (
            call(
                "ecs",
                "CreateCluster",
                json!({"clusterName": "web"}),
                json!({"cluster": {"clusterArn": "arn:aws:ecs:eu-west-1:222222222222:cluster/web"}}),
            ),
            vec![(
                "ecs:cluster",
                "arn:aws:ecs:eu-west-1:222222222222:cluster/web",
            )],
        ),
        (
            call(
                "ecs",
                "CreateService",
                json!({"serviceName": "api"}),
                json!({"service": {"clusterArn": "arn:aws:ecs:eu-west-1:222222222222:cluster/web", "serviceArn": "arn:aws:ecs:eu-west-1:222222222222:service/web/api"}}),
            ),
            vec![(
                "ecs:service",
                "arn:aws:ecs:eu-west-1:222222222222:service/web/api",
            )],
        ),
        (
            call(
                "eks",
                "CreateCluster",
                json!({"name": "k8s"}),
                json!({"cluster": {"arn": "arn:aws:eks:eu-west-1:222222222222:cluster/k8s"}}),
            ),
            vec![(
                "eks:cluster",
                "arn:aws:eks:eu-west-1:222222222222:cluster/k8s",
            )],
        ),
        (
            call(
                "eks",
                "CreateNodegroup",
                json!({}),
                json!({"nodegroup": {"nodegroupArn": "arn:aws:eks:eu-west-1:222222222222:nodegroup/k8s/ng/0ac5"}}),
            ),
            vec![(
                "eks:nodegroup",
                "arn:aws:eks:eu-west-1:222222222222:nodegroup/k8s/ng/0ac5",
            )],
        ),
        (
            call(
                "elasticfilesystem",
                "CreateFileSystem",
                json!({}),
                json!({"fileSystemId": "fs-1", "fileSystemArn": "arn:aws:elasticfilesystem:eu-west-1:222222222222:file-system/fs-1"}),
            ),
            vec![(
                "elasticfilesystem:file-system",
                "arn:aws:elasticfilesystem:eu-west-1:222222222222:file-system/fs-1",
            )],
        ),
        (
            call(
                "fsx",
                "CreateFileSystem",
                json!({}),
                json!({"fileSystem": {"fileSystemId": "fs-0f", "resourceARN": "arn:aws:fsx:eu-west-1:222222222222:file-system/fs-0f"}}),
            ),
            vec![(
                "fsx:file-system",
                "arn:aws:fsx:eu-west-1:222222222222:file-system/fs-0f",
            )],
        ),
        (
            call(
                "es",
                "CreateDomain",
                json!({"domainName": "search"}),
                json!({"domainStatus": {"aRN": "arn:aws:es:eu-west-1:222222222222:domain/search"}}),
            ),
            vec![(
                "es:domain",
                "arn:aws:es:eu-west-1:222222222222:domain/search",
            )],
        ),
        (
            call(
                "sns",
                "CreateTopic",
                json!({"name": "alerts"}),
                json!({"topicArn": "arn:aws:sns:eu-west-1:222222222222:alerts"}),
            ),
            vec![("sns:topic", "arn:aws:sns:eu-west-1:222222222222:alerts")],
        ),
        (
            // Since February 2024 `arn`; before, `aRN`: either is read.
            call(
                "secretsmanager",
                "CreateSecret",
                json!({"name": "db"}),
                json!({"aRN": "arn:aws:secretsmanager:eu-west-1:222222222222:secret:db-AbCdEf"}),
            ),
            vec![(
                "secretsmanager:secret",
                "arn:aws:secretsmanager:eu-west-1:222222222222:secret:db-AbCdEf",
            )],
        ),
    ];
    for (c, expected) in cases {
        assert_eq!(typed(&c), expected, "{}", c.event_name);
    }
}

#[test]
fn calls_that_answer_a_name_get_the_arn_the_tagging_api_uses() {
    let cases: Vec<(Creation, Vec<(&str, &str)>)> = vec![
        (
            call(
                "kinesis",
                "CreateStream",
                json!({"streamName": "clicks", "shardCount": 1}),
                Value::Null,
            ),
            vec![(
                "kinesis:stream",
                "arn:aws:kinesis:eu-west-1:222222222222:stream/clicks",
            )],
        ),
        (
            call(
                "logs",
                "CreateLogGroup",
                json!({"logGroupName": "/aws/lambda/orders"}),
                Value::Null,
            ),
            vec![(
                "logs:log-group",
                "arn:aws:logs:eu-west-1:222222222222:log-group:/aws/lambda/orders",
            )],
        ),
        (
            call(
                "sqs",
                "CreateQueue",
                json!({"queueName": "jobs"}),
                json!({"queueUrl": "https://sqs.eu-west-1.amazonaws.com/222222222222/jobs"}),
            ),
            vec![("sqs:queue", "arn:aws:sqs:eu-west-1:222222222222:jobs")],
        ),
        (
            // Redshift's answer is flat, and names no cluster ARN.
            call(
                "redshift",
                "CreateCluster",
                json!({"clusterIdentifier": "dw"}),
                json!({"clusterIdentifier": "dw", "clusterNamespaceArn": "arn:aws:redshift:eu-west-1:222222222222:namespace:0b1c"}),
            ),
            vec![(
                "redshift:cluster",
                "arn:aws:redshift:eu-west-1:222222222222:cluster:dw",
            )],
        ),
        (
            call(
                "elasticache",
                "CreateCacheCluster",
                json!({"cacheClusterId": "sessions"}),
                json!({"cacheClusterId": "sessions"}),
            ),
            vec![(
                "elasticache:cluster",
                "arn:aws:elasticache:eu-west-1:222222222222:cluster:sessions",
            )],
        ),
        (
            call(
                "elasticache",
                "CreateReplicationGroup",
                json!({"replicationGroupId": "cache"}),
                json!({"aRN": "arn:aws:elasticache:eu-west-1:222222222222:replicationgroup:cache"}),
            ),
            vec![(
                "elasticache:replicationgroup",
                "arn:aws:elasticache:eu-west-1:222222222222:replicationgroup:cache",
            )],
        ),
    ];
    for (c, expected) in cases {
        assert_eq!(typed(&c), expected, "{}", c.event_name);
    }
}

#[test]
fn load_balancers_of_both_generations() {
    let v2 = call(
        "elasticloadbalancing",
        "CreateLoadBalancer",
        json!({"name": "web"}),
        json!({"loadBalancers": [{"loadBalancerArn": "arn:aws:elasticloadbalancing:eu-west-1:222222222222:loadbalancer/app/web/50dc6c495c0c9188", "dNSName": "web-1.elb.amazonaws.com"}]}),
    );
    assert_eq!(typed(&v2), [("elasticloadbalancing:loadbalancer", "arn:aws:elasticloadbalancing:eu-west-1:222222222222:loadbalancer/app/web/50dc6c495c0c9188")]);
    let classic = call(
        "elasticloadbalancing",
        "CreateLoadBalancer",
        json!({"loadBalancerName": "legacy"}),
        json!({"dNSName": "legacy-1.eu-west-1.elb.amazonaws.com"}),
    );
    assert_eq!(
        typed(&classic),
        [(
            "elasticloadbalancing:loadbalancer",
            "arn:aws:elasticloadbalancing:eu-west-1:222222222222:loadbalancer/legacy"
        )]
    );
}

#[test]
fn newer_ec2_calls_wrap_their_answer_and_lists() {
    let fleet = call(
        "ec2",
        "CreateFleet",
        json!({}),
        json!({"CreateFleetResponse": {
            "xmlns": "http://ec2.amazonaws.com/doc/2016-11-15/",
            "fleetId": "fleet-0a1",
            "fleetInstanceSet": {"item": [
                {"instanceIds": {"item": ["i-0aaa", "i-0bbb"]}, "lifecycle": "on-demand"},
                {"instanceIds": {"item": "i-0ccc"}, "lifecycle": "spot"}
            ]}
        }}),
    );
    assert_eq!(
        typed(&fleet),
        [
            (
                "ec2:fleet",
                "arn:aws:ec2:eu-west-1:222222222222:fleet/fleet-0a1"
            ),
            (
                "ec2:instance",
                "arn:aws:ec2:eu-west-1:222222222222:instance/i-0aaa"
            ),
            (
                "ec2:instance",
                "arn:aws:ec2:eu-west-1:222222222222:instance/i-0bbb"
            ),
            (
                "ec2:instance",
                "arn:aws:ec2:eu-west-1:222222222222:instance/i-0ccc"
            ),
        ]
    );
    let one = call(
        "ec2",
        "CreateSnapshots",
        json!({}),
        json!({"CreateSnapshotsResponse": {"snapshotSet": {"item": {"snapshotId": "snap-1"}}}}),
    );
    assert_eq!(
        arns(&one),
        ["arn:aws:ec2:eu-west-1:222222222222:snapshot/snap-1"]
    );
    let two = call(
        "ec2",
        "CreateSnapshots",
        json!({}),
        json!({"CreateSnapshotsResponse": {"snapshotSet": {"item": [{"snapshotId": "snap-1"}, {"snapshotId": "snap-2"}]}}}),
    );
    assert_eq!(arns(&two).len(), 2);
    let nat = call(
        "ec2",
        "CreateNatGateway",
        json!({}),
        json!({"CreateNatGatewayResponse": {"natGateway": {"natGatewayId": "nat-0f"}}}),
    );
    assert_eq!(
        typed(&nat),
        [(
            "ec2:natgateway",
            "arn:aws:ec2:eu-west-1:222222222222:natgateway/nat-0f"
        )]
    );
    let eip = call(
        "ec2",
        "AllocateAddress",
        json!({"domain": "vpc"}),
        json!({"publicIp": "198.51.100.1", "allocationId": "eipalloc-1", "domain": "vpc"}),
    );
    assert_eq!(
        typed(&eip),
        [(
            "ec2:elastic-ip",
            "arn:aws:ec2:eu-west-1:222222222222:elastic-ip/eipalloc-1"
        )]
    );
    let tgw = call(
        "ec2",
        "CreateTransitGateway",
        json!({}),
        json!({"CreateTransitGatewayResponse": {"transitGateway": {"transitGatewayId": "tgw-0e", "ownerId": 222222222222u64}}}),
    );
    assert_eq!(
        typed(&tgw),
        [(
            "ec2:transit-gateway",
            "arn:aws:ec2:eu-west-1:222222222222:transit-gateway/tgw-0e"
        )]
    );
}

#[test]
fn a_call_is_known_by_its_service_and_name() {
    // CreateCluster of a service tagwarden does not know creates nothing it tags.
    let other = event(
        "CreateCluster",
        "kafka",
        json!({}),
        json!({"clusterArn": "arn:aws:kafka:eu-west-1:222222222222:cluster/x/1"}),
    );
    assert!(matches!(parse(&other).unwrap(), Event::NotCreation { .. }));
    let names = call_names();
    assert!(names.windows(2).all(|w| w[0] < w[1]), "sorted, once each");
    assert!(names.contains(&"CreateCluster") && names.contains(&"CreateFunction20150331"));
    assert!(event_sources().contains(&"aws.elasticloadbalancing".to_string()));
    // A known call whose answer lacks the field names it.
    let missing = event("CreateTable", "dynamodb", json!({}), json!({}));
    assert_eq!(
        parse(&missing).unwrap_err().to_string(),
        "CreateTable: no `detail.responseElements.tableDescription.tableArn` in the event"
    );
}
