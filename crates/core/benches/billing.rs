//! Billing-file ingestion: 5 million CUR 2.0 rows (100,000 resources, 10 %
//! non-usage lines, every row with its account, product and usage type),
//! read as plain CSV (streamed from a generator), as gzip CSV and as
//! Snappy Parquet with the `resource_tags` map (both from files written
//! first). Rows per second, and the peak RSS of each read, each in a
//! process of its own. Workloads and late tagging are on: every row has
//! an `app` tag (50 workloads), and most resources take the MAP tag part
//! way through the month (late), some never, some from the first day.
//!
//!     cargo bench -p tagwarden-core --bench billing
//!
//! One read alone (to profile it): `--read csv -`, or `--write parquet
//! FILE` then `--read parquet FILE` (or `gzip` for a gzip CSV file).

#[path = "../tests/support/bill_parquet.rs"]
mod bill_parquet;

use bill_parquet::{write_bill, BillRow, TagStyle};
use chrono::NaiveDate;
use std::io::Read;
use std::time::Instant;
use tagwarden_core::billing::{Costs, Reading};
use tagwarden_core::config::MapAgreement;

const ROWS: u64 = 5_000_000;
const RESOURCES: u64 = 100_000;
/// Rows per Parquet row group.
const GROUP: usize = 250_000;
const HEADER: &str = "line_item_resource_id,line_item_usage_account_id,line_item_line_item_type,line_item_product_code,line_item_usage_type,line_item_line_item_description,line_item_currency_code,line_item_usage_start_date,line_item_unblended_cost,resource_tags\n";
/// 2026-03-01T00:00:00Z.
const MARCH_MS: i64 = 1_772_323_200_000;

/// Row `n` of the bill.
fn row(n: u64) -> BillRow {
    let tax = (n / RESOURCES).is_multiple_of(10);
    BillRow {
        resource: format!("i-{:017x}", n % RESOURCES),
        account: format!("{:012}", 111_111_111_111 + n % 40),
        kind: if tax { "Tax" } else { "Usage" }.into(),
        product: "AmazonEC2".into(),
        usage_type: "USE1-BoxUsage:m5.large".into(),
        description: String::new(),
        start_ms: MARCH_MS + (n % 28) as i64 * 86_400_000,
        cost: (n % 7) as f64 + (n % 10_000) as f64 / 10_000.0,
        currency: "USD".into(),
        // Resource r is tagged from day r % 40 of the month: from the
        // first day, part way (late), or (28 and on) never.
        tag: ((n % 28) >= (n % RESOURCES) % 40).then(|| "migABCDE12345".to_string()),
        tags: vec![("app".into(), format!("app-{}", n % RESOURCES % 50))],
    }
}

/// The bill as CUR 2.0 CSV text, one row at a time.
struct Rows {
    next: u64,
    buf: Vec<u8>,
    at: usize,
}

impl Rows {
    fn new() -> Rows {
        Rows {
            next: 0,
            buf: HEADER.as_bytes().to_vec(),
            at: 0,
        }
    }
}

