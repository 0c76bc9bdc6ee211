//! Readiness: will what MGN launches for a server carry the policies' tags,
//! and does what it already launched carry them? Pure: the launched
//! instances are read by the binary and passed in.

use super::{Place, SourceServer};
use crate::policy::eval::{check_value, evaluate_resource, in_scope, FindingKind};
use crate::policy::Policy;
use crate::resource::{Resource, MAP_TAG};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Why a server is not ready, as a label for reports and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// MAP auto-tagging is off (or has no value), so its launch would not
    /// write the MAP tag.
    AutoTaggingOff,
    /// Its launch would not write another required key.
    LaunchMissingKey,
    /// Its launch would write a value the policy refuses (another
    /// agreement's, a bare MPE ID, a malformed one) or a forbidden key.
    ValueRefused,
    /// The instance MGN launched for it lacks a required key or value.
    LaunchedUntagged,
    /// Its launch settings or its launched instance could not be read.
    Unknown,
}

impl Reason {
    pub fn label(self) -> &'static str {
        match self {
            Reason::AutoTaggingOff => "auto_tagging_off",
            Reason::LaunchMissingKey => "launch_missing_key",
            Reason::ValueRefused => "value_refused",
            Reason::LaunchedUntagged => "launched_untagged",
            Reason::Unknown => "unknown",
        }
    }
}

/// One reason, with what it is about in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Why {
    pub reason: Reason,
    pub detail: String,
}

/// The EC2 instances MGN launched, as read back from EC2: by instance id,
/// and the places where they could not be read.
#[derive(Debug, Clone, Default)]
pub struct Launched {
    pub instances: HashMap<String, Resource>,
    pub unreadable: BTreeMap<Place, String>,
}

/// What a server's readiness came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// No policy that names `mgn:source-server` holds it in scope.
    OutOfScope,
    Ready,
    NotReady(Vec<Why>),
}

impl Verdict {
    pub fn reasons(&self) -> &[Why] {
        match self {
            Verdict::NotReady(why) => why,
            _ => &[],
        }
    }
}

/// The policies that judge `server`: those naming its type with their
/// scope holding for its own tags.
fn judging<'a>(policies: &'a [Policy], server: &Resource) -> Vec<&'a Policy> {
    policies.iter().filter(|p| in_scope(p, server)).collect()
}

/// Judge one server: its launch settings while MGN may still launch it,
/// and the instance it launched (test or cutover), if that still exists.
pub fn judge(server: &SourceServer, policies: &[Policy], launched: &Launched) -> Verdict {
    let resource = server.resource();
    let judges = judging(policies, &resource);
    if judges.is_empty() {
        return Verdict::OutOfScope;
    }
    let mut why = Vec::new();
    if !server.state.is_done() {
        why.extend(launch_reasons(&judges, &resource));
    }
    if let Some(id) = &server.launched_instance {
        why.extend(instance_reasons(&judges, id, &server.place, launched));
    }
    if why.is_empty() {
        Verdict::Ready
    } else {
        Verdict::NotReady(why)
    }
}

/// What its launch would write, judged as the audit judges it.
fn launch_reasons(judges: &[&Policy], resource: &Resource) -> Vec<Why> {
    let mut findings = Vec::new();
    for p in judges {
        evaluate_resource(p, resource, &mut findings);
    }
    findings
        .into_iter()
        .map(|f| {
            let reason = match (f.kind, f.value) {
                (FindingKind::Unknown, _) => Reason::Unknown,
                (_, Some(_)) => Reason::ValueRefused,
                (_, None) if f.tag == MAP_TAG => Reason::AutoTaggingOff,
                (_, None) => Reason::LaunchMissingKey,
            };
            Why {
                reason,
                detail: format!(
                    "`{}` (policy {}): {}",
                    f.tag,
                    f.policy.name,
                    f.hint.unwrap_or_default()
                ),
            }
        })
        .collect()
}

/// The launched instance against the same policies' `require` rules. An
/// instance that no longer exists (a terminated test instance) is not
/// judged; one that could not be read is `unknown`.
fn instance_reasons(judges: &[&Policy], id: &str, place: &Place, launched: &Launched) -> Vec<Why> {
    if let Some(why) = launched.unreadable.get(place) {
        return vec![Why {
            reason: Reason::Unknown,
            detail: format!("launched instance {id} could not be read: {why}"),
        }];
    }
    let Some(instance) = launched.instances.get(id) else {
        return Vec::new();
    };
    if let Some(why) = &instance.tags_unreadable {
        return vec![Why {
            reason: Reason::Unknown,
            detail: format!("launched instance {id}: tags could not be read: {why}"),
        }];
    }
    judges
        .iter()
        .flat_map(|p| p.require.iter().map(move |req| (p, req)))
        .filter_map(|(p, req)| {
            let problem = match instance.tags.get(&req.key) {
                None => format!("carries no `{}`", req.key),
                Some(v) => format!("carries `{}={v}`: {}", req.key, check_value(req, v).err()?),
            };
            Some(Why {
                reason: Reason::LaunchedUntagged,
                detail: format!("launched instance {id} (policy {}) {problem}", p.name),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;
