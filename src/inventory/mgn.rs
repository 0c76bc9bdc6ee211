//! AWS Application Migration Service (MGN): an account's waves,
//! applications, source servers with their launch settings, and launch
//! configuration templates, in one region. Read through the account's own
//! role, or through MGN's global view from the credentials' own account
//! (`accountID` on each call). An account or region where MGN was never
//! initialized simply has none.

use super::ec2::{parsed, tags_of as ec2_tags};
use crate::aws::{all_pages, Api, AwsError, Quota, Zone};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use futures::stream::{self, StreamExt, TryStreamExt};
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use tagwarden_core::mgn::{
    Application, Estate, LaunchSettings, LaunchTemplate, LifeCycle, Place, SourceServer, Wave,
};
use tagwarden_core::Tags;

/// MGN answers this where it was never initialized.
const UNINITIALIZED: &str = "UninitializedAccountException";

/// At most this many launch settings are read at once per account and
/// region (the limiter paces them; this bounds what waits in memory).
const CONCURRENT_READS: usize = 8;

/// What a scan needs of MGN.
#[derive(Debug, Clone, Copy)]
pub struct Want<'a> {
    /// `--wave`: only these waves' servers (by name or ID); all when empty.
    pub waves: &'a [String],
    /// The launch configuration templates (when a policy names them).
    pub templates: bool,
}

/// How one account's MGN is reached.
pub struct Reader<'a> {
    pub api: &'a Api,
    pub client: aws_sdk_mgn::Client,
    /// The EC2 client of the account's region, for the launch templates
    /// MGN launches with; None: not read.
    pub ec2: Option<aws_sdk_ec2::Client>,
    pub place: Place,
    /// MGN's global view: the managed account's id, sent as `accountID`
    /// by the credentials' own account (whose quota it draws on).
    pub via_global_view: bool,
}