impl Read for Rows {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.buf.len() {
            if self.next == ROWS {
                return Ok(0);
            }
            let r = row(self.next);
            self.next += 1;
            let day = chrono::DateTime::from_timestamp_millis(r.start_ms).unwrap();
            let app = r.app().unwrap_or_default();
            let tags = match &r.tag {
                Some(t) => format!(r#""{{""user_app"":""{app}"",""user_map_migrated"":""{t}""}}""#),
                None => format!(r#""{{""user_app"":""{app}""}}""#),
            };
            self.buf = format!(
                "{},{},{},{},{},,{},{},{},{tags}\n",
                r.resource,
                r.account,
                r.kind,
                r.product,
                r.usage_type,
                r.currency,
                day.format("%Y-%m-%dT%H:%M:%SZ"),
                r.cost
            )
            .into_bytes();
            self.at = 0;
        }
        let k = out.len().min(self.buf.len() - self.at);
        out[..k].copy_from_slice(&self.buf[self.at..self.at + k]);
        self.at += k;
        Ok(k)
    }
}

fn peak_rss_mib() -> f64 {
    status_mib("VmHWM:")
}

/// A memory figure of this process, in MiB.
fn status_mib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

fn ingest(name: &str, read: impl FnOnce(&mut Costs)) {
    let started = Instant::now();
    let terms = MapAgreement {
        tags: tagwarden_core::policy::map_format::MapTags::map_migrated(Some("ABCDE12345".into())),
        workload_tags: vec!["app".into()],
        ..MapAgreement::default()
    };
    let march = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
    let mut costs = Costs {
        reading: Reading {
            window: Some((march, NaiveDate::from_ymd_opt(2026, 4, 1).unwrap())),
            ..Reading::of(&terms)
        },
        ..Costs::default()
    };
    read(&mut costs);
    eprintln!("resident after reading: {:.1} MiB", status_mib("VmRSS:"));
    let late = tagwarden_core::credits::resources::late_tagging(&costs, terms.credit_rate);
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(costs.rows, ROWS);
    assert_eq!(costs.by_resource.len() as u64, RESOURCES);
    println!(
        "{name:>12}: {} rows in {secs:.2} s = {:.2} M rows/s; {} resources, {} tagged late; peak RSS {:.1} MiB",
        costs.rows,
        costs.rows as f64 / secs / 1e6,
        costs.by_resource.len(),
        late.resource_count,
        peak_rss_mib()
    );
}

fn size_mib(path: &std::path::Path) -> f64 {
    std::fs::metadata(path).unwrap().len() as f64 / 1_048_576.0
}

/// Read one file in this process: `--read csv|gzip|parquet PATH`.
fn read(kind: &str, path: &str) {
    let (from, to) = (NaiveDate::MIN, NaiveDate::MAX);
    let open = || std::fs::File::open(path).unwrap();
    match kind {
        "csv" => ingest("CSV", |c| {
            c.read_csv(Rows::new(), "generated", from, to).unwrap();
        }),
        "gzip" => ingest("gzip CSV", |c| {
            let input = flate2::read::MultiGzDecoder::new(std::io::BufReader::new(open()));
            c.read_csv(input, path, from, to).unwrap();
        }),
        _ => ingest("Parquet", |c| {
            c.read_parquet(open(), path, from, to).unwrap();
        }),
    }
}

/// Each read in a process of its own, so its peak RSS is its own.
fn read_apart(kind: &str, path: &std::path::Path) {
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--read", kind])
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let [_, flag, kind, path] = &args[..] {
        if flag == "--read" {
            return read(kind, path);
        }
        // To profile a read on its own: write the Parquet file, then
        // `--read parquet PATH`.
        if flag == "--write" && kind == "parquet" {
            let file = std::fs::File::create(path).unwrap();
            return write_bill(file, TagStyle::Map, (0..ROWS).map(row), GROUP).unwrap();
        }
    }
    read_apart("csv", std::path::Path::new("-"));
    // Write each file once, then time its read.
    let gz = tempfile::NamedTempFile::new().unwrap();
    let mut enc = flate2::write::GzEncoder::new(gz.reopen().unwrap(), flate2::Compression::fast());
    std::io::copy(&mut Rows::new(), &mut enc).unwrap();
    enc.finish().unwrap();
    println!("   gzip file: {:.0} MiB", size_mib(gz.path()));
    read_apart("gzip", gz.path());
    let pq = tempfile::NamedTempFile::new().unwrap();
    write_bill(
        pq.reopen().unwrap(),
        TagStyle::Map,
        (0..ROWS).map(row),
        GROUP,
    )
    .unwrap();
    println!(
        "Parquet file: {:.0} MiB, {GROUP} rows per row group",
        size_mib(pq.path())
    );
    read_apart("parquet", pq.path());
}
