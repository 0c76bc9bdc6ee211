//! What tagwarden knows per resource type and per service, in one place:
//! a type's names (the Tagging API's, which policies use, and Resource
//! Explorer's), its ARN form, how a scan lists it and what that reads,
//! the calls that create it and where their CloudTrail records name it;
//! a service's event source, the writer that writes its tags, its own tag
//! permissions, and the calls that change its tags with where their
//! records name the resources. The scan, tag on create, restores and
//! `policy iam` read these tables; adding a type is a row in `rows.rs`
//! (and, where its API is new, a lister or writer of its own).
//!
//! Nothing here depends on another module of the core: it is data.

mod rows;

pub use rows::{BEDROCK_NOTE, SERVICES, TYPES};

use std::sync::LazyLock;

/// Auto Scaling groups: listed by tagwarden itself, with what the
/// instances they launch will carry.
pub const AUTO_SCALING_GROUP: &str = "autoscaling:autoScalingGroup";

/// ECS services: what the tasks they start carry depends on `propagateTags`.
pub const ECS_SERVICE: &str = "ecs:service";

/// An MGN source server: its policies judge the tags its launch would
/// write (`Resource::launches`), its own tags only decide scope.
pub const MGN_SOURCE_SERVER: &str = "mgn:source-server";
/// An account's MGN launch configuration template, judged the same way.
pub const MGN_LAUNCH_TEMPLATE: &str = "mgn:launch-configuration-template";

/// The Tagging API's read: bucket tags, every type found through Resource
/// Explorer (current tags by ARN) or only through the Tagging API, and
/// read-backs of what it writes.
pub const GET_RESOURCES: &str = "tag:GetResources";

/// One resource type.
#[derive(Debug)]
pub struct Type {
    /// As the Resource Groups Tagging API names it, and policies with it:
    /// `ec2:instance`.
    pub name: &'static str,
    /// Resource Explorer's names for it, when they differ from `name`.
    pub explorer: &'static [&'static str],
    /// How its ARN is built from the id or name an event gives.
    pub arn: ArnForm,
    /// EC2: the prefix of the ids that name it in EC2's own tag calls.
    pub ec2_prefix: Option<&'static str>,
    /// How a scan finds it, and what it calls to.
    pub listing: Listing,
    /// What tag on create reads beyond the scan's reads.
    pub event_reads: &'static [&'static str],
    /// The calls that create it, with where their records name it.
    pub created_by: &'static [Creation],
    /// What a finding of a missing or refused MAP value on it adds to its
    /// hint: how its spend earns MAP credit, where that is not simply by
    /// carrying the tag.
    pub map_note: Option<&'static str>,
}

impl Type {
    /// The service part of the name: `ec2` for `ec2:instance`.
    pub fn service(&self) -> &'static str {
        self.name.split(':').next().unwrap_or_default()
    }

    /// Whether tagwarden lists it through the service's own API, so that
    /// never-tagged ones are found without Resource Explorer.
    pub fn listed_by_itself(&self) -> bool {
        matches!(self.listing, Listing::Own(_))
    }

    /// The IAM actions of a scan of it.
    pub fn scan_reads(&self) -> &'static [&'static str] {
        match self.listing {
            Listing::Own(reads) | Listing::Found(reads) => reads,
        }
    }
}

/// How a scan finds a type.
#[derive(Debug, Clone, Copy)]
pub enum Listing {
    /// Through the service's own API, with these reads.
    Own(&'static [&'static str]),
    /// Through Resource Explorer or the Tagging API, with these reads
    /// (`tag:GetResources` and what else its evaluation needs).
    Found(&'static [&'static str]),
}

/// The default reads of a type found through Resource Explorer or the
/// Tagging API.
pub const FOUND: Listing = Listing::Found(&[GET_RESOURCES]);

/// How an ARN is built from an id or a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArnForm {
    /// `arn:P:SERVICE:REGION:ACCOUNT:KIND/ID`.
    Slash,
    /// `arn:P:SERVICE:REGION:ACCOUNT:KIND:ID`.
    Colon,
    /// `arn:P:SERVICE:REGION:ACCOUNT:ID` (SNS topics, SQS queues).
    Bare,
    /// `arn:P:s3:::ID`: no region, no account.
    Global,
    /// `arn:P:SERVICE:::KIND/ID`: no region, no account, a type (Route 53
    /// hosted zones). An id given as `/KIND/ID` (as `CreateHostedZone`
    /// answers it) is read as `ID`.
    Unowned,
    /// `arn:P:SERVICE::ACCOUNT:KIND/ID`: an account, no region
    /// (CloudFront distributions).
    NoRegion,
    /// `arn:P:SERVICE:REGION::/KIND/ID`: a region, no account, a path of
    /// kinds and ids in turn (API Gateway). The id holds one id per kind,
    /// joined by `/`: `ID/NAME` for `restapis/stages` is
    /// `/restapis/ID/stages/NAME`.
    Path,
    /// An Auto Scaling group's ARN holds a UUID no event gives: built
    /// with `*` in its place (as IAM policies name groups),
    /// `arn:P:autoscaling:REGION:ACCOUNT:autoScalingGroup:*:autoScalingGroupName/NAME`;
    /// tag on create reads the group by name and goes on with the ARN AWS
    /// answers.
    ByName,
}

