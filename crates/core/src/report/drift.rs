//! `tagwarden drift`: every removal or change of a policy's key the daemon
//! saw on its event queues, with who made it, with what tool, what became
//! of it, and how to stop that tool; the table leads with one line per
//! principal and tool. The same lines make the pages' "Tags removed
//! lately" (the status page, the HTML report), and the last removal of a
//! key on a resource the hint of an audit's finding on it.

use super::{cell, csv, json, markdown_table, new_table, Format, Render};
use crate::cloudtrail::tool::Tool;
use crate::cloudtrail::EventOutcome;
use maud::{html, Markup};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What became of a removal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RemovalOutcome {
    Restored,
    Capped,
    /// Audit mode.
    Reported,
    /// The event claimed a removal the resource does not show.
    NotRemoved,
    /// tagwarden's own (a rollback).
    Own,
    OutOfScope,
}

impl RemovalOutcome {
    pub const ALL: [RemovalOutcome; 6] = [
        RemovalOutcome::Restored,
        RemovalOutcome::Capped,
        RemovalOutcome::Reported,
        RemovalOutcome::NotRemoved,
        RemovalOutcome::Own,
        RemovalOutcome::OutOfScope,
    ];

    pub fn label(self) -> &'static str {
        match self {
            RemovalOutcome::Restored => "restored",
            RemovalOutcome::Capped => "capped",
            RemovalOutcome::Reported => "reported",
            RemovalOutcome::NotRemoved => "not_removed",
            RemovalOutcome::Own => "own",
            RemovalOutcome::OutOfScope => "out_of_scope",
        }
    }

    pub fn parse(s: &str) -> Option<RemovalOutcome> {
        Self::ALL.into_iter().find(|o| o.label() == s)
    }

    /// A tag call's event outcome, when it is one a removal records.
    pub fn of(outcome: EventOutcome) -> Option<RemovalOutcome> {
        Some(match outcome {
            EventOutcome::Restored => RemovalOutcome::Restored,
            EventOutcome::Capped => RemovalOutcome::Capped,
            EventOutcome::Reported => RemovalOutcome::Reported,
            EventOutcome::NotRemoved => RemovalOutcome::NotRemoved,
            EventOutcome::Own => RemovalOutcome::Own,
            EventOutcome::OutOfScope => RemovalOutcome::OutOfScope,
            _ => return None,
        })
    }
}

/// One policy key on one resource that a tag call removed or changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Removal {
    pub arn: String,
    pub account: String,
    pub region: String,
    pub resource_type: String,
    pub policy: String,
    pub key: String,
    /// The value the call set (None: it removed the key).
    pub value: Option<String>,
    /// When the call was made (CloudTrail's `eventTime`), and when
    /// tagwarden handled it.
    pub event_time: Option<String>,
    pub seen_at: String,
    pub principal: Option<String>,
    pub tool: Tool,
    pub user_agent: Option<String>,
    pub outcome: RemovalOutcome,
    pub restored_at: Option<String>,
    pub fix: String,
}

/// Removals by one principal and tool of one key: how many, on which
/// resources, and the fix.
type Group<'a> = (usize, BTreeSet<&'a str>, &'a str);

/// Who made a call CloudTrail names no principal of.
const UNKNOWN_PRINCIPAL: &str = "an unknown principal";

impl Removal {
    fn principal(&self) -> &str {
        self.principal.as_deref().unwrap_or(UNKNOWN_PRINCIPAL)
    }

    /// What a finding on this key says of it: what became of the key,
    /// when (the call's time, else when tagwarden saw it), who, with what
    /// tool, and how to stop that tool.
    pub fn hint(&self) -> String {
        let what = match &self.value {
            None => "was removed".to_string(),
            Some(v) => format!("was changed to `{v}`"),
        };
        let at = minute(self.event_time.as_deref().unwrap_or(&self.seen_at));
        format!(
            "{} {what} {at} by {} ({}): {}",
            self.key,
            self.principal(),
            self.tool.label(),
            self.fix
        )
    }
}

