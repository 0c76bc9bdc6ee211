//! Every AWS request goes through `Api::call`: one process-wide rate limiter
//! with a token bucket per (account, region, API bucket) at the API's own
//! rate (`rates`), a count of every request made, and a further backoff when
//! AWS keeps throttling after the SDK's own retries.

use super::rates::{self, Rate};
use crate::backoff::Backoff;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use governor::{DefaultKeyedRateLimiter, Quota as TokenRate, RateLimiter};
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex};
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
/// retries are spent, and the pauses before each (0.5, 1, 2, 4 s, jittered).
const EXTRA_THROTTLE_RETRIES: u32 = 4;
const THROTTLED: Backoff = Backoff {
    first: Duration::from_millis(500),
    max: Duration::from_secs(8),
};

/// A failed AWS request, with the operation that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
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
            _ => without_raw_response(&DisplayErrorContext(err).to_string()),
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

    /// The caller may not make this call (a missing permission, an SCP):
    /// it fails the same way for every resource of the account.
    pub fn is_access_denied(&self) -> bool {
        matches!(
            self.code.as_deref(),
            Some("AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation")
        )
    }
}

/// The SDK's text for an error without an AWS code ends with a debug dump
/// of the whole raw response (headers, body, extensions): keep the words
/// before it, which say what went wrong.
fn without_raw_response(text: &str) -> String {
    let cut = [
        " (ServiceError(",
        " (ResponseError(",
        " (DispatchFailure(",
        " (TimeoutError(",
    ]
    .iter()
    .filter_map(|marker| text.find(marker))
    .min()
    .unwrap_or(text.len());
    let words = &text[..cut];
    if words.chars().count() > 300 {
        words.chars().take(300).collect::<String>() + "…"
    } else {
        words.to_string()
    }
}

/// Whose request quota a call spends: AWS rate-limits each account in each
/// region (account-wide APIs once per account).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quota<'a> {
    /// The credentials' own account: STS, Organizations, Cost Explorer,
    /// the billing bucket, the event queues.
    Caller(Zone<'a>),
    /// A scanned account.
    Account(&'a str, Zone<'a>),
}

/// Where in an account a request goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone<'a> {
    /// An account-wide API (STS, Organizations, S3's bucket listing).
    Global,
    Region(&'a str),
}

impl<'a> Quota<'a> {
    /// A scanned account's region.
    pub fn at(account: &'a str, region: &'a str) -> Quota<'a> {
        Quota::Account(account, Zone::Region(region))
    }

    fn key(self) -> Key {
        let zone = |z: Zone<'_>| match z {
            Zone::Global => None,
            Zone::Region(r) => Some(r.to_string()),
        };
        match self {
            Quota::Caller(z) => (Owner::Caller, zone(z)),
            Quota::Account(a, z) => (Owner::Account(a.to_string()), zone(z)),
        }
    }
}

impl std::fmt::Display for Quota<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (who, zone) = match self {
            Quota::Caller(z) => ("the caller", z),
            Quota::Account(a, z) => (*a, z),
        };
        match zone {
            Zone::Global => write!(f, "{who}"),
            Zone::Region(r) => write!(f, "{who} in {r}"),
        }
    }
}

/// Whose bucket a request takes its token from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Owner {
    Caller,
    Account(String),
}

/// (owner, region; None for account-wide) within one bucket.
type Key = (Owner, Option<String>);
type Limiter = DefaultKeyedRateLimiter<Key>;

/// Requests made and throttling answers seen, per `service:Operation`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Requests {
    pub calls: BTreeMap<String, u64>,
    pub throttles: BTreeMap<String, u64>,
}

impl Requests {
    /// What was added since `earlier` (a snapshot of the same counters).
    pub fn since(&self, earlier: &Requests) -> Requests {
        let diff = |now: &BTreeMap<String, u64>, before: &BTreeMap<String, u64>| {
            now.iter()
                .map(|(k, n)| (k.clone(), n - before.get(k).copied().unwrap_or(0).min(*n)))
                .filter(|(_, n)| *n > 0)
                .collect()
        };
        Requests {
            calls: diff(&self.calls, &earlier.calls),
            throttles: diff(&self.throttles, &earlier.throttles),
        }
    }
}