impl ArnForm {
    /// The ARN text of `id` of type `name` (`service:kind`), or None when
    /// this form cannot be built from an id.
    pub fn build(
        self,
        name: &str,
        partition: &str,
        region: &str,
        account: &str,
        id: &str,
    ) -> Option<String> {
        let (service, kind) = name.split_once(':').unwrap_or((name, ""));
        let p = partition;
        Some(match self {
            ArnForm::Slash => format!("arn:{p}:{service}:{region}:{account}:{kind}/{id}"),
            ArnForm::Colon => format!("arn:{p}:{service}:{region}:{account}:{kind}:{id}"),
            ArnForm::Bare => format!("arn:{p}:{service}:{region}:{account}:{id}"),
            ArnForm::Global => format!("arn:{p}:{service}:::{id}"),
            ArnForm::Unowned => {
                let prefix = format!("/{kind}/");
                let id = id.strip_prefix(prefix.as_str()).unwrap_or(id);
                format!("arn:{p}:{service}:::{kind}/{id}")
            }
            ArnForm::NoRegion => format!("arn:{p}:{service}::{account}:{kind}/{id}"),
            ArnForm::Path => {
                let kinds: Vec<&str> = kind.split('/').collect();
                let ids: Vec<&str> = id.split('/').collect();
                if kinds.len() != ids.len() || ids.iter().any(|i| i.is_empty()) {
                    return None;
                }
                let path: String = kinds
                    .iter()
                    .zip(&ids)
                    .map(|(k, i)| format!("/{k}/{i}"))
                    .collect();
                format!("arn:{p}:{service}:{region}::{path}")
            }
            // A group's name may hold any printable character but `:`
            // (at most 255).
            ArnForm::ByName
                if id.len() > 255 || id.contains(':') || id.chars().any(char::is_control) =>
            {
                return None
            }
            ArnForm::ByName => {
                format!("arn:{p}:{service}:{region}:{account}:{kind}:*:{kind}Name/{id}")
            }
        })
    }
}

impl ArnForm {
    /// Whether ARNs of this form name a region: an ARN that names none is
    /// believed in any region a record is of.
    pub fn names_region(self) -> bool {
        !matches!(self, ArnForm::Global | ArnForm::Unowned | ArnForm::NoRegion)
    }

    /// Whether ARNs of this form name the owning account.
    pub fn names_account(self) -> bool {
        !matches!(self, ArnForm::Global | ArnForm::Unowned | ArnForm::Path)
    }
}

/// A creation call of a type: its name (recorded by its service's event
/// source) and where its record names what it created.
#[derive(Debug)]
pub struct Creation {
    pub name: &'static str,
    pub names: Names,
}

/// Where a creation's record names its resources.
#[derive(Debug)]
pub enum Names {
    /// An ARN in the answer (tried first), else an id or name to build
    /// the ARN from, in the answer or the request (in that order).
    At(Located),
    /// EC2: one id, in a flat answer or one wrapped in `<Call>Response`.
    Ec2 {
        keys: &'static [&'static str],
        field: &'static str,
    },
    /// The id under `key` of every element of the list at `list` (EC2's
    /// lists, flat or in `<Call>Response`; WorkSpaces' `pendingRequests`).
    Ec2List {
        list: &'static str,
        key: &'static str,
        field: &'static str,
    },
    /// EC2 Fleet: the fleet and the instances an `instant` fleet launched.
    Fleet,
    /// ELB: v2 answers the ARNs, classic only the name.
    LoadBalancers,
    /// API Gateway `CreateStage`, one call name for REST APIs' stages
    /// (the request names `restApiId`) and HTTP and WebSocket APIs'
    /// (`apiId`); the stage's name is in the answer or the request.
    ApiStage,
}

/// Where a record names what its call created. `field` is what a message
/// names when none is there.
#[derive(Debug)]
pub struct Located {
    pub arn: Option<&'static [&'static str]>,
    pub ids: &'static [(Side, &'static [&'static str])],
    pub field: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Request,
    Response,
}

/// One service.
#[derive(Debug)]
pub struct Service {
    /// As ARNs, IAM and type names spell it: `ec2`; `tag` for the Tagging
    /// API.
    pub prefix: &'static str,
    /// CloudTrail's `eventSource`: `ec2.amazonaws.com`.
    pub source: &'static str,
    /// What writes its types' tags.
    pub writer: Writer,
    /// Its own tag and untag permissions, which the Tagging API's writes
    /// need besides `tag:TagResources` and `tag:UntagResources`.
    pub tag_actions: Option<(&'static str, &'static str)>,
    /// The only resources its tag permissions are granted on, where those
    /// actions do more than tag (API Gateway's are HTTP verbs: `PUT` and
    /// `DELETE` on its tags' paths, but on any API's too).
    pub tag_resource: Option<&'static str>,
    /// The calls that remove, replace or set its tags.
    pub tag_calls: &'static [(&'static str, Effect)],
    /// Where its tag calls' records name resources by id rather than ARN,
    /// tried in order (the first that gives any is used).
    pub ids: &'static [IdField],
    /// A request member that names a resource in a way tagwarden cannot
    /// read exactly (a secret by name): nothing to act on, not malformed.
    pub inexact: Option<&'static str>,
    /// The member a message names when a tag call's record names nothing.
    pub missing: &'static str,
}

