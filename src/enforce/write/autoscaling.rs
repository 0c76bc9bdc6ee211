//! Auto Scaling groups: `CreateOrUpdateTags` with PropagateAtLaunch, so that
//! the instances a group launches after cutover carry the tag from birth,
//! and `DeleteTags` for removal. The group's name is its resource id.
//! Reading back takes only the tags it propagates: a tag that stays on the
//! group alone does not show the write.

use super::{record, Outcomes, TagError, Target};
use crate::aws::AwsError;
use aws_sdk_autoscaling::types::{Filter, Tag};
use tagwarden_core::apply_rules::TagWrite;
use tagwarden_core::{Arn, Tags};

const GROUP: &str = "auto-scaling-group";

/// `…:autoScalingGroup:UUID:autoScalingGroupName/NAME` is `NAME`.
pub fn group_name(arn: &Arn) -> &str {
    arn.resource()
        .split_once("autoScalingGroupName/")
        .map_or_else(|| arn.id(), |(_, name)| name)
}

pub(super) async fn write(
    at: &Target<'_>,
    client: &aws_sdk_autoscaling::Client,
    writes: &[&TagWrite],
    out: &mut Outcomes,
) {
    for w in writes {
        let r = write_one(at, client, w).await;
        record(out, &w.arn, r);
    }
}

async fn write_one(
    at: &Target<'_>,
    client: &aws_sdk_autoscaling::Client,
    w: &TagWrite,
) -> Result<(), TagError> {
    let name = group_name(&w.arn);
    let tag = |k: &String, v: Option<&String>| {
        Tag::builder()
            .resource_id(name)
            .resource_type(GROUP)
            .key(k)
            .set_value(v.cloned())
            .propagate_at_launch(true)
            .build()
    };
    if !w.set.is_empty() {
        let tags: Vec<Tag> = w.set.iter().map(|(k, v)| tag(k, Some(v))).collect();
        at.api
            .call(at.quota(), "autoscaling:CreateOrUpdateTags", || {
                client
                    .create_or_update_tags()
                    .set_tags(Some(tags.clone()))
                    .send()
            })
            .await?;
    }
    if !w.remove.is_empty() {
        let tags: Vec<Tag> = w.remove.keys().map(|k| tag(k, None)).collect();
        at.api
            .call(at.quota(), "autoscaling:DeleteTags", || {
                client.delete_tags().set_tags(Some(tags.clone())).send()
            })
            .await?;
    }
    Ok(())
}

/// The tags the group propagates to the instances it launches.
pub async fn tags(
    at: &Target<'_>,
    client: &aws_sdk_autoscaling::Client,
    arn: &Arn,
) -> Result<Tags, AwsError> {
    described(at, client, arn, true).await
}

/// Every tag of the group, propagated or not: what a write is checked
/// against just before it is made.
pub async fn group_tags(
    at: &Target<'_>,
    client: &aws_sdk_autoscaling::Client,
    arn: &Arn,
) -> Result<Tags, AwsError> {
    described(at, client, arn, false).await
}

async fn described(
    at: &Target<'_>,
    client: &aws_sdk_autoscaling::Client,
    arn: &Arn,
    propagated_only: bool,
) -> Result<Tags, AwsError> {
    let filter = Filter::builder()
        .name(GROUP)
        .values(group_name(arn))
        .build();
    let out = at
        .api
        .call(at.quota(), "autoscaling:DescribeTags", || {
            client.describe_tags().filters(filter.clone()).send()
        })
        .await?;
    Ok(out
        .tags()
        .iter()
        .filter(|t| !propagated_only || t.propagate_at_launch() == Some(true))
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_group_name_is_the_end_of_its_arn() {
        let arn: Arn = "arn:aws:autoscaling:eu-west-1:111111111111:autoScalingGroup:6d4a1b4e-0000-4f1a-9c7e-1f2e3d4c5b6a:autoScalingGroupName/web-asg"
            .parse()
            .unwrap();
        assert_eq!(group_name(&arn), "web-asg");
    }
}
