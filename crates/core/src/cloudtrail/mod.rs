//! Tag on create, pure: an EventBridge "AWS API Call via CloudTrail" event
//! (as an SQS message body) read into the resources the call created. The
//! ids come from the event's response (or, for S3, its request); the tags
//! do not: they are read from the resource's own service afterwards, since
//! tags may have been added since the call.
//!
//! Written from the CloudTrail event reference: the envelope's `detail` is
//! the CloudTrail record (`eventName`, `eventID`, `eventTime`,
//! `recipientAccountId`, `awsRegion`, `requestParameters`,
//! `responseElements`, `errorCode` when the call failed).

mod calls;
pub mod tag_calls;
pub mod tool;

use crate::arn::{Arn, ArnError};
use calls::Named;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::BTreeMap;
use tag_calls::Removed;
use tool::Tool;

/// Larger bodies are refused before parsing (SQS allows up to 1 MiB; a
/// creation event is a few KiB, RunInstances of hundreds of instances a few
/// hundred).
pub const MAX_EVENT_BYTES: usize = 256 * 1024;

/// The most resources one event may name (RunInstances launches at most
/// 1,000 instances a call; an instant CreateFleet answers with fewer).
pub const MAX_RESOURCES: usize = 1000;

/// The longest event id believed (CloudTrail's are 36-character UUIDs).
pub const MAX_EVENT_ID: usize = 128;

pub use calls::Call;

/// A resource a call created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub arn: Arn,
    pub resource_type: &'static str,
}

/// A creation call that succeeded.
#[derive(Debug, Clone, PartialEq)]
pub struct Creation {
    /// CloudTrail's `eventID`: the same call delivered twice has the same.
    pub event_id: String,
    pub event_name: String,
    pub event_time: Option<DateTime<Utc>>,
    pub account: String,
    pub region: String,
    pub resources: Vec<Created>,
}

/// A call that removed, replaced or changed tags, as its record claims.
#[derive(Debug, Clone, PartialEq)]
pub struct TagChange {
    /// The call as a creation's: its event, account and region, and the
    /// resources it named of a type tagwarden knows, each ARN checked
    /// against the record. They are read and written back as a creation's.
    pub call: Creation,
    pub removed: Removed,
    pub set: BTreeMap<String, String>,
    /// `userIdentity.arn`.
    pub principal: Option<String>,
    /// The role behind an assumed-role session
    /// (`userIdentity.sessionContext.sessionIssuer.arn`).
    pub role: Option<String>,
    pub user_agent: Option<String>,
    pub tool: Tool,
}

impl TagChange {
    /// Whether the call removed `key` or set it (to any value).
    pub fn touches(&self, key: &str) -> bool {
        self.removed.covers(key) || self.set.contains_key(key)
    }
}

/// What a message turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Creation(Creation),
    /// Tags removed, replaced or changed.
    TagChange(TagChange),
    /// A CloudTrail event of a call that creates nothing tagwarden tags.
    NotCreation {
        event_name: String,
    },
    /// A creation call that failed (`errorCode`): nothing was created.
    FailedCall {
        event_name: String,
        error_code: String,
    },
}

/// Why a message cannot be read: acknowledged and counted, never retried.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EventError {
    #[error("the message is {0} bytes, over the {max} tagwarden reads", max = MAX_EVENT_BYTES)]
    TooLarge(usize),
    #[error("the message is not JSON: {0}")]
    NotJson(String),
    #[error("not an \"AWS API Call via CloudTrail\" event (detail-type `{0}`)")]
    NotCloudTrail(String),
    #[error("{event}: no `{field}` in the event")]
    Missing { event: String, field: &'static str },
    #[error("{event}: {source}")]
    BadArn { event: String, source: ArnError },
    #[error("{event}: {why}")]
    Rejected { event: String, why: Box<Rejection> },
}

