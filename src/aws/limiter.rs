//! Every AWS request goes through `Api::call`: one process-wide rate limiter
//! keyed by (account, region, API), a count of every request made, and a
//! further backoff when AWS keeps throttling after the SDK's own retries.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::collections::BTreeMap;
use std::future::Future;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

/// Throttling error codes, in every spelling AWS services use.
pub const THROTTLING_CODES: &[&str] = &[
    "ThrottlingException",
    "ThrottledException",
    "Throttling",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "RequestThrottled",
    "RequestThrottledException",
    "SlowDown",
    "EC2ThrottledException",
    "ProvisionedThroughputExceededException",
];

pub fn is_throttling(code: Option<&str>) -> bool {
    code.is_some_and(|c| THROTTLING_CODES.contains(&c))
}

/// How many more times a throttled request is retried once the SDK's own
/// retries are spent, and the first pause (doubled each time).
const EXTRA_THROTTLE_RETRIES: u32 = 4;
const FIRST_BACKOFF: Duration = Duration::from_millis(500);

/// A failed AWS request, with the operation that failed.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{operation}: {message}")]
pub struct AwsError {
    pub operation: &'static str,
    pub code: Option<String>,
    pub message: String,
}

impl AwsError {
    pub fn from_sdk<E, R>(operation: &'static str, err: &SdkError<E, R>) -> AwsError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        let code = err.code().map(str::to_string);
        let message = match (&code, err.message()) {
            (Some(c), Some(m)) => format!("{c}: {m}"),
            (Some(c), None) => c.clone(),
            _ => DisplayErrorContext(err).to_string(),
        };
        AwsError {
            operation,
            code,
            message,
        }
    }

    pub fn is_throttling(&self) -> bool {
        is_throttling(self.code.as_deref())
    }
}

type Key = (String, String, &'static str);

pub struct Api {
    limiter: DefaultKeyedRateLimiter<Key>,
    calls: Mutex<BTreeMap<String, u64>>,
    backoff: Duration,
}

impl Api {
    /// `requests_per_second` per account, region and API.
    pub fn new(requests_per_second: u32) -> Api {
        let rate = NonZeroU32::new(requests_per_second.max(1)).expect("at least 1");
        Api {
            limiter: RateLimiter::keyed(Quota::per_second(rate)),
            calls: Mutex::default(),
            backoff: FIRST_BACKOFF,
        }
    }

    #[cfg(test)]
    fn with_backoff(mut self, backoff: Duration) -> Api {
        self.backoff = backoff;
        self
    }

    /// Make one request (`send` builds and sends it), waiting for the rate
    /// limiter first and retrying with backoff while AWS throttles.
    pub async fn call<T, E, R, F, Fut>(
        &self,
        account: &str,
        region: &str,
        operation: &'static str,
        mut send: F,
    ) -> Result<T, AwsError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, R>>>,
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        let key = (account.to_string(), region.to_string(), operation);
        let mut pause = self.backoff;
        for attempt in 0.. {
            self.acquire_key(&key).await;
            tracing::debug!(account, region, operation, attempt, "AWS request");
            match send().await {
                Ok(v) => return Ok(v),
                Err(e) => {
                    let err = AwsError::from_sdk(operation, &e);
                    if err.is_throttling() && attempt < EXTRA_THROTTLE_RETRIES {
                        tracing::warn!(
                            account,
                            region,
                            operation,
                            "throttled by AWS; retrying in {pause:?}"
                        );
                        tokio::time::sleep(pause).await;
                        pause *= 2;
                        continue;
                    }
                    tracing::debug!(account, region, operation, error = %err, "AWS request failed");
                    return Err(err);
                }
            }
        }
        unreachable!("the loop returns")
    }

    /// Wait for the rate limiter and count a request made outside `call`
    /// (credential providers, which do not return an `SdkError`).
    pub async fn acquire(&self, account: &str, region: &str, operation: &'static str) {
        self.acquire_key(&(account.to_string(), region.to_string(), operation))
            .await;
    }

    async fn acquire_key(&self, key: &Key) {
        self.limiter.until_key_ready(key).await;
        self.count(key.2);
    }

    fn count(&self, operation: &str) {
        *self
            .calls
            .lock()
            .expect("call counts")
            .entry(operation.to_string())
            .or_default() += 1;
    }

    /// Requests made so far, per `service:Operation`.
    pub fn calls(&self) -> BTreeMap<String, u64> {
        self.calls.lock().expect("call counts").clone()
    }

    pub fn total_calls(&self) -> u64 {
        self.calls.lock().expect("call counts").values().sum()
    }
}

/// Counts the attempts the SDK itself retries (after a throttling or
/// transient error), which `Api::call` cannot see, under the same
/// `service:Operation` names, so that `api_calls` counts every request sent.
#[derive(Debug)]
pub struct CountRetries(pub std::sync::Arc<Api>);

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api").finish_non_exhaustive()
    }
}

