//! The eligibility in effect, as reports state it: which list it follows
//! (`source.eligible_list`), every service with its date, exclusions and
//! origin (`credits --services`), and the assumptions it brings (what no
//! bill line shows, exclusions matched on the list's words, services the
//! list added after the agreement started).

use crate::billing::eligible::{EligibleService, Origin};
use crate::billing::included::{self, Basis, Listed, RuleKind};
use crate::billing::services;
use chrono::NaiveDate;
use serde::Serialize;

/// The published list an eligibility follows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EligibleList {
    pub name: &'static str,
    pub updated: NaiveDate,
}

/// The Included Services List, when some entry comes from it.
pub fn list_used(entries: &[EligibleService]) -> Option<EligibleList> {
    entries
        .iter()
        .any(|e| e.listed().is_some())
        .then(|| EligibleList {
            name: included::NAME,
            updated: included::updated(),
        })
}

/// The eligibility in one line, for the table and the HTML report.
pub fn in_one_line(entries: &[EligibleService]) -> String {
    let configured = entries.iter().filter(|e| e.listed().is_none()).count();
    match list_used(entries) {
        Some(l) if configured == 0 => format!(
            "eligible services: the {} updated {} ({} services and Bedrock models; `tagwarden credits --services` lists them)",
            l.name,
            l.updated,
            entries.len()
        ),
        Some(l) => format!(
            "eligible services: the {} updated {} and {configured} more from map.eligible_services (`tagwarden credits --services` lists them)",
            l.name, l.updated
        ),
        None => format!(
            "eligible services: the {configured} of map.eligible_services, in place of the {} (`tagwarden credits --services` lists them)",
            included::NAME
        ),
    }
}

/// One service of the eligibility in effect.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceView {
    /// As configured, or the list's product code.
    pub service: String,
    /// The list's name for it, when it is on the list.
    pub name: Option<&'static str>,
    pub cost_explorer_names: Vec<String>,
    pub from: Option<NaiveDate>,
    pub exclusions: Vec<ExclusionView>,
    /// What the list excludes of it that no bill line shows.
    pub not_visible: Vec<&'static str>,
    /// `list` or `configuration`.
    pub origin: Origin,
}

/// One rule of a service, in words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExclusionView {
    /// `only` (only this usage counts) or `excludes`.
    pub kind: &'static str,
    pub what: &'static str,
    /// The usage types and operations it looks for.
    pub matches: Vec<String>,
    /// `seen`: usage types AWS documents or bills show; `worded`: the
    /// list's own words looked for in usage types.
    pub basis: &'static str,
}

/// Every entry of the eligibility, with the list's rules that apply to it.
pub fn in_effect(entries: &[EligibleService]) -> Vec<ServiceView> {
    entries
        .iter()
        .map(|e| {
            let rows: Vec<&Listed> = e.list_rows().collect();
            ServiceView {
                service: e.service.clone(),
                name: e.listed().map(|r| r.name),
                cost_explorer_names: e
                    .cost_explorer_names()
                    .into_iter()
                    .map(str::to_string)
                    .collect(),
                from: e.from,
                exclusions: rows
                    .iter()
                    .flat_map(|r| r.rules)
                    .map(|r| ExclusionView {
                        kind: match r.kind {
                            RuleKind::Only => "only",
                            RuleKind::Excludes => "excludes",
                        },
                        what: r.what,
                        matches: r.matches.iter().map(|m| m.describe()).collect(),
                        basis: basis(r.basis),
                    })
                    .collect(),
                not_visible: rows.iter().flat_map(|r| r.unseen).copied().collect(),
                origin: e.origin,
            }
        })
        .collect()
}

fn basis(b: Basis) -> &'static str {
    match b {
        Basis::Seen => "seen",
        Basis::Worded => "worded",
    }
}

/// What eligibility assumes, in words: `start` is the agreement's first
/// day; `spent`: the services (Cost Explorer names or codes) with spend,
/// whose invisible exclusions and worded rules are named.
pub fn assumptions(entries: &[EligibleService], start: NaiveDate, spent: &[&str]) -> Vec<String> {
    let mut out = vec![what_counts(entries)];
    out.extend(added_later(entries, start));
    let spent_codes: Vec<&str> = spent
        .iter()
        .map(|s| services::code_of(s).unwrap_or(s))
        .collect();
    let touched: Vec<&EligibleService> = entries
        .iter()
        .filter(|e| {
            let code = services::code_of(&e.service).unwrap_or(&e.service);
            spent_codes.contains(&code)
        })
        .collect();
    let mut unseen: Vec<&str> = included::UNSEEN_EVERYWHERE.to_vec();
    let mut worded: Vec<&str> = Vec::new();
    for e in &touched {
        for r in e.list_rows() {
            unseen.extend(
                r.unseen
                    .iter()
                    .filter(|u| !unseen.contains(u))
                    .collect::<Vec<_>>(),
            );
            for rule in r.rules.iter().filter(|r| r.basis == Basis::Worded) {
                if !worded.contains(&rule.what) {
                    worded.push(rule.what);
                }
            }
        }
    }
    out.push(format!(
        "what the list excludes that no bill line shows is counted as eligible, not assumed away: {}",
        unseen.join("; ")
    ));
    if !worded.is_empty() {
        out.push(format!(
            "these exclusions of the list are found by its own words in usage types, as no bill or AWS document showing their usage types was found: {}",
            worded.join("; ")
        ));
    }
    out
}

