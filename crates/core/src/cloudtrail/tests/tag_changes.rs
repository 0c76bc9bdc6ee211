//! Calls that remove, replace or change tags, shaped as the CloudTrail
//! reference documents them (the request as `requestParameters`).

use super::*;
use crate::cloudtrail::tag_calls::Removed;

const TERRAFORM: &str = "APN/1.0 HashiCorp/1.0 Terraform/1.5.7 (+https://www.terraform.io) terraform-provider-aws/5.31.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.24.0 os/linux lang/go#1.20.12 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.141.0";

/// A tag call of `source` by Terraform's CI role, in eu-west-1 of ACCOUNT.
fn tag_event(name: &str, source: &str, request: Value) -> Value {
    let mut v: Value = serde_json::from_str(&event(name, source, request, Value::Null)).unwrap();
    v["detail"]["userAgent"] = json!(TERRAFORM);
    v["detail"]["userIdentity"] = json!({
        "type": "AssumedRole",
        "arn": "arn:aws:sts::222222222222:assumed-role/terraform-ci/session-1",
        "sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::222222222222:role/terraform-ci"}}
    });
    v
}

fn changed(v: &Value) -> TagChange {
    match parse(&v.to_string()).unwrap() {
        Event::TagChange(c) => c,
        other => panic!("not a tag change: {other:?}"),
    }
}

fn arns(c: &TagChange) -> Vec<(&str, &str)> {
    c.call
        .resources
        .iter()
        .map(|r| (r.resource_type, r.arn.as_str()))
        .collect()
}

fn keys(list: &[&str]) -> std::collections::BTreeSet<String> {
    list.iter().map(|k| k.to_string()).collect()
}

#[test]
fn ec2_delete_tags_names_its_resources_keys_principal_and_tool() {
    let c = changed(&tag_event(
        "DeleteTags",
        "ec2",
        json!({
            "resourcesSet": {"items": [{"resourceId": "i-0aaa"}, {"resourceId": "vol-0bbb"}, {"resourceId": "sg-0ccc"}]},
            "tagSet": {"items": [{"key": "map-migrated"}]}
        }),
    ));
    assert_eq!(
        arns(&c),
        [
            (
                "ec2:instance",
                "arn:aws:ec2:eu-west-1:222222222222:instance/i-0aaa"
            ),
            (
                "ec2:volume",
                "arn:aws:ec2:eu-west-1:222222222222:volume/vol-0bbb"
            ),
        ],
        "a security group is nothing tagwarden tags"
    );
    assert_eq!(c.removed, Removed::Keys(keys(&["map-migrated"])));
    assert!(c.touches("map-migrated") && !c.touches("Owner"));
    assert_eq!(c.tool, tool::Tool::Terraform);
    assert_eq!(
        c.principal.as_deref(),
        Some("arn:aws:sts::222222222222:assumed-role/terraform-ci/session-1")
    );
    assert_eq!(
        c.role.as_deref(),
        Some("arn:aws:iam::222222222222:role/terraform-ci")
    );
    assert_eq!(event_label("DeleteTags"), "DeleteTags");
}

#[test]
fn delete_tags_without_keys_and_a_replaced_bucket_set_remove_more_than_they_name() {
    let all = changed(&tag_event(
        "DeleteTags",
        "ec2",
        json!({"resourcesSet": {"items": [{"resourceId": "i-0aaa"}]}}),
    ));
    assert_eq!(all.removed, Removed::All);
    let bucket = changed(&tag_event(
        "PutBucketTagging",
        "s3",
        json!({"bucketName": "orders", "Tagging": {"TagSet": {"Tag": [{"Key": "Owner", "Value": "shop"}]}}}),
    ));
    assert_eq!(arns(&bucket), [("s3:bucket", "arn:aws:s3:::orders")]);
    assert_eq!(bucket.removed, Removed::AllBut(keys(&["Owner"])));
    assert!(
        bucket.touches("map-migrated"),
        "replaced without it: removed"
    );
    assert!(bucket.touches("Owner"), "set");
    // One tag is an object, not a list.
    let one = changed(&tag_event(
        "PutBucketTagging",
        "s3",
        json!({"bucketName": "orders", "Tagging": {"TagSet": {"Tag": {"Key": "map-migrated", "Value": "migABCDE12345"}}}}),
    ));
    assert!(!one.removed.covers("map-migrated"));
    assert_eq!(one.set["map-migrated"], "migABCDE12345");
    let gone = changed(&tag_event(
        "DeleteBucketTagging",
        "s3",
        json!({"bucketName": "orders", "tagging": ""}),
    ));
    assert_eq!(gone.removed, Removed::All);
}

