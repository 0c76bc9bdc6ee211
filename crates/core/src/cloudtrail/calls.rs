//! The creation calls tagwarden understands, and where each CloudTrail
//! record names what it created. Written from the CloudTrail event
//! reference and the services' API references:
//!
//! - `responseElements` mirrors the API's response with each member's first
//!   letter lower-cased (`ARN` is `aRN`, `DBInstanceArn` `dBInstanceArn`),
//!   and services have changed casing before (Secrets Manager `aRN` →
//!   `arn`), so keys are looked up without regard to case.
//! - Query-protocol services (RDS, ELB, ElastiCache, Redshift, SNS) flatten
//!   the result into `responseElements`.
//! - Newer EC2 calls wrap it in `<Call>Response`, and their lists are
//!   `{"item": X}` with X an object for one element and a list for several;
//!   older EC2 calls are flat with `{"items": [...]}`.
//! - Some calls answer nothing (Kinesis `CreateStream`, Logs
//!   `CreateLogGroup`): the name is in `requestParameters`.

use serde_json::Value;

/// One creation call: the service that records it, its name, and the
/// types it creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Call {
    /// `eventSource`: `ec2.amazonaws.com`.
    pub source: &'static str,
    pub name: &'static str,
    /// What it creates (the first is its main resource).
    pub types: &'static [&'static str],
}

const fn call(source: &'static str, name: &'static str, types: &'static [&'static str]) -> Call {
    Call {
        source,
        name,
        types,
    }
}

const EC2: &str = "ec2.amazonaws.com";
const RDS: &str = "rds.amazonaws.com";
const DMS: &str = "dms.amazonaws.com";

#[rustfmt::skip]
pub const CALLS: &[Call] = &[
    call(EC2, "RunInstances", &["ec2:instance"]),
    call(EC2, "CreateVolume", &["ec2:volume"]),
    call(EC2, "CreateSnapshot", &["ec2:snapshot"]),
    call(EC2, "CopySnapshot", &["ec2:snapshot"]),
    call(EC2, "CreateSnapshots", &["ec2:snapshot"]),
    call(EC2, "CreateImage", &["ec2:image"]),
    call(EC2, "CopyImage", &["ec2:image"]),
    call(EC2, "RegisterImage", &["ec2:image"]),
    call(EC2, "CreateFleet", &["ec2:fleet", "ec2:instance"]),
    call(EC2, "CreateNatGateway", &["ec2:natgateway"]),
    call(EC2, "AllocateAddress", &["ec2:elastic-ip"]),
    call(EC2, "CreateTransitGateway", &["ec2:transit-gateway"]),
    call(RDS, "CreateDBInstance", &["rds:db"]),
    call(RDS, "CreateDBInstanceReadReplica", &["rds:db"]),
    call(RDS, "RestoreDBInstanceFromDBSnapshot", &["rds:db"]),
    call(RDS, "RestoreDBInstanceToPointInTime", &["rds:db"]),
    call(RDS, "CreateDBCluster", &["rds:cluster"]),
    call(RDS, "RestoreDBClusterFromSnapshot", &["rds:cluster"]),
    call(RDS, "RestoreDBClusterToPointInTime", &["rds:cluster"]),
    call("s3.amazonaws.com", "CreateBucket", &["s3:bucket"]),
    call(
        "lambda.amazonaws.com",
        "CreateFunction20150331",
        &["lambda:function"],
    ),
    call(
        "lambda.amazonaws.com",
        "CreateFunction20141111",
        &["lambda:function"],
    ),
    call("dynamodb.amazonaws.com", "CreateTable", &["dynamodb:table"]),
    call(
        "elasticloadbalancing.amazonaws.com",
        "CreateLoadBalancer",
        &["elasticloadbalancing:loadbalancer"],
    ),
    call(
        "elasticfilesystem.amazonaws.com",
        "CreateFileSystem",
        &["elasticfilesystem:file-system"],
    ),
    call(
        "fsx.amazonaws.com",
        "CreateFileSystem",
        &["fsx:file-system"],
    ),
    call("ecs.amazonaws.com", "CreateCluster", &["ecs:cluster"]),
    call("ecs.amazonaws.com", "CreateService", &["ecs:service"]),
    call("eks.amazonaws.com", "CreateCluster", &["eks:cluster"]),
    call("eks.amazonaws.com", "CreateNodegroup", &["eks:nodegroup"]),
    call(
        "elasticache.amazonaws.com",
        "CreateCacheCluster",
        &["elasticache:cluster"],
    ),
    call(
        "elasticache.amazonaws.com",
        "CreateReplicationGroup",
        &["elasticache:replicationgroup"],
    ),
    call(
        "redshift.amazonaws.com",
        "CreateCluster",
        &["redshift:cluster"],
    ),
    call("es.amazonaws.com", "CreateDomain", &["es:domain"]),
    call(
        "es.amazonaws.com",
        "CreateElasticsearchDomain",
        &["es:domain"],
    ),
    call("kinesis.amazonaws.com", "CreateStream", &["kinesis:stream"]),
    call("sns.amazonaws.com", "CreateTopic", &["sns:topic"]),
    call("sqs.amazonaws.com", "CreateQueue", &["sqs:queue"]),
    call(
        "secretsmanager.amazonaws.com",
        "CreateSecret",
        &["secretsmanager:secret"],
    ),
    call("logs.amazonaws.com", "CreateLogGroup", &["logs:log-group"]),
    call(DMS, "CreateReplicationInstance", &["dms:rep"]),
    call(DMS, "CreateReplicationConfig", &["dms:replication-config"]),
];

