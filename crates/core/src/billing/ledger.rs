//! The bill summed the way Cost Explorer groups it: spend by month,
//! account, service (Cost Explorer's name), `map-migrated` value, workload
//! and eligibility (judged line by line: usage type and day), and
//! credits by month and description. Strings are interned so a row costs a
//! lookup, not an allocation.

use super::{Charge, Line};
use crate::money::Decimal;
use crate::policy::map_format::Scheme;
use chrono::NaiveDate;
use foldhash::HashMap;
use std::collections::BTreeSet;

/// The `tag` (or workload) id meaning none.
const NO_TAG: u32 = u32::MAX;

/// (month, account, service, tag, the tag's key, workload, eligible).
type Key = (NaiveDate, u32, u32, u32, Scheme, u32, bool);

#[derive(Debug, Default)]
pub struct Ledger {
    names: Vec<String>,
    ids: HashMap<String, u32>,
    spend: HashMap<Key, Decimal>,
    /// (month, description) → amount (negative).
    credits: HashMap<(NaiveDate, u32), Decimal>,
    /// Product codes with no Cost Explorer name.
    unnamed: BTreeSet<u32>,
}

/// Spend of one month, account, service and value.
#[derive(Debug, Clone, PartialEq)]
pub struct Spend<'a> {
    pub month: NaiveDate,
    pub account: &'a str,
    pub service: &'a str,
    pub tag: Option<&'a str>,
    /// The key `tag` was read under.
    pub scheme: Scheme,
    /// None without `map.workload_tags`.
    pub workload: Option<&'a str>,
    /// The terms count it (service, usage type and day).
    pub eligible: bool,
    pub amount: Decimal,
}

impl Ledger {
    fn id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.to_string());
        self.ids.insert(name.to_string(), id);
        id
    }

    /// The id of a service lines are billed under, for [`Ledger::add`].
    pub(super) fn service(&mut self, name: &str) -> u32 {
        self.id(name)
    }

    /// Add a line billed under the service of id `service` (`named`: by
    /// Cost Explorer's name).
    pub(super) fn add(
        &mut self,
        month: NaiveDate,
        line: &Line<'_>,
        (service, named): (u32, bool),
        workload: Option<&str>,
        eligible: bool,
    ) {
        match line.charge {
            Charge::Excluded => {}
            Charge::Credit => {
                let d = self.id(line.description);
                *self.credits.entry((month, d)).or_default() += line.cost;
            }
            Charge::Usage | Charge::OtherSpend => {
                if !named {
                    self.unnamed.insert(service);
                }
                let account = self.id(line.account);
                let tag = line.tag.as_deref().map_or(NO_TAG, |t| self.id(t));
                let workload = workload.map_or(NO_TAG, |w| self.id(w));
                *self
                    .spend
                    .entry((
                        month,
                        account,
                        service,
                        tag,
                        line.scheme,
                        workload,
                        eligible,
                    ))
                    .or_default() += line.cost;
            }
        }
    }

    /// Every sum of spend, in no particular order.
    pub fn spend(&self) -> impl Iterator<Item = Spend<'_>> {
        self.spend.iter().map(
            |(&(month, account, service, tag, scheme, workload, eligible), &amount)| Spend {
                month,
                account: &self.names[account as usize],
                service: &self.names[service as usize],
                tag: self.name(tag),
                scheme,
                workload: self.name(workload),
                eligible,
                amount,
            },
        )
    }

    fn name(&self, id: u32) -> Option<&str> {
        (id != NO_TAG).then(|| self.names[id as usize].as_str())
    }

    /// Credits by month and description (amounts negative).
    pub fn credits(&self) -> impl Iterator<Item = (NaiveDate, &str, Decimal)> {
        self.credits
            .iter()
            .map(|(&(month, d), &amount)| (month, self.names[d as usize].as_str(), amount))
    }

    /// Services billed under codes Cost Explorer names differently, as
    /// billed (so `map.eligible_services` can list them).
    pub fn unnamed_services(&self) -> Vec<&str> {
        self.unnamed
            .iter()
            .map(|&id| self.names[id as usize].as_str())
            .collect()
    }
}
