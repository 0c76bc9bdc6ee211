//! Which tool made a call, told from a CloudTrail record's `userAgent` and
//! `userIdentity.invokedBy`, and how to stop that tool removing a tag it
//! does not manage. The user agents are the ones each tool sends (public
//! CloudTrail samples and the tools' own sources): Terraform's AWS provider
//! `APN/1.0 HashiCorp/1.0 Terraform/… terraform-provider-aws/…`, Pulumi's
//! `APN/1.0 Pulumi/1.0 Pulumi-Aws/…` (built on Terraform's provider, it
//! once sent Terraform's string too, after its own), the AWS CLI
//! `aws-cli/…`, the SDKs `Boto3/…`, `aws-sdk-<language>/…`, and the
//! console `AWS Internal`, `console.amazonaws.com` or a browser's.

use serde::Serialize;

/// The tool behind a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tool {
    /// tagwarden itself (`app/tagwarden` in its user agent).
    Tagwarden,
    Terraform,
    Cloudformation,
    Pulumi,
    Console,
    Cli,
    Sdk,
    Unknown,
}

/// The SDK app name tagwarden sends: `app/tagwarden` in every user agent.
pub const OWN_APP: &str = "app/tagwarden";

impl Tool {
    pub const ALL: [Tool; 8] = [
        Tool::Tagwarden,
        Tool::Terraform,
        Tool::Cloudformation,
        Tool::Pulumi,
        Tool::Console,
        Tool::Cli,
        Tool::Sdk,
        Tool::Unknown,
    ];

    /// From the record's `userAgent` and `userIdentity.invokedBy` (either
    /// may be absent). The most specific mark wins: a tool built on an SDK
    /// names both, and Pulumi's provider may name Terraform's too.
    pub fn of(user_agent: Option<&str>, invoked_by: Option<&str>) -> Tool {
        let ua = user_agent.unwrap_or_default().to_ascii_lowercase();
        let by = invoked_by.unwrap_or_default().to_ascii_lowercase();
        let has = |s: &str| ua.contains(s);
        if has(OWN_APP) {
            Tool::Tagwarden
        } else if by == "cloudformation.amazonaws.com" || has("cloudformation.amazonaws.com") {
            Tool::Cloudformation
        } else if has("pulumi") {
            Tool::Pulumi
        } else if has("terraform") || has("hashicorp") {
            Tool::Terraform
        } else if has("aws-cli/") {
            Tool::Cli
        } else if is_console(&ua) {
            Tool::Console
        } else if has("aws-sdk-") || has("boto3/") || has("botocore/") || has("aws-internal/") {
            Tool::Sdk
        } else {
            Tool::Unknown
        }
    }

    /// A label read back from the state store.
    pub fn parse(label: &str) -> Option<Tool> {
        Self::ALL.into_iter().find(|t| t.label() == label)
    }

    pub fn label(self) -> &'static str {
        match self {
            Tool::Tagwarden => "tagwarden",
            Tool::Terraform => "terraform",
            Tool::Cloudformation => "cloudformation",
            Tool::Pulumi => "pulumi",
            Tool::Console => "console",
            Tool::Cli => "cli",
            Tool::Sdk => "sdk",
            Tool::Unknown => "unknown",
        }
    }

    /// How to stop this tool removing `key` (which it does not manage).
    pub fn fix(self, key: &str) -> String {
        match self {
            Tool::Terraform => format!("add `ignore_tags {{ keys = [\"{key}\"] }}` to every AWS provider block (or put `{key}` in the provider's `default_tags`), so Terraform stops removing a tag it does not manage"),
            Tool::Cloudformation => format!("put `{key}` in the template's `Tags` of the resource, or in the stack's tags, so a stack update keeps it"),
            Tool::Pulumi => format!("add `{key}` to the AWS provider's `ignoreTags` keys (or its `defaultTags`), so Pulumi stops removing it"),
            Tool::Console => format!("someone removed or changed `{key}` in the AWS console: tell the account's team that it earns MAP credit"),
            Tool::Cli | Tool::Sdk => format!("a script removed or changed `{key}`: find it by the principal and leave `{key}` out of what it deletes, replaces or sets"),
            Tool::Unknown => format!("find the principal that removed or changed `{key}` and leave `{key}` out of what it deletes, replaces or sets"),
            Tool::Tagwarden => "tagwarden removed it itself (a rollback): nothing to fix".into(),
        }
    }
}

