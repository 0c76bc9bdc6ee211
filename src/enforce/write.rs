//! Tag writers, one per service API, batched as far as each API allows:
//! EC2 `CreateTags` (up to 1000 ids with the same tags), RDS
//! `AddTagsToResource` (one ARN), S3 read-merge-write (`PutBucketTagging`
//! replaces the whole set), and the Tagging API `TagResources` (up to 20 ARNs)
//! for every other type. Every request goes through `Api::call`.

use crate::aws::{all_pages, AccountSession, Api, AwsError};
use std::collections::{BTreeMap, HashMap};
use tagwarden_core::plan::MAX_USER_TAGS;
use tagwarden_core::Tags;

pub const EC2_BATCH: usize = 1000;
pub const TAGGING_BATCH: usize = 20;
/// Attempts for Tagging API entries that fail with a retryable error.
const TAGGING_ATTEMPTS: usize = 3;

/// Tags to put on one resource, and keys to remove from it (each only while
/// it still holds the value given: a rollback never removes someone else's value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagWrite {
    pub arn: String,
    pub account: String,
    pub region: String,
    pub resource_type: String,
    pub set: BTreeMap<String, String>,
    pub remove: BTreeMap<String, String>,
    /// What each key in `set` held when the change was decided (None:
    /// absent). S3's read-merge-write refuses a bucket where it differs, so
    /// that a value set since (and not yet visible to the Tagging API) is not
    /// overwritten; the other APIs write unconditionally.
    pub expect: BTreeMap<String, Option<String>>,
}

/// The outcome per ARN: Ok, or why it failed.
pub type Outcomes = HashMap<String, Result<(), String>>;

fn record(out: &mut Outcomes, arn: &str, result: Result<(), String>) {
    let slot = out.entry(arn.to_string()).or_insert(Ok(()));
    if let Err(e) = result {
        *slot = match slot {
            Err(prev) => Err(format!("{prev}; {e}")),
            Ok(()) => Err(e),
        };
    }
}

/// Write every change of one account and region.
pub async fn write(
    api: &Api,
    session: &AccountSession,
    region: &str,
    writes: &[TagWrite],
) -> Outcomes {
    let mut out = Outcomes::new();
    // Every service without a writer of its own shares the Tagging API's batches.
    let writer = |w: &TagWrite| -> &'static str {
        match w.resource_type.split(':').next().unwrap_or_default() {
            "ec2" => "ec2",
            "rds" => "rds",
            "s3" => "s3",
            _ => "tagging",
        }
    };
    let mut by_writer: BTreeMap<&str, Vec<&TagWrite>> = BTreeMap::new();
    for w in writes {
        by_writer.entry(writer(w)).or_default().push(w);
    }
    for (kind, ws) in by_writer {
        match kind {
            "ec2" => {
                ec2(
                    api,
                    &session.ec2(region),
                    &session.account,
                    region,
                    &ws,
                    &mut out,
                )
                .await
            }
            "rds" => {
                rds(
                    api,
                    &session.rds(region),
                    &session.account,
                    region,
                    &ws,
                    &mut out,
                )
                .await
            }
            "s3" => {
                s3(
                    api,
                    &session.s3(region),
                    &session.account,
                    region,
                    &ws,
                    &mut out,
                )
                .await
            }
            _ => {
                tagging(
                    api,
                    &session.tagging(region),
                    &session.account,
                    region,
                    &ws,
                    &mut out,
                )
                .await
            }
        }
    }
    out
}

/// Writes with identical tag sets, so that one request can carry them all.
fn group_by<'a, K: Ord>(
    writes: &[&'a TagWrite],
    key: impl Fn(&TagWrite) -> K,
) -> BTreeMap<K, Vec<&'a TagWrite>> {
    let mut groups: BTreeMap<K, Vec<&TagWrite>> = BTreeMap::new();
    for w in writes {
        groups.entry(key(w)).or_default().push(w);
    }
    groups
}