#[test]
fn tag_changes_of_every_service_name_their_arns_and_keys() {
    let ec2 = changed(&tag_event(
        "CreateTags",
        "ec2",
        json!({"resourcesSet": {"items": [{"resourceId": "i-0aaa"}]}, "tagSet": {"items": [{"key": "map-migrated", "value": "migOTHER12345"}]}}),
    ));
    assert_eq!(ec2.set["map-migrated"], "migOTHER12345");
    assert!(ec2.touches("map-migrated") && !ec2.removed.covers("map-migrated"));
    let tagging = changed(&tag_event(
        "UntagResources",
        "tagging",
        json!({"resourceARNList": [
            "arn:aws:lambda:eu-west-1:222222222222:function:orders",
            "arn:aws:rds:eu-west-1:222222222222:db:orders",
            "arn:aws:ec2:eu-west-1:222222222222:security-group/sg-1"
        ], "tagKeys": ["map-migrated"]}),
    ));
    assert_eq!(
        arns(&tagging),
        [
            (
                "lambda:function",
                "arn:aws:lambda:eu-west-1:222222222222:function:orders"
            ),
            ("rds:db", "arn:aws:rds:eu-west-1:222222222222:db:orders"),
        ]
    );
    let rds = changed(&tag_event(
        "AddTagsToResource",
        "rds",
        json!({"resourceName": "arn:aws:rds:eu-west-1:222222222222:db:orders", "tags": [{"key": "map-migrated", "value": "x"}]}),
    ));
    assert_eq!(rds.set["map-migrated"], "x");
    let removed = changed(&tag_event(
        "RemoveTagsFromResource",
        "rds",
        json!({"resourceName": "arn:aws:rds:eu-west-1:222222222222:cluster:orders", "tagKeys": ["map-migrated"]}),
    ));
    assert_eq!(arns(&removed)[0].0, "rds:cluster");
    let lambda = changed(&tag_event(
        "UntagResource20170331v2",
        "lambda",
        json!({"resource": "arn:aws:lambda:eu-west-1:222222222222:function:orders", "tagKeys": ["map-migrated", "Owner"]}),
    ));
    assert_eq!(
        lambda.removed,
        Removed::Keys(keys(&["Owner", "map-migrated"]))
    );
    let tagged = changed(&tag_event(
        "TagResources",
        "tagging",
        json!({"resourceARNList": ["arn:aws:lambda:eu-west-1:222222222222:function:orders"], "tags": {"map-migrated": "y"}}),
    ));
    assert_eq!(tagged.set["map-migrated"], "y");
}

