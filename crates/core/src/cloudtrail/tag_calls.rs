//! The calls that remove, replace or change tags, and where each CloudTrail
//! record names the resources and keys (the services' API references; the
//! request is recorded as `requestParameters`, each member's first letter
//! lower-cased, looked up without regard to case):
//!
//! - EC2 `DeleteTags`/`CreateTags`: `resourcesSet.items[].resourceId`,
//!   `tagSet.items[].{key, value}`; a `DeleteTags` without `tagSet`
//!   removes every tag.
//! - Resource Groups Tagging API `UntagResources`/`TagResources`:
//!   `resourceARNList[]`, `tagKeys[]` / `tags{}`.
//! - RDS `RemoveTagsFromResource`/`AddTagsToResource`: `resourceName` (an
//!   ARN), `tagKeys[]` / `tags[].{key, value}`.
//! - S3 `DeleteBucketTagging` (every tag) and `PutBucketTagging` (the whole
//!   set replaced: a key not in `Tagging.TagSet.Tag` is removed):
//!   `bucketName`.
//! - Lambda `UntagResource20170331v2`/`TagResource20170331v2`: `resource`
//!   (an ARN), `tagKeys[]` / `tags{}`.
//!
//! An event says what a call claimed to do, never what the resource holds:
//! tagwarden reads the resource's tags itself before anything is decided.

use super::calls::{get, items, path, text};
use super::Call;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

const EC2: &str = "ec2.amazonaws.com";
const TAGGING: &str = "tagging.amazonaws.com";
const RDS: &str = "rds.amazonaws.com";
const S3: &str = "s3.amazonaws.com";
const LAMBDA: &str = "lambda.amazonaws.com";

/// What a tag call does to the keys it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    Remove,
    Set,
    /// The whole set replaced (S3).
    Replace,
}

struct TagCall {
    call: Call,
    effect: Effect,
}

const fn tag_call(source: &'static str, name: &'static str, effect: Effect) -> TagCall {
    TagCall {
        call: Call {
            source,
            name,
            types: &[],
        },
        effect,
    }
}

#[rustfmt::skip]
const TAG_CALLS: &[TagCall] = &[
    tag_call(EC2, "DeleteTags", Effect::Remove),
    tag_call(EC2, "CreateTags", Effect::Set),
    tag_call(TAGGING, "UntagResources", Effect::Remove),
    tag_call(TAGGING, "TagResources", Effect::Set),
    tag_call(RDS, "RemoveTagsFromResource", Effect::Remove),
    tag_call(RDS, "AddTagsToResource", Effect::Set),
    tag_call(S3, "DeleteBucketTagging", Effect::Replace),
    tag_call(S3, "PutBucketTagging", Effect::Replace),
    tag_call(LAMBDA, "UntagResource20170331v2", Effect::Remove),
    tag_call(LAMBDA, "TagResource20170331v2", Effect::Set),
    tag_call("dynamodb.amazonaws.com", "UntagResource", Effect::Remove),
    tag_call("dynamodb.amazonaws.com", "TagResource", Effect::Set),
    tag_call("sqs.amazonaws.com", "UntagQueue", Effect::Remove),
    tag_call("sqs.amazonaws.com", "TagQueue", Effect::Set),
    tag_call("sns.amazonaws.com", "UntagResource", Effect::Remove),
    tag_call("sns.amazonaws.com", "TagResource", Effect::Set),
    tag_call("ecs.amazonaws.com", "UntagResource", Effect::Remove),
    tag_call("ecs.amazonaws.com", "TagResource", Effect::Set),
    tag_call("eks.amazonaws.com", "UntagResource", Effect::Remove),
    tag_call("eks.amazonaws.com", "TagResource", Effect::Set),
    tag_call("elasticache.amazonaws.com", "RemoveTagsFromResource", Effect::Remove),
    tag_call("elasticache.amazonaws.com", "AddTagsToResource", Effect::Set),
    tag_call("es.amazonaws.com", "RemoveTags", Effect::Remove),
    tag_call("es.amazonaws.com", "AddTags", Effect::Set),
    tag_call("kinesis.amazonaws.com", "RemoveTagsFromStream", Effect::Remove),
    tag_call("kinesis.amazonaws.com", "AddTagsToStream", Effect::Set),
    tag_call("secretsmanager.amazonaws.com", "UntagResource", Effect::Remove),
    tag_call("secretsmanager.amazonaws.com", "TagResource", Effect::Set),
    tag_call("logs.amazonaws.com", "UntagResource", Effect::Remove),
    tag_call("logs.amazonaws.com", "TagResource", Effect::Set),
    tag_call("elasticloadbalancing.amazonaws.com", "RemoveTags", Effect::Remove),
    tag_call("elasticloadbalancing.amazonaws.com", "AddTags", Effect::Set),
    tag_call("elasticfilesystem.amazonaws.com", "UntagResource", Effect::Remove),
    tag_call("elasticfilesystem.amazonaws.com", "TagResource", Effect::Set),
    tag_call("fsx.amazonaws.com", "UntagResource", Effect::Remove),
    tag_call("fsx.amazonaws.com", "TagResource", Effect::Set),
    tag_call("dms.amazonaws.com", "RemoveTagsFromResource", Effect::Remove),
    tag_call("dms.amazonaws.com", "AddTagsToResource", Effect::Set),
];