/// Errors one malformed or vanished resource id causes for a whole batch.
fn is_bad_id(e: &AwsError) -> bool {
    e.code
        .as_deref()
        .is_some_and(|c| c.starts_with("Invalid") || c.ends_with(".NotFound"))
}

fn ec2_id(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

async fn ec2(
    api: &Api,
    client: &aws_sdk_ec2::Client,
    account: &str,
    region: &str,
    writes: &[&TagWrite],
    out: &mut Outcomes,
) {
    use aws_sdk_ec2::types::Tag;
    let sets = group_by(writes, |w| w.set.clone());
    for (set, group) in sets.into_iter().filter(|(s, _)| !s.is_empty()) {
        let tags: Vec<Tag> = set
            .iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect();
        for batch in group.chunks(EC2_BATCH) {
            let send = |ids: Vec<String>| {
                let tags = tags.clone();
                async move {
                    api.call(account, region, "ec2:CreateTags", || {
                        client
                            .create_tags()
                            .set_resources(Some(ids.clone()))
                            .set_tags(Some(tags.clone()))
                            .send()
                    })
                    .await
                }
            };
            let ids: Vec<String> = batch.iter().map(|w| ec2_id(&w.arn).to_string()).collect();
            match send(ids).await {
                Ok(_) => batch.iter().for_each(|w| record(out, &w.arn, Ok(()))),
                // One bad id fails the whole request: retry one by one to
                // find which, so the others are still written. Other errors
                // (throttling, permissions) would fail each alone too.
                Err(e) if batch.len() > 1 && is_bad_id(&e) => {
                    for w in batch {
                        let r = send(vec![ec2_id(&w.arn).to_string()])
                            .await
                            .map(|_| ())
                            .map_err(|e| e.to_string());
                        record(out, &w.arn, r);
                    }
                }
                Err(e) => batch
                    .iter()
                    .for_each(|w| record(out, &w.arn, Err(e.to_string()))),
            }
        }
    }
    // Removal with the value: EC2 deletes the tag only while it holds it.
    let removals = group_by(writes, |w| w.remove.clone());
    for (remove, group) in removals.into_iter().filter(|(r, _)| !r.is_empty()) {
        let tags: Vec<Tag> = remove
            .iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect();
        for w in group {
            let id = ec2_id(&w.arn).to_string();
            let r = api
                .call(account, region, "ec2:DeleteTags", || {
                    client
                        .delete_tags()
                        .resources(id.clone())
                        .set_tags(Some(tags.clone()))
                        .send()
                })
                .await;
            record(out, &w.arn, r.map(|_| ()).map_err(|e| e.to_string()));
        }
    }
}

async fn rds(
    api: &Api,
    client: &aws_sdk_rds::Client,
    account: &str,
    region: &str,
    writes: &[&TagWrite],
    out: &mut Outcomes,
) {
    use aws_sdk_rds::types::Tag;
    for w in writes {
        if !w.set.is_empty() {
            let tags: Vec<Tag> = w
                .set
                .iter()
                .map(|(k, v)| Tag::builder().key(k).value(v).build())
                .collect();
            let r = api
                .call(account, region, "rds:AddTagsToResource", || {
                    client
                        .add_tags_to_resource()
                        .resource_name(&w.arn)
                        .set_tags(Some(tags.clone()))
                        .send()
                })
                .await;
            record(out, &w.arn, r.map(|_| ()).map_err(|e| e.to_string()));
        }
        if !w.remove.is_empty() {
            let keys: Vec<String> = w.remove.keys().cloned().collect();
            let r = api
                .call(account, region, "rds:RemoveTagsFromResource", || {
                    client
                        .remove_tags_from_resource()
                        .resource_name(&w.arn)
                        .set_tag_keys(Some(keys.clone()))
                        .send()
                })
                .await;
            record(out, &w.arn, r.map(|_| ()).map_err(|e| e.to_string()));
        }
    }
}

/// A tag value in messages: quoted, or `absent`.
pub(crate) fn shown(v: Option<&String>) -> String {
    v.map(|v| format!("`{v}`"))
        .unwrap_or_else(|| "absent".into())
}

fn bucket_name(arn: &str) -> &str {
    arn.rsplit(':').next().unwrap_or(arn)
}

/// S3 replaces a bucket's whole tag set: read it, merge, write it back, so
/// that the bucket's other tags are kept.
async fn s3(
    api: &Api,
    client: &aws_sdk_s3::Client,
    account: &str,
    region: &str,
    writes: &[&TagWrite],
    out: &mut Outcomes,
) {
    for w in writes {
        let r = s3_one(api, client, account, region, w).await;
        record(out, &w.arn, r);
    }
}

async fn s3_one(
    api: &Api,
    client: &aws_sdk_s3::Client,
    account: &str,
    region: &str,
    w: &TagWrite,
) -> Result<(), String> {
    use aws_sdk_s3::types::{Tag, Tagging};
    let bucket = bucket_name(&w.arn);
    let current: BTreeMap<String, String> = match api
        .call(account, region, "s3:GetBucketTagging", || {
            client.get_bucket_tagging().bucket(bucket).send()
        })
        .await
    {
        Ok(out) => out
            .tag_set()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect(),
        Err(AwsError { code: Some(c), .. }) if c == "NoSuchTagSet" => BTreeMap::new(),
        Err(e) => return Err(e.to_string()),
    };
    let moved: Vec<String> = w
        .expect
        .iter()
        .filter(|(k, v)| current.get(*k) != v.as_ref() && current.get(*k) != w.set.get(*k))
        .map(|(k, v)| {
            format!(
                "`{k}` is {} on the bucket, expected {}",
                shown(current.get(k)),
                shown(v.as_ref())
            )
        })
        .collect();
    if !moved.is_empty() {
        return Err(format!(
            "changed since it was read: {}; not overwritten",
            moved.join(", ")
        ));
    }
    let mut merged = current.clone();
    merged.extend(w.set.clone());
    for (k, v) in &w.remove {
        if merged.get(k) == Some(v) {
            merged.remove(k);
        }
    }
    if merged == current {
        return Ok(());
    }
    let user_tags = merged.keys().filter(|k| !k.starts_with("aws:")).count();
    if user_tags > MAX_USER_TAGS {
        return Err(format!(
            "the bucket would have {user_tags} tags, over AWS's limit of {MAX_USER_TAGS}"
        ));
    }
    if merged.is_empty() {
        return api
            .call(account, region, "s3:DeleteBucketTagging", || {
                client.delete_bucket_tagging().bucket(bucket).send()
            })
            .await
            .map(|_| ())
            .map_err(|e| e.to_string());
    }
    let tag_set: Vec<Tag> = merged
        .iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .expect("key and value are set")
        })
        .collect();
    let tagging = Tagging::builder()
        .set_tag_set(Some(tag_set))
        .build()
        .expect("tag set is set");
    api.call(account, region, "s3:PutBucketTagging", || {
        client
            .put_bucket_tagging()
            .bucket(bucket)
            .tagging(tagging.clone())
            .send()
    })
    .await
    .map(|_| ())
    .map_err(|e| e.to_string())
}

