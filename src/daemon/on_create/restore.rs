//! Tags that stay on: a tag call (a removal, a replaced set, a changed
//! value) is a hint that a policy's key may be gone. It is screened (the
//! policies' keys, tagwarden's own rollback), then its resources are read
//! and evaluated like a creation's, and in enforce mode written back
//! through the journaled apply as a run of kind `restore`. What became of
//! it is told per policy (`tag_removals_total`) with who did it, the tool,
//! and how to stop that tool.

use std::collections::HashMap;
use tagwarden_core::apply_rules::Status;
use tagwarden_core::cloudtrail::tool::Tool;
use tagwarden_core::cloudtrail::{EventOutcome, TagChange};
use tagwarden_core::policy::{self, Policy};
use tagwarden_core::report::{ApplyReport, Removal, RemovalOutcome};
use tagwarden_core::{Arn, Resource};

/// The policies whose keys the call touched.
pub fn touched<'a>(change: &TagChange, policies: &'a [Policy]) -> Vec<&'a Policy> {
    policies
        .iter()
        .filter(|p| p.keys().any(|k| change.touches(k)))
        .collect()
}

/// Whether the call is tagwarden's own (its rollback): its user agent, and
/// the role it assumes in that account (`accounts.role`, the whole ARN),
/// or the account its own credentials are in (`caller`), where it assumes
/// no role. A user agent alone is anyone's to send.
pub fn own(change: &TagChange, role: Option<&str>, caller: Option<&str>) -> bool {
    let partition = tagwarden_core::resource::partition_of(&change.call.region);
    let role_arn = role.map(|r| format!("arn:{partition}:iam::{}:role/{r}", change.call.account));
    let by_role = role_arn.is_some() && role_arn.as_deref() == change.role.as_deref();
    let by_caller = caller == Some(change.call.account.as_str());
    change.tool == Tool::Tagwarden && (by_role || by_caller)
}

/// The outcome of a call before anything is read: tagwarden's own, or one
/// that touched no policy's key; None when its resources are to be read.
pub fn screened(
    change: &TagChange,
    policies: &[Policy],
    whose: (Option<&str>, Option<&str>),
) -> Option<EventOutcome> {
    let touched = touched(change, policies);
    if touched.is_empty() {
        return Some(EventOutcome::OtherKeys);
    }
    if own(change, whose.0, whose.1) {
        return Some(EventOutcome::Own);
    }
    None
}

/// What became of a call whose resources were read, as a whole and per
/// resource it named: `written` is the restore run's report (None in
/// audit mode). A call naming several resources takes the first of its
/// resources' outcomes in this order: capped, restored, reported,
/// not removed, out of scope; each of its rows says what became of its
/// own resource.
pub fn outcome(
    change: &TagChange,
    policies: &[Policy],
    resources: &[Resource],
    written: Option<&ApplyReport>,
) -> Outcomes {
    let touched = touched(change, policies);
    let each: HashMap<Arn, EventOutcome> = resources
        .iter()
        .filter(|r| change.call.resources.iter().any(|c| c.arn == r.arn))
        .map(|r| (r.arn.clone(), of_resource(change, &touched, r, written)))
        .collect();
    let rank = |o: &EventOutcome| match o {
        EventOutcome::Capped => 0,
        EventOutcome::Restored => 1,
        EventOutcome::Reported => 2,
        EventOutcome::NotRemoved => 3,
        _ => 4,
    };
    let call = each
        .values()
        .copied()
        .min_by_key(rank)
        .unwrap_or(EventOutcome::OutOfScope);
    Outcomes { call, each }
}

/// What became of a call: as a whole, and per resource (a resource not
/// listed has the call's).
#[derive(Debug, Clone)]
pub struct Outcomes {
    pub call: EventOutcome,
    pub each: HashMap<Arn, EventOutcome>,
}

impl Outcomes {
    /// One outcome for every resource (a call screened before any read).
    pub fn all(call: EventOutcome) -> Outcomes {
        Outcomes {
            call,
            each: HashMap::new(),
        }
    }

    fn of(&self, arn: &Arn) -> EventOutcome {
        self.each.get(arn).copied().unwrap_or(self.call)
    }
}

