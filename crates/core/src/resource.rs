//! The one resource type every stage shares: inventory produces it, evaluation
//! and planning read it, reports print it.

pub use crate::arn::Arn;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// A resource's tags, key to value. Keys are exact and case-sensitive, as in AWS.
pub type Tags = BTreeMap<String, String>;

/// Resource types whose never-tagged resources tagwarden finds through the
/// service's own API, not only through the Resource Groups Tagging API.
pub const FULL_DISCOVERY_TYPES: &[&str] = &[
    "ec2:instance",
    "ec2:volume",
    "ec2:snapshot",
    "ec2:image",
    "rds:db",
    "rds:cluster",
    "s3:bucket",
    AUTO_SCALING_GROUP,
    MGN_SOURCE_SERVER,
    MGN_LAUNCH_TEMPLATE,
];

/// Auto Scaling groups: listed by tagwarden itself, with what the
/// instances they launch will carry.
pub const AUTO_SCALING_GROUP: &str = "autoscaling:autoScalingGroup";

/// ECS services: what the tasks they start carry depends on `propagateTags`.
pub const ECS_SERVICE: &str = "ecs:service";

/// An MGN source server: its policies judge the tags its launch would
/// write (`Resource::launches`), its own tags only decide scope.
pub const MGN_SOURCE_SERVER: &str = "mgn:source-server";
/// An account's MGN launch configuration template, judged the same way.
pub const MGN_LAUNCH_TEMPLATE: &str = "mgn:launch-configuration-template";

/// The MAP 2.0 tag key, the one MGN's MAP auto-tagging writes.
pub const MAP_TAG: &str = "map-migrated";

/// Types whose policies judge what their launch would write
/// (`Resource::launches`), not their own tags.
pub fn judged_by_launch(resource_type: &str) -> bool {
    resource_type == MGN_SOURCE_SERVER || resource_type == MGN_LAUNCH_TEMPLATE
}

pub fn is_full_discovery(resource_type: &str) -> bool {
    FULL_DISCOVERY_TYPES.contains(&resource_type)
}

/// The API a resource's tags are written (and read back) through: the
/// enforcer writes with it, and `policy iam` grants what it calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Writer {
    /// `CreateTags`, `DeleteTags`, read back with `DescribeTags`.
    Ec2,
    /// `AddTagsToResource`, `RemoveTagsFromResource`, `ListTagsForResource`.
    Rds,
    /// Read, merge, then `PutBucketTagging` (it replaces the whole set).
    S3,
    /// With PropagateAtLaunch: what the group launches carries the tag.
    AutoScaling,
    /// MGN launch settings (`UpdateLaunchConfiguration`, templates
    /// `UpdateLaunchConfigurationTemplate`): MAP auto-tagging with the
    /// policy's value, read back with `GetLaunchConfiguration`.
    Mgn,
    /// Every service without an API of its own here: the Tagging API's
    /// batches.
    Tagging,
}

impl Writer {
    pub fn of(resource_type: &str) -> Writer {
        match resource_type.split(':').next().unwrap_or_default() {
            "ec2" => Writer::Ec2,
            "rds" => Writer::Rds,
            "s3" => Writer::S3,
            "autoscaling" => Writer::AutoScaling,
            "mgn" => Writer::Mgn,
            _ => Writer::Tagging,
        }
    }
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
    fn writers_by_type() {
        assert_eq!(Writer::of("ec2:volume"), Writer::Ec2);
        assert_eq!(Writer::of("ec2:natgateway"), Writer::Ec2);
        assert_eq!(Writer::of("rds:cluster"), Writer::Rds);
        assert_eq!(Writer::of("s3:bucket"), Writer::S3);
        assert_eq!(Writer::of(AUTO_SCALING_GROUP), Writer::AutoScaling);
        assert_eq!(Writer::of("sns:topic"), Writer::Tagging);
        assert_eq!(Writer::of("lambda:function"), Writer::Tagging);
        assert_eq!(Writer::of(MGN_SOURCE_SERVER), Writer::Mgn);
        assert_eq!(Writer::of(MGN_LAUNCH_TEMPLATE), Writer::Mgn);
    }

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
