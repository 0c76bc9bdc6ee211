//! Billing exports in Parquet (CUR 2.0 and FOCUS from Data Exports, legacy
//! CUR): only the columns a [`Layout`] uses are read, row group by row
//! group, a batch of rows at a time, straight from the `parquet` crate's
//! typed column readers (no Arrow, and no per-row allocation as its record
//! reader would make).

use super::layout::{Layout, TagNames};
use super::{BillingError, Charge, Costs, Dialect, Line};
use crate::money::{self, Decimal};
use chrono::{DateTime, NaiveDate};
use parquet::basic::{ConvertedType, LogicalType, TimeUnit};
use parquet::column::reader::{ColumnReader, ColumnReaderImpl};
use parquet::data_type::{ByteArray, ByteArrayType, DataType};
use parquet::errors::ParquetError;
use parquet::file::reader::{ChunkReader, FileReader, RowGroupReader, SerializedFileReader};
use parquet::schema::types::{ColumnDescPtr, SchemaDescriptor};
use std::borrow::Cow;

/// Rows decoded at a time.
const BATCH: usize = 8192;

impl Costs {
    /// Add every line of one Parquet file that starts in [from, to).
    pub fn read_parquet<R: ChunkReader + 'static>(
        &mut self,
        input: R,
        file: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Dialect, BillingError> {
        let bad = |e: ParquetError| BillingError::Parquet {
            file: file.to_string(),
            why: e.to_string(),
        };
        let reader = SerializedFileReader::new(input).map_err(bad)?;
        let schema = reader.metadata().file_metadata().schema_descr();
        let names: Vec<&str> = schema
            .root_schema()
            .get_fields()
            .iter()
            .map(|f| f.name())
            .collect();
        let workload = self.reading.workload_tags.clone();
        let layout = Layout::of(&names, file, workload.as_ref())?;
        let leaves = Leaves::find(schema, &layout, &names, workload.as_ref()).map_err(bad)?;
        let mut row = 0;
        for g in 0..reader.num_row_groups() {
            let group = reader.get_row_group(g).map_err(bad)?;
            let mut columns = leaves.open(&*group).map_err(bad)?;
            loop {
                let batch = columns.next(&leaves).map_err(bad)?;
                if batch.rows == 0 {
                    break;
                }
                for i in 0..batch.rows {
                    row += 1;
                    let line = batch.line(i, &layout).map_err(|why| BillingError::Row {
                        file: file.to_string(),
                        at: format!("row {row}"),
                        why,
                    })?;
                    self.rows += 1;
                    self.add(&line, file, from, to)?;
                }
            }
        }
        Ok(layout.dialect)
    }
}

/// The leaf columns a layout reads (indices into the file's columns).
struct Leaves {
    text: Vec<(Field, ColumnDescPtr, usize)>,
    cost: (ColumnDescPtr, usize),
    start: (ColumnDescPtr, usize),
    /// A MAP column's key and value leaves.
    tag_map: Option<[(ColumnDescPtr, usize); 2]>,
    /// The fields read from the tag map, and their keys, best first.
    map_fields: Vec<(Field, Vec<String>)>,
}

/// The text fields of a [`Line`], in [`Batch::text`] order.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Resource,
    Kind,
    Currency,
    Account,
    Product,
    ProductName,
    UsageType,
    Description,
    /// `map-migrated`; several columns may hold it, the first with a value
    /// wins (own columns first, then the tag map).
    Tag,
    /// The workload, likewise.
    Workload,
}

/// How many [`Field`]s there are.
const FIELDS: usize = Field::Workload as usize + 1;

