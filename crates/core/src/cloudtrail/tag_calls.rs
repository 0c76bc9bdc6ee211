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
use crate::catalogue::{self, Effect, IdRead, Service};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The tag call an event records, by its service and name.
pub(super) fn find(source: &str, name: &str) -> Option<Call> {
    catalogue::tag_calls()
        .find(|(s, n, _)| s.source == source && *n == name)
        .map(|(s, name, _)| Call {
            source: s.source,
            name,
        })
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
}

/// What the record of `call` claims, or the field that is missing.
pub(super) fn claimed(call: &Call, d: &Value) -> Result<Claimed, &'static str> {
    let req = get(d, "requestParameters");
    let (service, effect) = catalogue::tag_calls()
        .find(|(s, n, _)| s.source == call.source && *n == call.name)
        .map(|(s, _, e)| (s, e))
        .ok_or("a known tag call")?;
    match service.prefix {
        "ec2" => ec2(req, effect),
        "s3" => bucket(call.name, req),
        _ => by_arn(service, req, effect),
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
            let resource_type = catalogue::ec2_type_of_id(&id)?;
            Some(Named::Id { resource_type, id })
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
    let named = vec![Named::Id {
        resource_type: "s3:bucket",
        id: bucket,
    }];
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
/// own (its catalogue row says where); empty when none.
fn resources(service: &Service, req: Option<&Value>) -> Vec<Named> {
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
    for f in service.ids {
        let ids: Vec<Named> = items(path(req, &[f.member]))
            .into_iter()
            .filter_map(|v| id_of(v, f.read))
            .map(|id| Named::Id {
                resource_type: f.resource_type,
                id,
            })
            .collect();
        if !ids.is_empty() {
            return ids;
        }
    }
    Vec::new()
}

/// An id as its member holds it.
fn id_of(v: &Value, read: IdRead) -> Option<String> {
    match read {
        IdRead::Plain => text(Some(v)),
        IdRead::UrlTail => {
            text(Some(v)).map(|url| url.rsplit('/').next().unwrap_or_default().to_string())
        }
        IdRead::Prefixed(p) => text(Some(v)).filter(|id| id.starts_with(p)),
        IdRead::IdOrArn => text(Some(v)).and_then(|id| match id.strip_prefix("arn:") {
            Some(_) => id.rsplit('/').next().map(str::to_string),
            None => Some(id),
        }),
        IdRead::AutoScalingTag => {
            let kind = text(get(v, "resourceType"));
            if kind.as_deref().is_some_and(|k| k != "auto-scaling-group") {
                return None;
            }
            text(get(v, "resourceId"))
        }
    }
}

/// `{k: v}`, or `[{key, value}]` (any case, also as CloudFront's
/// `{items: [...]}`), as a map.
fn tag_map(v: Option<&Value>) -> BTreeMap<String, String> {
    let listed = v.and_then(|v| get(v, "items").or_else(|| get(v, "item")));
    if listed.is_some() {
        return tag_map(Some(&Value::Array(items(v).into_iter().cloned().collect())));
    }
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

/// The keys a removal names: `tagKeys: [k]` (CloudFront's `{items:
/// [k]}`), `tagsToRemove: [k]` (Glue's), or `tags: [k]` / `tags: [{key}]`
/// (a classic load balancer's, a log group's). A record whose keys cannot
/// be read may have removed any: every key.
fn removed_keys(req: Option<&Value>) -> Removed {
    let named = path(req, &["tagKeys"])
        .or_else(|| path(req, &["tagsToRemove"]))
        .or_else(|| path(req, &["tags"]));
    let keys: BTreeSet<String> = items(named)
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
fn by_arn(service: &Service, req: Option<&Value>, effect: Effect) -> Result<Claimed, &'static str> {
    let named = resources(service, req);
    let inexact = service
        .inexact
        .is_some_and(|m| text(path(req, &[m])).is_some());
    if named.is_empty() && !inexact {
        return Err(service.missing);
    }
    if service
        .ids
        .iter()
        .any(|f| matches!(f.read, IdRead::AutoScalingTag))
    {
        return Ok(auto_scaling(named, req, effect));
    }
    if effect == Effect::Remove {
        return Ok(Claimed {
            named,
            removed: removed_keys(req),
            set: BTreeMap::new(),
        });
    }
    let tags = path(req, &["tags"])
        .or_else(|| path(req, &["tagList"]))
        .or_else(|| path(req, &["tagsToAdd"]));
    Ok(Claimed {
        named,
        removed: Removed::Keys(BTreeSet::new()),
        set: tag_map(tags),
    })
}

/// Auto Scaling: the keys and values of the entries that name a group
/// (an entry of another resource type names nothing tagwarden reads).
fn auto_scaling(named: Vec<Named>, req: Option<&Value>, effect: Effect) -> Claimed {
    let entries: Vec<&Value> = items(path(req, &["tags"]))
        .into_iter()
        .filter(|t| id_of(t, IdRead::AutoScalingTag).is_some())
        .collect();
    let pairs = entries.iter().filter_map(|t| {
        Some((
            text(get(t, "key"))?,
            text(get(t, "value")).unwrap_or_default(),
        ))
    });
    match effect {
        Effect::Remove => Claimed {
            named,
            removed: Removed::Keys(pairs.map(|(k, _)| k).collect()),
            set: BTreeMap::new(),
        },
        _ => Claimed {
            named,
            removed: Removed::Keys(BTreeSet::new()),
            set: pairs.collect(),
        },
    }
}
