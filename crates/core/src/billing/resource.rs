//! One resource's spend as the bill tells it: its cost, what of it could
//! earn MAP credit, what did not because its lines lacked this agreement's
//! value, and when the value first appeared on it (for late tagging).

use super::Line;
use crate::money::Decimal;
use chrono::NaiveDate;
use smallvec::SmallVec;
use std::sync::Arc;

/// A text a bill repeats on many lines (an account, a service, a
/// `map-migrated` value, a workload), held once and shared by every
/// resource that carries it: 100,000 resources compare against a few
/// hundred strings that stay in cache, not against 100,000 copies.
pub type Name = Arc<str>;

/// The [`Name`]s read so far.
#[derive(Debug, Default)]
pub struct Names(foldhash::HashSet<Name>);

impl Names {
    pub(super) fn get(&mut self, text: &str) -> Name {
        if let Some(name) = self.0.get(text) {
            return name.clone();
        }
        let name = Name::from(text);
        self.0.insert(name.clone());
        name
    }
}

/// How [`super::Costs`] judged one usage line.
#[derive(Debug, Clone, Copy)]
pub(super) struct Judged {
    /// The terms count the line's service, usage type and day.
    pub eligible: bool,
    /// It carries this agreement's MAP value.
    pub credited: bool,
    /// Its day is in the money view's window.
    pub in_window: bool,
}

/// One resource's usage over the period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResourceCost {
    pub cost: Decimal,
    /// The last MAP tag value billed for it.
    pub tag: Option<Name>,
    /// The key that value was read under.
    pub scheme: crate::policy::map_format::Scheme,
    /// Its cost by service (Cost Explorer's name, else the product code,
    /// else [`super::services::UNNAMED`]); most resources have one, kept
    /// in place.
    pub by_service: SmallVec<[(Name, Decimal); 1]>,
    /// The account billed for it (the first line's).
    pub account: Name,
    /// Its workload (the last line's), with `map.workload_tags`.
    pub workload: Option<Name>,
    /// The part of its cost that can earn MAP credit.
    pub eligible: Decimal,
    /// In the window: eligible spend on lines without this agreement's
    /// MAP value, which earned nothing.
    pub uncredited: Decimal,
    /// In the window: its first day of eligible spend.
    pub first_spend: Option<NaiveDate>,
    /// In the window: the first day a line carries this agreement's value.
    pub tagged_from: Option<NaiveDate>,
    /// In the window: uncredited eligible spend by day, one entry a day,
    /// sorted, kept only up to `tagged_from`.
    pub(crate) uncredited_days: Vec<(NaiveDate, Decimal)>,
}

impl ResourceCost {
    pub(super) fn add(
        &mut self,
        line: &Line<'_>,
        service: &str,
        workload: Option<&str>,
        j: Judged,
        names: &mut Names,
    ) {
        self.cost += line.cost;
        match self.by_service.iter_mut().find(|(s, _)| **s == *service) {
            Some((_, c)) => *c += line.cost,
            None => self.by_service.push((names.get(service), line.cost)),
        }
        if self.account.is_empty() {
            self.account = names.get(line.account);
        }
        if let Some(tag) = &line.tag {
            if self.tag.as_deref() != Some(tag) {
                self.tag = Some(names.get(tag));
            }
            self.scheme = line.scheme;
        }
        if let Some(w) = workload {
            if self.workload.as_deref() != Some(w) {
                self.workload = Some(names.get(w));
            }
        }
        if j.eligible {
            self.eligible += line.cost;
        }
        if j.in_window && j.eligible {
            self.add_in_window(line.day, line.cost, j.credited);
        }
    }

    fn add_in_window(&mut self, day: NaiveDate, cost: Decimal, credited: bool) {
        self.first_spend = Some(self.first_spend.map_or(day, |d| d.min(day)));
        if credited {
            if self.tagged_from.is_none_or(|t| day < t) {
                self.tagged_from = Some(day);
                // Only days up to the first tagged one can count: the tag
                // only ever moves earlier.
                self.uncredited_days.retain(|(d, _)| *d <= day);
                if self.uncredited_days.len() * 2 < self.uncredited_days.capacity() {
                    self.uncredited_days.shrink_to_fit();
                }
            }
            return;
        }
        self.uncredited += cost;
        if self.tagged_from.is_some_and(|t| day > t) {
            return;
        }
        match self.uncredited_days.binary_search_by_key(&day, |(d, _)| *d) {
            Ok(i) => self.uncredited_days[i].1 += cost,
            Err(i) => self.uncredited_days.insert(i, (day, cost)),
        }
    }

    /// Eligible spend that earned nothing because the resource was tagged
    /// late: its lines without this agreement's value dated up to the day
    /// of the first line with it (credit is never retroactive). Zero when
    /// it never carried the value, or carried it from its first spend.
    pub fn spend_before_tag(&self) -> Decimal {
        match self.tagged_from {
            Some(t) => self
                .uncredited_days
                .iter()
                .filter(|(d, _)| *d <= t)
                .map(|(_, c)| c)
                .sum(),
            None => Decimal::ZERO,
        }
    }

    /// The service it spent most under.
    pub fn main_service(&self) -> &str {
        self.by_service
            .iter()
            .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
            .map_or("", |(s, _)| &**s)
    }
}