/// The console's calls: `AWS Internal`, a console host, or a browser.
fn is_console(ua: &str) -> bool {
    ua == "aws internal"
        || ua.starts_with("console.") && ua.contains("amazonaws.com")
        || ua.contains("signin.amazonaws.com")
        || ua.starts_with("mozilla/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_user_agents_name_their_tool() {
        let cases = [
            ("APN/1.0 HashiCorp/1.0 Terraform/1.5.7 (+https://www.terraform.io) terraform-provider-aws/5.31.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.24.0 os/linux lang/go#1.20.12 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.141.0", None, Tool::Terraform),
            ("APN/1.0 HashiCorp/1.0 Terraform/0.14.7 (+https://www.terraform.io) terraform-provider-aws/3.37.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go/1.38.30 (go1.16; linux; amd64)", None, Tool::Terraform),
            ("APN/1.0 Pulumi/1.0 Pulumi-Aws/4.17.0-alpha.1629393364+0b9d696e.dirty (+https://www.pulumi.com) aws-sdk-go/1.40.20 (go1.16.4; darwin; amd64)", None, Tool::Pulumi),
            ("APN/1.0 Pulumi/1.0 Pulumi/1.0 Pulumi-Aws/0.11+compatible (+https://www.pulumi.com) aws-sdk-go-v2/1.16.16 os/macos lang/go/1.19.1 md/GOOS/darwin md/GOARCH/amd64 api/sts/1.16.4", None, Tool::Pulumi),
            ("cloudformation.amazonaws.com", Some("cloudformation.amazonaws.com"), Tool::Cloudformation),
            ("aws-sdk-go-v2/1.21.0", Some("cloudformation.amazonaws.com"), Tool::Cloudformation),
            ("aws-cli/2.13.25 Python/3.11.5 Linux/5.15.0-1045-aws exe/x86_64.ubuntu.22 prompt/off command/ec2.delete-tags", None, Tool::Cli),
            ("aws-cli/1.29.62 md/Botocore#1.31.62 ua/2.0 os/linux#5.10 md/arch#x86_64 lang/python#3.9.16 md/pyimpl#CPython cfg/retry-mode#legacy botocore/1.31.62", None, Tool::Cli),
            ("AWS Internal", None, Tool::Console),
            ("console.ec2.amazonaws.com", None, Tool::Console),
            ("signin.amazonaws.com", None, Tool::Console),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36", None, Tool::Console),
            ("Boto3/1.28.62 md/Botocore#1.31.62 ua/2.0 os/linux#5.10.198 md/arch#x86_64 lang/python#3.11.6 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.31.62", None, Tool::Sdk),
            ("aws-sdk-java/1.12.470 Linux/5.10 OpenJDK_64-Bit_Server_VM/17.0.7+7-LTS java/17.0.7 vendor/Amazon.com_Inc.", None, Tool::Sdk),
            ("aws-sdk-js/3.438.0 ua/2.0 os/linux#5.10 lang/js md/nodejs#18.18.2 api/ec2#3.438.0", None, Tool::Sdk),
            ("aws-sdk-rust/1.3.9 ua/2.1 api/ec2/1.99.0 os/linux lang/rust/1.95.0 app/tagwarden", None, Tool::Tagwarden),
            ("my-own-tool/1.0", None, Tool::Unknown),
        ];
        for (ua, by, tool) in cases {
            assert_eq!(Tool::of(Some(ua), by), tool, "{ua}");
        }
        assert_eq!(Tool::of(None, None), Tool::Unknown);
        assert_eq!(
            Tool::of(None, Some("cloudformation.amazonaws.com")),
            Tool::Cloudformation
        );
    }

    #[test]
    fn every_tool_has_a_label_and_a_fix_naming_the_key() {
        let labels: std::collections::BTreeSet<&str> =
            Tool::ALL.iter().map(|t| t.label()).collect();
        assert_eq!(labels.len(), Tool::ALL.len());
        for t in Tool::ALL {
            assert_eq!(Tool::parse(t.label()), Some(t));
        }
        assert!(Tool::Terraform
            .fix("map-migrated")
            .contains("ignore_tags { keys = [\"map-migrated\"] }"));
        assert!(Tool::Cloudformation.fix("map-migrated").contains("`Tags`"));
        for t in Tool::ALL.iter().filter(|t| **t != Tool::Tagwarden) {
            assert!(t.fix("map-migrated").contains("map-migrated"), "{t:?}");
        }
    }
}
