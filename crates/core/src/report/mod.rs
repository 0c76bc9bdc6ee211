//! Reports: every command's outcome as a table (for terminals), JSON (the
//! stable contract of cli.md), CSV or Markdown. Rendering only: the data
//! comes from the steps below (scan, evaluation, plan, apply, journal), and
//! nothing below imports from here.

pub mod apply_report;
pub mod audit;
pub mod credits;
pub mod doctor;
pub mod drift;
pub mod eligibility;
pub mod history;
pub mod html;
pub mod plan;
pub mod status_page;
pub mod waves;

pub use apply_report::{ApplyReport, ApplySummary};
pub use audit::{AuditReport, ComplianceRow, FindingRecord, ReportSummary};
pub use credits::{CreditsReport, Source, TagActivation};
pub use doctor::DoctorReport;
pub use drift::{DriftReport, Removal, RemovalOutcome};
pub use history::History;
pub use status_page::{LastCycle, StatusPage};
pub use waves::WavesReport;

use crate::plan::Skip;
use crate::scan::ScanError;
use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
    Markdown,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "table" => Some(Format::Table),
            "json" => Some(Format::Json),
            "csv" => Some(Format::Csv),
            "markdown" | "md" => Some(Format::Markdown),
            _ => None,
        }
    }
}

/// A command's outcome in every output format.
pub trait Render {
    fn render(&self, format: Format) -> String;
}

/// Pretty JSON with a final newline.
pub fn json<T: Serialize>(value: &T) -> String {
    let mut s = serde_json::to_string_pretty(value).expect("reports serialize");
    s.push('\n');
    s
}

/// A terminal table with tagwarden's style; 160 columns when not on a terminal.
pub fn new_table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header);
    if t.width().is_none() {
        t.set_width(160);
    }
    t
}

/// One line per account or region that could not be scanned.
pub fn not_scanned(errors: &[ScanError]) -> String {
    errors
        .iter()
        .map(|e| format!("not scanned: {e}\n"))
        .collect()
}

/// One line per resource left unchanged, with the reason.
pub fn skipped_lines(skipped: &[Skip]) -> String {
    skipped
        .iter()
        .map(|s| format!("skipped: {} ({}): {}\n", s.arn, s.policy, s.reason))
        .collect()
}

/// What every table ends with: the skipped resources, what could not be
/// scanned, and the summary line.
pub fn footer(skipped: &[Skip], errors: &[ScanError], summary: &str) -> String {
    format!(
        "{}{}{summary}\n",
        skipped_lines(skipped),
        not_scanned(errors)
    )
}

/// A CSV row of N columns for a skipped resource: `action`, its arn,
/// account, region, type and policy, empty cells, and the reason last.
pub fn skip_row<const N: usize>(action: &str, s: &Skip) -> [String; N] {
    let mut row: [String; N] = std::array::from_fn(|_| String::new());
    let cells = [
        action,
        &s.arn,
        &s.account,
        &s.region,
        &s.resource_type,
        &s.policy,
    ];
    for (slot, cell) in row.iter_mut().zip(cells) {
        *slot = cell.to_string();
    }
    row[N - 1] = s.reason.clone();
    row
}

/// CSV text of a header and rows.
pub fn csv<const N: usize>(
    header: [&str; N],
    rows: impl IntoIterator<Item = [String; N]>,
) -> String {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record(header).expect("writing to memory");
    for row in rows {
        w.write_record(&row).expect("writing to memory");
    }
    String::from_utf8(w.into_inner().expect("writing to memory")).expect("CSV of UTF-8 strings")
}

/// A Markdown table cell: pipes escaped, one line.
pub fn cell(s: &str) -> String {
    s.replace('|', "\\|")
        .chars()
        .map(|c| match c {
            '\n' => ' ',
            c if c.is_control() => '\u{fffd}',
            c => c,
        })
        .collect()
}

/// A Markdown table of a header and rows (cells already escaped).
pub fn markdown_table(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut out = format!("| {} |\n", header.join(" | "));
    out.push_str(&format!("|{}\n", " --- |".repeat(header.len())));
    for row in rows {
        out.push_str(&format!("| {} |\n", row.join(" | ")));
    }
    out
}

/// Markdown lines for what could not be scanned and what was skipped.
pub fn markdown_notes(errors: &[ScanError], skipped: &[Skip]) -> String {
    let mut out = String::new();
    if !errors.is_empty() {
        out.push_str("\n## Not scanned\n\n");
        for e in errors {
            out.push_str(&format!(
                "- account `{}`, region `{}`: {}\n",
                e.account,
                e.region,
                cell(&e.message)
            ));
        }
    }
    if !skipped.is_empty() {
        out.push_str("\n## Skipped\n\n");
        for s in skipped {
            out.push_str(&format!(
                "- `{}` ({}): {}\n",
                cell(&s.arn),
                s.policy,
                cell(&s.reason)
            ));
        }
    }
    out
}

/// `(none)` for an absent tag value in tables.
pub fn or_none(v: Option<&str>) -> &str {
    v.unwrap_or("(none)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_markdown_cell_is_one_line_without_control_characters() {
        assert_eq!(cell("a|b\nc\r\u{1b}[31md"), "a\\|b c\u{fffd}\u{fffd}[31md");
    }

    #[test]
    fn helpers() {
        assert_eq!(cell("a|b\nc"), "a\\|b c");
        assert_eq!(
            csv(["a", "b"], [["1".to_string(), "x,y".to_string()]]),
            "a,b\n1,\"x,y\"\n"
        );
        assert_eq!(
            markdown_table(&["a", "b"], [vec!["1".into(), "2".into()]]),
            "| a | b |\n| --- | --- |\n| 1 | 2 |\n"
        );
        assert_eq!(Format::parse("md"), Some(Format::Markdown));
        assert_eq!(Format::parse("yaml"), None);
    }
}