/// The Tagging API for every other type: 20 ARNs a request; failures come
/// back per ARN, and retryable ones are tried again.
async fn tagging(
    api: &Api,
    client: &aws_sdk_resourcegroupstagging::Client,
    account: &str,
    region: &str,
    writes: &[&TagWrite],
    out: &mut Outcomes,
) {
    use aws_sdk_resourcegroupstagging::types::ErrorCode;
    let sets = group_by(writes, |w| w.set.clone());
    for (set, group) in sets.into_iter().filter(|(s, _)| !s.is_empty()) {
        let tags: HashMap<String, String> = set.into_iter().collect();
        for batch in group.chunks(TAGGING_BATCH) {
            let mut arns: Vec<String> = batch.iter().map(|w| w.arn.clone()).collect();
            for attempt in 1..=TAGGING_ATTEMPTS {
                let result = api
                    .call(account, region, "tagging:TagResources", || {
                        client
                            .tag_resources()
                            .set_resource_arn_list(Some(arns.clone()))
                            .set_tags(Some(tags.clone()))
                            .send()
                    })
                    .await;
                let failed = match result {
                    Err(e) => {
                        arns.iter().for_each(|a| record(out, a, Err(e.to_string())));
                        break;
                    }
                    Ok(r) => r.failed_resources_map().cloned().unwrap_or_default(),
                };
                let mut retry = Vec::new();
                for arn in &arns {
                    match failed.get(arn) {
                        None => record(out, arn, Ok(())),
                        Some(f)
                            if f.error_code() == Some(&ErrorCode::InternalServiceException)
                                && attempt < TAGGING_ATTEMPTS =>
                        {
                            retry.push(arn.clone())
                        }
                        Some(f) => record(
                            out,
                            arn,
                            Err(format!(
                                "tagging:TagResources: {}: {}",
                                f.error_code().map(|c| c.as_str()).unwrap_or("error"),
                                f.error_message().unwrap_or_default()
                            )),
                        ),
                    }
                }
                if retry.is_empty() {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(500 * attempt as u64)).await;
                arns = retry;
            }
        }
    }
    for w in writes.iter().filter(|w| !w.remove.is_empty()) {
        let keys: Vec<String> = w.remove.keys().cloned().collect();
        let r = api
            .call(account, region, "tagging:UntagResources", || {
                client
                    .untag_resources()
                    .resource_arn_list(&w.arn)
                    .set_tag_keys(Some(keys.clone()))
                    .send()
            })
            .await;
        let r = match r {
            Ok(o) if o.failed_resources_map().is_some_and(|m| !m.is_empty()) => {
                Err("tagging:UntagResources failed".to_string())
            }
            Ok(_) => Ok(()),
            Err(e) => Err(e.to_string()),
        };
        record(out, &w.arn, r);
    }
}

