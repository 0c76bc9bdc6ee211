//! Tag writers, one per service API, batched as far as each API allows:
//! EC2 `CreateTags` (up to 1000 ids with the same tags), RDS
//! `AddTagsToResource` (one ARN), S3 read-merge-write (`PutBucketTagging`
//! replaces the whole set), and the Tagging API `TagResources` (up to 20
//! ARNs) for every other type. Every request goes through `Api::call`.

pub(crate) mod autoscaling;
pub(crate) mod ec2;
pub(crate) mod mgn;
pub(crate) mod rds;
pub(crate) mod s3;
mod tagging;

use crate::aws::{AccountSession, Api, AwsError, Quota};
use std::collections::{BTreeMap, HashMap};
use tagwarden_core::apply_rules::{MergeRefusal, TagWrite};
pub use tagwarden_core::resource::Writer;

/// Why a tag write (or the read of a resource's tags) failed for one
/// resource. The AWS error code is kept (`code`), for reports and metrics.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    /// A batch request succeeded, but AWS refused this resource in it.
    #[error("{operation}: {code}: {message}")]
    Refused {
        operation: &'static str,
        code: String,
        message: String,
    },
    /// A read-merge-write (S3) refused the resource.
    #[error(transparent)]
    Merge(#[from] MergeRefusal),
    #[error("no session for account {0}")]
    NoSession(String),
    /// A read by ARN through the Tagging API did not return the resource:
    /// AWS returns every resource that is or once was tagged, so it has no
    /// tags, or does not exist, or the API has not caught up yet.
    #[error("not returned by the Tagging API")]
    NotReturned,
    /// Two requests for one resource failed (a rollback's set and remove).
    #[error("{0}; {1}")]
    Both(Box<TagError>, Box<TagError>),
}

impl TagError {
    /// The AWS error code, when AWS gave one.
    pub fn code(&self) -> Option<&str> {
        match self {
            TagError::Aws(e) => e.code.as_deref(),
            TagError::Refused { code, .. } => Some(code),
            TagError::Both(first, _) => first.code(),
            _ => None,
        }
    }
}

/// The outcome of the writes per ARN.
pub type Outcomes = HashMap<String, Result<(), TagError>>;

/// Record one request's outcome for a resource, keeping every failure.
fn record(out: &mut Outcomes, arn: &str, result: Result<(), TagError>) {
    let slot = out.entry(arn.to_string()).or_insert(Ok(()));
    if let Err(e) = result {
        *slot = match std::mem::replace(slot, Ok(())) {
            Err(prev) => Err(TagError::Both(Box::new(prev), Box::new(e))),
            Ok(()) => Err(e),
        };
    }
}

/// Record the same outcome for every resource of a request.
fn record_all<'a>(
    out: &mut Outcomes,
    arns: impl IntoIterator<Item = &'a str>,
    result: Result<(), &AwsError>,
) {
    for arn in arns {
        record(out, arn, result.map_err(|e| TagError::Aws(e.clone())));
    }
}

/// Write every change of one account and region.
pub async fn write(
    api: &Api,
    session: &AccountSession,
    region: &str,
    writes: &[TagWrite],
) -> Outcomes {
    let mut out = Outcomes::new();
    let mut by_writer: BTreeMap<Writer, Vec<&TagWrite>> = BTreeMap::new();
    for w in writes {
        by_writer
            .entry(Writer::of(&w.resource_type))
            .or_default()
            .push(w);
    }
    let at = Target {
        api,
        account: &session.account,
        region,
    };
    for (kind, ws) in by_writer {
        match kind {
            Writer::Ec2 => ec2::write(&at, &session.ec2(region), &ws, &mut out).await,
            Writer::Rds => rds::write(&at, &session.rds(region), &ws, &mut out).await,
            Writer::S3 => s3::write(&at, &session.s3(region), &ws, &mut out).await,
            Writer::AutoScaling => {
                autoscaling::write(&at, &session.autoscaling(region), &ws, &mut out).await
            }
            Writer::Mgn => mgn::write(&at, &session.mgn(region), &ws, &mut out).await,
            Writer::Tagging => tagging::write(&at, &session.tagging(region), &ws, &mut out).await,
        }
    }
    out
}

/// Where requests go: the limiter, account and region.
#[derive(Clone, Copy)]
pub struct Target<'a> {
    pub api: &'a Api,
    pub account: &'a str,
    pub region: &'a str,
}

impl Target<'_> {
    /// The request quota a call here spends.
    pub fn quota(&self) -> Quota<'_> {
        Quota::at(self.account, self.region)
    }
}

/// Writes with identical tag sets (or removals), so that one request can
/// carry them all.
fn group_by<'a, K: Ord>(
    writes: &[&'a TagWrite],
    key: impl Fn(&TagWrite) -> K,
) -> BTreeMap<K, Vec<&'a TagWrite>> {
    let mut groups: BTreeMap<K, Vec<&TagWrite>> = BTreeMap::new();
    for w in writes {
        groups.entry(key(w)).or_default().push(w);
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aws(code: &str) -> TagError {
        TagError::Aws(AwsError {
            operation: "ec2:CreateTags",
            code: Some(code.into()),
            message: format!("{code}: no"),
        })
    }

    #[test]
    fn outcomes_keep_every_failure_and_the_first_code() {
        let mut out = Outcomes::new();
        record(&mut out, "a", Ok(()));
        record(&mut out, "a", Err(aws("InvalidID")));
        record(&mut out, "a", Err(TagError::NoSession("1".into())));
        record(&mut out, "b", Ok(()));
        let a = out["a"].as_ref().unwrap_err();
        assert_eq!(
            a.to_string(),
            "ec2:CreateTags: InvalidID: no; no session for account 1"
        );
        assert_eq!(a.code(), Some("InvalidID"));
        assert_eq!(out["b"], Ok(()));
    }
}
