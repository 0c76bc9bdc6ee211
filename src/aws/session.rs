//! A session per account: the base credentials when they belong to it, else
//! the configured role, assumed once now (so that a failure is reported once
//! per account) and again only when those credentials near expiry.

use super::{partition_of, Api, Aws, AwsError, CountRetries, Quota, Zone};
use aws_config::identity::IdentityCache;
use aws_config::sts::AssumeRoleProvider;
use aws_config::{Region, SdkConfig};
use aws_credential_types::provider::{future, ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use aws_sdk_ec2::config::retry::RetryPartition;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

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

impl Aws {
    /// A session in `account` (`caller`: the credentials' own account).
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
            let provider = self.assume(account, caller, role, external_id).await?;
            // A cache of its own: the base configuration's is shared by every
            // account and keeps at most 64 providers, evicting at random, so
            // past 64 accounts sessions would assume their roles again.
            self.base
                .to_builder()
                .credentials_provider(SharedCredentialsProvider::new(provider))
                .identity_cache(IdentityCache::lazy().build())
                .build()
        };
        Ok(AccountSession {
            account: account.to_string(),
            config,
            custom_endpoint: self.custom_endpoint,
            api: self.api.clone(),
        })
    }

    async fn assume(
        &self,
        account: &str,
        caller: &str,
        role: Option<&str>,
        external_id: Option<&str>,
    ) -> Result<Prefetched, AwsError> {
        let Some(role) = role else {
            return Err(AwsError {
                operation: "sts:AssumeRole",
                code: None,
                message: format!("account {account} is not the credentials' own ({caller}) and no `accounts.role` is configured to assume in it"),
            });
        };
        let region = self.default_region();
        let role_arn =
            tagwarden_core::iam::principal::role_arn(partition_of(&region), account, role);
        let mut builder = AssumeRoleProvider::builder(role_arn.clone())
            .session_name("tagwarden")
            .configure(&self.base);
        if let Some(id) = external_id {
            builder = builder.external_id(id);
        }
        let provider = builder.build().await;
        self.api
            .acquire(Quota::Account(account, Zone::Global), "sts:AssumeRole")
            .await;
        let first = provider.provide_credentials().await.map_err(|e| AwsError {
            operation: "sts:AssumeRole",
            code: None,
            message: format!(
                "cannot assume {role_arn}: {}",
                aws_smithy_types::error::display::DisplayErrorContext(&e)
            ),
        })?;
        Ok(Prefetched {
            first: Arc::new(Mutex::new(Some(first))),
            inner: Arc::new(provider),
            api: self.api.clone(),
            account: account.to_string(),
        })
    }
}

/// The role's credentials, fetched once up front and handed to the first
/// request, so that the SDK's credential cache does not assume the role a
/// second time; later refreshes go to STS (and are counted).
#[derive(Clone, Debug)]
struct Prefetched {
    first: Arc<Mutex<Option<Credentials>>>,
    inner: Arc<AssumeRoleProvider>,
    api: Arc<Api>,
    account: String,
}

/// Credentials this close to expiry are not handed out.
const EXPIRY_MARGIN: Duration = Duration::from_secs(300);

impl ProvideCredentials for Prefetched {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        let first = self.first.lock().expect("prefetched credentials").take();
        let fresh = first.filter(|c| {
            c.expiry()
                .is_none_or(|e| e > SystemTime::now() + EXPIRY_MARGIN)
        });
        future::ProvideCredentials::new(async move {
            if let Some(c) = fresh {
                return Ok(c);
            }
            self.api
                .acquire(
                    Quota::Account(&self.account, Zone::Global),
                    "sts:AssumeRole",
                )
                .await;
            self.inner.provide_credentials().await
        })
    }
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

    pub fn autoscaling(&self, region: &str) -> aws_sdk_autoscaling::Client {
        let conf = aws_sdk_autoscaling::config::Builder::from(&self.config)
            .region(Region::new(region.to_string()))
            .retry_partition(self.partition(region))
            .interceptor(CountRetries(self.api.clone()))
            .build();
        aws_sdk_autoscaling::Client::from_conf(conf)
    }

    pub fn ecs(&self, region: &str) -> aws_sdk_ecs::Client {
        let conf = aws_sdk_ecs::config::Builder::from(&self.config)
            .region(Region::new(region.to_string()))
            .retry_partition(self.partition(region))
            .interceptor(CountRetries(self.api.clone()))
            .build();
        aws_sdk_ecs::Client::from_conf(conf)
    }

    /// Resource Explorer in this account (a view of its own, `scope: account`).
    pub fn resource_explorer(&self, region: &str) -> aws_sdk_resourceexplorer2::Client {
        let conf = aws_sdk_resourceexplorer2::config::Builder::from(&self.config)
            .region(Region::new(region.to_string()))
            .retry_partition(self.partition(region))
            .interceptor(CountRetries(self.api.clone()))
            .build();
        aws_sdk_resourceexplorer2::Client::from_conf(conf)
    }

    /// Application Migration Service in this account (`inventory.mgn`,
    /// `scope: account`).
    pub fn mgn(&self, region: &str) -> aws_sdk_mgn::Client {
        let conf = aws_sdk_mgn::config::Builder::from(&self.config)
            .region(Region::new(region.to_string()))
            .retry_partition(self.partition(region))
            .interceptor(CountRetries(self.api.clone()))
            .build();
        aws_sdk_mgn::Client::from_conf(conf)
    }

    /// IAM in this account (global; `doctor` simulates the role's policy).
    pub fn iam(&self) -> aws_sdk_iam::Client {
        let conf = aws_sdk_iam::config::Builder::from(&self.config)
            .interceptor(CountRetries(self.api.clone()))
            .build();
        aws_sdk_iam::Client::from_conf(conf)
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