/// A recorded time to the minute, as a person reads it
/// (`2026-12-07 14:03 UTC`); as it is when it is no time.
fn minute(at: &str) -> String {
    crate::time::parse_time(at).map_or_else(
        || at.to_string(),
        |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DriftReport {
    pub removals: Vec<Removal>,
}

impl DriftReport {
    /// Per principal, tool and key: how many removals on how many
    /// resources, and the fix; most removals first.
    pub fn groups(&self) -> Vec<String> {
        groups(&self.removals)
    }
}

/// Per principal, tool and key: how many removals on how many resources,
/// and the fix; most removals first. tagwarden's own are no drift to fix.
fn groups(removals: &[Removal]) -> Vec<String> {
    let mut groups: BTreeMap<(&str, Tool, &str), Group<'_>> = BTreeMap::new();
    for r in removals.iter().filter(|r| r.outcome != RemovalOutcome::Own) {
        let g = groups
            .entry((r.principal(), r.tool, r.key.as_str()))
            .or_insert((0, BTreeSet::new(), r.fix.as_str()));
        g.0 += 1;
        g.1.insert(r.arn.as_str());
    }
    let mut lines: Vec<(usize, String)> = groups
        .into_iter()
        .map(|((who, tool, key), (n, arns, fix))| {
            let line = format!(
                "{who} ({}) removed or changed {key} {n} time(s) on {} resource(s): {fix}",
                tool.label(),
                arns.len()
            );
            (n, line)
        })
        .collect();
    lines.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    lines.into_iter().map(|(_, l)| l).collect()
}

/// The heading of the pages' section.
pub const LATELY_HEADING: &str = "Tags removed lately";

/// How many of the last removals the pages (the status page, the report)
/// group: the daemon keeps as many in memory, the report reads as many
/// from the store. `tagwarden drift` lists every one the store keeps.
pub const LATELY: usize = 200;

/// How many lines (principal, tool and key) a page shows at most.
const LATELY_LINES: usize = 20;

/// The pages' "Tags removed lately": a line per principal, tool and key
/// with the fix, most removals first, over the last [`LATELY`] removals
/// (the oldest given are left out); None when there is no line to show
/// (none seen, or tagwarden's own rollbacks only). Below the page's own
/// heading ([`LATELY_HEADING`]).
pub fn lately(removals: &[Removal]) -> Option<Markup> {
    let removals = &removals[removals.len().saturating_sub(LATELY)..];
    let lines = groups(removals);
    let first = removals.first()?;
    if lines.is_empty() {
        return None;
    }
    let more = lines.len().saturating_sub(LATELY_LINES);
    Some(html! {
        p {
            (removals.len()) " removal(s) or change(s) of a policy's key seen since "
            (minute(&first.seen_at)) "; " code { "tagwarden drift" } " lists each."
        }
        "\n"
        ul {
            @for line in lines.iter().take(LATELY_LINES) {
                li { (line) } "\n"
            }
        }
        "\n"
        @if more > 0 {
            p { (more) " more line(s) in " code { "tagwarden drift" } "." } "\n"
        }
    })
}

/// The last removal or change of each key on each resource, for the
/// findings' hints: why a key an audit finds missing or wrong is so.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LastRemovals {
    /// Per ARN, the last removal of each of its keys.
    by_arn: HashMap<String, HashMap<String, Removal>>,
}

impl LastRemovals {
    /// From removals oldest first: of two of one key on one resource, the
    /// later is kept.
    pub fn new(removals: impl IntoIterator<Item = Removal>) -> LastRemovals {
        let mut by_arn: HashMap<String, HashMap<String, Removal>> = HashMap::new();
        for r in removals {
            let keys = by_arn.entry(r.arn.clone()).or_default();
            keys.insert(r.key.clone(), r);
        }
        LastRemovals { by_arn }
    }

    /// The removal that tells why `key` is gone (`present` false) or
    /// holds a wrong value (`present` true) on `arn`: the last one seen,
    /// when it fits: a removal for a key that is gone, a change to another
    /// value for a key that holds one. Not when tagwarden made it (a
    /// rollback), the resource did not show it, or it was written back
    /// since (what undid that was not seen).
    pub fn of(&self, arn: &str, key: &str, present: bool) -> Option<&Removal> {
        let last = self.by_arn.get(arn)?.get(key)?;
        let tells = !matches!(
            last.outcome,
            RemovalOutcome::Own | RemovalOutcome::NotRemoved | RemovalOutcome::Restored
        );
        (tells && last.value.is_some() == present).then_some(last)
    }
}

const HEADER: [&str; 15] = [
    "arn",
    "account",
    "region",
    "resource_type",
    "policy",
    "key",
    "value",
    "event_time",
    "seen_at",
    "principal",
    "tool",
    "user_agent",
    "outcome",
    "restored_at",
    "fix",
];

fn row(r: &Removal) -> [String; 15] {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    [
        r.arn.clone(),
        r.account.clone(),
        r.region.clone(),
        r.resource_type.clone(),
        r.policy.clone(),
        r.key.clone(),
        opt(&r.value),
        opt(&r.event_time),
        r.seen_at.clone(),
        opt(&r.principal),
        r.tool.label().to_string(),
        opt(&r.user_agent),
        r.outcome.label().to_string(),
        opt(&r.restored_at),
        r.fix.clone(),
    ]
}

impl Render for DriftReport {
    fn render(&self, format: Format) -> String {
        match format {
            Format::Json => json(self),
            Format::Csv => csv(HEADER, self.removals.iter().map(row)),
            Format::Table if self.removals.is_empty() => {
                "no removal of a policy's tag was seen\n".to_string()
            }
            Format::Table => {
                let mut t = new_table(&[
                    "SEEN",
                    "ACCOUNT",
                    "RESOURCE",
                    "KEY",
                    "PRINCIPAL",
                    "TOOL",
                    "OUTCOME",
                ]);
                for r in &self.removals {
                    t.add_row([
                        r.seen_at.clone(),
                        r.account.clone(),
                        r.arn.clone(),
                        r.key.clone(),
                        r.principal.clone().unwrap_or_default(),
                        r.tool.label().to_string(),
                        r.outcome.label().to_string(),
                    ]);
                }
                let lines: String = self.groups().iter().map(|l| format!("{l}\n")).collect();
                format!("{lines}{t}\n")
            }
            Format::Markdown => {
                let mut out = String::from("# Tags removed\n\n");
                for l in self.groups() {
                    out.push_str(&format!("- {}\n", cell(&l)));
                }
                out.push('\n');
                let rows = self
                    .removals
                    .iter()
                    .map(|r| row(r).iter().map(|c| cell(c)).collect::<Vec<_>>());
                out.push_str(&markdown_table(&HEADER, rows));
                out
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A removal of `map-migrated` as the daemon records it.
    pub(crate) fn removal(
        arn: &str,
        principal: &str,
        tool: Tool,
        outcome: RemovalOutcome,
    ) -> Removal {
        Removal {
            arn: arn.into(),
            account: "222222222222".into(),
            region: "eu-west-1".into(),
            resource_type: "ec2:instance".into(),
            policy: "map-migrated".into(),
            key: "map-migrated".into(),
            value: None,
            event_time: Some("2026-12-07T10:00:00Z".into()),
            seen_at: "2026-12-07T10:00:02.000Z".into(),
            principal: Some(principal.into()),
            tool,
            user_agent: Some("APN/1.0 HashiCorp/1.0 Terraform/1.5.7".into()),
            outcome,
            restored_at: (outcome == RemovalOutcome::Restored)
                .then(|| "2026-12-07T10:00:03.000Z".into()),
            fix: tool.fix("map-migrated"),
        }
    }

    fn report() -> DriftReport {
        let ci = "arn:aws:sts::222222222222:assumed-role/terraform-ci/s";
        DriftReport {
            removals: vec![
                removal(
                    "arn:aws:ec2:eu-west-1:222222222222:instance/i-1",
                    ci,
                    Tool::Terraform,
                    RemovalOutcome::Restored,
                ),
                removal(
                    "arn:aws:ec2:eu-west-1:222222222222:instance/i-2",
                    ci,
                    Tool::Terraform,
                    RemovalOutcome::Restored,
                ),
                removal(
                    "arn:aws:ec2:eu-west-1:222222222222:instance/i-1",
                    ci,
                    Tool::Terraform,
                    RemovalOutcome::Capped,
                ),
                removal(
                    "arn:aws:ec2:eu-west-1:222222222222:instance/i-3",
                    "arn:aws:sts::222222222222:assumed-role/tagwarden-audit/s",
                    Tool::Tagwarden,
                    RemovalOutcome::Own,
                ),
            ],
        }
    }

    #[test]
    fn drift_groups_by_principal_and_tool_with_the_fix() {
        let table = report().render(Format::Table);
        insta::assert_snapshot!(table);
        assert!(table.starts_with("arn:aws:sts::222222222222:assumed-role/terraform-ci/s (terraform) removed or changed map-migrated 3 time(s) on 2 resource(s): add `ignore_tags { keys = [\"map-migrated\"] }`"));
        assert!(
            !table
                .lines()
                .next()
                .unwrap_or_default()
                .contains("tagwarden-audit"),
            "tagwarden's own removals are no drift to fix"
        );
        let doc: serde_json::Value = serde_json::from_str(&report().render(Format::Json)).unwrap();
        let first = &doc["removals"][0];
        for field in HEADER {
            assert!(first.get(field).is_some(), "{field}: {first}");
        }
        assert_eq!(first["outcome"], "restored");
        assert_eq!(first["tool"], "terraform");
        let csv = report().render(Format::Csv);
        assert!(csv.starts_with(&HEADER.join(",")));
        assert_eq!(csv.lines().count(), 5);
        assert!(report()
            .render(Format::Markdown)
            .starts_with("# Tags removed\n\n- "));
        let empty = DriftReport { removals: vec![] };
        assert_eq!(
            empty.render(Format::Table),
            "no removal of a policy's tag was seen\n"
        );
    }

    #[test]
    fn a_removal_says_when_who_with_what_and_the_fix() {
        let ci = "arn:aws:sts::222222222222:assumed-role/terraform-ci/s";
        let arn = "arn:aws:ec2:eu-west-1:222222222222:instance/i-1";
        let removed = removal(arn, ci, Tool::Terraform, RemovalOutcome::Capped);
        assert_eq!(
            removed.hint(),
            format!(
                "map-migrated was removed 2026-12-07 10:00 UTC by {ci} (terraform): add `ignore_tags {{ keys = [\"map-migrated\"] }}` to every AWS provider block (or put `map-migrated` in the provider's `default_tags`), so Terraform stops removing a tag it does not manage"
            )
        );
        // A change, seen without the call's time, by no principal known.
        let changed = Removal {
            value: Some("mig-other".into()),
            event_time: None,
            principal: None,
            seen_at: "2026-12-08T09:30:59.999Z".into(),
            ..removed.clone()
        };
        assert!(
            changed.hint().starts_with(
                "map-migrated was changed to `mig-other` 2026-12-08 09:30 UTC by an unknown principal (terraform): "
            ),
            "{}",
            changed.hint()
        );
    }

    #[test]
    fn the_last_removal_of_a_key_tells_unless_tagwarden_made_it_or_it_was_none() {
        let ci = "arn:aws:sts::222222222222:assumed-role/terraform-ci/s";
        let me = "arn:aws:sts::222222222222:assumed-role/tagwarden-audit/s";
        let i = |n: u32| format!("arn:aws:ec2:eu-west-1:222222222222:instance/i-{n}");
        let owner = |r: Removal| Removal {
            key: "Owner".into(),
            ..r
        };
        let last = LastRemovals::new([
            removal(&i(1), ci, Tool::Terraform, RemovalOutcome::Restored),
            removal(&i(1), ci, Tool::Cloudformation, RemovalOutcome::Capped),
            owner(removal(&i(1), ci, Tool::Console, RemovalOutcome::Reported)),
            removal(&i(2), ci, Tool::Terraform, RemovalOutcome::Capped),
            removal(&i(2), me, Tool::Tagwarden, RemovalOutcome::Own),
            removal(&i(3), ci, Tool::Terraform, RemovalOutcome::NotRemoved),
            removal(&i(4), ci, Tool::Terraform, RemovalOutcome::OutOfScope),
            removal(&i(5), ci, Tool::Terraform, RemovalOutcome::Restored),
            Removal {
                value: Some("migOTHER".into()),
                ..removal(&i(6), ci, Tool::Console, RemovalOutcome::Reported)
            },
        ]);
        let tool = |n: u32, key: &str| last.of(&i(n), key, false).map(|r| r.tool);
        assert_eq!(
            tool(1, "map-migrated"),
            Some(Tool::Cloudformation),
            "the later wins"
        );
        assert_eq!(tool(1, "Owner"), Some(Tool::Console));
        assert_eq!(tool(1, "Team"), None);
        assert_eq!(
            tool(2, "map-migrated"),
            None,
            "tagwarden's own rollback came last"
        );
        assert_eq!(
            tool(3, "map-migrated"),
            None,
            "the resource did not show it"
        );
        assert_eq!(tool(4, "map-migrated"), Some(Tool::Terraform));
        assert_eq!(
            tool(5, "map-migrated"),
            None,
            "written back since: what removed it again was not seen"
        );
        // A change to another value tells why a key holds a wrong one, not
        // why it is gone; a removal the other way round.
        assert_eq!(tool(6, "map-migrated"), None);
        let changed = |n: u32| last.of(&i(n), "map-migrated", true).map(|r| r.tool);
        assert_eq!(changed(6), Some(Tool::Console));
        assert_eq!(changed(4), None);
        assert_eq!(tool(7, "map-migrated"), None);
        assert_eq!(
            LastRemovals::default().of(&i(1), "map-migrated", false),
            None
        );
    }

    #[test]
    fn outcomes_read_back_and_map_from_event_outcomes() {
        for o in RemovalOutcome::ALL {
            assert_eq!(RemovalOutcome::parse(o.label()), Some(o));
        }
        assert_eq!(RemovalOutcome::parse("exploded"), None);
        assert_eq!(
            RemovalOutcome::of(EventOutcome::Capped),
            Some(RemovalOutcome::Capped)
        );
        assert_eq!(RemovalOutcome::of(EventOutcome::Tagged), None);
    }
}
