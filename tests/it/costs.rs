//! `audit --cost`: billing exports generated here (CUR 2.0 as gzip CSV,
//! legacy CUR and FOCUS as CSV) for the seeded estate, read from disk; each
//! finding carries its resource's cost and the credit at risk, and the
//! table lists the costliest first.

use crate::common;

use common::estate::{self, Seeded};
use common::{write, Emulator};
use std::collections::HashMap;
use std::io::Write;

/// The id a bill names a resource by: the ARN for RDS, else its last part.
fn billed_id(arn: &str) -> String {
    if arn.starts_with("arn:aws:rds:") {
        arn.to_string()
    } else {
        arn.rsplit(['/', ':']).next().unwrap().to_string()
    }
}

/// Each seeded resource costs 10, 20, 30, … split over three files (one per
/// dialect), plus lines that are not usage and must not count.
fn write_bills(dir: &std::path::Path, seeded: &[Seeded]) -> HashMap<String, f64> {
    let folder = dir.join("billing/data/BILLING_PERIOD=2026-03");
    std::fs::create_dir_all(&folder).unwrap();
    let mut cur2 = String::from("line_item_resource_id,line_item_usage_start_date,line_item_unblended_cost,line_item_line_item_type,line_item_currency_code,resource_tags\n");
    let mut legacy = String::from("lineItem/ResourceId,lineItem/UsageStartDate,lineItem/UnblendedCost,lineItem/LineItemType,resourceTags/user:map-migrated\n");
    let mut focus = String::from(
        "ResourceId,ChargePeriodStart,BilledCost,ChargeCategory,BillingCurrency,Tags\n",
    );
    let mut expected = HashMap::new();
    for (i, s) in seeded.iter().enumerate() {
        let cost = 10.0 * (i + 1) as f64;
        let id = billed_id(&s.arn);
        // Half in CUR 2.0, a quarter each in legacy CUR and FOCUS.
        cur2 += &format!("{id},2026-03-02T00:00:00Z,{},Usage,USD,{{}}\n", cost / 2.0);
        cur2 += &format!("{id},2026-03-02T00:00:00Z,-5,Credit,USD,{{}}\n");
        legacy += &format!(
            "{id},2026-03-03T00:00:00Z,{},DiscountedUsage,\n",
            cost / 4.0
        );
        focus += &format!("{id},2026-03-04T00:00:00Z,{},Usage,USD,{{}}\n", cost / 4.0);
        focus += &format!("{id},2026-03-04T00:00:00Z,1,Tax,USD,{{}}\n");
        expected.insert(s.arn.clone(), cost);
    }
    common::write_gz(&folder.join("part-0.csv.gz"), &cur2);
    std::fs::write(folder.join("legacy.csv"), legacy).unwrap();
    std::fs::write(folder.join("focus.csv"), focus).unwrap();
    expected
}

struct Setup {
    emu: Emulator,
    dir: tempfile::TempDir,
    /// Cost per seeded resource's ARN, as billed.
    expected: HashMap<String, f64>,
    cfg: String,
}

/// The seeded estate, its bills in `dir/billing`, and a configuration with
/// a store and the `map` line given.
fn setup(suffix: &str, map: &str) -> Setup {
    let emu = Emulator::start();
    let seeded = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(estate::seed(&emu.endpoint(), suffix));
    let dir = tempfile::tempdir().unwrap();
    let expected = write_bills(dir.path(), &seeded);
    let policy = common::map_policy_path();
    let store = dir.path().join("state.db").display().to_string();
    let cfg = write(
        dir.path(),
        "tagwarden.yaml",
        &estate::config(&policy, &format!("store: {store}\n{map}\n")),
    );
    Setup {
        emu,
        dir,
        expected,
        cfg,
    }
}

