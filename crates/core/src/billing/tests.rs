use super::*;
use crate::money::lit as m;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn read(text: &str) -> Result<(Costs, Dialect), BillingError> {
    let mut c = Costs::default();
    let dialect = c.read_csv(
        text.as_bytes(),
        "bill.csv",
        d("2026-01-01"),
        d("2026-04-01"),
    )?;
    Ok((c, dialect))
}

#[test]
fn cur2_with_a_tag_map() {
    let text = "line_item_resource_id,line_item_usage_start_date,line_item_unblended_cost,line_item_line_item_type,line_item_currency_code,resource_tags\n\
i-1,2026-01-03T00:00:00Z,1.5,Usage,USD,\"{\"\"user_map_migrated\"\":\"\"migABCDE12345\"\"}\"\n\
i-1,2026-02-03T00:00:00Z,2.5,DiscountedUsage,USD,\"{\"\"user_map_migrated\"\":\"\"migABCDE12345\"\"}\"\n\
i-1,2026-02-03T00:00:00Z,-1.0,Credit,USD,\n\
i-1,2026-02-03T00:00:00Z,0.4,Tax,USD,\n\
vol-2,2026-03-31T23:00:00Z,7,Usage,USD,{}\n\
vol-2,2026-04-01T00:00:00Z,100,Usage,USD,{}\n\
,2026-03-01T00:00:00Z,9,Usage,USD,\n";
    let (c, dialect) = read(text).unwrap();
    assert_eq!(dialect, Dialect::Cur2);
    let i1 = &c.by_resource["i-1"];
    assert_eq!(
        (i1.cost, i1.tag.as_deref(), &i1.by_service[..]),
        (
            m(4.0),
            Some("migABCDE12345"),
            &[(services::UNNAMED.into(), m(4.0))][..]
        )
    );
    let vol = &c.by_resource["vol-2"];
    assert_eq!(
        (vol.cost, vol.tag.as_deref(), &vol.by_service[..]),
        (m(7.0), None, &[(services::UNNAMED.into(), m(7.0))][..]),
        "April is outside the period"
    );
    assert_eq!(
        (c.rows, c.usage_rows, c.currency.as_deref()),
        (7, 3, Some("USD"))
    );
}

#[test]
fn legacy_cur_with_a_tag_column() {
    let text = "lineItem/ResourceId,lineItem/UsageStartDate,lineItem/UnblendedCost,lineItem/LineItemType,resourceTags/user:map-migrated\n\
arn:aws:rds:us-east-1:111111111111:db:orders,2026-01-05T00:00:00Z,10,Usage,\n\
arn:aws:rds:us-east-1:111111111111:db:orders,2026-01-06T00:00:00Z,5,SavingsPlanCoveredUsage,mig12345\n";
    let (c, dialect) = read(text).unwrap();
    assert_eq!(dialect, Dialect::LegacyCur);
    let db = c
        .of(&crate::arn::arn(
            "arn:aws:rds:us-east-1:111111111111:db:orders",
        ))
        .unwrap();
    assert_eq!((db.cost, db.tag.as_deref()), (m(15.0), Some("mig12345")));
}

#[test]
fn focus_with_tags() {
    let text = "ResourceId,ChargePeriodStart,BilledCost,ChargeCategory,BillingCurrency,Tags\n\
my-bucket,2026-02-01T00:00:00Z,3.25,Usage,EUR,\"{\"\"user:map-migrated\"\": \"\"migABCDE12345\"\"}\"\n\
my-bucket,2026-02-01T00:00:00Z,1,Purchase,EUR,\n";
    let (c, dialect) = read(text).unwrap();
    assert_eq!(dialect, Dialect::Focus);
    let bucket = c
        .of(&crate::arn::arn("arn:aws:s3:::my-bucket"))
        .expect("a bare id matches the ARN's last part");
    assert_eq!(
        (bucket.cost, bucket.tag.as_deref()),
        (m(3.25), Some("migABCDE12345"))
    );
    assert_eq!(c.currency.as_deref(), Some("EUR"));
}