impl Leaves {
    fn find(
        schema: &SchemaDescriptor,
        layout: &Layout,
        names: &[&str],
        workload: Option<&TagNames>,
    ) -> Result<Leaves, ParquetError> {
        let leaf = |top: usize, last: Option<&str>| {
            schema
                .columns()
                .iter()
                .position(|c| {
                    let parts = c.path().parts();
                    parts[0] == names[top]
                        && match last {
                            None => parts.len() == 1,
                            Some(l) => parts.len() > 1 && parts[parts.len() - 1] == l,
                        }
                })
                .map(|i| (schema.column(i), i))
                .ok_or_else(|| {
                    ParquetError::General(format!("column `{}` is not a plain value", names[top]))
                })
        };
        let mut text = Vec::new();
        let optional = [
            (Some(layout.resource), Field::Resource),
            (layout.kind, Field::Kind),
            (layout.currency, Field::Currency),
            (layout.account, Field::Account),
            (layout.product, Field::Product),
            (layout.product_name, Field::ProductName),
            (layout.usage_type, Field::UsageType),
            (layout.description, Field::Description),
        ];
        for (top, field) in optional {
            if let Some(top) = top {
                let (descr, i) = leaf(top, None)?;
                text.push((field, descr, i));
            }
        }
        for (field, columns) in [
            (Field::Tag, &layout.tag),
            (Field::Workload, &layout.workload),
        ] {
            for &top in &columns.plain {
                let (descr, i) = leaf(top, None)?;
                text.push((field, descr, i));
            }
        }
        let mut map_fields = Vec::new();
        if layout.tag.map.is_some() {
            map_fields.push((Field::Tag, TagNames::map_migrated().map_keys.clone()));
        }
        if let (Some(_), Some(w)) = (layout.workload.map, workload) {
            map_fields.push((Field::Workload, w.map_keys.clone()));
        }
        let tag_map = match layout.tag.map.or(layout.workload.map) {
            Some(top) if !map_fields.is_empty() => {
                Some([leaf(top, Some("key"))?, leaf(top, Some("value"))?])
            }
            _ => None,
        };
        Ok(Leaves {
            text,
            cost: leaf(layout.cost, None)?,
            start: leaf(layout.start, None)?,
            tag_map,
            map_fields,
        })
    }

    fn open(&self, group: &dyn RowGroupReader) -> Result<Columns, ParquetError> {
        let bytes = |i: usize| match group.get_column_reader(i)? {
            ColumnReader::ByteArrayColumnReader(r) => Ok(r),
            _ => Err(ParquetError::General(format!(
                "column `{}` is not text",
                group.metadata().column(i).column_path()
            ))),
        };
        Ok(Columns {
            text: self
                .text
                .iter()
                .map(|(_, _, i)| bytes(*i))
                .collect::<Result<_, _>>()?,
            cost: group.get_column_reader(self.cost.1)?,
            start: group.get_column_reader(self.start.1)?,
            tag_map: match &self.tag_map {
                Some([k, v]) => Some([bytes(k.1)?, bytes(v.1)?]),
                None => None,
            },
        })
    }
}

/// Open column readers of one row group.
struct Columns {
    text: Vec<ColumnReaderImpl<ByteArrayType>>,
    cost: ColumnReader,
    start: ColumnReader,
    tag_map: Option<[ColumnReaderImpl<ByteArrayType>; 2]>,
}

/// Up to [`BATCH`] rows, decoded column by column.
struct Batch {
    rows: usize,
    /// Per [`Field`] (by its number), the `text` columns that hold it.
    by_field: [Vec<usize>; FIELDS],
    text: Vec<Vec<Option<ByteArray>>>,
    cost: Vec<Result<Decimal, String>>,
    start: Vec<Result<NaiveDate, String>>,
}

