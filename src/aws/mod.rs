//! AWS access: the process-wide context (base credentials, one HTTPS
//! client, the rate limiter), one session per account (assumed through the
//! configured role) and clients per region with their own retry partition.
//! Every request goes through `limiter::Api::call`.

mod http;
pub mod identity;
pub mod limiter;
mod pages;
pub mod rates;
mod session;

pub use limiter::{Api, AwsError, CountRetries, Quota, Requests, Zone};
pub use pages::all_pages;
pub use session::AccountSession;

use aws_config::meta::region::RegionProviderChain;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{AppName, BehaviorVersion, Region, SdkConfig};
use std::sync::Arc;
use std::time::Duration;
use tagwarden_core::config::Config;

/// Attempts the SDK makes per request (throttling and transient errors),
/// before `Api::call` adds its own longer backoff for throttling.
const SDK_MAX_ATTEMPTS: u32 = 4;

/// The SDK waits for ever by default: an endpoint that accepts a connection
/// and never answers would hang a run (and a daemon's cycle). A page of a
/// list API takes seconds at most; a minute per attempt is generous.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(60);

/// Caps every list request's page size (never below an API's minimum), so
/// that tests cross page boundaries with a handful of resources.
pub const PAGE_SIZE_ENV: &str = "TAGWARDEN_PAGE_SIZE";

/// The SDK's app name: `app/tagwarden` in every request's user agent.
pub const APP_NAME: &str = "tagwarden";

pub use tagwarden_core::resource::partition_of;

/// The process-wide AWS context: base credentials, endpoint and rate limiter.
pub struct Aws {
    base: SdkConfig,
    pub api: Arc<Api>,
    /// Set when an emulator or custom endpoint is used (path-style S3 then).
    custom_endpoint: bool,
    /// `aws.endpoint_url`, if configured.
    endpoint: Option<String>,
    /// The credentials' account, once asked.
    caller: std::sync::OnceLock<String>,
    /// Their ARN (`sts:GetCallerIdentity`), once asked.
    caller_arn: std::sync::OnceLock<String>,
    /// The provider of the standard chain that gave them (its name in the
    /// SDK: `EnvironmentVariable`, `ProfileFile`, `IMDSv2` …).
    source: std::sync::OnceLock<String>,
}

