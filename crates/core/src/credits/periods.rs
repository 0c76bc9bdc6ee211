//! The periods a credits report is cut into: months (Cost Explorer's
//! granularity) and quarters, counted from the agreement's start or by the
//! calendar. Periods are clipped to the agreement: an agreement that starts
//! on the 15th has a first month (and quarter) that starts on the 15th.
//! Ends are exclusive, as in Cost Explorer.

use crate::config::QuarterBasis;
use chrono::{Datelike, Months, NaiveDate};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub start: NaiveDate,
    /// Exclusive.
    pub end: NaiveDate,
    pub label: String,
}

pub fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).expect("day 1 exists")
}

fn next_month(d: NaiveDate) -> NaiveDate {
    first_of_month(d) + Months::new(1)
}

/// The months from `start` to `end` (exclusive), clipped to both.
pub fn months(start: NaiveDate, end: NaiveDate) -> Vec<Period> {
    let mut out = Vec::new();
    let mut at = start;
    while at < end {
        let next = next_month(at).min(end);
        out.push(Period {
            start: at,
            end: next,
            label: format!("{:04}-{:02}", at.year(), at.month()),
        });
        at = next;
    }
    out
}

/// The quarter a month belongs to: its index in the list `quarters` makes
/// and its nominal bounds.
fn quarter_of(
    month: NaiveDate,
    agreement_start: NaiveDate,
    basis: QuarterBasis,
) -> (NaiveDate, String) {
    match basis {
        QuarterBasis::Calendar => {
            let q0 = (month.month0() / 3) * 3;
            let start = NaiveDate::from_ymd_opt(month.year(), q0 + 1, 1).expect("a quarter start");
            (start, format!("{}-Q{}", month.year(), q0 / 3 + 1))
        }
        QuarterBasis::Agreement => {
            let origin = first_of_month(agreement_start);
            let since =
                (month.year() - origin.year()) * 12 + month.month() as i32 - origin.month() as i32;
            let n = since.max(0) as u32 / 3;
            (
                origin + Months::new(n * 3),
                format!("Q{} of the agreement", n + 1),
            )
        }
    }
}

