//! One burst of messages from one queue, to its end: each message is read
//! (`tagwarden_core::events`), the resources of the creations are read from
//! their services, evaluated together, and in enforce mode written through
//! the journaled apply path in one run; then each message is deleted or
//! made visible again later. Nothing is deleted before its outcome is
//! journaled, and an event retried `max_receives` times is left to the next
//! scheduled cycle.

use super::queue::{Message, Queue, RETRY};
use super::read::{self, Found, Unread};
use super::restore;
use super::Consumer;
use crate::aws::{AccountSession, Aws};
use crate::config::Loaded;
use crate::scan::{self, Scanned};
use chrono::Utc;
use futures::StreamExt;
use std::collections::{BTreeMap, HashMap, HashSet};
use tagwarden_core::apply_rules::Status;
use tagwarden_core::cloudtrail::{
    self, event_label, Creation, Event, EventOutcome, Rejection, TagChange,
};
use tagwarden_core::config::DaemonMode;
use tagwarden_core::journal::RunKind;
use tagwarden_core::report::ApplyReport;
use tagwarden_core::{Arn, Resource};

/// What becomes of a message. `event` is its bounded label (the call's
/// name when tagwarden knows it, else `other`).
#[derive(Debug, Clone)]
pub enum Verdict {
    /// Settled: delete it.
    Done {
        event: &'static str,
        outcome: EventOutcome,
    },
    /// Try again later (not visible yet, a read or write failed).
    Retry { event: &'static str, why: Again },
}

impl Verdict {
    fn done(event: &str, outcome: EventOutcome) -> Verdict {
        Verdict::Done {
            event: event_label(event),
            outcome,
        }
    }

