//! The two MAP tag schemes (see map-facts.md) and the built-in
//! `format: map` check of their values: `map-migrated` = a lowercase
//! prefix and the MPE ID (the MAP 2.0 Tagging Guide), `aws-apn-id` = a
//! lowercase prefix and the PRM ID (the MAP 2.0 Tagging Guide for AWS
//! Transform).

use serde::{Deserialize, Serialize};

/// Prefixes, longest first so that `comm_ec2_…` is not read as `comm` + `_ec2_…`.
pub const PREFIXES: &[&str] = &["comm_ec2_", "mig_ec2_", "oracle", "comm", "sap", "mig"];

/// The prefixes of `aws-apn-id` values, longest first.
pub const APN_PREFIXES: &[&str] = &["oracle", "sap", "mig"];

/// The longest PRM ID tagwarden accepts: a tag value is at most 256
/// characters, the longest prefix takes 6.
const MAX_PRM_ID: usize = 250;

/// Which key a MAP agreement's resources carry, and so what its values
/// look like.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
pub enum Scheme {
    /// `map-migrated` = `mig12345`, `migABCDE12345`, … (MPE ID).
    #[default]
    #[serde(rename = "map-migrated")]
    MapMigrated,
    /// `aws-apn-id` = `mig<PRM ID>`, … (agreements run in AWS Transform).
    #[serde(rename = "aws-apn-id")]
    AwsApnId,
}

impl Scheme {
    pub const ALL: [Scheme; 2] = [Scheme::MapMigrated, Scheme::AwsApnId];

    /// The tag key.
    pub fn key(self) -> &'static str {
        match self {
            Scheme::MapMigrated => "map-migrated",
            Scheme::AwsApnId => "aws-apn-id",
        }
    }

    /// The scheme whose key is exactly `key`.
    pub fn of_key(key: &str) -> Option<Scheme> {
        Scheme::ALL.into_iter().find(|s| s.key() == key)
    }

    /// The prefixes its values start with, longest first.
    pub fn prefixes(self) -> &'static [&'static str] {
        match self {
            Scheme::MapMigrated => PREFIXES,
            Scheme::AwsApnId => APN_PREFIXES,
        }
    }

    /// What the identifier after the prefix is called.
    pub fn id_name(self) -> &'static str {
        match self {
            Scheme::MapMigrated => "MPE ID",
            Scheme::AwsApnId => "PRM ID",
        }
    }

    /// The `format: map` check of values under this key.
    pub fn format(self, relaxed: bool) -> MapFormat {
        match (self, relaxed) {
            (Scheme::AwsApnId, _) => MapFormat::Apn,
            (Scheme::MapMigrated, false) => MapFormat::Strict,
            (Scheme::MapMigrated, true) => MapFormat::Relaxed,
        }
    }

    pub fn is_default(&self) -> bool {
        *self == Scheme::MapMigrated
    }

    /// Why `id` cannot be this scheme's identifier, if it cannot.
    pub fn check_id(self, id: &str) -> Result<(), String> {
        let ok = match self {
            Scheme::MapMigrated => MapFormat::Relaxed.valid_id(id),
            Scheme::AwsApnId => valid_prm_id(id),
        };
        match (ok, self) {
            (true, _) => Ok(()),
            (false, Scheme::MapMigrated) => Err(format!(
                "MPE ID `{id}` must be 5 digits or 10 uppercase letters and digits"
            )),
            (false, Scheme::AwsApnId) => Err(format!(
                "PRM ID `{id}` must be letters, digits and hyphens (at most {MAX_PRM_ID}), without the `mig`/`sap`/`oracle` prefix"
            )),
        }
    }
}

/// A PRM ID as the guide's example shows one (`ra-abcdefg123456`):
/// letters, digits and hyphens. The guide states no length or case, so
/// neither is checked beyond what a tag value holds.
fn valid_prm_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_PRM_ID
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// One agreement's MAP tag: its key, and the identifier its values carry
/// (None: any well-formed value counts as this agreement's).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MapTag {
    pub scheme: Scheme,
    pub id: Option<String>,
}

impl MapTag {
    /// Where spend carrying `value` under this key stands.
    pub fn classify(&self, value: &str) -> TagState {
        let ours = match &self.id {
            Some(id) => self
                .scheme
                .prefixes()
                .iter()
                .any(|p| value.strip_prefix(p) == Some(id.as_str())),
            None => self.scheme.format(true).check(value).is_ok(),
        };
        if ours {
            TagState::Tagged
        } else {
            TagState::Mistagged
        }
    }

    /// `map-migrated (MPE ID ABCDE12345)`, for reports.
    pub fn describe(&self) -> String {
        match &self.id {
            Some(id) => format!("{} ({} {id})", self.scheme.key(), self.scheme.id_name()),
            None => format!("{} (any {})", self.scheme.key(), self.scheme.id_name()),
        }
    }
}

