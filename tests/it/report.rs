//! `tagwarden report`: the audit and the money view in one HTML file,
//! opened in a real headless browser (Debian's chromium, installed by
//! `scripts/setup-tools.sh`). A screenshot is kept in the test run's target
//! folder (`report.png`, beside `report.html`).

use crate::common;

use common::estate;
use common::{write, Emulator};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;

const HOSTILE: &str = "<script>document.title='pwned'</script>";
const EC2: &str = "Amazon Elastic Compute Cloud - Compute";

fn chromium() -> PathBuf {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .expect("chromium not found: run scripts/setup-tools.sh (scripts/test.sh does) to install Debian's chromium")
}

/// Run headless chromium on `page` with `args`; its standard output.
fn browse(page: &Path, args: &[String]) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn inject_billing(emu: &Emulator) {
    let group = |tag: &str, key: &str, amount: f64| {
        json!({"Keys": [format!("map-migrated${tag}"), key],
               "Metrics": {"UnblendedCost": {"Amount": amount.to_string(), "Unit": "USD"}}})
    };
    let month = |start: &str, end: &str, groups: Vec<serde_json::Value>| json!({"TimePeriod": {"Start": start, "End": end}, "Total": {}, "Groups": groups, "Estimated": false});
    let results = json!({"results": [
        common::billed_usage_types(&[(EC2, "USE1-BoxUsage:m5.large")]),
        {"ResultsByTime": [
            month("2026-01-01", "2026-02-01", vec![group("migABCDE12345", EC2, 40000.0), group("", EC2, 9000.0)]),
            month("2026-02-01", "2026-03-01", vec![group("migABCDE12345", EC2, 42000.0), group(HOSTILE, EC2, 700.0)]),
            month("2026-03-01", "2026-03-21", vec![group("migABCDE12345", EC2, 30000.0), group("", EC2, 4000.0)]),
        ]},
        {"ResultsByTime": []},
        {"ResultsByTime": [
            {"TimePeriod": {"Start": "2026-02-01", "End": "2026-03-01"},
             "Total": {"UnblendedCost": {"Amount": "-6000", "Unit": "USD"}}, "Groups": []}
        ]}
    ]});
    let answer = emu
        .http(
            "POST",
            "/moto-api/static/ce/cost-and-usage-results",
            &results.to_string(),
        )
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
}

/// The demo estate seeded, and a configuration with the MAP policy and a
/// 2026 agreement (calendar quarters).
fn seeded(emu: &Emulator, suffix: &str, more_map: &str) -> (tempfile::TempDir, String) {
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(estate::seed(&emu.endpoint(), suffix));
    let dir = tempfile::tempdir().unwrap();
    let map = format!(
        "store: {}\nmap:\n  mpe_id: ABCDE12345\n  agreement: {{start: 2026-01-01, end: 2026-12-31}}\n  quarters: calendar\n{more_map}",
        dir.path().join("state.db").display()
    );
    let config = estate::config(&common::map_policy_path(), &map);
    let cfg = write(dir.path(), "tagwarden.yaml", &config);
    (dir, cfg)
}

#[test]
fn the_html_report_renders_in_a_browser_with_charts_and_escaped_values() {
    let emu = Emulator::start();
    let (dir, cfg) = seeded(&emu, "r1", "");
    inject_billing(&emu);
    let page = dir.path().join("report.html");
    let run = emu.tagwarden(&[
        "report",
        "-c",
        &cfg,
        "--at",
        "2026-03-20",
        "-o",
        page.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "non-compliance found: {}", run.stderr);
    assert!(run.stderr.contains("estimated credit"), "{}", run.stderr);

    let html = std::fs::read_to_string(&page).unwrap();
    // Self-contained: nothing fetched, no script of its own.
    for fetch in ["src=", "href=\"http", "@import", "url(", "<script", "<link"] {
        assert!(!html.contains(fetch), "{fetch} in the report");
    }

    // The browser's view of the document: charts drawn, the hostile tag
    // value a piece of text, not an element (and the title untouched).
    let dom = browse(&page, &["--dump-dom".to_string()]);
    assert!(dom.matches("<svg").count() >= 4, "charts: {dom}");
    assert!(dom.contains("<title>tagwarden report</title>"));
    assert!(
        dom.contains("&lt;script&gt;document.title='pwned'&lt;/script&gt;"),
        "{dom}"
    );
    assert!(!dom.contains("<script"), "{dom}");
    assert!(dom.contains("Eligible spend per month"));
    assert!(dom.contains("Resources in scope, by account"));
    assert!(dom.contains("2026-Q1"));

    // A screenshot to look at, kept with the test run.
    let artifacts = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let shot = artifacts.join("report.png");
    let _ = std::fs::remove_file(&shot);
    browse(
        &page,
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1200,2600".into(),
        ],
    );
    let size = std::fs::metadata(&shot).expect("a screenshot").len();
    assert!(
        size > 20_000,
        "a screenshot of a rendered page, not a blank one ({size} bytes)"
    );
    std::fs::copy(&page, artifacts.join("report.html")).unwrap();
    eprintln!("screenshot: {}", shot.display());
}

