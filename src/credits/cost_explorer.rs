//! Cost Explorer's side: `GetCostAndUsage` queries (monthly, over the
//! agreement): the eligible services' usage types (SERVICE × USAGE_TYPE),
//! from which the list's exclusions become exact filters
//! ([`tagwarden_core::credits::excluded`]); all spend by MAP tag value
//! (per key of `map.tag`, the spend without the keys before it) and
//! SERVICE, the excluded part apart; eligible
//! spend by value and LINKED_ACCOUNT; with `map.workload_tags`, eligible
//! spend by value and each workload tag (the spend carrying none of the
//! tags before it); and Credit records. Credits, refunds and taxes are left
//! out of spend by RECORD_TYPE. A service eligible from a date adds one
//! query per grouping from its first whole month. `--workload` narrows
//! every query by tag. Then `ListCostAllocationTags` says whether the tag
//! is active.
//!
//! Cost Explorer charges USD 0.01 per request, every page included: a run
//! makes 4 when the eligible services billed (plus one for spend the list
//! leaves out, one per workload tag and per date a billed service became
//! eligible, one per grouping for a second key in `map.tag`, and one page
//! per ~5,000 groups), and the report says how many it made.

use super::filters::{
    all_of, dimension, each_without_earlier, left_out, not, period, spend_only, workload_is,
};
use super::{AnswerCache, Billing};
use crate::aws::{Aws, AwsError, Quota, Zone};
use crate::error::{Error, Result};
use aws_sdk_costexplorer::types::{
    DateInterval, Dimension, Expression, Granularity, GroupDefinition, GroupDefinitionType,
    ResultByTime,
};
use chrono::{Datelike, NaiveDate};
use tagwarden_core::billing::eligible::{Eligibility, EligibleService};
use tagwarden_core::billing::NO_WORKLOAD;
use tagwarden_core::config::MapAgreement;
use tagwarden_core::credits::excluded;
use tagwarden_core::credits::{Cell, Origin, Received, Scheme};
use tagwarden_core::policy::map_format::MapTags;
use tagwarden_core::report::TagActivation;

const METRIC: &str = "UnblendedCost";

/// What is asked: the days [start, end), and maybe one workload.
#[derive(Debug, Clone, Copy)]
pub struct Asked<'a> {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub workload: Option<&'a str>,
}

/// Read the agreement's spend as `asked`.
pub async fn read(
    aws: &Aws,
    terms: &MapAgreement,
    asked: Asked<'_>,
    cache: &AnswerCache,
) -> Result<Billing> {
    let ce = aws.cost_explorer();
    let query = Query {
        aws,
        ce: &ce,
        map: &terms.tags,
    };
    let scope = Scope {
        terms,
        asked,
        left_out: None,
        billed: Vec::new(),
    };
    let key = |kind: &str| cache_key(kind, terms, asked);
    let whole = period(asked.start, asked.end);
    let (billed, c0) = cache
        .get_or(&key("billed"), scope.billed(&query, &whole))
        .await?;
    let rules = Eligibility {
        services: &terms.eligible_services,
    };
    let excluded = excluded::for_cost_explorer(&rules, &billed);
    let mut billed_names: Vec<String> = billed.iter().map(|(s, _)| s.clone()).collect();
    billed_names.dedup();
    let scope = Scope {
        left_out: left_out(&excluded),
        billed: billed_names,
        ..scope
    };
    let (by_service, c1) = cache
        .get_or(&key("by_service"), scope.by_service(&query, &whole))
        .await?;
    let (by_account, c2) = cache
        .get_or(&key("by_account"), scope.by_account(&query))
        .await?;
    let (by_workload, c3) = match terms.workload_tags.is_empty() {
        true => (Vec::new(), true),
        false => {
            cache
                .get_or(&key("by_workload"), scope.by_workload(&query))
                .await?
        }
    };
    let credits = scope.narrow(dimension(Dimension::RecordType, &["Credit".to_string()]));
    let (received, c4) = cache
        .get_or(&key("received"), query.received(&whole, &credits))
        .await?;
    let (tag_activation, warnings) = tag_activation(aws, &ce, &terms.tags).await;
    Ok(Billing {
        by_service,
        by_account,
        by_workload,
        received,
        tag_activation,
        warnings,
        cached: c0 && c1 && c2 && c3 && c4,
        origin: Origin::CostExplorer,
        assumptions: excluded.assumptions,
    })
}