/// Current tags of the given resources of one account and region, read
/// straight from each service (not the Tagging API, whose S3 answers lag):
/// EC2 `DescribeTags` (200 ids a request), RDS `ListTagsForResource`, S3
/// `GetBucketTagging`, and `GetResources` by ARN (100 a request) for the rest.
pub async fn read_tags(
    api: &Api,
    session: &AccountSession,
    region: &str,
    resources: &[(String, String)],
) -> HashMap<String, Result<Tags, String>> {
    let account = session.account.as_str();
    let mut out = HashMap::new();
    let service = |ty: &str| ty.split(':').next().unwrap_or_default().to_string();
    let mut by_service: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (arn, ty) in resources {
        by_service.entry(service(ty)).or_default().push(arn);
    }
    for (svc, arns) in by_service {
        match svc.as_str() {
            "ec2" => {
                let client = session.ec2(region);
                for chunk in arns.chunks(200) {
                    let ids: Vec<String> = chunk.iter().map(|a| ec2_id(a).to_string()).collect();
                    match ec2_tags(api, &client, account, region, ids).await {
                        Ok(mut found) => {
                            for arn in chunk {
                                out.insert(
                                    arn.to_string(),
                                    Ok(found.remove(ec2_id(arn)).unwrap_or_default()),
                                );
                            }
                        }
                        Err(e) => chunk.iter().for_each(|a| {
                            out.insert(a.to_string(), Err(e.to_string()));
                        }),
                    }
                }
            }
            "rds" => {
                let client = session.rds(region);
                for arn in arns {
                    let r = api
                        .call(account, region, "rds:ListTagsForResource", || {
                            client.list_tags_for_resource().resource_name(arn).send()
                        })
                        .await
                        .map(|o| {
                            o.tag_list()
                                .iter()
                                .filter_map(|t| {
                                    Some((
                                        t.key()?.to_string(),
                                        t.value().unwrap_or_default().to_string(),
                                    ))
                                })
                                .collect()
                        })
                        .map_err(|e| e.to_string());
                    out.insert(arn.to_string(), r);
                }
            }
            "s3" => {
                let client = session.s3(region);
                for arn in arns {
                    let bucket = bucket_name(arn);
                    let r = match api
                        .call(account, region, "s3:GetBucketTagging", || {
                            client.get_bucket_tagging().bucket(bucket).send()
                        })
                        .await
                    {
                        Ok(o) => Ok(o
                            .tag_set()
                            .iter()
                            .map(|t| (t.key().to_string(), t.value().to_string()))
                            .collect()),
                        Err(AwsError { code: Some(c), .. }) if c == "NoSuchTagSet" => {
                            Ok(Tags::new())
                        }
                        Err(e) => Err(e.to_string()),
                    };
                    out.insert(arn.to_string(), r);
                }
            }
            _ => {
                let client = session.tagging(region);
                for chunk in arns.chunks(100) {
                    let list: Vec<String> = chunk.iter().map(|a| a.to_string()).collect();
                    let r = api
                        .call(account, region, "tagging:GetResources", || {
                            client
                                .get_resources()
                                .set_resource_arn_list(Some(list.clone()))
                                .send()
                        })
                        .await;
                    match r {
                        Ok(page) => {
                            let mut found: HashMap<String, Tags> = page
                                .resource_tag_mapping_list()
                                .iter()
                                .filter_map(crate::inventory::tagging::arn_and_tags)
                                .collect();
                            // A resource that was ever tagged is always in the
                            // answer; one that is not cannot be read this way.
                            for arn in chunk {
                                let tags = found
                                    .remove(*arn)
                                    .ok_or_else(|| "not returned by the Tagging API".to_string());
                                out.insert(arn.to_string(), tags);
                            }
                        }
                        Err(e) => chunk.iter().for_each(|a| {
                            out.insert(a.to_string(), Err(e.to_string()));
                        }),
                    }
                }
            }
        }
    }
    out
}