/// What became of one resource the call named: the restore run left a key
/// the call touched alone (capped), wrote one back, or found it back
/// already (another writer); else it is judged as an audit would.
fn of_resource(
    change: &TagChange,
    touched: &[&Policy],
    r: &Resource,
    written: Option<&ApplyReport>,
) -> EventOutcome {
    let any = |status: Status| {
        written.is_some_and(|report| {
            report.changes.iter().any(|ch| {
                ch.status == status
                    && r.arn == ch.change.arn
                    && ch.change.set.keys().any(|k| change.touches(k))
            })
        })
    };
    if any(Status::Capped) {
        return EventOutcome::Capped;
    }
    if any(Status::Applied) {
        return EventOutcome::Restored;
    }
    if any(Status::Already) {
        return EventOutcome::NotRemoved;
    }
    let mut findings = Vec::new();
    let mut in_scope = false;
    for p in touched {
        let judged = policy::eval::evaluate_resource(p, r, &mut findings);
        in_scope |= judged != policy::eval::Outcome::OutOfScope;
    }
    if !in_scope {
        EventOutcome::OutOfScope
    } else if findings.iter().any(|f| change.touches(f.tag)) {
        EventOutcome::Reported
    } else {
        EventOutcome::NotRemoved
    }
}

/// Log and count a call's outcome, per policy it touched, with who made
/// it and how to stop the tool; its removals as `drift` lists them.
pub fn told(
    change: &TagChange,
    policies: &[Policy],
    outcomes: &Outcomes,
    metrics: &crate::daemon::metrics::EventMetrics,
) -> Vec<Removal> {
    let outcome = outcomes.call;
    let mut rows = Vec::new();
    for p in touched(change, policies) {
        rows.extend(removals(change, p, outcomes));
        metrics.removal(&p.name, change.tool, outcome);
        let keys: std::collections::BTreeSet<&str> =
            p.keys().filter(|k| change.touches(k)).collect();
        let fix = keys.first().map(|k| change.tool.fix(k)).unwrap_or_default();
        let who = change
            .principal
            .as_deref()
            .unwrap_or("an unknown principal");
        if matches!(
            outcome,
            EventOutcome::Restored | EventOutcome::Reported | EventOutcome::Capped
        ) {
            tracing::warn!(
                event = %change.call.event_name,
                account = %change.call.account,
                region = %change.call.region,
                policy = %p.name,
                keys = ?keys,
                principal = who,
                tool = change.tool.label(),
                outcome = outcome.label(),
                "a policy's tag was removed or changed; to stop it at the source: {fix}"
            );
        } else {
            tracing::info!(event = %change.call.event_name, policy = %p.name, keys = ?keys, principal = who, tool = change.tool.label(), outcome = outcome.label(), "a tag call touched a policy's key; nothing to write back");
        }
    }
    rows
}

/// The removals of one call under one policy: a row per resource and key,
/// each with what became of that resource.
fn removals(change: &TagChange, policy: &Policy, outcomes: &Outcomes) -> Vec<Removal> {
    let seen_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    // A key a policy both requires and writes is one key.
    let keys: std::collections::BTreeSet<&str> =
        policy.keys().filter(|k| change.touches(k)).collect();
    let mut rows = Vec::new();
    for r in &change.call.resources {
        let Some(outcome) = RemovalOutcome::of(outcomes.of(&r.arn)) else {
            continue;
        };
        for key in &keys {
            rows.push(Removal {
                arn: r.arn.to_string(),
                account: change.call.account.clone(),
                region: change.call.region.clone(),
                resource_type: r.resource_type.to_string(),
                policy: policy.name.clone(),
                key: key.to_string(),
                value: change.set.get(*key).cloned(),
                event_time: change.call.event_time.map(tagwarden_core::time::rfc3339),
                seen_at: seen_at.clone(),
                principal: change.principal.clone(),
                tool: change.tool,
                user_agent: change.user_agent.clone(),
                outcome,
                restored_at: (outcome == RemovalOutcome::Restored).then(|| seen_at.clone()),
                fix: change.tool.fix(key),
            });
        }
    }
    rows
}

/// Keep the removals for `tagwarden drift` (a failure is logged: the
/// restore itself is journaled already).
pub fn record(shared: &crate::daemon::state::Shared, store: &std::path::Path, rows: Vec<Removal>) {
    if rows.is_empty() {
        return;
    }
    shared.removed(&rows);
    let recorded =
        crate::store::blocking(|| crate::store::Store::open(store)?.record_removals(&rows));
    if let Err(e) = recorded {
        tracing::warn!(error = %e, "cannot record removals in the state store: `tagwarden drift` will not list them");
    }
}