#[test]
fn a_tag_call_is_checked_as_a_creation_is() {
    // Another account's or region's resource, or a malformed ARN, is left
    // out; the resources the record names rightly stand.
    let mixed = tag_event(
        "UntagResources",
        "tagging",
        json!({"resourceARNList": [
            "arn:aws:lambda:eu-west-1:999999999999:function:x",
            "arn:aws:lambda:us-east-1:222222222222:function:x",
            "not-an-arn",
            "arn:aws:lambda:eu-west-1:222222222222:function:mine"
        ], "tagKeys": ["k"]}),
    );
    assert_eq!(
        arns(&changed(&mixed)),
        [(
            "lambda:function",
            "arn:aws:lambda:eu-west-1:222222222222:function:mine"
        )]
    );
    // Keys a removal does not name readably: it may have removed any.
    let unnamed = tag_event(
        "UntagResource20170331v2",
        "lambda",
        json!({"resource": "arn:aws:lambda:eu-west-1:222222222222:function:mine"}),
    );
    assert_eq!(changed(&unnamed).removed, Removed::All);
    // Nothing named.
    let bare = tag_event(
        "DeleteTags",
        "ec2",
        json!({"tagSet": {"items": [{"key": "k"}]}}),
    );
    let err = parse(&bare.to_string()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "DeleteTags: no `detail.requestParameters.resourcesSet.items[].resourceId` in the event"
    );
    // A failed call removed nothing.
    let mut failed = tag_event(
        "DeleteTags",
        "ec2",
        json!({"resourcesSet": {"items": [{"resourceId": "i-1"}]}}),
    );
    failed["detail"]["errorCode"] = json!("Client.UnauthorizedOperation");
    assert!(matches!(
        parse(&failed.to_string()).unwrap(),
        Event::FailedCall { .. }
    ));
    // The envelope must name the service that recorded the call.
    let mut spoofed = tag_event(
        "DeleteTags",
        "ec2",
        json!({"resourcesSet": {"items": [{"resourceId": "i-1"}]}}),
    );
    spoofed["source"] = json!("aws.s3");
    assert_eq!(
        parse(&spoofed.to_string()).unwrap_err().outcome(),
        EventOutcome::Rejected
    );
    // tagwarden's own rollback.
    let mut own = tag_event(
        "DeleteTags",
        "ec2",
        json!({"resourcesSet": {"items": [{"resourceId": "i-1"}]}}),
    );
    own["detail"]["userAgent"] =
        json!("aws-sdk-rust/1.3.9 os/linux lang/rust/1.95.0 app/tagwarden");
    assert_eq!(changed(&own).tool, tool::Tool::Tagwarden);
}