impl aws_smithy_runtime_api::client::interceptors::Intercept for CountRetries {
    fn name(&self) -> &'static str {
        "CountRetries"
    }

    fn read_before_attempt(
        &self,
        _context: &aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef<'_>,
        _components: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
        cfg: &mut aws_smithy_types::config_bag::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        use aws_smithy_runtime_api::client::orchestrator::Metadata;
        use aws_smithy_runtime_api::client::retries::RequestAttempts;
        let retry = cfg
            .load::<RequestAttempts>()
            .is_some_and(|a| a.attempts() > 1);
        if let (true, Some(meta)) = (retry, cfg.load::<Metadata>()) {
            let service = match meta.service() {
                "Resource Groups Tagging API" => "tagging".to_string(),
                other => other.to_ascii_lowercase(),
            };
            tracing::debug!(operation = meta.name(), service, "SDK retry");
            self.0.count(&format!("{service}:{}", meta.name()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ec2::operation::describe_instances::DescribeInstancesError;
    use aws_smithy_runtime_api::http::{Response, StatusCode};
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn service_error(code: &str) -> SdkError<DescribeInstancesError, Response> {
        let err = DescribeInstancesError::generic(
            ErrorMetadata::builder()
                .code(code)
                .message("slow down")
                .build(),
        );
        SdkError::service_error(
            err,
            Response::new(StatusCode::try_from(400).unwrap(), SdkBody::empty()),
        )
    }

    #[test]
    fn every_throttling_spelling_is_recognised() {
        for code in [
            "ThrottlingException",
            "ThrottledException",
            "Throttling",
            "RequestLimitExceeded",
            "TooManyRequestsException",
        ] {
            assert!(is_throttling(Some(code)), "{code}");
        }
        assert!(!is_throttling(Some("AccessDenied")));
        assert!(!is_throttling(None));
    }

    #[tokio::test]
    async fn throttled_requests_are_retried_and_counted() {
        for code in [
            "ThrottledException",
            "RequestLimitExceeded",
            "TooManyRequestsException",
            "Throttling",
            "ThrottlingException",
        ] {
            let api = Api::new(1000).with_backoff(Duration::from_millis(1));
            let tries = AtomicU32::new(0);
            let out = api
                .call(
                    "111111111111",
                    "us-east-1",
                    "ec2:DescribeInstances",
                    || async {
                        if tries.fetch_add(1, Ordering::SeqCst) < 2 {
                            Err(service_error(code))
                        } else {
                            Ok(42)
                        }
                    },
                )
                .await;
            assert_eq!(out.unwrap(), 42, "{code}");
            assert_eq!(api.total_calls(), 3);
        }
    }

    #[tokio::test]
    async fn other_errors_fail_at_once_with_their_code() {
        let api = Api::new(1000);
        let err = api
            .call(
                "111111111111",
                "us-east-1",
                "ec2:DescribeInstances",
                || async { Err::<(), _>(service_error("UnauthorizedOperation")) },
            )
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "ec2:DescribeInstances: UnauthorizedOperation: slow down"
        );
        assert_eq!(api.calls()["ec2:DescribeInstances"], 1);
    }

    #[tokio::test]
    async fn persistent_throttling_gives_up() {
        let api = Api::new(1000).with_backoff(Duration::from_millis(1));
        let err = api
            .call("1", "r", "tagging:GetResources", || async {
                Err::<(), _>(service_error("ThrottledException"))
            })
            .await
            .unwrap_err();
        assert!(err.is_throttling());
        assert_eq!(api.total_calls(), u64::from(EXTRA_THROTTLE_RETRIES) + 1);
    }

    #[tokio::test]
    async fn the_rate_limit_holds_per_key() {
        let api = Api::new(5);
        let ok = || async { Ok::<_, SdkError<DescribeInstancesError, Response>>(()) };
        let start = std::time::Instant::now();
        // A burst of 5, then one request every 200 ms: 8 requests need >= 600 ms.
        for _ in 0..8 {
            api.call("1", "us-east-1", "ec2:DescribeVolumes", ok)
                .await
                .unwrap();
        }
        assert!(
            start.elapsed() >= Duration::from_millis(550),
            "{:?}",
            start.elapsed()
        );
        // Another account (or region, or API) has its own budget.
        let other = std::time::Instant::now();
        for _ in 0..5 {
            api.call("2", "us-east-1", "ec2:DescribeVolumes", ok)
                .await
                .unwrap();
        }
        assert!(
            other.elapsed() < Duration::from_millis(500),
            "{:?}",
            other.elapsed()
        );
        assert_eq!(api.total_calls(), 13);
    }
}