/// The call an event records, by its service and name.
pub fn find(source: &str, name: &str) -> Option<&'static Call> {
    CALLS.iter().find(|c| c.source == source && c.name == name)
}

/// What a record names: an ARN, or an id or name to build one from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Named {
    Arn {
        resource_type: &'static str,
        arn: String,
    },
    Id {
        resource_type: &'static str,
        id: String,
    },
}

/// Where a record names what its call created: an ARN in the answer (tried
/// first), else an id or name to build the ARN from, in the answer or the
/// request (in that order). `field` is what a message names when none is
/// there.
struct Located {
    arn: Option<&'static [&'static str]>,
    ids: &'static [(Side, &'static [&'static str])],
    field: &'static str,
}

#[derive(Clone, Copy)]
enum Side {
    Request,
    Response,
}

use Side::{Request as REQ, Response as RESP};

const fn at(
    arn: Option<&'static [&'static str]>,
    ids: &'static [(Side, &'static [&'static str])],
    field: &'static str,
) -> Located {
    Located { arn, ids, field }
}

/// Where each call of a service with one resource per call names it: by
/// `eventSource` and call name (None: every other call of the service),
/// the first that matches.
#[rustfmt::skip]
const LOCATIONS: &[(&str, Option<&str>, Located)] = &[
    ("s3.amazonaws.com", None, at(None, &[(REQ, &["bucketName"])], "detail.requestParameters.bucketName")),
    (RDS, Some("CreateDBCluster"), at(Some(&["dBClusterArn"]), &[], "detail.responseElements.dBClusterArn")),
    (RDS, Some("RestoreDBClusterFromSnapshot"), at(Some(&["dBClusterArn"]), &[], "detail.responseElements.dBClusterArn")),
    (RDS, Some("RestoreDBClusterToPointInTime"), at(Some(&["dBClusterArn"]), &[], "detail.responseElements.dBClusterArn")),
    (RDS, None, at(Some(&["dBInstanceArn"]), &[], "detail.responseElements.dBInstanceArn")),
    ("lambda.amazonaws.com", None, at(Some(&["functionArn"]), &[(REQ, &["functionName"])], "detail.responseElements.functionArn")),
    ("dynamodb.amazonaws.com", None, at(Some(&["tableDescription", "tableArn"]), &[(REQ, &["tableName"])], "detail.responseElements.tableDescription.tableArn")),
    ("elasticfilesystem.amazonaws.com", None, at(Some(&["fileSystemArn"]), &[(RESP, &["fileSystemId"])], "detail.responseElements.fileSystemArn")),
    ("fsx.amazonaws.com", None, at(Some(&["fileSystem", "resourceARN"]), &[(RESP, &["fileSystem", "fileSystemId"])], "detail.responseElements.fileSystem.resourceARN")),
    ("ecs.amazonaws.com", Some("CreateCluster"), at(Some(&["cluster", "clusterArn"]), &[], "detail.responseElements.cluster.clusterArn")),
    ("ecs.amazonaws.com", None, at(Some(&["service", "serviceArn"]), &[], "detail.responseElements.service.serviceArn")),
    ("eks.amazonaws.com", Some("CreateCluster"), at(Some(&["cluster", "arn"]), &[], "detail.responseElements.cluster.arn")),
    ("eks.amazonaws.com", None, at(Some(&["nodegroup", "nodegroupArn"]), &[], "detail.responseElements.nodegroup.nodegroupArn")),
    ("elasticache.amazonaws.com", Some("CreateCacheCluster"), at(Some(&["aRN"]), &[(RESP, &["cacheClusterId"]), (REQ, &["cacheClusterId"])], "detail.responseElements.aRN")),
    ("elasticache.amazonaws.com", None, at(Some(&["aRN"]), &[(RESP, &["replicationGroupId"]), (REQ, &["replicationGroupId"])], "detail.responseElements.aRN")),
    // Redshift's answer names no cluster ARN (`clusterNamespaceArn` is the
    // namespace's).
    ("redshift.amazonaws.com", None, at(None, &[(RESP, &["clusterIdentifier"]), (REQ, &["clusterIdentifier"])], "detail.responseElements.clusterIdentifier")),
    ("es.amazonaws.com", None, at(Some(&["domainStatus", "aRN"]), &[(REQ, &["domainName"])], "detail.responseElements.domainStatus.aRN")),
    ("kinesis.amazonaws.com", None, at(None, &[(REQ, &["streamName"])], "detail.requestParameters.streamName")),
    ("sns.amazonaws.com", None, at(Some(&["topicArn"]), &[(REQ, &["name"])], "detail.responseElements.topicArn")),
    ("sqs.amazonaws.com", None, at(None, &[(REQ, &["queueName"])], "detail.requestParameters.queueName")),
    ("secretsmanager.amazonaws.com", None, at(Some(&["arn"]), &[], "detail.responseElements.arn")),
    ("logs.amazonaws.com", None, at(None, &[(REQ, &["logGroupName"])], "detail.requestParameters.logGroupName")),
    (DMS, Some("CreateReplicationInstance"), at(Some(&["replicationInstance", "replicationInstanceArn"]), &[], "detail.responseElements.replicationInstance.replicationInstanceArn")),
    (DMS, None, at(Some(&["replicationConfig", "replicationConfigArn"]), &[], "detail.responseElements.replicationConfig.replicationConfigArn")),
];

