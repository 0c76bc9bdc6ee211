//! The creation calls of every service beyond EC2, RDS and S3, and EC2's
//! newer calls, shaped as the CloudTrail reference documents them.

use super::*;

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

fn check(cases: Vec<(Creation, Vec<(&str, &str)>)>) {
    for (c, expected) in cases {
        assert_eq!(typed(&c), expected, "{}", c.event_name);
    }
}

#[test]
fn serverless_and_databases_name_their_arns() {
    check(vec![
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
    ]);
}

#[test]
fn containers_name_their_arns() {
    check(vec![
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
    ]);
}

#[test]
fn storage_search_topics_and_secrets_name_their_arns() {
    check(vec![
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
    ]);
}

/// DMS, which a migration pays for while it replicates: a replication
/// instance (`rep:`) and a serverless replication config.
#[test]
fn dms_replication_instances_and_configs_name_their_arns() {
    check(vec![
        (
            call(
                "dms",
                "CreateReplicationInstance",
                json!({"replicationInstanceIdentifier": "erp-cdc", "replicationInstanceClass": "dms.r5.large"}),
                json!({"replicationInstance": {
                    "replicationInstanceIdentifier": "erp-cdc",
                    "replicationInstanceArn": "arn:aws:dms:eu-west-1:222222222222:rep:EXAMPLE4PQTOBWA3CDLRJ3ONWE",
                    "replicationInstanceStatus": "creating"
                }}),
            ),
            vec![(
                "dms:rep",
                "arn:aws:dms:eu-west-1:222222222222:rep:EXAMPLE4PQTOBWA3CDLRJ3ONWE",
            )],
        ),
        (
            call(
                "dms",
                "CreateReplicationConfig",
                json!({"replicationConfigIdentifier": "erp-full-load", "replicationType": "full-load"}),
                json!({"replicationConfig": {
                    "replicationConfigIdentifier": "erp-full-load",
                    "replicationConfigArn": "arn:aws:dms:eu-west-1:222222222222:replication-config:EXAMPLEQ2BT7XJ4UMWF5IEGUCQ"
                }}),
            ),
            vec![(
                "dms:replication-config",
                "arn:aws:dms:eu-west-1:222222222222:replication-config:EXAMPLEQ2BT7XJ4UMWF5IEGUCQ",
            )],
        ),
    ]);
}

#[test]
fn calls_that_answer_a_name_get_the_arn_the_tagging_api_uses() {
    check(vec![
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
    ]);
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
}

