//! Reading tags straight from each service (not the Tagging API, whose S3
//! answers lag): EC2 `DescribeTags` (200 ids a request), RDS
//! `ListTagsForResource`, S3 `GetBucketTagging`, and `GetResources` by ARN
//! (100 a request) for the rest. Used to verify writes, and to settle an
//! interrupted run's journal before anything else is written.

use super::per_account_region;
use super::write::{autoscaling, mgn, rds, s3, Outcomes, TagError, Target, Writer};
use crate::aws::{all_pages, AccountSession, Api, AwsError};
use std::collections::{BTreeMap, HashMap};
use tagwarden_core::apply_rules::TagWrite;
use tagwarden_core::journal::KeyChange;
use tagwarden_core::{Arn, Tags};

/// Tags read now, per ARN. An ARN whose account has no session is absent.
pub type Current = HashMap<String, Result<Tags, TagError>>;

/// A resource to read: account, region, ARN and type.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Located {
    pub account: String,
    pub region: String,
    pub arn: Arn,
    pub resource_type: String,
}

impl From<&KeyChange> for Located {
    fn from(c: &KeyChange) -> Located {
        Located::of(&c.account, &c.region, &c.arn, &c.resource_type)
    }
}

impl Located {
    pub fn of(account: &str, region: &str, arn: &Arn, resource_type: &str) -> Located {
        Located {
            account: account.into(),
            region: region.into(),
            arn: arn.clone(),
            resource_type: resource_type.into(),
        }
    }
}

/// Pauses before reading back writes that did not show yet: reads after
/// writes are eventually consistent.
const READ_BACK_PAUSES: [std::time::Duration; 3] = [
    std::time::Duration::from_millis(500),
    std::time::Duration::from_secs(1),
    std::time::Duration::ZERO,
];

/// Read the tags of `resources`: accounts at most `concurrency` at a time,
/// each account's regions at once; each resource once, however many of its
/// keys are named.
pub async fn read_current(
    api: &Api,
    sessions: &HashMap<String, AccountSession>,
    // A Vec, not an iterator: a borrowing closure held across the await
    // would keep the daemon's cycle future from being `Send`.
    resources: Vec<Located>,
    concurrency: usize,
) -> Current {
    let groups = resources
        .into_iter()
        .map(|r| ((r.account, r.region), (r.arn, r.resource_type)));
    let read = per_account_region(groups, concurrency, |account, region, mut rs| async move {
        let Some(session) = sessions.get(&account) else {
            return Vec::new();
        };
        rs.sort();
        rs.dedup();
        read_tags(api, session, &region, &rs)
            .await
            .into_iter()
            .collect()
    })
    .await;
    read.into_iter().collect()
}

/// The tags of every resource `writes` touch, read just before they are
/// written (an Auto Scaling group's are all its tags, not only those it
/// propagates; S3's writer reads its buckets once more in its
/// read-merge-write, which replaces the whole set). The Tagging API does
/// not return a resource that was never tagged: one it does not return has
/// no tags for the write's checks, but is no proof that a key is already
/// in place (the second map leaves it out).
pub async fn read_before(
    api: &Api,
    sessions: &HashMap<String, AccountSession>,
    writes: &[TagWrite],
    concurrency: usize,
) -> (Current, Current) {
    let (groups, others): (Vec<&TagWrite>, Vec<&TagWrite>) = writes
        .iter()
        .partition(|w| Writer::of(&w.resource_type) == Writer::AutoScaling);
    let located = others
        .iter()
        .map(|w| Located::of(&w.account, &w.region, &w.arn, &w.resource_type))
        .collect();
    let read = read_current(api, sessions, located, concurrency).await;
    let proof: Current = read
        .iter()
        .filter(|(_, tags)| !matches!(tags, Err(TagError::NotReturned)))
        .map(|(arn, tags)| (arn.clone(), tags.clone()))
        .collect();
    let mut current: Current = read
        .into_iter()
        .map(|(arn, tags)| match tags {
            Err(TagError::NotReturned) => (arn, Ok(Tags::new())),
            other => (arn, other),
        })
        .collect();
    for w in groups {
        let Some(session) = sessions.get(&w.account) else {
            continue;
        };
        let at = Target {
            api,
            account: &w.account,
            region: &w.region,
        };
        let client = session.autoscaling(&w.region);
        // All the group's tags, propagated or not: no proof that a key is
        // written as the policy wants it (propagated at launch).
        let tags = autoscaling::group_tags(&at, &client, &w.arn).await;
        current.insert(w.arn.to_string(), tags.map_err(TagError::from));
    }
    (current, proof)
}

/// The writes still safe to make given the tags read just before
/// (`read_before`), and the outcome of each withheld one: a key someone
/// set since it was read is never overwritten, one set since tagwarden
/// wrote it never removed, and a resource whose tags could not be read is
/// not written (its state is unknown).
pub fn still_as_read(writes: &[TagWrite], current: &Current) -> (Vec<TagWrite>, Outcomes) {
    let mut ready = Vec::new();
    let mut withheld = Outcomes::new();
    for w in writes {
        let verdict = match current.get(w.arn.as_str()) {
            Some(Ok(tags)) => tagwarden_core::apply_rules::unmoved(tags, w).map_err(TagError::from),
            Some(Err(e)) => Err(e.clone()),
            // No session (refused as it writes).
            None => Ok(()),
        };
        match verdict {
            Ok(()) => ready.push(w.clone()),
            Err(e) => {
                withheld.insert(w.arn.to_string(), Err(e));
            }
        }
    }
    (ready, withheld)
}