#[test]
fn removals_of_every_other_service_name_their_resource_and_keys() {
    let a = "arn:aws";
    let r = "eu-west-1:222222222222";
    let cases = [
        (
            "dynamodb",
            "UntagResource",
            json!({"resourceArn": format!("{a}:dynamodb:{r}:table/orders"), "tagKeys": ["map-migrated"]}),
            "dynamodb:table",
            format!("{a}:dynamodb:{r}:table/orders"),
        ),
        (
            "sqs",
            "UntagQueue",
            json!({"queueUrl": "https://sqs.eu-west-1.amazonaws.com/222222222222/jobs", "tagKeys": ["map-migrated"]}),
            "sqs:queue",
            format!("{a}:sqs:{r}:jobs"),
        ),
        (
            "sns",
            "UntagResource",
            json!({"resourceArn": format!("{a}:sns:{r}:alerts"), "tagKeys": ["map-migrated"]}),
            "sns:topic",
            format!("{a}:sns:{r}:alerts"),
        ),
        (
            "ecs",
            "UntagResource",
            json!({"resourceArn": format!("{a}:ecs:{r}:service/shop/web"), "tagKeys": ["map-migrated"]}),
            "ecs:service",
            format!("{a}:ecs:{r}:service/shop/web"),
        ),
        (
            "eks",
            "UntagResource",
            json!({"resourceArn": format!("{a}:eks:{r}:cluster/apps"), "tagKeys": ["map-migrated"]}),
            "eks:cluster",
            format!("{a}:eks:{r}:cluster/apps"),
        ),
        (
            "elasticache",
            "RemoveTagsFromResource",
            json!({"resourceName": format!("{a}:elasticache:{r}:cluster:sessions"), "tagKeys": ["map-migrated"]}),
            "elasticache:cluster",
            format!("{a}:elasticache:{r}:cluster:sessions"),
        ),
        (
            "es",
            "RemoveTags",
            json!({"aRN": format!("{a}:es:{r}:domain/search"), "tagKeys": ["map-migrated"]}),
            "es:domain",
            format!("{a}:es:{r}:domain/search"),
        ),
        (
            "kinesis",
            "RemoveTagsFromStream",
            json!({"streamName": "clicks", "tagKeys": ["map-migrated"]}),
            "kinesis:stream",
            format!("{a}:kinesis:{r}:stream/clicks"),
        ),
        (
            "secretsmanager",
            "UntagResource",
            json!({"secretId": format!("{a}:secretsmanager:{r}:secret:db-AbCdEf"), "tagKeys": ["map-migrated"]}),
            "secretsmanager:secret",
            format!("{a}:secretsmanager:{r}:secret:db-AbCdEf"),
        ),
        (
            "logs",
            "UntagResource",
            json!({"resourceArn": format!("{a}:logs:{r}:log-group:/app/web"), "tagKeys": ["map-migrated"]}),
            "logs:log-group",
            format!("{a}:logs:{r}:log-group:/app/web"),
        ),
        (
            "elasticloadbalancing",
            "RemoveTags",
            json!({"resourceArns": [format!("{a}:elasticloadbalancing:{r}:loadbalancer/app/web/50dc6c495c0c9188")], "tagKeys": ["map-migrated"]}),
            "elasticloadbalancing:loadbalancer",
            format!("{a}:elasticloadbalancing:{r}:loadbalancer/app/web/50dc6c495c0c9188"),
        ),
        (
            "elasticloadbalancing",
            "RemoveTags",
            json!({"loadBalancerNames": ["classic"], "tags": [{"key": "map-migrated"}]}),
            "elasticloadbalancing:loadbalancer",
            format!("{a}:elasticloadbalancing:{r}:loadbalancer/classic"),
        ),
        (
            "elasticfilesystem",
            "UntagResource",
            json!({"resourceId": "fs-0123", "tagKeys": ["map-migrated"]}),
            "elasticfilesystem:file-system",
            format!("{a}:elasticfilesystem:{r}:file-system/fs-0123"),
        ),
        (
            "fsx",
            "UntagResource",
            json!({"resourceARN": format!("{a}:fsx:{r}:file-system/fs-0abc"), "tagKeys": ["map-migrated"]}),
            "fsx:file-system",
            format!("{a}:fsx:{r}:file-system/fs-0abc"),
        ),
        (
            "dms",
            "RemoveTagsFromResource",
            json!({"resourceArn": format!("{a}:dms:{r}:rep:EXAMPLE"), "tagKeys": ["map-migrated"]}),
            "dms:rep",
            format!("{a}:dms:{r}:rep:EXAMPLE"),
        ),
        (
            "redshift",
            "DeleteTags",
            json!({"resourceName": format!("{a}:redshift:{r}:cluster:warehouse"), "tagKeys": ["map-migrated"]}),
            "redshift:cluster",
            format!("{a}:redshift:{r}:cluster:warehouse"),
        ),
    ];
    for (source, name, request, ty, arn) in cases {
        let c = changed(&tag_event(name, source, request));
        assert_eq!(arns(&c), [(ty, arn.as_str())], "{source} {name}");
        assert_eq!(
            c.removed,
            Removed::Keys(keys(&["map-migrated"])),
            "{source} {name}"
        );
    }
    // Sets: a map, or a list of {key, value}.
    let es = changed(&tag_event(
        "AddTags",
        "es",
        json!({"aRN": format!("{a}:es:{r}:domain/search"), "tagList": [{"key": "map-migrated", "value": "x"}]}),
    ));
    assert_eq!(es.set["map-migrated"], "x");
    let sqs = changed(&tag_event(
        "TagQueue",
        "sqs",
        json!({"queueUrl": "https://sqs.eu-west-1.amazonaws.com/222222222222/jobs", "tags": {"map-migrated": "y"}}),
    ));
    assert_eq!(sqs.set["map-migrated"], "y");
    let redshift = changed(&tag_event(
        "CreateTags",
        "redshift",
        json!({"resourceName": format!("{a}:redshift:{r}:cluster:warehouse"), "tags": [{"key": "map-migrated", "value": "z"}]}),
    ));
    assert_eq!(redshift.set["map-migrated"], "z");
    // A secret named without its ARN, an EFS access point: not named
    // exactly, nothing to read, but no malformed event either.
    for (source, request) in [
        (
            "secretsmanager",
            json!({"secretId": "db", "tagKeys": ["map-migrated"]}),
        ),
        (
            "elasticfilesystem",
            json!({"resourceId": "fsap-0123", "tagKeys": ["map-migrated"]}),
        ),
    ] {
        let c = changed(&tag_event("UntagResource", source, request));
        assert!(c.call.resources.is_empty(), "{source}");
    }
    // An id field of another service names nothing.
    let err = parse(
        &tag_event(
            "UntagResource",
            "dynamodb",
            json!({"queueUrl": "https://sqs.eu-west-1.amazonaws.com/222222222222/jobs", "tagKeys": ["k"]}),
        )
        .to_string(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "UntagResource: no `detail.requestParameters.resourceArn` in the event"
    );
}

/// Auto Scaling names groups by name in its tag entries (their ARNs hold a
/// UUID no event gives): the ARN is built with `*` for it, and entries of
/// another resource type name nothing.
#[test]
fn auto_scaling_tag_calls_name_groups_by_name() {
    let removal = changed(&tag_event(
        "DeleteTags",
        "autoscaling",
        json!({"tags": [
            {"resourceId": "web", "resourceType": "auto-scaling-group", "key": "map-migrated", "value": "", "propagateAtLaunch": true},
            {"resourceId": "web", "resourceType": "auto-scaling-group", "key": "Owner"},
            {"resourceId": "other", "resourceType": "something-else", "key": "Team"},
        ]}),
    ));
    assert_eq!(
        arns(&removal),
        [(
            "autoscaling:autoScalingGroup",
            "arn:aws:autoscaling:eu-west-1:222222222222:autoScalingGroup:*:autoScalingGroupName/web"
        )]
    );
    assert_eq!(
        removal.removed,
        Removed::Keys(keys(&["map-migrated", "Owner"])),
        "the keys of the entries that name a group"
    );
    // A group ARN without a name names nothing tagwarden can read.
    let nameless = changed(&tag_event(
        "UntagResources",
        "tagging",
        json!({"resourceARNList": [
            "arn:aws:autoscaling:eu-west-1:222222222222:autoScalingGroup:x",
            "arn:aws:ec2:eu-west-1:222222222222:instance/i-1",
        ], "tagKeys": ["map-migrated"]}),
    ));
    assert_eq!(
        arns(&nameless),
        [(
            "ec2:instance",
            "arn:aws:ec2:eu-west-1:222222222222:instance/i-1"
        )]
    );
    let set = changed(&tag_event(
        "CreateOrUpdateTags",
        "autoscaling",
        json!({"tags": [{"resourceId": "web", "resourceType": "auto-scaling-group", "key": "map-migrated", "value": "migOTHER", "propagateAtLaunch": true}]}),
    ));
    assert_eq!(set.set["map-migrated"], "migOTHER");
    let err = parse(&tag_event("DeleteTags", "autoscaling", json!({"tags": []})).to_string())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "DeleteTags: no `detail.requestParameters.tags[].resourceId` in the event"
    );
}

