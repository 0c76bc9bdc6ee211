//! One burst of messages from one queue, to its end: each message is read
//! (`tagwarden_core::events`), the resources of the creations are read from
//! their services, evaluated together, and in enforce mode written through
//! the journaled apply path in one run; then each message is deleted or
//! made visible again later. Nothing is deleted before its outcome is
//! journaled, and an event retried `max_receives` times is left to the next
//! scheduled cycle.

use super::queue::{backoff, Message, Queue};
use super::read::{self, Found};
use super::Consumer;
use crate::aws::{AccountSession, Aws};
use crate::scan::{self, Inventory};
use chrono::Utc;
use std::collections::{BTreeMap, HashMap};
use tagwarden_core::apply::Status;
use tagwarden_core::config::DaemonMode;
use tagwarden_core::events::{self, Creation, Event};
use tagwarden_core::Resource;

/// What becomes of a message.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// Settled: delete it. `outcome` is its metric label.
    Done {
        event: String,
        outcome: &'static str,
    },
    /// Try again later (not visible yet, a read or write failed).
    Retry { event: String, why: String },
}

impl Verdict {
    fn done(event: &str, outcome: &'static str) -> Verdict {
        Verdict::Done {
            event: event.to_string(),
            outcome,
        }
    }
}

pub async fn handle(c: &mut Consumer, aws: &Aws, queue: &Queue, messages: Vec<Message>) {
    let now = Utc::now();
    if let Some(oldest) = messages.iter().filter_map(|m| m.sent_at).min() {
        let lag = (now - oldest).num_milliseconds() as f64 / 1000.0;
        c.shared.metrics.events.lag(lag);
    }
    let mut verdicts: Vec<Option<Verdict>> = vec![None; messages.len()];
    let mut creations: Vec<(usize, Creation)> = Vec::new();
    // The policies' types, once per burst.
    let types = c.shared.loaded().policies.resource_types();
    for (i, m) in messages.iter().enumerate() {
        match classify(c, &types, &m.body) {
            // The same call twice in one burst: the first copy stands for both.
            Ok(cr) if creations.iter().any(|(_, x)| x.event_id == cr.event_id) => {
                verdicts[i] = Some(Verdict::done(&cr.event_name, "duplicate"));
            }
            Ok(creation) => creations.push((i, creation)),
            Err(v) => verdicts[i] = Some(v),
        }
    }
    let started = std::time::Instant::now();
    let n_creations = creations.len();
    for (i, v) in settle_creations(c, aws, creations).await {
        verdicts[i] = Some(v);
    }
    let written = started.elapsed();
    let verdicts: Vec<Verdict> = verdicts
        .into_iter()
        .map(|v| v.expect("every message has a verdict"))
        .collect();
    finish(c, aws, queue, &messages, verdicts).await;
    tracing::info!(
        messages = messages.len(),
        creations = n_creations,
        read_and_write_ms = written.as_millis() as u64,
        settle_ms = (started.elapsed() - written).as_millis() as u64,
        "burst handled"
    );
}

/// A creation to act on, or the verdict of anything else.
fn classify(c: &mut Consumer, types: &[String], body: &str) -> Result<Creation, Verdict> {
    let creation = match events::parse(body) {
        Err(e) => {
            tracing::warn!(error = %e, "an event message cannot be read: dropped");
            return Err(Verdict::done(
                e.event_name().unwrap_or("other"),
                e.metric_label(),
            ));
        }
        Ok(Event::Creation(creation)) => creation,
        Ok(other) => {
            let name = match &other {
                Event::NotCreation { event_name } | Event::FailedCall { event_name, .. } => {
                    event_name.clone()
                }
                Event::Creation(_) => unreachable!(),
            };
            return Err(Verdict::done(&name, other.metric_label()));
        }
    };
    let name = creation.event_name.clone();
    if !c.owns(&creation.account) {
        return Err(Verdict::done(&name, "account_not_configured"));
    }
    if !creation
        .resources
        .iter()
        .any(|r| types.iter().any(|t| t == r.resource_type))
    {
        return Err(Verdict::done(&name, "out_of_scope"));
    }
    if c.seen.contains(&creation.event_id) {
        return Err(Verdict::done(&name, "duplicate"));
    }
    Ok(creation)
}

/// Read the created resources, evaluate them, write what is due (enforce),
/// and say what became of each creation.
async fn settle_creations(
    c: &mut Consumer,
    aws: &Aws,
    creations: Vec<(usize, Creation)>,
) -> Vec<(usize, Verdict)> {
    if creations.is_empty() {
        return Vec::new();
    }
    let found = read_all(c, aws, &creations).await;
    let mut ready = Vec::new();
    let mut out = Vec::new();
    for (i, creation) in creations {
        let missing = creation
            .resources
            .iter()
            .find_map(|r| match found.get(&r.arn) {
                Some(Found::Now(_)) => None,
                Some(Found::NotYet(why)) => Some(why.clone()),
                None => Some(format!("no session in account {}", creation.account)),
            });
        match missing {
            Some(why) => out.push((
                i,
                Verdict::Retry {
                    event: creation.event_name,
                    why,
                },
            )),
            None => ready.push((i, creation)),
        }
    }
    let resources: Vec<Resource> = found
        .into_values()
        .filter_map(|f| match f {
            Found::Now(r) => Some(r),
            Found::NotYet(_) => None,
        })
        .collect();
    out.extend(evaluate_and_write(c, aws, ready, resources).await);
    out
}