/// Why a readable event is not believed: an SQS message is a claim, and
/// one that contradicts itself, or names a resource that is not what its
/// call creates in its own account and region, is dropped (counted as
/// `rejected`, the reason logged), never acted on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Rejection {
    #[error("the envelope's source is `{envelope}`, but {event_source} records the call")]
    Source {
        envelope: String,
        event_source: String,
    },
    #[error("the envelope's {field} is `{envelope}`, the record's `{record}`")]
    Envelope {
        field: &'static str,
        envelope: String,
        record: String,
    },
    #[error("an event id of {0} characters (at most {MAX_EVENT_ID})")]
    EventIdTooLong(usize),
    #[error("{0} resources in one event (at most {MAX_RESOURCES})")]
    TooManyResources(usize),
    #[error(
        "{arn} is named as {expected}, but its {part} is `{found}` (the event's is `{wanted}`)"
    )]
    Arn {
        arn: String,
        expected: &'static str,
        part: &'static str,
        found: String,
        wanted: String,
    },
    /// An event of a region this configuration does not scan.
    #[error("region {0} is not in `regions:`")]
    Region(String),
}

impl EventError {
    /// The call's name, when the message got that far.
    pub fn event_name(&self) -> Option<&str> {
        match self {
            EventError::Missing { event, .. } if event != "the event" => Some(event),
            EventError::BadArn { event, .. } | EventError::Rejected { event, .. } => Some(event),
            _ => None,
        }
    }

    /// What becomes of the message.
    pub fn outcome(&self) -> EventOutcome {
        match self {
            EventError::TooLarge(_) => EventOutcome::TooLarge,
            EventError::NotJson(_) => EventOutcome::NotJson,
            EventError::NotCloudTrail(_) => EventOutcome::NotCloudTrail,
            EventError::Missing { .. } | EventError::BadArn { .. } => EventOutcome::Malformed,
            EventError::Rejected { .. } => EventOutcome::Rejected,
        }
    }
}

/// What became of an event: the bounded `outcome` label of
/// `events_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventOutcome {
    /// Its resources were written and verified.
    Tagged,
    /// Its resources already comply: nothing to write.
    Compliant,
    /// Audit mode: a new resource does not comply (logged, not written).
    NonCompliant,
    /// Not readable yet or a write failed: tried again later.
    Retried,
    /// Tried `max_receives` times: the next cycle handles it.
    LeftForCycle,
    Duplicate,
    AccountNotConfigured,
    /// Another shard's account: that replica's own queue has the event too.
    OtherShard,
    /// No policy covers what it created.
    OutOfScope,
    /// A call that creates nothing tagwarden tags.
    NotCreation,
    /// A creation call that failed: nothing was created.
    FailedCall,
    TooLarge,
    NotJson,
    NotCloudTrail,
    Malformed,
    /// Readable but not believed (`Rejection`).
    Rejected,
    /// A tag call: a policy's key it removed or changed was written back.
    Restored,
    /// A tag call in audit mode: a policy's key is gone or changed
    /// (logged, not written).
    Reported,
    /// A tag call that claimed a removal the resource does not show.
    NotRemoved,
    /// A tag call by tagwarden itself (its rollback): never undone.
    Own,
    /// A tag call that touched no key a policy requires or sets.
    OtherKeys,
    /// A tag call whose key was written back `restore_limit` times within
    /// `restore_window` on that resource: left alone (`restore_cap`).
    Capped,
}

impl EventOutcome {
    pub const ALL: [EventOutcome; 22] = [
        EventOutcome::Tagged,
        EventOutcome::Compliant,
        EventOutcome::NonCompliant,
        EventOutcome::Retried,
        EventOutcome::LeftForCycle,
        EventOutcome::Duplicate,
        EventOutcome::AccountNotConfigured,
        EventOutcome::OtherShard,
        EventOutcome::OutOfScope,
        EventOutcome::NotCreation,
        EventOutcome::FailedCall,
        EventOutcome::TooLarge,
        EventOutcome::NotJson,
        EventOutcome::NotCloudTrail,
        EventOutcome::Malformed,
        EventOutcome::Rejected,
        EventOutcome::Restored,
        EventOutcome::Reported,
        EventOutcome::NotRemoved,
        EventOutcome::Own,
        EventOutcome::OtherKeys,
        EventOutcome::Capped,
    ];

