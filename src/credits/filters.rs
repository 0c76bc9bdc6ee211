//! Cost Explorer's filters as `GetCostAndUsage` takes them: spend only,
//! services, workloads by tag, and what the Included Services List leaves
//! out; and the periods they ask for.

use aws_sdk_costexplorer::types::{
    DateInterval, Dimension, DimensionValues, Expression, MatchOption, TagValues,
};
use chrono::NaiveDate;
use tagwarden_core::billing::NO_WORKLOAD;
use tagwarden_core::credits::excluded::Excluded;

pub(super) fn period(start: NaiveDate, end: NaiveDate) -> DateInterval {
    DateInterval::builder()
        .start(start.to_string())
        .end(end.to_string())
        .build()
        .expect("start and end are set")
}

/// Spend of workload `name`: the first workload tag it carries has that
/// value (`(no workload)`: it carries none).
pub(super) fn workload_is(tags: &[String], name: &str) -> Expression {
    if name == NO_WORKLOAD {
        return all_of(tags.iter().map(|t| tag_absent(t)).collect());
    }
    any_of(
        tags.iter()
            .enumerate()
            .map(|(i, t)| {
                let mut parts: Vec<Expression> = tags[..i].iter().map(|e| tag_absent(e)).collect();
                parts.push(
                    Expression::builder()
                        .tags(
                            TagValues::builder()
                                .key(t)
                                .values(name)
                                .match_options(MatchOption::Equals)
                                .build(),
                        )
                        .build(),
                );
                all_of(parts)
            })
            .collect(),
    )
}

/// The spend the list leaves out: per service, the usage types and
/// operations that do not count.
pub(super) fn left_out(x: &Excluded) -> Option<Expression> {
    let of = |service: &str, key: Dimension, values: &[String]| {
        all_of(vec![
            dimension(Dimension::Service, &[service.to_string()]),
            dimension(key, values),
        ])
    };
    let parts: Vec<Expression> = x
        .usage_types
        .iter()
        .map(|(s, v)| of(s, Dimension::UsageType, v))
        .chain(
            x.operations
                .iter()
                .map(|(s, v)| of(s, Dimension::Operation, v)),
        )
        .collect();
    (!parts.is_empty()).then(|| any_of(parts))
}

pub(super) fn not(e: Expression) -> Expression {
    Expression::builder().not(e).build()
}

/// Per tag key in order (the first a line carries decides, as a bill is
/// read): `base` with the keys before it absent, and whether it is the
/// last (whose spend without it belongs to no later query).
pub(super) fn each_without_earlier<'k>(
    base: &[Expression],
    keys: &[&'k str],
) -> Vec<(&'k str, Expression, bool)> {
    keys.iter()
        .enumerate()
        .map(|(i, key)| {
            let mut parts = base.to_vec();
            parts.extend(keys[..i].iter().map(|k| tag_absent(k)));
            (*key, all_of(parts), i + 1 == keys.len())
        })
        .collect()
}

pub(super) fn tag_absent(key: &str) -> Expression {
    Expression::builder()
        .tags(
            TagValues::builder()
                .key(key)
                .match_options(MatchOption::Absent)
                .build(),
        )
        .build()
}

/// And of the parts (Cost Explorer wants two or more; one is itself).
pub(super) fn all_of(mut parts: Vec<Expression>) -> Expression {
    match parts.len() {
        1 => parts.remove(0),
        _ => Expression::builder().set_and(Some(parts)).build(),
    }
}

pub(super) fn any_of(mut parts: Vec<Expression>) -> Expression {
    match parts.len() {
        1 => parts.remove(0),
        _ => Expression::builder().set_or(Some(parts)).build(),
    }
}

pub(super) fn dimension(key: Dimension, values: &[String]) -> Expression {
    Expression::builder()
        .dimensions(
            DimensionValues::builder()
                .key(key)
                .set_values(Some(values.to_vec()))
                .build(),
        )
        .build()
}

/// Spend: every record but credits, refunds and taxes (RECORD_TYPE).
pub(super) fn spend_only() -> Expression {
    let values: Vec<String> = ["Credit", "Refund", "Tax"].map(String::from).to_vec();
    Expression::builder()
        .not(dimension(Dimension::RecordType, &values))
        .build()
}