    fn retry(event: &str, why: Again) -> Verdict {
        Verdict::Retry {
            event: event_label(event),
            why,
        }
    }
}

/// Why an event is tried again later.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Again {
    #[error(transparent)]
    Unread(#[from] Unread),
    /// The write of one of its resources failed (the apply's reason).
    #[error("the write failed: {0}")]
    WriteFailed(String),
    /// The write turn failed as a whole.
    #[error("tag on create could not write: {0}")]
    Write(std::sync::Arc<crate::error::Error>),
}

pub async fn handle(c: &mut Consumer, aws: &Aws, queue: &Queue, messages: Vec<Message>) {
    let now = Utc::now();
    if let Some(oldest) = messages.iter().filter_map(|m| m.sent_at).min() {
        let lag = (now - oldest).num_milliseconds() as f64 / 1000.0;
        c.shared.metrics.events.lag(lag);
    }
    let started = std::time::Instant::now();
    // The messages stay invisible while they are read and settled.
    let receipts: Vec<&str> = messages.iter().map(|m| m.receipt.as_str()).collect();
    let (verdicts, n_creations) = queue
        .invisible_while(aws, &receipts, verdicts(c, aws, &messages))
        .await;
    let written = started.elapsed();
    finish(c, aws, queue, &messages, verdicts).await;
    tracing::info!(
        messages = messages.len(),
        creations = n_creations,
        read_and_write_ms = written.as_millis() as u64,
        settle_ms = (started.elapsed() - written).as_millis() as u64,
        "burst handled"
    );
}

/// Each message's verdict: read, screened, and its resources read,
/// evaluated and (enforce) written; and how many creations it held.
async fn verdicts(c: &mut Consumer, aws: &Aws, messages: &[Message]) -> (Vec<Verdict>, usize) {
    let mut verdicts: Vec<Option<Verdict>> = vec![None; messages.len()];
    let mut creations: Vec<(usize, Creation)> = Vec::new();
    // The tag calls among them, by message.
    let mut changes: HashMap<usize, TagChange> = HashMap::new();
    // The policies' types, once per burst.
    let types = c.shared.loaded().policies.resource_types();
    let regions =
        scan::regions(&c.shared.loaded().config, &aws.default_region(), &[]).unwrap_or_default();
    for (i, m) in messages.iter().enumerate() {
        match classify(c, &types, &regions, m) {
            // The same call twice in one burst: the first copy stands for both.
            Ok((cr, _)) if creations.iter().any(|(_, x)| x.event_id == cr.event_id) => {
                verdicts[i] = Some(Verdict::done(&cr.event_name, EventOutcome::Duplicate));
            }
            Ok((creation, change)) => {
                creations.push((i, creation));
                if let Some(change) = change {
                    changes.insert(i, change);
                }
            }
            Err(v) => verdicts[i] = Some(v),
        }
    }
    let n_creations = creations.len();
    for (i, v) in settle_creations(c, aws, creations, changes).await {
        verdicts[i] = Some(v);
    }
    let verdicts = verdicts
        .into_iter()
        .map(|v| v.expect("every message has a verdict"))
        .collect();
    (verdicts, n_creations)
}

/// A creation to act on (a tag call's resources as one, with the call),
/// or the verdict of anything else.
fn classify(
    c: &mut Consumer,
    types: &[String],
    regions: &[String],
    m: &Message,
) -> Result<(Creation, Option<TagChange>), Verdict> {
    // A body too large was dropped on receipt: its size says so.
    let parsed = if m.size > cloudtrail::MAX_EVENT_BYTES {
        Err(cloudtrail::EventError::TooLarge(m.size))
    } else {
        cloudtrail::parse(&m.body)
    };
    let (creation, change) = match parsed {
        Err(e) => {
            tracing::warn!(error = %e, outcome = e.outcome().label(), "an event message is not acted on: dropped");
            return Err(Verdict::done(
                e.event_name().unwrap_or("other"),
                e.outcome(),
            ));
        }
        Ok(Event::Creation(creation)) => (creation, None),
        Ok(Event::TagChange(change)) => (change.call.clone(), Some(change)),
        Ok(Event::NotCreation { event_name }) => {
            return Err(Verdict::done(&event_name, EventOutcome::NotCreation))
        }
        Ok(Event::FailedCall { event_name, .. }) => {
            return Err(Verdict::done(&event_name, EventOutcome::FailedCall))
        }
    };
    let name = creation.event_name.as_str();
    if !c.configured(&creation.account) {
        return Err(Verdict::done(name, EventOutcome::AccountNotConfigured));
    }
    if !c.owns(&creation.account) {
        return Err(Verdict::done(name, EventOutcome::OtherShard));
    }
    if !regions.contains(&creation.region) {
        let why = Rejection::Region(creation.region.clone());
        tracing::warn!(event = name, account = %creation.account, error = %why, "an event is not believed: dropped");
        return Err(Verdict::done(name, EventOutcome::Rejected));
    }
    if !creation
        .resources
        .iter()
        .any(|r| types.iter().any(|t| t == r.resource_type))
    {
        return Err(Verdict::done(name, EventOutcome::OutOfScope));
    }
    if c.seen.contains(&creation.event_id) {
        return Err(Verdict::done(name, EventOutcome::Duplicate));
    }
    if let Some(change) = &change {
        let loaded = c.shared.loaded();
        let whose = (loaded.config.accounts.role.as_deref(), c.caller.as_deref());
        let policies = &loaded.policies.policies;
        if let Some(outcome) = restore::screened(change, policies, whose) {
            let all = restore::Outcomes::all(outcome);
            let rows = restore::told(change, policies, &all, &c.shared.metrics.events);
            restore::record(&c.shared, &loaded.config.store, rows);
            return Err(Verdict::done(name, outcome));
        }
    }
    Ok((creation, change))
}

/// Read the created resources, evaluate them, write what is due (enforce),
/// and say what became of each creation.
async fn settle_creations(
    c: &mut Consumer,
    aws: &Aws,
    creations: Vec<(usize, Creation)>,
    mut changes: HashMap<usize, TagChange>,
) -> Vec<(usize, Verdict)> {
    if creations.is_empty() {
        return Vec::new();
    }
    let found = read_all(c, aws, &creations, &changes).await;
    let mut ready = Vec::new();
    let mut out = Vec::new();
    for (i, mut creation) in creations {
        let missing = creation
            .resources
            .iter()
            .find_map(|r| match found.get(&r.arn) {
                Some(Found::Now(_)) => None,
                Some(Found::NotYet(why)) => Some(why.clone()),
                None => Some(Unread::Missed(r.arn.clone())),
            });
        match missing {
            Some(why) => out.push((i, Verdict::retry(&creation.event_name, why.into()))),
            None => {
                as_read(&found, &mut creation.resources);
                if let Some(change) = changes.get_mut(&i) {
                    as_read(&found, &mut change.call.resources);
                }
                ready.push((i, creation));
            }
        }
    }
    // Each resource once, however many ARNs the events named it by.
    let mut by_arn: HashMap<Arn, Resource> = HashMap::new();
    for f in found.into_values() {
        if let Found::Now(r) = f {
            by_arn.insert(r.arn.clone(), r);
        }
    }
    let resources: Vec<Resource> = by_arn.into_values().collect();
    // Creations are written as an apply run, tag calls as a restore run.
    let (restores, ready): (Vec<_>, Vec<_>) = ready
        .into_iter()
        .partition(|(i, _)| changes.contains_key(i));
    let named = |ready: &[(usize, Creation)]| -> Vec<Resource> {
        resources
            .iter()
            .filter(|r| {
                ready
                    .iter()
                    .any(|(_, cr)| cr.resources.iter().any(|x| x.arn == r.arn))
            })
            .cloned()
            .collect()
    };
    let (created, touched) = (named(&ready), named(&restores));
    out.extend(evaluate_and_write(c, aws, ready, created, None).await);
    out.extend(evaluate_and_write(c, aws, restores, touched, Some(&changes)).await);
    out
}

/// Resources an event named by another ARN than AWS's (an Auto Scaling
/// group's, built from its name) go on with the ARN the read answered,
/// each once (a group may be named by both).
fn as_read(found: &HashMap<Arn, Found>, resources: &mut Vec<cloudtrail::Created>) {
    for r in resources.iter_mut() {
        if let Some(Found::Now(read)) = found.get(&r.arn) {
            r.arn.clone_from(&read.arn);
        }
    }
    let mut seen = HashSet::new();
    resources.retain(|r| seen.insert(r.arn.clone()));
}

/// Every created resource, read per account and region.
async fn read_all(
    c: &mut Consumer,
    aws: &Aws,
    creations: &[(usize, Creation)],
    changes: &HashMap<usize, TagChange>,
) -> HashMap<Arn, Found> {
    let named_by_tag_calls: HashSet<Arn> = changes
        .values()
        .flat_map(|ch| ch.call.resources.iter().map(|r| r.arn.clone()))
        .collect();
    let mut groups: BTreeMap<(String, String), Vec<cloudtrail::Created>> = BTreeMap::new();
    for (_, cr) in creations {
        let group = groups
            .entry((cr.account.clone(), cr.region.clone()))
            .or_default();
        group.extend(cr.resources.iter().cloned());
    }
    let mut found = HashMap::new();
    let mut reads = Vec::new();
    for ((account, region), created) in groups {
        match c.session(aws, &account).await {
            Ok(session) => reads.push((session, region, created)),
            Err(e) => found.extend(
                created
                    .into_iter()
                    .map(|r| (r.arn, Found::NotYet(Unread::Account(e.clone())))),
            ),
        }
    }
    // `limits.concurrent_accounts` accounts and regions at once, as a
    // scan reads them; the limiter paces each.
    let at_once = c.shared.loaded().config.concurrent_accounts.max(1);
    let reads: Vec<_> = reads
        .iter()
        .map(|(session, region, created)| {
            read::read(&aws.api, session, region, created, &named_by_tag_calls)
        })
        .collect();
    let mut reads = futures::stream::iter(reads).buffer_unordered(at_once);
    while let Some(read) = reads.next().await {
        found.extend(read);
    }
    found
}

/// Audit: record the verdicts. Enforce: one journaled apply over every
/// ready resource, then per creation: tagged, compliant, or retry when a
/// write failed. With `changes`, the ready ones are tag calls: a `restore`
/// run, and their own verdicts.
async fn evaluate_and_write(
    c: &mut Consumer,
    aws: &Aws,
    ready: Vec<(usize, Creation)>,
    resources: Vec<Resource>,
    changes: Option<&HashMap<usize, TagChange>>,
) -> Vec<(usize, Verdict)> {
    if ready.is_empty() {
        return Vec::new();
    }
    let loaded = c.shared.loaded();
    let sessions: HashMap<String, AccountSession> = ready
        .iter()
        .filter_map(|(_, cr)| Some((cr.account.clone(), c.sessions.get(&cr.account)?.clone())))
        .collect();
    let scanned = Scanned {
        resources: &resources,
        errors: &[],
        sessions: &sessions,
    };
    let kind = changes.map_or(RunKind::Apply, |_| RunKind::Restore);
    match (loaded.config.daemon.mode, changes) {
        (DaemonMode::Audit, Some(changes)) => {
            restored(c, &loaded, &resources, None, ready, changes)
        }
        (DaemonMode::Audit, None) => audited(c, &loaded, &resources, ready),
        (DaemonMode::Enforce, _) => {
            let applied = c
                .shared
                .writer
                .write_due(&loaded, aws, scanned, kind, &c.cancel)
                .await;
            match applied {
                Ok(report) => match changes {
                    Some(changes) => {
                        restored(c, &loaded, &resources, Some(&report), ready, changes)
                    }
                    None => enforced(c, &report, ready),
                },
                Err(e) => {
                    tracing::warn!(error = %e, "tag on create could not write: the events are tried again");
                    let why = Again::Write(std::sync::Arc::new(e));
                    ready
                        .into_iter()
                        .map(|(i, cr)| (i, Verdict::retry(&cr.event_name, why.clone())))
                        .collect()
                }
            }
        }
    }
}

/// Audit mode: each new resource's findings, logged.
fn audited(
    c: &mut Consumer,
    loaded: &Loaded,
    resources: &[Resource],
    ready: Vec<(usize, Creation)>,
) -> Vec<(usize, Verdict)> {
    let evaluation = tagwarden_core::policy::evaluate(resources, &loaded.policies.policies);
    ready
        .into_iter()
        .map(|(i, cr)| {
            let findings: Vec<_> = evaluation
                .findings
                .iter()
                .filter(|f| cr.resources.iter().any(|r| r.arn == f.resource.arn))
                .collect();
            for f in &findings {
                tracing::warn!(arn = %f.resource.arn, policy = %f.policy.name, tag = %f.tag, kind = f.kind.as_str(), event = %cr.event_name, "a new resource is not compliant");
            }
            c.seen.insert(cr.event_id.clone());
            let outcome = if findings.is_empty() {
                EventOutcome::Compliant
            } else {
                EventOutcome::NonCompliant
            };
            (i, Verdict::done(&cr.event_name, outcome))
        })
        .collect()
}

/// Tag calls: per call, restored (enforce), reported (audit), not removed
/// or out of scope; tried again when one of its writes failed.
fn restored(
    c: &mut Consumer,
    loaded: &Loaded,
    resources: &[Resource],
    report: Option<&ApplyReport>,
    ready: Vec<(usize, Creation)>,
    changes: &HashMap<usize, TagChange>,
) -> Vec<(usize, Verdict)> {
    let policies = &loaded.policies.policies;
    let mut rows = Vec::new();
    let verdicts = ready
        .into_iter()
        .map(|(i, cr)| {
            let change = &changes[&i];
            let failed = report.and_then(|r| {
                r.changes.iter().find(|ch| {
                    ch.status == Status::Failed
                        && cr.resources.iter().any(|x| x.arn == ch.change.arn)
                })
            });
            if let Some(failed) = failed {
                let why = failed.reason.clone().unwrap_or_default();
                return (i, Verdict::retry(&cr.event_name, Again::WriteFailed(why)));
            }
            c.seen.insert(cr.event_id.clone());
            let outcomes = restore::outcome(change, policies, resources, report);
            rows.extend(restore::told(
                change,
                policies,
                &outcomes,
                &c.shared.metrics.events,
            ));
            (i, Verdict::done(&cr.event_name, outcomes.call))
        })
        .collect();
    restore::record(&c.shared, &loaded.config.store, rows);
    verdicts
}

/// Enforce mode: per creation, tagged, already compliant, or tried again
/// when one of its writes failed.
fn enforced(
    c: &mut Consumer,
    report: &ApplyReport,
    ready: Vec<(usize, Creation)>,
) -> Vec<(usize, Verdict)> {
    let now = Utc::now();
    ready
        .into_iter()
        .map(|(i, cr)| {
            let mine: Vec<_> = report
                .changes
                .iter()
                .filter(|ch| cr.resources.iter().any(|r| r.arn == ch.change.arn))
                .collect();
            if let Some(failed) = mine.iter().find(|ch| ch.status == Status::Failed) {
                let why = failed.reason.clone().unwrap_or_default();
                return (i, Verdict::retry(&cr.event_name, Again::WriteFailed(why)));
            }
            c.seen.insert(cr.event_id.clone());
            if mine.iter().any(|ch| ch.status == Status::Applied) {
                if let Some(t) = cr.event_time {
                    let seconds = (now - t).num_milliseconds() as f64 / 1000.0;
                    c.shared.metrics.events.tagged_after(seconds);
                }
                (i, Verdict::done(&cr.event_name, EventOutcome::Tagged))
            } else {
                (i, Verdict::done(&cr.event_name, EventOutcome::Compliant))
            }
        })
        .collect()
}

/// Delete what is settled; make the rest visible again after a backoff, or
/// leave it to the next cycle once it has been received `max_receives`
/// times. Counted once the queue has been told.
async fn finish(
    c: &mut Consumer,
    aws: &Aws,
    queue: &Queue,
    messages: &[Message],
    verdicts: Vec<Verdict>,
) {
    let max = c.shared.loaded().config.daemon.events.max_receives;
    let mut delete = Vec::new();
    let mut later = Vec::new();
    let mut counts = Vec::new();
    for (m, v) in messages.iter().zip(verdicts) {
        match v {
            Verdict::Done { event, outcome } => {
                counts.push((event, outcome));
                delete.push(m.receipt.as_str());
            }
            Verdict::Retry { event, why } if m.receive_count >= max => {
                tracing::warn!(event, reason = %why, receives = m.receive_count, "an event is left to the next cycle");
                counts.push((event, EventOutcome::LeftForCycle));
                delete.push(m.receipt.as_str());
            }
            Verdict::Retry { event, why } => {
                tracing::info!(event, reason = %why, "an event is tried again later");
                counts.push((event, EventOutcome::Retried));
                later.push((m.receipt.as_str(), RETRY.next(m.receive_count)));
            }
        }
    }
    if let Err(e) = queue.delete(aws, &delete).await {
        tracing::warn!(queue = %queue.url, error = %e, "cannot delete handled messages; they come back and are handled again, harmlessly");
    }
    if let Err(e) = queue.retry_later(aws, &later).await {
        tracing::warn!(queue = %queue.url, error = %e, "cannot delay messages; they come back after the visibility timeout");
    }
    for (event, outcome) in counts {
        c.shared.metrics.events.event(event, outcome);
    }
}