    pub fn label(self) -> &'static str {
        match self {
            EventOutcome::Tagged => "tagged",
            EventOutcome::Compliant => "compliant",
            EventOutcome::NonCompliant => "non_compliant",
            EventOutcome::Retried => "retried",
            EventOutcome::LeftForCycle => "left_for_cycle",
            EventOutcome::Duplicate => "duplicate",
            EventOutcome::AccountNotConfigured => "account_not_configured",
            EventOutcome::OtherShard => "other_shard",
            EventOutcome::OutOfScope => "out_of_scope",
            EventOutcome::NotCreation => "not_creation",
            EventOutcome::FailedCall => "failed_call",
            EventOutcome::TooLarge => "too_large",
            EventOutcome::NotJson => "not_json",
            EventOutcome::NotCloudTrail => "not_cloudtrail",
            EventOutcome::Malformed => "malformed",
            EventOutcome::Rejected => "rejected",
            EventOutcome::Restored => "restored",
            EventOutcome::Reported => "reported",
            EventOutcome::NotRemoved => "not_removed",
            EventOutcome::Own => "own",
            EventOutcome::OtherKeys => "other_keys",
            EventOutcome::Capped => "capped",
        }
    }
}

/// The `event` label of a call: its name when tagwarden knows it, else
/// `other`, so that labels stay bounded whatever arrives.
pub fn event_label(name: &str) -> &'static str {
    every_call()
        .find(|c| c.name == name)
        .map_or("other", |c| c.name)
}

/// The creation calls and the tag calls.
fn every_call() -> impl Iterator<Item = Call> {
    let creations = crate::catalogue::creation_calls().iter().map(|c| Call {
        source: c.source,
        name: c.name,
    });
    creations.chain(crate::catalogue::tag_calls().map(|(s, name, _)| Call {
        source: s.source,
        name,
    }))
}

/// The EventBridge sources of the calls tagwarden reads (`aws.ec2` for
/// `ec2.amazonaws.com`), once each, sorted.
pub fn event_sources() -> Vec<String> {
    let mut sources: Vec<String> = every_call()
        .map(|c| format!("aws.{}", c.source.trim_end_matches(".amazonaws.com")))
        .collect();
    sources.sort_unstable();
    sources.dedup();
    sources
}

/// The names of the calls tagwarden reads, once each (several services
/// record a `CreateCluster`).
pub fn call_names() -> Vec<&'static str> {
    let mut names: Vec<&str> = every_call().map(|c| c.name).collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// A type tagwarden knows, as the `'static` name its tables use.
fn known_type(t: &str) -> Option<&'static str> {
    crate::catalogue::type_of(t).map(|t| t.name)
}

/// Read one message body.
pub fn parse(body: &str) -> Result<Event, EventError> {
    if body.len() > MAX_EVENT_BYTES {
        return Err(EventError::TooLarge(body.len()));
    }
    let v: Value = serde_json::from_str(body).map_err(|e| EventError::NotJson(e.to_string()))?;
    let kind = v["detail-type"].as_str().unwrap_or("");
    if kind != "AWS API Call via CloudTrail" {
        return Err(EventError::NotCloudTrail(kind.to_string()));
    }
    let d = &v["detail"];
    let event_name = d["eventName"].as_str().unwrap_or("").to_string();
    if event_name.is_empty() {
        return Err(EventError::Missing {
            event: "the event".into(),
            field: "detail.eventName",
        });
    }
    let source = d["eventSource"].as_str().unwrap_or("");
    if let Some(call) = tag_calls::find(source, &event_name) {
        if let Some(code) = d["errorCode"].as_str() {
            return Ok(Event::FailedCall {
                event_name,
                error_code: code.to_string(),
            });
        }
        return tag_change(&v, &call, event_name).map(Event::TagChange);
    }
    let Some(call) = calls::find(source, &event_name) else {
        return Ok(Event::NotCreation { event_name });
    };
    if let Some(code) = d["errorCode"].as_str() {
        return Ok(Event::FailedCall {
            event_name,
            error_code: code.to_string(),
        });
    }
    let record = Record::read(&v, call.source).map_err(|e| e.of(&event_name))?;
    let resources = created(call, d, &record).map_err(|e| e.of(&event_name))?;
    Ok(Event::Creation(record.call(event_name, d, resources)))
}