fn located(source: &str, name: &str) -> Option<&'static Located> {
    LOCATIONS
        .iter()
        .find(|(s, n, _)| *s == source && n.is_none_or(|n| n == name))
        .map(|(_, _, l)| l)
}

/// Where the record names what it created, or which field is missing.
pub fn named(call: &Call, d: &Value) -> Result<Vec<Named>, &'static str> {
    let req = get(d, "requestParameters");
    let resp = get(d, "responseElements");
    let ty = call.types[0];
    match call.source {
        EC2 => ec2_named(call.name, resp, ty),
        "elasticloadbalancing.amazonaws.com" => load_balancers(d, ty),
        source => {
            let l = located(source, call.name).ok_or("a known creation call")?;
            let arn = l
                .arn
                .and_then(|p| text(path(resp, p)))
                .map(|arn| Named::Arn {
                    resource_type: ty,
                    arn,
                });
            let id = || {
                l.ids.iter().find_map(|(side, p)| {
                    let v = match side {
                        Side::Request => req,
                        Side::Response => resp,
                    };
                    text(path(v, p)).map(|id| Named::Id {
                        resource_type: ty,
                        id,
                    })
                })
            };
            arn.or_else(id).map(|n| vec![n]).ok_or(l.field)
        }
    }
}

/// EC2: flat answers with `items` lists, and newer calls wrapped in
/// `<Call>Response` with `item` lists.
fn ec2_named(
    name: &str,
    resp: Option<&Value>,
    ty: &'static str,
) -> Result<Vec<Named>, &'static str> {
    let id = |keys: &[&str], field| {
        text(ec2(resp, name, keys))
            .map(|id| {
                vec![Named::Id {
                    resource_type: ty,
                    id,
                }]
            })
            .ok_or(field)
    };
    match name {
        "RunInstances" => ids_at(
            path(resp, &["instancesSet", "items"]),
            "instanceId",
            ty,
            "detail.responseElements.instancesSet.items[].instanceId",
        ),
        "CreateSnapshots" => ids_at(
            ec2(resp, name, &["snapshotSet"]),
            "snapshotId",
            ty,
            "detail.responseElements.CreateSnapshotsResponse.snapshotSet.item[].snapshotId",
        ),
        "CreateFleet" => fleet(resp),
        "CreateVolume" => id(&["volumeId"], "detail.responseElements.volumeId"),
        "CreateSnapshot" | "CopySnapshot" => {
            id(&["snapshotId"], "detail.responseElements.snapshotId")
        }
        "CreateNatGateway" => id(
            &["natGateway", "natGatewayId"],
            "detail.responseElements.CreateNatGatewayResponse.natGateway.natGatewayId",
        ),
        "AllocateAddress" => id(&["allocationId"], "detail.responseElements.allocationId"),
        "CreateTransitGateway" => id(
            &["transitGateway", "transitGatewayId"],
            "detail.responseElements.CreateTransitGatewayResponse.transitGateway.transitGatewayId",
        ),
        _ => id(&["imageId"], "detail.responseElements.imageId"),
    }
}

