//! A Parquet bill of several batches and row groups, nulls spread over
//! them, reads exactly as its CSV.

use super::tests::bill_parquet::{write_bill, write_columns, BillRow, TagStyle};
use super::tests::{bill_csv_of, sums, with_workloads};
use chrono::NaiveDate;

/// 3,000 lines: 37 resources and lines with none, three accounts, taxes,
/// tags and workloads missing on irregular rows, over 28 days.
fn rows() -> Vec<BillRow> {
    let march = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
    let march_ms = march
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp_millis();
    (0..3_000u32)
        .map(|n| {
            let (r, day) = (n % 37, n % 28);
            BillRow {
                resource: if n % 11 == 0 {
                    String::new()
                } else {
                    format!("i-{r}")
                },
                account: format!("{:012}", 111_111_111_111u64 * u64::from(n % 3 + 1)),
                kind: if n % 17 == 0 { "Tax" } else { "Usage" }.into(),
                product: if n % 4 == 0 { "AmazonS3" } else { "AmazonEC2" }.into(),
                usage_type: if n % 4 == 0 {
                    "TimedStorage-ByteHrs"
                } else {
                    "BoxUsage:m5.large"
                }
                .into(),
                description: String::new(),
                start_ms: march_ms + i64::from(day) * 86_400_000,
                cost: f64::from(n % 13) * 0.25 + 0.01,
                currency: "USD".into(),
                // Tagged from day r % 20, but not on every fifth line.
                tag: (n % 5 != 0 && day >= r % 20).then(|| "migABCDE12345".into()),
                tags: match n % 7 {
                    0 => vec![],
                    k => vec![("app".into(), format!("app-{}", k % 3))],
                },
            }
        })
        .collect()
}

#[test]
fn a_bill_of_several_batches_and_row_groups_reads_like_its_csv() {
    let (from, to) = (NaiveDate::MIN, NaiveDate::MAX);
    let mut csv = with_workloads();
    csv.reading.tags = crate::policy::map_format::MapTags::map_migrated(Some("ABCDE12345".into()));
    csv.read_csv(bill_csv_of(rows()).as_bytes(), "bill.csv", from, to)
        .unwrap();
    let late = csv
        .by_resource
        .values()
        .filter(|r| r.spend_before_tag() > 0.into());
    assert!(late.count() > 10, "resources are tagged late");
    for style in [TagStyle::Map, TagStyle::Column] {
        let file = tempfile::tempfile().unwrap();
        // Row groups of 1,100 rows: batches end inside them and at them.
        write_bill(&file, style, rows().into_iter(), 1_100).unwrap();
        let mut pq = with_workloads();
        pq.reading.tags =
            crate::policy::map_format::MapTags::map_migrated(Some("ABCDE12345".into()));
        pq.read_parquet(file, "bill.parquet", from, to).unwrap();
        assert_eq!((pq.rows, pq.usage_rows), (csv.rows, csv.usage_rows));
        assert_eq!(sums(&pq), sums(&csv), "{style:?}");
        assert_eq!(pq.by_resource, csv.by_resource, "{style:?}");
    }
}

#[test]
fn a_map_whose_values_are_not_in_step_with_its_keys_is_refused() {
    // Two rows; the keys say row 0 has two entries, the values that row 1
    // has: a value would be read as another row's.
    use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
    let schema = "message cur {
        required binary line_item_resource_id (UTF8);
        required int64 line_item_usage_start_date (TIMESTAMP_MILLIS);
        required double line_item_unblended_cost;
        optional group resource_tags (MAP) {
            repeated group key_value {
                required binary key (UTF8);
                optional binary value (UTF8);
            }
        }
    }";
    let text = |v: [&str; 3]| v.map(ByteArray::from);
    let file = write_columns(schema, |index, column| match index {
        0 => {
            column
                .typed::<ByteArrayType>()
                .write_batch(&text(["i-1", "i-2", ""])[..2], None, None)
        }
        1 => column
            .typed::<Int64Type>()
            .write_batch(&[1_772_323_200_000; 2], None, None),
        2 => column
            .typed::<DoubleType>()
            .write_batch(&[1.0, 2.0], None, None),
        3 => column.typed::<ByteArrayType>().write_batch(
            &text(["user_app", "user_map_migrated", "user_app"]),
            Some(&[2, 2, 2]),
            Some(&[0, 1, 0]),
        ),
        _ => column.typed::<ByteArrayType>().write_batch(
            &text(["erp", "web", "migABCDE12345"]),
            Some(&[3, 3, 3]),
            Some(&[0, 0, 1]),
        ),
    });
    let mut c = with_workloads();
    let err = c
        .read_parquet(file, "bill.parquet", NaiveDate::MIN, NaiveDate::MAX)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "bill.parquet: not a readable Parquet file: Parquet error: a map's keys and values are not in step"
    );
}
