//! The rows: a type per resource type tagwarden knows, a service per AWS
//! service whose tags it reads or writes. Written from the services' API
//! references, the CloudTrail event reference and the Service
//! Authorization Reference (docs/map-facts.md records the facts):
//!
//! - `responseElements` mirrors the API's response with each member's first
//!   letter lower-cased (`ARN` is `aRN`, `DBInstanceArn` `dBInstanceArn`),
//!   and services have changed casing before (Secrets Manager `aRN` →
//!   `arn`), so members are looked up without regard to case.
//! - Query-protocol services (RDS, ELB, ElastiCache, Redshift, SNS) flatten
//!   the result into `responseElements`.
//! - Newer EC2 calls wrap it in `<Call>Response`, and their lists are
//!   `{"item": X}` with X an object for one element and a list for several;
//!   older EC2 calls are flat with `{"items": [...]}`.
//! - Some calls answer nothing (Kinesis `CreateStream`, Logs
//!   `CreateLogGroup`): the name is in `requestParameters`.
//! - Tag calls record their request: the resources by ARN under the member
//!   the API reference gives (`resourceARNList`, `resourceArn`,
//!   `resourceName`, `resource`, …), or by an id listed in `ids`.

use super::Effect::{Remove, Replace, Set};
use super::IdRead::{AutoScalingTag, IdOrArn, Plain, Prefixed, UrlTail};
use super::Names::{ApiStage, Ec2, Ec2List, Fleet, LoadBalancers};
use super::Side::{Request as REQ, Response as RESP};
use super::*;

const fn at(
    arn: Option<&'static [&'static str]>,
    ids: &'static [(Side, &'static [&'static str])],
    field: &'static str,
) -> Names {
    Names::At(Located { arn, ids, field })
}

const fn made(name: &'static str, names: Names) -> Creation {
    Creation { name, names }
}

/// A type found through Resource Explorer or the Tagging API.
const fn found(name: &'static str, arn: ArnForm, created_by: &'static [Creation]) -> Type {
    Type {
        name,
        explorer: &[],
        arn,
        ec2_prefix: None,
        listing: FOUND,
        event_reads: &[],
        created_by,
        map_note: None,
    }
}

/// An EC2 type, named in EC2's tag calls by ids with `prefix`.
const fn ec2(
    name: &'static str,
    prefix: &'static str,
    listing: Listing,
    created_by: &'static [Creation],
) -> Type {
    Type {
        name,
        explorer: &[],
        arn: ArnForm::Slash,
        ec2_prefix: Some(prefix),
        listing,
        event_reads: &[],
        created_by,
        map_note: None,
    }
}

/// A type tagwarden lists itself.
const fn own(
    name: &'static str,
    arn: ArnForm,
    reads: &'static [&'static str],
    created_by: &'static [Creation],
) -> Type {
    Type {
        name,
        explorer: &[],
        arn,
        ec2_prefix: None,
        listing: Listing::Own(reads),
        event_reads: &[],
        created_by,
        map_note: None,
    }
}

const RDS_INSTANCE: Names = at(
    Some(&["dBInstanceArn"]),
    &[],
    "detail.responseElements.dBInstanceArn",
);
const RDS_CLUSTER: Names = at(
    Some(&["dBClusterArn"]),
    &[],
    "detail.responseElements.dBClusterArn",
);
const SNAPSHOT: Names = Ec2 {
    keys: &["snapshotId"],
    field: "detail.responseElements.snapshotId",
};
const IMAGE: Names = Ec2 {
    keys: &["imageId"],
    field: "detail.responseElements.imageId",
};
const LAMBDA: Names = at(
    Some(&["functionArn"]),
    &[(REQ, &["functionName"])],
    "detail.responseElements.functionArn",
);
const REST_API: Names = at(None, &[(RESP, &["id"])], "detail.responseElements.id");
const HTTP_API: Names = at(None, &[(RESP, &["apiId"])], "detail.responseElements.apiId");
const DISTRIBUTION: Names = at(
    Some(&["distribution", "aRN"]),
    &[(RESP, &["distribution", "id"])],
    "detail.responseElements.distribution.aRN",
);
const ES: Names = at(
    Some(&["domainStatus", "aRN"]),
    &[(REQ, &["domainName"])],
    "detail.responseElements.domainStatus.aRN",
);

