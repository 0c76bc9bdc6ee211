//! The list's exclusions as Cost Explorer can apply them. Its figures
//! cannot be judged line by line, and its filters match whole dimension
//! values only, so the usage types the eligible services billed are read
//! first (SERVICE × USAGE_TYPE); those the rules leave out become, per
//! service, a filter of exact values. Exclusions by operation become
//! filters of their own. What Cost Explorer cannot show is said.

use crate::billing::eligible::Eligibility;
use crate::billing::included::{Match, RuleKind};

/// What Cost Explorer's filters leave out of the eligible services' spend.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Excluded {
    /// Per Cost Explorer service name, the usage types it billed that do
    /// not count (data transfer, S3 requests, …), sorted.
    pub usage_types: Vec<(String, Vec<String>)>,
    /// Per Cost Explorer service name, the operations that do not count.
    pub operations: Vec<(String, Vec<String>)>,
    /// What the filters cannot apply, in words.
    pub assumptions: Vec<String>,
}

impl Excluded {
    pub fn is_empty(&self) -> bool {
        self.usage_types.is_empty() && self.operations.is_empty()
    }
}

/// The exclusions for the `billed` (service name, usage type) pairs.
pub fn for_cost_explorer(rules: &Eligibility<'_>, billed: &[(String, String)]) -> Excluded {
    let mut out = Excluded::default();
    for (service, usage_type) in billed {
        if rules.counts_in_cost_explorer(service, usage_type, "") || !rules.lists(service) {
            continue;
        }
        let at = match out.usage_types.iter().position(|(s, _)| s == service) {
            Some(i) => i,
            None => {
                out.usage_types.push((service.clone(), Vec::new()));
                out.usage_types.len() - 1
            }
        };
        let list = &mut out.usage_types[at].1;
        if !list.contains(usage_type) {
            list.push(usage_type.clone());
        }
    }
    for (_, list) in &mut out.usage_types {
        list.sort();
    }
    out.usage_types.sort();
    // Only services that billed need a filter (each query costs).
    out.operations = operations(rules)
        .into_iter()
        .filter(|(s, _)| billed.iter().any(|(b, _)| b == s))
        .collect();
    out.assumptions = assumptions(rules);
    out
}

/// The exclusions by operation of the services in effect.
fn operations(rules: &Eligibility<'_>) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for e in rules.services {
        let ops: Vec<String> = e
            .list_rows()
            .flat_map(|r| r.rules)
            .filter(|r| r.kind == RuleKind::Excludes)
            .flat_map(|r| r.matches)
            .filter_map(|m| match m {
                Match::Operation(op) => Some(op.to_string()),
                _ => None,
            })
            .collect();
        if ops.is_empty() {
            continue;
        }
        for name in e.cost_explorer_names() {
            if !out.iter().any(|(n, _)| n == name) {
                out.push((name.to_string(), ops.clone()));
            }
        }
    }
    out
}

/// What Cost Explorer cannot apply: entries it has no name for (the
/// third-party Bedrock models, named by their Marketplace listings).
fn assumptions(rules: &Eligibility<'_>) -> Vec<String> {
    let unnamed: Vec<&str> = rules
        .services
        .iter()
        .filter(|e| e.cost_explorer_names().is_empty())
        .map(|e| e.listed().map_or(e.service.as_str(), |r| r.name))
        .collect();
    if unnamed.is_empty() {
        return Vec::new();
    }
    let shown = unnamed
        .iter()
        .take(3)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    vec![format!(
        "Cost Explorer names {} eligible product(s) by names the list does not give ({shown}, …: third-party Bedrock models, named by their Marketplace listings): their spend is not counted as eligible from Cost Explorer; a bill (`--cost`) counts them by product code",
        unnamed.len(),
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::billing::eligible::{default_services, EligibleService};

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn each_service_leaves_out_exactly_the_usage_types_its_rules_exclude() {
        let list = default_services();
        let rules = Eligibility { services: &list };
        let billed = pairs(&[
            ("Amazon Simple Storage Service", "TimedStorage-ByteHrs"),
            ("Amazon Simple Storage Service", "Requests-Tier1"),
            (
                "Amazon Simple Storage Service",
                "USE1-DataTransfer-Out-Bytes",
            ),
            ("AmazonCloudWatch", "USE1-TimedStorage-ByteHrs"),
            ("AmazonCloudWatch", "USE1-CW:MetricMonitorUsage"),
            (
                "Amazon Elastic Container Service for Kubernetes",
                "USE1-Fargate-GB-Hours",
            ),
            ("Amazon Elastic Container Service", "USE1-Fargate-GB-Hours"),
            ("EC2 - Other", "USE1-DataTransfer-Out-Bytes"),
            ("EC2 - Other", "EBS:VolumeUsage.gp3"),
            ("AWS CloudTrail", "USE1-PaidEventsRecorded"),
            ("AWS Payment Cryptography", "USE1-Requests"),
        ]);
        let x = for_cost_explorer(&rules, &billed);
        assert_eq!(
            x.usage_types,
            [
                (
                    "Amazon Elastic Container Service for Kubernetes".to_string(),
                    vec!["USE1-Fargate-GB-Hours".to_string()]
                ),
                (
                    "Amazon Simple Storage Service".into(),
                    vec![
                        "Requests-Tier1".into(),
                        "USE1-DataTransfer-Out-Bytes".into()
                    ]
                ),
                (
                    "AmazonCloudWatch".into(),
                    vec!["USE1-CW:MetricMonitorUsage".into()]
                ),
                (
                    "EC2 - Other".into(),
                    vec!["USE1-DataTransfer-Out-Bytes".into()]
                ),
            ]
        );
        assert_eq!(
            x.operations,
            [(
                "AWS Payment Cryptography".to_string(),
                [
                    "ListAliases",
                    "ListKeys",
                    "GetResourcePolicy",
                    "GetParametersForImport",
                    "GetParametersForExport",
                    "DeleteResourcePolicy",
                    "DeleteAlias",
                    "CreateKey",
                    "CreateAlias"
                ]
                .map(String::from)
                .to_vec()
            )]
        );
        assert_eq!(x.assumptions.len(), 1);
        assert!(x.assumptions[0].starts_with("Cost Explorer names 42 eligible product(s) by names the list does not give (Claude - 100K tokens, Claude 12k, Claude 3 Sonnet, …"), "{}", x.assumptions[0]);
        let none = for_cost_explorer(&rules, &billed[..1]);
        assert!(
            none.is_empty(),
            "nothing billed that the list leaves out: {none:?}"
        );
    }

    #[test]
    fn a_configured_list_keeps_the_lists_exclusions_of_its_services() {
        let mine = vec![EligibleService::named("AmazonS3")];
        let rules = Eligibility { services: &mine };
        let billed = pairs(&[
            ("Amazon Simple Storage Service", "Requests-Tier2"),
            ("Amazon Simple Storage Service", "TimedStorage-ByteHrs"),
        ]);
        let x = for_cost_explorer(&rules, &billed);
        assert_eq!(
            x.usage_types,
            [(
                "Amazon Simple Storage Service".to_string(),
                vec!["Requests-Tier2".to_string()]
            )]
        );
        assert!(x.operations.is_empty() && x.assumptions.is_empty());
        assert!(!x.is_empty());
    }
}
