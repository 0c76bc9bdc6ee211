//! The plan a migration lead reviews: one row per tag written, in every
//! format (CSV and Markdown suit a review outside the terminal).

use super::{
    cell, csv, footer, json, markdown_notes, markdown_table, new_table, or_none, skip_row, Format,
    Render,
};
use crate::plan::{Change, PlanDocument, ResourceCost};
use crate::time::rfc3339;

/// One tag a change writes: (key, old value, new value, due).
fn key_rows(c: &Change) -> impl Iterator<Item = (&str, Option<&str>, &str, String)> {
    c.set.iter().map(|(k, v)| {
        let old = c.previous.get(k).and_then(|p| p.as_deref());
        let due = c.due.map(rfc3339).unwrap_or_else(|| "now".into());
        (k.as_str(), old, v.as_str(), due)
    })
}

/// The changes in plan order, or with `--cost` the most credit at risk
/// first ("tag these first").
fn changes_by_cost(doc: &PlanDocument) -> Vec<&Change> {
    let mut changes: Vec<&Change> = doc.changes.iter().collect();
    if doc.cost_currency.is_some() {
        let at_risk = |c: &&Change| {
            doc.costs
                .get(c.arn.as_str())
                .map_or(crate::money::Decimal::ZERO, |r| r.credit_at_risk)
        };
        changes.sort_by_key(|c| std::cmp::Reverse(at_risk(c)));
    }
    changes
}

fn table(doc: &PlanDocument) -> String {
    let mut out = String::new();
    if !doc.changes.is_empty() {
        let costed = doc.cost_currency.is_some();
        let mut header = vec![
            "RESOURCE", "ACCOUNT", "REGION", "KEY", "OLD", "NEW", "POLICY", "DUE",
        ];
        if costed {
            header.extend(["COST", "CREDIT AT RISK"]);
        }
        let mut t = new_table(&header);
        for c in changes_by_cost(doc) {
            let resource = format!("{} {}", c.resource_type, c.arn.id());
            let cost = doc.costs.get(c.arn.as_str());
            let money = |f: fn(&ResourceCost) -> crate::money::Decimal| {
                cost.map_or("-".to_string(), |r| crate::money::show(f(r)))
            };
            for (k, old, new, due) in key_rows(c) {
                let mut row = vec![
                    resource.clone(),
                    c.account.clone(),
                    c.region.clone(),
                    k.to_string(),
                    or_none(old).to_string(),
                    new.to_string(),
                    c.policy.clone(),
                    due,
                ];
                if costed {
                    row.extend([money(|r| r.cost), money(|r| r.credit_at_risk)]);
                }
                t.add_row(row);
            }
        }
        out.push_str(&t.to_string());
        out.push('\n');
        if let Some(currency) = &doc.cost_currency {
            out.push_str(&format!(
                "costs in {currency}, from the billing files; the most credit at risk first\n"
            ));
        }
    }
    out.push_str(&footer(&doc.skipped, &doc.errors, &doc.summary_line()));
    out
}

/// A row per tag written (`action` set) and per skipped resource (`skip`).
fn csv_rows(doc: &PlanDocument) -> String {
    let header = [
        "action",
        "arn",
        "account",
        "region",
        "resource_type",
        "policy",
        "key",
        "previous",
        "new",
        "due",
        "reason",
    ];
    let sets = doc.changes.iter().flat_map(|c| {
        key_rows(c).map(|(k, old, new, due)| {
            [
                "set".to_string(),
                c.arn.to_string(),
                c.account.clone(),
                c.region.clone(),
                c.resource_type.clone(),
                c.policy.clone(),
                k.to_string(),
                old.unwrap_or_default().to_string(),
                new.to_string(),
                due,
                String::new(),
            ]
        })
    });
    let skips = doc.skipped.iter().map(|s| skip_row("skip", s));
    csv(header, sets.chain(skips))
}

fn markdown(doc: &PlanDocument) -> String {
    let mut out = format!(
        "# tagwarden plan\n\nPlan `{}` at {} (windows evaluated at {}): {}.\n\n",
        doc.run_id,
        rfc3339(doc.generated_at),
        rfc3339(doc.at),
        doc.summary_line()
    );
    let rows = doc.changes.iter().flat_map(|c| {
        key_rows(c).map(|(k, old, new, due)| {
            vec![
                format!("`{}`", cell(&c.arn)),
                c.account.clone(),
                c.region.clone(),
                format!("`{}`", cell(k)),
                old.map(|o| format!("`{}`", cell(o)))
                    .unwrap_or_else(|| "(none)".into()),
                format!("`{}`", cell(new)),
                c.policy.clone(),
                due,
            ]
        })
    });
    if !doc.changes.is_empty() {
        out.push_str(&markdown_table(
            &[
                "resource", "account", "region", "key", "old", "new", "policy", "due",
            ],
            rows,
        ));
    }
    out.push_str(&markdown_notes(&doc.errors, &doc.skipped));
    out
}

impl Render for PlanDocument {
    fn render(&self, format: Format) -> String {
        match format {
            Format::Table => table(self),
            Format::Json => json(self),
            Format::Csv => csv_rows(self),
            Format::Markdown => markdown(self),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Skip;
    use crate::scan::ScanError;
    use chrono::{TimeZone, Utc};
    use std::collections::BTreeMap;

    fn doc() -> PlanDocument {
        let t = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
        let change = |id: &str, previous: Option<&str>, due| Change {
            arn: crate::arn::instance(id),
            account: "111111111111".into(),
            region: "us-east-1".into(),
            resource_type: "ec2:instance".into(),
            policy: "map-migrated".into(),
            set: BTreeMap::from([("map-migrated".into(), "migABCDE12345".into())]),
            previous: BTreeMap::from([("map-migrated".into(), previous.map(str::to_string))]),
            due,
        };
        PlanDocument {
            run_id: "run-1".into(),
            generated_at: t,
            at: t,
            config: crate::plan::fingerprint([b"config".as_slice()]),
            changes: vec![
                change(
                    "i-1",
                    None,
                    Some(Utc.with_ymd_and_hms(2026, 12, 5, 2, 0, 0).unwrap()),
                ),
                change("i-2", Some("MIG12345"), None),
            ],
            skipped: vec![Skip {
                arn: crate::arn::arn("arn:aws:s3:::b|pipe"),
                account: "111111111111".into(),
                region: "us-east-1".into(),
                resource_type: "s3:bucket".into(),
                policy: "map-migrated".into(),
                reason: "tags unknown: AccessDenied".into(),
            }],
            errors: vec![ScanError::account("222222222222", "cannot assume role")],
            costs: Default::default(),
            cost_currency: None,
        }
    }

    #[test]
    fn every_format() {
        let d = doc();
        insta::assert_snapshot!("plan_table", d.render(Format::Table));
        insta::assert_snapshot!("plan_json", d.render(Format::Json));
        insta::assert_snapshot!("plan_csv", d.render(Format::Csv));
        insta::assert_snapshot!("plan_markdown", d.render(Format::Markdown));
    }
}