/// The store's key of an answer: the query, its period, the terms it
/// depends on and the workload asked for.
fn cache_key(kind: &str, terms: &MapAgreement, asked: Asked<'_>) -> String {
    let tags: Vec<&str> = terms.tags.iter().map(|t| t.scheme.key()).collect();
    format!(
        "v4|{kind}|{}|{}|{:?}|{:?}|{:?}|{tags:?}",
        asked.start, asked.end, terms.eligible_services, terms.workload_tags, asked.workload,
    )
}

/// The agreement's terms and what is asked, as Cost Explorer filters.
struct Scope<'a> {
    terms: &'a MapAgreement,
    asked: Asked<'a>,
    /// The eligible services' spend the list leaves out (None: none).
    left_out: Option<Expression>,
    /// The eligible services with spend, by Cost Explorer name.
    billed: Vec<String>,
}

impl Scope<'_> {
    /// `filter`, narrowed to the workload asked for.
    fn narrow(&self, filter: Expression) -> Expression {
        match self.asked.workload {
            Some(w) => all_of(vec![filter, workload_is(&self.terms.workload_tags, w)]),
            None => filter,
        }
    }

    /// The usage types the eligible services billed, by service.
    async fn billed(
        &self,
        query: &Query<'_>,
        whole: &DateInterval,
    ) -> Result<Vec<(String, String)>> {
        let names = Eligibility {
            services: &self.terms.eligible_services,
        }
        .cost_explorer_names();
        let filter = self.narrow(all_of(vec![
            spend_only(),
            dimension(Dimension::Service, &names),
        ]));
        query
            .pairs(whole, &filter, [Dimension::Service, Dimension::UsageType])
            .await
    }

    /// All spend by value and service; what the list leaves out of the
    /// eligible services is asked apart and marked not eligible.
    async fn by_service(&self, query: &Query<'_>, whole: &DateInterval) -> Result<Vec<Cell>> {
        let group = Group::Dimension(Dimension::Service);
        let Some(left_out) = &self.left_out else {
            return query.cells(whole, &self.narrow(spend_only()), &group).await;
        };
        let counted = self.narrow(all_of(vec![spend_only(), not(left_out.clone())]));
        let mut cells = query.cells(whole, &counted, &group).await?;
        let apart = self.narrow(all_of(vec![spend_only(), left_out.clone()]));
        let mut excluded = query.cells(whole, &apart, &group).await?;
        for c in &mut excluded {
            c.eligible = Some(false);
        }
        cells.extend(excluded);
        Ok(cells)
    }

    /// The parts of an eligible-spend filter: spend of `names`, less what
    /// the list leaves out.
    fn eligible(&self, names: &[String]) -> Vec<Expression> {
        let mut parts = vec![spend_only(), dimension(Dimension::Service, names)];
        parts.extend(self.left_out.clone().map(not));
        parts
    }

    /// Eligible spend by value and account: one query per date services
    /// become eligible from.
    async fn by_account(&self, query: &Query<'_>) -> Result<Vec<Cell>> {
        let mut cells = Vec::new();
        for (from, names) in
            eligible_periods(&self.terms.eligible_services, self.asked, &self.billed)
        {
            let filter = self.narrow(all_of(self.eligible(&names)));
            let group = Group::Dimension(Dimension::LinkedAccount);
            cells.extend(
                query
                    .cells(&period(from, self.asked.end), &filter, &group)
                    .await?,
            );
        }
        Ok(cells)
    }

    /// Eligible spend by value and workload: per workload tag, the spend
    /// that carries none of the tags before it, grouped by it; spend with
    /// none of them is `(no workload)`.
    async fn by_workload(&self, query: &Query<'_>) -> Result<Vec<Cell>> {
        let tags = &self.terms.workload_tags;
        let mut cells = Vec::new();
        for (from, names) in
            eligible_periods(&self.terms.eligible_services, self.asked, &self.billed)
        {
            let keys: Vec<&str> = tags.iter().map(String::as_str).collect();
            for (key, filter, last) in each_without_earlier(&self.eligible(&names), &keys) {
                let filter = self.narrow(filter);
                let group = Group::Workload { key, last };
                cells.extend(
                    query
                        .cells(&period(from, self.asked.end), &filter, &group)
                        .await?,
                );
            }
        }
        Ok(cells)
    }
}