#[test]
fn findings_carry_their_cost_and_the_credit_at_risk() {
    let Setup {
        emu,
        dir,
        expected,
        cfg,
    } = setup("c1", "map: {mpe_id: ABCDE12345, credit_rate: 0.2}");
    let billing = dir.path().join("billing");
    let bill = billing.to_str().unwrap();

    let run = emu.tagwarden(&["audit", "-c", &cfg, "--cost", bill, "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    assert_eq!(report["cost_currency"], "USD");
    let findings = common::non_empty(&report["findings"], "findings");
    for f in findings {
        let arn = f["arn"].as_str().unwrap();
        let cost = expected[arn];
        assert_eq!(
            f["cost"].as_f64(),
            Some(cost),
            "{arn}: usage only, over three files"
        );
        // Billed without a MAP value: 20 % of it is at risk.
        assert!(
            (f["credit_at_risk"].as_f64().unwrap() - 0.2 * cost).abs() < 1e-9,
            "{f}"
        );
    }

    // The same files from S3 give the same costs.
    let folder = billing.join("data/BILLING_PERIOD=2026-03");
    let files: Vec<_> = ["part-0.csv.gz", "legacy.csv", "focus.csv"]
        .iter()
        .map(|name| folder.join(name))
        .collect();
    estate::upload(
        &emu.endpoint(),
        "bills",
        "cur/data/BILLING_PERIOD=2026-03/",
        &files,
    );
    let remote = emu.tagwarden(&[
        "audit",
        "-c",
        &cfg,
        "--cost",
        "s3://bills/cur/",
        "--format",
        "json",
    ]);
    assert_eq!(remote.code, 1, "{}", remote.stderr);
    assert_eq!(remote.json()["findings"], report["findings"]);

    // The table leads with the costliest non-compliant resource.
    let table = emu.tagwarden(&["audit", "-c", &cfg, "--cost", bill, "--format", "table"]);
    let costliest = findings
        .iter()
        .max_by(|a, b| a["cost"].as_f64().partial_cmp(&b["cost"].as_f64()).unwrap())
        .unwrap();
    let id = costliest["arn"]
        .as_str()
        .unwrap()
        .rsplit(['/', ':'])
        .next()
        .unwrap();
    let first_row = table
        .stdout
        .lines()
        .find(|l| l.contains("critical") || l.contains("warning") || l.contains("info"))
        .unwrap_or_default();
    assert!(first_row.contains(id), "{id} first:\n{}", table.stdout);
    assert!(table.stdout.contains("CREDIT AT RISK"));

    // CSV and Markdown carry them too.
    let csv = emu
        .tagwarden(&["audit", "-c", &cfg, "--cost", bill, "--format", "csv"])
        .stdout;
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .ends_with(",cost,credit_at_risk"),
        "{csv}"
    );
    let cost = expected[costliest["arn"].as_str().unwrap()];
    assert!(
        csv.contains(&format!(",{cost:.2},{:.2}", 0.2 * cost)),
        "{csv}"
    );
    let md = emu
        .tagwarden(&["audit", "-c", &cfg, "--cost", bill, "--format", "markdown"])
        .stdout;
    assert!(md.contains("| cost | credit at risk |"), "{md}");
}

#[test]
fn plan_costs_sit_beside_the_changes_and_apply_still_takes_the_plan() {
    let Setup {
        emu,
        dir,
        expected,
        cfg,
    } = setup("c2", "map: {mpe_id: ABCDE12345}");
    let bill = dir.path().join("billing");
    let plan_file = dir.path().join("plan.json");
    let run = emu.tagwarden(&[
        "plan",
        "-c",
        &cfg,
        "--cost",
        bill.to_str().unwrap(),
        "--format",
        "table",
        "-o",
        plan_file.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&plan_file).unwrap()).unwrap();
    let changes = common::non_empty(&plan["changes"], "changes");
    for c in changes {
        let arn = c["arn"].as_str().unwrap();
        let cost = &plan["costs"][arn];
        assert_eq!(cost["cost"].as_f64(), Some(expected[arn]), "{arn}");
        assert!((cost["credit_at_risk"].as_f64().unwrap() - 0.25 * expected[arn]).abs() < 1e-9);
        assert!(c.get("cost").is_none(), "costs sit beside the changes");
    }
    // Most credit at risk first in the table.
    let costliest = changes
        .iter()
        .map(|c| c["arn"].as_str().unwrap())
        .max_by(|a, b| expected[*a].partial_cmp(&expected[*b]).unwrap())
        .unwrap();
    let id = costliest.rsplit(['/', ':']).next().unwrap();
    let first = run
        .stdout
        .lines()
        .find(|l| l.contains("map-migrated"))
        .unwrap_or_default();
    assert!(first.contains(id), "{id} first:\n{}", run.stdout);
    // The reviewed plan, costs and all, is applied as planned.
    let applied = emu.tagwarden(&[
        "apply",
        "-c",
        &cfg,
        "--plan",
        plan_file.to_str().unwrap(),
        "--yes",
        "--format",
        "json",
    ]);
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    assert_eq!(
        applied.json()["summary"]["applied"].as_u64().unwrap() as usize,
        changes.len()
    );
}

#[test]
fn a_bad_billing_file_stops_the_audit_before_any_request() {
    let dir = tempfile::tempdir().unwrap();
    let policy = common::map_policy_path();
    let cfg = write(
        dir.path(),
        "tagwarden.yaml",
        &format!("policies: [{policy}]\n"),
    );
    let bill = write(
        dir.path(),
        "bill.csv",
        "ResourceId,ChargePeriodStart,BilledCost\ni-1,2026-03-01,lots\n",
    );
    // No emulator: a request would fail differently.
    let run = common::run_tagwarden(
        &["audit", "-c", &cfg, "--cost", &bill],
        &[("AWS_ENDPOINT_URL", "http://127.0.0.1:9")],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains(&format!("{bill}: line 2: cost `lots` is not a number")),
        "{}",
        run.stderr
    );
    let missing = common::run_tagwarden(&["audit", "-c", &cfg, "--cost", "/nonexistent/bill"], &[]);
    assert_eq!(missing.code, 2);
    assert!(
        missing
            .stderr
            .contains("--cost /nonexistent/bill: no such file or folder"),
        "{}",
        missing.stderr
    );
}

#[test]
fn hostile_billing_input_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let policy = common::map_policy_path();
    let cfg = write(
        dir.path(),
        "tagwarden.yaml",
        &format!("policies: [{policy}]\nlimits: {{billing_files: 2, billing_bytes: 1000}}\n"),
    );
    // A folder with a link back up to itself is walked once, not forever.
    let bills = dir.path().join("bills");
    std::fs::create_dir_all(bills.join("nested")).unwrap();
    std::os::unix::fs::symlink(&bills, bills.join("nested/up")).unwrap();
    let bill = write(
        &bills.join("nested"),
        "bill.csv",
        "ResourceId,ChargePeriodStart,BilledCost,BillingCurrency\ni-1,2026-03-01,1,USD\ni-2,2026-03-01,NaN,USD\n",
    );
    let run = common::run_tagwarden(
        &["audit", "-c", &cfg, "--cost", bills.to_str().unwrap()],
        &[("AWS_ENDPOINT_URL", "http://127.0.0.1:9")],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "{bill}: line 3: cost `NaN` is not a finite number"
        )),
        "{}",
        run.stderr
    );
    // An S3 prefix over the configured number of files or bytes is refused
    // before it is copied, and the error names the limit.
    let emu = Emulator::start();
    let files: Vec<_> = (0..3)
        .map(|i| {
            let text = format!("ResourceId,ChargePeriodStart,BilledCost\ni-{i},2026-03-01,1\n");
            std::path::PathBuf::from(write(dir.path(), &format!("b{i}.csv"), &text))
        })
        .collect();
    estate::upload(&emu.endpoint(), "bills", "many/", &files);
    let many = emu.tagwarden(&["audit", "-c", &cfg, "--cost", "s3://bills/many/"]);
    assert_eq!(many.code, 2, "{}", many.stderr);
    assert!(
        many.stderr.contains("--cost s3://bills/many/: 3 billing files, over the 2 tagwarden copies (limits.billing_files)"),
        "{}",
        many.stderr
    );
    let big = write(
        dir.path(),
        "big.csv",
        &format!(
            "ResourceId,ChargePeriodStart,BilledCost\n{}",
            "i-1,2026-03-01,1\n".repeat(100)
        ),
    );
    estate::upload(
        &emu.endpoint(),
        "bigbills",
        "big/",
        &[std::path::PathBuf::from(big)],
    );
    let large = emu.tagwarden(&["audit", "-c", &cfg, "--cost", "s3://bigbills/big/"]);
    assert_eq!(large.code, 2, "{}", large.stderr);
    assert!(
        large
            .stderr
            .contains("more than tagwarden copies (limits.billing_bytes: 1000)"),
        "{}",
        large.stderr
    );
}

