//! The one resource type every stage shares: inventory produces it, evaluation
//! and planning read it, reports print it.

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
];

pub fn is_full_discovery(resource_type: &str) -> bool {
    FULL_DISCOVERY_TYPES.contains(&resource_type)
}

#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub arn: String,
    pub account: String,
    pub region: String,
    /// As the Tagging API names it: `ec2:instance`, `s3:bucket`, `lambda:function`.
    pub resource_type: String,
    pub tags: Tags,
    /// Why the tags could not be read. A resource whose tags are unreadable is
    /// `unknown`, never "untagged": `tags` is then empty and means nothing.
    pub tags_unreadable: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
}

impl Resource {
    pub fn new(arn: impl Into<String>, account: &str, region: &str, resource_type: &str) -> Self {
        Resource {
            arn: arn.into(),
            account: account.to_string(),
            region: region.to_string(),
            resource_type: resource_type.to_string(),
            tags: Tags::new(),
            tags_unreadable: None,
            created_at: None,
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

    /// The short id users recognise: `i-0abc…`, a bucket name, a DB identifier.
    pub fn short_id(&self) -> &str {
        let rest = self.arn.splitn(6, ':').nth(5).unwrap_or(&self.arn);
        match self.resource_type.as_str() {
            "rds:db" | "rds:cluster" => rest.split_once(':').map_or(rest, |(_, id)| id),
            _ => rest.rsplit('/').next().unwrap_or(rest),
        }
    }

    /// User tags count towards AWS's limit of 50; `aws:` tags do not.
    pub fn user_tag_count(&self) -> usize {
        self.tags.keys().filter(|k| !k.starts_with("aws:")).count()
    }
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

/// The Tagging API's name for the type of an ARN: `arn:aws:ec2:…:instance/i-1`
/// is `ec2:instance`, `arn:aws:s3:::bucket` is `s3:bucket`.
pub fn resource_type_of_arn(arn: &str) -> Option<String> {
    let mut parts = arn.splitn(6, ':');
    let (prefix, _partition, service, _region, _account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if prefix != "arn" || service.is_empty() || resource.is_empty() {
        return None;
    }
    let kind = match resource.find(['/', ':']) {
        Some(i) => &resource[..i],
        None => match service {
            "s3" => "bucket",
            "sqs" => "queue",
            "sns" => "topic",
            _ => return Some(service.to_string()),
        },
    };
    Some(format!("{service}:{kind}"))
}

/// The region of an ARN, when it names one (`s3` and `iam` ARNs do not).
pub fn region_of_arn(arn: &str) -> Option<&str> {
    arn.split(':').nth(3).filter(|r| !r.is_empty())
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

/// The last part of an ARN: an instance id, a bucket or database name (as
/// reports show a resource and billing files name it).
pub fn short_id(arn: &str) -> &str {
    arn.rsplit(['/', ':']).next().unwrap_or(arn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_from_arns() {
        let cases = [
            (
                "arn:aws:ec2:us-east-1:111111111111:instance/i-1",
                "ec2:instance",
            ),
            (
                "arn:aws:ec2:us-east-1:111111111111:volume/vol-1",
                "ec2:volume",
            ),
            ("arn:aws:ec2:us-east-1::snapshot/snap-1", "ec2:snapshot"),
            ("arn:aws:rds:eu-west-1:111111111111:db:orders", "rds:db"),
            (
                "arn:aws:rds:eu-west-1:111111111111:cluster:c1",
                "rds:cluster",
            ),
            ("arn:aws:s3:::my-bucket", "s3:bucket"),
            (
                "arn:aws:lambda:us-east-1:111111111111:function:f",
                "lambda:function",
            ),
            (
                "arn:aws:dynamodb:us-east-1:111111111111:table/t",
                "dynamodb:table",
            ),
            ("arn:aws:sqs:us-east-1:111111111111:q", "sqs:queue"),
        ];
        for (arn, ty) in cases {
            assert_eq!(resource_type_of_arn(arn).as_deref(), Some(ty), "{arn}");
        }
        assert_eq!(resource_type_of_arn("not-an-arn"), None);
        assert_eq!(resource_type_of_arn("arn:aws:s3:::"), None);
    }

    #[test]
    fn short_ids() {
        let r = Resource::new(
            "arn:aws:rds:eu-west-1:1:db:orders",
            "1",
            "eu-west-1",
            "rds:db",
        );
        assert_eq!(r.short_id(), "orders");
        let r = Resource::new(
            "arn:aws:ec2:eu-west-1:1:instance/i-9",
            "1",
            "eu-west-1",
            "ec2:instance",
        );
        assert_eq!(r.short_id(), "i-9");
        let r = Resource::new("arn:aws:s3:::b", "1", "us-east-1", "s3:bucket");
        assert_eq!(r.short_id(), "b");
    }

    #[test]
    fn aws_tags_do_not_count_towards_the_limit() {
        let r = Resource::new("arn:aws:s3:::b", "1", "us-east-1", "s3:bucket")
            .with_tags([("aws:cloudformation:stack-name", "x"), ("Owner", "a")]);
        assert_eq!(r.user_tag_count(), 1);
    }

    #[test]
    fn regions_of_arns() {
        assert_eq!(
            region_of_arn("arn:aws:ec2:us-east-1:1:instance/i"),
            Some("us-east-1")
        );
        assert_eq!(region_of_arn("arn:aws:s3:::b"), None);
    }
}