#[rustfmt::skip]
pub const TYPES: &[Type] = &[
    ec2("ec2:instance", "i-", Listing::Own(&["ec2:DescribeInstances"]), &[
        made("RunInstances", Ec2List { list: "instancesSet", key: "instanceId", field: "detail.responseElements.instancesSet.items[].instanceId" }),
    ]),
    ec2("ec2:volume", "vol-", Listing::Own(&["ec2:DescribeVolumes"]), &[
        made("CreateVolume", Ec2 { keys: &["volumeId"], field: "detail.responseElements.volumeId" }),
    ]),
    ec2("ec2:snapshot", "snap-", Listing::Own(&["ec2:DescribeSnapshots"]), &[
        made("CreateSnapshot", SNAPSHOT),
        made("CopySnapshot", SNAPSHOT),
        made("CreateSnapshots", Ec2List { list: "snapshotSet", key: "snapshotId", field: "detail.responseElements.CreateSnapshotsResponse.snapshotSet.item[].snapshotId" }),
    ]),
    ec2("ec2:image", "ami-", Listing::Own(&["ec2:DescribeImages"]), &[
        made("CreateImage", IMAGE),
        made("CopyImage", IMAGE),
        made("RegisterImage", IMAGE),
    ]),
    ec2("ec2:fleet", "fleet-", FOUND, &[made("CreateFleet", Fleet)]),
    ec2("ec2:natgateway", "nat-", FOUND, &[
        made("CreateNatGateway", Ec2 { keys: &["natGateway", "natGatewayId"], field: "detail.responseElements.CreateNatGatewayResponse.natGateway.natGatewayId" }),
    ]),
    ec2("ec2:elastic-ip", "eipalloc-", FOUND, &[
        made("AllocateAddress", Ec2 { keys: &["allocationId"], field: "detail.responseElements.allocationId" }),
    ]),
    ec2("ec2:transit-gateway", "tgw-", FOUND, &[
        made("CreateTransitGateway", Ec2 { keys: &["transitGateway", "transitGatewayId"], field: "detail.responseElements.CreateTransitGatewayResponse.transitGateway.transitGatewayId" }),
    ]),
    own("rds:db", ArnForm::Colon, &["rds:DescribeDBInstances"], &[
        made("CreateDBInstance", RDS_INSTANCE),
        made("CreateDBInstanceReadReplica", RDS_INSTANCE),
        made("RestoreDBInstanceFromDBSnapshot", RDS_INSTANCE),
        made("RestoreDBInstanceToPointInTime", RDS_INSTANCE),
    ]),
    // DocumentDB and Neptune clusters are RDS clusters: the Tagging API and
    // Resource Explorer name them `rds:cluster`, `DescribeDBClusters` lists
    // them, and their `CreateDBCluster` is recorded by rds.amazonaws.com.
    own("rds:cluster", ArnForm::Colon, &["rds:DescribeDBClusters"], &[
        made("CreateDBCluster", RDS_CLUSTER),
        made("RestoreDBClusterFromSnapshot", RDS_CLUSTER),
        made("RestoreDBClusterToPointInTime", RDS_CLUSTER),
    ]),
    // A new bucket's tags are read straight from S3: the Tagging API's
    // answers lag.
    Type {
        event_reads: &["s3:GetBucketTagging"],
        ..own("s3:bucket", ArnForm::Global, &["s3:ListAllMyBuckets", "s3:GetBucketLocation", GET_RESOURCES], &[
            made("CreateBucket", at(None, &[(REQ, &["bucketName"])], "detail.requestParameters.bucketName")),
        ])
    },
    own(AUTO_SCALING_GROUP, ArnForm::ByName, &["autoscaling:DescribeAutoScalingGroups", "ec2:DescribeLaunchTemplateVersions"], &[]),
    // Waves and applications place servers in waves (`waves`, `--wave`);
    // a server's launch settings have no batch read: one call each.
    own(MGN_SOURCE_SERVER, ArnForm::Slash, &["mgn:ListWaves", "mgn:ListApplications", "mgn:DescribeSourceServers", "mgn:GetLaunchConfiguration", "ec2:DescribeLaunchTemplateVersions"], &[]),
    own(MGN_LAUNCH_TEMPLATE, ArnForm::Slash, &["mgn:DescribeLaunchConfigurationTemplates"], &[]),
    found("lambda:function", ArnForm::Colon, &[
        made("CreateFunction20150331", LAMBDA),
        made("CreateFunction20141111", LAMBDA),
    ]),
    found("dynamodb:table", ArnForm::Slash, &[
        made("CreateTable", at(Some(&["tableDescription", "tableArn"]), &[(REQ, &["tableName"])], "detail.responseElements.tableDescription.tableArn")),
    ]),
    Type {
        explorer: &["elasticloadbalancing:loadbalancer", "elasticloadbalancing:loadbalancer/app", "elasticloadbalancing:loadbalancer/net", "elasticloadbalancing:loadbalancer/gwy"],
        ..found("elasticloadbalancing:loadbalancer", ArnForm::Slash, &[made("CreateLoadBalancer", LoadBalancers)])
    },
    found("elasticfilesystem:file-system", ArnForm::Slash, &[
        made("CreateFileSystem", at(Some(&["fileSystemArn"]), &[(RESP, &["fileSystemId"])], "detail.responseElements.fileSystemArn")),
    ]),
    found("fsx:file-system", ArnForm::Slash, &[
        made("CreateFileSystem", at(Some(&["fileSystem", "resourceARN"]), &[(RESP, &["fileSystem", "fileSystemId"])], "detail.responseElements.fileSystem.resourceARN")),
    ]),
    found("ecs:cluster", ArnForm::Slash, &[
        made("CreateCluster", at(Some(&["cluster", "clusterArn"]), &[], "detail.responseElements.cluster.clusterArn")),
    ]),
    // What its tasks carry depends on `propagateTags`, which the scan reads.
    Type {
        listing: Listing::Found(&["ecs:DescribeServices", GET_RESOURCES]),
        ..found(ECS_SERVICE, ArnForm::Slash, &[
            made("CreateService", at(Some(&["service", "serviceArn"]), &[], "detail.responseElements.service.serviceArn")),
        ])
    },
    found("eks:cluster", ArnForm::Slash, &[
        made("CreateCluster", at(Some(&["cluster", "arn"]), &[], "detail.responseElements.cluster.arn")),
    ]),
    found("eks:nodegroup", ArnForm::Slash, &[
        made("CreateNodegroup", at(Some(&["nodegroup", "nodegroupArn"]), &[], "detail.responseElements.nodegroup.nodegroupArn")),
    ]),
    found("elasticache:cluster", ArnForm::Colon, &[
        made("CreateCacheCluster", at(Some(&["aRN"]), &[(RESP, &["cacheClusterId"]), (REQ, &["cacheClusterId"])], "detail.responseElements.aRN")),
    ]),
    found("elasticache:replicationgroup", ArnForm::Colon, &[
        made("CreateReplicationGroup", at(Some(&["aRN"]), &[(RESP, &["replicationGroupId"]), (REQ, &["replicationGroupId"])], "detail.responseElements.aRN")),
    ]),
    // Redshift's answer names no cluster ARN (`clusterNamespaceArn` is the
    // namespace's).
    found("redshift:cluster", ArnForm::Colon, &[
        made("CreateCluster", at(None, &[(RESP, &["clusterIdentifier"]), (REQ, &["clusterIdentifier"])], "detail.responseElements.clusterIdentifier")),
    ]),
    found("es:domain", ArnForm::Slash, &[
        made("CreateDomain", ES),
        made("CreateElasticsearchDomain", ES),
    ]),
    found("kinesis:stream", ArnForm::Slash, &[
        made("CreateStream", at(None, &[(REQ, &["streamName"])], "detail.requestParameters.streamName")),
    ]),
    found("sns:topic", ArnForm::Bare, &[
        made("CreateTopic", at(Some(&["topicArn"]), &[(REQ, &["name"])], "detail.responseElements.topicArn")),
    ]),
    found("sqs:queue", ArnForm::Bare, &[
        made("CreateQueue", at(None, &[(REQ, &["queueName"])], "detail.requestParameters.queueName")),
    ]),
    found("secretsmanager:secret", ArnForm::Colon, &[
        made("CreateSecret", at(Some(&["arn"]), &[], "detail.responseElements.arn")),
    ]),
    found("logs:log-group", ArnForm::Colon, &[
        made("CreateLogGroup", at(None, &[(REQ, &["logGroupName"])], "detail.requestParameters.logGroupName")),
    ]),
    found("dms:rep", ArnForm::Colon, &[
        made("CreateReplicationInstance", at(Some(&["replicationInstance", "replicationInstanceArn"]), &[], "detail.responseElements.replicationInstance.replicationInstanceArn")),
    ]),
    found("dms:replication-config", ArnForm::Colon, &[
        made("CreateReplicationConfig", at(Some(&["replicationConfig", "replicationConfigArn"]), &[], "detail.responseElements.replicationConfig.replicationConfigArn")),
    ]),
    // API Gateway's ARNs name no account: `arn:aws:apigateway:REGION::/restapis/ID`.
    // REST APIs (v1); HTTP and WebSocket APIs (v2) are `apis`.
    found("apigateway:restapis", ArnForm::Path, &[
        made("CreateRestApi", REST_API),
        made("ImportRestApi", REST_API),
    ]),
    // One `CreateStage` for both kinds of stage: read here, the record's
    // `restApiId` or `apiId` telling them apart.
    found("apigateway:restapis/stages", ArnForm::Path, &[made("CreateStage", ApiStage)]),
    found("apigateway:apis", ArnForm::Path, &[
        made("CreateApi", HTTP_API),
        made("ImportApi", HTTP_API),
    ]),
    found("apigateway:apis/stages", ArnForm::Path, &[]),
    found("kms:key", ArnForm::Slash, &[
        made("CreateKey", at(Some(&["keyMetadata", "arn"]), &[(RESP, &["keyMetadata", "keyId"])], "detail.responseElements.keyMetadata.arn")),
    ]),
    found("states:stateMachine", ArnForm::Colon, &[
        made("CreateStateMachine", at(Some(&["stateMachineArn"]), &[(REQ, &["name"])], "detail.responseElements.stateMachineArn")),
    ]),
    found("memorydb:cluster", ArnForm::Slash, &[
        made("CreateCluster", at(Some(&["cluster", "aRN"]), &[(REQ, &["clusterName"])], "detail.responseElements.cluster.aRN")),
    ]),
    // `arn:aws:mq:REGION:ACCOUNT:broker:NAME:ID`: only the answer's ARN names it.
    found("mq:broker", ArnForm::Colon, &[
        made("CreateBroker", at(Some(&["brokerArn"]), &[], "detail.responseElements.brokerArn")),
    ]),
    found("glue:job", ArnForm::Slash, &[
        made("CreateJob", at(None, &[(RESP, &["name"]), (REQ, &["name"])], "detail.responseElements.name")),
    ]),
    // SageMaker writes names in ARNs in lower case: the answer's ARN first.
    found("sagemaker:endpoint", ArnForm::Slash, &[
        made("CreateEndpoint", at(Some(&["endpointArn"]), &[], "detail.responseElements.endpointArn")),
    ]),
    found("sagemaker:notebook-instance", ArnForm::Slash, &[
        made("CreateNotebookInstance", at(Some(&["notebookInstanceArn"]), &[], "detail.responseElements.notebookInstanceArn")),
    ]),
    // Global: `arn:aws:cloudfront::ACCOUNT:distribution/ID`, its calls
    // recorded in us-east-1, named with the API version as Lambda's are.
    found("cloudfront:distribution", ArnForm::NoRegion, &[
        made("CreateDistribution2020_05_31", DISTRIBUTION),
        made("CreateDistributionWithTags2020_05_31", DISTRIBUTION),
    ]),
    // Global: `arn:aws:route53:::hostedzone/ID`, its calls recorded in us-east-1.
    found("route53:hostedzone", ArnForm::Unowned, &[
        made("CreateHostedZone", at(None, &[(RESP, &["hostedZone", "id"])], "detail.responseElements.hostedZone.id")),
    ]),
    found("transfer:server", ArnForm::Slash, &[
        made("CreateServer", at(None, &[(RESP, &["serverId"])], "detail.responseElements.serverId")),
    ]),
    found("workspaces:workspace", ArnForm::Slash, &[
        made("CreateWorkspaces", Ec2List { list: "pendingRequests", key: "workspaceId", field: "detail.responseElements.pendingRequests[].workspaceId" }),
    ]),
    // Bedrock's model spend counts toward MAP only through a tagged
    // application inference profile.
    Type {
        map_note: Some(BEDROCK_NOTE),
        ..found("bedrock:application-inference-profile", ArnForm::Slash, &[
            made("CreateInferenceProfile", at(Some(&["inferenceProfileArn"]), &[], "detail.responseElements.inferenceProfileArn")),
        ])
    },
];

