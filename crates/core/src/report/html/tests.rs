//! The HTML report: a whole page, its charts, and text from AWS or a tag in
//! every field that reaches the page.

use super::*;
use crate::cloudtrail::tool::Tool;
use crate::config::{MapAgreement, QuarterBasis};
use crate::credits::{compute, periods, Cell, Input, Received};
use crate::money::lit as m;
use crate::policy::{FindingKind, PolicyCounts, Severity, Summary};
use crate::report::credits::{Agreement, Source, TagActivation};
use crate::report::drift::tests::removal;
use crate::report::RemovalOutcome;
use crate::report::ReportSummary;
use crate::scan::ScanError;
use crate::Arn;
use chrono::{NaiveDate, TimeZone, Utc};

#[test]
fn a_chart_scales_to_its_largest_bar() {
    let bars = [
        Bar {
            label: "a<b".into(),
            segments: vec![(50.0, GREEN), (50.0, RED)],
        },
        Bar {
            label: "c".into(),
            segments: vec![(25.0, GREEN)],
        },
    ];
    let svg = bar_chart("t", &bars, &[("x", GREEN)], Unit::Count).into_string();
    assert!(
        svg.contains("<text x=\"0\" y=\"16\">a&lt;b</text>"),
        "{svg}"
    );
    assert!(svg.contains(">100</text>"), "a count's total: {svg}");
    let money = bar_chart("m", &bars, &[], Unit::Money).into_string();
    assert!(money.contains(">100.00</text>"), "money's total: {money}");
    let large = [Bar {
        label: "big".into(),
        segments: vec![(1_234_567.891, GREEN)],
    }];
    let money = bar_chart("m", &large, &[], Unit::Money).into_string();
    assert!(money.contains(">1,234,567.89</text>"), "{money}");
    assert!(
        svg.contains("width=\"300.0\" height=\"16\" fill=\"#2e8540\""),
        "{svg}"
    );
    assert!(svg.contains("width=\"150.0\""), "{svg}");
}

fn counts(in_scope: usize, compliant: usize, non_compliant: usize) -> PolicyCounts {
    PolicyCounts {
        in_scope,
        compliant,
        non_compliant,
        unknown: in_scope - compliant - non_compliant,
    }
}

/// A finding on the MAP tag, billed `cost` (a tenth of it at risk).
fn finding(h: &str, id: &str, value: Option<&str>, cost: f64) -> FindingRecord {
    let arn = format!("arn:aws:ec2:us-east-1:111111111111:instance/{id}{h}");
    FindingRecord {
        arn: Arn::parse(&arn).unwrap(),
        account: format!("111111111111{h}"),
        account_name: Some(format!("prod{h}")),
        region: format!("us-east-1{h}"),
        resource_type: "ec2:instance".into(),
        policy: format!("map-migrated{h}"),
        tag: "map-migrated".into(),
        kind: if value.is_some() {
            FindingKind::Invalid
        } else {
            FindingKind::Missing
        },
        value: value.map(|v| format!("{v}{h}")),
        severity: Severity::Critical,
        hint: Some(format!("tag it{h}")),
        cost: Some(m(cost)),
        spend_before_tag: None,
        credit_at_risk: Some(m(cost / 10.0)),
    }
}

