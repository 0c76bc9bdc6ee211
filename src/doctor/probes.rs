//! One cheap read per IAM action a scan needs, in one account and region:
//! the smallest page of the call the scan makes, so that a missing
//! permission is found per account, region and action before a run meets
//! it. Actions without a cheap call of their own are simulated instead
//! (`writes::simulate`).

use crate::aws::{AccountSession, Api, AwsError, Quota};

/// The actions with a cheap read here. `s3:ListAllMyBuckets` is global:
/// read once per account.
pub const PROBED: &[&str] = &[
    "ec2:DescribeInstances",
    "ec2:DescribeVolumes",
    "ec2:DescribeSnapshots",
    "ec2:DescribeImages",
    "rds:DescribeDBInstances",
    "rds:DescribeDBClusters",
    "s3:ListAllMyBuckets",
    "tag:GetResources",
    "autoscaling:DescribeAutoScalingGroups",
];

/// Whether `action` is global (read once per account, not per region).
pub fn is_global(action: &str) -> bool {
    action == "s3:ListAllMyBuckets"
}

/// Make the read of `action` in `region`; None when it has no cheap read.
pub async fn probe(
    api: &Api,
    session: &AccountSession,
    region: &str,
    action: &'static str,
) -> Option<Result<(), AwsError>> {
    let quota = Quota::at(&session.account, region);
    Some(match action {
        "ec2:DescribeInstances" => {
            let c = session.ec2(region);
            ok(api
                .call(quota, action, || {
                    c.describe_instances().max_results(5).send()
                })
                .await)
        }
        "ec2:DescribeVolumes" => {
            let c = session.ec2(region);
            ok(api
                .call(quota, action, || c.describe_volumes().max_results(5).send())
                .await)
        }
        "ec2:DescribeSnapshots" => {
            let c = session.ec2(region);
            let call = || {
                c.describe_snapshots()
                    .owner_ids("self")
                    .max_results(5)
                    .send()
            };
            ok(api.call(quota, action, call).await)
        }
        "ec2:DescribeImages" => {
            let c = session.ec2(region);
            let call = || c.describe_images().owners("self").max_results(5).send();
            ok(api.call(quota, action, call).await)
        }
        "rds:DescribeDBInstances" => {
            let c = session.rds(region);
            ok(api
                .call(quota, action, || {
                    c.describe_db_instances().max_records(20).send()
                })
                .await)
        }
        "rds:DescribeDBClusters" => {
            let c = session.rds(region);
            ok(api
                .call(quota, action, || {
                    c.describe_db_clusters().max_records(20).send()
                })
                .await)
        }
        "s3:ListAllMyBuckets" => {
            let c = session.s3(region);
            ok(api
                .call(quota, action, || c.list_buckets().max_buckets(1).send())
                .await)
        }
        "tag:GetResources" => {
            let c = session.tagging(region);
            ok(api
                .call(quota, action, || {
                    c.get_resources().resources_per_page(1).send()
                })
                .await)
        }
        "autoscaling:DescribeAutoScalingGroups" => {
            let c = session.autoscaling(region);
            let call = || c.describe_auto_scaling_groups().max_records(1).send();
            ok(api.call(quota, action, call).await)
        }
        _ => return None,
    })
}

/// An answer's content does not matter, only that it came.
fn ok<T>(answer: Result<T, AwsError>) -> Result<(), AwsError> {
    answer.map(|_| ())
}
