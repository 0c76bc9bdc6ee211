//! Default request rates per AWS API, from AWS's published throttling
//! limits. AWS throttles per account and region with token buckets shared by
//! every caller in the account, so tagwarden takes at most half of each
//! published budget (half the refill rate, half the bucket) and leaves the
//! rest to the account's other workloads. `limits.requests_per_second`
//! replaces all of them with one rate.
//!
//! Sources (read 2026-11):
//! - EC2, "Request throttling for the Amazon EC2 API": each action has its
//!   own bucket; non-mutating actions (Describe*) 100 tokens, 20/s;
//!   CreateTags and DeleteTags their own 100 tokens, 10/s.
//! - RDS, "Request throttling for the Amazon RDS API": a burst of 300 and
//!   12/s sustained, per account and region (taken as one bucket for all
//!   RDS calls, the safe reading).
//! - Resource Groups Tagging API, Tag Editor "Service quotas": GetResources
//!   15/s, TagResources and UntagResources 5/s.
//! - STS, "IAM and AWS STS quotas": 600/s per account and region, shared by
//!   AssumeRole and GetCallerIdentity and counted against the *calling*
//!   account (so one bucket for the whole process, not one per target).
//! - S3 bucket-level calls and Organizations publish no figure; the rates
//!   below are our own conservative choices.
//! - Resource Explorer, "Quotas": 5 Search operations per second and 3 of
//!   every other operation, per account and region, not adjustable.
//!   ListResources is authorized as Search; which bucket it counts against
//!   is not published, so it gets half of the smaller one, as do the others
//!   (one bucket: 1 a second, a burst of 2).
//! - Auto Scaling publishes no figure: 5 a second, our own choice. ECS,
//!   "Request throttling for the Amazon ECS API": describe actions 20 a
//!   second with a burst of 50 (halved).
//! - Application Migration Service publishes no request rate (its quotas
//!   count jobs and servers; throttling answers 429 with `Retry-After`):
//!   5 a second with a burst of 10, per account and region, our own
//!   choice, shared by every MGN call.

use std::num::NonZeroU32;

/// A token bucket: `per_second` refill, `burst` capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub per_second: NonZeroU32,
    pub burst: NonZeroU32,
}

impl Rate {
    pub const fn new(per_second: u32, burst: u32) -> Rate {
        match (NonZeroU32::new(per_second), NonZeroU32::new(burst)) {
            (Some(per_second), Some(burst)) => Rate { per_second, burst },
            _ => panic!("rates are at least 1"),
        }
    }

    /// One rate for everything (`limits.requests_per_second`), with a burst
    /// of one second's worth.
    pub fn uniform(per_second: u32) -> Rate {
        let n = per_second.max(1);
        Rate::new(n, n)
    }
}

/// The bucket an operation draws from, and its default rate. Operations of
/// one bucket share it (RDS, STS); the others have one each.
pub fn bucket(operation: &'static str) -> (&'static str, Rate) {
    let service = operation.split(':').next().unwrap_or(operation);
    match (service, operation) {
        (_, "ec2:CreateTags" | "ec2:DeleteTags") => (operation, Rate::new(5, 50)),
        ("ec2", _) => (operation, Rate::new(10, 50)),
        ("rds", _) => ("rds", Rate::new(6, 150)),
        (_, "tagging:GetResources") => (operation, Rate::new(7, 7)),
        ("tagging", _) => (operation, Rate::new(2, 2)),
        ("sts", _) => ("sts", Rate::new(300, 300)),
        ("s3", _) => (operation, Rate::new(25, 50)),
        ("organizations", _) => (operation, Rate::new(5, 20)),
        ("resource-explorer-2", _) => ("resource-explorer-2", Rate::new(1, 2)),
        ("autoscaling", _) => ("autoscaling", Rate::new(5, 10)),
        ("mgn", _) => ("mgn", Rate::new(5, 10)),
        ("ecs", _) => (operation, Rate::new(10, 25)),
        // Standard SQS queues take a nearly unlimited rate per action.
        ("sqs", _) => (operation, Rate::new(300, 300)),
        _ => (operation, Rate::new(5, 5)),
    }
}

/// Whether the bucket is the caller's own rather than the target
/// account's: STS counts AssumeRole against the account that calls it.
pub fn charged_to_caller(bucket: &str) -> bool {
    bucket == "sts"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_limits_halved() {
        assert_eq!(
            bucket("ec2:DescribeInstances"),
            ("ec2:DescribeInstances", Rate::new(10, 50))
        );
        assert_eq!(
            bucket("ec2:CreateTags"),
            ("ec2:CreateTags", Rate::new(5, 50))
        );
        assert_eq!(bucket("rds:DescribeDBInstances").0, "rds");
        assert_eq!(bucket("rds:AddTagsToResource"), ("rds", Rate::new(6, 150)));
        assert_eq!(bucket("tagging:GetResources").1, Rate::new(7, 7));
        assert_eq!(bucket("tagging:TagResources").1, Rate::new(2, 2));
        assert_eq!(bucket("sts:AssumeRole"), ("sts", Rate::new(300, 300)));
        assert_eq!(bucket("s3:GetBucketLocation").1, Rate::new(25, 50));
        assert!(charged_to_caller("sts") && !charged_to_caller("rds"));
        assert_eq!(
            bucket("mgn:GetLaunchConfiguration"),
            ("mgn", Rate::new(5, 10))
        );
        assert_eq!(bucket("mgn:ListWaves").0, "mgn");
        assert_eq!(Rate::uniform(0), Rate::new(1, 1));
        assert_eq!(
            bucket("resource-explorer-2:ListResources"),
            ("resource-explorer-2", Rate::new(1, 2))
        );
        assert_eq!(
            bucket("resource-explorer-2:GetView").0,
            "resource-explorer-2"
        );
    }
}
