//! The columns of a Parquet bill that are not text: the cost as an exact
//! decimal (from DOUBLE, FLOAT, DECIMAL of any physical type, or text) and
//! the start as a day (TIMESTAMP, INT96, DATE or text), a batch at a time.

use crate::money::{self, Decimal};
use chrono::{DateTime, NaiveDate};
use parquet::basic::{ConvertedType, LogicalType, TimeUnit};
use parquet::column::reader::{ColumnReader, ColumnReaderImpl};
use parquet::data_type::DataType;
use parquet::errors::ParquetError;
use parquet::schema::types::ColumnDescPtr;

/// Rows decoded at a time: few enough that a batch's columns stay in the
/// core's own cache between decoding and reading them.
pub(super) const BATCH: usize = 1024;

/// One batch of a flat (non-repeated) column into `out` (cleared first):
/// one entry per row, None for null. The rows read.
fn flat<T: DataType>(
    reader: &mut ColumnReaderImpl<T>,
    max_def: i16,
    defs: &mut Vec<i16>,
    values: &mut Vec<T::T>,
    mut out: impl FnMut(Option<&T::T>),
) -> Result<usize, ParquetError> {
    defs.clear();
    values.clear();
    let (rows, _, _) = reader.read_records(BATCH, Some(defs), None, values)?;
    if max_def == 0 {
        values.iter().for_each(|v| out(Some(v)));
        return Ok(rows);
    }
    let mut next = values.iter();
    if defs.len() != rows {
        return Err(ParquetError::General("a column's levels disagree".into()));
    }
    for &d in defs.iter() {
        out(if d == max_def { next.next() } else { None });
    }
    Ok(rows)
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

/// The cost column as exact decimals, into `out` (a value per row):
/// DOUBLE, FLOAT, DECIMAL (any physical type), or text. The rows read.
pub(super) fn costs(
    reader: &mut ColumnReader,
    descr: &ColumnDescPtr,
    defs: &mut Vec<i16>,
    out: &mut Vec<Result<Decimal, String>>,
) -> Result<usize, ParquetError> {
    out.clear();
    let max_def = descr.max_def_level();
    let decimal = matches!(descr.converted_type(), ConvertedType::DECIMAL);
    let scale = if decimal {
        descr.type_scale().max(0) as u32
    } else {
        0
    };
    let bytes = |b: &[u8]| unscaled(b).and_then(|u| scaled(Some(u), scale));
    match reader {
        ColumnReader::DoubleColumnReader(r) => flat(r, max_def, defs, &mut Vec::new(), |x| {
            out.push(double(x.copied()))
        }),
        ColumnReader::FloatColumnReader(r) => flat(r, max_def, defs, &mut Vec::new(), |x| {
            out.push(double(x.map(|&f| f64::from(f))))
        }),
        ColumnReader::Int32ColumnReader(r) => flat(r, max_def, defs, &mut Vec::new(), |x| {
            out.push(scaled(x.map(|&u| i128::from(u)), scale))
        }),
        ColumnReader::Int64ColumnReader(r) => flat(r, max_def, defs, &mut Vec::new(), |x| {
            out.push(scaled(x.map(|&u| i128::from(u)), scale))
        }),
        ColumnReader::FixedLenByteArrayColumnReader(r) => {
            flat(r, max_def, defs, &mut Vec::new(), |x| {
                out.push(x.map_or_else(|| Err("no cost".into()), |b| bytes(b.data())))
            })
        }
        ColumnReader::ByteArrayColumnReader(r) => flat(r, max_def, defs, &mut Vec::new(), |x| {
            out.push(match x {
                Some(b) if decimal => bytes(b.data()),
                Some(b) => {
                    let s = String::from_utf8_lossy(b.data());
                    money::parse(&s).ok_or_else(|| format!("cost `{s}` is not a number"))
                }
                None => Err("no cost".into()),
            })
        }),
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

/// The start column as days, into `out` (a value per row): TIMESTAMP
/// (milli, micro or nanoseconds), INT96 (older writers), DATE, or ISO 8601
/// text. The rows read.
pub(super) fn days(
    reader: &mut ColumnReader,
    descr: &ColumnDescPtr,
    defs: &mut Vec<i16>,
    out: &mut Vec<Result<NaiveDate, String>>,
) -> Result<usize, ParquetError> {
    out.clear();
    let max_def = descr.max_def_level();
    let day = |t: Option<Option<DateTime<chrono::Utc>>>| match t {
        Some(Some(t)) => Ok(t.date_naive()),
        Some(None) => Err("the start date is out of range".to_string()),
        None => Err("no start date".to_string()),
    };
    match reader {
        ColumnReader::Int64ColumnReader(r) => {
            let unit = time_unit(descr);
            flat(r, max_def, defs, &mut Vec::new(), |x| {
                out.push(day(x.map(|&t| match unit {
                    TimeUnit::MILLIS => DateTime::from_timestamp_millis(t),
                    TimeUnit::MICROS => DateTime::from_timestamp_micros(t),
                    TimeUnit::NANOS => Some(DateTime::from_timestamp_nanos(t)),
                })))
            })
        }
        ColumnReader::Int96ColumnReader(r) => flat(r, max_def, defs, &mut Vec::new(), |x| {
            out.push(day(
                x.map(|t| DateTime::from_timestamp_millis(t.to_millis()))
            ))
        }),
        ColumnReader::Int32ColumnReader(r) => flat(r, max_def, defs, &mut Vec::new(), |x| {
            out.push(day(
                x.map(|&d| DateTime::from_timestamp(i64::from(d) * 86_400, 0))
            ))
        }),
        ColumnReader::ByteArrayColumnReader(r) => flat(r, max_def, defs, &mut Vec::new(), |x| {
            out.push(match x {
                Some(b) => {
                    let s = String::from_utf8_lossy(b.data());
                    super::day_of(&s).ok_or_else(|| format!("`{s}` is not a date"))
                }
                None => Err("no start date".to_string()),
            })
        }),
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
