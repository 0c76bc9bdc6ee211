//! Billing files name a service by product code (`AmazonEC2`); Cost
//! Explorer's SERVICE dimension, and so `map.eligible_services`, by name
//! ("Amazon Elastic Compute Cloud - Compute"). This maps one to the other
//! for the services MAP agreements commonly list. EC2 is two services in
//! Cost Explorer: instance usage is "- Compute", the rest (EBS, NAT, IP
//! addresses, data transfer) is "EC2 - Other"; the usage type tells them
//! apart. A code not listed here keeps its code as its name, and the
//! report says so: list the code in `map.eligible_services` to count it.

/// Where a bill names no product at all (no product column): such spend
/// counts as eligible, per resource and in the money view alike, since the
/// bill cannot say otherwise.
pub const UNNAMED: &str = "(no product named in the bill)";

/// The service a bill line counts under: Cost Explorer's name when known
/// (true), else its product code or name as billed (false), else
/// [`UNNAMED`] (true: no code to warn about).
pub fn of_line<'a>(product: &'a str, usage_type: &str, product_name: &'a str) -> (&'a str, bool) {
    match cost_explorer_name(product, usage_type) {
        Some(name) => (name, true),
        None if !product.is_empty() => (product, false),
        None if !product_name.is_empty() => (product_name, false),
        None => (UNNAMED, true),
    }
}

/// EC2's product code, and its two Cost Explorer names: instance usage,
/// and the rest.
const EC2: &str = "AmazonEC2";
const EC2_COMPUTE: &str = "Amazon Elastic Compute Cloud - Compute";
const EC2_OTHER: &str = "EC2 - Other";

/// The product code Cost Explorer's `name` stands for, when known.
pub fn code_of(name: &str) -> Option<&'static str> {
    match name {
        EC2_COMPUTE | EC2_OTHER => Some(EC2),
        _ => NAMES
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(code, _)| *code),
    }
}

/// The Cost Explorer names an entry of `map.eligible_services` stands
/// for: a known product code its names (EC2 has two), anything else itself.
pub fn names_of(entry: &str) -> Vec<&str> {
    if entry == EC2 {
        return vec![EC2_COMPUTE, EC2_OTHER];
    }
    match NAMES.binary_search_by(|(code, _)| code.cmp(&entry)) {
        Ok(i) => vec![NAMES[i].1],
        Err(_) => vec![entry],
    }
}

/// Cost Explorer's name for a product code, when tagwarden knows it.
pub fn cost_explorer_name(product: &str, usage_type: &str) -> Option<&'static str> {
    if product == EC2 {
        return Some(if is_instance_usage(usage_type) {
            EC2_COMPUTE
        } else {
            EC2_OTHER
        });
    }
    NAMES
        .binary_search_by(|(code, _)| code.cmp(&product))
        .ok()
        .map(|i| NAMES[i].1)
}

/// EC2 usage types Cost Explorer counts as compute: instance hours (on
/// demand, spot, dedicated, hosts, unused reservations) and reservation fees.
fn is_instance_usage(usage_type: &str) -> bool {
    const COMPUTE: &[&str] = &[
        "BoxUsage",
        "SpotUsage",
        "DedicatedUsage",
        "HostUsage",
        "HostBoxUsage",
        "ReservedHostUsage",
        "DedicatedRes",
        "UnusedBox",
        "UnusedDed",
        "SchedUsage",
        "HeavyUsage",
    ];
    COMPUTE.iter().any(|c| usage_type.contains(c))
}

/// Sorted by code, for the binary search.
const NAMES: &[(&str, &str)] = &[
    ("AWSBackup", "AWS Backup"),
    ("AWSCloudTrail", "AWS CloudTrail"),
    ("AWSConfig", "AWS Config"),
    ("AWSDataTransfer", "AWS Data Transfer"),
    ("AWSDatabaseMigrationSvc", "AWS Database Migration Service"),
    ("AWSDirectConnect", "AWS Direct Connect"),
    ("AWSELB", "Elastic Load Balancing"),
    ("AWSGlue", "AWS Glue"),
    ("AWSLambda", "AWS Lambda"),
    ("AWSQueueService", "Amazon Simple Queue Service"),
    ("AWSSecretsManager", "AWS Secrets Manager"),
    ("AWSTransfer", "AWS Transfer Family"),
    ("AmazonApiGateway", "Amazon API Gateway"),
    ("AmazonAthena", "Amazon Athena"),
    ("AmazonCloudFront", "Amazon CloudFront"),
    ("AmazonCloudWatch", "AmazonCloudWatch"),
    (
        "AmazonDocDB",
        "Amazon DocumentDB (with MongoDB compatibility)",
    ),
    ("AmazonDynamoDB", "Amazon DynamoDB"),
    ("AmazonECR", "Amazon EC2 Container Registry (ECR)"),
    ("AmazonECS", "Amazon Elastic Container Service"),
    ("AmazonEFS", "Amazon Elastic File System"),
    ("AmazonEKS", "Amazon Elastic Kubernetes Service"),
    ("AmazonES", "Amazon OpenSearch Service"),
    ("AmazonElastiCache", "Amazon ElastiCache"),
    ("AmazonFSx", "Amazon FSx"),
    ("AmazonGuardDuty", "Amazon GuardDuty"),
    ("AmazonKinesis", "Amazon Kinesis"),
    ("AmazonMQ", "Amazon MQ"),
    ("AmazonMSK", "Amazon Managed Streaming for Apache Kafka"),
    ("AmazonRDS", "Amazon Relational Database Service"),
    ("AmazonRedshift", "Amazon Redshift"),
    ("AmazonRoute53", "Amazon Route 53"),
    ("AmazonS3", "Amazon Simple Storage Service"),
    ("AmazonSNS", "Amazon Simple Notification Service"),
    ("AmazonSageMaker", "Amazon SageMaker"),
    ("AmazonStates", "AWS Step Functions"),
    ("AmazonVPC", "Amazon Virtual Private Cloud"),
    ("AmazonWorkSpaces", "Amazon WorkSpaces"),
    ("ElasticMapReduce", "Amazon Elastic MapReduce"),
    ("awskms", "AWS Key Management Service"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_sorted_for_the_search() {
        assert!(NAMES.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn ec2_splits_like_cost_explorer() {
        assert_eq!(
            cost_explorer_name("AmazonEC2", "USE1-BoxUsage:m5.large"),
            Some("Amazon Elastic Compute Cloud - Compute")
        );
        assert_eq!(
            cost_explorer_name("AmazonEC2", "EBS:VolumeUsage.gp3"),
            Some("EC2 - Other")
        );
        assert_eq!(
            cost_explorer_name("AmazonEC2", "USE1-NatGateway-Hours"),
            Some("EC2 - Other")
        );
        assert_eq!(
            cost_explorer_name("AmazonRDS", "InstanceUsage:db.r5.large"),
            Some("Amazon Relational Database Service")
        );
        assert_eq!(cost_explorer_name("AWSGlobalWidgets", ""), None);
    }

    #[test]
    fn every_default_eligible_code_has_cost_explorer_names() {
        for code in crate::config::DEFAULT_ELIGIBLE_SERVICES {
            let names = names_of(code);
            assert!(
                !names.is_empty() && names.iter().all(|n| n != code),
                "{code} has no Cost Explorer name"
            );
            assert!(names.iter().all(|n| code_of(n) == Some(code)));
        }
    }
}