/// The tag call an event records, by its service and name.
pub(super) fn find(source: &str, name: &str) -> Option<&'static Call> {
    TAG_CALLS
        .iter()
        .find(|t| t.call.source == source && t.call.name == name)
        .map(|t| &t.call)
}

/// Every tag call, for the rule lists.
pub(super) fn calls() -> impl Iterator<Item = &'static Call> {
    TAG_CALLS.iter().map(|t| &t.call)
}

/// The keys a call removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removed {
    Keys(BTreeSet<String>),
    /// Every tag (`DeleteBucketTagging`, `DeleteTags` without keys).
    All,
    /// Every tag but these (a replaced set).
    AllBut(BTreeSet<String>),
}

impl Removed {
    pub fn covers(&self, key: &str) -> bool {
        match self {
            Removed::Keys(keys) => keys.contains(key),
            Removed::All => true,
            Removed::AllBut(kept) => !kept.contains(key),
        }
    }
}

/// What a tag call did, as its record claims: the resources it named
/// (ARNs, or EC2 ids and bucket names to build them from), the keys it
/// removed and the values it set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub named: Vec<Named>,
    pub removed: Removed,
    pub set: BTreeMap<String, String>,
}

/// A resource as a tag call's record names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Named {
    Arn(String),
    /// An id to build the ARN from the way the Tagging API names the
    /// resource: an EC2 id (`i-…`), a queue's or stream's name, a classic
    /// load balancer's, a file system's id.
    Id {
        resource_type: &'static str,
        id: String,
    },
    Bucket(String),
}

/// The EC2 types tagwarden knows, by id prefix (other ids, e.g. `sg-`,
/// name nothing it tags).
const EC2_PREFIXES: &[(&str, &str)] = &[
    ("i-", "ec2:instance"),
    ("vol-", "ec2:volume"),
    ("snap-", "ec2:snapshot"),
    ("ami-", "ec2:image"),
    ("nat-", "ec2:natgateway"),
    ("eipalloc-", "ec2:elastic-ip"),
    ("tgw-", "ec2:transit-gateway"),
    ("fleet-", "ec2:fleet"),
];

/// What the record of `call` claims, or the field that is missing.
pub(super) fn claimed(call: &Call, d: &Value) -> Result<Claimed, &'static str> {
    let req = get(d, "requestParameters");
    let effect = TAG_CALLS
        .iter()
        .find(|t| t.call.source == call.source && t.call.name == call.name)
        .map(|t| t.effect)
        .ok_or("a known tag call")?;
    match call.source {
        EC2 => ec2(req, effect),
        S3 => bucket(call.name, req),
        _ => by_arn(call.source, req, effect),
    }
}

fn ec2(req: Option<&Value>, effect: Effect) -> Result<Claimed, &'static str> {
    let ids = items(path(req, &["resourcesSet"]));
    if ids.is_empty() {
        return Err("detail.requestParameters.resourcesSet.items[].resourceId");
    }
    let named = ids
        .into_iter()
        .filter_map(|item| text(get(item, "resourceId")))
        .filter_map(|id| {
            let (_, ty) = EC2_PREFIXES.iter().find(|(p, _)| id.starts_with(p))?;
            Some(Named::Id {
                resource_type: ty,
                id,
            })
        })
        .collect();
    let tags: Vec<(String, Option<String>)> = items(path(req, &["tagSet"]))
        .into_iter()
        .filter_map(|t| Some((text(get(t, "key"))?, text(get(t, "value")))))
        .collect();
    Ok(match effect {
        Effect::Remove if tags.is_empty() => Claimed {
            named,
            removed: Removed::All,
            set: BTreeMap::new(),
        },
        Effect::Remove => Claimed {
            named,
            removed: Removed::Keys(tags.into_iter().map(|(k, _)| k).collect()),
            set: BTreeMap::new(),
        },
        _ => Claimed {
            named,
            removed: Removed::Keys(BTreeSet::new()),
            set: tags
                .into_iter()
                .map(|(k, v)| (k, v.unwrap_or_default()))
                .collect(),
        },
    })
}

/// S3: `DeleteBucketTagging` removes every tag, `PutBucketTagging`
/// replaces the set.
fn bucket(name: &str, req: Option<&Value>) -> Result<Claimed, &'static str> {
    let bucket = text(path(req, &["bucketName"])).ok_or("detail.requestParameters.bucketName")?;
    let named = vec![Named::Bucket(bucket)];
    if name == "DeleteBucketTagging" {
        return Ok(Claimed {
            named,
            removed: Removed::All,
            set: BTreeMap::new(),
        });
    }
    let tags = path(req, &["Tagging", "TagSet", "Tag"]);
    let set: BTreeMap<String, String> = match tags {
        Some(Value::Array(list)) => list.iter().collect::<Vec<_>>(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => Vec::new(),
    }
    .into_iter()
    .filter_map(|t| {
        Some((
            text(get(t, "Key"))?,
            text(get(t, "Value")).unwrap_or_default(),
        ))
    })
    .collect();
    Ok(Claimed {
        named,
        removed: Removed::AllBut(set.keys().cloned().collect()),
        set,
    })
}

