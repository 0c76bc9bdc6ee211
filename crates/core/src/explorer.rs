//! AWS Resource Explorer, pure: which listings a scan asks for, how its
//! type names map to the Tagging API's (which policies use), what it
//! answered, and what to tell a user whose Resource Explorer is not set up.

use crate::arn::Arn;
use crate::resource::{is_full_discovery, Tags};
use std::collections::BTreeSet;
use std::fmt;

/// The Resource Explorer types a policy type covers (the catalogue names
/// those that differ from the Tagging API's name).
pub fn explorer_types(policy_type: &str) -> Vec<&str> {
    match crate::catalogue::type_of(policy_type) {
        Some(t) if !t.explorer.is_empty() => t.explorer.to_vec(),
        _ => vec![policy_type],
    }
}

/// The policy type of a Resource Explorer type.
pub fn policy_type(explorer_type: &str) -> &str {
    crate::catalogue::TYPES
        .iter()
        .find(|t| t.explorer.contains(&explorer_type))
        .map_or(explorer_type, |t| t.name)
}

/// The types of `types` that Resource Explorer finds for a scan: those
/// tagwarden does not list through the service itself.
pub fn explored_types<'a>(types: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let set: BTreeSet<&str> = types
        .into_iter()
        .filter(|t| !is_full_discovery(t))
        .collect();
    set.into_iter().map(str::to_string).collect()
}

/// The filter strings of one scan's listings: one per Resource Explorer
/// type (tokens of one prefix are not combined in one request, since AWS
/// does not document how they combine), narrowed to `accounts` when the
/// scan covers only some of the view's accounts, and to `regions` when it
/// covers only some regions. Each string is listed to its last page.
pub fn filter_strings(
    policy_types: &[String],
    accounts: Option<&[String]>,
    regions: Option<&[String]>,
) -> Vec<String> {
    let mut out = Vec::new();
    for policy_type in policy_types {
        for t in explorer_types(policy_type) {
            let base = format!("resourcetype:{t}");
            let with_accounts: Vec<String> = match accounts {
                Some(list) => list
                    .iter()
                    .map(|a| format!("{base} accountid:{a}"))
                    .collect(),
                None => vec![base],
            };
            for f in with_accounts {
                match regions {
                    Some(list) => out.extend(list.iter().map(|r| format!("{f} region:{r}"))),
                    None => out.push(f),
                }
            }
        }
    }
    out
}

/// Resource Explorer's region of a resource in none.
pub const GLOBAL: &str = "global";

/// A resource as Resource Explorer listed it.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    pub arn: Arn,
    /// `OwningAccountId` (an S3 bucket's ARN names none).
    pub account: String,
    pub region: String,
    /// The policy type (`elasticloadbalancing:loadbalancer/app` is listed
    /// as `elasticloadbalancing:loadbalancer`).
    pub resource_type: String,
    /// The tags it indexed (None: the view includes no tags). They can be
    /// minutes old; a scan reads current ones from the Tagging API.
    pub tags: Option<Tags>,
}

/// Why an answer entry is not a resource tagwarden can use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListedError {
    #[error("no ARN")]
    NoArn,
    #[error(transparent)]
    Arn(#[from] crate::arn::ArnError),
    #[error("{0}: no owning account")]
    NoAccount(String),
    #[error("{0}: its tags are not a list of Key and Value")]
    Tags(String),
}