/// The MAP tags a configuration counts, in its order (one per scheme):
/// a resource or a bill line is judged by the first of them it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapTags(Vec<MapTag>);

impl Default for MapTags {
    fn default() -> MapTags {
        MapTags(vec![MapTag::default()])
    }
}

impl MapTags {
    /// None when `tags` is empty or names a scheme twice.
    pub fn new(tags: Vec<MapTag>) -> Option<MapTags> {
        let distinct = tags
            .iter()
            .enumerate()
            .all(|(i, t)| tags[..i].iter().all(|u| u.scheme != t.scheme));
        (!tags.is_empty() && distinct).then_some(MapTags(tags))
    }

    /// `map-migrated` alone, with this MPE ID (None: any).
    pub fn map_migrated(mpe_id: Option<String>) -> MapTags {
        MapTags(vec![MapTag {
            scheme: Scheme::MapMigrated,
            id: mpe_id,
        }])
    }

    pub fn iter(&self) -> std::slice::Iter<'_, MapTag> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first: what a line without any of the tags is read under.
    pub fn first(&self) -> &MapTag {
        &self.0[0]
    }

    pub fn get(&self, scheme: Scheme) -> Option<&MapTag> {
        self.0.iter().find(|t| t.scheme == scheme)
    }

    /// The configured MPE ID, if `map-migrated` is counted with one.
    pub fn mpe_id(&self) -> Option<&str> {
        self.get(Scheme::MapMigrated)?.id.as_deref()
    }

    /// Where spend carrying `value` under `scheme`'s key stands: a key the
    /// configuration does not count is mis-tagged.
    pub fn classify(&self, value: Option<&str>, scheme: Scheme) -> TagState {
        match value.map(str::trim) {
            None | Some("") => TagState::Untagged,
            Some(v) => self
                .get(scheme)
                .map_or(TagState::Mistagged, |t| t.classify(v)),
        }
    }

    /// Whether `key` is one of the MAP tags counted.
    pub fn is_map_key(&self, key: &str) -> bool {
        self.0.iter().any(|t| t.scheme.key() == key)
    }
}

/// Keys that older MAP agreements and tools used instead of `map-migrated`.
pub const LEGACY_KEYS: &[&str] = &["map-dba", "aws-migration-project-id", "map-migrated-app"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapFormat {
    /// `^(mig|sap|oracle|comm|mig_ec2_|comm_ec2_)([0-9]{5}|[0-9A-Z]{10})$`
    Strict,
    /// As strict, but MPE IDs of more than 10 characters are accepted (some
    /// real engagements have them).
    Relaxed,
    /// `format: map` on `aws-apn-id`: `^(mig|sap|oracle)[A-Za-z0-9-]+$`.
    Apn,
}

impl MapFormat {
    pub fn name(self) -> &'static str {
        match self {
            MapFormat::Strict | MapFormat::Apn => "map",
            MapFormat::Relaxed => "map-relaxed",
        }
    }

    pub fn parse(name: &str) -> Option<MapFormat> {
        match name {
            "map" => Some(MapFormat::Strict),
            "map-relaxed" => Some(MapFormat::Relaxed),
            _ => None,
        }
    }

    /// The format `name` means on `key`: on `aws-apn-id`, either name is
    /// the AWS Transform scheme's.
    pub fn for_key(name: &str, key: &str) -> Option<MapFormat> {
        let format = MapFormat::parse(name)?;
        Some(match Scheme::of_key(key) {
            Some(s) => s.format(format == MapFormat::Relaxed),
            None => format,
        })
    }

    /// `Ok` when `value` is a valid MAP 2.0 value, else a hint for the user.
    pub fn check(self, value: &str) -> Result<(), String> {
        if self == MapFormat::Apn {
            return match self.prm_id(value) {
                Some(_) => Ok(()),
                None => Err(explain_apn(value)),
            };
        }
        if PREFIXES
            .iter()
            .any(|p| value.strip_prefix(p).is_some_and(|id| self.valid_id(id)))
        {
            return Ok(());
        }
        Err(self.explain(value))
    }

    /// The MPE ID a valid value carries (`migABCDE12345` → `ABCDE12345`).
    pub fn mpe_id(self, value: &str) -> Option<&str> {
        PREFIXES
            .iter()
            .filter_map(|p| value.strip_prefix(p))
            .find(|id| self.valid_id(id))
    }

    /// The PRM ID a valid `aws-apn-id` value carries (`migra-abc1` →
    /// `ra-abc1`).
    pub fn prm_id(self, value: &str) -> Option<&str> {
        APN_PREFIXES
            .iter()
            .filter_map(|p| value.strip_prefix(p))
            .find(|id| valid_prm_id(id))
    }

    fn valid_id(self, id: &str) -> bool {
        let digits = id.len() == 5 && id.bytes().all(|b| b.is_ascii_digit());
        let alnum = id
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase());
        let long_enough = match self {
            MapFormat::Strict => id.len() == 10,
            MapFormat::Relaxed | MapFormat::Apn => id.len() >= 10,
        };
        digits || (alnum && long_enough)
    }

    fn explain(self, value: &str) -> String {
        if value.starts_with("d-server-") {
            return "legacy Migration Hub server ID (pre-2022 MAP agreements); MAP 2.0 needs `mig<MPE ID>`, e.g. `migABCDE12345`".into();
        }
        let id_words = "the MPE ID (5 digits or 10 uppercase letters and digits)";
        let found = match prefixed(value, PREFIXES, id_words) {
            Ok(found) => found,
            Err(hint) => return hint,
        };
        if let Some(id) = found {
            if id.bytes().any(|b| b.is_ascii_lowercase()) {
                return format!("MPE ID `{id}` must be uppercase");
            }
            return match self {
                MapFormat::Strict if id.len() > 10 => format!(
                    "MPE ID `{id}` has {} characters; MAP 2.0 IDs have 5 digits or 10 letters and digits (use `format: map-relaxed` if your agreement's ID is longer)",
                    id.len()
                ),
                _ => format!("MPE ID `{id}` must be 5 digits or 10 uppercase letters and digits"),
            };
        }
        format!(
            "not a MAP 2.0 value: expected one of the prefixes {} followed by the MPE ID",
            PREFIXES.join(", ")
        )
    }
}

