//! What tagwarden calls, per resource type: the IAM actions of the scan's
//! reads (src/inventory), of tag on create's reads (src/daemon/on_create),
//! and of each writer's writes, removals and read-backs (src/enforce/write,
//! src/enforce/verify). A call added there needs its action here.

use crate::resource::{
    Writer, AUTO_SCALING_GROUP, ECS_SERVICE, MGN_LAUNCH_TEMPLATE, MGN_SOURCE_SERVER,
};

/// The Tagging API's read: bucket tags, every type found through Resource
/// Explorer (current tags by ARN) or only through the Tagging API, and
/// read-backs of what it writes.
pub const GET_RESOURCES: &str = "tag:GetResources";

/// What a scan calls for each type tagwarden lists itself (and for ECS
/// services, whose `propagateTags` it reads). Every other type is found
/// through Resource Explorer or the Tagging API: `tag:GetResources`.
const SCAN_READS: &[(&str, &[&str])] = &[
    ("ec2:instance", &["ec2:DescribeInstances"]),
    ("ec2:volume", &["ec2:DescribeVolumes"]),
    ("ec2:snapshot", &["ec2:DescribeSnapshots"]),
    ("ec2:image", &["ec2:DescribeImages"]),
    ("rds:db", &["rds:DescribeDBInstances"]),
    ("rds:cluster", &["rds:DescribeDBClusters"]),
    (
        "s3:bucket",
        &["s3:ListAllMyBuckets", "s3:GetBucketLocation", GET_RESOURCES],
    ),
    (
        AUTO_SCALING_GROUP,
        &[
            "autoscaling:DescribeAutoScalingGroups",
            "ec2:DescribeLaunchTemplateVersions",
        ],
    ),
    (ECS_SERVICE, &["ecs:DescribeServices", GET_RESOURCES]),
    // Waves and applications place servers in waves (`waves`, `--wave`);
    // a server's launch settings have no batch read: one call each.
    (
        MGN_SOURCE_SERVER,
        &[
            "mgn:ListWaves",
            "mgn:ListApplications",
            "mgn:DescribeSourceServers",
            "mgn:GetLaunchConfiguration",
            "ec2:DescribeLaunchTemplateVersions",
        ],
    ),
    (
        MGN_LAUNCH_TEMPLATE,
        &["mgn:DescribeLaunchConfigurationTemplates"],
    ),
];

/// What tag on create reads beyond a scan's reads: a new bucket's tags
/// straight from S3 (the Tagging API's answers lag). EC2 and RDS describe
/// calls return tags inline; every other type is read by ARN.
const EVENT_READS: &[(&str, &[&str])] = &[("s3:bucket", &["s3:GetBucketTagging"])];

/// The actions of a scan of `resource_type`.
pub fn scan_reads(resource_type: &str) -> &'static [&'static str] {
    lookup(SCAN_READS, resource_type).unwrap_or(&[GET_RESOURCES])
}

/// The actions tag on create adds for `resource_type`.
pub fn event_reads(resource_type: &str) -> &'static [&'static str] {
    lookup(EVENT_READS, resource_type).unwrap_or(&[])
}

/// Resource Explorer: `Search` authorizes `ListResources` (there is no
/// `ListResources` action); `GetDefaultView` only when no view is
/// configured.
pub fn explorer_reads(view_configured: bool) -> Vec<&'static str> {
    let mut reads = vec![
        "resource-explorer-2:GetIndex",
        "resource-explorer-2:GetView",
        "resource-explorer-2:Search",
    ];
    if !view_configured {
        reads.push("resource-explorer-2:GetDefaultView");
    }
    reads
}

/// Each service's own tag and untag permission, which the Tagging API's
/// `TagResources` and `UntagResources` need besides `tag:TagResources` and
/// `tag:UntagResources` (it writes through the service, as the caller).
const SERVICE_TAG_ACTIONS: &[(&str, &str, &str)] = &[
    ("backup", "backup:TagResource", "backup:UntagResource"),
    ("dms", "dms:AddTagsToResource", "dms:RemoveTagsFromResource"),
    ("dynamodb", "dynamodb:TagResource", "dynamodb:UntagResource"),
    ("ecs", "ecs:TagResource", "ecs:UntagResource"),
    ("eks", "eks:TagResource", "eks:UntagResource"),
    (
        "elasticache",
        "elasticache:AddTagsToResource",
        "elasticache:RemoveTagsFromResource",
    ),
    (
        "elasticfilesystem",
        "elasticfilesystem:TagResource",
        "elasticfilesystem:UntagResource",
    ),
    (
        "elasticloadbalancing",
        "elasticloadbalancing:AddTags",
        "elasticloadbalancing:RemoveTags",
    ),
    ("es", "es:AddTags", "es:RemoveTags"),
    ("fsx", "fsx:TagResource", "fsx:UntagResource"),
    ("kafka", "kafka:TagResource", "kafka:UntagResource"),
    (
        "kinesis",
        "kinesis:AddTagsToStream",
        "kinesis:RemoveTagsFromStream",
    ),
    ("lambda", "lambda:TagResource", "lambda:UntagResource"),
    ("logs", "logs:TagResource", "logs:UntagResource"),
    ("redshift", "redshift:CreateTags", "redshift:DeleteTags"),
    (
        "secretsmanager",
        "secretsmanager:TagResource",
        "secretsmanager:UntagResource",
    ),
    ("sns", "sns:TagResource", "sns:UntagResource"),
    ("sqs", "sqs:TagQueue", "sqs:UntagQueue"),
];

