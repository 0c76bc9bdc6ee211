//! The report's workload, late tagging and bill-resources sections: the
//! whole page from the hand-computed bill of `credits::workload_tests`,
//! and every name from a bill shown as text, never markup.

use super::tests::{assert_escaped, audit, page, HOSTILE};
use crate::report::CreditsReport;

/// The money view of the workload bill, the scan having seen `vol-1` only.
fn from_a_bill() -> CreditsReport {
    let seen = |id: &str| id == "vol-1";
    crate::report::credits::tests::from_a_bill(Some(&seen))
}

#[test]
fn whole_page_with_workloads_late_tagging_and_the_bill_s_resources() {
    insta::assert_snapshot!(page("", &audit(""), Some(&from_a_bill()), None));
}

#[test]
fn names_from_a_bill_are_never_markup() {
    let h = HOSTILE;
    let mut c = from_a_bill();
    for w in &mut c.credits.by_workload {
        w.key += h;
        for r in w.accounts.iter_mut().chain(&mut w.services) {
            r.key += h;
        }
    }
    let late = c.late_tagging.as_mut().unwrap();
    for r in &mut late.resources {
        r.resource += h;
        r.workload = r.workload.as_ref().map(|w| format!("{w}{h}"));
    }
    for w in &mut late.by_workload {
        w.workload += h;
    }
    let u = c.uncredited_resources.as_mut().unwrap();
    for w in &mut u.by_workload {
        w.workload += h;
    }
    let per_workload = u.by_workload.iter_mut().flat_map(|w| &mut w.resources);
    for r in u.resources.iter_mut().chain(per_workload) {
        r.resource += h;
        r.service += h;
        r.workload = r.workload.as_ref().map(|w| format!("{w}{h}"));
        r.value = r.value.as_ref().map(|v| format!("{v}{h}"));
    }
    let page = page("", &audit(""), Some(&c), None);
    let texts = [
        // The workload table, chart, and the details under each.
        ("<td>", "erp"),
        ("<text x=\"0\" y=\"40\"><title>", "erp"),
        ("<summary><b>", "web"),
        ("<td>", "111111111111"),
        ("<td>", "EC2 - Other"),
        // Under `web`, its most at risk.
        ("<code>", "vol-1"),
        // Late tagging: its chart and list.
        ("<code>", "i-1"),
        // The bill's uncredited resources.
        ("<code>", "i-2"),
        ("<code>", "mig12345"),
        ("<td>", "Amazon Simple Storage Service"),
    ]
    .map(|(markup, t)| (markup, format!("{t}{h}")));
    assert_escaped(&page, &texts);
}

#[test]
fn the_bill_s_list_says_which_resources_the_scan_saw() {
    let page = page("", &audit(""), Some(&from_a_bill()), None);
    assert!(
        page.contains("3 resource(s) in the bill spent 110.00 USD of eligible spend"),
        "{page}"
    );
    assert!(page.contains("2 of them were not seen by the scan"));
    assert!(page.contains("<h2>Credit lost to late tagging</h2>"));
    assert!(page.contains("<b>25.00 USD</b> of credit forfeited for good"));
}

#[test]
fn two_map_tags_are_named_and_each_key_s_part_is_shown() {
    use crate::policy::map_format::Scheme;
    use crate::report::credits::AgreementTag;
    let mut c = from_a_bill();
    c.agreement.tags = Scheme::ALL
        .map(|key| AgreementTag { key, id: None })
        .to_vec();
    let mut row = c.credits.by_account[0].clone();
    row.key = "aws-apn-id".into();
    c.credits.by_scheme = vec![row];
    let page = page("", &audit(""), Some(&c), None);
    assert!(
        page.contains("Cost allocation tag <code>map-migrated</code>, <code>aws-apn-id</code>: "),
        "{page}"
    );
    let part = page
        .split("MAP tag <code>aws-apn-id</code>: ")
        .nth(1)
        .expect("the key's part");
    assert!(
        part.contains(" of eligible spend tagged with this agreement's value, "),
        "{part}"
    );
}
