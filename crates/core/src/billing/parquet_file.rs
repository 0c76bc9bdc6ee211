//! Billing exports in Parquet (CUR 2.0 and FOCUS from Data Exports, legacy
//! CUR): only the columns a [`Layout`] uses are read, row group by row
//! group, a batch of rows at a time, straight from the `parquet` crate's
//! typed column readers (no Arrow, and no per-row allocation as its record
//! reader would make).

use super::layout::{Layout, TagNames};
use super::parquet_values::{costs, days, BATCH};
use super::{BillingError, Charge, Costs, Dialect, Line};
use crate::money::Decimal;
use crate::policy::map_format::Scheme;
use chrono::NaiveDate;
use parquet::column::reader::{ColumnReader, ColumnReaderImpl};
use parquet::data_type::{ByteArray, ByteArrayType};
use parquet::errors::ParquetError;
use parquet::file::reader::{ChunkReader, FileReader, RowGroupReader, SerializedFileReader};
use parquet::schema::types::{ColumnDescPtr, SchemaDescriptor};
use std::borrow::Cow;

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
        let layout = Layout::of(&names, file, &self.reading.tags, workload.as_ref())?;
        self.kinds.judge_under(&self.reading.eligible);
        let leaves = Leaves::find(schema, &layout, &names, workload.as_ref()).map_err(bad)?;
        let mut batch = Batch::new(&leaves);
        let mut row = 0;
        for g in 0..reader.num_row_groups() {
            let group = reader.get_row_group(g).map_err(bad)?;
            let mut columns = leaves.open(&*group).map_err(bad)?;
            while columns.next(&leaves, &mut batch).map_err(bad)? > 0 {
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
    Operation,
    Description,
    /// The first MAP tag (`map.tag`); several columns may hold it, the
    /// first with a value wins (own columns first, then the tag map).
    Tag,
    /// The second MAP tag, likewise.
    OtherTag,
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
            (layout.operation, Field::Operation),
            (layout.description, Field::Description),
        ];
        for (top, field) in optional {
            if let Some(top) = top {
                let (descr, i) = leaf(top, None)?;
                text.push((field, descr, i));
            }
        }
        let tags = layout.tags.iter().zip([Field::Tag, Field::OtherTag]);
        let columns = tags
            .clone()
            .map(|((_, c), f)| (f, c))
            .chain([(Field::Workload, &layout.workload)]);
        for (field, columns) in columns {
            for &top in &columns.plain {
                let (descr, i) = leaf(top, None)?;
                text.push((field, descr, i));
            }
        }
        let mut map_fields = Vec::new();
        for ((scheme, columns), field) in tags {
            if columns.map.is_some() {
                map_fields.push((field, TagNames::of_scheme(*scheme).map_keys.clone()));
            }
        }
        if let (Some(_), Some(w)) = (layout.workload.map, workload) {
            map_fields.push((Field::Workload, w.map_keys.clone()));
        }
        let tag_map = match layout.tag_map() {
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

/// Up to [`BATCH`] rows, decoded column by column into buffers that are
/// reused from batch to batch.
struct Batch {
    rows: usize,
    /// Per [`Field`] (by its number), the `text` columns that hold it.
    by_field: [Vec<usize>; FIELDS],
    /// Per text column (own columns, then fields from the tag map), a
    /// value per row; null is empty.
    text: Vec<Vec<ByteArray>>,
    cost: Vec<Result<Decimal, String>>,
    start: Vec<Result<NaiveDate, String>>,
    /// Levels, read into and reused.
    levels: Levels,
}

#[derive(Default)]
struct Levels {
    defs: Vec<i16>,
    reps: Vec<i16>,
    value_defs: Vec<i16>,
    value_reps: Vec<i16>,
    keys: Vec<ByteArray>,
    values: Vec<ByteArray>,
}

impl Batch {
    fn new(leaves: &Leaves) -> Batch {
        let fields = leaves.text.iter().map(|(field, _, _)| *field);
        let mapped = leaves.map_fields.iter().map(|(field, _)| *field);
        let mut by_field: [Vec<usize>; FIELDS] = Default::default();
        let mut columns = 0;
        for (column, field) in fields.chain(mapped).enumerate() {
            by_field[field as usize].push(column);
            columns += 1;
        }
        Batch {
            rows: 0,
            by_field,
            text: (0..columns).map(|_| Vec::with_capacity(BATCH)).collect(),
            cost: Vec::with_capacity(BATCH),
            start: Vec::with_capacity(BATCH),
            levels: Levels::default(),
        }
    }
}

impl Columns {
    /// Decode the next rows into `batch`; 0 at the end of the row group.
    fn next(&mut self, leaves: &Leaves, batch: &mut Batch) -> Result<usize, ParquetError> {
        let levels = &mut batch.levels;
        let rows = costs(
            &mut self.cost,
            &leaves.cost.0,
            &mut levels.defs,
            &mut batch.cost,
        )?;
        let days = days(
            &mut self.start,
            &leaves.start.0,
            &mut levels.defs,
            &mut batch.start,
        )?;
        let mut lengths_agree = days == rows;
        let own = self.text.iter_mut().zip(&leaves.text);
        for ((reader, (_, descr, _)), out) in own.zip(&mut batch.text) {
            let n = text(reader, descr.max_def_level(), &mut levels.defs, out)?;
            lengths_agree &= n == rows;
        }
        if let (Some([keys, values]), Some([k, v])) = (&mut self.tag_map, &leaves.tag_map) {
            let names: Vec<&[String]> = leaves.map_fields.iter().map(|(_, n)| &n[..]).collect();
            let out = &mut batch.text[leaves.text.len()..];
            let readers = MapReaders {
                keys,
                values,
                defs: [k.0.max_def_level(), v.0.max_def_level()],
            };
            let n = readers.read(&names, levels, out)?;
            lengths_agree &= n == rows;
        }
        if !lengths_agree {
            return Err(ParquetError::General("columns of different lengths".into()));
        }
        batch.rows = rows;
        Ok(rows)
    }
}

impl Batch {
    fn line(&self, i: usize, layout: &Layout) -> Result<Line<'_>, String> {
        let field = |f: Field| {
            self.by_field[f as usize]
                .iter()
                .map(|&column| std::str::from_utf8(self.text[column][i].data()).unwrap_or(""))
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
        let scheme = |i: usize| layout.tags.get(i).map_or(Scheme::default(), |(s, _)| *s);
        let (scheme, tag) = match (field(Field::Tag), field(Field::OtherTag)) {
            ("", "") => (scheme(0), None),
            ("", other) => (scheme(1), Some(Cow::Borrowed(other))),
            (first, _) => (scheme(0), Some(Cow::Borrowed(first))),
        };
        Ok(Line {
            resource: field(Field::Resource),
            day: self.start[i].clone()?,
            cost,
            charge: match layout.kind {
                Some(_) => Charge::of(layout.dialect, kind),
                None => Charge::Usage,
            },
            tag,
            scheme,
            workload: Some(Cow::Borrowed(field(Field::Workload))).filter(|t| !t.is_empty()),
            currency,
            account: field(Field::Account),
            product: field(Field::Product),
            product_name: field(Field::ProductName),
            usage_type: field(Field::UsageType),
            operation: field(Field::Operation),
            description: field(Field::Description),
        })
    }
}

/// An empty value, for nulls.
fn empty() -> ByteArray {
    ByteArray::from(Vec::new())
}

/// One batch of a flat text column into `out`, a value per row (null:
/// empty), spread in place.
fn text(
    reader: &mut ColumnReaderImpl<ByteArrayType>,
    max_def: i16,
    defs: &mut Vec<i16>,
    out: &mut Vec<ByteArray>,
) -> Result<usize, ParquetError> {
    defs.clear();
    out.clear();
    let (rows, _, _) = reader.read_records(BATCH, Some(defs), None, out)?;
    if max_def == 0 {
        return Ok(rows);
    }
    let present = defs.iter().filter(|&&d| d == max_def).count();
    if defs.len() != rows || out.len() != present {
        return Err(ParquetError::General("a column's levels disagree".into()));
    }
    // Values are packed; move each to its row, from the end, so that a
    // value only ever moves to a later place.
    let mut packed = out.len();
    out.resize(rows, empty());
    for row in (0..rows).rev() {
        if defs[row] == max_def {
            packed -= 1;
            out.swap(row, packed);
        }
    }
    Ok(rows)
}

/// A MAP column's key and value leaves, read in step.
struct MapReaders<'a> {
    keys: &'a mut ColumnReaderImpl<ByteArrayType>,
    values: &'a mut ColumnReaderImpl<ByteArrayType>,
    /// Their definition levels when present.
    defs: [i16; 2],
}

impl MapReaders<'_> {
    /// Per list of key names, into its `out` column, the value of each row
    /// under the first of those keys present with a value (as the JSON
    /// maps of CSV files are read). A new row starts at repetition level 0.
    /// The rows read.
    fn read(
        self,
        names: &[&[String]],
        l: &mut Levels,
        out: &mut [Vec<ByteArray>],
    ) -> Result<usize, ParquetError> {
        for v in [
            &mut l.defs,
            &mut l.reps,
            &mut l.value_defs,
            &mut l.value_reps,
        ] {
            v.clear();
        }
        l.keys.clear();
        l.values.clear();
        let (rows, _, _) =
            self.keys
                .read_records(BATCH, Some(&mut l.defs), Some(&mut l.reps), &mut l.keys)?;
        self.values.read_records(
            BATCH,
            Some(&mut l.value_defs),
            Some(&mut l.value_reps),
            &mut l.values,
        )?;
        // Keys and values are one list: the same rows, the same entries.
        let in_step = l.reps.len() == l.defs.len() && l.value_defs.len() == l.defs.len();
        if !in_step || l.value_reps != l.reps {
            return Err(ParquetError::General(
                "a map's keys and values are not in step".into(),
            ));
        }
        // Per list: the rank of the best value of the row at hand.
        let mut ranks = vec![usize::MAX; names.len()];
        out.iter_mut().for_each(Vec::clear);
        let (mut keys, mut values) = (l.keys.iter(), l.values.iter());
        for (j, &rep) in l.reps.iter().enumerate() {
            if rep == 0 {
                out.iter_mut().for_each(|rows| rows.push(empty()));
                ranks.fill(usize::MAX);
            }
            let key = (l.defs[j] == self.defs[0]).then(|| keys.next()).flatten();
            let value = (l.value_defs[j] == self.defs[1])
                .then(|| values.next())
                .flatten();
            let (Some(key), Some(value)) = (key, value) else {
                continue;
            };
            if value.data().is_empty() {
                continue;
            }
            for ((list, rows), best) in names.iter().zip(out.iter_mut()).zip(&mut ranks) {
                let rank = list.iter().position(|m| m.as_bytes() == key.data());
                if let (Some(rank), Some(last)) = (rank, rows.last_mut()) {
                    if rank < *best {
                        *best = rank;
                        *last = value.clone();
                    }
                }
            }
        }
        if out.iter().any(|column| column.len() != rows) {
            return Err(ParquetError::General(
                "a map's rows disagree with its levels".into(),
            ));
        }
        Ok(rows)
    }
}
