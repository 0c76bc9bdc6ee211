//! Who the credentials are, asked once before anything else: the standard
//! chain's credentials, then `sts:GetCallerIdentity`. Each way this fails
//! on a new machine (no credentials anywhere, a profile that is not
//! defined, an expired SSO session, a metadata endpoint that does not
//! answer, an endpoint that cannot be reached, credentials AWS refuses)
//! becomes one sentence that says what to do; the SDK's own error
//! structures stay in the `-vv` log.

use super::AwsError;
use aws_credential_types::provider::error::CredentialsError;

/// Why a command cannot go on: the credentials could not be had or AWS
/// refused them. One line: what is wrong, then what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what}: {fix}")]
pub struct Unidentified {
    pub what: String,
    pub fix: String,
}

fn unidentified(what: impl Into<String>, fix: impl Into<String>) -> Unidentified {
    Unidentified {
        what: what.into(),
        fix: fix.into(),
    }
}

/// What is known of the environment the chain read, for the sentence.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Chain {
    /// `AWS_PROFILE` (or `AWS_DEFAULT_PROFILE`), if set.
    pub profile: Option<String>,
    /// `AWS_EC2_METADATA_DISABLED=true`.
    pub metadata_disabled: bool,
    /// `aws.endpoint_url` or `AWS_ENDPOINT_URL`, if set.
    pub endpoint: Option<String>,
}

impl Chain {
    /// The chain's environment, read from the process's.
    pub fn from_env(endpoint: Option<&str>) -> Chain {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Chain {
            profile: var("AWS_PROFILE").or_else(|| var("AWS_DEFAULT_PROFILE")),
            metadata_disabled: var("AWS_EC2_METADATA_DISABLED")
                .is_some_and(|v| v.eq_ignore_ascii_case("true")),
            endpoint: endpoint
                .map(str::to_string)
                .or_else(|| var("AWS_ENDPOINT_URL")),
        }
    }

    fn profile(&self) -> &str {
        self.profile.as_deref().unwrap_or("default")
    }
}

/// How to provide credentials, for every sentence that lacks them.
const PROVIDE: &str = "run `aws configure` (or `aws sso login --profile NAME` and set AWS_PROFILE=NAME), or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY";

/// Why the chain gave no credentials, in one line.
pub fn no_credentials(err: &CredentialsError, chain: &Chain) -> Unidentified {
    let text = chain_text(err);
    let profile = chain.profile();
    if text.contains("was not defined") {
        return unidentified(
            format!("AWS profile `{profile}` is not defined in ~/.aws/config or ~/.aws/credentials"),
            format!("set AWS_PROFILE to a profile that is (`aws configure list-profiles`), or create it with `aws configure --profile {profile}`"),
        );
    }
    if text.contains("SSO") && text.contains("expired") {
        return unidentified(
            format!("the SSO session of AWS profile `{profile}` has expired"),
            format!("run `aws sso login --profile {profile}`, then run this again"),
        );
    }
    if matches!(err, CredentialsError::ProviderTimedOut(_)) {
        return unidentified(
            "finding AWS credentials timed out (the EC2 instance metadata endpoint did not answer)",
            format!("off EC2 set AWS_EC2_METADATA_DISABLED=true and {PROVIDE}"),
        );
    }
    // The chain's last provider, instance metadata, refused or could not
    // be reached: off EC2 that is the usual end of a chain that found
    // nothing.
    let metadata_failed = text.contains("IMDS");
    if matches!(err, CredentialsError::CredentialsNotLoaded(_)) || metadata_failed {
        let metadata = match (chain.metadata_disabled, metadata_failed) {
            (true, _) => "EC2 instance metadata (disabled)",
            (false, true) => "EC2 instance metadata (no answer)",
            (false, false) => "EC2 instance metadata",
        };
        if let Some(named) = &chain.profile {
            return unidentified(
                format!("no AWS credentials for profile `{named}` (AWS_PROFILE)"),
                format!("it is not in ~/.aws/config or ~/.aws/credentials, or holds none; `aws configure list-profiles` lists those that are, `aws configure --profile {named}` creates it"),
            );
        }
        return unidentified(
            format!("no AWS credentials: tried the environment, profile `{profile}` in ~/.aws, web identity, ECS and {metadata}"),
            PROVIDE,
        );
    }
    unidentified(
        format!("cannot load AWS credentials (profile `{profile}`)"),
        format!("{}; check ~/.aws/config", short(&text)),
    )
}