#[test]
fn errors_name_the_file_and_row() {
    let err = |text: &str| read(text).unwrap_err().to_string();
    assert_eq!(
        err("a,b\n1,2\n"),
        "bill.csv: not a billing export tagwarden reads (CUR 2.0, legacy CUR or FOCUS): no `ResourceId` column among a, b"
    );
    assert_eq!(
        err("ResourceId,ChargePeriodStart,BilledCost\nr,2026-01-01,ten\n"),
        "bill.csv: line 2: cost `ten` is not a number"
    );
    assert_eq!(
        err("ResourceId,ChargePeriodStart,BilledCost\nr,yesterday,1\n"),
        "bill.csv: line 2: `yesterday` is not a date"
    );
    assert_eq!(
        err("ResourceId,ChargePeriodStart,BilledCost,BillingCurrency\nr,2026-01-01,1,USD\nr,2026-01-01,1,EUR\n"),
        "bill.csv: bills in EUR, but USD was read before; tagwarden does not convert currencies"
    );
}

const EC2: &str = "Amazon Elastic Compute Cloud - Compute";

#[path = "../../tests/support/bill_parquet.rs"]
pub(super) mod bill_parquet;
use bill_parquet::{write_bill, BillRow, TagStyle};

/// A small bill: EC2 compute and EBS in one account, an unknown product in
/// another, a MAP credit, a tax and a refund.
#[rustfmt::skip]
fn bill() -> Vec<BillRow> {
    let rows = [
        ("i-1", "111111111111", "Usage", "AmazonEC2", "BoxUsage:m5.large", 2, 10.0, Some("migABCDE12345")),
        ("i-1", "111111111111", "SavingsPlanNegation", "AmazonEC2", "BoxUsage:m5.large", 2, -1.0, Some("migABCDE12345")),
        ("vol-1", "111111111111", "Usage", "AmazonEC2", "EBS:VolumeUsage.gp3", 40, 4.0, None),
        ("w-1", "222222222222", "Usage", "AWSGlobalWidgets", "Widgets", 3, 2.5, None),
        ("", "111111111111", "Credit", "AmazonEC2", "", 40, -3.0, None),
        ("", "111111111111", "Tax", "AmazonEC2", "", 40, 0.7, None),
        ("i-1", "111111111111", "Refund", "AmazonEC2", "", 40, -0.2, None),
    ];
    let january = d("2026-01-01").and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp_millis();
    rows.into_iter()
        .map(|(resource, account, kind, product, usage, day, cost, tag): (&str, &str, &str, &str, &str, i64, f64, Option<&str>)| BillRow {
            resource: resource.into(),
            account: account.into(),
            kind: kind.into(),
            product: product.into(),
            usage_type: usage.into(),
            description: if kind == "Credit" { "AWS Migration Acceleration Program Credit".into() } else { String::new() },
            start_ms: january + day * 86_400_000,
            cost,
            currency: "USD".into(),
            tag: tag.map(str::to_string),
            tags: match resource {
                "i-1" => vec![("app".into(), "erp".into())],
                "vol-1" => vec![("app".into(), "web".into())],
                _ => vec![],
            },
        })
        .collect()
}

fn bill_csv() -> String {
    bill_csv_of(bill())
}

pub(super) fn bill_csv_of(rows: Vec<BillRow>) -> String {
    let mut out = String::from("line_item_resource_id,line_item_usage_account_id,line_item_line_item_type,line_item_product_code,line_item_usage_type,line_item_line_item_description,line_item_usage_start_date,line_item_unblended_cost,line_item_currency_code,resource_tags\n");
    for r in rows {
        let day = chrono::DateTime::from_timestamp_millis(r.start_ms).unwrap();
        let pairs: Vec<String> = [
            ("user_map_migrated", r.tag.as_deref()),
            ("user_app", r.app()),
        ]
        .iter()
        .filter_map(|(k, v)| Some(format!("\"\"{k}\"\":\"\"{}\"\"", (*v)?)))
        .collect();
        let tags = format!("\"{{{}}}\"", pairs.join(","));
        out += &format!(
            "{},{},{},{},{},{},{},{},{},{}\n",
            r.resource,
            r.account,
            r.kind,
            r.product,
            r.usage_type,
            r.description,
            day.format("%Y-%m-%dT%H:%M:%SZ"),
            r.cost,
            r.currency,
            tags
        );
    }
    out
}

/// A reading with `map.workload_tags: [app]`.
pub(super) fn with_workloads() -> Costs {
    let mut c = Costs::default();
    c.reading.workload_tags = Some(TagNames::of(&["app"]));
    c
}

