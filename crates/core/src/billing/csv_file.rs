//! Billing exports in CSV (plain or, read by the caller, gzip): the header
//! gives the layout, then each record becomes a [`Line`].

use super::layout::{Layout, TagColumn};
use super::{map_value_json, BillingError, Charge, Costs, Dialect, Line};
use chrono::NaiveDate;
use std::borrow::Cow;
use std::io::Read;

impl Costs {
    /// Add every line of one CSV file that starts in [from, to).
    pub fn read_csv(
        &mut self,
        input: impl Read,
        file: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Dialect, BillingError> {
        let csv_error = |source| BillingError::Csv {
            file: file.to_string(),
            source,
        };
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
        let header = reader.headers().map_err(csv_error)?.clone();
        let layout = Layout::of(&header.iter().collect::<Vec<_>>(), file)?;
        let mut row = csv::StringRecord::new();
        while reader.read_record(&mut row).map_err(csv_error)? {
            self.rows += 1;
            let line = line(&layout, &row).map_err(|why| BillingError::Row {
                file: file.to_string(),
                // Where the record starts (a quoted field may span lines).
                at: format!("line {}", row.position().map_or(0, |p| p.line())),
                why,
            })?;
            self.add(&line, file, from, to)?;
        }
        Ok(layout.dialect)
    }
}

fn line<'a>(layout: &Layout, row: &'a csv::StringRecord) -> Result<Line<'a>, String> {
    let text = |i: Option<usize>| i.and_then(|i| row.get(i)).unwrap_or("");
    let start = text(Some(layout.start));
    let day: NaiveDate = start
        .get(..10)
        .and_then(|d| d.parse().ok())
        .ok_or_else(|| format!("`{start}` is not a date"))?;
    let cost_text = text(Some(layout.cost));
    let cost: f64 = cost_text
        .trim()
        .parse()
        .map_err(|_| format!("cost `{cost_text}` is not a number"))?;
    let tag = match layout.tag {
        TagColumn::Plain(i) => row.get(i).map(Cow::Borrowed),
        TagColumn::Map(i) => row.get(i).and_then(map_value_json).map(Cow::Owned),
        TagColumn::Absent => None,
    };
    Ok(Line {
        resource: text(Some(layout.resource)),
        day,
        cost,
        charge: layout
            .kind
            .map_or(Charge::Usage, |i| Charge::of(layout.dialect, text(Some(i)))),
        tag: tag.filter(|t| !t.is_empty()),
        currency: text(layout.currency),
        account: text(layout.account),
        product: text(layout.product),
        product_name: text(layout.product_name),
        usage_type: text(layout.usage_type),
        description: text(layout.description),
    })
}