/// What every scheme's hint begins with: white space around the value, a
/// prefix in the wrong case, a prefix without its ID (`Err`: that hint);
/// else the ID after the prefix, or None when no prefix matches.
fn prefixed<'v>(
    value: &'v str,
    prefixes: &[&str],
    id_words: &str,
) -> Result<Option<&'v str>, String> {
    if value.trim() != value {
        return Err("value has surrounding white space; AWS compares values exactly".into());
    }
    let lower = value.to_ascii_lowercase();
    let Some(p) = prefixes.iter().find(|p| lower.starts_with(**p)) else {
        return Ok(None);
    };
    let (prefix, id) = value.split_at(p.len());
    if prefix != *p {
        return Err(format!("prefix `{prefix}` must be lowercase `{p}`"));
    }
    if id.is_empty() {
        return Err(format!("`{p}` must be followed by {id_words}"));
    }
    Ok(Some(id))
}

/// Why `value` is not a valid `aws-apn-id` value for MAP.
fn explain_apn(value: &str) -> String {
    if value.starts_with("pc:") {
        return "a Partner Revenue Measurement product code (`pc:…`), not a MAP value: MAP under AWS Transform needs `mig<PRM ID>` (or `sap`/`oracle`)".into();
    }
    match prefixed(value, APN_PREFIXES, "the PRM ID") {
        Err(hint) => return hint,
        Ok(Some(id)) => return format!("PRM ID `{id}` must be letters, digits and hyphens"),
        Ok(None) => {}
    }
    format!(
        "not a MAP value: expected one of the prefixes {} followed by the PRM ID",
        APN_PREFIXES.join(", ")
    )
}

/// Which side of the MAP line a value puts its spend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagState {
    Tagged,
    Mistagged,
    Untagged,
}

#[cfg(test)]
mod tests {
    use super::*;
    use MapFormat::*;

    #[test]
    fn accepts_every_prefix_and_both_id_forms() {
        for v in [
            "mig12345",
            "migABCDE12345",
            "sap12345",
            "oracleABCDE12345",
            "comm12345",
            "mig_ec2_12345",
            "comm_ec2_ABCDE12345",
            "mig0123456789",
        ] {
            assert_eq!(Strict.check(v), Ok(()), "{v}");
            assert_eq!(Relaxed.check(v), Ok(()), "{v}");
        }
    }

    #[test]
    fn rejects_with_a_hint() {
        let cases = [
            ("d-server-020zya2d8ytar8", "legacy Migration Hub server ID"),
            ("MIG12345", "prefix `MIG` must be lowercase `mig`"),
            ("Mig12345", "prefix `Mig` must be lowercase `mig`"),
            ("migabcde12345", "MPE ID `abcde12345` must be uppercase"),
            ("mig1234", "MPE ID `1234` must be 5 digits"),
            ("mig", "`mig` must be followed by the MPE ID"),
            ("mig12345 ", "surrounding white space"),
            ("xyz12345", "not a MAP 2.0 value"),
            ("", "not a MAP 2.0 value"),
            ("migABCDE123456", "has 11 characters"),
        ];
        for (v, hint) in cases {
            let err = Strict.check(v).unwrap_err();
            assert!(err.contains(hint), "{v}: {err}");
        }
    }