/// Where every other service's record names its resources: an ARN (or a
/// list of them) under the member its API reference gives, or an id.
const ARN_FIELDS: &[&str] = &[
    "resourceARNList",
    "resourceArns",
    "resourceArn",
    "resourceARN",
    "resourceName",
    "resource",
    "aRN",
    "streamARN",
    "secretId",
];

/// The resources a record names, by ARN or by an id of the service's
/// own; empty when none.
fn resources(source: &str, req: Option<&Value>) -> Vec<Named> {
    for field in ARN_FIELDS {
        let arns: Vec<Named> = items(path(req, &[field]))
            .into_iter()
            .filter_map(|v| text(Some(v)))
            // A secret named without its ARN is not named exactly.
            .filter(|a| a.starts_with("arn:"))
            .map(Named::Arn)
            .collect();
        if !arns.is_empty() {
            return arns;
        }
    }
    let id = |resource_type: &'static str, id: String| Named::Id { resource_type, id };
    let one = |field: &str| text(path(req, &[field]));
    match source {
        "sqs.amazonaws.com" => one("queueUrl")
            .map(|url| {
                id(
                    "sqs:queue",
                    url.rsplit('/').next().unwrap_or_default().to_string(),
                )
            })
            .into_iter()
            .collect(),
        "kinesis.amazonaws.com" => one("streamName")
            .map(|n| id("kinesis:stream", n))
            .into_iter()
            .collect(),
        // A file system's id; an access point (`fsap-`) is not one.
        "elasticfilesystem.amazonaws.com" => one("fileSystemId")
            .or_else(|| one("resourceId"))
            .filter(|fs| fs.starts_with("fs-"))
            .map(|fs| id("elasticfilesystem:file-system", fs))
            .into_iter()
            .collect(),
        "elasticloadbalancing.amazonaws.com" => items(path(req, &["loadBalancerNames"]))
            .into_iter()
            .filter_map(|v| text(Some(v)))
            .map(|name| id("elasticloadbalancing:loadbalancer", name))
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether the record names its resource in a way tagwarden cannot read
/// exactly (a secret by name, an EFS access point): nothing to act on,
/// but not a malformed event.
fn named_inexactly(source: &str, req: Option<&Value>) -> bool {
    match source {
        "secretsmanager.amazonaws.com" => text(path(req, &["secretId"])).is_some(),
        "elasticfilesystem.amazonaws.com" => text(path(req, &["resourceId"])).is_some(),
        _ => false,
    }
}

/// `{k: v}`, or `[{key, value}]` (any case), as a map.
fn tag_map(v: Option<&Value>) -> BTreeMap<String, String> {
    match v {
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| (k.clone(), text(Some(v)).unwrap_or_default()))
            .collect(),
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(|t| {
                Some((
                    text(get(t, "key"))?,
                    text(get(t, "value")).unwrap_or_default(),
                ))
            })
            .collect(),
        _ => BTreeMap::new(),
    }
}

/// The keys a removal names: `tagKeys: [k]`, or `tags: [k]` / `tags:
/// [{key}]` (a classic load balancer's, a log group's). A record whose
/// keys cannot be read may have removed any: every key.
fn removed_keys(req: Option<&Value>) -> Removed {
    let keys: BTreeSet<String> = items(path(req, &["tagKeys"]).or_else(|| path(req, &["tags"])))
        .into_iter()
        .filter_map(|v| text(Some(v)).or_else(|| text(get(v, "key"))))
        .collect();
    if keys.is_empty() {
        Removed::All
    } else {
        Removed::Keys(keys)
    }
}

/// Every service but EC2 and S3: the resources, and the keys removed or
/// the tags set.
fn by_arn(source: &str, req: Option<&Value>, effect: Effect) -> Result<Claimed, &'static str> {
    let named = resources(source, req);
    if named.is_empty() && !named_inexactly(source, req) {
        return Err(match source {
            TAGGING => "detail.requestParameters.resourceARNList",
            RDS => "detail.requestParameters.resourceName",
            LAMBDA => "detail.requestParameters.resource",
            _ => "detail.requestParameters.resourceArn",
        });
    }
    if effect == Effect::Remove {
        return Ok(Claimed {
            named,
            removed: removed_keys(req),
            set: BTreeMap::new(),
        });
    }
    let tags = path(req, &["tags"]).or_else(|| path(req, &["tagList"]));
    Ok(Claimed {
        named,
        removed: Removed::Keys(BTreeSet::new()),
        set: tag_map(tags),
    })
}