/// The eligible services' Cost Explorer names by the day they count from:
/// the asked start, or for a dated entry its first whole month (a monthly
/// figure cannot be split by day). Only the services that `billed` are
/// asked for: a date of a service with no spend costs no query.
fn eligible_periods(
    entries: &[EligibleService],
    asked: Asked<'_>,
    billed: &[String],
) -> Vec<(NaiveDate, Vec<String>)> {
    let mut out: Vec<(NaiveDate, Vec<String>)> = Vec::new();
    for e in entries {
        let from = e
            .from
            .map_or(asked.start, |f| first_whole_month(f).max(asked.start));
        if from >= asked.end {
            continue;
        }
        let names: Vec<String> = Eligibility {
            services: std::slice::from_ref(e),
        }
        .cost_explorer_names()
        .into_iter()
        .filter(|n| billed.contains(n))
        .collect();
        if names.is_empty() {
            continue;
        }
        match out.iter_mut().find(|(d, _)| *d == from) {
            Some((_, all)) => {
                for n in names {
                    if !all.contains(&n) {
                        all.push(n);
                    }
                }
            }
            None => out.push((from, names)),
        }
    }
    out.sort_by_key(|(d, _)| *d);
    out
}

fn first_whole_month(day: NaiveDate) -> NaiveDate {
    if day.day() == 1 {
        return day;
    }
    let (y, m) = match day.month() {
        12 => (day.year() + 1, 1),
        m => (day.year(), m + 1),
    };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(day)
}

/// The second grouping after the MAP tag.
enum Group<'a> {
    Dimension(Dimension),
    /// A workload tag; `last`: its absence is `(no workload)` (else that
    /// spend belongs to a later tag's query).
    Workload {
        key: &'a str,
        last: bool,
    },
}

impl Group<'_> {
    fn definition(&self) -> GroupDefinition {
        match self {
            Group::Dimension(d) => GroupDefinition::builder()
                .r#type(GroupDefinitionType::Dimension)
                .key(d.as_str())
                .build(),
            Group::Workload { key, .. } => GroupDefinition::builder()
                .r#type(GroupDefinitionType::Tag)
                .key(*key)
                .build(),
        }
    }

    /// The cell key of a group key; None: not this query's spend.
    fn key(&self, raw: &str) -> Option<String> {
        match self {
            Group::Dimension(_) => Some(raw.to_string()),
            Group::Workload { key, last } => match tag_value(key, raw) {
                Some(v) => Some(v),
                None if *last => Some(NO_WORKLOAD.to_string()),
                None => None,
            },
        }
    }
}

struct Query<'a> {
    aws: &'a Aws,
    ce: &'a aws_sdk_costexplorer::Client,
    /// The MAP tags, in `map.tag`'s order.
    map: &'a MapTags,
}