/// ELB: v2 (`apiVersion` 2015-12-01) answers the load balancers' ARNs;
/// classic (2012-06-01) only a DNS name, so the ARN is built from the name.
fn load_balancers(d: &Value, ty: &'static str) -> Result<Vec<Named>, &'static str> {
    let resp = get(d, "responseElements");
    let v2: Vec<Named> = items(path(resp, &["loadBalancers"]))
        .into_iter()
        .filter_map(|lb| text(get(lb, "loadBalancerArn")))
        .map(|arn| Named::Arn {
            resource_type: ty,
            arn,
        })
        .collect();
    if !v2.is_empty() {
        return Ok(v2);
    }
    let name = text(path(get(d, "requestParameters"), &["loadBalancerName"]))
        .ok_or("detail.requestParameters.loadBalancerName")?;
    Ok(vec![Named::Id {
        resource_type: ty,
        id: name,
    }])
}

/// EC2 Fleet: the fleet, and for an `instant` fleet the instances it
/// launched (`fleetInstanceSet.item[].instanceIds.item[]`).
fn fleet(resp: Option<&Value>) -> Result<Vec<Named>, &'static str> {
    let id = text(ec2(resp, "CreateFleet", &["fleetId"]))
        .ok_or("detail.responseElements.CreateFleetResponse.fleetId")?;
    let mut out = vec![Named::Id {
        resource_type: "ec2:fleet",
        id,
    }];
    for set in items(ec2(resp, "CreateFleet", &["fleetInstanceSet"])) {
        for instance in items(get(set, "instanceIds")) {
            if let Some(id) = text(Some(instance)) {
                out.push(Named::Id {
                    resource_type: "ec2:instance",
                    id,
                });
            }
        }
    }
    Ok(out)
}

/// The ids under `key` of every element of an EC2 list.
fn ids_at(
    list: Option<&Value>,
    key: &str,
    ty: &'static str,
    field: &'static str,
) -> Result<Vec<Named>, &'static str> {
    let ids: Vec<Named> = items(list)
        .into_iter()
        .filter_map(|i| text(get(i, key)))
        .map(|id| Named::Id {
            resource_type: ty,
            id,
        })
        .collect();
    if ids.is_empty() {
        Err(field)
    } else {
        Ok(ids)
    }
}

/// A member of an EC2 answer, flat or inside its `<Call>Response` wrapper.
fn ec2<'a>(resp: Option<&'a Value>, call: &str, keys: &[&str]) -> Option<&'a Value> {
    path(resp, keys).or_else(|| path(get(resp?, &format!("{call}Response")), keys))
}

/// The elements of a list, however the record spells it: a JSON array,
/// `{"items": [...]}`, or `{"item": X}` (X an object or a list).
pub(super) fn items(v: Option<&Value>) -> Vec<&Value> {
    let Some(v) = v else { return Vec::new() };
    let inner = get(v, "items").or_else(|| get(v, "item"));
    match inner.unwrap_or(v) {
        Value::Array(a) => a.iter().collect(),
        Value::Null => Vec::new(),
        Value::String(s) if s.is_empty() => Vec::new(),
        other if inner.is_some() => vec![other],
        Value::Object(_) => Vec::new(),
        other => vec![other],
    }
}

/// A member by name, whatever the case of its letters.
pub(super) fn get<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    let m = v.as_object()?;
    m.get(key).or_else(|| {
        m.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

pub(super) fn path<'a>(v: Option<&'a Value>, keys: &[&str]) -> Option<&'a Value> {
    keys.iter().try_fold(v?, |v, k| get(v, k))
}

/// A non-empty string (EC2 sometimes sends ids as numbers).
pub(super) fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}