impl Columns {
    fn next(&mut self, leaves: &Leaves) -> Result<Batch, ParquetError> {
        let (rows, cost) = costs(&mut self.cost, &leaves.cost.0)?;
        let (_, start) = days(&mut self.start, &leaves.start.0)?;
        let mut fields = Vec::new();
        let mut text = Vec::new();
        for (reader, (field, descr, _)) in self.text.iter_mut().zip(&leaves.text) {
            fields.push(*field);
            text.push(flat(reader, descr.max_def_level())?.1);
        }
        if let (Some([keys, values]), Some([k, v])) = (&mut self.tag_map, &leaves.tag_map) {
            let names: Vec<&[String]> = leaves.map_fields.iter().map(|(_, n)| &n[..]).collect();
            let found = map_values(
                keys,
                values,
                [k.0.max_def_level(), v.0.max_def_level()],
                &names,
            )?;
            for ((field, _), values) in leaves.map_fields.iter().zip(found) {
                fields.push(*field);
                text.push(values);
            }
        }
        let lengths_agree = start.len() == rows && text.iter().all(|t| t.len() == rows);
        if !lengths_agree {
            return Err(ParquetError::General("columns of different lengths".into()));
        }
        let mut by_field: [Vec<usize>; FIELDS] = Default::default();
        for (column, field) in fields.iter().enumerate() {
            by_field[*field as usize].push(column);
        }
        Ok(Batch {
            rows,
            by_field,
            text,
            cost,
            start,
        })
    }
}

impl Batch {
    fn line(&self, i: usize, layout: &Layout) -> Result<Line<'_>, String> {
        let field = |f: Field| {
            self.by_field[f as usize]
                .iter()
                .filter_map(|&column| self.text[column][i].as_ref())
                .map(|b| std::str::from_utf8(b.data()).unwrap_or(""))
                .find(|v| !v.is_empty())
                .unwrap_or("")
        };
        let kind = field(Field::Kind);
        let cost = self.cost[i].clone()?;
        let currency = field(Field::Currency);
        if !currency.is_empty() && !super::is_currency_code(currency) {
            return Err(format!(
                "currency `{}` is not an ISO 4217 code (three capital letters, e.g. USD)",
                currency.chars().take(16).collect::<String>()
            ));
        }
        Ok(Line {
            resource: field(Field::Resource),
            day: self.start[i].clone()?,
            cost,
            charge: match layout.kind {
                Some(_) => Charge::of(layout.dialect, kind),
                None => Charge::Usage,
            },
            tag: Some(Cow::Borrowed(field(Field::Tag))).filter(|t| !t.is_empty()),
            workload: Some(Cow::Borrowed(field(Field::Workload))).filter(|t| !t.is_empty()),
            currency,
            account: field(Field::Account),
            product: field(Field::Product),
            product_name: field(Field::ProductName),
            usage_type: field(Field::UsageType),
            description: field(Field::Description),
        })
    }
}

/// Rows read, and one entry per row (None: null).
type Rows<V> = (usize, Vec<Option<V>>);

/// One batch of a flat (non-repeated) column.
fn flat<T: DataType>(
    reader: &mut ColumnReaderImpl<T>,
    max_def: i16,
) -> Result<Rows<T::T>, ParquetError> {
    let (mut defs, mut values) = (Vec::new(), Vec::new());
    let (rows, _, _) = reader.read_records(BATCH, Some(&mut defs), None, &mut values)?;
    if max_def == 0 {
        return Ok((rows, values.into_iter().map(Some).collect()));
    }
    let mut values = values.into_iter();
    let out = defs
        .iter()
        .map(|&d| if d == max_def { values.next() } else { None })
        .collect();
    Ok((rows, out))
}