impl Query<'_> {
    /// Every page of one query (Cost Explorer has no paginator for it).
    async fn pages(
        &self,
        period: &DateInterval,
        filter: &Expression,
        groups: &[GroupDefinition],
    ) -> Result<Vec<ResultByTime>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let req = self
                .ce
                .get_cost_and_usage()
                .time_period(period.clone())
                .granularity(Granularity::Monthly)
                .metrics(METRIC)
                .filter(filter.clone())
                .set_next_page_token(token.clone())
                .set_group_by((!groups.is_empty()).then(|| groups.to_vec()));
            let page = self
                .aws
                .api
                .call(
                    Quota::Caller(Zone::Region("us-east-1")),
                    "ce:GetCostAndUsage",
                    || req.clone().send(),
                )
                .await
                .map_err(read_error)?;
            out.extend(page.results_by_time().iter().cloned());
            match page.next_page_token() {
                Some(t) if Some(t) != token.as_deref() && !t.is_empty() => {
                    token = Some(t.to_string())
                }
                _ => return Ok(out),
            }
        }
    }

    /// Spend by MAP tag value and `group`, per month: per MAP tag, the
    /// spend that carries none of the tags before it, grouped by it (as a
    /// bill line is read under the first it carries); spend with none of
    /// them is untagged.
    async fn cells(
        &self,
        period: &DateInterval,
        filter: &Expression,
        group: &Group<'_>,
    ) -> Result<Vec<Cell>> {
        let first = self.map.first().scheme;
        let mut cells = Vec::new();
        for (scheme, filter, last) in per_key(self.map, filter) {
            for cell in self.cells_of(period, &filter, group, scheme).await? {
                match (&cell.tag, last) {
                    (Some(_), _) => cells.push(cell),
                    (None, true) => cells.push(Cell {
                        scheme: first,
                        ..cell
                    }),
                    // Not this key's spend: a later query's.
                    (None, false) => {}
                }
            }
        }
        Ok(cells)
    }

    /// Spend by the value of `scheme`'s key and `group`, per month.
    async fn cells_of(
        &self,
        period: &DateInterval,
        filter: &Expression,
        group: &Group<'_>,
        scheme: Scheme,
    ) -> Result<Vec<Cell>> {
        let key = scheme.key();
        let mut cells = Vec::new();
        let groups = [
            GroupDefinition::builder()
                .r#type(GroupDefinitionType::Tag)
                .key(key)
                .build(),
            group.definition(),
        ];
        for r in self.pages(period, filter, &groups).await? {
            let Some(month) = month_of(&r) else { continue };
            for g in r.groups() {
                let keys = g.keys();
                let (Some(tag), Some(key_of)) =
                    (keys.first(), keys.get(1).and_then(|k| group.key(k)))
                else {
                    continue;
                };
                let Some((amount, currency)) =
                    g.metrics().and_then(|m| m.get(METRIC)).and_then(amount)
                else {
                    continue;
                };
                cells.push(Cell {
                    month,
                    key: key_of,
                    tag: tag_value(key, tag),
                    scheme,
                    amount,
                    currency,
                    eligible: None,
                    workload: None,
                });
            }
        }
        Ok(cells)
    }

    /// The pairs of two dimensions' values with spend, over the period.
    async fn pairs(
        &self,
        period: &DateInterval,
        filter: &Expression,
        [a, b]: [Dimension; 2],
    ) -> Result<Vec<(String, String)>> {
        let groups = [a, b].map(|d| Group::Dimension(d).definition());
        let mut out = std::collections::BTreeSet::new();
        for r in self.pages(period, filter, &groups).await? {
            for g in r.groups() {
                if let [x, y] = g.keys() {
                    out.insert((x.clone(), y.clone()));
                }
            }
        }
        Ok(out.into_iter().collect())
    }

    /// Credit records per month (negative amounts).
    async fn received(&self, period: &DateInterval, filter: &Expression) -> Result<Vec<Received>> {
        let mut out = Vec::new();
        for r in self.pages(period, filter, &[]).await? {
            let Some(month) = month_of(&r) else { continue };
            if let Some((amount, currency)) = r.total().and_then(|t| t.get(METRIC)).and_then(amount)
            {
                out.push(Received {
                    month,
                    amount,
                    currency,
                });
            }
        }
        Ok(out)
    }
}

/// Per MAP key of `map.tag`, in order: the filter of its query (`filter`,
/// the keys before it absent) and whether it is the last (whose spend
/// without the key is untagged).
fn per_key(tags: &MapTags, filter: &Expression) -> Vec<(Scheme, Expression, bool)> {
    let keys: Vec<&str> = tags.iter().map(|t| t.scheme.key()).collect();
    each_without_earlier(std::slice::from_ref(filter), &keys)
        .into_iter()
        .zip(tags.iter())
        .map(|((_, filter, last), t)| (t.scheme, filter, last))
        .collect()
}

fn read_error(e: AwsError) -> Error {
    Error::Aws {
        what: "cannot read Cost Explorer (the credentials need ce:GetCostAndUsage, in the payer account for the whole organization)".into(),
        source: e,
    }
}

fn month_of(r: &ResultByTime) -> Option<NaiveDate> {
    r.time_period()?.start().parse().ok()
}

/// Cost Explorer's amount, a decimal string, parsed exactly.
fn amount(
    m: &aws_sdk_costexplorer::types::MetricValue,
) -> Option<(tagwarden_core::money::Decimal, String)> {
    let value = tagwarden_core::money::parse(m.amount()?)?;
    Some((value, m.unit().unwrap_or("USD").to_string()))
}

/// `map-migrated$migABCDE12345` → the value; `map-migrated$` → none. A
/// group key of tag `tag`.
fn tag_value(tag: &str, key: &str) -> Option<String> {
    let value = key
        .strip_prefix(tag)
        .and_then(|k| k.strip_prefix('$'))
        .unwrap_or(key);
    (!value.is_empty()).then(|| value.to_string())
}