pub struct Api {
    /// One keyed limiter per bucket, made on first use.
    limiters: Mutex<HashMap<&'static str, Arc<Limiter>>>,
    /// `limits.requests_per_second`: one rate for every API.
    uniform: Option<Rate>,
    calls: Mutex<BTreeMap<String, u64>>,
    /// Throttling answers seen, per `service:Operation`.
    throttles: Mutex<BTreeMap<String, u64>>,
    backoff: Backoff,
    /// The most items a list request asks for (`TAGWARDEN_PAGE_SIZE`).
    page_limit: Option<i32>,
}

impl Api {
    /// Per-API rates, or `requests_per_second` for every API.
    pub fn new(requests_per_second: Option<u32>) -> Api {
        Api {
            limiters: Mutex::default(),
            uniform: requests_per_second.map(Rate::uniform),
            calls: Mutex::default(),
            throttles: Mutex::default(),
            backoff: THROTTLED,
            page_limit: None,
        }
    }

    /// Ask for at most `limit` items per page (never below an API's
    /// minimum): tests cross page boundaries with a handful of resources.
    pub fn with_page_limit(mut self, limit: Option<i32>) -> Api {
        self.page_limit = limit;
        self
    }

    /// The page size to request: the API's maximum, or the page limit, but
    /// never less than the API's minimum.
    pub fn page_size(&self, max: i32, min: i32) -> i32 {
        self.page_limit.map_or(max, |l| l.clamp(min, max))
    }

    #[cfg(test)]
    fn with_backoff(mut self, first: Duration) -> Api {
        self.backoff = Backoff { first, max: first };
        self
    }

    /// The limiter and key a request of `operation` in `account` and
    /// `region` waits on.
    fn limiter(&self, quota: Quota<'_>, operation: &'static str) -> (Arc<Limiter>, Key) {
        let (bucket, rate) = rates::bucket(operation);
        // STS counts against the caller whatever the rate.
        let key = if rates::charged_to_caller(bucket) {
            Quota::Caller(Zone::Global).key()
        } else {
            quota.key()
        };
        let (bucket, rate) = match self.uniform {
            Some(uniform) => (operation, uniform),
            None => (bucket, rate),
        };
        let mut limiters = self.limiters.lock().expect("limiters");
        let limiter = limiters.entry(bucket).or_insert_with(|| {
            let quota = TokenRate::per_second(rate.per_second).allow_burst(rate.burst);
            Arc::new(RateLimiter::keyed(quota))
        });
        (limiter.clone(), key)
    }