/// Per list of key names, the value of each row of a MAP column under the
/// first of those keys present with a value (as the JSON maps of CSV files
/// are read). Key and value leaves are read in step; a new row starts at
/// repetition level 0.
fn map_values(
    keys: &mut ColumnReaderImpl<ByteArrayType>,
    values: &mut ColumnReaderImpl<ByteArrayType>,
    [key_def, value_def]: [i16; 2],
    names: &[&[String]],
) -> Result<Vec<Vec<Option<ByteArray>>>, ParquetError> {
    let (mut kdefs, mut reps, mut kvals) = (Vec::new(), Vec::new(), Vec::new());
    keys.read_records(BATCH, Some(&mut kdefs), Some(&mut reps), &mut kvals)?;
    let (mut vdefs, mut vreps, mut vvals) = (Vec::new(), Vec::new(), Vec::new());
    values.read_records(BATCH, Some(&mut vdefs), Some(&mut vreps), &mut vvals)?;
    if vdefs.len() != kdefs.len() {
        return Err(ParquetError::General(
            "a map's keys and values differ in length".into(),
        ));
    }
    let (mut kvals, mut vvals) = (kvals.into_iter(), vvals.into_iter());
    // Per list and row: the best-ranked value so far, and its rank.
    let mut out: Vec<Vec<Option<(usize, ByteArray)>>> = vec![Vec::new(); names.len()];
    for (j, &rep) in reps.iter().enumerate() {
        if rep == 0 {
            out.iter_mut().for_each(|rows| rows.push(None));
        }
        let key = (kdefs[j] == key_def).then(|| kvals.next()).flatten();
        let value = (vdefs[j] == value_def).then(|| vvals.next()).flatten();
        let (Some(key), Some(value)) = (key, value) else {
            continue;
        };
        if value.data().is_empty() {
            continue;
        }
        for (list, rows) in names.iter().zip(out.iter_mut()) {
            let rank = list.iter().position(|m| m.as_bytes() == key.data());
            if let (Some(rank), Some(last)) = (rank, rows.last_mut()) {
                if last.as_ref().is_none_or(|(r, _)| rank < *r) {
                    *last = Some((rank, value.clone()));
                }
            }
        }
    }
    Ok(out
        .into_iter()
        .map(|rows| {
            rows.into_iter()
                .map(|v| v.map(|(_, value)| value))
                .collect()
        })
        .collect())
}

/// A cost read as a double: the decimal it was written as.
fn double(x: Option<f64>) -> Result<Decimal, String> {
    let x = x.ok_or_else(|| "no cost".to_string())?;
    money::from_f64(x).ok_or_else(|| format!("cost `{x}` is not a finite number"))
}

/// An integer cost of `scale` decimal places (0 unless DECIMAL), exact.
fn scaled(unscaled: Option<i128>, scale: u32) -> Result<Decimal, String> {
    let u = unscaled.ok_or_else(|| "no cost".to_string())?;
    Decimal::try_from_i128_with_scale(u, scale)
        .map_err(|_| format!("cost decimal {u} with scale {scale} is out of range"))
}

/// The cost column as exact decimals: DOUBLE, FLOAT, DECIMAL (any physical
/// type), or text.
fn costs(
    reader: &mut ColumnReader,
    descr: &ColumnDescPtr,
) -> Result<(usize, Vec<Result<Decimal, String>>), ParquetError> {
    let max_def = descr.max_def_level();
    let decimal = matches!(descr.converted_type(), ConvertedType::DECIMAL);
    let scale = if decimal {
        descr.type_scale().max(0) as u32
    } else {
        0
    };
    match reader {
        ColumnReader::DoubleColumnReader(r) => {
            let (n, v) = flat(r, max_def)?;
            Ok((n, v.into_iter().map(double).collect()))
        }
        ColumnReader::FloatColumnReader(r) => {
            let (n, v) = flat(r, max_def)?;
            Ok((n, v.into_iter().map(|x| double(x.map(f64::from))).collect()))
        }
        ColumnReader::Int32ColumnReader(r) => {
            let (n, v) = flat(r, max_def)?;
            let out = v.into_iter().map(|x| scaled(x.map(i128::from), scale));
            Ok((n, out.collect()))
        }
        ColumnReader::Int64ColumnReader(r) => {
            let (n, v) = flat(r, max_def)?;
            let out = v.into_iter().map(|x| scaled(x.map(i128::from), scale));
            Ok((n, out.collect()))
        }
        ColumnReader::FixedLenByteArrayColumnReader(r) => {
            let (n, v) = flat(r, max_def)?;
            let out = v.iter().map(|x| match x {
                Some(b) => scaled(Some(unscaled(b.data())?), scale),
                None => Err("no cost".into()),
            });
            Ok((n, out.collect()))
        }
        ColumnReader::ByteArrayColumnReader(r) => {
            let (n, v) = flat(r, max_def)?;
            let out = v.iter().map(|x| match x {
                Some(b) if decimal => scaled(Some(unscaled(b.data())?), scale),
                Some(b) => {
                    let s = String::from_utf8_lossy(b.data());
                    money::parse(&s).ok_or_else(|| format!("cost `{s}` is not a number"))
                }
                None => Err("no cost".into()),
            });
            Ok((n, out.collect()))
        }
        _ => Err(ParquetError::General(format!(
            "cost column `{}` is not a number",
            descr.path()
        ))),
    }
}

