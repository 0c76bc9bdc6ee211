//! Which spend can earn MAP credit: the agreement's eligible services
//! (`map.eligible_services`, by Cost Explorer name or bill product code,
//! each maybe from a date) less the usage a bill can tell apart and the
//! Included Services List leaves out (data transfer, S3 requests, Fargate
//! on EKS). A bill line is judged by its product code, usage type and day;
//! Cost Explorer's monthly figures by service name and month only.

use super::services::{self, UNNAMED};
use chrono::NaiveDate;
use serde::Serialize;

/// One entry of `map.eligible_services`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EligibleService {
    /// A Cost Explorer name ("Amazon Relational Database Service") or a
    /// bill product code (`AmazonRDS`).
    pub service: String,
    /// Eligible from this day on (AWS adds services to the list with an
    /// "eligible after" date); None: for the whole agreement.
    pub from: Option<NaiveDate>,
}

impl EligibleService {
    pub fn named(service: &str) -> EligibleService {
        EligibleService {
            service: service.to_string(),
            from: None,
        }
    }

    /// Whether this entry names the service a bill line counts under
    /// (`name`, Cost Explorer's or else the code) or its product code.
    fn names(&self, name: &str, product: &str) -> bool {
        self.service == name || (!product.is_empty() && self.service == product)
    }

    /// Whether this entry stands for Cost Explorer's service `name`: by
    /// that name, or by the product code it is billed under.
    fn stands_for(&self, name: &str) -> bool {
        self.service == name || services::code_of(name) == Some(self.service.as_str())
    }
}

/// Usage the Included Services List leaves out, told by usage type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Exclusion {
    /// `…DataTransfer…`, `…-Out-Bytes`, `…-In-Bytes`: any product.
    DataTransfer,
    /// `AmazonS3` request charges (`Requests-Tier1`…): storage counts.
    S3Requests,
    /// `AmazonEKS` Fargate usage (ECS on Fargate is not excluded).
    FargateOnEks,
}

impl Exclusion {
    /// The exclusion a bill line falls under, if any.
    pub fn of(product: &str, usage_type: &str) -> Option<Exclusion> {
        if usage_type.contains("DataTransfer")
            || usage_type.ends_with("-Out-Bytes")
            || usage_type.ends_with("-In-Bytes")
        {
            Some(Exclusion::DataTransfer)
        } else if product == "AmazonS3" && usage_type.contains("Requests-") {
            Some(Exclusion::S3Requests)
        } else if product == "AmazonEKS" && usage_type.contains("Fargate") {
            Some(Exclusion::FargateOnEks)
        } else {
            None
        }
    }
}

/// From when a kind of bill line counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    Never,
    Always,
    From(NaiveDate),
}

impl Since {
    pub fn on(self, day: NaiveDate) -> bool {
        match self {
            Since::Never => false,
            Since::Always => true,
            Since::From(from) => day >= from,
        }
    }
}

/// The agreement's eligibility rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Eligibility<'a> {
    pub services: &'a [EligibleService],
}