async fn ec2_tags(
    api: &Api,
    client: &aws_sdk_ec2::Client,
    account: &str,
    region: &str,
    ids: Vec<String>,
) -> Result<HashMap<String, Tags>, AwsError> {
    use aws_sdk_ec2::types::Filter;
    let filter = &Filter::builder()
        .name("resource-id")
        .set_values(Some(ids))
        .build();
    let tags = all_pages(|token| async move {
        let page = api
            .call(account, region, "ec2:DescribeTags", || {
                client
                    .describe_tags()
                    .filters(filter.clone())
                    .max_results(1000)
                    .set_next_token(token.clone())
                    .send()
            })
            .await?;
        let found: Vec<(String, String, String)> = page
            .tags()
            .iter()
            .filter_map(|t| {
                Some((
                    t.resource_id()?.to_string(),
                    t.key()?.to_string(),
                    t.value().unwrap_or_default().to_string(),
                ))
            })
            .collect();
        Ok((found, page.next_token().map(str::to_string)))
    })
    .await?;
    let mut by_id: HashMap<String, Tags> = HashMap::new();
    for (id, k, v) in tags {
        by_id.entry(id).or_default().insert(k, v);
    }
    Ok(by_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_keep_every_failure() {
        let mut out = Outcomes::new();
        record(&mut out, "a", Ok(()));
        record(&mut out, "a", Err("x".into()));
        record(&mut out, "a", Err("y".into()));
        record(&mut out, "b", Ok(()));
        assert_eq!(out["a"], Err("x; y".into()));
        assert_eq!(out["b"], Ok(()));
    }

    #[test]
    fn ids_from_arns() {
        assert_eq!(ec2_id("arn:aws:ec2:us-east-1:1:instance/i-1"), "i-1");
        assert_eq!(bucket_name("arn:aws:s3:::my-bucket"), "my-bucket");
    }
}
