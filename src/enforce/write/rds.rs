//! RDS: `AddTagsToResource` and `RemoveTagsFromResource`, one ARN a request.

use super::{record, Outcomes, Target};
use aws_sdk_rds::types::Tag;
use tagwarden_core::apply_rules::TagWrite;

pub(super) async fn write(
    at: &Target<'_>,
    client: &aws_sdk_rds::Client,
    writes: &[&TagWrite],
    out: &mut Outcomes,
) {
    for w in writes {
        if !w.set.is_empty() {
            let tags: Vec<Tag> = w
                .set
                .iter()
                .map(|(k, v)| Tag::builder().key(k).value(v).build())
                .collect();
            let r = at
                .api
                .call(at.quota(), "rds:AddTagsToResource", || {
                    client
                        .add_tags_to_resource()
                        .resource_name(w.arn.as_str())
                        .set_tags(Some(tags.clone()))
                        .send()
                })
                .await;
            record(out, &w.arn, r.map(|_| ()).map_err(Into::into));
        }
        if !w.remove.is_empty() {
            // RDS removes by key only; the rollback that asks checked the
            // values just before.
            let keys: Vec<String> = w.remove.keys().cloned().collect();
            let r = at
                .api
                .call(at.quota(), "rds:RemoveTagsFromResource", || {
                    client
                        .remove_tags_from_resource()
                        .resource_name(w.arn.as_str())
                        .set_tag_keys(Some(keys.clone()))
                        .send()
                })
                .await;
            record(out, &w.arn, r.map(|_| ()).map_err(Into::into));
        }
    }
}

/// The tags of one DB instance or cluster.
pub async fn tags(
    at: &Target<'_>,
    client: &aws_sdk_rds::Client,
    arn: &str,
) -> Result<tagwarden_core::Tags, crate::aws::AwsError> {
    let out = at
        .api
        .call(at.quota(), "rds:ListTagsForResource", || {
            client.list_tags_for_resource().resource_name(arn).send()
        })
        .await?;
    Ok(crate::inventory::rds::tags_of(out.tag_list()))
}