impl Reader<'_> {
    fn quota(&self) -> Quota<'_> {
        if self.via_global_view {
            Quota::Caller(Zone::Region(&self.place.region))
        } else {
            Quota::at(&self.place.account, &self.place.region)
        }
    }

    fn account_id(&self) -> Option<String> {
        self.via_global_view.then(|| self.place.account.clone())
    }

    /// What MGN holds here that `want` asks for, archived objects left
    /// out; empty where MGN is not initialized. Launch settings are read
    /// only for the servers of the waves wanted.
    pub async fn estate(&self, want: Want<'_>) -> Result<Estate, AwsError> {
        let waves = match self.waves().await {
            Err(e) if e.code.as_deref() == Some(UNINITIALIZED) => {
                tracing::debug!(account = %self.place.account, region = %self.place.region, "MGN is not initialized here: no waves");
                return Ok(Estate::default());
            }
            other => other?,
        };
        let listed = Estate {
            waves,
            applications: self.applications().await?,
            servers: self.servers().await?,
            templates: Vec::new(),
        };
        let mut estate = listed.only_waves(want.waves);
        estate.servers = self.with_launches(estate.servers).await?;
        if want.templates {
            estate.templates = self.templates().await?;
        }
        Ok(estate)
    }

    async fn waves(&self) -> Result<Vec<Wave>, AwsError> {
        let items = every(
            self.api,
            self.quota(),
            "mgn:ListWaves",
            |token, size| {
                self.client
                    .list_waves()
                    .filters(
                        aws_sdk_mgn::types::ListWavesRequestFilters::builder()
                            .is_archived(false)
                            .build(),
                    )
                    .set_account_id(self.account_id())
                    .max_results(size)
                    .set_next_token(token)
                    .send()
            },
            |page| (page.items().to_vec(), page.next_token().map(str::to_string)),
        )
        .await?;
        Ok(items
            .into_iter()
            .filter(|w| w.is_archived() != Some(true))
            .filter_map(|w| {
                Some(Wave {
                    id: w.wave_id()?.to_string(),
                    name: w.name().unwrap_or_default().to_string(),
                    arn: w.arn().and_then(parsed),
                    place: self.place.clone(),
                })
            })
            .collect())
    }

    async fn applications(&self) -> Result<Vec<Application>, AwsError> {
        let items = every(
            self.api,
            self.quota(),
            "mgn:ListApplications",
            |token, size| {
                self.client
                    .list_applications()
                    .filters(
                        aws_sdk_mgn::types::ListApplicationsRequestFilters::builder()
                            .is_archived(false)
                            .build(),
                    )
                    .set_account_id(self.account_id())
                    .max_results(size)
                    .set_next_token(token)
                    .send()
            },
            |page| (page.items().to_vec(), page.next_token().map(str::to_string)),
        )
        .await?;
        Ok(items
            .into_iter()
            .filter(|a| a.is_archived() != Some(true))
            .filter_map(|a| {
                Some(Application {
                    id: a.application_id()?.to_string(),
                    name: a.name().unwrap_or_default().to_string(),
                    wave_id: a.wave_id().map(str::to_string),
                    place: self.place.clone(),
                })
            })
            .collect())
    }

    /// The unarchived source servers, their launch settings not read yet.
    async fn servers(&self) -> Result<Vec<SourceServer>, AwsError> {
        let items = every(
            self.api,
            self.quota(),
            "mgn:DescribeSourceServers",
            |token, size| {
                self.client
                    .describe_source_servers()
                    .filters(
                        aws_sdk_mgn::types::DescribeSourceServersRequestFilters::builder()
                            .is_archived(false)
                            .build(),
                    )
                    .set_account_id(self.account_id())
                    .max_results(size)
                    .set_next_token(token)
                    .send()
            },
            |page| (page.items().to_vec(), page.next_token().map(str::to_string)),
        )
        .await?;
        Ok(items
            .iter()
            .filter(|s| s.is_archived() != Some(true))
            .filter_map(|s| self.server(s))
            .collect())
    }

    /// Each server with its launch settings (one `GetLaunchConfiguration`
    /// each: MGN has no batch form) and, where MAP auto-tagging alone does
    /// not write the MAP tag, the tags its EC2 launch template writes.
    async fn with_launches(
        &self,
        servers: Vec<SourceServer>,
    ) -> Result<Vec<SourceServer>, AwsError> {
        stream::iter(servers)
            .map(|s| self.with_launch(s))
            .buffered(CONCURRENT_READS)
            .try_collect()
            .await
    }

    fn server(&self, s: &aws_sdk_mgn::types::SourceServer) -> Option<SourceServer> {
        Some(SourceServer {
            id: s.source_server_id()?.to_string(),
            arn: s.arn().and_then(parsed)?,
            place: self.place.clone(),
            hostname: s
                .source_properties()
                .and_then(|p| p.identification_hints())
                .and_then(|h| h.hostname())
                .map(str::to_string),
            application_id: s.application_id().map(str::to_string),
            state: s
                .life_cycle()
                .and_then(|l| l.state())
                .map_or(LifeCycle::Other("unknown".into()), |st| {
                    LifeCycle::parse(st.as_str())
                }),
            tags: own_tags(s.tags()),
            launched_instance: s
                .launched_instance()
                .and_then(|l| l.ec2_instance_id())
                .map(str::to_string),
            launch: Err("not read".into()),
            template_tags: None,
        })
    }

    /// A server with its launch settings; one that cannot be read is
    /// `unknown` (never taken as writing nothing), but a denied read fails
    /// the whole region (it would fail for every server alike).
    async fn with_launch(&self, mut s: SourceServer) -> Result<SourceServer, AwsError> {
        match self.launch_and_template(&s.id).await {
            Ok((launch, template_tags)) => {
                s.launch = Ok(launch);
                s.template_tags = template_tags;
            }
            Err(e) if e.is_access_denied() => return Err(e),
            Err(e) => {
                tracing::warn!(server = %s.id, error = %e, "cannot read the server's launch settings: it is unknown");
                s.launch = Err(e.to_string());
            }
        }
        Ok(s)
    }

    /// A server's launch settings and, where MAP auto-tagging alone does
    /// not write the MAP tag, the tags its EC2 launch template writes.
    async fn launch_and_template(
        &self,
        server_id: &str,
    ) -> Result<(LaunchSettings, Option<Tags>), AwsError> {
        let launch = self.launch(server_id).await?;
        let template = match (&self.ec2, &launch.ec2_launch_template) {
            (Some(ec2), Some(t)) if launch.map_value().is_none() => {
                match launch_template_tags(self.api, ec2, &self.place, t).await {
                    // Gone: the launch writes none of its tags.
                    Err(e) if e.code.as_deref().is_some_and(|c| c.contains(".NotFound")) => {
                        Some(Tags::default())
                    }
                    read => Some(read?),
                }
            }
            _ => None,
        };
        Ok((launch, template))
    }

    /// A server's launch settings.
    pub async fn launch(&self, server_id: &str) -> Result<LaunchSettings, AwsError> {
        let out = self
            .api
            .call(self.quota(), "mgn:GetLaunchConfiguration", || {
                self.client
                    .get_launch_configuration()
                    .source_server_id(server_id)
                    .set_account_id(self.account_id())
                    .send()
            })
            .await?;
        Ok(LaunchSettings {
            map_auto_tagging: out.enable_map_auto_tagging() == Some(true),
            mpe_id: out.map_auto_tagging_mpe_id().map(str::to_string),
            copy_tags: out.copy_tags() == Some(true),
            ec2_launch_template: out.ec2_launch_template_id().map(str::to_string),
        })
    }

    /// The launch configuration templates. MGN's global view does not
    /// reach them (the call takes no `accountID`): they are read through
    /// the account's role, or not at all.
    pub async fn templates(&self) -> Result<Vec<LaunchTemplate>, AwsError> {
        if self.via_global_view {
            return Ok(Vec::new());
        }
        let items = every(
            self.api,
            self.quota(),
            "mgn:DescribeLaunchConfigurationTemplates",
            |token, size| {
                self.client
                    .describe_launch_configuration_templates()
                    .max_results(size)
                    .set_next_token(token)
                    .send()
            },
            |page| (page.items().to_vec(), page.next_token().map(str::to_string)),
        )
        .await?;
        Ok(items
            .iter()
            .filter_map(|t| {
                Some(LaunchTemplate {
                    id: t.launch_configuration_template_id().to_string(),
                    arn: t.arn().and_then(parsed)?,
                    place: self.place.clone(),
                    tags: own_tags(t.tags()),
                    launch: LaunchSettings {
                        map_auto_tagging: t.enable_map_auto_tagging() == Some(true),
                        mpe_id: t.map_auto_tagging_mpe_id().map(str::to_string),
                        copy_tags: t.copy_tags() == Some(true),
                        ec2_launch_template: t.ec2_launch_template_id().map(str::to_string),
                    },
                })
            })
            .collect())
    }
}