#[test]
fn snapshots_gateways_and_addresses() {
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

/// An event recorded in us-east-1, where global services record theirs.
fn in_us_east_1(source: &str, name: &str, request: Value, response: Value) -> Creation {
    let mut v: Value = serde_json::from_str(&event(name, source, request, response)).unwrap();
    v["region"] = json!("us-east-1");
    v["detail"]["awsRegion"] = json!("us-east-1");
    created(&v.to_string())
}

#[test]
fn api_gateway_apis_and_stages_are_built_without_an_account() {
    let e = "arn:aws:apigateway:eu-west-1:";
    check(vec![
        (
            call(
                "apigateway",
                "CreateRestApi",
                json!({"name": "orders"}),
                json!({"id": "a1b2c3", "name": "orders"}),
            ),
            vec![("apigateway:restapis", &format!("{e}:/restapis/a1b2c3"))],
        ),
        (
            call(
                "apigateway",
                "CreateApi",
                json!({"name": "chat", "protocolType": "WEBSOCKET"}),
                json!({"apiId": "d4e5f6", "name": "chat"}),
            ),
            vec![("apigateway:apis", &format!("{e}:/apis/d4e5f6"))],
        ),
        (
            call(
                "apigateway",
                "CreateStage",
                json!({"restApiId": "a1b2c3", "createStageInput": {"stageName": "prod", "deploymentId": "x1"}}),
                json!({"stageName": "prod", "deploymentId": "x1"}),
            ),
            vec![(
                "apigateway:restapis/stages",
                &format!("{e}:/restapis/a1b2c3/stages/prod"),
            )],
        ),
        (
            call(
                "apigateway",
                "CreateStage",
                json!({"apiId": "d4e5f6", "stageName": "$default"}),
                Value::Null,
            ),
            vec![(
                "apigateway:apis/stages",
                &format!("{e}:/apis/d4e5f6/stages/$default"),
            )],
        ),
    ]);
    // A stage without its API's id names nothing to build.
    let body = event(
        "CreateStage",
        "apigateway",
        json!({"stageName": "prod"}),
        json!({"stageName": "prod"}),
    );
    assert!(matches!(parse(&body), Err(EventError::Missing { .. })));
}

#[test]
fn the_map_services_name_their_arns_or_ids() {
    let r = "eu-west-1:222222222222";
    check(vec![
        (
            call(
                "kms",
                "CreateKey",
                json!({"keySpec": "SYMMETRIC_DEFAULT"}),
                json!({"keyMetadata": {"keyId": "1234abcd-12ab-34cd-56ef-1234567890ab", "arn": format!("arn:aws:kms:{r}:key/1234abcd-12ab-34cd-56ef-1234567890ab")}}),
            ),
            vec![(
                "kms:key",
                &format!("arn:aws:kms:{r}:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
            )],
        ),
        (
            call(
                "states",
                "CreateStateMachine",
                json!({"name": "flow"}),
                json!({"stateMachineArn": format!("arn:aws:states:{r}:stateMachine:flow")}),
            ),
            vec![(
                "states:stateMachine",
                &format!("arn:aws:states:{r}:stateMachine:flow"),
            )],
        ),
        (
            call(
                "memorydb",
                "CreateCluster",
                json!({"clusterName": "cache"}),
                Value::Null,
            ),
            vec![(
                "memorydb:cluster",
                &format!("arn:aws:memorydb:{r}:cluster/cache"),
            )],
        ),
        (
            call(
                "mq",
                "CreateBroker",
                json!({"brokerName": "jobs"}),
                json!({"brokerId": "b-1", "brokerArn": format!("arn:aws:mq:{r}:broker:jobs:b-1")}),
            ),
            vec![("mq:broker", &format!("arn:aws:mq:{r}:broker:jobs:b-1"))],
        ),
        (
            call(
                "glue",
                "CreateJob",
                json!({"name": "etl"}),
                json!({"name": "etl"}),
            ),
            vec![("glue:job", &format!("arn:aws:glue:{r}:job/etl"))],
        ),
        (
            call(
                "sagemaker",
                "CreateEndpoint",
                json!({"endpointName": "Scorer"}),
                json!({"endpointArn": format!("arn:aws:sagemaker:{r}:endpoint/scorer")}),
            ),
            vec![(
                "sagemaker:endpoint",
                &format!("arn:aws:sagemaker:{r}:endpoint/scorer"),
            )],
        ),
        (
            call(
                "sagemaker",
                "CreateNotebookInstance",
                json!({"notebookInstanceName": "lab"}),
                json!({"notebookInstanceArn": format!("arn:aws:sagemaker:{r}:notebook-instance/lab")}),
            ),
            vec![(
                "sagemaker:notebook-instance",
                &format!("arn:aws:sagemaker:{r}:notebook-instance/lab"),
            )],
        ),
        (
            call(
                "transfer",
                "CreateServer",
                json!({"domain": "S3"}),
                json!({"serverId": "s-01234567890abcdef"}),
            ),
            vec![(
                "transfer:server",
                &format!("arn:aws:transfer:{r}:server/s-01234567890abcdef"),
            )],
        ),
        (
            call(
                "workspaces",
                "CreateWorkspaces",
                json!({}),
                json!({"failedRequests": [], "pendingRequests": [{"workspaceId": "ws-aaa111"}, {"workspaceId": "ws-bbb222"}]}),
            ),
            vec![
                (
                    "workspaces:workspace",
                    &format!("arn:aws:workspaces:{r}:workspace/ws-aaa111"),
                ),
                (
                    "workspaces:workspace",
                    &format!("arn:aws:workspaces:{r}:workspace/ws-bbb222"),
                ),
            ],
        ),
        (
            call(
                "bedrock",
                "CreateInferenceProfile",
                json!({"inferenceProfileName": "claims"}),
                json!({"inferenceProfileArn": format!("arn:aws:bedrock:{r}:application-inference-profile/abc123"), "status": "ACTIVE"}),
            ),
            vec![(
                "bedrock:application-inference-profile",
                &format!("arn:aws:bedrock:{r}:application-inference-profile/abc123"),
            )],
        ),
    ]);
}

#[test]
fn global_services_are_believed_without_the_parts_their_arns_lack() {
    let cf = "arn:aws:cloudfront::222222222222:distribution/E2QWRUHEXAMPLE";
    for name in [
        "CreateDistribution2020_05_31",
        "CreateDistributionWithTags2020_05_31",
    ] {
        let c = in_us_east_1(
            "cloudfront",
            name,
            json!({}),
            json!({"distribution": {"id": "E2QWRUHEXAMPLE", "aRN": cf}}),
        );
        assert_eq!(typed(&c), [("cloudfront:distribution", cf)], "{name}");
        assert_eq!(c.region, "us-east-1");
    }
    let built = in_us_east_1(
        "cloudfront",
        "CreateDistribution2020_05_31",
        json!({}),
        json!({"distribution": {"id": "E2QWRUHEXAMPLE"}}),
    );
    assert_eq!(arns(&built), [cf]);
    let zone = in_us_east_1(
        "route53",
        "CreateHostedZone",
        json!({"name": "example.com"}),
        json!({"hostedZone": {"id": "/hostedzone/Z1D633PJN98FT9", "name": "example.com."}}),
    );
    assert_eq!(
        typed(&zone),
        [(
            "route53:hostedzone",
            "arn:aws:route53:::hostedzone/Z1D633PJN98FT9"
        )]
    );
    // A distribution's ARN that names a region, or another account, is not believed.
    for wrong in [
        "arn:aws:cloudfront:us-east-1:222222222222:distribution/E1",
        "arn:aws:cloudfront::333333333333:distribution/E1",
    ] {
        let mut v: Value = serde_json::from_str(&event(
            "CreateDistribution2020_05_31",
            "cloudfront",
            json!({}),
            json!({"distribution": {"aRN": wrong}}),
        ))
        .unwrap();
        v["region"] = json!("us-east-1");
        v["detail"]["awsRegion"] = json!("us-east-1");
        assert!(
            matches!(parse(&v.to_string()), Err(EventError::Rejected { .. })),
            "{wrong}"
        );
    }
}