/// A tag call's record: its resources (those of a type tagwarden knows,
/// each ARN checked as a creation's), keys, and who made it with what.
fn tag_change(v: &Value, call: &Call, event_name: String) -> Result<TagChange, EventError> {
    let d = &v["detail"];
    let record = Record::read(v, call.source).map_err(|e| e.of(&event_name))?;
    let claimed = tag_calls::claimed(call, d).map_err(|f| Wrong::Missing(f).of(&event_name))?;
    if claimed.named.len() > MAX_RESOURCES {
        let why = Rejection::TooManyResources(claimed.named.len());
        return Err(Wrong::Rejected(why).of(&event_name));
    }
    // A tag call may name resources it failed on (the Tagging API answers
    // per resource): one that is malformed, of a type tagwarden does not
    // know, or not in the record's account and region is left out, never
    // acted on; the others stand.
    let mut resources: Vec<Created> = Vec::new();
    for named in claimed.named {
        let (resource_type, arn) = match named {
            tag_calls::Named::Arn(text) => {
                let Ok(arn) = Arn::parse(&text) else {
                    continue;
                };
                match known_type(&arn.resource_type()) {
                    // A group is read by its name: an ARN without one
                    // names nothing tagwarden can read.
                    Some(crate::catalogue::AUTO_SCALING_GROUP)
                        if arn.auto_scaling_group_name().is_none() =>
                    {
                        continue
                    }
                    Some(t) => (t, Ok(arn)),
                    None => continue,
                }
            }
            tag_calls::Named::Id { resource_type, id } => built(
                Named::Id { resource_type, id },
                &record.account,
                &record.region,
            ),
        };
        let Ok(arn) = arn else {
            continue;
        };
        if checked(&arn, resource_type, &record).is_err() {
            continue;
        }
        if !resources.iter().any(|r| r.arn == arn) {
            resources.push(Created { arn, resource_type });
        }
    }
    let identity = &d["userIdentity"];
    // Who made the call, as the record says: text it shows in logs,
    // tables and pages, so none with control characters (terminal escapes).
    let text = |v: &Value| calls::text(Some(v)).filter(|_| v.is_string());
    let user_agent = text(&d["userAgent"]);
    let tool = Tool::of(user_agent.as_deref(), identity["invokedBy"].as_str());
    Ok(TagChange {
        call: record.call(event_name, d, resources),
        removed: claimed.removed,
        set: claimed.set,
        principal: text(&identity["arn"]),
        role: text(&identity["sessionContext"]["sessionIssuer"]["arn"]),
        user_agent,
        tool,
    })
}