/// An audit with costs: every text in it that reaches the page ends in `h`.
pub(crate) fn audit(h: &str) -> AuditReport {
    let row = |policy: &str, account: &str, name: Option<&str>, c| ComplianceRow {
        policy: format!("{policy}{h}"),
        account: format!("{account}{h}"),
        account_name: name.map(|n| format!("{n}{h}")),
        counts: c,
    };
    AuditReport {
        run_id: format!("run-1{h}"),
        generated_at: Utc.with_ymd_and_hms(2026, 3, 20, 12, 0, 0).unwrap(),
        summary: ReportSummary {
            counts: Summary {
                resources: 12,
                in_scope: 11,
                compliant: 6,
                non_compliant: 4,
                unknown: 1,
            },
            api_calls: 9,
            accounts: 3,
            regions: 2,
        },
        errors: vec![
            ScanError::account(&format!("333333333333{h}"), format!("AccessDenied{h}")),
            ScanError::region("111111111111", &format!("eu-west-1{h}"), "throttled"),
        ],
        compliance: vec![
            row(
                "map-migrated",
                "111111111111",
                Some("prod"),
                counts(6, 3, 2),
            ),
            row("map-migrated", "222222222222", None, counts(2, 1, 1)),
            row(
                "cost-allocation",
                "111111111111",
                Some("prod"),
                counts(3, 2, 1),
            ),
        ],
        findings: vec![
            finding(h, "i-1", None, 1200.0),
            finding(h, "i-2", Some("mig-wrong"), 300.5),
            // The same resource fails twice: listed once, at its largest.
            finding(h, "i-2", None, 50.0),
            finding(h, "i-3", None, 0.0),
        ],
        api_calls_by_operation: Default::default(),
        warnings: vec![format!("a warning{h}")],
        cost_currency: Some(format!("USD{h}")),
        late_tagged: None,
        scanned: Default::default(),
    }
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// A money view over February to April 2026 (April so far): every text in
/// it that reaches the page ends in `h`.
fn credits(h: &str) -> CreditsReport {
    let terms = MapAgreement {
        tags: crate::policy::map_format::MapTags::map_migrated(Some("ABCDE12345".into())),
        quarters: QuarterBasis::Calendar,
        target: Some(m(1_000_000.0)),
        ..MapAgreement::default()
    };
    let cell = |month: &str, tag: Option<&str>, amount: f64| Cell {
        month: d(month),
        scheme: Default::default(),
        key: "Amazon Elastic Compute Cloud - Compute".into(),
        tag: tag.map(str::to_string),
        amount: m(amount),
        currency: "USD".into(),
        eligible: None,
        workload: None,
    };
    let input = Input {
        terms: &terms,
        months: periods::months(d("2026-02-01"), d("2026-05-01")),
        agreement_start: d("2026-02-01"),
        agreement_end: d("2027-01-01"),
        complete_before: d("2026-04-01"),
        by_service: vec![
            cell("2026-02-01", Some("migABCDE12345"), 40_000.0),
            cell("2026-03-01", Some("migABCDE12345"), 30_000.0),
            cell("2026-03-01", None, 8_000.0),
            cell("2026-03-01", Some(&format!("mig-typo{h}")), 500.0),
            cell("2026-04-01", None, 900.0),
        ],
        by_account: vec![],
        by_workload: vec![],
        received: vec![Received {
            month: d("2026-04-01"),
            amount: m(-3_000.0),
            currency: "USD".into(),
        }],
        origin: crate::credits::Origin::CostExplorer,
        source_assumptions: Vec::new(),
    };
    let mut credits = compute(&input).unwrap();
    credits.currency = format!("USD{h}");
    for p in credits.months.iter_mut().chain(&mut credits.quarters) {
        p.period.label += h;
    }
    credits.assumptions.push(format!("an assumption{h}"));
    CreditsReport {
        agreement: Agreement::new(&terms, d("2026-02-01"), d("2027-01-01")),
        source: Source {
            kind: "cost_explorer",
            api_requests: 4,
            api_cost_usd: m(0.04),
            cached: false,
            billing_periods: vec![],
            eligible_list: None,
        },
        tag_activation: TagActivation {
            status: "unknown",
            detail: format!("ListCostAllocationTags failed{h}"),
        },
        workload: None,
        credits,
        late_tagging: None,
        uncredited_resources: None,
        warnings: vec![format!("cannot tell whether the tag is active{h}")],
        by: None,
    }
}

pub(crate) fn page(
    h: &str,
    audit: &AuditReport,
    credits: Option<&CreditsReport>,
    error: Option<&str>,
) -> String {
    page_removing(h, audit, credits, error, &[])
}

/// As `page`, with the store's last removals.
fn page_removing(
    h: &str,
    audit: &AuditReport,
    credits: Option<&CreditsReport>,
    error: Option<&str>,
    removals: &[Removal],
) -> String {
    HtmlReport {
        generated_at: format!("2026-03-20T12:00:00Z{h}"),
        audit,
        credits,
        credits_error: error.map(|e| format!("{e}{h}")),
        removals,
    }
    .render()
}

/// Terraform's CI removed `map-migrated` three times on two instances,
/// someone in the console once, and tagwarden rolled one back itself:
/// every principal ends in `h`.
fn removals(h: &str) -> Vec<Removal> {
    let i = |n: u32| format!("arn:aws:ec2:eu-west-1:222222222222:instance/i-{n}");
    let role = |r: &str| format!("arn:aws:sts::222222222222:assumed-role/{r}{h}");
    let ci = role("terraform-ci/s");
    vec![
        removal(&i(1), &ci, Tool::Terraform, RemovalOutcome::Restored),
        removal(&i(2), &ci, Tool::Terraform, RemovalOutcome::Restored),
        removal(
            &i(3),
            &role("Admin/jane"),
            Tool::Console,
            RemovalOutcome::Reported,
        ),
        removal(&i(1), &ci, Tool::Terraform, RemovalOutcome::Capped),
        removal(
            &i(4),
            &role("tagwarden-audit/s"),
            Tool::Tagwarden,
            RemovalOutcome::Own,
        ),
    ]
}

/// The report's "Tags removed lately", up to the next section.
fn lately_section(page: &str) -> &str {
    let start = page.find("<h2>Tags removed lately</h2>").expect(page);
    let end = page[start + 4..]
        .find("<h2>")
        .map_or(page.len(), |e| start + 4 + e);
    &page[start..end]
}

#[test]
fn whole_page() {
    insta::assert_snapshot!(page("", &audit(""), Some(&credits("")), None));
}

#[test]
fn whole_page_without_costs_or_credits() {
    let mut audit = audit("");
    audit.cost_currency = None;
    let error = "credits need the agreement's dates";
    insta::assert_snapshot!(page("", &audit, None, Some(error)));
}

/// Markup and entities as text from AWS or a tag might carry them: an
/// element, an attribute break-out, a quote and an entity of its own.
pub(crate) const HOSTILE: &str = "<script>alert(1)</script>\"><img src=x onerror=alert(1)>'&amp;";

/// `text` as a page must show it: `&`, `<`, `>` and `"` escaped, which is
/// enough in element content and in double-quoted attributes alike.
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// No markup of `HOSTILE` reached `page`, and each text is on it escaped,
/// right after the markup it comes with.
pub(crate) fn assert_escaped(page: &str, texts: &[(&str, String)]) {
    for raw in ["<script", "<img", "onerror=alert(1)>"] {
        assert!(!page.contains(raw), "{raw} on the page:\n{page}");
    }
    // Every `&` starts an entity: none of the text's own `&` is left bare.
    for (at, _) in page.match_indices('&') {
        let rest = &page[at..];
        assert!(
            ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"]
                .iter()
                .any(|e| rest.starts_with(e)),
            "a bare & at {at}: {}",
            &rest[..rest.len().min(40)]
        );
    }
    for (markup, text) in texts {
        assert!(text.contains(HOSTILE), "{text}");
        let want = format!("{markup}{}", escaped(text));
        assert!(page.contains(&want), "{want} is not on the page:\n{page}");
    }
}

#[test]
fn text_from_aws_or_a_tag_is_never_markup() {
    let h = HOSTILE;
    let page = page_removing(h, &audit(h), Some(&credits(h)), None, &removals(h));
    let texts = [
        ("Generated ", "2026-03-20T12:00:00Z"),
        // Compliance charts: a policy, an account and its name.
        ("<text x=\"0\" y=\"40\"><title>", "map-migrated"),
        ("<text x=\"0\" y=\"16\"><title>", "111111111111{h} (prod"),
        ("<text x=\"0\" y=\"40\"><title>", "222222222222"),
        // What could not be scanned.
        ("<li>", "account 333333333333{h} region *: AccessDenied"),
        ("<li>account 111111111111 region ", "eu-west-1"),
        // The costliest resources: ARN, account, region, tag value, currency.
        ("<code>", "arn:aws:ec2:us-east-1:111111111111:instance/i-1"),
        ("<td>", "111111111111"),
        ("<td>", "us-east-1"),
        ("invalid map-migrated <code>", "mig-wrong"),
        ("<th>Cost (", "USD"),
        // The money view: its currency wherever it is written, period
        // labels in charts and tables, mis-tagged values, notes, warnings.
        ("<h2>MAP credits (", "USD"),
        ("<b>", "5,000.00 USD"),
        ("Forecast: 78,750.00 ", "USD"),
        ("at the recent 35,000.00 ", "USD"),
        ("83,750.00 ", "USD"),
        ("9,562.50 ", "USD"),
        ("<text x=\"0\" y=\"16\"><title>", "2026-02"),
        ("<text x=\"0\" y=\"16\"><title>", "2026-Q1"),
        ("<td>", "2026-Q2"),
        ("<code>", "mig-typo"),
        ("(", "ListCostAllocationTags failed"),
        ("<li>", "an assumption"),
        (
            "<p class=\"warn\">",
            "cannot tell whether the tag is active",
        ),
        // Who removed a policy's tag lately.
        (
            "<li>",
            "arn:aws:sts::222222222222:assumed-role/terraform-ci/s",
        ),
        ("<li>", "arn:aws:sts::222222222222:assumed-role/Admin/jane"),
    ]
    .map(|(markup, t)| (markup, format!("{}{h}", t.replace("{h}", h))));
    assert_escaped(&page, &texts);
    assert_eq!(page.matches("<svg").count(), 5, "{page}");

    let error = "credits need the agreement's dates";
    let page = super::tests::page(h, &audit(h), None, Some(error));
    let text = format!("{error}{h}");
    assert_escaped(&page, &[("Cost Explorer could not be read: ", text)]);
}

#[test]
fn a_chart_title_and_labels_are_text_in_attributes_too() {
    let h = HOSTILE;
    let bars = [Bar {
        label: format!("prod{h}"),
        segments: vec![(1.0, GREEN)],
    }];
    let svg = bar_chart(&format!("by account{h}"), &bars, &[(h, GREEN)], Unit::Count).into_string();
    let title = format!("by account{h}");
    assert_escaped(
        &svg,
        &[
            ("aria-label=\"", title.clone()),
            ("<figcaption>", title),
            ("<text x=\"0\" y=\"16\"><title>", format!("prod{h}")),
            ("y=\"48\">", h.to_string()),
        ],
    );
}

#[test]
fn the_target_is_drawn_against_the_projection() {
    let (a, c) = (audit(""), credits(""));
    let page = page("", &a, Some(&c), None);
    // Feb and Mar complete: 70k tagged, 35k a month for the 9 months left.
    assert!(page.contains("<h3>The agreement's target</h3>"), "{page}");
    assert!(page.contains("Short by 615,000.00 USD</span>"), "{page}");
    assert!(
        page.contains("385,000.00 USD projected against 1,000,000.00 USD committed"),
        "{page}"
    );
    assert!(
        page.contains("aria-label=\"Migrated spend against the target\""),
        "{page}"
    );
}

#[test]
fn the_style_is_written_as_it_is() {
    // maud escapes the style like any text, which leaves this one as it is.
    let page = page("", &audit(""), None, None);
    assert!(page.contains(&format!("<style>{STYLE}</style>")), "{page}");
}

#[test]
fn tags_removed_lately_groups_the_last_removals_with_the_fix() {
    let (a, c) = (audit(""), credits(""));
    let page = page_removing("", &a, Some(&c), None, &removals(""));
    let section = lately_section(&page);
    insta::assert_snapshot!(section);
    // Between what to tag first and the money view; tagwarden's own
    // rollback is no line.
    let at = |h: &str| page.find(h).expect(h);
    assert!(at("<h2>Untagged resources") < at("<h2>Tags removed lately"));
    assert!(at("<h2>Tags removed lately") < at("<h2>MAP credits"));
    assert!(!section.contains("tagwarden-audit"), "{section}");
    // None seen, or tagwarden's own only: no section.
    assert!(!page_removing("", &a, None, None, &[]).contains("Tags removed lately"));
    let own = &removals("")[4..];
    assert!(!page_removing("", &a, None, None, own).contains("Tags removed lately"));
}

#[test]
fn tags_removed_lately_are_bounded() {
    let a = audit("");
    // 250 removals by 25 principals: the last 200 are grouped, 20 lines
    // shown.
    let many: Vec<Removal> = (0..250)
        .map(|n| {
            let who = format!("arn:aws:sts::222222222222:assumed-role/ci-{:02}/s", n % 25);
            let arn = format!("arn:aws:ec2:eu-west-1:222222222222:instance/i-{n}");
            removal(&arn, &who, Tool::Terraform, RemovalOutcome::Reported)
        })
        .collect();
    let page = page_removing("", &a, None, None, &many);
    let section = lately_section(&page);
    assert!(
        section.contains("<p>200 removal(s) or change(s) of a policy's key seen since "),
        "{section}"
    );
    assert_eq!(section.matches("<li>").count(), 20, "{section}");
    assert!(
        section.contains("<p>5 more line(s) in <code>tagwarden drift</code>.</p>"),
        "{section}"
    );
    assert!(section.contains("8 time(s) on 8 resource(s)"), "{section}");
}

#[test]
fn a_label_s_room_counts_wide_characters_twice_and_long_labels_are_cut() {
    assert_eq!(text_width("ab"), 2.0 * CHAR_W + 12.0);
    assert_eq!(text_width("生産"), 4.0 * CHAR_W + 12.0);
    let long = "é".repeat(50);
    assert_eq!(shown(&long), format!("{}…", "é".repeat(MAX_LABEL)));
    assert_eq!(shown("prod"), "prod");
}
