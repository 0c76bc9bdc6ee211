//! Billing-file ingestion: 5 million CUR 2.0 rows (100,000 resources, 10 %
//! non-usage lines), read as plain CSV and as gzip CSV, streamed from a
//! generator so the input never sits in memory. Rows per second and the
//! process's peak RSS.
//!
//!     cargo bench -p tagwarden-core --bench billing

use chrono::NaiveDate;
use std::io::Read;
use std::time::Instant;
use tagwarden_core::billing::Costs;

const ROWS: u64 = 5_000_000;
const RESOURCES: u64 = 100_000;

/// CUR 2.0 CSV text, one row at a time.
struct Rows {
    next: u64,
    buf: Vec<u8>,
    at: usize,
}

impl Rows {
    fn new() -> Rows {
        let header = "line_item_resource_id,line_item_usage_start_date,line_item_unblended_cost,line_item_line_item_type,line_item_currency_code,resource_tags\n";
        Rows {
            next: 0,
            buf: header.as_bytes().to_vec(),
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
            let n = self.next;
            self.next += 1;
            let kind = if (n / RESOURCES).is_multiple_of(10) {
                "Tax"
            } else {
                "Usage"
            };
            let tag = if n.is_multiple_of(3) {
                r#""{""user_map_migrated"":""migABCDE12345""}""#
            } else {
                "{}"
            };
            self.buf = format!(
                "i-{:017x},2026-03-{:02}T00:00:00Z,{}.{:04},{kind},USD,{tag}\n",
                n % RESOURCES,
                1 + n % 28,
                n % 7,
                n % 10_000
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
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

fn ingest(name: &str, input: impl Read) {
    let started = Instant::now();
    let mut costs = Costs::default();
    costs
        .read_csv(input, name, NaiveDate::MIN, NaiveDate::MAX)
        .expect("the generated rows parse");
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(costs.rows, ROWS);
    assert_eq!(costs.by_resource.len() as u64, RESOURCES);
    println!(
        "{name:>9}: {} rows in {secs:.2} s = {:.2} M rows/s; {} resources; peak RSS so far {:.1} MiB",
        costs.rows,
        costs.rows as f64 / secs / 1e6,
        costs.by_resource.len(),
        peak_rss_mib()
    );
}

fn main() {
    ingest("CSV", Rows::new());
    // Compress once to a file, then time the read of the file.
    let file = tempfile::NamedTempFile::new().unwrap();
    let mut enc =
        flate2::write::GzEncoder::new(file.reopen().unwrap(), flate2::Compression::fast());
    std::io::copy(&mut Rows::new(), &mut enc).unwrap();
    enc.finish().unwrap();
    let size = std::fs::metadata(file.path()).unwrap().len();
    println!("  gzip file: {:.0} MiB", size as f64 / 1048576.0);
    let reader = std::io::BufReader::new(std::fs::File::open(file.path()).unwrap());
    ingest("gzip CSV", flate2::read::MultiGzDecoder::new(reader));
}