/// Every created resource, read per account and region.
async fn read_all(
    c: &mut Consumer,
    aws: &Aws,
    creations: &[(usize, Creation)],
) -> HashMap<String, Found> {
    let mut groups: BTreeMap<(String, String), Vec<events::Created>> = BTreeMap::new();
    let mut created_at = HashMap::new();
    for (_, cr) in creations {
        let group = groups
            .entry((cr.account.clone(), cr.region.clone()))
            .or_default();
        for r in &cr.resources {
            group.push(r.clone());
            created_at.insert(r.arn.clone(), cr.event_time);
        }
    }
    let mut found = HashMap::new();
    for ((account, region), created) in groups {
        let Some(session) = c.session(aws, &account).await else {
            continue;
        };
        found.extend(read::read(&aws.api, &session, &region, &created, &created_at).await);
    }
    found
}

/// Audit: record the verdicts. Enforce: one journaled apply over every
/// ready resource, then per creation: tagged, compliant, or retry when a
/// write failed.
async fn evaluate_and_write(
    c: &mut Consumer,
    aws: &Aws,
    ready: Vec<(usize, Creation)>,
    resources: Vec<Resource>,
) -> Vec<(usize, Verdict)> {
    if ready.is_empty() {
        return Vec::new();
    }
    let loaded = c.shared.loaded();
    let sessions: HashMap<String, AccountSession> = ready
        .iter()
        .filter_map(|(_, cr)| Some((cr.account.clone(), c.sessions.get(&cr.account)?.clone())))
        .collect();
    let inv = Inventory {
        account_ids: sessions.keys().cloned().collect(),
        accounts: sessions.len(),
        regions: 1,
        sessions,
        resources,
        ..Inventory::default()
    };
    match loaded.config.daemon.mode {
        DaemonMode::Audit => audited(c, aws, &loaded, &inv, ready),
        DaemonMode::Enforce => enforced(c, aws, &loaded, &inv, ready).await,
    }
}

fn audited(
    c: &mut Consumer,
    aws: &Aws,
    loaded: &crate::daemon::state::Loaded,
    inv: &Inventory,
    ready: Vec<(usize, Creation)>,
) -> Vec<(usize, Verdict)> {
    let report = crate::audit::report(aws, &loaded.policies, inv);
    ready
        .into_iter()
        .map(|(i, cr)| {
            let findings: Vec<_> = report
                .findings
                .iter()
                .filter(|f| cr.resources.iter().any(|r| r.arn == f.arn))
                .collect();
            for f in &findings {
                tracing::warn!(arn = %f.arn, policy = %f.policy, tag = %f.tag, kind = f.kind.as_str(), event = %cr.event_name, "a new resource is not compliant");
            }
            c.seen.insert(cr.event_id.clone());
            let outcome = if findings.is_empty() { "compliant" } else { "non_compliant" };
            (i, Verdict::done(&cr.event_name, outcome))
        })
        .collect()
}

async fn enforced(
    c: &mut Consumer,
    aws: &Aws,
    loaded: &crate::daemon::state::Loaded,
    inv: &Inventory,
    ready: Vec<(usize, Creation)>,
) -> Vec<(usize, Verdict)> {
    let applied = super::super::cycle::write_due(&c.shared, loaded, aws, inv, &c.cancel).await;
    let report = match applied {
        Ok(r) => r,
        Err(why) => {
            tracing::warn!(error = %why, "tag on create could not write: the events are tried again");
            return ready
                .into_iter()
                .map(|(i, cr)| {
                    (
                        i,
                        Verdict::Retry {
                            event: cr.event_name,
                            why: why.clone(),
                        },
                    )
                })
                .collect();
        }
    };
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
                let why = failed
                    .reason
                    .clone()
                    .unwrap_or_else(|| "the write failed".into());
                return (
                    i,
                    Verdict::Retry {
                        event: cr.event_name,
                        why,
                    },
                );
            }
            c.seen.insert(cr.event_id.clone());
            if mine.iter().any(|ch| ch.status == Status::Applied) {
                if let Some(t) = cr.event_time {
                    let seconds = (now - t).num_milliseconds() as f64 / 1000.0;
                    c.shared.metrics.events.tagged_after(seconds);
                }
                (i, Verdict::done(&cr.event_name, "tagged"))
            } else {
                (i, Verdict::done(&cr.event_name, "compliant"))
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
                tracing::warn!(event = %event, reason = %why, receives = m.receive_count, "an event is left to the next cycle");
                counts.push((event, "left_for_cycle"));
                delete.push(m.receipt.as_str());
            }
            Verdict::Retry { event, why } => {
                tracing::info!(event = %event, reason = %why, "an event is tried again later");
                counts.push((event, "retried"));
                later.push((m.receipt.as_str(), backoff(m.receive_count)));
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
        c.shared.metrics.events.event(&event, outcome);
    }
}

/// Sessions are opened once and kept: AssumeRole credentials refresh
/// themselves.
impl Consumer {
    pub(super) async fn session(&mut self, aws: &Aws, account: &str) -> Option<AccountSession> {
        if let Some(s) = self.sessions.get(account) {
            return Some(s.clone());
        }
        let loaded = self.shared.loaded();
        let caller = match &self.caller {
            Some(c) => c.clone(),
            None => {
                let mut errors = Vec::new();
                let c = scan::caller(aws, &mut errors).await?;
                self.caller = Some(c.clone());
                c
            }
        };
        match scan::open_session(aws, &loaded.config, &caller, account).await {
            Ok(s) => {
                self.sessions.insert(account.to_string(), s.clone());
                Some(s)
            }
            Err(e) => {
                tracing::warn!(account, error = %e.message, "tag on create cannot enter the account");
                None
            }
        }
    }
}
