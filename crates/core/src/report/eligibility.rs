//! `credits --services`: the eligibility in effect, every service with its
//! date, its exclusions and where it came from (the list or the
//! configuration), in every format.

use super::{cell, csv, json, markdown_table, new_table, Format, Render};
use crate::billing::eligible::EligibleService;
use crate::credits::eligibility::{in_effect, in_one_line, list_used, EligibleList, ServiceView};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EligibilityReport {
    /// The published list followed (None: the configuration's own).
    pub eligible_list: Option<EligibleList>,
    pub services: Vec<ServiceView>,
    /// The eligibility in one line.
    #[serde(skip)]
    pub summary: String,
}

impl EligibilityReport {
    pub fn of(entries: &[EligibleService]) -> EligibilityReport {
        EligibilityReport {
            eligible_list: list_used(entries),
            services: in_effect(entries),
            summary: in_one_line(entries),
        }
    }
}

const HEADER: [&str; 6] = [
    "SERVICE",
    "FROM",
    "COST EXPLORER",
    "EXCLUSIONS",
    "NOT IN A BILL",
    "ORIGIN",
];

fn from(s: &ServiceView) -> String {
    s.from.map_or("always".into(), |d| d.to_string())
}

fn service(s: &ServiceView) -> String {
    match s.name {
        Some(name) if name != s.service => format!("{name} ({})", s.service),
        _ => s.service.clone(),
    }
}

/// One line per rule: `excludes Requests (usage type *Requests-*)`.
fn rules(s: &ServiceView, sep: &str) -> String {
    let mut lines: Vec<String> = s
        .exclusions
        .iter()
        .map(|x| {
            let worded = if x.basis == "worded" {
                ", by the list's words"
            } else {
                ""
            };
            format!("{} {} ({}{worded})", x.kind, x.what, x.matches.join(", "))
        })
        .collect();
    lines.insert(0, "excludes data transfer".into());
    lines.join(sep)
}

impl Render for EligibilityReport {
    fn render(&self, format: Format) -> String {
        match format {
            Format::Json => json(self),
            Format::Table => {
                let mut t = new_table(&HEADER);
                for s in &self.services {
                    t.add_row(vec![
                        service(s),
                        from(s),
                        s.cost_explorer_names.join("\n"),
                        rules(s, "\n"),
                        s.not_visible.join("\n"),
                        s.origin.name().into(),
                    ]);
                }
                format!("{t}\n{}\n", self.summary)
            }
            Format::Markdown => format!(
                "{}\n{}\n",
                markdown_table(
                    &HEADER,
                    self.services.iter().map(|s| {
                        vec![
                            cell(&service(s)),
                            from(s),
                            cell(&s.cost_explorer_names.join(", ")),
                            cell(&rules(s, "; ")),
                            cell(&s.not_visible.join("; ")),
                            s.origin.name().into(),
                        ]
                    })
                ),
                self.summary
            ),
            Format::Csv => csv(
                [
                    "service",
                    "name",
                    "from",
                    "cost_explorer_names",
                    "exclusions",
                    "not_in_a_bill",
                    "origin",
                ],
                self.services.iter().map(|s| {
                    [
                        s.service.clone(),
                        s.name.unwrap_or_default().to_string(),
                        s.from.map(|d| d.to_string()).unwrap_or_default(),
                        s.cost_explorer_names.join("; "),
                        rules(s, "; "),
                        s.not_visible.join("; "),
                        s.origin.name().into(),
                    ]
                }),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::billing::eligible::default_services;

    #[test]
    fn every_format_lists_each_service_with_its_rules_and_origin() {
        let mut entries = default_services();
        entries.push(EligibleService {
            from: "2026-09-01".parse().ok(),
            ..EligibleService::named("AWSOutposts")
        });
        let r = EligibilityReport::of(&entries);
        let table = r.render(Format::Table);
        assert!(
            table.contains("(AmazonDAX)") && table.contains("2026-03-27"),
            "{table}"
        );
        assert!(
            table.ends_with("(`tagwarden credits --services` lists them)\n"),
            "{table}"
        );
        let md = r.render(Format::Markdown);
        let s3 = md.lines().find(|l| l.starts_with("| Amazon S3 (")).unwrap();
        insta::assert_snapshot!(s3, @"| Amazon S3 (AmazonS3) | always | Amazon Simple Storage Service | excludes data transfer; only storage cost only (all storage tiers) (usage type *TimedStorage*, usage type *EarlyDelete*); excludes Requests (usage type *Requests-*); excludes Glacier Deep Archive (the S3 Glacier row) (usage type *GDA*) |  | list |");
        let outposts = md.lines().rev().nth(2).unwrap();
        assert_eq!(outposts, "| AWSOutposts | 2026-09-01 | AWSOutposts | excludes data transfer |  | configuration |");
        let v: serde_json::Value = serde_json::from_str(&r.render(Format::Json)).unwrap();
        assert_eq!(v["eligible_list"]["updated"], "2026-04-06");
        assert_eq!(v["services"].as_array().unwrap().len(), entries.len());
        let cw = v["services"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["service"] == "AmazonCloudWatch")
            .unwrap();
        assert_eq!(cw["exclusions"][0]["kind"], "only");
        assert_eq!(cw["origin"], "list");
        let csv = r.render(Format::Csv);
        assert!(csv.lines().last().unwrap().starts_with(
            "AWSOutposts,,2026-09-01,AWSOutposts,excludes data transfer,,configuration"
        ));
    }
}