fn what_counts(entries: &[EligibleService]) -> String {
    let source = match list_used(entries) {
        Some(l) => format!("the {} updated {}", l.name, l.updated),
        None => format!("the {} services of map.eligible_services", entries.len()),
    };
    format!(
        "eligible spend is the spend of {source}: data transfer is left out of every service, and each service's exclusions by usage type and operation (S3 requests, CloudWatch other than Logs, Fargate on EKS, and the rest: `tagwarden credits --services`); credits, refunds and taxes are left out"
    )
}

/// Entries whose date falls after the agreement's start: AWS adds
/// services "for migration plans accepted after" their day.
fn added_later(entries: &[EligibleService], start: NaiveDate) -> Option<String> {
    let later: Vec<String> = entries
        .iter()
        .filter_map(|e| {
            let from = e.from.filter(|f| *f > start)?;
            let name = e.listed().map_or(e.service.as_str(), |r| r.name);
            Some(format!("{name} from {from}"))
        })
        .collect();
    (!later.is_empty()).then(|| {
        format!(
            "{} service(s) count only from the day they became eligible, after the agreement started: {}; AWS words its additions as for migration plans accepted after that day, so if yours was accepted before, your agreement may not cover them (set map.eligible_services to its list); Cost Explorer's monthly figures count such a service from its first whole month",
            later.len(),
            later.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::billing::eligible::default_services;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_default_names_the_list_and_its_date() {
        let list = default_services();
        assert_eq!(
            list_used(&list),
            Some(EligibleList {
                name: "AWS Migrations Included Services List",
                updated: d("2026-04-06")
            })
        );
        assert!(in_one_line(&list).starts_with(
            "eligible services: the AWS Migrations Included Services List updated 2026-04-06 ("
        ));
        let mine = vec![EligibleService::named("AmazonEC2")];
        assert_eq!(list_used(&mine), None);
        assert_eq!(
            in_one_line(&mine),
            "eligible services: the 1 of map.eligible_services, in place of the AWS Migrations Included Services List (`tagwarden credits --services` lists them)"
        );
        let mut both = list.clone();
        both.push(EligibleService::named("AWSOutposts"));
        assert!(in_one_line(&both).contains("and 1 more from map.eligible_services"));
    }

    #[test]
    fn each_service_shows_its_date_exclusions_and_origin() {
        let mut entries = default_services();
        entries.push(EligibleService::named("Amazon Simple Storage Service"));
        let view = in_effect(&entries);
        let dax = view.iter().find(|v| v.service == "AmazonDAX").unwrap();
        assert_eq!(dax.from, Some(d("2026-03-27")));
        assert_eq!(dax.origin, Origin::List(20));
        let s3 = view.last().unwrap();
        assert_eq!(s3.origin, Origin::Configuration);
        assert_eq!(s3.cost_explorer_names, ["Amazon Simple Storage Service"]);
        let kinds: Vec<(&str, &str)> = s3.exclusions.iter().map(|x| (x.kind, x.what)).collect();
        assert_eq!(
            kinds,
            [
                ("only", "storage cost only (all storage tiers)"),
                ("excludes", "Requests"),
                ("excludes", "Glacier Deep Archive (the S3 Glacier row)")
            ]
        );
        let kms = view.iter().find(|v| v.service == "awskms").unwrap();
        assert_eq!(kms.not_visible, ["AWS KMS cross-account request costs"]);
    }

    #[test]
    fn assumptions_name_later_services_and_what_bills_cannot_show() {
        let list = default_services();
        let a = assumptions(
            &list,
            d("2026-01-01"),
            &["AWS Key Management Service", "AmazonGameLift"],
        );
        assert!(a[0].starts_with("eligible spend is the spend of the AWS Migrations Included Services List updated 2026-04-06"), "{}", a[0]);
        assert!(
            a[1].contains("Amazon DynamoDB Accelerator (DAX) from 2026-03-27"),
            "{}",
            a[1]
        );
        assert!(a[1].contains("Claude Opus 4.6 from 2026-02-11"), "{}", a[1]);
        assert!(
            !a[1].contains("Amazon Kendra"),
            "eligible before the agreement"
        );
        assert_eq!(
            a[2],
            "what the list excludes that no bill line shows is counted as eligible, not assumed away: third-party software license costs; AWS KMS cross-account request costs"
        );
        assert_eq!(
            a[3],
            "these exclusions of the list are found by its own words in usage types, as no bill or AWS document showing their usage types was found: GameLift Anywhere, FleetIQ, and FlexMatch"
        );
        let mine = vec![EligibleService::named("AmazonEC2")];
        let a = assumptions(&mine, d("2026-01-01"), &["EC2 - Other"]);
        assert_eq!(a.len(), 2, "{a:?}");
        assert!(a[0].contains("the 1 services of map.eligible_services"));
    }
}
