//! Billing exports in CSV (plain or, read by the caller, gzip): the header
//! gives the layout, then each record becomes a [`Line`].

use super::layout::{Layout, TagColumns, TagNames};
use super::{tag_map, BillingError, Charge, Costs, Dialect, Line};
use crate::policy::map_format::Scheme;
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
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(Bounded::new(input));
        let too_long = |reader: &csv::Reader<Bounded<_>>, e: csv::Error| {
            match e.kind() {
            csv::ErrorKind::Io(io) if is_too_long(io) => BillingError::Row {
                file: file.to_string(),
                at: format!("line {}", reader.position().line()),
                why: format!("a line longer than {} MiB: not a billing export line (a broken or hostile file); nothing of it was counted", MAX_LINE_BYTES >> 20),
            },
            _ => csv_error(e),
        }
        };
        let header = match reader.headers() {
            Ok(h) => h.clone(),
            Err(e) => return Err(too_long(&reader, e)),
        };
        let workload = self.reading.workload_tags.clone();
        let layout = Layout::of(
            &header.iter().collect::<Vec<_>>(),
            file,
            &self.reading.tags,
            workload.as_ref(),
        )?;
        self.kinds.judge_under(&self.reading.eligible);
        let mut row = csv::StringRecord::new();
        loop {
            match reader.read_record(&mut row) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => return Err(too_long(&reader, e)),
            }
            self.rows += 1;
            let line = line(&layout, &row, workload.as_ref()).map_err(|why| BillingError::Row {
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

fn line<'a>(
    layout: &Layout,
    row: &'a csv::StringRecord,
    workload: Option<&TagNames>,
) -> Result<Line<'a>, String> {
    let text = |i: Option<usize>| i.and_then(|i| row.get(i)).unwrap_or("");
    let start = text(Some(layout.start));
    let day: NaiveDate = super::day_of(start).ok_or_else(|| format!("`{start}` is not a date"))?;
    let cost_text = text(Some(layout.cost));
    let cost =
        crate::money::parse(cost_text).ok_or_else(|| match cost_text.trim().parse::<f64>() {
            Ok(_) => format!("cost `{cost_text}` is not a finite number"),
            Err(_) => format!("cost `{cost_text}` is not a number"),
        })?;
    let currency = text(layout.currency);
    if !currency.is_empty() && !super::is_currency_code(currency) {
        return Err(format!(
            "currency `{}` is not an ISO 4217 code (three capital letters, e.g. USD)",
            currency.chars().take(16).collect::<String>()
        ));
    }
    let ((scheme, tag), workload) = tags(layout, row, workload);
    Ok(Line {
        resource: text(Some(layout.resource)),
        day,
        cost,
        charge: layout
            .kind
            .map_or(Charge::Usage, |i| Charge::of(layout.dialect, text(Some(i)))),
        tag,
        scheme,
        workload,
        currency,
        account: text(layout.account),
        product: text(layout.product),
        product_name: text(layout.product_name),
        usage_type: text(layout.usage_type),
        operation: text(layout.operation),
        description: text(layout.description),
    })
}

/// A MAP tag value and the key it was read under.
type MapValue<'a> = (Scheme, Option<Cow<'a, str>>);

/// A row's MAP value (under the first of the MAP tags it carries) and
/// its workload: from their own columns, else from the tag map (read
/// once, if at all).
fn tags<'a>(
    layout: &Layout,
    row: &'a csv::StringRecord,
    workload: Option<&TagNames>,
) -> (MapValue<'a>, Option<Cow<'a, str>>) {
    let plain = |cols: &TagColumns| {
        cols.plain
            .iter()
            .filter_map(|&i| row.get(i))
            .find(|v| !v.is_empty())
            .map(Cow::Borrowed)
    };
    let mut found: [Option<Cow<'a, str>>; 2] = [None, None];
    for (slot, (_, cols)) in found.iter_mut().zip(&layout.tags) {
        *slot = plain(cols);
    }
    let mut work = workload.and_then(|_| plain(&layout.workload));
    let first_missing = found[0].is_none();
    let want = first_missing || (workload.is_some() && work.is_none());
    let text = layout.tag_map().and_then(|i| row.get(i)).map(str::trim);
    if let (true, Some(text)) = (want, text.filter(|t| !t.is_empty() && *t != "{}")) {
        let none: &[String] = &[];
        let names = |i: usize| {
            layout
                .tags
                .get(i)
                .map_or(none, |(s, _)| &TagNames::of_scheme(*s).map_keys[..])
        };
        let w = workload.map_or(none, |w| &w.map_keys[..]);
        let [t0, t1, w] = tag_map::find(text, [names(0), names(1), w]);
        for (slot, t) in found.iter_mut().zip([t0, t1]) {
            if slot.is_none() {
                *slot = t;
            }
        }
        work = work.or(w);
    }
    let [t0, t1] = found;
    let scheme = |i: usize| layout.tags.get(i).map_or(Scheme::default(), |(s, _)| *s);
    let tag = match (t0, t1) {
        (Some(t), _) => (scheme(0), Some(t)),
        (None, Some(t)) => (scheme(1), Some(t)),
        (None, None) => (scheme(0), None),
    };
    (tag, work)
}

/// The longest physical line of a CSV bill: CUR lines are a few KiB, tags
/// included. A longer one (a gzip bomb of one line) is refused before it
/// is held in memory.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// The error a [`Bounded`] reader gives for a line over the limit.
#[derive(Debug)]
struct LineTooLong;

impl std::fmt::Display for LineTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a line longer than {MAX_LINE_BYTES} bytes")
    }
}

impl std::error::Error for LineTooLong {}

fn is_too_long(e: &std::io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<LineTooLong>())
}

/// A reader that fails once a line runs past [`MAX_LINE_BYTES`].
struct Bounded<R> {
    inner: R,
    /// Bytes since the last newline.
    run: usize,
}

impl<R> Bounded<R> {
    fn new(inner: R) -> Bounded<R> {
        Bounded { inner, run: 0 }
    }
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        // The chunk's lines: the first continues the line read so far, the
        // last goes on in the next chunk.
        let mut lines = buf[..n].split(|&b| b == b'\n');
        self.run += lines.next().map_or(0, <[u8]>::len);
        let mut longest = self.run;
        for line in lines {
            self.run = line.len();
            longest = longest.max(self.run);
        }
        if longest > MAX_LINE_BYTES {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                LineTooLong,
            ));
        }
        Ok(n)
    }
}
