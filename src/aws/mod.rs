//! AWS access: one SDK configuration per account (assumed through the
//! configured role), clients per region with their own retry partition, and
//! every request through the shared rate limiter (`limiter::Api`).

pub mod limiter;

use aws_config::meta::region::RegionProviderChain;
use aws_config::retry::RetryConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sdk_ec2::config::retry::RetryPartition;
pub use limiter::{Api, AwsError, CountRetries};
use std::sync::Arc;

/// Attempts the SDK makes per request (throttling and transient errors),
/// before `Api::call` adds its own longer backoff for throttling.
const SDK_MAX_ATTEMPTS: u32 = 4;

/// Every page of a paginated list API: `fetch` gets the page of a token and
/// returns its items and the next token (absent or empty on the last page).
pub async fn all_pages<T, F, Fut>(mut fetch: F) -> Result<Vec<T>, AwsError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<T>, Option<String>), AwsError>>,
{
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let (items, next) = fetch(token.take()).await?;
        out.extend(items);
        match next.filter(|t| !t.is_empty()) {
            Some(t) => token = Some(t),
            None => return Ok(out),
        }
    }
}

/// The process-wide AWS context: base credentials, endpoint and rate limiter.
pub struct Aws {
    base: SdkConfig,
    pub api: Arc<Api>,
    /// Set when an emulator or custom endpoint is used (path-style S3 then).
    custom_endpoint: bool,
}

/// The AWS partition of a region, for ARNs.
pub fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

impl Aws {
    /// Load credentials and region from the standard chain. `endpoint_url`
    /// (from the configuration) wins over `AWS_ENDPOINT_URL`, which the SDK
    /// reads by itself; either points every client, STS included, at it.
    pub async fn connect(endpoint_url: Option<&str>, requests_per_second: u32) -> Aws {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(RegionProviderChain::default_provider().or_else(Region::new("us-east-1")))
            .retry_config(RetryConfig::standard().with_max_attempts(SDK_MAX_ATTEMPTS));
        if let Some(url) = endpoint_url {
            loader = loader.endpoint_url(url);
        }
        let base = loader.load().await;
        let custom_endpoint = endpoint_url.is_some()
            || std::env::var_os("AWS_ENDPOINT_URL").is_some()
            || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some();
        Aws {
            base,
            api: Arc::new(Api::new(requests_per_second)),
            custom_endpoint,
        }
    }

    /// The region the credentials chain names (default `us-east-1`).
    pub fn default_region(&self) -> String {
        self.base
            .region()
            .map(|r| r.to_string())
            .unwrap_or_else(|| "us-east-1".into())
    }

    /// The account the credentials belong to.
    pub async fn caller_account(&self) -> Result<String, AwsError> {
        let sts = aws_sdk_sts::Client::from_conf(
            aws_sdk_sts::config::Builder::from(&self.base)
                .interceptor(CountRetries(self.api.clone()))
                .build(),
        );
        let out = self
            .api
            .call("caller", "global", "sts:GetCallerIdentity", || {
                sts.get_caller_identity().send()
            })
            .await?;
        out.account().map(str::to_string).ok_or_else(|| AwsError {
            operation: "sts:GetCallerIdentity",
            code: None,
            message: "the response names no account".into(),
        })
    }

    /// Active accounts of the organization (`organizations:ListAccounts`).
    pub async fn organization_accounts(&self) -> Result<Vec<(String, String)>, AwsError> {
        let org = aws_sdk_organizations::Client::from_conf(
            aws_sdk_organizations::config::Builder::from(&self.base)
                .interceptor(CountRetries(self.api.clone()))
                .build(),
        );
        let api = &self.api;
        all_pages(|token| {
            let org = &org;
            async move {
                let page = api
                    .call("caller", "global", "organizations:ListAccounts", || {
                        org.list_accounts().set_next_token(token.clone()).send()
                    })
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

    /// A session in `account`: the base credentials when they belong to it,
    /// else the configured role, assumed now so that a failure is reported
    /// once per account rather than once per request.
    pub async fn session(
        &self,
        account: &str,
        caller: &str,
        role: Option<&str>,
        external_id: Option<&str>,
    ) -> Result<AccountSession, AwsError> {
        let config = if account == caller {
            self.base.clone()
        } else {
            let Some(role) = role else {
                return Err(AwsError {
                    operation: "sts:AssumeRole",
                    code: None,
                    message: format!("account {account} is not the credentials' own ({caller}) and no `accounts.role` is configured to assume in it"),
                });
            };
            let region = self.default_region();
            let role_arn = format!("arn:{}:iam::{account}:role/{role}", partition_of(&region));
            let mut builder = AssumeRoleProvider::builder(role_arn.clone())
                .session_name("tagwarden")
                .configure(&self.base);
            if let Some(id) = external_id {
                builder = builder.external_id(id);
            }
            let provider = builder.build().await;
            self.api.acquire(account, "global", "sts:AssumeRole").await;
            provider.provide_credentials().await.map_err(|e| AwsError {
                operation: "sts:AssumeRole",
                code: None,
                message: format!(
                    "cannot assume {role_arn}: {}",
                    aws_smithy_types::error::display::DisplayErrorContext(&e)
                ),
            })?;
            self.base
                .to_builder()
                .credentials_provider(SharedCredentialsProvider::new(provider))
                .build()
        };
        Ok(AccountSession {
            account: account.to_string(),
            config,
            custom_endpoint: self.custom_endpoint,
            api: self.api.clone(),
        })
    }
}

/// Clients for one account. Each (account, region) gets its own retry
/// partition: AWS throttles per account and region, so throttling in one must
/// not use up the retry budget of the others.
#[derive(Clone)]
pub struct AccountSession {
    pub account: String,
    config: SdkConfig,
    custom_endpoint: bool,
    /// For the interceptor that counts the SDK's own retries.
    api: Arc<Api>,
}

impl AccountSession {
    fn partition(&self, region: &str) -> RetryPartition {
        RetryPartition::new(format!("tagwarden-{}-{region}", self.account))
    }

    pub fn ec2(&self, region: &str) -> aws_sdk_ec2::Client {
        let conf = aws_sdk_ec2::config::Builder::from(&self.config)
            .region(Region::new(region.to_string()))
            .retry_partition(self.partition(region))
            .interceptor(CountRetries(self.api.clone()))
            .build();
        aws_sdk_ec2::Client::from_conf(conf)
    }

    pub fn rds(&self, region: &str) -> aws_sdk_rds::Client {
        let conf = aws_sdk_rds::config::Builder::from(&self.config)
            .region(Region::new(region.to_string()))
            .retry_partition(self.partition(region))
            .interceptor(CountRetries(self.api.clone()))
            .build();
        aws_sdk_rds::Client::from_conf(conf)
    }

    pub fn s3(&self, region: &str) -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::config::Builder::from(&self.config)
            .region(Region::new(region.to_string()))
            .retry_partition(self.partition(region))
            .interceptor(CountRetries(self.api.clone()))
            .force_path_style(self.custom_endpoint)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    pub fn tagging(&self, region: &str) -> aws_sdk_resourcegroupstagging::Client {
        let conf = aws_sdk_resourcegroupstagging::config::Builder::from(&self.config)
            .region(Region::new(region.to_string()))
            .retry_partition(self.partition(region))
            .interceptor(CountRetries(self.api.clone()))
            .build();
        aws_sdk_resourcegroupstagging::Client::from_conf(conf)
    }
}
