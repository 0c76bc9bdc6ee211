//! The one resource type every stage shares: inventory produces it, evaluation
//! and planning read it, reports print it.

pub use crate::arn::Arn;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// A resource's tags, key to value. Keys are exact and case-sensitive, as in AWS.
pub type Tags = BTreeMap<String, String>;

pub use crate::catalogue::{
    Writer, AUTO_SCALING_GROUP, ECS_SERVICE, MGN_LAUNCH_TEMPLATE, MGN_SOURCE_SERVER,
};

/// Resource types whose never-tagged resources tagwarden finds through the
/// service's own API, not only through the Resource Groups Tagging API.
pub fn full_discovery_types() -> &'static [&'static str] {
    crate::catalogue::listed_by_itself()
}

/// The MAP 2.0 tag key, the one MGN's MAP auto-tagging writes.
pub const MAP_TAG: &str = "map-migrated";

/// Types whose policies judge what their launch would write
/// (`Resource::launches`), not their own tags.
pub fn judged_by_launch(resource_type: &str) -> bool {
    resource_type == MGN_SOURCE_SERVER || resource_type == MGN_LAUNCH_TEMPLATE
}

pub fn is_full_discovery(resource_type: &str) -> bool {
    full_discovery_types().contains(&resource_type)
}

#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub arn: Arn,
    pub account: String,
    pub region: String,
    /// As the Tagging API names it: `ec2:instance`, `s3:bucket`, `lambda:function`.
    pub resource_type: String,
    pub tags: Tags,
    /// Why the tags could not be read. A resource whose tags are unreadable is
    /// `unknown`, never "untagged": `tags` is then empty and means nothing.
    pub tags_unreadable: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    /// For what launches resources (an Auto Scaling group, an ECS
    /// service): the tags those will carry (an Auto Scaling group's tags
    /// with PropagateAtLaunch and its launch template's instance tags; an
    /// ECS service's tags when it propagates them). None: not such a
    /// resource, or not known.
    pub launches: Option<Tags>,
}

impl Resource {
    pub fn new(arn: Arn, account: &str, region: &str, resource_type: &str) -> Self {
        Resource {
            arn,
            account: account.to_string(),
            region: region.to_string(),
            resource_type: resource_type.to_string(),
            tags: Tags::new(),
            tags_unreadable: None,
            created_at: None,
            launches: None,
        }
    }

    pub fn with_tags<K: Into<String>, V: Into<String>>(
        mut self,
        tags: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.tags = tags
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        self
    }

    /// The tags a policy judges: the resource's own, or for a type judged
    /// by its launch (an MGN source server or template) what its launch
    /// would write (none when that is not known).
    pub fn judged(&self) -> &Tags {
        static NONE: Tags = Tags::new();
        if judged_by_launch(&self.resource_type) {
            self.launches.as_ref().unwrap_or(&NONE)
        } else {
            &self.tags
        }
    }

    /// User tags count towards AWS's limit of 50; `aws:` tags do not.
    pub fn user_tag_count(&self) -> usize {
        self.tags.keys().filter(|k| !k.starts_with("aws:")).count()
    }
}

/// Tags from `(key, value)` pairs, for tests.
#[cfg(test)]
pub(crate) fn tags(pairs: &[(&str, &str)]) -> Tags {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// An AWS account id: exactly 12 digits.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// A tag value in messages: quoted, or `absent`.
pub fn shown(v: Option<&String>) -> String {
    v.map(|v| format!("`{v}`"))
        .unwrap_or_else(|| "absent".into())
}

/// The AWS partition of a region, for ARNs.
/// The region a partition's global services (CloudFront, Route 53) are
/// read, written and recorded in.
pub fn home_region(partition: &str) -> &'static str {
    match partition {
        "aws-cn" => "cn-northwest-1",
        "aws-us-gov" => "us-gov-west-1",
        _ => "us-east-1",
    }
}

pub fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_tags_do_not_count_towards_the_limit() {
        let r = Resource::new(
            crate::arn::arn("arn:aws:s3:::b").parse().unwrap(),
            "1",
            "us-east-1",
            "s3:bucket",
        )
        .with_tags([("aws:cloudformation:stack-name", "x"), ("Owner", "a")]);
        assert_eq!(r.user_tag_count(), 1);
    }
}
