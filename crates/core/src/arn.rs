//! Amazon Resource Names, parsed once: `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`.
//! Every later step asks the parsed value for its service, account,
//! region, type or id instead of slicing the text again.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::str::FromStr;

/// The longest ARN tagwarden accepts (AWS documents 2,048 characters for
/// most services; an ARN read from a message or a file is hostile input).
pub const MAX_ARN_LEN: usize = 2048;

/// Why a text is not an ARN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArnError {
    #[error("`{0}` is not an ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE)")]
    Malformed(String),
    #[error("an ARN of {0} characters is longer than the {MAX_ARN_LEN} AWS allows")]
    TooLong(usize),
}

/// A parsed ARN. It keeps its text (what AWS and reports use) and where
/// each part of it starts, so that every accessor is a slice, never a
/// new parse.
#[derive(Clone)]
pub struct Arn {
    text: String,
    /// Byte offsets of the `:` that end partition, service, region and
    /// account; where the resource part starts; where its type ends (the
    /// `/` or `:` after it, or the end of the text).
    colons: [u16; 4],
    resource: u16,
    type_end: u16,
}

impl Arn {
    pub fn parse(text: &str) -> Result<Arn, ArnError> {
        if text.len() > MAX_ARN_LEN {
            return Err(ArnError::TooLong(text.chars().count()));
        }
        let malformed = || ArnError::Malformed(text.to_string());
        let rest = text.strip_prefix("arn:").ok_or_else(malformed)?;
        let mut colons = [0u16; 4];
        let mut at = 4usize;
        let mut parts = rest.splitn(5, ':');
        for slot in &mut colons {
            let part = parts.next().ok_or_else(malformed)?;
            at += part.len();
            *slot = at as u16;
            at += 1;
        }
        let resource = parts.next().ok_or_else(malformed)?;
        let partition = &text[4..colons[0] as usize];
        let service = &text[colons[0] as usize + 1..colons[1] as usize];
        let valid = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        };
        if !valid(partition) || !valid(service) || resource.is_empty() {
            return Err(malformed());
        }
        if text.chars().any(char::is_control) {
            return Err(malformed());
        }
        // A path (API Gateway's `/restapis/ID`): the type ends after its
        // first segment.
        let type_end = match resource.strip_prefix('/') {
            Some(path) => at + 1 + path.find('/').unwrap_or(path.len()),
            None => at + resource.find(['/', ':']).unwrap_or(resource.len()),
        };
        Ok(Arn {
            text: text.to_string(),
            colons,
            resource: at as u16,
            type_end: type_end as u16,
        })
    }

    fn part(&self, from: usize, to: usize) -> &str {
        &self.text[from..to]
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// `aws`, `aws-cn`, `aws-us-gov`.
    pub fn partition(&self) -> &str {
        self.part(4, self.colons[0] as usize)
    }

    /// `ec2`, `s3`, `rds`, `lambda`.
    pub fn service(&self) -> &str {
        self.part(self.colons[0] as usize + 1, self.colons[1] as usize)
    }

    /// The region, when the ARN names one (S3 buckets and IAM do not).
    pub fn region(&self) -> Option<&str> {
        Some(self.part(self.colons[1] as usize + 1, self.colons[2] as usize))
            .filter(|r| !r.is_empty())
    }

    /// The owning account, when the ARN names one (S3 buckets do not).
    pub fn account(&self) -> Option<&str> {
        Some(self.part(self.colons[2] as usize + 1, self.colons[3] as usize))
            .filter(|a| !a.is_empty())
    }

    /// Everything after the account: `instance/i-1`, `db:orders`, `my-bucket`.
    pub fn resource(&self) -> &str {
        &self.text[self.resource as usize..]
    }

    /// The Tagging API's name for the type: `arn:aws:ec2:…:instance/i-1` is
    /// `ec2:instance`, `arn:aws:s3:::bucket` is `s3:bucket`, an SQS queue
    /// `sqs:queue`; a resource part without a type names the service alone.
    pub fn resource_type(&self) -> String {
        // A path names kinds and ids in turn: `/restapis/ID/stages/NAME`
        // is `apigateway:restapis/stages`.
        if let Some(path) = self.resource().strip_prefix('/') {
            let kinds: Vec<&str> = path.split('/').step_by(2).collect();
            return format!("{}:{}", self.service(), kinds.join("/"));
        }
        let kind = &self.text[self.resource as usize..self.type_end as usize];
        if self.type_end as usize == self.text.len() {
            let service = self.service();
            return crate::catalogue::untyped_arn_type(service)
                .unwrap_or(service)
                .to_string();
        }
        format!("{}:{kind}", self.service())
    }

    /// An Auto Scaling group's name (after `autoScalingGroupName/`), the
    /// one part of its ARN events give.
    pub fn auto_scaling_group_name(&self) -> Option<&str> {
        (self.service() == "autoscaling")
            .then(|| self.resource().split_once(":autoScalingGroupName/"))
            .flatten()
            .map(|(_, name)| name)
    }

    /// The id users and services know a resource by: `i-0abc…` for
    /// `instance/i-0abc…`, a bucket's name, `orders` for `db:orders`,
    /// `app/web/50dc6c495c0c9188` for a load balancer, `ID/stages/NAME`
    /// for an API Gateway stage (`/restapis/ID/stages/NAME`).
    pub fn id(&self) -> &str {
        let end = self.type_end as usize;
        if end == self.text.len() {
            self.resource()
        } else {
            &self.text[end + 1..]
        }
    }
}