/// What a tag call does to the keys it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Remove,
    Set,
    /// The whole set replaced (S3).
    Replace,
}

/// A request member that names resources by id.
#[derive(Debug)]
pub struct IdField {
    pub member: &'static str,
    pub resource_type: &'static str,
    pub read: IdRead,
}

/// How an id is read from its member.
#[derive(Debug, Clone, Copy)]
pub enum IdRead {
    Plain,
    /// The last path segment of a URL (an SQS queue's URL).
    UrlTail,
    /// Only ids with this prefix name the type (`fs-`; `fsap-` does not).
    Prefixed(&'static str),
    /// An id, or an ARN whose last segment is the id (a KMS key's `keyId`).
    IdOrArn,
    /// An Auto Scaling tag entry: `resourceId`, when its `resourceType`
    /// is `auto-scaling-group`.
    AutoScalingTag,
}

/// The API a resource's tags are written (and read back) through: the
/// enforcer writes with it, and `policy iam` grants what it calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Writer {
    /// `CreateTags`, `DeleteTags`, read back with `DescribeTags`.
    Ec2,
    /// `AddTagsToResource`, `RemoveTagsFromResource`, `ListTagsForResource`.
    Rds,
    /// Read, merge, then `PutBucketTagging` (it replaces the whole set).
    S3,
    /// With PropagateAtLaunch: what the group launches carries the tag.
    AutoScaling,
    /// MGN launch settings (`UpdateLaunchConfiguration`, templates
    /// `UpdateLaunchConfigurationTemplate`): MAP auto-tagging with the
    /// policy's value, read back with `GetLaunchConfiguration`.
    Mgn,
    /// Every service without an API of its own here: the Tagging API's
    /// batches.
    Tagging,
}

impl Writer {
    /// The writer of a type: its service's, else the Tagging API.
    pub fn of(resource_type: &str) -> Writer {
        let prefix = resource_type.split(':').next().unwrap_or_default();
        service(prefix).map_or(Writer::Tagging, |s| s.writer)
    }
}

/// A type tagwarden knows, by its Tagging API name.
pub fn type_of(name: &str) -> Option<&'static Type> {
    TYPES.iter().find(|t| t.name == name)
}

/// A service, by its prefix (`ec2`).
pub fn service(prefix: &str) -> Option<&'static Service> {
    SERVICES.iter().find(|s| s.prefix == prefix)
}

/// The types tagwarden lists through the services' own APIs.
pub fn listed_by_itself() -> &'static [&'static str] {
    static OWN: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
        TYPES
            .iter()
            .filter(|t| t.listed_by_itself())
            .map(|t| t.name)
            .collect()
    });
    &OWN
}

/// The type a service's ARNs name when their resource part has no type
/// (`arn:aws:sqs:…:queue-name`, `arn:aws:s3:::bucket`).
pub fn untyped_arn_type(service: &str) -> Option<&'static str> {
    TYPES
        .iter()
        .find(|t| t.service() == service && matches!(t.arn, ArnForm::Bare | ArnForm::Global))
        .map(|t| t.name)
}

/// The EC2 type an id names, by its prefix and hexadecimal rest (`i-0ab…`
/// an instance; `sg-…` nothing tagwarden tags, nor `tgw-attach-…`, a
/// transit gateway's attachment).
pub fn ec2_type_of_id(id: &str) -> Option<&'static str> {
    TYPES
        .iter()
        .find(|t| {
            t.ec2_prefix
                .and_then(|p| id.strip_prefix(p))
                .is_some_and(|rest| {
                    !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
                })
        })
        .map(|t| t.name)
}

/// Every creation call: its service's event source, its name, the type it
/// creates and where its record names it.
pub struct CreationCall {
    pub source: &'static str,
    pub name: &'static str,
    pub resource_type: &'static str,
    pub names: &'static Names,
}

pub fn creation_calls() -> &'static [CreationCall] {
    static CALLS: LazyLock<Vec<CreationCall>> = LazyLock::new(|| {
        TYPES
            .iter()
            .flat_map(|t| {
                let source = service(t.service()).map_or("", |s| s.source);
                t.created_by.iter().map(move |c| CreationCall {
                    source,
                    name: c.name,
                    resource_type: t.name,
                    names: &c.names,
                })
            })
            .collect()
    });
    &CALLS
}

/// Every tag call: its service and its effect.
pub fn tag_calls() -> impl Iterator<Item = (&'static Service, &'static str, Effect)> {
    SERVICES
        .iter()
        .flat_map(|s| s.tag_calls.iter().map(move |(name, e)| (s, *name, *e)))
}

#[cfg(test)]
mod tests;
