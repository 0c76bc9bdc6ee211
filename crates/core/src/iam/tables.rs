//! What tagwarden calls, per resource type: the IAM actions of the scan's
//! reads (src/inventory), of tag on create's reads (src/daemon/on_create),
//! and of each writer's writes, removals and read-backs (src/enforce/write,
//! src/enforce/verify). A call added there needs its action here.

use crate::catalogue::{self, Writer, MGN_LAUNCH_TEMPLATE};

pub use crate::catalogue::GET_RESOURCES;

/// The actions of a scan of `resource_type`: its catalogue row's, and for
/// a type tagwarden does not know, the Tagging API's read.
pub fn scan_reads(resource_type: &str) -> &'static [&'static str] {
    catalogue::type_of(resource_type).map_or(&[GET_RESOURCES], |t| t.scan_reads())
}

/// The actions tag on create adds for `resource_type`: a new bucket's
/// tags straight from S3 (the Tagging API's answers lag). EC2 and RDS
/// describe calls return tags inline; every other type is read by ARN.
pub fn event_reads(resource_type: &str) -> &'static [&'static str] {
    catalogue::type_of(resource_type).map_or(&[], |t| t.event_reads)
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
    /// permission is not in the catalogue.
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
            let own = catalogue::service(service).and_then(|s| s.tag_actions);
            let mut access = TagAccess::keyed(
                &["tag:TagResources"],
                &["tag:UntagResources"],
                GET_RESOURCES,
            );
            match own {
                Some((tag, untag)) => {
                    access.write.push(tag);
                    access.remove.push(untag);
                }
                None => access.known = false,
            }
            access
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::full_discovery_types;

    #[test]
    fn every_type_tagwarden_lists_itself_has_its_reads() {
        for t in full_discovery_types() {
            assert_ne!(scan_reads(t), [GET_RESOURCES], "{t}");
        }
        assert_eq!(scan_reads("kafka:cluster"), [GET_RESOURCES]);
        assert_eq!(event_reads("s3:bucket"), ["s3:GetBucketTagging"]);
    }

    #[test]
    fn the_tagging_api_needs_the_services_own_permission() {
        let sqs = tag_access("sqs:queue");
        assert_eq!(sqs.write, ["tag:TagResources", "sqs:TagQueue"]);
        assert_eq!(sqs.remove, ["tag:UntagResources", "sqs:UntagQueue"]);
        assert!(sqs.known);
        assert!(!tag_access("athena:workgroup").known);
    }
}