impl Eligibility<'_> {
    /// From when a bill line counts, billed under `name` (see
    /// [`services::of_line`]) with this product code and usage type: the
    /// earliest entry naming it.
    pub fn since(&self, name: &str, product: &str, usage_type: &str) -> Since {
        if name == UNNAMED {
            return Since::Always;
        }
        if Exclusion::of(product, usage_type).is_some() {
            return Since::Never;
        }
        self.services
            .iter()
            .filter(|e| e.names(name, product))
            .fold(Since::Never, |since, e| match (since, e.from) {
                (Since::Always, _) | (_, None) => Since::Always,
                (Since::Never, Some(day)) => Since::From(day),
                (Since::From(a), Some(b)) => Since::From(a.min(b)),
            })
    }

    /// A service by Cost Explorer name, for the month starting `month`: an
    /// entry dated within the month counts from the next one (a monthly
    /// figure cannot be split by day; the bill's can).
    pub fn of_month(&self, name: &str, month: NaiveDate) -> bool {
        name == UNNAMED
            || self
                .services
                .iter()
                .any(|e| e.stands_for(name) && e.from.is_none_or(|from| month >= from))
    }

    /// Whether the terms list `name` at all (at any date).
    pub fn lists(&self, name: &str) -> bool {
        name == UNNAMED || self.services.iter().any(|e| e.stands_for(name))
    }

    /// Cost Explorer's SERVICE names the entries stand for (a product code
    /// becomes the names Cost Explorer bills it under), for its filter.
    pub fn cost_explorer_names(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for e in self.services {
            for name in services::names_of(&e.service) {
                if !out.iter().any(|n| n == name) {
                    out.push(name.to_string());
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn terms() -> Vec<EligibleService> {
        vec![
            EligibleService::named("AmazonEC2"),
            EligibleService::named("Amazon Simple Storage Service"),
            EligibleService::named("AmazonEKS"),
            EligibleService {
                service: "AWSLambda".into(),
                from: Some(day("2026-03-15")),
            },
        ]
    }

    #[test]
    fn a_line_is_judged_by_code_or_name_usage_type_and_day() {
        let list = terms();
        let e = Eligibility { services: &list };
        let of_line = |name, product, usage, d| e.since(name, product, usage).on(d);
        let ec2 = "Amazon Elastic Compute Cloud - Compute";
        let d = day("2026-02-01");
        assert!(of_line(ec2, "AmazonEC2", "USE1-BoxUsage:m5.large", d));
        assert!(of_line(
            "EC2 - Other",
            "AmazonEC2",
            "EBS:VolumeUsage.gp3",
            d
        ));
        assert!(!of_line(
            "EC2 - Other",
            "AmazonEC2",
            "USE1-DataTransfer-Out-Bytes",
            d
        ));
        assert!(!of_line(
            "EC2 - Other",
            "AmazonEC2",
            "USE1-USW2-AWS-Out-Bytes",
            d
        ));
        let s3 = "Amazon Simple Storage Service";
        assert!(of_line(s3, "AmazonS3", "TimedStorage-ByteHrs", d));
        assert!(!of_line(s3, "AmazonS3", "Requests-Tier1", d));
        let eks = "Amazon Elastic Kubernetes Service";
        assert!(of_line(
            eks,
            "AmazonEKS",
            "USE1-AmazonEKS-Hours:perCluster",
            d
        ));
        assert!(!of_line(
            eks,
            "AmazonEKS",
            "USE1-Fargate-vCPU-Hours:perCPU",
            d
        ));
        let lambda = "AWS Lambda";
        assert!(!of_line(lambda, "AWSLambda", "Request", day("2026-03-14")));
        assert!(of_line(lambda, "AWSLambda", "Request", day("2026-03-15")));
        assert!(!of_line(
            "Amazon DynamoDB",
            "AmazonDynamoDB",
            "ReadCapacityUnit-Hrs",
            d
        ));
        assert!(of_line(UNNAMED, "", "", d), "no product named: eligible");
    }

    #[test]
    fn a_kind_of_line_counts_from_the_earliest_entry_naming_it() {
        let dated = |service: &str, from: &str| EligibleService {
            service: service.into(),
            from: Some(day(from)),
        };
        let list = vec![
            dated("AWSLambda", "2026-05-01"),
            dated("AWS Lambda", "2026-03-15"),
            dated("AmazonEKS", "2026-02-01"),
            EligibleService::named("Amazon Elastic Kubernetes Service"),
        ];
        let e = Eligibility { services: &list };
        let lambda = e.since("AWS Lambda", "AWSLambda", "Request");
        assert_eq!(lambda, Since::From(day("2026-03-15")));
        assert!(!lambda.on(day("2026-03-14")) && lambda.on(day("2026-03-15")));
        let eks = "Amazon Elastic Kubernetes Service";
        assert_eq!(
            e.since(eks, "AmazonEKS", "USE1-AmazonEKS-Hours"),
            Since::Always
        );
        assert_eq!(
            e.since(eks, "AmazonEKS", "USE1-Fargate-GB-Hours"),
            Since::Never
        );
        assert_eq!(
            e.since("Amazon DynamoDB", "AmazonDynamoDB", "x"),
            Since::Never
        );
    }

    #[test]
    fn a_month_counts_from_the_first_whole_month_of_a_dated_entry() {
        let list = terms();
        let e = Eligibility { services: &list };
        assert!(!e.of_month("AWS Lambda", day("2026-03-01")));
        assert!(e.of_month("AWS Lambda", day("2026-04-01")));
        assert!(e.of_month("EC2 - Other", day("2026-01-01")), "by code");
        assert!(e.lists("AWS Lambda"));
        assert!(!e.lists("Amazon DynamoDB"));
    }

    #[test]
    fn codes_become_cost_explorer_names_for_its_filter() {
        let list = terms();
        let names = Eligibility { services: &list }.cost_explorer_names();
        assert_eq!(
            names,
            [
                "Amazon Elastic Compute Cloud - Compute",
                "EC2 - Other",
                "Amazon Simple Storage Service",
                "Amazon Elastic Kubernetes Service",
                "AWS Lambda"
            ]
        );
    }
}