    /// Make one request (`send` builds and sends it), waiting for the rate
    /// limiter first and retrying with backoff while AWS throttles.
    pub async fn call<T, E, R, F, Fut>(
        &self,
        quota: Quota<'_>,
        operation: &'static str,
        mut send: F,
    ) -> Result<T, AwsError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, R>>>,
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        for attempt in 0.. {
            self.acquire(quota, operation).await;
            tracing::debug!(%quota, operation, attempt, "AWS request");
            match send().await {
                Ok(v) => return Ok(v),
                Err(e) => {
                    let err = AwsError::from_sdk(operation, &e);
                    if err.is_throttling() {
                        *self
                            .throttles
                            .lock()
                            .expect("throttles")
                            .entry(operation.to_string())
                            .or_default() += 1;
                    }
                    if err.is_throttling() && attempt < EXTRA_THROTTLE_RETRIES {
                        let pause = self.backoff.next(attempt + 1);
                        tracing::warn!(%quota, operation, "throttled by AWS; retrying in {pause:?}");
                        tokio::time::sleep(pause).await;
                        continue;
                    }
                    tracing::debug!(%quota, operation, error = %err, "AWS request failed");
                    return Err(err);
                }
            }
        }
        unreachable!("the loop returns")
    }

    /// Wait for the rate limiter and count a request made outside `call`
    /// (credential providers, which do not return an `SdkError`).
    pub async fn acquire(&self, quota: Quota<'_>, operation: &'static str) {
        let (limiter, key) = self.limiter(quota, operation);
        limiter.until_key_ready(&key).await;
        self.count(operation);
    }

    /// Take a token now if there is one (no wait, nothing counted).
    #[cfg(test)]
    fn try_acquire(&self, account: &str, region: &str, operation: &'static str) -> bool {
        let quota = match (account, region) {
            ("caller", "global") => Quota::Caller(Zone::Global),
            (a, "global") => Quota::Account(a, Zone::Global),
            (a, r) => Quota::at(a, r),
        };
        let (limiter, key) = self.limiter(quota, operation);
        limiter.check_key(&key).is_ok()
    }

    fn count(&self, operation: &str) {
        *self
            .calls
            .lock()
            .expect("call counts")
            .entry(operation.to_string())
            .or_default() += 1;
    }

    /// Every request and throttling answer so far.
    pub fn requests(&self) -> Requests {
        Requests {
            calls: self.calls(),
            throttles: self.throttles(),
        }
    }

    /// Requests made so far, per `service:Operation`.
    pub fn calls(&self) -> BTreeMap<String, u64> {
        self.calls.lock().expect("call counts").clone()
    }

    /// Throttling answers that reached tagwarden (after the SDK's own
    /// retries), per `service:Operation`.
    pub fn throttles(&self) -> BTreeMap<String, u64> {
        self.throttles.lock().expect("throttles").clone()
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
                "Resource Explorer 2" => "resource-explorer-2".to_string(),
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

    /// The ten throttling spellings of AWS services, written out here
    /// rather than taken from `THROTTLING_CODES`, so that dropping one
    /// from the list fails this test.
    const TEN_CODES: [&str; 10] = [
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

    #[test]
    fn every_throttling_spelling_is_recognised() {
        for code in TEN_CODES {
            assert!(is_throttling(Some(code)), "{code}");
        }
        assert_eq!(THROTTLING_CODES.len(), TEN_CODES.len());
        assert!(!is_throttling(Some("AccessDenied")));
        assert!(!is_throttling(Some("throttling")), "codes are exact");
        assert!(!is_throttling(None));
    }

    #[tokio::test]
    async fn throttled_requests_are_retried_and_counted() {
        for code in TEN_CODES {
            let api = Api::new(Some(1000)).with_backoff(Duration::from_millis(1));
            let tries = AtomicU32::new(0);
            let out = api
                .call(
                    Quota::at("111111111111", "us-east-1"),
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
            assert_eq!(api.total_calls(), 3, "{code}");
            assert_eq!(api.throttles()["ec2:DescribeInstances"], 2, "{code}");
        }
    }

    #[tokio::test]
    async fn other_errors_fail_at_once_with_their_code() {
        let api = Api::new(None);
        let err = api
            .call(
                Quota::at("111111111111", "us-east-1"),
                "ec2:DescribeInstances",
                || async { Err::<(), _>(service_error("UnauthorizedOperation")) },
            )
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "ec2:DescribeInstances: UnauthorizedOperation: slow down"
        );
        assert_eq!(err.code.as_deref(), Some("UnauthorizedOperation"));
        assert_eq!(api.calls()["ec2:DescribeInstances"], 1);
    }

    #[test]
    fn an_error_without_a_code_is_told_without_the_raw_response() {
        let text = "service error: unhandled error: error parsing XML: no root element (ServiceError(ServiceError { source: Unhandled, raw: Response { status: StatusCode(500), headers: {} } }))";
        assert_eq!(
            without_raw_response(text),
            "service error: unhandled error: error parsing XML: no root element"
        );
        assert_eq!(
            without_raw_response("dispatch failure: io error"),
            "dispatch failure: io error"
        );
    }

    #[tokio::test]
    async fn persistent_throttling_gives_up() {
        let api = Api::new(Some(1000)).with_backoff(Duration::from_millis(1));
        let err = api
            .call(Quota::at("1", "r"), "tagging:GetResources", || async {
                Err::<(), _>(service_error("ThrottledException"))
            })
            .await
            .unwrap_err();
        assert!(err.is_throttling());
        assert_eq!(api.total_calls(), u64::from(EXTRA_THROTTLE_RETRIES) + 1);
    }

    /// Buckets, not clocks: after a bucket's burst, the same key has no
    /// token left while every other key still has its own.
    #[test]
    fn each_account_region_and_api_has_its_own_bucket() {
        let api = Api::new(None);
        let drain = |account, region, op| {
            (0..1000)
                .take_while(|_| api.try_acquire(account, region, op))
                .count()
        };
        assert_eq!(
            drain("1", "us-east-1", "ec2:DescribeVolumes"),
            50,
            "EC2's burst, halved"
        );
        assert!(!api.try_acquire("1", "us-east-1", "ec2:DescribeVolumes"));
        assert!(
            api.try_acquire("2", "us-east-1", "ec2:DescribeVolumes"),
            "another account"
        );
        assert!(
            api.try_acquire("1", "eu-west-1", "ec2:DescribeVolumes"),
            "another region"
        );
        assert!(
            api.try_acquire("1", "us-east-1", "ec2:DescribeInstances"),
            "another API"
        );
        // RDS: one bucket for every RDS API.
        assert_eq!(drain("1", "us-east-1", "rds:DescribeDBInstances"), 150);
        assert!(!api.try_acquire("1", "us-east-1", "rds:ListTagsForResource"));
        // STS: charged to the caller, whatever the target account.
        assert_eq!(drain("1", "global", "sts:AssumeRole"), 300);
        assert!(!api.try_acquire("2", "global", "sts:AssumeRole"));
        assert!(!api.try_acquire("caller", "global", "sts:GetCallerIdentity"));
    }

    #[tokio::test]
    async fn waiting_for_a_token_counts_the_request() {
        let api = Api::new(None);
        api.acquire(Quota::at("1", "us-east-1"), "ec2:CreateTags")
            .await;
        assert_eq!(api.calls()["ec2:CreateTags"], 1);
        assert!(api.try_acquire("1", "us-east-1", "ec2:CreateTags"));
        assert_eq!(
            api.total_calls(),
            1,
            "taking a token without a request counts nothing"
        );
    }

    #[test]
    fn one_rate_for_every_api_overrides_the_defaults() {
        let api = Api::new(Some(3));
        let drain = |op| {
            (0..100)
                .take_while(|_| api.try_acquire("1", "r", op))
                .count()
        };
        assert_eq!(drain("ec2:DescribeVolumes"), 3);
        assert_eq!(drain("rds:DescribeDBInstances"), 3);
        assert_eq!(drain("rds:DescribeDBClusters"), 3, "per API, as before");
        // STS still counts against the caller, not each target account.
        let sts = |account| {
            (0..100)
                .take_while(|_| api.try_acquire(account, "global", "sts:AssumeRole"))
                .count()
        };
        assert_eq!(sts("111111111111"), 3);
        assert_eq!(sts("222222222222"), 0);
    }

    #[test]
    fn the_caller_has_its_own_buckets_whatever_an_account_is_called() {
        let api = Api::new(Some(1));
        let take = |q| {
            let (limiter, key) = api.limiter(q, "s3:ListObjectsV2");
            limiter.check_key(&key).is_ok()
        };
        assert!(take(Quota::Caller(Zone::Global)));
        assert!(!take(Quota::Caller(Zone::Global)));
        assert!(take(Quota::Caller(Zone::Region("us-east-1"))));
        assert!(take(Quota::Account("caller", Zone::Global)));
    }

    #[test]
    fn requests_since_a_snapshot() {
        let before = Requests {
            calls: [("ec2:A".to_string(), 2), ("ec2:B".to_string(), 1)].into(),
            throttles: [("ec2:A".to_string(), 1)].into(),
        };
        let now = Requests {
            calls: [
                ("ec2:A".to_string(), 5),
                ("ec2:B".to_string(), 1),
                ("sqs:C".to_string(), 3),
            ]
            .into(),
            throttles: [("ec2:A".to_string(), 1)].into(),
        };
        let added = now.since(&before);
        assert_eq!(
            added.calls,
            [("ec2:A".to_string(), 3), ("sqs:C".to_string(), 3)].into()
        );
        assert!(added.throttles.is_empty());
        assert_eq!(now.since(&Requests::default()), now);
    }

    #[test]
    fn page_sizes_stay_within_each_api_range() {
        let api = Api::new(None);
        assert_eq!(api.page_size(1000, 5), 1000);
        let small = Api::new(None).with_page_limit(Some(2));
        assert_eq!(small.page_size(1000, 5), 5, "never below the API's minimum");
        assert_eq!(small.page_size(100, 1), 2);
        let large = Api::new(None).with_page_limit(Some(5000));
        assert_eq!(large.page_size(100, 1), 100, "never above its maximum");
    }
}