    #[test]
    fn relaxed_allows_longer_ids_only() {
        assert_eq!(Relaxed.check("migABCDE123456"), Ok(()));
        assert!(Relaxed.check("migABCDE1234").is_err());
        assert!(Relaxed.check("mig123456").is_err());
    }

    #[test]
    fn apn_values_are_a_prefix_and_the_prm_id() {
        for v in [
            "migra-abcdefg123456",
            "sapra-abcdefg123456",
            "oracleX1",
            "migABC",
        ] {
            assert_eq!(Apn.check(v), Ok(()), "{v}");
        }
        assert_eq!(Apn.prm_id("migra-abcdefg123456"), Some("ra-abcdefg123456"));
        assert_eq!(Apn.prm_id("oraclera-1"), Some("ra-1"));
        let cases = [
            (
                "pc:3jtjsihjubajawpl401j5b27s",
                "Partner Revenue Measurement product code",
            ),
            ("MIGra-abc", "prefix `MIG` must be lowercase `mig`"),
            ("mig", "`mig` must be followed by the PRM ID"),
            (
                "migra abc",
                "PRM ID `ra abc` must be letters, digits and hyphens",
            ),
            (" migra-abc", "surrounding white space"),
            ("comm12345", "not a MAP value"),
        ];
        for (v, hint) in cases {
            let err = Apn.check(v).unwrap_err();
            assert!(err.contains(hint), "{v}: {err}");
        }
    }

    #[test]
    fn format_follows_the_key_it_checks() {
        assert_eq!(MapFormat::for_key("map", "aws-apn-id"), Some(Apn));
        assert_eq!(MapFormat::for_key("map-relaxed", "aws-apn-id"), Some(Apn));
        assert_eq!(MapFormat::for_key("map", "map-migrated"), Some(Strict));
        assert_eq!(
            MapFormat::for_key("map-relaxed", "Map-Migrated"),
            Some(Relaxed)
        );
        assert_eq!(MapFormat::for_key("MAP", "aws-apn-id"), None);
    }

    #[test]
    fn each_scheme_classifies_its_own_values() {
        let tags = MapTags::new(vec![
            MapTag {
                scheme: Scheme::MapMigrated,
                id: Some("ABCDE12345".into()),
            },
            MapTag {
                scheme: Scheme::AwsApnId,
                id: Some("ra-abcdefg123456".into()),
            },
        ])
        .unwrap();
        let mm = Scheme::MapMigrated;
        let apn = Scheme::AwsApnId;
        assert_eq!(tags.classify(Some("migABCDE12345"), mm), TagState::Tagged);
        assert_eq!(
            tags.classify(Some("sapra-abcdefg123456"), apn),
            TagState::Tagged
        );
        // The same text is another agreement's under the other key.
        assert_eq!(
            tags.classify(Some("migABCDE12345"), apn),
            TagState::Mistagged
        );
        assert_eq!(tags.classify(Some("migra-other"), apn), TagState::Mistagged);
        assert_eq!(tags.classify(Some("pc:abc"), apn), TagState::Mistagged);
        assert_eq!(tags.classify(Some(" "), apn), TagState::Untagged);
        assert_eq!(tags.classify(None, mm), TagState::Untagged);
        assert_eq!(tags.mpe_id(), Some("ABCDE12345"));
        let only_apn = MapTags::new(vec![MapTag {
            scheme: apn,
            id: None,
        }])
        .unwrap();
        assert_eq!(only_apn.classify(Some("migANY-1"), apn), TagState::Tagged);
        assert_eq!(
            only_apn.classify(Some("mig12345"), mm),
            TagState::Mistagged,
            "a key not counted"
        );
        assert_eq!(only_apn.mpe_id(), None);
        assert!(MapTags::new(vec![]).is_none());
        assert!(MapTags::new(vec![MapTag::default(), MapTag::default()]).is_none());
    }

    #[test]
    fn identifiers_are_checked_per_scheme() {
        assert!(Scheme::MapMigrated.check_id("ABCDE12345").is_ok());
        assert!(Scheme::MapMigrated.check_id("12345").is_ok());
        assert!(Scheme::MapMigrated
            .check_id("abc")
            .unwrap_err()
            .contains("MPE ID `abc`"));
        assert!(Scheme::AwsApnId.check_id("ra-abcdefg123456").is_ok());
        assert!(Scheme::AwsApnId
            .check_id("")
            .unwrap_err()
            .contains("PRM ID"));
        assert!(Scheme::AwsApnId.check_id("ra abc").is_err());
        assert!(Scheme::AwsApnId.check_id(&"a".repeat(251)).is_err());
    }

    #[test]
    fn names_round_trip() {
        for f in [Strict, Relaxed] {
            assert_eq!(MapFormat::parse(f.name()), Some(f));
        }
        assert_eq!(MapFormat::parse("MAP"), None);
    }
}