impl Aws {
    /// Load credentials and region from the standard chain. The
    /// configuration's `aws.endpoint_url` wins over `AWS_ENDPOINT_URL`,
    /// which the SDK reads by itself; either points every client, STS
    /// included, at it.
    pub async fn connect(config: &Config) -> Aws {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            // Every request says `app/tagwarden` in its user agent, so
            // CloudTrail tells tagwarden's own changes (a rollback's
            // removals) from everyone else's.
            .app_name(AppName::new(APP_NAME).expect("a valid app name"))
            .region(RegionProviderChain::default_provider().or_else(Region::new("us-east-1")))
            .retry_config(RetryConfig::standard().with_max_attempts(SDK_MAX_ATTEMPTS))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(CONNECT_TIMEOUT)
                    .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                    .build(),
            )
            .http_client(http::shared_client());
        if let Some(url) = &config.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        let base = loader.load().await;
        let custom_endpoint = config.endpoint_url.is_some()
            || std::env::var_os("AWS_ENDPOINT_URL").is_some()
            || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some();
        let page_limit = std::env::var(PAGE_SIZE_ENV)
            .ok()
            .and_then(|v| v.parse().ok());
        let api = Api::new(config.requests_per_second).with_page_limit(page_limit);
        Aws {
            base,
            api: Arc::new(api),
            custom_endpoint,
            endpoint: config.endpoint_url.clone(),
            caller: std::sync::OnceLock::new(),
            caller_arn: std::sync::OnceLock::new(),
            source: std::sync::OnceLock::new(),
        }
    }

    /// Connect, and make sure of the credentials before anything else:
    /// the chain must give some and STS must accept them. A command that
    /// cannot do either stops here with one line that says what to do.
    pub async fn connect_identified(config: &Config) -> Result<Aws, identity::Unidentified> {
        let aws = Aws::connect(config).await;
        aws.identify().await?;
        Ok(aws)
    }

    /// The credentials' account, or why there is none in one line (once
    /// known, not asked again).
    pub async fn identify(&self) -> Result<String, identity::Unidentified> {
        use aws_credential_types::provider::ProvideCredentials;
        if let Some(account) = self.caller.get() {
            return Ok(account.clone());
        }
        let chain = identity::Chain::from_env(self.endpoint.as_deref());
        let Some(provider) = self.base.credentials_provider() else {
            let none = aws_credential_types::provider::error::CredentialsError::not_loaded(
                "no credentials provider",
            );
            return Err(identity::no_credentials(&none, &chain));
        };
        match provider.provide_credentials().await {
            Ok(credentials) => {
                let _ = self.source.set(identity::provider_name(&credentials));
            }
            Err(e) => {
                tracing::debug!(
                    target: "aws_config",
                    "credentials: {}",
                    aws_smithy_types::error::display::DisplayErrorContext(&e)
                );
                return Err(identity::no_credentials(&e, &chain));
            }
        }
        self.caller_account().await.map_err(|e| {
            tracing::debug!(target: "aws_config", "sts:GetCallerIdentity: {}", e.message);
            identity::caller_refused(&e, &chain)
        })
    }

    /// The region the credentials chain names (default `us-east-1`).
    pub fn default_region(&self) -> String {
        self.base
            .region()
            .map(|r| r.to_string())
            .unwrap_or_else(|| "us-east-1".into())
    }

    /// The account the credentials belong to (asked once).
    pub async fn caller_account(&self) -> Result<String, AwsError> {
        if let Some(account) = self.caller.get() {
            return Ok(account.clone());
        }
        let sts = aws_sdk_sts::Client::from_conf(
            aws_sdk_sts::config::Builder::from(&self.base)
                .interceptor(CountRetries(self.api.clone()))
                .build(),
        );
        let out = self
            .api
            .call(Quota::Caller(Zone::Global), "sts:GetCallerIdentity", || {
                sts.get_caller_identity().send()
            })
            .await?;
        let account = out.account().map(str::to_string).ok_or_else(|| AwsError {
            operation: "sts:GetCallerIdentity",
            code: None,
            message: "the response names no account".into(),
        })?;
        if let Some(arn) = out.arn() {
            let _ = self.caller_arn.set(arn.to_string());
        }
        Ok(self.caller.get_or_init(|| account).clone())
    }

    /// The credentials' ARN and the chain's provider that gave them, once
    /// `identify` has succeeded.
    pub fn caller_details(&self) -> (Option<&str>, Option<&str>) {
        (
            self.caller_arn.get().map(String::as_str),
            self.source.get().map(String::as_str),
        )
    }

    /// IAM with the base credentials (global; `doctor` simulates the
    /// credentials' own policy).
    pub fn iam(&self) -> aws_sdk_iam::Client {
        aws_sdk_iam::Client::from_conf(
            aws_sdk_iam::config::Builder::from(&self.base)
                .interceptor(CountRetries(self.api.clone()))
                .build(),
        )
    }

    /// An S3 client with the base credentials, in the default region (for
    /// billing exports).
    pub fn s3(&self) -> aws_sdk_s3::Client {
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&self.base)
                .force_path_style(self.custom_endpoint)
                .interceptor(CountRetries(self.api.clone()))
                .build(),
        )
    }

    /// An SQS client for a queue of the scanner's account, in the queue's
    /// region when its URL names one.
    pub fn sqs(&self, region: Option<&str>) -> aws_sdk_sqs::Client {
        let mut b = aws_sdk_sqs::config::Builder::from(&self.base)
            .interceptor(CountRetries(self.api.clone()));
        if let Some(r) = region {
            b = b.region(Region::new(r.to_string()));
        }
        aws_sdk_sqs::Client::from_conf(b.build())
    }

    /// A Resource Explorer client with the base credentials (an
    /// organization-wide view is the caller's own), in the index's region.
    pub fn resource_explorer(&self, region: &str) -> aws_sdk_resourceexplorer2::Client {
        aws_sdk_resourceexplorer2::Client::from_conf(
            aws_sdk_resourceexplorer2::config::Builder::from(&self.base)
                .region(Region::new(region.to_string()))
                .interceptor(CountRetries(self.api.clone()))
                .build(),
        )
    }

    /// An Application Migration Service client with the base credentials:
    /// MGN's global view (`inventory.mgn.scope: organization`) is the
    /// management or delegated administrator account's own.
    pub fn mgn(&self, region: &str) -> aws_sdk_mgn::Client {
        aws_sdk_mgn::Client::from_conf(
            aws_sdk_mgn::config::Builder::from(&self.base)
                .region(Region::new(region.to_string()))
                .interceptor(CountRetries(self.api.clone()))
                .build(),
        )
    }

    /// A Cost Explorer client: one endpoint for the whole partition, in
    /// us-east-1, answering for the payer's whole bill.
    pub fn cost_explorer(&self) -> aws_sdk_costexplorer::Client {
        aws_sdk_costexplorer::Client::from_conf(
            aws_sdk_costexplorer::config::Builder::from(&self.base)
                .region(Region::new("us-east-1"))
                .interceptor(CountRetries(self.api.clone()))
                .build(),
        )
    }

    /// Active accounts of the organization (`organizations:ListAccounts`).
    pub async fn organization_accounts(&self) -> Result<Vec<(String, String)>, AwsError> {
        let org = aws_sdk_organizations::Client::from_conf(
            aws_sdk_organizations::config::Builder::from(&self.base)
                .interceptor(CountRetries(self.api.clone()))
                .build(),
        );
        let api = &self.api;
        let page_size = api.page_size(20, 1);
        all_pages(|token| {
            let org = &org;
            async move {
                let page = api
                    .call(
                        Quota::Caller(Zone::Global),
                        "organizations:ListAccounts",
                        || {
                            org.list_accounts()
                                .max_results(page_size)
                                .set_next_token(token.clone())
                                .send()
                        },
                    )
                    .await?;
                let active = page
                    .accounts()
                    .iter()
                    .filter(|a| a.status().is_none_or(|s| s.as_str() == "ACTIVE"))
                    .filter_map(|a| {
                        Some((
                            a.id()?.to_string(),
                            a.name().unwrap_or_default().to_string(),
                        ))
                    })
                    .collect();
                Ok((active, page.next_token().map(str::to_string)))
            }
        })
        .await
    }
}