/// The quarters covering `months` (in order), each clipped to them, with
/// the indexes of its months.
pub fn quarters(
    months: &[Period],
    agreement_start: NaiveDate,
    basis: QuarterBasis,
) -> Vec<(Period, Vec<usize>)> {
    let mut out: Vec<(Period, Vec<usize>)> = Vec::new();
    for (i, m) in months.iter().enumerate() {
        let (nominal, label) = quarter_of(first_of_month(m.start), agreement_start, basis);
        match out.last_mut() {
            Some((q, idx)) if q.label == label => {
                q.end = m.end;
                idx.push(i);
            }
            _ => {
                let start = nominal.max(m.start);
                out.push((
                    Period {
                        start,
                        end: m.end,
                        label,
                    },
                    vec![i],
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn months_are_clipped_to_the_window() {
        let m = months(d("2026-01-15"), d("2026-04-01"));
        let got: Vec<_> = m
            .iter()
            .map(|p| (p.start.to_string(), p.end.to_string(), p.label.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("2026-01-15".into(), "2026-02-01".into(), "2026-01"),
                ("2026-02-01".into(), "2026-03-01".into(), "2026-02"),
                ("2026-03-01".into(), "2026-04-01".into(), "2026-03"),
            ]
        );
        assert!(months(d("2026-03-01"), d("2026-03-01")).is_empty());
    }

    /// Each quarter's label, bounds and number of months.
    fn spans(q: &[(Period, Vec<usize>)]) -> Vec<(&str, String, String, usize)> {
        q.iter()
            .map(|(p, i)| {
                (
                    p.label.as_str(),
                    p.start.to_string(),
                    p.end.to_string(),
                    i.len(),
                )
            })
            .collect()
    }

    #[test]
    fn calendar_quarters_of_an_agreement_starting_mid_quarter() {
        let m = months(d("2026-02-10"), d("2026-08-01"));
        let q = quarters(&m, d("2026-02-10"), QuarterBasis::Calendar);
        assert_eq!(
            spans(&q),
            [
                ("2026-Q1", "2026-02-10".into(), "2026-04-01".into(), 2),
                ("2026-Q2", "2026-04-01".into(), "2026-07-01".into(), 3),
                ("2026-Q3", "2026-07-01".into(), "2026-08-01".into(), 1),
            ]
        );
    }

    #[test]
    fn agreement_quarters_count_from_its_start() {
        let m = months(d("2026-02-10"), d("2026-09-01"));
        let q = quarters(&m, d("2026-02-10"), QuarterBasis::Agreement);
        assert_eq!(
            spans(&q),
            [
                (
                    "Q1 of the agreement",
                    "2026-02-10".into(),
                    "2026-05-01".into(),
                    3
                ),
                (
                    "Q2 of the agreement",
                    "2026-05-01".into(),
                    "2026-08-01".into(),
                    3
                ),
                (
                    "Q3 of the agreement",
                    "2026-08-01".into(),
                    "2026-09-01".into(),
                    1
                ),
            ]
        );
    }
}

/// What a credits run reads and reports, as of `today`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    pub start: NaiveDate,
    /// Exclusive: tomorrow, or the agreement's end.
    pub end: NaiveDate,
    /// The day after the agreement's last day.
    pub agreement_end: NaiveDate,
    /// The first day of the current month: months before it are complete.
    pub complete_before: NaiveDate,
    /// Months older than Cost Explorer keeps (13 before the current one).
    pub beyond_history: bool,
    /// Where to ask Cost Explorer from: the start, or the oldest month it
    /// keeps (it refuses a request that starts earlier).
    pub query_start: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    #[error("credits need the agreement's dates: set `map: {{agreement: {{start: 2026-01-01, end: 2028-12-31}}}}` in tagwarden.yaml")]
    NoAgreement,
    #[error("the agreement starts on {start}, after {today}: there is no spend to credit yet")]
    NotStarted { start: NaiveDate, today: NaiveDate },
}

pub fn window(
    start: Option<NaiveDate>,
    last_day: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<Window, WindowError> {
    let (Some(start), Some(last_day)) = (start, last_day) else {
        return Err(WindowError::NoAgreement);
    };
    if today < start {
        return Err(WindowError::NotStarted { start, today });
    }
    let agreement_end = last_day.succ_opt().expect("a date after the agreement");
    let tomorrow = today.succ_opt().expect("a date after today");
    let history = first_of_month(today) - Months::new(13);
    Ok(Window {
        start,
        end: agreement_end.min(tomorrow),
        agreement_end,
        complete_before: first_of_month(today).min(agreement_end),
        beyond_history: start < history,
        query_start: start.max(history),
    })
}

#[cfg(test)]
mod window_tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_window_runs_to_tomorrow_or_the_agreement_end() {
        let w = window(
            Some(d("2026-01-01")),
            Some(d("2028-12-31")),
            d("2026-04-10"),
        )
        .unwrap();
        assert_eq!(
            (w.end, w.agreement_end, w.complete_before),
            (d("2026-04-11"), d("2029-01-01"), d("2026-04-01"))
        );
        assert!(!w.beyond_history);
        let over = window(
            Some(d("2024-01-01")),
            Some(d("2025-06-30")),
            d("2026-04-10"),
        )
        .unwrap();
        assert_eq!(
            (over.end, over.complete_before),
            (d("2025-07-01"), d("2025-07-01"))
        );
        assert!(over.beyond_history, "Cost Explorer no longer has 2024");
        assert_eq!(
            over.query_start,
            d("2025-03-01"),
            "13 months before April 2026"
        );
        assert_eq!(w.query_start, d("2026-01-01"));
    }

    #[test]
    fn errors_say_what_to_do() {
        assert_eq!(
            window(None, None, d("2026-04-10")).unwrap_err().to_string(),
            "credits need the agreement's dates: set `map: {agreement: {start: 2026-01-01, end: 2028-12-31}}` in tagwarden.yaml"
        );
        assert_eq!(
            window(
                Some(d("2027-01-01")),
                Some(d("2028-12-31")),
                d("2026-04-10")
            )
            .unwrap_err()
            .to_string(),
            "the agreement starts on 2027-01-01, after 2026-04-10: there is no spend to credit yet"
        );
    }
}