#[test]
fn without_agreement_dates_the_report_says_why_credits_are_missing() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let policy = common::map_policy_path();
    let cfg = write(
        dir.path(),
        "tagwarden.yaml",
        &format!("policies: [{policy}]\nregions: [us-east-1]\n"),
    );
    let page = dir.path().join("r.html");
    let run = emu.tagwarden(&["report", "-c", &cfg, "-o", page.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        html.contains("Cost Explorer could not be read: credits need the agreement's dates"),
        "{html}"
    );
}

#[test]
fn with_a_billing_export_the_report_ranks_untagged_resources_by_cost() {
    let emu = Emulator::start();
    let (dir, cfg) = seeded(&emu, "r2", "  workload_tags: [app]\n");
    // The resources missing their MAP value, each billed a different amount.
    let audit = emu
        .tagwarden(&["audit", "-c", &cfg, "--format", "json"])
        .json();
    let mut arns: Vec<String> = common::non_empty(&audit["findings"], "findings")
        .iter()
        .filter(|f| f["tag"] == "map-migrated")
        .map(|f| f["arn"].as_str().unwrap().to_string())
        .collect();
    arns.sort();
    arns.dedup();
    assert!(arns.len() >= 2, "{arns:?}");
    let mut bill = String::from("line_item_resource_id,line_item_usage_account_id,line_item_line_item_type,line_item_product_code,line_item_usage_type,line_item_usage_start_date,line_item_unblended_cost,line_item_currency_code,resource_tags\n");
    for (i, arn) in arns.iter().enumerate() {
        bill += &format!(
            "{arn},111111111111,Usage,AmazonEC2,BoxUsage:m5.large,2026-02-0{}T00:00:00Z,{},USD,{{}}\n",
            1 + i % 9,
            100 * (i + 1)
        );
    }
    // Tagged all along, in a workload with a hostile name.
    let tags = |map: Option<&str>, app: &str| {
        let map = map.map_or(String::new(), |v| {
            format!("\"\"user_map_migrated\"\":\"\"{v}\"\",")
        });
        format!("\"{{{map}\"\"user_app\"\":\"\"{app}\"\"}}\"")
    };
    bill += &format!("i-tagged,111111111111,Usage,AmazonEC2,BoxUsage:m5.large,2026-02-01T00:00:00Z,60000,USD,{}\n", tags(Some("migABCDE12345"), HOSTILE));
    // Tagged late: 1,000 spent before its tag on February 5.
    bill += &format!(
        "i-late,111111111111,Usage,AmazonEC2,BoxUsage:m5.large,2026-02-01T00:00:00Z,1000,USD,{}\n",
        tags(None, "erp")
    );
    bill += &format!(
        "i-late,111111111111,Usage,AmazonEC2,BoxUsage:m5.large,2026-02-05T00:00:00Z,500,USD,{}\n",
        tags(Some("migABCDE12345"), "erp")
    );
    // Only the bill knows it: a function, which the scan does not list
    // without Resource Explorer.
    bill += &format!("arn:aws:lambda:us-east-1:111111111111:function:unlisted,111111111111,Usage,AWSLambda,Request,2026-02-03T00:00:00Z,40,USD,{}\n", tags(None, "erp"));
    let bill = write(dir.path(), "bill.csv", &bill);
    let page = dir.path().join("costs.html");
    let run = emu.tagwarden(&[
        "report",
        "-c",
        &cfg,
        "--at",
        "2026-03-20",
        "--cost",
        &bill,
        "-o",
        page.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);

    let dom = browse(&page, &["--dump-dom".to_string()]);
    assert!(
        dom.contains("Untagged resources, most credit at risk first"),
        "{dom}"
    );
    assert!(dom.contains("From the billing export"), "{dom}");
    // The costliest first: the last ARN was billed the most.
    let costliest = dom
        .find(arns.last().unwrap().as_str())
        .expect("costliest listed");
    let cheapest = dom.find(arns[0].as_str()).expect("cheapest listed");
    assert!(costliest < cheapest, "ranked by credit at risk");
    // 60,500 tagged, 10,500 above the threshold: 2,625 estimated.
    assert!(dom.contains("2,625.00 USD"), "{dom}");

    // Workloads, the hostile one as text; the script did not run.
    assert!(dom.contains("<h2>Workloads (USD)</h2>"), "{dom}");
    assert!(
        dom.contains("&lt;script&gt;document.title='pwned'&lt;/script&gt;"),
        "{dom}"
    );
    assert!(!dom.contains("<script"), "{dom}");
    assert!(dom.contains("<title>tagwarden report</title>"));
    // Late tagging: i-late's 1,000 before its tag, 250 forfeited.
    assert!(
        dom.contains("<h2>Credit lost to late tagging</h2>"),
        "{dom}"
    );
    assert!(
        dom.contains("<td><code>i-late</code></td><td>111111111111</td><td>Amazon Elastic Compute Cloud - Compute</td><td>erp</td><td>2026-02-01</td><td>2026-02-05</td><td>1,000.00</td><td>250.00</td>"),
        "{dom}"
    );
    // The bill's list: the function the scan did not see is on it, said so.
    let unlisted = dom
        .find("function:unlisted</code>")
        .expect("the bill-only resource is listed");
    let row_end = unlisted + dom[unlisted..].find("</tr>").unwrap();
    assert!(
        dom[unlisted..row_end].ends_with("<td>no</td>"),
        "{}",
        &dom[unlisted..row_end]
    );
    assert!(dom.contains("were not seen by the scan"), "{dom}");
    for width in [1280, 390] {
        let overlaps = overlapping_labels(&page, width);
        assert!(overlaps.is_empty(), "at {width} px: {overlaps:#?}");
    }
}

/// In a real browser `width` pixels wide: every pair of a chart's labels
/// whose boxes overlap each other or a bar, and every label that runs out
/// of its chart. The page has no script of its own: a copy of it gets one
/// that measures and writes what it found into the page.
fn overlapping_labels(page: &Path, width: u32) -> Vec<String> {
    const MEASURE: &str = r#"<script>
const out = [];
const hit = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
for (const svg of document.querySelectorAll('svg')) {
  const box = svg.getBoundingClientRect();
  const texts = [...svg.querySelectorAll('text')].map(t => [t.textContent, t.getBoundingClientRect()]);
  const bars = [...svg.querySelectorAll('rect')].map(r => r.getBoundingClientRect()).filter(r => r.width > 0.5);
  texts.forEach(([name, a], i) => {
    texts.slice(i + 1).forEach(([other, b]) => { if (hit(a, b)) out.push(`${svg.ariaLabel}: "${name}" overlaps "${other}"`); });
    bars.forEach(b => { if (hit(a, b)) out.push(`${svg.ariaLabel}: "${name}" overlaps a bar`); });
    if (a.right > box.right + 0.5 || a.left < box.left - 0.5) out.push(`${svg.ariaLabel}: "${name}" runs out of the chart`);
  });
}
const pre = document.createElement('pre');
pre.id = 'overlaps';
pre.textContent = JSON.stringify(out);
document.body.appendChild(pre);
</script>"#;
    let text = std::fs::read_to_string(page).unwrap();
    let measured = page.with_extension(format!("measured-{width}.html"));
    std::fs::write(
        &measured,
        text.replace("</body>", &format!("{MEASURE}</body>")),
    )
    .unwrap();
    let dom = browse(
        &measured,
        &[
            format!("--window-size={width},900"),
            "--virtual-time-budget=2000".into(),
            "--dump-dom".into(),
        ],
    );
    let marker = "<pre id=\"overlaps\">";
    let start = dom.find(marker).expect("the measurement ran") + marker.len();
    let end = start + dom[start..].find("</pre>").unwrap();
    let json = dom[start..end]
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"))
}