// Compared, ordered and hashed as its text (the offsets follow from it),
// so that a map keyed by `Arn` is looked up by `&str` (`Borrow<str>`).
impl PartialEq for Arn {
    fn eq(&self, other: &Arn) -> bool {
        self.text == other.text
    }
}

impl Eq for Arn {}

impl std::hash::Hash for Arn {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.text.hash(h);
    }
}

impl PartialOrd for Arn {
    fn partial_cmp(&self, other: &Arn) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Arn {
    fn cmp(&self, other: &Arn) -> std::cmp::Ordering {
        self.text.cmp(&other.text)
    }
}

impl FromStr for Arn {
    type Err = ArnError;

    fn from_str(s: &str) -> Result<Arn, ArnError> {
        Arn::parse(s)
    }
}

impl Deref for Arn {
    type Target = str;

    fn deref(&self) -> &str {
        &self.text
    }
}

impl AsRef<str> for Arn {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

impl Borrow<str> for Arn {
    fn borrow(&self) -> &str {
        &self.text
    }
}

impl PartialEq<str> for Arn {
    fn eq(&self, other: &str) -> bool {
        self.text == other
    }
}

impl PartialEq<&str> for Arn {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

impl fmt::Display for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.text, f)
    }
}

impl From<Arn> for String {
    fn from(a: Arn) -> String {
        a.text
    }
}