/// The test bill, as CUR 2.0 CSV, every day.
fn read_bill(c: &mut Costs) {
    c.read_csv(
        bill_csv().as_bytes(),
        "bill.csv",
        NaiveDate::MIN,
        NaiveDate::MAX,
    )
    .unwrap();
}

fn read_parquet(style: TagStyle, rows: Vec<BillRow>) -> Result<(Costs, Dialect), BillingError> {
    let file = tempfile::tempfile().unwrap();
    write_bill(&file, style, rows.into_iter(), 3).unwrap();
    let mut c = with_workloads();
    let dialect = c.read_parquet(file, "bill.parquet", NaiveDate::MIN, NaiveDate::MAX)?;
    Ok((c, dialect))
}

/// The ledger's sums, sorted, with amounts rounded to cents.
pub(super) fn sums(c: &Costs) -> Vec<String> {
    let mut out: Vec<String> = c
        .ledger
        .spend()
        .map(|s| {
            format!(
                "{} {} {} {:?}{} {:.2}",
                s.month,
                s.account,
                s.service,
                s.tag,
                s.workload.map_or(String::new(), |w| format!(" {w}")),
                s.amount
            )
        })
        .chain(
            c.ledger
                .credits()
                .map(|(m, d, a)| format!("{m} credit {d} {a:.2}")),
        )
        .collect();
    out.sort();
    out
}

#[test]
fn the_ledger_groups_like_cost_explorer() {
    let mut c = Costs::default();
    read_bill(&mut c);
    assert_eq!(
        sums(&c),
        [
            "2026-01-01 111111111111 Amazon Elastic Compute Cloud - Compute Some(\"migABCDE12345\") 9.00",
            "2026-01-01 222222222222 AWSGlobalWidgets None 2.50",
            "2026-02-01 111111111111 EC2 - Other None 4.00",
            "2026-02-01 credit AWS Migration Acceleration Program Credit -3.00",
        ],
        "the Savings Plan negation nets out; tax and refund are left out"
    );
    assert_eq!(c.ledger.unnamed_services(), ["AWSGlobalWidgets"]);
    assert_eq!((c.rows, c.usage_rows), (7, 3));
    let instance = &c.by_resource["i-1"];
    assert_eq!(instance.cost, m(10.0), "usage only, per resource");
    assert_eq!(instance.by_service[..], [(EC2.into(), m(10.0))]);
    assert_eq!(instance.eligible, m(10.0), "EC2 is in the starter list");
    assert_eq!(c.by_resource["w-1"].eligible, m(0.0));
    let mut listed = Costs::default();
    listed
        .reading
        .eligible
        .push(eligible::EligibleService::named("AWSGlobalWidgets"));
    read_bill(&mut listed);
    assert_eq!(
        listed.by_resource["w-1"].eligible,
        m(2.5),
        "a product code listed as eligible"
    );
}

#[test]
fn parquet_with_a_tag_map_reads_like_its_csv() {
    let mut csv = with_workloads();
    read_bill(&mut csv);
    assert_eq!(csv.by_resource["i-1"].workload.as_deref(), Some("erp"));
    assert_eq!(csv.by_resource["vol-1"].workload.as_deref(), Some("web"));
    assert_eq!(
        csv.by_resource["w-1"].workload.as_deref(),
        Some(NO_WORKLOAD)
    );
    for style in [TagStyle::Map, TagStyle::Column] {
        let (pq, dialect) = read_parquet(style, bill()).unwrap();
        assert_eq!(dialect, Dialect::Cur2);
        assert_eq!(sums(&pq), sums(&csv), "{style:?}");
        assert_eq!(pq.by_resource, csv.by_resource, "{style:?}");
        assert_eq!((pq.rows, pq.usage_rows), (7, 3));
        assert_eq!(pq.currency.as_deref(), Some("USD"));
    }
}