impl Listed {
    /// One `Resources` entry: its ARN, `OwningAccountId`, `Region`,
    /// `ResourceType` and, when the view includes them, the `tags`
    /// property (a JSON list of `{"Key", "Value"}`).
    pub fn of(
        arn: Option<&str>,
        owner: Option<&str>,
        region: Option<&str>,
        explorer_type: Option<&str>,
        tags: Option<&serde_json::Value>,
    ) -> Result<Listed, ListedError> {
        let arn = Arn::parse(arn.ok_or(ListedError::NoArn)?)?;
        let account = owner
            .filter(|a| !a.is_empty())
            .or(arn.account())
            .ok_or_else(|| ListedError::NoAccount(arn.to_string()))?
            .to_string();
        // A global resource (a CloudFront distribution, a Route 53 hosted
        // zone: Resource Explorer's `global`) is held as in its partition's
        // home region, where the Tagging API reads and writes its tags and
        // CloudTrail records its calls.
        let region = match region.filter(|r| !r.is_empty()).or(arn.region()) {
            Some(r) if r != GLOBAL => r.to_string(),
            _ => crate::resource::home_region(arn.partition()).to_string(),
        };
        let resource_type = match explorer_type {
            Some(t) if !t.is_empty() => policy_type(t).to_string(),
            _ => arn.resource_type(),
        };
        let tags = tags
            .map(|v| tag_list(v).ok_or_else(|| ListedError::Tags(arn.to_string())))
            .transpose()?;
        Ok(Listed {
            arn,
            account,
            region,
            resource_type,
            tags,
        })
    }
}

fn tag_list(v: &serde_json::Value) -> Option<Tags> {
    v.as_array()?
        .iter()
        .map(|t| {
            let key = t.get("Key")?.as_str()?.to_string();
            let value = t.get("Value").and_then(|v| v.as_str()).unwrap_or("");
            Some((key, value.to_string()))
        })
        .collect()
}

/// What is missing when Resource Explorer cannot be read, with the AWS
/// command that fixes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetupProblem {
    NoIndex {
        account: String,
        region: String,
    },
    /// An organization-wide view needs the aggregator index (it alone holds
    /// every region).
    NotAggregator {
        account: String,
        region: String,
    },
    NoDefaultView {
        account: String,
        region: String,
    },
    NoView {
        account: String,
        view: String,
    },
    /// The view leaves out the `tags` property.
    NoTags {
        view: String,
    },
    /// `scope: organization`, but the view covers one account (its scope
    /// is the account, not the organization or an OU of it).
    NotOrganizationView {
        view: String,
        scope: String,
    },
    AccessDenied {
        account: String,
        operation: String,
        message: String,
    },
    /// Resource Explorer refused the view (no index behind it, or not this
    /// account's).
    Unauthorized {
        account: String,
        view: String,
        message: String,
    },
}

impl SetupProblem {
    /// What is wrong, and the command or setting that fixes it.
    pub fn parts(&self) -> (String, String) {
        const AGGREGATE: &str =
            "`aws resource-explorer-2 update-index-type --arn INDEX_ARN --type AGGREGATOR --region";
        match self {
            SetupProblem::NoIndex { account, region } => (
                format!("Resource Explorer has no index in account {account} region {region}"),
                format!("create one with `aws resource-explorer-2 create-index --region {region}` (and for an organization view {AGGREGATE} {region}`)"),
            ),
            SetupProblem::NotAggregator { account, region } => (
                format!("the Resource Explorer index of account {account} in {region} is LOCAL: it lists only {region}"),
                format!("make it the aggregator with {AGGREGATE} {region}`"),
            ),
            SetupProblem::NoDefaultView { account, region } => (
                format!("Resource Explorer has no default view in account {account} region {region}"),
                format!("set `inventory.resource_explorer.view`, or create one with `aws resource-explorer-2 create-view --view-name tagwarden --included-properties Name=tags --region {region}` and `aws resource-explorer-2 associate-default-view --view-arn VIEW_ARN --region {region}`"),
            ),
            SetupProblem::NoView { account, view } => (
                format!("account {account} has no Resource Explorer view {view}"),
                "list its views with `aws resource-explorer-2 list-views` and set `inventory.resource_explorer.view`".to_string(),
            ),
            SetupProblem::NoTags { view } => (
                format!("the Resource Explorer view {view} leaves out tags, so untagged resources cannot be told from tagged ones"),
                format!("`aws resource-explorer-2 update-view --view-arn {view} --included-properties Name=tags`"),
            ),
            SetupProblem::NotOrganizationView { view, scope } => (
                format!("the Resource Explorer view {view} covers {scope}, not the organization, while `inventory.resource_explorer.scope` is organization"),
                "create an organization view from the management account or Resource Explorer's delegated administrator (`aws resource-explorer-2 create-view --view-name tagwarden --scope arn:aws:organizations::MANAGEMENT_ACCOUNT:organization/o-ID --included-properties Name=tags`) and set `inventory.resource_explorer.view` to it".to_string(),
            ),
            SetupProblem::AccessDenied {
                account,
                operation,
                message,
            } => (
                format!("account {account} denied resource-explorer-2:{operation} ({message})"),
                "allow resource-explorer-2:Search, GetView, GetDefaultView and GetIndex to tagwarden's role (`tagwarden policy iam` prints its policy)".to_string(),
            ),
            SetupProblem::Unauthorized {
                account,
                view,
                message,
            } => (
                format!("Resource Explorer refused the view {view} in account {account} ({message})"),
                "check that the view is this account's and that its index exists (`aws resource-explorer-2 get-index`)".to_string(),
            ),
        }
    }
}

