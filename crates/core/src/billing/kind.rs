//! What a kind of bill line is (its product code, usage type and product
//! name): the service it counts under and from when it is eligible. A bill
//! repeats a few thousand kinds over millions of lines, so each kind is
//! judged once (the usage-type rules search text) and looked up after.

use super::eligible::{Eligibility, EligibleService, Since};
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
    /// Its id in the ledger.
    pub ledger_service: u32,
    pub since: Since,
}

#[derive(Debug, Default)]
pub struct Kinds {
    judged: foldhash::HashMap<Box<str>, Kind>,
    /// The lookup key of the line at hand, reused.
    key: String,
    /// The last kind judged past [`LIMIT`].
    spare: Option<Kind>,
}

/// What judging a kind needs.
pub(super) struct Judge<'a> {
    pub eligible: &'a [EligibleService],
    pub ledger: &'a mut Ledger,
    pub names: &'a mut Names,
}

impl Kinds {
    pub(super) fn of(&mut self, line: &Line<'_>, judge: Judge<'_>) -> &Kind {
        self.key.clear();
        for part in [line.product, line.usage_type, line.product_name] {
            self.key.push_str(part);
            // Not in a bill's text: the parts cannot run into each other.
            self.key.push('\0');
        }
        if self.judged.contains_key(self.key.as_str()) {
            return &self.judged[self.key.as_str()];
        }
        let kind = judge.kind(line);
        if self.judged.len() < LIMIT {
            let key = Box::from(self.key.as_str());
            return self.judged.entry(key).or_insert(kind);
        }
        self.spare.insert(kind)
    }
}

impl Judge<'_> {
    fn kind(self, line: &Line<'_>) -> Kind {
        let (service, named) = services::of_line(line.product, line.usage_type, line.product_name);
        let since = Eligibility {
            services: self.eligible,
        }
        .since(service, line.product, line.usage_type);
        Kind {
            service: self.names.get(service),
            ledger_service: self.ledger.service(service, named),
            since,
        }
    }
}