#[test]
fn late_tagging_reads_the_same_from_parquet() {
    // vol-1, untagged on February 10 (4.00), takes the value on the 15th.
    let mut rows = bill();
    let mut tagged = rows[2].clone();
    tagged.start_ms += 5 * 86_400_000;
    tagged.cost = 1.5;
    tagged.tag = Some("migABCDE12345".into());
    rows.push(tagged);
    let mut csv = with_workloads();
    csv.reading.tags = crate::policy::map_format::MapTags::map_migrated(Some("ABCDE12345".into()));
    csv.read_csv(
        bill_csv_of(rows.clone()).as_bytes(),
        "bill.csv",
        NaiveDate::MIN,
        NaiveDate::MAX,
    )
    .unwrap();
    let vol = &csv.by_resource["vol-1"];
    assert_eq!(
        (vol.first_spend, vol.tagged_from, vol.spend_before_tag()),
        (Some(d("2026-02-10")), Some(d("2026-02-15")), m(4.0))
    );
    assert_eq!(
        csv.by_resource["i-1"].spend_before_tag(),
        m(0.0),
        "tagged from its first line"
    );
    for style in [TagStyle::Map, TagStyle::Column] {
        let file = tempfile::tempfile().unwrap();
        write_bill(&file, style, rows.clone().into_iter(), 3).unwrap();
        let mut pq = with_workloads();
        pq.reading.tags =
            crate::policy::map_format::MapTags::map_migrated(Some("ABCDE12345".into()));
        pq.read_parquet(file, "bill.parquet", NaiveDate::MIN, NaiveDate::MAX)
            .unwrap();
        assert_eq!(pq.by_resource, csv.by_resource, "{style:?}");
    }
}

#[test]
fn parquet_errors_name_the_file_and_row() {
    let mut c = Costs::default();
    let err = c
        .read_parquet(
            tempfile::tempfile().unwrap(),
            "empty.parquet",
            NaiveDate::MIN,
            NaiveDate::MAX,
        )
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("empty.parquet: not a readable Parquet file: "),
        "{err}"
    );
    let mut rows = bill();
    rows[2].currency = "EUR".into();
    assert_eq!(
        read_parquet(TagStyle::Map, rows).unwrap_err().to_string(),
        "bill.parquet: bills in EUR, but USD was read before; tagwarden does not convert currencies"
    );
}

/// FOCUS as Data Exports may type it: a DECIMAL cost, a microsecond
/// TIMESTAMP and a required resource column.
#[test]
fn parquet_decimals_and_microseconds() {
    use parquet::data_type::{ByteArray, ByteArrayType, Int64Type};
    let schema = "message focus {
        required binary ResourceId (UTF8);
        optional int64 ChargePeriodStart (TIMESTAMP(MICROS,true));
        optional int64 BilledCost (DECIMAL(18,4));
        optional binary ChargeCategory (UTF8);
    }";
    let march = d("2026-03-02")
        .and_hms_opt(5, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp_micros();
    let some = [1i16, 1, 1];
    let file = bill_parquet::write_columns(schema, |index, column| match index {
        0 => {
            let ids = ["i-1", "i-1", "i-2"].map(ByteArray::from);
            column
                .typed::<ByteArrayType>()
                .write_batch(&ids, None, None)
        }
        1 => column
            .typed::<Int64Type>()
            .write_batch(&[march; 3], Some(&some), None),
        2 => {
            let costs = [12_345, -2_500, 10_000];
            column
                .typed::<Int64Type>()
                .write_batch(&costs, Some(&some), None)
        }
        _ => {
            let kinds = ["Usage", "Usage", "Credit"].map(ByteArray::from);
            column
                .typed::<ByteArrayType>()
                .write_batch(&kinds, Some(&some), None)
        }
    });
    let mut c = Costs::default();
    let dialect = c
        .read_parquet(file, "focus.parquet", d("2026-03-01"), d("2026-04-01"))
        .unwrap();
    assert_eq!(dialect, Dialect::Focus);
    assert_eq!(
        c.by_resource["i-1"].cost,
        m(0.9845),
        "1.2345 - 0.25, exactly"
    );
    assert!(!c.by_resource.contains_key("i-2"), "a credit is not usage");
    let credits: Vec<_> = c.ledger.credits().collect();
    assert_eq!(credits, [(d("2026-03-01"), "", m(1.0))]);
}

#[test]
fn the_ledger_takes_only_the_window_and_resources_every_day() {
    let mut c = Costs::default();
    c.reading.window = Some((d("2026-01-04"), d("2026-02-01")));
    read_bill(&mut c);
    assert_eq!(
        sums(&c),
        ["2026-01-01 222222222222 AWSGlobalWidgets None 2.50"],
        "from January 4 (the instance's line is on the 3rd), before February"
    );
    assert_eq!(
        c.by_resource["i-1"].cost,
        m(10.0),
        "per resource: every day"
    );
}

