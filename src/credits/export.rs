//! The billing export's side (`credits --cost PATH`): the files, read as
//! for `audit --cost`, give a ledger that is regrouped the way Cost
//! Explorer answers (`tagwarden_core::credits::export`). Only the tag's
//! activation still asks Cost Explorer (`ListCostAllocationTags`, free):
//! a bill carries a MAP tag only once the tag is active.

use super::{cost_explorer, Billing};
use crate::aws::Aws;
use tagwarden_core::billing::Costs;
use tagwarden_core::config::MapAgreement;
use tagwarden_core::credits::{export::from_ledger, Origin};

pub async fn read(aws: &Aws, terms: &MapAgreement, costs: &Costs) -> Billing {
    let currency = costs.currency.as_deref().unwrap_or("USD");
    let bill = from_ledger(&costs.ledger, currency, terms);
    let (tag_activation, warning) =
        cost_explorer::tag_activation(aws, &aws.cost_explorer(), &terms.tags).await;
    let mut warnings = bill.warnings;
    warnings.extend(warning);
    if costs.rows == 0 {
        warnings.push("the billing files have no rows".to_string());
    }
    Billing {
        by_service: bill.by_service,
        by_account: bill.by_account,
        by_workload: bill.by_workload,
        received: bill.received,
        tag_activation,
        warnings,
        cached: false,
        origin: Origin::BillingExport,
        assumptions: Vec::new(),
    }
}