/// The MAP note on a Bedrock application inference profile's findings.
pub const BEDROCK_NOTE: &str = "Bedrock spend earns MAP credit only when invoked through a tagged application inference profile";

/// A service written through the Tagging API, whose tag calls name
/// resources by ARN.
const fn tagged(
    prefix: &'static str,
    source: &'static str,
    tag: &'static str,
    untag: &'static str,
    tag_calls: &'static [(&'static str, Effect)],
) -> Service {
    Service {
        prefix,
        source,
        writer: Writer::Tagging,
        tag_actions: Some((tag, untag)),
        tag_calls,
        ids: &[],
        inexact: None,
        missing: "detail.requestParameters.resourceArn",
        tag_resource: None,
    }
}

/// A service with a writer of its own.
const fn written(
    prefix: &'static str,
    source: &'static str,
    writer: Writer,
    tag_calls: &'static [(&'static str, Effect)],
) -> Service {
    Service {
        prefix,
        source,
        writer,
        tag_actions: None,
        tag_calls,
        ids: &[],
        inexact: None,
        missing: "detail.requestParameters.resourceArn",
        tag_resource: None,
    }
}

const UNTAG_TAG: &[(&str, Effect)] = &[("UntagResource", Remove), ("TagResource", Set)];
const REMOVE_ADD: &[(&str, Effect)] = &[
    ("RemoveTagsFromResource", Remove),
    ("AddTagsToResource", Set),
];