/// The writes less what the tags read just before already show (a write
/// nothing is left of is dropped; its outcome is `Ok` by absence of a
/// failure, and the journal marks its keys `already`).
pub fn still_needed(writes: Vec<TagWrite>, before: &Current) -> Vec<TagWrite> {
    writes
        .into_iter()
        .filter_map(|w| match before.get(w.arn.as_str()) {
            Some(Ok(tags)) => w.still_needed(tags),
            _ => Some(w),
        })
        .collect()
}

/// Read every written resource back, again after a pause for those whose
/// write does not show yet.
pub async fn read_back(
    api: &Api,
    sessions: &HashMap<String, AccountSession>,
    writes: &[TagWrite],
    outcomes: &Outcomes,
    concurrency: usize,
) -> Current {
    let mut current = Current::new();
    let mut unverified: Vec<&TagWrite> = writes
        .iter()
        .filter(|w| matches!(outcomes.get(w.arn.as_str()), Some(Ok(()))))
        .collect();
    for pause in READ_BACK_PAUSES {
        let located = unverified
            .iter()
            .map(|w| Located::of(&w.account, &w.region, &w.arn, &w.resource_type))
            .collect();
        let read = read_current(api, sessions, located, concurrency).await;
        current.extend(read.into_iter().map(|(arn, tags)| match tags {
            // Just written: a resource the Tagging API does not return has
            // no tags (all removed; the emulator drops such a resource, AWS
            // returns it empty). Elsewhere absence is not proof of anything.
            Err(TagError::NotReturned) => (arn, Ok(Tags::new())),
            other => (arn, other),
        }));
        unverified
            .retain(|w| !matches!(current.get(w.arn.as_str()), Some(Ok(tags)) if w.shows(tags)));
        if unverified.is_empty() {
            break;
        }
        tokio::time::sleep(pause).await;
    }
    current
}

/// The tags of resources `(arn, type)` of one account and region.
async fn read_tags(
    api: &Api,
    session: &AccountSession,
    region: &str,
    resources: &[(Arn, String)],
) -> Current {
    let at = Target {
        api,
        account: &session.account,
        region,
    };
    let mut by_writer: BTreeMap<Writer, Vec<&Arn>> = BTreeMap::new();
    for (arn, ty) in resources {
        by_writer.entry(Writer::of(ty)).or_default().push(arn);
    }
    let mut out = Current::new();
    for (writer, arns) in by_writer {
        match writer {
            Writer::Ec2 => ec2_tags(&at, &session.ec2(region), &arns, &mut out).await,
            Writer::AutoScaling => {
                let client = session.autoscaling(region);
                for arn in arns {
                    let tags = autoscaling::tags(&at, &client, arn).await;
                    out.insert(arn.to_string(), tags.map_err(Into::into));
                }
            }
            Writer::Rds => {
                let client = session.rds(region);
                for arn in arns {
                    let tags = rds::tags(&at, &client, arn).await;
                    out.insert(arn.to_string(), tags.map_err(Into::into));
                }
            }
            Writer::S3 => {
                let client = session.s3(region);
                for arn in arns {
                    let tags = s3::tags(&at, &client, arn.id()).await;
                    out.insert(arn.to_string(), tags.map_err(Into::into));
                }
            }
            Writer::Mgn => {
                let client = session.mgn(region);
                for arn in arns {
                    let tags = mgn::tags(&at, &client, arn).await;
                    out.insert(arn.to_string(), tags.map_err(Into::into));
                }
            }
            Writer::Tagging => by_arn(&at, &session.tagging(region), &arns, &mut out).await,
        }
    }
    out
}

/// EC2: `DescribeTags` filtered by up to 200 resource ids a request.
async fn ec2_tags(at: &Target<'_>, client: &aws_sdk_ec2::Client, arns: &[&Arn], out: &mut Current) {
    for chunk in arns.chunks(200) {
        let ids: Vec<String> = chunk.iter().map(|a| a.id().to_string()).collect();
        match describe_tags(at, client, ids).await {
            Ok(mut found) => {
                for arn in chunk {
                    let tags = found.remove(arn.id()).unwrap_or_default();
                    out.insert(arn.to_string(), Ok(tags));
                }
            }
            Err(e) => {
                for arn in chunk {
                    out.insert(arn.to_string(), Err(e.clone().into()));
                }
            }
        }
    }
}

async fn describe_tags(
    at: &Target<'_>,
    client: &aws_sdk_ec2::Client,
    ids: Vec<String>,
) -> Result<HashMap<String, Tags>, AwsError> {
    use aws_sdk_ec2::types::Filter;
    let filter = &Filter::builder()
        .name("resource-id")
        .set_values(Some(ids))
        .build();
    let page_size = at.api.page_size(1000, 5);
    let tags = all_pages(|token| async move {
        let page = at
            .api
            .call(at.quota(), "ec2:DescribeTags", || {
                client
                    .describe_tags()
                    .filters(filter.clone())
                    .max_results(page_size)
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

/// Every other type: `GetResources` by ARN, 100 a request; a resource the
/// answer leaves out is `NotReturned`.
async fn by_arn(
    at: &Target<'_>,
    client: &aws_sdk_resourcegroupstagging::Client,
    arns: &[&Arn],
    out: &mut Current,
) {
    let read =
        crate::inventory::tagging::tags_by_arn(at.api, client, at.account, at.region, arns).await;
    for (arn, tags) in read {
        let tags = match tags {
            Ok(Some(tags)) => Ok(tags),
            Ok(None) => Err(TagError::NotReturned),
            Err(e) => Err(e.into()),
        };
        out.insert(arn.to_string(), tags);
    }
}
