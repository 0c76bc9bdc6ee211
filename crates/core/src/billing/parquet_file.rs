//! Billing exports in Parquet (CUR 2.0 and FOCUS from Data Exports, legacy
//! CUR): only the columns a [`Layout`] uses are read, row group by row
//! group, through the `parquet` crate's record reader (no Arrow).

use super::layout::{Layout, TagColumn};
use super::{map_value_json, BillingError, Charge, Costs, Dialect, Line, MAP_TAG_KEYS};
use chrono::{DateTime, NaiveDate};
use parquet::data_type::Decimal;
use parquet::file::reader::{ChunkReader, FileReader, SerializedFileReader};
use parquet::record::Field;
use parquet::schema::types::Type;
use std::borrow::Cow;
use std::sync::Arc;

impl Costs {
    /// Add every line of one Parquet file that starts in [from, to).
    pub fn read_parquet<R: ChunkReader + 'static>(
        &mut self,
        input: R,
        file: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Dialect, BillingError> {
        let bad = |e: parquet::errors::ParquetError| BillingError::Parquet {
            file: file.to_string(),
            why: e.to_string(),
        };
        let reader = SerializedFileReader::new(input).map_err(bad)?;
        let schema = reader.metadata().file_metadata().schema();
        let columns: Vec<Arc<Type>> = schema
            .get_fields()
            .iter()
            .filter(|f| Layout::wanted(f.name()))
            .cloned()
            .collect();
        let names: Vec<&str> = columns.iter().map(|c| c.name()).collect();
        let layout = Layout::of(&names, file)?;
        let projection = Type::group_type_builder(schema.name())
            .with_fields(columns.clone())
            .build()
            .map_err(bad)?;
        for (n, row) in reader
            .get_row_iter(Some(projection))
            .map_err(bad)?
            .enumerate()
        {
            let row = row.map_err(bad)?;
            self.rows += 1;
            let values: Vec<&Field> = row.get_column_iter().map(|(_, f)| f).collect();
            let line = line(&layout, &values).map_err(|why| BillingError::Row {
                file: file.to_string(),
                at: format!("row {}", n + 1),
                why,
            })?;
            self.add(&line, file, from, to)?;
        }
        Ok(layout.dialect)
    }
}

fn line<'a>(layout: &Layout, row: &[&'a Field]) -> Result<Line<'a>, String> {
    let column = |i: Option<usize>| i.and_then(|i| row.get(i)).map_or("", |f| text(f));
    let day = day(row[layout.start])?;
    let cost = number(row[layout.cost])?;
    let tag = match layout.tag {
        TagColumn::Plain(i) => Some(Cow::Borrowed(text(row[i]))),
        TagColumn::Map(i) => map_value(row[i]),
        TagColumn::Absent => None,
    };
    Ok(Line {
        resource: column(Some(layout.resource)),
        day,
        cost,
        charge: layout.kind.map_or(Charge::Usage, |i| {
            Charge::of(layout.dialect, column(Some(i)))
        }),
        tag: tag.filter(|t| !t.is_empty()),
        currency: column(layout.currency),
        account: column(layout.account),
        product: column(layout.product),
        product_name: column(layout.product_name),
        usage_type: column(layout.usage_type),
        description: column(layout.description),
    })
}

fn text(field: &Field) -> &str {
    match field {
        Field::Str(s) => s,
        Field::Bytes(b) => std::str::from_utf8(b.data()).unwrap_or(""),
        _ => "",
    }
}

fn day(field: &Field) -> Result<NaiveDate, String> {
    let from_epoch = match field {
        Field::TimestampMillis(ms) => DateTime::from_timestamp_millis(*ms),
        Field::TimestampMicros(us) => DateTime::from_timestamp_micros(*us),
        Field::Date(days) => DateTime::from_timestamp(i64::from(*days) * 86_400, 0),
        Field::Str(s) => {
            return s
                .get(..10)
                .and_then(|d| d.parse().ok())
                .ok_or_else(|| format!("`{s}` is not a date"))
        }
        other => return Err(format!("the start date is {other}, not a date or time")),
    };
    from_epoch
        .map(|t| t.date_naive())
        .ok_or_else(|| format!("the start date {field} is out of range"))
}

fn number(field: &Field) -> Result<f64, String> {
    match field {
        Field::Double(x) => Ok(*x),
        Field::Float(x) => Ok(f64::from(*x)),
        Field::Int(x) => Ok(f64::from(*x)),
        Field::Long(x) => Ok(*x as f64),
        Field::Decimal(d) => decimal(d),
        Field::Str(s) => s
            .trim()
            .parse()
            .map_err(|_| format!("cost `{s}` is not a number")),
        other => Err(format!("cost {other} is not a number")),
    }
}

/// A DECIMAL's big-endian two's-complement unscaled value over 10^scale.
fn decimal(d: &Decimal) -> Result<f64, String> {
    let bytes = d.data();
    if bytes.is_empty() || bytes.len() > 16 {
        return Err(format!("cost decimal of {} bytes", bytes.len()));
    }
    let fill = if bytes[0] & 0x80 != 0 { 0xff } else { 0 };
    let mut wide = [fill; 16];
    wide[16 - bytes.len()..].copy_from_slice(bytes);
    Ok(i128::from_be_bytes(wide) as f64 / 10f64.powi(d.scale()))
}

/// `map-migrated` from a MAP column (or a JSON text one).
fn map_value(field: &Field) -> Option<Cow<'_, str>> {
    match field {
        Field::MapInternal(map) => map.entries().iter().find_map(|(k, v)| {
            MAP_TAG_KEYS
                .contains(&text(k))
                .then(|| Cow::Borrowed(text(v)))
        }),
        Field::Str(json) => map_value_json(json).map(Cow::Owned),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_keep_their_sign_and_scale() {
        assert_eq!(decimal(&Decimal::from_i32(-1234, 9, 2)), Ok(-12.34));
        assert_eq!(decimal(&Decimal::from_i64(5, 18, 0)), Ok(5.0));
        let wide = Decimal::from_bytes(vec![0x01, 0x00].into(), 20, 1);
        assert_eq!(decimal(&wide), Ok(25.6));
    }

    #[test]
    fn dates_from_every_encoding() {
        let want = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let ms = 1_772_409_600_000; // 2026-03-02T00:00:00Z
        assert_eq!(day(&Field::TimestampMillis(ms)), Ok(want));
        assert_eq!(day(&Field::TimestampMicros(ms * 1000)), Ok(want));
        assert_eq!(day(&Field::Date(20_514)), Ok(want));
        assert_eq!(day(&Field::Str("2026-03-02T05:00:00Z".into())), Ok(want));
        assert_eq!(
            day(&Field::Bool(true)),
            Err("the start date is true, not a date or time".into())
        );
    }
}
