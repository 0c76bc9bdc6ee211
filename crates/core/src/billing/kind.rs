//! What a kind of bill line is (its product code, usage type, product
//! name, and for the few products whose exclusions name operations, its
//! operation): the service it counts under and from when it is eligible. A bill
//! repeats a few thousand kinds over millions of lines, so each kind is
//! judged once (the usage-type rules search text) and looked up after.

use super::eligible::{Eligibility, EligibleService, LineKind, Since};
use super::ledger::Ledger;
use super::resource::{Name, Names};
use super::{services, Line};

/// Kinds remembered; a bill with more (hostile, or very unusual) judges
/// the others line by line, so memory stays bounded.
const LIMIT: usize = 8192;

/// One kind of line, judged.
#[derive(Debug, Clone)]
pub(super) struct Kind {
    /// Cost Explorer's name, else the code or name as billed.
    pub service: Name,
    /// Its id in the ledger, and whether it is Cost Explorer's name.
    pub ledger_service: (u32, bool),
    pub since: Since,
}

#[derive(Debug, Default)]
pub struct Kinds {
    /// The eligible services they were judged under.
    terms: Vec<EligibleService>,
    judged: foldhash::HashMap<Box<str>, Kind>,
    /// The lookup key of the line at hand, reused.
    key: String,
    /// The last kind judged and not remembered.
    spare: Option<Kind>,
}

/// What judging a kind needs.
pub(super) struct Judge<'a> {
    pub eligible: &'a [EligibleService],
    pub ledger: &'a mut Ledger,
    pub names: &'a mut Names,
}

impl Kinds {
    /// Before a file: forget the kinds judged under other terms (a reading
    /// changed between files).
    pub(super) fn judge_under(&mut self, terms: &[EligibleService]) {
        if self.terms != terms {
            self.terms = terms.to_vec();
            self.judged.clear();
        }
    }

    pub(super) fn of(&mut self, line: &Line<'_>, judge: Judge<'_>) -> &Kind {
        let operation = match super::included::reads_operation(line.product) {
            true => line.operation,
            false => "",
        };
        let parts = [line.product, line.usage_type, line.product_name, operation];
        // The parts, each ended by a NUL: a part holding one (no bill's
        // does) could run into the next, so such a line is not remembered.
        let plain = !parts.iter().any(|p| p.contains('\0'));
        self.key.clear();
        for part in parts {
            self.key.push_str(part);
            self.key.push('\0');
        }
        if plain && self.judged.contains_key(self.key.as_str()) {
            return &self.judged[self.key.as_str()];
        }
        let kind = judge.kind(line, operation);
        if plain && self.judged.len() < LIMIT {
            let key = Box::from(self.key.as_str());
            return self.judged.entry(key).or_insert(kind);
        }
        self.spare.insert(kind)
    }
}

impl Judge<'_> {
    /// `operation`: the line's, where its product's rules read it, else "".
    fn kind(self, line: &Line<'_>, operation: &str) -> Kind {
        let (service, named) = services::of_line(line.product, line.usage_type, line.product_name);
        let since = Eligibility {
            services: self.eligible,
        }
        .since(LineKind {
            name: service,
            product: line.product,
            usage_type: line.usage_type,
            operation,
        });
        Kind {
            service: self.names.get(service),
            ledger_service: (self.ledger.service(service), named),
            since,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Costs;
    use chrono::NaiveDate;

    /// A bill of `(product, usage type, cost)` lines for resource `r`.
    fn read(lines: &[(&str, &str, &str)]) -> Costs {
        let mut bill = String::from("line_item_resource_id,line_item_product_code,line_item_usage_type,line_item_usage_start_date,line_item_unblended_cost\n");
        for (product, usage, cost) in lines {
            bill += &format!("r,{product},{usage},2026-03-01T00:00:00Z,{cost}\n");
        }
        let mut c = Costs::default();
        let (from, to) = (NaiveDate::MIN, NaiveDate::MAX);
        c.read_csv(bill.as_bytes(), "bill.csv", from, to).unwrap();
        c
    }

    #[test]
    fn kinds_that_would_run_into_each_other_are_told_apart() {
        // As one text, `AmazonEC2` + `BoxUsage\0x` and `AmazonEC2\0BoxUsage`
        // + `x` are the same: EC2 instance hours (eligible), and a product
        // code nobody lists (not eligible).
        let c = read(&[
            ("AmazonEC2", "BoxUsage\u{0}x", "1"),
            ("AmazonEC2\u{0}BoxUsage", "x", "2"),
        ]);
        let r = &c.by_resource["r"];
        assert_eq!((r.cost, r.eligible), (3.into(), 1.into()));
        assert_eq!(r.by_service.len(), 2);
        assert!(c.kinds.judged.is_empty(), "lines with a NUL are not kept");
    }

    #[test]
    fn kinds_are_judged_again_when_the_terms_change() {
        let mut c = read(&[("AWSGlobalWidgets", "Widgets", "1")]);
        assert_eq!(c.by_resource["r"].eligible, 0.into());
        let listed = super::super::eligible::EligibleService::named("AWSGlobalWidgets");
        c.reading.eligible.push(listed);
        let bill = "line_item_resource_id,line_item_product_code,line_item_usage_type,line_item_usage_start_date,line_item_unblended_cost\nr,AWSGlobalWidgets,Widgets,2026-03-02T00:00:00Z,2\n";
        let (from, to) = (NaiveDate::MIN, NaiveDate::MAX);
        c.read_csv(bill.as_bytes(), "more.csv", from, to).unwrap();
        assert_eq!(c.by_resource["r"].eligible, 2.into());
    }

    #[test]
    fn only_spend_the_money_view_counts_names_an_unmapped_code() {
        // Before the window, or a credit: no warning about the code.
        let bill = |more: &str| {
            let lines = "line_item_resource_id,line_item_line_item_type,line_item_product_code,line_item_usage_type,line_item_usage_start_date,line_item_unblended_cost
r,Usage,AWSGlobalWidgets,Widgets,2026-03-01T00:00:00Z,1
,Credit,AWSOtherThing,,2026-03-05T00:00:00Z,-1
r,Usage,AmazonEC2,BoxUsage:m5.large,2026-03-05T00:00:00Z,1
";
            let mut c = Costs::default();
            let march = |d| NaiveDate::from_ymd_opt(2026, 3, d).unwrap();
            c.reading.window = Some((march(2), march(31)));
            let text = format!("{lines}{more}");
            let (from, to) = (NaiveDate::MIN, NaiveDate::MAX);
            c.read_csv(text.as_bytes(), "bill.csv", from, to).unwrap();
            c
        };
        assert!(bill("").ledger.unnamed_services().is_empty());
        let later = bill("r,Usage,AWSGlobalWidgets,Widgets,2026-03-09T00:00:00Z,1\n");
        assert_eq!(later.ledger.unnamed_services(), ["AWSGlobalWidgets"]);
    }

    #[test]
    fn each_kind_is_remembered_once() {
        let c = read(&[
            ("AmazonEC2", "BoxUsage:m5.large", "1"),
            ("AmazonEC2", "USE1-DataTransfer-Out-Bytes", "2"),
            ("AmazonEC2", "BoxUsage:m5.large", "4"),
        ]);
        let r = &c.by_resource["r"];
        assert_eq!((r.cost, r.eligible), (7.into(), 5.into()));
        assert_eq!(c.kinds.judged.len(), 2);
    }
}