/// A DECIMAL's big-endian two's-complement unscaled value.
fn unscaled(bytes: &[u8]) -> Result<i128, String> {
    if bytes.is_empty() || bytes.len() > 16 {
        return Err(format!("cost decimal of {} bytes", bytes.len()));
    }
    let fill = if bytes[0] & 0x80 != 0 { 0xff } else { 0 };
    let mut wide = [fill; 16];
    wide[16 - bytes.len()..].copy_from_slice(bytes);
    Ok(i128::from_be_bytes(wide))
}

/// The start column as days: TIMESTAMP (milli, micro or nanoseconds),
/// INT96 (older writers), DATE, or ISO 8601 text.
fn days(
    reader: &mut ColumnReader,
    descr: &ColumnDescPtr,
) -> Result<(usize, Vec<Result<NaiveDate, String>>), ParquetError> {
    let max_def = descr.max_def_level();
    let missing = || Err("no start date".to_string());
    let day = |t: Option<DateTime<chrono::Utc>>| {
        t.map(|t| t.date_naive())
            .ok_or_else(|| "the start date is out of range".to_string())
    };
    match reader {
        ColumnReader::Int64ColumnReader(r) => {
            let (n, v) = flat(r, max_def)?;
            let unit = time_unit(descr);
            let out = v.into_iter().map(|x| match x {
                Some(t) => day(match unit {
                    TimeUnit::MILLIS => DateTime::from_timestamp_millis(t),
                    TimeUnit::MICROS => DateTime::from_timestamp_micros(t),
                    TimeUnit::NANOS => Some(DateTime::from_timestamp_nanos(t)),
                }),
                None => missing(),
            });
            Ok((n, out.collect()))
        }
        ColumnReader::Int96ColumnReader(r) => {
            let (n, v) = flat(r, max_def)?;
            let out = v.into_iter().map(|x| match x {
                Some(t) => day(DateTime::from_timestamp_millis(t.to_millis())),
                None => missing(),
            });
            Ok((n, out.collect()))
        }
        ColumnReader::Int32ColumnReader(r) => {
            let (n, v) = flat(r, max_def)?;
            let out = v.into_iter().map(|x| match x {
                Some(d) => day(DateTime::from_timestamp(i64::from(d) * 86_400, 0)),
                None => missing(),
            });
            Ok((n, out.collect()))
        }
        ColumnReader::ByteArrayColumnReader(r) => {
            let (n, v) = flat(r, max_def)?;
            let out = v.into_iter().map(|x| match x {
                Some(b) => {
                    let s = String::from_utf8_lossy(b.data());
                    super::day_of(&s).ok_or_else(|| format!("`{s}` is not a date"))
                }
                None => missing(),
            });
            Ok((n, out.collect()))
        }
        _ => Err(ParquetError::General(format!(
            "start column `{}` is not a date or time",
            descr.path()
        ))),
    }
}

/// An INT64 timestamp's unit (milliseconds when the file does not say).
fn time_unit(descr: &ColumnDescPtr) -> TimeUnit {
    match (descr.logical_type_ref(), descr.converted_type()) {
        (Some(LogicalType::Timestamp(t)), _) => t.unit,
        (_, ConvertedType::TIMESTAMP_MICROS) => TimeUnit::MICROS,
        _ => TimeUnit::MILLIS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_keep_their_sign() {
        assert_eq!(unscaled(&(-1234i32).to_be_bytes()), Ok(-1234));
        assert_eq!(unscaled(&[0x01, 0x00]), Ok(256));
        assert_eq!(scaled(Some(-1234), 3), Ok("-1.234".parse().unwrap()));
        assert!(scaled(Some(1), 40).is_err());
        assert_eq!(unscaled(&[]), Err("cost decimal of 0 bytes".into()));
    }
}