/// Text an event shows in logs, tables and pages holds no control
/// characters: a principal or user agent with a terminal escape is none,
/// a key or value with one is no key AWS accepts.
#[test]
fn control_characters_in_a_record_name_nothing() {
    let mut v = tag_event(
        "DeleteTags",
        "ec2",
        json!({
            "resourcesSet": {"items": [{"resourceId": "i-1"}]},
            "tagSet": {"items": [{"key": "map-migrated"}, {"key": "x\u{1b}[2J"}]}
        }),
    );
    v["detail"]["userAgent"] = json!("aws-cli/2.15.0\u{1b}[31m");
    v["detail"]["userIdentity"]["arn"] = json!("arn:aws:sts::222222222222:assumed-role/x/\r\nfake");
    let c = changed(&v);
    assert_eq!(c.user_agent, None);
    assert_eq!(c.principal, None);
    assert_eq!(c.removed, Removed::Keys(keys(&["map-migrated"])));
}

#[test]
fn tag_calls_of_the_map_services_name_their_resources_and_keys() {
    let r = "eu-west-1:222222222222";
    let key = "1234abcd-12ab-34cd-56ef-1234567890ab";
    let cases = [
        (
            "kms",
            "UntagResource",
            json!({"keyId": key, "tagKeys": ["map-migrated"]}),
            "kms:key",
            format!("arn:aws:kms:{r}:key/{key}"),
        ),
        (
            "kms",
            "UntagResource",
            json!({"keyId": format!("arn:aws:kms:{r}:key/{key}"), "tagKeys": ["map-migrated"]}),
            "kms:key",
            format!("arn:aws:kms:{r}:key/{key}"),
        ),
        (
            "apigateway",
            "UntagResource",
            json!({"resourceArn": "arn:aws:apigateway:eu-west-1::/restapis/a1b2c3/stages/prod", "tagKeys": ["map-migrated"]}),
            "apigateway:restapis/stages",
            "arn:aws:apigateway:eu-west-1::/restapis/a1b2c3/stages/prod".to_string(),
        ),
        (
            "glue",
            "UntagResource",
            json!({"resourceArn": format!("arn:aws:glue:{r}:job/etl"), "tagsToRemove": ["map-migrated"]}),
            "glue:job",
            format!("arn:aws:glue:{r}:job/etl"),
        ),
        (
            "mq",
            "DeleteTags",
            json!({"resourceArn": format!("arn:aws:mq:{r}:broker:jobs:b-1"), "tagKeys": ["map-migrated"]}),
            "mq:broker",
            format!("arn:aws:mq:{r}:broker:jobs:b-1"),
        ),
        (
            "sagemaker",
            "DeleteTags",
            json!({"resourceArn": format!("arn:aws:sagemaker:{r}:endpoint/scorer"), "tagKeys": ["map-migrated"]}),
            "sagemaker:endpoint",
            format!("arn:aws:sagemaker:{r}:endpoint/scorer"),
        ),
        (
            "transfer",
            "UntagResource",
            json!({"arn": format!("arn:aws:transfer:{r}:server/s-1"), "tagKeys": ["map-migrated"]}),
            "transfer:server",
            format!("arn:aws:transfer:{r}:server/s-1"),
        ),
        (
            "workspaces",
            "DeleteTags",
            json!({"resourceId": "ws-aaa111", "tagKeys": ["map-migrated"]}),
            "workspaces:workspace",
            format!("arn:aws:workspaces:{r}:workspace/ws-aaa111"),
        ),
        (
            "bedrock",
            "UntagResource",
            json!({"resourceARN": format!("arn:aws:bedrock:{r}:application-inference-profile/abc"), "tagKeys": ["map-migrated"]}),
            "bedrock:application-inference-profile",
            format!("arn:aws:bedrock:{r}:application-inference-profile/abc"),
        ),
    ];
    for (source, name, request, ty, arn) in cases {
        let c = changed(&tag_event(name, source, request));
        assert_eq!(arns(&c), [(ty, arn.as_str())], "{source} {name}");
        assert_eq!(
            c.removed,
            Removed::Keys(keys(&["map-migrated"])),
            "{source} {name}"
        );
    }
    // A WorkSpaces directory is no WorkSpace: nothing to act on.
    let directory = changed(&tag_event(
        "DeleteTags",
        "workspaces",
        json!({"resourceId": "d-1234567890", "tagKeys": ["map-migrated"]}),
    ));
    assert!(directory.call.resources.is_empty());
    // Glue sets `tagsToAdd`; CloudFront lists `{items: [...]}`.
    let glue = changed(&tag_event(
        "TagResource",
        "glue",
        json!({"resourceArn": format!("arn:aws:glue:{r}:job/etl"), "tagsToAdd": {"map-migrated": "migABCDE12345"}}),
    ));
    assert_eq!(
        glue.set.get("map-migrated").map(String::as_str),
        Some("migABCDE12345")
    );
    let mut cf = tag_event(
        "UntagResource2020_05_31",
        "cloudfront",
        json!({"resource": "arn:aws:cloudfront::222222222222:distribution/E1", "tagKeys": {"items": ["map-migrated"]}}),
    );
    cf["region"] = json!("us-east-1");
    cf["detail"]["awsRegion"] = json!("us-east-1");
    let cf = changed(&cf);
    assert_eq!(
        arns(&cf),
        [(
            "cloudfront:distribution",
            "arn:aws:cloudfront::222222222222:distribution/E1"
        )]
    );
    assert_eq!(cf.removed, Removed::Keys(keys(&["map-migrated"])));
    let mut set = tag_event(
        "TagResource2020_05_31",
        "cloudfront",
        json!({"resource": "arn:aws:cloudfront::222222222222:distribution/E1", "tags": {"items": [{"key": "map-migrated", "value": "migABCDE12345"}]}}),
    );
    set["region"] = json!("us-east-1");
    set["detail"]["awsRegion"] = json!("us-east-1");
    assert_eq!(
        changed(&set).set.get("map-migrated").map(String::as_str),
        Some("migABCDE12345")
    );
}