#[rustfmt::skip]
pub const SERVICES: &[Service] = &[
    written("ec2", "ec2.amazonaws.com", Writer::Ec2, &[("DeleteTags", Remove), ("CreateTags", Set)]),
    Service {
        missing: "detail.requestParameters.resourceARNList",
        ..written("tag", "tagging.amazonaws.com", Writer::Tagging, &[("UntagResources", Remove), ("TagResources", Set)])
    },
    Service {
        missing: "detail.requestParameters.resourceName",
        ..written("rds", "rds.amazonaws.com", Writer::Rds, REMOVE_ADD)
    },
    Service {
        missing: "detail.requestParameters.bucketName",
        ..written("s3", "s3.amazonaws.com", Writer::S3, &[("DeleteBucketTagging", Replace), ("PutBucketTagging", Replace)])
    },
    Service {
        ids: &[IdField { member: "tags", resource_type: AUTO_SCALING_GROUP, read: AutoScalingTag }],
        missing: "detail.requestParameters.tags[].resourceId",
        ..written("autoscaling", "autoscaling.amazonaws.com", Writer::AutoScaling, &[("DeleteTags", Remove), ("CreateOrUpdateTags", Set)])
    },
    written("mgn", "mgn.amazonaws.com", Writer::Mgn, &[]),
    tagged("backup", "backup.amazonaws.com", "backup:TagResource", "backup:UntagResource", &[]),
    tagged("dms", "dms.amazonaws.com", "dms:AddTagsToResource", "dms:RemoveTagsFromResource", REMOVE_ADD),
    tagged("dynamodb", "dynamodb.amazonaws.com", "dynamodb:TagResource", "dynamodb:UntagResource", UNTAG_TAG),
    tagged("ecs", "ecs.amazonaws.com", "ecs:TagResource", "ecs:UntagResource", UNTAG_TAG),
    tagged("eks", "eks.amazonaws.com", "eks:TagResource", "eks:UntagResource", UNTAG_TAG),
    tagged("elasticache", "elasticache.amazonaws.com", "elasticache:AddTagsToResource", "elasticache:RemoveTagsFromResource", REMOVE_ADD),
    // An access point (`fsap-`) named by `resourceId` is not a file system.
    Service {
        ids: &[
            IdField { member: "fileSystemId", resource_type: "elasticfilesystem:file-system", read: Prefixed("fs-") },
            IdField { member: "resourceId", resource_type: "elasticfilesystem:file-system", read: Prefixed("fs-") },
        ],
        inexact: Some("resourceId"),
        ..tagged("elasticfilesystem", "elasticfilesystem.amazonaws.com", "elasticfilesystem:TagResource", "elasticfilesystem:UntagResource", UNTAG_TAG)
    },
    // Classic load balancers are named by name.
    Service {
        ids: &[IdField { member: "loadBalancerNames", resource_type: "elasticloadbalancing:loadbalancer", read: Plain }],
        ..tagged("elasticloadbalancing", "elasticloadbalancing.amazonaws.com", "elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags", &[("RemoveTags", Remove), ("AddTags", Set)])
    },
    tagged("es", "es.amazonaws.com", "es:AddTags", "es:RemoveTags", &[("RemoveTags", Remove), ("AddTags", Set)]),
    tagged("fsx", "fsx.amazonaws.com", "fsx:TagResource", "fsx:UntagResource", UNTAG_TAG),
    tagged("kafka", "kafka.amazonaws.com", "kafka:TagResource", "kafka:UntagResource", &[]),
    Service {
        ids: &[IdField { member: "streamName", resource_type: "kinesis:stream", read: Plain }],
        ..tagged("kinesis", "kinesis.amazonaws.com", "kinesis:AddTagsToStream", "kinesis:RemoveTagsFromStream", &[("RemoveTagsFromStream", Remove), ("AddTagsToStream", Set)])
    },
    Service {
        missing: "detail.requestParameters.resource",
        ..tagged("lambda", "lambda.amazonaws.com", "lambda:TagResource", "lambda:UntagResource", &[("UntagResource20170331v2", Remove), ("TagResource20170331v2", Set)])
    },
    tagged("logs", "logs.amazonaws.com", "logs:TagResource", "logs:UntagResource", UNTAG_TAG),
    Service {
        missing: "detail.requestParameters.resourceName",
        ..tagged("redshift", "redshift.amazonaws.com", "redshift:CreateTags", "redshift:DeleteTags", &[("DeleteTags", Remove), ("CreateTags", Set)])
    },
    // A secret named by its name rather than its ARN is not named exactly.
    Service {
        inexact: Some("secretId"),
        ..tagged("secretsmanager", "secretsmanager.amazonaws.com", "secretsmanager:TagResource", "secretsmanager:UntagResource", UNTAG_TAG)
    },
    tagged("sns", "sns.amazonaws.com", "sns:TagResource", "sns:UntagResource", UNTAG_TAG),
    Service {
        ids: &[IdField { member: "queueUrl", resource_type: "sqs:queue", read: UrlTail }],
        ..tagged("sqs", "sqs.amazonaws.com", "sqs:TagQueue", "sqs:UntagQueue", &[("UntagQueue", Remove), ("TagQueue", Set)])
    },
    // REST (v1) and HTTP/WebSocket (v2) APIs alike. Its actions are HTTP
    // verbs on paths: granted on the tags' paths only (v1 tags with `PUT
    // /tags/ARN`, untags with `DELETE`).
    Service {
        tag_resource: Some("arn:*:apigateway:*::/tags/*"),
        ..tagged("apigateway", "apigateway.amazonaws.com", "apigateway:PUT", "apigateway:DELETE", UNTAG_TAG)
    },
    tagged("bedrock", "bedrock.amazonaws.com", "bedrock:TagResource", "bedrock:UntagResource", UNTAG_TAG),
    Service {
        missing: "detail.requestParameters.resource",
        ..tagged("cloudfront", "cloudfront.amazonaws.com", "cloudfront:TagResource", "cloudfront:UntagResource", &[
            ("UntagResource2020_05_31", Remove), ("TagResource2020_05_31", Set),
        ])
    },
    tagged("glue", "glue.amazonaws.com", "glue:TagResource", "glue:UntagResource", UNTAG_TAG),
    // A key is named by `keyId`: its id or its ARN.
    Service {
        ids: &[IdField { member: "keyId", resource_type: "kms:key", read: IdOrArn }],
        missing: "detail.requestParameters.keyId",
        ..tagged("kms", "kms.amazonaws.com", "kms:TagResource", "kms:UntagResource", UNTAG_TAG)
    },
    tagged("memorydb", "memorydb.amazonaws.com", "memorydb:TagResource", "memorydb:UntagResource", UNTAG_TAG),
    tagged("mq", "mq.amazonaws.com", "mq:CreateTags", "mq:DeleteTags", &[("DeleteTags", Remove), ("CreateTags", Set)]),
    // One call both adds and removes (`ChangeTagsForResource`): not read
    // as a tag call.
    tagged("route53", "route53.amazonaws.com", "route53:ChangeTagsForResource", "route53:ChangeTagsForResource", &[]),
    tagged("sagemaker", "sagemaker.amazonaws.com", "sagemaker:AddTags", "sagemaker:DeleteTags", &[("DeleteTags", Remove), ("AddTags", Set)]),
    tagged("states", "states.amazonaws.com", "states:TagResource", "states:UntagResource", UNTAG_TAG),
    Service {
        missing: "detail.requestParameters.arn",
        ..tagged("transfer", "transfer.amazonaws.com", "transfer:TagResource", "transfer:UntagResource", UNTAG_TAG)
    },
    // `resourceId` names a WorkSpace (`ws-`), or a directory, image, bundle…
    Service {
        ids: &[IdField { member: "resourceId", resource_type: "workspaces:workspace", read: Prefixed("ws-") }],
        inexact: Some("resourceId"),
        missing: "detail.requestParameters.resourceId",
        ..tagged("workspaces", "workspaces.amazonaws.com", "workspaces:CreateTags", "workspaces:DeleteTags", &[("DeleteTags", Remove), ("CreateTags", Set)])
    },
];
