//! Bills read under the configured MAP tags (`map.tag`): either key, in
//! CSV and Parquet, by their own columns or a tag map, late tagging
//! judged by the key the configuration counts.

use super::tests::bill_parquet::write_columns;
use super::Costs;
use crate::money::lit as m;
use chrono::NaiveDate;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[test]
fn late_tagging_follows_the_configured_map_tag() {
    // The database spends 10 untagged, then carries AWS Transform's tag.
    let text = "lineItem/ResourceId,lineItem/UsageStartDate,lineItem/UnblendedCost,lineItem/LineItemType,lineItem/ProductCode,lineItem/UsageType,resourceTags/user:aws-apn-id\n\
arn:aws:rds:us-east-1:111111111111:db:orders,2026-01-05T00:00:00Z,10,Usage,AmazonRDS,InstanceUsage:db.r5.large,\n\
arn:aws:rds:us-east-1:111111111111:db:orders,2026-01-06T00:00:00Z,5,Usage,AmazonRDS,InstanceUsage:db.r5.large,migra-abcdefg123456\n";
    use crate::policy::map_format::{MapTag, MapTags, Scheme};
    let late = |tags: MapTags| {
        let mut c = Costs::default();
        c.reading.tags = tags;
        c.read_csv(text.as_bytes(), "bill.csv", NaiveDate::MIN, NaiveDate::MAX)
            .unwrap();
        let db = &c.by_resource["arn:aws:rds:us-east-1:111111111111:db:orders"];
        (
            db.tagged_from,
            db.spend_before_tag(),
            db.uncredited,
            db.scheme,
        )
    };
    let apn = MapTags::new(vec![MapTag {
        scheme: Scheme::AwsApnId,
        id: Some("ra-abcdefg123456".into()),
    }])
    .unwrap();
    assert_eq!(
        late(apn),
        (Some(d("2026-01-06")), m(10.0), m(10.0), Scheme::AwsApnId)
    );
    // Under map-migrated the bill's column is not read: never tagged.
    assert_eq!(
        late(MapTags::default()),
        (None, m(0.0), m(15.0), Scheme::MapMigrated)
    );
}

/// Each resource's last MAP value and its key, read with `tags`.
fn values_read(
    file: std::fs::File,
    tags: &crate::policy::map_format::MapTags,
) -> Vec<(String, Option<String>, crate::policy::map_format::Scheme)> {
    let mut c = Costs::default();
    c.reading.tags = tags.clone();
    c.read_parquet(file, "bill.parquet", NaiveDate::MIN, NaiveDate::MAX)
        .unwrap();
    let mut read: Vec<_> = c
        .by_resource
        .iter()
        .map(|(r, cost)| {
            (
                r.clone(),
                cost.tag.as_deref().map(str::to_string),
                cost.scheme,
            )
        })
        .collect();
    read.sort();
    read
}

/// Four rows, 1.0 to 8.0, and then the columns `tags` writes.
fn four_rows(
    tags: &str,
    mut tag_columns: impl FnMut(
        usize,
        &mut parquet::file::writer::SerializedColumnWriter<'_>,
    ) -> parquet::errors::Result<usize>,
) -> std::fs::File {
    use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
    let schema = format!(
        "message cur {{ required binary line_item_resource_id (UTF8);
        required int64 line_item_usage_start_date (TIMESTAMP_MILLIS);
        required double line_item_unblended_cost; {tags} }}"
    );
    write_columns(&schema, |index, column| match index {
        0 => column.typed::<ByteArrayType>().write_batch(
            &["i-1", "i-2", "i-3", "i-4"].map(ByteArray::from),
            None,
            None,
        ),
        1 => column
            .typed::<Int64Type>()
            .write_batch(&[1_772_323_200_000; 4], None, None),
        2 => column
            .typed::<DoubleType>()
            .write_batch(&[1.0, 2.0, 4.0, 8.0], None, None),
        i => tag_columns(i, column),
    })
}

#[test]
fn both_map_tags_are_read_from_a_tag_map_and_from_their_own_columns() {
    use crate::policy::map_format::{MapTag, MapTags, Scheme};
    use parquet::data_type::{ByteArray, ByteArrayType};
    let both = MapTags::new(
        Scheme::ALL
            .map(|scheme| MapTag { scheme, id: None })
            .to_vec(),
    )
    .unwrap();
    let text = |v: &[&str]| v.iter().map(|s| ByteArray::from(*s)).collect::<Vec<_>>();
    // A tag map: i-1 map-migrated, i-2 aws-apn-id, i-3 both, i-4 none.
    let map = four_rows(
        "optional group resource_tags (MAP) {
            repeated group key_value {
                required binary key (UTF8);
                optional binary value (UTF8);
            }
        }",
        |index, column| {
            let (values, defs) = match index {
                3 => (
                    [
                        "user_map_migrated",
                        "user_aws_apn_id",
                        "user_aws_apn_id",
                        "user_map_migrated",
                    ],
                    [2, 2, 2, 2, 1],
                ),
                _ => (
                    ["mig12345", "migra-1", "migra-3", "mig33333"],
                    [3, 3, 3, 3, 1],
                ),
            };
            column.typed::<ByteArrayType>().write_batch(
                &text(&values),
                Some(&defs),
                Some(&[0, 0, 0, 1, 0]),
            )
        },
    );
    // The same as columns of their own.
    let columns = four_rows(
        "optional binary resource_tags_user_map_migrated (UTF8);
        optional binary resource_tags_user_aws_apn_id (UTF8);",
        |index, column| {
            let (values, defs) = match index {
                3 => (["mig12345", "mig33333"], [1, 0, 1, 0]),
                _ => (["migra-1", "migra-3"], [0, 1, 1, 0]),
            };
            column
                .typed::<ByteArrayType>()
                .write_batch(&text(&values), Some(&defs), None)
        },
    );
    for file in [map, columns] {
        let read = values_read(file, &both);
        let some = |s: &str| Some(s.to_string());
        assert_eq!(
            read,
            [
                ("i-1".into(), some("mig12345"), Scheme::MapMigrated),
                ("i-2".into(), some("migra-1"), Scheme::AwsApnId),
                ("i-3".into(), some("mig33333"), Scheme::MapMigrated),
                ("i-4".into(), None, Scheme::MapMigrated),
            ]
        );
    }
}
