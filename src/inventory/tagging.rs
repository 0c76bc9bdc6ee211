//! The Resource Groups Tagging API: tags of every resource that is or once
//! was tagged, 100 a page. It cannot see never-tagged resources, so it is the
//! source only for S3 bucket tags and for types without their own discovery.

use crate::aws::{all_pages, Api, AwsError, Quota};
use std::collections::HashMap;
use tagwarden_core::{Arn, Tags};

/// ARN to tags, for the given type filters (`s3`, `lambda:function`, …).
pub async fn tagged_resources(
    api: &Api,
    client: &aws_sdk_resourcegroupstagging::Client,
    account: &str,
    region: &str,
    type_filters: &[String],
) -> Result<HashMap<Arn, Tags>, AwsError> {
    let page_size = api.page_size(100, 1);
    let mappings = all_pages(|token| async move {
        let page = api
            .call(Quota::at(account, region), "tagging:GetResources", || {
                client
                    .get_resources()
                    .set_resource_type_filters(Some(type_filters.to_vec()))
                    .resources_per_page(page_size)
                    .set_pagination_token(token.clone())
                    .send()
            })
            .await?;
        Ok(mappings_of(&page))
    })
    .await?;
    Ok(mappings.into_iter().collect())
}

/// The current tags of resources named by ARN (`GetResources` with
/// `ResourceARNList`, 100 a request), in one account and region. A
/// resource the answer leaves out has no tags (the Tagging API returns
/// only resources that are or were tagged): `Ok(None)`.
pub async fn tags_by_arn(
    api: &Api,
    client: &aws_sdk_resourcegroupstagging::Client,
    account: &str,
    region: &str,
    arns: &[&Arn],
) -> Vec<(Arn, Result<Option<Tags>, AwsError>)> {
    let mut out = Vec::with_capacity(arns.len());
    for chunk in arns.chunks(100) {
        let list: Vec<String> = chunk.iter().map(|a| a.to_string()).collect();
        // The answer is paged like any other: an ARN on a page not read
        // would pass for untagged.
        let list = &list;
        let pages = all_pages(|token| async move {
            let page = api
                .call(Quota::at(account, region), "tagging:GetResources", || {
                    client
                        .get_resources()
                        .set_resource_arn_list(Some(list.clone()))
                        .set_pagination_token(token.clone())
                        .send()
                })
                .await?;
            Ok(mappings_of(&page))
        })
        .await;
        match pages {
            Ok(pages) => {
                let mut found: HashMap<Arn, Tags> = pages.into_iter().collect();
                for arn in chunk {
                    let tags = found.remove(arn.as_str());
                    out.push(((*arn).clone(), Ok(tags)));
                }
            }
            Err(e) => out.extend(chunk.iter().map(|a| ((*a).clone(), Err(e.clone())))),
        }
    }
    out
}

/// One page's ARNs and tags, and the next page's token.
fn mappings_of(
    page: &aws_sdk_resourcegroupstagging::operation::get_resources::GetResourcesOutput,
) -> (Vec<(Arn, Tags)>, Option<String>) {
    let found = page
        .resource_tag_mapping_list()
        .iter()
        .filter_map(arn_and_tags)
        .collect();
    (found, page.pagination_token().map(str::to_string))
}

/// The ARN and tags of one Tagging API answer entry (an entry whose ARN
/// does not parse is left out, and logged).
pub fn arn_and_tags(
    m: &aws_sdk_resourcegroupstagging::types::ResourceTagMapping,
) -> Option<(Arn, Tags)> {
    let tags = m
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect();
    match Arn::parse(m.resource_arn()?) {
        Ok(arn) => Some((arn, tags)),
        Err(e) => {
            tracing::warn!(error = %e, "the Tagging API returned an entry that is not an ARN: left out");
            None
        }
    }
}