/// A gzip file whose second line decompresses to 1 GiB with no newline:
/// 64 gzip members of 16 MiB of `x` each (a reader reads every member), so
/// the file is a few hundred KB and is made in a moment.
fn gzip_bomb(path: &std::path::Path) {
    let header = "line_item_resource_id,line_item_usage_start_date,line_item_unblended_cost,line_item_line_item_type\ni-1,2026-03-02T00:00:00Z,1,Usage\n";
    let member = |bytes: &[u8]| {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    };
    let x = member(&vec![b'x'; 16 << 20]);
    let mut file = member(header.as_bytes());
    for _ in 0..64 {
        file.extend_from_slice(&x);
    }
    std::fs::write(path, file).unwrap();
}

#[test]
fn a_gzip_bomb_is_refused_with_exit_2_in_little_memory() {
    let dir = tempfile::tempdir().unwrap();
    let bomb = dir.path().join("bomb.csv.gz");
    gzip_bomb(&bomb);
    assert!(
        std::fs::metadata(&bomb).unwrap().len() < 2 << 20,
        "a small file"
    );
    let cfg = write(
        dir.path(),
        "tagwarden.yaml",
        &estate::config(&common::map_policy_path(), ""),
    );
    // The bill is read before anything is asked of AWS; its peak memory
    // is the child's maximum resident set, as the kernel counted it.
    let measure = "import resource, subprocess, sys\n\
        p = subprocess.run(sys.argv[1:], stdin=subprocess.DEVNULL, capture_output=True)\n\
        sys.stderr.write(p.stderr.decode())\n\
        print(p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n";
    let out = std::process::Command::new(common::emulator_python())
        .args(["-c", measure, env!("CARGO_BIN_EXE_tagwarden")])
        .args(["audit", "-c", &cfg, "--cost", bomb.to_str().unwrap()])
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let (code, max_rss_kib) = stdout.trim().split_once(' ').expect("code and memory");
    assert_eq!(code, "2", "{stderr}");
    assert!(
        stderr.contains("bomb.csv.gz: line 3: a line longer than 1 MiB: not a billing export line (a broken or hostile file); nothing of it was counted"),
        "{stderr}"
    );
    let mib = max_rss_kib.parse::<u64>().unwrap() / 1024;
    eprintln!("gzip bomb refused, peak memory {mib} MiB");
    assert!(mib < 300, "peak memory {mib} MiB");
}