/// Whether the MAP tags are active cost allocation tags: without it,
/// Cost Explorer shows all spend as untagged whatever the resources carry.
/// The status is the worst of the keys'; a warning per key not active.
pub(super) async fn tag_activation(
    aws: &Aws,
    ce: &aws_sdk_costexplorer::Client,
    tags: &MapTags,
) -> (TagActivation, Vec<String>) {
    let keys: Vec<&str> = tags.iter().map(|t| t.scheme.key()).collect();
    let statuses = match tag_statuses(aws, ce, &keys).await {
        Ok(statuses) => statuses,
        Err(e) => {
            let detail = format!("ListCostAllocationTags failed: {e}");
            let warning = format!("cannot tell whether {} is an active cost allocation tag ({e}); if it is not, all spend shows as untagged", keys.join(" or "));
            return (activation("unknown", &detail), vec![warning]);
        }
    };
    let mut warnings = Vec::new();
    let mut details = Vec::new();
    for (key, status) in statuses {
        let detail = match status.as_deref() {
            Some("Active") => continue,
            Some(s) => format!("the cost allocation tag {key} is {s}: activate it in the payer account (Billing > Cost allocation tags); until then Cost Explorer counts its spend as untagged"),
            None => format!("Cost Explorer does not know the tag {key} yet: no spend carrying it has been billed, or it is not activated"),
        };
        warnings.push(detail.clone());
        details.push(detail);
    }
    match details.is_empty() {
        true => (
            activation("active", "an active cost allocation tag"),
            warnings,
        ),
        false => (activation("inactive", &details.join("; ")), warnings),
    }
}

/// Each key's status as a cost allocation tag (`Active`, `Inactive`;
/// None: Cost Explorer does not know it), in one request (free).
pub(crate) async fn tag_statuses(
    aws: &Aws,
    ce: &aws_sdk_costexplorer::Client,
    keys: &[&str],
) -> Result<Vec<(String, Option<String>)>, AwsError> {
    // One attempt: an answer that fails says "unknown", it is not retried
    // for ever.
    let out = aws
        .api
        .call(
            Quota::Caller(Zone::Region("us-east-1")),
            "ce:ListCostAllocationTags",
            || {
                ce.list_cost_allocation_tags()
                    .set_tag_keys(Some(keys.iter().map(|k| k.to_string()).collect()))
                    .send()
            },
        )
        .await?;
    Ok(keys
        .iter()
        .map(|key| {
            let status = out
                .cost_allocation_tags()
                .iter()
                .find(|t| t.tag_key() == *key)
                .map(|t| t.status().as_str().to_string());
            (key.to_string(), status)
        })
        .collect())
}

