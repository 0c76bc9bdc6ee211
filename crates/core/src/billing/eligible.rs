//! Which spend can earn MAP credit: the agreement's eligible services
//! (`map.eligible_services`, by Cost Explorer name or bill product code,
//! each maybe from a date; by default AWS's Migrations Included Services
//! List, [`super::included`]) less the usage the list leaves out (data
//! transfer everywhere, and each service's exclusions by usage type or
//! operation). A bill line is judged by its product code, usage type,
//! operation and day; Cost Explorer's monthly figures by service name and
//! month, its exclusions by usage type and operation in its filters.

use super::included::{self, Listed};
use super::services::{self, UNNAMED};
use chrono::NaiveDate;
use serde::Serialize;

/// One entry of the eligibility in effect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EligibleService {
    /// A Cost Explorer name ("Amazon Relational Database Service") or a
    /// bill product code (`AmazonRDS`).
    pub service: String,
    /// Eligible from this day on (AWS adds services to the list with an
    /// "eligible after" date); None: for the whole agreement.
    pub from: Option<NaiveDate>,
    /// Where it comes from.
    pub origin: Origin,
}

/// Where an entry of the eligibility comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Row `n` of the Included Services List ([`included::row`]).
    List(u16),
    /// `map.eligible_services`.
    Configuration,
}

impl Origin {
    /// `list` or `configuration`, as reports say it.
    pub fn name(self) -> &'static str {
        match self {
            Origin::List(_) => "list",
            Origin::Configuration => "configuration",
        }
    }
}

impl Serialize for Origin {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// The Included Services List as eligibility: each row from its day.
pub fn default_services() -> Vec<EligibleService> {
    included::rows()
        .map(|(i, r)| EligibleService {
            service: r.code.to_string(),
            from: r.from(),
            origin: Origin::List(i),
        })
        .collect()
}

impl EligibleService {
    /// A configured entry for the whole agreement.
    pub fn named(service: &str) -> EligibleService {
        EligibleService {
            service: service.to_string(),
            from: None,
            origin: Origin::Configuration,
        }
    }

    /// The list's row this entry is, if it is one.
    pub fn listed(&self) -> Option<&'static Listed> {
        match self.origin {
            Origin::List(i) => included::row(i),
            Origin::Configuration => None,
        }
    }

    /// Whether this entry names the service a bill line counts under
    /// (`name`, Cost Explorer's or else the code) or its product code.
    fn names(&self, name: &str, product: &str) -> bool {
        self.service == name || (!product.is_empty() && self.service == product)
    }

    /// Whether this entry stands for Cost Explorer's service `name`
    /// (whose product code is `code`, when known).
    fn stands_for(&self, name: &str, code: Option<&str>) -> bool {
        match self.listed() {
            Some(row) => row.cost_explorer.contains(&name),
            None => self.service == name || code == Some(self.service.as_str()),
        }
    }

    /// The list's rows whose rules apply to this entry's lines: its own
    /// row, or for a configured entry every row of its product code (an
    /// agreement naming a service keeps the list's exclusions of it).
    pub fn list_rows(&self) -> impl Iterator<Item = &'static Listed> + '_ {
        let own = self.listed();
        let code = services::code_of(&self.service).unwrap_or(&self.service);
        own.into_iter()
            .chain(included::rows_of(code).filter(move |_| own.is_none()))
    }

    /// Whether the list's rules let a line of this entry count.
    fn lets_count(&self, usage_type: &str, operation: &str) -> bool {
        let mut rows = self.list_rows().peekable();
        rows.peek().is_none() || rows.any(|r| r.counts(usage_type, operation))
    }

