//! `tagwarden waves`: each wave per account and region, its servers by
//! lifecycle state and their readiness, and the servers that are not ready
//! with their reasons.

use super::{cell, csv, json, markdown_table, new_table, not_scanned, Format, Render};
use crate::mgn::readiness::Reason;
use crate::mgn::waves::WaveRow;
use crate::scan::ScanError;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
pub struct WavesReport {
    pub waves: Vec<WaveRow>,
    pub errors: Vec<ScanError>,
}

impl WavesReport {
    /// 3 when some account or region could not be read, 1 when a server is
    /// not ready, else 0.
    pub fn exit_code(&self) -> u8 {
        if !self.errors.is_empty() {
            3
        } else if self.waves.iter().any(|w| w.not_ready > 0) {
            1
        } else {
            0
        }
    }

    fn summary_line(&self) -> String {
        let ready: usize = self.waves.iter().map(|w| w.ready).sum();
        let not_ready: usize = self.waves.iter().map(|w| w.not_ready).sum();
        format!(
            "{} wave(s): {ready} server(s) ready, {not_ready} not ready",
            self.waves.len()
        )
    }
}

fn states(s: &BTreeMap<String, usize>) -> String {
    s.iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn reasons(r: &BTreeMap<Reason, usize>) -> String {
    r.iter()
        .map(|(k, v)| format!("{} {v}", k.label()))
        .collect::<Vec<_>>()
        .join(", ")
}

const HEADER: [&str; 13] = [
    "wave",
    "wave_id",
    "account",
    "region",
    "applications",
    "servers",
    "states",
    "ready",
    "not_ready",
    "out_of_scope",
    "launched",
    "launched_untagged",
    "reasons",
];

fn row(w: &WaveRow) -> [String; 13] {
    [
        w.name.clone(),
        w.id.clone(),
        w.account.clone(),
        w.region.clone(),
        w.applications.to_string(),
        w.servers.to_string(),
        states(&w.states),
        w.ready.to_string(),
        w.not_ready.to_string(),
        w.out_of_scope.to_string(),
        w.launched.to_string(),
        w.launched_untagged.to_string(),
        reasons(&w.reasons),
    ]
}

/// Every not-ready server's reasons, one line each.
fn server_lines(w: &WaveRow) -> impl Iterator<Item = (String, String)> + '_ {
    w.not_ready_servers.iter().flat_map(move |s| {
        let who = format!(
            "{} {}{}",
            w.name,
            s.id,
            s.hostname
                .as_deref()
                .map(|h| format!(" ({h})"))
                .unwrap_or_default()
        );
        s.reasons.iter().map(move |why| {
            (
                who.clone(),
                format!("{}: {}", why.reason.label(), why.detail),
            )
        })
    })
}

impl Render for WavesReport {
    fn render(&self, format: Format) -> String {
        match format {
            Format::Json => json(self),
            Format::Csv => csv(HEADER, self.waves.iter().map(row)),
            Format::Table => {
                let mut t = new_table(&[
                    "WAVE",
                    "ACCOUNT",
                    "REGION",
                    "APPS",
                    "SERVERS",
                    "STATES",
                    "READY",
                    "NOT READY",
                    "LAUNCHED",
                    "UNTAGGED",
                    "REASONS",
                ]);
                for w in &self.waves {
                    let r = row(w);
                    t.add_row([
                        &r[0], &r[2], &r[3], &r[4], &r[5], &r[6], &r[7], &r[8], &r[10], &r[11],
                        &r[12],
                    ]);
                }
                let lines: String = self
                    .waves
                    .iter()
                    .flat_map(server_lines)
                    .map(|(who, why)| format!("not ready: {who}: {why}\n"))
                    .collect();
                format!(
                    "{t}\n{lines}{}{}\n",
                    not_scanned(&self.errors),
                    self.summary_line()
                )
            }
            Format::Markdown => {
                let rows = self
                    .waves
                    .iter()
                    .map(|w| row(w).iter().map(|c| cell(c)).collect::<Vec<_>>());
                let mut out = format!("# Migration waves\n\n{}\n", self.summary_line());
                out.push('\n');
                out.push_str(&markdown_table(&HEADER, rows));
                let servers: Vec<(String, String)> =
                    self.waves.iter().flat_map(server_lines).collect();
                if !servers.is_empty() {
                    out.push_str("\n## Not ready\n\n");
                    for (who, why) in servers {
                        out.push_str(&format!("- {}: {}\n", cell(&who), cell(&why)));
                    }
                }
                out.push_str(&super::markdown_notes(&self.errors, &[]));
                out
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mgn::readiness::Why;
    use crate::mgn::waves::ServerRow;

    fn report() -> WavesReport {
        WavesReport {
            waves: vec![WaveRow {
                name: "wave-3".into(),
                id: "wave-1a2b3c4d".into(),
                account: "111111111111".into(),
                region: "us-east-1".into(),
                applications: 2,
                servers: 3,
                states: [("READY_FOR_CUTOVER".into(), 2), ("CUTOVER".into(), 1)].into(),
                ready: 1,
                not_ready: 2,
                out_of_scope: 0,
                launched: 1,
                launched_untagged: 1,
                reasons: [(Reason::AutoTaggingOff, 1), (Reason::LaunchedUntagged, 1)].into(),
                not_ready_servers: vec![
                    ServerRow {
                        id: "s-1111111111111111a".into(),
                        arn: "arn:aws:mgn:us-east-1:111111111111:source-server/s-1111111111111111a"
                            .into(),
                        hostname: Some("erp-db-1".into()),
                        application: Some("erp".into()),
                        state: "READY_FOR_CUTOVER".into(),
                        launched_instance: None,
                        reasons: vec![Why {
                            reason: Reason::AutoTaggingOff,
                            detail: "`map-migrated` (policy map): MAP auto-tagging is off".into(),
                        }],
                    },
                    ServerRow {
                        id: "s-2222222222222222b".into(),
                        arn: "arn:aws:mgn:us-east-1:111111111111:source-server/s-2222222222222222b"
                            .into(),
                        hostname: Some("erp|web".into()),
                        application: Some("erp".into()),
                        state: "CUTOVER".into(),
                        launched_instance: Some("i-0abc".into()),
                        reasons: vec![Why {
                            reason: Reason::LaunchedUntagged,
                            detail:
                                "launched instance i-0abc (policy map) carries no `map-migrated`"
                                    .into(),
                        }],
                    },
                ],
            }],
            errors: vec![ScanError::region(
                "222222222222",
                "eu-west-1",
                "mgn:ListWaves: AccessDeniedException",
            )],
        }
    }

    #[test]
    fn waves_in_every_format() {
        let r = report();
        assert_eq!(r.exit_code(), 3);
        for (name, format) in [
            ("json", Format::Json),
            ("csv", Format::Csv),
            ("markdown", Format::Markdown),
            ("table", Format::Table),
        ] {
            insta::assert_snapshot!(format!("waves_{name}"), r.render(format));
        }
    }

    #[test]
    fn exit_codes() {
        let mut r = report();
        r.errors.clear();
        assert_eq!(r.exit_code(), 1);
        r.waves[0].not_ready = 0;
        assert_eq!(r.exit_code(), 0);
    }
}