fn activation(status: &'static str, detail: &str) -> TagActivation {
    TagActivation {
        status,
        detail: detail.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tagwarden_core::credits::excluded::Excluded;

    #[test]
    fn each_map_key_is_asked_over_the_spend_without_the_keys_before_it() {
        use super::super::filters::tag_absent;
        use tagwarden_core::policy::map_format::MapTag;
        let base = spend_only();
        let one = per_key(&MapTags::default(), &base);
        assert_eq!(one, [(Scheme::MapMigrated, base.clone(), true)]);
        let both = MapTags::new(
            Scheme::ALL
                .map(|scheme| MapTag { scheme, id: None })
                .to_vec(),
        )
        .unwrap();
        let two = per_key(&both, &base);
        assert_eq!(two[0], (Scheme::MapMigrated, base.clone(), false));
        assert_eq!(
            two[1],
            (
                Scheme::AwsApnId,
                all_of(vec![base, tag_absent("map-migrated")]),
                true
            )
        );
        let absent = &two[1].1.and()[1];
        assert_eq!(absent.tags().unwrap().key(), Some("map-migrated"));
        assert_eq!(
            absent.tags().unwrap().match_options(),
            [aws_sdk_costexplorer::types::MatchOption::Absent]
        );
    }

    #[test]
    fn tag_group_keys() {
        assert_eq!(
            tag_value("map-migrated", "map-migrated$migABCDE12345").as_deref(),
            Some("migABCDE12345")
        );
        assert_eq!(tag_value("map-migrated", "map-migrated$"), None);
        assert_eq!(
            tag_value("map-migrated", "map-migrated$a$b").as_deref(),
            Some("a$b")
        );
        assert_eq!(tag_value("app", "app$erp").as_deref(), Some("erp"));
    }

    /// (key, match) of a tag test.
    fn tag_test(e: &Expression) -> (String, String, Vec<String>) {
        let t = e.tags().expect("a tag test");
        (
            t.key().unwrap_or_default().to_string(),
            t.match_options()[0].as_str().to_string(),
            t.values().to_vec(),
        )
    }

    #[test]
    fn a_workload_is_the_first_of_its_tags_a_line_carries() {
        let tags = ["app".to_string(), "workload".to_string()];
        let e = workload_is(&tags, "erp");
        let [first, second] = e.or() else {
            panic!("one branch per tag: {e:?}")
        };
        assert_eq!(
            tag_test(first),
            ("app".into(), "EQUALS".into(), vec!["erp".into()])
        );
        let [absent, equals] = second.and() else {
            panic!("{second:?}")
        };
        assert_eq!(tag_test(absent), ("app".into(), "ABSENT".into(), vec![]));
        assert_eq!(
            tag_test(equals),
            ("workload".into(), "EQUALS".into(), vec!["erp".into()])
        );
        let none = workload_is(&tags, NO_WORKLOAD);
        let both: Vec<_> = none.and().iter().map(tag_test).collect();
        assert_eq!(
            both,
            [
                ("app".into(), "ABSENT".into(), vec![]),
                ("workload".into(), "ABSENT".into(), vec![])
            ]
        );
        let one = workload_is(&tags[..1], "erp");
        assert_eq!(tag_test(&one).1, "EQUALS", "a single test is not wrapped");
    }

    #[test]
    fn dated_services_count_from_their_first_whole_month() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let entries = [
            EligibleService::named("AmazonEC2"),
            EligibleService {
                from: Some(d("2026-02-15")),
                origin: tagwarden_core::billing::eligible::Origin::Configuration,
                service: "AWSLambda".into(),
            },
            EligibleService {
                from: Some(d("2025-06-01")),
                origin: tagwarden_core::billing::eligible::Origin::Configuration,
                service: "AmazonRDS".into(),
            },
            EligibleService {
                from: Some(d("2027-01-01")),
                origin: tagwarden_core::billing::eligible::Origin::Configuration,
                service: "AmazonS3".into(),
            },
        ];
        let asked = Asked {
            start: d("2026-01-01"),
            end: d("2026-04-10"),
            workload: None,
        };
        let names = Eligibility { services: &entries }.cost_explorer_names();
        let without_lambda: Vec<String> = names
            .iter()
            .filter(|n| *n != "AWS Lambda")
            .cloned()
            .collect();
        assert_eq!(
            eligible_periods(&entries, asked, &without_lambda).len(),
            1,
            "a dated service with no spend costs no query"
        );
        assert_eq!(
            eligible_periods(&entries, asked, &names),
            [
                (
                    d("2026-01-01"),
                    vec![
                        "Amazon Elastic Compute Cloud - Compute".to_string(),
                        "EC2 - Other".into(),
                        "Amazon Relational Database Service".into()
                    ]
                ),
                (d("2026-03-01"), vec!["AWS Lambda".to_string()]),
            ],
            "S3 is eligible only after the period asked"
        );
    }

    #[test]
    fn what_the_list_leaves_out_is_per_service_by_exact_usage_type_and_operation() {
        let x = Excluded {
            usage_types: vec![(
                "Amazon Simple Storage Service".into(),
                vec![
                    "Requests-Tier1".into(),
                    "USE1-DataTransfer-Out-Bytes".into(),
                ],
            )],
            operations: vec![("AWS Payment Cryptography".into(), vec!["CreateKey".into()])],
            assumptions: vec![],
        };
        let e = left_out(&x).unwrap();
        let parts: Vec<Vec<(String, Vec<String>)>> = e
            .or()
            .iter()
            .map(|p| {
                p.and()
                    .iter()
                    .map(|d| {
                        let d = d.dimensions().unwrap();
                        (d.key().unwrap().as_str().to_string(), d.values().to_vec())
                    })
                    .collect()
            })
            .collect();
        assert_eq!(
            parts,
            [
                vec![
                    (
                        "SERVICE".to_string(),
                        vec!["Amazon Simple Storage Service".to_string()]
                    ),
                    (
                        "USAGE_TYPE".into(),
                        vec![
                            "Requests-Tier1".into(),
                            "USE1-DataTransfer-Out-Bytes".into()
                        ]
                    ),
                ],
                vec![
                    (
                        "SERVICE".to_string(),
                        vec!["AWS Payment Cryptography".to_string()]
                    ),
                    ("OPERATION".into(), vec!["CreateKey".into()]),
                ],
            ]
        );
        assert!(left_out(&Excluded::default()).is_none());
    }
}