    /// Cost Explorer's SERVICE names this entry stands for.
    pub fn cost_explorer_names(&self) -> Vec<&str> {
        match self.listed() {
            Some(row) => row.cost_explorer.to_vec(),
            None => services::names_of(&self.service),
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

/// What a bill line is, as eligibility reads it.
#[derive(Debug, Clone, Copy)]
pub struct LineKind<'a> {
    /// The service it counts under (see [`services::of_line`]).
    pub name: &'a str,
    pub product: &'a str,
    pub usage_type: &'a str,
    pub operation: &'a str,
}

/// The agreement's eligibility rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Eligibility<'a> {
    pub services: &'a [EligibleService],
}

impl Eligibility<'_> {
    /// From when a kind of bill line counts: the earliest entry naming it
    /// whose list rules let it count. Data transfer never does.
    pub fn since(&self, line: LineKind<'_>) -> Since {
        if line.name == UNNAMED {
            return Since::Always;
        }
        if included::is_data_transfer(line.usage_type) {
            return Since::Never;
        }
        self.services
            .iter()
            .filter(|e| e.names(line.name, line.product))
            .filter(|e| e.lets_count(line.usage_type, line.operation))
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
        let code = services::code_of(name);
        name == UNNAMED
            || self
                .services
                .iter()
                .any(|e| e.stands_for(name, code) && e.from.is_none_or(|from| month >= from))
    }

    /// Whether the terms list `name` at all (at any date).
    pub fn lists(&self, name: &str) -> bool {
        let code = services::code_of(name);
        name == UNNAMED || self.services.iter().any(|e| e.stands_for(name, code))
    }

    /// Cost Explorer's SERVICE names the entries stand for (a product code
    /// becomes the names Cost Explorer bills it under), for its filter.
    pub fn cost_explorer_names(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for e in self.services {
            for name in e.cost_explorer_names() {
                if !out.iter().any(|n| n == name) {
                    out.push(name.to_string());
                }
            }
        }
        out
    }

    /// Whether a Cost Explorer line of service `name` with this usage type
    /// and operation counts on some day (its exclusions, not its date).
    pub fn counts_in_cost_explorer(&self, name: &str, usage_type: &str, operation: &str) -> bool {
        let code = services::code_of(name).unwrap_or(name);
        !included::is_data_transfer(usage_type)
            && self
                .services
                .iter()
                .any(|e| e.stands_for(name, Some(code)) && e.lets_count(usage_type, operation))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn since(e: &Eligibility<'_>, name: &str, product: &str, usage_type: &str) -> Since {
        e.since(LineKind {
            name,
            product,
            usage_type,
            operation: "",
        })
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn terms() -> Vec<EligibleService> {
        vec![
            EligibleService::named("AmazonEC2"),
            EligibleService::named("Amazon Simple Storage Service"),
            EligibleService::named("AmazonEKS"),
            EligibleService {
                from: Some(day("2026-03-15")),
                ..EligibleService::named("AWSLambda")
            },
        ]
    }

    #[test]
    fn a_line_is_judged_by_code_or_name_usage_type_and_day() {
        let list = terms();
        let e = Eligibility { services: &list };
        let of_line = |name, product, usage, d| since(&e, name, product, usage).on(d);
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
        let eks = "Amazon Elastic Container Service for Kubernetes";
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
            from: Some(day(from)),
            ..EligibleService::named(service)
        };
        let list = vec![
            dated("AWSLambda", "2026-05-01"),
            dated("AWS Lambda", "2026-03-15"),
            dated("AmazonEKS", "2026-02-01"),
            EligibleService::named("Amazon Elastic Container Service for Kubernetes"),
        ];
        let e = Eligibility { services: &list };
        let lambda = since(&e, "AWS Lambda", "AWSLambda", "Request");
        assert_eq!(lambda, Since::From(day("2026-03-15")));
        assert!(!lambda.on(day("2026-03-14")) && lambda.on(day("2026-03-15")));
        let eks = "Amazon Elastic Container Service for Kubernetes";
        assert_eq!(
            since(&e, eks, "AmazonEKS", "USE1-AmazonEKS-Hours"),
            Since::Always
        );
        assert_eq!(
            since(&e, eks, "AmazonEKS", "USE1-Fargate-GB-Hours"),
            Since::Never
        );
        assert_eq!(
            since(&e, "Amazon DynamoDB", "AmazonDynamoDB", "x"),
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
                "Amazon Elastic Container Service for Kubernetes",
                "AWS Lambda"
            ]
        );
    }
}
