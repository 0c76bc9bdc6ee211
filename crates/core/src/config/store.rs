//! `store:`: where the state store lives, and how long it keeps what can
//! no longer be rolled back. Either a path (`store: state.db`) or a
//! mapping (`store: {path: state.db, retention: 400d}`).

use super::{key, Checker};
use crate::yaml::lenient;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use std::path::Path;
use std::time::Duration;

/// What `store:` said: a path alone, or the mapping.
#[derive(Debug)]
pub(super) enum StoreSpec {
    Path(String),
    Table(StoreTable),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StoreTable {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    path: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    retention: Option<String>,
}

impl<'de> Deserialize<'de> for StoreSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<StoreSpec, D::Error> {
        struct Either;
        impl<'de> Visitor<'de> for Either {
            type Value = StoreSpec;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a path, or a mapping with `path` and `retention`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<StoreSpec, E> {
                Ok(StoreSpec::Path(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<StoreSpec, A::Error> {
                StoreTable::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(StoreSpec::Table)
            }
        }
        d.deserialize_any(Either)
    }
}

/// How long runs are kept by default: past a year, so that last year's
/// migration wave is still in `history` when its credits are reviewed.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(400 * 86_400);

/// The shortest retention: anything shorter would prune the cycles a
/// person is still looking at.
pub const MIN_RETENTION: Duration = Duration::from_secs(86_400);

/// The longest: a century (longer is a typo, and overflows a date).
pub const MAX_RETENTION: Duration = Duration::from_secs(36_500 * 86_400);

/// Why a retention was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RetentionError {
    #[error("`{0}` is not a duration such as 90d or 400d, nor `off`")]
    Malformed(String),
    #[error("`{0}` is shorter than a day (1d), the shortest retention")]
    TooShort(String),
    #[error("`{0}` is longer than a century (36500d), the longest retention")]
    TooLong(String),
}

/// `400d`, `52w`, … from a day to a century; `off` keeps everything (None).
pub fn parse_retention(s: &str) -> Result<Option<Duration>, RetentionError> {
    let s = s.trim();
    if s == "off" {
        return Ok(None);
    }
    let d = humantime::parse_duration(s).map_err(|e| match e {
        humantime::DurationError::NumberOverflow => RetentionError::TooLong(s.to_string()),
        _ => RetentionError::Malformed(s.to_string()),
    })?;
    match d {
        d if d < MIN_RETENTION => Err(RetentionError::TooShort(s.to_string())),
        d if d > MAX_RETENTION => Err(RetentionError::TooLong(s.to_string())),
        d => Ok(Some(d)),
    }
}

impl Checker<'_> {
    pub(super) fn store(&mut self, spec: StoreSpec, base: &Path, out: &mut super::Config) {
        let table = match spec {
            StoreSpec::Path(path) => StoreTable {
                path: Some(path),
                retention: None,
            },
            StoreSpec::Table(table) => table,
        };
        if let Some(path) = table.path {
            out.store = base.join(path);
        }
        if let Some(retention) = table.retention {
            match parse_retention(&retention) {
                Ok(r) => out.retention = r,
                Err(why) => self.error(&key(&key(&[], "store"), "retention"), why.to_string()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::load;
    use super::*;
    use crate::diagnostics::Position;
    use std::path::PathBuf;

    const DAY: u64 = 86_400;

    #[test]
    fn a_path_alone_keeps_the_default_retention() {
        let c = load("store: state.db\n").unwrap();
        assert!(c.store.ends_with("state.db"));
        assert_eq!(c.retention, Some(DEFAULT_RETENTION));
        assert_eq!(DEFAULT_RETENTION, Duration::from_secs(400 * DAY));
    }

    #[test]
    fn the_mapping_sets_path_and_retention() {
        let c = load("store:\n  path: runs/state.db\n  retention: 90d\n").unwrap();
        assert!(c.store.ends_with(PathBuf::from("runs/state.db")));
        assert_eq!(c.retention, Some(Duration::from_secs(90 * DAY)));
        let kept = load("store: {retention: \"off\"}\n").unwrap();
        assert_eq!(kept.retention, None);
        assert_eq!(kept.store, PathBuf::from("/var/lib/tagwarden/state.db"));
    }

    #[test]
    fn retentions() {
        assert_eq!(parse_retention("1d"), Ok(Some(Duration::from_secs(DAY))));
        assert_eq!(
            parse_retention(" 52w "),
            Ok(Some(Duration::from_secs(364 * DAY)))
        );
        assert_eq!(parse_retention("36500d"), Ok(Some(MAX_RETENTION)));
        let err = |s: &str| parse_retention(s).unwrap_err().to_string();
        assert_eq!(
            err("23h"),
            "`23h` is shorter than a day (1d), the shortest retention"
        );
        assert_eq!(
            err("0d"),
            "`0d` is shorter than a day (1d), the shortest retention"
        );
        assert_eq!(
            err("400"),
            "`400` is not a duration such as 90d or 400d, nor `off`"
        );
        assert_eq!(
            err("36501d"),
            "`36501d` is longer than a century (36500d), the longest retention"
        );
        assert_eq!(
            err("99999999999999999999d"),
            "`99999999999999999999d` is longer than a century (36500d), the longest retention"
        );
    }

    #[test]
    fn a_bad_retention_is_an_error_at_its_position() {
        let e = load("regions: [us-east-1]\nstore:\n  path: state.db\n  retention: 12 parsecs\n")
            .unwrap_err();
        assert_eq!(e.0.len(), 1, "{e}");
        assert_eq!(
            e.0[0].position,
            Some(Position {
                line: 4,
                column: 14
            })
        );
        assert_eq!(
            e.0[0].message,
            "`12 parsecs` is not a duration such as 90d or 400d, nor `off`"
        );
    }

    #[test]
    fn an_unknown_store_field_or_a_list_is_an_error_at_its_position() {
        let e = load("store:\n  path: state.db\n  retain: 9d\n").unwrap_err();
        assert_eq!(e.0.len(), 1, "{e}");
        assert_eq!(e.0[0].position.map(|p| p.line), Some(3));
        assert!(e.0[0].message.starts_with("unknown field `retain`"), "{e}");
        let e = load("store: [a, b]\n").unwrap_err();
        assert_eq!(e.0[0].position.map(|p| p.line), Some(1));
        assert!(
            e.0[0]
                .message
                .contains("a path, or a mapping with `path` and `retention`"),
            "{e}"
        );
    }
}