/// What enforcing a type calls: writes of keys, removals of keys (rollback),
/// reads of its tags before and after a write, and whole-set replacements.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct TagAccess {
    pub write: Vec<&'static str>,
    pub remove: Vec<&'static str>,
    pub read_back: Vec<&'static str>,
    /// S3: `PutBucketTagging` replaces the set (and `DeleteBucketTagging`,
    /// an empty one, is authorized by it too): its request names every key
    /// the bucket keeps, not only those written.
    pub replace: Vec<&'static str>,
    /// False: the Tagging API writes it, but the service's own tag
    /// permission is not in `SERVICE_TAG_ACTIONS`.
    pub known: bool,
}

impl TagAccess {
    fn keyed(write: &[&'static str], remove: &[&'static str], read: &'static str) -> TagAccess {
        TagAccess {
            write: write.to_vec(),
            remove: remove.to_vec(),
            read_back: vec![read],
            replace: Vec::new(),
            known: true,
        }
    }
}

/// What enforcing `resource_type` calls, by the writer that writes it.
pub fn tag_access(resource_type: &str) -> TagAccess {
    match Writer::of(resource_type) {
        Writer::Ec2 => {
            TagAccess::keyed(&["ec2:CreateTags"], &["ec2:DeleteTags"], "ec2:DescribeTags")
        }
        Writer::Rds => TagAccess::keyed(
            &["rds:AddTagsToResource"],
            &["rds:RemoveTagsFromResource"],
            "rds:ListTagsForResource",
        ),
        Writer::AutoScaling => TagAccess::keyed(
            &["autoscaling:CreateOrUpdateTags"],
            &["autoscaling:DeleteTags"],
            "autoscaling:DescribeTags",
        ),
        // Launch settings, not tags: MGN publishes no `aws:TagKeys` for
        // these actions, so the grant cannot be narrowed to the MAP key.
        Writer::Mgn if resource_type == MGN_LAUNCH_TEMPLATE => TagAccess::keyed(
            &["mgn:UpdateLaunchConfigurationTemplate"],
            &["mgn:UpdateLaunchConfigurationTemplate"],
            "mgn:DescribeLaunchConfigurationTemplates",
        ),
        Writer::Mgn => TagAccess::keyed(
            &["mgn:UpdateLaunchConfiguration"],
            &["mgn:UpdateLaunchConfiguration"],
            "mgn:GetLaunchConfiguration",
        ),
        Writer::S3 => TagAccess {
            read_back: vec!["s3:GetBucketTagging"],
            replace: vec!["s3:PutBucketTagging"],
            known: true,
            ..TagAccess::default()
        },
        Writer::Tagging => {
            let service = resource_type.split(':').next().unwrap_or_default();
            let own = SERVICE_TAG_ACTIONS.iter().find(|(s, _, _)| *s == service);
            let mut access = TagAccess::keyed(
                &["tag:TagResources"],
                &["tag:UntagResources"],
                GET_RESOURCES,
            );
            match own {
                Some((_, tag, untag)) => {
                    access.write.push(tag);
                    access.remove.push(untag);
                }
                None => access.known = false,
            }
            access
        }
    }
}

fn lookup(
    table: &'static [(&'static str, &'static [&'static str])],
    resource_type: &str,
) -> Option<&'static [&'static str]> {
    table
        .iter()
        .find(|(t, _)| *t == resource_type)
        .map(|(_, actions)| *actions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::FULL_DISCOVERY_TYPES;

    #[test]
    fn every_type_tagwarden_lists_itself_has_its_reads() {
        for t in FULL_DISCOVERY_TYPES {
            assert!(lookup(SCAN_READS, t).is_some(), "{t}");
        }
    }

    #[test]
    fn the_service_table_is_sorted_and_each_service_once() {
        let services: Vec<&str> = SERVICE_TAG_ACTIONS.iter().map(|(s, _, _)| *s).collect();
        let mut sorted = services.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(services, sorted);
        for (s, tag, untag) in SERVICE_TAG_ACTIONS {
            assert!(tag.starts_with(&format!("{s}:")) && untag.starts_with(&format!("{s}:")));
        }
    }
}
