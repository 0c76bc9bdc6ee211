//! What a scan yields besides resources: the accounts and regions it could
//! not read. Every later step (evaluation, planning, apply, reports) reads it.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// The accounts a scan error covers: one, or every account (the
/// credentials could not be identified, so none was listed). Written `*`
/// for every account in reports.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AccountScope {
    Every,
    One(String),
}

/// The regions a scan error covers: one; `global`, an account-wide API (S3
/// `ListBuckets`, Organizations); or every region (the account could not
/// be entered), written `*`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RegionScope {
    Every,
    Global,
    One(String),
}

/// An account or region that could not be scanned, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ScanError {
    pub account: AccountScope,
    pub region: RegionScope,
    /// The resource types it covers (those Resource Explorer finds, when it
    /// is not set up); empty: every type.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<String>,
    pub message: String,
}

impl ScanError {
    /// Nothing could be listed: the credentials themselves failed.
    pub fn caller(message: impl Into<String>) -> Self {
        Self::of(AccountScope::Every, RegionScope::Every, message)
    }

    /// A whole account (its role could not be assumed).
    pub fn account(account: &str, message: impl Into<String>) -> Self {
        Self::of(AccountScope::of(account), RegionScope::Every, message)
    }

    /// An account-wide API of one account.
    pub fn global(account: &str, message: impl Into<String>) -> Self {
        Self::of(AccountScope::of(account), RegionScope::Global, message)
    }

    /// One region of one account.
    pub fn region(account: &str, region: &str, message: impl Into<String>) -> Self {
        Self::of(
            AccountScope::of(account),
            RegionScope::One(region.to_string()),
            message,
        )
    }

    /// Some types, in every region of `account`: what a discovery service
    /// (Resource Explorer) would have found there.
    pub fn types(account: AccountScope, types: Vec<String>, message: impl Into<String>) -> Self {
        ScanError {
            types,
            ..Self::of(account, RegionScope::Every, message)
        }
    }

    fn of(account: AccountScope, region: RegionScope, message: impl Into<String>) -> Self {
        ScanError {
            account,
            region,
            types: Vec::new(),
            message: message.into(),
        }
    }

    /// Whether the error covers resources of type `t`.
    pub fn covers_type(&self, t: &str) -> bool {
        self.types.is_empty() || self.types.iter().any(|x| x == t)
    }
}

/// `account 111111111111 region eu-west-1: AccessDenied: …`: how every
/// report lists what it could not scan.
impl fmt::Display for ScanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "account {} region {}", self.account, self.region)?;
        if !self.types.is_empty() {
            write!(f, " types {}", self.types.join(", "))?;
        }
        write!(f, ": {}", self.message)
    }
}

impl AccountScope {
    pub fn of(account: &str) -> AccountScope {
        AccountScope::One(account.to_string())
    }

    /// Whether the error covers `account`.
    pub fn covers(&self, account: &str) -> bool {
        match self {
            AccountScope::Every => true,
            AccountScope::One(a) => a == account,
        }
    }

    /// The account, when it is one.
    pub fn id(&self) -> Option<&str> {
        match self {
            AccountScope::Every => None,
            AccountScope::One(a) => Some(a),
        }
    }
}

impl RegionScope {
    /// Whether the error covers `region` (an account-wide API covers none).
    pub fn covers(&self, region: &str) -> bool {
        match self {
            RegionScope::Every => true,
            RegionScope::Global => false,
            RegionScope::One(r) => r == region,
        }
    }
}

impl fmt::Display for AccountScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AccountScope::Every => "*",
            AccountScope::One(a) => a,
        })
    }
}

impl fmt::Display for RegionScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RegionScope::Every => "*",
            RegionScope::Global => "global",
            RegionScope::One(r) => r,
        })
    }
}

impl Serialize for AccountScope {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl Serialize for RegionScope {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for AccountScope {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match String::deserialize(d)?.as_str() {
            "*" => AccountScope::Every,
            a => AccountScope::of(a),
        })
    }
}

impl<'de> Deserialize<'de> for RegionScope {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match String::deserialize(d)?.as_str() {
            "*" => RegionScope::Every,
            "global" => RegionScope::Global,
            r => RegionScope::One(r.to_string()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_read_and_write_as_reports_show_them() {
        let errors = [
            ScanError::caller("no credentials"),
            ScanError::account("111111111111", "cannot assume role"),
            ScanError::global("111111111111", "ListBuckets denied"),
            ScanError::region("111111111111", "eu-west-1", "denied"),
        ];
        let json = serde_json::to_string(&errors).unwrap();
        assert_eq!(
            json,
            r#"[{"account":"*","region":"*","message":"no credentials"},{"account":"111111111111","region":"*","message":"cannot assume role"},{"account":"111111111111","region":"global","message":"ListBuckets denied"},{"account":"111111111111","region":"eu-west-1","message":"denied"}]"#
        );
        let back: Vec<ScanError> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, errors);
        let some = ScanError::types(
            AccountScope::of("111111111111"),
            vec!["lambda:function".into(), "dynamodb:table".into()],
            "no Resource Explorer index",
        );
        assert_eq!(
            serde_json::to_string(&some).unwrap(),
            r#"{"account":"111111111111","region":"*","types":["lambda:function","dynamodb:table"],"message":"no Resource Explorer index"}"#
        );
        assert_eq!(
            some.to_string(),
            "account 111111111111 region * types lambda:function, dynamodb:table: no Resource Explorer index"
        );
        assert!(some.covers_type("dynamodb:table") && !some.covers_type("ec2:instance"));
        assert!(
            errors[0].covers_type("ec2:instance"),
            "no types: every type"
        );
        assert_eq!(
            errors[3].to_string(),
            "account 111111111111 region eu-west-1: denied"
        );
    }

    #[test]
    fn what_an_error_covers() {
        let every = ScanError::caller("x");
        assert!(every.account.covers("1") && every.region.covers("us-east-1"));
        let global = ScanError::global("1", "x");
        assert!(global.account.covers("1") && !global.account.covers("2"));
        assert!(!global.region.covers("us-east-1"));
        let one = ScanError::region("1", "us-east-1", "x");
        assert!(one.region.covers("us-east-1") && !one.region.covers("eu-west-1"));
        assert_eq!(one.account.id(), Some("1"));
        assert_eq!(every.account.id(), None);
    }
}
