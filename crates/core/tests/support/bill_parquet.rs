//! CUR-shaped Parquet files for tests and benchmarks, written with the
//! `parquet` crate's column writers, Snappy-compressed as AWS writes them.
//! Included by path (`#[path]`) where needed: it is not part of the library.

#![allow(dead_code)]

use parquet::basic::Compression;
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::{SerializedColumnWriter, SerializedFileWriter};
use parquet::schema::parser::parse_message_type;
use std::io::Write;
use std::sync::Arc;

/// One line of a bill.
#[derive(Debug, Clone, Default)]
pub struct BillRow {
    pub resource: String,
    pub account: String,
    pub kind: String,
    pub product: String,
    pub usage_type: String,
    pub description: String,
    /// Usage start, milliseconds since the epoch.
    pub start_ms: i64,
    pub cost: f64,
    pub currency: String,
    pub tag: Option<String>,
    /// Its other tags (`app` → `erp`): in a MAP as `user_app`; as a column
    /// only `app`.
    pub tags: Vec<(String, String)>,
}

/// Where the `map-migrated` value goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagStyle {
    /// CUR 2.0: the `resource_tags` MAP column, keys `user_map_migrated`
    /// and `user_app`.
    Map,
    /// Legacy CUR in Parquet: its own `resource_tags_user_map_migrated`
    /// and `resource_tags_user_app`.
    Column,
}

const TEXT_COLUMNS: [&str; 7] = [
    "line_item_resource_id",
    "line_item_usage_account_id",
    "line_item_line_item_type",
    "line_item_product_code",
    "line_item_usage_type",
    "line_item_line_item_description",
    "line_item_currency_code",
];

fn schema(style: TagStyle) -> String {
    let mut s = String::from("message cur {\n");
    for c in TEXT_COLUMNS {
        s += &format!("  optional binary {c} (UTF8);\n");
    }
    s += "  optional int64 line_item_usage_start_date (TIMESTAMP_MILLIS);\n";
    s += "  optional double line_item_unblended_cost;\n";
    s += match style {
        TagStyle::Map => "  optional group resource_tags (MAP) {\n    repeated group key_value {\n      required binary key (UTF8);\n      optional binary value (UTF8);\n    }\n  }\n",
        TagStyle::Column => "  optional binary resource_tags_user_map_migrated (UTF8);\n  optional binary resource_tags_user_app (UTF8);\n",
    };
    s + "}\n"
}

fn texts(rows: &[BillRow], column: usize) -> Vec<ByteArray> {
    rows.iter()
        .map(|r| {
            let v = [
                &r.resource,
                &r.account,
                &r.kind,
                &r.product,
                &r.usage_type,
                &r.description,
                &r.currency,
            ][column];
            ByteArray::from(v.as_str())
        })
        .collect()
}

/// Write `rows` as one Parquet file, `group` rows per row group.
pub fn write_bill<W: Write + Send>(
    out: W,
    style: TagStyle,
    rows: impl Iterator<Item = BillRow>,
    group: usize,
) -> parquet::errors::Result<()> {
    let schema = Arc::new(parse_message_type(&schema(style))?);
    let props = Arc::new(
        WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build(),
    );
    let mut writer = SerializedFileWriter::new(out, schema, props)?;
    let mut rows = rows.peekable();
    while rows.peek().is_some() {
        let chunk: Vec<BillRow> = rows.by_ref().take(group).collect();
        write_group(&mut writer, &chunk, style)?;
    }
    writer.close()?;
    Ok(())
}

fn write_group<W: Write + Send>(
    writer: &mut SerializedFileWriter<W>,
    rows: &[BillRow],
    style: TagStyle,
) -> parquet::errors::Result<()> {
    let all = vec![1i16; rows.len()];
    let mut group = writer.next_row_group()?;
    let mut index = 0;
    while let Some(mut column) = group.next_column()? {
        match index {
            i if i < TEXT_COLUMNS.len() => {
                column
                    .typed::<ByteArrayType>()
                    .write_batch(&texts(rows, i), Some(&all), None)?;
            }
            7 => {
                let v: Vec<i64> = rows.iter().map(|r| r.start_ms).collect();
                column
                    .typed::<Int64Type>()
                    .write_batch(&v, Some(&all), None)?;
            }
            8 => {
                let v: Vec<f64> = rows.iter().map(|r| r.cost).collect();
                column
                    .typed::<DoubleType>()
                    .write_batch(&v, Some(&all), None)?;
            }
            _ => write_tags(column.typed::<ByteArrayType>(), rows, style, index)?,
        }
        column.close()?;
        index += 1;
    }
    group.close()?;
    Ok(())
}

/// A row's tags: (MAP key, value).
fn tags(r: &BillRow) -> Vec<(String, &str)> {
    let mut out = Vec::new();
    if let Some(t) = &r.tag {
        out.push(("user_map_migrated".to_string(), t.as_str()));
    }
    for (k, v) in &r.tags {
        out.push((format!("user_{k}"), v.as_str()));
    }
    out
}

impl BillRow {
    /// Its `app` tag.
    pub fn app(&self) -> Option<&str> {
        self.tags
            .iter()
            .find(|(k, _)| k == "app")
            .map(|(_, v)| v.as_str())
    }
}

/// The tag columns: own columns (index 9 `map-migrated`, 10 `app`), or a
/// MAP's key (9) and value (10) leaves, an untagged row an empty map
/// (definition level 1).
fn write_tags(
    column: &mut parquet::column::writer::ColumnWriterImpl<'_, ByteArrayType>,
    rows: &[BillRow],
    style: TagStyle,
    index: usize,
) -> parquet::errors::Result<()> {
    let (mut values, mut defs, mut reps) = (Vec::new(), Vec::new(), Vec::new());
    for r in rows {
        if style == TagStyle::Column {
            let v = if index == 9 {
                r.tag.as_deref()
            } else {
                r.app()
            };
            defs.push(i16::from(v.is_some()));
            values.extend(v.map(ByteArray::from));
            continue;
        }
        let entries = tags(r);
        if entries.is_empty() {
            defs.push(1);
            reps.push(0);
        }
        for (i, (key, value)) in entries.into_iter().enumerate() {
            reps.push(i16::from(i > 0));
            defs.push(if index == 9 { 2 } else { 3 });
            values.push(ByteArray::from(if index == 9 {
                key.as_str()
            } else {
                value
            }));
        }
    }
    let reps = (style == TagStyle::Map).then_some(reps);
    column.write_batch(&values, Some(&defs), reps.as_deref())?;
    Ok(())
}

/// A file of one row group of `schema` (Parquet's message syntax), each
/// column written by `column(its index, its writer)`: for files no bill
/// generator writes (other types, crafted levels).
pub fn write_columns(
    schema: &str,
    mut column: impl FnMut(usize, &mut SerializedColumnWriter<'_>) -> parquet::errors::Result<usize>,
) -> std::fs::File {
    let schema = Arc::new(parse_message_type(schema).unwrap());
    let file = tempfile::tempfile().unwrap();
    let props = Arc::new(WriterProperties::builder().build());
    let mut writer = SerializedFileWriter::new(&file, schema, props).unwrap();
    let mut group = writer.next_row_group().unwrap();
    let mut index = 0;
    while let Some(mut writer) = group.next_column().unwrap() {
        column(index, &mut writer).unwrap();
        writer.close().unwrap();
        index += 1;
    }
    group.close().unwrap();
    writer.close().unwrap();
    file
}