/// Every page of one MGN list (1,000 items a page, MGN's largest):
/// `send(token, page size)` sends one request, `split` takes its items and
/// the next token.
async fn every<T, O, E, R, F, Fut>(
    api: &Api,
    quota: Quota<'_>,
    operation: &'static str,
    send: F,
    split: fn(&O) -> (Vec<T>, Option<String>),
) -> Result<Vec<T>, AwsError>
where
    T: PartialEq,
    F: Fn(Option<String>, i32) -> Fut,
    Fut: Future<Output = Result<O, SdkError<E, R>>>,
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let size = api.page_size(1000, 1);
    let send = &send;
    all_pages(|token| async move {
        let page = api
            .call(quota, operation, || send(token.clone(), size))
            .await?;
        Ok(split(&page))
    })
    .await
}

fn own_tags(tags: Option<&HashMap<String, String>>) -> Tags {
    tags.map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

/// The tags an EC2 launch template's default version writes on instances
/// and volumes alike (MGN launches with its default version).
async fn launch_template_tags(
    api: &Api,
    ec2: &aws_sdk_ec2::Client,
    place: &Place,
    template: &str,
) -> Result<Tags, AwsError> {
    let out = api
        .call(
            Quota::at(&place.account, &place.region),
            "ec2:DescribeLaunchTemplateVersions",
            || {
                ec2.describe_launch_template_versions()
                    .launch_template_id(template)
                    .versions("$Default")
                    .send()
            },
        )
        .await?;
    let mut by_type: BTreeMap<String, Tags> = BTreeMap::new();
    for spec in out
        .launch_template_versions()
        .iter()
        .filter_map(|v| v.launch_template_data())
        .flat_map(|d| d.tag_specifications())
    {
        if let Some(t) = spec.resource_type() {
            by_type
                .entry(t.as_str().to_string())
                .or_default()
                .extend(ec2_tags(spec.tags()));
        }
    }
    let (instance, volume) = (
        by_type.remove("instance").unwrap_or_default(),
        by_type.remove("volume").unwrap_or_default(),
    );
    Ok(instance
        .into_iter()
        .filter(|(k, v)| volume.get(k) == Some(v))
        .collect())
}

/// The accounts MGN's global view manages from the credentials' own
/// account, in `region`.
pub async fn managed_accounts(
    api: &Api,
    client: &aws_sdk_mgn::Client,
    region: &str,
) -> Result<Vec<String>, AwsError> {
    let items = every(
        api,
        Quota::Caller(Zone::Region(region)),
        "mgn:ListManagedAccounts",
        |token, size| {
            client
                .list_managed_accounts()
                .max_results(size)
                .set_next_token(token)
                .send()
        },
        |page| (page.items().to_vec(), page.next_token().map(str::to_string)),
    )
    .await?;
    Ok(items
        .iter()
        .filter_map(|a| a.account_id().map(str::to_string))
        .collect())
}