fn event_time(d: &Value) -> Option<DateTime<Utc>> {
    d["eventTime"]
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// What is wrong with a record, before the call's name is attached.
enum Wrong {
    Missing(&'static str),
    BadArn(ArnError),
    Rejected(Rejection),
}

impl Wrong {
    fn of(self, event: &str) -> EventError {
        let event = event.to_string();
        match self {
            Wrong::Missing(field) => EventError::Missing { event, field },
            Wrong::BadArn(source) => EventError::BadArn { event, source },
            Wrong::Rejected(why) => EventError::Rejected {
                event,
                why: Box::new(why),
            },
        }
    }
}

/// The record's identity, checked against its envelope.
struct Record {
    event_id: String,
    account: String,
    region: String,
}

impl Record {
    fn read(v: &Value, source: &'static str) -> Result<Record, Wrong> {
        let d = &v["detail"];
        let text = |field: &'static str, value: &Value| {
            value
                .as_str()
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .ok_or(Wrong::Missing(field))
        };
        let account = text("detail.recipientAccountId", &d["recipientAccountId"])?;
        let region = text("detail.awsRegion", &d["awsRegion"])?;
        let event_id = text("detail.eventID", &d["eventID"])?;
        if event_id.chars().count() > MAX_EVENT_ID {
            return Err(Wrong::Rejected(Rejection::EventIdTooLong(
                event_id.chars().count(),
            )));
        }
        // EventBridge names the service as `aws.ec2` for `ec2.amazonaws.com`,
        // and the account and region the call was made in.
        let service = source.trim_end_matches(".amazonaws.com");
        let envelope = v["source"].as_str().unwrap_or("");
        if envelope.strip_prefix("aws.") != Some(service) {
            return Err(Wrong::Rejected(Rejection::Source {
                envelope: envelope.to_string(),
                event_source: source.to_string(),
            }));
        }
        for (field, record) in [("account", &account), ("region", &region)] {
            let envelope = v[field].as_str().unwrap_or("");
            if envelope != record {
                return Err(Wrong::Rejected(Rejection::Envelope {
                    field,
                    envelope: envelope.to_string(),
                    record: record.clone(),
                }));
            }
        }
        Ok(Record {
            event_id,
            account,
            region,
        })
    }
    /// The call this record is of, with the resources it named.
    fn call(self, event_name: String, d: &Value, resources: Vec<Created>) -> Creation {
        Creation {
            event_id: self.event_id,
            event_name,
            event_time: event_time(d),
            account: self.account,
            region: self.region,
            resources,
        }
    }
}

/// What the call created, each once, each ARN checked against the record.
fn created(
    call: &crate::catalogue::CreationCall,
    d: &Value,
    record: &Record,
) -> Result<Vec<Created>, Wrong> {
    let named = calls::named(call, d).map_err(Wrong::Missing)?;
    if named.len() > MAX_RESOURCES {
        return Err(Wrong::Rejected(Rejection::TooManyResources(named.len())));
    }
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for n in named {
        let (resource_type, arn) = built(n, &record.account, &record.region);
        let arn = arn.map_err(Wrong::BadArn)?;
        checked(&arn, resource_type, record).map_err(Wrong::Rejected)?;
        if seen.insert(arn.clone()) {
            out.push(Created { arn, resource_type });
        }
    }
    Ok(out)
}

/// An ARN is believed only if it is of the type the call creates, in the
/// event's partition, account and region (S3 bucket ARNs name neither
/// account nor region: the bucket is read in the event's account).
fn checked(arn: &Arn, expected: &'static str, record: &Record) -> Result<(), Rejection> {
    let wrong = |part: &'static str, found: &str, wanted: &str| Rejection::Arn {
        arn: arn.to_string(),
        expected,
        part,
        found: found.to_string(),
        wanted: wanted.to_string(),
    };
    let ty = arn.resource_type();
    if ty != expected {
        return Err(wrong("type", &ty, expected));
    }
    let partition = crate::resource::partition_of(&record.region);
    if arn.partition() != partition {
        return Err(wrong("partition", arn.partition(), partition));
    }
    let form = crate::catalogue::type_of(expected).map(|t| t.arn);
    let account = arn.account().unwrap_or("");
    let region = arn.region().unwrap_or("");
    if form == Some(crate::catalogue::ArnForm::Global) {
        if !account.is_empty() || !region.is_empty() {
            return Err(wrong(
                "account and region",
                &format!("{account}:{region}"),
                "",
            ));
        }
        return Ok(());
    }
    // A form without an account (API Gateway, Route 53) or a region
    // (CloudFront, Route 53) names none: one that does is not of the type.
    let (names_account, names_region) =
        form.map_or((true, true), |f| (f.names_account(), f.names_region()));
    let want_account = if names_account {
        record.account.as_str()
    } else {
        ""
    };
    if account != want_account {
        return Err(wrong("account", account, want_account));
    }
    let want_region = if names_region {
        record.region.as_str()
    } else {
        ""
    };
    if region != want_region {
        return Err(wrong("region", region, want_region));
    }
    Ok(())
}

/// The ARN of what a record names: as given, or built from an id the way
/// the Tagging API (and tagwarden's inventory) names the resource, in the
/// type's ARN form.
fn built(named: Named, account: &str, region: &str) -> (&'static str, Result<Arn, ArnError>) {
    let (ty, id) = match named {
        Named::Arn { resource_type, arn } => return (resource_type, Arn::parse(&arn)),
        Named::Id { resource_type, id } => (resource_type, id),
    };
    let p = crate::resource::partition_of(region);
    let form = crate::catalogue::type_of(ty).map_or(crate::catalogue::ArnForm::Slash, |t| t.arn);
    let text = form.build(ty, p, region, account, &id);
    (
        ty,
        text.map_or_else(|| Err(ArnError::Malformed(id)), |t| Arn::parse(&t)),
    )
}

#[cfg(test)]
mod tests;
