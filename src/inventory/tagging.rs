//! The Resource Groups Tagging API: tags of every resource that is or once
//! was tagged, 100 a page. It cannot see never-tagged resources, so it is the
//! source only for S3 bucket tags and for types without their own discovery.

use crate::aws::{Api, AwsError};
use std::collections::HashMap;
use tagwarden_core::Tags;

/// ARN to tags, for the given type filters (`s3`, `lambda:function`, …).
pub async fn tagged_resources(
    api: &Api,
    client: &aws_sdk_resourcegroupstagging::Client,
    account: &str,
    region: &str,
    type_filters: &[String],
) -> Result<HashMap<String, Tags>, AwsError> {
    let mut out = HashMap::new();
    let mut token: Option<String> = None;
    loop {
        let page = api
            .call(account, region, "tagging:GetResources", || {
                client
                    .get_resources()
                    .set_resource_type_filters(Some(type_filters.to_vec()))
                    .resources_per_page(100)
                    .set_pagination_token(token.clone())
                    .send()
            })
            .await?;
        for m in page.resource_tag_mapping_list() {
            let Some(arn) = m.resource_arn() else {
                continue;
            };
            let tags: Tags = m
                .tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect();
            out.insert(arn.to_string(), tags);
        }
        token = page
            .pagination_token()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if token.is_none() {
            return Ok(out);
        }
    }
}