impl Serialize for Arn {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Arn {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Arn, D::Error> {
        let text = String::deserialize(d)?;
        Arn::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for Arn {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Arn".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "string", "pattern": "^arn:"})
    }
}

/// An instance's ARN in one account and region, for tests: `instance("i-1")`.
#[cfg(test)]
pub(crate) fn instance(id: &str) -> Arn {
    Arn::parse(&format!("arn:aws:ec2:us-east-1:111111111111:instance/{id}")).expect("a test ARN")
}

/// Any ARN written out in a test.
#[cfg(test)]
pub(crate) fn arn(text: &str) -> Arn {
    Arn::parse(text).expect("a test ARN")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_auto_scaling_groups_name() {
        let real = Arn::parse("arn:aws:autoscaling:us-east-1:111111111111:autoScalingGroup:0b5a1c2e-3d4f-4a5b-8c6d-7e8f9a0b1c2d:autoScalingGroupName/web").unwrap();
        assert_eq!(real.auto_scaling_group_name(), Some("web"));
        assert_eq!(real.resource_type(), "autoscaling:autoScalingGroup");
        let built = Arn::parse("arn:aws:autoscaling:us-east-1:111111111111:autoScalingGroup:*:autoScalingGroupName/web").unwrap();
        assert_eq!(built.auto_scaling_group_name(), Some("web"));
        assert_eq!(
            arn("arn:aws:ec2:us-east-1:1:instance/i-1").auto_scaling_group_name(),
            None
        );
    }

    #[test]
    fn parts_types_and_ids() {
        let cases = [
            // text, service, region, account, type, id
            (
                "arn:aws:ec2:us-east-1:111111111111:instance/i-1",
                "ec2",
                Some("us-east-1"),
                Some("111111111111"),
                "ec2:instance",
                "i-1",
            ),
            (
                "arn:aws:ec2:us-east-1::snapshot/snap-1",
                "ec2",
                Some("us-east-1"),
                None,
                "ec2:snapshot",
                "snap-1",
            ),
            (
                "arn:aws:rds:eu-west-1:111111111111:db:orders",
                "rds",
                Some("eu-west-1"),
                Some("111111111111"),
                "rds:db",
                "orders",
            ),
            ("arn:aws:s3:::my-bucket", "s3", None, None, "s3:bucket", "my-bucket"),
            (
                "arn:aws:apigateway:us-east-1::/restapis/a1b2c3",
                "apigateway",
                Some("us-east-1"),
                None,
                "apigateway:restapis",
                "a1b2c3",
            ),
            (
                "arn:aws:apigateway:us-east-1::/restapis/a1b2c3/stages/prod",
                "apigateway",
                Some("us-east-1"),
                None,
                "apigateway:restapis/stages",
                "a1b2c3/stages/prod",
            ),
            (
                "arn:aws:apigateway:eu-west-1::/apis/a1b2c3/stages/$default",
                "apigateway",
                Some("eu-west-1"),
                None,
                "apigateway:apis/stages",
                "a1b2c3/stages/$default",
            ),
            (
                "arn:aws:cloudfront::111111111111:distribution/E2QWRUHEXAMPLE",
                "cloudfront",
                None,
                Some("111111111111"),
                "cloudfront:distribution",
                "E2QWRUHEXAMPLE",
            ),
            (
                "arn:aws:route53:::hostedzone/Z1D633PJN98FT9",
                "route53",
                None,
                None,
                "route53:hostedzone",
                "Z1D633PJN98FT9",
            ),
            (
                "arn:aws:lambda:us-east-1:111111111111:function:f",
                "lambda",
                Some("us-east-1"),
                Some("111111111111"),
                "lambda:function",
                "f",
            ),
            (
                "arn:aws:dynamodb:us-east-1:111111111111:table/t",
                "dynamodb",
                Some("us-east-1"),
                Some("111111111111"),
                "dynamodb:table",
                "t",
            ),
            (
                "arn:aws:sqs:us-east-1:111111111111:q",
                "sqs",
                Some("us-east-1"),
                Some("111111111111"),
                "sqs:queue",
                "q",
            ),
            (
                "arn:aws:elasticloadbalancing:us-east-1:111111111111:loadbalancer/app/web/50dc6c495c0c9188",
                "elasticloadbalancing",
                Some("us-east-1"),
                Some("111111111111"),
                "elasticloadbalancing:loadbalancer",
                "app/web/50dc6c495c0c9188",
            ),
            (
                "arn:aws:logs:us-east-1:111111111111:log-group:/aws/lambda/f",
                "logs",
                Some("us-east-1"),
                Some("111111111111"),
                "logs:log-group",
                "/aws/lambda/f",
            ),
        ];
        for (text, service, region, account, ty, id) in cases {
            let a = arn(text);
            assert_eq!(a.partition(), "aws", "{text}");
            assert_eq!(a.service(), service, "{text}");
            assert_eq!(a.region(), region, "{text}");
            assert_eq!(a.account(), account, "{text}");
            assert_eq!(a.resource_type(), ty, "{text}");
            assert_eq!(a.id(), id, "{text}");
            assert_eq!(a.as_str(), text);
            assert_eq!(a.to_string(), text);
        }
        assert_eq!(
            arn("arn:aws-cn:ec2:cn-north-1:1:volume/v").partition(),
            "aws-cn"
        );
    }

    #[test]
    fn what_is_not_an_arn_is_refused() {
        for text in [
            "",
            "not-an-arn",
            "arn:aws:s3:::",
            "arn::s3:::b",
            "arn:aws::us-east-1:1:x",
            "arn:aws:ec2:us-east-1:1",
            "i-0123456789abcdef0",
            "arn:aws:ec2:us-east-1:1:instance/i-1\n",
            "arn:a<b:ec2:r:1:instance/i",
        ] {
            assert_eq!(
                Arn::parse(text),
                Err(ArnError::Malformed(text.to_string())),
                "{text:?}"
            );
        }
        let long = format!("arn:aws:s3:::{}", "b".repeat(MAX_ARN_LEN));
        assert_eq!(Arn::parse(&long), Err(ArnError::TooLong(long.len())));
        assert_eq!(
            Arn::parse("x").unwrap_err().to_string(),
            "`x` is not an ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE)"
        );
    }

    #[test]
    fn serialized_as_its_text_and_checked_when_read() {
        let a = arn("arn:aws:s3:::b");
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"arn:aws:s3:::b\"");
        let back: Arn = serde_json::from_str("\"arn:aws:s3:::b\"").unwrap();
        assert_eq!(back, a);
        let bad = serde_json::from_str::<Arn>("\"s3:::b\"").unwrap_err();
        assert!(bad.to_string().contains("is not an ARN"), "{bad}");
    }

    #[test]
    fn looked_up_by_its_text() {
        let mut m = std::collections::HashMap::new();
        m.insert(arn("arn:aws:s3:::b"), 1);
        assert_eq!(m.get("arn:aws:s3:::b"), Some(&1));
        assert!(arn("arn:aws:s3:::b") == "arn:aws:s3:::b");
    }
}