impl fmt::Display for SetupProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (what, fix) = self.parts();
        write!(f, "{what}: {fix}")
    }
}

/// How many listed resources' indexed tags differ from their current ones
/// (current tags always win).
pub fn stale_tags<'a>(pairs: impl IntoIterator<Item = (&'a Option<Tags>, &'a Tags)>) -> usize {
    pairs
        .into_iter()
        .filter(|(indexed, current)| indexed.as_ref().is_some_and(|t| t != *current))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn type_names_map_both_ways() {
        assert_eq!(
            explorer_types("elasticloadbalancing:loadbalancer"),
            [
                "elasticloadbalancing:loadbalancer",
                "elasticloadbalancing:loadbalancer/app",
                "elasticloadbalancing:loadbalancer/net",
                "elasticloadbalancing:loadbalancer/gwy"
            ]
        );
        assert_eq!(explorer_types("lambda:function"), ["lambda:function"]);
        assert_eq!(
            policy_type("elasticloadbalancing:loadbalancer/app"),
            "elasticloadbalancing:loadbalancer"
        );
        assert_eq!(policy_type("sns:topic"), "sns:topic");
    }

    #[test]
    fn natively_listed_types_are_not_explored() {
        let types = [
            "ec2:instance",
            "lambda:function",
            "s3:bucket",
            "dynamodb:table",
        ];
        assert_eq!(explored_types(types), ["dynamodb:table", "lambda:function"]);
    }

    #[test]
    fn one_listing_per_type_narrowed_as_the_scan_is() {
        let types = vec!["lambda:function".to_string()];
        assert_eq!(
            filter_strings(&types, None, None),
            ["resourcetype:lambda:function"]
        );
        let accounts = ["111111111111".to_string(), "222222222222".to_string()];
        let regions = ["eu-west-1".to_string()];
        assert_eq!(
            filter_strings(&types, Some(&accounts), Some(&regions)),
            [
                "resourcetype:lambda:function accountid:111111111111 region:eu-west-1",
                "resourcetype:lambda:function accountid:222222222222 region:eu-west-1"
            ]
        );
        let elb = vec!["elasticloadbalancing:loadbalancer".to_string()];
        assert_eq!(filter_strings(&elb, None, None).len(), 4);
    }

    #[test]
    fn listed_resources_and_their_tags() {
        let tags = json!([{"Key": "map-migrated", "Value": "migABCDE12345"}, {"Key": "empty"}]);
        let alb = Listed::of(
            Some("arn:aws:elasticloadbalancing:eu-west-1:111111111111:loadbalancer/app/web/1a2b"),
            Some("111111111111"),
            Some("eu-west-1"),
            Some("elasticloadbalancing:loadbalancer/app"),
            Some(&tags),
        )
        .unwrap();
        assert_eq!(alb.resource_type, "elasticloadbalancing:loadbalancer");
        assert_eq!(alb.account, "111111111111");
        let t = alb.tags.unwrap();
        assert_eq!(t["map-migrated"], "migABCDE12345");
        assert_eq!(t["empty"], "");
        let bucket = Listed::of(
            Some("arn:aws:s3:::logs"),
            Some("222222222222"),
            Some("us-east-1"),
            Some("s3:bucket"),
            None,
        )
        .unwrap();
        assert_eq!(
            (bucket.account.as_str(), bucket.region.as_str()),
            ("222222222222", "us-east-1")
        );
        assert_eq!(bucket.tags, None, "a view without tags");
        // Global resources are held in their partition's home region.
        for (arn, home) in [
            (
                "arn:aws:cloudfront::222222222222:distribution/E1",
                "us-east-1",
            ),
            ("arn:aws-cn:route53:::hostedzone/Z1", "cn-northwest-1"),
        ] {
            let global = Listed::of(Some(arn), Some("222222222222"), Some(GLOBAL), None, None);
            assert_eq!(global.unwrap().region, home, "{arn}");
        }
        let api = Listed::of(
            Some("arn:aws:apigateway:eu-west-1::/restapis/a1b2c3/stages/prod"),
            Some("222222222222"),
            Some("eu-west-1"),
            None,
            None,
        )
        .unwrap();
        assert_eq!(api.resource_type, "apigateway:restapis/stages");
        assert_eq!(api.account, "222222222222");
        let no_owner = Listed::of(Some("arn:aws:s3:::b"), None, None, None, None);
        assert_eq!(
            no_owner,
            Err(ListedError::NoAccount("arn:aws:s3:::b".into()))
        );
        assert_eq!(
            Listed::of(
                Some("arn:aws:sqs:us-east-1:1:q"),
                None,
                None,
                None,
                Some(&json!({"a": 1}))
            ),
            Err(ListedError::Tags("arn:aws:sqs:us-east-1:1:q".into()))
        );
        assert_eq!(
            Listed::of(None, None, None, None, None),
            Err(ListedError::NoArn)
        );
    }

    #[test]
    fn setup_problems_name_the_fix() {
        let cases = [
            (
                SetupProblem::NoIndex {
                    account: "111111111111".into(),
                    region: "us-east-1".into(),
                },
                "aws resource-explorer-2 create-index --region us-east-1",
            ),
            (
                SetupProblem::NoDefaultView {
                    account: "111111111111".into(),
                    region: "us-east-1".into(),
                },
                "associate-default-view",
            ),
            (
                SetupProblem::NoTags {
                    view: "arn:aws:resource-explorer-2:us-east-1:1:view/v/1".into(),
                },
                "--included-properties Name=tags",
            ),
            (
                SetupProblem::AccessDenied {
                    account: "111111111111".into(),
                    operation: "ListResources".into(),
                    message: "not authorized".into(),
                },
                "resource-explorer-2:Search, GetView, GetDefaultView and GetIndex",
            ),
            (
                SetupProblem::NotAggregator {
                    account: "1".into(),
                    region: "eu-west-1".into(),
                },
                "--type AGGREGATOR",
            ),
        ];
        for (problem, fix) in cases {
            let text = problem.to_string();
            assert!(text.contains(fix), "{text}");
        }
    }

    #[test]
    fn indexed_tags_that_changed_are_counted() {
        let a: Tags = [("k".to_string(), "v".to_string())].into();
        let b: Tags = Tags::new();
        let indexed = [Some(a.clone()), Some(a.clone()), None];
        let current = [a.clone(), b, a];
        assert_eq!(stale_tags(indexed.iter().zip(current.iter())), 1);
    }
}