/// Why `sts:GetCallerIdentity` failed with credentials in hand, in one line.
pub fn caller_refused(err: &AwsError, chain: &Chain) -> Unidentified {
    let at = chain.endpoint.as_deref().unwrap_or("AWS STS");
    match err.code.as_deref() {
        None => unidentified(
            format!("cannot reach {at} ({})", unreachable(&err.message)),
            format!(
                "check the network{}",
                if chain.endpoint.is_some() {
                    ", and aws.endpoint_url or AWS_ENDPOINT_URL"
                } else {
                    ""
                }
            ),
        ),
        Some("ExpiredToken" | "ExpiredTokenException" | "RequestExpired") => unidentified(
            format!(
                "the AWS credentials of profile `{}` have expired",
                chain.profile()
            ),
            format!(
                "refresh them (`aws sso login --profile {}`, or new keys), then run this again",
                chain.profile()
            ),
        ),
        Some(_) => unidentified(
            format!(
                "AWS refused the credentials of profile `{}` ({})",
                chain.profile(),
                short(&err.message)
            ),
            PROVIDE,
        ),
    }
}

/// The name the SDK gave the provider of `credentials` (only their Debug
/// form shows it).
pub fn provider_name(credentials: &aws_credential_types::Credentials) -> String {
    let debug = format!("{credentials:?}");
    debug
        .split_once("provider_name: \"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .map_or_else(|| "unknown".to_string(), |(name, _)| name.to_string())
}

/// Where the standard chain found the credentials, in words.
pub fn source_in_words(provider: &str, chain: &Chain) -> String {
    let profile = chain.profile();
    let words = [
        (
            "Environment",
            "the environment (AWS_ACCESS_KEY_ID)".to_string(),
        ),
        ("Sso", format!("the SSO session of profile `{profile}`")),
        ("SSO", format!("the SSO session of profile `{profile}`")),
        ("Profile", format!("profile `{profile}` in ~/.aws")),
        ("AssumeRole", format!("a role profile `{profile}` assumes")),
        (
            "CredentialProcess",
            format!("the credential_process of profile `{profile}`"),
        ),
        (
            "WebIdentity",
            "web identity (AWS_WEB_IDENTITY_TOKEN_FILE)".to_string(),
        ),
        ("Ecs", "the ECS container credentials endpoint".to_string()),
        ("IMDS", "EC2 instance metadata".to_string()),
    ];
    words
        .into_iter()
        .find(|(k, _)| provider.contains(k))
        .map_or_else(|| format!("the `{provider}` provider"), |(_, w)| w)
}

/// Why an endpoint was not reached, in words: the SDK's dispatch failures
/// name the cause deep in their text.
fn unreachable(message: &str) -> String {
    let lower = message.to_ascii_lowercase();
    let known = [
        ("connection refused", "connection refused"),
        ("dns error", "its name does not resolve"),
        ("failed to lookup address", "its name does not resolve"),
        ("timeout", "no answer in time"),
        ("timed out", "no answer in time"),
        ("certificate", "its TLS certificate is not trusted"),
    ];
    known
        .iter()
        .find(|(k, _)| lower.contains(k))
        .map_or_else(|| short(message), |(_, words)| words.to_string())
}

/// An error and its sources, joined: the SDK puts the cause in a source.
fn chain_text(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![err.to_string()];
    let mut next = err.source();
    while let Some(e) = next {
        parts.push(e.to_string());
        next = e.source();
    }
    parts.join(": ")
}

/// The words of an SDK message before its debug structures, at most 120
/// characters.
fn short(text: &str) -> String {
    let cut = text.find(" (").unwrap_or(text.len());
    let words = &text[..cut];
    if words.chars().count() > 120 {
        words.chars().take(120).collect::<String>() + "…"
    } else {
        words.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(profile: Option<&str>) -> Chain {
        Chain {
            profile: profile.map(str::to_string),
            ..Chain::default()
        }
    }

    #[derive(Debug)]
    struct Cause(&'static str);

    impl std::fmt::Display for Cause {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Cause {}

    #[test]
    fn each_way_to_have_no_credentials_is_one_short_line() {
        let cases = [
            (
                CredentialsError::not_loaded("no providers in chain provided credentials"),
                None,
                "no AWS credentials: tried the environment, profile `default` in ~/.aws, web identity, ECS and EC2 instance metadata: run `aws configure`",
            ),
            (
                CredentialsError::not_loaded("profile `nope` was not defined: could not find it"),
                Some("nope"),
                "AWS profile `nope` is not defined in ~/.aws/config or ~/.aws/credentials: set AWS_PROFILE to a profile that is",
            ),
            (
                CredentialsError::not_loaded("no providers in chain provided credentials"),
                Some("nope"),
                "no AWS credentials for profile `nope` (AWS_PROFILE): it is not in ~/.aws/config or ~/.aws/credentials, or holds none",
            ),
            (
                CredentialsError::provider_error(Cause(
                    "failed to load IMDS session token: service error: request forbidden",
                )),
                None,
                "no AWS credentials: tried the environment, profile `default` in ~/.aws, web identity, ECS and EC2 instance metadata (no answer): run `aws configure`",
            ),
            (
                CredentialsError::provider_error(Cause(
                    "the SSO token has expired and cannot be refreshed",
                )),
                Some("dev"),
                "the SSO session of AWS profile `dev` has expired: run `aws sso login --profile dev`",
            ),
            (
                CredentialsError::provider_timed_out(std::time::Duration::from_secs(5)),
                None,
                "finding AWS credentials timed out (the EC2 instance metadata endpoint did not answer)",
            ),
            (
                CredentialsError::invalid_configuration(Cause(
                    "ProfileFile provider could not be built: invalid profile: bad line (ParseError { .. })",
                )),
                Some("dev"),
                "cannot load AWS credentials (profile `dev`): the credentials provider was not properly configured: ProfileFile provider could not be built: invalid profile: bad line; check ~/.aws/config",
            ),
        ];
        for (err, profile, expected) in cases {
            let line = no_credentials(&err, &chain(profile)).to_string();
            assert!(line.starts_with(expected), "{line}");
            assert!(line.len() < 300, "{} characters: {line}", line.len());
            assert!(!line.contains('\n') && !line.contains("{ "), "{line}");
        }
        let off = Chain {
            metadata_disabled: true,
            ..Chain::default()
        };
        let err = CredentialsError::not_loaded("no providers in chain provided credentials");
        assert!(no_credentials(&err, &off)
            .to_string()
            .contains("EC2 instance metadata (disabled)"));
    }

    #[test]
    fn the_source_of_the_credentials_in_words() {
        let creds =
            aws_credential_types::Credentials::new("AK", "SK", None, None, "EnvironmentVariable");
        assert_eq!(provider_name(&creds), "EnvironmentVariable");
        let dev = chain(Some("dev"));
        assert_eq!(
            source_in_words("EnvironmentVariable", &dev),
            "the environment (AWS_ACCESS_KEY_ID)"
        );
        assert_eq!(
            source_in_words("ProfileFile", &dev),
            "profile `dev` in ~/.aws"
        );
        assert_eq!(
            source_in_words("SSO", &dev),
            "the SSO session of profile `dev`"
        );
        assert_eq!(source_in_words("IMDSv2", &dev), "EC2 instance metadata");
        assert_eq!(source_in_words("Custom", &dev), "the `Custom` provider");
    }

    #[test]
    fn a_caller_identity_failure_says_whether_aws_was_reached() {
        let error = |code: Option<&str>, message: &str| AwsError {
            operation: "sts:GetCallerIdentity",
            code: code.map(str::to_string),
            message: message.into(),
        };
        let local = Chain {
            endpoint: Some("http://127.0.0.1:9".into()),
            ..Chain::default()
        };
        assert_eq!(
            caller_refused(&error(None, "dispatch failure: io error: client error (Connect): tcp connect error: Connection refused (os error 111) (DispatchFailure(..))"), &local).to_string(),
            "cannot reach http://127.0.0.1:9 (connection refused): check the network, and aws.endpoint_url or AWS_ENDPOINT_URL"
        );
        assert_eq!(
            caller_refused(
                &error(
                    None,
                    "dispatch failure: other: dns error: failed to lookup address information"
                ),
                &Chain::default()
            )
            .to_string(),
            "cannot reach AWS STS (its name does not resolve): check the network"
        );
        assert_eq!(
            caller_refused(&error(Some("ExpiredToken"), "ExpiredToken: expired"), &chain(Some("dev"))).to_string(),
            "the AWS credentials of profile `dev` have expired: refresh them (`aws sso login --profile dev`, or new keys), then run this again"
        );
        let refused = caller_refused(
            &error(
                Some("InvalidClientTokenId"),
                "InvalidClientTokenId: The security token included in the request is invalid.",
            ),
            &Chain::default(),
        )
        .to_string();
        assert!(
            refused.starts_with("AWS refused the credentials of profile `default` (InvalidClientTokenId: The security token included in the request is invalid.): run `aws configure`"),
            "{refused}"
        );
        assert!(refused.len() < 300);
    }
}
