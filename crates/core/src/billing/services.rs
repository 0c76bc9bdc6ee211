//! Billing files name a service by product code (`AmazonEC2`); Cost
//! Explorer's SERVICE dimension by name ("Amazon Elastic Compute Cloud -
//! Compute"). This maps one to the other: for the Included Services
//! List's services by its rows ([`super::included`]), for a few others
//! here. EC2 is two services in Cost Explorer: instance usage is
//! "- Compute", the rest (EBS, NAT, IP addresses, data transfer) is "EC2 -
//! Other"; the usage type tells them apart. A code not known keeps its
//! code as its name, and the report says so.

use super::included;
use std::collections::HashMap;
use std::sync::LazyLock;

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

/// Product code → Cost Explorer names, and name → code: the list's rows
/// first, then [`OTHERS`].
struct Index {
    names: HashMap<&'static str, Vec<&'static str>>,
    codes: HashMap<&'static str, &'static str>,
}

static INDEX: LazyLock<Index> = LazyLock::new(|| {
    let mut index = Index {
        names: HashMap::new(),
        codes: HashMap::new(),
    };
    let listed = included::rows().map(|(_, r)| (r.code, r.cost_explorer));
    let others = OTHERS
        .iter()
        .map(|(code, name)| (*code, std::slice::from_ref(name)));
    for (code, names) in listed.chain(others) {
        let known = index.names.entry(code).or_default();
        for name in names {
            if !known.contains(name) {
                known.push(name);
            }
            index.codes.entry(name).or_insert(code);
        }
    }
    index
});

/// The product code Cost Explorer's `name` stands for, when known.
pub fn code_of(name: &str) -> Option<&'static str> {
    INDEX.codes.get(name).copied()
}

/// The Cost Explorer names an entry of `map.eligible_services` stands
/// for: a known product code its names (EC2 has two), anything else itself.
pub fn names_of(entry: &str) -> Vec<&str> {
    match INDEX.names.get(entry) {
        Some(names) if !names.is_empty() => names.clone(),
        _ => vec![entry],
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
    INDEX.names.get(product).and_then(|n| n.first().copied())
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

/// Services not on the Included Services List, by code: so a bill's
/// lines of them are reported under Cost Explorer's names.
const OTHERS: &[(&str, &str)] = &[
    ("AWSCloudTrail", "AWS CloudTrail"),
    ("AWSConfig", "AWS Config"),
    ("AWSDataTransfer", "AWS Data Transfer"),
    ("AmazonGuardDuty", "Amazon GuardDuty"),
    ("AWSCostExplorer", "AWS Cost Explorer"),
];

#[cfg(test)]
mod tests {
    use super::*;

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
    fn every_listed_service_has_cost_explorer_names_that_lead_back_to_it() {
        for r in included::SERVICES {
            let names = names_of(r.code);
            assert!(
                INDEX.names.contains_key(r.code) && !names.is_empty(),
                "{} has no Cost Explorer name",
                r.code
            );
            assert!(
                names.iter().all(|n| code_of(n) == Some(r.code)),
                "{}",
                r.code
            );
        }
        assert_eq!(code_of("AWS CloudTrail"), Some("AWSCloudTrail"));
        assert_eq!(names_of("AWSGlobalWidgets"), ["AWSGlobalWidgets"]);
    }
}
