//! The one error type of the binary. Each error knows its process exit code
//! (cli.md) and a stable label for logs and metrics.

use crate::store::StoreError;
use std::path::PathBuf;
use tagwarden_core::apply_rules::Refusal;
use tagwarden_core::billing::manifest::ManifestError;
use tagwarden_core::billing::BillingError;
use tagwarden_core::credits::periods::WindowError;
use tagwarden_core::credits::CreditsError;
use tagwarden_core::iam::IamError;
use tagwarden_core::shard::ShardError;
use tagwarden_core::Diagnostics;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration or policy files are invalid: every diagnostic, each
    /// with its file, line and column.
    #[error("{0}")]
    Invalid(#[from] Diagnostics),
    /// Bad command-line usage or a setting that cannot work.
    #[error("{0}")]
    Usage(String),
    /// apply or rollback refused before writing anything.
    #[error("{0}")]
    Refused(#[from] Refusal),
    /// The state store (SQLite) failed, or is held by another writer.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// AWS could not be read for something the command cannot do without
    /// (Cost Explorer for `credits`).
    #[error("{what}: {source}")]
    Aws {
        what: String,
        source: crate::aws::AwsError,
    },
    /// No credentials, or credentials AWS refuses: nothing was asked of
    /// AWS beyond who the caller is. One line that says what to do.
    #[error(transparent)]
    Credentials(#[from] crate::aws::identity::Unidentified),
    /// A local file or stream could not be read or written.
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    /// A billing export (`--cost`) that cannot be read or is not a bill.
    #[error(transparent)]
    Billing(#[from] BillingError),
    /// A billing delivery's manifest that cannot be trusted to say what
    /// to read (`--cost`).
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// The money view cannot be computed from what was read.
    #[error(transparent)]
    Credits(#[from] CreditsError),
    /// The agreement's dates are missing or in the future.
    #[error(transparent)]
    Window(#[from] WindowError),
    /// `--shard`, `--total-shards` or the pod name do not name a shard.
    #[error(transparent)]
    Shard(#[from] ShardError),
    /// `apply --plan FILE`: the file is not a tagwarden plan.
    #[error("{}: not a tagwarden plan: {source}", path.display())]
    PlanFile {
        path: PathBuf,
        source: serde_json::Error,
    },
    /// `policy iam --role R`: the role needs no policy.
    #[error(transparent)]
    Iam(#[from] IamError),
    /// Shutdown came before anything was written.
    #[error("stopped by shutdown before anything was written")]
    Cancelled,
}

impl Error {
    pub fn usage(message: impl Into<String>) -> Error {
        Error::Usage(message.into())
    }

    pub fn io(what: impl Into<String>, source: std::io::Error) -> Error {
        Error::Io {
            what: what.into(),
            source,
        }
    }

    /// 2: nothing was scanned or written because the input or the request
    /// was refused; 3: AWS could not be read; 4: tagwarden itself failed
    /// (local I/O, the state store).
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Invalid(_) | Error::Usage(_) | Error::Refused(_) => 2,
            Error::Credits(_) | Error::Window(_) | Error::Shard(_) => 2,
            Error::PlanFile { .. } | Error::Cancelled | Error::Iam(_) => 2,
            Error::Billing(e) if e.is_unreadable() => 4,
            Error::Billing(_) | Error::Manifest(_) => 2,
            Error::Store(StoreError::Locked { .. }) => 2,
            Error::Store(_) | Error::Io { .. } => 4,
            Error::Aws { .. } | Error::Credentials(_) => 3,
        }
    }

    /// A stable name for logs and metrics.
    pub fn metric_label(&self) -> &'static str {
        match self {
            Error::Invalid(_) => "invalid_configuration",
            Error::Usage(_) => "usage",
            Error::Refused(r) => r.label(),
            Error::Store(StoreError::Locked { .. }) => "store_locked",
            Error::Store(_) => "store",
            Error::Io { .. } => "io",
            Error::Aws { .. } => "aws",
            Error::Credentials(_) => "credentials",
            Error::Billing(e) if e.is_unreadable() => "billing_unreadable",
            Error::Billing(_) => "billing_invalid",
            Error::Manifest(_) => "billing_manifest",
            Error::Credits(_) => "credits",
            Error::Window(WindowError::NoAgreement) => "no_agreement",
            Error::Window(WindowError::NotStarted { .. }) => "agreement_not_started",
            Error::Shard(_) => "shard",
            Error::PlanFile { .. } => "plan_file",
            Error::Cancelled => "cancelled",
            Error::Iam(IamError::NothingToWrite) => "iam_nothing_to_write",
            Error::Iam(IamError::NoScannerPolicy) => "iam_no_scanner_policy",
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_and_labels() {
        let broken_pipe = Error::io(
            "cannot write to standard output",
            std::io::Error::from(std::io::ErrorKind::BrokenPipe),
        );
        let cases = [
            (
                Error::Invalid(Diagnostics(vec![])),
                2,
                "invalid_configuration",
            ),
            (Error::usage("--account x"), 2, "usage"),
            (Error::Refused(Refusal::NotConfirmed), 2, "not_confirmed"),
            (
                Error::Store(StoreError::Locked {
                    path: "s.lock".into(),
                }),
                2,
                "store_locked",
            ),
            (
                Error::Store(StoreError::Sql(rusqlite::Error::InvalidQuery)),
                4,
                "store",
            ),
            (broken_pipe, 4, "io"),
            (
                Error::Billing(BillingError::Parquet {
                    file: "bill.parquet".into(),
                    why: "EOF: file size of 3 is less than footer".into(),
                }),
                4,
                "billing_unreadable",
            ),
            (
                Error::Billing(BillingError::Row {
                    file: "bill.csv".into(),
                    at: "line 3".into(),
                    why: "`x` is not an amount".into(),
                }),
                2,
                "billing_invalid",
            ),
            (
                Error::Manifest(ManifestError::UnknownKind {
                    manifest: "r-Manifest.json".into(),
                }),
                2,
                "billing_manifest",
            ),
            (Error::Window(WindowError::NoAgreement), 2, "no_agreement"),
            (Error::Shard(ShardError::NoShards), 2, "shard"),
            (
                Error::PlanFile {
                    path: "plan.json".into(),
                    source: serde_json::from_str::<u8>("x").unwrap_err(),
                },
                2,
                "plan_file",
            ),
            (
                Error::Credits(CreditsError::MixedCurrencies("USD".into(), "EUR".into())),
                2,
                "credits",
            ),
            (Error::Cancelled, 2, "cancelled"),
            (
                Error::Credentials(crate::aws::identity::Unidentified {
                    what: "no AWS credentials".into(),
                    fix: "run `aws configure`".into(),
                }),
                3,
                "credentials",
            ),
            (
                Error::Iam(IamError::NothingToWrite),
                2,
                "iam_nothing_to_write",
            ),
        ];
        for (e, code, label) in cases {
            assert_eq!((e.exit_code(), e.metric_label()), (code, label), "{e}");
        }
    }
}