#[test]
fn a_row_error_names_the_line_it_starts_on() {
    let text = "ResourceId,ChargePeriodStart,BilledCost,ChargeDescription\nr,2026-01-01,1,\"two\nlines\"\nr,2026-01-01,ten,x\n";
    assert_eq!(
        read(text).unwrap_err().to_string(),
        "bill.csv: line 4: cost `ten` is not a number"
    );
}

pub(super) const HOSTILE_HEADER: &str = "line_item_resource_id,line_item_usage_start_date,line_item_unblended_cost,line_item_line_item_type,line_item_currency_code\n";

#[test]
fn costs_that_are_not_finite_are_a_bad_bill() {
    for cost in ["NaN", "inf", "-infinity", "1e400"] {
        let text = format!("{HOSTILE_HEADER}i-1,2026-01-03T00:00:00Z,1,Usage,USD\ni-2,2026-01-03T00:00:00Z,{cost},Usage,USD\n");
        let e = read(&text).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("bill.csv: line 3: cost `{cost}` is not a finite number")
        );
        assert!(
            !e.is_unreadable(),
            "a bad bill (exit 2), not an I/O failure"
        );
    }
}

#[test]
fn the_currency_must_be_an_iso_4217_code() {
    let text =
        format!("{HOSTILE_HEADER}i-1,2026-01-03T00:00:00Z,1,Usage,<script>alert(1)</script>\n");
    assert_eq!(
        read(&text).unwrap_err().to_string(),
        "bill.csv: line 2: currency `<script>alert(1)` is not an ISO 4217 code (three capital letters, e.g. USD)"
    );
    for bad in ["usd", "US", "USDX", "U$D"] {
        assert!(!is_currency_code(bad), "{bad}");
    }
    assert!(is_currency_code("EUR"));
}

#[test]
fn a_line_longer_than_the_limit_is_refused_without_holding_it() {
    // 1 GiB of one line, produced as it is read: never in memory whole.
    struct Endless(usize);
    impl std::io::Read for Endless {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(self.0);
            buf[..n].fill(b'x');
            self.0 -= n;
            Ok(n)
        }
    }
    let head = format!("{HOSTILE_HEADER}i-1,2026-01-03T00:00:00Z,1,Usage,USD\n");
    let input = std::io::Read::chain(head.as_bytes(), Endless(1 << 30));
    let mut c = Costs::default();
    let e = c
        .read_csv(input, "bomb.csv", d("2026-01-01"), d("2026-04-01"))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "bomb.csv: line 3: a line longer than 1 MiB: not a billing export line (a broken or hostile file); nothing of it was counted"
    );
    assert!(!e.is_unreadable());
    // A line just under the limit is read.
    let long_id = "i".repeat(csv_file::MAX_LINE_BYTES - 100);
    let text = format!("{HOSTILE_HEADER}{long_id},2026-01-03T00:00:00Z,1,Usage,USD\n");
    assert_eq!(read(&text).unwrap().0.rows, 1);
}

#[test]
fn parquet_costs_that_are_not_finite_and_bad_currencies_are_a_bad_bill() {
    let mut rows = bill();
    rows[1].cost = f64::NAN;
    let e = read_parquet(TagStyle::Map, rows).unwrap_err();
    assert!(
        e.to_string().ends_with("cost `NaN` is not a finite number"),
        "{e}"
    );
    let mut rows = bill();
    rows[2].cost = f64::INFINITY;
    assert!(read_parquet(TagStyle::Map, rows).is_err());
    let mut rows = bill();
    rows[0].currency = "<b>US</b>".into();
    let e = read_parquet(TagStyle::Map, rows).unwrap_err();
    assert!(e.to_string().contains("is not an ISO 4217 code"), "{e}");
}

#[test]
fn a_day_is_read_from_the_start_of_a_time() {
    assert_eq!(day_of("2026-03-01T13:00:00Z"), Some(d("2026-03-01")));
    assert_eq!(day_of("2024-02-29"), Some(d("2024-02-29")));
    for bad in [
        "2026-02-30",
        "2026-13-01",
        "2026/03/01",
        "26-03-01",
        "",
        "2026-0a-01",
        "２０２６-03-01",
    ] {
        assert_eq!(day_of(bad), None, "{bad}");
    }
}
