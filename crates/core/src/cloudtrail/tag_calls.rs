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
    /// An EC2 resource id (`i-…`, `vol-…`) with its type.
    Ec2 {
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
            Some(Named::Ec2 {
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

/// The Tagging API, RDS and Lambda: ARNs, and keys or a map of tags.
fn by_arn(source: &str, req: Option<&Value>, effect: Effect) -> Result<Claimed, &'static str> {
    let (arns, field): (Vec<String>, &'static str) = match source {
        TAGGING => (
            items(path(req, &["resourceARNList"]))
                .into_iter()
                .filter_map(|v| text(Some(v)))
                .collect(),
            "detail.requestParameters.resourceARNList",
        ),
        RDS => (
            text(path(req, &["resourceName"])).into_iter().collect(),
            "detail.requestParameters.resourceName",
        ),
        _ => (
            text(path(req, &["resource"])).into_iter().collect(),
            "detail.requestParameters.resource",
        ),
    };
    if arns.is_empty() {
        return Err(field);
    }
    let named = arns.into_iter().map(Named::Arn).collect();
    if effect == Effect::Remove {
        let keys = items(path(req, &["tagKeys"]))
            .into_iter()
            .filter_map(|v| text(Some(v)))
            .collect();
        return Ok(Claimed {
            named,
            removed: Removed::Keys(keys),
            set: BTreeMap::new(),
        });
    }
    let set = match path(req, &["tags"]) {
        // RDS: a list of {key, value}.
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(|t| {
                Some((
                    text(get(t, "key"))?,
                    text(get(t, "value")).unwrap_or_default(),
                ))
            })
            .collect(),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| (k.clone(), text(Some(v)).unwrap_or_default()))
            .collect(),
        _ => BTreeMap::new(),
    };
    Ok(Claimed {
        named,
        removed: Removed::Keys(BTreeSet::new()),
        set,
    })
}
